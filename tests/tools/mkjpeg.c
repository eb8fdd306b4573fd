/* mkjpeg: a real test JPEG without EXIF, as many camera encoders write it.
 *   mkjpeg W H SEED OUT.jpg [cmyk|progressive]
 * cmyk: four components (Adobe CMYK, as print workflows write it);
 * progressive: a progressive JPEG (libjpeg keeps its whole coefficient
 * array in memory to decode one). */
#include <err.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jpeglib.h>
#include "base/atomicio.h"
#include "capture/jpegio.h"

/* libjpeg directly, for what jpeg_encode does not write; its default
 * error manager exits, which a test tool may */
static void
encode_mode(const uint8_t *rgb, long w, long h, const char *mode, uint8_t **jpg, size_t *n)
{
	struct jpeg_compress_struct c;
	struct jpeg_error_mgr jerr;
	unsigned char *buf = NULL;
	unsigned long len = 0;
	int cmyk = strcmp(mode, "cmyk") == 0, comps = cmyk ? 4 : 3;
	uint8_t *row;

	if (!cmyk && strcmp(mode, "progressive") != 0)
		errx(64, "mkjpeg: unknown mode %s", mode);
	if ((row = malloc((size_t)w * 4)) == NULL)
		err(71, "malloc");
	c.err = jpeg_std_error(&jerr);
	jpeg_create_compress(&c);
	jpeg_mem_dest(&c, &buf, &len);
	c.image_width = (JDIMENSION)w;
	c.image_height = (JDIMENSION)h;
	c.input_components = comps;
	c.in_color_space = cmyk ? JCS_CMYK : JCS_RGB;
	jpeg_set_defaults(&c);
	jpeg_set_quality(&c, 85, TRUE);
	if (!cmyk)
		jpeg_simple_progression(&c);
	jpeg_start_compress(&c, TRUE);
	while (c.next_scanline < c.image_height) {
		const uint8_t *p = rgb + (size_t)c.next_scanline * (size_t)w * 3;
		for (long x = 0; x < w; x++) {
			if (cmyk) {
				row[4 * x] = (uint8_t)(255 - p[3 * x]);
				row[4 * x + 1] = (uint8_t)(255 - p[3 * x + 1]);
				row[4 * x + 2] = (uint8_t)(255 - p[3 * x + 2]);
				row[4 * x + 3] = 0;
			} else
				memcpy(row + 3 * x, p + 3 * x, 3);
		}
		JSAMPROW r = row;
		jpeg_write_scanlines(&c, &r, 1);
	}
	jpeg_finish_compress(&c);
	jpeg_destroy_compress(&c);
	free(row);
	*jpg = buf;
	*n = len;
}

int
main(int argc, char **argv)
{
	struct werr e = { 0 };
	uint8_t *px, *jpg;
	size_t n;
	long w, h;
	unsigned s;

	if ((argc != 5 && argc != 6) || (w = atol(argv[1])) <= 0 || (h = atol(argv[2])) <= 0)
		errx(64, "usage: mkjpeg W H SEED OUT.jpg [cmyk|progressive]");
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
	if (argc == 6)
		encode_mode(px, w, h, argv[5], &jpg, &n);
	else if (jpeg_encode(px, (int)w, (int)h, 3, (size_t)w * 3, 85, &jpg, &n, &e) < 0)
		errx(e.code, "%s", e.msg);
	if (atomic_write(argv[4], jpg, n, &e) < 0)
		errx(e.code, "%s", e.msg);
	free(px);
	free(jpg);
	return 0;
}
