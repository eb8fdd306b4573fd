/* serve_int: what serve.c, reply.c, api_local.c and api_ipfs.c share (not a
 * public header). serve.c calls the handlers; they and serve.c call reply.c. */
#ifndef WANDA_SERVE_INT_H
#define WANDA_SERVE_INT_H
#include <pthread.h>
#include <microhttpd.h>
#include "serve/serve.h"
#include "serve/route.h"
#include "serve/sse.h"

#define SERVE_MAX_HOSTS 16
#define SERVE_CACHE 8
#define SERVE_SLOTS 512       /* capture id hash slots: where[] and thumbs[] */
#define SERVE_THUMB_MAX 65536 /* thumbnails up to this size are kept as ready responses */
#define SERVE_THUMB_BYTES (16u << 20)

/* A thumbnail as a ready response (headers and body, shared by every
 * request for it), valid while its file is the same inode, size and
 * mtime: thumbnails are written once, by rename. */
struct thumbent {
	char id[100];
	char session[72];
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtime;
	struct MHD_Response *resp;
};

/* A recent /api/captures answer, valid while the directories it was
 * read from are unchanged (every sidecar write is a rename, which
 * changes its directory's mtime). */
struct cached {
	char target[ROUTE_TARGET_MAX + 2];
	unsigned long long gen;
	char *body;
	size_t len;
	unsigned long long used;
};

struct serve {
	struct serve_cfg cfg;
	struct MHD_Daemon *mhd;
	struct sse_hub *hub;
	serve_log_fn log;
	void *log_ctx;
	char url[300];
	char token[80];
	int token_created;
	char hosts[SERVE_MAX_HOSTS][260];
	size_t nhosts;
	pthread_mutex_t cache_mu; /* cache, where and thumbs */
	struct {
		char id[100];
		char session[72];
	} where[SERVE_SLOTS]; /* capture id -> session, a hint */
	struct thumbent thumbs[SERVE_SLOTS];
	size_t thumb_bytes;
	struct cached cache[SERVE_CACHE];
	unsigned long long cache_clock;
	pthread_mutex_t mu; /* counters below */
	long conns, jobs;
	int stopping;
	pthread_t poller;
	int poller_started;
	int stop_pipe[2];
};

/* A streamed body (Kubo cat) between a job thread and the connection. */
struct stream {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	char buf[65536];
	size_t head, len;        /* ring */
	int eof, failed, closed; /* producer done / failed; consumer gone */
	int waiting;             /* consumer suspended */
	struct MHD_Connection *conn;
	int refs;
};

/* Per request, created by the URI logger with the raw target. */
struct req {
	struct serve *srv;
	struct MHD_Connection *conn;
	char target[ROUTE_TARGET_MAX + 2];
	int overlong;
	int head; /* a HEAD request: no body is sent, none is fetched */
	struct route rt;
	int stage; /* 0 new, 1 reading body, 2 in job, 3 job done */
	char *body;
	size_t body_len, body_cap;
	int too_big;
	/* job result */
	int status;
	char *out; /* JSON text (malloc'd), or NULL with stream */
	const char *out_type;
	struct stream *st;
	uint64_t st_size, st_off, st_len;
	int st_partial;
	char range[64];
	struct sse_client *sse;
};

/* reply.c */
void serve_logf(struct serve *s, const char *event, int status, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
enum MHD_Result reply_json(struct req *r, int status, cJSON *obj);                 /* takes obj */
enum MHD_Result reply_json_text(struct req *r, int status, char *txt, size_t len); /* takes txt */
enum MHD_Result reply_error(struct req *r, int status, const char *msg);
void add_common_headers(struct MHD_Response *resp);
/* A malloc'd body as a response of that type and caching: the body is the
 * response's from here on (freed here when there is no response: NULL). */
struct MHD_Response *body_response(char *body, size_t len, const char *type, const char *cache);
/* Queue resp with the common headers and drop our reference to it. */
enum MHD_Result reply_queue(struct req *r, unsigned status, struct MHD_Response *resp);
cJSON *error_json(const char *msg);
/* The job's answer is ready: the connection takes r back (job thread). */
void serve_head_ready(struct req *r);

/* api_local.c: answers at once. */
enum MHD_Result api_local(struct req *r);
/* api_ipfs.c: runs in a job thread, fills r->status and r->out (or r->st). */
void api_daemon(struct req *r);
/* Make r's response once the job is done. */
enum MHD_Result api_daemon_reply(struct req *r);
/* Drop one reference to a stream (freed with the last). */
void stream_unref(struct stream *st);
/* The ipfs_status poller thread. */
void *api_status_poller(void *srv);

#endif
