#include "capture/jpegdc.h"
#include <endian.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jpeglib.h>
#include "capture/jpegerr.h"

/* Bits looked up at once: each table is 2 << LOOKBITS bytes. Decoding
 * 12 MP camera-like pictures, 10 to 15 bits took 16.8, 15.2, 14.6, 14.1,
 * 14.0, 14.1 ms per picture: 13 is where bigger stops paying. */
#ifndef LOOKBITS
#define LOOKBITS 13
#endif
#define LOOKMASK ((1u << LOOKBITS) - 1)

/* pack[] entry: bits consumed (5 bits), coefficients advanced (6 bits),
 * whether it ends in EOB; 0 when no whole symbol fits in LOOKBITS. */
#define PK_BITS(x) ((x)&31u)
#define PK_ADV(x) (((x) >> 5) & 63u)
#define PK_EOB(x) (((x) >> 11) & 1u)

struct huff {
	uint16_t look[1u << LOOKBITS]; /* one symbol: len << 8 | symbol; 0 = longer code */
	uint16_t pack[1u << LOOKBITS]; /* AC tables: whole symbols with their extra bits */
	int32_t maxcode[17];           /* largest code of each length, -1 if none */
	int32_t valoff[17];            /* symbol index minus code, per length */
	uint8_t val[256];
};

struct scan {
	const uint8_t *data, *end; /* entropy-coded data; end of the file */
	int ncomp, restart, mcux, mcuy;
	int comp[3];                /* frame component of each scan component */
	int dctbl[3], actbl[3];     /* Huffman table numbers, in scan order */
	struct huff *dc[4], *ac[4]; /* built for the tables in use only */
};

/* MSB-first bit buffer: `cnt` valid bits at the top of `buf`, zeros below.
 * At a marker or the end of the data, zero bytes are fed instead and
 * counted in `virt`; consuming any of them means the data was short. */
struct bits {
	uint64_t buf;
	int cnt, virt;
	const uint8_t *p, *end;
};

/* Mirrors jpeg_make_d_derived_tbl's checks, so a table libjpeg would
 * refuse is refused here too (the caller then lets libjpeg say so). */
static int
huff_build(struct huff *h, const JHUFF_TBL *t, int isdc)
{
	int32_t code = 0;
	int n = 0, last = 0;

	for (int l = 1; l <= 16; l++)
		if (t->bits[l] > 0)
			last = l;
	memset(h->look, 0, sizeof h->look);
	for (int l = 1; l <= 16; l++) {
		int cnt = t->bits[l];
		if (n + cnt > 256)
			return -1;
		if (l <= last && code + cnt >= (int32_t)1 << l)
			return -1; /* over-subscribed, or an all-ones code */
		h->valoff[l] = n - code;
		h->maxcode[l] = cnt ? code + cnt - 1 : -1;
		for (int i = 0; i < cnt; i++, code++, n++) {
			h->val[n] = t->huffval[n];
			if (isdc && h->val[n] > 15)
				return -1;
			if (l <= LOOKBITS) {
				uint32_t lo = (uint32_t)code << (LOOKBITS - l);
				for (uint32_t j = 0; j < 1u << (LOOKBITS - l); j++)
					h->look[lo + j] = (uint16_t)(l << 8 | h->val[n]);
			}
		}
		code <<= 1;
	}
	return 0;
}

/* For every LOOKBITS-bit window, the run of whole AC symbols (code plus
 * magnitude bits) it starts with, up to and including an EOB, as long as
 * they advance at most 63 coefficients. */
