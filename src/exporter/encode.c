/*
 * encode.c: flow records into NetFlow v9 / IPFIX datagrams, in memory.
 *
 * The layouts, the sampling announcement and the time rules are drawn in
 * exporter.h.  This file keeps the routers (a hash of (exporter, domain),
 * in front of it the router last seen for each domain modulo EXP_RECENT:
 * routers usually differ by domain, and the lookup is per record),
 * their open datagrams, and the queue of finished datagrams in send order.
 *
 * Invariants:
 *  - every record in a router's open datagrams has the router's `interval`;
 *    a record with another interval first finishes both open datagrams;
 *  - a data datagram is preceded, in the queue, by the templates of its
 *    router, and by an announcement of its interval when that differs from
 *    the last one announced (pub.interval);
 *  - buffers never move: an open datagram's buffer goes into the queue as
 *    it is, and back to the pool when the queue is cleared.  Room is
 *    reserved before a record is touched (at most 4 datagrams and 3
 *    buffers per record: templates, two finished data datagrams, a new
 *    open one), so emitting never fails halfway.
 */
#include "exporter/exporter_impl.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#define V9_HEADER        20
#define IPFIX_HEADER     16
#define SET_HEADER       4
#define TEMPLATE_V4      256
#define TEMPLATE_V6      257
#define TEMPLATE_OPTIONS 258
#define NFIELDS          16
#define HOUR_MS          3600000LL
#define PER_RECORD       4          /* datagrams one record may finish */
#define EXPORT_MS_MAX    ((int64_t)UINT32_MAX * 1000 - 1000)
#define V9_V4_LEN        57         /* data record bytes, see field_spec */
#define V9_V6_LEN        81
#define IPFIX_V4_LEN     65
#define IPFIX_V6_LEN     89
#define ALWAYS_INLINE    inline __attribute__((always_inline))

/* ---- the templates ---- */

/* Field i of the data template of family fam (1 = IPv6), in record order. */
static void field_spec(int version, int fam, int i, uint16_t *id, uint16_t *len)
{
    static const uint16_t v9[NFIELDS][2] = {
        {8, 4}, {12, 4}, {7, 2}, {11, 2}, {32, 2}, {4, 1}, {6, 1}, {5, 1},
        {2, 8}, {1, 8}, {22, 4}, {21, 4}, {10, 4}, {14, 4}, {16, 4}, {17, 4},
    };
    *id = v9[i][0];
    *len = v9[i][1];
    if (fam && i < 2) { *id = i ? 28 : 27; *len = 16; }
    if (version == EXPORTER_IPFIX) {
        if (fam && i == 4) *id = 139;                   /* icmpTypeCodeIPv6 */
        if (i == 10 || i == 11) { *id = i == 10 ? 152 : 153; *len = 8; }
    }
}

/* Only an assert uses it: unused in a build with NDEBUG. */
__attribute__((unused)) static uint32_t record_len(int version, int fam)
{
    uint32_t n = 0;
    for (int i = 0; i < NFIELDS; i++) {
        uint16_t id, len;
        field_spec(version, fam, i, &id, &len);
        n += len;
    }
    return n;
}

static uint32_t header_len(const exporter_encoder *e)
{
    return e->version == EXPORTER_IPFIX ? IPFIX_HEADER : V9_HEADER;
}

/* ---- buffers and the queue ---- */

/* Room for `k` more datagrams, with buffers.  0, or -1 (out of memory). */
static int reserve_slow(exporter_encoder *e, size_t k, c2_err *err)
{
    if (e->nqueue + k > e->cap_queue) {
        size_t cap = e->cap_queue ? e->cap_queue * 2 : 256;
        while (cap < e->nqueue + k) cap *= 2;
        exporter_datagram *q = realloc(e->queue, cap * sizeof *q);
        if (!q) return c2_fail(err, "exporter: out of memory");
        e->queue = q;
        e->cap_queue = cap;
    }
    while (e->npool < k) {
        /* the pool can take back every buffer there is */
        if (e->nbufs + 1 > e->cap_pool) {
            size_t cap = e->cap_pool ? e->cap_pool * 2 : 256;
            uint8_t **p = realloc(e->pool, cap * sizeof *p);
            if (!p) return c2_fail(err, "exporter: out of memory");
            e->pool = p;
            e->cap_pool = cap;
        }
        uint8_t *b = malloc(e->max_payload);
        if (!b) return c2_fail(err, "exporter: out of memory");
        e->pool[e->npool++] = b;
        e->nbufs++;
    }
    return 0;
}

