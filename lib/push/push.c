/* push: one file onto IPFS, verified; the outbox while the daemon is away. */
#include "push/push.h"
#include "ipld/car.h"
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "base/atomicio.h"
#include "base/buf.h"
#include "base/cli.h"
#include "base/path.h"
#include "ipld/importer.h"
#include "spool/settle.h"

/* Kubo's default links per file node. `add` is told WANDA's 1024
 * (max-file-links, Kubo 0.35+); a daemon that ignores it builds this
 * many, which changes the DAG of a file of more than 174 chunks: then
 * WANDA's 1024-link nodes are added beside it (see settle). */
#define KUBO_DEFAULT_LINKS 174

void
push_opts_default(struct push_opts *o)
{
	memset(o, 0, sizeof *o);
	o->via = PUSH_VIA_ADD;
	o->progress_min = 16 << 20;
}

/* Record a failure of kind; the message is already in r->err. */
static int
fail(struct push_result *r, const char *kind, int permanent)
{
	r->kind = kind;
	r->permanent = permanent;
	r->err.code = settle_code(kind);
	return -1;
}

/* Map the client's last error onto our kinds. */
static int
fail_kubo(struct push_result *r, const struct kubo *k)
{
	const struct kubo_error *ke = kubo_last_error(k);
	const char *kind = kubo_kind_name(ke->kind);

	if (ke->kind == KUBO_E_LOCAL)
		return fail(r, "missing", 1);
	if (ke->kind == KUBO_E_ABORTED || ke->kind == KUBO_E_NONE)
		kind = "protocol";
	return fail(r, kind, ke->permanent);
}

/* ---- CAR v1 written as blocks come out of the importer ------------------- */

/* The CAR of one file: lib/car's writer, plus writing a repeated chunk
 * (same CID) once, as `ipfs dag export` does. */
struct car_out {
	struct car_writer *w;
	struct cid *seen; /* blocks written */
	size_t nseen, capseen;
};

static int
car_block(void *ctx, const struct cid *cid, const uint8_t *data, size_t len, struct werr *e)
{
	struct car_out *c = ctx;

	for (size_t i = 0; i < c->nseen; i++)
		if (cid_equal(&c->seen[i], cid))
			return 0;
	if (buf_grow_array(&c->seen, &c->capseen, c->nseen + 1, sizeof *c->seen, 64, e) < 0)
		return werr_prefix(e, "CAR block list");
	c->seen[c->nseen++] = *cid;
	return car_writer_put(c->w, cid, data, len, e);
}

/* Write the CAR of path (root already known) to fd. */
static int
car_of_file(const char *path, const struct cid *root, int fd, struct werr *e)
{
	struct import_opts io;
	struct car_out c = { 0 };
	struct cid again;
	uint64_t tsize, fsize;
	int rc;

	import_opts_wanda(&io);
	if ((c.w = car_writer_open(fd, "CAR", root, 1, e)) == NULL)
		return -1;
	rc = import_path(path, &io, car_block, &c, &again, &tsize, &fsize, e);
	free(c.seen);
	if (rc == 0)
		rc = car_writer_close(c.w, e);
	else
		car_writer_close(c.w, NULL);
	if (rc == 0 && !cid_equal(&again, root))
		return werr_set(e, EX_DATAERR, "%s: changed while it was being read", path);
	return rc;
}

/* ---- the outbox ----------------------------------------------------------- */

/* Append the note (with the file's cid and size) as a line of CAR.json:
 * several inputs may have the same content, hence the same CAR, and flush
 * reports each of them. One writer at a time (wanda-push runs once). */
