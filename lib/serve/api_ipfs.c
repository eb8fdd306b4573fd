/* api_ipfs: the routes that need the daemon, run in job threads (one
 * kubo client each, daemon_retries: none by default, a browser asks again), the streamed
 * /api/ipfs/:cid, and the status poller behind ipfs_status events. */
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "base/path.h"
#include "remote/remote.h"
#include "serve/serve_int.h"
#include "kubo/kubo.h"

static struct kubo *
client(struct serve *s, struct werr *e)
{
	struct kubo_opts o;

	kubo_opts_default(&o);
	o.connect_timeout_ms = 2000;
	o.timeout_ms = s->cfg.daemon_timeout_ms;
	o.slow_timeout_ms = s->cfg.daemon_timeout_ms;
	o.low_speed_s = (s->cfg.daemon_timeout_ms + 999) / 1000;
	o.retries = (int)s->cfg.daemon_retries;
	return kubo_new(s->cfg.api_url, &o, e);
}

static void
set_out(struct req *r, int status, cJSON *obj)
{
	r->status = status;
	r->out = cJSON_PrintUnformatted(obj);
	r->out_type = "application/json";
	cJSON_Delete(obj);
}

/* A failed daemon call as an HTTP answer: down 503, slow 504, refused 502
 * (or 404 for what Kubo says is not there). */
static void
daemon_fail(struct req *r, struct kubo *k, const struct werr *e)
{
	const struct kubo_error *ke = k ? kubo_last_error(k) : NULL;
	int status = 502;
	cJSON *o = error_json(e->msg);

	if (!ke || ke->kind == KUBO_E_UNREACHABLE) {
		status = 503;
		cJSON_AddStringToObject(o, "daemon", "down");
	} else if (ke->kind == KUBO_E_TIMEOUT)
		status = 504;
	else if (ke->kind == KUBO_E_HTTP && (strstr(ke->message, "not pinned") || strstr(ke->message, "could not resolve") || strstr(ke->message, "not found")))
		status = 404;
	if (r->rt.id == R_PIN_ADD) /* the Pinning Service word for it */
		cJSON_AddStringToObject(o, "status", "failed");
	serve_logf(r->srv, "daemon_error", status, "%s: %s", route_name(r->rt.id), e->msg);
	set_out(r, status, o);
}

static int
count_peer(void *ctx, const struct kubo_peer *p, struct werr *e)
{
	cJSON *o = cJSON_CreateObject();

	(void)e;
	cJSON_AddStringToObject(o, "peer", p->peer);
	cJSON_AddStringToObject(o, "addr", p->addr);
	cJSON_AddStringToObject(o, "latency", p->latency);
	cJSON_AddStringToObject(o, "direction", p->direction == 1 ? "inbound" : p->direction == 2 ? "outbound" :
	                                                                                            "unknown");
	cJSON_AddItemToArray(ctx, o);
	return 0;
}

static int
status(struct req *r, struct kubo *k, struct werr *e)
{
	struct kubo_id id;
	struct kubo_version v;
	size_t n;
	cJSON *o;

	if (kubo_id(k, &id, e) < 0 || kubo_version(k, &v, e) < 0 ||
	    kubo_swarm_peers(k, NULL, NULL, &n, e) < 0)
		return -1;
	o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "daemon", "up");
	cJSON_AddStringToObject(o, "version", v.version);
	cJSON_AddStringToObject(o, "agent", id.agent_version);
	cJSON_AddStringToObject(o, "peer_id", id.id);
	cJSON_AddNumberToObject(o, "peers", (double)n);
	set_out(r, 200, o);
	return 0;
}

static int
count_pin(void *ctx, const char *cid, const char *type, struct werr *e)
{
	(void)cid;
	(void)type;
	(void)e;
	++*(size_t *)ctx;
	return 0;
}

