/* fuzz_replay: run corpus files through the libFuzzer targets without
 * libFuzzer, so the normal (coverage, sanitizer) builds replay the corpora.
 *   fuzz_replay cid|car|jpegdc|tar|config|sidecar FILE...
 * (the targets that include a cmd/ file have their own: fuzz_replay_ack,
 * fuzz_replay_spoolline) 
 * Exit 0 when every input ran; a crash or abort is the failure signal. */
#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#define LLVMFuzzerTestOneInput fuzz_cid_one
#include "../fuzz/fuzz_cid.c"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput fuzz_car_one
#include "../fuzz/fuzz_car.c"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput fuzz_jpegdc_one
#include "../fuzz/fuzz_jpegdc.c"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput fuzz_tar_one
#include "../fuzz/fuzz_tar.c"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput fuzz_config_one
#include "../fuzz/fuzz_config.c"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput fuzz_sidecar_one
#include "../fuzz/fuzz_sidecar.c"
#undef LLVMFuzzerTestOneInput

int
main(int argc, char **argv)
{
	int (*fn)(const uint8_t *, size_t);

	if (argc < 3)
		errx(EX_USAGE, "usage: fuzz_replay cid|car|jpegdc|tar|config|sidecar FILE...");
	if (strcmp(argv[1], "cid") == 0)
		fn = fuzz_cid_one;
	else if (strcmp(argv[1], "car") == 0)
		fn = fuzz_car_one;
	else if (strcmp(argv[1], "jpegdc") == 0)
		fn = fuzz_jpegdc_one;
	else if (strcmp(argv[1], "tar") == 0)
		fn = fuzz_tar_one;
	else if (strcmp(argv[1], "config") == 0)
		fn = fuzz_config_one;
	else if (strcmp(argv[1], "sidecar") == 0)
		fn = fuzz_sidecar_one;
	else
		errx(EX_USAGE, "%s: unknown target (cid, car, jpegdc, tar, config or sidecar)", argv[1]);
	for (int i = 2; i < argc; i++) {
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
		fn(buf, n);
		free(buf);
	}
	return 0;
}
