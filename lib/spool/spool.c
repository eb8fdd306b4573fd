/* spool: see spool.h for the states and the rules between them. */
#include "spool/spool.h"
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "base/atomicio.h"
#include "base/buf.h"
#include "base/clock.h"
#include "base/json.h"
#include "base/path.h"

static const char *const state_names[SPOOL_NSTATES] = {
	"new",
	"cur",
	"deferred",
	"failed",
	"corrupt",
};

const char *
spool_state_name(int state)
{
	if (state < 0 || state >= SPOOL_NSTATES)
		return "?";
	return state_names[state];
}

int
spool_state_from_name(const char *name)
{
	for (int i = 0; i < SPOOL_NSTATES; i++)
		if (strcmp(name, state_names[i]) == 0)
			return i;
	return -1;
}

int
spool_id_valid(const char *id)
{
	size_t n = strlen(id);

	if (n == 0 || n > SPOOL_ID_MAX || id[0] == '.')
		return 0;
	for (const char *p = id; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		        (*p >= '0' && *p <= '9') || strchr("._:-", *p)))
			return 0;
	return 1;
}

void
spool_policy_default(struct spool_policy *p)
{
	p->backoff_min_ms = 30 * 1000;
	p->backoff_max_ms = 10 * 60 * 1000;
	p->max_lifetime_ms = 5LL * 24 * 3600 * 1000;
	p->max_attempts = 0;
}

int64_t
spool_backoff_ms(const struct spool_policy *p, long attempts)
{
	int64_t d = p->backoff_min_ms;

	for (long i = 1; i < attempts && d < p->backoff_max_ms; i++)
		d *= 2;
	return d < p->backoff_max_ms ? d : p->backoff_max_ms;
}

int
spool_path(const char *spool_dir, int state, const char *name, char *buf, size_t len, struct werr *e)
{
	/* a name may come from a result line: it must name a file in the
	 * state's directory, never the directory itself or a way out of it */
	if (name[0] == '\0' || name[0] == '.' || strchr(name, '/') || strlen(name) >= SPOOL_NAME_MAX)
		return werr_set(e, EX_DATAERR, "\"%.80s\": not a spool entry name", name);
	return path_fmt(buf, len, e, "%s/%s/%s", spool_dir, spool_state_name(state), name);
}

int
spool_init(const char *spool_dir, struct werr *e)
{
	char p[PATH_MAX];
	static const char *const dirs[] = { "tmp", "new", "cur", "deferred", "failed", "corrupt" };

	for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++) {
		if (path_join(p, sizeof p, spool_dir, dirs[i], e) < 0 || mkdir_p(p, 0755, e) < 0)
			return -1;
	}
	return 0;
}

/* Rename without replacing, then make both directory entries durable.
 * EEXIST is returned as such (errno) so callers can decide. */
static int
move_noreplace(const char *from, const char *to, struct werr *e)
{
	if (renameat2(AT_FDCWD, from, AT_FDCWD, to, RENAME_NOREPLACE) < 0) {
		if (errno != EINVAL && errno != ENOSYS)
			return werr_sys(e, errno == ENOENT ? EX_NOINPUT : EX_IOERR,
			    "rename %s -> %s", from, to);
		/* a filesystem without RENAME_NOREPLACE: link is exclusive too */
		if (link(from, to) < 0 || unlink(from) < 0)
			return werr_sys(e, errno == ENOENT ? EX_NOINPUT : EX_IOERR,
			    "rename %s -> %s", from, to);
	}
	if (fsync_parent(to, e) < 0 || fsync_parent(from, e) < 0)
		return -1;
	return 0;
}

/* Move an entry file into state/ID; 1 when it was gone already (another
 * process moved it). A copy already there carries the id, so the moving one
 * is a duplicate and is dropped. */
static int
move_entry(const char *spool_dir, const char *from, int state, const char *id, struct werr *e)
{
	char to[PATH_MAX];

	if (spool_path(spool_dir, state, id, to, sizeof to, e) < 0)
		return -1;
	if (move_noreplace(from, to, e) == 0)
		return 0;
	if (errno == ENOENT)
		return 1;
	if (errno != EEXIST)
		return -1;
	if (unlink(from) < 0)
		return werr_sys(e, EX_IOERR, "%s", from);
	return fsync_parent(from, e);
}

