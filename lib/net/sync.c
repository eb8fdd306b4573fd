/* sync: pull, status, unpin (see sync.h). */
#include "base/buf.h"
#include "net/sync.h"
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "base/cli.h"
#include "ipld/cid.h"
#include "kubo/kubo.h"
#include "net/dagwalk.h"
#include "net/pacer.h"
#include "net/peerlist.h"
#include "net/syncstate.h"
#include "base/json.h"

/* pin/add fetching nothing that long is cancelled and started again, then
 * after SYNC_STALL_RETRIES the careful path takes over */
#define SYNC_STALL_MS 2000
#define SYNC_STALL_RETRIES 3

struct job {
	const struct rootindex_session *s;
	char old_cid[160]; /* a previous pinned CID to drop once this one is pinned */
};

/* One peer's pull; workers share it under mu. */
struct run {
	const struct sync_opts *o;
	struct syncstate *st;
	const char *peer;
	struct pacer pacer;
	pthread_mutex_t mu;
	struct job *jobs;
	size_t njobs, next;
	size_t pinned, failures;
	uint64_t bytes, done_bytes;
	struct progress bar;
	struct werr err; /* the last failure */
	int stop;        /* emit failed: stop taking jobs */
};

static cJSON *
line(const char *peer, const struct rootindex_session *s, const char *state)
{
	cJSON *o = cJSON_CreateObject();
	char when[40];

	rfc3339_ms(wall_ms(), when, sizeof when);
	cJSON_AddStringToObject(o, "time", when);
	cJSON_AddStringToObject(o, "peer", peer);
	cJSON_AddStringToObject(o, "session", s->name);
	cJSON_AddStringToObject(o, "cid", s->cid);
	cJSON_AddStringToObject(o, "state", state);
	return o;
}

/* Record a session's new state, save, and print it. Caller holds r->mu. */
static void
change(struct run *r, const struct rootindex_session *s, const char *state, uint64_t bytes,
    const char *err)
{
	cJSON *sess = syncstate_session(r->st, r->peer, s->name, 1), *o;
	struct werr e = { 0 };

	syncstate_set(sess, state, s->cid, bytes, err);
	if (syncstate_save(r->st, &e) < 0) {
		r->err = e;
		r->stop = 1;
	}
	o = line(r->peer, s, state);
	cJSON_AddNumberToObject(o, "bytes", (double)bytes);
	if (err)
		cJSON_AddStringToObject(o, "error", err);
	if (r->o->emit(r->o->emit_ctx, o, &e) < 0) {
		r->err = e;
		r->stop = 1;
	}
}

static void
fetched(void *ctx, uint64_t n)
{
	struct run *r = ctx;

	pthread_mutex_lock(&r->mu);
	r->done_bytes += n;
	progress_update(&r->bar, r->done_bytes);
	pthread_mutex_unlock(&r->mu);
}

/* The fast path's watchdog: pin/add's block count must move, its bytes
 * stay within max_bytes. */
struct watch {
	struct run *r;
	const char *what;
	uint64_t nodes, bytes, max_bytes;
	long long moved_ms;
	int stalled, over;
};

static int
watch_fn(void *ctx, uint64_t nodes, uint64_t bytes, struct werr *e)
{
	struct watch *w = ctx;
	long long now = mono_ms();

	if (w->max_bytes && bytes > w->max_bytes) {
		w->over = 1;
		return werr_set(e, EX_DATAERR, "%s: over --max-bytes %llu (%llu bytes fetched so far)",
		    w->what, (unsigned long long)w->max_bytes, (unsigned long long)bytes);
	}
	if (bytes > w->bytes)
		fetched(w->r, bytes - w->bytes);
	if (nodes > w->nodes || bytes > w->bytes) {
		w->nodes = nodes;
		w->bytes = bytes;
		w->moved_ms = now;
	} else if (now - w->moved_ms > SYNC_STALL_MS) {
		w->stalled = 1;
		return werr_set(e, EX_TEMPFAIL, "%s: pin/add fetched nothing for %d s", w->what,
		    SYNC_STALL_MS / 1000);
	}
	return 0;
}

/* A pin/add cancelled over max_bytes may have been recorded as the last
 * report came, or be recorded a moment after the cancel: unpin it, and
 * look again half a second later. */
