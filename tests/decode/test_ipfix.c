/*
 * test_ipfix.c: IPFIX decoding (src/decode/ipfix.c, template.c,
 * sampling.c): every time representation of RFC 7011 / 7012, variable-
 * length and enterprise fields, reduced-size integers, withdrawals,
 * sequence numbers that count data records, and sampling announced in
 * options data (PSAMP elements).
 *
 * Messages are built by tests/decode/pkt.h; expected times are worked out
 * here from T (start) and E (end), a few seconds before the export time.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "decode/dec_test.h"

#define T  (T0_MS - 10500)            /* flow start used by the time tests */
#define E  (T0_MS - 2250)             /* flow end */
#define EXPORTER "192.0.2.10"

/* A message with a template {8, 12, then f[0..n)} and one record whose
 * addresses are 10.0.0.1 -> 10.0.0.2 and whose other fields the caller
 * writes with `rest`. */
typedef void (*writer)(pkt *p);

static const flow_record *one_record(decoder *d, uint16_t tid, const spec *f, int n,
                                     writer rest)
{
    static pkt p;
    spec all[16] = {{8, 4, 0}, {12, 4, 0}};
    memcpy(all + 2, f, (size_t)n * sizeof *f);
    pkt_reset(&p);
    ipfix_header(&p, T0_SECS, 0, 1);
    ipfix_template_set(&p, tid, all, (uint16_t)(n + 2));
    size_t at = set_begin(&p, tid);
    put32(&p, IP4(10, 0, 0, 1));
    put32(&p, IP4(10, 0, 0, 2));
    rest(&p);
    set_end(&p, at);
    ipfix_end(&p);
    return feed_ok(d, EXPORTER, &p, 1);
}

static void w_ms(pkt *p) { put64(p, (uint64_t)T); put64(p, (uint64_t)E); }
static void w_sec(pkt *p) { put32(p, (uint32_t)(T / 1000)); put32(p, (uint32_t)(E / 1000)); }
static void w_us(pkt *p) { put64(p, ntp_of(T, 999000)); put64(p, ntp_of(E, 0)); }
static void w_ns(pkt *p) { put64(p, ntp_of(T, 123456)); put64(p, ntp_of(E, 999999)); }
static void w_delta(pkt *p)
{
    put32(p, (uint32_t)((T0_MS - T) * 1000 + 500));    /* 10500.5 ms before export */
    put32(p, (uint32_t)((T0_MS - E) * 1000));
}
#define INIT (T0_MS - 3600000)        /* device booted an hour before export */
static void w_uptime_init(pkt *p)
{
    put32(p, (uint32_t)(T - INIT));
    put32(p, (uint32_t)(E - INIT));
    put64(p, (uint64_t)INIT);
}
static void w_uptime(pkt *p) { put32(p, (uint32_t)(T - INIT)); put32(p, (uint32_t)(E - INIT)); }
static void w_ms_dur(pkt *p) { put64(p, (uint64_t)T); put32(p, 8250); }
static void w_dur_us_end(pkt *p) { put64(p, 8250000); put64(p, ntp_of(E, 0)); }
static void w_both(pkt *p) { put32(p, (uint32_t)(T / 1000) - 100); put64(p, (uint64_t)T); put64(p, (uint64_t)E); }
#define Y2040_MS 2208988800005LL       /* 2040-01-01T00:00:00.005Z: NTP era 1 */
static void w_2040(pkt *p) { put64(p, ntp_of(Y2040_MS, 0)); put64(p, ntp_of(Y2040_MS + 1, 0)); }

