/* dagwalk: fetch a DAG's structure, then its leaves, paced (see dagwalk.h). */
#include "base/buf.h"
#include "net/dagwalk.h"
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ipld/cid.h"
#include "ipld/dagpb.h"
#include "ipld/multihash.h"
#include "kubo/kubo.h"
#include "net/cidset.h"

struct item {
	struct cid cid;
	uint64_t size;
}; /* size: declared, leaves only */
struct list {
	struct item *v;
	size_t n, cap;
};

struct walk {
	const struct dagwalk_opts *o;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct list todo, leaves; /* todo: dag-pb nodes to fetch (phase 1) */
	size_t next_leaf;         /* phase 2 */
	int busy, phase, failed;
	struct cidset seen;
	struct dagwalk_result r;
	struct werr err;
};

static int
push(struct list *l, const struct cid *c, uint64_t size)
{
	if (buf_grow_array(&l->v, &l->cap, l->n + 1, sizeof *l->v, 256, NULL) < 0)
		return -1;
	l->v[l->n].cid = *c;
	l->v[l->n++].size = size;
	return 0;
}

static void
fail(struct walk *w, const struct werr *e)
{
	if (!w->failed)
		w->err = *e;
	w->failed = 1;
	pthread_cond_broadcast(&w->cv);
}

static int
over(struct walk *w, struct werr *e)
{
	uint64_t total = w->r.node_bytes + w->r.leaf_bytes;

	if (w->o->max_bytes && total > w->o->max_bytes)
		return werr_set(e, EX_DATAERR, "%s: over --max-bytes %llu (%llu bytes in its DAG%s)",
		    w->o->what, (unsigned long long)w->o->max_bytes, (unsigned long long)total,
		    w->phase == 1 ? " so far" : "");
	return 0;
}

/* Links of a fetched node: dag-pb children to fetch, raw leaves to list. Caller holds mu. */
static int
add_links(struct walk *w, const struct pb_node *nd, struct werr *e)
{
	for (size_t i = 0; i < nd->nlinks; i++) {
		const struct pb_link *l = &nd->links[i];
		int added;
		if (l->cid.mh_len > 0 && l->cid.mh[0] == MH_IDENTITY)
			continue; /* the data is in the CID */
		if (!cidset_get(&w->seen, &l->cid, &added, e))
			return -1;
		if (!added)
			continue;
		if (l->cid.codec == CODEC_RAW) {
			if (push(&w->leaves, &l->cid, l->tsize) < 0)
				return werr_set(e, EX_OSERR, "out of memory");
			w->r.leaves++;
			w->r.leaf_bytes += l->tsize;
		} else if (l->cid.codec == CODEC_DAG_PB) {
			if (push(&w->todo, &l->cid, 0) < 0)
				return werr_set(e, EX_OSERR, "out of memory");
		} else
			return werr_set(e, EX_DATAERR, "%s: a link of codec 0x%llx (WANDA DAGs are dag-pb and raw)",
			    w->o->what, (unsigned long long)l->cid.codec);
	}
	return over(w, e);
}

/* Phase 1: fetch, check and decode one dag-pb node. */
static int
fetch_node(struct walk *w, struct kubo *k, const struct cid *c, struct werr *e)
{
	char txt[CID_STR_MAX];
	uint8_t *data = NULL;
	size_t len = 0;
	struct cid got;
	struct pb_node nd;
	int rc = -1;

	if (cid_format(c, 0, txt, sizeof txt, e) < 0 || kubo_block_get(k, txt, &data, &len, e) < 0)
		return werr_prefix(e, "%s", w->o->what);
	if (cid_from_block(c->version, c->codec, MH_SHA2_256, data, len, &got, e) < 0 || !cid_equal(&got, c)) {
		free(data);
		return werr_set(e, EX_PROTOCOL, "%s: block %s: the daemon sent other bytes", w->o->what, txt);
	}
	if (dagpb_decode(data, len, &nd, e) < 0) {
		free(data);
		return werr_prefix(e, "%s: block %s", w->o->what, txt);
	}
	if (w->o->pacer)
		pacer_wait(w->o->pacer, len);
	pthread_mutex_lock(&w->mu);
	w->r.nodes++;
	w->r.node_bytes += len;
	rc = add_links(w, &nd, e);
	pthread_mutex_unlock(&w->mu);
	if (w->o->progress)
		w->o->progress(w->o->progress_ctx, len);
	dagpb_node_free(&nd);
	free(data);
	return rc;
}

