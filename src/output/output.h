/*
 * output: flow records and summary tables as CSV, JSON Lines or a table
 * for people.
 *
 * Two writers share the three formats.  The record writer streams
 * flow_batch columns (millions of rows: it formats numbers, times and IPv4
 * addresses itself into one large buffer, with no allocation or system call
 * per record).  The table writer holds the few rows of a summary (`stat`,
 * aggregates) so that the human table can size its columns to fit.
 * docs/output.md describes every format and record column.
 */
#ifndef C2FLOW_OUTPUT_H
#define C2FLOW_OUTPUT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "flow/flow.h"
#include "util/util.h"

typedef enum output_format {
    OUTPUT_CSV,                 /* header line, RFC 4180 quoting, LF ends */
    OUTPUT_JSONL,               /* one JSON object per line */
    OUTPUT_TABLE,               /* aligned columns under a header */
    OUTPUT_LINE                 /* records as nfdump's "-o line" lays them
                                   out (summary tables: as OUTPUT_TABLE);
                                   not among output_format_lookup's names:
                                   a command that prints records offers it */
} output_format;

/* The columns OUTPUT_LINE prints (it ignores the fields asked for): start,
 * duration, proto, source and destination address and port, packets,
 * bytes, and a flow count of 1. */
#define OUTPUT_LINE_FIELDS                                                   \
    (FLOW_BIT(FLOW_START) | FLOW_BIT(FLOW_END) | FLOW_BIT(FLOW_PROTO) |      \
     FLOW_BIT(FLOW_SRC_ADDR) | FLOW_BIT(FLOW_SRC_PORT) | FLOW_BIT(FLOW_DST_ADDR) | \
     FLOW_BIT(FLOW_DST_PORT) | FLOW_BIT(FLOW_PACKETS) | FLOW_BIT(FLOW_BYTES))

typedef struct output_records output_records;   /* a record writer */
typedef struct output_table output_table;       /* a buffered table */

/* Kinds of table cells: how a value is stored and printed. */
typedef enum output_kind {
    OUTPUT_STRING,              /* text (UTF-8 expected; bytes escaped) */
    OUTPUT_U64,                 /* unsigned count */
    OUTPUT_INT,                 /* signed integer */
    OUTPUT_TIME,                /* ms since epoch UTC; ISO 8601 text */
    OUTPUT_BYTES                /* byte count: exact in CSV and JSON,
                                   "1.2 GiB" in a table */
} output_kind;

typedef struct output_column {
    const char *name;           /* header / JSON key; copied */
    output_kind kind;
} output_column;

/* "csv", "json" or "jsonl", "table": the format, or -1 if unknown. */
int  output_format_lookup(const char *name);
const char *output_format_name(output_format fmt);

/* ---- records ---- */

/* Start writing records to f (borrowed until output_records_end) with the
 * columns of `fields` (FLOW_BIT mask) in flow_field order; CSV writes its
 * header now.  Caller ends with output_records_end(). */
int  output_records_begin(FILE *f, output_format fmt, uint32_t fields,
                          output_records **out, c2_err *err);
/* The same with the columns in the order given (a field given twice is
 * printed once, where it came first), as `query --fields` asks; OUTPUT_LINE
 * keeps its own columns. */
int  output_records_begin_ordered(FILE *f, output_format fmt, const flow_field *order,
                                  size_t n, output_records **out, c2_err *err);
/* Write every row of b; b must hold all the writer's fields.  Output is
 * buffered: a write error may surface on a later call or at the end. */
int  output_records_batch(output_records *w, const flow_batch *b, c2_err *err);
/* Flush (f is flushed, not closed), free the writer, and report any write
 * error.  *rows (may be NULL) gets the number of records written. */
int  output_records_end(output_records *w, uint64_t *rows, c2_err *err);

/* ---- tables ---- */

/* A table of n columns (cols copied).  Caller frees with output_table_free. */
int  output_table_new(const output_column *cols, size_t n, output_table **out,
                      c2_err *err);
void output_table_free(output_table *t);
/* Start a row, then give one cell per column, in column order, with the
 * call matching the column's kind (output_table_null for any kind: empty
 * in CSV, null in JSON, "-" in a table).  Errors (out of memory, wrong kind,
 * wrong cell count) are sticky: output_table_write reports the first. */
void output_table_row(output_table *t);
void output_table_str(output_table *t, const char *s);  /* s copied */
/* an address as a string cell, IPv4 dotted, IPv6 per RFC 5952 */
void output_table_addr(output_table *t, const flow_addr *a);
void output_table_u64(output_table *t, uint64_t v);
void output_table_int(output_table *t, int64_t v);
void output_table_time(output_table *t, int64_t ms);
void output_table_bytes(output_table *t, uint64_t n);
void output_table_null(output_table *t);
size_t output_table_rows(const output_table *t);
/* Write the whole table to f (flushed, not closed); 0 or -1 with err.
 * After output_table_flush calls, writes the rows added since. */
int  output_table_write(const output_table *t, FILE *f, output_format fmt,
                        c2_err *err);
/* For long results: write the complete rows so far and drop them.  CSV
 * writes its header once; the human table fixes its column widths on the
 * rows of the first flush (a wider later cell pushes its line right). */
int  output_table_flush(output_table *t, FILE *f, output_format fmt,
                        c2_err *err);

#endif
