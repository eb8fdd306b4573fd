/* Unit tests for lib/base/buf: the growable buffer and array growth. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include "tap.h"
#include "base/buf.h"

static void
test_bytes(void)
{
	struct buf b = BUF_INIT;
	struct werr e = { 0 };
	char big[10000];
	size_t n;
	char *p;

	ok(buf_add(&b, "ab", 2, &e) == 0 && b.len == 2 && strcmp(b.p, "ab") == 0, "add");
	ok(buf_addstr(&b, "cd", &e) == 0 && strcmp(b.p, "abcd") == 0, "addstr, NUL kept after");
	ok(buf_printf(&b, &e, "-%d-%s", 42, "x") == 0 && strcmp(b.p, "abcd-42-x") == 0, "printf");
	memset(big, 'z', sizeof big);
	ok(buf_add(&b, big, sizeof big, &e) == 0 && b.len == 9 + sizeof big && b.cap > b.len &&
	        b.p[b.len] == '\0',
	    "grows past its capacity, NUL-ended");
	ok(buf_add(&b, "", 0, &e) == 0 && b.len == 9 + sizeof big, "adding nothing");
	buf_reset(&b);
	ok(b.len == 0 && b.p[0] == '\0' && b.cap > 0, "reset keeps the memory");
	ok(buf_grow(&b, SIZE_MAX - 1, &e) < 0 && e.code == EX_OSERR, "an impossible size: %s", e.msg);
	ok(b.len == 0 && b.p != NULL, "unchanged after a failure");
	buf_addstr(&b, "kept", NULL);
	p = buf_detach(&b, &n);
	ok(strcmp(p, "kept") == 0 && n == 4 && b.p == NULL && b.len == 0 && b.cap == 0, "detach");
	free(p);
	p = buf_detach(&b, &n);
	ok(p != NULL && p[0] == '\0' && n == 0, "detach of an empty buffer gives \"\"");
	free(p);
	buf_free(&b);
	buf_free(&b);
	ok(b.p == NULL, "free twice is harmless");
}

static void
test_array(void)
{
	struct werr e = { 0 };
	int *v = NULL;
	size_t cap = 0;

	ok(buf_grow_array(&v, &cap, 1, sizeof *v, 8, &e) == 0 && cap == 8, "first growth to min");
	ok(buf_grow_array(&v, &cap, 8, sizeof *v, 8, &e) == 0 && cap == 8, "enough: unchanged");
	ok(buf_grow_array(&v, &cap, 9, sizeof *v, 8, &e) == 0 && cap == 16, "doubles");
	ok(buf_grow_array(&v, &cap, 100, sizeof *v, 8, &e) == 0 && cap == 128, "doubles until it fits");
	v[99] = 7;
	ok(buf_grow_array(&v, &cap, SIZE_MAX / 2, sizeof *v, 8, &e) < 0 && e.code == EX_OSERR && cap == 128 &&
	        v[99] == 7,
	    "overflow refused, array unchanged: %s", e.msg);
	free(v);
}

static void
test_text(void)
{
	char s[8];

	ok(text_fmt(s, sizeof s, "%s-%d", "ab", 7) == 0 && strcmp(s, "ab-7") == 0, "text that fits");
	ok(text_fmt(s, sizeof s, "%s", "abcdefghij") == 1 && strcmp(s, "abcd...") == 0,
	    "a longer text is cut visibly: %s", s);
	ok(text_fmt(s, 2, "%s", "abc") == 1 && strcmp(s, "a") == 0, "a tiny buffer is still a string");
}

int
main(void)
{
	test_bytes();
	test_text();
	test_array();
	return done_testing();
}
