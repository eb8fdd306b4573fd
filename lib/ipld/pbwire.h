/* pbwire: the little of the protobuf wire format dag-pb and UnixFS need:
 * a growing output buffer and a bounds-checked reader. Internal to lib/. */
#ifndef WANDA_PBWIRE_H
#define WANDA_PBWIRE_H
#include <stddef.h>
#include <stdint.h>

enum { PB_VARINT = 0,
	PB_FIXED64 = 1,
	PB_BYTES = 2,
	PB_FIXED32 = 5 };

struct pbbuf {
	uint8_t *p;
	size_t len, cap;
	int oom; /* an allocation failed; checked once at the end */
};
void pbbuf_bytes(struct pbbuf *b, const void *p, size_t n);
void pbbuf_varint(struct pbbuf *b, uint64_t v);
void pbbuf_tag(struct pbbuf *b, unsigned field, unsigned wire);
void pbbuf_field_bytes(struct pbbuf *b, unsigned field, const void *p, size_t n);
void pbbuf_field_varint(struct pbbuf *b, unsigned field, uint64_t v);

/* Reader over p[off..end). Each returns 0, or -1 on truncated/malformed input. */
struct pbread {
	const uint8_t *p;
	size_t off, end;
};
int pbread_varint(struct pbread *r, uint64_t *v); /* up to 10 bytes */
int pbread_tag(struct pbread *r, unsigned *field, unsigned *wire);
int pbread_bytes(struct pbread *r, const uint8_t **p, size_t *n);
int pbread_fixed32(struct pbread *r, uint32_t *v);
int pbread_skip(struct pbread *r, unsigned wire);

#endif
