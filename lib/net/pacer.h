/* pacer: a byte-rate limit shared by threads. Each caller accounts the
 * bytes it just read and sleeps until the total is back under rate; no
 * credit builds up while idle (a burst after a pause is not allowed), so
 * over any stretch of transfer the average stays at or under rate. */
#ifndef WANDA_PACER_H
#define WANDA_PACER_H
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

struct pacer {
	pthread_mutex_t mu;
	uint64_t rate;            /* bytes/s; 0 = no limit */
	long long next_us;        /* when the bytes accounted so far are due */
};

void pacer_init(struct pacer *p, uint64_t rate);
void pacer_destroy(struct pacer *p);
/* The delay (µs) n more bytes need from now_us; advances the schedule. */
long long pacer_take(struct pacer *p, size_t n, long long now_us);
/* pacer_take with the monotonic clock, then sleep that long. */
void pacer_wait(struct pacer *p, size_t n);

#endif
