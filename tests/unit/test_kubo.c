/* Unit tests for lib/kubo: the pure helpers (URL building, NDJSON lines,
 * error bodies, multibase base64), and the client's error paths against
 * a canned HTTP server in a thread (what a real node will not do on
 * demand: trailers, cut bodies, stalls, 503s, in-band errors). */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <dirent.h>
#include <archive.h>
#include <archive_entry.h>
#include "tap.h"
#include "kubo/kubo.h"
#include "base/clock.h"
#include "ipld/multibase.h"

/* ---- pure helpers ------------------------------------------------------ */

static void
test_url(void)
{
	struct werr e = { 0 };
	struct kubo_param p[] = { { "arg", "/ipfs/bafy x&y=z" }, { "arg", "two" }, { "skipped", NULL },
		{ "cid-version", "1" }, { NULL, NULL } };
	char *u;

	u = kubo_build_url("http://127.0.0.1:5001/", "add", p, &e);
	is_str(u, "http://127.0.0.1:5001/api/v0/add?arg=%2Fipfs%2Fbafy%20x%26y%3Dz&arg=two&cid-version=1",
	    "values escaped, args repeat, NULL values skipped, trailing slash dropped");
	free(u);
	u = kubo_build_url("http://h:1", "id", NULL, &e);
	is_str(u, "http://h:1/api/v0/id", "no params, no '?'");
	free(u);
	u = kubo_build_url("http://h:1", "pin/ls", (struct kubo_param[]){ { "type", "all~._-" }, { NULL, NULL } }, &e);
	is_str(u, "http://h:1/api/v0/pin/ls?type=all~._-", "unreserved characters stay");
	free(u);
	ok(kubo_build_url("http://h:1", "id?x=1", NULL, &e) == NULL && e.code == EX_SOFTWARE,
	    "a command with '?' is refused");
	ok(kubo_build_url("http://h:1", "", NULL, &e) == NULL, "an empty command is refused");
	{
		char big[300];
		memset(big, 0xe9, sizeof big - 1);
		big[sizeof big - 1] = '\0';
		u = kubo_build_url("http://h:1", "cat", (struct kubo_param[]){ { "arg", big }, { NULL, NULL } }, &e);
		ok(u != NULL && strlen(u) == strlen("http://h:1/api/v0/cat?arg=") + 3 * 299,
		    "long values are escaped whole");
		ok(u != NULL && strncmp(u + strlen(u) - 6, "%E9%E9", 6) == 0, "bytes over 0x7f escaped");
		free(u);
	}
}

struct got {
	int n;
	char lines[8][64];
	int fail_at;
};

static int
line_fn(void *ctx, char *line, size_t n, struct werr *e)
{
	struct got *g = ctx;

	if (g->n == g->fail_at)
		return werr_set(e, EX_PROTOCOL, "stop at %d", g->n);
	if (g->n < 8)
		snprintf(g->lines[g->n], sizeof g->lines[0], "%.*s", (int)n, line);
	g->n++;
	return 0;
}

static void
test_lines(void)
{
	struct kubo_lines l = { 0 };
	struct werr e = { 0 };
	struct got g = { .fail_at = -1 };

	ok(kubo_lines_feed(&l, "{\"a\":1}\n{\"b\"", 12, line_fn, &g, &e) == 0, "feed 1");
	is_int(g.n, 1, "one complete line so far");
	{
		const char *f2 = ":2}\r\n\n  \n{\"c\":3}";
		ok(kubo_lines_feed(&l, f2, strlen(f2), line_fn, &g, &e) == 0, "feed 2");
	}
	is_int(g.n, 2, "blank lines skipped, the split line joined");
	is_str(g.lines[1], "{\"b\":2}", "CR dropped");
	ok(kubo_lines_finish(&l, line_fn, &g, &e) == 0 && g.n == 3, "the last line without newline");
	is_str(g.lines[2], "{\"c\":3}", "last line content");
	ok(kubo_lines_finish(&l, line_fn, &g, &e) == 0 && g.n == 3, "finish twice adds nothing");
	kubo_lines_free(&l);

	l.max = 8;
	memset(&g, 0, sizeof g);
	g.fail_at = -1;
	ok(kubo_lines_feed(&l, "0123456789", 10, line_fn, &g, &e) < 0 && e.code == EX_PROTOCOL,
	    "a line over the limit is an error");
	kubo_lines_free(&l);
	memset(&l, 0, sizeof l);
	memset(&g, 0, sizeof g);
	g.fail_at = 1;
	ok(kubo_lines_feed(&l, "a\nb\nc\n", 6, line_fn, &g, &e) < 0 && strstr(e.msg, "stop at 1"),
	    "a callback error stops the feed");
	kubo_lines_free(&l);
}

static void
test_errors(void)
{
	struct kubo_error ke;
	const char *kb = "{\"Message\":\"invalid path \\\"x\\\": bad\",\"Code\":0,\"Type\":\"error\"}";

	kubo_error_from_http(500, kb, strlen(kb), &ke);
	is_int(ke.kind, KUBO_E_HTTP, "kind http");
	is_str(ke.message, "invalid path \"x\": bad", "Kubo's Message");
	is_int(ke.kubo_code, 0, "Kubo's Code");
	is_str(ke.kubo_type, "error", "Kubo's Type");
	ok(!ke.permanent, "500 is not permanent");
	kb = "{\"Message\":\"m\",\"Code\":1,\"Type\":\"error\"}";
	kubo_error_from_http(400, kb, strlen(kb), &ke);
	ok(ke.permanent && ke.kubo_code == 1, "400 is permanent");
	kubo_error_from_http(429, "", 0, &ke);
	ok(!ke.permanent, "429 is not permanent");
	is_str(ke.message, "HTTP status 429", "empty body: the status");
	kubo_error_from_http(502, "\n  <html>Bad Gateway</html>\nmore", 31, &ke);
	is_str(ke.message, "<html>Bad Gateway</html>", "plain body: its first line");
	is_int(ke.kubo_code, -1, "no Code");
	kubo_error_from_http(500, "{\"Message\":\"a\\nb\"}", 18, &ke);
	is_str(ke.message, "a b", "control characters flattened");
	is_str(kubo_kind_name(KUBO_E_TRUNCATED), "truncated", "kind names");
	is_str(kubo_kind_name((enum kubo_kind)99), "none", "unknown kind");
}

