/* Unit tests for lib/spool: every state transition and its error paths. */
#include <stdlib.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include "tap.h"
#include "spool/spool.h"
#include "base/atomicio.h"
#include "base/cli.h"
#include "base/path.h"

static char top[4096];

static int
exists(const char *sp, int state, const char *name)
{
	char p[4096];

	path_fmt(p, sizeof p, NULL, "%s/%s/%s", sp, spool_state_name(state), name);
	return access(p, F_OK) == 0;
}

static size_t
count(const char *sp, int state)
{
	size_t n = 0;
	struct werr e = { 0 };

	spool_count(sp, state, &n, &e);
	return n;
}

static cJSON *
entry(const char *path)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddStringToObject(o, "path", path);
	cJSON_AddStringToObject(o, "session", "s1");
	cJSON_AddStringToObject(o, "kind", "capture");
	return o;
}

static int
add(const char *sp, const char *id)
{
	struct werr e = { 0 };
	cJSON *o = entry("/tmp/x.jpg");
	int rc = spool_add(sp, id, o, &e);

	cJSON_Delete(o);
	return rc;
}

static cJSON *
read_state(const char *sp, int state, const char *id)
{
	char p[4096];

	path_fmt(p, sizeof p, NULL, "%s/%s/%s", sp, spool_state_name(state), id);
	return spool_read_entry(p, NULL);
}

static void
make_spool(char *sp, size_t len, const char *name)
{
	struct werr e = { 0 };

	path_fmt(sp, len, NULL, "%s/%s", top, name);
	ok(spool_init(sp, &e) == 0, "init %s", name);
}

static void
test_basics(void)
{
	struct spool_policy p;
	long long ms;

	ok(spool_id_valid("20261124T061418.123Z-node-0001"), "capture id is valid");
	ok(!spool_id_valid("../etc"), "slash rejected");
	ok(!spool_id_valid(".hidden"), "leading dot rejected");
	ok(!spool_id_valid(""), "empty rejected");
	ok(!spool_id_valid("a@1.2"), "@ rejected (claim separator)");
	is_int(spool_state_from_name("deferred"), SPOOL_DEFERRED, "state names");
	is_int(spool_state_from_name("bogus"), -1, "unknown state");
	is_str(spool_state_name(SPOOL_CORRUPT), "corrupt", "corrupt name");
	spool_policy_default(&p);
	p.backoff_min_ms = 1000;
	p.backoff_max_ms = 5000;
	is_int(spool_backoff_ms(&p, 1), 1000, "first backoff is the minimum");
	is_int(spool_backoff_ms(&p, 2), 2000, "then doubles");
	is_int(spool_backoff_ms(&p, 3), 4000, "doubles again");
	is_int(spool_backoff_ms(&p, 4), 5000, "capped");
	is_int(spool_backoff_ms(&p, 60), 5000, "stays capped, no overflow");
	ok(spool_parse_time("2026-11-24T06:14:18.123Z", &ms) == 0 && ms == 1795500858123LL,
	    "RFC 3339 with ms");
	ok(spool_parse_time("2026-11-24T07:14:18+01:00", &ms) == 0 && ms == 1795500858000LL,
	    "RFC 3339 with offset");
	ok(spool_parse_time("2026-11-24T06:14:18.5Z", &ms) == 0 && ms % 1000 == 500, "short fraction");
	ok(spool_parse_time("2026-11-24 06:14:18Z", &ms) < 0, "space rejected");
	ok(spool_parse_time("2026-11-24T06:14:18", &ms) < 0, "zone required");
	ok(spool_parse_time(NULL, &ms) < 0, "NULL rejected");
}

