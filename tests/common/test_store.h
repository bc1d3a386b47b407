/*
 * test_store.h: a flow store of hand-made records for unit tests that
 * need one (tests/detect, tests/features, tests/lookback): a store in a
 * fresh directory under $C2FLOW_TEST_TMP, records built one by one and
 * appended as new segments, and the directory removed at the end.
 * Header-only, as a test helper linked into each test alone.
 */
#ifndef C2FLOW_TEST_STORE_H
#define C2FLOW_TEST_STORE_H

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store.h"

typedef struct test_records {
    flow_record *rec;
    size_t       n, cap;
} test_records;

/* One record src -> dst (IPv4, host order) starting and ending at t,
 * unsampled, from exporter 192.0.2.1; the caller may change any field. */
static inline flow_record *test_record(test_records *r, uint32_t src, uint32_t dst,
                                       uint16_t sport, uint16_t dport, uint8_t proto,
                                       uint8_t flags, uint64_t packets, uint64_t bytes,
                                       int64_t t)
{
    if (r->n == r->cap) {
        r->cap = r->cap ? r->cap * 2 : 1024;
        r->rec = realloc(r->rec, r->cap * sizeof *r->rec);
        assert_non_null(r->rec);
    }
    flow_record *x = &r->rec[r->n++];
    memset(x, 0, sizeof *x);
    flow_addr_from_v4(&x->src_addr, src);
    flow_addr_from_v4(&x->dst_addr, dst);
    x->src_port = sport;
    x->dst_port = dport;
    x->proto = proto;
    x->tcp_flags = flags;
    x->packets = packets;
    x->bytes = bytes;
    x->start_ms = t;
    x->end_ms = t;
    x->sampling = 1;
    flow_addr_from_v4(&x->exporter, 0xc0000201u);      /* 192.0.2.1 */
    return x;
}

/* The records made so far into the store (new segments); they are gone
 * from r after. */
static inline void test_records_flush(test_records *r, store *st)
{
    c2_err err;
    store_writer *wr;
    store_write_stats ws;
    assert_int_equal(store_writer_open(st, &wr, &err), 0);
    assert_int_equal(store_writer_append(wr, r->rec, r->n, &err), 0);
    if (store_writer_close(wr, &ws, &err) != 0) fail_msg("%s", err.msg);
    assert_int_equal(ws.records, r->n);
    r->n = 0;
}

/* A new store, retention 0 (the records are of January 2026), in a fresh
 * directory dir (len bytes) named after prefix; 0 or -1. */
static inline int test_store_make(char *dir, size_t len, const char *prefix, store **st)
{
    c2_err err;
    const char *base = getenv("C2FLOW_TEST_TMP");
    if (!base || !*base) base = "/tmp";
    snprintf(dir, len, "%s/%s-XXXXXX", base, prefix);
    if (c2_mkdir_p(base, C2_SHARED, &err) != 0 || !mkdtemp(dir)) return -1;
    store_options o;
    store_options_default(&o);
    o.retention_ms = 0;
    return store_open(dir, &o, 1, st, &err);
}

static inline int test_remove_entry(const char *path, const struct stat *sb, int flag,
                                    struct FTW *f)
{
    (void)sb; (void)flag; (void)f;
    return remove(path);
}

/* Remove dir and everything under it. */
static inline int test_dir_remove(const char *dir)
{
    return nftw(dir, test_remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

#endif
