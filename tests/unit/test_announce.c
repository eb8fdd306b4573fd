/* announce: the discovery message parser refuses every hostile case with
 * the right reason, and what it builds it parses back. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "net/announce.h"
#include "tap.h"

#define PEER "12D3KooWJQKGrAnyATVKE7oSXqDcY8Pz6pCZg1M6Bkt8txyF925p"
#define IPNS "k51qzi5uqu5dgsoyzt2v08puqahgabn29z7bjb8eeoaao0juwhuxb6fnbznui4"
#define ROOT "bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi"

static char msg[32768];

/* A valid message with one field replaced (key NULL: as is). */
static const char *
with(const char *key, const char *json_value)
{
	cJSON *o = cJSON_Parse("{\"v\":1,\"type\":\"announce\",\"peer\":\"" PEER "\",\"ipns\":\"" IPNS "\","
	                       "\"root\":\"" ROOT "\",\"seq\":1764650000000,\"sessions\":3,\"ts\":\"2026-12-02T04:00:00.123Z\","
	                       "\"addrs\":[\"/ip4/10.77.0.1/tcp/4001\",\"/ip6/::1/udp/4001/quic-v1/p2p/" PEER "\"],"
	                       "\"caps\":{\"serve\":8080,\"cluster\":false},\"free_bytes\":123456789}");
	char *s;

	if (key != NULL) {
		cJSON_DeleteItemFromObjectCaseSensitive(o, key);
		if (json_value != NULL)
			cJSON_AddItemToObject(o, key, cJSON_Parse(json_value));
	}
	s = cJSON_PrintUnformatted(o);
	snprintf(msg, sizeof msg, "%s", s);
	free(s);
	cJSON_Delete(o);
	return msg;
}

static void
refused(const char *m, enum announce_err want, const char *what)
{
	struct announce a;
	struct werr e = { 0 };
	enum announce_err r = announce_parse(m, strlen(m), &a, &e);

	is_str(announce_err_name(r), announce_err_name(want), "%s", what);
}

static void
test_valid(void)
{
	struct announce a, b;
	struct werr e = { 0 };
	const char *m = with(NULL, NULL);
	cJSON *o;
	char *txt;

	is_int(announce_parse(m, strlen(m), &a, &e), AN_OK, "a valid announce parses");
	is_str(a.peer, PEER, "peer");
	is_str(a.root, ROOT, "root");
	is_int(a.seq, 1764650000000LL, "seq");
	is_int(a.naddrs, 2, "two addrs");
	is_int(a.serve_port, 8080, "serve port");
	is_int(a.free_bytes, 123456789, "free bytes");
	o = announce_to_json(&a);
	txt = cJSON_PrintUnformatted(o);
	is_int(announce_parse(txt, strlen(txt), &b, &e), AN_OK, "what it builds parses");
	ok(memcmp(&a, &b, sizeof a) == 0, "round trip is exact");
	free(txt);
	cJSON_Delete(o);
	m = with("root", "null");
	is_int(announce_parse(m, strlen(m), &a, &e), AN_OK, "root null (no root yet) is fine");
	is_str(a.root, "", "root empty");
	m = with("caps", "{\"serve\":null}");
	is_int(announce_parse(m, strlen(m), &a, &e), AN_OK, "serve null, cluster absent");
	m = with("unknown_field", "[1,2,3]");
	is_int(announce_parse(m, strlen(m), &a, &e), AN_OK, "unknown fields are ignored (minor change)");
	m = with("type", "\"request\"");
	is_int(announce_parse(m, strlen(m), &a, &e), AN_OK, "a request parses");
	is_int(a.type, ANNOUNCE_REQUEST, "type request");
}

