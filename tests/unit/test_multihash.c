/* multihash: sha2-256/512 and identity against digests computed with
 * Python's hashlib; streaming equals one-shot; error paths. */
#include <stdint.h>
#include <stdlib.h>
#include "tap.h"
#include "ipld/multihash.h"

static void
hex(const uint8_t *p, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", p[i]);
	out[2 * n] = '\0';
}

int
main(void)
{
	uint8_t mh[MH_MAX], mh2[MH_MAX];
	char h[2 * MH_MAX + 1];
	size_t n, n2, dlen;
	uint64_t code;
	const uint8_t *dig;
	struct werr e = { 0 };
	struct mh_hasher *hs;

	ok(mh_sum(MH_SHA2_256, "hello world", 11, mh, &n, &e) == 0, "sha2-256 of 'hello world'");
	hex(mh, n, h);
	is_str(h, "1220b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9", "sha2-256 multihash bytes");
	ok(mh_sum(MH_SHA2_256, "", 0, mh, &n, &e) == 0, "sha2-256 of empty");
	hex(mh, n, h);
	is_str(h, "1220e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", "sha2-256 of empty bytes");
	ok(mh_sum(MH_SHA2_512, "abc", 3, mh, &n, &e) == 0, "sha2-512 of 'abc'");
	is_int(n, 66, "sha2-512 multihash is 66 bytes");
	hex(mh, 8, h);
	is_str(h, "1340ddaf35a19361", "sha2-512 prefix and first digest bytes (FIPS 180-2 vector)");
	ok(mh_sum(MH_IDENTITY, "hi", 2, mh, &n, &e) == 0, "identity of 'hi'");
	hex(mh, n, h);
	is_str(h, "00026869", "identity multihash is the data");

	/* streaming in odd pieces equals one-shot */
	unsigned char *big = malloc(100000);
	for (size_t i = 0; i < 100000; i++)
		big[i] = (unsigned char)(i * 7 + (i >> 8));
	hs = mh_hasher_new(MH_SHA2_256, &e);
	ok(hs != NULL, "hasher_new sha2-256");
	for (size_t off = 0; off < 100000; off += 4093)
		mh_hasher_update(hs, big + off, off + 4093 > 100000 ? 100000 - off : 4093);
	n = mh_hasher_final(hs, mh);
	mh_hasher_free(hs);
	mh_sum(MH_SHA2_256, big, 100000, mh2, &n2, &e);
	ok(n == n2 && memcmp(mh, mh2, n) == 0, "streaming sha2-256 equals one-shot");
	free(big);

	hs = mh_hasher_new(MH_IDENTITY, &e);
	mh_hasher_update(hs, "ab", 2);
	mh_hasher_update(hs, "c", 1);
	n = mh_hasher_final(hs, mh);
	mh_hasher_free(hs);
	ok(n == 5 && memcmp(mh, "\x00\x03"
	                        "abc",
	                 5) == 0,
	    "streaming identity");

	char large[MH_IDENTITY_MAX + 1] = { 0 };
	e.code = 0;
	is_int(mh_sum(MH_IDENTITY, large, sizeof large, mh, &n, &e), -1, "identity over the limit fails");
	is_int(e.code, EX_DATAERR, "... with EX_DATAERR");
	ok(strstr(e.msg, "identity") != NULL, "... message names identity: %s", e.msg);
	is_int(mh_sum(MH_IDENTITY, large, MH_IDENTITY_MAX, mh, &n, &e), 0, "identity at the limit works");

	e.code = 0;
	ok(mh_hasher_new(0x1b, &e) == NULL, "unsupported code (keccak-256) fails");
	is_int(e.code, EX_USAGE, "... with EX_USAGE");
	ok(strstr(e.msg, "0x1b") != NULL, "... message names the code: %s", e.msg);
	is_int(mh_sum(0x1b, "x", 1, mh, &n, &e), -1, "mh_sum with unsupported code fails");
	mh_hasher_free(NULL);

	ok(mh_code_from_name("sha2-256", &code) == 0 && code == MH_SHA2_256, "name sha2-256");
	ok(mh_code_from_name("sha2-512", &code) == 0 && code == MH_SHA2_512, "name sha2-512");
	ok(mh_code_from_name("identity", &code) == 0 && code == MH_IDENTITY, "name identity");
	is_int(mh_code_from_name("md5", &code), -1, "unknown name");
	is_str(mh_name(MH_SHA2_512), "sha2-512", "mh_name");
	ok(mh_name(0x99) == NULL, "mh_name of unknown is NULL");
	is_int(mh_digest_len(MH_SHA2_256), 32, "digest length sha2-256");
	is_int(mh_digest_len(0x99), -1, "digest length unknown");

	mh_sum(MH_SHA2_256, "x", 1, mh, &n, &e);
	is_int(mh_parse(mh, n, &code, &dig, &dlen), 34, "mh_parse consumes 34 bytes");
	ok(code == MH_SHA2_256 && dlen == 32 && dig == mh + 2, "mh_parse fields");
	is_int(mh_parse(mh, 33, &code, &dig, &dlen), -1, "mh_parse truncated digest");
	is_int(mh_parse(mh, 1, &code, &dig, &dlen), -1, "mh_parse truncated length");
	is_int(mh_parse((const uint8_t[]){ 0x80 }, 1, &code, &dig, &dlen), -1, "mh_parse bad code varint");
	return done_testing();
}
