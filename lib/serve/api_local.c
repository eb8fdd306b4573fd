/* api_local: the routes answered from $WANDA_HOME alone (they keep
 * working with the daemon down). Captures are found by id through their
 * sidecars: the only names joined into a path are a session directory
 * name read from captures/ and checked, and an id checked by the router;
 * the file a sidecar names must be a plain file name, opened O_NOFOLLOW. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "serve/serve_int.h"
#include "serve/assets.h"
#include "serve/qrsvg.h"
#include "base/atomicio.h"
#include "base/buf.h"
#include "base/clock.h"
#include "base/path.h"
#include "capture/sessions.h"
#include "capture/captureid.h"
#include "spool/sidecar.h"
#include "spool/spool.h"
#include "net/syncstate.h"

static const char *
home(struct req *r)
{
	return r->srv->cfg.home;
}

/* A plain file name: no '/', not "." or "..", no control bytes. */
static int
plain_name(const char *s)
{
	if (!*s || *s == '.' || strlen(s) > 200)
		return 0;
	for (; *s; s++)
		if (*s == '/' || (unsigned char)*s < 0x20)
			return 0;
	return 1;
}

/* Read captures/SESSION/ID.json and check it names itself. NULL: not a
 * usable sidecar (why in e). */
static cJSON *
load_sidecar(const char *h, const char *session, const char *id, struct werr *e)
{
	char path[PATH_MAX];
	cJSON *j;
	const cJSON *jid, *js, *jf;

	path_fmt(path, sizeof path, NULL, "%s/captures/%s/%s.json", h, session, id);
	if (!(j = sidecar_read_json(path, e)))
		return NULL;
	jid = cJSON_GetObjectItemCaseSensitive(j, "id");
	js = cJSON_GetObjectItemCaseSensitive(j, "session");
	jf = cJSON_GetObjectItemCaseSensitive(j, "file");
	if (!cJSON_IsString(jid) || strcmp(jid->valuestring, id) || !cJSON_IsString(js) ||
	    strcmp(js->valuestring, session) || !cJSON_IsString(jf) || !plain_name(jf->valuestring)) {
		cJSON_Delete(j);
		werr_set(e, EX_DATAERR, "captures/%s/%s.json: malformed sidecar (id, session or file)", session, id);
		return NULL;
	}
	return j;
}

static unsigned
where_slot(const char *id)
{
	unsigned h = 2166136261u;

	for (; *id; id++)
		h = (h ^ (unsigned char)*id) * 16777619u;
	return h % SERVE_SLOTS;
}

static int scan_capture(const char *h, const char *id, char *session, size_t cap);

/* The session holding capture id: 1 found, 0 none. A hint table saves the
 * scan of every session directory; a hint is used only when the sidecar
 * is still there. */
static int
find_capture(struct req *r, const char *id, char *session, size_t cap)
{
	struct serve *s = r->srv;
	unsigned k = where_slot(id);
	char path[PATH_MAX];
	struct stat st;
	int hit;

	pthread_mutex_lock(&s->cache_mu);
	hit = !strcmp(s->where[k].id, id);
	if (hit)
		snprintf(session, cap, "%s", s->where[k].session);
	pthread_mutex_unlock(&s->cache_mu);
	if (hit) {
		path_fmt(path, sizeof path, NULL, "%s/captures/%s/%s.json", home(r), session, id);
		if (lstat(path, &st) == 0 && S_ISREG(st.st_mode))
			return 1;
	}
	if (!scan_capture(home(r), id, session, cap))
		return 0;
	if (strlen(id) < sizeof s->where[k].id && strlen(session) < sizeof s->where[k].session) {
		pthread_mutex_lock(&s->cache_mu);
		strcpy(s->where[k].id, id);
		strcpy(s->where[k].session, session);
		pthread_mutex_unlock(&s->cache_mu);
	}
	return 1;
}

static int
scan_capture(const char *h, const char *id, char *session, size_t cap)
{
	char path[PATH_MAX];
	DIR *d;
	struct dirent *de;
	int found = 0;

	path_fmt(path, sizeof path, NULL, "%s/captures", h);
	if (!(d = opendir(path)))
		return 0;
	while (!found && (de = readdir(d))) {
		struct stat st;
		if (!session_name_valid(de->d_name))
			continue;
		path_fmt(path, sizeof path, NULL, "%s/captures/%s/%s.json", h, de->d_name, id);
		if (lstat(path, &st) == 0 && S_ISREG(st.st_mode) && strlen(de->d_name) < cap) {
			memcpy(session, de->d_name, strlen(de->d_name) + 1);
			found = 1;
		}
	}
	closedir(d);
	return found;
}

