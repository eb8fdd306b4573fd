/* ipns: key, publish (debounced), republish and status of the node's IPNS
 * name. See ipns.h for the files and the debounce protocol. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>
#include "base/atomicio.h"
#include "base/clock.h"
#include "site/ipns.h"
#include "base/json.h"
#include "base/eventlog.h"
#include "base/path.h"

/* HOME/state/FILE into buf; with make, the state directory is made first. */
static int
state_path(const char *home, const char *file, int make, char *buf, size_t len, struct werr *e)
{
	if (path_join(buf, len, home, "state", e) < 0 || (make && mkdir_p(buf, 0755, e) < 0))
		return -1;
	return path_fmt(buf, len, e, "%s/state/%s", home, file);
}

/* A JSON file, or *out = NULL when it does not exist. */
static int
json_load(const char *path, cJSON **out, struct werr *e)
{
	char *text;
	size_t len;

	*out = NULL;
	if (access(path, F_OK) < 0 && errno == ENOENT)
		return 0;
	if (read_file(path, &text, &len, e) < 0)
		return -1;
	*out = cJSON_ParseWithLength(text, len);
	free(text);
	if (!*out || !cJSON_IsObject(*out)) {
		cJSON_Delete(*out);
		*out = NULL;
		return werr_set(e, EX_DATAERR, "%s: not a JSON object", path);
	}
	return 0;
}

static int
json_save(const char *home, const char *file, const cJSON *o, struct werr *e)
{
	char path[PATH_MAX];
	char *text;
	int rc;

	if (state_path(home, file, 1, path, sizeof path, e) < 0)
		return -1;
	if (!(text = cJSON_Print(o)))
		return werr_set(e, EX_OSERR, "%s: out of memory", path);
	size_t n = strlen(text);
	text[n] = '\n'; /* cJSON_Print leaves room: replace NUL by newline */
	rc = atomic_write(path, text, n + 1, e);
	free(text);
	return rc;
}

static double
jnum(const cJSON *o, const char *k, double dflt)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
	return cJSON_IsNumber(v) ? v->valuedouble : dflt;
}

static void
jset(cJSON *o, const char *k, cJSON *v)
{
	if (cJSON_HasObjectItem(o, k))
		cJSON_ReplaceItemInObjectCaseSensitive(o, k, v);
	else
		cJSON_AddItemToObject(o, k, v);
}

void
ipns_duration(int64_t ms, char *buf, size_t len)
{
	if (ms % 1000 == 0)
		snprintf(buf, len, "%llds", (long long)(ms / 1000));
	else
		snprintf(buf, len, "%lldms", (long long)ms);
}

int
ipns_key(struct kubo *k, const char *name, struct kubo_key *out, int *created, struct werr *e)
{
	int found = 0;

	if (created)
		*created = 0;
	if (kubo_key_find(k, name, out, &found, e) < 0)
		return werr_prefix(e, "key %s", name);
	if (found)
		return 0;
	if (strcmp(name, "self") == 0)
		return werr_set(e, EX_PROTOCOL, "key self: the daemon lists no identity key");
	if (kubo_key_gen(k, name, out, e) < 0)
		return werr_prefix(e, "key %s", name);
	if (created)
		*created = 1;
	return 0;
}

int
ipns_current_root(const char *home, char *cid, size_t len, struct werr *e)
{
	char path[PATH_MAX];
	cJSON *o;
	const char *s;

	if (state_path(home, "root.json", 0, path, sizeof path, e) < 0 || json_load(path, &o, e) < 0)
		return -1;
	if (!o)
		return werr_set(e, EX_NOINPUT, "%s: no root yet (run wanda-dag root)", path);
	s = json_str(o, "cid");
	if (!s || !*s || strlen(s) >= len) {
		cJSON_Delete(o);
		return werr_set(e, EX_DATAERR, "%s: no \"cid\" string", path);
	}
	snprintf(cid, len, "%s", s);
	cJSON_Delete(o);
	return 0;
}

