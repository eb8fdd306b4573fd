/* sse: see sse.h. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>
#include "base/buf.h"
#include "serve/sse.h"
#include "base/clock.h"

#define FRAME_MAX (SSE_LINE_MAX + 128)

struct sse_client {
	struct sse_hub *hub;
	struct sse_client *next, *prev;
	int live;                /* in the ring at rpos; else catching up from the file at off */
	unsigned long long rpos; /* ring position (absolute, a record boundary) */
	unsigned long long off;  /* file offset just past the last event sent */
	unsigned gen;            /* file generation off belongs to */
	int skip;                /* inside a line too long to send: skip to its end */
	char *pend;              /* a frame too big for one read, being sent */
	size_t pend_len, pend_pos;
	int waiting, started, dropped;
	unsigned long reads, reads_seen; /* reads that sent bytes; as of the last lag check */
	int strikes;                     /* lag checks in a row that found it stalled behind */
	size_t widx;                     /* in hub->waitv while waiting */
	const struct sse_ops *ops;
	void *ctx;
};

/* A ring record: this header, then len bytes of frame. id: the file
 * offset just past the event's line (0: a server event or a heartbeat). */
struct rec {
	uint32_t len;
	uint64_t id;
} __attribute__((packed));

struct sse_hub {
	pthread_mutex_t mu;      /* everything below */
	pthread_mutex_t wake_mu; /* one waker at a time (wbuf) */
	pthread_t thread;
	int started, stopping;
	int stop_pipe[2];
	char path[PATH_MAX], dir[PATH_MAX], base[256];
	long heartbeat_ms;
	int fd; /* events.jsonl, -1 when absent */
	ino_t ino;
	unsigned long long size; /* of the file, last seen */
	unsigned long long done; /* bytes of the file read into the ring */
	int skip;                /* the tailer is inside a too-long line */
	unsigned gen;
	char *ring; /* records; bytes [rstart, rend) are kept, at position % cap */
	size_t cap;
	unsigned long long rstart, rend;
	long long last_append_ms;
	char frame[FRAME_MAX];
	char syn[512]; /* the latest server event's frame */
	struct sse_client *clients;
	size_t nclients;
	struct sse_client **waitv; /* suspended clients, woken by the next frame */
	size_t nwait, wcap;
	struct {
		void (*fn)(void *);
		void *ctx;
	} * wbuf;
	size_t wbuf_cap;
};

struct sse_hub *
sse_hub_new(const char *events_path, long heartbeat_ms, size_t buffer, struct werr *e)
{
	struct sse_hub *h = calloc(1, sizeof *h);
	const char *slash = strrchr(events_path, '/');

	if (!h || !slash || strlen(events_path) >= sizeof h->path) {
		free(h);
		werr_set(e, EX_SOFTWARE, "%s: bad events path", events_path);
		return NULL;
	}
	h->cap = buffer ? buffer : SSE_BUFFER_DEFAULT;
	if (h->cap < 65536)
		h->cap = 65536;
	if (!(h->ring = malloc(h->cap))) {
		free(h);
		werr_set(e, EX_OSERR, "out of memory");
		return NULL;
	}
	pthread_mutex_init(&h->mu, NULL);
	pthread_mutex_init(&h->wake_mu, NULL);
	snprintf(h->path, sizeof h->path, "%s", events_path);
	snprintf(h->dir, sizeof h->dir, "%.*s", (int)(slash - events_path), events_path);
	snprintf(h->base, sizeof h->base, "%s", slash + 1);
	h->heartbeat_ms = heartbeat_ms > 0 ? heartbeat_ms : 15000;
	h->fd = -1;
	h->stop_pipe[0] = h->stop_pipe[1] = -1;
	return h;
}

/* Under mu: look at the file. A new or truncated file starts over from
 * its first byte (a new generation: catching-up clients restart at 0). */
