/* gallery: static pages for session and root directories. The session page
 * is a constant template plus the (escaped) session name: everything else
 * comes from manifest.json at view time, so the page never changes when
 * captures are added and a 20,000-capture session does not mean a
 * 20,000-figure page. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "base/buf.h"
#include "site/gallery.h"
#include "base/json.h"

/* The page is built with every append unchecked; one failure sticks and
 * is reported once, by sb_done. */
struct sbuf {
	struct buf b;
	int oom;
};

static void
sb_add(struct sbuf *b, const char *s, size_t n)
{
	if (!b->oom && buf_add(&b->b, s, n, NULL) < 0)
		b->oom = 1;
}

static void
sb_puts(struct sbuf *b, const char *s)
{
	sb_add(b, s, strlen(s));
}

/* HTML text and attribute escaping (the same for both: & < > " '). */
static void
sb_esc(struct sbuf *b, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '&': sb_puts(b, "&amp;"); break;
		case '<': sb_puts(b, "&lt;"); break;
		case '>': sb_puts(b, "&gt;"); break;
		case '"': sb_puts(b, "&quot;"); break;
		case '\'': sb_puts(b, "&#39;"); break;
		default: sb_add(b, s, 1);
		}
	}
}

/* Percent-encode a path segment for an href (names are [A-Za-z0-9._-] by
 * the format, but never trust that in a link). */
static void
sb_url(struct sbuf *b, const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    c == '-' || c == '.' || c == '_' || c == '~') {
			sb_add(b, s, 1);
		} else {
			char h[4];
			snprintf(h, sizeof h, "%%%02X", c);
			sb_add(b, h, 3);
		}
	}
}

static int
sb_done(struct sbuf *b, char **out, size_t *len, struct werr *e)
{
	if (b->oom || (*out = buf_detach(&b->b, len)) == NULL) {
		buf_free(&b->b);
		return werr_set(e, EX_OSERR, "gallery: out of memory");
	}
	return 0;
}

static const char STYLE[] =
    "<style>\n"
    ":root{color-scheme:dark;--fg:#ddd;--dim:#888;--bg:#0b0d12;--card:#161a22;--acc:#e0a040}\n"
    "*{box-sizing:border-box}\n"
    "body{margin:0;font:15px/1.4 system-ui,sans-serif;color:var(--fg);background:var(--bg)}\n"
    "header{padding:1em 1.5em;border-bottom:1px solid #222}\n"
    "h1{margin:0 0 .2em;font-size:1.4em}h2{font-size:1.05em;color:var(--acc);margin:1.2em 0 .5em}\n"
    "a{color:var(--acc)}main{padding:0 1.5em 2em}.dim{color:var(--dim)}\n"
    ".grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(180px,1fr));gap:10px}\n"
    "figure{margin:0;background:var(--card);border-radius:6px;overflow:hidden}\n"
    "figure img{display:block;width:100%;height:135px;object-fit:cover;background:#000}\n"
    "figure .none{display:flex;height:135px;align-items:center;justify-content:center;color:var(--dim)}\n"
    "figcaption{padding:.4em .5em;font-size:12px}\n"
    "code{font:11px/1.3 ui-monospace,monospace;word-break:break-all;color:var(--dim)}\n"
    "table{border-collapse:collapse}td,th{padding:.3em .8em;text-align:left;border-bottom:1px solid #222}\n"
    "#more{margin:1.5em 0;text-align:center}\n"
    "</style>\n";

/* The viewer: fetch manifest.json, then page after page as the sentinel
 * comes into view; each capture becomes a figure in its hour's group.
 * State goes to data-* attributes of <body> for tests and tools. */
