/* curl_lazy: libcurl, loaded the first time a program calls it.
 *
 * Linked in, libcurl brings some 30 libraries (TLS, Kerberos, LDAP, SSH...)
 * that the dynamic loader maps and relocates before main, whether or not
 * the run talks to anything: `wanda-dag add`, which only hashes, started
 * twice as slowly as wanda-capture for it. So programs are not linked with
 * libcurl; this file defines the part of its API WANDA calls, and each
 * definition opens libcurl.so.4 (once, thread-safely) and forwards. A
 * program that never makes a request never loads it. When it cannot be
 * loaded, the calls fail as libcurl's own do (NULL handle, an error code),
 * so every caller's existing error path reports it. */
#define CURL_DISABLE_TYPECHECK /* the real functions, not the checking macros */
#include <dlfcn.h>
#include <pthread.h>
#include <stdarg.h>
#include <stddef.h>
#include <curl/curl.h>

#define CURL_SONAME "libcurl.so.4"

/* X(return type, name, parameters, arguments, value when not loaded) */
#define CURL_FNS(X) \
	X(CURLcode, curl_global_init, (long flags), (flags), CURLE_FAILED_INIT) \
	X(CURL *, curl_easy_init, (void), (), NULL) \
	X(CURLcode, curl_easy_perform, (CURL * h), (h), CURLE_FAILED_INIT) \
	X(const char *, curl_easy_strerror, (CURLcode c), (c), "libcurl could not be loaded") \
	X(char *, curl_easy_escape, (CURL * h, const char *s, int n), (h, s, n), NULL) \
	X(struct curl_slist *, curl_slist_append, (struct curl_slist * l, const char *s), (l, s), NULL) \
	X(curl_mime *, curl_mime_init, (CURL * h), (h), NULL) \
	X(curl_mimepart *, curl_mime_addpart, (curl_mime * m), (m), NULL) \
	X(CURLcode, curl_mime_name, (curl_mimepart * p, const char *s), (p, s), CURLE_FAILED_INIT) \
	X(CURLcode, curl_mime_filename, (curl_mimepart * p, const char *s), (p, s), CURLE_FAILED_INIT) \
	X(CURLcode, curl_mime_type, (curl_mimepart * p, const char *s), (p, s), CURLE_FAILED_INIT) \
	X(CURLcode, curl_mime_data_cb, \
	    (curl_mimepart * p, curl_off_t n, curl_read_callback r, curl_seek_callback s, \
	        curl_free_callback f, void *arg), \
	    (p, n, r, s, f, arg), CURLE_FAILED_INIT) \
	X(CURLM *, curl_multi_init, (void), (), NULL) \
	X(CURLMcode, curl_multi_cleanup, (CURLM * m), (m), CURLM_INTERNAL_ERROR) \
	X(CURLMcode, curl_multi_add_handle, (CURLM * m, CURL * h), (m, h), CURLM_INTERNAL_ERROR) \
	X(CURLMcode, curl_multi_remove_handle, (CURLM * m, CURL * h), (m, h), CURLM_INTERNAL_ERROR) \
	X(CURLMcode, curl_multi_perform, (CURLM * m, int *n), (m, n), CURLM_INTERNAL_ERROR) \
	X(CURLMcode, curl_multi_poll, \
	    (CURLM * m, struct curl_waitfd * fds, unsigned nfds, int ms, int *n), (m, fds, nfds, ms, n), \
	    CURLM_INTERNAL_ERROR) \
	X(CURLMsg *, curl_multi_info_read, (CURLM * m, int *n), (m, n), NULL)

/* the same for the functions that return nothing: V(name, parameters, arguments) */
#define CURL_VOIDS(V) \
	V(curl_global_cleanup, (void), ()) \
	V(curl_easy_cleanup, (CURL * h), (h)) \
	V(curl_easy_reset, (CURL * h), (h)) \
	V(curl_free, (void *p), (p)) \
	V(curl_slist_free_all, (struct curl_slist * l), (l)) \
	V(curl_mime_free, (curl_mime * m), (m))

static struct {
#define PTR(ret, name, params, args, fail) ret(*name) params;
	CURL_FNS(PTR)
#undef PTR
#define PTR(name, params, args) void(*name) params;
	CURL_VOIDS(PTR)
#undef PTR
	CURLcode (*curl_easy_setopt)(CURL *, CURLoption, ...);
	CURLcode (*curl_easy_getinfo)(CURL *, CURLINFO, ...);
	int ok;
} lib;
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void
load(void)
{
	void *h = dlopen(CURL_SONAME, RTLD_NOW | RTLD_LOCAL);
	int ok = h != NULL;

#define SYM(ret, name, params, args, fail) ok = ok && (*(void **)&lib.name = dlsym(h, #name)) != NULL;
	CURL_FNS(SYM)
#define VSYM(name, params, args) SYM(, name, , , )
	CURL_VOIDS(VSYM)
#undef VSYM
	SYM(, curl_easy_setopt, , , )
	SYM(, curl_easy_getinfo, , , )
#undef SYM
	lib.ok = ok;
}

static int
loaded(void)
{
	pthread_once(&once, load);
	return lib.ok;
}

#define FWD(ret, name, params, args, fail) \
	ret name params \
	{ \
		if (!loaded()) \
			return fail; \
		return lib.name args; \
	}
CURL_FNS(FWD)
#undef FWD
#define FWD(name, params, args) \
	void name params \
	{ \
		if (loaded()) \
			lib.name args; \
	}
CURL_VOIDS(FWD)
#undef FWD

/* The one argument after the option has the type the option's number
 * range says (curl.h: CURLOPTTYPE_*); it is passed on as that type. */
CURLcode
curl_easy_setopt(CURL *h, CURLoption opt, ...)
{
	va_list ap;
	CURLcode rc;

	if (!loaded())
		return CURLE_FAILED_INIT;
	va_start(ap, opt);
	if (opt < CURLOPTTYPE_OBJECTPOINT)
		rc = lib.curl_easy_setopt(h, opt, va_arg(ap, long));
	else if (opt < CURLOPTTYPE_FUNCTIONPOINT)
		rc = lib.curl_easy_setopt(h, opt, va_arg(ap, void *));
	else if (opt < CURLOPTTYPE_OFF_T)
		rc = lib.curl_easy_setopt(h, opt, va_arg(ap, void (*)(void)));
	else if (opt < CURLOPTTYPE_BLOB)
		rc = lib.curl_easy_setopt(h, opt, va_arg(ap, curl_off_t));
	else
		rc = lib.curl_easy_setopt(h, opt, va_arg(ap, void *));
	va_end(ap);
	return rc;
}

/* Every CURLINFO_* takes a pointer to where the answer goes. */
CURLcode
curl_easy_getinfo(CURL *h, CURLINFO info, ...)
{
	va_list ap;
	void *answer;

	va_start(ap, info);
	answer = va_arg(ap, void *);
	va_end(ap);
	return loaded() ? lib.curl_easy_getinfo(h, info, answer) : CURLE_FAILED_INIT;
}