static int
stats(struct req *r, struct kubo *k, struct werr *e)
{
	struct kubo_repo_stat rs;
	struct kubo_bw bw;
	size_t pins = 0;
	cJSON *o, *b;

	if (kubo_repo_stat(k, &rs, e) < 0 || kubo_pin_ls(k, NULL, "recursive", count_pin, &pins, e) < 0 ||
	    kubo_stats_bw(k, &bw, e) < 0)
		return -1;
	o = cJSON_CreateObject();
	cJSON_AddNumberToObject(o, "repo_size", (double)rs.repo_size);
	cJSON_AddNumberToObject(o, "storage_max", (double)rs.storage_max);
	cJSON_AddNumberToObject(o, "num_objects", (double)rs.num_objects);
	cJSON_AddNumberToObject(o, "pinned", (double)pins);
	b = cJSON_AddObjectToObject(o, "bandwidth");
	cJSON_AddNumberToObject(b, "total_in", (double)bw.total_in);
	cJSON_AddNumberToObject(b, "total_out", (double)bw.total_out);
	cJSON_AddNumberToObject(b, "rate_in", bw.rate_in);
	cJSON_AddNumberToObject(b, "rate_out", bw.rate_out);
	/* each remote target's health and backlog, from its files (no probe:
	 * this route is polled) */
	if (r->srv->cfg.remotes != NULL)
		cJSON_AddItemToObject(o, "remote", remote_status_json(r->srv->cfg.remotes, 0, e));
	set_out(r, 200, o);
	return 0;
}

static int
peers(struct req *r, struct kubo *k, struct werr *e)
{
	cJSON *o = cJSON_CreateObject(), *a = cJSON_AddArrayToObject(o, "peers");
	size_t n;

	if (kubo_swarm_peers(k, count_peer, a, &n, e) < 0) {
		cJSON_Delete(o);
		return -1;
	}
	cJSON_AddNumberToObject(o, "count", (double)n);
	set_out(r, 200, o);
	return 0;
}

static cJSON *
pin_json(const char *cid, const char *status)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddStringToObject(o, "cid", cid);
	if (status)
		cJSON_AddStringToObject(o, "status", status);
	else
		cJSON_AddNullToObject(o, "status");
	return o;
}

static int
pin(struct req *r, struct kubo *k, struct werr *e)
{
	cJSON *body = r->body ? cJSON_Parse(r->body) : NULL;
	const cJSON *c = cJSON_GetObjectItemCaseSensitive(body, "cid");
	char cid[KUBO_CID_MAX];

	if (!cJSON_IsString(c) || !route_cid_valid(c->valuestring)) {
		cJSON_Delete(body);
		serve_logf(r->srv, "request_error", 400, "pin_add: body is not {\"cid\": CID}");
		set_out(r, 400, error_json("body must be {\"cid\": CID}"));
		return 0;
	}
	snprintf(cid, sizeof cid, "%s", c->valuestring);
	cJSON_Delete(body);
	if (kubo_pin_add(k, cid, 1, e) < 0)
		return -1;
	serve_logf(r->srv, "pinned", 0, "%s", cid);
	set_out(r, 200, pin_json(cid, "pinned"));
	return 0;
}

static int
unpin(struct req *r, struct kubo *k, struct werr *e)
{
	if (kubo_pin_rm(k, r->rt.arg, 1, e) < 0)
		return -1;
	serve_logf(r->srv, "unpinned", 0, "%s", r->rt.arg);
	set_out(r, 200, pin_json(r->rt.arg, NULL));
	return 0;
}

static int
pin_status(struct req *r, struct kubo *k, struct werr *e)
{
	char type[32] = "";
	int pinned;
	cJSON *o;

	if (kubo_pin_check(k, r->rt.arg, &pinned, type, e) < 0)
		return -1;
	o = pin_json(r->rt.arg, pinned ? "pinned" : NULL);
	cJSON_AddBoolToObject(o, "pinned", pinned);
	if (pinned)
		cJSON_AddStringToObject(o, "type", type);
	set_out(r, 200, o);
	return 0;
}

