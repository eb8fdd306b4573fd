/* peers: join, update, stale, gone and back; every drop rule; the score;
 * peers.json written and loaded back. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "net/peers.h"
#include "tap.h"

#define P1 "12D3KooWJK3y1tSiKKjxitLE6Nnju48MrGcfUrQiMZgL2wRz8dHb"
#define P2 "12D3KooWMi3Mt9RicvBKnrb8rY9GhSRM5HbA5RnnwSzwG2zqYRGZ"
#define ME "12D3KooWFiqD4yyNpqgU3HJUhqrEHfW6tx7TqDrWv2nAh5yELMii"
#define ROOT1 "bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi"
#define ROOT2 "QmbFMke1KXqnYyBBWxB74N4c5SBnJMVAiMNRcGu6x1AwQH"
#define HB 1000

static char buf[1024];

static const char *
msg(const char *peer, const char *root, unsigned long long seq, const char *type)
{
	snprintf(buf, sizeof buf, "{\"v\":1,\"type\":\"%s\",\"peer\":\"%s\",\"ipns\":\"%s\",\"root\":\"%s\","
	                          "\"seq\":%llu,\"sessions\":1,\"ts\":\"2026-12-02T04:00:00Z\",\"addrs\":[\"/ip4/10.77.0.2/tcp/4001\"],"
	                          "\"caps\":{\"serve\":null,\"cluster\":false},\"free_bytes\":1}",
	    type, peer, peer, root, seq);
	return buf;
}

static enum announce_err
rx(struct peer_table *t, const char *from, const char *m, long long mono, enum peer_event *ev, int *req)
{
	const struct peer *p;
	struct werr e = { 0 };

	return peers_receive(t, from, m, strlen(m), 1764650000000LL + mono, mono, ev, &p, req, &e);
}

static int lefts;
static void
on_left(void *ctx, const struct peer *p)
{
	(void)ctx;
	(void)p;
	lefts++;
}

static void
test_lifecycle(void)
{
	struct peers_cfg c = { .heartbeat_ms = HB, .self = ME };
	struct peer_table *t = peers_new(&c, NULL);
	enum peer_event ev;
	int req;

	is_int(rx(t, P1, msg(P1, ROOT1, 10, "request"), 1000, &ev, &req), AN_OK, "first message accepted");
	is_int(ev, PEER_EV_JOINED, "peer_joined");
	is_int(req, 1, "a request asks for announces");
	is_int(rx(t, P1, msg(P1, ROOT1, 11, "announce"), 1500, &ev, &req), AN_OK, "heartbeat accepted");
	is_int(ev, PEER_EV_NONE, "same root: no event");
	is_int(rx(t, P1, msg(P1, ROOT2, 12, "announce"), 1600, &ev, &req), AN_OK, "new root accepted");
	is_int(ev, PEER_EV_UPDATED, "peer_updated on a root change");
	is_int(rx(t, P1, msg(P1, ROOT2, 12, "announce"), 1700, &ev, &req), AN_SEQ, "same seq dropped");
	is_int(rx(t, P1, msg(P1, ROOT2, 5, "announce"), 1800, &ev, &req), AN_SEQ, "seq backwards dropped");
	is_int(rx(t, ME, msg(ME, ROOT2, 5, "announce"), 1800, &ev, &req), AN_OK, "our own message skipped");
	is_int(peers_count(t), 1, "our own peer is not listed");
	peers_tick(t, 1600 + 1400, on_left, NULL);
	is_str(peer_state_name(peers_at(t, 0)->state), "alive", "alive at 1.4 heartbeats");
	peers_tick(t, 1600 + 2000, on_left, NULL);
	is_str(peer_state_name(peers_at(t, 0)->state), "stale", "stale at 2 heartbeats");
	peers_tick(t, 1600 + 3600, on_left, NULL);
	is_str(peer_state_name(peers_at(t, 0)->state), "gone", "gone after 3 missed heartbeats");
	is_int(lefts, 1, "peer_left once");
	ok(peers_at(t, 0)->score == 0, "score 0 when gone");
	is_int(rx(t, P1, msg(P1, ROOT2, 3, "announce"), 9000, &ev, &req), AN_OK, "back after gone, any seq");
	is_int(ev, PEER_EV_JOINED, "joined again");
	peers_free(t);
}

static void
test_drops(void)
{
	char *allow[] = { P1 };
	struct peers_cfg c = { .heartbeat_ms = HB, .self = ME };
	struct peer_table *t = peers_new(&c, NULL);
	enum peer_event ev;
	int req, dropped = 0;
	char *big;

	is_int(rx(t, P2, msg(P1, ROOT1, 1, "announce"), 1000, &ev, &req), AN_FROM, "from != peer dropped");
	is_int(rx(t, P2, "{not json", 1000, &ev, &req), AN_BAD_JSON, "bad JSON dropped");
	big = calloc(1, ANNOUNCE_MAX_BYTES + 10);
	memset(big, ' ', ANNOUNCE_MAX_BYTES + 5);
	is_int(rx(t, P2, big, 1000, &ev, &req), AN_TOO_BIG, "over 16 KiB dropped");
	free(big);
	for (int i = 0; i < 100; i++)
		dropped += rx(t, P2, msg(P2, ROOT1, 100 + i, "announce"), 2000, &ev, &req) == AN_RATE;
	ok(dropped >= 85, "a flood of 100 in a moment: %d dropped by the rate limit", dropped);
	is_int(rx(t, P1, msg(P1, ROOT1, 1, "announce"), 2000, &ev, &req), AN_OK, "another sender is not limited");
	is_int(rx(t, P2, msg(P2, ROOT1, 1000, "announce"), 9000, &ev, &req), AN_OK, "the flooder is heard again later");
	is_int(peers_stats(t)->dropped[AN_FROM], 1, "from mismatch counted");
	is_int(peers_stats(t)->dropped[AN_RATE], dropped, "rate drops counted");
	peers_free(t);
	c.allow = allow;
	c.nallow = 1;
	t = peers_new(&c, NULL);
	is_int(rx(t, P2, msg(P2, ROOT1, 1, "announce"), 1000, &ev, &req), AN_NOT_ALLOWED, "not in peers_allow");
	is_int(rx(t, P1, msg(P1, ROOT1, 1, "announce"), 1000, &ev, &req), AN_OK, "in peers_allow");
	ok(peers_should_log(t, AN_NOT_ALLOWED, 1000), "first drop logged");
	ok(!peers_should_log(t, AN_NOT_ALLOWED, 5000), "not again within 10 s");
	ok(peers_should_log(t, AN_NOT_ALLOWED, 12000), "again after 10 s");
	peers_free(t);
}

static void
test_file(void)
{
	struct peers_cfg c = { .heartbeat_ms = HB, .self = ME };
	struct peer_table *t = peers_new(&c, NULL), *u = peers_new(&c, NULL);
	char path[] = "/tmp/test_peers.XXXXXX";
	enum peer_event ev;
	int req, fd = mkstemp(path);
	struct werr e = { 0 };
	cJSON *doc, *sync = cJSON_Parse("{\"v\":1,\"peers\":{\"" P1 "\":{\"last_success\":\"2026-12-02T04:00:00Z\",\"failures\":0}}}");

	close(fd);
	rx(t, P1, msg(P1, ROOT1, 42, "announce"), 1000, &ev, &req);
	peers_set_rtt(t, P1, 3);
	peers_apply_sync(t, sync);
	cJSON_Delete(sync);
	peers_tick(t, 1000, NULL, NULL);
	ok(peers_at(t, 0)->sync_ok == 1.0, "sync success read from sync.json");
	is_int(peers_write(t, path, 1764650001000LL, &e), 0, "peers.json written");
	is_int(peers_read(path, &doc, &e), 0, "peers.json read");
	is_str(cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(doc, "peers"), 0), "state")->valuestring,
	    "alive", "state in the file");
	ok(cJSON_IsNumber(cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(doc, "peers"), 0), "rtt_ms")),
	    "rtt_ms in the file");
	cJSON_Delete(doc);
	is_int(peers_load(u, path, 1764650001500LL, 50000, &e), 0, "loaded back");
	is_int(peers_count(u), 1, "one peer");
	is_int(peers_at(u, 0)->a.seq, 42, "seq kept");
	is_int(peers_at(u, 0)->rtt_ms, 3, "rtt kept");
	is_str(peer_state_name(peers_at(u, 0)->state), "alive", "half a heartbeat old: alive");
	ok(peers_at(u, 0)->first_seen == 1764650001000LL, "first_seen kept");
	peers_free(u);
	c.allow = (char *[]){ P2 };
	c.nallow = 1;
	u = peers_new(&c, NULL);
	is_int(peers_load(u, path, 1764650001500LL, 50000, &e), 0, "loaded with a peers_allow");
	is_int(peers_count(u), 0, "a peer peers_allow leaves out is not loaded");
	unlink(path);
	is_int(peers_read(path, &doc, &e), 0, "a missing peers.json is no error");
	ok(doc == NULL, "... and gives no document");
	peers_free(t);
	peers_free(u);
}

static void
test_score(void)
{
	struct peer p = { .state = PEER_ALIVE, .last_mono = 0, .joined_mono = 0, .rtt_ms = -1, .sync_ok = -1 };
	double s0 = peers_score(&p, 0, HB), s1;

	ok(s0 > 0 && s0 <= 1, "score in 0..1 (%g)", s0);
	p.rtt_ms = 1;
	p.sync_ok = 1;
	s1 = peers_score(&p, 0, HB);
	ok(s1 > s0, "a fast, synced peer scores higher (%g > %g)", s1, s0);
	ok(peers_score(&p, 3000, HB) < s1, "an older message scores lower");
	ok(peers_score(&p, 3600LL * 1000, 3600LL * 1000) > peers_score(&p, 0, 3600LL * 1000) - 0.4,
	    "uptime counts");
}

int
main(void)
{
	test_lifecycle();
	test_drops();
	test_file();
	test_score();
	return done_testing();
}