static inline int reserve(exporter_encoder *e, size_t k, c2_err *err)
{
    if (e->nqueue + k <= e->cap_queue && e->npool >= k) return 0;
    return reserve_slow(e, k, err);
}

static uint8_t *take_buffer(exporter_encoder *e)
{
    return e->pool[--e->npool];             /* reserved */
}

static void push(exporter_encoder *e, exp_router *rt, uint8_t *buf, uint32_t len,
                 uint16_t records, exporter_datagram_kind kind)
{
    e->queue[e->nqueue++] = (exporter_datagram){
        .data = buf, .len = len, .router = (uint32_t)(rt - e->routers),
        .source = rt->pub.source, .records = records, .kind = (uint8_t)kind};
    rt->pub.c.datagrams++;
    if (kind == EXPORTER_DG_DATA) rt->pub.c.data_datagrams++;
    if (kind == EXPORTER_DG_TEMPLATES) rt->pub.c.template_datagrams++;
}

/* ---- headers ---- */

static void v9_header(uint8_t *b, exp_router *rt, uint16_t count, int64_t export_ms)
{
    b = c2_put_be16(b, 9);
    b = c2_put_be16(b, count);
    b = c2_put_be32(b, (uint32_t)(export_ms - rt->boot_ms));     /* modulo 2^32 */
    b = c2_put_be32(b, (uint32_t)(export_ms / 1000));
    b = c2_put_be32(b, rt->seq++);
    c2_put_be32(b, rt->pub.domain);
}

/* data_records: the data records the message carries (sequence). */
static void ipfix_header(uint8_t *b, exp_router *rt, uint32_t len, uint32_t data_records,
                         int64_t export_ms)
{
    b = c2_put_be16(b, 10);
    b = c2_put_be16(b, (uint16_t)len);
    b = c2_put_be32(b, (uint32_t)(export_ms / 1000));
    b = c2_put_be32(b, rt->seq);
    c2_put_be32(b, rt->pub.domain);
    rt->seq += data_records;
}

static uint8_t *put_set_end(uint8_t *set, uint8_t *p, int pad)
{
    while (pad && (p - set) % 4) *p++ = 0;
    c2_put_be16(set + 2, (uint16_t)(p - set));
    return p;
}

/* ---- templates and the interval ---- */

static uint8_t *put_templates(const exporter_encoder *e, uint8_t *p)
{
    int ipfix = e->version == EXPORTER_IPFIX;
    uint8_t *set = p;
    p = c2_put_be16(p, ipfix ? 2 : 0);
    p = c2_put_be16(p, 0);
    for (int fam = 0; fam < 2; fam++) {
        p = c2_put_be16(p, fam ? TEMPLATE_V6 : TEMPLATE_V4);
        p = c2_put_be16(p, NFIELDS);
        for (int i = 0; i < NFIELDS; i++) {
            uint16_t id, len;
            field_spec(e->version, fam, i, &id, &len);
            p = c2_put_be16(c2_put_be16(p, id), len);
        }
    }
    p = put_set_end(set, p, 0);
    set = p;
    if (ipfix) {
        p = c2_put_be16(p, 3);
        p = c2_put_be16(p, 0);
        p = c2_put_be16(p, TEMPLATE_OPTIONS);
        p = c2_put_be16(p, 3);                     /* fields */
        p = c2_put_be16(p, 1);                     /* of which scope */
        p = c2_put_be16(c2_put_be16(p, 149), 4);          /* observationDomainId */
        p = c2_put_be16(c2_put_be16(p, 305), 4);          /* samplingPacketInterval */
        p = c2_put_be16(c2_put_be16(p, 306), 4);          /* samplingPacketSpace */
    } else {
        p = c2_put_be16(p, 1);
        p = c2_put_be16(p, 0);
        p = c2_put_be16(p, TEMPLATE_OPTIONS);
        p = c2_put_be16(p, 4);                     /* scope length */
        p = c2_put_be16(p, 8);                     /* option length */
        p = c2_put_be16(c2_put_be16(p, 1), 4);            /* scope System */
        p = c2_put_be16(c2_put_be16(p, 34), 4);           /* SAMPLING_INTERVAL */
        p = c2_put_be16(c2_put_be16(p, 35), 1);           /* SAMPLING_ALGORITHM */
    }
    return put_set_end(set, p, !ipfix);
}