static int
resolve(struct req *r, struct kubo *k, struct werr *e)
{
	char path[KUBO_NAME_MAX];
	cJSON *o;

	if (kubo_name_resolve(k, r->rt.arg, 0, path, e) < 0)
		return -1;
	o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "name", r->rt.arg);
	cJSON_AddStringToObject(o, "value", path);
	if (!strncmp(path, "/ipfs/", 6))
		cJSON_AddStringToObject(o, "cid", path + 6);
	set_out(r, 200, o);
	return 0;
}

/* ---- /api/ipfs/:cid ---------------------------------------------------- */

static const char *
sniff(const unsigned char *p, size_t n)
{
	if (n >= 3 && p[0] == 0xff && p[1] == 0xd8 && p[2] == 0xff)
		return "image/jpeg";
	if (n >= 8 && !memcmp(p, "\x89PNG\r\n\x1a\n", 8))
		return "image/png";
	if (n >= 6 && (!memcmp(p, "GIF87a", 6) || !memcmp(p, "GIF89a", 6)))
		return "image/gif";
	if (n >= 12 && !memcmp(p, "RIFF", 4) && !memcmp(p + 8, "WEBP", 4))
		return "image/webp";
	if (n >= 1 && (p[0] == '{' || p[0] == '['))
		return "application/json";
	for (size_t i = 0; i < n; i++)
		if (p[i] < 0x09 || (p[i] > 0x0d && p[i] < 0x20) || p[i] == 0x7f)
			return "application/octet-stream";
	/* never text/html: content from the network is not run on this origin */
	return "text/plain; charset=utf-8";
}

void
stream_unref(struct stream *st)
{
	int last;

	pthread_mutex_lock(&st->mu);
	last = --st->refs == 0;
	pthread_mutex_unlock(&st->mu);
	if (last) {
		pthread_mutex_destroy(&st->mu);
		pthread_cond_destroy(&st->cv);
		free(st);
	}
}

/* Wake the consumer if it waits (outside the lock; it stays suspended until then). */
static void
stream_wake(struct stream *st, int waiting)
{
	if (waiting)
		MHD_resume_connection(st->conn);
}

struct prod {
	struct stream *st;
	struct serve *srv;
};

static int
produce(void *ctx, const void *p, size_t n, struct werr *e)
{
	struct prod *pr = ctx;
	struct stream *st = pr->st;
	const char *c = p;

	while (n) {
		size_t room, at, k;
		int w;

		pthread_mutex_lock(&st->mu);
		while (st->len == sizeof st->buf && !st->closed && !pr->srv->stopping) {
			struct timespec ts;
			clock_gettime(CLOCK_REALTIME, &ts);
			ts.tv_sec += 1; /* and look at stopping again */
			pthread_cond_timedwait(&st->cv, &st->mu, &ts);
		}
		if (st->closed || pr->srv->stopping) {
			pthread_mutex_unlock(&st->mu);
			return werr_set(e, EX_IOERR, "client gone");
		}
		room = sizeof st->buf - st->len;
		at = (st->head + st->len) % sizeof st->buf;
		k = n < room ? n : room;
		if (k > sizeof st->buf - at)
			k = sizeof st->buf - at;
		memcpy(st->buf + at, c, k);
		st->len += k;
		c += k;
		n -= k;
		w = st->waiting;
		st->waiting = 0;
		pthread_mutex_unlock(&st->mu);
		stream_wake(st, w);
	}
	return 0;
}

static ssize_t
stream_reader(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct stream *st = cls;
	ssize_t n = 0;

	(void)pos;
	pthread_mutex_lock(&st->mu);
	if (st->len) {
		size_t k = st->len < max ? st->len : max;
		if (k > sizeof st->buf - st->head)
			k = sizeof st->buf - st->head;
		memcpy(buf, st->buf + st->head, k);
		st->head = (st->head + k) % sizeof st->buf;
		st->len -= k;
		n = (ssize_t)k;
		pthread_cond_broadcast(&st->cv);
	} else if (st->failed)
		n = MHD_CONTENT_READER_END_WITH_ERROR;
	else if (st->eof)
		n = MHD_CONTENT_READER_END_OF_STREAM;
	else {
		st->waiting = 1;
		MHD_suspend_connection(st->conn);
	}
	pthread_mutex_unlock(&st->mu);
	return n;
}

