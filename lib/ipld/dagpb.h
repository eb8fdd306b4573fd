/* dagpb: the dag-pb codec (PBNode { repeated PBLink Links = 2; bytes Data = 1; },
 * PBLink { bytes Hash = 1; string Name = 2; uint64 Tsize = 3; }), canonical
 * form: links first, then data. Decoding is strict as the dag-pb spec asks:
 * link fields in field-number order, no duplicates, no unknown fields or
 * wire types, every link has a Hash that is a whole CID. The spec asks
 * decoders to accept Data before Links too (such blocks exist), so it does. */
#ifndef WANDA_DAGPB_H
#define WANDA_DAGPB_H
#include <stddef.h>
#include <stdint.h>
#include "ipld/cid.h"
#include "base/werr.h"

struct pb_link {
	struct cid cid;
	const char *name; /* not NUL-terminated; NULL = no Name field (decode) */
	size_t name_len;
	uint64_t tsize;
	int has_tsize; /* decode only; encode always writes Tsize */
};

/* Encode links (in the given order; the caller sorts) then data. Every link gets Hash, Name (even "")
 * and Tsize, which is what Kubo writes. has_data=0 omits the Data field. *out is malloc'd. */
int dagpb_encode(const struct pb_link *links, size_t n, const uint8_t *data, size_t data_len, int has_data,
    uint8_t **out, size_t *out_len, struct werr *e);

struct pb_node {
	struct pb_link *links; /* malloc'd */
	size_t nlinks;
	const uint8_t *data;
	size_t data_len;
	int has_data;
};
/* Decode a block; names and data point into p. EX_DATAERR on malformed input. */
int dagpb_decode(const uint8_t *p, size_t n, struct pb_node *out, struct werr *e);
void dagpb_node_free(struct pb_node *nd);

#endif
