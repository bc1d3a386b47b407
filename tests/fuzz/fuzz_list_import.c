/*
 * fuzz_list_import.c: libFuzzer target for lists read back from the
 * exchange formats (src/export/import.c): the same bytes as a STIX 2.1
 * bundle, a MISP event file, a Feodo Tracker and a ThreatFox CSV.
 *
 * Any bytes must either be refused with a one-line message and no list, or
 * give a list whose every row passes the list's own checks (a C2 list is
 * what gets searched and shared next; a malware name from the input must
 * have become a valid category), whose count matches the reader's, and
 * which writes out as CSV and reads back to the same rows and categories.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "export/export.h"

static void check_list(const c2list *l, const export_read_stats *st)
{
    if (c2list_count(l) != st->rows) abort();
    char *text = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&text, &len);
    c2_err err;
    if (!m) return;
    if (c2list_write(l, m, C2LIST_CSV, &err) != 0) abort();
    fclose(m);
    c2list *back;
    if (c2list_read_mem(text, len, 0, &back, &err) != 0) abort();
    if (c2list_count(back) != c2list_count(l)) abort();
    for (size_t i = 0; i < c2list_count(l); i++) {
        const c2_entry *e = c2list_get(l, i);
        if (!c2list_category_ok(e->category) ||
            strcmp(c2list_get(back, i)->category, e->category) != 0)
            abort();
    }
    c2list_free(back);
    free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const export_format fmts[] = {EXPORT_STIX21, EXPORT_MISP_FEED, EXPORT_FEODO_CSV,
                                         EXPORT_THREATFOX_CSV};
    for (size_t i = 0; i < sizeof fmts / sizeof fmts[0]; i++) {
        c2list *l;
        export_read_stats st;
        c2_err err;
        if (export_read(data, size, fmts[i], "fuzz", &l, &st, &err) != 0) {
            if (l || !err.msg[0] || strchr(err.msg, '\n')) abort();
            continue;
        }
        check_list(l, &st);
        c2list_free(l);
    }
    return 0;
}
