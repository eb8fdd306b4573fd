/* remote: targets from the configuration, entry files, enqueue, retry.
 * See remote.h. */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "base/atomicio.h"
#include "base/clock.h"
#include "base/path.h"
#include "ipld/cid.h"
#include "remote/remote_int.h"
#include "spool/sidecar.h"
#include "spool/spool.h"

/* ---- configuration ------------------------------------------------------ */

struct names {
	char v[REMOTE_MAX_TARGETS + 1][64];
	size_t n;
	int bad;
};

/* remote.NAME.url: collect NAME. */
static void
name_of(void *ctx, const char *key, const char *value)
{
	struct names *nm = ctx;
	const char *dot = strrchr(key, '.');
	size_t l;

	(void)value;
	if (dot == NULL || strcmp(dot, ".url") != 0 || (l = (size_t)(dot - key) - 7) == 0 || l >= 64) {
		nm->bad |= dot != NULL && strcmp(dot, ".url") == 0;
		return;
	}
	if (nm->n < REMOTE_MAX_TARGETS + 1)
		snprintf(nm->v[nm->n++], 64, "%.*s", (int)l, key + 7);
}

static const char *
tkey(const struct config *c, const char *name, const char *field, const char *dflt)
{
	char k[160];

	snprintf(k, sizeof k, "remote.%s.%s", name, field);
	return config_get_or(c, k, dflt);
}

/* The token file: one line, not readable by others. */
static int
read_token(struct remote_target *t, const char *path, struct werr *e)
{
	struct stat st;
	char *buf;
	size_t len;

	if (stat(path, &st) < 0)
		return werr_sys(e, EX_CONFIG, "remote.%s.token_file: %s", t->name, path);
	if (st.st_mode & 0077)
		return werr_set(e, EX_CONFIG, "remote.%s.token_file: %s: readable by others (chmod 600)",
		    t->name, path);
	if (read_file(path, &buf, &len, e) < 0)
		return werr_prefix(e, "remote.%s.token_file", t->name);
	while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\r' || buf[len - 1] == ' '))
		buf[--len] = '\0';
	if (len == 0 || len >= sizeof t->token || strpbrk(buf, "\r\n")) {
		free(buf);
		return werr_set(e, EX_CONFIG, "remote.%s.token_file: %s: not one line of at most %zu bytes",
		    t->name, path, sizeof t->token - 1);
	}
	memcpy(t->token, buf, len + 1);
	free(buf);
	return 0;
}

static int
load_target(const struct config *c, const char *name, struct remote_target *t, struct werr *e)
{
	const char *url = tkey(c, name, "url", ""), *kind = tkey(c, name, "kind", "cluster");
	const char *auth = tkey(c, name, "auth", "bearer"), *tf = tkey(c, name, "token_file", NULL);
	char what[160];
	size_t l;

	memset(t, 0, sizeof *t);
	snprintf(t->name, sizeof t->name, "%s", name);
	if (!spool_id_valid(name))
		return werr_set(e, EX_CONFIG, "remote.%s: a target name is letters, digits, '-' and '_'", name);
	if ((strncmp(url, "http://", 7) && strncmp(url, "https://", 8)) || strlen(url) >= sizeof t->url)
		return werr_set(e, EX_CONFIG, "remote.%s.url: '%s' is not an http(s) URL", name, url);
	snprintf(t->url, sizeof t->url, "%s", url);
	while ((l = strlen(t->url)) > 0 && t->url[l - 1] == '/')
		t->url[l - 1] = '\0';
	if (strcmp(kind, "cluster") && strcmp(kind, "psa"))
		return werr_set(e, EX_CONFIG, "remote.%s.kind: '%s' is not cluster or psa", name, kind);
	t->kind = strcmp(kind, "psa") == 0 ? REMOTE_PSA : REMOTE_CLUSTER;
	if (strcmp(auth, "bearer") && strcmp(auth, "basic"))
		return werr_set(e, EX_CONFIG, "remote.%s.auth: '%s' is not bearer or basic", name, auth);
	t->basic = strcmp(auth, "basic") == 0;
	if (tf && read_token(t, tf, e) < 0)
		return -1;
	snprintf(what, sizeof what, "remote.%s.replication_min", name);
	if (parse_long(tkey(c, name, "replication_min", "2"), -1, 1000, &t->rmin, what, e) < 0)
		return -1;
	snprintf(what, sizeof what, "remote.%s.replication_max", name);
	if (parse_long(tkey(c, name, "replication_max", "3"), -1, 1000, &t->rmax, what, e) < 0)
		return -1;
	if (t->rmin == 0 || (t->rmax != -1 && t->rmax < t->rmin))
		return werr_set(e, EX_CONFIG, "remote.%s: replication_min must be -1 or 1..replication_max",
		    name);
	snprintf(what, sizeof what, "remote.%s.confirm_timeout", name);
	if (parse_duration_ms(tkey(c, name, "confirm_timeout", "10m"), &t->confirm_timeout_ms, what, e) < 0)
		return -1;
	snprintf(what, sizeof what, "remote.%s.max_requests", name);
	if (parse_long(tkey(c, name, "max_requests", "3"), 1, 1000, &t->max_requests, what, e) < 0)
		return -1;
	if (t->rmin < 0)
		t->rmin = 1; /* pinned everywhere: one peer reporting pinned is the least */
	return 0;
}

