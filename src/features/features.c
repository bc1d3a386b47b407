/*
 * features.c: one day of flows -> one feature row per busy server
 * (features.h, docs/features.md).
 *
 * Each UTC day is read once, every server's figures gathered in one
 * table (a day of a 1,000,000-subscriber ISP has about 2.5 million
 * servers, far more than the cache holds), and the servers at least
 * min_clients customer hosts reached (probe_clients for a scanner's
 * targets, which got SYN-only probes alone) become rows.  Days run on
 * separate threads; the rows are sorted by server and day at the end,
 * when the days-active count over the last week is filled in.
 *
 * Servers are told apart in the tables by a 64-bit hash of their key: two
 * servers of one day sharing a hash (odds about n^2 / 2^65, so 1 in 10^5
 * for ten million servers) would be counted as one.
 */
#include "features/features.h"

#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

static const char *const names[FEATURE_COUNT] = {
    "clients", "infected", "infected_share", "records", "flows_per_client",
    "out_share", "bytes_out_share", "bpp_mean", "bpp_sd", "bpp_p10", "bpp_p50",
    "bpp_p90", "pkts_per_flow", "duration_mean", "duration_zero", "syn_only",
    "hour_entropy", "hour_peak", "dispersion", "active_bins", "port_class",
    "port_service", "ip_proto", "days_active", "client_spread",
};

const char *feature_name(size_t i)
{
    return i < FEATURE_COUNT ? names[i] : NULL;
}

const char *const *feature_names(void)
{
    return names;
}

void feature_table_free(feature_table *t)
{
    free(t->row);
    memset(t, 0, sizeof *t);
}

/* ---- small pieces ---- */

#define KMV_K FEATURE_SKETCH     /* distinct counting: exact below 16 */
#define BPP_BINS 24              /* bytes per packet in 64-byte bins */
#define DAY_BINS 48              /* half hours */

/* Keep in v (*n values, ascending) the KMV_K smallest hashes seen. */
static void kmv_add(uint32_t *v, uint8_t *n, uint32_t h)
{
    if (*n == KMV_K && h >= v[KMV_K - 1]) return;
    uint32_t i = 0;
    while (i < *n && v[i] < h) i++;
    if (i < *n && v[i] == h) return;
    uint32_t m = *n < KMV_K ? *n : KMV_K - 1;
    memmove(v + i + 1, v + i, (m - i) * sizeof *v);
    v[i] = h;
    if (*n < KMV_K) (*n)++;
}

static double kmv_estimate(const uint32_t *v, uint32_t n)
{
    if (n < KMV_K) return n;
    return (double)(KMV_K - 1) * 4294967296.0 / ((double)v[KMV_K - 1] + 1.0);
}

static uint64_t addr_hash(const flow_addr *a)
{
    return c2_mix64(c2_get64(a->b) ^ c2_mix64(c2_get64(a->b + 8) + 0x9e3779b97f4a7c15ull));
}

/* A client's hash: the value of the row's sketch, and what the infected
 * hosts are matched by. */
static uint32_t client_hash(const flow_addr *a)
{
    return (uint32_t)addr_hash(a);
}

static uint64_t server_hash(const flow_addr *ip, uint16_t port, uint8_t proto)
{
    uint64_t h = addr_hash(ip) ^ ((uint64_t)port << 8 | proto);
    h = c2_mix64(h);
    return h ? h : 1;            /* 0 marks an empty slot */
}

/* The client's network: /16 of IPv4, /40 of IPv6 (a customer's allocation
 * is longer), hashed. */
static uint32_t prefix_hash(const flow_addr *a)
{
    flow_addr p = {{0}};
    if (flow_addr_is_v4(a)) memcpy(p.b, a->b, 14);
    else memcpy(p.b, a->b, 5);
    return (uint32_t)addr_hash(&p);
}

static int port_service(uint16_t port)
{
    static const uint16_t common[] = {
        20, 21, 22, 25, 53, 80, 110, 123, 143, 443, 465, 587, 853, 993, 995, 1935,
        3478, 5222, 5223, 5228, 8080, 8443,
    };
    for (size_t i = 0; i < sizeof common / sizeof common[0]; i++)
        if (common[i] == port) return 1;
    return 0;
}

/* ---- the day's servers ----
 *
 * Most servers of a day are seen once (86 % of them on a simulated day of
 * a 1,000,000-subscriber ISP) and never become rows.  So a server's first
 * record is kept as it came, in a 48-byte sighting, and only a second
 * record gives it the full figures (an acc, six cache lines), into which
 * the sighting is replayed: a day's tables take a third of the memory
 * (424 MB instead of 1.2 GB for such a day), and little of what is
 * allocated is zeroed for nothing.  With min_clients 1 a server seen
 * once is a row unless its record was a SYN-only probe (probe_clients,
 * at least 2, asks more of those), so only a probe starts as a sighting;
 * with probe_clients 1 too, every server gets its figures at once.
 *
 * A batch is taken in three loops so that the cache misses of each
 * (the server's slot, then its figures) are fetched ahead and overlap:
 * the rows' server hashes (prepare), their figures' places (resolve) and
 * the counting (accumulate).  The records of a server are counted in the
 * order they came, the sighting first.
 */

