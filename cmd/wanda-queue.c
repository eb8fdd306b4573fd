/* wanda-queue: the spool between capture and IPFS: watch (claim entries for
 * wanda-push), ack (its results), list, stats, retry, recover, purge, gc. */
#include <err.h>
#include <errno.h>
#include <dirent.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>
#include "base/cli.h"
#include "base/config.h"
#include "base/jsonl.h"
#include "spool/sidecar.h"
#include "spool/spool.h"
#include "spool/settle.h"
#include "ipld/cid.h"
#include "spool/retention.h"
#include "base/json.h"
#include "base/path.h"
#include "kubo/kubo_cli.h"
#include "remote/remote.h"

#define PROG "wanda-queue"

struct opts {
	char spool[PATH_MAX];
	struct spool_policy pol;
	long max_inflight;
	int64_t rescan_ms;
	int64_t orphan_ms;
	int64_t claim_timeout_ms; /* watch: own claims with no result this long go back */
	const char *home;
	int once, all, dry_run;
	int64_t older_ms;
	int has_older;
	const char *state;
	const char *jq;
	struct retention_opts gc;
	struct kubo_cli kc; /* gc: --api, --timeout, --retries */
	const struct config *cf;
	struct remote_set rs;
	const char *names[REMOTE_MAX_TARGETS];
};

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: " PROG " [options] watch [--once] [--max-inflight N] [--rescan DURATION]\n"
	    "       " PROG " [options] ack\n"
	    "       " PROG " [options] list [--state STATE]\n"
	    "       " PROG " [options] stats\n"
	    "       " PROG " [options] retry --all | ID...\n"
	    "       " PROG " [options] recover [--orphan-age DURATION]\n"
	    "       " PROG " [options] purge --older-than AGE failed|corrupt...\n"
	    "       " PROG " [options] gc --keep-free SIZE [--remote-pin URL] [--api URL]\n"
	    "                   [--timeout DURATION] [--retries N] [--dry-run]\n"
	    "options:\n"
	    "  --home DIR              WANDA home (config home); the spool is DIR/spool\n"
	    "  --once                  watch: claim what is queued, then exit\n"
	    "  --max-inflight N        watch: entries claimed at most at once (config queue_max_inflight, 16)\n"
	    "  --rescan DURATION       watch: full rescan period (config queue_rescan, 30s)\n"
	    "  --backoff DURATION      first retry delay (config queue_backoff, 30s)\n"
	    "  --max-backoff DURATION  cap of the doubling delay (config queue_max_backoff, 10m)\n"
	    "  --max-lifetime DURATION then failed (config queue_max_lifetime, 5d; 0 = forever)\n"
	    "  --max-attempts N        then failed (config queue_max_attempts, 0 = no limit)\n"
	    "  --state STATE           list: only new, cur, deferred, failed or corrupt\n"
	    "  --all                   retry: every deferred and failed entry\n"
	    "  --orphan-age DURATION   recover: queue sidecars still \"queued\" this old with no entry\n"
	    "                          (config queue_orphan_age, 5m)\n"
	    "  --older-than AGE        purge: entries in that state for at least AGE\n"
	    "  --keep-free SIZE        gc: free space to keep on the home file system (config keep_free)\n"
	    "  --remote-pin URL        gc: Pinning Service API endpoint that must also hold the pin\n"
	    "                          (config remote_pin; token in config remote_pin_token)\n"
	    "  --api URL               gc: Kubo RPC API (config api)\n"
	    "  --timeout DURATION      gc: no progress in a daemon call for this long fails it\n"
	    "  --retries N             gc: extra attempts of a failed daemon call (default 3)\n"
	    "  --dry-run               gc: report what would be removed, remove nothing\n"
	    "  --jq FILTER             reshape the JSON output\n"
	    "  --help, --version\n");
}

enum {
	O_HOME = 256,
	O_ONCE,
	O_INFLIGHT,
	O_RESCAN,
	O_BACKOFF,
	O_MAXBACKOFF,
	O_LIFETIME,
	O_ATTEMPTS,
	O_STATE,
	O_ALL,
	O_OLDER,
	O_KEEPFREE,
	O_REMOTE,
	O_DRYRUN,
	O_ORPHAN,
};

static const struct option longopts[] = {
	CLI_COMMON_LONGOPTS,
	KUBO_CLI_LONGOPTS,
	{ "home", required_argument, NULL, O_HOME },
	{ "once", no_argument, NULL, O_ONCE },
	{ "max-inflight", required_argument, NULL, O_INFLIGHT },
	{ "rescan", required_argument, NULL, O_RESCAN },
	{ "backoff", required_argument, NULL, O_BACKOFF },
	{ "max-backoff", required_argument, NULL, O_MAXBACKOFF },
	{ "max-lifetime", required_argument, NULL, O_LIFETIME },
	{ "max-attempts", required_argument, NULL, O_ATTEMPTS },
	{ "state", required_argument, NULL, O_STATE },
	{ "all", no_argument, NULL, O_ALL },
	{ "older-than", required_argument, NULL, O_OLDER },
	{ "keep-free", required_argument, NULL, O_KEEPFREE },
	{ "remote-pin", required_argument, NULL, O_REMOTE },
	{ "dry-run", no_argument, NULL, O_DRYRUN },
	{ "orphan-age", required_argument, NULL, O_ORPHAN },
	{ NULL, 0, NULL, 0 },
};

