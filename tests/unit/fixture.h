/* fixture.h: small fixtures the C unit tests share (each test is its own
 * program: static inline, so a test that does not use one is not warned). */
#ifndef WANDA_TEST_FIXTURE_H
#define WANDA_TEST_FIXTURE_H
#include <stdint.h>
#include <stdio.h>

/* unhex: test vectors written as hex (the bytes the JS reference prints)
 * into out (room for strlen(h) / 2); returns how many bytes. */
static inline size_t
unhex(const char *h, uint8_t *out)
{
	size_t n = 0;

	for (; h[0] && h[1]; h += 2) {
		unsigned v;
		sscanf(h, "%2x", &v);
		out[n++] = (uint8_t)v;
	}
	return n;
}

/* write_text: path holds exactly text. */
static inline void
write_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	fputs(text, f);
	fclose(f);
}
#endif
