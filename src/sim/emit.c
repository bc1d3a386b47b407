/*
 * emit.c: turning sampled packets into the records a router exports.
 *
 * A router with packet sampling keeps a flow cache of the sampled packets
 * only: a record starts at the first sampled packet of a 5-tuple, ends at
 * the last, and is closed when no sampled packet came for the inactive
 * timeout or when it has been open for the active timeout.  Counters are
 * multiplied by the sampling interval, as a collector stores them.
 */
#include "sim/sim_impl.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "synth/synth.h"

int sim_chunk_reserve(sim_chunk *c, size_t more)
{
    if (c->n + more <= c->cap)
        return 0;
    size_t cap = c->cap ? c->cap : 1024;
    while (cap < c->n + more)
        cap *= 2;
    flow_record *r = realloc(c->rec, cap * sizeof *r);
    if (!r) {
        c->failed = 1;
        return -1;
    }
    c->rec = r;
    c->cap = cap;
    return 0;
}

uint16_t sim_ephemeral_port(rng *r)
{
    return (uint16_t)(32768 + rng_below(r, 28232));   /* Linux's default range */
}

flow_record *sim_emit(const sim *s, sim_chunk *c, uint32_t sub, int outbound,
                      const flow_addr *sub_addr, const flow_addr *far,
                      uint16_t sub_port, uint16_t far_port, uint8_t proto)
{
    if (sim_chunk_reserve(c, 1) < 0)
        return NULL;
    flow_record *r = &c->rec[c->n++];
    memset(r, 0, sizeof *r);
    uint32_t router = sim_router_of(s, sub);
    uint32_t half = s->sc.interfaces / 2;
    uint32_t access_if = 1 + sub % half;
    uint32_t uplink_if = half + 1 + (uint32_t)((far->b[15] ^ far->b[13]) % (s->sc.interfaces - half));
    synth_exporter_addr(router, &r->exporter);
    r->domain = router + 1;
    r->sampling = s->sc.sampling;
    r->proto = proto;
    if (outbound) {
        r->src_addr = *sub_addr; r->dst_addr = *far;
        r->src_port = sub_port;  r->dst_port = far_port;
        r->in_if = access_if;    r->out_if = uplink_if;
        r->src_as = s->sc.asn;   r->dst_as = sim_as_of(s, far);
    } else {
        r->src_addr = *far;      r->dst_addr = *sub_addr;
        r->src_port = far_port;  r->dst_port = sub_port;
        r->in_if = uplink_if;    r->out_if = access_if;
        r->src_as = sim_as_of(s, far); r->dst_as = s->sc.asn;
    }
    return r;
}

/* Flags of a sampled TCP packet at position idx of n in its direction. */
static uint8_t packet_flags(rng *r, uint64_t idx, uint64_t n, int opener)
{
    if (idx == 0)
        return opener ? TCP_SYN : (TCP_SYN | TCP_ACK);
    if (idx + 1 == n)
        return TCP_FIN | TCP_ACK;
    return (rng_next(r) & 3) == 0 ? (TCP_ACK | TCP_PSH) : TCP_ACK;
}

/* Insertion sort: k is at most 64 and almost always 1 or 2. */
static void sort_small(int64_t *v, uint64_t n)
{
    for (uint64_t i = 1; i < n; i++) {
        int64_t x = v[i];
        uint64_t j = i;
        for (; j > 0 && v[j - 1] > x; j--)
            v[j] = v[j - 1];
        v[j] = x;
    }
}