static void
drop_cancelled(struct kubo *k, const struct job *j, const char *what)
{
	struct werr e = { 0 };

	for (int i = 0; i < 2; i++) {
		if (i > 0)
			nanosleep(&(struct timespec){ 0, 500000000L }, NULL);
		if (kubo_pin_rm(k, j->s->cid, 1, &e) < 0 && !strstr(e.msg, "not pinned"))
			fprintf(stderr, "wanda-sync: %s: unpin %s: %s\n", what, j->s->cid, e.msg);
	}
}

/* Kubo's own fetch: pin/add, watched (watch_fn), started again after a
 * stall. 0 pinned, 1 stalled every time, -1 failed (e). */
static int
fetch_by_kubo(struct kubo *k, const struct job *j, struct watch *w, struct werr *e)
{
	for (int i = 0; i <= SYNC_STALL_RETRIES; i++) {
		w->stalled = 0;
		w->moved_ms = mono_ms();
		if (kubo_pin_add_progress(k, j->s->cid, watch_fn, w, e) == 0)
			return 0;
		if (!w->stalled) {
			if (w->over)
				drop_cancelled(k, j, w->what);
			return werr_prefix(e, "%s", w->what);
		}
		fprintf(stderr, "wanda-sync: %s%s\n", e->msg,
		    i < SYNC_STALL_RETRIES ? "; again" : "; fetching block by block");
	}
	return 1;
}

/* Fetch and pin one session.
 * Without a rate, Kubo fetches it itself: pin/add, one bitswap session
 * asking for many blocks at once (as fast as `ipfs pin add`), watched:
 * its byte count (real block sizes, reported every half second) must stay
 * within max_bytes, and when its count stops moving for SYNC_STALL_MS it is
 * cancelled and started again (a new session keeps what the last one
 * got), then the careful path takes over. (Kubo 0.43's session was seen to
 * stop for good half-way, nothing left on its wantlist, on a loaded
 * machine, after a repo/gc, and more often right after the structure's
 * blocks were fetched one by one: so with no max_bytes the structure walk
 * comes after the pin, on local blocks, for the exact size and the codecs.)
 * With max_bytes, the structure walk comes first (dagwalk.h): the DAG's
 * exact declared size is checked before any leaf; and after the pin every
 * leaf's real size is checked (locally), the pin dropped if one lies.
 * The careful path (with a rate, or after the stalls) fetches every leaf
 * by itself: block/stat by parallel workers, each a fresh want, paced,
 * each checked against its declared size, so rate and max_bytes hold block
 * by block; then pin/add is local. */
static int
pin_session(struct run *r, struct kubo *k, const struct job *j, uint64_t *bytes, struct werr *e)
{
	int fast = !r->o->rate, walk_first = !fast || r->o->max_bytes, rc;
	struct dagwalk_opts wo = {
		.api = r->o->api,
		.timeout_ms = r->o->timeout_ms,
		.pacer = r->o->rate ? &r->pacer : NULL,
		.max_bytes = r->o->max_bytes,
		.fetch_leaves = !fast,
		.progress = fetched,
		.workers = 32,
		.progress_ctx = r,
	};
	struct dagwalk_result res;
	struct watch w = { .r = r, .max_bytes = r->o->max_bytes };
	char what[100];
	struct werr e2 = { 0 };

	snprintf(what, sizeof what, "session %s", j->s->name);
	wo.what = w.what = what;
	if (walk_first) {
		if (dagwalk(j->s->cid, &wo, &res, e) < 0)
			return -1;
		*bytes = res.node_bytes + res.leaf_bytes;
		w.bytes = res.node_bytes; /* counted by the walk */
	}
	if (fast) {
		if ((rc = fetch_by_kubo(k, j, &w, e)) < 0)
			return -1;
		if (rc == 0) {
			/* on local blocks: the structure (not walked yet), or with
			 * max_bytes every leaf's real size (a pin/add may end between
			 * two of Kubo's progress reports) */
			wo.progress = NULL;
			wo.fetch_leaves = r->o->max_bytes != 0;
			if ((!walk_first || wo.fetch_leaves) && dagwalk(j->s->cid, &wo, &res, e) < 0) {
				if (kubo_pin_rm(k, j->s->cid, 1, &e2) < 0)
					fprintf(stderr, "wanda-sync: %s: unpin %s: %s\n", what, j->s->cid, e2.msg);
				return -1;
			}
			*bytes = res.node_bytes + res.leaf_bytes;
			return 0;
		}
		wo.fetch_leaves = 1;
		if (dagwalk(j->s->cid, &wo, &res, e) < 0)
			return -1;
		*bytes = res.node_bytes + res.leaf_bytes;
	}
	if (kubo_pin_add(k, j->s->cid, 1, e) < 0)
		return werr_prefix(e, "%s", what);
	return 0;
}

