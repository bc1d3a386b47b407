/*
 * sflow.c: the sFlow version 5 datagram (sflow.org, sflow_version_5.txt),
 * walked as the XDR it is, and each flow sample reduced to one
 * sflow_flow_sample.  The sampled packet's header bytes are decoded by
 * packet.c.
 *
 * What is read, and where each flow field comes from
 * ----------------------------------------------------
 * All numbers are 32-bit big-endian words; a "record" is a data_format
 * word (enterprise << 12 | format) and a byte length; variable-length data
 * is padded to 4 bytes.  Only enterprise 0 (sFlow.org) structures are read.
 *
 *   datagram     version (must be 5); agent address (type 1 = IPv4, 4
 *                bytes; 2 = IPv6, 16 bytes; 0 = unknown, none -> ::) ->
 *                dg.agent; sub_agent_id, sequence_number, uptime (ms),
 *                then the number of sample records -> dg.samples.
 *   sample 0:1   flow sample: sequence, source_id (type in the top 8
 *                bits, index in the low 24), sampling_rate, sample_pool,
 *                drops, input, output, then the flow records.  input and
 *                output carry a format in their top 2 bits: only format 0
 *                (a single ifIndex) gives input_if/output_if; format 1
 *                (discarded), 2 (several interfaces) and the value
 *                0x3FFFFFFF (the device itself, "unknown") give 0.
 *   sample 0:3   expanded flow sample: the same with source_id type and
 *                index as separate words, and input and output as a
 *                (format, value) pair each, same rule.
 *   sample 0:2, 0:4   counter samples: skipped by length, counted.
 *   other samples     skipped by length, counted as other.
 *
 *   flow records inside a flow sample (unknown ones skipped by length):
 *   0:1    raw packet header: header_protocol (1 Ethernet, 11 IPv4,
 *          12 IPv6, 13 MPLS are decoded), frame_length -> frame_length,
 *          stripped, header bytes -> addresses, ports, protocol, ToS,
 *          TCP flags, VLAN tag, ip_length (see packet.c).
 *   0:3    sampled IPv4: length -> ip_length, protocol, src/dst address,
 *          src/dst port, tcp_flags, tos.  Used only when no raw header
 *          record gave an IP header; frame_length is then 0.  Not used
 *          when length is outside 20..65535, protocol above 255 or a
 *          port above 65535.  Ports are kept for TCP, UDP and SCTP, flags
 *          for TCP; ICMP type and code go to dst_port (from src_port =
 *          type and dst_port = code, or as type << 8 | code already).
 *   0:4    sampled IPv6: the same with 16-byte addresses, length
 *          40..65575; priority -> tos.
 *   0:1001 extended switch: src_vlan (1..4095) -> vlan, over the
 *          header's tag: the agent knows the VLAN of untagged ports.
 *   0:1003 extended gateway: next hop (skipped), router AS (skipped),
 *          src_as -> src_as, src_peer_as (skipped), the destination AS
 *          path as segments (type, AS count, ASes): dst_as = the last AS
 *          of the last segment, 0 when the path or that segment is empty;
 *          communities and localpref checked and skipped.
 *
 *   A flow sample whose records give no IPv4/IPv6 header (ARP, a header
 *   cut before the end of the IP header, a protocol we do not decode, a
 *   sampled record with impossible values) is counted as non-IP and not
 *   handed out.
 *
 * Trust: every count and length is checked against the bytes of its
 * container before use, so every loop ends after at most (container
 * bytes / 8) turns; a value that does not fit fails the datagram with the
 * offset of the field.  Samples are handed out as they are read, so the
 * samples before a fault have been delivered.  Every container must be
 * used exactly: announcing fewer samples or records than there are is as
 * malformed as announcing more, and a record we read must hold its
 * structure and nothing more (sFlow never extends a structure: a new
 * version gets a new format number).  Being strict makes a corrupted
 * length fail instead of re-aligning on bytes that happen to parse.
 */
#include "sflow/sflow.h"
#include "sflow/sflow_impl.h"

#include <string.h>

