/* json: reading one field of a cJSON object, the same way everywhere. A
 * field of the wrong type reads as absent: what comes from a file, a peer
 * or the daemon is checked by the caller, never trusted to have a type. */
#ifndef WANDA_JSON_H
#define WANDA_JSON_H
#include <stddef.h>
#include <stdint.h>
#include <cjson/cJSON.h>

/* The string at key; NULL when absent or not a string. */
const char *json_str(const cJSON *o, const char *key);
/* The same, and NULL for "" too (a field that must say something). */
const char *json_text(const cJSON *o, const char *key);
/* Copy the string at key into dst (cap bytes, truncated); "" when absent. */
void json_copy(char *dst, size_t cap, const cJSON *o, const char *key);
/* A non-negative number, or a string of decimal digits (Kubo sends both);
 * 0 otherwise. */
uint64_t json_u64(const cJSON *o, const char *key);
/* A number; dflt when absent or not a number. */
double json_num(const cJSON *o, const char *key, double dflt);

struct werr;
/* The JSON object in the file at path; NULL (EX_DATAERR "PATH: not a JSON
 * object", or read_file's error) otherwise. */
cJSON *json_read_object(const char *path, struct werr *e);
/* The same, refusing a file over max bytes (read_file_max). */
cJSON *json_read_object_max(const char *path, size_t max, struct werr *e);

#endif
