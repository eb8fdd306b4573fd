/* newblocks: the new blocks of a DAG being built, gathered for one CAR that
 * goes to the daemon as a single dag/import. Blocks are appended as CAR
 * sections to an unlinked temp file as they arrive (bounded memory: a
 * 20,000-capture session's thumbnails never sit in RAM), duplicates dropped
 * by CID; the root is known only at the end, so the CAR is assembled then:
 * header for the root, then the sections. The CAR holds only these blocks:
 * links to blocks already in the daemon (pushed images) stay dangling in it,
 * which dag/import accepts (it checks hashes, not completeness). */
#ifndef WANDA_NEWBLOCKS_H
#define WANDA_NEWBLOCKS_H
#include <stddef.h>
#include <stdint.h>
#include "ipld/cid.h"
#include "base/werr.h"

struct newblocks;

/* tmpdir: where the temp file goes (created if missing). */
struct newblocks *nb_new(const char *tmpdir, struct werr *e);
void nb_free(struct newblocks *nb);

/* A block_sink_fn: ctx is the struct newblocks. */
int nb_sink(void *ctx, const struct cid *c, const uint8_t *data, size_t len, struct werr *e);

/* Write the CAR (header with root, then every block) to fd. */
int nb_write_car(struct newblocks *nb, const struct cid *root, int fd, const char *name, struct werr *e);

struct nb_stats {
	uint64_t blocks, bytes, max_block, dups;
};
void nb_stats(const struct newblocks *nb, struct nb_stats *st);

#endif