static void
stream_free_cb(void *cls)
{
	struct stream *st = cls;

	pthread_mutex_lock(&st->mu);
	st->closed = 1;
	pthread_cond_broadcast(&st->cv);
	pthread_mutex_unlock(&st->mu);
	stream_unref(st);
}

struct head {
	unsigned char b[512];
	size_t n;
};

static int
take_head(void *ctx, const void *p, size_t n, struct werr *e)
{
	struct head *h = ctx;
	size_t k = n < sizeof h->b - h->n ? n : sizeof h->b - h->n;

	(void)e;
	memcpy(h->b + h->n, p, k);
	h->n += k;
	return 0;
}

static int
cat(struct req *r, struct kubo *k, struct werr *e)
{
	struct kubo_files_stat fs;
	char path[KUBO_CID_MAX + 8];
	struct head h = { .n = 0 };
	struct stream *st;
	struct prod pr;
	int rr, w, head = r->head;
	uint64_t off = 0, len;

	if (path_fmt(path, sizeof path, e, "/ipfs/%s", r->rt.arg) < 0 || kubo_files_stat(k, path, &fs, e) < 0)
		return -1;
	if (strcmp(fs.type, "file")) {
		set_out(r, 400, error_json("that CID is a directory; ask for a file in it"));
		return 0;
	}
	rr = route_parse_range(r->range[0] ? r->range : NULL, fs.size, &off, &len);
	if (rr < 0) {
		set_out(r, 416, error_json("range not satisfiable"));
		r->st_size = fs.size;
		return 0;
	}
	if (rr == 0)
		len = fs.size;
	if (kubo_cat(k, path, 0, fs.size < 512 ? (int64_t)fs.size : 512, take_head, &h, e) < 0)
		return -1;
	if (!(st = calloc(1, sizeof *st)))
		return werr_set(e, EX_OSERR, "out of memory");
	pthread_mutex_init(&st->mu, NULL);
	pthread_cond_init(&st->cv, NULL);
	st->conn = r->conn;
	st->refs = 2;
	r->st = st;
	r->status = rr ? 206 : 200;
	r->out_type = sniff(h.b, h.n);
	r->st_size = fs.size;
	r->st_off = off;
	r->st_len = len;
	r->st_partial = rr;
	pr.st = st;
	pr.srv = r->srv;
	serve_head_ready(r); /* r belongs to the connection from here on */
	if (len && !head && kubo_cat(k, path, off, (int64_t)len, produce, &pr, e) < 0) {
		if (!st->closed)
			serve_logf(pr.srv, "daemon_error", 0, "ipfs_cat %s: %s", path + 6, e->msg);
		pthread_mutex_lock(&st->mu);
		st->failed = 1;
	} else
		pthread_mutex_lock(&st->mu);
	st->eof = 1;
	w = st->waiting;
	st->waiting = 0;
	pthread_mutex_unlock(&st->mu);
	stream_wake(st, w);
	stream_unref(st);
	return 1;
}

enum MHD_Result
api_daemon_reply(struct req *r)
{
	struct MHD_Response *resp;
	char v[96];

	if (!r->st) {
		const char *txt = r->out ? r->out : "{\"error\":\"internal error\"}";
		resp = MHD_create_response_from_buffer(strlen(txt), (void *)txt, MHD_RESPMEM_MUST_COPY);
		if (!resp)
			return MHD_NO;
		MHD_add_response_header(resp, "Content-Type", "application/json");
		MHD_add_response_header(resp, "Cache-Control", "no-store");
		if (r->status == 416) {
			snprintf(v, sizeof v, "bytes */%llu", (unsigned long long)r->st_size);
			MHD_add_response_header(resp, "Content-Range", v);
		}
	} else {
		resp = MHD_create_response_from_callback(r->st_len, 32768, stream_reader, r->st, stream_free_cb);
		if (!resp)
			return MHD_NO;
		r->st = NULL; /* the response owns the consumer's reference now */
		MHD_add_response_header(resp, "Content-Type", r->out_type);
		MHD_add_response_header(resp, "Accept-Ranges", "bytes");
		MHD_add_response_header(resp, "Cache-Control", "public, max-age=31536000, immutable");
		MHD_add_response_header(resp, "Content-Security-Policy", "sandbox; default-src 'none'");
		if (r->st_partial) {
			snprintf(v, sizeof v, "bytes %llu-%llu/%llu", (unsigned long long)r->st_off,
			    (unsigned long long)(r->st_off + r->st_len - 1), (unsigned long long)r->st_size);
			MHD_add_response_header(resp, "Content-Range", v);
		}
	}
	return reply_queue(r, (unsigned)r->status, resp);
}

