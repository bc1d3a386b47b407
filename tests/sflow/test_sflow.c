/*
 * test_sflow.c: the sFlow v5 parser (src/sflow/).
 *
 * Datagrams are built field by field by the helpers below: a byte buffer
 * that appends big-endian words, records whose length word is filled in
 * when they are closed, and packet builders for Ethernet, VLAN tags,
 * IPv4, IPv6 and its extension headers, TCP, UDP and ICMP.  The buffer
 * remembers where it wrote every length and count word, so that the
 * malformation tests can corrupt each one in turn.  Every parse runs on an
 * exact-size heap copy, so that the sanitizers see a read past the end.
 *
 * Real datagrams (tests/sflow/data/, exported by pmacctd from a public
 * capture) are checked against what pmacct's own collector made of them.
 *
 * With C2FLOW_SFLOW_SEEDS=DIR in the environment, every datagram that
 * parses cleanly is also written to DIR (the seed corpus of fuzz_sflow).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sflow/sflow.h"

#define BUF_MAX    4096
#define MAX_FIELDS 128
#define MAX_GOT    16

#define AGENT4     "192.0.2.1"
#define SUB_AGENT  3
#define UPTIME     123456
#define SOURCE_TYPE 1               /* source_id class: a VLAN */
#define SOURCE_IDX 0xABCDEF        /* all 24 bits of the compact index */
#define RATE       512
#define POOL       1000000
#define DROPS      2
#define STRIPPED   4                /* FCS, as agents report it */

#define TCP_FIN 0x01
#define TCP_SYN 0x02
#define TCP_PSH 0x08
#define TCP_ACK 0x10

#define IF_DISCARD  (1u << 30)      /* interface format 1 */
#define IF_MULTIPLE (2u << 30)      /* interface format 2 */
#define IF_INTERNAL 0x3FFFFFFFu

/* ---- a byte buffer of big-endian fields ---- */

typedef struct buf {
    uint8_t b[BUF_MAX];
    size_t  n;
    size_t  fields[MAX_FIELDS];     /* offsets of every length and count word */
    uint8_t padded[MAX_FIELDS];     /* 1: a byte length whose data is padded */
    size_t  nfields;
} buf;

static void put8(buf *b, uint8_t v)
{
    assert_true(b->n < BUF_MAX);
    b->b[b->n++] = v;
}

static void put16(buf *b, uint16_t v) { put8(b, (uint8_t)(v >> 8)); put8(b, (uint8_t)v); }
static void put32(buf *b, uint32_t v) { put16(b, (uint16_t)(v >> 16)); put16(b, (uint16_t)v); }

static void put_bytes(buf *b, const void *p, size_t n)
{
    for (size_t i = 0; i < n; i++) put8(b, ((const uint8_t *)p)[i]);
}

static void pad4(buf *b) { while (b->n % 4) put8(b, 0); }

static uint32_t get32(const buf *b, size_t at)
{
    return (uint32_t)b->b[at] << 24 | (uint32_t)b->b[at + 1] << 16 |
           (uint32_t)b->b[at + 2] << 8 | b->b[at + 3];
}

static void set32(buf *b, size_t at, uint32_t v)
{
    for (int i = 0; i < 4; i++) b->b[at + (size_t)i] = (uint8_t)(v >> (24 - 8 * i));
}

/* A length or count word, remembered for the corruption tests. */
static size_t put_len(buf *b, uint32_t v)
{
    assert_true(b->nfields < MAX_FIELDS);
    b->padded[b->nfields] = 0;
    b->fields[b->nfields++] = b->n;
    put32(b, v);
    return b->n - 4;
}

/* The length of an opaque whose bytes are padded to 4: growing it into
 * its padding makes the padding data, which no parser can tell. */
static void put_len_padded(buf *b, uint32_t v)
{
    put_len(b, v);
    b->padded[b->nfields - 1] = 1;
}

/* A record: data_format word (enterprise << 12 | format) and a length word
 * that rec_end fills with the bytes written since. */
static size_t rec_begin(buf *b, uint32_t enterprise, uint32_t format)
{
    put32(b, enterprise << 12 | format);
    return put_len(b, 0);
}

static void rec_end(buf *b, size_t at)
{
    pad4(b);
    set32(b, at, (uint32_t)(b->n - at - 4));
}

static flow_addr A(const char *text)
{
    flow_addr a;
    if (flow_addr_parse(text, &a) != 0) fail_msg("bad test address %s", text);
    return a;
}

static void put_v4(buf *b, const char *text)
{
    flow_addr a = A(text);
    assert_true(flow_addr_is_v4(&a));
    put32(b, flow_addr_v4(&a));
}

static void put_v6(buf *b, const char *text)
{
    flow_addr a = A(text);
    put_bytes(b, a.b, 16);
}

/* An sFlow address: type 1 + 4 bytes for dotted quads, else type 2 + 16. */
static void put_address(buf *b, const char *text)
{
    if (strchr(text, ':')) { put32(b, 2); put_v6(b, text); }
    else { put32(b, 1); put_v4(b, text); }
}

/* ---- sampled packets ---- */

static void eth(buf *p, uint16_t type)
{
    static const uint8_t macs[12] = {2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2};
    put_bytes(p, macs, sizeof macs);
    put16(p, type);
}

/* An 802.1Q / 802.1ad tag: TCI, then the EtherType that follows it. */
static void tag(buf *p, uint16_t tci, uint16_t next) { put16(p, tci); put16(p, next); }

/* IPv4 header without options; frag = flags and offset word. */
static void ip4(buf *p, const char *src, const char *dst, uint8_t proto,
                uint16_t total, uint16_t frag, uint8_t tos)
{
    put8(p, 0x45); put8(p, tos); put16(p, total);
    put16(p, 0x1234); put16(p, frag);
    put8(p, 64); put8(p, proto); put16(p, 0);
    put_v4(p, src); put_v4(p, dst);
}

static void ip6(buf *p, const char *src, const char *dst, uint8_t next,
                uint16_t payload, uint8_t tclass)
{
    put32(p, 6u << 28 | (uint32_t)tclass << 20 | 0x12345);
    put16(p, payload); put8(p, next); put8(p, 64);
    put_v6(p, src); put_v6(p, dst);
}

/* A generic IPv6 extension header of (len8 + 1) * 8 bytes. */
static void ext6(buf *p, uint8_t next, uint8_t len8)
{
    put8(p, next); put8(p, len8);
    for (int i = 2; i < (len8 + 1) * 8; i++) put8(p, 0);
}

/* IPv6 fragment header: offset in 8-byte units, more-fragments flag. */
static void frag6(buf *p, uint8_t next, uint16_t offset, int more)
{
    put8(p, next); put8(p, 0);
    put16(p, (uint16_t)(offset << 3 | (more ? 1 : 0)));
    put32(p, 0xABCDEF01);
}

static void tcp(buf *p, uint16_t sport, uint16_t dport, uint8_t flags)
{
    put16(p, sport); put16(p, dport);
    put32(p, 1000); put32(p, 2000);
    put8(p, 0x50); put8(p, flags); put16(p, 65535);
    put16(p, 0); put16(p, 0);
}

static void udp(buf *p, uint16_t sport, uint16_t dport, uint16_t len)
{
    put16(p, sport); put16(p, dport); put16(p, len); put16(p, 0);
}

static void icmp(buf *p, uint8_t type, uint8_t code)
{
    put8(p, type); put8(p, code); put16(p, 0); put32(p, 0x00010002);
}

/* Ethernet and an IPv4 (10.0.0.1 -> 10.0.0.2) or IPv6 (2001:db8::1 ->
 * 2001:db8::2) header; length is the IPv4 total or IPv6 payload length. */
static void eth_ip(buf *p, int v6, uint8_t proto, uint16_t length)
{
    eth(p, v6 ? 0x86DD : 0x0800);
    if (v6) ip6(p, "2001:db8::1", "2001:db8::2", proto, length, 0);
    else ip4(p, "10.0.0.1", "10.0.0.2", proto, length, 0, 0);
}

/* Ethernet / IPv4 / TCP, a 40-byte datagram. */
static void pkt_tcp4(buf *p, const char *src, const char *dst, uint16_t sport,
                     uint16_t dport, uint8_t flags)
{
    eth(p, 0x0800);
    ip4(p, src, dst, 6, 40, 0, 0);
    tcp(p, sport, dport, flags);
}

/* ---- datagrams ---- */

/* Datagram header (agent IPv4 or IPv6 by its text); returns the offset of
 * the sample count. */
static size_t dg_begin(buf *b, const char *agent, uint32_t seq, uint32_t samples)
{
    put32(b, 5);
    put_address(b, agent);
    put32(b, SUB_AGENT); put32(b, seq); put32(b, UPTIME);
    return put_len(b, samples);
}

