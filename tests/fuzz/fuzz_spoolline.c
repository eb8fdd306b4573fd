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

static struct build_flags fuzz_bf;
static struct jsonl *fuzz_out;

static void
fuzz_spoolline_line(char *line)
{
	struct werr e = { 0 };
	cJSON *in = cJSON_Parse(line);

	if (cJSON_IsObject(in))
		spool_line(&fuzz_bf, in, fuzz_out, &e);
	cJSON_Delete(in);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char home[64];
	char cmd[256];
	FILE *f;

	if (home[0] == '\0') {
		fuzz_tmpdir(home, sizeof home, "fuzz_spoolline");
		snprintf(cmd, sizeof cmd, "%s/spool", home);
		fuzz_bf.b.home = home;
		fuzz_bf.b.strict = 1;
		spool_policy_default(&fuzz_bf.pol);
		if (spool_init(cmd, NULL) < 0 || (fuzz_out = jsonl_open(fopen("/dev/null", "w"), NULL, NULL)) == NULL)
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
	fuzz_decoy_set(home);
	fuzz_lines(data, size, fuzz_spoolline_line);
	snprintf(cmd, sizeof cmd, "%s/events.jsonl", home);
	unlink(cmd);
	fuzz_decoy_check(home);
	return 0;
}
