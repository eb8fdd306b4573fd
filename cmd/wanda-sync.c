/* wanda-sync: fetch content from IPFS by CID, verified; pull and pin peers'
 * sessions (lib/net/sync.h); carry them on a disk (lib/net/sneakernet.h). */
#include <dirent.h>
#include <err.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "ipld/cid.h"
#include "base/atomicio.h"
#include "base/buf.h"
#include "base/cli.h"
#include "base/config.h"
#include "kubo/dagverify.h"
#include "base/jsonl.h"
#include "base/path.h"
#include "kubo/kubo.h"
#include "kubo/kubo_cli.h"
#include "net/rootindex.h"
#include "net/sneakernet.h"
#include "net/sync.h"

struct ctx {
	struct kubo *k;
	struct jsonl *out;
	const char *outdir;
	struct kubo_cli kc;     /* --api, --timeout, --retries */
	char root[CID_STR_MAX]; /* the CID as given */
	const char *dest;       /* where the verified tree goes */
	cJSON *lines;           /* per-file lines, printed once it is there */
	size_t files;
	uint64_t bytes;
	/* pull, unpin, export, import */
	struct sync_opts so;
	const char *session; /* unpin --session */
	int all, mirrors, have_output;
};

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: wanda-sync get [-o DIR] [--api URL] [--timeout DURATION] [--retries N]\n"
	    "                      [--jq FILTER] CID\n"
	    "       wanda-sync cat [--api URL] [--timeout DURATION] [--retries N] CID\n"
	    "       wanda-sync pull [--peer ID | --all] [--session GLOB] [--since DATE] [--until DATE]\n"
	    "                  [--rate BYTES/s] [--concurrency N] [--max-bytes SIZE] [--dry-run]\n"
	    "                  [--api URL] [--timeout DURATION] [--jq FILTER]\n"
	    "       wanda-sync status [--jq FILTER]\n"
	    "       wanda-sync unpin --peer ID [--session NAME] [--api URL] [--jq FILTER]\n"
	    "       wanda-sync export [--session GLOB] [--since DATE] [--until DATE] [--mirrors]\n"
	    "                  -o DIR [--api URL] [--jq FILTER]\n"
	    "       wanda-sync import [--api URL] [--jq FILTER] DIR\n"
	    "       wanda-sync --help | --version\n");
}

static void
emit(struct ctx *c, cJSON *o)
{
	struct werr e = { 0 };

	if (jsonl_emit_take(c->out, o, &e) < 0)
		errx(e.code ? e.code : EX_IOERR, "stdout: %s", e.msg);
}

/* Verify one written file: its CID comes from the daemon (files/stat of
 * /ipfs/ROOT/REL), its bytes are checked against that CID's DAG. Its
 * output line (with its final path) is kept until the tree is in place. */
static int
verify_file(struct ctx *c, const char *abs, const char *rel, struct werr *e)
{
	struct kubo_files_stat st;
	char ipath[PATH_MAX], cidtxt[CID_STR_MAX], shown[PATH_MAX];
	struct cid id;
	uint64_t bytes = 0;
	cJSON *o;

	if (path_fmt(ipath, sizeof ipath, e, "/ipfs/%s%s%s", c->root, *rel ? "/" : "", rel) < 0 ||
	    path_fmt(shown, sizeof shown, e, "%s%s%s", c->dest, *rel ? "/" : "", rel) < 0 ||
	    kubo_files_stat(c->k, ipath, &st, e) < 0 || dag_verify_file(c->k, st.hash, abs, &bytes, e) < 0)
		return -1;
	if (cid_parse(st.hash, &id, e) < 0 || cid_format(&id, 0, cidtxt, sizeof cidtxt, e) < 0)
		return werr_set(e, EX_PROTOCOL, "files/stat %s: %s", ipath, e->msg);
	c->files++;
	c->bytes += bytes;
	o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "path", shown);
	cJSON_AddStringToObject(o, "cid", cidtxt);
	cJSON_AddNumberToObject(o, "size", (double)bytes);
	cJSON_AddStringToObject(o, "verified", "dag");
	cJSON_AddItemToArray(c->lines, o);
	return 0;
}

