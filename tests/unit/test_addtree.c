/* test_addtree: `ipfs add` over paths: event order, names, root flags,
 * hidden entries, symlinks, stdin, wrapping, and the errors Kubo gives. */
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ipld/addtree.h"
#include "tap.h"
#include "fixture.h"

struct log {
	char buf[4096];
	size_t len;
	int roots;
	int fail_at, n;
};

static int
record(void *ctx, const struct add_event *ev, struct werr *e)
{
	struct log *l = ctx;
	char s[CID_STR_MAX];

	if (l->fail_at && ++l->n == l->fail_at)
		return werr_set(e, EX_IOERR, "stdout: broken pipe");
	if (cid_format(&ev->cid, 0, s, sizeof s, e) < 0)
		return -1;
	l->len += (size_t)snprintf(l->buf + l->len, sizeof l->buf - l->len, "%s%s %s %llu%s\n",
	    ev->name, ev->root ? "*" : "", s, (unsigned long long)ev->bytes, "");
	l->roots += ev->root;
	return 0;
}

static int
failing_sink(void *ctx, const struct cid *c, const uint8_t *p, size_t n, struct werr *e)
{
	(void)ctx, (void)c, (void)p, (void)n;
	return werr_set(e, EX_IOERR, "blockstore: disk full");
}

static void
opts(struct add_opts *o)
{
	memset(o, 0, sizeof *o);
	import_opts_kubo(&o->imp);
	dir_opts_kubo(&o->dir);
	o->recursive = 1;
}

static int
run(struct add_opts *o, struct log *l, struct werr *e, size_t n, ...)
{
	const char *p[8];
	va_list ap;

	va_start(ap, n);
	for (size_t i = 0; i < n; i++)
		p[i] = va_arg(ap, const char *);
	va_end(ap);
	memset(l, 0, sizeof *l);
	memset(e, 0, sizeof *e);
	return add_paths(p, n, o, NULL, NULL, record, l, NULL, e);
}

static void
test_order(void)
{
	struct add_opts o;
	struct log l;
	struct werr e;

	opts(&o);
	/* t0040-add-and-cat.sh 'ipfs add -rn' moons: files first, then dirs post-order */
	ok(run(&o, &l, &e, 1, "moons") == 0, "moons added: %s", e.msg);
	is_str(l.buf,
	    "moons/jupiter/europa.txt Qmbjg7zWdqdMaK2BucPncJQDxiALExph5k3NkQv5RHpccu 14\n"
	    "moons/mercury.txt QmUJjVtnN8YEeYcS8VmUeWffTWhnMQAkk5DzZdKnPhqUdK 19\n"
	    "moons/saturn/titan.txt QmZzppb9WHn552rmRqpPfgU5FEiHH6gDwi3MrB9cTdPwdb 13\n"
	    "moons/jupiter QmS5mZddhFPLWFX3w6FzAy9QxyYkaxvUpsWCtZ3r7jub9J 14\n"
	    "moons/saturn QmaMagZT4rTE7Nonw8KGSK4oe1bh533yhZrCo1HihSG8FK 13\n"
	    "moons* QmVKvomp91nMih5j6hYBA8KjbiaYvEetU2Q7KvtZkLe9nQ 46\n",
	    "Kubo's order, names and CIDs; the root flagged once");

	/* two paths, not wrapped: name order, each a root; a repeat counted once */
	ok(run(&o, &l, &e, 3, "moons/mercury.txt", "moons/jupiter/", "moons/mercury.txt") == 0, "two paths");
	is_str(l.buf,
	    "jupiter/europa.txt Qmbjg7zWdqdMaK2BucPncJQDxiALExph5k3NkQv5RHpccu 14\n"
	    "jupiter* QmS5mZddhFPLWFX3w6FzAy9QxyYkaxvUpsWCtZ3r7jub9J 14\n"
	    "mercury.txt* QmUJjVtnN8YEeYcS8VmUeWffTWhnMQAkk5DzZdKnPhqUdK 19\n",
	    "each path its own root, in name order, trailing slash and repeats ignored");

	/* wrapped: one root named "" */
	o.wrap = 1;
	ok(run(&o, &l, &e, 2, "moons/saturn", "moons/mercury.txt") == 0, "wrapped");
	ok(l.roots == 1 && strstr(l.buf, "\n* Qm") != NULL, "one root, named \"\"");
	ok(strncmp(l.buf, "mercury.txt ", 12) == 0, "wrapped files keep their names");
}

