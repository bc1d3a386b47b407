/*
 * compute.c: the hub's figures from its rows (docs/hub-report.md).
 *
 * The rows of the range are copied into a compact form and grouped so
 * that one key's rows are one run and, inside it, one member's rows are
 * one run, members ascending.  Grouping is not a comparison sort: keys get
 * dense numbers from a hash table (in order of first appearance), then two
 * stable counting sorts (by member, then by key number) put the rows in
 * place in O(rows); a qsort of the 48-byte rows was most of the time.
 * Each key run is walked twice: once for what belongs to the key as a
 * whole (confirmed, intel date, country, first and last report), once to
 * count it into the days and members with that knowledge.  "Distinct keys
 * per day" is kept exact without a set per day by stamping each day (and
 * each member-day) with the number of the last key counted there.  Only
 * the early-detection days and the lifetimes are sorted (for medians).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "hubreport/hubreport_impl.h"

#define CC_UNKNOWN 676                  /* country index of "??"; 26*26 letters before it */
#define CC_SLOTS 677

/* A counted (or excluded) row, grouped by key, then member. */
typedef struct hr_row {
    flow_addr ip;
    uint16_t  port;
    uint8_t   proto;
    uint8_t   confirmed;
    uint8_t   excluded;
    uint16_t  cc;                       /* country index, CC_UNKNOWN */
    uint32_t  member;
    uint32_t  key;                      /* dense key number */
    int64_t   reported;
    int64_t   intel;
} hr_row;

/* One early-detection sample: member (nmembers = overall) and days earlier. */
typedef struct hr_early {
    uint32_t  member;
    double    days;
} hr_early;

/* Scratch of one computation; freed at the end whatever happened. */
typedef struct hr_work {
    const hubreport_input *in;
    hubreport *r;
    hr_row   *rows;
    size_t    nrows;
    int64_t   day0;                     /* days since epoch of days[0] */
    uint32_t *day_stamp;                /* [ndays] key number + 1 last counted */
    uint32_t *md_stamp;                 /* [ndays * nmembers] */
    uint32_t *m_stamp;                  /* [nmembers] */
    uint32_t *day_cc;                   /* [ndays * CC_SLOTS] keys per day and country */
    uint64_t  cc_total[CC_SLOTS];
    uint32_t *pool;                     /* member lists of the keys (nmembers > 8) */
    size_t   *pool_off;                 /* [keys + 1] */
    uint64_t  mask_keys[1u << HUBREPORT_ALL_COMBOS];
    hr_early *early;
    size_t    nearly;
    double   *life;                     /* lifetimes in days, one per key */
} hr_work;

/* What pass one learns of a key. */
typedef struct hr_key {
    int       confirmed;
    int64_t   intel;                    /* earliest listing, 0 never */
    int64_t   first, last;
    uint16_t  cc;
    int64_t   cc_at;
} hr_key;

static int64_t day_of(int64_t ms)
{
    int64_t d = ms / C2_MS_PER_DAY;
    return ms % C2_MS_PER_DAY < 0 ? d - 1 : d;
}

static uint16_t cc_index(const char *c)
{
    int a = c[0], b = a ? c[1] : 0;
    if (a >= 'a' && a <= 'z') a -= 32;
    if (b >= 'a' && b <= 'z') b -= 32;
    if (a < 'A' || a > 'Z' || b < 'A' || b > 'Z') return CC_UNKNOWN;
    return (uint16_t)((a - 'A') * 26 + (b - 'A'));
}

static void cc_code(uint16_t cc, char out[3])
{
    if (cc >= CC_UNKNOWN) {
        memcpy(out, "??", 3);
        return;
    }
    out[0] = (char)('A' + cc / 26);
    out[1] = (char)('A' + cc % 26);
    out[2] = 0;
}

static int key_cmp(const hr_row *a, const hr_row *b)
{
    int c = memcmp(a->ip.b, b->ip.b, sizeof a->ip.b);
    if (c) return c;
    if (a->port != b->port) return a->port < b->port ? -1 : 1;
    return (int)a->proto - (int)b->proto;
}

static int double_cmp(const void *pa, const void *pb)
{
    double a = *(const double *)pa, b = *(const double *)pb;
    return (a > b) - (a < b);
}

