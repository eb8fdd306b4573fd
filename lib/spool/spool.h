/* spool: the crash-safe queue between capture and IPFS ($WANDA_HOME/spool).
 *
 * Maildir semantics with Postfix's lessons. One small JSON file per entry,
 * named by the capture id (ids sort by time, so name order is age order):
 *   tmp/       being written; never read by anyone else
 *   new/ID     queued, waiting for a worker
 *   cur/ID@PID.START   claimed by the worker PID whose /proc start time is
 *              START (clock ticks since boot): a reused pid cannot pass for
 *              the dead claimer
 *   deferred/ID  a transient failure; retried at next_attempt_at
 *   failed/ID  given up (permanent error, too many attempts, too old)
 *   corrupt/NAME  quarantine: files that do not parse as an entry
 * Every transition is a rename (never replacing an existing entry) followed
 * by an fsync of both directories; every content change is a whole new file
 * written in tmp/, fsync'd and renamed over the old one. A crash at any point
 * leaves each entry in exactly one state, old or new.
 *
 * Entry: {"id","session","path","sidecar","cid","kind","enqueued_at",
 *         "attempts","next_attempt_at","last_error"} plus what the spool
 * adds: "error_kind" (wanda-push's error kind), "retried_at" (the lifetime
 * counts from the later of enqueued_at and retried_at), "failed_at".
 *
 * Retry order. Deferred entries whose last error is "unreachable" (the
 * daemon is down: a property of the daemon, not of the entry) wait behind
 * the oldest of them, which alone is retried on its own timer: a probe.
 * A success releases them all (spool_kick), and they drain oldest first.
 * Other deferred entries follow their own timers. */
#ifndef WANDA_SPOOL_H
#define WANDA_SPOOL_H
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <cjson/cJSON.h>
#include "base/werr.h"

/* The error kind that says the daemon is down (the retry order above):
 * named here, where the rule lives; settle.h's table of kinds uses it. */
#define SPOOL_KIND_UNREACHABLE "unreachable"

enum spool_state { SPOOL_NEW,
	SPOOL_CUR,
	SPOOL_DEFERRED,
	SPOOL_FAILED,
	SPOOL_CORRUPT,
	SPOOL_NSTATES };

#define SPOOL_ID_MAX 200
#define SPOOL_NAME_MAX 256

const char *spool_state_name(int state);     /* "new", "cur", ... */
int spool_state_from_name(const char *name); /* -1 when unknown */

/* [A-Za-z0-9._:-], not starting with '.', at most SPOOL_ID_MAX chars. */
int spool_id_valid(const char *id);

struct spool_policy {
	int64_t backoff_min_ms;  /* delay after the first failure (default 30 s) */
	int64_t backoff_max_ms;  /* cap of the doubling (default 10 min) */
	int64_t max_lifetime_ms; /* since enqueued/retried; then failed/ (default 5 d; 0 = none) */
	long max_attempts;       /* then failed/ (default 0 = no limit, the lifetime decides) */
};
void spool_policy_default(struct spool_policy *p);
/* Delay before attempt n+1 after n failed attempts (n >= 1). */
int64_t spool_backoff_ms(const struct spool_policy *p, long attempts);

/* Create spool_dir and its state directories. */
int spool_init(const char *spool_dir, struct werr *e);

/* Queue an entry: written in tmp/, fsync'd, renamed into new/ID (never over
 * an existing one: EX_CANTCREAT). "id" is set to id; "enqueued_at" and
 * "attempts" are added when missing. */
int spool_add(const char *spool_dir, const char *id, const cJSON *entry, struct werr *e);

/* Queue one file of a capture, for wanda-push: {kind, session, path,
 * sidecar, cid} under id. Kinds: "capture" (the image; id is the capture
 * id) and "raw" (its DNG; id from spool_raw_id). As spool_add. */
int spool_add_file(const char *spool_dir, const char *id, const char *kind, const char *session,
    const char *path, const char *sidecar, const char *cid, struct werr *e);
/* The entry id of capture id's raw DNG: "ID.dng" (sorts right after ID). */
void spool_raw_id(const char *id, char *buf, size_t len);

/* Who holds a claim. */
struct spool_claimer {
	pid_t pid;
	unsigned long long start;
};
/* This process. */
int spool_self(struct spool_claimer *c, struct werr *e);
/* Start time (field 22 of /proc/PID/stat); -1 when there is no such process. */
int spool_proc_start(pid_t pid, unsigned long long *start);
/* 1 when the claimer still runs (same pid, same start time). */
int spool_claimer_alive(const struct spool_claimer *c);