static void
test_paths_and_links(void)
{
	struct add_opts o;
	struct log l;
	struct werr e;
	char cwd[4096];

	opts(&o);
	ok(run(&o, &l, &e, 1, "moons//saturn/./titan.txt") == 0 && strncmp(l.buf, "titan.txt* ", 11) == 0,
	    "a path is cleaned and named by its last element");
	ok(run(&o, &l, &e, 1, "moons/saturn/..") == 0 && strstr(l.buf, "\nmoons* QmVKvomp91nMih5j6hYBA8KjbiaYvEetU2Q7KvtZkLe9nQ") != NULL,
	    "x/.. is named after the real directory");
	ok(getcwd(cwd, sizeof cwd) != NULL && chdir("moons") == 0, "cd moons");
	ok(run(&o, &l, &e, 1, ".") == 0 && strstr(l.buf, "\nmoons* QmVKvomp91nMih5j6hYBA8KjbiaYvEetU2Q7KvtZkLe9nQ") != NULL,
	    "\".\" is named after the directory");
	ok(chdir(cwd) == 0, "cd back");

	/* t0044-add-symlink.sh */
	ok(run(&o, &l, &e, 1, "files/bar/baz") == 0, "symlink added");
	is_str(l.buf, "baz* QmdocmZeF7qwPT9Z8SiVhMSyKA2KKoA2J7jToW6z6WBmxR 0\n", "a symlink is added as a link, 0 bytes");
	ok(run(&o, &l, &e, 1, "files") == 0 && strstr(l.buf, "files* QmWdiHKoeSW8G1u7ATCgpx4yMoUhYaJBQGkyPLkS9goYZ8") != NULL,
	    "a tree with good and broken links");

	/* t0042-add-skip.sh */
	ok(run(&o, &l, &e, 1, "planets") == 0 && strstr(l.buf, "planets* QmR8nD1Vzk5twWVC6oShTHvv7mMYkVh6dApCByBJyV2oj3"),
	    "hidden entries skipped");
	o.hidden = 1;
	ok(run(&o, &l, &e, 1, "planets") == 0 && strstr(l.buf, "planets* QmetajtFdmzhWYodAsZoVZSiqpeJDAiaw2NwbM3xcWcpDj"),
	    "hidden entries included with hidden");
}

static void
test_stdin(void)
{
	struct add_opts o;
	struct log l;
	struct werr e;
	int fd = open("stdin.txt", O_RDONLY), saved = dup(0);

	opts(&o);
	ok(fd >= 0 && dup2(fd, 0) == 0, "stdin redirected");
	/* t0040-add-and-cat.sh: unnamed stdin is named by its CID */
	ok(run(&o, &l, &e, 1, "-") == 0, "stdin added");
	is_str(l.buf, "QmZDhWpi8NvKrekaYYhxKCdNVGWsFFe1CREnAjP1QbPaB3* QmZDhWpi8NvKrekaYYhxKCdNVGWsFFe1CREnAjP1QbPaB3 28\n",
	    "unnamed stdin named by its CID");
	lseek(0, 0, SEEK_SET);
	o.stdin_name = "planets.txt";
	ok(run(&o, &l, &e, 1, "-") == 0 && strncmp(l.buf, "planets.txt* ", 13) == 0, "--stdin-name");
	ok(run(&o, &l, &e, 2, "-", "-") < 0 && e.code == EX_USAGE && strstr(e.msg, "twice"), "stdin twice: %s", e.msg);
	dup2(saved, 0);
	close(saved);
	close(fd);
}