static void
add_links(struct req *r, cJSON *o, const char *cid)
{
	char url[600];
	cJSON *l = cJSON_AddObjectToObject(o, "links");

	snprintf(url, sizeof url, "%s/ipfs/%s", r->srv->cfg.gateway, cid);
	cJSON_AddStringToObject(l, "gateway", url);
	snprintf(url, sizeof url, "%s/ipfs/%s", r->srv->cfg.public_gateway, cid);
	cJSON_AddStringToObject(l, "public", url);
}

/* The sidecar as the API shows it: every field, plus where to get the files. */
static cJSON *
capture_json(struct req *r, cJSON *j, const char *id)
{
	char url[400];
	const cJSON *cid = cJSON_GetObjectItemCaseSensitive(j, "cid");

	snprintf(url, sizeof url, "/api/captures/%s/image", id);
	cJSON_AddStringToObject(j, "image_url", url);
	snprintf(url, sizeof url, "/api/captures/%s/thumb", id);
	cJSON_AddStringToObject(j, "thumb_url", url);
	if (cJSON_IsString(cid) && route_cid_valid(cid->valuestring))
		add_links(r, j, cid->valuestring);
	return j;
}

static enum MHD_Result
local_fail(struct req *r, const struct werr *e)
{
	int status = e->code == EX_NOINPUT ? 404 : e->code == EX_DATAERR ? 422 :
	                                                                   500;
	return reply_error(r, status, e->msg);
}

static enum MHD_Result
one_capture(struct req *r)
{
	char session[128];
	struct werr e = { 0 };
	cJSON *j, *o;

	if (!find_capture(r, r->rt.arg, session, sizeof session))
		return reply_error(r, 404, "no such capture");
	if (!(j = load_sidecar(home(r), session, r->rt.arg, &e)))
		return local_fail(r, &e);
	if (r->rt.id == R_CAPTURE)
		return reply_json(r, 200, capture_json(r, j, r->rt.arg));
	o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "id", r->rt.arg);
	cJSON_AddItemReferenceToObject(o, "cid", cJSON_GetObjectItemCaseSensitive(j, "cid"));
	cJSON_AddItemReferenceToObject(o, "ipfs", cJSON_GetObjectItemCaseSensitive(j, "ipfs"));
	{
		const cJSON *cid = cJSON_GetObjectItemCaseSensitive(j, "cid");
		if (cJSON_IsString(cid) && route_cid_valid(cid->valuestring))
			add_links(r, o, cid->valuestring);
	}
	{
		char *txt = cJSON_PrintUnformatted(o); /* references die with j */
		cJSON_Delete(o);
		cJSON_Delete(j);
		o = txt ? cJSON_Parse(txt) : NULL;
		free(txt);
	}
	return o ? reply_json(r, 200, o) : reply_error(r, 500, "out of memory");
}

/* ---- files by id ------------------------------------------------------- */

static const char *
type_of(const char *name)
{
	const char *dot = strrchr(name, '.');

	if (!dot)
		return "application/octet-stream";
	if (!strcasecmp(dot, ".jpg") || !strcasecmp(dot, ".jpeg"))
		return "image/jpeg";
	if (!strcasecmp(dot, ".png"))
		return "image/png";
	if (!strcasecmp(dot, ".dng"))
		return "image/x-adobe-dng";
	return "application/octet-stream";
}

static enum MHD_Result
send_file(struct req *r, const char *path, const char *type, const char *cache)
{
	/* O_NONBLOCK: a FIFO in the way would hang open() and the thread */
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	struct stat st;
	struct MHD_Response *resp;
	const char *rh = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, "Range");
	uint64_t off = 0, len;
	int rr;
	char v[96];

	if (fd < 0)
		return reply_error(r, 404, errno == ELOOP ? "not a plain file" : "file not found");
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return reply_error(r, 404, "not a plain file");
	}
	len = (uint64_t)st.st_size;
	if ((rr = route_parse_range(rh, len, &off, &len)) < 0) {
		close(fd);
		return reply_error(r, 416, "range not satisfiable");
	}
	if (!(resp = MHD_create_response_from_fd_at_offset64(len, fd, off))) {
		close(fd);
		return MHD_NO;
	}
	MHD_add_response_header(resp, "Content-Type", type);
	MHD_add_response_header(resp, "Cache-Control", cache);
	MHD_add_response_header(resp, "Accept-Ranges", "bytes");
	if (rr) {
		snprintf(v, sizeof v, "bytes %llu-%llu/%llu", (unsigned long long)off,
		    (unsigned long long)(off + len - 1), (unsigned long long)st.st_size);
		MHD_add_response_header(resp, "Content-Range", v);
	}
	return reply_queue(r, rr ? 206 : 200, resp);
}

