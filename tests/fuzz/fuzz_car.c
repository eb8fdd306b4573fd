/* fuzz_car: libFuzzer target for the CAR reader (from a memfd holding the
 * input), and for the dag-pb and UnixFS decoders on every dag-pb block
 * that verifies. Re-encoding a decoded dag-pb node that had every field
 * must give back the same bytes (canonical form). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include "car.h"
#include "dagpb.h"
#include "unixfs.h"

static void
fuzz_car_block(const struct car_block *b)
{
	struct pb_node nd;
	struct ufs_data u;
	uint8_t *out;
	size_t n;
	int canonical = 1;

	if (b->cid.codec != CODEC_DAG_PB || dagpb_decode(b->data, b->len, &nd, NULL) < 0)
		return;
	for (size_t i = 0; i < nd.nlinks; i++)
		if (nd.links[i].name == NULL || !nd.links[i].has_tsize)
			canonical = 0;
	if (canonical && dagpb_encode(nd.links, nd.nlinks, nd.data, nd.data_len, nd.has_data, &out, &n, NULL) == 0) {
		if (n != b->len || memcmp(out, b->data, n) != 0)
			abort();
		free(out);
	}
	if (nd.has_data && ufs_decode(nd.data, nd.data_len, &u, NULL) == 0)
		ufs_data_free(&u);
	dagpb_node_free(&nd);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int fd = memfd_create("fuzz.car", MFD_CLOEXEC);
	struct car_reader *r;
	struct car_block b;

	if (fd < 0)
		return 0;
	if (size > 0 && write(fd, data, size) != (ssize_t)size) {
		close(fd);
		return 0;
	}
	lseek(fd, 0, SEEK_SET);
	if ((r = car_reader_open(fd, "fuzz.car", NULL)) != NULL) {
		while (car_reader_next(r, &b, NULL) == 1)
			fuzz_car_block(&b);
		car_reader_close(r);
	}
	close(fd);
	return 0;
}
