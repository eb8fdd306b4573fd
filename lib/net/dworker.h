/* dworker: the discovery daemon's slow RPC calls (swarm/connect to a
 * peer that may be unreachable, ping, pubsub/peers) on a thread of their
 * own with its own Kubo client, so they never delay a heartbeat or the
 * reading of the subscription. Jobs and results are bounded queues; a
 * job that finds the queue full is dropped (the next round asks again). */
#ifndef WANDA_DWORKER_H
#define WANDA_DWORKER_H
#include "base/werr.h"
#include "net/announce.h"

#define DWORKER_JOBS 64
#define DWORKER_TOPIC_PEERS 64

struct dworker;

/* api: the Kubo RPC URL; topic: the discovery topic. */
struct dworker *dworker_start(const char *api, const char *topic, struct werr *e);
void dworker_stop(struct dworker *w);

/* Queue: connect to addr (a multiaddr; /p2p/PEER appended when absent). */
void dworker_connect(struct dworker *w, const char *peer, const char *addr);
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
	size_t nconnected; /* connects that succeeded */
};
/* Move the results gathered since the last call into r. */
void dworker_take(struct dworker *w, struct dworker_results *r);

#endif
