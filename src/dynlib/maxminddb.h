/*
 * dynlib/maxminddb.h: <maxminddb.h> through dynlib (see dynlib.h), for the modules
 * that use it.  Include this instead of <maxminddb.h>: it declares the table
 * of the functions c2flow calls and redirects their names to it.  A
 * function not listed here is a link error, which is how a new one is
 * noticed: add it to the list and to the redirections.
 */
#ifndef C2FLOW_DYNLIB_MAXMINDDB_H
#define C2FLOW_DYNLIB_MAXMINDDB_H

#include <maxminddb.h>

#include "dynlib/dynlib.h"

#define DYNLIB_MAXMINDDB_FUNCTIONS(X) \
    X(MMDB_aget_value) \
    X(MMDB_close) \
    X(MMDB_lookup_sockaddr) \
    X(MMDB_open) \
    X(MMDB_strerror)

typedef struct dynlib_maxminddb_api { DYNLIB_MAXMINDDB_FUNCTIONS(DYNLIB_FIELD) } dynlib_maxminddb_api;

#ifndef DYNLIB_NO_REDIRECT
#define DYNLIB_MAXMINDDB(name) DYNLIB_CALL(dynlib_maxminddb_api, DYNLIB_MAXMINDDB, name)
#define MMDB_aget_value DYNLIB_MAXMINDDB(MMDB_aget_value)
#define MMDB_close DYNLIB_MAXMINDDB(MMDB_close)
#define MMDB_lookup_sockaddr DYNLIB_MAXMINDDB(MMDB_lookup_sockaddr)
#define MMDB_open DYNLIB_MAXMINDDB(MMDB_open)
#define MMDB_strerror DYNLIB_MAXMINDDB(MMDB_strerror)
#endif

#endif
