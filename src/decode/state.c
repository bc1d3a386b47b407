/*
 * state.c: decoder_save / decoder_load: the templates, options templates
 * and announced sampling of every (exporter, domain), so that a restarted
 * collector decodes data that arrive before the next template refresh.
 * Counters and sequence numbers are not kept.
 *
 * Format, version 1.  Integers little-endian; the body is covered by a
 * CRC-32 (zlib polynomial, c2_crc32) in the header.
 *
 *   header, 16 bytes
 *     0  magic "C2DS" (4)       4  version = 1 (2)    6  flags = 0 (2)
 *     8  body length N (4)     12  CRC-32 of the body (4)
 *   body, N bytes
 *     exporters (4), then per exporter:
 *       address (16, IPv6 or IPv4-mapped) | domains (4), then per domain:
 *         protocol (1: 2 = NetFlow v9, 3 = IPFIX, as decode_proto)
 *         flags (1: bit 0 = the domain-wide interval is set,
 *                   bit 1 = systemInitTimeMilliseconds [160] is set)
 *         reserved (2) = 0 | domain id (4) | interval (4; 0 unless bit 0)
 *         system init time, ms since epoch (8, signed; 0 unless bit 1)
 *         samplers (2) | reserved (2) = 0, then per sampler:
 *           sampler / selector id [48, 302] (8) | interval (4, >= 1)
 *         templates (4), then per template (by ascending id):
 *           template id (2, >= 256) | options template (1: 0 or 1) |
 *           reserved (1) = 0 | fields (2, 1..512) | scope fields (2),
 *           then per field, as received:
 *             element id (2; IPFIX: without the enterprise bit) | length (2)
 *             | enterprise number (4; 0 = IANA, always 0 for NetFlow v9,
 *             whose types of 32768 and up are vendor types as they are)
 *
 * Only domains with something to keep are written, and only exporters
 * with such domains.  Exporters come in the decoder's order, domains in
 * the exporter's, samplers in announcement order, templates by id, so
 * saving what was just loaded gives the same bytes.
 *
 * Loading treats the bytes as untrusted: every count is checked against
 * the bytes left and against the decoder's bounds, reserved bytes must be
 * zero, ids unique, each template must compile as if it had arrived from
 * the exporter, and the body must be used exactly.  Loading adds to what
 * the decoder knows (a template of the same (exporter, domain, id) is
 * replaced) and is all or nothing: everything is parsed, checked and
 * allocated before the decoder is touched, so a damaged state, a state
 * that does not fit the decoder's bounds, or a lack of memory leaves it as
 * it was.
 */
#include "decode/decode_impl.h"

#include <stdlib.h>
#include <string.h>

#define STATE_MAGIC   "C2DS"
#define STATE_VERSION 1
#define STATE_HEADER  16
#define FLAG_INTERVAL 1
#define FLAG_SYS_INIT 2

/* ---- saving ---- */

/* Does dom hold anything worth saving? */
static int dom_saved(const dec_domain *dom)
{
    return (dom->proto == DECODE_NETFLOW_V9 || dom->proto == DECODE_IPFIX) &&
           (dom->tmpl.n || dom->interval || dom->nsamplers || dom->has_sys_init);
}

static int exporter_saved(const dec_exporter *e)
{
    for (uint32_t i = 0; i < e->ndomains; i++)
        if (dom_saved(e->domains[i])) return 1;
    return 0;
}

static int tmpl_cmp(const void *a, const void *b)
{
    const dec_template *x = *(dec_template *const *)a, *y = *(dec_template *const *)b;
    return (x->id > y->id) - (x->id < y->id);
}

typedef struct wbuf {
    uint8_t *p;                     /* NULL: only count */
    size_t   n;
} wbuf;

