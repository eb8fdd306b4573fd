/* MurmurHash3_x64_128 (Austin Appleby's public-domain algorithm), seed 0,
 * returning h1 only: that is the 64-bit hash of UnixFS HAMT shards. */
#include "ipld/murmur3.h"

#define C1 0x87c37b91114253d5ULL
#define C2 0x4cf5ad432745937fULL

static uint64_t
rotl(uint64_t x, int r)
{
	return (x << r) | (x >> (64 - r));
}

static uint64_t
fmix(uint64_t k)
{
	k ^= k >> 33;
	k *= 0xff51afd7ed558ccdULL;
	k ^= k >> 33;
	k *= 0xc4ceb9fe1a85ec53ULL;
	k ^= k >> 33;
	return k;
}

/* Little-endian load of n <= 8 bytes (blocks and the tail alike). */
static uint64_t
le64(const uint8_t *p, size_t n)
{
	uint64_t v = 0;

	while (n-- > 0)
		v |= (uint64_t)p[n] << (8 * n);
	return v;
}

static uint64_t
mix1(uint64_t k)
{
	return rotl(k * C1, 31) * C2;
}

static uint64_t
mix2(uint64_t k)
{
	return rotl(k * C2, 33) * C1;
}

uint64_t
murmur3_x64_64(const void *data, size_t n)
{
	const uint8_t *p = data;
	uint64_t h1 = 0, h2 = 0;
	size_t i, rest;

	for (i = 0; i + 16 <= n; i += 16) {
		h1 ^= mix1(le64(p + i, 8));
		h1 = (rotl(h1, 27) + h2) * 5 + 0x52dce729;
		h2 ^= mix2(le64(p + i + 8, 8));
		h2 = (rotl(h2, 31) + h1) * 5 + 0x38495ab5;
	}
	rest = n - i;
	if (rest > 8)
		h2 ^= mix2(le64(p + i + 8, rest - 8));
	if (rest > 0)
		h1 ^= mix1(le64(p + i, rest > 8 ? 8 : rest));
	h1 ^= (uint64_t)n;
	h2 ^= (uint64_t)n;
	h1 += h2;
	h2 += h1;
	h1 = fmix(h1);
	h2 = fmix(h2);
	return h1 + h2;
}
