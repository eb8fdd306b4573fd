/* kubo_util: the pure parts of the Kubo client (no network): URLs, NDJSON
 * line splitting, Kubo's error body. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "base/buf.h"
#include "kubo/kubo_int.h"
#include "base/json.h"

static int
unreserved(unsigned char c)
{
	return isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~';
}

void
kubo_escape(const char *s, char *out, size_t cap)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t o = 0;

	if (cap == 0)
		return;
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if (unreserved(c)) {
			if (o + 1 >= cap)
				break;
			out[o++] = (char)c;
		} else {
			if (o + 3 >= cap)
				break;
			out[o++] = '%';
			out[o++] = hex[c >> 4];
			out[o++] = hex[c & 15];
		}
	}
	out[o] = '\0';
}

static int
add_escaped(struct buf *b, const char *s)
{
	char tmp[3 * 64 + 1], chunk[65];
	size_t n = strlen(s), i;

	for (i = 0; i < n; i += 64) {
		snprintf(chunk, sizeof chunk, "%.64s", s + i);
		kubo_escape(chunk, tmp, sizeof tmp);
		if (buf_add(b, tmp, strlen(tmp), NULL) < 0)
			return -1;
	}
	return 0;
}

char *
kubo_build_url(const char *base, const char *cmd, const struct kubo_param *params, struct werr *e)
{
	struct buf b = { 0 };
	size_t bl = strlen(base);
	int first = 1, bad = 0;

	while (bl > 0 && base[bl - 1] == '/')
		bl--;
	if (cmd == NULL || *cmd == '\0' || *cmd == '/' || strchr(cmd, '?') != NULL) {
		werr_set(e, EX_SOFTWARE, "%s: not an RPC command name", cmd ? cmd : "(null)");
		return NULL;
	}
	bad |= buf_add(&b, base, bl, NULL) < 0;
	bad |= buf_add(&b, "/api/v0/", 8, NULL) < 0;
	bad |= buf_add(&b, cmd, strlen(cmd), NULL) < 0;
	for (; params != NULL && params->key != NULL; params++) {
		if (params->value == NULL)
			continue; /* an option left at the daemon's default */
		bad |= buf_add(&b, first ? "?" : "&", 1, NULL) < 0;
		bad |= add_escaped(&b, params->key) < 0;
		bad |= buf_add(&b, "=", 1, NULL) < 0;
		bad |= add_escaped(&b, params->value) < 0;
		first = 0;
	}
	if (bad) {
		free(b.p);
		werr_set(e, EX_OSERR, "%s: out of memory", cmd);
		return NULL;
	}
	return b.p;
}

/* ---- NDJSON lines ------------------------------------------------------ */

static int
emit_line(struct kubo_lines *l, char *p, size_t n, kubo_line_fn fn, void *ctx, struct werr *e)
{
	while (n > 0 && (p[n - 1] == '\r' || p[n - 1] == ' ' || p[n - 1] == '\t'))
		n--;
	(void)l;
	if (n == 0)
		return 0;
	p[n] = '\0';
	return fn(ctx, p, n, e);
}

static int
lines_keep(struct kubo_lines *l, const char *p, size_t n, struct werr *e)
{
	size_t max = l->max ? l->max : (1u << 20);

	if (l->b.len + n > max)
		return werr_set(e, EX_PROTOCOL, "a JSON line over %zu bytes", max);
	return buf_add(&l->b, p, n, e);
}

int
kubo_lines_feed(struct kubo_lines *l, const void *data, size_t n, kubo_line_fn fn, void *ctx, struct werr *e)
{
	const char *p = data, *nl;

	while (n > 0 && (nl = memchr(p, '\n', n)) != NULL) {
		size_t part = (size_t)(nl - p), len;

		if (lines_keep(l, p, part, e) < 0)
			return -1;
		len = l->b.len;
		l->b.len = 0; /* the line is consumed whatever fn says */
		if (emit_line(l, l->b.p, len, fn, ctx, e) < 0)
			return -1;
		n -= part + 1;
		p = nl + 1;
	}
	return n > 0 ? lines_keep(l, p, n, e) : 0;
}

int
kubo_lines_finish(struct kubo_lines *l, kubo_line_fn fn, void *ctx, struct werr *e)
{
	size_t len = l->b.len;

	l->b.len = 0;
	if (len == 0)
		return 0;
	return emit_line(l, l->b.p, len, fn, ctx, e);
}

void
kubo_lines_free(struct kubo_lines *l)
{
	buf_free(&l->b);
}

/* ---- Kubo's error body --------------------------------------------------- */

void
kubo_error_from_http(int status, const char *body, size_t n, struct kubo_error *out)
{
	cJSON *o = n > 0 ? cJSON_ParseWithLength(body, n) : NULL;
	const char *msg = o ? json_str(o, "Message") : NULL;
	const cJSON *code = o ? cJSON_GetObjectItemCaseSensitive(o, "Code") : NULL;

	memset(out, 0, sizeof *out);
	out->kind = KUBO_E_HTTP;
	out->http_status = status;
	out->permanent = status >= 400 && status < 500 && status != 408 && status != 429;
	out->kubo_code = cJSON_IsNumber(code) ? code->valueint : -1;
	if (o != NULL)
		json_copy(out->kubo_type, sizeof out->kubo_type, o, "Type");
	if (msg != NULL && *msg != '\0') {
		snprintf(out->message, sizeof out->message, "%s", msg);
	} else {
		/* not Kubo's JSON (a proxy's page?): its first line, if any */
		size_t i = 0, m;

		while (i < n && isspace((unsigned char)body[i]))
			i++;
		for (m = 0; i + m < n && body[i + m] != '\n' && body[i + m] != '\r' && m < 200; m++)
			;
		if (m > 0)
			snprintf(out->message, sizeof out->message, "%.*s", (int)m, body + i);
		else
			snprintf(out->message, sizeof out->message, "HTTP status %d", status);
	}
	/* one line, printable: it goes into werr and JSON output */
	for (char *c = out->message; *c; c++)
		if ((unsigned char)*c < 0x20)
			*c = ' ';
	cJSON_Delete(o);
}
