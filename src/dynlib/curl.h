/*
 * dynlib/curl.h: <curl/curl.h> through dynlib (see dynlib.h), for the modules
 * that use it.  Include this instead of <curl/curl.h>: it declares the table
 * of the functions c2flow calls and redirects their names to it.  A
 * function not listed here is a link error, which is how a new one is
 * noticed: add it to the list and to the redirections.
 */
#ifndef C2FLOW_DYNLIB_CURL_H
#define C2FLOW_DYNLIB_CURL_H

/* curl.h defines curl_easy_setopt and curl_easy_getinfo as macros too (to
 * check the argument count, and the types with gcc): the shim's own
 * redirections take their place, without the type checks. */
#define CURL_DISABLE_TYPECHECK 1
#include <curl/curl.h>
#undef curl_easy_setopt
#undef curl_easy_getinfo

#include "dynlib/dynlib.h"

#define DYNLIB_CURL_FUNCTIONS(X) \
    X(curl_easy_cleanup) \
    X(curl_easy_getinfo) \
    X(curl_easy_init) \
    X(curl_easy_perform) \
    X(curl_easy_setopt) \
    X(curl_easy_strerror) \
    X(curl_slist_append) \
    X(curl_slist_free_all) \
    X(curl_free) \
    X(curl_url) \
    X(curl_url_cleanup) \
    X(curl_url_get) \
    X(curl_url_set) \
    X(curl_global_init)

typedef struct dynlib_curl_api { DYNLIB_CURL_FUNCTIONS(DYNLIB_FIELD) } dynlib_curl_api;

#ifndef DYNLIB_NO_REDIRECT
#define DYNLIB_CURL(name) DYNLIB_CALL(dynlib_curl_api, DYNLIB_CURL, name)
#define curl_easy_cleanup DYNLIB_CURL(curl_easy_cleanup)
#define curl_easy_getinfo DYNLIB_CURL(curl_easy_getinfo)
#define curl_easy_init DYNLIB_CURL(curl_easy_init)
#define curl_easy_perform DYNLIB_CURL(curl_easy_perform)
#define curl_easy_setopt DYNLIB_CURL(curl_easy_setopt)
#define curl_easy_strerror DYNLIB_CURL(curl_easy_strerror)
#define curl_slist_append DYNLIB_CURL(curl_slist_append)
#define curl_slist_free_all DYNLIB_CURL(curl_slist_free_all)
#define curl_free DYNLIB_CURL(curl_free)
#define curl_url DYNLIB_CURL(curl_url)
#define curl_url_cleanup DYNLIB_CURL(curl_url_cleanup)
#define curl_url_get DYNLIB_CURL(curl_url_get)
#define curl_url_set DYNLIB_CURL(curl_url_set)
#define curl_global_init DYNLIB_CURL(curl_global_init)
#endif

#endif
