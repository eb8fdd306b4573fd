/* atomicio: crash-safe file writes. A file WANDA writes is either the old
 * version or the whole new one: write to a temp file in the same directory,
 * fsync it, rename over the target, fsync the directory. */
#ifndef WANDA_ATOMICIO_H
#define WANDA_ATOMICIO_H
#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "base/werr.h"

int atomic_write(const char *path, const void *buf, size_t len, struct werr *e);

/* Streaming variant: open a temp file beside `path`, write to the fd,
 * then atomic_commit() (fsync, rename, fsync dir) or atomic_abort(). */
struct atomic_file {
	int fd;
	char tmp[PATH_MAX];
	char path[PATH_MAX];
};
int atomic_open(struct atomic_file *af, const char *path, struct werr *e);
int atomic_commit(struct atomic_file *af, struct werr *e);
void atomic_abort(struct atomic_file *af);

/* Rename and fsync both directories. */
int rename_durable(const char *from, const char *to, struct werr *e);
int fsync_dir(const char *dir, struct werr *e);
/* fsync the directory that contains path. */
int fsync_parent(const char *path, struct werr *e);
int mkdir_p(const char *path, mode_t mode, struct werr *e);
/* write all of buf, retrying short writes and EINTR. */
int write_all(int fd, const void *buf, size_t len);
/* Read a whole (small) file; *out is NUL-terminated, free() it. */
int read_file(const char *path, char **out, size_t *len, struct werr *e);
/* The same, refusing a file over max bytes (EX_DATAERR, naming it) before
 * it reads more than max + 1 bytes of it. */
int read_file_max(const char *path, size_t max, char **out, size_t *len, struct werr *e);
/* Open an input file for reading: opened without blocking (a FIFO would
 * hang in open), then refused unless it is a regular file (EX_DATAERR
 * "not a regular file"; missing: EX_NOINPUT). The fd is blocking again. */
int open_regular(const char *path, struct werr *e);
/* The same, for a path from hostile data (a stick, a peer): a symlink is
 * refused too (EX_DATAERR), never followed. */
int open_regular_nofollow(const char *path, struct werr *e);
/* Remove dir and everything below it, best effort, never following a
 * symlink (a link is removed, not what it points at). */
void rm_tree(const char *dir);
/* Open directory dir and flock it (how: LOCK_SH or LOCK_EX, with LOCK_NB
 * not to wait): the locked fd, or -1 with e: open_code naming dir when it
 * cannot be opened, EX_OSERR when flock fails, code 0 and "busy" when
 * LOCK_NB found it held. Every writer of a directory's files takes it. */
int dir_lock(const char *dir, int how, int open_code, struct werr *e);
/* Bytes free for an unprivileged writer on the filesystem holding path. */
int disk_free(const char *path, uint64_t *bytes, struct werr *e);

#endif
