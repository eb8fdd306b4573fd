/* buf: the one growable buffer (git's strbuf, curl's dynbuf). Bytes plus
 * a NUL kept after them, so b.p is a C string when the content is text.
 * Growth doubles, every realloc is checked, and a failure leaves the
 * buffer as it was and reports EX_OSERR through werr (e may be NULL).
 *   struct buf b = BUF_INIT;  ...buf_add(&b, p, n, e)...;  buf_free(&b); */
#ifndef WANDA_BUF_H
#define WANDA_BUF_H
#include <stddef.h>
#include "base/werr.h"

struct buf {
	char *p;    /* NULL until something was added */
	size_t len; /* bytes in use, the NUL not counted */
	size_t cap; /* bytes allocated */
};
#define BUF_INIT \
	{ \
		NULL, 0, 0 \
	}

/* Room for n more bytes (and the NUL). */
int buf_grow(struct buf *b, size_t n, struct werr *e);
int buf_add(struct buf *b, const void *p, size_t n, struct werr *e);
int buf_addstr(struct buf *b, const char *s, struct werr *e);
int buf_printf(struct buf *b, struct werr *e, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Empty it, keeping the memory. */
void buf_reset(struct buf *b);
/* Hand the memory to the caller ("" rather than NULL when empty; NULL
 * only when even that cannot be allocated); b is empty afterwards. */
char *buf_detach(struct buf *b, size_t *len);
void buf_free(struct buf *b);

/* Bounded text (a label, a message, never a file name: see path.h): printf
 * into dst, and a text that does not fit is cut visibly, ending in "...".
 * Returns 1 when it was cut, 0 when not. */
int text_fmt(char *dst, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Arrays: make *pv hold at least need elements of size bytes, doubling
 * *cap (from min); *pv and *cap unchanged on failure (EX_OSERR). */
int buf_grow_array(void *pv, size_t *cap, size_t need, size_t size, size_t min, struct werr *e);

#endif