static void
pack_build(struct huff *h)
{
	for (uint32_t x = 0; x <= LOOKMASK; x++) {
		unsigned nb = 0, adv = 0, eob = 0;
		for (;;) {
			unsigned e = h->look[(x << nb) & LOOKMASK];
			unsigned len = e >> 8, rs = e & 255, r = rs >> 4, s = rs & 15, a;
			if (e == 0 || nb + len + s > LOOKBITS)
				break;
			if (s == 0 && r != 15) {
				nb += len;
				eob = 1;
				break;
			}
			a = s == 0 ? 16 : r + 1;
			if (adv + a > 63)
				break;
			nb += len + s;
			adv += a;
		}
		h->pack[x] = (uint16_t)(nb | adv << 5 | eob << 11);
	}
}

/* Byte by byte. Takes and returns the state by value, so that the hot
 * loop's copy never has its address taken and stays in registers. */
static struct bits
refill_slow(struct bits b)
{
	while (b.cnt <= 56) {
		unsigned v = 0;
		if (b.p < b.end && b.p[0] != 0xFF)
			v = *b.p++;
		else if (b.end - b.p >= 2 && b.p[1] == 0x00) {
			v = 0xFF; /* stuffed byte */
			b.p += 2;
		} else
			b.virt++; /* a marker or the end: zeros */
		b.buf |= (uint64_t)v << (56 - b.cnt);
		b.cnt += 8;
	}
	return b;
}

/* Whole bytes at once while the next 8 hold no 0xFF (no stuffing, no
 * marker): the usual case. Leaves at least 56 bits. */
static inline void
refill(struct bits *b)
{
	if (b->end - b->p >= 8) {
		uint64_t v, x;
		memcpy(&v, b->p, 8);
		v = be64toh(v);
		x = ~v;
		if (((x - 0x0101010101010101ull) & ~x & 0x8080808080808080ull) == 0) {
			b->buf |= v >> b->cnt;
			b->p += (63 - b->cnt) >> 3;
			b->cnt |= 56;
			b->buf &= ~(~(uint64_t)0 >> b->cnt);
			return;
		}
	}
	*b = refill_slow(*b);
}

static inline void
skip(struct bits *b, unsigned n)
{
	b->buf <<= n;
	b->cnt -= (int)n;
}

/* One symbol; needs 16 bits in the buffer. -1 for a code not in the table. */
static inline int
decode_sym(struct bits *b, const struct huff *h)
{
	unsigned e = h->look[b->buf >> (64 - LOOKBITS)];
	int l;
	int32_t code;

	if (e != 0) {
		skip(b, e >> 8);
		return (int)(e & 255);
	}
	for (l = LOOKBITS + 1; l <= 16; l++) {
		code = (int32_t)(b->buf >> (64 - l));
		if (code <= h->maxcode[l]) {
			skip(b, (unsigned)l);
			return h->val[h->valoff[l] + code];
		}
	}
	return -1;
}

/* Skip the AC coefficients of one block. 0, or -1 on a bad code. */
static inline int
skip_ac(struct bits *b, const struct huff *h)
{
	unsigned k = 1;

	while (k < 64) {
		if (b->cnt < 32)
			refill(b);
		unsigned pe = h->pack[b->buf >> (64 - LOOKBITS)];
		/* a packed run may not cross the block's end: with an EOB it
		 * must stop short of 64, without one it may reach it */
		if (pe != 0 && k + PK_ADV(pe) + PK_EOB(pe) <= 64) {
			skip(b, PK_BITS(pe));
			k += PK_ADV(pe);
			if (PK_EOB(pe))
				return 0;
			continue;
		}
		int rs = decode_sym(b, h);
		if (rs < 0)
			return -1;
		unsigned r = (unsigned)rs >> 4, s = (unsigned)rs & 15;
		if (s == 0 && r != 15)
			return 0;
		skip(b, s);
		k += s == 0 ? 16 : r + 1;
	}
	return k == 64 ? 0 : -1; /* a run past the end is corrupt */
}

