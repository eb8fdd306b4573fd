/* kubo_calls: the typed Kubo RPC calls of kubo.h, each a request
 * description for kubo_run() plus the parsing of its answer. */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "kubo/kubo_int.h"
#include "base/json.h"

#define B(x) ((x) ? "true" : "false")

/* Call cmd, expect one JSON object; *out is the caller's. */
static int
call_obj(struct kubo *k, const char *cmd, const struct kubo_param *p, int flags, cJSON **out,
    struct werr *e)
{
	if (kubo_rpc_json(k, cmd, p, flags, out, e) < 0)
		return -1;
	if (*out == NULL || !cJSON_IsObject(*out)) {
		cJSON_Delete(*out);
		*out = NULL;
		return kubo_fail(k, e, cmd, KUBO_E_PROTOCOL, 0, "expected a JSON object");
	}
	return 0;
}

/* Call cmd, ignore the answer's content. */
static int
call_void(struct kubo *k, const char *cmd, const struct kubo_param *p, int idem, struct werr *e)
{
	return kubo_rpc_json(k, cmd, p, idem ? KUBO_IDEMPOTENT : 0, NULL, e);
}

static int
missing(struct kubo *k, struct werr *e, const char *cmd, const char *field)
{
	return kubo_fail(k, e, cmd, KUBO_E_PROTOCOL, 0, "answer has no %s", field);
}

/* ---- answers read into a struct --------------------------------------- */

/* How a field of the answer is read into its struct member. */
enum kf_kind {
	KF_STR,        /* a string, cut to the member's size; "" when absent */
	KF_NEED,       /* the same, and the call fails when it is "" */
	KF_U64,        /* json_u64: a number or a string of digits */
	KF_DOUBLE,     /* a number or a numeric string (stats/bw rates) */
	KF_INT_OR_STR, /* an integer written as text, or a string (repo/stat Version) */
	KF_FN,         /* what a table cannot say: fn(the field, the struct) */
};

struct kfield {
	const char *cmd, *key;
	enum kf_kind kind;
	size_t off, size; /* the member */
	void (*fn)(const cJSON *v, void *out);
};
#define KF(cmd, key, kind, type, member) \
	{ \
		cmd, key, kind, offsetof(type, member), sizeof(((type *)0)->member), NULL \
	}

/* id's Addresses, kept up to KUBO_MAX_ADDRS. */
static void
id_addrs(const cJSON *v, void *outv)
{
	struct kubo_id *out = outv;
	const cJSON *it;

	cJSON_ArrayForEach(it, v)
	{
		if (cJSON_IsString(it) && out->naddrs < KUBO_MAX_ADDRS)
			snprintf(out->addrs[out->naddrs++], sizeof out->addrs[0], "%s", it->valuestring);
	}
}

/* Every answer read into a struct, a field a line: the call, the field,
 * how it is read, the member. key/list's entries read as key/gen's answer. */
static const struct kfield answers[] = {
	KF("id", "ID", KF_NEED, struct kubo_id, id),
	KF("id", "AgentVersion", KF_STR, struct kubo_id, agent_version),
	KF("id", "ProtocolVersion", KF_STR, struct kubo_id, protocol_version),
	{ "id", "Addresses", KF_FN, 0, 0, id_addrs },
	KF("version", "Version", KF_NEED, struct kubo_version, version),
	KF("version", "Commit", KF_STR, struct kubo_version, commit),
	KF("version", "Repo", KF_STR, struct kubo_version, repo),
	KF("version", "System", KF_STR, struct kubo_version, system),
	KF("version", "Golang", KF_STR, struct kubo_version, golang),
	KF("repo/stat", "RepoSize", KF_U64, struct kubo_repo_stat, repo_size),
	KF("repo/stat", "StorageMax", KF_U64, struct kubo_repo_stat, storage_max),
	KF("repo/stat", "NumObjects", KF_U64, struct kubo_repo_stat, num_objects),
	KF("repo/stat", "RepoPath", KF_STR, struct kubo_repo_stat, repo_path),
	KF("repo/stat", "Version", KF_INT_OR_STR, struct kubo_repo_stat, version),
	KF("stats/bw", "TotalIn", KF_U64, struct kubo_bw, total_in),
	KF("stats/bw", "TotalOut", KF_U64, struct kubo_bw, total_out),
	KF("stats/bw", "RateIn", KF_DOUBLE, struct kubo_bw, rate_in),
	KF("stats/bw", "RateOut", KF_DOUBLE, struct kubo_bw, rate_out),
	KF("block/stat", "Key", KF_NEED, struct kubo_block_stat, key),
	KF("block/stat", "Size", KF_U64, struct kubo_block_stat, size),
	KF("files/stat", "Hash", KF_NEED, struct kubo_files_stat, hash),
	KF("files/stat", "Type", KF_STR, struct kubo_files_stat, type),
	KF("files/stat", "Size", KF_U64, struct kubo_files_stat, size),
	KF("files/stat", "CumulativeSize", KF_U64, struct kubo_files_stat, cumulative_size),
	KF("files/stat", "Blocks", KF_U64, struct kubo_files_stat, blocks),
	KF("key/gen", "Name", KF_STR, struct kubo_key, name),
	KF("key/gen", "Id", KF_NEED, struct kubo_key, id),
	{ NULL },
};

