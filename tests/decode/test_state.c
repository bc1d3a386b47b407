/*
 * test_state.c: decoder_save / decoder_load (src/decode/state.c).
 *
 * A decoder learns templates, options templates, samplers, a domain-wide
 * interval and a system init time from hand-made datagrams; its saved
 * state must let a new decoder decode data records to exactly the same
 * flow records without seeing a template again, and saving what was
 * loaded must give the same bytes.  Damaged states (every single-byte
 * change, every truncation, well-checksummed bodies that break a rule)
 * must be refused and leave the decoder as it was, which is checked by
 * saving it before and after.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "decode/dec_test.h"
#include "util/util.h"

#define V9EX "192.0.2.1"
#define IPFIXEX "2001:db8::77"
#define INIT (T0_MS - 7200000)

/* Teach d: v9 templates on source ids 1 and 2, a v9 sampler; IPFIX data
 * templates (one variable-length, one with an enterprise field), PSAMP
 * selectors, a domain-wide interval and a system init time. */
static void teach(decoder *d)
{
    pkt p;
    nfb_templates(&p, 100000, 0, 1);
    feed_ok(d, V9EX, &p, 0);
    nfb_templates(&p, 100000, 0, 2);
    feed_ok(d, V9EX, &p, 0);
    pkt_reset(&p);
    v9_header(&p, 3, 100000, T0_SECS, 1, 2);
    v9_options_set(&p, 260, (spec[]){{1, 4, 0}}, 1, (spec[]){{48, 1, 0}, {50, 4, 0}}, 2);
    size_t at = set_begin(&p, 260);
    put32(&p, 0); put8(&p, 4); put32(&p, 512);
    set_end(&p, at);
    feed_ok(d, V9EX, &p, 0);

    pkt_reset(&p);
    ipfix_header(&p, T0_SECS, 0, 9);
    ipfix_template_set(&p, 256, (spec[]){{8, 4, 0}, {12, 4, 0}, {82, 65535, 0}, {1, 8, 0},
                                         {2, 4, 0}, {302, 4, 0}, {22, 4, 0}, {21, 4, 0}}, 8);
    ipfix_template_set(&p, 300, (spec[]){{27, 16, 0}, {28, 16, 0}, {5, 2, 12345}, {1, 4, 0}}, 4);
    ipfix_options_set(&p, 400, 1, (spec[]){{302, 4, 0}, {305, 4, 0}, {306, 4, 0}}, 3);
    ipfix_options_set(&p, 401, 1, (spec[]){{149, 4, 0}, {34, 4, 0}, {160, 8, 0}}, 3);
    at = set_begin(&p, 400);
    put32(&p, 3); put32(&p, 1); put32(&p, 9);
    set_end(&p, at);
    at = set_begin(&p, 401);
    put32(&p, 9); put32(&p, 2000); put64(&p, (uint64_t)INIT);
    set_end(&p, at);
    ipfix_end(&p);
    feed_ok(d, IPFIXEX, &p, 0);
}

/* Data for everything teach() announced; n records expected. */
static void data(pkt *v9a, pkt *v9b, pkt *ipfix)
{
    nfbrec r = {.src = "198.51.100.1", .dst = "203.0.113.1", .sport = 1, .dport = 23,
                .proto = 6, .pkts = 1, .bytes = 40, .first = 90000, .last = 99000};
    pkt_reset(v9a);
    v9_header(v9a, 1, 100000, T0_SECS, 7, 1);
    size_t at = set_begin(v9a, 256);
    nfb_record(v9a, &r);
    set_end(v9a, at);
    pkt_reset(v9b);
    v9_header(v9b, 1, 100000, T0_SECS, 7, 2);
    at = set_begin(v9b, 257);
    r.src = "2001:db8::1";
    r.dst = "2001:db8::2";
    nfb_record(v9b, &r);
    set_end(v9b, at);
    pkt_reset(ipfix);
    ipfix_header(ipfix, T0_SECS, 2, 9);
    at = set_begin(ipfix, 256);
    put32(ipfix, IP4(10, 1, 1, 1)); put32(ipfix, IP4(10, 2, 2, 2)); ipfix_varlen(ipfix, "ge-0/0/1", 8, 0);
    put64(ipfix, 1500); put32(ipfix, 3); put32(ipfix, 3); put32(ipfix, 7199000); put32(ipfix, 7199500);
    put32(ipfix, IP4(10, 1, 1, 1)); put32(ipfix, IP4(10, 2, 2, 3)); ipfix_varlen(ipfix, "", 0, 0);
    put64(ipfix, 1500); put32(ipfix, 3); put32(ipfix, 99); put32(ipfix, 7199000); put32(ipfix, 7199500);
    set_end(ipfix, at);
    at = set_begin(ipfix, 300);
    flow_addr a = A("2001:db8::5");
    putn(ipfix, a.b, 16); putn(ipfix, a.b, 16); put16(ipfix, 7); put32(ipfix, 64);
    set_end(ipfix, at);
    ipfix_end(ipfix);
}