/* A compact flow sample (0:1) up to its record count; close with rec_end. */
static size_t sample_flow(buf *b, uint32_t seq, uint32_t in, uint32_t out, uint32_t nrec)
{
    size_t at = rec_begin(b, 0, 1);
    put32(b, seq); put32(b, SOURCE_TYPE << 24 | SOURCE_IDX);
    put32(b, RATE); put32(b, POOL); put32(b, DROPS);
    put32(b, in); put32(b, out);
    put_len(b, nrec);
    return at;
}

/* An expanded flow sample (0:3); interfaces as (format, value) pairs. */
static size_t sample_expanded(buf *b, uint32_t seq, uint32_t src_type, uint32_t src_index,
                              const uint32_t in[2], const uint32_t out[2], uint32_t nrec)
{
    size_t at = rec_begin(b, 0, 3);
    put32(b, seq); put32(b, src_type); put32(b, src_index);
    put32(b, RATE); put32(b, POOL); put32(b, DROPS);
    put32(b, in[0]); put32(b, in[1]); put32(b, out[0]); put32(b, out[1]);
    put_len(b, nrec);
    return at;
}

/* A raw packet header record (0:1): the first hlen bytes of pkt, the frame
 * as long as frame_len. */
static void rec_header_cut(buf *b, uint32_t proto, uint32_t frame_len, const buf *pkt, size_t hlen)
{
    size_t at = rec_begin(b, 0, 1);
    put32(b, proto); put32(b, frame_len); put32(b, STRIPPED);
    put_len_padded(b, (uint32_t)hlen);
    put_bytes(b, pkt->b, hlen);
    rec_end(b, at);
}

/* The whole packet, frame_length = packet + FCS. */
static void rec_header(buf *b, uint32_t proto, const buf *pkt)
{
    rec_header_cut(b, proto, (uint32_t)pkt->n + STRIPPED, pkt, pkt->n);
}

/* Sampled IPv4 (0:3) or IPv6 (0:4) record, by the family of src. */
static void rec_sampled(buf *b, uint32_t length, uint32_t proto, const char *src,
                        const char *dst, uint32_t sport, uint32_t dport,
                        uint32_t flags, uint32_t tos)
{
    int v6 = strchr(src, ':') != NULL;
    size_t at = rec_begin(b, 0, v6 ? 4 : 3);
    put32(b, length); put32(b, proto);
    if (v6) { put_v6(b, src); put_v6(b, dst); }
    else { put_v4(b, src); put_v4(b, dst); }
    put32(b, sport); put32(b, dport); put32(b, flags); put32(b, tos);
    rec_end(b, at);
}

static void rec_switch(buf *b, uint32_t src_vlan)
{
    size_t at = rec_begin(b, 0, 1001);
    put32(b, src_vlan); put32(b, 5); put32(b, 4000); put32(b, 3);
    rec_end(b, at);
}

/* Extended gateway (0:1003).  path: segments as {type, count, AS...}
 * flattened, nseg of them. */
static void rec_gateway(buf *b, const char *next_hop, uint32_t src_as,
                        const uint32_t *path, uint32_t nseg)
{
    size_t at = rec_begin(b, 0, 1003);
    put_address(b, next_hop);
    put32(b, 64496); put32(b, src_as); put32(b, 64498);
    put_len(b, nseg);
    for (uint32_t s = 0; s < nseg; s++) {
        uint32_t n = path[1];
        put32(b, path[0]);
        put_len(b, n);
        for (uint32_t i = 0; i < n; i++) put32(b, path[2 + i]);
        path += 2 + n;
    }
    put_len(b, 2); put32(b, 0xFDE80064); put32(b, 0xFDE800C8);
    put32(b, 100);                  /* localpref */
    rec_end(b, at);
}

/* A datagram with one compact flow sample (interfaces 5 and 6) holding one
 * raw header record: the first hlen bytes of pkt, of a frame_len frame. */
static void dg_one_cut(buf *b, uint32_t proto, uint32_t frame_len, const buf *pkt, size_t hlen)
{
    dg_begin(b, AGENT4, 1, 1);
    size_t s = sample_flow(b, 1, 5, 6, 1);
    rec_header_cut(b, proto, frame_len, pkt, hlen);
    rec_end(b, s);
}

/* The same with the whole packet, frame_length = packet + FCS. */
static void dg_one(buf *b, uint32_t proto, const buf *pkt)
{
    dg_one_cut(b, proto, (uint32_t)pkt->n + STRIPPED, pkt, pkt->n);
}

/* A datagram of one flow sample of one record of `format`, left open for
 * the caller to write the record's body; dg_rec_end closes both. */
typedef struct open_rec {
    size_t sample, record;          /* offsets of their length words */
} open_rec;

static open_rec dg_rec_begin(buf *b, uint32_t format)
{
    open_rec o;
    dg_begin(b, AGENT4, 1, 1);
    o.sample = sample_flow(b, 1, 5, 6, 1);
    o.record = rec_begin(b, 0, format);
    return o;
}

static void dg_rec_end(buf *b, open_rec o)
{
    rec_end(b, o.record);
    rec_end(b, o.sample);
}

/* ---- parsing ---- */

typedef struct got {
    sflow_datagram    dg;
    sflow_parse_stats st;
    sflow_flow_sample s[MAX_GOT];
    size_t            n;            /* samples delivered */
    size_t            stop_at;      /* answer 7 at this sample (1-based); 0 never */
    c2_err            err;
    int               rc;
} got;

static int collect(const sflow_datagram *dg, const sflow_flow_sample *s, void *arg)
{
    got *g = arg;
    assert_ptr_equal(dg, &g->dg);   /* the header, filled before any sample */
    if (g->n < MAX_GOT) memcpy(&g->s[g->n], s, sizeof *s);   /* padding too: compared whole */
    g->n++;
    return g->stop_at && g->n == g->stop_at ? 7 : 0;
}

static void write_seed(const uint8_t *data, size_t len)
{
    const char *dir = getenv("C2FLOW_SFLOW_SEEDS");
    if (!dir) return;
    char path[4096];
    snprintf(path, sizeof path, "%s/seed-%08x", dir, c2_crc32(0, data, len));
    FILE *f = fopen(path, "wb");
    if (!f) fail_msg("cannot write %s", path);
    fwrite(data, 1, len, f);
    fclose(f);
}

/* Parse data[0..len) from an exact-size heap copy. */
static int parse_bytes(const uint8_t *data, size_t len, got *g)
{
    size_t stop_at = g->stop_at;
    memset(g, 0, sizeof *g);
    g->stop_at = stop_at;
    uint8_t *copy = malloc(len ? len : 1);
    assert_non_null(copy);
    memcpy(copy, data, len);
    g->rc = sflow_parse(copy, len, &g->dg, &g->st, collect, g, &g->err);
    free(copy);
    if (g->rc == 0) write_seed(data, len);
    return g->rc;
}

static int parse(const buf *b, got *g) { return parse_bytes(b->b, b->n, g); }

/* Parse, expect success and exactly one delivered sample. */
static const sflow_flow_sample *parse_one(const buf *b, got *g)
{
    if (parse(b, g) != 0) fail_msg("parse failed: %s", g->err.msg);
    assert_int_equal(g->n, 1);
    return &g->s[0];
}

/* Parse, expect success and the sample counted as non-IP. */
static void parse_non_ip(const buf *b, got *g)
{
    if (parse(b, g) != 0) fail_msg("parse failed: %s", g->err.msg);
    assert_int_equal(g->n, 0);
    assert_int_equal(g->st.non_ip_samples, 1);
}

static void parse_fails(const buf *b, got *g, const char *needle)
{
    assert_int_equal(parse(b, g), -1);
    if (!strstr(g->err.msg, "offset") || !strstr(g->err.msg, needle))
        fail_msg("error \"%s\" should name an offset and \"%s\"", g->err.msg, needle);
}

static void assert_addr(const flow_addr *a, const char *text)
{
    flow_addr want = A(text);
    char buf[FLOW_ADDR_STRLEN];
    if (memcmp(a->b, want.b, 16) != 0)
        fail_msg("address %s, want %s", flow_addr_format(a, buf, sizeof buf), text);
}

/* ---- datagram and sample headers ---- */

