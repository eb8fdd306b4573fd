/* carcheck: a CAR is exactly one complete dag-pb/raw DAG (see carcheck.h). */
#include "net/carcheck.h"
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "ipld/car.h"
#include "ipld/dagpb.h"
#include "ipld/multihash.h"

/* A set of binary CIDs: open addressing, FNV-1a. state 1 = linked, 2 = seen. */
struct slot { uint8_t b[CID_MAX_BYTES]; uint8_t len, state; };
struct cidset { struct slot *v; size_t cap, n; };

static uint64_t
fnv(const uint8_t *p, size_t n)
{
	uint64_t h = 1469598103934665603ull;

	while (n--)
		h = (h ^ *p++) * 1099511628211ull;
	return h;
}

static struct slot *
find(struct cidset *s, const uint8_t *b, size_t len)
{
	size_t i = fnv(b, len) & (s->cap - 1);

	while (s->v[i].len && (s->v[i].len != len || memcmp(s->v[i].b, b, len) != 0))
		i = (i + 1) & (s->cap - 1);
	return &s->v[i];
}

static int
grow(struct cidset *s, struct werr *e)
{
	struct cidset n = { calloc(s->cap ? s->cap * 2 : 1024, sizeof *n.v), s->cap ? s->cap * 2 : 1024, s->n };

	if (!n.v)
		return werr_set(e, EX_OSERR, "out of memory");
	for (size_t i = 0; i < s->cap; i++)
		if (s->v[i].len)
			*find(&n, s->v[i].b, s->v[i].len) = s->v[i];
	free(s->v);
	*s = n;
	return 0;
}

/* Mark c linked (state 1) unless already known; identity CIDs carry their data: seen. */
static int
link_to(struct cidset *s, const struct cid *c, struct werr *e)
{
	uint8_t b[CID_MAX_BYTES];
	size_t len = cid_to_bytes(c, b);
	struct slot *sl;

	if ((s->n + 1) * 2 > s->cap && grow(s, e) < 0)
		return -1;
	sl = find(s, b, len);
	if (!sl->len) {
		memcpy(sl->b, b, len);
		sl->len = (uint8_t)len;
		sl->state = c->mh_len > 0 && c->mh[0] == MH_IDENTITY ? 2 : 1;
		s->n++;
	}
	return 0;
}

static int
check_block(struct cidset *s, const struct car_block *b, const char *name, struct werr *e)
{
	uint8_t bin[CID_MAX_BYTES];
	size_t len = cid_to_bytes(&b->cid, bin);
	struct slot *sl = find(s, bin, len);
	struct pb_node nd;
	char txt[CID_STR_MAX] = "?";

	if (!sl->len) {
		cid_format(&b->cid, 0, txt, sizeof txt, NULL);
		return werr_set(e, EX_DATAERR, "%s: offset %llu: block %s is outside the announced DAG",
		                name, (unsigned long long)b->offset, txt);
	}
	sl->state = 2;
	if (b->cid.codec == CODEC_RAW)
		return 0;
	if (b->cid.codec != CODEC_DAG_PB)
		return werr_set(e, EX_DATAERR, "%s: offset %llu: codec 0x%llx is not dag-pb or raw", name,
		                (unsigned long long)b->offset, (unsigned long long)b->cid.codec);
	if (dagpb_decode(b->data, b->len, &nd, e) < 0)
		return werr_prefix(e, "%s: offset %llu", name, (unsigned long long)b->offset);
	for (size_t i = 0; i < nd.nlinks; i++)
		if (link_to(s, &nd.links[i].cid, e) < 0) {
			dagpb_node_free(&nd);
			return -1;
		}
	dagpb_node_free(&nd);
	return 0;
}

static int
complete(const struct cidset *s, const char *name, struct werr *e)
{
	for (size_t i = 0; i < s->cap; i++)
		if (s->v[i].len && s->v[i].state != 2) {
			struct cid c;
			char txt[CID_STR_MAX] = "?";
			if (cid_from_bytes(s->v[i].b, s->v[i].len, &c, NULL, NULL) == 0)
				cid_format(&c, 0, txt, sizeof txt, NULL);
			return werr_set(e, EX_DATAERR, "%s: incomplete DAG: block %s is missing", name, txt);
		}
	return 0;
}

/* sha256 of the file in a first pass, the CAR reader reads it again:
 * re-reading a file costs less than holding a session in memory. */
static int
hash_file(int fd, uint8_t out[32], struct werr *e)
{
	struct mh_hasher *h = mh_hasher_new(MH_SHA2_256, e);
	uint8_t buf[1 << 16], mh[MH_MAX];
	ssize_t n;

	if (!h)
		return -1;
	while ((n = read(fd, buf, sizeof buf)) > 0)
		mh_hasher_update(h, buf, (size_t)n);
	mh_hasher_final(h, mh);
	mh_hasher_free(h);
	if (n < 0)
		return werr_sys(e, EX_IOERR, "read");
	memcpy(out, mh + 2, 32);
	return 0;
}

int
carcheck_fd(int fd, const char *name, const struct cid *root, struct carcheck_result *out,
            struct werr *e)
{
	struct cidset s = {0};
	struct car_reader *r = NULL;
	struct car_block b;
	off_t start = lseek(fd, 0, SEEK_CUR);
	int rc = -1, got;

	memset(out, 0, sizeof *out);
	if (start < 0 || hash_file(fd, out->sha256, e) < 0 || lseek(fd, start, SEEK_SET) < 0) {
		if (!e || !e->code)
			werr_sys(e, EX_IOERR, "%s", name);
		else
			werr_prefix(e, "%s", name);
		return -1;
	}
	if ((r = car_reader_open(fd, name, e)) == NULL)
		return -1;
	if (car_reader_nroots(r) != 1 || !cid_equal(car_reader_root(r, 0), root)) {
		werr_set(e, EX_DATAERR, "%s: the CAR's root is not the announced CID", name);
		goto out;
	}
	if (link_to(&s, root, e) < 0)
		goto out;
	while ((got = car_reader_next(r, &b, e)) == 1) {
		if (check_block(&s, &b, name, e) < 0)
			goto out;
		out->blocks++;
		out->block_bytes += b.len;
	}
	if (got == 0 && complete(&s, name, e) == 0)
		rc = 0;
out:
	car_reader_close(r);
	free(s.v);
	return rc;
}
