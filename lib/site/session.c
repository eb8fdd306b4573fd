/* session: session directories and the node root from sidecars and state.
 * See session.h and docs/index-format.md. */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "base/atomicio.h"
#include "base/buf.h"
#include "capture/sessions.h"
#include "base/clock.h"
#include "site/gallery.h"
#include "ipld/importer.h"
#include "site/session.h"
#include "net/syncstate.h"
#include "ipld/unixdir.h"
#include "base/json.h"
#include "base/path.h"

/* One capture, from its sidecar. Strings point into j. */
struct cap {
	cJSON *j;
	const char *id, *file, *at, *raw;
	struct cid cid, tcid, rcid;
	uint64_t tsize, bytes, ttsize, rtsize;
	int has_thumb, has_raw;
	char tname[128]; /* thumbs/ entry name: <id>.jpg */
};

struct caps {
	struct cap *v;
	size_t n, cap;
};

static int
jnum(const cJSON *o, const char *k, uint64_t *out)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);

	if (!cJSON_IsNumber(v) || v->valuedouble < 0)
		return -1;
	*out = (uint64_t)v->valuedouble;
	return 0;
}

static void
skip(struct session_info *si, const char *path, const char *why)
{
	if (si->skipped++ == 0)
		text_fmt(si->skip_reason, sizeof si->skip_reason, "%s: %s", path, why);
}

/* Fill c from sidecar j; a reason string when it cannot be used. */
static const char *
cap_from_json(cJSON *j, struct cap *c)
{
	struct werr e = { 0 };
	const char *s;

	memset(c, 0, sizeof *c);
	c->j = j;
	if (!(c->id = json_text(j, "id")) || !(c->file = json_text(j, "file")) || !(c->at = json_text(j, "captured_at")))
		return "no id, file or captured_at";
	if (strchr(c->file, '/') || strchr(c->id, '/') || strlen(c->id) + 5 > sizeof c->tname)
		return "bad id or file name";
	if (!(s = json_text(j, "cid")) || cid_parse(s, &c->cid, &e) < 0)
		return "no usable cid (not hashed yet?)";
	if (jnum(j, "bytes", &c->bytes) < 0)
		return "no bytes";
	/* A single raw block's Tsize is its size; anything else needs "tsize". */
	if (jnum(j, "tsize", &c->tsize) < 0) {
		if (c->cid.codec != CODEC_RAW)
			return "no tsize";
		c->tsize = c->bytes;
	}
	if ((c->raw = json_text(j, "raw")) && !strchr(c->raw, '/') && (s = json_text(j, "raw_cid")) &&
	    cid_parse(s, &c->rcid, &e) == 0 && jnum(j, "raw_tsize", &c->rtsize) == 0)
		c->has_raw = 1;
	snprintf(c->tname, sizeof c->tname, "%s.jpg", c->id);
	return NULL;
}

static int
caps_push(struct caps *cs, const struct cap *c)
{
	if (buf_grow_array(&cs->v, &cs->cap, cs->n + 1, sizeof *cs->v, 256, NULL) < 0)
		return -1;
	cs->v[cs->n++] = *c;
	return 0;
}

static void
caps_free(struct caps *cs)
{
	for (size_t i = 0; i < cs->n; i++)
		cJSON_Delete(cs->v[i].j);
	free(cs->v);
}

static int
is_sidecar(const char *name)
{
	size_t n = strlen(name);
	return name[0] != '.' && n > 5 && strcmp(name + n - 5, ".json") == 0;
}

/* Read one sidecar into cs (or count it skipped). */
static int
load_one(const char *path, struct caps *cs, struct session_info *si, struct werr *e)
{
	struct werr re = { 0 };
	struct cap c;
	const char *why;
	char *text;
	size_t len;
	cJSON *j;

	if (read_file(path, &text, &len, &re) < 0) {
		skip(si, path, re.msg);
		return 0;
	}
	j = cJSON_ParseWithLength(text, len);
	free(text);
	if (!cJSON_IsObject(j)) {
		cJSON_Delete(j);
		skip(si, path, "not a JSON object");
		return 0;
	}
	if ((why = cap_from_json(j, &c))) {
		cJSON_Delete(j);
		skip(si, path, why);
		return 0;
	}
	if (caps_push(cs, &c) < 0) {
		cJSON_Delete(j);
		return werr_set(e, EX_OSERR, "out of memory");
	}
	return 0;
}

