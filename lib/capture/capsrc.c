#include "capture/capsrc.h"
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include "base/atomicio.h"
#include "base/buf.h"
#include "base/childrun.h"
#include "base/clock.h"
#include "base/path.h"
#include "capture/jpegio.h"
#include "capture/starfield.h"

static const char *const names[] = { "test", "file", "cam", "rpicam" };

int
capsrc_kind_from_name(const char *name)
{
	for (int i = 0; i < 4; i++)
		if (strcmp(name, names[i]) == 0)
			return i;
	return -1;
}

const char *
capsrc_name(int kind)
{
	return kind >= 0 && kind < 4 ? names[kind] : "?";
}

int
parse_exposure_us(const char *s, int64_t *us, struct werr *e)
{
	static const struct {
		const char *unit;
		double mult;
	} units[] = {
		{ "", 1e6 },
		{ "s", 1e6 },
		{ "ms", 1e3 },
		{ "us", 1 },
		{ "m", 60e6 },
		{ "min", 60e6 },
	};
	char *end;
	double v, den;

	errno = 0;
	v = strtod(s, &end);
	if (end == s || errno != 0 || v != v)
		return werr_set(e, EX_USAGE, "--exposure: bad time \"%s\"", s);
	if (*end == '/') {
		den = strtod(end + 1, &end);
		if (den <= 0 || *end != '\0')
			return werr_set(e, EX_USAGE, "--exposure: bad fraction \"%s\"", s);
		v = v / den * 1e6;
	} else {
		size_t i;
		for (i = 0; i < sizeof units / sizeof units[0]; i++)
			if (strcmp(end, units[i].unit) == 0)
				break;
		if (i == sizeof units / sizeof units[0])
			return werr_set(e, EX_USAGE, "--exposure: unknown unit in \"%s\" (us, ms, s, m)", s);
		v *= units[i].mult;
	}
	if (v < 1 || v > 3600e6)
		return werr_set(e, EX_USAGE, "--exposure: %s is outside 1us..1h", s);
	*us = (int64_t)(v + 0.5);
	return 0;
}

int64_t
capsrc_timeout_ms(const struct capsrc_opts *o)
{
	int64_t frame = o->exposure_us > 0 ? (o->exposure_us + 999) / 1000 : 1000;

	if (o->timeout_ms > 0)
		return o->timeout_ms;
	return 10000 + (int64_t)(o->settle + 3) * frame;
}

void
frame_free(struct frame *f)
{
	free(f->jpeg);
	f->jpeg = NULL;
	if (f->scratch[0]) {
		DIR *d = opendir(f->scratch);
		struct dirent *de;
		char p[PATH_MAX];
		while (d && (de = readdir(d)) != NULL) {
			if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
				continue;
			if (path_join(p, sizeof p, f->scratch, de->d_name, NULL) == 0)
				unlink(p);
		}
		if (d)
			closedir(d);
		rmdir(f->scratch);
		f->scratch[0] = '\0';
	}
}

/* argv[argc++] = printf(...), the text kept in buf. */
struct argvb {
	char **argv;
	size_t max, argc;
	char *buf;
	size_t len, used;
	int bad;
};

__attribute__((format(printf, 2, 3))) static void
arg(struct argvb *a, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (a->bad || a->argc + 2 > a->max) {
		a->bad = 1;
		return;
	}
	va_start(ap, fmt);
	n = vsnprintf(a->buf + a->used, a->len - a->used, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= a->len - a->used) {
		a->bad = 1;
		return;
	}
	a->argv[a->argc++] = a->buf + a->used;
	a->argv[a->argc] = NULL;
	a->used += (size_t)n + 1;
}

static int
awb_is_gains(const char *awb)
{
	return awb != NULL && strchr(awb, ',') != NULL;
}

