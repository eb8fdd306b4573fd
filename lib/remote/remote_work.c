/* remote_work: one pass of the remote stage's worker (see remote.h).
 * Per target: entries the sidecar already shows pinned are dropped (a
 * crash between the two writes), queued entries that are due are
 * requested, requested ones are polled together, at an interval that
 * doubles with their age (remote_poll .. remote_max_poll). A target that
 * cannot be reached is backed off (remote_backoff .. remote_max_backoff)
 * and its entries wait; one that refuses our credentials is left alone
 * until the program restarts. */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "base/atomicio.h"
#include "base/buf.h"
#include "base/clock.h"
#include "base/eventlog.h"
#include "base/path.h"
#include "ipld/cid.h"
#include "kubo/kubo.h"
#include "remote/remote_int.h"
#include "spool/sidecar.h"

struct item {
	char path[PATH_MAX];
	cJSON *en;
	int gone;
};

struct pass {
	struct remote_set *rs;
	struct remote_target *t;
	remote_note_fn fn;
	void *ctx;
	struct remote_pass *p;
	long long now;
};

static void
items_free(struct item *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		cJSON_Delete(v[i].en);
	free(v);
}

static int
load_items(const struct pass *ps, struct item **out, size_t *count, struct werr *e)
{
	char dir[PATH_MAX];
	struct item *v = NULL;
	size_t n = 0, cap = 0;
	DIR *dp;

	*out = NULL;
	*count = 0;
	if (rentry_dir(ps->rs, ps->t, dir, sizeof dir) < 0 || (dp = opendir(dir)) == NULL)
		return errno == ENOENT ? 0 : werr_sys(e, EX_IOERR, "%s", dir);
	for (;;) {
		if (buf_grow_array(&v, &cap, n + 1, sizeof *v, 64, e) < 0) {
			closedir(dp);
			items_free(v, n);
			return werr_prefix(e, "%s", dir);
		}
		if (!rentry_next(dp, dir, v[n].path, sizeof v[n].path, &v[n].en))
			break;
		v[n].gone = 0;
		if (json_str(v[n].en, "cid") && json_str(v[n].en, "sidecar") && json_str(v[n].en, "id") &&
		    json_str(v[n].en, "block") && json_str(v[n].en, "state"))
			n++;
		else
			cJSON_Delete(v[n].en); /* not ours to judge; left where it is */
	}
	closedir(dp);
	*out = v;
	*count = n;
	return 0;
}

static int
st_is(const struct item *it, const char *state)
{
	return !it->gone && strcmp(json_str(it->en, "state"), state) == 0;
}

static void
set_num(cJSON *o, const char *k, double v)
{
	cJSON_DeleteItemFromObjectCaseSensitive(o, k);
	cJSON_AddNumberToObject(o, k, v);
}

static void
set_str(cJSON *o, const char *k, const char *v)
{
	cJSON_DeleteItemFromObjectCaseSensitive(o, k);
	if (v)
		cJSON_AddStringToObject(o, k, v);
}

/* ---- the target's health ------------------------------------------------ */

/* A failed contact: wait (unreachable), stop (credentials), or go on
 * (this one request refused). Returns 1 when the target's pass must end. */
static int
contact_failed(struct pass *ps, const struct werr *ce, struct werr *e)
{
	struct remote_target *t = ps->t;
	const char *h = ce->code == EX_CONFIG                     ? "auth" :
	    ce->code == EX_UNAVAILABLE || ce->code == EX_PROTOCOL ? "unreachable" :
	                                                            NULL;

	if (h == NULL)
		return 0;
	if (strcmp(t->health, h) != 0 || ce->code != EX_CONFIG)
		if (rhealth_write(ps->rs, t, h, ce->msg, e) < 0)
			return -1;
	if (ce->code == EX_CONFIG) {
		t->retry_ms = LLONG_MAX;
		ps->p->auth_failed = 1;
		return 1;
	}
	t->backoff_ms = t->backoff_ms ? t->backoff_ms * 2 : ps->rs->backoff_min_ms;
	if (t->backoff_ms > ps->rs->backoff_max_ms)
		t->backoff_ms = ps->rs->backoff_max_ms;
	t->retry_ms = ps->now + t->backoff_ms;
	return 1;
}

