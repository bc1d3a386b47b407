/*
 * test_encode.c: the encoder alone, datagrams in memory, read back by
 * src/decode: every field of every record comes back (counters multiplied
 * back by the announced interval, times to the millisecond), for NetFlow
 * v9 and IPFIX, IPv4 and IPv6, TCP, UDP and ICMP, sampling 1 and 1000,
 * several routers; sequence numbers run without a gap per router;
 * templates are refreshed by count and by time; intervals that change are
 * announced before the data that uses them; the datagrams never exceed the
 * payload limit; bad input is refused with a clear message.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "exp_test.h"

static exporter_encoder *new_encoder(int version, uint32_t max_payload, int one_source)
{
    exporter_options o;
    exporter_options_default(&o);
    o.version = version;
    o.max_payload = max_payload;
    exporter_encoder *e;
    c2_err err;
    if (exporter_encoder_new(&o, one_source, &e, &err) != 0) fail_msg("%s", err.msg);
    return e;
}

/* The decoded exporter of each record: the address of its router's source. */
static flow_addr *expected_exporters(exporter_encoder *e, const flow_record *in, size_t n)
{
    flow_addr *x = calloc(n, sizeof *x);
    for (size_t i = 0; i < n; i++) {
        size_t k = 0, nr = exporter_encoder_router_count(e);
        while (k < nr) {
            const exporter_router *r = exporter_encoder_router(e, k);
            if (r->domain == in[i].domain && !memcmp(r->exporter.b, in[i].exporter.b, 16)) break;
            k++;
        }
        if (k == nr) fail_msg("record %zu has no router", i);
        x[i] = source_addr(exporter_encoder_router(e, k)->source);
    }
    return x;
}

/* Encode n test records, decode them, compare. */
static void round_trip(int version, uint32_t n, uint32_t sampling, uint32_t exporters,
                       uint32_t domains, int one_source, uint32_t max_payload)
{
    flow_record *in = malloc(n * sizeof *in);
    for (uint32_t i = 0; i < n; i++) in[i] = test_record(i, sampling, exporters, domains);
    exporter_encoder *e = new_encoder(version, max_payload, one_source);
    decoder *d = new_decoder();
    got g = {0};
    c2_err err;
    /* in batches, decoding between them, as a sender would */
    for (uint32_t i = 0; i < n; i += 100) {
        uint32_t m = n - i < 100 ? n - i : 100;
        assert_int_equal(exporter_encoder_add(e, in + i, m, &err), 0);
        decode_queue(e, d, max_payload ? max_payload : 1472, &g);
    }
    assert_int_equal(exporter_encoder_finish(e, &err), 0);
    decode_queue(e, d, max_payload ? max_payload : 1472, &g);
    flow_addr *x = expected_exporters(e, in, n);
    expect_same(in, n, &g, x);
    expect_clean(d);
    assert_int_equal(exporter_encoder_router_count(e), (size_t)exporters * domains);
    assert_int_equal(exporter_encoder_source_count(e), one_source ? 1 : exporters);
    for (size_t k = 0; k < exporter_encoder_router_count(e); k++)
        assert_int_equal(exporter_encoder_router(e, k)->interval, sampling);
    free(x);
    free(g.r);
    free(in);
    decoder_free(d);
    exporter_encoder_free(e);
}

static void v9_unsampled(void **s) { (void)s; round_trip(9, 1000, 1, 1, 1, 0, 0); }
static void ipfix_unsampled(void **s) { (void)s; round_trip(10, 1000, 1, 1, 1, 0, 0); }
static void v9_sampled_routers(void **s) { (void)s; round_trip(9, 3000, 1000, 3, 2, 0, 0); }
static void ipfix_sampled_routers(void **s) { (void)s; round_trip(10, 3000, 1000, 3, 2, 0, 0); }
static void v9_one_source(void **s) { (void)s; round_trip(9, 2000, 100, 1, 4, 1, 0); }
static void ipfix_small_payload(void **s) { (void)s; round_trip(10, 1500, 1000, 2, 1, 0, 256); }
static void v9_large_payload(void **s) { (void)s; round_trip(9, 5000, 1, 2, 2, 0, 65507); }

