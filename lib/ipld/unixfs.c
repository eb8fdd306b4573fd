/* unixfs: hand-written protobuf for the UnixFS Data and UnixTime messages. */
#include <stdlib.h>
#include <string.h>
#include "base/buf.h"
#include "ipld/unixfs.h"
#include "ipld/pbwire.h"

const char *
ufs_type_name(int type)
{
	static const char *names[] = { "raw", "directory", "file", "metadata", "symlink", "hamt-sharded-directory" };

	return type >= 0 && type <= UFS_HAMTSHARD ? names[type] : NULL;
}

int
ufs_encode(const struct ufs_data *d, uint8_t **out, size_t *len, struct werr *e)
{
	struct pbbuf b = { 0 }, t = { 0 };

	pbbuf_field_varint(&b, 1, (uint64_t)d->type);
	if (d->has_data)
		pbbuf_field_bytes(&b, 2, d->data, d->data_len);
	if (d->has_filesize)
		pbbuf_field_varint(&b, 3, d->filesize);
	for (size_t i = 0; i < d->nblocksizes; i++)
		pbbuf_field_varint(&b, 4, d->blocksizes[i]);
	if (d->has_hash_type)
		pbbuf_field_varint(&b, 5, d->hash_type);
	if (d->has_fanout)
		pbbuf_field_varint(&b, 6, d->fanout);
	if (d->has_mode)
		pbbuf_field_varint(&b, 7, d->mode);
	if (d->has_mtime) {
		pbbuf_field_varint(&t, 1, (uint64_t)d->mtime_secs);
		if (d->mtime_nsecs != 0) {
			uint8_t ns[4] = { (uint8_t)d->mtime_nsecs, (uint8_t)(d->mtime_nsecs >> 8),
				(uint8_t)(d->mtime_nsecs >> 16), (uint8_t)(d->mtime_nsecs >> 24) };
			pbbuf_tag(&t, 2, PB_FIXED32);
			pbbuf_bytes(&t, ns, 4);
		}
		pbbuf_field_bytes(&b, 8, t.p, t.len);
		b.oom |= t.oom;
		free(t.p);
	}
	if (b.oom) {
		free(b.p);
		return werr_set(e, EX_OSERR, "unixfs: out of memory");
	}
	*out = b.p;
	*len = b.len;
	return 0;
}

static int
add_blocksize(struct ufs_data *d, size_t *cap, uint64_t v)
{
	if (buf_grow_array(&d->blocksizes, cap, d->nblocksizes + 1, sizeof *d->blocksizes, 16, NULL) < 0)
		return -1;
	d->blocksizes[d->nblocksizes++] = v;
	return 0;
}

/* blocksizes: one varint (unpacked) or a packed run of them */
static int
read_blocksizes(struct pbread *r, unsigned wire, struct ufs_data *d, size_t *cap, struct werr *e)
{
	uint64_t v;
	const uint8_t *p;
	size_t n;

	if (wire == PB_VARINT) {
		if (pbread_varint(r, &v) < 0)
			return werr_set(e, EX_DATAERR, "unixfs: truncated blocksizes");
		if (add_blocksize(d, cap, v) < 0)
			return werr_set(e, EX_OSERR, "unixfs: out of memory");
		return 0;
	}
	if (wire != PB_BYTES || pbread_bytes(r, &p, &n) < 0)
		return werr_set(e, EX_DATAERR, "unixfs: bad blocksizes");
	struct pbread pr = { p, 0, n };
	while (pr.off < pr.end) {
		if (pbread_varint(&pr, &v) < 0)
			return werr_set(e, EX_DATAERR, "unixfs: bad packed blocksizes");
		if (add_blocksize(d, cap, v) < 0)
			return werr_set(e, EX_OSERR, "unixfs: out of memory");
	}
	return 0;
}

