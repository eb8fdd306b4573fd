/* unixdir: plain and HAMT-sharded UnixFS directories, byte for byte as Kubo
 * (boxo ipld/unixfs/io/directory.go and hamt/) writes them. See unixdir.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ipld/dagpb.h"
#include "ipld/murmur3.h"
#include "ipld/unixdir.h"
#include "ipld/unixfs.h"
#include "ipld/varint.h"

#define HAMT_MURMUR3 0x22
#define HAMT_MAX_FANOUT 1024

/* An entry on its way into a shard: its hash decides its slot at each depth. */
struct hent {
	const struct dir_entry *e;
	size_t len;
	uint64_t h;
};

struct build {
	const struct dir_opts *o;
	block_sink_fn sink;
	void *ctx;
	int bits; /* log2(fanout) */
	int padw; /* hex digits of a slot prefix */
	struct werr *e;
};

void
dir_opts_kubo(struct dir_opts *o)
{
	*o = (struct dir_opts){ .cid_version = 0, .mh_code = MH_SHA2_256, .hamt_threshold = 256 * 1024, .hamt_estimation = HAMT_EST_LINKS, .hamt_fanout = 256, .max_links = 0 };
}

void
dir_opts_wanda(struct dir_opts *o)
{
	*o = (struct dir_opts){ .cid_version = 1, .mh_code = MH_SHA2_256, .hamt_threshold = 256 * 1024, .hamt_estimation = HAMT_EST_BLOCK, .hamt_fanout = 256, .max_links = 0 };
}

static size_t
cid_len(const struct cid *c)
{
	uint8_t b[CID_MAX_BYTES];

	return cid_to_bytes(c, b);
}

/* Bytes one link adds to a dag-pb node (boxo's linkSerializedSize). */
static uint64_t
link_size(size_t namelen, size_t cidlen, uint64_t tsize)
{
	uint64_t in = 1 + varint_len(cidlen) + cidlen + 1 + varint_len(namelen) + namelen +
	    1 + varint_len(tsize);

	return 1 + varint_len(in) + in;
}

uint64_t
unixdir_estimate(const struct dir_entry *ents, size_t n, int estimation)
{
	/* Data field of a plain directory without mode/mtime: 0a 02 08 01. */
	uint64_t sum = estimation == HAMT_EST_BLOCK ? 4 : 0;
	size_t i, nl, cl;

	for (i = 0; i < n; i++) {
		nl = strlen(ents[i].name);
		cl = cid_len(&ents[i].cid);
		if (estimation == HAMT_EST_BLOCK)
			sum += link_size(nl, cl, ents[i].tsize);
		else
			sum += nl + cl;
	}
	return sum;
}

/* Encode a node, hash it, hand it to the sink, and work out its Tsize. */
static int
emit(struct build *b, const struct pb_link *links, size_t n, const struct ufs_data *ud,
    struct cid *out, uint64_t *tsize)
{
	uint8_t *data = NULL, *blk = NULL;
	size_t dlen, blen, i;
	uint64_t sum;
	int rc = -1;

	if (ufs_encode(ud, &data, &dlen, b->e) < 0)
		return -1;
	if (dagpb_encode(links, n, data, dlen, 1, &blk, &blen, b->e) < 0)
		goto out;
	if (cid_from_block(b->o->cid_version, CODEC_DAG_PB, b->o->mh_code, blk, blen, out, b->e) < 0)
		goto out;
	if (b->sink != NULL && b->sink(b->ctx, out, blk, blen, b->e) < 0)
		goto out;
	for (sum = blen, i = 0; i < n; i++)
		sum += links[i].tsize;
	*tsize = sum;
	rc = 0;
out:
	free(data);
	free(blk);
	return rc;
}

static int
by_name(const void *a, const void *b)
{
	return strcmp((*(const struct dir_entry *const *)a)->name,
	    (*(const struct dir_entry *const *)b)->name);
}

static int
by_hash(const void *a, const void *b)
{
	const struct hent *x = a, *y = b;

	if (x->h != y->h)
		return x->h < y->h ? -1 : 1;
	return strcmp(x->e->name, y->e->name);
}

