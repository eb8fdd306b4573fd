/* wanda-ipns: the node's IPNS name: key, publish (debounced), resolve,
 * republish, status. */
#include <err.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "base/cli.h"
#include "base/config.h"
#include "site/ipns.h"
#include "base/jsonl.h"
#include "kubo/kubo.h"
#include "kubo/kubo_cli.h"

#define PROG "wanda-ipns"

struct opts {
	struct ipns_cfg cfg;
	int64_t debounce_ms; /* 0 = publish now */
	struct kubo_cli kc;  /* --api, --timeout, --retries */
	int64_t before_ms;
	int background, force, nocache;
	const char *jq;
};

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: " PROG " [options] key\n"
	    "       " PROG " [options] publish [--debounce DURATION [--background]] [CID]\n"
	    "       " PROG " [options] resolve [--nocache] [NAME]\n"
	    "       " PROG " [options] republish [--before DURATION] [--force]\n"
	    "       " PROG " [options] status\n"
	    "options:\n"
	    "  --key NAME            IPNS key name (config ipns_key, default wanda)\n"
	    "  --lifetime DURATION   record lifetime (config ipns_lifetime, default 24h)\n"
	    "  --ttl DURATION        record cache TTL (config ipns_ttl, default 5m)\n"
	    "  --allow-offline       publish even with no peers (config ipns_allow_offline)\n"
	    "  --api URL             the daemon's RPC API (config api)\n"
	    "  --timeout DURATION    silence allowed in a daemon call, the whole call twice that\n"
	    "                        (config ipns_timeout, default 2m)\n"
	    "  --debounce DURATION   publish at most once per DURATION, always the latest root\n"
	    "  --background          with --debounce: return at once, publish in a child process\n"
	    "  --retries N           extra attempts of a daemon call; failed publishes in a row\n"
	    "                        before giving up (default 3)\n"
	    "  --before DURATION     republish when less than this is left (default: half the lifetime)\n"
	    "  --force               republish now\n"
	    "  --nocache             resolve without the daemon's cache\n"
	    "  --jq FILTER           reshape the JSON output\n"
	    "  --help, --version\n");
}

static int
emit_line(void *ctx, cJSON *line, struct werr *e)
{
	return jsonl_emit_take(ctx, line, e);
}

static int
cmd_key(struct kubo *k, const struct opts *o, struct jsonl *out, struct werr *e)
{
	struct kubo_key key;
	int created;
	cJSON *line;

	if (ipns_key(k, o->cfg.key, &key, &created, e) < 0)
		return -1;
	line = cJSON_CreateObject();
	cJSON_AddStringToObject(line, "key", key.name);
	cJSON_AddStringToObject(line, "name", key.id);
	cJSON_AddBoolToObject(line, "created", created);
	return jsonl_emit_take(out, line, e);
}

static int
cmd_resolve(struct kubo *k, const struct opts *o, const char *name, struct jsonl *out,
    struct werr *e)
{
	struct kubo_key key;
	char path[KUBO_NAME_MAX];
	cJSON *line;

	if (!name) {
		if (ipns_key(k, o->cfg.key, &key, NULL, e) < 0)
			return -1;
		name = key.id;
	}
	if (kubo_name_resolve(k, name, o->nocache, path, e) < 0)
		return werr_prefix(e, "resolve %s", name);
	line = cJSON_CreateObject();
	cJSON_AddStringToObject(line, "name", name);
	cJSON_AddStringToObject(line, "value", path);
	if (strncmp(path, "/ipfs/", 6) == 0)
		cJSON_AddStringToObject(line, "cid", path + 6);
	return jsonl_emit_take(out, line, e);
}

/* --background: the child publishes; the caller returns at once. */
static int
detach(void)
{
	pid_t pid = fork();
	int fd;

	if (pid != 0)
		return pid < 0 ? -1 : 1;
	setsid();
	if ((fd = open("/dev/null", O_RDONLY)) >= 0) {
		dup2(fd, 0);
		close(fd);
	}
	return 0;
}