static int early_cmp(const void *pa, const void *pb)
{
    const hr_early *a = pa, *b = pb;
    if (a->member != b->member) return a->member < b->member ? -1 : 1;
    return (a->days > b->days) - (a->days < b->days);
}

/* Linear interpolation between closest ranks ((n-1)q), as numpy's default;
 * its q = 0.5 is the usual median.  x sorted, n > 0. */
static double quantile(const double *x, size_t n, double q)
{
    double h = (double)(n - 1) * q;
    size_t i = (size_t)h;
    if (i + 1 >= n) return x[n - 1];
    return x[i] + (h - (double)i) * (x[i + 1] - x[i]);
}

static double mean(const double *x, size_t n)
{
    double s = 0;
    for (size_t i = 0; i < n; i++) s += x[i];
    return s / (double)n;
}

/* ---- input ---- */

static int check_input(const hubreport_input *in, c2_err *err)
{
    if (in->nmembers > HUBREPORT_MAX_MEMBERS)
        return c2_fail(err, "%zu members, at most %d", in->nmembers, HUBREPORT_MAX_MEMBERS);
    if (in->nrows >= UINT32_MAX)
        return c2_fail(err, "%zu rows, fewer than %u please", in->nrows, UINT32_MAX);
    if (in->nrows && !in->rows) return c2_fail(err, "rows missing");
    if (in->nmembers && !in->members) return c2_fail(err, "member names missing");
    for (size_t i = 0; i < in->nmembers; i++)
        if (!in->members[i]) return c2_fail(err, "member %zu has no name", i);
    for (size_t i = 0; i < in->nrows; i++)
        if (in->rows[i].member >= in->nmembers)
            return c2_fail(err, "row %zu: member %u, only %zu members", i,
                           in->rows[i].member, in->nmembers);
    return 0;
}

static int in_range(const hubreport_input *in, int64_t t)
{
    return in->from_ms < in->to_ms && t >= in->from_ms && t < in->to_ms;
}

/* Copy the rows of the range; count those outside; find the days. */
static int copy_rows(hr_work *w, c2_err *err)
{
    const hubreport_input *in = w->in;
    int64_t lo = INT64_MAX, hi = INT64_MIN;
    w->rows = malloc((in->nrows ? in->nrows : 1) * sizeof *w->rows);
    if (!w->rows) return c2_fail(err, "out of memory");
    for (size_t i = 0; i < in->nrows; i++) {
        const hubreport_row *s = &in->rows[i];
        if (!in_range(in, s->reported_ms)) {
            w->r->rows_outside++;
            continue;
        }
        hr_row *d = &w->rows[w->nrows++];
        *d = (hr_row){ .ip = s->ip, .port = s->port, .proto = s->proto,
                       .confirmed = s->confirmed != 0, .excluded = s->excluded != 0,
                       .cc = cc_index(s->country), .member = s->member,
                       .reported = s->reported_ms, .intel = s->intel_first_ms };
        if (d->excluded) continue;
        int64_t day = day_of(d->reported);
        if (day < lo) lo = day;
        if (day > hi) hi = day;
    }
    if (in->from_ms >= in->to_ms) return 0;
    int64_t first = in->from_ms == C2_TIME_MIN ? lo : day_of(in->from_ms);
    int64_t last = in->to_ms == C2_TIME_MAX ? hi : day_of(in->to_ms - 1);
    if (lo > hi && (in->from_ms == C2_TIME_MIN || in->to_ms == C2_TIME_MAX)) return 0;
    if (last - first >= HUBREPORT_MAX_DAYS)
        return c2_fail(err, "range of %lld days, at most %d", (long long)(last - first + 1),
                       HUBREPORT_MAX_DAYS);
    w->day0 = first;
    w->r->ndays = (size_t)(last - first + 1);
    return 0;
}

/* ---- grouping ---- */

/* splitmix64's finalizer: a bijection that spreads every input bit. */
static uint64_t mix64(uint64_t h)
{
    h ^= h >> 30;
    h *= 0xbf58476d1ce4e5b9ULL;
    h ^= h >> 27;
    h *= 0x94d049bb133111ebULL;
    return h ^ (h >> 31);
}

/* For an IPv4-mapped key the xor below is injective (the IPv4 address
 * lands in b's high half, port and proto in its low bytes, which hold the
 * constant ::ffff part), so distinct IPv4 keys never share a hash. */
