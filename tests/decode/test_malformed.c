/*
 * test_malformed.c: untrusted datagrams (src/decode/).
 *
 * Every prefix of a set of valid datagrams (v5, v9 with templates, options
 * and data, IPFIX with variable-length, enterprise and options fields and
 * withdrawals, sFlow) is decoded from an exact-size heap copy, so that the
 * sanitizers of the test build catch any read past the end, both by a
 * fresh decoder and by one that knows the templates.  Lengths that lie,
 * templates of zero-length records, too many fields, template and domain
 * floods and seeded random corruption follow; after each, the decoder
 * must still decode a good datagram correctly.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "decode/dec_test.h"

#define EX "192.0.2.1"

/* Decode len bytes of b from an exact-size copy; check what came out. */
static fed decode_copy(decoder *d, const uint8_t *b, size_t len)
{
    uint8_t *copy = malloc(len ? len : 1);
    memcpy(copy, b, len);
    fed f = feed_bytes(d, EX, copy, len);
    free(copy);
    if (f.rc != 0 && f.rc != -1) fail_msg("rc %d", f.rc);
    if (f.rc == -1 && (!f.err.msg[0] || strchr(f.err.msg, '\n'))) fail_msg("bad message");
    for (size_t i = 0; i < f.n; i++) {
        if (f.r[i].sampling < 1) fail_msg("sampling 0");
        if (f.r[i].reserved) fail_msg("reserved byte set");
        if (f.r[i].start_ms > f.r[i].end_ms) fail_msg("start after end");
    }
    return f;
}

/* The valid datagrams the truncation test cuts. */
static size_t build_all(pkt *p, size_t max)
{
    size_t n = 0;
    assert_true(max >= 6);
    /* v5 */
    pkt_reset(&p[n]);
    v5_header(&p[n], 2, 100000, T0_SECS, 0, 0, 0, 0, 10);
    v5_record(&p[n], &(v5rec){.src = 1, .dst = 2, .pkts = 1, .octets = 40, .proto = 6});
    v5_record(&p[n], &(v5rec){.src = 3, .dst = 4, .pkts = 1, .octets = 40, .proto = 1});
    n++;
    /* v9 templates, options template, options data and data in one */
    pkt_reset(&p[n]);
    v9_header(&p[n], 6, 100000, T0_SECS, 0, 1);
    size_t at = set_begin(&p[n], 0);
    v9_template(&p[n], 256, NFB_V4, NFB_N);
    v9_template(&p[n], 258, (spec[]){{8, 4, 0}, {12, 4, 0}, {1, 3, 0}, {48, 1, 0}}, 4);
    set_end(&p[n], at);
    v9_options_set(&p[n], 260, (spec[]){{1, 4, 0}}, 1, (spec[]){{48, 1, 0}, {50, 4, 0}}, 2);
    at = set_begin(&p[n], 260);
    put32(&p[n], 0); put8(&p[n], 1); put32(&p[n], 100);
    set_end(&p[n], at);
    at = set_begin(&p[n], 256);
    nfbrec r = {.src = "10.0.0.1", .dst = "10.0.0.2", .proto = 6, .pkts = 1, .bytes = 2,
                .first = 1000, .last = 2000};
    nfb_record(&p[n], &r);
    set_end(&p[n], at);
    at = set_begin(&p[n], 258);
    put32(&p[n], 1); put32(&p[n], 2); put_uint(&p[n], 300, 3); put8(&p[n], 1);
    set_end(&p[n], at);
    n++;
    /* v9 IPv6 data (needs 257 from the teacher) */
    pkt_reset(&p[n]);
    v9_header(&p[n], 1, 100000, T0_SECS, 1, 1);
    at = set_begin(&p[n], 257);
    r.src = "2001:db8::1";
    r.dst = "2001:db8::2";
    nfb_record(&p[n], &r);
    set_end(&p[n], at);
    n++;
    /* IPFIX: templates with variable-length and enterprise fields, options */
    pkt_reset(&p[n]);
    ipfix_header(&p[n], T0_SECS, 0, 3);
    ipfix_template_set(&p[n], 256, (spec[]){{8, 4, 0}, {82, 65535, 0}, {12, 4, 0},
                                            {1, 4, 7}, {2, 8, 0}, {152, 8, 0}, {161, 4, 0}}, 7);
    ipfix_options_set(&p[n], 300, 1, (spec[]){{302, 4, 0}, {305, 4, 0}, {306, 4, 0}}, 3);
    at = set_begin(&p[n], 300);
    put32(&p[n], 1); put32(&p[n], 1); put32(&p[n], 9);
    set_end(&p[n], at);
    at = set_begin(&p[n], 256);
    put32(&p[n], 1); ipfix_varlen(&p[n], "xe-1", 4, 0); put32(&p[n], 2); put32(&p[n], 5);
    put64(&p[n], 3); put64(&p[n], (uint64_t)T0_MS); put32(&p[n], 10);
    put32(&p[n], 1); ipfix_varlen(&p[n], "xe-1/0/0/0", 10, 1); put32(&p[n], 2); put32(&p[n], 5);
    put64(&p[n], 3); put64(&p[n], (uint64_t)T0_MS); put32(&p[n], 10);
    set_end(&p[n], at);
    ipfix_end(&p[n]);
    n++;
    /* IPFIX withdrawals */
    pkt_reset(&p[n]);
    ipfix_header(&p[n], T0_SECS, 2, 3);
    ipfix_withdraw_set(&p[n], 2, 999);
    ipfix_withdraw_set(&p[n], 3, 3);
    ipfix_end(&p[n]);
    n++;
    /* sFlow */
    pkt_reset(&p[n]);
    sflow_header(&p[n], IP4(192, 0, 2, 9), 0, 1, 0, 2);
    sflow_flow_sample(&p[n], &(sfsample){.seq = 1, .rate = 10, .src = 1, .dst = 2,
                                          .ip_len = 100, .proto = 6, .sport = 1, .dport = 2});
    sflow_counter_sample(&p[n], 1, 1);
    n++;
    return n;
}

