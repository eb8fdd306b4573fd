/* fuzz_remote: libFuzzer target for what a remote pinning target answers
 * to a status query: IPFS Cluster's NDJSON of GlobalPinInfo (first byte
 * even) or a Pinning Service API list (odd). Whatever the answer, every
 * state is one of the four words or empty, and every string is bounded. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "remote/remote_int.h"

/* libFuzzer calls it; no header declares it */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const cids[] = {
		"bafkreiaq3ohfaewa6i2fdvdc27umrkkc45vmsofngscnig7zmm7g2umpwe",
		"bafkreigsmheskex6lvky6v64uixa727d36am5pxl3ygpcymu7uwh6iimri",
		"QmUNLLsPACCz1vLxQVkXqqLX5R1X345qqfHbsf67hvA3Nn",
	};
	struct remote_target t;
	struct rstat out[3];
	struct werr e = { 0 };
	char *body;

	if (size < 1)
		return 0;
	memset(&t, 0, sizeof t);
	snprintf(t.name, sizeof t.name, "fuzz");
	t.kind = data[0] % 2 ? REMOTE_PSA : REMOTE_CLUSTER;
	t.rmin = 1 + data[0] / 64;
	if ((body = malloc(size)) == NULL)
		return 0;
	memcpy(body, data + 1, size - 1);
	body[size - 1] = '\0';
	rapi_parse_status(&t, body, cids, 3, out, &e);
	for (int i = 0; i < 3; i++) {
		const char *s = out[i].state;
		if (*s && strcmp(s, "queued") && strcmp(s, "pinning") && strcmp(s, "pinned") && strcmp(s, "failed"))
			abort();
		if (strlen(out[i].error) >= sizeof out[i].error)
			abort();
		cJSON_Delete(out[i].peers);
	}
	free(body);
	return 0;
}