/* Flags that are config keys go through config_set, so flag > env > file. */
static const struct cli_key_opt flag_keys[] = {
	{ O_HOME, "home" },
	{ O_INFLIGHT, "queue_max_inflight" },
	{ O_RESCAN, "queue_rescan" },
	{ O_BACKOFF, "queue_backoff" },
	{ O_MAXBACKOFF, "queue_max_backoff" },
	{ O_LIFETIME, "queue_max_lifetime" },
	{ O_ATTEMPTS, "queue_max_attempts" },
	{ O_KEEPFREE, "keep_free" },
	{ O_REMOTE, "remote_pin" },
	{ O_ORPHAN, "queue_orphan_age" },
	{ 0, NULL },
};

static int
get_duration(const struct config *c, const char *key, const char *dflt, int64_t *out, struct werr *e)
{
	const char *v = config_get_or(c, key, dflt);

	return parse_duration_ms(v, out, key, e);
}

static int
get_long(const struct config *c, const char *key, const char *dflt, long lo, long *out, struct werr *e)
{
	return parse_long(config_get_or(c, key, dflt), lo, 1000000000L, out, key, e);
}

/* Everything from the merged configuration. */
static int
settle(const struct config *c, struct opts *o, struct werr *e)
{
	const char *kf;

	o->home = config_home(c);
	if (path_join(o->spool, sizeof o->spool, o->home, "spool", e) < 0 || spool_policy_config(c, &o->pol, e) < 0 ||
	    get_long(c, "queue_max_inflight", "16", 1, &o->max_inflight, e) < 0 ||
	    get_duration(c, "queue_rescan", "30s", &o->rescan_ms, e) < 0 ||
	    get_duration(c, "queue_orphan_age", "5m", &o->orphan_ms, e) < 0 ||
	    get_duration(c, "queue_claim_timeout", "1h", &o->claim_timeout_ms, e) < 0)
		return -1;
	if (o->rescan_ms <= 0)
		return werr_set(e, EX_USAGE, "--rescan must be positive");
	o->gc.home = config_home(c);
	o->gc.remote_url = config_get(c, "remote_pin");
	o->gc.remote_token = config_get(c, "remote_pin_token");
	o->gc.has_keep_free = (kf = config_get(c, "keep_free")) != NULL;
	if (kf && parse_size(kf, &o->gc.keep_free, "--keep-free", e) < 0)
		return -1;
	kubo_cli_opts(&o->kc, &o->gc.kubo);
	return config_api_url(c, o->gc.api, sizeof o->gc.api, e);
}

/* ---- orphans ----------------------------------------------------------- */

/* One spool entry for a capture's file (the image, or its raw DNG), unless
 * its block in the sidecar says it was handled, the file is gone, or an
 * entry exists: 1 added, 0 not, -1 error. */
static int
orphan_entry(const struct opts *o, const cJSON *sc, const char *side, const char *dir,
    const char *id, const char *kind, const char *file, const char *cid, const char *block,
    struct werr *e)
{
	const char *st = cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetObjectItem(sc, block), "state"));
	const char *session = cJSON_GetStringValue(cJSON_GetObjectItem(sc, "session"));
	char path[PATH_MAX];

	if (!file || !cid || !spool_id_valid(id) || strchr(file, '/') || (st && strcmp(st, "queued")) ||
	    path_join(path, sizeof path, dir, file, NULL) < 0 ||
	    access(path, F_OK) != 0 || spool_has(o->spool, id))
		return 0;
	if (spool_add_file(o->spool, id, kind, session ? session : "", path, side, cid, e) < 0)
		return e->code == EX_CANTCREAT ? 0 : -1;
	return 1;
}

/* A capture cut short between its sidecar and its spool entries (a crash
 * of wanda-capture) would never be pushed: queue the image, and the raw
 * DNG beside it under ID.dng. Only sidecars older than --orphan-age, so a
 * capture still on its way is not raced. Returns how many were added. */
static int
orphan_one(const struct opts *o, const char *dir, const char *name, struct werr *e)
{
	char side[PATH_MAX], rid[256];
	const char *id;
	struct stat sb;
	cJSON *sc;
	int a = 0, b = 0;

	if (path_join(side, sizeof side, dir, name, NULL) < 0 || stat(side, &sb) < 0 || wall_ms() - (long long)sb.st_mtime * 1000 < o->orphan_ms ||
	    (sc = sidecar_read_json(side, NULL)) == NULL)
		return 0;
	if ((id = cJSON_GetStringValue(cJSON_GetObjectItem(sc, "id"))) != NULL && strlen(id) < 200) {
		a = orphan_entry(o, sc, side, dir, id, "capture", cJSON_GetStringValue(cJSON_GetObjectItem(sc, "file")),
		    cJSON_GetStringValue(cJSON_GetObjectItem(sc, "cid")), "ipfs", e);
		spool_raw_id(id, rid, sizeof rid);
		if (a >= 0)
			b = orphan_entry(o, sc, side, dir, rid, "raw", cJSON_GetStringValue(cJSON_GetObjectItem(sc, "raw")),
			    cJSON_GetStringValue(cJSON_GetObjectItem(sc, "raw_cid")), "raw_ipfs", e);
	}
	cJSON_Delete(sc);
	return a < 0 || b < 0 ? -1 : a + b;
}

