/* fuzz_cid: libFuzzer target for the CID parsers. The input is tried as a
 * CID string (cid_parse, every multibase) and as binary (cid_from_bytes);
 * whatever parses must format and parse back to the same CID. A mismatch
 * aborts, so the fuzzer reports it like a crash. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "ipld/cid.h"
#include "ipld/multibase.h"

static void
fuzz_cid_text(const uint8_t *data, size_t size)
{
	static const char bases[] = "bBzkKfFmMuU";
	char *s = malloc(size + 1), out[CID_STR_MAX];
	struct cid c, d;
	uint8_t buf[256];
	size_t n;

	if (s == NULL)
		return;
	memcpy(s, data, size);
	s[size] = '\0';
	mb_decode(s, buf, sizeof buf, &n, NULL, NULL);
	if (cid_parse(s, &c, NULL) == 0) {
		for (const char *b = bases; *b; b++) {
			char base = c.version == 0 ? 0 : *b;
			if (cid_format(&c, base, out, sizeof out, NULL) < 0 || cid_parse(out, &d, NULL) < 0 ||
			    !cid_equal(&c, &d))
				abort();
		}
	}
	free(s);
}

static void
fuzz_cid_binary(const uint8_t *data, size_t size)
{
	struct cid c;
	size_t used, n;
	uint8_t out[CID_MAX_BYTES];

	if (cid_from_bytes(data, size, &c, &used, NULL) < 0)
		return;
	n = cid_to_bytes(&c, out);
	if (n != used || used > size || memcmp(out, data, n) != 0)
		abort();
}

/* libFuzzer calls it; no header declares it */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_cid_text(data, size);
	fuzz_cid_binary(data, size);
	return 0;
}
