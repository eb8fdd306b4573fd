/* fuzz_ack: libFuzzer target for `wanda-queue ack`'s result lines (each
 * input line through ack_one, against a spool with one claimed entry and
 * its sidecar). The command's own code: cmd/wanda-queue.c is included with
 * its main renamed. Whatever a line says, nothing outside the test home is
 * touched (a decoy file beside it must stay as it was). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#define main wanda_queue_main
int wanda_queue_main(int, char **);
#include "../../cmd/wanda-queue.c"
#undef main
#include "base/atomicio.h"
#include "fuzz.h"

#define FUZZ_ACK_ID "20261124T060001.000Z-t-0001"

static void
fuzz_ack_reset(const char *home, const char *spool, const struct spool_claimer *me)
{
	char cmd[512], p[256], sc[256], cur[4096];
	cJSON *entry = NULL;
	FILE *f;

	snprintf(cmd, sizeof cmd, "rm -rf %s/spool/*/* %s/captures", home, home);
	if (system(cmd) != 0)
		abort();
	path_fmt(p, sizeof p, NULL, "%s/captures/s1", home);
	mkdir_p(p, 0755, NULL);
	path_fmt(sc, sizeof sc, NULL, "%s/" FUZZ_ACK_ID ".json", p);
	if ((f = fopen(sc, "w")) == NULL)
		abort();
	fputs("{\"id\":\"" FUZZ_ACK_ID "\",\"session\":\"s1\",\"file\":\"x.jpg\",\"bytes\":1,"
	      "\"cid\":\"bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku\","
	      "\"ipfs\":{\"state\":\"queued\"}}\n",
	    f);
	fclose(f);
	if (spool_add_file(spool, FUZZ_ACK_ID, "capture", "s1", "/nonexistent.jpg", sc,
	        "bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku", NULL) < 0 ||
	    spool_claim(spool, FUZZ_ACK_ID, me, &entry, cur, sizeof cur, NULL) != 1)
		abort();
	cJSON_Delete(entry);
}

static struct opts fuzz_ack_opts;
static struct jsonl *fuzz_ack_out;

static void
fuzz_ack_line(char *line)
{
	struct werr e = { 0 };

	ack_one(&fuzz_ack_opts, fuzz_ack_out, line, &e);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char home[64];
	static struct spool_claimer me;
	struct opts *o = &fuzz_ack_opts;

	if (home[0] == '\0') {
		fuzz_tmpdir(home, sizeof home, "fuzz_ack");
		snprintf(o->spool, sizeof o->spool, "%s/spool", home);
		o->home = home;
		spool_policy_default(&o->pol);
		if (spool_init(o->spool, NULL) < 0 || spool_self(&me, NULL) < 0 ||
		    (fuzz_ack_out = jsonl_open(fopen("/dev/null", "w"), NULL, NULL)) == NULL)
			abort();
	}
	fuzz_decoy_set(home);
	fuzz_ack_reset(home, o->spool, &me);
	fuzz_lines(data, size, fuzz_ack_line);
	fuzz_decoy_check(home);
	return 0;
}
