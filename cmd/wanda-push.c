/* wanda-push: put files on IPFS, pinned, with a verified CID. */
#include <err.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "base/cli.h"
#include "base/config.h"
#include "base/eventlog.h"
#include "base/jsonl.h"
#include "base/path.h"
#include "kubo/kubo.h"
#include "kubo/kubo_cli.h"
#include "push/push.h"
#include "remote/remote.h"
#include "spool/settle.h"

struct ctx {
	struct push_opts po;
	struct kubo *k;
	struct jsonl *out;
	int status; /* exit status of the first failure */
	int flush;
	int backlog; /* the outbox may hold CARs: flush after a success */
	char api[1024];
	char outbox[PATH_MAX];
	struct kubo_cli kc; /* --api, --timeout, --retries */
	const char *home;   /* for events.jsonl */
	const struct config *cf;
	const cJSON *cur_in;      /* the input line of the upload under way */
	long long progress_ms;    /* when its last ipfs_upload_progress was logged */
	long long progress_every; /* push_progress_every: at most this often (a small file has none) */
};

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: wanda-push [--via add|car] [--offline] [--no-outbox] [--api URL]\n"
	    "                  [--timeout DURATION] [--retries N] [--jq FILTER] [FILE ...]\n"
	    "       wanda-push --flush [--api URL] [--timeout DURATION] [--jq FILTER]\n"
	    "       wanda-push pin add|rm|ls [CID ...]\n"
	    "       wanda-push status\n"
	    "       wanda-push --help | --version\n");
}

static void
note_status(struct ctx *c, int code)
{
	if (c->status == 0)
		c->status = code;
}

/* Set obj[key] = item, replacing an input field of the same name. */
static void
put(cJSON *obj, const char *key, cJSON *item)
{
	cJSON_DeleteItemFromObjectCaseSensitive(obj, key);
	cJSON_AddItemToObject(obj, key, item);
}

/* The output line: the input's fields, then ours over them. */
static cJSON *
result_line(cJSON *base, const struct push_result *r)
{
	cJSON *o = base ? base : cJSON_CreateObject();

	cJSON_DeleteItemFromObjectCaseSensitive(o, "error");
	cJSON_DeleteItemFromObjectCaseSensitive(o, "queued");
	cJSON_DeleteItemFromObjectCaseSensitive(o, "outbox");
	if (cJSON_GetObjectItemCaseSensitive(o, "path") == NULL)
		put(o, "path", cJSON_CreateString(r->path));
	if (r->cid[0] != '\0')
		put(o, "cid", cJSON_CreateString(r->cid));
	if (r->kind != NULL) {
		put(o, "error", settle_error(r->err.code, r->kind, r->err.msg, r->permanent));
		return o;
	}
	put(o, "size", cJSON_CreateNumber((double)r->size));
	put(o, "pinned", cJSON_CreateBool(r->pinned));
	put(o, "ms", cJSON_CreateNumber((double)r->ms));
	if (r->queued) {
		put(o, "queued", cJSON_CreateTrue());
		put(o, "outbox", cJSON_CreateString(r->outbox_file));
	}
	return o;
}

static void
emit(struct ctx *c, cJSON *o)
{
	struct werr e = { 0 };

	if (jsonl_emit_take(c->out, o, &e) < 0)
		errx(e.code ? e.code : EX_IOERR, "stdout: %s", e.msg);
}

static int on_flushed(void *ctx, const struct push_result *r, const cJSON *note, struct werr *e);

/* After a file reached the daemon, push what the outbox holds from an
 * earlier outage, so a long-running pipeline catches up by itself. */
static void
catch_up(struct ctx *c)
{
	struct werr e = { 0 };

	if (!c->backlog || c->po.offline)
		return;
	c->backlog = 0; /* a CAR the daemon refuses is reported once, not after every file */
	push_flush(c->k, &c->po, on_flushed, c, &e);
}