/* Write obj as a new file in tmp/; name gets its path. */
static int
write_tmp(const char *spool_dir, const char *id, const cJSON *obj, char *name, size_t len,
    struct werr *e)
{
	char *text = cJSON_PrintUnformatted(obj);
	size_t n;
	int fd;

	if (text == NULL)
		return werr_set(e, EX_SOFTWARE, "%s: cannot print entry", id);
	if (path_fmt(name, len, e, "%s/tmp/%s.%ld.XXXXXX", spool_dir, id, (long)getpid()) < 0) {
		free(text);
		return -1;
	}
	if ((fd = mkostemp(name, O_CLOEXEC)) < 0) {
		free(text);
		return werr_sys(e, EX_CANTCREAT, "%s", name);
	}
	n = strlen(text);
	text[n] = '\n'; /* replaces the NUL: written by length */
	if (fchmod(fd, 0644) < 0 || write_all(fd, text, n + 1) < 0 || fsync(fd) < 0) {
		werr_sys(e, EX_IOERR, "%s", name);
		close(fd);
		unlink(name);
		free(text);
		return -1;
	}
	free(text);
	if (close(fd) < 0) {
		werr_sys(e, EX_IOERR, "%s", name);
		unlink(name);
		return -1;
	}
	return 0;
}

/* Replace the file at path by obj (tmp/, fsync, rename over, fsync dir). */
static int
rewrite_entry(const char *spool_dir, const char *path, const char *id, const cJSON *obj,
    struct werr *e)
{
	char tmp[PATH_MAX];

	if (write_tmp(spool_dir, id, obj, tmp, sizeof tmp, e) < 0)
		return -1;
	if (rename(tmp, path) < 0) {
		werr_sys(e, errno == ENOENT ? EX_NOINPUT : EX_IOERR, "rename %s -> %s", tmp, path);
		unlink(tmp);
		return -1;
	}
	return fsync_parent(path, e);
}

static void
set_str(cJSON *o, const char *key, const char *v)
{
	cJSON_DeleteItemFromObjectCaseSensitive(o, key);
	if (v != NULL)
		cJSON_AddStringToObject(o, key, v);
	else
		cJSON_AddNullToObject(o, key);
}

static void
set_num(cJSON *o, const char *key, double v)
{
	cJSON_DeleteItemFromObjectCaseSensitive(o, key);
	cJSON_AddNumberToObject(o, key, v);
}

static void
set_time(cJSON *o, const char *key, long long ms)
{
	char buf[40];

	rfc3339_ms(ms, buf, sizeof buf);
	set_str(o, key, buf);
}

int
spool_add(const char *spool_dir, const char *id, const cJSON *entry, struct werr *e)
{
	char tmp[PATH_MAX], to[PATH_MAX];
	cJSON *o;
	int rc;

	if (!spool_id_valid(id))
		return werr_set(e, EX_DATAERR, "%s: not a valid entry id", id);
	if (!cJSON_IsObject(entry) || !cJSON_IsString(cJSON_GetObjectItemCaseSensitive(entry, "path")))
		return werr_set(e, EX_DATAERR, "%s: entry needs a \"path\"", id);
	if (spool_path(spool_dir, SPOOL_NEW, id, to, sizeof to, e) < 0)
		return -1;
	if ((o = cJSON_Duplicate(entry, 1)) == NULL)
		return werr_set(e, EX_OSERR, "%s: out of memory", id);
	set_str(o, "id", id);
	if (json_str(o, "enqueued_at") == NULL)
		set_time(o, "enqueued_at", wall_ms());
	if (!cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(o, "attempts")))
		set_num(o, "attempts", 0);
	rc = write_tmp(spool_dir, id, o, tmp, sizeof tmp, e);
	cJSON_Delete(o);
	if (rc < 0)
		return -1;
	if (move_noreplace(tmp, to, e) < 0) {
		int was = errno;
		unlink(tmp);
		if (was == EEXIST)
			return werr_set(e, EX_CANTCREAT, "%s: already queued", to);
		return -1;
	}
	return 0;
}

int
spool_add_file(const char *spool_dir, const char *id, const char *kind, const char *session,
    const char *path, const char *sidecar, const char *cid, struct werr *e)
{
	cJSON *en = cJSON_CreateObject();
	int rc;

	if (en == NULL)
		return werr_set(e, EX_OSERR, "%s: out of memory", id);
	cJSON_AddStringToObject(en, "kind", kind);
	cJSON_AddStringToObject(en, "session", session);
	cJSON_AddStringToObject(en, "path", path);
	cJSON_AddStringToObject(en, "sidecar", sidecar);
	cJSON_AddStringToObject(en, "cid", cid);
	rc = spool_add(spool_dir, id, en, e);
	cJSON_Delete(en);
	return rc;
}