static uint64_t key_hash(const hr_row *x)
{
    uint64_t a, b;
    memcpy(&a, x->ip.b, 8);
    memcpy(&b, x->ip.b + 8, 8);
    return mix64(mix64(a) ^ b ^ ((uint64_t)x->port << 8 | x->proto));
}

/* Number the keys (row.key); returns how many, or -1 without memory. */
static long number_keys(hr_row *rows, size_t n)
{
    size_t cap = 16, nkeys = 0;
    while (cap < 2 * n) cap <<= 1;
    uint32_t *slot = calloc(cap, sizeof *slot);    /* first row of the key + 1; 0 empty */
    if (!slot) return -1;
    for (size_t i = 0; i < n; i++) {
        size_t h = (size_t)key_hash(&rows[i]) & (cap - 1);
        while (slot[h] && key_cmp(&rows[slot[h] - 1], &rows[i]) != 0) h = (h + 1) & (cap - 1);
        if (!slot[h]) {
            slot[h] = (uint32_t)i + 1;
            rows[i].key = (uint32_t)nkeys++;
        } else {
            rows[i].key = rows[slot[h] - 1].key;
        }
    }
    free(slot);
    return (long)nkeys;
}

/* Stable counting sort of the row indices `in` by member (or by key
 * number, by_key) into out; nvals bounds the values. */
static int counting_sort(const hr_row *rows, const uint32_t *in, uint32_t *out, size_t n,
                         size_t nvals, int by_key)
{
    size_t *at = calloc(nvals + 1, sizeof *at);
    if (!at) return -1;
    for (size_t i = 0; i < n; i++) at[(by_key ? rows[in[i]].key : rows[in[i]].member) + 1]++;
    for (size_t v = 0; v < nvals; v++) at[v + 1] += at[v];
    for (size_t i = 0; i < n; i++) out[at[by_key ? rows[in[i]].key : rows[in[i]].member]++] = in[i];
    free(at);
    return 0;
}

/* Put w->rows in key order, members ascending inside a key. */
static int group_rows(hr_work *w, c2_err *err)
{
    size_t n = w->nrows;
    long nkeys = number_keys(w->rows, n);
    uint32_t *a = malloc((n + 1) * sizeof *a), *b = malloc((n + 1) * sizeof *b);
    hr_row *sorted = malloc((n + 1) * sizeof *sorted);
    int rc = -1;
    if (nkeys >= 0 && a && b && sorted) {
        for (size_t i = 0; i < n; i++) a[i] = (uint32_t)i;
        if (counting_sort(w->rows, a, b, n, w->in->nmembers, 0) == 0 &&
            counting_sort(w->rows, b, a, n, (size_t)nkeys, 1) == 0) {
            for (size_t i = 0; i < n; i++) sorted[i] = w->rows[a[i]];
            free(w->rows);
            w->rows = sorted;
            sorted = NULL;
            rc = 0;
        }
    }
    free(a);
    free(b);
    free(sorted);
    return rc == 0 ? 0 : c2_fail(err, "out of memory");
}

/* ---- allocation ---- */

static int alloc_report(hr_work *w, c2_err *err)
{
    hubreport *r = w->r;
    size_t nm = w->in->nmembers, nd = r->ndays;
    r->nmembers = nm;
    r->members = calloc(nm ? nm : 1, sizeof *r->members);
    r->pairs = calloc(nm ? nm * nm : 1, sizeof *r->pairs);
    r->days = calloc(nd ? nd : 1, sizeof *r->days);
    r->mem->day_members = calloc(nd * nm * 2 + 1, sizeof *r->mem->day_members);
    if (!r->members || !r->pairs || !r->days || !r->mem->day_members)
        return c2_fail(err, "out of memory");
    for (size_t i = 0; i < nm; i++) {
        r->members[i].name = strdup(w->in->members[i]);
        if (!r->members[i].name) return c2_fail(err, "out of memory");
        r->members[i].early = (hubreport_early){ 0, 0, NAN, NAN, NAN };
    }
    for (size_t d = 0; d < nd; d++) {
        r->days[d].day_ms = (w->day0 + (int64_t)d) * C2_MS_PER_DAY;
        r->days[d].member_listed = r->mem->day_members + d * nm * 2;
        r->days[d].member_confirmed = r->days[d].member_listed + nm;
    }
    return 0;
}