static void w8(wbuf *w, uint8_t v) { if (w->p) w->p[w->n] = v; w->n += 1; }
static void w16(wbuf *w, uint16_t v) { if (w->p) c2_put16(w->p + w->n, v); w->n += 2; }
static void w32(wbuf *w, uint32_t v) { if (w->p) c2_put32(w->p + w->n, v); w->n += 4; }
static void w64(wbuf *w, uint64_t v) { if (w->p) c2_put64(w->p + w->n, v); w->n += 8; }

static void write_template(wbuf *w, const dec_template *t)
{
    w16(w, t->id);
    w8(w, t->options);
    w8(w, 0);
    w16(w, t->nfields);
    w16(w, t->nscope);
    for (uint16_t i = 0; i < t->nfields; i++) {
        w16(w, t->fields[i].id);
        w16(w, t->fields[i].len);
        w32(w, t->fields[i].pen);
    }
}

/* One domain; `sorted` has room for its templates. */
static void write_domain(wbuf *w, const dec_domain *dom, dec_template **sorted)
{
    w8(w, dom->proto);
    w8(w, (uint8_t)((dom->interval ? FLAG_INTERVAL : 0) | (dom->has_sys_init ? FLAG_SYS_INIT : 0)));
    w16(w, 0);
    w32(w, dom->id);
    w32(w, dom->interval);
    w64(w, dom->has_sys_init ? (uint64_t)dom->sys_init_ms : 0);
    w16(w, dom->nsamplers);
    w16(w, 0);
    for (uint16_t i = 0; i < dom->nsamplers; i++) {
        w64(w, dom->samplers[i].id);
        w32(w, dom->samplers[i].interval);
    }
    uint32_t n = 0;
    for (uint32_t i = 0; i < dom->tmpl.cap; i++)
        if (dom->tmpl.slot[i]) sorted[n++] = dom->tmpl.slot[i];
    qsort(sorted, n, sizeof *sorted, tmpl_cmp);
    w32(w, n);
    for (uint32_t i = 0; i < n; i++) write_template(w, sorted[i]);
}

static void write_body(wbuf *w, const decoder *d, dec_template **sorted)
{
    uint32_t n = 0;
    for (uint32_t i = 0; i < d->nex; i++) n += (uint32_t)exporter_saved(d->ex[i]);
    w32(w, n);
    for (uint32_t i = 0; i < d->nex; i++) {
        const dec_exporter *e = d->ex[i];
        if (!exporter_saved(e)) continue;
        if (w->p) memcpy(w->p + w->n, e->pub.addr.b, 16);
        w->n += 16;
        uint32_t nd = 0;
        for (uint32_t k = 0; k < e->ndomains; k++) nd += (uint32_t)dom_saved(e->domains[k]);
        w32(w, nd);
        for (uint32_t k = 0; k < e->ndomains; k++)
            if (dom_saved(e->domains[k])) write_domain(w, e->domains[k], sorted);
    }
}

int decoder_save(const decoder *d, uint8_t **buf, size_t *len, c2_err *err)
{
    *buf = NULL;
    *len = 0;
    uint32_t most = 1;                      /* templates of the largest domain */
    for (uint32_t i = 0; i < d->nex; i++)
        for (uint32_t k = 0; k < d->ex[i]->ndomains; k++)
            if (d->ex[i]->domains[k]->tmpl.n > most) most = d->ex[i]->domains[k]->tmpl.n;
    dec_template **sorted = malloc(most * sizeof *sorted);
    wbuf w = {NULL, 0};
    if (!sorted) return c2_fail(err, "decode: saving state: out of memory");
    write_body(&w, d, sorted);
    if (w.n > UINT32_MAX) {
        free(sorted);
        return c2_fail(err, "decode: saving state: %zu bytes is too large", w.n);
    }
    uint8_t *out = malloc(STATE_HEADER + w.n);
    if (!out) {
        free(sorted);
        return c2_fail(err, "decode: saving state: out of memory");
    }
    wbuf body = {out + STATE_HEADER, 0};
    write_body(&body, d, sorted);
    free(sorted);
    memcpy(out, STATE_MAGIC, 4);
    c2_put16(out + 4, STATE_VERSION);
    c2_put16(out + 6, 0);
    c2_put32(out + 8, (uint32_t)body.n);
    c2_put32(out + 12, c2_crc32(0, out + STATE_HEADER, body.n));
    *buf = out;
    *len = STATE_HEADER + body.n;
    d->gen->saved = d->gen->changes;
    return 0;
}