void
spool_raw_id(const char *id, char *buf, size_t len)
{
	snprintf(buf, len, "%s.dng", id);
}

int
spool_proc_start(pid_t pid, unsigned long long *start)
{
	char path[64], buf[1024], *p;
	FILE *f;
	size_t n;

	snprintf(path, sizeof path, "/proc/%ld/stat", (long)pid);
	if ((f = fopen(path, "re")) == NULL)
		return -1;
	n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = '\0';
	/* comm may hold spaces and parentheses: fields restart after the last ')' */
	if ((p = strrchr(buf, ')')) == NULL)
		return -1;
	p++;
	for (int field = 3; field < 22; field++) { /* skip fields 3..21 */
		while (*p == ' ')
			p++;
		if ((p = strchr(p, ' ')) == NULL)
			return -1;
	}
	if (sscanf(p, " %llu", start) != 1)
		return -1;
	/* a zombie has exited: its claim is as dead as a missing process */
	return strstr(buf, ") Z ") != NULL ? -1 : 0;
}

int
spool_self(struct spool_claimer *c, struct werr *e)
{
	c->pid = getpid();
	if (spool_proc_start(c->pid, &c->start) < 0)
		return werr_sys(e, EX_OSERR, "/proc/%ld/stat", (long)c->pid);
	return 0;
}

int
spool_claimer_alive(const struct spool_claimer *c)
{
	unsigned long long start;

	return spool_proc_start(c->pid, &start) == 0 && start == c->start;
}

int
spool_parse_claim(const char *name, char *id, size_t idlen, struct spool_claimer *c)
{
	const char *at = strrchr(name, '@');
	long long pid;
	unsigned long long start;
	char tail;

	if (at == NULL || (size_t)(at - name) >= idlen ||
	    sscanf(at + 1, "%lld.%llu%c", &pid, &start, &tail) != 2 || pid <= 0)
		return -1;
	memcpy(id, name, (size_t)(at - name));
	id[at - name] = '\0';
	c->pid = (pid_t)pid;
	c->start = start;
	return 0;
}

static int
item_cmp(const void *a, const void *b)
{
	const struct spool_item *x = a, *y = b;
	int c = strcmp(x->id, y->id);

	return c ? c : strcmp(x->name, y->name);
}

int
spool_list(const char *spool_dir, int state, struct spool_item **items, size_t *n, struct werr *e)
{
	char dir[PATH_MAX];
	struct spool_item *v = NULL;
	size_t cnt = 0, cap = 0;
	struct dirent *d;
	DIR *dp;

	if (path_join(dir, sizeof dir, spool_dir, spool_state_name(state), e) < 0)
		return -1;
	if ((dp = opendir(dir)) == NULL)
		return werr_sys(e, EX_NOINPUT, "%s", dir);
	while ((d = readdir(dp)) != NULL) {
		struct spool_item *it;
		if (d->d_name[0] == '.' || strlen(d->d_name) >= SPOOL_NAME_MAX)
			continue;
		if (buf_grow_array(&v, &cap, cnt + 1, sizeof *v, 64, e) < 0) {
			free(v);
			closedir(dp);
			return werr_prefix(e, "%s", dir);
		}
		it = &v[cnt++];
		memset(it, 0, sizeof *it);
		snprintf(it->name, sizeof it->name, "%s", d->d_name);
		it->claimed = state == SPOOL_CUR &&
		    spool_parse_claim(it->name, it->id, sizeof it->id, &it->claimer) == 0;
		if (!it->claimed)
			snprintf(it->id, sizeof it->id, "%s", it->name);
	}
	closedir(dp);
	if (cnt > 1)
		qsort(v, cnt, sizeof *v, item_cmp);
	*items = v;
	*n = cnt;
	return 0;
}

int
spool_count(const char *spool_dir, int state, size_t *n, struct werr *e)
{
	struct spool_item *v;

	if (spool_list(spool_dir, state, &v, n, e) < 0)
		return -1;
	free(v);
	return 0;
}

/* A pass over one state's entries in id order: fn(ctx, item, its path, e)
 * on each until it returns other than 0 (-1 an error, 1 done early), which
 * is then what the pass returns. */
