/* retention: see retention.h. */
#include "spool/retention.h"
#include <curl/curl.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "base/atomicio.h"
#include "base/buf.h"
#include "ipld/cid.h"
#include "base/clock.h"
#include "base/path.h"
#include "kubo/kubo.h"
#include "spool/sidecar.h"

static size_t
body_write(char *p, size_t sz, size_t nm, void *ctx)
{
	struct buf *b = ctx;
	size_t n = sz * nm;

	if (b->len + n > (1u << 20) || buf_add(b, p, n, NULL) < 0)
		return 0; /* an answer over 1 MiB is not a pin status */
	return n;
}

/* {"count":N,"results":[{"status":"pinned","pin":{"cid":...}}...]} */
static int
pinsvc_answer(const char *text, const char *cid, int *pinned, const char *url, struct werr *e)
{
	cJSON *o = cJSON_Parse(text), *r;

	if (!cJSON_IsObject(o) || !cJSON_IsArray(r = cJSON_GetObjectItemCaseSensitive(o, "results"))) {
		cJSON_Delete(o);
		return werr_set(e, EX_PROTOCOL, "%s: not a Pinning Service API answer", url);
	}
	*pinned = 0;
	for (cJSON *it = r->child; it && !*pinned; it = it->next) {
		const char *st = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(it, "status"));
		const cJSON *pin = cJSON_GetObjectItemCaseSensitive(it, "pin");
		const char *c = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(pin, "cid"));
		*pinned = st && c && strcmp(st, "pinned") == 0 && cid_str_equal(c, cid);
	}
	cJSON_Delete(o);
	return 0;
}

int
pinsvc_pinned(const char *base_url, const char *token, const char *cid, int *pinned,
    struct werr *e)
{
	char url[2048], auth[1100];
	struct curl_slist *h = NULL;
	struct buf b = BUF_INIT;
	long status = 0;
	CURLcode cc;
	CURL *c;
	int rc;

	size_t bl = strlen(base_url);

	if (bl > 0 && base_url[bl - 1] == '/')
		bl--;
	snprintf(url, sizeof url, "%.*s/pins?cid=%s&status=pinned", (int)bl, base_url, cid);
	if ((c = curl_easy_init()) == NULL)
		return werr_set(e, EX_OSERR, "%s: curl init", base_url);
	h = curl_slist_append(h, "Accept: application/json");
	if (token) {
		snprintf(auth, sizeof auth, "Authorization: Bearer %s", token);
		h = curl_slist_append(h, auth);
	}
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, body_write);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, 10000L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 60000L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	cc = curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_cleanup(c);
	curl_slist_free_all(h);
	if (cc != CURLE_OK)
		rc = werr_set(e, EX_UNAVAILABLE, "%s: %s", base_url, curl_easy_strerror(cc));
	else if (status != 200)
		rc = werr_set(e, status == 401 || status == 403 ? EX_CONFIG : EX_PROTOCOL,
		    "%s: HTTP %ld for pins?cid=%s", base_url, status, cid);
	else
		rc = pinsvc_answer(b.p ? b.p : "", cid, pinned, base_url, e);
	buf_free(&b);
	return rc;
}

/* A capture whose image is still on the card. */
struct cand {
	char id[96], cid[160], image[PATH_MAX], sidecar[PATH_MAX];
	uint64_t bytes;
	int raw;       /* the capture's raw DNG, not its image */
	int remote_ok; /* every remote target confirmed it (sidecar) */
};

int
retention_remote_confirmed(const cJSON *sc, const char *block, const char *cid,
    const char *const *targets, size_t ntargets)
{
	const cJSON *b = cJSON_GetObjectItemCaseSensitive(sc, block);

	for (size_t i = 0; i < ntargets; i++) {
		const cJSON *r = cJSON_GetObjectItemCaseSensitive(b, targets[i]);
		const char *st = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(r, "state"));
		const char *c = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(r, "cid"));
		if (!st || !c || strcmp(st, "pinned") != 0 || !cid_str_equal(c, cid))
			return 0;
	}
	return 1;
}

/* Oldest capture first; within one, its DNG (the bulk) before its image. */
static int
cand_cmp(const void *a, const void *b)
{
	const struct cand *x = a, *y = b;
	int c = strcmp(x->id, y->id);

	return c ? c : y->raw - x->raw;
}

