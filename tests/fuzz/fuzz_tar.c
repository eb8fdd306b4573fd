/* fuzz_tar: libFuzzer target for the extraction path of `wanda-sync get`
 * (kubo_untar_fd: the same code kubo_get runs on the daemon's tar): names,
 * link targets, types. Whatever it accepts must lie inside the download:
 * every symlink written resolves beneath it, or dangles. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <linux/openat2.h>
#include "base/atomicio.h"
#include "kubo/kubo.h"
#include "fuzz.h"

static int fuzz_tar_rootfd = -1;

/* A symlink in the tree that leads out of it is the bug this target hunts. */
static int
fuzz_tar_link(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	static char base[4096];
	struct open_how how = { .flags = O_PATH | O_CLOEXEC, .resolve = RESOLVE_BENEATH };
	int fd;

	(void)st;
	if (ftw->level == 0) {
		snprintf(base, sizeof base, "%s", path);
		return 0;
	}
	if (flag != FTW_SL)
		return 0;
	fd = (int)syscall(SYS_openat2, fuzz_tar_rootfd, path + strlen(base) + 1, &how, sizeof how);
	if (fd < 0 && errno == EXDEV)
		abort();
	if (fd >= 0)
		close(fd);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char dir[64];
	char dest[128];
	struct werr e = { 0 };
	int fd = memfd_create("fuzz_tar", MFD_CLOEXEC);

	if (fd < 0)
		return 0;
	fuzz_tmpdir(dir, sizeof dir, "fuzz_tar");
	if (write(fd, data, size) != (ssize_t)size || lseek(fd, 0, SEEK_SET) != 0) {
		close(fd);
		return 0;
	}
	snprintf(dest, sizeof dest, "%s/out", dir);
	if (kubo_untar_fd(fd, dest, NULL, NULL, &e) == 0) {
		struct stat st;
		if (lstat(dest, &st) == 0 && S_ISDIR(st.st_mode) &&
		    (fuzz_tar_rootfd = open(dest, O_PATH | O_DIRECTORY | O_CLOEXEC)) >= 0) {
			nftw(dest, fuzz_tar_link, 16, FTW_PHYS);
			close(fuzz_tar_rootfd);
		}
	}
	close(fd);
	rm_tree(dest);
	return 0;
}
