/* jpegdc: the DC-only 1/8 decode against libjpeg's own decoding of the
 * same files: DC coefficients bit for bit (jpeg_read_coefficients), the
 * 1/8 picture pixel for pixel (libjpeg at scale 1/8, as jpegio's fallback
 * decodes), and the fallback taken for what the DC path does not do. */
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jpeglib.h>
#include <sysexits.h>
#include "tap.h"
#include "libjpeg_dc.h"
#include "capture/jpegdc.h"
#include "capture/jpegio.h"
#include "capture/starfield.h"

struct enc {
	int comps;  /* 1 grey, 3 YCbCr (or RGB with .rgb) */
	int hs, vs; /* luma sampling (chroma 1x1) */
	int quality;
	int restart; /* MCUs per interval, 0 none */
	int progressive, optimize, rgb;
};

/* A picture with what stresses a decoder: the star field (noise, sharp
 * points, text) plus saturated colour bars and a gradient. */
static uint8_t *
picture(int w, int h, int comps, unsigned seed, int bars)
{
	uint8_t *rgb = malloc((size_t)w * (size_t)h * 3), *px = malloc((size_t)w * (size_t)h * 3);

	starfield_render(rgb, w, h, seed, "DC 12");
	for (int y = 0; y < h; y++)
		for (int x = 0; x < w; x++) {
			uint8_t *s = rgb + ((size_t)y * (size_t)w + (size_t)x) * 3;
			uint8_t *d = px + ((size_t)y * (size_t)w + (size_t)x) * (size_t)comps;
			if (bars && (x / 13 + y / 29 + seed) % 5 == 0) { /* colour bars */
				s[0] = (uint8_t)(x * 7 + seed);
				s[1] = (uint8_t)(255 - y * 3);
				s[2] = (uint8_t)((x ^ y) * 5);
			}
			for (int c = 0; c < comps; c++)
				d[c] = s[c];
			if (comps == 1)
				d[0] = (uint8_t)((s[0] + 2 * s[1] + s[2]) / 4);
		}
	free(rgb);
	return px;
}

static int
encode(const struct enc *o, const uint8_t *px, int w, int h, uint8_t **out, size_t *n)
{
	struct jpeg_compress_struct c;
	struct tjerr je;
	unsigned char *buf = NULL;
	unsigned long len = 0;

	memset(&c, 0, sizeof c);
	c.err = tjerr_init(&je);
	if (setjmp(je.jmp)) {
		jpeg_destroy_compress(&c);
		free(buf);
		return -1;
	}
	jpeg_create_compress(&c);
	jpeg_mem_dest(&c, &buf, &len);
	c.image_width = (JDIMENSION)w;
	c.image_height = (JDIMENSION)h;
	c.input_components = o->comps;
	c.in_color_space = o->comps == 1 ? JCS_GRAYSCALE : JCS_RGB;
	jpeg_set_defaults(&c);
	if (o->rgb)
		jpeg_set_colorspace(&c, JCS_RGB);
	jpeg_set_quality(&c, o->quality, TRUE);
	if (o->comps == 3 && !o->rgb) {
		c.comp_info[0].h_samp_factor = o->hs;
		c.comp_info[0].v_samp_factor = o->vs;
	}
	c.restart_interval = (unsigned)o->restart;
	c.optimize_coding = o->optimize ? TRUE : FALSE;
	if (o->progressive)
		jpeg_simple_progression(&c);
	jpeg_start_compress(&c, TRUE);
	while (c.next_scanline < c.image_height) {
		JSAMPROW row = (JSAMPROW)(px + (size_t)c.next_scanline * (size_t)w * (size_t)o->comps);
		jpeg_write_scanlines(&c, &row, 1);
	}
	jpeg_finish_compress(&c);
	jpeg_destroy_compress(&c);
	*out = buf;
	*n = len;
	return 0;
}

/* libjpeg at 1/8, set up as jpegio's fallback path is. */
static uint8_t *
libjpeg_eighth(const uint8_t *jpg, size_t n, int *w, int *h, int *comps)
{
	struct jpeg_decompress_struct d;
	struct tjerr je;
	uint8_t *volatile px = NULL;

	memset(&d, 0, sizeof d);
	d.err = tjerr_init(&je);
	if (setjmp(je.jmp)) {
		jpeg_destroy_decompress(&d);
		free(px);
		return NULL;
	}
	jpeg_create_decompress(&d);
	jpeg_mem_src(&d, jpg, (unsigned long)n);
	jpeg_read_header(&d, TRUE);
	d.scale_num = 1;
	d.scale_denom = 8;
	d.dct_method = JDCT_IFAST;
	d.do_fancy_upsampling = FALSE;
	d.do_block_smoothing = FALSE;
	if (d.jpeg_color_space != JCS_GRAYSCALE)
		d.out_color_space = JCS_RGB;
	jpeg_start_decompress(&d);
	*w = (int)d.output_width;
	*h = (int)d.output_height;
	*comps = d.output_components;
	px = malloc((size_t)*w * (size_t)*h * (size_t)*comps);
	while (d.output_scanline < d.output_height) {
		JSAMPROW row = px + (size_t)d.output_scanline * (size_t)*w * (size_t)*comps;
		jpeg_read_scanlines(&d, &row, 1);
	}
	jpeg_finish_decompress(&d);
	jpeg_destroy_decompress(&d);
	return px;
}

