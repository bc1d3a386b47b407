/*
 * synth.c: the synthetic flow-record generator.
 *
 * Determinism: every random choice comes from one xoshiro256** stream seeded
 * by splitmix64 from params.seed, drawn in a fixed order per record, so a
 * record depends only on the seed, the parameters and its position in the
 * stream, never on batch sizes.  The host pool and the AS table come from
 * their own splitmix64 streams, so that changing the record code does not
 * move the pool.  Powers and logarithms are computed here with plain IEEE
 * arithmetic (pow2/log2 below) rather than libm, whose exp() picks an FMA or
 * non-FMA variant by CPU and may differ in the last bit between machines.
 *
 * Speed: no allocation or system call per record; five or six 64-bit draws
 * per record.  Per-host facts (router, interface, AS, IPv6 address) are
 * derived by hashing the host's index or address instead of being stored,
 * so the pool costs 4 bytes per host; but a pool of a million hosts is 4 MB,
 * larger than the cache, and a uniform source is a cache miss per record.
 * So the source and destination of each record are drawn SYNTH_AHEAD
 * records in advance and their pool entries prefetched; the look-ahead ring
 * lives in the generator, so the stream stays independent of batch sizes.
 *
 * Time: records leave in export order.  Record i ends at a random point of
 * the i-th step of 1/flow_rate, so end_ms never decreases and the jitter
 * never accumulates (n records end within n / flow_rate); start_ms = end_ms
 * - duration, so starts are not sorted, as in a router's export stream.  The
 * clock counts 1/16 ns so that rates of millions of flows per second keep
 * their fraction; it overflows after 36 simulated years.
 */
#include "synth/synth.h"

#include <inttypes.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define POOL_ALIGN ((size_t)2 << 20)

/* ---- random numbers ---- */

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

static inline uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