static const char SCRIPT[] =
    "<script>\n"
    "(function(){\n"
    "\"use strict\";\n"
    "var b=document.body,g=document.getElementById(\"gallery\"),more=document.getElementById(\"more\");\n"
    "var man=null,next=0,busy=false,group=\"\",grid=null;\n"
    "function set(k,v){b.setAttribute(\"data-\"+k,String(v));}\n"
    "function inc(k){set(k,Number(b.getAttribute(\"data-\"+k))+1);}\n"
    "function get(p){return fetch(p).then(function(r){\n"
    "  if(!r.ok)throw new Error(p+\": HTTP \"+r.status);return r.json();});}\n"
    "function el(t,c,x){var e=document.createElement(t);if(c)e.className=c;\n"
    "  if(x!==undefined)e.textContent=x;return e;}\n"
    "function hour(t){return t.slice(0,10)+\" \"+t.slice(11,13)+\":00 UTC\";}\n"
    "function add(c){\n"
    "  var h=hour(String(c.captured_at||\"\"));\n"
    "  if(h!==group){group=h;var s=el(\"section\");s.appendChild(el(\"h2\",\"\",h));\n"
    "    grid=el(\"div\",\"grid\");s.appendChild(grid);g.appendChild(s);}\n"
    "  var f=el(\"figure\"),a=el(\"a\");a.href=c.path;a.title=c.file;\n"
    "  if(c.thumb){var i=el(\"img\");i.loading=\"lazy\";i.decoding=\"async\";i.alt=c.id;\n"
    "    i.width=180;i.height=135;i.setAttribute(\"data-cid\",c.cid);\n"
    "    i.onload=function(){inc(\"loaded\");};i.onerror=function(){inc(\"failed\");};\n"
    "    i.src=c.thumb;a.appendChild(i);inc(\"thumbs\");}\n"
    "  else a.appendChild(el(\"span\",\"none\",\"no thumbnail\"));\n"
    "  f.appendChild(a);var cap=el(\"figcaption\");\n"
    "  cap.appendChild(el(\"div\",\"\",String(c.captured_at||\"\").slice(11,19)+\"  \"+c.id));\n"
    "  var k=el(\"code\",\"cid\",c.cid);k.setAttribute(\"data-cid\",c.cid);cap.appendChild(k);\n"
    "  f.appendChild(cap);grid.appendChild(f);inc(\"shown\");}\n"
    "function fail(err){set(\"state\",\"error\");busy=false;\n"
    "  var p=el(\"p\",\"error\",\"Could not load: \"+err.message);g.appendChild(p);}\n"
    "function near(){return more.getBoundingClientRect().top<window.innerHeight*2;}\n"
    "function page(){\n"
    "  if(busy||!man||next>=man.pages.length)return;busy=true;set(\"state\",\"loading\");\n"
    "  get(man.pages[next].path).then(function(p){\n"
    "    p.captures.forEach(add);next++;busy=false;\n"
    "    more.hidden=next>=man.pages.length;set(\"pages\",next);set(\"state\",\"ready\");\n"
    "    if(!more.hidden&&near())page();\n"
    "  }).catch(fail);}\n"
    "more.querySelector(\"button\").onclick=page;\n"
    "if(\"IntersectionObserver\" in window)\n"
    "  new IntersectionObserver(function(es){if(es[0].isIntersecting)page();},\n"
    "    {rootMargin:\"800px\"}).observe(more);\n"
    "get(\"manifest.json\").then(function(m){\n"
    "  man=m;set(\"count\",m.count);\n"
    "  var s=m.count+\" captures\";if(m.first)s+=\", \"+m.first+\" \\u2013 \"+m.last;\n"
    "  document.getElementById(\"summary\").textContent=s;\n"
    "  if(!m.pages.length){set(\"state\",\"ready\");return;}\n"
    "  more.hidden=false;page();\n"
    "}).catch(fail);\n"
    "})();\n"
    "</script>\n";

