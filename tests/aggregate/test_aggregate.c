/*
 * test_aggregate.c: grouping, masks, bins, orders, top N, distinct counts
 * and spilling of src/aggregate, and the parsers of -A / -s / --distinct /
 * --bin.
 *
 * Small hand-made cases check exact figures.  The larger cases compare the
 * module with a naive reference written here (sort the records by key,
 * sum each run, sort the groups by the order): the same random records
 * must give the same rows, row for row, with a budget far above the need
 * and with budgets small enough to spill once and to spill partitions
 * again.  Spills go to a private directory that must stay empty.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "aggregate/aggregate.h"

/* ---- helpers ---- */

static char spill_dir[512];

static int setup_dir(void **state)
{
    (void)state;
    const char *base = getenv("C2FLOW_TEST_TMP");
    if (!base || !*base) base = "/tmp";
    char cmd[600];
    snprintf(cmd, sizeof cmd, "mkdir -p '%s'", base);
    if (system(cmd) != 0) return -1;
    snprintf(spill_dir, sizeof spill_dir, "%s/agg-XXXXXX", base);
    return mkdtemp(spill_dir) ? 0 : -1;
}

static int teardown_dir(void **state)
{
    (void)state;
    rmdir(spill_dir);
    return 0;
}

static int dir_entries(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) return -1;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) n++;
    closedir(d);
    return n;
}

static flow_addr addr(const char *s)
{
    flow_addr a;
    assert_int_equal(flow_addr_parse(s, &a), 0);
    return a;
}

/* A record with the fields the tests vary; the rest fixed. */
static flow_record rec(const char *src, const char *dst, uint16_t dport,
                       uint8_t proto, int64_t start, int64_t dur,
                       uint64_t packets, uint64_t bytes)
{
    flow_record r;
    memset(&r, 0, sizeof r);
    r.src_addr = addr(src);
    r.dst_addr = addr(dst);
    r.exporter = addr("192.0.2.1");
    r.src_port = 40000;
    r.dst_port = dport;
    r.proto = proto;
    r.start_ms = start;
    r.end_ms = start + dur;
    r.packets = packets;
    r.bytes = bytes;
    r.sampling = 1;
    return r;
}

static void batch_of(flow_batch *b, const flow_record *r, size_t n)
{
    assert_int_equal(flow_batch_init(b, n ? n : 1, FLOW_ALL_FIELDS), 0);
    for (size_t i = 0; i < n; i++) flow_batch_put(b, &r[i]);
}

typedef struct rows {
    agg_row *v;
    size_t n, cap;
    size_t stop_after;              /* 0: never stop */
} rows;

static int collect(const agg_row *row, void *arg)
{
    rows *r = arg;
    if (r->n == r->cap) {
        r->cap = r->cap ? 2 * r->cap : 64;
        r->v = realloc(r->v, r->cap * sizeof *r->v);
        assert_non_null(r->v);
    }
    r->v[r->n++] = *row;
    return r->stop_after && r->n == r->stop_after ? 7 : 0;
}

/* Aggregate b (keep may be NULL) under spec into out; returns stats. */
static agg_stats run(const agg_spec *spec, const flow_batch *b, const uint8_t *keep,
                     rows *out)
{
    aggregate *a;
    c2_err err = {{0}};
    if (agg_new(spec, &a, &err) != 0) fail_msg("agg_new: %s", err.msg);
    /* in slices, as a store scan would hand them over */
    size_t step = 1000;
    flow_batch part = *b;
    for (size_t at = 0; at < b->count; at += step) {
        size_t n = b->count - at < step ? b->count - at : step;
        part.count = n;
        part.start_ms = b->start_ms + at; part.end_ms = b->end_ms + at;
        part.exporter = b->exporter + at; part.src_addr = b->src_addr + at;
        part.dst_addr = b->dst_addr + at; part.packets = b->packets + at;
        part.bytes = b->bytes + at; part.domain = b->domain + at;
        part.in_if = b->in_if + at; part.out_if = b->out_if + at;
        part.sampling = b->sampling + at; part.src_as = b->src_as + at;
        part.dst_as = b->dst_as + at; part.src_port = b->src_port + at;
        part.dst_port = b->dst_port + at; part.proto = b->proto + at;
        part.tcp_flags = b->tcp_flags + at; part.tos = b->tos + at;
        if (agg_add(a, &part, keep ? keep + at : NULL, &err) != 0)
            fail_msg("agg_add: %s", err.msg);
    }
    if (spec->spill_dir) assert_int_equal(dir_entries(spec->spill_dir), 0);
    memset(out, 0, sizeof *out);
    int rc = agg_finish(a, collect, out, &err);
    if (rc != 0) fail_msg("agg_finish: %d %s", rc, err.msg);
    agg_stats st;
    agg_get_stats(a, &st);
    agg_free(a);
    if (spec->spill_dir) assert_int_equal(dir_entries(spec->spill_dir), 0);
    return st;
}

static void spec_init(agg_spec *s, const char *keys)
{
    memset(s, 0, sizeof *s);
    c2_err err;
    if (keys && agg_parse_keys(keys, s, &err) != 0) fail_msg("%s", err.msg);
    s->spill_dir = spill_dir;
}

static const char *fmt_addr(const flow_value *v, char *buf)
{
    return flow_addr_format(&v->a, buf, FLOW_ADDR_STRLEN);
}

/* ---- parsing ---- */