static int
load_timing(const struct config *c, struct remote_set *rs, struct werr *e)
{
	if (parse_duration_ms(config_get_or(c, "remote_poll", "500ms"), &rs->poll_min_ms, "remote_poll", e) < 0 ||
	    parse_duration_ms(config_get_or(c, "remote_max_poll", "30s"), &rs->poll_max_ms, "remote_max_poll", e) < 0 ||
	    parse_duration_ms(config_get_or(c, "remote_backoff", "1s"), &rs->backoff_min_ms, "remote_backoff", e) < 0 ||
	    parse_duration_ms(config_get_or(c, "remote_max_backoff", "5m"), &rs->backoff_max_ms,
	        "remote_max_backoff", e) < 0)
		return -1;
	if (rs->poll_min_ms <= 0 || rs->backoff_min_ms <= 0)
		return werr_set(e, EX_CONFIG, "remote_poll and remote_backoff must be positive");
	if (rs->poll_max_ms < rs->poll_min_ms)
		rs->poll_max_ms = rs->poll_min_ms;
	if (rs->backoff_max_ms < rs->backoff_min_ms)
		rs->backoff_max_ms = rs->backoff_min_ms;
	return 0;
}

int
remote_load(const struct config *c, const char *only, struct remote_set *rs, struct werr *e)
{
	struct names nm = { 0 };

	memset(rs, 0, sizeof *rs);
	if (path_fmt(rs->home, sizeof rs->home, e, "%s", config_home(c)) < 0)
		return -1;
	if (gethostname(rs->node, sizeof rs->node) < 0)
		snprintf(rs->node, sizeof rs->node, "wanda");
	rs->node[sizeof rs->node - 1] = '\0';
	snprintf(rs->node, sizeof rs->node, "%s", config_get_or(c, "node_name", rs->node));
	if (config_api_url(c, rs->api, sizeof rs->api, e) < 0 || load_timing(c, rs, e) < 0)
		return -1;
	/* this node's addresses are a hint: 3 s, no retry, and a pin request
	 * goes without them (wanda-remote's --timeout and --retries replace it) */
	kubo_opts_for_timeout(&rs->kubo, 3000);
	rs->kubo.retries = 0;
	config_each(c, "remote.", name_of, &nm);
	if (nm.bad)
		return werr_set(e, EX_CONFIG, "remote.NAME.url: a target name must be 1-63 characters");
	if (nm.n > REMOTE_MAX_TARGETS)
		return werr_set(e, EX_CONFIG, "at most %d remote targets", REMOTE_MAX_TARGETS);
	for (size_t i = 0; i < nm.n; i++) {
		if (only && strcmp(only, nm.v[i]) != 0)
			continue;
		if (load_target(c, nm.v[i], &rs->t[rs->n], e) < 0)
			return -1;
		rs->n++;
	}
	if (only && rs->n == 0)
		return werr_set(e, EX_CONFIG, "remote %s: no remote.%s.url in the configuration", only, only);
	return 0;
}