static int
max_diff(const uint8_t *a, const uint8_t *b, size_t n, double *mean)
{
	int m = 0;
	double sum = 0;

	for (size_t i = 0; i < n; i++) {
		int d = abs(a[i] - b[i]);
		sum += d;
		if (d > m)
			m = d;
	}
	*mean = n ? sum / (double)n : 0;
	return m;
}

/* One file through both decoders. The DC planes must be libjpeg's. The
 * 1/8 picture must be within 2 of libjpeg's per channel, except in 4:2:0:
 * there libjpeg decodes chroma with a 2x2 IDCT (its 1/8 output has one
 * chroma sample per pixel, where the DC alone gives one per 2x2 pixels),
 * so sharp colour edges differ; on the star field (smooth colour, what a
 * camera sees) the mean difference must stay under 0.5, for pictures of
 * 64x48 and more (a 3x2 picture of text has no meaningful mean). */
static void
check(const struct enc *o, int w, int h)
{
	int is420 = o->comps == 3 && o->hs == 2 && o->vs == 2;
	char name[128];
	struct jpegdc_img im;
	struct werr e = { 0 };
	uint8_t *px = picture(w, h, o->comps, (unsigned)(w * 31 + h), !is420), *jpg, *mine, *ref;
	size_t n;
	int mw, mh, mc, rw, rh, rc;

	snprintf(name, sizeof name, "%dx%d %s%dx%d q%d rst%d%s", w, h, o->comps == 1 ? "grey" : "ycc ",
	    o->hs, o->vs, o->quality, o->restart, o->optimize ? " optimized" : "");
	if (!ok(encode(o, px, w, h, &jpg, &n) == 0, "%s: encodes", name)) {
		free(px);
		return;
	}
	ok(jpegdc_decode(jpg, n, &im, &e) == JPEGDC_OK, "%s: DC path takes it", name);
	is_int(dc_mismatches(jpg, n, &im), 0, "%s: every DC as libjpeg decodes it", name);
	ok(jpegdc_render(&im, &mine, &mw, &mh, &mc, &e) == 0, "%s: renders", name);
	ref = libjpeg_eighth(jpg, n, &rw, &rh, &rc);
	ok(ref != NULL && mw == rw && mh == rh && mc == rc, "%s: 1/8 size %dx%dx%d", name, mw, mh, mc);
	if (ref != NULL && mw == rw && mh == rh && mc == rc) {
		double mean;
		int m = max_diff(mine, ref, (size_t)mw * (size_t)mh * (size_t)mc, &mean);
		if (is420 && w >= 64 && h >= 48)
			ok(mean < 0.5, "%s: mean pixel difference %.3f < 0.5 (max %d)", name, mean, m);
		else if (!is420)
			ok(m <= 2, "%s: max pixel difference %d <= 2", name, m);
	}
	jpegdc_free(&im);
	free(mine);
	free(ref);
	free(jpg);
	free(px);
}

/* What the DC path must leave to libjpeg: it says JPEGDC_OTHER, and
 * jpeg_thumb_decode still gives libjpeg's 1/8 picture. */
static void
fallback(const struct enc *o, const char *what)
{
	struct jpegdc_img im;
	struct werr e = { 0 };
	uint8_t *px = picture(333, 211, o->comps, 7, 1), *jpg, *pix, *ref;
	size_t n;
	int w, h, c, dc = -1, rw, rh, rc;

	if (!ok(encode(o, px, 333, 211, &jpg, &n) == 0, "%s: encodes", what)) {
		free(px);
		return;
	}
	is_int(jpegdc_decode(jpg, n, &im, &e), JPEGDC_OTHER, "%s: not for the DC path", what);
	ok(jpeg_thumb_decode(jpg, n, 41, &pix, &w, &h, &c, &dc, &e) == 0 && dc == 0,
	    "%s: jpeg_thumb_decode falls back to libjpeg", what);
	ref = libjpeg_eighth(jpg, n, &rw, &rh, &rc);
	ok(dc == 0 && ref != NULL && w == rw && h == rh && c == rc &&
	        memcmp(pix, ref, (size_t)w * (size_t)h * (size_t)c) == 0,
	    "%s: libjpeg's own picture", what);
	if (dc == 0)
		free(pix);
	free(ref);
	free(jpg);
	free(px);
}