static int
sweep_orphans(const struct opts *o, spool_id_fn fn, void *ctx, size_t *n, struct werr *e)
{
	char top[PATH_MAX], dir[PATH_MAX];
	struct dirent *s, *f;
	DIR *td, *sd;
	int rc = 0;

	*n = 0;
	if (path_join(top, sizeof top, o->home, "captures", e) < 0)
		return -1;
	if ((td = opendir(top)) == NULL)
		return 0;
	while (rc >= 0 && (s = readdir(td)) != NULL) {
		if (s->d_name[0] == '.')
			continue;
		if (path_join(dir, sizeof dir, top, s->d_name, NULL) < 0 || (sd = opendir(dir)) == NULL)
			continue;
		while (rc >= 0 && (f = readdir(sd)) != NULL) {
			size_t l = strlen(f->d_name);
			if (f->d_name[0] == '.' || l < 6 || strcmp(f->d_name + l - 5, ".json") != 0)
				continue;
			if ((rc = orphan_one(o, dir, f->d_name, e)) > 0) {
				*n += (size_t)rc;
				if (fn) {
					f->d_name[l - 5] = '\0';
					fn(ctx, f->d_name);
				}
			}
		}
		closedir(sd);
	}
	closedir(td);
	return rc < 0 ? -1 : 0;
}

/* ---- watch ------------------------------------------------------------- */

struct watch {
	const struct opts *o;
	struct jsonl *out;
	struct spool_claimer me;
	size_t waiting;     /* entries left in new/ after the last scan */
	long long next_due; /* wall ms a deferred entry becomes due; 0 none */
};

static int
emit_claim(struct watch *w, cJSON *entry, const char *cur, struct werr *e)
{
	cJSON_DeleteItemFromObjectCaseSensitive(entry, "spool_file");
	cJSON_AddStringToObject(entry, "spool_file", cur);
	return jsonl_emit_take(w->out, entry, e);
}

/* Our own claims that got no result within the claim timeout (an ack
 * that could not write, or died) go to deferred/ like a transient
 * failure: a live watch never holds a slot forever. */
static int
return_stale_claims(struct watch *w, struct werr *e)
{
	struct spool_item *v;
	struct stat st;
	char path[PATH_MAX], msg[128];
	long long now = wall_ms();
	size_t n, k = 0;

	if (spool_list(w->o->spool, SPOOL_CUR, &v, &n, e) < 0)
		return -1;
	snprintf(msg, sizeof msg, "no result within the claim timeout (%lld s)",
	    (long long)(w->o->claim_timeout_ms / 1000));
	for (size_t i = 0; i < n; i++) {
		struct werr fe = { 0 };

		if (!v[i].claimed || v[i].claimer.pid != w->me.pid || v[i].claimer.start != w->me.start ||
		    spool_path(w->o->spool, SPOOL_CUR, v[i].name, path, sizeof path, NULL) < 0 ||
		    stat(path, &st) < 0)
			continue;
		/* a claim is a rename: its ctime is when it was claimed */
		if (now - ((long long)st.st_ctim.tv_sec * 1000 + st.st_ctim.tv_nsec / 1000000) <
		    w->o->claim_timeout_ms)
			continue;
		if (spool_fail(w->o->spool, path, &w->o->pol, "local", msg, 0, now, &fe) >= 0)
			k++;
		else if (fe.code != EX_NOINPUT)
			warnx("%s", fe.msg);
	}
	free(v);
	if (k > 0)
		warnx("%zu claims had no result within the claim timeout: deferred", k);
	return 0;
}

/* One pass: due deferred entries back to new/, then claim the oldest
 * new ones while in-flight slots (files in cur/, anyone's) are free. */
static int
scan(struct watch *w, struct werr *e)
{
	struct spool_release r;
	struct spool_item *v;
	size_t n, inflight, i;
	char cur[PATH_MAX];
	int rc = 0;

	if (return_stale_claims(w, e) < 0 ||
	    spool_release_due(w->o->spool, &w->o->pol, wall_ms(), &r, e) < 0)
		return -1;
	w->next_due = r.next_due_ms;
	if (spool_count(w->o->spool, SPOOL_CUR, &inflight, e) < 0 ||
	    spool_list(w->o->spool, SPOOL_NEW, &v, &n, e) < 0)
		return -1;
	for (i = 0; i < n && inflight < (size_t)w->o->max_inflight; i++) {
		cJSON *entry;
		struct werr ce = { 0 };
		int c = spool_claim(w->o->spool, v[i].id, &w->me, &entry, cur, sizeof cur, &ce);
		if (c < 0) {
			werr_set(e, ce.code, "%s", ce.msg);
			rc = -1;
			break;
		}
		if (c == 2)
			warnx("quarantined: %s", ce.msg);
		if (c != 1)
			continue;
		inflight++;
		if ((rc = emit_claim(w, entry, cur, e)) < 0)
			break;
	}
	w->waiting = n - i;
	free(v);
	return rc;
}

