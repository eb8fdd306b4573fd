/* rootindex: a peer's index.json (see rootindex.h). */
#include "net/rootindex.h"
#include <ctype.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cjson/cJSON.h>
#include "capture/sessions.h"
#include "ipld/cid.h"

static int
get_int(const cJSON *o, const char *k, uint64_t *out)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);

	if (!cJSON_IsNumber(v) || v->valuedouble < 0 || v->valuedouble >= 9007199254740992.0 ||
	    v->valuedouble != (double)(uint64_t)v->valuedouble)
		return -1;
	*out = (uint64_t)v->valuedouble;
	return 0;
}

/* RFC 3339 UTC as WANDA writes it: 2026-11-24T03:12:45.123Z (24 chars). */
static int
time_ok(const char *s)
{
	static const char pat[] = "dddd-dd-ddTdd:dd:dd.dddZ";

	if (strlen(s) != sizeof pat - 1)
		return 0;
	for (size_t i = 0; pat[i]; i++)
		if (pat[i] == 'd' ? !isdigit((unsigned char)s[i]) : s[i] != pat[i])
			return 0;
	return 1;
}

static int
opt_time(const cJSON *o, const char *k, char out[40])
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);

	out[0] = '\0';
	if (!v)
		return 0;
	if (!cJSON_IsString(v) || !time_ok(v->valuestring))
		return -1;
	memcpy(out, v->valuestring, strlen(v->valuestring) + 1);
	return 0;
}

static int
parse_session(const cJSON *j, struct rootindex_session *s, const char *what, size_t i,
    struct werr *e)
{
	const cJSON *name = cJSON_GetObjectItemCaseSensitive(j, "name");
	const cJSON *cid = cJSON_GetObjectItemCaseSensitive(j, "cid");
	const cJSON *path = cJSON_GetObjectItemCaseSensitive(j, "path");
	char want[80];
	struct cid id;

	if (!cJSON_IsObject(j) || !cJSON_IsString(name) || !session_name_valid(name->valuestring))
		return werr_set(e, EX_DATAERR, "%s: sessions[%zu]: bad name", what, i);
	snprintf(s->name, sizeof s->name, "%s", name->valuestring);
	if (!cJSON_IsString(cid) || strlen(cid->valuestring) >= sizeof s->cid ||
	    cid_parse(cid->valuestring, &id, e) < 0)
		return werr_set(e, EX_DATAERR, "%s: session %s: bad cid", what, s->name);
	snprintf(s->cid, sizeof s->cid, "%s", cid->valuestring);
	snprintf(want, sizeof want, "sessions/%s", s->name);
	if (!cJSON_IsString(path) || strcmp(path->valuestring, want) != 0)
		return werr_set(e, EX_DATAERR, "%s: session %s: path is not %s", what, s->name, want);
	if (get_int(j, "count", &s->count) < 0 || get_int(j, "bytes", &s->bytes) < 0 ||
	    get_int(j, "tsize", &s->tsize) < 0)
		return werr_set(e, EX_DATAERR, "%s: session %s: count, bytes and tsize must be integers",
		    what, s->name);
	if (opt_time(j, "first", s->first) < 0 || opt_time(j, "last", s->last) < 0)
		return werr_set(e, EX_DATAERR, "%s: session %s: bad first/last time", what, s->name);
	if (i > 0 && strcmp((s - 1)->name, s->name) >= 0)
		return werr_set(e, EX_DATAERR, "%s: sessions not sorted by name at %s", what, s->name);
	return 0;
}

