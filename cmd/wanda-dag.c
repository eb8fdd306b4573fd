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
	    "       wanda-dag session [--jq FILTER] [options] SESSION\n"
	    "       wanda-dag root [--jq FILTER] [options]\n"
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

static int
cmd_session(int argc, char **argv, struct common *c)
{
	(void)argc, (void)argv, (void)c;
	errx(EX_UNAVAILABLE, "session: not implemented yet");
}

static int
cmd_root(int argc, char **argv, struct common *c)
{
	(void)argc, (void)argv, (void)c;
	errx(EX_UNAVAILABLE, "root: not implemented yet");
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
