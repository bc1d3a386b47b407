/*
 * template.c: NetFlow v9 / IPFIX templates: the table that keeps them,
 * compiling each into ops when it arrives, and running the ops over data
 * records (the hot path of the collector).
 *
 * Compiling.  Each field specifier is looked up in the element table
 * below, which says which value of the record it gives (its target) and
 * how good a source it is (its rank: bytes come from octetDeltaCount [1],
 * else postOctetDeltaCount / OUT_BYTES [23], else octetTotalCount [85]).
 * For each target the best-ranked field wins, the first one among equals;
 * every other field is skipped.  A winning integer field (1 to 8 bytes,
 * RFC 7011 reduced-size encoding included) becomes one op
 *
 *     v[target] = c2_get_be64(record + src + width - 8) & (2^(8 * width) - 1)
 *
 * that is, an 8-byte big-endian load that ends with the field's last byte,
 * masked to the field's width; an IPv6 address becomes a 16-byte copy
 * into the record.  Decoding a record of a fixed-length template (all of
 * NetFlow v9, most of IPFIX) is then one loop over uniform ops, without a
 * branch per field (a switch per field, tried first, cost twice the time
 * budget in mispredicted jumps; a shift by the width instead of the mask
 * cost half again, shifts by a register being slow), and the record is
 * assembled from v[] by straight-line code.  The loads may read up to 7
 * bytes before a field, never after it: inside a datagram those bytes are
 * the record's earlier fields or the headers before the set
 * (DEC_LOOKBEHIND).  Templates with a variable-length field [RFC 7011 7]
 * have one op per field, run in order with a cursor, skipped ones too.
 *
 * Assembling and finishing a record, in order: the template's base record
 * (exporter, domain, the ::ffff:0:0/96 prefix of IPv4 addresses); the
 * integer values; of an IPv6 / IPv4 pair, the non-zero one when a template
 * has both; ICMP type and code into dst_port (ICMP_TYPE [32] or
 * icmpTypeCodeIPv6 [139] when non-zero, else icmpType/Code [176-179] when
 * non-zero, else L4_DST_PORT as the exporter put it, else L4_SRC_PORT,
 * where some Cisco exporters put it; src_port 0); times; sampling.  A
 * value wider than its flow_record field keeps its low bits.
 *
 * Times.  Each end of a flow takes the best representation the template
 * has: milliseconds [152/153], NTP microseconds [154/155], NTP nanoseconds
 * [156/157], seconds [150/151], sysUpTime-relative [22/21], delta
 * microseconds before export [158/159].  An absolute time of 0 counts as
 * absent.  With one end missing, the other end +- flowDuration [161/162]
 * gives it, else the two ends are equal; with both missing, both are the
 * export time.  A start after the end is set to the end.
 *
 * sysUpTime-relative times [22/21]: the time is export time
 * minus (sysUptime - t) modulo 2^32, i.e. the 32-bit ms counter is taken
 * to have wrapped (every 49.7 days) as often as needed to put t at or
 * before the export; except that t up to 100 s after sysUptime is taken as
 * just after the export (the allowance nfdump makes for Cisco bug
 * CSCei12353, records stamped after their header).  nfdump 1.7.1 itself
 * adds larger offsets instead of wrapping, and so stores such flows after
 * the datagram that reported them (docs/collect.md, compared with
 * nfcapd).  For NetFlow v5 / v9 sysUptime comes from the header; for
 * IPFIX from systemInitTimeMilliseconds [160] in the record or in options
 * data (uptime = export - init; an init less
 * than a second after the whole-second export time counts as uptime 0 at
 * the init), and without it such times count as absent.
 *
 * NTP times [RFC 7011 6.1.9, 6.1.10] are seconds since 1900 plus a 2^-32
 * fraction; seconds with the top bit clear are taken as NTP era 1 (after
 * 2036-02-07), as RFC 4330 suggests.
 *
 * Records of data templates that have no address at all are not flows
 * (vendor events, NBAR tables): they count as `other` and are not output.
 */
#include "decode/decode_impl.h"

#include <stdlib.h>
#include <string.h>

/* ---- the element table ---- */

typedef struct elem {
    uint8_t tg;                     /* enum dec_target */
    uint8_t rank;                   /* lower wins */
    uint8_t mode;                   /* time: dec_time_mode; duration: FIN_DUR_* */
} elem;

