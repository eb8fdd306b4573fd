/* kubo: a client for the Kubo RPC API (POST /api/v0/..., see
 * https://docs.ipfs.tech/reference/kubo/rpc/), through libcurl.
 *
 * One `struct kubo` per thread: it owns one curl handle reused by every
 * call (keep-alive), and one call runs at a time on it. A callback that
 * wants to make RPC calls itself (say, publish from inside a pubsub_sub
 * callback) uses a second client.
 *
 * Errors. Every call returns 0 on success, -1 on error after filling the
 * `struct werr` (one-line message naming the command and what happened),
 * and records the details for programs that report them as data
 * (wanda-push's {"kind","permanent"}) in kubo_last_error(). werr codes:
 *
 *   kind         werr code            permanent  what
 *   unreachable  EX_UNAVAILABLE (69)  no   connect refused, DNS, reset before a response
 *   timeout      EX_TEMPFAIL    (75)  no   connect, total or low-speed (stall) timeout
 *   http 4xx     EX_DATAERR     (65)  yes  the daemon refused the request (408/429: EX_TEMPFAIL, not permanent)
 *   http 5xx     EX_SOFTWARE    (70)  no   the daemon failed it; Kubo answers 500 for most
 *                                          failures (bad CID, "not pinned"), so read message
 *   stream       EX_PROTOCOL    (76)  no   an error after a 200: the X-Stream-Error trailer, an
 *                                          error object inside the NDJSON, dag import PinErrorMsg
 *   truncated    EX_IOERR       (74)  no   the body ended early (bad chunked framing, short
 *                                          Content-Length, NDJSON without its last line)
 *   protocol     EX_PROTOCOL    (76)  no   a body that is not what Kubo sends (bad JSON, missing field)
 *   local        (from the cause)     yes  our side: reading the input fd, writing the output, bad argument
 *   aborted      (callback's code)    yes  a callback returned -1 (its werr is kept)
 *
 * Kubo's error body {"Message","Code","Type"} becomes the message
 * ("pin/rm: HTTP 500: not pinned or pinned indirectly").
 *
 * Timeouts and retries. Every call has the connect timeout and the
 * low-speed guard (less than low_speed_bytes/s for low_speed_s aborts: a
 * stalled daemon; it counts the wait for the answer too). Calls with small
 * answers also have the total timeout `timeout_ms`; transfers (add, cat,
 * get, dag import/export, block put/get) have `transfer_timeout_ms` (0 =
 * none: a 1 GiB add may take long; the low-speed guard still catches
 * stalls). Calls that may rightly stay silent for minutes while the daemon
 * fetches a DAG or walks the DHT (pin add, name publish/resolve, routing
 * provide) have no low-speed guard and `slow_timeout_ms` instead.
 * pubsub_sub has no limit but the connect timeout (an idle subscription
 * is normal).
 * Idempotent calls are retried up to `retries` more times, with backoff
 * doubling from backoff_ms up to backoff_max_ms, on unreachable, timeout,
 * truncated and HTTP 408/429/502/503/504; never on another 4xx, 500, stream
 * or protocol errors. Content-addressed writes (add, dag import, block put,
 * pin add) are idempotent: add and dag import are retried when their input
 * fd can be rewound (lseek to where it started), not when it is a pipe.
 * cat resumes at the offset it had reached; get and dag export are retried
 * only when nothing was delivered yet. pubsub pub, name publish, key gen,
 * pin rm, files mkdir/cp/rm are not retried (a repeat would fail or
 * duplicate).
 *
 * CIDs come back as the daemon prints them (a CIDv0 as Qm..., a CIDv1 in
 * base32 unless the request or Import config asks for another base):
 * compare them decoded (cid_parse + cid_equal, lib/ipld/cid.h), never as
 * strings.
 */
#ifndef WANDA_KUBO_H
#define WANDA_KUBO_H
#include <stddef.h>
#include <stdint.h>
#include <cjson/cJSON.h>
#include "base/buf.h"
#include "base/werr.h"

