/* config: the one parsed configuration a program may hold.
 * Sources, later wins: built-in defaults, the file ($WANDA_CONF, else
 * /etc/wanda/wanda.conf; a missing file is fine, a malformed one is an
 * error naming file and line), environment WANDA_<KEY> (key upper-cased,
 * '-' as '_'), then flags through config_set(). Keys are lower-case words
 * with '_' ("home", "api", "min_free"). File syntax: `key = value`,
 * '#' comments, blank lines. */
#ifndef WANDA_CONFIG_H
#define WANDA_CONFIG_H
#include <stddef.h>
#include <stdint.h>
#include "base/werr.h"

struct config;

struct config *config_load(struct werr *e);
void config_free(struct config *c);

/* NULL when unset. */
const char *config_get(const struct config *c, const char *key);
const char *config_get_or(const struct config *c, const char *key, const char *dflt);
int config_set(struct config *c, const char *key, const char *value, struct werr *e);
/* Call fn for every key that starts with prefix, in the order the keys
 * were first set (remote.NAME.url ... finds the remote targets). */
void config_each(const struct config *c, const char *prefix,
    void (*fn)(void *ctx, const char *key, const char *value), void *ctx);

/* $WANDA_HOME resolved: key "home", else /var/lib/wanda for root,
 * else $XDG_DATA_HOME/wanda or ~/.local/share/wanda. Never NULL. */
const char *config_home(const struct config *c);

/* The Kubo RPC base URL ("http://127.0.0.1:5001"): key "api" (a URL or a
 * multiaddr), else the multiaddr in $IPFS_PATH/api, else 127.0.0.1:5001. */
int config_api_url(const struct config *c, char *buf, size_t len, struct werr *e);

/* Parse helpers shared by flags and config values, with what = the
 * argument's name for the error message. */
int parse_size(const char *s, uint64_t *out, const char *what, struct werr *e);       /* 10M, 1GiB, 512 */
int parse_duration_ms(const char *s, int64_t *out, const char *what, struct werr *e); /* 500ms 30s 5m 2h 1d; bare = s */
int parse_long(const char *s, long lo, long hi, long *out, const char *what, struct werr *e);
int parse_bool(const char *s, int *out, const char *what, struct werr *e); /* yes/no true/false 1/0 */

/* Multiaddr /ip4/A/tcp/P (or /ip6, /dns*) to "http://A:P". */
int multiaddr_to_url(const char *ma, char *buf, size_t len, struct werr *e);

#endif
