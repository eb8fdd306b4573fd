#include "base/buf.h"
#include "base/config.h"
#include "base/path.h"
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

struct kv {
	char *key, *value;
};

struct config {
	struct kv *kv;
	size_t n, cap;
	char home[4096];
};

static int
kv_put(struct config *c, const char *key, const char *value, struct werr *e)
{
	size_t i;
	char *v = strdup(value);

	if (v == NULL)
		return werr_sys(e, EX_OSERR, "config");
	for (i = 0; i < c->n; i++)
		if (strcmp(c->kv[i].key, key) == 0) {
			free(c->kv[i].value);
			c->kv[i].value = v;
			return 0;
		}
	if (buf_grow_array(&c->kv, &c->cap, c->n + 1, sizeof *c->kv, 16, e) < 0) {
		free(v);
		return werr_prefix(e, "config");
	}
	c->kv[c->n].key = strdup(key);
	c->kv[c->n].value = v;
	if (c->kv[c->n].key == NULL) {
		free(v);
		return werr_sys(e, EX_OSERR, "config");
	}
	c->n++;
	return 0;
}

static char *
trim(char *s)
{
	char *end;

	while (isspace((unsigned char)*s))
		s++;
	end = s + strlen(s);
	while (end > s && isspace((unsigned char)end[-1]))
		*--end = '\0';
	return s;
}

/* Every key a program reads (the table of docs/configuration.md, which
 * common.bats checks against this); a file naming another is mistyped. */
static const char *const known_keys[] = {
	"home", "api", "source", "exposure", "gain", "awb", "width", "height", "raw", "settle",
	"quality", "camera", "capture_timeout", "interval", "duration", "session", "min_free",
	"thumb_size", "max_pixels", "node", "queue_backoff", "queue_max_backoff",
	"queue_max_lifetime", "queue_max_attempts", "queue_max_inflight", "queue_rescan",
	"queue_orphan_age", "queue_claim_timeout", "keep_free", "remote_pin", "remote_pin_token", "push_progress_every",
	"ipns_key", "ipns_lifetime", "ipns_ttl", "ipns_allow_offline", "ipns_timeout",
	"peers_allow", "sync_rate", "sync_max_bytes", "sync_concurrency", "remote",
	"remote_poll", "remote_max_poll", "remote_backoff", "remote_max_backoff", "node_name",
	"serve_listen", "serve_token_file", "serve_gateway", "serve_public_gateway", "serve_hosts",
	"serve_max_connections", "serve_timeout", "serve_heartbeat", "serve_threads", "serve_sse_buffer",
	"discovery_topic", "heartbeat", "peers_static", "announce_serve", "announce_cluster", NULL
};

/* The fields of a remote pinning target, remote.NAME.FIELD (lib/remote). */
static const char *const remote_fields[] = {
	"url", "kind", "token_file", "auth", "replication_min", "replication_max",
	"confirm_timeout", "max_requests", NULL
};

static int
known_key(const char *key)
{
	const char *f;
	size_t i;

	for (i = 0; known_keys[i] != NULL; i++)
		if (strcmp(known_keys[i], key) == 0)
			return 1;
	if (strncmp(key, "remote.", 7) != 0 || (f = strrchr(key, '.')) == key + 6)
		return 0;
	for (i = 0; remote_fields[i] != NULL; i++)
		if (strcmp(remote_fields[i], f + 1) == 0)
			return 1;
	return 0;
}

static int
parse_line(struct config *c, const char *path, int lineno, char *line, struct werr *e)
{
	char *s, *eq, *key, *val;

	if ((s = strchr(line, '#')) != NULL)
		*s = '\0';
	s = trim(line);
	if (*s == '\0')
		return 0;
	if ((eq = strchr(s, '=')) == NULL)
		return werr_set(e, EX_CONFIG, "%s:%d: expected 'key = value'", path, lineno);
	*eq = '\0';
	key = trim(s);
	val = trim(eq + 1);
	for (char *p = key; *p; p++)
		*p = (*p == '-') ? '_' : (char)tolower((unsigned char)*p);
	if (*key == '\0')
		return werr_set(e, EX_CONFIG, "%s:%d: empty key", path, lineno);
	if (!known_key(key))
		return werr_set(e, EX_CONFIG, "%s:%d: unknown key '%.64s'", path, lineno, key);
	if (*val == '\0')
		return werr_set(e, EX_CONFIG, "%s:%d: %s: empty value (leave the line out for the default)",
		    path, lineno, key);
	return kv_put(c, key, val, e);
}

/* A configuration file is small; lines of any length up to the limit are
 * read whole (a long comment is a comment to its end). */
#define CONFIG_FILE_MAX (1 << 20)

