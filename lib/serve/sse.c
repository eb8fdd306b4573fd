/* sse: see sse.h. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>
#include "serve/sse.h"
#include "base/clock.h"

struct syn {
	unsigned long long seq;
	char text[512];
};

struct sse_client {
	struct sse_hub *hub;
	struct sse_client *next, *prev;
	unsigned long long off;     /* next byte of events.jsonl to send */
	unsigned gen;               /* file generation off belongs to */
	unsigned long long syn_seq; /* last synthetic event sent */
	long long last_send_ms;
	int waiting, started;
	sse_wake_fn wake;
	sse_suspend_fn suspend;
	void *ctx;
};

struct sse_hub {
	pthread_mutex_t mu;
	pthread_t thread;
	int started, stopping;
	int stop_pipe[2];
	char path[PATH_MAX], dir[PATH_MAX], base[256];
	long heartbeat_ms;
	int fd; /* events.jsonl, -1 when absent */
	ino_t ino;
	unsigned long long size;
	unsigned gen;
	struct sse_client *clients;
	size_t nclients;
	struct syn syn[SSE_SYN_RING];
	unsigned long long syn_seq;
};

struct sse_hub *
sse_hub_new(const char *events_path, long heartbeat_ms, struct werr *e)
{
	struct sse_hub *h = calloc(1, sizeof *h);
	const char *slash = strrchr(events_path, '/');

	if (!h || !slash || strlen(events_path) >= sizeof h->path) {
		free(h);
		werr_set(e, EX_SOFTWARE, "%s: bad events path", events_path);
		return NULL;
	}
	pthread_mutex_init(&h->mu, NULL);
	snprintf(h->path, sizeof h->path, "%s", events_path);
	snprintf(h->dir, sizeof h->dir, "%.*s", (int)(slash - events_path), events_path);
	snprintf(h->base, sizeof h->base, "%s", slash + 1);
	h->heartbeat_ms = heartbeat_ms > 0 ? heartbeat_ms : 15000;
	h->fd = -1;
	h->stop_pipe[0] = h->stop_pipe[1] = -1;
	return h;
}

/* Under mu: look at the file; 1 when there is something new for clients. */
static int
rescan(struct sse_hub *h)
{
	struct stat st;

	if (stat(h->path, &st) < 0) {
		if (h->fd >= 0) {
			close(h->fd);
			h->fd = -1;
			h->size = 0;
			h->gen++;
		}
		return 0;
	}
	if (h->fd < 0 || st.st_ino != h->ino || (unsigned long long)st.st_size < h->size) {
		int fd = open(h->path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
		if (fd < 0)
			return 0;
		if (h->fd >= 0) {
			close(h->fd);
			h->gen++; /* replaced or truncated: clients start it from 0 */
		}
		h->fd = fd;
		h->ino = st.st_ino;
		h->size = (unsigned long long)st.st_size;
		return 1;
	}
	if ((unsigned long long)st.st_size != h->size) {
		h->size = (unsigned long long)st.st_size;
		return 1;
	}
	return 0;
}

/* Resume every waiting client (or all when heartbeat): collected under the
 * lock, woken without it (a waiting client stays suspended, so alive,
 * until this wake). */
static void
wake_all(struct sse_hub *h)
{
	struct {
		sse_wake_fn fn;
		void *ctx;
	} * w;
	size_t n = 0;

	pthread_mutex_lock(&h->mu);
	w = calloc(h->nclients + 1, sizeof *w);
	for (struct sse_client *c = h->clients; c && w; c = c->next)
		if (c->waiting) {
			c->waiting = 0;
			w[n].fn = c->wake;
			w[n++].ctx = c->ctx;
		}
	pthread_mutex_unlock(&h->mu);
	for (size_t i = 0; i < n; i++)
		w[i].fn(w[i].ctx);
	free(w);
}

static int
watch_dir(struct sse_hub *h)
{
	int fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);

	if (fd >= 0 && inotify_add_watch(fd, h->dir, IN_MODIFY | IN_CREATE | IN_MOVED_TO | IN_DELETE | IN_CLOSE_WRITE | IN_ATTRIB) < 0) {
		close(fd);
		return -1; /* the dir may not exist yet: polling only, retried later */
	}
	return fd;
}

/* Drain inotify; 1 when it named our file or overflowed. */
static int
drain(struct sse_hub *h, int ifd)
{
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	ssize_t n;
	int hit = 0;

	while ((n = read(ifd, buf, sizeof buf)) > 0)
		for (char *p = buf; p < buf + n;) {
			struct inotify_event *ev = (struct inotify_event *)p;
			if ((ev->mask & IN_Q_OVERFLOW) || (ev->len && !strcmp(ev->name, h->base)))
				hit = 1;
			p += sizeof *ev + ev->len;
		}
	return hit;
}