typedef struct sighting {        /* one record of a server, as counted */
    uint64_t packets, bytes;
    int64_t  start, end;
    uint32_t sampling;
    uint32_t client, prefix;     /* hashes of the customer host and its network */
    uint8_t  out, tcp_flags, pad[2];
} sighting;

typedef struct acc {             /* one server's figures of the day */
    flow_addr ip;
    uint16_t  port;
    uint8_t   proto;
    uint8_t   n_clients, n_prefixes, pad[3];
    uint32_t  records, out_records, tcp, syn_only, zero_dur;
    uint32_t  sized;             /* records with packets: bytes per packet known */
    uint64_t  bytes, bytes_out;
    double    bpp_sum, bpp_sq, samples, dur_sum;
    int64_t   first, last;
    uint16_t  bpp_hist[BPP_BINS];
    uint16_t  bins[DAY_BINS];
    uint32_t  clients[KMV_K];    /* the smallest hashes of clients and of */
    uint32_t  prefixes[KMV_K];   /* their networks, ascending (kmv_add) */
} acc;

#define ACC_LINES 6
_Static_assert(sizeof(acc) == ACC_LINES * 64, "an acc is six cache lines");

/* Items of one size in 64-byte-aligned chunks that never move. */
typedef struct pool {
    uint8_t **chunk;
    uint32_t  n, n_chunk, cap_chunk;
    uint32_t  size, shift;       /* item bytes; 1 << shift items a chunk */
} pool;

static void *pool_at(const pool *p, uint32_t i)
{
    return p->chunk[i >> p->shift] + (size_t)(i & ((1u << p->shift) - 1)) * p->size;
}

/* A new item (uninitialised) and its index; NULL when out of memory. */
static void *pool_add(pool *p, uint32_t *idx)
{
    if (p->n == (uint64_t)p->n_chunk << p->shift) {
        if (p->n >= 1u << 30) return NULL;      /* a billion servers a day */
        if (p->n_chunk == p->cap_chunk) {
            uint32_t cap = p->cap_chunk ? p->cap_chunk * 2 : 64;
            uint8_t **c = realloc(p->chunk, cap * sizeof *c);
            if (!c) return NULL;
            p->chunk = c;
            p->cap_chunk = cap;
        }
        p->chunk[p->n_chunk] = aligned_alloc(64, (size_t)p->size << p->shift);
        if (!p->chunk[p->n_chunk]) return NULL;
        p->n_chunk++;
    }
    *idx = p->n++;
    return pool_at(p, *idx);
}

static void pool_free(pool *p)
{
    for (uint32_t i = 0; i < p->n_chunk; i++) free(p->chunk[i]);
    free(p->chunk);
    p->chunk = NULL;
    p->n = p->n_chunk = p->cap_chunk = 0;
}

#define REF_SIGHTING 0x80000000u /* slot ref: a sighting's index, not an acc's */
#define REF_NONE     UINT32_MAX  /* row ref: nothing (left) to count */

typedef struct slot {
    uint64_t key;                /* server hash, 0 empty */
    uint32_t ref;                /* acc index, or REF_SIGHTING | sighting index */
    uint32_t pad;
} slot;

#define PREFETCH_AHEAD 8         /* rows whose slot or figures are fetched ahead */

/* A day's tables.  A worker keeps its own from one day to the next, so a
 * day after the first starts on memory already mapped (a day of a
 * 1,000,000-subscriber ISP fills about 400 MB), not on fresh pages the
 * kernel must zero again. */
typedef struct day_tables {
    slot     *slot;
    size_t    cap_slot, n_slot;
    pool      accs, sights;
    uint8_t  *s_in, *d_in;
    uint64_t *key;               /* per row of the batch: its server's hash, */
    uint32_t *client, *prefix;   /* ... its customer's and network's hashes, */
    uint32_t *ref;               /* ... and the acc it counts into */
    size_t    cap_rows;
} day_tables;

typedef struct day_run {
    const features_input *in;
    int64_t   day, from, to;
    int       whole;             /* a whole UTC day */
    uint64_t  store_records, store_segments, fingerprint;
    int       cached;            /* rows read from the cache */
    int       unsaved;           /* rows that could not be kept */
    c2_err    unsaved_msg;
    uint32_t  min_clients, probe_clients;  /* features_input's, defaults applied */
    day_tables *t;               /* the worker's */
    uint64_t  records, oriented, damaged;
    feature_table out;
} day_run;

static int slots_grow(day_run *R)
{
    size_t cap = R->t->cap_slot ? R->t->cap_slot * 2 : 1u << 16;
    slot *t = calloc(cap, sizeof *t);
    if (!t) return -1;
    for (size_t i = 0; i < R->t->cap_slot; i++) {
        if (!R->t->slot[i].key) continue;
        size_t j = R->t->slot[i].key & (cap - 1);
        while (t[j].key) j = (j + 1) & (cap - 1);
        t[j] = R->t->slot[i];
    }
    free(R->t->slot);
    R->t->slot = t;
    R->t->cap_slot = cap;
    return 0;
}