/* IANA element ids (NetFlow v9 field types 1-127 are the same numbers). */
static elem elem_of(uint16_t id)
{
    switch (id) {
    case 1:   return (elem){DT_BYTES, 0, 0};        /* IN_BYTES / octetDeltaCount */
    case 23:  return (elem){DT_BYTES, 1, 0};        /* OUT_BYTES / postOctetDeltaCount */
    case 85:  return (elem){DT_BYTES, 2, 0};        /* octetTotalCount */
    case 2:   return (elem){DT_PKTS, 0, 0};         /* IN_PKTS / packetDeltaCount */
    case 24:  return (elem){DT_PKTS, 1, 0};         /* OUT_PKTS / postPacketDeltaCount */
    case 86:  return (elem){DT_PKTS, 2, 0};         /* packetTotalCount */
    case 4:   return (elem){DT_PROTO, 0, 0};
    case 5:   return (elem){DT_TOS, 0, 0};
    case 6:   return (elem){DT_FLAGS, 0, 0};
    case 7:   return (elem){DT_SRC_PORT, 0, 0};
    case 11:  return (elem){DT_DST_PORT, 0, 0};
    case 8:   return (elem){DT_SRC4, 0, 0};
    case 12:  return (elem){DT_DST4, 0, 0};
    case 27:  return (elem){DT_SRC6, 0, 0};
    case 28:  return (elem){DT_DST6, 0, 0};
    case 10:  return (elem){DT_IN_IF, 0, 0};
    case 14:  return (elem){DT_OUT_IF, 0, 0};
    case 16:  return (elem){DT_SRC_AS, 0, 0};
    case 17:  return (elem){DT_DST_AS, 0, 0};
    case 152: return (elem){DT_START, 0, TM_MS};
    case 154: return (elem){DT_START, 1, TM_NTP};
    case 156: return (elem){DT_START, 2, TM_NTP};
    case 150: return (elem){DT_START, 3, TM_SEC};
    case 22:  return (elem){DT_START, 4, TM_UPTIME};
    case 158: return (elem){DT_START, 5, TM_DELTA_US};
    case 153: return (elem){DT_END, 0, TM_MS};
    case 155: return (elem){DT_END, 1, TM_NTP};
    case 157: return (elem){DT_END, 2, TM_NTP};
    case 151: return (elem){DT_END, 3, TM_SEC};
    case 21:  return (elem){DT_END, 4, TM_UPTIME};
    case 159: return (elem){DT_END, 5, TM_DELTA_US};
    case 161: return (elem){DT_DUR, 0, FIN_DUR_MS >> 8};
    case 162: return (elem){DT_DUR, 1, FIN_DUR_US >> 8};
    case 160: return (elem){DT_SYS_INIT, 0, 0};
    case 32:  return (elem){DT_ICMP4, 0, 0};        /* ICMP_TYPE / icmpTypeCodeIPv4 */
    case 139: return (elem){DT_ICMP6, 0, 0};        /* icmpTypeCodeIPv6 */
    case 176: return (elem){DT_ICMP_T4, 0, 0};
    case 177: return (elem){DT_ICMP_C4, 0, 0};
    case 178: return (elem){DT_ICMP_T6, 0, 0};
    case 179: return (elem){DT_ICMP_C6, 0, 0};
    case 48:  return (elem){DT_SAMPLER, 0, 0};      /* FLOW_SAMPLER_ID / samplerId */
    case 302: return (elem){DT_SAMPLER, 1, 0};      /* selectorId */
    case 34:  return (elem){DT_INTERVAL, 0, 0};     /* SAMPLING_INTERVAL */
    case 50:  return (elem){DT_RAND, 0, 0};         /* FLOW_SAMPLER_RANDOM_INTERVAL */
    case 305: return (elem){DT_PKT_INT, 0, 0};      /* samplingPacketInterval */
    case 306: return (elem){DT_PKT_SPACE, 0, 0};    /* samplingPacketSpace */
    case 309: return (elem){DT_SAMP_SIZE, 0, 0};    /* samplingSize */
    case 310: return (elem){DT_SAMP_POP, 0, 0};     /* samplingPopulation */
    default:  return (elem){DT_NONE, 0, 0};
    }
}

/* Can a field of length len give target el? */
static int width_ok(const elem *el, uint16_t len)
{
    if (len == DEC_VARLEN) return 1;        /* checked per record */
    switch (el->tg) {
    case DT_SRC4: case DT_DST4: return len == 4;
    case DT_SRC6: case DT_DST6: return len == 16;
    default: return len >= 1 && len <= 8 && (el->mode != TM_NTP || len == 8);
    }
}

static int is_addr16(int tg) { return tg == DT_SRC6 || tg == DT_DST6; }

/* ---- compiling ---- */

typedef struct pick {
    int16_t field;                  /* winning field index, -1 = none */
    uint8_t rank, mode;
} pick;

