/* dagbuild: `wanda-dag session` and `wanda-dag root` end to end: build the
 * DAG (session.h), gather its new blocks into one CAR (newblocks.h), send
 * that CAR to the daemon as one dag/import, record the result in state/.
 * The CAR holds only new blocks: the images were pushed already and are
 * linked by CID, so it is not complete, which dag/import accepts; pinning
 * its root needs the images in the daemon, so the root is pinned only when
 * every capture's sidecar says pushed or pinned (else "pinned": false, or
 * with strict a retryable EX_TEMPFAIL so a spool entry waits for them). */
#ifndef WANDA_DAGBUILD_H
#define WANDA_DAGBUILD_H
#include <stddef.h>
#include <cjson/cJSON.h>
#include "kubo/kubo.h"
#include "base/werr.h"

struct build_cfg {
	const char *home;     /* $WANDA_HOME */
	const char *car;      /* also write the CAR here; NULL: none kept */
	size_t page_size;     /* manifest page size, 0 = default */
	int pin;              /* pin the root on import */
	int strict;           /* unpushed captures: EX_TEMPFAIL instead of an unpinned import */
	struct kubo *k;       /* NULL: no import (offline build) */
	const char *ipns_key; /* root: the key whose name goes into index.json */
};

/* *line: {"session","cid","count","skipped","thumbs","bytes","tsize","blocks",
 *  "car_bytes","max_block","imported","pinned","ms"}. */
int build_session(const struct build_cfg *b, const char *name, cJSON **line, struct werr *e);

/* *line: {"root","cid","sessions","captures","tsize","blocks","imported","pinned","ms"}. */
int build_root(const struct build_cfg *b, cJSON **line, struct werr *e);

#endif