/* Truncated and corrupted copies: the DC path may only accept a file that
 * still decodes cleanly, and jpeg_thumbnail answers as libjpeg does:
 * a thumbnail, or EX_DATAERR. ASan/UBSan runs make "never crash" count. */
static void
damage(void)
{
	struct enc o = { 3, 2, 2, 85, 4, 0, 0, 0 };
	struct jpegdc_img im;
	struct werr e = { 0 };
	uint8_t *px = picture(200, 120, 3, 3, 1), *jpg, *bad, *t;
	size_t n, tl;
	int took = 0, refused = 0, other = 0, differ = 0, tw, th;

	if (!ok(encode(&o, px, 200, 120, &jpg, &n) == 0, "damage: encodes")) {
		free(px);
		return;
	}
	bad = malloc(n);
	for (size_t cut = 0; cut < n; cut += 1 + cut / 16) {
		int rc = jpegdc_decode(jpg, cut, &im, &e);
		took += rc == JPEGDC_OK;
		if (rc == JPEGDC_OK)
			jpegdc_free(&im);
	}
	is_int(took, 0, "damage: no truncated copy taken by the DC path");
	took = 0;
	for (size_t i = 0; i < n; i += 7) {
		memcpy(bad, jpg, n);
		bad[i] ^= (uint8_t)(1u << (i % 8));
		e.code = 0;
		int rc = jpegdc_decode(bad, n, &im, &e);
		if (rc == JPEGDC_OK) {
			/* what it takes, libjpeg must decode to the same DCs */
			took++;
			differ += dc_mismatches(bad, n, &im) != 0;
			jpegdc_free(&im);
		}
		if (jpeg_thumbnail(bad, n, 16, 80, &t, &tl, &tw, &th, &e) == 0)
			free(t);
		else if (e.code == EX_DATAERR)
			refused++;
		else
			other++;
	}
	printf("# %d flipped copies taken by the DC path, %d refused by libjpeg\n", took, refused);
	is_int(other, 0, "damage: flipped bits give a thumbnail or EX_DATAERR, nothing else");
	is_int(differ, 0, "damage: the copies the DC path takes, libjpeg decodes to the same DCs");
	e.code = 0;
	ok(jpeg_thumbnail((const uint8_t *)"\xff\xd8\xff\xc0garbage", 13, 16, 80, &t, &tl, &tw, &th, &e) < 0 &&
	        e.code == EX_DATAERR,
	    "damage: garbage is EX_DATAERR");
	free(bad);
	free(jpg);
	free(px);
}

int
main(void)
{
	static const int sizes[][2] = { { 1, 1 }, { 17, 9 }, { 9, 17 }, { 64, 48 }, { 333, 211 }, { 250, 131 } };
	static const int samp[][2] = { { 1, 1 }, { 2, 1 }, { 1, 2 }, { 2, 2 } };
	static const int quality[] = { 30, 75, 95, 100 };

	for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++)
		for (int q = 0; q < 4; q++) {
			struct enc g = { 1, 1, 1, quality[q], q == 1 ? 3 : 0, 0, q == 2, 0 };
			check(&g, sizes[s][0], sizes[s][1]);
			for (int f = 0; f < 4; f++) {
				struct enc o = { 3, samp[f][0], samp[f][1], quality[q], (q + f) % 2 ? 2 : 0, 0, q == 2, 0 };
				check(&o, sizes[s][0], sizes[s][1]);
			}
		}

	struct enc prog = { 3, 2, 2, 85, 0, 1, 0, 0 }, rgb = { 3, 1, 1, 85, 0, 0, 0, 1 };
	fallback(&prog, "progressive");
	fallback(&rgb, "RGB (Adobe, no YCbCr)");
	damage();

	/* jpeg_thumbnail takes the DC path only at 1/8 */
	struct enc base = { 3, 2, 2, 85, 0, 0, 0, 0 };
	struct werr e = { 0 };
	uint8_t *px = picture(333, 211, 3, 5, 1), *jpg, *pix;
	size_t n;
	int w, h, c, dc;
	if (encode(&base, px, 333, 211, &jpg, &n) == 0) {
		ok(jpeg_thumb_decode(jpg, n, 41, &pix, &w, &h, &c, &dc, &e) == 0 && dc == 1 && w == 42 && h == 27,
		    "333x211 to fit 41: DC path, %dx%d", w, h);
		free(pix);
		ok(jpeg_thumb_decode(jpg, n, 100, &pix, &w, &h, &c, &dc, &e) == 0 && dc == 0 && w == 167,
		    "333x211 to fit 100: libjpeg at 1/2, %dx%d", w, h);
		free(pix);
		free(jpg);
	}
	free(px);
	return done_testing();
}
