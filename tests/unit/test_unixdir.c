/* Unit tests for lib/unixdir (plain and HAMT-sharded UnixFS directories) and
 * lib/murmur3. The directory CIDs below are the ones Kubo printed in its own
 * test suite; each input tree is regenerated here with the same recipe. */
#include <stdlib.h>
#include <stdio.h>
#include <time.h>
#include <openssl/evp.h>
#include <openssl/sha.h>
#include "base/buf.h"
#include "tap.h"
#include "ipld/cid.h"
#include "ipld/dagpb.h"
#include "ipld/murmur3.h"
#include "ipld/unixdir.h"
#include "ipld/unixfs.h"

struct tree {
	struct dir_entry *ents;
	char (*names)[64];
	size_t n;
};

/* What the sink saw: block count, bytes, the last block (the root). */
struct seen {
	size_t blocks, last_len, max_len;
	uint64_t bytes;
	struct cid last;
	int root_ok;
};

static int
sink(void *ctx, const struct cid *c, const uint8_t *data, size_t len, struct werr *e)
{
	struct seen *s = ctx;
	struct cid chk;

	/* Every block must hash to the CID it is delivered with. */
	if (cid_from_block(c->version, c->codec, MH_SHA2_256, data, len, &chk, e) < 0 ||
	    !cid_equal(&chk, c))
		s->root_ok = 0;
	s->blocks++;
	s->bytes += len;
	s->last = *c;
	s->last_len = len;
	if (len > s->max_len)
		s->max_len = len;
	return 0;
}

/* A one-chunk file as `ipfs add` makes it: a raw leaf (CIDv1 default) or a
 * dag-pb UnixFS File leaf (CIDv0). */
static int
file_entry(struct dir_entry *d, const char *content, int raw)
{
	struct ufs_data u = { .type = UFS_FILE, .data = (const uint8_t *)content, .data_len = strlen(content), .has_data = 1, .filesize = strlen(content), .has_filesize = 1 };
	uint8_t *ud = NULL, *blk = NULL;
	size_t udl, bl;
	struct werr e = { 0 };
	int rc = -1;

	if (raw) {
		d->tsize = strlen(content);
		return cid_from_block(1, CODEC_RAW, MH_SHA2_256, content, strlen(content), &d->cid, &e);
	}
	if (ufs_encode(&u, &ud, &udl, &e) == 0 && dagpb_encode(NULL, 0, ud, udl, 1, &blk, &bl, &e) == 0 &&
	    cid_from_block(0, CODEC_DAG_PB, MH_SHA2_256, blk, bl, &d->cid, &e) == 0) {
		d->tsize = bl;
		rc = 0;
	}
	free(ud);
	free(blk);
	return rc;
}

static void
tree_free(struct tree *t)
{
	free(t->ents);
	free(t->names);
}

/* t0260-sharding.sh: for i in `seq 2000`; do echo $i > testdata/file$i; done */
static void
t0260_tree(struct tree *t, int raw)
{
	char content[16];
	size_t i;

	t->n = 2000;
	t->ents = calloc(t->n, sizeof *t->ents);
	t->names = calloc(t->n, sizeof *t->names);
	for (i = 0; i < t->n; i++) {
		text_fmt(t->names[i], sizeof t->names[i], "file%zu", i + 1);
		text_fmt(content, sizeof content, "%zu\n", i + 1);
		t->ents[i].name = t->names[i];
		file_entry(&t->ents[i], content, raw);
	}
}

/* test/cli createDeterministicFiles: names from a ChaCha20 stream (key =
 * sha256(seed), zero nonce) mapped byte % 39 onto AlphabetEasy; file i has
 * name_len characters, the last one last_len; every file holds "x". */
static void
profile_tree(struct tree *t, const char *seed, size_t n, size_t name_len, size_t last_len, int raw)
{
	static const char alpha[] = "abcdefghijklmnopqrstuvwxyz01234567890-_";
	uint8_t key[32], iv[16] = { 0 }, zero[64] = { 0 }, buf[64];
	EVP_CIPHER_CTX *cx = EVP_CIPHER_CTX_new();
	struct dir_entry x;
	size_t i, j, len;
	int outl;

	SHA256((const uint8_t *)seed, strlen(seed), key);
	EVP_EncryptInit_ex(cx, EVP_chacha20(), NULL, key, iv);
	file_entry(&x, "x", raw);
	t->n = n;
	t->ents = calloc(n, sizeof *t->ents);
	t->names = calloc(n, sizeof *t->names);
	for (i = 0; i < n; i++) {
		len = i == n - 1 ? last_len : name_len;
		EVP_EncryptUpdate(cx, buf, &outl, zero, (int)len);
		for (j = 0; j < len; j++)
			t->names[i][j] = alpha[buf[j] % (sizeof alpha - 1)];
		t->ents[i] = x;
		t->ents[i].name = t->names[i];
	}
	EVP_CIPHER_CTX_free(cx);
}

