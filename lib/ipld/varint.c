/* varint: unsigned LEB128, strict multiformats rules (minimal, <= 9 bytes). */
#include "ipld/varint.h"

size_t
varint_put(uint64_t v, uint8_t out[10])
{
	size_t n = 0;

	while (v >= 0x80) {
		out[n++] = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	out[n++] = (uint8_t)v;
	return n;
}

size_t
varint_len(uint64_t v)
{
	size_t n = 1;

	while (v >= 0x80) {
		v >>= 7;
		n++;
	}
	return n;
}

int
varint_get(const uint8_t *p, size_t len, uint64_t *v)
{
	uint64_t x = 0;
	size_t i;

	/* The multiformats spec caps varints at 9 bytes (63 bits). */
	for (i = 0; i < len && i < 9; i++) {
		x |= (uint64_t)(p[i] & 0x7f) << (7 * i);
		if (!(p[i] & 0x80)) {
			/* a trailing zero byte means a longer encoding than needed */
			if (i > 0 && p[i] == 0)
				return -1;
			*v = x;
			return (int)i + 1;
		}
	}
	return -1;
}