/* ipfs_upload_start / _complete / _error in events.jsonl (wanda-serve's
 * live view); the capture id and session when the input line has them.
 * A failure to log is a warning, never a failed push. */
static void
upload_event(struct ctx *c, const char *name, const char *path, const cJSON *in,
    const struct push_result *r)
{
	cJSON *ev = event_new(name);
	struct werr e = { 0 };
	static const char *const keep[] = { "id", "session", "kind" };

	if (access(c->home, W_OK) != 0) { /* no WANDA home here: pushing files by hand */
		cJSON_Delete(ev);
		return;
	}
	cJSON_AddStringToObject(ev, "file", path);
	for (size_t i = 0; i < sizeof keep / sizeof keep[0]; i++) {
		const cJSON *v = cJSON_GetObjectItemCaseSensitive(in, keep[i]);
		if (cJSON_IsString(v))
			cJSON_AddStringToObject(ev, keep[i], v->valuestring);
	}
	if (r && r->kind)
		cJSON_AddStringToObject(ev, "error", r->err.msg);
	else if (r && r->cid[0])
		cJSON_AddStringToObject(ev, "cid", r->cid);
	if (event_append(c->home, ev, &e) < 0)
		warnx("%s", e.msg);
	cJSON_Delete(ev);
}

/* push_opts.on_bytes: {"event":"ipfs_upload_progress","file","bytes","total"}
 * in events.jsonl, rate-limited, for wanda-serve's live status bar. */
static void
upload_progress(void *ctx, const char *path, uint64_t sent, uint64_t total)
{
	struct ctx *c = ctx;
	long long now = mono_ms();
	struct werr e = { 0 };
	cJSON *ev;

	if (now - c->progress_ms < c->progress_every || sent >= total || access(c->home, W_OK) != 0)
		return;
	c->progress_ms = now;
	ev = event_new("ipfs_upload_progress");
	cJSON_AddStringToObject(ev, "file", path);
	for (const char *k = "id"; k; k = !strcmp(k, "id") ? "session" : NULL) {
		const cJSON *v = cJSON_GetObjectItemCaseSensitive(c->cur_in, k);
		if (cJSON_IsString(v))
			cJSON_AddStringToObject(ev, k, v->valuestring);
	}
	cJSON_AddNumberToObject(ev, "bytes", (double)sent);
	cJSON_AddNumberToObject(ev, "total", (double)total);
	if (event_append(c->home, ev, &e) < 0)
		warnx("%s", e.msg);
	cJSON_Delete(ev);
}

/* Push one file; in (owned, may be NULL) is the JSON input line. */
static void
push_one(struct ctx *c, const char *path, const struct cid *expect, cJSON *in)
{
	struct push_result r;
	cJSON *note = in ? cJSON_Duplicate(in, 1) : cJSON_CreateObject();

	put(note, "path", cJSON_CreateString(path));
	upload_event(c, "ipfs_upload_start", path, in, NULL);
	c->cur_in = in;
	c->progress_ms = mono_ms();
	if (push_file(c->k, &c->po, path, expect, note, &r) < 0) {
		warnx("%s", r.err.msg);
		note_status(c, r.err.code);
	}
	if (r.fell_back)
		warnx("%s: the daemon built another DAG than asked for; sent again as a CAR", path);
	if (r.old_daemon)
		warnx("%s: the daemon ignored max-file-links (Kubo before 0.35); WANDA's DAG nodes added by block/put",
		    path);
	cJSON_Delete(note);
	c->cur_in = NULL;
	upload_event(c, r.kind ? "ipfs_upload_error" : "ipfs_upload_complete", path, in, &r);
	if (in != NULL)
		put(in, "path", cJSON_CreateString(path));
	emit(c, result_line(in, &r));
	if (r.queued)
		c->backlog = 1;
	else if (r.kind == NULL)
		catch_up(c);
}

