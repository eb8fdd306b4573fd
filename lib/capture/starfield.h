/* starfield: the `test` source's picture: a seeded synthetic star field
 * (sky background with noise and a light-pollution gradient, stars with a
 * Gaussian profile, power-law brightness and a colour tint) with a line of
 * text (the capture time) drawn in a 5x7 bitmap font. Same seed, same
 * stars; the text makes each capture different. */
#ifndef WANDA_STARFIELD_H
#define WANDA_STARFIELD_H
#include <stddef.h>
#include <stdint.h>

#define FONT_W 5
#define FONT_H 7

/* The 7 rows of a glyph, bit 4 the leftmost column; lower case is drawn
 * as upper case; NULL for a character the font lacks (drawn as a box). */
const uint8_t *font_glyph(int c);
/* Pixel size of a string drawn at an integer scale (1 px gap between glyphs). */
int font_text_width(const char *s, int scale);
int font_text_height(int scale);
/* Draw onto an RGB image, clipped to it: never writes outside w x h. */
void font_draw(uint8_t *rgb, int w, int h, int x, int y, const char *s, int scale,
    uint8_t r, uint8_t g, uint8_t b);

/* Fill a w x h RGB image (stride w*3) and draw text in its lower left. */
void starfield_render(uint8_t *rgb, int w, int h, uint64_t seed, const char *text);

#endif
