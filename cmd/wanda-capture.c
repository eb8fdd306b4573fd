/* wanda-capture: take pictures into $WANDA_HOME, one JSON line each. */
#include <err.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "base/atomicio.h"
#include "capture/capsrc.h"
#include "base/childrun.h"
#include "capture/capture.h"
#include "capture/sessions.h"
#include "capture/captureid.h"
#include "base/cli.h"
#include "base/config.h"
#include "base/eventlog.h"
#include "base/jsonl.h"
#include "base/path.h"
#include "capture/schedule.h"
#include "base/werr.h"

#define PROG "wanda-capture"

/* The one piece of global state: set by SIGINT/SIGTERM, read between
 * captures, so a timelapse ends after the capture in progress. */
static volatile sig_atomic_t stop_requested;

struct run {
	struct config *cfg;
	struct jsonl *out;
	struct capsrc_opts src;
	struct capture_env env;
	char session[80];
	char node[32];
	int64_t interval_ms, duration_ms;
	long count;
	uint64_t min_free;
	int move;
	char **files;
	int nfiles;
	int failures, last_code;
	int disk_low;      /* the disk guard holds captures back */
	uint64_t low_need; /* the room the capture that went low needed */
	long disk_skipped; /* slots skipped meanwhile */
};

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: wanda-capture [--source test|file|cam|rpicam] [--session NAME]\n"
	    "                     [--exposure TIME] [--gain G] [--awb MODE|R,B] [--width PX] [--height PX]\n"
	    "                     [--raw] [--settle N] [--quality Q] [--camera ID] [--seed N] [--timeout TIME]\n"
	    "                     [--interval TIME] [--count N] [--duration TIME] [--min-free SIZE]\n"
	    "                     [--thumb-size PX] [--node NAME] [--no-queue] [--move] [--jq FILTER] [FILE ...]\n"
	    "       wanda-capture session start|stop NAME\n"
	    "       wanda-capture session list\n"
	    "       wanda-capture --help | --version\n");
}

static void
on_signal(int sig)
{
	(void)sig;
	stop_requested = 1;
}

static void
die(struct werr *e)
{
	errx(e->code ? e->code : EX_SOFTWARE, "%s", e->msg);
}

