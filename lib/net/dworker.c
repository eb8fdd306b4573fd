/* dworker: slow discovery RPC calls on their own thread (see dworker.h). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "net/dworker.h"
#include "kubo/kubo.h"
#include "ipld/multibase.h"

enum job_kind { JOB_REACH,
	JOB_PING,
	JOB_TOPIC };

#define JOB_ADDR_MAX (ANNOUNCE_ADDR_MAX + ANNOUNCE_ID_MAX + 8)

struct job {
	enum job_kind kind;
	char peer[ANNOUNCE_ID_MAX];
	size_t naddrs;
	char addr[DWORKER_REACH_ADDRS][JOB_ADDR_MAX];
};

struct dworker {
	pthread_t th;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct job q[DWORKER_JOBS];
	size_t head, n;
	int quit;
	struct kubo *k;
	char topic[2048]; /* multibase-encoded */
	struct dworker_results res;
};

/* The same kind of job for the same peer already waiting. */
static int
queued(const struct dworker *w, const struct job *j)
{
	for (size_t i = 0; i < w->n; i++) {
		const struct job *q = &w->q[(w->head + i) % DWORKER_JOBS];

		if (q->kind == j->kind && strcmp(q->peer, j->peer) == 0)
			return 1;
	}
	return 0;
}

static void
push(struct dworker *w, const struct job *j)
{
	pthread_mutex_lock(&w->mu);
	if (w->n < DWORKER_JOBS && !queued(w, j)) {
		w->q[(w->head + w->n++) % DWORKER_JOBS] = *j;
		pthread_cond_signal(&w->cv);
	}
	pthread_mutex_unlock(&w->mu);
}

void
dworker_reach(struct dworker *w, const char *peer, const char (*addrs)[ANNOUNCE_ADDR_MAX], size_t naddrs)
{
	struct job j = { .kind = JOB_REACH };

	snprintf(j.peer, sizeof j.peer, "%s", peer);
	for (size_t i = 0; i < naddrs && j.naddrs < DWORKER_REACH_ADDRS; i++) {
		if (strstr(addrs[i], "/p2p/") != NULL)
			snprintf(j.addr[j.naddrs++], JOB_ADDR_MAX, "%s", addrs[i]);
		else
			snprintf(j.addr[j.naddrs++], JOB_ADDR_MAX, "%s/p2p/%s", addrs[i], peer);
	}
	push(w, &j);
}

void
dworker_ping(struct dworker *w, const char *peer)
{
	struct job j = { .kind = JOB_PING };

	snprintf(j.peer, sizeof j.peer, "%s", peer);
	push(w, &j);
}

void
dworker_topic_peers(struct dworker *w)
{
	struct job j = { .kind = JOB_TOPIC };

	push(w, &j);
}

/* ping answers NDJSON: {"Success","Time" (ns),"Text"}; the line with a
 * non-zero Time is the echo. */
static int
ping_line(void *ctx, const cJSON *o, struct werr *e)
{
	long long *ns = ctx;
	const cJSON *t = cJSON_GetObjectItemCaseSensitive(o, "Time");

	(void)e;
	if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, "Success")) && cJSON_IsNumber(t) && t->valuedouble > 0)
		*ns = (long long)t->valuedouble;
	return 0;
}

/* 0 when the peer answered (its RTT is recorded), -1 when not. */
static int
do_ping(struct dworker *w, const char *peer, const char *timeout)
{
	struct kubo_param p[] = { { "arg", peer }, { "count", "1" }, { "timeout", timeout }, { NULL, NULL } };
	struct werr e = { 0 };
	long long ns = -1;

	if (kubo_rpc_ndjson(w->k, "ping", p, 0, ping_line, &ns, &e) < 0 || ns < 0)
		return -1;
	pthread_mutex_lock(&w->mu);
	if (w->res.nrtt < DWORKER_JOBS) {
		snprintf(w->res.rtt[w->res.nrtt].peer, ANNOUNCE_ID_MAX, "%s", peer);
		w->res.rtt[w->res.nrtt++].rtt_ms = (int)((ns + 999999) / 1000000);
	}
	pthread_mutex_unlock(&w->mu);
	return 0;
}

/* swarm/connect with all the addresses in one call: Kubo makes them one
 * AddrInfo, clears the peer's dial backoff and dials them together. It
 * also succeeds at once when a connection (alive or dead) exists. */
static int
do_connect(struct dworker *w, const struct job *j, const char *timeout)
{
	struct kubo_param p[DWORKER_REACH_ADDRS + 2];
	struct werr e = { 0 };
	cJSON *o = NULL;
	size_t n = 0;
	int rc;

	for (size_t i = 0; i < j->naddrs; i++)
		p[n++] = (struct kubo_param){ "arg", j->addr[i] };
	p[n++] = (struct kubo_param){ "timeout", timeout };
	p[n] = (struct kubo_param){ NULL, NULL };
	rc = kubo_rpc_json(w->k, "swarm/connect", p, 0, &o, &e);
	cJSON_Delete(o);
	return rc;
}

