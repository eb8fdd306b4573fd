#include "capture/captureid.h"
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>
#include "base/atomicio.h"
#include "base/clock.h"

void
captureid_next(struct captureid_state *st, long long now_ms)
{
	if (now_ms > st->ms) {
		st->ms = now_ms;
		st->seq = 0;
	} else if (st->seq < CAPTUREID_SEQ_MAX) {
		st->seq++; /* same ms, or the clock stepped back */
	} else {
		st->ms++; /* 10,000 ids in one ms: borrow the next */
		st->seq = 0;
	}
}

void
captureid_node(const char *in, char *out, size_t len)
{
	size_t n = 0, cap = len > 25 ? 25 : len;
	int dash = 0;

	if (cap == 0)
		return;
	for (const char *p = in ? in : ""; *p && n + 1 < cap; p++) {
		unsigned char c = (unsigned char)*p;
		if (isalnum(c) && c < 128) {
			if (dash && n > 0 && n + 2 < cap)
				out[n++] = '-';
			dash = 0;
			out[n++] = (char)tolower(c);
		} else {
			dash = 1;
		}
	}
	out[n] = '\0';
	if (n == 0)
		snprintf(out, cap, "node");
}

int
captureid_format(long long ms, const char *node, unsigned seq, char *buf, size_t len)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	char ts[32];
	int n;

	if (ms < 0 || gmtime_r(&t, &tm) == NULL)
		return -1;
	strftime(ts, sizeof ts, "%Y%m%dT%H%M%S", &tm);
	n = snprintf(buf, len, "%s.%03lldZ-%s-%04u", ts, ms % 1000, node, seq);
	return n < 0 || (size_t)n >= len ? -1 : 0;
}

int
captureid_parse(const char *id, long long *ms, char *node, size_t nodelen, unsigned *seq)
{
	struct tm tm = { 0 };
	unsigned frac, sq;
	const char *dash, *last;
	char *end;

	if (strlen(id) < 27 || id[8] != 'T' || id[15] != '.' || id[19] != 'Z' || id[20] != '-')
		return -1;
	for (int i = 0; i < 19; i++)
		if (i != 8 && i != 15 && !isdigit((unsigned char)id[i]))
			return -1;
	if (sscanf(id, "%4d%2d%2dT%2d%2d%2d.%3u", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
	        &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &frac) != 7)
		return -1;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	dash = id + 20;
	last = strrchr(dash, '-');
	if (last == dash || strlen(last + 1) != 4)
		return -1;
	errno = 0;
	sq = (unsigned)strtoul(last + 1, &end, 10);
	if (*end != '\0' || errno != 0 || !isdigit((unsigned char)last[1]))
		return -1;
	if (node != NULL) {
		size_t n = (size_t)(last - dash - 1);
		if (n + 1 > nodelen)
			return -1;
		memcpy(node, dash + 1, n);
		node[n] = '\0';
	}
	*ms = (long long)timegm(&tm) * 1000 + frac;
	*seq = sq;
	return 0;
}

/* The state file holds the last id issued; a missing or unreadable one
 * starts from nothing (the clock then decides). */
static void
load_state(int fd, struct captureid_state *st)
{
	char buf[CAPTUREID_MAX + 1];
	ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
	long long ms;
	unsigned seq;

	st->ms = 0;
	st->seq = 0;
	if (n <= 0)
		return;
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	if (captureid_parse(buf, &ms, NULL, 0, &seq) == 0) {
		st->ms = ms;
		st->seq = seq;
	}
}

int
captureid_issue(const char *state_path, const char *node, char *buf, size_t len, struct werr *e)
{
	struct captureid_state st;
	char line[CAPTUREID_MAX + 2];
	int fd, rc = -1;

	fd = open(state_path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		return werr_sys(e, EX_CANTCREAT, "%s", state_path);
	while (flock(fd, LOCK_EX) < 0)
		if (errno != EINTR) {
			werr_sys(e, EX_OSERR, "lock %s", state_path);
			goto out;
		}
	load_state(fd, &st);
	captureid_next(&st, wall_ms());
	if (captureid_format(st.ms, node, st.seq, buf, len) < 0) {
		werr_set(e, EX_SOFTWARE, "capture id for node %s does not fit", node);
		goto out;
	}
	/* fsync before the id is used: after a crash and a clock that came
	 * back earlier, the next id must still sort after this one. */
	snprintf(line, sizeof line, "%s\n", buf);
	if (ftruncate(fd, 0) < 0 || pwrite(fd, line, strlen(line), 0) != (ssize_t)strlen(line) ||
	    fsync(fd) < 0) {
		werr_sys(e, EX_IOERR, "%s", state_path);
		goto out;
	}
	rc = 0;
out:
	close(fd);
	return rc;
}
