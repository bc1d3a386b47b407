/*
 * fuzz_submission.c: libFuzzer target for hub submissions
 * (src/submission/, submission_parse).
 *
 * The first byte picks the declared format (auto, CSV, JSON Lines, STIX
 * 2.1, modulo 4); the rest of the input is the body.  Any body must either be
 * refused with a one-line message that says where (row, header, object or
 * body) and no list, or give a list every row of which passes the
 * submission's own row checks (a public address, a port that fits the
 * protocol, sane times) and that writes out as CSV and reads back to the
 * same number of rows: what the hub stores must be a C2 list.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "submission/submission.h"

static void check_list(const c2list *l, const submission_limits *lim)
{
    c2_err err;
    if (c2list_count(l) > lim->max_rows) abort();
    for (size_t i = 0; i < c2list_count(l); i++)
        if (submission_row_check(c2list_get(l, i), lim, &err) != 0) abort();
    char *text = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&text, &len);
    if (!m) return;
    if (c2list_write(l, m, C2LIST_CSV, &err) != 0) abort();
    fclose(m);
    c2list *back;
    if (c2list_read_mem(text, len, 0, &back, &err) != 0) abort();
    if (c2list_count(back) != c2list_count(l)) abort();
    c2list_free(back);
    free(text);
}

static int says_where(const char *msg)
{
    return !strncmp(msg, "row ", 4) || !strncmp(msg, "header", 6) ||
           !strncmp(msg, "object ", 7) || !strncmp(msg, "body: ", 6);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) return 0;
    submission_limits lim;
    submission_limits_default(&lim);
    lim.now_ms = c2_days_from_civil(2026, 12, 6) * C2_MS_PER_DAY;  /* no clock: reproducible */
    lim.max_rows = 64;
    lim.max_bytes = 1 << 20;
    submission_format fmt = (submission_format)(data[0] % 4);
    c2list *l = (c2list *)&lim;
    c2_err err = {{0}};
    if (submission_parse(data + 1, size - 1, fmt, &lim, &l, &err) != 0) {
        if (l || !err.msg[0] || strchr(err.msg, '\n') || !says_where(err.msg)) abort();
        return 0;
    }
    check_list(l, &lim);
    c2list_free(l);
    return 0;
}
