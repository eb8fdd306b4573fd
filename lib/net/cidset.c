/* cidset: open addressing over binary CIDs, FNV-1a (see cidset.h). */
#include "net/cidset.h"
#include <stdlib.h>
#include <string.h>

static uint64_t
fnv(const uint8_t *p, size_t n)
{
	uint64_t h = 1469598103934665603ull;

	while (n--)
		h = (h ^ *p++) * 1099511628211ull;
	return h;
}

static struct cidset_slot *
find(const struct cidset *s, const uint8_t *b, size_t len)
{
	size_t i = fnv(b, len) & (s->cap - 1);

	while (s->v[i].len && (s->v[i].len != len || memcmp(s->v[i].b, b, len) != 0))
		i = (i + 1) & (s->cap - 1);
	return &s->v[i];
}

static int
grow(struct cidset *s, struct werr *e)
{
	size_t cap = s->cap ? s->cap * 2 : 1024;
	struct cidset n = { calloc(cap, sizeof *n.v), cap, s->n };

	if (!n.v)
		return werr_set(e, EX_OSERR, "out of memory");
	for (size_t i = 0; i < s->cap; i++)
		if (s->v[i].len)
			*find(&n, s->v[i].b, s->v[i].len) = s->v[i];
	free(s->v);
	*s = n;
	return 0;
}

struct cidset_slot *
cidset_get(struct cidset *s, const struct cid *c, int *added, struct werr *e)
{
	uint8_t b[CID_MAX_BYTES];
	size_t len = cid_to_bytes(c, b);
	struct cidset_slot *sl;

	*added = 0;
	if ((s->n + 1) * 2 > s->cap && grow(s, e) < 0)
		return NULL;
	sl = find(s, b, len);
	if (!sl->len) {
		memcpy(sl->b, b, len);
		sl->len = (uint8_t)len;
		sl->state = 0;
		s->n++;
		*added = 1;
	}
	return sl;
}

void
cidset_free(struct cidset *s)
{
	free(s->v);
	s->v = NULL;
	s->cap = s->n = 0;
}