/* An event: one JSON line on stdout, one line in events.jsonl, a message on stderr. */
static void
emit_event(struct run *r, cJSON *ev, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void
emit_event(struct run *r, cJSON *ev, const char *fmt, ...)
{
	struct werr e = { 0 };
	char msg[700];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	cJSON_AddStringToObject(ev, "session", r->session);
	cJSON_AddStringToObject(ev, "message", msg);
	fprintf(stderr, "%s: %s\n", PROG, msg);
	if (event_append(r->env.home, ev, &e) < 0)
		fprintf(stderr, "%s: %s\n", PROG, e.msg);
	if (jsonl_emit_take(r->out, ev, &e) < 0)
		die(&e);
}

static void
set_config_flag(struct run *r, const char *key, const char *val)
{
	struct werr e = { 0 };

	if (config_set(r->cfg, key, val, &e) < 0)
		die(&e);
}

static long
num_arg(const char *s, long lo, long hi, const char *what)
{
	struct werr e = { 0 };
	long v;

	if (parse_long(s, lo, hi, &v, what, &e) < 0)
		die(&e);
	return v;
}

enum { O_SOURCE = 256,
	O_SESSION,
	O_EXPOSURE,
	O_GAIN,
	O_AWB,
	O_WIDTH,
	O_HEIGHT,
	O_RAW,
	O_SETTLE,
	O_QUALITY,
	O_CAMERA,
	O_SEED,
	O_TIMEOUT,
	O_INTERVAL,
	O_COUNT,
	O_DURATION,
	O_MINFREE,
	O_THUMB,
	O_NODE,
	O_NOQUEUE,
	O_MOVE };

static const struct option longopts[] = {
	{ "source", required_argument, NULL, O_SOURCE }, { "session", required_argument, NULL, O_SESSION },
	{ "exposure", required_argument, NULL, O_EXPOSURE }, { "gain", required_argument, NULL, O_GAIN },
	{ "awb", required_argument, NULL, O_AWB }, { "width", required_argument, NULL, O_WIDTH },
	{ "height", required_argument, NULL, O_HEIGHT }, { "raw", no_argument, NULL, O_RAW },
	{ "settle", required_argument, NULL, O_SETTLE }, { "quality", required_argument, NULL, O_QUALITY },
	{ "camera", required_argument, NULL, O_CAMERA }, { "seed", required_argument, NULL, O_SEED },
	{ "timeout", required_argument, NULL, O_TIMEOUT }, { "interval", required_argument, NULL, O_INTERVAL },
	{ "count", required_argument, NULL, O_COUNT }, { "duration", required_argument, NULL, O_DURATION },
	{ "min-free", required_argument, NULL, O_MINFREE }, { "thumb-size", required_argument, NULL, O_THUMB },
	{ "node", required_argument, NULL, O_NODE }, { "no-queue", no_argument, NULL, O_NOQUEUE },
	{ "move", no_argument, NULL, O_MOVE },
	CLI_COMMON_LONGOPTS,
	{ NULL, 0, NULL, 0 }
};

/* Flags that have a config key go through config_set, so that file, env
 * and flag follow one precedence; the rest are read here. */
static void
parse_args(struct run *r, int argc, char **argv, const char **jq)
{
	int c;

	while ((c = getopt_long(argc, argv, "hV", longopts, NULL)) != -1) {
		switch (c) {
		case O_SOURCE: set_config_flag(r, "source", optarg); break;
		case O_SESSION: set_config_flag(r, "session", optarg); break;
		case O_EXPOSURE: set_config_flag(r, "exposure", optarg); break;
		case O_GAIN: set_config_flag(r, "gain", optarg); break;
		case O_AWB: set_config_flag(r, "awb", optarg); break;
		case O_WIDTH: set_config_flag(r, "width", optarg); break;
		case O_HEIGHT: set_config_flag(r, "height", optarg); break;
		case O_RAW: set_config_flag(r, "raw", "1"); break;
		case O_SETTLE: set_config_flag(r, "settle", optarg); break;
		case O_QUALITY: set_config_flag(r, "quality", optarg); break;
		case O_CAMERA: set_config_flag(r, "camera", optarg); break;
		case O_SEED: r->src.seed = (uint64_t)num_arg(optarg, 0, 2147483647L, "--seed"); break;
		case O_TIMEOUT: set_config_flag(r, "capture_timeout", optarg); break;
		case O_INTERVAL: set_config_flag(r, "interval", optarg); break;
		case O_COUNT: r->count = num_arg(optarg, 1, 100000000L, "--count"); break;
		case O_DURATION: set_config_flag(r, "duration", optarg); break;
		case O_MINFREE: set_config_flag(r, "min_free", optarg); break;
		case O_THUMB: set_config_flag(r, "thumb_size", optarg); break;
		case O_NODE: set_config_flag(r, "node", optarg); break;
		case O_NOQUEUE: r->env.no_queue = 1; break;
		case O_MOVE: r->move = 1; break;
		case 'J': *jq = optarg; break;
		case 'h': usage(stdout); exit(0);
		case 'V': cli_version(PROG); exit(0);
		default: usage(stderr); exit(EX_USAGE);
		}
	}
}

static const char *
default_source(void)
{
	if (in_path("rpicam-still") || in_path("libcamera-still"))
		return "rpicam";
	if (in_path("cam"))
		return "cam";
	return "test";
}

static void
read_source_opts(struct run *r, struct werr *e)
{
	const char *v;
	int64_t ms;

	v = config_get_or(r->cfg, "source", default_source());
	if ((r->src.kind = capsrc_kind_from_name(v)) < 0)
		errx(EX_USAGE, "--source: unknown source \"%s\" (test, file, cam, rpicam)", v);
	r->src.exposure_us = -1;
	if ((v = config_get(r->cfg, "exposure")) && parse_exposure_us(v, &r->src.exposure_us, e) < 0)
		die(e);
	r->src.gain = -1;
	if ((v = config_get(r->cfg, "gain"))) {
		char *end;
		r->src.gain = strtod(v, &end);
		if (*end || end == v || r->src.gain < 0 || r->src.gain > 1000)
			errx(EX_USAGE, "--gain: bad gain \"%s\"", v);
	}
	r->src.awb = config_get(r->cfg, "awb");
	r->src.width = (int)num_arg(config_get_or(r->cfg, "width", "0"), 0, 20000, "--width");
	r->src.height = (int)num_arg(config_get_or(r->cfg, "height", "0"), 0, 20000, "--height");
	r->src.raw = strcmp(config_get_or(r->cfg, "raw", "0"), "0") != 0;
	r->src.settle = (int)num_arg(config_get_or(r->cfg, "settle", "0"), 0, 1000, "--settle");
	r->src.quality = (int)num_arg(config_get_or(r->cfg, "quality", "92"), 1, 100, "--quality");
	r->src.camera = config_get(r->cfg, "camera");
	r->src.max_pixels = num_arg(config_get_or(r->cfg, "max_pixels", "100000000"), 0, 4000000000L,
	    "max_pixels");
	if ((v = config_get(r->cfg, "capture_timeout"))) {
		if (parse_duration_ms(v, &ms, "--timeout", e) < 0)
			die(e);
		r->src.timeout_ms = ms;
	}
	if (r->src.raw && r->src.kind != SRC_RPICAM)
		errx(EX_USAGE, "--raw: only the rpicam source writes DNG");
}

static void
read_run_opts(struct run *r, struct werr *e)
{
	const char *v;
	char host[256] = "";

	if ((v = config_get(r->cfg, "interval")) && parse_duration_ms(v, &r->interval_ms, "--interval", e) < 0)
		die(e);
	if ((v = config_get(r->cfg, "duration")) && parse_duration_ms(v, &r->duration_ms, "--duration", e) < 0)
		die(e);
	if (parse_size(config_get_or(r->cfg, "min_free", "64M"), &r->min_free, "--min-free", e) < 0)
		die(e);
	r->env.thumb_size = (int)num_arg(config_get_or(r->cfg, "thumb_size", "320"), 16, 2048, "--thumb-size");
	r->env.thumb_quality = 80;
	gethostname(host, sizeof host - 1);
	captureid_node(config_get_or(r->cfg, "node", host), r->node, sizeof r->node);
	r->env.node = r->node;
	r->env.home = config_home(r->cfg);
	if ((v = config_get(r->cfg, "session")))
		snprintf(r->session, sizeof r->session, "%s", v);
	else
		session_default_name(wall_ms(), r->session, sizeof r->session);
	r->env.session = r->session;
}

static int
session_cmd(struct run *r, int argc, char **argv)
{
	struct werr e = { 0 };
	char id[CAPTUREID_MAX];
	int created;
	cJSON *o, *ev;

	if (argc == 1 && strcmp(argv[0], "list") == 0) {
		cJSON *arr = session_list(r->env.home, &e), *it;
		cJSON_ArrayForEach(it, arr) if (jsonl_emit(r->out, it, &e) < 0)
		    die(&e);
		cJSON_Delete(arr);
		return 0;
	}
	if (argc != 2 || (strcmp(argv[0], "start") && strcmp(argv[0], "stop"))) {
		usage(stderr);
		return EX_USAGE;
	}
	o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "session", argv[1]);
	if (strcmp(argv[0], "start") == 0) {
		if (session_open(r->env.home, argv[1], 1, &created, &e) < 0)
			die(&e);
		cJSON_AddStringToObject(o, "state", "open");
		cJSON_AddBoolToObject(o, "created", created);
	} else {
		if (session_close(r->env.home, argv[1], r->node, id, sizeof id, &e) < 0)
			die(&e);
		cJSON_AddStringToObject(o, "state", "closed");
		cJSON_AddStringToObject(o, "spool_id", id);
		ev = event_new("session_closed");
		cJSON_AddStringToObject(ev, "session", argv[1]);
		if (event_append(r->env.home, ev, &e) < 0)
			fprintf(stderr, "%s: %s\n", PROG, e.msg);
		cJSON_Delete(ev);
	}
	if (jsonl_emit_take(r->out, o, &e) < 0)
		die(&e);
	return 0;
}