static int
watch_dir(int fd, const char *spool, const char *sub, uint32_t mask, struct werr *e)
{
	char p[PATH_MAX];

	if (path_join(p, sizeof p, spool, sub, e) < 0)
		return -1;
	if (inotify_add_watch(fd, p, mask) < 0)
		return werr_sys(e, EX_OSERR, "inotify %s", p);
	return 0;
}

static int
watch_setup(const struct opts *o, struct werr *e)
{
	int fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);

	if (fd < 0)
		return werr_sys(e, EX_OSERR, "inotify");
	if (watch_dir(fd, o->spool, "new", IN_MOVED_TO | IN_CLOSE_WRITE, e) < 0 ||
	    watch_dir(fd, o->spool, "cur", IN_DELETE | IN_MOVED_FROM, e) < 0 ||
	    watch_dir(fd, o->spool, "deferred", IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE, e) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Sleep until an event, the rescan timer or the next due entry. Returns 1
 * when standard output's reader is gone (the pipeline broke). inotify is
 * only a hint: whatever woke us, the caller rescans everything. */
static int
watch_wait(const struct watch *w, int ino)
{
	struct pollfd pf[2] = { { ino, POLLIN, 0 }, { STDOUT_FILENO, 0, 0 } };
	long long t = w->o->rescan_ms, now = wall_ms();
	char buf[8192];

	if (w->next_due > 0 && w->next_due - now < t)
		t = w->next_due - now > 0 ? w->next_due - now + 5 : 0;
	if (poll(pf, 2, (int)t) < 0 && errno != EINTR)
		return -1;
	if (pf[1].revents & (POLLERR | POLLHUP | POLLNVAL))
		return 1;
	/* drain; IN_Q_OVERFLOW needs nothing more than the rescan we do anyway */
	while (read(ino, buf, sizeof buf) > 0)
		;
	return 0;
}

static int
cmd_watch(const struct opts *o, struct jsonl *out, struct werr *e)
{
	struct watch w = { .o = o, .out = out };
	size_t n;
	int ino, rc = 0;

	if (spool_init(o->spool, e) < 0 || spool_self(&w.me, e) < 0)
		return -1;
	/* claims of workers that are gone come back before anything else */
	if (spool_recover(o->spool, &n, NULL, NULL, e) < 0)
		return -1;
	if (n > 0)
		warnx("recovered %zu entries from workers that are gone", n);
	if (spool_clean_tmp(o->spool, wall_ms(), NULL, e) < 0 || sweep_orphans(o, NULL, NULL, &n, e) < 0)
		return -1;
	if (n > 0)
		warnx("queued %zu captures that had no spool entry", n);
	if ((ino = watch_setup(o, e)) < 0)
		return -1;
	for (;;) {
		if ((rc = scan(&w, e)) < 0)
			break;
		if (o->once && w.waiting == 0)
			break;
		if ((rc = watch_wait(&w, ino)) != 0) {
			if (rc > 0)
				rc = 0; /* the reader left: nothing more to do */
			else
				werr_sys(e, EX_OSERR, "poll");
			break;
		}
	}
	close(ino);
	return rc;
}

/* ---- ack --------------------------------------------------------------- */

/* Find the claimed file for a result: its spool_file's name in our cur/
 * (a regular file there: the line is not trusted), else any claim of its id. */
static int
find_claim(const char *spool, const cJSON *res, char *path, size_t len)
{
	const char *sf = json_str(res, "spool_file"), *id = json_str(res, "id"), *base;
	struct spool_item *v;
	struct stat st;
	size_t n;
	int found = 0;

	if (sf) {
		base = strrchr(sf, '/') ? strrchr(sf, '/') + 1 : sf;
		if (spool_path(spool, SPOOL_CUR, base, path, len, NULL) == 0 && lstat(path, &st) == 0 &&
		    S_ISREG(st.st_mode))
			return 1;
	}
	if (id == NULL || spool_list(spool, SPOOL_CUR, &v, &n, NULL) < 0)
		return 0;
	for (size_t i = 0; i < n && !found; i++)
		if (strcmp(v[i].id, id) == 0)
			found = spool_path(spool, SPOOL_CUR, v[i].name, path, len, NULL) == 0;
	free(v);
	return found;
}

static cJSON *
ack_line(const char *id, const char *state)
{
	cJSON *l = cJSON_CreateObject();

	cJSON_AddStringToObject(l, "id", id ? id : "");
	cJSON_AddStringToObject(l, "state", state);
	return l;
}

/* The sidecar block an entry reports to: a capture's raw DNG has its own. */
static const char *
ipfs_block(const cJSON *entry)
{
	const char *kind = entry ? json_str(entry, "kind") : NULL;

	return kind && strcmp(kind, "raw") == 0 ? "raw_ipfs" : "ipfs";
}

/* The sidecar an entry names, when it is one of ours. NULL otherwise. */
static const char *
entry_sidecar(const struct opts *o, const cJSON *entry)
{
	const char *sc = entry ? json_str(entry, "sidecar") : NULL;

	return sidecar_is_ours(o->home, sc) ? sc : NULL;
}

/* Push succeeded: record it in the sidecar, then drop the entry. In that
 * order: a crash in between pushes again (same CID, harmless). Paths come
 * from the spool entry only, never from the result line. */
static cJSON *
ack_success(const struct opts *o, const cJSON *res, const cJSON *entry, const char *cur,
    struct werr *e)
{
	const char *cid = json_str(res, "cid"), *want = entry ? json_str(entry, "cid") : NULL;
	const char *sc = entry_sidecar(o, entry);
	int pinned = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(res, "pinned"));
	size_t kicked;
	cJSON *l;

	if (want && !cid_str_equal(want, cid))
		return NULL; /* caller treats it as a permanent failure */
	if (sc && sidecar_update_block(sc, ipfs_block(entry), pinned ? "pinned" : "pushed", cid, NULL, e) < 0 &&
	    e->code != EX_NOINPUT)
		return NULL;
	if (cur && spool_done(cur, e) < 0 && e->code != EX_NOINPUT)
		return NULL;
	/* the daemon works: whatever waits for it goes now, oldest first */
	if (spool_kick(o->spool, &kicked, e) < 0)
		return NULL;
	l = ack_line(json_str(res, "id"), cur ? "done" : "gone");
	cJSON_AddStringToObject(l, "cid", cid);
	cJSON_AddBoolToObject(l, "pinned", pinned);
	if (kicked)
		cJSON_AddNumberToObject(l, "released", (double)kicked);
	return l;
}

