/* Unit tests for lib/sidecar and lib/captureid. */
#include <stdlib.h>
#include <unistd.h>
#include <sys/stat.h>
#include "tap.h"
#include "base/atomicio.h"
#include "capture/captureid.h"
#include "spool/sidecar.h"

static void
test_roundtrip(const char *dir)
{
	struct werr e = { 0 };
	struct sidecar s, r;
	char path[4096], side[4096];

	sidecar_init(&s);
	snprintf(s.id, sizeof s.id, "20261124T061418.123Z-pi-0001");
	snprintf(s.session, sizeof s.session, "m42");
	snprintf(s.file, sizeof s.file, "%s.jpg", s.id);
	s.bytes = 123456;
	snprintf(s.captured_at, sizeof s.captured_at, "2026-11-24T06:14:18.123Z");
	snprintf(s.camera, sizeof s.camera, "test");
	s.width = 1280;
	s.height = 960;
	s.exposure_us = 30000000;
	s.gain = 2.5;
	snprintf(s.cid, sizeof s.cid, "bafkreiexample");
	s.tsize = 123456;
	snprintf(s.thumb, sizeof s.thumb, "thumbs/m42/%s.jpg", s.id);
	snprintf(path, sizeof path, "%s/%s.jpg", dir, s.id);
	ok(sidecar_path_for(path, side, sizeof side, &e) == 0, "sidecar path");
	ok(strcmp(side + strlen(side) - 5, ".json") == 0 && strstr(side, ".jpg") == NULL, "extension replaced: %s", side);
	ok(sidecar_path_for("a.b/c", side, sizeof side, &e) == 0 && strcmp(side, "a.b/c.json") == 0,
	    "dot in directory is not an extension");
	sidecar_path_for(path, side, sizeof side, &e);
	ok(sidecar_write(side, &s, &e) == 0, "write: %s", e.msg);
	ok(sidecar_read(side, &r, &e) == 0, "read back: %s", e.msg);
	is_str(r.id, s.id, "id");
	is_str(r.session, "m42", "session");
	is_int(r.bytes, 123456, "bytes");
	is_int(r.width, 1280, "width");
	is_int(r.exposure_us, 30000000, "exposure_us");
	ok(r.gain > 2.49 && r.gain < 2.51, "gain");
	is_str(r.cid, "bafkreiexample", "cid");
	is_int(r.tsize, 123456, "tsize");
	is_str(r.profile, "unixfs-v1-2025", "profile");
	is_str(r.state, "queued", "new capture is queued");
	ok(r.raw[0] == '\0', "no raw");

	/* update keeps unknown fields and every other field */
	cJSON *o = sidecar_read_json(side, &e);
	cJSON_AddStringToObject(o, "note", "kept");
	char *txt = cJSON_PrintUnformatted(o);
	atomic_write(side, txt, strlen(txt), &e);
	free(txt);
	cJSON_Delete(o);
	ok(sidecar_update_ipfs(side, "pushed", "bafkreidaemon", NULL, &e) == 0, "update pushed: %s", e.msg);
	ok(sidecar_read(side, &r, &e) == 0, "read after update");
	is_str(r.state, "pushed", "state pushed");
	is_str(r.ipfs_cid, "bafkreidaemon", "ipfs cid");
	ok(r.pinned_at[0] == '\0', "not pinned yet");
	is_str(r.cid, "bafkreiexample", "local cid untouched");
	o = sidecar_read_json(side, &e);
	is_str(cJSON_GetStringValue(cJSON_GetObjectItem(o, "note")), "kept", "unknown field kept");
	cJSON_Delete(o);
	ok(sidecar_update_ipfs(side, "pinned", NULL, NULL, &e) == 0, "update pinned");
	sidecar_read(side, &r, &e);
	is_str(r.ipfs_cid, "bafkreidaemon", "cid NULL keeps the cid");
	ok(strlen(r.pinned_at) == 24 && r.pinned_at[23] == 'Z', "pinned_at stamped: %s", r.pinned_at);
	ok(sidecar_update_ipfs(side, "failed", NULL, "daemon said 500", &e) == 0, "update failed");
	sidecar_read(side, &r, &e);
	is_str(r.error, "daemon said 500", "error recorded");
	ok(sidecar_update_ipfs(side, "lost", NULL, NULL, &e) < 0 && e.code == EX_USAGE, "bad state refused");
	snprintf(path, sizeof path, "%s/none.json", dir);
	ok(sidecar_update_ipfs(path, "pinned", NULL, NULL, &e) < 0 && e.code == EX_NOINPUT &&
	        strstr(e.msg, "none.json") != NULL,
	    "missing sidecar names the file");
	atomic_write(path, "{\"id\":\"x\"}", 10, &e);
	ok(sidecar_read(path, &r, &e) < 0 && e.code == EX_DATAERR && strstr(e.msg, "session"),
	    "missing field named: %s", e.msg);
	atomic_write(path, "[1,2", 4, &e);
	ok(sidecar_read(path, &r, &e) < 0 && e.code == EX_DATAERR, "malformed JSON is a data error");
	/* no temp files left behind */
	char cmd[4200];
	snprintf(cmd, sizeof cmd, "test -z \"$(ls -A %s | grep tmp)\"", dir);
	ok(system(cmd) == 0, "no temp files left");
}

