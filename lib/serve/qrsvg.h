/* qrsvg: a QR code (libqrencode, level M) as a standalone SVG document. */
#ifndef WANDA_QRSVG_H
#define WANDA_QRSVG_H
#include <stddef.h>
#include "base/werr.h"

/* *out malloc'd (free()), *len its length. */
int qr_svg(const char *text, char **out, size_t *len, struct werr *e);

#endif
