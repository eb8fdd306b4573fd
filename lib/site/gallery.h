/* gallery: the static pages WANDA puts into IPFS directories: a session's
 * index.html (a self-contained gallery that pages through manifest/NNNN.json)
 * and the node root's index.html (a list of sessions). No build timestamps,
 * no external resources, relative links only: the same input gives the same
 * bytes, and the page works under /ipfs/<cid>/ and /ipns/<name>/. */
#ifndef WANDA_GALLERY_H
#define WANDA_GALLERY_H
#include <stddef.h>
#include <cjson/cJSON.h>
#include "base/werr.h"

/* The session page for session `name`. *out is malloc'd (NUL-terminated). */
int gallery_session_html(const char *name, char **out, size_t *len, struct werr *e);

/* The root page from an index.json object (format wanda-index). */
int gallery_root_html(const cJSON *index, char **out, size_t *len, struct werr *e);

#endif
