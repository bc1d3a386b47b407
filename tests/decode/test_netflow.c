/*
 * test_netflow.c: NetFlow v5 and v9 decoding (src/decode/).
 *
 * Every datagram is built by tests/decode/pkt.h from its fields, and every
 * expected value is worked out here from the same numbers (times: export
 * time minus the distance of the uptime stamp from sysUptime).  Sequence
 * and sampling rules are in src/decode/sequence.c and sampling.c; each
 * test names the rule it checks.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "decode/dec_test.h"

#define UP 100000000u                 /* sysUptime of most datagrams, ms */

/* ---- NetFlow v5 ---- */

static void v5_basic(void **state)
{
    (void)state;
    decoder *d = new_decoder(1);
    pkt p;
    pkt_reset(&p);
    v5_header(&p, 2, UP, T0_SECS, 250000000, 0, 3, 7, 0x4000 | 100);
    v5_record(&p, &(v5rec){.src = IP4(10, 0, 0, 1), .dst = IP4(192, 0, 2, 9), .in_if = 3,
                           .out_if = 4, .pkts = 2, .octets = 120, .first = UP - 5000,
                           .last = UP - 1000, .sport = 40000, .dport = 443, .flags = 0x1b,
                           .proto = 6, .tos = 0x20, .src_as = 64500, .dst_as = 65001});
    v5_record(&p, &(v5rec){.src = IP4(10, 0, 0, 2), .dst = IP4(192, 0, 2, 10), .pkts = 1,
                           .octets = 84, .first = UP, .last = UP, .dport = 0x0800, .proto = 1});
    const flow_record *r = feed_ok(d, "192.0.2.1", &p, 2);
    int64_t export_ms = T0_MS + 250;
    expect_addr(&r[0].src_addr, "10.0.0.1");
    expect_addr(&r[0].dst_addr, "192.0.2.9");
    expect_addr(&r[0].exporter, "192.0.2.1");
    assert_int_equal(r[0].domain, 3 << 8 | 7);
    assert_int_equal(r[0].in_if, 3);
    assert_int_equal(r[0].out_if, 4);
    assert_int_equal(r[0].packets, 200);
    assert_int_equal(r[0].bytes, 12000);
    assert_int_equal(r[0].sampling, 100);
    assert_int_equal(r[0].start_ms, export_ms - 5000);
    assert_int_equal(r[0].end_ms, export_ms - 1000);
    assert_int_equal(r[0].src_port, 40000);
    assert_int_equal(r[0].dst_port, 443);
    assert_int_equal(r[0].tcp_flags, 0x1b);
    assert_int_equal(r[0].proto, 6);
    assert_int_equal(r[0].tos, 0x20);
    assert_int_equal(r[0].src_as, 64500);
    assert_int_equal(r[0].dst_as, 65001);
    assert_int_equal(r[0].reserved, 0);
    assert_int_equal(r[1].dst_port, 0x0800);      /* ICMP echo request */
    assert_int_equal(r[1].src_port, 0);
    assert_int_equal(r[1].start_ms, export_ms);
    decode_exporter e = exporter_of(d, "192.0.2.1");
    assert_int_equal(e.proto, DECODE_NETFLOW_V5);
    assert_int_equal(e.sampling, 100);
    assert_int_equal(e.c.records, 2);
    assert_int_equal(e.c.packets, 1);
    assert_int_equal(e.c.bytes, p.n);
    assert_int_equal(e.c.unknown_sampling, 0);
    decoder_free(d);
}

/* First/Last around the 32-bit wrap of sysUptime (nfdump's rules). */
static void v5_uptime_wrap(void **state)
{
    (void)state;
    decoder *d = new_decoder(1);
    pkt p;
    pkt_reset(&p);
    v5_header(&p, 3, 2000, T0_SECS, 0, 0, 0, 0, 1);
    /* started before the wrap, ended after it */
    v5_record(&p, &(v5rec){.src = 1, .dst = 2, .first = 4294967000u, .last = 1000, .proto = 6});
    /* both before the wrap, exported after it: one wrap earlier */
    v5_record(&p, &(v5rec){.src = 1, .dst = 2, .first = 4294900000u, .last = 4294960000u, .proto = 6});
    /* stamped just after the header (CSCei12353): just after the export */
    v5_record(&p, &(v5rec){.src = 1, .dst = 2, .first = 1500, .last = 3000, .proto = 6});
    const flow_record *r = feed_ok(d, "192.0.2.1", &p, 3);
    assert_int_equal(r[0].start_ms, T0_MS - (2000 + 4294967296LL - 4294967000LL));
    assert_int_equal(r[0].end_ms, T0_MS - 1000);
    assert_int_equal(r[1].start_ms, T0_MS - (2000 + 4294967296LL - 4294900000LL));
    assert_int_equal(r[1].end_ms, T0_MS - (2000 + 4294967296LL - 4294960000LL));
    assert_int_equal(r[2].start_ms, T0_MS - 500);
    assert_int_equal(r[2].end_ms, T0_MS + 1000);
    decoder_free(d);
}

