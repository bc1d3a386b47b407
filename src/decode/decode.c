/*
 * decode.c: the decoder itself: its exporter table, the domains of each
 * exporter, the output buffer, sampling overrides, counters, and the
 * dispatch of a datagram to its wire format by version number.
 *
 * Exporters live in an array sized max_exporters at decoder_new, found by
 * an open-addressing hash of their address (index + 1, never deleted: an
 * exporter, once seen, keeps its counters for the decoder's life).  The
 * previous datagram's exporter is tried first, since datagrams come in
 * bursts from one router.  Each exporter keeps its domains, one per
 * (protocol, domain id), in a short array searched linearly (a router has a
 * handful; DEC_MAX_DOMAINS bounds a flood, evicting domains that hold no
 * templates first), again with the last one first.
 *
 * Protocol change: when an exporter's datagrams change protocol (a router
 * reconfigured from v9 to IPFIX, say), the sequence state of all its
 * domains is forgotten, so the switch counts no loss.  Templates stay:
 * they are kept per (protocol, domain), so a router that switches back
 * still finds them.
 *
 * The output buffer grows by doubling to fit a datagram's records and is
 * reused for the next datagram: the hot path never allocates once it has
 * reached the size of the largest datagram.
 */
#include "decode/decode_impl.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_MAX_EXPORTERS 4096
#define DEFAULT_MAX_TEMPLATES 4096
#define LIMIT_MAX_EXPORTERS   (1u << 20)
#define LIMIT_MAX_TEMPLATES   (1u << 20)

void decode_options_default(decode_options *o)
{
    o->apply_sampling = 1;
    o->max_exporters = DEFAULT_MAX_EXPORTERS;
    o->max_templates = DEFAULT_MAX_TEMPLATES;
}

const char *decode_proto_name(decode_proto p)
{
    switch (p) {
    case DECODE_NETFLOW_V5: return "netflow-v5";
    case DECODE_NETFLOW_V9: return "netflow-v9";
    case DECODE_IPFIX:      return "ipfix";
    case DECODE_SFLOW_V5:   return "sflow-v5";
    case DECODE_NONE:       break;
    }
    return "none";
}

int decoder_new(const decode_options *opt, decoder **out, c2_err *err)
{
    decode_options o;
    if (opt) o = *opt;
    else decode_options_default(&o);
    *out = NULL;
    if (o.max_exporters < 1 || o.max_exporters > LIMIT_MAX_EXPORTERS)
        return c2_fail(err, "decode: max_exporters must be 1..%u, not %u",
                       LIMIT_MAX_EXPORTERS, o.max_exporters);
    if (o.max_templates < 1 || o.max_templates > LIMIT_MAX_TEMPLATES)
        return c2_fail(err, "decode: max_templates must be 1..%u, not %u",
                       LIMIT_MAX_TEMPLATES, o.max_templates);
    decoder *d = calloc(1, sizeof *d);
    if (!d) return c2_fail(err, "decode: out of memory");
    d->opt = o;
    d->opt.apply_sampling = o.apply_sampling != 0;
    uint32_t hcap = 16;
    while (hcap < 2 * o.max_exporters) hcap <<= 1;
    d->hmask = hcap - 1;
    d->ex = calloc(o.max_exporters, sizeof *d->ex);
    d->hash = calloc(hcap, sizeof *d->hash);
    d->ovr = calloc(o.max_exporters, sizeof *d->ovr);
    d->gen = calloc(1, sizeof *d->gen);
    d->fields = calloc(DEC_MAX_FIELDS, sizeof *d->fields);
    d->out_cap = 64;
    d->out = malloc(d->out_cap * sizeof *d->out);
    if (!d->ex || !d->hash || !d->ovr || !d->gen || !d->fields || !d->out) {
        decoder_free(d);
        return c2_fail(err, "decode: out of memory");
    }
    *out = d;
    return 0;
}

