/* sidecar: the JSON file beside every capture (captures/SESSION/ID.json).
 *   {"id","session","file":"ID.jpg","bytes","captured_at","camera","width","height",
 *    "exposure_us","gain","awb","cid","tsize","profile":"unixfs-v1-2025",
 *    "thumb":"thumbs/SESSION/ID.jpg","raw":"ID.dng"|null,"raw_cid","raw_tsize",
 *    "ipfs":{"state":"queued|pinning|pushed|pinned|failed|local","cid","pinned_at","error"},
 *      (local: captured with --no-queue, never queued)
 *    "raw_ipfs":{...the same, for the DNG; set once its own spool entry is acked},
 *    "remote":{"TARGET":{"target","kind","cid","request_id","state":"queued|pinning|pinned|failed",
 *      "requested_at","confirmed_at","peers":[...],"error"}}  (lib/remote: one per target),
 *    "raw_remote":{...the same, for the DNG}}
 * "cid" and "tsize" are the image's root CID and cumulative DAG size with
 * WANDA's profile, known before any daemon is involved, so a session
 * directory can be built from sidecars alone. Every write is atomic (temp,
 * fsync, rename, fsync dir); updates are read-modify-write under an flock
 * on the session directory, so two updaters never lose each other's change,
 * and fields this module does not know are kept. */
#ifndef WANDA_SIDECAR_H
#define WANDA_SIDECAR_H
#include <stdint.h>
#include <stddef.h>
#include <cjson/cJSON.h>
#include "base/werr.h"

#define SIDECAR_PROFILE "unixfs-v1-2025"
/* the largest sidecar read (a real one is a few KiB) */
#define SIDECAR_MAX_BYTES (1u << 20)

struct sidecar {
	char id[96];
	char session[128];
	char file[160]; /* image file name inside the session dir */
	uint64_t bytes;
	char captured_at[40]; /* RFC 3339 UTC with ms */
	char camera[128];     /* source/camera name, "" when unknown */
	int width, height;    /* 0 when unknown */
	int64_t exposure_us;  /* -1 when unknown/auto */
	double gain;          /* < 0 when unknown/auto */
	char awb[32];         /* "" when unknown */
	char cid[160];        /* local CID, WANDA profile */
	uint64_t tsize;       /* cumulative DAG size of the image */
	char profile[32];
	char thumb[320]; /* relative to $WANDA_HOME, "" when none */
	char raw[160];   /* DNG file name inside the session dir, "" when none */
	char raw_cid[160];
	uint64_t raw_tsize;
	/* the ipfs block */
	char state[16];     /* queued|pinning|pushed|pinned|failed */
	char ipfs_cid[160]; /* CID the daemon reported, "" until pushed */
	char pinned_at[40];
	char error[256];
};

/* Defaults for a new capture: unknowns as documented above, profile set,
 * state "queued". */
void sidecar_init(struct sidecar *s);

/* captures/S/ID.jpg -> captures/S/ID.json (any extension replaced). */
int sidecar_path_for(const char *image, char *buf, size_t len, struct werr *e);

/* Is path one of our sidecars, a .json file under HOME/captures/ with no
 * ".." in it? A path read from a line on stdin must pass this before
 * anything is written there. */
int sidecar_is_ours(const char *home, const char *path);

cJSON *sidecar_to_json(const struct sidecar *s);
/* Fills s from a parsed sidecar; missing required fields (id, session,
 * file, cid) are an EX_DATAERR naming `what`. */
int sidecar_from_json(const cJSON *j, struct sidecar *s, const char *what, struct werr *e);

/* Whole-file write (atomic) and read. */
int sidecar_write(const char *path, const struct sidecar *s, struct werr *e);
int sidecar_read(const char *path, struct sidecar *s, struct werr *e);
/* Raw JSON read, for callers that want every field (manifest.json). */
cJSON *sidecar_read_json(const char *path, struct werr *e);

/* Set the ipfs block of the sidecar at `path` (the .json file): state is
 * required; cid and error may be NULL (cid NULL keeps the one there, error
 * NULL clears it). "pinned" stamps pinned_at with the current time. */
int sidecar_update_ipfs(const char *path, const char *state, const char *cid,
    const char *error, struct werr *e);
/* The same for another block of that shape: "raw_ipfs", the raw DNG's. */
int sidecar_update_block(const char *path, const char *block, const char *state, const char *cid,
    const char *error, struct werr *e);

/* Set top-level fields (each key of the object `fields`, replacing any
 * value there), under the same lock as sidecar_update_ipfs. Used by
 * wanda-queue gc: {"image_removed_at": "..."}. */
int sidecar_set_fields(const char *path, const cJSON *fields, struct werr *e);

/* Set sidecar[block][key] = rec (a copy), keeping the block's other
 * keys, under the same lock. The remote stage records each target's pin
 * there: {"remote": {"fleet": {...}}}. */
int sidecar_update_nested(const char *path, const char *block, const char *key,
    const cJSON *rec, struct werr *e);

/* True for the state words the ipfs block may hold. */
int sidecar_state_valid(const char *state);

#endif
