/* cidset: a set of CIDs (binary form) with a small state per entry, for
 * DAG walks that must see each block once (carcheck, dagwalk). */
#ifndef WANDA_CIDSET_H
#define WANDA_CIDSET_H
#include <stddef.h>
#include <stdint.h>
#include "ipld/cid.h"
#include "base/werr.h"

struct cidset_slot {
	uint8_t b[CID_MAX_BYTES];
	uint8_t len, state;
};
struct cidset {
	struct cidset_slot *v;
	size_t cap, n;
};

/* The entry for c, added with state 0 when absent (*added = 1); NULL when
 * out of memory. The pointer is valid until the next cidset_get. */
struct cidset_slot *cidset_get(struct cidset *s, const struct cid *c, int *added, struct werr *e);
void cidset_free(struct cidset *s);

#endif