static void test_ipv4_agent_tcp(void **state)
{
    (void)state;
    buf pkt = {0}, b = {0};
    got g;
    eth(&pkt, 0x0800);
    ip4(&pkt, "10.1.2.3", "198.51.100.7", 6, 40, 0x4000, 0x28);   /* DF */
    tcp(&pkt, 49152, 443, TCP_SYN | TCP_ACK);
    dg_begin(&b, AGENT4, 77, 1);
    size_t s = sample_flow(&b, 1000, 5, 6, 1);
    rec_header(&b, 1, &pkt);
    rec_end(&b, s);

    const sflow_flow_sample *f = parse_one(&b, &g);
    assert_addr(&g.dg.agent, AGENT4);
    assert_int_equal(g.dg.sub_agent, SUB_AGENT);
    assert_int_equal(g.dg.sequence, 77);
    assert_int_equal(g.dg.uptime_ms, UPTIME);
    assert_int_equal(g.dg.samples, 1);
    assert_int_equal(f->sequence, 1000);
    assert_int_equal(f->source_type, SOURCE_TYPE);
    assert_int_equal(f->source_index, SOURCE_IDX);
    assert_int_equal(f->sampling_rate, RATE);
    assert_int_equal(f->sample_pool, POOL);
    assert_int_equal(f->drops, DROPS);
    assert_int_equal(f->input_if, 5);
    assert_int_equal(f->output_if, 6);
    assert_int_equal(f->frame_length, 54 + STRIPPED);
    assert_int_equal(f->ip_length, 40);
    assert_addr(&f->src_addr, "10.1.2.3");
    assert_addr(&f->dst_addr, "198.51.100.7");
    assert_int_equal(f->src_port, 49152);
    assert_int_equal(f->dst_port, 443);
    assert_int_equal(f->proto, 6);
    assert_int_equal(f->tos, 0x28);
    assert_int_equal(f->tcp_flags, TCP_SYN | TCP_ACK);
    assert_int_equal(f->vlan, 0);
    assert_int_equal(f->src_as, 0);
    assert_int_equal(f->dst_as, 0);
    assert_int_equal(g.st.flow_samples, 1);
    assert_int_equal(g.st.counter_samples + g.st.non_ip_samples + g.st.other_samples, 0);
}

static void test_ipv6_agent_udp(void **state)
{
    (void)state;
    buf pkt = {0}, b = {0};
    got g;
    eth(&pkt, 0x0800);
    ip4(&pkt, "10.0.0.1", "10.0.0.2", 17, 32, 0, 0);
    udp(&pkt, 53, 33000, 12);
    put32(&pkt, 0xDEADBEEF);
    dg_begin(&b, "2001:db8::a", 9, 1);
    size_t s = sample_flow(&b, 1, 5, 6, 1);
    rec_header(&b, 1, &pkt);
    rec_end(&b, s);

    const sflow_flow_sample *f = parse_one(&b, &g);
    assert_addr(&g.dg.agent, "2001:db8::a");
    assert_int_equal(g.dg.sequence, 9);
    assert_int_equal(f->ip_length, 32);
    assert_int_equal(f->proto, 17);
    assert_int_equal(f->src_port, 53);
    assert_int_equal(f->dst_port, 33000);
    assert_int_equal(f->tcp_flags, 0);
}

static void test_unknown_agent_address(void **state)
{
    (void)state;
    buf pkt = {0}, b = {0};
    got g;
    pkt_tcp4(&pkt, "10.0.0.1", "10.0.0.2", 1, 2, TCP_SYN);
    put32(&b, 5); put32(&b, 0);     /* address type 0: unknown, no bytes */
    put32(&b, SUB_AGENT); put32(&b, 1); put32(&b, UPTIME); put32(&b, 1);
    size_t s = sample_flow(&b, 1, 5, 6, 1);
    rec_header(&b, 1, &pkt);
    rec_end(&b, s);
    parse_one(&b, &g);
    assert_addr(&g.dg.agent, "::");
}

static void test_expanded_sample(void **state)
{
    (void)state;
    buf pkt = {0}, b = {0};
    got g;
    const uint32_t in[2] = {0, 10}, out[2] = {0, 0x40000001};
    pkt_tcp4(&pkt, "10.0.0.1", "10.0.0.2", 1234, 80, TCP_FIN | TCP_ACK);
    dg_begin(&b, AGENT4, 1, 1);
    size_t s = sample_expanded(&b, 42, 2, 0x01000005, in, out, 1);
    rec_header(&b, 1, &pkt);
    rec_end(&b, s);

    const sflow_flow_sample *f = parse_one(&b, &g);
    assert_int_equal(f->sequence, 42);
    assert_int_equal(f->source_type, 2);
    assert_int_equal(f->source_index, 0x01000005);   /* wider than 24 bits */
    assert_int_equal(f->sampling_rate, RATE);
    assert_int_equal(f->input_if, 10);
    assert_int_equal(f->output_if, 0x40000001);      /* 32-bit value, format 0 */
    assert_int_equal(f->tcp_flags, TCP_FIN | TCP_ACK);
}

/* Interface words: only format 0 names an ifIndex, and 0x3FFFFFFF is the
 * device itself. */
static void test_interfaces(void **state)
{
    (void)state;
    static const struct { uint32_t in, out, want_in, want_out; } c[] = {
        {5, 6, 5, 6},
        {IF_INTERNAL, IF_INTERNAL, 0, 0},
        {5, IF_DISCARD | 3, 5, 0},
        {5, IF_MULTIPLE | 4, 5, 0},
        {5, IF_MULTIPLE, 5, 0},
        {3u << 30 | 5, 6, 0, 6},
        {0, 0, 0, 0},
    };
    for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
        buf pkt = {0}, b = {0};
        got g;
        pkt_tcp4(&pkt, "10.0.0.1", "10.0.0.2", 1, 2, TCP_SYN);
        dg_begin(&b, AGENT4, 1, 1);
        size_t s = sample_flow(&b, 1, c[i].in, c[i].out, 1);
        rec_header(&b, 1, &pkt);
        rec_end(&b, s);
        const sflow_flow_sample *f = parse_one(&b, &g);
        assert_int_equal(f->input_if, c[i].want_in);
        assert_int_equal(f->output_if, c[i].want_out);
    }
    /* expanded: formats 1 and 2, and the internal value */
    static const uint32_t in_fmt[][2] = {{1, 3}, {2, 0}, {0, IF_INTERNAL}};
    for (size_t i = 0; i < 3; i++) {
        buf pkt = {0}, b = {0};
        got g;
        const uint32_t out[2] = {0, 9};
        pkt_tcp4(&pkt, "10.0.0.1", "10.0.0.2", 1, 2, TCP_SYN);
        dg_begin(&b, AGENT4, 1, 1);
        size_t s = sample_expanded(&b, 1, 0, 1, in_fmt[i], out, 1);
        rec_header(&b, 1, &pkt);
        rec_end(&b, s);
        const sflow_flow_sample *f = parse_one(&b, &g);
        assert_int_equal(f->input_if, 0);
        assert_int_equal(f->output_if, 9);
    }
}

/* ---- link layer ---- */

/* A TCP/IPv4 packet behind the tags tpid[i]/tci[i], the VLAN it reads as. */
static int vlan_of(const uint16_t *tpid, const uint16_t *tci, int ntags, uint32_t switch_vlan,
                   got *g)
{
    buf pkt = {0}, b = {0};
    eth(&pkt, ntags ? tpid[0] : 0x0800);
    for (int i = 0; i < ntags; i++) tag(&pkt, tci[i], i + 1 < ntags ? tpid[i + 1] : 0x0800);
    ip4(&pkt, "10.0.0.1", "10.0.0.2", 6, 40, 0, 0);
    tcp(&pkt, 1, 2, TCP_SYN);
    dg_begin(&b, AGENT4, 1, 1);
    size_t s = sample_flow(&b, 1, 5, 6, switch_vlan != UINT32_MAX ? 2 : 1);
    rec_header(&b, 1, &pkt);
    if (switch_vlan != UINT32_MAX) rec_switch(&b, switch_vlan);
    rec_end(&b, s);
    if (parse(&b, g) != 0) fail_msg("%s", g->err.msg);
    if (g->n != 1) return -1;
    assert_int_equal(g->s[0].src_port, 1);        /* the IP header was found */
    return g->s[0].vlan;
}

static void test_vlan_tags(void **state)
{
    (void)state;
    got g;
    const uint16_t q[] = {0x8100, 0x8100}, qinq[] = {0x88A8, 0x8100}, old[] = {0x9100, 0x8100};
    assert_int_equal(vlan_of(q, (const uint16_t[]){0x2064}, 1, UINT32_MAX, &g), 100);  /* PCP 1 */
    assert_int_equal(vlan_of(qinq, (const uint16_t[]){200, 100}, 2, UINT32_MAX, &g), 200);
    assert_int_equal(vlan_of(old, (const uint16_t[]){300, 100}, 2, UINT32_MAX, &g), 300);
    assert_int_equal(vlan_of(q, (const uint16_t[]){0xA000}, 1, UINT32_MAX, &g), 0);    /* priority tag */
    assert_int_equal(vlan_of(q, (const uint16_t[]){0xA000, 42}, 2, UINT32_MAX, &g), 42);
    /* eight tags are read, a ninth is too many */
    uint16_t tp[9], tc[9];
    for (int i = 0; i < 9; i++) { tp[i] = 0x8100; tc[i] = (uint16_t)(10 + i); }
    assert_int_equal(vlan_of(tp, tc, 8, UINT32_MAX, &g), 10);
    assert_int_equal(vlan_of(tp, tc, 9, UINT32_MAX, &g), -1);
    assert_int_equal(g.st.non_ip_samples, 1);
    /* the extended switch record wins over the tag, when it names one */
    assert_int_equal(vlan_of(q, (const uint16_t[]){100}, 1, 55, &g), 55);
    assert_int_equal(vlan_of(q, (const uint16_t[]){100}, 1, 0, &g), 100);
    assert_int_equal(vlan_of(q, (const uint16_t[]){100}, 1, 5000, &g), 100);
    assert_int_equal(vlan_of(q, NULL, 0, 77, &g), 77);
}

