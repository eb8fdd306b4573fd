/* kubo_get: `get` fetches a tar stream and extracts it with libarchive as
 * it arrives. libarchive pulls (its read callback) while libcurl pushes,
 * so the transfer runs on a multi handle driven from the read callback.
 * Extraction goes to a temporary directory beside dest, renamed into
 * place at the end: dest is either complete or absent. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <archive.h>
#include <archive_entry.h>
#include "base/atomicio.h"
#include "base/beneath.h"
#include "base/buf.h"
#include "base/path.h"
#include "kubo/kubo_int.h"

struct pull {
	struct kubo *k;
	struct xfer *x;
	CURLM *m;
	struct buf buf;
	int done;
	CURLcode rc;
	const char *tmp;        /* extraction root: tmp/root is the content */
	const char *what;       /* what is extracted, for messages (the CID) */
	char top[NAME_MAX + 1]; /* the first entry's first component */
	struct slink {
		char *rel, *target;
	} * links; /* written after the rest */
	size_t nlinks, caplinks;
};

static int
pull_sink(void *ctx, const void *p, size_t n, struct werr *e)
{
	struct pull *pl = ctx;

	return buf_add(&pl->buf, p, n, e);
}

/* Drive curl until some body bytes are buffered or the transfer ended. */
static void
pump(struct pull *pl)
{
	CURLMsg *msg;
	int running, left;

	pl->buf.len = 0;
	while (pl->buf.len == 0 && !pl->done) {
		if (curl_multi_perform(pl->m, &running) != CURLM_OK) {
			pl->rc = CURLE_RECV_ERROR;
			pl->done = 1;
			break;
		}
		while ((msg = curl_multi_info_read(pl->m, &left)) != NULL) {
			if (msg->msg == CURLMSG_DONE) {
				pl->rc = msg->data.result;
				pl->done = 1;
			}
		}
		if (pl->buf.len == 0 && !pl->done)
			curl_multi_poll(pl->m, NULL, 0, 1000, NULL);
	}
}

static la_ssize_t
pull_read(struct archive *a, void *ctx, const void **buf)
{
	struct pull *pl = ctx;

	(void)a;
	pump(pl);
	*buf = pl->buf.p;
	return (la_ssize_t)pl->buf.len;
}

/* Path of an entry inside tmp, or -1 when it could escape. `depth` gets
 * the number of directories between the content root and the entry. */
static int
map_path(struct pull *pl, const char *name, char *out, size_t cap, int *depth, struct werr *e)
{
	char rest[PATH_MAX] = "", comp[NAME_MAX + 1];
	const char *p = name;
	int n = 0, first = 1;

	if (*name == '/')
		return werr_set(e, EX_PROTOCOL, "%s: absolute path in the archive", name);
	*depth = -1;
	while (*p != '\0') {
		size_t l = strcspn(p, "/");

		if (l > NAME_MAX)
			return werr_set(e, EX_PROTOCOL, "%.80s: name too long", name);
		memcpy(comp, p, l);
		comp[l] = '\0';
		p += l + (p[l] == '/');
		if (l == 0 || strcmp(comp, ".") == 0) /* a trailing '/' never gets here */
			return werr_set(e, EX_PROTOCOL, "%.80s: empty or '.' component in an archive path", name);
		if (strcmp(comp, "..") == 0)
			return werr_set(e, EX_PROTOCOL, "%s: '..' in an archive path", name);
		if (first) {
			if (pl->top[0] == '\0')
				snprintf(pl->top, sizeof pl->top, "%s", comp);
			else if (strcmp(pl->top, comp) != 0)
				return werr_set(e, EX_PROTOCOL, "%s: outside %s", name, pl->top);
			first = 0;
			continue;
		}
		if (strlen(rest) + l + 2 >= sizeof rest)
			return werr_set(e, EX_PROTOCOL, "%.80s: path too long", name);
		strcat(rest, "/");
		strcat(rest, comp);
		n++;
	}
	if (first)
		return werr_set(e, EX_PROTOCOL, "'%s': empty archive path", name);
	*depth = n - 1;
	if ((size_t)snprintf(out, cap, "%s/root%s", pl->tmp, rest) >= cap)
		return werr_set(e, EX_PROTOCOL, "%.80s: path too long", name);
	return 0;
}

