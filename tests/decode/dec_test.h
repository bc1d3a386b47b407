/*
 * dec_test.h: what the decode tests share: a decoder per test, feeding a
 * pkt from a named exporter, reading an exporter's counters back, and the
 * NetFlow v9 templates of bench/nfblast (IPv4 256, IPv6 257) with a record
 * writer for them, since most v9 tests speak that layout.
 *
 * Include after cmocka.h.
 */
#ifndef C2FLOW_TEST_DEC_TEST_H
#define C2FLOW_TEST_DEC_TEST_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decode/decode.h"
#include "decode/pkt.h"

#define T0_SECS 1767225600u           /* 2026-01-01T00:00:00Z */
#define T0_MS   (1767225600000LL)

static inline flow_addr A(const char *text)
{
    flow_addr a;
    if (flow_addr_parse(text, &a) != 0) fail_msg("bad test address %s", text);
    return a;
}

static inline decoder *new_decoder(int apply_sampling)
{
    decode_options o;
    decode_options_default(&o);
    o.apply_sampling = apply_sampling;
    decoder *d;
    c2_err err;
    if (decoder_new(&o, &d, &err) != 0) fail_msg("decoder_new: %s", err.msg);
    return d;
}

/* The result of feeding one datagram. */
typedef struct fed {
    int rc;
    const flow_record *r;
    size_t n;
    c2_err err;
} fed;

static inline fed feed_bytes(decoder *d, const char *exporter, const uint8_t *b, size_t len)
{
    fed f;
    flow_addr e = A(exporter);
    memset(&f.err, 0, sizeof f.err);
    f.rc = decoder_decode(d, &e, b, len, T0_MS + 5000, &f.r, &f.n, &f.err);
    return f;
}

static inline fed feed(decoder *d, const char *exporter, const pkt *p)
{
    return feed_bytes(d, exporter, p->b, p->n);
}

/* Feed and expect success with n records. */
static inline const flow_record *feed_ok(decoder *d, const char *exporter, const pkt *p, size_t n)
{
    fed f = feed(d, exporter, p);
    if (f.rc != 0) fail_msg("decode failed: %s", f.err.msg);
    if (f.n != n) fail_msg("%zu records, want %zu", f.n, n);
    return f.r;
}

typedef struct find_arg {
    flow_addr addr;
    decode_exporter found;
    int hit;
} find_arg;

static inline void find_fn(const decode_exporter *e, void *arg)
{
    find_arg *a = arg;
    if (!memcmp(e->addr.b, a->addr.b, 16)) { a->found = *e; a->hit = 1; }
}

/* What the decoder knows of `exporter` (fails the test when nothing). */
static inline decode_exporter exporter_of(const decoder *d, const char *exporter)
{
    find_arg a = {.addr = A(exporter)};
    decoder_foreach_exporter(d, find_fn, &a, NULL);
    if (!a.hit) fail_msg("exporter %s unknown", exporter);
    return a.found;
}

static inline decode_counters counters_of(const decoder *d, const char *exporter)
{
    return exporter_of(d, exporter).c;
}

static inline void expect_addr(const flow_addr *a, const char *text)
{
    flow_addr want = A(text);
    char buf[FLOW_ADDR_STRLEN];
    if (memcmp(a->b, want.b, 16))
        fail_msg("address %s, want %s", flow_addr_format(a, buf, sizeof buf), text);
}

/* ---- the nfblast layout ---- */

static const spec NFB_V4[] = {
    {8, 4, 0}, {12, 4, 0}, {7, 2, 0}, {11, 2, 0}, {32, 2, 0}, {4, 1, 0}, {6, 1, 0},
    {5, 1, 0}, {2, 8, 0}, {1, 8, 0}, {22, 4, 0}, {21, 4, 0}, {10, 4, 0}, {14, 4, 0},
    {16, 4, 0}, {17, 4, 0},
};
static const spec NFB_V6[] = {
    {27, 16, 0}, {28, 16, 0}, {7, 2, 0}, {11, 2, 0}, {32, 2, 0}, {4, 1, 0}, {6, 1, 0},
    {5, 1, 0}, {2, 8, 0}, {1, 8, 0}, {22, 4, 0}, {21, 4, 0}, {10, 4, 0}, {14, 4, 0},
    {16, 4, 0}, {17, 4, 0},
};
#define NFB_N 16
#define NFB_V4_LEN 57
#define NFB_V6_LEN 81

/* One record of the nfblast layout; src/dst are 4 or 16 bytes. */
typedef struct nfbrec {
    const char *src, *dst;
    uint16_t sport, dport, icmp;
    uint8_t  proto, flags, tos;
    uint64_t pkts, bytes;
    uint32_t first, last, in_if, out_if, src_as, dst_as;
} nfbrec;

static inline void nfb_record(pkt *p, const nfbrec *r)
{
    flow_addr s = A(r->src), d = A(r->dst);
    if (flow_addr_is_v4(&s)) { putn(p, s.b + 12, 4); putn(p, d.b + 12, 4); }
    else { putn(p, s.b, 16); putn(p, d.b, 16); }
    put16(p, r->sport); put16(p, r->dport); put16(p, r->icmp);
    put8(p, r->proto); put8(p, r->flags); put8(p, r->tos);
    put64(p, r->pkts); put64(p, r->bytes);
    put32(p, r->first); put32(p, r->last);
    put32(p, r->in_if); put32(p, r->out_if); put32(p, r->src_as); put32(p, r->dst_as);
}

/* A v9 packet with the two nfblast templates. */
static inline void nfb_templates(pkt *p, uint32_t uptime, uint32_t seq, uint32_t source)
{
    pkt_reset(p);
    v9_header(p, 2, uptime, T0_SECS, seq, source);
    size_t at = set_begin(p, 0);
    v9_template(p, 256, NFB_V4, NFB_N);
    v9_template(p, 257, NFB_V6, NFB_N);
    set_end(p, at);
}

#endif