/* One block's DC difference into *diff. 0, or -1 on a bad code. */
static inline int
decode_dc(struct bits *b, const struct huff *h, int *diff)
{
	int s;

	if (b->cnt < 32)
		refill(b);
	if ((s = decode_sym(b, h)) < 0)
		return -1;
	if (s == 0) {
		*diff = 0;
		return 0;
	}
	int v = (int)(b->buf >> (64 - s));
	skip(b, (unsigned)s);
	*diff = v < 1 << (s - 1) ? v - (1 << s) + 1 : v; /* F.2.2.1 EXTEND */
	return 0;
}

/* The data must be used up to the last byte before a marker, leaving
 * fewer than 8 padding bits: anything else is corrupt or truncated. */
static inline int
at_marker(const struct bits *b)
{
	int left = b->cnt - 8 * b->virt;

	return left >= 0 && left < 8 && b->end - b->p >= 2 && b->p[0] == 0xFF;
}

/* RSTn between intervals: realign and reset the predictors. */
static inline int
restart(struct bits *b, int *nextrst, int pred[3])
{
	if (!at_marker(b) || b->p[1] != 0xD0 + *nextrst)
		return -1;
	*nextrst = (*nextrst + 1) & 7;
	b->p += 2;
	b->buf = 0;
	b->cnt = b->virt = 0;
	pred[0] = pred[1] = pred[2] = 0;
	return 0;
}

static inline int
decode_mcu(struct bits *b, const struct scan *sc, const struct jpegdc_img *im, int mx, int my,
    int pred[3])
{
	for (int i = 0; i < sc->ncomp; i++) {
		int c = sc->comp[i];
		int hs = sc->ncomp == 1 ? 1 : im->hs[c], vs = sc->ncomp == 1 ? 1 : im->vs[c];
		for (int v = 0; v < vs; v++) {
			int16_t *row = im->dc[c] + (size_t)(my * vs + v) * (size_t)im->bw[c] + (size_t)(mx * hs);
			for (int u = 0; u < hs; u++) {
				int d;
				if (decode_dc(b, sc->dc[sc->dctbl[i]], &d) < 0 ||
				    skip_ac(b, sc->ac[sc->actbl[i]]) < 0)
					return -1;
				/* as libjpeg: the predictor is an int (wrapping, on
				 * garbage), the stored coefficient a short */
				pred[c] = (int)((unsigned)pred[c] + (unsigned)d);
				row[u] = (int16_t)pred[c];
			}
		}
	}
	return 0;
}

/* The whole scan, then EOI (fill bytes allowed). 0, or -1 when not clean. */
static int
decode_scan(const struct scan *sc, const struct jpegdc_img *im)
{
	struct bits b = { 0, 0, 0, sc->data, sc->end };
	int pred[3] = { 0, 0, 0 }, nextrst = 0, togo = sc->restart;

	for (int my = 0; my < sc->mcuy; my++) {
		for (int mx = 0; mx < sc->mcux; mx++) {
			if (sc->restart && togo-- == 0) {
				if (restart(&b, &nextrst, pred) < 0)
					return -1;
				togo = sc->restart - 1;
			}
			if (decode_mcu(&b, sc, im, mx, my, pred) < 0 || b.virt > 8)
				return -1;
		}
	}
	if (!at_marker(&b))
		return -1;
	const uint8_t *p = b.p;
	while (p < b.end && *p == 0xFF)
		p++;
	return p < b.end && *p == 0xD9 ? 0 : -1;
}

/* Frame geometry into *im and sc's block grid. -1 when libjpeg would refuse
 * the sampling (fractional ratios, more than 10 blocks per MCU). */
