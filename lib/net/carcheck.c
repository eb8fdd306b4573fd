/* carcheck: a CAR is exactly one complete dag-pb/raw DAG (see carcheck.h). */
#include "net/carcheck.h"
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "ipld/car.h"
#include "ipld/dagpb.h"
#include "ipld/multihash.h"
#include "net/cidset.h"

/* Entry states: 1 = linked from a block read so far, 2 = seen. */
static int
link_to(struct cidset *s, const struct cid *c, struct werr *e)
{
	int added;
	struct cidset_slot *sl = cidset_get(s, c, &added, e);

	if (!sl)
		return -1;
	if (added) /* identity CIDs carry their data: nothing to wait for */
		sl->state = c->mh_len > 0 && c->mh[0] == MH_IDENTITY ? 2 : 1;
	return 0;
}

static int
check_block(struct cidset *s, const struct car_block *b, const char *name, struct werr *e)
{
	struct cidset_slot *sl;
	struct pb_node nd;
	char txt[CID_STR_MAX] = "?";
	int added;

	if ((sl = cidset_get(s, &b->cid, &added, e)) == NULL)
		return -1;
	if (added) {
		sl->state = 3; /* never linked: an intruder (reported, and the walk stops) */
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
		if (s->v[i].len && s->v[i].state == 1) {
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
	struct cidset s = { 0 };
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
	cidset_free(&s);
	return rc;
}
