/* announce: parse and build discovery messages (see announce.h). */
#include <arpa/inet.h>
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "net/announce.h"
#include "ipld/cid.h"
#include "ipld/multibase.h"
#include "ipld/multihash.h"
#include "spool/spool.h"

static const char *const err_names[AN_NERR] = {
	"ok",
	"too_big",
	"bad_json",
	"version",
	"bad_field",
	"bad_peer",
	"bad_cid",
	"bad_addr",
	"from_mismatch",
	"seq_backwards",
	"rate_limited",
	"not_allowed",
	"table_full",
};

const char *
announce_err_name(enum announce_err r)
{
	return (unsigned)r < AN_NERR ? err_names[r] : "unknown";
}

/* A libp2p peer id: base58btc of a multihash (identity for ed25519 keys
 * "12D3KooW...", sha2-256 for RSA "Qm..."), or a CIDv1 with the
 * libp2p-key codec (base36 "k51..." IPNS names). */
int
announce_peer_id_ok(const char *s)
{
	uint8_t b[128];
	const uint8_t *dg;
	size_t n, dl;
	uint64_t code;
	struct werr e = { 0 };
	struct cid c;

	if (s == NULL || strlen(s) < 10 || strlen(s) >= ANNOUNCE_ID_MAX)
		return 0;
	if (s[0] == '1' || s[0] == 'Q') {
		if (b58_decode(s, b, sizeof b, &n) < 0)
			return 0;
		if (mh_parse(b, n, &code, &dg, &dl) != (int)n)
			return 0;
		return (code == 0x00 && dl <= 64 && dl >= 32) || (code == 0x12 && dl == 32);
	}
	return cid_parse(s, &c, &e) == 0 && c.version == 1 && c.codec == CODEC_LIBP2P_KEY;
}

enum ma_arg { MA_NONE,
	MA_IP4,
	MA_IP6,
	MA_PORT,
	MA_HOST,
	MA_PEER,
	MA_MB,
	MA_ZONE };
static const struct {
	const char *name;
	enum ma_arg arg;
} ma_protos[] = {
	{ "ip4", MA_IP4 },
	{ "ip6", MA_IP6 },
	{ "ip6zone", MA_ZONE },
	{ "dns", MA_HOST },
	{ "dns4", MA_HOST },
	{ "dns6", MA_HOST },
	{ "dnsaddr", MA_HOST },
	{ "tcp", MA_PORT },
	{ "udp", MA_PORT },
	{ "quic", MA_NONE },
	{ "quic-v1", MA_NONE },
	{ "webtransport", MA_NONE },
	{ "certhash", MA_MB },
	{ "ws", MA_NONE },
	{ "wss", MA_NONE },
	{ "tls", MA_NONE },
	{ "sni", MA_HOST },
	{ "noise", MA_NONE },
	{ "http", MA_NONE },
	{ "https", MA_NONE },
	{ "p2p", MA_PEER },
	{ "ipfs", MA_PEER },
	{ "p2p-circuit", MA_NONE },
	{ "webrtc", MA_NONE },
	{ "webrtc-direct", MA_NONE },
};

static int
host_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 253)
		return 0;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '-' && *s != '.' && *s != '_')
			return 0;
	return 1;
}

static int
ma_arg_ok(enum ma_arg k, const char *v)
{
	unsigned char b[16];
	uint8_t mb[128];
	size_t n;
	char *end;
	long port;
	struct werr e = { 0 };

	switch (k) {
	case MA_IP4: return inet_pton(AF_INET, v, b) == 1;
	case MA_IP6: return inet_pton(AF_INET6, v, b) == 1;
	case MA_PORT:
		if (!isdigit((unsigned char)*v))
			return 0;
		port = strtol(v, &end, 10);
		return *end == '\0' && port >= 0 && port <= 65535 && strlen(v) <= 5;
	case MA_HOST: return host_ok(v);
	case MA_PEER: return announce_peer_id_ok(v);
	case MA_MB: return strlen(v) < 120 && mb_decode(v, mb, sizeof mb, &n, NULL, &e) == 0;
	case MA_ZONE: return *v != '\0' && strlen(v) < 64;
	case MA_NONE: return 1;
	}
	return 0;
}

/* Syntax only: /proto[/value]... with protocols libp2p dials; no
 * /unix (a path on the peer's machine means nothing here). */
