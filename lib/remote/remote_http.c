/* remote_http: the two remote APIs over libcurl. IPFS Cluster's REST API
 * (POST /pins/{cid}?replication-min=..., GET /pins?cids=a,b as NDJSON of
 * GlobalPinInfo) and the Pinning Service API (POST /pins {cid,name,
 * origins,meta}, GET /pins?cid=a,b&status=...). Answers are bounded in
 * size and time and validated; nothing in them is used as a path. */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "base/buf.h"
#include "ipld/cid.h"
#include "remote/remote_int.h"

static size_t
body_write(char *p, size_t sz, size_t nm, void *ctx)
{
	struct rhttp *r = ctx;
	size_t n = sz * nm;
	if (r->body.len + n > REMOTE_BODY_MAX || buf_add(&r->body, p, n, NULL) < 0)
		return 0;
	return n;
}

void
rhttp_free(struct rhttp *r)
{
	buf_free(&r->body);
}

static struct curl_slist *
headers(const struct remote_target *t, const char *json)
{
	struct curl_slist *h = curl_slist_append(NULL, "Accept: application/json");
	char auth[1100];

	if (json)
		h = curl_slist_append(h, "Content-Type: application/json");
	if (t->token[0] && !t->basic) {
		snprintf(auth, sizeof auth, "Authorization: Bearer %s", t->token);
		h = curl_slist_append(h, auth);
	}
	return h;
}

int
rhttp_do(const struct remote_target *t, const char *method, const char *path, const char *json,
    struct rhttp *r, struct werr *e)
{
	char url[2048];
	struct curl_slist *h;
	CURLcode cc;
	CURL *c;

	memset(r, 0, sizeof *r);
	if (snprintf(url, sizeof url, "%s%s", t->url, path) >= (int)sizeof url)
		return werr_set(e, EX_SOFTWARE, "%s: URL too long", t->name);
	if ((c = curl_easy_init()) == NULL)
		return werr_set(e, EX_OSERR, "%s: curl init", t->name);
	h = headers(t, json);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, json ? json : (strcmp(method, "POST") == 0 ? "" : NULL));
	if (strcmp(method, "GET") == 0)
		curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
	if (t->token[0] && t->basic) {
		curl_easy_setopt(c, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
		curl_easy_setopt(c, CURLOPT_USERPWD, t->token);
	}
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, body_write);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, r);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, 5000L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 30000L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	cc = curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
	curl_easy_cleanup(c);
	curl_slist_free_all(h);
	if (cc != CURLE_OK) {
		rhttp_free(r);
		return werr_set(e, EX_UNAVAILABLE, "%s: %s: %s", t->name, t->url, curl_easy_strerror(cc));
	}
	if (r->body.p == NULL && buf_add(&r->body, "", 0, NULL) < 0)
		return werr_set(e, EX_OSERR, "%s: out of memory", t->name);
	return 0;
}

/* The error text of an answer: Cluster's {"code","message"}, the PSA's
 * {"error":{"reason","details"}}, else the start of the body. */
