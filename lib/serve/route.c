/* route: see route.h. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include "serve/route.h"
#include "ipld/cid.h"
#include "capture/sessions.h"
#include "spool/spool.h"

#define MAX_SEGS 6

static const struct {
	const char *name;
	int daemon, mutating;
} info[R_COUNT] = {
	[R_NONE] = { "none", 0, 0 },
	[R_PAGE] = { "page", 0, 0 },
	[R_ASSET] = { "asset", 0, 0 },
	[R_IPFS_STATUS] = { "ipfs_status", 1, 0 },
	[R_IPFS_STATS] = { "ipfs_stats", 1, 0 },
	[R_IPFS_PEERS] = { "ipfs_peers", 1, 0 },
	[R_CAPTURES] = { "captures", 0, 0 },
	[R_CAPTURE] = { "capture", 0, 0 },
	[R_CAPTURE_CID] = { "capture_cid", 0, 0 },
	[R_CAPTURE_IMAGE] = { "capture_image", 0, 0 },
	[R_CAPTURE_THUMB] = { "capture_thumb", 0, 0 },
	[R_CAPTURE_QR] = { "capture_qr", 0, 0 },
	[R_SESSIONS] = { "sessions", 0, 0 },
	[R_SESSION] = { "session", 0, 0 },
	[R_QUEUE] = { "queue", 0, 0 },
	[R_IPFS_CAT] = { "ipfs_cat", 1, 0 },
	[R_PIN_ADD] = { "pin_add", 1, 1 },
	[R_PIN_RM] = { "pin_rm", 1, 1 },
	[R_PIN_STATUS] = { "pin_status", 1, 0 },
	[R_QR] = { "qr", 0, 0 },
	[R_IPNS] = { "ipns", 0, 0 },
	[R_IPNS_RESOLVE] = { "ipns_resolve", 1, 0 },
	[R_SYNC] = { "sync", 0, 0 },
	[R_OPENAPI] = { "openapi", 0, 0 },
	[R_EVENTS] = { "events", 0, 0 },
};

int
route_needs_daemon(enum route_id r)
{
	return r > 0 && r < R_COUNT && info[r].daemon;
}
int
route_mutating(enum route_id r)
{
	return r > 0 && r < R_COUNT && info[r].mutating;
}
const char *
route_name(enum route_id r)
{
	return r >= 0 && r < R_COUNT ? info[r].name : "none";
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

int
route_pct_decode(const char *s, size_t n, char *out, size_t cap)
{
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		int c = (unsigned char)s[i];
		if (c == '%') {
			int h, l;
			if (i + 2 >= n || (h = hexval(s[i + 1])) < 0 || (l = hexval(s[i + 2])) < 0)
				return -1;
			c = h * 16 + l;
			i += 2;
		} else if (c == '+') {
			c = ' ';
		}
		if (c < 0x20 || c == 0x7f)
			return -1;
		if (o + 1 >= cap)
			return -1;
		out[o++] = (char)c;
	}
	out[o] = '\0';
	return (int)o;
}

int
route_capture_id_valid(const char *s)
{
	return spool_id_valid(s) && strlen(s) < 96 && !strchr(s, '/') && !strstr(s, "..");
}

int
route_cid_valid(const char *s)
{
	struct cid c;
	size_t n = strlen(s);

	if (n < 8 || n >= CID_STR_MAX)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]))
			return 0;
	return cid_parse(s, &c, NULL) == 0;
}

int
route_ipns_name_valid(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 253 || s[0] == '.' || s[0] == '-')
		return 0;
	for (size_t i = 0; i < n; i++) {
		int c = (unsigned char)s[i];
		if (!isalnum(c) && c != '.' && c != '-')
			return 0;
		if (c == '.' && s[i + 1] == '.')
			return 0;
	}
	return 1;
}

static int
fail(struct route *r, int status, const char *msg)
{
	r->id = R_NONE;
	r->status = status;
	r->error = msg;
	return status;
}

/* Split the path into decoded segments; each one checked for tricks. */
static int
split_path(const char *p, size_t n, char segs[MAX_SEGS][ROUTE_ARG_MAX + 1], int *nseg, struct route *r)
{
	size_t i = 1;

	*nseg = 0;
	if (n == 0 || p[0] != '/')
		return fail(r, 400, "bad request target");
	while (i < n) {
		size_t j = i;
		while (j < n && p[j] != '/')
			j++;
		if (j == i) {
			if (j == n)
				break; /* one trailing slash */
			return fail(r, 404, "no such route");
		}
		if (*nseg == MAX_SEGS)
			return fail(r, 404, "no such route");
		if (route_pct_decode(p + i, j - i, segs[*nseg], ROUTE_ARG_MAX + 1) < 0)
			return fail(r, 400, "bad path segment");
		if (strchr(segs[*nseg], '/') || strchr(segs[*nseg], '\\') ||
		    !strcmp(segs[*nseg], ".") || !strcmp(segs[*nseg], ".."))
			return fail(r, 400, "bad path segment");
		(*nseg)++;
		i = j + 1;
	}
	return 0;
}

