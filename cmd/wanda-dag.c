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
#include <sys/stat.h>
#include <unistd.h>
#include <sys/stat.h>
#include <cjson/cJSON.h>
#include <limits.h>
#include "ipld/addtree.h"
#include "base/atomicio.h"
#include "base/buf.h"
#include "ipld/blockstore.h"
#include "ipld/car.h"
#include "ipld/cid.h"
#include "base/cli.h"
#include "base/config.h"
#include "site/dagbuild.h"
#include "base/eventlog.h"
#include "ipld/importer.h"
#include "kubo/kubo.h"
#include "kubo/kubo_cli.h"
#include "spool/spool.h"
#include "spool/settle.h"
#include "base/jsonl.h"
#include "base/path.h"
#include "ipld/multibase.h"
#include "ipld/multihash.h"
#include "ipld/unixdir.h"
#include "base/werr.h"

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
	    "                         [--page-size N] [--root] [--api URL] [--timeout DURATION]\n"
	    "                         [--retries N] SESSION... | --from-spool\n"
	    "       wanda-dag root [--jq FILTER] [--car FILE] [--no-import] [--no-pin]\n"
	    "                      [--api URL] [--timeout DURATION] [--retries N]\n"
	    "       wanda-dag --help | --version\n"
	    "commands:\n"
	    "  add      compute the root CID `ipfs add --only-hash` would print\n"
	    "  verify   check every block of a CAR file against its CID\n"
	    "  ls       list the blocks of a CAR file\n"
	    "  session  build a session's directory DAG\n"
	    "  root     build the node root DAG\n"
	    "add options (as ipfs add spells them):\n"
	    "  --profile unixfs-v1-2025|unixfs-v0-2015  --cid-version 0|1  --raw-leaves[=bool]\n"
	    "  -s, --chunker size-N  -t, --trickle  --hash sha2-256|sha2-512\n"
	    "  --max-file-links N  --max-directory-links N  --hamt-threshold SIZE\n"
	    "  --hamt-estimation links|block  --hamt-fanout N  -r, --recursive\n"
	    "  -w, --wrap-with-directory  -H, --hidden  --stdin-name NAME  --cid-base BASE\n"
	    "  -q, --quiet  -Q, --quieter  -n, --only-hash  --car OUT.car\n");
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
	static const struct option lo[] = { CLI_COMMON_LONGOPTS, { NULL, 0, NULL, 0 } };
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
	struct werr e = { 0 };
	struct jsonl *j = jsonl_open(stdout, c->jq, &e);

	if (j == NULL)
		errx(e.code, "%s", e.msg);
	return j;
}

/* ---- add (owner: importer) ------------------------------------------------
 * Flags as `ipfs add` spells them; the profile gives the defaults (Kubo's
 * own, or unixfs-v1-2025), explicit flags override it, then Kubo's
 * implications apply: a hash other than sha2-256 means CIDv1, and CIDv1
 * means raw leaves unless raw leaves were set. */
struct addcli {
	struct add_opts o;
	int cidv, cidv_set, raw, raw_set, trickle, maxl, maxl_set, dmaxl, dmaxl_set;
	int fanout, fanout_set, est, est_set, quiet, quieter, base_set;
	uint64_t mh, thresh;
	int mh_set, thresh_set;
	size_t chunk;
	int chunk_set;
	char base;
	const char *profile, *car;
};

/* Go's strconv.ParseBool, which Kubo uses for --raw-leaves=VALUE. */
static int
parse_gobool(const char *s, int *v)
{
	static const char *t[] = { "1", "t", "T", "true", "TRUE", "True" };
	static const char *f[] = { "0", "f", "F", "false", "FALSE", "False" };

	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		if (strcmp(s, t[i]) == 0)
			return *v = 1, 0;
		if (strcmp(s, f[i]) == 0)
			return *v = 0, 0;
	}
	return -1;
}

static void
add_usage_error(const char *fmt, const char *arg)
{
	warnx(fmt, arg);
	exit(EX_USAGE);
}

static long
add_number(const char *s, long lo, long hi, const char *flag)
{
	struct werr e = { 0 };
	long v;

	if (parse_long(s, lo, hi, &v, flag, &e) < 0)
		errx(EX_USAGE, "%s", e.msg);
	return v;
}

