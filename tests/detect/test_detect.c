/*
 * test_detect.c: graph detection (src/detect/) on small hand-built flows.
 *
 * The pieces first (the distinct-count sketch, the index), then each step
 * of the method on a store written here with records made by hand, the
 * customer space being 100.64.0.0/16:
 *   - a scanner is infected, a host making as many real connections is not;
 *   - four scanners sharing a server make it a C2 candidate, listed with its
 *     counts; a server healthy hosts also use is not listed; no row is a
 *     customer address;
 *   - contact with an intel-listed server infects a host;
 *   - hosts flooding one target together are infected, the target never
 *     listed;
 *   - the allowlist keeps a server off the list;
 *   - day summaries: kept, reused, recomputed when the store changes, and
 *     their reader survives damage.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "detect/detect_impl.h"

#define DAY0 1767571200000LL            /* 2026-01-05T00:00:00Z */
#define DAY_MS 86400000LL
#define MAXREC 20000

/* ---- the pieces ---- */

static void test_sketch_exact_then_estimate(void **state)
{
    (void)state;
    dsketch s = {0};
    for (uint32_t i = 0; i < 20; i++) {
        flow_addr a;
        flow_addr_from_v4(&a, 0x64400000u + i);
        assert_int_equal(dsketch_add(&s, detect_addr_hash(&a), DSKETCH_CLIENTS), 0);
        assert_int_equal(dsketch_add(&s, detect_addr_hash(&a), DSKETCH_CLIENTS), 0);
    }
    assert_true(dsketch_estimate(&s, DSKETCH_CLIENTS) == 20);   /* duplicates not counted */
    dsketch big = {0}, half1 = {0}, half2 = {0};
    for (uint32_t i = 0; i < 10000; i++) {
        uint32_t h = (uint32_t)(c2_mix64(i) >> 32);
        assert_int_equal(dsketch_add(&big, h, DSKETCH_ACTIVE), 0);
        assert_int_equal(dsketch_add(i % 2 ? &half1 : &half2, h, DSKETCH_ACTIVE), 0);
    }
    double e = dsketch_estimate(&big, DSKETCH_ACTIVE);
    assert_true(e > 9000 && e < 11000);
    /* the merge of the halves is the sketch of the whole */
    assert_int_equal(dsketch_merge(&half1, dsketch_vals(&half2), half2.n, DSKETCH_ACTIVE), 0);
    assert_int_equal(half1.n, big.n);
    assert_memory_equal(dsketch_vals(&half1), dsketch_vals(&big), big.n * sizeof(uint32_t));
    dsketch_free(&s);
    dsketch_free(&big);
    dsketch_free(&half1);
    dsketch_free(&half2);
}

static void test_table(void **state)
{
    (void)state;
    dtab t = {0};
    int is_new;
    for (uint32_t i = 0; i < 100000; i++) {
        dkey k = dkey_ints(i, i * 7);
        uint32_t *v = dtab_put(&t, &k, i, &is_new);
        assert_non_null(v);
        assert_int_equal(is_new, 1);
    }
    for (uint32_t i = 0; i < 100000; i += 997) {
        dkey k = dkey_ints(i, i * 7);
        const uint32_t *v = dtab_get(&t, &k);
        assert_non_null(v);
        assert_int_equal(*v, i);
        assert_int_equal(*dtab_put(&t, &k, 5, &is_new), i);
        assert_int_equal(is_new, 0);
    }
    dkey missing = dkey_ints(1, 1);
    assert_null(dtab_get(&t, &missing));
    assert_int_equal(t.n, 100000);
    dtab_free(&t);
}

/* ---- a store of hand-made records ---- */

typedef struct world {
    char          dir[256], sums[300];
    store        *st;
    ipset        *internal, *allow;
    intel_set    *intel;
    flow_record  *rec;
    size_t        n;
    detect_input  in;
} world;

static uint32_t v4(const char *s)
{
    flow_addr a;
    assert_int_equal(flow_addr_parse(s, &a), 0);
    return flow_addr_v4(&a);
}

/* One record; sampling 1 (the thresholds are estimates, so unsampled
 * records are counted as they are). */