/* The slot of key: its own, or the empty one it would take. */
static slot *slot_find(const day_run *R, uint64_t key)
{
    size_t mask = R->t->cap_slot - 1, j = key & mask;
    while (R->t->slot[j].key && R->t->slot[j].key != key) j = (j + 1) & mask;
    return &R->t->slot[j];
}

/* Empty tables for the next day, their memory kept. */
static void tables_reset(day_tables *t)
{
    if (t->n_slot) memset(t->slot, 0, t->cap_slot * sizeof *t->slot);
    t->n_slot = 0;
    t->accs.n = t->sights.n = 0;
}

/* The per-row arrays of a batch. */
static void rows_free(day_tables *t)
{
    free(t->s_in);
    free(t->d_in);
    free(t->key);
    free(t->client);
    free(t->prefix);
    free(t->ref);
    t->cap_rows = 0;
}

static void tables_free(day_tables *t)
{
    free(t->slot);
    pool_free(&t->accs);
    pool_free(&t->sights);
    rows_free(t);
    memset(t, 0, sizeof *t);
}

/* ---- reading a day ---- */

#define DAY_FIELDS (FLOW_BIT(FLOW_START) | FLOW_BIT(FLOW_END) | FLOW_BIT(FLOW_SRC_ADDR) |   \
                    FLOW_BIT(FLOW_DST_ADDR) | FLOW_BIT(FLOW_SRC_PORT) |                    \
                    FLOW_BIT(FLOW_DST_PORT) | FLOW_BIT(FLOW_PROTO) |                       \
                    FLOW_BIT(FLOW_TCP_FLAGS) | FLOW_BIT(FLOW_PACKETS) |                    \
                    FLOW_BIT(FLOW_BYTES) | FLOW_BIT(FLOW_SAMPLING))

typedef struct oriented {
    const flow_addr *host, *server;
    uint16_t port;
    uint8_t  proto, out;         /* out: the customer sent it */
} oriented;

/* Row i's sides, with out = 1 when the customer sent it. */
static void sides(const flow_batch *b, size_t i, uint8_t out, oriented *o)
{
    o->out = out;
    o->host = o->out ? &b->src_addr[i] : &b->dst_addr[i];
    o->server = o->out ? &b->dst_addr[i] : &b->src_addr[i];
    o->proto = b->proto[i];
    o->port = o->out ? b->dst_port[i] : b->src_port[i];
    if (o->proto == 1 || o->proto == 58) o->port = 0;
}

/* Which side is the customer's, as method 1 sees it: one side inside, the
 * other outside, and no outside scanner's SYN to a customer. */
static int orient(const flow_batch *b, size_t i, const day_run *R, oriented *o)
{
    if (R->t->s_in[i] == R->t->d_in[i]) return 0;
    sides(b, i, R->t->s_in[i], o);
    return o->out || o->proto != 6 ||
           (b->tcp_flags[i] & (FLOW_TCP_SYN | FLOW_TCP_ACK)) != FLOW_TCP_SYN;
}

/* Row i as counted (prepare has hashed its customer side). */
static void sight(const day_run *R, const flow_batch *b, size_t i, sighting *s)
{
    s->packets = b->packets[i];
    s->bytes = b->bytes[i];
    s->start = b->start_ms[i];
    s->end = b->end_ms[i];
    s->sampling = b->sampling[i];
    s->client = R->t->client[i];
    s->prefix = R->t->prefix[i];
    s->out = R->t->s_in[i];
    s->tcp_flags = b->tcp_flags[i];
}

/* Count one into a histogram of 16-bit counters; a full counter halves
 * them all, which keeps the shape (all the figures taken from a histogram
 * are shares) for the few servers with more than 65,535 records a day. */
static void hist_count(uint16_t *h, size_t n, size_t i)
{
    if (++h[i] < UINT16_MAX) return;
    for (size_t j = 0; j < n; j++) h[j] = (uint16_t)((h[j] + 1) / 2);
}

static void add_record(const day_run *R, acc *a, const sighting *r)
{
    uint64_t pk = r->packets, by = r->bytes;
    uint32_t n = r->sampling ? r->sampling : 1;
    a->records++;
    a->out_records += r->out;
    a->bytes += by;
    if (r->out) a->bytes_out += by;
    if (pk) {
        double bpp = (double)by / (double)pk;
        a->bpp_sum += bpp;
        a->bpp_sq += bpp * bpp;
        uint32_t bin = bpp >= 64.0 * (BPP_BINS - 1) ? BPP_BINS - 1 : (uint32_t)(bpp / 64);
        hist_count(a->bpp_hist, BPP_BINS, bin);
        a->sized++;
    }
    a->samples += pk / n ? (double)(pk / n) : 1.0;
    int64_t s = r->start, e = r->end;
    a->dur_sum += e > s ? (double)(e - s) / 1000.0 : 0.0;
    a->zero_dur += e <= s;
    a->tcp += a->proto == 6;
    a->syn_only += flow_tcp_syn_only(a->proto, r->tcp_flags);
    int64_t k = (s - R->day) / (C2_MS_PER_DAY / DAY_BINS);
    if (k >= 0 && k < DAY_BINS) hist_count(a->bins, DAY_BINS, (size_t)k);
    if (s < a->first) a->first = s;
    if (s > a->last) a->last = s;
    kmv_add(a->clients, &a->n_clients, r->client);
    kmv_add(a->prefixes, &a->n_prefixes, r->prefix);
}