int
rpicam_argv(const struct capsrc_opts *o, const char *prog, const char *out_jpg,
    char **argv, size_t max, char *buf, size_t buflen)
{
	struct argvb a = { argv, max, 0, buf, buflen, 0, 0 };
	int64_t frame_ms = o->exposure_us > 0 ? (o->exposure_us + 999) / 1000 : 33;

	arg(&a, "%s", prog);
	arg(&a, "--nopreview");
	arg(&a, "-o");
	arg(&a, "%s", out_jpg);
	if (o->camera) {
		arg(&a, "--camera");
		arg(&a, "%s", o->camera);
	}
	if (o->width > 0) {
		arg(&a, "--width");
		arg(&a, "%d", o->width);
	}
	if (o->height > 0) {
		arg(&a, "--height");
		arg(&a, "%d", o->height);
	}
	if (o->exposure_us > 0) {
		arg(&a, "--shutter");
		arg(&a, "%lld", (long long)o->exposure_us);
	}
	if (o->gain >= 0) {
		arg(&a, "--gain");
		arg(&a, "%g", o->gain);
	}
	if (awb_is_gains(o->awb)) {
		arg(&a, "--awbgains");
		arg(&a, "%s", o->awb);
	} else if (o->awb != NULL) {
		arg(&a, "--awb");
		arg(&a, "%s", o->awb);
	}
	if (o->raw)
		arg(&a, "--raw");
	arg(&a, "--quality");
	arg(&a, "%d", o->quality);
	if (o->settle > 0) {
		/* rpicam-still runs AE/AWB for -t ms before the still */
		arg(&a, "--timeout");
		arg(&a, "%lld", (long long)(o->settle * frame_ms));
	} else {
		arg(&a, "--immediate");
	}
	return a.bad ? -1 : (int)a.argc;
}

int
cam_script(const struct capsrc_opts *o, char *buf, size_t len)
{
	size_t n = 0;

	buf[0] = '\0';
	if (o->exposure_us <= 0 && o->gain < 0 && (o->awb == NULL || !awb_is_gains(o->awb)))
		return 0;
	/* controls for frame 0 stay in force for the frames after it */
	n += (size_t)snprintf(buf + n, len - n, "frames:\n  - 0:\n");
	if (o->exposure_us > 0 || o->gain >= 0)
		n += (size_t)snprintf(buf + n, len > n ? len - n : 0, "      AeEnable: false\n");
	if (o->exposure_us > 0)
		n += (size_t)snprintf(buf + n, len > n ? len - n : 0, "      ExposureTime: %lld\n",
		    (long long)o->exposure_us);
	if (o->gain >= 0)
		n += (size_t)snprintf(buf + n, len > n ? len - n : 0, "      AnalogueGain: %g\n", o->gain);
	if (awb_is_gains(o->awb)) {
		double r = 0, b = 0;
		sscanf(o->awb, "%lf,%lf", &r, &b);
		n += (size_t)snprintf(buf + n, len > n ? len - n : 0,
		    "      AwbEnable: false\n      ColourGains: [%g, %g]\n", r, b);
	}
	return n < len ? 0 : -1;
}

int
cam_argv(const struct capsrc_opts *o, const char *prog, const char *cam_id, const char *file_pattern,
    const char *script, char **argv, size_t max, char *buf, size_t buflen)
{
	struct argvb a = { argv, max, 0, buf, buflen, 0, 0 };
	char size[64] = "";

	if (o->width > 0 && o->height > 0)
		snprintf(size, sizeof size, "width=%d,height=%d,", o->width, o->height);
	arg(&a, "%s", prog);
	arg(&a, "--camera=%s", cam_id);
	arg(&a, "--capture=%d", o->settle + 1);
	arg(&a, "--file=%s", file_pattern);
	arg(&a, "--stream=role=still,%spixelformat=BGR888", size);
	if (script != NULL && *script)
		arg(&a, "--script=%s", script);
	return a.bad ? -1 : (int)a.argc;
}

static int
src_test(const struct capsrc_opts *o, long long now_ms, struct frame *f, struct werr *e)
{
	int w = o->width > 0 ? o->width : 1280, h = o->height > 0 ? o->height : 960;
	char text[64];
	uint8_t *rgb;
	int rc;

	if ((long long)w * h > 100000000LL)
		return werr_set(e, EX_USAGE, "--width/--height: %dx%d is over 100 megapixels", w, h);
	if ((rgb = malloc((size_t)w * (size_t)h * 3)) == NULL)
		return werr_set(e, EX_OSERR, "test source: out of memory for %dx%d", w, h);
	rfc3339_ms(now_ms, text, sizeof text);
	text[10] = ' '; /* 2026-11-24 06:14:18.123Z reads better on a picture */
	starfield_render(rgb, w, h, o->seed, text);
	rc = jpeg_encode(rgb, w, h, 3, (size_t)w * 3, o->quality, &f->jpeg, &f->len, e);
	free(rgb);
	f->width = w;
	f->height = h;
	snprintf(f->camera, sizeof f->camera, "test");
	return rc;
}