typedef int entry_fn(void *ctx, const struct spool_item *it, const char *path, struct werr *e);

/* What the passes below carry: their parameters and what they count. */
struct pass {
	const char *spool_dir;
	long long now_ms;
	size_t k;       /* kick, recover, purge: entries moved or removed */
	spool_id_fn fn; /* recover, purge: told of each one, when not NULL */
	void *ctx;
	int64_t older_ms;             /* purge */
	const struct spool_policy *p; /* release */
	int probe_seen;
	struct spool_release *r;
};

static int
each_entry(const char *spool_dir, int state, entry_fn *fn, void *ctx, struct werr *e)
{
	struct spool_item *v;
	char path[PATH_MAX];
	size_t n;
	int rc = 0;

	if (spool_list(spool_dir, state, &v, &n, e) < 0)
		return -1;
	for (size_t i = 0; i < n && rc == 0; i++)
		if ((rc = spool_path(spool_dir, state, v[i].name, path, sizeof path, e)) == 0)
			rc = fn(ctx, &v[i], path, e);
	free(v);
	return rc;
}

cJSON *
spool_read_entry(const char *path, struct werr *e)
{
	const char *id;
	cJSON *o;

	if ((o = json_read_object(path, e)) == NULL)
		return NULL;
	if ((id = json_str(o, "id")) == NULL || !spool_id_valid(id) || json_str(o, "path") == NULL) {
		cJSON_Delete(o);
		werr_set(e, EX_DATAERR, "%s: entry without a valid \"id\" and \"path\"", path);
		return NULL;
	}
	return o;
}

int
spool_quarantine(const char *spool_dir, const char *path, struct werr *e)
{
	char buf[PATH_MAX], to[PATH_MAX];
	const char *base;
	struct stat st;

	if (lstat(path, &st) < 0)
		return werr_sys(e, errno == ENOENT ? EX_NOINPUT : EX_IOERR, "%s", path);
	if (S_ISDIR(st.st_mode)) /* the state's directory itself, never an entry */
		return werr_set(e, EX_DATAERR, "%s: a directory, not a spool entry", path);
	if (path_fmt(buf, sizeof buf, e, "%s", path) < 0)
		return -1;
	base = basename(buf);
	if (spool_path(spool_dir, SPOOL_CORRUPT, base, to, sizeof to, e) < 0)
		return -1;
	/* purge ages quarantined files from the time they arrived */
	if (utimensat(AT_FDCWD, path, NULL, 0) < 0)
		return werr_sys(e, errno == ENOENT ? EX_NOINPUT : EX_IOERR, "%s", path);
	for (int i = 1; move_noreplace(path, to, e) < 0; i++) {
		if (errno != EEXIST || i > 1000)
			return -1;
		if (path_fmt(to, sizeof to, e, "%s/corrupt/%s.%d", spool_dir, base, i) < 0)
			return -1;
	}
	return 0;
}

int
spool_claim(const char *spool_dir, const char *id, const struct spool_claimer *who,
    cJSON **entry, char *cur_path, size_t cap, struct werr *e)
{
	char from[PATH_MAX], name[SPOOL_NAME_MAX + 64];
	struct werr qe = { 0 };
	cJSON *o;

	*entry = NULL;
	snprintf(name, sizeof name, "%s@%ld.%llu", id, (long)who->pid, who->start);
	if (spool_path(spool_dir, SPOOL_NEW, id, from, sizeof from, e) < 0 ||
	    spool_path(spool_dir, SPOOL_CUR, name, cur_path, cap, e) < 0)
		return -1;
	if (rename(from, cur_path) < 0) {
		if (errno == ENOENT)
			return 0; /* another worker claimed it first */
		return werr_sys(e, EX_IOERR, "rename %s -> %s", from, cur_path);
	}
	if (fsync_parent(cur_path, e) < 0 || fsync_parent(from, e) < 0)
		return -1;
	o = spool_read_entry(cur_path, e);
	if (o != NULL && strcmp(json_str(o, "id"), id) != 0) {
		werr_set(e, EX_DATAERR, "%s: \"id\" is %s", from, json_str(o, "id"));
		cJSON_Delete(o);
		o = NULL;
	}
	if (o == NULL) {
		if (spool_quarantine(spool_dir, cur_path, &qe) < 0)
			return werr_set(e, qe.code, "%s", qe.msg);
		return 2;
	}
	*entry = o;
	return 1;
}

