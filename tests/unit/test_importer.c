/* test_importer: the streaming UnixFS importer against CIDs Kubo printed,
 * the DAG structure boxo builds (leaf counts, links per node, blocksizes,
 * Tsize), bounded memory and the error paths. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ipld/dagpb.h"
#include "ipld/importer.h"
#include "ipld/multihash.h"
#include "tap.h"
#include "ipld/unixfs.h"

/* Every block the importer emits, kept for inspection. */
struct blk {
	struct cid cid;
	uint8_t *p;
	size_t n;
};
struct store {
	struct blk *v;
	size_t n, cap;
	int fail_at;
	size_t bytes;
};

static int
keep(void *ctx, const struct cid *c, const uint8_t *p, size_t n, struct werr *e)
{
	struct store *s = ctx;

	if (s->fail_at > 0 && (size_t)s->fail_at == s->n + 1)
		return werr_set(e, EX_IOERR, "store: disk full");
	if (s->n == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 64;
		s->v = realloc(s->v, s->cap * sizeof *s->v);
	}
	s->v[s->n].cid = *c;
	s->v[s->n].p = malloc(n ? n : 1);
	memcpy(s->v[s->n].p, p, n);
	s->v[s->n++].n = n;
	s->bytes += n;
	return 0;
}

static void
store_free(struct store *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->v[i].p);
	free(s->v);
	memset(s, 0, sizeof *s);
}

static const struct blk *
store_get(const struct store *s, const struct cid *c)
{
	for (size_t i = 0; i < s->n; i++)
		if (cid_equal(&s->v[i].cid, c))
			return &s->v[i];
	return NULL;
}

/* Deterministic bytes (xorshift), so the tests need no input files. */
static void
fill_bytes(uint8_t *p, size_t n, uint64_t seed)
{
	uint64_t x = seed * 2654435761u + 1;

	for (size_t i = 0; i < n; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		p[i] = (uint8_t)(x >> 24);
	}
}

static char *
fmt(const struct cid *c)
{
	static char s[4][CID_STR_MAX];
	static int k;
	struct werr e = { 0 };

	k = (k + 1) % 4;
	if (cid_format(c, 0, s[k], sizeof s[k], &e) < 0)
		return "(unformattable)";
	return s[k];
}

/* Import buf in writes of `step` bytes (0: one write). */
static int
import_buf(const struct import_opts *o, const uint8_t *buf, size_t n, size_t step, struct store *st,
    struct cid *root, uint64_t *tsize, struct fimp_stats *stats)
{
	struct werr e = { 0 };
	struct file_importer *f = fimp_new(o, st ? keep : NULL, st, &e);
	uint64_t fsize = 0;
	int rc = -1;

	if (f == NULL)
		return -1;
	for (size_t off = 0; off < n;) {
		size_t k = step && step < n - off ? step : n - off;
		if (fimp_write(f, buf + off, k, &e) < 0)
			goto out;
		off += k;
	}
	if (fimp_finish(f, root, tsize, &fsize, &e) < 0 || fsize != n)
		goto out;
	if (stats)
		fimp_stats(f, stats);
	rc = 0;
out:
	fimp_free(f);
	return rc;
}

static const char *
cid_of(const struct import_opts *o, const char *s)
{
	struct cid c;

	if (import_buf(o, (const uint8_t *)s, strlen(s), 0, NULL, &c, NULL, NULL) < 0)
		return "(error)";
	return fmt(&c);
}