static void save(const decoder *d, uint8_t **buf, size_t *len)
{
    c2_err err;
    if (decoder_save(d, buf, len, &err) != 0) fail_msg("save: %s", err.msg);
}

static void expect_same_records(decoder *a, decoder *b)
{
    static pkt p[3];
    data(&p[0], &p[1], &p[2]);
    const char *ex[3] = {V9EX, V9EX, IPFIXEX};
    size_t want[3] = {1, 1, 3};
    for (int i = 0; i < 3; i++) {
        fed fa = feed(a, ex[i], &p[i]);
        assert_int_equal(fa.rc, 0);
        assert_int_equal(fa.n, want[i]);
        flow_record copy[3];
        memcpy(copy, fa.r, fa.n * sizeof *copy);
        fed fb = feed(b, ex[i], &p[i]);
        assert_int_equal(fb.rc, 0);
        assert_int_equal(fb.n, want[i]);
        assert_memory_equal(copy, fb.r, fa.n * sizeof *copy);
    }
}

static void round_trip(void **state)
{
    (void)state;
    decoder *a = new_decoder(1), *b = new_decoder(1);
    assert_false(decoder_state_changed(a));
    teach(a);
    assert_true(decoder_state_changed(a));
    uint8_t *buf, *buf2;
    size_t len, len2;
    save(a, &buf, &len);
    assert_false(decoder_state_changed(a));
    c2_err err;
    assert_int_equal(decoder_load(b, buf, len, &err), 0);
    assert_false(decoder_state_changed(b));
    save(b, &buf2, &len2);
    assert_int_equal(len2, len);
    assert_memory_equal(buf, buf2, len);
    expect_same_records(a, b);
    /* what the records got from the loaded state */
    static pkt p[3];
    data(&p[0], &p[1], &p[2]);
    const flow_record *r = feed_ok(b, IPFIXEX, &p[2], 3);
    assert_int_equal(r[0].sampling, 10);      /* selector 3: (1 + 9) / 1 */
    assert_int_equal(r[1].sampling, 2000);    /* selector 99: the domain's */
    assert_int_equal(r[0].start_ms, T0_MS - 1000);   /* uptime since INIT */
    assert_int_equal(r[2].sampling, 2000);
    /* counters and sequence numbers are not state */
    assert_int_equal(counters_of(b, V9EX).templates, 0);
    free(buf);
    free(buf2);
    decoder_free(a);
    decoder_free(b);
}

/* Refreshing an identical template is not a change; a new interval is. */
static void state_changed(void **state)
{
    (void)state;
    decoder *a = new_decoder(1);
    teach(a);
    uint8_t *buf;
    size_t len;
    save(a, &buf, &len);
    free(buf);
    teach(a);
    assert_false(decoder_state_changed(a));
    pkt p;
    pkt_reset(&p);
    ipfix_header(&p, T0_SECS, 3, 9);
    size_t at = set_begin(&p, 401);
    put32(&p, 9); put32(&p, 4000); put64(&p, (uint64_t)INIT);
    set_end(&p, at);
    ipfix_end(&p);
    feed_ok(a, IPFIXEX, &p, 0);
    assert_true(decoder_state_changed(a));
    decoder_free(a);
}

/* Loading merges: templates of the file replace those of the same id. */
static void load_merges(void **state)
{
    (void)state;
    decoder *a = new_decoder(1), *b = new_decoder(1);
    teach(a);
    uint8_t *buf;
    size_t len;
    save(a, &buf, &len);
    /* b knows source id 1 with template 256 meaning something else, and an
     * exporter of its own */
    pkt p;
    pkt_reset(&p);
    v9_header(&p, 1, 100000, T0_SECS, 0, 1);
    v9_template_set(&p, 256, (spec[]){{8, 4, 0}, {12, 4, 0}}, 2);
    feed_ok(b, V9EX, &p, 0);
    feed_ok(b, "192.0.2.99", &p, 0);
    c2_err err;
    assert_int_equal(decoder_load(b, buf, len, &err), 0);
    expect_same_records(a, b);
    pkt_reset(&p);
    v9_header(&p, 1, 100000, T0_SECS, 1, 1);
    size_t at = set_begin(&p, 256);
    put32(&p, 1); put32(&p, 2);
    set_end(&p, at);
    feed_ok(b, "192.0.2.99", &p, 1);          /* still there */
    /* loading the same again changes nothing */
    uint8_t *b1, *b2;
    size_t l1, l2;
    save(b, &b1, &l1);
    assert_int_equal(decoder_load(b, buf, len, &err), 0);
    save(b, &b2, &l2);
    assert_int_equal(l1, l2);
    assert_memory_equal(b1, b2, l1);
    free(b1);
    free(b2);
    free(buf);
    decoder_free(a);
    decoder_free(b);
}

