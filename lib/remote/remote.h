/* remote: pin pushed captures on remote targets (an IPFS Cluster's REST
 * API, or any IPFS Pinning Service API endpoint) and confirm them, as a
 * stage after the local push that never blocks it.
 *
 * Targets are named in wanda.conf: remote.NAME.url, .kind (cluster|psa),
 * .token_file, .auth (bearer|basic), .replication_min, .replication_max,
 * .confirm_timeout, .max_requests (docs/configuration.md).
 *
 * The state lives in files, each written atomically:
 *   HOME/remote/NAME/ID.json   one pending entry per capture and target
 *     {"id","cid","sidecar","block","session","state":"queued|pinning|failed",
 *      "request_id","requests","requested_ms","next_ms","enqueued_ms","error"}
 *   HOME/remote/NAME/health.json  the target's last contact
 *     {"state":"ok|unreachable|auth|error","since","last_ok_at","error"}
 * and, per capture, the sidecar's "remote" ("raw_remote" for a DNG) block,
 * keyed by target name, which is the record gc reads. An entry leaves its
 * directory once the sidecar says "pinned"; so a crash anywhere re-requests
 * at worst (the same CID: idempotent) and never confirms twice. */
#ifndef WANDA_REMOTE_H
#define WANDA_REMOTE_H
#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <cjson/cJSON.h>
#include "base/config.h"
#include "base/werr.h"
#include "kubo/kubo.h"

#define REMOTE_MAX_TARGETS 8

enum remote_kind { REMOTE_CLUSTER,
	REMOTE_PSA };

struct remote_target {
	char name[64];
	char url[1024]; /* base URL, no trailing '/' */
	enum remote_kind kind;
	char token[1024];           /* from token_file; "" = none */
	int basic;                  /* token is "user:password" (HTTP basic) */
	long rmin, rmax;            /* cluster replication; rmin is what confirms */
	int64_t confirm_timeout_ms; /* unconfirmed this long after a request: ask again */
	long max_requests;          /* then failed */
	/* worker state, in memory */
	long long retry_ms; /* wall ms before which the target is left alone */
	int64_t backoff_ms; /* current wait after a failed contact */
	long long poll_ms;  /* wall ms of the next status poll */
	int reconciled;     /* entries checked against sidecars once */
	char health[16];    /* ok|unreachable|auth|error, last written */
};

struct remote_set {
	struct remote_target t[REMOTE_MAX_TARGETS];
	size_t n;
	char home[PATH_MAX];
	char api[1024];                         /* Kubo RPC, for this node's addresses (origins) */
	struct kubo_opts kubo;                  /* its client (3 s, no retry; wanda-remote's flags) */
	char node[128];                         /* node name for pin metadata */
	int64_t poll_min_ms, poll_max_ms;       /* confirmation polling, doubling */
	int64_t backoff_min_ms, backoff_max_ms; /* a target that cannot be reached */
	cJSON *origins;                         /* cached addresses of this node, may be NULL */
};

/* Read every remote.NAME.* key; n = 0 when none is configured. A bad
 * value is an EX_CONFIG error naming its key; the token file is read
 * (and must not be readable by others). only, when not NULL, keeps that
 * one target (and it must exist). */
int remote_load(const struct config *c, const char *only, struct remote_set *rs, struct werr *e);
void remote_free(struct remote_set *rs);

/* Captures the local daemon pinned before a target was configured (or
 * while the stage was not in the pipeline): enqueue every sidecar whose
 * "ipfs" (or "raw_ipfs") block says pinned, as remote_enqueue does. */
int remote_backfill(struct remote_set *rs, size_t *n, struct werr *e);

/* A wanda-push result line: when it is a local success for a capture
 * (or its DNG) with a sidecar, record a queued entry for every target the
 * sidecar does not already show pinned. Returns entries written. */
int remote_enqueue(struct remote_set *rs, const cJSON *result, struct werr *e);

/* Called once per entry that reaches pinned or failed. line is
 * {"id","target","cid","state","peers"|"error", "confirmed_at"}; not owned. */
typedef void (*remote_note_fn)(void *ctx, const cJSON *line);

struct remote_pass {
	size_t pending;    /* queued + pinning entries left */
	size_t failed;     /* entries in state failed */
	size_t done;       /* confirmed or failed in this pass */
	long long next_ms; /* wall ms of the next due entry; 0 = none */
	int auth_failed;   /* some target refused our credentials */
};

/* One pass over every target's entries: request the queued ones that
 * are due, poll the requested ones (in bulk), record what changed. A
 * target that cannot be reached is backed off, its entries wait. */
int remote_work(struct remote_set *rs, remote_note_fn fn, void *ctx, struct remote_pass *p,
    struct werr *e);

/* Failed entries back to queued (target NULL = every target). */
int remote_retry(struct remote_set *rs, const char *target, size_t *n, struct werr *e);

/* Each target's health and backlog: [{"target","kind","url","health",
 * "since","last_ok_at","error","queued","pinning","failed","waiting",
 * "oldest_s","reachable"(probe only)}]. probe: ask the target now. For
 * wanda-push status, wanda-queue stats and wanda-serve. */
cJSON *remote_status_json(const struct remote_set *rs, int probe, struct werr *e);

/* The names of the configured targets, for retention's rule. */
size_t remote_target_names(const struct remote_set *rs, const char **names, size_t max);

#endif