static void
test_kubo_small_vectors(void)
{
	struct import_opts o;

	/* test/cli/add_test.go: shortString "hello world" */
	import_opts_kubo(&o);
	is_str(cid_of(&o, "hello world"), "Qmf412jQZiuVUtdgnB36FXFX7xg5V6KEbSJ4dpQuhkLyfD", "hello world, Kubo defaults (CIDv0)");
	o.cid_version = 1;
	is_str(cid_of(&o, "hello world"), "bafybeihykld7uyxzogax6vgyvag42y7464eywpf55gxi5qpoisibh3c5wa", "hello world, CIDv1 without raw leaves");
	o.raw_leaves = 1;
	is_str(cid_of(&o, "hello world"), "bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5e", "hello world, CIDv1 raw leaf");
	o.mh_code = MH_SHA2_512;
	is_str(cid_of(&o, "hello world"),
	    "bafkrgqbqt3gerhas23vuzrapkdeqf4vu2dwxp3srdj6hvg6nhsug2tgyn6mj3u23yx7utftq3i2ckw2fwdh5qmhid5qf3t35yvkc5e5ottlw6",
	    "hello world, sha2-512");
	import_opts_wanda(&o);
	is_str(cid_of(&o, "hello world"), "bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5e", "hello world, unixfs-v1-2025");

	/* test/sharness/t0040-add-and-cat.sh */
	import_opts_kubo(&o);
	is_str(cid_of(&o, "Hello Worlds!\n"), "QmVr26fY1tKyspEJBniVhqxQeEjhF78XerGiqWAwraVLQH", "t0040 hello.txt");
	is_str(cid_of(&o, ""), "QmbFMke1KXqnYyBBWxB74N4c5SBnJMVAiMNRcGu6x1AwQH", "t0040 zero length file");
	o.trickle = 1;
	is_str(cid_of(&o, "Hello Worlds!\n"), "QmUkUQgxXeggyaD5Ckv8ZqfW8wHBX6cYyeiyqvVZYzq5Bi", "t0040 hello.txt with -t (trickle)");
	is_str(cid_of(&o, ""), "QmbFMke1KXqnYyBBWxB74N4c5SBnJMVAiMNRcGu6x1AwQH", "empty file, trickle");
	o.trickle = 0;
	o.chunk_size = 64;
	is_str(cid_of(&o, "Hello Worlds!\n"), "QmVr26fY1tKyspEJBniVhqxQeEjhF78XerGiqWAwraVLQH", "t0040 --chunker=size-64");
	import_opts_kubo(&o);
	o.raw_leaves = 1;
	is_str(cid_of(&o, ""), "bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku", "t0040 zero length file with raw leaves");
	is_str(cid_of(&o, "Hello Mars!\n"), "bafkreibmlvvgdyihetgocpof6xk64kjjzdeq2e4c7hqs3krdheosk4tgj4", "t0040 mars.txt --raw-leaves");
	import_opts_kubo(&o);
	o.cid_version = 1;
	is_str(cid_of(&o, "Hello Venus!\n"), "bafybeicvkvhs2fr75ynebtdjqpgm4g2fc63abqbmysupwpmcjl4gx7mzrm", "t0040 venus.txt --cid-version=1 --raw-leaves=false");
}

/* Walk the DAG under c in the store: check each node's UnixFS against its
 * children, count leaves and the largest fan-out; returns file bytes. */
static uint64_t
walk(const struct store *st, const struct cid *c, int trickle_leaves, size_t *leaves, size_t *maxfan,
    int *bad, uint64_t *tsize)
{
	const struct blk *b = store_get(st, c);
	struct pb_node nd;
	struct ufs_data d;
	struct werr e = { 0 };
	uint64_t sum = 0;

	if (b == NULL) {
		(*bad)++;
		return 0;
	}
	if (c->codec == CODEC_RAW) {
		(*leaves)++;
		*tsize = b->n;
		return b->n;
	}
	if (dagpb_decode(b->p, b->n, &nd, &e) < 0 || ufs_decode(nd.data, nd.data_len, &d, &e) < 0) {
		(*bad)++;
		return 0;
	}
	*tsize = b->n;
	if (nd.nlinks == 0 && !d.has_data && d.type == UFS_FILE && d.filesize == 0) {
		/* the empty file: no leaf at all */
	} else if (nd.nlinks == 0) {
		(*leaves)++;
		if (d.type != (trickle_leaves ? UFS_RAW : UFS_FILE) || d.filesize != d.data_len)
			(*bad)++;
		sum = d.data_len;
	} else if (d.type != UFS_FILE || d.has_data || d.nblocksizes != nd.nlinks) {
		(*bad)++;
	}
	if (nd.nlinks > *maxfan)
		*maxfan = nd.nlinks;
	for (size_t i = 0; i < nd.nlinks && d.nblocksizes == nd.nlinks; i++) {
		uint64_t ts = 0, fs = walk(st, &nd.links[i].cid, trickle_leaves, leaves, maxfan, bad, &ts);
		if (fs != d.blocksizes[i] || ts != nd.links[i].tsize || nd.links[i].name_len != 0)
			(*bad)++;
		sum += fs;
		*tsize += ts;
	}
	if (d.filesize != sum)
		(*bad)++;
	ufs_data_free(&d);
	dagpb_node_free(&nd);
	return sum;
}

