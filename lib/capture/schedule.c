#include "capture/schedule.h"

void
sched_init(struct sched *s, long long start_ms, long long interval_ms, long count,
    long long duration_ms)
{
	s->start_ms = start_ms;
	s->interval_ms = interval_ms > 0 ? interval_ms : 0;
	s->count = count > 0 ? count : 0;
	s->duration_ms = duration_ms > 0 ? duration_ms : 0;
	s->late_ms = s->interval_ms / 10;
	if (s->late_ms > 1000)
		s->late_ms = 1000;
}

long long
sched_slot(const struct sched *s, long k)
{
	return s->start_ms + (long long)k * s->interval_ms;
}

int
sched_has(const struct sched *s, long k)
{
	if (k < 0)
		return 0;
	if (s->count > 0 && k >= s->count)
		return 0;
	if (s->duration_ms > 0 && sched_slot(s, k) - s->start_ms >= s->duration_ms)
		return 0;
	/* back to back with a duration: slots have no time of their own */
	return 1;
}

long
sched_next(const struct sched *s, long done, long long now, long *nskip)
{
	long k = done + 1;

	*nskip = 0;
	if (s->interval_ms == 0) {
		if (s->duration_ms > 0 && now - s->start_ms >= s->duration_ms)
			return -1;
		return sched_has(s, k) ? k : -1;
	}
	/* slots already past (a long capture, a pause for disk space) */
	while (sched_has(s, k) && now > sched_slot(s, k) + s->late_ms) {
		k++;
		(*nskip)++;
	}
	return sched_has(s, k) ? k : -1;
}
