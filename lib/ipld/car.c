/* car: CAR v1 reader (streaming, verifying) and writer; the DAG-CBOR header
 * is encoded and decoded by hand, it is the only CBOR WANDA needs. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "base/buf.h"
#include "ipld/car.h"
#include "ipld/dagpb.h"
#include "ipld/varint.h"

/* ---- the header: a tiny canonical CBOR subset ---- */

enum { CB_UINT = 0,
	CB_BYTES = 2,
	CB_TEXT = 3,
	CB_ARRAY = 4,
	CB_MAP = 5,
	CB_TAG = 6 };

static void
cb_head(uint8_t *out, size_t *n, int major, uint64_t v)
{
	uint8_t m = (uint8_t)(major << 5);
	int k = v < 24 ? 0 : v <= 0xff ? 1 :
	    v <= 0xffff                ? 2 :
	    v <= 0xffffffffu           ? 4 :
	                                 8;

	out[(*n)++] = (uint8_t)(m | (k == 0 ? v : k == 1 ? 24 :
	                                    k == 2       ? 25 :
	                                    k == 4       ? 26 :
	                                                   27));
	for (int i = k - 1; i >= 0; i--)
		out[(*n)++] = (uint8_t)(v >> (8 * i));
}

int
car_header_encode(const struct cid *roots, size_t n, uint8_t **out, size_t *len, struct werr *e)
{
	/* per root: tag (2) + bytes head (<= 9) + 0x00 + CID */
	size_t cap = 32 + n * (12 + CID_MAX_BYTES), o = 0, cl;
	uint8_t *p = malloc(cap), cb[CID_MAX_BYTES];

	if (p == NULL)
		return werr_sys(e, EX_OSERR, "CAR header");
	/* dag-cbor sorts map keys by length first: "roots" before "version" */
	cb_head(p, &o, CB_MAP, 2);
	cb_head(p, &o, CB_TEXT, 5);
	memcpy(p + o, "roots", 5), o += 5;
	cb_head(p, &o, CB_ARRAY, n);
	for (size_t i = 0; i < n; i++) {
		cl = cid_to_bytes(&roots[i], cb);
		cb_head(p, &o, CB_TAG, 42);
		cb_head(p, &o, CB_BYTES, cl + 1);
		p[o++] = 0x00; /* the multibase "identity" prefix tag 42 requires */
		memcpy(p + o, cb, cl), o += cl;
	}
	cb_head(p, &o, CB_TEXT, 7);
	memcpy(p + o, "version", 7), o += 7;
	cb_head(p, &o, CB_UINT, 1);
	*out = p;
	*len = o;
	return 0;
}

struct cbr {
	const uint8_t *p;
	size_t off, len;
};

/* One CBOR head, minimal encoding only (dag-cbor); -1 if malformed. */
static int
cbr_head(struct cbr *r, int *major, uint64_t *v)
{
	uint8_t b, ai;
	int k;

	if (r->off >= r->len)
		return -1;
	b = r->p[r->off++];
	*major = b >> 5;
	ai = b & 31;
	if (ai < 24) {
		*v = ai;
		return 0;
	}
	if (ai > 27)
		return -1;
	k = 1 << (ai - 24);
	if (r->len - r->off < (size_t)k)
		return -1;
	*v = 0;
	for (int i = 0; i < k; i++)
		*v = *v << 8 | r->p[r->off++];
	/* not minimal: could have used a shorter form */
	if (*v < (k == 1 ? 24 : k == 2 ? 0x100 :
	                 k == 4        ? 0x10000 :
	                                 0x100000000ULL))
		return -1;
	return 0;
}

