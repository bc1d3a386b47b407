/*
 * test_synth.c: the synthetic generator keeps its promises.
 *
 * Each test draws a few hundred thousand to a million records in batches
 * and checks a property of the stream: same seed, same records whatever the
 * batch sizes; the port mix, IPv6 share and Zipf head within statistical
 * bounds (five standard deviations, so a correct generator fails about once
 * in 3.5 million runs while a wrong share fails at once); end times in
 * export order; every field within its documented range.  The checks of
 * address validity are written here from RFC 6890 rather than taken from
 * synth.c, so that a slip in one is caught by the other.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <math.h>

#include "synth/synth.h"

#define BATCH 4096
#define START_MS 1767225600000LL    /* 2026-01-01T00:00:00Z */

static flow_record batch[BATCH];

static void params(synth_params *p)
{
    synth_params_default(p);
    p->start_ms = START_MS;
}

static void init_ok(synth *g, const synth_params *p)
{
    c2_err err = {{0}};
    int rc = synth_init(g, p, &err);
    if (rc != 0) fail_msg("synth_init: %s", err.msg);
}

/* |observed share - p| within 5 sigma of a binomial with n trials */
static void assert_share(uint64_t count, uint64_t n, double p, const char *what)
{
    double share = (double)count / (double)n;
    double sigma = sqrt(p * (1 - p) / (double)n);
    if (fabs(share - p) > 5 * sigma)
        fail_msg("%s: share %.5f, expected %.5f +- %.5f", what, share, p, 5 * sigma);
}

static int is_v4(const flow_addr *a)
{
    static const uint8_t prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    return memcmp(a->b, prefix, 12) == 0;
}

static uint32_t v4_of(const flow_addr *a)
{
    return (uint32_t)a->b[12] << 24 | (uint32_t)a->b[13] << 16 |
           (uint32_t)a->b[14] << 8 | a->b[15];
}

/* Public unicast per RFC 6890 (and multicast, class E). */
static int public_v4(uint32_t a)
{
    static const struct { uint32_t net; int len; } special[] = {
        {0x00000000, 8}, {0x0a000000, 8}, {0x64400000, 10}, {0x7f000000, 8},
        {0xa9fe0000, 16}, {0xac100000, 12}, {0xc0000000, 24}, {0xc0000200, 24},
        {0xc0586300, 24}, {0xc0a80000, 16}, {0xc6120000, 15}, {0xc6336400, 24},
        {0xcb007100, 24}, {0xe0000000, 3}};
    for (size_t i = 0; i < sizeof special / sizeof special[0]; i++) {
        uint32_t mask = special[i].len == 0 ? 0 : ~0u << (32 - special[i].len);
        if ((a & mask) == special[i].net) return 0;
    }
    return 1;
}

static void test_determinism(void **state)
{
    (void)state;
    synth_params p;
    params(&p);
    synth a, b, c;
    init_ok(&a, &p);
    init_ok(&b, &p);
    p.seed = 2;
    init_ok(&c, &p);
    static flow_record other[BATCH];
    size_t sizes[] = {1, 7, 100, 4096, 333, 2, 4000};
    uint64_t differ = 0;
    for (int round = 0; round < 40; round++) {
        /* the same 4096 records from b in uneven pieces */
        synth_next(&a, batch, BATCH);
        size_t have = 0;
        for (size_t k = 0; have < BATCH; k++) {
            size_t n = sizes[(k + (size_t)round) % 7];
            if (n > BATCH - have) n = BATCH - have;
            have += synth_next(&b, other + have, n);
        }
        assert_memory_equal(batch, other, sizeof batch);
        synth_next(&c, other, BATCH);
        for (size_t i = 0; i < BATCH; i++)
            differ += memcmp(&batch[i].src_addr, &other[i].src_addr, 16) != 0;
    }
    assert_int_equal(a.emitted, 40 * BATCH);
    /* another seed is another stream (a few coincidences are allowed) */
    assert_true(differ > 40 * BATCH * 9 / 10);
    synth_free(&a);
    synth_free(&b);
    synth_free(&c);
}