static void *
tailer(void *arg)
{
	struct sse_hub *h = arg;
	int ifd = watch_dir(h);
	long long last_scan = 0, last_beat = mono_ms();

	for (;;) {
		struct pollfd p[2] = { { h->stop_pipe[0], POLLIN, 0 }, { ifd, POLLIN, 0 } };
		long long now;
		int news = 0;

		if (poll(p, ifd >= 0 ? 2 : 1, 1000) > 0 && p[0].revents)
			break;
		if (ifd >= 0 && p[1].revents)
			news = drain(h, ifd);
		now = mono_ms();
		if (ifd < 0 && now - last_scan >= 5000)
			ifd = watch_dir(h);
		if (news || now - last_scan >= 1000) {
			pthread_mutex_lock(&h->mu);
			news = rescan(h);
			pthread_mutex_unlock(&h->mu);
			last_scan = now;
		}
		if (now - last_beat >= h->heartbeat_ms) {
			last_beat = now;
			news = 1;
		}
		if (news)
			wake_all(h);
	}
	if (ifd >= 0)
		close(ifd);
	return NULL;
}

int
sse_hub_start(struct sse_hub *h, struct werr *e)
{
	if (pipe2(h->stop_pipe, O_CLOEXEC) < 0)
		return werr_sys(e, EX_OSERR, "pipe");
	pthread_mutex_lock(&h->mu);
	rescan(h);
	pthread_mutex_unlock(&h->mu);
	if (pthread_create(&h->thread, NULL, tailer, h) != 0)
		return werr_set(e, EX_OSERR, "events tailer: cannot start thread");
	h->started = 1;
	return 0;
}

void
sse_hub_stop(struct sse_hub *h)
{
	if (!h || !h->started)
		return;
	pthread_mutex_lock(&h->mu);
	h->stopping = 1;
	pthread_mutex_unlock(&h->mu);
	if (write(h->stop_pipe[1], "x", 1) < 0)
		h->stopping = 1; /* it also polls every second */
	pthread_join(h->thread, NULL);
	h->started = 0;
	wake_all(h);
}

void
sse_hub_free(struct sse_hub *h)
{
	if (!h)
		return;
	if (h->fd >= 0)
		close(h->fd);
	for (int i = 0; i < 2; i++)
		if (h->stop_pipe[i] >= 0)
			close(h->stop_pipe[i]);
	pthread_mutex_destroy(&h->mu);
	free(h);
}

void
sse_hub_publish(struct sse_hub *h, const char *event, const char *json)
{
	struct syn *s;

	pthread_mutex_lock(&h->mu);
	s = &h->syn[++h->syn_seq % SSE_SYN_RING];
	s->seq = h->syn_seq;
	if (snprintf(s->text, sizeof s->text, "event: %s\ndata: %s\n\n", event, json) >= (int)sizeof s->text)
		s->text[0] = '\0';
	pthread_mutex_unlock(&h->mu);
	wake_all(h);
}

size_t
sse_hub_clients(struct sse_hub *h)
{
	size_t n;

	pthread_mutex_lock(&h->mu);
	n = h->nclients;
	pthread_mutex_unlock(&h->mu);
	return n;
}

/* Under mu: is `off` the start of a line of the current file? */
static int
line_start(struct sse_hub *h, unsigned long long off)
{
	char c;

	if (off == 0)
		return 1;
	if (h->fd < 0 || off > h->size)
		return 0;
	return pread(h->fd, &c, 1, (off_t)off - 1) == 1 && c == '\n';
}

static int
parse_id(const char *s, unsigned long long *out)
{
	char *end;

	if (!s || !*s || strlen(s) > 20 || *s < '0' || *s > '9')
		return -1;
	errno = 0;
	*out = strtoull(s, &end, 10);
	return *end || errno ? -1 : 0;
}

struct sse_client *
sse_client_new(struct sse_hub *h, const char *last_id, sse_wake_fn wake, sse_suspend_fn suspend,
    void *ctx)
{
	struct sse_client *c = calloc(1, sizeof *c);
	unsigned long long id;

	if (!c)
		return NULL;
	c->hub = h;
	c->wake = wake;
	c->suspend = suspend;
	c->ctx = ctx;
	c->last_send_ms = mono_ms();
	pthread_mutex_lock(&h->mu);
	rescan(h);
	c->gen = h->gen;
	c->off = parse_id(last_id, &id) == 0 && line_start(h, id) ? id : h->size;
	c->syn_seq = h->syn_seq ? h->syn_seq - 1 : 0; /* the latest status too */
	c->next = h->clients;
	if (h->clients)
		h->clients->prev = c;
	h->clients = c;
	h->nclients++;
	pthread_mutex_unlock(&h->mu);
	return c;
}

