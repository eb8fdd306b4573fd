/* blockstore: blocks by CID while a DAG is built, for writing it out as a
 * CAR afterwards. Blocks stay in memory up to a limit; past it, further
 * blocks go to an unlinked temporary file (only an offset index stays in
 * memory), so importing a 1 GiB file keeps a small, fixed footprint.
 * Puts of a CID already present are ignored (dedup). */
#ifndef WANDA_BLOCKSTORE_H
#define WANDA_BLOCKSTORE_H
#include <stddef.h>
#include <stdint.h>
#include "ipld/cid.h"
#include "base/werr.h"

#define BS_DEFAULT_MEM (4u << 20)

struct blockstore;
/* mem_limit: bytes of block data kept in memory (0 = spill everything);
 * tmpdir: where the spill file goes (NULL = $TMPDIR, else /tmp); the file
 * is created only when needed and is never visible (O_TMPFILE or unlinked). */
struct blockstore *bs_new(size_t mem_limit, const char *tmpdir, struct werr *e);
void bs_free(struct blockstore *bs);
int bs_put(struct blockstore *bs, const struct cid *c, const uint8_t *data, size_t len, struct werr *e);
int bs_has(const struct blockstore *bs, const struct cid *c);
/* 0 and the block (valid until the next bs_get/bs_put/bs_free), or -1:
 * EX_SOFTWARE when absent, EX_IOERR when the spill file cannot be read. */
int bs_get(struct blockstore *bs, const struct cid *c, const uint8_t **data, size_t *len, struct werr *e);
/* Counters for tests and tools. */
struct bs_stats {
	size_t blocks;
	uint64_t bytes;   /* sum of block sizes */
	uint64_t spilled; /* bytes in the spill file */
};
void bs_stats(const struct blockstore *bs, struct bs_stats *st);
/* Traversal marks (car_export uses them to write each block once): returns
 * 1 when c was already marked, 0 when it is now, -1 when c is not stored. */
int bs_mark(struct blockstore *bs, const struct cid *c);
void bs_clear_marks(struct blockstore *bs);
/* block_sink_fn adapter: ctx is a struct blockstore. */
int bs_sink(void *ctx, const struct cid *c, const uint8_t *data, size_t len, struct werr *e);

#endif