int
ipns_state_load(const char *home, cJSON **st, struct werr *e)
{
	char path[PATH_MAX];

	if (state_path(home, "ipns.json", 0, path, sizeof path, e) < 0 || json_load(path, st, e) < 0)
		return -1;
	if (!*st && !(*st = cJSON_CreateObject()))
		return werr_set(e, EX_OSERR, "out of memory");
	return 0;
}

/* The lock file's fd, locked; -1 with e set, or -2 when nonblock and busy. */
static int
lock_take(const char *home, int nonblock, struct werr *e)
{
	char path[PATH_MAX];
	int fd;

	if (state_path(home, "ipns.lock", 1, path, sizeof path, e) < 0)
		return -1;
	if ((fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644)) < 0)
		return werr_sys(e, EX_CANTCREAT, "%s", path);
	while (flock(fd, LOCK_EX | (nonblock ? LOCK_NB : 0)) < 0) {
		if (errno == EINTR)
			continue;
		int busy = errno == EWOULDBLOCK;
		close(fd);
		if (busy)
			return -2;
		return werr_sys(e, EX_OSERR, "%s: flock", path);
	}
	return fd;
}

int
ipns_mark_pending(const char *home, const char *cid, struct werr *e)
{
	char path[PATH_MAX];

	if (state_path(home, "ipns.pending", 1, path, sizeof path, e) < 0)
		return -1;
	return atomic_write(path, cid ? cid : "", cid ? strlen(cid) : 0, e);
}

static int
marker_exists(const char *home)
{
	char path[PATH_MAX];

	return state_path(home, "ipns.pending", 0, path, sizeof path, NULL) == 0 && access(path, F_OK) == 0;
}

/* Take the marker away (rename first, so a caller marking now makes a new
 * one) and return its explicit CID in cid ("" = the current root).
 * Returns 1 when there was a marker, 0 when not, -1 on error. */
static int
marker_take(const char *home, char *cid, size_t len, struct werr *e)
{
	char path[PATH_MAX], taken[PATH_MAX];
	char *text;
	size_t n;

	cid[0] = '\0';
	if (state_path(home, "ipns.pending", 0, path, sizeof path, e) < 0 ||
	    state_path(home, "ipns.pending.taken", 0, taken, sizeof taken, e) < 0)
		return -1;
	if (rename(path, taken) < 0) {
		if (errno == ENOENT)
			return 0;
		return werr_sys(e, EX_OSERR, "%s", path);
	}
	if (read_file(taken, &text, &n, e) < 0)
		return -1;
	unlink(taken);
	if (n > 0 && n < len)
		snprintf(cid, len, "%.*s", (int)strcspn(text, " \t\r\n"), text);
	free(text);
	return 1;
}

/* Publish cid with the lock held; records the outcome in st and saves it
 * (a failure too: last_error and attempt_ms). */
