/* serve: see serve.h. The libmicrohttpd wiring: limits, the Host check,
 * the token, dispatch to the handlers, jobs and the event stream. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include "serve/serve_int.h"
#include "base/atomicio.h"
#include "base/buf.h"
#include "base/path.h"

/* The defaults serve.h gives, as one literal (a field not named is 0 or
 * NULL). */
static const struct serve_cfg serve_cfg_defaults = {
	.listen = "127.0.0.1:8088",
	.gateway = "http://127.0.0.1:8080",
	.public_gateway = "https://ipfs.io",
	.max_connections = 512,
	.max_jobs = 16,
	.timeout_s = 60,
	.daemon_timeout_ms = 30000,
	.heartbeat_ms = 15000,
	.status_ms = 5000,
	.max_body = 4096,
	.threads = 2,
	.sse_buffer = SSE_BUFFER_DEFAULT,
};

void
serve_cfg_default(struct serve_cfg *c)
{
	*c = serve_cfg_defaults;
}

/* ---- token, listen address ------------------------------------------- */

int
serve_token(const char *path, char *token, size_t cap, int *created, struct werr *e)
{
	char *buf = NULL;
	size_t n = 0;
	unsigned char rnd[32];

	*created = 0;
	if (cap < 65)
		return werr_set(e, EX_SOFTWARE, "token buffer too small");
	if (read_file(path, &buf, &n, e) == 0) {
		while (n && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
			buf[--n] = '\0';
		if (n < 16 || n >= cap || strpbrk(buf, " \t\r\n")) {
			free(buf);
			return werr_set(e, EX_DATAERR, "%s: not a token (16-%zu characters, no spaces)", path, cap - 1);
		}
		memcpy(token, buf, n + 1);
		free(buf);
		return 0;
	}
	if (access(path, F_OK) == 0)
		return -1; /* exists but unreadable: read_file's error */
	if (getrandom(rnd, sizeof rnd, 0) != (ssize_t)sizeof rnd)
		return werr_sys(e, EX_OSERR, "getrandom");
	for (size_t i = 0; i < sizeof rnd; i++)
		snprintf(token + 2 * i, 3, "%02x", rnd[i]);
	{
		struct atomic_file af;
		char line[70], dir[4096];
		const char *slash = strrchr(path, '/');

		if (slash && slash != path) {
			snprintf(dir, sizeof dir, "%.*s", (int)(slash - path), path);
			if (mkdir_p(dir, 0755, e) < 0)
				return -1;
		}
		int len = snprintf(line, sizeof line, "%s\n", token);
		mode_t old = umask(077);
		int rc = atomic_open(&af, path, e);
		umask(old);
		if (rc < 0)
			return -1;
		if (fchmod(af.fd, 0600) < 0 || write_all(af.fd, line, (size_t)len) < 0) {
			atomic_abort(&af);
			return werr_sys(e, EX_CANTCREAT, "%s", path);
		}
		if (atomic_commit(&af, e) < 0)
			return -1;
	}
	*created = 1;
	return 0;
}

int
serve_parse_listen(const char *s, char *host, size_t hcap, unsigned *port, struct werr *e)
{
	const char *colon;
	char *end;
	unsigned long p;
	size_t hn;

	if (s[0] == '[') {
		const char *rb = strchr(s, ']');
		if (!rb || rb[1] != ':')
			return werr_set(e, EX_USAGE, "--listen %s: want ADDR:PORT or [V6]:PORT", s);
		hn = (size_t)(rb - s - 1);
		colon = rb + 1;
		s++;
	} else {
		if (!(colon = strrchr(s, ':')))
			return werr_set(e, EX_USAGE, "--listen %s: want ADDR:PORT", s);
		hn = (size_t)(colon - s);
	}
	errno = 0;
	p = strtoul(colon + 1, &end, 10);
	if (!colon[1] || *end || errno || p > 65535 || hn == 0 || hn >= hcap)
		return werr_set(e, EX_USAGE, "--listen %s: bad address or port", s);
	memcpy(host, s, hn);
	host[hn] = '\0';
	*port = (unsigned)p;
	return 0;
}

/* ---- checks ------------------------------------------------------------ */

static int
host_ok(struct serve *s, const char *host)
{
	if (!host)
		return 0;
	for (size_t i = 0; i < s->nhosts; i++)
		if (strcasecmp(host, s->hosts[i]) == 0)
			return 1;
	return 0;
}

static int
token_ok(struct serve *s, const char *auth)
{
	size_t n = strlen(s->token), m;
	unsigned char d = 0;

	if (!auth || strncasecmp(auth, "Bearer ", 7))
		return 0;
	auth += 7;
	m = strlen(auth);
	for (size_t i = 0; i < n; i++)
		d |= (unsigned char)(s->token[i] ^ (i < m ? auth[i] : 0));
	return d == 0 && m == n;
}

/* ---- event stream ------------------------------------------------------ */

static void
sse_wake(void *ctx)
{
	struct req *r = ctx;

	MHD_resume_connection(r->conn);
}

static void
sse_suspend(void *ctx)
{
	struct req *r = ctx;

	MHD_suspend_connection(r->conn);
}

/* A client that stopped reading: shut its socket so that its connection
 * ends now (libmicrohttpd then closes it and completes the request). */
static void
sse_drop(void *ctx, unsigned long long behind)
{
	struct req *r = ctx;
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(r->conn, MHD_CONNECTION_INFO_CONNECTION_FD);

	serve_logf(r->srv, "events_client_dropped", 0,
	    "event stream client %llu bytes behind, more than serve_sse_buffer (%zu): dropped",
	    behind, r->srv->cfg.sse_buffer);
	if (ci)
		shutdown(ci->connect_fd, SHUT_RDWR);
}

static const struct sse_ops sse_ops = { sse_wake, sse_suspend, sse_drop };

static ssize_t
sse_reader(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct req *r = cls;
	ssize_t n;

	(void)pos;
	n = sse_client_read(r->sse, buf, max);
	return n == -2 ? MHD_CONTENT_READER_END_WITH_ERROR : n < 0 ? MHD_CONTENT_READER_END_OF_STREAM :
	                                                             n;
}

static enum MHD_Result
start_events(struct req *r)
{
	const char *last = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, "Last-Event-ID");
	struct MHD_Response *resp;

	if (!(r->sse = sse_client_new(r->srv->hub, last, &sse_ops, r)))
		return reply_error(r, 503, "out of memory");
	resp = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 4096, sse_reader, r, NULL);
	if (!resp)
		return MHD_NO;
	MHD_add_response_header(resp, "Content-Type", "text/event-stream");
	MHD_add_response_header(resp, "Cache-Control", "no-store");
	MHD_add_response_header(resp, "X-Accel-Buffering", "no");
	return reply_queue(r, MHD_HTTP_OK, resp);
}