static const char *
build(const struct tree *t, const struct dir_opts *o, struct seen *s, uint64_t *tsize)
{
	static char out[CID_STR_MAX];
	struct werr e = { 0 };
	struct cid root;

	memset(s, 0, sizeof *s);
	s->root_ok = 1;
	if (unixdir_build(t->ents, t->n, o, sink, s, &root, tsize, &e) < 0) {
		printf("# unixdir_build: %s\n", e.msg);
		return "(error)";
	}
	if (!cid_equal(&root, &s->last))
		s->root_ok = 0;
	cid_format(&root, 0, out, sizeof out, &e);
	return out;
}

static uint64_t
leaf_tsizes(const struct tree *t)
{
	uint64_t sum = 0;
	size_t i;

	for (i = 0; i < t->n; i++)
		sum += t->ents[i].tsize;
	return sum;
}

static void
test_murmur3(void)
{
	/* Reference MurmurHash3_x64_128 vectors (seed 0), first 64 bits. */
	ok(murmur3_x64_64("", 0) == 0, "murmur3 of nothing is 0");
	ok(murmur3_x64_64("hello", 5) == 0xcbd8a7b341bd9b02ULL, "murmur3 'hello'");
	ok(murmur3_x64_64("The quick brown fox jumps over the lazy dog", 43) ==
	        0xe34bbc7bbc071b6cULL,
	    "murmur3 of the quick brown fox (two blocks + tail)");
}

static void
test_t0260(void)
{
	struct dir_opts o;
	struct tree t;
	struct seen s;
	uint64_t ts;

	/* test/sharness/t0260-sharding.sh, Kubo's own expected CIDs. */
	t0260_tree(&t, 0);
	dir_opts_kubo(&o);
	o.hamt_threshold = 1ULL << 30; /* Internal.UnixFSShardingSizeThreshold "1G" */
	is_str(build(&t, &o, &s, &ts), "QmavrTrQG4VhoJmantURAYuw3bowq3E2WcvP36NRQDAC1N",
	    "t0260: 2000 files, sharding off, CIDv0");
	ok(s.blocks == 1 && s.root_ok, "plain directory is one block, delivered with its CID");
	is_int(ts, s.bytes + leaf_tsizes(&t), "plain directory Tsize = block + link Tsizes");
	o.hamt_threshold = 1; /* "1B": force sharding */
	is_str(build(&t, &o, &s, &ts), "QmSCJD1KYLhVVHqBK3YyXuoEqHt7vggyJhzoFYbT8v1XYL",
	    "t0260: 2000 files, sharding on, CIDv0");
	ok(s.blocks > 1 && s.root_ok, "HAMT: %zu shard blocks, root last, hashes verified", s.blocks);
	is_int(ts, s.bytes + leaf_tsizes(&t), "HAMT Tsize = all shard blocks + file Tsizes");
	tree_free(&t);

	t0260_tree(&t, 1);
	o.cid_version = 1;
	is_str(build(&t, &o, &s, &ts), "bafybeibiemewfzzdyhq2l74wrd6qj2oz42usjlktgnlqv4yfawgouaqn4u",
	    "t0260: 2000 files, sharding on, CIDv1 raw leaves");
	tree_free(&t);
}

static void
test_file100(void)
{
	struct dir_entry d;
	char s[CID_STR_MAX];

	/* t0260: ipfs resolve /ipfs/$SHARDED/file100 -> this CID */
	file_entry(&d, "100\n", 0);
	cid_format(&d.cid, 0, s, sizeof s, NULL);
	is_str(s, "QmZ3RfWk1u5LEGYLHA633B5TNJy3Du27K6Fny9wcxpowGS", "t0260 file100 leaf (test recipe check)");
}

