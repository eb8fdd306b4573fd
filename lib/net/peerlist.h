/* peerlist: read state/peers.json as wanda-discover writes it:
 *   {"v":1,"updated_at":..,"peers":[{"peer","ipns","root","seq","sessions",
 *     "addrs","caps","free_bytes","first_seen","last_seen","rtt_ms","score","state"}]}
 * Only what wanda-sync needs is kept; a peer entry without a valid peer
 * id is skipped, unknown members are ignored. */
#ifndef WANDA_PEERLIST_H
#define WANDA_PEERLIST_H
#include <stddef.h>
#include "base/werr.h"

#define PEERLIST_MAX_BYTES (4u << 20)

struct peer_entry {
	char peer[128]; /* peer id */
	char ipns[128]; /* "" when not announced */
	char root[160]; /* announced root CID, "" when none */
	char state[16]; /* alive, stale, gone ("" when absent) */
};

/* *out malloc'd (free()). An absent file is an empty list. */
int peerlist_load(const char *home, struct peer_entry **out, size_t *n, struct werr *e);

/* peers_allow (space- or comma-separated peer ids): 1 when allow is NULL
 * or empty, or lists peer. */
int peer_allowed(const char *allow, const char *peer);

#endif
