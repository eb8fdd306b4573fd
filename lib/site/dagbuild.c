/* dagbuild: build, one CAR, one dag/import, record. See dagbuild.h. */
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "base/atomicio.h"
#include "base/clock.h"
#include "base/path.h"
#include "site/dagbuild.h"
#include "site/ipns.h"
#include "ipld/newblocks.h"
#include "site/session.h"

/* The CAR's fd: the --car file, or an unlinked temp file; -2 when the CAR
 * is not needed at all (no import, no --car), -1 on error. */
static int
car_open(const struct build_cfg *b, struct werr *e)
{
	char tmp[PATH_MAX];
	int fd;

	if (b->car) {
		if ((fd = open(b->car, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644)) < 0)
			return werr_sys(e, EX_CANTCREAT, "%s", b->car);
		return fd;
	}
	if (!b->k)
		return -2;
	if (path_join(tmp, sizeof tmp, b->home, "tmp", e) < 0 || mkdir_p(tmp, 0755, e) < 0 ||
	    path_join(tmp, sizeof tmp, b->home, "tmp/import.XXXXXX", e) < 0)
		return -1;
	if ((fd = mkstemp(tmp)) < 0)
		return werr_sys(e, EX_CANTCREAT, "%s", tmp);
	unlink(tmp);
	return fd;
}

struct shipped {
	int imported, pinned;
	uint64_t car_bytes;
	struct nb_stats st;
};

/* Write the CAR and import it. */
static int
ship(const struct build_cfg *b, struct newblocks *nb, const struct cid *root, int pin,
    struct shipped *out, struct werr *e)
{
	const char *name = b->car ? b->car : "import CAR";
	struct kubo_import_opts io = { 0 };
	struct stat sb;
	int fd, rc = 0;

	nb_stats(nb, &out->st);
	if ((fd = car_open(b, e)) == -2)
		return 0;
	if (fd < 0)
		return -1;
	if (nb_write_car(nb, root, fd, name, e) < 0 || fstat(fd, &sb) < 0 || lseek(fd, 0, SEEK_SET) < 0) {
		close(fd);
		return e->code ? -1 : werr_sys(e, EX_IOERR, "%s", name);
	}
	out->car_bytes = (uint64_t)sb.st_size;
	if (b->car && fsync(fd) < 0)
		rc = werr_sys(e, EX_IOERR, "%s", b->car);
	if (rc == 0 && b->k) {
		io.pin_roots = pin;
		rc = kubo_dag_import(b->k, fd, &io, NULL, NULL, e); /* e says "dag/import: ..." */
		out->imported = rc == 0;
		out->pinned = rc == 0 && pin;
	}
	close(fd);
	return rc;
}

static void
add_common(cJSON *o, const struct shipped *s, long long t0)
{
	cJSON_AddNumberToObject(o, "blocks", (double)s->st.blocks);
	cJSON_AddNumberToObject(o, "max_block", (double)s->st.max_block);
	cJSON_AddNumberToObject(o, "car_bytes", (double)s->car_bytes);
	cJSON_AddBoolToObject(o, "imported", s->imported);
	cJSON_AddBoolToObject(o, "pinned", s->pinned);
	cJSON_AddNumberToObject(o, "ms", (double)(mono_ms() - t0));
}

static cJSON *
session_line(const char *name, const struct session_info *si, const struct shipped *s,
    long long t0)
{
	cJSON *o = cJSON_CreateObject();
	char cs[CID_STR_MAX];
	struct werr e = { 0 };

	cJSON_AddStringToObject(o, "session", name);
	if (cid_format(&si->cid, 'b', cs, sizeof cs, &e) == 0)
		cJSON_AddStringToObject(o, "cid", cs);
	cJSON_AddNumberToObject(o, "count", (double)si->count);
	cJSON_AddNumberToObject(o, "skipped", (double)si->skipped);
	if (si->skipped)
		cJSON_AddStringToObject(o, "skip_reason", si->skip_reason);
	cJSON_AddNumberToObject(o, "unpushed", (double)si->unpushed);
	cJSON_AddNumberToObject(o, "thumbs", (double)si->thumbs);
	cJSON_AddNumberToObject(o, "bytes", (double)si->bytes);
	cJSON_AddNumberToObject(o, "tsize", (double)si->tsize);
	add_common(o, s, t0);
	return o;
}