static int
contact_ok(struct pass *ps, struct werr *e)
{
	ps->t->backoff_ms = 0;
	ps->t->retry_ms = 0;
	if (strcmp(ps->t->health, "ok") == 0)
		return 0;
	return rhealth_write(ps->rs, ps->t, "ok", NULL, e);
}

/* ---- settling an entry --------------------------------------------------- */

static void
note(struct pass *ps, const cJSON *rec, const char *id)
{
	cJSON *l = cJSON_Duplicate(rec, 1), *ev;
	struct werr ignore = { 0 };

	cJSON_AddStringToObject(l, "id", id);
	ps->p->done++;
	if (ps->fn)
		ps->fn(ps->ctx, l);
	ev = event_new(strcmp(json_str(rec, "state"), "pinned") == 0 ? "remote_pinned" : "remote_failed");
	for (cJSON *f = l->child; f; f = f->next)
		cJSON_AddItemToObject(ev, f->string, cJSON_Duplicate(f, 1));
	event_append(ps->rs->home, ev, &ignore); /* the log is a courtesy; the sidecar is the record */
	cJSON_Delete(ev);
	cJSON_Delete(l);
}

/* Confirmed: the sidecar first, then the entry goes. */
static int
settle_pinned(struct pass *ps, struct item *it, const struct rstat *s, struct werr *e)
{
	cJSON *rec = record_of(ps->t, it->en, "pinned");
	char now[40];
	int rc;

	rfc3339_ms(wall_ms(), now, sizeof now);
	cJSON_AddStringToObject(rec, "requested_at", json_str(it->en, "requested_at") ? json_str(it->en, "requested_at") : now);
	cJSON_AddStringToObject(rec, "confirmed_at", now);
	cJSON_AddItemToObject(rec, "peers", s->peers ? cJSON_Duplicate(s->peers, 1) : cJSON_CreateArray());
	rc = sidecar_update_nested(json_str(it->en, "sidecar"), json_str(it->en, "block"), ps->t->name, rec, e);
	if (rc < 0 && e->code == EX_NOINPUT)
		rc = 0; /* the capture is gone: nothing to record it in */
	if (rc == 0 && (unlink(it->path) < 0 && errno != ENOENT))
		rc = werr_sys(e, EX_IOERR, "%s", it->path);
	if (rc == 0) {
		it->gone = 1;
		note(ps, rec, json_str(it->en, "id"));
	}
	cJSON_Delete(rec);
	return rc;
}

/* Failed for good: recorded in the sidecar and in the entry (kept for
 * wanda-remote retry). */
static int
settle_failed(struct pass *ps, struct item *it, const char *why, struct werr *e)
{
	cJSON *rec = record_of(ps->t, it->en, "failed");
	int rc;

	cJSON_AddStringToObject(rec, "error", why);
	set_str(it->en, "state", "failed");
	set_str(it->en, "error", why);
	rc = rentry_write(it->path, it->en, e);
	if (rc == 0 && sidecar_update_nested(json_str(it->en, "sidecar"), json_str(it->en, "block"), ps->t->name, rec, e) < 0 &&
	    e->code != EX_NOINPUT)
		rc = -1;
	if (rc == 0) {
		note(ps, rec, json_str(it->en, "id"));
	}
	cJSON_Delete(rec);
	return rc;
}

/* Not confirmed (failed there, or too slow): ask again while requests
 * are left, else fail with the reason. */
static int
ask_again(struct pass *ps, struct item *it, const char *why, struct werr *e)
{
	char msg[400];

	if (json_num(it->en, "requests", 0) >= (double)ps->t->max_requests) {
		snprintf(msg, sizeof msg, "not confirmed after %.0f requests: %s",
		    json_num(it->en, "requests", 0), why);
		return settle_failed(ps, it, msg, e);
	}
	set_str(it->en, "state", "queued");
	set_str(it->en, "error", why);
	set_num(it->en, "next_ms", 0);
	return rentry_write(it->path, it->en, e);
}

/* ---- requests and polls ------------------------------------------------- */