/* pubsub topics and data travel as multibase base64: lib/ipld/multibase. */
static void
test_mb64(void)
{
	char out[64];
	uint8_t b[64];
	size_t n;

#define ENC(s, l, o, c) mb_encode('u', (const uint8_t *)(s), (l), (o), (c), NULL)
#define DEC(s, o, c, n) mb_decode((s), (o), (c), (n), NULL, NULL)
	ok(ENC("wanda/discovery", 15, out, sizeof out) == 0, "encode");
	is_str(out, "ud2FuZGEvZGlzY292ZXJ5", "wanda/discovery in base64url multibase");
	ok(ENC("a", 1, out, sizeof out) == 0, "encode 1 byte");
	is_str(out, "uYQ", "no padding");
	ok(ENC("ab", 2, out, sizeof out) == 0 && strcmp(out, "uYWI") == 0, "2 bytes");
	ok(ENC("", 0, out, sizeof out) == 0 && strcmp(out, "u") == 0, "empty");
	ok(ENC("abcdef", 6, out, 5) < 0, "too small a buffer");
	ok(DEC("uaGVsbG8Kd29ybGQ", b, sizeof b, &n) == 0 && n == 11 &&
	        memcmp(b, "hello\nworld", 11) == 0,
	    "decode what Kubo sends");
	ok(DEC("mPz8/", b, sizeof b, &n) == 0 && n == 3 && b[0] == 0x3f && b[2] == 0x3f,
	    "'m' is standard base64");
	ok(DEC("MYQ==", b, sizeof b, &n) == 0 && n == 1 && b[0] == 'a', "padding accepted ('M')");
	ok(DEC("u-_8", b, sizeof b, &n) == 0 && n == 2 && b[0] == 0xfb && b[1] == 0xff,
	    "url alphabet");
	ok(DEC("uYR", b, sizeof b, &n) < 0, "non-zero padding bits refused");
	ok(DEC("MYQ==x", b, sizeof b, &n) < 0, "text after padding refused");
	ok(DEC("u+", b, sizeof b, &n) < 0, "'+' is not base64url");
	ok(DEC("uaGVsbG8", b, 3, &n) < 0, "output too small");
#undef ENC
#undef DEC
}

/* ---- a canned HTTP server ----------------------------------------------- */

struct canned {
	int lfd;
	int port;
	const char *resp[8]; /* one per connection; NULL ends */
	size_t resp_len[8];  /* binary responses; 0 = strlen */
	int stall_ms;        /* after writing the first response, before closing */
	int delay_ms;        /* before writing the first response */
	char req[8][1024];   /* request lines seen */
	int nreq;
	pthread_t thread;
	char *owned[8]; /* responses canned_stop frees */
};

static void
read_request(int fd, char *line, size_t cap)
{
	char buf[65536];
	size_t len = 0;
	ssize_t n;
	char *hdr_end, *cl, *eol;
	long want = -1;

	while ((n = read(fd, buf + len, sizeof buf - 1 - len)) > 0) {
		len += (size_t)n;
		buf[len] = '\0';
		if ((hdr_end = strstr(buf, "\r\n\r\n")) == NULL)
			continue;
		if (want < 0) {
			cl = strcasestr(buf, "content-length:");
			want = cl && cl < hdr_end ? atol(cl + 15) : 0;
			if (strcasestr(buf, "transfer-encoding: chunked") != NULL)
				want = -2;
		}
		if (want == -2 ? strstr(hdr_end, "\r\n0\r\n\r\n") != NULL :
		                 (long)(len - (size_t)(hdr_end + 4 - buf)) >= want)
			break;
		if (len >= sizeof buf - 1)
			len = (size_t)(hdr_end + 4 - buf); /* drop body bytes */
	}
	buf[len] = '\0';
	eol = strstr(buf, "\r\n");
	snprintf(line, cap, "%.*s", eol ? (int)(eol - buf) : 0, buf);
}

static void *
serve(void *arg)
{
	struct canned *c = arg;
	int i;

	for (i = 0; i < 8 && c->resp[i] != NULL; i++) {
		int fd = accept(c->lfd, NULL, NULL);

		if (fd < 0)
			break;
		read_request(fd, c->req[c->nreq], sizeof c->req[0]);
		c->nreq++;
		if (c->delay_ms && i == 0)
			usleep((useconds_t)c->delay_ms * 1000);
		if (write(fd, c->resp[i], c->resp_len[i] ? c->resp_len[i] : strlen(c->resp[i])) < 0)
			c->nreq = -100;
		if (c->stall_ms && i == 0)
			usleep((useconds_t)c->stall_ms * 1000);
		close(fd);
	}
	return NULL;
}

static struct kubo *
client(int port, int retries)
{
	struct kubo_opts o;
	struct werr e = { 0 };
	char url[64];

	kubo_opts_default(&o);
	o.retries = retries;
	o.backoff_ms = 10;
	o.low_speed_s = 1;
	o.timeout_ms = 5000;
	snprintf(url, sizeof url, "http://127.0.0.1:%d/", port);
	return kubo_new(url, &o, &e);
}

/* canned_start: the server in its thread, and a client of it with this
 * many retries; canned_stop frees the client and stops the server. */
