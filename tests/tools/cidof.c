/* cidof FILE...: each file's CID with WANDA's profile, "CID<TAB>FILE".
 * cidof -c CID...: each CID re-spelled as CIDv1 base32 (or v0 as is), one
 * a line: compares CIDs that daemons print in another base. For the tests. */
#include <err.h>
#include <stdio.h>
#include <string.h>
#include "ipld/cid.h"
#include "ipld/importer.h"

int
main(int argc, char **argv)
{
	struct import_opts o;
	struct werr e = { 0 };
	char buf[CID_STR_MAX];
	struct cid c;
	int conv = argc > 1 && strcmp(argv[1], "-c") == 0, rc = 0;

	import_opts_wanda(&o);
	for (int i = 1 + conv; i < argc; i++) {
		if (conv ? cid_parse(argv[i], &c, &e) < 0 :
		           import_path(argv[i], &o, NULL, NULL, &c, NULL, NULL, &e) < 0) {
			warnx("%s", e.msg);
			rc = 1;
			continue;
		}
		if (cid_format(&c, c.version == 0 ? 0 : 'b', buf, sizeof buf, &e) < 0)
			errx(1, "%s", e.msg);
		if (conv)
			printf("%s\n", buf);
		else
			printf("%s\t%s\n", buf, argv[i]);
	}
	return rc;
}