/* One candidate: file (in dir) with its CID, if it is there. */
static int
push_cand(struct cand **v, size_t *n, size_t *cap, const char *dir, const char *side, const char *id,
    const char *file, const char *cid, int raw, int remote_ok)
{
	struct stat st;
	struct cand *c;

	if (!file || !cid || strchr(file, '/') || strlen(id) >= 96 || strlen(cid) >= 160)
		return 0;
	if (buf_grow_array(v, cap, *n + 1, sizeof **v, 64, NULL) < 0)
		return -1;
	c = &(*v)[*n];
	if (path_join(c->image, sizeof c->image, dir, file, NULL) == 0 && stat(c->image, &st) == 0 && S_ISREG(st.st_mode)) {
		snprintf(c->id, sizeof c->id, "%s", id);
		snprintf(c->cid, sizeof c->cid, "%s", cid);
		snprintf(c->sidecar, sizeof c->sidecar, "%s", side);
		c->bytes = (uint64_t)st.st_size;
		c->raw = raw;
		c->remote_ok = remote_ok;
		(*n)++;
	}
	return 0;
}

static int
add_cand(const struct retention_opts *ro, struct cand **v, size_t *n, size_t *cap, const char *dir,
    const char *name)
{
	char path[PATH_MAX];
	const char *id, *cid, *raw_cid;
	cJSON *o;
	int rc = 0;

	if (path_join(path, sizeof path, dir, name, NULL) < 0 || (o = sidecar_read_json(path, NULL)) == NULL)
		return 0; /* not a sidecar (or half a capture): not ours to judge */
	cid = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, "cid"));
	raw_cid = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, "raw_cid"));
	if ((id = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, "id"))) != NULL)
		rc = push_cand(v, n, cap, dir, path, id,
		         cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, "file")), cid, 0,
		         cid && retention_remote_confirmed(o, "remote", cid, ro->targets, ro->ntargets)) < 0 ||
		        push_cand(v, n, cap, dir, path, id,
		            cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, "raw")), raw_cid, 1,
		            raw_cid && retention_remote_confirmed(o, "raw_remote", raw_cid, ro->targets, ro->ntargets)) < 0 ?
		    -1 :
		    0;
	cJSON_Delete(o);
	return rc;
}

/* Every capture's image and raw DNG still present, oldest first (ids sort
 * by time). */
static int
candidates(const struct retention_opts *ro, struct cand **out, size_t *count, struct werr *e)
{
	const char *home = ro->home;
	char top[PATH_MAX], dir[PATH_MAX];
	struct cand *v = NULL;
	size_t n = 0, cap = 0;
	struct dirent *s, *f;
	DIR *td, *sd;

	if (path_join(top, sizeof top, home, "captures", e) < 0)
		return -1;
	if ((td = opendir(top)) == NULL) {
		*out = NULL;
		*count = 0;
		return errno == ENOENT ? 0 : werr_sys(e, EX_IOERR, "%s", top);
	}
	while ((s = readdir(td)) != NULL) {
		if (s->d_name[0] == '.')
			continue;
		if (path_join(dir, sizeof dir, top, s->d_name, NULL) < 0 || (sd = opendir(dir)) == NULL)
			continue;
		while ((f = readdir(sd)) != NULL) {
			size_t l = strlen(f->d_name);
			if (f->d_name[0] == '.' || l < 6 || strcmp(f->d_name + l - 5, ".json") != 0)
				continue;
			if (add_cand(ro, &v, &n, &cap, dir, f->d_name) < 0) {
				closedir(sd);
				closedir(td);
				free(v);
				return werr_sys(e, EX_OSERR, "%s", dir);
			}
		}
		closedir(sd);
	}
	closedir(td);
	if (n > 1)
		qsort(v, n, sizeof *v, cand_cmp);
	*out = v;
	*count = n;
	return 0;
}

/* Pinned locally and, when configured, remotely: 1 yes, 0 no, -1 error. */
static int
confirmed(struct kubo *k, const struct retention_opts *o, const char *cid, struct werr *e)
{
	int pinned = 0;

	if (kubo_pin_check(k, cid, &pinned, NULL, e) < 0)
		return werr_prefix(e, "pin ls %s", cid);
	if (!pinned || o->remote_url == NULL)
		return pinned;
	if (pinsvc_pinned(o->remote_url, o->remote_token, cid, &pinned, e) < 0)
		return -1;
	return pinned;
}

