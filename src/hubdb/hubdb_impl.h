/*
 * hubdb_impl.h: what the files of src/hubdb/ share and nobody else sees.
 *
 * Connections: one writer and HUBDB_READERS readers on the same file (WAL
 * lets readers go on while a submission is being written).  A public call
 * enters one connection for its whole length (hubdb_enter_*), which makes
 * it atomic with respect to the others on that connection; the statement
 * helpers below work on the connection the calling thread entered
 * (hubdb_cur), so they need no connection argument.  Statements of fixed
 * text are prepared once per connection and reused (hubdb_prepare, ended
 * by hubdb_done); statements built at run time use hubdb_prepare_dynamic
 * and sqlite3_finalize.
 *
 * Audit events are queued in memory and written by whichever call holds
 * the writer next (at the latest when the database is closed), so that
 * auditing a read never waits for a long submission.
 */
#ifndef C2FLOW_HUBDB_IMPL_H
#define C2FLOW_HUBDB_IMPL_H

#include <pthread.h>
#include <stdatomic.h>

#include "dynlib/sqlite.h"

#include "hubdb/hubdb.h"

#define HUBDB_READERS 4
#define HUBDB_STMT_CACHE 64

typedef struct hubdb_conn {
    sqlite3        *sql;
    pthread_mutex_t lock;
    size_t          ncached;
    const char     *cached_sql[HUBDB_STMT_CACHE]; /* by address of the text */
    sqlite3_stmt   *cached[HUBDB_STMT_CACHE];
} hubdb_conn;

typedef struct hubdb_event {
    int64_t at_us;
    char   *actor, *action, *object, *detail;
} hubdb_event;

struct hubdb {
    hubdb_conn      writer;
    hubdb_conn      readers[HUBDB_READERS];
    atomic_uint     next_reader;
    int64_t         last_added_us;      /* date_added strictly increases */
    pthread_mutex_t audit_lock;         /* the queue below */
    hubdb_event    *events;
    size_t          nevents, capevents;
};

/* The connection the calling thread entered. */
extern _Thread_local hubdb_conn *hubdb_cur;
void hubdb_enter_write(hubdb *db);
void hubdb_enter_read(hubdb *db);
/* Leave the connection entered; leaving the writer writes queued audit
 * events first. */
void hubdb_leave(hubdb *db);

/* Run SQL without results; -1 with "what: sqlite message". */
int hubdb_exec(hubdb *db, const char *sql, const char *what, c2_err *err);
/* Prepare a statement of fixed text (a literal: cached by its address);
 * end its use with hubdb_done.  NULL with err on failure. */
sqlite3_stmt *hubdb_prepare(hubdb *db, const char *sql, c2_err *err);
/* Reset a cached statement for its next use. */
void hubdb_done(sqlite3_stmt *st);
/* Prepare a statement built at run time; the caller finalizes it. */
sqlite3_stmt *hubdb_prepare_dynamic(hubdb *db, const char *sql, c2_err *err);
/* -1 with "what: sqlite message". */
int hubdb_fail(hubdb *db, const char *what, c2_err *err);
/* Step a cached statement that returns no row, then hubdb_done. */
int hubdb_step_done(hubdb *db, sqlite3_stmt *st, const char *what, c2_err *err);
/* A text column as a C string ("" for NULL) copied into buf. */
void hubdb_col_text(sqlite3_stmt *st, int col, char *buf, size_t len);
/* The next date_added: now, or one microsecond after the last one. */
int64_t hubdb_next_added(hubdb *db);

/* Groups of member id into m (ngroups, groups). */
int hubdb_load_groups(hubdb *db, hubdb_member *m, c2_err *err);
/* Publish indicator ind_id in collection c (submit.c). */
int hubdb_publish(hubdb *db, const hubdb_collection *c, int64_t ind_id,
                  hubdb_render_fn render, void *arg, c2_err *err);
/* A category the members reported (column col), where the evaluation
 * gave none: the open intelligence's name wins over the members'. */
void hubdb_reported_category(sqlite3_stmt *st, int col, c2_entry *e);
/* The evaluation and decision columns of an indicator into ind (read.c). */
int hubdb_load_indicator(hubdb *db, int64_t ind_id, hubdb_indicator *ind, c2_err *err);

#endif
