/* cid: binary and text forms of CIDv0 and CIDv1. */
#include <string.h>
#include "ipld/cid.h"
#include "ipld/multibase.h"
#include "ipld/varint.h"

const char *
cid_codec_name(uint64_t codec)
{
	switch (codec) {
	case CODEC_RAW: return "raw";
	case CODEC_DAG_PB: return "dag-pb";
	case CODEC_DAG_CBOR: return "dag-cbor";
	case CODEC_LIBP2P_KEY: return "libp2p-key";
	}
	return NULL;
}

static int
is_v0_mh(const uint8_t *mh, size_t len)
{
	return len == 34 && mh[0] == MH_SHA2_256 && mh[1] == 32;
}

int
cid_from_block(int version, uint64_t codec, uint64_t mh_code, const void *data, size_t len,
    struct cid *out, struct werr *e)
{
	if (version != 0 && version != 1)
		return werr_set(e, EX_USAGE, "CID version %d: must be 0 or 1", version);
	if (version == 0 && (codec != CODEC_DAG_PB || mh_code != MH_SHA2_256))
		return werr_set(e, EX_USAGE, "CIDv0 takes only dag-pb blocks and sha2-256");
	out->version = version;
	out->codec = codec;
	return mh_sum(mh_code, data, len, out->mh, &out->mh_len, e);
}

size_t
cid_to_bytes(const struct cid *c, uint8_t out[CID_MAX_BYTES])
{
	size_t n = 0;

	if (c->version != 0) {
		n = varint_put((uint64_t)c->version, out);
		n += varint_put(c->codec, out + n);
	}
	memcpy(out + n, c->mh, c->mh_len);
	return n + c->mh_len;
}

int
cid_from_bytes(const uint8_t *p, size_t len, struct cid *out, size_t *consumed, struct werr *e)
{
	uint64_t version, code;
	const uint8_t *dig;
	size_t dlen, off;
	int n, m;

	if (len >= 2 && p[0] == MH_SHA2_256 && p[1] == 32) {
		if (len < 34)
			return werr_set(e, EX_DATAERR, "CIDv0: truncated multihash");
		out->version = 0;
		out->codec = CODEC_DAG_PB;
		memcpy(out->mh, p, 34);
		out->mh_len = 34;
		if (consumed != NULL)
			*consumed = 34;
		return 0;
	}
	if ((n = varint_get(p, len, &version)) < 0)
		return werr_set(e, EX_DATAERR, "CID: bad version varint");
	if (version != 1)
		return werr_set(e, EX_DATAERR, "CID: unsupported version %llu", (unsigned long long)version);
	off = (size_t)n;
	if ((n = varint_get(p + off, len - off, &out->codec)) < 0)
		return werr_set(e, EX_DATAERR, "CID: bad codec varint");
	off += (size_t)n;
	if ((m = mh_parse(p + off, len - off, &code, &dig, &dlen)) < 0)
		return werr_set(e, EX_DATAERR, "CID: bad or truncated multihash");
	if (mh_digest_len(code) > 0 && (size_t)mh_digest_len(code) != dlen)
		return werr_set(e, EX_DATAERR, "CID: %s digest of %zu bytes", mh_name(code), dlen);
	out->version = 1;
	memcpy(out->mh, p + off, (size_t)m);
	out->mh_len = (size_t)m;
	if (consumed != NULL)
		*consumed = off + (size_t)m;
	return 0;
}

int
cid_format(const struct cid *c, char base, char *out, size_t cap, struct werr *e)
{
	uint8_t buf[CID_MAX_BYTES];
	size_t n;

	if (c->version == 0) {
		if (base != 0 && base != 'z')
			return werr_set(e, EX_USAGE, "CIDv0 is always base58btc (use CIDv1 for '%c')", base);
		if (b58_encode(c->mh, c->mh_len, out, cap) < 0)
			return werr_set(e, EX_SOFTWARE, "CID: output buffer too small");
		return 0;
	}
	n = cid_to_bytes(c, buf);
	return mb_encode(base ? base : 'b', buf, n, out, cap, e);
}

int
cid_parse(const char *s, struct cid *out, struct werr *e)
{
	uint8_t buf[CID_MAX_BYTES];
	size_t n, used;

	if (strlen(s) == 46 && s[0] == 'Q' && s[1] == 'm') {
		if (b58_decode(s, buf, sizeof buf, &n) < 0 || !is_v0_mh(buf, n))
			return werr_set(e, EX_DATAERR, "%s: invalid CIDv0", s);
		out->version = 0;
		out->codec = CODEC_DAG_PB;
		memcpy(out->mh, buf, n);
		out->mh_len = n;
		return 0;
	}
	if (mb_decode(s, buf, sizeof buf, &n, NULL, e) < 0)
		return werr_prefix(e, "%s: invalid CID", s);
	if (n >= 1 && buf[0] == MH_SHA2_256)
		return werr_set(e, EX_DATAERR, "%s: invalid CID: CIDv0 must be bare base58btc", s);
	if (cid_from_bytes(buf, n, out, &used, e) < 0)
		return werr_prefix(e, "%s", s);
	if (used != n)
		return werr_set(e, EX_DATAERR, "%s: invalid CID: %zu trailing bytes", s, n - used);
	return 0;
}

int
cid_equal(const struct cid *a, const struct cid *b)
{
	return a->version == b->version && a->codec == b->codec && a->mh_len == b->mh_len &&
	    memcmp(a->mh, b->mh, a->mh_len) == 0;
}

int
cid_str_equal(const char *a, const char *b)
{
	struct cid x, y;

	if (cid_parse(a, &x, NULL) < 0 || cid_parse(b, &y, NULL) < 0)
		return strcmp(a, b) == 0;
	return cid_equal(&x, &y);
}
