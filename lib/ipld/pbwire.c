/* pbwire: protobuf wire format helpers for dagpb.c and unixfs.c. */
#include <stdlib.h>
#include <string.h>
#include "base/buf.h"
#include "ipld/pbwire.h"
#include "ipld/varint.h"

void
pbbuf_bytes(struct pbbuf *b, const void *p, size_t n)
{
	if (b->oom || n == 0)
		return;
	if (buf_grow_array(&b->p, &b->cap, b->len + n, 1, 64, NULL) < 0) {
		b->oom = 1;
		return;
	}
	memcpy(b->p + b->len, p, n);
	b->len += n;
}

void
pbbuf_varint(struct pbbuf *b, uint64_t v)
{
	uint8_t t[10];

	pbbuf_bytes(b, t, varint_put(v, t));
}

void
pbbuf_tag(struct pbbuf *b, unsigned field, unsigned wire)
{
	pbbuf_varint(b, (uint64_t)field << 3 | wire);
}

void
pbbuf_field_bytes(struct pbbuf *b, unsigned field, const void *p, size_t n)
{
	pbbuf_tag(b, field, PB_BYTES);
	pbbuf_varint(b, n);
	pbbuf_bytes(b, p, n);
}

void
pbbuf_field_varint(struct pbbuf *b, unsigned field, uint64_t v)
{
	pbbuf_tag(b, field, PB_VARINT);
	pbbuf_varint(b, v);
}

int
pbread_varint(struct pbread *r, uint64_t *v)
{
	uint64_t x = 0;

	for (int i = 0; i < 10 && r->off < r->end; i++) {
		uint8_t c = r->p[r->off++];
		if (i == 9 && c > 1)
			return -1; /* more than 64 bits */
		x |= (uint64_t)(c & 0x7f) << (7 * i);
		if (!(c & 0x80)) {
			*v = x;
			return 0;
		}
	}
	return -1;
}

int
pbread_tag(struct pbread *r, unsigned *field, unsigned *wire)
{
	uint64_t t;

	if (pbread_varint(r, &t) < 0 || (t >> 3) == 0 || (t >> 3) > 0x1fffffff)
		return -1;
	*field = (unsigned)(t >> 3);
	*wire = (unsigned)(t & 7);
	return 0;
}

int
pbread_bytes(struct pbread *r, const uint8_t **p, size_t *n)
{
	uint64_t len;

	if (pbread_varint(r, &len) < 0 || len > r->end - r->off)
		return -1;
	*p = r->p + r->off;
	*n = (size_t)len;
	r->off += (size_t)len;
	return 0;
}

int
pbread_fixed32(struct pbread *r, uint32_t *v)
{
	const uint8_t *q = r->p + r->off;

	if (r->end - r->off < 4)
		return -1;
	*v = (uint32_t)q[0] | (uint32_t)q[1] << 8 | (uint32_t)q[2] << 16 | (uint32_t)q[3] << 24;
	r->off += 4;
	return 0;
}

int
pbread_skip(struct pbread *r, unsigned wire)
{
	uint64_t v;
	const uint8_t *p;
	size_t n;

	switch (wire) {
	case PB_VARINT: return pbread_varint(r, &v);
	case PB_BYTES: return pbread_bytes(r, &p, &n);
	case PB_FIXED32:
	case PB_FIXED64:
		n = wire == PB_FIXED32 ? 4 : 8;
		if (r->end - r->off < n)
			return -1;
		r->off += n;
		return 0;
	}
	return -1;
}
