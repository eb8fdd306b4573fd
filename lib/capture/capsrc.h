/* capsrc: where a capture's picture comes from.
 *   test    a seeded synthetic star field with the time drawn on it
 *   file    an existing JPEG, copied (its original is never touched here)
 *   cam     libcamera's `cam` utility: raw frames in BGR888, encoded here
 *   rpicam  rpicam-still (or libcamera-still on older Raspberry Pi OS),
 *           which writes the JPEG (and with --raw a DNG) itself
 * Every source hands back the JPEG in memory; camera programs run under
 * childrun's deadline. */
#ifndef WANDA_CAPSRC_H
#define WANDA_CAPSRC_H
#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include "base/werr.h"

enum capsrc_kind { SRC_TEST,
	SRC_FILE,
	SRC_CAM,
	SRC_RPICAM };

struct capsrc_opts {
	int kind;
	int width, height;   /* 0: source default (test: 1280x960) */
	int64_t exposure_us; /* -1: automatic */
	double gain;         /* < 0: automatic */
	const char *awb;     /* NULL/"auto", a mode name, or "R,B" colour gains */
	int raw;             /* DNG alongside the JPEG (rpicam) */
	int settle;          /* frames to let AE/AWB settle and drop first */
	int quality;         /* JPEG quality for what we encode */
	uint64_t seed;       /* test source */
	const char *camera;  /* cam: index (from 1) or id; rpicam: index (from 0); NULL default */
	const char *program; /* override the camera program's name/path; NULL default */
	int64_t timeout_ms;  /* per capture; 0: derived from exposure and settle */
	const char *workdir; /* scratch dir on the captures filesystem */
	int64_t max_pixels;  /* a bigger image is refused from its header; 0 no limit */
};

struct frame {
	uint8_t *jpeg; /* malloc'd */
	size_t len;
	int width, height;
	char camera[128];       /* what took it: "test", "file", the camera's name */
	char dng[PATH_MAX];     /* scratch path of a DNG the source wrote, "" none */
	long long start_ms;     /* wall time the capture began */
	char program[64];       /* camera program used, "" for test/file */
	char scratch[PATH_MAX]; /* scratch dir frame_free() removes, "" none */
};

/* Exposure time: "30s", "250ms", "800us", "2m", "1/250" (of a second),
 * bare numbers are seconds; fractions allowed ("0.5s"); up to 1 hour. */
int parse_exposure_us(const char *s, int64_t *us, struct werr *e);

int capsrc_kind_from_name(const char *name); /* -1 unknown */
const char *capsrc_name(int kind);

/* The deadline for one capture: 10 s, plus (settle + 3) frames at the
 * exposure time (1 s when automatic), unless o->timeout_ms is set. Pure. */
int64_t capsrc_timeout_ms(const struct capsrc_opts *o);

/* Take one picture. For SRC_FILE, `input` is the file; now_ms stamps the
 * test picture. On a camera program failure or timeout the error is
 * EX_UNAVAILABLE / EX_TEMPFAIL with the program's words; *timed_out is
 * set when it was killed at the deadline. */
int capsrc_capture(const struct capsrc_opts *o, const char *input, long long now_ms,
    struct frame *f, int *timed_out, struct werr *e);
void frame_free(struct frame *f);

/* argv builders, exposed for tests: fill argv (NULL-terminated) using
 * strings kept in buf; return argc or -1 when it does not fit. */
int rpicam_argv(const struct capsrc_opts *o, const char *prog, const char *out_jpg,
    char **argv, size_t max, char *buf, size_t buflen);
int cam_argv(const struct capsrc_opts *o, const char *prog, const char *cam_id, const char *file_pattern,
    const char *script, char **argv, size_t max, char *buf, size_t buflen);
/* The capture script (YAML) `cam --script` reads for exposure/gain/awb;
 * 0 with an empty buf when every control is automatic. */
int cam_script(const struct capsrc_opts *o, char *buf, size_t len);

#endif
