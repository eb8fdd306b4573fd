/* fuzz_jpegdc: libFuzzer target for the DC-only JPEG decoder (lib/jpegdc).
 * Whatever it takes must render, and must be a file libjpeg decodes too,
 * to the same DC coefficients: a file the DC path accepts and libjpeg
 * refuses, or decodes differently, aborts like a crash. */
#include <stdint.h>
#include <stdlib.h>
#include "capture/jpegdc.h"
#include "../unit/libjpeg_dc.h"

/* libFuzzer calls it; no header declares it */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct jpegdc_img im;
	uint8_t *pix;
	int w, h, comps;

	if (jpegdc_decode(data, size, &im, NULL) != JPEGDC_OK)
		return 0;
	if (jpegdc_render(&im, &pix, &w, &h, &comps, NULL) < 0 || w != (im.w + 7) / 8 || h != (im.h + 7) / 8)
		abort();
	free(pix);
	if (dc_mismatches(data, size, &im) != 0)
		abort();
	jpegdc_free(&im);
	return 0;
}