int
gallery_session_html(const char *name, char **out, size_t *len, struct werr *e)
{
	struct sbuf b = { BUF_INIT, 0 };

	sb_puts(&b, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
	            "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\n<title>");
	sb_esc(&b, name);
	sb_puts(&b, " \xe2\x80\x94 WANDA session</title>\n");
	sb_puts(&b, STYLE);
	sb_puts(&b, "</head>\n<body data-state=\"loading\" data-count=\"0\" data-pages=\"0\" "
	            "data-shown=\"0\" data-thumbs=\"0\" data-loaded=\"0\" data-failed=\"0\">\n<header><h1>");
	sb_esc(&b, name);
	sb_puts(&b, "</h1>\n<p id=\"summary\" class=\"dim\"></p>\n"
	            "<p class=\"dim\"><a href=\"manifest.json\">manifest.json</a> \xc2\xb7 "
	            "<a href=\"images/\">images/</a> \xc2\xb7 <a href=\"thumbs/\">thumbs/</a></p>\n"
	            "<noscript><p>This gallery needs JavaScript; the images are in "
	            "<a href=\"images/\">images/</a>, listed in <a href=\"manifest.json\">manifest.json</a>."
	            "</p></noscript>\n</header>\n<main id=\"gallery\"></main>\n"
	            "<div id=\"more\" hidden><button type=\"button\">More</button></div>\n");
	sb_puts(&b, SCRIPT);
	sb_puts(&b, "</body>\n</html>\n");
	return sb_done(&b, out, len, e);
}

static void
root_row(struct sbuf *b, const cJSON *s)
{
	const char *name = json_str(s, "name"), *cid = json_str(s, "cid");
	const char *first = json_str(s, "first"), *last = json_str(s, "last");
	const cJSON *count = cJSON_GetObjectItemCaseSensitive(s, "count");
	char num[32];

	if (!name || !cid)
		return;
	sb_puts(b, "<tr><td><a href=\"sessions/");
	sb_url(b, name);
	sb_puts(b, "/\">");
	sb_esc(b, name);
	sb_puts(b, "</a></td><td>");
	snprintf(num, sizeof num, "%.0f", cJSON_IsNumber(count) ? count->valuedouble : 0.0);
	sb_puts(b, num);
	sb_puts(b, "</td><td>");
	if (first && last) {
		sb_esc(b, first);
		sb_puts(b, " \xe2\x80\x93 ");
		sb_esc(b, last);
	}
	sb_puts(b, "</td><td><code data-cid=\"");
	sb_esc(b, cid);
	sb_puts(b, "\">");
	sb_esc(b, cid);
	sb_puts(b, "</code></td></tr>\n");
}

int
gallery_root_html(const cJSON *index, char **out, size_t *len, struct werr *e)
{
	struct sbuf b = { BUF_INIT, 0 };
	const cJSON *node = cJSON_GetObjectItemCaseSensitive(index, "node");
	const cJSON *sessions = cJSON_GetObjectItemCaseSensitive(index, "sessions");
	const char *id = json_str(node, "id"), *ipns = json_str(node, "ipns");
	const cJSON *s;

	sb_puts(&b, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
	            "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\n"
	            "<title>WANDA node</title>\n");
	sb_puts(&b, STYLE);
	sb_puts(&b, "</head>\n<body>\n<header><h1>WANDA node</h1>\n<p class=\"dim\">");
	if (id) {
		sb_puts(&b, "peer <code>");
		sb_esc(&b, id);
		sb_puts(&b, "</code>");
	}
	if (ipns) {
		sb_puts(&b, " \xc2\xb7 IPNS <code>");
		sb_esc(&b, ipns);
		sb_puts(&b, "</code>");
	}
	sb_puts(&b, " \xc2\xb7 <a href=\"index.json\">index.json</a></p>\n</header>\n<main>\n"
	            "<table>\n<thead><tr><th>session</th><th>captures</th><th>time (UTC)</th>"
	            "<th>CID</th></tr></thead>\n<tbody>\n");
	cJSON_ArrayForEach(s, sessions)
	    root_row(&b, s);
	sb_puts(&b, "</tbody>\n</table>\n</main>\n</body>\n</html>\n");
	return sb_done(&b, out, len, e);
}
