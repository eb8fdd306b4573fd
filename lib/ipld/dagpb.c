/* dagpb: hand-written protobuf for the two dag-pb messages. */
#include <stdlib.h>
#include <string.h>
#include "base/buf.h"
#include "ipld/dagpb.h"
#include "ipld/pbwire.h"

int
dagpb_encode(const struct pb_link *links, size_t n, const uint8_t *data, size_t data_len, int has_data,
    uint8_t **out, size_t *out_len, struct werr *e)
{
	struct pbbuf b = { 0 }, l = { 0 };
	uint8_t cb[CID_MAX_BYTES];

	for (size_t i = 0; i < n; i++) {
		l.len = 0;
		pbbuf_field_bytes(&l, 1, cb, cid_to_bytes(&links[i].cid, cb));
		pbbuf_field_bytes(&l, 2, links[i].name ? links[i].name : "", links[i].name ? links[i].name_len : 0);
		pbbuf_field_varint(&l, 3, links[i].tsize);
		if (l.oom)
			break;
		pbbuf_field_bytes(&b, 2, l.p, l.len);
	}
	if (has_data)
		pbbuf_field_bytes(&b, 1, data, data_len);
	free(l.p);
	if (b.oom || l.oom) {
		free(b.p);
		return werr_set(e, EX_OSERR, "dag-pb: out of memory");
	}
	if (b.p == NULL && (b.p = malloc(1)) == NULL) /* empty node: still a buffer to free */
		return werr_set(e, EX_OSERR, "dag-pb: out of memory");
	*out = b.p;
	*out_len = b.len;
	return 0;
}

static int
decode_link(const uint8_t *p, size_t n, struct pb_link *lk, struct werr *e)
{
	struct pbread r = { p, 0, n };
	unsigned field, wire, last = 0;
	const uint8_t *v;
	size_t vlen, used;
	int has_hash = 0;

	memset(lk, 0, sizeof *lk);
	while (r.off < r.end) {
		if (pbread_tag(&r, &field, &wire) < 0)
			return werr_set(e, EX_DATAERR, "dag-pb link: bad field tag");
		if (field <= last || field > 3)
			return werr_set(e, EX_DATAERR, "dag-pb link: field %u %s", field,
			    field > 3 ? "unknown" : "out of order or repeated");
		if (wire != (field == 3 ? PB_VARINT : PB_BYTES))
			return werr_set(e, EX_DATAERR, "dag-pb link: field %u has wrong wire type %u", field, wire);
		last = field;
		if (field == 3) {
			if (pbread_varint(&r, &lk->tsize) < 0)
				return werr_set(e, EX_DATAERR, "dag-pb link: truncated Tsize");
			lk->has_tsize = 1;
			continue;
		}
		if (pbread_bytes(&r, &v, &vlen) < 0)
			return werr_set(e, EX_DATAERR, "dag-pb link: truncated field %u", field);
		if (field == 1) {
			if (cid_from_bytes(v, vlen, &lk->cid, &used, e) < 0)
				return werr_prefix(e, "dag-pb link Hash");
			if (used != vlen)
				return werr_set(e, EX_DATAERR, "dag-pb link Hash: trailing bytes after CID");
			has_hash = 1;
		} else {
			lk->name = (const char *)v;
			lk->name_len = vlen;
		}
	}
	if (!has_hash)
		return werr_set(e, EX_DATAERR, "dag-pb link: no Hash");
	return 0;
}

static int
add_link(struct pb_node *nd, size_t *cap, const uint8_t *p, size_t n, struct werr *e)
{
	if (buf_grow_array(&nd->links, cap, nd->nlinks + 1, sizeof *nd->links, 8, e) < 0)
		return werr_prefix(e, "dag-pb");
	if (decode_link(p, n, &nd->links[nd->nlinks], e) < 0)
		return werr_prefix(e, "link %zu", nd->nlinks);
	nd->nlinks++;
	return 0;
}

int
dagpb_decode(const uint8_t *p, size_t n, struct pb_node *out, struct werr *e)
{
	struct pbread r = { p, 0, n };
	unsigned field, wire;
	const uint8_t *v;
	size_t vlen, cap = 0;

	memset(out, 0, sizeof *out);
	while (r.off < r.end) {
		if (pbread_tag(&r, &field, &wire) < 0) {
			werr_set(e, EX_DATAERR, "dag-pb: bad field tag at byte %zu", r.off);
			goto fail;
		}
		if ((field != 1 && field != 2) || wire != PB_BYTES) {
			werr_set(e, EX_DATAERR, "dag-pb: unexpected field %u (wire type %u)", field, wire);
			goto fail;
		}
		if (field == 1 && out->has_data) {
			werr_set(e, EX_DATAERR, "dag-pb: second Data field");
			goto fail;
		}
		if (pbread_bytes(&r, &v, &vlen) < 0) {
			werr_set(e, EX_DATAERR, "dag-pb: truncated %s", field == 1 ? "Data" : "link");
			goto fail;
		}
		if (field == 1) {
			out->data = v;
			out->data_len = vlen;
			out->has_data = 1;
		} else if (add_link(out, &cap, v, vlen, e) < 0) {
			werr_prefix(e, "dag-pb");
			goto fail;
		}
	}
	return 0;
fail:
	dagpb_node_free(out);
	return -1;
}

void
dagpb_node_free(struct pb_node *nd)
{
	free(nd->links);
	nd->links = NULL;
	nd->nlinks = 0;
}