/* Fill out from the object o with cmd's rows of answers[]; the key of an
 * empty KF_NEED field, or NULL. */
static const char *
fields_read(const cJSON *o, const char *cmd, void *out)
{
	const char *need = NULL;

	for (const struct kfield *f = answers; f->cmd != NULL; f++) {
		char *m = (char *)out + f->off;
		const cJSON *v;

		if (strcmp(f->cmd, cmd) != 0)
			continue;
		v = cJSON_GetObjectItemCaseSensitive(o, f->key);
		switch (f->kind) {
		case KF_STR:
		case KF_NEED:
			json_copy(m, f->size, o, f->key);
			if (f->kind == KF_NEED && m[0] == '\0' && need == NULL)
				need = f->key;
			break;
		case KF_U64: *(uint64_t *)m = json_u64(o, f->key); break;
		case KF_DOUBLE:
			*(double *)m = cJSON_IsString(v) ? strtod(v->valuestring, NULL) : json_num(o, f->key, 0);
			break;
		case KF_INT_OR_STR:
			if (cJSON_IsNumber(v))
				snprintf(m, f->size, "%d", v->valueint);
			else
				json_copy(m, f->size, o, f->key);
			break;
		case KF_FN: f->fn(v, out); break;
		}
	}
	return need;
}

/* Call cmd, expect one JSON object and fill out (size bytes, zeroed
 * first) from cmd's rows of answers[]. */
static int
call_fields(struct kubo *k, const char *cmd, const struct kubo_param *p, int flags, void *out,
    size_t size, struct werr *e)
{
	const char *need;
	cJSON *o;

	memset(out, 0, size);
	if (call_obj(k, cmd, p, flags, &o, e) < 0)
		return -1;
	need = fields_read(o, cmd, out);
	cJSON_Delete(o);
	return need == NULL ? 0 : missing(k, e, cmd, need);
}

/* ---- add --------------------------------------------------------------- */

struct add_ctx {
	struct kubo_add_result *out;
	int got;
};

static int
add_event(void *ctx, const cJSON *o, struct werr *e)
{
	struct add_ctx *a = ctx;
	const char *hash = json_str(o, "Hash");

	(void)e;
	if (hash == NULL)
		return 0; /* a progress event {Name, Bytes} */
	/* with one file the root is the last event with a Hash */
	snprintf(a->out->cid, sizeof a->out->cid, "%s", hash);
	json_copy(a->out->name, sizeof a->out->name, o, "Name");
	a->out->size = json_u64(o, "Size");
	a->got = 1;
	return 0;
}

static int
add_common(struct kubo *k, struct kreq *r, const struct kubo_add_opts *o,
    struct kubo_add_result *out, struct werr *e)
{
	char cv[8], fl[16], dl[16], hf[16];
	struct add_ctx a = { out, 0 };
	struct kubo_param p[] = {
		{ "cid-version", cv }, { "raw-leaves", B(o->raw_leaves) },
		{ "chunker", o->chunker ? o->chunker : "size-262144" },
		{ "hash", o->hash ? o->hash : "sha2-256" }, { "trickle", B(o->trickle) },
		{ "max-file-links", o->max_file_links > 0 ? fl : NULL },
		{ "max-directory-links", o->max_directory_links >= 0 ? dl : NULL },
		{ "max-hamt-fanout", o->max_hamt_fanout > 0 ? hf : NULL },
		{ "pin", B(o->pin) }, { "progress", "false" }, { NULL, NULL }
	};

