/* capture: store one frame as a WANDA capture, crash-safe, in this order:
 *   captures/S/ID.jpg   (EXIF DateTimeOriginal added when missing; temp,
 *                        fsync, link: never over an existing file)
 *   captures/S/ID.dng   (with --raw)
 *   thumbs/S/ID.jpg     (DCT-scaled thumbnail)
 *   captures/S/ID.json  (sidecar with the local CID and tsize)
 *   spool/new/ID        (queue entry, kind "capture")
 * A failure at any step removes what this capture wrote so far: a capture
 * is all there or not there, and earlier captures are never touched.
 * The session records (open, close, list) are capture/sessions.h's. */
#ifndef WANDA_CAPTURE_H
#define WANDA_CAPTURE_H
#include <stdint.h>
#include <cjson/cJSON.h>
#include "capture/capsrc.h"
#include "base/werr.h"

struct capture_env {
	const char *home;
	const char *session;
	const char *node; /* node name in ids (captureid_node form) */
	int thumb_size;   /* longest side, px */
	int thumb_quality;
	int no_queue; /* 1: no spool entry */
};

/* Store f; returns the result line (caller frees). f's scratch DNG is moved. */
cJSON *capture_store(const struct capture_env *env, const struct capsrc_opts *o, struct frame *f,
    struct werr *e);

/* Crash repair of the session in env, when no capture is being stored
 * (else it does nothing: it takes the session directory's lock without
 * waiting; stores hold it shared). A killed wanda-capture can leave:
 *   an image without its sidecar   -> completed: CID, thumbnail, sidecar,
 *                                     queue entry ("completed")
 *   a "queued" sidecar among the newest `recent` with no spool entry in any
 *   state                          -> queued again ("requeued")
 *   scratch dirs of dead processes, temp files -> removed
 * fn (may be NULL) is told each id repaired and how. */
typedef void (*capture_repair_fn)(void *ctx, const char *id, const char *how);
int capture_recover(const struct capture_env *env, int recent, capture_repair_fn fn, void *ctx,
    struct werr *e);

#endif