static void test_port_mix(void **state)
{
    (void)state;
    synth_params p;
    params(&p);
    synth g;
    init_ok(&g, &p);
    uint64_t n = 0, https = 0, http = 0, dns = 0, telnet = 0, other = 0;
    uint64_t other_tcp = 0, other_udp = 0, other_icmp = 0;
    for (int round = 0; round < 250; round++) {
        synth_next(&g, batch, BATCH);
        for (size_t i = 0; i < BATCH; i++) {
            const flow_record *r = &batch[i];
            n++;
            if (r->dst_port == 443 && r->proto == 6) https++;
            else if (r->dst_port == 80 && r->proto == 6) http++;
            else if (r->dst_port == 53 && r->proto == 17) dns++;
            else if (r->dst_port == 23 && r->proto == 6) {
                telnet++;
                /* SYN-only scans of one or two small packets */
                assert_int_equal(r->tcp_flags, 0x02);
                assert_true(r->packets >= 1 && r->packets <= 2);
                uint64_t size = r->bytes / r->packets;
                assert_true(size == 40 || size == 44 || size == 60);
                assert_int_equal(r->bytes % r->packets, 0);
            } else {
                other++;
                if (r->proto == 6) other_tcp++;
                else if (r->proto == 17) other_udp++;
                else if (r->proto == 1 || r->proto == 58) other_icmp++;
                else fail_msg("unexpected protocol %u", r->proto);
            }
        }
    }
    assert_share(https, n, 0.45, "443/tcp");
    assert_share(http, n, 0.20, "80/tcp");
    assert_share(dns, n, 0.15, "53/udp");
    assert_share(telnet, n, 0.02, "23/tcp");
    assert_share(other, n, 0.18, "other");
    assert_share(other_tcp, other, 0.70, "other tcp");
    assert_share(other_udp, other, 0.25, "other udp");
    assert_share(other_icmp, other, 0.05, "other icmp");
    synth_free(&g);
}

static void test_export_order(void **state)
{
    (void)state;
    synth_params p;
    params(&p);
    p.flow_rate = 20000;
    synth g;
    init_ok(&g, &p);
    int64_t last_end = INT64_MIN, min_start = INT64_MAX;
    uint64_t n = 0, unsorted_starts = 0, timeouts = 0;
    int64_t prev_start = INT64_MIN;
    for (int round = 0; round < 100; round++) {
        synth_next(&g, batch, BATCH);
        for (size_t i = 0; i < BATCH; i++, n++) {
            const flow_record *r = &batch[i];
            if (n == 0) {
                assert_true(r->end_ms >= START_MS && r->end_ms <= START_MS + 1);
            }
            assert_true(r->end_ms >= last_end);
            assert_true(r->start_ms <= r->end_ms);
            assert_true(r->end_ms - r->start_ms <= SYNTH_ACTIVE_TIMEOUT_MS);
            timeouts += r->end_ms - r->start_ms == SYNTH_ACTIVE_TIMEOUT_MS;
            unsorted_starts += r->start_ms < prev_start;
            if (r->start_ms < min_start) min_start = r->start_ms;
            if (r->packets == 1) assert_int_equal(r->start_ms, r->end_ms);
            last_end = r->end_ms;
            prev_start = r->start_ms;
        }
    }
    /* n records at 20,000 flows/s of simulated time span n / 20 ms */
    double expect = (double)n / 20.0;
    assert_true(fabs((double)(last_end - START_MS) - expect) < expect * 0.01);
    assert_true(last_end < START_MS + synth_span_ms(&p, n));
    assert_true(min_start >= START_MS - SYNTH_ACTIVE_TIMEOUT_MS);
    /* like a router's export: starts are not in order, and long flows are
     * cut by the active timeout */
    assert_true(unsorted_starts > n / 10);
    assert_true(timeouts > 0 && timeouts < n / 5);
    synth_free(&g);
}