static int
load_caps(const char *home, const char *name, struct caps *cs, struct session_info *si,
    struct werr *e)
{
	char dir[PATH_MAX], path[PATH_MAX];
	struct dirent *d;
	DIR *dp;
	int rc = 0;

	if (path_fmt(dir, sizeof dir, e, "%s/captures/%s", home, name) < 0)
		return -1;
	if (!(dp = opendir(dir)))
		return werr_sys(e, errno == ENOENT ? EX_NOINPUT : EX_IOERR, "%s", dir);
	while (rc == 0 && (errno = 0, d = readdir(dp))) {
		if (!is_sidecar(d->d_name))
			continue;
		rc = path_join(path, sizeof path, dir, d->d_name, e);
		if (rc == 0)
			rc = load_one(path, cs, si, e);
	}
	if (rc == 0 && errno)
		rc = werr_sys(e, EX_IOERR, "%s", dir);
	closedir(dp);
	return rc;
}

static int
cap_cmp(const void *a, const void *b)
{
	const struct cap *x = a, *y = b;
	int r = strcmp(x->at, y->at);
	return r ? r : strcmp(x->id, y->id);
}

int
session_import_buf(const void *p, size_t n, block_sink_fn sink, void *ctx, struct cid *cid,
    uint64_t *tsize, struct werr *e)
{
	struct import_opts io;
	struct file_importer *f;
	uint64_t fsize;
	int rc;

	import_opts_wanda(&io);
	if (!(f = fimp_new(&io, sink, ctx, e)))
		return -1;
	rc = fimp_write(f, p, n, e);
	if (rc == 0)
		rc = fimp_finish(f, cid, tsize, &fsize, e);
	fimp_free(f);
	return rc;
}

/* Import the thumbnails that exist; a missing one only means no thumb.
 * Where a thumbnail is comes from the session and the id, as capture
 * writes it (home/thumbs/SESSION/ID.jpg), never from the sidecar's
 * "thumb" text: a sidecar could name any file, which would be published. */
static int
import_thumbs(const char *home, const char *name, struct caps *cs, block_sink_fn sink,
    void *ctx, struct session_info *si, struct werr *e)
{
	struct import_opts io;
	char path[PATH_MAX];

	import_opts_wanda(&io);
	for (size_t i = 0; i < cs->n; i++) {
		struct cap *c = &cs->v[i];
		uint64_t fsize;

		if (path_fmt(path, sizeof path, NULL, "%s/thumbs/%s/%s", home, name, c->tname) < 0 ||
		    access(path, R_OK) < 0)
			continue;
		if (import_path(path, &io, sink, ctx, &c->tcid, &c->ttsize, &fsize, e) < 0)
			return -1;
		c->has_thumb = 1;
		si->thumbs++;
	}
	return 0;
}

static char *
print_json(const cJSON *o, int pretty, size_t *len)
{
	char *s = pretty ? cJSON_Print(o) : cJSON_PrintUnformatted(o);
	struct buf b = BUF_INIT;

	if (!s)
		return NULL;
	if (buf_addstr(&b, s, NULL) < 0 || buf_addstr(&b, "\n", NULL) < 0) {
		free(s);
		buf_free(&b);
		return NULL;
	}
	free(s);
	return buf_detach(&b, len);
}

/* text (malloc'd, freed here) as the file NAME of a directory, imported
 * into *ent. */
static int
text_file(char *text, size_t len, const char *name, struct dir_entry *ent, block_sink_fn sink,
    void *ctx, struct werr *e)
{
	int rc;

	ent->name = name;
	rc = session_import_buf(text, len, sink, ctx, &ent->cid, &ent->tsize, e);
	free(text);
	return rc;
}

/* o printed as the file NAME of a directory, imported into *ent. */
static int
json_file(const cJSON *o, int pretty, const char *name, struct dir_entry *ent, block_sink_fn sink,
    void *ctx, struct werr *e)
{
	size_t len;
	char *text = print_json(o, pretty, &len);

	if (!text)
		return werr_set(e, EX_OSERR, "%s: out of memory", name);
	return text_file(text, len, name, ent, sink, ctx, e);
}

