/* Unit tests for beneath: the user-space walk (the fallback for kernels
 * and emulators without openat2) on a tree of traps, each case checked
 * for what it opens or the errno it gives, and, where the kernel has
 * openat2, against openat2(RESOLVE_BENEATH) itself. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <linux/openat2.h>
#include "tap.h"
#include "base/beneath.h"

struct tcase {
	const char *rel;
	int flags, how;
	const char *want; /* the file it must open (below root), or NULL */
	int err;          /* else the errno */
};

static const struct tcase cases[] = {
	{ "d/f", O_RDONLY, 0, "d/f", 0 },
	{ "d", O_PATH | O_DIRECTORY, 0, "d", 0 },
	{ ".", O_PATH | O_DIRECTORY, 0, ".", 0 },
	{ "d//e/./", O_PATH | O_DIRECTORY, 0, "d/e", 0 },
	{ "d/../f", O_PATH, 0, "f", 0 },
	{ "", O_PATH, 0, NULL, ENOENT },
	{ "/etc", O_PATH, 0, NULL, EXDEV },
	{ "..", O_PATH, 0, NULL, EXDEV },
	{ "d/../..", O_PATH, 0, NULL, EXDEV },
	{ "d/e/../../../root/f", O_PATH, 0, NULL, EXDEV },
	{ "up", O_PATH, 0, NULL, EXDEV },
	{ "up/root/f", O_PATH, 0, NULL, EXDEV },
	{ "d/up/f", O_PATH, 0, "f", 0 },
	{ "d/up2", O_PATH, 0, NULL, EXDEV },
	{ "d/back", O_PATH, 0, NULL, EXDEV },
	{ "abs", O_PATH, 0, NULL, EXDEV },
	{ "ld/f", O_PATH, 0, "d/f", 0 },
	{ "ld/f", O_PATH, BENEATH_NO_SYMLINKS, NULL, ELOOP },
	{ "ld", O_PATH | O_DIRECTORY, BENEATH_NO_SYMLINKS, NULL, ELOOP },
	{ "d/e", O_PATH | O_DIRECTORY, BENEATH_NO_SYMLINKS, "d/e", 0 },
	{ "lf", O_RDONLY, 0, "d/f", 0 },
	{ "lf", O_PATH | O_NOFOLLOW, 0, "lf", 0 },
	{ "lf", O_RDONLY | O_NOFOLLOW, 0, NULL, ELOOP },
	{ "ld/../f", O_PATH, 0, "f", 0 },
	{ "ld/up2", O_PATH, 0, NULL, EXDEV },
	{ "chain", O_PATH, 0, "d/f", 0 },
	{ "loop1", O_PATH, 0, NULL, ELOOP },
	{ "dangle", O_PATH, 0, NULL, ENOENT },
	{ "f/", O_PATH, 0, NULL, ENOTDIR },
	{ "f/x", O_PATH, 0, NULL, ENOTDIR },
	{ "d/f", O_PATH | O_DIRECTORY, 0, NULL, ENOTDIR },
	{ "ld", O_PATH | O_DIRECTORY, 0, "d", 0 },
	{ "d/nothere", O_PATH, 0, NULL, ENOENT },
};

/* root/: d/ d/e/ d/f f, and links: up -> .., d/up -> .., d/up2 -> ../..,
 * d/back -> ../../root/d (out and back in: still out), abs -> /etc,
 * ld -> d, lf -> d/f, chain -> ld/up/lf, loop1 <-> loop2, dangle */
static int
make_tree(const char *top)
{
	char root[512];
	int fd, rc = 0;

	snprintf(root, sizeof root, "%s/root", top);
	rc |= mkdir(root, 0700);
	if (chdir(root) < 0)
		return -1;
	rc |= mkdir("d", 0700) | mkdir("d/e", 0700);
	if ((fd = open("d/f", O_WRONLY | O_CREAT, 0600)) < 0 || write(fd, "df", 2) != 2)
		return -1;
	close(fd);
	if ((fd = open("f", O_WRONLY | O_CREAT, 0600)) < 0)
		return -1;
	close(fd);
	rc |= symlink("..", "up") | symlink("..", "d/up") | symlink("../..", "d/up2");
	rc |= symlink("../../root/d", "d/back") | symlink("/etc", "abs");
	rc |= symlink("d", "ld") | symlink("d/f", "lf") | symlink("ld/up/lf", "chain");
	rc |= symlink("loop2", "loop1") | symlink("loop1", "loop2") | symlink("nothere", "dangle");
	return rc;
}