void
remote_free(struct remote_set *rs)
{
	cJSON_Delete(rs->origins);
	rs->origins = NULL;
}

size_t
remote_target_names(const struct remote_set *rs, const char **names, size_t max)
{
	size_t i;

	for (i = 0; rs && i < rs->n && i < max; i++)
		names[i] = rs->t[i].name;
	return i;
}

/* ---- files -------------------------------------------------------------- */

int
rentry_dir(const struct remote_set *rs, const struct remote_target *t, char *buf, size_t len)
{
	return path_fmt(buf, len, NULL, "%s/remote/%s", rs->home, t->name);
}

int
rentry_next(DIR *dp, const char *dir, char *path, size_t len, cJSON **en)
{
	struct dirent *d;
	char *buf;
	size_t l, n;

	while ((d = readdir(dp)) != NULL) {
		l = strlen(d->d_name);
		if (d->d_name[0] == '.' || l < 6 || strcmp(d->d_name + l - 5, ".json") ||
		    strcmp(d->d_name, "health.json") == 0)
			continue;
		path_fmt(path, len, NULL, "%s/%s", dir, d->d_name);
		if (read_file(path, &buf, &n, NULL) < 0)
			continue;
		*en = n < RENTRY_MAX ? cJSON_Parse(buf) : NULL;
		free(buf);
		return 1;
	}
	return 0;
}

int
rentry_write(const char *path, const cJSON *entry, struct werr *e)
{
	char *s = cJSON_PrintUnformatted(entry);
	int rc;

	if (s == NULL)
		return werr_set(e, EX_OSERR, "%s: out of memory", path);
	rc = atomic_write(path, s, strlen(s), e);
	free(s);
	return rc;
}

cJSON *
rhealth_read(const struct remote_set *rs, const struct remote_target *t)
{
	char dir[PATH_MAX], path[PATH_MAX], *buf;
	size_t len;
	cJSON *o;

	if (rentry_dir(rs, t, dir, sizeof dir) < 0)
		return NULL;
	path_fmt(path, sizeof path, NULL, "%s/health.json", dir);
	if (read_file(path, &buf, &len, NULL) < 0)
		return NULL;
	o = len < 65536 ? cJSON_Parse(buf) : NULL;
	free(buf);
	return o;
}

/* Written when the state changes or a contact succeeds after a failure,
 * not on every call. */
int
rhealth_write(const struct remote_set *rs, struct remote_target *t, const char *state,
    const char *error, struct werr *e)
{
	char dir[PATH_MAX], path[PATH_MAX], now[40];
	cJSON *o = rhealth_read(rs, t), *n;
	const char *old = json_str(o, "state"), *ok = json_str(o, "last_ok_at");
	int rc;

	if (old && strcmp(old, state) == 0 && strcmp(state, "ok") == 0) {
		cJSON_Delete(o);
		snprintf(t->health, sizeof t->health, "%s", state);
		return 0;
	}
	rfc3339_ms(wall_ms(), now, sizeof now);
	n = cJSON_CreateObject();
	cJSON_AddStringToObject(n, "state", state);
	cJSON_AddStringToObject(n, "since", old && strcmp(old, state) == 0 && json_str(o, "since") ? json_str(o, "since") : now);
	if (strcmp(state, "ok") == 0)
		cJSON_AddStringToObject(n, "last_ok_at", now);
	else if (ok)
		cJSON_AddStringToObject(n, "last_ok_at", ok);
	if (error)
		cJSON_AddStringToObject(n, "error", error);
	cJSON_Delete(o);
	if (rentry_dir(rs, t, dir, sizeof dir) < 0 || mkdir_p(dir, 0755, e) < 0) {
		cJSON_Delete(n);
		return werr_set(e, EX_CANTCREAT, "%s: cannot create", dir);
	}
	rc = path_join(path, sizeof path, dir, "health.json", e);
	if (rc == 0)
		rc = rentry_write(path, n, e);
	cJSON_Delete(n);
	if (rc == 0)
		snprintf(t->health, sizeof t->health, "%s", state);
	return rc;
}

/* ---- enqueue ------------------------------------------------------------ */

