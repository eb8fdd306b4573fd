/* announce: the messages WANDA nodes exchange on the discovery topic
 * (docs/discovery-protocol.md). Pure functions: parse and build, no I/O.
 *
 * One schema for both message types:
 *   {"v":1, "type":"announce"|"request", "peer":ID, "ipns":NAME,
 *    "root":CID|null, "seq":N, "sessions":N, "ts":RFC3339,
 *    "addrs":[multiaddr...], "caps":{"serve":PORT|null,"cluster":bool},
 *    "free_bytes":N}
 * A request is an announce that also asks every receiver to announce
 * soon (a joining node must not wait a whole heartbeat).
 *
 * The parser is strict and bounded: everything from the topic is hostile.
 * Unknown fields are ignored (minor, additive changes keep v); a v other
 * than ANNOUNCE_V is refused (incompatible changes bump it). */
#ifndef WANDA_ANNOUNCE_H
#define WANDA_ANNOUNCE_H
#include <stddef.h>
#include <stdint.h>
#include <cjson/cJSON.h>
#include "base/werr.h"

#define ANNOUNCE_V 1
#define ANNOUNCE_MAX_BYTES 16384 /* a bigger message is dropped unread */
#define ANNOUNCE_MAX_ADDRS 16
#define ANNOUNCE_ADDR_MAX 256 /* one multiaddr, NUL included */
#define ANNOUNCE_ID_MAX 128   /* peer id / IPNS name, NUL included */
#define ANNOUNCE_CID_MAX 160
#define ANNOUNCE_TS_MAX 40
#define ANNOUNCE_SEQ_MAX 9007199254740991ULL /* 2^53-1: exact in every JSON reader */

enum announce_type { ANNOUNCE_ANNOUNCE,
	ANNOUNCE_REQUEST };

/* Why a message was refused (the drop counters are indexed by this). */
enum announce_err {
	AN_OK = 0,
	AN_TOO_BIG,     /* over ANNOUNCE_MAX_BYTES */
	AN_BAD_JSON,    /* not one JSON object */
	AN_VERSION,     /* v missing or an unknown major version */
	AN_BAD_FIELD,   /* a field missing, of the wrong type or out of bounds */
	AN_BAD_PEER,    /* peer or ipns is not a peer id / IPNS name */
	AN_BAD_CID,     /* root is not a CID */
	AN_BAD_ADDR,    /* an address is not a multiaddr */
	AN_FROM,        /* announced peer != pubsub from (peers.c) */
	AN_SEQ,         /* seq not above the last one seen (peers.c) */
	AN_RATE,        /* over the per-peer rate limit (peers.c) */
	AN_NOT_ALLOWED, /* not in peers_allow (peers.c) */
	AN_TABLE_FULL,  /* too many peers (peers.c) */
	AN_NERR
};
/* "too_big", "bad_json", ...: the names used in counters and logs. */
const char *announce_err_name(enum announce_err r);

struct announce {
	int v;
	enum announce_type type;
	char peer[ANNOUNCE_ID_MAX];
	char ipns[ANNOUNCE_ID_MAX];
	char root[ANNOUNCE_CID_MAX]; /* "" when null (no root yet) */
	uint64_t seq;
	uint64_t sessions;
	char ts[ANNOUNCE_TS_MAX];
	size_t naddrs;
	char addrs[ANNOUNCE_MAX_ADDRS][ANNOUNCE_ADDR_MAX];
	int serve_port; /* 0 when null */
	int cluster;
	uint64_t free_bytes;
};

/* Parse one message. Returns AN_OK and fills out, or the reason with a
 * one-line message in e (never longer than the input warrants). */
enum announce_err announce_parse(const void *p, size_t n, struct announce *out, struct werr *e);

/* The message as a JSON object (caller deletes), or NULL (out of memory). */
cJSON *announce_to_json(const struct announce *a);

/* Field checks, exposed for the tests and the peer table. */
int announce_peer_id_ok(const char *s);   /* base58 multihash or CIDv1 libp2p-key */
int announce_multiaddr_ok(const char *s); /* /proto/value... syntax, known protocols */
int announce_ts_ok(const char *s);        /* RFC 3339 UTC */

#endif