static void
test_profiles(void)
{
	struct dir_opts o;
	struct tree t;
	struct seen s;
	uint64_t ts;

	/* test/cli/cid_profiles_test.go, unixfs-v0-2015 (= Kubo's default):
	 * links estimation, 4096 * (30 + 34) = 262144 stays plain, 4033 *
	 * (31 + 34) = 262145 shards. */
	dir_opts_kubo(&o);
	profile_tree(&t, "hamt-unixfs-v0-2015", 4096, 30, 30, 0);
	is_int(unixdir_estimate(t.ents, t.n, HAMT_EST_LINKS), 262144, "v0 basic: links estimate at threshold");
	is_str(build(&t, &o, &s, &ts), "QmX5GtRk3TSSEHtdrykgqm4eqMEn3n2XhfkFAis5fjyZmN",
	    "unixfs-v0-2015: 4096 files exactly at the threshold stay plain");
	ok(s.blocks == 1, "one block");
	tree_free(&t);
	profile_tree(&t, "hamt-unixfs-v0-2015", 4033, 31, 31, 0);
	is_str(build(&t, &o, &s, &ts), "QmeMiJzmhpJAUgynAcxTQYek5PPKgdv3qEvFsdV3XpVnvP",
	    "unixfs-v0-2015: 4033 files one byte over the threshold shard");
	ok(s.blocks > 1 && s.root_ok, "sharded into %zu blocks", s.blocks);
	tree_free(&t);

	/* unixfs-v1-2025: block estimation; 4765*55 + 65 + 4 = 262144 stays
	 * plain (the block is exactly 262144 bytes), last name 22 chars = +1. */
	dir_opts_wanda(&o);
	profile_tree(&t, "hamt-unixfs-v1-2025", 4766, 11, 21, 1);
	is_str(build(&t, &o, &s, &ts), "bafybeic3h7rwruealwxkacabdy45jivq2crwz6bufb5ljwupn36gicplx4",
	    "unixfs-v1-2025: 4766 files, block exactly at the threshold stays plain");
	is_int(s.last_len, 262144, "plain block is 262144 bytes, as the block estimate said");
	/* The same tree under links estimation is far below the threshold. */
	o.hamt_estimation = HAMT_EST_LINKS;
	ok(unixdir_estimate(t.ents, t.n, HAMT_EST_LINKS) < 262144, "links estimate is lower");
	o.hamt_estimation = HAMT_EST_BLOCK;
	tree_free(&t);
	profile_tree(&t, "hamt-unixfs-v1-2025", 4766, 11, 22, 1);
	is_int(unixdir_estimate(t.ents, t.n, HAMT_EST_BLOCK), 262145, "v1 HAMT: block estimate is +1");
	is_str(build(&t, &o, &s, &ts), "bafybeiegvuterwurhdtkikfhbxcldohmxp566vpjdofhzmnhv6o4freidu",
	    "unixfs-v1-2025: 4766 files one byte over the threshold shard");
	ok(s.blocks > 1 && s.root_ok, "sharded into %zu blocks", s.blocks);
	/* Same entries, links estimation: no sharding, a different CID. */
	o.hamt_estimation = HAMT_EST_LINKS;
	build(&t, &o, &s, &ts);
	ok(s.blocks == 1, "links estimation keeps the same 4766 entries plain");
	tree_free(&t);
}

static void
test_estimates(void)
{
	struct dir_entry d = { .tsize = 0 };
	char name[256];
	uint8_t blk[1] = { 0 };

	/* boxo linkSerializedSize cases from Kubo's TestProtobufHelpers. */
	memset(name, 'a', 255);
	name[255] = '\0';
	d.name = name;
	cid_from_block(0, CODEC_DAG_PB, MH_SHA2_256, blk, 1, &d.cid, NULL);
	is_int(unixdir_estimate(&d, 1, HAMT_EST_BLOCK), 4 + 299, "255-char name, CIDv0, tsize 0");
	is_int(unixdir_estimate(&d, 1, HAMT_EST_LINKS), 255 + 34, "links: name + CIDv0 bytes");
	cid_from_block(1, CODEC_DAG_PB, MH_SHA2_256, blk, 1, &d.cid, NULL);
	is_int(unixdir_estimate(&d, 1, HAMT_EST_BLOCK), 4 + 301, "255-char name, CIDv1, tsize 0");
	d.tsize = 34359738367ULL;
	is_int(unixdir_estimate(&d, 1, HAMT_EST_BLOCK), 4 + 305, "255-char name, CIDv1, 5-byte tsize");
	name[10] = '\0';
	d.tsize = 0;
	is_int(unixdir_estimate(&d, 1, HAMT_EST_BLOCK), 4 + 54, "10-char name, CIDv1, tsize 0");
}