static void test_parse_keys(void **state)
{
    (void)state;
    agg_spec s;
    c2_err err;
    memset(&s, 0, sizeof s);
    assert_int_equal(agg_parse_keys("srcip,dstport", &s, &err), 0);
    assert_int_equal(s.nkeys, 2);
    assert_int_equal(s.keys[0].field, FLOW_SRC_ADDR);
    assert_int_equal(s.keys[1].field, FLOW_DST_PORT);
    assert_int_equal(agg_parse_keys(" src_ip , proto ,TOS", &s, &err), 0);
    assert_int_equal(s.nkeys, 3);
    assert_int_equal(s.keys[2].field, FLOW_TOS);
    assert_int_equal(agg_parse_keys("srcip/24", &s, &err), 0);
    assert_int_equal(s.nkeys, 1);
    assert_int_equal(s.keys[0].prefix4, 24);
    assert_int_equal(s.keys[0].prefix6, 0);
    assert_int_equal(agg_parse_keys("dstip6/64", &s, &err), 0);
    assert_int_equal(s.keys[0].field, FLOW_DST_ADDR);
    assert_int_equal(s.keys[0].prefix4, 0);
    assert_int_equal(s.keys[0].prefix6, 64);
    /* nfdump: the two families of one field make one key */
    assert_int_equal(agg_parse_keys("srcip4/24,srcip6/64,dstport", &s, &err), 0);
    assert_int_equal(s.nkeys, 2);
    assert_int_equal(s.keys[0].prefix4, 24);
    assert_int_equal(s.keys[0].prefix6, 64);
    assert_int_equal(agg_parse_keys("srcas,dstas,inif,outif,flags,router,srctos", &s, &err), 0);
    assert_int_equal(s.keys[0].field, FLOW_SRC_AS);
    assert_int_equal(s.keys[3].field, FLOW_OUT_IF);
    assert_int_equal(s.keys[4].field, FLOW_TCP_FLAGS);
    assert_int_equal(s.keys[5].field, FLOW_EXPORTER);
    assert_int_equal(s.keys[6].field, FLOW_TOS);
    assert_int_equal(agg_parse_keys("exporter/16", &s, &err), 0);
    assert_int_equal(s.keys[0].prefix4, 16);

    /* errors leave the spec alone and say what is wrong */
    assert_int_equal(agg_parse_keys("srcip", &s, &err), 0);
    assert_int_equal(agg_parse_keys("nonsense", &s, &err), -1);
    assert_non_null(strstr(err.msg, "unknown field 'nonsense'"));
    assert_int_equal(s.nkeys, 1);
    assert_int_equal(agg_parse_keys("srcip/33", &s, &err), -1);
    assert_non_null(strstr(err.msg, "srcip6/33"));
    assert_int_equal(agg_parse_keys("srcip4/33", &s, &err), -1);
    assert_non_null(strstr(err.msg, "1..32"));
    assert_int_equal(agg_parse_keys("srcip6/129", &s, &err), -1);
    assert_non_null(strstr(err.msg, "1..128"));
    assert_int_equal(agg_parse_keys("srcip/0", &s, &err), -1);
    assert_int_equal(agg_parse_keys("srcip/x", &s, &err), -1);
    assert_int_equal(agg_parse_keys("srcip/", &s, &err), -1);
    assert_int_equal(agg_parse_keys("dstport/8", &s, &err), -1);
    assert_non_null(strstr(err.msg, "only addresses"));
    assert_int_equal(agg_parse_keys("", &s, &err), -1);
    assert_int_equal(agg_parse_keys("srcip,,dstip", &s, &err), -1);
    assert_int_equal(agg_parse_keys("srcip,", &s, &err), -1);
    assert_int_equal(agg_parse_keys("srcip,src_ip", &s, &err), -1);
    assert_non_null(strstr(err.msg, "repeats"));
    assert_int_equal(agg_parse_keys("srcip4/24,srcip4/16", &s, &err), -1);
    assert_int_equal(agg_parse_keys("ip", &s, &err), -1);
    assert_non_null(strstr(err.msg, "both directions"));
    assert_int_equal(agg_parse_keys("proto4", &s, &err), -1);
    assert_int_equal(agg_parse_keys("srcip,dstip,srcport,dstport,proto,tos,srcas,dstas,inif",
                                    &s, &err), -1);
    assert_non_null(strstr(err.msg, "at most 8"));
    assert_int_equal(s.nkeys, 1);
    assert_int_equal(s.keys[0].field, FLOW_SRC_ADDR);
}

static void test_parse_stat_and_more(void **state)
{
    (void)state;
    agg_spec s;
    c2_err err;
    memset(&s, 0, sizeof s);
    assert_int_equal(agg_parse_stat("dstip/flows", &s, &err), 0);
    assert_int_equal(s.nkeys, 1);
    assert_int_equal(s.keys[0].field, FLOW_DST_ADDR);
    assert_int_equal(s.order, AGG_BY_FLOWS);
    assert_int_equal(s.direction, 0);
    assert_int_equal(agg_parse_stat("srcip/bytes", &s, &err), 0);
    assert_int_equal(s.order, AGG_BY_BYTES);
    assert_int_equal(agg_parse_stat("proto", &s, &err), 0);
    assert_int_equal(s.keys[0].field, FLOW_PROTO);
    assert_int_equal(s.order, AGG_BY_FLOWS);
    assert_int_equal(agg_parse_stat("srcip/24", &s, &err), 0);
    assert_int_equal(s.keys[0].prefix4, 24);
    assert_int_equal(s.order, AGG_BY_FLOWS);
    assert_int_equal(agg_parse_stat("srcip/24/packets", &s, &err), 0);
    assert_int_equal(s.keys[0].prefix4, 24);
    assert_int_equal(s.order, AGG_BY_PACKETS);
    assert_int_equal(agg_parse_stat("dstport/tstart", &s, &err), 0);
    assert_int_equal(s.order, AGG_BY_FIRST);
    assert_int_equal(agg_parse_stat("dstport/last:d", &s, &err), 0);
    assert_int_equal(s.order, AGG_BY_LAST);
    assert_int_equal(s.direction, -1);
    assert_int_equal(agg_parse_stat("dstport/bytes:a", &s, &err), 0);
    assert_int_equal(s.direction, 1);
    assert_int_equal(agg_parse_stat("srcip,dstport/distinct", &s, &err), 0);
    assert_int_equal(s.nkeys, 2);
    assert_int_equal(s.order, AGG_BY_DISTINCT);
    /* record/ORDER keeps -A's keys */
    assert_int_equal(agg_parse_keys("srcip/16,proto", &s, &err), 0);
    assert_int_equal(agg_parse_stat("record/bytes", &s, &err), 0);
    assert_int_equal(s.nkeys, 2);
    assert_int_equal(s.keys[0].prefix4, 16);
    assert_int_equal(s.order, AGG_BY_BYTES);
    assert_int_equal(agg_parse_stat("dstip/bogus", &s, &err), -1);
    assert_non_null(strstr(err.msg, "unknown order 'bogus'"));
    assert_int_equal(agg_parse_stat("dstip/bytes:x", &s, &err), -1);
    assert_int_equal(agg_parse_stat("nosuch/flows", &s, &err), -1);
    assert_non_null(strstr(err.msg, "-s: unknown field 'nosuch'"));
    assert_int_equal(s.order, AGG_BY_BYTES);   /* untouched by failures */

    assert_int_equal(agg_parse_distinct("dstip", &s, &err), 0);
    assert_true(s.distinct);
    assert_int_equal(s.distinct_field, FLOW_DST_ADDR);
    assert_int_equal(agg_parse_distinct("dst_port", &s, &err), 0);
    assert_int_equal(s.distinct_field, FLOW_DST_PORT);
    assert_int_equal(agg_parse_distinct("dstip/24", &s, &err), -1);
    assert_int_equal(agg_parse_distinct("what", &s, &err), -1);

    assert_int_equal(agg_parse_bin("5m", &s, &err), 0);
    assert_int_equal(s.bin_ms, 300000);
    assert_int_equal(agg_parse_bin("1d", &s, &err), 0);
    assert_int_equal(s.bin_ms, C2_MS_PER_DAY);
    assert_int_equal(agg_parse_bin("0", &s, &err), -1);
    assert_int_equal(agg_parse_bin("soon", &s, &err), -1);
    assert_int_equal(s.bin_ms, C2_MS_PER_DAY);

    char buf[AGG_KEY_LABEL_MAX];
    agg_key k = {FLOW_SRC_ADDR, 24, 0};
    assert_string_equal(agg_key_label(&k, buf, sizeof buf), "src_ip/24");
    k = (agg_key){FLOW_SRC_ADDR, 0, 64};
    assert_string_equal(agg_key_label(&k, buf, sizeof buf), "src_ip6/64");
    k = (agg_key){FLOW_DST_ADDR, 24, 48};
    assert_string_equal(agg_key_label(&k, buf, sizeof buf), "dst_ip/24/48");
    k = (agg_key){FLOW_DST_PORT, 0, 0};
    assert_string_equal(agg_key_label(&k, buf, sizeof buf), "dst_port");
}

