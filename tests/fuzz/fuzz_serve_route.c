/* fuzz_serve_route: libFuzzer target for wanda-serve's request router
 * (route_match), its Range parser and its SSE framing, all pure. The first
 * byte picks the method, the rest is the raw request target. Checks: a
 * routed request's argument passed its validator and never holds '/' or a
 * control byte, nor is "." or ".." (capture ids hold no ".." at all); a Range answer lies inside the body; an SSE
 * frame holds exactly one blank line, at its end. A failed check aborts. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "serve/route.h"
#include "serve/sse.h"

static void
check_route(const char *method, const char *target)
{
	struct route r;

	if (route_match(method, target, &r) != 0) {
		if (r.status < 400 || r.status > 499 || r.id != R_NONE || !r.error)
			abort();
		return;
	}
	if (r.id <= R_NONE || r.id >= R_COUNT)
		abort();
	/* "a..b" is a valid session name and a harmless file name; "." and ".." are not */
	if (strchr(r.arg, '/') || !strcmp(r.arg, ".") || !strcmp(r.arg, "..") || strchr(r.session, '/') ||
	    !strcmp(r.session, "..") || !strcmp(r.session, "."))
		abort();
	if ((r.id == R_CAPTURE || r.id == R_CAPTURE_IMAGE || r.id == R_CAPTURE_THUMB) && strstr(r.arg, ".."))
		abort();
	for (const char *p = r.arg; *p; p++)
		if ((unsigned char)*p < 0x20)
			abort();
	if (r.limit < 1 || r.limit > 500)
		abort();
	if (route_mutating(r.id) && strcmp(method, "POST") && strcmp(method, "DELETE"))
		abort();
}

static void
check_range(const char *h, uint64_t size)
{
	uint64_t off = 0, len = 0;
	int rc = route_parse_range(h, size, &off, &len);

	if (rc == 1 && (len == 0 || off >= size || len > size - off))
		abort();
}

static void
check_sse(const char *line, size_t n)
{
	char out[SSE_LINE_MAX + 256];
	int w = sse_format_line(line, n, 12345, out, sizeof out);

	if (w > 0) {
		char *blank = strstr(out, "\n\n");
		if (!blank || blank + 2 != out + w || memchr(out, '\r', (size_t)w))
			abort();
	}
}

/* libFuzzer calls it; no header declares it */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const methods[] = { "GET", "HEAD", "POST", "DELETE", "PUT", "OPTIONS" };
	char *s;

	if (size == 0)
		return 0;
	if (!(s = malloc(size)))
		return 0;
	memcpy(s, data + 1, size - 1);
	s[size - 1] = '\0';
	check_route(methods[data[0] % 6], s);
	check_range(s, data[0] * 1000ull);
	check_sse(s, strlen(s));
	free(s);
	return 0;
}