/* Delete the image, then note it in the sidecar (a crash in between leaves
 * a sidecar that still claims the image: the gallery falls back to IPFS). */
static int
remove_image(const struct cand *c, struct werr *e)
{
	char when[40];
	cJSON *f;
	int rc;

	if (unlink(c->image) < 0 && errno != ENOENT)
		return werr_sys(e, EX_IOERR, "%s", c->image);
	if (fsync_parent(c->image, e) < 0)
		return -1;
	rfc3339_ms(wall_ms(), when, sizeof when);
	f = cJSON_CreateObject();
	cJSON_AddStringToObject(f, c->raw ? "raw_removed_at" : "image_removed_at", when);
	rc = sidecar_set_fields(c->sidecar, f, e);
	cJSON_Delete(f);
	return rc;
}

struct tally {
	uint64_t free_before, free_now, freed;
	size_t removed, unpinned, remote_unconfirmed;
};

static int
gc_loop(struct kubo *k, const struct retention_opts *o, struct cand *v, size_t n,
    struct tally *t, retention_emit_fn fn, void *ctx, struct werr *e)
{
	for (size_t i = 0; i < n && t->free_now < o->keep_free; i++) {
		cJSON *l;
		int c;
		if (!v[i].remote_ok) {
			t->remote_unconfirmed++; /* the remote stage has not confirmed it everywhere */
			continue;
		}
		c = confirmed(k, o, v[i].cid, e);
		if (c < 0)
			return -1;
		if (c == 0) {
			t->unpinned++;
			continue;
		}
		if (!o->dry_run && remove_image(&v[i], e) < 0)
			return -1;
		t->removed++;
		t->freed += v[i].bytes;
		if (o->dry_run)
			t->free_now += v[i].bytes;
		else if (disk_free(o->home, &t->free_now, e) < 0)
			return -1;
		l = cJSON_CreateObject();
		cJSON_AddStringToObject(l, "id", v[i].id);
		cJSON_AddStringToObject(l, "file", v[i].image);
		cJSON_AddStringToObject(l, "cid", v[i].cid);
		cJSON_AddNumberToObject(l, "bytes", (double)v[i].bytes);
		if (v[i].raw)
			cJSON_AddBoolToObject(l, "raw", 1);
		cJSON_AddBoolToObject(l, "removed", !o->dry_run);
		if (fn(ctx, l, e) < 0)
			return -1;
	}
	return 0;
}

int
retention_run(const struct retention_opts *o, retention_emit_fn fn, void *ctx, struct werr *e)
{
	struct tally t = { 0 };
	struct kubo *k = NULL;
	struct cand *v = NULL;
	size_t n = 0;
	cJSON *l;
	int rc = 0;

	if (disk_free(o->home, &t.free_before, e) < 0)
		return -1;
	t.free_now = t.free_before;
	if (t.free_now < o->keep_free) {
		if (candidates(o, &v, &n, e) < 0)
			return -1;
		if (n > 0 && (k = kubo_new(o->api, &o->kubo, e)) == NULL)
			rc = -1;
		if (rc == 0)
			rc = gc_loop(k, o, v, n, &t, fn, ctx, e);
		kubo_free(k);
		free(v);
		if (rc < 0)
			return -1;
	}
	l = cJSON_CreateObject();
	cJSON_AddBoolToObject(l, "summary", 1);
	cJSON_AddNumberToObject(l, "keep_free", (double)o->keep_free);
	cJSON_AddNumberToObject(l, "free_before", (double)t.free_before);
	cJSON_AddNumberToObject(l, "free_after", (double)t.free_now);
	cJSON_AddNumberToObject(l, "removed", (double)t.removed);
	cJSON_AddNumberToObject(l, "freed", (double)t.freed);
	cJSON_AddNumberToObject(l, "unpinned", (double)t.unpinned);
	cJSON_AddNumberToObject(l, "remote_unconfirmed", (double)t.remote_unconfirmed);
	cJSON_AddBoolToObject(l, "satisfied", t.free_now >= o->keep_free);
	cJSON_AddBoolToObject(l, "dry_run", o->dry_run);
	return fn(ctx, l, e);
}