/* A decoder that knows the v9 and IPFIX templates of build_all. */
static decoder *teacher(void)
{
    decoder *d = new_decoder(1);
    pkt p;
    nfb_templates(&p, 100000, 0, 1);
    feed_ok(d, EX, &p, 0);
    return d;
}

static void truncation_everywhere(void **state)
{
    (void)state;
    static pkt p[8];
    size_t n = build_all(p, 8);
    for (size_t i = 0; i < n; i++) {
        decoder *full = teacher();
        fed whole = decode_copy(full, p[i].b, p[i].n);
        if (whole.rc != 0) fail_msg("datagram %zu: %s", i, whole.err.msg);
        size_t want = whole.n;
        decoder_free(full);
        for (size_t len = 0; len < p[i].n; len++) {
            decoder *fresh = new_decoder(1), *taught = teacher();
            fed a = decode_copy(fresh, p[i].b, len);
            fed b = decode_copy(taught, p[i].b, len);
            assert_true(a.n <= want);
            assert_true(b.n <= want);
            /* and the whole datagram still decodes afterwards */
            fed c = decode_copy(taught, p[i].b, p[i].n);
            assert_int_equal(c.n, want);
            decoder_free(fresh);
            decoder_free(taught);
        }
    }
}

/* After a fault the decoder must still decode this correctly. */
static void still_works(decoder *d)
{
    pkt p;
    const spec f[] = {{8, 4, 0}, {12, 4, 0}, {1, 4, 0}};
    pkt_reset(&p);
    v9_header(&p, 2, 100000, T0_SECS, 0, 77);
    v9_template_set(&p, 256, f, 3);
    size_t at = set_begin(&p, 256);
    put32(&p, IP4(10, 9, 9, 9)); put32(&p, IP4(10, 8, 8, 8)); put32(&p, 1234);
    set_end(&p, at);
    const flow_record *r = feed_ok(d, EX, &p, 1);
    expect_addr(&r[0].src_addr, "10.9.9.9");
    assert_int_equal(r[0].bytes, 1234);
}

