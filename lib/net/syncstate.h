/* syncstate: state/sync.json, what this node holds for its peers.
 *
 *   {"v":1,"peers":{PEERID:{"last_success":time|null,"failures":N,
 *     "sessions":{NAME:{"state":"queued|pinning|pinned|failed","cid":CID,
 *       "bytes":N,"attempts":N,"last_error":STR|null,"pinned_at":time|null}}}}}
 *
 * wanda-sync owns it (pull, unpin, import); wanda-discover reads
 * last_success/failures for a peer's score, wanda-serve shows it, and
 * wanda-dag root lists its pinned entries as the index's `mirrors`.
 * `failures` counts the peer's pulls in a row that ended with a failure
 * (0 after a clean one). Saved atomically (temp, fsync, rename). */
#ifndef WANDA_SYNCSTATE_H
#define WANDA_SYNCSTATE_H
#include <stdint.h>
#include <cjson/cJSON.h>
#include <limits.h>
#include "base/werr.h"

#define SYNCSTATE_MAX_BYTES (16u << 20) /* a bigger sync.json is refused */

struct syncstate {
	char path[PATH_MAX];
	cJSON *doc;
};

/* Load $home/state/sync.json (an absent file is an empty state). */
int syncstate_load(struct syncstate *s, const char *home, struct werr *e);
int syncstate_save(struct syncstate *s, struct werr *e);
void syncstate_free(struct syncstate *s);

/* The peer's object, created when absent (create=1), else NULL. */
cJSON *syncstate_peer(struct syncstate *s, const char *peer, int create);
/* The session's object under that peer, created when absent. */
cJSON *syncstate_session(struct syncstate *s, const char *peer, const char *name, int create);
/* Set a session's state; cid may be NULL (kept), err NULL clears last_error.
 * "pinned" sets pinned_at to now; "pinning" counts an attempt. */
void syncstate_set(cJSON *sess, const char *state, const char *cid, uint64_t bytes, const char *err);
/* End of a peer's pull: ok resets failures and sets last_success, else failures+1. */
void syncstate_peer_done(struct syncstate *s, const char *peer, int ok);
/* How many pinned entries (any peer) hold this CID (decoded comparison). */
int syncstate_cid_users(const struct syncstate *s, const char *cid);

/* [{peer, session, cid}] of every pinned entry, sorted by peer then session
 * (the index.json `mirrors` list); an empty array when there is none. */
cJSON *syncstate_mirrors(const char *home, struct werr *e);

/* Exclusive lock on $home/state/sync.lock for the life of the process
 * (one pull/import/unpin at a time); EX_TEMPFAIL when another holds it. */
int syncstate_lock(const char *home, struct werr *e);

#endif