/* Sidecar members that are this node's state, not the capture's: they
 * change (push, pin, gc) while the content does not, so they stay out of
 * the manifest and the session's CID. */
static int
node_local(const char *key)
{
	static const char *const k[] = { "ipfs", "raw_ipfs", "session", "image_removed_at", "raw_removed_at" };

	for (size_t i = 0; i < sizeof k / sizeof k[0]; i++)
		if (strcmp(key, k[i]) == 0)
			return 1;
	return 0;
}

/* The manifest entry of a capture: its sidecar without node-local state
 * and nulls, with session-relative paths. */
static cJSON *
manifest_entry(const struct cap *c)
{
	cJSON *m = cJSON_Duplicate(c->j, 1), *it, *next;
	char buf[320];

	if (!m)
		return NULL;
	for (it = m->child; it; it = next) {
		next = it->next;
		if (cJSON_IsNull(it) || node_local(it->string))
			cJSON_Delete(cJSON_DetachItemViaPointer(m, it));
	}
	cJSON_DeleteItemFromObjectCaseSensitive(m, "thumb");
	cJSON_DeleteItemFromObjectCaseSensitive(m, "tsize");
	cJSON_AddNumberToObject(m, "tsize", (double)c->tsize);
	snprintf(buf, sizeof buf, "images/%s", c->file);
	cJSON_AddStringToObject(m, "path", buf);
	if (c->has_thumb) {
		snprintf(buf, sizeof buf, "thumbs/%s", c->tname);
		cJSON_AddStringToObject(m, "thumb", buf);
	}
	if (c->has_raw) {
		snprintf(buf, sizeof buf, "images/%s", c->raw);
		cJSON_AddStringToObject(m, "raw_path", buf);
	}
	return m;
}

struct pages {
	struct dir_entry *ents; /* manifest/ entries */
	char (*names)[16];
	size_t n;
	cJSON *list; /* manifest.json "pages" */
};

static int
one_page(const char *session, const struct caps *cs, size_t from, size_t to, size_t pg,
    struct pages *p, block_sink_fn sink, void *ctx, struct werr *e)
{
	cJSON *o = cJSON_CreateObject(), *arr, *sum;
	char path[32];
	int rc = -1;

	cJSON_AddStringToObject(o, "format", "wanda-manifest-page");
	cJSON_AddNumberToObject(o, "version", 1);
	cJSON_AddStringToObject(o, "session", session);
	cJSON_AddNumberToObject(o, "page", (double)pg);
	arr = cJSON_AddArrayToObject(o, "captures");
	for (size_t i = from; i < to; i++) {
		cJSON *m = manifest_entry(&cs->v[i]);
		if (!m)
			goto out;
		cJSON_AddItemToArray(arr, m);
	}
	if (path_fmt(p->names[pg], sizeof p->names[pg], e, "%04zu.json", pg) < 0)
		goto out;
	if (json_file(o, 0, p->names[pg], &p->ents[pg], sink, ctx, e) < 0) {
		cJSON_Delete(o);
		return -1;
	}
	sum = cJSON_CreateObject();
	snprintf(path, sizeof path, "manifest/%s", p->names[pg]);
	cJSON_AddStringToObject(sum, "path", path);
	cJSON_AddNumberToObject(sum, "count", (double)(to - from));
	cJSON_AddStringToObject(sum, "first", cs->v[from].at);
	cJSON_AddStringToObject(sum, "last", cs->v[to - 1].at);
	cJSON_AddItemToArray(p->list, sum);
	rc = 0;
out:
	if (rc < 0)
		werr_set(e, EX_OSERR, "manifest page %zu: out of memory", pg);
	cJSON_Delete(o);
	return rc;
}

static int
build_pages(const char *session, const struct caps *cs, size_t page_size, struct pages *p,
    block_sink_fn sink, void *ctx, struct werr *e)
{
	size_t np = (cs->n + page_size - 1) / page_size;

	p->n = np;
	p->list = cJSON_CreateArray();
	p->ents = calloc(np ? np : 1, sizeof *p->ents);
	p->names = calloc(np ? np : 1, sizeof *p->names);
	if (!p->list || !p->ents || !p->names)
		return werr_set(e, EX_OSERR, "out of memory");
	for (size_t pg = 0; pg < np; pg++) {
		size_t from = pg * page_size, to = from + page_size < cs->n ? from + page_size : cs->n;
		if (one_page(session, cs, from, to, pg, p, sink, ctx, e) < 0)
			return -1;
	}
	return 0;
}

