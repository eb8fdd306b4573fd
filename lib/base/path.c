/* path: bounded file names that fail instead of clipping (see path.h). */
#include <stdarg.h>
#include <stdio.h>
#include <sysexits.h>
#include "base/path.h"

int
path_fmt(char *dst, size_t size, struct werr *e, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(dst, size, fmt, ap);
	va_end(ap);
	if (n >= 0 && (size_t)n < size)
		return 0;
	/* the message names the start of it: enough to know which file */
	if (n < 0)
		werr_set(e, EX_SOFTWARE, "%s: bad file name format", fmt);
	else
		werr_set(e, EX_DATAERR, "%.200s...: file name too long (%d bytes, at most %zu)", dst, n,
		    size ? size - 1 : 0);
	if (size > 0)
		dst[0] = '\0';
	return -1;
}

int
path_join(char *dst, size_t size, const char *dir, const char *name, struct werr *e)
{
	return path_fmt(dst, size, e, "%s/%s", dir, name);
}