static int
read_mtime(const uint8_t *p, size_t n, struct ufs_data *d, struct werr *e)
{
	struct pbread r = { p, 0, n };
	unsigned field, wire;
	uint64_t v;
	int has_secs = 0;

	while (r.off < r.end) {
		if (pbread_tag(&r, &field, &wire) < 0)
			return werr_set(e, EX_DATAERR, "unixfs mtime: bad field tag");
		if (field == 1 && wire == PB_VARINT) {
			if (pbread_varint(&r, &v) < 0)
				return werr_set(e, EX_DATAERR, "unixfs mtime: truncated Seconds");
			d->mtime_secs = (int64_t)v;
			has_secs = 1;
		} else if (field == 2 && wire == PB_FIXED32) {
			if (pbread_fixed32(&r, &d->mtime_nsecs) < 0)
				return werr_set(e, EX_DATAERR, "unixfs mtime: truncated FractionalNanoseconds");
		} else if (pbread_skip(&r, wire) < 0)
			return werr_set(e, EX_DATAERR, "unixfs mtime: bad field %u", field);
	}
	if (!has_secs)
		return werr_set(e, EX_DATAERR, "unixfs mtime: no Seconds");
	d->has_mtime = 1;
	return 0;
}

/* One scalar field (3, 5, 6, 7) into its slot. */
static int
read_scalar(struct pbread *r, unsigned field, unsigned wire, struct ufs_data *d, struct werr *e)
{
	uint64_t v;

	if (wire != PB_VARINT || pbread_varint(r, &v) < 0)
		return werr_set(e, EX_DATAERR, "unixfs: bad field %u", field);
	switch (field) {
	case 3:
		d->filesize = v;
		d->has_filesize = 1;
		break;
	case 5:
		d->hash_type = v;
		d->has_hash_type = 1;
		break;
	case 6:
		d->fanout = v;
		d->has_fanout = 1;
		break;
	case 7:
		d->mode = (uint32_t)v;
		d->has_mode = 1;
		break;
	}
	return 0;
}

static int
read_field(struct pbread *r, unsigned field, unsigned wire, struct ufs_data *d, size_t *cap,
    int *has_type, struct werr *e)
{
	const uint8_t *p;
	size_t n;
	uint64_t v;

	switch (field) {
	case 1:
		if (wire != PB_VARINT || pbread_varint(r, &v) < 0)
			return werr_set(e, EX_DATAERR, "unixfs: bad Type field");
		if (v > UFS_HAMTSHARD)
			return werr_set(e, EX_DATAERR, "unixfs: unknown type %llu", (unsigned long long)v);
		d->type = (int)v;
		*has_type = 1;
		return 0;
	case 2:
		if (wire != PB_BYTES || pbread_bytes(r, &d->data, &d->data_len) < 0)
			return werr_set(e, EX_DATAERR, "unixfs: bad Data field");
		d->has_data = 1;
		return 0;
	case 4:
		return read_blocksizes(r, wire, d, cap, e);
	case 8:
		if (wire != PB_BYTES || pbread_bytes(r, &p, &n) < 0)
			return werr_set(e, EX_DATAERR, "unixfs: bad mtime field");
		return read_mtime(p, n, d, e);
	case 3:
	case 5:
	case 6:
	case 7:
		return read_scalar(r, field, wire, d, e);
	}
	if (pbread_skip(r, wire) < 0)
		return werr_set(e, EX_DATAERR, "unixfs: bad field %u", field);
	return 0;
}

int
ufs_decode(const uint8_t *p, size_t n, struct ufs_data *out, struct werr *e)
{
	struct pbread r = { p, 0, n };
	unsigned field, wire;
	size_t cap = 0;
	int has_type = 0;

	memset(out, 0, sizeof *out);
	while (r.off < r.end) {
		if (pbread_tag(&r, &field, &wire) < 0) {
			werr_set(e, EX_DATAERR, "unixfs: bad field tag at byte %zu", r.off);
			goto fail;
		}
		if (read_field(&r, field, wire, out, &cap, &has_type, e) < 0)
			goto fail;
	}
	if (!has_type) {
		werr_set(e, EX_DATAERR, "unixfs: no Type field");
		goto fail;
	}
	return 0;
fail:
	ufs_data_free(out);
	return -1;
}

void
ufs_data_free(struct ufs_data *d)
{
	free(d->blocksizes);
	d->blocksizes = NULL;
	d->nblocksizes = 0;
}