static int
load_file(struct config *c, const char *path, int must_exist, struct werr *e)
{
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC), lineno = 0, rc = 0;
	char *line = NULL;
	size_t cap = 0;
	struct stat st;
	FILE *f;

	if (fd < 0) {
		if (errno == ENOENT && !must_exist)
			return 0;
		return werr_sys(e, EX_CONFIG, "%s", path);
	}
	if (strcmp(path, "/dev/null") == 0) {
		close(fd); /* "no configuration", as benchmarks ask */
		return 0;
	}
	if (fstat(fd, &st) < 0) {
		close(fd);
		return werr_sys(e, EX_CONFIG, "%s", path);
	}
	if (!S_ISREG(st.st_mode) || st.st_size > CONFIG_FILE_MAX) {
		close(fd);
		return werr_set(e, EX_CONFIG, "%s: %s", path, !S_ISREG(st.st_mode) ? "not a regular file" : "larger than 1 MiB");
	}
	if ((f = fdopen(fd, "r")) == NULL) {
		close(fd);
		return werr_sys(e, EX_OSERR, "%s", path);
	}
	while (rc == 0 && getline(&line, &cap, f) >= 0)
		rc = parse_line(c, path, ++lineno, line, e);
	if (rc == 0 && ferror(f))
		rc = werr_sys(e, EX_CONFIG, "%s", path);
	free(line);
	fclose(f);
	return rc;
}

extern char **environ;

static int
load_env(struct config *c, struct werr *e)
{
	for (char **ep = environ; *ep != NULL; ep++) {
		char key[256];
		const char *eq;
		size_t n;

		if (strncmp(*ep, "WANDA_", 6) != 0 || (eq = strchr(*ep, '=')) == NULL)
			continue;
		n = (size_t)(eq - (*ep + 6));
		if (n == 0 || n >= sizeof key)
			continue;
		for (size_t i = 0; i < n; i++)
			key[i] = (char)tolower((unsigned char)(*ep)[6 + i]);
		key[n] = '\0';
		if (strcmp(key, "conf") == 0)
			continue;
		if (kv_put(c, key, eq + 1, e) < 0)
			return -1;
	}
	return 0;
}

struct config *
config_load(struct werr *e)
{
	struct config *c = calloc(1, sizeof *c);
	const char *path = getenv("WANDA_CONF");

	if (c == NULL) {
		werr_sys(e, EX_OSERR, "config");
		return NULL;
	}
	if (load_file(c, path ? path : "/etc/wanda/wanda.conf", path != NULL, e) < 0 ||
	    load_env(c, e) < 0) {
		config_free(c);
		return NULL;
	}
	return c;
}

void
config_free(struct config *c)
{
	if (c == NULL)
		return;
	for (size_t i = 0; i < c->n; i++) {
		free(c->kv[i].key);
		free(c->kv[i].value);
	}
	free(c->kv);
	free(c);
}

const char *
config_get(const struct config *c, const char *key)
{
	for (size_t i = 0; c != NULL && i < c->n; i++)
		if (strcmp(c->kv[i].key, key) == 0)
			return c->kv[i].value;
	return NULL;
}

const char *
config_get_or(const struct config *c, const char *key, const char *dflt)
{
	const char *v = config_get(c, key);

	return v ? v : dflt;
}

int
config_set(struct config *c, const char *key, const char *value, struct werr *e)
{
	return kv_put(c, key, value, e);
}

void
config_each(const struct config *c, const char *prefix,
    void (*fn)(void *ctx, const char *key, const char *value), void *ctx)
{
	size_t pl = strlen(prefix);

	for (size_t i = 0; c != NULL && i < c->n; i++)
		if (strncmp(c->kv[i].key, prefix, pl) == 0)
			fn(ctx, c->kv[i].key, c->kv[i].value);
}

const char *
config_home(const struct config *c)
{
	struct config *m = (struct config *)c;
	const char *v = config_get(c, "home"), *x;

	if (v != NULL && *v != '\0')
		return v;
	if (geteuid() == 0)
		return "/var/lib/wanda";
	if ((x = getenv("XDG_DATA_HOME")) != NULL && *x == '/')
		snprintf(m->home, sizeof m->home, "%s/wanda", x);
	else
		snprintf(m->home, sizeof m->home, "%s/.local/share/wanda",
		    getenv("HOME") ? getenv("HOME") : "/tmp");
	return m->home;
}

int
multiaddr_to_url(const char *ma, char *buf, size_t len, struct werr *e)
{
	char proto[16], host[256], tcp[8];
	unsigned port;

	if (sscanf(ma, "/%15[^/]/%255[^/]/%7[^/]/%u", proto, host, tcp, &port) != 4 ||
	    strcmp(tcp, "tcp") != 0 || port == 0 || port > 65535)
		return werr_set(e, EX_CONFIG, "%s: not a /ip4|ip6|dns/HOST/tcp/PORT multiaddr", ma);
	if (strcmp(proto, "ip6") == 0)
		snprintf(buf, len, "http://[%s]:%u", host, port);
	else if (strcmp(proto, "ip4") == 0 || strncmp(proto, "dns", 3) == 0)
		snprintf(buf, len, "http://%s:%u", host, port);
	else
		return werr_set(e, EX_CONFIG, "%s: unsupported multiaddr protocol %s", ma, proto);
	return 0;
}