static int
plain(struct build *b, const struct dir_entry **sorted, size_t n, struct cid *root, uint64_t *tsize)
{
	struct ufs_data ud = { .type = UFS_DIRECTORY };
	struct pb_link *links;
	size_t i;
	int rc;

	if ((links = calloc(n ? n : 1, sizeof *links)) == NULL)
		return werr_sys(b->e, EX_OSERR, "directory of %zu entries", n);
	for (i = 0; i < n; i++)
		links[i] = (struct pb_link){ .cid = sorted[i]->cid, .name = sorted[i]->name, .name_len = strlen(sorted[i]->name), .tsize = sorted[i]->tsize };
	rc = emit(b, links, n, &ud, root, tsize);
	free(links);
	return rc;
}

static unsigned
slot_at(const struct build *b, uint64_t h, int depth)
{
	int shift = 64 - (depth + 1) * b->bits;

	return (unsigned)(h >> shift) & ((1u << b->bits) - 1);
}

/* One shard over v[0..n), all of which share the slots of the depths above. */
static int
shard(struct build *b, const struct hent *v, size_t n, int depth, struct cid *out, uint64_t *tsize)
{
	size_t fan = (size_t)1 << b->bits, nl = 0, i, j, cap = 0, used = 0;
	struct ufs_data ud = { .type = UFS_HAMTSHARD, .hash_type = HAMT_MURMUR3, .has_hash_type = 1, .fanout = fan, .has_fanout = 1, .has_data = 1 };
	uint8_t bf[HAMT_MAX_FANOUT / 8] = { 0 };
	struct pb_link *links;
	char *names;
	unsigned s;
	int rc = -1;

	if ((depth + 1) * b->bits > 64)
		return werr_set(b->e, EX_DATAERR, "%s, %s: same murmur3 hash, cannot shard",
		    v[0].e->name, v[1].e->name);
	for (i = 0; i < n; i++)
		cap += b->padw + v[i].len + 1;
	links = calloc(n < fan ? n : fan, sizeof *links);
	names = malloc(cap);
	if (links == NULL || names == NULL) {
		werr_sys(b->e, EX_OSERR, "HAMT shard of %zu entries", n);
		goto out;
	}
	for (i = 0; i < n; i = j) {
		s = slot_at(b, v[i].h, depth);
		for (j = i + 1; j < n && slot_at(b, v[j].h, depth) == s; j++)
			;
		bf[fan / 8 - 1 - s / 8] |= 1u << (s % 8);
		links[nl].name = names + used;
		used += sprintf(names + used, "%0*X", b->padw, s);
		if (j - i == 1) {
			memcpy(names + used, v[i].e->name, v[i].len + 1);
			used += v[i].len + 1;
			links[nl].cid = v[i].e->cid;
			links[nl].tsize = v[i].e->tsize;
		} else {
			used++;
			if (shard(b, v + i, j - i, depth + 1, &links[nl].cid, &links[nl].tsize) < 0)
				goto out;
		}
		links[nl].name_len = strlen(links[nl].name);
		nl++;
	}
	/* The bitfield as a big-endian number without its leading zero bytes. */
	for (i = 0; i < fan / 8 - 1 && bf[i] == 0; i++)
		;
	ud.data = bf + i;
	ud.data_len = fan / 8 - i;
	rc = emit(b, links, nl, &ud, out, tsize);
out:
	free(links);
	free(names);
	return rc;
}

static int
hamt(struct build *b, const struct dir_entry **sorted, size_t n, struct cid *root, uint64_t *tsize)
{
	struct hent *v;
	size_t i;
	int rc;

	if ((v = calloc(n, sizeof *v)) == NULL)
		return werr_sys(b->e, EX_OSERR, "HAMT directory of %zu entries", n);
	for (i = 0; i < n; i++) {
		v[i].e = sorted[i];
		v[i].len = strlen(sorted[i]->name);
		v[i].h = murmur3_x64_64(sorted[i]->name, v[i].len);
	}
	qsort(v, n, sizeof *v, by_hash);
	rc = shard(b, v, n, 0, root, tsize);
	free(v);
	return rc;
}