#define SFLOW_VERSION       5
#define SFLOW_IF_FORMAT(v)  ((v) >> 30)
#define SFLOW_IF_VALUE(v)   ((v) & 0x3FFFFFFFu)
#define SFLOW_IF_INTERNAL   0x3FFFFFFFu

/* data_format words: enterprise 0 structures only */
enum {
    SAMPLE_FLOW = 1, SAMPLE_COUNTERS = 2, SAMPLE_FLOW_EXPANDED = 3,
    SAMPLE_COUNTERS_EXPANDED = 4
};
enum {
    REC_RAW_HEADER = 1, REC_SAMPLED_IPV4 = 3, REC_SAMPLED_IPV6 = 4,
    REC_EXT_SWITCH = 1001, REC_EXT_GATEWAY = 1003
};

/* A read position inside one XDR container.  Offsets count from the start
 * of the datagram, so that every error names an absolute offset. */
typedef struct xdr {
    const uint8_t *buf;             /* the whole datagram */
    size_t off;                     /* next byte to read */
    size_t end;                     /* end of this container */
} xdr;

/* Everything a flow sample's records said, decided on at its end (records
 * may come in any order). */
typedef struct sample_parts {
    int          have_header;       /* a raw header record gave IP */
    sflow_packet header;
    uint32_t     frame_length;
    int          have_sampled;      /* a sampled IPv4/IPv6 record, usable */
    sflow_packet sampled;
    uint16_t     switch_vlan;       /* extended switch src_vlan, 0 = none */
    uint32_t     src_as, dst_as;
} sample_parts;

/* One sflow_parse call. */
typedef struct walk {
    const sflow_datagram *dg;
    sflow_parse_stats    *st;
    sflow_sample_fn       fn;
    void                 *arg;
    int                   stop;     /* fn's nonzero answer */
} walk;

/* ---- XDR reading ---- */

static size_t xdr_left(const xdr *x) { return x->end - x->off; }

/* *v is 0 on failure, so that no caller can use an unset word. */
static int xdr_u32(xdr *x, uint32_t *v, const char *what, c2_err *err)
{
    *v = 0;
    if (xdr_left(x) < 4)
        return c2_fail(err, "%s cut short at offset %zu (%zu bytes left)",
                       what, x->off, xdr_left(x));
    *v = c2_get_be32(x->buf + x->off);
    x->off += 4;
    return 0;
}

/* Take n bytes (n checked by the caller or here) and return them. */
static const uint8_t *xdr_bytes(xdr *x, size_t n, const char *what, c2_err *err)
{
    if (xdr_left(x) < n) {
        c2_fail(err, "%s needs %zu bytes, %zu left at offset %zu",
                what, n, xdr_left(x), x->off);
        return NULL;
    }
    const uint8_t *p = x->buf + x->off;
    x->off += n;
    return p;
}

/* A variable-length opaque: a length word, the bytes, padding to 4.
 * *inner covers the bytes without padding. */
static int xdr_opaque(xdr *x, xdr *inner, const char *what, c2_err *err)
{
    size_t at = x->off;
    uint32_t len;
    if (xdr_u32(x, &len, what, err) != 0) return -1;
    uint64_t padded = ((uint64_t)len + 3) & ~(uint64_t)3;
    if (padded > xdr_left(x))
        return c2_fail(err, "%s length %u exceeds the %zu bytes left at offset %zu",
                       what, len, xdr_left(x), at);
    *inner = (xdr){x->buf, x->off, x->off + len};
    x->off += (size_t)padded;
    return 0;
}

/* A record: data_format word, then an opaque. */
static int xdr_record(xdr *x, uint32_t *format, xdr *inner, const char *what,
                      c2_err *err)
{
    if (xdr_u32(x, format, what, err) != 0) return -1;
    return xdr_opaque(x, inner, what, err);
}

