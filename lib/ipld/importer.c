/* importer: streaming UnixFS file importer (see importer.h for the DAG shape).
 *
 * Balanced layout, streamed: boxo builds it top-down and recursively, but the
 * result only depends on the number of leaves, so we keep one list of pending
 * links per level and move a full list up into a parent node only when one
 * more link arrives for that level. At the end every level is closed bottom
 * up; this gives exactly boxo's single-child nodes on the last branch, and a
 * lone leaf stays the root.
 *
 * Trickle layout, streamed: boxo's fillTrickleRec is a recursion that asks
 * "is there more data?" before taking each leaf. We keep its call stack
 * explicitly (one frame per open node) and advance it each time a leaf
 * exists; finishing pops every frame. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ipld/dagpb.h"
#include "ipld/importer.h"
#include "base/atomicio.h"
#include "base/buf.h"
#include "ipld/multihash.h"
#include "ipld/unixfs.h"
#include "ipld/varint.h"

/* Room around the chunk for the dag-pb leaf wrapper, so a leaf block is
 * encoded in place around the data instead of copied (this is the hot path:
 * every byte of the file passes here). Head: 0x0a len 0x08 type 0x12 len;
 * tail: 0x18 filesize. */
#define LEAF_HEAD 32
#define LEAF_TAIL 16
#define TRICKLE_REPEAT 4 /* boxo trickle depthRepeat */

struct ilink {
	struct cid cid;
	uint64_t tsize; /* cumulative DAG size of the child */
	uint64_t fsize; /* file bytes under the child */
};

struct links {
	struct ilink *v;
	size_t n, cap;
};

struct tframe { /* one open trickle node */
	struct links l;
	int maxdepth;   /* -1: the root, unlimited */
	int subtrees;   /* 0 while taking leaves */
	int depth, rep; /* current subtree depth and repeat index */
};

struct file_importer {
	struct import_opts o;
	block_sink_fn sink;
	void *ctx;
	uint8_t *buf; /* LEAF_HEAD + chunk_size + LEAF_TAIL */
	size_t fill;
	uint64_t total;
	struct links *lv; /* balanced: pending links per level */
	size_t nlv, caplv;
	struct tframe *st; /* trickle: open frames, st[0] is the root */
	size_t nst, capst;
	uint64_t leaves, nodes;
	int broken, done;
};

/* The two profiles, a row each so that they read side by side (importer.h
 * says where each comes from; 174 is boxo helpers.DefaultLinksPerBlock,
 * 8192 / 47). */
static const struct import_opts profile_kubo = { .cid_version = 0, .raw_leaves = 0, .mh_code = MH_SHA2_256, .chunk_size = 262144, .trickle = 0, .max_links = 174, .cid_base = 0 };
static const struct import_opts profile_wanda = { .cid_version = 1, .raw_leaves = 1, .mh_code = MH_SHA2_256, .chunk_size = 1048576, .trickle = 0, .max_links = 1024, .cid_base = 'b' };

void
import_opts_kubo(struct import_opts *o)
{
	*o = profile_kubo;
}

void
import_opts_wanda(struct import_opts *o)
{
	*o = profile_wanda;
}

int
import_opts_check(const struct import_opts *o, struct werr *e)
{
	if (o->cid_version != 0 && o->cid_version != 1)
		return werr_set(e, EX_USAGE, "--cid-version %d: unknown CID version", o->cid_version);
	if (o->mh_code != MH_SHA2_256 && o->mh_code != MH_SHA2_512)
		return werr_set(e, EX_USAGE, "--hash: unsupported hash function 0x%llx",
		    (unsigned long long)o->mh_code);
	if (o->cid_version == 0 && o->mh_code != MH_SHA2_256)
		return werr_set(e, EX_USAGE, "--hash %s: CIDv0 only supports sha2-256", mh_name(o->mh_code));
	if (o->chunk_size == 0)
		return werr_set(e, EX_USAGE, "--chunker: chunk size must be greater than 0");
	if (o->chunk_size > IMPORT_CHUNK_MAX)
		return werr_set(e, EX_USAGE, "--chunker size-%zu: may not exceed the maximum chunk size of %d",
		    o->chunk_size, IMPORT_CHUNK_MAX);
	if (o->max_links < IMPORT_LINKS_MIN)
		return werr_set(e, EX_USAGE, "--max-file-links %d: must be at least %d",
		    o->max_links, IMPORT_LINKS_MIN);
	return 0;
}

static int
emit(struct file_importer *f, const struct cid *c, const uint8_t *p, size_t n, struct werr *e)
{
	if (f->sink == NULL)
		return 0;
	return f->sink(f->ctx, c, p, n, e);
}

