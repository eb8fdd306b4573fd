/* syncstate: state/sync.json (see syncstate.h). */
#include "net/syncstate.h"
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include "base/atomicio.h"
#include "base/buf.h"
#include "base/clock.h"
#include "base/path.h"
#include "ipld/cid.h"

static void
set_null_or_str(cJSON *o, const char *k, const char *v)
{
	cJSON_DeleteItemFromObjectCaseSensitive(o, k);
	if (v)
		cJSON_AddStringToObject(o, k, v);
	else
		cJSON_AddNullToObject(o, k);
}

/* A document whose shape is not ours is an error naming the file: never
 * silently start over (that would forget every mirror). */
static int
check_shape(const cJSON *d, const char *path, struct werr *e)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(d, "v");
	const cJSON *p = cJSON_GetObjectItemCaseSensitive(d, "peers"), *peer;

	if (!cJSON_IsObject(d) || !cJSON_IsNumber(v) || v->valuedouble != 1 || !cJSON_IsObject(p))
		return werr_set(e, EX_DATAERR, "%s: not a sync state (v 1)", path);
	cJSON_ArrayForEach(peer, p)
	{
		const cJSON *ss = cJSON_GetObjectItemCaseSensitive(peer, "sessions"), *s;
		if (!cJSON_IsObject(peer) || !cJSON_IsObject(ss))
			return werr_set(e, EX_DATAERR, "%s: peer %s: no sessions object", path, peer->string);
		cJSON_ArrayForEach(s, ss) if (!cJSON_IsObject(s) || !cJSON_IsString(cJSON_GetObjectItemCaseSensitive(s, "state"))) return werr_set(e, EX_DATAERR, "%s: peer %s session %s: no state", path,
		    peer->string, s->string);
	}
	return 0;
}

int
syncstate_load(struct syncstate *s, const char *home, struct werr *e)
{
	struct stat st;
	char *text;
	size_t len;

	memset(s, 0, sizeof *s);
	if (path_join(s->path, sizeof s->path, home, "state/sync.json", e) < 0)
		return -1;
	if (stat(s->path, &st) < 0) {
		if (errno != ENOENT)
			return werr_sys(e, EX_IOERR, "%s", s->path);
		s->doc = cJSON_CreateObject();
		cJSON_AddNumberToObject(s->doc, "v", 1);
		cJSON_AddObjectToObject(s->doc, "peers");
		return 0;
	}
	if (st.st_size > SYNCSTATE_MAX_BYTES)
		return werr_set(e, EX_DATAERR, "%s: over %u bytes", s->path, SYNCSTATE_MAX_BYTES);
	if (read_file(s->path, &text, &len, e) < 0)
		return -1;
	s->doc = cJSON_ParseWithLength(text, len);
	free(text);
	if (!s->doc)
		return werr_set(e, EX_DATAERR, "%s: not JSON", s->path);
	if (check_shape(s->doc, s->path, e) < 0) {
		cJSON_Delete(s->doc);
		s->doc = NULL;
		return -1;
	}
	return 0;
}

int
syncstate_save(struct syncstate *s, struct werr *e)
{
	char dir[PATH_MAX], *text, *slash;
	int rc;

	memcpy(dir, s->path, sizeof dir); /* the same size */
	if ((slash = strrchr(dir, '/')) != NULL) {
		*slash = '\0';
		if (mkdir_p(dir, 0755, e) < 0)
			return -1;
	}
	if ((text = cJSON_Print(s->doc)) == NULL)
		return werr_set(e, EX_OSERR, "%s: out of memory", s->path);
	rc = atomic_write(s->path, text, strlen(text), e);
	free(text);
	return rc;
}

void
syncstate_free(struct syncstate *s)
{
	cJSON_Delete(s->doc);
	s->doc = NULL;
}

cJSON *
syncstate_peer(struct syncstate *s, const char *peer, int create)
{
	cJSON *peers = cJSON_GetObjectItemCaseSensitive(s->doc, "peers");
	cJSON *p = cJSON_GetObjectItemCaseSensitive(peers, peer);

	if (p || !create)
		return p;
	p = cJSON_AddObjectToObject(peers, peer);
	cJSON_AddNullToObject(p, "last_success");
	cJSON_AddNumberToObject(p, "failures", 0);
	cJSON_AddObjectToObject(p, "sessions");
	return p;
}

cJSON *
syncstate_session(struct syncstate *s, const char *peer, const char *name, int create)
{
	cJSON *p = syncstate_peer(s, peer, create), *ss, *o;

	if (!p)
		return NULL;
	ss = cJSON_GetObjectItemCaseSensitive(p, "sessions");
	if ((o = cJSON_GetObjectItemCaseSensitive(ss, name)) || !create)
		return o;
	o = cJSON_AddObjectToObject(ss, name);
	cJSON_AddStringToObject(o, "state", "queued");
	cJSON_AddStringToObject(o, "cid", "");
	cJSON_AddNumberToObject(o, "bytes", 0);
	cJSON_AddNumberToObject(o, "attempts", 0);
	cJSON_AddNullToObject(o, "last_error");
	cJSON_AddNullToObject(o, "pinned_at");
	return o;
}

static void
set_num(cJSON *o, const char *k, double v)
{
	cJSON *n = cJSON_GetObjectItemCaseSensitive(o, k);

	if (cJSON_IsNumber(n))
		cJSON_SetNumberValue(n, v);
	else {
		cJSON_DeleteItemFromObjectCaseSensitive(o, k);
		cJSON_AddNumberToObject(o, k, v);
	}
}