static int
parse_head(const cJSON *d, const char *what, struct rootindex *ix, struct werr *e)
{
	const cJSON *f = cJSON_GetObjectItemCaseSensitive(d, "format");
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(d, "version");
	const cJSON *node = cJSON_GetObjectItemCaseSensitive(d, "node");
	const cJSON *id = cJSON_GetObjectItemCaseSensitive(node, "id");
	uint64_t ver;

	if (!cJSON_IsObject(d))
		return werr_set(e, EX_DATAERR, "%s: not a JSON object", what);
	if (!cJSON_IsString(f) || strcmp(f->valuestring, "wanda-index") != 0)
		return werr_set(e, EX_DATAERR, "%s: format is not wanda-index", what);
	if (get_int(d, "version", &ver) < 0 || ver < 1)
		return werr_set(e, EX_DATAERR, "%s: bad version", what);
	if (ver > 1)
		return werr_set(e, EX_DATAERR, "%s: unsupported version %.0f", what, v->valuedouble);
	if (!cJSON_IsString(id) || strlen(id->valuestring) >= sizeof ix->node_id)
		return werr_set(e, EX_DATAERR, "%s: node.id missing", what);
	snprintf(ix->node_id, sizeof ix->node_id, "%s", id->valuestring);
	return 0;
}

int
rootindex_parse(const char *text, size_t len, const char *what, struct rootindex *ix,
    struct werr *e)
{
	cJSON *d, *arr, *j;
	size_t i = 0;
	int rc = -1;

	memset(ix, 0, sizeof *ix);
	if (len > ROOTINDEX_MAX_BYTES)
		return werr_set(e, EX_DATAERR, "%s: over %u bytes", what, ROOTINDEX_MAX_BYTES);
	if ((d = cJSON_ParseWithLength(text, len)) == NULL)
		return werr_set(e, EX_DATAERR, "%s: not JSON", what);
	if (parse_head(d, what, ix, e) < 0)
		goto out;
	arr = cJSON_GetObjectItemCaseSensitive(d, "sessions");
	if (!cJSON_IsArray(arr)) {
		werr_set(e, EX_DATAERR, "%s: no sessions array", what);
		goto out;
	}
	if ((ix->s = calloc((size_t)cJSON_GetArraySize(arr) + 1, sizeof *ix->s)) == NULL) {
		werr_set(e, EX_OSERR, "%s: out of memory", what);
		goto out;
	}
	cJSON_ArrayForEach(j, arr)
	{
		if (parse_session(j, &ix->s[i], what, i, e) < 0)
			goto out;
		i++;
	}
	ix->n = i;
	rc = 0;
out:
	if (rc < 0)
		rootindex_free(ix);
	cJSON_Delete(d);
	return rc;
}

void
rootindex_free(struct rootindex *ix)
{
	free(ix->s);
	ix->s = NULL;
	ix->n = 0;
}

int
rootindex_filter_date(char out[40], const char *arg, int end_of_day, const char *what,
    struct werr *e)
{
	static const char dpat[] = "dddd-dd-dd";
	size_t n = strlen(arg);

	for (size_t i = 0; i < 10 && i < n; i++)
		if (dpat[i] == 'd' ? !isdigit((unsigned char)arg[i]) : arg[i] != dpat[i])
			goto bad;
	if (n == 10) {
		snprintf(out, 40, "%sT%s", arg, end_of_day ? "23:59:59.999Z" : "00:00:00.000Z");
		return 0;
	}
	if (time_ok(arg)) {
		snprintf(out, 40, "%s", arg);
		return 0;
	}
	if (n == 20 && arg[19] == 'Z' && arg[10] == 'T') { /* no milliseconds */
		snprintf(out, 40, "%.19s.%sZ", arg, end_of_day ? "999" : "000");
		if (time_ok(out))
			return 0;
	}
bad:
	return werr_set(e, EX_USAGE, "%s: %s: expected YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ", what, arg);
}

int
rootindex_selected(const struct rootindex_filter *f, const char *name, const char *first,
    const char *last)
{
	if (f->glob && fnmatch(f->glob, name, 0) != 0)
		return 0;
	if (!f->since[0] && !f->until[0])
		return 1;
	if (!first || !*first || !last || !*last)
		return 0;
	if (f->since[0] && strcmp(last, f->since) < 0)
		return 0;
	if (f->until[0] && strcmp(first, f->until) > 0)
		return 0;
	return 1;
}
