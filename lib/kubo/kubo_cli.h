/* kubo_cli: the daemon flags of every program that talks to Kubo, and the
 * one way to open the client from them.
 *   --api URL           the RPC API (config "api", WANDA_API; flag > env > file)
 *   --timeout DURATION  no more than this of silence, each call within twice
 *                       that, connect within min(it, 5 s) (kubo_opts_for_timeout)
 *   --retries N         extra attempts of idempotent calls (0-100)
 * Put KUBO_CLI_LONGOPTS in the getopt_long table and loop on
 * kubo_cli_getopt(), with the program's flags that set config keys (so
 * that every flag > env > file rule is in one call); it hands back only
 * the program's own options. A program that opens the client
 * itself calls kubo_cli_open(); one whose library opens its own clients
 * hands it kubo_cli_opts() and the URL (config_api_url). */
#ifndef WANDA_KUBO_CLI_H
#define WANDA_KUBO_CLI_H
#include <stddef.h>
#include <stdint.h>
#include <getopt.h>
#include "base/cli.h"
#include "base/config.h"
#include "base/werr.h"
#include "kubo/kubo.h"

enum { KUBO_OPT_API = 0x4b00,
	KUBO_OPT_TIMEOUT,
	KUBO_OPT_RETRIES };
#define KUBO_CLI_LONGOPTS \
	{ "api", required_argument, NULL, KUBO_OPT_API }, \
	    { "timeout", required_argument, NULL, KUBO_OPT_TIMEOUT }, \
	{ \
		"retries", required_argument, NULL, KUBO_OPT_RETRIES \
	}

struct kubo_cli {
	struct config *cf;  /* --api is set here */
	int64_t timeout_ms; /* 0: the client's defaults (kubo_opts_default) */
	long retries;
};
/* The program's defaults: timeout_ms of --timeout (0: the client's
 * defaults), retries of --retries. */
void kubo_cli_init(struct kubo_cli *kc, struct config *cf, int64_t timeout_ms, long retries);
/* The client options the flags give: kubo_opts_for_timeout(--timeout)
 * (kubo_opts_default without one) and --retries. */
void kubo_cli_opts(const struct kubo_cli *kc, struct kubo_opts *ko);
/* getopt_long that takes the daemon flags and keys' flags (may be NULL;
 * cli_config_opt) itself: the
 * next option the program handles, -1 at the end, KUBO_CLI_BAD on a bad
 * value of one it took (e says which, EX_USAGE). */
#define KUBO_CLI_BAD (-2)
int kubo_cli_getopt(struct kubo_cli *kc, const struct cli_key_opt *keys, int argc, char **argv,
    const char *optstring, const struct option *lo, struct werr *e);
/* The client for the configured API URL; url (may be NULL) gets the URL. */
struct kubo *kubo_cli_open(const struct kubo_cli *kc, char *url, size_t len, struct werr *e);

#endif