static inline uint64_t xoshiro(uint64_t s[4])
{
    uint64_t result = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

/* Uniform in [0, n) from 32 random bits (multiply-shift; the bias of at
 * most n / 2^32 is irrelevant here). */
static inline uint32_t below32(uint32_t r, uint32_t n) { return (uint32_t)(((uint64_t)r * n) >> 32); }
static inline uint32_t below16(uint32_t r16, uint32_t n) { return (r16 * n) >> 16; }

/* ---- powers and logarithms, libm-free (see the top of the file) ---- */

/* 2^(j/64), j = 0..63, correctly rounded (computed to 50 digits). */
static const double pow2_64th[64] = {
    0x1.0000000000000p+0, 0x1.02c9a3e778061p+0, 0x1.059b0d3158574p+0,
    0x1.0874518759bc8p+0, 0x1.0b5586cf9890fp+0, 0x1.0e3ec32d3d1a2p+0,
    0x1.11301d0125b51p+0, 0x1.1429aaea92de0p+0, 0x1.172b83c7d517bp+0,
    0x1.1a35beb6fcb75p+0, 0x1.1d4873168b9aap+0, 0x1.2063b88628cd6p+0,
    0x1.2387a6e756238p+0, 0x1.26b4565e27cddp+0, 0x1.29e9df51fdee1p+0,
    0x1.2d285a6e4030bp+0, 0x1.306fe0a31b715p+0, 0x1.33c08b26416ffp+0,
    0x1.371a7373aa9cbp+0, 0x1.3a7db34e59ff7p+0, 0x1.3dea64c123422p+0,
    0x1.4160a21f72e2ap+0, 0x1.44e086061892dp+0, 0x1.486a2b5c13cd0p+0,
    0x1.4bfdad5362a27p+0, 0x1.4f9b2769d2ca7p+0, 0x1.5342b569d4f82p+0,
    0x1.56f4736b527dap+0, 0x1.5ab07dd485429p+0, 0x1.5e76f15ad2148p+0,
    0x1.6247eb03a5585p+0, 0x1.6623882552225p+0, 0x1.6a09e667f3bcdp+0,
    0x1.6dfb23c651a2fp+0, 0x1.71f75e8ec5f74p+0, 0x1.75feb564267c9p+0,
    0x1.7a11473eb0187p+0, 0x1.7e2f336cf4e62p+0, 0x1.82589994cce13p+0,
    0x1.868d99b4492edp+0, 0x1.8ace5422aa0dbp+0, 0x1.8f1ae99157736p+0,
    0x1.93737b0cdc5e5p+0, 0x1.97d829fde4e50p+0, 0x1.9c49182a3f090p+0,
    0x1.a0c667b5de565p+0, 0x1.a5503b23e255dp+0, 0x1.a9e6b5579fdbfp+0,
    0x1.ae89f995ad3adp+0, 0x1.b33a2b84f15fbp+0, 0x1.b7f76f2fb5e47p+0,
    0x1.bcc1e904bc1d2p+0, 0x1.c199bdd85529cp+0, 0x1.c67f12e57d14bp+0,
    0x1.cb720dcef9069p+0, 0x1.d072d4a07897cp+0, 0x1.d5818dcfba487p+0,
    0x1.da9e603db3285p+0, 0x1.dfc97337b9b5fp+0, 0x1.e502ee78b3ff6p+0,
    0x1.ea4afa2a490dap+0, 0x1.efa1bee615a27p+0, 0x1.f50765b6e4540p+0,
    0x1.fa7c1819e90d8p+0,
};

/* 2^x for 0 <= x < 63: 2^k by an integer shift, 2^(j/64) from the table,
 * and 2^r for r < 1/64 by its Taylor polynomial of degree 3 (relative error
 * below 1e-9); short dependency chains, since this runs twice per record. */
static inline double pow2(double x)
{
    int32_t k = (int32_t)x;
    double t = (x - (double)k) * 64.0;
    int32_t j = (int32_t)t;
    double r = (t - (double)j) * (1.0 / 64.0);
    double p = 1.0 + r * (0x1.62e42fefa39efp-1 + r * (0x1.ebfbdff82c58fp-3 +
                                                    r * 0x1.c6b08d704a0c0p-5));
    union { uint64_t u; double d; } two_k = {.u = (uint64_t)(1023 + k) << 52};
    return pow2_64th[j] * p * two_k.d;
}

/* log2(x) for x >= 1: exponent by halving, then ln(m) = 2 atanh((m-1)/(m+1))
 * for m in [1, 2) by its series (|z| <= 1/3, 30 terms: exact to double). */
static double log2_pos(double x)
{
    int e = 0;
    while (x >= 2.0) { x /= 2.0; e++; }
    double z = (x - 1.0) / (x + 1.0), z2 = z * z, term = z, sum = 0.0;
    for (int k = 0; k < 30; k++) {
        sum += term / (2 * k + 1);
        term *= z2;
    }
    return e + 2.0 * sum / 0.69314718055994530942;
}

/* f(u) for u = the top bits of r, from a table of f at u = j/1024 and
 * linear interpolation on the next 16 bits (f convex and smooth, so the
 * relative error stays below 3e-5).  Tables hold f in fixed point. */
static inline uint64_t table_lookup(const uint64_t tab[SYNTH_TABLE + 1], uint64_t r)
{
    uint32_t j = (uint32_t)(r >> 54), f = (uint32_t)(r >> 38) & 0xffff;
    return tab[j] + (((tab[j + 1] - tab[j]) * f) >> 16);
}

#define ZIPF_FRAC 24            /* zipf_tab: (H+1)^u x 2^24 */
#define PKTS_FRAC 16            /* pkts_tab: e^(7u^2) x 2^16 */
#define LOG2_E 1.44269504088896340736
#define LOG2_1000 9.96578428466208704362

/* A bijection on 32 bits (each step is invertible), used to derive per-host
 * facts from an index or an address. */
static inline uint32_t mix32(uint32_t x)
{
    x ^= x >> 16; x *= 0x7feb352dU;
    x ^= x >> 15; x *= 0x846ca68bU;
    x ^= x >> 16;
    return x;
}

/* ---- addresses ---- */

/* Public unicast IPv4 that looks like a host: not in the special-purpose
 * ranges of RFC 6890 (this network, private, shared, loopback, link local,
 * documentation, benchmarking, 6to4 relay, multicast, reserved) and not
 * ending in .0 or .255. */
static int public_host_v4(uint32_t a)
{
    uint32_t o1 = a >> 24, o2 = (a >> 16) & 0xff, p24 = a >> 8;
    if (o1 == 0 || o1 == 10 || o1 == 127 || o1 >= 224) return 0;
    if (o1 == 100 && (o2 & 0xc0) == 64) return 0;          /* 100.64/10 */
    if (o1 == 169 && o2 == 254) return 0;
    if (o1 == 172 && (o2 & 0xf0) == 16) return 0;
    if (o1 == 192 && o2 == 168) return 0;
    if (o1 == 198 && (o2 & 0xfe) == 18) return 0;          /* 198.18/15 */
    if (p24 == 0xc00000 || p24 == 0xc00002 || p24 == 0xc05863 ||
        p24 == 0xc63364 || p24 == 0xcb0071) return 0;      /* 192.0.0, 192.0.2,
                                                              192.88.99, 198.51.100,
                                                              203.0.113 */
    uint32_t o4 = a & 0xff;
    return o4 != 0 && o4 != 255;
}

static inline void addr_v4(flow_addr *a, uint32_t v4)
{
    memset(a->b, 0, 10);
    a->b[10] = 0xff;
    a->b[11] = 0xff;
    a->b[12] = (uint8_t)(v4 >> 24);
    a->b[13] = (uint8_t)(v4 >> 16);
    a->b[14] = (uint8_t)(v4 >> 8);
    a->b[15] = (uint8_t)v4;
}

/* Host i's IPv6 address: 2a0X:hhhh:hhhh:00SS:<64-bit interface id>, where
 * hhhhhhhh = mix32(i ^ salt) is a bijection of i, so addresses are
 * distinct; the /32 (2a0X:hhhh) names the AS. */
static void host_v6(const synth *g, uint32_t i, flow_addr *a)
{
    uint32_t h = mix32(i ^ (uint32_t)(g->p.seed >> 32) ^ 0x6a09e667u);
    uint32_t s = mix32(h + 0x3c6ef372u);
    uint32_t iid_hi = mix32(h ^ 0xa54ff53au), iid_lo = mix32(iid_hi + i);
    a->b[0] = 0x2a;
    a->b[1] = (uint8_t)(s >> 28);
    a->b[2] = (uint8_t)(h >> 24);
    a->b[3] = (uint8_t)(h >> 16);
    a->b[4] = (uint8_t)(h >> 8);
    a->b[5] = (uint8_t)h;
    a->b[6] = 0;
    a->b[7] = (uint8_t)(s & 0x0f);
    for (int k = 0; k < 4; k++) {
        a->b[8 + k] = (uint8_t)(iid_hi >> (24 - 8 * k));
        a->b[12 + k] = (uint8_t)(iid_lo >> (24 - 8 * k));
    }
}

/* AS of an address: by /16 for IPv4, by /32 for IPv6. */
static inline uint32_t as_of_v4(const synth *g, uint32_t v4)
{
    return g->as_table[below32(mix32((v4 >> 16) ^ (uint32_t)g->p.seed), SYNTH_AS_COUNT)];
}
static inline uint32_t as_of_v6(const synth *g, const flow_addr *a)
{
    uint32_t p32 = (uint32_t)a->b[0] << 24 | (uint32_t)a->b[1] << 16 |
                   (uint32_t)a->b[2] << 8 | a->b[3];
    return g->as_table[below32(mix32(p32 ^ (uint32_t)g->p.seed), SYNTH_AS_COUNT)];
}

void synth_exporter_addr(uint32_t r, flow_addr *out)
{
    addr_v4(out, 0xc0000200u + ((r + 1) & 0xff));           /* 192.0.2.(r+1) */
}

/* Draw the who of a future record: source uniform over the pool,
 * destination Zipf-like (rank = (H+1)^u - 1, rank 0 about 5 % of flows),
 * and start fetching their pool entries. */
static inline void draw_who(synth *g, synth_who *w)
{
    uint64_t r0 = xoshiro(g->rng), r1 = xoshiro(g->rng);
    uint32_t hosts = g->p.hosts;
    uint32_t si = below32((uint32_t)(r0 >> 32), hosts);
    uint32_t di = (uint32_t)(table_lookup(g->zipf_tab, r1) >> ZIPF_FRAC) - 1;
    if (di >= hosts) di = hosts - 1;
    if (di == si) di = di + 1 < hosts ? di + 1 : 0;
    __builtin_prefetch(&g->pool[si]);
    __builtin_prefetch(&g->pool[di]);
    w->src = si;
    w->dst = di;
    w->kind = (uint32_t)r0;
}

/* ---- set-up ---- */

void synth_params_default(synth_params *p)
{
    memset(p, 0, sizeof *p);
    p->seed = 1;
    p->start_ms = 0;
    p->flow_rate = 50000.0;
    p->hosts = 1000000;
    p->exporters = 4;
    p->interfaces = 16;
    p->ipv6_share = 0.05;
    p->sampling = 1;
}

/* A number in [lo, hi]; the whole string must be the number. */
static int parse_double(const char *s, double lo, double hi, double *out)
{
    char *end;
    double v = strtod(s, &end);
    if (end == s || *end || !(v >= lo && v <= hi)) return -1;
    *out = v;
    return 0;
}

int synth_param_set(synth_params *p, const char *name, const char *value,
                    int64_t now_ms, c2_err *err)
{
    static const struct { const char *name; uint64_t lo, hi; size_t off; } counts[] = {
        {"hosts", 2, SYNTH_MAX_HOSTS, offsetof(synth_params, hosts)},
        {"exporters", 1, SYNTH_MAX_EXPORTERS, offsetof(synth_params, exporters)},
        {"interfaces", 2, 65535, offsetof(synth_params, interfaces)},
        {"sampling", 1, UINT32_MAX, offsetof(synth_params, sampling)},
    };
    uint64_t u;
    if (!strcmp(name, "seed")) {
        if (c2_u64_parse(value, UINT64_MAX, &p->seed) != 0)
            return c2_fail(err, "not a number: '%s'", value);
        return 0;
    }
    if (!strcmp(name, "start")) return c2_time_parse(value, now_ms, &p->start_ms, err);
    if (!strcmp(name, "rate")) {
        if (parse_double(value, 0.001, 1e9, &p->flow_rate) != 0)
            return c2_fail(err, "want 0.001..1e9 flows/s, not '%s'", value);
        return 0;
    }
    if (!strcmp(name, "ipv6-share")) {
        if (parse_double(value, 0.0, 1.0, &p->ipv6_share) != 0)
            return c2_fail(err, "want 0..1, not '%s'", value);
        return 0;
    }
    for (size_t i = 0; i < sizeof counts / sizeof counts[0]; i++) {
        if (strcmp(name, counts[i].name)) continue;
        if (c2_u64_parse(value, counts[i].hi, &u) != 0 || u < counts[i].lo)
            return c2_fail(err, "want %" PRIu64 "..%" PRIu64 ", not '%s'",
                           counts[i].lo, counts[i].hi, value);
        memcpy((char *)p + counts[i].off, &(uint32_t){(uint32_t)u}, sizeof(uint32_t));
        return 0;
    }
    return c2_fail(err, "no parameter '%s'", name);
}

static int build_pool(synth *g, c2_err *err)
{
    uint32_t n = g->p.hosts, size = 1;
    while (size < 2 * n) size <<= 1;
    uint32_t *set = calloc(size, sizeof *set);     /* 0 = empty: never a host */
    /* 2 MiB aligned and advised into huge pages where the kernel allows:
     * random reads of a 4 MB pool otherwise miss the TLB too */
    size_t bytes = ((size_t)n * sizeof *g->pool + POOL_ALIGN - 1) / POOL_ALIGN * POOL_ALIGN;
    g->pool = aligned_alloc(POOL_ALIGN, bytes);
    if (g->pool) madvise(g->pool, bytes, MADV_HUGEPAGE);
    if (!set || !g->pool) {
        free(set);
        return c2_fail(err, "synth: out of memory for %u hosts", n);
    }
    uint64_t x = g->p.seed ^ 0x5ca1ab1e0ddba11ULL;
    uint32_t have = 0;
    while (have < n) {
        uint64_t r = splitmix64(&x);
        for (int half = 0; half < 2 && have < n; half++) {
            uint32_t a = (uint32_t)(half ? r : r >> 32);
            if (!public_host_v4(a)) continue;
            uint32_t h = mix32(a) & (size - 1);
            while (set[h] && set[h] != a) h = (h + 1) & (size - 1);
            if (set[h]) continue;                   /* already a host */
            set[h] = a;
            g->pool[have++] = a;
        }
    }
    free(set);
    return 0;
}

static int build_as_table(synth *g, c2_err *err)
{
    g->as_table = malloc(SYNTH_AS_COUNT * sizeof *g->as_table);
    if (!g->as_table) return c2_fail(err, "synth: out of memory");
    uint64_t x = g->p.seed ^ 0xa5a5f00dULL;
    for (uint32_t i = 0; i < SYNTH_AS_COUNT;) {
        uint64_t r = splitmix64(&x);
        /* 70 % 16-bit public ASNs, 30 % 32-bit ones (RFC 6996/7300 ranges
         * and AS_TRANS 23456 avoided) */
        uint32_t asn = below32((uint32_t)r, 10) < 7
                           ? 1 + below32((uint32_t)(r >> 32), 64495)
                           : 131072 + below32((uint32_t)(r >> 32), 270000);
        if (asn == 23456) continue;
        int dup = 0;
        for (uint32_t j = 0; j < i && !dup; j++) dup = g->as_table[j] == asn;
        if (!dup) g->as_table[i++] = asn;
    }
    return 0;
}

int synth_init(synth *g, const synth_params *p, c2_err *err)
{
    memset(g, 0, sizeof *g);
    if (p->hosts < 2 || p->hosts > SYNTH_MAX_HOSTS)
        return c2_fail(err, "synth: hosts must be 2..%u, not %u",
                       SYNTH_MAX_HOSTS, p->hosts);
    if (p->exporters < 1 || p->exporters > SYNTH_MAX_EXPORTERS)
        return c2_fail(err, "synth: exporters must be 1..%u, not %u",
                       SYNTH_MAX_EXPORTERS, p->exporters);
    if (p->interfaces < 2 || p->interfaces > 65535)
        return c2_fail(err, "synth: interfaces must be 2..65535, not %u",
                       p->interfaces);
    if (!(p->ipv6_share >= 0.0 && p->ipv6_share <= 1.0))
        return c2_fail(err, "synth: IPv6 share must be within 0..1");
    if (!(p->flow_rate >= 0.001 && p->flow_rate <= 1e9))
        return c2_fail(err, "synth: flow rate must be 0.001..1e9 flows/s");
    if (p->sampling < 1)
        return c2_fail(err, "synth: sampling interval must be at least 1");
    g->p = *p;
    if (build_pool(g, err) != 0 || build_as_table(g, err) != 0) return -1;
    uint64_t x = p->seed;
    for (int i = 0; i < 4; i++) g->rng[i] = splitmix64(&x);
    double zipf_log = log2_pos((double)p->hosts + 1.0);
    for (int j = 0; j <= SYNTH_TABLE; j++) {
        double u = (double)j / SYNTH_TABLE;
        g->zipf_tab[j] = (uint64_t)(pow2(u * zipf_log) * (1 << ZIPF_FRAC) + 0.5);
        g->pkts_tab[j] = (uint64_t)(pow2(7.0 * LOG2_E * u * u) * (1 << PKTS_FRAC) + 0.5);
    }
    for (int i = 0; i < SYNTH_AHEAD; i++) draw_who(g, &g->ahead[i]);
    g->step = (uint64_t)(16e9 / p->flow_rate + 0.5);
    if (g->step < 2) g->step = 2;
    g->v6_below = (uint64_t)(p->ipv6_share * 4294967296.0);
    /* mean gap between a flow's packets: gap_us[k] = 1000 * 1000^(k/255) */
    for (int k = 0; k < 256; k++)
        g->gap_us[k] = (uint32_t)(1000.0 * pow2((double)k / 255.0 * LOG2_1000) + 0.5);
    return 0;
}

void synth_free(synth *g)
{
    free(g->pool);
    free(g->as_table);
    g->pool = NULL;
    g->as_table = NULL;
}

int64_t synth_span_ms(const synth_params *p, uint64_t records)
{
    double ms = (double)records * 1000.0 / p->flow_rate;
    return ms < 1e18 ? (int64_t)ms + 2 : (int64_t)1e18;     /* 31 million years */
}

/* ---- records ---- */

/* TCP flags by kind of flow, chosen by an 8-bit draw against cumulative
 * thresholds (out of 256). */
typedef struct flag_pick { uint16_t below; uint8_t flags; } flag_pick;
static const flag_pick flags_one[] = {              /* single-packet flows */
    {102, 0x10}, {166, 0x02}, {204, 0x04}, {230, 0x14}, {256, 0x11}};
static const flag_pick flags_full[] = {             /* complete connections */
    {154, 0x1b}, {174, 0x1f}, {200, 0x1a}, {220, 0x18}, {230, 0x12},
    {243, 0x16}, {256, 0x19}};
static const flag_pick flags_active[] = {           /* cut by active timeout */
    {77, 0x1a}, {205, 0x18}, {256, 0x10}};

static inline uint8_t pick_flags(const flag_pick *t, uint32_t r8)
{
    while (r8 >= t->below) t++;
    return t->flags;
}

static const uint16_t other_tcp_ports[] = {
    22, 25, 110, 143, 465, 587, 993, 995, 1723, 1935, 3306, 3389, 5222,
    5432, 8000, 8080, 8443, 8888};
static const uint16_t other_udp_ports[] = {
    123, 500, 1194, 1900, 3478, 4500, 5060, 19302, 27015, 51820};
#define NELEM(a) (sizeof (a) / sizeof (a)[0])

/* ICMP type<<8|code for IPv4 and ICMPv6, cumulative out of 256. */
static const struct { uint16_t below, v4, v6; } icmp_kinds[] = {
    {102, 0x0800, 0x8000},      /* echo request */
    {179, 0x0000, 0x8100},      /* echo reply */
    {217, 0x0303, 0x0104},      /* port unreachable */
    {230, 0x0301, 0x0103},      /* host / address unreachable */
    {256, 0x0b00, 0x0300}};     /* time exceeded */

static void one_record(synth *g, flow_record *r)
{
    synth_who who = g->ahead[g->ahead_pos];
    draw_who(g, &g->ahead[g->ahead_pos]);
    g->ahead_pos = (g->ahead_pos + 1) % SYNTH_AHEAD;

    uint64_t *s = g->rng;
    uint64_t r2 = xoshiro(s), r3 = xoshiro(s), r4 = xoshiro(s);
    uint32_t si = who.src, di = who.dst;
    int v6 = (uint64_t)(uint32_t)r4 < g->v6_below;

    /* what: the port mix, per ten thousand */
    uint32_t kind = below32(who.kind, 10000);
    uint16_t r3_size = (uint16_t)(r3 >> 32), r3_sport = (uint16_t)(r3 >> 16);
    uint32_t r3_tos = (uint32_t)(r3 >> 48) & 0xff, r3_flags = (uint32_t)(r3 >> 56);
    uint32_t gap_k = (uint32_t)(r4 >> 48) & 0xff;
    uint8_t proto = 6;
    uint16_t sport = (uint16_t)(32768 + below16(r3_sport, 32768)), dport;
    uint32_t size, pkts;
    int syn_scan = 0;
    if (kind < 4500) dport = 443;
    else if (kind < 6500) dport = 80;
    else if (kind < 8000) { dport = 53; proto = 17; }
    else if (kind < 8200) { dport = 23; syn_scan = 1; }
    else {
        uint64_t r5 = xoshiro(s);
        uint32_t q = below32((uint32_t)r5, 100);
        uint32_t pick = (uint32_t)(r5 >> 32);
        if (q < 95) {
            proto = q < 70 ? 6 : 17;
            if (pick & 1) {         /* a known service, else any high port */
                dport = proto == 6
                    ? other_tcp_ports[below32(pick, NELEM(other_tcp_ports))]
                    : other_udp_ports[below32(pick, NELEM(other_udp_ports))];
            } else {
                dport = (uint16_t)(1024 + below16(pick >> 16, 64512));
            }
        } else {
            uint32_t k = 0, r8 = pick >> 24;
            while (r8 >= icmp_kinds[k].below) k++;
            proto = v6 ? 58 : 1;
            dport = v6 ? icmp_kinds[k].v6 : icmp_kinds[k].v4;
            sport = 0;
        }
    }

    /* how much: heavy-tailed packets, mean about 85 */
    if (syn_scan) {
        pkts = 1 + (uint32_t)(r2 & 1);
        static const uint8_t syn_size[3] = {40, 44, 60};
        size = syn_size[below16(r3_size, 3)];
    } else {
        pkts = (uint32_t)(table_lookup(g->pkts_tab, r2) >> PKTS_FRAC);  /* e^(7u^2) */
        size = dport == 53 && proto == 17 ? 60 + below16(r3_size, 453)
                                          : 40 + below16(r3_size, 1461);
    }
    uint64_t dur = 0;
    if (pkts > 1) {
        dur = (uint64_t)(pkts - 1) * g->gap_us[gap_k] / 1000;
        if (dur > SYNTH_ACTIVE_TIMEOUT_MS) dur = SYNTH_ACTIVE_TIMEOUT_MS;
    }
    uint8_t flags = 0;
    if (proto == 6) {
        if (syn_scan) flags = 0x02;
        else if (dur == SYNTH_ACTIVE_TIMEOUT_MS) flags = pick_flags(flags_active, r3_flags);
        else if (pkts == 1) flags = pick_flags(flags_one, r3_flags);
        else flags = pick_flags(flags_full, r3_flags);
    }
    uint8_t tos = r3_tos < 236 ? 0 : r3_tos < 246 ? 0x28 : r3_tos < 251 ? 0xb8 : 0x20;

    /* when: record i ends at (i + u) / flow_rate, u uniform in [0, 1): the
     * jitter does not accumulate, and end times never decrease */
    uint64_t step = g->step;
    int64_t end = g->p.start_ms +
                  (int64_t)((g->clock + ((step * (r3 & 0xffff)) >> 16)) / 16000000u);
    g->clock += step;

    /* where: the source's router and access interface, uplink by dst AS */
    uint32_t hr = mix32(si ^ 0x9e3779b9u ^ (uint32_t)g->p.seed);
    uint32_t router = below32(hr, g->p.exporters);
    uint32_t nif = g->p.interfaces;
    uint32_t in_if = 1 + below32(mix32(hr), nif);

    if (v6) {
        host_v6(g, si, &r->src_addr);
        host_v6(g, di, &r->dst_addr);
        r->src_as = as_of_v6(g, &r->src_addr);
        r->dst_as = as_of_v6(g, &r->dst_addr);
    } else {
        uint32_t sa = g->pool[si], da = g->pool[di];
        addr_v4(&r->src_addr, sa);
        addr_v4(&r->dst_addr, da);
        r->src_as = as_of_v4(g, sa);
        r->dst_as = as_of_v4(g, da);
    }
    uint32_t out_if = 1 + below32(mix32(r->dst_as), nif - 1);
    if (out_if >= in_if) out_if++;              /* never the input interface */

    uint32_t sampling = g->p.sampling;
    r->start_ms = end - (int64_t)dur;
    r->end_ms = end;
    r->packets = (uint64_t)pkts * sampling;
    r->bytes = (uint64_t)pkts * size * sampling;
    synth_exporter_addr(router, &r->exporter);
    r->domain = router + 1;
    r->in_if = in_if;
    r->out_if = out_if;
    r->sampling = sampling;
    r->src_port = sport;
    r->dst_port = dport;
    r->proto = proto;
    r->tcp_flags = flags;
    r->tos = tos;
    r->reserved = 0;
}

size_t synth_next(synth *g, flow_record *out, size_t n)
{
    for (size_t i = 0; i < n; i++) one_record(g, &out[i]);
    g->emitted += n;
    return n;
}
