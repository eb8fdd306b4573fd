/* retention: keep free space on the SD card by deleting the oldest local
 * images and raw DNGs (a capture's DNG before its image) whose own CID is
 * confirmed pinned: by the local daemon (pin ls), by every remote target
 * of the remote stage (lib/remote: the sidecar's "remote" block, or
 * "raw_remote" for a DNG, must show each configured target "pinned" with
 * this CID), and, where one is configured, by a Pinning Service asked now
 * (GET /pins?cid=CID&status=pinned with a bearer token). Never an image
 * that is not confirmed pinned: this file is the one place of that rule. Thumbnails and sidecars stay; the sidecar
 * records the removal ("image_removed_at", "raw_removed_at"), so the gallery still shows the
 * capture and knows to fetch it from IPFS. */
#ifndef WANDA_RETENTION_H
#define WANDA_RETENTION_H
#include <stdint.h>
#include <cjson/cJSON.h>
#include "base/werr.h"
#include "kubo/kubo.h"

struct retention_opts {
	const char *home;           /* $WANDA_HOME */
	char api[1024];             /* Kubo RPC base URL */
	struct kubo_opts kubo;      /* its client's timeouts and retries */
	const char *remote_url;     /* Pinning Service API base URL, NULL = none */
	const char *remote_token;   /* its bearer token, NULL = none */
	const char *const *targets; /* remote stage targets (remote.NAME.*) that must confirm */
	size_t ntargets;
	uint64_t keep_free; /* bytes to keep free on home's file system */
	int has_keep_free;
	int dry_run; /* report, remove nothing */
};

/* Takes ownership of line. */
typedef int (*retention_emit_fn)(void *ctx, cJSON *line, struct werr *e);

/* One line per removed image {"id","file","cid","bytes","removed"}, then a
 * summary {"summary":true,"keep_free","free_before","free_after",
 * "removed","freed","unpinned","remote_unconfirmed","satisfied"}. */
int retention_run(const struct retention_opts *o, retention_emit_fn fn, void *ctx, struct werr *e);

/* The remote half of the rule: sidecar sc's block ("remote" or
 * "raw_remote") shows every one of targets "pinned" with cid. */
int retention_remote_confirmed(const cJSON *sc, const char *block, const char *cid,
    const char *const *targets, size_t ntargets);

/* Ask a Pinning Service API endpoint whether cid is pinned there. */
int pinsvc_pinned(const char *base_url, const char *token, const char *cid, int *pinned,
    struct werr *e);

#endif