/* Choose the winning field of each target; 0, or -1 with *why. */
static int pick_fields(decode_proto proto, const dec_field *f, uint16_t nf,
                       uint16_t nscope, pick *pk, uint32_t *len, int *varlen,
                       const char **why)
{
    uint32_t off = 0;
    *varlen = 0;
    for (int i = 0; i < DT_COUNT; i++) pk[i] = (pick){-1, 255, 0};
    for (uint16_t i = 0; i < nf; i++) {
        if (f[i].len == DEC_VARLEN) {
            if (proto != DECODE_IPFIX) { *why = "field length 65535"; return -1; }
            *varlen = 1;
            off += 1;                       /* at least the length byte */
        } else {
            off += f[i].len;
        }
        /* v9 scope fields are scope types (1 = System ...), not elements */
        if (f[i].pen || (proto == DECODE_NETFLOW_V9 && i < nscope)) continue;
        elem el = elem_of(f[i].id);
        if (el.tg == DT_NONE || !width_ok(&el, f[i].len) || el.rank >= pk[el.tg].rank) continue;
        pk[el.tg] = (pick){(int16_t)i, el.rank, el.mode};
    }
    if (off == 0) { *why = "records of zero length"; return -1; }
    if (off > 65535) { *why = "records longer than 65535 bytes"; return -1; }
    *len = off;
    return 0;
}

static uint16_t fin_flags(const pick *pk)
{
    uint16_t fin = 0;
    if (pk[DT_SRC4].field >= 0) fin |= pk[DT_SRC6].field >= 0 ? FIN_DUAL_SRC : FIN_SRC4;
    if (pk[DT_DST4].field >= 0) fin |= pk[DT_DST6].field >= 0 ? FIN_DUAL_DST : FIN_DST4;
    for (int t = DT_ICMP4; t <= DT_ICMP_C6; t++)
        if (pk[t].field >= 0) fin |= FIN_ICMP;
    for (int t = DT_INTERVAL; t <= DT_SAMP_POP; t++)
        if (pk[t].field >= 0) fin |= FIN_REC_SAMPLE;
    if (pk[DT_SAMPLER].field >= 0) fin |= FIN_SAMPLER_ID;
    if (pk[DT_SYS_INIT].field >= 0) fin |= FIN_SYS_INIT;
    if (pk[DT_DUR].field >= 0) fin |= (uint16_t)(pk[DT_DUR].mode << 8);
    return fin;
}

static dec_op make_op(const dec_field *f, uint16_t off, int tg)
{
    uint16_t end = f->len == DEC_VARLEN ? off : (uint16_t)(off + f->len);
    return (dec_op){.src = off, .end = end, .width = f->len, .tg = (uint8_t)tg, .pad = 0};
}

/* The ops: fixed templates integer ops first (by offset), then IPv6 ops;
 * variable-length templates one per field. */
static void make_ops(dec_template *t, const dec_field *f, const int8_t *tg_of)
{
    uint16_t off = 0, k = 0;
    for (int pass = 0; pass < 2; pass++) {
        off = 0;
        for (uint16_t i = 0; i < t->nfields; i++) {
            int tg = tg_of[i];
            int want = t->varlen ? pass == 0
                                 : tg != DT_NONE && is_addr16(tg) == (pass == 1);
            if (want) t->ops[k++] = make_op(&f[i], off, tg);
            off = (uint16_t)(off + (f[i].len == DEC_VARLEN ? 0 : f[i].len));
        }
        /* integer ops run 4 at a time: fill up with ops that read nothing
         * (width 0) into v[DT_NONE], which nothing reads */
        while (pass == 0 && !t->varlen && k % 4) t->ops[k++] = (dec_op){0, 0, 0, DT_NONE, 0};
        if (pass == 0) t->nint = k;
    }
    t->n16 = (uint16_t)(k - t->nint);
    t->nops = k;
    if (t->varlen) t->nint = t->n16 = 0;
}

static void make_base(dec_template *t, const flow_addr *exporter, uint32_t domain)
{
    static const uint8_t v4[12] = {[10] = 0xff, [11] = 0xff};
    memset(&t->base, 0, sizeof t->base);
    t->base.exporter = *exporter;
    t->base.domain = domain;
    if (t->fin & FIN_SRC4) memcpy(t->base.src_addr.b, v4, 12);
    if (t->fin & FIN_DST4) memcpy(t->base.dst_addr.b, v4, 12);
}