	if (o->cid_version != 0 && o->cid_version != 1)
		return kubo_fail(k, e, "add", KUBO_E_LOCAL, EX_USAGE, "cid-version %d: not 0 or 1", o->cid_version);
	snprintf(cv, sizeof cv, "%d", o->cid_version);
	snprintf(fl, sizeof fl, "%d", o->max_file_links);
	snprintf(dl, sizeof dl, "%d", o->max_directory_links);
	snprintf(hf, sizeof hf, "%d", o->max_hamt_fanout);
	memset(out, 0, sizeof *out);
	r->params = p;
	r->json_fn = add_event;
	r->ctx = &a;
	r->transfer = 1;
	/* re-adding the same bytes gives the same DAG: idempotent when the
	 * input can be sent again (kubo_run checks that) */
	r->idempotent = 1;
	r->filename = o->filename ? o->filename : "file";
	r->progress = o->progress;
	r->progress_ctx = o->progress_ctx;
	r->up_tap = o->tap;
	r->up_tap_ctx = o->tap_ctx;
	if (kubo_run(k, r, e) < 0)
		return -1;
	if (!a.got)
		return kubo_fail(k, e, "add", KUBO_E_TRUNCATED, 0, "the answer ended before the root's event");
	return 0;
}

int
kubo_add_fd(struct kubo *k, int fd, const struct kubo_add_opts *o, struct kubo_add_result *out, struct werr *e)
{
	struct kreq r;

	kubo_req_init(&r, "add", RESP_NDJSON);
	kubo_upload_fd(&r, fd, o->size_hint);
	return add_common(k, &r, o, out, e);
}

int
kubo_add_buf(struct kubo *k, const void *p, size_t n, const struct kubo_add_opts *o,
    struct kubo_add_result *out, struct werr *e)
{
	struct kreq r;

	kubo_req_init(&r, "add", RESP_NDJSON);
	kubo_upload_buf(&r, p, n);
	return add_common(k, &r, o, out, e);
}

/* ---- cat --------------------------------------------------------------- */

struct cat_ctx {
	uint64_t offset;
	int64_t length;
	char off_s[24], len_s[24];
};

static int
cat_resume(void *ctx, uint64_t delivered)
{
	struct cat_ctx *c = ctx;

	c->offset += delivered;
	snprintf(c->off_s, sizeof c->off_s, "%llu", (unsigned long long)c->offset);
	if (c->length >= 0) {
		c->length -= (int64_t)delivered;
		snprintf(c->len_s, sizeof c->len_s, "%lld", (long long)c->length);
	}
	return 0;
}

int
kubo_cat(struct kubo *k, const char *path, uint64_t offset, int64_t length,
    kubo_data_fn fn, void *ctx, struct werr *e)
{
	struct kreq r;
	struct cat_ctx c = { offset, length, "", "" };
	struct kubo_param p[] = { { "arg", path }, { "offset", c.off_s },
		{ "length", length >= 0 ? c.len_s : NULL }, { NULL, NULL } };

	cat_resume(&c, 0);
	kubo_req_download(&r, "cat", p, fn, ctx);
	r.resume = cat_resume;
	r.resume_ctx = &c;
	return kubo_run(k, &r, e);
}

/* Write everything to an fd (cat, dag export). */
static int
kubo_fd_sink(void *ctx, const void *p, size_t n, struct werr *e)
{
	int fd = *(int *)ctx;
	const char *q = p;

	while (n > 0) {
		ssize_t w = write(fd, q, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return werr_sys(e, EX_IOERR, "write");
		q += w;
		n -= (size_t)w;
	}
	return 0;
}

int
kubo_cat_fd(struct kubo *k, const char *path, int fd, struct werr *e)
{
	return kubo_cat(k, path, 0, -1, kubo_fd_sink, &fd, e);
}

/* ---- pins -------------------------------------------------------------- */

int
kubo_pin_add(struct kubo *k, const char *path, int recursive, struct werr *e)
{
	struct kreq r;
	struct kubo_param p[] = { { "arg", path }, { "recursive", B(recursive) }, { NULL, NULL } };
	cJSON *o = NULL;
	int rc;

	/* pinning fetches the DAG: no answer until it has */
	kubo_req_init(&r, "pin/add", RESP_JSON);
	r.params = p;
	r.idempotent = 1;
	r.slow = 1;
	r.json_out = &o;
	if (kubo_run(k, &r, e) < 0)
		return -1;
	rc = cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(o, "Pins")) ? 0 : missing(k, e, "pin/add", "Pins");
	cJSON_Delete(o);
	return rc;
}