static void
test_add(void)
{
	char sp[4096];
	struct werr e = { 0 };
	cJSON *o;

	make_spool(sp, sizeof sp, "add");
	ok(add(sp, "id-0002") == 0, "add");
	ok(exists(sp, SPOOL_NEW, "id-0002"), "entry is in new/");
	o = read_state(sp, SPOOL_NEW, "id-0002");
	ok(o != NULL, "entry parses");
	is_str(cJSON_GetStringValue(cJSON_GetObjectItem(o, "id")), "id-0002", "id set");
	ok(cJSON_GetStringValue(cJSON_GetObjectItem(o, "enqueued_at")) != NULL, "enqueued_at added");
	is_int(cJSON_GetNumberValue(cJSON_GetObjectItem(o, "attempts")), 0, "attempts 0");
	cJSON_Delete(o);
	o = entry("/tmp/x.jpg");
	ok(spool_add(sp, "id-0002", o, &e) < 0 && e.code == EX_CANTCREAT && strstr(e.msg, "already queued"),
	    "duplicate id refused: %s", e.msg);
	ok(spool_add(sp, "../x", o, &e) < 0 && e.code == EX_DATAERR, "bad id refused");
	cJSON_Delete(o);
	o = cJSON_CreateObject();
	ok(spool_add(sp, "id-0003", o, &e) < 0 && e.code == EX_DATAERR, "entry without path refused");
	cJSON_Delete(o);
	is_int(count(sp, SPOOL_NEW), 1, "still one entry");
	{
		char tmpd[4096];
		path_fmt(tmpd, sizeof tmpd, NULL, "%s/tmp", sp);
		ok(rmdir(tmpd) == 0, "tmp/ is left empty");
		mkdir(tmpd, 0755);
	}
	ok(add("/nonexistent/spool", "id-1") < 0, "add to a missing spool fails");
}

static void
test_list_order(void)
{
	char sp[4096];
	struct werr e = { 0 };
	struct spool_item *v;
	size_t n;

	make_spool(sp, sizeof sp, "order");
	add(sp, "20261124T061418.125Z-n-0001");
	add(sp, "20261124T061418.123Z-n-0002");
	add(sp, "20261124T061418.123Z-n-0001");
	ok(spool_list(sp, SPOOL_NEW, &v, &n, &e) == 0 && n == 3, "three listed");
	is_str(v[0].id, "20261124T061418.123Z-n-0001", "oldest first");
	is_str(v[1].id, "20261124T061418.123Z-n-0002", "then by sequence");
	is_str(v[2].id, "20261124T061418.125Z-n-0001", "newest last");
	free(v);
	ok(spool_list("/nonexistent", SPOOL_NEW, &v, &n, &e) < 0 && e.code == EX_NOINPUT,
	    "missing directory");
}

static void
test_claim(void)
{
	char sp[4096], cur[4096], p[4096];
	struct spool_claimer me, c;
	struct werr e = { 0 };
	struct spool_item *v;
	char id[256];
	size_t n;
	cJSON *o;

	make_spool(sp, sizeof sp, "claim");
	ok(spool_self(&me, &e) == 0 && me.pid == getpid(), "self");
	ok(spool_claimer_alive(&me), "I am alive");
	add(sp, "a1");
	ok(spool_claim(sp, "a1", &me, &o, cur, sizeof cur, &e) == 1 && o != NULL, "claimed");
	is_str(cJSON_GetStringValue(cJSON_GetObjectItem(o, "id")), "a1", "claimed entry read");
	cJSON_Delete(o);
	ok(!exists(sp, SPOOL_NEW, "a1"), "left new/");
	ok(access(cur, F_OK) == 0, "in cur/");
	ok(spool_list(sp, SPOOL_CUR, &v, &n, &e) == 0 && n == 1 && v[0].claimed &&
	        v[0].claimer.pid == me.pid && v[0].claimer.start == me.start && strcmp(v[0].id, "a1") == 0,
	    "cur/ name records pid and start time");
	free(v);
	ok(spool_claim(sp, "a1", &me, &o, cur, sizeof cur, &e) == 0 && o == NULL,
	    "second claim finds it gone");
	ok(spool_parse_claim("x@12.34", id, sizeof id, &c) == 0 && c.pid == 12 && c.start == 34 &&
	        strcmp(id, "x") == 0,
	    "parse claim");
	ok(spool_parse_claim("x", id, sizeof id, &c) < 0, "no claim suffix");
	ok(spool_parse_claim("x@12.34z", id, sizeof id, &c) < 0, "junk after claim");
	ok(spool_parse_claim("x@0.34", id, sizeof id, &c) < 0, "pid 0");
	ok(spool_done(cur, &e) == 0 && access(cur, F_OK) < 0, "done removes it");
	ok(spool_done(cur, &e) < 0 && e.code == EX_NOINPUT, "done twice: no input");

	/* corrupt entries: not JSON, wrong id, no path */
	path_fmt(p, sizeof p, NULL, "%s/new/bad1", sp);
	atomic_write(p, "{\"id\":", 6, &e);
	ok(spool_claim(sp, "bad1", &me, &o, cur, sizeof cur, &e) == 2 && e.code == EX_DATAERR,
	    "truncated JSON quarantined: %s", e.msg);
	path_fmt(p, sizeof p, NULL, "%s/new/bad2", sp);
	atomic_write(p, "{\"id\":\"other\",\"path\":\"/x\"}", 27, &e);
	ok(spool_claim(sp, "bad2", &me, &o, cur, sizeof cur, &e) == 2 && strstr(e.msg, "other"),
	    "id mismatch quarantined");
	path_fmt(p, sizeof p, NULL, "%s/new/bad3", sp);
	atomic_write(p, "{\"id\":\"bad3\"}", 13, &e);
	ok(spool_claim(sp, "bad3", &me, &o, cur, sizeof cur, &e) == 2, "no path quarantined");
	is_int(count(sp, SPOOL_CORRUPT), 3, "three in corrupt/");
	is_int(count(sp, SPOOL_CUR), 0, "none left in cur/");
}

