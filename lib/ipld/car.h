/* car: CAR v1 files (what `ipfs dag export` writes and `ipfs dag import` reads).
 *   file    = varint(len) header, then sections
 *   header  = DAG-CBOR {"roots": [tag 42 CIDs], "version": 1}, keys in dag-cbor order
 *   section = varint(len) CID-bytes block-bytes
 * The reader streams from a file descriptor and checks every block's hash
 * against its CID; any malformed input is one EX_DATAERR error of the form
 * "NAME: offset N: what" (N is the byte offset of the bad part). */
#ifndef WANDA_CAR_H
#define WANDA_CAR_H
#include <stddef.h>
#include <stdint.h>
#include "ipld/blockstore.h"
#include "ipld/cid.h"
#include "base/werr.h"

#define CAR_MAX_HEADER (1u << 20)  /* header bigger than this is rejected */
#define CAR_MAX_SECTION (8u << 20) /* section (CID + block) bigger than this is rejected */

/* Header bytes (without the length varint) for these roots; *out malloc'd. */
int car_header_encode(const struct cid *roots, size_t n, uint8_t **out, size_t *len, struct werr *e);
/* Parse header bytes; *roots malloc'd (NULL when n is 0). Messages say what is wrong, no offset. */
int car_header_decode(const uint8_t *p, size_t len, struct cid **roots, size_t *n, struct werr *e);

/* ---- reader ---- */
struct car_reader;
struct car_block {
	struct cid cid;
	const uint8_t *data; /* valid until the next car_reader_next() */
	size_t len;
	uint64_t offset;      /* byte offset of the section (its length varint) */
	uint64_t data_offset; /* byte offset of the block data */
};
/* Read and check the header. The fd is not closed by the reader; name is used in messages. */
struct car_reader *car_reader_open(int fd, const char *name, struct werr *e);
size_t car_reader_nroots(const struct car_reader *r);
int car_reader_fd(const struct car_reader *r);
const struct cid *car_reader_root(const struct car_reader *r, size_t i);
/* 1 = a verified block in *b, 0 = clean end of file, -1 = error. */
int car_reader_next(struct car_reader *r, struct car_block *b, struct werr *e);
void car_reader_close(struct car_reader *r);
/* Read a whole CAR, giving every verified block to sink (may be NULL). */
int car_read_fd(int fd, const char *name, block_sink_fn sink, void *ctx, struct werr *e);

/* ---- writer ---- */
struct car_writer;
/* Write the header to fd (not closed by the writer). */
struct car_writer *car_writer_open(int fd, const char *name, const struct cid *roots, size_t n, struct werr *e);
int car_writer_put(struct car_writer *w, const struct cid *c, const uint8_t *data, size_t len, struct werr *e);
/* Flush and free (also on error paths: always frees). */
int car_writer_close(struct car_writer *w, struct werr *e);
/* A block_sink_fn adapter: ctx is a struct car_writer. */
int car_writer_sink(void *ctx, const struct cid *c, const uint8_t *data, size_t len, struct werr *e);

/* ---- export ----
 * Write the DAG under each root from bs to fd as a CAR: blocks depth-first,
 * pre-order, in link order, each block once (dag-pb links are followed; raw
 * and other codecs are leaves), which is the order of `ipfs dag export` and
 * of @ipld/car's CarWriter fed by such a walk. Identity-hash CIDs that are
 * not in bs are skipped (their data is in the CID). A missing block is an
 * EX_SOFTWARE error naming its CID. */
int car_export(struct blockstore *bs, const struct cid *roots, size_t n, int fd, const char *name, struct werr *e);

#endif
