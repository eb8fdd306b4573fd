#include "capture/capture.h"
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "base/atomicio.h"
#include "capture/captureid.h"
#include "ipld/cid.h"
#include "base/clock.h"
#include "capture/exifdate.h"
#include "ipld/importer.h"
#include "capture/jpegio.h"
#include "spool/sidecar.h"
#include "spool/spool.h"
#include "base/buf.h"
#include "base/path.h"

/* What this capture wrote so far, removed again on failure. */
struct written {
	char path[5][PATH_MAX];
	int n;
};

static void
undo(struct written *w)
{
	while (w->n > 0)
		unlink(w->path[--w->n]);
}

static void
wrote(struct written *w, const char *path)
{
	snprintf(w->path[w->n++], sizeof w->path[0], "%s", path);
}

/* Write buf to path: temp file, fsync, then link() so an existing file is
 * never replaced (EX_CANTCREAT), then fsync the directory. */
static int
write_new(const char *path, const void *buf, size_t len, struct werr *e)
{
	struct atomic_file af;
	int rc = 0;

	if (atomic_open(&af, path, e) < 0)
		return -1;
	if (write_all(af.fd, buf, len) < 0 || fsync(af.fd) < 0) {
		werr_sys(e, EX_IOERR, "%s", path);
		atomic_abort(&af);
		return -1;
	}
	if (link(af.tmp, path) < 0)
		rc = werr_sys(e, EX_CANTCREAT, "%s", path);
	atomic_abort(&af); /* closes and unlinks the temp name */
	if (rc == 0 && fsync_parent(path, e) < 0) {
		unlink(path);
		return -1;
	}
	return rc;
}

/* CID and tsize with WANDA's profile, of bytes in memory. */
static int
cid_of(const uint8_t *p, size_t n, char *cid, size_t cidlen, uint64_t *tsize, struct werr *e)
{
	struct import_opts io;
	struct file_importer *fi;
	struct cid root;
	uint64_t fsz;
	int rc;

	import_opts_wanda(&io);
	if ((fi = fimp_new(&io, NULL, NULL, e)) == NULL)
		return -1;
	rc = fimp_write(fi, p, n, e);
	if (rc == 0)
		rc = fimp_finish(fi, &root, tsize, &fsz, e);
	fimp_free(fi);
	if (rc == 0)
		rc = cid_format(&root, io.cid_base ? io.cid_base : 'b', cid, cidlen, e);
	return rc;
}

static int
file_cid(const char *path, char *cid, size_t cidlen, uint64_t *tsize, struct werr *e)
{
	struct import_opts io;
	struct cid root;
	uint64_t fsz;

	import_opts_wanda(&io);
	if (import_path(path, &io, NULL, NULL, &root, tsize, &fsz, e) < 0)
		return -1;
	return cid_format(&root, io.cid_base ? io.cid_base : 'b', cid, cidlen, e);
}

/* The JPEG as stored: with DateTimeOriginal when the source left it out.
 * *owned is set when a new buffer was made. */
static int
with_exif_date(struct frame *f, uint8_t **img, size_t *len, int *owned, struct werr *e)
{
	char dt[64];

	*owned = 0;
	*img = f->jpeg;
	*len = f->len;
	if (exif_get_datetime_original(f->jpeg, f->len, dt, sizeof dt) == 0)
		return 0;
	if (exif_set_datetime_original(f->jpeg, f->len, f->start_ms, img, len, e) < 0)
		return -1;
	*owned = 1;
	return 0;
}

