/* Unit tests for the shared modules: werr, config, atomicio, jsonl. */
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/file.h>
#include <sys/stat.h>
#include "tap.h"
#include "fixture.h"
#include "base/werr.h"
#include "base/config.h"
#include "base/atomicio.h"
#include "base/jsonl.h"
#include "base/cli.h"
#include "base/path.h"

static void
test_parse(void)
{
	struct werr e = { 0 };
	uint64_t sz;
	int64_t ms;
	long l;

	ok(parse_size("10M", &sz, "--x", &e) == 0 && sz == 10485760, "10M is 10 MiB");
	ok(parse_size("1GiB", &sz, "--x", &e) == 0 && sz == 1073741824ULL, "1GiB");
	ok(parse_size("512", &sz, "--x", &e) == 0 && sz == 512, "bare bytes");
	ok(parse_size("12Q", &sz, "--min-free", &e) < 0 && e.code == EX_USAGE &&
	        strstr(e.msg, "--min-free") != NULL,
	    "bad size names the argument");
	ok(parse_duration_ms("30s", &ms, "--x", &e) == 0 && ms == 30000, "30s");
	ok(parse_duration_ms("500ms", &ms, "--x", &e) == 0 && ms == 500, "500ms");
	ok(parse_duration_ms("2h", &ms, "--x", &e) == 0 && ms == 7200000, "2h");
	ok(parse_duration_ms("5", &ms, "--x", &e) == 0 && ms == 5000, "bare seconds");
	ok(parse_duration_ms("5y", &ms, "--interval", &e) < 0 && strstr(e.msg, "--interval"), "bad duration");
	ok(parse_size("nan", &sz, "--x", &e) < 0 && parse_size("inf", &sz, "--x", &e) < 0 &&
	        parse_duration_ms("nanms", &ms, "--x", &e) < 0 && parse_duration_ms("infinity", &ms, "--x", &e) < 0,
	    "nan and inf are neither a size nor a duration");
	ok(parse_long("42", 0, 100, &l, "--n", &e) == 0 && l == 42, "long");
	ok(parse_long("101", 0, 100, &l, "--n", &e) < 0, "long out of range");
	ok(parse_long("4x", 0, 100, &l, "--n", &e) < 0, "long with junk");
}

