/* sessions: a capture session as wanda-capture keeps it, in
 * state/sessions/NAME.json {"session","state":"open|closed","started_at",
 * "stopped_at"}: the name rule, open, close (which queues the session's
 * build through the spool) and list. Each record is written whole (temp,
 * fsync, rename) under the sessions directory's lock. The session's
 * published DAG is site/session's. */
#include <ctype.h>
#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>
#include "capture/sessions.h"
#include "base/atomicio.h"
#include "base/buf.h"
#include "base/clock.h"
#include "base/path.h"
#include "capture/captureid.h"
#include "spool/sidecar.h"
#include "spool/spool.h"

int
session_name_valid(const char *name)
{
	size_t n = strlen(name);

	if (n == 0 || n > 64 || !isalnum((unsigned char)name[0]))
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)name[i]) && !strchr("._-", name[i]))
			return 0;
	return 1;
}

void
session_default_name(long long ms, char *buf, size_t len)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, len, "%Y-%m-%d", &tm);
}

static int
session_path(const char *home, const char *name, char *buf, size_t len, struct werr *e)
{
	return path_fmt(buf, len, e, "%s/state/sessions/%s.json", home, name);
}

/* Temp files of NAME.json left by a writer killed mid-write. Called under
 * the sessions directory's lock, which every writer of the record holds. */
static void
session_sweep(const char *dir, const char *name)
{
	char prefix[NAME_MAX + 16];
	struct dirent *de;
	DIR *d;
	size_t l = (size_t)snprintf(prefix, sizeof prefix, ".%s.json.tmp.", name);

	if (l >= sizeof prefix || (d = opendir(dir)) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		char p[PATH_MAX];
		if (strncmp(de->d_name, prefix, l) == 0 && path_join(p, sizeof p, dir, de->d_name, NULL) == 0)
			unlink(p);
	}
	closedir(d);
}

static int
session_write(const char *path, const char *name, const char *state, const char *started,
    const char *stopped, struct werr *e)
{
	cJSON *o;
	char *txt, dir[4200];
	int rc, lk;

	snprintf(dir, sizeof dir, "%s", path);
	*strrchr(dir, '/') = '\0';
	if ((lk = dir_lock(dir, LOCK_EX, EX_CANTCREAT, e)) < 0)
		return -1;
	session_sweep(dir, name);
	o = cJSON_CreateObject();

	cJSON_AddStringToObject(o, "session", name);
	cJSON_AddStringToObject(o, "state", state);
	cJSON_AddStringToObject(o, "started_at", started);
	if (stopped)
		cJSON_AddStringToObject(o, "stopped_at", stopped);
	else
		cJSON_AddNullToObject(o, "stopped_at");
	txt = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	rc = atomic_write(path, txt, strlen(txt), e);
	free(txt);
	close(lk);
	return rc;
}