static int
publish_locked(struct kubo *k, const struct ipns_cfg *c, const char *cid, cJSON *st,
    cJSON **line, struct werr *e)
{
	char path[KUBO_NAME_MAX], name[KUBO_NAME_MAX], value[KUBO_NAME_MAX];
	char lifetime[32], ttl[32], when[40];
	struct kubo_publish_opts po = { 0 };
	long long t0 = mono_ms(), now = wall_ms();
	struct werr se = { 0 };
	int rc;

	snprintf(path, sizeof path, "/ipfs/%s", cid);
	ipns_duration(c->lifetime_ms, lifetime, sizeof lifetime);
	ipns_duration(c->ttl_ms, ttl, sizeof ttl);
	po.key = c->key;
	po.lifetime = lifetime;
	po.ttl = ttl;
	po.allow_offline = c->allow_offline;
	rfc3339_ms(now, when, sizeof when);
	jset(st, "attempt_ms", cJSON_CreateNumber((double)now));
	jset(st, "last_attempt_at", cJSON_CreateString(when));
	rc = kubo_name_publish(k, path, &po, name, value, e);
	if (rc < 0) {
		werr_prefix(e, "publish %s", path);
		jset(st, "last_error", cJSON_CreateString(e->msg));
		json_save(c->home, "ipns.json", st, &se);
		return -1;
	}
	double seq = jnum(st, "sequence", 0) + 1;
	jset(st, "key", cJSON_CreateString(c->key));
	jset(st, "name", cJSON_CreateString(name));
	jset(st, "value", cJSON_CreateString(path));
	jset(st, "cid", cJSON_CreateString(cid));
	jset(st, "sequence", cJSON_CreateNumber(seq));
	jset(st, "published_at", cJSON_CreateString(when));
	jset(st, "published_ms", cJSON_CreateNumber((double)now));
	jset(st, "lifetime", cJSON_CreateString(lifetime));
	jset(st, "lifetime_ms", cJSON_CreateNumber((double)c->lifetime_ms));
	jset(st, "ttl", cJSON_CreateString(ttl));
	cJSON_DeleteItemFromObjectCaseSensitive(st, "last_error");
	if (json_save(c->home, "ipns.json", st, e) < 0)
		return -1;
	*line = cJSON_CreateObject();
	cJSON_AddBoolToObject(*line, "published", 1);
	cJSON_AddStringToObject(*line, "key", c->key);
	cJSON_AddStringToObject(*line, "name", name);
	cJSON_AddStringToObject(*line, "value", path);
	cJSON_AddStringToObject(*line, "cid", cid);
	cJSON_AddNumberToObject(*line, "sequence", seq);
	cJSON_AddStringToObject(*line, "published_at", when);
	cJSON_AddNumberToObject(*line, "published_ms", (double)now);
	cJSON_AddStringToObject(*line, "lifetime", lifetime);
	cJSON_AddStringToObject(*line, "ttl", ttl);
	cJSON_AddNumberToObject(*line, "ms", (double)(mono_ms() - t0));
	{ /* for wanda-serve's live view; not being able to log is no failure */
		cJSON *ev = event_new("ipns_published");
		cJSON_AddStringToObject(ev, "name", name);
		cJSON_AddStringToObject(ev, "value", path);
		cJSON_AddStringToObject(ev, "cid", cid);
		event_append(c->home, ev, NULL);
		cJSON_Delete(ev);
	}
	return 0;
}

int
ipns_publish(struct kubo *k, const struct ipns_cfg *c, const char *cid, cJSON **line, struct werr *e)
{
	cJSON *st = NULL;
	int fd, rc = -1;

	if ((fd = lock_take(c->home, 0, e)) < 0)
		return -1;
	if (ipns_state_load(c->home, &st, e) == 0)
		rc = publish_locked(k, c, cid, st, line, e);
	cJSON_Delete(st);
	close(fd);
	return rc;
}

static void
sleep_until(long long wall_deadline, int64_t cap_ms)
{
	long long left = wall_deadline - wall_ms();

	if (left > cap_ms)
		left = cap_ms; /* a clock step must not make us sleep for days */
	while (left > 0) {
		struct timespec ts = { left / 1000, (left % 1000) * 1000000L };
		if (nanosleep(&ts, NULL) == 0)
			break;
		left = wall_deadline - wall_ms();
	}
}

/* Is there anything to publish: a marker, or a root that differs from the
 * last published one? */
static int
pending(const struct ipns_cfg *c, const cJSON *st)
{
	char root[KUBO_CID_MAX];
	struct werr e = { 0 };
	const char *last = json_str(st, "cid");

	if (marker_exists(c->home))
		return 1;
	if (ipns_current_root(c->home, root, sizeof root, &e) < 0)
		return 0;
	return !last || strcmp(root, last) != 0 || json_str(st, "last_error") != NULL;
}

