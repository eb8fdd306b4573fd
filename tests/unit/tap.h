/* tap.h: a tiny TAP producer for the C unit tests (tests/unit/test_*.c).
 * Each test binary prints "ok N - name" / "not ok N - name" and a plan at
 * the end; tests/run counts the lines. Exit status: 0 when all passed. */
#ifndef WANDA_TAP_H
#define WANDA_TAP_H
#include <stdio.h>
#include <stdarg.h>
#include <string.h>

static int tap_n, tap_failed;

#define ok(cond, ...) tap_ok(!!(cond), __FILE__, __LINE__, __VA_ARGS__)
#define is_int(got, want, ...) \
	do { \
		long long g_ = (long long)(got), w_ = (long long)(want); \
		if (!tap_ok(g_ == w_, __FILE__, __LINE__, __VA_ARGS__)) \
			printf("#   got %lld, want %lld\n", g_, w_); \
	} while (0)
#define is_str(got, want, ...) \
	do { \
		const char *g_ = (got), *w_ = (want); \
		if (!tap_ok(g_ != NULL && w_ != NULL && strcmp(g_, w_) == 0, __FILE__, __LINE__, __VA_ARGS__)) \
			printf("#   got '%s'\n#  want '%s'\n", g_ ? g_ : "(null)", w_ ? w_ : "(null)"); \
	} while (0)

__attribute__((format(printf, 4, 5))) static int
tap_ok(int pass, const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	printf("%sok %d - ", pass ? "" : "not ", ++tap_n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	if (!pass) {
		tap_failed++;
		printf("#   at %s:%d\n", file, line);
	}
	fflush(stdout);
	return pass;
}

static int
done_testing(void)
{
	printf("1..%d\n", tap_n);
	return tap_failed ? 1 : 0;
}
#endif