static void
pages_free(struct pages *p)
{
	free(p->ents);
	free(p->names);
	cJSON_Delete(p->list);
}

static cJSON *
manifest_summary(const struct session_opts *o, const struct session_info *si,
    size_t page_size, struct pages *p)
{
	cJSON *m = cJSON_CreateObject();

	cJSON_AddStringToObject(m, "format", "wanda-manifest");
	cJSON_AddNumberToObject(m, "version", 1);
	cJSON_AddStringToObject(m, "session", o->name);
	if (o->node_id && *o->node_id)
		cJSON_AddStringToObject(cJSON_AddObjectToObject(m, "node"), "id", o->node_id);
	cJSON_AddStringToObject(m, "profile", SESSION_PROFILE);
	cJSON_AddNumberToObject(m, "count", (double)si->count);
	cJSON_AddNumberToObject(m, "bytes", (double)si->bytes);
	if (si->count) {
		cJSON_AddStringToObject(m, "first", si->first);
		cJSON_AddStringToObject(m, "last", si->last);
	}
	cJSON_AddNumberToObject(m, "page_size", (double)page_size);
	cJSON_AddItemToObject(m, "pages", p->list);
	p->list = NULL;
	return m;
}

static int
dir(const struct dir_entry *ents, size_t n, block_sink_fn sink, void *ctx,
    struct dir_entry *out, const char *name, struct werr *e)
{
	struct dir_opts o;

	dir_opts_wanda(&o);
	out->name = name;
	if (unixdir_build(ents, n, &o, sink, ctx, &out->cid, &out->tsize, e) < 0)
		return werr_prefix(e, "%s/", name);
	return 0;
}

/* images/ and thumbs/ of the session. */
static int
media_dirs(const struct caps *cs, block_sink_fn sink, void *ctx, struct dir_entry *img,
    struct dir_entry *th, struct werr *e)
{
	struct dir_entry *ie = calloc(2 * cs->n + 1, sizeof *ie), *te = calloc(cs->n + 1, sizeof *te);
	size_t ni = 0, nt = 0;
	int rc = -1;

	if (!ie || !te) {
		werr_set(e, EX_OSERR, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < cs->n; i++) {
		const struct cap *c = &cs->v[i];
		ie[ni++] = (struct dir_entry){ c->file, c->cid, c->tsize };
		if (c->has_raw)
			ie[ni++] = (struct dir_entry){ c->raw, c->rcid, c->rtsize };
		if (c->has_thumb)
			te[nt++] = (struct dir_entry){ c->tname, c->tcid, c->ttsize };
	}
	if (dir(ie, ni, sink, ctx, img, "images", e) == 0 && dir(te, nt, sink, ctx, th, "thumbs", e) == 0)
		rc = 0;
out:
	free(ie);
	free(te);
	return rc;
}

static void
summarize(const struct caps *cs, struct session_info *si)
{
	for (size_t i = 0; i < cs->n; i++) {
		const cJSON *ipfs = cJSON_GetObjectItemCaseSensitive(cs->v[i].j, "ipfs");
		const char *st = json_text(ipfs, "state");
		si->bytes += cs->v[i].bytes;
		if (!st || (strcmp(st, "pushed") && strcmp(st, "pinned")))
			si->unpushed++;
	}
	si->count = cs->n;
	if (cs->n) {
		snprintf(si->first, sizeof si->first, "%s", cs->v[0].at);
		snprintf(si->last, sizeof si->last, "%s", cs->v[cs->n - 1].at);
	}
}

/* index.html, manifest.json, manifest/, images/, thumbs/ → the session. */
static int
top(const struct session_opts *o, struct session_info *si, size_t page_size, struct pages *p,
    struct dir_entry *ents, block_sink_fn sink, void *ctx, struct werr *e)
{
	cJSON *m = manifest_summary(o, si, page_size, p);
	struct dir_entry root;
	char *html;
	size_t len;
	int rc = -1;

