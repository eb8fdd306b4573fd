/* dagverify: a written file against its UnixFS DAG, leaf by leaf. */
#include "base/buf.h"
#include "kubo/dagverify.h"
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "ipld/cid.h"
#include "ipld/dagpb.h"
#include "ipld/multihash.h"
#include "ipld/unixfs.h"

#define DEPTH_MAX 32 /* a balanced 174-ary tree of depth 32 is far beyond any file */

struct walk {
	struct kubo *k;
	int fd;
	const char *path;
	uint64_t off; /* file bytes checked so far */
	uint64_t fsize;
	uint8_t *buf; /* slice buffer */
	size_t cap;
};

/* Read n bytes of the file at w->off into w->buf. */
static int
slice(struct walk *w, uint64_t n, struct werr *e)
{
	size_t got = 0;

	if (w->off + n > w->fsize)
		return werr_set(e, EX_DATAERR, "%s: %llu bytes, shorter than its CID's content",
		    w->path, (unsigned long long)w->fsize);
	if (buf_grow_array(&w->buf, &w->cap, (size_t)n, 1, 4096, e) < 0)
		return werr_prefix(e, "%s", w->path);
	while (got < n) {
		ssize_t r = pread(w->fd, w->buf + got, (size_t)n - got, (off_t)(w->off + got));
		if (r <= 0)
			return werr_sys(e, EX_IOERR, "%s", w->path);
		got += (size_t)r;
	}
	return 0;
}

static int
mismatch(struct walk *w, const char *what, struct werr *e)
{
	return werr_set(e, EX_DATAERR, "%s: bytes at offset %llu do not match the %s", w->path,
	    (unsigned long long)w->off, what);
}

/* The hash function of a CID. */
static int
cid_mh_code(const struct cid *c, uint64_t *code, struct werr *e)
{
	const uint8_t *d;
	size_t dl;

	if (mh_parse(c->mh, c->mh_len, code, &d, &dl) < 0)
		return werr_set(e, EX_DATAERR, "bad multihash in CID");
	return 0;
}

static int walk_node(struct walk *w, const struct cid *c, int has_len, uint64_t len, int depth, struct werr *e);

static int
walk_raw(struct walk *w, const struct cid *c, uint64_t len, struct werr *e)
{
	struct cid got;
	uint64_t code;

	if (cid_mh_code(c, &code, e) < 0 || slice(w, len, e) < 0)
		return -1;
	if (cid_from_block(c->version, CODEC_RAW, code, w->buf, (size_t)len, &got, e) < 0)
		return -1;
	if (!cid_equal(&got, c))
		return mismatch(w, "raw leaf", e);
	w->off += len;
	return 0;
}

/* A dag-pb node already fetched and hash-checked. */
static int
walk_pb(struct walk *w, const struct pb_node *nd, const struct ufs_data *u, int depth, struct werr *e)
{
	if (u->type != UFS_FILE && u->type != UFS_RAW)
		return werr_set(e, EX_DATAERR, "%s: the CID is a UnixFS %s, not a file", w->path,
		    ufs_type_name(u->type) ? ufs_type_name(u->type) : "node");
	if (u->has_data && u->data_len > 0) {
		if (slice(w, u->data_len, e) < 0)
			return -1;
		if (memcmp(w->buf, u->data, u->data_len) != 0)
			return mismatch(w, "leaf data", e);
		w->off += u->data_len;
	}
	if (nd->nlinks > 0 && u->nblocksizes != nd->nlinks)
		return werr_set(e, EX_DATAERR, "%s: a node has %zu links but %zu blocksizes", w->path,
		    nd->nlinks, u->nblocksizes);
	for (size_t i = 0; i < nd->nlinks; i++)
		if (walk_node(w, &nd->links[i].cid, 1, u->blocksizes[i], depth + 1, e) < 0)
			return -1;
	return 0;
}

static int
walk_node(struct walk *w, const struct cid *c, int has_len, uint64_t len, int depth, struct werr *e)
{
	char s[CID_STR_MAX];
	uint8_t *blk = NULL;
	size_t n = 0;
	struct cid got;
	struct pb_node nd = { 0 };
	struct ufs_data u = { 0 };
	uint64_t code;
	int rc = -1;

	if (depth > DEPTH_MAX)
		return werr_set(e, EX_DATAERR, "%s: DAG deeper than %d", w->path, DEPTH_MAX);
	if (c->codec == CODEC_RAW)
		return walk_raw(w, c, has_len ? len : w->fsize - w->off, e);
	if (c->codec != CODEC_DAG_PB)
		return werr_set(e, EX_DATAERR, "%s: CID codec %s is not a UnixFS file", w->path,
		    cid_codec_name(c->codec) ? cid_codec_name(c->codec) : "?");
	if (cid_format(c, 0, s, sizeof s, e) < 0 || kubo_block_get(w->k, s, &blk, &n, e) < 0)
		return -1;
	if (cid_mh_code(c, &code, e) < 0 || cid_from_block(c->version, CODEC_DAG_PB, code, blk, n, &got, e) < 0)
		goto out;
	if (!cid_equal(&got, c)) {
		werr_set(e, EX_PROTOCOL, "block/get %s: the daemon sent a block with another hash", s);
		goto out;
	}
	if (dagpb_decode(blk, n, &nd, e) < 0 || ufs_decode(nd.data, nd.data_len, &u, e) < 0)
		goto out;
	rc = walk_pb(w, &nd, &u, depth, e);
out:
	ufs_data_free(&u);
	dagpb_node_free(&nd);
	free(blk);
	return rc;
}

int
dag_verify_file(struct kubo *k, const char *cidstr, const char *path, uint64_t *bytes, struct werr *e)
{
	struct walk w = { .k = k, .path = path };
	struct cid root;
	struct stat st;
	int rc;

	if (cid_parse(cidstr, &root, e) < 0)
		return -1;
	if ((w.fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return werr_sys(e, EX_NOINPUT, "%s", path);
	if (fstat(w.fd, &st) < 0) {
		close(w.fd);
		return werr_sys(e, EX_IOERR, "%s", path);
	}
	w.fsize = (uint64_t)st.st_size;
	rc = walk_node(&w, &root, 0, 0, 0, e);
	if (rc == 0 && w.off != w.fsize)
		rc = werr_set(e, EX_DATAERR, "%s: %llu bytes, longer than its CID's %llu", path,
		    (unsigned long long)w.fsize, (unsigned long long)w.off);
	if (rc == 0 && bytes != NULL)
		*bytes = w.fsize;
	free(w.buf);
	close(w.fd);
	return rc;
}
