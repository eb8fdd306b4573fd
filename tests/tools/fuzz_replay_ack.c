/* fuzz_replay_ack: replay corpus files through the ack fuzz target
 * (tests/fuzz/fuzz_ack.c, which includes a cmd/ file: a program of its own).
 *   fuzz_replay_ack FILE...
 * Exit 0 when every input ran; a crash or abort is the failure signal. */
#define LLVMFuzzerTestOneInput fuzz_one
#include "../fuzz/fuzz_ack.c"
#undef LLVMFuzzerTestOneInput

int
main(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		char *buf;
		size_t n;
		struct werr e = {0};

		if (read_file(argv[i], &buf, &n, &e) < 0)
			errx(EX_NOINPUT, "%s", e.msg);
		fuzz_one((const uint8_t *)buf, n);
		free(buf);
	}
	return 0;
}