static struct kubo *
canned_start(struct canned *c, int retries)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t sl = sizeof sa;
	int one = 1;

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	c->lfd = socket(AF_INET, SOCK_STREAM, 0);
	setsockopt(c->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	bind(c->lfd, (struct sockaddr *)&sa, sizeof sa);
	listen(c->lfd, 8);
	getsockname(c->lfd, (struct sockaddr *)&sa, &sl);
	c->port = ntohs(sa.sin_port);
	pthread_create(&c->thread, NULL, serve, c);
	return client(c->port, retries);
}

static void
canned_stop(struct canned *c, struct kubo *k)
{
	size_t i;

	kubo_free(k);
	shutdown(c->lfd, SHUT_RDWR);
	pthread_join(c->thread, NULL);
	close(c->lfd);
	for (i = 0; i < 8; i++)
		free(c->owned[i]);
}

#define OKJSON(body) "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " #body "\r\nConnection: close\r\n\r\n"

static const char chunked_hdr[] = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                                  "Transfer-Encoding: chunked\r\nTrailer: X-Stream-Error\r\nConnection: close\r\n\r\n";

/* A chunked response: the header, one chunk per part, then (when end)
 * the last chunk with optional trailer lines. */
static char *
chunked(const char *const *parts, int end, const char *trailer)
{
	char *s = malloc(8192);
	size_t o;

	o = (size_t)snprintf(s, 8192, "%s", chunked_hdr);
	for (; *parts != NULL; parts++)
		o += (size_t)snprintf(s + o, 8192 - o, "%zx\r\n%s\r\n", strlen(*parts), *parts);
	if (end)
		snprintf(s + o, 8192 - o, "0\r\n%s\r\n", trailer ? trailer : "");
	return s;
}

static void
test_add_ok_and_trailer(void)
{
	struct canned c = { 0 };
	struct kubo *k;
	struct werr e = { 0 };
	struct kubo_add_opts o;
	struct kubo_add_result res;
	char *ok_resp = chunked((const char *[]){ "{\"Name\":\"f\",\"Bytes\":5}\n",
	                            "{\"Name\":\"f\",\"Hash\":\"bafkqaaa\",\"Size\":\"5\"}\n", NULL },
	    1, NULL);
	char *trailer_resp = chunked((const char *[]){ "{\"Name\":\"f\",\"Bytes\":5}\n", NULL }, 1,
	    "X-Stream-Error: datastore: disk full\r\n");

	c.resp[0] = ok_resp;
	c.resp[1] = trailer_resp;
	k = canned_start(&c, 2);
	kubo_add_opts_wanda(&o);
	o.filename = "a b.jpg";
	ok(kubo_add_buf(k, "hello", 5, &o, &res, &e) == 0, "add: %s", e.msg);
	is_str(res.cid, "bafkqaaa", "the root's Hash");
	is_int(res.size, 5, "Size as a string (Kubo)");
	ok(strstr(c.req[0], "POST /api/v0/add?cid-version=1&raw-leaves=true&chunker=size-1048576"
	                    "&hash=sha2-256&trickle=false&max-file-links=1024&max-directory-links=0&max-hamt-fanout=256"
	                    "&pin=true") != NULL,
	    "the whole profile sent: %s", c.req[0]);
	ok(kubo_add_buf(k, "hello", 5, &o, &res, &e) < 0, "trailer: add fails");
	is_int(kubo_last_error(k)->kind, KUBO_E_STREAM, "kind stream");
	is_int(e.code, EX_PROTOCOL, "EX_PROTOCOL");
	ok(strstr(e.msg, "disk full") != NULL, "the trailer's text: %s", e.msg);
	is_int(kubo_last_error(k)->attempts, 1, "stream errors are not retried");
	canned_stop(&c, k);
	free(ok_resp);
	free(trailer_resp);
}

static void
test_http_errors(void)
{
	struct canned c = { 0 };
	struct kubo *k;
	struct werr e = { 0 };
	struct kubo_id id;
	struct kubo_version v;

	c.resp[0] = "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 5\r\nConnection: close\r\n\r\nbusy\n";
	c.resp[1] = OKJSON(32) "{\"Version\":\"0.29.0\",\"Repo\":\"15\"}";
	c.resp[2] = "HTTP/1.1 500 Internal Server Error\r\nContent-Type: application/json\r\nContent-Length: 57\r\n"
	            "Connection: close\r\n\r\n{\"Message\":\"not pinned or pinned indirectly\",\"Code\":0}\n\n\n";
	c.resp[3] = OKJSON(2) "[]";
	k = canned_start(&c, 1);
	ok(kubo_version(k, &v, &e) == 0, "a 503 is retried, then the answer: %s", e.msg);
	is_str(v.version, "0.29.0", "version parsed");
	is_int(kubo_last_error(k)->attempts, 2, "two attempts");
	ok(kubo_pin_rm(k, "bafkqaaa", 1, &e) < 0, "500: pin/rm fails");
	is_int(kubo_last_error(k)->kind, KUBO_E_HTTP, "kind http");
	is_int(kubo_last_error(k)->http_status, 500, "status kept");
	is_int(e.code, EX_SOFTWARE, "5xx: EX_SOFTWARE");
	is_str(e.msg, "pin/rm: HTTP 500: not pinned or pinned indirectly", "message");
	is_int(kubo_last_error(k)->attempts, 1, "500 is not retried");
	ok(kubo_id(k, &id, &e) < 0 && kubo_last_error(k)->kind == KUBO_E_PROTOCOL,
	    "an array where an object belongs: protocol");
	canned_stop(&c, k);
}

/* A 200 with a JSON body (free it). */
static char *
okjson(const char *body)
{
	char *s = malloc(strlen(body) + 200);

	sprintf(s, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n"
	           "Connection: close\r\n\r\n%s",
	    strlen(body), body);
	return s;
}