/* A server's figures, none counted yet. */
static acc *acc_new(day_run *R, const oriented *o, uint32_t *idx)
{
    acc *a = pool_add(&R->t->accs, idx);
    if (!a) return NULL;
    memset(a, 0, sizeof *a);
    a->ip = *o->server;
    a->port = o->port;
    a->proto = o->proto;
    a->first = INT64_MAX;
    a->last = INT64_MIN;
    return a;
}

static int rows_room(day_run *R, size_t n)
{
    day_tables *t = R->t;
    if (n <= t->cap_rows) return 0;
    rows_free(t);
    t->s_in = malloc(n);
    t->d_in = malloc(n);
    t->key = malloc(n * sizeof *t->key);
    t->client = malloc(n * sizeof *t->client);
    t->prefix = malloc(n * sizeof *t->prefix);
    t->ref = malloc(n * sizeof *t->ref);
    t->cap_rows = t->s_in && t->d_in && t->key && t->client && t->prefix && t->ref ? n : 0;
    return t->cap_rows ? 0 : -1;
}

/* Per row: its server's hash, 0 when the row is not looked at, and the
 * hashes of its customer side (the only time the addresses are read). */
static void prepare(day_run *R, const flow_batch *b)
{
    for (size_t i = 0; i < b->count; i++) {
        oriented o;
        R->t->key[i] = 0;
        if (!orient(b, i, R, &o)) continue;
        R->t->key[i] = server_hash(o.server, o.port, o.proto);
        R->t->client[i] = client_hash(o.host);
        R->t->prefix[i] = prefix_hash(o.host);
        R->oriented++;
    }
}

/* Whether a server's first record waits as a sighting: when one record
 * cannot make a row (it has one client; a probe needs probe_clients). */
static int waits(const day_run *R, uint8_t proto, uint8_t tcp_flags)
{
    return R->min_clients > 1 || (R->probe_clients > 1 && flow_tcp_syn_only(proto, tcp_flags));
}

/* A server seen for the first time: a slot, and either a sighting of row
 * i (*ref = REF_NONE: nothing left to count) or new figures to count it
 * into, when one record may make a row.  -1: out of memory. */
static int first_seen(day_run *R, uint64_t key, const flow_batch *b, size_t i,
                      const oriented *o, uint32_t *ref)
{
    if (2 * (R->t->n_slot + 1) > R->t->cap_slot && slots_grow(R) < 0) return -1;
    slot *s = slot_find(R, key);
    uint32_t idx;
    if (waits(R, o->proto, b->tcp_flags[i])) {
        sighting *g = pool_add(&R->t->sights, &idx);
        if (!g) return -1;
        sight(R, b, i, g);
        s->ref = REF_SIGHTING | idx;
        *ref = REF_NONE;
    } else {
        if (!acc_new(R, o, &idx)) return -1;
        s->ref = *ref = idx;
    }
    s->key = key;
    R->t->n_slot++;
    return 0;
}

/* Per row: the figures it counts into (R->t->ref), REF_NONE when the row is
 * not looked at or became its server's sighting.  A server's second
 * record turns its sighting into figures.  -1: out of memory. */
static int resolve(day_run *R, const flow_batch *b)
{
    for (size_t i = 0; i < b->count; i++) {
        uint64_t key = R->t->key[i], ahead;
        if (i + PREFETCH_AHEAD < b->count && (ahead = R->t->key[i + PREFETCH_AHEAD]))
            __builtin_prefetch(&R->t->slot[ahead & (R->t->cap_slot - 1)]);
        R->t->ref[i] = REF_NONE;
        if (!key) continue;
        slot *s = slot_find(R, key);
        if (s->key && !(s->ref & REF_SIGHTING)) {
            R->t->ref[i] = s->ref;
            continue;
        }
        oriented o;
        sides(b, i, R->t->s_in[i], &o);
        if (!s->key) {
            if (first_seen(R, key, b, i, &o, &R->t->ref[i]) < 0) return -1;
            continue;
        }
        uint32_t idx;
        acc *a = acc_new(R, &o, &idx);
        if (!a) return -1;
        add_record(R, a, pool_at(&R->t->sights, s->ref & ~REF_SIGHTING));
        s->ref = idx;
        R->t->ref[i] = idx;
    }
    return 0;
}

