/*
 * dynlib/sqlite.h: <sqlite3.h> through dynlib (see dynlib.h), for the modules
 * that use it.  Include this instead of <sqlite3.h>: it declares the table
 * of the functions c2flow calls and redirects their names to it.  A
 * function not listed here is a link error, which is how a new one is
 * noticed: add it to the list and to the redirections.
 */
#ifndef C2FLOW_DYNLIB_SQLITE_H
#define C2FLOW_DYNLIB_SQLITE_H

#include <sqlite3.h>

#include "dynlib/dynlib.h"

#define DYNLIB_SQLITE_FUNCTIONS(X) \
    X(sqlite3_bind_blob) \
    X(sqlite3_bind_double) \
    X(sqlite3_bind_int) \
    X(sqlite3_bind_int64) \
    X(sqlite3_bind_null) \
    X(sqlite3_bind_text) \
    X(sqlite3_busy_timeout) \
    X(sqlite3_changes) \
    X(sqlite3_clear_bindings) \
    X(sqlite3_close_v2) \
    X(sqlite3_column_blob) \
    X(sqlite3_column_bytes) \
    X(sqlite3_column_double) \
    X(sqlite3_column_int) \
    X(sqlite3_column_int64) \
    X(sqlite3_column_text) \
    X(sqlite3_errmsg) \
    X(sqlite3_exec) \
    X(sqlite3_extended_errcode) \
    X(sqlite3_finalize) \
    X(sqlite3_free) \
    X(sqlite3_get_autocommit) \
    X(sqlite3_last_insert_rowid) \
    X(sqlite3_open_v2) \
    X(sqlite3_prepare_v2) \
    X(sqlite3_prepare_v3) \
    X(sqlite3_reset) \
    X(sqlite3_step)

typedef struct dynlib_sqlite_api { DYNLIB_SQLITE_FUNCTIONS(DYNLIB_FIELD) } dynlib_sqlite_api;

#ifndef DYNLIB_NO_REDIRECT
#define DYNLIB_SQLITE(name) DYNLIB_CALL(dynlib_sqlite_api, DYNLIB_SQLITE, name)
#define sqlite3_bind_blob DYNLIB_SQLITE(sqlite3_bind_blob)
#define sqlite3_bind_double DYNLIB_SQLITE(sqlite3_bind_double)
#define sqlite3_bind_int DYNLIB_SQLITE(sqlite3_bind_int)
#define sqlite3_bind_int64 DYNLIB_SQLITE(sqlite3_bind_int64)
#define sqlite3_bind_null DYNLIB_SQLITE(sqlite3_bind_null)
#define sqlite3_bind_text DYNLIB_SQLITE(sqlite3_bind_text)
#define sqlite3_busy_timeout DYNLIB_SQLITE(sqlite3_busy_timeout)
#define sqlite3_changes DYNLIB_SQLITE(sqlite3_changes)
#define sqlite3_clear_bindings DYNLIB_SQLITE(sqlite3_clear_bindings)
#define sqlite3_close_v2 DYNLIB_SQLITE(sqlite3_close_v2)
#define sqlite3_column_blob DYNLIB_SQLITE(sqlite3_column_blob)
#define sqlite3_column_bytes DYNLIB_SQLITE(sqlite3_column_bytes)
#define sqlite3_column_double DYNLIB_SQLITE(sqlite3_column_double)
#define sqlite3_column_int DYNLIB_SQLITE(sqlite3_column_int)
#define sqlite3_column_int64 DYNLIB_SQLITE(sqlite3_column_int64)
#define sqlite3_column_text DYNLIB_SQLITE(sqlite3_column_text)
#define sqlite3_errmsg DYNLIB_SQLITE(sqlite3_errmsg)
#define sqlite3_exec DYNLIB_SQLITE(sqlite3_exec)
#define sqlite3_extended_errcode DYNLIB_SQLITE(sqlite3_extended_errcode)
#define sqlite3_finalize DYNLIB_SQLITE(sqlite3_finalize)
#define sqlite3_free DYNLIB_SQLITE(sqlite3_free)
#define sqlite3_get_autocommit DYNLIB_SQLITE(sqlite3_get_autocommit)
#define sqlite3_last_insert_rowid DYNLIB_SQLITE(sqlite3_last_insert_rowid)
#define sqlite3_open_v2 DYNLIB_SQLITE(sqlite3_open_v2)
#define sqlite3_prepare_v2 DYNLIB_SQLITE(sqlite3_prepare_v2)
#define sqlite3_prepare_v3 DYNLIB_SQLITE(sqlite3_prepare_v3)
#define sqlite3_reset DYNLIB_SQLITE(sqlite3_reset)
#define sqlite3_step DYNLIB_SQLITE(sqlite3_step)
#endif

#endif