static cJSON *
ack_failure(const struct opts *o, cJSON *res, const cJSON *entry, const char *cur,
    struct werr *e)
{
	const cJSON *err = cJSON_GetObjectItemCaseSensitive(res, "error");
	const char *kind = json_str(err, "kind"), *msg = json_str(err, "message");
	const char *sc = entry_sidecar(o, entry);
	char mbuf[600];
	int st;
	cJSON *l;

	if (cJSON_IsString(err))
		msg = err->valuestring;
	if (kind == NULL && !cJSON_IsObject(err)) {
		/* a success line whose CID is not the entry's */
		kind = "cid-mismatch";
		snprintf(mbuf, sizeof mbuf, "daemon CID %s, sidecar CID %s", json_str(res, "cid"),
		    entry ? json_str(entry, "cid") : "?");
		msg = mbuf;
		cJSON_DeleteItemFromObjectCaseSensitive(res, "error");
		cJSON_AddItemToObject(res, "error", settle_error(EX_DATAERR, kind, msg, 1));
	}
	if (cur == NULL)
		return ack_line(json_str(res, "id"), "gone");
	if ((st = spool_settle(o->spool, cur, &o->pol, res, wall_ms(), e)) < 0)
		return e->code == EX_NOINPUT ? ack_line(json_str(res, "id"), "gone") : NULL;
	if (st == SPOOL_FAILED && sc && sidecar_update_block(sc, ipfs_block(entry), "failed", NULL, msg, e) < 0 &&
	    e->code != EX_NOINPUT)
		return NULL;
	l = ack_line(json_str(res, "id"), spool_state_name(st));
	cJSON_AddStringToObject(l, "kind", kind ? kind : "unknown");
	cJSON_AddStringToObject(l, "error", msg ? msg : "unknown error");
	return l;
}

/* The push worked but recording it did not (sidecar, disk): try again
 * later rather than leave the entry holding an in-flight slot; a sidecar
 * that does not parse will not parse later either: failed at once. */
static cJSON *
ack_local_failure(const struct opts *o, const cJSON *res, const char *cur, struct werr *e)
{
	char msg[sizeof e->msg];
	int st, perm = e->code == EX_DATAERR;
	cJSON *l;

	snprintf(msg, sizeof msg, "%s", e->msg);
	warnx("%s", msg);
	if ((st = spool_fail(o->spool, cur, &o->pol, "local", msg, perm, wall_ms(), e)) < 0)
		return NULL;
	l = ack_line(json_str(res, "id"), spool_state_name(st));
	cJSON_AddStringToObject(l, "kind", "local");
	cJSON_AddStringToObject(l, "error", msg);
	return l;
}

