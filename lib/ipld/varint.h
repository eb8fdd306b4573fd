/* varint: unsigned LEB128 as multiformats uses it (CIDs, multihash, CAR).
 * Decoding is strict: at most 9 bytes (63 bits), minimal encoding only. */
#ifndef WANDA_VARINT_H
#define WANDA_VARINT_H
#include <stddef.h>
#include <stdint.h>

/* Encode v into out; returns the number of bytes written (1..10). */
size_t varint_put(uint64_t v, uint8_t out[10]);
/* Bytes varint_put would write. */
size_t varint_len(uint64_t v);
/* Decode from p[0..len); returns bytes consumed, or -1 when the input is
 * truncated, longer than 9 bytes, or not minimally encoded. */
int varint_get(const uint8_t *p, size_t len, uint64_t *v);

#endif
