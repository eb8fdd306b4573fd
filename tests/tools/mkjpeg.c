/* mkjpeg: a real test JPEG without EXIF, as many camera encoders write it.
 *   mkjpeg W H SEED OUT.jpg */
#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "base/atomicio.h"
#include "capture/jpegio.h"

int
main(int argc, char **argv)
{
	struct werr e = { 0 };
	uint8_t *px, *jpg;
	size_t n;
	long w, h;
	unsigned s;

	if (argc != 5 || (w = atol(argv[1])) <= 0 || (h = atol(argv[2])) <= 0)
		errx(64, "usage: mkjpeg W H SEED OUT.jpg");
	s = (unsigned)atol(argv[3]) * 2654435761u + 1;
	if ((px = malloc((size_t)w * (size_t)h * 3)) == NULL)
		err(71, "malloc");
	for (long i = 0; i < w * h * 3; i++) {
		s ^= s << 13;
		s ^= s >> 17;
		s ^= s << 5;
		px[i] = (uint8_t)((i / 3 % w) * 255 / w / 2 + (s & 63));
	}
	size_t ol = strlen(argv[4]);
	if (ol > 4 && strcmp(argv[4] + ol - 4, ".bin") == 0) {
		if (atomic_write(argv[4], px, (size_t)w * (size_t)h * 3, &e) < 0)
			errx(e.code, "%s", e.msg);
		free(px);
		return 0;
	}
	if (jpeg_encode(px, (int)w, (int)h, 3, (size_t)w * 3, 85, &jpg, &n, &e) < 0 ||
	    atomic_write(argv[4], jpg, n, &e) < 0)
		errx(e.code, "%s", e.msg);
	free(px);
	free(jpg);
	return 0;
}