/* One file in a state directory. */
struct spool_item {
	char name[SPOOL_NAME_MAX]; /* file name */
	char id[SPOOL_NAME_MAX];   /* name without the claim suffix */
	int claimed;               /* cur/ names with a parseable @PID.START */
	struct spool_claimer claimer;
};
/* The files of one state, sorted by id (oldest first). *items malloc'd. */
int spool_list(const char *spool_dir, int state, struct spool_item **items, size_t *n, struct werr *e);
/* Number of files in one state directory. */
int spool_count(const char *spool_dir, int state, size_t *n, struct werr *e);
/* spool_dir/STATE/NAME; EX_DATAERR when NAME is not a plain entry name
 * (empty, a dot first, a '/', too long). */
int spool_path(const char *spool_dir, int state, const char *name, char *buf, size_t len, struct werr *e);
/* Split "ID@PID.START"; 0 when it is a claim name. */
int spool_parse_claim(const char *name, char *id, size_t idlen, struct spool_claimer *c);

/* Read and check an entry file: a JSON object whose "id" is a valid id and
 * "path" a string. EX_DATAERR naming the file when it is not. */
cJSON *spool_read_entry(const char *path, struct werr *e);
/* Move a file into corrupt/ (its mtime becomes now, for purge). */
int spool_quarantine(const char *spool_dir, const char *path, struct werr *e);

/* Claim new/ID for `who`: rename into cur/ID@PID.START and read it.
 * Returns 1 with *entry (caller frees) and cur_path filled; 0 when the
 * entry is gone (another worker won); 2 when it did not parse and was moved
 * to corrupt/ (the reason in e); -1 on error. */
int spool_claim(const char *spool_dir, const char *id, const struct spool_claimer *who,
    cJSON **entry, char *cur_path, size_t cap, struct werr *e);

/* Success: remove the claimed entry (fsync of cur/). */
int spool_done(const char *cur_path, struct werr *e);

/* Failure of a claimed entry: attempts+1, last_error/error_kind recorded;
 * into failed/ when permanent, past max_attempts or past max lifetime,
 * else into deferred/ with next_attempt_at = now + backoff. When the entry
 * cannot be rewritten (a full spool: no space, no inodes) it is moved into
 * deferred/ as it is, with its mtime set to when it is due (a rename
 * takes no new space), never left in cur/. Returns the
 * new state (SPOOL_DEFERRED or SPOOL_FAILED), -1 on error. An entry that
 * does not parse goes to corrupt/ (SPOOL_CORRUPT). */
int spool_fail(const char *spool_dir, const char *cur_path, const struct spool_policy *p,
    const char *kind, const char *message, int permanent, long long now_ms, struct werr *e);

/* What one pass over deferred/ did. */
struct spool_release {
	size_t released;       /* moved to new/ */
	size_t expired;        /* moved to failed/ (past max lifetime) */
	size_t corrupt;        /* moved to corrupt/ */
	long long next_due_ms; /* earliest wall time something else becomes due; 0 none */
};
/* Deferred entries that are due go back to new/ (the probe rule above);
 * those past the lifetime go to failed/. */
int spool_release_due(const char *spool_dir, const struct spool_policy *p, long long now_ms,
    struct spool_release *r, struct werr *e);
/* The daemon works again: every deferred entry whose error_kind is
 * "unreachable" back to new/, oldest first. *n (may be NULL) = moved. */
int spool_kick(const char *spool_dir, size_t *n, struct werr *e);

/* deferred/ID or failed/ID back to new/ with a fresh lifetime (retried_at =
 * now, next_attempt_at cleared). Returns the state it came from, -1 when
 * there is no such entry (EX_NOINPUT) or on error. */
int spool_retry(const char *spool_dir, const char *id, long long now_ms, struct werr *e);

/* cur/ entries whose claimer is gone back to new/. *n (may be NULL) =
 * moved; fn (may be NULL) is told each id. */
typedef void (*spool_id_fn)(void *ctx, const char *id);
int spool_recover(const char *spool_dir, size_t *n, spool_id_fn fn, void *ctx, struct werr *e);

/* tmp/ files left by writers that are gone (the name carries the writer's
 * pid; an hour old counts as gone too). *n (may be NULL) = removed. */
int spool_clean_tmp(const char *spool_dir, long long now_ms, size_t *n, struct werr *e);

/* 1 when an entry for id is queued, claimed, deferred or failed: the one
 * answer to "queue this capture unless an entry exists" (wanda-capture's
 * resume and wanda-queue recover both ask it). corrupt/ does not count: a
 * quarantined file carries nothing usable (it did not parse, and its name
 * need not be the id), so a capture whose entry was lost there is queued
 * again from its sidecar; the quarantined file stays for inspection. */
int spool_has(const char *spool_dir, const char *id);

/* Delete the files of `state` (failed or corrupt only) last changed at
 * least older_ms ago. */
int spool_purge(const char *spool_dir, int state, int64_t older_ms, long long now_ms,
    size_t *n, spool_id_fn fn, void *ctx, struct werr *e);

/* RFC 3339 (…Z or ±hh:mm, optional fraction) to ms since the epoch; -1 bad. */
int spool_parse_time(const char *s, long long *ms);

#endif