static void
input_error(struct ctx *c, unsigned long lineno, const char *why)
{
	char msg[256];

	snprintf(msg, sizeof msg, "stdin:%lu: %s", lineno, why);
	warnx("%s", msg);
	note_status(c, EX_DATAERR);
	cJSON *o = cJSON_CreateObject();
	cJSON_AddItemToObject(o, "error", settle_error(EX_DATAERR, "input", msg, 1));
	emit(c, o);
}

/* A JSON line: {"path", "cid"?, ...}. */
static void
push_json(struct ctx *c, const char *line, unsigned long lineno)
{
	cJSON *in = cJSON_Parse(line);
	const cJSON *p = cJSON_GetObjectItemCaseSensitive(in, "path");
	const cJSON *cs = cJSON_GetObjectItemCaseSensitive(in, "cid");
	struct cid want;
	struct werr e = { 0 };

	if (!cJSON_IsObject(in) || !cJSON_IsString(p) || p->valuestring[0] == '\0') {
		input_error(c, lineno, in ? "no \"path\" in the object" : "not JSON");
		cJSON_Delete(in);
		return;
	}
	if (cJSON_IsString(cs) && cid_parse(cs->valuestring, &want, &e) < 0) {
		input_error(c, lineno, e.msg);
		cJSON_Delete(in);
		return;
	}
	char *path = strdup(p->valuestring);
	if (path == NULL)
		err(EX_OSERR, "strdup");
	push_one(c, path, cJSON_IsString(cs) ? &want : NULL, in);
	free(path);
}

/* Read stdin one line at a time, as it comes (never the whole input). */
static void
push_stdin(struct ctx *c)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	unsigned long lineno = 0;

	cli_input_unbuffered();
	while (cli_wait_input() == 0) {
		struct werr le = { 0 };
		char *s;

		if ((n = jsonl_getline(&line, &cap, stdin, &le)) == -1)
			break;
		lineno++;
		if (n == -2) {
			warnx("stdin:%lu: %s", lineno, le.msg);
			note_status(c, le.code);
			continue;
		}
		s = line;
		while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == '\r'))
			s[--n] = '\0';
		while (*s == ' ' || *s == '\t')
			s++;
		if (*s == '\0')
			continue;
		if (*s == '{')
			push_json(c, s, lineno);
		else
			push_one(c, s, NULL, NULL);
	}
	free(line);
}

static int
on_flushed(void *ctx, const struct push_result *r, const cJSON *note, struct werr *e)
{
	struct ctx *c = ctx;
	cJSON *base = note ? cJSON_Duplicate(note, 1) : NULL;

	(void)e;
	if (r->kind != NULL) {
		warnx("%s", r->err.msg);
		note_status(c, r->err.code);
	}
	if (base != NULL && r->kind == NULL) {
		const cJSON *sz = cJSON_GetObjectItemCaseSensitive(base, "size");
		struct push_result rr = *r;
		rr.size = cJSON_IsNumber(sz) ? (uint64_t)sz->valuedouble : 0;
		emit(c, result_line(base, &rr));
		return 0;
	}
	emit(c, result_line(base, r));
	return 0;
}

/* A failed pin/status call: an {"cid","error"} line; returns its code. */
static int
call_failed(struct ctx *c, cJSON *o, const struct werr *e)
{
	const struct kubo_error *ke = kubo_last_error(c->k);
	const char *kind = kubo_kind_name(ke->kind);
	int code = settle_code(kind);

	warnx("%s", e->msg);
	put(o, "error", settle_error(code, kind, e->msg, ke->permanent));
	emit(c, o);
	note_status(c, code);
	return code;
}

/* CIDs as WANDA prints them (v1 base32), whatever the daemon's base. */
static cJSON *
cid_item(const char *s)
{
	struct cid id;
	char buf[CID_STR_MAX];

	if (cid_parse(s, &id, NULL) == 0 && cid_format(&id, 0, buf, sizeof buf, NULL) == 0)
		return cJSON_CreateString(buf);
	return cJSON_CreateString(s);
}

