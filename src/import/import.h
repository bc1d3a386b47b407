/*
 * import: turn flow files that other tools wrote into c2flow flow records.
 *
 * Four formats are read: Zeek conn.log (TSV), Argus binetflow as published
 * with the CTU-13 / Stratosphere captures, nfdump's CSV output, and binary
 * nfdump files (read through the installed `nfdump -r FILE -o csv`).  Their
 * bidirectional connections become the unidirectional records a router
 * would have exported, handed to a sink in batches; labelled captures also
 * fill a table of (responder IP, port, protocol, label) for evaluation.
 * docs/import.md says how every column maps onto flow_record.
 *
 * Parsing is line by line: a file is streamed (it may be gigabytes), a
 * buffer (fuzz targets, tests) is walked in place.  Bad lines are counted
 * and skipped; only an unreadable input, a missing header, a sink error or
 * a failing nfdump stop an import.
 */
#ifndef C2FLOW_IMPORT_H
#define C2FLOW_IMPORT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "flow/flow.h"
#include "util/util.h"

typedef enum import_format {
    IMPORT_ZEEK,                    /* Zeek conn.log, TSV with #fields */
    IMPORT_BINETFLOW,               /* Argus binetflow, tab or comma */
    IMPORT_NFDUMP_CSV,              /* output of `nfdump -o csv` (1.6/1.7) */
    IMPORT_NFDUMP                   /* binary nfdump file, via nfdump(1) */
} import_format;

#define IMPORT_BATCH 4096           /* most records per sink call */

/* Receives recs[0..n) (borrowed for the call; 1 <= n <= IMPORT_BATCH).
 * Return 0 to go on, -1 with err to stop the import. */
typedef int (*import_sink_fn)(const flow_record *recs, size_t n, void *arg,
                              c2_err *err);

/* Why a line gave no record without being bad. */
typedef enum import_skip {
    IMPORT_SKIP_HEADER,             /* header / '#' comment lines */
    IMPORT_SKIP_BLANK,              /* empty lines */
    IMPORT_SKIP_NON_IP,             /* arp, llc, man, rarp, ... (binetflow) */
    IMPORT_SKIP_UNKNOWN_PROTO,      /* protocol name with no number */
    IMPORT_SKIP_TRAILER,            /* nfdump "Summary" block */
    IMPORT_SKIP_COUNT
} import_skip;

#define IMPORT_BAD_KEEP 20          /* bad lines remembered per input */
#define IMPORT_REASON_MAX 96

typedef struct import_bad_line {
    uint64_t line;                  /* 1-based line number */
    char     reason[IMPORT_REASON_MAX]; /* e.g. "bad address in SrcAddr" */
} import_bad_line;

/* What one input gave.  lines = flows + bad + sum(skipped). */
typedef struct import_stats {
    uint64_t lines;                 /* lines read, header included */
    uint64_t flows;                 /* lines that gave records */
    uint64_t records;               /* records handed to the sink */
    uint64_t bad;                   /* lines rejected */
    uint64_t skipped[IMPORT_SKIP_COUNT]; /* lines skipped, by reason */
    size_t   bad_kept;              /* entries used in bad_first */
    import_bad_line bad_first[IMPORT_BAD_KEEP]; /* the first bad lines */
} import_stats;

/* Labels of a labelled capture, keyed on the responder of a connection. */
typedef struct import_labels import_labels;

typedef struct import_label {
    flow_addr   ip;                 /* responder (destination) address */
    uint16_t    port;               /* responder port; ICMP: type<<8|code */
    uint8_t     proto;              /* IP protocol number */
    const char *label;              /* "Malicious-CC"; owned by the table */
    int64_t     first_ms;           /* earliest connection start */
    int64_t     last_ms;            /* latest connection end */
    uint64_t    connections;        /* connections seen with this label */
} import_label;

/* ---- formats and stats ---- */
/* "zeek", "binetflow", "nfdump-csv", "nfdump" -> import_format; -1 unknown. */
int         import_format_lookup(const char *name);
const char *import_format_name(import_format f);
const char *import_skip_name(import_skip s);      /* "non-ip", ... */
/* Add the counters of `s` to `total` (bad_first lists are not merged). */
void        import_stats_add(import_stats *total, const import_stats *s);

/* ---- parsing ----
 * Each call resets *stats, then feeds the sink.  labels may be NULL (labels
 * are then ignored).  Returns 0 when the input was read to its end (bad
 * lines do not count as failure), -1 with err otherwise; records handed to
 * the sink before a failure stay handed. */
int import_parse_buffer(import_format fmt, const char *buf, size_t len,
                        import_sink_fn sink, void *arg, import_labels *labels,
                        import_stats *stats, c2_err *err);
/* Read f to its end, line by line (f is not closed).  Not IMPORT_NFDUMP. */
int import_parse_stream(import_format fmt, FILE *f, import_sink_fn sink,
                        void *arg, import_labels *labels,
                        import_stats *stats, c2_err *err);
/* Open and read path ("-" = stdin).  IMPORT_NFDUMP runs
 * `nfdump -r path -o csv` (found on PATH, TZ=UTC) and parses its output;
 * nfdump's exit status and error output are checked. */
int import_file(import_format fmt, const char *path, import_sink_fn sink,
                void *arg, import_labels *labels, import_stats *stats,
                c2_err *err);

/* ---- labels ---- */
int    import_labels_new(import_labels **out, c2_err *err); /* caller frees */
void   import_labels_free(import_labels *l);
/* Note one connection to ip:port/proto labelled `label` (copied). */
int    import_labels_add(import_labels *l, const flow_addr *ip, uint16_t port,
                         uint8_t proto, const char *label, int64_t start_ms,
                         int64_t end_ms, c2_err *err);
size_t import_labels_count(const import_labels *l);
/* All rows sorted by ip, port, proto, label into *rows (caller frees *rows;
 * label strings are borrowed from l). */
int    import_labels_list(const import_labels *l, import_label **rows,
                          size_t *n, c2_err *err);
/* CSV "ip,port,proto,label,first,last", times UTC ISO 8601, proto as
 * tcp/udp/icmp or its number; rows in import_labels_list order. */
int    import_labels_write_csv(const import_labels *l, FILE *f, c2_err *err);

#endif
