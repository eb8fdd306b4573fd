/* sse: Server-Sent Events from $WANDA_HOME/events.jsonl.
 *
 * The file is the buffer: every client keeps only its byte offset in the
 * file and reads (pread) from there when it can send, so a slow client
 * costs no memory, only lag, and never holds up the others. Event ids are
 * the byte offset just past the event's line, so a client reconnecting
 * with Last-Event-ID resumes exactly there (an id that is not a line
 * boundary of the current file starts it at the end). A tailer thread
 * watches the file with inotify (and rescans it every second, and when
 * the inotify queue overflows or the file is replaced) and wakes the
 * waiting clients; it also wakes them every heartbeat period, and they
 * send a comment line when they had nothing else to send.
 *
 * The server adds its own events (ipfs_status, ipfs_peer_connected) with
 * sse_hub_publish: they carry no id (not replayable) and only the last
 * SSE_SYN_RING of them are kept. */
#ifndef WANDA_SSE_H
#define WANDA_SSE_H
#include <stddef.h>
#include <sys/types.h>
#include "base/werr.h"

#define SSE_SYN_RING 32
#define SSE_LINE_MAX 16384 /* longer lines in events.jsonl are skipped */

struct sse_hub;
struct sse_client;

/* Called with no lock held, from the tailer thread: resume the client's connection. */
typedef void (*sse_wake_fn)(void *ctx);
/* Called under the hub lock from sse_client_read when it has nothing to send. */
typedef void (*sse_suspend_fn)(void *ctx);

struct sse_hub *sse_hub_new(const char *events_path, long heartbeat_ms, struct werr *e);
int sse_hub_start(struct sse_hub *h, struct werr *e);
/* Stop the tailer and wake every waiting client (each read then ends). */
void sse_hub_stop(struct sse_hub *h);
void sse_hub_free(struct sse_hub *h);
void sse_hub_publish(struct sse_hub *h, const char *event, const char *json);
size_t sse_hub_clients(struct sse_hub *h);

/* last_id: the Last-Event-ID header (NULL: start at the end of the log). */
struct sse_client *sse_client_new(struct sse_hub *h, const char *last_id, sse_wake_fn wake,
    sse_suspend_fn suspend, void *ctx);
/* Bytes put in buf; 0 after suspending the connection (nothing to send
 * now); -1 when the hub is stopping (end the stream). */
ssize_t sse_client_read(struct sse_client *c, char *buf, size_t max);
void sse_client_free(struct sse_client *c);

/* Pure, for the fuzzer and tests: the SSE frame of one events.jsonl line
 * ending at byte offset `id`; 0 when the line is no event (skipped), -1
 * when it does not fit in cap. */
int sse_format_line(const char *line, size_t n, unsigned long long id, char *out, size_t cap);

#endif
