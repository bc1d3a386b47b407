/*
 * netflow_v9.c: NetFlow version 9 (RFC 3954).
 *
 *   header, 20 bytes: version = 9 (2) | count (2) | sysUptime ms (4) |
 *                     unix_secs (4) | sequence (4) | source id (4)
 *   then FlowSets:    id (2) | length (2, header included) | body
 *     id 0   template FlowSet: { template id (2) | field count (2) |
 *                                { type (2) | length (2) } x count } ...
 *     id 1   options template FlowSet: { template id (2) | scope length (2) |
 *                                option length (2) | scope fields | option
 *                                fields (4 bytes each) } ... | padding
 *     2-255  reserved: skipped
 *     >= 256 data FlowSet of that template: records | padding
 *
 * Templates are kept per (exporter, source id, template id); source id is
 * flow_record.domain.  The sequence number counts export packets, so it
 * feeds lost_packets.  The header's count is the number of records of all
 * kinds in the packet; it is not trusted for parsing, only to say how many
 * records a data FlowSet without a template held when it was the only one
 * (otherwise each such FlowSet counts 1 in no_template, should it never be
 * decoded: such FlowSets wait for their template, pending.c).  Trailing bytes
 * shorter than a FlowSet header are padding.  A FlowSet whose length runs
 * past the datagram ends the datagram (reported); a template that cannot
 * be used is reported and skipped, and the FlowSets after it still count.
 */
#include "decode/decode_impl.h"

#define V9_HEADER 20

/* Read nf specifiers (4 bytes each) at p into the decoder's scratch. */
static dec_field *read_fields(dec_ctx *c, const uint8_t *p, uint16_t nf)
{
    dec_field *f = c->d->fields;
    for (uint16_t i = 0; i < nf; i++)
        f[i] = (dec_field){c2_get_be16(p + 4 * i), c2_get_be16(p + 4 * i + 2), 0};
    return f;
}

static void template_set(dec_ctx *c, dec_domain *dom, const uint8_t *b, size_t n)
{
    size_t q = 0;
    while (n - q >= 4) {
        uint16_t id = c2_get_be16(b + q), nf = c2_get_be16(b + q + 2);
        if (id == 0 && nf == 0) return;             /* padding */
        if (id < 256) { dec_fail(c, "template id %u", id); return; }
        size_t need = 4 + 4 * (size_t)nf;
        if (need > n - q) { dec_fail(c, "template %u truncated", id); return; }
        c->records_seen++;
        if (nf == 0 || nf > DEC_MAX_FIELDS) {
            c->e->pub.c.templates++;
            dec_fail(c, "template %u: %u fields", id, nf);
        } else {
            dec_template_add(c, dom, id, 0, read_fields(c, b + q + 4, nf), nf, 0);
        }
        q += need;
    }
}

static void options_set(dec_ctx *c, dec_domain *dom, const uint8_t *b, size_t n)
{
    size_t q = 0;
    while (n - q >= 6) {
        uint16_t id = c2_get_be16(b + q), sl = c2_get_be16(b + q + 2), ol = c2_get_be16(b + q + 4);
        if (id == 0) return;                        /* padding */
        if (id < 256) { dec_fail(c, "options template id %u", id); return; }
        if (sl % 4 || ol % 4) {
            dec_fail(c, "options template %u: scope/option lengths %u/%u", id, sl, ol);
            return;
        }
        size_t need = 6 + (size_t)sl + ol;
        if (need > n - q) { dec_fail(c, "options template %u truncated", id); return; }
        uint16_t nf = (uint16_t)((sl + ol) / 4), nscope = sl / 4;
        c->records_seen++;
        if (nf == 0 || nf > DEC_MAX_FIELDS) {
            c->e->pub.c.templates++;
            dec_fail(c, "options template %u: %u fields", id, nf);
        } else {
            dec_template_add(c, dom, id, 1, read_fields(c, b + q + 6, nf), nf, nscope);
        }
        q += need;
    }
}

/* The FlowSets after the header; returns the bytes of data FlowSets that
 * had no template. */
static size_t flowsets(dec_ctx *c, dec_domain *dom, const uint8_t *p, size_t len)
{
    size_t q = V9_HEADER, unknown_bytes = 0;
    while (len - q >= 4) {
        uint16_t id = c2_get_be16(p + q), slen = c2_get_be16(p + q + 2);
        if (slen < 4 || slen > len - q) {
            dec_fail(c, "flowset %u: length %u at offset %zu of %zu", id, slen, q, len);
            break;
        }
        const uint8_t *b = p + q + 4;
        size_t n = slen - 4u;
        if (id == 0) {
            template_set(c, dom, b, n);
        } else if (id == 1) {
            options_set(c, dom, b, n);
        } else if (id >= 256) {
            const dec_template *t = dec_tmpl_find(&dom->tmpl, id);
            if (t) {
                dec_data_set(c, dom, t, b, n);
            } else if (dec_pending_keep(c, dom, id, b, n)) {
                c->kept_sets++;
            } else {
                c->unknown_sets++;
                unknown_bytes += n;
            }
        }
        q += slen;
    }
    return unknown_bytes;
}

int dec_netflow_v9(dec_ctx *c, const uint8_t *p, size_t len)
{
    if (len < V9_HEADER) return dec_fail(c, "header truncated (%zu bytes)", len);
    uint16_t count = c2_get_be16(p + 2);
    c->uptime = c2_get_be32(p + 4);
    c->has_uptime = 1;
    c->export_ms = (uint64_t)c2_get_be32(p + 8) * 1000;
    uint32_t seq = c2_get_be32(p + 12), source = c2_get_be32(p + 16);
    dec_domain *dom = dec_domain_get(c, DECODE_NETFLOW_V9, source);
    if (!dom) return -1;
    dec_exporter *e = c->e;
    dec_seq_result sr = dec_seq_update(&dom->seq, DEC_SEQ_PACKETS, seq, 1, 1);
    e->pub.c.lost_packets += sr.lost;
    e->pub.c.reordered += sr.late;
    e->pub.c.seq_resets += sr.reset;

    size_t unknown_bytes = flowsets(c, dom, p, len);
    /* one set without template: the header's count tells its records */
    uint32_t missing = count > c->records_seen ? count - c->records_seen : 0;
    if (c->unknown_sets) {
        e->pub.c.no_template += c->unknown_sets == 1 && !c->kept_sets && missing &&
                                missing <= unknown_bytes ? missing : c->unknown_sets;
    } else if (c->kept_sets == 1) {
        dec_pending *w = dec_pending_of_datagram(c, dom);
        if (w && missing && missing <= w->len) w->est = missing;
    }
    return c->failed ? -1 : 0;
}
