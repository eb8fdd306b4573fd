/* Unit tests for the pure parts of capture: schedule arithmetic, font
 * bounds, thumbnail scale choice and resampling, EXIF splicing, exposure
 * parsing, camera argv, the child runner, the event log. */
#include <stdlib.h>
#include <unistd.h>
#include <sys/stat.h>
#include "tap.h"
#include "base/atomicio.h"
#include "capture/capsrc.h"
#include "base/childrun.h"
#include "base/cli.h"
#include "base/eventlog.h"
#include "capture/exifdate.h"
#include "capture/jpegio.h"
#include "capture/schedule.h"
#include "capture/starfield.h"

static void
test_schedule(void)
{
	struct sched s;
	long n;

	sched_init(&s, 1000, 500, 4, 0);
	is_int(s.late_ms, 50, "tolerance is a tenth of the interval");
	is_int(sched_slot(&s, 3), 2500, "slot k at start + k*interval");
	is_int(sched_next(&s, -1, 1000, &n), 0, "first slot");
	is_int(n, 0, "nothing skipped");
	is_int(sched_next(&s, 0, 1200, &n), 1, "on time: next slot");
	is_int(sched_next(&s, 0, 1549, &n), 1, "late within tolerance: still runs");
	is_int(n, 0, "and nothing skipped");
	is_int(sched_next(&s, 0, 1551, &n), 2, "overrun: slot 1 skipped");
	is_int(n, 1, "one skipped");
	is_int(sched_slot(&s, 2), 2000, "slot 2 keeps its own time (no shift)");
	is_int(sched_next(&s, 0, 2540, &n), 3, "long overrun skips two");
	is_int(n, 2, "two skipped");
	is_int(sched_next(&s, 3, 2600, &n), -1, "count reached");
	is_int(sched_next(&s, 1, 9999, &n), -1, "overrun past the end: over");
	is_int(n, 2, "the passed slots up to count are reported");
	sched_init(&s, 0, 60000, 0, 3600000);
	ok(sched_has(&s, 59) && !sched_has(&s, 60), "duration 1h at 1m: 60 slots");
	is_int(s.late_ms, 1000, "tolerance capped at 1 s");
	sched_init(&s, 0, 0, 3, 0);
	is_int(sched_next(&s, 1, 99999, &n), 2, "no interval: back to back, never skipped");
	is_int(sched_next(&s, 2, 99999, &n), -1, "count reached");
	sched_init(&s, 0, 0, 0, 1000);
	ok(sched_next(&s, 5, 500, &n) == 6 && sched_next(&s, 6, 1000, &n) == -1, "no interval with duration");
}

static void
test_font(void)
{
	uint8_t img[20 * 10 * 3 + 16];
	int inside = 1;

	ok(font_glyph('7') != NULL && font_glyph('z') == font_glyph('Z'), "digits; lower case as upper");
	ok(font_glyph('@') == NULL, "missing glyph");
	is_int(font_text_width("", 3), 0, "empty string");
	is_int(font_text_width("12:3", 1), 4 * 6 - 1, "width: 6 px advance, no trailing gap");
	is_int(font_text_width("12:3", 4), (4 * 6 - 1) * 4, "width scales");
	is_int(font_text_height(3), 21, "height");
	/* clipped drawing: a canary after the image must survive draws off every edge */
	memset(img, 0, sizeof img);
	memset(img + 20 * 10 * 3, 0xAB, 16);
	font_draw(img, 20, 10, -7, -5, "8888@", 3, 255, 255, 255);
	font_draw(img, 20, 10, 15, 6, "8888", 4, 255, 255, 255);
	font_draw(img, 20, 10, 100, 100, "8", 1, 255, 255, 255);
	for (int i = 0; i < 16; i++)
		inside &= img[20 * 10 * 3 + i] == 0xAB;
	ok(inside, "drawing off the edges stays inside the image");
	memset(img, 0, sizeof img);
	font_draw(img, 20, 10, 0, 0, "1", 1, 9, 9, 9);
	/* '1' row 0 is 0x04: only column 2 lit */
	ok(img[(0 * 20 + 2) * 3] == 9 && img[(0 * 20 + 1) * 3] == 0 && img[(0 * 20 + 3) * 3] == 0, "glyph pixels where the bitmap says");
	uint8_t *a = malloc(64 * 48 * 3), *b = malloc(64 * 48 * 3);
	starfield_render(a, 64, 48, 5, "12:00");
	starfield_render(b, 64, 48, 5, "12:00");
	ok(memcmp(a, b, 64 * 48 * 3) == 0, "same seed, same picture");
	starfield_render(b, 64, 48, 6, "12:00");
	ok(memcmp(a, b, 64 * 48 * 3) != 0, "another seed, another picture");
	free(a);
	free(b);
}

