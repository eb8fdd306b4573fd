/* cid: content identifiers, v0 (bare sha2-256 multihash of a dag-pb block,
 * written in base58btc "Qm...") and v1 (<version><codec><multihash> in any
 * multibase). */
#ifndef WANDA_CID_H
#define WANDA_CID_H
#include <stddef.h>
#include <stdint.h>
#include "ipld/multihash.h"
#include "base/werr.h"

enum { CODEC_RAW = 0x55,
	CODEC_DAG_PB = 0x70,
	CODEC_DAG_CBOR = 0x71,
	CODEC_LIBP2P_KEY = 0x72 };
#define CID_MAX_BYTES 96
#define CID_STR_MAX 160

struct cid {
	int version; /* 0 or 1 */
	uint64_t codec;
	uint8_t mh[MH_MAX]; /* encoded multihash */
	size_t mh_len;
};

/* Hash a block and make its CID. Version 0 requires dag-pb and sha2-256. */
int cid_from_block(int version, uint64_t codec, uint64_t mh_code, const void *data, size_t len,
    struct cid *out, struct werr *e);
/* Binary form (v0: the multihash; v1: varints + multihash); returns length. */
size_t cid_to_bytes(const struct cid *c, uint8_t out[CID_MAX_BYTES]);
/* Parse a binary CID at the start of p; *consumed (may be NULL) gets its
 * length, so a CID followed by other data (CAR sections) can be split. */
int cid_from_bytes(const uint8_t *p, size_t len, struct cid *out, size_t *consumed, struct werr *e);
/* Text form. base 0 = default (v0: raw base58btc, v1: 'b' base32); a v0 CID
 * takes only 0 or 'z'. */
int cid_format(const struct cid *c, char base, char *out, size_t cap, struct werr *e);
/* Parse v0 ("Qm..." 46 chars) or v1 in any multibase mb_decode knows. */
int cid_parse(const char *s, struct cid *out, struct werr *e);
/* 1 when equal (version, codec and multihash), else 0. */
int cid_equal(const struct cid *a, const struct cid *b);
/* Two CID strings name the same content (decoded comparison: daemons print
 * CIDv1 in their own base). Strings that do not parse compare as text. */
int cid_str_equal(const char *a, const char *b);
/* "raw", "dag-pb", "dag-cbor", "libp2p-key", or NULL. */
const char *cid_codec_name(uint64_t codec);

/* Where every block goes as it is produced (importer, directory builder, CAR reader...). */
typedef int (*block_sink_fn)(void *ctx, const struct cid *cid, const uint8_t *data, size_t len, struct werr *e);

#endif
