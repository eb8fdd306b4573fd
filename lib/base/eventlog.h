/* eventlog: $WANDA_HOME/events.jsonl, the append-only log of events
 * (capture overruns, timeouts, disk guard...) that wanda-serve tails.
 * Each event is one line written with a single write(2) on an O_APPEND
 * descriptor, so lines from concurrent writers never interleave. */
#ifndef WANDA_EVENTLOG_H
#define WANDA_EVENTLOG_H
#include <cjson/cJSON.h>
#include "base/werr.h"

/* A new event object: {"event": name, "ts": RFC 3339 now}. */
cJSON *event_new(const char *name);
/* Append one event to HOME/events.jsonl. */
int event_append(const char *home, const cJSON *ev, struct werr *e);

#endif