static void
test_config(const char *dir)
{
	struct werr e = { 0 };
	struct config *c;
	char path[4096], url[256];
	FILE *f;

	path_fmt(path, sizeof path, NULL, "%s/wanda.conf", dir);
	write_text(path, "# comment\nhome = /srv/wanda\nmin-free = 64M # trailing\n\napi=/ip4/127.0.0.1/tcp/5999\n");
	setenv("WANDA_CONF", path, 1);
	setenv("WANDA_MIN_FREE", "128M", 1);
	c = config_load(&e);
	ok(c != NULL, "config loads");
	is_str(config_get(c, "home"), "/srv/wanda", "file value");
	is_str(config_get(c, "min_free"), "128M", "env overrides file");
	ok(config_api_url(c, url, sizeof url, &e) == 0, "api url");
	is_str(url, "http://127.0.0.1:5999", "multiaddr api");
	config_set(c, "api", "http://localhost:1234/", &e);
	config_api_url(c, url, sizeof url, &e);
	is_str(url, "http://localhost:1234", "url api, trailing slash dropped");
	config_set(c, "api", "/ip4/127.0.0.1/tcp/5001/http", &e);
	config_api_url(c, url, sizeof url, &e);
	is_str(url, "http://127.0.0.1:5001", "a multiaddr ending in /http");
	is_str(config_home(c), "/srv/wanda", "home");
	config_free(c);
	unsetenv("WANDA_MIN_FREE");

	write_text(path, "home /x\n");
	c = config_load(&e);
	ok(c == NULL && e.code == EX_CONFIG && strstr(e.msg, "wanda.conf:1") != NULL,
	    "malformed config names file and line");
	/* a comment longer than any line buffer stays a comment to its end */
	f = fopen(path, "w");
	fputs("# ", f);
	for (int i = 0; i < 5000; i++)
		fputc('x', f);
	fputs("home = /evil\nhome = /good\n", f);
	fclose(f);
	c = config_load(&e);
	ok(c != NULL && strcmp(config_get(c, "home"), "/good") == 0, "a 5000-byte comment line is one line");
	config_free(c);
	write_text(path, "home = /x\nmin_fre = 1G\n");
	c = config_load(&e);
	ok(c == NULL && e.code == EX_CONFIG && strstr(e.msg, "wanda.conf:2: unknown key 'min_fre'") != NULL,
	    "an unknown key names file, line and key: %s", e.msg);
	write_text(path, "home =\n");
	c = config_load(&e);
	ok(c == NULL && e.code == EX_CONFIG && strstr(e.msg, "wanda.conf:1: home: empty value") != NULL,
	    "an empty value is an error: %s", e.msg);
	setenv("WANDA_CONF", dir, 1);
	c = config_load(&e);
	ok(c == NULL && e.code == EX_CONFIG && strstr(e.msg, "not a regular file") != NULL,
	    "a directory as WANDA_CONF: %s", e.msg);
	path_fmt(path, sizeof path, NULL, "%s/fifo.conf", dir);
	setenv("WANDA_CONF", path, 1);
	ok(mkfifo(path, 0600) == 0 && (c = config_load(&e)) == NULL && strstr(e.msg, "not a regular file"),
	    "a FIFO as WANDA_CONF does not hang: %s", e.msg);
	setenv("WANDA_CONF", "/nonexistent/wanda.conf", 1);
	c = config_load(&e);
	ok(c == NULL && strstr(e.msg, "/nonexistent/wanda.conf"), "missing explicit config is an error");
	unsetenv("WANDA_CONF");
	ok(multiaddr_to_url("/ip6/::1/tcp/5001", url, sizeof url, &e) == 0 &&
	        strcmp(url, "http://[::1]:5001") == 0,
	    "ip6 multiaddr");
	ok(multiaddr_to_url("/unix/x", url, sizeof url, &e) < 0, "bad multiaddr");
}

static void
test_atomic(const char *dir)
{
	struct werr e = { 0 };
	char path[4096], sub[4096], *buf;
	size_t len;

	path_fmt(sub, sizeof sub, NULL, "%s/a/b/c", dir);
	ok(mkdir_p(sub, 0755, &e) == 0, "mkdir_p");
	path_fmt(path, sizeof path, NULL, "%s/file", sub);
	ok(atomic_write(path, "hello", 5, &e) == 0, "atomic_write");
	ok(read_file(path, &buf, &len, &e) == 0 && len == 5 && memcmp(buf, "hello", 5) == 0, "read back");
	free(buf);
	ok(atomic_write(path, "bye", 3, &e) == 0, "overwrite");
	ok(read_file(path, &buf, &len, &e) == 0 && len == 3, "replaced whole");
	free(buf);
	ok(read_file("/nonexistent/x", &buf, &len, &e) < 0 && e.code == EX_NOINPUT &&
	        strstr(e.msg, "/nonexistent/x"),
	    "missing file named");
	path_fmt(path, sizeof path, NULL, "%s/nodir/file", dir);
	ok(atomic_write(path, "x", 1, &e) < 0 && e.code == EX_CANTCREAT, "unwritable target");
}

static void
test_jsonl(const char *dir)
{
	struct werr e = { 0 };
	char path[4096], *buf;
	FILE *f;
	struct jsonl *j;
	cJSON *o;

	path_fmt(path, sizeof path, NULL, "%s/out", dir);
	f = fopen(path, "w");
	j = jsonl_open(f, NULL, &e);
	o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "id", "x1");
	cJSON_AddNumberToObject(o, "n", 3);
	jsonl_emit(j, o, &e);
	jsonl_close(j);
	j = jsonl_open(f, ".id, .n+1", &e);
	ok(j != NULL, "jq filter compiles");
	jsonl_emit_take(j, o, &e);
	jsonl_close(j);
	fclose(f);
	read_file(path, &buf, NULL, &e);
	is_str(buf, "{\"id\":\"x1\",\"n\":3}\n\"x1\"\n4\n", "plain line then filtered outputs");
	free(buf);
	ok(jsonl_open(stdout, ".[", &e) == NULL && e.code == EX_USAGE && strstr(e.msg, "--jq"),
	    "bad filter is a usage error naming --jq");
}

