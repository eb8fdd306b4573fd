/* fuzz_config: libFuzzer target for the wanda.conf parser (config_load on
 * a file holding the input). What it accepts holds only known keys with
 * non-empty values. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "base/config.h"
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char dir[64], path[96];
	static const char *const keys[] = { "home", "api", "min_free", "queue_backoff", "max_pixels", NULL };
	struct werr e = { 0 };
	struct config *c;

	if (dir[0] == '\0') {
		fuzz_tmpdir(dir, sizeof dir, "fuzz_config");
		snprintf(path, sizeof path, "%s/wanda.conf", dir);
		setenv("WANDA_CONF", path, 1);
	}
	if (fuzz_write(path, data, size) < 0)
		return 0;
	if ((c = config_load(&e)) == NULL) {
		if (e.code != EX_CONFIG && e.code != EX_OSERR)
			abort();
		return 0;
	}
	for (int i = 0; keys[i] != NULL; i++) {
		const char *v = config_get(c, keys[i]);
		if (v != NULL && *v == '\0')
			abort();
	}
	config_free(c);
	return 0;
}
