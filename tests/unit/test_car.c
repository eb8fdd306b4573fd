/* car: header bytes equal @ipld/car's, writer/reader round trip, export
 * order, and every reader error with its byte offset. */
#include <stdint.h>
#include <stdlib.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>
#include "tap.h"
#include "fixture.h"
#include "ipld/car.h"
#include "ipld/dagpb.h"
#include "ipld/varint.h"

/* An fd holding exactly p[0..n), at offset 0. */
static int
memfd(const uint8_t *p, size_t n)
{
	int fd = memfd_create("car", 0);

	if (n > 0 && write(fd, p, n) != (ssize_t)n)
		abort();
	lseek(fd, 0, SEEK_SET);
	return fd;
}

/* Read a whole CAR from bytes; returns blocks read or -1 (message in e). */
static int
read_all(const uint8_t *p, size_t n, struct werr *e)
{
	int fd = memfd(p, n), blocks = 0, rc;
	struct car_reader *r = car_reader_open(fd, "t.car", e);
	struct car_block b;

	if (r == NULL) {
		close(fd);
		return -1;
	}
	while ((rc = car_reader_next(r, &b, e)) == 1)
		blocks++;
	car_reader_close(r);
	close(fd);
	return rc < 0 ? -1 : blocks;
}

static const char *hdr2 =
    "a265726f6f747382d82a58250001551220e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    "d82a5823001220bfccda787baba32b59c78450ac3d20b633360b43992c77289f9ed46d843561e66776657273696f6e01";

static void
test_header(void)
{
	struct cid roots[2], *got;
	struct werr e = { 0 };
	uint8_t want[256], *h;
	size_t wn, hn, n;

	cid_parse("bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku", &roots[0], &e);
	cid_parse("QmbFMke1KXqnYyBBWxB74N4c5SBnJMVAiMNRcGu6x1AwQH", &roots[1], &e);
	wn = unhex(hdr2, want);
	ok(car_header_encode(roots, 2, &h, &hn, &e) == 0 && hn == wn && memcmp(h, want, hn) == 0,
	    "two-root header equals @ipld/car's bytes");
	free(h);
	wn = unhex("a265726f6f7473806776657273696f6e01", want);
	ok(car_header_encode(NULL, 0, &h, &hn, &e) == 0 && hn == wn && memcmp(h, want, hn) == 0,
	    "empty-roots header equals @ipld/car's bytes");
	free(h);
	wn = unhex(hdr2, want);
	ok(car_header_decode(want, wn, &got, &n, &e) == 0 && n == 2 && cid_equal(&got[0], &roots[0]) &&
	        cid_equal(&got[1], &roots[1]),
	    "decode two-root header");
	free(got);
	/* keys in the other order are still a valid CBOR map */
	wn = unhex("a26776657273696f6e0165726f6f747380", want);
	ok(car_header_decode(want, wn, &got, &n, &e) == 0 && n == 0 && got == NULL, "version before roots");

	static const struct {
		const char *hex, *why, *msg;
	} bad[] = {
		{ "", "empty", "not a CBOR map" },
		{ "80", "array", "not a CBOR map" },
		{ "a165726f6f747380", "no version", "no \"version\"" },
		{ "a16776657273696f6e01", "no roots", "no \"roots\"" },
		{ "a26776657273696f6e0265726f6f747380", "version 2", "version 2 is not supported" },
		{ "a265726f6f7473806776657273696f6e1801", "non-minimal version", "malformed" },
		{ "a265726f6f7473806776657273696f6e01ff", "trailing byte", "1 bytes after" },
		{ "a265726f6f7473a06776657273696f6e01", "roots is a map", "not an array" },
		{ "a265726f6f747381016776657273696f6e01", "root not a tag", "not a CID (tag 42)" },
		{ "a265726f6f747381d82a43010203", "root bytes without 00", "bad CID bytes" },
		{ "a265726f6f747381d82a4300ffff", "root bytes not a CID", "root 0" },
		{ "a265726f6f747381d82a4b0001550003616263ffffff", "root with trailing bytes", "trailing bytes" },
		{ "a265726f6f747399ffff", "roots longer than the header", "longer than the header" },
		{ "a365726f6f7473806776657273696f6e01637a7a7a00", "unknown key", "unexpected key" },
		{ "a265726f6f74738065726f6f747380", "duplicate key", "unexpected key" },
		{ "a2fc", "reserved additional info", "malformed" },
		{ "a21b", "truncated head", "malformed" },
		{ "a26776657273696f6e6161", "version a string", "malformed" },
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		wn = unhex(bad[i].hex, want);
		e.code = 0;
		ok(car_header_decode(want, wn, &got, &n, &e) == -1 && e.code == EX_DATAERR && strstr(e.msg, bad[i].msg),
		    "header: reject %s: %s", bad[i].why, e.msg);
	}
}

