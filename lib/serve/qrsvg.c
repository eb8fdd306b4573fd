/* qrsvg: see qrsvg.h. One <path> of unit squares, a 4-module quiet zone. */
#include <qrencode.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "serve/qrsvg.h"

int
qr_svg(const char *text, char **out, size_t *len, struct werr *e)
{
	QRcode *q = QRcode_encodeString(text, 0, QR_ECLEVEL_M, QR_MODE_8, 1);
	FILE *f;
	int w;

	if (!q)
		return werr_sys(e, EX_DATAERR, "qr: cannot encode %zu bytes", strlen(text));
	w = q->width;
	if (!(f = open_memstream(out, len))) {
		QRcode_free(q);
		return werr_sys(e, EX_OSERR, "qr: open_memstream");
	}
	fprintf(f, "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %d %d\" "
	           "shape-rendering=\"crispEdges\"><rect width=\"%d\" height=\"%d\" fill=\"#fff\"/>"
	           "<path fill=\"#000\" d=\"",
	    w + 8, w + 8, w + 8, w + 8);
	for (int y = 0; y < w; y++)
		for (int x = 0; x < w; x++)
			if (q->data[y * w + x] & 1)
				fprintf(f, "M%d %dh1v1h-1z", x + 4, y + 4);
	fprintf(f, "\"/></svg>\n");
	QRcode_free(q);
	if (fclose(f) != 0)
		return werr_sys(e, EX_OSERR, "qr: write");
	return 0;
}
