/* sse: Server-Sent Events from $WANDA_HOME/events.jsonl.
 *
 * One tailer thread watches the file with inotify (and rescans it every
 * second, when the inotify queue overflows, and when the file is
 * replaced), reads each new line once, formats its frame once and appends
 * it to a shared ring of frames (`buffer` bytes). A live client keeps
 * only its position in that ring: sending is a memcpy, however many
 * clients there are, and one event wakes each waiting client once.
 *
 * Event ids are the byte offset just past the event's line, so a client
 * reconnecting with Last-Event-ID resumes exactly there: it first catches
 * up from the file itself (an id that is not a line boundary of the
 * current file starts it at the end), then joins the ring.
 *
 * A client that reads but falls out of the ring (a burst bigger than the
 * ring) goes back to the file from its last event. One that stops
 * reading while more than the ring behind is dropped through its drop
 * callback after two lag checks a second apart: a slow client never holds
 * up the others and costs no memory of its own. When nothing happened for a heartbeat period a
 * comment frame goes into the ring, so idle connections stay alive.
 *
 * The server adds its own events (ipfs_status, ipfs_peer_connected) with
 * sse_hub_publish: they carry no id (not replayable); a new client gets
 * the latest one first. */
#ifndef WANDA_SSE_H
#define WANDA_SSE_H
#include <stddef.h>
#include <sys/types.h>
#include "base/werr.h"

#define SSE_LINE_MAX 16384         /* longer lines in events.jsonl are skipped */
#define SSE_BUFFER_DEFAULT 1048576 /* the ring, and so how far a client may lag */

struct sse_hub;
struct sse_client;

struct sse_ops {
	/* Called with no lock held, from the tailer: resume the connection. */
	void (*wake)(void *ctx);
	/* Called under the hub lock from sse_client_read when it has nothing to send. */
	void (*suspend)(void *ctx);
	/* Called under the hub lock, once: the client stopped reading
	 * `behind` bytes back, further than the ring; end its connection (a
	 * client still in the hub is still connected: its socket is open). */
	void (*drop)(void *ctx, unsigned long long behind);
};

/* buffer: the ring's size in bytes (0: SSE_BUFFER_DEFAULT; at least 64 KiB). */
struct sse_hub *sse_hub_new(const char *events_path, long heartbeat_ms, size_t buffer, struct werr *e);
int sse_hub_start(struct sse_hub *h, struct werr *e);
/* Stop the tailer and wake every waiting client (each read then ends). */
void sse_hub_stop(struct sse_hub *h);
void sse_hub_free(struct sse_hub *h);
void sse_hub_publish(struct sse_hub *h, const char *event, const char *json);
size_t sse_hub_clients(struct sse_hub *h);

/* last_id: the Last-Event-ID header (NULL: start at the end of the log). */
struct sse_client *sse_client_new(struct sse_hub *h, const char *last_id, const struct sse_ops *ops,
    void *ctx);
/* Bytes put in buf; 0 after suspending the connection (nothing to send
 * now); -1 when the hub is stopping (end the stream); -2 when the client
 * was dropped for lagging (close the connection). */
ssize_t sse_client_read(struct sse_client *c, char *buf, size_t max);
void sse_client_free(struct sse_client *c);

/* Pure, for the fuzzer and tests: the SSE frame of one events.jsonl line
 * ending at byte offset `id`; 0 when the line is no event (skipped), -1
 * when it does not fit in cap. */
int sse_format_line(const char *line, size_t n, unsigned long long id, char *out, size_t cap);

#endif
