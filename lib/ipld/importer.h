/* importer: the streaming UnixFS file importer. Gives the root CID that
 * `ipfs add` (Kubo, boxo's ipld/unixfs/importer) gives with the same flags:
 * fixed-size chunker, raw or dag-pb leaves, balanced or trickle layout,
 * CIDv0/v1, sha2-256/sha2-512.
 *
 * Memory is bounded by the tree depth, never by the file size: one chunk
 * buffer plus, per tree level, the links of the node still being filled.
 *
 * The DAG it builds, as boxo builds it:
 *  - leaves: a raw block (always CIDv1, codec raw) or a dag-pb node whose
 *    UnixFS Data is {Type File (balanced) / Raw (trickle), Data, filesize};
 *  - internal nodes: dag-pb, links {Hash, Name "", Tsize = cumulative size of
 *    the child}, UnixFS Data {Type File, filesize, blocksizes (file bytes
 *    under each child)}, no Data bytes;
 *  - balanced: one chunk -> the leaf is the root; otherwise every level is
 *    filled left to right with up to max_links children, the last branch
 *    ending in single-child nodes where the data runs out;
 *  - trickle: the root is always an internal node; each node takes max_links
 *    leaves, then 4 subtrees of depth 1, 4 of depth 2, ... (its own limit);
 *  - empty file: balanced gives an empty leaf (raw block "" with raw leaves,
 *    else dag-pb {Type File, filesize 0}); trickle gives the dag-pb one.
 * Every block goes to the sink as soon as it exists (leaves first, parents
 * after their children), so a caller can stream them to a CAR or a store. */
#ifndef WANDA_IMPORTER_H
#define WANDA_IMPORTER_H
#include <stddef.h>
#include <stdint.h>
#include "ipld/cid.h"
#include "base/werr.h"

/* Largest chunk Kubo accepts (boxo chunker: "may not exceed the maximum
 * chunk size of 1048576"), and the smallest link limit that terminates. */
#define IMPORT_CHUNK_MAX 1048576
#define IMPORT_LINKS_MIN 2

struct import_opts {
	int cid_version;   /* 0 or 1 (internal nodes; raw leaves are always v1) */
	int raw_leaves;    /* 1: raw blocks as leaves */
	uint64_t mh_code;  /* MH_SHA2_256 or MH_SHA2_512 (v1 only) */
	size_t chunk_size; /* size-N: 1..IMPORT_CHUNK_MAX */
	int trickle;       /* 0 balanced, 1 trickle */
	int max_links;     /* children per node, >= IMPORT_LINKS_MIN */
	char cid_base;     /* output multibase prefix; 0 = native (v0 base58btc, v1 base32) */
};

/* `ipfs add` defaults: v0, dag-pb leaves, sha2-256, 256 KiB, balanced, 174. */
void import_opts_kubo(struct import_opts *o);
/* unixfs-v1-2025 (WANDA's default): v1, raw leaves, sha2-256, 1 MiB, 1024, base32. */
void import_opts_wanda(struct import_opts *o);
/* EX_USAGE naming the bad option when o is something Kubo would refuse. */
int import_opts_check(const struct import_opts *o, struct werr *e);

struct file_importer;
/* sink may be NULL (hash only). */
struct file_importer *fimp_new(const struct import_opts *o, block_sink_fn sink, void *ctx, struct werr *e);
int fimp_write(struct file_importer *f, const void *p, size_t n, struct werr *e);
/* Read fd to EOF straight into the chunk buffer (no extra copy). Errors name
 * `what` (a path, or "stdin"). */
int fimp_write_fd(struct file_importer *f, int fd, const char *what, struct werr *e);
/* A leaf made elsewhere with the same chunker and leaf format (a raw leaf:
 * blklen == filebytes == its length), linked into this importer's tree as
 * if its chunk had been written here. Builds a second layout of the same
 * leaves without hashing them twice; not mixable with fimp_write. */
int fimp_add_leaf(struct file_importer *f, const struct cid *cid, uint64_t blklen, uint64_t filebytes,
    struct werr *e);
/* Root CID, its cumulative DAG size (what Kubo reports as Size and writes as
 * the Tsize of a link to it) and the file size in bytes. Call once. */
int fimp_finish(struct file_importer *f, struct cid *root, uint64_t *tsize, uint64_t *filesize, struct werr *e);
void fimp_free(struct file_importer *f);

/* Counters for tests and benchmarks: leaves and internal nodes emitted so
 * far, and the tree height the importer currently keeps links for. */
struct fimp_stats {
	uint64_t leaves;
	uint64_t nodes;
	size_t levels;
	size_t pending_links;
};
void fimp_stats(const struct file_importer *f, struct fimp_stats *st);

/* Convenience: CID of a whole file (sink may be NULL: hash only). */
int import_path(const char *path, const struct import_opts *o, block_sink_fn sink, void *ctx,
    struct cid *root, uint64_t *tsize, uint64_t *filesize, struct werr *e);

#endif