static void
load_origins(struct remote_set *rs)
{
	struct kubo_id id;
	struct kubo *k;

	if (rs->origins)
		return;
	rs->origins = cJSON_CreateArray();
	if ((k = kubo_new(rs->api, &rs->kubo, NULL)) == NULL)
		return;
	if (kubo_id(k, &id, NULL) == 0)
		for (size_t i = 0; i < id.naddrs && i < 8; i++)
			cJSON_AddItemToArray(rs->origins, cJSON_CreateString(id.addrs[i]));
	kubo_free(k);
}

/* A live target refused this request: counted as one, asked again after
 * a doubling wait, failed with the reason after max_requests. */
static int
refused(struct pass *ps, struct item *it, const char *why, struct werr *e)
{
	double n = json_num(it->en, "requests", 0) + 1;
	int64_t wait = ps->rs->backoff_min_ms;

	if (n >= (double)ps->t->max_requests) {
		char msg[600];
		snprintf(msg, sizeof msg, "refused %.0f times: %s", n, why);
		return settle_failed(ps, it, msg, e);
	}
	for (double i = 1; i < n && wait < ps->rs->backoff_max_ms; i++)
		wait *= 2;
	set_num(it->en, "requests", n);
	set_num(it->en, "next_ms", (double)(ps->now + wait));
	set_str(it->en, "error", why);
	return rentry_write(it->path, it->en, e);
}

static int
request_one(struct pass *ps, struct item *it, struct werr *e)
{
	struct werr ce = { 0 };
	char rid[160], now[40];
	cJSON *rec;
	int rc;

	if (ps->t->kind == REMOTE_PSA)
		load_origins(ps->rs);
	if (rapi_request(ps->rs, ps->t, it->en, rid, sizeof rid, &ce) < 0) {
		if ((rc = contact_failed(ps, &ce, e)) != 0)
			return rc;
		return refused(ps, it, ce.msg, e);
	}
	if (contact_ok(ps, e) < 0)
		return -1;
	rfc3339_ms(wall_ms(), now, sizeof now);
	set_str(it->en, "state", "pinning");
	set_str(it->en, "request_id", rid);
	set_str(it->en, "requested_at", now);
	set_num(it->en, "requests", json_num(it->en, "requests", 0) + 1);
	set_num(it->en, "requested_ms", (double)ps->now);
	if (rentry_write(it->path, it->en, e) < 0)
		return -1;
	rec = record_of(ps->t, it->en, "pinning");
	cJSON_AddStringToObject(rec, "requested_at", now);
	rc = sidecar_update_nested(json_str(it->en, "sidecar"), json_str(it->en, "block"), ps->t->name, rec, e);
	cJSON_Delete(rec);
	return rc < 0 && e->code != EX_NOINPUT ? -1 : 0;
}

static int
judge(struct pass *ps, struct item *it, const struct rstat *s, struct werr *e)
{
	char why[400];
	double age = (double)ps->now - json_num(it->en, "requested_ms", (double)ps->now);

	if (strcmp(s->state, "pinned") == 0)
		return settle_pinned(ps, it, s, e);
	if (strcmp(s->state, "failed") == 0)
		return ask_again(ps, it, s->error[0] ? s->error : "failed", e);
	if (age < (double)ps->t->confirm_timeout_ms)
		return 0;
	snprintf(why, sizeof why, "not confirmed %.0fs after the request (%s)", age / 1000,
	    s->state[0] ? s->error : "the target does not know the CID");
	return ask_again(ps, it, why, e);
}

/* Poll every requested entry, REMOTE_BATCH CIDs per call. */
static int
poll_all(struct pass *ps, struct item *v, size_t n, struct werr *e)
{
	struct item *batch[REMOTE_BATCH];
	const char *cids[REMOTE_BATCH];
	struct rstat st[REMOTE_BATCH];
	size_t i = 0, k;
	int rc = 0;

	while (rc == 0 && i < n) {
		for (k = 0; i < n && k < REMOTE_BATCH; i++)
			if (st_is(&v[i], "pinning")) {
				batch[k] = &v[i];
				cids[k++] = json_str(v[i].en, "cid");
			}
		if (k == 0)
			break;
		struct werr ce = { 0 };
		if (rapi_status(ps->t, cids, k, st, &ce) < 0)
			return contact_failed(ps, &ce, e) < 0 ? -1 : 0;
		if (contact_ok(ps, e) < 0)
			rc = -1;
		for (size_t j = 0; j < k; j++) {
			if (rc == 0)
				rc = judge(ps, batch[j], &st[j], e);
			cJSON_Delete(st[j].peers);
		}
	}
	return rc;
}

