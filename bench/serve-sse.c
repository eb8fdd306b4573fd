/* bench/serve-sse.c: SSE fan-out client for bench/serve (built by it).
 *   serve-sse HOST PORT EVENTS_FILE CLIENTS INTERVAL_MS SECONDS
 * One epoll loop reads CLIENTS connections to GET /api/events; a writer
 * thread appends one event stamped with the wall time (µs) to EVENTS_FILE
 * every INTERVAL_MS (absolute deadlines, so a busy reader does not slow
 * the rate) for SECONDS; each delivery's delay is recorded. Prints one
 * JSON line: clients, connected, events, deliveries, p50_ms, p99_ms, max_ms. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <err.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

struct cl {
	int fd;
	char buf[8192];
	size_t len;
	int ok;
};

static long long
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ts.tv_sec * 1000000LL + ts.tv_nsec / 1000;
}

static int
cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

struct writer {
	int fd;
	long ms, secs;
	int events;
};

/* One event every w->ms, on absolute deadlines, after a second for every
 * stream to start. */
static void *
writer(void *arg)
{
	struct writer *w = arg;
	struct timespec t;
	long n = w->secs * 1000 / w->ms;

	clock_gettime(CLOCK_MONOTONIC, &t);
	t.tv_sec += 1;
	for (long i = 0; i < n; i++) {
		char line[160];
		int l;
		clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &t, NULL);
		l = snprintf(line, sizeof line, "{\"event\":\"bench\",\"t_us\":%lld}\n", now_us());
		if (write(w->fd, line, (size_t)l) == l)
			w->events++;
		t.tv_nsec += w->ms * 1000000L;
		while (t.tv_nsec >= 1000000000L) {
			t.tv_nsec -= 1000000000L;
			t.tv_sec++;
		}
	}
	return NULL;
}

static double *lat;
static size_t nlat, caplat;

/* Scan complete frames for "t_us":N and record their delay. */
static void
consume(struct cl *c)
{
	char *p = c->buf, *end = c->buf + c->len, *k;

	while ((k = memmem(p, (size_t)(end - p), "\n\n", 2))) {
		char *t = memmem(p, (size_t)(k - p), "\"t_us\":", 7);
		if (t) {
			if (nlat == caplat && !(lat = realloc(lat, (caplat = caplat ? caplat * 2 : 65536) * sizeof *lat)))
				err(1, "realloc");
			lat[nlat++] = (double)(now_us() - atoll(t + 7)) / 1000.0;
		}
		c->ok = 1;
		p = k + 2;
	}
	c->len = (size_t)(end - p);
	memmove(c->buf, p, c->len);
}

int
main(int argc, char **argv)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	int n, ep, evfd, connected = 0;
	long ms, secs;
	struct cl *cls;
	struct writer w;
	pthread_t wt;
	long long end_us;
	char req[256];

	if (argc != 7)
		errx(64, "usage: serve-sse HOST PORT EVENTS_FILE CLIENTS INTERVAL_MS SECONDS");
	inet_pton(AF_INET, argv[1], &a.sin_addr);
	a.sin_port = htons((unsigned short)atoi(argv[2]));
	n = atoi(argv[4]);
	ms = atol(argv[5]);
	secs = atol(argv[6]);
	if ((evfd = open(argv[3], O_WRONLY | O_APPEND | O_CREAT, 0644)) < 0)
		err(66, "%s", argv[3]);
	snprintf(req, sizeof req, "GET /api/events HTTP/1.1\r\nHost: %s:%s\r\n\r\n", argv[1], argv[2]);
	ep = epoll_create1(0);
	cls = calloc((size_t)n, sizeof *cls);
	for (int i = 0; i < n; i++) {
		struct epoll_event ev = { .events = EPOLLIN, .data.ptr = &cls[i] };
		if ((cls[i].fd = socket(AF_INET, SOCK_STREAM, 0)) < 0 ||
		    connect(cls[i].fd, (struct sockaddr *)&a, sizeof a) < 0)
			err(69, "connect %d", i);
		if (write(cls[i].fd, req, strlen(req)) < 0)
			err(74, "write");
		epoll_ctl(ep, EPOLL_CTL_ADD, cls[i].fd, &ev);
	}
	w = (struct writer){ evfd, ms, secs, 0 };
	if (pthread_create(&wt, NULL, writer, &w) != 0)
		errx(71, "cannot start the writer thread");
	end_us = now_us() + (1 + secs) * 1000000LL;
	for (;;) {
		struct epoll_event evs[256];
		int k = epoll_wait(ep, evs, 256, 100);
		for (int i = 0; i < k; i++) {
			struct cl *c = evs[i].data.ptr;
			ssize_t r = read(c->fd, c->buf + c->len, sizeof c->buf - c->len);
			if (r <= 0) {
				epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
				continue;
			}
			c->len += (size_t)r;
			consume(c);
			if (c->len == sizeof c->buf)
				c->len = 0;
		}
		if (now_us() > end_us + 2000000LL)
			break;
	}
	pthread_join(wt, NULL);
	for (int i = 0; i < n; i++)
		connected += cls[i].ok;
	qsort(lat, nlat, sizeof *lat, cmp);
	printf("{\"clients\":%d,\"connected\":%d,\"events\":%d,\"deliveries\":%zu,\"expected\":%lld,"
	       "\"p50_ms\":%.2f,\"p99_ms\":%.2f,\"max_ms\":%.2f}\n",
	    n, connected, w.events, nlat,
	    (long long)w.events * connected, nlat ? lat[nlat / 2] : 0, nlat ? lat[nlat * 99 / 100] : 0,
	    nlat ? lat[nlat - 1] : 0);
	return 0;
}
