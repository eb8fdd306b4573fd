/* dagpb: encodings compared with @ipld/dag-pb's output for the same nodes
 * (vectors below), round trips, and the strict decoder's rejections. */
#include <stdint.h>
#include <stdlib.h>
#include "tap.h"
#include "fixture.h"
#include "ipld/dagpb.h"

/* A directory {a.txt -> raw "hello world" (11), b -> empty file v0 (6)},
 * as @ipld/dag-pb encodes it; its CIDv1 is bafybeides27j... */
static const char dir_hex[] =
    "122f0a2401551220b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde91205612e747874180b"
    "12290a221220bfccda787baba32b59c78450ac3d20b633360b43992c77289f9ed46d843561e612016218060a020801";

static void
reject(const char *hex, const char *why, const char *want)
{
	uint8_t b[256];
	size_t n = unhex(hex, b);
	struct pb_node nd;
	struct werr e = { 0 };

	ok(dagpb_decode(b, n, &nd, &e) == -1 && e.code == EX_DATAERR && strstr(e.msg, want) != NULL,
	    "reject %s: %s", why, e.msg);
}

static void
test_encode(void)
{
	struct pb_link l[2];
	struct werr e = { 0 };
	uint8_t want[256], *out;
	size_t wn = unhex(dir_hex, want), n;
	struct cid c;
	char s[CID_STR_MAX];

	memset(l, 0, sizeof l);
	cid_parse("bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5e", &l[0].cid, &e);
	l[0].name = "a.txt";
	l[0].name_len = 5;
	l[0].tsize = 11;
	cid_parse("QmbFMke1KXqnYyBBWxB74N4c5SBnJMVAiMNRcGu6x1AwQH", &l[1].cid, &e);
	l[1].name = "b";
	l[1].name_len = 1;
	l[1].tsize = 6;
	ok(dagpb_encode(l, 2, (const uint8_t *)"\x08\x01", 2, 1, &out, &n, &e) == 0, "encode directory");
	ok(n == wn && memcmp(out, want, n) == 0, "directory bytes equal @ipld/dag-pb's");
	cid_from_block(1, CODEC_DAG_PB, MH_SHA2_256, out, n, &c, &e);
	cid_format(&c, 0, s, sizeof s, &e);
	is_str(s, "bafybeides27jsiumxkuxzww242x4pd2wfva2tvlyykgiirrok2ukyoajg4", "directory CIDv1");
	free(out);

	ok(dagpb_encode(NULL, 0, (const uint8_t *)"\x08\x02\x18\x00", 4, 1, &out, &n, &e) == 0 &&
	        n == 6 && memcmp(out, "\x0a\x04\x08\x02\x18\x00", 6) == 0,
	    "empty file node is 0a 04 08 02 18 00");
	free(out);
	ok(dagpb_encode(NULL, 0, NULL, 0, 0, &out, &n, &e) == 0 && n == 0, "empty node encodes to nothing");
	free(out);
	ok(dagpb_encode(NULL, 0, NULL, 0, 1, &out, &n, &e) == 0 && n == 2 && out[0] == 0x0a && out[1] == 0,
	    "empty Data present is 0a 00");
	free(out);
	l[0].name = NULL;
	struct pb_node nd;
	ok(dagpb_encode(l, 1, NULL, 0, 0, &out, &n, &e) == 0 && dagpb_decode(out, n, &nd, &e) == 0 &&
	        nd.nlinks == 1 && nd.links[0].name != NULL && nd.links[0].name_len == 0 && nd.links[0].has_tsize &&
	        !nd.has_data,
	    "NULL name encodes as an empty Name, Tsize always written");
	dagpb_node_free(&nd);
	free(out);
}