int
spool_done(const char *cur_path, struct werr *e)
{
	if (unlink(cur_path) < 0)
		return werr_sys(e, errno == ENOENT ? EX_NOINPUT : EX_IOERR, "%s", cur_path);
	return fsync_parent(cur_path, e);
}

int
spool_parse_time(const char *s, long long *ms)
{
	struct tm tm = { 0 };
	int n = 0, frac_ms = 0, oh = 0, om = 0, sign = 0;
	const char *p;

	if (s == NULL || sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &n) != 6 || n != 19)
		return -1;
	p = s + n;
	if (*p == '.') {
		int digits = 0;
		for (p++; *p >= '0' && *p <= '9'; p++, digits++)
			if (digits < 3)
				frac_ms = frac_ms * 10 + (*p - '0');
		if (digits == 0)
			return -1;
		for (; digits < 3; digits++)
			frac_ms *= 10;
	}
	if (*p == 'Z' && p[1] == '\0')
		sign = 0;
	else if ((*p == '+' || *p == '-') && sscanf(p + 1, "%2d:%2d%n", &oh, &om, &n) == 2 &&
	    p[1 + n] == '\0')
		sign = *p == '+' ? 1 : -1;
	else
		return -1;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	*ms = ((long long)timegm(&tm) - sign * (oh * 3600LL + om * 60LL)) * 1000 + frac_ms;
	return 0;
}

/* The lifetime counts from the later of enqueued_at and retried_at. */
static long long
entry_start_ms(const cJSON *o, long long dflt)
{
	long long a = -1, b = -1;

	spool_parse_time(json_str(o, "enqueued_at"), &a);
	spool_parse_time(json_str(o, "retried_at"), &b);
	if (a < 0 && b < 0)
		return dflt;
	return a > b ? a : b;
}

static int
expired(const struct spool_policy *p, const cJSON *o, long long now_ms)
{
	return p->max_lifetime_ms > 0 && now_ms - entry_start_ms(o, now_ms) >= p->max_lifetime_ms;
}

/* Record the final reason and move the file at path to failed/. */
static int
to_failed(const char *spool_dir, const char *path, cJSON *o, const char *reason,
    long long now_ms, struct werr *e)
{
	set_str(o, "last_error", reason);
	set_str(o, "next_attempt_at", NULL);
	set_time(o, "failed_at", now_ms);
	if (rewrite_entry(spool_dir, path, json_str(o, "id"), o, e) < 0)
		return -1;
	return move_entry(spool_dir, path, SPOOL_FAILED, json_str(o, "id"), e) < 0 ? -1 : 0;
}

/* The entry could not be rewritten (a full or inode-less spool): move it
 * as it is into deferred/, which takes no new space, with its mtime set to
 * when it is due (in the future: no written file has such an mtime; see
 * due_ms). Never left in cur/. */
static int
defer_as_is(const char *spool_dir, const char *cur_path, const char *id, long long due,
    struct werr *e)
{
	struct werr me = { 0 };
	struct timespec ts[2] = { { .tv_nsec = UTIME_OMIT }, { due / 1000, due % 1000 * 1000000 } };

	if (utimensat(AT_FDCWD, cur_path, ts, 0) < 0 ||
	    move_entry(spool_dir, cur_path, SPOOL_DEFERRED, id, &me) != 0)
		return -1; /* e keeps the first error */
	if (e)
		memset(e, 0, sizeof *e);
	return 0;
}

static int fail_entry(const char *spool_dir, const char *cur_path, const struct spool_policy *p,
    const char *kind, const char *message, int permanent, long long now_ms, struct werr *e);

int
spool_fail(const char *spool_dir, const char *cur_path, const struct spool_policy *p,
    const char *kind, const char *message, int permanent, long long now_ms, struct werr *e)
{
	char name[SPOOL_NAME_MAX], id[SPOOL_NAME_MAX];
	struct spool_claimer who;
	const char *base = strrchr(cur_path, '/') ? strrchr(cur_path, '/') + 1 : cur_path;
	int st = fail_entry(spool_dir, cur_path, p, kind, message, permanent, now_ms, e);

	if (st >= 0 || (e && e->code == EX_NOINPUT))
		return st;
	snprintf(name, sizeof name, "%s", base);
	if (spool_parse_claim(name, id, sizeof id, &who) != 0)
		snprintf(id, sizeof id, "%s", name);
	return defer_as_is(spool_dir, cur_path, id, now_ms + p->backoff_min_ms, e) == 0 ? SPOOL_DEFERRED : -1;
}