static void
fill_sidecar(struct sidecar *s, const struct capture_env *env, const struct capsrc_opts *o,
    const struct frame *f, const char *id, size_t bytes)
{
	sidecar_init(s);
	if (env->no_queue) /* not "queued": no recovery may queue it */
		snprintf(s->state, sizeof s->state, "local");
	snprintf(s->id, sizeof s->id, "%s", id);
	snprintf(s->session, sizeof s->session, "%s", env->session);
	snprintf(s->file, sizeof s->file, "%s.jpg", id);
	s->bytes = bytes;
	rfc3339_ms(f->start_ms, s->captured_at, sizeof s->captured_at);
	snprintf(s->camera, sizeof s->camera, "%s", f->camera);
	s->width = f->width;
	s->height = f->height;
	s->exposure_us = o->exposure_us > 0 ? o->exposure_us : -1;
	s->gain = o->gain;
	if (o->awb)
		snprintf(s->awb, sizeof s->awb, "%s", o->awb);
	snprintf(s->thumb, sizeof s->thumb, "thumbs/%s/%s.jpg", env->session, id);
}

static int
store_thumb(const struct capture_env *env, const uint8_t *img, size_t len, const char *path,
    struct werr *e)
{
	uint8_t *t;
	size_t tl;
	int tw, th, rc;

	if (jpeg_thumbnail(img, len, env->thumb_size, env->thumb_quality, &t, &tl, &tw, &th, e) < 0)
		return -1;
	rc = atomic_write(path, t, tl, e);
	free(t);
	return rc;
}

/* A capture's spool entries: the image (kind "capture", id ID), then its
 * raw DNG, if any (kind "raw", id ID.dng), which is pushed and pinned on
 * its own so that the session directory's link to it resolves. fresh: the
 * id was just issued, no entry can exist; else only missing ones are
 * added. Returns how many were added, or -1. */
static int
enqueue_capture(const struct capture_env *env, const char *dir, const char *side,
    const struct sidecar *s, int fresh, struct werr *e)
{
	char spool[PATH_MAX], img[PATH_MAX], dng[PATH_MAX], rid[200];
	int n = 0;

	if (path_join(spool, sizeof spool, env->home, "spool", e) < 0 || spool_init(spool, e) < 0 ||
	    path_join(img, sizeof img, dir, s->file, e) < 0)
		return -1;
	if (fresh || (!spool_has(spool, s->id) && access(img, F_OK) == 0)) {
		if (spool_add_file(spool, s->id, "capture", env->session, img, side, s->cid, e) < 0)
			return -1;
		n++;
	}
	if (!s->raw[0] || !s->raw_cid[0])
		return n;
	spool_raw_id(s->id, rid, sizeof rid);
	if (path_join(dng, sizeof dng, dir, s->raw, e) < 0)
		return -1;
	if (fresh || (!spool_has(spool, rid) && access(dng, F_OK) == 0)) {
		if (spool_add_file(spool, rid, "raw", env->session, dng, side, s->raw_cid, e) < 0)
			return -1;
		n++;
	}
	return n;
}

static cJSON *
result_line(const struct sidecar *s, const struct capsrc_opts *o, const char *img, const char *side,
    const char *home, long long ms, long long cid_ms)
{
	cJSON *r = cJSON_CreateObject();
	char thumb[PATH_MAX], raw[PATH_MAX];

	/* both fit: the same names were written by capture_store */
	path_join(thumb, sizeof thumb, home, s->thumb, NULL);
	cJSON_AddStringToObject(r, "id", s->id);
	cJSON_AddStringToObject(r, "session", s->session);
	cJSON_AddStringToObject(r, "path", img);
	cJSON_AddStringToObject(r, "sidecar", side);
	cJSON_AddStringToObject(r, "thumb", thumb);
	cJSON_AddStringToObject(r, "cid", s->cid);
	cJSON_AddNumberToObject(r, "bytes", (double)s->bytes);
	cJSON_AddNumberToObject(r, "tsize", (double)s->tsize);
	cJSON_AddStringToObject(r, "captured_at", s->captured_at);
	cJSON_AddStringToObject(r, "source", capsrc_name(o->kind));
	cJSON_AddStringToObject(r, "camera", s->camera);
	cJSON_AddNumberToObject(r, "width", s->width);
	cJSON_AddNumberToObject(r, "height", s->height);
	if (s->raw[0]) {
		path_fmt(raw, sizeof raw, NULL, "%.*s/%s", (int)(strrchr(img, '/') - img), img, s->raw);
		cJSON_AddStringToObject(r, "raw", raw);
		cJSON_AddStringToObject(r, "raw_cid", s->raw_cid);
	}
	cJSON_AddNumberToObject(r, "ms", (double)ms);
	cJSON_AddNumberToObject(r, "cid_ms", (double)cid_ms);
	return r;
}

