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

/* What every build starts from, in this order: its clock, this node's ID
 * ("" without a daemon), for the root the IPNS key (when one is set), and
 * the store of its new blocks, gathered under HOME/tmp. */
struct build_run {
	long long t0;
	char id[KUBO_NAME_MAX];
	struct kubo_key key;
	int keyed; /* key was looked up */
	struct newblocks *nb;
	struct shipped sh;
};

static int
run_begin(const struct build_cfg *b, int want_key, struct build_run *x, struct werr *e)
{
	struct kubo_id ki;
	char tmp[PATH_MAX];

	memset(x, 0, sizeof *x);
	x->t0 = mono_ms();
	if (b->k && kubo_id(b->k, &ki, e) < 0)
		return -1;
	if (b->k)
		snprintf(x->id, sizeof x->id, "%s", ki.id);
	if ((x->keyed = want_key && b->k && b->ipns_key) && ipns_key(b->k, b->ipns_key, &x->key, NULL, e) < 0)
		return -1;
	if (path_join(tmp, sizeof tmp, b->home, "tmp", e) < 0 || !(x->nb = nb_new(tmp, e)))
		return -1;
	return 0;
}

int
build_session(const struct build_cfg *b, const char *name, cJSON **line, struct werr *e)
{
	struct session_opts so = { b->home, name, b->page_size, NULL };
	struct session_info si;
	struct build_run x;
	int rc = -1;

	if (run_begin(b, 0, &x, e) < 0)
		return -1;
	so.node_id = x.id[0] ? x.id : NULL;
	if (session_build(&so, nb_sink, x.nb, &si, e) < 0)
		goto out;
	if (b->strict && b->k && si.unpushed) {
		werr_set(e, EX_TEMPFAIL, "session %s: %zu of %zu captures not pushed yet", name,
		    si.unpushed, si.count);
		goto out;
	}
	if (ship(b, x.nb, &si.cid, b->pin && !si.unpushed, &x.sh, e) < 0 ||
	    session_record(b->home, name, &si, x.sh.imported, e) < 0)
		goto out;
	*line = session_line(name, &si, &x.sh, x.t0);
	rc = 0;
out:
	nb_free(x.nb);
	return rc;
}

int
build_root(const struct build_cfg *b, cJSON **line, struct werr *e)
{
	char cs[CID_STR_MAX];
	struct root_opts ro = { b->home, NULL, NULL, NULL };
	struct root_info ri;
	struct build_run x;
	int rc = -1;

	if (run_begin(b, 1, &x, e) < 0)
		return -1;
	ro.node_id = x.id;
	if (x.keyed) {
		ro.ipns_name = x.key.id;
		ro.key = x.key.name;
	}
	if (root_build(&ro, nb_sink, x.nb, &ri, e) < 0 ||
	    ship(b, x.nb, &ri.cid, b->pin && !ri.not_imported, &x.sh, e) < 0 ||
	    root_record(b->home, &ri, x.sh.imported, e) < 0 || cid_format(&ri.cid, 'b', cs, sizeof cs, e) < 0)
		goto out;
	*line = cJSON_CreateObject();
	cJSON_AddBoolToObject(*line, "root", 1);
	cJSON_AddStringToObject(*line, "cid", cs);
	if (ro.ipns_name)
		cJSON_AddStringToObject(*line, "ipns", ro.ipns_name);
	cJSON_AddNumberToObject(*line, "sessions", (double)ri.sessions);
	cJSON_AddNumberToObject(*line, "captures", (double)ri.captures);
	cJSON_AddNumberToObject(*line, "tsize", (double)ri.tsize);
	add_common(*line, &x.sh, x.t0);
	rc = 0;
out:
	nb_free(x.nb);
	return rc;
}
