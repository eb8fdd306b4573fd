/* announce_check: parse discovery messages with the real parser and print
 * one line per file: "ok" or the reason it is dropped (announce.h names).
 *   announce_check FILE...   (- for stdin) */
#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <sysexits.h>
#include "net/announce.h"

int
main(int argc, char **argv)
{
	static char buf[ANNOUNCE_MAX_BYTES * 2];

	if (argc < 2)
		errx(EX_USAGE, "usage: announce_check FILE...");
	for (int i = 1; i < argc; i++) {
		FILE *f = argv[i][0] == '-' && argv[i][1] == '\0' ? stdin : fopen(argv[i], "rb");
		struct announce a;
		struct werr e = { 0 };
		size_t n;

		if (f == NULL)
			err(EX_NOINPUT, "%s", argv[i]);
		n = fread(buf, 1, sizeof buf, f);
		if (f != stdin)
			fclose(f);
		printf("%s\n", announce_err_name(announce_parse(buf, n, &a, &e)));
	}
	return 0;
}