static void v5_packet(pkt *p, uint32_t seq, uint16_t count, uint16_t sampling)
{
    pkt_reset(p);
    v5_header(p, count, UP, T0_SECS, 0, seq, 0, 1, sampling);
    for (uint16_t i = 0; i < count; i++)
        v5_record(p, &(v5rec){.src = IP4(10, 0, 0, i), .dst = 2, .pkts = 1, .octets = 40,
                              .first = UP, .last = UP, .proto = 17});
}

/* flow_sequence counts flows: gaps are lost records; late ones reordered. */
static void v5_sequence(void **state)
{
    (void)state;
    decoder *d = new_decoder(1);
    pkt p;
    v5_packet(&p, 1000, 2, 0);
    feed_ok(d, "192.0.2.1", &p, 2);
    v5_packet(&p, 1002, 3, 0);
    feed_ok(d, "192.0.2.1", &p, 3);
    decode_counters c = counters_of(d, "192.0.2.1");
    assert_int_equal(c.lost_records, 0);
    v5_packet(&p, 1010, 2, 0);                /* 1005..1009 missing */
    feed_ok(d, "192.0.2.1", &p, 2);
    c = counters_of(d, "192.0.2.1");
    assert_int_equal(c.lost_records, 5);
    v5_packet(&p, 1005, 5, 0);                /* the late one */
    feed_ok(d, "192.0.2.1", &p, 5);
    c = counters_of(d, "192.0.2.1");
    assert_int_equal(c.lost_records, 5);      /* counters only grow */
    assert_int_equal(c.reordered, 1);
    v5_packet(&p, 1012, 1, 0);                /* back in order */
    feed_ok(d, "192.0.2.1", &p, 1);
    c = counters_of(d, "192.0.2.1");
    assert_int_equal(c.lost_records, 5);
    assert_int_equal(c.reordered, 1);
    /* a jump far ahead: no loss, a reset */
    v5_packet(&p, 500000000u, 1, 0);
    feed_ok(d, "192.0.2.1", &p, 1);
    v5_packet(&p, 4000000000u, 1, 0);         /* and far behind: reset again */
    feed_ok(d, "192.0.2.1", &p, 1);
    v5_packet(&p, 4000000001u, 1, 0);
    feed_ok(d, "192.0.2.1", &p, 1);
    c = counters_of(d, "192.0.2.1");
    assert_int_equal(c.lost_records, 5);
    assert_int_equal(c.seq_resets, 2);
    assert_int_equal(c.unknown_sampling, 2 + 3 + 2 + 5 + 1 + 3);
    decoder_free(d);
}

/* A count the datagram has no room for: the records there are kept. */
static void v5_truncated(void **state)
{
    (void)state;
    decoder *d = new_decoder(1);
    pkt p;
    v5_packet(&p, 0, 3, 10);
    fed f = feed_bytes(d, "192.0.2.1", p.b, p.n - 1);
    assert_int_equal(f.rc, -1);
    assert_int_equal(f.n, 2);
    assert_non_null(strstr(f.err.msg, "192.0.2.1"));
    assert_non_null(strstr(f.err.msg, "netflow-v5"));
    assert_int_equal(f.r[1].packets, 10);
    decode_counters c = counters_of(d, "192.0.2.1");
    assert_int_equal(c.malformed, 1);
    assert_int_equal(c.records, 2);
    f = feed_bytes(d, "192.0.2.1", p.b, 23);
    assert_int_equal(f.rc, -1);
    assert_int_equal(f.n, 0);
    decoder_free(d);
}

/* ---- NetFlow v9 ---- */

static const nfbrec R1 = {
    .src = "198.51.100.7", .dst = "203.0.113.20", .sport = 51000, .dport = 23,
    .proto = 6, .flags = 0x02, .tos = 0, .pkts = 3, .bytes = 180,
    .first = UP - 60000, .last = UP - 100, .in_if = 5, .out_if = 9,
    .src_as = 64496, .dst_as = 64511,
};

