/*
 * test_sim.c: the simulator's scenario reader, its distributions, and
 * properties of what a run produces (determinism, sampling, timeouts,
 * the address plan, the diurnal cycle).  The truth is checked against the
 * records exactly by tests/integration/test_simulate.sh.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ipset/ipset.h"
#include "sim/rng.h"
#include "sim/sim.h"

static const char *const tiny_text =
    "[scenario]\nname = t\nstart = 2026-01-05T00:00:00Z\ndays = 1\n"
    "[isp]\nsubscribers = 500\ncustomer_v4 = 100.64.0.0/20\ncustomer_v6 = 2001:db8:100::/40\n"
    "routers = 2\ninterfaces = 4\nsampling = 100\n"
    "[benign]\nscale = 0.02\niot_share = 0.1\niot_models = 3\npush_share = 0.1\nscanners = 2\n"
    "[family m]\nkind = mirai\ninitial_bots = 10\nc2_active = 2\nscan_pps = 0.05\nddos_per_day = 0\n"
    "[family e]\nkind = emotet\ninitial_bots = 5\nc2_active = 3\n";

static sim_scenario *parse_ok(const char *text)
{
    sim_scenario *sc = NULL;
    c2_err err;
    int rc = sim_scenario_parse(text, strlen(text), "test", &sc, &err);
    if (rc != 0) fprintf(stderr, "unexpected: %s\n", err.msg);
    assert_int_equal(rc, 0);
    return sc;
}

static void parse_fails(const char *text, const char *needle)
{
    sim_scenario *sc = NULL;
    c2_err err = {{0}};
    assert_int_equal(sim_scenario_parse(text, strlen(text), "bad.ini", &sc, &err), -1);
    assert_null(sc);
    if (!strstr(err.msg, needle)) fprintf(stderr, "message: %s\n", err.msg);
    assert_non_null(strstr(err.msg, needle));
}

static void test_scenario_errors(void **state)
{
    (void)state;
    sim_scenario_free(parse_ok(tiny_text));
    sim_scenario_free(parse_ok(""));        /* every default */
    parse_fails("[isp]\nsubscriber = 5\n", "unknown key 'subscriber'");
    parse_fails("[ips]\nsubscribers = 5\n", "unknown section [ips]");
    parse_fails("[isp]\nsubscribers = 5\n", "out of range");
    parse_fails("[isp]\nsampling = ten\n", "want a number");
    parse_fails("[isp]\nsampling = 10\nsampling = 20\n", "given twice");
    parse_fails("[isp]\ncustomer_v4 = 2001:db8::/32\n", "not an IPv4 prefix");
    parse_fails("[isp]\nsubscribers = 5000\ncustomer_v4 = 10.0.0.0/24\n", "too few");
    parse_fails("[family x]\ninitial_bots = 3\n", "starts with 'kind");
    parse_fails("[family x]\nkind = zeus\n", "kind is mirai");
    parse_fails("[family x]\nkind = mirai\nc2_ports = 70000\n", "PORT");
    parse_fails("[family x]\nkind = mirai\nheartbeat_packets = 0/1\n", "at least 1");
    parse_fails("[family x]\nkind = mirai\nheartbeat_packets = 1\n", "UP/DOWN");
    parse_fails("[family x y]\nkind = mirai\n", "family name");
    parse_fails("[isp]\nactive_timeout = 10s\ninactive_timeout = 20s\n", "inactive_timeout");
    parse_fails("[isp\n", "INI");
}

static void test_scenario_set(void **state)
{
    (void)state;
    sim_scenario *sc = parse_ok(tiny_text);
    c2_err err;
    assert_int_equal(sim_scenario_set(sc, "isp", "sampling", "1", &err), 0);
    assert_int_equal(sim_scenario_set(sc, "family m", "scan_ports", "23:9, 2323:1", &err), 0);
    assert_int_equal(sim_scenario_set(sc, "family m", "feed_delay", "3d", &err), 0);
    assert_int_equal(sim_scenario_set(sc, "family q", "scan_pps", "1", &err), -1);
    assert_non_null(strstr(err.msg, "kind"));
    assert_int_equal(sim_scenario_set(sc, "isp", "sampling", "0", &err), -1);
    sim_scenario_free(sc);
}