static int
cmp_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int
read_names(const char *abs, char ***names, size_t *n, struct werr *e)
{
	DIR *d;
	struct dirent *de;
	size_t cap = 0;

	if ((d = opendir(abs)) == NULL)
		return werr_set(e, EX_IOERR, "%s: %s", abs, strerror(errno));
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (buf_grow_array(names, &cap, *n + 1, sizeof **names, 32, NULL) < 0)
			break;
		if (((*names)[*n] = strdup(de->d_name)) == NULL)
			break;
		++*n;
	}
	closedir(d);
	if (de != NULL)
		return werr_set(e, EX_OSERR, "%s: out of memory", abs);
	qsort(*names, *n, sizeof **names, cmp_name);
	return 0;
}

/* Every regular file under abs (rel is its path below the root), in name order. */
static int
walk(struct ctx *c, const char *abs, const char *rel, struct werr *e)
{
	struct stat st;
	char **names = NULL;
	size_t n = 0, i;
	int rc = 0;

	if (lstat(abs, &st) < 0)
		return werr_set(e, EX_IOERR, "%s: %s", abs, strerror(errno));
	if (S_ISREG(st.st_mode))
		return verify_file(c, abs, rel, e);
	if (!S_ISDIR(st.st_mode))
		return 0; /* symlinks: the archive's, left as written */
	if (read_names(abs, &names, &n, e) < 0)
		rc = -1;
	for (i = 0; i < n; i++) {
		char a[PATH_MAX], r[PATH_MAX];

		if (rc == 0 && (path_join(a, sizeof a, abs, names[i], e) < 0 || path_fmt(r, sizeof r, e, "%s%s%s", rel, *rel ? "/" : "", names[i]) < 0 || walk(c, a, r, e) < 0))
			rc = -1;
		free(names[i]);
	}
	free(names);
	return rc;
}

static int
check_tree(void *ctx, const char *root, struct werr *e)
{
	return walk(ctx, root, "", e);
}

static int
cmd_get(struct ctx *c, const char *cid)
{
	struct werr e = { 0 };
	struct cid id;
	char dest[PATH_MAX];
	cJSON *o, *line;

	if (cid_parse(cid, &id, &e) < 0)
		errx(EX_DATAERR, "%s", e.msg);
	snprintf(c->root, sizeof c->root, "%s", cid);
	if (path_join(dest, sizeof dest, c->outdir, cid, &e) < 0)
		errx(e.code, "%s", e.msg);
	c->dest = dest;
	if ((c->lines = cJSON_CreateArray()) == NULL)
		errx(EX_OSERR, "out of memory");
	if (mkdir_p(c->outdir, 0755, &e) < 0)
		errx(e.code, "%s", e.msg);
	if (kubo_get(c->k, cid, dest, check_tree, c, &e) < 0)
		errx(e.code, "%s", e.msg);
	while ((line = cJSON_DetachItemFromArray(c->lines, 0)) != NULL)
		emit(c, line);
	cJSON_Delete(c->lines);
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
	struct werr e = { 0 };
	struct cid id;

	if (cid_parse(cid, &id, &e) < 0)
		errx(EX_DATAERR, "%s", e.msg);
	if (kubo_cat_fd(c->k, cid, 1, &e) < 0)
		errx(e.code, "%s", e.msg);
	return 0;
}

/* The emit callback of lib/net: one JSON line on stdout. */
static int
emit_line(void *ctx, cJSON *o, struct werr *e)
{
	return jsonl_emit_take(((struct ctx *)ctx)->out, o, e);
}

static void
opt_size(const char *arg, uint64_t *out, const char *what)
{
	struct werr e = { 0 };

	if (parse_size(arg, out, what, &e) < 0)
		errx(EX_USAGE, "%s", e.msg);
}