/* Count every row into the figures resolve found for it, fetching the
 * figures of the row PREFETCH_AHEAD on. */
static void accumulate(day_run *R, const flow_batch *b)
{
    for (size_t i = 0; i < b->count; i++) {
        size_t j = i + PREFETCH_AHEAD;
        uint32_t ahead = j < b->count ? R->t->ref[j] : REF_NONE;
        if (ahead != REF_NONE) {
            const char *p = pool_at(&R->t->accs, ahead);
            for (int l = 0; l < ACC_LINES; l++) __builtin_prefetch(p + 64 * l, 1);
        }
        if (R->t->ref[i] == REF_NONE) continue;
        sighting r;
        sight(R, b, i, &r);
        add_record(R, pool_at(&R->t->accs, R->t->ref[i]), &r);
    }
}

static int batch(day_run *R, const flow_batch *b)
{
    ipset_contains_batch(R->in->internal, b->src_addr, b->count, R->t->s_in);
    ipset_contains_batch(R->in->internal, b->dst_addr, b->count, R->t->d_in);
    prepare(R, b);
    if (resolve(R, b) < 0) return -1;
    accumulate(R, b);
    R->records += b->count;
    return 0;
}

static int scan_day(day_run *R, c2_err *err)
{
    store_scan_spec spec = {.from_ms = R->from, .to_ms = R->to, .fields = DAY_FIELDS};
    store_scan *sc;
    flow_batch *b;
    int rc;
    tables_reset(R->t);
    if (!R->t->cap_slot && slots_grow(R) < 0) return c2_fail(err, "out of memory");
    if (store_scan_open(R->in->store, &spec, &sc, err) != 0) return -1;
    while ((rc = store_scan_next(sc, &b, err)) != 0) {
        if (rc < 0) {           /* a damaged block: store_check names it */
            R->damaged++;
            continue;
        }
        if (rows_room(R, b->count) < 0 || batch(R, b) < 0) {
            rc = -2;
            break;
        }
    }
    store_scan_close(sc);
    if (rc == -2) c2_fail(err, "out of memory");
    return rc < 0 ? -1 : 0;
}

/* ---- figures of a server ---- */

static float quantile(const uint16_t *hist, uint32_t total, double q)
{
    if (!total) return NAN;
    double want = q * total, run = 0;
    for (int i = 0; i < BPP_BINS; i++) {
        if (run + hist[i] >= want && hist[i]) {
            double part = (want - run) / hist[i];
            return (float)(64.0 * (i + part));
        }
        run += hist[i];
    }
    return 64.0f * BPP_BINS;
}

static void time_profile(const acc *a, float *v)
{
    double hour[24] = {0}, n = 0, sq = 0;
    uint32_t active = 0;
    for (int i = 0; i < DAY_BINS; i++) {
        hour[i / 2] += a->bins[i];
        n += a->bins[i];
        sq += (double)a->bins[i] * a->bins[i];
        active += a->bins[i] != 0;
    }
    double ent = 0, peak = 0;
    for (int h = 0; h < 24 && n > 0; h++) {
        if (hour[h] > 0) ent -= hour[h] / n * log(hour[h] / n);
        if (hour[h] > peak) peak = hour[h];
    }
    double mean = n / DAY_BINS, var = sq / DAY_BINS - mean * mean;
    v[F_HOUR_ENTROPY] = (float)(ent / log(24.0));
    v[F_HOUR_PEAK] = n > 0 ? (float)(peak / (n / 24)) : 0;
    v[F_DISPERSION] = mean > 0 ? (float)((var - mean) / (mean * mean)) : 0;
    v[F_ACTIVE_BINS] = (float)active / DAY_BINS;
}

