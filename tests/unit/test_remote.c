/* Unit tests for lib/remote (configuration, enqueue) and the remote half
 * of retention's rule. The HTTP side is tested against a real IPFS Cluster
 * in tests/bats/remote.bats. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "tap.h"
#include "base/atomicio.h"
#include "remote/remote.h"
#include "spool/retention.h"
#include "spool/sidecar.h"

#define CID "bafkreiaq3ohfaewa6i2fdvdc27umrkkc45vmsofngscnig7zmm7g2umpwe"

static struct config *
conf(const char *dir, const char *text)
{
	char path[4096];
	struct werr e = { 0 };
	struct config *c;

	snprintf(path, sizeof path, "%s/wanda.conf", dir);
	atomic_write(path, text, strlen(text), &e);
	setenv("WANDA_CONF", path, 1);
	c = config_load(&e);
	config_set(c, "home", dir, &e);
	return c;
}

static void
test_load(const char *dir)
{
	char text[8192], tok[4096];
	struct remote_set rs;
	struct werr e = { 0 };
	struct config *c;

	snprintf(tok, sizeof tok, "%s/tok", dir);
	atomic_write(tok, "user:pass\n", 10, &e);
	chmod(tok, 0600);
	snprintf(text, sizeof text,
	    "remote.fleet.url = http://127.0.0.1:9094/\nremote.fleet.auth = basic\n"
	    "remote.fleet.token_file = %s\nremote.fleet.replication_min = 2\n"
	    "remote.fleet.replication_max = 3\nremote.svc.url = https://psa.example/api\n"
	    "remote.svc.kind = psa\n",
	    tok);
	c = conf(dir, text);
	ok(remote_load(c, NULL, &rs, &e) == 0, "load: %s", e.msg);
	is_int(rs.n, 2, "two targets");
	is_str(rs.t[0].name, "fleet", "first name");
	is_str(rs.t[0].url, "http://127.0.0.1:9094", "trailing slash dropped");
	is_str(rs.t[0].token, "user:pass", "token, newline trimmed");
	ok(rs.t[0].basic && rs.t[0].kind == REMOTE_CLUSTER, "basic, cluster");
	is_int(rs.t[0].rmin, 2, "rmin");
	is_int(rs.t[0].rmax, 3, "rmax");
	ok(rs.t[1].kind == REMOTE_PSA && rs.t[1].token[0] == '\0', "psa without token");
	is_int(rs.t[1].confirm_timeout_ms, 600000, "default confirm_timeout");
	ok(remote_load(c, "svc", &rs, &e) == 0 && rs.n == 1 && strcmp(rs.t[0].name, "svc") == 0, "--target");
	ok(remote_load(c, "nope", &rs, &e) < 0 && e.code == EX_CONFIG, "unknown target: %s", e.msg);
	config_free(c);

	chmod(tok, 0644);
	snprintf(text, sizeof text, "remote.a.url = http://x\nremote.a.token_file = %s\n", tok);
	c = conf(dir, text);
	ok(remote_load(c, NULL, &rs, &e) < 0 && strstr(e.msg, "readable by others"), "token mode: %s", e.msg);
	config_free(c);
	c = conf(dir, "remote.a.url = http://x\nremote.a.replication_min = 3\nremote.a.replication_max = 2\n");
	ok(remote_load(c, NULL, &rs, &e) < 0 && strstr(e.msg, "remote.a"), "min > max: %s", e.msg);
	config_free(c);
	c = conf(dir, "remote.a.url = http://x\nremote.a.kind = s3\n");
	ok(remote_load(c, NULL, &rs, &e) < 0 && strstr(e.msg, "remote.a.kind"), "kind: %s", e.msg);
	config_free(c);
	c = conf(dir, "remote.a/b.url = http://x\n");
	ok(remote_load(c, NULL, &rs, &e) < 0, "a name with a slash: %s", e.msg);
	config_free(c);
}

static void
test_enqueue(const char *dir)
{
	char side[4096], entry[4200], text[8192], *sc_text = NULL;
	struct remote_set rs;
	struct werr e = { 0 };
	struct config *c;
	cJSON *res, *sc;

	c = conf(dir, "remote.fleet.url = http://127.0.0.1:1\n");
	remote_load(c, NULL, &rs, &e);
	snprintf(side, sizeof side, "%s/captures/s", dir);
	mkdir_p(side, 0755, &e);
	snprintf(side, sizeof side, "%s/captures/s/cap.json", dir);
	atomic_write(side, "{\"id\":\"cap\",\"cid\":\"" CID "\"}", strlen("{\"id\":\"cap\",\"cid\":\"" CID "\"}"), &e);
	snprintf(text, sizeof text, "{\"id\":\"cap\",\"kind\":\"capture\",\"cid\":\"%s\",\"sidecar\":\"%s\",\"pinned\":true}", CID, side);
	res = cJSON_Parse(text);
	cJSON_AddItemToObject(res, "error", cJSON_CreateString("x"));
	is_int(remote_enqueue(&rs, res, &e), 0, "a failed push is not queued");
	cJSON_DeleteItemFromObject(res, "error");
	cJSON_AddTrueToObject(res, "queued");
	is_int(remote_enqueue(&rs, res, &e), 0, "an outbox push is not queued");
	cJSON_DeleteItemFromObject(res, "queued");
	is_int(remote_enqueue(&rs, res, &e), 1, "a pushed capture is queued: %s", e.msg);
	snprintf(entry, sizeof entry, "%s/remote/fleet/cap.json", dir);
	ok(access(entry, F_OK) == 0, "entry file");
	sc = sidecar_read_json(side, &e);
	is_str(cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetObjectItem(sc, "remote"), "fleet"), "state")),
	    "queued", "sidecar remote.fleet.state");
	cJSON_Delete(sc);
	cJSON_ReplaceItemInObject(res, "id", cJSON_CreateString("../evil"));
	is_int(remote_enqueue(&rs, res, &e), 0, "an id that is a path is not queued");
	cJSON_ReplaceItemInObject(res, "id", cJSON_CreateString("cap2"));
	snprintf(side, sizeof side, "%s/cap.json", dir);
	atomic_write(side, "{}", 2, &e);
	cJSON_ReplaceItemInObject(res, "sidecar", cJSON_CreateString(side));
	ok(remote_enqueue(&rs, res, &e) < 0 && e.code == EX_DATAERR && strstr(e.msg, "not a sidecar under"),
	    "a sidecar path outside home/captures is refused: %s", e.msg);
	ok(read_file(side, &sc_text, NULL, &e) == 0 && strcmp(sc_text, "{}") == 0, "and that file is untouched");
	free(sc_text);
	cJSON_Delete(res);
	remote_free(&rs);
	config_free(c);
}

static void
test_rule(void)
{
	const char *both[] = { "a", "b" };
	cJSON *sc = cJSON_Parse("{\"remote\":{\"a\":{\"state\":\"pinned\",\"cid\":\"" CID "\"},"
	                        "\"b\":{\"state\":\"pinning\",\"cid\":\"" CID "\"}},"
	                        "\"raw_remote\":{\"a\":{\"state\":\"pinned\",\"cid\":\"bafkreiother\"}}}");

	ok(retention_remote_confirmed(sc, "remote", CID, both, 0), "no target: nothing to wait for");
	ok(retention_remote_confirmed(sc, "remote", CID, both, 1), "a pinned");
	ok(!retention_remote_confirmed(sc, "remote", CID, both, 2), "b only pinning");
	ok(!retention_remote_confirmed(sc, "raw_remote", CID, both, 1), "another CID is not this one");
	ok(!retention_remote_confirmed(sc, "raw_remote", "bafkreiother", both + 1, 1), "no record");
	cJSON_Delete(sc);
}

int
main(void)
{
	char dir[] = "/tmp/test_remote.XXXXXX";

	if (mkdtemp(dir) == NULL)
		return 1;
	test_load(dir);
	test_enqueue(dir);
	test_rule();
	return done_testing();
}