/* PPPoE, MPLS, LLC/SNAP and the IP header protocols (11, 12, 13). */
static void test_encapsulations(void **state)
{
    (void)state;
    got g;
    {   /* PPPoE sessions carrying IPv6 and IPv4, and PPP control (LCP) */
        buf pkt = {0}, b = {0}, p4 = {0}, b4 = {0}, lcp = {0}, bl = {0};
        eth(&pkt, 0x8864);
        put8(&pkt, 0x11); put8(&pkt, 0); put16(&pkt, 0x0042); put16(&pkt, 62); put16(&pkt, 0x0057);
        ip6(&pkt, "2001:db8::1", "2001:db8::2", 17, 20, 0);
        udp(&pkt, 5000, 6000, 20);
        dg_one(&b, 1, &pkt);
        const sflow_flow_sample *f = parse_one(&b, &g);
        assert_addr(&f->dst_addr, "2001:db8::2");
        assert_int_equal(f->dst_port, 6000);
        eth(&p4, 0x8864);
        put8(&p4, 0x11); put8(&p4, 0); put16(&p4, 0x0042); put16(&p4, 42); put16(&p4, 0x0021);
        ip4(&p4, "100.64.0.9", "198.51.100.1", 6, 40, 0, 0);
        tcp(&p4, 50123, 25, TCP_SYN);
        dg_one(&b4, 1, &p4);
        f = parse_one(&b4, &g);
        assert_addr(&f->src_addr, "100.64.0.9");
        assert_int_equal(f->dst_port, 25);
        eth(&lcp, 0x8864);
        put8(&lcp, 0x11); put8(&lcp, 0); put16(&lcp, 0x0042); put16(&lcp, 6); put16(&lcp, 0xC021);
        put32(&lcp, 0x09010004);
        dg_one(&bl, 1, &lcp);
        parse_non_ip(&bl, &g);
    }
    {   /* Ethernet, MPLS with two labels, IPv4 */
        buf pkt = {0}, b = {0};
        eth(&pkt, 0x8847);
        put32(&pkt, 16000u << 12 | 0x40);              /* label, TTL, not bottom */
        put32(&pkt, 17000u << 12 | 0x100 | 0x40);      /* bottom of stack */
        ip4(&pkt, "10.7.7.7", "10.8.8.8", 6, 40, 0, 0);
        tcp(&pkt, 22, 50000, TCP_ACK);
        dg_one(&b, 1, &pkt);
        const sflow_flow_sample *f = parse_one(&b, &g);
        assert_addr(&f->src_addr, "10.7.7.7");
        assert_int_equal(f->src_port, 22);
    }
    {   /* header protocol 13: the header starts at the label stack */
        buf pkt = {0}, b = {0};
        put32(&pkt, 16000u << 12 | 0x100 | 0x40);
        ip6(&pkt, "2001:db8::7", "2001:db8::8", 58, 8, 0);
        icmp(&pkt, 128, 0);
        dg_one(&b, 13, &pkt);
        assert_int_equal(parse_one(&b, &g)->dst_port, 128 << 8);
    }
    {   /* a label stack without a bottom within eight labels */
        buf pkt = {0}, b = {0};
        eth(&pkt, 0x8847);
        for (int i = 0; i < 9; i++) put32(&pkt, 16000u << 12 | 0x40);
        ip4(&pkt, "10.7.7.7", "10.8.8.8", 6, 40, 0, 0);
        dg_one(&b, 1, &pkt);
        parse_non_ip(&b, &g);
    }
    {   /* 802.3 with LLC/SNAP naming IPv4 */
        buf pkt = {0}, b = {0};
        eth(&pkt, 48);
        put_bytes(&pkt, "\xAA\xAA\x03\x00\x00\x00\x08\x00", 8);
        ip4(&pkt, "10.0.0.1", "10.0.0.2", 17, 28, 0, 0);
        udp(&pkt, 1, 2, 8);
        dg_one(&b, 1, &pkt);
        assert_int_equal(parse_one(&b, &g)->dst_port, 2);
    }
    {   /* 802.3 with plain LLC (spanning tree): not IP */
        buf pkt = {0}, b = {0};
        eth(&pkt, 38);
        put_bytes(&pkt, "\x42\x42\x03\x00\x00\x00\x00\x00", 8);
        dg_one(&b, 1, &pkt);
        parse_non_ip(&b, &g);
    }
    {   /* header protocols 11 and 12: the header starts at IP */
        buf p4 = {0}, p6 = {0}, b4 = {0}, b6 = {0};
        ip4(&p4, "10.0.0.1", "10.0.0.2", 6, 40, 0, 0);
        tcp(&p4, 1, 2, TCP_SYN);
        dg_one(&b4, 11, &p4);
        assert_int_equal(parse_one(&b4, &g)->tcp_flags, TCP_SYN);
        ip6(&p6, "2001:db8::1", "2001:db8::2", 6, 20, 0);
        tcp(&p6, 3, 4, TCP_PSH);
        dg_one(&b6, 12, &p6);
        assert_int_equal(parse_one(&b6, &g)->tcp_flags, TCP_PSH);
        /* and an IPv6 packet announced as IPv4 is not IP */
        buf bad = {0};
        dg_one(&bad, 11, &p6);
        parse_non_ip(&bad, &g);
    }
    {   /* ARP, and an unknown header protocol (2, token bus) */
        buf pkt = {0}, b = {0}, b2 = {0};
        eth(&pkt, 0x0806);
        for (int i = 0; i < 28; i++) put8(&pkt, (uint8_t)i);
        dg_one(&b, 1, &pkt);
        parse_non_ip(&b, &g);
        buf ip = {0};
        pkt_tcp4(&ip, "10.0.0.1", "10.0.0.2", 1, 2, 0);
        dg_one(&b2, 2, &ip);
        parse_non_ip(&b2, &g);
    }
}

/* ---- network and transport layers ---- */

static void test_icmp(void **state)
{
    (void)state;
    static const struct { int v6; uint8_t type, code; } c[] = {
        {0, 8, 0}, {0, 3, 3}, {0, 0, 0}, {1, 128, 0}, {1, 1, 4},
    };
    for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
        buf pkt = {0}, b = {0};
        got g;
        eth_ip(&pkt, c[i].v6, c[i].v6 ? 58 : 1, c[i].v6 ? 8 : 28);
        icmp(&pkt, c[i].type, c[i].code);
        dg_one(&b, 1, &pkt);
        const sflow_flow_sample *f = parse_one(&b, &g);
        assert_int_equal(f->proto, c[i].v6 ? 58 : 1);
        assert_int_equal(f->src_port, 0);
        assert_int_equal(f->dst_port, c[i].type << 8 | c[i].code);
        assert_int_equal(f->tcp_flags, 0);
    }
}

/* A header cut at every byte: IP fields from the full fixed header on,
 * ports from 4 transport bytes on, flags from 14. */
static void test_truncated_headers(void **state)
{
    (void)state;
    buf pkt = {0};
    pkt_tcp4(&pkt, "10.0.0.1", "10.0.0.2", 1111, 2222, TCP_SYN);
    for (size_t h = 0; h <= pkt.n; h++) {
        buf b = {0};
        got g;
        dg_one_cut(&b, 1, 58, &pkt, h);
        if (h < 34) { parse_non_ip(&b, &g); continue; }
        const sflow_flow_sample *f = parse_one(&b, &g);
        assert_int_equal(f->ip_length, 40);            /* from the IP header */
        assert_int_equal(f->frame_length, 58);
        assert_int_equal(f->proto, 6);
        assert_int_equal(f->src_port, h >= 38 ? 1111 : 0);
        assert_int_equal(f->dst_port, h >= 38 ? 2222 : 0);
        assert_int_equal(f->tcp_flags, h >= 48 ? TCP_SYN : 0);
    }
    buf p6 = {0};
    eth(&p6, 0x86DD);
    ip6(&p6, "2001:db8::1", "2001:db8::2", 17, 1000, 0);
    udp(&p6, 53, 53000, 1000);
    for (size_t h = 0; h <= p6.n; h++) {
        buf b = {0};
        got g;
        dg_one_cut(&b, 1, 1058, &p6, h);
        if (h < 54) { parse_non_ip(&b, &g); continue; }
        const sflow_flow_sample *f = parse_one(&b, &g);
        assert_int_equal(f->ip_length, 1040);
        assert_int_equal(f->dst_port, h >= 58 ? 53000 : 0);
    }
}

