/* cid: vectors checked against the CID spec by hand (Python hashlib +
 * base32/base58) and the CIDs Kubo prints for well-known blocks. */
#include <stdint.h>
#include "tap.h"
#include "ipld/cid.h"
#include "ipld/multibase.h"

#define HW_V1 "bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5e"

static void
reject(const char *s, const char *why)
{
	struct cid c;
	struct werr e = { 0 };

	ok(cid_parse(s, &c, &e) == -1 && e.code == EX_DATAERR && strstr(e.msg, s) != NULL,
	    "reject %s (%s): %s", s, why, e.msg);
}

static void
test_forms(void)
{
	static const struct {
		char base;
		const char *s;
	} forms[] = {
		{ 'b', HW_V1 },
		{ 'B', "BAFKREIFZJUT3TE2NHYEKKLSS27NH3K72YSCO7Y32KOAO5EEI66WOF36N5E" },
		{ 'z', "zb2rhj7crUKTQYRGCRATFaQ6YFLTde2YzdqbbhAASkL9uRDXn" },
		{ 'k', "k2cwued9o1pvrt3q271rrqbo49x30tbxwpoeaq75z14e5ui2rzygpbe1" },
		{ 'f', "f01551220b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9" },
		{ 'm', "mAVUSILlNJ7mTTT4IpS5S19p9q/rEhO/jelOA7pCI96zi783p" },
		{ 'u', "uAVUSILlNJ7mTTT4IpS5S19p9q_rEhO_jelOA7pCI96zi783p" },
	};
	struct cid c, d;
	struct werr e = { 0 };
	char s[CID_STR_MAX];

	ok(cid_from_block(1, CODEC_RAW, MH_SHA2_256, "hello world", 11, &c, &e) == 0, "raw block 'hello world'");
	for (size_t i = 0; i < sizeof forms / sizeof forms[0]; i++) {
		ok(cid_format(&c, forms[i].base, s, sizeof s, &e) == 0, "format in %s", mb_name(forms[i].base));
		is_str(s, forms[i].s, "raw 'hello world' in %s", mb_name(forms[i].base));
		ok(cid_parse(forms[i].s, &d, &e) == 0 && cid_equal(&c, &d), "parse %s form", mb_name(forms[i].base));
	}
	cid_format(&c, 0, s, sizeof s, &e);
	is_str(s, HW_V1, "v1 default base is base32");
}

static void
test_known(void)
{
	struct cid c;
	struct werr e = { 0 };
	char s[CID_STR_MAX];
	static const uint8_t empty_file[] = { 0x0a, 0x04, 0x08, 0x02, 0x18, 0x00 };
	static const uint8_t hw_leaf[] = { 0x0a, 0x11, 0x08, 0x02, 0x12, 0x0b, 'h', 'e', 'l', 'l', 'o', ' ',
		'w', 'o', 'r', 'l', 'd', 0x18, 0x0b };

	cid_from_block(0, CODEC_DAG_PB, MH_SHA2_256, empty_file, sizeof empty_file, &c, &e);
	cid_format(&c, 0, s, sizeof s, &e);
	is_str(s, "QmbFMke1KXqnYyBBWxB74N4c5SBnJMVAiMNRcGu6x1AwQH", "empty UnixFS file, CIDv0 (ipfs add of an empty file)");
	cid_from_block(0, CODEC_DAG_PB, MH_SHA2_256, hw_leaf, sizeof hw_leaf, &c, &e);
	cid_format(&c, 'z', s, sizeof s, &e);
	is_str(s, "Qmf412jQZiuVUtdgnB36FXFX7xg5V6KEbSJ4dpQuhkLyfD", "'hello world' file, CIDv0 (ipfs add)");
	cid_from_block(1, CODEC_RAW, MH_SHA2_256, "", 0, &c, &e);
	cid_format(&c, 0, s, sizeof s, &e);
	is_str(s, "bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku", "empty raw block, CIDv1");
	cid_from_block(1, CODEC_RAW, MH_SHA2_512, "hello world", 11, &c, &e);
	cid_format(&c, 0, s, sizeof s, &e);
	is_str(s, "bafkrgqbqt3gerhas23vuzrapkdeqf4vu2dwxp3srdj6hvg6nhsug2tgyn6mj3u23yx7utftq3i2ckw2fwdh5qmhid5qf3t35yvkc5e5ottlw6",
	    "sha2-512 raw CIDv1");
	cid_from_block(1, CODEC_RAW, MH_IDENTITY, "hello world", 11, &c, &e);
	cid_format(&c, 0, s, sizeof s, &e);
	is_str(s, "bafkqac3imvwgy3zao5xxe3de", "identity raw CIDv1");
}