/* An address: type 0 (unknown, no bytes), 1 (IPv4) or 2 (IPv6). */
static int xdr_address(xdr *x, flow_addr *a, const char *what, c2_err *err)
{
    size_t at = x->off;
    uint32_t type;
    const uint8_t *p;
    memset(a, 0, sizeof *a);
    if (xdr_u32(x, &type, what, err) != 0) return -1;
    switch (type) {
    case 0:
        return 0;
    case 1:
        if (!(p = xdr_bytes(x, 4, what, err))) return -1;
        flow_addr_from_v4(a, c2_get_be32(p));
        return 0;
    case 2:
        if (!(p = xdr_bytes(x, 16, what, err))) return -1;
        memcpy(a->b, p, 16);
        return 0;
    default:
        return c2_fail(err, "%s: unknown address type %u at offset %zu", what, type, at);
    }
}

/* Several words at once, for fixed structures. */
static int xdr_words(xdr *x, uint32_t *v, size_t n, const char *what, c2_err *err)
{
    const uint8_t *p = xdr_bytes(x, 4 * n, what, err);
    if (!p) return -1;
    for (size_t i = 0; i < n; i++) v[i] = c2_get_be32(p + 4 * i);
    return 0;
}

/* A count of items of at least `size` bytes each that must fit in what is
 * left: the bound that keeps every loop over untrusted counts short. */
static int xdr_count(xdr *x, uint32_t *n, size_t size, const char *what, c2_err *err)
{
    size_t at = x->off;
    if (xdr_u32(x, n, what, err) != 0) return -1;
    if (*n > xdr_left(x) / size)
        return c2_fail(err, "%s %u cannot fit in the %zu bytes left at offset %zu",
                       what, *n, xdr_left(x), at);
    return 0;
}

/* ---- flow records ---- */

static uint32_t interface_index(uint32_t format, uint32_t value)
{
    return format == 0 && value != SFLOW_IF_INTERNAL ? value : 0;
}

static int raw_header(xdr *r, sample_parts *sp, c2_err *err)
{
    uint32_t w[3];                  /* header_protocol, frame_length, stripped */
    xdr h = {0};                    /* so that -O3 sees it set on every path */
    if (xdr_words(r, w, 3, "raw header", err) != 0) return -1;
    if (xdr_opaque(r, &h, "header", err) != 0) return -1;
    if (sp->have_header) return 0;  /* the first one that gave IP stands */
    sflow_packet p;
    if (sflow_decode_packet(w[0], h.buf + h.off, xdr_left(&h), w[1], w[2], &p)) {
        sp->have_header = 1;
        sp->header = p;
        sp->frame_length = w[1];
    }
    return 0;
}

/* Sampled IPv4 (0:3) and IPv6 (0:4): length, protocol, addresses, ports,
 * tcp_flags, tos/priority.  Impossible values leave the record unused. */
static int sampled_ip(xdr *r, int v6, sample_parts *sp, c2_err *err)
{
    size_t alen = v6 ? 16 : 4;
    uint32_t head[2], tail[4];      /* length, protocol | ports, flags, tos */
    const uint8_t *a;
    if (xdr_words(r, head, 2, "sampled IP", err) != 0) return -1;
    if (!(a = xdr_bytes(r, 2 * alen, "sampled IP addresses", err))) return -1;
    if (xdr_words(r, tail, 4, "sampled IP", err) != 0) return -1;
    uint32_t min = v6 ? 40 : 20, max = v6 ? SFLOW_MAX_IPV6_LENGTH : SFLOW_MAX_IPV4_LENGTH;
    if (sp->have_sampled || head[0] < min || head[0] > max || head[1] > 0xFF) return 0;
    sflow_packet p;
    memset(&p, 0, sizeof p);
    if (v6) {
        memcpy(p.src.b, a, 16);
        memcpy(p.dst.b, a + 16, 16);
    } else {
        flow_addr_from_v4(&p.src, c2_get_be32(a));
        flow_addr_from_v4(&p.dst, c2_get_be32(a + 4));
    }
    p.ip_length = head[0];
    p.proto = (uint8_t)head[1];
    p.tos = (uint8_t)tail[3];
    if (sflow_packet_transport(&p, tail[0], tail[1], tail[2]) != 0) return 0;
    sp->have_sampled = 1;
    sp->sampled = p;
    return 0;
}