static int
same_file(const struct stat *st, const struct thumbent *t)
{
	return st->st_dev == t->dev && st->st_ino == t->ino && st->st_size == t->size &&
	    st->st_mtim.tv_sec == t->mtime.tv_sec && st->st_mtim.tv_nsec == t->mtime.tv_nsec;
}

/* Queue the cached response of thumbnail id when its file is unchanged
 * (one stat, no sidecar, no open). 1 done (*rc set), 0 not cached. */
static int
thumb_cached(struct req *r, unsigned k, enum MHD_Result *rc)
{
	struct serve *s = r->srv;
	struct thumbent t;
	char path[PATH_MAX];
	struct stat st;
	int hit;

	pthread_mutex_lock(&s->cache_mu);
	hit = s->thumbs[k].resp && !strcmp(s->thumbs[k].id, r->rt.arg);
	if (hit)
		t = s->thumbs[k];
	pthread_mutex_unlock(&s->cache_mu);
	if (!hit)
		return 0;
	if (path_fmt(path, sizeof path, NULL, "%s/thumbs/%s/%s.jpg", home(r), t.session, t.id) < 0 || stat(path, &st) < 0 || !S_ISREG(st.st_mode) || !same_file(&st, &t))
		return 0;
	pthread_mutex_lock(&s->cache_mu); /* it may have been replaced meanwhile */
	hit = s->thumbs[k].resp == t.resp;
	if (hit)
		*rc = MHD_queue_response(r->conn, 200, t.resp);
	pthread_mutex_unlock(&s->cache_mu);
	return hit;
}

/* A small thumbnail read whole into a response with its headers, queued
 * and kept for the next requests; a big one is sent from its file. */
static enum MHD_Result
thumb_load(struct req *r, unsigned k, const char *session, const char *path)
{
	struct serve *s = r->srv;
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC); /* a FIFO: see send_file */
	struct stat st;
	struct MHD_Response *resp, *old = NULL;
	enum MHD_Result rc;
	char *buf = NULL;

	if (fd < 0)
		return reply_error(r, 404, errno == ELOOP ? "not a plain file" : "file not found");
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > SERVE_THUMB_MAX ||
	    !(buf = malloc((size_t)st.st_size + 1)) || pread(fd, buf, (size_t)st.st_size, 0) != st.st_size) {
		free(buf);
		close(fd);
		return send_file(r, path, "image/jpeg", "private, max-age=86400");
	}
	close(fd);
	if (!(resp = body_response(buf, (size_t)st.st_size, "image/jpeg", "private, max-age=86400")))
		return MHD_NO;
	MHD_add_response_header(resp, "Accept-Ranges", "bytes");
	add_common_headers(resp);
	rc = MHD_queue_response(r->conn, 200, resp); /* the cache keeps our reference */
	pthread_mutex_lock(&s->cache_mu);
	{
		struct thumbent *t = &s->thumbs[k];
		if (t->resp) {
			old = t->resp;
			s->thumb_bytes -= (size_t)t->size;
			t->resp = NULL;
		}
		if (s->thumb_bytes + (size_t)st.st_size <= SERVE_THUMB_BYTES && strlen(r->rt.arg) < sizeof t->id &&
		    strlen(session) < sizeof t->session) {
			strcpy(t->id, r->rt.arg);
			strcpy(t->session, session);
			t->dev = st.st_dev;
			t->ino = st.st_ino;
			t->size = st.st_size;
			t->mtime = st.st_mtim;
			t->resp = resp;
			s->thumb_bytes += (size_t)st.st_size;
			resp = NULL;
		}
	}
	pthread_mutex_unlock(&s->cache_mu);
	if (old)
		MHD_destroy_response(old); /* freed when its last request is done */
	if (resp)
		MHD_destroy_response(resp);
	return rc;
}

