/* multibase: RFC 4648 vectors ("foobar" prefixes), base58btc/base36 vectors
 * (computed with Python integer arithmetic), round trips and strictness. */
#include <stdint.h>
#include "tap.h"
#include "ipld/multibase.h"

static const struct {
	const char *in, *b32, *b58, *b36, *b64, *b64urlpad;
} vec[] = {
	{ "", "", "", "", "", "" },
	{ "f", "my", "2m", "2u", "Zg", "Zg==" },
	{ "fo", "mzxq", "8o8", "k8f", "Zm8", "Zm8=" },
	{ "foo", "mzxw6", "bQbp", "3zvxr", "Zm9v", "Zm9v" },
	{ "foob", "mzxw6yq", "3csAg9", "sf742q", "Zm9vYg", "Zm9vYg==" },
	{ "fooba", "mzxw6ytb", "CZJRhmz", "5m42kzfl", "Zm9vYmE", "Zm9vYmE=" },
	{ "foobar", "mzxw6ytboi", "t1Zv2yaZ", "13x8yd7ywi", "Zm9vYmFy", "Zm9vYmFy" },
};

static void
check_n(char prefix, const char *in, size_t len, const char *text)
{
	char out[128], want[128];
	uint8_t dec[128];
	size_t n;
	char got_prefix = 0;
	struct werr e = { 0 };

	snprintf(want, sizeof want, "%c%s", prefix, text);
	ok(mb_encode(prefix, (const uint8_t *)in, len, out, sizeof out, &e) == 0, "encode '%s' %c", in, prefix);
	is_str(out, want, "encode '%s' as %s", in, mb_name(prefix));
	ok(mb_decode(want, dec, sizeof dec, &n, &got_prefix, &e) == 0 && n == len &&
	        memcmp(dec, in, n) == 0 && got_prefix == prefix,
	    "decode %s", want);
}

static void
check(char prefix, const char *in, const char *text)
{
	check_n(prefix, in, strlen(in), text);
}

static void
bad(const char *s, const char *why)
{
	uint8_t dec[64];
	size_t n;
	struct werr e = { 0 };

	ok(mb_decode(s, dec, sizeof dec, &n, NULL, &e) == -1 && e.code == EX_DATAERR, "reject %s (%s)", s, why);
}

int
main(void)
{
	char out[256], p;
	uint8_t dec[64], all[256];
	size_t n;
	struct werr e = { 0 };

	for (size_t i = 0; i < sizeof vec / sizeof vec[0]; i++) {
		check('b', vec[i].in, vec[i].b32);
		check('z', vec[i].in, vec[i].b58);
		check('k', vec[i].in, vec[i].b36);
		check('m', vec[i].in, vec[i].b64);
		check('U', vec[i].in, vec[i].b64urlpad);
	}
	check('f', "\x01\xab", "01ab");
	check('F', "\x01\xab", "01AB");
	check('B', "foob", "MZXW6YQ");
	check('K', "foob", "SF742Q");
	check('M', "f", "Zg==");
	check('u', "\xfb\xff", "-_8");
	/* leading zero bytes survive positional bases */
	check_n('z', "\0\0yes mani !", 12, "117paNL19xttacUY");
	check_n('k', "\0\0yes mani !", 12, "002lcpzo5yikidynfl");

	for (int i = 0; i < 256; i++)
		all[i] = (uint8_t)i;
	const char *pf = "bBzkKfFmMuU";
	for (const char *q = pf; *q; q++) {
		uint8_t rt[256];
		char big[1024];
		ok(mb_encode(*q, all, 256, big, sizeof big, &e) == 0 &&
		        mb_decode(big, rt, sizeof rt, &n, NULL, &e) == 0 && n == 256 && memcmp(rt, all, 256) == 0,
		    "round trip of all byte values in %s", mb_name(*q));
	}

	ok(mb_prefix_from_name("base32", &p) == 0 && p == 'b', "name base32");
	ok(mb_prefix_from_name("base58btc", &p) == 0 && p == 'z', "name base58btc");
	ok(mb_prefix_from_name("base36", &p) == 0 && p == 'k', "name base36");
	ok(mb_prefix_from_name("base64url", &p) == 0 && p == 'u', "name base64url");
	ok(mb_prefix_from_name("base32upper", &p) == 0 && p == 'B', "name base32upper");
	is_int(mb_prefix_from_name("base2", &p), -1, "unknown name base2");
	ok(mb_name('q') == NULL, "mb_name unknown");

	e.code = 0;
	is_int(mb_encode('q', all, 3, out, sizeof out, &e), -1, "encode with unknown prefix fails");
	is_int(e.code, EX_USAGE, "... EX_USAGE");
	is_int(mb_encode('b', all, 100, out, 20, &e), -1, "base32 output too small");
	is_int(e.code, EX_SOFTWARE, "... EX_SOFTWARE");
	is_int(mb_encode('z', all + 1, 100, out, 20, &e), -1, "base58 output too small");
	is_int(mb_encode('z', (const uint8_t *)"\0\0\0", 3, out, 3, &e), -1, "base58 zeros too small");
	is_int(mb_encode('M', (const uint8_t *)"f", 1, out, 4, &e), -1, "padding does not fit");
	is_int(mb_encode('b', all, 1, out, 1, &e), -1, "no room for the prefix");
	is_int(b58_encode(all, 3, out, sizeof out), 0, "b58_encode raw");
	is_str(out, "15T", "b58 of 00 01 02");
	ok(b58_decode("15T", dec, sizeof dec, &n) == 0 && n == 3 && dec[2] == 2, "b58_decode raw");
	is_int(b58_decode("0OIl", dec, sizeof dec, &n), -1, "b58 rejects 0, O, I, l");
	is_int(b58_decode("zzzzzzzzzz", dec, 2, &n), -1, "b58 decode over capacity");
	is_int(b58_decode("1111", dec, 2, &n), -1, "b58 decode zeros over capacity");

	bad("", "empty");
	bad("qabc", "unknown prefix");
	bad("bMZXW6", "upper case in lower base32");
	bad("bmzxw6===", "padding in unpadded base32");
	bad("bm", "one base32 char");
	bad("bmzx", "three base32 chars");
	bad("bmz", "non-zero trailing bits");
	bad("f0", "odd base16");
	bad("f0G", "bad base16 digit");
	bad("mZg==", "padding in unpadded base64");
	bad("MZg=", "short padded group");
	bad("MZ===", "too much padding");
	bad("m+/-_", "mixed base64 alphabets");
	bad("u+/", "base64 chars in base64url");
	bad("z0", "0 in base58btc");
	bad("kA", "upper case in base36");
	e.code = 0;
	is_int(mb_decode("bmzxw6ytboi", dec, 3, &n, NULL, &e), -1, "decode over capacity");
	ok(strstr(e.msg, "base32") != NULL, "... message names the base: %s", e.msg);
	return done_testing();
}
