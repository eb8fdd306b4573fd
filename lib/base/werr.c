#include "base/werr.h"
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* The one place a message is set: printf-style, then ": strerror(*errnum)"
 * unless errnum is NULL. errno is left as the caller had it. */
static void
werr_vset(struct werr *e, int code, const int *errnum, const char *fmt, va_list ap)
{
	int saved = errno;
	size_t n;

	if (e == NULL)
		return;
	e->code = code;
	vsnprintf(e->msg, sizeof e->msg, fmt, ap);
	if (errnum) {
		n = strlen(e->msg);
		snprintf(e->msg + n, sizeof e->msg - n, ": %s", strerror(*errnum));
	}
	errno = saved;
}

int
werr_set(struct werr *e, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	werr_vset(e, code, NULL, fmt, ap);
	va_end(ap);
	return -1;
}

int
werr_sys(struct werr *e, int code, const char *fmt, ...)
{
	va_list ap;
	int saved = errno; /* before va_start can touch it */

	va_start(ap, fmt);
	werr_vset(e, code, &saved, fmt, ap);
	va_end(ap);
	return -1;
}

int
werr_prefix(struct werr *e, const char *fmt, ...)
{
	char head[256], old[sizeof e->msg];
	va_list ap;

	if (e == NULL)
		return -1;
	va_start(ap, fmt);
	vsnprintf(head, sizeof head, fmt, ap);
	va_end(ap);
	memcpy(old, e->msg, sizeof old);
	/* still one bounded line: a message cut short says so */
	if (snprintf(e->msg, sizeof e->msg, "%s: %s", head, old) >= (int)sizeof e->msg)
		memcpy(e->msg + sizeof e->msg - 4, "...", 4);
	return -1;
}