static void
test_hostile(void)
{
	char *big = malloc(ANNOUNCE_MAX_BYTES + 2);

	memset(big, ' ', ANNOUNCE_MAX_BYTES + 1);
	big[ANNOUNCE_MAX_BYTES + 1] = '\0';
	big[0] = '{';
	big[ANNOUNCE_MAX_BYTES] = '}';
	refused(big, AN_TOO_BIG, "over 16 KiB");
	free(big);
	refused("", AN_BAD_JSON, "empty");
	refused("{\"v\":1", AN_BAD_JSON, "truncated JSON");
	refused("[1]", AN_BAD_JSON, "an array");
	refused("{} {}", AN_BAD_JSON, "two objects");
	refused(with("v", "2"), AN_VERSION, "major version 2");
	refused(with("v", "\"1\""), AN_VERSION, "v as a string");
	refused(with("v", NULL), AN_VERSION, "no v");
	refused(with("type", "\"hello\""), AN_BAD_FIELD, "unknown type");
	refused(with("peer", "\"12D3KooWnotapeer\""), AN_BAD_PEER, "peer not a peer id");
	refused(with("peer", "\"" ROOT "\""), AN_BAD_PEER, "a dag-pb CID as peer");
	refused(with("ipns", "42"), AN_BAD_PEER, "ipns a number");
	refused(with("root", "\"QmNotACid\""), AN_BAD_CID, "root not a CID");
	refused(with("root", "\"../../etc/passwd\""), AN_BAD_CID, "root a path");
	refused(with("seq", "-1"), AN_BAD_FIELD, "negative seq");
	refused(with("seq", "0"), AN_BAD_FIELD, "seq 0");
	refused(with("seq", "1.5"), AN_BAD_FIELD, "fractional seq");
	refused(with("seq", "1e300"), AN_BAD_FIELD, "huge seq");
	refused(with("ts", "\"yesterday\""), AN_BAD_FIELD, "ts not RFC 3339");
	refused(with("addrs", "[\"10.0.0.1:4001\"]"), AN_BAD_ADDR, "host:port is not a multiaddr");
	refused(with("addrs", "[\"/ip4/300.0.0.1/tcp/1\"]"), AN_BAD_ADDR, "bad ip4");
	refused(with("addrs", "[\"/ip4/1.2.3.4/tcp/70000\"]"), AN_BAD_ADDR, "bad port");
	refused(with("addrs", "[\"/unix/tmp/sock\"]"), AN_BAD_ADDR, "unix socket");
	refused(with("addrs", "[\"/ip4/1.2.3.4/tcp/\"]"), AN_BAD_ADDR, "missing port");
	refused(with("addrs", "[\"/ip4/1.2.3.4/tcp/1/\"]"), AN_BAD_ADDR, "trailing slash");
	refused(with("addrs", "[1]"), AN_BAD_ADDR, "addr a number");
	refused(with("addrs", "[\"/ip4/1.1.1.1/tcp/1\",\"/ip4/1.1.1.1/tcp/1\",\"/ip4/1.1.1.1/tcp/1\","
	                      "\"/ip4/1.1.1.1/tcp/1\",\"/ip4/1.1.1.1/tcp/1\",\"/ip4/1.1.1.1/tcp/1\",\"/ip4/1.1.1.1/tcp/1\","
	                      "\"/ip4/1.1.1.1/tcp/1\",\"/ip4/1.1.1.1/tcp/1\",\"/ip4/1.1.1.1/tcp/1\",\"/ip4/1.1.1.1/tcp/1\","
	                      "\"/ip4/1.1.1.1/tcp/1\",\"/ip4/1.1.1.1/tcp/1\",\"/ip4/1.1.1.1/tcp/1\",\"/ip4/1.1.1.1/tcp/1\","
	                      "\"/ip4/1.1.1.1/tcp/1\",\"/ip4/1.1.1.1/tcp/1\"]"),
	    AN_BAD_FIELD, "17 addrs");
	refused(with("caps", "{\"serve\":0}"), AN_BAD_FIELD, "serve port 0");
	refused(with("caps", "{\"serve\":8080,\"cluster\":\"yes\"}"), AN_BAD_FIELD, "cluster a string");
	refused(with("free_bytes", "\"lots\""), AN_BAD_FIELD, "free_bytes a string");
}

static void
test_fields(void)
{
	ok(announce_peer_id_ok(PEER), "ed25519 peer id");
	ok(announce_peer_id_ok("QmYyQSo1c1Ym7orWxLYvCrM2EmxFTANf8wXmmE7DWjhx5N"), "RSA (sha2-256) peer id");
	ok(announce_peer_id_ok(IPNS), "base36 libp2p-key name");
	ok(!announce_peer_id_ok(ROOT), "a dag-pb CID is no peer id");
	ok(announce_multiaddr_ok("/dns4/node.local/tcp/4001/p2p/" PEER), "dns4 with p2p");
	ok(announce_multiaddr_ok("/ip4/1.2.3.4/udp/4001/quic-v1/webtransport"), "quic-v1 webtransport");
	ok(announce_multiaddr_ok("/p2p/" PEER "/p2p-circuit"), "circuit");
	ok(!announce_multiaddr_ok("/"), "a bare slash");
	ok(!announce_multiaddr_ok("/dns4/a b/tcp/1"), "a space in a host");
	ok(announce_ts_ok("2026-12-02T04:00:00+01:00"), "ts with an offset");
	ok(!announce_ts_ok("2026-12-02 04:00:00"), "ts without T");
}

int
main(void)
{
	FILE *f;

	test_valid();
	test_hostile();
	test_fields();
	/* WANDA_CORPUS_DIR: write the seed corpus (tests/fuzz/corpus/announce) */
	if (getenv("WANDA_CORPUS_DIR") != NULL) {
		char p[4096];
		snprintf(p, sizeof p, "%s/valid.json", getenv("WANDA_CORPUS_DIR"));
		if ((f = fopen(p, "w")) != NULL) {
			fputs(with(NULL, NULL), f);
			fclose(f);
		}
	}
	return done_testing();
}