/* The sequence numbers of every router: v9 counts datagrams, IPFIX data
 * records (options data included) before the message; no gap, no jump. */
static void sequences(void **state)
{
    (void)state;
    for (int version = 9; version <= 10; version++) {
        exporter_encoder *e = new_encoder(version, 0, 0);
        c2_err err;
        enum { N = 4000 };
        static flow_record in[N];
        for (uint32_t i = 0; i < N; i++) in[i] = test_record(i, 10, 2, 2);
        assert_int_equal(exporter_encoder_add(e, in, N, &err), 0);
        assert_int_equal(exporter_encoder_finish(e, &err), 0);
        size_t n;
        const exporter_datagram *q = exporter_encoder_queue(e, &n);
        uint32_t next[4] = {0};             /* per router */
        uint64_t records = 0;
        for (size_t i = 0; i < n; i++) {
            const uint8_t *b = q[i].data;
            uint32_t seq = c2_get_be32(b + (version == 9 ? 12 : 8));
            uint32_t dom = c2_get_be32(b + (version == 9 ? 16 : 12));
            assert_int_equal(c2_get_be16(b), version);
            assert_true(q[i].router < 4);
            assert_int_equal(dom, exporter_encoder_router(e, q[i].router)->domain);
            assert_int_equal(seq, next[q[i].router]);
            if (version == 10) assert_int_equal(c2_get_be16(b + 2), q[i].len);
            next[q[i].router] += version == 9 ? 1 : q[i].records + (q[i].kind != EXPORTER_DG_DATA);
            records += q[i].records;
        }
        assert_int_equal(records, N);
        exporter_encoder_free(e);
    }
}

/* Records whose interval changes: each is decoded with its own. */
static void interval_changes(void **state)
{
    (void)state;
    static const uint32_t iv[] = {10, 10, 100, 100, 100, 10, 1, 1, 1000};
    enum { PER = 300, K = sizeof iv / sizeof iv[0], N = PER * K };
    for (int version = 9; version <= 10; version++) {
        static flow_record in[N];
        for (uint32_t i = 0; i < N; i++) in[i] = test_record(i, iv[i / PER], 1, 1);
        exporter_encoder *e = new_encoder(version, 0, 0);
        decoder *d = new_decoder();
        got g = {0};
        c2_err err;
        assert_int_equal(exporter_encoder_add(e, in, N, &err), 0);
        assert_int_equal(exporter_encoder_finish(e, &err), 0);
        size_t n, announcements = 0;
        const exporter_datagram *q = exporter_encoder_queue(e, &n);
        for (size_t i = 0; i < n; i++) announcements += q[i].kind == EXPORTER_DG_INTERVAL;
        assert_int_equal(announcements, 4);  /* 100, 10, 1, 1000 */
        decode_queue(e, d, 1472, &g);
        flow_addr x[N];
        for (uint32_t i = 0; i < N; i++) x[i] = source_addr(0);
        expect_same(in, N, &g, x);
        expect_clean(d);
        free(g.r);
        decoder_free(d);
        exporter_encoder_free(e);
    }
}

