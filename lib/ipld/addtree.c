/* addtree: `ipfs add` over paths (see addtree.h for the rules and order). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/buf.h"
#include "ipld/addtree.h"
#include "ipld/dagpb.h"
#include "ipld/unixfs.h"

struct built {
	struct cid cid;
	uint64_t size, bytes;
};
struct devent {
	char *name;
	struct built b;
};

struct adder {
	const struct add_opts *o;
	struct dir_opts dopt;
	block_sink_fn sink;
	void *sctx;
	add_event_fn ev;
	void *ectx;
	struct devent *dirs; /* directory events, emitted after the walk */
	size_t ndirs, capdirs;
};

struct top {        /* one path from the command line */
	char *path; /* cleaned; NULL for stdin */
	char *name;
	size_t idx;
};

static int
oom(struct werr *e)
{
	return werr_set(e, EX_OSERR, "add: out of memory");
}

static int
event(struct adder *a, const char *name, const struct built *b, int root, struct werr *e)
{
	struct add_event ev = { name, b->cid, b->size, b->bytes, root };

	return a->ev ? a->ev(a->ectx, &ev, e) : 0;
}

static char *
join(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	char *s = malloc(la + lb + 2);

	if (s == NULL)
		return NULL;
	if (la == 0) {
		memcpy(s, b, lb + 1);
		return s;
	}
	memcpy(s, a, la);
	s[la] = '/';
	memcpy(s + la + 1, b, lb + 1);
	return s;
}

static int
add_file(struct adder *a, int fd, const char *what, struct built *out, struct werr *e)
{
	struct file_importer *f = fimp_new(&a->o->imp, a->sink, a->sctx, e);
	int rc = -1;

	if (f != NULL && fimp_write_fd(f, fd, what, e) == 0 &&
	    fimp_finish(f, &out->cid, &out->size, &out->bytes, e) == 0)
		rc = 0;
	fimp_free(f);
	return rc;
}

/* dag-pb {Data: UnixFS {Type Symlink, Data target}}, as boxo's SymlinkData. */
static int
add_symlink(struct adder *a, const char *path, struct built *out, struct werr *e)
{
	char target[PATH_MAX];
	ssize_t n = readlink(path, target, sizeof target);
	struct ufs_data d;
	uint8_t *ufs = NULL, *blk = NULL;
	size_t ufslen = 0, blklen = 0;
	int rc = -1;

	if (n < 0)
		return werr_sys(e, EX_NOINPUT, "%s", path);
	memset(&d, 0, sizeof d);
	d.type = UFS_SYMLINK;
	d.data = (const uint8_t *)target;
	d.data_len = (size_t)n;
	d.has_data = 1;
	if (ufs_encode(&d, &ufs, &ufslen, e) == 0 &&
	    dagpb_encode(NULL, 0, ufs, ufslen, 1, &blk, &blklen, e) == 0 &&
	    cid_from_block(a->o->imp.cid_version, CODEC_DAG_PB, a->o->imp.mh_code, blk, blklen, &out->cid, e) == 0 &&
	    (a->sink == NULL || a->sink(a->sctx, &out->cid, blk, blklen, e) == 0)) {
		out->size = blklen;
		out->bytes = 0;
		rc = 0;
	}
	free(ufs);
	free(blk);
	return rc;
}

static int add_node(struct adder *, const char *, const char *, const struct stat *, int, struct built *, struct werr *);

static int
cmpstr(const void *x, const void *y)
{
	return strcmp(*(char *const *)x, *(char *const *)y);
}

