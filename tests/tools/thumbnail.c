/* thumbnail: WANDA's thumbnail path, for bench/thumbnail and tests: read,
 * decode at 1/8..1/1 (DC coefficients only at 1/8 when lib/jpegdc takes
 * the file, libjpeg's DCT scaling otherwise), area-average, encode, write.
 *   thumbnail SIZE IN.jpg OUT.jpg          one picture
 *   thumbnail SIZE -d OUTDIR IN.jpg...     many in one process (as
 *                                          wanda-capture does: no start-up cost) */
#include <err.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "base/atomicio.h"
#include "capture/jpegio.h"

static void
one(int size, const char *in, const char *out)
{
	struct werr e = { 0 };
	char *buf;
	uint8_t *t;
	size_t n, tl;
	int tw, th;
	FILE *f;

	if (read_file(in, &buf, &n, &e) < 0 ||
	    jpeg_thumbnail((uint8_t *)buf, n, size, 80, &t, &tl, &tw, &th, &e) < 0)
		errx(e.code, "%s", e.msg);
	/* a plain write, as convert does: the capture path adds fsync, which
	 * measures the card, not the thumbnailer */
	if ((f = fopen(out, "wb")) == NULL || fwrite(t, 1, tl, f) != tl || fclose(f) != 0)
		err(74, "%s", out);
	free(buf);
	free(t);
}

int
main(int argc, char **argv)
{
	char out[4096], tmp[4096];

	if (argc >= 4 && strcmp(argv[2], "-d") == 0) {
		for (int i = 4; i < argc; i++) {
			snprintf(tmp, sizeof tmp, "%s", argv[i]);
			snprintf(out, sizeof out, "%s/%s", argv[3], basename(tmp));
			one(atoi(argv[1]), argv[i], out);
		}
		return 0;
	}
	if (argc != 4)
		errx(64, "usage: thumbnail SIZE IN.jpg OUT.jpg | thumbnail SIZE -d OUTDIR IN.jpg...");
	one(atoi(argv[1]), argv[2], argv[3]);
	return 0;
}