static void expect_fault(decoder *d, const pkt *p, const char *proto)
{
    fed f = decode_copy(d, p->b, p->n);
    if (f.rc != -1) fail_msg("%s: accepted", proto);
    if (!strstr(f.err.msg, EX) || !strstr(f.err.msg, proto)) fail_msg("message '%s'", f.err.msg);
}

static void lying_lengths(void **state)
{
    (void)state;
    decoder *d = new_decoder(1);
    pkt p;
    static const uint16_t bad_set_len[] = {0, 1, 2, 3, 200};
    for (size_t i = 0; i < sizeof bad_set_len / sizeof bad_set_len[0]; i++) {
        pkt_reset(&p);
        v9_header(&p, 1, 100000, T0_SECS, 0, 0);
        put16(&p, 256); put16(&p, bad_set_len[i]); put32(&p, 0);
        expect_fault(d, &p, "netflow-v9");
        pkt_reset(&p);
        ipfix_header(&p, T0_SECS, 0, 0);
        put16(&p, 256); put16(&p, bad_set_len[i]); put32(&p, 0);
        ipfix_end(&p);
        expect_fault(d, &p, "ipfix");
    }
    /* a template announcing more fields than its set holds */
    pkt_reset(&p);
    v9_header(&p, 1, 100000, T0_SECS, 0, 0);
    size_t at = set_begin(&p, 0);
    put16(&p, 256); put16(&p, 40); put16(&p, 8); put16(&p, 4);
    set_end(&p, at);
    expect_fault(d, &p, "netflow-v9");
    pkt_reset(&p);
    ipfix_header(&p, T0_SECS, 0, 0);
    at = set_begin(&p, 2);
    put16(&p, 256); put16(&p, 3); put16(&p, 8); put16(&p, 4); put16(&p, 0x8000 | 12); put16(&p, 4);
    set_end(&p, at);                          /* the enterprise number is missing */
    ipfix_end(&p);
    expect_fault(d, &p, "ipfix");
    /* options templates: lengths not multiple of 4, scope counts */
    pkt_reset(&p);
    v9_header(&p, 1, 100000, T0_SECS, 0, 0);
    at = set_begin(&p, 1);
    put16(&p, 260); put16(&p, 6); put16(&p, 4); put32(&p, 0); put32(&p, 0); put16(&p, 0);
    set_end(&p, at);
    expect_fault(d, &p, "netflow-v9");
    static const uint16_t scope[] = {0, 3};
    for (int i = 0; i < 2; i++) {
        pkt_reset(&p);
        ipfix_header(&p, T0_SECS, 0, 0);
        ipfix_options_set(&p, 300, scope[i], (spec[]){{149, 4, 0}, {34, 4, 0}}, 2);
        ipfix_end(&p);
        expect_fault(d, &p, "ipfix");
    }
    /* template ids below 256, a v9 field of length 65535 */
    pkt_reset(&p);
    v9_header(&p, 1, 100000, T0_SECS, 0, 0);
    v9_template_set(&p, 255, (spec[]){{8, 4, 0}}, 1);
    expect_fault(d, &p, "netflow-v9");
    pkt_reset(&p);
    v9_header(&p, 1, 100000, T0_SECS, 0, 0);
    v9_template_set(&p, 256, (spec[]){{8, 4, 0}, {82, 65535, 0}}, 2);
    expect_fault(d, &p, "netflow-v9");
    /* unknown versions, tiny datagrams */
    uint8_t junk[4] = {0, 7, 0, 0};
    assert_int_equal(decode_copy(d, junk, 4).rc, -1);
    assert_int_equal(decode_copy(d, junk, 1).rc, -1);
    assert_int_equal(decode_copy(d, junk, 0).rc, -1);
    assert_int_equal(counters_of(d, EX).malformed, 20);
    still_works(d);
    decoder_free(d);
}