static int
ack_one(const struct opts *o, struct jsonl *out, const char *text, struct werr *e)
{
	cJSON *res = cJSON_Parse(text), *entry = NULL, *l;
	char cur[PATH_MAX];
	int have, ok;

	if (!cJSON_IsObject(res) || (!json_str(res, "id") && !json_str(res, "spool_file"))) {
		cJSON_Delete(res);
		return werr_set(e, EX_DATAERR, "not a push result with \"id\" or \"spool_file\"");
	}
	have = find_claim(o->spool, res, cur, sizeof cur);
	if (have)
		entry = spool_read_entry(cur, NULL);
	ok = cJSON_GetObjectItemCaseSensitive(res, "error") == NULL && json_str(res, "cid") != NULL;
	if (ok && cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(res, "queued"))) {
		/* in wanda-push's outbox, not on the daemon: the spool keeps it */
		cJSON_AddItemToObject(res, "error", settle_error(EX_UNAVAILABLE, SPOOL_KIND_UNREACHABLE, "queued in the outbox: the daemon was unreachable", 0));
		ok = 0;
	}
	l = NULL;
	if (ok)
		l = ack_success(o, res, entry, have ? cur : NULL, e);
	if (!ok || (l == NULL && e->code == 0))
		l = ack_failure(o, res, entry, have ? cur : NULL, e);
	else if (l == NULL && have)
		l = ack_local_failure(o, res, cur, e);
	cJSON_Delete(entry);
	cJSON_Delete(res);
	if (l == NULL)
		return -1;
	return jsonl_emit_take(out, l, e);
}

static int
cmd_ack(const struct opts *o, struct jsonl *out, struct werr *e)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	long lineno = 0, bad = 0;

	if (spool_init(o->spool, e) < 0)
		return -1;
	for (;;) {
		struct werr le = { 0 };
		if ((len = jsonl_getline(&line, &cap, stdin, &le)) == -1)
			break;
		lineno++;
		if (len == -2) {
			warnx("stdin:%ld: %s", lineno, le.msg);
			bad++;
			continue;
		}
		if (len <= 1)
			continue;
		if (ack_one(o, out, line, &le) < 0) {
			/* one bad line must not stop the pipeline */
			warnx("stdin:%ld: %s", lineno, le.msg);
			bad++;
		}
	}
	free(line);
	if (bad)
		return werr_set(e, EX_DATAERR, "%ld of %ld result lines not acknowledged", bad, lineno);
	return 0;
}

/* ---- list, stats ------------------------------------------------------- */

/* Age in seconds from enqueued_at, else from the file's mtime. */
static double
age_s(const cJSON *entry, const char *path, long long now)
{
	long long t;
	struct stat st;

	if (entry && spool_parse_time(json_str(entry, "enqueued_at"), &t) == 0)
		return (double)(now - t) / 1000.0;
	if (stat(path, &st) == 0)
		return (double)(now - (long long)st.st_mtime * 1000) / 1000.0;
	return 0;
}

typedef int (*item_fn)(void *ctx, int state, const struct spool_item *it, cJSON *entry,
    const char *path, struct werr *e);

static int
each_item(const char *spool, int only, item_fn fn, void *ctx, struct werr *e)
{
	for (int s = 0; s < SPOOL_NSTATES; s++) {
		struct spool_item *v;
		size_t n;
		char path[PATH_MAX];
		int rc = 0;
		if (only >= 0 && s != only)
			continue;
		if (spool_list(spool, s, &v, &n, e) < 0)
			return -1;
		for (size_t i = 0; i < n && rc == 0; i++) {
			cJSON *entry;
			if (spool_path(spool, s, v[i].name, path, sizeof path, e) < 0) {
				rc = -1;
				break;
			}
			entry = s == SPOOL_CORRUPT ? NULL : spool_read_entry(path, NULL);
			rc = fn(ctx, s, &v[i], entry, path, e);
		}
		free(v);
		if (rc < 0)
			return -1;
	}
	return 0;
}

static int
list_one(void *ctx, int state, const struct spool_item *it, cJSON *entry, const char *path,
    struct werr *e)
{
	cJSON *l = entry ? entry : cJSON_CreateObject();

	if (!entry)
		cJSON_AddStringToObject(l, "id", it->id);
	cJSON_AddStringToObject(l, "state", spool_state_name(state));
	cJSON_AddNumberToObject(l, "age_s", age_s(entry, path, wall_ms()));
	cJSON_AddStringToObject(l, "spool_file", path);
	if (state == SPOOL_CUR) {
		cJSON *c = cJSON_AddObjectToObject(l, "claimer");
		cJSON_AddNumberToObject(c, "pid", it->claimed ? it->claimer.pid : 0);
		cJSON_AddBoolToObject(c, "alive", it->claimed && spool_claimer_alive(&it->claimer));
	}
	if (state != SPOOL_CORRUPT && !entry)
		cJSON_AddBoolToObject(l, "unreadable", 1);
	return jsonl_emit_take(ctx, l, e);
}

/* qshape's buckets: minutes, doubling from 5. */
static const int buckets_min[] = { 5, 10, 20, 40, 80, 160, 320, 640, 1280 };
#define NBUCKETS (sizeof buckets_min / sizeof buckets_min[0] + 1)

struct stats {
	size_t count[SPOOL_NSTATES];
	double oldest[SPOOL_NSTATES];
	size_t bucket[SPOOL_NSTATES][NBUCKETS];
};

static int
stats_one(void *ctx, int state, const struct spool_item *it, cJSON *entry, const char *path,
    struct werr *e)
{
	struct stats *s = ctx;
	double a = age_s(entry, path, wall_ms());
	size_t b = 0;

