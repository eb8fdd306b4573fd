/* kubo_probe: every lib/kubo.h call from the command line, for the bats
 * tests against a real node (tests/bats/kubo-client.bats).
 *   kubo_probe [-a URL] [-r RETRIES] [-t TIMEOUT_MS] [-l LOW_SPEED_S] CMD ARG...
 * Results go to stdout (JSON lines, or raw bytes for cat/dag-export/
 * block-get). On failure: "kubo_probe: MESSAGE" and one JSON line
 * "error: {kind, code, permanent, http_status, kubo_code, message,
 * attempts}" on stderr, exit status the werr code. */
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include <cjson/cJSON.h>
#include "ipld/cid.h"
#include "base/config.h"
#include "kubo/kubo.h"
#include "base/clock.h"

static void
usage(void)
{
	fprintf(stderr, "usage: kubo_probe [-a URL] [-r RETRIES] [-t MS] [-l SECONDS] CMD ARG...\n"
	                "  id | version | repo-stat | stats-bw | swarm-peers | swarm-connect ADDR\n"
	                "  add FILE|- [--v0] [--trickle] [--no-pin] [--chunker C] [--progress]\n"
	                "  add-buf TEXT | cat PATH [OFFSET LENGTH] | get PATH DEST\n"
	                "  pin-add PATH | pin-rm PATH | pin-ls [PATH] | pin-check PATH\n"
	                "  dag-import FILE|- [--no-pin] | dag-export CID\n"
	                "  block-put FILE [CODEC] | block-get CID | block-stat CID\n"
	                "  files-mkdir PATH | files-cp SRC DST | files-stat PATH | files-ls PATH | files-rm PATH\n"
	                "  key-gen NAME | key-list | key-find NAME\n"
	                "  name-publish PATH [KEY] | name-resolve NAME\n"
	                "  pub TOPIC TEXT | sub TOPIC COUNT [READY_FILE [MAX_MS]] | provide CID | rpc CMD [KEY=VALUE...]\n"
	                "  cid-equal CID CID   (exit 0 when equal decoded, 1 when not)\n");
	exit(EX_USAGE);
}

static void
print_json(cJSON *o)
{
	char *s = cJSON_PrintUnformatted(o);

	printf("%s\n", s);
	fflush(stdout);
	free(s);
	cJSON_Delete(o);
}

static int
fail(struct kubo *k, const struct werr *e)
{
	const struct kubo_error *ke = kubo_last_error(k);
	cJSON *o = cJSON_CreateObject();
	char *s;

	cJSON_AddStringToObject(o, "kind", kubo_kind_name(ke->kind));
	cJSON_AddNumberToObject(o, "code", e->code);
	cJSON_AddBoolToObject(o, "permanent", ke->permanent);
	cJSON_AddNumberToObject(o, "http_status", ke->http_status);
	cJSON_AddNumberToObject(o, "kubo_code", ke->kubo_code);
	cJSON_AddStringToObject(o, "message", ke->message);
	cJSON_AddNumberToObject(o, "attempts", ke->attempts);
	s = cJSON_PrintUnformatted(o);
	fprintf(stderr, "kubo_probe: %s\nerror: %s\n", e->msg, s);
	free(s);
	cJSON_Delete(o);
	return e->code ? e->code : EX_SOFTWARE;
}

static int
open_in(const char *path)
{
	int fd = strcmp(path, "-") == 0 ? 0 : open(path, O_RDONLY);

	if (fd < 0) {
		fprintf(stderr, "kubo_probe: %s: cannot open\n", path);
		exit(EX_NOINPUT);
	}
	return fd;
}

static void
progress(void *ctx, uint64_t sent, uint64_t total)
{
	uint64_t *calls = ctx;

	(*calls)++;
	(void)sent;
	(void)total;
}

