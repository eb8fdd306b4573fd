/* faultd: a scripted faulty Kubo RPC server for tests.
 *
 *   faultd [-p PORTFILE] [-l LOG] [-u HOST:PORT] [-m PREFIX] [-c CID] [RULE...]
 *
 * Listens on 127.0.0.1 on a free port, prints the port on stdout (or writes
 * it to PORTFILE, atomically) and answers every request whose path starts
 * with PREFIX (default /api/v0/) by the next rule of the script. A RULE is
 * MODE (one request) or MODE*N (N requests). When the script is used up, requests are
 * relayed to the real node at -u (mode "pass"), or, without -u, the last
 * rule repeats. Requests outside PREFIX are always relayed (or 404).
 *
 * Modes:
 *   pass      relay to the upstream node (-u) unchanged
 *   500       HTTP 500 with Kubo's error body {Message, Code:0, Type:"error"}
 *   400       HTTP 400 with Kubo's error body {Message, Code:1, Type:"error"}
 *   trailer   200, chunked, a line of output, then an X-Stream-Error trailer
 *   cut       200 with Content-Length 4096, 10 bytes, then the connection closes
 *   cutchunk  200 chunked, a chunk declared 4096 bytes, 10 sent, then close
 *   stall     200 headers, then nothing until the client gives up
 *   hangup    close the connection without answering
 *   wrongcid  a well-formed answer whose CID is -c (add, dag/import, pin/add,
 *             block/put)
 *   corrupt   relay to the upstream, but flip one byte of the answer 2000
 *             bytes after its headers (inside the data of a get's tar)
 *   oldkubo   relay to the upstream without the add flags Kubo 0.35 brought
 *             (max-file-links, max-directory-links, max-hamt-fanout), as a
 *             daemon that ignores them builds its DAG
 *
 * The request body is read (and dropped) before a fault is answered, as a
 * daemon would, so an upload sees the fault and not a reset. -l appends
 * "N PATH MODE" per request, so tests can count attempts (retries).
 * One process per connection (fork), every answer closes its connection. */
#include <arpa/inet.h>
#include <ctype.h>
#include <err.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sysexits.h>
#include <unistd.h>

#define HDR_MAX 65536
#define DEFAULT_CID "QmUNLLsPACCz1vLxQVkXqqLX5R1X345qqfHbsf67hvA3Nn"

struct rule {
	char mode[16];
	long n;
};

struct opts {
	const char *portfile, *log, *upstream, *prefix, *cid;
	struct rule *rules;
	int nrules;
};

struct req {
	char hdr[HDR_MAX + 1]; /* header block, NUL-terminated */
	size_t hdr_len;        /* up to and including the blank line */
	char extra[HDR_MAX];   /* bytes read past the headers (body start) */
	size_t extra_len;
	char path[1024];
	long long clen; /* -1 when absent */
	int chunked, expect100;
};

static void
usage(void)
{
	fprintf(stderr, "usage: faultd [-p PORTFILE] [-l LOG] [-u HOST:PORT] [-m PREFIX] [-c CID] [MODE[*N]...]\n");
	exit(EX_USAGE);
}

