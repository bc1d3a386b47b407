/*
 * sflow5.c: sFlow version 5 datagrams into flow_records, on top of the
 * stateless parser of src/sflow/ (sflow_parse).
 *
 * Each flow sample of an IPv4 or IPv6 packet becomes one flow_record:
 *
 *   exporter   the agent address of the datagram (not the UDP source; the
 *              UDP source when the agent is "unknown", :: or 0.0.0.0)
 *   domain     sub_agent_id
 *   start, end the time the datagram was received (sFlow has no absolute
 *              time)
 *   packets    1 x interval;  bytes: the IP length of the sampled packet x
 *              interval (flow_record.bytes are L3 bytes)
 *   sampling   the sample's sampling_rate; the exporter's override wins;
 *              a rate of 0 is unknown: stored as 1, counted
 *   the rest   interfaces, AS numbers, addresses, ports (ICMP type << 8 |
 *              code in dst_port), protocol, ToS, TCP flags of the sample
 *
 * Sequence numbers: the datagram sequence per (agent, sub-agent) gives
 * lost_packets and reordered (sequence.c's rules); the flow sample
 * sequence per (agent, sub-agent, source id) gives lost_records, and so do
 * increases of a source's `drops` counter (samples the agent could not
 * take; the first value seen is a baseline, a decrease a reset, a late
 * sample's value is ignored).  Up to
 * DEC_MAX_SOURCES sources per domain are tracked; samples of further
 * sources are decoded without loss accounting.  Counter samples, flow
 * samples without an IP header and unknown sample formats count as other.
 *
 * The datagram header is read here once more before sflow_parse runs
 * (seven words), so that the datagram is counted on its agent, and that
 * the agent's domain and sequence are in hand when the first sample comes.
 */
#include "decode/decode_impl.h"

#include <stdlib.h>

#include "sflow/sflow.h"

typedef struct sflow_hdr {
    flow_addr agent;
    uint32_t  sub_agent, sequence;
} sflow_hdr;

/* The header fields we need; -1 when the datagram is too short for them. */
static int peek_header(const uint8_t *p, size_t len, const flow_addr *udp_src, sflow_hdr *h)
{
    if (len < 8) return -1;
    uint32_t type = c2_get_be32(p + 4);
    size_t alen = type == 1 ? 4 : type == 2 ? 16 : 0, at = 8 + alen;
    if (len < at + 16) return -1;
    if (type == 1) flow_addr_from_v4(&h->agent, c2_get_be32(p + 8));
    else if (type == 2) memcpy(h->agent.b, p + 8, 16);
    static const uint8_t zero[16];
    if (alen == 0 || !memcmp(h->agent.b, zero, 16) ||
        (flow_addr_is_v4(&h->agent) && !memcmp(h->agent.b + 12, zero, 4)))
        h->agent = *udp_src;                /* unknown, ::, 0.0.0.0 */
    h->sub_agent = c2_get_be32(p + at);
    h->sequence = c2_get_be32(p + at + 4);
    return 0;
}

/* The sequence state of a data source; NULL when the table is full. */
static dec_source *source_of(dec_domain *dom, uint32_t type, uint32_t index)
{
    uint64_t key = ((uint64_t)type << 32 | index) + 1;
    if (dom->nsources * 2 >= dom->src_cap) {
        if (dom->nsources >= DEC_MAX_SOURCES) {
            /* full: only known sources are found */
        } else {
            uint32_t cap = dom->src_cap ? 2 * dom->src_cap : 16;
            dec_source *ns = calloc(cap, sizeof *ns);
            if (!ns) return NULL;
            for (uint32_t i = 0; i < dom->src_cap; i++) {
                if (!dom->sources[i].key) continue;
                uint32_t h = (uint32_t)(dom->sources[i].key * 0x9e3779b97f4a7c15ull >> 40) & (cap - 1);
                while (ns[h].key) h = (h + 1) & (cap - 1);
                ns[h] = dom->sources[i];
            }
            free(dom->sources);
            dom->sources = ns;
            dom->src_cap = cap;
        }
    }
    if (!dom->src_cap) return NULL;
    uint32_t h = (uint32_t)(key * 0x9e3779b97f4a7c15ull >> 40) & (dom->src_cap - 1);
    for (;; h = (h + 1) & (dom->src_cap - 1)) {
        if (dom->sources[h].key == key) return &dom->sources[h];
        if (!dom->sources[h].key) break;
    }
    if (dom->nsources >= DEC_MAX_SOURCES || dom->nsources * 2 >= dom->src_cap) return NULL;
    dom->sources[h].key = key;
    dom->nsources++;
    return &dom->sources[h];
}