/* The old pin of a re-published session goes once the new one is pinned,
 * unless another mirror still holds it. Caller holds r->mu. */
static void
drop_old(struct run *r, struct kubo *k, const struct job *j)
{
	cJSON *sess = syncstate_session(r->st, r->peer, j->s->name, 0);
	struct werr e = { 0 };

	if (!j->old_cid[0])
		return;
	if (!cid_str_equal(j->old_cid, j->s->cid) && syncstate_cid_users(r->st, j->old_cid) == 0 &&
	    kubo_pin_rm(k, j->old_cid, 1, &e) < 0 && !strstr(e.msg, "not pinned")) {
		fprintf(stderr, "wanda-sync: session %s: old pin %s: %s\n", j->s->name, j->old_cid, e.msg);
		return; /* "replaces" stays: the next pull tries again */
	}
	cJSON_DeleteItemFromObjectCaseSensitive(sess, "replaces");
	if (syncstate_save(r->st, &e) < 0)
		r->err = e;
}

static void *
worker(void *arg)
{
	struct run *r = arg;
	struct kubo_opts ko;
	struct kubo *k;
	struct werr e = { 0 };

	kubo_opts_default(&ko);
	ko.low_speed_s = (r->o->timeout_ms + 999) / 1000; /* a fetch that stalls that long fails */
	pthread_mutex_lock(&r->mu);
	k = kubo_new(r->o->api, &ko, &e);
	while (k && !r->stop && r->next < r->njobs) {
		struct job *j = &r->jobs[r->next++];
		uint64_t bytes = 0;
		int rc;
		change(r, j->s, "pinning", 0, NULL);
		pthread_mutex_unlock(&r->mu);
		rc = pin_session(r, k, j, &bytes, &e);
		pthread_mutex_lock(&r->mu);
		if (rc == 0) {
			change(r, j->s, "pinned", bytes, NULL);
			drop_old(r, k, j);
			r->pinned++;
			r->bytes += bytes;
		} else {
			change(r, j->s, "failed", bytes, e.msg);
			r->failures++;
			r->err = e;
		}
	}
	if (!k) {
		r->err = e;
		r->stop = 1;
	}
	pthread_mutex_unlock(&r->mu);
	kubo_free(k);
	return NULL;
}

static int
run_jobs(struct run *r)
{
	int n = r->o->concurrency < 1 ? 1 : r->o->concurrency;
	pthread_t t[64];
	int started = 0;

	if ((size_t)n > r->njobs)
		n = (int)r->njobs;
	if (n > 64)
		n = 64;
	for (int i = 0; i < n; i++)
		if (pthread_create(&t[started], NULL, worker, r) == 0)
			started++;
	if (started == 0 && r->njobs > 0)
		worker(r);
	for (int i = 0; i < started; i++)
		pthread_join(t[i], NULL);
	return 0;
}

/* ---- one peer ---- */

/* index.json, read into one allocation of its maximum size */
struct ixbuf {
	char *p;
	size_t len, cap;
};

static int
ixbuf_data(void *ctx, const void *p, size_t n, struct werr *e)
{
	struct ixbuf *b = ctx;

	if (b->len + n > b->cap)
		return werr_set(e, EX_DATAERR, "index.json: over %zu bytes", b->cap - 1);
	memcpy(b->p + b->len, p, n);
	b->len += n;
	return 0;
}