static uint8_t *put_interval(const exporter_encoder *e, const exp_router *rt, uint8_t *p)
{
    uint8_t *set = p;
    p = c2_put_be16(p, TEMPLATE_OPTIONS);
    p = c2_put_be16(p, 0);
    if (e->version == EXPORTER_IPFIX) {
        p = c2_put_be32(p, rt->pub.domain);
        p = c2_put_be32(p, 1);
        p = c2_put_be32(p, rt->interval - 1);
    } else {
        const flow_addr *a = &rt->pub.exporter;
        p = c2_put_be32(p, flow_addr_is_v4(a) ? flow_addr_v4(a) : 0);
        p = c2_put_be32(p, rt->interval);
        *p++ = 2;                           /* random sampling */
    }
    return put_set_end(set, p, e->version != EXPORTER_IPFIX);
}

/* A datagram with the templates (templates = 1) or the interval alone. */
static void emit_control(exporter_encoder *e, exp_router *rt, int templates, int64_t export_ms)
{
    uint8_t *buf = take_buffer(e), *p = buf + header_len(e);
    if (templates) p = put_templates(e, p);
    p = put_interval(e, rt, p);
    uint32_t len = (uint32_t)(p - buf);
    if (e->version == EXPORTER_IPFIX) ipfix_header(buf, rt, len, 1, export_ms);
    else v9_header(buf, rt, templates ? 4 : 1, export_ms);
    push(e, rt, buf, len, 0, templates ? EXPORTER_DG_TEMPLATES : EXPORTER_DG_INTERVAL);
    rt->pub.interval = rt->interval;
    if (templates) {
        rt->templated = 1;
        rt->since_template = 0;
        rt->template_ms = export_ms;
    }
}

/* ---- data datagrams ---- */

/* Queue rt's open datagram of family fam, after templates or the interval
 * when due. */
static void finish_open(exporter_encoder *e, exp_router *rt, int fam)
{
    exp_open *o = &rt->open[fam];
    if (!o->count) return;
    int64_t export_ms = (o->newest_end / 1000 + 1) * 1000;
    if (!rt->templated || rt->since_template >= e->template_every ||
        (e->refresh_ms && export_ms - rt->template_ms >= e->refresh_ms))
        emit_control(e, rt, 1, export_ms);
    else if (rt->pub.interval != rt->interval)
        emit_control(e, rt, 0, export_ms);
    uint8_t *buf = o->buf, *set = buf + header_len(e);
    int ipfix = e->version == EXPORTER_IPFIX;
    uint32_t len = (uint32_t)(put_set_end(set, buf + o->len, !ipfix) - buf);
    if (ipfix) ipfix_header(buf, rt, len, o->count, export_ms);
    else v9_header(buf, rt, o->count, export_ms);
    push(e, rt, buf, len, o->count, EXPORTER_DG_DATA);
    rt->since_template++;
    *o = (exp_open){NULL, 0, 0, 0};
}

/* round(v / n), at least 1 when v was not 0 */
static inline uint64_t unsample(uint64_t v, uint32_t n)
{
    if (n <= 1 || !v) return v;
    uint64_t q = v / n, r = v % n;
    q += r >= n - r;
    return q ? q : 1;
}

static inline int is_v4(const flow_addr *a)
{
    static const uint8_t prefix[12] = {[10] = 0xff, [11] = 0xff};
    return !memcmp(a->b, prefix, 12);
}