/* Ethernet pads short frames: bytes past the IP datagram are not TCP. */
static void test_padding_is_not_transport(void **state)
{
    (void)state;
    buf pkt = {0}, b = {0};
    got g;
    eth(&pkt, 0x0800);
    ip4(&pkt, "10.0.0.1", "10.0.0.2", 6, 22, 0, 0);   /* 2 bytes of TCP */
    put16(&pkt, 4444);
    while (pkt.n < 60) put8(&pkt, 0xAB);
    dg_one(&b, 1, &pkt);
    const sflow_flow_sample *f = parse_one(&b, &g);
    assert_int_equal(f->ip_length, 22);
    assert_int_equal(f->src_port, 0);
    assert_int_equal(f->dst_port, 0);
}

static void test_ipv4_options_and_bad_headers(void **state)
{
    (void)state;
    got g;
    buf pkt = {0}, b = {0};
    eth(&pkt, 0x0800);
    put8(&pkt, 0x46); put8(&pkt, 0); put16(&pkt, 44);  /* IHL 6: 4 bytes of options */
    put32(&pkt, 0); put8(&pkt, 64); put8(&pkt, 17); put16(&pkt, 0);
    put_v4(&pkt, "10.0.0.1"); put_v4(&pkt, "10.0.0.2");
    put32(&pkt, 0x94040000);                            /* router alert */
    udp(&pkt, 7, 9, 20);
    put32(&pkt, 0); put32(&pkt, 0); put32(&pkt, 0);
    dg_one(&b, 1, &pkt);
    const sflow_flow_sample *f = parse_one(&b, &g);
    assert_int_equal(f->src_port, 7);
    assert_int_equal(f->dst_port, 9);
    assert_int_equal(f->ip_length, 44);

    for (int bad = 0; bad < 2; bad++) {                /* IHL 4; version 5 */
        buf p = {0}, d = {0};
        eth(&p, 0x0800);
        ip4(&p, "10.0.0.1", "10.0.0.2", 6, 40, 0, 0);
        p.b[14] = bad ? 0x55 : 0x44;
        tcp(&p, 1, 2, 0);
        dg_one(&d, 1, &p);
        parse_non_ip(&d, &g);
    }
}

static void test_ipv4_fragments(void **state)
{
    (void)state;
    static const struct { uint16_t frag; int ports; } c[] = {
        {0x2000, 1},                /* first fragment: MF, offset 0 */
        {0x2000 | 185, 0},          /* a middle one */
        {185, 0},                   /* the last one */
        {0x4000, 1},                /* DF, not a fragment */
    };
    for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
        buf pkt = {0}, b = {0};
        got g;
        eth(&pkt, 0x0800);
        ip4(&pkt, "10.0.0.1", "10.0.0.2", 17, 1500, c[i].frag, 0);
        udp(&pkt, 500, 4500, 1480);
        dg_one(&b, 1, &pkt);
        const sflow_flow_sample *f = parse_one(&b, &g);
        assert_int_equal(f->proto, 17);
        assert_int_equal(f->ip_length, 1500);
        assert_int_equal(f->src_port, c[i].ports ? 500 : 0);
        assert_int_equal(f->dst_port, c[i].ports ? 4500 : 0);
    }
}

/* One Ethernet-framed packet in a datagram, parsed: its one sample. */
static const sflow_flow_sample *ipv6_chain_sample(const buf *pkt, got *g)
{
    buf b = {0};
    dg_one(&b, 1, pkt);
    return parse_one(&b, g);
}

static void test_ipv6_extension_headers(void **state)
{
    (void)state;
    got g;
    {   /* hop-by-hop, routing (24 bytes), destination options, TCP */
        buf pkt = {0};
        eth(&pkt, 0x86DD);
        ip6(&pkt, "2001:db8::1", "2001:db8::2", 0, 8 + 24 + 8 + 20, 0xB8);
        ext6(&pkt, 43, 0);
        ext6(&pkt, 60, 2);
        ext6(&pkt, 6, 0);
        tcp(&pkt, 40000, 443, TCP_SYN);
        const sflow_flow_sample *f = ipv6_chain_sample(&pkt, &g);
        assert_int_equal(f->proto, 6);
        assert_int_equal(f->src_port, 40000);
        assert_int_equal(f->dst_port, 443);
        assert_int_equal(f->tcp_flags, TCP_SYN);
        assert_int_equal(f->tos, 0xB8);
        assert_int_equal(f->ip_length, 40 + 60);
        assert_addr(&f->src_addr, "2001:db8::1");
    }
    {   /* AH counts its length in 4-byte words */
        buf pkt = {0};
        eth(&pkt, 0x86DD);
        ip6(&pkt, "2001:db8::1", "2001:db8::2", 51, 24 + 8, 0);
        put8(&pkt, 17); put8(&pkt, 4);             /* (4 + 2) * 4 = 24 bytes */
        for (int i = 0; i < 22; i++) put8(&pkt, 0);
        udp(&pkt, 1701, 1702, 8);
        const sflow_flow_sample *f = ipv6_chain_sample(&pkt, &g);
        assert_int_equal(f->proto, 17);
        assert_int_equal(f->dst_port, 1702);
    }
    {   /* nine extension headers: too many, the chain is given up */
        buf pkt = {0};
        eth(&pkt, 0x86DD);
        ip6(&pkt, "2001:db8::1", "2001:db8::2", 60, 9 * 8 + 8, 0);
        for (int i = 0; i < 9; i++) ext6(&pkt, i < 8 ? 60 : 17, 0);
        udp(&pkt, 1, 2, 8);
        const sflow_flow_sample *f = ipv6_chain_sample(&pkt, &g);
        assert_int_equal(f->proto, 60);
        assert_int_equal(f->src_port, 0);
        assert_int_equal(f->dst_port, 0);
    }
    {   /* an extension header longer than the capture */
        buf pkt = {0};
        eth(&pkt, 0x86DD);
        ip6(&pkt, "2001:db8::1", "2001:db8::2", 0, 200, 0);
        put8(&pkt, 6); put8(&pkt, 20);             /* 168 bytes, 14 there */
        for (int i = 0; i < 14; i++) put8(&pkt, 0);
        const sflow_flow_sample *f = ipv6_chain_sample(&pkt, &g);
        assert_int_equal(f->proto, 6);
        assert_int_equal(f->src_port, 0);
        assert_int_equal(f->ip_length, 240);
    }
    {   /* the header cut inside the first extension header */
        buf pkt = {0};
        eth(&pkt, 0x86DD);
        ip6(&pkt, "2001:db8::1", "2001:db8::2", 0, 200, 0);
        put8(&pkt, 6); put8(&pkt, 0); put16(&pkt, 0);
        const sflow_flow_sample *f = ipv6_chain_sample(&pkt, &g);
        assert_int_equal(f->proto, 0);             /* all we know */
        assert_int_equal(f->dst_port, 0);
    }
}

static void test_ipv6_fragments(void **state)
{
    (void)state;
    static const struct { uint16_t offset; int more, ports; } c[] = {
        {0, 1, 1}, {100, 1, 0}, {100, 0, 0},
    };
    for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
        buf pkt = {0};
        got g;
        eth(&pkt, 0x86DD);
        ip6(&pkt, "2001:db8::1", "2001:db8::2", 44, 1400, 0);
        frag6(&pkt, 17, c[i].offset, c[i].more);
        udp(&pkt, 4000, 4001, 2000);
        const sflow_flow_sample *f = ipv6_chain_sample(&pkt, &g);
        assert_int_equal(f->proto, 17);
        assert_int_equal(f->ip_length, 1440);
        assert_int_equal(f->src_port, c[i].ports ? 4000 : 0);
        assert_int_equal(f->dst_port, c[i].ports ? 4001 : 0);
    }
}

/* IP length 0 (TCP segmentation offload, jumbograms): from the frame. */
static void test_length_from_frame(void **state)
{
    (void)state;
    static const struct { int v6; uint32_t frame; uint32_t want; } c[] = {
        {0, 9018, 9000},            /* 9018 - 4 stripped - 14 Ethernet */
        {1, 9018, 9000},
        {0, 0, 40},                 /* no frame length: what was captured */
        {0, 100000, 65535},         /* clamped to what the field could say */
        {1, 100000, 65575},
        {1, 10, 60},                /* frame shorter than its headers: captured */
    };
    for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
        buf pkt = {0}, b = {0};
        got g;
        eth_ip(&pkt, c[i].v6, 6, 0);
        tcp(&pkt, 1, 2, TCP_ACK);
        dg_one_cut(&b, 1, c[i].frame, &pkt, pkt.n);
        const sflow_flow_sample *f = parse_one(&b, &g);
        assert_int_equal(f->ip_length, c[i].want);
        assert_int_equal(f->frame_length, c[i].frame);
        assert_int_equal(f->src_port, 1);
    }
}

/* ---- sampled IPv4 / IPv6 records ---- */

/* One flow sample with a raw header record of pkt (if not NULL) and a
 * sampled record, in that order. */
