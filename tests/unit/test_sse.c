/* test_sse: the event hub of wanda-serve (lib/serve/sse) against a real
 * events.jsonl and its tailer thread: live frames, a frame bigger than one
 * read, a burst bigger than the ring (the reader catches up from the
 * file), Last-Event-ID, heartbeats, a client that stops reading (dropped),
 * stop. The connection is faked: wake counts, suspend does nothing. */
#include <fcntl.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "tap.h"
#include "serve/sse.h"

struct fake {
	atomic_int wakes, drops;
};

static void
f_wake(void *ctx)
{
	atomic_fetch_add(&((struct fake *)ctx)->wakes, 1);
}

static void
f_suspend(void *ctx)
{
	(void)ctx;
}

static void
f_drop(void *ctx, unsigned long long behind)
{
	(void)behind;
	atomic_fetch_add(&((struct fake *)ctx)->drops, 1);
}

static const struct sse_ops ops = { f_wake, f_suspend, f_drop };

static void
append(const char *path, const char *s, size_t n)
{
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT, 0644);

	if (fd < 0 || write(fd, s, n) != (ssize_t)n)
		abort();
	close(fd);
}

/* Read until the client suspends (or ends): what it sent, in out. */
static ssize_t
drain(struct sse_client *c, char *out, size_t cap)
{
	size_t used = 0;
	char buf[4096];
	ssize_t n;

	while ((n = sse_client_read(c, buf, sizeof buf)) > 0) {
		if (used + (size_t)n < cap) {
			memcpy(out + used, buf, (size_t)n);
			used += (size_t)n;
		}
	}
	out[used] = '\0';
	return n < 0 ? n : (ssize_t)used;
}

/* Wait up to 5 s for a wake after `seen` wakes. */
static int
woken(struct fake *f, int seen)
{
	for (int i = 0; i < 500; i++) {
		if (atomic_load(&f->wakes) > seen)
			return 1;
		usleep(10000);
	}
	return 0;
}

static size_t
count(const char *s, const char *needle)
{
	size_t n = 0;

	for (const char *p = s; (p = strstr(p, needle)); p++)
		n++;
	return n;
}

int
main(void)
{
	char dir[] = "/tmp/test_sse.XXXXXX", path[256], *out = malloc(1 << 22), *big = malloc(300000);
	struct werr e = { 0 };
	struct fake fa = { 0 }, fb = { 0 }, fc = { 0 };
	struct sse_hub *h;
	struct sse_client *a, *b, *c;
	size_t n = 0, nb = 0;
	int w;

	if (!mkdtemp(dir))
		return 1;
	snprintf(path, sizeof path, "%s/events.jsonl", dir);
	append(path, "{\"event\":\"old\"}\n", 16);
	ok((h = sse_hub_new(path, 300, 65536, &e)) && sse_hub_start(h, &e) == 0, "hub starts: %s", e.msg);

	a = sse_client_new(h, NULL, &ops, &fa);
	ok(drain(a, out, 1 << 22) > 0 && !strncmp(out, "retry: 2000\n\n", 13) && !strstr(out, "old"),
	    "a new client starts at the end of the log");
	w = atomic_load(&fa.wakes);
	append(path, "{\"event\":\"one\"}\n{\"event\":\"two\"}\n", 32);
	ok(woken(&fa, w), "an append wakes the waiting client");
	drain(a, out, 1 << 22);
	ok(strstr(out, "id: 32\nevent: one\n") && strstr(out, "id: 48\nevent: two\n"), "frames with offsets as ids");

	/* a frame bigger than one read */
	memcpy(big, "{\"event\":\"big\",\"pad\":\"", 22);
	memset(big + 22, 'x', 10000);
	memcpy(big + 10022, "\"}\n", 3);
	w = atomic_load(&fa.wakes);
	append(path, big, 10025);
	ok(woken(&fa, w), "woken for the big event");
	drain(a, out, 1 << 22);
	ok(strstr(out, "event: big\n") && strlen(out) > 10000 && !strcmp(out + strlen(out) - 4, "\"}\n\n"),
	    "a 10 KB frame arrives whole over 4 KB reads");

	/* c reads its start, then never again */
	c = sse_client_new(h, NULL, &ops, &fc);
	ok(sse_client_read(c, out, 4096) > 0, "c started");

	/* a burst of ~280 KB: more than the 64 KiB ring */
	for (; n + 100 < 300000; nb++)
		n += (size_t)snprintf(big + n, 300000 - n, "{\"event\":\"burst\",\"n\":%zu,\"pad\":\"%040d\"}\n", nb, 0);
	w = atomic_load(&fa.wakes);
	append(path, big, n);
	ok(woken(&fa, w), "woken for the burst");
	usleep(300000); /* let the tailer read it all */
	{
		size_t got = 0;
		ssize_t k;
		w = atomic_load(&fa.wakes);
		for (int tries = 0; tries < 50 && got < nb; tries++) {
			k = drain(a, out, 1 << 22);
			got += count(out, "event: burst\n");
			if (got < nb && k >= 0) {
				woken(&fa, w);
				w = atomic_load(&fa.wakes);
			}
		}
		is_int(got, nb, "a reader that fell out of the ring gets every burst event (from the file)");
	}
	/* Last-Event-ID: after "one" */
	b = sse_client_new(h, "32", &ops, &fb);
	drain(b, out, 1 << 22);
	ok(!strstr(out, "event: one\n") && strstr(out, "id: 48\nevent: two\n") && strstr(out, "event: big\n"),
	    "Last-Event-ID resumes after that event");

	/* the stalled client is dropped within two lag checks */
	for (int i = 0; i < 400 && !atomic_load(&fc.drops); i++)
		usleep(10000);
	is_int(atomic_load(&fc.drops), 1, "a client that stopped reading past the ring is dropped once");
	is_int(sse_client_read(c, out, 4096), -2, "its next read ends the connection");
	is_int(atomic_load(&fa.drops), 0, "the reader is not dropped");

	/* heartbeat on an idle stream: a was woken by one meanwhile; read it,
	 * then the next wakes it again */
	if (atomic_load(&fa.wakes) > w)
		drain(a, out, 1 << 22);
	w = atomic_load(&fa.wakes);
	ok(woken(&fa, w), "woken by the heartbeat");
	drain(a, out, 1 << 22);
	ok(strstr(out, ": heartbeat\n\n") != NULL, "a heartbeat comment");

	sse_hub_publish(h, "ipfs_status", "{\"daemon\":\"up\"}");
	drain(a, out, 1 << 22);
	ok(strstr(out, "event: ipfs_status\ndata: {\"daemon\":\"up\"}\n\n") != NULL, "a server event, without id");

	sse_hub_stop(h);
	is_int(sse_client_read(a, out, 4096), -1, "after stop a read ends the stream");
	sse_client_free(a);
	sse_client_free(b);
	sse_client_free(c);
	sse_hub_free(h);
	unlink(path);
	rmdir(dir);
	free(out);
	free(big);
	return done_testing();
}