static int
cmd_add(struct kubo *k, int argc, char **argv, struct werr *e)
{
	struct kubo_add_opts o;
	struct kubo_add_result res;
	uint64_t calls = 0;
	int i, fd;
	cJSON *j;

	if (argc < 2)
		usage();
	kubo_add_opts_wanda(&o);
	for (i = 2; i < argc; i++) {
		if (strcmp(argv[i], "--v0") == 0)
			kubo_add_opts_kubo(&o);
		else if (strcmp(argv[i], "--trickle") == 0)
			o.trickle = 1;
		else if (strcmp(argv[i], "--no-pin") == 0)
			o.pin = 0;
		else if (strcmp(argv[i], "--chunker") == 0 && i + 1 < argc)
			o.chunker = argv[++i];
		else if (strcmp(argv[i], "--progress") == 0)
			o.progress = progress, o.progress_ctx = &calls;
		else
			usage();
	}
	if (strcmp(argv[0], "add-buf") == 0) {
		if (kubo_add_buf(k, argv[1], strlen(argv[1]), &o, &res, e) < 0)
			return -1;
	} else {
		fd = open_in(argv[1]);
		o.filename = strrchr(argv[1], '/') ? strrchr(argv[1], '/') + 1 : argv[1];
		if (kubo_add_fd(k, fd, &o, &res, e) < 0)
			return -1;
	}
	j = cJSON_CreateObject();
	cJSON_AddStringToObject(j, "cid", res.cid);
	cJSON_AddStringToObject(j, "name", res.name);
	cJSON_AddNumberToObject(j, "size", (double)res.size);
	if (o.progress)
		cJSON_AddNumberToObject(j, "progress_calls", (double)calls);
	cJSON_AddNumberToObject(j, "attempts", kubo_last_error(k)->attempts);
	print_json(j);
	return 0;
}

static int
out_sink(void *ctx, const void *p, size_t n, struct werr *e)
{
	(void)ctx;
	if (fwrite(p, 1, n, stdout) != n)
		return werr_sys(e, EX_IOERR, "stdout");
	return 0;
}

static int
pin_line(void *ctx, const char *cid, const char *type, struct werr *e)
{
	(void)ctx;
	(void)e;
	printf("%s %s\n", cid, type);
	return 0;
}

static int
peer_line(void *ctx, const struct kubo_peer *p, struct werr *e)
{
	(void)ctx;
	(void)e;
	printf("%s %s\n", p->peer, p->addr);
	return 0;
}

static int
root_line(void *ctx, const char *cid, const char *pin_error, struct werr *e)
{
	(void)ctx;
	(void)e;
	printf("%s%s%s\n", cid, pin_error ? " " : "", pin_error ? pin_error : "");
	return 0;
}

static int
files_line(void *ctx, const struct kubo_files_entry *f, struct werr *e)
{
	(void)ctx;
	(void)e;
	printf("%s %d %llu %s\n", f->name, f->type, (unsigned long long)f->size, f->hash);
	return 0;
}

static int
key_line(void *ctx, const struct kubo_key *key, struct werr *e)
{
	(void)ctx;
	(void)e;
	printf("%s %s\n", key->name, key->id);
	return 0;
}

struct sub_state {
	long count, max_ms;
	long long t0;
	const char *ready_file;
};

static int
sub_fn(void *ctx, enum kubo_sub_event ev, const struct kubo_pubsub_msg *m, struct werr *e)
{
	struct sub_state *s = ctx;
	cJSON *j;
	FILE *f;

	switch (ev) {
	case KUBO_SUB_READY:
		if (s->ready_file != NULL && (f = fopen(s->ready_file, "w")) != NULL)
			fclose(f);
		return 0;
	case KUBO_SUB_TICK:
		if (s->max_ms > 0 && mono_ms() - s->t0 >= s->max_ms)
			return werr_set(e, EX_TEMPFAIL, "no message after %ld ms", s->max_ms);
		return 0;
	default:
		j = cJSON_CreateObject();
		cJSON_AddStringToObject(j, "from", m->from);
		cJSON_AddStringToObject(j, "data", (const char *)m->data);
		cJSON_AddNumberToObject(j, "len", (double)m->len);
		cJSON_AddStringToObject(j, "topic", m->topic);
		cJSON_AddNumberToObject(j, "seqno_len", (double)m->seqno_len);
		print_json(j);
		return --s->count <= 0 ? 1 : 0;
	}
}

