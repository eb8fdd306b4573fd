/* settle: one table of error kinds (see settle.h). */
#include <string.h>
#include <sysexits.h>
#include "spool/settle.h"
#include "base/config.h"

enum { RETRY,
	GIVE_UP,
	REPORTED };

static const struct kind {
	const char *name;
	int code;
	int action;
	int by_code; /* the kind a bare exit code maps to */
} kinds[] = {
	{ "missing", EX_NOINPUT, GIVE_UP, 1 },
	{ "cid-mismatch", EX_DATAERR, REPORTED, 0 },
	{ "input", EX_DATAERR, GIVE_UP, 0 },
	{ "bad-entry", EX_DATAERR, GIVE_UP, 1 },
	{ "bad-entry", EX_USAGE, GIVE_UP, 1 },
	{ SPOOL_KIND_UNREACHABLE, EX_UNAVAILABLE, RETRY, 1 },
	{ "http", EX_SOFTWARE, REPORTED, 0 },
	{ "build", EX_SOFTWARE, RETRY, 0 },
	{ "outbox", EX_CANTCREAT, RETRY, 0 },
	{ "truncated", EX_IOERR, RETRY, 0 },
	{ "local", EX_IOERR, RETRY, 0 },
	{ "timeout", EX_TEMPFAIL, RETRY, 1 },
	{ "stream", EX_PROTOCOL, RETRY, 0 },
	{ "protocol", EX_PROTOCOL, REPORTED, 0 },
};
#define NKINDS (sizeof kinds / sizeof kinds[0])

static const struct kind *
lookup(const char *name)
{
	for (size_t i = 0; name != NULL && i < NKINDS; i++)
		if (strcmp(name, kinds[i].name) == 0)
			return &kinds[i];
	return NULL;
}

int
settle_code(const char *kind)
{
	const struct kind *k = lookup(kind);

	return k ? k->code : EX_SOFTWARE;
}

const char *
settle_kind(int code)
{
	for (size_t i = 0; i < NKINDS; i++)
		if (kinds[i].by_code && kinds[i].code == code)
			return kinds[i].name;
	return "build";
}

int
settle_permanent(const char *kind, int reported)
{
	const struct kind *k = lookup(kind);

	if (k == NULL || k->action == REPORTED)
		return reported != 0;
	return k->action == GIVE_UP;
}

cJSON *
settle_error(int code, const char *kind, const char *message, int permanent)
{
	cJSON *err = cJSON_CreateObject();

	cJSON_AddNumberToObject(err, "code", code);
	cJSON_AddStringToObject(err, "kind", kind);
	cJSON_AddStringToObject(err, "message", message ? message : "");
	cJSON_AddBoolToObject(err, "permanent", permanent);
	return err;
}

int
spool_settle(const char *spool_dir, const char *cur_path, const struct spool_policy *p,
    const cJSON *line, long long now_ms, struct werr *e)
{
	const cJSON *err = cJSON_GetObjectItemCaseSensitive(line, "error");
	const char *kind, *msg;

	if (err == NULL)
		return spool_done(cur_path, e) < 0 ? -1 : SPOOL_DONE;
	kind = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(err, "kind"));
	msg = cJSON_IsString(err) ? err->valuestring :
	                            cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(err, "message"));
	return spool_fail(spool_dir, cur_path, p, kind, msg,
	    settle_permanent(kind, cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(err, "permanent"))),
	    now_ms, e);
}

int
spool_policy_config(const struct config *c, struct spool_policy *p, struct werr *e)
{
	static const struct {
		const char *key, *dflt;
	} d[] = {
		{ "queue_backoff", "30s" },
		{ "queue_max_backoff", "10m" },
		{ "queue_max_lifetime", "5d" },
	};
	int64_t *ms[] = { &p->backoff_min_ms, &p->backoff_max_ms, &p->max_lifetime_ms };

	spool_policy_default(p);
	for (size_t i = 0; i < sizeof d / sizeof d[0]; i++)
		if (parse_duration_ms(config_get_or(c, d[i].key, d[i].dflt), ms[i], d[i].key, e) < 0)
			return -1;
	if (parse_long(config_get_or(c, "queue_max_attempts", "0"), 0, 1000000000L, &p->max_attempts,
	        "queue_max_attempts", e) < 0)
		return -1;
	if (p->backoff_min_ms <= 0)
		return werr_set(e, EX_USAGE, "queue_backoff must be positive");
	if (p->backoff_max_ms < p->backoff_min_ms)
		p->backoff_max_ms = p->backoff_min_ms;
	return 0;
}
