/* replay_main: run corpus files through one libFuzzer target without
 * libFuzzer, so the normal (coverage, sanitizer) builds replay the corpora.
 * The Makefile links it with each tests/fuzz/fuzz_NAME.c into
 * BUILD/tests/replay_NAME:
 *   replay_NAME FILE...
 * Exit 0 when every input ran; a crash or abort is the failure signal. */
#include <err.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sysexits.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
main(int argc, char **argv)
{
	if (argc < 2)
		errx(EX_USAGE, "usage: replay_TARGET FILE...");
	for (int i = 1; i < argc; i++) {
		FILE *f = fopen(argv[i], "rb");
		uint8_t *buf = NULL;
		size_t n = 0, cap = 0, k;

		if (f == NULL)
			err(EX_NOINPUT, "%s", argv[i]);
		do {
			if (n == cap && (buf = realloc(buf, cap = cap ? cap * 2 : 4096)) == NULL)
				err(EX_OSERR, "%s", argv[i]);
			k = fread(buf + n, 1, cap - n, f);
			n += k;
		} while (k > 0);
		fclose(f);
		LLVMFuzzerTestOneInput(buf, n);
		free(buf);
	}
	return 0;
}