static int
send_all(int fd, const void *p, size_t n)
{
	const char *c = p;

	while (n > 0) {
		ssize_t w = send(fd, c, n, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		c += w;
		n -= (size_t)w;
	}
	return 0;
}

static int
send_str(int fd, const char *s)
{
	return send_all(fd, s, strlen(s));
}

/* Case-insensitive value of header `name` in the block, or NULL. */
static const char *
header(const struct req *r, const char *name, char *val, size_t cap)
{
	size_t nl = strlen(name);
	const char *p = strstr(r->hdr, "\r\n");

	while (p != NULL && p[2] != '\r') {
		p += 2;
		if (strncasecmp(p, name, nl) == 0 && p[nl] == ':') {
			const char *v = p + nl + 1, *end = strstr(v, "\r\n");
			while (*v == ' ' || *v == '\t')
				v++;
			snprintf(val, cap, "%.*s", (int)(end - v), v);
			return val;
		}
		p = strstr(p, "\r\n");
	}
	return NULL;
}

static int
read_request(int fd, struct req *r)
{
	size_t got = 0;
	char *end, v[256];

	memset(r, 0, sizeof *r);
	for (;;) {
		ssize_t n = recv(fd, r->hdr + got, HDR_MAX - got, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		got += (size_t)n;
		r->hdr[got] = '\0';
		if ((end = strstr(r->hdr, "\r\n\r\n")) != NULL)
			break;
		if (got == HDR_MAX)
			return -1;
	}
	r->hdr_len = (size_t)(end + 4 - r->hdr);
	r->extra_len = got - r->hdr_len;
	memcpy(r->extra, r->hdr + r->hdr_len, r->extra_len);
	r->hdr[r->hdr_len] = '\0';
	if (sscanf(r->hdr, "%*s %1023s", r->path) != 1)
		return -1;
	r->clen = header(r, "Content-Length", v, sizeof v) ? atoll(v) : -1;
	r->chunked = header(r, "Transfer-Encoding", v, sizeof v) && strcasestr(v, "chunked");
	r->expect100 = header(r, "Expect", v, sizeof v) && strcasestr(v, "100-continue");
	return 0;
}

/* A buffered reader over the socket that first returns r->extra. */
struct rd {
	int fd;
	const char *pre;
	size_t pre_len;
	char buf[65536];
	size_t pos, len;
};

static int
rd_byte(struct rd *b)
{
	if (b->pre_len > 0) {
		b->pre_len--;
		return (unsigned char)*b->pre++;
	}
	if (b->pos == b->len) {
		ssize_t n;
		do
			n = recv(b->fd, b->buf, sizeof b->buf, 0);
		while (n < 0 && errno == EINTR);
		if (n <= 0)
			return -1;
		b->pos = 0;
		b->len = (size_t)n;
	}
	return (unsigned char)b->buf[b->pos++];
}

static int
rd_skip(struct rd *b, unsigned long long n)
{
	while (n > 0) {
		if (b->pre_len == 0 && b->pos < b->len) {
			size_t k = b->len - b->pos < n ? b->len - b->pos : (size_t)n;
			b->pos += k;
			n -= k;
			continue;
		}
		if (rd_byte(b) < 0)
			return -1;
		n--;
	}
	return 0;
}

static int
rd_line(struct rd *b, char *line, size_t cap)
{
	size_t i = 0;
	int c;

	while ((c = rd_byte(b)) >= 0 && c != '\n')
		if (i + 1 < cap)
			line[i++] = (char)c;
	line[i] = '\0';
	return c < 0 ? -1 : 0;
}

/* Read and drop the request body (Content-Length or chunked). */
static int
drain_body(int fd, struct req *r)
{
	struct rd b = { .fd = fd, .pre = r->extra, .pre_len = r->extra_len };
	char line[256];

	if (r->expect100 && send_str(fd, "HTTP/1.1 100 Continue\r\n\r\n") < 0)
		return -1;
	if (!r->chunked)
		return r->clen > 0 ? rd_skip(&b, (unsigned long long)r->clen) : 0;
	for (;;) {
		unsigned long long sz;
		if (rd_line(&b, line, sizeof line) < 0)
			return -1;
		sz = strtoull(line, NULL, 16);
		if (sz == 0)
			break;
		if (rd_skip(&b, sz + 2) < 0)
			return -1;
	}
	do /* trailers up to the blank line */
		if (rd_line(&b, line, sizeof line) < 0)
			return -1;
	while (line[0] != '\r' && line[0] != '\0');
	return 0;
}

static int
reply_error(int fd, int status, int code)
{
	char body[256], msg[512];

	snprintf(body, sizeof body,
	    "{\"Message\":\"faultd: injected %d failure\",\"Code\":%d,\"Type\":\"error\"}\n", status, code);
	snprintf(msg, sizeof msg,
	    "HTTP/1.1 %d %s\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n"
	    "Connection: close\r\n\r\n%s",
	    status, status == 500 ? "Internal Server Error" : "Bad Request",
	    strlen(body), body);
	return send_str(fd, msg);
}

static int
reply_json(int fd, const char *body)
{
	char msg[1024];

	snprintf(msg, sizeof msg,
	    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n"
	    "Connection: close\r\n\r\n%s",
	    strlen(body), body);
	return send_str(fd, msg);
}

static int
reply_wrongcid(int fd, const struct req *r, const char *cid)
{
	char body[512];

	if (strncmp(r->path, "/api/v0/dag/import", 18) == 0)
		snprintf(body, sizeof body, "{\"Root\":{\"Cid\":{\"/\":\"%s\"},\"PinErrorMsg\":\"\"}}\n", cid);
	else if (strncmp(r->path, "/api/v0/pin/add", 15) == 0)
		snprintf(body, sizeof body, "{\"Pins\":[\"%s\"]}\n", cid);
	else if (strncmp(r->path, "/api/v0/block/put", 17) == 0)
		snprintf(body, sizeof body, "{\"Key\":\"%s\",\"Size\":10}\n", cid);
	else
		snprintf(body, sizeof body, "{\"Name\":\"file\",\"Hash\":\"%s\",\"Size\":\"10\"}\n", cid);
	return reply_json(fd, body);
}

/* Wait until the peer closes (or 10 minutes), reading and dropping. */
static void
wait_close(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	char buf[4096];

	while (poll(&p, 1, 600000) > 0)
		if (recv(fd, buf, sizeof buf, 0) <= 0)
			return;
}

static const char H200C[] = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                            "Transfer-Encoding: chunked\r\nTrailer: X-Stream-Error\r\nX-Chunked-Output: 1\r\n"
                            "Connection: close\r\n\r\n";

static int
fault(int fd, struct req *r, const char *mode, const char *cid)
{
	if (strcmp(mode, "hangup") == 0)
		return 0;
	if (drain_body(fd, r) < 0)
		return -1;
	if (strcmp(mode, "500") == 0)
		return reply_error(fd, 500, 0);
	if (strcmp(mode, "400") == 0)
		return reply_error(fd, 400, 1);
	if (strcmp(mode, "wrongcid") == 0)
		return reply_wrongcid(fd, r, cid);
	if (strcmp(mode, "trailer") == 0)
		return send_str(fd, H200C) < 0 ? -1 : send_str(fd, "11\r\n{\"Bytes\":262144}\n\r\n0\r\nX-Stream-Error: faultd: injected stream error\r\n\r\n");
	if (strcmp(mode, "cut") == 0)
		return send_str(fd, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
		                    "Content-Length: 4096\r\nConnection: close\r\n\r\n{\"Name\":\"x");
	if (strcmp(mode, "cutchunk") == 0)
		return send_str(fd, H200C) < 0 ? -1 : send_str(fd, "1000\r\n{\"Name\":\"x");
	if (strcmp(mode, "stall") == 0) {
		if (send_str(fd, H200C) < 0)
			return -1;
		wait_close(fd);
		return 0;
	}
	return reply_error(fd, 500, 0);
}

/* The header block with any Connection header replaced by "close", so the
 * upstream answers one request and closes, and we can count requests. */
static size_t
rewrite_headers(const struct req *r, char *out, size_t cap)
{
	const char *p = r->hdr, *eol;
	size_t n = 0;

	while ((eol = strstr(p, "\r\n")) != NULL && eol != p) {
		size_t len = (size_t)(eol - p) + 2;
		if (strncasecmp(p, "Connection:", 11) != 0 && n + len < cap) {
			memcpy(out + n, p, len);
			n += len;
		}
		p = eol + 2;
	}
	n += (size_t)snprintf(out + n, cap - n, "Connection: close\r\n\r\n");
	return n;
}

static int
dial(const char *hostport)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	char host[256];
	const char *colon = strrchr(hostport, ':');
	int fd;

	if (colon == NULL)
		return -1;
	snprintf(host, sizeof host, "%.*s", (int)(colon - hostport), hostport);
	sa.sin_port = htons((unsigned short)atoi(colon + 1));
	if (inet_pton(AF_INET, strcmp(host, "localhost") == 0 ? "127.0.0.1" : host, &sa.sin_addr) != 1)
		return -1;
	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Flip the byte `at` bytes after the end of the answer's headers. */
struct flip {
	long long at;
	size_t hdr_seen;
	long long body_seen;
	int in_body;
};

static void
flip_byte(struct flip *f, char *buf, size_t n)
{
	static const char end[] = "\r\n\r\n";

	for (size_t i = 0; i < n && f->at >= 0; i++) {
		if (!f->in_body) {
			f->hdr_seen = buf[i] == end[f->hdr_seen] ? f->hdr_seen + 1 : (buf[i] == '\r');
			f->in_body = f->hdr_seen == 4;
			continue;
		}
		if (f->body_seen++ == f->at) {
			buf[i] ^= 0x01;
			f->at = -1;
		}
	}
}

/* Drop the add flags of Kubo 0.35+ from the request line (in place). */
static void
drop_new_add_flags(struct req *r)
{
	static const char *const names[] = { "max-file-links=", "max-directory-links=", "max-hamt-fanout=" };
	static char out[HDR_MAX + 1];
	char *q = strchr(r->hdr, '?'), *eol = strstr(r->hdr, "\r\n"), *p = q ? q + 1 : NULL, sep = '?';
	size_t n;

	if (q == NULL || eol == NULL || q > eol)
		return;
	n = (size_t)(q - r->hdr);
	memcpy(out, r->hdr, n);
	while (p != NULL) {
		size_t len = strcspn(p, "& ");
		int drop = 0;
		for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
			drop |= strncmp(p, names[i], strlen(names[i])) == 0;
		if (!drop) {
			out[n++] = sep;
			memcpy(out + n, p, len);
			n += len;
			sep = '&';
		}
		p = p[len] == '&' ? p + len + 1 : NULL;
		if (p == NULL)
			q = q + strcspn(q, " ");
	}
	snprintf(out + n, sizeof out - n, "%s", q);
	snprintf(r->hdr, sizeof r->hdr, "%s", out);
	r->hdr_len = strlen(r->hdr);
}

/* Copy both ways until the upstream closes its side. */
static void
relay(int cfd, struct req *r, const char *upstream, struct flip *fl)
{
	static char out[HDR_MAX + 64];
	char buf[65536];
	size_t n = rewrite_headers(r, out, sizeof out);
	int ufd = dial(upstream);
	struct pollfd p[2];

	if (ufd < 0) {
		reply_error(cfd, 500, 0);
		return;
	}
	if (send_all(ufd, out, n) < 0 || send_all(ufd, r->extra, r->extra_len) < 0)
		goto done;
	p[0] = (struct pollfd){ .fd = cfd, .events = POLLIN };
	p[1] = (struct pollfd){ .fd = ufd, .events = POLLIN };
	while (poll(p, 2, -1) > 0) {
		for (int i = 0; i < 2; i++) {
			ssize_t k;
			if (!(p[i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			k = recv(p[i].fd, buf, sizeof buf, 0);
			if (k <= 0) {
				if (i == 1)
					goto done;
				p[0].fd = -1; /* client finished sending */
				shutdown(ufd, SHUT_WR);
				continue;
			}
			if (i == 1 && fl != NULL)
				flip_byte(fl, buf, (size_t)k);
			if (send_all(p[1 - i].fd, buf, (size_t)k) < 0)
				goto done;
		}
	}
done:
	close(ufd);
}

static int
listen_any(unsigned short *port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t sl = sizeof sa;
	int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;

	if (fd < 0)
		err(EX_OSERR, "socket");
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0 || listen(fd, 64) < 0)
		err(EX_OSERR, "bind 127.0.0.1:0");
	if (getsockname(fd, (struct sockaddr *)&sa, &sl) < 0)
		err(EX_OSERR, "getsockname");
	*port = ntohs(sa.sin_port);
	return fd;
}

static void
announce(const char *portfile, unsigned short port)
{
	char tmp[4096];
	FILE *f;

	if (portfile == NULL) {
		printf("%u\n", port);
		fflush(stdout);
		return;
	}
	snprintf(tmp, sizeof tmp, "%s.tmp", portfile);
	if ((f = fopen(tmp, "w")) == NULL)
		err(EX_CANTCREAT, "%s", tmp);
	fprintf(f, "%u\n", port);
	if (fclose(f) != 0 || rename(tmp, portfile) < 0)
		err(EX_CANTCREAT, "%s", portfile);
}

/* The mode for the next request on `path`; advances the script. */
static const char *
next_mode(struct opts *o, const char *path)
{
	if (strncmp(path, o->prefix, strlen(o->prefix)) != 0 || o->nrules == 0)
		return "pass";
	while (o->nrules > 0 && o->rules[0].n == 0) {
		o->rules++;
		o->nrules--;
	}
	if (o->nrules == 0)
		return "pass";
	if (o->rules[0].n > 0)
		o->rules[0].n--;
	if (o->rules[0].n == 0 && o->nrules == 1 && o->upstream == NULL)
		o->rules[0].n = -1; /* without upstream the last rule repeats */
	return o->rules[0].mode;
}

static void
parse_rules(struct opts *o, int argc, char **argv)
{
	static const char *modes[] = { "pass", "500", "400", "trailer", "cut", "cutchunk", "stall",
		"hangup", "wrongcid", "corrupt", "oldkubo", NULL };

	o->rules = calloc((size_t)argc + 1, sizeof *o->rules);
	if (o->rules == NULL)
		err(EX_OSERR, "calloc");
	for (int i = 0; i < argc; i++) {
		struct rule *r = &o->rules[o->nrules++];
		char *star = strchr(argv[i], '*');
		int known = 0;
		r->n = star ? atol(star + 1) : 1;
		snprintf(r->mode, sizeof r->mode, "%.*s", star ? (int)(star - argv[i]) : (int)strlen(argv[i]), argv[i]);
		for (int k = 0; modes[k]; k++)
			known |= strcmp(modes[k], r->mode) == 0;
		if (!known || (star && r->n <= 0))
			errx(EX_USAGE, "%s: unknown rule", argv[i]);
	}
}

static void
serve(int lfd, struct opts *o)
{
	static struct req r;
	unsigned long count = 0;

	for (;;) {
		int cfd = accept(lfd, NULL, NULL);
		const char *mode;
		pid_t pid;
		if (cfd < 0) {
			if (errno == EINTR)
				continue;
			err(EX_OSERR, "accept");
		}
		if (read_request(cfd, &r) < 0) {
			close(cfd);
			continue;
		}
		mode = next_mode(o, r.path);
		if (strcmp(mode, "pass") == 0 && o->upstream == NULL && strncmp(r.path, o->prefix, strlen(o->prefix)) != 0)
			mode = "404";
		if (o->log != NULL) {
			FILE *f = fopen(o->log, "a");
			if (f != NULL) {
				fprintf(f, "%lu %s %s\n", ++count, r.path, mode);
				fclose(f);
			}
		}
		if ((pid = fork()) == 0) {
			close(lfd);
			struct flip fl = { .at = 2000 };
			if (strcmp(mode, "oldkubo") == 0 && o->upstream != NULL) {
				drop_new_add_flags(&r);
			}
			if ((strcmp(mode, "pass") == 0 || strcmp(mode, "oldkubo") == 0) && o->upstream != NULL)
				relay(cfd, &r, o->upstream, NULL);
			else if (strcmp(mode, "corrupt") == 0 && o->upstream != NULL)
				relay(cfd, &r, o->upstream, &fl);
			else if (strcmp(mode, "404") == 0 || strcmp(mode, "pass") == 0)
				reply_error(cfd, 500, 0);
			else
				fault(cfd, &r, mode, o->cid);
			close(cfd);
			_exit(0);
		}
		close(cfd);
	}
}

int
main(int argc, char **argv)
{
	struct opts o = { .prefix = "/api/v0/", .cid = DEFAULT_CID };
	unsigned short port;
	int c, lfd;

	while ((c = getopt(argc, argv, "p:l:u:m:c:h")) != -1) {
		switch (c) {
		case 'p': o.portfile = optarg; break;
		case 'l': o.log = optarg; break;
		case 'u': o.upstream = optarg; break;
		case 'm': o.prefix = optarg; break;
		case 'c': o.cid = optarg; break;
		default: usage();
		}
	}
	parse_rules(&o, argc - optind, argv + optind);
	signal(SIGCHLD, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);
	lfd = listen_any(&port);
	announce(o.portfile, port);
	serve(lfd, &o);
	return 0;
}