static int
src_file(const char *input, struct frame *f, struct werr *e)
{
	struct stat sb;
	char *buf;
	size_t n;

	if (input == NULL)
		return werr_set(e, EX_USAGE, "--source file needs FILE arguments");
	if (read_file(input, &buf, &n, e) < 0)
		return -1;
	f->jpeg = (uint8_t *)buf;
	f->len = n;
	if (jpeg_info(f->jpeg, n, &f->width, &f->height, e) < 0)
		return werr_prefix(e, "%s", input);
	/* an ingested picture was taken when its file was made, not now */
	if (stat(input, &sb) == 0)
		f->start_ms = stat_mtime_ms(&sb);
	snprintf(f->camera, sizeof f->camera, "file");
	return 0;
}

static int
make_scratch(const struct capsrc_opts *o, struct frame *f, struct werr *e)
{
	/* the pid in the name lets crash recovery tell a dead process's scratch */
	if (path_fmt(f->scratch, sizeof f->scratch, e, "%s/.capture.%ld.XXXXXX",
	        o->workdir ? o->workdir : "/tmp", (long)getpid()) < 0)
		return -1;
	if (mkdtemp(f->scratch) == NULL) {
		werr_sys(e, EX_CANTCREAT, "%s", f->scratch);
		f->scratch[0] = '\0';
		return -1;
	}
	return 0;
}

/* Run a camera program; failures become events' words. */
static int
run_camera(const struct capsrc_opts *o, char **argv, struct child_result *r, int *timed_out,
    struct werr *e)
{
	char why[700];

	if (child_run(argv, capsrc_timeout_ms(o), 2000, r, e) < 0)
		return -1;
	if (r->timed_out) {
		*timed_out = 1;
		child_describe(r, why, sizeof why);
		werr_set(e, EX_TEMPFAIL, "%s: %s", argv[0], why);
		child_result_free(r);
		return -1;
	}
	if (!r->exited || r->status != 0) {
		child_describe(r, why, sizeof why);
		werr_set(e, EX_UNAVAILABLE, "%s: %s", argv[0], why);
		child_result_free(r);
		return -1;
	}
	return 0;
}

static const char *
rpicam_program(const struct capsrc_opts *o)
{
	if (o->program)
		return o->program;
	if (in_path("rpicam-still") || !in_path("libcamera-still"))
		return "rpicam-still";
	return "libcamera-still"; /* Raspberry Pi OS before Bookworm */
}

static int
src_rpicam(const struct capsrc_opts *o, struct frame *f, int *timed_out, struct werr *e)
{
	char out[PATH_MAX], buf[8192], *argv[48];
	struct child_result r;
	const char *prog = rpicam_program(o);
	char *data;
	size_t n;

	if (make_scratch(o, f, e) < 0)
		return -1;
	if (path_join(out, sizeof out, f->scratch, "still.jpg", e) < 0)
		return -1;
	if (rpicam_argv(o, prog, out, argv, 48, buf, sizeof buf) < 0)
		return werr_set(e, EX_USAGE, "%s: arguments too long", prog);
	snprintf(f->program, sizeof f->program, "%s", prog);
	if (run_camera(o, argv, &r, timed_out, e) < 0)
		return -1;
	child_result_free(&r);
	if (read_file(out, &data, &n, e) < 0)
		return werr_prefix(e, "%s wrote no image", prog);
	f->jpeg = (uint8_t *)data;
	f->len = n;
	if (jpeg_info(f->jpeg, n, &f->width, &f->height, e) < 0)
		return werr_prefix(e, "%s: %s", prog, out);
	if (o->raw) {
		if (path_join(f->dng, sizeof f->dng, f->scratch, "still.dng", e) < 0)
			return -1;
		if (access(f->dng, R_OK) != 0)
			return werr_set(e, EX_UNAVAILABLE, "%s: --raw asked, but it wrote no DNG", prog);
	}
	snprintf(f->camera, sizeof f->camera, "%s", o->camera ? o->camera : "rpicam");
	return 0;
}

/* `cam -l`: "1: 'imx477' (/base/soc/i2c0mux/i2c@1/imx477@1a)". The first
 * camera when want is NULL, else the one whose index or id is want. */