static void
test_decode(void)
{
	uint8_t b[256];
	size_t n = unhex(dir_hex, b);
	struct pb_node nd;
	struct werr e = { 0 };
	char s[CID_STR_MAX];

	ok(dagpb_decode(b, n, &nd, &e) == 0, "decode directory");
	is_int(nd.nlinks, 2, "two links");
	ok(nd.has_data && nd.data_len == 2 && nd.data[0] == 8 && nd.data[1] == 1, "Data is 08 01");
	cid_format(&nd.links[0].cid, 0, s, sizeof s, &e);
	is_str(s, "bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5e", "link 0 CID");
	ok(nd.links[0].name_len == 5 && memcmp(nd.links[0].name, "a.txt", 5) == 0, "link 0 name");
	ok(nd.links[0].tsize == 11 && nd.links[0].has_tsize, "link 0 tsize");
	is_int(nd.links[1].cid.version, 0, "link 1 is CIDv0");
	is_int(nd.links[1].tsize, 6, "link 1 tsize");
	dagpb_node_free(&nd);
	dagpb_node_free(&nd);

	ok(dagpb_decode(b, 0, &nd, &e) == 0 && nd.nlinks == 0 && !nd.has_data, "empty block is an empty node");
	/* many links: the link array grows */
	struct cid v0;
	uint8_t cb[CID_MAX_BYTES];
	cid_parse("QmbFMke1KXqnYyBBWxB74N4c5SBnJMVAiMNRcGu6x1AwQH", &v0, &e);
	cid_to_bytes(&v0, cb);
	uint8_t *big = malloc(38 * 100), *p = big;
	for (int i = 0; i < 100; i++) {
		*p++ = 0x12;
		*p++ = 36;
		*p++ = 0x0a;
		*p++ = 34;
		memcpy(p, cb, 34);
		p += 34;
	}
	ok(dagpb_decode(big, (size_t)(p - big), &nd, &e) == 0 && nd.nlinks == 100 && !nd.links[99].has_tsize &&
	        nd.links[99].name == NULL,
	    "100 hash-only links");
	dagpb_node_free(&nd);
	free(big);
}

int
main(void)
{
	test_encode();
	test_decode();
	reject("0a0208010a020801", "two Data fields", "second Data");
	reject("12060a04015500000a0208010a00", "two Data fields around a link", "second Data");
	/* Data before Links: not canonical, but the spec says decoders accept it */
	uint8_t b[64];
	size_t n = unhex("0a02080112060a0401550000", b);
	struct pb_node nd;
	struct werr e = { 0 };
	ok(dagpb_decode(b, n, &nd, &e) == 0 && nd.nlinks == 1 && nd.has_data && nd.data_len == 2 &&
	        nd.links[0].cid.codec == CODEC_RAW,
	    "Data before Links accepted: %s", e.msg);
	uint8_t *out;
	size_t on;
	uint8_t want[64];
	size_t wn = unhex("120a0a0401550000120018000a020801", want);
	ok(dagpb_encode(nd.links, nd.nlinks, nd.data, nd.data_len, 1, &out, &on, &e) == 0 && on == wn &&
	        memcmp(out, want, wn) == 0,
	    "re-encodes canonically: links first, Name and Tsize written");
	free(out);
	dagpb_node_free(&nd);
	reject("1a00", "unknown field 3", "unexpected field 3");
	reject("0800", "Data as varint", "unexpected field 1");
	reject("0a05080100", "truncated Data", "truncated Data");
	reject("12", "tag without length", "truncated link");
	reject("80", "truncated tag", "bad field tag");
	reject("0002", "field 0", "bad field tag");
	reject("1200", "link without Hash", "no Hash");
	reject("12021200", "link Name before Hash", "no Hash");
	reject("1204180b1200", "link Tsize before Name", "out of order");
	reject("120a0a0801551220ffffffff", "truncated link CID", "Hash");
	reject("120a0a080155000361626378", "CID with trailing bytes", "trailing bytes");
	reject("12030a0100", "Hash field truncated", "Hash");
	reject("12042205abcd", "unknown link field 4", "unknown");
	reject("120218ff", "truncated Tsize", "truncated Tsize");
	reject("12020a05", "link Hash longer than link", "truncated field 1");
	reject("1202080b", "Hash as varint", "wrong wire type");
	reject("120180", "bad tag in link", "bad field tag");
	return done_testing();
}