static int
on_pin(void *ctx, const char *cid, const char *type, struct werr *e)
{
	struct ctx *c = ctx;
	cJSON *o = cJSON_CreateObject();

	(void)e;
	cJSON_AddItemToObject(o, "cid", cid_item(cid));
	cJSON_AddStringToObject(o, "type", type ? type : "");
	emit(c, o);
	return 0;
}

static void
pin_one(struct ctx *c, const char *verb, const char *arg)
{
	struct werr e = { 0 };
	struct cid id;
	cJSON *o = cJSON_CreateObject();
	char type[32] = "";
	int pinned = 0, rc;

	cJSON_AddItemToObject(o, "cid", cid_item(arg));
	if (cid_parse(arg, &id, &e) < 0) {
		warnx("%s", e.msg);
		put(o, "error", settle_error(EX_DATAERR, "input", e.msg, 1));
		emit(c, o);
		note_status(c, EX_DATAERR);
		return;
	}
	if (strcmp(verb, "add") == 0)
		rc = kubo_pin_add(c->k, arg, 1, &e), pinned = 1;
	else if (strcmp(verb, "rm") == 0)
		rc = kubo_pin_rm(c->k, arg, 1, &e);
	else
		rc = kubo_pin_check(c->k, arg, &pinned, type, &e);
	if (rc < 0) {
		call_failed(c, o, &e);
		return;
	}
	cJSON_AddBoolToObject(o, "pinned", pinned);
	if (type[0] != '\0')
		cJSON_AddStringToObject(o, "type", type);
	emit(c, o);
}

static int
cmd_pin(struct ctx *c, int argc, char **argv)
{
	struct werr e = { 0 };

	if (argc < 1 || (strcmp(argv[0], "add") != 0 && strcmp(argv[0], "rm") != 0 && strcmp(argv[0], "ls") != 0))
		errx(EX_USAGE, "pin: expected add, rm or ls");
	if (argc < 2 && strcmp(argv[0], "ls") != 0)
		errx(EX_USAGE, "pin %s: no CID", argv[0]);
	if (argc == 1) {
		if (kubo_pin_ls(c->k, NULL, "recursive", on_pin, c, &e) < 0)
			return call_failed(c, cJSON_CreateObject(), &e);
		return c->status;
	}
	for (int i = 1; i < argc; i++)
		pin_one(c, argv[0], argv[i]);
	return c->status;
}

/* "remote": each remote target's health and backlog, asked now. */
static int
remote_targets(struct ctx *c, cJSON *o, struct werr *e)
{
	struct remote_set rs;
	cJSON *a;

	if (remote_load(c->cf, NULL, &rs, e) < 0)
		return -1;
	a = remote_status_json(&rs, 1, e);
	remote_free(&rs);
	if (a == NULL)
		return -1;
	cJSON_AddItemToObject(o, "remote", a);
	return 0;
}

static int
cmd_status(struct ctx *c, int argc)
{
	struct kubo_version v;
	struct kubo_id id;
	struct kubo_repo_stat rs;
	struct werr e = { 0 };
	size_t peers = 0;
	cJSON *o = cJSON_CreateObject();

	if (argc > 0)
		errx(EX_USAGE, "status takes no argument");
	cJSON_AddStringToObject(o, "api", c->api);
	if (remote_targets(c, o, &e) < 0)
		errx(e.code, "%s", e.msg);
	/* up: the daemon answers at all; a later call failing is an error of an up daemon */
	if (kubo_version(c->k, &v, &e) < 0) {
		cJSON_AddBoolToObject(o, "up", 0);
		return call_failed(c, o, &e);
	}
	cJSON_AddBoolToObject(o, "up", 1);
	if (kubo_id(c->k, &id, &e) < 0 || kubo_swarm_peers(c->k, NULL, NULL, &peers, &e) < 0 ||
	    kubo_repo_stat(c->k, &rs, &e) < 0)
		return call_failed(c, o, &e);
	cJSON_AddStringToObject(o, "version", v.version);
	cJSON_AddStringToObject(o, "peer_id", id.id);
	cJSON_AddNumberToObject(o, "peers", (double)peers);
	cJSON_AddNumberToObject(o, "repo_size", (double)rs.repo_size);
	cJSON_AddNumberToObject(o, "storage_max", (double)rs.storage_max);
	cJSON_AddNumberToObject(o, "num_objects", (double)rs.num_objects);
	emit(c, o);
	return 0;
}