/* A symlink may point anywhere inside the content, never out of it. */
static int
check_symlink(const char *name, const char *target, int depth, struct werr *e)
{
	const char *p = target;

	if (*target == '/')
		return werr_set(e, EX_PROTOCOL, "%s: symlink to an absolute path", name);
	while (*p != '\0') {
		size_t l = strcspn(p, "/");

		if (l == 2 && p[0] == '.' && p[1] == '.')
			depth--;
		else if (!(l == 0 || (l == 1 && p[0] == '.')))
			depth++;
		if (depth < 0)
			return werr_set(e, EX_PROTOCOL, "%s: symlink out of the download (%s)", name, target);
		p += l + (p[l] == '/');
	}
	return 0;
}

static int
copy_data(struct archive *in, struct archive *out, const char *name, struct werr *e)
{
	const void *buf;
	size_t n;
	la_int64_t off;
	int r;

	while ((r = archive_read_data_block(in, &buf, &n, &off)) == ARCHIVE_OK) {
		if (archive_write_data_block(out, buf, n, off) != ARCHIVE_OK)
			return werr_set(e, EX_IOERR, "%s: %s", name, archive_error_string(out));
	}
	if (r != ARCHIVE_EOF)
		return werr_set(e, EX_PROTOCOL, "%s: %s", name, archive_error_string(in));
	return 0;
}

/* Symlinks are written after every file and directory, so extraction
 * never goes through one; here only their text is kept. */
static int
defer_symlink(struct pull *pl, const char *name, const char *path, const char *target,
    int depth, struct werr *e)
{
	struct slink *l;

	if (depth < 0)
		return werr_set(e, EX_PROTOCOL, "%s: the root is a symlink", name);
	if (check_symlink(name, target, depth, e) < 0)
		return -1;
	if (buf_grow_array(&pl->links, &pl->caplinks, pl->nlinks + 1, sizeof *pl->links, 16, e) < 0)
		return -1;
	l = &pl->links[pl->nlinks];
	l->rel = strdup(path + strlen(pl->tmp) + strlen("/root/"));
	l->target = strdup(target);
	if (l->rel == NULL || l->target == NULL) {
		free(l->rel);
		free(l->target);
		return werr_set(e, EX_OSERR, "out of memory");
	}
	pl->nlinks++;
	return 0;
}

static int
parent_not_dir(const char *path)
{
	char parent[PATH_MAX];
	struct stat st;

	if (path_fmt(parent, sizeof parent, NULL, "%s", path) < 0)
		return 0;
	*strrchr(parent, '/') = '\0';
	return lstat(parent, &st) == 0 && !S_ISDIR(st.st_mode);
}

static int
extract_entry(struct pull *pl, struct archive *in, struct archive *out, struct archive_entry *ent,
    struct werr *e)
{
	const char *pn = archive_entry_pathname(ent);
	char name[PATH_MAX], path[PATH_MAX]; /* name: set_pathname frees pn */
	int depth = -1;
	mode_t type = archive_entry_filetype(ent);
	struct stat st;

	if (pn == NULL)
		return werr_set(e, EX_PROTOCOL, "an archive entry without a name");
	if ((size_t)snprintf(name, sizeof name, "%s", pn) >= sizeof name)
		return werr_set(e, EX_PROTOCOL, "%.80s: path too long", pn);
	if (map_path(pl, name, path, sizeof path, &depth, e) < 0)
		return -1;
	if (type != AE_IFREG && type != AE_IFDIR && type != AE_IFLNK)
		return werr_set(e, EX_PROTOCOL, "%s: not a file, directory or symlink", name);
	if (archive_entry_hardlink(ent) != NULL)
		return werr_set(e, EX_PROTOCOL, "%s: a hard link in the archive", name);
	/* no symlink is written yet, so lstat sees exactly what the archive made */
	if (lstat(path, &st) == 0 && !(S_ISDIR(st.st_mode) && type == AE_IFDIR))
		return werr_set(e, EX_PROTOCOL, "%s: twice in the archive", name);
	if (depth >= 0 && parent_not_dir(path))
		return werr_set(e, EX_PROTOCOL, "%s: inside something that is not a directory", name);
	if (type == AE_IFLNK)
		return defer_symlink(pl, name, path, archive_entry_symlink(ent) ? archive_entry_symlink(ent) : "", depth, e);
	archive_entry_set_pathname(ent, path);
	if (archive_write_header(out, ent) != ARCHIVE_OK)
		return werr_set(e, EX_CANTCREAT, "%s: %s", name, archive_error_string(out));
	if (type == AE_IFREG && copy_data(in, out, name, e) < 0)
		return -1;
	if (archive_write_finish_entry(out) != ARCHIVE_OK)
		return werr_set(e, EX_IOERR, "%s: %s", name, archive_error_string(out));
	return 0;
}