typedef struct sample_ctx {
    dec_ctx    *c;
    dec_domain *dom;
    uint64_t    unknown;            /* records with an unknown interval */
} sample_ctx;

static void account_source(dec_exporter *e, dec_domain *dom, const sflow_flow_sample *s)
{
    dec_source *src = source_of(dom, s->source_type, s->source_index);
    if (!src) return;
    dec_seq_result sr = dec_seq_update(&src->seq, DEC_SEQ_RECORDS, s->sequence, 1, 1);
    e->pub.c.lost_records += sr.lost;
    e->pub.c.seq_resets += sr.reset;
    if (sr.late) return;                    /* an older drops count: not news */
    if (src->drops_valid && s->drops > src->drops) e->pub.c.lost_records += s->drops - src->drops;
    src->drops = s->drops;
    src->drops_valid = 1;
}

static int on_sample(const sflow_datagram *dg, const sflow_flow_sample *s, void *arg)
{
    sample_ctx *x = arg;
    dec_ctx *c = x->c;
    dec_exporter *e = c->e;
    (void)dg;
    flow_record *r = dec_out_reserve(c->d, 1);
    if (!r) return 1;
    memset(r, 0, sizeof *r);
    r->exporter = e->pub.addr;
    r->domain = x->dom->id;
    r->start_ms = r->end_ms = c->now_ms;
    r->packets = 1;
    r->bytes = s->ip_length;
    r->src_addr = s->src_addr;
    r->dst_addr = s->dst_addr;
    r->in_if = s->input_if;
    r->out_if = s->output_if;
    r->src_as = s->src_as;
    r->dst_as = s->dst_as;
    r->src_port = s->src_port;
    r->dst_port = s->dst_port;
    r->proto = s->proto;
    r->tos = s->tos;
    r->tcp_flags = s->tcp_flags;
    uint32_t iv = e->pub.override ? e->pub.override : s->sampling_rate;
    if (!c->d->opt.apply_sampling) {
        r->sampling = 1;
    } else {
        if (!iv) x->unknown++;
        e->pub.sampling = dec_mul_sampling(r, iv ? iv : 1);
    }
    c->d->out_n++;
    account_source(e, x->dom, s);
    return 0;
}

int dec_sflow(dec_ctx *c, const flow_addr *udp_src, const uint8_t *p, size_t len)
{
    sflow_hdr h;
    int short_hdr = peek_header(p, len, udp_src, &h) != 0;
    c->e = dec_exporter_get(c->d, short_hdr ? udp_src : &h.agent, 1);
    if (!c->e) {
        c->d->dropped.packets++;
        c->d->dropped.bytes += len;
        return dec_fail(c, "dropped: more than %u exporters", c->d->opt.max_exporters);
    }
    dec_exporter *e = c->e;
    e->pub.c.packets++;
    e->pub.c.bytes += len;
    if (short_hdr) return dec_fail(c, "header truncated (%zu bytes)", len);
    dec_note_proto(e, DECODE_SFLOW_V5);
    dec_domain *dom = dec_domain_get(c, DECODE_SFLOW_V5, h.sub_agent);
    if (!dom) return -1;
    dec_seq_result sr = dec_seq_update(&dom->seq, DEC_SEQ_PACKETS, h.sequence, 1, 1);
    e->pub.c.lost_packets += sr.lost;
    e->pub.c.reordered += sr.late;
    e->pub.c.seq_resets += sr.reset;

    sample_ctx x = {c, dom, 0};
    sflow_datagram dg;
    sflow_parse_stats st;
    c2_err perr;
    memset(&st, 0, sizeof st);
    int rc = sflow_parse(p, len, &dg, &st, on_sample, &x, &perr);
    e->pub.c.other += (uint64_t)st.counter_samples + st.non_ip_samples + st.other_samples;
    e->pub.c.unknown_sampling += x.unknown;
    if (rc == -1) return dec_fail(c, "%s", perr.msg);
    if (rc != 0) return dec_fail(c, "out of memory");
    return 0;
}
