/* wanda-discover: find other WANDA nodes over Kubo pubsub, keep
 * state/peers.json (docs/discovery-protocol.md). */
#include <err.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "base/cli.h"
#include "base/config.h"
#include "base/jsonl.h"
#include "base/path.h"
#include "kubo/kubo_cli.h"
#include "net/discover.h"
#include "net/peers.h"

static volatile sig_atomic_t stop_requested;

struct opts {
	const char *jq;
	struct jsonl *out;
	struct kubo_cli kc; /* --api, --timeout, --retries */
};

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: wanda-discover [run] [--api URL] [--timeout DURATION] [--retries N] [--topic TOPIC]\n"
	    "                      [--heartbeat DURATION] [--jq FILTER]\n"
	    "       wanda-discover peers [--jq FILTER]\n"
	    "       wanda-discover announce [--api URL] [--timeout DURATION] [--retries N] [--topic TOPIC]\n"
	    "                      [--jq FILTER]\n"
	    "       wanda-discover --help | --version\n");
}

static void
on_signal(int sig)
{
	(void)sig;
	stop_requested = 1;
}

static void
emit(void *ctx, cJSON *o)
{
	struct opts *op = ctx;
	struct werr e = { 0 };

	if (jsonl_emit_take(op->out, o, &e) < 0)
		warnx("stdout: %s", e.msg);
}

static void
log_line(void *ctx, const char *line)
{
	(void)ctx;
	warnx("%s", line);
}

static int
parse_args(int argc, char **argv, struct opts *op, struct config *cf)
{
	static const struct option lo[] = {
		KUBO_CLI_LONGOPTS,
		{ "topic", required_argument, NULL, 'T' },
		{ "heartbeat", required_argument, NULL, 'H' },
		CLI_COMMON_LONGOPTS,
		{ NULL, 0, NULL, 0 },
	};
	static const struct cli_key_opt keys[] = { { 'T', "discovery_topic" }, { 'H', "heartbeat" }, { 0, NULL } };
	struct werr e = { 0 };
	int ch;

	/* 10 s and one retry: a heartbeat is never held up for long */
	kubo_cli_init(&op->kc, cf, 10000, 1);
	while ((ch = kubo_cli_getopt(&op->kc, keys, argc, argv, "hV", lo, &e)) != -1) {
		switch (ch) {
		case KUBO_CLI_BAD: errx(e.code, "%s", e.msg);
		case 'J': op->jq = optarg; break;
		case 'V': cli_version("wanda-discover"); exit(0);
		case 'h': usage(stdout); exit(0);
		default: usage(stderr); exit(EX_USAGE);
		}
	}
	return optind;
}

/* The config keys into dc (lists are the caller's to free). */
static void
load_cfg(const struct config *cf, const struct kubo_cli *kc, struct discover_cfg *dc, char *api, size_t apilen)
{
	struct werr e = { 0 };
	const char *hb = config_get_or(cf, "heartbeat", "30s");
	long port = 0;
	const char *serve = config_get(cf, "announce_serve"), *cl = config_get_or(cf, "announce_cluster", "no");

	dc->home = config_home(cf);
	dc->topic = config_get_or(cf, "discovery_topic", "wanda/v1/discovery");
	if (*dc->topic == '\0' || strlen(dc->topic) > 256)
		errx(EX_USAGE, "discovery_topic: empty or over 256 bytes");
	if (parse_duration_ms(hb, &dc->heartbeat_ms, "heartbeat", &e) < 0)
		errx(EX_USAGE, "%s", e.msg);
	if (dc->heartbeat_ms < 200 || dc->heartbeat_ms > 3600000)
		errx(EX_USAGE, "heartbeat: %s: must be between 200ms and 1h", hb);
	if (serve != NULL && parse_long(serve, 1, 65535, &port, "announce_serve", &e) < 0)
		errx(EX_USAGE, "%s", e.msg);
	dc->serve_port = (int)port;
	if (parse_bool(cl, &dc->cluster, "announce_cluster", &e) < 0)
		errx(EX_USAGE, "%s", e.msg);
	dc->ipns_key = config_get_or(cf, "ipns_key", "wanda");
	if (discover_list(config_get(cf, "peers_allow"), &dc->allow, &dc->nallow, &e) < 0 ||
	    discover_list(config_get(cf, "peers_static"), &dc->statics, &dc->nstatic, &e) < 0)
		errx(e.code, "%s", e.msg);
	if (config_api_url(cf, api, apilen, &e) < 0)
		errx(e.code, "%s", e.msg);
	dc->api = api;
	kubo_cli_opts(kc, &dc->kubo);
}

static int
cmd_peers(struct opts *op, const struct discover_cfg *dc)
{
	char path[PATH_MAX];
	struct werr e = { 0 };
	cJSON *doc, *it;

	if (path_fmt(path, sizeof path, &e, "%s/state/peers.json", dc->home) < 0 || peers_read(path, &doc, &e) < 0)
		errx(e.code, "%s", e.msg);
	cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(doc, "peers")) if (jsonl_emit(op->out, it, &e) < 0)
	    errx(e.code, "stdout: %s", e.msg);
	cJSON_Delete(doc);
	return 0;
}

int
main(int argc, char **argv)
{
	struct opts op = { 0 };
	struct discover_cfg dc = { .emit = emit, .log = log_line, .ctx = &op, .stop = &stop_requested };
	struct werr e = { 0 };
	struct config *cf;
	char api[1024];
	const char *cmd;
	cJSON *sent = NULL;
	int i, rc = 0;

	if ((cf = config_load(&e)) == NULL)
		errx(e.code, "%s", e.msg);
	i = parse_args(argc, argv, &op, cf);
	cmd = i < argc ? argv[i] : "run";
	if ((strcmp(cmd, "run") != 0 && strcmp(cmd, "peers") != 0 && strcmp(cmd, "announce") != 0) ||
	    argc - i > 1) {
		warnx("%s: unknown command or extra argument", i < argc ? argv[argc - 1] : cmd);
		usage(stderr);
		config_free(cf);
		return EX_USAGE;
	}
	load_cfg(cf, &op.kc, &dc, api, sizeof api);
	if ((op.out = jsonl_open(stdout, op.jq, &e)) == NULL)
		errx(e.code, "%s", e.msg);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGPIPE, SIG_IGN);
	if (strcmp(cmd, "peers") == 0)
		rc = cmd_peers(&op, &dc);
	else if (strcmp(cmd, "announce") == 0) {
		if (discover_announce_once(&dc, &sent, &e) < 0)
			errx(e.code, "%s", e.msg);
		emit(&op, sent);
	} else if (discover_run(&dc, &e) < 0)
		errx(e.code, "%s", e.msg);
	jsonl_close(op.out);
	discover_list_free(dc.allow, dc.nallow);
	discover_list_free(dc.statics, dc.nstatic);
	config_free(cf);
	return rc;
}
