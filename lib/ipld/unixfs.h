/* unixfs: the UnixFS Data message carried in a dag-pb node's Data field:
 *   Type = 1 (enum), Data = 2, filesize = 3, blocksizes = 4 (repeated),
 *   hashType = 5, fanout = 6, mode = 7, mtime = 8 { Seconds = 1 (int64),
 *   FractionalNanoseconds = 2 (fixed32) }. */
#ifndef WANDA_UNIXFS_H
#define WANDA_UNIXFS_H
#include <stddef.h>
#include <stdint.h>
#include "base/werr.h"

enum { UFS_RAW = 0,
	UFS_DIRECTORY = 1,
	UFS_FILE = 2,
	UFS_METADATA = 3,
	UFS_SYMLINK = 4,
	UFS_HAMTSHARD = 5 };
struct ufs_data {
	int type;
	const uint8_t *data;
	size_t data_len;
	int has_data;
	uint64_t filesize;
	int has_filesize;
	uint64_t *blocksizes;
	size_t nblocksizes;
	uint64_t hash_type;
	int has_hash_type;
	uint64_t fanout;
	int has_fanout;
	uint32_t mode;
	int has_mode;
	int64_t mtime_secs;
	uint32_t mtime_nsecs;
	int has_mtime; /* nsecs written only when non-zero */
};
/* Fields in field-number order, only the present ones; blocksizes unpacked
 * (one tag each), as Kubo writes them. *out is malloc'd. */
int ufs_encode(const struct ufs_data *d, uint8_t **out, size_t *len, struct werr *e);
/* Decode; data points into p, blocksizes is malloc'd (packed or not).
 * Unknown fields are skipped; a missing Type or unknown type is EX_DATAERR. */
int ufs_decode(const uint8_t *p, size_t n, struct ufs_data *out, struct werr *e);
void ufs_data_free(struct ufs_data *d);
/* "raw", "directory", "file", "metadata", "symlink", "hamt-sharded-directory", or NULL. */
const char *ufs_type_name(int type);

#endif