/* The sidecar already shows this target holding this CID pinned. */
static int
already_pinned(const char *sidecar, const char *block, const char *target, const char *cid)
{
	cJSON *o = sidecar_read_json(sidecar, NULL);
	const cJSON *r = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(o, block), target);
	const char *st = json_str(r, "state"), *c = json_str(r, "cid");
	int yes = st && c && strcmp(st, "pinned") == 0 && cid_str_equal(c, cid);

	cJSON_Delete(o);
	return yes;
}

cJSON *
record_of(const struct remote_target *t, const cJSON *en, const char *state)
{
	cJSON *r = cJSON_CreateObject();

	cJSON_AddStringToObject(r, "target", t->name);
	cJSON_AddStringToObject(r, "kind", t->kind == REMOTE_CLUSTER ? "cluster" : "psa");
	cJSON_AddStringToObject(r, "cid", json_str(en, "cid"));
	cJSON_AddStringToObject(r, "state", state);
	if (json_str(en, "request_id"))
		cJSON_AddStringToObject(r, "request_id", json_str(en, "request_id"));
	return r;
}

static int
enqueue_one(struct remote_set *rs, struct remote_target *t, const cJSON *res, const char *block,
    struct werr *e)
{
	const char *id = json_str(res, "id"), *cid = json_str(res, "cid"), *sc = json_str(res, "sidecar");
	char dir[PATH_MAX], path[PATH_MAX];
	cJSON *en, *rec;
	int rc;

	if (already_pinned(sc, block, t->name, cid))
		return 0;
	if (rentry_dir(rs, t, dir, sizeof dir) < 0 || mkdir_p(dir, 0755, e) < 0)
		return werr_prefix(e, "remote %s", t->name);
	if (path_fmt(path, sizeof path, e, "%s/%s.json", dir, id) < 0)
		return -1;
	en = cJSON_CreateObject();
	cJSON_AddStringToObject(en, "id", id);
	cJSON_AddStringToObject(en, "cid", cid);
	cJSON_AddStringToObject(en, "sidecar", sc);
	cJSON_AddStringToObject(en, "block", block);
	cJSON_AddStringToObject(en, "session", json_str(res, "session") ? json_str(res, "session") : "");
	cJSON_AddStringToObject(en, "state", "queued");
	cJSON_AddNumberToObject(en, "requests", 0);
	cJSON_AddNumberToObject(en, "next_ms", 0);
	cJSON_AddNumberToObject(en, "enqueued_ms", (double)wall_ms());
	/* the entry first: a crash after it re-records "queued", never loses it */
	rc = rentry_write(path, en, e);
	rec = record_of(t, en, "queued");
	if (rc == 0 && sidecar_update_nested(sc, block, t->name, rec, e) < 0 && e->code != EX_NOINPUT)
		rc = -1;
	cJSON_Delete(rec);
	cJSON_Delete(en);
	return rc < 0 ? -1 : 1;
}

int
remote_enqueue(struct remote_set *rs, const cJSON *res, struct werr *e)
{
	const char *id = json_str(res, "id"), *cid = json_str(res, "cid"), *sc = json_str(res, "sidecar");
	const char *kind = json_str(res, "kind"), *block;
	struct cid parsed;
	int n = 0, r;

	if (rs->n == 0 || cJSON_GetObjectItemCaseSensitive(res, "error") ||
	    cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(res, "queued")) ||
	    !id || !cid || !sc || !spool_id_valid(id) || cid_parse(cid, &parsed, NULL) < 0)
		return 0; /* not a local success of a capture: not ours */
	/* the line names the sidecar to update: only one of ours, never
	 * whatever file a line on stdin names */
	if (!sidecar_is_ours(rs->home, sc))
		return werr_set(e, EX_DATAERR, "%s: not a sidecar under %s/captures", sc, rs->home);
	if (kind && strcmp(kind, "capture") && strcmp(kind, "raw"))
		return 0;
	block = kind && strcmp(kind, "raw") == 0 ? "raw_remote" : "remote";
	for (size_t i = 0; i < rs->n; i++) {
		if ((r = enqueue_one(rs, &rs->t[i], res, block, e)) < 0)
			return -1;
		n += r;
	}
	return n;
}

/* ---- retry -------------------------------------------------------------- */

