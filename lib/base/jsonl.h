/* jsonl: the JSON-lines output every WANDA program writes on stdout,
 * optionally reshaped by a jq filter (--jq FILTER, through libjq). */
#ifndef WANDA_JSONL_H
#define WANDA_JSONL_H
#include <stdio.h>
#include <cjson/cJSON.h>
#include "base/werr.h"

struct jsonl;

/* Open an output on `out`. jq_filter may be NULL (print objects as they are).
 * A filter that does not compile is an EX_USAGE error naming --jq. */
struct jsonl *jsonl_open(FILE *out, const char *jq_filter, struct werr *e);

/* Print one object as one line (or every output of the filter, one per
 * line), then flush, so pipelines see each event at once. */
int jsonl_emit(struct jsonl *j, const cJSON *obj, struct werr *e);

/* Same, taking ownership of obj (deleted after printing). */
int jsonl_emit_take(struct jsonl *j, cJSON *obj, struct werr *e);

void jsonl_close(struct jsonl *j);

/* Input lines are bounded: a line on stdin costs at most this much memory. */
#define JSONL_LINE_MAX (1 << 20)
/* getline(3) with that bound: the length of the next line (with its
 * newline) in *buf, -1 at the end; a longer line is read through and
 * dropped: -2 with e saying so (EX_DATAERR), and reading can go on. */
ssize_t jsonl_getline(char **buf, size_t *cap, FILE *f, struct werr *e);

#endif