static int
outbox_note(const char *car, const cJSON *note, const struct push_result *r, struct werr *e)
{
	char p[PATH_MAX], *old = NULL, *line, *all;
	size_t oldlen = 0;
	cJSON *n;
	int rc;

	if (note == NULL)
		return 0;
	if (path_fmt(p, sizeof p, e, "%s.json", car) < 0)
		return -1;
	if (read_file(p, &old, &oldlen, NULL) < 0)
		oldlen = 0;
	n = cJSON_Duplicate(note, 1);
	cJSON_DeleteItemFromObjectCaseSensitive(n, "cid");
	cJSON_DeleteItemFromObjectCaseSensitive(n, "size");
	cJSON_AddStringToObject(n, "cid", r->cid);
	cJSON_AddNumberToObject(n, "size", (double)r->size);
	line = cJSON_PrintUnformatted(n);
	cJSON_Delete(n);
	all = line ? malloc(oldlen + strlen(line) + 2) : NULL;
	if (all == NULL) {
		free(old);
		free(line);
		return werr_set(e, EX_OSERR, "%s: cannot encode note", p);
	}
	if (oldlen > 0)
		memcpy(all, old, oldlen);
	sprintf(all + oldlen, "%s\n", line);
	if (oldlen > 0 && (strncmp(old, all + oldlen, strlen(line) + 1) == 0 || strstr(old, all + oldlen - 1) != NULL)) /* "\nLINE\n": queued twice */
		all[oldlen] = '\0';
	rc = atomic_write(p, all, strlen(all), e);
	free(old);
	free(line);
	free(all);
	return rc;
}

/* Queue path's blocks as OUTBOX/CID.car (+ CID.car.json). */
static int
outbox_put(const struct push_opts *o, const char *path, const cJSON *note, struct push_result *r)
{
	struct atomic_file af;
	struct cid root;

	if (o->outbox == NULL || cid_parse(r->cid, &root, &r->err) < 0) {
		werr_set(&r->err, EX_CANTCREAT, "%s: no outbox", path);
		return fail(r, "outbox", 0);
	}
	if (mkdir_p(o->outbox, 0755, &r->err) < 0)
		return fail(r, "outbox", 0);
	if (path_fmt(r->outbox_file, sizeof r->outbox_file, &r->err, "%s/%s.car", o->outbox, r->cid) < 0 ||
	    atomic_open(&af, r->outbox_file, &r->err) < 0)
		return fail(r, "outbox", 0);
	if (car_of_file(path, &root, af.fd, &r->err) < 0) {
		atomic_abort(&af);
		return fail(r, r->err.code == EX_DATAERR ? "cid-mismatch" : "outbox", 0);
	}
	if (atomic_commit(&af, &r->err) < 0 || outbox_note(r->outbox_file, note, r, &r->err) < 0)
		return fail(r, "outbox", 0);
	r->queued = 1;
	r->pinned = 0;
	return 0;
}

/* ---- online pushes -------------------------------------------------------- */

/* An upload's progress: the bar on a terminal (big files) and the
 * caller's observer (every file). */
struct bar {
	struct progress p;
	int show;
	const struct push_opts *o;
	const char *path;
	uint64_t size;
};

static void
on_progress(void *ctx, uint64_t sent, uint64_t total)
{
	struct bar *b = ctx;

	if (b->show)
		progress_update(&b->p, sent);
	if (b->o->on_bytes)
		b->o->on_bytes(b->o->on_bytes_ctx, b->path, sent, total ? total : b->size);
}

/* The progress of pushing path (r->size known), or NULL when nobody looks. */
static struct bar *
bar_start(struct bar *b, const struct push_opts *o, const char *path, const struct push_result *r)
{
	b->show = o->progress_min > 0 && r->size >= o->progress_min;
	b->o = o;
	b->path = path;
	b->size = r->size;
	if (b->show)
		progress_start(&b->p, path, r->size);
	return b->show || o->on_bytes ? b : NULL;
}

static void
bar_end(struct bar *b)
{
	if (b && b->show)
		progress_end(&b->p);
}

/* Compare the daemon's CID string with the local one. */
static int
verify(const char *daemon, const struct push_result *r, const char *path, struct werr *e)
{
	struct cid a, b;

	if (cid_parse(daemon, &a, e) < 0)
		return werr_set(e, EX_PROTOCOL, "%s: daemon answered a bad CID '%s'", path, daemon);
	if (cid_parse(r->cid, &b, e) < 0)
		return -1;
	if (!cid_equal(&a, &b))
		return werr_set(e, EX_DATAERR, "%s: daemon CID %s differs from local CID %s", path, daemon, r->cid);
	return 0;
}