/* Claim id and return its cur path. */
static void
claim(const char *sp, const char *id, char *cur, size_t len)
{
	struct spool_claimer me;
	struct werr e = { 0 };
	cJSON *o = NULL;

	spool_self(&me, &e);
	if (spool_claim(sp, id, &me, &o, cur, len, &e) != 1)
		printf("# claim %s failed: %s\n", id, e.msg);
	cJSON_Delete(o);
}

static void
test_fail(void)
{
	char sp[4096], cur[4096];
	struct spool_policy p;
	struct werr e = { 0 };
	long long now = wall_ms(), t;
	cJSON *o;

	make_spool(sp, sizeof sp, "fail");
	spool_policy_default(&p);
	p.backoff_min_ms = 1000;
	p.backoff_max_ms = 4000;
	add(sp, "d1");
	claim(sp, "d1", cur, sizeof cur);
	is_int(spool_fail(sp, cur, &p, "timeout", "push: timed out", 0, now, &e), SPOOL_DEFERRED,
	    "transient failure deferred");
	ok(access(cur, F_OK) < 0 && exists(sp, SPOOL_DEFERRED, "d1"), "moved to deferred/");
	o = read_state(sp, SPOOL_DEFERRED, "d1");
	is_int(cJSON_GetNumberValue(cJSON_GetObjectItem(o, "attempts")), 1, "attempts counted");
	is_str(cJSON_GetStringValue(cJSON_GetObjectItem(o, "last_error")), "push: timed out", "reason kept");
	is_str(cJSON_GetStringValue(cJSON_GetObjectItem(o, "error_kind")), "timeout", "kind kept");
	ok(spool_parse_time(cJSON_GetStringValue(cJSON_GetObjectItem(o, "next_attempt_at")), &t) == 0 &&
	        t == now + 1000,
	    "next attempt after the minimum backoff");
	cJSON_Delete(o);
	ok(spool_fail(sp, cur, &p, "timeout", "x", 0, now, &e) < 0 && e.code == EX_NOINPUT,
	    "failing an entry no longer claimed");

	/* permanent */
	add(sp, "p1");
	claim(sp, "p1", cur, sizeof cur);
	is_int(spool_fail(sp, cur, &p, "missing", "/x.jpg: no such file", 1, now, &e), SPOOL_FAILED,
	    "permanent error fails at once");
	o = read_state(sp, SPOOL_FAILED, "p1");
	ok(o && cJSON_GetStringValue(cJSON_GetObjectItem(o, "failed_at")) != NULL, "failed_at recorded");
	is_str(cJSON_GetStringValue(cJSON_GetObjectItem(o, "last_error")), "/x.jpg: no such file",
	    "reason recorded");
	cJSON_Delete(o);

	/* max attempts */
	p.max_attempts = 2;
	add(sp, "m1");
	claim(sp, "m1", cur, sizeof cur);
	is_int(spool_fail(sp, cur, &p, "http", "HTTP 500", 0, now, &e), SPOOL_DEFERRED, "attempt 1 deferred");
	is_int(spool_retry(sp, "m1", now, &e), SPOOL_DEFERRED, "retry from deferred");
	claim(sp, "m1", cur, sizeof cur);
	o = NULL;
	is_int(spool_fail(sp, cur, &p, "http", "HTTP 500", 0, now, &e), SPOOL_DEFERRED,
	    "retry reset the attempts");
	{
		/* back to new by hand (time passes) and fail again: 2 attempts */
		struct spool_release r;
		ok(spool_release_due(sp, &p, now + 10000, &r, &e) == 0 && exists(sp, SPOOL_NEW, "m1"),
		    "released when due");
		claim(sp, "m1", cur, sizeof cur);
		is_int(spool_fail(sp, cur, &p, "http", "HTTP 500", 0, now, &e), SPOOL_FAILED,
		    "max attempts reached: failed");
		o = read_state(sp, SPOOL_FAILED, "m1");
		ok(o && strstr(cJSON_GetStringValue(cJSON_GetObjectItem(o, "last_error")), "gave up after 2"),
		    "reason says why");
		cJSON_Delete(o);
	}
	p.max_attempts = 0;

	/* lifetime */
	p.max_lifetime_ms = 60000;
	add(sp, "l1");
	claim(sp, "l1", cur, sizeof cur);
	is_int(spool_fail(sp, cur, &p, "unreachable", "refused", 0, wall_ms() + 61000, &e), SPOOL_FAILED,
	    "past max lifetime: failed");
	o = read_state(sp, SPOOL_FAILED, "l1");
	ok(o && strstr(cJSON_GetStringValue(cJSON_GetObjectItem(o, "last_error")), "expired"), "expired");
	cJSON_Delete(o);

	/* a claimed entry that turned corrupt */
	add(sp, "c1");
	claim(sp, "c1", cur, sizeof cur);
	atomic_write(cur, "garbage", 7, &e);
	is_int(spool_fail(sp, cur, &p, "http", "x", 0, now, &e), SPOOL_CORRUPT, "corrupt on fail: quarantined");
	ok(exists(sp, SPOOL_CORRUPT, strrchr(cur, '/') + 1), "in corrupt/ under its cur name");
}

