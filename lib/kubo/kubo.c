/* kubo: Kubo RPC client over libcurl. The request machinery (URL, upload,
 * response modes, error classes, retries) is here; the typed calls are in
 * kubo_calls.c, `get` (tar through libarchive) in kubo_get.c, the pure
 * helpers (URL escaping, NDJSON lines, error bodies, base64) in
 * kubo_util.c. See kubo.h for the contract. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include "kubo/kubo_int.h"
#include "base/clock.h"
#include "base/json.h"

void
kubo_opts_default(struct kubo_opts *o)
{
	memset(o, 0, sizeof *o);
	o->connect_timeout_ms = 5000;
	o->timeout_ms = 60000;
	o->transfer_timeout_ms = 0;
	o->slow_timeout_ms = 900000;
	o->low_speed_bytes = 1;
	o->low_speed_s = 30;
	o->retries = 3;
	o->backoff_ms = 200;
	o->backoff_max_ms = 5000;
}

void
kubo_opts_for_timeout(struct kubo_opts *o, long timeout_ms)
{
	kubo_opts_default(o);
	o->connect_timeout_ms = timeout_ms < 5000 ? timeout_ms : 5000;
	o->timeout_ms = timeout_ms * 2;
	o->low_speed_s = (timeout_ms + 999) / 1000;
}

struct kubo *
kubo_new(const char *base_url, const struct kubo_opts *o, struct werr *e)
{
	struct kubo *k;
	size_t n;

	if (base_url == NULL || strncmp(base_url, "http", 4) != 0) {
		werr_set(e, EX_CONFIG, "%s: not an http:// URL", base_url ? base_url : "(null)");
		return NULL;
	}
	/* curl_easy_init() below runs curl_global_init() the first time;
	 * threaded programs make their first client before their threads */
	if ((k = calloc(1, sizeof *k)) == NULL || (k->base = strdup(base_url)) == NULL) {
		free(k);
		werr_sys(e, EX_OSERR, "kubo");
		return NULL;
	}
	n = strlen(k->base);
	while (n > 0 && k->base[n - 1] == '/')
		k->base[--n] = '\0';
	if (o != NULL)
		k->o = *o;
	else
		kubo_opts_default(&k->o);
	if ((k->h = curl_easy_init()) == NULL) {
		kubo_free(k);
		werr_set(e, EX_SOFTWARE, "curl_easy_init failed");
		return NULL;
	}
	return k;
}

void
kubo_free(struct kubo *k)
{
	if (k == NULL)
		return;
	if (k->h != NULL)
		curl_easy_cleanup(k->h);
	free(k->base);
	free(k);
}

const char *
kubo_base_url(const struct kubo *k)
{
	return k->base;
}
const struct kubo_error *
kubo_last_error(const struct kubo *k)
{
	return &k->err;
}

const char *
kubo_kind_name(enum kubo_kind kind)
{
	static const char *const names[] = { "none", "unreachable", "timeout", "http", "stream",
		"truncated", "protocol", "local", "aborted" };

	if ((unsigned)kind < sizeof names / sizeof names[0])
		return names[kind];
	return "none";
}

void
kubo_add_opts_wanda(struct kubo_add_opts *o)
{
	memset(o, 0, sizeof *o);
	o->cid_version = 1;
	o->raw_leaves = 1;
	o->chunker = "size-1048576";
	o->hash = "sha2-256";
	o->max_file_links = 1024;
	o->max_directory_links = 0;
	o->max_hamt_fanout = 256;
	o->pin = 1;
}

void
kubo_add_opts_kubo(struct kubo_add_opts *o)
{
	memset(o, 0, sizeof *o);
	o->chunker = "size-262144";
	o->hash = "sha2-256";
	o->max_directory_links = -1;
	o->pin = 1;
}

/* ---- errors ------------------------------------------------------------ */