static int
query_long(const char *v, long lo, long hi, long *out)
{
	char *end;
	long x;

	if (!*v || strlen(v) > 12)
		return -1;
	x = strtol(v, &end, 10);
	if (*end || x < lo || x > hi)
		return -1;
	*out = x;
	return 0;
}

static int
query_one(struct route *r, const char *k, const char *v)
{
	if (!strcmp(k, "session"))
		return session_name_valid(v) ? (strcpy(r->session, v), 0) : fail(r, 400, "bad session name");
	if (!strcmp(k, "before"))
		return route_capture_id_valid(v) ? (strcpy(r->before, v), 0) : fail(r, 400, "bad cursor");
	if (!strcmp(k, "limit"))
		return query_long(v, 1, 500, &r->limit) == 0 ? 0 : fail(r, 400, "limit must be 1-500");
	if (!strcmp(k, "since") || !strcmp(k, "until")) {
		long long ms;
		if (spool_parse_time(v, &ms) < 0)
			return fail(r, 400, "since/until must be RFC 3339 times");
		*(k[0] == 's' ? &r->since_ms : &r->until_ms) = ms;
		return 0;
	}
	if (!strcmp(k, "view")) {
		if (strcmp(v, "local") && strcmp(v, "ipfs") && strcmp(v, "all"))
			return fail(r, 400, "view must be local, ipfs or all");
		strcpy(r->view, v);
		return 0;
	}
	if (!strcmp(k, "cid"))
		return route_cid_valid(v) ? (strcpy(r->arg, v), 0) : fail(r, 400, "bad CID");
	return 0; /* unknown parameters are ignored (cache busters) */
}

static int
parse_query(const char *q, struct route *r)
{
	while (*q) {
		const char *amp = strchr(q, '&'), *eq;
		size_t n = amp ? (size_t)(amp - q) : strlen(q);
		char k[32], v[ROUTE_ARG_MAX + 1];

		eq = memchr(q, '=', n);
		if (n > 0) {
			size_t kn = eq ? (size_t)(eq - q) : n;
			if (route_pct_decode(q, kn, k, sizeof k) < 0)
				return fail(r, 400, "bad query parameter");
			if (route_pct_decode(eq ? eq + 1 : q + n, eq ? n - kn - 1 : 0, v, sizeof v) < 0)
				return fail(r, 400, "bad query parameter");
			if (query_one(r, k, v))
				return r->status;
		}
		q += n + (amp ? 1 : 0);
	}
	return 0;
}

static int
is(const char *a, const char *b)
{
	return strcmp(a, b) == 0;
}

static int
set_arg(struct route *r, enum route_id id, const char *v, int (*valid)(const char *), const char *msg)
{
	if (!valid(v))
		return fail(r, 400, msg);
	strcpy(r->arg, v);
	r->id = id;
	return 0;
}

static int
captures_route(char s[MAX_SEGS][ROUTE_ARG_MAX + 1], int n, struct route *r)
{
	static const struct {
		const char *sub;
		enum route_id id;
	} subs[] = {
		{ "cid", R_CAPTURE_CID },
		{ "image", R_CAPTURE_IMAGE },
		{ "thumb", R_CAPTURE_THUMB },
		{ "qr.svg", R_CAPTURE_QR },
	};

	if (n == 2) {
		r->id = R_CAPTURES;
		return 0;
	}
	if (n == 3)
		return set_arg(r, R_CAPTURE, s[2], route_capture_id_valid, "bad capture id");
	if (n == 4)
		for (size_t i = 0; i < sizeof subs / sizeof subs[0]; i++)
			if (is(s[3], subs[i].sub))
				return set_arg(r, subs[i].id, s[2], route_capture_id_valid, "bad capture id");
	return fail(r, 404, "no such route");
}

static int
ipfs_route(const char *m, char s[MAX_SEGS][ROUTE_ARG_MAX + 1], int n, struct route *r)
{
	int get = is(m, "GET") || is(m, "HEAD"); /* HEAD: GET without the body */

	if (n == 3 && get) {
		if (is(s[2], "status"))
			return r->id = R_IPFS_STATUS, 0;
		if (is(s[2], "stats"))
			return r->id = R_IPFS_STATS, 0;
		if (is(s[2], "peers"))
			return r->id = R_IPFS_PEERS, 0;
		if (is(s[2], "pin"))
			return fail(r, 405, "method not allowed");
		return set_arg(r, R_IPFS_CAT, s[2], route_cid_valid, "bad CID");
	}
	if (n == 3 && is(s[2], "pin"))
		return is(m, "POST") ? (r->id = R_PIN_ADD, 0) : fail(r, 405, "method not allowed");
	if (n == 4 && is(s[2], "pin")) {
		if (is(m, "DELETE"))
			return set_arg(r, R_PIN_RM, s[3], route_cid_valid, "bad CID");
		if (get)
			return set_arg(r, R_PIN_STATUS, s[3], route_cid_valid, "bad CID");
		return fail(r, 405, "method not allowed");
	}
	return fail(r, n == 3 ? 405 : 404, n == 3 ? "method not allowed" : "no such route");
}