/* A small CAR: header with root v0 empty file, blocks [emptyfile, raw "hello"]. */
static size_t
small_car(uint8_t *out, struct cid *c0, struct cid *c1)
{
	struct werr e = { 0 };
	int fd = memfd_create("w", 0);
	struct car_writer *w;
	ssize_t n;

	cid_from_block(0, CODEC_DAG_PB, MH_SHA2_256, "\x0a\x04\x08\x02\x18\x00", 6, c0, &e);
	cid_from_block(1, CODEC_RAW, MH_SHA2_256, "hello", 5, c1, &e);
	w = car_writer_open(fd, "w.car", c0, 1, &e);
	car_writer_put(w, c0, (const uint8_t *)"\x0a\x04\x08\x02\x18\x00", 6, &e);
	car_writer_sink(w, c1, (const uint8_t *)"hello", 5, &e);
	car_writer_close(w, &e);
	n = pread(fd, out, 4096, 0);
	close(fd);
	return (size_t)n;
}

static void
test_roundtrip(void)
{
	uint8_t car[4096];
	struct cid c0, c1;
	size_t n = small_car(car, &c0, &c1);
	struct werr e = { 0 };
	int fd = memfd(car, n);
	struct car_reader *r = car_reader_open(fd, "t.car", &e);
	struct car_block b;

	/* header (1 + 0x38) = 57, section 0 at 57: len 1 + 34 + 6, section 1 at 98 */
	is_int(n, 57 + 41 + 1 + 36 + 5, "CAR size");
	ok(r != NULL && car_reader_nroots(r) == 1 && cid_equal(car_reader_root(r, 0), &c0), "root read back");
	ok(car_reader_root(r, 1) == NULL, "no second root");
	is_int(car_reader_fd(r), fd, "car_reader_fd");
	ok(car_reader_next(r, &b, &e) == 1 && cid_equal(&b.cid, &c0) && b.len == 6 && b.offset == 57 &&
	        b.data_offset == 57 + 1 + 34,
	    "first block, offsets");
	ok(car_reader_next(r, &b, &e) == 1 && cid_equal(&b.cid, &c1) && b.len == 5 && memcmp(b.data, "hello", 5) == 0 &&
	        b.offset == 98,
	    "second block");
	is_int(car_reader_next(r, &b, &e), 0, "clean end");
	car_reader_close(r);
	close(fd);
	car_reader_close(NULL);

	fd = memfd(car, n);
	ok(car_read_fd(fd, "t.car", NULL, NULL, &e) == 0, "car_read_fd without a sink");
	lseek(fd, 0, SEEK_SET);
	struct blockstore *bs = bs_new(1024, NULL, &e);
	struct bs_stats st;
	int rc = car_read_fd(fd, "t.car", bs_sink, bs, &e);
	bs_stats(bs, &st);
	ok(rc == 0 && st.blocks == 2, "car_read_fd into a blockstore");
	bs_free(bs);
	close(fd);
}

static void
expect_err(const uint8_t *p, size_t n, const char *why, const char *msg)
{
	struct werr e = { 0 };

	ok(read_all(p, n, &e) == -1 && e.code == EX_DATAERR && strstr(e.msg, msg) != NULL && strncmp(e.msg, "t.car: ", 7) == 0,
	    "reject %s: %s", why, e.msg);
}