/* The typed answers read through one field table: each kind of field. */
static void
test_answer_fields(void)
{
	struct canned c = { 0 };
	struct kubo *k;
	struct werr e = { 0 };
	struct kubo_repo_stat rs;
	struct kubo_bw bw;
	struct kubo_id id;
	struct kubo_block_stat bst;

	c.resp[0] = c.owned[0] = okjson("{\"RepoSize\":\"123\",\"StorageMax\":1e10,\"NumObjects\":7,\"RepoPath\":\"/r\",\"Version\":15}");
	c.resp[1] = c.owned[1] = okjson("{\"TotalIn\":5,\"TotalOut\":\"6\",\"RateIn\":\"1.5\",\"RateOut\":2.25}");
	c.resp[2] = c.owned[2] = okjson("{\"ID\":\"12D3KooW\",\"AgentVersion\":\"kubo/0.43.1/\",\"Addresses\":[\"/ip4/1\",7,\"/ip4/2\"]}");
	c.resp[3] = c.owned[3] = okjson("{\"Size\":3}");
	k = canned_start(&c, 1);
	ok(kubo_repo_stat(k, &rs, &e) == 0, "repo/stat: %s", e.msg);
	ok(rs.repo_size == 123 && rs.storage_max == 10000000000ull && rs.num_objects == 7,
	    "numbers, and a string of digits");
	is_str(rs.repo_path, "/r", "a string");
	is_str(rs.version, "15", "a number kept as text");
	ok(kubo_stats_bw(k, &bw, &e) == 0, "stats/bw: %s", e.msg);
	ok(bw.total_in == 5 && bw.total_out == 6 && bw.rate_in == 1.5 && bw.rate_out == 2.25,
	    "rates as a number or a numeric string");
	ok(kubo_id(k, &id, &e) == 0, "id: %s", e.msg);
	is_str(id.id, "12D3KooW", "ID");
	is_str(id.protocol_version, "", "an absent string is empty");
	is_int(id.naddrs, 2, "the Addresses that are strings");
	is_str(id.addrs[1], "/ip4/2", "in order");
	ok(kubo_block_stat(k, "bafkqaaa", &bst, &e) < 0, "block/stat without a Key fails");
	is_int(kubo_last_error(k)->kind, KUBO_E_PROTOCOL, "kind protocol");
	ok(strstr(e.msg, "no Key") != NULL, "names the field: %s", e.msg);
	canned_stop(&c, k);
}

static int
count_pin(void *ctx, const char *cid, const char *type, struct werr *e)
{
	(void)cid;
	(void)e;
	(*(int *)ctx)++;
	return strcmp(type, "recursive") == 0 ? 0 : werr_set(e, EX_DATAERR, "type %s", type);
}

static void
test_truncated_and_inband(void)
{
	struct canned c = { 0 };
	struct kubo *k;
	struct werr e = { 0 };
	int n = 0;
	char *cut = chunked((const char *[]){ "{\"Cid\":\"bafkqaaa\",\"Type\":\"recursive\"}\n", NULL }, 0, NULL);
	char *inband = chunked((const char *[]){ "{\"Message\":\"boom\",\"Code\":0,\"Type\":\"error\"}\n", NULL },
	    1, NULL);

	c.resp[0] = cut;
	c.resp[1] = cut;
	c.resp[2] = inband;
	c.resp[3] = OKJSON(42) "{\"Keys\":{\"bafkqaaa\":{\"Type\":\"recursive\"}}}";
	k = canned_start(&c, 1);
	ok(kubo_pin_ls(k, NULL, NULL, count_pin, &n, &e) < 0, "a cut chunked body fails");
	is_int(kubo_last_error(k)->kind, KUBO_E_TRUNCATED, "kind truncated");
	is_int(e.code, EX_IOERR, "EX_IOERR");
	is_int(kubo_last_error(k)->attempts, 1, "nothing re-delivered: objects were already handed on");
	ok(kubo_pin_ls(k, NULL, "recursive", count_pin, &n, &e) < 0 &&
	        kubo_last_error(k)->kind == KUBO_E_TRUNCATED,
	    "again (drains the second canned cut)");
	ok(kubo_pin_ls(k, NULL, NULL, count_pin, &n, &e) < 0, "in-band error object");
	is_int(kubo_last_error(k)->kind, KUBO_E_STREAM, "kind stream");
	ok(strstr(e.msg, "boom") != NULL, "its message");
	n = 0;
	ok(kubo_pin_ls(k, "bafkqaaa", NULL, count_pin, &n, &e) == 0 && n == 1,
	    "a daemon that does not stream: the Keys object");
	canned_stop(&c, k);
	free(cut);
	free(inband);
}

