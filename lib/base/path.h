/* path: the one way to build a file name. The name is formatted into the
 * caller's bounded buffer (PATH_MAX by convention) and a name that does not
 * fit is an error through werr naming it (EX_DATAERR: the directory or name
 * it came from is too long), never a clipped name that would open, create or
 * remove some other file.
 *   char p[PATH_MAX];
 *   if (path_join(p, sizeof p, dir, name, e) < 0) return -1; */
#ifndef WANDA_PATH_H
#define WANDA_PATH_H
#include <stddef.h>
#include "base/werr.h"

/* printf into dst (size bytes, NUL included); 0, or -1 with dst == "". */
int path_fmt(char *dst, size_t size, struct werr *e, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* dir "/" name */
int path_join(char *dst, size_t size, const char *dir, const char *name, struct werr *e);

#endif