static cJSON *
error_line(const char *cid, const struct werr *e, int fails, int retries)
{
	cJSON *o = cJSON_CreateObject(), *err = cJSON_AddObjectToObject(o, "error");

	cJSON_AddBoolToObject(o, "published", 0);
	if (cid && *cid)
		cJSON_AddStringToObject(o, "cid", cid);
	cJSON_AddNumberToObject(err, "code", e->code);
	cJSON_AddStringToObject(err, "message", e->msg);
	cJSON_AddNumberToObject(err, "attempt", fails);
	cJSON_AddBoolToObject(err, "retrying", fails <= retries);
	return o;
}

/* What to publish next: the marker's explicit CID, else the current root
 * (the marker is taken first, so a caller that updates the root and then
 * marks is never missed). Returns 1 with target set (*explicit when it came
 * from a marker), 0 when there is nothing new, -1 on error. */
static int
next_target(const struct ipns_cfg *c, const cJSON *st, char *target, size_t len,
    int *explicit, struct werr *e)
{
	int marked = marker_take(c->home, target, len, e);
	const char *last = json_str(st, "cid");

	if (marked < 0)
		return -1;
	if ((*explicit = target[0] != '\0'))
		return 1;
	if (ipns_current_root(c->home, target, len, e) < 0)
		return -1;
	if (last && strcmp(target, last) == 0 && !json_str(st, "last_error"))
		return 0; /* already published, nothing new */
	return 1;
}

/* One round: find a target, wait out the period, take the latest target
 * (what arrived while waiting wins), publish it. 0 nothing to do, 1 done. */
static int
round_once(struct kubo *k, const struct ipns_cfg *c, int64_t period_ms, char *target,
    size_t len, int *explicit, cJSON **line, struct werr *e)
{
	char latest[KUBO_CID_MAX];
	cJSON *st = NULL;
	int rc, ex2;

	if (ipns_state_load(c->home, &st, e) < 0)
		return -1;
	if ((rc = next_target(c, st, target, len, explicit, e)) <= 0)
		goto out;
	sleep_until((long long)jnum(st, "attempt_ms", 0) + period_ms, period_ms);
	struct werr le = { 0 };
	if (next_target(c, st, latest, sizeof latest, &ex2, &le) == 1) {
		snprintf(target, len, "%s", latest);
		*explicit = ex2;
	}
	rc = publish_locked(k, c, target, st, line, e) < 0 ? -1 : 1;
out:
	cJSON_Delete(st);
	return rc;
}

/* The publisher's loop, lock held. */
static int
publisher(struct kubo *k, const struct ipns_cfg *c, int64_t period_ms, int retries,
    ipns_emit_fn emit, void *ctx, struct werr *e)
{
	char target[KUBO_CID_MAX];
	int fails = 0, explicit = 0;

	for (;;) {
		cJSON *line = NULL;
		int rc;

		target[0] = '\0';
		rc = round_once(k, c, period_ms, target, sizeof target, &explicit, &line, e);
		if (rc == 0)
			return 0;
		if (rc < 0) {
			struct werr pe = *e;
			fails++;
			ipns_mark_pending(c->home, explicit ? target : NULL, e);
			*e = pe;
			if (emit(ctx, error_line(target, &pe, fails, retries), e) < 0 || fails > retries ||
			    pe.code == EX_NOINPUT)
				return werr_set(e, pe.code == EX_NOINPUT ? EX_NOINPUT : EX_TEMPFAIL, "%s", pe.msg);
			continue;
		}
		fails = 0;
		if (emit(ctx, line, e) < 0)
			return -1;
	}
}

