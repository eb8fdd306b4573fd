/* kubo_pubsub: pubsub/pub and pubsub/sub. Since Kubo 0.11 topics travel
 * multibase-encoded in the URL (base64url, 'u'), and messages come back
 * as NDJSON with multibase data, seqno and topicIDs. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "kubo/kubo_int.h"
#include "base/json.h"
#include "ipld/multibase.h"

#define TOPIC_MAX 1024

static int
topic_arg(struct kubo *k, const char *cmd, const char *topic, char *out, size_t cap, struct werr *e)
{
	if (topic == NULL || *topic == '\0' || strlen(topic) > TOPIC_MAX ||
	    mb_encode('u', (const uint8_t *)topic, strlen(topic), out, cap, NULL) < 0)
		return kubo_fail(k, e, cmd, KUBO_E_LOCAL, EX_USAGE, "bad topic (empty or over %d bytes)", TOPIC_MAX);
	return 0;
}

int
kubo_pubsub_pub(struct kubo *k, const char *topic, const void *p, size_t n, struct werr *e)
{
	char t[2 * TOPIC_MAX];
	struct kubo_param par[] = { { "arg", t }, { NULL, NULL } };
	struct kreq r;
	cJSON *o = NULL;

	if (topic_arg(k, "pubsub/pub", topic, t, sizeof t, e) < 0)
		return -1;
	kubo_req_init(&r, "pubsub/pub", RESP_JSON);
	kubo_upload_buf(&r, p, n);
	r.params = par;
	r.json_out = &o;
	r.filename = "data";
	/* a message published twice is delivered twice: never retried */
	if (kubo_run(k, &r, e) < 0)
		return -1;
	cJSON_Delete(o);
	return 0;
}

struct sub_ctx {
	struct kubo *k;
	kubo_sub_fn fn;
	void *ctx;
};

static int
sub_ready(void *ctx, struct werr *e)
{
	struct sub_ctx *s = ctx;

	return s->fn(s->ctx, KUBO_SUB_READY, NULL, e);
}

static int
sub_tick(void *ctx, struct werr *e)
{
	struct sub_ctx *s = ctx;

	return s->fn(s->ctx, KUBO_SUB_TICK, NULL, e);
}

/* Decode multibase text into a malloc'd buffer (NUL-terminated). */
static uint8_t *
mb_dup(const char *s, size_t *n)
{
	size_t cap = strlen(s) * 3 / 4 + 4;
	uint8_t *b = malloc(cap);
	char base;

	/* Kubo sends base64 ('u', 'm' and their padded forms), nothing else */
	if (b == NULL || mb_decode(s, b, cap - 1, n, &base, NULL) < 0 || strchr("uUmM", base) == NULL) {
		free(b);
		return NULL;
	}
	b[*n] = '\0';
	return b;
}

static int
sub_msg(void *ctx, const cJSON *o, struct werr *e)
{
	struct sub_ctx *s = ctx;
	const char *from = json_str(o, "from"), *data = json_str(o, "data"), *seqno = json_str(o, "seqno");
	const cJSON *topics = cJSON_GetObjectItemCaseSensitive(o, "topicIDs");
	struct kubo_pubsub_msg m = { 0 };
	uint8_t *d = NULL, *sq = NULL, *tp = NULL;
	size_t tn = 0;
	int rc = -1;

	rc = KJ_BAD;
	if (from == NULL || data == NULL || (d = mb_dup(data, &m.len)) == NULL) {
		werr_set(e, EX_PROTOCOL, "pubsub/sub: a message without from or multibase data");
		goto out;
	}
	if (seqno != NULL && (sq = mb_dup(seqno, &m.seqno_len)) == NULL) {
		werr_set(e, EX_PROTOCOL, "pubsub/sub: seqno is not multibase base64");
		goto out;
	}
	if (cJSON_IsArray(topics) && cJSON_IsString(topics->child) &&
	    (tp = mb_dup(topics->child->valuestring, &tn)) == NULL) {
		werr_set(e, EX_PROTOCOL, "pubsub/sub: topicIDs are not multibase base64");
		goto out;
	}
	m.from = from;
	m.data = d;
	m.seqno = sq;
	m.topic = tp ? (const char *)tp : "";
	rc = s->fn(s->ctx, KUBO_SUB_MESSAGE, &m, e);
	rc = rc < 0 ? -1 : rc;
out:
	free(d);
	free(sq);
	free(tp);
	return rc;
}

int
kubo_pubsub_sub(struct kubo *k, const char *topic, long tick_ms, kubo_sub_fn fn, void *ctx, struct werr *e)
{
	char t[2 * TOPIC_MAX];
	struct kubo_param par[] = { { "arg", t }, { NULL, NULL } };
	struct sub_ctx s = { k, fn, ctx };
	struct kreq r;
	int ret;

	if (topic_arg(k, "pubsub/sub", topic, t, sizeof t, e) < 0)
		return -1;
	kubo_req_init(&r, "pubsub/sub", RESP_NDJSON);
	r.params = par;
	r.ctx = &s;
	r.json_fn = sub_msg;
	r.on_ready = sub_ready;
	r.stream_forever = 1;
	r.max_line = 4u << 20;
	if (tick_ms > 0) {
		r.on_tick = sub_tick;
		r.tick_ms = tick_ms < 100 ? 100 : tick_ms;
	}
	ret = kubo_run(k, &r, e);
	if (ret == 0 && !k->last_stopped)
		return kubo_fail(k, e, "pubsub/sub", KUBO_E_TRUNCATED, 0, "the daemon ended the subscription");
	return ret;
}
