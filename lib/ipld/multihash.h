/* multihash: <varint code><varint digest length><digest>.
 * sha2-256 and sha2-512 through OpenSSL's EVP; identity (the data itself,
 * up to MH_IDENTITY_MAX bytes so the result fits MH_MAX). */
#ifndef WANDA_MULTIHASH_H
#define WANDA_MULTIHASH_H
#include <stddef.h>
#include <stdint.h>
#include "base/werr.h"

enum { MH_IDENTITY = 0x00,
	MH_SHA2_256 = 0x12,
	MH_SHA2_512 = 0x13 };
#define MH_MAX 72
#define MH_IDENTITY_MAX 64

struct mh_hasher;
/* A streaming hasher; NULL with EX_USAGE for an unsupported code. */
struct mh_hasher *mh_hasher_new(uint64_t code, struct werr *e);
void mh_hasher_update(struct mh_hasher *h, const void *p, size_t n);
/* Write the encoded multihash; returns its length, 0 when an identity hash
 * got more than MH_IDENTITY_MAX bytes. Free the hasher afterwards. */
size_t mh_hasher_final(struct mh_hasher *h, uint8_t out[MH_MAX]);
void mh_hasher_free(struct mh_hasher *h);

/* One-shot: encoded multihash of p[0..n) into out, length in *outlen. */
int mh_sum(uint64_t code, const void *p, size_t n, uint8_t out[MH_MAX], size_t *outlen, struct werr *e);

/* "sha2-256", "sha2-512", "identity" -> code; -1 unknown. */
int mh_code_from_name(const char *name, uint64_t *code);
/* Name of a supported code, NULL otherwise. */
const char *mh_name(uint64_t code);
/* Digest length of a supported code (identity: 0 = variable), -1 otherwise. */
int mh_digest_len(uint64_t code);

/* Split an encoded multihash: code, digest pointer and length. Returns the
 * total length consumed, or -1 when malformed (truncated, bad varint). */
int mh_parse(const uint8_t *p, size_t n, uint64_t *code, const uint8_t **digest, size_t *dlen);

#endif
