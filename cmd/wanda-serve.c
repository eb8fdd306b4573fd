/* wanda-serve: the node's web gallery, JSON API and live events. */
#include <err.h>
#include <getopt.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include "base/cli.h"
#include "base/config.h"
#include "remote/remote.h"
#include "base/jsonl.h"
#include "base/path.h"
#include "kubo/kubo_cli.h"
#include "serve/serve.h"

#define PROG "wanda-serve"

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: " PROG " [--listen ADDR:PORT] [--token-file FILE] [--gateway URL]\n"
	    "                   [--public-gateway URL] [--api URL] [--timeout DURATION]\n"
	    "                   [--retries N] [options]\n"
	    "options:\n"
	    "  --listen ADDR:PORT      address to listen on (config serve_listen, 127.0.0.1:8088;\n"
	    "                          port 0 picks a free port)\n"
	    "  --token-file FILE       bearer token for pin/unpin, created 0600 when missing\n"
	    "                          (config serve_token_file, HOME/state/serve.token)\n"
	    "  --gateway URL           local gateway for links (config serve_gateway, http://127.0.0.1:8080)\n"
	    "  --public-gateway URL    public gateway for links and QR codes\n"
	    "                          (config serve_public_gateway, https://ipfs.io)\n"
	    "  --host NAME             also answer to this Host name (config serve_hosts, comma-separated)\n"
	    "  --max-connections N     then 503 (config serve_max_connections, 512)\n"
	    "  --idle-timeout DURATION idle connection timeout (config serve_timeout, 60s)\n"
	    "  --heartbeat DURATION    event stream heartbeat (config serve_heartbeat, 15s)\n"
	    "  --sse-buffer SIZE       events kept for the streams; a client further behind is\n"
	    "                          dropped (config serve_sse_buffer, 1MiB)\n"
	    "  --home DIR              WANDA home (config home)\n"
	    "  --api URL               Kubo RPC API (config api)\n"
	    "  --timeout DURATION      each daemon call, and its silence (30s)\n"
	    "  --retries N             extra attempts of a failed daemon call (0)\n"
	    "  --jq FILTER             reshape the JSON output\n"
	    "  --help, --version\n");
}

enum { O_LISTEN = 256,
	O_TOKEN,
	O_GW,
	O_PUBGW,
	O_HOST,
	O_MAXCONN,
	O_IDLE,
	O_BEAT,
	O_SSEBUF,
	O_HOME };

static const struct option longopts[] = {
	CLI_COMMON_LONGOPTS,
	KUBO_CLI_LONGOPTS,
	{ "listen", required_argument, NULL, O_LISTEN },
	{ "token-file", required_argument, NULL, O_TOKEN },
	{ "gateway", required_argument, NULL, O_GW },
	{ "public-gateway", required_argument, NULL, O_PUBGW },
	{ "host", required_argument, NULL, O_HOST },
	{ "max-connections", required_argument, NULL, O_MAXCONN },
	{ "idle-timeout", required_argument, NULL, O_IDLE },
	{ "heartbeat", required_argument, NULL, O_BEAT },
	{ "sse-buffer", required_argument, NULL, O_SSEBUF },
	{ "home", required_argument, NULL, O_HOME },
	{ NULL, 0, NULL, 0 },
};

/* Flags that are config keys: flag > env > file. */
static const struct cli_key_opt flag_keys[] = {
	{ O_LISTEN, "serve_listen" },
	{ O_TOKEN, "serve_token_file" },
	{ O_GW, "serve_gateway" },
	{ O_PUBGW, "serve_public_gateway" },
	{ O_HOST, "serve_hosts" },
	{ O_MAXCONN, "serve_max_connections" },
	{ O_IDLE, "serve_timeout" },
	{ O_BEAT, "serve_heartbeat" },
	{ O_SSEBUF, "serve_sse_buffer" },
	{ O_HOME, "home" },
	{ 0, NULL },
};

struct out {
	pthread_mutex_t mu;
	struct jsonl *j;
};

static void
log_line(void *ctx, cJSON *line)
{
	struct out *o = ctx;
	struct werr e = { 0 };

	pthread_mutex_lock(&o->mu);
	if (jsonl_emit_take(o->j, line, &e) < 0)
		fprintf(stderr, "%s: %s\n", PROG, e.msg);
	pthread_mutex_unlock(&o->mu);
}