struct roots {
	const struct push_result *r;
	const char *path;
	int found;
	struct werr verr;
};

static int
on_root(void *ctx, const char *cid, const char *pin_error, struct werr *e)
{
	struct roots *rs = ctx;

	(void)pin_error;
	(void)e;
	if (verify(cid, rs->r, rs->path, &rs->verr) == 0)
		rs->found = 1;
	return 0;
}

/* Import a CAR (fd at its start) and check that root is among its roots. */
static int
import_car(struct kubo *k, int fd, const char *path, struct bar *bar, struct push_result *r)
{
	struct kubo_import_opts io = { .pin_roots = 1, .size_hint = r->size };
	struct roots rs = { .r = r, .path = path };

	if (bar != NULL) {
		io.progress = on_progress;
		io.progress_ctx = bar;
	}
	if (kubo_dag_import(k, fd, &io, on_root, &rs, &r->err) < 0)
		return fail_kubo(r, k);
	if (!rs.found) {
		r->err = rs.verr;
		if (r->err.code == 0)
			werr_set(&r->err, EX_DATAERR, "%s: daemon imported no root %s", path, r->cid);
		return fail(r, r->err.code == EX_PROTOCOL ? "protocol" : "cid-mismatch", r->err.code != EX_PROTOCOL);
	}
	r->pinned = 1;
	return 0;
}

/* The CAR is made by a thread into a pipe that the upload reads, so a
 * big file never lands on disk a second time (SD cards wear). */
struct car_job {
	const char *path;
	struct cid root;
	int fd; /* the pipe's write end; closed by the thread */
	int rc;
	struct werr err;
};

static void *
car_writer(void *arg)
{
	struct car_job *j = arg;
	sigset_t pipe_set;

	/* a daemon that stops reading must give EPIPE here, not kill us */
	sigemptyset(&pipe_set);
	sigaddset(&pipe_set, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &pipe_set, NULL);
	j->rc = car_of_file(j->path, &j->root, j->fd, &j->err);
	close(j->fd);
	return NULL;
}

static int
push_car(struct kubo *k, const char *path, struct bar *bar, struct push_result *r)
{
	struct car_job j = { .path = path };
	pthread_t th;
	int p[2], rc;

	if (cid_parse(r->cid, &j.root, &r->err) < 0)
		return fail(r, "protocol", 1);
	if (pipe2(p, O_CLOEXEC) < 0) {
		werr_sys(&r->err, EX_OSERR, "%s: pipe", path);
		return fail(r, "outbox", 0);
	}
	j.fd = p[1];
	if ((rc = pthread_create(&th, NULL, car_writer, &j)) != 0) {
		close(p[0]);
		close(p[1]);
		werr_set(&r->err, EX_OSERR, "%s: thread: %s", path, strerror(rc));
		return fail(r, "outbox", 0);
	}
	rc = import_car(k, p[0], path, bar, r);
	close(p[0]); /* a writer still going gets EPIPE and ends */
	pthread_join(th, NULL);
	if (j.rc < 0 && j.err.code != EX_IOERR) { /* the file's fault, not the pipe's */
		r->err = j.err;
		return fail(r, j.err.code == EX_DATAERR ? "cid-mismatch" : "missing", 1);
	}
	return rc;
}