#define KUBO_CID_MAX 160  /* a CID string, NUL included (= CID_STR_MAX) */
#define KUBO_NAME_MAX 256 /* peer ids, IPNS names, key names, /ipfs/... paths */

struct kubo;

struct kubo_opts {
	long connect_timeout_ms;  /* default 5000 */
	long timeout_ms;          /* total, calls with small answers; default 60000; 0 = none */
	long transfer_timeout_ms; /* total, transfers; default 0 = none */
	long slow_timeout_ms;     /* total, silent DHT/fetch calls; default 900000 (15 min) */
	long low_speed_bytes;     /* default 1 (byte/s) ... */
	long low_speed_s;         /* ... for 30 s; 0 = no low-speed guard */
	int retries;              /* extra attempts for idempotent calls; default 3 */
	long backoff_ms;          /* default 200 */
	long backoff_max_ms;      /* default 5000 */
};
void kubo_opts_default(struct kubo_opts *o);
/* Defaults scaled to a program's --timeout: connect within min(t, 5 s),
 * a whole call within 2t, and no more than t of silence. */
void kubo_opts_for_timeout(struct kubo_opts *o, long timeout_ms);

/* base_url: "http://127.0.0.1:5001" (what config_api_url() gives; a
 * trailing '/' is fine). o may be NULL (defaults). Makes no request. */
struct kubo *kubo_new(const char *base_url, const struct kubo_opts *o, struct werr *e);
void kubo_free(struct kubo *k);
const char *kubo_base_url(const struct kubo *k);

enum kubo_kind {
	KUBO_E_NONE = 0,
	KUBO_E_UNREACHABLE,
	KUBO_E_TIMEOUT,
	KUBO_E_HTTP,
	KUBO_E_STREAM,
	KUBO_E_TRUNCATED,
	KUBO_E_PROTOCOL,
	KUBO_E_LOCAL,
	KUBO_E_ABORTED,
};

struct kubo_error {
	enum kubo_kind kind;
	int permanent;      /* retrying the same request cannot help */
	int http_status;    /* 0 when no HTTP response came */
	int kubo_code;      /* Kubo's "Code" (0 normal, 1 client, ...); -1 when absent */
	char kubo_type[32]; /* Kubo's "Type" ("error"), "" when absent */
	char message[400];  /* Kubo's Message, the X-Stream-Error text, or curl's reason */
	int attempts;       /* requests made, retries included */
};

/* Details of the last failed call (kind KUBO_E_NONE after a success). */
const struct kubo_error *kubo_last_error(const struct kubo *k);
/* "unreachable", "timeout", "http", "stream", "truncated", "protocol", "local", "aborted", "none" */
const char *kubo_kind_name(enum kubo_kind kind);

/* Data sink for cat, dag export, block get...: return 0, or -1 after
 * setting e to stop the transfer (the call then fails, kind aborted). */
typedef int (*kubo_data_fn)(void *ctx, const void *p, size_t n, struct werr *e);
/* Upload progress: bytes sent so far of total (0 = unknown). */
typedef void (*kubo_progress_fn)(void *ctx, uint64_t sent, uint64_t total);

/* ---- add ---------------------------------------------------------------
 * Every profile flag is sent explicitly, so the daemon's config
 * (Import.*) can never change the resulting CID. */
