/*
 * test_sflow5.c: sFlow v5 datagrams through the decoder (src/decode/
 * sflow5.c over src/sflow/): one flow_record per IP flow sample, the agent
 * as exporter, sampling, and the three kinds of loss accounting (datagram
 * sequence, sample sequence per source, agent drops).
 *
 * Datagrams are built by tests/decode/pkt.h.  The real datagrams of
 * tests/sflow/data/ (pmacctd output, see its README) are decoded too when
 * present.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "decode/dec_test.h"

#define AGENT IP4(192, 0, 2, 10)
#define UDP_SRC "127.0.0.1"
#define NOW (T0_MS + 5000)            /* the time feed() passes */

static sfsample tcp_sample(uint32_t seq, uint32_t index, uint32_t rate, uint32_t drops)
{
    return (sfsample){.seq = seq, .src_type = 0, .src_index = index, .rate = rate,
                      .pool = 1000 * rate, .drops = drops, .in_if = 3, .out_if = 7,
                      .src = IP4(198, 51, 100, 1), .dst = IP4(203, 0, 113, 9), .ip_len = 1400,
                      .sport = 40000, .dport = 443, .proto = 6, .tos = 0x28, .flags = 0x18};
}

static void basic(void **state)
{
    (void)state;
    decoder *d = new_decoder(1);
    pkt p;
    pkt_reset(&p);
    sflow_header(&p, AGENT, 2, 100, 5000, 4);
    sfsample a = tcp_sample(1, 5, 512, 0), b = a;
    b.seq = 2;
    b.proto = 17;
    b.sport = 5353;
    b.dport = 53;
    b.ip_len = 80;
    sfsample icmp = a;
    icmp.seq = 3;
    icmp.proto = 1;
    icmp.dport = 0x0300;
    icmp.ip_len = 56;
    sflow_flow_sample(&p, &a);
    sflow_counter_sample(&p, 1, 5);
    sflow_flow_sample(&p, &b);
    sflow_flow_sample(&p, &icmp);
    const flow_record *r = feed_ok(d, UDP_SRC, &p, 3);
    expect_addr(&r[0].exporter, "192.0.2.10");
    assert_int_equal(r[0].domain, 2);
    assert_int_equal(r[0].start_ms, NOW);
    assert_int_equal(r[0].end_ms, NOW);
    expect_addr(&r[0].src_addr, "198.51.100.1");
    expect_addr(&r[0].dst_addr, "203.0.113.9");
    assert_int_equal(r[0].packets, 512);
    assert_int_equal(r[0].bytes, 1400 * 512);
    assert_int_equal(r[0].sampling, 512);
    assert_int_equal(r[0].in_if, 3);
    assert_int_equal(r[0].out_if, 7);
    assert_int_equal(r[0].src_port, 40000);
    assert_int_equal(r[0].dst_port, 443);
    assert_int_equal(r[0].proto, 6);
    assert_int_equal(r[0].tos, 0x28);
    assert_int_equal(r[0].tcp_flags, 0x18);
    assert_int_equal(r[1].proto, 17);
    assert_int_equal(r[1].dst_port, 53);
    assert_int_equal(r[1].bytes, 80 * 512);
    assert_int_equal(r[2].proto, 1);
    assert_int_equal(r[2].dst_port, 0x0300);
    assert_int_equal(r[2].src_port, 0);
    decode_exporter e = exporter_of(d, "192.0.2.10");
    assert_int_equal(e.proto, DECODE_SFLOW_V5);
    assert_int_equal(e.sampling, 512);
    assert_int_equal(e.c.packets, 1);
    assert_int_equal(e.c.records, 3);
    assert_int_equal(e.c.other, 1);
    decode_counters total;
    decoder_foreach_exporter(d, NULL, NULL, &total);
    assert_int_equal(total.packets, 1);       /* nothing counted on the UDP source */
    decoder_free(d);
}

static void datagram(pkt *p, uint32_t seq, const sfsample *s, int n)
{
    pkt_reset(p);
    sflow_header(p, AGENT, 0, seq, 5000, (uint32_t)n);
    for (int i = 0; i < n; i++) sflow_flow_sample(p, &s[i]);
}

static void loss_accounting(void **state)
{
    (void)state;
    decoder *d = new_decoder(1);
    pkt p;
    sfsample s[2] = {tcp_sample(10, 1, 100, 5), tcp_sample(500, 2, 100, 0)};
    datagram(&p, 1, s, 2);
    feed_ok(d, UDP_SRC, &p, 2);
    s[0].seq = 11;
    s[1].seq = 501;
    datagram(&p, 2, s, 2);
    feed_ok(d, UDP_SRC, &p, 2);
    decode_counters c = counters_of(d, "192.0.2.10");
    assert_int_equal(c.lost_packets, 0);
    assert_int_equal(c.lost_records, 0);
    /* datagrams 3 and 4 lost, with 2 samples of source 1 and 3 of source 2 */
    s[0].seq = 14;
    s[1].seq = 505;
    datagram(&p, 5, s, 2);
    feed_ok(d, UDP_SRC, &p, 2);
    c = counters_of(d, "192.0.2.10");
    assert_int_equal(c.lost_packets, 2);
    assert_int_equal(c.lost_records, 2 + 3);
    /* the agent dropped 7 samples of source 1 (drops 5 -> 12) */
    s[0].seq = 15;
    s[0].drops = 12;
    s[1].seq = 506;
    datagram(&p, 6, s, 2);
    feed_ok(d, UDP_SRC, &p, 2);
    c = counters_of(d, "192.0.2.10");
    assert_int_equal(c.lost_records, 5 + 7);
    /* datagram 3 arrives late, with the drops count of its time: reordered,
     * no more loss, and the next datagram's count is not news either */
    s[0].seq = 12;
    s[0].drops = 8;
    s[1].seq = 502;
    datagram(&p, 3, s, 2);
    feed_ok(d, UDP_SRC, &p, 2);
    s[0].seq = 16;
    s[0].drops = 12;
    s[1].seq = 507;
    datagram(&p, 7, s, 2);
    feed_ok(d, UDP_SRC, &p, 2);
    c = counters_of(d, "192.0.2.10");
    assert_int_equal(c.reordered, 1);
    assert_int_equal(c.lost_packets, 2);
    assert_int_equal(c.lost_records, 12);
    decoder_free(d);
}

