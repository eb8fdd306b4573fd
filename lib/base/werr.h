/* werr: how library code reports an error without exiting.
 * Every fallible lib function takes a `struct werr *` and returns -1 (or NULL)
 * after werr_set(); the command prints e.msg with errx(3) and exits e.code,
 * which is always a sysexits.h value. */
#ifndef WANDA_WERR_H
#define WANDA_WERR_H
#include <sysexits.h>

struct werr {
	int code;      /* sysexits.h code, 0 when no error */
	char msg[512]; /* one line, names the file or argument at fault */
};

/* Set the error (printf-style). Always returns -1 so callers can
 * `return werr_set(e, EX_DATAERR, "%s: bad varint", path);`.
 * A NULL e is allowed and ignored. */
int werr_set(struct werr *e, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Same, appending ": strerror(errno)". */
int werr_sys(struct werr *e, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Prefix an existing message with "what: " (keeps the code). Returns -1. */
int werr_prefix(struct werr *e, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
