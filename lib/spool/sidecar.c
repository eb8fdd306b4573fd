#include "spool/sidecar.h"
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>
#include "base/atomicio.h"
#include "base/clock.h"
#include "base/json.h"
#include "base/path.h"

static const char *const states[] = { "queued", "pinning", "pushed", "pinned", "failed", "local" };

int
sidecar_state_valid(const char *state)
{
	for (size_t i = 0; i < sizeof states / sizeof states[0]; i++)
		if (state != NULL && strcmp(state, states[i]) == 0)
			return 1;
	return 0;
}

void
sidecar_init(struct sidecar *s)
{
	memset(s, 0, sizeof *s);
	s->exposure_us = -1;
	s->gain = -1;
	snprintf(s->profile, sizeof s->profile, "%s", SIDECAR_PROFILE);
	snprintf(s->state, sizeof s->state, "queued");
}

int
sidecar_path_for(const char *image, char *buf, size_t len, struct werr *e)
{
	const char *slash = strrchr(image, '/');
	const char *dot = strrchr(image, '.');
	size_t stem;

	if (dot == NULL || (slash != NULL && dot < slash))
		dot = image + strlen(image);
	stem = (size_t)(dot - image);
	if (stem + sizeof ".json" > len)
		return werr_set(e, EX_USAGE, "%s: path too long", image);
	memcpy(buf, image, stem);
	memcpy(buf + stem, ".json", sizeof ".json");
	return 0;
}

int
sidecar_is_ours(const char *home, const char *path)
{
	size_t hl = strlen(home), pl;

	if (path == NULL || hl == 0 || strncmp(path, home, hl) != 0 || strncmp(path + hl, "/captures/", 10) != 0)
		return 0;
	pl = strlen(path);
	return strstr(path, "/../") == NULL && pl > 5 && strcmp(path + pl - 5, ".json") == 0;
}

/* "" -> JSON null, so readers see "unknown" rather than an empty name. */
static void
add_str_or_null(cJSON *o, const char *k, const char *v)
{
	if (v != NULL && *v != '\0')
		cJSON_AddStringToObject(o, k, v);
	else
		cJSON_AddNullToObject(o, k);
}

static cJSON *
ipfs_block(const struct sidecar *s)
{
	cJSON *b = cJSON_CreateObject();

	cJSON_AddStringToObject(b, "state", s->state[0] ? s->state : "queued");
	add_str_or_null(b, "cid", s->ipfs_cid);
	add_str_or_null(b, "pinned_at", s->pinned_at);
	add_str_or_null(b, "error", s->error);
	return b;
}

cJSON *
sidecar_to_json(const struct sidecar *s)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddStringToObject(o, "id", s->id);
	cJSON_AddStringToObject(o, "session", s->session);
	cJSON_AddStringToObject(o, "file", s->file);
	cJSON_AddNumberToObject(o, "bytes", (double)s->bytes);
	cJSON_AddStringToObject(o, "captured_at", s->captured_at);
	add_str_or_null(o, "camera", s->camera);
	if (s->width > 0)
		cJSON_AddNumberToObject(o, "width", s->width);
	else
		cJSON_AddNullToObject(o, "width");
	if (s->height > 0)
		cJSON_AddNumberToObject(o, "height", s->height);
	else
		cJSON_AddNullToObject(o, "height");
	if (s->exposure_us >= 0)
		cJSON_AddNumberToObject(o, "exposure_us", (double)s->exposure_us);
	else
		cJSON_AddNullToObject(o, "exposure_us");
	if (s->gain >= 0)
		cJSON_AddNumberToObject(o, "gain", s->gain);
	else
		cJSON_AddNullToObject(o, "gain");
	add_str_or_null(o, "awb", s->awb);
	cJSON_AddStringToObject(o, "cid", s->cid);
	cJSON_AddNumberToObject(o, "tsize", (double)s->tsize);
	cJSON_AddStringToObject(o, "profile", s->profile[0] ? s->profile : SIDECAR_PROFILE);
	add_str_or_null(o, "thumb", s->thumb);
	add_str_or_null(o, "raw", s->raw);
	if (s->raw[0]) {
		add_str_or_null(o, "raw_cid", s->raw_cid);
		cJSON_AddNumberToObject(o, "raw_tsize", (double)s->raw_tsize);
	}
	cJSON_AddItemToObject(o, "ipfs", ipfs_block(s));
	return o;
}