/* Zero-length fields: a template whose records have no bytes is refused
 * (its data would be an endless loop); zero-length fields among others
 * are harmless. */
static void zero_length_fields(void **state)
{
    (void)state;
    decoder *d = new_decoder(1);
    pkt p;
    pkt_reset(&p);
    v9_header(&p, 2, 100000, T0_SECS, 0, 0);
    v9_template_set(&p, 256, (spec[]){{8, 0, 0}, {12, 0, 0}, {1, 0, 0}}, 3);
    size_t at = set_begin(&p, 256);
    put_zero(&p, 64);
    set_end(&p, at);
    expect_fault(d, &p, "netflow-v9");
    decoder_drop_pending(d);                /* its data waited in vain */
    assert_int_equal(counters_of(d, EX).no_template, 1);
    pkt_reset(&p);
    ipfix_header(&p, T0_SECS, 0, 0);
    ipfix_template_set(&p, 256, (spec[]){{8, 0, 0}, {12, 0, 0}}, 2);
    at = set_begin(&p, 256);
    put_zero(&p, 64);
    set_end(&p, at);
    ipfix_end(&p);
    expect_fault(d, &p, "ipfix");
    /* a zero-length field among others */
    pkt_reset(&p);
    v9_header(&p, 2, 100000, T0_SECS, 1, 0);
    v9_template_set(&p, 257, (spec[]){{8, 4, 0}, {99, 0, 0}, {12, 4, 0}, {8, 0, 0}}, 4);
    at = set_begin(&p, 257);
    put32(&p, 1); put32(&p, 2); put32(&p, 3); put32(&p, 4);
    set_end(&p, at);
    const flow_record *r = feed_ok(d, EX, &p, 2);
    expect_addr(&r[1].src_addr, "0.0.0.3");
    /* an unusable redefinition removes the old meaning of the id */
    pkt_reset(&p);
    v9_header(&p, 2, 100000, T0_SECS, 2, 0);
    v9_template_set(&p, 257, (spec[]){{8, 0, 0}}, 1);
    at = set_begin(&p, 257);
    put32(&p, 1); put32(&p, 2);
    set_end(&p, at);
    expect_fault(d, &p, "netflow-v9");
    still_works(d);
    decoder_free(d);
}

