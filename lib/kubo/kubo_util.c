/* kubo_util: the pure parts of the Kubo client (no network): URLs, NDJSON
 * line splitting, Kubo's error body, multibase base64, JSON fields. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "kubo/kubo_int.h"

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
add_escaped(struct kbuf *b, const char *s)
{
	char tmp[3 * 64 + 1], chunk[65];
	size_t n = strlen(s), i;

	for (i = 0; i < n; i += 64) {
		snprintf(chunk, sizeof chunk, "%.64s", s + i);
		kubo_escape(chunk, tmp, sizeof tmp);
		if (kbuf_add(b, tmp, strlen(tmp)) < 0)
			return -1;
	}
	return 0;
}

char *
kubo_build_url(const char *base, const char *cmd, const struct kubo_param *params, struct werr *e)
{
	struct kbuf b = {0};
	size_t bl = strlen(base);
	int first = 1, bad = 0;

	while (bl > 0 && base[bl - 1] == '/')
		bl--;
	if (cmd == NULL || *cmd == '\0' || *cmd == '/' || strchr(cmd, '?') != NULL) {
		werr_set(e, EX_SOFTWARE, "%s: not an RPC command name", cmd ? cmd : "(null)");
		return NULL;
	}
	bad |= kbuf_add(&b, base, bl) < 0;
	bad |= kbuf_add(&b, "/api/v0/", 8) < 0;
	bad |= kbuf_add(&b, cmd, strlen(cmd)) < 0;
	for (; params != NULL && params->key != NULL; params++) {
		if (params->value == NULL)
			continue;           /* an option left at the daemon's default */
		bad |= kbuf_add(&b, first ? "?" : "&", 1) < 0;
		bad |= add_escaped(&b, params->key) < 0;
		bad |= kbuf_add(&b, "=", 1) < 0;
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

	if (l->len + n > max)
		return werr_set(e, EX_PROTOCOL, "a JSON line over %zu bytes", max);
	if (l->len + n + 1 > l->cap) {
		size_t cap = l->cap ? l->cap : 1024;
		char *q;

		while (cap < l->len + n + 1)
			cap *= 2;
		if ((q = realloc(l->buf, cap)) == NULL)
			return werr_set(e, EX_OSERR, "out of memory");
		l->buf = q;
		l->cap = cap;
	}
	memcpy(l->buf + l->len, p, n);
	l->len += n;
	return 0;
}

int
kubo_lines_feed(struct kubo_lines *l, const void *data, size_t n, kubo_line_fn fn, void *ctx, struct werr *e)
{
	const char *p = data, *nl;

	while (n > 0 && (nl = memchr(p, '\n', n)) != NULL) {
		size_t part = (size_t)(nl - p), len;

		if (lines_keep(l, p, part, e) < 0)
			return -1;
		len = l->len;
		l->len = 0;  /* the line is consumed whatever fn says */
		if (emit_line(l, l->buf, len, fn, ctx, e) < 0)
			return -1;
		n -= part + 1;
		p = nl + 1;
	}
	return n > 0 ? lines_keep(l, p, n, e) : 0;
}

int
kubo_lines_finish(struct kubo_lines *l, kubo_line_fn fn, void *ctx, struct werr *e)
{
	size_t len = l->len;

	l->len = 0;
	if (len == 0)
		return 0;
	return emit_line(l, l->buf, len, fn, ctx, e);
}

void
kubo_lines_free(struct kubo_lines *l)
{
	free(l->buf);
	l->buf = NULL;
	l->len = l->cap = 0;
}

/* ---- Kubo's error body --------------------------------------------------- */

void
kubo_error_from_http(int status, const char *body, size_t n, struct kubo_error *out)
{
	cJSON *o = n > 0 ? cJSON_ParseWithLength(body, n) : NULL;
	const char *msg = o ? kj_str(o, "Message") : NULL;
	const cJSON *code = o ? cJSON_GetObjectItemCaseSensitive(o, "Code") : NULL;

	memset(out, 0, sizeof *out);
	out->kind = KUBO_E_HTTP;
	out->http_status = status;
	out->permanent = status >= 400 && status < 500 && status != 408 && status != 429;
	out->kubo_code = cJSON_IsNumber(code) ? code->valueint : -1;
	if (o != NULL)
		kj_copy(out->kubo_type, sizeof out->kubo_type, o, "Type");
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

/* ---- multibase base64 ---------------------------------------------------- */

static const char b64url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

int
kubo_mb64_encode(const void *data, size_t n, char *out, size_t cap)
{
	const unsigned char *p = data;
	size_t o = 0, i;

	if (cap < 2 + (n * 4 + 2) / 3)
		return -1;
	out[o++] = 'u';
	for (i = 0; i + 2 < n; i += 3) {
		unsigned v = (unsigned)p[i] << 16 | (unsigned)p[i + 1] << 8 | p[i + 2];
		out[o++] = b64url[v >> 18 & 63];
		out[o++] = b64url[v >> 12 & 63];
		out[o++] = b64url[v >> 6 & 63];
		out[o++] = b64url[v & 63];
	}
	if (n - i == 1) {
		unsigned v = (unsigned)p[i] << 16;
		out[o++] = b64url[v >> 18 & 63];
		out[o++] = b64url[v >> 12 & 63];
	} else if (n - i == 2) {
		unsigned v = (unsigned)p[i] << 16 | (unsigned)p[i + 1] << 8;
		out[o++] = b64url[v >> 18 & 63];
		out[o++] = b64url[v >> 12 & 63];
		out[o++] = b64url[v >> 6 & 63];
	}
	out[o] = '\0';
	return 0;
}

static int
b64val(char c, int url)
{
	if (c >= 'A' && c <= 'Z') return c - 'A';
	if (c >= 'a' && c <= 'z') return c - 'a' + 26;
	if (c >= '0' && c <= '9') return c - '0' + 52;
	if (c == (url ? '-' : '+')) return 62;
	if (c == (url ? '_' : '/')) return 63;
	return -1;
}

int
kubo_mb64_decode(const char *s, uint8_t *out, size_t cap, size_t *outlen)
{
	int url;
	unsigned acc = 0;
	int bits = 0;
	size_t o = 0;

	if (s[0] == 'u' || s[0] == 'U')
		url = 1;
	else if (s[0] == 'm' || s[0] == 'M')
		url = 0;
	else
		return -1;
	for (s++; *s != '\0' && *s != '='; s++) {
		int v = b64val(*s, url);

		if (v < 0)
			return -1;
		acc = (acc << 6 | (unsigned)v) & 0xffffff;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (o >= cap)
				return -1;
			out[o++] = (uint8_t)(acc >> bits);
		}
	}
	while (*s == '=')
		s++;
	/* leftover bits must be zero padding, and nothing may follow '=' */
	if (*s != '\0' || bits >= 6 || (acc & ((1u << bits) - 1)) != 0)
		return -1;
	*outlen = o;
	return 0;
}

/* ---- JSON fields ---------------------------------------------------------- */

const char *
kj_str(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

uint64_t
kj_u64(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	if (cJSON_IsNumber(v))
		return v->valuedouble > 0 ? (uint64_t)v->valuedouble : 0;
	if (cJSON_IsString(v) && isdigit((unsigned char)v->valuestring[0]))
		return strtoull(v->valuestring, NULL, 10);
	return 0;
}

void
kj_copy(char *dst, size_t cap, const cJSON *o, const char *key)
{
	const char *s = kj_str(o, key);

	snprintf(dst, cap, "%s", s ? s : "");
}