void
sse_client_free(struct sse_client *c)
{
	struct sse_hub *h;

	if (!c)
		return;
	h = c->hub;
	pthread_mutex_lock(&h->mu);
	if (c->prev)
		c->prev->next = c->next;
	else
		h->clients = c->next;
	if (c->next)
		c->next->prev = c->prev;
	h->nclients--;
	pthread_mutex_unlock(&h->mu);
	free(c);
}

/* The "event" member of an event line, as our programs write it; a
 * name of [a-z0-9_-] only, so it cannot break the frame. */
static int
event_name(const char *line, size_t n, char *out, size_t cap)
{
	static const char key[] = "\"event\":\"";
	const char *p = memmem(line, n, key, sizeof key - 1), *end = line + n;
	size_t k = 0;

	if (!p)
		return -1;
	for (p += sizeof key - 1; p < end && *p != '"'; p++) {
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_' || *p == '-') ||
		    k + 1 >= cap)
			return -1;
		out[k++] = *p;
	}
	out[k] = '\0';
	return p < end && k ? 0 : -1;
}

int
sse_format_line(const char *line, size_t n, unsigned long long id, char *out, size_t cap)
{
	char name[64];
	int w;

	if (n == 0 || line[0] != '{' || line[n - 1] != '}' || memchr(line, '\r', n) ||
	    memchr(line, '\0', n) || event_name(line, n, name, sizeof name) < 0)
		return 0;
	w = snprintf(out, cap, "id: %llu\nevent: %s\ndata: %.*s\n\n", id, name, (int)n, line);
	return w < 0 || (size_t)w >= cap ? -1 : w;
}

/* Under mu: copy whole events from the file at c->off into buf. */
static size_t
read_file_events(struct sse_client *c, char *buf, size_t max)
{
	struct sse_hub *h = c->hub;
	char in[SSE_LINE_MAX + 1];
	size_t used = 0, chunk = sizeof in;
	ssize_t got;

	if (h->fd < 0 || c->off >= h->size)
		return 0;
	if (h->size - c->off < chunk)
		chunk = (size_t)(h->size - c->off);
	got = pread(h->fd, in, chunk, (off_t)c->off);
	for (size_t pos = 0; got > 0 && pos < (size_t)got;) {
		char *nl = memchr(in + pos, '\n', (size_t)got - pos);
		size_t len;
		int w;

		if (!nl) {
			if (pos == 0 && (size_t)got == sizeof in)
				c->off += chunk; /* a line too long for any frame: skip its head */
			break;
		}
		len = (size_t)(nl - (in + pos));
		w = sse_format_line(in + pos, len, c->off + len + 1, buf + used, max - used);
		if (w < 0)
			break; /* does not fit now: next call */
		used += (size_t)w;
		c->off += len + 1;
		pos += len + 1;
	}
	return used;
}

ssize_t
sse_client_read(struct sse_client *c, char *buf, size_t max)
{
	struct sse_hub *h = c->hub;
	size_t used = 0;
	long long now = mono_ms();

	pthread_mutex_lock(&h->mu);
	if (h->stopping) {
		pthread_mutex_unlock(&h->mu);
		return -1;
	}
	if (!c->started && max > 16) {
		used = (size_t)snprintf(buf, max, "retry: 2000\n\n");
		c->started = 1;
	}
	if (c->gen != h->gen) {
		c->gen = h->gen;
		c->off = 0;
	}
	if (c->syn_seq + SSE_SYN_RING < h->syn_seq)
		c->syn_seq = h->syn_seq - SSE_SYN_RING;
	while (c->syn_seq < h->syn_seq) {
		const struct syn *s = &h->syn[(c->syn_seq + 1) % SSE_SYN_RING];
		size_t n = strlen(s->text);
		if (used + n > max)
			break;
		memcpy(buf + used, s->text, n);
		used += n;
		c->syn_seq++;
	}
	used += read_file_events(c, buf + used, max - used);
	if (used == 0 && now - c->last_send_ms >= h->heartbeat_ms && max > 16)
		used = (size_t)snprintf(buf, max, ": heartbeat\n\n");
	if (used == 0) {
		c->waiting = 1;
		c->suspend(c->ctx);
	} else
		c->last_send_ms = now;
	pthread_mutex_unlock(&h->mu);
	return (ssize_t)used;
}