static void time_representations(void **state)
{
    (void)state;
    decoder *d = new_decoder(1);
    const flow_record *r;
    r = one_record(d, 256, (spec[]){{152, 8, 0}, {153, 8, 0}}, 2, w_ms);
    assert_int_equal(r->start_ms, T);
    assert_int_equal(r->end_ms, E);
    r = one_record(d, 257, (spec[]){{150, 4, 0}, {151, 4, 0}}, 2, w_sec);
    assert_int_equal(r->start_ms, T - 500);   /* whole seconds */
    assert_int_equal(r->end_ms, E - 750);
    r = one_record(d, 258, (spec[]){{154, 8, 0}, {155, 8, 0}}, 2, w_us);
    assert_int_equal(r->start_ms, T);         /* + 0.999 ms, truncated */
    assert_int_equal(r->end_ms, E);
    r = one_record(d, 259, (spec[]){{156, 8, 0}, {157, 8, 0}}, 2, w_ns);
    assert_int_equal(r->start_ms, T);
    assert_int_equal(r->end_ms, E);
    r = one_record(d, 260, (spec[]){{158, 4, 0}, {159, 4, 0}}, 2, w_delta);
    assert_int_equal(r->start_ms, T - 1);     /* 10500.5 ms before: rounded down */
    assert_int_equal(r->end_ms, E);
    r = one_record(d, 261, (spec[]){{22, 4, 0}, {21, 4, 0}, {160, 8, 0}}, 3, w_uptime_init);
    assert_int_equal(r->start_ms, T);
    assert_int_equal(r->end_ms, E);
    /* sysUpTime without any systemInitTimeMilliseconds: export time */
    r = one_record(d, 262, (spec[]){{22, 4, 0}, {21, 4, 0}}, 2, w_uptime);
    assert_int_equal(r->start_ms, T0_MS);
    assert_int_equal(r->end_ms, T0_MS);
    /* one end and a duration */
    r = one_record(d, 263, (spec[]){{152, 8, 0}, {161, 4, 0}}, 2, w_ms_dur);
    assert_int_equal(r->start_ms, T);
    assert_int_equal(r->end_ms, T + 8250);
    r = one_record(d, 264, (spec[]){{162, 8, 0}, {155, 8, 0}}, 2, w_dur_us_end);
    assert_int_equal(r->start_ms, E - 8250);
    assert_int_equal(r->end_ms, E);
    /* milliseconds win over seconds wherever they stand */
    r = one_record(d, 265, (spec[]){{150, 4, 0}, {152, 8, 0}, {153, 8, 0}}, 3, w_both);
    assert_int_equal(r->start_ms, T);
    r = one_record(d, 266, (spec[]){{154, 8, 0}, {155, 8, 0}}, 2, w_2040);
    assert_int_equal(r->start_ms, Y2040_MS);
    assert_int_equal(r->end_ms, Y2040_MS + 1);
    decoder_free(d);
}

/* systemInitTimeMilliseconds [160] announced in options data. */
static void sys_init_from_options(void **state)
{
    (void)state;
    decoder *d = new_decoder(1);
    pkt p;
    pkt_reset(&p);
    ipfix_header(&p, T0_SECS, 0, 1);
    ipfix_options_set(&p, 300, 1, (spec[]){{149, 4, 0}, {160, 8, 0}}, 2);
    size_t at = set_begin(&p, 300);
    put32(&p, 1);
    put64(&p, (uint64_t)INIT);
    set_end(&p, at);
    ipfix_end(&p);
    feed_ok(d, EXPORTER, &p, 0);
    const flow_record *r = one_record(d, 262, (spec[]){{22, 4, 0}, {21, 4, 0}}, 2, w_uptime);
    assert_int_equal(r->start_ms, T);
    assert_int_equal(r->end_ms, E);
    assert_int_equal(counters_of(d, EXPORTER).other, 1);
    decoder_free(d);
}

/* An init time within the export's second but after it (whole-second
 * export time; softflowd's first messages): uptime 0 at the init.  An
 * init later than that is nonsense: the uptime times count as absent. */
static int64_t init_at;
static void w_init_after(pkt *p) { put32(p, 100); put32(p, 300); put64(p, (uint64_t)init_at); }

static void sys_init_after_export(void **state)
{
    (void)state;
    decoder *d = new_decoder(1);
    const spec f[] = {{22, 4, 0}, {21, 4, 0}, {160, 8, 0}};
    init_at = T0_MS + 400;
    const flow_record *r = one_record(d, 256, f, 3, w_init_after);
    assert_int_equal(r->start_ms, T0_MS + 500);
    assert_int_equal(r->end_ms, T0_MS + 700);
    init_at = T0_MS + 1000;
    r = one_record(d, 256, f, 3, w_init_after);
    assert_int_equal(r->start_ms, T0_MS);
    assert_int_equal(r->end_ms, T0_MS);
    decoder_free(d);
}

