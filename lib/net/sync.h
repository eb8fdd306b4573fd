/* sync: `wanda-sync pull`, `status` and `unpin`: copy and pin the sessions
 * peers publish, as mirrors recorded in state/sync.json (syncstate.h).
 *
 * Pull, per peer of state/peers.json (peerlist.h): take the announced root
 * CID, else resolve the peer's IPNS name (within the timeout); cat its
 * index.json (at most ROOTINDEX_MAX_BYTES, validated, node.id must be the
 * peer); select sessions (rootindex_filter); skip those pinned here under
 * the same CID; refuse a session whose declared tsize is over max_bytes;
 * then fetch each remaining session: without a rate, the daemon's own
 * pin/add (one bitswap session) watched for max_bytes on its real byte
 * count and for stalls (restarted, then left to the careful path), and
 * the structure walked (dagwalk.h) after it, or before it with max_bytes
 * (the DAG's exact declared size checked before any leaf); with a rate,
 * the careful path: the structure, then every leaf fetched by dagwalk,
 * paced and checked against its declared size, then a local pin/add. Each change of a session is one JSON line
 * (state queued → pinning → pinned | failed) and each peer ends with a
 * summary line. State is saved at every change, so a killed pull resumes:
 * blocks already fetched are in the blockstore, pinned sessions are skipped.
 * A session re-published under a new CID keeps its old pin until the new
 * one is pinned. */
#ifndef WANDA_SYNC_H
#define WANDA_SYNC_H
#include <stdint.h>
#include <cjson/cJSON.h>
#include "net/rootindex.h"
#include "base/werr.h"

/* Receives every output line (takes ownership); -1 stops the run with e. */
typedef int (*sync_emit_fn)(void *ctx, cJSON *line, struct werr *e);

struct sync_opts {
	const char *home;
	const char *api;   /* Kubo RPC base URL */
	const char *allow; /* peers_allow; NULL/"" = everyone */
	const char *peer;  /* --peer; NULL = every peer not gone */
	struct rootindex_filter filter;
	uint64_t rate;      /* bytes/s, 0 = no limit */
	uint64_t max_bytes; /* per session, 0 = no limit */
	int concurrency;    /* sessions in flight, >= 1 */
	int dry_run;
	long timeout_ms; /* resolving a root, fetching index.json */
	int progress;    /* progress bar on stderr (at a terminal) */
	sync_emit_fn emit;
	void *emit_ctx;
};

/* 0 when every selected session of every selected peer is pinned; -1 with
 * e set (the last failure's code) when any failed. */
int sync_pull(const struct sync_opts *o, struct werr *e);

/* One line per session entry, then one per peer. */
int sync_status(const char *home, sync_emit_fn emit, void *ctx, struct werr *e);

/* Drop the mirrors of peer (session NULL = all of them): pin/rm each CID
 * that no other mirror holds, forget the entries. */
int sync_unpin(const char *home, const char *api, const char *peer, const char *session,
    sync_emit_fn emit, void *ctx, struct werr *e);

#endif
