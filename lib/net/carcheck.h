/* carcheck: is a CAR file exactly one WANDA DAG? Every block's hash must
 * match its CID (car.h's reader), the header must name exactly the expected
 * root, every block must be the root or linked from a block before it
 * (`dag export` writes depth-first, pre-order: parents first), no block
 * may be of a codec other than dag-pb and raw, and at the end every link
 * must have been seen (the DAG is complete). Errors name the file. */
#ifndef WANDA_CARCHECK_H
#define WANDA_CARCHECK_H
#include <stdint.h>
#include "ipld/cid.h"
#include "base/werr.h"

struct carcheck_result {
	uint64_t blocks;
	uint64_t block_bytes; /* sum of block sizes (the DAG's size) */
	uint8_t sha256[32];   /* of the whole file, read in the same pass */
};

/* fd is read from its current offset to EOF; name is for messages. */
int carcheck_fd(int fd, const char *name, const struct cid *root, struct carcheck_result *out,
    struct werr *e);

#endif