static int
write_one_link(int rootfd, const char *top, const struct slink *l, struct werr *e)
{
	char parent[PATH_MAX], *slash;
	const char *base = l->rel;
	int pfd, rc = 0;

	if (path_fmt(parent, sizeof parent, e, "%s", l->rel) < 0)
		return -1;
	if ((slash = strrchr(parent, '/')) != NULL) {
		*slash = '\0';
		base = slash + 1;
	} else
		snprintf(parent, sizeof parent, ".");
	/* no symlink on the way: the link goes where the archive put it */
	pfd = beneath_open(rootfd, parent, O_PATH | O_DIRECTORY | O_CLOEXEC, BENEATH_NO_SYMLINKS);
	if (pfd < 0)
		return werr_set(e, EX_PROTOCOL, "%s/%s: not inside a directory of the download", top, l->rel);
	if (symlinkat(l->target, pfd, base) < 0)
		rc = werr_set(e, errno == EEXIST ? EX_PROTOCOL : EX_CANTCREAT, "%s/%s: %s", top, l->rel,
		    errno == EEXIST ? "twice in the archive" : strerror(errno));
	close(pfd);
	return rc;
}

/* Write the symlinks, then resolve each against the tree as written, links
 * through links included: one that leads out of the root by any route is
 * refused. A dangling link is kept (its text stayed inside, checked above). */