dec_template *dec_template_compile(decode_proto proto, uint16_t id, int options,
                                   const dec_field *f, uint16_t nf, uint16_t nscope,
                                   const flow_addr *exporter, uint32_t domain,
                                   const char **why)
{
    pick pk[DT_COUNT];
    uint32_t len;
    int varlen;
    if (nf == 0 || nf > DEC_MAX_FIELDS) { *why = "bad field count"; return NULL; }
    if (nscope > nf) { *why = "more scope fields than fields"; return NULL; }
    if (pick_fields(proto, f, nf, nscope, pk, &len, &varlen, why) != 0) return NULL;

    int8_t tg_of[DEC_MAX_FIELDS];           /* the target each field wins, by index */
    memset(tg_of, DT_NONE, sizeof tg_of[0] * nf);
    uint16_t nops = 3;                      /* room to round integer ops up to 4 */
    for (int t = 1; t < DT_COUNT; t++)
        if (pk[t].field >= 0) { tg_of[pk[t].field] = (int8_t)t; nops++; }
    if (varlen) nops = nf;

    size_t fields_at = (sizeof(dec_template) + nops * sizeof(dec_op) + 7) & ~(size_t)7;
    size_t size = fields_at + nf * sizeof(dec_field);
    dec_template *t = malloc(size);
    if (!t) { *why = "out of memory"; return NULL; }
    memset(t, 0, sizeof *t);
    t->id = id;
    t->proto = (uint8_t)proto;
    t->options = options != 0;
    t->varlen = (uint8_t)varlen;
    t->nfields = nf;
    t->nscope = nscope;
    t->nops = nops;
    t->rec_len = len;
    t->size = size;
    t->fin = fin_flags(pk);
    t->tm_start = pk[DT_START].field >= 0 ? pk[DT_START].mode : TM_NONE;
    t->tm_end = pk[DT_END].field >= 0 ? pk[DT_END].mode : TM_NONE;
    int addr = 0;
    for (int g = DT_SRC4; g <= DT_DST6; g++) addr |= pk[g].field >= 0;
    t->noflow = !options && !addr;          /* no address: describes no flow */
    t->fields = (dec_field *)((char *)t + fields_at);
    memcpy(t->fields, f, nf * sizeof *f);
    make_ops(t, f, tg_of);
    make_base(t, exporter, domain);
    return t;
}

int dec_template_same(const dec_template *t, int options, const dec_field *f,
                      uint16_t nf, uint16_t nscope)
{
    return t->options == (options != 0) && t->nfields == nf && t->nscope == nscope &&
           !memcmp(t->fields, f, nf * sizeof *f);
}

/* ---- the table of a domain's templates ---- */

static uint32_t tmpl_slot(const dec_tmpl_table *tt, uint16_t id)
{
    return (((uint32_t)id * 2654435761u) >> 12) & (tt->cap - 1);
}

dec_template *dec_tmpl_find(const dec_tmpl_table *tt, uint16_t id)
{
    if (!tt->cap) return NULL;
    for (uint32_t i = tmpl_slot(tt, id);; i = (i + 1) & (tt->cap - 1)) {
        dec_template *t = tt->slot[i];
        if (!t || t->id == id) return t;
    }
}

int dec_tmpl_reserve(dec_tmpl_table *tt, uint32_t more)
{
    if ((tt->n + more) * 2 <= tt->cap) return 0;
    uint32_t cap = tt->cap ? tt->cap : 8;
    while ((tt->n + more) * 2 > cap) cap *= 2;
    dec_template **ns = calloc(cap, sizeof *ns);
    if (!ns) return -1;
    dec_tmpl_table nt = {ns, cap, 0};
    for (uint32_t i = 0; i < tt->cap; i++)
        if (tt->slot[i]) dec_tmpl_put(&nt, tt->slot[i]);
    free(tt->slot);
    *tt = nt;
    return 0;
}

/* Insert t (room reserved); returns the template it replaces, or NULL. */
dec_template *dec_tmpl_put(dec_tmpl_table *tt, dec_template *t)
{
    uint32_t i = tmpl_slot(tt, t->id);
    for (; tt->slot[i]; i = (i + 1) & (tt->cap - 1))
        if (tt->slot[i]->id == t->id) {
            dec_template *old = tt->slot[i];
            tt->slot[i] = t;
            return old;
        }
    tt->slot[i] = t;
    tt->n++;
    return NULL;
}

/* Remove slot i, shifting later entries of its cluster back. */
static dec_template *remove_at(dec_tmpl_table *tt, uint32_t i)
{
    uint32_t mask = tt->cap - 1;
    dec_template *gone = tt->slot[i];
    tt->slot[i] = NULL;
    tt->n--;
    for (uint32_t j = (i + 1) & mask; tt->slot[j]; j = (j + 1) & mask) {
        uint32_t home = tmpl_slot(tt, tt->slot[j]->id);
        /* move j into the hole unless its home lies cyclically in (i, j] */
        if (((j - home) & mask) >= ((j - i) & mask)) {
            tt->slot[i] = tt->slot[j];
            tt->slot[j] = NULL;
            i = j;
        }
    }
    return gone;
}