/* Counters that are not multiples of N: rounded to nearest, at least 1. */
static void rounding(void **state)
{
    (void)state;
    static const uint64_t sent[][2] = {   /* record's counter, router's */
        {1500, 2}, {1499, 1}, {1, 1}, {0, 0}, {999, 1}, {2500, 3}, {123456789, 123457},
    };
    enum { K = sizeof sent / sizeof sent[0] };
    exporter_encoder *e = new_encoder(10, 0, 0);
    decoder *d = new_decoder();
    got g = {0};
    c2_err err;
    flow_record in[K];
    for (uint32_t i = 0; i < K; i++) {
        in[i] = test_record(i * 5 + 1, 1000, 1, 1);   /* IPv4 */
        in[i].packets = in[i].bytes = sent[i][0];
        in[i].in_if = i;
    }
    assert_int_equal(exporter_encoder_add(e, in, K, &err), 0);
    assert_int_equal(exporter_encoder_finish(e, &err), 0);
    decode_queue(e, d, 1472, &g);
    assert_int_equal(g.n, K);
    for (size_t j = 0; j < g.n; j++) {
        const flow_record *r = &g.r[j];
        assert_int_equal(r->packets, sent[r->in_if][1] * 1000);
        assert_int_equal(r->bytes, sent[r->in_if][1] * 1000);
        assert_int_equal(r->sampling, 1000);
    }
    free(g.r);
    decoder_free(d);
    exporter_encoder_free(e);
}

/* Templates every `template_every` data datagrams, and after
 * template_refresh_s of export time. */
static void template_refresh(void **state)
{
    (void)state;
    exporter_options o;
    exporter_options_default(&o);
    o.template_every = 3;
    o.template_refresh_s = 0;
    exporter_encoder *e;
    c2_err err;
    assert_int_equal(exporter_encoder_new(&o, 0, &e, &err), 0);
    enum { N = 1000 };
    static flow_record in[N];
    for (uint32_t i = 0; i < N; i++) {
        in[i] = test_record(i, 1, 1, 1);
        in[i].src_addr = A("10.0.0.1");             /* IPv4 only */
        in[i].dst_addr = A("10.0.0.2");
    }
    assert_int_equal(exporter_encoder_add(e, in, N, &err), 0);
    assert_int_equal(exporter_encoder_finish(e, &err), 0);
    size_t n, data = 0, since = 3;
    const exporter_datagram *q = exporter_encoder_queue(e, &n);
    for (size_t i = 0; i < n; i++) {
        if (q[i].kind == EXPORTER_DG_DATA) {
            assert_true(since < 3);
            since++;
            data++;
        } else {
            assert_int_equal(q[i].kind, EXPORTER_DG_TEMPLATES);
            assert_int_equal(since, 3);
            since = 0;
        }
    }
    assert_true(data >= 30);
    assert_int_equal(exporter_encoder_router(e, 0)->c.template_datagrams, (data + 2) / 3);
    exporter_encoder_free(e);

    /* by time: one record per 20 s, one datagram each, refresh every 60 s */
    o.template_every = 1000;
    o.template_refresh_s = 60;
    o.version = EXPORTER_IPFIX;
    assert_int_equal(exporter_encoder_new(&o, 0, &e, &err), 0);
    int64_t last_template = -1;
    for (uint32_t i = 0; i < 30; i++) {
        flow_record r = test_record(1, 1, 1, 1);
        r.start_ms = r.end_ms = T0_MS + 20000LL * i;
        assert_int_equal(exporter_encoder_add(e, &r, 1, &err), 0);
        assert_int_equal(exporter_encoder_finish(e, &err), 0);
        q = exporter_encoder_queue(e, &n);
        int64_t export_s = c2_get_be32(q[n - 1].data + 4);
        if (q[0].kind == EXPORTER_DG_TEMPLATES) {
            assert_true(last_template < 0 || export_s - last_template >= 60);
            last_template = export_s;
        } else {
            assert_true(export_s - last_template < 60);
        }
        exporter_encoder_clear(e);
    }
    assert_int_equal(exporter_encoder_router(e, 0)->c.template_datagrams, 10);
    exporter_encoder_free(e);
}

/* v9 times stay exact across a wrap of the 32-bit sysUptime (49.7 days
 * after boot): every record is decoded relative to its own datagram. */
