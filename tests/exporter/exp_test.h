/*
 * exp_test.h: what the exporter tests share: records with every field
 * set (IPv4 and IPv6, TCP, UDP, ICMP, ICMPv6; counters k x N), decoding
 * datagrams with the project's own decoder, and checking that every
 * record came back exactly once and equal.
 *
 * Records are told apart by in_if, which holds their index.
 *
 * Include after cmocka.h.
 */
#ifndef C2FLOW_TEST_EXP_TEST_H
#define C2FLOW_TEST_EXP_TEST_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decode/decode.h"
#include "exporter/exporter.h"

#define T0_MS 1767225600000LL           /* 2026-01-01T00:00:00Z */

static inline flow_addr A(const char *text)
{
    flow_addr a;
    if (flow_addr_parse(text, &a) != 0) fail_msg("bad test address %s", text);
    return a;
}

/* Record i of a test stream: exporter 192.0.2.(1 + i % exporters),
 * domain 1 + (i / 3) % domains, sampling N, counters multiples of N,
 * ending in time order, one in five IPv6, protocols TCP, UDP, ICMP. */
static inline flow_record test_record(uint32_t i, uint32_t n, uint32_t exporters,
                                      uint32_t domains)
{
    flow_record r;
    memset(&r, 0, sizeof r);
    char a[64];
    int v6 = i % 5 == 0;
    if (v6) {
        snprintf(a, sizeof a, "2001:db8:%x::%x", i % 7, i + 1);
        r.src_addr = A(a);
        snprintf(a, sizeof a, "2001:db8:ffff::%x", (i * 3) % 65536);
        r.dst_addr = A(a);
    } else {
        snprintf(a, sizeof a, "10.%u.%u.%u", i % 200, (i / 200) % 256, 1 + i % 250);
        r.src_addr = A(a);
        snprintf(a, sizeof a, "198.51.100.%u", (i * 7) % 256);
        r.dst_addr = A(a);
    }
    static const uint8_t protos[4] = {6, 17, 1, 6};
    r.proto = protos[i % 4];
    if (r.proto == 1 && v6) r.proto = 58;
    if (r.proto == 1 || r.proto == 58) {
        r.src_port = 0;
        r.dst_port = (uint16_t)((i % 2 ? 8 : 3) << 8 | (i % 3));
    } else {
        r.src_port = (uint16_t)(1024 + i);
        r.dst_port = (uint16_t)(i % 3 ? 443 : 23);
    }
    r.tcp_flags = r.proto == 6 ? (uint8_t)(0x02 | (i & 0x1d)) : 0;
    r.tos = (uint8_t)(i * 4);
    r.packets = (uint64_t)(1 + i % 9) * n;
    r.bytes = (uint64_t)(40 + 97 * (i % 50)) * n;
    r.end_ms = T0_MS + 10LL * i + i % 7;
    r.start_ms = r.end_ms - (int64_t)(i % 13) * 1237;
    r.in_if = i;
    r.out_if = 1000 + i % 16;
    r.src_as = i % 4 ? 64500 + i % 10 : 0;
    r.dst_as = 4200000000u + i % 3;
    r.sampling = n;
    flow_addr_from_v4(&r.exporter, 0xc0000201u + i % exporters);
    r.domain = 1 + (i / 3) % domains;
    return r;
}

/* The address a test pretends source k sends from. */
static inline flow_addr source_addr(uint32_t k)
{
    flow_addr a;
    flow_addr_from_v4(&a, 0x7f000002u + k);
    return a;
}

static inline decoder *new_decoder(void)
{
    decode_options o;
    decode_options_default(&o);
    decoder *d;
    c2_err err;
    if (decoder_new(&o, &d, &err) != 0) fail_msg("decoder_new: %s", err.msg);
    return d;
}

/* Decoded records, appended. */
typedef struct got {
    flow_record *r;
    size_t n, cap;
} got;