void dec_domain_free(dec_domain *dom)
{
    if (!dom) return;
    for (uint32_t i = 0; i < dom->npending; i++) free(dom->pending[i].bytes);
    free(dom->pending);
    dec_tmpl_clear(&dom->tmpl);
    free(dom->tmpl.slot);
    free(dom->samplers);
    free(dom->sources);
    free(dom);
}

static void exporter_free(dec_exporter *e)
{
    if (!e) return;
    for (uint32_t i = 0; i < e->ndomains; i++) dec_domain_free(e->domains[i]);
    free(e->domains);
    free(e);
}

void decoder_free(decoder *d)
{
    if (!d) return;
    for (uint32_t i = 0; i < d->nex; i++) exporter_free(d->ex[i]);
    free(d->ex);
    free(d->hash);
    free(d->ovr);
    free(d->gen);
    free(d->fields);
    free(d->out);
    free(d);
}

/* ---- exporters ---- */

static uint32_t addr_hash(const flow_addr *a)
{
    uint64_t x, y;
    memcpy(&x, a->b, 8);
    memcpy(&y, a->b + 8, 8);
    x = (x ^ (y * 0x9e3779b97f4a7c15ull)) * 0xff51afd7ed558ccdull;
    return (uint32_t)(x >> 32);
}

static uint32_t override_find(const decoder *d, const flow_addr *a)
{
    for (uint32_t i = 0; i < d->novr; i++)
        if (!memcmp(d->ovr[i].addr.b, a->b, 16)) return d->ovr[i].interval;
    return 0;
}

/* The hash slot of address a: the one holding it, or the free one where
 * it would go. */
static uint32_t exporter_slot(const decoder *d, const flow_addr *a)
{
    uint32_t h = addr_hash(a) & d->hmask;
    while (d->hash[h] && memcmp(d->ex[d->hash[h] - 1]->pub.addr.b, a->b, 16))
        h = (h + 1) & d->hmask;
    return h;
}

/* Add e (not yet in the table, room left) to the table. */
void dec_exporter_attach(decoder *d, dec_exporter *e)
{
    uint32_t h = exporter_slot(d, &e->pub.addr);
    e->pub.override = override_find(d, &e->pub.addr);
    d->ex[d->nex++] = e;
    d->hash[h] = d->nex;
}

/* The exporter of address a; created when `create` and there is room.
 * NULL when unknown (create = 0), the table is full, or out of memory. */
dec_exporter *dec_exporter_get(decoder *d, const flow_addr *a, int create)
{
    if (d->last && !memcmp(d->last->pub.addr.b, a->b, 16)) return d->last;
    uint32_t h = exporter_slot(d, a);
    if (d->hash[h]) return d->last = d->ex[d->hash[h] - 1];
    if (!create || d->nex >= d->opt.max_exporters) return NULL;
    dec_exporter *e = calloc(1, sizeof *e);
    if (!e) return NULL;
    e->pub.addr = *a;
    dec_exporter_attach(d, e);
    return d->last = e;
}

/* ---- domains ---- */

dec_domain *dec_domain_find(const dec_exporter *e, decode_proto proto, uint32_t id)
{
    if (e->last && e->last->id == id && e->last->proto == proto) return e->last;
    for (uint32_t i = 0; i < e->ndomains; i++)
        if (e->domains[i]->id == id && e->domains[i]->proto == proto) return e->domains[i];
    return NULL;
}

/* The least recently used domain of e that holds nothing a template
 * stream needs (no templates, samplers, intervals): -1 if none. */
static long evictable(const dec_exporter *e)
{
    long best = -1;
    for (uint32_t i = 0; i < e->ndomains; i++) {
        const dec_domain *dom = e->domains[i];
        if (dom->tmpl.n || dom->nsamplers || dom->interval || dom->has_sys_init) continue;
        if (best < 0 || dom->used < e->domains[best]->used) best = (long)i;
    }
    return best;
}

