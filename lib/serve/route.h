/* route: wanda-serve's request router, a pure function of the method and
 * the raw request target (as it came on the request line, before any
 * percent-decoding), so it can be fuzzed without a socket.
 *
 * Each path segment is percent-decoded on its own; a segment that decodes
 * to '/', NUL, a control byte, "." or "..", or that is not valid for its
 * place (capture id, CID, session name, IPNS name), never reaches a
 * handler: the router answers 400 or 404 itself. Query parameters the
 * routes use are decoded and checked here too. */
#ifndef WANDA_ROUTE_H
#define WANDA_ROUTE_H
#include <stddef.h>
#include <stdint.h>

#define ROUTE_TARGET_MAX 2048
#define ROUTE_ARG_MAX 200

enum route_id {
	R_NONE = 0,
	R_PAGE,  /* GET /  (and /index.html) */
	R_ASSET, /* GET /favicon.svg */
	R_IPFS_STATUS,
	R_IPFS_STATS,
	R_IPFS_PEERS,
	R_CAPTURES,
	R_CAPTURE,
	R_CAPTURE_CID,
	R_CAPTURE_IMAGE,
	R_CAPTURE_THUMB,
	R_CAPTURE_QR,
	R_SESSIONS,
	R_SESSION,
	R_QUEUE,
	R_IPFS_CAT,   /* GET /api/ipfs/:cid */
	R_PIN_ADD,    /* POST /api/ipfs/pin */
	R_PIN_RM,     /* DELETE /api/ipfs/pin/:cid */
	R_PIN_STATUS, /* GET /api/ipfs/pin/:cid */
	R_QR,         /* GET /api/qr.svg?cid=CID */
	R_IPNS,
	R_IPNS_RESOLVE,
	R_SYNC,
	R_OPENAPI,
	R_EVENTS,
	R_COUNT
};

/* Which routes need the daemon, which change something (need the token). */
int route_needs_daemon(enum route_id r);
int route_mutating(enum route_id r);
const char *route_name(enum route_id r);

struct route {
	enum route_id id;
	int status;                  /* 0 when routed, else the HTTP error to answer */
	const char *error;           /* static message for that error */
	char arg[ROUTE_ARG_MAX + 1]; /* :id, :cid, :name (validated, decoded) */
	/* /api/captures query */
	char session[ROUTE_ARG_MAX + 1];
	char before[ROUTE_ARG_MAX + 1]; /* cursor: ids older than this one */
	long long since_ms, until_ms;   /* -1 when absent */
	long limit;                     /* default 50, 1..500 */
	char view[8];                   /* "local", "ipfs", "all" (sessions) */
};

/* Fill r from method and raw target. Always returns r->status (0 = routed). */
int route_match(const char *method, const char *target, struct route *r);

/* Validators the handlers share. */
int route_capture_id_valid(const char *s); /* [A-Za-z0-9._:-], no leading '.', no "..", < 96 */
int route_cid_valid(const char *s);        /* parses as a CID */
int route_ipns_name_valid(const char *s);  /* peer id / key CID / DNS name */

/* Percent-decode n bytes of s into out (cap incl. NUL); -1 on a bad
 * escape, an encoded NUL or control byte, or overflow. */
int route_pct_decode(const char *s, size_t n, char *out, size_t cap);

/* HTTP Range "bytes=A-B", "bytes=A-", "bytes=-N" against size: 0 no usable
 * range (serve the whole), 1 with *off and *len set, -1 unsatisfiable (416).
 * Several ranges are answered with the whole body (0). */
int route_parse_range(const char *h, uint64_t size, uint64_t *off, uint64_t *len);

#endif