static cJSON *
session_read(const char *path, struct werr *e)
{
	cJSON *o = sidecar_read_json(path, e);

	if (o != NULL && !cJSON_IsString(cJSON_GetObjectItem(o, "state"))) {
		werr_set(e, EX_DATAERR, "%s: session record has no state", path);
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

int
session_open(const char *home, const char *name, int reopen, int *created, struct werr *e)
{
	char path[PATH_MAX], dir[PATH_MAX], now[40];
	cJSON *o;

	*created = 0;
	if (!session_name_valid(name))
		return werr_set(e, EX_USAGE, "--session: bad session name \"%s\" (letters, digits, . _ -)", name);
	if (path_join(dir, sizeof dir, home, "state/sessions", e) < 0 || mkdir_p(dir, 0755, e) < 0 ||
	    session_path(home, name, path, sizeof path, e) < 0)
		return -1;
	rfc3339_ms(wall_ms(), now, sizeof now);
	if (access(path, F_OK) != 0) {
		*created = 1;
		return session_write(path, name, "open", now, NULL, e);
	}
	if ((o = session_read(path, e)) == NULL)
		return -1;
	int closed = strcmp(cJSON_GetObjectItem(o, "state")->valuestring, "closed") == 0;
	const char *started = cJSON_GetStringValue(cJSON_GetObjectItem(o, "started_at"));
	int rc = 0;
	if (closed && !reopen)
		rc = werr_set(e, EX_DATAERR, "session %s is closed (wanda-capture session start %s reopens it)",
		    name, name);
	else if (closed)
		rc = session_write(path, name, "open", started ? started : now, NULL, e);
	cJSON_Delete(o);
	return rc;
}

int
session_close(const char *home, const char *name, const char *node, char *id, size_t idlen,
    struct werr *e)
{
	char path[PATH_MAX], now[40], spool[PATH_MAX], st[PATH_MAX], dir[PATH_MAX];
	cJSON *o, *en;
	int rc;

	if (!session_name_valid(name))
		return werr_set(e, EX_USAGE, "bad session name \"%s\"", name);
	if (session_path(home, name, path, sizeof path, e) < 0 ||
	    path_join(st, sizeof st, home, "state/captureid", e) < 0 ||
	    path_join(spool, sizeof spool, home, "spool", e) < 0 ||
	    path_fmt(dir, sizeof dir, e, "%s/captures/%s", home, name) < 0)
		return -1;
	if ((o = session_read(path, e)) == NULL)
		return e->code == EX_NOINPUT ? werr_set(e, EX_NOINPUT, "no session %s", name) : -1;
	rfc3339_ms(wall_ms(), now, sizeof now);
	const char *started = cJSON_GetStringValue(cJSON_GetObjectItem(o, "started_at"));
	rc = session_write(path, name, "closed", started ? started : now, now, e);
	cJSON_Delete(o);
	if (rc < 0)
		return -1;
	/* the entry sorts among the captures by its time-ordered id */
	if (captureid_issue(st, node, id, idlen, e) < 0)
		return -1;
	en = cJSON_CreateObject();
	cJSON_AddStringToObject(en, "kind", "session");
	cJSON_AddStringToObject(en, "session", name);
	cJSON_AddStringToObject(en, "path", dir);
	rc = spool_init(spool, e);
	if (rc == 0)
		rc = spool_add(spool, id, en, e);
	cJSON_Delete(en);
	return rc;
}

static int
count_captures(const char *home, const char *name)
{
	char dir[PATH_MAX];
	struct dirent *de;
	int n = 0;
	DIR *d;

	if (path_fmt(dir, sizeof dir, NULL, "%s/captures/%s", home, name) < 0 || (d = opendir(dir)) == NULL)
		return 0;
	while ((de = readdir(d)) != NULL) {
		size_t l = strlen(de->d_name);
		if (de->d_name[0] != '.' && l > 5 && strcmp(de->d_name + l - 5, ".json") == 0)
			n++;
	}
	closedir(d);
	return n;
}

static int
by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

cJSON *
session_list(const char *home, struct werr *e)
{
	char dir[PATH_MAX], path[PATH_MAX];
	char **names = NULL;
	size_t n = 0, cap = 0;
	struct dirent *de;
	cJSON *arr = cJSON_CreateArray();
	DIR *d;

	if (path_join(dir, sizeof dir, home, "state/sessions", NULL) < 0 || (d = opendir(dir)) == NULL)
		return arr; /* no session yet (or a home too long to hold one) */
	while ((de = readdir(d)) != NULL) {
		size_t l = strlen(de->d_name);
		if (de->d_name[0] == '.' || l <= 5 || strcmp(de->d_name + l - 5, ".json") != 0)
			continue;
		if (buf_grow_array(&names, &cap, n + 1, sizeof *names, 64, e) < 0)
			break; /* the records read so far are listed; e says why not more */
		if ((names[n] = strndup(de->d_name, l - 5)) != NULL)
			n++;
	}
	closedir(d);
	qsort(names, n, sizeof *names, by_name);
	for (size_t i = 0; i < n; i++) {
		cJSON *o = session_path(home, names[i], path, sizeof path, e) < 0 ? NULL : session_read(path, e);
		if (o != NULL) {
			cJSON_AddNumberToObject(o, "captures", count_captures(home, names[i]));
			cJSON_AddItemToArray(arr, o);
		}
		free(names[i]);
	}
	free(names);
	return arr;
}