static void
test_atomic_more(const char *dir)
{
	struct werr e = { 0 };
	struct atomic_file af;
	char path[4096], *buf;
	size_t len;

	path_fmt(path, sizeof path, NULL, "%s/stream", dir);
	ok(atomic_open(&af, path, &e) == 0, "atomic_open");
	ok(write_all(af.fd, "abc", 3) == 0, "write_all");
	ok(access(path, F_OK) != 0, "target absent before commit");
	ok(atomic_commit(&af, &e) == 0, "atomic_commit");
	ok(read_file(path, &buf, &len, &e) == 0 && len == 3, "committed content");
	free(buf);
	ok(atomic_open(&af, path, &e) == 0, "atomic_open again");
	write_all(af.fd, "zzzz", 4);
	atomic_abort(&af);
	ok(read_file(path, &buf, &len, &e) == 0 && len == 3 && memcmp(buf, "abc", 3) == 0,
	    "abort leaves the old file");
	free(buf);
	ok(atomic_open(&af, "/nonexistent/dir/x", &e) < 0 && strstr(e.msg, "/nonexistent/dir/x"),
	    "atomic_open on a missing dir names the path");
	{
		char to[4096];
		path_fmt(to, sizeof to, NULL, "%s/moved", dir);
		ok(rename_durable(path, to, &e) == 0 && access(to, F_OK) == 0, "rename_durable");
		ok(rename_durable(path, to, &e) < 0 && e.code == EX_IOERR, "rename of a missing file");
	}
	ok(fsync_dir("/nonexistent", &e) < 0, "fsync_dir on a missing dir");
	ok(mkdir_p("", 0755, &e) < 0 && e.code == EX_USAGE, "mkdir_p of empty path");
	path_fmt(path, sizeof path, NULL, "%s/moved/sub", dir);
	ok(mkdir_p(path, 0755, &e) < 0 && e.code == EX_CANTCREAT, "mkdir_p through a file");
	{
		/* a file larger than read_file's first buffer */
		char big[20000];
		memset(big, 'q', sizeof big);
		path_fmt(path, sizeof path, NULL, "%s/big", dir);
		atomic_write(path, big, sizeof big, &e);
		ok(read_file(path, &buf, &len, &e) == 0 && len == sizeof big && buf[len] == '\0',
		    "read_file grows its buffer");
		free(buf);
		ok(read_file_max(path, sizeof big, &buf, &len, &e) == 0 && len == sizeof big,
		    "read_file_max: a file of exactly max bytes");
		free(buf);
		buf = NULL;
		ok(read_file_max(path, 10000, &buf, &len, &e) < 0 && e.code == EX_DATAERR &&
		        strstr(e.msg, "/big: over 10000 bytes") != NULL && buf == NULL,
		    "read_file_max: a bigger file is refused, naming it");
	}
}

static void
test_dir_lock(const char *dir)
{
	struct werr e = { 0 };
	char missing[4096];
	int a, b;

	a = dir_lock(dir, LOCK_EX, EX_CANTCREAT, &e);
	ok(a >= 0, "dir_lock: exclusive");
	b = dir_lock(dir, LOCK_SH | LOCK_NB, EX_CANTCREAT, &e);
	ok(b < 0 && e.code == 0 && strcmp(e.msg, "busy") == 0, "dir_lock: a held lock is busy, not an error");
	close(a);
	b = dir_lock(dir, LOCK_SH | LOCK_NB, EX_CANTCREAT, &e);
	ok(b >= 0, "dir_lock: free again once the holder closes it");
	close(b);
	path_fmt(missing, sizeof missing, NULL, "%s/no-such-dir", dir);
	ok(dir_lock(missing, LOCK_EX, EX_NOINPUT, &e) < 0 && e.code == EX_NOINPUT && strstr(e.msg, "no-such-dir"),
	    "dir_lock: a missing directory is the caller's code, naming it");
}

