/*
 * dynlib: the libraries that only some subcommands use, loaded when one of
 * them is first needed instead of when c2flow starts.
 *
 * c2flow is one binary.  Linked the ordinary way, XGBoost, igraph, libcurl,
 * libmicrohttpd, SQLite and libmaxminddb bring 55 shared objects with them
 * (BLAS, LAPACK, ICU, Kerberos, GnuTLS, the C++ runtime ...): every command,
 * even a `c2flow query` that uses none of them, started 25 ms late and with
 * 17 MiB resident before reading a byte.  So these six are opened with
 * dlopen(3), by the SONAME of the Debian package the build was made
 * against, the first time a module asks for one; the rest of the program
 * is linked as usual.
 *
 * A module that uses one of them includes the shim header of that library
 * here (dynlib/xgboost.h, igraph.h, curl.h, mhd.h, sqlite.h, maxminddb.h)
 * instead of the library's own, and calls dynlib_need() in each public
 * function that can be its first use, to turn a missing library into an
 * error message.  The shim redirects the library's function names to a
 * table filled by dlsym, so the calls read as ordinary calls.  A library is
 * loaded once per process (thread-safe) and never unloaded.
 */
#ifndef C2FLOW_DYNLIB_H
#define C2FLOW_DYNLIB_H

#include "util/util.h"

typedef enum dynlib_id {
    DYNLIB_XGBOOST,             /* src/model */
    DYNLIB_IGRAPH,              /* src/detect */
    DYNLIB_CURL,                /* src/hubclient, src/exporter */
    DYNLIB_MHD,                 /* src/collect (/metrics), src/hub */
    DYNLIB_SQLITE,              /* src/hubdb */
    DYNLIB_MAXMINDDB,           /* src/evaluate */
    DYNLIB_COUNT
} dynlib_id;

/* Load the library and every function c2flow calls in it: 0, or -1 with
 * err naming the library and the package that provides it.  Cheap once
 * loaded; a failure is remembered and reported again on every call. */
int dynlib_need(dynlib_id id, c2_err *err);

/* The same, for the shims' redirections: the library's table, loaded if
 * need be.  A failed load returns the table of NULLs, so code that skipped
 * dynlib_need crashes at once rather than running half-loaded. */
void *dynlib_table(dynlib_id id);

/* "libxgboost.so.0" ...: the SONAME opened for id. */
const char *dynlib_soname(dynlib_id id);

/* Shim plumbing: a table field typed like the library's function, and the
 * redirected name: `table(id)->name` once the table is loaded. */
#define DYNLIB_FIELD(name) __typeof__(name) *name;
#define DYNLIB_CALL(type, id, name) (((type *)dynlib_table(id))->name)

#endif