/* Entries the sidecar already shows pinned by this target: a crash came
 * between the sidecar's write and the entry's removal. */
static void
reconcile(struct pass *ps, struct item *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		cJSON *o = sidecar_read_json(json_str(v[i].en, "sidecar"), NULL);
		const cJSON *r = cJSON_GetObjectItemCaseSensitive(
		    cJSON_GetObjectItemCaseSensitive(o, json_str(v[i].en, "block")), ps->t->name);
		if (json_str(r, "state") && strcmp(json_str(r, "state"), "pinned") == 0 && json_str(r, "cid") &&
		    cid_str_equal(json_str(r, "cid"), json_str(v[i].en, "cid")) && unlink(v[i].path) == 0)
			v[i].gone = 1;
		cJSON_Delete(o);
	}
}

static void
tally(struct pass *ps, const struct item *v, size_t n, long long next_poll)
{
	for (size_t i = 0; i < n; i++) {
		long long due = (long long)json_num(v[i].en, "next_ms", 0);
		if (v[i].gone)
			continue;
		if (st_is(&v[i], "failed")) {
			ps->p->failed++;
			continue;
		}
		ps->p->pending++;
		if (st_is(&v[i], "pinning"))
			due = next_poll;
		if (ps->t->retry_ms > due)
			due = ps->t->retry_ms;
		if (due < ps->now)
			due = ps->now;
		if (due != LLONG_MAX && (ps->p->next_ms == 0 || due < ps->p->next_ms))
			ps->p->next_ms = due;
	}
}

/* How long until the next poll: half the youngest request's age, within
 * [remote_poll, remote_max_poll]. */
static long long
poll_interval(const struct pass *ps, const struct item *v, size_t n)
{
	long long youngest = -1, iv;

	for (size_t i = 0; i < n; i++)
		if (st_is(&v[i], "pinning")) {
			long long a = ps->now - (long long)json_num(v[i].en, "requested_ms", (double)ps->now);
			if (youngest < 0 || a < youngest)
				youngest = a;
		}
	iv = youngest / 2;
	if (iv < ps->rs->poll_min_ms)
		iv = ps->rs->poll_min_ms;
	if (iv > ps->rs->poll_max_ms)
		iv = ps->rs->poll_max_ms;
	return iv;
}

static int
work_target(struct pass *ps, struct werr *e)
{
	struct remote_target *t = ps->t;
	struct item *v;
	size_t n;
	int rc = 0;

	if (load_items(ps, &v, &n, e) < 0)
		return -1;
	if (!t->reconciled) {
		reconcile(ps, v, n);
		t->reconciled = 1;
	}
	for (size_t i = 0; i < n && rc == 0 && ps->now >= t->retry_ms; i++)
		if (st_is(&v[i], "queued") && json_num(v[i].en, "next_ms", 0) <= (double)ps->now)
			rc = request_one(ps, &v[i], e) < 0 ? -1 : 0;
	if (rc == 0 && ps->now >= t->retry_ms && ps->now >= t->poll_ms)
		rc = poll_all(ps, v, n, e);
	if (rc == 0 && ps->now >= t->poll_ms)
		t->poll_ms = ps->now + poll_interval(ps, v, n);
	tally(ps, v, n, t->poll_ms);
	items_free(v, n);
	return rc;
}

int
remote_work(struct remote_set *rs, remote_note_fn fn, void *ctx, struct remote_pass *p,
    struct werr *e)
{
	struct pass ps = { .rs = rs, .fn = fn, .ctx = ctx, .p = p };

	memset(p, 0, sizeof *p);
	for (size_t i = 0; i < rs->n; i++) {
		ps.t = &rs->t[i];
		ps.now = wall_ms();
		if (rs->t[i].retry_ms == LLONG_MAX)
			p->auth_failed = 1;
		if (work_target(&ps, e) < 0)
			return -1;
	}
	return 0;
}