static void dg_sampled(buf *b, const buf *pkt, uint32_t length, uint32_t proto,
                       const char *src, const char *dst, uint32_t sport,
                       uint32_t dport, uint32_t flags)
{
    dg_begin(b, AGENT4, 1, 1);
    size_t s = sample_flow(b, 1, 5, 6, pkt ? 2 : 1);
    if (pkt) rec_header(b, 1, pkt);
    rec_sampled(b, length, proto, src, dst, sport, dport, flags, 0x48);
    rec_end(b, s);
}

static void test_sampled_records(void **state)
{
    (void)state;
    got g;
    buf b1 = {0}, b2 = {0}, b3 = {0}, b4 = {0};
    dg_sampled(&b1, NULL, 1500, 6, "10.9.8.7", "10.9.8.6", 1234, 80, TCP_PSH | TCP_ACK);
    const sflow_flow_sample *f = parse_one(&b1, &g);
    assert_addr(&f->src_addr, "10.9.8.7");
    assert_addr(&f->dst_addr, "10.9.8.6");
    assert_int_equal(f->ip_length, 1500);
    assert_int_equal(f->frame_length, 0);          /* no raw header */
    assert_int_equal(f->proto, 6);
    assert_int_equal(f->src_port, 1234);
    assert_int_equal(f->dst_port, 80);
    assert_int_equal(f->tcp_flags, TCP_PSH | TCP_ACK);
    assert_int_equal(f->tos, 0x48);
    assert_int_equal(f->input_if, 5);

    dg_sampled(&b2, NULL, 1280, 17, "2001:db8::5", "2001:db8::6", 53, 5353, 0x12);
    f = parse_one(&b2, &g);
    assert_addr(&f->dst_addr, "2001:db8::6");
    assert_int_equal(f->ip_length, 1280);
    assert_int_equal(f->tcp_flags, 0);             /* flags only for TCP */
    assert_int_equal(f->dst_port, 5353);

    /* a raw header that is not IP: the sampled record stands in */
    buf arp = {0};
    eth(&arp, 0x0806);
    put32(&arp, 0x00010800);
    dg_sampled(&b3, &arp, 60, 17, "10.1.1.1", "10.1.1.2", 1, 2, 0);
    f = parse_one(&b3, &g);
    assert_addr(&f->src_addr, "10.1.1.1");
    assert_int_equal(f->frame_length, 0);

    /* a raw header with IP wins over the sampled record */
    buf ip = {0};
    pkt_tcp4(&ip, "10.0.0.1", "10.0.0.2", 7, 8, TCP_SYN);
    dg_sampled(&b4, &ip, 60, 17, "10.1.1.1", "10.1.1.2", 1, 2, 0);
    f = parse_one(&b4, &g);
    assert_addr(&f->src_addr, "10.0.0.1");
    assert_int_equal(f->frame_length, 54 + STRIPPED);
    assert_int_equal(f->src_port, 7);
}

static void test_sampled_icmp_and_bad_values(void **state)
{
    (void)state;
    got g;
    /* ICMP: type and code as ports, or NetFlow's type << 8 | code */
    static const struct { uint32_t sport, dport; uint16_t want; } c[] = {
        {3, 1, 0x0301}, {8, 0, 0x0800}, {0, 0x0B00, 0x0B00}, {0, 0, 0},
    };
    for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
        buf b = {0};
        dg_sampled(&b, NULL, 84, 1, "10.0.0.1", "10.0.0.2", c[i].sport, c[i].dport, 0);
        const sflow_flow_sample *f = parse_one(&b, &g);
        assert_int_equal(f->src_port, 0);
        assert_int_equal(f->dst_port, c[i].want);
    }
    /* values no IP packet can have: the record is not used */
    static const struct { uint32_t length, proto, sport; const char *src; } bad[] = {
        {19, 6, 1, "10.0.0.1"}, {65536, 6, 1, "10.0.0.1"}, {39, 6, 1, "2001:db8::1"},
        {1500, 256, 1, "10.0.0.1"}, {1500, 6, 65536, "10.0.0.1"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        buf b = {0};
        const char *dst = strchr(bad[i].src, ':') ? "2001:db8::2" : "10.0.0.2";
        dg_sampled(&b, NULL, bad[i].length, bad[i].proto, bad[i].src, dst, bad[i].sport, 2, 0);
        parse_non_ip(&b, &g);
    }
    /* other protocols carry no ports */
    buf gre = {0};
    dg_sampled(&gre, NULL, 100, 47, "10.0.0.1", "10.0.0.2", 5, 6, TCP_SYN);
    const sflow_flow_sample *f = parse_one(&gre, &g);
    assert_int_equal(f->src_port + f->dst_port + f->tcp_flags, 0);
}

/* ---- extended records ---- */

static uint32_t dst_as_of(const uint32_t *path, uint32_t nseg, const char *next_hop, got *g)
{
    buf pkt = {0}, b = {0};
    pkt_tcp4(&pkt, "10.0.0.1", "10.0.0.2", 1, 2, 0);
    dg_begin(&b, AGENT4, 1, 1);
    size_t s = sample_flow(&b, 1, 5, 6, 3);
    rec_gateway(&b, next_hop, 64497, path, nseg);
    rec_header(&b, 1, &pkt);
    rec_switch(&b, 12);
    rec_end(&b, s);
    const sflow_flow_sample *f = parse_one(&b, g);
    assert_int_equal(f->src_as, 64497);
    assert_int_equal(f->vlan, 12);
    return f->dst_as;
}

static void test_extended_gateway(void **state)
{
    (void)state;
    got g;
    const uint32_t two[] = {2, 2, 64499, 64500, 1, 2, 64510, 64511};   /* SEQ, SET */
    assert_int_equal(dst_as_of(two, 2, "192.0.2.254", &g), 64511);
    assert_int_equal(dst_as_of(two, 1, "2001:db8::fe", &g), 64500);
    const uint32_t single[] = {2, 1, 4200000000u};
    assert_int_equal(dst_as_of(single, 1, "192.0.2.254", &g), 4200000000u);
    assert_int_equal(dst_as_of(NULL, 0, "192.0.2.254", &g), 0);
    const uint32_t empty_last[] = {2, 1, 64499, 2, 0};
    assert_int_equal(dst_as_of(empty_last, 2, "192.0.2.254", &g), 0);
}

/* ---- what is passed over ---- */

static void test_counters_and_unknown_skipped(void **state)
{
    (void)state;
    buf pkt = {0}, b = {0};
    got g;
    pkt_tcp4(&pkt, "10.0.0.1", "10.0.0.2", 1, 2, TCP_SYN);
    dg_begin(&b, AGENT4, 1, 6);
    size_t s = rec_begin(&b, 0, 2);                /* counter sample */
    for (int i = 0; i < 22; i++) put32(&b, 0xC0C0C0C0);
    rec_end(&b, s);
    s = rec_begin(&b, 0, 4);                       /* expanded counter sample */
    for (int i = 0; i < 5; i++) put32(&b, 1);
    rec_end(&b, s);
    s = rec_begin(&b, 4300, 1);                    /* enterprise 4300: not a flow sample */
    for (int i = 0; i < 12; i++) put32(&b, 0);
    rec_end(&b, s);
    s = rec_begin(&b, 0, 5);                       /* a format we do not know */
    put32(&b, 0xFFFFFFFF);
    rec_end(&b, s);
    s = rec_begin(&b, 0, 9);                       /* empty */
    rec_end(&b, s);
    s = sample_flow(&b, 1, 5, 6, 5);
    size_t r = rec_begin(&b, 0, 2);                /* Ethernet frame data */
    for (int i = 0; i < 6; i++) put32(&b, 0x01020304);
    rec_end(&b, r);
    r = rec_begin(&b, 8800, 1);                    /* enterprise record */
    put32(&b, 0xFFFFFFFF);
    rec_end(&b, r);
    rec_header(&b, 1, &pkt);
    r = rec_begin(&b, 0, 1002);                    /* extended router */
    put_address(&b, "192.0.2.1"); put32(&b, 24); put32(&b, 24);
    rec_end(&b, r);
    rec_switch(&b, 99);
    rec_end(&b, s);

    const sflow_flow_sample *f = parse_one(&b, &g);
    assert_int_equal(f->src_port, 1);
    assert_int_equal(f->vlan, 99);
    assert_int_equal(g.st.flow_samples, 1);
    assert_int_equal(g.st.counter_samples, 2);
    assert_int_equal(g.st.other_samples, 3);
    assert_int_equal(g.st.non_ip_samples, 0);
    assert_int_equal(g.dg.samples, 6);
}

/* A datagram of several samples of every kind, used by the tests of
 * order, stopping, corruption and truncation.  Returns its flow samples. */