static int
links_push(struct links *l, const struct ilink *x, struct werr *e)
{
	if (buf_grow_array(&l->v, &l->cap, l->n + 1, sizeof *l->v, 8, e) < 0)
		return werr_prefix(e, "importer");
	l->v[l->n++] = *x;
	return 0;
}

/* An internal node over links[0..n): UnixFS File with blocksizes, no data. */
static int
make_node(struct file_importer *f, const struct ilink *lk, size_t n, struct ilink *out, struct werr *e)
{
	struct pb_link *pl = calloc(n ? n : 1, sizeof *pl);
	uint64_t *bs = calloc(n ? n : 1, sizeof *bs);
	uint8_t *ufs = NULL, *blk = NULL;
	size_t ufslen = 0, blklen = 0;
	struct ufs_data d;
	int rc = -1;

	if (pl == NULL || bs == NULL) {
		werr_set(e, EX_OSERR, "importer: out of memory");
		goto out;
	}
	memset(&d, 0, sizeof d);
	d.type = UFS_FILE;
	d.has_filesize = 1;
	out->tsize = 0;
	for (size_t i = 0; i < n; i++) {
		pl[i].cid = lk[i].cid;
		pl[i].name = "";
		pl[i].name_len = 0;
		pl[i].tsize = lk[i].tsize;
		bs[i] = lk[i].fsize;
		d.filesize += lk[i].fsize;
		out->tsize += lk[i].tsize;
	}
	d.blocksizes = bs;
	d.nblocksizes = n;
	if (ufs_encode(&d, &ufs, &ufslen, e) < 0 ||
	    dagpb_encode(pl, n, ufs, ufslen, 1, &blk, &blklen, e) < 0 ||
	    cid_from_block(f->o.cid_version, CODEC_DAG_PB, f->o.mh_code, blk, blklen, &out->cid, e) < 0 ||
	    emit(f, &out->cid, blk, blklen, e) < 0)
		goto out;
	out->tsize += blklen;
	out->fsize = d.filesize;
	f->nodes++;
	rc = 0;
out:
	free(pl);
	free(bs);
	free(ufs);
	free(blk);
	return rc;
}

/* The chunk in buf[LEAF_HEAD..+fill) as a leaf block, encoded in place. */
static int
make_leaf(struct file_importer *f, struct ilink *out, struct werr *e)
{
	uint8_t *data = f->buf + LEAF_HEAD, *blk;
	size_t n = f->fill, blklen;

	if (f->o.raw_leaves) {
		blk = data;
		blklen = n;
		if (cid_from_block(1, CODEC_RAW, f->o.mh_code, blk, blklen, &out->cid, e) < 0)
			return -1;
	} else {
		/* PBNode{Data: UnixFS{Type, Data, filesize}}; boxo writes Type File in
		 * balanced leaves (a historical quirk it keeps) and Raw in trickle. */
		uint8_t head[LEAF_HEAD];
		size_t ufslen = 2 + 1 + varint_len(n) + n + 1 + varint_len(n), h = 0, t = 0;

		head[h++] = 0x0a;
		h += varint_put(ufslen, head + h);
		head[h++] = 0x08;
		head[h++] = f->o.trickle ? UFS_RAW : UFS_FILE;
		head[h++] = 0x12;
		h += varint_put(n, head + h);
		blk = data - h;
		memcpy(blk, head, h);
		data[n + t++] = 0x18;
		t += varint_put(n, data + n + t);
		blklen = h + n + t;
		if (cid_from_block(f->o.cid_version, CODEC_DAG_PB, f->o.mh_code, blk, blklen, &out->cid, e) < 0)
			return -1;
	}
	if (emit(f, &out->cid, blk, blklen, e) < 0)
		return -1;
	out->tsize = blklen;
	out->fsize = n;
	f->leaves++;
	return 0;
}

/* Balanced: add a link at level h; a full level first becomes a parent. */
static int
bal_push(struct file_importer *f, size_t h, const struct ilink *x, struct werr *e)
{
	if (h == f->nlv) {
		if (buf_grow_array(&f->lv, &f->caplv, f->nlv + 1, sizeof *f->lv, 4, e) < 0)
			return werr_prefix(e, "importer");
		memset(&f->lv[f->nlv++], 0, sizeof *f->lv);
	}
	if (f->lv[h].n == (size_t)f->o.max_links) {
		struct ilink parent;
		if (make_node(f, f->lv[h].v, f->lv[h].n, &parent, e) < 0)
			return -1;
		f->lv[h].n = 0;
		if (bal_push(f, h + 1, &parent, e) < 0)
			return -1;
	}
	return links_push(&f->lv[h], x, e);
}