struct kubo_add_opts {
	int cid_version; /* 0 or 1 */
	int raw_leaves;
	const char *chunker; /* "size-1048576" */
	const char *hash;    /* "sha2-256" */
	int trickle;
	/* Kubo 0.35+ (older daemons ignore them and use their Import.* config):
	 * links per file node and per HAMT node, 0 = not sent; links per basic
	 * directory, -1 = not sent, 0 = no limit. */
	int max_file_links;
	int max_directory_links;
	int max_hamt_fanout;
	int pin;
	const char *filename; /* multipart filename and AddEvent Name; default "file" */
	uint64_t size_hint;   /* for progress; 0: fstat() of the fd when it is a regular file */
	kubo_progress_fn progress;
	void *progress_ctx;
	/* Sees every byte of the upload as it goes out, in order (to hash
	 * what was sent in the same pass); an attempt that starts over calls
	 * tap(ctx, NULL, 0) first. -1 stops the upload with the tap's error. */
	kubo_data_fn tap;
	void *tap_ctx;
};
/* WANDA's profile (unixfs-v1-2025): v1, raw leaves, size-1048576, sha2-256, balanced,
 * 1024 links per file node, no basic-directory limit, HAMT fanout 256, pin. */
void kubo_add_opts_wanda(struct kubo_add_opts *o);
/* `ipfs add` defaults: v0, no raw leaves, size-262144, sha2-256, balanced, pin;
 * no link limits sent (the daemon's Import.* config applies). */
void kubo_add_opts_kubo(struct kubo_add_opts *o);

struct kubo_add_result {
	char name[KUBO_NAME_MAX];
	char cid[KUBO_CID_MAX]; /* the root, as the daemon prints it */
	uint64_t size;          /* AddEvent Size: cumulative DAG size (string or number on the wire) */
};
/* Stream the fd from its current offset to EOF (never held in memory). */
int kubo_add_fd(struct kubo *k, int fd, const struct kubo_add_opts *o,
    struct kubo_add_result *out, struct werr *e);
int kubo_add_buf(struct kubo *k, const void *p, size_t n, const struct kubo_add_opts *o,
    struct kubo_add_result *out, struct werr *e);

/* ---- cat / get ---------------------------------------------------------
 * path: a CID or /ipfs/CID[/sub/path]. length < 0: to the end. */
int kubo_cat(struct kubo *k, const char *path, uint64_t offset, int64_t length,
    kubo_data_fn fn, void *ctx, struct werr *e);
int kubo_cat_fd(struct kubo *k, const char *path, int fd, struct werr *e);
/* Fetch the tar stream of `path` and extract it with libarchive so the
 * content ends up AT dest (like `ipfs get -o dest`): a file becomes the
 * file dest, a directory the directory dest (created; must not exist).
 * Entries with absolute paths, ".." components, a second top-level name,
 * links pointing out of dest, or types other than file, directory and
 * symlink are refused (kind protocol), and so are names that appear twice
 * and "." components. Symlinks are written last and each is resolved
 * against the tree as written (links through links included): one that
 * leads out of the download by any route is refused. The tree is
 * extracted into a temporary directory beside dest; check (if not NULL)
 * is called on it (root: its path) and only when it returns 0 is the tree
 * renamed into place, so dest is verified content or absent. An existing
 * dest: kind local, EX_CANTCREAT. */
typedef int (*kubo_get_check)(void *ctx, const char *root, struct werr *e);
int kubo_get(struct kubo *k, const char *path, const char *dest, kubo_get_check check, void *ctx,
    struct werr *e);
/* The same extraction of a tar stream read from fd (no daemon): for the
 * fuzz target and tools. */
int kubo_untar_fd(int fd, const char *dest, kubo_get_check check, void *ctx, struct werr *e);

/* ---- pins -------------------------------------------------------------- */
int kubo_pin_add(struct kubo *k, const char *path, int recursive, struct werr *e);
/* A recursive pin/add that reports as it fetches: fn gets the number of
 * blocks the daemon has gone through so far and their bytes (Kubo 0.43
 * sends "Bytes"; 0 from a daemon that does not), every half second or so,
 * also when nothing moves; fn returning -1 (e set) cancels the request,
 * which fails with fn's error. Not retried. */
typedef int (*kubo_pin_progress_fn)(void *ctx, uint64_t nodes, uint64_t bytes, struct werr *e);
int kubo_pin_add_progress(struct kubo *k, const char *path, kubo_pin_progress_fn fn, void *ctx,
    struct werr *e);