static void
check_shape(const char *what, const struct import_opts *o, size_t n, size_t want_leaves, size_t want_rootlinks)
{
	uint8_t *buf = malloc(n ? n : 1);
	struct store st = { 0 };
	struct cid root;
	uint64_t tsize = 0, wtsize = 0;
	size_t leaves = 0, maxfan = 0;
	int bad = 0;
	const struct blk *rb;
	struct pb_node nd = { 0 };
	struct werr e = { 0 };

	fill_bytes(buf, n, n);
	if (!ok(import_buf(o, buf, n, 0, &st, &root, &tsize, NULL) == 0, "%s: imports", what))
		goto out;
	is_int(walk(&st, &root, o->trickle && !o->raw_leaves, &leaves, &maxfan, &bad, &wtsize), n, "%s: file bytes add up", what);
	is_int(bad, 0, "%s: every node's blocksizes, filesize and Tsize agree with its children", what);
	is_int(leaves, want_leaves, "%s: %zu leaves", what, want_leaves);
	ok(maxfan <= (size_t)o->max_links + (o->trickle ? 64 : 0), "%s: fan-out within the link limit", what);
	is_int(tsize, wtsize, "%s: root Tsize is the cumulative DAG size", what);
	rb = store_get(&st, &root);
	if (rb && root.codec == CODEC_DAG_PB && dagpb_decode(rb->p, rb->n, &nd, &e) == 0) {
		is_int(nd.nlinks, want_rootlinks, "%s: root has %zu links", what, want_rootlinks);
		dagpb_node_free(&nd);
	} else {
		is_int(0, want_rootlinks, "%s: root is a leaf", what);
	}
	ok(st.n > 0 && cid_equal(&st.v[st.n - 1].cid, &root), "%s: the root is the last block emitted", what);
out:
	store_free(&st);
	free(buf);
}

/* A file of size bytes in 10-byte chunks, 3 links a node, balanced or
 * trickle, and the shape Kubo gives it: leaves, and links at the root.
 * raw: with raw leaves (and CIDv1, as Kubo requires). */
static void
test_shapes(void)
{
	static const struct {
		const char *what;
		int trickle, raw;
		size_t size, leaves, rootlinks;
	} shapes[] = {
		{ "balanced 1 chunk", 0, 0, 10, 1, 0 },
		{ "balanced 3 chunks", 0, 0, 30, 3, 3 },
		{ "balanced 4 chunks (one level more)", 0, 0, 31, 4, 2 },
		{ "balanced 9 chunks (full 2 levels)", 0, 0, 90, 9, 3 },
		{ "balanced 10 chunks (3 levels, single-child branch)", 0, 0, 91, 10, 2 },
		{ "balanced 28 chunks", 0, 0, 271, 28, 2 },
		{ "balanced raw leaves 28 chunks", 0, 1, 271, 28, 2 },
		{ "balanced raw empty file", 0, 1, 0, 1, 0 },
		/* trickle root: 3 leaves, then 4 subtrees of depth 1 (3 leaves
		 * each), then depth-2 subtrees (3 leaves + 4 depth-1 subtrees =
		 * 15 leaves). */
		{ "trickle 1 chunk (root still a node)", 1, 0, 5, 1, 1 },
		{ "trickle 3 chunks", 1, 0, 30, 3, 3 },
		{ "trickle 4 chunks", 1, 0, 40, 4, 4 },
		{ "trickle 15 chunks", 1, 0, 150, 15, 7 },
		{ "trickle 16 chunks", 1, 0, 151, 16, 8 },
		{ "trickle 100 chunks", 1, 0, 999, 100, 12 },
		{ "trickle empty file", 1, 0, 0, 0, 0 },
		{ "trickle raw leaves 100 chunks", 1, 1, 1000, 100, 12 },
	};
	struct import_opts o;

	for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++) {
		import_opts_kubo(&o);
		o.trickle = shapes[i].trickle;
		o.chunk_size = 10;
		o.max_links = 3;
		o.raw_leaves = shapes[i].raw;
		o.cid_version = shapes[i].raw;
		check_shape(shapes[i].what, &o, shapes[i].size, shapes[i].leaves, shapes[i].rootlinks);
	}
}

/* The same bytes give the same CID however they are written. */
static void
test_write_splits(void)
{
	size_t n = 100000;
	uint8_t *buf = malloc(n);
	struct import_opts o;
	struct cid a, b, c;
	char path[] = "/tmp/test_importer.XXXXXX";
	int fd = mkstemp(path);
	struct werr e = { 0 };
	uint64_t ts = 0, fs = 0;

	fill_bytes(buf, n, 7);
	ok(fd >= 0 && write(fd, buf, n) == (ssize_t)n, "temp file written");
	import_opts_kubo(&o);
	o.chunk_size = 1000;
	o.max_links = 5;
	for (int t = 0; t <= 1; t++) {
		o.trickle = t;
		import_buf(&o, buf, n, 0, NULL, &a, NULL, NULL);
		import_buf(&o, buf, n, 7, NULL, &b, NULL, NULL);
		import_buf(&o, buf, n, 1000, NULL, &c, NULL, NULL);
		ok(cid_equal(&a, &b) && cid_equal(&a, &c), "%s: one write, 7-byte and chunk-sized writes agree",
		    t ? "trickle" : "balanced");
		ok(import_path(path, &o, NULL, NULL, &b, &ts, &fs, &e) == 0 && cid_equal(&a, &b) && fs == n,
		    "%s: import_path (read straight into the chunk buffer) agrees", t ? "trickle" : "balanced");
	}
	close(fd);
	unlink(path);
	free(buf);
}

