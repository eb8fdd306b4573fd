/* spool_add SPOOL_DIR ID JSON: queue an entry as wanda-capture does
 * (lib/spool's spool_add), for the tests. */
#include <err.h>
#include <stdio.h>
#include "spool/spool.h"

int
main(int argc, char **argv)
{
	struct werr e = { 0 };
	cJSON *o;

	if (argc != 4)
		errx(EX_USAGE, "usage: spool_add SPOOL_DIR ID JSON");
	if ((o = cJSON_Parse(argv[3])) == NULL)
		errx(EX_DATAERR, "%s: not JSON", argv[3]);
	if (spool_init(argv[1], &e) < 0 || spool_add(argv[1], argv[2], o, &e) < 0)
		errx(e.code, "%s", e.msg);
	cJSON_Delete(o);
	return 0;
}
