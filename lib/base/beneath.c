/* beneath: openat2(RESOLVE_BENEATH), and a user-space walk with the same
 * rules for kernels and emulators without it. The walk opens each
 * component with O_PATH | O_NOFOLLOW and looks at what it got (fstat on
 * the fd, so nothing can be swapped in between): a directory is pushed,
 * a symlink is read (readlinkat on the fd) and its text spliced in front
 * of the rest of the path, ".." pops (never opened: a directory moved
 * meanwhile cannot take the walk out), an absolute link or ".." at the
 * bottom is EXDEV. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <linux/openat2.h>
#include "base/beneath.h"
#include "base/buf.h"

#define BENEATH_MAXLINKS 40 /* the kernel's limit (MAXSYMLINKS) */

/* the directories the walk is in, dirfd at the bottom (not owned) */
struct walk {
	int root, *fd;
	size_t n, cap;
	char path[PATH_MAX]; /* what is left to resolve */
	const char *p;
	int links;
};

static int
walk_cur(const struct walk *w)
{
	return w->n > 0 ? w->fd[w->n - 1] : w->root;
}

static int
walk_push(struct walk *w, int fd)
{
	if (buf_grow_array(&w->fd, &w->cap, w->n + 1, sizeof *w->fd, 16, NULL) < 0) {
		close(fd);
		return ENOMEM;
	}
	w->fd[w->n++] = fd;
	return 0;
}

static void
walk_free(struct walk *w)
{
	while (w->n > 0)
		close(w->fd[--w->n]);
	free(w->fd);
}

/* The symlink open as lfd (O_PATH): its text goes in front of the rest. */
static int
walk_link(struct walk *w, int lfd)
{
	char target[PATH_MAX], rest[PATH_MAX];
	ssize_t n;

	if (++w->links > BENEATH_MAXLINKS)
		return ELOOP;
	if ((n = readlinkat(lfd, "", target, sizeof target)) < 0)
		return errno;
	if ((size_t)n >= sizeof target)
		return ENAMETOOLONG;
	target[n] = '\0';
	if (n == 0)
		return ENOENT; /* as the kernel resolves an empty link */
	if (target[0] == '/')
		return EXDEV;
	snprintf(rest, sizeof rest, "%s", w->p);
	if ((size_t)snprintf(w->path, sizeof w->path, "%s%s", target, rest) >= sizeof w->path)
		return ENAMETOOLONG;
	w->p = w->path;
	return 0;
}

/* The last component, a non-directory open as pfd (O_PATH | O_NOFOLLOW):
 * given as it is when O_PATH was asked for, else opened again with the
 * caller's flags (O_NOFOLLOW: a link swapped in meanwhile is ELOOP) and
 * checked to be the same file. */
static int
walk_last(struct walk *w, const char *name, int pfd, const struct stat *st, int flags, int *out)
{
	struct stat st2;
	int fd;

	if (flags & O_DIRECTORY) {
		close(pfd);
		return ENOTDIR;
	}
	if (flags & O_PATH) {
		*out = pfd;
		return 0;
	}
	close(pfd);
	if ((fd = openat(walk_cur(w), name, flags | O_NOFOLLOW)) < 0)
		return errno;
	if (fstat(fd, &st2) < 0 || st2.st_dev != st->st_dev || st2.st_ino != st->st_ino) {
		close(fd);
		return EAGAIN; /* the tree changed under the walk, as openat2 says */
	}
	*out = fd;
	return 0;
}

/* One component of the path: 0 to go on, an errno value to stop. *out
 * gets the opened file when this was the last component. */
static int
walk_step(struct walk *w, const char *name, int more, int flags, int how, int *out)
{
	struct stat st;
	int fd, err;

	if (strcmp(name, ".") == 0)
		return 0;
	if (strcmp(name, "..") == 0) {
		if (w->n == 0)
			return EXDEV;
		close(w->fd[--w->n]);
		return 0;
	}
	if ((fd = openat(walk_cur(w), name, O_PATH | O_NOFOLLOW | O_CLOEXEC)) < 0)
		return errno;
	if (fstat(fd, &st) < 0) {
		err = errno;
		close(fd);
		return err;
	}
	if (S_ISLNK(st.st_mode) && !more && (flags & O_NOFOLLOW)) {
		if (flags & O_PATH) { /* the link itself, as openat gives it */
			*out = fd;
			return 0;
		}
		close(fd);
		return ELOOP;
	}
	if (S_ISLNK(st.st_mode)) {
		err = (how & BENEATH_NO_SYMLINKS) ? ELOOP : walk_link(w, fd);
		close(fd);
		return err;
	}
	if (S_ISDIR(st.st_mode))
		return walk_push(w, fd);
	if (more) { /* "file/..." or "file/" */
		close(fd);
		return ENOTDIR;
	}
	return walk_last(w, name, fd, &st, flags, out);
}

int
beneath_walk(int dirfd, const char *rel, int flags, int how)
{
	struct walk w = { .root = dirfd };
	char name[NAME_MAX + 1];
	int fd = -1, err = 0;

	if (rel[0] == '/')
		err = EXDEV;
	else if (rel[0] == '\0')
		err = ENOENT;
	else if ((size_t)snprintf(w.path, sizeof w.path, "%s", rel) >= sizeof w.path)
		err = ENAMETOOLONG;
	w.p = w.path;
	while (err == 0 && fd < 0) {
		size_t l;

		while (*w.p == '/')
			w.p++;
		if (*w.p == '\0')
			break;
		if ((l = strcspn(w.p, "/")) > NAME_MAX) {
			err = ENAMETOOLONG;
			break;
		}
		memcpy(name, w.p, l);
		name[l] = '\0';
		w.p += l;
		err = walk_step(&w, name, *w.p == '/', flags, how, &fd);
	}
	/* the path ended on a directory: open it with the caller's flags */
	if (err == 0 && fd < 0 && (fd = openat(walk_cur(&w), ".", flags)) < 0)
		err = errno;
	walk_free(&w);
	if (err != 0) {
		errno = err;
		return -1;
	}
	return fd;
}

int
beneath_open(int dirfd, const char *rel, int flags, int how)
{
	struct open_how oh = { .flags = (uint64_t)flags, .resolve = RESOLVE_BENEATH };
	int fd;

	oh.resolve |= (how & BENEATH_NO_SYMLINKS) ? RESOLVE_NO_SYMLINKS : RESOLVE_NO_MAGICLINKS;
	fd = (int)syscall(SYS_openat2, dirfd, rel, &oh, sizeof oh);
	/* EPERM: container seccomp profiles that predate openat2 refuse it so;
	 * a real EPERM comes back from the walk's own openat */
	if (fd < 0 && (errno == ENOSYS || errno == EPERM))
		return beneath_walk(dirfd, rel, flags, how);
	return fd;
}
