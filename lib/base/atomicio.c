#include "base/atomicio.h"
#include "base/buf.h"
#include "base/path.h"
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <libgen.h>
#include <sys/statvfs.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

int
write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int
fsync_dir(const char *dir, struct werr *e)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		return werr_sys(e, EX_IOERR, "%s", dir);
	if (fsync(fd) < 0 && errno != EINVAL) {
		close(fd);
		return werr_sys(e, EX_IOERR, "fsync %s", dir);
	}
	close(fd);
	return 0;
}

int
fsync_parent(const char *path, struct werr *e)
{
	char buf[PATH_MAX];

	if (path_fmt(buf, sizeof buf, e, "%s", path) < 0)
		return -1;
	return fsync_dir(dirname(buf), e);
}

int
atomic_open(struct atomic_file *af, const char *path, struct werr *e)
{
	char dir[PATH_MAX], base[PATH_MAX];

	af->fd = -1;
	if (path_fmt(dir, sizeof dir, e, "%s", path) < 0 || path_fmt(base, sizeof base, e, "%s", path) < 0 ||
	    path_fmt(af->path, sizeof af->path, e, "%s", path) < 0 ||
	    path_fmt(af->tmp, sizeof af->tmp, e, "%s/.%s.tmp.XXXXXX", dirname(dir), basename(base)) < 0)
		return -1;
	af->fd = mkostemp(af->tmp, O_CLOEXEC);
	if (af->fd < 0)
		return werr_sys(e, EX_CANTCREAT, "%s", path);
	fchmod(af->fd, 0644);
	return 0;
}

int
atomic_commit(struct atomic_file *af, struct werr *e)
{
	if (fsync(af->fd) < 0) {
		werr_sys(e, EX_IOERR, "%s", af->path);
		atomic_abort(af);
		return -1;
	}
	if (close(af->fd) < 0) {
		af->fd = -1;
		werr_sys(e, EX_IOERR, "%s", af->path);
		atomic_abort(af);
		return -1;
	}
	af->fd = -1;
	if (rename(af->tmp, af->path) < 0) {
		werr_sys(e, EX_CANTCREAT, "%s", af->path);
		atomic_abort(af);
		return -1;
	}
	return fsync_parent(af->path, e);
}

void
atomic_abort(struct atomic_file *af)
{
	if (af->fd >= 0)
		close(af->fd);
	af->fd = -1;
	unlink(af->tmp);
}

int
atomic_write(const char *path, const void *buf, size_t len, struct werr *e)
{
	struct atomic_file af;

	if (atomic_open(&af, path, e) < 0)
		return -1;
	if (write_all(af.fd, buf, len) < 0) {
		werr_sys(e, EX_IOERR, "%s", path);
		atomic_abort(&af);
		return -1;
	}
	return atomic_commit(&af, e);
}

int
rename_durable(const char *from, const char *to, struct werr *e)
{
	char a[PATH_MAX], b[PATH_MAX];

	if (rename(from, to) < 0)
		return werr_sys(e, EX_IOERR, "rename %s -> %s", from, to);
	if (path_fmt(a, sizeof a, e, "%s", from) < 0 || path_fmt(b, sizeof b, e, "%s", to) < 0)
		return -1;
	if (fsync_dir(dirname(b), e) < 0)
		return -1;
	if (strcmp(a, b) != 0)
		return fsync_parent(from, e);
	return 0;
}

int
mkdir_p(const char *path, mode_t mode, struct werr *e)
{
	char buf[PATH_MAX];
	size_t n = strlen(path);

	if (n == 0 || n >= sizeof buf)
		return werr_set(e, EX_USAGE, "%s: bad directory path", path);
	memcpy(buf, path, n + 1);
	for (char *p = buf + 1;; p++) {
		if (*p == '/' || *p == '\0') {
			char c = *p;
			*p = '\0';
			if (mkdir(buf, mode) < 0 && errno != EEXIST)
				return werr_sys(e, EX_CANTCREAT, "%s", buf);
			*p = c;
			if (c == '\0')
				break;
		}
	}
	return 0;
}

static int
open_regular_flags(const char *path, int flags, struct werr *e)
{
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | flags), fl;
	struct stat st;

	if (fd < 0 && errno == ELOOP && (flags & O_NOFOLLOW))
		return werr_set(e, EX_DATAERR, "%s: a symlink, not a regular file", path);
	if (fd < 0)
		return werr_sys(e, errno == ENOENT ? EX_NOINPUT : EX_IOERR, "%s", path);
	if (fstat(fd, &st) < 0 || (fl = fcntl(fd, F_GETFL)) < 0 || fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) < 0) {
		werr_sys(e, EX_IOERR, "%s", path);
		close(fd);
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		return werr_set(e, EX_DATAERR, "%s: not a regular file", path);
	}
	return fd;
}

int
open_regular(const char *path, struct werr *e)
{
	return open_regular_flags(path, 0, e);
}

int
open_regular_nofollow(const char *path, struct werr *e)
{
	return open_regular_flags(path, O_NOFOLLOW, e);
}

int
read_file(const char *path, char **out, size_t *len, struct werr *e)
{
	return read_file_max(path, SIZE_MAX - 1, out, len, e);
}

int
read_file_max(const char *path, size_t max, char **out, size_t *len, struct werr *e)
{
	int fd = open_regular(path, e);
	FILE *f;
	struct buf b = BUF_INIT;
	size_t r;

	if (fd < 0)
		return -1;
	if ((f = fdopen(fd, "rb")) == NULL) {
		close(fd);
		return werr_sys(e, EX_OSERR, "%s", path);
	}
	do {
		if (buf_grow(&b, 8192, e) < 0) {
			buf_free(&b);
			fclose(f);
			return werr_prefix(e, "%s", path);
		}
		r = fread(b.p + b.len, 1, b.cap - b.len - 1, f);
		b.len += r;
		b.p[b.len] = '\0';
		if (b.len > max) {
			buf_free(&b);
			fclose(f);
			return werr_set(e, EX_DATAERR, "%s: over %zu bytes", path, max);
		}
	} while (r > 0);
	if (ferror(f)) {
		buf_free(&b);
		fclose(f);
		return werr_sys(e, EX_IOERR, "%s", path);
	}
	fclose(f);
	*out = buf_detach(&b, len);
	return 0;
}

int
disk_free(const char *path, uint64_t *bytes, struct werr *e)
{
	struct statvfs sv;

	if (statvfs(path, &sv) < 0)
		return werr_sys(e, EX_IOERR, "%s", path);
	*bytes = (uint64_t)sv.f_bavail * (uint64_t)sv.f_frsize;
	return 0;
}

int
dir_lock(const char *dir, int how, int open_code, struct werr *e)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		return werr_sys(e, open_code, "%s", dir);
	while (flock(fd, how) < 0) {
		if (errno != EINTR) {
			if (errno != EWOULDBLOCK)
				werr_sys(e, EX_OSERR, "lock %s", dir);
			else
				werr_set(e, 0, "busy");
			close(fd);
			return -1;
		}
	}
	return fd;
}

static int
rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	remove(path);
	return 0;
}

void
rm_tree(const char *dir)
{
	nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}