/* ---- jobs -------------------------------------------------------------- */

static void *
job_main(void *arg)
{
	struct req *r = arg;
	struct serve *s = r->srv;

	api_daemon(r); /* r may be gone after serve_head_ready */
	pthread_mutex_lock(&s->mu);
	s->jobs--;
	pthread_mutex_unlock(&s->mu);
	return NULL;
}

static enum MHD_Result
start_job(struct req *r)
{
	struct serve *s = r->srv;
	pthread_attr_t at;
	pthread_t t;
	int busy;

	pthread_mutex_lock(&s->mu);
	busy = s->jobs >= s->cfg.max_jobs;
	if (!busy)
		s->jobs++;
	pthread_mutex_unlock(&s->mu);
	if (busy)
		return reply_error(r, 503, "too many daemon requests at once, try again");
	r->stage = 2;
	MHD_suspend_connection(r->conn);
	pthread_attr_init(&at);
	pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&at, 256 * 1024);
	if (pthread_create(&t, &at, job_main, r) != 0) {
		pthread_attr_destroy(&at);
		pthread_mutex_lock(&s->mu);
		s->jobs--;
		pthread_mutex_unlock(&s->mu);
		r->stage = 3;
		r->status = 503;
		r->out = strdup("{\"error\":\"cannot start a thread\"}");
		MHD_resume_connection(r->conn);
		return MHD_YES;
	}
	pthread_attr_destroy(&at);
	return MHD_YES;
}

/* ---- the handler ------------------------------------------------------- */

