/* pacer: byte-rate limit (see pacer.h). */
#include "net/pacer.h"
#include <time.h>

void
pacer_init(struct pacer *p, uint64_t rate)
{
	pthread_mutex_init(&p->mu, NULL);
	p->rate = rate;
	p->next_us = 0;
}

void
pacer_destroy(struct pacer *p)
{
	pthread_mutex_destroy(&p->mu);
}

long long
pacer_take(struct pacer *p, size_t n, long long now_us)
{
	long long wait;

	if (p->rate == 0)
		return 0;
	pthread_mutex_lock(&p->mu);
	if (p->next_us < now_us - PACER_BURST_US)
		p->next_us = now_us - PACER_BURST_US; /* credit never above the burst */
	p->next_us += (long long)((double)n * 1e6 / (double)p->rate);
	wait = p->next_us - now_us;
	pthread_mutex_unlock(&p->mu);
	return wait;
}

void
pacer_wait(struct pacer *p, size_t n)
{
	struct timespec ts;
	long long wait;

	if (p->rate == 0)
		return;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	wait = pacer_take(p, n, (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000);
	if (wait <= 0)
		return;
	ts.tv_sec = wait / 1000000;
	ts.tv_nsec = (wait % 1000000) * 1000;
	while (nanosleep(&ts, &ts) < 0)
		;
}
