/* unixdir: UnixFS directories as Kubo builds them on `ipfs add -r`.
 *
 * A plain directory is one dag-pb node: links sorted by name (bytewise), each
 * with Hash, Name and Tsize, and Data = UnixFS {Type: Directory}. Above a size
 * threshold Kubo (boxo) builds a HAMT-sharded directory instead:
 *   - "links" estimation (Kubo's default, unixfs-v0-2015): the sum over the
 *     entries of len(name) + len(CID bytes);
 *   - "block" estimation (unixfs-v1-2025): the exact size of the plain
 *     directory block (Tsize and protobuf framing included);
 * and it shards when the estimate is strictly greater than the threshold (a
 * directory exactly at the threshold stays plain), or when max_links is set
 * and the entry count exceeds it. An empty directory is never sharded.
 *
 * A HAMT shard is a dag-pb node with Data = UnixFS {Type: HAMTShard,
 * Data: bitfield of the used slots (big-endian, leading zero bytes dropped),
 * hashType: 0x22 (murmur3), fanout}. Slot i of a shard at depth d is read from
 * bits [d*log2(fanout), (d+1)*log2(fanout)) of murmur3_x64_64(name), most
 * significant bit first. A slot holding one entry links to it under the name
 * "%0*X" (slot, width = hex digits of fanout-1) followed by the entry name; a
 * slot holding several links to a child shard under the bare prefix. */
#ifndef WANDA_UNIXDIR_H
#define WANDA_UNIXDIR_H
#include <stddef.h>
#include <stdint.h>
#include "ipld/cid.h"
#include "base/werr.h"

struct dir_entry {
	const char *name;
	struct cid cid;
	uint64_t tsize;
};

enum { HAMT_EST_LINKS = 0,
	HAMT_EST_BLOCK = 1 };

struct dir_opts {
	int cid_version; /* of the directory nodes */
	uint64_t mh_code;
	uint64_t hamt_threshold; /* bytes; 0 = never shard */
	int hamt_estimation;     /* HAMT_EST_LINKS or HAMT_EST_BLOCK */
	int hamt_fanout;         /* power of 2, multiple of 8, at most 1024; 0 = 256 */
	int max_links;           /* plain-dir link cap (shard above it), 0 = none */
};

/* Kubo's default (unixfs-v0-2015): CIDv0, sha2-256, 256 KiB, links, 256, no cap. */
void dir_opts_kubo(struct dir_opts *o);
/* unixfs-v1-2025: CIDv1, sha2-256, 256 KiB, block, 256, no cap. */
void dir_opts_wanda(struct dir_opts *o);

/* Build one directory from its entries (any order; names must be distinct,
 * non-empty and free of '/'), plain or HAMT by opts. Every block goes to sink
 * (children before their parent, the root last); root gets the directory's
 * CID and tsize its cumulative size (block plus the Tsize of every link).
 * Returns 0, or -1 with e set (EX_USAGE bad options, EX_DATAERR bad entries). */
int unixdir_build(const struct dir_entry *ents, size_t n, const struct dir_opts *o,
    block_sink_fn sink, void *ctx, struct cid *root, uint64_t *tsize, struct werr *e);

/* The estimate compared with hamt_threshold (exposed for tests and --help
 * diagnostics). */
uint64_t unixdir_estimate(const struct dir_entry *ents, size_t n, int estimation);

#endif
