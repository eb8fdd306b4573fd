/* peers: the peer table, its drop rules and peers.json (see peers.h). */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "net/peers.h"
#include "base/atomicio.h"
#include "base/clock.h"
#include "spool/spool.h"

#define LOG_EVERY_MS 10000
#define UPTIME_FULL_MS (3600LL * 1000)

struct bucket {
	char from[ANNOUNCE_ID_MAX];
	double tokens;
	long long at; /* mono ms of the last refill; 0 = free slot */
};

struct peer_table {
	struct peers_cfg cfg;
	struct peer *p;
	size_t n;
	struct bucket rate[PEERS_RATE_SLOTS];
	struct peers_stats st;
	long long logged[AN_NERR];
	int dirty;
};

static const char *const state_names[] = { "alive", "stale", "gone" };
static const char *const event_names[] = { "none", "peer_joined", "peer_updated", "peer_left" };

const char *
peer_state_name(enum peer_state s)
{
	return state_names[s];
}
const char *
peer_event_name(enum peer_event ev)
{
	return event_names[ev];
}

struct peer_table *
peers_new(const struct peers_cfg *c, struct werr *e)
{
	struct peer_table *t = calloc(1, sizeof *t);

	if (t == NULL || (t->p = calloc(PEERS_MAX, sizeof *t->p)) == NULL) {
		free(t);
		werr_set(e, EX_OSERR, "peer table: out of memory");
		return NULL;
	}
	t->cfg = *c;
	if (t->cfg.heartbeat_ms <= 0)
		t->cfg.heartbeat_ms = 30000;
	return t;
}

void
peers_free(struct peer_table *t)
{
	if (t == NULL)
		return;
	free(t->p);
	free(t);
}

static struct peer *
find(struct peer_table *t, const char *id)
{
	for (size_t i = 0; i < t->n; i++)
		if (strcmp(t->p[i].a.peer, id) == 0)
			return &t->p[i];
	return NULL;
}

/* A token bucket per sender; the least recently used slot is reused, so
 * a thousand senders cost no more memory than PEERS_RATE_SLOTS. */
static int
rate_ok(struct peer_table *t, const char *from, long long mono)
{
	struct bucket *b = NULL, *old = &t->rate[0];

	for (size_t i = 0; i < PEERS_RATE_SLOTS; i++) {
		if (t->rate[i].at != 0 && strcmp(t->rate[i].from, from) == 0) {
			b = &t->rate[i];
			break;
		}
		if (t->rate[i].at < old->at)
			old = &t->rate[i];
	}
	if (b == NULL) {
		b = old;
		snprintf(b->from, sizeof b->from, "%s", from);
		b->tokens = PEERS_RATE_BURST;
		b->at = mono;
	}
	b->tokens = fmin(PEERS_RATE_BURST, b->tokens + (double)(mono - b->at) * PEERS_RATE_PER_S / 1000.0);
	b->at = mono > 0 ? mono : 1;
	if (b->tokens < 1.0)
		return 0;
	b->tokens -= 1.0;
	return 1;
}

static int
allowed(const struct peer_table *t, const char *id)
{
	if (t->cfg.allow == NULL || t->cfg.nallow == 0)
		return 1;
	for (size_t i = 0; i < t->cfg.nallow; i++)
		if (strcmp(t->cfg.allow[i], id) == 0)
			return 1;
	return 0;
}

/* A slot for a new peer: a free one, else the peer gone the longest. */
static struct peer *
slot_for_new(struct peer_table *t)
{
	struct peer *old = NULL;

	if (t->n < PEERS_MAX) {
		memset(&t->p[t->n], 0, sizeof t->p[0]);
		return &t->p[t->n++];
	}
	for (size_t i = 0; i < t->n; i++)
		if (t->p[i].state == PEER_GONE && (old == NULL || t->p[i].last_seen < old->last_seen))
			old = &t->p[i];
	if (old != NULL)
		memset(old, 0, sizeof *old);
	return old;
}