static void row_of(const acc *a, int64_t day, feature_row *r)
{
    memset(r, 0, sizeof *r);
    r->ip = a->ip;
    r->port = a->port;
    r->proto = a->proto;
    r->day = day;
    r->first = a->first;
    r->last = a->last;
    double clients = kmv_estimate(a->clients, a->n_clients);
    r->clients = (uint32_t)(clients + 0.5);
    r->sketch_n = a->n_clients;
    memcpy(r->sketch, a->clients, sizeof r->sketch);
    float *v = r->v;
    double n = a->records;
    v[F_CLIENTS] = (float)log2(1 + clients);
    /* F_INFECTED and F_INFECTED_SHARE: for the window (mark_infected) */
    v[F_RECORDS] = (float)log2(1 + n);
    v[F_FLOWS_PER_CLIENT] = clients > 0 ? (float)(n / clients) : 0;
    v[F_OUT_SHARE] = (float)(a->out_records / n);
    v[F_BYTES_OUT_SHARE] = a->bytes ? (float)((double)a->bytes_out / (double)a->bytes) : 0;
    double sized = a->sized, mean = a->bpp_sum / sized, var = a->bpp_sq / sized - mean * mean;
    v[F_BPP_MEAN] = a->sized ? (float)mean : NAN;
    v[F_BPP_SD] = a->sized ? (float)(var > 0 ? sqrt(var) : 0) : NAN;
    uint32_t hist_n = 0;
    for (int i = 0; i < BPP_BINS; i++) hist_n += a->bpp_hist[i];
    v[F_BPP_P10] = quantile(a->bpp_hist, hist_n, 0.1);
    v[F_BPP_P50] = quantile(a->bpp_hist, hist_n, 0.5);
    v[F_BPP_P90] = quantile(a->bpp_hist, hist_n, 0.9);
    v[F_PKTS_PER_FLOW] = (float)(a->samples / n);
    v[F_DURATION_MEAN] = (float)(a->dur_sum / n);
    v[F_DURATION_ZERO] = (float)(a->zero_dur / n);
    v[F_SYN_ONLY] = a->tcp ? (float)a->syn_only / (float)a->tcp : NAN;
    time_profile(a, v);
    v[F_PORT_CLASS] = a->port < 1024 ? 0.0f : a->port < 49152 ? 1.0f : 2.0f;
    v[F_PORT_SERVICE] = (float)port_service(a->port);
    v[F_PROTO] = a->proto;
    v[F_DAYS_ACTIVE] = 1;                /* filled in over the window */
    double prefixes = kmv_estimate(a->prefixes, a->n_prefixes);
    v[F_CLIENT_SPREAD] = clients > 0 ? (float)(prefixes / clients) : 0;
}

static int row_order(const void *pa, const void *pb);

/* SYN-only records a scanner sends one target, at most: more from each
 * client is a host knocking on one server (a bot whose C2 is down). */
#define PROBES_PER_TARGET 2

/* Whether enough clients reached the server for a row: a scanner's
 * targets (a probe or two from each client, nothing else) need more, or a
 * day of an ISP with scanning bots has millions of rows that say nothing. */
static int busy(const day_run *R, const acc *a)
{
    double clients = kmv_estimate(a->clients, a->n_clients);
    int probed = a->syn_only == a->records && a->records <= PROBES_PER_TARGET * clients;
    return clients + 0.5 >= R->min_clients && (!probed || clients + 0.5 >= R->probe_clients);
}

/* The day's rows of the busy servers, in server order (the order of the
 * cache, and of the table once the days are together). */
static int day_rows(day_run *R, c2_err *err)
{
    for (uint32_t i = 0; i < R->t->accs.n; i++) {
        const acc *a = pool_at(&R->t->accs, i);
        if (!busy(R, a)) continue;
        if (R->out.n == R->out.cap) {
            size_t cap = R->out.cap ? R->out.cap * 2 : 1024;
            feature_row *p = realloc(R->out.row, cap * sizeof *p);
            if (!p) return c2_fail(err, "out of memory");
            R->out.row = p;
            R->out.cap = cap;
        }
        row_of(a, R->day, &R->out.row[R->out.n++]);
    }
    if (R->out.n) qsort(R->out.row, R->out.n, sizeof *R->out.row, row_order);
    return 0;
}

/* ---- the day cache ---- */

#define FEATURES_VERSION 1       /* part of every fingerprint */

/* A whole day that is over and still inside the store's retention (the
 * rows hold hashes of customer addresses: they live no longer than the
 * flows). */
static int keepable(const day_run *R)
{
    int64_t now = c2_now_ms(), keep = store_get_options(R->in->store)->retention_ms;
    return R->in->incremental && R->in->cache_dir && R->whole && R->to <= now &&
           (keep <= 0 || R->to > now - keep);
}

/* 1 loaded, 0 absent or stale, -1 unreadable or damaged (recomputed). */
static int cache_load(day_run *R, c2_err *err)
{
    char path[4096];
    uint8_t *buf;
    size_t len;
    if (c2_day_path(R->in->cache_dir, "features", "rows", R->day, path, sizeof path, err) < 0)
        return -1;
    int rc = c2_file_read(path, FEATURES_CACHE_MAX_BYTES, &buf, &len, err);
    if (rc <= 0) return rc;
    int64_t day;
    uint64_t fp;
    rc = features_cache_decode(buf, len, &day, &fp, &R->out, err);
    free(buf);
    if (rc == 0 && (day != R->day || fp != R->fingerprint)) rc = 0;
    else if (rc == 0) return 1;
    feature_table_free(&R->out);
    return rc;
}

static int cache_save(day_run *R, c2_err *err)
{
    char path[4096];
    uint8_t *buf;
    size_t len;
    if (c2_day_path(R->in->cache_dir, "features", "rows", R->day, path, sizeof path, err) < 0 ||
        c2_mkdir_p(R->in->cache_dir, C2_PRIVATE, err) < 0 ||
        features_cache_encode(&R->out, R->day, R->fingerprint, &buf, &len, err) < 0)
        return -1;
    int rc = c2_file_replace(path, buf, len, C2_PRIVATE, err);
    free(buf);
    return rc;
}

/* A day's rows: from the cache when it still holds them, else from the
 * store (and kept, when they may be).  A cache file that cannot be
 * written costs the next run time, not this run its rows. */