/* The peer's root CID: announced, else its IPNS name resolved within the timeout. */
static int
peer_root(struct kubo *k, const struct peer_entry *pe, char root[160], struct werr *e)
{
	char path[KUBO_NAME_MAX];
	struct cid id;

	if (pe->root[0]) {
		snprintf(root, 160, "%s", pe->root);
		return 0;
	}
	if (!pe->ipns[0])
		return werr_set(e, EX_NOINPUT, "peer %s: no root and no IPNS name announced", pe->peer);
	if (kubo_name_resolve(k, pe->ipns, 0, path, e) < 0)
		return werr_prefix(e, "peer %s: resolve /ipns/%s", pe->peer, pe->ipns);
	if (strncmp(path, "/ipfs/", 6) != 0 || strchr(path + 6, '/') != NULL ||
	    strlen(path + 6) >= 160 || cid_parse(path + 6, &id, e) < 0)
		return werr_set(e, EX_PROTOCOL, "peer %s: /ipns/%s resolves to %s, not a root CID",
		    pe->peer, pe->ipns, path);
	snprintf(root, 160, "%s", path + 6);
	return 0;
}

static int
peer_index(struct kubo *k, const struct peer_entry *pe, const char *root, struct rootindex *ix,
    struct werr *e)
{
	struct ixbuf b = { malloc(ROOTINDEX_MAX_BYTES + 1), 0, ROOTINDEX_MAX_BYTES + 1 };
	char path[256], what[256];
	int rc = -1;

	snprintf(path, sizeof path, "/ipfs/%s/index.json", root);
	text_fmt(what, sizeof what, "peer %s: %s", pe->peer, path);
	if (!b.p)
		return werr_set(e, EX_OSERR, "%s: out of memory", what);
	if (kubo_cat(k, path, 0, ROOTINDEX_MAX_BYTES + 1, ixbuf_data, &b, e) < 0)
		werr_prefix(e, "%s", what);
	else if (b.len > ROOTINDEX_MAX_BYTES)
		werr_set(e, EX_DATAERR, "%s: over %u bytes", what, ROOTINDEX_MAX_BYTES);
	else if (rootindex_parse(b.p, b.len, what, ix, e) == 0) {
		if (strcmp(ix->node_id, pe->peer) == 0)
			rc = 0;
		else {
			werr_set(e, EX_DATAERR, "%s: node.id %s is not the peer", what, ix->node_id);
			rootindex_free(ix);
		}
	}
	free(b.p);
	return rc;
}

/* Recursive pins here, as CID strings, for the diff. */
struct pinset {
	char **v;
	size_t n, cap;
};

static int
pinset_add(void *ctx, const char *cid, const char *type, struct werr *e)
{
	struct pinset *ps = ctx;

	(void)type;
	if (buf_grow_array(&ps->v, &ps->cap, ps->n + 1, sizeof *ps->v, 64, e) < 0)
		return werr_prefix(e, "pin/ls");
	if ((ps->v[ps->n] = strdup(cid)) == NULL)
		return werr_set(e, EX_OSERR, "pin/ls: out of memory");
	ps->n++;
	return 0;
}

static int
pinset_has(const struct pinset *ps, const char *cid)
{
	for (size_t i = 0; i < ps->n; i++)
		if (cid_str_equal(ps->v[i], cid))
			return 1;
	return 0;
}

static void
pinset_free(struct pinset *ps)
{
	for (size_t i = 0; i < ps->n; i++)
		free(ps->v[i]);
	free(ps->v);
}