struct pinprog_ctx {
	kubo_pin_progress_fn fn;
	void *ctx;
	uint64_t nodes, bytes;
	int pinned;
};

/* {"Progress":N,"Bytes":B} every half second, {"Pins":[CID]} at the end. */
static int
pinprog_obj(void *ctx, const cJSON *o, struct werr *e)
{
	struct pinprog_ctx *c = ctx;
	const cJSON *n = cJSON_GetObjectItemCaseSensitive(o, "Progress");
	const cJSON *b = cJSON_GetObjectItemCaseSensitive(o, "Bytes");

	if (cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(o, "Pins")))
		c->pinned = 1;
	if (cJSON_IsNumber(n) && n->valuedouble >= 0)
		c->nodes = (uint64_t)n->valuedouble;
	if (cJSON_IsNumber(b) && b->valuedouble >= 0)
		c->bytes = (uint64_t)b->valuedouble;
	return c->fn(c->ctx, c->nodes, c->bytes, e) < 0 ? -1 : 0;
}

static int
pinprog_tick(void *ctx, struct werr *e)
{
	struct pinprog_ctx *c = ctx;

	return c->fn(c->ctx, c->nodes, c->bytes, e) < 0 ? -1 : 0;
}

int
kubo_pin_add_progress(struct kubo *k, const char *path, kubo_pin_progress_fn fn, void *ctx,
    struct werr *e)
{
	struct kreq r;
	struct kubo_param p[] = { { "arg", path }, { "recursive", "true" }, { "progress", "true" },
		{ NULL, NULL } };
	struct pinprog_ctx c = { fn, ctx, 0, 0, 0 };

	kubo_req_init(&r, "pin/add", RESP_NDJSON);
	r.params = p;
	r.json_fn = pinprog_obj;
	r.ctx = &c;
	r.stream_forever = 1; /* fn is the watchdog */
	r.on_tick = pinprog_tick;
	r.tick_ms = 250;
	if (kubo_run(k, &r, e) < 0)
		return -1;
	if (!c.pinned)
		return kubo_fail(k, e, "pin/add", KUBO_E_TRUNCATED, 0, "the answer ended before the pin");
	return 0;
}

int
kubo_pin_rm(struct kubo *k, const char *path, int recursive, struct werr *e)
{
	struct kubo_param p[] = { { "arg", path }, { "recursive", B(recursive) }, { NULL, NULL } };

	/* not retried: if a lost answer had removed it, the retry would
	 * fail with "not pinned" */
	return call_void(k, "pin/rm", p, 0, e);
}

struct pinls_ctx {
	kubo_pin_fn fn;
	void *ctx;
};

/* Streamed {"Cid","Type"} lines, or one {"Keys":{cid:{"Type"}}} object
 * from a daemon that does not stream. */
static int
pinls_obj(void *ctx, const cJSON *o, struct werr *e)
{
	struct pinls_ctx *c = ctx;
	const cJSON *keys = cJSON_GetObjectItemCaseSensitive(o, "Keys"), *it;
	const char *cid = json_str(o, "Cid");
	int rc;

	if (cid != NULL) {
		rc = c->fn ? c->fn(c->ctx, cid, json_str(o, "Type") ? json_str(o, "Type") : "", e) : 0;
		return rc < 0 ? -1 : rc;
	}
	if (!cJSON_IsObject(keys)) {
		werr_set(e, EX_PROTOCOL, "neither Cid nor Keys in the answer");
		return KJ_BAD;
	}
	cJSON_ArrayForEach(it, keys)
	{
		const char *t = json_str(it, "Type");

		if (c->fn != NULL && (rc = c->fn(c->ctx, it->string, t ? t : "", e)) != 0)
			return rc < 0 ? -1 : rc;
	}
	return 0;
}