static enum MHD_Result
dispatch(struct req *r)
{
	struct serve *s = r->srv;
	int too_many;

	pthread_mutex_lock(&s->mu);
	too_many = s->conns > s->cfg.max_connections;
	pthread_mutex_unlock(&s->mu);
	if (too_many)
		return reply_error(r, 503, "too many connections");
	if (route_needs_daemon(r->rt.id)) {
		const char *range = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, "Range");
		snprintf(r->range, sizeof r->range, "%s", range && strlen(range) < sizeof r->range ? range : "");
		return start_job(r);
	}
	if (r->rt.id == R_EVENTS)
		return start_events(r);
	return api_local(r);
}

static enum MHD_Result
first_call(struct req *r, const char *method)
{
	struct serve *s = r->srv;
	const char *host = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, "Host");
	const char *ct;

	if (!host_ok(s, host)) {
		serve_logf(s, "request_error", host ? 421 : 400, "Host %s refused (not %s)",
		    host ? host : "(none)", s->hosts[0]);
		return reply_json(r, host ? 421 : 400, error_json(host ? "this server does not answer to that Host" : "Host header required"));
	}
	r->head = !strcmp(method, "HEAD");
	if (r->overlong)
		return reply_error(r, 414, "request target too long");
	if (route_match(method, r->target, &r->rt))
		return reply_error(r, r->rt.status, r->rt.error);
	if (route_mutating(r->rt.id)) {
		const char *auth = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, "Authorization");
		if (!auth)
			return reply_error(r, 401, "this route needs Authorization: Bearer TOKEN");
		if (!token_ok(s, auth))
			return reply_error(r, 403, "wrong token");
	}
	if (r->rt.id == R_PIN_ADD) {
		ct = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, "Content-Type");
		if (!ct || strncasecmp(ct, "application/json", 16))
			return reply_error(r, 415, "POST body must be application/json");
	}
	r->stage = 1;
	return MHD_YES;
}

static enum MHD_Result
handler(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
    const char *version, const char *upload, size_t *upload_size, void **req_cls)
{
	struct req *r = *req_cls;

	(void)cls;
	(void)url;
	(void)version;
	if (!r)
		return MHD_NO;
	r->conn = conn;
	if (r->stage == 0) /* headers only: the body (if any) and a last call follow */
		return first_call(r, method);
	if (r->stage == 1) {
		if (*upload_size) {
			if (r->body_len + *upload_size > r->srv->cfg.max_body)
				r->too_big = 1;
			else {
				if (buf_grow_array(&r->body, &r->body_cap, r->body_len + *upload_size + 1, 1, 1024,
				        NULL) < 0)
					return MHD_NO;
				memcpy(r->body + r->body_len, upload, *upload_size);
				r->body_len += *upload_size;
				r->body[r->body_len] = '\0';
			}
			*upload_size = 0;
			return MHD_YES;
		}
		if (r->too_big)
			return reply_error(r, 413, "request body too large");
		if (r->body_len && r->rt.id != R_PIN_ADD)
			return reply_error(r, 400, "this route takes no body");
		return dispatch(r);
	}
	if (r->stage == 3)
		return api_daemon_reply(r);
	return MHD_YES; /* resumed before the job was done: wait */
}

static void *
uri_logger(void *cls, const char *uri, struct MHD_Connection *conn)
{
	struct req *r = calloc(1, sizeof *r);

	if (!r)
		return NULL;
	r->srv = cls;
	r->conn = conn;
	if (strlen(uri) > ROUTE_TARGET_MAX)
		r->overlong = 1;
	else
		snprintf(r->target, sizeof r->target, "%s", uri);
	return r;
}

static void
completed(void *cls, struct MHD_Connection *conn, void **req_cls, enum MHD_RequestTerminationCode why)
{
	struct req *r = *req_cls;
	struct serve *s = cls;

	(void)conn;
	if (why == MHD_REQUEST_TERMINATED_TIMEOUT_REACHED)
		serve_logf(s, "request_timeout", 408, "%s: connection idle past %lds, closed",
		    r ? r->target : "?", s->cfg.timeout_s);
	if (!r)
		return;
	if (r->sse)
		sse_client_free(r->sse);
	if (r->st) { /* never handed to a response: the consumer's reference is ours */
		pthread_mutex_lock(&r->st->mu);
		r->st->closed = 1;
		pthread_cond_broadcast(&r->st->cv);
		pthread_mutex_unlock(&r->st->mu);
		stream_unref(r->st);
	}
	free(r->body);
	free(r->out);
	free(r);
	*req_cls = NULL;
}

