/* buf: growable buffer and array growth (see buf.h). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include "base/buf.h"

int
buf_grow(struct buf *b, size_t n, struct werr *e)
{
	size_t cap = b->cap ? b->cap : 64;
	char *q;

	/* no object may be larger than PTRDIFF_MAX (pointer differences must
	 * fit), and asking the allocator for more aborts under ASan */
	if (n > (size_t)PTRDIFF_MAX - b->len - 1)
		return werr_set(e, EX_OSERR, "buffer: %zu + %zu bytes: too large", b->len, n);
	if (b->len + n + 1 <= b->cap)
		return 0;
	while (cap < b->len + n + 1)
		cap = cap > (size_t)PTRDIFF_MAX / 2 ? b->len + n + 1 : cap * 2;
	if ((q = realloc(b->p, cap)) == NULL)
		return werr_set(e, EX_OSERR, "buffer: out of memory for %zu bytes", cap);
	b->p = q;
	b->cap = cap;
	return 0;
}

int
buf_add(struct buf *b, const void *p, size_t n, struct werr *e)
{
	if (buf_grow(b, n, e) < 0)
		return -1;
	if (n > 0)
		memcpy(b->p + b->len, p, n);
	b->len += n;
	b->p[b->len] = '\0';
	return 0;
}

int
buf_addstr(struct buf *b, const char *s, struct werr *e)
{
	return buf_add(b, s, strlen(s), e);
}

int
buf_printf(struct buf *b, struct werr *e, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return werr_set(e, EX_SOFTWARE, "buffer: bad format");
	if (buf_grow(b, (size_t)n, e) < 0)
		return -1;
	va_start(ap, fmt);
	vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
	return 0;
}

void
buf_reset(struct buf *b)
{
	b->len = 0;
	if (b->p)
		b->p[0] = '\0';
}

char *
buf_detach(struct buf *b, size_t *len)
{
	char *p = b->p ? b->p : calloc(1, 1);

	if (len)
		*len = b->len;
	b->p = NULL;
	b->len = b->cap = 0;
	return p;
}

void
buf_free(struct buf *b)
{
	free(b->p);
	b->p = NULL;
	b->len = b->cap = 0;
}

int
buf_grow_array(void *pv, size_t *cap, size_t need, size_t size, size_t min, struct werr *e)
{
	void **v = pv, *q;
	size_t n = *cap ? *cap : (min ? min : 1);

	if (need <= *cap)
		return 0;
	while (n < need)
		n = n > SIZE_MAX / 2 ? need : n * 2;
	if (size && n > (size_t)PTRDIFF_MAX / size)
		return werr_set(e, EX_OSERR, "array: %zu elements of %zu bytes: too large", n, size);
	if ((q = realloc(*v, n * size)) == NULL)
		return werr_set(e, EX_OSERR, "array: out of memory for %zu elements", n);
	*v = q;
	*cap = n;
	return 0;
}

int
text_fmt(char *dst, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (size == 0)
		return 1;
	va_start(ap, fmt);
	n = vsnprintf(dst, size, fmt, ap);
	va_end(ap);
	if (n < 0) {
		dst[0] = '\0';
		return 1;
	}
	if ((size_t)n < size)
		return 0;
	if (size > 3)
		memcpy(dst + size - 4, "...", 4);
	return 1;
}