static void
opt_date(char out[40], const char *arg, int end, const char *what)
{
	struct werr e = { 0 };

	if (rootindex_filter_date(out, arg, end, what, &e) < 0)
		errx(EX_USAGE, "%s", e.msg);
}

/* Options of pull, unpin, export and import. */
static int
sync_option(struct ctx *c, int ch, const char *arg)
{
	long n;
	struct werr e = { 0 };

	switch (ch) {
	case 'p': c->so.peer = arg; break;
	case 'A': c->all = 1; break;
	case 's':
		c->so.filter.glob = arg;
		c->session = arg;
		break;
	case 'S': opt_date(c->so.filter.since, arg, 0, "--since"); break;
	case 'U': opt_date(c->so.filter.until, arg, 1, "--until"); break;
	case 'r': opt_size(arg, &c->so.rate, "--rate"); break;
	case 'm': opt_size(arg, &c->so.max_bytes, "--max-bytes"); break;
	case 'n':
		if (parse_long(arg, 1, 64, &n, "--concurrency", &e) < 0)
			errx(EX_USAGE, "%s", e.msg);
		c->so.concurrency = (int)n;
		break;
	case 'd': c->so.dry_run = 1; break;
	case 'M': c->mirrors = 1; break;
	default: return 0;
	}
	return 1;
}

static int
parse_args(struct ctx *c, int argc, char **argv, const char **jq)
{
	static const struct option lo[] = {
		{ "output", required_argument, NULL, 'o' }, KUBO_CLI_LONGOPTS, { "peer", required_argument, NULL, 'p' },
		{ "all", no_argument, NULL, 'A' }, { "session", required_argument, NULL, 's' },
		{ "since", required_argument, NULL, 'S' }, { "until", required_argument, NULL, 'U' },
		{ "rate", required_argument, NULL, 'r' }, { "max-bytes", required_argument, NULL, 'm' },
		{ "concurrency", required_argument, NULL, 'n' }, { "dry-run", no_argument, NULL, 'd' },
		{ "mirrors", no_argument, NULL, 'M' },
		CLI_COMMON_LONGOPTS, { NULL, 0, NULL, 0 }
	};
	struct werr e = { 0 };
	int ch;

	while ((ch = kubo_cli_getopt(&c->kc, NULL, argc, argv, "o:hV", lo, &e)) != -1) {
		if (ch != KUBO_CLI_BAD && sync_option(c, ch, optarg))
			continue;
		switch (ch) {
		case KUBO_CLI_BAD: errx(e.code, "%s", e.msg);
		case 'o':
			c->outdir = optarg;
			c->have_output = 1;
			break;
		case 'J': *jq = optarg; break;
		case 'V': cli_version("wanda-sync"); exit(0);
		case 'h': usage(stdout); exit(0);
		default: usage(stderr); exit(EX_USAGE);
		}
	}
	return optind;
}

/* Defaults from the config (sync_rate, sync_max_bytes, sync_concurrency,
 * peers_allow), then what the flags said. */
static void
sync_defaults(struct ctx *c, const struct config *cf, char *api, size_t len)
{
	const char *v;
	struct werr e = { 0 };
	long n;

	if (config_api_url(cf, api, len, &e) < 0)
		errx(e.code, "%s", e.msg);
	c->so.home = config_home(cf);
	c->so.api = api;
	c->so.allow = config_get(cf, "peers_allow");
	c->so.timeout_ms = (long)c->kc.timeout_ms;
	c->so.progress = cli_stderr_tty();
	c->so.emit = emit_line;
	c->so.emit_ctx = c;
	if (!c->so.rate && (v = config_get(cf, "sync_rate")))
		opt_size(v, &c->so.rate, "sync_rate");
	if (!c->so.max_bytes && (v = config_get(cf, "sync_max_bytes")))
		opt_size(v, &c->so.max_bytes, "sync_max_bytes");
	if (!c->so.concurrency && (v = config_get(cf, "sync_concurrency"))) {
		if (parse_long(v, 1, 64, &n, "sync_concurrency", &e) < 0)
			errx(EX_USAGE, "%s", e.msg);
		c->so.concurrency = (int)n;
	}
	if (!c->so.concurrency)
		c->so.concurrency = 2;
}