/* Decide for each selected session: already here, refused by size, or a job. */
static void
plan(struct run *r, const struct rootindex *ix, const struct pinset *ps)
{
	for (size_t i = 0; i < ix->n && !r->stop; i++) {
		const struct rootindex_session *s = &ix->s[i];
		cJSON *old = syncstate_session(r->st, r->peer, s->name, 0);
		const char *ost = json_str(old, "state"), *ocid = json_str(old, "cid"), *rep = json_str(old, "replaces");
		struct job *j;
		char msg[200], prev[160] = "";

		if (!rootindex_selected(&r->o->filter, s->name, s->first, s->last))
			continue;
		if (ost && ocid && strcmp(ost, "pinned") == 0 && cid_str_equal(ocid, s->cid) &&
		    pinset_has(ps, s->cid))
			continue; /* nothing new: no line, no fetch */
		if (r->o->dry_run) {
			cJSON *o = line(r->peer, s, "queued");
			cJSON_AddNumberToObject(o, "tsize", (double)s->tsize);
			cJSON_AddBoolToObject(o, "dry_run", 1);
			r->o->emit(r->o->emit_ctx, o, &r->err);
			r->njobs++;
			continue;
		}
		/* the pin to drop once the new CID is pinned, kept in the entry
		 * until then so a killed pull still drops it when it resumes */
		if (rep && strlen(rep) < sizeof prev)
			snprintf(prev, sizeof prev, "%s", rep);
		else if (ost && ocid && strcmp(ost, "pinned") == 0 && !cid_str_equal(ocid, s->cid) &&
		    strlen(ocid) < sizeof prev)
			snprintf(prev, sizeof prev, "%s", ocid);
		if (prev[0]) {
			cJSON_DeleteItemFromObjectCaseSensitive(old, "replaces");
			cJSON_AddStringToObject(old, "replaces", prev);
		}
		change(r, s, "queued", 0, NULL);
		if (r->o->max_bytes && s->tsize > r->o->max_bytes) {
			snprintf(msg, sizeof msg, "session %s: declared size %llu is over --max-bytes %llu",
			    s->name, (unsigned long long)s->tsize, (unsigned long long)r->o->max_bytes);
			change(r, s, "failed", 0, msg);
			werr_set(&r->err, EX_DATAERR, "%s", msg);
			r->failures++;
			continue;
		}
		/* a queued/pinning/failed entry is retried: what it fetched is in the blockstore */
		j = &r->jobs[r->njobs++];
		j->s = s;
		snprintf(j->old_cid, sizeof j->old_cid, "%s", prev);
	}
}

static void
summary(struct run *r, const char *root, long long t0, const char *err)
{
	cJSON *o = cJSON_CreateObject();
	struct werr e = { 0 };
	char when[40];

	rfc3339_ms(wall_ms(), when, sizeof when);
	cJSON_AddStringToObject(o, "time", when);
	cJSON_AddStringToObject(o, "peer", r->peer);
	if (root && *root)
		cJSON_AddStringToObject(o, "root", root);
	cJSON_AddStringToObject(o, "summary", r->o->dry_run ? "dry-run" : "pull");
	cJSON_AddNumberToObject(o, "sessions", (double)(r->o->dry_run ? r->njobs : r->pinned));
	cJSON_AddNumberToObject(o, "bytes", (double)r->bytes);
	cJSON_AddNumberToObject(o, "seconds", (double)(mono_ms() - t0) / 1000.0);
	cJSON_AddNumberToObject(o, "failures", (double)r->failures);
	if (err)
		cJSON_AddStringToObject(o, "error", err);
	if (r->o->emit(r->o->emit_ctx, o, &e) < 0) {
		r->err = e;
		r->stop = 1;
	}
}

/* 0 when the peer's selected sessions are all pinned; r->err on failure. */
static int
pull_peer(const struct sync_opts *o, struct syncstate *st, struct kubo *k,
    const struct peer_entry *pe, const struct pinset *ps, struct werr *e)
{
	struct run r = { .o = o, .st = st, .peer = pe->peer };
	struct rootindex ix = { 0 };
	char root[160] = "";
	long long t0 = mono_ms();
	int rc;

	pthread_mutex_init(&r.mu, NULL);
	pacer_init(&r.pacer, o->rate);
	if (peer_root(k, pe, root, &r.err) < 0 || peer_index(k, pe, root, &ix, &r.err) < 0) {
		r.failures = 1;
		summary(&r, root, t0, r.err.msg);
		goto done;
	}
	if ((r.jobs = calloc(ix.n + 1, sizeof *r.jobs)) == NULL) {
		werr_set(&r.err, EX_OSERR, "out of memory");
		r.failures = 1;
		goto done;
	}
	plan(&r, &ix, ps);
	if (!o->dry_run && !r.stop) {
		uint64_t total = 0;
		for (size_t i = 0; i < r.njobs; i++)
			total += r.jobs[i].s->tsize;
		if (o->progress && r.njobs)
			progress_start(&r.bar, pe->peer, total);
		run_jobs(&r);
		if (o->progress && r.njobs)
			progress_end(&r.bar);
	}
	summary(&r, root, t0, NULL);
done:
	if (!o->dry_run) {
		syncstate_peer_done(st, pe->peer, r.failures == 0 && !r.stop);
		if (syncstate_save(st, e) < 0)
			r.err = *e, r.stop = 1;
	}
	rc = r.failures || r.stop ? -1 : 0;
	if (rc < 0)
		*e = r.err;
	free(r.jobs);
	rootindex_free(&ix);
	pacer_destroy(&r.pacer);
	pthread_mutex_destroy(&r.mu);
	return rc;
}