static void
test_jpeg(void)
{
	struct werr e = { 0 };
	uint8_t src[4 * 2] = { 0, 100, 200, 50, 10, 20, 30, 40 }, dst[2];
	int tw, th, w, h;

	is_int(jpeg_thumb_denom(4000, 3000, 320), 8, "12 MP to 320: 1/8");
	is_int(jpeg_thumb_denom(1280, 960, 320), 4, "1280 to 320: 1/4");
	is_int(jpeg_thumb_denom(1000, 600, 320), 2, "1000 to 320: 1/2 (1/4 would be 250)");
	is_int(jpeg_thumb_denom(200, 100, 320), 1, "small image: full scale");
	jpeg_thumb_size(4000, 3000, 320, &tw, &th);
	ok(tw == 320 && th == 240, "thumb size keeps aspect");
	jpeg_thumb_size(1000, 3000, 320, &tw, &th);
	ok(tw == 107 && th == 320, "portrait");
	jpeg_thumb_size(100, 50, 320, &tw, &th);
	ok(tw == 100 && th == 50, "never enlarged");
	resample_area(src, 4, 2, 1, dst, 2, 1);
	ok(dst[0] == (0 + 100 + 10 + 20 + 2) / 4 && dst[1] == (200 + 50 + 30 + 40 + 2) / 4, "area average: %d %d", dst[0], dst[1]);
	uint8_t *px = malloc(333 * 211 * 3), *jpg, *t;
	size_t n, tl;
	starfield_render(px, 333, 211, 1, "X");
	ok(jpeg_encode(px, 333, 211, 3, 333 * 3, 90, &jpg, &n, &e) == 0, "encode");
	ok(jpeg_info(jpg, n, &w, &h, &e) == 0 && w == 333 && h == 211, "info");
	ok(jpeg_thumbnail(jpg, n, 100, 80, &t, &tl, &tw, &th, &e) == 0 && tw == 100 && th == 63, "thumbnail %dx%d", tw, th);
	ok(jpeg_info(t, tl, &w, &h, &e) == 0 && w == 100 && h == 63, "thumbnail decodes");
	free(t);
	ok(jpeg_info((const uint8_t *)"nope", 4, &w, &h, &e) < 0 && e.code == EX_DATAERR, "not a JPEG");
	e.code = 0;
	ok(jpeg_thumbnail(jpg, n / 3, 100, 80, &t, &tl, &tw, &th, &e) == 0 || e.code == EX_DATAERR,
	    "truncated JPEG: a thumbnail or a data error, never a crash");
	if (e.code == 0)
		free(t);
	ok(jpeg_encode(px, 0, 5, 3, 0, 90, &t, &tl, &e) < 0, "bad geometry refused");

	/* EXIF */
	char dt[64];
	uint8_t *x, *y;
	size_t xl, yl, off, sl;
	ok(exif_get_datetime_original(jpg, n, dt, sizeof dt) < 0, "fresh JPEG has no DateTimeOriginal");
	ok(exif_set_datetime_original(jpg, n, 1795500858123LL, &x, &xl, &e) == 0, "set: %s", e.msg);
	ok(exif_get_datetime_original(x, xl, dt, sizeof dt) == 0, "read back");
	is_str(dt, "2026:11:24 06:14:18", "UTC time");
	ok(jpeg_find_exif(x, xl, &off, &sl) == 0 && x[off + 1] == 0xE1, "APP1 found");
	ok(jpeg_info(x, xl, &w, &h, &e) == 0 && w == 333, "still a JPEG");
	/* setting again replaces the block instead of stacking a second one */
	ok(exif_set_datetime_original(x, xl, 1000, &y, &yl, &e) == 0, "set again");
	exif_get_datetime_original(y, yl, dt, sizeof dt);
	is_str(dt, "1970:01:01 00:00:01", "replaced");
	ok(jpeg_find_exif(y, yl, &off, &sl) == 0, "EXIF in the new one");
	y[off + 4] = 'X'; /* hide the first: a second one would be found now */
	ok(jpeg_find_exif(y, yl, &off, &sl) < 0, "one EXIF block, not two");
	ok(exif_set_datetime_original((const uint8_t *)"GIF89a", 6, 0, &t, &tl, &e) < 0 && e.code == EX_DATAERR, "non-JPEG refused");
	free(x);
	free(y);
	free(jpg);
	free(px);
}