static void v9_data_packet(pkt *p, uint32_t seq, uint32_t source, uint16_t tid,
                           const nfbrec *r, int n)
{
    pkt_reset(p);
    v9_header(p, (uint16_t)n, UP, T0_SECS, seq, source);
    size_t at = set_begin(p, tid);
    for (int i = 0; i < n; i++) nfb_record(p, &r[i]);
    set_end(p, at);
}

static void v9_template_then_data(void **state)
{
    (void)state;
    decoder *d = new_decoder(1);
    pkt p;
    nfb_templates(&p, UP, 0, 1);
    feed_ok(d, "192.0.2.1", &p, 0);
    nfbrec rs[3] = {R1, R1, R1};
    rs[1].src = "2001:db8::1";
    rs[1].dst = "2001:db8:ffff::2";
    rs[2].proto = 1;
    rs[2].sport = 0;
    rs[2].dport = 0x0b00;                     /* time exceeded */
    rs[2].icmp = 0x0b00;
    v9_data_packet(&p, 1, 1, 256, &rs[0], 1);
    const flow_record *r = feed_ok(d, "192.0.2.1", &p, 1);
    expect_addr(&r[0].src_addr, "198.51.100.7");
    expect_addr(&r[0].dst_addr, "203.0.113.20");
    expect_addr(&r[0].exporter, "192.0.2.1");
    assert_int_equal(r[0].domain, 1);
    assert_int_equal(r[0].src_port, 51000);
    assert_int_equal(r[0].dst_port, 23);
    assert_int_equal(r[0].proto, 6);
    assert_int_equal(r[0].tcp_flags, 2);
    assert_int_equal(r[0].packets, 3);
    assert_int_equal(r[0].bytes, 180);
    assert_int_equal(r[0].start_ms, T0_MS - 60000);
    assert_int_equal(r[0].end_ms, T0_MS - 100);
    assert_int_equal(r[0].in_if, 5);
    assert_int_equal(r[0].out_if, 9);
    assert_int_equal(r[0].src_as, 64496);
    assert_int_equal(r[0].dst_as, 64511);
    assert_int_equal(r[0].sampling, 1);
    assert_int_equal(r[0].reserved, 0);
    /* padded to 4 bytes: 57 + 3, still one record */
    assert_int_equal(p.n, 20 + 4 + 60);

    v9_data_packet(&p, 2, 1, 257, &rs[1], 1);
    r = feed_ok(d, "192.0.2.1", &p, 1);
    expect_addr(&r[0].src_addr, "2001:db8::1");
    expect_addr(&r[0].dst_addr, "2001:db8:ffff::2");
    assert_int_equal(r[0].bytes, 180);

    v9_data_packet(&p, 3, 1, 256, &rs[2], 1);
    r = feed_ok(d, "192.0.2.1", &p, 1);
    assert_int_equal(r[0].dst_port, 0x0b00);
    assert_int_equal(r[0].src_port, 0);

    decode_counters c = counters_of(d, "192.0.2.1");
    assert_int_equal(c.templates, 2);
    assert_int_equal(c.records, 3);
    assert_int_equal(c.lost_packets, 0);
    assert_int_equal(c.unknown_sampling, 3);
    assert_true(decoder_state_changed(d));
    decoder_free(d);
}

/* Several FlowSets and templates in one datagram, data of both families. */
static void v9_mixed_flowsets(void **state)
{
    (void)state;
    decoder *d = new_decoder(1);
    pkt p;
    pkt_reset(&p);
    v9_header(&p, 5, UP, T0_SECS, 0, 7);
    size_t at = set_begin(&p, 0);
    v9_template(&p, 256, NFB_V4, NFB_N);
    v9_template(&p, 257, NFB_V6, NFB_N);
    set_end(&p, at);
    nfbrec v6 = R1;
    v6.src = "2001:db8::5";
    v6.dst = "::1";
    at = set_begin(&p, 257);
    nfb_record(&p, &v6);
    set_end(&p, at);
    at = set_begin(&p, 256);
    nfb_record(&p, &R1);
    nfb_record(&p, &R1);
    set_end(&p, at);
    const flow_record *r = feed_ok(d, "2001:db8::99", &p, 3);
    expect_addr(&r[0].src_addr, "2001:db8::5");
    expect_addr(&r[1].src_addr, "198.51.100.7");
    expect_addr(&r[2].exporter, "2001:db8::99");
    assert_int_equal(r[2].domain, 7);
    decoder_free(d);
}