static void
test_reader_errors(void)
{
	uint8_t car[4096], bad[4096];
	struct cid c0, c1;
	size_t n = small_car(car, &c0, &c1);

	expect_err(car, 0, "empty file", "offset 0: empty file");
	struct werr e = { 0 };
	int dfd = open("/", O_RDONLY | O_DIRECTORY);
	ok(car_reader_open(dfd, "dir.car", &e) == NULL && e.code == EX_IOERR && strstr(e.msg, "dir.car: offset 0: read"),
	    "read error: %s", e.msg);
	close(dfd);
	expect_err((const uint8_t *)"\x00", 1, "zero header length", "offset 0: header length 0");
	expect_err((const uint8_t *)"\x80\x80\x80\x01", 4, "2 MiB header", "offset 0: header length 2097152");
	expect_err((const uint8_t *)"\x80", 1, "truncated header varint", "offset 0: truncated header length varint");
	expect_err((const uint8_t *)"\x81\x00", 2, "non-minimal header varint", "offset 0: bad header length varint");
	expect_err(car, 30, "truncated header", "offset 1: truncated header: 29 of 56 bytes");
	memcpy(bad, car, n);
	bad[3] = 'R';
	expect_err(bad, n, "bad header key", "offset 1: bad CAR header");
	size_t cut;
	for (cut = 58; cut < n; cut++)
		if (cut != 98 && read_all(car, cut, NULL) != -1)
			break;
	is_int(cut, n, "every truncation inside the sections is an error");
	is_int(read_all(car, 98, NULL), 1, "cut at a section boundary: a shorter valid CAR");
	expect_err(car, 80, "truncated first section", "offset 57: truncated section: 22 of 40 bytes");
	memcpy(bad, car, 57);
	memcpy(bad + 57, "\xff\xff", 2);
	expect_err(bad, 59, "truncated section varint", "offset 57: truncated section length varint");
	memcpy(bad + 57, "\x80\x00", 2);
	expect_err(bad, 59, "non-minimal section varint", "offset 57: bad section length varint");
	memcpy(bad + 57, "\x00", 1);
	expect_err(bad, 58, "zero-length section", "offset 57: section length 0 out of range");
	memcpy(bad + 57, "\x81\x80\x80\x04", 4); /* 8 MiB + 1 */
	expect_err(bad, 61, "oversized section", "offset 57: section length 8388609 out of range");
	memcpy(bad, car, n);
	bad[n - 1] ^= 1;
	expect_err(bad, n, "flipped block byte", "offset 98: block does not match its CID bafkreibm6jg3ux5qumhcn2b3flc3tyu6dmlb4xa7u5bf44yegnrjhc4yeq");
	memcpy(bad, car, n);
	bad[57 + 1 + 5] ^= 0x40; /* a digest byte of the first CID */
	expect_err(bad, n, "flipped CID byte", "offset 57: block does not match its CID Qm");
	memcpy(bad, car, 57);
	memcpy(bad + 57, "\x05\x02\x55\x12\x20\x00", 6);
	expect_err(bad, 63, "bad CID in section", "offset 58: CID: unsupported version 2");
	memcpy(bad + 57, "\x07\x01\x55\x99\x01\x01\x00\x61", 8); /* multihash code 0x99: unknown */
	expect_err(bad, 65, "unknown hash function", "offset 57: unsupported multihash 0x99");
}