static void
rescan(struct sse_hub *h)
{
	struct stat st;

	if (stat(h->path, &st) < 0) {
		if (h->fd >= 0) {
			close(h->fd);
			h->fd = -1;
			h->size = h->done = 0;
			h->skip = 0;
			h->gen++;
		}
		return;
	}
	if (h->fd < 0 || st.st_ino != h->ino || (unsigned long long)st.st_size < h->size) {
		int fd = open(h->path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
		if (fd < 0)
			return;
		if (h->fd >= 0) {
			close(h->fd);
			h->gen++;
			h->done = 0;
			h->skip = 0;
		} else if (!h->started)
			h->done = (unsigned long long)st.st_size; /* at start: only what comes next */
		h->fd = fd;
		h->ino = st.st_ino;
	}
	h->size = (unsigned long long)st.st_size;
}

/* Under mu: n bytes at ring position pos (wrapping). */
static void
ring_get(const struct sse_hub *h, unsigned long long pos, void *out, size_t n)
{
	size_t at = (size_t)(pos % h->cap), k = n < h->cap - at ? n : h->cap - at;

	memcpy(out, h->ring + at, k);
	memcpy((char *)out + k, h->ring, n - k);
}

static void
ring_put(struct sse_hub *h, const void *p, size_t n)
{
	size_t at = (size_t)(h->rend % h->cap), k = n < h->cap - at ? n : h->cap - at;

	memcpy(h->ring + at, p, k);
	memcpy(h->ring, (const char *)p + k, n - k);
	h->rend += n;
}

/* Under mu: one frame as a record; the oldest records make room. */
static void
ring_append(struct sse_hub *h, const char *p, size_t n, unsigned long long id)
{
	struct rec r = { (uint32_t)n, id };

	if (n + sizeof r > h->cap / 2)
		return;
	while (h->rend + sizeof r + n - h->rstart > h->cap) {
		struct rec old;
		ring_get(h, h->rstart, &old, sizeof old);
		h->rstart += sizeof old + old.len;
	}
	ring_put(h, &r, sizeof r);
	ring_put(h, p, n);
	h->last_append_ms = mono_ms();
}

/* Under mu: the next whole lines of [*off, end) of the file, each handed
 * to fn; *skip carries "inside a too-long line" between calls. Stops
 * when fn returns < 0 (that line stays unread). */
static void
read_lines(int fd, unsigned long long *off, unsigned long long end, int *skip,
    int (*fn)(void *, const char *, size_t, unsigned long long), void *arg)
{
	char in[SSE_LINE_MAX + 1];

	while (fd >= 0 && *off < end) {
		size_t chunk = end - *off < sizeof in ? (size_t)(end - *off) : sizeof in, pos = 0;
		ssize_t got = pread(fd, in, chunk, (off_t)*off);

		if (got <= 0)
			return;
		while (pos < (size_t)got) {
			char *nl = memchr(in + pos, '\n', (size_t)got - pos);
			size_t len;
			if (!nl) {
				if (pos) /* the next chunk starts with this line */
					break;
				if ((size_t)got < sizeof in)
					return;      /* an unfinished last line: later */
				*off += (size_t)got; /* a line too long for any frame */
				*skip = 1;
				break;
			}
			len = (size_t)(nl - (in + pos));
			if (!*skip && fn(arg, in + pos, len, *off + len + 1) < 0)
				return;
			*skip = 0;
			*off += len + 1;
			pos += len + 1;
		}
	}
}

static int
ingest_line(void *arg, const char *line, size_t n, unsigned long long id)
{
	struct sse_hub *h = arg;
	int w = sse_format_line(line, n, id, h->frame, sizeof h->frame);

	if (w > 0)
		ring_append(h, h->frame, (size_t)w, id);
	return 0;
}

/* Under mu: new lines into the ring; 1 when any frame was added. */
static int
ingest(struct sse_hub *h)
{
	unsigned long long end = h->rend;

	read_lines(h->fd, &h->done, h->size, &h->skip, ingest_line, h);
	return h->rend != end;
}

/* Resume every waiting client: collected under the lock, woken without it
 * (a waiting client stays suspended, so alive, until this wake). */
static void
wake_waiting(struct sse_hub *h)
{
	size_t n;

	pthread_mutex_lock(&h->wake_mu);
	pthread_mutex_lock(&h->mu);
	n = h->nwait;
	if (buf_grow_array(&h->wbuf, &h->wbuf_cap, n, sizeof *h->wbuf, 16, NULL) < 0 && n > h->wbuf_cap)
		n = h->wbuf_cap; /* the rest at the next wake */
	for (size_t i = 0; i < n; i++) {
		struct sse_client *c = h->waitv[h->nwait - 1 - i];
		c->waiting = 0;
		h->wbuf[i].fn = c->ops->wake;
		h->wbuf[i].ctx = c->ctx;
	}
	h->nwait -= n;
	pthread_mutex_unlock(&h->mu);
	for (size_t i = 0; i < n; i++)
		h->wbuf[i].fn(h->wbuf[i].ctx);
	pthread_mutex_unlock(&h->wake_mu);
}

/* Under mu: how far behind c is, when further than the ring. */
static int
lagging(const struct sse_hub *h, const struct sse_client *c)
{
	return c->live ? c->rpos < h->rstart : h->done - c->off > h->cap;
}

static unsigned long long
behind(const struct sse_hub *h, const struct sse_client *c)
{
	return c->live ? h->rend - c->rpos : h->done - c->off;
}

/* Under mu, once a second: drop the clients that were further behind
 * than the ring at two checks in a row without reading in between (a
 * client that reads catches up from the file instead). */
static void
drop_laggards(struct sse_hub *h)
{
	for (struct sse_client *c = h->clients; c; c = c->next) {
		if (c->dropped)
			continue;
		if (!c->waiting && c->reads == c->reads_seen && lagging(h, c))
			c->strikes++;
		else
			c->strikes = 0;
		c->reads_seen = c->reads;
		if (c->strikes >= 2) {
			c->dropped = 1;
			c->ops->drop(c->ctx, behind(h, c));
		}
	}
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
	int ifd = watch_dir(h), tick = h->heartbeat_ms < 1000 ? (int)h->heartbeat_ms : 1000;
	long long last_scan = 0;

	for (;;) {
		struct pollfd p[2] = { { h->stop_pipe[0], POLLIN, 0 }, { ifd, POLLIN, 0 } };
		long long now;
		int news = 0, scan;

		if (poll(p, ifd >= 0 ? 2 : 1, tick) > 0 && p[0].revents)
			break;
		if (ifd >= 0 && p[1].revents)
			news = drain(h, ifd);
		now = mono_ms();
		if (ifd < 0 && now - last_scan >= 5000)
			ifd = watch_dir(h);
		scan = now - last_scan >= 1000;
		pthread_mutex_lock(&h->mu);
		if (news || scan) {
			rescan(h);
			news = ingest(h);
		}
		if (!news && now - h->last_append_ms >= h->heartbeat_ms) {
			static const char beat[] = ": heartbeat\n\n";
			ring_append(h, beat, sizeof beat - 1, 0);
			news = 1;
		}
		if (scan) {
			drop_laggards(h);
			last_scan = now;
		}
		pthread_mutex_unlock(&h->mu);
		if (news)
			wake_waiting(h);
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
	h->last_append_ms = mono_ms();
	h->started = 1;
	pthread_mutex_unlock(&h->mu);
	if (pthread_create(&h->thread, NULL, tailer, h) != 0) {
		h->started = 0;
		return werr_set(e, EX_OSERR, "events tailer: cannot start thread");
	}
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
	wake_waiting(h);
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
	pthread_mutex_destroy(&h->wake_mu);
	free(h->ring);
	free(h->waitv);
	free(h->wbuf);
	free(h);
}

void
sse_hub_publish(struct sse_hub *h, const char *event, const char *json)
{
	char f[sizeof h->syn];
	int n = snprintf(f, sizeof f, "event: %s\ndata: %s\n\n", event, json);

	if (n < 0 || (size_t)n >= sizeof f)
		return;
	pthread_mutex_lock(&h->mu);
	memcpy(h->syn, f, (size_t)n + 1);
	ring_append(h, f, (size_t)n, 0);
	pthread_mutex_unlock(&h->mu);
	wake_waiting(h);
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

/* Under mu: is `off` the start of a line the tailer has read? */
static int
line_start(struct sse_hub *h, unsigned long long off)
{
	char c;

	if (off == h->done)
		return 1;
	if (h->fd < 0 || off > h->done)
		return 0;
	return off == 0 || (pread(h->fd, &c, 1, (off_t)off - 1) == 1 && c == '\n');
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
sse_client_new(struct sse_hub *h, const char *last_id, const struct sse_ops *ops, void *ctx)
{
	struct sse_client *c = calloc(1, sizeof *c);
	unsigned long long id;

	if (!c)
		return NULL;
	c->hub = h;
	c->ops = ops;
	c->ctx = ctx;
	pthread_mutex_lock(&h->mu);
	c->gen = h->gen;
	if (parse_id(last_id, &id) == 0 && id != h->done && line_start(h, id))
		c->off = id; /* catch up from the file first */
	else {
		c->live = 1;
		c->rpos = h->rend;
		c->off = h->done;
	}
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
	if (c->waiting) {
		struct sse_client *last = h->waitv[--h->nwait];
		h->waitv[c->widx] = last;
		last->widx = c->widx;
	}
	if (c->prev)
		c->prev->next = c->next;
	else
		h->clients = c->next;
	if (c->next)
		c->next->prev = c->prev;
	h->nclients--;
	pthread_mutex_unlock(&h->mu);
	free(c->pend);
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

	/* a CR or LF inside would end the data: field early and let the rest of
	 * the line pose as fields of its own (callers split lines, but this
	 * keeps the frame whole by itself) */
	if (n == 0 || line[0] != '{' || line[n - 1] != '}' || memchr(line, '\r', n) || memchr(line, '\n', n) ||
	    memchr(line, '\0', n) || event_name(line, n, name, sizeof name) < 0)
		return 0;
	w = snprintf(out, cap, "id: %llu\nevent: %s\ndata: %.*s\n\n", id, name, (int)n, line);
	return w < 0 || (size_t)w >= cap ? -1 : w;
}

/* Under mu: the rest of a big frame. */
static size_t
from_pend(struct sse_client *c, char *buf, size_t max)
{
	size_t n = c->pend_len - c->pend_pos;

	if (n > max)
		n = max;
	memcpy(buf, c->pend + c->pend_pos, n);
	if ((c->pend_pos += n) == c->pend_len) {
		free(c->pend);
		c->pend = NULL;
	}
	return n;
}

struct catchup {
	struct sse_client *c;
	char *buf;
	size_t used, max;
};

static int
catchup_line(void *arg, const char *line, size_t n, unsigned long long id)
{
	struct catchup *k = arg;
	struct sse_client *c = k->c;
	int w = sse_format_line(line, n, id, k->buf + k->used, k->max - k->used);

	if (w >= 0) {
		k->used += (size_t)w;
		return 0;
	}
	if (k->used) /* does not fit after the others: next read */
		return -1;
	if (!(c->pend = malloc(FRAME_MAX))) /* bigger than a read: in pieces */
		return -1;
	c->pend_len = (size_t)sse_format_line(line, n, id, c->pend, FRAME_MAX);
	c->pend_pos = 0;
	return 0;
}

/* Under mu: file events from c->off (up to what the ring holds) into buf. */
static size_t
catch_up(struct sse_client *c, char *buf, size_t max)
{
	struct sse_hub *h = c->hub;
	struct catchup k = { c, buf, 0, max };

	if (c->gen != h->gen) {
		c->gen = h->gen;
		c->off = 0;
		c->skip = 0;
	}
	if (!c->pend)
		read_lines(h->fd, &c->off, h->done, &c->skip, catchup_line, &k);
	if (c->pend)
		k.used += from_pend(c, buf + k.used, max - k.used);
	if (!c->pend && c->off == h->done) { /* caught up: join the ring */
		c->live = 1;
		c->rpos = h->rend;
	}
	return k.used;
}

/* Under mu: whole frames from the ring at c->rpos into buf; a frame
 * bigger than the room left in an empty buf goes to c->pend (a started
 * frame is never cut by the ring moving on). */
static size_t
from_ring(struct sse_client *c, char *buf, size_t max)
{
	struct sse_hub *h = c->hub;
	size_t used = 0;

	while (c->rpos < h->rend && !c->pend) {
		struct rec r;
		ring_get(h, c->rpos, &r, sizeof r);
		if (r.len <= max - used) {
			ring_get(h, c->rpos + sizeof r, buf + used, r.len);
			used += r.len;
		} else if (used == 0 && (c->pend = malloc(r.len))) {
			ring_get(h, c->rpos + sizeof r, c->pend, r.len);
			c->pend_len = r.len;
			c->pend_pos = 0;
		} else
			break;
		c->rpos += sizeof r + r.len;
		if (r.id)
			c->off = r.id;
	}
	return used;
}

ssize_t
sse_client_read(struct sse_client *c, char *buf, size_t max)
{
	struct sse_hub *h = c->hub;
	size_t used = 0;

	pthread_mutex_lock(&h->mu);
	if (h->stopping || c->dropped) {
		pthread_mutex_unlock(&h->mu);
		return c->dropped ? -2 : -1;
	}
	if (c->live && !c->pend && c->rpos < h->rstart) {
		c->live = 0; /* the ring moved on: catch up from the file */
		if (c->gen != h->gen)
			c->off = 0;
	}
	if (!c->started) {
		int n = snprintf(buf, max, "retry: 2000\n\n%s", h->syn);
		if (n > 0 && (size_t)n < max) {
			used = (size_t)n;
			c->started = 1;
		}
	}
	if (c->pend)
		used += from_pend(c, buf + used, max - used);
	else if (!c->live)
		used += catch_up(c, buf + used, max - used);
	if (c->live && !c->pend)
		used += from_ring(c, buf + used, max - used);
	if (used == 0 && c->pend)
		used = from_pend(c, buf, max);
	if (used)
		c->reads++;
	else if (c->started) {
		if (buf_grow_array(&h->waitv, &h->wcap, h->nwait + 1, sizeof *h->waitv, 256, NULL) < 0) {
			/* cannot wait: a heartbeat instead, and again */
			pthread_mutex_unlock(&h->mu);
			return snprintf(buf, max, ": heartbeat\n\n");
		}
		c->waiting = 1;
		c->widx = h->nwait;
		h->waitv[h->nwait++] = c;
		c->ops->suspend(c->ctx);
	}
	pthread_mutex_unlock(&h->mu);
	return (ssize_t)used;
}
