/*
 * ipfix.c: IPFIX messages over UDP (RFC 7011).
 *
 *   header, 16 bytes: version = 10 (2) | length (2) | export time s (4) |
 *                     sequence (4) | observation domain id (4)
 *   then Sets:        id (2) | length (2, header included) | body
 *     id 2   Template Set: { template id (2) | field count (2) | specifiers }
 *     id 3   Options Template Set: { template id (2) | field count (2) |
 *                                    scope field count (2) | specifiers }
 *            field count 0 = withdrawal of that template (4 bytes, no scope
 *            count); template id 2 in a Template Set, 3 in an Options
 *            Template Set = withdrawal of all templates of that kind
 *     0, 1, 4-255  unused or reserved: skipped
 *     >= 256 Data Set of that template: records | padding
 *   specifier: element id (2, top bit = enterprise) | length (2, 65535 =
 *              variable) | [enterprise number (4) when the top bit is set]
 *
 * Templates are kept per (exporter, observation domain, template id).  A
 * withdrawal removes the template whatever its kind; an all-withdrawal
 * removes the templates of the Set's kind.  The sequence number counts data
 * records (options data included, template records not), so it feeds
 * lost_records; a message whose record count is not known in full (a Data
 * Set without template, which waits for it in pending.c; a fault) lets the
 * next one resynchronise without counting loss.  Bytes after the message
 * length are ignored; a length beyond the datagram is reported and the Sets
 * that fit are decoded.
 */
#include "decode/decode_impl.h"

#define IPFIX_HEADER 16

/* Parse nf specifiers from b[q..n); the first DEC_MAX_FIELDS are kept in
 * the decoder's scratch.  Returns the offset after them, 0 if truncated. */
static size_t read_specifiers(dec_ctx *c, const uint8_t *b, size_t n, size_t q, uint16_t nf)
{
    dec_field *f = c->d->fields;
    for (uint16_t i = 0; i < nf; i++) {
        if (n - q < 4) return 0;
        uint16_t id = c2_get_be16(b + q), len = c2_get_be16(b + q + 2);
        uint32_t pen = 0;
        q += 4;
        if (id & 0x8000) {
            if (n - q < 4) return 0;
            pen = c2_get_be32(b + q);
            q += 4;
            id &= 0x7fff;
        }
        if (i < DEC_MAX_FIELDS) f[i] = (dec_field){id, len, pen};
    }
    return q;
}

/* A withdrawal record (field count 0) in a Set of kind `options`. */
static int withdrawal(dec_ctx *c, dec_domain *dom, uint16_t id, int options)
{
    if (id == (options ? 3 : 2)) dec_template_withdraw_all(c, dom, options);
    else if (id >= 256) dec_template_withdraw(c, dom, id);
    else if (id == 0) return 0;                     /* padding */
    else dec_fail(c, "withdrawal of template id %u", id);
    return 1;
}

static void template_set(dec_ctx *c, dec_domain *dom, const uint8_t *b, size_t n, int options)
{
    size_t q = 0, hdr = options ? 6 : 4;
    while (n - q >= 4) {
        uint16_t id = c2_get_be16(b + q), nf = c2_get_be16(b + q + 2);
        if (nf == 0) {
            if (!withdrawal(c, dom, id, options)) return;
            q += 4;
            continue;
        }
        if (id < 256) { dec_fail(c, "template id %u", id); return; }
        if (n - q < hdr) { dec_fail(c, "template %u truncated", id); return; }
        uint16_t nscope = options ? c2_get_be16(b + q + 4) : 0;
        size_t end = read_specifiers(c, b, n, q + hdr, nf);
        if (!end) { dec_fail(c, "template %u truncated", id); return; }
        q = end;
        if (nf > DEC_MAX_FIELDS || (options && (nscope == 0 || nscope > nf))) {
            c->e->pub.c.templates++;
            dec_fail(c, "template %u: %u fields, %u scope fields", id, nf, nscope);
            continue;
        }
        dec_template_add(c, dom, id, options, c->d->fields, nf, nscope);
    }
}

int dec_ipfix(dec_ctx *c, const uint8_t *p, size_t len)
{
    if (len < IPFIX_HEADER) return dec_fail(c, "header truncated (%zu bytes)", len);
    size_t mlen = c2_get_be16(p + 2);
    c->export_ms = (uint64_t)c2_get_be32(p + 4) * 1000;
    uint32_t seq = c2_get_be32(p + 8), odid = c2_get_be32(p + 12);
    if (mlen < IPFIX_HEADER) return dec_fail(c, "message length %zu", mlen);
    if (mlen > len) {
        dec_fail(c, "message length %zu in a datagram of %zu bytes", mlen, len);
        mlen = len;
    }
    dec_domain *dom = dec_domain_get(c, DECODE_IPFIX, odid);
    if (!dom) return -1;
    dec_exporter *e = c->e;

    size_t q = IPFIX_HEADER;
    while (mlen - q >= 4) {
        uint16_t id = c2_get_be16(p + q), slen = c2_get_be16(p + q + 2);
        if (slen < 4 || slen > mlen - q) {
            dec_fail(c, "set %u: length %u at offset %zu of %zu", id, slen, q, mlen);
            break;
        }
        const uint8_t *b = p + q + 4;
        size_t n = slen - 4u;
        if (id == 2 || id == 3) {
            template_set(c, dom, b, n, id == 3);
        } else if (id >= 256) {
            const dec_template *t = dec_tmpl_find(&dom->tmpl, id);
            if (t) dec_data_set(c, dom, t, b, n);
            else if (dec_pending_keep(c, dom, id, b, n)) c->kept_sets++;
            else c->unknown_sets++;
        }
        q += slen;
    }
    e->pub.c.no_template += c->unknown_sets;
    int known = !c->unknown_sets && !c->kept_sets && !c->failed;
    dec_seq_result sr = dec_seq_update(&dom->seq, DEC_SEQ_RECORDS, seq,
                                       (uint32_t)c->data_records, known);
    e->pub.c.lost_records += sr.lost;
    e->pub.c.reordered += sr.late;
    e->pub.c.seq_resets += sr.reset;
    return c->failed ? -1 : 0;
}