static void rec(world *w, uint32_t src, uint32_t dst, uint16_t sport, uint16_t dport,
                uint8_t proto, uint8_t flags, uint64_t packets, int64_t t)
{
    assert_true(w->n < MAXREC);
    flow_record *r = &w->rec[w->n++];
    memset(r, 0, sizeof *r);
    flow_addr_from_v4(&r->src_addr, src);
    flow_addr_from_v4(&r->dst_addr, dst);
    r->src_port = sport;
    r->dst_port = dport;
    r->proto = proto;
    r->tcp_flags = flags;
    r->packets = packets;
    r->bytes = packets * (flags == 0x02 ? 44 : 300);
    r->start_ms = r->end_ms = t;
    r->sampling = 1;
    flow_addr_from_v4(&r->exporter, v4("192.0.2.1"));
}

static uint32_t customer(uint32_t i) { return v4("100.64.0.0") + 1 + i; }

/* A scanner: 40 SYN-only probes to fresh addresses on 23 over 2 minutes,
 * sampled 1 in 100 (so it probes at about 34 per second). */
static void scanner(world *w, uint32_t host, int64_t t)
{
    for (uint32_t i = 0; i < 40; i++) {
        rec(w, host, v4("11.0.0.0") + (host & 0xffff) * 64 + i, 40000, 23, 6, 0x02, 100,
            t + i * 3000);
        w->rec[w->n - 1].sampling = 100;
    }
}

/* An exchange both ways, as a router exports a connection. */
static void talk(world *w, uint32_t host, uint32_t server, uint16_t port, int64_t t)
{
    rec(w, host, server, 50000, port, 6, 0x18, 5, t);
    rec(w, server, host, port, 50000, 6, 0x18, 4, t + 10);
}

static int world_setup(void **state)
{
    world *w = calloc(1, sizeof *w);
    const char *base = getenv("C2FLOW_TEST_TMP");
    snprintf(w->dir, sizeof w->dir, "%s/detect-XXXXXX", base && *base ? base : "/tmp");
    char mk[300];
    snprintf(mk, sizeof mk, "mkdir -p '%s'", base && *base ? base : "/tmp");
    if (system(mk) != 0 || !mkdtemp(w->dir)) return -1;
    snprintf(w->sums, sizeof w->sums, "%s/summaries", w->dir);
    c2_err err;
    store_options o;
    store_options_default(&o);
    o.retention_ms = 0;
    if (store_open(w->dir, &o, 1, &w->st, &err) != 0 || ipset_new(&w->internal, &err) != 0 ||
        ipset_new(&w->allow, &err) != 0 || intel_new(&w->intel, &err) != 0 ||
        ipset_add_text(w->internal, "100.64.0.0/16", &err) != 0 ||
        ipset_build(w->internal, &err) != 0 || ipset_build(w->allow, &err) != 0)
        return -1;
    w->rec = calloc(MAXREC, sizeof *w->rec);
    w->in.store = w->st;
    w->in.internal = w->internal;
    w->in.allow = w->allow;
    w->in.from_ms = DAY0;
    w->in.to_ms = DAY0 + DAY_MS;
    w->in.summary_dir = w->sums;
    w->in.threads = 2;
    detect_params_default(&w->in.params);
    *state = w;
    return 0;
}

static int world_teardown(void **state)
{
    world *w = *state;
    char cmd[300];
    store_close(w->st);
    ipset_free(w->internal);
    ipset_free(w->allow);
    intel_free(w->intel);
    free(w->rec);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", w->dir);
    assert_int_equal(system(cmd), 0);
    free(w);
    return 0;
}

static void flush(world *w)
{
    c2_err err;
    store_writer *wr;
    assert_int_equal(store_writer_open(w->st, &wr, &err), 0);
    assert_int_equal(store_writer_append(wr, w->rec, w->n, &err), 0);
    assert_int_equal(store_writer_close(wr, NULL, &err), 0);
    w->n = 0;
}

static c2list *run(world *w, detect_report *rep)
{
    c2_err err;
    c2list *l = c2list_new();
    assert_non_null(l);
    if (detect_graph(&w->in, l, rep, &err) != 0) fail_msg("%s", err.msg);
    return l;
}

static const c2_entry *find(const c2list *l, const char *ip, uint16_t port)
{
    flow_addr a;
    assert_int_equal(flow_addr_parse(ip, &a), 0);
    return c2list_find(l, &a, port, 6);
}