/* Templates beyond max_templates, fields beyond 512, domains beyond 256. */
static void floods(void **state)
{
    (void)state;
    decode_options o;
    decode_options_default(&o);
    o.max_templates = 10;
    decoder *d;
    c2_err err;
    assert_int_equal(decoder_new(&o, &d, &err), 0);
    pkt p;
    pkt_reset(&p);
    v9_header(&p, 100, 100000, T0_SECS, 0, 0);
    size_t at = set_begin(&p, 0);
    for (uint16_t id = 256; id < 356; id++) v9_template(&p, id, (spec[]){{8, 4, 0}, {12, 4, 0}}, 2);
    set_end(&p, at);
    expect_fault(d, &p, "netflow-v9");
    assert_int_equal(counters_of(d, EX).templates, 100);
    /* the first ten are there, the rest are not; refreshing them is fine */
    pkt_reset(&p);
    v9_header(&p, 3, 100000, T0_SECS, 1, 0);
    v9_template_set(&p, 265, (spec[]){{8, 4, 0}, {12, 4, 0}}, 2);
    at = set_begin(&p, 265);
    put32(&p, 1); put32(&p, 2);
    set_end(&p, at);
    at = set_begin(&p, 266);
    put32(&p, 1); put32(&p, 2);
    set_end(&p, at);
    feed_ok(d, EX, &p, 1);
    decoder_drop_pending(d);
    assert_int_equal(counters_of(d, EX).no_template, 1);
    uint8_t *buf;
    size_t len;
    assert_int_equal(decoder_save(d, &buf, &len, &err), 0);
    assert_int_equal(len, 16 + 4 + 20 + 28 + 10 * (8 + 2 * 8));
    free(buf);
    decoder_free(d);

    /* 512 fields are fine, 513 are not */
    d = new_decoder(1);
    static spec many[513];
    for (int i = 0; i < 513; i++) many[i] = (spec){i == 0 ? 8 : i == 1 ? 12 : 200, 1, 0};
    many[0].len = many[1].len = 4;
    pkt_reset(&p);
    ipfix_header(&p, T0_SECS, 0, 0);
    ipfix_template_set(&p, 256, many, 512);
    ipfix_template_set(&p, 257, many, 513);
    ipfix_end(&p);
    expect_fault(d, &p, "ipfix");
    pkt_reset(&p);
    ipfix_header(&p, T0_SECS, 0, 0);
    at = set_begin(&p, 256);
    put32(&p, 1); put32(&p, 2); put_zero(&p, 510);
    set_end(&p, at);
    at = set_begin(&p, 257);
    put_zero(&p, 600);
    set_end(&p, at);
    ipfix_end(&p);
    feed_ok(d, EX, &p, 1);
    decoder_drop_pending(d);
    assert_int_equal(counters_of(d, EX).no_template, 1);
    /* source ids without templates come and go: a flood of them never
     * locks a real one out */
    for (uint32_t s = 1000; s < 2000; s++) {
        pkt_reset(&p);
        v9_header(&p, 0, 100000, T0_SECS, 0, s);
        assert_int_equal(decode_copy(d, p.b, p.n).rc, 0);
    }
    still_works(d);
    decoder_free(d);
    /* those with templates stay: at most 256 per exporter */
    d = new_decoder(1);
    for (uint32_t s = 0; s < 300; s++) {
        pkt_reset(&p);
        v9_header(&p, 1, 100000, T0_SECS, 0, s);
        v9_template_set(&p, 256, (spec[]){{8, 4, 0}, {12, 4, 0}}, 2);
        assert_int_equal(decode_copy(d, p.b, p.n).rc, s < 256 ? 0 : -1);
    }
    decoder_free(d);
}

static uint64_t rng = 12345;
static uint64_t rnd(void)
{
    uint64_t z = (rng += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* Seeded corruption of the valid datagrams: bytes changed, lengths
 * changed; one decoder takes them all. */
static void random_corruption(void **state)
{
    (void)state;
    static pkt p[8];
    size_t n = build_all(p, 8);
    decoder *d = teacher();
    static uint8_t b[PKT_MAX];
    for (int iter = 0; iter < 20000; iter++) {
        const pkt *src = &p[rnd() % n];
        memcpy(b, src->b, src->n);
        size_t len = src->n;
        int edits = 1 + (int)(rnd() % 4);
        for (int k = 0; k < edits; k++) {
            size_t at = rnd() % len;
            switch (rnd() % 4) {
            case 0: b[at] ^= (uint8_t)(1u << (rnd() % 8)); break;
            case 1: b[at] = (uint8_t)rnd(); break;
            case 2: b[at] = 0; break;
            default: b[at] = 0xff; break;
            }
        }
        if (rnd() % 4 == 0) len = rnd() % len;
        decode_copy(d, b, len);
    }
    still_works(d);
    decode_counters total;
    decoder_foreach_exporter(d, NULL, NULL, &total);
    assert_true(total.malformed > 1000);
    assert_true(total.records > 1000);
    decoder_free(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(truncation_everywhere),
        cmocka_unit_test(lying_lengths),
        cmocka_unit_test(zero_length_fields),
        cmocka_unit_test(floods),
        cmocka_unit_test(random_corruption),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