static int run_day(day_run *R, c2_err *err)
{
    c2_err cerr;
    if (keepable(R) && cache_load(R, &cerr) == 1) {
        R->cached = 1;
        return 0;
    }
    int rc = scan_day(R, err);
    if (rc == 0) rc = day_rows(R, err);
    if (rc == 0 && keepable(R) && cache_save(R, &R->unsaved_msg) < 0) R->unsaved = 1;
    return rc;
}

/* ---- the window ---- */

typedef struct runner {
    const features_input *in;
    day_run        *day;
    uint32_t        n_day;
    atomic_uint     next;
    atomic_int      failed;
    pthread_mutex_t lock;
    c2_err          err;
} runner;

static void say(const day_run *R, double secs)
{
    if (!R->in->progress) return;
    char when[32], line[160];
    c2_time_format(R->day, when, sizeof when);
    snprintf(line, sizeof line, "day %.10s: %llu records, %zu servers with features%s (%.1f s)",
             when, (unsigned long long)R->records, R->out.n, R->cached ? ", from the cache" : "",
             secs);
    R->in->progress(line, R->in->progress_arg);
}

static void *worker(void *arg)
{
    runner *W = arg;
    day_tables tables = {.accs = {.size = sizeof(acc), .shift = 12},          /* 1.5 MB */
                         .sights = {.size = sizeof(sighting), .shift = 14}};  /* 768 KB */
    for (;;) {
        unsigned i = atomic_fetch_add(&W->next, 1);
        if (i >= W->n_day || atomic_load(&W->failed)) break;
        c2_err err = {0};
        double t0 = (double)c2_now_ms();
        W->day[i].t = &tables;
        int rc = run_day(&W->day[i], &err);
        W->day[i].t = NULL;
        pthread_mutex_lock(&W->lock);
        if (rc < 0 && !atomic_exchange(&W->failed, 1)) W->err = err;
        if (rc == 0) say(&W->day[i], ((double)c2_now_ms() - t0) / 1000);
        pthread_mutex_unlock(&W->lock);
        if (rc < 0) break;
    }
    tables_free(&tables);
    return NULL;
}

static int run_days(runner *W, unsigned threads, c2_err *err)
{
    unsigned n = threads ? threads : 1;
    if (n > W->n_day) n = W->n_day;
    pthread_t *t = calloc(n, sizeof *t);
    if (!t) return c2_fail(err, "out of memory");
    unsigned started = 0;
    for (; started + 1 < n; started++)
        if (pthread_create(&t[started], NULL, worker, W) != 0) break;
    worker(W);
    for (unsigned i = 0; i < started; i++) pthread_join(t[i], NULL);
    free(t);
    if (atomic_load(&W->failed)) {
        *err = W->err;
        return -1;
    }
    return 0;
}

int feature_row_server_cmp(const feature_row *a, const feature_row *b)
{
    int c = flow_addr_cmp(&a->ip, &b->ip);
    if (c) return c;
    if (a->port != b->port) return a->port < b->port ? -1 : 1;
    return a->proto < b->proto ? -1 : a->proto > b->proto;
}

static int row_order(const void *pa, const void *pb)
{
    const feature_row *a = pa, *b = pb;
    int c = feature_row_server_cmp(a, b);
    return c ? c : a->day < b->day ? -1 : a->day > b->day;
}

/* Days of the last week (this one too) on which the server had a row. */
static void days_active(feature_table *t)
{
    size_t start = 0;
    for (size_t i = 0; i < t->n; i++) {
        if (i > 0 && feature_row_server_cmp(&t->row[i - 1], &t->row[i])) start = i;
        uint32_t n = 0;
        for (size_t j = start; j <= i; j++)
            n += t->row[i].day - t->row[j].day < 7 * C2_MS_PER_DAY;
        t->row[i].v[F_DAYS_ACTIVE] = (float)n;
    }
}

