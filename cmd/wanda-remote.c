/* wanda-remote: the remote pinning stage. In the pipeline it passes
 * wanda-push's result lines through unchanged, recording each capture for
 * every configured remote target (IPFS Cluster or a Pinning Service), and
 * a worker thread requests and confirms the pins in the background; drain,
 * status and retry work on the same files. */
#include <err.h>
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>
#include <curl/curl.h>
#include <limits.h>
#include "base/atomicio.h"
#include "base/cli.h"
#include "base/config.h"
#include "base/jsonl.h"
#include "base/path.h"
#include "kubo/kubo_cli.h"
#include "remote/remote.h"

#define PROG "wanda-remote"

struct opts {
	const char *jq;
	const char *target;
	int64_t wait_ms;    /* drain: give up after this long */
	struct kubo_cli kc; /* --api, --timeout, --retries: this node's addresses */
};

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: " PROG " [--target NAME] [--home DIR] [--api URL] [--timeout DURATION]\n"
	    "                    [--retries N] [--jq FILTER]\n"
	    "       " PROG " drain [--wait DURATION] [--target NAME]\n"
	    "       " PROG " status [--target NAME]\n"
	    "       " PROG " retry [--target NAME]\n"
	    "       " PROG " backfill [--target NAME]\n"
	    "options:\n"
	    "  --target NAME        only that remote target (remote.NAME.* in wanda.conf)\n"
	    "  --wait DURATION      drain: give up waiting after this long (default 10m)\n"
	    "  --home DIR           WANDA home (config home)\n"
	    "  --api URL            Kubo RPC API, for this node's addresses (config api)\n"
	    "  --timeout DURATION   that daemon call, and its silence (default 3s)\n"
	    "  --retries N          extra attempts of it (default 0)\n"
	    "  --jq FILTER          reshape the JSON output (not the lines passed through)\n"
	    "  --help, --version\n");
}

/* ---- the worker --------------------------------------------------------- */

struct worker {
	struct remote_set *rs;
	pthread_t th;
	int wake[2];     /* a byte: new entries, or stop */
	atomic_int stop; /* set by the main thread at the end of input */
	int warned_auth;
	int lockfd;
};

/* Passes of concurrent workers (the pipeline's and a drain) take turns. */
static int
pass_locked(struct worker *w, remote_note_fn fn, void *ctx, struct remote_pass *p, struct werr *e)
{
	int rc;

	if (w->lockfd >= 0 && flock(w->lockfd, LOCK_EX) < 0)
		return werr_sys(e, EX_OSERR, "remote lock");
	rc = remote_work(w->rs, fn, ctx, p, e);
	if (w->lockfd >= 0)
		flock(w->lockfd, LOCK_UN);
	return rc;
}

static int
open_lock(const struct remote_set *rs, struct werr *e)
{
	char dir[PATH_MAX], path[PATH_MAX];
	int fd;

	if (path_join(dir, sizeof dir, rs->home, "remote", e) < 0 || mkdir_p(dir, 0755, e) < 0 ||
	    path_join(path, sizeof path, dir, ".lock", e) < 0)
		return -1;
	if ((fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644)) < 0)
		return werr_sys(e, EX_CANTCREAT, "%s", path);
	return fd;
}

static void
warn_note(void *ctx, const cJSON *l)
{
	const char *st = cJSON_GetStringValue(cJSON_GetObjectItem(l, "state"));

	(void)ctx;
	if (st && strcmp(st, "failed") == 0)
		warnx("%s: %s: %s", cJSON_GetStringValue(cJSON_GetObjectItem(l, "target")),
		    cJSON_GetStringValue(cJSON_GetObjectItem(l, "id")),
		    cJSON_GetStringValue(cJSON_GetObjectItem(l, "error")));
}

/* How long to sleep until p's next due entry: at most 30 s. */
static int
sleep_for(const struct remote_pass *p)
{
	long long d = p->next_ms ? p->next_ms - wall_ms() : 30000;

	return d < 10 ? 10 : d > 30000 ? 30000 :
	                                 (int)d;
}

static void
auth_warning(struct worker *w)
{
	cJSON *st;

	if (w->warned_auth)
		return;
	w->warned_auth = 1;
	st = remote_status_json(w->rs, 0, NULL);
	for (cJSON *t = st ? st->child : NULL; t; t = t->next)
		if (cJSON_GetStringValue(cJSON_GetObjectItem(t, "error")) &&
		    strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(t, "health")), "auth") == 0)
			warnx("%s (permanent: fix the token and restart)",
			    cJSON_GetStringValue(cJSON_GetObjectItem(t, "error")));
	cJSON_Delete(st);
}

