/* assets: see assets.h. The paths are relative to the top of the tree,
 * where make runs the compiler; the Makefile makes this object depend on
 * lib/serve/page/. */
#include "serve/assets.h"

#define EMBED(sym, file) \
	__asm__(".section .rodata\n.balign 16\n.global " #sym "\n" #sym ":\n" \
	        ".incbin \"" file "\"\n.global " #sym "_end\n" #sym "_end:\n.byte 0\n.previous\n"); \
	extern const char sym[], sym##_end[]

EMBED(wanda_page_html, "lib/serve/page/index.html");
EMBED(wanda_openapi_json, "lib/serve/page/openapi.json");
EMBED(wanda_icon_svg, "lib/serve/page/favicon.svg");

struct asset
asset_get(int which)
{
	switch (which) {
	case ASSET_OPENAPI:
		return (struct asset){ wanda_openapi_json,
			(size_t)(wanda_openapi_json_end - wanda_openapi_json), "application/json" };
	case ASSET_ICON:
		return (struct asset){ wanda_icon_svg, (size_t)(wanda_icon_svg_end - wanda_icon_svg),
			"image/svg+xml" };
	default:
		return (struct asset){ wanda_page_html, (size_t)(wanda_page_html_end - wanda_page_html),
			"text/html; charset=utf-8" };
	}
}