/* "capture" in events.jsonl ({id, session, cid}), for wanda-serve's live
 * view; a failure to log is a warning only. */
static void
capture_event(struct run *r, const cJSON *res)
{
	static const char *const keep[] = { "id", "session", "cid" };
	cJSON *ev = event_new("capture");
	struct werr e = { 0 };

	for (size_t i = 0; i < sizeof keep / sizeof keep[0]; i++) {
		const cJSON *v = cJSON_GetObjectItemCaseSensitive(res, keep[i]);
		if (cJSON_IsString(v))
			cJSON_AddStringToObject(ev, keep[i], v->valuestring);
	}
	if (event_append(r->env.home, ev, &e) < 0)
		fprintf(stderr, "%s: %s\n", PROG, e.msg);
	cJSON_Delete(ev);
}

static void
capture_failed(struct run *r, long k, int timed_out, struct werr *e)
{
	cJSON *ev = event_new(timed_out ? "timeout" : "capture-failed");

	cJSON_AddNumberToObject(ev, "slot", (double)k);
	cJSON_AddNumberToObject(ev, "code", e->code);
	emit_event(r, ev, "capture %ld failed: %s", k, e->msg);
	r->failures++;
	r->last_code = e->code ? e->code : EX_SOFTWARE;
}

/* Disk guard: 1 when `need` bytes can be written and --min-free still be
 * left (--min-free 0 turns it off). Reports entering and leaving the low
 * state once each. */
