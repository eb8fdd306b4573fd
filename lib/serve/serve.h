/* serve: wanda-serve's HTTP server (libmicrohttpd): the gallery page, the
 * JSON API and the live events, over $WANDA_HOME and the local Kubo.
 *
 * Threads: libmicrohttpd's polling threads (epoll, `threads` of them) answer every
 * request that needs only local files at once. A request that needs the
 * daemon is suspended and handed to a short-lived job thread (at most
 * max_jobs at once, else 503), so a slow or dead daemon never stalls the
 * others; /api/ipfs/:cid streams from such a thread through a bounded
 * buffer. The events tailer (sse.h) and the daemon status poller are two
 * more threads. */
#ifndef WANDA_SERVE_H
#define WANDA_SERVE_H
#include <stddef.h>
#include <stdint.h>
#include <cjson/cJSON.h>
#include "base/werr.h"

struct serve_cfg {
	const char *home;    /* $WANDA_HOME */
	const char *api_url; /* Kubo RPC */
	const char *listen;  /* "127.0.0.1:8088", "[::1]:0" */
	const char *token_file;
	const char *gateway;              /* local gateway base URL, for links */
	const char *public_gateway;       /* public gateway base URL, for links and QR codes */
	const char *hosts;                /* extra Host names, comma-separated ("pi.local,pi.local:8088") */
	long max_connections;             /* beyond this: 503 (default 512) */
	long max_jobs;                    /* daemon requests at once (default 16) */
	long timeout_s;                   /* idle connection timeout (default 60) */
	long daemon_timeout_ms;           /* each daemon call (default 30000) */
	long daemon_retries;              /* extra attempts of one (default 0: a browser asks again) */
	long heartbeat_ms;                /* SSE heartbeat (default 15000) */
	long status_ms;                   /* daemon status poll for ipfs_status events (default 5000) */
	size_t max_body;                  /* request body limit (default 4096) */
	long threads;                     /* libmicrohttpd polling threads (default 2) */
	size_t sse_buffer;                /* event ring: how far a client may lag (default 1 MiB) */
	const struct remote_set *remotes; /* wanda-remote targets for /api/ipfs/stats; NULL none */
};
void serve_cfg_default(struct serve_cfg *c);

/* Every log line (request errors, state changes), from any thread; the
 * callee owns line. */
typedef void (*serve_log_fn)(void *ctx, cJSON *line);

struct serve;
struct remote_set;
/* Its first log line is {"event":"listening","url","home","token_file","token_created"}. */
struct serve *serve_start(const struct serve_cfg *c, serve_log_fn log, void *ctx, struct werr *e);
/* "http://127.0.0.1:PORT" with the real port. */
const char *serve_url(const struct serve *s);
/* 1 when this start created the token file. */
int serve_token_created(const struct serve *s);
void serve_stop(struct serve *s);

/* Read the token file, or create it (0600, 32 random bytes as hex) when
 * it does not exist. *created = 1 then. token: at least 65 bytes. */
int serve_token(const char *path, char *token, size_t cap, int *created, struct werr *e);

/* Split "HOST:PORT" / "[V6]:PORT" (pure). */
int serve_parse_listen(const char *s, char *host, size_t hcap, unsigned *port, struct werr *e);

#endif