/* One direction: k sampled packets of n over [t0, t0 + dur]. */
static void emit_direction(const sim *s, sim_chunk *c, rng *r, uint32_t sub, int outbound,
                           const flow_addr *sub_addr, const flow_addr *far,
                           uint16_t sub_port, uint16_t far_port, uint8_t proto,
                           int opener, int64_t t0, int64_t dur, uint64_t k,
                           uint64_t n, uint32_t pkt_bytes)
{
    uint64_t mult = s->sc.sampling;
    if (k > 64) {
        /* Dense: one record per active-timeout window that got packets. */
        int64_t windows = dur / s->sc.active_ms + 1;
        uint64_t left = k;
        for (int64_t w = 0; w < windows && left; w++) {
            uint64_t kw = w + 1 == windows ? left
                        : rng_binomial(r, left, 1.0 / (double)(windows - w));
            left -= kw;
            if (!kw) continue;
            int64_t ws = t0 + w * s->sc.active_ms;
            int64_t we = w + 1 == windows ? t0 + dur : ws + s->sc.active_ms - 1;
            flow_record *rec = sim_emit(s, c, sub, outbound, sub_addr, far, sub_port, far_port, proto);
            if (!rec) return;
            rec->start_ms = ws + (int64_t)rng_below(r, (uint64_t)(we - ws) / (kw + 1) + 1);
            rec->end_ms = we - (int64_t)rng_below(r, (uint64_t)(we - ws) / (kw + 1) + 1);
            if (rec->end_ms < rec->start_ms) rec->end_ms = rec->start_ms;
            rec->packets = kw * mult;
            rec->bytes = kw * pkt_bytes * mult;
            rec->tcp_flags = proto == 6 ? (uint8_t)(TCP_ACK | TCP_PSH) : 0;
            if (proto == 6 && w == 0 && rng_unit(r) < (double)kw / (double)n)
                rec->tcp_flags |= opener ? TCP_SYN : (TCP_SYN | TCP_ACK);
        }
        return;
    }
    int64_t times[64], idx[64];
    for (uint64_t i = 0; i < k; i++)
        idx[i] = (int64_t)rng_below(r, n);
    if (k > 1)
        sort_small(idx, k);
    /* a packet's time follows its position in the connection */
    for (uint64_t i = 0; i < k; i++)
        times[i] = t0 + (n > 1 ? (int64_t)((double)dur * (double)idx[i] / (double)(n - 1)) : 0);
    flow_record *rec = NULL;
    for (uint64_t i = 0; i < k; i++) {
        int64_t t = times[i];
        if (!rec || t - rec->end_ms > s->sc.inactive_ms ||
            t - rec->start_ms >= s->sc.active_ms) {
            rec = sim_emit(s, c, sub, outbound, sub_addr, far, sub_port, far_port, proto);
            if (!rec) return;
            rec->start_ms = rec->end_ms = t;
        }
        rec->end_ms = t;
        rec->packets += mult;
        /* +-12 % around the direction's mean packet size */
        uint32_t jitter = pkt_bytes / 8 + 1;
        uint64_t b = pkt_bytes - jitter + rng_below(r, 2 * jitter);
        rec->bytes += (b < 28 ? 28 : b) * mult;
        if (proto == 6)
            rec->tcp_flags |= packet_flags(r, (uint64_t)idx[i], n, opener);
    }
}

void sim_emit_connection(const sim *s, sim_chunk *c, rng *r, uint32_t sub,
                         const flow_addr *sub_addr, const flow_addr *far,
                         uint16_t sub_port, uint16_t far_port, uint8_t proto,
                         int outbound_first, int64_t t0, int64_t dur,
                         uint64_t n_up, uint64_t n_down,
                         uint32_t up_bytes, uint32_t down_bytes)
{
    uint64_t n = n_up + n_down;
    if (!n)
        return;
    uint64_t k = rng_binomial_pos(r, n, s->p);
    uint64_t k_up = rng_binomial(r, k, (double)n_up / (double)n);
    uint64_t k_down = k - k_up;
    /* "up" is the direction of the side that opened the connection */
    if (k_up)
        emit_direction(s, c, r, sub, outbound_first, sub_addr, far, sub_port, far_port,
                       proto, 1, t0, dur, k_up, n_up, up_bytes);
    if (k_down)
        emit_direction(s, c, r, sub, !outbound_first, sub_addr, far, sub_port, far_port,
                       proto, 0, t0 + (dur ? 1 : 0), dur, k_down, n_down, down_bytes);
}

