/* json: field getters (see json.h). */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <sysexits.h>
#include "base/json.h"
#include "base/atomicio.h"
#include "base/werr.h"

const char *
json_str(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

const char *
json_text(const cJSON *o, const char *key)
{
	const char *s = json_str(o, key);

	return s != NULL && s[0] != '\0' ? s : NULL;
}

void
json_copy(char *dst, size_t cap, const cJSON *o, const char *key)
{
	const char *s = json_str(o, key);

	snprintf(dst, cap, "%s", s ? s : "");
}

uint64_t
json_u64(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	if (cJSON_IsNumber(v))
		return v->valuedouble > 0 ? (uint64_t)v->valuedouble : 0;
	if (cJSON_IsString(v) && isdigit((unsigned char)v->valuestring[0]))
		return strtoull(v->valuestring, NULL, 10);
	return 0;
}

double
json_num(const cJSON *o, const char *key, double dflt)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	return cJSON_IsNumber(v) ? v->valuedouble : dflt;
}

cJSON *
json_read_object(const char *path, struct werr *e)
{
	return json_read_object_max(path, SIZE_MAX - 1, e);
}

cJSON *
json_read_object_max(const char *path, size_t max, struct werr *e)
{
	char *text;
	size_t len;
	cJSON *o;

	if (read_file_max(path, max, &text, &len, e) < 0)
		return NULL;
	o = cJSON_ParseWithLength(text, len);
	free(text);
	if (!cJSON_IsObject(o)) {
		cJSON_Delete(o);
		werr_set(e, EX_DATAERR, "%s: not a JSON object", path);
		return NULL;
	}
	return o;
}