static int
retry_dir(struct remote_set *rs, struct remote_target *t, size_t *n, struct werr *e)
{
	char dir[PATH_MAX], path[PATH_MAX];
	cJSON *en;
	DIR *dp;
	int rc = 0;

	if (rentry_dir(rs, t, dir, sizeof dir) < 0 || (dp = opendir(dir)) == NULL)
		return 0;
	while (rc == 0 && rentry_next(dp, dir, path, sizeof path, &en)) {
		if (json_str(en, "state") && strcmp(json_str(en, "state"), "failed") == 0) {
			cJSON_ReplaceItemInObjectCaseSensitive(en, "state", cJSON_CreateString("queued"));
			cJSON_ReplaceItemInObjectCaseSensitive(en, "requests", cJSON_CreateNumber(0));
			cJSON_ReplaceItemInObjectCaseSensitive(en, "next_ms", cJSON_CreateNumber(0));
			cJSON_DeleteItemFromObjectCaseSensitive(en, "error");
			rc = rentry_write(path, en, e);
			(*n)++;
		}
		cJSON_Delete(en);
	}
	closedir(dp);
	return rc;
}

int
remote_retry(struct remote_set *rs, const char *target, size_t *n, struct werr *e)
{
	*n = 0;
	for (size_t i = 0; i < rs->n; i++)
		if ((target == NULL || strcmp(target, rs->t[i].name) == 0) && retry_dir(rs, &rs->t[i], n, e) < 0)
			return -1;
	return 0;
}

/* ---- backfill ----------------------------------------------------------- */

/* One sidecar: its image, and its DNG, when the local push pinned them. */
static int
backfill_one(struct remote_set *rs, const char *side, size_t *n, struct werr *e)
{
	cJSON *sc = sidecar_read_json(side, NULL), *res;
	const char *id = json_str(sc, "id");
	char rid[256];
	int rc = 0, k;

	for (int raw = 0; id && rc == 0 && raw < 2; raw++) {
		const cJSON *b = cJSON_GetObjectItemCaseSensitive(sc, raw ? "raw_ipfs" : "ipfs");
		const char *cid = json_str(sc, raw ? "raw_cid" : "cid");
		if (!cid || !json_str(b, "state") || strcmp(json_str(b, "state"), "pinned") != 0)
			continue;
		if (raw)
			spool_raw_id(id, rid, sizeof rid);
		res = cJSON_CreateObject();
		cJSON_AddStringToObject(res, "id", raw ? rid : id);
		cJSON_AddStringToObject(res, "kind", raw ? "raw" : "capture");
		cJSON_AddStringToObject(res, "cid", cid);
		cJSON_AddStringToObject(res, "sidecar", side);
		cJSON_AddStringToObject(res, "session", json_str(sc, "session") ? json_str(sc, "session") : "");
		if ((k = remote_enqueue(rs, res, e)) < 0)
			rc = -1;
		else
			*n += (size_t)k;
		cJSON_Delete(res);
	}
	cJSON_Delete(sc);
	return rc;
}

int
remote_backfill(struct remote_set *rs, size_t *n, struct werr *e)
{
	char top[PATH_MAX], dir[PATH_MAX], side[PATH_MAX];
	struct dirent *s, *f;
	DIR *td, *sd;
	int rc = 0;

	*n = 0;
	path_fmt(top, sizeof top, NULL, "%s/captures", rs->home);
	if ((td = opendir(top)) == NULL)
		return 0;
	while (rc == 0 && (s = readdir(td)) != NULL) {
		if (s->d_name[0] == '.')
			continue;
		path_fmt(dir, sizeof dir, NULL, "%s/%s", top, s->d_name);
		if ((sd = opendir(dir)) == NULL)
			continue;
		while (rc == 0 && (f = readdir(sd)) != NULL) {
			size_t l = strlen(f->d_name);
			if (f->d_name[0] == '.' || l < 6 || strcmp(f->d_name + l - 5, ".json") != 0)
				continue;
			path_fmt(side, sizeof side, NULL, "%s/%s", dir, f->d_name);
			rc = backfill_one(rs, side, n, e);
		}
		closedir(sd);
	}
	closedir(td);
	return rc;
}