static void
add_parse(int argc, char **argv, struct common *c, struct addcli *a, int *first)
{
	enum { O_CIDV = 256,
		O_RAW,
		O_HASH,
		O_MAXL,
		O_DMAXL,
		O_PROFILE,
		O_STDIN,
		O_BASE,
		O_THRESH,
		O_EST,
		O_FANOUT,
		O_CAR };
	static const struct option lo[] = {
		CLI_COMMON_LONGOPTS,
		{ "cid-version", required_argument, NULL, O_CIDV },
		{ "raw-leaves", optional_argument, NULL, O_RAW },
		{ "chunker", required_argument, NULL, 's' },
		{ "trickle", no_argument, NULL, 't' },
		{ "recursive", no_argument, NULL, 'r' },
		{ "wrap-with-directory", no_argument, NULL, 'w' },
		{ "hidden", no_argument, NULL, 'H' },
		{ "hash", required_argument, NULL, O_HASH },
		{ "max-file-links", required_argument, NULL, O_MAXL },
		{ "max-directory-links", required_argument, NULL, O_DMAXL },
		{ "profile", required_argument, NULL, O_PROFILE },
		{ "stdin-name", required_argument, NULL, O_STDIN },
		{ "cid-base", required_argument, NULL, O_BASE },
		{ "quiet", no_argument, NULL, 'q' },
		{ "quieter", no_argument, NULL, 'Q' },
		{ "only-hash", no_argument, NULL, 'n' },
		{ "hamt-threshold", required_argument, NULL, O_THRESH },
		{ "hamt-estimation", required_argument, NULL, O_EST },
		{ "hamt-fanout", required_argument, NULL, O_FANOUT },
		{ "max-hamt-fanout", required_argument, NULL, O_FANOUT },
		{ "car", required_argument, NULL, O_CAR },
		{ NULL, 0, NULL, 0 }
	};
	struct werr e = { 0 };
	int ch;

	optind = 0; /* glibc: a full restart, so options may follow paths */
	while ((ch = getopt_long(argc, argv, "hVJ:s:trwHqQn", lo, NULL)) != -1) {
		if (common_opt(ch, c))
			continue;
		switch (ch) {
		case O_CIDV:
			a->cidv = (int)add_number(optarg, 0, 1, "--cid-version");
			a->cidv_set = 1;
			break;
		case O_RAW:
			a->raw = 1;
			if (optarg && parse_gobool(optarg, &a->raw) < 0)
				add_usage_error("--raw-leaves=%s: not a boolean", optarg);
			a->raw_set = 1;
			break;
		case 's':
			if (strncmp(optarg, "size-", 5) != 0)
				add_usage_error("--chunker %s: only size-N is supported", optarg);
			a->chunk = (size_t)add_number(optarg + 5, 1, IMPORT_CHUNK_MAX, "--chunker size-N");
			a->chunk_set = 1;
			break;
		case 't': a->trickle = 1; break;
		case 'r': a->o.recursive = 1; break;
		case 'w': a->o.wrap = 1; break;
		case 'H': a->o.hidden = 1; break;
		case 'q': a->quiet = 1; break;
		case 'Q': a->quieter = 1; break;
		case 'n': break; /* --only-hash: nothing is ever stored anyway */
		case O_HASH:
			if (mh_code_from_name(optarg, &a->mh) < 0 || (a->mh != MH_SHA2_256 && a->mh != MH_SHA2_512))
				add_usage_error("--hash %s: unsupported hash function (sha2-256, sha2-512)", optarg);
			a->mh_set = 1;
			break;
		case O_MAXL:
			a->maxl = (int)add_number(optarg, IMPORT_LINKS_MIN, 1 << 20, "--max-file-links");
			a->maxl_set = 1;
			break;
		case O_DMAXL:
			a->dmaxl = (int)add_number(optarg, 0, 1 << 30, "--max-directory-links");
			a->dmaxl_set = 1;
			break;
		case O_PROFILE:
			if (strcmp(optarg, "unixfs-v1-2025") != 0 && strcmp(optarg, "unixfs-v0-2015") != 0)
				add_usage_error("--profile %s: unknown profile (unixfs-v1-2025, unixfs-v0-2015)", optarg);
			a->profile = optarg;
			break;
		case O_STDIN: a->o.stdin_name = optarg; break;
		case O_BASE:
			if (mb_prefix_from_name(optarg, &a->base) < 0)
				add_usage_error("--cid-base %s: unknown multibase", optarg);
			a->base_set = 1;
			break;
		case O_THRESH:
			if (parse_size(optarg, &a->thresh, "--hamt-threshold", &e) < 0)
				errx(EX_USAGE, "%s", e.msg);
			a->thresh_set = 1;
			break;
		case O_EST:
			if (strcmp(optarg, "links") == 0)
				a->est = HAMT_EST_LINKS;
			else if (strcmp(optarg, "block") == 0)
				a->est = HAMT_EST_BLOCK;
			else
				add_usage_error("--hamt-estimation %s: expected links or block", optarg);
			a->est_set = 1;
			break;
		case O_FANOUT:
			a->fanout = (int)add_number(optarg, 8, 1024, "--hamt-fanout");
			if (a->fanout % 8 != 0 || (a->fanout & (a->fanout - 1)) != 0)
				add_usage_error("--hamt-fanout %s: must be a power of 2 and a multiple of 8", optarg);
			a->fanout_set = 1;
			break;
		case O_CAR: a->car = optarg; break;
		default:
			usage(stderr);
			exit(EX_USAGE);
		}
	}
	*first = optind;
}

