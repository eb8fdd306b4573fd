/* schedule: the drift-free timelapse clock. Capture k is due at
 * start + k*interval, whatever the earlier captures took; a slot whose time
 * has passed by more than the tolerance when its turn comes was overrun: it
 * is skipped and reported, never shifted. Pure arithmetic on ms. */
#ifndef WANDA_SCHEDULE_H
#define WANDA_SCHEDULE_H

struct sched {
	long long start_ms;    /* slot 0 */
	long long interval_ms; /* 0: back to back, no slots to miss */
	long count;            /* number of slots; 0 = no limit */
	long long duration_ms; /* slots must start before start + duration; 0 = no limit */
	long long late_ms;     /* how late a slot may still start */
};

/* Defaults the tolerance: a tenth of the interval, at most 1 s. */
void sched_init(struct sched *s, long long start_ms, long long interval_ms, long count,
    long long duration_ms);
long long sched_slot(const struct sched *s, long k);
/* 1 when slot k is inside the count and duration. */
int sched_has(const struct sched *s, long k);
/* After slot `done` (-1 before the first) at time now: the next slot to
 * run, or -1 when the schedule is over. *nskip slots from done+1 on were
 * overrun (already too late) and are skipped. */
long sched_next(const struct sched *s, long done, long long now, long *nskip);

#endif
