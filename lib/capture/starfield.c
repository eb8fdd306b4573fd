#include "capture/starfield.h"
#include <ctype.h>
#include <math.h>
#include <string.h>

struct glyph {
	char c;
	uint8_t rows[FONT_H];
};

static const struct glyph font[] = {
	{ '0', { 0x0E, 0x11, 0x13, 0x15, 0x19, 0x11, 0x0E } },
	{ '1', { 0x04, 0x0C, 0x04, 0x04, 0x04, 0x04, 0x0E } },
	{ '2', { 0x0E, 0x11, 0x01, 0x02, 0x04, 0x08, 0x1F } },
	{ '3', { 0x1F, 0x02, 0x04, 0x02, 0x01, 0x11, 0x0E } },
	{ '4', { 0x02, 0x06, 0x0A, 0x12, 0x1F, 0x02, 0x02 } },
	{ '5', { 0x1F, 0x10, 0x1E, 0x01, 0x01, 0x11, 0x0E } },
	{ '6', { 0x06, 0x08, 0x10, 0x1E, 0x11, 0x11, 0x0E } },
	{ '7', { 0x1F, 0x01, 0x02, 0x04, 0x08, 0x08, 0x08 } },
	{ '8', { 0x0E, 0x11, 0x11, 0x0E, 0x11, 0x11, 0x0E } },
	{ '9', { 0x0E, 0x11, 0x11, 0x0F, 0x01, 0x02, 0x0C } },
	{ ':', { 0x00, 0x0C, 0x0C, 0x00, 0x0C, 0x0C, 0x00 } },
	{ '-', { 0x00, 0x00, 0x00, 0x1F, 0x00, 0x00, 0x00 } },
	{ '.', { 0x00, 0x00, 0x00, 0x00, 0x00, 0x0C, 0x0C } },
	{ '/', { 0x01, 0x01, 0x02, 0x04, 0x08, 0x10, 0x10 } },
	{ ' ', { 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00 } },
	{ 'A', { 0x0E, 0x11, 0x11, 0x1F, 0x11, 0x11, 0x11 } },
	{ 'C', { 0x0E, 0x11, 0x10, 0x10, 0x10, 0x11, 0x0E } },
	{ 'D', { 0x1C, 0x12, 0x11, 0x11, 0x11, 0x12, 0x1C } },
	{ 'E', { 0x1F, 0x10, 0x10, 0x1E, 0x10, 0x10, 0x1F } },
	{ 'I', { 0x0E, 0x04, 0x04, 0x04, 0x04, 0x04, 0x0E } },
	{ 'N', { 0x11, 0x11, 0x19, 0x15, 0x13, 0x11, 0x11 } },
	{ 'S', { 0x0F, 0x10, 0x10, 0x0E, 0x01, 0x01, 0x1E } },
	{ 'T', { 0x1F, 0x04, 0x04, 0x04, 0x04, 0x04, 0x04 } },
	{ 'U', { 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x0E } },
	{ 'W', { 0x11, 0x11, 0x11, 0x15, 0x15, 0x15, 0x0A } },
	{ 'Z', { 0x1F, 0x01, 0x02, 0x04, 0x08, 0x10, 0x1F } },
};

static const uint8_t tofu[FONT_H] = { 0x1F, 0x11, 0x11, 0x11, 0x11, 0x11, 0x1F };

const uint8_t *
font_glyph(int c)
{
	c = toupper((unsigned char)c);
	for (size_t i = 0; i < sizeof font / sizeof font[0]; i++)
		if (font[i].c == c)
			return font[i].rows;
	return NULL;
}

int
font_text_width(const char *s, int scale)
{
	size_t n = strlen(s);

	return n == 0 ? 0 : (int)n * (FONT_W + 1) * scale - scale;
}

int
font_text_height(int scale)
{
	return FONT_H * scale;
}

static void
fill_rect(uint8_t *rgb, int w, int h, int x0, int y0, int s, const uint8_t col[3])
{
	for (int y = y0 < 0 ? 0 : y0; y < y0 + s && y < h; y++)
		for (int x = x0 < 0 ? 0 : x0; x < x0 + s && x < w; x++)
			memcpy(rgb + ((size_t)y * (size_t)w + (size_t)x) * 3, col, 3);
}

