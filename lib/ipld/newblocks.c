/* newblocks: new blocks to a temp file of CAR sections, then one CAR. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "base/atomicio.h"
#include "base/path.h"
#include "ipld/car.h"
#include "ipld/newblocks.h"
#include "ipld/varint.h"

struct newblocks {
	int fd;         /* unlinked temp file of sections */
	uint64_t *seen; /* open-addressing set of CID fingerprints (0 = empty) */
	size_t cap, n;
	struct nb_stats st;
};

struct newblocks *
nb_new(const char *tmpdir, struct werr *e)
{
	struct newblocks *nb;
	char path[PATH_MAX];

	if (mkdir_p(tmpdir, 0755, e) < 0 || path_join(path, sizeof path, tmpdir, "blocks.XXXXXX", e) < 0)
		return NULL;
	if (!(nb = calloc(1, sizeof *nb)))
		return werr_set(e, EX_OSERR, "out of memory"), NULL;
	if ((nb->fd = mkstemp(path)) < 0) {
		werr_sys(e, EX_CANTCREAT, "%s", path);
		free(nb);
		return NULL;
	}
	unlink(path);
	nb->cap = 1024;
	if (!(nb->seen = calloc(nb->cap, sizeof *nb->seen))) {
		nb_free(nb);
		return werr_set(e, EX_OSERR, "out of memory"), NULL;
	}
	return nb;
}

void
nb_free(struct newblocks *nb)
{
	if (!nb)
		return;
	if (nb->fd >= 0)
		close(nb->fd);
	free(nb->seen);
	free(nb);
}

/* FNV-1a of the CID bytes: a 64-bit fingerprint. Two different blocks with
 * the same fingerprint would lose one from the CAR; at 2^-64 per pair that
 * is not worth a byte-exact comparison. */
static uint64_t
fingerprint(const uint8_t *p, size_t n)
{
	uint64_t h = 1469598103934665603ULL;
	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 1099511628211ULL;
	return h ? h : 1;
}

static int
grow(struct newblocks *nb)
{
	size_t cap = nb->cap * 2;
	uint64_t *s = calloc(cap, sizeof *s);

	if (!s)
		return -1;
	for (size_t i = 0; i < nb->cap; i++) {
		if (!nb->seen[i])
			continue;
		size_t j = nb->seen[i] & (cap - 1);
		while (s[j])
			j = (j + 1) & (cap - 1);
		s[j] = nb->seen[i];
	}
	free(nb->seen);
	nb->seen = s;
	nb->cap = cap;
	return 0;
}

/* 1 when newly added, 0 when already there. */
static int
set_add(struct newblocks *nb, uint64_t h)
{
	size_t j = h & (nb->cap - 1);

	while (nb->seen[j]) {
		if (nb->seen[j] == h)
			return 0;
		j = (j + 1) & (nb->cap - 1);
	}
	nb->seen[j] = h;
	nb->n++;
	return 1;
}

int
nb_sink(void *ctx, const struct cid *c, const uint8_t *data, size_t len, struct werr *e)
{
	struct newblocks *nb = ctx;
	uint8_t cb[CID_MAX_BYTES], v[10];
	size_t cn = cid_to_bytes(c, cb), vn;

	if (nb->n * 2 >= nb->cap && grow(nb) < 0)
		return werr_set(e, EX_OSERR, "out of memory");
	if (!set_add(nb, fingerprint(cb, cn))) {
		nb->st.dups++;
		return 0;
	}
	vn = varint_put(cn + len, v);
	if (write_all(nb->fd, v, vn) < 0 || write_all(nb->fd, cb, cn) < 0 ||
	    write_all(nb->fd, data, len) < 0)
		return werr_sys(e, EX_IOERR, "block temp file");
	nb->st.blocks++;
	nb->st.bytes += len;
	if (len > nb->st.max_block)
		nb->st.max_block = len;
	return 0;
}

int
nb_write_car(struct newblocks *nb, const struct cid *root, int fd, const char *name, struct werr *e)
{
	uint8_t *hdr = NULL, v[10], buf[65536];
	size_t hlen, vn;
	ssize_t r;

	if (car_header_encode(root, 1, &hdr, &hlen, e) < 0)
		return -1;
	vn = varint_put(hlen, v);
	if (write_all(fd, v, vn) < 0 || write_all(fd, hdr, hlen) < 0) {
		free(hdr);
		return werr_sys(e, EX_IOERR, "%s", name);
	}
	free(hdr);
	if (lseek(nb->fd, 0, SEEK_SET) < 0)
		return werr_sys(e, EX_IOERR, "block temp file");
	while ((r = read(nb->fd, buf, sizeof buf)) != 0) {
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return werr_sys(e, EX_IOERR, "block temp file");
		if (write_all(fd, buf, (size_t)r) < 0)
			return werr_sys(e, EX_IOERR, "%s", name);
	}
	if (lseek(nb->fd, 0, SEEK_END) < 0)
		return werr_sys(e, EX_IOERR, "block temp file");
	return 0;
}

void
nb_stats(const struct newblocks *nb, struct nb_stats *st)
{
	*st = nb->st;
}