/* The local CID of path (WANDA's profile); fills r->cid, r->size. */
static int
local_cid(const char *path, const struct cid *expect, struct push_result *r)
{
	struct import_opts io;
	struct cid root;
	uint64_t tsize, fsize;

	import_opts_wanda(&io);
	if (import_path(path, &io, NULL, NULL, &root, &tsize, &fsize, &r->err) < 0)
		return fail(r, "missing", 1);
	r->size = fsize;
	if (cid_format(&root, 'b', r->cid, sizeof r->cid, &r->err) < 0)
		return fail(r, "protocol", 1);
	if (expect != NULL && !cid_equal(expect, &root)) {
		char want[CID_STR_MAX] = "?";
		cid_format(expect, 'b', want, sizeof want, NULL);
		werr_set(&r->err, EX_DATAERR, "%s: local CID %s differs from the recorded CID %s", path, r->cid, want);
		return fail(r, "cid-mismatch", 1);
	}
	return 0;
}

/* ---- the add route: hashed while it uploads ------------------------------ */

/* A dag-pb node of WANDA's DAG, kept for block/put. */
struct pbnode {
	struct cid cid;
	uint8_t *data;
	size_t len;
};

/* What the upload tap builds from the bytes as they go out: WANDA's DAG
 * (the CID we report) and, from the same leaves, the DAG a daemon with
 * Kubo's default 174 links per node builds; the two differ only above 174
 * leaves, and then only in their dag-pb nodes (N/1024 of them, ~47 KB
 * each), which are kept so that block/put can add WANDA's. */
struct twin {
	struct file_importer *wanda, *kubo;
	struct pbnode *nodes;
	size_t nnodes, cap;
};

static void
twin_clear(struct twin *t)
{
	fimp_free(t->wanda);
	fimp_free(t->kubo);
	for (size_t i = 0; i < t->nnodes; i++)
		free(t->nodes[i].data);
	free(t->nodes);
	memset(t, 0, sizeof *t);
}

static int
twin_block(void *ctx, const struct cid *cid, const uint8_t *data, size_t len, struct werr *e)
{
	struct twin *t = ctx;
	struct pbnode *n;

	if (cid->codec == CODEC_RAW)
		return fimp_add_leaf(t->kubo, cid, len, len, e);
	if (buf_grow_array(&t->nodes, &t->cap, t->nnodes + 1, sizeof *t->nodes, 4, e) < 0)
		return werr_prefix(e, "DAG node list");
	n = &t->nodes[t->nnodes];
	if ((n->data = malloc(len)) == NULL)
		return werr_sys(e, EX_OSERR, "DAG node");
	memcpy(n->data, data, len);
	n->len = len;
	n->cid = *cid;
	t->nnodes++;
	return 0;
}

/* The upload tap: p NULL starts over (a retried upload). */
static int
twin_tap(void *ctx, const void *p, size_t n, struct werr *e)
{
	struct twin *t = ctx;
	struct import_opts wo, ko;

	if (p != NULL)
		return fimp_write(t->wanda, p, n, e);
	twin_clear(t);
	import_opts_wanda(&wo);
	ko = wo;
	ko.max_links = KUBO_DEFAULT_LINKS;
	if ((t->kubo = fimp_new(&ko, NULL, NULL, e)) == NULL ||
	    (t->wanda = fimp_new(&wo, twin_block, t, e)) == NULL)
		return -1;
	return 0;
}

/* Finish both DAGs: r->cid, r->size, and the 174-link root. */
static int
twin_finish(struct twin *t, const char *path, struct push_result *r, struct cid *wroot, struct cid *kroot)
{
	uint64_t fsize;

	if (t->wanda == NULL)
		return werr_set(&r->err, EX_SOFTWARE, "%s: nothing was sent", path);
	if (fimp_finish(t->wanda, wroot, NULL, &fsize, &r->err) < 0 ||
	    fimp_finish(t->kubo, kroot, NULL, NULL, &r->err) < 0 ||
	    cid_format(wroot, 'b', r->cid, sizeof r->cid, &r->err) < 0)
		return -1;
	r->size = fsize;
	return 0;
}

/* The same block: codec and multihash (a CIDv0 answer for a v1 node is). */
static int
same_block(const struct cid *a, const struct cid *b)
{
	return a->codec == b->codec && a->mh_len == b->mh_len && memcmp(a->mh, b->mh, a->mh_len) == 0;
}