int
kubo_pin_ls(struct kubo *k, const char *path, const char *type, kubo_pin_fn fn, void *ctx, struct werr *e)
{
	struct pinls_ctx c = { fn, ctx };
	struct kubo_param p[] = { { "arg", path }, { "type", type ? type : "all" }, { "stream", "true" },
		{ NULL, NULL } };

	return kubo_rpc_ndjson(k, "pin/ls", p, KUBO_IDEMPOTENT, pinls_obj, &c, e);
}

struct pincheck {
	int *pinned;
	char *type;
};

static int
pincheck_fn(void *ctx, const char *cid, const char *type, struct werr *e)
{
	struct pincheck *c = ctx;

	(void)cid;
	(void)e;
	*c->pinned = 1;
	if (c->type != NULL)
		snprintf(c->type, 16, "%s", type);
	return 1;
}

int
kubo_pin_check(struct kubo *k, const char *path, int *pinned, char *type, struct werr *e)
{
	struct pincheck c = { pinned, type };
	struct werr e2 = { 0 };

	*pinned = 0;
	if (type != NULL)
		type[0] = '\0';
	if (kubo_pin_ls(k, path, NULL, pincheck_fn, &c, &e2) == 0)
		return 0;
	/* Kubo answers 500 "... is not pinned" */
	if (k->err.kind == KUBO_E_HTTP && strstr(k->err.message, "not pinned") != NULL) {
		memset(&k->err, 0, sizeof k->err);
		k->err.kubo_code = -1;
		return 0;
	}
	if (e != NULL)
		*e = e2;
	return -1;
}

/* ---- node -------------------------------------------------------------- */

int
kubo_id(struct kubo *k, struct kubo_id *out, struct werr *e)
{
	return call_fields(k, "id", NULL, KUBO_IDEMPOTENT, out, sizeof *out, e);
}

int
kubo_version(struct kubo *k, struct kubo_version *out, struct werr *e)
{
	return call_fields(k, "version", NULL, KUBO_IDEMPOTENT, out, sizeof *out, e);
}

int
kubo_repo_stat(struct kubo *k, struct kubo_repo_stat *out, struct werr *e)
{
	return call_fields(k, "repo/stat", NULL, KUBO_IDEMPOTENT, out, sizeof *out, e);
}

int
kubo_stats_bw(struct kubo *k, struct kubo_bw *out, struct werr *e)
{
	return call_fields(k, "stats/bw", NULL, KUBO_IDEMPOTENT, out, sizeof *out, e);
}

/* ---- swarm ------------------------------------------------------------- */

int
kubo_swarm_peers(struct kubo *k, kubo_peer_fn fn, void *ctx, size_t *count, struct werr *e)
{
	struct kubo_param p[] = { { "direction", "true" }, { NULL, NULL } };
	cJSON *o, *it;
	size_t n = 0;
	int rc = 0;

	if (call_obj(k, "swarm/peers", p, KUBO_IDEMPOTENT, &o, e) < 0)
		return -1;
	/* Kubo sends "Peers": null when there are none */
	cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(o, "Peers"))
	{
		struct kubo_peer peer = { json_str(it, "Peer"), json_str(it, "Addr"), json_str(it, "Latency"), 0 };
		const cJSON *d = cJSON_GetObjectItemCaseSensitive(it, "Direction");

		if (peer.peer == NULL)
			continue;
		peer.addr = peer.addr ? peer.addr : "";
		peer.latency = peer.latency ? peer.latency : "";
		peer.direction = cJSON_IsNumber(d) ? d->valueint : 0;
		n++;
		if (fn != NULL && (rc = fn(ctx, &peer, e)) != 0)
			break;
	}
	cJSON_Delete(o);
	if (count != NULL)
		*count = n;
	if (rc < 0)
		return kubo_fail(k, NULL, "swarm/peers", KUBO_E_ABORTED, e ? e->code : 0, "%s", e ? e->msg : "");
	return 0;
}

int
kubo_swarm_connect(struct kubo *k, const char *multiaddr, struct werr *e)
{
	struct kubo_param p[] = { { "arg", multiaddr }, { NULL, NULL } };

	return call_void(k, "swarm/connect", p, 1, e);
}