static int
parse_args(int argc, char **argv, struct config *c, struct kubo_cli *kc, const char **jq, struct werr *e)
{
	int ch;

	/* 30 s a call, no retries: a browser asks again */
	kubo_cli_init(kc, c, 30000, 0);
	while ((ch = kubo_cli_getopt(kc, flag_keys, argc, argv, "", longopts, e)) != -1) {
		switch (ch) {
		case KUBO_CLI_BAD: return -1;
		case 'h': usage(stdout); exit(0);
		case 'V': cli_version(PROG); exit(0);
		case 'J': *jq = optarg; break;
		default: usage(stderr); exit(EX_USAGE);
		}
	}
	if (optind != argc) {
		usage(stderr);
		exit(EX_USAGE);
	}
	return 0;
}

static int
settle(const struct config *c, const struct kubo_cli *kc, struct serve_cfg *s, char *api, size_t alen,
    char *tok, size_t tlen, struct werr *e)
{
	int64_t t, hb;
	uint64_t sb;
	long mc;

	serve_cfg_default(s);
	s->home = config_home(c);
	s->listen = config_get_or(c, "serve_listen", s->listen);
	s->gateway = config_get_or(c, "serve_gateway", s->gateway);
	s->public_gateway = config_get_or(c, "serve_public_gateway", s->public_gateway);
	s->hosts = config_get(c, "serve_hosts");
	if (path_fmt(tok, tlen, e, "%s/state/serve.token", s->home) < 0)
		return -1;
	s->token_file = config_get_or(c, "serve_token_file", tok);
	if (parse_long(config_get_or(c, "serve_max_connections", "512"), 1, 100000, &mc,
	        "serve_max_connections", e) < 0 ||
	    parse_duration_ms(config_get_or(c, "serve_timeout", "60s"), &t, "serve_timeout", e) < 0 ||
	    parse_duration_ms(config_get_or(c, "serve_heartbeat", "15s"), &hb, "serve_heartbeat", e) < 0 ||
	    parse_size(config_get_or(c, "serve_sse_buffer", "1MiB"), &sb, "serve_sse_buffer", e) < 0 ||
	    config_api_url(c, api, alen, e) < 0)
		return -1;
	if (t < 1000 || hb < 100)
		return werr_set(e, EX_USAGE, "--idle-timeout must be at least 1s, --heartbeat at least 100ms");
	if (sb < 65536 || sb > (1u << 30))
		return werr_set(e, EX_USAGE, "--sse-buffer: 64KiB to 1GiB");
	s->sse_buffer = (size_t)sb;
	if (parse_long(config_get_or(c, "serve_threads", "2"), 1, 64, &s->threads, "serve_threads", e) < 0)
		return -1;
	s->max_connections = mc;
	s->timeout_s = (long)(t / 1000);
	s->heartbeat_ms = (long)hb;
	s->api_url = api;
	s->daemon_timeout_ms = (long)kc->timeout_ms;
	s->daemon_retries = kc->retries;
	return 0;
}

/* The remote pinning targets, for /api/ipfs/stats. */
static int
load_remotes(const struct config *c, struct serve_cfg *s, struct remote_set *rs, struct werr *e)
{
	if (remote_load(c, NULL, rs, e) < 0)
		return -1;
	s->remotes = rs->n > 0 ? rs : NULL;
	return 0;
}

/* Room for many event streams: raise the descriptor limit to the hard one. */
static void
more_files(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

int
main(int argc, char **argv)
{
	struct werr e = { 0 };
	struct config *c;
	struct serve_cfg sc;
	struct serve *s;
	struct out o = { PTHREAD_MUTEX_INITIALIZER, NULL };
	const char *jq = NULL;
	char api[1024], tok[PATH_MAX];
	struct remote_set rs;
	struct kubo_cli kc;
	sigset_t set;
	int sig;
	cJSON *l;

	if (!(c = config_load(&e)) || parse_args(argc, argv, c, &kc, &jq, &e) < 0 ||
	    settle(c, &kc, &sc, api, sizeof api, tok, sizeof tok, &e) < 0 || load_remotes(c, &sc, &rs, &e) < 0)
		errx(e.code ? e.code : EX_USAGE, "%s", e.msg);
	if (!(o.j = jsonl_open(stdout, jq, &e)))
		errx(e.code, "%s", e.msg);
	/* Signals are taken synchronously below; every thread inherits the mask. */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	more_files();
	if (!(s = serve_start(&sc, log_line, &o, &e)))
		errx(e.code ? e.code : EX_UNAVAILABLE, "%s", e.msg);
	do
		sig = 0;
	while (sigwait(&set, &sig) == 0 && sig == SIGHUP);
	serve_stop(s);
	l = cJSON_CreateObject();
	cJSON_AddStringToObject(l, "event", "stopped");
	cJSON_AddStringToObject(l, "signal", sig == SIGINT ? "INT" : "TERM");
	log_line(&o, l);
	jsonl_close(o.j);
	config_free(c);
	return 0;
}