static int
node_id(const struct build_cfg *b, char *id, size_t len, struct werr *e)
{
	struct kubo_id ki;

	id[0] = '\0';
	if (!b->k)
		return 0;
	if (kubo_id(b->k, &ki, e) < 0)
		return -1;
	snprintf(id, len, "%s", ki.id);
	return 0;
}

/* The new blocks of a build, gathered under HOME/tmp. */
static struct newblocks *
home_blocks(const struct build_cfg *b, struct werr *e)
{
	char tmp[PATH_MAX];

	return path_join(tmp, sizeof tmp, b->home, "tmp", e) < 0 ? NULL : nb_new(tmp, e);
}

int
build_session(const struct build_cfg *b, const char *name, cJSON **line, struct werr *e)
{
	char id[KUBO_NAME_MAX];
	struct session_opts so = { b->home, name, b->page_size, NULL };
	struct session_info si;
	struct shipped sh = { 0 };
	struct newblocks *nb;
	long long t0 = mono_ms();
	int rc = -1;

	if (node_id(b, id, sizeof id, e) < 0)
		return -1;
	so.node_id = id[0] ? id : NULL;
	if (!(nb = home_blocks(b, e)))
		return -1;
	if (session_build(&so, nb_sink, nb, &si, e) < 0)
		goto out;
	if (b->strict && b->k && si.unpushed) {
		werr_set(e, EX_TEMPFAIL, "session %s: %zu of %zu captures not pushed yet", name,
		    si.unpushed, si.count);
		goto out;
	}
	if (ship(b, nb, &si.cid, b->pin && !si.unpushed, &sh, e) < 0 ||
	    session_record(b->home, name, &si, sh.imported, e) < 0)
		goto out;
	*line = session_line(name, &si, &sh, t0);
	rc = 0;
out:
	nb_free(nb);
	return rc;
}

int
build_root(const struct build_cfg *b, cJSON **line, struct werr *e)
{
	char id[KUBO_NAME_MAX], cs[CID_STR_MAX];
	struct root_opts ro = { b->home, NULL, NULL, NULL };
	struct kubo_key key;
	struct root_info ri;
	struct shipped sh = { 0 };
	struct newblocks *nb;
	long long t0 = mono_ms();
	int rc = -1;

	if (node_id(b, id, sizeof id, e) < 0)
		return -1;
	ro.node_id = id;
	if (b->k && b->ipns_key) {
		if (ipns_key(b->k, b->ipns_key, &key, NULL, e) < 0)
			return -1;
		ro.ipns_name = key.id;
		ro.key = key.name;
	}
	if (!(nb = home_blocks(b, e)))
		return -1;
	if (root_build(&ro, nb_sink, nb, &ri, e) < 0 || ship(b, nb, &ri.cid, b->pin && !ri.not_imported, &sh, e) < 0 ||
	    root_record(b->home, &ri, sh.imported, e) < 0 || cid_format(&ri.cid, 'b', cs, sizeof cs, e) < 0)
		goto out;
	*line = cJSON_CreateObject();
	cJSON_AddBoolToObject(*line, "root", 1);
	cJSON_AddStringToObject(*line, "cid", cs);
	if (ro.ipns_name)
		cJSON_AddStringToObject(*line, "ipns", ro.ipns_name);
	cJSON_AddNumberToObject(*line, "sessions", (double)ri.sessions);
	cJSON_AddNumberToObject(*line, "captures", (double)ri.captures);
	cJSON_AddNumberToObject(*line, "tsize", (double)ri.tsize);
	add_common(*line, &sh, t0);
	rc = 0;
out:
	nb_free(nb);
	return rc;
}