/* Sort by end time: a radix sort of (end offset, index) keys, then a gather. */
void sim_sort_chunk(sim_chunk *c, flow_record **tmp, size_t *tmp_cap)
{
    size_t n = c->n;
    if (n < 2)
        return;
    int64_t lo = c->rec[0].end_ms, hi = lo;
    for (size_t i = 1; i < n; i++) {
        if (c->rec[i].end_ms < lo) lo = c->rec[i].end_ms;
        if (c->rec[i].end_ms > hi) hi = c->rec[i].end_ms;
    }
    uint64_t *keys = malloc(n * sizeof *keys * 2);
    if (*tmp_cap < n) {
        flow_record *t = realloc(*tmp, n * sizeof *t);
        if (t) { *tmp = t; *tmp_cap = n; }
    }
    if (!keys || *tmp_cap < n || (uint64_t)(hi - lo) >= (1ULL << 32)) {
        free(keys);
        return;                         /* unsorted is still correct, only slower to read */
    }
    uint64_t *other = keys + n;
    for (size_t i = 0; i < n; i++)
        keys[i] = (uint64_t)(c->rec[i].end_ms - lo) << 32 | i;
    for (int shift = 32; shift < 64; shift += 16) {
        size_t count[65537] = {0};
        for (size_t i = 0; i < n; i++)
            count[((keys[i] >> shift) & 0xffff) + 1]++;
        for (int b = 0; b < 65536; b++)
            count[b + 1] += count[b];
        for (size_t i = 0; i < n; i++)
            other[count[(keys[i] >> shift) & 0xffff]++] = keys[i];
        uint64_t *t = keys; keys = other; other = t;
    }
    for (size_t i = 0; i < n; i++)
        (*tmp)[i] = c->rec[keys[i] & 0xffffffffu];
    memcpy(c->rec, *tmp, n * sizeof *c->rec);
    free(keys < other ? keys : other);
}

/* Relative traffic by local hour, Monday..Friday and weekend: residential
 * broadband, evening peak about 4x the early-morning trough (the shape of
 * the MIC traffic reports; docs/simulator.md). */
static const double weekday_hour[24] = {
    0.75, 0.55, 0.40, 0.30, 0.25, 0.25, 0.30, 0.42, 0.52, 0.56, 0.60, 0.63,
    0.66, 0.64, 0.62, 0.63, 0.66, 0.72, 0.80, 0.88, 0.95, 1.00, 0.98, 0.88};
static const double weekend_hour[24] = {
    0.80, 0.62, 0.45, 0.33, 0.27, 0.26, 0.30, 0.40, 0.55, 0.68, 0.76, 0.80,
    0.82, 0.82, 0.80, 0.80, 0.82, 0.85, 0.88, 0.92, 0.96, 1.00, 0.97, 0.88};

double sim_diurnal(const sim *s, int64_t t)
{
    double sum = 0;
    for (int h = 0; h < 24; h++)
        sum += 5 * weekday_hour[h] + 2 * weekend_hour[h];
    double mean = sum / (24 * 7);
    int64_t local = t + s->sc.utc_offset_ms;
    int64_t day = local >= 0 ? local / C2_MS_PER_DAY : (local - C2_MS_PER_DAY + 1) / C2_MS_PER_DAY;
    int hour = (int)((local - day * C2_MS_PER_DAY) / 3600000);
    int dow = (int)(((day + 4) % 7 + 7) % 7);   /* 0 = Sunday; 1970-01-01 was a Thursday */
    const double *tab = (dow == 0 || dow == 6) ? weekend_hour : weekday_hour;
    return tab[hour] / mean;
}