static int
geometry(const struct jpeg_decompress_struct *d, struct jpegdc_img *im, struct scan *sc)
{
	int blocks = 0;

	im->w = (int)d->image_width;
	im->h = (int)d->image_height;
	im->ncomp = d->num_components;
	im->hmax = d->max_h_samp_factor;
	im->vmax = d->max_v_samp_factor;
	for (int c = 0; c < im->ncomp; c++) {
		const jpeg_component_info *ci = &d->comp_info[c];
		im->hs[c] = ci->h_samp_factor;
		im->vs[c] = ci->v_samp_factor;
		if (im->hmax % im->hs[c] != 0 || im->vmax % im->vs[c] != 0)
			return -1;
		blocks += im->hs[c] * im->vs[c];
	}
	if (im->ncomp == 1) {
		/* non-interleaved: one block per MCU, the component's own size */
		int cw = (im->w * im->hs[0] + im->hmax - 1) / im->hmax;
		int ch = (im->h * im->vs[0] + im->vmax - 1) / im->vmax;
		sc->mcux = im->bw[0] = (cw + 7) / 8;
		sc->mcuy = im->bh[0] = (ch + 7) / 8;
		return 0;
	}
	if (blocks > 10)
		return -1;
	sc->mcux = (im->w + 8 * im->hmax - 1) / (8 * im->hmax);
	sc->mcuy = (im->h + 8 * im->vmax - 1) / (8 * im->vmax);
	for (int c = 0; c < im->ncomp; c++) {
		im->bw[c] = sc->mcux * im->hs[c];
		im->bh[c] = sc->mcuy * im->vs[c];
	}
	return 0;
}

/* Huffman tables of the scan, built once each. -1 if one is missing (libjpeg
 * would substitute its defaults: leave that to it) or bogus. */
static int
tables(const struct jpeg_decompress_struct *d, struct scan *sc, struct huff *store, int *used)
{
	for (int i = 0; i < sc->ncomp; i++) {
		int dn = d->cur_comp_info[i]->dc_tbl_no, an = d->cur_comp_info[i]->ac_tbl_no;
		/* SOS numbers are 4 bits; libjpeg checks them only later */
		if (dn < 0 || dn >= NUM_HUFF_TBLS || an < 0 || an >= NUM_HUFF_TBLS)
			return -1;
		const JHUFF_TBL *dt = d->dc_huff_tbl_ptrs[dn], *at = d->ac_huff_tbl_ptrs[an];
		if (dt == NULL || at == NULL)
			return -1;
		sc->dctbl[i] = dn;
		sc->actbl[i] = an;
		if (sc->dc[dn] == NULL) {
			sc->dc[dn] = &store[(*used)++];
			if (huff_build(sc->dc[dn], dt, 1) < 0)
				return -1;
		}
		if (sc->ac[an] == NULL) {
			sc->ac[an] = &store[(*used)++];
			if (huff_build(sc->ac[an], at, 0) < 0)
				return -1;
			pack_build(sc->ac[an]);
		}
	}
	return 0;
}

struct header_arg {
	const uint8_t *jpg;
	size_t len;
	struct jpegdc_img *im;
	struct scan *sc;
	struct huff *store;
};

/* Everything this path needs from the headers, read by libjpeg (see
 * jerr_decompress). 0, or -1 for a picture this path does not take. */
