/* Unit tests for lib/base/path: bounded file names that never clip. */
#include <limits.h>
#include <string.h>
#include <sysexits.h>
#include "tap.h"
#include "base/path.h"

static void
test_fits(void)
{
	struct werr e = { 0 };
	char p[16];

	ok(path_join(p, sizeof p, "/a/b", "c.json", &e) == 0 && strcmp(p, "/a/b/c.json") == 0, "join");
	ok(path_fmt(p, sizeof p, &e, "%s/%s.%d", "d", "n", 7) == 0 && strcmp(p, "d/n.7") == 0, "format");
	ok(path_join(p, sizeof p, "012345", "01234567", &e) == 0 && strlen(p) == 15,
	    "exactly the buffer (15 bytes and the NUL)");
	ok(e.code == 0, "no error set when it fits");
}

static void
test_too_long(void)
{
	struct werr e = { 0 };
	char p[16], dir[PATH_MAX + 10];

	ok(path_join(p, sizeof p, "0123456", "01234567", &e) < 0, "one byte over fails");
	ok(e.code == EX_DATAERR, "EX_DATAERR");
	ok(strstr(e.msg, "0123456/") == e.msg && strstr(e.msg, "too long") != NULL,
	    "the message names the path: %s", e.msg);
	ok(p[0] == '\0', "no clipped name is left in the buffer");
	memset(dir, 'x', sizeof dir - 1);
	dir[sizeof dir - 1] = '\0';
	{
		char q[PATH_MAX];
		ok(path_join(q, sizeof q, dir, "f", &e) < 0 && strlen(e.msg) < sizeof e.msg - 1,
		    "a huge directory: one bounded line");
	}
	ok(path_fmt(p, sizeof p, NULL, "%s", "far too long for it") < 0, "a NULL werr is allowed");
}

int
main(void)
{
	test_fits();
	test_too_long();
	return done_testing();
}