/* Data before its template is held and decoded when the template comes,
 * with the times of its own datagram; what is still waiting when the
 * decoder is drained counts in no_template (by the header's count when the
 * set was its datagram's only one, else one per set). */
static void v9_data_before_template(void **state)
{
    (void)state;
    decoder *d = new_decoder(1);
    pkt p;
    nfbrec rs[3] = {R1, R1, R1};
    v9_data_packet(&p, 0, 1, 256, rs, 3);
    fed f = feed(d, "192.0.2.1", &p);
    assert_int_equal(f.rc, 0);
    assert_int_equal(f.n, 0);
    decode_counters c = counters_of(d, "192.0.2.1");
    assert_int_equal(c.no_template, 0);       /* held, not lost */
    /* two template-less FlowSets in one datagram */
    pkt_reset(&p);
    v9_header(&p, 3, UP, T0_SECS, 1, 1);
    size_t at = set_begin(&p, 256);
    nfb_record(&p, &R1);
    nfb_record(&p, &R1);
    set_end(&p, at);
    at = set_begin(&p, 300);
    nfb_record(&p, &R1);
    set_end(&p, at);
    feed_ok(d, "192.0.2.1", &p, 0);
    /* the template arrives a minute later: the five held records of 256
     * come out with it, timed by their own datagrams */
    pkt tp;
    nfb_templates(&tp, UP + 60000, 2, 1);
    c2_put_be32(tp.b + 8, T0_SECS + 60);
    const flow_record *r = feed_ok(d, "192.0.2.1", &tp, 5);
    flow_record held = r[0];
    v9_data_packet(&p, 3, 1, 256, rs, 3);
    r = feed_ok(d, "192.0.2.1", &p, 3);
    assert_int_equal(held.start_ms, r[0].start_ms);
    assert_int_equal(held.end_ms, r[0].end_ms);
    assert_int_equal(held.packets, r[0].packets);
    /* another source id of the same router has no templates */
    v9_data_packet(&p, 0, 2, 256, rs, 3);
    feed_ok(d, "192.0.2.1", &p, 0);
    c = counters_of(d, "192.0.2.1");
    assert_int_equal(c.no_template, 0);
    assert_int_equal(c.records, 8);
    decoder_drop_pending(d);                  /* set 300 (1) and source 2's (3) */
    c = counters_of(d, "192.0.2.1");
    assert_int_equal(c.no_template, 4);
    decoder_drop_pending(d);
    assert_int_equal(counters_of(d, "192.0.2.1").no_template, 4);
    decoder_free(d);
}

/* At most DEC_PENDING_SETS sets wait per domain: the oldest make room and
 * are counted; the rest decode when the template comes. */
static void v9_pending_bounded(void **state)
{
    (void)state;
    decoder *d = new_decoder(1);
    pkt p;
    nfbrec rs[3] = {R1, R1, R1};
    for (uint32_t i = 0; i < 70; i++) {
        v9_data_packet(&p, i, 9, 256, rs, 3);
        feed_ok(d, "192.0.2.1", &p, 0);
    }
    assert_int_equal(counters_of(d, "192.0.2.1").no_template, 6 * 3);
    nfb_templates(&p, UP, 70, 9);
    feed_ok(d, "192.0.2.1", &p, 64 * 3);
    decoder_drop_pending(d);
    decode_counters c = counters_of(d, "192.0.2.1");
    assert_int_equal(c.no_template, 6 * 3);
    assert_int_equal(c.records, 64 * 3);
    assert_int_equal(c.lost_packets, 0);
    decoder_free(d);
}