static int
cam_pick(const char *list, const char *want, char *idx, size_t idxlen, char *name, size_t namelen)
{
	for (const char *l = list; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
		int i, off = 0;
		if (sscanf(l, " %d: %n", &i, &off) < 1 || off == 0)
			continue;
		size_t len = strcspn(l + off, "\n");
		char line[256];
		snprintf(line, sizeof line, "%.*s", (int)len, l + off);
		char num[16];
		snprintf(num, sizeof num, "%d", i);
		if (want != NULL && strcmp(want, num) != 0 && strstr(line, want) == NULL)
			continue;
		snprintf(idx, idxlen, "%s", num);
		/* the name is what comes before " (" */
		char *paren = strstr(line, " (");
		if (paren)
			*paren = '\0';
		for (char *q = line; *q; q++)
			if (*q == '\'')
				memmove(q, q + 1, strlen(q));
		text_fmt(name, namelen, "%s", line); /* a label: cut visibly if long */
		return 0;
	}
	return -1;
}

static int
cam_list(const struct capsrc_opts *o, const char *prog, char *idx, size_t idxlen, char *name,
    size_t namelen, int *timed_out, struct werr *e)
{
	char *argv[] = { (char *)prog, "--list", NULL };
	struct child_result r;
	struct capsrc_opts lo = *o;
	int rc;

	lo.timeout_ms = 10000;
	if (run_camera(&lo, argv, &r, timed_out, e) < 0)
		return -1;
	rc = cam_pick(r.out.p ? r.out.p : "", o->camera, idx, idxlen, name, namelen);
	child_result_free(&r);
	if (rc < 0)
		return werr_set(e, EX_UNAVAILABLE, "%s --list: %s", prog,
		    o->camera ? "no such camera" : "no camera found");
	return 0;
}

/* The newest frame file cam wrote (names end in a zero-padded sequence). */
static int
last_frame(const char *dir, char *path, size_t len)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char best[256] = "";

	if (d == NULL)
		return -1;
	while ((de = readdir(d)) != NULL)
		if (strncmp(de->d_name, "frame-", 6) == 0 && strcmp(de->d_name, best) > 0)
			snprintf(best, sizeof best, "%s", de->d_name);
	closedir(d);
	if (!best[0])
		return -1;
	return path_join(path, len, dir, best, NULL);
}

/* cam prints the configuration it settled on: "0: 1280x960-BGR888". */
static void
cam_geometry(const char *out, int *w, int *h, char *fmt, size_t fmtlen)
{
	for (const char *p = out; p && *p; p++) {
		int a, b, n = 0;
		if (p > out && (p[-1] >= '0' && p[-1] <= '9'))
			continue; /* only whole numbers: not "20x240" inside "320x240" */
		char f[32];
		if (sscanf(p, "%dx%d-%31[A-Z0-9_]%n", &a, &b, f, &n) == 3 && n > 0 && a > 0 && b > 0) {
			*w = a;
			*h = b;
			snprintf(fmt, fmtlen, "%s", f);
		}
	}
}

/* Raw frame to packed RGB. libcamera names formats like DRM: BGR888 is
 * R,G,B in memory, RGB888 is B,G,R, XRGB8888 is B,G,R,X. */
static int
raw_to_rgb(const uint8_t *raw, size_t n, int w, int h, const char *fmt, uint8_t **rgb, struct werr *e)
{
	int bpp = strncmp(fmt, "X", 1) == 0 ? 4 : 3;
	int swap = strcmp(fmt, "RGB888") == 0 || strcmp(fmt, "XRGB8888") == 0;
	size_t stride = h > 0 ? n / (size_t)h : 0;

	if (strcmp(fmt, "BGR888") && strcmp(fmt, "RGB888") && strcmp(fmt, "XRGB8888") && strcmp(fmt, "XBGR8888"))
		return werr_set(e, EX_UNAVAILABLE, "cam: unsupported pixel format %s", fmt);
	if (w <= 0 || h <= 0 || stride < (size_t)w * (size_t)bpp)
		return werr_set(e, EX_DATAERR, "cam: frame of %zu bytes is not %dx%d %s", n, w, h, fmt);
	if ((*rgb = malloc((size_t)w * (size_t)h * 3)) == NULL)
		return werr_set(e, EX_OSERR, "cam: out of memory");
	for (int y = 0; y < h; y++) {
		const uint8_t *s = raw + (size_t)y * stride;
		uint8_t *d = *rgb + (size_t)y * (size_t)w * 3;
		for (int x = 0; x < w; x++, s += bpp, d += 3) {
			d[0] = swap ? s[2] : s[0];
			d[1] = s[1];
			d[2] = swap ? s[0] : s[2];
		}
	}
	return 0;
}