static int
fail_entry(const char *spool_dir, const char *cur_path, const struct spool_policy *p,
    const char *kind, const char *message, int permanent, long long now_ms, struct werr *e)
{
	const cJSON *a;
	char reason[600];
	long attempts;
	cJSON *o;
	int rc;

	if ((o = spool_read_entry(cur_path, e)) == NULL) {
		if (e && e->code == EX_NOINPUT)
			return -1;
		return spool_quarantine(spool_dir, cur_path, e) < 0 ? -1 : SPOOL_CORRUPT;
	}
	a = cJSON_GetObjectItemCaseSensitive(o, "attempts");
	attempts = (cJSON_IsNumber(a) && a->valuedouble >= 0 ? (long)a->valuedouble : 0) + 1;
	set_num(o, "attempts", (double)attempts);
	set_str(o, "error_kind", kind ? kind : "unknown");
	message = message ? message : "unknown error";
	if (permanent || (p->max_attempts > 0 && attempts >= p->max_attempts) || expired(p, o, now_ms)) {
		if (permanent)
			snprintf(reason, sizeof reason, "%s", message);
		else if (p->max_attempts > 0 && attempts >= p->max_attempts)
			snprintf(reason, sizeof reason, "gave up after %ld attempts: %s", attempts, message);
		else
			snprintf(reason, sizeof reason, "expired after %ld attempts: %s", attempts, message);
		rc = to_failed(spool_dir, cur_path, o, reason, now_ms, e);
		cJSON_Delete(o);
		return rc < 0 ? -1 : SPOOL_FAILED;
	}
	set_str(o, "last_error", message);
	set_time(o, "next_attempt_at", now_ms + spool_backoff_ms(p, attempts));
	rc = rewrite_entry(spool_dir, cur_path, json_str(o, "id"), o, e);
	if (rc == 0 && move_entry(spool_dir, cur_path, SPOOL_DEFERRED, json_str(o, "id"), e) < 0)
		rc = -1;
	cJSON_Delete(o);
	return rc < 0 ? -1 : SPOOL_DEFERRED;
}

static int
is_unreachable(const cJSON *o)
{
	const char *kind = json_str(o, "error_kind");

	return kind != NULL && strcmp(kind, SPOOL_KIND_UNREACHABLE) == 0;
}

/* 1 when the entry at path failed as unreachable last time (an entry that
 * cannot be read did not). */
static int
entry_unreachable(const char *path)
{
	cJSON *o = spool_read_entry(path, NULL);
	int found = o != NULL && is_unreachable(o);

	cJSON_Delete(o);
	return found;
}

static int
unreachable_one(void *ctx, const struct spool_item *it, const char *path, struct werr *e)
{
	(void)ctx;
	(void)it;
	(void)e;
	return entry_unreachable(path);
}

/* 1 when some entry in new/ or cur/ failed as unreachable last time: a
 * probe is already out, so no other unreachable entry may overtake it. */
static int
probe_in_flight(const char *spool_dir)
{
	return each_entry(spool_dir, SPOOL_NEW, unreachable_one, NULL, NULL) == 1 ||
	    each_entry(spool_dir, SPOOL_CUR, unreachable_one, NULL, NULL) == 1;
}

/* Whether an unreachable entry must wait: all but the oldest one (the
 * probe) do, and that one too while an earlier probe is out. *probe is -1
 * until the first unreachable entry of a pass is seen. */
static int
waits_behind_probe(const char *spool_dir, int *probe)
{
	if (*probe < 0) {
		*probe = 1;
		return probe_in_flight(spool_dir);
	}
	return 1;
}

/* When a deferred entry is due: its next_attempt_at (none: now), or, for
 * one moved here as it was (defer_as_is), its mtime, which is then in the
 * future. */
static long long
due_ms(const char *path, const cJSON *o, long long now_ms)
{
	struct stat st;
	long long due, mt;

	if (spool_parse_time(json_str(o, "next_attempt_at"), &due) < 0)
		due = 0;
	if (stat(path, &st) == 0 && (mt = stat_mtime_ms(&st)) > now_ms && mt > due)
		due = mt;
	return due;
}