static int
store_raw(const struct frame *f, const char *dir, struct sidecar *s, struct written *w, struct werr *e)
{
	char dng[PATH_MAX];

	if (!f->dng[0])
		return 0;
	snprintf(s->raw, sizeof s->raw, "%s.dng", s->id);
	if (path_join(dng, sizeof dng, dir, s->raw, e) < 0)
		return -1;
	if (link(f->dng, dng) < 0)
		return werr_sys(e, EX_CANTCREAT, "%s", dng);
	wrote(w, dng);
	if (fsync_parent(dng, e) < 0)
		return -1;
	return file_cid(dng, s->raw_cid, sizeof s->raw_cid, &s->raw_tsize, e);
}

cJSON *
capture_store(const struct capture_env *env, const struct capsrc_opts *o, struct frame *f,
    struct werr *e)
{
	char id[CAPTUREID_MAX], dir[PATH_MAX], tdir[PATH_MAX], img[PATH_MAX], side[PATH_MAX];
	char thumb[PATH_MAX], st[PATH_MAX];
	struct written w = { .n = 0 };
	struct sidecar s;
	long long t0 = mono_ms(), t_file, cid_ms;
	uint8_t *buf;
	size_t len;
	int owned, lk;

	if (path_fmt(dir, sizeof dir, e, "%s/captures/%s", env->home, env->session) < 0 ||
	    path_fmt(tdir, sizeof tdir, e, "%s/thumbs/%s", env->home, env->session) < 0 ||
	    path_join(st, sizeof st, env->home, "state", e) < 0)
		return NULL;
	if (mkdir_p(dir, 0755, e) < 0 || mkdir_p(tdir, 0755, e) < 0 || mkdir_p(st, 0755, e) < 0)
		return NULL;
	if (path_join(st, sizeof st, env->home, "state/captureid", e) < 0 ||
	    captureid_issue(st, env->node, id, sizeof id, e) < 0)
		return NULL;
	/* the session directory's lock: stores hold it shared, crash recovery
	 * exclusive, and sidecar updates (lib/spool/sidecar) take it exclusive
	 * too, so recovery never meets a capture or an update half-done */
	if ((lk = dir_lock(dir, LOCK_SH, EX_CANTCREAT, e)) < 0)
		return NULL;
	if (with_exif_date(f, &buf, &len, &owned, e) < 0) {
		close(lk);
		return NULL;
	}
	fill_sidecar(&s, env, o, f, id, len);
	if (path_fmt(img, sizeof img, e, "%s/%s.jpg", dir, id) < 0 ||
	    path_fmt(side, sizeof side, e, "%s/%s.json", dir, id) < 0 ||
	    path_fmt(thumb, sizeof thumb, e, "%s/%s.jpg", tdir, id) < 0)
		goto fail;
	if (write_new(img, buf, len, e) < 0)
		goto fail;
	wrote(&w, img);
	t_file = mono_ms();
	if (cid_of(buf, len, s.cid, sizeof s.cid, &s.tsize, e) < 0)
		goto fail;
	cid_ms = mono_ms() - t_file; /* file complete -> CID known */
	if (store_raw(f, dir, &s, &w, e) < 0)
		goto fail;
	if (store_thumb(env, buf, len, thumb, e) < 0)
		goto fail;
	wrote(&w, thumb);
	if (sidecar_write(side, &s, e) < 0)
		goto fail;
	wrote(&w, side);
	if (!env->no_queue && enqueue_capture(env, dir, side, &s, 1, e) < 0)
		goto fail;
	close(lk);
	if (owned)
		free(buf);
	return result_line(&s, o, img, side, env->home, mono_ms() - t0, cid_ms);
fail:
	undo(&w);
	close(lk);
	if (owned)
		free(buf);
	return NULL;
}