/* Memory: pending links never exceed levels * max_links, and the number of
 * levels grows with log(leaves), not with the file size. */
static void
test_bounded_memory(void)
{
	struct import_opts o;
	struct werr e = { 0 };
	struct file_importer *f;
	struct fimp_stats st;
	uint8_t chunk[64];
	size_t worst = 0, worst_levels = 0;
	struct cid root;

	for (int t = 0; t <= 1; t++) {
		import_opts_kubo(&o);
		o.chunk_size = sizeof chunk;
		o.max_links = 4;
		o.trickle = t;
		worst = worst_levels = 0;
		f = fimp_new(&o, NULL, NULL, &e);
		for (int i = 0; i < 20000; i++) {
			fill_bytes(chunk, sizeof chunk, (uint64_t)i);
			fimp_write(f, chunk, sizeof chunk, &e);
			fimp_stats(f, &st);
			if (st.pending_links > worst)
				worst = st.pending_links;
			if (st.levels > worst_levels)
				worst_levels = st.levels;
		}
		ok(fimp_finish(f, &root, NULL, NULL, &e) == 0, "%s: 20000 chunks imported", t ? "trickle" : "balanced");
		fimp_stats(f, &st);
		is_int(st.leaves, 20000, "%s: 20000 leaves", t ? "trickle" : "balanced");
		/* balanced: ceil(log4(20000)) = 8 levels of at most 4 links */
		ok(worst_levels <= (t ? 16 : 8), "%s: %zu open levels for 20000 leaves", t ? "trickle" : "balanced", worst_levels);
		ok(worst <= worst_levels * (t ? 4 + 4 * worst_levels : 4), "%s: at most %zu links pending",
		    t ? "trickle" : "balanced", worst);
		fimp_free(f);
	}
}

static void
test_errors(void)
{
	struct import_opts o;
	struct werr e = { 0 };
	struct file_importer *f;
	struct store st = { 0 };
	struct cid c;
	uint8_t buf[300];

	import_opts_kubo(&o);
	o.chunk_size = 0;
	ok(fimp_new(&o, NULL, NULL, &e) == NULL && e.code == EX_USAGE && strstr(e.msg, "--chunker"), "size-0 refused: %s", e.msg);
	o.chunk_size = IMPORT_CHUNK_MAX + 1;
	ok(fimp_new(&o, NULL, NULL, &e) == NULL && e.code == EX_USAGE && strstr(e.msg, "1048576"), "chunks over 1 MiB refused: %s", e.msg);
	import_opts_kubo(&o);
	o.max_links = 1;
	ok(fimp_new(&o, NULL, NULL, &e) == NULL && strstr(e.msg, "--max-file-links"), "max links 1 refused: %s", e.msg);
	import_opts_kubo(&o);
	o.mh_code = MH_SHA2_512;
	ok(fimp_new(&o, NULL, NULL, &e) == NULL && strstr(e.msg, "CIDv0 only supports sha2-256"), "CIDv0 with sha2-512 refused: %s", e.msg);
	o.cid_version = 2;
	ok(fimp_new(&o, NULL, NULL, &e) == NULL && strstr(e.msg, "unknown CID version"), "CID version 2 refused: %s", e.msg);
	import_opts_kubo(&o);
	o.mh_code = MH_IDENTITY;
	o.cid_version = 1;
	ok(fimp_new(&o, NULL, NULL, &e) == NULL && strstr(e.msg, "--hash"), "identity hash refused: %s", e.msg);

	/* a sink that fails on the 3rd block: the error comes back, and the
	 * importer refuses to go on with a broken DAG */
	import_opts_kubo(&o);
	o.chunk_size = 10;
	st.fail_at = 3;
	f = fimp_new(&o, keep, &st, &e);
	fill_bytes(buf, sizeof buf, 1);
	ok(fimp_write(f, buf, sizeof buf, &e) < 0 && e.code == EX_IOERR && strstr(e.msg, "disk full"), "sink error propagates: %s", e.msg);
	ok(fimp_write(f, buf, 1, &e) < 0 && e.code == EX_SOFTWARE, "no writes after an error");
	ok(fimp_finish(f, &c, NULL, NULL, &e) < 0, "no finish after an error");
	fimp_free(f);
	store_free(&st);

	f = fimp_new(&o, NULL, NULL, &e);
	ok(fimp_finish(f, &c, NULL, NULL, &e) == 0, "finish an empty import");
	ok(fimp_write(f, buf, 1, &e) < 0 && strstr(e.msg, "after finish"), "no writes after finish: %s", e.msg);
	fimp_free(f);

	ok(import_path("/nonexistent/wanda-file", &o, NULL, NULL, &c, NULL, NULL, &e) < 0 && e.code == EX_NOINPUT &&
	        strstr(e.msg, "/nonexistent/wanda-file"),
	    "missing file: %s", e.msg);
	ok(import_path("/", &o, NULL, NULL, &c, NULL, NULL, &e) < 0 && e.code == EX_DATAERR &&
	        strstr(e.msg, "/: not a regular file"),
	    "a directory is refused before reading: %s", e.msg);
}