int
ipns_debounced(struct kubo *k, const struct ipns_cfg *c, const char *cid, int64_t period_ms,
    int retries, ipns_emit_fn emit, void *ctx, int *publisher_out, struct werr *e)
{
	*publisher_out = 0;
	if (ipns_mark_pending(c->home, cid, e) < 0)
		return -1;
	for (;;) {
		int fd = lock_take(c->home, 1, e), rc;

		if (fd == -2)
			return 0; /* the publisher at work will see our marker */
		if (fd < 0)
			return -1;
		*publisher_out = 1;
		rc = publisher(k, c, period_ms, retries, emit, ctx, e);
		close(fd);
		if (rc < 0)
			return -1;
		if (!marker_exists(c->home))
			return 0;
	}
}

int
ipns_republish(struct kubo *k, const struct ipns_cfg *c, int64_t before_ms, int force,
    cJSON **line, struct werr *e)
{
	char target[KUBO_CID_MAX];
	struct werr re = { 0 };
	cJSON *st = NULL;
	int fd, rc = 0;

	if ((fd = lock_take(c->home, 0, e)) < 0)
		return -1;
	if (ipns_state_load(c->home, &st, e) < 0) {
		close(fd);
		return -1;
	}
	const char *last = json_str(st, "cid");
	if (ipns_current_root(c->home, target, sizeof target, &re) < 0) {
		if (!last) {
			*e = re;
			rc = -1;
			goto out;
		}
		snprintf(target, sizeof target, "%s", last);
	}
	double lifetime = jnum(st, "lifetime_ms", (double)c->lifetime_ms);
	double age = (double)wall_ms() - jnum(st, "published_ms", 0);
	double threshold = before_ms > 0 ? (double)before_ms : lifetime / 2;
	int due = force || !last || strcmp(target, last) != 0 || lifetime - age <= threshold ||
	    marker_exists(c->home);
	if (due) {
		char dummy[KUBO_CID_MAX];
		marker_take(c->home, dummy, sizeof dummy, &re);
		if ((rc = publish_locked(k, c, target, st, line, e)) < 0)
			ipns_mark_pending(c->home, NULL, &re);
		else
			cJSON_AddBoolToObject(*line, "republished", 1);
	} else {
		*line = cJSON_CreateObject();
		cJSON_AddBoolToObject(*line, "republished", 0);
		cJSON_AddStringToObject(*line, "cid", target);
		cJSON_AddNumberToObject(*line, "age_s", (long long)(age / 1000));
		cJSON_AddNumberToObject(*line, "expires_in_s", (long long)((lifetime - age) / 1000));
	}
out:
	cJSON_Delete(st);
	close(fd);
	return rc;
}

int
ipns_status(const struct ipns_cfg *c, cJSON **line, struct werr *e)
{
	char root[KUBO_CID_MAX];
	struct werr re = { 0 };
	cJSON *st = NULL, *o;
	const char *s;

	if (ipns_state_load(c->home, &st, e) < 0)
		return -1;
	o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "key", (s = json_str(st, "key")) ? s : c->key);
	if ((s = json_str(st, "name")))
		cJSON_AddStringToObject(o, "name", s);
	if ((s = json_str(st, "value")))
		cJSON_AddStringToObject(o, "value", s);
	cJSON_AddNumberToObject(o, "sequence", jnum(st, "sequence", 0));
	if ((s = json_str(st, "published_at"))) {
		cJSON_AddStringToObject(o, "published_at", s);
		cJSON_AddNumberToObject(o, "age_s",
		    (long long)((wall_ms() - (long long)jnum(st, "published_ms", 0)) / 1000));
	}
	if (ipns_current_root(c->home, root, sizeof root, &re) == 0)
		cJSON_AddStringToObject(o, "root", root);
	cJSON_AddBoolToObject(o, "pending", pending(c, st));
	if ((s = json_str(st, "last_error")))
		cJSON_AddStringToObject(o, "last_error", s);
	if ((s = json_str(st, "last_attempt_at")))
		cJSON_AddStringToObject(o, "last_attempt_at", s);
	cJSON_Delete(st);
	*line = o;
	return 0;
}