/* ---- the steps ---- */

static void test_scanner_infected_connections_not(void **state)
{
    world *w = *state;
    scanner(w, customer(1), DAY0 + 3600000);
    for (uint32_t i = 0; i < 40; i++)       /* as many records, real connections */
        rec(w, customer(2), v4("198.51.100.1"), 40000 + i, 443, 6, 0x1b, 20,
            DAY0 + 3600000 + i * 3000);
    flush(w);
    detect_report rep;
    c2list *l = run(w, &rep);
    assert_int_equal(rep.infected, 1);
    assert_int_equal(rep.infected_scan, 1);
    assert_int_equal(rep.days, 1);
    c2list_free(l);
}

/* Four scanners share 203.0.113.5:6969; 50 healthy hosts and the
 * scanners use 198.51.100.1:443. */
static void build_botnet(world *w)
{
    for (uint32_t b = 0; b < 4; b++) {
        scanner(w, customer(10 + b), DAY0 + 3600000 + b * 1000);
        for (int k = 0; k < 3; k++)
            talk(w, customer(10 + b), v4("203.0.113.5"), 6969, DAY0 + 7200000 + k * 600000);
        talk(w, customer(10 + b), v4("198.51.100.1"), 443, DAY0 + 9000000);
    }
    for (uint32_t h = 0; h < 50; h++)
        talk(w, customer(100 + h), v4("198.51.100.1"), 443, DAY0 + 8000000 + h * 1000);
    flush(w);
}

static void test_common_destination_listed(void **state)
{
    world *w = *state;
    build_botnet(w);
    detect_report rep;
    c2list *l = run(w, &rep);
    assert_int_equal(rep.infected_scan, 4);
    const c2_entry *e = find(l, "203.0.113.5", 6969);
    assert_non_null(e);
    assert_string_equal(e->method, "graph");
    assert_int_equal(e->infected_clients, 4);
    assert_int_equal(e->clients, 4);
    assert_int_equal(e->days_seen, 1);
    assert_true(e->score >= w->in.params.min_score);
    assert_true(e->group >= 1);
    assert_true(e->first_seen == DAY0 + 7200000);
    assert_null(find(l, "198.51.100.1", 443));      /* healthy hosts use it */
    for (size_t i = 0; i < c2list_count(l); i++)     /* privacy */
        assert_false(ipset_contains(w->internal, &c2list_get(l, i)->ip));
    c2list_free(l);

    /* the allowlist keeps it off the list, whatever the evidence */
    c2_err err;
    assert_int_equal(ipset_add_text(w->allow, "203.0.113.0/24", &err), 0);
    assert_int_equal(ipset_build(w->allow, &err), 0);
    l = run(w, &rep);
    assert_null(find(l, "203.0.113.5", 6969));
    c2list_free(l);
}

static void test_intel_contact_infects(void **state)
{
    world *w = *state;
    c2_err err;
    const char *feed = "# known\n192.0.2.200:8080\n";
    assert_int_equal(intel_load_mem(w->intel, feed, strlen(feed), "feed", INTEL_AUTO, NULL, &err), 0);
    w->in.intel = w->intel;
    talk(w, customer(7), v4("192.0.2.200"), 8080, DAY0 + 5000000);
    talk(w, customer(8), v4("192.0.2.201"), 8080, DAY0 + 5000000);
    flush(w);
    detect_report rep;
    c2list *l = run(w, &rep);
    assert_int_equal(rep.infected_intel, 1);
    assert_int_equal(rep.infected, 1);
    c2list_free(l);
}

/* Five scanners flood 192.0.2.77:80/udp in the same minute at 40,000
 * packets each (> 500 pps), while also sharing it as a "destination". */
static void test_flood_target_never_listed(void **state)
{
    world *w = *state;
    for (uint32_t b = 0; b < 5; b++) {
        scanner(w, customer(20 + b), DAY0 + 3600000);
        for (int k = 0; k < 4; k++)
            rec(w, customer(20 + b), v4("192.0.2.77"), 41000, 80, 17, 0, 10000,
                DAY0 + 7200000 + k * 5000);
    }
    flush(w);
    detect_report rep;
    c2list *l = run(w, &rep);
    assert_int_equal(rep.burst_targets, 1);
    assert_int_equal(rep.infected_burst, 5);
    flow_addr a;
    flow_addr_parse("192.0.2.77", &a);
    assert_null(c2list_find(l, &a, 80, 17));
    c2list_free(l);
}