static int
cbr_roots(struct cbr *r, struct cid **roots, size_t *n, struct werr *e)
{
	int major;
	uint64_t cnt, v;
	size_t used;

	if (cbr_head(r, &major, &cnt) < 0 || major != CB_ARRAY)
		return werr_set(e, EX_DATAERR, "\"roots\" is not an array");
	if (cnt > (r->len - r->off) / 4)
		return werr_set(e, EX_DATAERR, "\"roots\" array longer than the header");
	if (cnt > 0 && (*roots = calloc((size_t)cnt, sizeof **roots)) == NULL)
		return werr_sys(e, EX_OSERR, "CAR header");
	for (*n = 0; *n < cnt; (*n)++) {
		if (cbr_head(r, &major, &v) < 0 || major != CB_TAG || v != 42)
			return werr_set(e, EX_DATAERR, "root %zu is not a CID (tag 42)", *n);
		if (cbr_head(r, &major, &v) < 0 || major != CB_BYTES || v < 2 || v > r->len - r->off ||
		    r->p[r->off] != 0x00)
			return werr_set(e, EX_DATAERR, "root %zu: bad CID bytes", *n);
		if (cid_from_bytes(r->p + r->off + 1, (size_t)v - 1, &(*roots)[*n], &used, e) < 0)
			return werr_prefix(e, "root %zu", *n);
		if (used != v - 1)
			return werr_set(e, EX_DATAERR, "root %zu: trailing bytes after CID", *n);
		r->off += (size_t)v;
	}
	return 0;
}

static int
cbr_key(struct cbr *r, const char **key, size_t *klen)
{
	int major;
	uint64_t v;

	if (cbr_head(r, &major, &v) < 0 || major != CB_TEXT || v > r->len - r->off)
		return -1;
	*key = (const char *)r->p + r->off;
	*klen = (size_t)v;
	r->off += (size_t)v;
	return 0;
}

int
car_header_decode(const uint8_t *p, size_t len, struct cid **roots, size_t *n, struct werr *e)
{
	struct cbr r = { p, 0, len };
	int major, have_roots = 0, have_version = 0;
	uint64_t cnt, v;
	const char *k;
	size_t kl;

	*roots = NULL;
	*n = 0;
	if (cbr_head(&r, &major, &cnt) < 0 || major != CB_MAP)
		return werr_set(e, EX_DATAERR, "not a CBOR map");
	for (uint64_t i = 0; i < cnt; i++) {
		if (cbr_key(&r, &k, &kl) < 0)
			goto bad;
		if (kl == 5 && memcmp(k, "roots", 5) == 0 && !have_roots) {
			have_roots = 1;
			if (cbr_roots(&r, roots, n, e) < 0)
				goto fail;
		} else if (kl == 7 && memcmp(k, "version", 7) == 0 && !have_version) {
			have_version = 1;
			if (cbr_head(&r, &major, &v) < 0 || major != CB_UINT)
				goto bad;
			if (v != 1) {
				werr_set(e, EX_DATAERR, "CAR version %llu is not supported (only 1)", (unsigned long long)v);
				goto fail;
			}
		} else
			goto bad;
	}
	if (!have_version || !have_roots) {
		werr_set(e, EX_DATAERR, "no \"%s\" key", have_version ? "roots" : "version");
		goto fail;
	}
	if (r.off != len) {
		werr_set(e, EX_DATAERR, "%zu bytes after the header map", len - r.off);
		goto fail;
	}
	return 0;
bad:
	werr_set(e, EX_DATAERR, "malformed CBOR or unexpected key");
fail:
	free(*roots);
	*roots = NULL;
	*n = 0;
	return -1;
}

/* ---- reader ---- */

struct car_reader {
	int fd;
	char *name;
	uint8_t in[65536]; /* read buffer */
	size_t ipos, ilen;
	uint64_t off; /* file offset of in[ipos] */
	int eof;
	uint8_t *sec; /* current section */
	size_t seccap;
	struct cid *roots;
	size_t nroots;
};

static int
fill(struct car_reader *r, struct werr *e)
{
	ssize_t n;

	if (r->ipos < r->ilen || r->eof)
		return 0;
	do
		n = read(r->fd, r->in, sizeof r->in);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return werr_sys(e, EX_IOERR, "%s: offset %llu: read", r->name, (unsigned long long)r->off);
	r->ipos = 0;
	r->ilen = (size_t)n;
	if (n == 0)
		r->eof = 1;
	return 0;
}

/* Large reads skip the buffer (blocks are up to 1 MiB: one copy fewer). */
static ssize_t
read_direct(struct car_reader *r, uint8_t *dst, size_t n, struct werr *e)
{
	ssize_t k;

	do
		k = read(r->fd, dst, n);
	while (k < 0 && errno == EINTR);
	if (k < 0)
		return werr_sys(e, EX_IOERR, "%s: offset %llu: read", r->name, (unsigned long long)r->off);
	if (k == 0)
		r->eof = 1;
	r->off += (uint64_t)k;
	return k;
}

