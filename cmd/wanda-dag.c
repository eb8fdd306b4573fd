/* wanda-dag: content-address files and directories the way `ipfs add` does,
 * check and list CAR files, build session and node-root DAGs.
 * One function per subcommand (cmd_add, cmd_verify, ...); main only picks one.
 * Each subcommand parses its own flags; --jq/--help/--version are shared. */
#include <err.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cjson/cJSON.h>
#include "car.h"
#include "cid.h"
#include "cli.h"
#include "config.h"
#include "dagbuild.h"
#include "kubo.h"
#include "jsonl.h"
#include "werr.h"

#define PROG "wanda-dag"

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: wanda-dag [--jq FILTER] COMMAND [ARGS]\n"
	    "       wanda-dag add [--jq FILTER] [options] PATH... | -\n"
	    "       wanda-dag verify [--jq FILTER] FILE.car\n"
	    "       wanda-dag ls [--jq FILTER] FILE.car\n"
	    "       wanda-dag session [--jq FILTER] [--car FILE] [--no-import] [--no-pin]\n"
	    "                         [--page-size N] SESSION... | --from-spool\n"
	    "       wanda-dag root [--jq FILTER] [--car FILE] [--no-import] [--no-pin]\n"
	    "       wanda-dag --help | --version\n"
	    "commands:\n"
	    "  add      compute the root CID `ipfs add --only-hash` would print\n"
	    "  verify   check every block of a CAR file against its CID\n"
	    "  ls       list the blocks of a CAR file\n"
	    "  session  build a session's directory DAG\n"
	    "  root     build the node root DAG\n");
}

/* Shared flags. Returns 1 when ch was one of them (and handled), 0 otherwise. */
struct common {
	const char *jq;
};

static int
common_opt(int ch, struct common *c)
{
	switch (ch) {
	case 'h':
		usage(stdout);
		exit(0);
	case 'V':
		cli_version(PROG);
		exit(0);
	case 'J':
		c->jq = optarg;
		return 1;
	}
	return 0;
}

/* Parse a subcommand that takes only the shared flags; returns optind. */
static int
simple_opts(int argc, char **argv, struct common *c)
{
	static const struct option lo[] = {CLI_COMMON_LONGOPTS, {NULL, 0, NULL, 0}};
	int ch;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "+hVJ:", lo, NULL)) != -1)
		if (!common_opt(ch, c)) {
			usage(stderr);
			exit(EX_USAGE);
		}
	return optind;
}

static struct jsonl *
open_out(const struct common *c)
{
	struct werr e = {0};
	struct jsonl *j = jsonl_open(stdout, c->jq, &e);

	if (j == NULL)
		errx(e.code, "%s", e.msg);
	return j;
}

static int
cmd_add(int argc, char **argv, struct common *c)
{
	(void)argc, (void)argv, (void)c;
	errx(EX_UNAVAILABLE, "add: not implemented yet");
}

/* session and root: flags shared by both. */
struct build_flags {
	struct build_cfg b;
	int import, from_spool;
};

static void
build_parse(int argc, char **argv, struct common *c, struct build_flags *f, int session)
{
	static const struct option lo[] = {
		{"car", required_argument, NULL, 'c'}, {"no-import", no_argument, NULL, 'n'},
		{"no-pin", no_argument, NULL, 'p'}, {"page-size", required_argument, NULL, 's'},
		{"from-spool", no_argument, NULL, 'f'}, CLI_COMMON_LONGOPTS, {NULL, 0, NULL, 0},
	};
	struct werr e = {0};
	long n;
	int ch;

	f->import = f->b.pin = 1;
	optind = 1;
	while ((ch = getopt_long(argc, argv, "+hVJ:", lo, NULL)) != -1) {
		if (common_opt(ch, c))
			continue;
		if (ch == 'c')
			f->b.car = optarg;
		else if (ch == 'n')
			f->import = 0;
		else if (ch == 'p')
			f->b.pin = 0;
		else if (ch == 's' && session) {
			if (parse_long(optarg, 1, 100000, &n, "--page-size", &e) < 0)
				errx(e.code, "%s", e.msg);
			f->b.page_size = (size_t)n;
		} else if (ch == 'f' && session)
			f->from_spool = 1;
		else {
			usage(stderr);
			exit(EX_USAGE);
		}
	}
}

/* Config, home, and the daemon client unless --no-import. */
static struct config *
build_setup(struct build_flags *f)
{
	struct werr e = {0};
	struct config *cf;
	char url[1024];

	if (!(cf = config_load(&e)))
		errx(e.code, "%s", e.msg);
	f->b.home = config_home(cf);
	f->b.ipns_key = config_get_or(cf, "ipns_key", "wanda");
	if (f->import && (config_api_url(cf, url, sizeof url, &e) < 0 ||
	    !(f->b.k = kubo_new(url, NULL, &e))))
		errx(e.code, "%s", e.msg);
	return cf;
}