/* Widths other than the usual, OUT_ counters, elements passed over. */
static void v9_widths_and_fallbacks(void **state)
{
    (void)state;
    decoder *d = new_decoder(1);
    const spec f[] = {
        {8, 4, 0}, {12, 4, 0}, {60, 1, 0} /* IP version: passed over */,
        {23, 6, 0} /* OUT_BYTES */, {24, 3, 0} /* OUT_PKTS */, {10, 2, 0}, {14, 2, 0},
        {16, 2, 0}, {17, 3, 0}, {40000, 7, 0} /* vendor */, {7, 4, 0}, {11, 2, 0},
        {4, 1, 0}, {6, 2, 0} /* flags in 2 bytes */,
    };
    pkt p;
    pkt_reset(&p);
    v9_header(&p, 2, UP, T0_SECS, 0, 0);
    v9_template_set(&p, 400, f, sizeof f / sizeof f[0]);
    size_t at = set_begin(&p, 400);
    put32(&p, IP4(10, 1, 2, 3)); put32(&p, IP4(10, 4, 5, 6)); put8(&p, 4);
    put_uint(&p, 0x0102030405ull, 6); put_uint(&p, 70000, 3); put16(&p, 11); put16(&p, 12);
    put16(&p, 65000); put_uint(&p, 4200000000u & 0xffffff, 3); put_zero(&p, 7);
    put32(&p, 0x00010050); put16(&p, 8080); put8(&p, 6); put16(&p, 0x0112);
    set_end(&p, at);
    const flow_record *r = feed_ok(d, "192.0.2.1", &p, 1);
    expect_addr(&r[0].src_addr, "10.1.2.3");
    expect_addr(&r[0].dst_addr, "10.4.5.6");
    assert_int_equal(r[0].bytes, 0x0102030405ull);
    assert_int_equal(r[0].packets, 70000);
    assert_int_equal(r[0].in_if, 11);
    assert_int_equal(r[0].out_if, 12);
    assert_int_equal(r[0].src_as, 65000);
    assert_int_equal(r[0].dst_as, 4200000000u & 0xffffff);
    assert_int_equal(r[0].src_port, 0x50);    /* low 16 bits of a 4-byte port */
    assert_int_equal(r[0].dst_port, 8080);
    assert_int_equal(r[0].tcp_flags, 0x12);
    /* IN_ counters win over OUT_ ones wherever they stand */
    const spec g[] = {{8, 4, 0}, {12, 4, 0}, {23, 4, 0}, {1, 4, 0}, {2, 4, 0}, {24, 4, 0}};
    pkt_reset(&p);
    v9_header(&p, 2, UP, T0_SECS, 1, 0);
    v9_template_set(&p, 401, g, 6);
    at = set_begin(&p, 401);
    put32(&p, 1); put32(&p, 2); put32(&p, 999); put32(&p, 100); put32(&p, 2); put32(&p, 888);
    set_end(&p, at);
    r = feed_ok(d, "192.0.2.1", &p, 1);
    assert_int_equal(r[0].bytes, 100);
    assert_int_equal(r[0].packets, 2);
    /* no time elements: both ends are the export time */
    assert_int_equal(r[0].start_ms, T0_MS);
    assert_int_equal(r[0].end_ms, T0_MS);
    decoder_free(d);
}

/* ICMP type/code: ICMP_TYPE [32], or L4_DST_PORT, or L4_SRC_PORT. */
static void v9_icmp(void **state)
{
    (void)state;
    decoder *d = new_decoder(1);
    const spec f[] = {{8, 4, 0}, {12, 4, 0}, {4, 1, 0}, {7, 2, 0}, {11, 2, 0}};
    pkt p;
    pkt_reset(&p);
    v9_header(&p, 4, UP, T0_SECS, 0, 0);
    v9_template_set(&p, 300, f, 5);
    size_t at = set_begin(&p, 300);
    put32(&p, 1); put32(&p, 2); put8(&p, 1); put16(&p, 0); put16(&p, 0x0303);
    put32(&p, 1); put32(&p, 2); put8(&p, 1); put16(&p, 0x0800); put16(&p, 0);
    put32(&p, 1); put32(&p, 2); put8(&p, 58); put16(&p, 0x8000); put16(&p, 0);
    set_end_pad(&p, at, 0);
    const flow_record *r = feed_ok(d, "192.0.2.1", &p, 3);
    assert_int_equal(r[0].dst_port, 0x0303);
    assert_int_equal(r[0].src_port, 0);
    assert_int_equal(r[1].dst_port, 0x0800);
    assert_int_equal(r[1].src_port, 0);
    assert_int_equal(r[2].dst_port, 0x8000);
    /* ICMP_TYPE wins over the port when non-zero */
    const spec g[] = {{8, 4, 0}, {12, 4, 0}, {4, 1, 0}, {11, 2, 0}, {32, 2, 0}};
    pkt_reset(&p);
    v9_header(&p, 3, UP, T0_SECS, 1, 0);
    v9_template_set(&p, 301, g, 5);
    at = set_begin(&p, 301);
    put32(&p, 1); put32(&p, 2); put8(&p, 1); put16(&p, 7); put16(&p, 0x0301);
    put32(&p, 1); put32(&p, 2); put8(&p, 6); put16(&p, 443); put16(&p, 0x0301);
    set_end_pad(&p, at, 0);
    r = feed_ok(d, "192.0.2.1", &p, 2);
    assert_int_equal(r[0].dst_port, 0x0301);
    assert_int_equal(r[1].dst_port, 443);     /* not ICMP: untouched */
    decoder_free(d);
}