static void
test_args(void)
{
	struct werr e = { 0 };
	struct capsrc_opts o = { .kind = SRC_RPICAM, .exposure_us = -1, .gain = -1, .quality = 90 };
	char buf[4096], *argv[48], y[512];
	int64_t us;

	ok(parse_exposure_us("30s", &us, &e) == 0 && us == 30000000, "30s");
	ok(parse_exposure_us("1/250", &us, &e) == 0 && us == 4000, "1/250");
	ok(parse_exposure_us("2m", &us, &e) == 0 && us == 120000000, "2m");
	ok(parse_exposure_us("0.5", &us, &e) == 0 && us == 500000, "bare seconds, fraction");
	ok(parse_exposure_us("800us", &us, &e) == 0 && us == 800, "us");
	ok(parse_exposure_us("2h", &us, &e) < 0 && strstr(e.msg, "--exposure"), "over an hour refused");
	ok(parse_exposure_us("fast", &us, &e) < 0 && e.code == EX_USAGE, "junk refused");
	ok(parse_exposure_us("1/0", &us, &e) < 0, "zero denominator refused");

	o.exposure_us = 5000000;
	is_int(capsrc_timeout_ms(&o), 10000 + 3 * 5000, "timeout from exposure");
	o.settle = 2;
	is_int(capsrc_timeout_ms(&o), 10000 + 5 * 5000, "settle frames count");
	o.timeout_ms = 1234;
	is_int(capsrc_timeout_ms(&o), 1234, "explicit timeout wins");
	o.timeout_ms = 0;
	int n = rpicam_argv(&o, "rpicam-still", "/x/o.jpg", argv, 48, buf, sizeof buf);
	ok(n > 0 && argv[n] == NULL, "argv NULL-terminated");
	int found = 0;
	for (int i = 0; i + 1 < n; i++)
		found += (strcmp(argv[i], "--timeout") == 0 && strcmp(argv[i + 1], "10000") == 0) +
		    (strcmp(argv[i], "--shutter") == 0 && strcmp(argv[i + 1], "5000000") == 0);
	is_int(found, 2, "shutter in us, settle as N frame times");
	ok(rpicam_argv(&o, "rpicam-still", "/x/o.jpg", argv, 4, buf, sizeof buf) < 0, "too small argv refused");
	o.exposure_us = -1;
	o.awb = "auto";
	ok(cam_script(&o, y, sizeof y) == 0 && y[0] == '\0', "all automatic: no script");
	o.gain = 8;
	o.awb = "1.5,2";
	ok(cam_script(&o, y, sizeof y) == 0 && strstr(y, "AnalogueGain: 8\n") && strstr(y, "ColourGains: [1.5, 2]") &&
	        !strstr(y, "ExposureTime"),
	    "script: gain and colour gains");
	ok(cam_script(&o, y, 10) < 0, "script too long for buffer refused");
	n = cam_argv(&o, "cam", "2", "/d/frame-#.bin", "", argv, 16, buf, sizeof buf);
	ok(n == 5 && strcmp(argv[1], "--camera=2") == 0 && strcmp(argv[2], "--capture=3") == 0, "cam argv");
}

static void
test_child(const char *dir)
{
	struct werr e = { 0 };
	struct child_result r;
	char *echo[] = { "sh", "-c", "echo out; echo err >&2; exit 3", NULL };
	char *slow[] = { "sh", "-c", "trap '' TERM; sleep 5", NULL };
	char *none[] = { "no-such-program-here", NULL };
	char why[600];

	ok(child_run(echo, 5000, 1000, &r, &e) == 0, "runs");
	ok(r.exited && r.status == 3 && !r.timed_out, "exit status");
	is_str(r.out.p, "out\n", "stdout captured");
	ok(strstr(r.err, "err") != NULL, "stderr tail kept");
	child_describe(&r, why, sizeof why);
	ok(strstr(why, "exited 3") != NULL, "described: %s", why);
	child_result_free(&r);
	long long t0 = mono_ms();
	ok(child_run(slow, 300, 300, &r, &e) == 0 && r.timed_out && r.killed_hard, "deadline: TERM ignored, KILLed");
	ok(mono_ms() - t0 < 2000, "within deadline + grace");
	child_result_free(&r);
	ok(child_run(none, 1000, 100, &r, &e) < 0 && e.code == EX_UNAVAILABLE && strstr(e.msg, "no-such-program"),
	    "missing program named");
	ok(!in_path("no-such-program-here") && in_path("sh"), "in_path");

	char ev[4096];
	cJSON *o = event_new("overrun");
	ok(event_append(dir, o, &e) == 0 && event_append(dir, o, &e) == 0, "append events");
	cJSON_Delete(o);
	snprintf(ev, sizeof ev, "%s/events.jsonl", dir);
	char *txt;
	size_t n;
	ok(read_file(ev, &txt, &n, &e) == 0 && strncmp(txt, "{\"event\":\"overrun\",\"ts\":", 24) == 0 &&
	        strchr(txt, '\n') != NULL && txt[n - 1] == '\n',
	    "one JSON line per event");
	free(txt);
	o = cJSON_CreateObject();
	ok(event_append("/nonexistent", o, &e) < 0, "unwritable log reported");
	cJSON_Delete(o);
}

int
main(void)
{
	char dir[] = "/tmp/test_capture.XXXXXX", cmd[128];

	if (mkdtemp(dir) == NULL)
		return 1;
	test_schedule();
	test_font();
	test_jpeg();
	test_args();
	test_child(dir);
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	if (system(cmd) != 0)
		return 1;
	return done_testing();
}
