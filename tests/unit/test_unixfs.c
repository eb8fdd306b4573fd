/* unixfs: Data messages compared with ipfs-unixfs' marshal() for the same
 * fields (vectors below), round trips, packed blocksizes, errors. */
#include <stdint.h>
#include <stdlib.h>
#include "tap.h"
#include "fixture.h"
#include "ipld/unixfs.h"

static void
same(const struct ufs_data *d, const char *hex, const char *what)
{
	uint8_t want[128], *out = NULL;
	size_t wn = unhex(hex, want), n = 0;
	struct werr e = { 0 };

	ok(ufs_encode(d, &out, &n, &e) == 0 && n == wn && memcmp(out, want, n) == 0, "encode %s", what);
	free(out);
}

static void
reject(const char *hex, const char *why)
{
	uint8_t b[128];
	size_t n = unhex(hex, b);
	struct ufs_data d;
	struct werr e = { 0 };

	ok(ufs_decode(b, n, &d, &e) == -1 && e.code == EX_DATAERR && strncmp(e.msg, "unixfs", 6) == 0,
	    "reject %s: %s", why, e.msg);
}

static void
test_encode(void)
{
	uint64_t bs[] = { 262144, 5 };
	struct ufs_data f = { .type = UFS_FILE, .filesize = 262149, .has_filesize = 1, .blocksizes = bs, .nblocksizes = 2, .mtime_secs = 1700000000, .mtime_nsecs = 5, .has_mtime = 1 };
	struct ufs_data f2 = { .type = UFS_FILE, .data = (const uint8_t *)"\1\2\3", .data_len = 3, .has_data = 1, .filesize = 3, .has_filesize = 1, .mtime_secs = -5, .has_mtime = 1 };
	struct ufs_data h = { .type = UFS_HAMTSHARD, .hash_type = 0x22, .has_hash_type = 1, .fanout = 256, .has_fanout = 1 };
	struct ufs_data empty = { .type = UFS_FILE, .has_filesize = 1 };
	struct ufs_data dir = { .type = UFS_DIRECTORY, .mode = 0755, .has_mode = 1 };

	same(&f, "080218858010208080102005420b0880e2cfaa061505000000", "file with blocksizes and mtime");
	same(&f2, "080212030102031803420b08fbffffffffffffffff01", "file with data and negative mtime");
	same(&h, "08052822308002", "HAMT shard header");
	same(&empty, "08021800", "empty file");
	same(&dir, "0801"
	           "38ed03",
	    "directory with mode 0755");
}

static void
test_decode(void)
{
	uint8_t b[128];
	size_t n;
	struct ufs_data d;
	struct werr e = { 0 };

	n = unhex("080218858010208080102005420b0880e2cfaa061505000000", b);
	ok(ufs_decode(b, n, &d, &e) == 0, "decode file");
	ok(d.type == UFS_FILE && d.has_filesize && d.filesize == 262149, "type and filesize");
	ok(d.nblocksizes == 2 && d.blocksizes[0] == 262144 && d.blocksizes[1] == 5, "blocksizes");
	ok(d.has_mtime && d.mtime_secs == 1700000000 && d.mtime_nsecs == 5, "mtime");
	ok(!d.has_data && !d.has_mode && !d.has_fanout, "absent fields absent");
	ufs_data_free(&d);

	n = unhex("080212030102031803420b08fbffffffffffffffff01", b);
	ok(ufs_decode(b, n, &d, &e) == 0 && d.has_data && d.data_len == 3 && d.data[2] == 3 &&
	        d.mtime_secs == -5 && d.mtime_nsecs == 0,
	    "negative mtime and data");
	ufs_data_free(&d);

	n = unhex("0802"
	          "2206"
	          "80801005"
	          "0a0b",
	    b); /* packed blocksizes [262144, 5, 10, 11] */
	ok(ufs_decode(b, n, &d, &e) == 0 && d.nblocksizes == 4 && d.blocksizes[0] == 262144 &&
	        d.blocksizes[3] == 11,
	    "packed blocksizes accepted");
	ufs_data_free(&d);

	n = unhex("08053822"
	          "28223080024a0278795d01020304",
	    b); /* unknown fields 9 (bytes), 11 (fixed32) skipped */
	ok(ufs_decode(b, n, &d, &e) == 0 && d.type == UFS_HAMTSHARD && d.fanout == 256 && d.has_mode,
	    "unknown fields skipped");
	ufs_data_free(&d);

	/* many blocksizes: the array grows */
	size_t k = 0;
	b[k++] = 0x08;
	b[k++] = 0x02;
	for (int i = 0; i < 40; i++) {
		b[k++] = 0x20;
		b[k++] = (uint8_t)i;
	}
	ok(ufs_decode(b, k, &d, &e) == 0 && d.nblocksizes == 40 && d.blocksizes[39] == 39, "40 blocksizes");
	ufs_data_free(&d);

	is_str(ufs_type_name(UFS_HAMTSHARD), "hamt-sharded-directory", "type name");
	ok(ufs_type_name(6) == NULL && ufs_type_name(-1) == NULL, "type name out of range");
}

int
main(void)
{
	test_encode();
	test_decode();
	reject("", "empty message (no Type)");
	reject("1803", "no Type");
	reject("0806", "type 6");
	reject("0a00", "Type as bytes");
	reject("0880", "truncated Type");
	reject("1205ab", "truncated Data");
	reject("0802180", "truncated filesize");
	reject("08021a00", "filesize as bytes");
	reject("080220", "truncated blocksize");
	reject("080225", "blocksizes as fixed32");
	reject("0802220180", "bad packed blocksizes");
	reject("0802420215", "truncated FractionalNanoseconds");
	reject("080242021500", "truncated FractionalNanoseconds value");
	reject("0802420080", "mtime with bad length");
	reject("0802420208", "truncated Seconds");
	reject("0802420100", "bad mtime tag");
	reject("08024203150000", "mtime without Seconds");
	reject("0802420b08fbffffffffffffffff02", "Seconds over 64 bits");
	reject("08024a", "truncated unknown field");
	reject("08024f", "unknown wire type 7");
	reject("080280", "truncated tag");
	reject("08024002", "mtime as varint");
	reject("08022d0000", "truncated fixed32 unknown field");
	reject("08022b", "group wire type");
	return done_testing();
}