/* The werr code of an error (table in kubo.h). */
static int
kind_code(const struct kubo_error *ke, int local_code)
{
	switch (ke->kind) {
	case KUBO_E_UNREACHABLE: return EX_UNAVAILABLE;
	case KUBO_E_TIMEOUT: return EX_TEMPFAIL;
	case KUBO_E_HTTP:
		if (ke->http_status == 408 || ke->http_status == 429)
			return EX_TEMPFAIL;
		return ke->http_status < 500 ? EX_DATAERR : EX_SOFTWARE;
	case KUBO_E_STREAM:
	case KUBO_E_PROTOCOL: return EX_PROTOCOL;
	case KUBO_E_TRUNCATED: return EX_IOERR;
	default: return local_code ? local_code : EX_SOFTWARE;
	}
}

/* Record an error of this kind and fill e: "CMD: MESSAGE". */
int
kubo_fail(struct kubo *k, struct werr *e, const char *cmd, enum kubo_kind kind, int local_code,
    const char *fmt, ...)
{
	va_list ap;

	k->err.kind = kind;
	k->err.permanent = kind == KUBO_E_LOCAL || kind == KUBO_E_ABORTED;
	va_start(ap, fmt);
	vsnprintf(k->err.message, sizeof k->err.message, fmt, ap);
	va_end(ap);
	return werr_set(e, kind_code(&k->err, local_code), "%s: %s", cmd, k->err.message);
}

/* ---- per-attempt transfer state ---------------------------------------- */

static void
xfer_reset(struct xfer *x, struct kubo *k, struct kreq *r)
{
	kubo_lines_free(&x->lines);
	free(x->body.p);
	free(x->errbody.p);
	memset(x, 0, sizeof *x);
	x->k = k;
	x->r = r;
	x->lines.max = r->max_line;
}

static void
xfer_free(struct xfer *x)
{
	kubo_lines_free(&x->lines);
	free(x->body.p);
	free(x->errbody.p);
	memset(&x->body, 0, sizeof x->body);
	memset(&x->errbody, 0, sizeof x->errbody);
}

/* A callback's failure: remember it, make curl stop. */
static size_t
xfer_abort(struct xfer *x, enum kubo_kind kind)
{
	x->failed = 1;
	x->fail_kind = kind;
	return 0;
}

/* One NDJSON line: parse, spot Kubo's in-band error object, hand on. */
static int
on_line(void *ctx, char *line, size_t n, struct werr *e)
{
	struct xfer *x = ctx;
	cJSON *o = cJSON_ParseWithLength(line, n);
	const cJSON *msg, *type;
	int rc;

	if (o == NULL || !cJSON_IsObject(o)) {
		cJSON_Delete(o);
		x->fail_kind = KUBO_E_PROTOCOL;
		return werr_set(e, EX_PROTOCOL, "not a JSON object: %.80s", line);
	}
	type = cJSON_GetObjectItemCaseSensitive(o, "Type");
	msg = cJSON_GetObjectItemCaseSensitive(o, "Message");
	if (cJSON_IsString(type) && strcmp(type->valuestring, "error") == 0 && cJSON_IsString(msg)) {
		snprintf(x->stream_error, sizeof x->stream_error, "%s", msg->valuestring);
		x->has_stream_error = 1;
		x->fail_kind = KUBO_E_STREAM;
		werr_set(e, EX_PROTOCOL, "%s", x->stream_error);
		cJSON_Delete(o);
		return -1;
	}
	rc = x->r->json_fn(x->r->ctx, o, e);
	cJSON_Delete(o);
	x->delivered++;
	if (rc > 0)
		x->stopped = 1;
	/* KJ_BAD: our own parser found the object malformed */
	if (rc != 0)
		x->fail_kind = rc == KJ_BAD ? KUBO_E_PROTOCOL : KUBO_E_ABORTED;
	return rc != 0 ? -1 : 0;
}