int
announce_multiaddr_ok(const char *s)
{
	char buf[ANNOUNCE_ADDR_MAX], *p, *comp, *val;
	size_t i, ncomp = 0;

	if (s == NULL || s[0] != '/' || strlen(s) >= sizeof buf)
		return 0;
	memcpy(buf, s, strlen(s) + 1);
	p = buf + 1;
	while (p != NULL && *p != '\0') {
		comp = strsep(&p, "/");
		for (i = 0; i < sizeof ma_protos / sizeof ma_protos[0]; i++)
			if (strcmp(comp, ma_protos[i].name) == 0)
				break;
		if (i == sizeof ma_protos / sizeof ma_protos[0])
			return 0;
		if (ma_protos[i].arg != MA_NONE) {
			if (p == NULL || (val = strsep(&p, "/")) == NULL || !ma_arg_ok(ma_protos[i].arg, val))
				return 0;
		}
		ncomp++;
		if (p != NULL && *p == '\0')
			return 0; /* a trailing '/' */
	}
	return ncomp > 0;
}

/* 2026-12-02T04:00:00Z, with fractional seconds or an offset. */
int
announce_ts_ok(const char *s)
{
	long long ms;

	return s != NULL && strlen(s) < ANNOUNCE_TS_MAX && spool_parse_time(s, &ms) == 0;
}

static int
get_uint(const cJSON *o, const char *key, uint64_t max, uint64_t *out)
{
	const cJSON *it = cJSON_GetObjectItemCaseSensitive(o, key);

	if (!cJSON_IsNumber(it) || !isfinite(it->valuedouble) || it->valuedouble < 0 ||
	    it->valuedouble > (double)max || it->valuedouble != floor(it->valuedouble))
		return -1;
	*out = (uint64_t)it->valuedouble;
	return 0;
}

static int
get_str(const cJSON *o, const char *key, char *out, size_t cap)
{
	const cJSON *it = cJSON_GetObjectItemCaseSensitive(o, key);

	if (!cJSON_IsString(it) || strlen(it->valuestring) >= cap)
		return -1;
	memcpy(out, it->valuestring, strlen(it->valuestring) + 1);
	return 0;
}

static enum announce_err
bad(struct werr *e, enum announce_err r, const char *what)
{
	werr_set(e, EX_DATAERR, "%s: %s", announce_err_name(r), what);
	return r;
}

static enum announce_err
parse_caps(const cJSON *o, struct announce *a, struct werr *e)
{
	const cJSON *caps = cJSON_GetObjectItemCaseSensitive(o, "caps");
	const cJSON *serve, *cluster;
	uint64_t port;

	if (!cJSON_IsObject(caps))
		return bad(e, AN_BAD_FIELD, "caps is not an object");
	serve = cJSON_GetObjectItemCaseSensitive(caps, "serve");
	cluster = cJSON_GetObjectItemCaseSensitive(caps, "cluster");
	if (serve == NULL || cJSON_IsNull(serve))
		a->serve_port = 0;
	else if (get_uint(caps, "serve", 65535, &port) < 0 || port == 0)
		return bad(e, AN_BAD_FIELD, "caps.serve is not a port or null");
	else
		a->serve_port = (int)port;
	if (cluster != NULL && !cJSON_IsBool(cluster))
		return bad(e, AN_BAD_FIELD, "caps.cluster is not a boolean");
	a->cluster = cJSON_IsTrue(cluster);
	return AN_OK;
}

static enum announce_err
parse_addrs(const cJSON *o, struct announce *a, struct werr *e)
{
	const cJSON *addrs = cJSON_GetObjectItemCaseSensitive(o, "addrs"), *it;

	if (!cJSON_IsArray(addrs) || cJSON_GetArraySize(addrs) > ANNOUNCE_MAX_ADDRS)
		return bad(e, AN_BAD_FIELD, "addrs is not an array of at most 16");
	a->naddrs = 0;
	cJSON_ArrayForEach(it, addrs)
	{
		if (!cJSON_IsString(it) || !announce_multiaddr_ok(it->valuestring))
			return bad(e, AN_BAD_ADDR, "an address is not a multiaddr");
		memcpy(a->addrs[a->naddrs++], it->valuestring, strlen(it->valuestring) + 1);
	}
	return AN_OK;
}

