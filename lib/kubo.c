/* kubo: Kubo RPC client. First delivery: the API compiles; calls are
 * stubs that fail with EX_UNAVAILABLE "not implemented" until the
 * implementation lands. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "kubo.h"

struct kubo {
	char *base;
	struct kubo_opts o;
	struct kubo_error err;
};

#define NI(k, e, what) do { \
	(k)->err.kind = KUBO_E_LOCAL; (k)->err.permanent = 0; \
	snprintf((k)->err.message, sizeof (k)->err.message, "%s: not implemented", what); \
	return werr_set(e, EX_UNAVAILABLE, "%s: not implemented", what); } while (0)

void
kubo_opts_default(struct kubo_opts *o)
{
	memset(o, 0, sizeof *o);
	o->connect_timeout_ms = 5000;
	o->timeout_ms = 60000;
	o->transfer_timeout_ms = 0;
	o->low_speed_bytes = 1;
	o->low_speed_s = 30;
	o->retries = 3;
	o->backoff_ms = 200;
	o->backoff_max_ms = 5000;
}

struct kubo *
kubo_new(const char *base_url, const struct kubo_opts *o, struct werr *e)
{
	struct kubo *k = calloc(1, sizeof *k);

	if (k == NULL || (k->base = strdup(base_url)) == NULL) {
		free(k);
		werr_sys(e, EX_OSERR, "kubo");
		return NULL;
	}
	if (o != NULL)
		k->o = *o;
	else
		kubo_opts_default(&k->o);
	return k;
}

void
kubo_free(struct kubo *k)
{
	if (k == NULL)
		return;
	free(k->base);
	free(k);
}

const char *kubo_base_url(const struct kubo *k) { return k->base; }
const struct kubo_error *kubo_last_error(const struct kubo *k) { return &k->err; }

const char *
kubo_kind_name(enum kubo_kind kind)
{
	static const char *const names[] = { "none", "unreachable", "timeout", "http", "stream",
		"truncated", "protocol", "local", "aborted" };

	if ((unsigned)kind < sizeof names / sizeof names[0])
		return names[kind];
	return "none";
}

void
kubo_add_opts_wanda(struct kubo_add_opts *o)
{
	memset(o, 0, sizeof *o);
	o->cid_version = 1;
	o->raw_leaves = 1;
	o->chunker = "size-1048576";
	o->hash = "sha2-256";
	o->pin = 1;
}

void
kubo_add_opts_kubo(struct kubo_add_opts *o)
{
	memset(o, 0, sizeof *o);
	o->chunker = "size-262144";
	o->hash = "sha2-256";
	o->pin = 1;
}

int kubo_add_fd(struct kubo *k, int fd, const struct kubo_add_opts *o, struct kubo_add_result *out, struct werr *e)
{ (void)fd; (void)o; (void)out; NI(k, e, "add"); }
int kubo_add_buf(struct kubo *k, const void *p, size_t n, const struct kubo_add_opts *o, struct kubo_add_result *out, struct werr *e)
{ (void)p; (void)n; (void)o; (void)out; NI(k, e, "add"); }
int kubo_cat(struct kubo *k, const char *path, uint64_t offset, int64_t length, kubo_data_fn fn, void *ctx, struct werr *e)
{ (void)path; (void)offset; (void)length; (void)fn; (void)ctx; NI(k, e, "cat"); }
int kubo_cat_fd(struct kubo *k, const char *path, int fd, struct werr *e)
{ (void)path; (void)fd; NI(k, e, "cat"); }
int kubo_get(struct kubo *k, const char *path, const char *dest, struct werr *e)
{ (void)path; (void)dest; NI(k, e, "get"); }
int kubo_pin_add(struct kubo *k, const char *path, int recursive, struct werr *e)
{ (void)path; (void)recursive; NI(k, e, "pin/add"); }
int kubo_pin_rm(struct kubo *k, const char *path, int recursive, struct werr *e)
{ (void)path; (void)recursive; NI(k, e, "pin/rm"); }
int kubo_pin_ls(struct kubo *k, const char *path, const char *type, kubo_pin_fn fn, void *ctx, struct werr *e)
{ (void)path; (void)type; (void)fn; (void)ctx; NI(k, e, "pin/ls"); }
int kubo_pin_check(struct kubo *k, const char *path, int *pinned, char *type, struct werr *e)
{ (void)path; (void)pinned; (void)type; NI(k, e, "pin/ls"); }
int kubo_id(struct kubo *k, struct kubo_id *out, struct werr *e)
{ (void)out; NI(k, e, "id"); }
int kubo_version(struct kubo *k, struct kubo_version *out, struct werr *e)
{ (void)out; NI(k, e, "version"); }
int kubo_repo_stat(struct kubo *k, struct kubo_repo_stat *out, struct werr *e)
{ (void)out; NI(k, e, "repo/stat"); }
int kubo_stats_bw(struct kubo *k, struct kubo_bw *out, struct werr *e)
{ (void)out; NI(k, e, "stats/bw"); }
int kubo_swarm_peers(struct kubo *k, kubo_peer_fn fn, void *ctx, size_t *count, struct werr *e)
{ (void)fn; (void)ctx; (void)count; NI(k, e, "swarm/peers"); }
int kubo_swarm_connect(struct kubo *k, const char *multiaddr, struct werr *e)
{ (void)multiaddr; NI(k, e, "swarm/connect"); }
int kubo_dag_import(struct kubo *k, int fd, const struct kubo_import_opts *o, kubo_root_fn fn, void *ctx, struct werr *e)
{ (void)fd; (void)o; (void)fn; (void)ctx; NI(k, e, "dag/import"); }
int kubo_dag_export(struct kubo *k, const char *cid, int fd, struct werr *e)
{ (void)cid; (void)fd; NI(k, e, "dag/export"); }
int kubo_dag_export_cb(struct kubo *k, const char *cid, kubo_data_fn fn, void *ctx, struct werr *e)
{ (void)cid; (void)fn; (void)ctx; NI(k, e, "dag/export"); }
int kubo_block_put(struct kubo *k, const void *p, size_t n, const char *codec, const char *mhtype, int pin, char cid_out[KUBO_CID_MAX], struct werr *e)
{ (void)p; (void)n; (void)codec; (void)mhtype; (void)pin; (void)cid_out; NI(k, e, "block/put"); }
int kubo_block_get(struct kubo *k, const char *cid, uint8_t **out, size_t *len, struct werr *e)
{ (void)cid; (void)out; (void)len; NI(k, e, "block/get"); }
int kubo_block_stat(struct kubo *k, const char *cid, struct kubo_block_stat *out, struct werr *e)
{ (void)cid; (void)out; NI(k, e, "block/stat"); }
int kubo_files_mkdir(struct kubo *k, const char *path, int parents, int cid_version, struct werr *e)
{ (void)path; (void)parents; (void)cid_version; NI(k, e, "files/mkdir"); }
int kubo_files_cp(struct kubo *k, const char *src, const char *dst, int parents, struct werr *e)
{ (void)src; (void)dst; (void)parents; NI(k, e, "files/cp"); }
int kubo_files_rm(struct kubo *k, const char *path, int recursive, int force, struct werr *e)
{ (void)path; (void)recursive; (void)force; NI(k, e, "files/rm"); }
int kubo_files_stat(struct kubo *k, const char *path, struct kubo_files_stat *out, struct werr *e)
{ (void)path; (void)out; NI(k, e, "files/stat"); }
int kubo_files_ls(struct kubo *k, const char *path, kubo_files_fn fn, void *ctx, struct werr *e)
{ (void)path; (void)fn; (void)ctx; NI(k, e, "files/ls"); }
int kubo_key_gen(struct kubo *k, const char *name, struct kubo_key *out, struct werr *e)
{ (void)name; (void)out; NI(k, e, "key/gen"); }
int kubo_key_list(struct kubo *k, kubo_key_fn fn, void *ctx, struct werr *e)
{ (void)fn; (void)ctx; NI(k, e, "key/list"); }
int kubo_key_find(struct kubo *k, const char *name, struct kubo_key *out, int *found, struct werr *e)
{ (void)name; (void)out; (void)found; NI(k, e, "key/list"); }
int kubo_name_publish(struct kubo *k, const char *path, const struct kubo_publish_opts *o, char name_out[KUBO_NAME_MAX], char value_out[KUBO_NAME_MAX], struct werr *e)
{ (void)path; (void)o; (void)name_out; (void)value_out; NI(k, e, "name/publish"); }
int kubo_name_resolve(struct kubo *k, const char *name, int nocache, char out[KUBO_NAME_MAX], struct werr *e)
{ (void)name; (void)nocache; (void)out; NI(k, e, "name/resolve"); }
int kubo_pubsub_pub(struct kubo *k, const char *topic, const void *p, size_t n, struct werr *e)
{ (void)topic; (void)p; (void)n; NI(k, e, "pubsub/pub"); }
int kubo_pubsub_sub(struct kubo *k, const char *topic, long tick_ms, kubo_sub_fn fn, void *ctx, struct werr *e)
{ (void)topic; (void)tick_ms; (void)fn; (void)ctx; NI(k, e, "pubsub/sub"); }
int kubo_routing_provide(struct kubo *k, const char *cid, int recursive, struct werr *e)
{ (void)cid; (void)recursive; NI(k, e, "routing/provide"); }
int kubo_rpc_json(struct kubo *k, const char *cmd, const struct kubo_param *params, int flags, cJSON **out, struct werr *e)
{ (void)params; (void)flags; (void)out; NI(k, e, cmd); }
int kubo_rpc_ndjson(struct kubo *k, const char *cmd, const struct kubo_param *params, int flags, kubo_json_fn fn, void *ctx, struct werr *e)
{ (void)params; (void)flags; (void)fn; (void)ctx; NI(k, e, cmd); }
char *kubo_build_url(const char *base, const char *cmd, const struct kubo_param *params, struct werr *e)
{ (void)base; (void)cmd; (void)params; werr_set(e, EX_UNAVAILABLE, "kubo_build_url: not implemented"); return NULL; }
int kubo_lines_feed(struct kubo_lines *l, const void *p, size_t n, kubo_line_fn fn, void *ctx, struct werr *e)
{ (void)l; (void)p; (void)n; (void)fn; (void)ctx; return werr_set(e, EX_UNAVAILABLE, "not implemented"); }
int kubo_lines_finish(struct kubo_lines *l, kubo_line_fn fn, void *ctx, struct werr *e)
{ (void)l; (void)fn; (void)ctx; return werr_set(e, EX_UNAVAILABLE, "not implemented"); }
void kubo_lines_free(struct kubo_lines *l) { free(l->buf); l->buf = NULL; }
void kubo_error_from_http(int status, const char *body, size_t n, struct kubo_error *out)
{ (void)body; (void)n; memset(out, 0, sizeof *out); out->kind = KUBO_E_HTTP; out->http_status = status; }
int kubo_mb64_encode(const void *p, size_t n, char *out, size_t cap)
{ (void)p; (void)n; (void)out; (void)cap; return -1; }
int kubo_mb64_decode(const char *s, uint8_t *out, size_t cap, size_t *outlen)
{ (void)s; (void)out; (void)cap; (void)outlen; return -1; }
