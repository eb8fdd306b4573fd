/* assets: the files wanda-serve serves from its own binary: the gallery
 * page (lib/serve/page/index.html), the OpenAPI document and the icon,
 * embedded at build time (.incbin) so nothing is read from a path. */
#ifndef WANDA_ASSETS_H
#define WANDA_ASSETS_H
#include <stddef.h>

struct asset {
	const char *data;
	size_t len;
	const char *type;
};

enum { ASSET_PAGE,
	ASSET_OPENAPI,
	ASSET_ICON,
	ASSET_COUNT };
struct asset asset_get(int which);

#endif