	(void)it;
	(void)e;
	cJSON_Delete(entry);
	while (b < NBUCKETS - 1 && a > buckets_min[b] * 60.0)
		b++;
	s->count[state]++;
	s->bucket[state][b]++;
	if (a > s->oldest[state])
		s->oldest[state] = a;
	return 0;
}

/* One line per remote target: its health and backlog (lib/remote). */
static int
stats_remote(struct opts *o, struct jsonl *out, struct werr *e)
{
	cJSON *a;
	int rc = 0;

	if (remote_load(o->cf, NULL, &o->rs, e) < 0 || (a = remote_status_json(&o->rs, 0, e)) == NULL)
		return -1;
	for (cJSON *t = a->child; t && rc == 0; t = t->next) {
		cJSON *l = cJSON_CreateObject();
		cJSON_AddStringToObject(l, "remote", cJSON_GetStringValue(cJSON_GetObjectItem(t, "target")));
		for (cJSON *f = t->child; f; f = f->next)
			if (strcmp(f->string, "target") != 0)
				cJSON_AddItemToObject(l, f->string, cJSON_Duplicate(f, 1));
		rc = jsonl_emit_take(out, l, e);
	}
	cJSON_Delete(a);
	return rc;
}

static int
cmd_stats(struct opts *o, struct jsonl *out, struct werr *e)
{
	struct stats s = { 0 };
	char key[16];

	if (spool_init(o->spool, e) < 0 || each_item(o->spool, -1, stats_one, &s, e) < 0)
		return -1;
	for (int st = 0; st < SPOOL_NSTATES; st++) {
		cJSON *l = cJSON_CreateObject(), *ages;
		cJSON_AddStringToObject(l, "state", spool_state_name(st));
		cJSON_AddNumberToObject(l, "count", (double)s.count[st]);
		cJSON_AddNumberToObject(l, "oldest_s", s.oldest[st]);
		ages = cJSON_AddObjectToObject(l, "ages");
		for (size_t b = 0; b < NBUCKETS; b++) {
			if (b < NBUCKETS - 1)
				snprintf(key, sizeof key, "%dm", buckets_min[b]);
			else
				snprintf(key, sizeof key, "%dm+", buckets_min[b - 1]);
			cJSON_AddNumberToObject(ages, key, (double)s.bucket[st][b]);
		}
		if (jsonl_emit_take(out, l, e) < 0)
			return -1;
	}
	return stats_remote(o, out, e);
}

/* ---- retry, recover, purge --------------------------------------------- */

static int
retry_one(const struct opts *o, struct jsonl *out, const char *id, struct werr *e)
{
	int from = spool_retry(o->spool, id, wall_ms(), e);
	cJSON *l;

	if (from < 0)
		return -1;
	l = ack_line(id, "new");
	cJSON_AddStringToObject(l, "from", spool_state_name(from));
	return jsonl_emit_take(out, l, e);
}

static int
cmd_retry(const struct opts *o, struct jsonl *out, int argc, char **argv, struct werr *e)
{
	int rc = 0;

	if (o->all == (argc > 0))
		return werr_set(e, EX_USAGE, "retry: give IDs or --all, not both or neither");
	if (spool_init(o->spool, e) < 0)
		return -1;
	for (int i = 0; i < argc; i++) {
		struct werr re = { 0 };
		if (retry_one(o, out, argv[i], &re) < 0) {
			if (rc < 0)
				warnx("%s", e->msg); /* main prints the last one */
			*e = re;
			rc = -1;
		}
	}
	for (int s = SPOOL_DEFERRED; o->all && s <= SPOOL_FAILED; s++) {
		struct spool_item *v;
		size_t n;
		if (spool_list(o->spool, s, &v, &n, e) < 0)
			return -1;
		for (size_t i = 0; i < n && rc == 0; i++)
			rc = retry_one(o, out, v[i].id, e);
		free(v);
	}
	return rc;
}

struct moved {
	struct jsonl *out;
	const char *from, *to;
	int rc;
	struct werr *e;
};

static void
moved_one(void *ctx, const char *id)
{
	struct moved *m = ctx;
	cJSON *l = ack_line(id, m->to);

	cJSON_AddStringToObject(l, "from", m->from);
	if (jsonl_emit_take(m->out, l, m->e) < 0)
		m->rc = -1;
}

static int
cmd_recover(const struct opts *o, struct jsonl *out, struct werr *e)
{
	struct moved m = { out, "cur", "new", 0, e };
	struct moved s = { out, "sidecar", "new", 0, e };
	size_t n;

	if (spool_init(o->spool, e) < 0 || spool_recover(o->spool, NULL, moved_one, &m, e) < 0 ||
	    spool_clean_tmp(o->spool, wall_ms(), NULL, e) < 0 ||
	    sweep_orphans(o, moved_one, &s, &n, e) < 0)
		return -1;
	return m.rc < 0 || s.rc < 0 ? -1 : 0;
}

