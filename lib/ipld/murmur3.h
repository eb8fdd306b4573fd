/* murmur3: the 64-bit hash UnixFS HAMT directories use (multicodec 0x22):
 * the first half (h1) of MurmurHash3_x64_128 with seed 0, which is what
 * boxo's hamt (spaolacci/murmur3 New64) and ipfs-unixfs-importer compute.
 * The shard index bits are read from h1 most significant bit first. */
#ifndef WANDA_MURMUR3_H
#define WANDA_MURMUR3_H
#include <stddef.h>
#include <stdint.h>

uint64_t murmur3_x64_64(const void *p, size_t n);

#endif
