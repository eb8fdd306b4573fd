/* sneakernet: export and import sessions as CAR files (see sneakernet.h). */
#include "net/sneakernet.h"
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "base/atomicio.h"
#include "base/buf.h"
#include "base/cli.h"
#include "capture/sessions.h"
#include "ipld/cid.h"
#include "kubo/kubo.h"
#include "net/carcheck.h"
#include "net/syncstate.h"
#include "base/json.h"
#include "base/path.h"

struct item {
	char peer[128];
	char session[65];
	char cid[CID_STR_MAX];
	uint64_t tsize; /* expected DAG size (0 = unknown) */
	char file[300];
};

struct items {
	struct item *v;
	size_t n, cap;
};

static struct item *
items_add(struct items *it, struct werr *e)
{
	if (buf_grow_array(&it->v, &it->cap, it->n + 1, sizeof *it->v, 16, e) < 0)
		return NULL;
	memset(&it->v[it->n], 0, sizeof *it->v);
	return &it->v[it->n++];
}

static double
jnum(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);

	return cJSON_IsNumber(v) && v->valuedouble >= 0 ? v->valuedouble : -1;
}

/* Read a small JSON file (at most max bytes); NULL with e set. */
static cJSON *
load_json(const char *path, size_t max, struct werr *e)
{
	struct stat st;
	char *text;
	size_t len;
	cJSON *j;

	if (stat(path, &st) < 0)
		return werr_sys(e, errno == ENOENT ? EX_NOINPUT : EX_IOERR, "%s", path), NULL;
	if ((size_t)st.st_size > max)
		return werr_set(e, EX_DATAERR, "%s: over %zu bytes", path, max), NULL;
	if (read_file(path, &text, &len, e) < 0)
		return NULL;
	j = cJSON_ParseWithLength(text, len);
	free(text);
	if (!j)
		werr_set(e, EX_DATAERR, "%s: not JSON", path);
	return j;
}

/* This node's sessions: state/dags/NAME.json as wanda-dag session wrote them. */
static int
own_sessions(const struct sneakernet_opts *o, const char *node, struct items *it, struct werr *e)
{
	char dir[PATH_MAX], path[PATH_MAX];
	struct dirent *d;
	DIR *dp;
	int rc = 0;

	if (path_join(dir, sizeof dir, o->home, "state/dags", e) < 0)
		return -1;
	if ((dp = opendir(dir)) == NULL)
		return errno == ENOENT ? 0 : werr_sys(e, EX_IOERR, "%s", dir);
	while (rc == 0 && (d = readdir(dp)) != NULL) {
		size_t l = strlen(d->d_name);
		char name[65];
		cJSON *j;
		const char *cid;
		struct item *x;
		if (l <= 5 || l - 5 >= sizeof name || strcmp(d->d_name + l - 5, ".json") != 0)
			continue;
		snprintf(name, sizeof name, "%.*s", (int)(l - 5), d->d_name);
		if (!session_name_valid(name) || path_join(path, sizeof path, dir, d->d_name, NULL) < 0 || (j = load_json(path, 1 << 20, e)) == NULL)
			continue;
		cid = json_str(j, "cid");
		if (cid && strlen(cid) < CID_STR_MAX &&
		    rootindex_selected(&o->filter, name, json_str(j, "first"), json_str(j, "last"))) {
			if ((x = items_add(it, e)) == NULL)
				rc = -1;
			else {
				text_fmt(x->peer, sizeof x->peer, "%s", node); /* a peer id, bounded */
				snprintf(x->session, sizeof x->session, "%s", name);
				snprintf(x->cid, sizeof x->cid, "%s", cid);
				x->tsize = jnum(j, "tsize") > 0 ? (uint64_t)jnum(j, "tsize") : 0;
				snprintf(x->file, sizeof x->file, "%s.car", name);
			}
		}
		cJSON_Delete(j);
	}
	closedir(dp);
	return rc;
}