/* ---- the commands ---- */

static struct kubo *
client(const char *api, long timeout_ms, struct werr *e)
{
	struct kubo_opts ko;

	kubo_opts_for_timeout(&ko, timeout_ms);
	ko.slow_timeout_ms = timeout_ms; /* name/resolve: no answer in time is a failure */
	ko.transfer_timeout_ms = timeout_ms * 2;
	return kubo_new(api, &ko, e);
}

/* The peers this run pulls from: --peer (must be listed and allowed) or
 * every allowed peer not gone. Others get a line saying why not. */
static int
selected(const struct sync_opts *o, const struct peer_entry *pe, struct werr *e)
{
	cJSON *l;

	if (o->peer && strcmp(o->peer, pe->peer) != 0)
		return 0;
	if (!peer_allowed(o->allow, pe->peer)) {
		if (o->peer)
			return werr_set(e, EX_NOPERM, "peer %s: not in peers_allow", pe->peer);
		l = cJSON_CreateObject();
		cJSON_AddStringToObject(l, "peer", pe->peer);
		cJSON_AddStringToObject(l, "skipped", "not in peers_allow");
		return o->emit(o->emit_ctx, l, e) < 0 ? -1 : 0;
	}
	return o->peer || strcmp(pe->state, "gone") != 0;
}

int
sync_pull(const struct sync_opts *o, struct werr *e)
{
	struct syncstate st = { 0 };
	struct peer_entry *peers = NULL;
	struct pinset ps = { 0 };
	struct kubo *k = NULL;
	struct werr last = { 0 };
	size_t n = 0, tried = 0;
	int rc = -1, s;

	if ((!o->dry_run && syncstate_lock(o->home, e) < 0) || syncstate_load(&st, o->home, e) < 0 ||
	    peerlist_load(o->home, &peers, &n, e) < 0 || (k = client(o->api, o->timeout_ms, e)) == NULL ||
	    kubo_pin_ls(k, NULL, "recursive", pinset_add, &ps, e) < 0)
		goto out;
	for (size_t i = 0; i < n; i++) {
		if ((s = selected(o, &peers[i], e)) < 0)
			goto out;
		if (s == 0)
			continue;
		tried++;
		if (pull_peer(o, &st, k, &peers[i], &ps, &last) < 0 && last.code == 0)
			werr_set(&last, EX_SOFTWARE, "peer %s: failed", peers[i].peer);
	}
	if (o->peer && tried == 0) {
		werr_set(e, EX_NOINPUT, "peer %s: not in %s/state/peers.json", o->peer, o->home);
		goto out;
	}
	if (last.code) {
		*e = last;
		goto out;
	}
	rc = 0;
out:
	pinset_free(&ps);
	kubo_free(k);
	free(peers);
	syncstate_free(&st);
	return rc;
}

static cJSON *
copy_member(cJSON *dst, const cJSON *src, const char *k)
{
	cJSON *v = cJSON_GetObjectItemCaseSensitive(src, k);

	cJSON_AddItemToObject(dst, k, v ? cJSON_Duplicate(v, 1) : cJSON_CreateNull());
	return dst;
}