/* Complete a capture whose image made it and whose sidecar did not. */
static int
complete_orphan(const struct capture_env *env, const char *dir, const char *tdir, const char *id,
    struct werr *e)
{
	char img[PATH_MAX], side[PATH_MAX], thumb[PATH_MAX], dng[PATH_MAX], *buf;
	struct sidecar s;
	long long ms;
	unsigned seq;
	size_t len;
	int rc = -1;

	if (path_fmt(img, sizeof img, e, "%s/%s.jpg", dir, id) < 0 ||
	    path_fmt(side, sizeof side, e, "%s/%s.json", dir, id) < 0 ||
	    path_fmt(thumb, sizeof thumb, e, "%s/%s.jpg", tdir, id) < 0 ||
	    path_fmt(dng, sizeof dng, e, "%s/%s.dng", dir, id) < 0)
		return -1;
	if (read_file(img, &buf, &len, e) < 0)
		return -1;
	sidecar_init(&s);
	if (env->no_queue)
		snprintf(s.state, sizeof s.state, "local");
	snprintf(s.id, sizeof s.id, "%s", id);
	snprintf(s.session, sizeof s.session, "%s", env->session);
	snprintf(s.file, sizeof s.file, "%s.jpg", id);
	s.bytes = len;
	/* the id was issued just before the image was written */
	if (captureid_parse(id, &ms, NULL, 0, &seq) == 0)
		rfc3339_ms(ms, s.captured_at, sizeof s.captured_at);
	snprintf(s.thumb, sizeof s.thumb, "thumbs/%s/%s.jpg", env->session, id);
	if (jpeg_info((uint8_t *)buf, len, &s.width, &s.height, e) < 0) {
		werr_prefix(e, "%s", img);
		goto out;
	}
	if (cid_of((uint8_t *)buf, len, s.cid, sizeof s.cid, &s.tsize, e) < 0)
		goto out;
	if (access(dng, F_OK) == 0) {
		snprintf(s.raw, sizeof s.raw, "%s.dng", id);
		if (file_cid(dng, s.raw_cid, sizeof s.raw_cid, &s.raw_tsize, e) < 0)
			goto out;
	}
	if (access(thumb, F_OK) != 0 && store_thumb(env, (uint8_t *)buf, len, thumb, e) < 0)
		goto out;
	if (sidecar_write(side, &s, e) < 0)
		goto out;
	rc = 0;
	if (!env->no_queue && enqueue_capture(env, dir, side, &s, 0, e) < 0)
		rc = -1;
out:
	free(buf);
	return rc;
}

static int
by_name_desc(const void *a, const void *b)
{
	return strcmp(*(char *const *)b, *(char *const *)a);
}

/* Leftovers of dead processes: temp files (no store runs while we hold the
 * lock) and scratch dirs whose pid is gone. */
static void
sweep(const char *dir, const char *name)
{
	char p[PATH_MAX];
	long pid;

	if (path_join(p, sizeof p, dir, name, NULL) < 0)
		return;
	if (strstr(name, ".tmp.") != NULL) {
		unlink(p);
	} else if (sscanf(name, ".capture.%ld.", &pid) == 1 && kill((pid_t)pid, 0) < 0 && errno == ESRCH) {
		struct frame f = { .jpeg = NULL };
		snprintf(f.scratch, sizeof f.scratch, "%s", p);
		frame_free(&f);
	}
}

/* Temp files of the thumbnails directory (written under the same lock). */
static void
sweep_temps(const char *dir)
{
	struct dirent *de;
	DIR *d = opendir(dir);

	while (d && (de = readdir(d)) != NULL)
		if (de->d_name[0] == '.' && strstr(de->d_name, ".tmp.") != NULL)
			sweep(dir, de->d_name);
	if (d)
		closedir(d);
}