int
sidecar_from_json(const cJSON *j, struct sidecar *s, const char *what, struct werr *e)
{
	static const char *const req[] = { "id", "session", "file", "cid" };
	const cJSON *b;

	if (!cJSON_IsObject(j))
		return werr_set(e, EX_DATAERR, "%s: sidecar is not a JSON object", what);
	for (size_t i = 0; i < sizeof req / sizeof req[0]; i++)
		if (!cJSON_IsString(cJSON_GetObjectItemCaseSensitive(j, req[i])))
			return werr_set(e, EX_DATAERR, "%s: sidecar has no string \"%s\"", what, req[i]);
	sidecar_init(s);
	json_copy(s->id, sizeof s->id, j, "id");
	json_copy(s->session, sizeof s->session, j, "session");
	json_copy(s->file, sizeof s->file, j, "file");
	s->bytes = (uint64_t)json_num(j, "bytes", 0);
	json_copy(s->captured_at, sizeof s->captured_at, j, "captured_at");
	json_copy(s->camera, sizeof s->camera, j, "camera");
	s->width = (int)json_num(j, "width", 0);
	s->height = (int)json_num(j, "height", 0);
	s->exposure_us = (int64_t)json_num(j, "exposure_us", -1);
	s->gain = json_num(j, "gain", -1);
	json_copy(s->awb, sizeof s->awb, j, "awb");
	json_copy(s->cid, sizeof s->cid, j, "cid");
	s->tsize = (uint64_t)json_num(j, "tsize", 0);
	json_copy(s->profile, sizeof s->profile, j, "profile");
	json_copy(s->thumb, sizeof s->thumb, j, "thumb");
	json_copy(s->raw, sizeof s->raw, j, "raw");
	json_copy(s->raw_cid, sizeof s->raw_cid, j, "raw_cid");
	s->raw_tsize = (uint64_t)json_num(j, "raw_tsize", 0);
	b = cJSON_GetObjectItemCaseSensitive(j, "ipfs");
	if (cJSON_IsObject(b)) {
		json_copy(s->state, sizeof s->state, b, "state");
		json_copy(s->ipfs_cid, sizeof s->ipfs_cid, b, "cid");
		json_copy(s->pinned_at, sizeof s->pinned_at, b, "pinned_at");
		json_copy(s->error, sizeof s->error, b, "error");
	}
	return 0;
}

static int
write_json(const char *path, const cJSON *o, struct werr *e)
{
	char *txt = cJSON_PrintUnformatted(o);
	size_t n;
	int rc;

	if (txt == NULL)
		return werr_set(e, EX_OSERR, "%s: out of memory", path);
	n = strlen(txt);
	txt[n] = '\n'; /* replaces the NUL; the length is passed explicitly */
	rc = atomic_write(path, txt, n + 1, e);
	free(txt);
	return rc;
}

int
sidecar_write(const char *path, const struct sidecar *s, struct werr *e)
{
	cJSON *o = sidecar_to_json(s);
	int rc = write_json(path, o, e);

	cJSON_Delete(o);
	return rc;
}

cJSON *
sidecar_read_json(const char *path, struct werr *e)
{
	/* a sidecar is a few KiB; a huge one is damage, not a capture */
	return json_read_object_max(path, SIDECAR_MAX_BYTES, e);
}

int
sidecar_read(const char *path, struct sidecar *s, struct werr *e)
{
	cJSON *o = sidecar_read_json(path, e);
	int rc;

	if (o == NULL)
		return -1;
	rc = sidecar_from_json(o, s, path, e);
	cJSON_Delete(o);
	return rc;
}

/* The sidecar is replaced by rename, so its inode cannot carry a lock:
 * lock the directory that holds it instead. Returns the locked fd. */
