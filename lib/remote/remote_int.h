/* remote_int.h: what the remote module's files share (not for callers). */
#ifndef WANDA_REMOTE_INT_H
#define WANDA_REMOTE_INT_H
#include <dirent.h>
#include "remote/remote.h"
#include "base/buf.h"
#include "base/json.h"

#define REMOTE_BODY_MAX (4u << 20) /* a bigger answer is not a pin status */
#define REMOTE_BATCH 10            /* CIDs per status query (the PSA spec's limit) */

/* One HTTP exchange. rc 0: an answer came (any status, body NUL-terminated);
 * -1: no answer (e: EX_UNAVAILABLE, the transport's reason). */
struct rhttp {
	long status;
	struct buf body;
};
int rhttp_do(const struct remote_target *t, const char *method, const char *path,
    const char *json, struct rhttp *r, struct werr *e);
void rhttp_free(struct rhttp *r);

/* What a target says of one CID. */
struct rstat {
	char cid[160];
	char state[16]; /* queued|pinning|pinned|failed; "" = unknown to it */
	char request_id[160];
	char error[256]; /* failed: why */
	cJSON *peers;    /* names of the peers holding it pinned, owned */
};

/* Classify an answer that is not a success: 401/403 -> EX_CONFIG (the
 * credentials; permanent), 502/503/504/408/429 -> EX_UNAVAILABLE (wait),
 * other (a live server refusing this request: Cluster answers 500 when it
 * cannot allocate) -> EX_DATAERR. Sets e; returns -1. */
int rhttp_fail(const struct remote_target *t, const struct rhttp *r, const char *what,
    struct werr *e);

/* Ask the target to pin one entry. request_id out (cluster: the CID). */
int rapi_request(struct remote_set *rs, struct remote_target *t, const cJSON *entry,
    char *request_id, size_t len, struct werr *e);
/* Status of n CIDs (n <= REMOTE_BATCH): out[i] for cids[i]. */
int rapi_status(const struct remote_target *t, const char *const *cids, size_t n,
    struct rstat *out, struct werr *e);
/* The parsing half of rapi_status, for an answer already read (body is
 * modified); the fuzz target's entry. */
int rapi_parse_status(const struct remote_target *t, char *body, const char *const *cids, size_t n,
    struct rstat *out, struct werr *e);
/* Does the target answer, and accept our credentials. */
int rapi_probe(const struct remote_target *t, struct werr *e);

/* Entry files. */
int rentry_dir(const struct remote_set *rs, const struct remote_target *t, char *buf, size_t len);
/* The next entry file of an open entry directory: its path and its JSON
 * (NULL when over RENTRY_MAX or not JSON); 0 at the end. Skips other files. */
#define RENTRY_MAX 65536
int rentry_next(DIR *dp, const char *dir, char *path, size_t len, cJSON **en);
int rentry_write(const char *path, const cJSON *entry, struct werr *e);
int rhealth_write(const struct remote_set *rs, struct remote_target *t, const char *state,
    const char *error, struct werr *e);
cJSON *rhealth_read(const struct remote_set *rs, const struct remote_target *t);

/* The sidecar's record for a target, from an entry: {"target","kind",
 * "cid","state","request_id"}. */
cJSON *record_of(const struct remote_target *t, const cJSON *en, const char *state);

#endif