/* Variable-length fields (both length forms), enterprise elements passed
 * over by length even when their number is one we read, reduced sizes. */
static void varlen_and_enterprise(void **state)
{
    (void)state;
    decoder *d = new_decoder(1);
    const spec f[] = {
        {8, 4, 0}, {82, 65535, 0} /* interfaceName */, {1, 4, 29305} /* not bytes */,
        {12, 4, 0}, {1, 65535, 0} /* octetDeltaCount, variable */, {2, 2, 0},
        {100, 65535, 6871}, {7, 2, 0}, {8, 4, 9} /* enterprise "8" */, {11, 2, 0}, {4, 1, 0},
    };
    pkt p;
    pkt_reset(&p);
    ipfix_header(&p, T0_SECS, 0, 1);
    ipfix_template_set(&p, 256, f, sizeof f / sizeof f[0]);
    size_t at = set_begin(&p, 256);
    static uint8_t big[300];
    memset(big, 'x', sizeof big);
    /* record 1: short forms */
    put32(&p, IP4(10, 0, 0, 1)); ipfix_varlen(&p, "eth0", 4, 0); put32(&p, 777);
    put32(&p, IP4(10, 0, 0, 2)); uint8_t b3[3] = {1, 2, 3}; ipfix_varlen(&p, b3, 3, 0);
    put16(&p, 9); ipfix_varlen(&p, "", 0, 0); put16(&p, 1234); put32(&p, 0xdeadbeef);
    put16(&p, 80); put8(&p, 6);
    /* record 2: long forms, a length-255 prefix for a short value too */
    put32(&p, IP4(10, 0, 0, 3)); ipfix_varlen(&p, big, 300, 1); put32(&p, 777);
    put32(&p, IP4(10, 0, 0, 4)); uint8_t b8[8] = {0, 0, 0, 1, 0, 0, 0, 0}; ipfix_varlen(&p, b8, 8, 1);
    put16(&p, 10); ipfix_varlen(&p, big, 256, 0); put16(&p, 4321); put32(&p, 0);
    put16(&p, 443); put8(&p, 17);
    /* record 3: octetDeltaCount of 9 bytes: no integer, stored as 0 */
    put32(&p, IP4(10, 0, 0, 5)); ipfix_varlen(&p, "", 0, 0); put32(&p, 0);
    put32(&p, IP4(10, 0, 0, 6)); ipfix_varlen(&p, big, 9, 0);
    put16(&p, 1); ipfix_varlen(&p, "", 0, 0); put16(&p, 1); put32(&p, 0);
    put16(&p, 53); put8(&p, 17);
    set_end(&p, at);
    ipfix_end(&p);
    const flow_record *r = feed_ok(d, EXPORTER, &p, 3);
    expect_addr(&r[0].src_addr, "10.0.0.1");
    expect_addr(&r[0].dst_addr, "10.0.0.2");
    assert_int_equal(r[0].bytes, 0x010203);
    assert_int_equal(r[0].packets, 9);
    assert_int_equal(r[0].src_port, 1234);
    assert_int_equal(r[0].dst_port, 80);
    assert_int_equal(r[0].proto, 6);
    expect_addr(&r[1].src_addr, "10.0.0.3");
    expect_addr(&r[1].dst_addr, "10.0.0.4");
    assert_int_equal(r[1].bytes, 1ull << 32);
    assert_int_equal(r[1].packets, 10);
    assert_int_equal(r[1].dst_port, 443);
    assert_int_equal(r[1].proto, 17);
    expect_addr(&r[2].src_addr, "10.0.0.5");
    assert_int_equal(r[2].bytes, 0);
    assert_int_equal(r[2].dst_port, 53);
    /* a record cut inside a variable-length field: what came before stays */
    pkt_reset(&p);
    ipfix_header(&p, T0_SECS, 3, 1);
    at = set_begin(&p, 256);
    put32(&p, IP4(10, 0, 0, 1)); ipfix_varlen(&p, "eth0", 4, 0); put32(&p, 777);
    put32(&p, IP4(10, 0, 0, 2)); ipfix_varlen(&p, b3, 3, 0);
    put16(&p, 9); ipfix_varlen(&p, "", 0, 0); put16(&p, 1234); put32(&p, 0xdeadbeef);
    put16(&p, 80); put8(&p, 6);
    put32(&p, IP4(10, 0, 0, 3)); put8(&p, 200); put_zero(&p, 30);   /* says 200 */
    set_end(&p, at);
    ipfix_end(&p);
    fed fd = feed(d, EXPORTER, &p);
    assert_int_equal(fd.rc, -1);
    assert_int_equal(fd.n, 1);
    assert_non_null(strstr(fd.err.msg, "ipfix"));
    decoder_free(d);
}