/* Balanced: close every level bottom-up. */
static int
bal_finish(struct file_importer *f, struct ilink *root, struct werr *e)
{
	for (size_t h = 0; h < f->nlv; h++) {
		int top = h + 1 == f->nlv;
		struct ilink node;

		if (top && f->lv[h].n == 1) {
			*root = f->lv[h].v[0];
			return 0;
		}
		if (make_node(f, f->lv[h].v, f->lv[h].n, &node, e) < 0)
			return -1;
		f->lv[h].n = 0;
		if (top) {
			*root = node;
			return 0;
		}
		if (bal_push(f, h + 1, &node, e) < 0)
			return -1;
	}
	return werr_set(e, EX_SOFTWARE, "importer: no levels to finish");
}

static int
tr_pushframe(struct file_importer *f, int maxdepth, struct werr *e)
{
	if (buf_grow_array(&f->st, &f->capst, f->nst + 1, sizeof *f->st, 8, e) < 0)
		return werr_prefix(e, "importer");
	memset(&f->st[f->nst], 0, sizeof *f->st);
	f->st[f->nst++].maxdepth = maxdepth;
	return 0;
}

/* Trickle: close the top frame into a node; link it into its parent. */
static int
tr_popframe(struct file_importer *f, struct ilink *out, struct werr *e)
{
	struct tframe *t = &f->st[f->nst - 1];
	int rc = make_node(f, t->l.v, t->l.n, out, e);

	free(t->l.v);
	f->nst--;
	if (rc < 0 || f->nst == 0)
		return rc;
	f->st[f->nst - 1].rep++;
	return links_push(&f->st[f->nst - 1].l, out, e);
}

/* Trickle: walk the recursion to where the next leaf goes, and put it there. */
static int
tr_place(struct file_importer *f, const struct ilink *leaf, struct werr *e)
{
	for (;;) {
		struct tframe *t = &f->st[f->nst - 1];
		struct ilink done;

		if (!t->subtrees) {
			if (t->l.n < (size_t)f->o.max_links)
				return links_push(&t->l, leaf, e);
			t->subtrees = 1;
			t->depth = 1;
			t->rep = 0;
		} else if (t->maxdepth != -1 && t->depth >= t->maxdepth) {
			if (tr_popframe(f, &done, e) < 0)
				return -1;
		} else if (t->rep >= TRICKLE_REPEAT) {
			t->depth++;
			t->rep = 0;
		} else if (tr_pushframe(f, t->depth, e) < 0) {
			return -1;
		}
	}
}

static int
flush_chunk(struct file_importer *f, struct werr *e)
{
	struct ilink leaf;

	if (make_leaf(f, &leaf, e) < 0)
		return -1;
	f->fill = 0;
	if (f->o.trickle)
		return tr_place(f, &leaf, e);
	return bal_push(f, 0, &leaf, e);
}

struct file_importer *
fimp_new(const struct import_opts *o, block_sink_fn sink, void *ctx, struct werr *e)
{
	struct file_importer *f;

	if (import_opts_check(o, e) < 0)
		return NULL;
	if ((f = calloc(1, sizeof *f)) == NULL) {
		werr_set(e, EX_OSERR, "importer: out of memory");
		return NULL;
	}
	f->o = *o;
	f->sink = sink;
	f->ctx = ctx;
	if (o->trickle && tr_pushframe(f, -1, e) < 0) {
		fimp_free(f);
		return NULL;
	}
	return f;
}

static int
usable(struct file_importer *f, struct werr *e)
{
	if (f->broken)
		return werr_set(e, EX_SOFTWARE, "importer: used after an error");
	if (f->done)
		return werr_set(e, EX_SOFTWARE, "importer: used after finish");
	return 0;
}

/* The chunk buffer, made on first use: an importer fed only by
 * fimp_add_leaf() never needs its megabyte. */
static int
have_buf(struct file_importer *f, struct werr *e)
{
	if (f->buf == NULL &&
	    (f->buf = malloc(LEAF_HEAD + f->o.chunk_size + LEAF_TAIL)) == NULL)
		return werr_set(e, EX_OSERR, "importer: out of memory");
	return 0;
}

int
fimp_add_leaf(struct file_importer *f, const struct cid *cid, uint64_t blklen, uint64_t filebytes,
    struct werr *e)
{
	struct ilink leaf = { *cid, blklen, filebytes };
	int rc;

