#include "capture/jpegio.h"
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jpeglib.h>
#include "capture/jpegdc.h"
#include "capture/jpegerr.h"

/* The compress body, called only after setjmp so nothing it changes needs
 * to be volatile. */
static void
encode_body(struct jpeg_compress_struct *c, const uint8_t *px, int w, int h, int comps,
    size_t stride, int quality, unsigned char **buf, unsigned long *n)
{
	jpeg_mem_dest(c, buf, n);
	c->image_width = (JDIMENSION)w;
	c->image_height = (JDIMENSION)h;
	c->input_components = comps;
	c->in_color_space = comps == 1 ? JCS_GRAYSCALE : JCS_RGB;
	jpeg_set_defaults(c);
	jpeg_set_quality(c, quality, TRUE);
	c->dct_method = JDCT_ISLOW;
	jpeg_start_compress(c, TRUE);
	while (c->next_scanline < c->image_height) {
		JSAMPROW row = (JSAMPROW)(px + (size_t)c->next_scanline * stride);
		jpeg_write_scanlines(c, &row, 1);
	}
	jpeg_finish_compress(c);
}

int
jpeg_encode(const uint8_t *px, int w, int h, int comps, size_t stride, int quality,
    uint8_t **out, size_t *outlen, struct werr *e)
{
	struct jpeg_compress_struct c;
	struct jerr je;
	unsigned char *buf = NULL;
	unsigned long n = 0;

	if (w <= 0 || h <= 0 || (comps != 1 && comps != 3) || stride < (size_t)w * (size_t)comps)
		return werr_set(e, EX_SOFTWARE, "jpeg: bad image geometry %dx%dx%d", w, h, comps);
	memset(&c, 0, sizeof c);
	jerr_init(&je);
	c.err = &je.pub;
	if (setjmp(je.jmp)) {
		jpeg_destroy_compress(&c);
		free(buf);
		return werr_set(e, EX_SOFTWARE, "jpeg encode: %s", je.msg);
	}
	jpeg_create_compress(&c);
	encode_body(&c, px, w, h, comps, stride, quality, &buf, &n);
	jpeg_destroy_compress(&c);
	*out = buf;
	*outlen = n;
	return 0;
}

struct info_arg {
	const uint8_t *jpg;
	size_t len;
	int *w, *h;
};

static int
info_body(struct jpeg_decompress_struct *d, void *arg, struct werr *e)
{
	struct info_arg *a = arg;

	(void)e;
	jpeg_mem_src(d, a->jpg, (unsigned long)a->len);
	jpeg_read_header(d, TRUE);
	*a->w = (int)d->image_width;
	*a->h = (int)d->image_height;
	return 0;
}

int
jpeg_info(const uint8_t *jpg, size_t len, int *w, int *h, struct werr *e)
{
	struct info_arg a = { jpg, len, w, h };

	return jerr_decompress(info_body, &a, "not a JPEG", e);
}

int
jpeg_complete(const uint8_t *jpg, size_t len)
{
	size_t i = 2;

	if (len < 4 || jpg[0] != 0xFF || jpg[1] != 0xD8)
		return 0;
	/* header segments carry their length; skip them to the first SOS */
	while (i + 4 <= len) {
		uint8_t m = jpg[i + 1];

		if (jpg[i] != 0xFF)
			return 0;
		if (m == 0xFF) {
			i++; /* fill byte */
			continue;
		}
		if (m == 0xD9)
			return 0; /* EOI before any image data */
		i += 2 + ((size_t)jpg[i + 2] << 8 | jpg[i + 3]);
		if (m == 0xDA)
			break; /* past the scan header, at the data */
	}
	for (; i + 1 < len; i++)
		if (jpg[i] == 0xFF && jpg[i + 1] == 0xD9)
			return 1;
	return 0;
}

int
jpeg_thumb_denom(int w, int h, int max_side)
{
	int side = w > h ? w : h;
	int denom = 8;

	/* libjpeg's scaled size is ceil(side / denom) */
	while (denom > 1 && (side + denom - 1) / denom < max_side)
		denom /= 2;
	return denom;
}

void
jpeg_thumb_size(int w, int h, int max_side, int *tw, int *th)
{
	if (w <= max_side && h <= max_side) {
		*tw = w;
		*th = h;
	} else if (w >= h) {
		*tw = max_side;
		*th = (int)(((long long)h * max_side + w / 2) / w);
	} else {
		*th = max_side;
		*tw = (int)(((long long)w * max_side + h / 2) / h);
	}
	if (*tw < 1)
		*tw = 1;
	if (*th < 1)
		*th = 1;
}

/* Source rows or columns [*a, *b) that destination index i covers. */
static inline void
span(int i, int s, int d, int *a, int *b)
{
	*a = (int)((long long)i * s / d);
	*b = (int)((long long)(i + 1) * s / d);
	if (*b <= *a)
		*b = *a + 1;
}

static inline uint8_t
average(unsigned long sum, unsigned long cnt)
{
	if (cnt <= 0xFFFF) /* sum <= 255 * cnt: 32-bit division, faster */
		return (uint8_t)(((uint32_t)sum + (uint32_t)cnt / 2) / (uint32_t)cnt);
	return (uint8_t)((sum + cnt / 2) / cnt);
}