/* Profile first, then the flags, then Kubo's implications. */
static void
add_resolve(struct addcli *a)
{
	struct import_opts *im = &a->o.imp;
	struct dir_opts *d = &a->o.dir;
	int wanda = a->profile && strcmp(a->profile, "unixfs-v1-2025") == 0;
	int raw_set = a->raw_set || wanda; /* the profile sets raw leaves */

	if (wanda) {
		import_opts_wanda(im);
		dir_opts_wanda(d);
	} else {
		import_opts_kubo(im);
		dir_opts_kubo(d);
	}
	if (a->cidv_set)
		im->cid_version = a->cidv;
	if (a->raw_set)
		im->raw_leaves = a->raw;
	if (a->mh_set)
		im->mh_code = a->mh;
	if (a->chunk_set)
		im->chunk_size = a->chunk;
	if (a->trickle)
		im->trickle = 1;
	if (a->maxl_set)
		im->max_links = a->maxl;
	/* Only an explicit --cid-base changes how CIDs are shown (and shows a
	 * v0 as v1); the profile's base32 is what a v1 CID shows anyway. */
	im->cid_base = a->base_set ? a->base : 0;
	if (im->mh_code != MH_SHA2_256) {
		if (a->cidv_set && a->cidv == 0)
			errx(EX_USAGE, "--hash %s: CIDv0 only supports sha2-256", mh_name(im->mh_code));
		im->cid_version = 1;
	}
	if (im->cid_version == 1 && !raw_set)
		im->raw_leaves = 1;
	if (a->dmaxl_set)
		d->max_links = a->dmaxl;
	if (a->thresh_set)
		d->hamt_threshold = a->thresh;
	if (a->est_set)
		d->hamt_estimation = a->est;
	if (a->fanout_set)
		d->hamt_fanout = a->fanout;
}

/* Kubo shows a CIDv0 in another base as the same CID upgraded to v1. */
static int
add_fmt(const struct cid *c, char base, char *s, size_t cap, struct werr *e)
{
	struct cid u = *c;

	if (u.version == 0 && base != 0 && base != 'z')
		u.version = 1;
	return cid_format(&u, base, s, cap, e);
}

struct addout {
	struct addcli *a;
	struct jsonl *j;
	char last[CID_STR_MAX];
	struct cid *roots; /* every root printed, for the CAR header */
	size_t nroots, caproots;
};

static int
add_event_out(void *ctx, const struct add_event *ev, struct werr *e)
{
	struct addout *o = ctx;
	cJSON *obj;

	if (add_fmt(&ev->cid, o->a->o.imp.cid_base, o->last, sizeof o->last, e) < 0)
		return -1;
	if (ev->root) {
		if (buf_grow_array(&o->roots, &o->caproots, o->nroots + 1, sizeof *o->roots, 8, e) < 0)
			return werr_prefix(e, "add");
		o->roots[o->nroots++] = ev->cid;
	}
	if (o->a->quieter)
		return 0;
	if (o->a->quiet) {
		if (printf("%s\n", o->last) < 0 || fflush(stdout) == EOF)
			return werr_sys(e, EX_IOERR, "stdout");
		return 0;
	}
	obj = cJSON_CreateObject();
	cJSON_AddStringToObject(obj, "name", ev->name);
	cJSON_AddStringToObject(obj, "cid", o->last);
	cJSON_AddNumberToObject(obj, "size", (double)ev->size);
	cJSON_AddNumberToObject(obj, "bytes", (double)ev->bytes);
	return jsonl_emit_take(o->j, obj, e);
}

