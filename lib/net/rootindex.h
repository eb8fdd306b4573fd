/* rootindex: a peer's node-root index.json (format wanda-index, version 1,
 * docs/index-format.md), validated as hostile input, and the selection of
 * its sessions by name glob and date range. */
#ifndef WANDA_ROOTINDEX_H
#define WANDA_ROOTINDEX_H
#include <stddef.h>
#include <stdint.h>
#include "base/werr.h"

#define ROOTINDEX_MAX_BYTES (4u << 20) /* an index.json over this is refused */

struct rootindex_session {
	char name[65];
	char cid[160]; /* as the index gives it (it parses) */
	uint64_t count, bytes, tsize;
	char first[40], last[40]; /* "" when absent */
};

struct rootindex {
	char node_id[128];
	size_t n;
	struct rootindex_session *s; /* malloc'd, in the index's (name) order */
};

/* Parse and check text (what = the name for messages, e.g. "peer X: index.json").
 * EX_DATAERR for anything that is not format wanda-index version 1 as documented;
 * a later version is "unsupported version N". */
int rootindex_parse(const char *text, size_t len, const char *what, struct rootindex *out,
    struct werr *e);
void rootindex_free(struct rootindex *ix);

/* The selection of `wanda-sync pull` and `export`: glob NULL = every name;
 * since/until NULL or a date "YYYY-MM-DD" / RFC 3339 time; a session is
 * selected when its [first, last] overlaps [since, until] (sessions with no
 * capture time are left out when a date is given). */
struct rootindex_filter {
	const char *glob;
	char since[40], until[40]; /* normalised, "" = open */
};
/* Normalise --since/--until (what names the flag in the error). */
int rootindex_filter_date(char out[40], const char *arg, int end_of_day, const char *what,
    struct werr *e);
int rootindex_selected(const struct rootindex_filter *f, const char *name, const char *first,
    const char *last);

#endif
