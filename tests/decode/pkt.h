/*
 * pkt.h: build export datagrams by hand, for the decode tests and the
 * fuzz seeds.
 *
 * A pkt is a byte buffer written front to back in network order
 * (put8/16/32/64).  Sets and FlowSets are opened with set_begin, which
 * writes the id and a length placeholder, and closed with set_end, which
 * pads to 4 bytes and fills the length in.  Templates are written from
 * arrays of field specifiers {id, length} or, for IPFIX, {id, length, pen}
 * (pen != 0 sets the enterprise bit and writes the number).  Data records
 * are written field by field with the put functions; ipfix_varlen writes a
 * variable-length field with its 1- or 3-byte length prefix.
 *
 * sFlow datagrams are built the same way (sflow_header, then samples).
 *
 * Header helpers take every field the header has, so a test reads like
 * the layout in the RFC.  Nothing here checks anything: the point is to be
 * able to build broken datagrams as easily as good ones.
 */
#ifndef C2FLOW_TEST_PKT_H
#define C2FLOW_TEST_PKT_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define PKT_MAX 65600

typedef struct pkt {
    uint8_t b[PKT_MAX];
    size_t  n;                      /* bytes written */
} pkt;

typedef struct spec {
    uint16_t id;                    /* element id (without enterprise bit) */
    uint16_t len;                   /* 65535 = variable (IPFIX) */
    uint32_t pen;                   /* enterprise number; 0 = IANA */
} spec;

static inline void pkt_reset(pkt *p) { p->n = 0; }
static inline void put8(pkt *p, uint8_t v) { p->b[p->n++] = v; }
static inline void put16(pkt *p, uint16_t v) { put8(p, (uint8_t)(v >> 8)); put8(p, (uint8_t)v); }
static inline void put32(pkt *p, uint32_t v) { put16(p, (uint16_t)(v >> 16)); put16(p, (uint16_t)v); }
static inline void put64(pkt *p, uint64_t v) { put32(p, (uint32_t)(v >> 32)); put32(p, (uint32_t)v); }
static inline void putn(pkt *p, const void *src, size_t n) { memcpy(p->b + p->n, src, n); p->n += n; }
static inline void put_zero(pkt *p, size_t n) { memset(p->b + p->n, 0, n); p->n += n; }
/* An unsigned value in w bytes (reduced-size encoding). */
static inline void put_uint(pkt *p, uint64_t v, unsigned w)
{
    for (unsigned i = w; i-- > 0;) put8(p, (uint8_t)(v >> (8 * i)));
}
static inline void patch16(pkt *p, size_t at, uint16_t v)
{
    p->b[at] = (uint8_t)(v >> 8);
    p->b[at + 1] = (uint8_t)v;
}
/* IPv4 a.b.c.d as a 32-bit value. */
#define IP4(a, b, c, d) ((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (uint32_t)(d))

/* ---- Sets (IPFIX) and FlowSets (v9): id | length | body | padding ---- */
static inline size_t set_begin(pkt *p, uint16_t id)
{
    size_t at = p->n;
    put16(p, id);
    put16(p, 0);
    return at;
}
static inline void set_end_pad(pkt *p, size_t at, int pad)
{
    while (pad && (p->n - at) % 4) put8(p, 0);
    patch16(p, at + 2, (uint16_t)(p->n - at));
}
static inline void set_end(pkt *p, size_t at) { set_end_pad(p, at, 1); }

/* ---- NetFlow v5 ---- */
static inline void v5_header(pkt *p, uint16_t count, uint32_t uptime, uint32_t secs,
                             uint32_t nsecs, uint32_t seq, uint8_t engine_type,
                             uint8_t engine_id, uint16_t sampling)
{
    put16(p, 5); put16(p, count); put32(p, uptime); put32(p, secs); put32(p, nsecs);
    put32(p, seq); put8(p, engine_type); put8(p, engine_id); put16(p, sampling);
}