void
api_daemon(struct req *r)
{
	struct werr e = { 0 };
	struct kubo *k = client(r->srv, &e);
	int rc = -1;

	if (k) {
		switch (r->rt.id) {
		case R_IPFS_STATUS: rc = status(r, k, &e); break;
		case R_IPFS_STATS: rc = stats(r, k, &e); break;
		case R_IPFS_PEERS: rc = peers(r, k, &e); break;
		case R_PIN_ADD: rc = pin(r, k, &e); break;
		case R_PIN_RM: rc = unpin(r, k, &e); break;
		case R_PIN_STATUS: rc = pin_status(r, k, &e); break;
		case R_IPNS_RESOLVE: rc = resolve(r, k, &e); break;
		case R_IPFS_CAT: rc = cat(r, k, &e); break;
		default:
			set_out(r, 500, error_json("no handler"));
			rc = 0;
		}
	}
	if (rc < 0)
		daemon_fail(r, k, &e);
	kubo_free(k);
	if (rc != 1) /* 1: cat handed r over already */
		serve_head_ready(r);
}

/* ---- status poller ----------------------------------------------------- */

struct seen {
	char ids[256][KUBO_NAME_MAX];
	size_t n;
	struct serve *s;
};

static int
peer_seen(void *ctx, const struct kubo_peer *p, struct werr *e)
{
	struct seen *sn = ctx;
	cJSON *o;
	char *txt;

	(void)e;
	for (size_t i = 0; i < sn->n; i++)
		if (!strcmp(sn->ids[i], p->peer))
			return 0;
	if (sn->n < 256)
		snprintf(sn->ids[sn->n++], KUBO_NAME_MAX, "%s", p->peer);
	o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "event", "ipfs_peer_connected");
	cJSON_AddStringToObject(o, "peer", p->peer);
	cJSON_AddStringToObject(o, "addr", p->addr);
	if ((txt = cJSON_PrintUnformatted(o)))
		sse_hub_publish(sn->s->hub, "ipfs_peer_connected", txt);
	free(txt);
	cJSON_Delete(o);
	return 0;
}

void *
api_status_poller(void *arg)
{
	struct serve *s = arg;
	struct seen *sn = calloc(1, sizeof *sn);
	int last_up = -1;
	long last_peers = -1;

	if (!sn)
		return NULL;
	sn->s = s;
	for (;;) {
		struct werr e = { 0 };
		struct kubo *k = client(s, &e);
		struct pollfd p = { s->stop_pipe[0], POLLIN, 0 };
		size_t n = 0;
		int up = k && kubo_swarm_peers(k, peer_seen, sn, &n, &e) == 0;

		kubo_free(k);
		if (up != last_up || (up && (long)n != last_peers)) {
			char txt[128];
			snprintf(txt, sizeof txt, "{\"event\":\"ipfs_status\",\"daemon\":\"%s\",\"peers\":%zu}",
			    up ? "up" : "down", n);
			sse_hub_publish(s->hub, "ipfs_status", txt);
			if (up != last_up)
				serve_logf(s, up ? "daemon_up" : "daemon_down", 0, "%s", up ? s->cfg.api_url : e.msg);
			last_up = up;
			last_peers = (long)n;
		}
		if (!up)
			sn->n = 0;
		if (poll(&p, 1, (int)s->cfg.status_ms) != 0)
			break;
	}
	free(sn);
	return NULL;
}