static enum MHD_Result
capture_file(struct req *r)
{
	char session[128], path[PATH_MAX];
	struct werr e = { 0 };
	cJSON *j;
	const cJSON *f;

	int ranged = r->rt.id == R_CAPTURE_THUMB &&
	    MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, "Range") != NULL;
	enum MHD_Result rc;

	if (r->rt.id == R_CAPTURE_THUMB && !ranged && thumb_cached(r, where_slot(r->rt.arg), &rc))
		return rc;
	if (!find_capture(r, r->rt.arg, session, sizeof session))
		return reply_error(r, 404, "no such capture");
	if (r->rt.id == R_CAPTURE_THUMB) {
		path_fmt(path, sizeof path, NULL, "%s/thumbs/%s/%s.jpg", home(r), session, r->rt.arg);
		if (!ranged)
			return thumb_load(r, where_slot(r->rt.arg), session, path);
		return send_file(r, path, "image/jpeg", "private, max-age=86400");
	}
	if (!(j = load_sidecar(home(r), session, r->rt.arg, &e)))
		return local_fail(r, &e);
	f = cJSON_GetObjectItemCaseSensitive(j, "file");
	path_fmt(path, sizeof path, NULL, "%s/captures/%s/%s", home(r), session, f->valuestring);
	cJSON_Delete(j);
	return send_file(r, path, type_of(path), "private, max-age=86400");
}

static enum MHD_Result
qr(struct req *r)
{
	char url[600], session[128];
	const char *cid = r->rt.arg;
	cJSON *j = NULL;
	struct werr e = { 0 };
	char *svg;
	size_t n;
	struct MHD_Response *resp;

	if (r->rt.id == R_CAPTURE_QR) {
		const cJSON *c;
		if (!find_capture(r, r->rt.arg, session, sizeof session))
			return reply_error(r, 404, "no such capture");
		if (!(j = load_sidecar(home(r), session, r->rt.arg, &e)))
			return local_fail(r, &e);
		c = cJSON_GetObjectItemCaseSensitive(j, "cid");
		if (!cJSON_IsString(c) || !route_cid_valid(c->valuestring)) {
			cJSON_Delete(j);
			return reply_error(r, 422, "the capture's sidecar has no valid cid");
		}
		cid = c->valuestring;
	}
	snprintf(url, sizeof url, "%s/ipfs/%s", r->srv->cfg.public_gateway, cid);
	cJSON_Delete(j);
	if (qr_svg(url, &svg, &n, &e) < 0)
		return reply_error(r, 500, e.msg);
	if (!(resp = body_response(svg, n, "image/svg+xml", "private, max-age=3600")))
		return MHD_NO;
	MHD_add_response_header(resp, "Content-Security-Policy", "default-src 'none'");
	return reply_queue(r, 200, resp);
}

/* ---- listing ----------------------------------------------------------- */

struct idlist {
	char (*v)[2][128];
	size_t n, cap;
}; /* {id, session} */

static int
cmp_desc(const void *a, const void *b)
{
	return strcmp(((const char(*)[128])b)[0], ((const char(*)[128])a)[0]);
}

static int
id_wanted(const struct route *rt, const char *id)
{
	long long ms;
	unsigned seq;

	if (rt->before[0] && strcmp(id, rt->before) >= 0)
		return 0;
	if (rt->since_ms >= 0 || rt->until_ms >= 0) {
		if (captureid_parse(id, &ms, NULL, 0, &seq) < 0)
			return 0;
		if ((rt->since_ms >= 0 && ms < rt->since_ms) || (rt->until_ms >= 0 && ms >= rt->until_ms))
			return 0;
	}
	return 1;
}

static void
collect_session(const char *h, const char *session, const struct route *rt, struct idlist *l)
{
	char path[PATH_MAX], id[128];
	DIR *d;
	struct dirent *de;

	path_fmt(path, sizeof path, NULL, "%s/captures/%s", h, session);
	if (!(d = opendir(path)))
		return;
	while ((de = readdir(d))) {
		size_t n = strlen(de->d_name);
		if (n < 6 || n - 5 >= sizeof id || strcmp(de->d_name + n - 5, ".json"))
			continue;
		snprintf(id, sizeof id, "%.*s", (int)(n - 5), de->d_name);
		if (!route_capture_id_valid(id) || !id_wanted(rt, id))
			continue;
		if (buf_grow_array(&l->v, &l->cap, l->n + 1, sizeof *l->v, 256, NULL) < 0)
			break;
		snprintf(l->v[l->n][0], 128, "%s", id);
		snprintf(l->v[l->n][1], 128, "%s", session);
		l->n++;
	}
	closedir(d);
}