/* Names in a directory, sorted bytewise, hidden ones dropped unless asked. */
static int
list_dir(struct adder *a, const char *path, char ***names, size_t *n, struct werr *e)
{
	DIR *d = opendir(path);
	struct dirent *de;
	size_t cap = 0;

	*names = NULL;
	*n = 0;
	if (d == NULL)
		return werr_sys(e, errno == ENOENT ? EX_NOINPUT : EX_IOERR, "%s", path);
	while ((errno = 0, de = readdir(d)) != NULL) {
		const char *nm = de->d_name;
		if (strcmp(nm, ".") == 0 || strcmp(nm, "..") == 0 || (nm[0] == '.' && !a->o->hidden))
			continue;
		if (buf_grow_array(names, &cap, *n + 1, sizeof **names, 16, NULL) < 0)
			goto nomem;
		if (((*names)[*n] = strdup(nm)) == NULL)
			goto nomem;
		(*n)++;
	}
	if (errno != 0) {
		werr_sys(e, EX_IOERR, "%s", path);
		goto fail;
	}
	closedir(d);
	if (*n > 1) /* qsort(NULL, 0, ...) is undefined */
		qsort(*names, *n, sizeof **names, cmpstr);
	return 0;
nomem:
	oom(e);
fail:
	closedir(d);
	return -1;
}

static int
keep_dir_event(struct adder *a, const char *name, const struct built *b, struct werr *e)
{
	if (buf_grow_array(&a->dirs, &a->capdirs, a->ndirs + 1, sizeof *a->dirs, 16, NULL) < 0)
		return oom(e);
	if ((a->dirs[a->ndirs].name = strdup(name)) == NULL)
		return oom(e);
	a->dirs[a->ndirs++].b = *b;
	return 0;
}

static int
add_dir(struct adder *a, const char *path, const char *name, struct built *out, struct werr *e)
{
	char **names;
	size_t n, i;
	struct dir_entry *ents = NULL;
	int rc = -1;

	if (list_dir(a, path, &names, &n, e) < 0)
		return -1;
	if ((ents = calloc(n ? n : 1, sizeof *ents)) == NULL) {
		oom(e);
		goto out;
	}
	out->bytes = 0;
	for (i = 0; i < n; i++) {
		char *cpath = join(path, names[i]), *cname = join(name, names[i]);
		struct stat st;
		struct built b;
		int r = -1;

		if (cpath == NULL || cname == NULL)
			oom(e);
		else if (lstat(cpath, &st) < 0)
			werr_sys(e, EX_NOINPUT, "%s", cpath);
		else
			r = add_node(a, cpath, cname, &st, 0, &b, e);
		free(cpath);
		free(cname);
		if (r < 0)
			goto out;
		ents[i].name = names[i];
		ents[i].cid = b.cid;
		ents[i].tsize = b.size;
		out->bytes += b.bytes;
	}
	if (unixdir_build(ents, n, &a->dopt, a->sink, a->sctx, &out->cid, &out->size, e) < 0) {
		werr_prefix(e, "%s", path);
		goto out;
	}
	rc = keep_dir_event(a, name, out, e);
out:
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	free(ents);
	return rc;
}

static int
add_node(struct adder *a, const char *path, const char *name, const struct stat *st, int top,
    struct built *out, struct werr *e)
{
	int fd, rc;

	if (S_ISDIR(st->st_mode))
		return add_dir(a, path, name, out, e);
	if (S_ISLNK(st->st_mode))
		rc = add_symlink(a, path, out, e);
	else if (S_ISREG(st->st_mode)) {
		if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) < 0)
			return werr_sys(e, EX_NOINPUT, "%s", path);
		rc = add_file(a, fd, path, out, e);
		close(fd);
	} else
		return werr_set(e, EX_DATAERR, "%s: unrecognized file type (not a file, directory or symlink)", path);
	if (rc < 0)
		return -1;
	return event(a, name, out, top && !a->o->wrap, e);
}

/* Go's filepath.Clean, lexically: no "//", no "." parts, ".." resolved where
 * it can be, no trailing slash; "" becomes ".". */
