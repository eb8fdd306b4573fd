/* sync: the pacer's schedule, index.json validation, session selection,
 * peers_allow, the sync.json state transitions and the mirrors list. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "tap.h"
#include "base/atomicio.h"
#include "net/pacer.h"
#include "net/peerlist.h"
#include "net/rootindex.h"
#include "net/syncstate.h"

static void
test_pacer(void)
{
	struct pacer p;

	pacer_init(&p, 1000000); /* 1 MB/s */
	/* a fresh pacer has half a second of credit */
	is_int(pacer_take(&p, 500000, 10000000), 0, "the burst goes through at once");
	is_int(pacer_take(&p, 1000000, 10000000), 1000000, "then a second per MB");
	is_int(pacer_take(&p, 100000, 10500000), 600000, "the schedule is kept across calls");
	/* a long idle time gives at most the burst */
	is_int(pacer_take(&p, 1500000, 100000000), 1000000, "idle credit capped at half a second");
	pacer_destroy(&p);
	pacer_init(&p, 0);
	is_int(pacer_take(&p, 1u << 30, 0), 0, "rate 0: no limit");
	pacer_destroy(&p);
}

static const char good[] =
    "{\"format\":\"wanda-index\",\"version\":1,\"node\":{\"id\":\"12D3KooWA\"},\"profile\":\"unixfs-v1-2025\","
    "\"counts\":{\"sessions\":2,\"captures\":3,\"bytes\":30},\"future\":true,\"sessions\":["
    "{\"name\":\"a-1\",\"cid\":\"bafkqaaa\",\"path\":\"sessions/a-1\",\"count\":1,\"bytes\":10,\"tsize\":20,"
    "\"first\":\"2026-11-23T21:00:00.000Z\",\"last\":\"2026-11-23T22:00:00.000Z\"},"
    "{\"name\":\"b\",\"cid\":\"bafkqaaa\",\"path\":\"sessions/b\",\"count\":2,\"bytes\":20,\"tsize\":40}]}";

static int
parse_with(const char *from, const char *to, struct werr *e)
{
	char buf[2048];
	const char *at = strstr(good, from);
	struct rootindex ix;
	int rc;

	snprintf(buf, sizeof buf, "%.*s%s%s", (int)(at - good), good, to, at + strlen(from));
	rc = rootindex_parse(buf, strlen(buf), "ix", &ix, e);
	rootindex_free(&ix);
	return rc;
}

static void
test_rootindex(void)
{
	struct rootindex ix;
	struct werr e = { 0 };

	is_int(rootindex_parse(good, strlen(good), "ix", &ix, &e), 0, "a good index parses");
	is_int((int)ix.n, 2, "two sessions");
	is_str(ix.node_id, "12D3KooWA", "node.id");
	is_int((int)ix.s[0].tsize, 20, "tsize");
	is_str(ix.s[1].first, "", "no first: empty");
	rootindex_free(&ix);
	is_int(parse_with("\"version\":1", "\"version\":2", &e), -1, "version 2 refused");
	is_str(e.msg, "ix: unsupported version 2", "with a message saying so");
	is_int(parse_with("wanda-index", "wanda-other", &e), -1, "another format refused");
	is_int(parse_with("sessions/b", "../etc", &e), -1, "a path that is not sessions/NAME refused");
	is_int(parse_with("\"name\":\"b\"", "\"name\":\"../b\"", &e), -1, "a bad session name refused");
	is_int(parse_with("\"tsize\":40", "\"tsize\":-1", &e), -1, "a negative size refused");
	is_int(parse_with("\"tsize\":40", "\"tsize\":1.5", &e), -1, "a fractional size refused");
	is_int(parse_with("\"name\":\"b\"", "\"name\":\"0\"", &e), -1, "unsorted sessions refused");
	is_int(parse_with("bafkqaaa", "not-a-cid", &e), -1, "a bad CID refused");
	is_int(parse_with("2026-11-23T22:00:00.000Z", "yesterday", &e), -1, "a bad time refused");
	is_int(rootindex_parse("[1]", 3, "ix", &ix, &e), -1, "not an object");
}

