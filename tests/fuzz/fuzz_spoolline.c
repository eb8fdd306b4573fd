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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char home[64], decoy[96];
	static struct build_flags bf;
	static struct jsonl *out;
	char *text, *line, *save = NULL, cmd[256];
	FILE *f;

	if (home[0] == '\0') {
		snprintf(home, sizeof home, "/tmp/fuzz_spoolline.XXXXXX");
		if (mkdtemp(home) == NULL)
			abort();
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
	if ((f = fopen(decoy, "w")) == NULL)
		abort();
	fputs("{\"keep\":1}\n", f);
	fclose(f);
	if ((text = malloc(size + 1)) == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	for (line = strtok_r(text, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save)) {
		struct werr e = { 0 };
		cJSON *in = cJSON_Parse(line);
		if (cJSON_IsObject(in))
			spool_line(&bf, in, out, &e);
		cJSON_Delete(in);
	}
	free(text);
	snprintf(cmd, sizeof cmd, "%s/events.jsonl", home);
	unlink(cmd);
	{
		char buf[32] = "";
		if ((f = fopen(decoy, "r")) == NULL || fgets(buf, sizeof buf, f) == NULL ||
		    strcmp(buf, "{\"keep\":1}\n") != 0)
			abort();
		fclose(f);
	}
	return 0;
}