static void
answer_reason(const struct rhttp *r, char *buf, size_t len)
{
	cJSON *o = cJSON_Parse(r->body.p ? r->body.p : "");
	const cJSON *er = cJSON_GetObjectItemCaseSensitive(o, "error");
	const char *m = json_str(o, "message");

	if (m == NULL && cJSON_IsObject(er))
		m = json_str(er, "details") ? json_str(er, "details") : json_str(er, "reason");
	if (m == NULL && r->body.p)
		m = r->body.p;
	snprintf(buf, len, "%.200s", m ? m : "");
	for (char *p = buf; *p; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
	cJSON_Delete(o);
}

int
rhttp_fail(const struct remote_target *t, const struct rhttp *r, const char *what, struct werr *e)
{
	char why[256];

	answer_reason(r, why, sizeof why);
	if (r->status == 401 || r->status == 403)
		return werr_set(e, EX_CONFIG, "%s: %s: HTTP %ld: the target refused our credentials "
		                              "(remote.%s.token_file): %s",
		    t->name, what, r->status, t->name, why);
	if (r->status == 502 || r->status == 503 || r->status == 504 || r->status == 408 ||
	    r->status == 429)
		return werr_set(e, EX_UNAVAILABLE, "%s: %s: HTTP %ld: %s", t->name, what, r->status, why);
	return werr_set(e, EX_DATAERR, "%s: %s: HTTP %ld: %s", t->name, what, r->status, why);
}

/* ---- requests ----------------------------------------------------------- */

static void
qappend(char *buf, size_t len, const char *key, const char *val)
{
	size_t l = strlen(buf);
	char *v = curl_easy_escape(NULL, val ? val : "", 0);

	snprintf(buf + l, len - l, "%s%s=%s", strchr(buf, '?') ? "&" : "?", key, v ? v : "");
	curl_free(v);
}

static int
cluster_request(const struct remote_set *rs, const struct remote_target *t, const cJSON *en,
    char *rid, size_t len, struct werr *e)
{
	const char *cid = json_str(en, "cid");
	char path[2048], n[24];
	struct rhttp r;
	cJSON *o;
	int rc;

	snprintf(path, sizeof path, "/pins/%s", cid);
	snprintf(n, sizeof n, "%ld", t->rmin);
	qappend(path, sizeof path, "replication-min", n);
	snprintf(n, sizeof n, "%ld", t->rmax);
	qappend(path, sizeof path, "replication-max", n);
	qappend(path, sizeof path, "name", json_str(en, "id"));
	qappend(path, sizeof path, "meta-node", rs->node);
	qappend(path, sizeof path, "meta-session", json_str(en, "session"));
	qappend(path, sizeof path, "meta-capture", json_str(en, "id"));
	if (rhttp_do(t, "POST", path, NULL, &r, e) < 0)
		return -1;
	if (r.status != 200 && r.status != 202) {
		rc = rhttp_fail(t, &r, path, e);
		rhttp_free(&r);
		return rc;
	}
	o = cJSON_Parse(r.body.p);
	rc = cJSON_IsObject(o) && json_str(o, "cid") && cid_str_equal(json_str(o, "cid"), cid) ? 0 :
	                                                                                         werr_set(e, EX_PROTOCOL, "%s: POST /pins/%s: not a Cluster pin in the answer", t->name, cid);
	if (rc == 0)
		snprintf(rid, len, "%s", cid); /* Cluster names a pin by its CID */
	cJSON_Delete(o);
	rhttp_free(&r);
	return rc;
}

static int
psa_request(const struct remote_set *rs, const struct remote_target *t, const cJSON *en,
    char *rid, size_t len, struct werr *e)
{
	cJSON *b = cJSON_CreateObject(), *meta, *o;
	struct rhttp r;
	char *json;
	int rc;

	cJSON_AddStringToObject(b, "cid", json_str(en, "cid"));
	cJSON_AddStringToObject(b, "name", json_str(en, "id"));
	if (rs->origins)
		cJSON_AddItemToObject(b, "origins", cJSON_Duplicate(rs->origins, 1));
	meta = cJSON_AddObjectToObject(b, "meta");
	cJSON_AddStringToObject(meta, "node", rs->node);
	cJSON_AddStringToObject(meta, "session", json_str(en, "session") ? json_str(en, "session") : "");
	cJSON_AddStringToObject(meta, "capture", json_str(en, "id"));
	json = cJSON_PrintUnformatted(b);
	cJSON_Delete(b);
	if (json == NULL)
		return werr_set(e, EX_OSERR, "%s: out of memory", t->name);
	rc = rhttp_do(t, "POST", "/pins", json, &r, e);
	free(json);
	if (rc < 0)
		return -1;
	if (r.status != 200 && r.status != 202) {
		rc = rhttp_fail(t, &r, "POST /pins", e);
		rhttp_free(&r);
		return rc;
	}
	o = cJSON_Parse(r.body.p);
	rc = json_str(o, "requestid") && strlen(json_str(o, "requestid")) < len ? 0 :
	                                                                          werr_set(e, EX_PROTOCOL, "%s: POST /pins: no requestid in the answer", t->name);
	if (rc == 0)
		snprintf(rid, len, "%s", json_str(o, "requestid"));
	cJSON_Delete(o);
	rhttp_free(&r);
	return rc;
}

int
rapi_request(struct remote_set *rs, struct remote_target *t, const cJSON *entry,
    char *request_id, size_t len, struct werr *e)
{
	if (t->kind == REMOTE_CLUSTER)
		return cluster_request(rs, t, entry, request_id, len, e);
	return psa_request(rs, t, entry, request_id, len, e);
}

/* ---- status ------------------------------------------------------------- */

static struct rstat *
find_stat(const char *const *cids, size_t n, struct rstat *out, const char *cid)
{
	for (size_t i = 0; cid && i < n; i++)
		if (cid_str_equal(cids[i], cid))
			return &out[i];
	return NULL;
}

/* One GlobalPinInfo: pinned on >= rmin peers confirms; a pin_error on a
 * peer with nothing still on its way fails; else pinning. */
static void
cluster_one(const struct remote_target *t, const cJSON *g, struct rstat *s)
{
	const cJSON *pm = cJSON_GetObjectItemCaseSensitive(g, "peer_map"), *p;
	long pinned = 0, busy = 0, errs = 0;

	s->peers = cJSON_CreateArray();
	cJSON_ArrayForEach(p, pm)
	{
		const char *st = json_str(p, "status");
		if (st == NULL)
			continue;
		if (strcmp(st, "pinned") == 0) {
			pinned++;
			cJSON_AddItemToArray(s->peers, cJSON_CreateString(json_str(p, "peername") && *json_str(p, "peername") ? json_str(p, "peername") : p->string));
		} else if (strcmp(st, "pinning") == 0 || strcmp(st, "pin_queued") == 0 ||
		    strcmp(st, "queued") == 0) {
			busy++;
		} else if (strcmp(st, "pin_error") == 0 || strcmp(st, "cluster_error") == 0) {
			errs++;
			snprintf(s->error, sizeof s->error, "peer %.60s: %s: %.150s",
			    json_str(p, "peername") ? json_str(p, "peername") : p->string, st,
			    json_str(p, "error") ? json_str(p, "error") : "");
		}
	}
	if (pinned >= t->rmin)
		snprintf(s->state, sizeof s->state, "pinned");
	else if (errs > 0 && busy == 0)
		snprintf(s->state, sizeof s->state, "failed");
	else if (pinned + busy + errs > 0)
		snprintf(s->state, sizeof s->state, "pinning");
	if (strcmp(s->state, "pinning") == 0 && s->error[0] == '\0')
		snprintf(s->error, sizeof s->error, "pinned on %ld of %ld peers, %ld on their way",
		    pinned, t->rmin, busy);
}

static int
cluster_parse(const struct remote_target *t, char *body, const char *const *cids, size_t n,
    struct rstat *out)
{
	char *line, *save = NULL;

	/* NDJSON, one GlobalPinInfo per line */
	for (line = strtok_r(body, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		cJSON *g = cJSON_Parse(line);
		struct rstat *s = find_stat(cids, n, out, json_str(g, "cid"));
		if (s && s->peers == NULL)
			cluster_one(t, g, s);
		cJSON_Delete(g);
	}
	return 0;
}

/* GET PREFIX followed by the CIDs, comma-separated: one status call for a
 * batch, the same for Cluster and the Pinning Service API. */
static int
status_get(const struct remote_target *t, const char *prefix, const char *const *cids, size_t n,
    struct rhttp *r, struct werr *e)
{
	char path[2048];

	snprintf(path, sizeof path, "%s", prefix);
	for (size_t i = 0; i < n; i++)
		snprintf(path + strlen(path), sizeof path - strlen(path), "%s%s", i ? "," : "", cids[i]);
	return rhttp_do(t, "GET", path, NULL, r, e);
}

static int
cluster_status(const struct remote_target *t, const char *const *cids, size_t n,
    struct rstat *out, struct werr *e)
{
	struct rhttp r;
	int rc;

	if (status_get(t, "/pins?cids=", cids, n, &r, e) < 0)
		return -1;
	if (r.status != 200 && r.status != 204)
		rc = rhttp_fail(t, &r, "GET /pins", e);
	else
		rc = cluster_parse(t, r.body.p, cids, n, out);
	rhttp_free(&r);
	return rc;
}

static int
psa_parse(const struct remote_target *t, const char *body, const char *const *cids, size_t n,
    struct rstat *out, struct werr *e)
{
	cJSON *o = cJSON_Parse(body);
	const cJSON *res, *it;

	if (!cJSON_IsArray(res = cJSON_GetObjectItemCaseSensitive(o, "results"))) {
		cJSON_Delete(o);
		return werr_set(e, EX_PROTOCOL, "%s: GET /pins: not a Pinning Service API answer", t->name);
	}
	cJSON_ArrayForEach(it, res)
	{
		const char *st = json_str(it, "status"), *rid = json_str(it, "requestid");
		struct rstat *s = find_stat(cids, n, out,
		    json_str(cJSON_GetObjectItemCaseSensitive(it, "pin"), "cid"));
		if (s == NULL || s->peers || st == NULL || (strcmp(st, "queued") && strcmp(st, "pinning") && strcmp(st, "pinned") && strcmp(st, "failed")))
			continue;
		snprintf(s->state, sizeof s->state, "%s", st);
		snprintf(s->request_id, sizeof s->request_id, "%s", rid ? rid : "");
		if (strcmp(st, "failed") == 0)
			snprintf(s->error, sizeof s->error, "the pinning service reports failed");
		s->peers = cJSON_CreateArray();
	}
	cJSON_Delete(o);
	return 0;
}

static int
psa_status(const struct remote_target *t, const char *const *cids, size_t n,
    struct rstat *out, struct werr *e)
{
	struct rhttp r;
	int rc;

	if (status_get(t, "/pins?status=queued,pinning,pinned,failed&limit=1000&cid=", cids, n, &r, e) < 0)
		return -1;
	if (r.status != 200)
		rc = rhttp_fail(t, &r, "GET /pins", e);
	else
		rc = psa_parse(t, r.body.p, cids, n, out, e);
	rhttp_free(&r);
	return rc;
}

int
rapi_parse_status(const struct remote_target *t, char *body, const char *const *cids, size_t n,
    struct rstat *out, struct werr *e)
{
	for (size_t i = 0; i < n; i++) {
		memset(&out[i], 0, sizeof out[i]);
		snprintf(out[i].cid, sizeof out[i].cid, "%s", cids[i]);
	}
	if (t->kind == REMOTE_CLUSTER)
		return cluster_parse(t, body, cids, n, out);
	return psa_parse(t, body, cids, n, out, e);
}

int
rapi_status(const struct remote_target *t, const char *const *cids, size_t n, struct rstat *out,
    struct werr *e)
{
	for (size_t i = 0; i < n; i++) {
		memset(&out[i], 0, sizeof out[i]);
		snprintf(out[i].cid, sizeof out[i].cid, "%s", cids[i]);
	}
	if (t->kind == REMOTE_CLUSTER)
		return cluster_status(t, cids, n, out, e);
	return psa_status(t, cids, n, out, e);
}

int
rapi_probe(const struct remote_target *t, struct werr *e)
{
	struct rhttp r;
	int rc = 0;

	/* both APIs list pins behind the same credentials as pinning */
	if (rhttp_do(t, "GET", t->kind == REMOTE_CLUSTER ? "/id" : "/pins?limit=1", NULL, &r, e) < 0)
		return -1;
	if (r.status != 200)
		rc = rhttp_fail(t, &r, "probe", e);
	rhttp_free(&r);
	return rc;
}