	if (dir(p->ents, p->n, sink, ctx, &ents[2], "manifest", e) == 0 &&
	    json_file(m, 1, "manifest.json", &ents[1], sink, ctx, e) == 0 &&
	    gallery_session_html(o->name, &html, &len, e) == 0 &&
	    text_file(html, len, "index.html", &ents[0], sink, ctx, e) == 0 &&
	    dir(ents, 5, sink, ctx, &root, o->name, e) == 0) {
		si->cid = root.cid;
		si->tsize = root.tsize;
		rc = 0;
	}
	cJSON_Delete(m);
	return rc;
}

int
session_build(const struct session_opts *o, block_sink_fn sink, void *ctx,
    struct session_info *si, struct werr *e)
{
	size_t page_size = o->page_size ? o->page_size : SESSION_PAGE_SIZE;
	struct caps cs = { 0 };
	struct pages p = { 0 };
	struct dir_entry ents[5];
	int rc = -1;

	memset(si, 0, sizeof *si);
	if (!session_name_valid(o->name))
		return werr_set(e, EX_USAGE, "%s: not a session name (1-64 of A-Z a-z 0-9 . _ -, starting with a letter or digit)", o->name);
	if (load_caps(o->home, o->name, &cs, si, e) < 0)
		goto out;
	qsort(cs.v, cs.n, sizeof *cs.v, cap_cmp);
	summarize(&cs, si);
	if (import_thumbs(o->home, o->name, &cs, sink, ctx, si, e) < 0 ||
	    media_dirs(&cs, sink, ctx, &ents[3], &ents[4], e) < 0 ||
	    build_pages(o->name, &cs, page_size, &p, sink, ctx, e) < 0)
		goto out;
	rc = top(o, si, page_size, &p, ents, sink, ctx, e);
out:
	pages_free(&p);
	caps_free(&cs);
	return rc;
}

static int
save_state(const char *path, const cJSON *o, struct werr *e)
{
	char dir[PATH_MAX], *text;
	size_t len;
	int rc;

	if (path_fmt(dir, sizeof dir, e, "%s", path) < 0)
		return -1;
	*strrchr(dir, '/') = '\0';
	if (mkdir_p(dir, 0755, e) < 0)
		return -1;
	if (!(text = print_json(o, 1, &len)))
		return werr_set(e, EX_OSERR, "%s: out of memory", path);
	rc = atomic_write(path, text, len, e);
	free(text);
	return rc;
}

static void
add_cid(cJSON *o, const char *k, const struct cid *c)
{
	char s[CID_STR_MAX];
	struct werr e = { 0 };

	if (cid_format(c, 'b', s, sizeof s, &e) == 0)
		cJSON_AddStringToObject(o, k, s);
}

int
session_record(const char *home, const char *name, const struct session_info *si, int imported,
    struct werr *e)
{
	cJSON *o = cJSON_CreateObject();
	char path[PATH_MAX], when[40];
	int rc;

	rfc3339_ms(wall_ms(), when, sizeof when);
	cJSON_AddStringToObject(o, "session", name);
	add_cid(o, "cid", &si->cid);
	cJSON_AddNumberToObject(o, "count", (double)si->count);
	cJSON_AddNumberToObject(o, "bytes", (double)si->bytes);
	cJSON_AddNumberToObject(o, "tsize", (double)si->tsize);
	if (si->count) {
		cJSON_AddStringToObject(o, "first", si->first);
		cJSON_AddStringToObject(o, "last", si->last);
	}
	cJSON_AddNumberToObject(o, "skipped", (double)si->skipped);
	cJSON_AddNumberToObject(o, "thumbs", (double)si->thumbs);
	cJSON_AddStringToObject(o, "built_at", when);
	cJSON_AddBoolToObject(o, "imported", imported);
	rc = path_fmt(path, sizeof path, e, "%s/state/dags/%s.json", home, name);
	if (rc == 0)
		rc = save_state(path, o, e);
	cJSON_Delete(o);
	return rc;
}

/* One state/dags/X.json as an index.json session entry, or NULL. */
static cJSON *
root_entry(const char *path, const char *want, struct dir_entry *de, int *imported,
    struct werr *e)
{
	cJSON *j, *s;
	const char *name, *cs, *first, *last;
	uint64_t count, bytes, tsize;
	char *text, p[128];
	size_t len;