static void *
worker_main(void *arg)
{
	struct worker *w = arg;
	char buf[256];

	while (!atomic_load(&w->stop)) {
		struct remote_pass p;
		struct werr e = { 0 };
		struct pollfd pf = { w->wake[0], POLLIN, 0 };
		int t;
		if (pass_locked(w, warn_note, NULL, &p, &e) < 0) {
			warnx("%s", e.msg); /* the local pipeline goes on; so do we, later */
			p.next_ms = wall_ms() + 5000;
		}
		if (p.auth_failed)
			auth_warning(w);
		t = sleep_for(&p);
		if (poll(&pf, 1, t) > 0)
			while (read(w->wake[0], buf, sizeof buf) == (ssize_t)sizeof buf)
				;
	}
	return NULL;
}

static void
kick(struct worker *w)
{
	char c = 1;

	if (write(w->wake[1], &c, 1) < 0 && errno != EAGAIN)
		warn("worker wake-up");
}

/* ---- the pipeline stage ------------------------------------------------- */

static int
enqueue_line(struct remote_set *rs, const char *line, long lineno)
{
	struct werr e = { 0 };
	cJSON *o = cJSON_Parse(line);
	int n = 0;

	if (cJSON_IsObject(o) && (n = remote_enqueue(rs, o, &e)) < 0)
		warnx("stdin:%ld: %s", lineno, e.msg);
	cJSON_Delete(o);
	return n;
}

static int
cmd_stage(struct remote_set *rs, struct werr *e)
{
	struct worker w = { .rs = rs, .lockfd = -1 };
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	long lineno = 0;

	if ((w.lockfd = open_lock(rs, e)) < 0)
		return -1;
	if (pipe2(w.wake, O_NONBLOCK | O_CLOEXEC) < 0)
		return werr_sys(e, EX_OSERR, "pipe");
	if (rs->n > 0 && pthread_create(&w.th, NULL, worker_main, &w) != 0)
		return werr_set(e, EX_OSERR, "cannot start the worker thread");
	cli_input_unbuffered();
	while (cli_wait_input() == 0) {
		struct werr le = { 0 };

		if ((len = jsonl_getline(&line, &cap, stdin, &le)) == -1)
			break;
		lineno++;
		if (len == -2) { /* read through and dropped: nothing to pass on */
			warnx("stdin:%ld: %s", lineno, le.msg);
			continue;
		}
		/* recorded before it goes on: once ack has seen a line, its entry exists */
		if (enqueue_line(rs, line, lineno) > 0)
			kick(&w);
		if (fwrite(line, 1, (size_t)len, stdout) != (size_t)len || fflush(stdout) != 0) {
			werr_sys(e, EX_IOERR, "stdout");
			break;
		}
	}
	free(line);
	atomic_store(&w.stop, 1);
	if (rs->n > 0) {
		kick(&w);
		pthread_join(w.th, NULL);
	}
	close(w.wake[0]);
	close(w.wake[1]);
	close(w.lockfd);
	return e->code ? -1 : 0;
}

/* ---- drain, status, retry ----------------------------------------------- */

struct drain {
	struct jsonl *out;
	size_t pinned, failed;
	int rc;
	struct werr *e;
};

static void
drain_note(void *ctx, const cJSON *l)
{
	struct drain *d = ctx;
	const char *st = cJSON_GetStringValue(cJSON_GetObjectItem(l, "state"));

	if (st && strcmp(st, "pinned") == 0)
		d->pinned++;
	else
		d->failed++;
	if (jsonl_emit(d->out, l, d->e) < 0)
		d->rc = -1;
}

static int
cmd_drain(struct remote_set *rs, const struct opts *o, struct jsonl *out, struct werr *e)
{
	struct worker w = { .rs = rs };
	struct drain d = { out, 0, 0, 0, e };
	long long until = wall_ms() + o->wait_ms;
	struct remote_pass p;
	cJSON *l;

	if ((w.lockfd = open_lock(rs, e)) < 0)
		return -1;
	for (;;) {
		int rc = pass_locked(&w, drain_note, &d, &p, e);
		if (rc < 0 || d.rc < 0)
			break;
		if (p.pending == 0 || p.auth_failed || wall_ms() >= until)
			break;
		struct timespec ts = { 0, 0 };
		long long ms = sleep_for(&p);
		if (wall_ms() + ms > until)
			ms = until - wall_ms() > 0 ? until - wall_ms() : 0;
		ts.tv_sec = ms / 1000;
		ts.tv_nsec = (ms % 1000) * 1000000L;
		nanosleep(&ts, NULL);
	}
	close(w.lockfd);
	if (e->code)
		return -1;
	l = cJSON_CreateObject();
	cJSON_AddBoolToObject(l, "summary", 1);
	cJSON_AddNumberToObject(l, "pinned", (double)d.pinned);
	cJSON_AddNumberToObject(l, "failed", (double)p.failed);
	cJSON_AddNumberToObject(l, "pending", (double)p.pending);
	if (jsonl_emit_take(out, l, e) < 0)
		return -1;
	if (p.auth_failed) {
		cJSON *st = remote_status_json(rs, 0, NULL);
		for (cJSON *t = st->child; t; t = t->next)
			if (strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(t, "health")), "auth") == 0)
				werr_set(e, EX_CONFIG, "%s", cJSON_GetStringValue(cJSON_GetObjectItem(t, "error")));
		cJSON_Delete(st);
		return -1;
	}
	if (p.pending > 0)
		return werr_set(e, EX_TEMPFAIL, "%zu pins not confirmed yet (wanda-remote status)", p.pending);
	if (p.failed > 0)
		return werr_set(e, EX_UNAVAILABLE, "%zu pins failed (wanda-remote status; retry)", p.failed);
	return 0;
}