/* Image names (ID of ID.jpg) and sidecar names in dir; returns counts. */
static void
scan_session(const char *dir, char ***imgs, size_t *ni, char ***sides, size_t *ns)
{
	struct dirent *de;
	DIR *d = opendir(dir);
	size_t ci = 0, cs = 0;

	*imgs = *sides = NULL;
	*ni = *ns = 0;
	while (d && (de = readdir(d)) != NULL) {
		size_t l = strlen(de->d_name);
		if (de->d_name[0] == '.') {
			if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
				sweep(dir, de->d_name);
			continue;
		}
		char ***v = NULL;
		size_t *n = NULL, *c = NULL;
		if (l > 4 && strcmp(de->d_name + l - 4, ".jpg") == 0)
			v = imgs, n = ni, c = &ci, l -= 4;
		else if (l > 5 && strcmp(de->d_name + l - 5, ".json") == 0)
			v = sides, n = ns, c = &cs, l -= 5;
		if (v == NULL)
			continue;
		/* out of memory: stop at the names so far (the next start sees the rest) */
		if (buf_grow_array(v, c, *n + 1, sizeof **v, 64, NULL) < 0)
			break;
		(*v)[(*n)++] = strndup(de->d_name, l);
	}
	if (d)
		closedir(d);
}

static int
has_name(char **v, size_t n, const char *name)
{
	return n > 0 && bsearch(&name, v, n, sizeof *v, by_name_desc) != NULL;
}

static void
free_names(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/* A "queued" sidecar without its spool entries (image, DNG): queue them. */
static int
requeue(const struct capture_env *env, const char *dir, const char *id, int *did, struct werr *e)
{
	char side[PATH_MAX];
	struct sidecar s;
	int n;

	*did = 0;
	if (path_fmt(side, sizeof side, e, "%s/%s.json", dir, id) < 0 || sidecar_read(side, &s, e) < 0)
		return -1;
	if (strcmp(s.state, "queued") != 0)
		return 0;
	if ((n = enqueue_capture(env, dir, side, &s, 0, e)) < 0)
		return -1;
	*did = n > 0;
	return 0;
}

int
capture_recover(const struct capture_env *env, int recent, capture_repair_fn fn, void *ctx,
    struct werr *e)
{
	char dir[PATH_MAX], tdir[PATH_MAX], **imgs, **sides;
	size_t ni, ns;
	int lk, rc = 0, did;

	if (path_fmt(dir, sizeof dir, e, "%s/captures/%s", env->home, env->session) < 0 ||
	    path_fmt(tdir, sizeof tdir, e, "%s/thumbs/%s", env->home, env->session) < 0)
		return -1;
	if (access(dir, F_OK) != 0)
		return 0;
	if ((lk = dir_lock(dir, LOCK_EX | LOCK_NB, EX_CANTCREAT, e)) < 0)
		return e->code == 0 ? 0 : -1; /* a capture is being stored: next time */
	scan_session(dir, &imgs, &ni, &sides, &ns);
	sweep_temps(tdir);
	if (ni > 1)
		qsort(imgs, ni, sizeof *imgs, by_name_desc);
	if (ns > 1)
		qsort(sides, ns, sizeof *sides, by_name_desc);
	for (size_t i = 0; i < ni && rc == 0; i++) {
		if (has_name(sides, ns, imgs[i]))
			continue;
		if ((rc = complete_orphan(env, dir, tdir, imgs[i], e)) == 0 && fn)
			fn(ctx, imgs[i], "completed");
	}
	for (size_t i = 0; i < ns && i < (size_t)recent && rc == 0 && !env->no_queue; i++)
		if ((rc = requeue(env, dir, sides[i], &did, e)) == 0 && did && fn)
			fn(ctx, sides[i], "requeued");
	free_names(imgs, ni);
	free_names(sides, ns);
	close(lk);
	return rc;
}