int kubo_pin_rm(struct kubo *k, const char *path, int recursive, struct werr *e);
/* Per pin; return 0 to go on, 1 to stop early (not an error), -1 error. */
typedef int (*kubo_pin_fn)(void *ctx, const char *cid, const char *type, struct werr *e);
/* path NULL: every pin; type NULL or "all", "recursive", "direct", "indirect". */
int kubo_pin_ls(struct kubo *k, const char *path, const char *type,
    kubo_pin_fn fn, void *ctx, struct werr *e);
/* *pinned = 1 and type ("recursive", "direct", "indirect") when path is
 * pinned, *pinned = 0 when the daemon says it is not (not an error).
 * type may be NULL, else at least 16 bytes. */
int kubo_pin_check(struct kubo *k, const char *path, int *pinned, char *type, struct werr *e);

/* ---- node -------------------------------------------------------------- */
#define KUBO_MAX_ADDRS 16
struct kubo_id {
	char id[KUBO_NAME_MAX];
	char agent_version[128];
	char protocol_version[64];
	size_t naddrs; /* at most KUBO_MAX_ADDRS kept */
	char addrs[KUBO_MAX_ADDRS][256];
};
int kubo_id(struct kubo *k, struct kubo_id *out, struct werr *e);

struct kubo_version {
	char version[64]; /* "0.43.1" */
	char commit[64];
	char repo[16];
	char system[64];
	char golang[32];
};
int kubo_version(struct kubo *k, struct kubo_version *out, struct werr *e);

/* Numbers as Kubo sends them: JSON numbers (a string of digits is accepted too). */
struct kubo_repo_stat {
	uint64_t repo_size, storage_max, num_objects;
	char repo_path[512];
	char version[32];
};
int kubo_repo_stat(struct kubo *k, struct kubo_repo_stat *out, struct werr *e);

struct kubo_bw {
	uint64_t total_in, total_out;
	double rate_in, rate_out; /* bytes/s */
};
int kubo_stats_bw(struct kubo *k, struct kubo_bw *out, struct werr *e);

/* ---- swarm ------------------------------------------------------------- */
struct kubo_peer {
	const char *peer;    /* peer id */
	const char *addr;    /* multiaddr, "" when absent */
	const char *latency; /* "" when absent */
	int direction;       /* 0 unknown, 1 inbound, 2 outbound */
};
typedef int (*kubo_peer_fn)(void *ctx, const struct kubo_peer *p, struct werr *e); /* 0 go on, 1 stop, -1 error */
/* fn may be NULL; *count (may be NULL) gets the number of peers. */
int kubo_swarm_peers(struct kubo *k, kubo_peer_fn fn, void *ctx, size_t *count, struct werr *e);
/* multiaddr with /p2p/PEERID. */
int kubo_swarm_connect(struct kubo *k, const char *multiaddr, struct werr *e);

/* ---- dag --------------------------------------------------------------- */
struct kubo_import_opts {
	int pin_roots;      /* pin-roots (Kubo's default is true; we always send it) */
	uint64_t size_hint; /* for progress; 0: fstat() */
	kubo_progress_fn progress;
	void *progress_ctx;
};
/* Per root in the CAR: pin_error is NULL or the daemon's PinErrorMsg. A
 * PinErrorMsg also makes the call fail (kind stream) after all roots. */
typedef int (*kubo_root_fn)(void *ctx, const char *cid, const char *pin_error, struct werr *e);
/* Stream a CAR v1 from the fd (current offset to EOF). fn may be NULL. */
int kubo_dag_import(struct kubo *k, int fd, const struct kubo_import_opts *o,
    kubo_root_fn fn, void *ctx, struct werr *e);
/* The CAR of the DAG under cid, written to fd as it arrives. */
int kubo_dag_export(struct kubo *k, const char *cid, int fd, struct werr *e);
int kubo_dag_export_cb(struct kubo *k, const char *cid, kubo_data_fn fn, void *ctx, struct werr *e);