static char *
clean_path(const char *p)
{
	size_t n = strlen(p), w = 0, r = 0, dotdot = 0;
	int rooted = p[0] == '/';
	char *out = malloc(n + 2);

	if (out == NULL)
		return NULL;
	if (rooted)
		out[w++] = '/', r = 1, dotdot = 1;
	while (r < n) {
		if (p[r] == '/' || (p[r] == '.' && (r + 1 == n || p[r + 1] == '/'))) {
			r++;
		} else if (p[r] == '.' && p[r + 1] == '.' && (r + 2 == n || p[r + 2] == '/')) {
			r += 2;
			if (w > dotdot) {
				for (w--; w > dotdot && out[w] != '/'; w--)
					;
			} else if (!rooted) {
				if (w > 0)
					out[w++] = '/';
				out[w++] = '.', out[w++] = '.';
				dotdot = w;
			}
		} else {
			if ((rooted && w != 1) || (!rooted && w != 0))
				out[w++] = '/';
			for (; r < n && p[r] != '/'; r++)
				out[w++] = p[r];
		}
	}
	if (w == 0)
		out[w++] = '.';
	out[w] = '\0';
	return out;
}

/* Kubo names an added path by its last element, "." by the real directory. */
static char *
path_name(const char *clean)
{
	const char *b = strrchr(clean, '/');
	char real[PATH_MAX];

	b = b ? b + 1 : clean;
	if (*b == '\0' || strcmp(b, ".") == 0 || strcmp(b, "..") == 0) {
		if (realpath(clean, real) == NULL)
			return strdup(clean);
		b = strrchr(real, '/');
		return strdup(b && b[1] ? b + 1 : real);
	}
	return strdup(b);
}

static int
cmptop(const void *x, const void *y)
{
	const struct top *a = x, *b = y;
	int c = strcmp(a->name, b->name);

	return c ? c : (a->idx > b->idx) - (a->idx < b->idx);
}

static void
free_tops(struct top *t, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(t[i].path);
		free(t[i].name);
	}
	free(t);
}

/* Clean, name and sort the paths; drop repeats; refuse what Kubo refuses. */
static int
prepare(const char *const *paths, size_t n, const struct add_opts *o, struct top **out, size_t *nout, struct werr *e)
{
	struct top *t = calloc(n, sizeof *t);
	size_t i, k, nstdin = 0;

	if (t == NULL)
		return oom(e);
	for (i = 0; i < n; i++) {
		t[i].idx = i;
		if (strcmp(paths[i], "-") == 0) {
			if (nstdin++) {
				werr_set(e, EX_USAGE, "-: standard input given twice");
				goto fail;
			}
			if ((t[i].name = strdup(o->stdin_name ? o->stdin_name : "")) == NULL)
				goto nomem;
		} else if ((t[i].path = clean_path(paths[i])) == NULL || (t[i].name = path_name(t[i].path)) == NULL)
			goto nomem;
	}
	qsort(t, n, sizeof *t, cmptop);
	for (i = 0, k = 0; i < n; i++) {
		struct top *p = k ? &t[k - 1] : NULL;
		if (p && t[i].path && p->path && strcmp(t[i].path, p->path) == 0) {
			free(t[i].path);
			free(t[i].name);
			continue;
		}
		if (p && o->wrap && t[i].name[0] && strcmp(t[i].name, p->name) == 0) {
			werr_set(e, EX_USAGE, "%s: name '%s' repeated under different directories (%s)",
			    t[i].path ? t[i].path : "-", t[i].name, p->path ? p->path : "-");
			for (; i < n; i++)
				t[k++] = t[i];
			free_tops(t, k);
			return -1;
		}
		t[k++] = t[i];
	}
	*out = t;
	*nout = k;
	return 0;
nomem:
	oom(e);
fail:
	free_tops(t, n);
	return -1;
}