/* ---- exact small cases ---- */

static void test_single_key(void **state)
{
    (void)state;
    flow_record r[] = {
        rec("10.0.0.1", "10.9.9.9", 80, 6, 1000, 50, 10, 1000),
        rec("10.0.0.2", "10.9.9.9", 80, 6, 500, 10, 1, 40),
        rec("10.0.0.1", "10.9.9.8", 443, 6, 900, 20, 5, 500),
        rec("10.0.0.3", "10.9.9.9", 53, 17, 2000, 0, 1, 60),
        rec("10.0.0.1", "10.9.9.7", 22, 6, 1100, 500, 7, 700),
        rec("10.0.0.3", "10.9.9.9", 53, 17, 1500, 5, 2, 120),
    };
    flow_batch b;
    batch_of(&b, r, 6);
    agg_spec s;
    spec_init(&s, "srcip");
    rows out;
    agg_stats st = run(&s, &b, NULL, &out);
    assert_int_equal(out.n, 3);
    assert_int_equal(st.groups, 3);
    assert_int_equal(st.records, 6);
    assert_int_equal(st.spilled_bytes, 0);
    assert_int_equal(st.spill_depth, 0);
    char buf[FLOW_ADDR_STRLEN];
    /* flows descending: .1 (3), .3 (2), .2 (1) */
    assert_string_equal(fmt_addr(&out.v[0].key[0], buf), "10.0.0.1");
    assert_int_equal(out.v[0].flows, 3);
    assert_int_equal(out.v[0].packets, 22);
    assert_int_equal(out.v[0].bytes, 2200);
    assert_int_equal(out.v[0].first_ms, 900);
    assert_int_equal(out.v[0].last_ms, 1600);
    assert_string_equal(fmt_addr(&out.v[1].key[0], buf), "10.0.0.3");
    assert_int_equal(out.v[1].flows, 2);
    assert_int_equal(out.v[1].packets, 3);
    assert_int_equal(out.v[1].first_ms, 1500);
    assert_int_equal(out.v[1].last_ms, 2000);
    assert_string_equal(fmt_addr(&out.v[2].key[0], buf), "10.0.0.2");
    assert_int_equal(out.v[2].bytes, 40);
    free(out.v);

    /* keep mask: drop rows 0 and 4 */
    uint8_t keep[6] = {0, 1, 1, 1, 0, 1};
    st = run(&s, &b, keep, &out);
    assert_int_equal(st.records, 4);
    assert_int_equal(out.n, 3);
    assert_string_equal(fmt_addr(&out.v[0].key[0], buf), "10.0.0.3");
    assert_int_equal(out.v[1].flows, 1);
    assert_string_equal(fmt_addr(&out.v[1].key[0], buf), "10.0.0.1");
    assert_int_equal(out.v[1].packets, 5);
    assert_int_equal(out.v[1].first_ms, 900);
    assert_int_equal(out.v[1].last_ms, 920);
    free(out.v);

    /* multiple keys, and a key over a u8 field */
    spec_init(&s, "proto,dstip,dstport");
    s.order = AGG_BY_KEY;
    run(&s, &b, NULL, &out);
    assert_int_equal(out.n, 4);
    assert_int_equal(out.v[0].key[0].u, 6);
    assert_string_equal(fmt_addr(&out.v[0].key[1], buf), "10.9.9.7");
    assert_int_equal(out.v[0].key[2].u, 22);
    assert_int_equal(out.v[2].key[0].u, 6);
    assert_string_equal(fmt_addr(&out.v[2].key[1], buf), "10.9.9.9");
    assert_int_equal(out.v[2].key[2].u, 80);
    assert_int_equal(out.v[3].key[0].u, 17);
    assert_int_equal(out.v[3].key[2].u, 53);
    assert_int_equal(out.v[3].flows, 2);
    free(out.v);

    /* time and 64-bit keys (exact values; negative times sort first) */
    flow_record t[] = {
        rec("10.0.0.1", "10.9.9.9", 80, 6, 5, 0, 300, 1),
        rec("10.0.0.1", "10.9.9.9", 80, 6, -5, 0, 7, 1),
        rec("10.0.0.1", "10.9.9.9", 80, 6, 5, 0, 300, 1),
    };
    flow_batch tb;
    batch_of(&tb, t, 3);
    spec_init(&s, "start,packets");
    s.order = AGG_BY_KEY;
    run(&s, &tb, NULL, &out);
    assert_int_equal(out.n, 2);
    assert_int_equal(out.v[0].key[0].t, -5);
    assert_int_equal(out.v[0].key[1].u, 7);
    assert_int_equal(out.v[1].key[0].t, 5);
    assert_int_equal(out.v[1].key[1].u, 300);
    assert_int_equal(out.v[1].flows, 2);
    free(out.v);
    flow_batch_free(&tb);

    /* no keys at all: one total */
    spec_init(&s, NULL);
    run(&s, &b, NULL, &out);
    assert_int_equal(out.n, 1);
    assert_int_equal(out.v[0].flows, 6);
    assert_int_equal(out.v[0].bytes, 2420);
    free(out.v);
    flow_batch_free(&b);
}

