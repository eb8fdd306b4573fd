/* fuzz_car: libFuzzer target for the CAR reader (from a memfd holding the
 * input), and for the dag-pb and UnixFS decoders: on every dag-pb block
 * that verifies, and on the raw input itself (mutated blocks rarely get
 * past the hash check). Re-encoding a decoded dag-pb node that had every
 * field must give back the same bytes (canonical form). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include "ipld/car.h"
#include "ipld/dagpb.h"
#include "ipld/unixfs.h"

/* Same links and data, field by field. */
static int
fuzz_car_same(const struct pb_node *a, const struct pb_node *b)
{
	if (a->nlinks != b->nlinks || a->has_data != b->has_data || a->data_len != b->data_len ||
	    (a->data_len > 0 && memcmp(a->data, b->data, a->data_len) != 0))
		return 0;
	for (size_t i = 0; i < a->nlinks; i++) {
		const struct pb_link *x = &a->links[i], *y = &b->links[i];
		if (!cid_equal(&x->cid, &y->cid) || x->tsize != y->tsize || x->name_len != y->name_len ||
		    (x->name_len > 0 && memcmp(x->name, y->name, x->name_len) != 0))
			return 0;
	}
	return 1;
}

/* Decode; a node with every link field present must survive encode + decode
 * unchanged (byte equality is too strict: protobuf varints may be
 * non-minimal in the input and are accepted, as Kubo and @ipld/dag-pb do). */
static void
fuzz_car_dagpb(const uint8_t *data, size_t len)
{
	struct pb_node nd, again;
	struct ufs_data u;
	uint8_t *out;
	size_t n;
	int complete = 1;

	if (dagpb_decode(data, len, &nd, NULL) < 0)
		return;
	for (size_t i = 0; i < nd.nlinks; i++)
		if (nd.links[i].name == NULL || !nd.links[i].has_tsize)
			complete = 0;
	if (complete && dagpb_encode(nd.links, nd.nlinks, nd.data, nd.data_len, nd.has_data, &out, &n, NULL) == 0) {
		if (dagpb_decode(out, n, &again, NULL) < 0 || !fuzz_car_same(&nd, &again))
			abort();
		dagpb_node_free(&again);
		free(out);
	}
	if (nd.has_data && ufs_decode(nd.data, nd.data_len, &u, NULL) == 0)
		ufs_data_free(&u);
	dagpb_node_free(&nd);
}

/* libFuzzer calls it; no header declares it */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

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
			if (b.cid.codec == CODEC_DAG_PB)
				fuzz_car_dagpb(b.data, b.len);
		car_reader_close(r);
	}
	close(fd);
	fuzz_car_dagpb(data, size);
	struct ufs_data u;
	if (ufs_decode(data, size, &u, NULL) == 0)
		ufs_data_free(&u);
	return 0;
}