/* ---- loading: parse and check into a staging tree ---- */

typedef struct ld_domain {
    uint8_t        proto, flags;
    uint32_t       id, interval;
    int64_t        sys_init;
    uint16_t       nsamplers;
    dec_sampler   *samplers;        /* nsamplers */
    uint32_t       ntmpl;
    dec_template **tmpl;            /* compiled, owned until committed */
    dec_domain    *target;          /* existing domain, or a new one (fresh = 1) */
    int            fresh;
} ld_domain;

typedef struct ld_exporter {
    flow_addr     addr;
    uint32_t      ndom;
    ld_domain    *dom;
    dec_exporter *target;           /* existing exporter, or a new one (fresh = 1) */
    int           fresh;
} ld_exporter;

typedef struct rbuf {
    const uint8_t *p;
    size_t         n, at;
    c2_err        *err;
    int            failed;
} rbuf;

static int bad(rbuf *r, const char *what)
{
    if (!r->failed) c2_fail(r->err, "decode: state: %s at byte %zu", what, STATE_HEADER + r->at);
    r->failed = 1;
    return -1;
}

/* Take n bytes; NULL (and the fault noted) when fewer are left. */
static const uint8_t *take(rbuf *r, size_t n)
{
    if (r->failed) return NULL;
    if (r->n - r->at < n) { bad(r, "truncated"); return NULL; }
    const uint8_t *p = r->p + r->at;
    r->at += n;
    return p;
}

static int r8(rbuf *r, uint8_t *v)   { const uint8_t *p = take(r, 1); if (!p) return -1; *v = *p; return 0; }
static int r16(rbuf *r, uint16_t *v) { const uint8_t *p = take(r, 2); if (!p) return -1; *v = c2_get16(p); return 0; }
static int r32(rbuf *r, uint32_t *v) { const uint8_t *p = take(r, 4); if (!p) return -1; *v = c2_get32(p); return 0; }
static int r64(rbuf *r, uint64_t *v) { const uint8_t *p = take(r, 8); if (!p) return -1; *v = c2_get64(p); return 0; }

static void free_staging(ld_exporter *le, uint32_t n)
{
    for (uint32_t i = 0; le && i < n; i++) {
        for (uint32_t k = 0; le[i].dom && k < le[i].ndom; k++) {
            ld_domain *ld = &le[i].dom[k];
            for (uint32_t t = 0; ld->tmpl && t < ld->ntmpl; t++) free(ld->tmpl[t]);
            free(ld->tmpl);
            free(ld->samplers);
            if (ld->fresh) dec_domain_free(ld->target);
        }
        free(le[i].dom);
        if (le[i].fresh) {
            free(le[i].target->domains);
            free(le[i].target);
        }
    }
    free(le);
}

static dec_template *read_template(rbuf *r, const ld_exporter *le, const ld_domain *ld,
                                   dec_field *f)
{
    uint16_t id, nf, nscope;
    uint8_t options, reserved;
    if (r16(r, &id) || r8(r, &options) || r8(r, &reserved) || r16(r, &nf) || r16(r, &nscope))
        return NULL;
    if (id < 256 || options > 1 || reserved) { bad(r, "bad template header"); return NULL; }
    if (nf == 0 || nf > DEC_MAX_FIELDS || nscope > nf ||
        (ld->proto == DECODE_IPFIX && options && nscope == 0) || (!options && nscope)) {
        bad(r, "bad template field counts");
        return NULL;
    }
    if ((r->n - r->at) / 8 < nf) { bad(r, "truncated"); return NULL; }
    for (uint16_t i = 0; i < nf; i++) {
        r16(r, &f[i].id);
        r16(r, &f[i].len);
        r32(r, &f[i].pen);
        if (ld->proto == DECODE_IPFIX ? (f[i].id & 0x8000) != 0 : f[i].pen != 0) {
            bad(r, "bad field specifier");
            return NULL;
        }
    }
    const char *why = "";
    dec_template *t = dec_template_compile((decode_proto)ld->proto, id, options, f, nf,
                                           nscope, &le->addr, ld->id, &why);
    if (!t) bad(r, why);
    return t;
}