/* FNV-1a over the inode and mtime of captures/ and of every session
 * directory; 0 (do not cache) while any of them changed in the last two
 * seconds, since mtimes are only as fine as the kernel's clock tick (the
 * "racy git" rule). */
static unsigned long long
captures_gen(const char *h)
{
	char path[PATH_MAX];
	unsigned long long g = 1469598103934665603ULL;
	time_t recent = time(NULL) - 2;
	int racy = 0;
	struct stat st;
	DIR *d;
	struct dirent *de;

	path_fmt(path, sizeof path, NULL, "%s/captures", h);
	if (stat(path, &st) < 0 || !(d = opendir(path)))
		return 0;
	do {
		unsigned long long v[3] = { st.st_ino, (unsigned long long)st.st_mtim.tv_sec,
			(unsigned long long)st.st_mtim.tv_nsec };
		for (size_t i = 0; i < sizeof v; i++)
			g = (g ^ ((unsigned char *)v)[i]) * 1099511628211ULL;
		racy |= st.st_mtim.tv_sec >= recent;
		while ((de = readdir(d)) && !session_name_valid(de->d_name))
			;
		if (!de)
			break;
		path_fmt(path, sizeof path, NULL, "%s/captures/%s", h, de->d_name);
	} while (stat(path, &st) == 0);
	closedir(d);
	return racy ? 0 : g ? g :
	                      1;
}

static int
cache_get(struct req *r, unsigned long long gen, char **body, size_t *len)
{
	struct serve *s = r->srv;
	int hit = 0;

	pthread_mutex_lock(&s->cache_mu);
	for (int i = 0; i < SERVE_CACHE && !hit; i++) {
		struct cached *c = &s->cache[i];
		if (c->body && c->gen == gen && !strcmp(c->target, r->target) && (*body = malloc(c->len))) {
			memcpy(*body, c->body, c->len);
			*len = c->len;
			c->used = ++s->cache_clock;
			hit = 1;
		}
	}
	pthread_mutex_unlock(&s->cache_mu);
	return hit;
}

static void
cache_put(struct req *r, unsigned long long gen, const char *body, size_t len)
{
	struct serve *s = r->srv;
	struct cached *old;
	char *copy = malloc(len);

	if (!copy || !gen)
		return free(copy);
	memcpy(copy, body, len);
	pthread_mutex_lock(&s->cache_mu);
	old = &s->cache[0];
	for (int i = 1; i < SERVE_CACHE; i++)
		if (s->cache[i].used < old->used)
			old = &s->cache[i];
	free(old->body);
	snprintf(old->target, sizeof old->target, "%s", r->target);
	old->gen = gen;
	old->body = copy;
	old->len = len;
	old->used = ++s->cache_clock;
	pthread_mutex_unlock(&s->cache_mu);
}

static enum MHD_Result captures_build(struct req *r, unsigned long long gen);

/* Served from the cache while nothing under captures/ changed. */
static enum MHD_Result
captures(struct req *r)
{
	unsigned long long gen = captures_gen(home(r));
	char *body;
	size_t len;

	if (gen && cache_get(r, gen, &body, &len))
		return reply_json_text(r, 200, body, len);
	return captures_build(r, gen);
}

