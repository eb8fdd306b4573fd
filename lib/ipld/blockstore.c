/* blockstore: open-addressing hash table of CIDs; block data in memory or
 * at an offset of an anonymous spill file. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "base/buf.h"
#include "base/path.h"
#include "ipld/blockstore.h"

struct entry {
	struct cid cid;
	uint8_t *mem; /* NULL when the block is in the spill file */
	uint64_t off;
	size_t len;
	int used;
	int mark;
};

struct blockstore {
	struct entry *tab;
	size_t cap, n; /* cap is a power of two */
	size_t mem_limit, mem_used;
	uint64_t bytes, spilled;
	char *tmpdir;
	int fd;           /* spill file, -1 until needed */
	uint8_t *scratch; /* bs_get's buffer for spilled blocks */
	size_t scratch_cap;
};

static uint64_t
cid_hash(const struct cid *c)
{
	uint64_t h = 1469598103934665603ULL ^ c->codec ^ (uint64_t)c->version << 40;

	for (size_t i = 0; i < c->mh_len; i++)
		h = (h ^ c->mh[i]) * 1099511628211ULL;
	return h;
}

static struct entry *
slot(const struct blockstore *bs, const struct cid *c)
{
	size_t i = (size_t)cid_hash(c) & (bs->cap - 1);

	while (bs->tab[i].used && !cid_equal(&bs->tab[i].cid, c))
		i = (i + 1) & (bs->cap - 1);
	return &bs->tab[i];
}

static int
grow(struct blockstore *bs, struct werr *e)
{
	struct entry *old = bs->tab;
	size_t ocap = bs->cap;

	if ((bs->tab = calloc(ocap * 2, sizeof *bs->tab)) == NULL) {
		bs->tab = old;
		return werr_sys(e, EX_OSERR, "blockstore");
	}
	bs->cap = ocap * 2;
	for (size_t i = 0; i < ocap; i++)
		if (old[i].used)
			*slot(bs, &old[i].cid) = old[i];
	free(old);
	return 0;
}

struct blockstore *
bs_new(size_t mem_limit, const char *tmpdir, struct werr *e)
{
	struct blockstore *bs = calloc(1, sizeof *bs);
	const char *t = tmpdir ? tmpdir : getenv("TMPDIR");

	if (t == NULL || *t == '\0')
		t = "/tmp";
	if (bs == NULL || (bs->tab = calloc(64, sizeof *bs->tab)) == NULL || (bs->tmpdir = strdup(t)) == NULL) {
		bs_free(bs);
		werr_sys(e, EX_OSERR, "blockstore");
		return NULL;
	}
	bs->cap = 64;
	bs->mem_limit = mem_limit;
	bs->fd = -1;
	return bs;
}

void
bs_free(struct blockstore *bs)
{
	if (bs == NULL)
		return;
	for (size_t i = 0; bs->tab != NULL && i < bs->cap; i++)
		free(bs->tab[i].mem);
	free(bs->tab);
	free(bs->tmpdir);
	free(bs->scratch);
	if (bs->fd >= 0)
		close(bs->fd);
	free(bs);
}

/* The spill file: anonymous (O_TMPFILE), or created and unlinked at once. */
static int
open_spill(struct blockstore *bs, struct werr *e)
{
	char path[PATH_MAX];

	bs->fd = open(bs->tmpdir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (bs->fd >= 0)
		return 0;
	if (path_join(path, sizeof path, bs->tmpdir, "wanda-blocks.XXXXXX", e) < 0)
		return -1;
	if ((bs->fd = mkostemp(path, O_CLOEXEC)) < 0)
		return werr_sys(e, EX_CANTCREAT, "%s: spill file", bs->tmpdir);
	unlink(path);
	return 0;
}

static int
spill(struct blockstore *bs, struct entry *en, const uint8_t *data, size_t len, struct werr *e)
{
	size_t done = 0;
	ssize_t k;

	if (bs->fd < 0 && open_spill(bs, e) < 0)
		return -1;
	en->off = bs->spilled;
	while (done < len) {
		k = pwrite(bs->fd, data + done, len - done, (off_t)(en->off + done));
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return werr_sys(e, EX_IOERR, "%s: spill file", bs->tmpdir);
		done += (size_t)k;
	}
	bs->spilled += len;
	return 0;
}

int
bs_put(struct blockstore *bs, const struct cid *c, const uint8_t *data, size_t len, struct werr *e)
{
	struct entry *en;

	if ((bs->n + 1) * 4 > bs->cap * 3 && grow(bs, e) < 0)
		return -1;
	en = slot(bs, c);
	if (en->used)
		return 0;
	if (bs->mem_used + len <= bs->mem_limit) {
		if ((en->mem = malloc(len ? len : 1)) == NULL)
			return werr_sys(e, EX_OSERR, "blockstore");
		memcpy(en->mem, data, len);
		bs->mem_used += len;
	} else if (spill(bs, en, data, len, e) < 0)
		return -1;
	en->cid = *c;
	en->len = len;
	en->used = 1;
	bs->n++;
	bs->bytes += len;
	return 0;
}

int
bs_has(const struct blockstore *bs, const struct cid *c)
{
	return slot(bs, c)->used;
}

int
bs_get(struct blockstore *bs, const struct cid *c, const uint8_t **data, size_t *len, struct werr *e)
{
	struct entry *en = slot(bs, c);
	size_t done = 0;
	ssize_t k;
	char s[CID_STR_MAX];

	if (!en->used) {
		if (cid_format(c, 0, s, sizeof s, NULL) < 0)
			strcpy(s, "?");
		return werr_set(e, EX_SOFTWARE, "blockstore: no block %s", s);
	}
	*len = en->len;
	if (en->mem != NULL) {
		*data = en->mem;
		return 0;
	}
	if (buf_grow_array(&bs->scratch, &bs->scratch_cap, en->len, 1, 4096, e) < 0)
		return werr_prefix(e, "blockstore");
	while (done < en->len) {
		k = pread(bs->fd, bs->scratch + done, en->len - done, (off_t)(en->off + done));
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return werr_sys(e, EX_IOERR, "%s: spill file read", bs->tmpdir);
		done += (size_t)k;
	}
	*data = bs->scratch;
	return 0;
}

void
bs_stats(const struct blockstore *bs, struct bs_stats *st)
{
	st->blocks = bs->n;
	st->bytes = bs->bytes;
	st->spilled = bs->spilled;
}

int
bs_sink(void *ctx, const struct cid *c, const uint8_t *data, size_t len, struct werr *e)
{
	return bs_put(ctx, c, data, len, e);
}

int
bs_mark(struct blockstore *bs, const struct cid *c)
{
	struct entry *en = slot(bs, c);

	if (!en->used)
		return -1;
	if (en->mark)
		return 1;
	en->mark = 1;
	return 0;
}

void
bs_clear_marks(struct blockstore *bs)
{
	for (size_t i = 0; i < bs->cap; i++)
		bs->tab[i].mark = 0;
}