/* Load must fail and leave d exactly as it was. */
static void expect_refused(decoder *d, const uint8_t *buf, size_t len, const char *why)
{
    uint8_t *before, *after;
    size_t lb, la;
    save(d, &before, &lb);
    c2_err err = {{0}};
    if (decoder_load(d, buf, len, &err) == 0) fail_msg("%s: loaded", why);
    if (!err.msg[0] || strchr(err.msg, '\n')) fail_msg("%s: message '%s'", why, err.msg);
    save(d, &after, &la);
    if (la != lb || memcmp(before, after, la)) fail_msg("%s: decoder changed", why);
    free(before);
    free(after);
}

static void fix_crc(uint8_t *buf, size_t len)
{
    c2_put32(buf + 12, c2_crc32(0, buf + 16, len - 16));
}

static void damaged(void **state)
{
    (void)state;
    decoder *a = new_decoder(1), *b = new_decoder(1);
    teach(a);
    pkt p;
    nfb_templates(&p, 100000, 0, 5);
    feed_ok(b, "192.0.2.50", &p, 0);          /* b is not empty */
    uint8_t *buf;
    size_t len;
    save(a, &buf, &len);
    uint8_t *copy = malloc(len + 8);
    for (size_t i = 0; i < len; i++) {
        memcpy(copy, buf, len);
        copy[i] ^= 0x5a;
        expect_refused(b, copy, len, "byte changed");
    }
    for (size_t n = 0; n < len; n++) expect_refused(b, buf, n, "truncated");
    memcpy(copy, buf, len);
    memset(copy + len, 0, 8);
    c2_put32(copy + 8, (uint32_t)(len + 8 - 16));
    fix_crc(copy, len + 8);
    expect_refused(b, copy, len + 8, "trailing bytes");
    /* well-checksummed bodies that break a rule: a field of the first
     * exporter's first domain (D) or of its first template (T) made wrong.
     * Body at 16: exporters 4 | address 16 | domains 4 | domain header 24
     * | templates 4 | template header 8 | fields 8 each. */
    enum { D = 16 + 4 + 16 + 4, T = D + 24 + 4 };
    static const struct { size_t off; uint8_t val; const char *why; } rules[] = {
        {D + 0, 5, "protocol"},
        {D + 1, 4, "flags"},
        {D + 1, 1, "interval flag without interval"},
        {D + 2, 1, "reserved"},
        {D + 20, 65, "too many samplers"},
        {T + 1, 0, "template id < 256"},
        {T + 2, 2, "options flag"},
        {T + 3, 1, "reserved in template"},
        {T + 4, 0, "no fields"},
        {T + 6, 1, "scope fields in a data template"},
        {T + 8 + 4, 1, "enterprise number in v9"},
        {16, 0xff, "exporter count"},
    };
    for (size_t i = 0; i < sizeof rules / sizeof rules[0]; i++) {
        memcpy(copy, buf, len);
        copy[rules[i].off] = rules[i].val;
        fix_crc(copy, len);
        expect_refused(b, copy, len, rules[i].why);
    }
    memcpy(copy, buf, len);
    for (size_t f = 0; f < NFB_N; f++) c2_put16(copy + T + 8 + 8 * f + 2, 0);
    fix_crc(copy, len);
    expect_refused(b, copy, len, "records of zero length");
    memcpy(copy, buf, len);
    c2_put16(copy + T, 300);                  /* templates must come by id */
    fix_crc(copy, len);
    expect_refused(b, copy, len, "templates out of order");
    /* two states that each load, but not into a decoder this small */
    decode_options o;
    decode_options_default(&o);
    o.max_templates = 3;
    decoder *small;
    c2_err err;
    assert_int_equal(decoder_new(&o, &small, &err), 0);
    expect_refused(small, buf, len, "more templates than max_templates");
    o.max_templates = 4096;
    o.max_exporters = 1;
    decoder_free(small);
    assert_int_equal(decoder_new(&o, &small, &err), 0);
    expect_refused(small, buf, len, "more exporters than max_exporters");
    decoder_free(small);
    free(copy);
    free(buf);
    decoder_free(a);
    decoder_free(b);
}

static void empty_state(void **state)
{
    (void)state;
    decoder *a = new_decoder(1);
    uint8_t *buf;
    size_t len;
    save(a, &buf, &len);
    assert_int_equal(len, 20);                /* header and "0 exporters" */
    c2_err err;
    assert_int_equal(decoder_load(a, buf, len, &err), 0);
    free(buf);
    decoder_free(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(round_trip),
        cmocka_unit_test(state_changed),
        cmocka_unit_test(load_merges),
        cmocka_unit_test(damaged),
        cmocka_unit_test(empty_state),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