static int alloc_work(hr_work *w, c2_err *err)
{
    size_t nm = w->in->nmembers, nd = w->r->ndays, n = w->nrows ? w->nrows : 1;
    w->day_stamp = calloc(nd + 1, sizeof *w->day_stamp);
    w->md_stamp = calloc(nd * nm + 1, sizeof *w->md_stamp);
    w->m_stamp = calloc(nm + 1, sizeof *w->m_stamp);
    w->day_cc = calloc(nd * CC_SLOTS + 1, sizeof *w->day_cc);
    w->early = malloc(2 * n * sizeof *w->early);
    w->life = malloc(n * sizeof *w->life);
    if (nm > HUBREPORT_ALL_COMBOS) {
        w->pool = malloc(n * sizeof *w->pool);
        w->pool_off = malloc((n + 1) * sizeof *w->pool_off);
        if (!w->pool || !w->pool_off) return c2_fail(err, "out of memory");
        w->pool_off[0] = 0;
    }
    if (!w->day_stamp || !w->md_stamp || !w->m_stamp || !w->day_cc || !w->early || !w->life)
        return c2_fail(err, "out of memory");
    return 0;
}

/* ---- one key ---- */

static hr_key key_facts(const hr_row *rows, size_t n)
{
    hr_key k = { 0, 0, INT64_MAX, INT64_MIN, CC_UNKNOWN, INT64_MIN };
    for (size_t i = 0; i < n; i++) {
        const hr_row *x = &rows[i];
        if (x->excluded) continue;
        k.confirmed |= x->confirmed;
        if (x->intel && (!k.intel || x->intel < k.intel)) k.intel = x->intel;
        if (x->reported < k.first) k.first = x->reported;
        if (x->reported > k.last) k.last = x->reported;
        /* the latest row's country; on a tie the smallest code, unknown last */
        if (x->reported > k.cc_at || (x->reported == k.cc_at && x->cc < k.cc)) {
            k.cc = x->cc;
            k.cc_at = x->reported;
        }
    }
    return k;
}

static void count_day(hr_work *w, const hr_key *k, const hr_row *x, uint32_t stamp)
{
    hubreport *r = w->r;
    size_t nm = r->nmembers, d = (size_t)(day_of(x->reported) - w->day0);
    hubreport_day *day = &r->days[d];
    if (w->day_stamp[d] != stamp) {
        w->day_stamp[d] = stamp;
        day->listed++;
        day->confirmed += (uint64_t)k->confirmed;
        w->day_cc[d * CC_SLOTS + k->cc]++;
    }
    if (w->md_stamp[d * nm + x->member] != stamp) {
        w->md_stamp[d * nm + x->member] = stamp;
        day->member_listed[x->member]++;
        day->member_confirmed[x->member] += (uint64_t)k->confirmed;
    }
}

static void add_early(hr_work *w, uint32_t member, hubreport_early *e, int64_t first,
                      int64_t intel)
{
    if (!intel) return;
    e->n_intel++;
    if (first >= intel) return;
    e->n_earlier++;
    w->early[w->nearly++] = (hr_early){ member, (double)(intel - first) / (double)C2_MS_PER_DAY };
}

/* The member's first report of the key: the earliest counted row of its
 * run, which starts at rows[0] (rows are grouped, not time-ordered). */
static int64_t member_first(const hr_row *rows, size_t n)
{
    int64_t first = INT64_MAX;
    for (size_t i = 0; i < n && rows[i].member == rows[0].member; i++)
        if (!rows[i].excluded && rows[i].reported < first) first = rows[i].reported;
    return first;
}

/* The key's first counted row of member m: count the key for m. */
static void count_member(hr_work *w, const hr_key *k, const hr_row *x, size_t left, size_t key)
{
    hubreport_member *m = &w->r->members[x->member];
    m->keys++;
    m->confirmed += (uint64_t)k->confirmed;
    add_early(w, x->member, &m->early, member_first(x, left), k->intel);
    if (w->pool) w->pool[w->pool_off[key + 1]++] = x->member;
}

