/* pacer: a byte-rate limit shared by threads (a token bucket). Each caller
 * accounts the bytes it just read and sleeps until the total is back under
 * rate. Credit builds up while the reader waits for data, up to half a second
 * of rate (PACER_BURST_US): the sender's own latency (a block fetched from
 * the network between two reads) is then not added to the paced time, and
 * over any stretch of T seconds at most rate*(T+0.5) bytes go through. */
#ifndef WANDA_PACER_H
#define WANDA_PACER_H
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#define PACER_BURST_US 500000LL

struct pacer {
	pthread_mutex_t mu;
	uint64_t rate;     /* bytes/s; 0 = no limit */
	long long next_us; /* when the bytes accounted so far are due */
};

void pacer_init(struct pacer *p, uint64_t rate);
void pacer_destroy(struct pacer *p);
/* The delay (µs) n more bytes need from now_us; advances the schedule. */
long long pacer_take(struct pacer *p, size_t n, long long now_us);
/* pacer_take with the monotonic clock, then sleep that long. */
void pacer_wait(struct pacer *p, size_t n);

#endif