static size_t
on_write(char *p, size_t size, size_t nmemb, void *ctx)
{
	struct xfer *x = ctx;
	size_t n = size * nmemb;
	long status = 0;

	curl_easy_getinfo(x->k->h, CURLINFO_RESPONSE_CODE, &status);
	x->got_body = 1;
	if (status >= 400) {
		/* keep the start of an error body; Kubo's is one small object */
		if (x->errbody.len < 65536 && buf_add(&x->errbody, p, n, NULL) < 0)
			return xfer_abort(x, KUBO_E_LOCAL);
		return n;
	}
	switch (x->r->mode) {
	case RESP_JSON:
		if (x->body.len + n > x->r->max_body) {
			werr_set(&x->cb_err, EX_PROTOCOL, "answer over %zu bytes", x->r->max_body);
			return xfer_abort(x, KUBO_E_PROTOCOL);
		}
		if (buf_add(&x->body, p, n, NULL) < 0)
			return xfer_abort(x, KUBO_E_LOCAL);
		return n;
	case RESP_NDJSON:
		if (kubo_lines_feed(&x->lines, p, n, on_line, x, &x->cb_err) < 0) {
			if (x->stopped)
				return 0;
			x->failed = 1;
			if (x->fail_kind == KUBO_E_NONE)
				x->fail_kind = KUBO_E_PROTOCOL;
			return 0;
		}
		return n;
	default:
		if (x->r->data_fn(x->r->ctx, p, n, &x->cb_err) < 0)
			return xfer_abort(x, KUBO_E_ABORTED);
		x->delivered += n;
		return n;
	}
}

/* Status lines (again after "100 Continue"), X-Stream-Error in the
 * headers or, after a chunked body, in the trailers (libcurl passes
 * trailer fields to this callback too), and the end of the headers. */
static size_t
on_header(char *p, size_t size, size_t nmemb, void *ctx)
{
	struct xfer *x = ctx;
	size_t n = size * nmemb, m = n;
	static const char xse[] = "x-stream-error:";
	int code;

	while (m > 0 && (p[m - 1] == '\n' || p[m - 1] == '\r'))
		m--;
	if (m >= 9 && strncmp(p, "HTTP/", 5) == 0) {
		const char *sp = memchr(p, ' ', m);
		if (sp != NULL && sscanf(sp, " %d", &code) == 1)
			x->hdr_status = code;
		return n;
	}
	if (m >= sizeof xse - 1 && strncasecmp(p, xse, sizeof xse - 1) == 0) {
		const char *v = p + sizeof xse - 1;
		size_t vl = m - (sizeof xse - 1);

		while (vl > 0 && (*v == ' ' || *v == '\t'))
			v++, vl--;
		if (vl > 0) {
			snprintf(x->stream_error, sizeof x->stream_error, "%.*s", (int)vl, v);
			x->has_stream_error = 1;
		}
		return n;
	}
	if (m == 0 && x->hdr_status >= 200 && !x->headers_done) {
		x->headers_done = 1;
		if (x->hdr_status < 300 && x->r->on_ready != NULL) {
			int rc = x->r->on_ready(x->r->ctx, &x->cb_err);

			if (rc > 0)
				x->stopped = 1;
			if (rc < 0)
				return xfer_abort(x, KUBO_E_ABORTED);
			if (rc > 0)
				return 0;
		}
	}
	return n;
}

/* Upload body: the fd or buffer, counted for the progress callback. */
static size_t
on_read(char *p, size_t size, size_t nmemb, void *ctx)
{
	struct xfer *x = ctx;
	struct kreq *r = x->r;
	size_t want = size * nmemb;
	ssize_t got;

	if (r->up_fd >= 0) {
		do
			got = read(r->up_fd, p, want);
		while (got < 0 && errno == EINTR);
		if (got < 0) {
			werr_sys(&x->cb_err, EX_IOERR, "reading %s", r->filename);
			x->failed = 1;
			x->fail_kind = KUBO_E_LOCAL;
			return CURL_READFUNC_ABORT;
		}
	} else {
		got = (ssize_t)(r->up_len - x->sent < want ? r->up_len - x->sent : want);
		memcpy(p, (const char *)r->up_buf + x->sent, (size_t)got);
	}
	if (got > 0 && r->up_tap != NULL && r->up_tap(r->up_tap_ctx, p, (size_t)got, &x->cb_err) < 0) {
		x->failed = 1;
		x->fail_kind = KUBO_E_LOCAL;
		return CURL_READFUNC_ABORT;
	}
	x->sent += (uint64_t)got;
	if (r->progress != NULL)
		r->progress(r->progress_ctx, x->sent,
		    r->up_size >= 0 ? (uint64_t)r->up_size : r->progress_total_hint);
	return (size_t)got;
}