dec_template *dec_tmpl_remove(dec_tmpl_table *tt, uint16_t id)
{
    if (!tt->cap) return NULL;
    for (uint32_t i = tmpl_slot(tt, id); tt->slot[i]; i = (i + 1) & (tt->cap - 1))
        if (tt->slot[i]->id == id) return remove_at(tt, i);
    return NULL;
}

void dec_tmpl_clear(dec_tmpl_table *tt)
{
    for (uint32_t i = 0; i < tt->cap; i++) {
        free(tt->slot[i]);
        tt->slot[i] = NULL;
    }
    tt->n = 0;
}

/* ---- template records arriving ---- */

static void drop_template(dec_exporter *e, dec_template *t)
{
    e->ntemplates--;
    e->tmpl_bytes -= t->size;
    free(t);
}

int dec_template_add(dec_ctx *c, dec_domain *dom, uint16_t id, int options,
                     const dec_field *f, uint16_t nf, uint16_t nscope)
{
    dec_exporter *e = c->e;
    e->pub.c.templates++;
    dec_template *old = dec_tmpl_find(&dom->tmpl, id);
    if (old && dec_template_same(old, options, f, nf, nscope)) return 0;   /* refresh */
    const char *why = "";
    dec_template *t = dec_template_compile(c->proto, id, options, f, nf, nscope, &e->pub.addr,
                                           dom->id, &why);
    if (!t) {
        /* the id now means something unusable: the old meaning is gone */
        if (old) {
            drop_template(e, dec_tmpl_remove(&dom->tmpl, id));
            dec_changed(c->d);
        }
        return dec_fail(c, "template %u: %s", id, why);
    }
    if (!old && e->ntemplates >= c->d->opt.max_templates) {
        free(t);
        return dec_fail(c, "more than %u templates; template %u dropped",
                        c->d->opt.max_templates, id);
    }
    if (e->tmpl_bytes - (old ? old->size : 0) + t->size > DEC_TEMPLATE_BUDGET ||
        dec_tmpl_reserve(&dom->tmpl, 1) != 0) {
        free(t);
        return dec_fail(c, "template memory exhausted; template %u dropped", id);
    }
    dec_template *rep = dec_tmpl_put(&dom->tmpl, t);
    e->ntemplates++;
    e->tmpl_bytes += t->size;
    if (rep) drop_template(e, rep);
    dec_changed(c->d);
    if (dom->npending) dec_pending_replay(c, dom, t);
    return 0;
}

/* A withdrawal also ends the wait of data for the ids it withdraws: the
 * exporter may give them another meaning. */
void dec_template_withdraw(dec_ctx *c, dec_domain *dom, uint16_t id)
{
    c->e->pub.c.withdrawals++;
    if (dom->npending) dec_pending_drop_id(c->d, c->e, dom, id);
    dec_template *t = dec_tmpl_remove(&dom->tmpl, id);
    if (!t) return;
    drop_template(c->e, t);
    dec_changed(c->d);
}

void dec_template_withdraw_all(dec_ctx *c, dec_domain *dom, int options)
{
    c->e->pub.c.withdrawals++;
    dec_pending_drop_all(c->d, c->e, dom);
    dec_tmpl_table *tt = &dom->tmpl;
    /* removing shifts later entries back into slot i: look at i again */
    for (uint32_t i = 0; i < tt->cap;) {
        if (tt->slot[i] && tt->slot[i]->options == (options != 0)) {
            drop_template(c->e, remove_at(tt, i));
            dec_changed(c->d);
        } else {
            i++;
        }
    }
}

/* ---- running the ops ---- */

static const uint64_t width_mask[9] = {
    0, 0xff, 0xffff, 0xffffff, 0xffffffff, 0xffffffffffull, 0xffffffffffffull,
    0xffffffffffffffull, ~0ull,
};

/* The integer ops and IPv6 copies of a fixed template over the record at
 * p, which has DEC_LOOKBEHIND readable bytes before it. */