static void
test_bytes(void)
{
	struct cid c, d;
	struct werr e = { 0 };
	uint8_t b[CID_MAX_BYTES + 4];
	size_t n, used;
	char s[CID_STR_MAX];

	cid_parse("QmbFMke1KXqnYyBBWxB74N4c5SBnJMVAiMNRcGu6x1AwQH", &c, &e);
	is_int(c.version, 0, "v0 parse version");
	is_int(c.codec, CODEC_DAG_PB, "v0 codec is dag-pb");
	n = cid_to_bytes(&c, b);
	is_int(n, 34, "v0 binary is the bare multihash");
	ok(b[0] == 0x12 && b[1] == 0x20, "v0 bytes start 12 20");
	memcpy(b + n, "tail", 4);
	ok(cid_from_bytes(b, n + 4, &d, &used, &e) == 0 && used == 34 && cid_equal(&c, &d),
	    "v0 from bytes with trailing data");
	is_int(cid_from_bytes(b, 20, &d, &used, &e), -1, "truncated v0 bytes");

	cid_parse(HW_V1, &c, &e);
	n = cid_to_bytes(&c, b);
	is_int(n, 36, "v1 sha2-256 binary is 36 bytes");
	ok(b[0] == 1 && b[1] == 0x55, "v1 bytes start 01 55");
	ok(cid_from_bytes(b, n, &d, NULL, &e) == 0 && cid_equal(&c, &d), "v1 bytes round trip");
	for (size_t cut = 0; cut < n; cut++)
		if (cid_from_bytes(b, cut, &d, &used, &e) != -1) {
			ok(0, "truncated v1 at %zu accepted", cut);
			goto done_cut;
		}
	ok(1, "every truncation of a v1 CID rejected");
done_cut:
	b[0] = 2;
	e.code = 0;
	ok(cid_from_bytes(b, n, &d, NULL, &e) == -1 && strstr(e.msg, "version 2"), "version 2 rejected: %s", e.msg);
	b[0] = 1;
	b[3] = 31; /* digest length field says 31 for sha2-256 */
	ok(cid_from_bytes(b, n, &d, NULL, &e) == -1, "wrong sha2-256 digest length rejected: %s", e.msg);
	ok(cid_from_bytes((const uint8_t[]){ 0x01, 0x80 }, 2, &d, NULL, &e) == -1, "bad codec varint rejected");
	ok(cid_from_bytes((const uint8_t[]){ 0x80 }, 1, &d, NULL, &e) == -1, "bad version varint rejected");

	cid_parse("QmbFMke1KXqnYyBBWxB74N4c5SBnJMVAiMNRcGu6x1AwQH", &c, &e);
	e.code = 0;
	ok(cid_format(&c, 'b', s, sizeof s, &e) == -1 && e.code == EX_USAGE, "v0 cannot be base32");
	ok(cid_format(&c, 'z', s, 10, &e) == -1, "v0 output too small");
	ok(cid_format(&c, 'q', s, sizeof s, &e) == -1, "v0 unknown base");
	cid_parse(HW_V1, &c, &e);
	ok(cid_format(&c, 'q', s, sizeof s, &e) == -1 && e.code == EX_USAGE, "v1 unknown base");

	ok(cid_from_block(2, CODEC_RAW, MH_SHA2_256, "", 0, &c, &e) == -1, "cid_from_block version 2");
	ok(cid_from_block(0, CODEC_RAW, MH_SHA2_256, "", 0, &c, &e) == -1, "CIDv0 of a raw block");
	ok(cid_from_block(0, CODEC_DAG_PB, MH_SHA2_512, "", 0, &c, &e) == -1, "CIDv0 with sha2-512");
	ok(cid_from_block(1, CODEC_RAW, 0x99, "", 0, &c, &e) == -1, "unknown hash");
}

int
main(void)
{
	struct cid a, b;
	struct werr e = { 0 };

	test_forms();
	test_known();
	test_bytes();

	cid_parse(HW_V1, &a, &e);
	cid_parse("zb2rhj7crUKTQYRGCRATFaQ6YFLTde2YzdqbbhAASkL9uRDXn", &b, &e);
	ok(cid_equal(&a, &b), "same CID in two bases is equal");
	cid_parse("bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku", &b, &e);
	ok(!cid_equal(&a, &b), "different CIDs differ");
	b = a;
	b.codec = CODEC_DAG_PB;
	ok(!cid_equal(&a, &b), "same hash, other codec differ");

	is_str(cid_codec_name(CODEC_RAW), "raw", "codec name raw");
	is_str(cid_codec_name(CODEC_DAG_PB), "dag-pb", "codec name dag-pb");
	is_str(cid_codec_name(CODEC_DAG_CBOR), "dag-cbor", "codec name dag-cbor");
	is_str(cid_codec_name(CODEC_LIBP2P_KEY), "libp2p-key", "codec name libp2p-key");
	ok(cid_codec_name(0x999) == NULL, "codec name unknown");

	reject("", "empty");
	reject("QmbFMke1KXqnYyBBWxB74N4c5SBnJMVAiMNRcGu6x1AwQ0", "0 in a v0 CID");
	reject("QmbFMke1KXqnYyBBWxB74N4c5SBnJMVAiMNRcGu6x1AwQHx", "47-char Qm string");
	reject("bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5", "truncated base32");
	reject("bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5eaa", "trailing bytes");
	reject("zQmbFMke1KXqnYyBBWxB74N4c5SBnJMVAiMNRcGu6x1AwQH", "v0 bytes inside multibase");
	reject("xyz", "unknown base");
	reject("bagaaaa", "version 0 in v1 form");
	ok(cid_str_equal("bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku",
	       "zb2rhmy65F3REf8SZp7De11gxtECBGgUKaLdiDj7MCGCHxbDW"),
	    "cid_str_equal across bases");
	ok(!cid_str_equal("bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku",
	       "QmbFMke1KXqnYyBBWxB74N4c5SBnJMVAiMNRcGu6x1AwQH"),
	    "cid_str_equal: different CIDs");
	ok(cid_str_equal("not-a-cid", "not-a-cid") && !cid_str_equal("x", "y"), "cid_str_equal: text fallback");
	return done_testing();
}
