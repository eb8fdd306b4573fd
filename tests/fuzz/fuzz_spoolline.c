/* fuzz_spoolline: libFuzzer target for the spool lines `wanda-dag session
 * --from-spool` reads (each input line through spool_line, offline: no
 * daemon), against a home with one small session. cmd/wanda-dag.c is
 * included with its main renamed. A decoy file beside the home, which a
 * line may name as its spool_file, must stay as it was. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#define main wanda_dag_main
int wanda_dag_main(int, char **);
#include "../../cmd/wanda-dag.c"
#undef main
#include "base/atomicio.h"
#include "fuzz.h"

struct fuzz_spoolline_ctx {
	struct build_flags *bf;
	struct jsonl *out;
};

static void
fuzz_spoolline_line(void *ctx, char *line)
{
	struct fuzz_spoolline_ctx *c = ctx;
	struct werr e = { 0 };
	cJSON *in = cJSON_Parse(line);

	if (cJSON_IsObject(in))
		spool_line(c->bf, in, c->out, &e);
	cJSON_Delete(in);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char home[64], decoy[96];
	static struct build_flags bf;
	static struct jsonl *out;
	char cmd[256];
	FILE *f;

	if (home[0] == '\0') {
		fuzz_tmpdir(home, sizeof home, "fuzz_spoolline");
		snprintf(decoy, sizeof decoy, "%s.decoy.json", home);
		snprintf(cmd, sizeof cmd, "%s/spool", home);
		bf.b.home = home;
		bf.b.strict = 1;
		spool_policy_default(&bf.pol);
		if (spool_init(cmd, NULL) < 0 || (out = jsonl_open(fopen("/dev/null", "w"), NULL, NULL)) == NULL)
			abort();
		snprintf(cmd, sizeof cmd, "%s/captures/s1", home);
		mkdir_p(cmd, 0755, NULL);
		snprintf(cmd, sizeof cmd, "%s/captures/s1/a.json", home);
		if ((f = fopen(cmd, "w")) == NULL)
			abort();
		fputs("{\"id\":\"a\",\"session\":\"s1\",\"file\":\"a.jpg\",\"bytes\":1,"
		      "\"captured_at\":\"2026-11-24T06:00:00.000Z\","
		      "\"cid\":\"bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku\","
		      "\"thumb\":\"/etc/passwd\",\"ipfs\":{\"state\":\"pinned\"}}\n",
		    f);
		fclose(f);
	}
	fuzz_decoy_set(decoy);
	fuzz_lines(data, size, fuzz_spoolline_line, &(struct fuzz_spoolline_ctx){ &bf, out });
	snprintf(cmd, sizeof cmd, "%s/events.jsonl", home);
	unlink(cmd);
	fuzz_decoy_check(decoy);
	return 0;
}
