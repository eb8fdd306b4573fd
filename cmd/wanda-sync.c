/* wanda-sync: fetch content from IPFS by CID, verified. */
#include <dirent.h>
#include <err.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "ipld/cid.h"
#include "base/atomicio.h"
#include "base/cli.h"
#include "base/config.h"
#include "kubo/dagverify.h"
#include "base/jsonl.h"
#include "kubo/kubo.h"
#include "kubo/kubo_cli.h"

struct ctx {
	struct kubo *k;
	struct jsonl *out;
	const char *outdir;
	struct kubo_cli kc;      /* --api, --timeout, --retries */
	char root[CID_STR_MAX];  /* the CID as given */
	size_t files;
	uint64_t bytes;
};

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: wanda-sync get [-o DIR] [--api URL] [--timeout DURATION] [--retries N]\n"
	    "                      [--jq FILTER] CID\n"
	    "       wanda-sync cat [--api URL] [--timeout DURATION] [--retries N] CID\n"
	    "       wanda-sync --help | --version\n");
}

static void
emit(struct ctx *c, cJSON *o)
{
	struct werr e = {0};

	if (jsonl_emit_take(c->out, o, &e) < 0)
		errx(e.code ? e.code : EX_IOERR, "stdout: %s", e.msg);
}

/* Verify one written file: its CID comes from the daemon (files/stat of
 * /ipfs/ROOT/REL), its bytes are checked against that CID's DAG. */
static void
verify_file(struct ctx *c, const char *abs, const char *rel)
{
	struct kubo_files_stat st;
	struct werr e = {0};
	char ipath[8192], cidtxt[CID_STR_MAX];
	struct cid id;
	uint64_t bytes = 0;
	cJSON *o;

	snprintf(ipath, sizeof ipath, "/ipfs/%s%s%s", c->root, *rel ? "/" : "", rel);
	if (kubo_files_stat(c->k, ipath, &st, &e) < 0)
		errx(e.code, "%s", e.msg);
	if (dag_verify_file(c->k, st.hash, abs, &bytes, &e) < 0)
		errx(e.code, "%s", e.msg);
	if (cid_parse(st.hash, &id, &e) < 0 || cid_format(&id, 0, cidtxt, sizeof cidtxt, &e) < 0)
		errx(EX_PROTOCOL, "files/stat %s: %s", ipath, e.msg);
	c->files++;
	c->bytes += bytes;
	o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "path", abs);
	cJSON_AddStringToObject(o, "cid", cidtxt);
	cJSON_AddNumberToObject(o, "size", (double)bytes);
	cJSON_AddStringToObject(o, "verified", "dag");
	emit(c, o);
}

static int
cmp_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every regular file under abs (rel is its path below the root), in name order. */
static void
walk(struct ctx *c, const char *abs, const char *rel)
{
	struct stat st;
	DIR *d;
	struct dirent *de;
	char **names = NULL;
	size_t n = 0, cap = 0;

	if (lstat(abs, &st) < 0)
		err(EX_IOERR, "%s", abs);
	if (S_ISREG(st.st_mode)) {
		verify_file(c, abs, rel);
		return;
	}
	if (!S_ISDIR(st.st_mode) || (d = opendir(abs)) == NULL)
		return;        /* symlinks: the archive's, left as written */
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (n == cap && (names = realloc(names, (cap = cap ? cap * 2 : 32) * sizeof *names)) == NULL)
			err(EX_OSERR, "%s", abs);
		if ((names[n++] = strdup(de->d_name)) == NULL)
			err(EX_OSERR, "%s", abs);
	}
	closedir(d);
	qsort(names, n, sizeof *names, cmp_name);
	for (size_t i = 0; i < n; i++) {
		char a[8192], r[8192];
		snprintf(a, sizeof a, "%s/%s", abs, names[i]);
		snprintf(r, sizeof r, "%s%s%s", rel, *rel ? "/" : "", names[i]);
		walk(c, a, r);
		free(names[i]);
	}
	free(names);
}

static int
cmd_get(struct ctx *c, const char *cid)
{
	struct werr e = {0};
	struct cid id;
	char dest[8192];
	cJSON *o;

	if (cid_parse(cid, &id, &e) < 0)
		errx(EX_DATAERR, "%s", e.msg);
	snprintf(c->root, sizeof c->root, "%s", cid);
	snprintf(dest, sizeof dest, "%s/%s", c->outdir, cid);
	if (mkdir_p(c->outdir, 0755, &e) < 0)
		errx(e.code, "%s", e.msg);
	if (kubo_get(c->k, cid, dest, &e) < 0)
		errx(e.code, "%s", e.msg);
	walk(c, dest, "");
	o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "cid", cid);
	cJSON_AddStringToObject(o, "path", dest);
	cJSON_AddNumberToObject(o, "files", (double)c->files);
	cJSON_AddNumberToObject(o, "bytes", (double)c->bytes);
	cJSON_AddBoolToObject(o, "verified", 1);
	emit(c, o);
	return 0;
}

static int
cmd_cat(struct ctx *c, const char *cid)
{
	struct werr e = {0};
	struct cid id;

	if (cid_parse(cid, &id, &e) < 0)
		errx(EX_DATAERR, "%s", e.msg);
	if (kubo_cat_fd(c->k, cid, 1, &e) < 0)
		errx(e.code, "%s", e.msg);
	return 0;
}

static int
parse_args(struct ctx *c, int argc, char **argv, const char **jq)
{
	static const struct option lo[] = {
		{"output", required_argument, NULL, 'o'}, KUBO_CLI_LONGOPTS, CLI_COMMON_LONGOPTS,
		{NULL, 0, NULL, 0}
	};
	struct werr e = {0};
	int ch, rc;

	while ((ch = getopt_long(argc, argv, "o:hV", lo, NULL)) != -1) {
		if ((rc = kubo_cli_opt(&c->kc, ch, optarg, &e)) < 0)
			errx(e.code, "%s", e.msg);
		if (rc > 0)
			continue;
		switch (ch) {
		case 'o': c->outdir = optarg; break;
		case 'J': *jq = optarg; break;
		case 'V': cli_version("wanda-sync"); exit(0);
		case 'h': usage(stdout); exit(0);
		default: usage(stderr); exit(EX_USAGE);
		}
	}
	return optind;
}

int
main(int argc, char **argv)
{
	struct ctx c = { .outdir = "." };
	struct werr e = {0};
	struct config *cf;
	const char *jq = NULL;
	int i, rc;

	if ((cf = config_load(&e)) == NULL)
		errx(e.code, "%s", e.msg);
	kubo_cli_init(&c.kc, cf, 30000);
	i = parse_args(&c, argc, argv, &jq);
	if (i >= argc || (strcmp(argv[i], "get") != 0 && strcmp(argv[i], "cat") != 0)) {
		if (i < argc)
			warnx("%s: unknown command", argv[i]);
		usage(stderr);
		config_free(cf);
		return EX_USAGE;
	}
	if (argc - i != 2)
		errx(EX_USAGE, "%s: expected one CID", argv[i]);
	if ((c.out = jsonl_open(stdout, jq, &e)) == NULL)
		errx(e.code, "%s", e.msg);
	if ((c.k = kubo_cli_open(&c.kc, NULL, 0, &e)) == NULL)
		errx(e.code, "%s", e.msg);
	rc = strcmp(argv[i], "get") == 0 ? cmd_get(&c, argv[i + 1]) : cmd_cat(&c, argv[i + 1]);
	kubo_free(c.k);
	jsonl_close(c.out);
	config_free(cf);
	return rc;
}
