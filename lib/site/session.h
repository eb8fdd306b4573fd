/* session: a session's UnixFS directory and the node root, built from what
 * is already known (sidecars, thumbnails, state/dags/) without reading
 * or uploading any image again. Layout and JSON formats: docs/index-format.md.
 *
 *   session/  index.html  manifest.json  manifest/NNNN.json
 *             images/<file> (linked by the sidecar's cid + tsize)  thumbs/<id>.jpg
 *   root/     index.html  index.json  sessions/<name> (→ session CIDs)
 *
 * Deterministic: captures sorted by captured_at then id, directories sorted
 * as Kubo sorts them, no build time in any file: an unchanged session gives
 * the same CID. Every new block goes to the caller's sink (newblocks.h to
 * gather them for one dag/import). */
#ifndef WANDA_SESSION_H
#define WANDA_SESSION_H
#include <stddef.h>
#include <stdint.h>
#include <cjson/cJSON.h>
#include "ipld/cid.h"
#include "base/werr.h"

#define SESSION_PAGE_SIZE 250
#define SESSION_PROFILE "unixfs-v1-2025"

/* Session names: session_name_valid() of capture.h (1-64 of [A-Za-z0-9._-],
 * starting with a letter or digit). */

struct session_info {
	struct cid cid;
	uint64_t tsize;  /* cumulative DAG size of the session directory */
	size_t count;    /* captures in it */
	size_t skipped;  /* sidecars left out (unreadable, no cid) */
	size_t unpushed; /* captures whose sidecar does not say pushed/pinned */
	size_t thumbs;
	uint64_t bytes;           /* sum of image sizes */
	char first[40], last[40]; /* captured_at range, "" when empty */
	char skip_reason[320];    /* the first skipped sidecar and why */
};

struct session_opts {
	const char *home; /* $WANDA_HOME */
	const char *name;
	size_t page_size;    /* 0: SESSION_PAGE_SIZE */
	const char *node_id; /* peer id for manifest.json, NULL when unknown */
};

int session_build(const struct session_opts *o, block_sink_fn sink, void *ctx,
    struct session_info *out, struct werr *e);

/* state/dags/NAME.json, atomically. */
int session_record(const char *home, const char *name, const struct session_info *si, int imported,
    struct werr *e);

struct root_opts {
	const char *home;
	const char *node_id;   /* required by the format; "" when unknown */
	const char *ipns_name; /* NULL when no key */
	const char *key;       /* key name, NULL when no key */
};

struct root_info {
	struct cid cid;
	uint64_t tsize;
	size_t sessions, captures;
	size_t not_imported; /* sessions built offline: their blocks may be missing */
	uint64_t bytes;
};

/* The root from state/dags/ *.json. */
int root_build(const struct root_opts *o, block_sink_fn sink, void *ctx, struct root_info *out,
    struct werr *e);

/* state/root.json, atomically; left untouched when its CID is already this
 * one (so the wanda-ipns path unit does not fire for nothing). */
int root_record(const char *home, const struct root_info *ri, int imported, struct werr *e);

/* Import a whole buffer as a UnixFS file with WANDA's profile. */
int session_import_buf(const void *p, size_t n, block_sink_fn sink, void *ctx, struct cid *cid,
    uint64_t *tsize, struct werr *e);

#endif
