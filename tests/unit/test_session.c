/* Offline parts of sessions, the root, the gallery pages, newblocks and the
 * IPNS state files (the daemon-facing parts are in tests/bats/session.bats
 * and ipns.bats). */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "base/atomicio.h"
#include "capture/sessions.h"
#include "ipld/car.h"
#include "site/gallery.h"
#include "site/ipns.h"
#include "ipld/newblocks.h"
#include "site/session.h"
#include "tap.h"

static char home[256];

static void
put(const char *rel, const char *text)
{
	char path[512], dir[512];
	struct werr e = { 0 };

	snprintf(path, sizeof path, "%s/%s", home, rel);
	snprintf(dir, sizeof dir, "%s", path);
	*strrchr(dir, '/') = '\0';
	mkdir_p(dir, 0755, &e);
	atomic_write(path, text, strlen(text), &e);
}

static void
sidecars(void)
{
	/* two usable captures (one raw-codec CID without tsize), one without a CID */
	put("captures/s1/b.json", "{\"id\":\"b\",\"session\":\"s1\",\"file\":\"b.jpg\",\"bytes\":3,"
	                          "\"captured_at\":\"2026-11-24T03:00:02.000Z\",\"cid\":"
	                          "\"bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy\",\"raw\":null,"
	                          "\"thumb\":\"thumbs/s1/b.jpg\",\"ipfs\":{\"state\":\"pinned\"}}");
	put("captures/s1/a.json", "{\"id\":\"a\",\"session\":\"s1\",\"file\":\"a.jpg\",\"bytes\":5,"
	                          "\"captured_at\":\"2026-11-24T03:00:01.000Z\",\"cid\":"
	                          "\"bafkreidvbhs33ighmljlvr7zbv2ywwzcmp5adtf4kqvlly67cy56bdtmve\",\"tsize\":5,"
	                          "\"ipfs\":{\"state\":\"queued\"}}");
	put("captures/s1/c.json", "{\"id\":\"c\",\"session\":\"s1\",\"file\":\"c.jpg\",\"bytes\":1,"
	                          "\"captured_at\":\"2026-11-24T03:00:03.000Z\"}");
	put("captures/s1/.d.json.tmp", "not json");
	put("thumbs/s1/b.jpg", "\xff\xd8 thumb \xff\xd9");
}

static void
test_session(void)
{
	struct session_opts o = { home, "s1", 1, "12D3KooWtest" };
	struct session_info a, b;
	struct newblocks *nb;
	struct werr e = { 0 };
	char tmp[300], cs[CID_STR_MAX], cs2[CID_STR_MAX];
	struct nb_stats st;

	snprintf(tmp, sizeof tmp, "%s/tmp", home);
	nb = nb_new(tmp, &e);
	ok(nb != NULL, "nb_new: %s", e.msg);
	ok(session_build(&o, nb_sink, nb, &a, &e) == 0, "session_build: %s", e.msg);
	is_int(a.count, 2, "two usable captures");
	is_int(a.skipped, 1, "the one without a cid is skipped");
	ok(strstr(a.skip_reason, "c.json") != NULL, "skip reason names the file: %s", a.skip_reason);
	is_int(a.unpushed, 1, "one capture not pushed");
	is_int(a.thumbs, 1, "one thumbnail");
	is_int(a.bytes, 8, "bytes summed");
	is_str(a.first, "2026-11-24T03:00:01.000Z", "first");
	is_str(a.last, "2026-11-24T03:00:02.000Z", "last");
	nb_stats(nb, &st);
	ok(st.blocks >= 8 && st.max_block < 1048576, "blocks %llu", (unsigned long long)st.blocks);
	/* the CAR of the new blocks reads back, every block hash-checked */
	snprintf(tmp, sizeof tmp, "%s/s1.car", home);
	int fd = open(tmp, O_RDWR | O_CREAT | O_TRUNC, 0644);
	ok(nb_write_car(nb, &a.cid, fd, tmp, &e) == 0, "nb_write_car: %s", e.msg);
	lseek(fd, 0, SEEK_SET);
	ok(car_read_fd(fd, tmp, NULL, NULL, &e) == 0, "CAR verifies: %s", e.msg);
	close(fd);
	nb_free(nb);
	/* deterministic; page size is content */
	ok(session_build(&o, NULL, NULL, &b, &e) == 0 && cid_equal(&a.cid, &b.cid), "same CID again");
	o.page_size = 250;
	ok(session_build(&o, NULL, NULL, &b, &e) == 0 && !cid_equal(&a.cid, &b.cid), "page size changes it");
	cid_format(&a.cid, 'b', cs, sizeof cs, &e);
	ok(session_record(home, "s1", &a, 1, &e) == 0, "session_record: %s", e.msg);
	o.name = "../etc";
	ok(session_build(&o, NULL, NULL, &b, &e) < 0 && e.code == EX_USAGE, "bad name refused");
	o.name = "nosuch";
	ok(session_build(&o, NULL, NULL, &b, &e) < 0 && e.code == EX_NOINPUT, "missing session: %s", e.msg);

	struct root_opts ro = { home, "12D3KooWtest", "k51name", "wanda" };
	struct root_info ri, ri2;
	char *text;
	size_t len;
	ok(root_build(&ro, NULL, NULL, &ri, &e) == 0, "root_build: %s", e.msg);
	is_int(ri.sessions, 1, "one session");
	is_int(ri.captures, 2, "two captures");
	is_int(ri.not_imported, 0, "imported");
	ok(root_record(home, &ri, 1, &e) == 0, "root_record");
	snprintf(tmp, sizeof tmp, "%s/state/root.json", home);
	read_file(tmp, &text, &len, &e);
	sleep(1);
	ok(root_record(home, &ri, 1, &e) == 0, "root_record again");
	char *text2;
	read_file(tmp, &text2, &len, &e);
	is_str(text2, text, "root.json untouched when the CID did not change");
	free(text);
	free(text2);
	ok(root_build(&ro, NULL, NULL, &ri2, &e) == 0 && cid_equal(&ri.cid, &ri2.cid), "root deterministic");
	char cur[CID_STR_MAX];
	ok(ipns_current_root(home, cur, sizeof cur, &e) == 0, "current root readable by ipns");
	cid_format(&ri.cid, 'b', cs2, sizeof cs2, &e);
	is_str(cur, cs2, "the recorded root");
}