int
sync_status(const char *home, sync_emit_fn emit, void *ctx, struct werr *e)
{
	static const char *const sk[] = { "state", "cid", "bytes", "attempts", "last_error", "pinned_at" };
	struct syncstate st;
	const cJSON *peer, *sess;
	int rc = 0;

	if (syncstate_load(&st, home, e) < 0)
		return -1;
	cJSON_ArrayForEach(peer, cJSON_GetObjectItemCaseSensitive(st.doc, "peers"))
	{
		size_t nsess = 0, npinned = 0;
		double bytes = 0;
		cJSON *o;
		cJSON_ArrayForEach(sess, cJSON_GetObjectItemCaseSensitive(peer, "sessions"))
		{
			const char *state = json_str(sess, "state");
			const cJSON *b = cJSON_GetObjectItemCaseSensitive(sess, "bytes");
			o = cJSON_CreateObject();
			cJSON_AddStringToObject(o, "peer", peer->string);
			cJSON_AddStringToObject(o, "session", sess->string);
			for (size_t i = 0; i < sizeof sk / sizeof *sk; i++)
				copy_member(o, sess, sk[i]);
			nsess++;
			if (state && strcmp(state, "pinned") == 0) {
				npinned++;
				bytes += cJSON_IsNumber(b) ? b->valuedouble : 0;
			}
			if ((rc = emit(ctx, o, e)) < 0)
				goto out;
		}
		o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "peer", peer->string);
		copy_member(o, peer, "last_success");
		copy_member(o, peer, "failures");
		cJSON_AddNumberToObject(o, "sessions", (double)nsess);
		cJSON_AddNumberToObject(o, "pinned", (double)npinned);
		cJSON_AddNumberToObject(o, "bytes", bytes);
		if ((rc = emit(ctx, o, e)) < 0)
			goto out;
	}
out:
	syncstate_free(&st);
	return rc;
}

/* Forget one entry; unpin its CID when no other pinned mirror holds it. */
static int
unpin_one(struct kubo *k, struct syncstate *st, cJSON *sessions, const char *peer, const char *name,
    sync_emit_fn emit, void *ctx, struct werr *e)
{
	cJSON *s = cJSON_DetachItemFromObjectCaseSensitive(sessions, name), *o;
	const char *cid = json_str(s, "cid"), *state = json_str(s, "state");
	int unpinned = 0;

	if (cid && *cid && state && strcmp(state, "pinned") == 0 && syncstate_cid_users(st, cid) == 0) {
		if (kubo_pin_rm(k, cid, 1, e) < 0 && !strstr(e->msg, "not pinned")) {
			cJSON_AddItemToObject(sessions, name, s);
			return -1;
		}
		unpinned = 1;
	}
	o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "peer", peer);
	cJSON_AddStringToObject(o, "session", name);
	cJSON_AddStringToObject(o, "cid", cid ? cid : "");
	cJSON_AddStringToObject(o, "state", "removed");
	cJSON_AddBoolToObject(o, "unpinned", unpinned);
	cJSON_Delete(s); /* name and cid point into s: not used below */
	if (syncstate_save(st, e) < 0) {
		cJSON_Delete(o);
		return -1;
	}
	return emit(ctx, o, e);
}

int
sync_unpin(const char *home, const char *api, const char *peer, const char *session,
    sync_emit_fn emit, void *ctx, struct werr *e)
{
	struct syncstate st = { 0 };
	struct kubo *k = NULL;
	cJSON *p, *ss;
	int rc = -1, found = 0;

	if (syncstate_lock(home, e) < 0 || syncstate_load(&st, home, e) < 0 ||
	    (k = client(api, 30000, e)) == NULL)
		goto out;
	if ((p = syncstate_peer(&st, peer, 0)) == NULL) {
		werr_set(e, EX_NOINPUT, "peer %s: no mirror in %s", peer, st.path);
		goto out;
	}
	ss = cJSON_GetObjectItemCaseSensitive(p, "sessions");
	for (cJSON *s = ss ? ss->child : NULL, *next; s; s = next) {
		next = s->next;
		if (session && strcmp(s->string, session) != 0)
			continue;
		found++;
		if (unpin_one(k, &st, ss, peer, s->string, emit, ctx, e) < 0)
			goto out;
	}
	if (session && !found) {
		werr_set(e, EX_NOINPUT, "peer %s: no session %s in %s", peer, session, st.path);
		goto out;
	}
	if (!session) {
		cJSON_DeleteItemFromObjectCaseSensitive(cJSON_GetObjectItemCaseSensitive(st.doc, "peers"), peer);
		if (syncstate_save(&st, e) < 0)
			goto out;
	}
	rc = 0;
out:
	kubo_free(k);
	syncstate_free(&st);
	return rc;
}