static void
test_release(void)
{
	char sp[4096], cur[4096];
	struct spool_policy p;
	struct spool_release r;
	struct werr e = { 0 };
	long long now = wall_ms();
	const char *ids[] = { "u1", "u2", "u3", "t1" };
	size_t k;

	make_spool(sp, sizeof sp, "release");
	spool_policy_default(&p);
	p.backoff_min_ms = 1000;
	for (size_t i = 0; i < 4; i++) {
		add(sp, ids[i]);
		claim(sp, ids[i], cur, sizeof cur);
		spool_fail(sp, cur, &p, ids[i][0] == 'u' ? "unreachable" : "timeout", "x", 0,
		    now + (long long)i * 100, &e);
	}
	is_int(count(sp, SPOOL_DEFERRED), 4, "four deferred");
	ok(spool_release_due(sp, &p, now + 500, &r, &e) == 0 && r.released == 0, "nothing due yet");
	is_int(r.next_due_ms, now + 1000, "next due is the probe's time");
	ok(spool_release_due(sp, &p, now + 1000, &r, &e) == 0 && r.released == 1, "probe released");
	ok(exists(sp, SPOOL_NEW, "u1"), "the oldest unreachable entry is the probe");
	is_int(r.next_due_ms, now + 1300, "other entries keep their own timers");
	ok(spool_release_due(sp, &p, now + 5000, &r, &e) == 0 && r.released == 1,
	    "later: only the timeout entry, unreachable ones wait while the probe is out");
	ok(exists(sp, SPOOL_NEW, "t1") && exists(sp, SPOOL_DEFERRED, "u2") && exists(sp, SPOOL_DEFERRED, "u3"),
	    "u2, u3 wait");
	claim(sp, "u1", cur, sizeof cur);
	ok(spool_release_due(sp, &p, now + 5000, &r, &e) == 0 && r.released == 0,
	    "a claimed probe is still out");
	spool_fail(sp, cur, &p, "unreachable", "refused", 0, now + 5000, &e);
	ok(spool_release_due(sp, &p, now + 5500, &r, &e) == 0 && r.released == 0 && r.next_due_ms == now + 7000,
	    "the failed probe is the probe again, on its doubled backoff");
	ok(spool_kick(sp, &k, &e) == 0 && k == 3, "kick releases the unreachable ones");
	is_int(count(sp, SPOOL_NEW), 4, "all in new/");
	ok(spool_kick(sp, &k, &e) == 0 && k == 0, "kick with nothing deferred");

	/* expiry while deferred, and a corrupt deferred file */
	claim(sp, "u2", cur, sizeof cur);
	spool_fail(sp, cur, &p, "unreachable", "refused", 0, now, &e);
	{
		char path[4096];
		path_fmt(path, sizeof path, NULL, "%s/deferred/zz", sp);
		atomic_write(path, "{", 1, &e);
	}
	p.max_lifetime_ms = 1000;
	ok(spool_release_due(sp, &p, wall_ms() + 2000, &r, &e) == 0 && r.expired == 1 && r.corrupt == 1,
	    "expired and corrupt counted");
	ok(exists(sp, SPOOL_FAILED, "u2") && exists(sp, SPOOL_CORRUPT, "zz"), "moved to failed/ and corrupt/");
}