static void
test_names_and_pages(void)
{
	struct werr e = { 0 };
	char *html;
	size_t len;

	ok(session_name_valid("m42-2026.11_23"), "valid name");
	ok(!session_name_valid(".hidden") && !session_name_valid("") && !session_name_valid("a/b") &&
	        !session_name_valid("a b"),
	    "invalid names");
	ok(gallery_session_html("s<1>", &html, &len, &e) == 0, "session page");
	ok(strstr(html, "s&lt;1&gt;") && !strstr(html, "s<1>"), "name escaped");
	ok(!strstr(html, "http://") && !strstr(html, "https://"), "no absolute links");
	free(html);
	cJSON *ix = cJSON_Parse("{\"node\":{\"id\":\"P\",\"ipns\":\"K\"},\"sessions\":[{\"name\":\"a\\\"b<\","
	                        "\"cid\":\"bafyx\",\"count\":3,\"first\":\"F\",\"last\":\"L\"},{\"name\":\"x\"}]}");
	ok(gallery_root_html(ix, &html, &len, &e) == 0, "root page");
	ok(strstr(html, "href=\"sessions/a%22b%3C/\"") != NULL, "href percent-encoded");
	ok(strstr(html, "a&quot;b&lt;") != NULL, "text escaped");
	ok(strstr(html, ">3<") && strstr(html, "F \xe2\x80\x93 L"), "count and range");
	free(html);
	cJSON_Delete(ix);
}

static void
test_newblocks_dedup(void)
{
	struct werr e = { 0 };
	struct newblocks *nb;
	struct nb_stats st;
	struct cid c;
	char tmp[300];

	snprintf(tmp, sizeof tmp, "%s/tmp", home);
	nb = nb_new(tmp, &e);
	for (int i = 0; i < 3000; i++) {
		char blk[32];
		int n = snprintf(blk, sizeof blk, "block %d", i % 2000);
		cid_from_block(1, CODEC_RAW, MH_SHA2_256, blk, (size_t)n, &c, &e);
		nb_sink(nb, &c, (const uint8_t *)blk, (size_t)n, &e);
	}
	nb_stats(nb, &st);
	is_int(st.blocks, 2000, "2000 distinct blocks kept");
	is_int(st.dups, 1000, "1000 duplicates dropped");
	nb_free(nb);
}

static void
test_ipns_state(void)
{
	struct ipns_cfg c = { home, "wanda", 86400000, 300000, 0 };
	struct werr e = { 0 };
	char buf[32], cid[KUBO_CID_MAX];
	cJSON *st;

	ipns_duration(86400000, buf, sizeof buf);
	is_str(buf, "86400s", "whole seconds");
	ipns_duration(1500, buf, sizeof buf);
	is_str(buf, "1500ms", "milliseconds");
	ok(ipns_status(&c, &st, &e) == 0, "status without a daemon");
	is_int(cJSON_GetObjectItem(st, "sequence")->valuedouble, 0, "nothing published");
	ok(cJSON_IsTrue(cJSON_GetObjectItem(st, "pending")), "a root not yet published is pending");
	cJSON_Delete(st);
	ok(ipns_mark_pending(home, "bafyexplicit", &e) == 0, "mark pending");
	ok(ipns_status(&c, &st, &e) == 0 && cJSON_IsTrue(cJSON_GetObjectItem(st, "pending")), "pending");
	cJSON_Delete(st);
	char other[300];
	snprintf(other, sizeof other, "%s/empty", home);
	ok(ipns_current_root(other, cid, sizeof cid, &e) < 0 && e.code == EX_NOINPUT, "no root: EX_NOINPUT");
}

int
main(void)
{
	snprintf(home, sizeof home, "/tmp/test_session.XXXXXX");
	if (!mkdtemp(home))
		return 1;
	sidecars();
	test_session();
	test_names_and_pages();
	test_newblocks_dedup();
	test_ipns_state();
	char cmd[300];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", home);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", home);
	return done_testing();
}
