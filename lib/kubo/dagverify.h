/* dagverify: check that a file on disk holds exactly the content a UnixFS
 * file CID addresses, whatever profile it was added with (chunker, layout,
 * raw or dag-pb leaves, CID version, hash).
 *
 * It walks the file's DAG from the root: every dag-pb node is fetched from
 * the daemon (block/get) and its hash checked against its CID; a raw leaf
 * is checked by hashing the matching slice of the file (the slice length
 * comes from the parent's blocksizes), a dag-pb leaf by comparing its
 * UnixFS data with the slice; at the end the file must have no bytes
 * beyond the DAG's. So every byte of the file is checked against the
 * content address, without re-importing under a guessed profile. */
#ifndef WANDA_DAGVERIFY_H
#define WANDA_DAGVERIFY_H
#include <stdint.h>
#include "kubo/kubo.h"
#include "base/werr.h"

/* 0 when path matches cid (*bytes = its size); -1 with EX_DATAERR when
 * it does not (the message says at which offset), or the client's error
 * when a block cannot be fetched. */
int dag_verify_file(struct kubo *k, const char *cid, const char *path, uint64_t *bytes, struct werr *e);

#endif