static int
check_opts(const struct dir_opts *o, int *fanout, struct werr *e)
{
	int f = o->hamt_fanout ? o->hamt_fanout : 256;

	if (o->cid_version != 0 && o->cid_version != 1)
		return werr_set(e, EX_USAGE, "cid version %d: must be 0 or 1", o->cid_version);
	if (o->cid_version == 0 && o->mh_code != MH_SHA2_256)
		return werr_set(e, EX_USAGE, "CIDv0 takes only sha2-256");
	if (o->hamt_estimation != HAMT_EST_LINKS && o->hamt_estimation != HAMT_EST_BLOCK)
		return werr_set(e, EX_USAGE, "HAMT size estimation %d: must be links or block",
		    o->hamt_estimation);
	if (f < 8 || f > HAMT_MAX_FANOUT || (f & (f - 1)) != 0)
		return werr_set(e, EX_USAGE, "HAMT fanout %d: must be a power of 2 from 8 to %d",
		    f, HAMT_MAX_FANOUT);
	if (o->max_links < 0)
		return werr_set(e, EX_USAGE, "max directory links %d: must not be negative",
		    o->max_links);
	*fanout = f;
	return 0;
}

/* Sorted pointers to the entries; names checked as Kubo would refuse them. */
static const struct dir_entry **
sort_entries(const struct dir_entry *ents, size_t n, struct werr *e)
{
	const struct dir_entry **s;
	size_t i;

	if ((s = calloc(n ? n : 1, sizeof *s)) == NULL) {
		werr_sys(e, EX_OSERR, "directory of %zu entries", n);
		return NULL;
	}
	for (i = 0; i < n; i++) {
		if (ents[i].name == NULL || ents[i].name[0] == '\0' || strchr(ents[i].name, '/')) {
			werr_set(e, EX_DATAERR, "directory entry '%s': bad name",
			    ents[i].name ? ents[i].name : "(null)");
			goto fail;
		}
		s[i] = &ents[i];
	}
	qsort(s, n, sizeof *s, by_name);
	for (i = 1; i < n; i++)
		if (strcmp(s[i - 1]->name, s[i]->name) == 0) {
			werr_set(e, EX_DATAERR, "directory entry '%s': duplicate name", s[i]->name);
			goto fail;
		}
	return s;
fail:
	free(s);
	return NULL;
}

int
unixdir_build(const struct dir_entry *ents, size_t n, const struct dir_opts *o,
    block_sink_fn sink, void *ctx, struct cid *root, uint64_t *tsize, struct werr *e)
{
	struct build b = { .o = o, .sink = sink, .ctx = ctx, .e = e };
	const struct dir_entry **sorted;
	int fanout = 0, sharded, rc;
	uint64_t ts;

	if (check_opts(o, &fanout, e) < 0)
		return -1;
	for (b.bits = 0; (1 << b.bits) < fanout; b.bits++)
		;
	b.padw = snprintf(NULL, 0, "%X", fanout - 1);
	/* boxo decides on AddChild, so an empty directory stays plain; a cap
	 * without a threshold cannot shard (boxo: threshold 0 disables both). */
	if ((sorted = sort_entries(ents, n, e)) == NULL)
		return -1;
	sharded = n > 0 && o->hamt_threshold > 0 &&
	    (unixdir_estimate(ents, n, o->hamt_estimation) > o->hamt_threshold ||
	        (o->max_links > 0 && n > (size_t)o->max_links));
	if (!sharded && o->max_links > 0 && n > (size_t)o->max_links)
		rc = werr_set(e, EX_DATAERR, "directory of %zu entries: over the limit of %d links",
		    n, o->max_links);
	else if (sharded)
		rc = hamt(&b, sorted, n, root, &ts);
	else
		rc = plain(&b, sorted, n, root, &ts);
	free(sorted);
	if (rc == 0 && tsize != NULL)
		*tsize = ts;
	return rc;
}