static int
disk_ok(struct run *r, uint64_t need)
{
	struct werr e = { 0 };
	char dir[PATH_MAX];
	uint64_t avail;

	if (r->min_free == 0)
		return 1;
	if (path_join(dir, sizeof dir, r->env.home, "captures", &e) < 0 || disk_free(dir, &avail, &e) < 0)
		die(&e);
	/* hysteresis: once low, only the room the refused capture needed
	 * ends it (the slot's pre-check asks for none, the capture for its
	 * size: without this they would alternate disk-low / disk-ok) */
	if (r->disk_low && need < r->low_need)
		need = r->low_need;
	if (avail >= r->min_free + need) {
		if (r->disk_low) {
			cJSON *ev = event_new("disk-ok");
			cJSON_AddNumberToObject(ev, "free", (double)avail);
			cJSON_AddNumberToObject(ev, "skipped", (double)r->disk_skipped);
			emit_event(r, ev, "%s: %llu bytes free again, captures resume (%ld skipped)", dir,
			    (unsigned long long)avail, r->disk_skipped);
			r->disk_low = 0;
			r->disk_skipped = 0;
			r->low_need = 0;
		}
		return 1;
	}
	if (!r->disk_low) {
		cJSON *ev = event_new("disk-low");
		cJSON_AddNumberToObject(ev, "free", (double)avail);
		cJSON_AddNumberToObject(ev, "min_free", (double)r->min_free);
		cJSON_AddNumberToObject(ev, "need", (double)need);
		emit_event(r, ev, "%s: %llu bytes free, a capture of %llu would go below --min-free %llu: not capturing",
		    dir, (unsigned long long)avail, (unsigned long long)need, (unsigned long long)r->min_free);
		r->disk_low = 1;
	}
	if (need > r->low_need)
		r->low_need = need;
	r->disk_skipped++;
	r->failures++;
	r->last_code = EX_CANTCREAT;
	return 0;
}

/* One slot: take the picture, store it, print its line. */
static void
capture_slot(struct run *r, long k)
{
	struct werr e = { 0 };
	const char *input = r->src.kind == SRC_FILE ? r->files[k] : NULL;
	struct frame f;
	int timed_out;
	cJSON *res;

	if (capsrc_capture(&r->src, input, wall_ms(), &f, &timed_out, &e) < 0) {
		capture_failed(r, k, timed_out, &e);
		return;
	}
	/* room for the image (twice: EXIF rewrite), its thumbnail and sidecar */
	if (!disk_ok(r, 2 * (uint64_t)f.len + 65536)) {
		frame_free(&f);
		return;
	}
	res = capture_store(&r->env, &r->src, &f, &e);
	frame_free(&f);
	if (res == NULL && input != NULL)
		werr_prefix(&e, "%s", input);
	if (res == NULL) {
		capture_failed(r, k, 0, &e);
		return;
	}
	if (input && r->move && unlink(input) < 0)
		warn("%s: captured, but cannot remove the original", input);
	cJSON_AddNumberToObject(res, "slot", (double)k);
	capture_event(r, res);
	if (jsonl_emit_take(r->out, res, &e) < 0)
		die(&e);
}

