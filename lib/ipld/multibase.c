/* multibase: RFC 4648 bases (16, 32, 64, 64url) by bit packing, and the
 * positional bases (58btc, 36) by big-number conversion. */
#include <string.h>
#include "ipld/multibase.h"

enum { RFC4648,
	BIGNUM };

static const struct base {
	char prefix;
	const char *name;
	int kind;
	int bits; /* RFC4648: bits per character */
	int pad;  /* RFC4648: '=' padding */
	const char *alpha;
} bases[] = {
	{ 'b', "base32", RFC4648, 5, 0, "abcdefghijklmnopqrstuvwxyz234567" },
	{ 'B', "base32upper", RFC4648, 5, 0, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567" },
	{ 'f', "base16", RFC4648, 4, 0, "0123456789abcdef" },
	{ 'F', "base16upper", RFC4648, 4, 0, "0123456789ABCDEF" },
	{ 'm', "base64", RFC4648, 6, 0, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/" },
	{ 'M', "base64pad", RFC4648, 6, 1, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/" },
	{ 'u', "base64url", RFC4648, 6, 0, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_" },
	{ 'U', "base64urlpad", RFC4648, 6, 1, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_" },
	{ 'z', "base58btc", BIGNUM, 0, 0, "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz" },
	{ 'k', "base36", BIGNUM, 0, 0, "0123456789abcdefghijklmnopqrstuvwxyz" },
	{ 'K', "base36upper", BIGNUM, 0, 0, "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ" },
};

static const struct base *
base_by_prefix(char prefix)
{
	for (size_t i = 0; i < sizeof bases / sizeof bases[0]; i++)
		if (bases[i].prefix == prefix)
			return &bases[i];
	return NULL;
}

int
mb_prefix_from_name(const char *name, char *prefix)
{
	for (size_t i = 0; i < sizeof bases / sizeof bases[0]; i++)
		if (strcmp(bases[i].name, name) == 0) {
			*prefix = bases[i].prefix;
			return 0;
		}
	return -1;
}

const char *
mb_name(char prefix)
{
	const struct base *b = base_by_prefix(prefix);

	return b ? b->name : NULL;
}

static int
rfc_encode(const struct base *b, const uint8_t *p, size_t n, char *out, size_t cap)
{
	uint32_t acc = 0;
	int nbits = 0, mask = (1 << b->bits) - 1, group = b->bits == 5 ? 8 : b->bits == 6 ? 4 :
	                                                                                    2;
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		acc = (acc << 8) | p[i];
		nbits += 8;
		while (nbits >= b->bits) {
			if (o + 1 >= cap)
				return -1;
			nbits -= b->bits;
			out[o++] = b->alpha[(acc >> nbits) & mask];
		}
	}
	if (nbits > 0) {
		if (o + 1 >= cap)
			return -1;
		out[o++] = b->alpha[(acc << (b->bits - nbits)) & mask];
	}
	while (b->pad && o % group != 0) {
		if (o + 1 >= cap)
			return -1;
		out[o++] = '=';
	}
	out[o] = '\0';
	return 0;
}

static int
alpha_index(const char *alpha, char c)
{
	const char *q;

	if (c == '\0' || (q = strchr(alpha, c)) == NULL)
		return -1;
	return (int)(q - alpha);
}

static int
rfc_decode(const struct base *b, const char *s, uint8_t *out, size_t cap, size_t *outlen)
{
	uint32_t acc = 0;
	int nbits = 0, v;
	size_t o = 0, len = strlen(s), i;

	if (b->pad) {
		/* padded: whole groups only, then drop the '=' run */
		size_t group = b->bits == 6 ? 4 : 8;
		if (len % group != 0)
			return -1;
		while (len > 0 && s[len - 1] == '=')
			len--;
	}
	for (i = 0; i < len; i++) {
		if ((v = alpha_index(b->alpha, s[i])) < 0)
			return -1;
		acc = (acc << b->bits) | (uint32_t)v;
		nbits += b->bits;
		if (nbits >= 8) {
			nbits -= 8;
			if (o >= cap)
				return -1;
			out[o++] = (uint8_t)(acc >> nbits);
		}
		acc &= (1u << nbits) - 1;
	}
	/* leftover bits must be fewer than one character and all zero */
	if (nbits >= b->bits || acc != 0)
		return -1;
	*outlen = o;
	return 0;
}

/* Positional base conversion: the number p (big-endian bytes) in base
 * strlen(alpha), leading zero bytes written as the alphabet's first char. */
static int
big_encode(const char *alpha, const uint8_t *p, size_t n, char *out, size_t cap)
{
	unsigned radix = (unsigned)strlen(alpha);
	size_t zeros = 0, len = 0, i, j;

	while (zeros < n && p[zeros] == 0)
		zeros++;
	if (zeros + 1 > cap)
		return -1;
	/* digits accumulate least-significant first in out[zeros..] */
	for (i = zeros; i < n; i++) {
		unsigned carry = p[i];
		for (j = 0; j < len; j++) {
			carry += (unsigned)(uint8_t)out[zeros + j] << 8;
			out[zeros + j] = (char)(carry % radix);
			carry /= radix;
		}
		while (carry > 0) {
			if (zeros + len + 1 >= cap)
				return -1;
			out[zeros + len++] = (char)(carry % radix);
			carry /= radix;
		}
	}
	for (i = 0; i < zeros; i++)
		out[i] = alpha[0];
	for (i = 0; i < len / 2; i++) {
		char t = out[zeros + i];
		out[zeros + i] = out[zeros + len - 1 - i];
		out[zeros + len - 1 - i] = t;
	}
	for (i = 0; i < len; i++)
		out[zeros + i] = alpha[(uint8_t)out[zeros + i]];
	out[zeros + len] = '\0';
	return 0;
}

static int
big_decode(const char *alpha, const char *s, uint8_t *out, size_t cap, size_t *outlen)
{
	unsigned radix = (unsigned)strlen(alpha);
	size_t zeros = 0, len = 0, i, j;
	int v;

	while (s[zeros] == alpha[0])
		zeros++;
	if (zeros > cap)
		return -1;
	/* bytes accumulate least-significant first in out[zeros..] */
	for (i = zeros; s[i] != '\0'; i++) {
		if ((v = alpha_index(alpha, s[i])) < 0)
			return -1;
		unsigned carry = (unsigned)v;
		for (j = 0; j < len; j++) {
			carry += (unsigned)out[zeros + j] * radix;
			out[zeros + j] = (uint8_t)carry;
			carry >>= 8;
		}
		while (carry > 0) {
			if (zeros + len >= cap)
				return -1;
			out[zeros + len++] = (uint8_t)carry;
			carry >>= 8;
		}
	}
	memset(out, 0, zeros);
	for (i = 0; i < len / 2; i++) {
		uint8_t t = out[zeros + i];
		out[zeros + i] = out[zeros + len - 1 - i];
		out[zeros + len - 1 - i] = t;
	}
	*outlen = zeros + len;
	return 0;
}

int
b58_encode(const uint8_t *p, size_t n, char *out, size_t cap)
{
	return big_encode(base_by_prefix('z')->alpha, p, n, out, cap);
}

int
b58_decode(const char *s, uint8_t *out, size_t cap, size_t *outlen)
{
	return big_decode(base_by_prefix('z')->alpha, s, out, cap, outlen);
}

int
mb_encode(char prefix, const uint8_t *p, size_t n, char *out, size_t cap, struct werr *e)
{
	const struct base *b = base_by_prefix(prefix);
	int r;

	if (b == NULL)
		return werr_set(e, EX_USAGE, "multibase '%c': unsupported base", prefix);
	if (cap < 2)
		return werr_set(e, EX_SOFTWARE, "multibase: output buffer too small");
	out[0] = prefix;
	if (b->kind == RFC4648)
		r = rfc_encode(b, p, n, out + 1, cap - 1);
	else
		r = big_encode(b->alpha, p, n, out + 1, cap - 1);
	if (r < 0)
		return werr_set(e, EX_SOFTWARE, "multibase: output buffer too small");
	return 0;
}

int
mb_decode(const char *s, uint8_t *out, size_t cap, size_t *outlen, char *prefix, struct werr *e)
{
	const struct base *b;
	int r;

	if (s[0] == '\0')
		return werr_set(e, EX_DATAERR, "multibase: empty string");
	if ((b = base_by_prefix(s[0])) == NULL)
		return werr_set(e, EX_DATAERR, "multibase: unknown base prefix '%c'", s[0]);
	if (prefix != NULL)
		*prefix = s[0];
	if (b->kind == RFC4648)
		r = rfc_decode(b, s + 1, out, cap, outlen);
	else
		r = big_decode(b->alpha, s + 1, out, cap, outlen);
	if (r < 0)
		return werr_set(e, EX_DATAERR, "multibase: invalid %s text (or longer than %zu bytes)", b->name, cap);
	return 0;
}