/* Copy up to n bytes; returns how many (short only at end of file), -1 on a read error. */
static ssize_t
get_bytes(struct car_reader *r, uint8_t *dst, size_t n, struct werr *e)
{
	size_t got = 0, k;
	ssize_t d;

	while (got < n) {
		if (r->ipos == r->ilen && !r->eof && n - got >= sizeof r->in) {
			if ((d = read_direct(r, dst + got, n - got, e)) < 0)
				return -1;
			got += (size_t)d;
			continue;
		}
		if (fill(r, e) < 0)
			return -1;
		if (r->ipos == r->ilen)
			break;
		k = r->ilen - r->ipos < n - got ? r->ilen - r->ipos : n - got;
		memcpy(dst + got, r->in + r->ipos, k);
		r->ipos += k;
		r->off += k;
		got += k;
	}
	return (ssize_t)got;
}

/* A length varint: 0 read, 1 clean end of file before it, -1 error. */
static int
get_varint(struct car_reader *r, uint64_t *v, const char *what, struct werr *e)
{
	uint8_t b[10];
	uint64_t at = r->off;
	size_t n = 0;
	ssize_t got;

	do {
		if ((got = get_bytes(r, b + n, 1, e)) < 0)
			return -1;
		if (got == 0) {
			if (n == 0)
				return 1;
			return werr_set(e, EX_DATAERR, "%s: offset %llu: truncated %s varint", r->name,
			    (unsigned long long)at, what);
		}
	} while ((b[n++] & 0x80) && n < sizeof b);
	if (varint_get(b, n, v) != (int)n)
		return werr_set(e, EX_DATAERR, "%s: offset %llu: bad %s varint", r->name, (unsigned long long)at, what);
	return 0;
}

/* Read a length-prefixed section of at most max bytes into r->sec. */
static int
get_section(struct car_reader *r, uint64_t len, uint64_t at, const char *what, struct werr *e)
{
	ssize_t got;

	if (buf_grow_array(&r->sec, &r->seccap, (size_t)len, 1, 4096, e) < 0)
		return werr_prefix(e, "%s: offset %llu", r->name, (unsigned long long)at);
	if ((got = get_bytes(r, r->sec, (size_t)len, e)) < 0)
		return -1;
	if ((uint64_t)got < len)
		return werr_set(e, EX_DATAERR, "%s: offset %llu: truncated %s: %zd of %llu bytes", r->name,
		    (unsigned long long)at, what, got, (unsigned long long)len);
	return 0;
}

struct car_reader *
car_reader_open(int fd, const char *name, struct werr *e)
{
	struct car_reader *r = calloc(1, sizeof *r);
	uint64_t len;
	int rc;

	if (r == NULL || (r->name = strdup(name)) == NULL) {
		free(r);
		werr_sys(e, EX_OSERR, "%s", name);
		return NULL;
	}
	r->fd = fd;
	if ((rc = get_varint(r, &len, "header length", e)) != 0) {
		if (rc == 1)
			werr_set(e, EX_DATAERR, "%s: offset 0: empty file, not a CAR", name);
		goto fail;
	}
	if (len == 0 || len > CAR_MAX_HEADER) {
		werr_set(e, EX_DATAERR, "%s: offset 0: header length %llu out of range (1..%u)", name,
		    (unsigned long long)len, CAR_MAX_HEADER);
		goto fail;
	}
	uint64_t at = r->off;
	if (get_section(r, len, at, "header", e) < 0)
		goto fail;
	if (car_header_decode(r->sec, (size_t)len, &r->roots, &r->nroots, e) < 0) {
		werr_prefix(e, "%s: offset %llu: bad CAR header", name, (unsigned long long)at);
		goto fail;
	}
	return r;
fail:
	car_reader_close(r);
	return NULL;
}

int
car_reader_fd(const struct car_reader *r)
{
	return r->fd;
}

size_t
car_reader_nroots(const struct car_reader *r)
{
	return r->nroots;
}

const struct cid *
car_reader_root(const struct car_reader *r, size_t i)
{
	return i < r->nroots ? &r->roots[i] : NULL;
}

