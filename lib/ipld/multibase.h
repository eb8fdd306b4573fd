/* multibase: a one-character prefix naming the base, then the text.
 * Supported: 'b'/'B' base32 (lower/upper, no padding), 'z' base58btc,
 * 'k'/'K' base36, 'f'/'F' base16, 'm' base64, 'M' base64pad,
 * 'u' base64url, 'U' base64urlpad. Decoding is strict: wrong alphabet,
 * wrong case, bad length or non-zero trailing bits are errors. */
#ifndef WANDA_MULTIBASE_H
#define WANDA_MULTIBASE_H
#include <stddef.h>
#include <stdint.h>
#include "base/werr.h"

/* Write prefix + text + NUL into out (cap bytes). -1 on an unknown prefix
 * (EX_USAGE) or when out is too small (EX_SOFTWARE). */
int mb_encode(char prefix, const uint8_t *p, size_t n, char *out, size_t cap, struct werr *e);
/* Decode a multibase string; the prefix found goes to *prefix (may be NULL).
 * -1 with EX_DATAERR on bad input or when it decodes to more than cap bytes. */
int mb_decode(const char *s, uint8_t *out, size_t cap, size_t *outlen, char *prefix, struct werr *e);
/* "base32"->'b', "base32upper"->'B', "base58btc"->'z', "base36"->'k', "base36upper"->'K',
 * "base16"->'f', "base16upper"->'F', "base64"->'m', "base64pad"->'M', "base64url"->'u',
 * "base64urlpad"->'U'; -1 unknown. */
int mb_prefix_from_name(const char *name, char *prefix);
/* Name of a supported prefix, NULL otherwise. */
const char *mb_name(char prefix);

/* Raw base58btc without a prefix (CIDv0). Return -1 when out is too small
 * or (decode) a character is outside the alphabet. */
int b58_encode(const uint8_t *p, size_t n, char *out, size_t cap);
int b58_decode(const char *s, uint8_t *out, size_t cap, size_t *outlen);

#endif