/* block/put each of WANDA's dag-pb nodes; the leaves are on the daemon. */
static int
put_nodes(struct kubo *k, const struct twin *t, const char *path, struct push_result *r)
{
	char got[KUBO_CID_MAX];
	struct cid c;

	for (size_t i = 0; i < t->nnodes; i++) {
		if (kubo_block_put(k, t->nodes[i].data, t->nodes[i].len, "dag-pb", "sha2-256", 0, got, &r->err) < 0)
			return fail_kubo(r, k);
		if (cid_parse(got, &c, NULL) < 0 || !same_block(&c, &t->nodes[i].cid)) {
			werr_set(&r->err, EX_DATAERR, "%s: daemon stored a DAG node as %s", path, got);
			return fail(r, "cid-mismatch", 1);
		}
	}
	return 0;
}

/* Did the local CID differ from the one the caller recorded? */
static int
expect_differs(const struct cid *expect, const struct cid *root, const char *path, struct push_result *r)
{
	char want[CID_STR_MAX] = "?";

	if (expect == NULL || cid_equal(expect, root))
		return 0;
	cid_format(expect, 'b', want, sizeof want, NULL);
	werr_set(&r->err, EX_DATAERR, "%s: local CID %s differs from the recorded CID %s", path, r->cid, want);
	return 1;
}

/* A daemon that ignored max-file-links (older than Kubo 0.35) built and
 * pinned its 174-link DAG of the same leaves: WANDA's dag-pb nodes go in
 * by block/put, WANDA's root is pinned, the daemon's root unpinned. */
static int
settle_old_daemon(struct kubo *k, const struct twin *t, const char *path, const char *daemon,
    struct push_result *r)
{
	int rc = put_nodes(k, t, path, r);

	if (rc == 0 && kubo_pin_add(k, r->cid, 1, &r->err) < 0)
		rc = fail_kubo(r, k);
	/* the daemon's root only holds the same leaves: a failed unpin leaves
	 * an extra pin, not a wrong one */
	kubo_pin_rm(k, daemon, 1, NULL);
	if (rc < 0)
		return -1;
	r->pinned = 1;
	r->old_daemon = 1;
	return 0;
}

/* After the pinned add: WANDA's root pinned on the daemon, or the reason
 * why not. daemon: the root the daemon built (and pinned); anything but
 * WANDA's root is unpinned again: it is not what we have. */
static int
settle(struct kubo *k, struct twin *t, const char *path, const struct cid *expect, const char *daemon,
    struct bar *bar, struct push_result *r)
{
	struct cid wroot, kroot, d;

	if (twin_finish(t, path, r, &wroot, &kroot) < 0)
		return fail(r, "protocol", 1);
	if (cid_parse(daemon, &d, NULL) < 0) {
		werr_set(&r->err, EX_PROTOCOL, "%s: daemon answered a bad CID '%s'", path, daemon);
		return fail(r, "protocol", 0);
	}
	if (expect_differs(expect, &wroot, path, r)) {
		kubo_pin_rm(k, daemon, 1, NULL);
		return fail(r, "cid-mismatch", 1);
	}
	if (cid_equal(&d, &wroot)) {
		r->pinned = 1;
		return 0;
	}
	if (cid_equal(&d, &kroot))
		return settle_old_daemon(k, t, path, daemon, r);
	kubo_pin_rm(k, daemon, 1, NULL);
	if (cid_equal(&wroot, &kroot)) {
		werr_set(&r->err, EX_DATAERR, "%s: daemon CID %s differs from local CID %s", path, daemon, r->cid);
		return fail(r, "cid-mismatch", 1);
	}
	/* a daemon that ignored the flags and has another link limit in its
	 * config (Import.UnixFSFileMaxLinks): its DAG tells nothing about
	 * ours, so ours goes whole, as a CAR */
	r->fell_back = 1;
	return push_car(k, path, bar, r);
}