static void
conn_notify(void *cls, struct MHD_Connection *conn, void **socket_ctx, enum MHD_ConnectionNotificationCode code)
{
	struct serve *s = cls;

	(void)conn;
	(void)socket_ctx;
	pthread_mutex_lock(&s->mu);
	s->conns += code == MHD_CONNECTION_NOTIFY_STARTED ? 1 : -1;
	pthread_mutex_unlock(&s->mu);
}

static void
mhd_log(void *cls, const char *fmt, va_list ap)
{
	char msg[400];

	vsnprintf(msg, sizeof msg, fmt, ap);
	msg[strcspn(msg, "\n")] = '\0';
	serve_logf(cls, "server", 0, "%s", msg);
}

/* ---- start, stop ------------------------------------------------------- */

static void
add_host(struct serve *s, const char *h)
{
	/* a name that does not fit is left out rather than cut (it could
	 * then match some other host) */
	if (s->nhosts < SERVE_MAX_HOSTS && *h && strlen(h) < sizeof s->hosts[0])
		memcpy(s->hosts[s->nhosts++], h, strlen(h) + 1);
}

static void
allowed_hosts(struct serve *s, const char *host, unsigned port, int v6)
{
	char buf[300];
	const char *p = s->cfg.hosts;

	snprintf(buf, sizeof buf, v6 ? "[%s]:%u" : "%s:%u", host, port);
	add_host(s, buf);
	if (!strcmp(host, "127.0.0.1") || !strcmp(host, "::1")) {
		snprintf(buf, sizeof buf, "localhost:%u", port);
		add_host(s, buf);
	}
	while (p && *p) {
		size_t n = strcspn(p, ",");
		snprintf(buf, sizeof buf, "%.*s", (int)n, p);
		if (!strchr(buf, ':') || buf[0] == '[')
			snprintf(buf, sizeof buf, "%.*s:%u", (int)n, p, port);
		add_host(s, buf);
		p += n + (p[n] == ',');
	}
}

static int
bind_socket(const char *host, unsigned port, int *v6, unsigned *real, struct werr *e)
{
	struct sockaddr_storage ss = { 0 };
	struct sockaddr_in *a4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&ss;
	socklen_t sl;
	int fd, one = 1;

	*v6 = strchr(host, ':') != NULL;
	if (*v6) {
		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons((uint16_t)port);
		if (inet_pton(AF_INET6, host, &a6->sin6_addr) != 1)
			return werr_set(e, EX_USAGE, "--listen: %s is not an IPv6 address", host);
		sl = sizeof *a6;
	} else {
		a4->sin_family = AF_INET;
		a4->sin_port = htons((uint16_t)port);
		if (inet_pton(AF_INET, host, &a4->sin_addr) != 1)
			return werr_set(e, EX_USAGE, "--listen: %s is not an IPv4 address", host);
		sl = sizeof *a4;
	}
	if ((fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0)) < 0)
		return werr_sys(e, EX_OSERR, "socket");
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (bind(fd, (struct sockaddr *)&ss, sl) < 0 || listen(fd, 128) < 0) {
		werr_sys(e, EX_UNAVAILABLE, "--listen %s:%u", host, port);
		close(fd);
		return -1;
	}
	sl = sizeof ss;
	getsockname(fd, (struct sockaddr *)&ss, &sl);
	*real = ntohs(*v6 ? a6->sin6_port : a4->sin_port);
	return fd;
}

static int
start_mhd(struct serve *s, int fd, struct werr *e)
{
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME |
	    MHD_USE_ERROR_LOG | MHD_USE_TURBO;

	s->mhd = MHD_start_daemon(flags, 0, NULL, NULL, handler, s,
	    MHD_OPTION_EXTERNAL_LOGGER, mhd_log, s,
	    MHD_OPTION_LISTEN_SOCKET, fd,
	    MHD_OPTION_CONNECTION_LIMIT, (unsigned)(s->cfg.max_connections + 16),
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)s->cfg.timeout_s,
	    MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)8192, /* headers + write buffer; 431 beyond */
	    MHD_OPTION_THREAD_POOL_SIZE, (unsigned)s->cfg.threads,
	    MHD_OPTION_URI_LOG_CALLBACK, uri_logger, s,
	    MHD_OPTION_NOTIFY_COMPLETED, completed, s,
	    MHD_OPTION_NOTIFY_CONNECTION, conn_notify, s,
	    MHD_OPTION_END);
	if (!s->mhd) {
		close(fd);
		return werr_set(e, EX_UNAVAILABLE, "cannot start the HTTP server");
	}
	return 0;
}