/* Every block passes here: into the blockstore with --car, and counted for
 * the progress bar when stderr is a terminal. */
struct addsink {
	struct blockstore *bs;
	struct progress pg;
	unsigned long long done;
};

static int
add_sink(void *ctx, const struct cid *c, const uint8_t *p, size_t n, struct werr *e)
{
	struct addsink *s = ctx;

	s->done += n;
	progress_update(&s->pg, s->done);
	return s->bs ? bs_sink(s->bs, c, p, n, e) : 0;
}

/* Bytes to expect, for the bar: the sizes of the files named; 0 (unknown)
 * when a directory or stdin is among them. */
static unsigned long long
add_total(const char *const *paths, size_t n)
{
	unsigned long long t = 0;
	struct stat st;

	for (size_t i = 0; i < n; i++) {
		if (strcmp(paths[i], "-") == 0 || lstat(paths[i], &st) < 0 || !S_ISREG(st.st_mode))
			return 0;
		t += (unsigned long long)st.st_size;
	}
	return t;
}

/* With --car, blocks go to a blockstore and are written out afterwards in
 * `ipfs dag export` order (pre-order from the root); the CAR appears
 * atomically, whole or not at all. Its roots are the roots printed. */
static int
add_run(struct addcli *a, const char *const *paths, size_t n, struct addout *out, struct werr *e)
{
	struct addsink s;
	struct atomic_file af;
	int rc;

	memset(&s, 0, sizeof s);
	progress_start(&s.pg, "add", add_total(paths, n));
	if (a->car && (s.bs = bs_new(BS_DEFAULT_MEM, NULL, e)) == NULL)
		return -1;
	rc = add_paths(paths, n, &a->o, a->car || s.pg.enabled ? add_sink : NULL, &s,
	    add_event_out, out, NULL, e);
	progress_end(&s.pg);
	if (rc == 0 && a->car && (rc = atomic_open(&af, a->car, e)) == 0) {
		if (car_export(s.bs, out->roots, out->nroots, af.fd, a->car, e) < 0) {
			atomic_abort(&af);
			rc = -1;
		} else {
			rc = atomic_commit(&af, e);
		}
	}
	bs_free(s.bs);
	return rc;
}

/* add [options] PATH... | -: the CIDs `ipfs add --only-hash` prints, as
 * JSON lines {"name","cid","size","bytes"}, root last. */
static int
cmd_add(int argc, char **argv, struct common *c)
{
	struct addcli a;
	struct addout out;
	struct werr e = { 0 };
	const char *dash[] = { "-" };
	const char *const *paths;
	size_t npaths;
	int first, rc;

	memset(&a, 0, sizeof a);
	memset(&out, 0, sizeof out);
	add_parse(argc, argv, c, &a, &first);
	add_resolve(&a);
	paths = (const char *const *)argv + first;
	npaths = (size_t)(argc - first);
	if (npaths == 0) {
		if (isatty(0)) {
			warnx("add: expected a file argument (or - for standard input)");
			usage(stderr);
			exit(EX_USAGE);
		}
		paths = dash; /* like ipfs add with nothing but a pipe */
		npaths = 1;
	}
	out.a = &a;
	if (!a.quiet && !a.quieter)
		out.j = open_out(c);
	rc = add_run(&a, paths, npaths, &out, &e);
	if (rc == 0 && a.quieter && printf("%s\n", out.last) < 0)
		rc = werr_sys(&e, EX_IOERR, "stdout");
	if (out.j)
		jsonl_close(out.j);
	free(out.roots);
	if (rc < 0)
		errx(e.code ? e.code : EX_SOFTWARE, "%s", e.msg);
	return 0;
}

/* session and root: flags shared by both. */
struct build_flags {
	struct build_cfg b;
	struct spool_policy pol; /* --from-spool: how failures settle */
	struct config *cf;
	struct kubo_cli kc; /* --api, --timeout, --retries */
	int import, from_spool, root;
};