static int
lock_parent(const char *path, struct werr *e)
{
	char buf[PATH_MAX];

	if (path_fmt(buf, sizeof buf, e, "%s", path) < 0)
		return -1;
	return dir_lock(dirname(buf), LOCK_EX, EX_NOINPUT, e);
}

static void
set_str_or_null(cJSON *o, const char *k, const char *v)
{
	cJSON_DeleteItemFromObjectCaseSensitive(o, k);
	add_str_or_null(o, k, v);
}

int
sidecar_update_ipfs(const char *path, const char *state, const char *cid,
    const char *error, struct werr *e)
{
	return sidecar_update_block(path, "ipfs", state, cid, error, e);
}

int
sidecar_update_block(const char *path, const char *block, const char *state, const char *cid,
    const char *error, struct werr *e)
{
	cJSON *o, *b;
	char now[40];
	int lk, rc = -1;

	if (!sidecar_state_valid(state))
		return werr_set(e, EX_USAGE, "%s: bad ipfs state \"%s\"", path, state ? state : "");
	if ((lk = lock_parent(path, e)) < 0)
		return -1;
	if ((o = sidecar_read_json(path, e)) == NULL)
		goto out;
	b = cJSON_GetObjectItemCaseSensitive(o, block);
	if (!cJSON_IsObject(b)) {
		cJSON_DeleteItemFromObjectCaseSensitive(o, block);
		b = cJSON_AddObjectToObject(o, block);
	}
	set_str_or_null(b, "state", state);
	if (cid != NULL)
		set_str_or_null(b, "cid", cid);
	else if (cJSON_GetObjectItemCaseSensitive(b, "cid") == NULL)
		cJSON_AddNullToObject(b, "cid");
	if (strcmp(state, "pinned") == 0) {
		rfc3339_ms(wall_ms(), now, sizeof now);
		set_str_or_null(b, "pinned_at", now);
	} else if (cJSON_GetObjectItemCaseSensitive(b, "pinned_at") == NULL) {
		cJSON_AddNullToObject(b, "pinned_at");
	}
	set_str_or_null(b, "error", error);
	rc = write_json(path, o, e);
	cJSON_Delete(o);
out:
	close(lk);
	return rc;
}

int
sidecar_set_fields(const char *path, const cJSON *fields, struct werr *e)
{
	const cJSON *f;
	cJSON *o;
	int lk, rc = -1;

	if (!cJSON_IsObject(fields))
		return werr_set(e, EX_USAGE, "%s: fields must be an object", path);
	if ((lk = lock_parent(path, e)) < 0)
		return -1;
	if ((o = sidecar_read_json(path, e)) != NULL) {
		cJSON_ArrayForEach(f, fields)
		{
			cJSON_DeleteItemFromObjectCaseSensitive(o, f->string);
			cJSON_AddItemToObject(o, f->string, cJSON_Duplicate(f, 1));
		}
		rc = write_json(path, o, e);
		cJSON_Delete(o);
	}
	close(lk);
	return rc;
}

int
sidecar_update_nested(const char *path, const char *block, const char *key,
    const cJSON *rec, struct werr *e)
{
	cJSON *o, *b;
	int lk, rc = -1;

	if (!cJSON_IsObject(rec))
		return werr_set(e, EX_USAGE, "%s: %s.%s must be an object", path, block, key);
	if ((lk = lock_parent(path, e)) < 0)
		return -1;
	if ((o = sidecar_read_json(path, e)) != NULL) {
		b = cJSON_GetObjectItemCaseSensitive(o, block);
		if (!cJSON_IsObject(b)) {
			cJSON_DeleteItemFromObjectCaseSensitive(o, block);
			b = cJSON_AddObjectToObject(o, block);
		}
		cJSON_DeleteItemFromObjectCaseSensitive(b, key);
		cJSON_AddItemToObject(b, key, cJSON_Duplicate(rec, 1));
		rc = write_json(path, o, e);
		cJSON_Delete(o);
	}
	close(lk);
	return rc;
}
