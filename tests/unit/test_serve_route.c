/* test_serve_route: wanda-serve's router, Range parser, listen address
 * parser and SSE framing (all pure). */
#include <string.h>
#include "tap.h"
#include "serve/route.h"
#include "serve/serve.h"
#include "serve/sse.h"

#define CID "bafkreifemsm6odqedobexv7gb2kegrvd7grgn5y6kuoi2wkdctjuh5euny"
#define ID "20261124T061418.123Z-node-0001"

static int
routed(const char *m, const char *t, enum route_id want, const char *arg)
{
	struct route r;

	return route_match(m, t, &r) == 0 && r.id == want && (!arg || strcmp(r.arg, arg) == 0);
}

static int
refused(const char *m, const char *t, int status)
{
	struct route r;

	return route_match(m, t, &r) == status && r.id == R_NONE && r.error;
}

static void
routes(void)
{
	struct route r;

	ok(routed("GET", "/", R_PAGE, NULL), "/ is the page");
	ok(routed("GET", "/api/captures/" ID, R_CAPTURE, ID), "capture by id");
	ok(routed("GET", "/api/captures/" ID "/thumb", R_CAPTURE_THUMB, ID), "thumb by id");
	ok(routed("GET", "/api/ipfs/" CID, R_IPFS_CAT, CID), "content by CID");
	ok(routed("GET", "/api/ipfs/status", R_IPFS_STATUS, NULL), "status is not a CID");
	ok(routed("POST", "/api/ipfs/pin", R_PIN_ADD, NULL), "POST pin");
	ok(routed("DELETE", "/api/ipfs/pin/" CID, R_PIN_RM, CID), "DELETE pin");
	ok(routed("GET", "/api/sessions/night-1", R_SESSION, "night-1"), "session by name");
	ok(routed("GET", "/api/events/", R_EVENTS, NULL), "one trailing slash");
	ok(route_mutating(R_PIN_ADD) && route_mutating(R_PIN_RM) && !route_mutating(R_PIN_STATUS),
	    "only pin and unpin need the token");
	ok(route_needs_daemon(R_IPFS_CAT) && !route_needs_daemon(R_CAPTURES), "daemon routes");
	ok(refused("GET", "/api/captures/..%2fx", 400), "encoded slash refused");
	ok(refused("GET", "/api/captures/%2e%2e/image", 400), "encoded .. refused");
	ok(refused("GET", "/api/captures/a%00/image", 400), "encoded NUL refused");
	ok(refused("GET", "/api/captures/a%0a/image", 400), "encoded newline refused");
	ok(refused("GET", "/api/captures/%4", 400), "short escape refused");
	ok(refused("GET", "/api/ipfs/QmNotACid", 400), "bad CID refused");
	ok(refused("GET", "/api/sessions/.hidden", 400), "session names start with a letter or digit");
	ok(refused("GET", "/api//captures", 404), "empty segment");
	ok(refused("PUT", "/api/ipfs/pin", 405), "PUT pin");
	ok(refused("POST", "/api/captures", 405), "POST captures");
	ok(refused("GET", "/etc/passwd", 404), "outside /api");
	{
		char big[ROUTE_TARGET_MAX + 10];
		memset(big, 'a', sizeof big - 1);
		big[0] = '/';
		big[sizeof big - 1] = '\0';
		ok(refused("GET", big, 414), "overlong target");
	}
	ok(route_match("GET", "/api/captures?session=s1&limit=7&since=2026-11-24T00:00:00Z&x=%zz", &r) == 400,
	    "a bad escape in any parameter is refused");
	ok(route_match("GET", "/api/captures?session=s1&limit=7&since=2026-11-24T00:00:00Z&x=1", &r) == 0 &&
	        r.limit == 7 && !strcmp(r.session, "s1") && r.since_ms == 1795478400000LL && r.until_ms == -1,
	    "query parameters decoded");
	ok(refused("GET", "/api/captures?limit=501", 400), "limit over 500");
	ok(refused("GET", "/api/qr.svg", 400), "qr.svg needs a cid");
}

static void
ranges(void)
{
	uint64_t off, len;

	ok(route_parse_range("bytes=10-19", 100, &off, &len) == 1 && off == 10 && len == 10, "A-B");
	ok(route_parse_range("bytes=90-", 100, &off, &len) == 1 && off == 90 && len == 10, "A-");
	ok(route_parse_range("bytes=-30", 100, &off, &len) == 1 && off == 70 && len == 30, "-N");
	ok(route_parse_range("bytes=-300", 100, &off, &len) == 1 && off == 0 && len == 100, "-N past the start");
	ok(route_parse_range("bytes=50-500", 100, &off, &len) == 1 && len == 50, "B past the end is clipped");
	is_int(route_parse_range("bytes=100-", 100, &off, &len), -1, "A at the end: 416");
	is_int(route_parse_range("bytes=0-1,5-6", 100, &off, &len), 0, "several ranges: whole body");
	is_int(route_parse_range("bytes=9-3", 100, &off, &len), 0, "B < A ignored");
	is_int(route_parse_range("items=0-1", 100, &off, &len), 0, "other units ignored");
	is_int(route_parse_range("bytes=-0", 100, &off, &len), -1, "-0 unsatisfiable");
}

static void
listen_and_sse(void)
{
	char host[64], out[256];
	unsigned port;
	const char line[] = "{\"event\":\"capture\",\"id\":\"x\"}";

	ok(serve_parse_listen("127.0.0.1:0", host, sizeof host, &port, NULL) == 0 && !strcmp(host, "127.0.0.1") &&
	        port == 0,
	    "ADDR:0");
	ok(serve_parse_listen("[::1]:8088", host, sizeof host, &port, NULL) == 0 && !strcmp(host, "::1") &&
	        port == 8088,
	    "[V6]:PORT");
	ok(serve_parse_listen("127.0.0.1:70000", host, sizeof host, &port, NULL) < 0, "port out of range");
	ok(serve_parse_listen("localhost", host, sizeof host, &port, NULL) < 0, "no port");
	ok(sse_format_line(line, strlen(line), 42, out, sizeof out) > 0 &&
	        !strcmp(out, "id: 42\nevent: capture\ndata: {\"event\":\"capture\",\"id\":\"x\"}\n\n"),
	    "SSE frame");
	is_int(sse_format_line("{\"event\":\"a\nb\"}", 14, 1, out, sizeof out), 0, "a name with a newline is no event");
	is_int(sse_format_line("{\"event\":\"A\"}", 13, 1, out, sizeof out), 0, "names are lower case");
	is_int(sse_format_line("not json", 8, 1, out, sizeof out), 0, "not an object");
	is_int(sse_format_line(line, strlen(line), 1, out, 10), -1, "too small a buffer");
}

int
main(void)
{
	routes();
	ranges();
	listen_and_sse();
	return done_testing();
}
