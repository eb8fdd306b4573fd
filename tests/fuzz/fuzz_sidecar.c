/* fuzz_sidecar: libFuzzer target for the sidecar reader (sidecar_read on a
 * file holding the input). A sidecar it accepts must write and read back
 * to the same fields. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "spool/sidecar.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char dir[64];
	char in[128], out[128];
	struct sidecar a, b;
	struct werr e = { 0 };
	FILE *f;

	if (dir[0] == '\0') {
		snprintf(dir, sizeof dir, "/tmp/fuzz_sidecar.XXXXXX");
		if (mkdtemp(dir) == NULL)
			abort();
	}
	snprintf(in, sizeof in, "%s/in.json", dir);
	snprintf(out, sizeof out, "%s/out.json", dir);
	if ((f = fopen(in, "w")) == NULL)
		return 0;
	fwrite(data, 1, size, f);
	fclose(f);
	if (sidecar_read(in, &a, &e) < 0)
		return 0;
	if (sidecar_write(out, &a, &e) < 0 || sidecar_read(out, &b, &e) < 0)
		abort();
	if (strcmp(a.id, b.id) != 0 || strcmp(a.cid, b.cid) != 0 || strcmp(a.thumb, b.thumb) != 0 ||
	    a.bytes != b.bytes)
		abort();
	return 0;
}