static enum MHD_Result
captures_build(struct req *r, unsigned long long gen)
{
	struct idlist l = { 0 };
	cJSON *o = cJSON_CreateObject(), *a = cJSON_AddArrayToObject(o, "captures");
	size_t taken = 0, i, skipped = 0;

	if (r->rt.session[0])
		collect_session(home(r), r->rt.session, &r->rt, &l);
	else {
		char path[PATH_MAX];
		DIR *d;
		struct dirent *de;
		path_fmt(path, sizeof path, NULL, "%s/captures", home(r));
		if ((d = opendir(path))) {
			while ((de = readdir(d)))
				if (session_name_valid(de->d_name))
					collect_session(home(r), de->d_name, &r->rt, &l);
			closedir(d);
		}
	}
	if (l.n)
		qsort(l.v, l.n, sizeof *l.v, cmp_desc);
	for (i = 0; i < l.n && taken < (size_t)r->rt.limit; i++) {
		struct werr e = { 0 };
		cJSON *j = load_sidecar(home(r), l.v[i][1], l.v[i][0], &e);
		if (!j) {
			if (skipped++ == 0)
				serve_logf(r->srv, "sidecar_skipped", 0, "%s", e.msg);
			continue;
		}
		cJSON_AddItemToArray(a, capture_json(r, j, l.v[i][0]));
		taken++;
	}
	cJSON_AddNumberToObject(o, "count", (double)taken);
	cJSON_AddNumberToObject(o, "skipped", (double)skipped);
	if (i < l.n && taken)
		cJSON_AddStringToObject(o, "next", l.v[i - 1][0]);
	else
		cJSON_AddNullToObject(o, "next");
	free(l.v);
	{
		char *txt = cJSON_PrintUnformatted(o);
		cJSON_Delete(o);
		if (!txt)
			return reply_error(r, 500, "out of memory");
		if (!skipped) /* a bad sidecar is logged on every request */
			cache_put(r, gen, txt, strlen(txt));
		return reply_json_text(r, 200, txt, strlen(txt));
	}
}

/* ---- sessions, queue, ipns, sync -------------------------------------- */

static cJSON *
read_json_file(const char *path)
{
	char *buf;
	size_t n;
	cJSON *j;

	if (read_file_max(path, 8u << 20, &buf, &n, NULL) < 0)
		return NULL;
	j = cJSON_ParseWithLength(buf, n);
	free(buf);
	return cJSON_IsObject(j) ? j : (cJSON_Delete(j), NULL);
}

static size_t
count_captures(const char *h, const char *session)
{
	struct route rt;
	struct idlist l = { 0 };
	size_t n;

	memset(&rt, 0, sizeof rt);
	rt.since_ms = rt.until_ms = -1;
	collect_session(h, session, &rt, &l);
	n = l.n;
	free(l.v);
	return n;
}

/* One session: its captures directory, state/sessions and state/dags records. */
static cJSON *
session_json(const char *h, const char *name)
{
	char path[PATH_MAX];
	cJSON *o = cJSON_CreateObject(), *st, *dag;
	const cJSON *v;

	cJSON_AddStringToObject(o, "name", name);
	cJSON_AddNumberToObject(o, "captures", (double)count_captures(h, name));
	path_fmt(path, sizeof path, NULL, "%s/state/sessions/%s.json", h, name);
	st = read_json_file(path);
	v = cJSON_GetObjectItemCaseSensitive(st, "state");
	cJSON_AddStringToObject(o, "state", cJSON_IsString(v) ? v->valuestring : "unknown");
	v = cJSON_GetObjectItemCaseSensitive(st, "started_at");
	if (cJSON_IsString(v))
		cJSON_AddStringToObject(o, "started_at", v->valuestring);
	v = cJSON_GetObjectItemCaseSensitive(st, "stopped_at");
	if (cJSON_IsString(v))
		cJSON_AddStringToObject(o, "stopped_at", v->valuestring);
	cJSON_Delete(st);
	path_fmt(path, sizeof path, NULL, "%s/state/dags/%s.json", h, name);
	dag = read_json_file(path);
	v = cJSON_GetObjectItemCaseSensitive(dag, "cid");
	if (cJSON_IsString(v) && route_cid_valid(v->valuestring)) {
		cJSON_AddStringToObject(o, "cid", v->valuestring);
		for (const char *k = "first"; k; k = !strcmp(k, "first") ? "last" : !strcmp(k, "last") ? "built_at" :
		                                                                                         NULL) {
			v = cJSON_GetObjectItemCaseSensitive(dag, k);
			if (cJSON_IsString(v))
				cJSON_AddStringToObject(o, k, v->valuestring);
		}
	} else
		cJSON_AddNullToObject(o, "cid");
	cJSON_Delete(dag);
	return o;
}

static int
session_exists(const char *h, const char *name)
{
	char p1[4096], p2[4096];
	struct stat st;

	snprintf(p1, sizeof p1, "%s/captures/%s", h, name);
	snprintf(p2, sizeof p2, "%s/state/sessions/%s.json", h, name);
	return stat(p1, &st) == 0 || stat(p2, &st) == 0;
}

static void add_mirrors(struct req *r, cJSON *a);

static int
cmp_str_desc(const void *a, const void *b)
{
	return strcmp(*(char *const *)b, *(char *const *)a);
}