static void
test_stall_and_unreachable(void)
{
	struct canned c = { 0 };
	struct kubo *k;
	struct werr e = { 0 };
	struct kubo_repo_stat rs;
	int fd, port;
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t sl = sizeof sa;

	c.resp[0] = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{";
	c.stall_ms = 2500;
	k = canned_start(&c, 0);
	ok(kubo_repo_stat(k, &rs, &e) < 0, "a stalled body fails");
	is_int(kubo_last_error(k)->kind, KUBO_E_TIMEOUT, "kind timeout (low-speed)");
	is_int(e.code, EX_TEMPFAIL, "EX_TEMPFAIL");
	canned_stop(&c, k);

	/* a bound socket that does not listen: connections are refused */
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	bind(fd, (struct sockaddr *)&sa, sizeof sa);
	getsockname(fd, (struct sockaddr *)&sa, &sl);
	port = ntohs(sa.sin_port);
	k = client(port, 2);
	ok(kubo_repo_stat(k, &rs, &e) < 0, "refused connection fails");
	is_int(kubo_last_error(k)->kind, KUBO_E_UNREACHABLE, "kind unreachable");
	is_int(e.code, EX_UNAVAILABLE, "EX_UNAVAILABLE");
	is_int(kubo_last_error(k)->attempts, 3, "retried twice");
	ok(kubo_pubsub_pub(k, "t", "x", 1, &e) < 0 && kubo_last_error(k)->attempts == 1,
	    "pubsub/pub is never retried");
	ok(!kubo_last_error(k)->permanent, "unreachable is not permanent");
	kubo_free(k);
	close(fd);
	ok(kubo_new("ftp://x", NULL, &e) == NULL && e.code == EX_CONFIG, "non-http URL refused");
}

/* ---- get: tar streams, good and hostile ------------------------------------ */

struct tent {
	const char *path;
	mode_t type;
	const char *data_or_link;
};

/* An HTTP response carrying a ustar/pax stream of these entries; cut
 * the body short by `cut` bytes (Content-Length stays the full size). */
static char *
tar_response(const struct tent *ents, size_t cut, size_t *len)
{
	static char tarbuf[1 << 16];
	size_t used = 0, hl;
	struct archive *a = archive_write_new();
	struct archive_entry *ae = archive_entry_new();
	char *resp;

	archive_write_set_format_pax_restricted(a);
	archive_write_open_memory(a, tarbuf, sizeof tarbuf, &used);
	for (; ents->path != NULL; ents++) {
		archive_entry_clear(ae);
		archive_entry_set_pathname(ae, ents->path);
		archive_entry_set_filetype(ae, ents->type);
		archive_entry_set_perm(ae, ents->type == AE_IFDIR ? 0755 : 0644);
		if (ents->type == AE_IFLNK)
			archive_entry_set_symlink(ae, ents->data_or_link);
		if (ents->type == AE_IFREG)
			archive_entry_set_size(ae, (la_int64_t)strlen(ents->data_or_link));
		archive_write_header(a, ae);
		if (ents->type == AE_IFREG)
			archive_write_data(a, ents->data_or_link, strlen(ents->data_or_link));
	}
	archive_write_close(a);
	archive_write_free(a);
	archive_entry_free(ae);
	resp = malloc(used + 256);
	hl = (size_t)snprintf(resp, 256, "HTTP/1.1 200 OK\r\nContent-Type: application/x-tar\r\n"
	                                 "Content-Length: %zu\r\nConnection: close\r\n\r\n",
	    used);
	memcpy(resp + hl, tarbuf, used - cut);
	*len = hl + used - cut;
	return resp;
}

/* canned_tars: c's first n responses, the tars of these entry lists. */
static void
canned_tars(struct canned *c, const struct tent *const *tars, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		c->resp[i] = c->owned[i] = tar_response(tars[i], 0, &c->resp_len[i]);
}

/* refuse_tars: the next n answers are hostile tars; each get is refused
 * as a protocol error and leaves nothing at its dest (DIR/badI). */
static void
refuse_tars(struct kubo *k, const char *dir, size_t n)
{
	struct werr e = { 0 };
	struct stat st;
	char dest[128];
	size_t i;

	for (i = 0; i < n; i++) {
		snprintf(dest, sizeof dest, "%s/bad%zu", dir, i);
		ok(kubo_get(k, "QmTop", dest, NULL, NULL, &e) < 0 && kubo_last_error(k)->kind == KUBO_E_PROTOCOL &&
		        lstat(dest, &st) < 0,
		    "hostile tar %zu refused, nothing at dest: %s", i, e.msg);
	}
}

static void
remove_tmpdir(const char *dir)
{
	char cmd[160];

	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	ok(system(cmd) == 0, "clean up");
}

static int
no_leftovers(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int n = 0;

	while (d != NULL && (de = readdir(d)) != NULL)
		n += strstr(de->d_name, ".part-") != NULL;
	if (d != NULL)
		closedir(d);
	return n == 0;
}

static void
test_get(void)
{
	static const struct tent good[] = {
		{ "QmTop", AE_IFDIR, NULL }, { "QmTop/a", AE_IFREG, "hello" }, { "QmTop/sub", AE_IFDIR, NULL },
		{ "QmTop/sub/l", AE_IFLNK, "../a" }, { NULL, 0, NULL }
	};
	static const struct tent dotdot[] = {
		{ "QmTop", AE_IFDIR, NULL }, { "QmTop/../evil", AE_IFREG, "x" }, { NULL, 0, NULL }
	};
	static const struct tent absolute[] = { { "/tmp/evil-wanda", AE_IFREG, "x" }, { NULL, 0, NULL } };
	static const struct tent badlink[] = {
		{ "QmTop", AE_IFDIR, NULL }, { "QmTop/l", AE_IFLNK, "../../etc/passwd" }, { NULL, 0, NULL }
	};
	static const struct tent abslink[] = {
		{ "QmTop", AE_IFDIR, NULL }, { "QmTop/l", AE_IFLNK, "/etc/passwd" }, { NULL, 0, NULL }
	};
	static const struct tent twotops[] = {
		{ "QmTop/a", AE_IFREG, "x" }, { "Other/b", AE_IFREG, "y" }, { NULL, 0, NULL }
	};
	static const struct tent fifo[] = { { "QmTop", AE_IFIFO, NULL }, { NULL, 0, NULL } };
	static const struct tent file[] = { { "QmFile", AE_IFREG, "just bytes" }, { NULL, 0, NULL } };
	const struct tent *tars[] = { good, dotdot, absolute, badlink, abslink, twotops, fifo };
	struct canned c = { 0 };
	struct kubo *k;
	struct werr e = { 0 };
	char dir[] = "/tmp/test_kubo.XXXXXX", dest[128], buf[64];
	struct stat st;
	FILE *f;

	if (mkdtemp(dir) == NULL)
		return;
	canned_tars(&c, tars, 7);
	k = canned_start(&c, 0);
	snprintf(dest, sizeof dest, "%s/good", dir);
	ok(kubo_get(k, "QmTop", dest, NULL, NULL, &e) == 0, "get a directory: %s", e.msg);
	snprintf(dest, sizeof dest, "%s/good/a", dir);
	f = fopen(dest, "r");
	ok(f != NULL && fgets(buf, sizeof buf, f) != NULL && strcmp(buf, "hello") == 0, "its file, at dest");
	if (f)
		fclose(f);
	snprintf(dest, sizeof dest, "%s/good/sub/l", dir);
	ok(readlink(dest, buf, sizeof buf) == 4 && memcmp(buf, "../a", 4) == 0, "a symlink inside is kept");
	ok(strstr(c.req[0], "/api/v0/get?arg=QmTop&archive=true") != NULL, "get?archive=true");
	refuse_tars(k, dir, 6);
	ok(lstat("/tmp/evil-wanda", &st) < 0 && lstat("/tmp/evil", &st) < 0, "nothing written outside");
	snprintf(dest, sizeof dest, "%s/good", dir);
	ok(kubo_get(k, "QmTop", dest, NULL, NULL, &e) < 0 && e.code == EX_CANTCREAT, "an existing dest is refused");
	ok(no_leftovers(dir), "no temporary directories left");
	canned_stop(&c, k);

	memset(&c, 0, sizeof c);
	canned_tars(&c, (const struct tent *[]){ file }, 1);
	c.resp[1] = c.owned[1] = tar_response(file, 700, &c.resp_len[1]);
	c.resp[2] = "HTTP/1.1 500 Internal Server Error\r\nContent-Type: application/json\r\n"
	            "Content-Length: 29\r\nConnection: close\r\n\r\n{\"Message\":\"no link named x\"}";
	k = canned_start(&c, 0);
	snprintf(dest, sizeof dest, "%s/file", dir);
	ok(kubo_get(k, "QmFile", dest, NULL, NULL, &e) == 0 && stat(dest, &st) == 0 && S_ISREG(st.st_mode) &&
	        st.st_size == 10,
	    "a single file lands as the file dest");
	snprintf(dest, sizeof dest, "%s/cut", dir);
	ok(kubo_get(k, "QmFile", dest, NULL, NULL, &e) < 0, "a cut tar stream fails");
	is_int(kubo_last_error(k)->kind, KUBO_E_TRUNCATED, "kind truncated");
	ok(lstat(dest, &st) < 0, "nothing at dest");
	snprintf(dest, sizeof dest, "%s/err", dir);
	ok(kubo_get(k, "QmFile/x", dest, NULL, NULL, &e) < 0 && kubo_last_error(k)->kind == KUBO_E_HTTP &&
	        strstr(e.msg, "no link named x") != NULL,
	    "HTTP 500: the node's message: %s", e.msg);
	ok(no_leftovers(dir), "no temporary directories left");
	canned_stop(&c, k);
	remove_tmpdir(dir);
}

static int
refuse_check(void *ctx, const char *root, struct werr *e)
{
	struct stat st;

	*(int *)ctx = lstat(root, &st) == 0; /* the tree is there while checked */
	return werr_set(e, EX_DATAERR, "%s: does not match", root);
}

/* Tars a hostile peer can make a real node send (dag-pb link names are
 * free text; UnixFS symlinks hold any target). */
static void
test_get_hostile(void)
{
	static const struct tent chain[] = { /* d/x -> the root; y walks through it */
		{ "QmTop", AE_IFDIR, NULL }, { "QmTop/d", AE_IFDIR, NULL }, { "QmTop/d/x", AE_IFLNK, ".." },
		{ "QmTop/d/y", AE_IFLNK, "x/d/x/d/x/d/x/d/../../../../../../../../etc" }, { NULL, 0, NULL }
	};
	static const struct tent under_file[] = {
		{ "QmTop", AE_IFDIR, NULL }, { "QmTop/a", AE_IFREG, "x" }, { "QmTop/a/b", AE_IFREG, "y" },
		{ NULL, 0, NULL }
	};
	static const struct tent root_twice[] = { /* a link named "." */
		{ "QmTop", AE_IFDIR, NULL }, { "QmTop", AE_IFREG, "attacker" }, { NULL, 0, NULL }
	};
	static const struct tent dot[] = {
		{ "QmTop", AE_IFDIR, NULL }, { "QmTop/.", AE_IFREG, "attacker" }, { NULL, 0, NULL }
	};
	static const struct tent link_then_file[] = { /* a file written through a link */
		{ "QmTop", AE_IFDIR, NULL }, { "QmTop/l", AE_IFLNK, "sub" }, { "QmTop/sub", AE_IFDIR, NULL },
		{ "QmTop/l/f", AE_IFREG, "z" }, { NULL, 0, NULL }
	};
	static const struct tent good[] = {
		{ "QmTop", AE_IFDIR, NULL }, { "QmTop/a", AE_IFREG, "hello" }, { NULL, 0, NULL }
	};
	const struct tent *tars[] = { chain, under_file, root_twice, dot, link_then_file, good, good };
	struct canned c = { 0 };
	struct kubo *k;
	struct werr e = { 0 };
	char dir[] = "/tmp/test_kubo.XXXXXX", dest[128];
	struct stat st;
	int seen = 0;

	if (mkdtemp(dir) == NULL)
		return;
	canned_tars(&c, tars, 7);
	k = canned_start(&c, 0);
	refuse_tars(k, dir, 5);
	snprintf(dest, sizeof dest, "%s/checked", dir);
	ok(kubo_get(k, "QmTop", dest, refuse_check, &seen, &e) < 0 && e.code == EX_DATAERR && seen &&
	        lstat(dest, &st) < 0,
	    "content that fails the check never appears at dest");
	ok(kubo_get(k, "QmTop", dest, NULL, NULL, &e) == 0 && lstat(dest, &st) == 0, "a rerun works: %s", e.msg);
	ok(no_leftovers(dir), "no temporary directories left");
	canned_stop(&c, k);
	remove_tmpdir(dir);
}

/* ---- retries that must re-send or resume --------------------------------- */

static int
collect(void *ctx, const void *p, size_t n, struct werr *e)
{
	char *buf = ctx;

	(void)e;
	strncat(buf, p, n);
	return 0;
}

static void
test_retry_rewind_resume(void)
{
	struct canned c = { 0 };
	struct kubo *k;
	struct werr e = { 0 };
	struct kubo_add_opts o;
	struct kubo_add_result res;
	char path[] = "/tmp/test_kubo_add.XXXXXX", got[64] = "";
	int fd = mkstemp(path), pfd[2];
	char *okr = chunked((const char *[]){ "{\"Name\":\"x\",\"Hash\":\"bafkqaaa\",\"Size\":7}\n", NULL }, 1, NULL);
	static const char busy[] = "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";

	if (write(fd, "skip:payload", 12) != 12 || lseek(fd, 5, SEEK_SET) != 5)
		ok(0, "temp file");
	c.resp[0] = busy;
	c.resp[1] = okr;
	c.resp[2] = busy;
	c.resp[3] = "HTTP/1.1 200 OK\r\nContent-Length: 10\r\nConnection: close\r\n\r\n0123";
	c.resp[4] = "HTTP/1.1 200 OK\r\nContent-Length: 6\r\nConnection: close\r\n\r\n456789";
	k = canned_start(&c, 2);
	kubo_add_opts_wanda(&o);
	ok(kubo_add_fd(k, fd, &o, &res, &e) == 0 && kubo_last_error(k)->attempts == 2,
	    "add from a file: a 503, then re-sent from where the fd started: %s", e.msg);
	is_str(res.cid, "bafkqaaa", "its root");
	ok(pipe(pfd) == 0 && write(pfd[1], "piped", 5) == 5 && close(pfd[1]) == 0, "a pipe");
	ok(kubo_add_fd(k, pfd[0], &o, &res, &e) < 0 && kubo_last_error(k)->attempts == 1,
	    "add from a pipe: not retried (it cannot be re-read)");
	close(pfd[0]);
	ok(kubo_cat(k, "bafkqaaa", 0, -1, collect, got, &e) == 0, "cat cut short, then resumed: %s", e.msg);
	is_str(got, "0123456789", "the bytes, once each");
	ok(strstr(c.req[4], "offset=4") != NULL, "the retry asked from offset 4: %s", c.req[4]);
	canned_stop(&c, k);
	free(okr);
	close(fd);
	unlink(path);
}

/* ---- pubsub/sub: ready, messages, ticks, the end of the stream --------------- */

struct subseen {
	int ready, msgs, ticks;
	char data[64];
	char topic[64];
	char from[64];
};

static int
sub_cb(void *ctx, enum kubo_sub_event ev, const struct kubo_pubsub_msg *m, struct werr *e)
{
	struct subseen *s = ctx;

	(void)e;
	if (ev == KUBO_SUB_READY)
		s->ready++;
	if (ev == KUBO_SUB_MESSAGE) {
		s->msgs++;
		snprintf(s->data, sizeof s->data, "%.*s", (int)m->len, (const char *)m->data);
		snprintf(s->topic, sizeof s->topic, "%s", m->topic);
		snprintf(s->from, sizeof s->from, "%s", m->from);
	}
	if (ev == KUBO_SUB_TICK && ++s->ticks >= 3)
		return 1;
	return 0;
}

static void
test_sub(void)
{
	struct canned c = { 0 };
	struct kubo *k;
	struct werr e = { 0 };
	struct subseen seen = { 0 };
	long long t0;
	char *open_stream = chunked((const char *[]){
	                                "{\"from\":\"12D3KooWtest\",\"data\":\"uaGVsbG8\",\"seqno\":\"uAAE\",\"topicIDs\":[\"ud2FuZGEvZGlzY292ZXJ5\"]}\n",
	                                NULL },
	    0, NULL);
	char *ended = chunked((const char *[]){ NULL }, 1, NULL);
	char *empty = chunked((const char *[]){ "{}\n", NULL }, 1, NULL);
	char *garbage = chunked((const char *[]){ "{\"from\":\"p\",\"data\":\"z123\"}\n", NULL }, 1, NULL);

	c.resp[0] = open_stream;
	c.resp[1] = ended;
	c.resp[2] = garbage;
	c.resp[3] = empty;
	c.stall_ms = 1500; /* the stream stays open this long */
	k = canned_start(&c, 3);
	t0 = mono_ms();
	ok(kubo_pubsub_sub(k, "wanda/discovery", 100, sub_cb, &seen, &e) == 0, "sub: the callback ends it: %s", e.msg);
	ok(mono_ms() - t0 < 1500, "3 ticks of 100 ms before the stream closed (not 1 a second)");
	is_int(seen.ready, 1, "ready once");
	is_int(seen.msgs, 1, "one message");
	is_str(seen.data, "hello", "data decoded");
	is_str(seen.topic, "wanda/discovery", "topic decoded");
	is_str(seen.from, "12D3KooWtest", "from");
	ok(strstr(c.req[0], "/api/v0/pubsub/sub?arg=ud2FuZGEvZGlzY292ZXJ5 ") != NULL, "topic multibase in the URL");
	memset(&seen, 0, sizeof seen);
	ok(kubo_pubsub_sub(k, "wanda/discovery", 0, sub_cb, &seen, &e) < 0 &&
	        kubo_last_error(k)->kind == KUBO_E_TRUNCATED,
	    "the daemon ending the stream is an error: %s", e.msg);
	ok(kubo_pubsub_sub(k, "wanda/discovery", 0, sub_cb, &seen, &e) < 0 &&
	        kubo_last_error(k)->kind == KUBO_E_PROTOCOL,
	    "data not in multibase base64: protocol");
	is_int(kubo_last_error(k)->attempts, 1, "subscriptions are not retried");
	ok(kubo_pubsub_sub(k, "wanda/discovery", 0, sub_cb, &seen, &e) < 0 &&
	        kubo_last_error(k)->kind == KUBO_E_PROTOCOL,
	    "an object that is no message (Kubo sends none): protocol");
	ok(kubo_pubsub_sub(k, "", 0, sub_cb, &seen, &e) < 0 && e.code == EX_USAGE, "an empty topic");
	c.stall_ms = 0;
	canned_stop(&c, k);
	free(open_stream);
	free(ended);
	free(garbage);
	free(empty);
}

/* pin add may be silent while the daemon fetches: no low-speed abort;
 * an ordinary call that waits as long is given up. */
static void
test_slow(void)
{
	struct canned c = { 0 };
	struct kubo *k;
	struct werr e = { 0 };
	struct kubo_id id;

	c.resp[0] = OKJSON(21) "{\"Pins\":[\"bafkqaaa\"]}";
	c.delay_ms = 2500;
	k = canned_start(&c, 0);
	ok(kubo_pin_add(k, "bafkqaaa", 1, &e) == 0, "pin add waits out 2.5 s of silence (low-speed 1 s): %s", e.msg);
	canned_stop(&c, k);

	memset(&c, 0, sizeof c);
	c.resp[0] = OKJSON(2) "{}";
	c.delay_ms = 2500;
	k = canned_start(&c, 0);
	ok(kubo_id(k, &id, &e) < 0 && kubo_last_error(k)->kind == KUBO_E_TIMEOUT,
	    "id gives up on the same silence: %s", e.msg);
	canned_stop(&c, k);
}

struct pinwatch {
	uint64_t nodes, bytes;
	int calls;
	long long since;
};

/* Gives up 400 ms after the count last moved. */
static int
pinwatch_fn(void *ctx, uint64_t nodes, uint64_t bytes, struct werr *e)
{
	struct pinwatch *w = ctx;

	w->calls++;
	if (nodes != w->nodes || bytes != w->bytes) {
		w->nodes = nodes;
		w->bytes = bytes;
		w->since = mono_ms();
	} else if (mono_ms() - w->since > 400)
		return werr_set(e, EX_TEMPFAIL, "stalled at %llu", (unsigned long long)nodes);
	return 0;
}

static void
test_pin_progress(void)
{
	struct canned c = { 0 };
	struct kubo *k;
	struct werr e = { 0 };
	struct pinwatch w = { 0 };
	char *done = chunked((const char *[]){ "{\"Progress\":3,\"Bytes\":300}\n",
	                         "{\"Progress\":7,\"Bytes\":1700}\n{\"Pins\":[\"bafyroot\"],\"Progress\":7}\n", NULL },
	    1, NULL);
	char *stuck = chunked((const char *[]){ "{\"Progress\":2,\"Bytes\":200}\n", NULL }, 0, NULL);
	long long t0;

	c.resp[0] = done;
	c.resp[1] = stuck;
	c.stall_ms = 0;
	k = canned_start(&c, 2);
	w.since = mono_ms();
	ok(kubo_pin_add_progress(k, "bafyroot", pinwatch_fn, &w, &e) == 0, "pin/add with progress: %s", e.msg);
	ok(strstr(c.req[0], "/api/v0/pin/add?arg=bafyroot&recursive=true&progress=true") != NULL, "request: %s",
	    c.req[0]);
	is_int(w.nodes, 7, "the last Progress");
	is_int(w.bytes, 1700, "the last Bytes");
	canned_stop(&c, k);

	/* the stream stays open and silent: the ticks call fn, which cancels */
	memset(&c, 0, sizeof c);
	c.resp[0] = stuck;
	c.stall_ms = 5000;
	k = canned_start(&c, 2);
	memset(&w, 0, sizeof w);
	w.since = mono_ms();
	t0 = mono_ms();
	ok(kubo_pin_add_progress(k, "bafyroot", pinwatch_fn, &w, &e) < 0, "a stalled pin/add is cancelled by fn");
	ok(mono_ms() - t0 < 3000, "within fn's limit, not the server's 5 s (%lld ms)", mono_ms() - t0);
	is_str(e.msg, "pin/add: stalled at 2", "fn's message");
	is_int(kubo_last_error(k)->attempts, 1, "not retried");
	canned_stop(&c, k);
	free(done);
	free(stuck);
}

int
main(void)
{
	test_url();
	test_lines();
	test_errors();
	test_mb64();
	test_add_ok_and_trailer();
	test_http_errors();
	test_answer_fields();
	test_truncated_and_inband();
	test_stall_and_unreachable();
	test_get();
	test_get_hostile();
	test_retry_rewind_resume();
	test_sub();
	test_slow();
	test_pin_progress();
	{
		struct kubo_opts to;
		kubo_opts_for_timeout(&to, 2000);
		ok(to.connect_timeout_ms == 2000 && to.timeout_ms == 4000 && to.low_speed_s == 2 &&
		        to.retries == 3,
		    "kubo_opts_for_timeout scales a 2 s --timeout");
		kubo_opts_for_timeout(&to, 60000);
		ok(to.connect_timeout_ms == 5000 && to.low_speed_s == 60, "connect capped at 5 s");
	}
	return done_testing();
}
