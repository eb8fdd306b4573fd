/* kubo_cli: --api, --timeout, --retries and the client they open. */
#include <stdio.h>
#include <sysexits.h>
#include "kubo/kubo_cli.h"

void
kubo_cli_init(struct kubo_cli *kc, struct config *cf, int64_t timeout_ms, long retries)
{
	kc->cf = cf;
	kc->timeout_ms = timeout_ms;
	kc->retries = retries;
}

/* 1 when ch was a daemon flag or one of keys and was taken, 0 when
 * neither, -1 on a bad value (EX_USAGE naming the flag). */
static int
kubo_cli_opt(struct kubo_cli *kc, const struct cli_key_opt *keys, int ch, const char *arg,
    struct werr *e)
{
	switch (ch) {
	case KUBO_OPT_API:
		return config_set(kc->cf, "api", arg, e) < 0 ? -1 : 1;
	case KUBO_OPT_TIMEOUT:
		if (parse_duration_ms(arg, &kc->timeout_ms, "--timeout", e) < 0)
			return -1;
		if (kc->timeout_ms <= 0)
			return werr_set(e, EX_USAGE, "--timeout: must be positive");
		return 1;
	case KUBO_OPT_RETRIES:
		return parse_long(arg, 0, 100, &kc->retries, "--retries", e) < 0 ? -1 : 1;
	default:
		return keys ? cli_config_opt(kc->cf, keys, ch, arg, e) : 0;
	}
}

int
kubo_cli_getopt(struct kubo_cli *kc, const struct cli_key_opt *keys, int argc, char **argv,
    const char *optstring, const struct option *lo, struct werr *e)
{
	int ch, rc;

	while ((ch = getopt_long(argc, argv, optstring, lo, NULL)) != -1) {
		if ((rc = kubo_cli_opt(kc, keys, ch, optarg, e)) < 0)
			return KUBO_CLI_BAD;
		if (rc == 0)
			return ch;
	}
	return -1;
}

void
kubo_cli_opts(const struct kubo_cli *kc, struct kubo_opts *ko)
{
	if (kc->timeout_ms > 0)
		kubo_opts_for_timeout(ko, (long)kc->timeout_ms);
	else
		kubo_opts_default(ko);
	ko->retries = (int)kc->retries;
}

struct kubo *
kubo_cli_open(const struct kubo_cli *kc, char *url, size_t len, struct werr *e)
{
	struct kubo_opts ko;
	char buf[1024];

	if (url == NULL) {
		url = buf;
		len = sizeof buf;
	}
	if (config_api_url(kc->cf, url, len, e) < 0)
		return NULL;
	kubo_cli_opts(kc, &ko);
	return kubo_new(url, &ko, e);
}