static void
test_filter(void)
{
	struct rootindex_filter f = { NULL, "", "" };
	struct werr e = { 0 };
	char d[40];

	is_int(rootindex_filter_date(d, "2026-11-23", 0, "--since", &e), 0, "a date");
	is_str(d, "2026-11-23T00:00:00.000Z", "--since starts the day");
	rootindex_filter_date(d, "2026-11-23", 1, "--until", &e);
	is_str(d, "2026-11-23T23:59:59.999Z", "--until ends it");
	is_int(rootindex_filter_date(d, "2026-11-23T10:00:00Z", 0, "--since", &e), 0, "a time");
	is_str(d, "2026-11-23T10:00:00.000Z", "normalised");
	is_int(rootindex_filter_date(d, "23/11/2026", 0, "--since", &e), -1, "another format refused");
	is_int(e.code, 64, "a usage error");
	ok(rootindex_selected(&f, "m42", "", ""), "no filter: everything");
	f.glob = "m4*";
	ok(!rootindex_selected(&f, "m31", "", ""), "glob leaves m31 out");
	rootindex_filter_date(f.since, "2026-11-24", 0, "--since", &e);
	ok(!rootindex_selected(&f, "m42", "2026-11-23T21:00:00.000Z", "2026-11-23T23:00:00.000Z"),
	    "ended before --since");
	ok(rootindex_selected(&f, "m42", "2026-11-23T21:00:00.000Z", "2026-11-24T01:00:00.000Z"),
	    "overlaps --since");
	ok(!rootindex_selected(&f, "m42", "", ""), "no capture time: left out when a date is given");
}

static void
test_allow(void)
{
	ok(peer_allowed(NULL, "P1"), "no list: everyone");
	ok(peer_allowed(" , ", "P1"), "an empty list: everyone");
	ok(peer_allowed("P0, P1", "P1"), "listed");
	ok(!peer_allowed("P0 P12", "P1"), "a prefix is not the peer");
}

static void
test_state(void)
{
	char home[] = "/tmp/wanda-test-sync-XXXXXX", cmd[128];
	struct syncstate s;
	struct werr e = { 0 };
	cJSON *sess, *m;

	if (!mkdtemp(home))
		return (void)ok(0, "mkdtemp");
	is_int(syncstate_load(&s, home, &e), 0, "no sync.json: an empty state");
	sess = syncstate_session(&s, "PB", "m42", 1);
	syncstate_set(sess, "pinning", "bafkqaaa", 0, NULL);
	syncstate_set(sess, "failed", NULL, 5, "peer gone");
	syncstate_set(sess, "pinning", NULL, 0, NULL);
	is_int(cJSON_GetObjectItem(sess, "attempts")->valueint, 2, "each pinning counts an attempt");
	syncstate_set(sess, "pinned", NULL, 99, NULL);
	ok(cJSON_IsNull(cJSON_GetObjectItem(sess, "last_error")), "pinned clears last_error");
	ok(cJSON_IsString(cJSON_GetObjectItem(sess, "pinned_at")), "and sets pinned_at");
	syncstate_set(syncstate_session(&s, "PA", "z", 1), "pinned", "bafkqaaa", 1, NULL);
	syncstate_set(syncstate_session(&s, "PA", "q", 1), "failed", "bafkqaaa", 1, "x");
	is_int(syncstate_cid_users(&s, "bafkqaaa"), 2, "two pinned entries hold the CID");
	syncstate_peer_done(&s, "PB", 0);
	syncstate_peer_done(&s, "PB", 0);
	is_int(cJSON_GetObjectItem(syncstate_peer(&s, "PB", 0), "failures")->valueint, 2, "failures in a row");
	is_int(syncstate_save(&s, &e), 0, "saved");
	syncstate_free(&s);
	m = syncstate_mirrors(home, &e);
	is_int(cJSON_GetArraySize(m), 2, "two mirrors (the failed entry is not one)");
	is_str(cJSON_GetObjectItem(cJSON_GetArrayItem(m, 0), "peer")->valuestring, "PA", "sorted by peer");
	cJSON_Delete(m);
	snprintf(cmd, sizeof cmd, "%s/state/sync.json", home);
	atomic_write(cmd, "{\"v\":2}", 7, &e);
	is_int(syncstate_load(&s, home, &e), -1, "another version refused, never overwritten");
	snprintf(cmd, sizeof cmd, "rm -rf %s", home);
	if (system(cmd) != 0)
		printf("# could not remove %s\n", home);
}

int
main(void)
{
	test_pacer();
	test_rootindex();
	test_filter();
	test_allow();
	test_state();
	return done_testing();
}
