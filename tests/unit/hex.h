/* hex.h: test vectors written as hex (the bytes the JS reference prints). */
#ifndef WANDA_TEST_HEX_H
#define WANDA_TEST_HEX_H
#include <stdint.h>
#include <stdio.h>

/* unhex: the bytes of hex string h into out (room for strlen(h) / 2);
 * returns how many. */
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
#endif
