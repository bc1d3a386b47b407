/*
 * dynlib.c: opening the optional libraries and filling their tables.
 *
 * Each library has a table (a struct of function pointers declared by its
 * shim header from one X-macro list), the list of its function names in
 * the same order, and the SONAME CMake read from the library the build
 * linked against (C2_SONAME_*), so the one opened at run time is the ABI
 * the code was compiled for.  The tables are filled by memcpy of dlsym's
 * answers into consecutive pointer slots: the static assertions below
 * check that a table is exactly its list of pointers.
 *
 * Loading runs once per library, under one lock, so two threads that
 * need a library at the same time load it once; its `loaded` state is set
 * last, after the table, so a thread that sees it set needs no lock.
 * libcurl's global initialisation, which is not thread-safe, happens
 * there too.  A failed load keeps its message and leaves the table zeroed.
 */
#define DYNLIB_NO_REDIRECT
#include "dynlib/dynlib.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "dynlib/curl.h"
#include "dynlib/igraph.h"
#include "dynlib/maxminddb.h"
#include "dynlib/mhd.h"
#include "dynlib/sqlite.h"
#include "dynlib/xgboost.h"

#define NAME(f) #f,

static const char *const xgboost_names[] = {DYNLIB_XGBOOST_FUNCTIONS(NAME)};
static const char *const igraph_names[] = {DYNLIB_IGRAPH_FUNCTIONS(NAME)};
static const char *const curl_names[] = {DYNLIB_CURL_FUNCTIONS(NAME)};
static const char *const mhd_names[] = {DYNLIB_MHD_FUNCTIONS(NAME)};
static const char *const sqlite_names[] = {DYNLIB_SQLITE_FUNCTIONS(NAME)};
static const char *const maxminddb_names[] = {DYNLIB_MAXMINDDB_FUNCTIONS(NAME)};

static dynlib_xgboost_api xgboost_api;
static dynlib_igraph_api igraph_api;
static dynlib_curl_api curl_api;
static dynlib_mhd_api mhd_api;
static dynlib_sqlite_api sqlite_api;
static dynlib_maxminddb_api maxminddb_api;

#define SLOTS(api, names) \
    _Static_assert(sizeof(api) == sizeof(names) / sizeof(names[0]) * sizeof(void *), \
                   #api " is not exactly its list of functions")
SLOTS(xgboost_api, xgboost_names);
SLOTS(igraph_api, igraph_names);
SLOTS(curl_api, curl_names);
SLOTS(mhd_api, mhd_names);
SLOTS(sqlite_api, sqlite_names);
SLOTS(maxminddb_api, maxminddb_names);

static int curl_started(void *api, char *msg, size_t len);

typedef struct library {
    const char        *soname;
    const char        *package;     /* Debian's, for the error message */
    void              *table;
    const char *const *names;
    size_t             count;
    int              (*started)(void *table, char *msg, size_t len);  /* or NULL */
    atomic_int         loaded;      /* 0 not yet, 1 ok, -1 failed: set once */
    char               msg[256];
} library;

#define LIB(so, pkg, api, names, hook) \
    {so, pkg, &api, names, sizeof(names) / sizeof(names[0]), hook, 0, ""}

static library libs[DYNLIB_COUNT] = {
    [DYNLIB_XGBOOST] = LIB(C2_SONAME_XGBOOST, "libxgboost0", xgboost_api, xgboost_names, NULL),
    [DYNLIB_IGRAPH] = LIB(C2_SONAME_IGRAPH, "libigraph3", igraph_api, igraph_names, NULL),
    [DYNLIB_CURL] = LIB(C2_SONAME_CURL, "libcurl3-gnutls", curl_api, curl_names, curl_started),
    [DYNLIB_MHD] = LIB(C2_SONAME_MHD, "libmicrohttpd12", mhd_api, mhd_names, NULL),
    [DYNLIB_SQLITE] = LIB(C2_SONAME_SQLITE, "libsqlite3-0", sqlite_api, sqlite_names, NULL),
    [DYNLIB_MAXMINDDB] = LIB(C2_SONAME_MAXMINDDB, "libmaxminddb0", maxminddb_api,
                             maxminddb_names, NULL),
};

static int curl_started(void *api, char *msg, size_t len)
{
    CURLcode rc = ((dynlib_curl_api *)api)->curl_global_init(CURL_GLOBAL_DEFAULT);
    if (rc == CURLE_OK) return 0;
    snprintf(msg, len, "curl_global_init failed (code %d)", (int)rc);
    return -1;
}

static void load(library *l)
{
    void *h = dlopen(l->soname, RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        snprintf(l->msg, sizeof l->msg, "cannot load %s (Debian package %s): %s", l->soname,
                 l->package, dlerror());
        l->loaded = -1;
        return;
    }
    char *slot = l->table;
    for (size_t i = 0; i < l->count; i++) {
        void *f = dlsym(h, l->names[i]);
        if (!f) {
            snprintf(l->msg, sizeof l->msg, "%s has no %s: not the version c2flow was built for",
                     l->soname, l->names[i]);
            memset(l->table, 0, l->count * sizeof f);
            l->loaded = -1;
            return;                     /* h stays open: dlclose could run its destructors twice */
        }
        memcpy(slot + i * sizeof f, &f, sizeof f);
    }
    char why[200] = "";
    if (l->started && l->started(l->table, why, sizeof why) != 0) {
        snprintf(l->msg, sizeof l->msg, "%s: %s", l->soname, why);
        memset(l->table, 0, l->count * sizeof(void *));
        l->loaded = -1;
        return;
    }
    l->loaded = 1;
}

static pthread_mutex_t loading = PTHREAD_MUTEX_INITIALIZER;

static library *ensure(dynlib_id id)
{
    library *l = &libs[id];
    if (atomic_load_explicit(&l->loaded, memory_order_acquire)) return l;
    pthread_mutex_lock(&loading);
    if (!atomic_load_explicit(&l->loaded, memory_order_relaxed)) load(l);
    pthread_mutex_unlock(&loading);
    return l;
}

int dynlib_need(dynlib_id id, c2_err *err)
{
    if ((unsigned)id >= DYNLIB_COUNT) return c2_fail(err, "dynlib: no library %d", (int)id);
    library *l = ensure(id);
    return l->loaded == 1 ? 0 : c2_fail(err, "%s", l->msg);
}

void *dynlib_table(dynlib_id id)
{
    return ensure(id)->table;
}

const char *dynlib_soname(dynlib_id id)
{
    return (unsigned)id < DYNLIB_COUNT ? libs[id].soname : "";
}