static void
build_parse(int argc, char **argv, struct common *c, struct build_flags *f, int session)
{
	static const struct option lo[] = {
		{ "car", required_argument, NULL, 'c' },
		{ "no-import", no_argument, NULL, 'n' },
		{ "no-pin", no_argument, NULL, 'p' },
		{ "page-size", required_argument, NULL, 's' },
		{ "from-spool", no_argument, NULL, 'f' },
		{ "root", no_argument, NULL, 'r' },
		KUBO_CLI_LONGOPTS,
		CLI_COMMON_LONGOPTS,
		{ NULL, 0, NULL, 0 },
	};
	struct werr e = { 0 };
	long n;
	int ch;

	if (!(f->cf = config_load(&e)))
		errx(e.code, "%s", e.msg);
	kubo_cli_init(&f->kc, f->cf, 0, 3);
	f->import = f->b.pin = 1;
	optind = 0; /* reinitialise glibc's getopt: options may follow the names (no '+') */
	while ((ch = kubo_cli_getopt(&f->kc, NULL, argc, argv, "hVJ:", lo, &e)) != -1) {
		if (ch == KUBO_CLI_BAD)
			errx(e.code, "%s", e.msg);
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
			f->from_spool = f->root = 1;
		else if (ch == 'r' && session)
			f->root = 1;
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
	struct config *cf = f->cf;
	struct werr e = { 0 };

	f->b.home = config_home(cf);
	f->b.ipns_key = config_get_or(cf, "ipns_key", "wanda");
	if (f->from_spool && spool_policy_config(cf, &f->pol, &e) < 0)
		errx(e.code, "%s", e.msg);
	if (f->import && !(f->b.k = kubo_cli_open(&f->kc, NULL, 0, &e)))
		errx(e.code, "%s", e.msg);
	return cf;
}

/* The claim a line's spool_file names, rebuilt inside our own spool's
 * cur/ from its last component (a claim name): a line on stdin never
 * chooses which file is removed or rewritten. NULL when it is no claim. */
static const char *
claim_path(const char *home, const char *sf, char *buf, size_t len)
{
	const char *base = sf && strrchr(sf, '/') ? strrchr(sf, '/') + 1 : sf;
	char id[SPOOL_NAME_MAX];
	struct spool_claimer who;

	if (base == NULL || base[0] == '.' || spool_parse_claim(base, id, sizeof id, &who) != 0 ||
	    path_fmt(buf, len, NULL, "%s/spool/cur/%s", home, base) < 0)
		return NULL;
	return buf;
}

/* Settle a claimed session entry here (it never reaches wanda-push) by
 * spool/settle.h's policy; the outcome goes to events.jsonl and a
 * one-line note to stderr. */
static int
settle_line(const struct build_flags *f, const cJSON *in, const cJSON *line, struct werr *e)
{
	char cur[PATH_MAX];
	const char *sf = claim_path(f->b.home, cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(in, "spool_file")), cur, sizeof cur);
	const cJSON *err = cJSON_GetObjectItemCaseSensitive(line, "error"), *it;
	const char *msg = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(err, "message"));
	struct werr le = { 0 };
	char spool[PATH_MAX];
	cJSON *ev;
	int st = 0;

	if (path_join(spool, sizeof spool, f->b.home, "spool", e) < 0)
		return -1;
	if (sf && (st = spool_settle(spool, sf, &f->pol, line, wall_ms(), e)) < 0 &&
	    e->code != EX_NOINPUT)
		return -1;
	ev = event_new(err ? "session_failed" : "session_built");
	cJSON_ArrayForEach(it, line)
	    cJSON_AddItemToObject(ev, it->string, cJSON_Duplicate(it, 1));
	if (err && st > 0)
		cJSON_AddStringToObject(ev, "spool", spool_state_name(st));
	if (event_append(f->b.home, ev, &le) < 0)
		warnx("%s", le.msg);
	cJSON_Delete(ev);
	if (err)
		warnx("session %s: %s", cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(in, "session")), msg);
	else
		warnx("session %s: %s", cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(line, "session")),
		    cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(line, "cid")));
	return 0;
}

/* One spool line: a "session" entry is built (strict: it waits until its
 * captures are pushed) and settled here; anything else passes through
 * unchanged, so this stage sits in front of wanda-push. */
