/* sessions: wanda-capture's record of a session,
 * state/sessions/NAME.json {"session","state":"open|closed","started_at",
 * "stopped_at"}, and the one rule for session names. */
#ifndef WANDA_SESSIONS_H
#define WANDA_SESSIONS_H
#include <stddef.h>
#include <cjson/cJSON.h>
#include "base/werr.h"

/* [A-Za-z0-9][A-Za-z0-9._-]*, at most 64 chars. */
int session_name_valid(const char *name);
/* Default session name for a wall time: the UTC date, 2026-11-24. */
void session_default_name(long long ms, char *buf, size_t len);
/* Open (create) a session; EX_DATAERR when it exists and is closed unless
 * reopen. *created tells whether it was new. */
int session_open(const char *home, const char *name, int reopen, int *created, struct werr *e);
/* Close it and queue {"kind":"session","session":NAME} so `wanda-dag
 * session` runs through the spool. Returns the spool entry's id in id. */
int session_close(const char *home, const char *name, const char *node, char *id, size_t idlen,
    struct werr *e);
/* Every session record with its capture count (sidecars on disk). */
cJSON *session_list(const char *home, struct werr *e);

#endif
