/* jpegdc: the 1/8-scale image of a baseline JPEG from its DC coefficients
 * alone. A 1/8 decode only needs each 8x8 block's average, which is the
 * DC coefficient; libjpeg still decodes every AC symbol, clears every block
 * and runs an IDCT per block to get it. This module walks the entropy-coded
 * data itself and skips AC symbols several at a time through a lookup table.
 *
 * It takes only the common case: baseline/extended sequential (SOF0/SOF1),
 * 8-bit, Huffman, one interleaved scan, grey or YCbCr, integer sampling
 * ratios, with or without restart markers, clean to the last bit. For
 * anything else it answers "not for me" (JPEGDC_OTHER) and the caller uses
 * libjpeg, which then gives its own result or error: this path never turns
 * an input libjpeg refuses into a picture, nor the other way round. The
 * headers are read by libjpeg's own marker reader (jpeg_read_header), so
 * both paths see the same tables and refuse the same headers. */
#ifndef WANDA_JPEGDC_H
#define WANDA_JPEGDC_H
#include <stddef.h>
#include <stdint.h>
#include "base/werr.h"

enum { JPEGDC_OK = 0,
	JPEGDC_OTHER = 1 };

/* The decoded DC planes: one int16 per block (the quantized DC, predictor
 * added), bw x bh blocks, padded to whole MCUs like the stream. */
struct jpegdc_img {
	int w, h;         /* image size in pixels */
	int ncomp;        /* 1 (grey) or 3 (YCbCr) */
	int hmax, vmax;   /* largest sampling factors */
	int hs[3], vs[3]; /* sampling factors per component */
	int bw[3], bh[3]; /* plane size in blocks */
	int q0[3];        /* DC quantizer per component */
	int16_t *dc[3];
};

/* Decode the DC planes. 0 (JPEGDC_OK) with *img filled (free with
 * jpegdc_free), JPEGDC_OTHER when the input is not one this path takes (or
 * not clean: corrupt, truncated), -1 on allocation failure (EX_OSERR). */
int jpegdc_decode(const uint8_t *jpg, size_t len, struct jpegdc_img *img, struct werr *e);
void jpegdc_free(struct jpegdc_img *img);

/* The 1/8-scale picture, ceil(w/8) x ceil(h/8), interleaved RGB (comps 3)
 * or grey (1), as libjpeg's 1x1 IDCT and JFIF YCbCr->RGB make it; chroma
 * blocks cover hmax/hs x vmax/vs pixels. *pix is malloc'd. */
int jpegdc_render(const struct jpegdc_img *img, uint8_t **pix, int *w, int *h, int *comps,
    struct werr *e);

/* Both steps: JPEGDC_OK, JPEGDC_OTHER or -1 as jpegdc_decode. */
int jpegdc_scaled(const uint8_t *jpg, size_t len, uint8_t **pix, int *w, int *h, int *comps,
    struct werr *e);

#endif