static int read_samplers(rbuf *r, ld_domain *ld)
{
    uint16_t reserved;
    if (r16(r, &ld->nsamplers) || r16(r, &reserved)) return -1;
    if (ld->nsamplers > DEC_MAX_SAMPLERS || reserved) return bad(r, "bad sampler count");
    if ((r->n - r->at) / 12 < ld->nsamplers) return bad(r, "truncated");
    ld->samplers = malloc((ld->nsamplers ? ld->nsamplers : 1) * sizeof *ld->samplers);
    if (!ld->samplers) return bad(r, "out of memory");
    for (uint16_t i = 0; i < ld->nsamplers; i++) {
        if (r64(r, &ld->samplers[i].id) || r32(r, &ld->samplers[i].interval)) return -1;
        if (!ld->samplers[i].interval) return bad(r, "sampler interval 0");
        for (uint16_t k = 0; k < i; k++)
            if (ld->samplers[k].id == ld->samplers[i].id) return bad(r, "duplicate sampler");
    }
    return 0;
}

static int read_domain(rbuf *r, const decoder *d, const ld_exporter *le, ld_domain *ld)
{
    uint16_t reserved;
    uint64_t init;
    if (r8(r, &ld->proto) || r8(r, &ld->flags) || r16(r, &reserved) || r32(r, &ld->id) ||
        r32(r, &ld->interval) || r64(r, &init))
        return -1;
    ld->sys_init = (int64_t)init;
    if (ld->proto != DECODE_NETFLOW_V9 && ld->proto != DECODE_IPFIX) return bad(r, "bad protocol");
    if (ld->flags > (FLAG_INTERVAL | FLAG_SYS_INIT) || reserved ||
        !(ld->flags & FLAG_INTERVAL) != !ld->interval ||
        (!(ld->flags & FLAG_SYS_INIT) && init))
        return bad(r, "bad domain header");
    if (read_samplers(r, ld) || r32(r, &ld->ntmpl)) return -1;
    if (ld->ntmpl > d->opt.max_templates || ld->ntmpl > 65536 ||
        (r->n - r->at) / 8 < ld->ntmpl)
        return bad(r, "bad template count");
    ld->tmpl = calloc(ld->ntmpl ? ld->ntmpl : 1, sizeof *ld->tmpl);
    if (!ld->tmpl) return bad(r, "out of memory");
    for (uint32_t i = 0; i < ld->ntmpl; i++) {
        if (!(ld->tmpl[i] = read_template(r, le, ld, d->fields))) return -1;
        if (i && ld->tmpl[i]->id <= ld->tmpl[i - 1]->id) return bad(r, "templates out of order");
    }
    return 0;
}

static int read_exporter(rbuf *r, const decoder *d, ld_exporter *le, const ld_exporter *prev,
                         uint32_t nprev)
{
    const uint8_t *a = take(r, 16);
    if (!a || r32(r, &le->ndom)) return -1;
    memcpy(le->addr.b, a, 16);
    for (uint32_t i = 0; i < nprev; i++)
        if (!memcmp(prev[i].addr.b, a, 16)) return bad(r, "duplicate exporter");
    if (le->ndom > DEC_MAX_DOMAINS || (r->n - r->at) / 28 < le->ndom)
        return bad(r, "bad domain count");
    le->dom = calloc(le->ndom ? le->ndom : 1, sizeof *le->dom);
    if (!le->dom) return bad(r, "out of memory");
    for (uint32_t k = 0; k < le->ndom; k++) {
        if (read_domain(r, d, le, &le->dom[k])) return -1;
        for (uint32_t j = 0; j < k; j++)
            if (le->dom[j].id == le->dom[k].id && le->dom[j].proto == le->dom[k].proto)
                return bad(r, "duplicate domain");
    }
    return 0;
}

