/* remote_status: each target's health and backlog, as cJSON, for
 * wanda-push status, wanda-queue stats, wanda-remote status and
 * wanda-serve. Read from the entry files and health.json; with probe,
 * the target is also asked now. */
#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "base/atomicio.h"
#include "base/clock.h"
#include "base/path.h"
#include "remote/remote_int.h"

struct backlog {
	size_t queued, pinning, failed;
	double oldest_s;
};

static void
count_dir(const struct remote_set *rs, const struct remote_target *t, struct backlog *b)
{
	char dir[PATH_MAX], path[PATH_MAX];
	long long now = wall_ms();
	struct dirent *d;
	DIR *dp;

	memset(b, 0, sizeof *b);
	if (rentry_dir(rs, t, dir, sizeof dir) < 0 || (dp = opendir(dir)) == NULL)
		return;
	while ((d = readdir(dp)) != NULL) {
		size_t l = strlen(d->d_name), len;
		const char *st;
		char *buf;
		cJSON *en;
		if (d->d_name[0] == '.' || l < 6 || strcmp(d->d_name + l - 5, ".json") ||
		    strcmp(d->d_name, "health.json") == 0)
			continue;
		path_fmt(path, sizeof path, NULL, "%s/%s", dir, d->d_name);
		if (read_file(path, &buf, &len, NULL) < 0)
			continue;
		en = len < 65536 ? cJSON_Parse(buf) : NULL;
		free(buf);
		if ((st = json_str(en, "state")) != NULL) {
			double age = (double)(now - (long long)json_num(en, "enqueued_ms", (double)now)) / 1000;
			if (strcmp(st, "queued") == 0)
				b->queued++;
			else if (strcmp(st, "pinning") == 0)
				b->pinning++;
			else if (strcmp(st, "failed") == 0)
				b->failed++;
			if (strcmp(st, "failed") != 0 && age > b->oldest_s)
				b->oldest_s = age;
		}
		cJSON_Delete(en);
	}
	closedir(dp);
}

static cJSON *
target_status(const struct remote_set *rs, const struct remote_target *t, int probe)
{
	cJSON *o = cJSON_CreateObject(), *h = rhealth_read(rs, t);
	struct backlog b;
	struct werr pe = { 0 };

	count_dir(rs, t, &b);
	cJSON_AddStringToObject(o, "target", t->name);
	cJSON_AddStringToObject(o, "kind", t->kind == REMOTE_CLUSTER ? "cluster" : "psa");
	cJSON_AddStringToObject(o, "url", t->url);
	cJSON_AddNumberToObject(o, "replication_min", (double)t->rmin);
	cJSON_AddNumberToObject(o, "replication_max", (double)t->rmax);
	cJSON_AddStringToObject(o, "health", json_str(h, "state") ? json_str(h, "state") : "unknown");
	if (json_str(h, "since"))
		cJSON_AddStringToObject(o, "since", json_str(h, "since"));
	if (json_str(h, "last_ok_at"))
		cJSON_AddStringToObject(o, "last_ok_at", json_str(h, "last_ok_at"));
	if (json_str(h, "error"))
		cJSON_AddStringToObject(o, "error", json_str(h, "error"));
	cJSON_AddNumberToObject(o, "queued", (double)b.queued);
	cJSON_AddNumberToObject(o, "pinning", (double)b.pinning);
	cJSON_AddNumberToObject(o, "failed", (double)b.failed);
	cJSON_AddNumberToObject(o, "backlog", (double)(b.queued + b.pinning));
	cJSON_AddNumberToObject(o, "oldest_s", b.oldest_s);
	if (probe) {
		int ok = rapi_probe(t, &pe) == 0;
		cJSON_AddBoolToObject(o, "reachable", ok);
		if (!ok)
			cJSON_AddStringToObject(o, "probe_error", pe.msg);
	}
	cJSON_Delete(h);
	return o;
}

cJSON *
remote_status_json(const struct remote_set *rs, int probe, struct werr *e)
{
	cJSON *a = cJSON_CreateArray();

	(void)e;
	for (size_t i = 0; i < rs->n; i++)
		cJSON_AddItemToArray(a, target_status(rs, &rs->t[i], probe));
	return a;
}
