/* captureid: capture ids that sort by time and never collide.
 *   20261124T061418.123Z-NODE-0001
 * UTC time with milliseconds, the node name, and a sequence number within
 * that millisecond. Ids are issued under an flock on one state file per
 * $WANDA_HOME ($WANDA_HOME/state/captureid) that remembers the last id
 * issued, so ids are strictly increasing across every process on the node,
 * and stay so when the clock steps back (a Pi without an RTC boots in the
 * past): the time part then stays at the last id's time until the clock
 * catches up. */
#ifndef WANDA_CAPTUREID_H
#define WANDA_CAPTUREID_H
#include <stddef.h>
#include "base/werr.h"

#define CAPTUREID_MAX 96
#define CAPTUREID_SEQ_MAX 9999

struct captureid_state {
	long long ms; /* time part of the last id, ms since the epoch; 0 = none yet */
	unsigned seq; /* its sequence number */
};

/* Pure: advance st to the next id at wall time now_ms. */
void captureid_next(struct captureid_state *st, long long now_ms);

/* Node names are [a-z0-9] runs joined by single '-', at most 24 chars;
 * anything else is folded into that ("Pi 4 Obs!" -> "pi-4-obs"). "" -> "node". */
void captureid_node(const char *in, char *out, size_t len);

int captureid_format(long long ms, const char *node, unsigned seq, char *buf, size_t len);
/* Parse an id back; node may be NULL. -1 when malformed. */
int captureid_parse(const char *id, long long *ms, char *node, size_t nodelen, unsigned *seq);

/* Issue the next id for this node, durably recorded in state_path. */
int captureid_issue(const char *state_path, const char *node, char *buf, size_t len, struct werr *e);

#endif