static ALWAYS_INLINE uint8_t *put_record(const exp_router *rt, uint8_t *p, const flow_record *r,
                                         int fam, const int ipfix)
{
    if (fam) {
        memcpy(p, r->src_addr.b, 16);
        memcpy(p + 16, r->dst_addr.b, 16);
        p += 32;
    } else {
        memcpy(p, r->src_addr.b + 12, 4);
        memcpy(p + 4, r->dst_addr.b + 12, 4);
        p += 8;
    }
    p = c2_put_be16(p, r->src_port);
    p = c2_put_be16(p, r->dst_port);
    p = c2_put_be16(p, r->proto == 1 || r->proto == 58 ? r->dst_port : 0);
    *p++ = r->proto;
    *p++ = r->tcp_flags;
    *p++ = r->tos;
    p = c2_put_be64(p, unsample(r->packets, rt->interval));
    p = c2_put_be64(p, unsample(r->bytes, rt->interval));
    if (ipfix) {
        p = c2_put_be64(p, (uint64_t)r->start_ms);
        p = c2_put_be64(p, (uint64_t)r->end_ms);
    } else {
        p = c2_put_be32(p, (uint32_t)(r->start_ms - rt->boot_ms));
        p = c2_put_be32(p, (uint32_t)(r->end_ms - rt->boot_ms));
    }
    p = c2_put_be32(p, r->in_if);
    p = c2_put_be32(p, r->out_if);
    p = c2_put_be32(p, r->src_as);
    return c2_put_be32(p, r->dst_as);
}

/* ---- routers ---- */

static uint32_t key_hash(const flow_addr *a, uint32_t domain)
{
    uint64_t x, y;
    memcpy(&x, a->b, 8);
    memcpy(&y, a->b + 8, 8);
    uint64_t h = (x * 0x9E3779B97F4A7C15ull) ^ (y + domain);
    h *= 0xff51afd7ed558ccdull;
    return (uint32_t)(h ^ (h >> 32));
}

static inline int same_router(const exp_router *rt, const flow_record *r)
{
    uint64_t a[2], b[2];
    memcpy(a, rt->pub.exporter.b, 16);
    memcpy(b, r->exporter.b, 16);
    return rt->pub.domain == r->domain && ((a[0] ^ b[0]) | (a[1] ^ b[1])) == 0;
}

static void slot_put(exporter_encoder *e, uint32_t index)
{
    const exp_router *rt = &e->routers[index];
    uint32_t mask = e->nslots - 1, i = key_hash(&rt->pub.exporter, rt->pub.domain) & mask;
    while (e->slots[i]) i = (i + 1) & mask;
    e->slots[i] = index + 1;
}

static int grow_routers(exporter_encoder *e, c2_err *err)
{
    if (e->nrouters == e->cap_routers) {
        uint32_t cap = e->cap_routers ? e->cap_routers * 2 : 16;
        exp_router *r = realloc(e->routers, cap * sizeof *r);
        if (!r) return c2_fail(err, "exporter: out of memory");
        e->routers = r;
        e->cap_routers = cap;
    }
    if ((e->nrouters + 1) * 2 > e->nslots) {
        uint32_t n = e->nslots ? e->nslots * 2 : 32;
        uint32_t *s = calloc(n, sizeof *s);
        if (!s) return c2_fail(err, "exporter: out of memory");
        free(e->slots);
        e->slots = s;
        e->nslots = n;
        for (uint32_t i = 0; i < e->nrouters; i++) slot_put(e, i);
    }
    return 0;
}

/* The source (socket) of a new router r: its exporter's, or a new one. */
static int source_of(exporter_encoder *e, const flow_record *r, uint32_t *source, c2_err *err)
{
    char a[FLOW_ADDR_STRLEN], b[FLOW_ADDR_STRLEN];
    for (uint32_t i = 0; i < e->nrouters; i++) {
        const exp_router *o = &e->routers[i];
        int same_exporter = !memcmp(o->pub.exporter.b, r->exporter.b, 16);
        if (!e->one_source && same_exporter) {
            *source = o->pub.source;
            return 0;
        }
        if (e->one_source && !same_exporter && o->pub.domain == r->domain)
            return c2_fail(err, "exporter: routers %s and %s both use domain %u and "
                           "share one source address: the collector could not tell "
                           "them apart (send to 127.0.0.1 for a source per router)",
                           flow_addr_format(&o->pub.exporter, a, sizeof a),
                           flow_addr_format(&r->exporter, b, sizeof b), r->domain);
    }
    *source = e->one_source ? 0 : e->nsources++;
    if (e->one_source) e->nsources = 1;
    return 0;
}