/* ---- dag --------------------------------------------------------------- */

struct import_ctx {
	kubo_root_fn fn;
	void *ctx;
	char pin_error[300];
};

static int
import_obj(void *ctx, const cJSON *o, struct werr *e)
{
	struct import_ctx *c = ctx;
	const cJSON *root = cJSON_GetObjectItemCaseSensitive(o, "Root");
	const char *cid, *perr;
	int rc;

	if (root == NULL)
		return 0; /* {"Stats": ...} */
	cid = json_str(cJSON_GetObjectItemCaseSensitive(root, "Cid"), "/");
	perr = json_str(root, "PinErrorMsg");
	if (cid == NULL) {
		werr_set(e, EX_PROTOCOL, "a Root without Cid");
		return KJ_BAD;
	}
	if (perr != NULL && *perr == '\0')
		perr = NULL;
	if (perr != NULL && c->pin_error[0] == '\0')
		snprintf(c->pin_error, sizeof c->pin_error, "pinning %s: %s", cid, perr);
	rc = c->fn ? c->fn(c->ctx, cid, perr, e) : 0;
	return rc < 0 ? -1 : rc;
}

int
kubo_dag_import(struct kubo *k, int fd, const struct kubo_import_opts *o,
    kubo_root_fn fn, void *ctx, struct werr *e)
{
	struct kreq r;
	struct import_ctx c = { fn, ctx, "" };
	struct kubo_param p[] = { { "pin-roots", B(o == NULL || o->pin_roots) }, { NULL, NULL } };

	kubo_req_init(&r, "dag/import", RESP_NDJSON);
	kubo_upload_fd(&r, fd, o ? o->size_hint : 0);
	r.params = p;
	r.json_fn = import_obj;
	r.ctx = &c;
	r.transfer = 1;
	r.idempotent = 1; /* blocks are content-addressed */
	r.filename = "import.car";
	if (o != NULL) {
		r.progress = o->progress;
		r.progress_ctx = o->progress_ctx;
	}
	if (kubo_run(k, &r, e) < 0)
		return -1;
	if (c.pin_error[0] != '\0')
		return kubo_fail(k, e, "dag/import", KUBO_E_STREAM, 0, "%s", c.pin_error);
	return 0;
}

int
kubo_dag_export_cb(struct kubo *k, const char *cid, kubo_data_fn fn, void *ctx, struct werr *e)
{
	struct kreq r;
	struct kubo_param p[] = { { "arg", cid }, { NULL, NULL } };

	kubo_req_download(&r, "dag/export", p, fn, ctx);
	return kubo_run(k, &r, e);
}

int
kubo_dag_export(struct kubo *k, const char *cid, int fd, struct werr *e)
{
	return kubo_dag_export_cb(k, cid, kubo_fd_sink, &fd, e);
}

/* ---- blocks ------------------------------------------------------------ */

int
kubo_block_put(struct kubo *k, const void *data, size_t n, const char *codec, const char *mhtype,
    int pin, char cid_out[KUBO_CID_MAX], struct werr *e)
{
	struct kreq r;
	cJSON *o = NULL;
	const char *key;
	codec = codec ? codec : "raw";
	struct kubo_param p[] = { { "cid-codec", codec }, { "mhtype", mhtype ? mhtype : "sha2-256" },
		{ "pin", B(pin) }, { NULL, NULL } };

	kubo_req_init(&r, "block/put", RESP_JSON);
	kubo_upload_buf(&r, data, n);
	r.params = p;
	r.json_out = &o;
	r.idempotent = 1;
	r.transfer = 1;
	r.filename = "block";
	if (kubo_run(k, &r, e) < 0)
		return -1;
	if ((key = json_str(o, "Key")) == NULL) {
		cJSON_Delete(o);
		return missing(k, e, "block/put", "Key");
	}
	snprintf(cid_out, KUBO_CID_MAX, "%s", key);
	cJSON_Delete(o);
	return 0;
}

#define BLOCK_MAX (4u << 20)

static int
block_collect(void *ctx, const void *p, size_t n, struct werr *e)
{
	struct buf *b = ctx;

	if (b->len + n > BLOCK_MAX)
		return werr_set(e, EX_PROTOCOL, "block over %u bytes", BLOCK_MAX);
	return buf_add(b, p, n, e);
}