static int
cmd_status(struct remote_set *rs, struct jsonl *out, struct werr *e)
{
	cJSON *a = remote_status_json(rs, 1, e);
	int rc = 0;

	if (a == NULL)
		return -1;
	for (cJSON *t = a->child; t && rc == 0; t = t->next)
		rc = jsonl_emit(out, t, e);
	cJSON_Delete(a);
	return rc;
}

static int
cmd_retry(struct remote_set *rs, const struct opts *o, struct jsonl *out, struct werr *e)
{
	size_t n;
	cJSON *l;

	if (remote_retry(rs, o->target, &n, e) < 0)
		return -1;
	l = cJSON_CreateObject();
	cJSON_AddNumberToObject(l, "requeued", (double)n);
	return jsonl_emit_take(out, l, e);
}

static int
cmd_backfill(struct remote_set *rs, struct jsonl *out, struct werr *e)
{
	size_t n;
	cJSON *l;

	if (remote_backfill(rs, &n, e) < 0)
		return -1;
	l = cJSON_CreateObject();
	cJSON_AddNumberToObject(l, "queued", (double)n);
	return jsonl_emit_take(out, l, e);
}

/* ---- main --------------------------------------------------------------- */

static int
parse_args(int argc, char **argv, struct config *c, struct opts *o, struct werr *e)
{
	static const struct option lo[] = {
		CLI_COMMON_LONGOPTS,
		KUBO_CLI_LONGOPTS,
		{ "target", required_argument, NULL, 't' },
		{ "wait", required_argument, NULL, 'W' },
		{ "home", required_argument, NULL, 'H' },
		{ NULL, 0, NULL, 0 },
	};
	static const struct cli_key_opt keys[] = { { 'H', "home" }, { 0, NULL } };
	int ch;

	o->wait_ms = 600000;
	/* 3 s, no retries: the addresses are a hint, a pin request goes without them */
	kubo_cli_init(&o->kc, c, 3000, 0);
	while ((ch = kubo_cli_getopt(&o->kc, keys, argc, argv, "", lo, e)) != -1) {
		switch (ch) {
		case KUBO_CLI_BAD: return -1;
		case 'h': usage(stdout); exit(0);
		case 'V': cli_version(PROG); exit(0);
		case 'J': o->jq = optarg; break;
		case 't': o->target = optarg; break;
		case 'W':
			if (parse_duration_ms(optarg, &o->wait_ms, "--wait", e) < 0)
				return -1;
			break;
		default:
			usage(stderr);
			exit(EX_USAGE);
		}
	}
	return optind;
}

static int
run(struct remote_set *rs, const struct opts *o, struct jsonl *out, int argc, char **argv,
    struct werr *e)
{
	if (argc > 1)
		return werr_set(e, EX_USAGE, "%s: unexpected argument '%s'", argv[0], argv[1]);
	if (argc == 0)
		return cmd_stage(rs, e);
	if (rs->n == 0)
		return werr_set(e, EX_CONFIG, "no remote target configured (remote.NAME.url in wanda.conf)");
	if (strcmp(argv[0], "drain") == 0)
		return cmd_drain(rs, o, out, e);
	if (strcmp(argv[0], "status") == 0)
		return cmd_status(rs, out, e);
	if (strcmp(argv[0], "retry") == 0)
		return cmd_retry(rs, o, out, e);
	if (strcmp(argv[0], "backfill") == 0)
		return cmd_backfill(rs, out, e);
	return werr_set(e, EX_USAGE, "%s: unknown command", argv[0]);
}

int
main(int argc, char **argv)
{
	struct remote_set rs;
	struct werr e = { 0 };
	struct opts o = { 0 };
	struct config *c;
	struct jsonl *out;
	int first, rc;

	if ((c = config_load(&e)) == NULL)
		errx(e.code, "%s", e.msg);
	if ((first = parse_args(argc, argv, c, &o, &e)) < 0)
		errx(e.code, "%s", e.msg);
	curl_global_init(CURL_GLOBAL_DEFAULT); /* before the worker thread */
	if (remote_load(c, o.target, &rs, &e) < 0)
		errx(e.code, "%s", e.msg);
	kubo_cli_opts(&o.kc, &rs.kubo);
	if ((out = jsonl_open(stdout, o.jq, &e)) == NULL)
		errx(e.code, "%s", e.msg);
	rc = run(&rs, &o, out, argc - first, argv + first, &e);
	jsonl_close(out);
	remote_free(&rs);
	config_free(c);
	curl_global_cleanup();
	if (rc < 0)
		errx(e.code ? e.code : EX_SOFTWARE, "%s", e.msg);
	return 0;
}