static inline void run_fixed(const dec_template *t, const uint8_t *p, flow_record *r,
                             uint64_t *v)
{
    const dec_op *op = t->ops, *end = op + t->nint;
    const uint8_t *base = p - 8;
    for (; op < end; op += 4) {             /* nint is a multiple of 4 */
        v[op[0].tg] = c2_get_be64(base + op[0].end) & width_mask[op[0].width];
        v[op[1].tg] = c2_get_be64(base + op[1].end) & width_mask[op[1].width];
        v[op[2].tg] = c2_get_be64(base + op[2].end) & width_mask[op[2].width];
        v[op[3].tg] = c2_get_be64(base + op[3].end) & width_mask[op[3].width];
    }
    for (end += t->n16; op < end; op++)
        memcpy(op->tg == DT_SRC6 ? r->src_addr.b : r->dst_addr.b, p + op->src, 16);
}

/* One field of a variable-length template, w bytes at s. */
static void run_field(const dec_op *op, const uint8_t *s, size_t w, flow_record *r,
                      uint64_t *v)
{
    if (op->tg == DT_NONE) return;
    if (is_addr16(op->tg)) {
        uint8_t *d = op->tg == DT_SRC6 ? r->src_addr.b : r->dst_addr.b;
        if (w == 16) memcpy(d, s, 16);
        else memset(d, 0, 16);
    } else if ((op->tg == DT_SRC4 || op->tg == DT_DST4) && w != 4) {
        v[op->tg] = 0;
    } else {
        v[op->tg] = w >= 1 && w <= 8 ? be_uint(s, (unsigned)w) : 0;
    }
}

/* The ops of a variable-length template over the record at p (n bytes
 * left), in field order; bytes used, or 0 when the record does not fit. */
static size_t run_var(const dec_template *t, const uint8_t *p, size_t n, flow_record *r,
                      uint64_t *v)
{
    size_t q = 0;
    for (uint16_t i = 0; i < t->nops; i++) {
        const dec_op *op = &t->ops[i];
        size_t w = op->width;
        if (w == DEC_VARLEN) {
            if (q >= n) return 0;
            w = p[q++];
            if (w == 255) {
                if (n - q < 2) return 0;
                w = c2_get_be16(p + q);
                q += 2;
            }
        }
        if (n - q < w) return 0;
        run_field(op, p + q, w, r, v);
        q += w;
    }
    return q;
}

/* ---- finishing ---- */

/* What finishing needs that is the same for a whole data set. */
typedef struct fin_ctx {
    uint64_t          export_ms;
    uint64_t          up_base;      /* the instant `uptime` was read at */
    uint32_t          uptime;       /* sysUptime at up_base (the export) */
    uint8_t           has_uptime;
    uint8_t           apply;        /* multiply by the interval */
    uint8_t           per_record;   /* records may carry their own interval */
    uint32_t          interval;     /* override, else the domain's; 0 = unknown */
    uint32_t          last;         /* interval applied to the last record */
    uint64_t          unknown;      /* records stored with an unknown interval */
    const dec_domain *dom;
} fin_ctx;

uint64_t dec_uptime_ms(uint64_t export_ms, uint32_t uptime, uint32_t t)
{
    uint32_t ahead = t - uptime;
    if (ahead != 0 && ahead <= DEC_UPTIME_SLACK_MS) return export_ms + ahead;
    return export_ms - (uint32_t)(uptime - t);
}

/* sysUptime from systemInitTimeMilliseconds [160]: the uptime at the
 * export, read at *base.  The IPFIX export time has whole seconds, so an
 * init up to 999 ms after it is the same second (softflowd starts and
 * sends its first message within one): then the uptime is 0 at the init
 * itself.  A later init is nonsense: no uptime (0). */
int dec_uptime_from_init(uint64_t export_ms, uint64_t init, uint32_t *up, uint64_t *base)
{
    if (init > export_ms + 999) return 0;
    *base = init > export_ms ? init : export_ms;
    *up = (uint32_t)(*base - init);
    return 1;
}

static uint64_t ntp_ms(uint64_t v)
{
    uint64_t sec = v >> 32, frac = v & 0xffffffffu;
    if (!(sec & 0x80000000u)) sec += 1ull << 32;    /* NTP era 1 */
    return (sec - 2208988800u) * 1000 + ((frac * 1000) >> 32);
}

/* One end of the flow in ms since epoch, from raw value x; 0 = absent. */
static inline int time_of(uint8_t mode, uint64_t x, const fin_ctx *f, uint32_t up,
                          int has_up, uint64_t base, uint64_t *out)
{
    switch (mode) {
    case TM_UPTIME:
        if (!has_up) return 0;
        *out = dec_uptime_ms(base, up, (uint32_t)x);
        return 1;
    case TM_SEC:      *out = x * 1000; return x != 0;
    case TM_MS:       *out = x; return x != 0;
    case TM_NTP:      *out = ntp_ms(x); return x != 0;
    case TM_DELTA_US: *out = f->export_ms - (x / 1000 + (x % 1000 != 0)); return 1;
    default:          return 0;
    }
}