static enum MHD_Result
sessions(struct req *r)
{
	char path[PATH_MAX];
	DIR *d;
	struct dirent *de;
	char **names = NULL;
	size_t n = 0, cap = 0;
	cJSON *o = cJSON_CreateObject(), *a = cJSON_AddArrayToObject(o, "sessions");
	const char *view = r->rt.view[0] ? r->rt.view : "all";

	path_fmt(path, sizeof path, NULL, "%s/captures", home(r));
	if ((d = opendir(path))) {
		while ((de = readdir(d)) && n < 100000) {
			if (!session_name_valid(de->d_name) ||
			    buf_grow_array(&names, &cap, n + 1, sizeof *names, 16, NULL) < 0)
				continue;
			names[n++] = strdup(de->d_name);
		}
		closedir(d);
	}
	if (n)
		qsort(names, n, sizeof *names, cmp_str_desc);
	for (size_t i = 0; i < n; i++) {
		cJSON *s = names[i] ? session_json(home(r), names[i]) : NULL;
		int has_cid = s && cJSON_IsString(cJSON_GetObjectItemCaseSensitive(s, "cid"));
		if (s && (strcmp(view, "ipfs") || has_cid))
			cJSON_AddItemToArray(a, s);
		else
			cJSON_Delete(s);
		free(names[i]);
	}
	free(names);
	if (strcmp(view, "local"))
		add_mirrors(r, a);
	cJSON_AddStringToObject(o, "view", view);
	return reply_json(r, 200, o);
}

static enum MHD_Result
queue(struct req *r)
{
	char spool[PATH_MAX];
	cJSON *o = cJSON_CreateObject(), *c = cJSON_AddObjectToObject(o, "counts");
	struct werr e = { 0 };
	long long now = wall_ms(), oldest = -1;
	size_t total = 0;

	path_fmt(spool, sizeof spool, NULL, "%s/spool", home(r));
	for (int s = 0; s < SPOOL_NSTATES; s++) {
		size_t n = 0;
		if (spool_count(spool, s, &n, &e) < 0)
			n = 0;
		cJSON_AddNumberToObject(c, spool_state_name(s), (double)n);
		if (s != SPOOL_FAILED && s != SPOOL_CORRUPT)
			total += n;
	}
	for (int s = SPOOL_NEW; s <= SPOOL_DEFERRED; s++) {
		struct spool_item *it = NULL;
		size_t n = 0;
		long long ms;
		unsigned seq;
		if (spool_list(spool, s, &it, &n, &e) == 0 && n &&
		    captureid_parse(it[0].id, &ms, NULL, 0, &seq) == 0 && (oldest < 0 || ms < oldest))
			oldest = ms;
		free(it);
	}
	cJSON_AddNumberToObject(o, "pending", (double)total);
	if (oldest >= 0)
		cJSON_AddNumberToObject(o, "oldest_s", (double)((now - oldest) / 1000));
	else
		cJSON_AddNullToObject(o, "oldest_s");
	return reply_json(r, 200, o);
}

static enum MHD_Result
ipns(struct req *r)
{
	char path[PATH_MAX];
	cJSON *o = cJSON_CreateObject(), *st, *root;
	const cJSON *v;

	path_fmt(path, sizeof path, NULL, "%s/state/ipns.json", home(r));
	st = read_json_file(path);
	v = cJSON_GetObjectItemCaseSensitive(st, "name");
	if (cJSON_IsString(v) && route_ipns_name_valid(v->valuestring)) {
		char url[600];
		cJSON_AddStringToObject(o, "name", v->valuestring);
		cJSON *l = cJSON_AddObjectToObject(o, "links");
		snprintf(url, sizeof url, "%s/ipns/%s", r->srv->cfg.gateway, v->valuestring);
		cJSON_AddStringToObject(l, "gateway", url);
		snprintf(url, sizeof url, "%s/ipns/%s", r->srv->cfg.public_gateway, v->valuestring);
		cJSON_AddStringToObject(l, "public", url);
	} else
		cJSON_AddNullToObject(o, "name");
	for (const char *k = "value"; k; k = !strcmp(k, "value") ? "published_at" : !strcmp(k, "published_at") ? "key" :
	                                                                                                         NULL) {
		v = cJSON_GetObjectItemCaseSensitive(st, k);
		if (cJSON_IsString(v))
			cJSON_AddStringToObject(o, k, v->valuestring);
	}
	cJSON_Delete(st);
	path_fmt(path, sizeof path, NULL, "%s/state/root.json", home(r));
	root = read_json_file(path);
	v = cJSON_GetObjectItemCaseSensitive(root, "cid");
	if (cJSON_IsString(v) && route_cid_valid(v->valuestring))
		cJSON_AddStringToObject(o, "root", v->valuestring);
	else
		cJSON_AddNullToObject(o, "root");
	cJSON_Delete(root);
	cJSON_AddStringToObject(o, "gateway", r->srv->cfg.gateway);
	cJSON_AddStringToObject(o, "public_gateway", r->srv->cfg.public_gateway);
	return reply_json(r, 200, o);
}

