#include "base/buf.h"
#include "base/jsonl.h"
#include <jq.h>
#include <stdlib.h>
#include <string.h>

struct jsonl {
	FILE *out;
	jq_state *jq; /* NULL when no filter */
	char jqerr[200];
};

/* libjq reports compile errors through a callback; keep the first line. */
static void
jq_error_keep(void *data, jv msg)
{
	char *buf = data;

	if (buf[0] == '\0' && jv_get_kind(msg) == JV_KIND_STRING) {
		snprintf(buf, 200, "%s", jv_string_value(msg));
		buf[strcspn(buf, "\n")] = '\0';
	}
	jv_free(msg);
}

struct jsonl *
jsonl_open(FILE *out, const char *jq_filter, struct werr *e)
{
	struct jsonl *j = calloc(1, sizeof *j);

	if (j == NULL) {
		werr_sys(e, EX_OSERR, "jsonl");
		return NULL;
	}
	j->out = out;
	if (jq_filter == NULL)
		return j;
	j->jq = jq_init();
	if (j->jq != NULL)
		jq_set_error_cb(j->jq, jq_error_keep, j->jqerr);
	if (j->jq == NULL || !jq_compile(j->jq, jq_filter)) {
		werr_set(e, EX_USAGE, "--jq: cannot compile filter '%s': %s", jq_filter, j->jqerr);
		jsonl_close(j);
		return NULL;
	}
	return j;
}

static int
emit_filtered(struct jsonl *j, const char *text, struct werr *e)
{
	jv in = jv_parse(text), res;

	if (!jv_is_valid(in)) {
		jv_free(in);
		return werr_set(e, EX_SOFTWARE, "--jq: internal JSON not parseable");
	}
	jq_start(j->jq, in, 0);
	while (jv_is_valid(res = jq_next(j->jq))) {
		jv s = jv_dump_string(res, 0);
		fprintf(j->out, "%s\n", jv_string_value(s));
		jv_free(s);
	}
	if (jv_invalid_has_msg(jv_copy(res))) {
		jv msg = jv_invalid_get_msg(res);
		const char *m = jv_get_kind(msg) == JV_KIND_STRING ?
		    jv_string_value(msg) :
		    "error";
		werr_set(e, EX_DATAERR, "--jq: %s", m);
		jv_free(msg);
		return -1;
	}
	jv_free(res);
	return 0;
}

int
jsonl_emit(struct jsonl *j, const cJSON *obj, struct werr *e)
{
	char *text = cJSON_PrintUnformatted(obj);
	int rc = 0;

	if (text == NULL)
		return werr_set(e, EX_OSERR, "out of memory printing JSON");
	if (j->jq != NULL)
		rc = emit_filtered(j, text, e);
	else
		fprintf(j->out, "%s\n", text);
	free(text);
	if (fflush(j->out) != 0 && rc == 0)
		rc = werr_sys(e, EX_IOERR, "stdout");
	return rc;
}

int
jsonl_emit_take(struct jsonl *j, cJSON *obj, struct werr *e)
{
	int rc = jsonl_emit(j, obj, e);

	cJSON_Delete(obj);
	return rc;
}

void
jsonl_close(struct jsonl *j)
{
	if (j == NULL)
		return;
	if (j->jq != NULL)
		jq_teardown(&j->jq);
	free(j);
}

ssize_t
jsonl_getline(char **buf, size_t *cap, FILE *f, struct werr *e)
{
	size_t n = 0;
	int c = 0, over = 0;

	while ((c = getc(f)) != EOF) {
		/* too long (or no memory): skip to its end */
		if (!over && n + 2 > *cap &&
		    (n + 2 > JSONL_LINE_MAX || buf_grow_array(buf, cap, n + 2, 1, 4096, NULL) < 0))
			over = 1;
		if (!over)
			(*buf)[n] = (char)c;
		n++;
		if (c == '\n')
			break;
	}
	if (n == 0)
		return -1;
	if (over) {
		werr_set(e, EX_DATAERR, "a line of %zu bytes, over the limit of %d", n, JSONL_LINE_MAX);
		return -2;
	}
	(*buf)[n] = '\0';
	return (ssize_t)n;
}
