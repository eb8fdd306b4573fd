/* peers: the table of WANDA peers heard on the discovery topic, and its
 * files under $WANDA_HOME/state/:
 *   peers.json     {"v":1,"updated_at","peers":[{peer, ipns, root, seq,
 *                  sessions, addrs, caps, free_bytes, first_seen, last_seen,
 *                  rtt_ms, score, state}]}  (read by wanda-sync, wanda-serve)
 *   sync.json      written by wanda-sync; read here for the score
 *
 * Every message goes through peers_receive(), which drops (and counts)
 * whatever is hostile: too big, over the per-sender rate limit, not a
 * valid announce, from != announced peer, seq not increasing, not in the
 * allow-list. Memory is bounded: at most PEERS_MAX peers (a new one
 * evicts the longest-gone) and PEERS_RATE_SLOTS rate-limit buckets.
 *
 * States by the time since the last message, with hb the heartbeat:
 * alive up to 1.5 hb, stale up to 3.5 hb (3 heartbeats missed, jitter
 * allowed), then gone. A gone peer stays listed (state "gone", score 0)
 * until evicted; its next message makes it join again and restarts its
 * seq check (a Pi without a clock may come back with a smaller seq). */
#ifndef WANDA_PEERS_H
#define WANDA_PEERS_H
#include <stddef.h>
#include <stdint.h>
#include <cjson/cJSON.h>
#include "base/werr.h"
#include "net/announce.h"

#define PEERS_MAX 256
#define PEERS_RATE_SLOTS 128
#define PEERS_RATE_BURST 10.0 /* messages a sender may send at once */
#define PEERS_RATE_PER_S 2.0  /* ... and per second after that */

enum peer_state { PEER_ALIVE,
	PEER_STALE,
	PEER_GONE };
const char *peer_state_name(enum peer_state s);

struct peer {
	struct announce a;     /* the last accepted announce */
	long long first_seen;  /* wall ms */
	long long last_seen;   /* wall ms */
	long long last_mono;   /* mono ms of the last accepted message */
	long long joined_mono; /* mono ms it last joined (uptime) */
	int rtt_ms;            /* -1: not measured */
	double sync_ok;        /* 0..1 from sync.json, -1 unknown */
	double score;
	enum peer_state state;
	int seq_fresh; /* accept any seq next (after gone or load) */
};

struct peers_cfg {
	int64_t heartbeat_ms;
	const char *self; /* our peer id: our own messages are skipped */
	char **allow;     /* peers_allow; NULL or nallow 0: everyone */
	size_t nallow;
};

struct peers_stats {
	uint64_t received, accepted, own;
	uint64_t dropped[AN_NERR];
};

struct peer_table;

enum peer_event { PEER_EV_NONE,
	PEER_EV_JOINED,
	PEER_EV_UPDATED,
	PEER_EV_LEFT };
const char *peer_event_name(enum peer_event ev); /* "peer_joined"... */

struct peer_table *peers_new(const struct peers_cfg *c, struct werr *e);
void peers_free(struct peer_table *t);

/* One pubsub message from `from`. Returns AN_OK (accepted, or our own
 * message: *ev PEER_EV_NONE), or why it was dropped (counted). *ev gets
 * what changed, *p the peer (valid until the next call), *request = 1
 * when the sender asks for announces. e gets a one-line reason. */
enum announce_err peers_receive(struct peer_table *t, const char *from, const void *data, size_t n,
    long long wall, long long mono, enum peer_event *ev,
    const struct peer **p, int *request, struct werr *e);

/* Age the states and scores; fn(ctx, peer) for each peer that went gone. */
typedef void (*peers_left_fn)(void *ctx, const struct peer *p);
void peers_tick(struct peer_table *t, long long mono, peers_left_fn fn, void *ctx);

/* 1 when a drop of this reason should be logged now (once per 10 s each). */
int peers_should_log(struct peer_table *t, enum announce_err r, long long mono);

void peers_set_rtt(struct peer_table *t, const char *peer, int rtt_ms);
/* sync.json's {"peers":{ID:{"last_success","failures"}}} into sync_ok. */
void peers_apply_sync(struct peer_table *t, const cJSON *sync);
const struct peers_stats *peers_stats(const struct peer_table *t);
size_t peers_count(const struct peer_table *t);
const struct peer *peers_at(const struct peer_table *t, size_t i);
/* Set when the table changed since peers_clear_dirty. */
int peers_dirty(const struct peer_table *t);
void peers_clear_dirty(struct peer_table *t);

/* Score 0..1: 0.4 freshness, 0.2 RTT, 0.25 sync success, 0.15 uptime
 * (an hour alive counts full); 0 when gone. Pure, for the tests. */
double peers_score(const struct peer *p, long long mono, int64_t heartbeat_ms);

/* The peers.json document (caller deletes) and one peer's object. */
cJSON *peers_to_json(const struct peer_table *t, long long wall);
cJSON *peer_to_json(const struct peer *p);
/* Write peers.json atomically. */
int peers_write(const struct peer_table *t, const char *path, long long wall, struct werr *e);
/* Load a peers.json written earlier (first_seen, last seq, rtt kept; the
 * peers start stale-or-gone by their age, any seq accepted next; a peer
 * peers_allow does not name is left out: the list may predate it).
 * A missing file is no error. */
int peers_load(struct peer_table *t, const char *path, long long wall, long long mono, struct werr *e);
/* Read peers.json into *doc (NULL when absent), checking its shape. */
int peers_read(const char *path, cJSON **doc, struct werr *e);

#endif