static int
write_links(struct pull *pl, struct werr *e)
{
	char root[PATH_MAX];
	int rootfd, fd, rc = -1;
	size_t i;

	if (pl->nlinks == 0)
		return 0;
	if (path_join(root, sizeof root, pl->tmp, "root", e) < 0)
		return -1;
	if ((rootfd = open(root, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0)
		return werr_set(e, EX_PROTOCOL, "%s: symlinks in a download that is not a directory", pl->top);
	for (i = 0; i < pl->nlinks; i++)
		if (write_one_link(rootfd, pl->top, &pl->links[i], e) < 0)
			goto done;
	for (i = 0; i < pl->nlinks; i++) {
		fd = beneath_open(rootfd, pl->links[i].rel, O_PATH | O_CLOEXEC, 0);
		if (fd >= 0) {
			close(fd);
			continue;
		}
		if (errno == ENOENT || errno == ENOTDIR)
			continue;
		werr_set(e, EX_PROTOCOL, "%s/%s: symlink out of the download (%s)", pl->top,
		    pl->links[i].rel, errno == EXDEV ? pl->links[i].target : strerror(errno));
		goto done;
	}
	rc = 0;
done:
	close(rootfd);
	return rc;
}

/* fd >= 0: the tar stream is read from fd, else pulled from the transfer */
static int
extract(struct pull *pl, int fd, struct werr *e)
{
	struct archive *in = archive_read_new(), *out = archive_write_disk_new();
	struct archive_entry *ent;
	int r, rc = -1;

	if (in == NULL || out == NULL) {
		werr_set(e, EX_OSERR, "libarchive: out of memory");
		goto done;
	}
	archive_read_support_format_tar(in);
	/* paths are rewritten under the realpath of the temporary directory
	 * (absolute, no "..", no symlinks), after map_path refused absolute
	 * and ".." archive paths; libarchive re-checks both of those */
	archive_write_disk_set_options(out, ARCHIVE_EXTRACT_SECURE_NODOTDOT | ARCHIVE_EXTRACT_SECURE_SYMLINKS);
	if ((fd >= 0 ? archive_read_open_fd(in, fd, 65536) :
	               archive_read_open(in, pl, NULL, pull_read, NULL)) != ARCHIVE_OK) {
		werr_set(e, EX_PROTOCOL, "%s: not a tar stream: %s", pl->what, archive_error_string(in));
		goto done;
	}
	while ((r = archive_read_next_header(in, &ent)) == ARCHIVE_OK) {
		if (extract_entry(pl, in, out, ent, e) < 0)
			goto done;
	}
	if (r != ARCHIVE_EOF) {
		werr_set(e, EX_PROTOCOL, "%s: tar stream: %s", pl->what, archive_error_string(in));
		goto done;
	}
	if (pl->top[0] == '\0') {
		werr_set(e, EX_PROTOCOL, "%s: empty tar stream", pl->what);
		goto done;
	}
	if (write_links(pl, e) < 0)
		goto done;
	rc = 0;
done:
	if (in != NULL)
		archive_read_free(in);
	if (out != NULL)
		archive_write_free(out);
	return rc;
}

/* kreq.perform for get: extraction pulls the transfer; then drain the
 * rest (the tar padding, and trailers that may carry X-Stream-Error). */
static CURLcode
get_perform(struct kubo *k, struct xfer *x)
{
	struct pull *pl = x->r->ctx;

	pl->x = x;
	pl->done = 0;
	pl->rc = CURLE_OK;
	pl->top[0] = '\0';
	if ((pl->m = curl_multi_init()) == NULL || curl_multi_add_handle(pl->m, k->h) != CURLM_OK) {
		werr_set(&x->cb_err, EX_OSERR, "curl_multi_init failed");
		x->failed = 1;
		x->fail_kind = KUBO_E_LOCAL;
		curl_multi_cleanup(pl->m);
		return CURLE_FAILED_INIT;
	}
	if (extract(pl, -1, &x->cb_err) < 0 && !x->failed) {
		x->failed = 1;
		x->fail_kind = x->cb_err.code == EX_PROTOCOL ? KUBO_E_PROTOCOL : KUBO_E_LOCAL;
	}
	while (!pl->done)
		pump(pl);
	curl_multi_remove_handle(pl->m, k->h);
	curl_multi_cleanup(pl->m);
	pl->m = NULL;
	/* the transfer's own failure (HTTP error, cut body) explains a broken
	 * tar stream better than libarchive does */
	if (x->failed && x->fail_kind == KUBO_E_PROTOCOL &&
	    (pl->rc != CURLE_OK || x->errbody.len > 0 || x->has_stream_error))
		x->failed = 0;
	return pl->rc;
}

/* The temporary directory beside dest (tmp, and its realpath in real). */
static int
untar_begin(const char *dest, char *tmp, char *real, struct werr *e)
{
	struct stat st;

	if (lstat(dest, &st) == 0)
		return werr_set(e, EX_CANTCREAT, "%s: already exists", dest);
	if (path_fmt(tmp, PATH_MAX, e, "%s.part-XXXXXX", dest) < 0)
		return -1;
	if (mkdtemp(tmp) == NULL)
		return werr_set(e, EX_CANTCREAT, "%s: %s", tmp, strerror(errno));
	if (realpath(tmp, real) == NULL) {
		werr_set(e, EX_CANTCREAT, "%s: %s", tmp, strerror(errno));
		rmdir(tmp);
		return -1;
	}
	return 0;
}

/* Check, then rename into place; the temporary directory goes either way. */
static int
untar_end(struct pull *pl, int rc, const char *tmp, const char *dest, kubo_get_check check, void *ctx,
    struct werr *e)
{
	char root[PATH_MAX];

	for (size_t i = 0; i < pl->nlinks; i++) {
		free(pl->links[i].rel);
		free(pl->links[i].target);
	}
	free(pl->links);
	if (path_join(root, sizeof root, pl->tmp, "root", rc == 0 ? e : NULL) < 0)
		rc = -1;
	/* only verified content appears under dest: check it where it lies */
	if (rc == 0 && check != NULL && check(ctx, root, e) < 0)
		rc = -1;
	if (rc == 0 && renameat2(AT_FDCWD, root, AT_FDCWD, dest, RENAME_NOREPLACE) < 0)
		rc = werr_set(e, EX_CANTCREAT, "%s: %s", dest, strerror(errno));
	rm_tree(tmp);
	return rc;
}

int
kubo_untar_fd(int fd, const char *dest, kubo_get_check check, void *ctx, struct werr *e)
{
	struct pull pl = { .what = dest };
	char tmp[PATH_MAX], real[PATH_MAX];

	if (untar_begin(dest, tmp, real, e) < 0)
		return -1;
	pl.tmp = real;
	return untar_end(&pl, extract(&pl, fd, e), tmp, dest, check, ctx, e);
}

int
kubo_get(struct kubo *k, const char *path, const char *dest, kubo_get_check check, void *ctx,
    struct werr *e)
{
	struct kubo_param p[] = { { "arg", path }, { "archive", "true" }, { NULL, NULL } };
	struct pull pl = { .k = k, .what = path };
	struct kreq r;
	char tmp[PATH_MAX], real[PATH_MAX];
	int rc;

	if (untar_begin(dest, tmp, real, e) < 0)
		return kubo_fail(k, e, "get", KUBO_E_LOCAL, EX_CANTCREAT, "%s", e->msg);
	pl.tmp = real;
	/* no resume: once bytes were extracted, no blind retry */
	kubo_req_download(&r, "get", p, pull_sink, &pl);
	r.perform = get_perform;
	rc = kubo_run(k, &r, e);
	free(pl.buf.p);
	if ((rc = untar_end(&pl, rc, tmp, dest, check, ctx, e)) < 0 && e->code == EX_CANTCREAT &&
	    kubo_last_error(k)->kind == KUBO_E_NONE)
		kubo_fail(k, e, "get", KUBO_E_LOCAL, EX_CANTCREAT, "%s", e->msg);
	return rc;
}
