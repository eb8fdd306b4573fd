#include "capture/jpegerr.h"
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
