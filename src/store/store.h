/*
 * store: where flow records live between collection and analysis.
 *
 * This header is the whole seam between c2flow and its storage: append
 * records, scan columns of a time range with a pushed-down predicate, keep
 * the store inside its retention period, and verify it.  Nothing outside
 * src/store/ may know how records sit on disk; a ClickHouse backend can be
 * put behind these same calls.
 *
 * The file backend (the only one today) keeps columnar, zstd-compressed,
 * time-sliced segment files under STORE/YYYY/MM/DD/; docs/store-format.md
 * describes the bytes.  Segments are written under a temporary name and
 * renamed when complete, so readers never see a half-written segment and a
 * killed writer loses only the slices it had open.
 *
 * Threads: a store handle may be shared by one writer and many scans; each
 * writer and each scan belongs to one thread at a time.
 */
#ifndef C2FLOW_STORE_H
#define C2FLOW_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "flow/flow.h"
#include "util/util.h"

typedef struct store store;                 /* an open store */
typedef struct store_writer store_writer;   /* appends records */
typedef struct store_scan store_scan;       /* reads records back */

typedef struct store_options {
    int64_t  slice_ms;          /* time slice per segment; default 5 min */
    int64_t  retention_ms;      /* keep this long; 0 = forever; default 30 d */
    int      zstd_level;        /* compression level; default 3 */
    uint32_t block_records;     /* records per block; default 65536 */
    uint32_t max_open_slices;   /* slices a writer keeps open; default 8 */
    int64_t  now_ms;            /* clock for retention; 0 = wall clock */
} store_options;

void store_options_default(store_options *o);

/* Open the store in `dir`; with `create`, make the directory if missing.
 * The options are copied.  Caller closes with store_close(). */
int  store_open(const char *dir, const store_options *opt, int create,
                store **out, c2_err *err);
void store_close(store *s);
const char *store_path(const store *s);
/* The options the store was opened with (borrowed for its lifetime). */
const store_options *store_get_options(const store *s);

/* ---- writing ---- */

typedef struct store_write_stats {
    uint64_t records;           /* records written into sealed segments */
    uint64_t expired;           /* records older than retention, not stored */
    uint64_t segments;          /* segments sealed */
    uint64_t bytes;             /* bytes of sealed segments */
} store_write_stats;

int  store_writer_open(store *s, store_writer **out, c2_err *err);
/* Copy n records in.  Records go to the slice of their start time; they may
 * arrive in any order.  On error nothing already sealed is lost. */
int  store_writer_append(store_writer *w, const flow_record *recs, size_t n,
                         c2_err *err);
/* Seal every open slice that ends at or before `before_ms` (a collector
 * calls this as its clock passes slice ends; INT64_MAX seals everything).
 * A slice that cannot be sealed stays open and the others are still
 * sealed; the first error is returned. */
int  store_writer_seal(store_writer *w, int64_t before_ms, c2_err *err);
/* The same, but only the slices that have taken no record for quiet_ms
 * (by the writer's clock), or have been open for longer than a slice and
 * quiet_ms together: a collector fed old records (a replay, a router with
 * a wrong clock) then makes one segment per slice, not one per call, and a
 * slice still cannot stay open for ever. */
int  store_writer_seal_quiet(store_writer *w, int64_t before_ms, int64_t quiet_ms,
                             c2_err *err);
/* Seal everything that can be sealed, free the writer, and report what
 * was written; records of slices that could not be sealed are lost, and
 * the error says which. */
int  store_writer_close(store_writer *w, store_write_stats *stats, c2_err *err);
/* Drop the writer without sealing (its temporary files are removed). */
void store_writer_abort(store_writer *w);
void store_writer_stats(const store_writer *w, store_write_stats *stats);

/* ---- reading ---- */

/* What a segment's or block's footer says of its records, before reading
 * them: per-field minimum and maximum. */
typedef struct store_zone {
    uint64_t   records;
    flow_value min[FLOW_FIELD_COUNT];
    flow_value max[FLOW_FIELD_COUNT];
} store_zone;

/* Return 0 when no record of `zone` can match (skip it), 1 otherwise, or
 * STORE_ZONE_ALL when every record of it matches the scan's `match`
 * (which then is not run on its records). */
typedef int (*store_zone_pred)(const store_zone *zone, void *arg);
#define STORE_ZONE_ALL 2

/* keep[i] = 1 when row i of b is wanted, else 0, for i < b->count.  b
 * holds the columns of store_scan_spec.match_fields.  Called from the
 * scan's threads, several at once: it must only read shared state. */
typedef void (*store_row_pred)(const flow_batch *b, uint8_t *keep, void *arg);

