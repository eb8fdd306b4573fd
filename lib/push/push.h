/* push: put one file on IPFS with WANDA's profile (unixfs-v1-2025), pinned,
 * and verify that the daemon's CID equals the one computed locally from
 * the bytes it was sent (hashed in the same pass as the upload); or,
 * when the daemon is unreachable, keep the file's blocks as a CAR in the
 * outbox until push_flush() imports them.
 *
 * Every failure is reported with a kind, the exit status it maps to and
 * whether retrying can help (wanda-push prints them as
 * {"error":{"code","kind","message","permanent"}}); the kinds and their
 * codes are spool/settle.h's table, which wanda-queue ack settles by:
 *
 *   kind          code                 permanent
 *   missing       EX_NOINPUT     (66)  yes   the file cannot be opened or read
 *   cid-mismatch  EX_DATAERR     (65)  yes   daemon CID != local CID, or local != expected
 *   unreachable   EX_UNAVAILABLE (69)  no    (only when not queued in the outbox)
 *   http          EX_SOFTWARE    (70)  4xx   the daemon answered an HTTP error
 *   outbox        EX_CANTCREAT   (73)  no    the outbox CAR could not be written
 *   truncated     EX_IOERR       (74)  no    the answer ended early
 *   timeout       EX_TEMPFAIL    (75)  no    no progress for the low-speed time
 *   stream        EX_PROTOCOL    (76)  no    X-Stream-Error trailer, error in the stream
 *   protocol      EX_PROTOCOL    (76)  no    an answer that makes no sense
 */
#ifndef WANDA_PUSH_H
#define WANDA_PUSH_H
#include <limits.h>
#include <stdint.h>
#include <cjson/cJSON.h>
#include "ipld/cid.h"
#include "kubo/kubo.h"
#include "base/werr.h"

enum push_via { PUSH_VIA_ADD,
	PUSH_VIA_CAR };

struct push_opts {
	enum push_via via;
	int offline;           /* never contact the daemon: queue in the outbox */
	int no_outbox;         /* unreachable is an error instead of queuing */
	const char *outbox;    /* the outbox directory ($WANDA_HOME/outbox) */
	uint64_t progress_min; /* progress bar for files at least this big (0: never) */
	/* Told the bytes sent of an upload as they go (NULL: nobody). */
	void (*on_bytes)(void *ctx, const char *path, uint64_t sent, uint64_t total);
	void *on_bytes_ctx;
};
void push_opts_default(struct push_opts *o);

struct push_result {
	char path[PATH_MAX];
	char cid[CID_STR_MAX]; /* local CID, base32 ("" when not computed) */
	uint64_t size;         /* file size in bytes */
	int pinned;
	int queued; /* in the outbox, not on the daemon */
	char outbox_file[PATH_MAX];
	long long ms;   /* wall time of the whole push */
	int fell_back;  /* the daemon's DAG had an unknown shape: sent again as a CAR */
	int old_daemon; /* the daemon ignored max-file-links: WANDA's nodes added by block/put */
	/* failure (push_file returned -1) */
	const char *kind; /* one of the kinds above, NULL on success */
	int permanent;
	struct werr err; /* code and message */
};

/* Push one file. expect (may be NULL): the CID the caller recorded for it.
 * note (may be NULL): an object stored beside an outbox CAR so that
 * push_flush() can report the file with it (wanda-push stores its output
 * line). k may be NULL when o->offline. Returns 0, or -1 with r->kind,
 * r->permanent and r->err set. */
int push_file(struct kubo *k, const struct push_opts *o, const char *path, const struct cid *expect,
    const cJSON *note, struct push_result *r);

/* Called per outbox CAR by push_flush: res describes the import (cid,
 * pinned, outbox_file; kind set on failure), note is what push_file stored
 * with its "cid" and "size" (NULL when absent); called once per note when
 * several files had the same content. Return 0 to go on, -1 to stop (e set). */
typedef int (*push_flush_fn)(void *ctx, const struct push_result *res, const cJSON *note, struct werr *e);
/* Import every CAR of the outbox (oldest first), pinning its root and
 * verifying the root the daemon reports; delete a CAR (and its note) only
 * after that succeeded. Returns 0 when every CAR was imported; -1 when one
 * failed (the others are still tried; e has the first failure) or the
 * outbox cannot be read. */
int push_flush(struct kubo *k, const struct push_opts *o, push_flush_fn fn, void *ctx, struct werr *e);

#endif