static enum announce_err
drop(struct peer_table *t, enum announce_err r, struct werr *e, const char *fmt, const char *arg)
{
	t->st.dropped[r]++;
	werr_set(e, EX_DATAERR, fmt, announce_err_name(r), arg);
	return r;
}

/* Accept a valid announce into the table: join, update or refresh. */
static enum announce_err
admit(struct peer_table *t, const struct announce *a, long long wall, long long mono,
    enum peer_event *ev, const struct peer **out, struct werr *e)
{
	struct peer *p = find(t, a->peer);

	if (p != NULL && !p->seq_fresh && p->state != PEER_GONE && a->seq <= p->a.seq)
		return drop(t, AN_SEQ, e, "%s: seq not above the last one from %s", a->peer);
	if (p == NULL) {
		if ((p = slot_for_new(t)) == NULL)
			return drop(t, AN_TABLE_FULL, e, "%s: no room for %s", a->peer);
		p->first_seen = wall;
		p->rtt_ms = -1;
		p->sync_ok = -1;
		p->state = PEER_GONE;
	}
	if (p->state == PEER_GONE) {
		*ev = PEER_EV_JOINED;
		p->joined_mono = mono;
	} else if (strcmp(p->a.root, a->root) != 0 || strcmp(p->a.ipns, a->ipns) != 0) {
		*ev = PEER_EV_UPDATED;
	}
	p->a = *a;
	p->last_seen = wall;
	p->last_mono = mono;
	p->state = PEER_ALIVE;
	p->seq_fresh = 0;
	p->score = peers_score(p, mono, t->cfg.heartbeat_ms);
	t->st.accepted++;
	t->dirty = 1;
	*out = p;
	return AN_OK;
}

enum announce_err
peers_receive(struct peer_table *t, const char *from, const void *data, size_t n,
    long long wall, long long mono, enum peer_event *ev,
    const struct peer **p, int *request, struct werr *e)
{
	struct announce a;
	enum announce_err r;

	*ev = PEER_EV_NONE;
	*p = NULL;
	*request = 0;
	t->st.received++;
	if (t->cfg.self != NULL && strcmp(from, t->cfg.self) == 0) {
		t->st.own++;
		return AN_OK;
	}
	if (n > ANNOUNCE_MAX_BYTES)
		return drop(t, AN_TOO_BIG, e, "%s: a message over 16 KiB from %s", from);
	if (!rate_ok(t, from, mono))
		return drop(t, AN_RATE, e, "%s: %s sends too fast", from);
	if ((r = announce_parse(data, n, &a, e)) != AN_OK) {
		t->st.dropped[r]++;
		return r;
	}
	if (strcmp(a.peer, from) != 0)
		return drop(t, AN_FROM, e, "%s: announced peer is not the sender %s", from);
	if (!allowed(t, a.peer))
		return drop(t, AN_NOT_ALLOWED, e, "%s: %s is not in peers_allow", a.peer);
	*request = a.type == ANNOUNCE_REQUEST;
	return admit(t, &a, wall, mono, ev, p, e);
}

double
peers_score(const struct peer *p, long long mono, int64_t hb)
{
	double age, fresh, rtt, sync, up;

	if (p->state == PEER_GONE)
		return 0;
	age = (double)(mono - p->last_mono);
	fresh = fmax(0, 1 - age / (3.5 * (double)hb));
	rtt = p->rtt_ms < 0 ? 0.5 : 1 / (1 + p->rtt_ms / 100.0);
	sync = p->sync_ok < 0 ? 0.5 : p->sync_ok;
	up = fmin(1, (double)(mono - p->joined_mono) / UPTIME_FULL_MS);
	return round((0.4 * fresh + 0.2 * rtt + 0.25 * sync + 0.15 * up) * 1000) / 1000;
}

