/* discover: the wanda-discover daemon (docs/discovery-protocol.md).
 * Subscribes to the topic; announces at start (as a request, which makes
 * the others announce early), on every root change (state/root.json,
 * inotify as a hint plus a periodic re-read) and every heartbeat with
 * ±20% jitter; keeps the peer table (lib/net/peers.h) and writes
 * state/peers.json and state/discover.json (counters); connects to
 * announced and static addresses, pings peers for the RTT. Survives the
 * daemon going away: resubscribes with backoff. */
#ifndef WANDA_DISCOVER_H
#define WANDA_DISCOVER_H
#include <signal.h>
#include <stdint.h>
#include <cjson/cJSON.h>
#include "base/werr.h"
#include "kubo/kubo.h"

/* An event ({"event","ts","peer","root","ipns",...}); ownership passes. */
typedef void (*discover_emit_fn)(void *ctx, cJSON *ev);
/* One log line (a drop, a lost subscription), already rate-limited. */
typedef void (*discover_log_fn)(void *ctx, const char *line);

struct discover_cfg {
	const char *home; /* $WANDA_HOME */
	const char *api;  /* Kubo RPC URL */
	/* The clients' timeouts and retries (wanda-discover --timeout,
	 * --retries). The subscription has no limit but the connect timeout;
	 * the background calls (dworker.h) are never retried. */
	struct kubo_opts kubo;
	const char *topic;    /* discovery_topic */
	int64_t heartbeat_ms; /* heartbeat */
	char **allow;         /* peers_allow */
	size_t nallow;
	char **statics; /* peers_static multiaddrs (with /p2p/ID) */
	size_t nstatic;
	const char *ipns_key; /* ipns_key: its name is announced as "ipns" */
	int serve_port;       /* announce_serve; 0: null */
	int cluster;          /* announce_cluster */
	discover_emit_fn emit;
	discover_log_fn log;
	void *ctx;
	volatile sig_atomic_t *stop; /* set by a signal handler: return 0 */
};

/* Run until *stop. -1 only for errors that retrying cannot fix. */
int discover_run(const struct discover_cfg *c, struct werr *e);

/* Publish one announce and return it (*sent, caller deletes). */
int discover_announce_once(const struct discover_cfg *c, cJSON **sent, struct werr *e);

/* Split a config list ("a, b c") into *out (free with discover_list_free). */
int discover_list(const char *s, char ***out, size_t *n, struct werr *e);
void discover_list_free(char **v, size_t n);

#endif