/* Counters: octetDeltaCount missing, octetTotalCount [85] used; IPv6. */
static void total_counts_and_v6(void **state)
{
    (void)state;
    decoder *d = new_decoder(1);
    const spec f[] = {{27, 16, 0}, {28, 16, 0}, {85, 8, 0}, {86, 4, 0}, {139, 2, 0}, {4, 1, 0}};
    pkt p;
    pkt_reset(&p);
    ipfix_header(&p, T0_SECS, 0, 1);
    ipfix_template_set(&p, 256, f, 6);
    size_t at = set_begin(&p, 256);
    flow_addr s = A("2001:db8::a"), t = A("2001:db8::b");
    putn(&p, s.b, 16); putn(&p, t.b, 16); put64(&p, 5000); put32(&p, 4); put16(&p, 0x8000);
    put8(&p, 58);
    set_end(&p, at);
    ipfix_end(&p);
    const flow_record *r = feed_ok(d, EXPORTER, &p, 1);
    expect_addr(&r[0].src_addr, "2001:db8::a");
    expect_addr(&r[0].dst_addr, "2001:db8::b");
    assert_int_equal(r[0].bytes, 5000);
    assert_int_equal(r[0].packets, 4);
    assert_int_equal(r[0].dst_port, 0x8000);  /* echo request, icmpTypeCodeIPv6 */
    decoder_free(d);
}

static void data_message(pkt *p, uint32_t seq, uint16_t tid, int n)
{
    pkt_reset(p);
    ipfix_header(p, T0_SECS, seq, 1);
    size_t at = set_begin(p, tid);
    for (int i = 0; i < n; i++) {
        put32(p, IP4(10, 0, 0, (uint8_t)i));
        put32(p, IP4(10, 0, 1, 1));
        put32(p, 100);
    }
    set_end(p, at);
    ipfix_end(p);
}