/* Export order: root -> [A, B, A, id], A -> [C]; expect root A C B. */
static void
test_export(void)
{
	struct werr e = { 0 };
	struct blockstore *bs = bs_new(1 << 20, NULL, &e);
	struct cid A, B, C, R, ID, got[8];
	struct pb_link l[4];
	uint8_t *blk;
	size_t n, k = 0;
	int fd;

	memset(l, 0, sizeof l);
	cid_from_block(1, CODEC_RAW, MH_SHA2_256, "C", 1, &C, &e);
	bs_put(bs, &C, (const uint8_t *)"C", 1, &e);
	cid_from_block(1, CODEC_RAW, MH_SHA2_256, "B", 1, &B, &e);
	bs_put(bs, &B, (const uint8_t *)"B", 1, &e);
	cid_from_block(1, CODEC_RAW, MH_IDENTITY, "id", 2, &ID, &e);
	l[0].cid = C;
	dagpb_encode(l, 1, (const uint8_t *)"\x08\x01", 2, 1, &blk, &n, &e);
	cid_from_block(1, CODEC_DAG_PB, MH_SHA2_256, blk, n, &A, &e);
	bs_put(bs, &A, blk, n, &e);
	free(blk);
	l[0].cid = A;
	l[1].cid = B;
	l[2].cid = A;
	l[3].cid = ID;
	dagpb_encode(l, 4, (const uint8_t *)"\x08\x01", 2, 1, &blk, &n, &e);
	cid_from_block(1, CODEC_DAG_PB, MH_SHA2_256, blk, n, &R, &e);
	bs_put(bs, &R, blk, n, &e);
	free(blk);

	fd = memfd_create("x", 0);
	ok(car_export(bs, &R, 1, fd, "x.car", &e) == 0, "export");
	lseek(fd, 0, SEEK_SET);
	struct car_reader *r = car_reader_open(fd, "x.car", &e);
	struct car_block b;
	while (k < 8 && car_reader_next(r, &b, &e) == 1)
		got[k++] = b.cid;
	car_reader_close(r);
	close(fd);
	ok(k == 4 && cid_equal(&got[0], &R) && cid_equal(&got[1], &A) && cid_equal(&got[2], &C) && cid_equal(&got[3], &B),
	    "pre-order, link order, each block once, identity skipped");

	/* twice over the same store: marks are reset */
	fd = memfd_create("x", 0);
	struct cid two[2] = { R, B };
	ok(car_export(bs, two, 2, fd, "x.car", &e) == 0, "export again, two roots");
	lseek(fd, 0, SEEK_SET);
	ok(car_read_fd(fd, "x.car", NULL, NULL, &e) == 0, "two-root export reads back");
	close(fd);

	struct cid missing;
	cid_from_block(1, CODEC_RAW, MH_SHA2_256, "nope", 4, &missing, &e);
	fd = memfd_create("x", 0);
	e.code = 0;
	ok(car_export(bs, &missing, 1, fd, "x.car", &e) == -1 && e.code == EX_SOFTWARE && strstr(e.msg, "no block"),
	    "export of a missing root fails: %s", e.msg);
	close(fd);
	/* a dag-pb block that does not decode */
	struct cid junk;
	cid_from_block(1, CODEC_DAG_PB, MH_SHA2_256, "\xff", 1, &junk, &e);
	bs_put(bs, &junk, (const uint8_t *)"\xff", 1, &e);
	fd = memfd_create("x", 0);
	ok(car_export(bs, &junk, 1, fd, "x.car", &e) == -1 && strstr(e.msg, "x.car: dag-pb"), "undecodable dag-pb: %s", e.msg);
	close(fd);
	e.code = 0;
	ok(car_export(bs, &R, 1, -1, "closed.car", &e) == -1 && e.code == EX_IOERR && strstr(e.msg, "closed.car"),
	    "write error: %s", e.msg);
	bs_free(bs);
}

static void
test_writer_big(void)
{
	struct werr e = { 0 };
	int fd = memfd_create("w", 0);
	size_t n = 200000;
	uint8_t *big = calloc(1, n);
	struct cid c;
	struct car_writer *w;

	cid_from_block(1, CODEC_RAW, MH_SHA2_256, big, n, &c, &e);
	w = car_writer_open(fd, "w.car", &c, 1, &e);
	ok(w != NULL && car_writer_put(w, &c, big, n, &e) == 0 && car_writer_put(w, &c, big, 10, &e) == 0 &&
	        car_writer_close(w, &e) == 0,
	    "block larger than the write buffer");
	lseek(fd, 0, SEEK_SET);
	e.code = 0;
	ok(car_read_fd(fd, "w.car", NULL, NULL, &e) == -1 && strstr(e.msg, "does not match"), "second (lying) block caught");
	close(fd);
	free(big);
	ok(car_writer_close(NULL, &e) == 0, "close NULL");
	w = car_writer_open(-1, "bad.car", &c, 1, &e);
	ok(w != NULL, "open on a bad fd buffers the header");
	ok(car_writer_close(w, &e) == -1 && e.code == EX_IOERR, "close reports the write error: %s", e.msg);
	w = car_writer_open(-1, "bad.car", &c, 1, &e);
	uint8_t *huge = calloc(1, 70000);
	ok(car_writer_put(w, &c, huge, 70000, &e) == -1, "direct write error");
	ok(car_writer_put(w, &c, huge, 10, &e) == -1 && strstr(e.msg, "earlier write failed"), "sticky write error");
	ok(car_writer_close(w, &e) == -1, "close after a failed write");
	free(huge);
}

int
main(void)
{
	test_header();
	test_roundtrip();
	test_reader_errors();
	test_export();
	test_writer_big();
	return done_testing();
}
