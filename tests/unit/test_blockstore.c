/* blockstore: put/get/has, dedup, spilling to the temp file past the
 * memory limit, marks, and error paths. */
#include <stdint.h>
#include <stdlib.h>
#include "tap.h"
#include "ipld/blockstore.h"

static void
mkblock(int i, uint8_t *buf, size_t len, struct cid *c)
{
	for (size_t k = 0; k < len; k++)
		buf[k] = (uint8_t)(i * 31 + k * 7);
	cid_from_block(1, CODEC_RAW, MH_SHA2_256, buf, len, c, NULL);
}

static void
test_spill(size_t limit, const char *what)
{
	struct werr e = { 0 };
	struct blockstore *bs = bs_new(limit, NULL, &e);
	uint8_t buf[5000];
	const uint8_t *d;
	size_t len, bad = 0;
	struct cid c;
	struct bs_stats st;
	uint64_t total = 0;

	ok(bs != NULL, "bs_new (%s)", what);
	for (int i = 0; i < 300; i++) {
		mkblock(i, buf, 1000 + (size_t)i * 10, &c);
		total += 1000 + (size_t)i * 10;
		if (bs_put(bs, &c, buf, 1000 + (size_t)i * 10, &e) < 0)
			bad++;
	}
	is_int(bad, 0, "300 puts (%s)", what);
	bs_stats(bs, &st);
	is_int(st.blocks, 300, "count (%s)", what);
	ok(st.bytes == total, "bytes (%s)", what);
	for (int i = 299; i >= 0; i--) {
		uint8_t want[5000];
		mkblock(i, want, 1000 + (size_t)i * 10, &c);
		if (bs_get(bs, &c, &d, &len, &e) < 0 || len != 1000 + (size_t)i * 10 || memcmp(d, want, len) != 0)
			bad++;
	}
	is_int(bad, 0, "every block reads back (%s)", what);
	bs_stats(bs, &st);
	if (limit == 0)
		ok(st.spilled == total, "everything spilled with limit 0");
	else if (limit > total)
		ok(st.spilled == 0, "nothing spilled under the limit");
	else
		ok(st.spilled > 0 && st.spilled < total, "part spilled with limit %zu", limit);
	bs_free(bs);
}

int
main(void)
{
	struct werr e = { 0 };
	struct blockstore *bs = bs_new(1 << 20, NULL, &e);
	struct cid a, b;
	const uint8_t *d;
	size_t len;
	struct bs_stats st;
	int rc;

	cid_from_block(1, CODEC_RAW, MH_SHA2_256, "aaa", 3, &a, &e);
	cid_from_block(1, CODEC_RAW, MH_SHA2_256, "bbb", 3, &b, &e);
	ok(!bs_has(bs, &a), "empty store has nothing");
	ok(bs_put(bs, &a, (const uint8_t *)"aaa", 3, &e) == 0, "put a");
	ok(bs_put(bs, &a, (const uint8_t *)"aaa", 3, &e) == 0, "put a again");
	bs_stats(bs, &st);
	is_int(st.blocks, 1, "dedup: one block");
	is_int(st.bytes, 3, "dedup: 3 bytes");
	ok(bs_has(bs, &a) && !bs_has(bs, &b), "has a, not b");
	ok(bs_get(bs, &a, &d, &len, &e) == 0 && len == 3 && memcmp(d, "aaa", 3) == 0, "get a");
	e.code = 0;
	ok(bs_get(bs, &b, &d, &len, &e) == -1 && e.code == EX_SOFTWARE && strstr(e.msg, "bafk") != NULL,
	    "get of a missing block names it: %s", e.msg);
	/* same hash, other codec: a different CID */
	struct cid a_pb = a;
	a_pb.codec = CODEC_DAG_PB;
	ok(!bs_has(bs, &a_pb), "same multihash with another codec is another CID");
	ok(bs_put(bs, &b, (const uint8_t *)"", 0, &e) == 0 && bs_get(bs, &b, &d, &len, &e) == 0 && len == 0,
	    "empty block");
	is_int(bs_mark(bs, &a), 0, "first mark");
	is_int(bs_mark(bs, &a), 1, "second mark");
	is_int(bs_mark(bs, &a_pb), -1, "mark of an absent CID");
	bs_clear_marks(bs);
	is_int(bs_mark(bs, &a), 0, "marks cleared");
	rc = bs_sink(bs, &a_pb, (const uint8_t *)"aaa", 3, &e);
	bs_stats(bs, &st);
	ok(rc == 0 && st.blocks == 3, "bs_sink adapter puts");
	bs_free(bs);
	bs_free(NULL);

	test_spill(0, "limit 0");
	test_spill(100000, "limit 100000");
	test_spill(1 << 24, "all in memory");

	bs = bs_new(0, "/nonexistent-wanda-dir", &e);
	e.code = 0;
	ok(bs != NULL && bs_put(bs, &a, (const uint8_t *)"aaa", 3, &e) == -1 && e.code == EX_CANTCREAT &&
	        strstr(e.msg, "/nonexistent-wanda-dir") != NULL,
	    "unusable tmpdir: %s", e.msg);
	bs_free(bs);
	setenv("TMPDIR", "", 1);
	bs = bs_new(0, NULL, &e);
	ok(bs != NULL && bs_put(bs, &a, (const uint8_t *)"aaa", 3, &e) == 0, "empty TMPDIR falls back to /tmp");
	bs_free(bs);
	return done_testing();
}
