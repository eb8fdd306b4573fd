/* dagwalk: fetch a session's DAG into the local daemon's blockstore with
 * WANDA's own limits, before a local pin/add makes it permanent.
 *
 * Phase 1, the structure: every dag-pb node under the root, fetched with
 * block/get by parallel workers (the daemon takes each from the network),
 * its hash checked, decoded; the raw leaves are listed with the size their
 * parent's link declares. Structure nodes are a small part of a session
 * (the images are raw leaves), and once they are here the DAG is known
 * block by block: its exact size, checked against max_bytes before any
 * leaf is fetched (whatever the peer's index.json said).
 * Phase 2, the leaves (fetch_leaves): each worker waits for the pacer (if
 * any) for the leaf's declared size, then block/stat makes the daemon fetch it;
 * a leaf whose real size is not the declared one stops the walk. So the
 * bytes fetched from the network stay within rate, plus the pacer's burst
 * and the leaves in flight (workers x the 2 MiB bitswap block limit). */
#ifndef WANDA_DAGWALK_H
#define WANDA_DAGWALK_H
#include <stdint.h>
#include "net/pacer.h"
#include "base/werr.h"

#define DAGWALK_WORKERS 16

struct dagwalk_opts {
	const char *api;
	long timeout_ms;     /* per block: a block that does not come in time fails the walk */
	int workers;         /* 0: DAGWALK_WORKERS */
	struct pacer *pacer; /* NULL: no rate */
	uint64_t max_bytes;  /* 0: none */
	int fetch_leaves;    /* phase 2 */
	const char *what;    /* for messages: "session NAME" */
	/* called from the workers as bytes come in (may be NULL) */
	void (*progress)(void *ctx, uint64_t bytes);
	void *progress_ctx;
};

struct dagwalk_result {
	uint64_t nodes, node_bytes;  /* dag-pb blocks */
	uint64_t leaves, leaf_bytes; /* raw leaves: declared sizes (phase 1), real (phase 2) */
};

/* The DAG size is node_bytes + leaf_bytes. */
int dagwalk(const char *root, const struct dagwalk_opts *o, struct dagwalk_result *out, struct werr *e);

#endif
