/* clock: the one source of time in WANDA. Durations are measured on
 * CLOCK_MONOTONIC (a stepped wall clock must not stretch a timeout);
 * timestamps written to files are wall time in RFC 3339. */
#ifndef WANDA_CLOCK_H
#define WANDA_CLOCK_H
#include <stddef.h>

/* Milliseconds on CLOCK_MONOTONIC, and wall-clock ms since the epoch. */
long long mono_ms(void);
long long wall_ms(void);
/* Format wall time as RFC 3339 UTC with milliseconds: 2026-11-24T06:14:18.123Z */
void rfc3339_ms(long long ms, char *buf, size_t len);
/* A file's modification time in wall-clock ms since the epoch. */
struct stat;
long long stat_mtime_ms(const struct stat *st);

#endif