/* One deferred entry: expire it, release it, or note when it is due. */
static int
release_one(void *ctx, const struct spool_item *it, const char *path, struct werr *e)
{
	struct pass *x = ctx;
	const char *spool_dir = x->spool_dir;
	const struct spool_policy *p = x->p;
	long long now_ms = x->now_ms;
	struct spool_release *r = x->r;
	struct werr re = { 0 };
	long long due;
	cJSON *o;
	int rc = 0;

	(void)it;
	if ((o = spool_read_entry(path, &re)) == NULL) {
		if (re.code == EX_NOINPUT)
			return 0; /* moved meanwhile (retry, another watcher) */
		r->corrupt++;
		return spool_quarantine(spool_dir, path, e);
	}
	if (expired(p, o, now_ms)) {
		char reason[600];
		snprintf(reason, sizeof reason, "expired in the queue: %s",
		    json_str(o, "last_error") ? json_str(o, "last_error") : "no attempt succeeded");
		r->expired++;
		rc = to_failed(spool_dir, path, o, reason, now_ms, e);
	} else if (is_unreachable(o) && waits_behind_probe(spool_dir, &x->probe_seen)) {
		/* waits behind the probe; a success kicks it */
	} else if ((due = due_ms(path, o, now_ms)) <= now_ms) {
		if ((rc = move_entry(spool_dir, path, SPOOL_NEW, json_str(o, "id"), e)) == 0)
			r->released++;
	} else if (r->next_due_ms == 0 || due < r->next_due_ms) {
		r->next_due_ms = due;
	}
	cJSON_Delete(o);
	return rc < 0 ? -1 : 0;
}

int
spool_release_due(const char *spool_dir, const struct spool_policy *p, long long now_ms,
    struct spool_release *r, struct werr *e)
{
	struct pass x = { .spool_dir = spool_dir, .now_ms = now_ms, .p = p, .probe_seen = -1, .r = r };

	memset(r, 0, sizeof *r);
	return each_entry(spool_dir, SPOOL_DEFERRED, release_one, &x, e);
}

static int
kick_one(void *ctx, const struct spool_item *it, const char *path, struct werr *e)
{
	struct pass *x = ctx;
	int rc;

	if (!entry_unreachable(path))
		return 0;
	if ((rc = move_entry(x->spool_dir, path, SPOOL_NEW, it->name, e)) == 0)
		x->k++;
	return rc < 0 ? -1 : 0;
}

int
spool_kick(const char *spool_dir, size_t *moved, struct werr *e)
{
	struct pass x = { .spool_dir = spool_dir };
	int rc = each_entry(spool_dir, SPOOL_DEFERRED, kick_one, &x, e);

	if (moved)
		*moved = x.k;
	return rc;
}

int
spool_retry(const char *spool_dir, const char *id, long long now_ms, struct werr *e)
{
	static const int from[] = { SPOOL_DEFERRED, SPOOL_FAILED };
	char path[PATH_MAX];
	cJSON *o;
	int rc;

	if (!spool_id_valid(id))
		return werr_set(e, EX_USAGE, "%s: not a valid entry id", id);
	for (size_t i = 0; i < 2; i++) {
		if (spool_path(spool_dir, from[i], id, path, sizeof path, e) < 0)
			return -1;
		if (access(path, F_OK) < 0)
			continue;
		if ((o = spool_read_entry(path, e)) == NULL)
			return -1;
		set_num(o, "attempts", 0);
		set_str(o, "next_attempt_at", NULL);
		set_time(o, "retried_at", now_ms);
		rc = rewrite_entry(spool_dir, path, id, o, e);
		cJSON_Delete(o);
		if (rc == 0 && (rc = move_entry(spool_dir, path, SPOOL_NEW, id, e)) == 1)
			return werr_set(e, EX_NOINPUT, "%s: moved by another process", id);
		return rc < 0 ? -1 : from[i];
	}
	return werr_set(e, EX_NOINPUT, "%s: no such deferred or failed entry", id);
}

static int
recover_one(void *ctx, const struct spool_item *it, const char *path, struct werr *e)
{
	struct pass *x = ctx;
	int rc;

	if (it->claimed && spool_claimer_alive(&it->claimer))
		return 0;
	if (!spool_id_valid(it->id))
		return spool_quarantine(x->spool_dir, path, e);
	if ((rc = move_entry(x->spool_dir, path, SPOOL_NEW, it->id, e)) == 0) {
		x->k++;
		if (x->fn)
			x->fn(x->ctx, it->id);
	}
	return rc < 0 ? -1 : 0;
}