static int
cmd_sub(struct kubo *k, int argc, char **argv, struct werr *e)
{
	struct sub_state s = { 1, 0, mono_ms(), NULL };

	if (argc < 3)
		usage();
	s.count = atol(argv[2]);
	s.ready_file = argc > 3 ? argv[3] : NULL;
	s.max_ms = argc > 4 ? atol(argv[4]) : 0;
	return kubo_pubsub_sub(k, argv[1], 100, sub_fn, &s, e);
}

static int
cmd_rpc(struct kubo *k, int argc, char **argv, struct werr *e)
{
	struct kubo_param p[16];
	cJSON *o = NULL;
	int i, n = 0;

	for (i = 2; i < argc && n < 15; i++) {
		char *eq = strchr(argv[i], '=');

		if (eq == NULL)
			usage();
		*eq = '\0';
		p[n].key = argv[i];
		p[n++].value = eq + 1;
	}
	p[n].key = p[n].value = NULL;
	if (kubo_rpc_json(k, argv[1], p, KUBO_IDEMPOTENT, &o, e) < 0)
		return -1;
	if (o != NULL)
		print_json(o);
	return 0;
}

static int
cmd_node(struct kubo *k, const char *cmd, struct werr *e)
{
	cJSON *j = cJSON_CreateObject();

	if (strcmp(cmd, "id") == 0) {
		struct kubo_id id;
		cJSON *a = cJSON_AddArrayToObject(j, "addrs");

		if (kubo_id(k, &id, e) < 0)
			goto err;
		cJSON_AddStringToObject(j, "id", id.id);
		cJSON_AddStringToObject(j, "agent", id.agent_version);
		for (size_t i = 0; i < id.naddrs; i++)
			cJSON_AddItemToArray(a, cJSON_CreateString(id.addrs[i]));
	} else if (strcmp(cmd, "version") == 0) {
		struct kubo_version v;

		if (kubo_version(k, &v, e) < 0)
			goto err;
		cJSON_AddStringToObject(j, "version", v.version);
		cJSON_AddStringToObject(j, "repo", v.repo);
	} else if (strcmp(cmd, "repo-stat") == 0) {
		struct kubo_repo_stat r;

		if (kubo_repo_stat(k, &r, e) < 0)
			goto err;
		cJSON_AddNumberToObject(j, "repo_size", (double)r.repo_size);
		cJSON_AddNumberToObject(j, "storage_max", (double)r.storage_max);
		cJSON_AddNumberToObject(j, "num_objects", (double)r.num_objects);
		cJSON_AddStringToObject(j, "repo_path", r.repo_path);
		cJSON_AddStringToObject(j, "version", r.version);
	} else {
		struct kubo_bw bw;

		if (kubo_stats_bw(k, &bw, e) < 0)
			goto err;
		cJSON_AddNumberToObject(j, "total_in", (double)bw.total_in);
		cJSON_AddNumberToObject(j, "total_out", (double)bw.total_out);
		cJSON_AddNumberToObject(j, "rate_in", bw.rate_in);
		cJSON_AddNumberToObject(j, "rate_out", bw.rate_out);
	}
	print_json(j);
	return 0;
err:
	cJSON_Delete(j);
	return -1;
}

static int
cmd_block(struct kubo *k, int argc, char **argv, struct werr *e)
{
	char cid[KUBO_CID_MAX];

	if (strcmp(argv[0], "block-put") == 0) {
		char buf[1 << 16];
		int fd = open_in(argv[1]);
		ssize_t n = read(fd, buf, sizeof buf);

		if (n < 0 || kubo_block_put(k, buf, (size_t)n, argc > 2 ? argv[2] : "raw", NULL, 0, cid, e) < 0)
			return n < 0 ? werr_sys(e, EX_IOERR, "%s", argv[1]) : -1;
		printf("%s\n", cid);
	} else if (strcmp(argv[0], "block-get") == 0) {
		uint8_t *b;
		size_t n;

		if (kubo_block_get(k, argv[1], &b, &n, e) < 0)
			return -1;
		fwrite(b, 1, n, stdout);
		free(b);
	} else {
		struct kubo_block_stat st;

		if (kubo_block_stat(k, argv[1], &st, e) < 0)
			return -1;
		printf("%s %llu\n", st.key, (unsigned long long)st.size);
	}
	return 0;
}