static void test_incremental_summaries(void **state)
{
    world *w = *state;
    build_botnet(w);
    for (uint32_t b = 0; b < 4; b++)        /* the second day: more of the same */
        talk(w, customer(10 + b), v4("203.0.113.5"), 6969, DAY0 + DAY_MS + 3600000);
    flush(w);
    w->in.to_ms = DAY0 + 2 * DAY_MS;
    w->in.incremental = 1;
    detect_report r1, r2, r3;
    c2list *l1 = run(w, &r1);
    assert_int_equal(r1.days_computed, 2);
    c2list *l2 = run(w, &r2);
    assert_int_equal(r2.days_cached, 2);
    assert_int_equal(r2.infected, r1.infected);
    assert_int_equal(c2list_count(l1), c2list_count(l2));
    for (size_t i = 0; i < c2list_count(l1); i++) {
        const c2_entry *a = c2list_get(l1, i), *b = c2list_find(l2, &a->ip, a->port, a->proto);
        assert_non_null(b);
        assert_memory_equal(a, b, sizeof *a);
    }
    assert_int_equal(find(l2, "203.0.113.5", 6969)->days_seen, 2);
    /* a late record of the second day: that day is read again */
    talk(w, customer(300), v4("198.51.100.9"), 443, DAY0 + DAY_MS + 7200000);
    flush(w);
    c2list *l3 = run(w, &r3);
    assert_int_equal(r3.days_cached, 1);
    assert_int_equal(r3.days_computed, 1);
    c2list_free(l1);
    c2list_free(l2);
    c2list_free(l3);
}

static void test_summary_round_trip_and_damage(void **state)
{
    world *w = *state;
    build_botnet(w);
    dday d = {.from = DAY0, .to = DAY0 + DAY_MS, .fingerprint = 42, .records_hint = 1000};
    c2_err err;
    if (dday_build(&d, &w->in, 1, &err) != 0) fail_msg("%s", err.msg);
    assert_true(d.n_host >= 4 && d.n_dest >= 2 && d.n_edge >= 8);
    uint8_t *buf;
    size_t len;
    assert_int_equal(summary_encode(&d, &buf, &len, &err), 0);
    dday back;
    assert_int_equal(summary_decode(buf, len, &back, &err), 0);
    assert_int_equal(back.n_host, d.n_host);
    assert_int_equal(back.n_dest, d.n_dest);
    assert_int_equal(back.n_edge, d.n_edge);
    assert_true(back.fingerprint == 42 && back.records == d.records);
    assert_memory_equal(&back.host[0].addr, &d.host[0].addr, sizeof(flow_addr));
    assert_int_equal(back.dest[1].clients.n, d.dest[1].clients.n);
    assert_int_equal(back.edge[3].dest, d.edge[3].dest);
    dday_free(&back);
    /* truncated, and a byte flipped in every position of the frame */
    for (size_t cut = 0; cut < len; cut += 7)
        assert_int_equal(summary_decode(buf, cut, &back, &err), -1);
    for (size_t i = 16; i < len; i++) {
        buf[i] ^= 0x5a;
        if (summary_decode(buf, len, &back, &err) == 0) dday_free(&back);
        buf[i] ^= 0x5a;
    }
    free(buf);
    dday_free(&d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sketch_exact_then_estimate),
        cmocka_unit_test(test_table),
        cmocka_unit_test_setup_teardown(test_scanner_infected_connections_not, world_setup,
                                        world_teardown),
        cmocka_unit_test_setup_teardown(test_common_destination_listed, world_setup,
                                        world_teardown),
        cmocka_unit_test_setup_teardown(test_intel_contact_infects, world_setup, world_teardown),
        cmocka_unit_test_setup_teardown(test_flood_target_never_listed, world_setup,
                                        world_teardown),
        cmocka_unit_test_setup_teardown(test_incremental_summaries, world_setup, world_teardown),
        cmocka_unit_test_setup_teardown(test_summary_round_trip_and_damage, world_setup,
                                        world_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