static void withdrawals(void **state)
{
    (void)state;
    decoder *d = new_decoder(1);
    const spec f[] = {{8, 4, 0}, {12, 4, 0}, {1, 4, 0}};
    pkt p;
    pkt_reset(&p);
    ipfix_header(&p, T0_SECS, 0, 1);
    ipfix_template_set(&p, 256, f, 3);
    ipfix_template_set(&p, 257, f, 3);
    ipfix_options_set(&p, 258, 1, (spec[]){{149, 4, 0}, {34, 4, 0}}, 2);
    ipfix_end(&p);
    feed_ok(d, EXPORTER, &p, 0);
    assert_int_equal(counters_of(d, EXPORTER).templates, 3);
    data_message(&p, 0, 256, 2);
    feed_ok(d, EXPORTER, &p, 2);
    /* withdraw 256: its data now wait for a template; 257 still decodes */
    pkt_reset(&p);
    ipfix_header(&p, T0_SECS, 2, 1);
    ipfix_withdraw_set(&p, 2, 256);
    ipfix_end(&p);
    feed_ok(d, EXPORTER, &p, 0);
    data_message(&p, 2, 256, 2);
    feed_ok(d, EXPORTER, &p, 0);
    data_message(&p, 2, 257, 2);
    feed_ok(d, EXPORTER, &p, 2);
    decode_counters c = counters_of(d, EXPORTER);
    assert_int_equal(c.withdrawals, 1);
    assert_int_equal(c.no_template, 0);
    /* withdraw all templates: the options template stays */
    pkt_reset(&p);
    ipfix_header(&p, T0_SECS, 4, 1);
    ipfix_withdraw_set(&p, 2, 2);
    ipfix_end(&p);
    feed_ok(d, EXPORTER, &p, 0);
    data_message(&p, 4, 257, 1);
    feed_ok(d, EXPORTER, &p, 0);
    pkt_reset(&p);
    ipfix_header(&p, T0_SECS, 4, 1);
    size_t at = set_begin(&p, 258);
    put32(&p, 1); put32(&p, 16);
    set_end(&p, at);
    ipfix_end(&p);
    feed_ok(d, EXPORTER, &p, 0);
    c = counters_of(d, EXPORTER);
    assert_int_equal(c.no_template, 1);       /* the withdrawal ended 256's wait */
    assert_int_equal(c.other, 1);
    /* then all options templates */
    pkt_reset(&p);
    ipfix_header(&p, T0_SECS, 5, 1);
    ipfix_withdraw_set(&p, 3, 3);
    ipfix_end(&p);
    feed_ok(d, EXPORTER, &p, 0);
    pkt_reset(&p);
    ipfix_header(&p, T0_SECS, 5, 1);
    at = set_begin(&p, 258);
    put32(&p, 1); put32(&p, 16);
    set_end(&p, at);
    ipfix_end(&p);
    feed_ok(d, EXPORTER, &p, 0);
    c = counters_of(d, EXPORTER);
    assert_int_equal(c.no_template, 2);       /* and this one 257's */
    assert_int_equal(c.withdrawals, 3);
    /* a template defined again after its withdrawal works again */
    pkt_reset(&p);
    ipfix_header(&p, T0_SECS, 5, 1);
    ipfix_template_set(&p, 256, f, 3);
    ipfix_end(&p);
    feed_ok(d, EXPORTER, &p, 0);
    data_message(&p, 5, 256, 3);
    feed_ok(d, EXPORTER, &p, 3);
    /* still waiting: the options data of 258 */
    decoder_drop_pending(d);
    assert_int_equal(counters_of(d, EXPORTER).no_template, 3);
    decoder_free(d);
}

/* Data waiting for its template waits DEC_PENDING_MS at most (by the
 * receive clock): then it counts in no_template and is not decoded. */
static void pending_expires(void **state)
{
    (void)state;
    decoder *d = new_decoder(1);
    const spec f[] = {{8, 4, 0}, {12, 4, 0}, {1, 4, 0}};
    flow_addr ex = A(EXPORTER);
    const flow_record *r;
    size_t n;
    c2_err err;
    pkt p, t;
    pkt_reset(&t);
    ipfix_header(&t, T0_SECS, 0, 1);
    ipfix_template_set(&t, 256, f, 3);
    ipfix_end(&t);
    data_message(&p, 0, 256, 2);
    assert_int_equal(decoder_decode(d, &ex, p.b, p.n, T0_MS, &r, &n, &err), 0);
    assert_int_equal(n, 0);
    /* nine minutes on, the template: the two records come out */
    assert_int_equal(decoder_decode(d, &ex, t.b, t.n, T0_MS + 9 * 60000, &r, &n, &err), 0);
    assert_int_equal(n, 2);
    assert_int_equal(counters_of(d, EXPORTER).no_template, 0);
    /* eleven minutes on: too late */
    data_message(&p, 2, 300, 2);
    assert_int_equal(decoder_decode(d, &ex, p.b, p.n, T0_MS, &r, &n, &err), 0);
    pkt_reset(&t);
    ipfix_header(&t, T0_SECS, 4, 1);
    ipfix_template_set(&t, 300, f, 3);
    ipfix_end(&t);
    assert_int_equal(decoder_decode(d, &ex, t.b, t.n, T0_MS + 11 * 60000, &r, &n, &err), 0);
    assert_int_equal(n, 0);
    assert_int_equal(counters_of(d, EXPORTER).no_template, 1);
    decoder_free(d);
}

