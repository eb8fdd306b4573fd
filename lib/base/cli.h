/* cli: the few things every cmd/wanda-X.c does the same way. */
#ifndef WANDA_CLI_H
#define WANDA_CLI_H
#include <stdio.h>
#include "base/config.h"
#include "base/werr.h"

/* The user's character set (LC_CTYPE only: numbers keep the C format),
 * and UTF-8 when that is not UTF-8: names on IPFS are UTF-8, and
 * libarchive refuses names it cannot convert to the locale's charset.
 * First thing in every main(). */
void cli_locale(void);

/* Print "wanda-X (WANDA) VERSION" on stdout. */
void cli_version(const char *prog);

/* The common long options every program accepts, for getopt_long tables:
 *   {"help", no_argument, NULL, 'h'}, {"version", no_argument, NULL, 'V'},
 *   {"jq", required_argument, NULL, 'J'} */
#define CLI_COMMON_LONGOPTS \
	{ "help", no_argument, NULL, 'h' }, \
	    { "version", no_argument, NULL, 'V' }, \
	{ \
		"jq", required_argument, NULL, 'J' \
	}

/* A flag that sets a configuration key (so flag > env > file). */
struct cli_key_opt {
	int ch;          /* getopt_long's value for the flag */
	const char *key; /* the config key it sets */
};
/* config_set() of ch's key in t (ended by { 0, NULL }): 1 done, 0 when ch
 * is not in t, -1 on a bad value. */
int cli_config_opt(struct config *cf, const struct cli_key_opt *t, int ch, const char *arg, struct werr *e);

/* A filter in a pipeline (watch | push | ack) waits for its next input
 * line. If its reader is killed meanwhile, it would learn so only at its
 * next write, which may never come: the stage before it stops emitting
 * once its in-flight entries are all unanswered. cli_input_unbuffered()
 * first (so that poll(2) on fd 0 tells whether a line is waiting), then
 * before each read: 0 when input is readable (or at end), 1 when standard
 * output's reader is gone, -1 on error. */
void cli_input_unbuffered(void);
int cli_wait_input(void);

/* True when fd 2 is a terminal (progress bars only then). */
int cli_stderr_tty(void);

/* Progress bar on stderr: "label [#####     ] 45% 12.3 MiB/s". No-op when
 * stderr is not a terminal. done/total in bytes; total 0 = unknown. */
struct progress {
	const char *label;
	unsigned long long total;
	long long started_ms;
	long long last_ms;
	int enabled;
};
void progress_start(struct progress *p, const char *label, unsigned long long total);
void progress_update(struct progress *p, unsigned long long done);
void progress_end(struct progress *p);

/* The clocks moved to base/clock.h; programs get them here too. */
#include "base/clock.h"

#endif
