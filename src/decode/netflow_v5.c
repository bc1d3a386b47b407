/*
 * netflow_v5.c: Cisco NetFlow version 5, a fixed layout (no templates).
 *
 *   header, 24 bytes                     record, 48 bytes
 *    0 version = 5     2 count            0 srcaddr [8]       4 dstaddr [12]
 *    4 sysUptime ms                       8 nexthop          12 input [10] (2)
 *    8 unix_secs                         14 output [14] (2)  16 dPkts [2]
 *   12 unix_nsecs                        20 dOctets [1]      24 First [22]
 *   16 flow_sequence                     28 Last [21]        32 srcport [7] (2)
 *   20 engine_type (1) 21 engine_id (1)  34 dstport [11] (2) 36 pad (1)
 *   22 sampling: mode (top 2 bits),      37 tcp_flags [6]    38 prot [4]
 *      interval (low 14 bits)            39 tos [5]          40 src_as [16] (2)
 *                                        42 dst_as [17] (2)  44 masks, pad (4)
 *
 * domain = engine_type << 8 | engine_id.  Times: First / Last are
 * sysUptime ms, turned into ms since epoch against the export time
 * unix_secs.unix_nsecs as template.c describes (dec_uptime_ms).
 * flow_sequence counts flows, so it feeds lost_records.  The interval of
 * the header applies to the datagram's records (an override wins; 0 means
 * unknown).  A datagram shorter than its count says decodes the records it
 * holds and is reported; bytes after the last record are ignored.
 */
#include "decode/decode_impl.h"

#define V5_HEADER 24
#define V5_RECORD 48

static void v5_record(const dec_ctx *c, const uint8_t *p, uint32_t domain, flow_record *r)
{
    memset(r, 0, sizeof *r);
    r->exporter = c->e->pub.addr;
    r->domain = domain;
    flow_addr_from_v4(&r->src_addr, c2_get_be32(p));
    flow_addr_from_v4(&r->dst_addr, c2_get_be32(p + 4));
    r->in_if = c2_get_be16(p + 12);
    r->out_if = c2_get_be16(p + 14);
    r->packets = c2_get_be32(p + 16);
    r->bytes = c2_get_be32(p + 20);
    r->start_ms = (int64_t)dec_uptime_ms(c->export_ms, c->uptime, c2_get_be32(p + 24));
    r->end_ms = (int64_t)dec_uptime_ms(c->export_ms, c->uptime, c2_get_be32(p + 28));
    if (r->start_ms > r->end_ms) r->start_ms = r->end_ms;
    r->src_port = c2_get_be16(p + 32);
    r->dst_port = c2_get_be16(p + 34);
    r->tcp_flags = p[37];
    r->proto = p[38];
    r->tos = p[39];
    r->src_as = c2_get_be16(p + 40);
    r->dst_as = c2_get_be16(p + 42);
    if (r->proto == 1 || r->proto == 58) {
        /* type << 8 | code is in dstport; some exporters put it in srcport */
        if (!r->dst_port) r->dst_port = r->src_port;
        r->src_port = 0;
    }
}

int dec_netflow_v5(dec_ctx *c, const uint8_t *p, size_t len)
{
    if (len < V5_HEADER) return dec_fail(c, "header truncated (%zu bytes)", len);
    uint16_t count = c2_get_be16(p + 2);
    c->uptime = c2_get_be32(p + 4);
    c->has_uptime = 1;
    c->export_ms = (uint64_t)c2_get_be32(p + 8) * 1000 + c2_get_be32(p + 12) / 1000000;
    uint32_t seq = c2_get_be32(p + 16);
    uint32_t domain = (uint32_t)p[20] << 8 | p[21];
    uint32_t interval = c2_get_be16(p + 22) & 0x3fff;

    dec_domain *dom = dec_domain_get(c, DECODE_NETFLOW_V5, domain);
    if (!dom) return -1;
    dec_exporter *e = c->e;
    dec_seq_result sr = dec_seq_update(&dom->seq, DEC_SEQ_RECORDS, seq, count, 1);
    e->pub.c.lost_records += sr.lost;
    e->pub.c.reordered += sr.late;
    e->pub.c.seq_resets += sr.reset;

    size_t n = (len - V5_HEADER) / V5_RECORD;
    if (n > count) n = count;
    flow_record *out = dec_out_reserve(c->d, n);
    if (!out && n) return dec_fail(c, "out of memory");
    int apply = c->d->opt.apply_sampling;
    if (e->pub.override) interval = e->pub.override;
    for (size_t i = 0; i < n; i++) {
        v5_record(c, p + V5_HEADER + i * V5_RECORD, domain, &out[i]);
        if (!apply) out[i].sampling = 1;
        else dec_mul_sampling(&out[i], interval ? interval : 1);
    }
    c->d->out_n += n;
    if (apply && !interval) e->pub.c.unknown_sampling += n;
    if (n) e->pub.sampling = apply && interval ? interval : 1;
    if (n < count)
        return dec_fail(c, "count %u but room for %zu records in %zu bytes", count, n, len);
    return 0;
}