static void test_prefixes(void **state)
{
    (void)state;
    flow_record r[] = {
        rec("10.1.2.3", "192.0.2.1", 80, 6, 0, 1, 1, 1),
        rec("10.1.2.200", "192.0.2.1", 80, 6, 0, 1, 1, 1),
        rec("10.1.3.1", "192.0.2.1", 80, 6, 0, 1, 1, 1),
        rec("10.1.17.5", "192.0.2.1", 80, 6, 0, 1, 1, 1),
        rec("2001:db8:1:2::1", "192.0.2.1", 80, 6, 0, 1, 1, 1),
        rec("2001:db8:1:2::ff", "192.0.2.1", 80, 6, 0, 1, 1, 1),
        rec("2001:db8:1:3::1", "192.0.2.1", 80, 6, 0, 1, 1, 1),
    };
    flow_batch b;
    batch_of(&b, r, 7);
    agg_spec s;
    rows out;
    char buf[FLOW_ADDR_STRLEN];

    /* srcip/24: IPv4 per /24, IPv6 whole */
    spec_init(&s, "srcip/24");
    s.order = AGG_BY_KEY;
    run(&s, &b, NULL, &out);
    assert_int_equal(out.n, 6);
    assert_string_equal(fmt_addr(&out.v[0].key[0], buf), "10.1.2.0");
    assert_int_equal(out.v[0].flows, 2);
    assert_string_equal(fmt_addr(&out.v[1].key[0], buf), "10.1.3.0");
    assert_string_equal(fmt_addr(&out.v[2].key[0], buf), "10.1.17.0");
    assert_string_equal(fmt_addr(&out.v[3].key[0], buf), "2001:db8:1:2::1");
    assert_string_equal(fmt_addr(&out.v[4].key[0], buf), "2001:db8:1:2::ff");
    free(out.v);

    /* srcip4/20,srcip6/64: both masked, /20 off a byte boundary */
    spec_init(&s, "srcip4/20,srcip6/64");
    s.order = AGG_BY_KEY;
    run(&s, &b, NULL, &out);
    assert_int_equal(out.n, 4);
    assert_string_equal(fmt_addr(&out.v[0].key[0], buf), "10.1.0.0");
    assert_int_equal(out.v[0].flows, 3);
    assert_string_equal(fmt_addr(&out.v[1].key[0], buf), "10.1.16.0");
    assert_string_equal(fmt_addr(&out.v[2].key[0], buf), "2001:db8:1:2::");
    assert_int_equal(out.v[2].flows, 2);
    assert_string_equal(fmt_addr(&out.v[3].key[0], buf), "2001:db8:1:3::");
    free(out.v);

    /* srcip6/47: IPv6 only, off a byte boundary; IPv4 kept whole */
    spec_init(&s, "srcip6/47");
    s.order = AGG_BY_KEY;
    run(&s, &b, NULL, &out);
    assert_int_equal(out.n, 5);
    assert_string_equal(fmt_addr(&out.v[0].key[0], buf), "10.1.2.3");
    assert_string_equal(fmt_addr(&out.v[4].key[0], buf), "2001:db8::");
    assert_int_equal(out.v[4].flows, 3);
    free(out.v);

    /* /32 and /128 are the whole address */
    spec_init(&s, "srcip4/32,srcip6/128");
    run(&s, &b, NULL, &out);
    assert_int_equal(out.n, 7);
    free(out.v);
    flow_batch_free(&b);
}

static void test_bins(void **state)
{
    (void)state;
    const int64_t m5 = 300000;
    flow_record r[] = {
        rec("10.0.0.1", "10.0.0.9", 80, 6, 0, 10, 1, 1),
        rec("10.0.0.1", "10.0.0.9", 80, 6, m5 - 1, 10, 1, 1),
        rec("10.0.0.1", "10.0.0.9", 80, 6, m5, 10, 1, 1),
        rec("10.0.0.1", "10.0.0.9", 80, 17, m5 + 7, 10, 1, 1),
        rec("10.0.0.1", "10.0.0.9", 80, 6, -1, 10, 1, 1),
        rec("10.0.0.1", "10.0.0.9", 80, 6, 3 * m5 + 5, 10, 1, 1),
    };
    flow_batch b;
    batch_of(&b, r, 6);
    agg_spec s;
    spec_init(&s, "proto");
    s.bin_ms = m5;
    s.order = AGG_BY_KEY;
    rows out;
    run(&s, &b, NULL, &out);
    assert_int_equal(out.n, 5);
    assert_int_equal(out.v[0].bin_start_ms, -m5);   /* floored, not truncated */
    assert_int_equal(out.v[0].flows, 1);
    assert_int_equal(out.v[1].bin_start_ms, 0);
    assert_int_equal(out.v[1].flows, 2);
    assert_int_equal(out.v[1].first_ms, 0);
    assert_int_equal(out.v[1].last_ms, m5 + 9);
    assert_int_equal(out.v[2].bin_start_ms, m5);
    assert_int_equal(out.v[2].key[0].u, 6);
    assert_int_equal(out.v[3].bin_start_ms, m5);
    assert_int_equal(out.v[3].key[0].u, 17);
    assert_int_equal(out.v[4].bin_start_ms, 3 * m5);
    free(out.v);

    /* by key, descending: latest bin first */
    s.direction = -1;
    run(&s, &b, NULL, &out);
    assert_int_equal(out.v[0].bin_start_ms, 3 * m5);
    assert_int_equal(out.v[1].key[0].u, 17);
    assert_int_equal(out.v[4].bin_start_ms, -m5);
    free(out.v);
    flow_batch_free(&b);
}

