/*
 * history: the C2 lists detection runs produced, kept one file per run in
 * a directory of the store (STORE/lists/), and what follows from them: the
 * list as of a time, what is new and what is gone between two times, and
 * every detection of one server (docs/list.md).
 *
 * A kept list is a C2 list file (CSV, docs/c2list.md) named after the end
 * of the run's window and its method:
 *     c2-YYYY-MM-DDTHHMMSSZ-METHOD.csv
 * so the directory sorts in time order and a run over the same window by
 * the same method replaces its earlier list.  Lists hold server keys,
 * counts and malware categories only, like every C2 list; this module owns
 * the directory and nothing else.
 */
#ifndef C2FLOW_HISTORY_H
#define C2FLOW_HISTORY_H

#include <stddef.h>
#include <stdint.h>

#include "c2list/c2list.h"
#include "util/util.h"

#define HISTORY_NAME_MAX 96             /* file name, NUL included */

typedef struct history_run {
    int64_t at;                         /* the run's window end, ms UTC (whole seconds) */
    char    method[C2LIST_METHOD_MAX];  /* "graph", "ml", "both", ... */
    char    name[HISTORY_NAME_MAX];     /* file name inside the directory */
} history_run;

/* Keep l as the list of a run whose window ended at `at`, by `method`
 * ([A-Za-z0-9_.+-], 1-15 characters); written atomically, replacing the
 * list of the same time and method.  dir is created when missing. */
int history_save(const char *dir, const c2list *l, int64_t at, const char *method,
                 c2_err *err);

/* Every kept list of dir, oldest first (by time, then method); files of
 * other names are not listed.  A missing dir has none.  Caller frees *out. */
int history_runs(const char *dir, history_run **out, size_t *n, c2_err *err);

/* The run kept last at or before `at` (of method, NULL: any): its index,
 * or -1 when there is none. */
long history_at(const history_run *runs, size_t n, int64_t at, const char *method);

/* Read a kept list; caller frees *out. */
int history_load(const char *dir, const history_run *run, c2list **out, c2_err *err);

#endif
