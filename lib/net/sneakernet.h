/* sneakernet: sessions carried on a disk, with no network between nodes.
 *
 * export: for each selected session of this node (state/dags/NAME.json)
 * and, with mirrors, each pinned mirror (state/sync.json), `dag/export`
 * streamed into a temp file in DIR, checked (carcheck.h: every block, the
 * root, the DAG complete and nothing else), renamed into place, then the
 * manifest DIR/wanda-export.json rewritten atomically:
 *   {"format":"wanda-export","version":1,"node":PEERID,"exported_at":time,
 *    "sessions":[{"peer","session","cid","file","size","sha256","blocks","dag_bytes"}]}
 * A CAR already in DIR with the manifest's size and sha256 is kept (a
 * rerun resumes). Before each CAR the free space of DIR is checked against
 * the session's size, and the stream stops if it would fill the disk.
 *
 * import: read the manifest (capped), and for each entry check the file
 * (a plain name in DIR, a regular file, its size and sha256, carcheck),
 * then `dag/import` it with its root pinned and record it in sync.json as a
 * pinned mirror of its peer. A file that fails any check is one failed line
 * naming it, and nothing of it is imported. */
#ifndef WANDA_SNEAKERNET_H
#define WANDA_SNEAKERNET_H
#include "net/rootindex.h"
#include "net/sync.h"
#include "base/werr.h"

#define SNEAKERNET_MANIFEST "wanda-export.json"
#define SNEAKERNET_MANIFEST_MAX (4u << 20)

struct sneakernet_opts {
	const char *home;
	const char *api;
	const char *dir;
	struct rootindex_filter filter; /* export: which sessions */
	int mirrors;                    /* export: also the mirrors held here */
	int progress;
	sync_emit_fn emit;
	void *emit_ctx;
};

int sneakernet_export(const struct sneakernet_opts *o, struct werr *e);
/* 0 when every CAR was imported; -1 (the last failure) when any failed. */
int sneakernet_import(const struct sneakernet_opts *o, struct werr *e);

#endif