static enum announce_err
parse_obj(const cJSON *o, struct announce *a, struct werr *e)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, "v");
	const cJSON *root = cJSON_GetObjectItemCaseSensitive(o, "root");
	char type[16];
	struct cid c;
	struct werr ce = { 0 };
	enum announce_err r;

	if (!cJSON_IsNumber(v) || v->valuedouble != ANNOUNCE_V)
		return bad(e, AN_VERSION, "v is not 1");
	a->v = ANNOUNCE_V;
	if (get_str(o, "type", type, sizeof type) < 0)
		return bad(e, AN_BAD_FIELD, "type is not a string");
	if (strcmp(type, "announce") == 0)
		a->type = ANNOUNCE_ANNOUNCE;
	else if (strcmp(type, "request") == 0)
		a->type = ANNOUNCE_REQUEST;
	else
		return bad(e, AN_BAD_FIELD, "type is not announce or request");
	if (get_str(o, "peer", a->peer, sizeof a->peer) < 0 || !announce_peer_id_ok(a->peer))
		return bad(e, AN_BAD_PEER, "peer is not a peer id");
	if (get_str(o, "ipns", a->ipns, sizeof a->ipns) < 0 || !announce_peer_id_ok(a->ipns))
		return bad(e, AN_BAD_PEER, "ipns is not an IPNS name");
	if (root == NULL || cJSON_IsNull(root))
		a->root[0] = '\0';
	else if (get_str(o, "root", a->root, sizeof a->root) < 0 || cid_parse(a->root, &c, &ce) < 0)
		return bad(e, AN_BAD_CID, "root is not a CID");
	if (get_uint(o, "seq", ANNOUNCE_SEQ_MAX, &a->seq) < 0 || a->seq == 0)
		return bad(e, AN_BAD_FIELD, "seq is not a positive integer");
	if (get_uint(o, "sessions", ANNOUNCE_SEQ_MAX, &a->sessions) < 0)
		return bad(e, AN_BAD_FIELD, "sessions is not a count");
	if (get_uint(o, "free_bytes", ANNOUNCE_SEQ_MAX, &a->free_bytes) < 0)
		return bad(e, AN_BAD_FIELD, "free_bytes is not a count");
	if (get_str(o, "ts", a->ts, sizeof a->ts) < 0 || !announce_ts_ok(a->ts))
		return bad(e, AN_BAD_FIELD, "ts is not an RFC 3339 time");
	if ((r = parse_addrs(o, a, e)) != AN_OK)
		return r;
	return parse_caps(o, a, e);
}

enum announce_err
announce_parse(const void *p, size_t n, struct announce *out, struct werr *e)
{
	const char *end = NULL;
	cJSON *o;
	enum announce_err r;

	memset(out, 0, sizeof *out);
	if (n > ANNOUNCE_MAX_BYTES)
		return bad(e, AN_TOO_BIG, "over 16 KiB");
	if (n == 0 || memchr(p, '\0', n) != NULL)
		return bad(e, AN_BAD_JSON, "empty or a NUL byte");
	o = cJSON_ParseWithLengthOpts(p, n, &end, 0);
	if (o == NULL || !cJSON_IsObject(o)) {
		cJSON_Delete(o);
		return bad(e, AN_BAD_JSON, "not a JSON object");
	}
	for (; end != NULL && end < (const char *)p + n && isspace((unsigned char)*end); end++)
		;
	if (end != (const char *)p + n) {
		cJSON_Delete(o);
		return bad(e, AN_BAD_JSON, "data after the object");
	}
	r = parse_obj(o, out, e);
	cJSON_Delete(o);
	return r;
}

cJSON *
announce_to_json(const struct announce *a)
{
	cJSON *o = cJSON_CreateObject(), *addrs, *caps;

	if (o == NULL)
		return NULL;
	cJSON_AddNumberToObject(o, "v", ANNOUNCE_V);
	cJSON_AddStringToObject(o, "type", a->type == ANNOUNCE_REQUEST ? "request" : "announce");
	cJSON_AddStringToObject(o, "peer", a->peer);
	cJSON_AddStringToObject(o, "ipns", a->ipns);
	if (a->root[0])
		cJSON_AddStringToObject(o, "root", a->root);
	else
		cJSON_AddNullToObject(o, "root");
	cJSON_AddNumberToObject(o, "seq", (double)a->seq);
	cJSON_AddNumberToObject(o, "sessions", (double)a->sessions);
	cJSON_AddStringToObject(o, "ts", a->ts);
	addrs = cJSON_AddArrayToObject(o, "addrs");
	for (size_t i = 0; addrs != NULL && i < a->naddrs; i++)
		cJSON_AddItemToArray(addrs, cJSON_CreateString(a->addrs[i]));
	caps = cJSON_AddObjectToObject(o, "caps");
	if (caps != NULL) {
		if (a->serve_port > 0)
			cJSON_AddNumberToObject(caps, "serve", a->serve_port);
		else
			cJSON_AddNullToObject(caps, "serve");
		cJSON_AddBoolToObject(caps, "cluster", a->cluster);
	}
	cJSON_AddNumberToObject(o, "free_bytes", (double)a->free_bytes);
	return o;
}