static const char *
spool_error_kind(int code)
{
	switch (code) {
	case EX_UNAVAILABLE: return "unreachable";
	case EX_TEMPFAIL: return "timeout";
	case EX_NOINPUT: return "missing";
	case EX_USAGE: case EX_DATAERR: return "bad-entry";
	default: return "build";
	}
}

/* One spool line: a "session" entry is built (strict: it waits for its
 * captures to be pushed), anything else passes through unchanged. The
 * result carries id, spool_file and kind for wanda-queue ack. */
static int
spool_line(const struct build_cfg *b, cJSON *in, struct jsonl *out, struct werr *e)
{
	const cJSON *kind = cJSON_GetObjectItemCaseSensitive(in, "kind");
	const cJSON *name = cJSON_GetObjectItemCaseSensitive(in, "session");
	static const char *carry[] = {"id", "spool_file", "kind"};
	struct werr be = {0};
	cJSON *line = NULL, *err;

	if (!cJSON_IsString(kind) || strcmp(kind->valuestring, "session"))
		return jsonl_emit(out, in, e);
	if (!cJSON_IsString(name))
		werr_set(&be, EX_DATAERR, "spool entry: no \"session\" string");
	else if (build_session(b, name->valuestring, &line, &be) == 0)
		goto done;
	line = cJSON_CreateObject();
	if (cJSON_IsString(name))
		cJSON_AddStringToObject(line, "session", name->valuestring);
	err = cJSON_AddObjectToObject(line, "error");
	cJSON_AddNumberToObject(err, "code", be.code);
	cJSON_AddStringToObject(err, "kind", spool_error_kind(be.code));
	cJSON_AddStringToObject(err, "message", be.msg);
	cJSON_AddBoolToObject(err, "permanent", be.code == EX_DATAERR || be.code == EX_USAGE ||
	                      be.code == EX_NOINPUT);
	warnx("%s", be.msg);
done:
	for (size_t i = 0; i < sizeof carry / sizeof carry[0]; i++) {
		const cJSON *v = cJSON_GetObjectItemCaseSensitive(in, carry[i]);
		if (v && !cJSON_HasObjectItem(line, carry[i]))
			cJSON_AddItemToObject(line, carry[i], cJSON_Duplicate(v, 1));
	}
	return jsonl_emit_take(out, line, e);
}

static int
session_from_spool(struct build_cfg *b, struct jsonl *out, struct werr *e)
{
	char *buf = NULL;
	size_t cap = 0;
	ssize_t n;
	int rc = 0;

	b->strict = 1;
	while (rc == 0 && (n = getline(&buf, &cap, stdin)) > 0) {
		cJSON *in = cJSON_ParseWithLength(buf, (size_t)n);
		if (!cJSON_IsObject(in))
			warnx("stdin: skipping a line that is not a JSON object");
		else
			rc = spool_line(b, in, out, e);
		cJSON_Delete(in);
	}
	free(buf);
	return rc;
}

static int
cmd_session(int argc, char **argv, struct common *c)
{
	struct build_flags f = {0};
	struct werr e = {0};
	struct config *cf;
	struct jsonl *j;
	cJSON *line;
	int rc = 0;

	build_parse(argc, argv, c, &f, 1);
	if (f.from_spool ? optind != argc : optind >= argc) {
		usage(stderr);
		return EX_USAGE;
	}
	if (f.b.car && argc - optind > 1)
		errx(EX_USAGE, "session: --car takes one SESSION");
	cf = build_setup(&f);
	j = open_out(c);
	if (f.from_spool)
		rc = session_from_spool(&f.b, j, &e);
	for (int i = optind; rc == 0 && i < argc; i++)
		if ((rc = build_session(&f.b, argv[i], &line, &e)) == 0)
			rc = jsonl_emit_take(j, line, &e);
	jsonl_close(j);
	kubo_free(f.b.k);
	config_free(cf);
	if (rc < 0)
		errx(e.code, "%s", e.msg);
	return 0;
}

static int
cmd_root(int argc, char **argv, struct common *c)
{
	struct build_flags f = {0};
	struct werr e = {0};
	struct config *cf;
	struct jsonl *j;
	cJSON *line;
	int rc;

	build_parse(argc, argv, c, &f, 0);
	if (optind != argc) {
		usage(stderr);
		return EX_USAGE;
	}
	cf = build_setup(&f);
	j = open_out(c);
	if ((rc = build_root(&f.b, &line, &e)) == 0)
		rc = jsonl_emit_take(j, line, &e);
	jsonl_close(j);
	kubo_free(f.b.k);
	config_free(cf);
	if (rc < 0)
		errx(e.code, "%s", e.msg);
	return 0;
}