static void
test_order_and_errors(void)
{
	struct dir_entry a[3], b[3];
	struct dir_opts o;
	struct werr e = { 0 };
	struct cid r1, r2;
	char s1[CID_STR_MAX], s2[CID_STR_MAX];
	size_t i;

	dir_opts_kubo(&o);
	file_entry(&a[0], "one\n", 0);
	file_entry(&a[1], "two\n", 0);
	file_entry(&a[2], "three\n", 0);
	a[0].name = "b";
	a[1].name = "B";
	a[2].name = "a.txt";
	for (i = 0; i < 3; i++)
		b[i] = a[2 - i];
	ok(unixdir_build(a, 3, &o, NULL, NULL, &r1, NULL, &e) == 0 &&
	        unixdir_build(b, 3, &o, NULL, NULL, &r2, NULL, &e) == 0 && cid_equal(&r1, &r2),
	    "entry order does not change the CID (sorted inside)");
	o.hamt_threshold = 1;
	ok(unixdir_build(a, 3, &o, NULL, NULL, &r1, NULL, &e) == 0 &&
	        unixdir_build(b, 3, &o, NULL, NULL, &r2, NULL, &e) == 0 && cid_equal(&r1, &r2),
	    "nor the HAMT's");
	cid_format(&r1, 0, s1, sizeof s1, NULL);
	o.hamt_fanout = 16;
	unixdir_build(a, 3, &o, NULL, NULL, &r2, NULL, &e);
	cid_format(&r2, 0, s2, sizeof s2, NULL);
	ok(strcmp(s1, s2) != 0, "fanout 16 gives another HAMT");
	o.hamt_fanout = 48;
	ok(unixdir_build(a, 3, &o, NULL, NULL, &r1, NULL, &e) < 0 && e.code == EX_USAGE &&
	        strstr(e.msg, "48"),
	    "fanout 48 refused: %s", e.msg);
	o.hamt_fanout = 2048;
	ok(unixdir_build(a, 3, &o, NULL, NULL, &r1, NULL, &e) < 0, "fanout 2048 refused");
	dir_opts_kubo(&o);
	o.mh_code = MH_SHA2_512;
	ok(unixdir_build(a, 3, &o, NULL, NULL, &r1, NULL, &e) < 0 && e.code == EX_USAGE,
	    "CIDv0 with sha2-512 refused: %s", e.msg);
	o.cid_version = 1;
	ok(unixdir_build(a, 3, &o, NULL, NULL, &r1, NULL, &e) == 0 && r1.mh_len == 66,
	    "CIDv1 directory with sha2-512");
	o.cid_version = 2;
	ok(unixdir_build(a, 3, &o, NULL, NULL, &r1, NULL, &e) < 0 && e.code == EX_USAGE,
	    "CID version 2 refused: %s", e.msg);
	dir_opts_kubo(&o);
	o.hamt_estimation = 7;
	ok(unixdir_build(a, 3, &o, NULL, NULL, &r1, NULL, &e) < 0 && e.code == EX_USAGE,
	    "unknown estimation refused: %s", e.msg);
	dir_opts_kubo(&o);
	o.max_links = -1;
	ok(unixdir_build(a, 3, &o, NULL, NULL, &r1, NULL, &e) < 0 && e.code == EX_USAGE,
	    "negative max_links refused: %s", e.msg);
	dir_opts_kubo(&o);
	b[1].name = "b";
	ok(unixdir_build(b, 3, &o, NULL, NULL, &r1, NULL, &e) < 0 && e.code == EX_DATAERR &&
	        strstr(e.msg, "'b'") && strstr(e.msg, "duplicate"),
	    "duplicate names refused: %s", e.msg);
	b[1].name = "x/y";
	ok(unixdir_build(b, 3, &o, NULL, NULL, &r1, NULL, &e) < 0 && e.code == EX_DATAERR &&
	        strstr(e.msg, "x/y"),
	    "slash in a name refused: %s", e.msg);
	b[1].name = NULL;
	ok(unixdir_build(b, 3, &o, NULL, NULL, &r1, NULL, &e) < 0 && e.code == EX_DATAERR,
	    "missing name refused: %s", e.msg);
	o.max_links = 2;
	ok(unixdir_build(a, 3, &o, NULL, NULL, &r1, NULL, &e) == 0, "max_links 2 with 3 entries");
	o.max_links = 0;
	o.hamt_threshold = 1;
	ok(unixdir_build(a, 3, &o, NULL, NULL, &r2, NULL, &e) == 0 && cid_equal(&r1, &r2),
	    "3 entries over max_links shard (same CID as a forced HAMT)");
	o.max_links = 2;
	o.hamt_threshold = 0;
	ok(unixdir_build(a, 3, &o, NULL, NULL, &r1, NULL, &e) < 0 && e.code == EX_DATAERR,
	    "over max_links with sharding off is an error: %s", e.msg);
	dir_opts_kubo(&o);
	o.hamt_threshold = 1;
	ok(unixdir_build(a, 0, &o, NULL, NULL, &r1, NULL, &e) == 0, "empty directory");
	cid_format(&r1, 0, s1, sizeof s1, NULL);
	/* The empty directory every Kubo knows (ipfs object new unixfs-dir). */
	is_str(s1, "QmUNLLsPACCz1vLxQVkXqqLX5R1X345qqfHbsf67hvA3Nn", "empty directory never shards");
}