/* Groups A..E designed so that every order gives a different ranking. */
static void test_orders_and_topn(void **state)
{
    (void)state;
    flow_record r[] = {
        /* A: 3 flows, 30 packets, 300 bytes, first 50, last 400 */
        rec("10.0.0.1", "10.1.0.1", 1, 6, 50, 10, 10, 100),
        rec("10.0.0.1", "10.1.0.1", 1, 6, 200, 200, 10, 100),
        rec("10.0.0.1", "10.1.0.2", 1, 6, 100, 10, 10, 100),
        /* B: 1 flow, 100 packets, 50 bytes, first 10, last 20 */
        rec("10.0.0.2", "10.1.0.1", 1, 6, 10, 10, 100, 50),
        /* C: 2 flows, 4 packets, 1000 bytes, first 300, last 310 */
        rec("10.0.0.3", "10.1.0.1", 1, 6, 300, 5, 2, 500),
        rec("10.0.0.3", "10.1.0.3", 1, 6, 305, 5, 2, 500),
        /* D: 3 flows (ties A), 3 packets, 3 bytes, first 500, last 900 */
        rec("10.0.0.4", "10.1.0.1", 1, 6, 500, 10, 1, 1),
        rec("10.0.0.4", "10.1.0.2", 1, 6, 600, 300, 1, 1),
        rec("10.0.0.4", "10.1.0.3", 1, 6, 700, 10, 1, 1),
        /* E: 2 flows (ties C), 2 packets, 2 bytes, first 20, last 40 */
        rec("10.0.0.5", "10.1.0.1", 1, 6, 20, 20, 1, 1),
        rec("10.0.0.5", "10.1.0.1", 1, 6, 25, 5, 1, 1),
    };
    flow_batch b;
    batch_of(&b, r, sizeof r / sizeof r[0]);
    static const struct {
        agg_order order;
        int direction;
        const char *expect;         /* last octets of the source, in order */
    } cases[] = {
        {AGG_BY_FLOWS, 0, "14352"},     /* ties by key: A<D, C<E */
        {AGG_BY_FLOWS, 1, "23514"},     /* ascending; ties still by key */
        {AGG_BY_PACKETS, 0, "21345"},
        {AGG_BY_BYTES, 0, "31245"},
        {AGG_BY_BYTES, -1, "31245"},
        {AGG_BY_DISTINCT, 0, "41325"},  /* A 2, B 1, C 2, D 3, E 1 */
        {AGG_BY_FIRST, 0, "25134"},
        {AGG_BY_FIRST, -1, "43152"},
        {AGG_BY_LAST, 0, "25314"},
        {AGG_BY_KEY, 0, "12345"},
        {AGG_BY_KEY, -1, "54321"},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        for (uint64_t limit = 0; limit <= 5; limit++) {
            agg_spec s;
            spec_init(&s, "srcip");
            s.order = cases[c].order;
            s.direction = cases[c].direction;
            s.limit = limit;
            s.distinct = 1;
            s.distinct_field = FLOW_DST_ADDR;
            rows out;
            agg_stats st = run(&s, &b, NULL, &out);
            size_t want = limit ? limit : 5;
            assert_int_equal(out.n, want);
            assert_int_equal(st.groups, 5);
            char got[8] = {0};
            for (size_t i = 0; i < out.n; i++)
                got[i] = (char)('0' + out.v[i].key[0].a.b[15]);
            if (strncmp(got, cases[c].expect, want))
                fail_msg("order %d dir %d limit %d: got %s want %.*s", (int)cases[c].order,
                         cases[c].direction, (int)limit, got, (int)want, cases[c].expect);
            free(out.v);
        }
    }
    flow_batch_free(&b);
}

static void test_distinct(void **state)
{
    (void)state;
    flow_record r[] = {
        rec("10.0.0.1", "10.1.0.1", 80, 6, 0, 1, 1, 1),
        rec("10.0.0.1", "10.1.0.1", 81, 6, 0, 1, 1, 1),
        rec("10.0.0.1", "10.1.0.2", 80, 6, 0, 1, 1, 1),
        rec("10.0.0.1", "2001:db8::1", 80, 6, 0, 1, 1, 1),
        rec("10.0.0.2", "10.1.0.1", 80, 6, 0, 1, 1, 1),
        rec("10.0.0.2", "10.1.0.1", 80, 6, 0, 1, 1, 1),
    };
    flow_batch b;
    batch_of(&b, r, 6);
    agg_spec s;
    spec_init(&s, "srcip");
    assert_int_equal(agg_parse_distinct("dstip", &s, NULL), 0);
    rows out;
    run(&s, &b, NULL, &out);
    assert_int_equal(out.n, 2);
    assert_int_equal(out.v[0].flows, 4);
    assert_int_equal(out.v[0].distinct, 3);
    assert_int_equal(out.v[1].distinct, 1);
    free(out.v);
    /* a narrow field: distinct destination ports */
    assert_int_equal(agg_parse_distinct("dstport", &s, NULL), 0);
    run(&s, &b, NULL, &out);
    assert_int_equal(out.v[0].distinct, 2);
    assert_int_equal(out.v[1].distinct, 1);
    free(out.v);
    flow_batch_free(&b);
}

static void random_records(flow_batch *b, size_t n, uint32_t hosts);