static int
add_top(struct adder *a, struct top *t, struct built *b, struct werr *e)
{
	struct stat st;
	char cidstr[CID_STR_MAX];

	if (t->path == NULL) {
		if (add_file(a, 0, "stdin", b, e) < 0)
			return -1;
		if (t->name[0] == '\0') {
			/* Kubo names unnamed stdin by its CID (Cid.String()). */
			if (cid_format(&b->cid, 0, cidstr, sizeof cidstr, e) < 0)
				return -1;
			free(t->name);
			if ((t->name = strdup(cidstr)) == NULL)
				return oom(e);
		}
		return event(a, t->name, b, !a->o->wrap, e);
	}
	if (lstat(t->path, &st) < 0)
		return werr_sys(e, errno == ENOENT || errno == ENOTDIR ? EX_NOINPUT : EX_IOERR, "%s", t->path);
	if (S_ISDIR(st.st_mode) && !a->o->recursive)
		return werr_set(e, EX_USAGE, "'%s' is a directory, use the '-r' flag to specify directories", t->path);
	return add_node(a, t->path, t->name, &st, 1, b, e);
}

/* Directory events of what was just added, post-order, the last a root;
 * emit 0: just forget them (error paths). */
static int
flush_dirs(struct adder *a, int emit, struct werr *e)
{
	int rc = 0;

	for (size_t i = 0; i < a->ndirs; i++) {
		if (emit && rc == 0)
			rc = event(a, a->dirs[i].name, &a->dirs[i].b, i + 1 == a->ndirs, e);
		free(a->dirs[i].name);
	}
	a->ndirs = 0;
	return rc;
}

static int
wrap_all(struct adder *a, struct top *t, const struct built *b, size_t n, struct built *out, struct werr *e)
{
	struct dir_entry *ents = calloc(n ? n : 1, sizeof *ents);
	int rc;

	if (ents == NULL)
		return oom(e);
	out->bytes = 0;
	for (size_t i = 0; i < n; i++) {
		ents[i].name = t[i].name;
		ents[i].cid = b[i].cid;
		ents[i].tsize = b[i].size;
		out->bytes += b[i].bytes;
	}
	rc = unixdir_build(ents, n, &a->dopt, a->sink, a->sctx, &out->cid, &out->size, e);
	free(ents);
	if (rc < 0)
		return werr_prefix(e, "wrap-with-directory");
	return keep_dir_event(a, "", out, e);
}

int
add_paths(const char *const *paths, size_t n, const struct add_opts *o,
    block_sink_fn sink, void *sctx, add_event_fn ev, void *ectx, struct cid *root, struct werr *e)
{
	struct adder a = { .o = o, .sink = sink, .sctx = sctx, .ev = ev, .ectx = ectx };
	struct top *t = NULL;
	struct built *b = NULL, w;
	size_t nt = 0, i;
	int rc = -1;

	if (n == 0)
		return werr_set(e, EX_USAGE, "add: expected a file argument");
	if (import_opts_check(&o->imp, e) < 0 || prepare(paths, n, o, &t, &nt, e) < 0)
		return -1;
	a.dopt = o->dir;
	a.dopt.cid_version = o->imp.cid_version; /* Kubo uses one CID builder for all */
	a.dopt.mh_code = o->imp.mh_code;
	if ((b = calloc(nt, sizeof *b)) == NULL) {
		oom(e);
		goto out;
	}
	for (i = 0; i < nt; i++) {
		if (add_top(&a, &t[i], &b[i], e) < 0)
			goto out;
		if (!o->wrap && flush_dirs(&a, 1, e) < 0)
			goto out;
	}
	if (o->wrap) {
		if (wrap_all(&a, t, b, nt, &w, e) < 0 || flush_dirs(&a, 1, e) < 0)
			goto out;
		b[nt - 1] = w;
	}
	if (root)
		*root = b[nt - 1].cid;
	rc = 0;
out:
	flush_dirs(&a, 0, NULL);
	free(a.dirs);
	free(b);
	free_tops(t, nt);
	return rc;
}