/* The domain (proto, id) of the datagram's exporter, created on first
 * sight.  When the exporter has DEC_MAX_DOMAINS already, the least
 * recently used one without templates or sampling makes room (a stream of
 * corrupt datagrams must not lock real source ids out); NULL (with the
 * fault in c) when every one holds templates. */
dec_domain *dec_domain_get(dec_ctx *c, decode_proto proto, uint32_t id)
{
    dec_exporter *e = c->e;
    dec_domain *dom = dec_domain_find(e, proto, id);
    if (dom) {
        dom->used = ++e->tick;
        if (dom->npending) dec_pending_expire(c, dom);
        return e->last = dom;
    }
    long slot = -1;
    if (e->ndomains >= DEC_MAX_DOMAINS && (slot = evictable(e)) < 0) {
        dec_fail(c, "more than %d domains; domain %u ignored", DEC_MAX_DOMAINS, id);
        return NULL;
    }
    if (slot < 0 && e->ndomains == e->cap_domains) {
        uint32_t cap = e->cap_domains ? 2 * e->cap_domains : 4;
        dec_domain **nd = realloc(e->domains, cap * sizeof *nd);
        if (!nd) { dec_fail(c, "out of memory"); return NULL; }
        e->domains = nd;
        e->cap_domains = cap;
    }
    dom = calloc(1, sizeof *dom);
    if (!dom) { dec_fail(c, "out of memory"); return NULL; }
    dom->id = id;
    dom->proto = (uint8_t)proto;
    dom->used = ++e->tick;
    if (slot >= 0) {
        if (e->last == e->domains[slot]) e->last = NULL;
        dec_pending_drop_all(c->d, e, e->domains[slot]);
        dec_domain_free(e->domains[slot]);
        e->domains[slot] = dom;
    } else {
        e->domains[e->ndomains++] = dom;
    }
    return e->last = dom;
}

/* ---- shared helpers ---- */