/* The sequence number counts data records, options data included. */
static void sequence_counts_records(void **state)
{
    (void)state;
    decoder *d = new_decoder(1);
    const spec f[] = {{8, 4, 0}, {12, 4, 0}, {1, 4, 0}};
    pkt p;
    pkt_reset(&p);
    ipfix_header(&p, T0_SECS, 100, 1);
    ipfix_template_set(&p, 256, f, 3);
    ipfix_options_set(&p, 258, 1, (spec[]){{149, 4, 0}, {34, 4, 0}}, 2);
    size_t at = set_begin(&p, 258);
    put32(&p, 1); put32(&p, 16);
    set_end(&p, at);
    ipfix_end(&p);
    feed_ok(d, EXPORTER, &p, 0);              /* 1 options record: next 101 */
    data_message(&p, 101, 256, 3);
    feed_ok(d, EXPORTER, &p, 3);              /* next 104 */
    data_message(&p, 104, 256, 2);
    feed_ok(d, EXPORTER, &p, 2);              /* next 106 */
    decode_counters c = counters_of(d, EXPORTER);
    assert_int_equal(c.lost_records, 0);
    assert_int_equal(c.reordered, 0);
    data_message(&p, 110, 256, 1);            /* 106..109 missing */
    feed_ok(d, EXPORTER, &p, 1);
    data_message(&p, 106, 256, 4);            /* late */
    feed_ok(d, EXPORTER, &p, 4);
    data_message(&p, 111, 256, 1);            /* in order again */
    feed_ok(d, EXPORTER, &p, 1);
    c = counters_of(d, EXPORTER);
    assert_int_equal(c.lost_records, 4);
    assert_int_equal(c.reordered, 1);
    /* a message with an unknown set: its record count is unknown, so the
     * next message resynchronises without counting loss */
    data_message(&p, 112, 999, 5);
    feed_ok(d, EXPORTER, &p, 0);
    data_message(&p, 117, 256, 1);
    feed_ok(d, EXPORTER, &p, 1);
    data_message(&p, 120, 256, 1);            /* 118, 119 missing */
    feed_ok(d, EXPORTER, &p, 1);
    c = counters_of(d, EXPORTER);
    assert_int_equal(c.lost_records, 6);
    assert_int_equal(c.no_template, 0);       /* held for template 999 */
    /* observation domains count apart */
    pkt_reset(&p);
    ipfix_header(&p, T0_SECS, 5000, 2);
    ipfix_template_set(&p, 256, f, 3);
    ipfix_end(&p);
    feed_ok(d, EXPORTER, &p, 0);
    data_message(&p, 121, 256, 1);
    feed_ok(d, EXPORTER, &p, 1);
    c = counters_of(d, EXPORTER);
    assert_int_equal(c.lost_records, 6);
    decoder_free(d);
}

/* PSAMP sampling: selector ids with packet interval/space, an id-less
 * population/size ratio, and a data record with its own interval. */