static size_t rich_datagram(buf *b)
{
    buf p1 = {0}, p2 = {0}, p3 = {0};
    pkt_tcp4(&p1, "10.0.0.1", "203.0.113.9", 40000, 443, TCP_SYN);
    eth(&p2, 0x8100);
    tag(&p2, 300, 0x86DD);
    ip6(&p2, "2001:db8::1", "2001:db8::2", 0, 8 + 8 + 8, 0);
    ext6(&p2, 44, 0);
    frag6(&p2, 17, 0, 1);
    udp(&p2, 123, 123, 48);
    eth(&p3, 0x0800);
    ip4(&p3, "10.0.0.3", "10.0.0.4", 1, 28, 0, 0);
    icmp(&p3, 8, 0);
    const uint32_t path[] = {2, 2, 64499, 64500, 1, 1, 64511};
    const uint32_t in[2] = {0, 3}, out[2] = {2, 0};

    dg_begin(b, "2001:db8::a", 1, 5);
    size_t s = sample_flow(b, 1, 5, 6, 3);
    rec_header(b, 1, &p1);
    rec_switch(b, 10);
    rec_gateway(b, "192.0.2.254", 64497, path, 2);
    rec_end(b, s);
    s = rec_begin(b, 0, 2);
    put32(b, 1); put32(b, 7); put32(b, 0);
    rec_end(b, s);
    s = sample_expanded(b, 2, 0, 8, in, out, 1);
    rec_header(b, 1, &p2);
    rec_end(b, s);
    s = sample_flow(b, 3, 5, IF_DISCARD, 2);
    rec_sampled(b, 1500, 6, "2001:db8::7", "2001:db8::8", 80, 1024, TCP_ACK, 0);
    rec_header_cut(b, 1, 100, &p3, 20);            /* cut: not IP */
    rec_end(b, s);
    s = sample_flow(b, 4, 5, 6, 1);
    rec_header(b, 11, &(buf){0});                  /* empty header */
    rec_end(b, s);
    return 3;
}

static void test_several_samples_in_order(void **state)
{
    (void)state;
    buf b = {0};
    got g;
    assert_int_equal(rich_datagram(&b), 3);
    if (parse(&b, &g) != 0) fail_msg("%s", g.err.msg);
    assert_int_equal(g.n, 3);
    assert_int_equal(g.st.flow_samples, 3);
    assert_int_equal(g.st.counter_samples, 1);
    assert_int_equal(g.st.non_ip_samples, 1);
    assert_int_equal(g.s[0].sequence, 1);
    assert_int_equal(g.s[0].dst_as, 64511);
    assert_int_equal(g.s[0].vlan, 10);
    assert_int_equal(g.s[1].sequence, 2);
    assert_int_equal(g.s[1].vlan, 300);
    assert_int_equal(g.s[1].proto, 17);
    assert_int_equal(g.s[1].dst_port, 123);
    assert_int_equal(g.s[1].input_if, 3);
    assert_int_equal(g.s[1].output_if, 0);
    assert_int_equal(g.s[2].sequence, 3);
    assert_int_equal(g.s[2].output_if, 0);
    assert_int_equal(g.s[2].dst_port, 1024);
    assert_addr(&g.s[2].src_addr, "2001:db8::7");
}

static void test_callback_stops(void **state)
{
    (void)state;
    buf b = {0};
    got g = {.stop_at = 2};
    rich_datagram(&b);
    assert_int_equal(parse(&b, &g), 7);
    assert_int_equal(g.n, 2);
    assert_int_equal(g.st.flow_samples, 2);
    assert_int_equal(g.st.non_ip_samples, 0);      /* not reached */
    sflow_datagram dg;
    sflow_parse_stats st;
    assert_int_equal(sflow_parse(b.b, b.n, &dg, &st, NULL, NULL, NULL), 0);
    assert_int_equal(st.flow_samples, 3);
    assert_int_equal(dg.samples, 5);
}

/* ---- malformed datagrams ---- */

static void test_malformed_headers(void **state)
{
    (void)state;
    got g;
    buf empty = {0};
    parse_fails(&empty, &g, "version");
    buf v4 = {0};
    put32(&v4, 4); put32(&v4, 1); put32(&v4, 0x0A000001);
    parse_fails(&v4, &g, "version 4");
    buf agent = {0};
    put32(&agent, 5); put32(&agent, 3); put32(&agent, 0);
    parse_fails(&agent, &g, "address type 3");
    buf v6cut = {0};
    put32(&v6cut, 5); put32(&v6cut, 2); put32(&v6cut, 0x20010db8);
    parse_fails(&v6cut, &g, "agent address");
    buf nocount = {0};
    put32(&nocount, 5); put_address(&nocount, AGENT4); put32(&nocount, 1); put32(&nocount, 2);
    parse_fails(&nocount, &g, "datagram header");
    buf zero = {0};
    dg_begin(&zero, AGENT4, 1, 0);
    if (parse(&zero, &g) != 0) fail_msg("%s", g.err.msg);   /* no samples is fine */
}

/* A datagram of `have` TCP samples announcing `say`. */
static void dg_count(buf *b, uint32_t say, uint32_t have)
{
    buf pkt = {0};
    pkt_tcp4(&pkt, "10.0.0.1", "10.0.0.2", 1, 2, TCP_SYN);
    dg_begin(b, AGENT4, 1, say);
    for (uint32_t i = 0; i < have; i++) {
        size_t s = sample_flow(b, i + 1, 5, 6, 1);
        rec_header(b, 1, &pkt);
        rec_end(b, s);
    }
}

static void test_sample_count_lies(void **state)
{
    (void)state;
    got g;
    buf more = {0}, fewer = {0}, huge = {0};
    dg_count(&more, 3, 2);
    parse_fails(&more, &g, "sample 3");
    assert_int_equal(g.n, 2);                      /* delivered before the fault */
    assert_int_equal(g.dg.samples, 3);
    dg_count(&fewer, 1, 2);
    parse_fails(&fewer, &g, "after the last of 1 samples");
    assert_int_equal(g.n, 1);
    dg_count(&huge, 0xFFFFFFFF, 2);
    parse_fails(&huge, &g, "sample 3");
    assert_int_equal(g.n, 2);
}

static void test_malformed_records(void **state)
{
    (void)state;
    got g;
    buf pkt = {0};
    pkt_tcp4(&pkt, "10.0.0.1", "10.0.0.2", 1, 2, TCP_SYN);
    {   /* flow sample of zero length */
        buf b = {0};
        dg_begin(&b, AGENT4, 1, 1);
        size_t s = rec_begin(&b, 0, 1);
        rec_end(&b, s);
        parse_fails(&b, &g, "flow sample");
    }
    {   /* raw header record of zero length */
        buf b = {0};
        open_rec o = dg_rec_begin(&b, 1);
        dg_rec_end(&b, o);
        parse_fails(&b, &g, "flow record 1");
    }
    {   /* header length beyond its record */
        buf b = {0};
        open_rec o = dg_rec_begin(&b, 1);
        put32(&b, 1); put32(&b, 64); put32(&b, 4); put32(&b, 60);
        put_bytes(&b, pkt.b, 52);
        dg_rec_end(&b, o);
        parse_fails(&b, &g, "header length 60");
    }
    {   /* fewer flow records announced than there are */
        buf b = {0};
        dg_begin(&b, AGENT4, 1, 1);
        size_t s = sample_flow(&b, 1, 5, 6, 1);
        rec_header(&b, 1, &pkt);
        rec_switch(&b, 3);
        rec_end(&b, s);
        parse_fails(&b, &g, "after the last of 1 flow records");
        assert_int_equal(g.n, 0);
    }
    {   /* sampled IPv6 record too short for its structure */
        buf b = {0};
        open_rec o = dg_rec_begin(&b, 4);
        for (int i = 0; i < 13; i++) put32(&b, 0);
        dg_rec_end(&b, o);
        parse_fails(&b, &g, "sampled IP");
    }
    {   /* a known structure with bytes after it */
        buf b = {0};
        open_rec o = dg_rec_begin(&b, 1001);
        for (int i = 0; i < 5; i++) put32(&b, 99);
        dg_rec_end(&b, o);
        parse_fails(&b, &g, "4 bytes after the end of the structure");
    }
    {   /* gateway without localpref */
        buf b = {0};
        open_rec o = dg_rec_begin(&b, 1003);
        put_address(&b, "192.0.2.1");
        put32(&b, 1); put32(&b, 2); put32(&b, 3); put32(&b, 0); put32(&b, 0);
        dg_rec_end(&b, o);
        parse_fails(&b, &g, "localpref");
    }
}

/* Every length and count word of a rich datagram made too large, by a
 * little and by a lot: always rejected, never read past the end. */