void
syncstate_set(cJSON *sess, const char *state, const char *cid, uint64_t bytes, const char *err)
{
	cJSON *a = cJSON_GetObjectItemCaseSensitive(sess, "attempts");
	char when[40];

	set_null_or_str(sess, "state", state);
	if (cid)
		set_null_or_str(sess, "cid", cid);
	set_num(sess, "bytes", (double)bytes);
	if (strcmp(state, "pinning") == 0)
		set_num(sess, "attempts", cJSON_IsNumber(a) ? a->valuedouble + 1 : 1);
	set_null_or_str(sess, "last_error", err);
	if (strcmp(state, "pinned") == 0) {
		rfc3339_ms(wall_ms(), when, sizeof when);
		set_null_or_str(sess, "pinned_at", when);
		set_num(sess, "attempts", 0);
	}
}

void
syncstate_peer_done(struct syncstate *s, const char *peer, int ok)
{
	cJSON *p = syncstate_peer(s, peer, 1), *f = cJSON_GetObjectItemCaseSensitive(p, "failures");
	char when[40];

	if (ok) {
		rfc3339_ms(wall_ms(), when, sizeof when);
		set_null_or_str(p, "last_success", when);
		set_num(p, "failures", 0);
	} else
		set_num(p, "failures", cJSON_IsNumber(f) ? f->valuedouble + 1 : 1);
}

int
syncstate_cid_users(const struct syncstate *s, const char *cid)
{
	const cJSON *peer, *sess;
	int n = 0;

	cJSON_ArrayForEach(peer, cJSON_GetObjectItemCaseSensitive(s->doc, "peers"))
	    cJSON_ArrayForEach(sess, cJSON_GetObjectItemCaseSensitive(peer, "sessions"))
	{
		const cJSON *st = cJSON_GetObjectItemCaseSensitive(sess, "state");
		const cJSON *c = cJSON_GetObjectItemCaseSensitive(sess, "cid");
		if (cJSON_IsString(st) && strcmp(st->valuestring, "pinned") == 0 &&
		    cJSON_IsString(c) && cid_str_equal(c->valuestring, cid))
			n++;
	}
	return n;
}

static int
mirror_cmp(const void *a, const void *b)
{
	const cJSON *x = *(const cJSON *const *)a, *y = *(const cJSON *const *)b;
	int c = strcmp(cJSON_GetObjectItemCaseSensitive(x, "peer")->valuestring,
	    cJSON_GetObjectItemCaseSensitive(y, "peer")->valuestring);

	return c ? c : strcmp(cJSON_GetObjectItemCaseSensitive(x, "session")->valuestring, cJSON_GetObjectItemCaseSensitive(y, "session")->valuestring);
}

/* Pinned entries as {peer, session, cid} objects, unsorted. */
static cJSON **
mirror_items(const struct syncstate *s, size_t *n)
{
	const cJSON *peer, *sess;
	cJSON **v = NULL;
	size_t cap = 0;

	*n = 0;
	cJSON_ArrayForEach(peer, cJSON_GetObjectItemCaseSensitive(s->doc, "peers"))
	    cJSON_ArrayForEach(sess, cJSON_GetObjectItemCaseSensitive(peer, "sessions"))
	{
		const cJSON *st = cJSON_GetObjectItemCaseSensitive(sess, "state");
		const cJSON *c = cJSON_GetObjectItemCaseSensitive(sess, "cid");
		struct cid id;
		struct werr e2 = { 0 };
		cJSON *m;
		if (!cJSON_IsString(st) || strcmp(st->valuestring, "pinned") != 0 ||
		    !cJSON_IsString(c) || cid_parse(c->valuestring, &id, &e2) < 0)
			continue;
		if (buf_grow_array(&v, &cap, *n + 1, sizeof *v, 16, NULL) < 0)
			break;
		m = cJSON_CreateObject();
		cJSON_AddStringToObject(m, "peer", peer->string);
		cJSON_AddStringToObject(m, "session", sess->string);
		cJSON_AddStringToObject(m, "cid", c->valuestring);
		v[(*n)++] = m;
	}
	return v;
}

cJSON *
syncstate_mirrors(const char *home, struct werr *e)
{
	struct syncstate s;
	cJSON **v, *arr;
	size_t n;

	if (syncstate_load(&s, home, e) < 0)
		return NULL;
	v = mirror_items(&s, &n);
	if (n > 0)
		qsort(v, n, sizeof *v, mirror_cmp);
	arr = cJSON_CreateArray();
	for (size_t i = 0; i < n; i++)
		cJSON_AddItemToArray(arr, v[i]);
	free(v);
	syncstate_free(&s);
	return arr;
}

int
syncstate_lock(const char *home, struct werr *e)
{
	char dir[PATH_MAX], path[PATH_MAX];
	int fd;

	if (path_join(dir, sizeof dir, home, "state", e) < 0 || mkdir_p(dir, 0755, e) < 0 ||
	    path_join(path, sizeof path, dir, "sync.lock", e) < 0)
		return -1;
	if ((fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644)) < 0)
		return werr_sys(e, EX_CANTCREAT, "%s", path);
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		int busy = errno == EWOULDBLOCK;
		close(fd);
		return busy ? werr_set(e, EX_TEMPFAIL, "%s: another wanda-sync holds it", path) : werr_sys(e, EX_IOERR, "%s", path);
	}
	return 0; /* fd stays open: the lock lasts as long as the process */
}