static void test_empty_and_errors(void **state)
{
    (void)state;
    agg_spec s;
    spec_init(&s, "srcip,dstport");
    s.distinct = 1;
    s.distinct_field = FLOW_DST_AS;
    aggregate *a;
    c2_err err;
    assert_int_equal(agg_new(&s, &a, &err), 0);
    assert_int_equal(agg_fields(a),
                     FLOW_BIT(FLOW_SRC_ADDR) | FLOW_BIT(FLOW_DST_PORT) | FLOW_BIT(FLOW_DST_AS) |
                     FLOW_BIT(FLOW_PACKETS) | FLOW_BIT(FLOW_BYTES) | FLOW_BIT(FLOW_START) |
                     FLOW_BIT(FLOW_END));
    flow_batch b;
    assert_int_equal(flow_batch_init(&b, 4, FLOW_ALL_FIELDS), 0);
    assert_int_equal(agg_add(a, &b, NULL, &err), 0);        /* empty batch */
    rows out = {0};
    assert_int_equal(agg_finish(a, collect, &out, &err), 0);
    assert_int_equal(out.n, 0);
    agg_stats st;
    agg_get_stats(a, &st);
    assert_int_equal(st.groups, 0);
    assert_int_equal(st.records, 0);
    assert_int_equal(agg_finish(a, collect, &out, &err), -1);
    assert_int_equal(agg_add(a, &b, NULL, &err), -1);
    agg_free(a);
    flow_batch_free(&b);

    /* a batch without a needed column */
    assert_int_equal(agg_new(&s, &a, &err), 0);
    assert_int_equal(flow_batch_init(&b, 4, FLOW_ALL_FIELDS & ~FLOW_BIT(FLOW_DST_AS)), 0);
    assert_int_equal(agg_add(a, &b, NULL, &err), -1);
    assert_non_null(strstr(err.msg, "dst_as"));
    agg_free(a);
    flow_batch_free(&b);

    /* a spill directory that cannot be written: agg_add says so */
    spec_init(&s, "srcip");
    s.spill_dir = "/nonexistent/c2flow-spill";
    s.memory_budget = 1;                    /* the floor: spills at once */
    assert_int_equal(agg_new(&s, &a, &err), 0);
    random_records(&b, 5000, 5000);
    assert_int_equal(agg_add(a, &b, NULL, &err), -1);
    assert_non_null(strstr(err.msg, "/nonexistent/c2flow-spill"));
    rows none = {0};
    assert_int_equal(agg_finish(a, collect, &none, &err), -1);    /* no half result */
    assert_int_equal(none.n, 0);
    agg_free(a);
    flow_batch_free(&b);

    /* bad specs */
    spec_init(&s, "srcip");
    s.order = AGG_BY_DISTINCT;
    assert_int_equal(agg_new(&s, &a, &err), -1);
    assert_non_null(strstr(err.msg, "distinct"));
    assert_null(a);
    spec_init(&s, "srcip");
    s.keys[0] = (agg_key){FLOW_DST_PORT, 8, 0};
    assert_int_equal(agg_new(&s, &a, &err), -1);
    s.keys[0] = (agg_key){FLOW_DST_ADDR, 33, 0};
    assert_int_equal(agg_new(&s, &a, &err), -1);
    s.keys[0] = (agg_key){FLOW_DST_ADDR, 0, 0};
    s.direction = 2;
    assert_int_equal(agg_new(&s, &a, &err), -1);
}

static void test_callback_stop(void **state)
{
    (void)state;
    flow_record r[] = {
        rec("10.0.0.1", "10.1.0.1", 80, 6, 0, 1, 1, 1),
        rec("10.0.0.2", "10.1.0.1", 80, 6, 0, 1, 1, 1),
        rec("10.0.0.3", "10.1.0.1", 80, 6, 0, 1, 1, 1),
    };
    flow_batch b;
    batch_of(&b, r, 3);
    agg_spec s;
    spec_init(&s, "srcip");
    aggregate *a;
    c2_err err;
    assert_int_equal(agg_new(&s, &a, &err), 0);
    assert_int_equal(agg_add(a, &b, NULL, &err), 0);
    rows out = {.stop_after = 2};
    assert_int_equal(agg_finish(a, collect, &out, &err), 7);
    assert_int_equal(out.n, 2);
    free(out.v);
    agg_free(a);
    flow_batch_free(&b);
}

static void test_table(void **state)
{
    (void)state;
    flow_record r[] = {
        rec("10.0.0.1", "10.1.0.1", 80, 6, 1767225600000LL, 1500, 3, 4096),
        rec("10.0.0.7", "10.1.0.2", 80, 6, 1767225601000LL, 1000, 2, 100),
    };
    flow_batch b;
    batch_of(&b, r, 2);
    agg_spec s;
    spec_init(&s, "srcip/24,dstport");
    s.bin_ms = 3600000;
    assert_int_equal(agg_parse_distinct("dstip", &s, NULL), 0);
    rows out;
    run(&s, &b, NULL, &out);
    output_table *t;
    c2_err err;
    assert_int_equal(agg_table_new(&s, &t, &err), 0);
    for (size_t i = 0; i < out.n; i++) agg_table_add(t, &s, &out.v[i]);
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    assert_int_equal(output_table_write(t, f, OUTPUT_CSV, &err), 0);
    fclose(f);
    assert_string_equal(text,
        "bin,src_ip/24,dst_port,flows,packets,bytes,first,last,distinct_dst_ip\n"
        "2026-01-01T00:00:00.000Z,10.0.0.0,80,2,5,4196,2026-01-01T00:00:00.000Z,"
        "2026-01-01T00:00:02.000Z,2\n");
    free(text);
    output_table_free(t);
    free(out.v);
    flow_batch_free(&b);
}

/* ---- against a naive reference, with and without spilling ---- */