/* Phase 2: have the daemon fetch one leaf, paced by its declared size. */
static int
fetch_leaf(struct walk *w, struct kubo *k, const struct item *it, struct werr *e)
{
	struct kubo_block_stat st;
	char txt[CID_STR_MAX];

	if (w->o->pacer)
		pacer_wait(w->o->pacer, it->size);
	if (cid_format(&it->cid, 0, txt, sizeof txt, e) < 0 || kubo_block_stat(k, txt, &st, e) < 0)
		return werr_prefix(e, "%s", w->o->what);
	if (st.size != it->size)
		return werr_set(e, EX_DATAERR, "%s: block %s is %llu bytes, its parent said %llu", w->o->what,
		    txt, (unsigned long long)st.size, (unsigned long long)it->size);
	if (w->o->progress)
		w->o->progress(w->o->progress_ctx, st.size);
	return 0;
}

static struct kubo *
client(struct walk *w, struct werr *e)
{
	struct kubo_opts ko;

	kubo_opts_for_timeout(&ko, w->o->timeout_ms);
	return kubo_new(w->o->api, &ko, e);
}

static void *
structure_worker(void *arg)
{
	struct walk *w = arg;
	struct werr e = { 0 };
	struct kubo *k = client(w, &e);

	pthread_mutex_lock(&w->mu);
	if (!k)
		fail(w, &e);
	while (!w->failed) {
		struct cid c;
		if (w->todo.n == 0) {
			if (w->busy == 0)
				break; /* nothing queued, nothing in flight: done */
			pthread_cond_wait(&w->cv, &w->mu);
			continue;
		}
		c = w->todo.v[--w->todo.n].cid;
		w->busy++;
		pthread_mutex_unlock(&w->mu);
		int rc = fetch_node(w, k, &c, &e);
		pthread_mutex_lock(&w->mu);
		w->busy--;
		if (rc < 0)
			fail(w, &e);
		pthread_cond_broadcast(&w->cv);
	}
	pthread_cond_broadcast(&w->cv);
	pthread_mutex_unlock(&w->mu);
	kubo_free(k);
	return NULL;
}

static void *
leaf_worker(void *arg)
{
	struct walk *w = arg;
	struct werr e = { 0 };
	struct kubo *k = client(w, &e);

	pthread_mutex_lock(&w->mu);
	if (!k)
		fail(w, &e);
	while (!w->failed && w->next_leaf < w->leaves.n) {
		struct item it = w->leaves.v[w->next_leaf++];
		pthread_mutex_unlock(&w->mu);
		int rc = fetch_leaf(w, k, &it, &e);
		pthread_mutex_lock(&w->mu);
		if (rc < 0)
			fail(w, &e);
	}
	pthread_mutex_unlock(&w->mu);
	kubo_free(k);
	return NULL;
}

static void
run(struct walk *w, void *(*fn)(void *))
{
	int n = w->o->workers > 0 ? w->o->workers : DAGWALK_WORKERS, started = 0;
	pthread_t t[64];

	if (n > 64)
		n = 64;
	for (int i = 0; i < n; i++)
		if (pthread_create(&t[started], NULL, fn, w) == 0)
			started++;
	if (started == 0)
		fn(w);
	for (int i = 0; i < started; i++)
		pthread_join(t[i], NULL);
}

int
dagwalk(const char *root, const struct dagwalk_opts *o, struct dagwalk_result *out, struct werr *e)
{
	struct walk w = { .o = o, .phase = 1 };
	struct cid c;
	int added, rc = -1;

	memset(out, 0, sizeof *out);
	if (cid_parse(root, &c, e) < 0)
		return werr_prefix(e, "%s", o->what);
	pthread_mutex_init(&w.mu, NULL);
	pthread_cond_init(&w.cv, NULL);
	if (c.codec != CODEC_DAG_PB) {
		werr_set(e, EX_DATAERR, "%s: %s is not a directory (dag-pb)", o->what, root);
		goto out;
	}
	if (!cidset_get(&w.seen, &c, &added, e) || push(&w.todo, &c, 0) < 0)
		goto out;
	run(&w, structure_worker);
	if (!w.failed && o->fetch_leaves) {
		w.phase = 2;
		w.r.leaf_bytes = 0; /* from here: real sizes, as they come */
		for (size_t i = 0; i < w.leaves.n; i++)
			w.r.leaf_bytes += w.leaves.v[i].size;
		run(&w, leaf_worker);
	}
	if (w.failed) {
		*e = w.err;
		goto out;
	}
	rc = 0;
out:
	*out = w.r;
	free(w.todo.v);
	free(w.leaves.v);
	cidset_free(&w.seen);
	pthread_cond_destroy(&w.cv);
	pthread_mutex_destroy(&w.mu);
	return rc;
}