void
peers_tick(struct peer_table *t, long long mono, peers_left_fn fn, void *ctx)
{
	double hb = (double)t->cfg.heartbeat_ms;

	for (size_t i = 0; i < t->n; i++) {
		struct peer *p = &t->p[i];
		double age = (double)(mono - p->last_mono);
		enum peer_state s = age > 3.5 * hb ? PEER_GONE : age > 1.5 * hb ? PEER_STALE :
		                                                                  PEER_ALIVE;
		double score;

		if (p->state == PEER_GONE)
			continue;
		if (s != p->state) {
			p->state = s;
			t->dirty = 1;
			if (s == PEER_GONE && fn != NULL)
				fn(ctx, p);
		}
		score = peers_score(p, mono, t->cfg.heartbeat_ms);
		if (fabs(score - p->score) >= 0.05 || (s == PEER_GONE && p->score != 0)) {
			p->score = score;
			t->dirty = 1;
		}
	}
}

int
peers_should_log(struct peer_table *t, enum announce_err r, long long mono)
{
	if ((unsigned)r >= AN_NERR || (t->logged[r] != 0 && mono - t->logged[r] < LOG_EVERY_MS))
		return 0;
	t->logged[r] = mono > 0 ? mono : 1;
	return 1;
}

void
peers_set_rtt(struct peer_table *t, const char *peer, int rtt_ms)
{
	struct peer *p = find(t, peer);

	if (p != NULL && p->rtt_ms != rtt_ms) {
		p->rtt_ms = rtt_ms;
		t->dirty = 1;
	}
}

void
peers_apply_sync(struct peer_table *t, const cJSON *sync)
{
	const cJSON *all = cJSON_GetObjectItemCaseSensitive(sync, "peers");

	for (size_t i = 0; i < t->n; i++) {
		const cJSON *s = cJSON_GetObjectItemCaseSensitive(all, t->p[i].a.peer);
		const cJSON *ok = cJSON_GetObjectItemCaseSensitive(s, "last_success");
		const cJSON *f = cJSON_GetObjectItemCaseSensitive(s, "failures");
		double fails = cJSON_IsNumber(f) && f->valuedouble > 0 ? f->valuedouble : 0;

		if (!cJSON_IsObject(s))
			t->p[i].sync_ok = -1;
		else
			t->p[i].sync_ok = (cJSON_IsString(ok) ? 1.0 : 0.5) / (1 + fails);
	}
}

const struct peers_stats *
peers_stats(const struct peer_table *t)
{
	return &t->st;
}
size_t
peers_count(const struct peer_table *t)
{
	return t->n;
}
const struct peer *
peers_at(const struct peer_table *t, size_t i)
{
	return i < t->n ? &t->p[i] : NULL;
}
int
peers_dirty(const struct peer_table *t)
{
	return t->dirty;
}
void
peers_clear_dirty(struct peer_table *t)
{
	t->dirty = 0;
}

static void
add_time(cJSON *o, const char *key, long long ms)
{
	char ts[40];

	rfc3339_ms(ms, ts, sizeof ts);
	cJSON_AddStringToObject(o, key, ts);
}

cJSON *
peer_to_json(const struct peer *p)
{
	cJSON *o = announce_to_json(&p->a);

	if (o == NULL)
		return NULL;
	cJSON_DeleteItemFromObjectCaseSensitive(o, "v");
	cJSON_DeleteItemFromObjectCaseSensitive(o, "type");
	cJSON_DeleteItemFromObjectCaseSensitive(o, "ts");
	add_time(o, "first_seen", p->first_seen);
	add_time(o, "last_seen", p->last_seen);
	if (p->rtt_ms >= 0)
		cJSON_AddNumberToObject(o, "rtt_ms", p->rtt_ms);
	else
		cJSON_AddNullToObject(o, "rtt_ms");
	cJSON_AddNumberToObject(o, "score", p->score);
	cJSON_AddStringToObject(o, "state", peer_state_name(p->state));
	return o;
}

