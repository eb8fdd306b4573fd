/* beneath: open a path below a directory, never above it: the safe way to
 * look into a tree that came from the network (kubo_get's extraction).
 * openat2(RESOLVE_BENEATH) where the kernel has it (Linux 5.6+); where it
 * does not (ENOSYS: older kernels, qemu-user 7.2) the same rules in user
 * space: one component at a time with openat(O_PATH | O_NOFOLLOW), the
 * kernel never follows a link, links are read and resolved here, ".." is
 * our own stack of directories and stops at dirfd. */
#ifndef WANDA_BENEATH_H
#define WANDA_BENEATH_H

/* how: 0 follows symlinks (each one resolved beneath dirfd),
 * BENEATH_NO_SYMLINKS refuses any symlink on the way (ELOOP). */
enum { BENEATH_NO_SYMLINKS = 1 };

/* openat(dirfd, rel, flags) resolved beneath dirfd: -1 and errno on
 * failure, EXDEV when the path (or a symlink on it) leads out of dirfd:
 * an absolute path or link, or ".." above dirfd. It opens what exists:
 * flags without O_CREAT. */
int beneath_open(int dirfd, const char *rel, int flags, int how);

/* The user-space walk beneath_open falls back to (public for its test,
 * which runs it where openat2 exists too). Same contract. */
int beneath_walk(int dirfd, const char *rel, int flags, int how);

#endif
