/* ipns: the node's IPNS name. A dedicated key (config ipns_key, default
 * "wanda", ed25519) names the node root; publishing is debounced so a
 * capture every few seconds does not mean a publish every few seconds.
 *
 * Files under $WANDA_HOME/state/:
 *   root.json        {"cid", ...}: the current root (written by wanda-dag root)
 *   ipns.json        what was last published (written atomically, only by
 *                    the holder of ipns.lock)
 *   ipns.lock        flock(2)ed by the one process publishing
 *   ipns.pending     marker: a publish was asked for; its content is an
 *                    explicit CID, or empty for "the current root"
 *
 * Debounce: a caller writes the marker, then tries the lock. Who gets it
 * is the publisher: it publishes at once when the last attempt is at least
 * one period old, else sleeps until it is, consumes the marker and
 * publishes the latest target; it loops while a marker is present or the
 * current root differs from what it last published, so the end of a burst
 * is always published. Callers that do not get the lock just leave their
 * marker. After unlocking, the publisher looks for a marker once more (a
 * caller may have marked after the last check but failed the lock before
 * the unlock) and takes the lock again if so. */
#ifndef WANDA_IPNS_H
#define WANDA_IPNS_H
#include <stdint.h>
#include <cjson/cJSON.h>
#include "kubo/kubo.h"
#include "base/werr.h"

struct ipns_cfg {
	const char *home;    /* $WANDA_HOME */
	const char *key;     /* key name; "self" = the daemon's identity */
	int64_t lifetime_ms; /* record validity (default 24h) */
	int64_t ttl_ms;      /* cache hint (default 5m) */
	int allow_offline;   /* publish with no peers (record kept locally) */
};

/* Ensure the key exists (key/gen type=ed25519 when missing) and return it.
 * created (may be NULL) = 1 when it was generated now. */
int ipns_key(struct kubo *k, const char *name, struct kubo_key *out, int *created, struct werr *e);

/* The current root CID from state/root.json into cid (KUBO_CID_MAX). */
int ipns_current_root(const char *home, char *cid, size_t len, struct werr *e);

/* state/ipns.json as an object ({} when absent); caller deletes it. */
int ipns_state_load(const char *home, cJSON **st, struct werr *e);

/* Publish /ipfs/<cid> now (waits for the lock), record it in ipns.json.
 * *line gets the result object ({"name","value","cid","sequence",...}). */
int ipns_publish(struct kubo *k, const struct ipns_cfg *c, const char *cid, cJSON **line, struct werr *e);

/* Callback for every result line of a debounced run (ownership passes). */
typedef int (*ipns_emit_fn)(void *ctx, cJSON *line, struct werr *e);

/* Mark pending (cid NULL = the current root) and, when no other process
 * holds the lock, publish as described above: at most one attempt per
 * period_ms, up to `retries` failed attempts in a row before giving up
 * (EX_TEMPFAIL; the marker stays, so the next caller or the republish
 * timer tries again). *publisher = 1 when this process did the work. */
int ipns_debounced(struct kubo *k, const struct ipns_cfg *c, const char *cid, int64_t period_ms,
    int retries, ipns_emit_fn emit, void *ctx, int *publisher, struct werr *e);

/* Write the pending marker only (for a caller that will not publish). */
int ipns_mark_pending(const char *home, const char *cid, struct werr *e);

/* Republish when less than before_ms of the record's lifetime is left
 * (before_ms <= 0: half the lifetime), or a newer root is pending.
 * *line: {"republished":bool, ...}. */
int ipns_republish(struct kubo *k, const struct ipns_cfg *c, int64_t before_ms, int force,
    cJSON **line, struct werr *e);

/* {"key","name","value","sequence","published_at","age_s","pending",
 *  "root","last_error"?}: no daemon needed. */
int ipns_status(const struct ipns_cfg *c, cJSON **line, struct werr *e);

/* Go-style duration ("86400s", "1500ms") for the RPC from ms. */
void ipns_duration(int64_t ms, char *buf, size_t len);

#endif
