/* reply: the responses every handler makes (JSON, errors, the common
 * headers), the request log line, and the hand-back of a finished job.
 * Its own file so that the handlers (api_local.c, api_ipfs.c) and the
 * wiring (serve.c) depend on it, not on each other. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "serve/serve_int.h"

void
serve_logf(struct serve *s, const char *event, int status, const char *fmt, ...)
{
	char msg[600];
	va_list ap;
	cJSON *l = cJSON_CreateObject();

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	cJSON_AddStringToObject(l, "event", event);
	if (status)
		cJSON_AddNumberToObject(l, "status", status);
	cJSON_AddStringToObject(l, "message", msg);
	s->log(s->log_ctx, l);
}

void
add_common_headers(struct MHD_Response *resp)
{
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(resp, "Referrer-Policy", "no-referrer");
	MHD_add_response_header(resp, "X-Frame-Options", "DENY");
	MHD_add_response_header(resp, "Cross-Origin-Resource-Policy", "same-origin");
}

cJSON *
error_json(const char *msg)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddStringToObject(o, "error", msg);
	return o;
}

enum MHD_Result
reply_json(struct req *r, int status, cJSON *obj)
{
	char *txt = cJSON_PrintUnformatted(obj);

	cJSON_Delete(obj);
	if (!txt)
		return MHD_NO;
	return reply_json_text(r, status, txt, strlen(txt));
}

struct MHD_Response *
body_response(char *body, size_t len, const char *type, const char *cache)
{
	struct MHD_Response *resp = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);

	if (!resp) {
		free(body);
		return NULL;
	}
	MHD_add_response_header(resp, "Content-Type", type);
	MHD_add_response_header(resp, "Cache-Control", cache);
	return resp;
}

enum MHD_Result
reply_queue(struct req *r, unsigned status, struct MHD_Response *resp)
{
	enum MHD_Result rc;

	add_common_headers(resp);
	rc = MHD_queue_response(r->conn, status, resp);
	MHD_destroy_response(resp);
	return rc;
}

enum MHD_Result
reply_json_text(struct req *r, int status, char *txt, size_t len)
{
	struct MHD_Response *resp = body_response(txt, len, "application/json", "no-store");

	if (!resp)
		return MHD_NO;
	if (status == 401)
		MHD_add_response_header(resp, "WWW-Authenticate", "Bearer");
	return reply_queue(r, (unsigned)status, resp);
}

enum MHD_Result
reply_error(struct req *r, int status, const char *msg)
{
	serve_logf(r->srv, "request_error", status, "%s %s: %s", route_name(r->rt.id),
	    r->overlong ? "(overlong target)" : r->target, msg);
	return reply_json(r, status, error_json(msg));
}

/* The job's answer is ready (a stream goes on after this): the
 * connection takes r back. */
void
serve_head_ready(struct req *r)
{
	r->stage = 3;
	MHD_resume_connection(r->conn);
}