/* Hash the block with the CID's own hash function and compare. */
static int
check_block(struct car_reader *r, struct car_block *b, struct werr *e)
{
	uint64_t code;
	const uint8_t *dig;
	size_t dlen, n;
	uint8_t mh[MH_MAX];
	char s[CID_STR_MAX];

	mh_parse(b->cid.mh, b->cid.mh_len, &code, &dig, &dlen);
	if (mh_name(code) == NULL)
		return werr_set(e, EX_DATAERR, "%s: offset %llu: unsupported multihash 0x%llx", r->name,
		    (unsigned long long)b->offset, (unsigned long long)code);
	if (mh_sum(code, b->data, b->len, mh, &n, NULL) < 0 || n != b->cid.mh_len || memcmp(mh, b->cid.mh, n) != 0) {
		if (cid_format(&b->cid, 0, s, sizeof s, NULL) < 0)
			strcpy(s, "?");
		return werr_set(e, EX_DATAERR, "%s: offset %llu: block does not match its CID %s", r->name,
		    (unsigned long long)b->offset, s);
	}
	return 0;
}

int
car_reader_next(struct car_reader *r, struct car_block *b, struct werr *e)
{
	uint64_t len, at = r->off;
	size_t used;
	int rc;

	if ((rc = get_varint(r, &len, "section length", e)) != 0)
		return rc == 1 ? 0 : -1;
	if (len == 0 || len > CAR_MAX_SECTION)
		return werr_set(e, EX_DATAERR, "%s: offset %llu: section length %llu out of range (1..%u)", r->name,
		    (unsigned long long)at, (unsigned long long)len, CAR_MAX_SECTION);
	b->offset = at;
	at = r->off;
	if (get_section(r, len, b->offset, "section", e) < 0)
		return -1;
	if (cid_from_bytes(r->sec, (size_t)len, &b->cid, &used, e) < 0)
		return werr_prefix(e, "%s: offset %llu", r->name, (unsigned long long)at);
	b->data = r->sec + used;
	b->len = (size_t)len - used;
	b->data_offset = at + used;
	if (check_block(r, b, e) < 0)
		return -1;
	return 1;
}

void
car_reader_close(struct car_reader *r)
{
	if (r == NULL)
		return;
	free(r->name);
	free(r->sec);
	free(r->roots);
	free(r);
}

int
car_read_fd(int fd, const char *name, block_sink_fn sink, void *ctx, struct werr *e)
{
	struct car_reader *r = car_reader_open(fd, name, e);
	struct car_block b;
	int rc;

	if (r == NULL)
		return -1;
	while ((rc = car_reader_next(r, &b, e)) == 1)
		if (sink != NULL && (rc = sink(ctx, &b.cid, b.data, b.len, e)) < 0)
			break;
	car_reader_close(r);
	return rc < 0 ? -1 : 0;
}

/* ---- writer ---- */

struct car_writer {
	int fd;
	char *name;
	uint8_t out[65536];
	size_t olen;
	int failed;
};

static int
write_all(struct car_writer *w, const uint8_t *p, size_t n, struct werr *e)
{
	ssize_t k;

	while (n > 0) {
		if ((k = write(w->fd, p, n)) < 0) {
			if (errno == EINTR)
				continue;
			w->failed = 1;
			return werr_sys(e, EX_IOERR, "%s: write", w->name);
		}
		p += k;
		n -= (size_t)k;
	}
	return 0;
}

static int
flush(struct car_writer *w, struct werr *e)
{
	size_t n = w->olen;

	w->olen = 0;
	return write_all(w, w->out, n, e);
}

static int
emit(struct car_writer *w, const uint8_t *p, size_t n, struct werr *e)
{
	if (w->failed)
		return werr_set(e, EX_IOERR, "%s: earlier write failed", w->name);
	if (w->olen + n > sizeof w->out && flush(w, e) < 0)
		return -1;
	if (n >= sizeof w->out)
		return write_all(w, p, n, e);
	memcpy(w->out + w->olen, p, n);
	w->olen += n;
	return 0;
}