static int
cmd_publish(struct kubo *k, const struct opts *o, const char *cid, struct jsonl *out,
    struct werr *e)
{
	char root[KUBO_CID_MAX];
	struct kubo_key key;
	cJSON *line = NULL;
	int publisher;

	if (o->debounce_ms <= 0) {
		if (ipns_key(k, o->cfg.key, &key, NULL, e) < 0)
			return -1;
		if (!cid && ipns_current_root(o->cfg.home, root, sizeof root, e) < 0)
			return -1;
		if (ipns_publish(k, &o->cfg, cid ? cid : root, &line, e) < 0)
			return -1;
		return jsonl_emit_take(out, line, e);
	}
	if (o->background) {
		if (ipns_mark_pending(o->cfg.home, cid, e) < 0)
			return -1;
		int r = detach();
		if (r < 0)
			return werr_sys(e, EX_OSERR, "fork");
		if (r > 0) {
			line = cJSON_CreateObject();
			cJSON_AddBoolToObject(line, "pending", 1);
			cJSON_AddBoolToObject(line, "background", 1);
			return jsonl_emit_take(out, line, e);
		}
	}
	/* Create the key when we can; when we cannot (daemon down), the
	 * publish attempts report it and are retried. */
	ipns_key(k, o->cfg.key, &key, NULL, e);
	*e = (struct werr){ 0 };
	if (ipns_debounced(k, &o->cfg, cid, o->debounce_ms, (int)o->kc.retries, emit_line, out,
	        &publisher, e) < 0)
		return -1;
	if (!publisher && !o->background) {
		line = cJSON_CreateObject();
		cJSON_AddBoolToObject(line, "pending", 1);
		cJSON_AddBoolToObject(line, "publisher", 0);
		return jsonl_emit_take(out, line, e);
	}
	return 0;
}

static int
run(const struct opts *o, int argc, char **argv,
    struct jsonl *out, struct werr *e)
{
	const char *cmd = argv[0], *arg = argc > 1 ? argv[1] : NULL;
	struct kubo *k;
	cJSON *line = NULL;
	int rc;

	if (argc > 2)
		return werr_set(e, EX_USAGE, "%s: too many arguments", cmd);
	if (strcmp(cmd, "status") == 0) {
		if (ipns_status(&o->cfg, &line, e) < 0)
			return -1;
		return jsonl_emit_take(out, line, e);
	}
	if (strcmp(cmd, "key") && strcmp(cmd, "publish") && strcmp(cmd, "resolve") &&
	    strcmp(cmd, "republish"))
		return werr_set(e, EX_USAGE, "%s: unknown command", cmd);
	if (arg && (!strcmp(cmd, "key") || !strcmp(cmd, "republish")))
		return werr_set(e, EX_USAGE, "%s: no argument expected, got '%s'", cmd, arg);
	if (!(k = kubo_cli_open(&o->kc, NULL, 0, e)))
		return -1;
	if (strcmp(cmd, "key") == 0)
		rc = cmd_key(k, o, out, e);
	else if (strcmp(cmd, "resolve") == 0)
		rc = cmd_resolve(k, o, arg, out, e);
	else if (strcmp(cmd, "publish") == 0)
		rc = cmd_publish(k, o, arg, out, e);
	else if ((rc = ipns_republish(k, &o->cfg, o->before_ms, o->force, &line, e)) == 0)
		rc = jsonl_emit_take(out, line, e);
	kubo_free(k);
	return rc;
}

