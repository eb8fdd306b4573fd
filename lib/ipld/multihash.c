/* multihash: sha2-256/sha2-512 via OpenSSL EVP, identity buffered. */
#include <stdlib.h>
#include <string.h>
#include <openssl/evp.h>
#include "ipld/multihash.h"
#include "ipld/varint.h"

struct mh_hasher {
	uint64_t code;
	EVP_MD_CTX *md; /* NULL for identity */
	uint8_t id[MH_IDENTITY_MAX];
	size_t idlen;
	int overflow; /* identity got too much data */
};

static const struct {
	const char *name;
	uint64_t code;
	int len;
} hashes[] = {
	{ "identity", MH_IDENTITY, 0 },
	{ "sha2-256", MH_SHA2_256, 32 },
	{ "sha2-512", MH_SHA2_512, 64 },
};

int
mh_code_from_name(const char *name, uint64_t *code)
{
	for (size_t i = 0; i < sizeof hashes / sizeof hashes[0]; i++)
		if (strcmp(name, hashes[i].name) == 0) {
			*code = hashes[i].code;
			return 0;
		}
	return -1;
}

const char *
mh_name(uint64_t code)
{
	for (size_t i = 0; i < sizeof hashes / sizeof hashes[0]; i++)
		if (hashes[i].code == code)
			return hashes[i].name;
	return NULL;
}

int
mh_digest_len(uint64_t code)
{
	for (size_t i = 0; i < sizeof hashes / sizeof hashes[0]; i++)
		if (hashes[i].code == code)
			return hashes[i].len;
	return -1;
}

struct mh_hasher *
mh_hasher_new(uint64_t code, struct werr *e)
{
	struct mh_hasher *h;
	const EVP_MD *md = NULL;

	if (code == MH_SHA2_256)
		md = EVP_sha256();
	else if (code == MH_SHA2_512)
		md = EVP_sha512();
	else if (code != MH_IDENTITY) {
		werr_set(e, EX_USAGE, "multihash 0x%llx: unsupported hash function", (unsigned long long)code);
		return NULL;
	}
	if ((h = calloc(1, sizeof *h)) == NULL) {
		werr_sys(e, EX_OSERR, "multihash");
		return NULL;
	}
	h->code = code;
	if (md != NULL) {
		if ((h->md = EVP_MD_CTX_new()) == NULL || !EVP_DigestInit_ex(h->md, md, NULL)) {
			mh_hasher_free(h);
			werr_set(e, EX_SOFTWARE, "multihash: OpenSSL digest init failed");
			return NULL;
		}
	}
	return h;
}

void
mh_hasher_update(struct mh_hasher *h, const void *p, size_t n)
{
	if (h->md != NULL) {
		EVP_DigestUpdate(h->md, p, n);
		return;
	}
	if (n > MH_IDENTITY_MAX - h->idlen) {
		h->overflow = 1;
		return;
	}
	if (n > 0)
		memcpy(h->id + h->idlen, p, n);
	h->idlen += n;
}

size_t
mh_hasher_final(struct mh_hasher *h, uint8_t out[MH_MAX])
{
	uint8_t dig[EVP_MAX_MD_SIZE];
	unsigned int dlen = 0;
	size_t n;

	if (h->md != NULL) {
		if (!EVP_DigestFinal_ex(h->md, dig, &dlen))
			return 0;
	} else {
		if (h->overflow)
			return 0;
		memcpy(dig, h->id, h->idlen);
		dlen = (unsigned int)h->idlen;
	}
	n = varint_put(h->code, out);
	n += varint_put(dlen, out + n);
	memcpy(out + n, dig, dlen);
	return n + dlen;
}

void
mh_hasher_free(struct mh_hasher *h)
{
	if (h == NULL)
		return;
	EVP_MD_CTX_free(h->md);
	free(h);
}

int
mh_sum(uint64_t code, const void *p, size_t n, uint8_t out[MH_MAX], size_t *outlen, struct werr *e)
{
	struct mh_hasher *h;

	if ((h = mh_hasher_new(code, e)) == NULL)
		return -1;
	mh_hasher_update(h, p, n);
	*outlen = mh_hasher_final(h, out);
	mh_hasher_free(h);
	if (*outlen == 0)
		return werr_set(e, EX_DATAERR, "identity multihash: %zu bytes is over the %d-byte limit",
		    n, MH_IDENTITY_MAX);
	return 0;
}

int
mh_parse(const uint8_t *p, size_t n, uint64_t *code, const uint8_t **digest, size_t *dlen)
{
	uint64_t len;
	int a, b;

	if ((a = varint_get(p, n, code)) < 0)
		return -1;
	if ((b = varint_get(p + a, n - a, &len)) < 0)
		return -1;
	if (len > n - a - b || a + b + len > MH_MAX)
		return -1;
	*digest = p + a + b;
	*dlen = (size_t)len;
	return a + b + (int)len;
}