static void
do_reach(struct dworker *w, const struct job *j)
{
	char timeout[32], p2p[ANNOUNCE_ID_MAX + 8];
	struct kubo_param dp[] = { { "arg", p2p }, { NULL, NULL } };
	struct werr e = { 0 };
	cJSON *o = NULL;
	int ok = 0;

	snprintf(timeout, sizeof timeout, "%dms", DWORKER_REACH_MS);
	if (j->naddrs > 0 && do_connect(w, j, timeout) == 0) {
		ok = do_ping(w, j->peer, timeout) == 0;
		if (!ok) {
			snprintf(p2p, sizeof p2p, "/p2p/%s", j->peer);
			kubo_rpc_json(w->k, "swarm/disconnect", dp, 0, &o, &e);
			cJSON_Delete(o);
		}
	}
	pthread_mutex_lock(&w->mu);
	if (w->res.nreach < DWORKER_JOBS) {
		snprintf(w->res.reach[w->res.nreach].peer, ANNOUNCE_ID_MAX, "%s", j->peer);
		w->res.reach[w->res.nreach++].ok = ok;
	}
	pthread_mutex_unlock(&w->mu);
}

/* pubsub/peers: {"Strings":[peer...]} (null when none). */
static void
do_topic(struct dworker *w)
{
	struct kubo_param p[] = { { "arg", w->topic }, { NULL, NULL } };
	struct werr e = { 0 };
	cJSON *o = NULL, *it;

	if (kubo_rpc_json(w->k, "pubsub/peers", p, KUBO_IDEMPOTENT, &o, &e) < 0)
		return;
	pthread_mutex_lock(&w->mu);
	w->res.have_topic = 1;
	w->res.ntopic = 0;
	cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(o, "Strings"))
	{
		if (w->res.ntopic < DWORKER_TOPIC_PEERS && cJSON_IsString(it) &&
		    strlen(it->valuestring) < ANNOUNCE_ID_MAX)
			snprintf(w->res.topic[w->res.ntopic++], ANNOUNCE_ID_MAX, "%s", it->valuestring);
	}
	pthread_mutex_unlock(&w->mu);
	cJSON_Delete(o);
}

static void *
run(void *arg)
{
	struct dworker *w = arg;
	struct job j;

	for (;;) {
		pthread_mutex_lock(&w->mu);
		while (w->n == 0 && !w->quit)
			pthread_cond_wait(&w->cv, &w->mu);
		if (w->quit) {
			pthread_mutex_unlock(&w->mu);
			return NULL;
		}
		j = w->q[w->head];
		w->head = (w->head + 1) % DWORKER_JOBS;
		w->n--;
		pthread_mutex_unlock(&w->mu);
		if (j.kind == JOB_REACH)
			do_reach(w, &j);
		else if (j.kind == JOB_PING)
			do_ping(w, j.peer, "5s");
		else
			do_topic(w);
	}
}

struct dworker *
dworker_start(const char *api, const struct kubo_opts *ko, const char *topic, struct werr *e)
{
	struct dworker *w = calloc(1, sizeof *w);
	struct kubo_opts o = *ko;

	if (w == NULL) {
		werr_set(e, EX_OSERR, "out of memory");
		return NULL;
	}
	o.retries = 0;
	if (mb_encode('u', (const uint8_t *)topic, strlen(topic), w->topic, sizeof w->topic, NULL) < 0 ||
	    (w->k = kubo_new(api, &o, e)) == NULL) {
		werr_set(e, EX_USAGE, "%s: bad topic or API", topic);
		free(w);
		return NULL;
	}
	pthread_mutex_init(&w->mu, NULL);
	pthread_cond_init(&w->cv, NULL);
	if (pthread_create(&w->th, NULL, run, w) != 0) {
		kubo_free(w->k);
		free(w);
		werr_set(e, EX_OSERR, "pthread_create failed");
		return NULL;
	}
	return w;
}

void
dworker_stop(struct dworker *w)
{
	if (w == NULL)
		return;
	pthread_mutex_lock(&w->mu);
	w->quit = 1;
	pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->mu);
	pthread_join(w->th, NULL);
	pthread_mutex_destroy(&w->mu);
	pthread_cond_destroy(&w->cv);
	kubo_free(w->k);
	free(w);
}

void
dworker_take(struct dworker *w, struct dworker_results *r)
{
	pthread_mutex_lock(&w->mu);
	*r = w->res;
	memset(&w->res, 0, sizeof w->res);
	pthread_mutex_unlock(&w->mu);
}