static int
spool_line(const struct build_flags *f, cJSON *in, struct jsonl *out, struct werr *e)
{
	const struct build_cfg *b = &f->b;
	const cJSON *kind = cJSON_GetObjectItemCaseSensitive(in, "kind");
	const cJSON *name = cJSON_GetObjectItemCaseSensitive(in, "session");
	struct werr be = { 0 };
	cJSON *line = NULL, *err;
	int rc;

	if (!cJSON_IsString(kind) || strcmp(kind->valuestring, "session"))
		return jsonl_emit(out, in, e);
	if (!cJSON_IsString(name))
		werr_set(&be, EX_DATAERR, "spool entry: no \"session\" string");
	else if (build_session(b, name->valuestring, &line, &be) == 0) {
		/* the root follows its sessions; a failure here only delays it */
		cJSON *r = NULL;
		if (build_root(b, &r, &be) == 0)
			cJSON_AddItemToObject(line, "root",
			    cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(r, "cid"), 1));
		else
			warnx("root: %s", be.msg);
		cJSON_Delete(r);
		goto done;
	}
	line = cJSON_CreateObject();
	if (cJSON_IsString(name))
		cJSON_AddStringToObject(line, "session", name->valuestring);
	err = settle_error(be.code, settle_kind(be.code), be.msg,
	    settle_permanent(settle_kind(be.code), 0));
	cJSON_AddItemToObject(line, "error", err);
done:
	if (cJSON_GetObjectItemCaseSensitive(in, "id"))
		cJSON_AddItemToObject(line, "id", cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(in, "id"), 1));
	rc = settle_line(f, in, line, e);
	cJSON_Delete(line);
	return rc;
}

static int
session_from_spool(struct build_flags *f, struct jsonl *out, struct werr *e)
{
	char *buf = NULL;
	size_t cap = 0;
	ssize_t n;
	int rc = 0;

	f->b.strict = 1;
	cli_input_unbuffered();
	while (rc == 0 && cli_wait_input() == 0 && (n = jsonl_getline(&buf, &cap, stdin, e)) != -1) {
		cJSON *in = n > 0 ? cJSON_ParseWithLength(buf, (size_t)n) : NULL;
		if (n == -2)
			warnx("stdin: %s", e->msg);
		else if (!cJSON_IsObject(in))
			warnx("stdin: skipping a line that is not a JSON object");
		else
			rc = spool_line(f, in, out, e);
		cJSON_Delete(in);
	}
	free(buf);
	return rc;
}

/* session SESSION... | --from-spool [--root], and root: the DAGs built,
 * one line each (a root after its sessions). */
static int
cmd_build(int argc, char **argv, struct common *c, int session)
{
	struct build_flags f = { 0 };
	struct werr e = { 0 };
	struct config *cf;
	struct jsonl *j;
	cJSON *line;
	int rc = 0;

	build_parse(argc, argv, c, &f, session);
	f.root |= !session;
	if (!session || f.from_spool ? optind != argc : optind >= argc) {
		usage(stderr);
		return EX_USAGE;
	}
	if (f.b.car && argc - optind > 1)
		errx(EX_USAGE, "session: --car takes one SESSION");
	cf = build_setup(&f);
	j = open_out(c);
	if (f.from_spool)
		rc = session_from_spool(&f, j, &e);
	for (int i = optind; rc == 0 && i < argc; i++)
		if ((rc = build_session(&f.b, argv[i], &line, &e)) == 0)
			rc = jsonl_emit_take(j, line, &e);
	if (rc == 0 && f.root && !f.from_spool && (rc = build_root(&f.b, &line, &e)) == 0)
		rc = jsonl_emit_take(j, line, &e);
	jsonl_close(j);
	kubo_free(f.b.k);
	config_free(cf);
	if (rc < 0)
		errx(e.code, "%s", e.msg);
	return 0;
}

static int
cmd_session(int argc, char **argv, struct common *c)
{
	return cmd_build(argc, argv, c, 1);
}

static int
cmd_root(int argc, char **argv, struct common *c)
{
	return cmd_build(argc, argv, c, 0);
}

/* verify and ls: the one operand FILE.car, read and checked block by
 * block, and the output. */
struct carcmd {
	const char *file;
	struct car_reader *r;
	struct jsonl *j;
};