int
config_api_url(const struct config *c, char *buf, size_t len, struct werr *e)
{
	const char *api = config_get(c, "api"), *ipfs_path = getenv("IPFS_PATH");
	char path[PATH_MAX], line[512];
	FILE *f;

	if (api != NULL && *api != '\0') {
		if (*api == '/')
			return multiaddr_to_url(api, buf, len, e);
		snprintf(buf, len, "%s", api);
		while (len > 0 && *buf && buf[strlen(buf) - 1] == '/')
			buf[strlen(buf) - 1] = '\0';
		return 0;
	}
	if (ipfs_path != NULL && *ipfs_path != '\0') {
		if (path_join(path, sizeof path, ipfs_path, "api", e) < 0)
			return werr_prefix(e, "IPFS_PATH");
		if ((f = fopen(path, "r")) != NULL) {
			char *s = fgets(line, sizeof line, f);
			fclose(f);
			if (s != NULL) {
				if (multiaddr_to_url(trim(s), buf, len, e) < 0)
					return werr_prefix(e, "%s", path);
				return 0;
			}
		}
	}
	snprintf(buf, len, "http://127.0.0.1:5001");
	return 0;
}

int
parse_long(const char *s, long lo, long hi, long *out, const char *what, struct werr *e)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (s[0] == '\0' || *end != '\0' || errno != 0 || v < lo || v > hi)
		return werr_set(e, EX_USAGE, "%s: '%s' is not a number from %ld to %ld", what, s, lo, hi);
	*out = v;
	return 0;
}

/* Anything else is an error, not "no": a typo ("ture", "on") must not
 * quietly turn a feature off. */
int
parse_bool(const char *s, int *out, const char *what, struct werr *e)
{
	if (!strcmp(s, "yes") || !strcmp(s, "true") || !strcmp(s, "1"))
		*out = 1;
	else if (!strcmp(s, "no") || !strcmp(s, "false") || !strcmp(s, "0"))
		*out = 0;
	else
		return werr_set(e, EX_USAGE, "%s: '%s' is not yes or no (true/false, 1/0)", what, s);
	return 0;
}

/* A unit a number may carry, and what it multiplies the number by. */
struct unit {
	const char *name;
	double mul;
};

/* s as a non-negative number followed by one of the units (the table ends
 * with a NULL name; nocase: in any letter case), times that unit. */
static int
parse_scaled(const char *s, const struct unit *u, int nocase, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (end == s || errno != 0 || !isfinite(v) || v < 0) /* strtod takes "nan" and "inf" */
		return -1;
	for (; u->name; u++)
		if ((nocase ? strcasecmp(end, u->name) : strcmp(end, u->name)) == 0) {
			*out = v * u->mul;
			return 0;
		}
	return -1;
}

int
parse_size(const char *s, uint64_t *out, const char *what, struct werr *e)
{
	static const struct unit units[] = {
		{ "", 1 },
		{ "B", 1 },
		{ "K", 0x1p10 },
		{ "KB", 0x1p10 },
		{ "KiB", 0x1p10 },
		{ "M", 0x1p20 },
		{ "MB", 0x1p20 },
		{ "MiB", 0x1p20 },
		{ "G", 0x1p30 },
		{ "GB", 0x1p30 },
		{ "GiB", 0x1p30 },
		{ "T", 0x1p40 },
		{ "TB", 0x1p40 },
		{ "TiB", 0x1p40 },
		{ NULL, 0 },
	};
	double v;

	if (parse_scaled(s, units, 1, &v) < 0 || v > 1.8e19)
		return werr_set(e, EX_USAGE, "%s: '%s' is not a size (like 512, 10M, 1GiB)", what, s);
	*out = (uint64_t)v;
	return 0;
}

int
parse_duration_ms(const char *s, int64_t *out, const char *what, struct werr *e)
{
	static const struct unit units[] = {
		{ "ms", 1 },
		{ "", 1000 },
		{ "s", 1000 },
		{ "m", 60000 },
		{ "min", 60000 },
		{ "h", 3600000 },
		{ "d", 86400000 },
		{ NULL, 0 },
	};
	double v;

	if (parse_scaled(s, units, 0, &v) < 0 || v > 9.2e18)
		return werr_set(e, EX_USAGE, "%s: '%s' is not a duration (like 500ms, 30s, 5m, 2h)", what, s);
	*out = (int64_t)(v + 0.5);
	return 0;
}