/* ---- blocks ------------------------------------------------------------ */
/* codec: "raw" or "dag-pb" (sent as cid-codec);
 * mhtype NULL = "sha2-256"; cid_out gets the block's CID. */
int kubo_block_put(struct kubo *k, const void *p, size_t n, const char *codec, const char *mhtype,
    int pin, char cid_out[KUBO_CID_MAX], struct werr *e);
/* *out malloc'd (free()); blocks over 4 MiB are refused (kind protocol). */
int kubo_block_get(struct kubo *k, const char *cid, uint8_t **out, size_t *len, struct werr *e);
struct kubo_block_stat {
	char key[KUBO_CID_MAX];
	uint64_t size;
};
int kubo_block_stat(struct kubo *k, const char *cid, struct kubo_block_stat *out, struct werr *e);

/* ---- files (MFS) ------------------------------------------------------- */
/* cid_version: -1 = the daemon's default, else 0/1. */
int kubo_files_mkdir(struct kubo *k, const char *path, int parents, int cid_version, struct werr *e);
/* src: /ipfs/CID or an MFS path. */
int kubo_files_cp(struct kubo *k, const char *src, const char *dst, int parents, struct werr *e);
int kubo_files_rm(struct kubo *k, const char *path, int recursive, int force, struct werr *e);
struct kubo_files_stat {
	char hash[KUBO_CID_MAX];
	uint64_t size, cumulative_size;
	uint64_t blocks;
	char type[16]; /* "file", "directory" */
};
int kubo_files_stat(struct kubo *k, const char *path, struct kubo_files_stat *out, struct werr *e);
struct kubo_files_entry {
	const char *name;
	const char *hash; /* "" when the daemon did not send it */
	uint64_t size;
	int type; /* 0 file, 1 directory (Kubo's numbering) */
};
typedef int (*kubo_files_fn)(void *ctx, const struct kubo_files_entry *f, struct werr *e); /* 0/1 stop/-1 */
int kubo_files_ls(struct kubo *k, const char *path, kubo_files_fn fn, void *ctx, struct werr *e);

/* ---- keys and IPNS ----------------------------------------------------- */
struct kubo_key {
	char name[KUBO_NAME_MAX];
	char id[KUBO_NAME_MAX];
};
/* Always type=ed25519, whatever the daemon's default. */
int kubo_key_gen(struct kubo *k, const char *name, struct kubo_key *out, struct werr *e);
typedef int (*kubo_key_fn)(void *ctx, const struct kubo_key *key, struct werr *e); /* 0/1 stop/-1 */
int kubo_key_list(struct kubo *k, kubo_key_fn fn, void *ctx, struct werr *e);
/* *found = 0 and out untouched when no key has that name. */
int kubo_key_find(struct kubo *k, const char *name, struct kubo_key *out, int *found, struct werr *e);

struct kubo_publish_opts {
	const char *key;      /* NULL: "self" */
	const char *lifetime; /* "24h"; NULL: daemon default */
	const char *ttl;      /* "1m"; NULL: daemon default */
	int allow_offline;
};
/* path: /ipfs/CID. name_out: the IPNS name (peer id of the key);
 * value_out (may be NULL): the published path. */
int kubo_name_publish(struct kubo *k, const char *path, const struct kubo_publish_opts *o,
    char name_out[KUBO_NAME_MAX], char value_out[KUBO_NAME_MAX], struct werr *e);
/* name: /ipns/NAME or NAME; out gets "/ipfs/CID...". */
int kubo_name_resolve(struct kubo *k, const char *name, int nocache,
    char out[KUBO_NAME_MAX], struct werr *e);

/* ---- pubsub ------------------------------------------------------------
 * Topics go on the wire multibase-encoded (base64url, 'u' prefix) as Kubo
 * requires since 0.11; message data and seqno come back multibase-encoded
 * and are decoded here. */