static int ext_switch(xdr *r, sample_parts *sp, c2_err *err)
{
    uint32_t w[4];                  /* src_vlan, src_priority, dst_vlan, dst_priority */
    if (xdr_words(r, w, 4, "extended switch", err) != 0) return -1;
    if (w[0] <= 0x0FFF) sp->switch_vlan = (uint16_t)w[0];
    return 0;
}

/* The destination AS path: segments of (type, count, ASes). */
static int as_path(xdr *r, uint32_t *dst_as, c2_err *err)
{
    uint32_t segments, type, n, as = 0;
    if (xdr_count(r, &segments, 8, "AS path segment count", err) != 0) return -1;
    for (uint32_t s = 0; s < segments; s++) {
        if (xdr_u32(r, &type, "AS path segment", err) != 0) return -1;
        if (xdr_count(r, &n, 4, "AS path segment length", err) != 0) return -1;
        as = 0;                     /* the last AS of the last segment only */
        if (n > 0) {
            r->off += 4 * (size_t)(n - 1);
            if (xdr_u32(r, &as, "AS path", err) != 0) return -1;
        }
    }
    *dst_as = as;
    return 0;
}

static int ext_gateway(xdr *r, sample_parts *sp, c2_err *err)
{
    flow_addr next_hop;
    uint32_t w[3], communities, localpref, dst_as;   /* as, src_as, src_peer_as */
    if (xdr_address(r, &next_hop, "gateway next hop", err) != 0) return -1;
    if (xdr_words(r, w, 3, "extended gateway", err) != 0) return -1;
    if (as_path(r, &dst_as, err) != 0) return -1;
    if (xdr_count(r, &communities, 4, "community count", err) != 0) return -1;
    r->off += 4 * (size_t)communities;
    if (xdr_u32(r, &localpref, "localpref", err) != 0) return -1;
    sp->src_as = w[1];
    sp->dst_as = dst_as;
    return 0;
}

static int read_record(uint32_t format, xdr *r, sample_parts *sp, c2_err *err)
{
    int rc;
    switch (format) {
    case REC_RAW_HEADER:   rc = raw_header(r, sp, err); break;
    case REC_SAMPLED_IPV4: rc = sampled_ip(r, 0, sp, err); break;
    case REC_SAMPLED_IPV6: rc = sampled_ip(r, 1, sp, err); break;
    case REC_EXT_SWITCH:   rc = ext_switch(r, sp, err); break;
    case REC_EXT_GATEWAY:  rc = ext_gateway(r, sp, err); break;
    default:               return 0;    /* other structures: skipped by length */
    }
    if (rc == 0 && xdr_left(r) != 0)
        return c2_fail(err, "%zu bytes after the end of the structure at offset %zu",
                       xdr_left(r), r->off);
    return rc;
}

static int flow_records(xdr *s, sample_parts *sp, c2_err *err)
{
    uint32_t n, format;
    xdr r;
    if (xdr_count(s, &n, 8, "flow record count", err) != 0) return -1;
    for (uint32_t i = 0; i < n; i++) {
        if (xdr_record(s, &format, &r, "flow record", err) != 0 ||
            read_record(format, &r, sp, err) != 0) {
            c2_err_prefix(err, "flow record %u", i + 1);
            return -1;
        }
    }
    if (xdr_left(s) != 0)
        return c2_fail(err, "%zu bytes after the last of %u flow records at offset %zu",
                       xdr_left(s), n, s->off);
    return 0;
}

/* ---- samples ---- */

/* The fixed part of a flow sample, compact (0:1) or expanded (0:3). */
static int flow_sample_head(xdr *s, int expanded, sflow_flow_sample *out, c2_err *err)
{
    uint32_t w[10];
    memset(out, 0, sizeof *out);
    if (xdr_words(s, w, expanded ? 10 : 7, "flow sample", err) != 0) return -1;
    out->sequence = w[0];
    if (expanded) {
        out->source_type = w[1];
        out->source_index = w[2];
        out->sampling_rate = w[3];
        out->sample_pool = w[4];
        out->drops = w[5];
        out->input_if = interface_index(w[6], w[7]);
        out->output_if = interface_index(w[8], w[9]);
    } else {
        out->source_type = w[1] >> 24;
        out->source_index = w[1] & 0x00FFFFFF;
        out->sampling_rate = w[2];
        out->sample_pool = w[3];
        out->drops = w[4];
        out->input_if = interface_index(SFLOW_IF_FORMAT(w[5]), SFLOW_IF_VALUE(w[5]));
        out->output_if = interface_index(SFLOW_IF_FORMAT(w[6]), SFLOW_IF_VALUE(w[6]));
    }
    return 0;
}