static void count_overlap(hr_work *w, const uint32_t *set, size_t n)
{
    hubreport *r = w->r;
    size_t nm = r->nmembers;
    if (n == 1) r->members[set[0]].only++;
    else
        for (size_t i = 0; i < n; i++) r->members[set[i]].shared++;
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < n; j++) r->pairs[set[i] * nm + set[j]]++;
    if (nm <= HUBREPORT_ALL_COMBOS) {
        unsigned mask = 0;
        for (size_t i = 0; i < n; i++) mask |= 1u << set[i];
        w->mask_keys[mask]++;
    }
}

/* Count the key of rows[0..n) (grouped by member; some may be excluded). */
static void count_key(hr_work *w, const hr_row *rows, size_t n)
{
    hubreport *r = w->r;
    int excluded = 0;
    for (size_t i = 0; i < n; i++) excluded |= rows[i].excluded;
    r->excluded_keys += (uint64_t)excluded;
    hr_key k = key_facts(rows, n);
    if (k.first > k.last) return;              /* every row excluded */
    size_t key = r->keys++;
    uint32_t stamp = (uint32_t)key + 1, set_small[HUBREPORT_ALL_COMBOS];
    size_t nset = 0;
    if (w->pool) w->pool_off[key + 1] = w->pool_off[key];
    r->confirmed += (uint64_t)k.confirmed;
    for (size_t i = 0; i < n; i++) {
        const hr_row *x = &rows[i];
        if (x->excluded) continue;
        r->rows++;
        r->members[x->member].rows++;
        count_day(w, &k, x, stamp);
        if (w->m_stamp[x->member] == stamp) continue;
        w->m_stamp[x->member] = stamp;
        count_member(w, &k, x, n - i, key);
        if (!w->pool) set_small[nset++] = x->member;
    }
    if (w->pool) count_overlap(w, w->pool + w->pool_off[key], w->pool_off[key + 1] - w->pool_off[key]);
    else count_overlap(w, set_small, nset);
    add_early(w, (uint32_t)r->nmembers, &r->early, k.first, k.intel);
    w->life[key] = (double)(k.last - k.first) / (double)C2_MS_PER_DAY;
    w->cc_total[k.cc]++;
}

static void count_keys(hr_work *w)
{
    for (size_t i = 0; i < w->nrows;) {
        size_t j = i + 1;
        while (j < w->nrows && w->rows[j].key == w->rows[i].key) j++;
        for (size_t x = i; x < j; x++) w->r->excluded_rows += w->rows[x].excluded;
        count_key(w, w->rows + i, j - i);
        i = j;
    }
}

/* ---- figures from the counts ---- */

static void early_stats(hubreport_early *e, const double *days, size_t n)
{
    e->rate = e->n_intel ? (double)e->n_earlier / (double)e->n_intel : NAN;
    e->mean_days = n ? mean(days, n) : NAN;
    e->median_days = n ? quantile(days, n, 0.5) : NAN;
}

static int early_figures(hr_work *w, c2_err *err)
{
    hubreport *r = w->r;
    double *days = malloc((w->nearly + 1) * sizeof *days);
    if (!days) return c2_fail(err, "out of memory");
    qsort(w->early, w->nearly, sizeof *w->early, early_cmp);
    size_t i = 0;
    for (uint32_t m = 0; m <= r->nmembers; m++) {
        size_t n = 0;
        for (; i < w->nearly && w->early[i].member == m; i++) days[n++] = w->early[i].days;
        early_stats(m < r->nmembers ? &r->members[m].early : &r->early, days, n);
    }
    free(days);
    return 0;
}

static size_t lifetime_bin(double days)
{
    static const int upper[] = { 0, 1, 3, 7, 14, 30 };
    int64_t whole = (int64_t)floor(days);
    for (size_t b = 0; b < sizeof upper / sizeof *upper; b++)
        if (whole <= upper[b]) return b;
    return HUBREPORT_LIFETIME_BINS - 1;
}

static void lifetime_figures(hr_work *w)
{
    hubreport_lifetime *l = &w->r->lifetime;
    size_t n = w->r->keys;
    l->count = n;
    for (size_t i = 0; i < n; i++) l->histogram[lifetime_bin(w->life[i])]++;
    if (!n) {
        l->mean_days = l->median_days = l->p90_days = NAN;
        return;
    }
    qsort(w->life, n, sizeof *w->life, double_cmp);
    l->mean_days = mean(w->life, n);
    l->median_days = quantile(w->life, n, 0.5);
    l->p90_days = quantile(w->life, n, 0.9);
}