static void test_distributions(void **state)
{
    (void)state;
    rng r;
    rng_seed(&r, 42, 1, 2);
    /* Binomial(n, p) conditioned on >= 1: mean n p / (1 - (1-p)^n) */
    const double p = 0.01;
    const uint64_t n = 50;
    double sum = 0;
    const int draws = 200000;
    for (int i = 0; i < draws; i++) {
        uint64_t k = rng_binomial_pos(&r, n, p);
        assert_true(k >= 1 && k <= n);
        sum += (double)k;
    }
    double want = n * p / (1 - pow(1 - p, n));
    assert_true(fabs(sum / draws - want) < 0.01);
    /* Poisson at both methods */
    double means[2] = {3.5, 400};
    for (int m = 0; m < 2; m++) {
        sum = 0;
        for (int i = 0; i < draws; i++) sum += (double)rng_poisson(&r, means[m]);
        assert_true(fabs(sum / draws - means[m]) < 5 * sqrt(means[m] / draws));
    }
    /* alias: frequencies follow the weights */
    double w[4] = {1, 2, 3, 4};
    alias_table t;
    assert_int_equal(alias_build(&t, w, 4), 0);
    int count[4] = {0};
    for (int i = 0; i < draws; i++) count[alias_draw(&t, &r)]++;
    for (int i = 0; i < 4; i++)
        assert_true(fabs((double)count[i] / draws - w[i] / 10) < 0.01);
    alias_free(&t);
}

/* ---- runs ---- */

typedef struct collected {
    flow_record *rec;
    size_t n, cap;
} collected;

static int collect(void *arg, const flow_record *recs, size_t n, c2_err *err)
{
    (void)err;
    collected *c = arg;
    if (c->n + n > c->cap) {
        c->cap = (c->n + n) * 2;
        c->rec = realloc(c->rec, c->cap * sizeof *c->rec);
        assert_non_null(c->rec);
    }
    memcpy(c->rec + c->n, recs, n * sizeof *recs);
    c->n += n;
    return 0;
}

static sim *run(const char *text, uint64_t seed, const char *sampling, collected *out)
{
    sim_scenario *sc = parse_ok(text);
    c2_err err;
    if (sampling) assert_int_equal(sim_scenario_set(sc, "isp", "sampling", sampling, &err), 0);
    sim_options o;
    sim_options_default(&o);
    o.seed = seed;
    sim *s = NULL;
    assert_int_equal(sim_new(sc, &o, &s, &err), 0);
    sim_scenario_free(sc);
    memset(out, 0, sizeof *out);
    assert_int_equal(sim_run(s, collect, out, NULL, NULL, &err), 0);
    return s;
}

static json_t *truth_of(const sim *s)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    c2_err err;
    assert_int_equal(sim_write_truth(s, f, &err), 0);
    fclose(f);
    json_error_t jerr;
    json_t *t = json_loadb(buf, len, 0, &jerr);
    free(buf);
    assert_non_null(t);
    return t;
}

static void test_same_seed_same_records(void **state)
{
    (void)state;
    collected a, b, c;
    sim *sa = run(tiny_text, 7, NULL, &a);
    sim *sb = run(tiny_text, 7, NULL, &b);
    sim *sc = run(tiny_text, 8, NULL, &c);
    assert_true(a.n > 1000);
    assert_int_equal(a.n, b.n);
    assert_memory_equal(a.rec, b.rec, a.n * sizeof *a.rec);
    assert_true(c.n != a.n || memcmp(a.rec, c.rec, a.n * sizeof *a.rec) != 0);
    sim_free(sa); sim_free(sb); sim_free(sc);
    free(a.rec); free(b.rec); free(c.rec);
}

static void test_records_as_a_router_exports(void **state)
{
    (void)state;
    collected a;
    sim *s = run(tiny_text, 3, NULL, &a);
    ipset *cust;
    c2_err err;
    assert_int_equal(ipset_new(&cust, &err), 0);
    assert_int_equal(ipset_add_text(cust, "100.64.0.0/20", &err), 0);
    assert_int_equal(ipset_add_text(cust, "2001:db8:100::/40", &err), 0);
    assert_int_equal(ipset_build(cust, &err), 0);
    int64_t start = sim_start_ms(s), end = sim_end_ms(s), newest = INT64_MIN, late = 0;
    for (size_t i = 0; i < a.n; i++) {
        const flow_record *r = &a.rec[i];
        /* one side is a customer, the other never is */
        int src_in = ipset_contains(cust, &r->src_addr), dst_in = ipset_contains(cust, &r->dst_addr);
        assert_true(src_in != dst_in);
        assert_true(r->start_ms >= start && r->start_ms < end);
        assert_true(r->end_ms >= r->start_ms);
        assert_true(r->end_ms - r->start_ms <= 60000);          /* active timeout */
        assert_int_equal(r->sampling, 100);
        assert_int_equal(r->packets % 100, 0);                   /* k sampled x 100 */
        assert_true(r->packets > 0 && r->bytes >= r->packets * 28);
        assert_true(r->domain >= 1 && r->domain <= 2);
        if (newest != INT64_MIN && newest - r->end_ms > late) late = newest - r->end_ms;
        if (r->end_ms > newest) newest = r->end_ms;
    }
    /* export order: records come out about when they end (a router exports
     * on expiry, so a little later than the newest end is normal) */
    assert_true(late <= 10 * 60000);
    ipset_free(cust);
    sim_free(s);
    free(a.rec);
}

