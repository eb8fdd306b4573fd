/* fuzz_announce: libFuzzer target for the discovery message parser. Any
 * input must parse or be refused with a reason; what parses must print
 * and parse back to the same message (a mismatch aborts). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "net/announce.h"

/* libFuzzer calls it; no header declares it */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct announce a, b;
	enum announce_err r;
	char *txt;
	cJSON *o;

	r = announce_parse(data, size, &a, NULL);
	if (r >= AN_NERR)
		abort();
	if (r != AN_OK)
		return 0;
	if ((o = announce_to_json(&a)) == NULL)
		return 0;
	txt = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	if (txt == NULL)
		return 0;
	if (announce_parse(txt, strlen(txt), &b, NULL) != AN_OK || memcmp(&a, &b, sizeof a) != 0)
		abort();
	free(txt);
	return 0;
}
