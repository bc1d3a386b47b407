/*
 * pending.c: NetFlow v9 and IPFIX data sets that arrived before their
 * template, held a while and decoded when the template comes.
 *
 * A router sends its templates every few minutes (Cisco's default is every
 * 30 minutes for v9), so a collector meeting a new router, or a router that
 * changed a template, would otherwise drop everything until the next
 * refresh.  The sets are copied as they came, with what their times need
 * (the header's export time and sysUptime), per domain, in arrival order.
 * When a template is added, the sets of its id are decoded as if they had
 * just arrived behind it.  Bounded three ways, so that a flood of data
 * without templates costs little: DEC_PENDING_SETS and DEC_PENDING_BYTES
 * per domain, DEC_PENDING_TOTAL per decoder, and DEC_PENDING_MS of age (by
 * the receive clock).  A set that does not fit, grows too old, is left
 * when its domain is evicted, when its template id is withdrawn (IPFIX: the
 * id may come back with another meaning), or is still waiting when the
 * decoder is drained (decoder_drop_pending, at a collector's stop) counts
 * in no_template by its estimate of records: nothing is dropped silently.
 */
#include "decode/decode_impl.h"

#include <stdlib.h>

/* What a waiting set costs against the limits: its bytes and its entry. */
static size_t cost(size_t n)
{
    return n + sizeof(dec_pending);
}

static void forget(decoder *d, dec_domain *dom, dec_pending *p)
{
    dom->pending_bytes -= (uint32_t)cost(p->len);
    d->pending_bytes -= cost(p->len);
    free(p->bytes);
}

/* Count sets [from, to) as records without a template and free them. */
static void drop_range(dec_exporter *e, decoder *d, dec_domain *dom, uint32_t from, uint32_t to)
{
    for (uint32_t i = from; i < to; i++) {
        if (e) e->pub.c.no_template += dom->pending[i].est;
        forget(d, dom, &dom->pending[i]);
    }
}

static void remove_first(decoder *d, dec_exporter *e, dec_domain *dom, uint32_t n)
{
    drop_range(e, d, dom, 0, n);
    memmove(dom->pending, dom->pending + n, (dom->npending - n) * sizeof *dom->pending);
    dom->npending -= n;
}

void dec_pending_expire(dec_ctx *c, dec_domain *dom)
{
    uint32_t n = 0;
    while (n < dom->npending && c->now_ms - dom->pending[n].recv_ms > DEC_PENDING_MS) n++;
    if (n) remove_first(c->d, c->e, dom, n);
}

dec_pending *dec_pending_keep(dec_ctx *c, dec_domain *dom, uint16_t id, const uint8_t *b,
                              size_t n)
{
    /* dec_domain_get has expired what waited too long */
    if (n == 0 || cost(n) > DEC_PENDING_BYTES) return NULL;
    while (dom->npending && (dom->npending == DEC_PENDING_SETS ||
                             dom->pending_bytes + cost(n) > DEC_PENDING_BYTES))
        remove_first(c->d, c->e, dom, 1);                   /* the oldest go first */
    if (c->d->pending_bytes + cost(n) > DEC_PENDING_TOTAL) return NULL;
    if (dom->npending == dom->cap_pending) {
        uint32_t cap = dom->cap_pending ? 2 * dom->cap_pending : 4;
        dec_pending *grown = realloc(dom->pending, cap * sizeof *grown);
        if (!grown) return NULL;
        dom->pending = grown;
        dom->cap_pending = cap;
    }
    /* the fixed-length record loads reach DEC_LOOKBEHIND bytes before a
     * field, as they may inside a datagram: room for them before the set */
    uint8_t *copy = calloc(1, DEC_LOOKBEHIND + n);
    if (!copy) return NULL;
    memcpy(copy + DEC_LOOKBEHIND, b, n);
    dec_pending *p = &dom->pending[dom->npending++];
    *p = (dec_pending){.bytes = copy, .len = (uint32_t)n, .id = id, .est = 1,
                       .has_uptime = c->has_uptime, .uptime = c->uptime,
                       .export_ms = c->export_ms, .recv_ms = c->now_ms,
                       .dgram = c->d->dgrams};
    dom->pending_bytes += (uint32_t)cost(n);
    c->d->pending_bytes += cost(n);
    return p;
}

/* Decode p with t as the datagram that brought it would have, leaving the
 * current datagram's context (times, sequence counts, fault) as it was: a
 * fault in a held set (a record overrunning it) ends its records there,
 * like any set's, but the datagram that brought it was counted long ago. */
static void replay_one(dec_ctx *c, dec_domain *dom, const dec_template *t, const dec_pending *p)
{
    dec_ctx saved = *c;
    c->export_ms = p->export_ms;
    c->uptime = p->uptime;
    c->has_uptime = p->has_uptime;
    c->failed = 0;
    c2_err scratch;
    c->err = &scratch;
    dec_data_set(c, dom, t, p->bytes + DEC_LOOKBEHIND, p->len);
    *c = saved;
}

void dec_pending_replay(dec_ctx *c, dec_domain *dom, const dec_template *t)
{
    uint32_t kept = 0;
    for (uint32_t i = 0; i < dom->npending; i++) {
        dec_pending *p = &dom->pending[i];
        if (p->id != t->id) {
            dom->pending[kept++] = *p;
            continue;
        }
        replay_one(c, dom, t, p);
        forget(c->d, dom, p);
    }
    dom->npending = kept;
}

dec_pending *dec_pending_of_datagram(dec_ctx *c, dec_domain *dom)
{
    dec_pending *found = NULL;
    for (uint32_t i = 0; i < dom->npending; i++) {
        if (dom->pending[i].dgram != c->d->dgrams) continue;
        if (found) return NULL;
        found = &dom->pending[i];
    }
    return found;
}

void dec_pending_drop_all(decoder *d, dec_exporter *e, dec_domain *dom)
{
    if (!dom->npending) return;
    drop_range(e, d, dom, 0, dom->npending);
    dom->npending = 0;
}

void dec_pending_drop_id(decoder *d, dec_exporter *e, dec_domain *dom, uint16_t id)
{
    uint32_t kept = 0;
    for (uint32_t i = 0; i < dom->npending; i++) {
        if (dom->pending[i].id != id) {
            dom->pending[kept++] = dom->pending[i];
            continue;
        }
        drop_range(e, d, dom, i, i + 1);
    }
    dom->npending = kept;
}

void decoder_drop_pending(decoder *d)
{
    for (uint32_t i = 0; i < d->nex; i++) {
        dec_exporter *e = d->ex[i];
        for (uint32_t j = 0; e && j < e->ndomains; j++)
            dec_pending_drop_all(d, e, e->domains[j]);
    }
}