/* A session of 20,000 captures: must shard, stay under 1 MiB a block, fast. */
static void
test_session(void)
{
	struct dir_opts o;
	struct tree t;
	struct seen s;
	struct timespec a, b;
	char content[32];
	uint64_t ts;
	double ms;
	size_t i;

	t.n = 20000;
	t.ents = calloc(t.n, sizeof *t.ents);
	t.names = calloc(t.n, sizeof *t.names);
	for (i = 0; i < t.n; i++) {
		snprintf(t.names[i], sizeof t.names[i], "20261124T%06zuZ-pi4-%05zu.jpg", i * 7, i);
		snprintf(content, sizeof content, "capture %zu", i);
		file_entry(&t.ents[i], content, 1);
		t.ents[i].name = t.names[i];
		t.ents[i].tsize = 4000000 + i;
	}
	dir_opts_wanda(&o);
	clock_gettime(CLOCK_MONOTONIC, &a);
	build(&t, &o, &s, &ts);
	clock_gettime(CLOCK_MONOTONIC, &b);
	ms = (b.tv_sec - a.tv_sec) * 1e3 + (b.tv_nsec - a.tv_nsec) / 1e6;
	ok(s.blocks > 1 && s.root_ok, "20,000 entries shard into %zu blocks", s.blocks);
	ok(s.max_len <= 1 << 20, "largest block %zu bytes, under 1 MiB", s.max_len);
	ok(ms < 2000, "built in %.1f ms", ms);
	tree_free(&t);
}

static int
failing_sink(void *ctx, const struct cid *c, const uint8_t *data, size_t len, struct werr *e)
{
	int *left = ctx;

	(void)c, (void)data, (void)len;
	if ((*left)-- > 0)
		return 0;
	return werr_set(e, EX_IOERR, "outbox.car: disk full");
}

/* A sink error stops the build and comes back as the build's error, at the
 * first block (plain) and in the middle of a HAMT. */
static void
test_sink_error(void)
{
	struct dir_opts o;
	struct tree t;
	struct werr e = { 0 };
	struct cid root;
	int left = 0;

	t0260_tree(&t, 1);
	dir_opts_wanda(&o);
	ok(unixdir_build(t.ents, t.n, &o, failing_sink, &left, &root, NULL, &e) < 0 &&
	        e.code == EX_IOERR && strstr(e.msg, "outbox.car"),
	    "plain: sink error returned: %s", e.msg);
	o.hamt_threshold = 1;
	left = 100;
	memset(&e, 0, sizeof e);
	ok(unixdir_build(t.ents, t.n, &o, failing_sink, &left, &root, NULL, &e) < 0 &&
	        e.code == EX_IOERR && left < 0,
	    "HAMT: sink error after 100 shards returned: %s", e.msg);
	tree_free(&t);
}

int
main(void)
{
	test_murmur3();
	test_file100();
	test_estimates();
	test_order_and_errors();
	test_t0260();
	test_profiles();
	test_session();
	test_sink_error();
	return done_testing();
}
