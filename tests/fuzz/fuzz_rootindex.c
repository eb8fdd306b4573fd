/* fuzz_rootindex: libFuzzer target for a peer's index.json (hostile input
 * to wanda-sync pull): the validator must never crash, and whatever it
 * accepts must hold what rootindex.h promises (valid names, parseable CIDs,
 * names sorted), so that the selection can run on it. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "capture/sessions.h"
#include "ipld/cid.h"
#include "net/rootindex.h"

/* libFuzzer calls it; no header declares it */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rootindex ix;
	struct rootindex_filter f = { "m4*", "2026-11-23T00:00:00.000Z", "" };
	struct werr e = { 0 };
	struct cid c;

	if (rootindex_parse((const char *)data, size, "fuzz", &ix, &e) < 0)
		return 0;
	for (size_t i = 0; i < ix.n; i++) {
		if (!session_name_valid(ix.s[i].name) || cid_parse(ix.s[i].cid, &c, &e) < 0 ||
		    (i > 0 && strcmp(ix.s[i - 1].name, ix.s[i].name) >= 0))
			abort();
		(void)rootindex_selected(&f, ix.s[i].name, ix.s[i].first, ix.s[i].last);
	}
	rootindex_free(&ix);
	return 0;
}