/* state/sync.json through its owner (lib/net/syncstate): empty before
 * wanda-sync writes it, 500 when it does not have the shape. */
static enum MHD_Result
sync_state(struct req *r)
{
	struct syncstate ss;
	struct werr e = { 0 };
	cJSON *o;

	if (syncstate_load(&ss, home(r), &e) < 0)
		return reply_error(r, 500, e.msg);
	o = ss.doc;
	ss.doc = NULL;
	syncstate_free(&ss);
	return reply_json(r, 200, o);
}

/* The IPFS and All views also list the peers' sessions this node pins
 * (wanda-sync), with their CIDs: they are browsed through the gateway. */
static void
add_mirrors(struct req *r, cJSON *a)
{
	struct werr e = { 0 };
	cJSON *m = syncstate_mirrors(home(r), &e), *it;

	if (!m) {
		serve_logf(r->srv, "state_error", 0, "%s", e.msg);
		return;
	}
	cJSON_ArrayForEach(it, m)
	{
		const cJSON *peer = cJSON_GetObjectItemCaseSensitive(it, "peer");
		const cJSON *name = cJSON_GetObjectItemCaseSensitive(it, "session");
		const cJSON *cid = cJSON_GetObjectItemCaseSensitive(it, "cid");
		cJSON *o;
		if (!cJSON_IsString(peer) || !cJSON_IsString(name) || !cJSON_IsString(cid) ||
		    !route_cid_valid(cid->valuestring))
			continue;
		o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "name", name->valuestring);
		cJSON_AddStringToObject(o, "peer", peer->valuestring);
		cJSON_AddStringToObject(o, "cid", cid->valuestring);
		cJSON_AddStringToObject(o, "state", "pinned");
		cJSON_AddNullToObject(o, "captures");
		add_links(r, o, cid->valuestring);
		cJSON_AddItemToArray(a, o);
	}
	cJSON_Delete(m);
}

static enum MHD_Result
asset(struct req *r, int which)
{
	struct asset a = asset_get(which);
	struct MHD_Response *resp = MHD_create_response_from_buffer(a.len, (void *)a.data,
	    MHD_RESPMEM_PERSISTENT);

	if (!resp)
		return MHD_NO;
	MHD_add_response_header(resp, "Content-Type", a.type);
	MHD_add_response_header(resp, "Cache-Control", "no-cache");
	if (which == ASSET_PAGE)
		MHD_add_response_header(resp, "Content-Security-Policy",
		    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
		    "script-src 'self' 'unsafe-inline'; connect-src 'self'; frame-ancestors 'none'; "
		    "base-uri 'none'; form-action 'none'");
	return reply_queue(r, 200, resp);
}

enum MHD_Result
api_local(struct req *r)
{
	switch (r->rt.id) {
	case R_PAGE: return asset(r, ASSET_PAGE);
	case R_ASSET: return asset(r, ASSET_ICON);
	case R_OPENAPI: return asset(r, ASSET_OPENAPI);
	case R_CAPTURES: return captures(r);
	case R_CAPTURE:
	case R_CAPTURE_CID: return one_capture(r);
	case R_CAPTURE_IMAGE:
	case R_CAPTURE_THUMB: return capture_file(r);
	case R_CAPTURE_QR:
	case R_QR: return qr(r);
	case R_SESSIONS: return sessions(r);
	case R_SESSION:
		if (!session_exists(home(r), r->rt.arg))
			return reply_error(r, 404, "no such session");
		return reply_json(r, 200, session_json(home(r), r->rt.arg));
	case R_QUEUE: return queue(r);
	case R_IPNS: return ipns(r);
	case R_SYNC: return sync_state(r);
	default: return reply_error(r, 500, "no handler");
	}
}