/* /api/... once the method is known. */
static int
api_route(const char *m, char s[MAX_SEGS][ROUTE_ARG_MAX + 1], int n, struct route *r)
{
	if (n >= 2 && is(s[1], "ipfs"))
		return ipfs_route(m, s, n, r);
	if (!is(m, "GET") && !is(m, "HEAD"))
		return fail(r, 405, "method not allowed");
	if (n >= 2 && is(s[1], "captures"))
		return captures_route(s, n, r);
	if (n == 2 && is(s[1], "sessions"))
		return r->id = R_SESSIONS, 0;
	if (n == 3 && is(s[1], "sessions"))
		return set_arg(r, R_SESSION, s[2], session_name_valid, "bad session name");
	if (n == 2 && is(s[1], "queue"))
		return r->id = R_QUEUE, 0;
	if (n == 2 && is(s[1], "ipns"))
		return r->id = R_IPNS, 0;
	if (n == 3 && is(s[1], "ipns"))
		return set_arg(r, R_IPNS_RESOLVE, s[2], route_ipns_name_valid, "bad IPNS name");
	if (n == 2 && is(s[1], "sync"))
		return r->id = R_SYNC, 0;
	if (n == 2 && is(s[1], "openapi.json"))
		return r->id = R_OPENAPI, 0;
	if (n == 2 && is(s[1], "events"))
		return r->id = R_EVENTS, 0;
	if (n == 2 && is(s[1], "qr.svg"))
		return r->id = R_QR, 0;
	return fail(r, 404, "no such route");
}

int
route_match(const char *method, const char *target, struct route *r)
{
	char segs[MAX_SEGS][ROUTE_ARG_MAX + 1];
	const char *q;
	size_t plen, tlen = strnlen(target, ROUTE_TARGET_MAX + 1);
	int n;

	memset(r, 0, sizeof *r);
	r->since_ms = r->until_ms = -1;
	r->limit = 50;
	if (tlen > ROUTE_TARGET_MAX)
		return fail(r, 414, "request target too long");
	q = strchr(target, '?');
	plen = q ? (size_t)(q - target) : tlen;
	if (memchr(target, '#', tlen))
		return fail(r, 400, "bad request target");
	if (split_path(target, plen, segs, &n, r) || (q && parse_query(q + 1, r)))
		return r->status;
	if (n == 0 || (n == 1 && is(segs[0], "index.html")))
		return is(method, "GET") || is(method, "HEAD") ? (r->id = R_PAGE, 0) : fail(r, 405, "method not allowed");
	if (n == 1 && is(segs[0], "favicon.svg"))
		return is(method, "GET") || is(method, "HEAD") ? (r->id = R_ASSET, 0) : fail(r, 405, "method not allowed");
	if (!is(segs[0], "api") || n < 2)
		return fail(r, 404, "no such route");
	if (api_route(method, segs, n, r))
		return r->status;
	if (r->id == R_QR && !r->arg[0])
		return fail(r, 400, "qr.svg needs ?cid=CID");
	return 0;
}

/* One "A-B" spec. */
static int
range_spec(const char *s, uint64_t size, uint64_t *off, uint64_t *len)
{
	char *end;
	unsigned long long a, b;

	if (*s == '-') {
		if (!isdigit((unsigned char)s[1]))
			return 0;
		b = strtoull(s + 1, &end, 10);
		if (*end || b == 0)
			return *end ? 0 : -1;
		if (size == 0)
			return -1;
		if (b > size)
			b = size;
		*off = size - b;
		*len = b;
		return 1;
	}
	if (!isdigit((unsigned char)*s))
		return 0;
	a = strtoull(s, &end, 10);
	if (*end != '-')
		return 0;
	s = end + 1;
	if (*s == '\0')
		b = size ? size - 1 : 0;
	else {
		if (!isdigit((unsigned char)*s))
			return 0;
		b = strtoull(s, &end, 10);
		if (*end || b < a)
			return 0;
		if (b >= size)
			b = size ? size - 1 : 0;
	}
	if (a >= size)
		return -1;
	*off = a;
	*len = b - a + 1;
	return 1;
}

int
route_parse_range(const char *h, uint64_t size, uint64_t *off, uint64_t *len)
{
	char buf[64];

	if (!h || strncmp(h, "bytes=", 6) || strlen(h) >= sizeof buf + 6)
		return 0;
	strcpy(buf, h + 6);
	if (strchr(buf, ','))
		return 0;
	for (char *p = buf; *p; p++)
		if (*p == ' ')
			return 0;
	return range_spec(buf, size, off, len);
}