/* fimp_add_leaf: the leaves of one import, linked into a second importer
 * with another layout, give the root that importing the bytes with that
 * layout gives (wanda-push checks a daemon's 174-link DAG this way while
 * it hashes the file once, for WANDA's 1024-link one). */
static void
test_add_leaf_layouts(void)
{
	static const struct {
		size_t n;
		int big_links, small_links, trickle;
	} c[] = {
		{ 0, 1024, 174, 0 },
		{ 1, 1024, 174, 0 },
		{ 64 * 174, 1024, 174, 0 },
		{ 64 * 175 + 3, 1024, 174, 0 },
		{ 64 * 1025 + 1, 1024, 174, 0 },
		{ 64 * 600, 1024, 174, 1 },
		{ 64 * 40 + 7, 11, 3, 0 },
	};

	for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
		struct import_opts big, small;
		struct store st = { 0 };
		struct cid want, got, first;
		struct werr e = { 0 };
		uint64_t tsize = 0, want_tsize = 0, fsize = 0;
		uint8_t *buf = malloc(c[i].n ? c[i].n : 1);
		struct file_importer *f;
		size_t leaves = 0;

		import_opts_wanda(&big);
		big.chunk_size = 64;
		big.max_links = c[i].big_links;
		small = big;
		small.max_links = c[i].small_links;
		small.trickle = c[i].trickle;
		fill_bytes(buf, c[i].n, 40 + i);
		ok(import_buf(&big, buf, c[i].n, 1000, &st, &first, NULL, NULL) == 0, "case %zu: import", i);
		ok(import_buf(&small, buf, c[i].n, 0, NULL, &want, &want_tsize, NULL) == 0, "case %zu: direct", i);
		f = fimp_new(&small, NULL, NULL, &e);
		for (size_t b = 0; b < st.n; b++)
			if (st.v[b].cid.codec == CODEC_RAW && (c[i].n == 0 || st.v[b].n > 0)) {
				fimp_add_leaf(f, &st.v[b].cid, st.v[b].n, st.v[b].n, &e);
				leaves++;
			}
		ok(f != NULL && fimp_finish(f, &got, &tsize, &fsize, &e) == 0, "case %zu: finish: %s", i, e.msg);
		is_str(fmt(&got), fmt(&want), "case %zu: %zu bytes, %zu leaves, %d links%s: same root", i,
		    c[i].n, leaves, c[i].small_links, c[i].trickle ? " trickle" : "");
		is_int(tsize, want_tsize, "case %zu: same Tsize", i);
		is_int(fsize, c[i].n, "case %zu: file size counted", i);
		fimp_free(f);
		store_free(&st);
		free(buf);
	}
}

/* fimp_add_leaf after bytes were written is a caller bug, reported. */
static void
test_add_leaf_misuse(void)
{
	struct import_opts o;
	struct werr e = { 0 };
	struct file_importer *f;
	struct cid c;

	import_opts_wanda(&o);
	f = fimp_new(&o, NULL, NULL, &e);
	cid_parse("bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku", &c, &e);
	ok(fimp_write(f, "x", 1, &e) == 0, "a byte written");
	ok(fimp_add_leaf(f, &c, 1, 1, &e) < 0 && e.code == EX_SOFTWARE, "then a leaf is refused: %s", e.msg);
	fimp_free(f);
}

int
main(void)
{
	test_kubo_small_vectors();
	test_shapes();
	test_write_splits();
	test_bounded_memory();
	test_errors();
	test_add_leaf_layouts();
	test_add_leaf_misuse();
	return done_testing();
}