static void
test_retry(void)
{
	char sp[4096], cur[4096];
	struct spool_policy p;
	struct werr e = { 0 };
	cJSON *o;

	make_spool(sp, sizeof sp, "retry");
	spool_policy_default(&p);
	add(sp, "f1");
	claim(sp, "f1", cur, sizeof cur);
	spool_fail(sp, cur, &p, "http", "HTTP 400", 1, wall_ms(), &e);
	is_int(spool_retry(sp, "f1", wall_ms(), &e), SPOOL_FAILED, "retry from failed");
	o = read_state(sp, SPOOL_NEW, "f1");
	ok(o && cJSON_GetStringValue(cJSON_GetObjectItem(o, "retried_at")) != NULL &&
	        cJSON_GetNumberValue(cJSON_GetObjectItem(o, "attempts")) == 0,
	    "fresh start recorded");
	cJSON_Delete(o);
	ok(spool_retry(sp, "f1", wall_ms(), &e) < 0 && e.code == EX_NOINPUT, "retry of a new entry: no input");
	ok(spool_retry(sp, "nope", wall_ms(), &e) < 0 && e.code == EX_NOINPUT && strstr(e.msg, "nope"),
	    "unknown id named");
	ok(spool_retry(sp, "../x", wall_ms(), &e) < 0 && e.code == EX_USAGE, "bad id");
}

static void
ids_seen(void *ctx, const char *id)
{
	strcat(ctx, id);
	strcat(ctx, " ");
}

static void
test_recover(void)
{
	char sp[4096], p[4096], seen[256] = "";
	struct spool_claimer me, dead;
	struct werr e = { 0 };
	size_t n;
	pid_t pid;
	int st;

	make_spool(sp, sizeof sp, "recover");
	spool_self(&me, &e);
	/* a claimer that is gone: a child that exited */
	if ((pid = fork()) == 0)
		_exit(0);
	waitpid(pid, &st, 0);
	dead.pid = pid;
	dead.start = me.start;
	ok(!spool_claimer_alive(&dead), "an exited child is not alive");
	/* a reused pid: our own pid with another start time */
	struct spool_claimer reused = { me.pid, me.start + 1 };
	ok(!spool_claimer_alive(&reused), "same pid, other start time: not the claimer");
	ok(spool_proc_start(pid, &dead.start) < 0, "no /proc entry for the dead child");
	path_fmt(p, sizeof p, NULL, "%s/cur/r1@%ld.%llu", sp, (long)pid, me.start);
	atomic_write(p, "{\"id\":\"r1\",\"path\":\"/x\"}\n", 24, &e);
	path_fmt(p, sizeof p, NULL, "%s/cur/r2@%ld.%llu", sp, (long)me.pid, me.start + 1);
	atomic_write(p, "{\"id\":\"r2\",\"path\":\"/x\"}\n", 24, &e);
	path_fmt(p, sizeof p, NULL, "%s/cur/r3@%ld.%llu", sp, (long)me.pid, me.start);
	atomic_write(p, "{\"id\":\"r3\",\"path\":\"/x\"}\n", 24, &e);
	path_fmt(p, sizeof p, NULL, "%s/cur/r0", sp);
	atomic_write(p, "{\"id\":\"r0\",\"path\":\"/x\"}\n", 24, &e);
	ok(spool_recover(sp, &n, ids_seen, seen, &e) == 0 && n == 3, "three recovered (%s)", seen);
	is_str(seen, "r0 r1 r2 ", "unclaimed, dead and reused-pid claims, oldest first");
	ok(exists(sp, SPOOL_NEW, "r1") && exists(sp, SPOOL_NEW, "r2") && exists(sp, SPOOL_NEW, "r0"),
	    "back in new/");
	is_int(count(sp, SPOOL_CUR), 1, "the live claim stays");
	/* recovering next to an existing new/ copy drops the duplicate */
	path_fmt(p, sizeof p, NULL, "%s/cur/r1@%ld.%llu", sp, (long)pid, me.start);
	atomic_write(p, "{\"id\":\"r1\",\"path\":\"/x\"}\n", 24, &e);
	ok(spool_recover(sp, &n, NULL, NULL, &e) == 0 && n == 1 && count(sp, SPOOL_CUR) == 1 &&
	        count(sp, SPOOL_NEW) == 3,
	    "duplicate dropped, one copy kept");
}