static int
cmd_files(struct kubo *k, int argc, char **argv, struct werr *e)
{
	const char *c = argv[0] + 6;
	struct kubo_files_stat st;

	if (strcmp(c, "mkdir") == 0)
		return kubo_files_mkdir(k, argv[1], 1, 1, e);
	if (strcmp(c, "cp") == 0)
		return argc < 3 ? (usage(), -1) : kubo_files_cp(k, argv[1], argv[2], 1, e);
	if (strcmp(c, "rm") == 0)
		return kubo_files_rm(k, argv[1], 1, 0, e);
	if (strcmp(c, "ls") == 0)
		return kubo_files_ls(k, argv[1], files_line, NULL, e);
	if (kubo_files_stat(k, argv[1], &st, e) < 0)
		return -1;
	printf("%s %s %llu %llu\n", st.type, st.hash, (unsigned long long)st.size,
	    (unsigned long long)st.cumulative_size);
	return 0;
}

static int
cmd_keys(struct kubo *k, int argc, char **argv, struct werr *e)
{
	struct kubo_key key;
	char name[KUBO_NAME_MAX], value[KUBO_NAME_MAX];
	int found;

	if (strcmp(argv[0], "key-list") == 0)
		return kubo_key_list(k, key_line, NULL, e);
	if (argc < 2)
		usage();
	if (strcmp(argv[0], "key-gen") == 0) {
		if (kubo_key_gen(k, argv[1], &key, e) < 0)
			return -1;
		return key_line(NULL, &key, e);
	}
	if (strcmp(argv[0], "key-find") == 0) {
		if (kubo_key_find(k, argv[1], &key, &found, e) < 0)
			return -1;
		return found ? key_line(NULL, &key, e) : (printf("none\n"), 0);
	}
	if (strcmp(argv[0], "name-publish") == 0) {
		struct kubo_publish_opts o = { argc > 2 ? argv[2] : NULL, "24h", "1m", 1 };

		if (kubo_name_publish(k, argv[1], &o, name, value, e) < 0)
			return -1;
		printf("%s %s\n", name, value);
		return 0;
	}
	if (kubo_name_resolve(k, argv[1], 1, value, e) < 0)
		return -1;
	printf("%s\n", value);
	return 0;
}