static int read_header(rbuf *r, const uint8_t *buf, size_t len)
{
    if (len < STATE_HEADER || memcmp(buf, STATE_MAGIC, 4))
        return c2_fail(r->err, "decode: state: not a decoder state");
    if (c2_get16(buf + 4) != STATE_VERSION || c2_get16(buf + 6) != 0)
        return c2_fail(r->err, "decode: state: version %u.%u not supported",
                       c2_get16(buf + 4), c2_get16(buf + 6));
    if (c2_get32(buf + 8) != len - STATE_HEADER)
        return c2_fail(r->err, "decode: state: %zu bytes but the header says %u",
                       len, c2_get32(buf + 8) + STATE_HEADER);
#ifndef FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION
    if (c2_get32(buf + 12) != c2_crc32(0, buf + STATE_HEADER, len - STATE_HEADER))
        return c2_fail(r->err, "decode: state: checksum mismatch");
#endif
    return 0;
}

static ld_exporter *parse_state(const decoder *d, const uint8_t *buf, size_t len,
                                uint32_t *nexp, c2_err *err)
{
    rbuf r = {buf + STATE_HEADER, len - STATE_HEADER, 0, err, 0};
    uint32_t n;
    if (r32(&r, &n)) return NULL;
    if (n > d->opt.max_exporters || (r.n - r.at) / 20 < n) {
        bad(&r, "bad exporter count");
        return NULL;
    }
    ld_exporter *le = calloc(n ? n : 1, sizeof *le);
    if (!le) { bad(&r, "out of memory"); return NULL; }
    *nexp = n;
    for (uint32_t i = 0; i < n; i++)
        if (read_exporter(&r, d, &le[i], le, i)) break;
    if (!r.failed && r.at != r.n) bad(&r, "trailing bytes");
    if (r.failed) {
        free_staging(le, n);
        return NULL;
    }
    return le;
}

/* ---- loading: fit, reserve, commit ---- */

/* Would the staged state fit the decoder's bounds once merged? */
static int check_fit(decoder *d, ld_exporter *le, uint32_t n, c2_err *err)
{
    uint32_t fresh = 0;
    for (uint32_t i = 0; i < n; i++) {
        dec_exporter *e = dec_exporter_get(d, &le[i].addr, 0);
        uint32_t ndom = e ? e->ndomains : 0, ntmpl = e ? e->ntemplates : 0;
        size_t bytes = e ? e->tmpl_bytes : 0;
        fresh += !e;
        for (uint32_t k = 0; k < le[i].ndom; k++) {
            ld_domain *ld = &le[i].dom[k];
            dec_domain *dom = e ? dec_domain_find(e, (decode_proto)ld->proto, ld->id) : NULL;
            ndom += !dom;
            uint32_t nsamp = dom ? dom->nsamplers : 0;
            for (uint16_t s = 0; s < ld->nsamplers; s++)
                nsamp += !(dom && dec_sampler_find(dom, ld->samplers[s].id));
            if (nsamp > DEC_MAX_SAMPLERS)
                return c2_fail(err, "decode: state: more than %d samplers in a domain", DEC_MAX_SAMPLERS);
            for (uint32_t t = 0; t < ld->ntmpl; t++) {
                dec_template *old = dom ? dec_tmpl_find(&dom->tmpl, ld->tmpl[t]->id) : NULL;
                ntmpl += !old;
                bytes += ld->tmpl[t]->size - (old ? old->size : 0);
            }
        }
        if (ndom > DEC_MAX_DOMAINS || ntmpl > d->opt.max_templates || bytes > DEC_TEMPLATE_BUDGET)
            return c2_fail(err, "decode: state: more domains or templates than the bounds allow");
    }
    if (fresh > d->opt.max_exporters - d->nex)
        return c2_fail(err, "decode: state: more than %u exporters", d->opt.max_exporters);
    return 0;
}