static int country_cmp(const void *pa, const void *pb)
{
    const hubreport_country *a = pa, *b = pb;
    if (a->keys != b->keys) return a->keys > b->keys ? -1 : 1;
    int ua = a->code[0] == '?', ub = b->code[0] == '?';
    if (ua != ub) return ua - ub;
    return strcmp(a->code, b->code);
}

/* Non-zero counts of one day (or the totals) into out, sorted; their number. */
static size_t country_list(const uint32_t *c32, const uint64_t *c64, hubreport_country *out)
{
    size_t n = 0;
    for (uint16_t cc = 0; cc < CC_SLOTS; cc++) {
        uint64_t k = c32 ? c32[cc] : c64[cc];
        if (!k) continue;
        cc_code(cc, out[n].code);
        out[n++].keys = k;
    }
    qsort(out, n, sizeof *out, country_cmp);
    return n;
}

static int country_figures(hr_work *w, c2_err *err)
{
    hubreport *r = w->r;
    size_t total = 0;
    for (size_t i = 0; i < r->ndays * CC_SLOTS; i++) total += w->day_cc[i] != 0;
    r->mem->day_countries = malloc((total + 1) * sizeof *r->mem->day_countries);
    r->countries = malloc(CC_SLOTS * sizeof *r->countries);
    if (!r->mem->day_countries || !r->countries) return c2_fail(err, "out of memory");
    hubreport_country *at = r->mem->day_countries;
    for (size_t d = 0; d < r->ndays; d++) {
        r->days[d].countries = at;
        r->days[d].ncountries = country_list(w->day_cc + d * CC_SLOTS, NULL, at);
        at += r->days[d].ncountries;
    }
    r->ncountries = country_list(NULL, w->cc_total, r->countries);
    return 0;
}

/* ---- entry ---- */

static int compute(hr_work *w, c2_err *err)
{
    if (copy_rows(w, err) != 0 || group_rows(w, err) != 0 || alloc_report(w, err) != 0 ||
        alloc_work(w, err) != 0)
        return -1;
    count_keys(w);
    lifetime_figures(w);
    if (early_figures(w, err) != 0 || country_figures(w, err) != 0) return -1;
    return hubreport_combos(w->r, w->pool, w->pool_off, w->r->keys, w->mask_keys, err);
}

int hubreport_compute(const hubreport_input *in, hubreport **out, c2_err *err)
{
    *out = NULL;
    if (check_input(in, err) != 0) return -1;
    hubreport *r = calloc(1, sizeof *r);
    if (!r || !(r->mem = calloc(1, sizeof *r->mem))) {
        free(r);
        return c2_fail(err, "out of memory");
    }
    r->from_ms = in->from_ms;
    r->to_ms = in->to_ms;
    r->early = (hubreport_early){ 0, 0, NAN, NAN, NAN };
    hr_work w = { .in = in, .r = r };
    int rc = compute(&w, err);
    free(w.rows);
    free(w.day_stamp);
    free(w.md_stamp);
    free(w.m_stamp);
    free(w.day_cc);
    free(w.pool);
    free(w.pool_off);
    free(w.early);
    free(w.life);
    if (rc != 0) {
        hubreport_free(r);
        return -1;
    }
    *out = r;
    return 0;
}

void hubreport_free(hubreport *r)
{
    if (!r) return;
    for (size_t i = 0; r->members && i < r->nmembers; i++) free(r->members[i].name);
    free(r->members);
    free(r->pairs);
    free(r->combos);
    free(r->days);
    free(r->countries);
    if (r->mem) {
        free(r->mem->combo_pool);
        free(r->mem->day_members);
        free(r->mem->day_countries);
        free(r->mem);
    }
    free(r);
}

char *hubreport_day_format(int64_t ms, char *buf, size_t len)
{
    int y, m, d;
    c2_civil_from_days(day_of(ms), &y, &m, &d);
    snprintf(buf, len, "%04d-%02d-%02d", y, m, d);
    return buf;
}

const char *hubreport_lifetime_bin(size_t i)
{
    static const char *const names[HUBREPORT_LIFETIME_BINS] = {
        "0", "1", "2-3", "4-7", "8-14", "15-30", "31+"
    };
    return i < HUBREPORT_LIFETIME_BINS ? names[i] : "?";
}