static int
parse_args(struct ctx *c, int argc, char **argv, const char **jq)
{
	static const struct option lo[] = {
		{ "via", required_argument, NULL, 'v' }, { "offline", no_argument, NULL, 'o' },
		{ "no-outbox", no_argument, NULL, 'n' }, { "flush", no_argument, NULL, 'f' },
		KUBO_CLI_LONGOPTS, CLI_COMMON_LONGOPTS, { NULL, 0, NULL, 0 }
	};
	struct werr e = { 0 };
	int ch;

	while ((ch = kubo_cli_getopt(&c->kc, NULL, argc, argv, "hV", lo, &e)) != -1) {
		switch (ch) {
		case KUBO_CLI_BAD: errx(e.code, "%s", e.msg);
		case 'v':
			if (strcmp(optarg, "add") == 0)
				c->po.via = PUSH_VIA_ADD;
			else if (strcmp(optarg, "car") == 0)
				c->po.via = PUSH_VIA_CAR;
			else
				errx(EX_USAGE, "--via: '%s' is not add or car", optarg);
			break;
		case 'o': c->po.offline = 1; break;
		case 'n': c->po.no_outbox = 1; break;
		case 'f': c->flush = 1; break;
		case 'J': *jq = optarg; break;
		case 'V': cli_version("wanda-push"); exit(0);
		case 'h': usage(stdout); exit(0);
		default: usage(stderr); exit(EX_USAGE);
		}
	}
	return optind;
}

int
main(int argc, char **argv)
{
	struct ctx c = { .backlog = 1 };
	struct werr e = { 0 };
	struct config *cf;
	const char *jq = NULL;
	int i;

	cli_locale();
	push_opts_default(&c.po);
	if ((cf = config_load(&e)) == NULL)
		errx(e.code, "%s", e.msg);
	c.cf = cf;
	kubo_cli_init(&c.kc, cf, 30000, 3);
	i = parse_args(&c, argc, argv, &jq);
	if ((c.out = jsonl_open(stdout, jq, &e)) == NULL)
		errx(e.code, "%s", e.msg);
	if (path_join(c.outbox, sizeof c.outbox, config_home(cf), "outbox", &e) < 0)
		errx(e.code, "%s", e.msg);
	c.home = config_home(cf);
	c.po.outbox = c.outbox;
	{
		int64_t every;
		if (parse_duration_ms(config_get_or(cf, "push_progress_every", "250ms"), &every,
		        "push_progress_every", &e) < 0)
			errx(e.code, "%s", e.msg);
		c.progress_every = every;
	}
	c.po.on_bytes = upload_progress;
	c.po.on_bytes_ctx = &c;
	if ((c.k = kubo_cli_open(&c.kc, c.api, sizeof c.api, &e)) == NULL)
		errx(e.code, "%s", e.msg);
	if (i < argc && strcmp(argv[i], "pin") == 0)
		c.status = cmd_pin(&c, argc - i - 1, argv + i + 1);
	else if (i < argc && strcmp(argv[i], "status") == 0)
		c.status = cmd_status(&c, argc - i - 1);
	else if (c.flush) {
		if (i < argc || c.po.offline)
			errx(EX_USAGE, "--flush takes no FILE and no --offline");
		if (push_flush(c.k, &c.po, on_flushed, &c, &e) < 0)
			note_status(&c, e.code);
	} else if (i < argc) {
		for (; i < argc; i++)
			push_one(&c, argv[i], NULL, NULL);
	} else {
		push_stdin(&c);
	}
	kubo_free(c.k);
	jsonl_close(c.out);
	config_free(cf);
	return c.status;
}
