/*
 * import_fuzz.h: what the three import fuzz targets share (not a target:
 * the build globs fuzz_*.c only).
 *
 * Each target hands the bytes to import_parse_buffer() for its format, with
 * a labels table, and checks cheaply what must hold whatever the input:
 * batches of 1..IMPORT_BATCH records, end >= start, sampling 1, ICMP
 * records with source port 0, the reserved byte 0; after a successful
 * parse every line is accounted for (lines = flows + bad + skipped), each
 * flow gave one or two records, the kept bad-line reasons are printable
 * one-liners, and the labels table lists and prints.  A violation aborts,
 * which libFuzzer reports as a crash.
 */
#ifndef C2FLOW_IMPORT_FUZZ_H
#define C2FLOW_IMPORT_FUZZ_H

#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "import/import.h"

static int fuzz_sink(const flow_record *recs, size_t n, void *arg, c2_err *err)
{
    uint64_t *count = arg;
    (void)err;
    if (n < 1 || n > IMPORT_BATCH) abort();
    for (size_t i = 0; i < n; i++) {
        const flow_record *r = &recs[i];
        if (r->end_ms < r->start_ms || r->sampling != 1 || r->reserved != 0)
            abort();
        if ((r->proto == 1 || r->proto == 58) && r->src_port != 0) abort();
    }
    *count += n;
    return 0;
}

static void fuzz_check_stats(const import_stats *st, uint64_t delivered)
{
    uint64_t skipped = 0;
    for (int i = 0; i < IMPORT_SKIP_COUNT; i++) skipped += st->skipped[i];
    if (st->lines != st->flows + st->bad + skipped) abort();
    if (st->records != delivered) abort();
    if (st->records < st->flows || st->records > 2 * st->flows) abort();
    if (st->bad_kept > IMPORT_BAD_KEEP || st->bad_kept > st->bad) abort();
    for (size_t i = 0; i < st->bad_kept; i++) {
        const import_bad_line *b = &st->bad_first[i];
        if (!memchr(b->reason, '\0', sizeof b->reason)) abort();
        for (const char *p = b->reason; *p; p++)
            if (!isprint((unsigned char)*p)) abort();
        if (b->line < 1 || b->line > st->lines) abort();
        if (i > 0 && b->line <= st->bad_first[i - 1].line) abort();
    }
}

static void fuzz_check_labels(const import_labels *labels)
{
    static FILE *devnull;
    import_label *rows;
    size_t n;
    c2_err err;
    if (!devnull && !(devnull = fopen("/dev/null", "w"))) abort();
    if (import_labels_list(labels, &rows, &n, &err) != 0) abort();
    if (n != import_labels_count(labels)) abort();
    for (size_t i = 0; i < n; i++)
        if (!rows[i].label[0] || rows[i].last_ms < rows[i].first_ms ||
            rows[i].connections == 0)
            abort();
    free(rows);
    if (import_labels_write_csv(labels, devnull, &err) != 0) abort();
}

static int fuzz_import(import_format fmt, const uint8_t *data, size_t size)
{
    import_labels *labels;
    import_stats st;
    uint64_t delivered = 0;
    c2_err err;
    if (import_labels_new(&labels, &err) != 0) abort();
    int rc = import_parse_buffer(fmt, (const char *)data, size, fuzz_sink,
                                 &delivered, labels, &st, &err);
    if (rc == 0) {
        fuzz_check_stats(&st, delivered);
        fuzz_check_labels(labels);
    } else if (rc != -1 || !memchr(err.msg, '\0', sizeof err.msg) ||
               strchr(err.msg, '\n')) {
        abort();
    }
    import_labels_free(labels);
    return 0;
}

#endif