void
font_draw(uint8_t *rgb, int w, int h, int x, int y, const char *s, int scale,
    uint8_t r, uint8_t g, uint8_t b)
{
	const uint8_t col[3] = { r, g, b };

	if (scale < 1)
		scale = 1;
	for (; *s; s++, x += (FONT_W + 1) * scale) {
		const uint8_t *rows = font_glyph(*s);
		if (rows == NULL)
			rows = tofu;
		for (int gy = 0; gy < FONT_H; gy++)
			for (int gx = 0; gx < FONT_W; gx++)
				if (rows[gy] & (0x10 >> gx))
					fill_rect(rgb, w, h, x + gx * scale, y + gy * scale, scale, col);
	}
}

/* xorshift64*: fast, seedable, good enough for pictures */
static uint64_t
rnd(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545F4914F6CDD1DULL;
}

static double
rnd01(uint64_t *s)
{
	return (double)(rnd(s) >> 11) / 9007199254740992.0;
}

static void
sky(uint8_t *rgb, int w, int h, uint64_t *st)
{
	for (int y = 0; y < h; y++) {
		/* light pollution brightens towards the horizon (bottom) */
		int base = 6 + (int)(14.0 * (double)y / (double)h);
		uint8_t *p = rgb + (size_t)y * (size_t)w * 3;
		for (int x = 0; x < w; x++, p += 3) {
			uint64_t r = rnd(st);
			int n = (int)(r & 7) + (int)((r >> 3) & 7) - 7; /* triangular noise, -7..7 */
			int v = base + n;
			v = v < 0 ? 0 : v;
			p[0] = (uint8_t)(v + 1);
			p[1] = (uint8_t)v;
			p[2] = (uint8_t)(v + 3);
		}
	}
}

static void
star(uint8_t *rgb, int w, int h, double cx, double cy, double peak, double sigma, const double tint[3])
{
	int rad = (int)ceil(3 * sigma);
	double k = -1.0 / (2 * sigma * sigma);

	for (int y = (int)cy - rad; y <= (int)cy + rad; y++) {
		if (y < 0 || y >= h)
			continue;
		for (int x = (int)cx - rad; x <= (int)cx + rad; x++) {
			if (x < 0 || x >= w)
				continue;
			double d2 = (x - cx) * (x - cx) + (y - cy) * (y - cy);
			double v = peak * exp(d2 * k);
			uint8_t *p = rgb + ((size_t)y * (size_t)w + (size_t)x) * 3;
			for (int c = 0; c < 3; c++) {
				int nv = p[c] + (int)(v * tint[c]);
				p[c] = (uint8_t)(nv > 255 ? 255 : nv);
			}
		}
	}
}

void
starfield_render(uint8_t *rgb, int w, int h, uint64_t seed, const char *text)
{
	uint64_t st = seed * 0x9E3779B97F4A7C15ULL + 1;
	long nstars = (long)w * h / 2000 + 10;
	int scale;

	sky(rgb, w, h, &st);
	st = seed * 0x9E3779B97F4A7C15ULL + 7; /* stars independent of the noise */
	for (long i = 0; i < nstars; i++) {
		double x = rnd01(&st) * w, y = rnd01(&st) * h;
		double u = rnd01(&st), t = rnd01(&st);
		double peak = 40 + 900 * pow(u, 6); /* few bright, many faint */
		double sigma = 0.6 + 1.6 * pow(u, 3);
		double tint[3] = { 0.8 + 0.2 * t, 0.85 + 0.1 * t, 1.0 - 0.3 * t };
		star(rgb, w, h, x, y, peak, sigma, tint);
	}
	if (text == NULL || *text == '\0')
		return;
	scale = h / 160 > 1 ? h / 160 : 1;
	while (scale > 1 && font_text_width(text, scale) > w - 2 * scale)
		scale--;
	font_draw(rgb, w, h, 2 * scale, h - font_text_height(scale) - 2 * scale, text, scale, 230, 230, 200);
}