static void
test_errors(void)
{
	struct add_opts o;
	struct log l;
	struct werr e;

	opts(&o);
	ok(run(&o, &l, &e, 0) < 0 && e.code == EX_USAGE, "no path: %s", e.msg);
	ok(run(&o, &l, &e, 1, "nonexistent") < 0 && e.code == EX_NOINPUT && strstr(e.msg, "nonexistent"), "missing: %s", e.msg);
	o.recursive = 0;
	ok(run(&o, &l, &e, 1, "moons") < 0 && e.code == EX_USAGE &&
	        strcmp(e.msg, "'moons' is a directory, use the '-r' flag to specify directories") == 0,
	    "no -r: %s", e.msg);
	o.recursive = 1;
	ok(run(&o, &l, &e, 1, "fifodir") < 0 && e.code == EX_DATAERR && strstr(e.msg, "fifodir/pipe"), "fifo inside: %s", e.msg);
	o.wrap = 1;
	ok(run(&o, &l, &e, 2, "moons/jupiter/europa.txt", "planets2/europa.txt") < 0 && e.code == EX_USAGE &&
	        strstr(e.msg, "europa.txt"),
	    "one name twice in a wrap: %s", e.msg);
	o.wrap = 0;
	o.imp.chunk_size = 0;
	ok(run(&o, &l, &e, 1, "moons") < 0 && e.code == EX_USAGE && strstr(e.msg, "--chunker"), "bad import options: %s", e.msg);
	opts(&o);
	memset(&l, 0, sizeof l);
	l.fail_at = 2;
	ok(add_paths((const char *[]){ "moons" }, 1, &o, NULL, NULL, record, &l, NULL, &e) < 0 &&
	        e.code == EX_IOERR && strstr(e.msg, "broken pipe"),
	    "an event error stops the add: %s", e.msg);
	ok(add_paths((const char *[]){ "moons" }, 1, &o, failing_sink, NULL, NULL, NULL, NULL, &e) < 0 &&
	        strstr(e.msg, "disk full"),
	    "a sink error stops the add: %s", e.msg);
}

int
main(void)
{
	char tmpl[] = "/tmp/test_addtree.XXXXXX", cmd[256];

	if (mkdtemp(tmpl) == NULL || chdir(tmpl) < 0)
		return 1;
	mkdir("moons", 0755);
	mkdir("moons/jupiter", 0755);
	mkdir("moons/saturn", 0755);
	write_text("moons/jupiter/europa.txt", "Hello Europa!\n");
	write_text("moons/saturn/titan.txt", "Hello Titan!\n");
	write_text("moons/mercury.txt", "hey youre no moon!\n");
	mkdir("planets2", 0755);
	write_text("planets2/europa.txt", "x\n");
	mkdir("files", 0755);
	mkdir("files/foo", 0755);
	mkdir("files/bar", 0755);
	write_text("files/foo/baz", "some text\n");
	if (symlink("files/foo/baz", "files/bar/baz") < 0 || symlink("files/does/not/exist", "files/bad") < 0)
		return 1;
	mkdir("planets", 0755);
	mkdir("planets/.asteroids", 0755);
	write_text("planets/mars.txt", "Hello Mars\n");
	write_text("planets/venus.txt", "Hello Venus\n");
	write_text("planets/.pluto.txt", "Hello Pluto\n");
	write_text("planets/.charon.txt", "Hello Charon\n");
	write_text("planets/.asteroids/ceres.txt", "Hello Ceres\n");
	write_text("planets/.asteroids/pallas.txt", "Hello Pallas\n");
	write_text("stdin.txt", "Hello Neptune!\nHello Pluton!");
	mkdir("fifodir", 0755);
	mkfifo("fifodir/pipe", 0644);

	test_order();
	test_paths_and_links();
	test_stdin();
	test_errors();

	snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpl);
	if (system(cmd) != 0)
		printf("# could not remove %s\n", tmpl);
	return done_testing();
}
