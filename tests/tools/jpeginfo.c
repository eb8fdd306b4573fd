/* jpeginfo: what the capture tests check in a JPEG, as one JSON line:
 * {"width","height","datetime_original"} (null when there is no EXIF
 * DateTimeOriginal). Exits 65 when the file is not a decodable JPEG: the
 * whole image is decoded (at 1/8) to catch truncation. */
#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include "base/atomicio.h"
#include "capture/exifdate.h"
#include "capture/jpegio.h"

int
main(int argc, char **argv)
{
	struct werr e = { 0 };
	char *buf, dt[64];
	uint8_t *t;
	size_t n, tl;
	int w, h, tw, th;

	if (argc != 2)
		errx(64, "usage: jpeginfo FILE");
	if (read_file(argv[1], &buf, &n, &e) < 0)
		errx(e.code, "%s", e.msg);
	if (jpeg_info((uint8_t *)buf, n, &w, &h, &e) < 0 ||
	    jpeg_thumbnail((uint8_t *)buf, n, 64, 50, &t, &tl, &tw, &th, &e) < 0)
		errx(65, "%s: %s", argv[1], e.msg);
	free(t);
	if (exif_get_datetime_original((uint8_t *)buf, n, dt, sizeof dt) == 0)
		printf("{\"width\":%d,\"height\":%d,\"datetime_original\":\"%s\"}\n", w, h, dt);
	else
		printf("{\"width\":%d,\"height\":%d,\"datetime_original\":null}\n", w, h);
	free(buf);
	return 0;
}
