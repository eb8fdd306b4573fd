/* peerlist: state/peers.json (see peerlist.h). */
#include "base/path.h"
#include "net/peerlist.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <cjson/cJSON.h>
#include <limits.h>
#include "ipld/cid.h"
#include "net/peers.h"

static void
copy_str(char *dst, size_t cap, const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);

	dst[0] = '\0';
	if (cJSON_IsString(v) && strlen(v->valuestring) < cap)
		memcpy(dst, v->valuestring, strlen(v->valuestring) + 1);
}

/* Peer ids and IPNS names go into RPC arguments: plain base58/base36 text only. */
static int
token_ok(const char *s)
{
	if (!*s)
		return 0;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9')))
			return 0;
	return 1;
}

int
peerlist_load(const char *home, struct peer_entry **out, size_t *n, struct werr *e)
{
	char path[PATH_MAX];
	struct stat st;
	size_t cap;
	cJSON *d, *p, *it;
	struct cid id;
	struct werr e2;

	*out = NULL;
	*n = 0;
	if (path_join(path, sizeof path, home, "state/peers.json", e) < 0)
		return -1;
	if (stat(path, &st) < 0)
		return errno == ENOENT ? 0 : werr_sys(e, EX_IOERR, "%s", path);
	if (st.st_size > PEERLIST_MAX_BYTES)
		return werr_set(e, EX_DATAERR, "%s: over %u bytes", path, PEERLIST_MAX_BYTES);
	if (peers_read(path, &d, e) < 0) /* wanda-discover's own reader: the shape check */
		return -1;
	if (!d)
		return 0;
	p = cJSON_GetObjectItemCaseSensitive(d, "peers");
	cap = (size_t)cJSON_GetArraySize(p);
	if ((*out = calloc(cap + 1, sizeof **out)) == NULL) {
		cJSON_Delete(d);
		return werr_set(e, EX_OSERR, "%s: out of memory", path);
	}
	cJSON_ArrayForEach(it, p)
	{
		struct peer_entry *pe = &(*out)[*n];
		copy_str(pe->peer, sizeof pe->peer, it, "peer");
		copy_str(pe->ipns, sizeof pe->ipns, it, "ipns");
		copy_str(pe->root, sizeof pe->root, it, "root");
		copy_str(pe->state, sizeof pe->state, it, "state");
		if (!token_ok(pe->peer))
			continue;
		if (!token_ok(pe->ipns))
			pe->ipns[0] = '\0';
		if (pe->root[0] && cid_parse(pe->root, &id, &e2) < 0)
			pe->root[0] = '\0';
		(*n)++;
	}
	cJSON_Delete(d);
	return 0;
}

int
peer_allowed(const char *allow, const char *peer)
{
	size_t pl = strlen(peer);
	const char *s = allow;

	if (!allow || !*allow || strspn(allow, " ,\t") == strlen(allow))
		return 1;
	while (*s) {
		size_t skip = strspn(s, " ,\t"), len;
		s += skip;
		len = strcspn(s, " ,\t");
		if (len == pl && strncmp(s, peer, len) == 0)
			return 1;
		s += len;
	}
	return 0;
}