/* ---- one attempt ------------------------------------------------------- */

static curl_mime *
make_mime(struct kubo *k, struct xfer *x, struct werr *e)
{
	struct kreq *r = x->r;
	curl_mime *m = curl_mime_init(k->h);
	curl_mimepart *part;
	char fname[768];

	if (m == NULL || (part = curl_mime_addpart(m)) == NULL) {
		curl_mime_free(m);
		werr_set(e, EX_OSERR, "%s: curl_mime: out of memory", r->cmd);
		return NULL;
	}
	/* Kubo unescapes the filename (url.QueryUnescape): escape it */
	kubo_escape(r->filename ? r->filename : "file", fname, sizeof fname);
	curl_mime_name(part, "file");
	curl_mime_filename(part, fname);
	curl_mime_type(part, "application/octet-stream");
	curl_mime_data_cb(part, r->up_size, on_read, NULL, NULL, x);
	return m;
}

static void
set_limits(struct kubo *k, const struct kreq *r)
{
	long total = r->transfer ? k->o.transfer_timeout_ms : k->o.timeout_ms;

	curl_easy_setopt(k->h, CURLOPT_CONNECTTIMEOUT_MS, k->o.connect_timeout_ms);
	if (r->stream_forever) {
		curl_easy_setopt(k->h, CURLOPT_TIMEOUT_MS, 0L);
		curl_easy_setopt(k->h, CURLOPT_LOW_SPEED_TIME, 0L);
		curl_easy_setopt(k->h, CURLOPT_LOW_SPEED_LIMIT, 0L);
		return;
	}
	if (r->slow) {
		curl_easy_setopt(k->h, CURLOPT_TIMEOUT_MS, k->o.slow_timeout_ms);
		curl_easy_setopt(k->h, CURLOPT_LOW_SPEED_TIME, 0L);
		curl_easy_setopt(k->h, CURLOPT_LOW_SPEED_LIMIT, 0L);
		return;
	}
	curl_easy_setopt(k->h, CURLOPT_TIMEOUT_MS, total);
	curl_easy_setopt(k->h, CURLOPT_LOW_SPEED_TIME, k->o.low_speed_s);
	curl_easy_setopt(k->h, CURLOPT_LOW_SPEED_LIMIT, k->o.low_speed_s > 0 ? k->o.low_speed_bytes : 0L);
}

