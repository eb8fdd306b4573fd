/* dworker: the discovery daemon's slow RPC calls (reaching a peer that
 * may be unreachable, ping, pubsub/peers) on a thread of their own with
 * its own Kubo client, so they never delay a heartbeat or the reading of
 * the subscription. Jobs and results are bounded queues; a job that finds
 * the queue full, or the same job already queued, is dropped (the next
 * round asks again). */
#ifndef WANDA_DWORKER_H
#define WANDA_DWORKER_H
#include "base/werr.h"
#include "kubo/kubo.h"
#include "net/announce.h"

#define DWORKER_JOBS 64
#define DWORKER_TOPIC_PEERS 64
#define DWORKER_REACH_ADDRS 4
#define DWORKER_REACH_MS 2000 /* swarm/connect and ping timeouts of a reach */

struct dworker;

/* api: the Kubo RPC URL, with ko's timeouts and no retries (the next
 * round asks again); topic: the discovery topic. */
struct dworker *dworker_start(const char *api, const struct kubo_opts *ko, const char *topic, struct werr *e);
void dworker_stop(struct dworker *w);

/* Queue a reach of peer: one swarm/connect to its first naddrs (at most
 * DWORKER_REACH_ADDRS) multiaddrs (/p2p/PEER appended when absent), which
 * also clears libp2p's dial backoff for the peer; then a ping over the
 * connection. A connection that does not answer the ping is a dead one
 * (a cut link leaves TCP retransmitting for minutes): it is closed
 * (swarm/disconnect), so the next reach dials afresh. The result says
 * whether the peer answered. */
void dworker_reach(struct dworker *w, const char *peer, const char (*addrs)[ANNOUNCE_ADDR_MAX], size_t naddrs);
void dworker_ping(struct dworker *w, const char *peer);
void dworker_topic_peers(struct dworker *w);

struct dworker_results {
	size_t nrtt;
	struct {
		char peer[ANNOUNCE_ID_MAX];
		int rtt_ms;
	} rtt[DWORKER_JOBS];
	int have_topic; /* a pubsub/peers answer came */
	size_t ntopic;
	char topic[DWORKER_TOPIC_PEERS][ANNOUNCE_ID_MAX];
	size_t nreach; /* reaches done: did the peer answer? */
	struct {
		char peer[ANNOUNCE_ID_MAX];
		int ok;
	} reach[DWORKER_JOBS];
};
/* Move the results gathered since the last call into r. */
void dworker_take(struct dworker *w, struct dworker_results *r);

#endif
