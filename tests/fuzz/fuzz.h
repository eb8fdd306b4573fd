/* fuzz.h: what the libFuzzer targets share: a temporary directory made
 * once per process, the input as a file or as lines, and a decoy file
 * beside the test home that no input may touch. */
#ifndef WANDA_FUZZ_H
#define WANDA_FUZZ_H
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* libFuzzer calls it; each target defines it */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* fuzz_tmpdir: on the first call, /tmp/NAME.XXXXXX made into dir (cap
 * bytes); later calls keep it. Aborts when it cannot be made. */
static inline void
fuzz_tmpdir(char *dir, size_t cap, const char *name)
{
	if (dir[0] != '\0')
		return;
	snprintf(dir, cap, "/tmp/%s.XXXXXX", name);
	if (mkdtemp(dir) == NULL)
		abort();
}

/* fuzz_write: path holds exactly the input; -1 when it cannot be written. */
static inline int
fuzz_write(const char *path, const uint8_t *data, size_t size)
{
	FILE *f = fopen(path, "w");

	if (f == NULL)
		return -1;
	fwrite(data, 1, size, f);
	fclose(f);
	return 0;
}

/* fuzz_lines: fn(line) for each non-empty line of the input. */
static inline void
fuzz_lines(const uint8_t *data, size_t size, void (*fn)(char *))
{
	char *text, *line, *save = NULL;

	if ((text = malloc(size + 1)) == NULL)
		return;
	memcpy(text, data, size);
	text[size] = '\0';
	for (line = strtok_r(text, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save))
		fn(line);
	free(text);
}

#define FUZZ_DECOY "{\"keep\":1}\n"

/* fuzz_decoy_set / fuzz_decoy_check: HOME.decoy.json, beside the test
 * home, a file no input may change (the check aborts when one did). */
static inline void
fuzz_decoy_set(const char *home)
{
	char path[128];

	snprintf(path, sizeof path, "%s.decoy.json", home);
	if (fuzz_write(path, (const uint8_t *)FUZZ_DECOY, strlen(FUZZ_DECOY)) < 0)
		abort();
}

static inline void
fuzz_decoy_check(const char *home)
{
	char path[128], buf[32] = "";
	FILE *f;

	snprintf(path, sizeof path, "%s.decoy.json", home);
	f = fopen(path, "r");
	if (f == NULL || fgets(buf, sizeof buf, f) == NULL || strcmp(buf, FUZZ_DECOY) != 0)
		abort();
	fclose(f);
}
#endif