static inline void got_add(got *g, const flow_record *r, size_t n)
{
    if (!n) return;
    if (g->n + n > g->cap) {
        g->cap = (g->n + n) * 2;
        g->r = realloc(g->r, g->cap * sizeof *g->r);
        if (!g->r) fail_msg("out of memory");
    }
    memcpy(g->r + g->n, r, n * sizeof *r);
    g->n += n;
}

/* Decode one datagram from `from`; any fault fails the test. */
static inline void decode_one(decoder *d, const flow_addr *from, const uint8_t *b, size_t len,
                              got *g)
{
    const flow_record *r;
    size_t n;
    c2_err err;
    if (decoder_decode(d, from, b, len, T0_MS, &r, &n, &err) != 0)
        fail_msg("decode: %s", err.msg);
    got_add(g, r, n);
}

/* Decode every queued datagram of e (source k from source_addr(k)),
 * checking none is longer than max_payload, and clear the queue. */
static inline void decode_queue(exporter_encoder *e, decoder *d, uint32_t max_payload, got *g)
{
    size_t n;
    const exporter_datagram *q = exporter_encoder_queue(e, &n);
    for (size_t i = 0; i < n; i++) {
        if (q[i].len > max_payload) fail_msg("datagram of %u bytes > %u", q[i].len, max_payload);
        flow_addr from = source_addr(q[i].source);
        decode_one(d, &from, q[i].data, q[i].len, g);
    }
    exporter_encoder_clear(e);
}

/* Every record of in[0..n) came back exactly once, every field equal,
 * exporter = the address of its source (source_of[i]). */
static inline void expect_same(const flow_record *in, size_t n, const got *g,
                               const flow_addr *exporter_of)
{
    if (g->n != n) fail_msg("%zu records decoded, %zu sent", g->n, n);
    uint8_t *seen = calloc(n ? n : 1, 1);
    for (size_t j = 0; j < g->n; j++) {
        flow_record r = g->r[j];
        if (r.in_if >= n || seen[r.in_if]) fail_msg("record %u twice or unknown", r.in_if);
        seen[r.in_if] = 1;
        flow_record want = in[r.in_if];
        want.exporter = exporter_of[r.in_if];
        if (memcmp(&r, &want, sizeof r) != 0) {
            char a[32], b[32];
            fail_msg("record %u differs: start %s/%s end %lld/%lld packets %llu/%llu "
                     "bytes %llu/%llu sampling %u/%u domain %u/%u dport %u/%u sport %u/%u",
                     r.in_if, c2_time_format(r.start_ms, a, sizeof a),
                     c2_time_format(want.start_ms, b, sizeof b), (long long)r.end_ms,
                     (long long)want.end_ms, (unsigned long long)r.packets,
                     (unsigned long long)want.packets, (unsigned long long)r.bytes,
                     (unsigned long long)want.bytes, r.sampling, want.sampling, r.domain,
                     want.domain, r.dst_port, want.dst_port, r.src_port, want.src_port);
        }
    }
    free(seen);
}

/* The decoder saw no loss, no reordering, no fault. */
static inline void check_clean_fn(const decode_exporter *e, void *arg)
{
    (void)arg;
    const decode_counters *c = &e->c;
    if (c->malformed || c->no_template || c->lost_packets || c->lost_records ||
        c->reordered || c->unknown_sampling || c->seq_resets)
        fail_msg("decoder counters: malformed %llu no_template %llu lost %llu/%llu "
                 "reordered %llu unknown_sampling %llu resets %llu",
                 (unsigned long long)c->malformed, (unsigned long long)c->no_template,
                 (unsigned long long)c->lost_packets, (unsigned long long)c->lost_records,
                 (unsigned long long)c->reordered, (unsigned long long)c->unknown_sampling,
                 (unsigned long long)c->seq_resets);
}

static inline void expect_clean(const decoder *d)
{
    decoder_foreach_exporter(d, check_clean_fn, NULL, NULL);
}

#endif