struct car_writer *
car_writer_open(int fd, const char *name, const struct cid *roots, size_t n, struct werr *e)
{
	struct car_writer *w = calloc(1, sizeof *w);
	uint8_t *h = NULL, vb[10];
	size_t hl;

	if (w == NULL || (w->name = strdup(name)) == NULL) {
		free(w);
		werr_sys(e, EX_OSERR, "%s", name);
		return NULL;
	}
	w->fd = fd;
	if (car_header_encode(roots, n, &h, &hl, e) < 0 || emit(w, vb, varint_put(hl, vb), e) < 0 ||
	    emit(w, h, hl, e) < 0) {
		free(h);
		free(w->name);
		free(w);
		return NULL;
	}
	free(h);
	return w;
}

int
car_writer_put(struct car_writer *w, const struct cid *c, const uint8_t *data, size_t len, struct werr *e)
{
	uint8_t cb[CID_MAX_BYTES], vb[10];
	size_t cl = cid_to_bytes(c, cb);

	if (emit(w, vb, varint_put(cl + len, vb), e) < 0 || emit(w, cb, cl, e) < 0 || emit(w, data, len, e) < 0)
		return -1;
	return 0;
}

int
car_writer_sink(void *ctx, const struct cid *c, const uint8_t *data, size_t len, struct werr *e)
{
	return car_writer_put(ctx, c, data, len, e);
}

int
car_writer_close(struct car_writer *w, struct werr *e)
{
	int rc = 0;

	if (w == NULL)
		return 0;
	if (!w->failed)
		rc = flush(w, e);
	else
		rc = werr_set(e, EX_IOERR, "%s: earlier write failed", w->name);
	free(w->name);
	free(w);
	return rc;
}

/* ---- export ---- */

struct frame {
	struct cid *links;
	size_t n, next;
};

/* Write c (unless already written) and, for dag-pb, push a frame of its links. */
static int
visit(struct blockstore *bs, struct car_writer *w, const struct cid *c, struct frame *top, struct werr *e)
{
	const uint8_t *data;
	size_t len;
	struct pb_node nd;
	int m = bs_mark(bs, c);

	if (m == 1)
		return 0;
	if (m < 0 && c->mh_len > 0 && c->mh[0] == MH_IDENTITY)
		return 0;
	if (bs_get(bs, c, &data, &len, e) < 0 || car_writer_put(w, c, data, len, e) < 0)
		return -1;
	if (c->codec != CODEC_DAG_PB)
		return 0;
	if (dagpb_decode(data, len, &nd, e) < 0)
		return werr_prefix(e, "%s", w->name);
	if (nd.nlinks > 0 && (top->links = malloc(nd.nlinks * sizeof *top->links)) == NULL) {
		dagpb_node_free(&nd);
		return werr_sys(e, EX_OSERR, "%s", w->name);
	}
	for (size_t i = 0; i < nd.nlinks; i++)
		top->links[i] = nd.links[i].cid;
	top->n = nd.nlinks;
	top->next = 0;
	dagpb_node_free(&nd);
	return 1;
}

static int
walk(struct blockstore *bs, struct car_writer *w, const struct cid *root, struct werr *e)
{
	struct frame *st = NULL;
	size_t depth = 0, cap = 0;
	const struct cid *c = root;
	int rc = 0;

	for (;;) {
		if (c != NULL) {
			if ((rc = buf_grow_array(&st, &cap, depth + 1, sizeof *st, 16, e)) < 0) {
				werr_prefix(e, "%s", w->name);
				break;
			}
			memset(&st[depth], 0, sizeof st[depth]);
			if ((rc = visit(bs, w, c, &st[depth], e)) < 0)
				break;
			if (rc == 1)
				depth++;
			rc = 0;
		}
		if (depth == 0)
			break;
		struct frame *f = &st[depth - 1];
		if (f->next < f->n) {
			c = &f->links[f->next++];
		} else {
			free(f->links);
			depth--;
			c = NULL;
		}
	}
	while (depth > 0)
		free(st[--depth].links);
	free(st);
	return rc;
}

int
car_export(struct blockstore *bs, const struct cid *roots, size_t n, int fd, const char *name, struct werr *e)
{
	struct car_writer *w = car_writer_open(fd, name, roots, n, e);
	int rc = 0;

	if (w == NULL)
		return -1;
	bs_clear_marks(bs);
	for (size_t i = 0; i < n && rc == 0; i++)
		rc = walk(bs, w, &roots[i], e);
	if (rc < 0) {
		car_writer_close(w, NULL);
		return -1;
	}
	return car_writer_close(w, e);
}