int dec_fail(dec_ctx *c, const char *fmt, ...)
{
    if (c->failed) return -1;               /* keep the first fault */
    c->failed = 1;
    if (!c->err) return -1;
    char addr[FLOW_ADDR_STRLEN], msg[C2_ERR_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (c->e) flow_addr_format(&c->e->pub.addr, addr, sizeof addr);
    else snprintf(addr, sizeof addr, "?");
    c2_fail(c->err, "exporter %s: %s: %s", addr, decode_proto_name(c->proto), msg);
    return -1;
}

flow_record *dec_out_reserve(decoder *d, size_t n)
{
    if (n > d->out_cap - d->out_n) {
        size_t cap = d->out_cap;
        while (cap - d->out_n < n) cap *= 2;
        flow_record *no = realloc(d->out, cap * sizeof *no);
        if (!no) return NULL;
        d->out = no;
        d->out_cap = cap;
    }
    return d->out + d->out_n;
}

void dec_changed(const decoder *d)
{
    d->gen->changes++;
}

/* The datagram's protocol is `proto`: a change forgets sequence state. */
void dec_note_proto(dec_exporter *e, decode_proto proto)
{
    if (e->pub.proto == proto) return;
    if (e->pub.proto != DECODE_NONE)
        for (uint32_t i = 0; i < e->ndomains; i++) {
            e->domains[i]->seq.valid = 0;
            for (uint32_t k = 0; e->domains[i]->sources && k < e->domains[i]->src_cap; k++) {
                e->domains[i]->sources[k].seq.valid = 0;
                e->domains[i]->sources[k].drops_valid = 0;
            }
        }
    e->pub.proto = proto;
}

/* ---- decoding ---- */

static int decode_netflow(dec_ctx *c, const uint8_t *pkt, size_t len)
{
    uint16_t version = len >= 2 ? c2_get_be16(pkt) : 0;
    switch (version) {
    case 5:  c->proto = DECODE_NETFLOW_V5; break;
    case 9:  c->proto = DECODE_NETFLOW_V9; break;
    case 10: c->proto = DECODE_IPFIX; break;
    default:
        return len < 4 ? dec_fail(c, "datagram of %zu bytes", len)
                       : dec_fail(c, "unknown version %u", version);
    }
    dec_note_proto(c->e, c->proto);
    switch (c->proto) {
    case DECODE_NETFLOW_V5: return dec_netflow_v5(c, pkt, len);
    case DECODE_NETFLOW_V9: return dec_netflow_v9(c, pkt, len);
    default:                return dec_ipfix(c, pkt, len);
    }
}

int decoder_decode(decoder *d, const flow_addr *exporter, const uint8_t *pkt,
                   size_t len, int64_t now_ms, const flow_record **recs,
                   size_t *n, c2_err *err)
{
    dec_ctx c = {.d = d, .now_ms = now_ms, .err = err};
    d->out_n = 0;
    d->dgrams++;
    *recs = d->out;
    *n = 0;
    if (!pkt) len = 0;
    if (len >= 4 && c2_get_be32(pkt) == 5) {
        c.proto = DECODE_SFLOW_V5;
        dec_sflow(&c, exporter, pkt, len);
    } else {
        c.e = dec_exporter_get(d, exporter, 1);
        if (!c.e) {
            d->dropped.packets++;
            d->dropped.bytes += len;
            d->dropped.malformed++;
            char a[FLOW_ADDR_STRLEN];
            return c2_fail(err, "exporter %s: dropped: more than %u exporters",
                           flow_addr_format(exporter, a, sizeof a), d->opt.max_exporters);
        }
        c.e->pub.c.packets++;
        c.e->pub.c.bytes += len;
        decode_netflow(&c, pkt, len);
    }
    if (c.e) {
        c.e->pub.c.records += d->out_n;
        if (c.failed) c.e->pub.c.malformed++;
    } else if (c.failed) {
        d->dropped.malformed++;
    }
    *recs = d->out;
    *n = d->out_n;
    return c.failed ? -1 : 0;
}

/* ---- overrides ---- */

int decoder_set_sampling_override(decoder *d, const flow_addr *exporter, uint32_t interval)
{
    uint32_t i = 0;
    while (i < d->novr && memcmp(d->ovr[i].addr.b, exporter->b, 16)) i++;
    if (interval == 0) {
        if (i < d->novr) d->ovr[i] = d->ovr[--d->novr];
    } else if (i < d->novr) {
        d->ovr[i].interval = interval;
    } else {
        if (d->novr >= d->opt.max_exporters) return -1;
        d->ovr[d->novr].addr = *exporter;
        d->ovr[d->novr++].interval = interval;
    }
    dec_exporter *e = dec_exporter_get(d, exporter, 0);
    if (e) e->pub.override = interval;
    return 0;
}

void decoder_clear_sampling_overrides(decoder *d)
{
    d->novr = 0;
    for (uint32_t i = 0; i < d->nex; i++) d->ex[i]->pub.override = 0;
}

/* ---- counters ---- */

static void counters_add(decode_counters *t, const decode_counters *c)
{
    t->packets += c->packets;
    t->bytes += c->bytes;
    t->records += c->records;
    t->malformed += c->malformed;
    t->no_template += c->no_template;
    t->lost_packets += c->lost_packets;
    t->lost_records += c->lost_records;
    t->reordered += c->reordered;
    t->unknown_sampling += c->unknown_sampling;
    t->templates += c->templates;
    t->withdrawals += c->withdrawals;
    t->other += c->other;
    t->seq_resets += c->seq_resets;
}

void decoder_foreach_exporter(const decoder *d, decode_exporter_fn fn, void *arg,
                              decode_counters *total)
{
    decode_counters t = d->dropped;
    for (uint32_t i = 0; i < d->nex; i++) {
        if (fn) fn(&d->ex[i]->pub, arg);
        counters_add(&t, &d->ex[i]->pub.c);
    }
    if (total) *total = t;
}

int decoder_state_changed(const decoder *d)
{
    return d->gen->changes != d->gen->saved;
}