static exp_router *router_new(exporter_encoder *e, const flow_record *r, c2_err *err)
{
    char a[FLOW_ADDR_STRLEN];
    uint32_t source = 0;
    if (e->nrouters >= e->max_routers) {
        c2_fail(err, "exporter: more than %u routers (exporter %s, domain %u)",
                e->max_routers, flow_addr_format(&r->exporter, a, sizeof a), r->domain);
        return NULL;
    }
    if (source_of(e, r, &source, err) != 0 || grow_routers(e, err) != 0) return NULL;
    exp_router *rt = &e->routers[e->nrouters];
    memset(rt, 0, sizeof *rt);
    rt->pub.exporter = r->exporter;
    rt->pub.domain = r->domain;
    rt->pub.source = source;
    rt->boot_ms = r->start_ms - e->uptime_ms - (int64_t)e->nrouters * HOUR_MS;
    rt->interval = 1;
    slot_put(e, e->nrouters++);
    return rt;
}

static __attribute__((noinline)) exp_router *router_find(exporter_encoder *e,
                                                          const flow_record *r, c2_err *err)
{
    uint32_t *hint = &e->recent[r->domain % EXP_RECENT];
    if (e->nslots) {
        uint32_t mask = e->nslots - 1;
        for (uint32_t i = key_hash(&r->exporter, r->domain) & mask; e->slots[i];
             i = (i + 1) & mask) {
            exp_router *rt = &e->routers[e->slots[i] - 1];
            if (same_router(rt, r)) {
                *hint = e->slots[i];
                return rt;
            }
        }
    }
    exp_router *rt = router_new(e, r, err);
    if (rt) *hint = (uint32_t)(rt - e->routers) + 1;
    return rt;
}

static ALWAYS_INLINE exp_router *router_of(exporter_encoder *e, const flow_record *r,
                                           c2_err *err)
{
    uint32_t hint = e->recent[r->domain % EXP_RECENT];
    if (hint && same_router(&e->routers[hint - 1], r)) return &e->routers[hint - 1];
    return router_find(e, r, err);
}

/* ---- adding records ---- */

static __attribute__((noinline, cold)) int bad_time(const flow_record *r, c2_err *err)
{
    char t[40];
    return c2_fail(err, "exporter: a record ending %s cannot be exported "
                   "(32-bit export seconds: 1970 to 2106)",
                   c2_time_format(r->end_ms, t, sizeof t));
}

/* The data in rt's open datagrams has interval rt->interval: out with it
 * before records of another interval come in. */
static __attribute__((noinline)) void change_interval(exporter_encoder *e, exp_router *rt,
                                                      uint32_t iv)
{
    finish_open(e, rt, 0);
    finish_open(e, rt, 1);
    rt->interval = iv;
}

/* One record; `ipfix` is a constant, so that each version gets its own
 * copy of this path without a branch on the version. */
static ALWAYS_INLINE int add_one(exporter_encoder *e, const flow_record *r, const int ipfix,
                                 c2_err *err)
{
    if ((uint64_t)r->end_ms > (uint64_t)EXPORT_MS_MAX || r->start_ms < 0) return bad_time(r, err);
    exp_router *rt = router_of(e, r, err);
    if (!rt || reserve(e, PER_RECORD, err) != 0) return -1;
    uint32_t iv = r->sampling ? r->sampling : 1;
    if (iv != rt->interval) change_interval(e, rt, iv);
    int fam = !(is_v4(&r->src_addr) && is_v4(&r->dst_addr));
    exp_open *o = &rt->open[fam];
    const uint32_t hdr = ipfix ? IPFIX_HEADER : V9_HEADER, pad = ipfix ? 0 : 3;
    uint32_t rec = ipfix ? (fam ? IPFIX_V6_LEN : IPFIX_V4_LEN) : (fam ? V9_V6_LEN : V9_V4_LEN);
    if (o->count && o->len + rec + pad > e->max_payload) finish_open(e, rt, fam);
    if (!o->count) {
        o->buf = take_buffer(e);
        o->len = hdr + SET_HEADER;
        c2_put_be16(o->buf + hdr, fam ? TEMPLATE_V6 : TEMPLATE_V4);
        o->newest_end = r->end_ms;
    }
    o->len = (uint32_t)(put_record(rt, o->buf + o->len, r, fam, ipfix) - o->buf);
    o->count++;
    if (r->end_ms > o->newest_end) o->newest_end = r->end_ms;
    rt->pub.c.records++;
    return 0;
}