static int
dispatch(struct kubo *k, int argc, char **argv, struct werr *e)
{
	const char *c = argv[0];

	if (!strcmp(c, "id") || !strcmp(c, "version") || !strcmp(c, "repo-stat") || !strcmp(c, "stats-bw"))
		return cmd_node(k, c, e);
	if (!strcmp(c, "rpc") && argc > 1)
		return cmd_rpc(k, argc, argv, e);
	if (!strcmp(c, "swarm-peers")) {
		size_t n;
		int rc = kubo_swarm_peers(k, peer_line, NULL, &n, e);

		if (rc == 0)
			printf("count %zu\n", n);
		return rc;
	}
	if (!strcmp(c, "key-list"))
		return cmd_keys(k, argc, argv, e);
	if (!strcmp(c, "pin-ls"))
		return kubo_pin_ls(k, argc > 1 ? argv[1] : NULL, NULL, pin_line, NULL, e);
	if (argc < 2)
		usage();
	if (!strcmp(c, "add") || !strcmp(c, "add-buf"))
		return cmd_add(k, argc, argv, e);
	if (!strcmp(c, "cat"))
		return kubo_cat(k, argv[1], argc > 2 ? strtoull(argv[2], NULL, 10) : 0,
		    argc > 3 ? strtoll(argv[3], NULL, 10) : -1, out_sink, NULL, e);
	if (!strcmp(c, "get"))
		return argc < 3 ? (usage(), -1) : kubo_get(k, argv[1], argv[2], NULL, NULL, e);
	if (!strcmp(c, "pin-add"))
		return kubo_pin_add(k, argv[1], 1, e);
	if (!strcmp(c, "pin-rm"))
		return kubo_pin_rm(k, argv[1], 1, e);
	if (!strcmp(c, "pin-check")) {
		int pinned;
		char type[16];

		if (kubo_pin_check(k, argv[1], &pinned, type, e) < 0)
			return -1;
		printf("%s %s\n", pinned ? "pinned" : "unpinned", type);
		return 0;
	}
	if (!strcmp(c, "swarm-connect"))
		return kubo_swarm_connect(k, argv[1], e);
	if (!strcmp(c, "dag-import")) {
		struct kubo_import_opts o = { argc > 2 && !strcmp(argv[2], "--no-pin") ? 0 : 1, 0, NULL, NULL };

		return kubo_dag_import(k, open_in(argv[1]), &o, root_line, NULL, e);
	}
	if (!strcmp(c, "dag-export"))
		return kubo_dag_export(k, argv[1], 1, e);
	if (!strncmp(c, "block-", 6))
		return cmd_block(k, argc, argv, e);
	if (!strncmp(c, "files-", 6))
		return cmd_files(k, argc, argv, e);
	if (!strncmp(c, "key-", 4) || !strncmp(c, "name-", 5))
		return cmd_keys(k, argc, argv, e);
	if (!strcmp(c, "pub"))
		return argc < 3 ? (usage(), -1) : kubo_pubsub_pub(k, argv[1], argv[2], strlen(argv[2]), e);
	if (!strcmp(c, "sub"))
		return cmd_sub(k, argc, argv, e);
	if (!strcmp(c, "provide"))
		return kubo_routing_provide(k, argv[1], 0, e);
	usage();
	return -1;
}

/* Decoded comparison, what every caller must do with daemon CIDs. */
static int
cid_equal_cmd(int argc, char **argv)
{
	struct cid a, b;
	struct werr e = { 0 };

	if (argc < 3)
		usage();
	if (cid_parse(argv[1], &a, &e) < 0 || cid_parse(argv[2], &b, &e) < 0) {
		fprintf(stderr, "kubo_probe: %s\n", e.msg);
		return 1;
	}
	return cid_equal(&a, &b) ? 0 : 1;
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = { { "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 } };
	struct werr e = { 0 };
	struct kubo_opts o;
	struct config *cfg;
	struct kubo *k;
	char url[512] = "";
	int ch, rc;

	kubo_opts_default(&o);
	while ((ch = getopt_long(argc, argv, "+a:r:t:l:h", longopts, NULL)) != -1) {
		switch (ch) {
		case 'a': snprintf(url, sizeof url, "%s", optarg); break;
		case 'r': o.retries = atoi(optarg); break;
		case 't': o.timeout_ms = o.transfer_timeout_ms = atol(optarg); break;
		case 'l': o.low_speed_s = atol(optarg); break;
		default: usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 1)
		usage();
	if (strcmp(argv[0], "cid-equal") == 0)
		return cid_equal_cmd(argc, argv);
	if (url[0] == '\0') {
		if ((cfg = config_load(&e)) == NULL || config_api_url(cfg, url, sizeof url, &e) < 0) {
			fprintf(stderr, "kubo_probe: %s\n", e.msg);
			return e.code;
		}
		config_free(cfg);
	}
	if ((k = kubo_new(url, &o, &e)) == NULL) {
		fprintf(stderr, "kubo_probe: %s\n", e.msg);
		return e.code;
	}
	rc = dispatch(k, argc, argv, &e) < 0 ? fail(k, &e) : 0;
	fflush(stdout);
	kubo_free(k);
	return rc;
}