static int
header_body(struct jpeg_decompress_struct *d, void *arg, struct werr *e)
{
	struct header_arg *a = arg;
	const uint8_t *jpg = a->jpg;
	size_t len = a->len;
	struct jpegdc_img *im = a->im;
	struct scan *sc = a->sc;
	int used = 0;

	(void)e;

	d->mem->max_memory_to_use = JPEG_MEM_MAX;
	jpeg_mem_src(d, jpg, (unsigned long)len);
	if (jpeg_read_header(d, TRUE) != JPEG_HEADER_OK)
		return -1;
	if (d->progressive_mode || d->arith_code || d->data_precision != 8 ||
	    d->Ss != 0 || d->Se != 63 || d->Ah != 0 || d->Al != 0 ||
	    d->comps_in_scan != d->num_components)
		return -1;
	if (!(d->num_components == 1 && d->jpeg_color_space == JCS_GRAYSCALE) &&
	    !(d->num_components == 3 && d->jpeg_color_space == JCS_YCbCr))
		return -1;
	/* the entropy-coded data starts where libjpeg stopped, which must be
	 * inside our buffer (its source feeds a fake EOI past the end) */
	uintptr_t at = (uintptr_t)d->src->next_input_byte, lo = (uintptr_t)jpg;
	if (at < lo || at > lo + len || at + d->src->bytes_in_buffer != lo + len)
		return -1;
	sc->data = jpg + (at - lo);
	sc->end = jpg + len;
	sc->ncomp = d->comps_in_scan;
	sc->restart = (int)d->restart_interval;
	if (geometry(d, im, sc) < 0)
		return -1;
	unsigned seen = 0;
	for (int i = 0; i < sc->ncomp; i++) {
		const jpeg_component_info *ci = d->cur_comp_info[i];
		/* every component once, or some plane would stay unwritten */
		if (ci->component_index < 0 || ci->component_index >= im->ncomp ||
		    seen & 1u << ci->component_index)
			return -1;
		seen |= 1u << ci->component_index;
		if (ci->quant_tbl_no < 0 || ci->quant_tbl_no >= NUM_QUANT_TBLS ||
		    d->quant_tbl_ptrs[ci->quant_tbl_no] == NULL)
			return -1;
		const JQUANT_TBL *q = d->quant_tbl_ptrs[ci->quant_tbl_no];
		sc->comp[i] = ci->component_index;
		/* libjpeg's IDCT multiplier type is a short */
		im->q0[ci->component_index] = (int16_t)q->quantval[0];
	}
	return tables(d, sc, a->store, &used);
}

/* A header libjpeg refuses is a picture this path does not take (-1). */
static int
header(const uint8_t *jpg, size_t len, struct jpegdc_img *im, struct scan *sc, struct huff *store)
{
	struct header_arg a = { jpg, len, im, sc, store };

	return jerr_decompress(header_body, &a, "header", NULL);
}

void
jpegdc_free(struct jpegdc_img *im)
{
	for (int c = 0; c < 3; c++) {
		free(im->dc[c]);
		im->dc[c] = NULL;
	}
}

int
jpegdc_decode(const uint8_t *jpg, size_t len, struct jpegdc_img *im, struct werr *e)
{
	struct scan sc;
	struct huff *store;
	size_t blocks = 0;
	int rc = JPEGDC_OTHER;

	memset(im, 0, sizeof *im);
	memset(&sc, 0, sizeof sc);
	/* at most one DC and one AC table per component */
	if ((store = malloc(6 * sizeof *store)) == NULL)
		return werr_set(e, EX_OSERR, "thumbnail: out of memory");
	if (header(jpg, len, im, &sc, store) < 0)
		goto out;
	for (int c = 0; c < im->ncomp; c++)
		blocks += (size_t)im->bw[c] * (size_t)im->bh[c];
	/* every block codes a DC and an AC symbol, a bit each at least: fewer
	 * bits than that is a truncated file, not worth an allocation */
	if ((size_t)(sc.end - sc.data) * 8 < 2 * blocks)
		goto out;
	for (int c = 0; c < im->ncomp; c++)
		if ((im->dc[c] = malloc((size_t)im->bw[c] * (size_t)im->bh[c] * sizeof(int16_t))) == NULL) {
			rc = werr_set(e, EX_OSERR, "thumbnail: out of memory");
			goto out;
		}
	if (decode_scan(&sc, im) == 0)
		rc = JPEGDC_OK;
out:
	free(store);
	if (rc != JPEGDC_OK)
		jpegdc_free(im);
	return rc;
}

/* libjpeg's 1x1 IDCT is (DC * Q + 4) >> 3, then its range-limit table
 * indexed by that & 1023: 128 + x for x in -128..127, 255 above, 0 below,
 * and garbage far outside wrapping the way it does in libjpeg. */