typedef struct v5rec {
    uint32_t src, dst, nexthop;
    uint16_t in_if, out_if;
    uint32_t pkts, octets, first, last;
    uint16_t sport, dport;
    uint8_t  flags, proto, tos;
    uint16_t src_as, dst_as;
} v5rec;

static inline void v5_record(pkt *p, const v5rec *r)
{
    put32(p, r->src); put32(p, r->dst); put32(p, r->nexthop);
    put16(p, r->in_if); put16(p, r->out_if);
    put32(p, r->pkts); put32(p, r->octets); put32(p, r->first); put32(p, r->last);
    put16(p, r->sport); put16(p, r->dport);
    put8(p, 0); put8(p, r->flags); put8(p, r->proto); put8(p, r->tos);
    put16(p, r->src_as); put16(p, r->dst_as);
    put8(p, 24); put8(p, 24); put16(p, 0);
}

/* ---- NetFlow v9 ---- */
static inline void v9_header(pkt *p, uint16_t count, uint32_t uptime, uint32_t secs,
                             uint32_t seq, uint32_t source_id)
{
    put16(p, 9); put16(p, count); put32(p, uptime); put32(p, secs); put32(p, seq);
    put32(p, source_id);
}

/* One template record (inside a FlowSet 0). */
static inline void v9_template(pkt *p, uint16_t id, const spec *f, uint16_t n)
{
    put16(p, id); put16(p, n);
    for (uint16_t i = 0; i < n; i++) { put16(p, f[i].id); put16(p, f[i].len); }
}

/* A whole template FlowSet with one template. */
static inline void v9_template_set(pkt *p, uint16_t id, const spec *f, uint16_t n)
{
    size_t at = set_begin(p, 0);
    v9_template(p, id, f, n);
    set_end(p, at);
}

/* A whole options template FlowSet: scope fields then option fields. */
static inline void v9_options_set(pkt *p, uint16_t id, const spec *scope, uint16_t ns,
                                  const spec *opt, uint16_t no)
{
    size_t at = set_begin(p, 1);
    put16(p, id); put16(p, (uint16_t)(4 * ns)); put16(p, (uint16_t)(4 * no));
    for (uint16_t i = 0; i < ns; i++) { put16(p, scope[i].id); put16(p, scope[i].len); }
    for (uint16_t i = 0; i < no; i++) { put16(p, opt[i].id); put16(p, opt[i].len); }
    set_end(p, at);
}

/* ---- IPFIX ---- */
static inline void ipfix_header(pkt *p, uint32_t export_secs, uint32_t seq, uint32_t odid)
{
    put16(p, 10); put16(p, 0); put32(p, export_secs); put32(p, seq); put32(p, odid);
}
/* Fill in the message length (call when the message is complete). */
static inline void ipfix_end(pkt *p) { patch16(p, 2, (uint16_t)p->n); }

static inline void ipfix_specs(pkt *p, const spec *f, uint16_t n)
{
    for (uint16_t i = 0; i < n; i++) {
        put16(p, (uint16_t)(f[i].id | (f[i].pen ? 0x8000 : 0)));
        put16(p, f[i].len);
        if (f[i].pen) put32(p, f[i].pen);
    }
}
/* A Template Set with one template. */
static inline void ipfix_template_set(pkt *p, uint16_t id, const spec *f, uint16_t n)
{
    size_t at = set_begin(p, 2);
    put16(p, id); put16(p, n);
    ipfix_specs(p, f, n);
    set_end(p, at);
}
/* An Options Template Set with one template: the first nscope fields scope. */
static inline void ipfix_options_set(pkt *p, uint16_t id, uint16_t nscope, const spec *f,
                                     uint16_t n)
{
    size_t at = set_begin(p, 3);
    put16(p, id); put16(p, n); put16(p, nscope);
    ipfix_specs(p, f, n);
    set_end(p, at);
}
/* A withdrawal: set_id 2 or 3, template id (2 / 3 = all of that kind). */
static inline void ipfix_withdraw_set(pkt *p, uint16_t set_id, uint16_t id)
{
    size_t at = set_begin(p, set_id);
    put16(p, id); put16(p, 0);
    set_end(p, at);
}
/* A variable-length field: 1-byte length, or 255 and a 2-byte length. */
static inline void ipfix_varlen(pkt *p, const void *v, uint16_t len, int long_form)
{
    if (len < 255 && !long_form) put8(p, (uint8_t)len);
    else { put8(p, 255); put16(p, len); }
    putn(p, v, len);
}

