/* discover: the wanda-discover daemon loop (see discover.h). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>
#include "net/discover.h"
#include "net/dworker.h"
#include "net/peers.h"
#include "base/atomicio.h"
#include "base/buf.h"
#include "base/clock.h"
#include "base/eventlog.h"
#include "base/path.h"
#include "ipld/cid.h"
#include "kubo/kubo.h"

#define TICK_MS 100
#define ANNOUNCE_GAP_MS 1000 /* at most one announce a second, bursts coalesced */
#define ROOT_POLL_MS 5000    /* re-read root.json even without inotify */
#define TOPIC_POLL_MS 1000   /* pubsub/peers: who else is on the topic */
#define PING_MIN_MS 10000
#define SYNC_READ_MS 30000
#define WRITE_GAP_MS 250
#define RECONNECT_PEERS 8
#define REDIAL_MS 1000           /* reach stale and gone peers this often... */
#define REDIAL_FAST_MIN_MS 60000 /* ... for max(10 heartbeats, this) after they were last heard */
#define UNREACH_MAX 32
#define ROOT_FILE_MAX 65536
#define SYNC_FILE_MAX (16 << 20)

struct disc {
	const struct discover_cfg *c;
	struct kubo *sub, *rpc;
	struct dworker *w;  /* pings, pubsub/peers */
	struct dworker *wr; /* reaches (swarm/connect, ping, disconnect): may wait seconds */
	struct peer_table *t;
	char self[ANNOUNCE_ID_MAX], ipns[ANNOUNCE_ID_MAX];
	size_t naddrs;
	char addrs[ANNOUNCE_MAX_ADDRS][ANNOUNCE_ADDR_MAX];
	char root[ANNOUNCE_CID_MAX];
	uint64_t sessions, seq, sent, stats_sig;
	int have_self, subscribed, peering_done, inotify_fd, want_request;
	long long next_hb, next_root, next_round, next_ping, next_topic, next_sync, next_redial;
	long long last_announce, last_request, early_at, last_write, last_stats, last_warn;
	size_t ntopic;
	char topic[DWORKER_TOPIC_PEERS][ANNOUNCE_ID_MAX];
	size_t nunreach; /* peers whose last reach failed */
	char unreach[UNREACH_MAX][ANNOUNCE_ID_MAX];
	uint64_t rng;
	char peers_path[PATH_MAX], stats_path[PATH_MAX], root_path[PATH_MAX], sync_path[PATH_MAX];
};

static uint64_t
rnd(struct disc *d)
{
	d->rng ^= d->rng << 13;
	d->rng ^= d->rng >> 7;
	d->rng ^= d->rng << 17;
	return d->rng;
}

/* hb ±20% */
static long long
jittered(struct disc *d, int64_t hb)
{
	return (long long)(hb * 8 / 10) + (long long)(rnd(d) % (uint64_t)(hb * 4 / 10 + 1));
}