int exporter_encoder_add(exporter_encoder *e, const flow_record *recs, size_t n, c2_err *err)
{
    if (e->version == EXPORTER_IPFIX) {
        for (size_t i = 0; i < n; i++)
            if (add_one(e, &recs[i], 1, err) != 0) return -1;
    } else {
        for (size_t i = 0; i < n; i++)
            if (add_one(e, &recs[i], 0, err) != 0) return -1;
    }
    return 0;
}

int exporter_encoder_finish(exporter_encoder *e, c2_err *err)
{
    for (uint32_t i = 0; i < e->nrouters; i++) {
        if (reserve(e, PER_RECORD, err) != 0) return -1;
        finish_open(e, &e->routers[i], 0);
        finish_open(e, &e->routers[i], 1);
    }
    return 0;
}

/* ---- life cycle ---- */

int exporter_encoder_new(const exporter_options *opt, int one_source, exporter_encoder **out,
                         c2_err *err)
{
    *out = NULL;
    if (opt->version != EXPORTER_NETFLOW_V9 && opt->version != EXPORTER_IPFIX)
        return c2_fail(err, "exporter: version %d: want 9 (NetFlow v9) or 10 (IPFIX)",
                       opt->version);
    uint32_t payload = opt->max_payload ? opt->max_payload : 1472;
    if (payload < EXPORTER_MIN_PAYLOAD || payload > EXPORTER_MAX_PAYLOAD)
        return c2_fail(err, "exporter: max payload %u: want %u..%u bytes", payload,
                       EXPORTER_MIN_PAYLOAD, EXPORTER_MAX_PAYLOAD);
    if (!opt->template_every) return c2_fail(err, "exporter: template_every must be >= 1");
    if (!opt->max_routers) return c2_fail(err, "exporter: max_routers must be >= 1");
    if (opt->uptime_ms < 0) return c2_fail(err, "exporter: negative uptime");
    exporter_encoder *e = calloc(1, sizeof *e);
    if (!e) return c2_fail(err, "exporter: out of memory");
    e->version = opt->version;
    e->max_payload = payload;
    e->template_every = opt->template_every;
    e->refresh_ms = (int64_t)opt->template_refresh_s * 1000;
    e->uptime_ms = opt->uptime_ms;
    e->max_routers = opt->max_routers;
    e->one_source = one_source != 0;
    /* the record lengths add_one uses are those of the templates; a
     * datagram holds fewer than 2^16 records (the v9 count) */
    assert(record_len(9, 0) == V9_V4_LEN && record_len(9, 1) == V9_V6_LEN &&
           record_len(10, 0) == IPFIX_V4_LEN && record_len(10, 1) == IPFIX_V6_LEN);
    assert(EXPORTER_MAX_PAYLOAD / V9_V4_LEN < UINT16_MAX);
    *out = e;
    return 0;
}

void exporter_encoder_free(exporter_encoder *e)
{
    if (!e) return;
    exporter_encoder_clear(e);
    for (uint32_t i = 0; i < e->nrouters; i++)
        for (int f = 0; f < 2; f++) free(e->routers[i].open[f].buf);
    for (size_t i = 0; i < e->npool; i++) free(e->pool[i]);
    free(e->pool);
    free(e->queue);
    free(e->routers);
    free(e->slots);
    free(e);
}

const exporter_datagram *exporter_encoder_queue(const exporter_encoder *e, size_t *n)
{
    *n = e->nqueue;
    return e->queue;
}

void exporter_encoder_clear(exporter_encoder *e)
{
    for (size_t i = 0; i < e->nqueue; i++) e->pool[e->npool++] = e->queue[i].data;
    e->nqueue = 0;
}

size_t exporter_encoder_router_count(const exporter_encoder *e) { return e->nrouters; }

exporter_router *exporter_encoder_router(exporter_encoder *e, size_t i)
{
    return i < e->nrouters ? &e->routers[i].pub : NULL;
}

uint32_t exporter_encoder_source_count(const exporter_encoder *e) { return e->nsources; }
