/* settle: what a result line does to the spool entry it answers.
 *
 * The stages that work on spool entries (wanda-push, wanda-dag's session
 * stage) end each line with a success or an
 * {"error":{"code","kind","message","permanent"}}; whoever holds the claim
 * (wanda-queue ack, wanda-dag for its own session entries) settles it by
 * the one table below: the kind names the failure, fixes its exit code
 * and says whether retrying can help.
 *
 *   kind          code                 action     who reports it
 *   missing       EX_NOINPUT     (66)  give up    push, dag: the file or session is gone
 *   cid-mismatch  EX_DATAERR     (65)  reported   push, queue: a CID that is not the entry's
 *   input         EX_DATAERR     (65)  give up    push: a line that is not an entry
 *   bad-entry     EX_DATAERR     (65)  give up    dag: an entry it cannot build (also EX_USAGE)
 *   unreachable   EX_UNAVAILABLE (69)  retry      push, dag, queue: the daemon is down (the probe rule, spool.h)
 *   http          EX_SOFTWARE    (70)  reported   push: the daemon's HTTP error (4xx permanent)
 *   build         EX_SOFTWARE    (70)  retry      dag: any other build failure
 *   outbox        EX_CANTCREAT   (73)  retry      push: the outbox CAR could not be written
 *   truncated     EX_IOERR       (74)  retry      push: the answer ended early
 *   local         EX_IOERR       (74)  retry      queue: pushed, but recording it failed
 *   timeout       EX_TEMPFAIL    (75)  retry      push, dag: no progress in time
 *   stream        EX_PROTOCOL    (76)  retry      push: an error inside the stream
 *   protocol      EX_PROTOCOL    (76)  reported   push: an answer that makes no sense
 * "reported": the line's "permanent" decides. An unknown kind is
 * EX_SOFTWARE and its line decides. */
#ifndef WANDA_SETTLE_H
#define WANDA_SETTLE_H
#include <cjson/cJSON.h>
#include "base/werr.h"
#include "spool/spool.h"

/* The exit code of a kind (EX_SOFTWARE when unknown). */
int settle_code(const char *kind);
/* The kind a bare exit code is reported as (wanda-dag's failures). */
const char *settle_kind(int code);
/* Give up rather than retry: by the table, or as the line reported. */
int settle_permanent(const char *kind, int reported);

/* An "error" object for a result line: {code, kind, message, permanent}
 * (permanent as the producer says; spool_settle applies the table). */
cJSON *settle_error(int code, const char *kind, const char *message, int permanent);

/* The retry policy from the configuration (queue_backoff,
 * queue_max_backoff, queue_max_lifetime, queue_max_attempts): one policy
 * for wanda-queue and for wanda-dag settling its own entries. */
struct config;
int spool_policy_config(const struct config *c, struct spool_policy *p, struct werr *e);

/* Settle the claimed entry cur_path by a result line: no "error" → done
 * (removed); an "error" → spool_fail with its kind and message, permanent
 * by settle_permanent. Returns SPOOL_DONE, SPOOL_DEFERRED, SPOOL_FAILED or
 * SPOOL_CORRUPT; -1 on error (EX_NOINPUT when the entry is gone). */
#define SPOOL_DONE SPOOL_NSTATES
int spool_settle(const char *spool_dir, const char *cur_path, const struct spool_policy *p,
    const cJSON *line, long long now_ms, struct werr *e);

#endif