	if (usable(f, e) < 0)
		return -1;
	if (f->fill > 0)
		return werr_set(e, EX_SOFTWARE, "importer: leaves added after bytes were written");
	f->leaves++;
	f->total += filebytes;
	rc = f->o.trickle ? tr_place(f, &leaf, e) : bal_push(f, 0, &leaf, e);
	if (rc < 0)
		f->broken = 1;
	return rc;
}

int
fimp_write(struct file_importer *f, const void *p, size_t n, struct werr *e)
{
	const uint8_t *s = p;

	if (usable(f, e) < 0 || have_buf(f, e) < 0)
		return -1;
	while (n > 0) {
		size_t room = f->o.chunk_size - f->fill, k = n < room ? n : room;

		/* A full chunk is flushed only once more data shows up, so the
		 * chunk boundaries are the same however the caller splits writes. */
		if (room == 0) {
			if (flush_chunk(f, e) < 0) {
				f->broken = 1;
				return -1;
			}
			continue;
		}
		memcpy(f->buf + LEAF_HEAD + f->fill, s, k);
		f->fill += k;
		f->total += k;
		s += k;
		n -= k;
	}
	return 0;
}

int
fimp_write_fd(struct file_importer *f, int fd, const char *what, struct werr *e)
{
	if (usable(f, e) < 0 || have_buf(f, e) < 0)
		return -1;
	for (;;) {
		size_t room = f->o.chunk_size - f->fill;
		uint8_t probe, *dst = room ? f->buf + LEAF_HEAD + f->fill : &probe;
		ssize_t r = read(fd, dst, room ? room : 1);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			werr_sys(e, EX_IOERR, "%s: read", what);
			break;
		}
		if (r == 0)
			return 0;
		f->total += (uint64_t)r;
		if (room > 0) {
			f->fill += (size_t)r;
			continue;
		}
		/* A full chunk followed by one more byte: now it is a leaf. */
		if (flush_chunk(f, e) < 0)
			break;
		f->buf[LEAF_HEAD] = probe;
		f->fill = 1;
	}
	f->broken = 1;
	return -1;
}

static int
empty_root(struct file_importer *f, struct ilink *root, struct werr *e)
{
	if (f->o.raw_leaves && !f->o.trickle)
		return have_buf(f, e) < 0 ? -1 : make_leaf(f, root, e);
	/* dag-pb {Type File, filesize 0}: no Data bytes, no blocksizes. */
	return make_node(f, NULL, 0, root, e);
}

int
fimp_finish(struct file_importer *f, struct cid *root, uint64_t *tsize, uint64_t *filesize, struct werr *e)
{
	struct ilink r;
	int rc;

	if (usable(f, e) < 0)
		return -1;
	f->done = 1;
	if (f->fill > 0 && flush_chunk(f, e) < 0) {
		f->broken = 1;
		return -1;
	}
	if (f->o.trickle) {
		rc = 0;
		while (rc == 0 && f->nst > 0)
			rc = tr_popframe(f, &r, e);
	} else if (f->leaves == 0) {
		rc = empty_root(f, &r, e);
	} else {
		rc = bal_finish(f, &r, e);
	}
	if (rc < 0) {
		f->broken = 1;
		return -1;
	}
	if (root)
		*root = r.cid;
	if (tsize)
		*tsize = r.tsize;
	if (filesize)
		*filesize = f->total;
	return 0;
}

void
fimp_stats(const struct file_importer *f, struct fimp_stats *st)
{
	memset(st, 0, sizeof *st);
	st->leaves = f->leaves;
	st->nodes = f->nodes;
	st->levels = f->o.trickle ? f->nst : f->nlv;
	for (size_t i = 0; i < f->nlv; i++)
		st->pending_links += f->lv[i].n;
	for (size_t i = 0; i < f->nst; i++)
		st->pending_links += f->st[i].l.n;
}

void
fimp_free(struct file_importer *f)
{
	if (f == NULL)
		return;
	for (size_t i = 0; i < f->nlv; i++)
		free(f->lv[i].v);
	for (size_t i = 0; i < f->nst; i++)
		free(f->st[i].l.v);
	free(f->lv);
	free(f->st);
	free(f->buf);
	free(f);
}

int
import_path(const char *path, const struct import_opts *o, block_sink_fn sink, void *ctx,
    struct cid *root, uint64_t *tsize, uint64_t *filesize, struct werr *e)
{
	struct file_importer *f;
	int fd, rc = -1;

	if ((fd = open_regular(path, e)) < 0)
		return -1;
	if ((f = fimp_new(o, sink, ctx, e)) != NULL &&
	    fimp_write_fd(f, fd, path, e) == 0 &&
	    fimp_finish(f, root, tsize, filesize, e) == 0)
		rc = 0;
	fimp_free(f);
	close(fd);
	return rc;
}