static inline __attribute__((always_inline)) void finish_times(const fin_ctx *f, const dec_template *t, flow_record *r,
                                const uint64_t *v)
{
    uint64_t s = 0, e = 0, dur = 0;
    uint32_t up = f->uptime;
    uint64_t base = f->up_base;
    int has_up = f->has_uptime;
    if ((t->fin & FIN_SYS_INIT) && v[DT_SYS_INIT])
        has_up = dec_uptime_from_init(f->export_ms, v[DT_SYS_INIT], &up, &base);
    int hs = time_of(t->tm_start, v[DT_START], f, up, has_up, base, &s);
    int he = time_of(t->tm_end, v[DT_END], f, up, has_up, base, &e);
    if (t->fin & FIN_DUR_MS) dur = v[DT_DUR];
    else if (t->fin & FIN_DUR_US) dur = v[DT_DUR] / 1000;
    if (!hs && !he) s = e = f->export_ms;
    else if (!hs) s = e - dur;
    else if (!he) e = s + dur;
    r->start_ms = (int64_t)s;
    r->end_ms = (int64_t)e;
    if (r->start_ms > r->end_ms) r->start_ms = r->end_ms;
}

static void finish_icmp(const dec_template *t, flow_record *r, const uint64_t *v)
{
    uint16_t x = 0;
    if (t->fin & FIN_ICMP) {
        x = (uint16_t)(v[DT_ICMP4] | v[DT_ICMP6]);
        if (!x) x = (uint16_t)((v[DT_ICMP_T4] | v[DT_ICMP_T6]) << 8 |
                               (uint8_t)(v[DT_ICMP_C4] | v[DT_ICMP_C6]));
    }
    if (x) r->dst_port = x;
    else if (!r->dst_port) r->dst_port = r->src_port;
    r->src_port = 0;
}

static inline void put_v4(flow_addr *a, uint64_t v)
{
    uint32_t be = __builtin_bswap32((uint32_t)v);
    memcpy(a->b + 12, &be, 4);
}

/* IPv4 of a dual-family template where the IPv6 address is all zero. */
static void finish_dual(const dec_template *t, flow_record *r, const uint64_t *v)
{
    static const uint8_t zero[16];
    if ((t->fin & FIN_DUAL_SRC) && !memcmp(r->src_addr.b, zero, 16))
        flow_addr_from_v4(&r->src_addr, (uint32_t)v[DT_SRC4]);
    if ((t->fin & FIN_DUAL_DST) && !memcmp(r->dst_addr.b, zero, 16))
        flow_addr_from_v4(&r->dst_addr, (uint32_t)v[DT_DST4]);
}

uint32_t dec_mul_sampling(flow_record *r, uint32_t interval)
{
    if (interval != 1) {
        if (__builtin_mul_overflow(r->packets, (uint64_t)interval, &r->packets)) r->packets = UINT64_MAX;
        if (__builtin_mul_overflow(r->bytes, (uint64_t)interval, &r->bytes)) r->bytes = UINT64_MAX;
    }
    r->sampling = interval;
    return interval;
}

static inline void finish_sampling(fin_ctx *f, const dec_template *t, flow_record *r,
                                   const uint64_t *v)
{
    if (!f->apply) {
        r->sampling = 1;
        return;
    }
    uint32_t iv = f->interval;
    if (f->per_record) {
        uint32_t x = (t->fin & FIN_REC_SAMPLE) ? dec_vals_interval(v) : 0;
        if (!x && (t->fin & FIN_SAMPLER_ID)) x = dec_sampler_find(f->dom, v[DT_SAMPLER]);
        if (x) iv = x;
    }
    if (!iv) {
        iv = 1;
        f->unknown++;
    }
    f->last = dec_mul_sampling(r, iv);
}

/* The record r (its IPv6 addresses already in place) from the values v. */
static inline __attribute__((always_inline))
void finish(fin_ctx *f, const dec_template *t, flow_record *r, const uint64_t *v)
{
    if (t->fin & FIN_SRC4) put_v4(&r->src_addr, v[DT_SRC4]);
    if (t->fin & FIN_DST4) put_v4(&r->dst_addr, v[DT_DST4]);
    if (t->fin & (FIN_DUAL_SRC | FIN_DUAL_DST)) finish_dual(t, r, v);
    r->packets = v[DT_PKTS];
    r->bytes = v[DT_BYTES];
    r->in_if = (uint32_t)v[DT_IN_IF];
    r->out_if = (uint32_t)v[DT_OUT_IF];
    r->src_as = (uint32_t)v[DT_SRC_AS];
    r->dst_as = (uint32_t)v[DT_DST_AS];
    r->src_port = (uint16_t)v[DT_SRC_PORT];
    r->dst_port = (uint16_t)v[DT_DST_PORT];
    r->proto = (uint8_t)v[DT_PROTO];
    r->tcp_flags = (uint8_t)v[DT_FLAGS];
    r->tos = (uint8_t)v[DT_TOS];
    if (r->proto == 1 || r->proto == 58) finish_icmp(t, r, v);
    finish_times(f, t, r, v);
    finish_sampling(f, t, r, v);
}