static void
test_purge(void)
{
	char sp[4096], cur[4096], seen[256] = "";
	struct spool_policy p;
	struct werr e = { 0 };
	size_t n;

	make_spool(sp, sizeof sp, "purge");
	spool_policy_default(&p);
	add(sp, "x1");
	claim(sp, "x1", cur, sizeof cur);
	spool_fail(sp, cur, &p, "missing", "gone", 1, wall_ms(), &e);
	ok(spool_purge(sp, SPOOL_FAILED, 3600000, wall_ms(), &n, NULL, NULL, &e) == 0 && n == 0,
	    "too young to purge");
	ok(spool_purge(sp, SPOOL_FAILED, 3600000, wall_ms() + 3600000, &n, ids_seen, seen, &e) == 0 &&
	        n == 1,
	    "old enough: purged");
	is_str(seen, "x1 ", "purged id reported");
	ok(!exists(sp, SPOOL_FAILED, "x1"), "gone from failed/");
	ok(spool_purge(sp, SPOOL_NEW, 0, wall_ms(), &n, NULL, NULL, &e) < 0 && e.code == EX_USAGE,
	    "new entries are never purged");
	ok(spool_purge(sp, SPOOL_DEFERRED, 0, wall_ms(), &n, NULL, NULL, &e) < 0, "nor deferred ones");
	{
		char path[4096];
		path_fmt(path, sizeof path, NULL, "%s/new/q", sp);
		atomic_write(path, "x", 1, &e);
		ok(spool_quarantine(sp, path, &e) == 0, "quarantine");
		atomic_write(path, "y", 1, &e);
		ok(spool_quarantine(sp, path, &e) == 0 && exists(sp, SPOOL_CORRUPT, "q.1"),
		    "a second file of the same name gets a suffix");
		ok(spool_quarantine(sp, path, &e) < 0 && e.code == EX_NOINPUT, "quarantine of a missing file");
	}
	ok(spool_purge(sp, SPOOL_CORRUPT, 0, wall_ms() + 10, &n, NULL, NULL, &e) == 0 && n == 2,
	    "purge corrupt/");
}

static void
test_tmp_and_has(void)
{
	char sp[4096], p[4096], cur[4096];
	struct werr e = { 0 };
	size_t n;
	pid_t pid;
	int st;

	make_spool(sp, sizeof sp, "tmp");
	if ((pid = fork()) == 0)
		_exit(0);
	waitpid(pid, &st, 0);
	path_fmt(p, sizeof p, NULL, "%s/tmp/x1.%ld.abcdef", sp, (long)pid);
	atomic_write(p, "{", 1, &e);
	path_fmt(p, sizeof p, NULL, "%s/tmp/x2.%ld.abcdef", sp, (long)getpid());
	atomic_write(p, "{", 1, &e);
	path_fmt(p, sizeof p, NULL, "%s/tmp/junk", sp);
	atomic_write(p, "{", 1, &e);
	ok(spool_clean_tmp(sp, wall_ms(), &n, &e) == 0 && n == 1, "the dead writer's tmp file removed");
	ok(access(p, F_OK) == 0, "a name without a pid stays while young");
	ok(spool_clean_tmp(sp, wall_ms() + 2 * 3600 * 1000LL, &n, &e) == 0 && n == 2,
	    "anything an hour old goes");
	ok(spool_clean_tmp("/nonexistent", wall_ms(), &n, &e) < 0, "missing spool");
	ok(!spool_has(sp, "h1"), "no entry");
	add(sp, "h1");
	ok(spool_has(sp, "h1"), "entry in new/");
	claim(sp, "h1", cur, sizeof cur);
	ok(spool_has(sp, "h1"), "claimed entry found in cur/");
	ok(!spool_has(sp, "h"), "a prefix is not the id");
}

int
main(void)
{
	path_fmt(top, sizeof top, NULL, "%s/wanda-test-spool.XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (mkdtemp(top) == NULL)
		return 1;
	test_basics();
	test_add();
	test_list_order();
	test_claim();
	test_fail();
	test_release();
	test_retry();
	test_recover();
	test_purge();
	test_tmp_and_has();
	{
		char cmd[4200];
		snprintf(cmd, sizeof cmd, "rm -rf '%s'", top);
		if (system(cmd) != 0)
			printf("# could not remove %s\n", top);
	}
	return done_testing();
}