/* Open FILE.car for reading (the single operand of verify and ls). */
static struct car_reader *
open_car(int argc, char **argv, int i, const char *cmd)
{
	struct werr e = {0};
	struct car_reader *r;
	int fd;

	if (argc - i != 1) {
		warnx("%s: expected one FILE.car", cmd);
		usage(stderr);
		exit(EX_USAGE);
	}
	if (strcmp(argv[i], "-") == 0)
		fd = 0;
	else if ((fd = open(argv[i], O_RDONLY | O_CLOEXEC)) < 0)
		err(EX_NOINPUT, "%s", argv[i]);
	if ((r = car_reader_open(fd, argv[i], &e)) == NULL)
		errx(e.code, "%s", e.msg);
	return r;
}

static cJSON *
roots_json(const struct car_reader *r)
{
	cJSON *a = cJSON_CreateArray();
	char s[CID_STR_MAX];

	for (size_t i = 0; i < car_reader_nroots(r); i++) {
		if (cid_format(car_reader_root(r, i), 0, s, sizeof s, NULL) == 0)
			cJSON_AddItemToArray(a, cJSON_CreateString(s));
	}
	return a;
}

/* verify FILE.car: read every block (the reader checks each hash), then
 * print the roots and the totals. */
static int
cmd_verify(int argc, char **argv, struct common *c)
{
	int i = simple_opts(argc, argv, c), rc;
	struct car_reader *r = open_car(argc, argv, i, "verify");
	struct jsonl *j = open_out(c);
	struct car_block b;
	struct werr e = {0};
	unsigned long long blocks = 0, bytes = 0;
	cJSON *o;

	while ((rc = car_reader_next(r, &b, &e)) == 1) {
		blocks++;
		bytes += b.len;
	}
	if (rc < 0)
		errx(e.code, "%s", e.msg);
	o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "file", argv[i]);
	cJSON_AddItemToObject(o, "roots", roots_json(r));
	cJSON_AddNumberToObject(o, "blocks", (double)blocks);
	cJSON_AddNumberToObject(o, "bytes", (double)bytes);
	cJSON_AddBoolToObject(o, "ok", 1);
	if (jsonl_emit_take(j, o, &e) < 0)
		errx(e.code, "%s", e.msg);
	car_reader_close(r);
	jsonl_close(j);
	return 0;
}

/* ls FILE.car: one line per block, as it is read and verified. */
static int
cmd_ls(int argc, char **argv, struct common *c)
{
	int i = simple_opts(argc, argv, c), rc;
	struct car_reader *r = open_car(argc, argv, i, "ls");
	struct jsonl *j = open_out(c);
	struct car_block b;
	struct werr e = {0};
	char s[CID_STR_MAX];
	const char *codec;
	cJSON *o;

	while ((rc = car_reader_next(r, &b, &e)) == 1) {
		o = cJSON_CreateObject();
		if (cid_format(&b.cid, 0, s, sizeof s, &e) < 0)
			errx(e.code, "%s", e.msg);
		cJSON_AddStringToObject(o, "cid", s);
		if ((codec = cid_codec_name(b.cid.codec)) != NULL)
			cJSON_AddStringToObject(o, "codec", codec);
		else
			cJSON_AddNumberToObject(o, "codec", (double)b.cid.codec);
		cJSON_AddNumberToObject(o, "size", (double)b.len);
		cJSON_AddNumberToObject(o, "offset", (double)b.offset);
		if (jsonl_emit_take(j, o, &e) < 0)
			errx(e.code, "%s", e.msg);
	}
	if (rc < 0)
		errx(e.code, "%s", e.msg);
	car_reader_close(r);
	jsonl_close(j);
	return 0;
}

int
main(int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*fn)(int, char **, struct common *);
	} cmds[] = {
		{"add", cmd_add}, {"verify", cmd_verify}, {"ls", cmd_ls},
		{"session", cmd_session}, {"root", cmd_root},
	};
	struct common c = {0};
	int i = simple_opts(argc, argv, &c);

	if (i >= argc) {
		usage(stderr);
		return EX_USAGE;
	}
	for (size_t k = 0; k < sizeof cmds / sizeof cmds[0]; k++)
		if (strcmp(argv[i], cmds[k].name) == 0)
			return cmds[k].fn(argc - i, argv + i, &c);
	warnx("%s: unknown command", argv[i]);
	usage(stderr);
	return EX_USAGE;
}
