/* kubo_int: what lib/kubo*.c share; not for programs (use kubo.h). */
#ifndef WANDA_KUBO_INT_H
#define WANDA_KUBO_INT_H
#include <stdarg.h>
#include <sys/types.h>
#include <curl/curl.h>
#include "base/buf.h"
#include "kubo/kubo.h"

struct kubo {
	CURL *h; /* reused by every call: keep-alive */
	char *base;
	struct kubo_opts o;
	struct kubo_error err;
	char errbuf[CURL_ERROR_SIZE];
	int last_stopped; /* the last call ended because a callback said stop */
};

enum resp_mode { RESP_JSON,
	RESP_NDJSON,
	RESP_RAW };

struct xfer;

/* One request, as the typed call describes it. */
struct kreq {
	const char *cmd;
	const struct kubo_param *params;
	enum resp_mode mode;
	int idempotent;
	int transfer;                               /* transfer_timeout_ms instead of timeout_ms */
	int slow;                                   /* slow_timeout_ms, no low-speed guard */
	int stream_forever;                         /* no total timeout, no low-speed guard (pubsub/sub) */
	size_t max_body;                            /* RESP_JSON */
	size_t max_line;                            /* RESP_NDJSON, 0 = 1 MiB */
	void *ctx;                                  /* for the callbacks below */
	kubo_json_fn json_fn;                       /* RESP_NDJSON */
	kubo_data_fn data_fn;                       /* RESP_RAW */
	cJSON **json_out;                           /* RESP_JSON */
	int (*on_ready)(void *ctx, struct werr *e); /* headers of a 2xx are in */
	int (*on_tick)(void *ctx, struct werr *e);  /* 0 go on, 1 stop, -1 error */
	long tick_ms;
	/* after an attempt that delivered bytes/objects: adjust for a retry
	 * (cat: move the offset on), or -1 when it cannot resume */
	int (*resume)(void *rctx, uint64_t delivered);
	void *resume_ctx;
	/* instead of curl_easy_perform (get drives a multi handle) */
	CURLcode (*perform)(struct kubo *k, struct xfer *x);
	/* upload: one multipart part "file" */
	int has_upload;
	int up_fd; /* -1: up_buf */
	int up_seekable;
	off_t up_start;
	curl_off_t up_size; /* -1 unknown: chunked */
	const void *up_buf;
	size_t up_len;
	const char *filename;
	uint64_t progress_total_hint;
	kubo_progress_fn progress;
	void *progress_ctx;
	kubo_data_fn up_tap; /* kubo_add_opts.tap */
	void *up_tap_ctx;
};

/* One attempt's state. */
struct xfer {
	struct kubo *k;
	struct kreq *r;
	int hdr_status;
	int headers_done;
	int got_body;
	int has_stream_error;
	char stream_error[400];
	struct buf body, errbody;
	struct kubo_lines lines;
	uint64_t delivered; /* bytes (RAW) or objects (NDJSON) handed on */
	uint64_t sent;
	int failed, stopped;
	enum kubo_kind fail_kind;
	struct werr cb_err;
	void *pull; /* get: its pull state */
};

void kubo_req_init(struct kreq *r, const char *cmd, enum resp_mode mode);
/* A download (cat, dag/export, block/get, get): the answer's bytes to
 * fn(ctx), under the transfer timeout, retried while nothing was delivered;
 * after that only when the caller sets r->resume. */
void kubo_req_download(struct kreq *r, const char *cmd, const struct kubo_param *p, kubo_data_fn fn, void *ctx);
void kubo_upload_fd(struct kreq *r, int fd, uint64_t hint);
void kubo_upload_buf(struct kreq *r, const void *p, size_t n);
int kubo_run(struct kubo *k, struct kreq *r, struct werr *e);
int kubo_parse_body(struct kubo *k, struct kreq *r, const char *p, size_t n, struct werr *e);
int kubo_fail(struct kubo *k, struct werr *e, const char *cmd, enum kubo_kind kind, int local_code,
    const char *fmt, ...) __attribute__((format(printf, 6, 7)));
/* Percent-encode everything but RFC 3986 unreserved characters (truncates to cap). */
void kubo_escape(const char *s, char *out, size_t cap);

/* What an internal NDJSON handler returns (instead of -1) when the
 * daemon's object is malformed: the call fails with kind protocol. */
#define KJ_BAD (-2)

#endif