/* One pinned `add` with WANDA's whole profile (unixfs-v1-2025, 1024 links
 * per node), the file hashed by the tap in the same pass. Kubo 0.35+
 * builds WANDA's DAG itself; an older daemon is caught by its CID and
 * handled by settle. Whatever the daemon pinned is unpinned again unless
 * its CID is the one computed from the bytes actually sent. */
static int
push_add(struct kubo *k, const struct push_opts *o, const char *path, const struct cid *expect,
    struct push_result *r)
{
	struct kubo_add_opts ao;
	struct kubo_add_result res;
	struct twin t = { 0 };
	struct bar bar, *bp = NULL;
	struct stat st;
	const char *base = strrchr(path, '/');
	int fd, rc;

	if ((fd = open_regular(path, &r->err)) < 0 || fstat(fd, &st) < 0) {
		if (fd >= 0) {
			werr_sys(&r->err, EX_IOERR, "%s", path);
			close(fd);
		}
		return fail(r, "missing", 1); /* a FIFO or device too: never read */
	}
	r->size = (uint64_t)st.st_size;
	kubo_add_opts_wanda(&ao);
	ao.filename = base ? base + 1 : path;
	ao.size_hint = r->size;
	ao.tap = twin_tap;
	ao.tap_ctx = &t;
	if ((bp = bar_start(&bar, o, path, r))) {
		ao.progress = on_progress;
		ao.progress_ctx = bp;
	}
	if (kubo_add_fd(k, fd, &ao, &res, &r->err) < 0)
		rc = fail_kubo(r, k);
	else
		rc = settle(k, &t, path, expect, res.cid, bp, r);
	bar_end(bp);
	twin_clear(&t);
	close(fd);
	return rc;
}

/* --via car: the CAR of the file, built here, imported and pinned. */
static int
push_via_car(struct kubo *k, const struct push_opts *o, const char *path, struct push_result *r)
{
	struct bar bar, *bp = NULL;
	int rc;

	bp = bar_start(&bar, o, path, r);
	rc = push_car(k, path, bp, r);
	bar_end(bp);
	return rc;
}

int
push_file(struct kubo *k, const struct push_opts *o, const char *path, const struct cid *expect,
    const cJSON *note, struct push_result *r)
{
	long long t0 = mono_ms();
	int online = !o->offline && k != NULL, rc;

	memset(r, 0, sizeof *r);
	if (path_fmt(r->path, sizeof r->path, &r->err, "%s", path) < 0)
		return fail(r, "missing", 1); /* no file can have that name */
	if (online && o->via == PUSH_VIA_ADD) {
		rc = push_add(k, o, path, expect, r);
	} else {
		rc = local_cid(path, expect, r);
		if (rc == 0 && online)
			rc = push_via_car(k, o, path, r);
		else if (rc == 0)
			online = 0;
	}
	if (rc < 0 && online && strcmp(r->kind, SPOOL_KIND_UNREACHABLE) == 0 && !o->no_outbox) {
		memset(&r->err, 0, sizeof r->err);
		r->kind = NULL;
		r->permanent = 0;
		online = 0;
		rc = local_cid(path, expect, r);
	}
	if (rc == 0 && !online)
		rc = outbox_put(o, path, note, r);
	r->ms = mono_ms() - t0;
	return rc;
}

/* ---- flush ------------------------------------------------------------------ */

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The outbox's *.car names, sorted (CIDs sort in no useful order, but a
 * stable one; the notes say what each was). */
static char **
outbox_list(const char *dir, size_t *n, struct werr *e)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char **v = NULL;
	size_t cap = 0;

	*n = 0;
	if (d == NULL) {
		if (errno == ENOENT)
			return calloc(1, sizeof *v);
		werr_sys(e, EX_NOINPUT, "%s", dir);
		return NULL;
	}
	while ((de = readdir(d)) != NULL) {
		size_t l = strlen(de->d_name);
		if (l < 5 || de->d_name[0] == '.' || strcmp(de->d_name + l - 4, ".car") != 0)
			continue;
		if (buf_grow_array(&v, &cap, *n + 2, sizeof *v, 16, NULL) < 0)
			break;
		v[(*n)++] = strdup(de->d_name);
	}
	closedir(d);
	if (v == NULL)
		v = calloc(1, sizeof *v);
	if (v != NULL && *n > 1)
		qsort(v, *n, sizeof *v, cmp_str);
	return v;
}