static void
test_ids(const char *dir)
{
	struct captureid_state st = { 0 };
	char a[CAPTUREID_MAX], b[CAPTUREID_MAX], node[32], path[4096];
	long long ms;
	unsigned seq;
	struct werr e = { 0 };

	captureid_next(&st, 1000);
	ok(st.ms == 1000 && st.seq == 0, "first id at now");
	captureid_next(&st, 1000);
	ok(st.ms == 1000 && st.seq == 1, "same ms: seq 1");
	captureid_next(&st, 900);
	ok(st.ms == 1000 && st.seq == 2, "clock stepped back: still increasing");
	captureid_next(&st, 1001);
	ok(st.ms == 1001 && st.seq == 0, "new ms resets seq");
	st.seq = CAPTUREID_SEQ_MAX;
	captureid_next(&st, 1001);
	ok(st.ms == 1002 && st.seq == 0, "seq overflow borrows the next ms");

	captureid_node("Pi 4 Obs!", node, sizeof node);
	is_str(node, "pi-4-obs", "node folded");
	captureid_node("", node, sizeof node);
	is_str(node, "node", "empty node");
	captureid_node("a-very-long-hostname-that-goes-on.example.org", node, sizeof node);
	ok(strlen(node) <= 24, "node capped: %s", node);

	ok(captureid_format(1795500858123LL, "pi", 7, a, sizeof a) == 0, "format");
	is_str(a, "20261124T061418.123Z-pi-0007", "format text");
	ok(captureid_parse(a, &ms, node, sizeof node, &seq) == 0 && ms == 1795500858123LL && seq == 7 &&
	        strcmp(node, "pi") == 0,
	    "parse back");
	ok(captureid_parse("20261124T061418.123Z-pi-07", &ms, NULL, 0, &seq) < 0, "short seq refused");
	ok(captureid_parse("2026-11-24", &ms, NULL, 0, &seq) < 0, "junk refused");
	captureid_format(1000, "pi", 0, a, sizeof a);
	captureid_format(999, "pi", 9999, b, sizeof b);
	ok(strcmp(b, a) < 0, "ids sort by time before seq");

	snprintf(path, sizeof path, "%s/captureid", dir);
	int sorted = 1, n = 2000;
	a[0] = '\0';
	for (int i = 0; i < n; i++) {
		if (captureid_issue(path, "pi", b, sizeof b, &e) < 0)
			break;
		if (strcmp(a, b) >= 0)
			sorted = 0;
		memcpy(a, b, sizeof a);
	}
	ok(sorted, "%d ids issued back to back strictly increase", n);
	ok(captureid_issue("/nonexistent/dir/x", "pi", b, sizeof b, &e) < 0 && strstr(e.msg, "/nonexistent"),
	    "unwritable state file named");
}

static void
test_ours(void)
{
	ok(sidecar_is_ours("/h", "/h/captures/s/1.json"), "a sidecar under home/captures is ours");
	ok(sidecar_is_ours("/h/", "/h//captures/s/1.json"), "also with the home's trailing slash");
	ok(!sidecar_is_ours("/h", "/h/captures/../state/x.json"), "'..' is not");
	ok(!sidecar_is_ours("/h", "/hx/captures/s/1.json"), "a sibling of home is not");
	ok(!sidecar_is_ours("/h", "/h/state/s/1.json"), "outside captures is not");
	ok(!sidecar_is_ours("/h", "/h/captures/s/1.jpg"), "not a .json is not");
	ok(!sidecar_is_ours("/h", NULL) && !sidecar_is_ours("", "/captures/s/1.json"), "none, or no home");
}

int
main(void)
{
	char dir[] = "/tmp/test_sidecar.XXXXXX";
	char cmd[128];

	if (mkdtemp(dir) == NULL)
		return 1;
	test_roundtrip(dir);
	test_ids(dir);
	test_ours();
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	system(cmd);
	return done_testing();
}