cJSON *
peers_to_json(const struct peer_table *t, long long wall)
{
	cJSON *o = cJSON_CreateObject(), *arr;

	if (o == NULL)
		return NULL;
	cJSON_AddNumberToObject(o, "v", 1);
	add_time(o, "updated_at", wall);
	arr = cJSON_AddArrayToObject(o, "peers");
	for (size_t i = 0; arr != NULL && i < t->n; i++)
		cJSON_AddItemToArray(arr, peer_to_json(&t->p[i]));
	return o;
}

int
peers_write(const struct peer_table *t, const char *path, long long wall, struct werr *e)
{
	cJSON *o = peers_to_json(t, wall);
	char *s = o ? cJSON_PrintUnformatted(o) : NULL;
	int rc;

	cJSON_Delete(o);
	if (s == NULL)
		return werr_set(e, EX_OSERR, "%s: out of memory", path);
	rc = atomic_write(path, s, strlen(s), e);
	free(s);
	return rc;
}

int
peers_read(const char *path, cJSON **doc, struct werr *e)
{
	char *s = NULL;
	size_t n;
	cJSON *o;

	*doc = NULL;
	if (access(path, F_OK) < 0 && errno == ENOENT)
		return 0;
	if (read_file(path, &s, &n, e) < 0)
		return -1;
	o = cJSON_ParseWithLength(s, n);
	free(s);
	if (!cJSON_IsObject(o) || !cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(o, "peers"))) {
		cJSON_Delete(o);
		return werr_set(e, EX_DATAERR, "%s: not a peers.json document", path);
	}
	*doc = o;
	return 0;
}

/* One peers.json entry back into the table, through the announce parser
 * (the file is ours, but a hand edit must not smuggle in a bad field). */
static void
load_one(struct peer_table *t, cJSON *it, long long wall, long long mono)
{
	const cJSON *fs = cJSON_GetObjectItemCaseSensitive(it, "first_seen");
	const cJSON *ls = cJSON_GetObjectItemCaseSensitive(it, "last_seen");
	const cJSON *rtt = cJSON_GetObjectItemCaseSensitive(it, "rtt_ms");
	long long first, last;
	struct announce a;
	struct peer *p;
	char *txt;

	if (!cJSON_IsString(fs) || !cJSON_IsString(ls) || spool_parse_time(fs->valuestring, &first) < 0 ||
	    spool_parse_time(ls->valuestring, &last) < 0)
		return;
	cJSON_AddNumberToObject(it, "v", ANNOUNCE_V);
	cJSON_AddStringToObject(it, "type", "announce");
	cJSON_AddStringToObject(it, "ts", ls->valuestring);
	if ((txt = cJSON_PrintUnformatted(it)) == NULL)
		return;
	if (announce_parse(txt, strlen(txt), &a, NULL) == AN_OK && allowed(t, a.peer) && find(t, a.peer) == NULL &&
	    (p = slot_for_new(t)) != NULL) {
		p->a = a;
		p->first_seen = first;
		p->last_seen = last;
		p->last_mono = mono - (wall > last ? wall - last : 0);
		p->joined_mono = p->last_mono;
		p->rtt_ms = cJSON_IsNumber(rtt) ? rtt->valueint : -1;
		p->sync_ok = -1;
		p->seq_fresh = 1;
		p->state = PEER_STALE; /* peers_tick sets gone when old enough */
	}
	free(txt);
}

int
peers_load(struct peer_table *t, const char *path, long long wall, long long mono, struct werr *e)
{
	cJSON *doc, *it;

	if (peers_read(path, &doc, e) < 0)
		return -1;
	if (doc == NULL)
		return 0;
	cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(doc, "peers"))
	    load_one(t, it, wall, mono);
	cJSON_Delete(doc);
	peers_tick(t, mono, NULL, NULL);
	return 0;
}