static int u32_order(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

/* The infected figures of every row, for this window's infected hosts:
 * the infected share of the row's client sample (all its clients below
 * FEATURE_SKETCH), times its clients.  Worked out here, not while reading,
 * so that a day's cached rows serve every window. */
static int mark_infected(const features_input *in, feature_table *t)
{
    uint32_t *h = malloc((in->n_infected ? in->n_infected : 1) * sizeof *h);
    if (!h) return -1;
    for (size_t i = 0; i < in->n_infected; i++) h[i] = client_hash(&in->infected[i]);
    qsort(h, in->n_infected, sizeof *h, u32_order);
    for (size_t i = 0; i < t->n; i++) {
        feature_row *r = &t->row[i];
        uint32_t hit = 0;
        for (uint32_t j = 0; in->n_infected && j < r->sketch_n; j++)
            hit += bsearch(&r->sketch[j], h, in->n_infected, sizeof *h, u32_order) != NULL;
        double share = r->sketch_n ? (double)hit / r->sketch_n : 0;
        double infected = share * r->clients;
        r->infected = (uint32_t)(infected + 0.5);
        r->v[F_INFECTED] = (float)log2(1 + infected);
        r->v[F_INFECTED_SHARE] = (float)share;
    }
    free(h);
    return 0;
}

static int gather(runner *W, feature_table *out, features_report *rep, c2_err *err)
{
    size_t n = 0;
    for (uint32_t i = 0; i < W->n_day; i++) n += W->day[i].out.n;
    out->row = malloc((n ? n : 1) * sizeof *out->row);
    if (!out->row) return c2_fail(err, "out of memory");
    out->cap = n ? n : 1;
    for (uint32_t i = 0; i < W->n_day; i++) {
        day_run *R = &W->day[i];
        if (R->out.n) memcpy(out->row + out->n, R->out.row, R->out.n * sizeof *out->row);
        out->n += R->out.n;
        feature_table_free(&R->out);    /* as we go: the table, not twice it, at the peak */
        rep->days_cached += R->cached;
        if (R->unsaved && !rep->days_unsaved++)
            snprintf(rep->unsaved_reason, sizeof rep->unsaved_reason, "%.159s",
                     R->unsaved_msg.msg);
        rep->records += R->records;
        rep->oriented += R->oriented;
        rep->damaged += R->damaged;
    }
    qsort(out->row, out->n, sizeof *out->row, row_order);
    days_active(out);
    if (mark_infected(W->in, out) < 0) return c2_fail(err, "out of memory");
    rep->rows = out->n;
    return 0;
}

static void count_segment(const char *path, const store_zone *z, uint64_t bytes, void *arg)
{
    (void)path; (void)bytes;
    runner *W = arg;
    int64_t t = z->min[FLOW_START].t;
    if (!W->n_day || t < W->day[0].day) return;
    uint64_t i = (uint64_t)((t - W->day[0].day) / C2_MS_PER_DAY);
    if (i < W->n_day) {
        W->day[i].store_records += z->records;
        W->day[i].store_segments++;
    }
}

/* What a day's rows were computed from: change any and they are stale. */
static int fingerprints(runner *W, c2_err *err)
{
    store_info info;
    if (store_inventory(W->in->store, &info, count_segment, W, err) != 0) return -1;
    for (uint32_t i = 0; i < W->n_day; i++) {
        day_run *R = &W->day[i];
        uint64_t parts[] = {FEATURES_VERSION, (uint64_t)R->from, (uint64_t)R->to,
                            R->min_clients, R->probe_clients,
                            ipset_fingerprint(R->in->internal), R->store_records,
                            R->store_segments};
        uint64_t h = 0x6665617475726573ull;
        for (size_t j = 0; j < sizeof parts / sizeof parts[0]; j++) h = c2_mix64(h ^ parts[j]);
        R->fingerprint = h;
    }
    return 0;
}

int features_compute(const features_input *in, feature_table *out, features_report *rep,
                     c2_err *err)
{
    memset(out, 0, sizeof *out);
    memset(rep, 0, sizeof *rep);
    if (!in->store || !in->internal)
        return c2_fail(err, "no store or no customer address space");
    if (in->from_ms < 0 || in->to_ms <= in->from_ms)
        return c2_fail(err, "the window is empty (--from must be before --to)");
    int64_t first = in->from_ms - in->from_ms % C2_MS_PER_DAY;
    int64_t n = (in->to_ms - first + C2_MS_PER_DAY - 1) / C2_MS_PER_DAY;
    if (n > 3660) return c2_fail(err, "the window is longer than ten years");
    runner W = {.in = in, .n_day = (uint32_t)n};
    W.day = calloc((size_t)n, sizeof *W.day);
    if (!W.day) return c2_fail(err, "out of memory");
    pthread_mutex_init(&W.lock, NULL);
    for (uint32_t i = 0; i < W.n_day; i++) {
        day_run *R = &W.day[i];
        R->in = in;
        R->min_clients = in->min_clients ? in->min_clients : 1;
        R->probe_clients = in->probe_clients ? in->probe_clients : 3;
        R->day = first + (int64_t)i * C2_MS_PER_DAY;
        R->from = R->day > in->from_ms ? R->day : in->from_ms;
        R->to = R->day + C2_MS_PER_DAY < in->to_ms ? R->day + C2_MS_PER_DAY : in->to_ms;
        R->whole = R->from == R->day && R->to == R->day + C2_MS_PER_DAY;
    }
    rep->days = W.n_day;
    int rc = fingerprints(&W, err);
    if (rc == 0 && in->incremental && in->cache_dir) {
        int64_t keep = store_get_options(in->store)->retention_ms;
        if (keep > 0)
            rc = c2_day_files_expire(in->cache_dir, "features", "rows", c2_now_ms() - keep, err);
    }
    if (rc == 0) rc = run_days(&W, in->threads, err);
    if (rc == 0) rc = gather(&W, out, rep, err);
    for (uint32_t i = 0; i < W.n_day; i++) feature_table_free(&W.day[i].out);
    free(W.day);
    pthread_mutex_destroy(&W.lock);
    return rc;
}