static void sampling_rules(void **state)
{
    (void)state;
    for (int apply = 1; apply >= 0; apply--) {
        decoder *d = new_decoder(apply);
        pkt p;
        sfsample s[2] = {tcp_sample(1, 1, 0, 0), tcp_sample(2, 1, 64, 0)};
        datagram(&p, 1, s, 2);
        const flow_record *r = feed_ok(d, UDP_SRC, &p, 2);
        assert_int_equal(r[0].sampling, 1);
        assert_int_equal(r[0].packets, 1);
        assert_int_equal(r[0].bytes, 1400);
        assert_int_equal(r[1].sampling, apply ? 64 : 1);
        assert_int_equal(r[1].packets, apply ? 64 : 1);
        assert_int_equal(counters_of(d, "192.0.2.10").unknown_sampling, apply ? 1 : 0);
        flow_addr agent = A("192.0.2.10");
        assert_int_equal(decoder_set_sampling_override(d, &agent, 1000), 0);
        s[0].seq = 3;
        s[1].seq = 4;
        datagram(&p, 2, s, 2);
        r = feed_ok(d, UDP_SRC, &p, 2);
        assert_int_equal(r[0].sampling, apply ? 1000 : 1);
        assert_int_equal(r[1].bytes, apply ? 1400000 : 1400);
        decoder_free(d);
    }
}

/* An agent address of 0 ("unknown"): the UDP source stands in. */
static void unknown_agent(void **state)
{
    (void)state;
    decoder *d = new_decoder(1);
    pkt p;
    sfsample s = tcp_sample(1, 1, 8, 0);
    pkt_reset(&p);
    sflow_header(&p, 0, 0, 1, 0, 1);
    sflow_flow_sample(&p, &s);
    const flow_record *r = feed_ok(d, "192.0.2.77", &p, 1);
    expect_addr(&r[0].exporter, "192.0.2.77");
    /* truncated headers are counted on the UDP source */
    fed f = feed_bytes(d, "192.0.2.78", p.b, 20);
    assert_int_equal(f.rc, -1);
    assert_int_equal(counters_of(d, "192.0.2.78").malformed, 1);
    assert_int_equal(counters_of(d, "192.0.2.77").malformed, 0);
    /* a bad sample: the parser's reason, counted on the agent */
    datagram(&p, 1, &s, 1);
    p.b[7 * 4 + 6] = 0xff;                    /* sample length way too long */
    f = feed(d, "192.0.2.78", &p);
    assert_int_equal(f.rc, -1);
    assert_int_equal(f.n, 0);
    assert_non_null(strstr(f.err.msg, "192.0.2.10"));
    assert_int_equal(counters_of(d, "192.0.2.10").malformed, 1);
    assert_int_equal(counters_of(d, "192.0.2.78").malformed, 1);
    decoder_free(d);
}

static uint8_t *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    uint8_t *b = malloc(65536);
    *len = fread(b, 1, 65536, f);
    fclose(f);
    return b;
}

/* pmacctd's own datagrams: all of them decode, 107 samples, on its agent. */
static void real_datagrams(void **state)
{
    (void)state;
    static const int files[] = {0, 1, 2, 3, 4, 5, 6, 7, 34, 68, 102, 136, 170, 204, 238, 272};
    char dir[1024], path[1100];
    snprintf(dir, sizeof dir, "%s", __FILE__);
    char *slash = strrchr(dir, '/');
    if (!slash) skip();
    *slash = '\0';
    decoder *d = new_decoder(1);
    size_t total = 0;
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        snprintf(path, sizeof path, "%s/../sflow/data/pmacct-test7-%04d.sflow", dir, files[i]);
        size_t len = 0;     /* read_file sets it; gcc -O2 cannot see that */
        uint8_t *b = read_file(path, &len);
        if (!b) {
            decoder_free(d);
            skip();
        }
        fed f = feed_bytes(d, UDP_SRC, b, len);
        free(b);
        if (f.rc != 0) fail_msg("%s: %s", path, f.err.msg);
        for (size_t k = 0; k < f.n; k++) {
            expect_addr(&f.r[k].exporter, "192.0.2.10");
            assert_int_equal(f.r[k].sampling, 1);
            assert_true(f.r[k].bytes >= 20);
        }
        total += f.n;
    }
    assert_int_equal(total, 107);
    decode_exporter e = exporter_of(d, "192.0.2.10");
    assert_int_equal(e.c.malformed, 0);
    assert_int_equal(e.c.packets, 16);
    assert_true(e.c.lost_packets > 0);        /* datagrams 8..33 etc. are missing */
    decoder_free(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(basic),
        cmocka_unit_test(loss_accounting),
        cmocka_unit_test(sampling_rules),
        cmocka_unit_test(unknown_agent),
        cmocka_unit_test(real_datagrams),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