typedef struct store_scan_spec {
    int64_t  from_ms;           /* start_ms >= from_ms (C2_TIME_MIN: open) */
    int64_t  to_ms;             /* start_ms <  to_ms   (C2_TIME_MAX: open) */
    uint32_t fields;            /* FLOW_BIT mask of columns to read */
    store_zone_pred prune;      /* optional; may skip segments and blocks */
    void    *prune_arg;
    /* Optional: return only the rows `match` keeps.  The scan decodes the
     * match_fields columns of a block first, and the other columns only
     * for the rows kept (none at all when no row is), so a selective
     * filter costs little more than reading its own columns.  A block
     * whose match columns keep nothing is skipped without reading its
     * other columns, as a pruned block is: damage there goes unnoticed
     * (store_check finds it). */
    store_row_pred match;
    uint32_t match_fields;      /* FLOW_BIT mask of the columns match reads */
    void    *match_arg;
    /* Threads that decode blocks ahead of the caller, each block on one
     * of them; batches still come in store order.  0: the caller's own
     * thread decodes each block inside store_scan_next. */
    unsigned threads;
} store_scan_spec;

typedef struct store_scan_stats {
    uint64_t segments;          /* segments in the time range */
    uint64_t segments_pruned;   /* skipped by zone */
    uint64_t blocks;            /* blocks considered */
    uint64_t blocks_pruned;     /* skipped by zone */
    uint64_t blocks_damaged;    /* failed checksum or decoding */
    uint64_t records;           /* records returned (after match) */
    uint64_t bytes_read;        /* compressed bytes read from disk */
} store_scan_stats;

int  store_scan_open(store *s, const store_scan_spec *spec, store_scan **out,
                     c2_err *err);
/* Next batch of records, columns per spec.fields (and match_fields), in
 * store order, only rows that `match` keeps.  Returns 1 with *batch
 * (borrowed until the next call; the caller may select or reorder its
 * rows, e.g. with flow_batch_select), 0 at the end, -1 when a block is
 * damaged: err names the file and block, and the next call continues after
 * it. */
int  store_scan_next(store_scan *sc, flow_batch **batch, c2_err *err);
void store_scan_get_stats(const store_scan *sc, store_scan_stats *stats);
void store_scan_close(store_scan *sc);

/* ---- the store as a whole ---- */

typedef struct store_info {
    uint64_t segments;
    uint64_t records;
    uint64_t bytes;             /* bytes of segment files on disk */
    int64_t  first_ms, last_ms; /* smallest start, largest end */
    uint64_t unreadable;        /* segments whose footer could not be read */
} store_info;

/* Per segment; path borrowed for the call. */
typedef void (*store_segment_fn)(const char *path, const store_zone *zone,
                                 uint64_t bytes, void *arg);
/* Sum up the store from segment footers (cheap: no column is read).  Calls
 * fn per segment when given, in time order. */
int  store_inventory(store *s, store_info *info, store_segment_fn fn,
                     void *arg, c2_err *err);

/* Delete segments whose slice ended before now - retention.  *removed gets
 * the count.  Retention 0 removes nothing. */
int  store_apply_retention(store *s, uint64_t *removed, c2_err *err);

typedef struct store_check_report {
    uint64_t segments, segments_bad;
    uint64_t blocks, blocks_bad;
    uint64_t records;           /* records in readable blocks */
    uint64_t temp_files;        /* leftovers of killed writers */
} store_check_report;
/* One call per problem found: path, block (-1 = whole file), message. */
typedef void (*store_problem_fn)(const char *path, long block,
                                 const char *msg, void *arg);
/* Read and verify every segment: checksums, decoding, footer zones.
 * Returns 0 when the walk completed (problems go to fn and the report). */
int  store_check(store *s, store_check_report *rep, store_problem_fn fn,
                 void *arg, c2_err *err);

/* ---- small state files ----
 * Named blobs kept beside the segments (the collector's templates), in
 * STORE/state/NAME.  A put writes the whole blob under a temporary name,
 * fsyncs and renames it, so a reader sees the old blob or the new one,
 * never half of one.  NAME is 1 to 64 of [a-z0-9_.-], not starting with
 * '.'.  Blobs are at most STORE_STATE_MAX bytes. */
#define STORE_STATE_MAX (64u << 20)
int  store_state_put(store *s, const char *name, const void *buf, size_t len,
                     c2_err *err);
/* 1 with *buf (malloc'ed; caller frees) and *len, 0 when there is no such
 * blob, -1 on error. */
int  store_state_get(store *s, const char *name, uint8_t **buf, size_t *len,
                     c2_err *err);

#endif