int
spool_recover(const char *spool_dir, size_t *moved, spool_id_fn fn, void *ctx, struct werr *e)
{
	struct pass x = { .spool_dir = spool_dir, .fn = fn, .ctx = ctx };
	int rc = each_entry(spool_dir, SPOOL_CUR, recover_one, &x, e);

	if (moved)
		*moved = x.k;
	return rc;
}

static int
purge_one(void *ctx, const struct spool_item *it, const char *path, struct werr *e)
{
	struct pass *x = ctx;
	struct stat st;

	if (stat(path, &st) < 0 || x->now_ms - stat_mtime_ms(&st) < x->older_ms)
		return 0;
	if (unlink(path) < 0 && errno != ENOENT)
		return werr_sys(e, EX_IOERR, "%s", path);
	x->k++;
	if (x->fn)
		x->fn(x->ctx, it->name);
	return 0;
}

int
spool_purge(const char *spool_dir, int state, int64_t older_ms, long long now_ms,
    size_t *removed, spool_id_fn fn, void *ctx, struct werr *e)
{
	struct pass x = { .spool_dir = spool_dir, .now_ms = now_ms, .fn = fn, .ctx = ctx, .older_ms = older_ms };
	char dir[PATH_MAX];
	int rc;

	if (state != SPOOL_FAILED && state != SPOOL_CORRUPT)
		return werr_set(e, EX_USAGE, "purge: only failed and corrupt entries, not %s",
		    spool_state_name(state));
	rc = each_entry(spool_dir, state, purge_one, &x, e);
	if (rc == 0 && x.k > 0) {
		rc = path_join(dir, sizeof dir, spool_dir, spool_state_name(state), e);
		if (rc == 0)
			rc = fsync_dir(dir, e);
	}
	if (removed)
		*removed = x.k;
	return rc;
}

int
spool_has(const char *spool_dir, const char *id)
{
	static const int states[] = { SPOOL_NEW, SPOOL_DEFERRED, SPOOL_FAILED };
	struct spool_item *v;
	char path[PATH_MAX];
	size_t n;
	int found = 0;

	for (size_t i = 0; i < 3; i++)
		if (spool_path(spool_dir, states[i], id, path, sizeof path, NULL) == 0 &&
		    access(path, F_OK) == 0)
			return 1;
	if (spool_list(spool_dir, SPOOL_CUR, &v, &n, NULL) < 0)
		return 0;
	for (size_t i = 0; i < n && !found; i++)
		found = strcmp(v[i].id, id) == 0;
	free(v);
	return found;
}

/* tmp/ names are ID.PID.XXXXXX (write_tmp); 0 when the writer may still run. */
static int
tmp_abandoned(const char *name, const struct stat *st, long long now_ms)
{
	const char *dot = strrchr(name, '.');
	long long pid = 0;
	unsigned long long start;

	if (now_ms - (long long)st->st_mtime * 1000 > 3600 * 1000)
		return 1;
	if (dot == NULL || dot == name)
		return 0;
	for (const char *p = dot - 1; p > name; p--)
		if (*p == '.') {
			if (sscanf(p + 1, "%lld", &pid) != 1 || pid <= 0)
				return 0;
			break;
		}
	return pid > 0 && spool_proc_start((pid_t)pid, &start) < 0;
}

int
spool_clean_tmp(const char *spool_dir, long long now_ms, size_t *removed, struct werr *e)
{
	char dir[PATH_MAX], path[PATH_MAX];
	struct dirent *d;
	struct stat st;
	size_t k = 0;
	DIR *dp;

	if (path_join(dir, sizeof dir, spool_dir, "tmp", e) < 0)
		return -1;
	if ((dp = opendir(dir)) == NULL)
		return werr_sys(e, EX_NOINPUT, "%s", dir);
	while ((d = readdir(dp)) != NULL) {
		if (strcmp(d->d_name, ".") == 0 || strcmp(d->d_name, "..") == 0)
			continue;
		if (path_join(path, sizeof path, dir, d->d_name, NULL) == 0 && lstat(path, &st) == 0 && S_ISREG(st.st_mode) && tmp_abandoned(d->d_name, &st, now_ms) &&
		    unlink(path) == 0)
			k++;
	}
	closedir(dp);
	if (removed)
		*removed = k;
	return k > 0 ? fsync_dir(dir, e) : 0;
}