static void uptime_wrap(void **state)
{
    (void)state;
    enum { N = 400 };
    flow_record in[N];
    for (uint32_t i = 0; i < N; i++) {
        in[i] = test_record(i, 1, 1, 1);
        int64_t shift = (int64_t)(i / 100) * 20 * C2_MS_PER_DAY;    /* 0 .. 60 days */
        in[i].start_ms += shift;
        in[i].end_ms += shift;
    }
    exporter_encoder *e = new_encoder(9, 0, 0);
    decoder *d = new_decoder();
    got g = {0};
    c2_err err;
    for (uint32_t i = 0; i < N; i += 100) {
        assert_int_equal(exporter_encoder_add(e, in + i, 100, &err), 0);
        assert_int_equal(exporter_encoder_finish(e, &err), 0);
        decode_queue(e, d, 1472, &g);
    }
    flow_addr x[N];
    for (uint32_t i = 0; i < N; i++) x[i] = source_addr(0);
    expect_same(in, N, &g, x);
    free(g.r);
    decoder_free(d);
    exporter_encoder_free(e);
}

static void refusals(void **state)
{
    (void)state;
    c2_err err;
    exporter_encoder *e;
    exporter_options o;
    exporter_options_default(&o);
    o.version = 5;
    assert_int_equal(exporter_encoder_new(&o, 0, &e, &err), -1);
    assert_non_null(strstr(err.msg, "version 5"));
    exporter_options_default(&o);
    o.max_payload = 100;
    assert_int_equal(exporter_encoder_new(&o, 0, &e, &err), -1);
    assert_non_null(strstr(err.msg, "max payload 100"));

    /* one source: two exporters with one domain cannot be told apart */
    e = new_encoder(9, 0, 1);
    flow_record r[2] = {test_record(1, 1, 1, 1), test_record(2, 1, 1, 1)};
    r[1].exporter = A("192.0.2.77");
    assert_int_equal(exporter_encoder_add(e, r, 2, &err), -1);
    assert_non_null(strstr(err.msg, "192.0.2.77"));
    assert_non_null(strstr(err.msg, "domain 1"));
    r[1].domain = 2;
    assert_int_equal(exporter_encoder_add(e, r + 1, 1, &err), 0);
    assert_int_equal(exporter_encoder_router_count(e), 2);

    /* times a 32-bit export second cannot carry */
    flow_record t = test_record(3, 1, 1, 1);
    t.end_ms = (int64_t)UINT32_MAX * 1000 + 5;
    assert_int_equal(exporter_encoder_add(e, &t, 1, &err), -1);
    assert_non_null(strstr(err.msg, "2106"));
    t.end_ms = t.start_ms = -1;
    assert_int_equal(exporter_encoder_add(e, &t, 1, &err), -1);
    exporter_encoder_free(e);

    /* more routers than allowed */
    exporter_options_default(&o);
    o.max_routers = 3;
    assert_int_equal(exporter_encoder_new(&o, 0, &e, &err), 0);
    flow_record m[4];
    for (uint32_t i = 0; i < 4; i++) m[i] = test_record(i, 1, 4, 1);
    assert_int_equal(exporter_encoder_add(e, m, 4, &err), -1);
    assert_non_null(strstr(err.msg, "more than 3 routers"));
    assert_int_equal(exporter_encoder_router(e, 0)->c.records, 1);   /* before it: packed */
    exporter_encoder_free(e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(v9_unsampled),
        cmocka_unit_test(ipfix_unsampled),
        cmocka_unit_test(v9_sampled_routers),
        cmocka_unit_test(ipfix_sampled_routers),
        cmocka_unit_test(v9_one_source),
        cmocka_unit_test(ipfix_small_payload),
        cmocka_unit_test(v9_large_payload),
        cmocka_unit_test(sequences),
        cmocka_unit_test(interval_changes),
        cmocka_unit_test(rounding),
        cmocka_unit_test(template_refresh),
        cmocka_unit_test(uptime_wrap),
        cmocka_unit_test(refusals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