static int
block_restart(void *ctx, uint64_t delivered)
{
	(void)delivered;
	((struct buf *)ctx)->len = 0;
	return 0;
}

int
kubo_block_get(struct kubo *k, const char *cid, uint8_t **out, size_t *len, struct werr *e)
{
	struct kreq r;
	struct buf b = { 0 };
	struct kubo_param p[] = { { "arg", cid }, { NULL, NULL } };

	*out = NULL;
	*len = 0;
	kubo_req_download(&r, "block/get", p, block_collect, &b);
	r.resume = block_restart;
	r.resume_ctx = &b;
	if (kubo_run(k, &r, e) < 0) {
		/* too big is the daemon's fault, not ours */
		if (k->err.kind == KUBO_E_ABORTED && e != NULL && e->code == EX_PROTOCOL)
			k->err.kind = KUBO_E_PROTOCOL;
		free(b.p);
		return -1;
	}
	if (b.p == NULL && (b.p = malloc(1)) == NULL)
		return kubo_fail(k, e, "block/get", KUBO_E_LOCAL, EX_OSERR, "out of memory");
	*out = (uint8_t *)b.p;
	*len = b.len;
	return 0;
}

int
kubo_block_stat(struct kubo *k, const char *cid, struct kubo_block_stat *out, struct werr *e)
{
	struct kubo_param p[] = { { "arg", cid }, { NULL, NULL } };

	return call_fields(k, "block/stat", p, KUBO_IDEMPOTENT, out, sizeof *out, e);
}

/* ---- files (MFS) ------------------------------------------------------- */

int
kubo_files_mkdir(struct kubo *k, const char *path, int parents, int cid_version, struct werr *e)
{
	char cv[8];
	struct kubo_param p[] = { { "arg", path }, { "parents", B(parents) },
		{ "cid-version", cid_version >= 0 ? cv : NULL }, { NULL, NULL } };

	snprintf(cv, sizeof cv, "%d", cid_version);
	return call_void(k, "files/mkdir", p, 0, e);
}

int
kubo_files_cp(struct kubo *k, const char *src, const char *dst, int parents, struct werr *e)
{
	struct kubo_param p[] = { { "arg", src }, { "arg", dst }, { "parents", B(parents) }, { NULL, NULL } };

	return call_void(k, "files/cp", p, 0, e);
}

int
kubo_files_rm(struct kubo *k, const char *path, int recursive, int force, struct werr *e)
{
	struct kubo_param p[] = { { "arg", path }, { "recursive", B(recursive) },
		{ "force", force ? "true" : NULL }, { NULL, NULL } };

	return call_void(k, "files/rm", p, 0, e);
}

int
kubo_files_stat(struct kubo *k, const char *path, struct kubo_files_stat *out, struct werr *e)
{
	struct kubo_param p[] = { { "arg", path }, { NULL, NULL } };

	return call_fields(k, "files/stat", p, KUBO_IDEMPOTENT, out, sizeof *out, e);
}

int
kubo_files_ls(struct kubo *k, const char *path, kubo_files_fn fn, void *ctx, struct werr *e)
{
	struct kubo_param p[] = { { "arg", path }, { "long", "true" }, { NULL, NULL } };
	cJSON *o, *it;
	int rc = 0;

	if (call_obj(k, "files/ls", p, KUBO_IDEMPOTENT, &o, e) < 0)
		return -1;
	/* Kubo: "Entries": null for an empty directory */
	cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(o, "Entries"))
	{
		const cJSON *t = cJSON_GetObjectItemCaseSensitive(it, "Type");
		struct kubo_files_entry f = { json_str(it, "Name"), json_str(it, "Hash"), json_u64(it, "Size"),
			cJSON_IsNumber(t) ? t->valueint : 0 };

		if (f.name == NULL)
			continue;
		f.hash = f.hash ? f.hash : "";
		if (fn != NULL && (rc = fn(ctx, &f, e)) != 0)
			break;
	}
	cJSON_Delete(o);
	if (rc < 0)
		return kubo_fail(k, NULL, "files/ls", KUBO_E_ABORTED, e ? e->code : 0, "%s", e ? e->msg : "");
	return 0;
}