static uint64_t rng_state;
static uint64_t rnd(void)
{
    uint64_t z = (rng_state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

static void random_records(flow_batch *b, size_t n, uint32_t hosts)
{
    assert_int_equal(flow_batch_init(b, n, FLOW_ALL_FIELDS), 0);
    rng_state = 42;
    static const uint16_t ports[] = {22, 23, 53, 80, 123, 443, 2323, 8080};
    for (size_t i = 0; i < n; i++) {
        flow_record r;
        memset(&r, 0, sizeof r);
        uint64_t x = rnd(), y = rnd();
        uint32_t h = (uint32_t)(x % hosts);
        if (h % 7 == 3) {       /* IPv6 hosts, spread over several /64s */
            r.src_addr = addr("2001:db8::");
            r.src_addr.b[6] = (uint8_t)(h >> 8);
            r.src_addr.b[7] = (uint8_t)(h & 3);
            r.src_addr.b[15] = (uint8_t)h;
        } else {
            flow_addr_from_v4(&r.src_addr, 0x0a000000u | (h * 2654435761u >> 12));
        }
        flow_addr_from_v4(&r.dst_addr, 0xc0a80000u | (uint32_t)((x >> 32) % 600));
        r.dst_port = ports[(x >> 48) % 8];
        r.proto = (y & 3) == 0 ? 17 : 6;
        r.start_ms = 1767225600000LL + (int64_t)((y >> 8) % 86400000);
        r.end_ms = r.start_ms + (int64_t)((y >> 40) % 120000);
        r.packets = 1 + (y >> 20) % 1000;
        r.bytes = r.packets * (40 + (x >> 20) % 1400);
        r.dst_as = (uint32_t)(y % 50);
        r.sampling = 1;
        flow_batch_put(b, &r);
    }
}

static const agg_spec *ref_spec;

static void ref_key(const agg_spec *s, const flow_batch *b, size_t i, agg_row *k)
{
    memset(k, 0, sizeof *k);
    if (s->bin_ms) {
        int64_t t = b->start_ms[i];
        int64_t q = t >= 0 ? t / s->bin_ms : -((-t + s->bin_ms - 1) / s->bin_ms);
        k->bin_start_ms = q * s->bin_ms;
    }
    for (size_t j = 0; j < s->nkeys; j++) {
        flow_batch_value(b, s->keys[j].field, i, &k->key[j]);
        if (flow_field_type(s->keys[j].field) != FLOW_T_ADDR) continue;
        int v4 = flow_addr_is_v4(&k->key[j].a);
        unsigned bits = v4 ? (s->keys[j].prefix4 ? 96 + s->keys[j].prefix4 : 128)
                           : (s->keys[j].prefix6 ? s->keys[j].prefix6 : 128);
        for (unsigned bit = bits; bit < 128; bit++)
            k->key[j].a.b[bit / 8] &= (uint8_t)~(0x80u >> (bit % 8));
    }
}

static int ref_key_cmp(const agg_spec *s, const agg_row *a, const agg_row *b)
{
    if (a->bin_start_ms != b->bin_start_ms) return a->bin_start_ms < b->bin_start_ms ? -1 : 1;
    for (size_t j = 0; j < s->nkeys; j++) {
        int r = flow_value_cmp(flow_field_type(s->keys[j].field), &a->key[j], &b->key[j]);
        if (r) return r;
    }
    return 0;
}

typedef struct ref_item { agg_row k; size_t i; flow_value d; } ref_item;

static int ref_item_cmp(const void *x, const void *y)
{
    const ref_item *a = x, *b = y;
    int r = ref_key_cmp(ref_spec, &a->k, &b->k);
    if (r || !ref_spec->distinct) return r;
    return flow_value_cmp(flow_field_type(ref_spec->distinct_field), &a->d, &b->d);
}

static int ref_row_cmp(const void *x, const void *y)
{
    const agg_row *a = x, *b = y;
    const agg_spec *s = ref_spec;
    int nat = s->order == AGG_BY_FIRST || s->order == AGG_BY_LAST || s->order == AGG_BY_KEY ? 1 : -1;
    int dir = s->direction ? s->direction : nat, r = 0;
    switch (s->order) {
    case AGG_BY_FLOWS: r = (a->flows > b->flows) - (a->flows < b->flows); break;
    case AGG_BY_PACKETS: r = (a->packets > b->packets) - (a->packets < b->packets); break;
    case AGG_BY_BYTES: r = (a->bytes > b->bytes) - (a->bytes < b->bytes); break;
    case AGG_BY_DISTINCT: r = (a->distinct > b->distinct) - (a->distinct < b->distinct); break;
    case AGG_BY_FIRST: r = (a->first_ms > b->first_ms) - (a->first_ms < b->first_ms); break;
    case AGG_BY_LAST: r = (a->last_ms > b->last_ms) - (a->last_ms < b->last_ms); break;
    case AGG_BY_KEY: return ref_key_cmp(s, a, b) * dir;
    }
    if (r) return r * dir;
    return ref_key_cmp(s, a, b);
}

/* The naive answer: sort (key, value) pairs, sum runs, sort groups. */
static void reference(const agg_spec *s, const flow_batch *b, const uint8_t *keep, rows *out)
{
    ref_spec = s;
    ref_item *it = calloc(b->count ? b->count : 1, sizeof *it);
    size_t n = 0;
    for (size_t i = 0; i < b->count; i++) {
        if (keep && !keep[i]) continue;
        ref_key(s, b, i, &it[n].k);
        it[n].i = i;
        if (s->distinct) flow_batch_value(b, s->distinct_field, i, &it[n].d);
        n++;
    }
    qsort(it, n, sizeof *it, ref_item_cmp);
    memset(out, 0, sizeof *out);
    for (size_t a = 0; a < n;) {
        agg_row row = it[a].k;
        row.first_ms = INT64_MAX;
        row.last_ms = INT64_MIN;
        size_t z = a;
        for (; z < n && ref_key_cmp(s, &it[z].k, &it[a].k) == 0; z++) {
            size_t i = it[z].i;
            row.flows++;
            row.packets += b->packets[i];
            row.bytes += b->bytes[i];
            if (b->start_ms[i] < row.first_ms) row.first_ms = b->start_ms[i];
            if (b->end_ms[i] > row.last_ms) row.last_ms = b->end_ms[i];
            if (s->distinct && (z == a || flow_value_cmp(flow_field_type(s->distinct_field),
                                                         &it[z].d, &it[z - 1].d)))
                row.distinct++;
        }
        collect(&row, out);
        a = z;
    }
    free(it);
    qsort(out->v, out->n, sizeof *out->v, ref_row_cmp);
    if (s->limit && out->n > s->limit) out->n = s->limit;
}

static void assert_rows_equal(const agg_spec *s, const rows *want, const rows *got, const char *what)
{
    if (want->n != got->n) fail_msg("%s: %zu rows, want %zu", what, got->n, want->n);
    for (size_t i = 0; i < want->n; i++) {
        const agg_row *a = &want->v[i], *b = &got->v[i];
        if (ref_key_cmp(s, a, b) || a->flows != b->flows || a->packets != b->packets ||
            a->bytes != b->bytes || a->first_ms != b->first_ms || a->last_ms != b->last_ms ||
            (s->distinct && a->distinct != b->distinct))
            fail_msg("%s: row %zu differs (flows %llu/%llu distinct %llu/%llu)", what, i,
                     (unsigned long long)b->flows, (unsigned long long)a->flows,
                     (unsigned long long)b->distinct, (unsigned long long)a->distinct);
    }
}

static void test_against_reference(void **state)
{
    (void)state;
    flow_batch b;
    random_records(&b, 60000, 9000);
    uint8_t *keep = malloc(b.count);
    for (size_t i = 0; i < b.count; i++) keep[i] = (i % 5) != 2;
    static const struct {
        const char *keys;
        int64_t bin;
        const char *distinct;
        agg_order order;
        int direction;
        uint64_t limit;
        int use_keep;
        uint64_t tiny;              /* a budget that spills partitions again */
    } cases[] = {
        {"srcip", 0, NULL, AGG_BY_FLOWS, 0, 0, 0, 8 << 10},
        {"srcip", 0, "dstip", AGG_BY_DISTINCT, 0, 100, 0, 8 << 10},
        {"srcip/24,srcip6/64,dstport", 0, "dstip", AGG_BY_BYTES, 0, 0, 1, 8 << 10},
        {"dstip,dstport,proto", 3600000, NULL, AGG_BY_KEY, 0, 0, 0, 8 << 10},
        /* few groups of up to 1,300 source addresses each */
        {"proto,dstas", 0, "srcip", AGG_BY_LAST, -1, 7, 0, 128 << 10},
        {"srcip6/56,dstip/28", 0, "dstport", AGG_BY_FIRST, 0, 0, 1, 8 << 10},
        {"srcip", 0, "dstip", AGG_BY_PACKETS, 1, 0, 0, 8 << 10},
        /* a wide key: 58 bytes */
        {"router,srcip/24,dstip,dstport,proto,dstas", 60000, "dstport", AGG_BY_FLOWS, 0, 50, 1, 16 << 10},
    };
    /* budgets: plenty; spills once; spills partitions again */
    /* (and two budgets that hold everything but leave little room to sort) */
    uint64_t budgets[] = {0, 256 << 10, 0, 1 << 20, 1280 << 10};
    int deep = 0;
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        agg_spec s;
        spec_init(&s, cases[c].keys);
        s.bin_ms = cases[c].bin;
        if (cases[c].distinct) assert_int_equal(agg_parse_distinct(cases[c].distinct, &s, NULL), 0);
        s.order = cases[c].order;
        s.direction = cases[c].direction;
        s.limit = cases[c].limit;
        const uint8_t *k = cases[c].use_keep ? keep : NULL;
        rows want;
        reference(&s, &b, k, &want);
        assert_true(want.n > 0);
        budgets[2] = cases[c].tiny;
        for (size_t bu = 0; bu < sizeof budgets / sizeof budgets[0]; bu++) {
            s.memory_budget = budgets[bu];
            rows got;
            agg_stats st = run(&s, &b, k, &got);
            char what[128];
            snprintf(what, sizeof what, "case %zu (%s) budget %llu depth %u", c,
                     cases[c].keys, (unsigned long long)budgets[bu], st.spill_depth);
            assert_rows_equal(&s, &want, &got, what);
            if (bu == 0) assert_int_equal(st.spill_depth, 0);
            if ((bu == 1 || bu == 2) && st.groups > 2000) {
                assert_true(st.spilled_bytes > 0);
                assert_true(st.budget >= budgets[bu]);
                assert_true(st.budget < budgets[bu] + 16384);   /* a small floor */
            }
            if (bu > 0) assert_true(st.peak_bytes <= st.budget);
            if (st.spill_depth >= 2) deep = 1;
            free(got.v);
        }
        free(want.v);
    }
    assert_true(deep);              /* partitions did spill again */
    free(keep);
    flow_batch_free(&b);
}

/* Top N over many groups: the heap after a spill, and the runs (N above
 * half the budget) must agree with the whole sorted list. */
static void test_spilled_topn_and_runs(void **state)
{
    (void)state;
    flow_batch b;
    random_records(&b, 80000, 40000);
    agg_spec s;
    spec_init(&s, "srcip,dstport");
    s.order = AGG_BY_BYTES;
    rows all;
    run(&s, &b, NULL, &all);           /* in memory, all groups */
    assert_true(all.n > 30000);
    static const uint64_t limits[] = {1, 10, 1000, 30000};
    for (size_t l = 0; l < sizeof limits / sizeof limits[0]; l++) {
        s.limit = limits[l];
        s.memory_budget = 32 << 10;
        rows got;
        agg_stats st = run(&s, &b, NULL, &got);
        assert_true(st.spill_depth >= 1);
        assert_int_equal(st.groups, all.n);
        rows want = all;
        want.n = limits[l];
        assert_rows_equal(&s, &want, &got, "spilled top N");
        free(got.v);
    }
    free(all.v);
    flow_batch_free(&b);
}

/* One group with more distinct values than any partition can hold: the
 * query fails and says the budget is too small; nothing is left behind. */
static void test_budget_too_small(void **state)
{
    (void)state;
    flow_batch b;
    assert_int_equal(flow_batch_init(&b, 30000, FLOW_ALL_FIELDS), 0);
    for (uint32_t i = 0; i < 30000; i++) {
        flow_record r = rec("10.0.0.1", "10.0.0.2", 80, 6, 0, 1, 1, 1);
        flow_addr_from_v4(&r.dst_addr, 0x0b000000u + i);
        flow_batch_put(&b, &r);
    }
    agg_spec s;
    spec_init(&s, "proto");
    assert_int_equal(agg_parse_distinct("dstip", &s, NULL), 0);
    s.memory_budget = 4096;
    aggregate *a;
    c2_err err;
    assert_int_equal(agg_new(&s, &a, &err), 0);
    assert_int_equal(agg_add(a, &b, NULL, &err), 0);
    assert_int_equal(dir_entries(spill_dir), 0);
    rows out = {0};
    assert_int_equal(agg_finish(a, collect, &out, &err), -1);
    assert_non_null(strstr(err.msg, "budget"));
    assert_int_equal(out.n, 0);
    agg_free(a);
    assert_int_equal(dir_entries(spill_dir), 0);

    /* with room for the values, the same query is exact */
    s.memory_budget = 4 << 20;
    run(&s, &b, NULL, &out);
    assert_int_equal(out.n, 1);
    assert_int_equal(out.v[0].distinct, 30000);
    free(out.v);
    flow_batch_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_keys),
        cmocka_unit_test(test_parse_stat_and_more),
        cmocka_unit_test(test_single_key),
        cmocka_unit_test(test_prefixes),
        cmocka_unit_test(test_bins),
        cmocka_unit_test(test_orders_and_topn),
        cmocka_unit_test(test_distinct),
        cmocka_unit_test(test_empty_and_errors),
        cmocka_unit_test(test_callback_stop),
        cmocka_unit_test(test_table),
        cmocka_unit_test(test_against_reference),
        cmocka_unit_test(test_spilled_topn_and_runs),
        cmocka_unit_test(test_budget_too_small),
    };
    return cmocka_run_group_tests(tests, setup_dir, teardown_dir);
}