	if (read_file(path, &text, &len, e) < 0)
		return NULL;
	j = cJSON_ParseWithLength(text, len);
	free(text);
	if (!(name = json_text(j, "session")) || strcmp(name, want) || !(cs = json_text(j, "cid")) ||
	    cid_parse(cs, &de->cid, e) < 0 || jnum(j, "count", &count) < 0 ||
	    jnum(j, "bytes", &bytes) < 0 || jnum(j, "tsize", &tsize) < 0) {
		cJSON_Delete(j);
		return werr_set(e, EX_DATAERR, "%s: not a session record", path), NULL;
	}
	de->tsize = tsize;
	*imported = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(j, "imported"));
	s = cJSON_CreateObject();
	cJSON_AddStringToObject(s, "name", name);
	add_cid(s, "cid", &de->cid);
	snprintf(p, sizeof p, "sessions/%s", name);
	cJSON_AddStringToObject(s, "path", p);
	cJSON_AddNumberToObject(s, "count", (double)count);
	cJSON_AddNumberToObject(s, "bytes", (double)bytes);
	cJSON_AddNumberToObject(s, "tsize", (double)tsize);
	if ((first = json_text(j, "first")) && (last = json_text(j, "last"))) {
		cJSON_AddStringToObject(s, "first", first);
		cJSON_AddStringToObject(s, "last", last);
	}
	cJSON_Delete(j);
	return s;
}

static int
name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted names of state/dags/ *.json (without .json). */
static int
session_files(const char *dir, char ***names, size_t *n, struct werr *e)
{
	struct dirent *d;
	DIR *dp;
	size_t cap = 0;

	*names = NULL;
	*n = 0;
	if (!(dp = opendir(dir)))
		return errno == ENOENT ? 0 : werr_sys(e, EX_IOERR, "%s", dir);
	while ((d = readdir(dp))) {
		if (!is_sidecar(d->d_name))
			continue;
		if (buf_grow_array(names, &cap, *n + 1, sizeof **names, 32, NULL) < 0)
			break;
		(*names)[(*n)++] = strndup(d->d_name, strlen(d->d_name) - 5);
	}
	closedir(dp);
	qsort(*names, *n, sizeof **names, name_cmp);
	return 0;
}

static cJSON *
index_head(const struct root_opts *o)
{
	cJSON *ix = cJSON_CreateObject(), *node;

	cJSON_AddStringToObject(ix, "format", "wanda-index");
	cJSON_AddNumberToObject(ix, "version", 1);
	node = cJSON_AddObjectToObject(ix, "node");
	cJSON_AddStringToObject(node, "id", o->node_id ? o->node_id : "");
	if (o->ipns_name)
		cJSON_AddStringToObject(node, "ipns", o->ipns_name);
	if (o->key)
		cJSON_AddStringToObject(node, "key", o->key);
	cJSON_AddStringToObject(ix, "profile", SESSION_PROFILE);
	return ix;
}

/* counts and time_range from the session entries. */
static void
index_totals(cJSON *ix, cJSON *sessions, struct root_info *ri)
{
	const char *first = NULL, *last = NULL;
	cJSON *s, *c;
	uint64_t n;

	cJSON_ArrayForEach(s, sessions)
	{
		const char *f = json_text(s, "first"), *l = json_text(s, "last");
		if (jnum(s, "count", &n) == 0)
			ri->captures += n;
		if (jnum(s, "bytes", &n) == 0)
			ri->bytes += n;
		if (f && (!first || strcmp(f, first) < 0))
			first = f;
		if (l && (!last || strcmp(l, last) > 0))
			last = l;
		ri->sessions++;
	}
	c = cJSON_AddObjectToObject(ix, "counts");
	cJSON_AddNumberToObject(c, "sessions", (double)ri->sessions);
	cJSON_AddNumberToObject(c, "captures", (double)ri->captures);
	cJSON_AddNumberToObject(c, "bytes", (double)ri->bytes);
	if (first && last) {
		c = cJSON_AddObjectToObject(ix, "time_range");
		cJSON_AddStringToObject(c, "first", first);
		cJSON_AddStringToObject(c, "last", last);
	}
}

/* index.json, index.html, sessions/ → the root. */
static int
root_top(cJSON *ix, struct dir_entry *sess, size_t n, block_sink_fn sink, void *ctx,
    struct root_info *ri, struct werr *e)
{
	struct dir_entry ents[3], root;
	char *html;
	size_t len;