int kubo_pubsub_pub(struct kubo *k, const char *topic, const void *p, size_t n, struct werr *e);
struct kubo_pubsub_msg {
	const char *from;    /* peer id */
	const uint8_t *data; /* decoded */
	size_t len;
	const uint8_t *seqno; /* decoded, may be NULL */
	size_t seqno_len;
	const char *topic; /* decoded first topic id, "" when absent */
};
enum kubo_sub_event {
	KUBO_SUB_READY,   /* the subscription is in place (m NULL): publish now */
	KUBO_SUB_MESSAGE, /* m is a message */
	KUBO_SUB_TICK,    /* about every tick_ms of wall time (m NULL) */
};
/* Return 0 to go on, 1 to end the subscription (call returns 0), -1 with e set. */
typedef int (*kubo_sub_fn)(void *ctx, enum kubo_sub_event ev, const struct kubo_pubsub_msg *m, struct werr *e);
/* Blocks until fn returns non-zero or the daemon ends the stream (then
 * -1, kind truncated). tick_ms 0: no ticks, else at least 100 ms. */
int kubo_pubsub_sub(struct kubo *k, const char *topic, long tick_ms, kubo_sub_fn fn, void *ctx, struct werr *e);

/* ---- routing ----------------------------------------------------------- */
int kubo_routing_provide(struct kubo *k, const char *cid, int recursive, struct werr *e);

/* ---- any other command -------------------------------------------------
 * For commands not wrapped above. params: {key, value} pairs ended by
 * {NULL, NULL}; values are URL-escaped here; a key may repeat ("arg"). */
struct kubo_param {
	const char *key, *value;
};
enum {
	KUBO_IDEMPOTENT = 1, /* may be retried */
	KUBO_SLOW = 2,       /* may stay silent for minutes: slow_timeout_ms, no low-speed guard */
};
/* One JSON object answer; *out is the caller's (cJSON_Delete). An empty
 * body gives *out = NULL. */
int kubo_rpc_json(struct kubo *k, const char *cmd, const struct kubo_param *params, int flags,
    cJSON **out, struct werr *e);
/* NDJSON answer: fn per object as it streams (0 go on, 1 stop, -1 error);
 * fn does not own the object. */
typedef int (*kubo_json_fn)(void *ctx, const cJSON *obj, struct werr *e);
int kubo_rpc_ndjson(struct kubo *k, const char *cmd, const struct kubo_param *params, int flags,
    kubo_json_fn fn, void *ctx, struct werr *e);

/* ---- pure helpers, exposed for the unit tests --------------------------- */
/* "BASE/api/v0/CMD?key=value&..." (malloc'd); values percent-encoded
 * (everything but RFC 3986 unreserved characters). NULL on error. */
char *kubo_build_url(const char *base, const char *cmd, const struct kubo_param *params, struct werr *e);

/* NDJSON splitting as bytes stream in: fn per complete line (without the
 * '\n'; NUL-terminated; blank lines skipped). A line over max bytes
 * (default 1 MiB when max is 0) is a protocol error. */
typedef int (*kubo_line_fn)(void *ctx, char *line, size_t n, struct werr *e);
struct kubo_lines {
	struct buf b; /* the line so far */
	size_t max;
};
int kubo_lines_feed(struct kubo_lines *l, const void *p, size_t n, kubo_line_fn fn, void *ctx, struct werr *e);
/* At the end of the body: a last line without '\n' is passed to fn too. */
int kubo_lines_finish(struct kubo_lines *l, kubo_line_fn fn, void *ctx, struct werr *e);
void kubo_lines_free(struct kubo_lines *l);

/* Fill out (kind, permanent, kubo_code, kubo_type, message) from an HTTP
 * error status and its body (Kubo's JSON, or plain text from a proxy). */
void kubo_error_from_http(int status, const char *body, size_t n, struct kubo_error *out);

#endif