static int
cmd_purge(const struct opts *o, struct jsonl *out, int argc, char **argv, struct werr *e)
{
	if (!o->has_older)
		return werr_set(e, EX_USAGE, "purge: --older-than AGE is required");
	if (argc == 0)
		return werr_set(e, EX_USAGE, "purge: name the states to purge (failed, corrupt)");
	for (int i = 0; i < argc; i++) {
		int st = spool_state_from_name(argv[i]);
		struct moved m = { out, argv[i], "purged", 0, e };
		if (st != SPOOL_FAILED && st != SPOOL_CORRUPT)
			return werr_set(e, EX_USAGE, "purge: %s: only failed and corrupt can be purged", argv[i]);
		if (spool_purge(o->spool, st, o->older_ms, wall_ms(), NULL, moved_one, &m, e) < 0 || m.rc < 0)
			return -1;
	}
	return 0;
}

static int
emit_take(void *ctx, cJSON *line, struct werr *e)
{
	return jsonl_emit_take(ctx, line, e);
}

/* ---- main -------------------------------------------------------------- */

static int
run(struct opts *o, struct jsonl *out, int argc, char **argv, struct werr *e)
{
	const char *cmd = argv[0];
	int nargs_ok = argc == 1;

	if (!strcmp(cmd, "retry"))
		return cmd_retry(o, out, argc - 1, argv + 1, e);
	if (!strcmp(cmd, "purge"))
		return cmd_purge(o, out, argc - 1, argv + 1, e);
	if (!nargs_ok && (!strcmp(cmd, "watch") || !strcmp(cmd, "ack") || !strcmp(cmd, "list") || !strcmp(cmd, "stats") || !strcmp(cmd, "recover") || !strcmp(cmd, "gc")))
		return werr_set(e, EX_USAGE, "%s: unexpected argument '%s'", cmd, argv[1]);
	if (!strcmp(cmd, "watch"))
		return cmd_watch(o, out, e);
	if (!strcmp(cmd, "ack"))
		return cmd_ack(o, out, e);
	if (!strcmp(cmd, "list")) {
		int st = o->state ? spool_state_from_name(o->state) : -1;
		if (o->state && st < 0)
			return werr_set(e, EX_USAGE, "--state: unknown state '%s'", o->state);
		if (spool_init(o->spool, e) < 0)
			return -1;
		return each_item(o->spool, st, list_one, out, e);
	}
	if (!strcmp(cmd, "stats"))
		return cmd_stats(o, out, e);
	if (!strcmp(cmd, "recover"))
		return cmd_recover(o, out, e);
	if (!strcmp(cmd, "gc")) {
		if (!o->gc.has_keep_free)
			return werr_set(e, EX_USAGE, "gc: --keep-free SIZE (or config keep_free) is required");
		o->gc.dry_run = o->dry_run;
		if (remote_load(o->cf, NULL, &o->rs, e) < 0)
			return -1;
		o->gc.targets = o->names;
		o->gc.ntargets = remote_target_names(&o->rs, o->names, REMOTE_MAX_TARGETS);
		return retention_run(&o->gc, emit_take, out, e);
	}
	return werr_set(e, EX_USAGE, "%s: unknown command", cmd);
}

static int
parse_args(int argc, char **argv, struct config *c, struct opts *o, struct werr *e)
{
	int ch;

	kubo_cli_init(&o->kc, c, 0, 3);
	while ((ch = kubo_cli_getopt(&o->kc, flag_keys, argc, argv, "", longopts, e)) != -1) {
		switch (ch) {
		case KUBO_CLI_BAD: return -1;
		case 'h': usage(stdout); exit(0);
		case 'V': cli_version(PROG); exit(0);
		case 'J': o->jq = optarg; break;
		case O_ONCE: o->once = 1; break;
		case O_ALL: o->all = 1; break;
		case O_DRYRUN: o->dry_run = 1; break;
		case O_STATE: o->state = optarg; break;
		case O_OLDER:
			if (parse_duration_ms(optarg, &o->older_ms, "--older-than", e) < 0)
				return -1;
			o->has_older = 1;
			break;
		default:
			usage(stderr);
			exit(EX_USAGE);
		}
	}
	return optind;
}

int
main(int argc, char **argv)
{
	struct werr e = { 0 };
	struct opts o = { 0 };
	struct config *c;
	struct jsonl *out;
	int first, rc;

	cli_locale();
	if ((c = config_load(&e)) == NULL)
		errx(e.code, "%s", e.msg);
	o.cf = c;
	if ((first = parse_args(argc, argv, c, &o, &e)) < 0 || settle(c, &o, &e) < 0)
		errx(e.code, "%s", e.msg);
	if (first >= argc) {
		usage(stderr);
		exit(EX_USAGE);
	}
	if ((out = jsonl_open(stdout, o.jq, &e)) == NULL)
		errx(e.code, "%s", e.msg);
	rc = run(&o, out, argc - first, argv + first, &e);
	jsonl_close(out);
	remote_free(&o.rs);
	config_free(c);
	if (rc < 0)
		errx(e.code ? e.code : EX_SOFTWARE, "%s", e.msg);
	return 0;
}
