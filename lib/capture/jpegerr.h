/* jpegerr: libjpeg's error manager made safe for library code. libjpeg
 * reports a fatal error by calling exit(); this one keeps the message and
 * longjmps to the caller's setjmp instead, and drops warnings (corrupt
 * data libjpeg can work around) rather than print them. Shared by jpegio
 * and jpegdc. */
#ifndef WANDA_JPEGERR_H
#define WANDA_JPEGERR_H
#include <setjmp.h>
#include <stdio.h>
#include <jpeglib.h>
#include "base/werr.h"

struct jerr {
	struct jpeg_error_mgr pub;
	jmp_buf jmp;
	char msg[JMSG_LENGTH_MAX + 80]; /* the fatal error's text, explained */
};

/* libjpeg's own allocations (a progressive image's coefficients) stop
 * here with "Insufficient memory" rather than take the machine. */
#define JPEG_MEM_MAX (512L << 20)

/* Set up je; then `d.err = &je.pub` and `if (setjmp(je.jmp)) ...`. */
void jerr_init(struct jerr *je);

/* A decompressor's body: runs after setjmp, so nothing it changes needs to
 * be volatile. Returns 0 or -1 (its own error in e). */
typedef int jerr_body_fn(struct jpeg_decompress_struct *d, void *arg, struct werr *e);
/* Make a decompressor, run body(d, arg, e) on it with libjpeg's fatal
 * errors caught, destroy it. body's result; a libjpeg error is -1 with
 * EX_DATAERR "what: libjpeg's message" (e may be NULL). */
int jerr_decompress(jerr_body_fn *body, void *arg, const char *what, struct werr *e);

#endif