static void
test_rm_tree(const char *dir)
{
	char tree[4096], sub[4096], keep[4096], p[4096];
	struct werr e = { 0 };

	path_fmt(tree, sizeof tree, NULL, "%s/tree", dir);
	path_fmt(sub, sizeof sub, NULL, "%s/a/b", tree);
	path_fmt(keep, sizeof keep, NULL, "%s/keep", dir);
	mkdir_p(sub, 0755, &e);
	atomic_write(keep, "x", 1, &e);
	path_fmt(p, sizeof p, NULL, "%s/f", sub);
	atomic_write(p, "y", 1, &e);
	path_fmt(p, sizeof p, NULL, "%s/a/out", tree);
	ok(symlink(dir, p) == 0, "rm_tree: a link out of the tree");
	rm_tree(tree);
	ok(access(tree, F_OK) != 0, "rm_tree: the tree is gone");
	ok(access(keep, F_OK) == 0, "rm_tree: what a link in it pointed at is not");
}

static void
test_cli(void)
{
	char buf[64];
	struct progress p;
	long long a = mono_ms(), w = wall_ms();

	ok(a > 0 && mono_ms() >= a, "monotonic clock");
	ok(w > 1700000000000LL, "wall clock in ms");
	rfc3339_ms(86400123LL, buf, sizeof buf);
	is_str(buf, "1970-01-02T00:00:00.123Z", "rfc3339 with ms");
	progress_start(&p, "x", 100);
	p.enabled = 1; /* draw even though stderr is not a tty */
	p.last_ms = 0;
	progress_update(&p, 50);
	progress_update(&p, 60); /* within 100 ms: skipped */
	p.total = 0;
	p.last_ms = 0;
	progress_update(&p, 70);
	progress_end(&p);
	fprintf(stderr, "\n"); /* keep the TAP stream line-aligned */
	ok(cli_stderr_tty() == 0 || cli_stderr_tty() == 1, "tty check");
}

static void
test_werr(void)
{
	struct werr e = { 0 };

	ok(werr_set(NULL, 1, "x") == -1 && werr_sys(NULL, 1, "x") == -1 &&
	        werr_prefix(NULL, "x") == -1,
	    "NULL werr is allowed");
	errno = ENOENT;
	werr_sys(&e, EX_NOINPUT, "%s", "f.car");
	is_str(e.msg, "f.car: No such file or directory", "werr_sys appends strerror");
	werr_prefix(&e, "reading %d", 2);
	is_str(e.msg, "reading 2: f.car: No such file or directory", "werr_prefix");
	is_int(e.code, EX_NOINPUT, "prefix keeps the code");
}

static void
test_jsonl_errors(void)
{
	struct werr e = { 0 };
	struct jsonl *j = jsonl_open(stdout, "error(\"boom\")", &e);
	cJSON *o = cJSON_CreateObject();

	ok(j != NULL, "filter with error() compiles");
	ok(jsonl_emit(j, o, &e) < 0 && e.code == EX_DATAERR && strstr(e.msg, "boom"),
	    "a runtime jq error is reported");
	jsonl_close(j);
	cJSON_Delete(o);
}

int
main(void)
{
	char dir[] = "/tmp/wanda-unit-XXXXXX";
	char cmd[256];

	if (mkdtemp(dir) == NULL)
		return 2;
	test_parse();
	test_config(dir);
	test_atomic(dir);
	test_jsonl(dir);
	test_atomic_more(dir);
	test_dir_lock(dir);
	test_rm_tree(dir);
	test_cli();
	test_werr();
	test_jsonl_errors();
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	if (system(cmd) != 0)
		return 2;
	return done_testing();
}