/* The notes stored with a CAR, one object per line (NULL when none). */
static cJSON *
read_notes(const char *car)
{
	char p[PATH_MAX], *text = NULL, *save = NULL;
	size_t len;
	cJSON *arr;

	if (path_fmt(p, sizeof p, NULL, "%s.json", car) < 0 || read_file(p, &text, &len, NULL) < 0)
		return NULL;
	arr = cJSON_CreateArray();
	for (char *l = strtok_r(text, "\n", &save); l != NULL; l = strtok_r(NULL, "\n", &save)) {
		cJSON *j = cJSON_Parse(l);
		if (cJSON_IsObject(j))
			cJSON_AddItemToArray(arr, j);
		else
			cJSON_Delete(j);
	}
	free(text);
	return arr;
}

static int
flush_one(struct kubo *k, const char *dir, const char *name, struct push_result *r)
{
	char note[PATH_MAX];
	struct stat st;
	int fd, rc;

	memset(r, 0, sizeof *r);
	snprintf(r->cid, sizeof r->cid, "%.*s", (int)(strlen(name) - 4), name);
	if (path_join(r->outbox_file, sizeof r->outbox_file, dir, name, &r->err) < 0 ||
	    path_fmt(note, sizeof note, &r->err, "%s.json", r->outbox_file) < 0)
		return fail(r, "missing", 1);
	memcpy(r->path, r->outbox_file, sizeof r->path);
	if ((fd = open(r->outbox_file, O_RDONLY | O_CLOEXEC)) < 0 || fstat(fd, &st) < 0) {
		werr_sys(&r->err, EX_NOINPUT, "%s", r->outbox_file);
		if (fd >= 0)
			close(fd);
		return fail(r, "missing", 1);
	}
	rc = import_car(k, fd, r->outbox_file, NULL, r);
	close(fd);
	if (rc < 0)
		return -1;
	if (unlink(r->outbox_file) < 0 || (unlink(note) < 0 && errno != ENOENT)) {
		werr_sys(&r->err, EX_CANTCREAT, "%s", r->outbox_file);
		return fail(r, "outbox", 0);
	}
	fsync_dir(dir, NULL);
	return 0;
}

int
push_flush(struct kubo *k, const struct push_opts *o, push_flush_fn fn, void *ctx, struct werr *e)
{
	size_t n = 0;
	char **names = outbox_list(o->outbox, &n, e);
	int rc = 0;

	if (names == NULL)
		return -1;
	for (size_t i = 0; i < n; i++) {
		struct push_result r;
		long long t0 = mono_ms();
		cJSON *notes;
		int one;
		char car[PATH_MAX];
		const cJSON *it;
		int fnrc = 0;

		notes = path_join(car, sizeof car, o->outbox, names[i], NULL) < 0 ? NULL : read_notes(car);
		one = flush_one(k, o->outbox, names[i], &r);
		r.ms = mono_ms() - t0;
		if (one < 0 && rc == 0) {
			*e = r.err;
			rc = -1;
		}
		if (cJSON_GetArraySize(notes) == 0)
			fnrc = fn != NULL ? fn(ctx, &r, NULL, e) : 0;
		cJSON_ArrayForEach(it, notes) if (fnrc == 0 && fn != NULL)
		    fnrc = fn(ctx, &r, it, e);
		cJSON_Delete(notes);
		if (fnrc < 0)
			one = rc = -1, r.kind = SPOOL_KIND_UNREACHABLE;
		if (one < 0 && strcmp(r.kind, SPOOL_KIND_UNREACHABLE) == 0)
			break; /* the rest would fail the same way */
	}
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return rc;
}