static void test_ipv6_share(void **state)
{
    (void)state;
    const double shares[] = {0.05, 0.0, 1.0, 0.3};
    for (size_t s = 0; s < 4; s++) {
        synth_params p;
        params(&p);
        p.ipv6_share = shares[s];
        synth g;
        init_ok(&g, &p);
        uint64_t n = 0, v6 = 0;
        for (int round = 0; round < 50; round++) {
            synth_next(&g, batch, BATCH);
            for (size_t i = 0; i < BATCH; i++, n++) {
                const flow_record *r = &batch[i];
                int src6 = !is_v4(&r->src_addr), dst6 = !is_v4(&r->dst_addr);
                assert_int_equal(src6, dst6);       /* one family per flow */
                if (!src6) {
                    assert_true(r->proto != 58);
                    continue;
                }
                v6++;
                /* global unicast, 2a00::/12 */
                assert_int_equal(r->src_addr.b[0], 0x2a);
                assert_int_equal(r->dst_addr.b[0], 0x2a);
                assert_true(r->proto != 1);
                assert_memory_not_equal(r->src_addr.b, r->dst_addr.b, 16);
            }
        }
        if (shares[s] == 0.0) assert_int_equal(v6, 0);
        else if (shares[s] == 1.0) assert_int_equal(v6, n);
        else assert_share(v6, n, shares[s], "IPv6");
        synth_free(&g);
    }
}

/* small open-addressing map: address -> AS, to check that an address always
 * has the same AS */
#define MAP_SIZE (1u << 16)
typedef struct as_map {
    flow_addr key[MAP_SIZE];
    uint32_t  as[MAP_SIZE];         /* 0 = empty slot */
    uint32_t  used;
} as_map;

static uint32_t map_as(as_map *m, const flow_addr *a, uint32_t as)
{
    uint32_t h = 0;
    for (int i = 0; i < 16; i++) h = h * 31 + a->b[i];
    for (h &= MAP_SIZE - 1; m->as[h]; h = (h + 1) & (MAP_SIZE - 1))
        if (!memcmp(&m->key[h], a, sizeof *a)) return m->as[h];
    assert_true(m->used < MAP_SIZE / 2);
    m->key[h] = *a;
    m->as[h] = as;
    m->used++;
    return as;
}