/* Allocate everything the commit needs; -1 when out of memory (the
 * decoder keeps its meaning: only capacities grew). */
static int reserve(decoder *d, ld_exporter *le, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++) {
        dec_exporter *e = dec_exporter_get(d, &le[i].addr, 0);
        if (!e) {
            if (!(e = calloc(1, sizeof *e))) return -1;
            e->pub.addr = le[i].addr;
            le[i].target = e;
            le[i].fresh = 1;
        }
        le[i].target = e;
        uint32_t want = e->ndomains + le[i].ndom;
        if (want > e->cap_domains) {
            dec_domain **nd = realloc(e->domains, want * sizeof *nd);
            if (!nd) return -1;
            e->domains = nd;
            e->cap_domains = want;
        }
        for (uint32_t k = 0; k < le[i].ndom; k++) {
            ld_domain *ld = &le[i].dom[k];
            dec_domain *dom = le[i].fresh ? NULL : dec_domain_find(e, (decode_proto)ld->proto, ld->id);
            if (!dom) {
                if (!(dom = calloc(1, sizeof *dom))) return -1;
                dom->id = ld->id;
                dom->proto = ld->proto;
                ld->fresh = 1;
            }
            ld->target = dom;
            if (dec_tmpl_reserve(&dom->tmpl, ld->ntmpl) != 0) return -1;
            if (ld->nsamplers && !dom->samplers &&
                !(dom->samplers = malloc(DEC_MAX_SAMPLERS * sizeof *dom->samplers)))
                return -1;
        }
    }
    return 0;
}

static void commit_domain(dec_exporter *e, ld_domain *ld)
{
    dec_domain *dom = ld->target;
    if (ld->fresh) {
        e->domains[e->ndomains++] = dom;
        ld->fresh = 0;
    }
    if (ld->flags & FLAG_INTERVAL) dom->interval = ld->interval;
    if (ld->flags & FLAG_SYS_INIT) {
        dom->has_sys_init = 1;
        dom->sys_init_ms = ld->sys_init;
    }
    for (uint16_t s = 0; s < ld->nsamplers; s++)
        dec_sampler_set(dom, ld->samplers[s].id, ld->samplers[s].interval);
    for (uint32_t t = 0; t < ld->ntmpl; t++) {
        dec_template *old = dec_tmpl_put(&dom->tmpl, ld->tmpl[t]);
        e->ntemplates++;
        e->tmpl_bytes += ld->tmpl[t]->size;
        if (old) {
            e->ntemplates--;
            e->tmpl_bytes -= old->size;
            free(old);
        }
        ld->tmpl[t] = NULL;
    }
}

static void commit(decoder *d, ld_exporter *le, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++) {
        dec_exporter *e = le[i].target;
        if (le[i].fresh) {
            dec_exporter_attach(d, e);
            le[i].fresh = 0;
        }
        for (uint32_t k = 0; k < le[i].ndom; k++) commit_domain(e, &le[i].dom[k]);
    }
}

int decoder_load(decoder *d, const uint8_t *buf, size_t len, c2_err *err)
{
    rbuf hr = {NULL, 0, 0, err, 0};
    if (read_header(&hr, buf, len) != 0) return -1;
    uint32_t n = 0;
    ld_exporter *le = parse_state(d, buf, len, &n, err);
    if (!le) return -1;
    if (check_fit(d, le, n, err) != 0) {
        free_staging(le, n);
        return -1;
    }
    if (reserve(d, le, n) != 0) {
        free_staging(le, n);
        return c2_fail(err, "decode: state: out of memory");
    }
    commit(d, le, n);
    free_staging(le, n);
    d->gen->saved = d->gen->changes;
    return 0;
}