static void
on_repair(void *ctx, const char *id, const char *how)
{
	struct run *r = ctx;
	cJSON *ev = event_new("recovered");

	cJSON_AddStringToObject(ev, "id", id);
	cJSON_AddStringToObject(ev, "how", how);
	emit_event(r, ev, "%s: capture interrupted by a crash, %s", id, how);
}

/* Finish what a killed wanda-capture left in this session; failing that
 * is reported and capturing goes on. */
static void
recover(struct run *r)
{
	struct werr e = { 0 };

	if (capture_recover(&r->env, 64, on_repair, r, &e) < 0) {
		cJSON *ev = event_new("recover-failed");
		emit_event(r, ev, "crash recovery: %s", e.msg);
	}
}

/* Sleep until mono time t, waking early for a stop request. */
static void
sleep_until(long long t)
{
	while (!stop_requested) {
		long long left = t - mono_ms();
		if (left <= 0)
			return;
		struct timespec ts = { left / 1000, (left % 1000) * 1000000L };
		if (left > 200)
			ts = (struct timespec){ 0, 200 * 1000000L };
		nanosleep(&ts, NULL);
	}
}

static void
run_schedule(struct run *r)
{
	struct sched s;
	long done = -1, k, nskip;
	long count = r->count;

	if (r->src.kind == SRC_FILE)
		count = r->nfiles;
	else if (count == 0 && r->interval_ms == 0 && r->duration_ms == 0)
		count = 1; /* one-shot */
	sched_init(&s, mono_ms(), r->interval_ms, count, r->duration_ms);
	while (!stop_requested) {
		k = sched_next(&s, done, mono_ms(), &nskip);
		if (nskip > 0) {
			cJSON *ev = event_new("overrun");
			cJSON_AddNumberToObject(ev, "slot", (double)(done + 1));
			cJSON_AddNumberToObject(ev, "skipped", (double)nskip);
			emit_event(r, ev, "capture overran the interval: %ld slot%s from %ld skipped", nskip,
			    nskip == 1 ? "" : "s", done + 1);
		}
		if (k < 0)
			break;
		sleep_until(sched_slot(&s, k));
		if (stop_requested)
			break;
		if (disk_ok(r, 0))
			capture_slot(r, k);
		done = k;
	}
}

int
main(int argc, char **argv)
{
	struct run r = { 0 };
	struct werr e = { 0 };
	const char *jq = NULL;
	int created;

	cli_locale();
	if ((r.cfg = config_load(&e)) == NULL)
		die(&e);
	parse_args(&r, argc, argv, &jq);
	read_run_opts(&r, &e);
	if ((r.out = jsonl_open(stdout, jq, &e)) == NULL)
		die(&e);
	if (optind < argc && strcmp(argv[optind], "session") == 0) {
		int rc = session_cmd(&r, argc - optind - 1, argv + optind + 1);
		jsonl_close(r.out);
		config_free(r.cfg);
		return rc;
	}
	read_source_opts(&r, &e);
	r.files = argv + optind;
	r.nfiles = argc - optind;
	if (r.src.kind == SRC_FILE && r.nfiles == 0)
		errx(EX_USAGE, "--source file: no FILE given");
	if (r.src.kind != SRC_FILE && r.nfiles > 0)
		errx(EX_USAGE, "%s: FILE arguments are for --source file", r.files[0]);
	if (session_open(r.env.home, r.session, 0, &created, &e) < 0)
		die(&e);
	char work[PATH_MAX];
	if (path_fmt(work, sizeof work, &e, "%s/captures/%s", r.env.home, r.session) < 0 ||
	    mkdir_p(work, 0755, &e) < 0)
		die(&e);
	r.src.workdir = work;
	recover(&r);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGPIPE, SIG_IGN);
	run_schedule(&r);
	jsonl_close(r.out);
	config_free(r.cfg);
	return r.failures ? r.last_code : 0;
}