/* Sampler ids (Cisco style, [48] in the data) and a domain-wide interval. */
static void v9_options_sampling(void **state)
{
    (void)state;
    decoder *d = new_decoder(1);
    const spec scope[] = {{1, 4, 0}};                       /* System */
    const spec sampler[] = {{48, 1, 0}, {49, 1, 0}, {50, 4, 0}};
    const spec data[] = {{8, 4, 0}, {12, 4, 0}, {1, 4, 0}, {2, 4, 0}, {48, 1, 0}};
    pkt p;
    pkt_reset(&p);
    v9_header(&p, 4, UP, T0_SECS, 0, 0);
    v9_options_set(&p, 260, scope, 1, sampler, 3);
    v9_template_set(&p, 261, data, 5);
    size_t at = set_begin(&p, 260);           /* sampler 1: 1 in 64; 2: 1 in 1000 */
    put32(&p, 0); put8(&p, 1); put8(&p, 2); put32(&p, 64);
    put32(&p, 0); put8(&p, 2); put8(&p, 2); put32(&p, 1000);
    set_end(&p, at);
    fed f = feed(d, "192.0.2.1", &p);
    assert_int_equal(f.rc, 0);
    assert_int_equal(f.n, 0);
    assert_int_equal(counters_of(d, "192.0.2.1").other, 2);
    pkt_reset(&p);
    v9_header(&p, 3, UP, T0_SECS, 1, 0);
    at = set_begin(&p, 261);
    put32(&p, 1); put32(&p, 2); put32(&p, 100); put32(&p, 2); put8(&p, 1);
    put32(&p, 1); put32(&p, 2); put32(&p, 100); put32(&p, 2); put8(&p, 2);
    put32(&p, 1); put32(&p, 2); put32(&p, 100); put32(&p, 2); put8(&p, 3);
    set_end(&p, at);
    const flow_record *r = feed_ok(d, "192.0.2.1", &p, 3);
    assert_int_equal(r[0].sampling, 64);
    assert_int_equal(r[0].packets, 128);
    assert_int_equal(r[0].bytes, 6400);
    assert_int_equal(r[1].sampling, 1000);
    assert_int_equal(r[2].sampling, 1);       /* sampler 3 was never announced */
    assert_int_equal(counters_of(d, "192.0.2.1").unknown_sampling, 1);

    /* a domain-wide interval [34] (no sampler id) serves the unknown id */
    const spec wide[] = {{34, 4, 0}, {35, 1, 0}};
    pkt_reset(&p);
    v9_header(&p, 2, UP, T0_SECS, 2, 0);
    v9_options_set(&p, 262, scope, 1, wide, 2);
    at = set_begin(&p, 262);
    put32(&p, 0); put32(&p, 10); put8(&p, 1);
    set_end(&p, at);
    feed_ok(d, "192.0.2.1", &p, 0);
    pkt_reset(&p);
    v9_header(&p, 2, UP, T0_SECS, 3, 0);
    at = set_begin(&p, 261);
    put32(&p, 1); put32(&p, 2); put32(&p, 100); put32(&p, 2); put8(&p, 3);
    put32(&p, 1); put32(&p, 2); put32(&p, 100); put32(&p, 2); put8(&p, 2);
    set_end(&p, at);
    r = feed_ok(d, "192.0.2.1", &p, 2);
    assert_int_equal(r[0].sampling, 10);
    assert_int_equal(r[1].sampling, 1000);
    /* the interval belongs to source id 0: source id 5 knows nothing */
    pkt_reset(&p);
    v9_header(&p, 1, UP, T0_SECS, 0, 5);
    v9_template_set(&p, 261, data, 5);
    at = set_begin(&p, 261);
    put32(&p, 1); put32(&p, 2); put32(&p, 100); put32(&p, 2); put8(&p, 1);
    set_end(&p, at);
    r = feed_ok(d, "192.0.2.1", &p, 1);
    assert_int_equal(r[0].sampling, 1);
    decoder_free(d);
}

