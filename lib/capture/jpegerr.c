#include "capture/jpegerr.h"

static void
jerr_exit(j_common_ptr cinfo)
{
	struct jerr *je = (struct jerr *)cinfo->err;

	(*cinfo->err->format_message)(cinfo, je->msg);
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
