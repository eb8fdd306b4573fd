/* libjpeg_dc.h: libjpeg's own reading of a file, the reference the DC-only
 * decoder (lib/capture/jpegdc) is held to by test_jpegdc and fuzz_jpegdc. */
#ifndef WANDA_TEST_LIBJPEG_DC_H
#define WANDA_TEST_LIBJPEG_DC_H
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <jpeglib.h>
#include "capture/jpegdc.h"

/* libjpeg's errors end in a longjmp back to the caller, never exit(). */
struct tjerr {
	struct jpeg_error_mgr pub;
	jmp_buf jmp;
};

static void
tjerr_exit(j_common_ptr c)
{
	longjmp(((struct tjerr *)c->err)->jmp, 1);
}

static void
tjerr_quiet(j_common_ptr c, int level)
{
	(void)c;
	(void)level;
}

/* tjerr_init: je set up to end libjpeg's errors in tjerr_exit; the error
 * manager for a (de)compress struct's err. */
static struct jpeg_error_mgr *
tjerr_init(struct tjerr *je)
{
	struct jpeg_error_mgr *m = jpeg_std_error(&je->pub);

	m->error_exit = tjerr_exit;
	return m;
}

/* libjpeg's quantized DC of every block, compared with the DC planes.
 * Returns the number of blocks that differ; -1 when libjpeg refuses the
 * file or sees other components or more blocks than im has. */
static long
dc_mismatches(const uint8_t *jpg, size_t n, const struct jpegdc_img *im)
{
	struct jpeg_decompress_struct d;
	struct tjerr je;
	volatile long bad = 0;

	memset(&d, 0, sizeof d);
	d.err = tjerr_init(&je);
	je.pub.emit_message = tjerr_quiet;
	if (setjmp(je.jmp)) {
		jpeg_destroy_decompress(&d);
		return -1;
	}
	jpeg_create_decompress(&d);
	jpeg_mem_src(&d, jpg, (unsigned long)n);
	jpeg_read_header(&d, TRUE);
	jvirt_barray_ptr *coefs = jpeg_read_coefficients(&d);
	if (d.num_components != im->ncomp)
		bad = -1;
	for (int c = 0; bad >= 0 && c < d.num_components; c++) {
		jpeg_component_info *ci = &d.comp_info[c];
		if ((int)ci->width_in_blocks > im->bw[c] || (int)ci->height_in_blocks > im->bh[c]) {
			bad = -1;
			break;
		}
		for (JDIMENSION by = 0; by < ci->height_in_blocks; by++) {
			JBLOCKARRAY row = (*d.mem->access_virt_barray)((j_common_ptr)&d, coefs[c], by, 1, FALSE);
			for (JDIMENSION bx = 0; bx < ci->width_in_blocks; bx++)
				if (row[0][bx][0] != im->dc[c][(size_t)by * (size_t)im->bw[c] + bx])
					bad++;
		}
	}
	jpeg_finish_decompress(&d);
	jpeg_destroy_decompress(&d);
	return bad;
}
#endif
