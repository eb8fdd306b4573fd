#include "capture/jpegerr.h"
#include <string.h>
#include <jerror.h>

static const char *
space_name(J_COLOR_SPACE s)
{
	switch (s) {
	case JCS_CMYK: return "CMYK";
	case JCS_YCCK: return "YCCK";
	case JCS_GRAYSCALE: return "grayscale";
	case JCS_RGB: return "RGB";
	case JCS_YCbCr: return "YCbCr";
	default: return "unknown";
	}
}

/* libjpeg's own words for two failures a user can act on say nothing of
 * the cause: say it, and keep libjpeg's text after it */
static void
explain(j_common_ptr cinfo, struct jerr *je, const char *lib)
{
	int code = cinfo->err->msg_code;

	if (code == JERR_OUT_OF_MEMORY || code == JERR_NO_BACKING_STORE)
		snprintf(je->msg, sizeof je->msg, "needs more than %ld MiB to decode (libjpeg: %s)",
		    JPEG_MEM_MAX >> 20, lib);
	else if (code == JERR_CONVERSION_NOTIMPL && cinfo->is_decompressor)
		snprintf(je->msg, sizeof je->msg, "%s colour space not supported (libjpeg: %s)",
		    space_name(((j_decompress_ptr)cinfo)->jpeg_color_space), lib);
	else
		snprintf(je->msg, sizeof je->msg, "%s", lib);
}

static void
jerr_exit(j_common_ptr cinfo)
{
	struct jerr *je = (struct jerr *)cinfo->err;
	char lib[JMSG_LENGTH_MAX];

	(*cinfo->err->format_message)(cinfo, lib);
	explain(cinfo, je, lib);
	longjmp(je->jmp, 1);
}

static void
jerr_silent(j_common_ptr cinfo, int level)
{
	(void)cinfo;
	(void)level;
}

void
jerr_init(struct jerr *je)
{
	jpeg_std_error(&je->pub);
	je->pub.error_exit = jerr_exit;
	je->pub.emit_message = jerr_silent;
	je->msg[0] = '\0';
}

int
jerr_decompress(jerr_body_fn *body, void *arg, const char *what, struct werr *e)
{
	struct jpeg_decompress_struct d;
	struct jerr je;
	int rc;

	memset(&d, 0, sizeof d);
	jerr_init(&je);
	d.err = &je.pub;
	if (setjmp(je.jmp)) {
		jpeg_destroy_decompress(&d);
		return werr_set(e, EX_DATAERR, "%s: %s", what, je.msg);
	}
	jpeg_create_decompress(&d);
	rc = body(&d, arg, e);
	jpeg_destroy_decompress(&d);
	return rc;
}