static void options_sampling(void **state)
{
    (void)state;
    decoder *d = new_decoder(1);
    pkt p;
    pkt_reset(&p);
    ipfix_header(&p, T0_SECS, 0, 1);
    ipfix_options_set(&p, 300, 1, (spec[]){{302, 8, 0}, {304, 2, 0}, {305, 4, 0}, {306, 4, 0}}, 4);
    ipfix_options_set(&p, 301, 1, (spec[]){{149, 4, 0}, {309, 4, 0}, {310, 4, 0}}, 3);
    ipfix_template_set(&p, 256, (spec[]){{8, 4, 0}, {12, 4, 0}, {2, 4, 0}, {1, 4, 0}, {302, 4, 0}}, 5);
    ipfix_template_set(&p, 257, (spec[]){{8, 4, 0}, {12, 4, 0}, {2, 4, 0}, {1, 4, 0}}, 4);
    ipfix_template_set(&p, 259, (spec[]){{8, 4, 0}, {12, 4, 0}, {2, 4, 0}, {1, 4, 0}, {50, 4, 0}}, 5);
    size_t at = set_begin(&p, 300);
    put64(&p, 7); put16(&p, 1); put32(&p, 1); put32(&p, 99);     /* selector 7: 1 in 100 */
    put64(&p, 8); put16(&p, 1); put32(&p, 2); put32(&p, 2998);   /* selector 8: 1 in 1500 */
    set_end(&p, at);
    at = set_begin(&p, 301);
    put32(&p, 1); put32(&p, 3); put32(&p, 3000);                 /* the domain: 1 in 1000 */
    set_end(&p, at);
    ipfix_end(&p);
    feed_ok(d, EXPORTER, &p, 0);
    assert_int_equal(counters_of(d, EXPORTER).other, 3);
    pkt_reset(&p);
    ipfix_header(&p, T0_SECS, 3, 1);
    at = set_begin(&p, 256);
    put32(&p, 1); put32(&p, 2); put32(&p, 1); put32(&p, 60); put32(&p, 7);
    put32(&p, 1); put32(&p, 2); put32(&p, 1); put32(&p, 60); put32(&p, 8);
    put32(&p, 1); put32(&p, 2); put32(&p, 1); put32(&p, 60); put32(&p, 9);
    set_end(&p, at);
    at = set_begin(&p, 257);
    put32(&p, 1); put32(&p, 2); put32(&p, 1); put32(&p, 60);
    set_end(&p, at);
    at = set_begin(&p, 259);
    put32(&p, 1); put32(&p, 2); put32(&p, 1); put32(&p, 60); put32(&p, 32);
    set_end(&p, at);
    ipfix_end(&p);
    const flow_record *r = feed_ok(d, EXPORTER, &p, 5);
    assert_int_equal(r[0].sampling, 100);
    assert_int_equal(r[0].packets, 100);
    assert_int_equal(r[0].bytes, 6000);
    assert_int_equal(r[1].sampling, 1500);
    assert_int_equal(r[2].sampling, 1000);    /* unknown selector: the domain's */
    assert_int_equal(r[3].sampling, 1000);
    assert_int_equal(r[4].sampling, 32);      /* the record's own [50] */
    assert_int_equal(counters_of(d, EXPORTER).unknown_sampling, 0);
    assert_true(decoder_state_changed(d));
    decoder_free(d);
}

/* Message length against the datagram; reserved set ids passed over. */
static void message_length(void **state)
{
    (void)state;
    decoder *d = new_decoder(1);
    const spec f[] = {{8, 4, 0}, {12, 4, 0}, {1, 4, 0}};
    pkt p;
    pkt_reset(&p);
    ipfix_header(&p, T0_SECS, 0, 1);
    ipfix_template_set(&p, 256, f, 3);
    size_t at = set_begin(&p, 4);             /* reserved */
    put32(&p, 0);
    set_end(&p, at);
    at = set_begin(&p, 256);
    put32(&p, 1); put32(&p, 2); put32(&p, 3);
    set_end(&p, at);
    ipfix_end(&p);
    put32(&p, 0xffffffff);                    /* bytes after the message */
    feed_ok(d, EXPORTER, &p, 1);
    patch16(&p, 2, (uint16_t)(p.n + 4));      /* longer than the datagram */
    fed f1 = feed(d, EXPORTER, &p);
    assert_int_equal(f1.rc, -1);
    assert_int_equal(f1.n, 1);                /* the sets that fit still count */
    patch16(&p, 2, 12);
    f1 = feed(d, EXPORTER, &p);
    assert_int_equal(f1.rc, -1);
    assert_int_equal(f1.n, 0);
    decoder_free(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(time_representations),
        cmocka_unit_test(sys_init_from_options),
        cmocka_unit_test(sys_init_after_export),
        cmocka_unit_test(varlen_and_enterprise),
        cmocka_unit_test(total_counts_and_v6),
        cmocka_unit_test(withdrawals),
        cmocka_unit_test(pending_expires),
        cmocka_unit_test(sequence_counts_records),
        cmocka_unit_test(options_sampling),
        cmocka_unit_test(message_length),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