/* The override wins over everything announced; apply_sampling = 0. */
static void v9_override_and_no_apply(void **state)
{
    (void)state;
    for (int apply = 1; apply >= 0; apply--) {
        decoder *d = new_decoder(apply);
        flow_addr ex = A("192.0.2.1");
        const spec data[] = {{8, 4, 0}, {12, 4, 0}, {1, 4, 0}, {2, 4, 0}, {34, 4, 0}};
        pkt p;
        pkt_reset(&p);
        v9_header(&p, 3, UP, T0_SECS, 0, 0);
        v9_template_set(&p, 256, data, 5);
        size_t at = set_begin(&p, 256);
        put32(&p, 1); put32(&p, 2); put32(&p, 100); put32(&p, 2); put32(&p, 50);
        put32(&p, 1); put32(&p, 2); put32(&p, 100); put32(&p, 2); put32(&p, 0);
        set_end(&p, at);
        const flow_record *r = feed_ok(d, "192.0.2.1", &p, 2);
        assert_int_equal(r[0].sampling, apply ? 50 : 1);    /* the record's own [34] */
        assert_int_equal(r[0].packets, apply ? 100 : 2);
        assert_int_equal(r[1].sampling, 1);
        assert_int_equal(counters_of(d, "192.0.2.1").unknown_sampling, apply ? 1 : 0);
        assert_int_equal(decoder_set_sampling_override(d, &ex, 4000), 0);
        assert_int_equal(exporter_of(d, "192.0.2.1").override, 4000);
        r = feed_ok(d, "192.0.2.1", &p, 3 - 1);
        assert_int_equal(r[0].sampling, apply ? 4000 : 1);
        assert_int_equal(r[1].sampling, apply ? 4000 : 1);
        assert_int_equal(r[1].bytes, apply ? 400000 : 100);
        assert_int_equal(exporter_of(d, "192.0.2.1").sampling, apply ? 4000 : 1);
        decoder_clear_sampling_overrides(d);
        assert_int_equal(exporter_of(d, "192.0.2.1").override, 0);
        r = feed_ok(d, "192.0.2.1", &p, 2);
        assert_int_equal(r[0].sampling, apply ? 50 : 1);
        decoder_free(d);
    }
}

/* An override set before the exporter is seen; the table's bound. */
static void override_table(void **state)
{
    (void)state;
    decode_options o;
    decode_options_default(&o);
    o.max_exporters = 2;
    decoder *d;
    c2_err err;
    assert_int_equal(decoder_new(&o, &d, &err), 0);
    flow_addr a = A("192.0.2.1"), b = A("192.0.2.2"), c = A("192.0.2.3");
    assert_int_equal(decoder_set_sampling_override(d, &a, 10), 0);
    assert_int_equal(decoder_set_sampling_override(d, &b, 20), 0);
    assert_int_equal(decoder_set_sampling_override(d, &c, 30), -1);
    assert_int_equal(decoder_set_sampling_override(d, &b, 0), 0);   /* removed */
    assert_int_equal(decoder_set_sampling_override(d, &c, 30), 0);
    pkt p;
    v5_packet(&p, 0, 1, 0);
    const flow_record *r = feed_ok(d, "192.0.2.3", &p, 1);
    assert_int_equal(r[0].sampling, 30);
    r = feed_ok(d, "192.0.2.1", &p, 1);
    assert_int_equal(r[0].sampling, 10);
    fed f = feed(d, "192.0.2.2", &p);         /* a third exporter: no room */
    assert_int_equal(f.rc, -1);
    assert_int_equal(f.n, 0);
    decode_counters total;
    decoder_foreach_exporter(d, NULL, NULL, &total);
    assert_int_equal(total.packets, 3);
    assert_int_equal(total.malformed, 1);
    assert_int_equal(total.records, 2);
    decoder_free(d);
}