/* Config values first, so flags (parsed after) override them. */
static int
defaults(struct config *cf, struct opts *o, struct werr *e)
{
	const char *off = config_get_or(cf, "ipns_allow_offline", "no");

	o->cfg.home = config_home(cf);
	o->cfg.key = config_get_or(cf, "ipns_key", "wanda");
	kubo_cli_init(&o->kc, cf, 0, 3);
	if (parse_bool(off, &o->cfg.allow_offline, "ipns_allow_offline", e) < 0 ||
	    parse_duration_ms(config_get_or(cf, "ipns_lifetime", "24h"), &o->cfg.lifetime_ms,
	        "ipns_lifetime", e) < 0 ||
	    parse_duration_ms(config_get_or(cf, "ipns_ttl", "5m"), &o->cfg.ttl_ms, "ipns_ttl", e) < 0 ||
	    parse_duration_ms(config_get_or(cf, "ipns_timeout", "2m"), &o->kc.timeout_ms, "ipns_timeout", e) < 0)
		return -1;
	return 0;
}

static int
parse_flags(int argc, char **argv, struct opts *o, struct werr *e)
{
	static const struct option lo[] = {
		{ "key", required_argument, NULL, 'k' },
		{ "lifetime", required_argument, NULL, 'l' },
		{ "ttl", required_argument, NULL, 't' },
		{ "allow-offline", no_argument, NULL, 'o' },
		{ "debounce", required_argument, NULL, 'd' },
		{ "background", no_argument, NULL, 'b' },
		KUBO_CLI_LONGOPTS,
		{ "before", required_argument, NULL, 'B' },
		{ "force", no_argument, NULL, 'f' },
		{ "nocache", no_argument, NULL, 'n' },
		CLI_COMMON_LONGOPTS,
		{ NULL, 0, NULL, 0 },
	};
	int c;

	while ((c = kubo_cli_getopt(&o->kc, NULL, argc, argv, "", lo, e)) != -1) {
		int rc = 0;
		switch (c) {
		case KUBO_CLI_BAD: return -1;
		case 'k': o->cfg.key = optarg; break;
		case 'l': rc = parse_duration_ms(optarg, &o->cfg.lifetime_ms, "--lifetime", e); break;
		case 't': rc = parse_duration_ms(optarg, &o->cfg.ttl_ms, "--ttl", e); break;
		case 'o': o->cfg.allow_offline = 1; break;
		case 'd': rc = parse_duration_ms(optarg, &o->debounce_ms, "--debounce", e); break;
		case 'b': o->background = 1; break;
		case 'B': rc = parse_duration_ms(optarg, &o->before_ms, "--before", e); break;
		case 'f': o->force = 1; break;
		case 'n': o->nocache = 1; break;
		case 'J': o->jq = optarg; break;
		case 'h': usage(stdout); exit(0);
		case 'V': cli_version(PROG); exit(0);
		default: usage(stderr); exit(EX_USAGE);
		}
		if (rc < 0)
			return -1;
	}
	if (o->cfg.lifetime_ms <= 0 || o->cfg.ttl_ms < 0)
		return werr_set(e, EX_USAGE, "--lifetime must be positive, --ttl not negative");
	if (o->background && o->debounce_ms <= 0)
		return werr_set(e, EX_USAGE, "--background needs --debounce");
	return 0;
}

int
main(int argc, char **argv)
{
	struct werr e = { 0 };
	struct opts o = { 0 };
	struct config *cf;
	struct jsonl *out;
	int rc;

	cli_locale();
	if (!(cf = config_load(&e)) || defaults(cf, &o, &e) < 0 || parse_flags(argc, argv, &o, &e) < 0)
		errx(e.code, "%s", e.msg);
	if (optind >= argc) {
		usage(stderr);
		return EX_USAGE;
	}
	if (!(out = jsonl_open(stdout, o.jq, &e)))
		errx(e.code, "%s", e.msg);
	rc = run(&o, argc - optind, argv + optind, out, &e);
	jsonl_close(out);
	config_free(cf);
	if (rc < 0)
		errx(e.code ? e.code : EX_SOFTWARE, "%s", e.msg);
	return 0;
}