static void test_valid_fields(void **state)
{
    (void)state;
    synth_params p;
    params(&p);
    p.hosts = 5000;                 /* so that addresses repeat */
    synth g;
    init_ok(&g, &p);
    as_map *asm_ = calloc(1, sizeof *asm_);
    assert_non_null(asm_);
    uint32_t as_seen[SYNTH_AS_COUNT] = {0}, as_distinct = 0;
    uint64_t n = 0, tos0 = 0, per_router[4] = {0};
    for (int round = 0; round < 50; round++) {
        synth_next(&g, batch, BATCH);
        for (size_t i = 0; i < BATCH; i++, n++) {
            const flow_record *r = &batch[i];
            if (is_v4(&r->src_addr)) {
                uint32_t s = v4_of(&r->src_addr), d = v4_of(&r->dst_addr);
                assert_true(public_v4(s));
                assert_true(public_v4(d));
                assert_true(s != d);
            }
            /* router: 192.0.2.(r+1), domain r+1 */
            assert_true(r->domain >= 1 && r->domain <= 4);
            flow_addr ex;
            synth_exporter_addr(r->domain - 1, &ex);
            assert_memory_equal(&ex, &r->exporter, sizeof ex);
            per_router[r->domain - 1]++;
            assert_true(r->in_if >= 1 && r->in_if <= 16);
            assert_true(r->out_if >= 1 && r->out_if <= 16);
            assert_true(r->in_if != r->out_if);
            assert_int_equal(r->sampling, 1);
            assert_true(r->packets >= 1);
            assert_true(r->bytes >= 40 * r->packets && r->bytes <= 1500 * r->packets);
            assert_true(r->tos == 0 || r->tos == 0x20 || r->tos == 0x28 || r->tos == 0xb8);
            tos0 += r->tos == 0;
            assert_int_equal(r->reserved, 0);
            switch (r->proto) {
            case 6:
                assert_true(r->tcp_flags != 0);
                assert_true(r->src_port >= 32768);
                break;
            case 17:
                assert_int_equal(r->tcp_flags, 0);
                assert_true(r->src_port >= 32768);
                break;
            case 1: case 58: {
                assert_int_equal(r->tcp_flags, 0);
                assert_int_equal(r->src_port, 0);
                uint8_t type = (uint8_t)(r->dst_port >> 8);
                if (r->proto == 1)
                    assert_true(type == 0 || type == 3 || type == 8 || type == 11);
                else
                    assert_true(type == 1 || type == 3 || type == 128 || type == 129);
                break;
            }
            default:
                fail_msg("protocol %u", r->proto);
            }
            /* AS: a few thousand, never 0 or AS_TRANS, fixed per address */
            assert_true(r->src_as != 0 && r->src_as != 23456);
            assert_true(r->dst_as != 0 && r->dst_as != 23456);
            assert_int_equal(map_as(asm_, &r->src_addr, r->src_as), r->src_as);
            assert_int_equal(map_as(asm_, &r->dst_addr, r->dst_as), r->dst_as);
            for (int k = 0; k < 2; k++) {
                uint32_t as = k ? r->dst_as : r->src_as;
                uint32_t j = 0;
                while (j < as_distinct && as_seen[j] != as) j++;
                if (j == as_distinct) {
                    assert_true(as_distinct < SYNTH_AS_COUNT);
                    as_seen[as_distinct++] = as;
                }
            }
        }
    }
    assert_true(tos0 > n * 85 / 100);
    for (int k = 0; k < 4; k++) assert_true(per_router[k] > n / 8);
    assert_true(as_distinct > 500);
    free(asm_);
    synth_free(&g);
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

static void test_host_pool(void **state)
{
    (void)state;
    synth_params p;
    params(&p);
    p.hosts = 1000;
    p.ipv6_share = 0;
    synth g;
    init_ok(&g, &p);
    enum { N = 50 * BATCH };
    uint32_t *src = malloc(N * sizeof *src), *dst = malloc(N * sizeof *dst);
    assert_non_null(src);
    assert_non_null(dst);
    for (int round = 0; round < 50; round++) {
        synth_next(&g, batch, BATCH);
        for (size_t i = 0; i < BATCH; i++) {
            src[round * BATCH + i] = v4_of(&batch[i].src_addr);
            dst[round * BATCH + i] = v4_of(&batch[i].dst_addr);
        }
    }
    /* uniform sources: every host of the pool appears, and no other */
    qsort(src, N, sizeof *src, cmp_u32);
    size_t distinct = 0, longest = 0, run = 0;
    for (size_t i = 0; i < N; i++) distinct += i == 0 || src[i] != src[i - 1];
    assert_int_equal(distinct, 1000);
    /* Zipf-like destinations: the top one gets ln 2 / ln 1001 = 10 % */
    qsort(dst, N, sizeof *dst, cmp_u32);
    distinct = 0;
    for (size_t i = 0; i < N; i++) {
        if (i == 0 || dst[i] != dst[i - 1]) { distinct++; run = 0; }
        if (++run > longest) longest = run;
    }
    assert_true(distinct <= 1000);
    assert_share(longest, N, log(2.0) / log(1001.0), "top destination");
    /* the destination pool is the source pool */
    for (size_t i = 0; i < N; i += 997)
        assert_non_null(bsearch(&dst[i], src, N, sizeof *src, cmp_u32));
    free(src);
    free(dst);
    synth_free(&g);
}

static void test_sizes_and_sampling(void **state)
{
    (void)state;
    synth_params p;
    params(&p);
    synth g;
    init_ok(&g, &p);
    uint64_t n = 0, pkts = 0, one = 0;
    for (int round = 0; round < 250; round++) {
        synth_next(&g, batch, BATCH);
        for (size_t i = 0; i < BATCH; i++, n++) {
            pkts += batch[i].packets;
            one += batch[i].packets == 1;
            assert_true(batch[i].packets <= 1097);     /* e^7 */
        }
    }
    double mean = (double)pkts / (double)n;
    if (mean < 80 || mean > 90) fail_msg("mean packets per flow %.2f", mean);
    assert_true(one > n / 5);           /* heavy tail: many tiny flows */
    synth_free(&g);

    /* a 1-in-100 interval multiplies counters and is stamped */
    synth s;
    init_ok(&g, &p);
    p.sampling = 100;
    init_ok(&s, &p);
    static flow_record plain[BATCH];
    synth_next(&s, batch, BATCH);
    synth_next(&g, plain, BATCH);
    for (size_t i = 0; i < BATCH; i++) {
        assert_int_equal(batch[i].sampling, 100);
        assert_int_equal(batch[i].packets, plain[i].packets * 100);
        assert_int_equal(batch[i].bytes, plain[i].bytes * 100);
        assert_int_equal(batch[i].end_ms, plain[i].end_ms);
    }
    synth_free(&s);
    synth_free(&g);
}

static void test_bad_params(void **state)
{
    (void)state;
    /* each bad value is refused by synth_init with a message naming it */
    static const struct { const char *word; size_t off; double value; int is_double; } bad[] = {
        {"hosts", offsetof(synth_params, hosts), 1, 0},
        {"exporters", offsetof(synth_params, exporters), 0, 0},
        {"interfaces", offsetof(synth_params, interfaces), 1, 0},
        {"IPv6", offsetof(synth_params, ipv6_share), 1.5, 1},
        {"rate", offsetof(synth_params, flow_rate), 0, 1},
        {"sampling", offsetof(synth_params, sampling), 0, 0},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        synth_params p;
        params(&p);
        if (bad[i].is_double) memcpy((char *)&p + bad[i].off, &bad[i].value, sizeof(double));
        else memcpy((char *)&p + bad[i].off, &(uint32_t){(uint32_t)bad[i].value}, 4);
        synth g;
        c2_err err = {{0}};
        assert_int_equal(synth_init(&g, &p, &err), -1);
        if (!strstr(err.msg, bad[i].word)) fail_msg("'%s' does not name %s", err.msg, bad[i].word);
        synth_free(&g);
    }
    synth_params good;
    params(&good);
    /* the span helper: 50 M records at 50,000/s are 1,000 s */
    int64_t span = synth_span_ms(&good, 50000000);
    assert_true(span >= 1000000 && span <= 1000002);
}

static int same_params(const synth_params *a, const synth_params *b)
{
    return a->seed == b->seed && a->start_ms == b->start_ms && a->flow_rate == b->flow_rate &&
           a->hosts == b->hosts && a->exporters == b->exporters &&
           a->interfaces == b->interfaces && a->ipv6_share == b->ipv6_share &&
           a->sampling == b->sampling;
}

static void test_param_set(void **state)
{
    (void)state;
    synth_params p, d;
    params(&p);
    params(&d);
    c2_err err;
    /* accepted: each sets its field and nothing else */
    assert_int_equal(synth_param_set(&p, "hosts", "1000", 0, &err), 0);
    assert_int_equal(p.hosts, 1000);
    assert_int_equal(synth_param_set(&p, "exporters", "250", 0, &err), 0);
    assert_int_equal(p.exporters, 250);
    assert_int_equal(synth_param_set(&p, "sampling", "4096", 0, &err), 0);
    assert_int_equal(p.sampling, 4096);
    assert_int_equal(synth_param_set(&p, "ipv6-share", "0.25", 0, &err), 0);
    assert_true(p.ipv6_share == 0.25);
    assert_int_equal(synth_param_set(&p, "rate", "1e6", 0, &err), 0);
    assert_true(p.flow_rate == 1e6);
    assert_int_equal(synth_param_set(&p, "seed", "18446744073709551615", 0, &err), 0);
    assert_true(p.seed == UINT64_MAX);
    assert_int_equal(synth_param_set(&p, "start", "2026-01-01", 0, &err), 0);
    assert_int_equal(p.start_ms, START_MS);
    assert_int_equal(p.interfaces, d.interfaces);
    /* refused, and the parameter left alone */
    static const char *const refused[][2] = {
        {"hosts", "1"}, {"hosts", "50000001"}, {"hosts", "12x"}, {"exporters", "0"},
        {"exporters", "251"}, {"sampling", "0"}, {"ipv6-share", "1.01"},
        {"ipv6-share", "-0.1"}, {"ipv6-share", ""}, {"rate", "0"}, {"rate", "nan"},
        {"rate", "2e9"}, {"seed", "-1"}, {"start", "soon"}, {"colour", "red"},
    };
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
        synth_params before = p;
        err.msg[0] = 0;
        if (synth_param_set(&p, refused[i][0], refused[i][1], 0, &err) != -1)
            fail_msg("%s=%s accepted", refused[i][0], refused[i][1]);
        assert_true(err.msg[0] != 0);
        assert_true(same_params(&before, &p));
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_determinism),
        cmocka_unit_test(test_port_mix),
        cmocka_unit_test(test_export_order),
        cmocka_unit_test(test_ipv6_share),
        cmocka_unit_test(test_valid_fields),
        cmocka_unit_test(test_host_pool),
        cmocka_unit_test(test_sizes_and_sampling),
        cmocka_unit_test(test_bad_params),
        cmocka_unit_test(test_param_set),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