/* ---- keys and IPNS ----------------------------------------------------- */

int
kubo_key_gen(struct kubo *k, const char *name, struct kubo_key *out, struct werr *e)
{
	struct kubo_param p[] = { { "arg", name }, { "type", "ed25519" }, { NULL, NULL } };

	return call_fields(k, "key/gen", p, 0, out, sizeof *out, e);
}

int
kubo_key_list(struct kubo *k, kubo_key_fn fn, void *ctx, struct werr *e)
{
	cJSON *o, *it;
	const cJSON *keys;
	int rc = 0;

	if (call_obj(k, "key/list", NULL, KUBO_IDEMPOTENT, &o, e) < 0)
		return -1;
	keys = cJSON_GetObjectItemCaseSensitive(o, "Keys");
	cJSON_ArrayForEach(it, keys)
	{
		struct kubo_key key;

		(void)fields_read(it, "key/gen", &key);
		if (key.name[0] == '\0')
			continue;
		if (fn != NULL && (rc = fn(ctx, &key, e)) != 0)
			break;
	}
	cJSON_Delete(o);
	if (rc < 0)
		return kubo_fail(k, NULL, "key/list", KUBO_E_ABORTED, e ? e->code : 0, "%s", e ? e->msg : "");
	return 0;
}

struct keyfind {
	const char *name;
	struct kubo_key *out;
	int *found;
};

static int
keyfind_fn(void *ctx, const struct kubo_key *key, struct werr *e)
{
	struct keyfind *f = ctx;

	(void)e;
	if (strcmp(key->name, f->name) != 0)
		return 0;
	*f->out = *key;
	*f->found = 1;
	return 1;
}

int
kubo_key_find(struct kubo *k, const char *name, struct kubo_key *out, int *found, struct werr *e)
{
	struct keyfind f = { name, out, found };

	*found = 0;
	return kubo_key_list(k, keyfind_fn, &f, e);
}

int
kubo_name_publish(struct kubo *k, const char *path, const struct kubo_publish_opts *o,
    char name_out[KUBO_NAME_MAX], char value_out[KUBO_NAME_MAX], struct werr *e)
{
	struct kubo_param p[] = { { "arg", path }, { "key", o && o->key ? o->key : "self" },
		{ "lifetime", o ? o->lifetime : NULL }, { "ttl", o ? o->ttl : NULL },
		{ "allow-offline", B(o && o->allow_offline) }, { NULL, NULL } };
	cJSON *obj;

	if (call_obj(k, "name/publish", p, KUBO_SLOW, &obj, e) < 0)
		return -1;
	json_copy(name_out, KUBO_NAME_MAX, obj, "Name");
	if (value_out != NULL)
		json_copy(value_out, KUBO_NAME_MAX, obj, "Value");
	cJSON_Delete(obj);
	return name_out[0] ? 0 : missing(k, e, "name/publish", "Name");
}

int
kubo_name_resolve(struct kubo *k, const char *name, int nocache, char out[KUBO_NAME_MAX], struct werr *e)
{
	struct kubo_param p[] = { { "arg", name }, { "recursive", "true" },
		{ "nocache", nocache ? "true" : NULL }, { NULL, NULL } };
	cJSON *o;

	out[0] = '\0';
	if (call_obj(k, "name/resolve", p, KUBO_IDEMPOTENT | KUBO_SLOW, &o, e) < 0)
		return -1;
	json_copy(out, KUBO_NAME_MAX, o, "Path");
	cJSON_Delete(o);
	return out[0] ? 0 : missing(k, e, "name/resolve", "Path");
}

/* ---- routing ----------------------------------------------------------- */

static int
provide_line(void *ctx, const cJSON *o, struct werr *e)
{
	(void)ctx;
	(void)o;
	(void)e;
	return 0;
}

int
kubo_routing_provide(struct kubo *k, const char *cid, int recursive, struct werr *e)
{
	struct kubo_param p[] = { { "arg", cid }, { "recursive", B(recursive) }, { NULL, NULL } };

	/* Kubo streams query events (NDJSON) */
	return kubo_rpc_ndjson(k, "routing/provide", p, KUBO_IDEMPOTENT | KUBO_SLOW, provide_line, NULL, e);
}
