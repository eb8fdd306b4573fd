/* jpegio: the JPEG work capture does, through libjpeg-turbo, in memory.
 * libjpeg reports errors by calling exit(); these wrappers catch them
 * (setjmp in a custom error manager) and return a werr instead. */
#ifndef WANDA_JPEGIO_H
#define WANDA_JPEGIO_H
#include <stddef.h>
#include <stdint.h>
#include "base/werr.h"

/* Encode interleaved 8-bit pixels (3 = RGB, 1 = grey), rows `stride`
 * bytes apart. *out is malloc'd. */
int jpeg_encode(const uint8_t *px, int w, int h, int comps, size_t stride, int quality,
    uint8_t **out, size_t *outlen, struct werr *e);

/* Dimensions from the header, without decoding. */
int jpeg_info(const uint8_t *jpg, size_t len, int *w, int *h, struct werr *e);
/* 1 when the JPEG's data runs to an end-of-image marker (a file cut short
 * has none: after the first scan header FF D9 can only be that marker). */
int jpeg_complete(const uint8_t *jpg, size_t len);

/* Which DCT scale (1/1, 1/2, 1/4, 1/8) to decode a w x h image at so that
 * its longer side is still >= max_side: returns the denominator. Pure. */
int jpeg_thumb_denom(int w, int h, int max_side);
/* Output size of a thumbnail fitting max_side x max_side, aspect kept. */
void jpeg_thumb_size(int w, int h, int max_side, int *tw, int *th);

/* Thumbnail fitting max_side: decoded at the smallest DCT scale that is
 * still large enough (a 12 MP image at 1/8: never a full-size decode),
 * then area-averaged down and encoded at `quality`. At 1/8 a baseline
 * JPEG is decoded from its DC coefficients alone (lib/jpegdc.h); anything
 * that path does not take goes through libjpeg, as do other scales. */
int jpeg_thumbnail(const uint8_t *jpg, size_t len, int max_side, int quality,
    uint8_t **out, size_t *outlen, int *tw, int *th, struct werr *e);

/* jpeg_thumbnail's decode step: *pix (malloc'd) is the picture at the
 * scale jpeg_thumb_denom picks; *dc is 1 when the DC path made it, 0 when
 * libjpeg did. Exposed for tests. */
int jpeg_thumb_decode(const uint8_t *jpg, size_t len, int max_side, uint8_t **pix, int *sw, int *sh,
    int *comps, int *dc, struct werr *e);

/* Area-average resample of interleaved pixels; pure, exposed for tests. */
void resample_area(const uint8_t *src, int sw, int sh, int comps, uint8_t *dst, int dw, int dh);

#endif