/* Configure the reused handle for this attempt. */
static int
kubo_setup(struct kubo *k, struct xfer *x, const char *url, curl_mime **mime, struct werr *e)
{
	struct kreq *r = x->r;

	curl_easy_reset(k->h);
	*mime = NULL;
	curl_easy_setopt(k->h, CURLOPT_URL, url);
	curl_easy_setopt(k->h, CURLOPT_POST, 1L);
	curl_easy_setopt(k->h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(k->h, CURLOPT_ERRORBUFFER, k->errbuf);
	curl_easy_setopt(k->h, CURLOPT_USERAGENT, "wanda/" WANDA_VERSION);
	curl_easy_setopt(k->h, CURLOPT_WRITEFUNCTION, on_write);
	curl_easy_setopt(k->h, CURLOPT_WRITEDATA, x);
	curl_easy_setopt(k->h, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(k->h, CURLOPT_HEADERDATA, x);
	curl_easy_setopt(k->h, CURLOPT_TCP_KEEPALIVE, 1L);
	set_limits(k, r);
	if (r->has_upload) {
		if (r->up_tap != NULL && r->up_tap(r->up_tap_ctx, NULL, 0, e) < 0)
			return -1;
		if ((*mime = make_mime(k, x, e)) == NULL)
			return -1;
		curl_easy_setopt(k->h, CURLOPT_MIMEPOST, *mime);
	} else {
		curl_easy_setopt(k->h, CURLOPT_POSTFIELDS, "");
		curl_easy_setopt(k->h, CURLOPT_POSTFIELDSIZE, 0L);
	}
	k->errbuf[0] = '\0';
	return 0;
}

/* curl_easy_perform, waking every tick_ms for r->on_tick (pubsub/sub's
 * heartbeats: curl's own progress callback may wait a second). */
static CURLcode
perform_ticking(struct kubo *k, struct xfer *x)
{
	CURLM *m = curl_multi_init();
	CURLMsg *msg;
	CURLcode rc = CURLE_OK;
	long long next = mono_ms() + x->r->tick_ms, now;
	int running = 1, left, t;

	if (m == NULL || curl_multi_add_handle(m, k->h) != CURLM_OK) {
		curl_multi_cleanup(m);
		return CURLE_FAILED_INIT;
	}
	while (running) {
		if (curl_multi_perform(m, &running) != CURLM_OK) {
			rc = CURLE_RECV_ERROR;
			break;
		}
		while ((msg = curl_multi_info_read(m, &left)) != NULL)
			if (msg->msg == CURLMSG_DONE)
				rc = msg->data.result;
		if (!running)
			break;
		if ((now = mono_ms()) >= next) {
			next = now + x->r->tick_ms;
			if ((t = x->r->on_tick(x->r->ctx, &x->cb_err)) != 0) {
				x->stopped = t > 0;
				x->failed = t < 0;
				x->fail_kind = KUBO_E_ABORTED;
				rc = CURLE_ABORTED_BY_CALLBACK;
				break;
			}
		}
		curl_multi_poll(m, NULL, 0, (int)(next - now > 0 ? next - now : 1), NULL);
	}
	curl_multi_remove_handle(m, k->h);
	curl_multi_cleanup(m);
	return rc;
}

/* What curl's result code means for us when no callback caused it. */
static enum kubo_kind
curl_kind(CURLcode rc, const struct xfer *x)
{
	switch (rc) {
	case CURLE_COULDNT_CONNECT:
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
		return KUBO_E_UNREACHABLE;
	case CURLE_OPERATION_TIMEDOUT:
		return KUBO_E_TIMEOUT;
	case CURLE_WEIRD_SERVER_REPLY:
	case CURLE_UNSUPPORTED_PROTOCOL:
	case CURLE_BAD_CONTENT_ENCODING:
		return KUBO_E_PROTOCOL;
	case CURLE_PARTIAL_FILE:
		return KUBO_E_TRUNCATED;
	case CURLE_GOT_NOTHING:
	case CURLE_RECV_ERROR:
	case CURLE_SEND_ERROR:
		/* nothing came back: as good as unreachable; cut after the status line: truncated */
		return x->hdr_status > 0 ? KUBO_E_TRUNCATED : KUBO_E_UNREACHABLE;
	default:
		return x->hdr_status > 0 ? KUBO_E_TRUNCATED : KUBO_E_UNREACHABLE;
	}
}

/* Turn the outcome of one attempt into 0 or an error (kind in k->err). */
static int
kubo_outcome(struct kubo *k, struct xfer *x, CURLcode rc, struct werr *e)
{
	const char *cmd = x->r->cmd;
	long status = 0;

	curl_easy_getinfo(k->h, CURLINFO_RESPONSE_CODE, &status);
	k->err.http_status = (int)status;
	if (x->stopped && !x->failed)
		return 0;
	if (status >= 400 && (rc == CURLE_OK || x->errbody.len > 0)) {
		int st = k->err.http_status, att = k->err.attempts;

		kubo_error_from_http(st, x->errbody.p ? x->errbody.p : "", x->errbody.len, &k->err);
		k->err.attempts = att;
		return werr_set(e, kind_code(&k->err, 0), "%s: HTTP %d: %s", cmd, st, k->err.message);
	}
	if (x->failed) {
		/* a callback's error (its message is in cb_err); an in-band Kubo
		 * error object counts as a stream error */
		if (x->fail_kind == KUBO_E_STREAM)
			return kubo_fail(k, e, cmd, KUBO_E_STREAM, 0, "stream error: %s", x->stream_error);
		return kubo_fail(k, e, cmd, x->fail_kind, x->cb_err.code, "%s", x->cb_err.msg);
	}
	if (rc != CURLE_OK) {
		enum kubo_kind kind = curl_kind(rc, x);
		const char *why = k->errbuf[0] ? k->errbuf : curl_easy_strerror(rc);

		return kubo_fail(k, e, cmd, kind, 0, "%s: %s", k->base, why);
	}
	if (x->has_stream_error)
		return kubo_fail(k, e, cmd, KUBO_E_STREAM, 0, "stream error: %s", x->stream_error);
	if (x->r->mode == RESP_NDJSON &&
	    kubo_lines_finish(&x->lines, on_line, x, &x->cb_err) < 0) {
		if (x->stopped && !x->failed)
			return 0;
		return kubo_fail(k, e, cmd, x->fail_kind ? x->fail_kind : KUBO_E_PROTOCOL,
		    x->cb_err.code, "%s", x->cb_err.msg);
	}
	return 0;
}

static int
retryable(const struct kubo_error *ke)
{
	switch (ke->kind) {
	case KUBO_E_UNREACHABLE:
	case KUBO_E_TIMEOUT:
	case KUBO_E_TRUNCATED:
		return 1;
	case KUBO_E_HTTP:
		return ke->http_status == 408 || ke->http_status == 429 || ke->http_status == 502 ||
		    ke->http_status == 503 || ke->http_status == 504;
	default:
		return 0;
	}
}

static void
sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* Rewind the upload for another attempt; 0 when it cannot be. */
static int
rewind_upload(struct kreq *r)
{
	if (!r->has_upload || r->up_fd < 0)
		return 1;
	return r->up_seekable && lseek(r->up_fd, r->up_start, SEEK_SET) == r->up_start;
}

/* Size of the fd's rest, or -1 (a pipe: sent chunked). */
void
kubo_upload_fd(struct kreq *r, int fd, uint64_t hint)
{
	struct stat st;
	off_t pos;

	r->has_upload = 1;
	r->up_fd = fd;
	r->up_size = -1;
	pos = lseek(fd, 0, SEEK_CUR);
	r->up_seekable = pos >= 0;
	r->up_start = pos >= 0 ? pos : 0;
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && pos >= 0 && st.st_size >= pos)
		r->up_size = st.st_size - pos;
	r->progress_total_hint = hint;
}

void
kubo_upload_buf(struct kreq *r, const void *p, size_t n)
{
	r->has_upload = 1;
	r->up_fd = -1;
	r->up_buf = p;
	r->up_len = n;
	r->up_size = (curl_off_t)n;
}

void
kubo_req_init(struct kreq *r, const char *cmd, enum resp_mode mode)
{
	memset(r, 0, sizeof *r);
	r->cmd = cmd;
	r->mode = mode;
	r->up_fd = -1;
	r->max_body = 16u << 20;
}

void
kubo_req_download(struct kreq *r, const char *cmd, const struct kubo_param *p, kubo_data_fn fn, void *ctx)
{
	kubo_req_init(r, cmd, RESP_RAW);
	r->params = p;
	r->data_fn = fn;
	r->ctx = ctx;
	r->transfer = 1;
	r->idempotent = 1;
}

/* Run a request with the retry policy of kubo.h. r->resume may rewrite
 * what r->params point to between attempts (cat's offset). */
int
kubo_run(struct kubo *k, struct kreq *r, struct werr *e)
{
	struct xfer x;
	char *url = NULL;
	curl_mime *mime;
	CURLcode rc;
	long backoff = k->o.backoff_ms > 0 ? k->o.backoff_ms : 1;
	int attempt, ret = -1;

	memset(&x, 0, sizeof x);
	memset(&k->err, 0, sizeof k->err);
	k->err.kubo_code = -1;
	for (attempt = 0;; attempt++) {
		free(url);
		if ((url = kubo_build_url(k->base, r->cmd, r->params, e)) == NULL) {
			kubo_fail(k, NULL, r->cmd, KUBO_E_LOCAL, e->code, "%s", e->msg);
			break;
		}
		xfer_reset(&x, k, r);
		if (kubo_setup(k, &x, url, &mime, e) < 0) {
			kubo_fail(k, NULL, r->cmd, KUBO_E_LOCAL, e->code, "%s", e->msg);
			break;
		}
		k->err.attempts = attempt + 1;
		if (r->perform != NULL)
			rc = r->perform(k, &x);
		else
			rc = r->on_tick ? perform_ticking(k, &x) : curl_easy_perform(k->h);
		ret = kubo_outcome(k, &x, rc, e);
		curl_mime_free(mime);
		curl_easy_setopt(k->h, CURLOPT_MIMEPOST, NULL);
		if (ret == 0 || !r->idempotent || attempt >= k->o.retries || !retryable(&k->err))
			break;
		if (x.delivered > 0 && (r->resume == NULL || r->resume(r->resume_ctx, x.delivered) < 0))
			break;
		if (!rewind_upload(r))
			break;
		sleep_ms(backoff);
		backoff = backoff * 2 > k->o.backoff_max_ms ? k->o.backoff_max_ms : backoff * 2;
	}
	k->last_stopped = x.stopped;
	if (ret == 0) {
		int att = k->err.attempts;

		memset(&k->err, 0, sizeof k->err);
		k->err.kubo_code = -1;
		k->err.attempts = att;
		if (r->mode == RESP_JSON && r->json_out != NULL) {
			ret = kubo_parse_body(k, r, x.body.p, x.body.len, e);
		}
	}
	xfer_free(&x);
	free(url);
	return ret;
}

/* JSON answer body to *r->json_out (NULL for an empty body). */
int
kubo_parse_body(struct kubo *k, struct kreq *r, const char *p, size_t n, struct werr *e)
{
	cJSON *o;

	*r->json_out = NULL;
	while (n > 0 && (p[n - 1] == '\n' || p[n - 1] == '\r' || p[n - 1] == ' '))
		n--;
	if (n == 0)
		return 0;
	if ((o = cJSON_ParseWithLength(p, n)) == NULL)
		return kubo_fail(k, e, r->cmd, KUBO_E_PROTOCOL, 0, "answer is not JSON: %.80s", p);
	*r->json_out = o;
	return 0;
}

/* ---- generic calls ----------------------------------------------------- */

int
kubo_rpc_json(struct kubo *k, const char *cmd, const struct kubo_param *params, int flags,
    cJSON **out, struct werr *e)
{
	struct kreq r;
	cJSON *tmp = NULL;

	kubo_req_init(&r, cmd, RESP_JSON);
	r.idempotent = (flags & KUBO_IDEMPOTENT) != 0;
	r.slow = (flags & KUBO_SLOW) != 0;
	r.json_out = out ? out : &tmp;
	r.params = params;
	if (kubo_run(k, &r, e) < 0)
		return -1;
	cJSON_Delete(tmp);
	return 0;
}

int
kubo_rpc_ndjson(struct kubo *k, const char *cmd, const struct kubo_param *params, int flags,
    kubo_json_fn fn, void *ctx, struct werr *e)
{
	struct kreq r;

	kubo_req_init(&r, cmd, RESP_NDJSON);
	r.idempotent = (flags & KUBO_IDEMPOTENT) != 0;
	r.slow = (flags & KUBO_SLOW) != 0;
	r.json_fn = fn;
	r.ctx = ctx;
	r.params = params;
	return kubo_run(k, &r, e);
}