/* The mirrors held here (pinned entries of sync.json), selected by name. */
static int
mirror_sessions(const struct sneakernet_opts *o, struct items *it, struct werr *e)
{
	cJSON *arr = syncstate_mirrors(o->home, e), *m;
	struct syncstate st;
	int rc = 0;

	if (!arr || syncstate_load(&st, o->home, e) < 0) {
		cJSON_Delete(arr);
		return -1;
	}
	cJSON_ArrayForEach(m, arr)
	{
		const char *peer = json_str(m, "peer"), *s = json_str(m, "session"), *cid = json_str(m, "cid");
		cJSON *ent = syncstate_session(&st, peer, s, 0);
		struct item *x;
		if (strlen(peer) >= sizeof x->peer || !session_name_valid(s) ||
		    !rootindex_selected(&o->filter, s, NULL, NULL))
			continue;
		if ((x = items_add(it, e)) == NULL) {
			rc = -1;
			break;
		}
		snprintf(x->peer, sizeof x->peer, "%s", peer);
		snprintf(x->session, sizeof x->session, "%s", s);
		snprintf(x->cid, sizeof x->cid, "%s", cid);
		x->tsize = jnum(ent, "bytes") > 0 ? (uint64_t)jnum(ent, "bytes") : 0;
		snprintf(x->file, sizeof x->file, "mirror-%s-%s.car", peer, s);
	}
	syncstate_free(&st);
	cJSON_Delete(arr);
	return rc;
}

/* ---- export ---- */

static void
hex(const uint8_t *p, size_t n, char *out)
{
	static const char d[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = d[p[i] >> 4];
		out[2 * i + 1] = d[p[i] & 15];
	}
	out[2 * n] = '\0';
}

static uint64_t
free_bytes(const char *dir)
{
	uint64_t b;

	return disk_free(dir, &b, NULL) < 0 ? 0 : b;
}

struct sink {
	int fd;
	uint64_t written, limit;
	const char *path;
	struct progress *bar;
};

static int
sink_data(void *ctx, const void *p, size_t n, struct werr *e)
{
	struct sink *s = ctx;

	if (s->written + n > s->limit)
		return werr_set(e, EX_CANTCREAT, "%s: the disk would fill up (%llu bytes free)", s->path,
		    (unsigned long long)s->limit);
	if (write_all(s->fd, p, n) < 0)
		return werr_sys(e, EX_IOERR, "%s", s->path);
	s->written += n;
	progress_update(s->bar, s->written);
	return 0;
}

/* The manifest entry for file, or NULL. */
static cJSON *
entry_for(cJSON *man, const char *file)
{
	cJSON *s;

	cJSON_ArrayForEach(s, cJSON_GetObjectItemCaseSensitive(man, "sessions"))
	{
		const char *f = json_str(s, "file");
		if (f && strcmp(f, file) == 0)
			return s;
	}
	return NULL;
}