void
resample_area(const uint8_t *src, int sw, int sh, int comps, uint8_t *dst, int dw, int dh)
{
	/* the column spans are the same on every row: computed once (on the
	 * fly, as the rows are, if there is no memory for them) */
	int *xs = malloc(2 * (size_t)dw * sizeof *xs);

	for (int x = 0; xs != NULL && x < dw; x++)
		span(x, sw, dw, &xs[2 * x], &xs[2 * x + 1]);
	for (int y = 0; y < dh; y++) {
		int y0, y1;
		span(y, sh, dh, &y0, &y1);
		for (int x = 0; x < dw; x++) {
			int x0, x1;
			if (xs != NULL) {
				x0 = xs[2 * x];
				x1 = xs[2 * x + 1];
			} else
				span(x, sw, dw, &x0, &x1);
			unsigned long cnt = (unsigned long)(y1 - y0) * (unsigned long)(x1 - x0);
			for (int c = 0; c < comps; c++) {
				unsigned long sum = 0;
				for (int yy = y0; yy < y1; yy++) {
					const uint8_t *row = src + ((size_t)yy * (size_t)sw + (size_t)x0) * (size_t)comps + (size_t)c;
					for (int xx = x0; xx < x1; xx++, row += comps)
						sum += *row;
				}
				dst[((size_t)y * (size_t)dw + (size_t)x) * (size_t)comps + (size_t)c] = average(sum, cnt);
			}
		}
	}
	free(xs);
}

struct scaled_arg {
	const uint8_t *jpg;
	size_t len;
	int max_side;
	int *sw, *sh, *comps;
	uint8_t **pix;
};

/* Decode at 1/denom into a malloc'd buffer (see jerr_decompress). */
static int
scaled_body(struct jpeg_decompress_struct *d, void *arg, struct werr *e)
{
	struct scaled_arg *a = arg;
	size_t rowlen;

	d->mem->max_memory_to_use = JPEG_MEM_MAX;
	jpeg_mem_src(d, a->jpg, (unsigned long)a->len);
	jpeg_read_header(d, TRUE);
	d->scale_num = 1;
	d->scale_denom = (unsigned)jpeg_thumb_denom((int)d->image_width, (int)d->image_height, a->max_side);
	d->dct_method = JDCT_IFAST;
	d->do_fancy_upsampling = FALSE;
	d->do_block_smoothing = FALSE;
	if (d->jpeg_color_space != JCS_GRAYSCALE)
		d->out_color_space = JCS_RGB;
	jpeg_start_decompress(d);
	*a->sw = (int)d->output_width;
	*a->sh = (int)d->output_height;
	*a->comps = d->output_components;
	rowlen = (size_t)*a->sw * (size_t)*a->comps;
	if ((*a->pix = malloc(rowlen * (size_t)*a->sh)) == NULL)
		return werr_set(e, EX_OSERR, "thumbnail: out of memory");
	while (d->output_scanline < d->output_height) {
		JSAMPROW row = *a->pix + (size_t)d->output_scanline * rowlen;
		jpeg_read_scanlines(d, &row, 1);
	}
	jpeg_finish_decompress(d);
	return 0;
}

static int
decode_scaled(const uint8_t *jpg, size_t len, int max_side, uint8_t **pix, int *sw, int *sh,
    int *comps, struct werr *e)
{
	struct scaled_arg a = { jpg, len, max_side, sw, sh, comps, pix };

	*pix = NULL;
	if (jerr_decompress(scaled_body, &a, "thumbnail", e) < 0) {
		free(*pix);
		*pix = NULL;
		return -1;
	}
	return 0;
}

int
jpeg_thumb_decode(const uint8_t *jpg, size_t len, int max_side, uint8_t **pix, int *sw, int *sh,
    int *comps, int *dc, struct werr *e)
{
	int w, h, rc;

	*dc = 0;
	/* a header libjpeg refuses gets its error from decode_scaled */
	if (jpeg_info(jpg, len, &w, &h, NULL) == 0 && jpeg_thumb_denom(w, h, max_side) == 8) {
		if ((rc = jpegdc_scaled(jpg, len, pix, sw, sh, comps, e)) < 0)
			return -1;
		if (rc == JPEGDC_OK) {
			*dc = 1;
			return 0;
		}
	}
	return decode_scaled(jpg, len, max_side, pix, sw, sh, comps, e);
}

int
jpeg_thumbnail(const uint8_t *jpg, size_t len, int max_side, int quality,
    uint8_t **out, size_t *outlen, int *tw, int *th, struct werr *e)
{
	uint8_t *pix, *small;
	int sw, sh, comps, dc, rc;

	if (max_side < 1)
		return werr_set(e, EX_USAGE, "thumbnail: bad size %d", max_side);
	if (jpeg_thumb_decode(jpg, len, max_side, &pix, &sw, &sh, &comps, &dc, e) < 0)
		return -1;
	jpeg_thumb_size(sw, sh, max_side, tw, th);
	if (*tw == sw && *th == sh) {
		rc = jpeg_encode(pix, sw, sh, comps, (size_t)sw * (size_t)comps, quality, out, outlen, e);
		free(pix);
		return rc;
	}
	small = malloc((size_t)*tw * (size_t)*th * (size_t)comps);
	if (small == NULL) {
		free(pix);
		return werr_set(e, EX_OSERR, "thumbnail: out of memory");
	}
	resample_area(pix, sw, sh, comps, small, *tw, *th);
	free(pix);
	rc = jpeg_encode(small, *tw, *th, comps, (size_t)*tw * (size_t)comps, quality, out, outlen, e);
	free(small);
	return rc;
}
