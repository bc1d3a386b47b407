/*
 * fuzz_c2list.c: libFuzzer target for C2 list files (src/c2list/).
 *
 * Lists travel between ISPs, so any bytes must read as a list or fail with
 * one printable line "line N: reason" and no list.  After a successful
 * read:
 *  - every row passes the schema's ranges (a category of the allowed
 *    characters, holding no address), and c2list_find finds each row
 *    by its key (so keys are unique and the index is whole);
 *  - writing the list as CSV and as JSON Lines and reading each back gives
 *    the same rows, field for field (the two forms lose nothing);
 *  - sorting keeps every row and orders them by score, then key;
 *  - c2list_sniff, which tells lists from threat feeds, says "a list" of
 *    any text that reads as a list with rows.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "c2list/c2list.h"

#define MAX_ROWS 2000

static void check_message(const char *msg)
{
    if (strncmp(msg, "line ", 5) != 0 && strcmp(msg, "out of memory") != 0) abort();
    for (const char *p = msg; *p; p++)
        if (*p < 0x20 || *p > 0x7e) abort();
}

static int same_entry(const c2_entry *a, const c2_entry *b)
{
    return !memcmp(a->ip.b, b->ip.b, 16) && a->port == b->port && a->proto == b->proto &&
           a->first_seen == b->first_seen && a->last_seen == b->last_seen &&
           a->score == b->score && !strcmp(a->method, b->method) && a->group == b->group &&
           a->infected_clients == b->infected_clients && a->clients == b->clients &&
           a->days_seen == b->days_seen && !strcmp(a->category, b->category);
}

static void check_rows(const c2list *l)
{
    for (size_t i = 0; i < c2list_count(l); i++) {
        const c2_entry *e = c2list_get(l, i);
        if (!(e->score >= 0 && e->score <= 100)) abort();
        if (e->first_seen < 0 || e->last_seen < 0) abort();
        if (e->first_seen && e->last_seen && e->last_seen < e->first_seen) abort();
        if (!memchr(e->method, '\0', sizeof e->method)) abort();
        if (!c2list_category_ok(e->category)) abort();
        if (c2list_find(l, &e->ip, e->port, e->proto) != e) abort();
    }
}

static void round_trip(const c2list *l, c2list_format fmt)
{
    char *buf = NULL;
    size_t len = 0;
    c2_err err;
    FILE *f = open_memstream(&buf, &len);
    if (!f || c2list_write(l, f, fmt, &err) != 0) abort();
    fclose(f);
    c2list *back;
    if (c2list_read_mem(buf, len, MAX_ROWS, &back, &err) != 0) {
        fprintf(stderr, "re-read failed: %s\n", err.msg);
        abort();
    }
    if (c2list_count(back) != c2list_count(l)) abort();
    for (size_t i = 0; i < c2list_count(l); i++)
        if (!same_entry(c2list_get(l, i), c2list_get(back, i))) abort();
    c2list_free(back);
    free(buf);
}

static void check_sort(c2list *l)
{
    size_t n = c2list_count(l);
    c2list_sort(l);
    if (c2list_count(l) != n) abort();
    check_rows(l);
    for (size_t i = 1; i < n; i++)
        if (c2list_get(l, i - 1)->score < c2list_get(l, i)->score) abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    c2list *l = (c2list *)&l;
    c2_err err;
    int sniffed = c2list_sniff(NULL, data, size, &err);
    if (sniffed < 0) check_message(err.msg);
    if (c2list_read_mem(data, size, MAX_ROWS, &l, &err) != 0) {
        if (l) abort();
        check_message(err.msg);
        return 0;
    }
    if (!l || c2list_count(l) > MAX_ROWS) abort();
    if (c2list_count(l) && sniffed != 1) abort();
    check_rows(l);
    round_trip(l, C2LIST_CSV);
    round_trip(l, C2LIST_JSONL);
    check_sort(l);
    c2list_free(l);
    return 0;
}