static int
run_sync(struct ctx *c, const char *cmd, int argc, char **argv, const struct config *cf)
{
	struct sneakernet_opts sn = { 0 };
	struct werr e = { 0 };
	char api[1024];
	int rc;

	sync_defaults(c, cf, api, sizeof api);
	if (strcmp(cmd, "pull") == 0) {
		if (argc)
			errx(EX_USAGE, "pull: unexpected argument %s", argv[0]);
		if (c->all && c->so.peer)
			errx(EX_USAGE, "pull: --peer and --all exclude each other");
		rc = sync_pull(&c->so, &e);
	} else if (strcmp(cmd, "status") == 0) {
		if (argc)
			errx(EX_USAGE, "status: unexpected argument %s", argv[0]);
		rc = sync_status(c->so.home, emit_line, c, &e);
	} else if (strcmp(cmd, "unpin") == 0) {
		if (argc || !c->so.peer)
			errx(EX_USAGE, "unpin: --peer ID is required, and nothing else");
		rc = sync_unpin(c->so.home, api, c->so.peer, c->session, emit_line, c, &e);
	} else {
		sn.home = c->so.home;
		sn.api = api;
		sn.filter = c->so.filter;
		sn.mirrors = c->mirrors;
		sn.progress = c->so.progress;
		sn.emit = emit_line;
		sn.emit_ctx = c;
		if (strcmp(cmd, "export") == 0) {
			if (argc || !c->have_output)
				errx(EX_USAGE, "export: -o DIR is required, and no argument");
			sn.dir = c->outdir;
			rc = sneakernet_export(&sn, &e);
		} else {
			if (argc != 1)
				errx(EX_USAGE, "import: expected one DIR");
			sn.dir = argv[0];
			rc = sneakernet_import(&sn, &e);
		}
	}
	if (rc < 0)
		errx(e.code ? e.code : EX_SOFTWARE, "%s", e.msg);
	return 0;
}

static int
known(const char *cmd)
{
	static const char *const cmds[] = { "get", "cat", "pull", "status", "unpin", "export", "import" };

	for (size_t i = 0; i < sizeof cmds / sizeof *cmds; i++)
		if (strcmp(cmd, cmds[i]) == 0)
			return 1;
	return 0;
}

int
main(int argc, char **argv)
{
	struct ctx c = { .outdir = "." };
	struct werr e = { 0 };
	struct config *cf;
	const char *jq = NULL;
	int i, rc;

	cli_locale();
	if ((cf = config_load(&e)) == NULL)
		errx(e.code, "%s", e.msg);
	kubo_cli_init(&c.kc, cf, 30000, 3);
	i = parse_args(&c, argc, argv, &jq);
	if (i >= argc || !known(argv[i])) {
		if (i < argc)
			warnx("%s: unknown command", argv[i]);
		usage(stderr);
		config_free(cf);
		return EX_USAGE;
	}
	if ((c.out = jsonl_open(stdout, jq, &e)) == NULL)
		errx(e.code, "%s", e.msg);
	if (strcmp(argv[i], "get") != 0 && strcmp(argv[i], "cat") != 0) {
		rc = run_sync(&c, argv[i], argc - i - 1, argv + i + 1, cf);
		jsonl_close(c.out);
		config_free(cf);
		return rc;
	}
	if (argc - i != 2)
		errx(EX_USAGE, "%s: expected one CID", argv[i]);
	if ((c.k = kubo_cli_open(&c.kc, NULL, 0, &e)) == NULL)
		errx(e.code, "%s", e.msg);
	rc = strcmp(argv[i], "get") == 0 ? cmd_get(&c, argv[i + 1]) : cmd_cat(&c, argv[i + 1]);
	kubo_free(c.k);
	jsonl_close(c.out);
	config_free(cf);
	return rc;
}