static void
logf_(struct disc *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void
logf_(struct disc *d, const char *fmt, ...)
{
	char line[700];
	va_list ap;

	if (d->c->log == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	d->c->log(d->c->ctx, line);
}

/* A failure of our own side (publish, identify): one line per 10 s. */
static void
warn_limited(struct disc *d, const char *what, const struct werr *e)
{
	if (d->last_warn != 0 && mono_ms() - d->last_warn < 10000)
		return;
	d->last_warn = mono_ms();
	logf_(d, "%s: %s", what, e->msg);
}

/* state/root.json: {"cid","sessions",...}; no file or no valid CID: no root. */
static int
read_root(struct disc *d)
{
	char *s = NULL, cid[ANNOUNCE_CID_MAX] = "";
	size_t n;
	struct stat st;
	struct werr e = { 0 };
	struct cid c;
	uint64_t sessions = 0;
	cJSON *o = NULL, *it;
	int changed;

	if (stat(d->root_path, &st) == 0 && st.st_size <= ROOT_FILE_MAX && read_file(d->root_path, &s, &n, &e) == 0)
		o = cJSON_ParseWithLength(s, n);
	free(s);
	it = cJSON_GetObjectItemCaseSensitive(o, "cid");
	if (cJSON_IsString(it) && strlen(it->valuestring) < sizeof cid && cid_parse(it->valuestring, &c, &e) == 0)
		snprintf(cid, sizeof cid, "%s", it->valuestring);
	it = cJSON_GetObjectItemCaseSensitive(o, "sessions");
	if (cJSON_IsNumber(it) && it->valuedouble >= 0 && it->valuedouble < (double)ANNOUNCE_SEQ_MAX)
		sessions = (uint64_t)it->valuedouble;
	cJSON_Delete(o);
	changed = strcmp(cid, d->root) != 0 || sessions != d->sessions;
	snprintf(d->root, sizeof d->root, "%s", cid);
	d->sessions = sessions;
	return changed;
}

static void
fill(struct disc *d, enum announce_type type, struct announce *a)
{
	struct statvfs vfs;
	long long now = wall_ms();

	memset(a, 0, sizeof *a);
	a->v = ANNOUNCE_V;
	a->type = type;
	snprintf(a->peer, sizeof a->peer, "%s", d->self);
	snprintf(a->ipns, sizeof a->ipns, "%s", d->ipns);
	snprintf(a->root, sizeof a->root, "%s", d->root);
	/* seq: unix ms, or one more than the last if the clock stood still */
	d->seq = (uint64_t)now > d->seq ? (uint64_t)now : d->seq + 1;
	a->seq = d->seq;
	a->sessions = d->sessions;
	rfc3339_ms(now, a->ts, sizeof a->ts);
	a->naddrs = d->naddrs;
	memcpy(a->addrs, d->addrs, sizeof a->addrs);
	a->serve_port = d->c->serve_port;
	a->cluster = d->c->cluster;
	if (statvfs(d->c->home, &vfs) == 0)
		a->free_bytes = (uint64_t)vfs.f_bavail * vfs.f_frsize;
	if (a->free_bytes > ANNOUNCE_SEQ_MAX)
		a->free_bytes = ANNOUNCE_SEQ_MAX;
}

static int
publish(struct disc *d, enum announce_type type, cJSON **sent, struct werr *e)
{
	struct announce a;
	cJSON *o;
	char *txt;
	int rc;

	fill(d, type, &a);
	if ((o = announce_to_json(&a)) == NULL || (txt = cJSON_PrintUnformatted(o)) == NULL) {
		cJSON_Delete(o);
		return werr_set(e, EX_OSERR, "out of memory");
	}
	rc = kubo_pubsub_pub(d->rpc, d->c->topic, txt, strlen(txt), e);
	free(txt);
	if (rc == 0) {
		d->sent++;
		d->last_announce = mono_ms();
		if (type == ANNOUNCE_REQUEST)
			d->last_request = d->last_announce;
	}
	if (sent != NULL && rc == 0)
		*sent = o;
	else
		cJSON_Delete(o);
	return rc;
}

static void
announce_now(struct disc *d, enum announce_type type)
{
	struct werr e = { 0 };

	if (!d->subscribed)
		return;
	if (publish(d, type, NULL, &e) < 0)
		warn_limited(d, "pubsub/pub", &e);
	d->early_at = 0;
	d->next_hb = mono_ms() + jittered(d, d->c->heartbeat_ms);
}

/* Our peer id, addresses and IPNS name (the ipns_key's name, else the
 * peer id: the node's own key names it then). */
static int
identify(struct disc *d, struct werr *e)
{
	struct kubo_id id;
	struct kubo_key key;
	int found = 0;

	if (kubo_id(d->rpc, &id, e) < 0)
		return -1;
	if (!announce_peer_id_ok(id.id) || text_fmt(d->self, sizeof d->self, "%s", id.id))
		return werr_set(e, EX_PROTOCOL, "id: %s is not a peer id", id.id);
	d->naddrs = 0;
	for (size_t i = 0; i < id.naddrs && d->naddrs < ANNOUNCE_MAX_ADDRS; i++)
		if (announce_multiaddr_ok(id.addrs[i]))
			snprintf(d->addrs[d->naddrs++], ANNOUNCE_ADDR_MAX, "%s", id.addrs[i]);
	snprintf(d->ipns, sizeof d->ipns, "%s", d->self);
	if (d->c->ipns_key != NULL && kubo_key_find(d->rpc, d->c->ipns_key, &key, &found, e) == 0 && found &&
	    announce_peer_id_ok(key.id) && strlen(key.id) < sizeof d->ipns)
		memcpy(d->ipns, key.id, strlen(key.id) + 1);
	d->have_self = 1;
	return 0;
}

/* One Peering.Peers entry {"ID","Addrs":[...]} for MA/p2p/ID. */
static cJSON *
peering_entry(const char *ma, const char *p2p)
{
	cJSON *ent = cJSON_CreateObject(), *addrs;
	char addr[ANNOUNCE_ADDR_MAX];

	cJSON_AddStringToObject(ent, "ID", p2p + 5);
	addrs = cJSON_AddArrayToObject(ent, "Addrs");
	if (p2p > ma) {
		snprintf(addr, sizeof addr, "%.*s", (int)(p2p - ma), ma);
		cJSON_AddItemToArray(addrs, cJSON_CreateString(addr));
	}
	return ent;
}

/* Peering.Peers as it is, without the entries of the ids in ours. */
static cJSON *
peering_current(struct disc *d, const cJSON *ours)
{
	struct kubo_param p[] = { { "arg", "Peering.Peers" }, { NULL, NULL } };
	struct werr e = { 0 };
	cJSON *o = NULL, *v, *it, *keep = cJSON_CreateArray();

	if (kubo_rpc_json(d->rpc, "config", p, KUBO_IDEMPOTENT, &o, &e) < 0) {
		cJSON_Delete(o);
		return keep;
	}
	v = cJSON_GetObjectItemCaseSensitive(o, "Value");
	cJSON_ArrayForEach(it, v)
	{
		const char *id = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(it, "ID"));
		const cJSON *m;
		int mine = 0;

		cJSON_ArrayForEach(m, ours)
		    mine |= id != NULL && strcmp(id, cJSON_GetObjectItem(m, "ID")->valuestring) == 0;
		if (!mine)
			cJSON_AddItemToArray(keep, cJSON_Duplicate(it, 1));
	}
	cJSON_Delete(o);
	return keep;
}

/* peers_static: connect now (swarm/peering/add keeps the connection) and
 * record them in Kubo's Peering.Peers so the mesh survives a restart
 * without the DHT. Errors are logged: a static peer is a help, not a need. */
static void
peering(struct disc *d)
{
	struct werr e = { 0 };
	cJSON *ours = cJSON_CreateArray(), *all, *it, *o = NULL;
	char *txt;

	d->peering_done = 1;
	for (size_t i = 0; i < d->c->nstatic; i++) {
		const char *ma = d->c->statics[i], *p2p = strstr(ma, "/p2p/");
		struct kubo_param p[] = { { "arg", ma }, { NULL, NULL } };

		if (p2p == NULL || !announce_multiaddr_ok(ma) || strchr(p2p + 5, '/') != NULL) {
			logf_(d, "peers_static: %s: not a multiaddr ending in /p2p/PEER", ma);
			continue;
		}
		if (kubo_rpc_json(d->rpc, "swarm/peering/add", p, 0, &o, &e) < 0)
			logf_(d, "peers_static: %s", e.msg);
		cJSON_Delete(o);
		o = NULL;
		cJSON_AddItemToArray(ours, peering_entry(ma, p2p));
	}
	if (cJSON_GetArraySize(ours) > 0) {
		all = peering_current(d, ours);
		while ((it = cJSON_DetachItemFromArray(ours, 0)) != NULL)
			cJSON_AddItemToArray(all, it);
		if ((txt = cJSON_PrintUnformatted(all)) != NULL) {
			struct kubo_param p[] = { { "arg", "Peering.Peers" }, { "arg", txt }, { "json", "true" }, { NULL, NULL } };
			if (kubo_rpc_json(d->rpc, "config", p, 0, &o, &e) < 0)
				logf_(d, "config Peering.Peers: %s", e.msg);
			cJSON_Delete(o);
			free(txt);
		}
		cJSON_Delete(all);
	}
	cJSON_Delete(ours);
}

static void
emit_event(struct disc *d, enum peer_event ev, const struct peer *p)
{
	cJSON *o, *addrs;
	struct werr e = { 0 };

	/* peers.json first: whoever reacts to the event reads what it announces */
	if (peers_write(d->t, d->peers_path, wall_ms(), &e) < 0) {
		warn_limited(d, "peers.json", &e);
	} else {
		peers_clear_dirty(d->t);
		d->last_write = mono_ms();
	}
	if ((o = event_new(peer_event_name(ev))) == NULL)
		return;
	cJSON_AddStringToObject(o, "peer", p->a.peer);
	if (p->a.root[0])
		cJSON_AddStringToObject(o, "root", p->a.root);
	else
		cJSON_AddNullToObject(o, "root");
	cJSON_AddStringToObject(o, "ipns", p->a.ipns);
	cJSON_AddNumberToObject(o, "seq", (double)p->a.seq);
	cJSON_AddNumberToObject(o, "sessions", (double)p->a.sessions);
	addrs = cJSON_AddArrayToObject(o, "addrs");
	for (size_t i = 0; i < p->a.naddrs; i++)
		cJSON_AddItemToArray(addrs, cJSON_CreateString(p->a.addrs[i]));
	if (event_append(d->c->home, o, &e) < 0)
		warn_limited(d, "events.jsonl", &e);
	if (d->c->emit != NULL)
		d->c->emit(d->c->ctx, o);
	else
		cJSON_Delete(o);
}

static void
on_left(void *ctx, const struct peer *p)
{
	emit_event(ctx, PEER_EV_LEFT, p);
}

static void
connect_peer(struct disc *d, const struct peer *p)
{
	dworker_reach(d->wr, p->a.peer, p->a.addrs, p->a.naddrs);
}

static void
on_message(struct disc *d, const struct kubo_pubsub_msg *m)
{
	const struct peer *p;
	enum peer_event ev;
	enum announce_err r;
	struct werr e = { 0 };
	long long mono = mono_ms();
	int request;

	r = peers_receive(d->t, m->from, m->data, m->len, wall_ms(), mono, &ev, &p, &request, &e);
	if (r != AN_OK) {
		if (peers_should_log(d->t, r, mono))
			logf_(d, "dropped a message from %.60s: %s (%llu dropped as %s so far)", m->from, e.msg,
			    (unsigned long long)peers_stats(d->t)->dropped[r], announce_err_name(r));
		return;
	}
	if (ev != PEER_EV_NONE)
		emit_event(d, ev, p);
	if (ev == PEER_EV_JOINED)
		connect_peer(d, p); /* a connection of our own, and its RTT */
	/* answer a request soon, and announce to a peer that joins (or comes
	 * back after we marked it gone: it may have marked us gone too), but
	 * never more than once a second */
	if ((request || ev == PEER_EV_JOINED) && d->early_at == 0) {
		long long at = mono + (long long)(rnd(d) % 300);
		d->early_at = at > d->last_announce + ANNOUNCE_GAP_MS ? at : d->last_announce + ANNOUNCE_GAP_MS;
	}
}

/* A peer on the topic we have not heard (it joined, or our link came
 * back): ask everyone to announce, at most once per max(1 s, hb/10). */
static void
on_topic_peers(struct disc *d, const struct dworker_results *r)
{
	for (size_t i = 0; i < r->ntopic; i++) {
		int known = 0;

		for (size_t j = 0; j < d->ntopic && !known; j++)
			known = strcmp(r->topic[i], d->topic[j]) == 0;
		d->want_request |= !known;
	}
	d->ntopic = r->ntopic;
	memcpy(d->topic, r->topic, sizeof d->topic);
}

/* A peer that did not answer a reach and now does: the link came back.
 * Ask everyone to announce; the request is an announce itself, so the
 * peer lists us at once, and its answer comes within 300 ms. */
static void
on_reach(struct disc *d, const char *peer, int ok, int alive)
{
	size_t i = 0;

	while (i < d->nunreach && strcmp(d->unreach[i], peer) != 0)
		i++;
	if (ok && i < d->nunreach) {
		memmove(d->unreach[i], d->unreach[--d->nunreach], ANNOUNCE_ID_MAX);
		d->want_request |= !alive;
	} else if (!ok && i == d->nunreach && d->nunreach < UNREACH_MAX) {
		snprintf(d->unreach[d->nunreach++], ANNOUNCE_ID_MAX, "%s", peer);
	}
}

static int is_alive(const struct disc *d, const char *peer);

static void
take_results(struct disc *d)
{
	struct dworker_results *r = malloc(sizeof *r);

	if (r == NULL)
		return;
	dworker_take(d->w, r);
	for (size_t i = 0; i < r->nrtt; i++)
		peers_set_rtt(d->t, r->rtt[i].peer, r->rtt[i].rtt_ms);
	if (r->have_topic)
		on_topic_peers(d, r);
	dworker_take(d->wr, r);
	for (size_t i = 0; i < r->nrtt; i++)
		peers_set_rtt(d->t, r->rtt[i].peer, r->rtt[i].rtt_ms);
	for (size_t i = 0; i < r->nreach; i++)
		on_reach(d, r->reach[i].peer, r->reach[i].ok, is_alive(d, r->reach[i].peer));
	free(r);
}

/* sync.json (wanda-sync's) for the sync part of the score. */
static void
read_sync(struct disc *d)
{
	struct stat st;
	struct werr e = { 0 };
	char *s = NULL;
	size_t n;
	cJSON *o;

	if (stat(d->sync_path, &st) < 0 || st.st_size > SYNC_FILE_MAX || read_file(d->sync_path, &s, &n, &e) < 0)
		return;
	o = cJSON_ParseWithLength(s, n);
	free(s);
	if (cJSON_IsObject(o))
		peers_apply_sync(d->t, o);
	cJSON_Delete(o);
}

static int
is_alive(const struct disc *d, const char *peer)
{
	for (size_t i = 0; i < peers_count(d->t); i++)
		if (strcmp(peers_at(d->t, i)->a.peer, peer) == 0)
			return peers_at(d->t, i)->state == PEER_ALIVE;
	return 0;
}

/* peers_static we do not hear: swarm/connect them ourselves too (Kubo's
 * Peering service may wait seconds before its first dial). */
static void
connect_statics(struct disc *d)
{
	char ma[1][ANNOUNCE_ADDR_MAX];

	for (size_t i = 0; i < d->c->nstatic; i++) {
		const char *p2p = strstr(d->c->statics[i], "/p2p/");

		if (p2p != NULL && announce_multiaddr_ok(d->c->statics[i]) && !is_alive(d, p2p + 5)) {
			snprintf(ma[0], sizeof ma[0], "%s", d->c->statics[i]);
			dworker_reach(d->wr, p2p + 5, (const char(*)[ANNOUNCE_ADDR_MAX])ma, 1);
		}
	}
}

/* Reach the peers we do not hear (the dworker drops a reach already
 * queued): every REDIAL_MS, whatever the heartbeat, those heard within
 * max(10 heartbeats, 1 min), so a link that comes back is used within
 * about a second (swarm/connect clears libp2p's dial backoff); once a
 * heartbeat (all) also those heard within the last day. */
static void
redial(struct disc *d, long long mono, int all)
{
	long long fast = 10 * d->c->heartbeat_ms > REDIAL_FAST_MIN_MS ? 10 * d->c->heartbeat_ms : REDIAL_FAST_MIN_MS;
	size_t asked = 0;

	for (int pass = 0; pass < 1 + all; pass++) {
		for (size_t i = 0; i < peers_count(d->t) && asked < RECONNECT_PEERS; i++) {
			const struct peer *p = peers_at(d->t, i);
			long long age = wall_ms() - p->last_seen;

			if (p->state != PEER_ALIVE && (pass == 0 ? age < fast : age >= fast && age < 86400000LL)) {
				connect_peer(d, p);
				asked++;
			}
		}
	}
	d->next_redial = mono + REDIAL_MS;
}

/* Every heartbeat: reconnect to peers we lost long ago and to static
 * peers we do not hear; ping the others now and then. */
static void
round_(struct disc *d, long long mono)
{
	int ping = mono >= d->next_ping;

	connect_statics(d);
	redial(d, mono, 1);
	for (size_t i = 0; i < peers_count(d->t); i++) {
		const struct peer *p = peers_at(d->t, i);

		if (ping && p->state == PEER_ALIVE)
			dworker_ping(d->w, p->a.peer);
	}
	if (ping)
		d->next_ping = mono + (d->c->heartbeat_ms > PING_MIN_MS ? d->c->heartbeat_ms : PING_MIN_MS);
	d->next_round = mono + d->c->heartbeat_ms;
}

/* inotify on state/: a hint that root.json was replaced. */
static int
root_hint(struct disc *d)
{
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	ssize_t n;
	int hit = 0;

	if (d->inotify_fd < 0)
		return 0;
	while ((n = read(d->inotify_fd, buf, sizeof buf)) > 0) {
		for (char *p = buf; p < buf + n;) {
			struct inotify_event *ev = (struct inotify_event *)p;
			hit |= ev->len > 0 && strcmp(ev->name, "root.json") == 0;
			p += sizeof *ev + ev->len;
		}
	}
	return hit;
}

static void
write_stats(struct disc *d, long long mono)
{
	const struct peers_stats *st = peers_stats(d->t);
	uint64_t sig = st->received + d->sent;
	cJSON *o, *dr;
	char *txt, ts[40];
	struct werr e = { 0 };
	long rss = 0;
	FILE *f;

	if (sig == d->stats_sig || mono - d->last_stats < 1000)
		return;
	d->stats_sig = sig;
	d->last_stats = mono;
	if ((f = fopen("/proc/self/statm", "r")) != NULL) {
		long size;
		if (fscanf(f, "%ld %ld", &size, &rss) != 2)
			rss = 0;
		fclose(f);
	}
	o = cJSON_CreateObject();
	cJSON_AddNumberToObject(o, "v", 1);
	rfc3339_ms(wall_ms(), ts, sizeof ts);
	cJSON_AddStringToObject(o, "updated_at", ts);
	cJSON_AddStringToObject(o, "peer", d->self);
	cJSON_AddNumberToObject(o, "received", (double)st->received);
	cJSON_AddNumberToObject(o, "accepted", (double)st->accepted);
	cJSON_AddNumberToObject(o, "own", (double)st->own);
	cJSON_AddNumberToObject(o, "sent", (double)d->sent);
	dr = cJSON_AddObjectToObject(o, "dropped");
	for (int r = 1; r < AN_NERR; r++)
		cJSON_AddNumberToObject(dr, announce_err_name(r), (double)st->dropped[r]);
	cJSON_AddNumberToObject(o, "rss_kb", (double)rss * (double)sysconf(_SC_PAGESIZE) / 1024);
	txt = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	if (txt != NULL && atomic_write(d->stats_path, txt, strlen(txt), &e) < 0)
		warn_limited(d, "discover.json", &e);
	free(txt);
}

static void
write_files(struct disc *d, long long mono, int force)
{
	struct werr e = { 0 };

	if (peers_dirty(d->t) && (force || mono - d->last_write >= WRITE_GAP_MS)) {
		if (peers_write(d->t, d->peers_path, wall_ms(), &e) < 0)
			warn_limited(d, "peers.json", &e);
		peers_clear_dirty(d->t);
		d->last_write = mono;
	}
	write_stats(d, force ? mono + 1000000 : mono);
}

/* Everything time-driven, about every TICK_MS. */
static void
tick(struct disc *d)
{
	long long mono = mono_ms();
	int64_t hb = d->c->heartbeat_ms;

	take_results(d);
	if (root_hint(d) || mono >= d->next_root) {
		d->next_root = mono + (hb < ROOT_POLL_MS ? hb : ROOT_POLL_MS);
		if (read_root(d) && d->early_at == 0)
			d->early_at = d->last_announce + ANNOUNCE_GAP_MS > mono ? d->last_announce + ANNOUNCE_GAP_MS : mono;
	}
	if (d->want_request && d->subscribed &&
	    mono - d->last_request >= (hb / 10 > ANNOUNCE_GAP_MS ? hb / 10 : ANNOUNCE_GAP_MS)) {
		d->want_request = 0;
		announce_now(d, ANNOUNCE_REQUEST);
	}
	if (mono >= d->next_hb || (d->early_at != 0 && mono >= d->early_at))
		announce_now(d, ANNOUNCE_ANNOUNCE);
	peers_tick(d->t, mono, on_left, d);
	if (mono >= d->next_round)
		round_(d, mono);
	else if (mono >= d->next_redial)
		redial(d, mono, 0);
	if (mono >= d->next_topic) {
		dworker_topic_peers(d->w);
		d->next_topic = mono + TOPIC_POLL_MS;
	}
	if (mono >= d->next_sync) {
		read_sync(d);
		d->next_sync = mono + SYNC_READ_MS;
	}
	write_files(d, mono, 0);
}

static int
on_sub(void *ctx, enum kubo_sub_event ev, const struct kubo_pubsub_msg *m, struct werr *e)
{
	struct disc *d = ctx;

	(void)e;
	if (*d->c->stop)
		return 1;
	if (ev == KUBO_SUB_READY) {
		d->subscribed = 1;
		if (!d->peering_done)
			peering(d);
		connect_statics(d);
		/* reconnect to everyone we knew (a restarted daemon has no peers) */
		for (size_t i = 0; i < peers_count(d->t); i++)
			if (i < 2 * RECONNECT_PEERS)
				connect_peer(d, peers_at(d->t, i));
		read_root(d);
		announce_now(d, ANNOUNCE_REQUEST);
	} else if (ev == KUBO_SUB_MESSAGE) {
		if (m->topic[0] == '\0' || strcmp(m->topic, d->c->topic) == 0)
			on_message(d, m);
	}
	tick(d);
	return *d->c->stop ? 1 : 0;
}

/* Wait ms with the clock still running (states age, files get written). */
static void
idle(struct disc *d, long long ms)
{
	struct timespec ts = { 0, TICK_MS * 1000000L };

	for (long long end = mono_ms() + ms; mono_ms() < end && !*d->c->stop;) {
		nanosleep(&ts, NULL);
		tick(d);
	}
}

static int
disc_open(struct disc *d, const struct discover_cfg *c, struct werr *e)
{
	struct peers_cfg pc = { .heartbeat_ms = c->heartbeat_ms, .self = d->self, .allow = c->allow, .nallow = c->nallow };
	char dir[PATH_MAX];

	d->c = c;
	d->inotify_fd = -1;
	d->rng = (uint64_t)wall_ms() ^ ((uint64_t)getpid() << 32) ^ 0x9e3779b97f4a7c15ULL;
	if (path_join(dir, sizeof dir, c->home, "state", e) < 0 ||
	    path_join(d->peers_path, sizeof d->peers_path, dir, "peers.json", e) < 0 ||
	    path_join(d->stats_path, sizeof d->stats_path, dir, "discover.json", e) < 0 ||
	    path_join(d->root_path, sizeof d->root_path, dir, "root.json", e) < 0 ||
	    path_join(d->sync_path, sizeof d->sync_path, dir, "sync.json", e) < 0 || mkdir_p(dir, 0755, e) < 0)
		return -1;
	if ((d->rpc = kubo_new(c->api, &c->kubo, e)) == NULL || (d->sub = kubo_new(c->api, &c->kubo, e)) == NULL)
		return -1;
	if ((d->t = peers_new(&pc, e)) == NULL)
		return -1;
	return 0;
}

static void
disc_close(struct disc *d)
{
	dworker_stop(d->w);
	dworker_stop(d->wr);
	if (d->inotify_fd >= 0)
		close(d->inotify_fd);
	peers_free(d->t);
	kubo_free(d->sub);
	kubo_free(d->rpc);
}

int
discover_run(const struct discover_cfg *c, struct werr *e)
{
	struct disc d = { 0 };
	struct werr ee = { 0 };
	long long backoff = 500;
	char dir[PATH_MAX];
	int rc = -1;

	if (disc_open(&d, c, e) < 0 || peers_load(d.t, d.peers_path, wall_ms(), mono_ms(), e) < 0 ||
	    (d.w = dworker_start(c->api, &c->kubo, c->topic, e)) == NULL ||
	    (d.wr = dworker_start(c->api, &c->kubo, c->topic, e)) == NULL)
		goto out;
	path_join(dir, sizeof dir, c->home, "state", NULL); /* fits: disc_open made it */
	if ((d.inotify_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC)) >= 0 &&
	    inotify_add_watch(d.inotify_fd, dir, IN_CLOSE_WRITE | IN_MOVED_TO) < 0) {
		close(d.inotify_fd);
		d.inotify_fd = -1; /* the timer alone then */
	}
	read_root(&d);
	while (!*c->stop) {
		if (identify(&d, &ee) == 0) {
			backoff = 500;
			if (kubo_pubsub_sub(d.sub, c->topic, TICK_MS, on_sub, &d, &ee) == 0 || *c->stop)
				break;
			d.subscribed = 0;
			logf_(&d, "pubsub/sub: %s; subscribing again", ee.msg);
		} else {
			warn_limited(&d, "id", &ee);
		}
		idle(&d, backoff);
		backoff = backoff * 2 > 5000 ? 5000 : backoff * 2;
	}
	write_files(&d, mono_ms(), 1);
	rc = 0;
out:
	disc_close(&d);
	return rc;
}

int
discover_announce_once(const struct discover_cfg *c, cJSON **sent, struct werr *e)
{
	struct disc d = { 0 };
	int rc = -1;

	if (disc_open(&d, c, e) < 0)
		goto out;
	read_root(&d);
	if (identify(&d, e) < 0)
		goto out;
	rc = publish(&d, ANNOUNCE_ANNOUNCE, sent, e);
out:
	disc_close(&d);
	return rc;
}

int
discover_list(const char *s, char ***out, size_t *n, struct werr *e)
{
	char *copy, *p, *tok;
	size_t cap = 0;

	*out = NULL;
	*n = 0;
	if (s == NULL || (copy = strdup(s)) == NULL)
		return s == NULL ? 0 : werr_set(e, EX_OSERR, "out of memory");
	for (p = copy; (tok = strsep(&p, ", \t")) != NULL;) {
		if (*tok == '\0')
			continue;
		if (buf_grow_array(out, &cap, *n + 1, sizeof **out, 4, e) < 0 || ((*out)[*n] = strdup(tok)) == NULL) {
			free(copy);
			return werr_set(e, EX_OSERR, "out of memory");
		}
		(*n)++;
	}
	free(copy);
	return 0;
}

void
discover_list_free(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}