static int
cam_encode(const struct capsrc_opts *o, const char *framepath, const char *out, struct frame *f,
    struct werr *e)
{
	char *raw, fmt[32] = "BGR888";
	uint8_t *rgb;
	size_t n;
	int w = o->width, h = o->height, rc;

	cam_geometry(out, &w, &h, fmt, sizeof fmt);
	if (read_file(framepath, &raw, &n, e) < 0)
		return -1;
	rc = raw_to_rgb((uint8_t *)raw, n, w, h, fmt, &rgb, e);
	free(raw);
	if (rc < 0)
		return -1;
	rc = jpeg_encode(rgb, w, h, 3, (size_t)w * 3, o->quality, &f->jpeg, &f->len, e);
	free(rgb);
	f->width = w;
	f->height = h;
	return rc;
}

static int
src_cam(const struct capsrc_opts *o, struct frame *f, int *timed_out, struct werr *e)
{
	const char *prog = o->program ? o->program : "cam";
	char idx[32], pattern[PATH_MAX], script[PATH_MAX], yaml[1024], buf[8192], *argv[16];
	char framep[PATH_MAX];
	struct child_result r;
	int rc;

	snprintf(f->program, sizeof f->program, "%s", prog);
	if (cam_list(o, prog, idx, sizeof idx, f->camera, sizeof f->camera, timed_out, e) < 0)
		return -1;
	if (make_scratch(o, f, e) < 0)
		return -1;
	if (path_join(pattern, sizeof pattern, f->scratch, "frame-#.bin", e) < 0)
		return -1;
	script[0] = '\0';
	if (cam_script(o, yaml, sizeof yaml) < 0)
		return werr_set(e, EX_SOFTWARE, "cam: capture script too long");
	if (yaml[0]) {
		if (path_join(script, sizeof script, f->scratch, "controls.yaml", e) < 0 ||
		    atomic_write(script, yaml, strlen(yaml), e) < 0)
			return -1;
	}
	if (cam_argv(o, prog, idx, pattern, script, argv, 16, buf, sizeof buf) < 0)
		return werr_set(e, EX_USAGE, "cam: arguments too long");
	if (run_camera(o, argv, &r, timed_out, e) < 0)
		return -1;
	if (last_frame(f->scratch, framep, sizeof framep) < 0) {
		child_result_free(&r);
		return werr_set(e, EX_UNAVAILABLE, "%s: wrote no frame into %s", prog, f->scratch);
	}
	rc = cam_encode(o, framep, r.out.p ? r.out.p : "", f, e);
	child_result_free(&r);
	return rc;
}

/* What a source produced, before anything decodes it: a picture over
 * max_pixels (its header is enough) or cut short (a camera that wrote
 * half a file) is a failed capture, not a capture. */
static int
frame_check(const struct capsrc_opts *o, const char *input, struct frame *f, struct werr *e)
{
	int64_t px = (int64_t)f->width * f->height;

	(void)input;
	if (o->max_pixels > 0 && px > o->max_pixels)
		return werr_set(e, EX_DATAERR, "%dx%d is %.1f MP, over max_pixels (%.1f MP)", f->width,
		    f->height, (double)px / 1e6, (double)o->max_pixels / 1e6);
	if (!jpeg_complete(f->jpeg, f->len))
		return werr_set(e, EX_DATAERR, "truncated JPEG (premature end of data: no end-of-image marker)");
	return 0;
}

int
capsrc_capture(const struct capsrc_opts *o, const char *input, long long now_ms,
    struct frame *f, int *timed_out, struct werr *e)
{
	int rc = -1;

	memset(f, 0, sizeof *f);
	*timed_out = 0;
	f->start_ms = now_ms;
	switch (o->kind) {
	case SRC_TEST: rc = src_test(o, now_ms, f, e); break;
	case SRC_FILE: rc = src_file(input, f, e); break;
	case SRC_CAM: rc = src_cam(o, f, timed_out, e); break;
	case SRC_RPICAM: rc = src_rpicam(o, f, timed_out, e); break;
	default: werr_set(e, EX_USAGE, "unknown source"); break;
	}
	if (rc == 0 && (rc = frame_check(o, input, f, e)) < 0)
		werr_prefix(e, "%s", input ? input : f->camera);
	if (rc < 0)
		frame_free(f);
	return rc;
}