static void test_every_length_too_large(void **state)
{
    (void)state;
    buf b = {0};
    rich_datagram(&b);
    static const uint32_t add[] = {1, 4, 8, 256, 0x10000, 0x3FFFFFFF, 0x7FFFFFFF};
    for (size_t f = 0; f < b.nfields; f++) {
        uint32_t orig = get32(&b, b.fields[f]);
        for (size_t k = 0; k <= sizeof add / sizeof add[0]; k++) {
            buf c = b;
            got g;
            uint32_t v = k < sizeof add / sizeof add[0] ? orig + add[k] : 0xFFFFFFFF;
            if (b.padded[f] && (v + 3) / 4 == (orig + 3) / 4) continue;
            set32(&c, c.fields[f], v);
            if (parse(&c, &g) != -1)
                fail_msg("field at offset %zu = %u (was %u) accepted", c.fields[f], v, orig);
            assert_non_null(strstr(g.err.msg, "offset"));
        }
        for (uint32_t less = 1; less <= 8 && less <= orig; less++) {   /* too small */
            buf c = b;
            got g;
            set32(&c, c.fields[f], orig - less);
            int rc = parse(&c, &g);
            assert_true(rc == 0 || rc == -1);
        }
    }
}

/* The rich datagram cut at every byte: rejected each time, and the samples
 * delivered before the cut are exactly those of the whole datagram. */
static void test_truncated_at_every_byte(void **state)
{
    (void)state;
    buf b = {0};
    got whole, g;
    rich_datagram(&b);
    assert_int_equal(parse(&b, &whole), 0);
    for (size_t cut = 0; cut < b.n; cut++) {
        assert_int_equal(parse_bytes(b.b, cut, &g), -1);
        assert_non_null(strstr(g.err.msg, "offset"));
        assert_true(g.n <= whole.n);
        for (size_t i = 0; i < g.n; i++)
            assert_memory_equal(&g.s[i], &whole.s[i], sizeof g.s[i]);
    }
}

/* ---- real datagrams from pmacctd, against sfacctd ---- */

#define MAX_KEYS 256

typedef struct tally {
    char     key[MAX_KEYS][160];
    uint64_t packets[MAX_KEYS], bytes[MAX_KEYS];
    unsigned flags[MAX_KEYS];
    size_t   n;
} tally;

static void tally_add(tally *t, const char *key, uint64_t packets, uint64_t bytes, unsigned flags)
{
    size_t i = 0;
    while (i < t->n && strcmp(t->key[i], key) != 0) i++;
    if (i == t->n) {
        assert_true(t->n < MAX_KEYS);
        snprintf(t->key[t->n++], sizeof t->key[0], "%s", key);
    }
    t->packets[i] += packets;
    t->bytes[i] += bytes;
    t->flags[i] |= flags;
}

static char *data_dir(char *out, size_t len)
{
    const char *slash = strrchr(__FILE__, '/');
    if (!slash) fail_msg("cannot find the source tree from __FILE__ = %s", __FILE__);
    snprintf(out, len, "%.*s/data", (int)(slash - __FILE__), __FILE__);
    return out;
}

/* Key as sfacctd prints it: addresses, ports (0 for ICMP), protocol, ToS. */
static int tally_sample(const sflow_datagram *dg, const sflow_flow_sample *s, void *arg)
{
    char a[FLOW_ADDR_STRLEN], b[FLOW_ADDR_STRLEN], key[160];
    int icmp = s->proto == 1 || s->proto == 58;
    assert_addr(&dg->agent, "192.0.2.10");
    assert_int_equal(s->sampling_rate, 1);
    assert_int_equal(s->input_if, 0);              /* pmacct says 0x3FFFFFFF */
    assert_int_equal(s->output_if, 0);
    assert_int_equal(s->vlan, 0);
    assert_int_equal(s->src_as + s->dst_as, 0);
    assert_true(s->ip_length + 14 <= s->frame_length);
    snprintf(key, sizeof key, "%s,%s,%u,%u,%u,%u", flow_addr_format(&s->src_addr, a, sizeof a),
             flow_addr_format(&s->dst_addr, b, sizeof b), icmp ? 0 : s->src_port,
             icmp ? 0 : s->dst_port, s->proto, s->tos);
    tally_add(arg, key, 1, s->frame_length, s->tcp_flags);
    return 0;
}

static void read_file(const char *path, uint8_t *buf, size_t cap, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) fail_msg("cannot open %s", path);
    *len = fread(buf, 1, cap, f);
    assert_true(*len < cap);
    fclose(f);
}

static void read_sfacctd(const char *path, tally *t)
{
    FILE *f = fopen(path, "r");
    char line[512];
    if (!f) fail_msg("cannot open %s", path);
    assert_non_null(fgets(line, sizeof line, f));
    assert_string_equal(line, "VLAN,SRC_AS,DST_AS,IN_IFACE,OUT_IFACE,SRC_IP,DST_IP,SRC_PORT,"
                              "DST_PORT,TCP_FLAGS,PROTOCOL,TOS,PACKETS,BYTES\n");
    while (fgets(line, sizeof line, f)) {
        char *col[14], *save = NULL, key[160];
        int n = 0;
        for (char *c = strtok_r(line, ",\n", &save); c && n < 14; c = strtok_r(NULL, ",\n", &save))
            col[n++] = c;
        assert_int_equal(n, 14);
        assert_string_equal(col[0], "0");          /* VLAN */
        assert_string_equal(col[3], "1073741823");  /* interfaces: 0x3FFFFFFF */
        int proto = flow_proto_lookup(col[10]);
        assert_true(proto >= 0);
        snprintf(key, sizeof key, "%s,%s,%s,%s,%d,%s", col[5], col[6], col[7], col[8], proto, col[11]);
        tally_add(t, key, strtoull(col[12], NULL, 10), strtoull(col[13], NULL, 10),
                  (unsigned)atoi(col[9]));
    }
    fclose(f);
}

static void test_real_pmacct_datagrams(void **state)
{
    (void)state;
    static tally ours, theirs;
    static uint8_t data[65536];
    char dir[4096], path[8192];
    DIR *d = opendir(data_dir(dir, sizeof dir));
    struct dirent *e;
    size_t files = 0;
    memset(&ours, 0, sizeof ours);
    memset(&theirs, 0, sizeof theirs);
    assert_non_null(d);
    while ((e = readdir(d)) != NULL) {
        size_t nl = strlen(e->d_name), len;
        if (nl < 6 || strcmp(e->d_name + nl - 6, ".sflow") != 0) continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        read_file(path, data, sizeof data, &len);
        sflow_datagram dg;
        sflow_parse_stats st;
        c2_err err;
        if (sflow_parse(data, len, &dg, &st, tally_sample, &ours, &err) != 0)
            fail_msg("%s: %s", e->d_name, err.msg);
        assert_int_equal(st.flow_samples, dg.samples);
        files++;
    }
    closedir(d);
    assert_int_equal(files, 16);
    snprintf(path, sizeof path, "%s/pmacct-test7.sfacctd.csv", dir);
    read_sfacctd(path, &theirs);
    uint64_t total = 0;
    assert_int_equal(ours.n, theirs.n);
    for (size_t i = 0; i < theirs.n; i++) {
        size_t j = 0;
        while (j < ours.n && strcmp(ours.key[j], theirs.key[i]) != 0) j++;
        if (j == ours.n) fail_msg("sfacctd has %s, we do not", theirs.key[i]);
        if (ours.packets[j] != theirs.packets[i] || ours.bytes[j] != theirs.bytes[i] ||
            ours.flags[j] != theirs.flags[i])
            fail_msg("%s: %llu packets %llu bytes flags %u, sfacctd %llu %llu %u", theirs.key[i],
                     (unsigned long long)ours.packets[j], (unsigned long long)ours.bytes[j],
                     ours.flags[j], (unsigned long long)theirs.packets[i],
                     (unsigned long long)theirs.bytes[i], theirs.flags[i]);
        total += theirs.packets[i];
    }
    assert_int_equal(total, 107);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ipv4_agent_tcp),
        cmocka_unit_test(test_ipv6_agent_udp),
        cmocka_unit_test(test_unknown_agent_address),
        cmocka_unit_test(test_expanded_sample),
        cmocka_unit_test(test_interfaces),
        cmocka_unit_test(test_vlan_tags),
        cmocka_unit_test(test_encapsulations),
        cmocka_unit_test(test_icmp),
        cmocka_unit_test(test_truncated_headers),
        cmocka_unit_test(test_padding_is_not_transport),
        cmocka_unit_test(test_ipv4_options_and_bad_headers),
        cmocka_unit_test(test_ipv4_fragments),
        cmocka_unit_test(test_ipv6_extension_headers),
        cmocka_unit_test(test_ipv6_fragments),
        cmocka_unit_test(test_length_from_frame),
        cmocka_unit_test(test_sampled_records),
        cmocka_unit_test(test_sampled_icmp_and_bad_values),
        cmocka_unit_test(test_extended_gateway),
        cmocka_unit_test(test_counters_and_unknown_skipped),
        cmocka_unit_test(test_several_samples_in_order),
        cmocka_unit_test(test_callback_stops),
        cmocka_unit_test(test_malformed_headers),
        cmocka_unit_test(test_sample_count_lies),
        cmocka_unit_test(test_malformed_records),
        cmocka_unit_test(test_every_length_too_large),
        cmocka_unit_test(test_truncated_at_every_byte),
        cmocka_unit_test(test_real_pmacct_datagrams),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