/* ---- sFlow version 5 (sflow.org sflow_version_5.txt) ----
 * header: version 5 | agent type 1 (IPv4) | agent | sub-agent | sequence |
 * uptime | samples; a flow sample (format 1) here always holds one raw
 * packet header record (Ethernet, IPv4, then TCP, UDP or ICMP). */
static inline void sflow_header(pkt *p, uint32_t agent_v4, uint32_t sub_agent, uint32_t seq,
                                uint32_t uptime, uint32_t samples)
{
    put32(p, 5); put32(p, 1); put32(p, agent_v4); put32(p, sub_agent); put32(p, seq);
    put32(p, uptime); put32(p, samples);
}

typedef struct sfsample {
    uint32_t seq, src_type, src_index, rate, pool, drops, in_if, out_if;
    uint32_t src, dst;              /* IPv4 addresses */
    uint16_t ip_len;                /* IPv4 total length */
    uint16_t sport, dport;          /* ICMP: dport = type << 8 | code */
    uint8_t  proto, tos, flags;
} sfsample;

static inline void sflow_flow_sample(pkt *p, const sfsample *s)
{
    int l4 = s->proto == 6 ? 20 : 8;
    uint32_t hdr = 14 + 20 + (uint32_t)l4, padded = (hdr + 3) & ~3u;
    put32(p, 1);                                    /* flow sample */
    put32(p, 32 + 8 + 16 + padded);
    put32(p, s->seq); put32(p, s->src_type << 24 | s->src_index); put32(p, s->rate);
    put32(p, s->pool); put32(p, s->drops); put32(p, s->in_if); put32(p, s->out_if);
    put32(p, 1);                                    /* one flow record */
    put32(p, 1); put32(p, 16 + padded);             /* raw packet header */
    put32(p, 1); put32(p, 14u + s->ip_len + 4); put32(p, 4); put32(p, hdr);
    put_zero(p, 12); put16(p, 0x0800);              /* Ethernet */
    put8(p, 0x45); put8(p, s->tos); put16(p, s->ip_len); put32(p, 0); put8(p, 64);
    put8(p, s->proto); put16(p, 0); put32(p, s->src); put32(p, s->dst);
    if (s->proto == 6) {
        put16(p, s->sport); put16(p, s->dport); put32(p, 1); put32(p, 0);
        put8(p, 0x50); put8(p, s->flags); put16(p, 1024); put32(p, 0);
    } else if (s->proto == 1) {
        put16(p, s->dport); put16(p, 0); put32(p, 0);
    } else {
        put16(p, s->sport); put16(p, s->dport); put16(p, 8); put16(p, 0);
    }
    put_zero(p, padded - hdr);
}

/* A counter sample (format 2) without counter records. */
static inline void sflow_counter_sample(pkt *p, uint32_t seq, uint32_t source)
{
    put32(p, 2); put32(p, 12); put32(p, seq); put32(p, source); put32(p, 0);
}

/* NTP 64-bit time (RFC 7011 6.1.9) of ms since the Unix epoch plus extra
 * nanoseconds (< 1e6): seconds since 1900 | fraction of 2^32. */
static inline uint64_t ntp_of(int64_t ms, uint32_t extra_ns)
{
    uint64_t sec = (uint64_t)(ms / 1000) + 2208988800u;
    uint64_t ns = (uint64_t)(ms % 1000) * 1000000u + extra_ns;
    return (sec & 0xffffffffu) << 32 | ((ns << 32) + 999999999u) / 1000000000u;
}

#endif