/* Packet sampling keeps, for the bots' C2 traffic whose true packet count
 * the truth knows exactly, the expected share 1/N within 5 sigma. */
static void test_sampling_share(void **state)
{
    (void)state;
    collected a;
    sim *s = run(tiny_text, 5, "20", &a);
    json_t *t = truth_of(s);
    json_t *c2 = json_object_get(t, "c2");
    size_t i;
    json_t *v;
    double truth_packets = 0, sampled = 0;
    json_array_foreach(c2, i, v) {
        flow_addr ip;
        assert_int_equal(flow_addr_parse(json_string_value(json_object_get(v, "ip")), &ip), 0);
        uint16_t port = (uint16_t)json_integer_value(json_object_get(v, "port"));
        truth_packets += (double)json_integer_value(json_object_get(v, "packets"));
        for (size_t j = 0; j < a.n; j++) {
            const flow_record *r = &a.rec[j];
            if ((!flow_addr_cmp(&r->dst_addr, &ip) && r->dst_port == port) ||
                (!flow_addr_cmp(&r->src_addr, &ip) && r->src_port == port))
                sampled += (double)(r->packets / r->sampling);
        }
    }
    assert_true(truth_packets > 10000);
    double expect = truth_packets / 20, sigma = sqrt(truth_packets * (1.0 / 20) * (19.0 / 20));
    assert_true(fabs(sampled - expect) < 5 * sigma);
    json_decref(t);
    sim_free(s);
    free(a.rec);
}

/* Subscribers are busier in the evening than before dawn (local time). */
static void test_diurnal(void **state)
{
    (void)state;
    collected a;
    sim *s = run(tiny_text, 9, NULL, &a);
    size_t evening = 0, dawn = 0;
    for (size_t i = 0; i < a.n; i++) {
        int hour = (int)(((a.rec[i].start_ms + 9 * 3600000LL) / 3600000) % 24);
        if (hour == 21) evening++;
        if (hour == 4) dawn++;
    }
    assert_true(evening > 2 * dawn);
    sim_free(s);
    free(a.rec);
}

static void test_truth_shape(void **state)
{
    (void)state;
    collected a;
    sim *s = run(tiny_text, 11, NULL, &a);
    json_t *t = truth_of(s);
    assert_string_equal(json_string_value(json_object_get(t, "format")), "c2flow-truth/1");
    assert_true(json_array_size(json_object_get(t, "c2")) >= 2);
    assert_true(json_array_size(json_object_get(t, "infected")) >= 15);
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(t, "infected"), i, v) {
        flow_addr ip;
        assert_int_equal(flow_addr_parse(json_string_value(json_object_get(v, "ip")), &ip), 0);
        assert_true(flow_addr_is_v4(&ip));
        assert_int_equal(flow_addr_v4(&ip) >> 12, 0x64400000u >> 12);   /* 100.64.0.0/20 */
    }
    json_array_foreach(json_object_get(t, "c2"), i, v) {
        flow_addr ip;
        assert_int_equal(flow_addr_parse(json_string_value(json_object_get(v, "ip")), &ip), 0);
        uint32_t a4 = flow_addr_v4(&ip);
        assert_true((a4 >> 24) != 10 && (a4 >> 24) != 127 && (a4 >> 28) < 14);   /* public */
    }
    json_decref(t);
    sim_free(s);
    free(a.rec);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_scenario_errors),
        cmocka_unit_test(test_scenario_set),
        cmocka_unit_test(test_distributions),
        cmocka_unit_test(test_same_seed_same_records),
        cmocka_unit_test(test_records_as_a_router_exports),
        cmocka_unit_test(test_sampling_share),
        cmocka_unit_test(test_diurnal),
        cmocka_unit_test(test_truth_shape),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