static void
listening(struct serve *s)
{
	cJSON *l = cJSON_CreateObject();

	cJSON_AddStringToObject(l, "event", "listening");
	cJSON_AddStringToObject(l, "url", s->url);
	cJSON_AddStringToObject(l, "home", s->cfg.home);
	cJSON_AddStringToObject(l, "token_file", s->cfg.token_file);
	cJSON_AddBoolToObject(l, "token_created", s->token_created);
	s->log(s->log_ctx, l);
}

struct serve *
serve_start(const struct serve_cfg *c, serve_log_fn log, void *ctx, struct werr *e)
{
	struct serve *s = calloc(1, sizeof *s);
	char host[256], evpath[PATH_MAX];
	unsigned port = 0, real = 0;
	int fd, v6, created;

	if (!s) {
		werr_set(e, EX_OSERR, "out of memory");
		return NULL;
	}
	s->cfg = *c;
	s->log = log;
	s->log_ctx = ctx;
	s->stop_pipe[0] = s->stop_pipe[1] = -1;
	pthread_mutex_init(&s->mu, NULL);
	pthread_mutex_init(&s->cache_mu, NULL);
	if (path_fmt(evpath, sizeof evpath, e, "%s/events.jsonl", c->home) < 0 || serve_parse_listen(c->listen, host, sizeof host, &port, e) < 0 ||
	    serve_token(c->token_file, s->token, sizeof s->token, &created, e) < 0 ||
	    (fd = bind_socket(host, port, &v6, &real, e)) < 0)
		goto fail;
	s->token_created = created;
	snprintf(s->url, sizeof s->url, v6 ? "http://[%s]:%u" : "http://%s:%u", host, real);
	allowed_hosts(s, host, real, v6);
	if (!(s->hub = sse_hub_new(evpath, c->heartbeat_ms, c->sse_buffer, e)) || sse_hub_start(s->hub, e) < 0) {
		close(fd);
		goto fail;
	}
	if (start_mhd(s, fd, e) < 0)
		goto fail;
	listening(s); /* the first line, before the poller can log */
	if (pipe2(s->stop_pipe, O_CLOEXEC) == 0 && c->status_ms > 0 &&
	    pthread_create(&s->poller, NULL, api_status_poller, s) == 0)
		s->poller_started = 1;
	return s;
fail:
	serve_stop(s);
	return NULL;
}

int
serve_token_created(const struct serve *s)
{
	return s->token_created;
}

const char *
serve_url(const struct serve *s)
{
	return s->url;
}

void
serve_stop(struct serve *s)
{
	if (!s)
		return;
	pthread_mutex_lock(&s->mu);
	s->stopping = 1;
	pthread_mutex_unlock(&s->mu);
	if (s->poller_started) {
		ssize_t w = write(s->stop_pipe[1], "x", 1);
		(void)w;
		pthread_join(s->poller, NULL);
	}
	sse_hub_stop(s->hub); /* wakes every event stream, which then ends */
	for (;;) {            /* daemon jobs resume their connections; wait for them */
		long jobs;
		pthread_mutex_lock(&s->mu);
		jobs = s->jobs;
		pthread_mutex_unlock(&s->mu);
		if (jobs == 0)
			break;
		usleep(20000);
	}
	if (s->mhd) {
		MHD_quiesce_daemon(s->mhd);
		usleep(100000); /* let the woken streams end */
		MHD_stop_daemon(s->mhd);
	}
	sse_hub_free(s->hub);
	for (int i = 0; i < 2; i++)
		if (s->stop_pipe[i] >= 0)
			close(s->stop_pipe[i]);
	pthread_mutex_destroy(&s->mu);
	pthread_mutex_destroy(&s->cache_mu);
	for (int i = 0; i < SERVE_CACHE; i++)
		free(s->cache[i].body);
	for (int i = 0; i < SERVE_SLOTS; i++)
		if (s->thumbs[i].resp)
			MHD_destroy_response(s->thumbs[i].resp);
	free(s);
}