/* Combine what the records said; 0 when there is no IP header. */
static int flow_sample_fill(const sample_parts *sp, sflow_flow_sample *out)
{
    const sflow_packet *p = sp->have_header ? &sp->header
                          : sp->have_sampled ? &sp->sampled : NULL;
    if (!p) return 0;
    out->frame_length = sp->have_header ? sp->frame_length : 0;
    out->ip_length = p->ip_length;
    out->src_addr = p->src;
    out->dst_addr = p->dst;
    out->src_as = sp->src_as;
    out->dst_as = sp->dst_as;
    out->src_port = p->src_port;
    out->dst_port = p->dst_port;
    out->vlan = sp->switch_vlan ? sp->switch_vlan : p->vlan;
    out->proto = p->proto;
    out->tos = p->tos;
    out->tcp_flags = p->tcp_flags;
    return 1;
}

static int flow_sample(walk *w, xdr *s, int expanded, c2_err *err)
{
    sflow_flow_sample out;
    sample_parts sp;
    memset(&sp, 0, sizeof sp);
    if (flow_sample_head(s, expanded, &out, err) != 0) return -1;
    if (flow_records(s, &sp, err) != 0) return -1;
    if (!flow_sample_fill(&sp, &out)) {
        w->st->non_ip_samples++;
        return 0;
    }
    w->st->flow_samples++;
    w->stop = w->fn ? w->fn(w->dg, &out, w->arg) : 0;
    return 0;
}

static int sample(walk *w, uint32_t format, xdr *s, c2_err *err)
{
    switch (format) {
    case SAMPLE_FLOW:              return flow_sample(w, s, 0, err);
    case SAMPLE_FLOW_EXPANDED:     return flow_sample(w, s, 1, err);
    case SAMPLE_COUNTERS:
    case SAMPLE_COUNTERS_EXPANDED: w->st->counter_samples++; return 0;
    default:                       w->st->other_samples++; return 0;
    }
}

/* ---- datagram ---- */

static int datagram_header(xdr *x, sflow_datagram *dg, c2_err *err)
{
    uint32_t version, w[4];
    if (xdr_u32(x, &version, "version", err) != 0) return -1;
    if (version != SFLOW_VERSION)
        return c2_fail(err, "version %u, not 5, at offset 0", version);
    if (xdr_address(x, &dg->agent, "agent address", err) != 0) return -1;
    if (xdr_words(x, w, 4, "datagram header", err) != 0) return -1;
    dg->sub_agent = w[0];
    dg->sequence = w[1];
    dg->uptime_ms = w[2];
    dg->samples = w[3];
    return 0;
}

int sflow_parse(const uint8_t *buf, size_t len, sflow_datagram *dg,
                sflow_parse_stats *st, sflow_sample_fn fn, void *arg,
                c2_err *err)
{
    xdr x = {buf, 0, len}, s;
    walk w = {dg, st, fn, arg, 0};
    uint32_t format;
    memset(dg, 0, sizeof *dg);
    memset(st, 0, sizeof *st);
    if (datagram_header(&x, dg, err) != 0) goto malformed;
    for (uint32_t i = 0; i < dg->samples; i++) {
        if (xdr_record(&x, &format, &s, "sample", err) != 0 ||
            sample(&w, format, &s, err) != 0) {
            c2_err_prefix(err, "sample %u", i + 1);
            goto malformed;
        }
        if (w.stop) return w.stop;
    }
    if (xdr_left(&x) == 0) return 0;
    c2_fail(err, "%zu bytes after the last of %u samples at offset %zu",
            xdr_left(&x), dg->samples, x.off);
malformed:
    c2_err_prefix(err, "sflow");
    return -1;
}