	if (dir(sess, n, sink, ctx, &ents[2], "sessions", e) < 0 ||
	    json_file(ix, 1, "index.json", &ents[0], sink, ctx, e) < 0 ||
	    gallery_root_html(ix, &html, &len, e) < 0 ||
	    text_file(html, len, "index.html", &ents[1], sink, ctx, e) < 0 ||
	    dir(ents, 3, sink, ctx, &root, "root", e) < 0)
		return -1;
	ri->cid = root.cid;
	ri->tsize = root.tsize;
	return 0;
}

/* What this node holds for its peers (state/sync.json's pinned entries),
 * so other nodes and the IPFS view see it; absent when there is none. */
static int
add_mirrors(cJSON *ix, const char *home, struct werr *e)
{
	cJSON *m = syncstate_mirrors(home, e);

	if (!m)
		return werr_prefix(e, "mirrors");
	if (cJSON_GetArraySize(m) == 0)
		cJSON_Delete(m);
	else
		cJSON_AddItemToObject(ix, "mirrors", m);
	return 0;
}

int
root_build(const struct root_opts *o, block_sink_fn sink, void *ctx, struct root_info *ri,
    struct werr *e)
{
	char dirp[PATH_MAX], path[PATH_MAX], **names = NULL;
	struct dir_entry *sess = NULL;
	cJSON *ix = index_head(o), *arr = cJSON_CreateArray();
	size_t n;
	int rc = -1;

	memset(ri, 0, sizeof *ri);
	n = 0;
	if (path_join(dirp, sizeof dirp, o->home, "state/dags", e) < 0 || session_files(dirp, &names, &n, e) < 0)
		goto out;
	if (!(sess = calloc(n + 1, sizeof *sess))) {
		werr_set(e, EX_OSERR, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		cJSON *s;
		int imported;
		if (!session_name_valid(names[i]))
			continue; /* not ours (an editor's backup file...) */
		if (path_fmt(path, sizeof path, e, "%s/%s.json", dirp, names[i]) < 0 || !(s = root_entry(path, names[i], &sess[i], &imported, e)))
			goto out;
		ri->not_imported += !imported;
		sess[i].name = names[i];
		cJSON_AddItemToArray(arr, s);
	}
	index_totals(ix, arr, ri);
	cJSON_AddItemToObject(ix, "sessions", arr);
	arr = NULL;
	if (add_mirrors(ix, o->home, e) < 0)
		goto out;
	/* compact: invalid names left holes */
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		if (sess[i].name)
			sess[k++] = sess[i];
	rc = root_top(ix, sess, k, sink, ctx, ri, e);
out:
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	free(sess);
	cJSON_Delete(arr);
	cJSON_Delete(ix);
	return rc;
}

int
root_record(const char *home, const struct root_info *ri, int imported, struct werr *e)
{
	char path[PATH_MAX], cs[CID_STR_MAX], when[40];
	char *old = NULL;
	size_t len;
	cJSON *o;
	int rc;

	if (path_join(path, sizeof path, home, "state/root.json", e) < 0)
		return -1;
	if (cid_format(&ri->cid, 'b', cs, sizeof cs, e) < 0)
		return -1;
	if (access(path, F_OK) == 0 && read_file(path, &old, &len, e) == 0) {
		cJSON *j = cJSON_ParseWithLength(old, len);
		const char *c = json_text(j, "cid");
		cJSON *im = cJSON_GetObjectItemCaseSensitive(j, "imported");
		int same = c && !strcmp(c, cs) && (cJSON_IsTrue(im) || !imported);
		cJSON_Delete(j);
		free(old);
		if (same)
			return 0;
	}
	rfc3339_ms(wall_ms(), when, sizeof when);
	o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "cid", cs);
	cJSON_AddNumberToObject(o, "sessions", (double)ri->sessions);
	cJSON_AddNumberToObject(o, "captures", (double)ri->captures);
	cJSON_AddNumberToObject(o, "tsize", (double)ri->tsize);
	cJSON_AddStringToObject(o, "built_at", when);
	cJSON_AddBoolToObject(o, "imported", imported);
	rc = save_state(path, o, e);
	cJSON_Delete(o);
	return rc;
}