static void
carcmd_open(struct carcmd *cc, int argc, char **argv, struct common *c, const char *cmd)
{
	int i = simple_opts(argc, argv, c);
	struct werr e = { 0 };
	int fd;

	if (argc - i != 1) {
		warnx("%s: expected one FILE.car", cmd);
		usage(stderr);
		exit(EX_USAGE);
	}
	cc->file = argv[i];
	if (strcmp(cc->file, "-") == 0)
		fd = 0;
	else if ((fd = open(cc->file, O_RDONLY | O_CLOEXEC)) < 0)
		err(EX_NOINPUT, "%s", cc->file);
	if ((cc->r = car_reader_open(fd, cc->file, &e)) == NULL)
		errx(e.code, "%s", e.msg);
	cc->j = open_out(c);
}

/* The end of verify and ls: rc < 0 is e's error. */
static int
carcmd_close(struct carcmd *cc, int rc, const struct werr *e)
{
	if (rc < 0)
		errx(e->code, "%s", e->msg);
	car_reader_close(cc->r);
	jsonl_close(cc->j);
	return 0;
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
	struct carcmd cc;
	struct car_block b;
	struct werr e = { 0 };
	unsigned long long blocks = 0, bytes = 0;
	struct progress pg;
	struct stat st;
	cJSON *o;
	int rc;

	carcmd_open(&cc, argc, argv, c, "verify");
	/* a bar only for regular files: their size is the total */
	progress_start(&pg, "verify", fstat(car_reader_fd(cc.r), &st) == 0 && S_ISREG(st.st_mode) ? (unsigned long long)st.st_size : 0);
	while ((rc = car_reader_next(cc.r, &b, &e)) == 1) {
		blocks++;
		bytes += b.len;
		progress_update(&pg, b.data_offset + b.len);
	}
	progress_end(&pg);
	if (rc == 0) {
		o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "file", cc.file);
		cJSON_AddItemToObject(o, "roots", roots_json(cc.r));
		cJSON_AddNumberToObject(o, "blocks", (double)blocks);
		cJSON_AddNumberToObject(o, "bytes", (double)bytes);
		cJSON_AddBoolToObject(o, "ok", 1);
		rc = jsonl_emit_take(cc.j, o, &e);
	}
	return carcmd_close(&cc, rc, &e);
}

/* ls FILE.car: one line per block, as it is read and verified. */
static int
cmd_ls(int argc, char **argv, struct common *c)
{
	struct carcmd cc;
	struct car_block b;
	struct werr e = { 0 };
	char s[CID_STR_MAX];
	const char *codec;
	cJSON *o;
	int rc;

	carcmd_open(&cc, argc, argv, c, "ls");
	while ((rc = car_reader_next(cc.r, &b, &e)) == 1) {
		if (cid_format(&b.cid, 0, s, sizeof s, &e) < 0) {
			rc = -1;
			break;
		}
		o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "cid", s);
		if ((codec = cid_codec_name(b.cid.codec)) != NULL)
			cJSON_AddStringToObject(o, "codec", codec);
		else
			cJSON_AddNumberToObject(o, "codec", (double)b.cid.codec);
		cJSON_AddNumberToObject(o, "size", (double)b.len);
		cJSON_AddNumberToObject(o, "offset", (double)b.offset);
		if ((rc = jsonl_emit_take(cc.j, o, &e)) < 0)
			break;
	}
	return carcmd_close(&cc, rc, &e);
}

int
main(int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*fn)(int, char **, struct common *);
	} cmds[] = {
		{ "add", cmd_add },
		{ "verify", cmd_verify },
		{ "ls", cmd_ls },
		{ "session", cmd_session },
		{ "root", cmd_root },
	};
	struct common c = { 0 };
	int i = simple_opts(argc, argv, &c);

	cli_locale();
	if (i >= argc) {
		usage(stderr);
		return EX_USAGE;
	}
	for (size_t k = 0; k < sizeof cmds / sizeof cmds[0]; k++)
		if (strcmp(argv[i], cmds[k].name) == 0) {
			/* getopt names argv[0] in its messages: "wanda-dag ls: ..." */
			char name[32];
			snprintf(name, sizeof name, PROG " %s", cmds[k].name);
			argv[i] = name;
			return cmds[k].fn(argc - i, argv + i, &c);
		}
	warnx("%s: unknown command", argv[i]);
	usage(stderr);
	return EX_USAGE;
}
