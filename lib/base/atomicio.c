#include "base/atomicio.h"
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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
	char buf[4096];

	snprintf(buf, sizeof buf, "%s", path);
	return fsync_dir(dirname(buf), e);
}

int
atomic_open(struct atomic_file *af, const char *path, struct werr *e)
{
	char dir[4096], base[4096];

	snprintf(dir, sizeof dir, "%s", path);
	snprintf(base, sizeof base, "%s", path);
	snprintf(af->path, sizeof af->path, "%s", path);
	snprintf(af->tmp, sizeof af->tmp, "%s/.%s.tmp.XXXXXX", dirname(dir), basename(base));
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
	char a[4096], b[4096];

	if (rename(from, to) < 0)
		return werr_sys(e, EX_IOERR, "rename %s -> %s", from, to);
	snprintf(a, sizeof a, "%s", from);
	snprintf(b, sizeof b, "%s", to);
	if (fsync_dir(dirname(b), e) < 0)
		return -1;
	if (strcmp(a, b) != 0)
		return fsync_parent(from, e);
	return 0;
}

int
mkdir_p(const char *path, mode_t mode, struct werr *e)
{
	char buf[4096];
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
	int fd = open_regular(path, e);
	FILE *f;
	char *buf = NULL;
	size_t n = 0, cap = 0;

	if (fd < 0)
		return -1;
	if ((f = fdopen(fd, "rb")) == NULL) {
		close(fd);
		return werr_sys(e, EX_OSERR, "%s", path);
	}
	for (;;) {
		if (cap - n < 4096) {
			char *nb;
			cap = cap ? cap * 2 : 8192;
			if ((nb = realloc(buf, cap + 1)) == NULL) {
				free(buf);
				fclose(f);
				return werr_sys(e, EX_OSERR, "%s", path);
			}
			buf = nb;
		}
		size_t r = fread(buf + n, 1, cap - n, f);
		n += r;
		if (r == 0)
			break;
	}
	if (ferror(f)) {
		free(buf);
		fclose(f);
		return werr_sys(e, EX_IOERR, "%s", path);
	}
	fclose(f);
	buf[n] = '\0';
	*out = buf;
	if (len)
		*len = n;
	return 0;
}