static void
range_table(uint8_t lim[1024])
{
	for (unsigned t = 0; t < 1024; t++)
		lim[t] = (uint8_t)(t < 128 ? t + 128 : t < 512 ? 255 :
		        t < 896                                ? 0 :
		                                                 t - 896);
}

static inline uint8_t
level(const uint8_t *lim, int dc, int q)
{
	return lim[(unsigned)(((int64_t)dc * q + 4) >> 3) & 1023];
}

static inline uint8_t
clamp(int v)
{
	return (uint8_t)(v < 0 ? 0 : v > 255 ? 255 :
	                                       v);
}

#define FIX(x) ((int32_t)((x)*65536 + 0.5))

/* JFIF YCbCr -> RGB with libjpeg's fixed-point constants and rounding */
static inline void
ycc_rgb(int y, int cb, int cr, uint8_t *o)
{
	cb -= 128;
	cr -= 128;
	o[0] = clamp(y + ((FIX(1.40200) * cr + 32768) >> 16));
	o[1] = clamp(y + ((-FIX(0.34414) * cb + 32768 - FIX(0.71414) * cr) >> 16));
	o[2] = clamp(y + ((FIX(1.77200) * cb + 32768) >> 16));
}

/* One output row of component c: each block's level, repeated over the
 * output pixels it covers. */
static void
comp_row(const struct jpegdc_img *im, const uint8_t *lim, int c, int by, uint8_t *line, int ow)
{
	int rx = im->ncomp == 1 ? 1 : im->hmax / im->hs[c], q = im->q0[c];
	const int16_t *row = im->dc[c] + (size_t)by * (size_t)im->bw[c];

	if (rx == 1) {
		for (int x = 0; x < ow; x++)
			line[x] = level(lim, row[x], q);
		return;
	}
	for (int x = 0, bx = 0; x < ow; bx++) {
		uint8_t v = level(lim, row[bx], q);
		for (int i = 0; i < rx && x < ow; i++)
			line[x++] = v;
	}
}

int
jpegdc_render(const struct jpegdc_img *im, uint8_t **pix, int *w, int *h, int *comps,
    struct werr *e)
{
	int ow = (im->w + 7) / 8, oh = (im->h + 7) / 8, lastby[3] = { -1, -1, -1 };
	uint8_t *out, *line, lim[1024];

	out = malloc((size_t)ow * (size_t)oh * (size_t)im->ncomp);
	line = malloc((size_t)ow * 3);
	if (out == NULL || line == NULL) {
		free(out);
		free(line);
		return werr_set(e, EX_OSERR, "thumbnail: out of memory");
	}
	range_table(lim);
	for (int y = 0; y < oh; y++) {
		uint8_t *o = out + (size_t)y * (size_t)ow * (size_t)im->ncomp;
		if (im->ncomp == 1) {
			comp_row(im, lim, 0, y, o, ow);
			continue;
		}
		/* a chroma row covering several output rows is made once */
		for (int c = 0; c < 3; c++) {
			int by = y / (im->vmax / im->vs[c]);
			if (by != lastby[c])
				comp_row(im, lim, c, by, line + (size_t)c * (size_t)ow, ow);
			lastby[c] = by;
		}
		for (int x = 0; x < ow; x++, o += 3)
			ycc_rgb(line[x], line[ow + x], line[2 * ow + x], o);
	}
	free(line);
	*pix = out;
	*w = ow;
	*h = oh;
	*comps = im->ncomp;
	return 0;
}

int
jpegdc_scaled(const uint8_t *jpg, size_t len, uint8_t **pix, int *w, int *h, int *comps,
    struct werr *e)
{
	struct jpegdc_img im;
	int rc;

	if ((rc = jpegdc_decode(jpg, len, &im, e)) != JPEGDC_OK)
		return rc;
	rc = jpegdc_render(&im, pix, w, h, comps, e);
	jpegdc_free(&im);
	return rc;
}