/* "ok", or what went wrong: the fd is not `want`, or the errno differs */
static const char *
judge(int rootfd, const struct tcase *c, int fd, int err)
{
	struct stat a, b;

	if (c->want == NULL) {
		if (fd >= 0) {
			close(fd);
			return "opened what it must refuse";
		}
		return err == c->err ? "ok" : strerror(err);
	}
	if (fd < 0)
		return strerror(err);
	if (fstatat(rootfd, c->want, &b, strcmp(c->want, "lf") == 0 ? AT_SYMLINK_NOFOLLOW : 0) < 0 ||
	    fstat(fd, &a) < 0 || a.st_ino != b.st_ino || a.st_dev != b.st_dev) {
		close(fd);
		return "opened another file";
	}
	close(fd);
	return "ok";
}

static int
kernel_openat2(int rootfd, const struct tcase *c)
{
	struct open_how how = { .flags = (uint64_t)c->flags, .resolve = RESOLVE_BENEATH };

	how.resolve |= c->how ? RESOLVE_NO_SYMLINKS : RESOLVE_NO_MAGICLINKS;
	return (int)syscall(SYS_openat2, rootfd, c->rel, &how, sizeof how);
}

static void
test_cases(int rootfd, int have_openat2)
{
	size_t i;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		const struct tcase *c = &cases[i];
		int fd = beneath_walk(rootfd, c->rel, c->flags | O_CLOEXEC, c->how);

		is_str(judge(rootfd, c, fd, errno), "ok", "walk '%s' (how %d): %s", c->rel, c->how,
		    c->want ? c->want : strerror(c->err));
		if (!have_openat2)
			continue;
		fd = kernel_openat2(rootfd, c);
		is_str(judge(rootfd, c, fd, errno), "ok", "openat2 agrees on '%s' (how %d)", c->rel, c->how);
	}
}

/* the walk gives a readable fd for O_RDONLY, beneath_open likewise */
static void
test_read(int rootfd)
{
	char b[4] = "";
	int fd = beneath_walk(rootfd, "ld/f", O_RDONLY | O_CLOEXEC, 0);

	ok(fd >= 0 && read(fd, b, sizeof b) == 2 && memcmp(b, "df", 2) == 0, "walk: read through a link");
	if (fd >= 0)
		close(fd);
	fd = beneath_open(rootfd, "chain", O_RDONLY | O_CLOEXEC, 0);
	ok(fd >= 0 && read(fd, b, sizeof b) == 2, "beneath_open: read through a chain of links");
	if (fd >= 0)
		close(fd);
	ok(beneath_open(rootfd, "up/root/f", O_RDONLY, 0) < 0 && errno == EXDEV, "beneath_open: out is EXDEV");
}

/* names and paths too long for the buffers are refused, not truncated */
static void
test_long(int rootfd)
{
	char name[300], path[5000];

	memset(name, 'a', sizeof name - 1);
	name[sizeof name - 1] = '\0';
	ok(beneath_walk(rootfd, name, O_PATH, 0) < 0 && errno == ENAMETOOLONG, "a 299-byte name");
	memset(path, '/', sizeof path - 1);
	path[0] = 'd';
	path[sizeof path - 1] = '\0';
	ok(beneath_walk(rootfd, path, O_PATH, 0) < 0 && errno == ENAMETOOLONG, "a path over PATH_MAX");
}

int
main(void)
{
	char top[] = "/tmp/test_beneath.XXXXXX", root[64];
	int rootfd, have;
	struct open_how how = { .flags = O_PATH, .resolve = RESOLVE_BENEATH };

	if (mkdtemp(top) == NULL || make_tree(top) < 0) {
		printf("not ok 1 - the tree of traps\n1..1\n");
		return 1;
	}
	snprintf(root, sizeof root, "%s/root", top);
	rootfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	/* qemu-user 7.2 and kernels before 5.6: only the walk is tested */
	have = syscall(SYS_openat2, rootfd, ".", &how, sizeof how) >= 0 || errno != ENOSYS;
	printf("# openat2 %s\n", have ? "present: compared with the walk" : "absent (ENOSYS)");
	test_cases(rootfd, have);
	test_read(rootfd);
	test_long(rootfd);
	close(rootfd);
	if (chdir("/") == 0) {
		char cmd[128];

		snprintf(cmd, sizeof cmd, "rm -rf %s", top);
		if (system(cmd) != 0)
			printf("# could not remove %s\n", top);
	}
	return done_testing();
}
