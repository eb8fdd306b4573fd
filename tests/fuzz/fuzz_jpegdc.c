/* fuzz_jpegdc: libFuzzer target for the DC-only JPEG decoder (lib/jpegdc).
 * Whatever it takes must render, and must be a file libjpeg decodes too,
 * to the same DC coefficients: a file the DC path accepts and libjpeg
 * refuses, or decodes differently, aborts like a crash. */
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jpeglib.h>
#include "capture/jpegdc.h"

struct fjd_err {
	struct jpeg_error_mgr pub;
	jmp_buf jmp;
};

static void
fjd_exit(j_common_ptr c)
{
	longjmp(((struct fjd_err *)c->err)->jmp, 1);
}

static void
fjd_quiet(j_common_ptr c, int level)
{
	(void)c;
	(void)level;
}

/* 0 when libjpeg's coefficients have the DC path's DCs, -1 otherwise */
static int
fjd_same_as_libjpeg(const uint8_t *data, size_t size, const struct jpegdc_img *im)
{
	struct jpeg_decompress_struct d;
	struct fjd_err je;
	volatile int bad = 0;

	memset(&d, 0, sizeof d);
	d.err = jpeg_std_error(&je.pub);
	je.pub.error_exit = fjd_exit;
	je.pub.emit_message = fjd_quiet;
	if (setjmp(je.jmp)) {
		jpeg_destroy_decompress(&d);
		return -1;
	}
	jpeg_create_decompress(&d);
	jpeg_mem_src(&d, data, (unsigned long)size);
	jpeg_read_header(&d, TRUE);
	jvirt_barray_ptr *coefs = jpeg_read_coefficients(&d);
	if (d.num_components != im->ncomp)
		bad = 1;
	for (int c = 0; !bad && c < d.num_components; c++) {
		jpeg_component_info *ci = &d.comp_info[c];
		if ((int)ci->width_in_blocks > im->bw[c] || (int)ci->height_in_blocks > im->bh[c]) {
			bad = 1;
			break;
		}
		for (JDIMENSION by = 0; by < ci->height_in_blocks; by++) {
			JBLOCKARRAY row = (*d.mem->access_virt_barray)((j_common_ptr)&d, coefs[c], by, 1, FALSE);
			for (JDIMENSION bx = 0; bx < ci->width_in_blocks; bx++)
				if (row[0][bx][0] != im->dc[c][(size_t)by * (size_t)im->bw[c] + bx])
					bad = 1;
		}
	}
	jpeg_destroy_decompress(&d);
	return bad ? -1 : 0;
}

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
	if (fjd_same_as_libjpeg(data, size, &im) < 0)
		abort();
	jpegdc_free(&im);
	return 0;
}