/* Is the CAR already in DIR, as the manifest says? (a resumed export) */
static int
already_there(const char *path, const struct item *x, const cJSON *ent)
{
	struct carcheck_result res;
	struct werr e = { 0 };
	struct stat st;
	struct cid root;
	char sha[65];
	const char *c = json_str(ent, "cid"), *h = json_str(ent, "sha256");
	int fd, ok;

	if (!ent || !c || !h || !cid_str_equal(c, x->cid) || stat(path, &st) < 0 ||
	    (double)st.st_size != jnum(ent, "size") || cid_parse(x->cid, &root, &e) < 0 ||
	    (fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return 0;
	ok = carcheck_fd(fd, path, &root, &res, &e) == 0;
	close(fd);
	hex(res.sha256, 32, sha);
	return ok && strcmp(sha, h) == 0;
}

/* Temp files an export killed before its rename left beside path. */
static void
drop_stale(const char *dir, const char *file)
{
	char pat[PATH_MAX];
	glob_t g;

	if (path_fmt(pat, sizeof pat, NULL, "%s/.%s.tmp.*", dir, file) == 0 && glob(pat, GLOB_NOSORT, NULL, &g) == 0)
		for (size_t i = 0; i < g.gl_pathc; i++)
			unlink(g.gl_pathv[i]);
	globfree(&g);
}

static int
export_car(struct kubo *k, const struct sneakernet_opts *o, const struct item *x, const char *path,
    cJSON *ent, struct werr *e)
{
	struct atomic_file af;
	struct progress bar = { 0 };
	struct carcheck_result res;
	struct cid root;
	uint64_t avail = free_bytes(o->dir), need = x->tsize + x->tsize / 32 + (64u << 10);
	struct sink s = { -1, 0, avail > (1u << 20) ? avail - (1u << 20) : 0, path, &bar };
	char sha[65];

	if (cid_parse(x->cid, &root, e) < 0)
		return werr_prefix(e, "session %s", x->session);
	drop_stale(o->dir, x->file);
	avail = free_bytes(o->dir);
	s.limit = avail > (1u << 20) ? avail - (1u << 20) : 0;
	if (x->tsize && need > avail)
		return werr_set(e, EX_CANTCREAT, "%s: %llu bytes free, session %s needs about %llu", o->dir,
		    (unsigned long long)avail, x->session, (unsigned long long)need);
	if (atomic_open(&af, path, e) < 0)
		return -1;
	s.fd = af.fd;
	if (o->progress)
		progress_start(&bar, x->session, x->tsize);
	if (kubo_dag_export_cb(k, x->cid, sink_data, &s, e) < 0 || lseek(af.fd, 0, SEEK_SET) < 0 ||
	    carcheck_fd(af.fd, path, &root, &res, e) < 0) {
		progress_end(&bar);
		atomic_abort(&af);
		return werr_prefix(e, "session %s", x->session);
	}
	progress_end(&bar);
	if (atomic_commit(&af, e) < 0)
		return -1;
	hex(res.sha256, 32, sha);
	cJSON_AddStringToObject(ent, "peer", x->peer);
	cJSON_AddStringToObject(ent, "session", x->session);
	cJSON_AddStringToObject(ent, "cid", x->cid);
	cJSON_AddStringToObject(ent, "file", x->file);
	cJSON_AddNumberToObject(ent, "size", (double)s.written);
	cJSON_AddStringToObject(ent, "sha256", sha);
	cJSON_AddNumberToObject(ent, "blocks", (double)res.blocks);
	cJSON_AddNumberToObject(ent, "dag_bytes", (double)res.block_bytes);
	return 0;
}

static int
save_manifest(const char *dir, cJSON *man, struct werr *e)
{
	char path[PATH_MAX], *text = cJSON_Print(man);
	int rc;

	if (!text)
		return werr_set(e, EX_OSERR, "out of memory");
	rc = path_join(path, sizeof path, dir, SNEAKERNET_MANIFEST, e);
	if (rc == 0)
		rc = atomic_write(path, text, strlen(text), e);
	free(text);
	return rc;
}

/* The manifest already in DIR (when it is ours, for this node), else a new one. */
static cJSON *
open_manifest(const char *dir, const char *node)
{
	char path[PATH_MAX], when[40];
	struct werr e = { 0 };
	cJSON *m = NULL;
	const char *f, *n;

	if (path_join(path, sizeof path, dir, SNEAKERNET_MANIFEST, &e) == 0)
		m = load_json(path, SNEAKERNET_MANIFEST_MAX, &e);
	if (m && (f = json_str(m, "format")) && !strcmp(f, "wanda-export") && (n = json_str(m, "node")) &&
	    !strcmp(n, node) && cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(m, "sessions")))
		return m;
	cJSON_Delete(m);
	m = cJSON_CreateObject();
	cJSON_AddStringToObject(m, "format", "wanda-export");
	cJSON_AddNumberToObject(m, "version", 1);
	cJSON_AddStringToObject(m, "node", node);
	rfc3339_ms(wall_ms(), when, sizeof when);
	cJSON_AddStringToObject(m, "exported_at", when);
	cJSON_AddArrayToObject(m, "sessions");
	return m;
}

static int
emit_item(const struct sneakernet_opts *o, const struct item *x, const char *state,
    const cJSON *ent, const char *err, struct werr *e)
{
	cJSON *l = cJSON_CreateObject();

	cJSON_AddStringToObject(l, "file", x->file);
	cJSON_AddStringToObject(l, "peer", x->peer);
	cJSON_AddStringToObject(l, "session", x->session);
	cJSON_AddStringToObject(l, "cid", x->cid);
	cJSON_AddStringToObject(l, "state", state);
	if (ent && jnum(ent, "size") >= 0)
		cJSON_AddNumberToObject(l, "size", jnum(ent, "size"));
	if (ent && json_str(ent, "sha256"))
		cJSON_AddStringToObject(l, "sha256", json_str(ent, "sha256"));
	if (err)
		cJSON_AddStringToObject(l, "error", err);
	return o->emit(o->emit_ctx, l, e);
}

static int
export_all(struct kubo *k, const struct sneakernet_opts *o, struct items *it, cJSON *man,
    struct werr *e)
{
	cJSON *arr = cJSON_GetObjectItemCaseSensitive(man, "sessions");

	for (size_t i = 0; i < it->n; i++) {
		struct item *x = &it->v[i];
		char path[PATH_MAX];
		cJSON *old = entry_for(man, x->file), *ent;
		if (path_join(path, sizeof path, o->dir, x->file, e) < 0)
			return -1;
		if (already_there(path, x, old)) {
			if (emit_item(o, x, "kept", old, NULL, e) < 0)
				return -1;
			continue;
		}
		ent = cJSON_CreateObject();
		if (export_car(k, o, x, path, ent, e) < 0) {
			cJSON_Delete(ent);
			return -1;
		}
		if (old)
			cJSON_ReplaceItemViaPointer(arr, old, ent);
		else
			cJSON_AddItemToArray(arr, ent);
		if (save_manifest(o->dir, man, e) < 0 || emit_item(o, x, "exported", ent, NULL, e) < 0)
			return -1;
	}
	return 0;
}

int
sneakernet_export(const struct sneakernet_opts *o, struct werr *e)
{
	struct kubo *k = NULL;
	struct kubo_id id;
	struct items it = { 0 };
	cJSON *man = NULL;
	int rc = -1;

	if (mkdir_p(o->dir, 0755, e) < 0 || (k = kubo_new(o->api, NULL, e)) == NULL ||
	    kubo_id(k, &id, e) < 0 || own_sessions(o, id.id, &it, e) < 0 ||
	    (o->mirrors && mirror_sessions(o, &it, e) < 0))
		goto out;
	man = open_manifest(o->dir, id.id);
	if (it.n == 0) {
		werr_set(e, EX_NOINPUT, "export: no session selected");
		goto out;
	}
	rc = export_all(k, o, &it, man, e);
out:
	cJSON_Delete(man);
	free(it.v);
	kubo_free(k);
	return rc;
}

/* ---- import ---- */

/* A manifest entry as hostile input: the file must be a plain name in DIR. */
static int
parse_entry(const cJSON *s, struct item *x, uint64_t *size, char sha[65], struct werr *e)
{
	const char *peer = json_str(s, "peer"), *name = json_str(s, "session"), *cid = json_str(s, "cid");
	const char *file = json_str(s, "file"), *h = json_str(s, "sha256");
	size_t fl = file ? strlen(file) : 0;
	struct cid c;

	if (!file || fl < 5 || fl >= sizeof x->file || strchr(file, '/') || file[0] == '.' ||
	    strcmp(file + fl - 4, ".car") != 0)
		return werr_set(e, EX_DATAERR, "%s: bad file name in the manifest", file ? file : "(none)");
	snprintf(x->file, sizeof x->file, "%s", file);
	if (!peer || !*peer || strlen(peer) >= sizeof x->peer || strspn(peer, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") != strlen(peer) ||
	    !name || !session_name_valid(name) || !cid || strlen(cid) >= sizeof x->cid ||
	    cid_parse(cid, &c, e) < 0 || jnum(s, "size") < 0 || !h || strlen(h) != 64 ||
	    strspn(h, "0123456789abcdef") != 64)
		return werr_set(e, EX_DATAERR, "%s: bad manifest entry", file);
	snprintf(x->peer, sizeof x->peer, "%s", peer);
	snprintf(x->session, sizeof x->session, "%s", name);
	snprintf(x->cid, sizeof x->cid, "%s", cid);
	*size = (uint64_t)jnum(s, "size");
	memcpy(sha, h, 65);
	return 0;
}

struct root_seen {
	const char *want;
	int ok;
};

static int
import_root(void *ctx, const char *cid, const char *pin_error, struct werr *e)
{
	struct root_seen *r = ctx;

	(void)e;
	if (!pin_error && cid_str_equal(cid, r->want))
		r->ok = 1;
	return 0;
}

/* Every check before anything reaches the daemon, then dag/import + pin. */
static int
import_car(struct kubo *k, const char *dir, const struct item *x, uint64_t size, const char *sha,
    uint64_t *dag_bytes, struct werr *e)
{
	struct kubo_import_opts io = { .pin_roots = 1 };
	struct carcheck_result res;
	struct root_seen rs = { x->cid, 0 };
	struct cid root;
	struct stat st;
	char path[PATH_MAX], got[65];
	int fd, rc = -1;

	if (path_join(path, sizeof path, dir, x->file, e) < 0)
		return -1;
	/* the stick is hostile: a FIFO would hang open(), a symlink lead off it */
	if ((fd = open_regular_nofollow(path, e)) < 0)
		return -1;
	if (fstat(fd, &st) < 0) {
		werr_sys(e, EX_IOERR, "%s", path);
		goto out;
	}
	if (cid_parse(x->cid, &root, e) < 0 || carcheck_fd(fd, path, &root, &res, e) < 0)
		goto out;
	hex(res.sha256, 32, got);
	if ((uint64_t)st.st_size != size || strcmp(got, sha) != 0) {
		werr_set(e, EX_DATAERR, "%s: size %llu / sha256 %.12s… do not match the manifest (%llu / %.12s…)",
		    path, (unsigned long long)st.st_size, got, (unsigned long long)size, sha);
		goto out;
	}
	if (lseek(fd, 0, SEEK_SET) < 0 || kubo_dag_import(k, fd, &io, import_root, &rs, e) < 0) {
		werr_prefix(e, "%s", path);
		goto out;
	}
	if (!rs.ok) {
		werr_set(e, EX_PROTOCOL, "%s: dag/import did not pin %s", path, x->cid);
		goto out;
	}
	*dag_bytes = res.block_bytes;
	rc = 0;
out:
	close(fd);
	return rc;
}

static int
import_one(struct kubo *k, const struct sneakernet_opts *o, struct syncstate *st, const char *self,
    const cJSON *s, struct werr *last, struct werr *e)
{
	struct item x = { 0 };
	struct werr fe = { 0 };
	uint64_t size = 0, bytes = 0;
	char sha[65];
	cJSON *l;

	if (parse_entry(s, &x, &size, sha, &fe) == 0 && import_car(k, o->dir, &x, size, sha, &bytes, &fe) == 0) {
		if (strcmp(x.peer, self) != 0) { /* our own session coming back is not a mirror */
			syncstate_set(syncstate_session(st, x.peer, x.session, 1), "pinned", x.cid, bytes, NULL);
			if (syncstate_save(st, e) < 0)
				return -1;
		}
		return emit_item(o, &x, "pinned", s, NULL, e);
	}
	*last = fe;
	l = cJSON_CreateObject();
	cJSON_AddStringToObject(l, "file", x.file[0] ? x.file : "?");
	cJSON_AddStringToObject(l, "state", "failed");
	cJSON_AddStringToObject(l, "error", fe.msg);
	return o->emit(o->emit_ctx, l, e);
}

int
sneakernet_import(const struct sneakernet_opts *o, struct werr *e)
{
	struct syncstate st = { 0 };
	struct kubo *k = NULL;
	struct kubo_id id;
	struct werr last = { 0 };
	char path[PATH_MAX];
	const char *f;
	cJSON *man = NULL, *s;
	int rc = -1;

	if (path_join(path, sizeof path, o->dir, SNEAKERNET_MANIFEST, e) < 0)
		return -1;
	if ((man = load_json(path, SNEAKERNET_MANIFEST_MAX, e)) == NULL)
		return -1;
	if (!(f = json_str(man, "format")) || strcmp(f, "wanda-export") != 0 || jnum(man, "version") != 1 ||
	    !json_str(man, "node") || !cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(man, "sessions"))) {
		werr_set(e, EX_DATAERR, "%s: not a wanda-export manifest (version 1)", path);
		goto out;
	}
	if (syncstate_lock(o->home, e) < 0 || syncstate_load(&st, o->home, e) < 0 ||
	    (k = kubo_new(o->api, NULL, e)) == NULL || kubo_id(k, &id, e) < 0)
		goto out;
	cJSON_ArrayForEach(s, cJSON_GetObjectItemCaseSensitive(man, "sessions")) if (import_one(k, o, &st, id.id, s, &last, e) < 0) goto out;
	if (last.code) {
		*e = last;
		goto out;
	}
	rc = 0;
out:
	kubo_free(k);
	syncstate_free(&st);
	cJSON_Delete(man);
	return rc;
}
