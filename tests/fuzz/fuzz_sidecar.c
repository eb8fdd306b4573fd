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
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char dir[64];
	char in[128], out[128];
	struct sidecar a, b;
	struct werr e = { 0 };

	fuzz_tmpdir(dir, sizeof dir, "fuzz_sidecar");
	snprintf(in, sizeof in, "%s/in.json", dir);
	snprintf(out, sizeof out, "%s/out.json", dir);
	if (fuzz_write(in, data, size) < 0 || sidecar_read(in, &a, &e) < 0)
		return 0;
	if (sidecar_write(out, &a, &e) < 0 || sidecar_read(out, &b, &e) < 0)
		abort();
	if (strcmp(a.id, b.id) != 0 || strcmp(a.cid, b.cid) != 0 || strcmp(a.thumb, b.thumb) != 0 ||
	    a.bytes != b.bytes)
		abort();
	return 0;
}