/* v9 counts packets per source id; a protocol change forgets sequences. */
static void v9_sequence(void **state)
{
    (void)state;
    decoder *d = new_decoder(1);
    pkt p;
    nfbrec rs[1] = {R1};
    nfb_templates(&p, UP, 10, 1);
    feed_ok(d, "192.0.2.1", &p, 0);
    nfb_templates(&p, UP, 500, 2);            /* source 2 has its own numbers */
    feed_ok(d, "192.0.2.1", &p, 0);
    v9_data_packet(&p, 11, 1, 256, rs, 1);
    feed_ok(d, "192.0.2.1", &p, 1);
    v9_data_packet(&p, 501, 2, 256, rs, 1);
    feed_ok(d, "192.0.2.1", &p, 1);
    assert_int_equal(counters_of(d, "192.0.2.1").lost_packets, 0);
    v9_data_packet(&p, 15, 1, 256, rs, 1);    /* 12, 13, 14 lost */
    feed_ok(d, "192.0.2.1", &p, 1);
    v9_data_packet(&p, 13, 1, 256, rs, 1);    /* one of them, late */
    feed_ok(d, "192.0.2.1", &p, 1);
    v9_data_packet(&p, 13, 1, 256, rs, 1);    /* and duplicated */
    feed_ok(d, "192.0.2.1", &p, 1);
    decode_counters c = counters_of(d, "192.0.2.1");
    assert_int_equal(c.lost_packets, 3);
    assert_int_equal(c.reordered, 2);
    /* a restart just behind: three datagrams in a row from 2 on resync */
    for (uint32_t s = 2; s < 8; s++) {
        v9_data_packet(&p, s, 1, 256, rs, 1);
        feed_ok(d, "192.0.2.1", &p, 1);
    }
    c = counters_of(d, "192.0.2.1");
    assert_int_equal(c.lost_packets, 3);
    assert_int_equal(c.reordered, 2 + 2);
    assert_int_equal(c.seq_resets, 1);
    /* a jump forward past any plausible loss */
    v9_data_packet(&p, 3000000000u, 1, 256, rs, 1);
    feed_ok(d, "192.0.2.1", &p, 1);
    c = counters_of(d, "192.0.2.1");
    assert_int_equal(c.lost_packets, 3);
    assert_int_equal(c.seq_resets, 2);
    /* the router switches to v5 and back: no loss counted */
    v5_packet(&p, 77, 1, 0);
    feed_ok(d, "192.0.2.1", &p, 1);
    v9_data_packet(&p, 12345, 1, 256, rs, 1);
    feed_ok(d, "192.0.2.1", &p, 1);
    c = counters_of(d, "192.0.2.1");
    assert_int_equal(c.lost_packets, 3);
    assert_int_equal(c.lost_records, 0);
    assert_int_equal(c.seq_resets, 2);
    assert_int_equal(exporter_of(d, "192.0.2.1").proto, DECODE_NETFLOW_V9);
    decoder_free(d);
}

/* FIRST/LAST_SWITCHED around the wrap, against the header's sysUptime. */
static void v9_uptime_wrap(void **state)
{
    (void)state;
    decoder *d = new_decoder(1);
    pkt p;
    nfb_templates(&p, 3000, 0, 1);
    feed_ok(d, "192.0.2.1", &p, 0);
    nfbrec r0 = R1;
    r0.first = 4294960000u;                   /* 7296 ms before the wrap */
    r0.last = 2000;
    pkt_reset(&p);
    v9_header(&p, 1, 3000, T0_SECS, 1, 1);
    size_t at = set_begin(&p, 256);
    nfb_record(&p, &r0);
    set_end(&p, at);
    const flow_record *r = feed_ok(d, "192.0.2.1", &p, 1);
    assert_int_equal(r[0].start_ms, T0_MS - 3000 - 7296);
    assert_int_equal(r[0].end_ms, T0_MS - 1000);
    decoder_free(d);
}

static void options_bounds(void **state)
{
    (void)state;
    decode_options o;
    decoder *d;
    c2_err err;
    decode_options_default(&o);
    assert_int_equal(o.apply_sampling, 1);
    assert_int_equal(o.max_exporters, 4096);
    assert_int_equal(o.max_templates, 4096);
    o.max_exporters = 0;
    assert_int_equal(decoder_new(&o, &d, &err), -1);
    assert_non_null(strstr(err.msg, "max_exporters"));
    decode_options_default(&o);
    o.max_templates = 0;
    assert_int_equal(decoder_new(&o, &d, &err), -1);
    assert_non_null(strstr(err.msg, "max_templates"));
    assert_int_equal(decoder_new(NULL, &d, &err), 0);       /* the defaults */
    assert_string_equal(decode_proto_name(DECODE_IPFIX), "ipfix");
    assert_string_equal(decode_proto_name(DECODE_SFLOW_V5), "sflow-v5");
    decoder_free(d);
    decoder_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(v5_basic),
        cmocka_unit_test(v5_uptime_wrap),
        cmocka_unit_test(v5_sequence),
        cmocka_unit_test(v5_truncated),
        cmocka_unit_test(v9_template_then_data),
        cmocka_unit_test(v9_mixed_flowsets),
        cmocka_unit_test(v9_data_before_template),
        cmocka_unit_test(v9_pending_bounded),
        cmocka_unit_test(v9_widths_and_fallbacks),
        cmocka_unit_test(v9_icmp),
        cmocka_unit_test(v9_options_sampling),
        cmocka_unit_test(v9_override_and_no_apply),
        cmocka_unit_test(override_table),
        cmocka_unit_test(v9_sequence),
        cmocka_unit_test(v9_uptime_wrap),
        cmocka_unit_test(options_bounds),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