/* ---- data sets ---- */

static int all_zero(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i]) return 0;
    return 1;
}

static void fin_setup(fin_ctx *f, const dec_ctx *c, const dec_domain *dom, const dec_template *t)
{
    memset(f, 0, sizeof *f);
    f->export_ms = c->export_ms;
    f->uptime = c->uptime;
    f->up_base = c->export_ms;
    f->has_uptime = c->has_uptime;
    if (!f->has_uptime && dom->has_sys_init)
        f->has_uptime = (uint8_t)dec_uptime_from_init(c->export_ms, (uint64_t)dom->sys_init_ms,
                                                      &f->uptime, &f->up_base);
    f->apply = (uint8_t)c->d->opt.apply_sampling;
    uint32_t ovr = c->e->pub.override;
    f->interval = ovr ? ovr : dom->interval;
    f->per_record = !ovr && (t->fin & (FIN_REC_SAMPLE | FIN_SAMPLER_ID));
    f->dom = dom;
}

/* The next record of t at p + q (set of n bytes) into r and v; bytes used,
 * 0 when no whole record is left. */
static inline size_t next_record(const dec_template *t, const uint8_t *p, size_t n,
                                 size_t q, flow_record *r, uint64_t *v)
{
    if (n - q < t->rec_len) return 0;
    *r = t->base;
    if (t->varlen) return run_var(t, p + q, n - q, r, v);
    run_fixed(t, p + q, r, v);
    return t->rec_len;
}

/* Decode the flow records of p[0..n) with template t into out (room for
 * n / rec_len); *used = bytes consumed.  Returns records decoded. */
static size_t decode_records(fin_ctx *f, const dec_template *t, const uint8_t *p,
                             size_t n, flow_record *out, size_t *used)
{
    uint64_t v[DT_COUNT];
    memset(v, 0, sizeof v);                 /* values a template lacks stay 0 */
    size_t k = 0, q = 0, w;
    if (!t->varlen) {
        for (size_t cnt = n / t->rec_len; k < cnt; k++, q += t->rec_len) {
            out[k] = t->base;
            run_fixed(t, p + q, &out[k], v);
            finish(f, t, &out[k], v);
        }
    } else {
        while ((w = next_record(t, p, n, q, &out[k], v)) != 0) {
            finish(f, t, &out[k++], v);
            q += w;
        }
    }
    *used = q;
    return k;
}

/* Options data steer sampling and times; they are not flows. */
static size_t options_set(dec_ctx *c, dec_domain *dom, const dec_template *t,
                          const uint8_t *p, size_t n, size_t *used)
{
    flow_record r;
    uint64_t v[DT_COUNT];
    size_t k = 0, q = 0, w;
    for (;;) {
        memset(v, 0, sizeof v);
        if (!(w = next_record(t, p, n, q, &r, v))) break;
        dec_options_record(c, dom, t, v);
        q += w;
        k++;
    }
    *used = q;
    return k;
}

long dec_data_set(dec_ctx *c, dec_domain *dom, const dec_template *t,
                  const uint8_t *p, size_t n)
{
    size_t k, used = 0;
    if (t->options) {
        k = options_set(c, dom, t, p, n, &used);
        c->e->pub.c.other += k;
    } else {
        flow_record *out = dec_out_reserve(c->d, n / t->rec_len);
        if (!out) return dec_fail(c, "out of memory");
        fin_ctx f;
        fin_setup(&f, c, dom, t);
        k = decode_records(&f, t, p, n, out, &used);
        if (t->noflow) {
            c->e->pub.c.other += k;
        } else {
            c->d->out_n += k;
            c->e->pub.c.unknown_sampling += f.unknown;
            if (k) c->e->pub.sampling = f.last ? f.last : 1;
        }
    }
    c->data_records += k;
    c->records_seen += (uint32_t)k;
    if (t->varlen && n - used >= t->rec_len && !all_zero(p + used, n - used))
        return dec_fail(c, "template %u: record overruns its set", t->id);
    return (long)k;
}
