/*
 * ipset_bench.c: how fast src/ipset builds a list and answers lookups.
 *
 * For 100,000 and 1,000,000 entries, IPv4 (nine in ten single addresses,
 * one in ten prefixes /24../31, uniformly random) and IPv6 (prefixes
 * /48../128 inside 2000::/3), it times:
 *   - add: ipset_add of every entry; build: ipset_build (sort, merge, index);
 *   - load: ipset_load_buffer of the same entries as list-file text, one
 *     per line (parsing included), then a build;
 *   - batch: LOOKUPS (20 M) random addresses through ipset_contains_batch in
 *     columns of 65,536, the way filters call it; the addresses (uniform
 *     over the family's space, so nearly all miss, as most flows do) are
 *     generated beforehand into a 4 M pool that is cycled, not timed;
 *   - batch v4 (IPv4): the same columns as uint32 through
 *     ipset_contains_batch_v4, as filters over a store's IPv4 views call
 *     it; its hits must equal batch's (checked);
 *   - single: a quarter as many through ipset_contains one by one;
 *   - half hits: the same columns with every other address replaced by the
 *     address of a random entry (so at least half are hits), as when most
 *     flows match (customer lists); the copying is not timed;
 *   - baseline (IPv4): a plain binary search over the same merged ranges,
 *     written here, the textbook way to match a sorted list; its answers
 *     must equal the set's (checked), and the ratio baseline/batch is shown.
 * Memory is ipset_bytes after build / entries.
 *
 * Output: one aligned block for people, then one "RESULT key=value ..." line
 * per case.  Exit 0, 1 on a failure or a disagreement, 2 on usage.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ipset/ipset.h"

#define POOL (1u << 22)
#define COLUMN 65536

static uint64_t rng;

static uint64_t rnd(void)
{
    uint64_t z = (rng += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static void random_v6(flow_addr *a)
{
    uint64_t h = rnd(), l = rnd();
    h = (h & ~(7ull << 61)) | (1ull << 61);        /* 2000::/3 */
    for (int i = 0; i < 8; i++) {
        a->b[i] = (uint8_t)(h >> (56 - 8 * i));
        a->b[8 + i] = (uint8_t)(l >> (56 - 8 * i));
    }
}

typedef struct entry { flow_addr a; unsigned len; } entry;

static void gen_entries(entry *e, size_t n, int v6)
{
    for (size_t i = 0; i < n; i++) {
        if (!v6) {
            flow_addr_from_v4(&e[i].a, (uint32_t)rnd());
            e[i].len = i % 10 == 9 ? 120 + (unsigned)(rnd() % 8) : 128;
        } else {
            random_v6(&e[i].a);
            e[i].len = 48 + (unsigned)(rnd() % 81);
        }
    }
}

/* ---- baseline: binary search over merged IPv4 ranges ---- */

typedef struct r4 { uint32_t lo, hi; } r4;

static int cmp_r4(const void *x, const void *y)
{
    const r4 *a = x, *b = y;
    return a->lo < b->lo ? -1 : a->lo > b->lo;
}

static size_t baseline_ranges(const entry *e, size_t n, r4 *r)
{
    for (size_t i = 0; i < n; i++) {
        uint32_t x = flow_addr_v4(&e[i].a);
        unsigned bits = 128 - e[i].len;
        uint32_t mask = bits >= 32 ? 0 : ~0u << bits;
        r[i] = (r4){x & mask, x | ~mask};
    }
    qsort(r, n, sizeof *r, cmp_r4);
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        if (m && (r[m - 1].hi == UINT32_MAX || r[i].lo <= r[m - 1].hi + 1)) {
            if (r[i].hi > r[m - 1].hi) r[m - 1].hi = r[i].hi;
        } else {
            r[m++] = r[i];
        }
    }
    return m;
}

static int baseline_has(const r4 *r, size_t n, uint32_t x)
{
    size_t a = 0, b = n;
    while (a < b) {
        size_t m = a + (b - a) / 2;
        if (r[m].hi < x) a = m + 1; else b = m;
    }
    return a < n && r[a].lo <= x;
}

/* ---- one case ---- */

static int run_case(size_t n, int v6, uint64_t lookups, const flow_addr *pool,
                    const uint32_t *pool4, uint8_t *out)
{
    const char *fam = v6 ? "IPv6" : "IPv4";
    entry *e = malloc(n * sizeof *e);
    if (!e) { fprintf(stderr, "out of memory\n"); return 1; }
    rng = 1000 + n + (uint64_t)v6;
    gen_entries(e, n, v6);

    ipset *s;
    c2_err err;
    if (ipset_new(&s, &err) != 0) { fprintf(stderr, "%s\n", err.msg); return 1; }
    double t0 = now();
    for (size_t i = 0; i < n; i++)
        if (ipset_add(s, &e[i].a, e[i].len, &err) != 0) { fprintf(stderr, "%s\n", err.msg); return 1; }
    double t1 = now();
    if (ipset_build(s, &err) != 0) { fprintf(stderr, "%s\n", err.msg); return 1; }
    double t2 = now();
    size_t bytes = ipset_bytes(s);

    /* the same entries as list-file text */
    size_t tlen = 0;
    char *text = malloc(n * 64);
    if (!text) { fprintf(stderr, "out of memory\n"); return 1; }
    for (size_t i = 0; i < n; i++) {
        char buf[FLOW_ADDR_STRLEN];
        unsigned len = v6 ? e[i].len : e[i].len - 96;
        tlen += (size_t)sprintf(text + tlen, "%s/%u\n", flow_addr_format(&e[i].a, buf, sizeof buf), len);
    }
    ipset *s2;
    double t3 = now();
    if (ipset_new(&s2, &err) != 0 || ipset_load_buffer(s2, text, tlen, "bench", &err) != 0 ||
        ipset_build(s2, &err) != 0) {
        fprintf(stderr, "%s\n", err.msg);
        return 1;
    }
    double t4 = now();
    int bad = ipset_ranges(s2) != ipset_ranges(s);
    ipset_free(s2);
    free(text);

    /* lookups: batch, single */
    const flow_addr *col = pool + (v6 ? POOL : 0);
    uint64_t hits = 0, done = 0;
    double t5 = now();
    for (size_t off = 0; done < lookups; off = (off + COLUMN) % POOL) {
        ipset_contains_batch(s, col + off, COLUMN, out);
        for (size_t i = 0; i < COLUMN; i++) hits += out[i];
        done += COLUMN;
    }
    double t6 = now();
    uint64_t single = lookups / 4 / COLUMN * COLUMN + COLUMN, shits = 0;
    for (uint64_t i = 0; i < single; i++) shits += (uint64_t)ipset_contains(s, &col[i % POOL]);
    double t7 = now();

    /* half hits: every other address of a column replaced by an entry's */
    flow_addr *mixed = malloc(COLUMN * sizeof *mixed);
    if (!mixed) { fprintf(stderr, "out of memory\n"); return 1; }
    uint64_t mdone = 0, mhits = 0;
    double mtime = 0;
    for (size_t off = 0; mdone < lookups; off = (off + COLUMN) % POOL) {
        memcpy(mixed, col + off, COLUMN * sizeof *mixed);
        for (size_t i = 1; i < COLUMN; i += 2) mixed[i] = e[rnd() % n].a;
        double m0 = now();
        ipset_contains_batch(s, mixed, COLUMN, out);
        mtime += now() - m0;
        for (size_t i = 0; i < COLUMN; i++) mhits += out[i];
        mdone += COLUMN;
    }
    free(mixed);
    if (mhits < mdone / 2) {
        printf("      MISMATCH: an entry's own address was not found\n");
        bad = 1;
    }
    double mixed_ns = mtime * 1e9 / (double)mdone;
    double batch_ns = (t6 - t5) * 1e9 / (double)done;
    double single_ns = (t7 - t6) * 1e9 / (double)single;
    printf("%-5s %9zu entries  %9zu ranges  %5.1f B/entry\n", fam, n, ipset_ranges(s),
           (double)bytes / (double)n);
    printf("      add %7.1f ms   build %7.1f ms   load text + build %7.1f ms (%.0f lines/s)\n",
           (t1 - t0) * 1e3, (t2 - t1) * 1e3, (t4 - t3) * 1e3, (double)n / (t4 - t3));
    printf("      batch  %6.2f ns/lookup  (%" PRIu64 " lookups, %.3f%% hits)\n",
           batch_ns, done, 100.0 * (double)hits / (double)done);
    printf("      single %6.2f ns/lookup\n", single_ns);
    printf("      batch, half of them hits %6.2f ns/lookup\n", mixed_ns);

    double base_ns = 0, v4_ns = 0;
    if (!v6) {
        uint64_t vhits = 0, vdone = 0;
        double v0 = now();
        for (size_t off = 0; vdone < lookups; off = (off + COLUMN) % POOL) {
            ipset_contains_batch_v4(s, pool4 + off, COLUMN, out);
            for (size_t i = 0; i < COLUMN; i++) vhits += out[i];
            vdone += COLUMN;
        }
        v4_ns = (now() - v0) * 1e9 / (double)vdone;
        printf("      batch v4 %6.2f ns/lookup\n", v4_ns);
        if (vhits != hits) {
            printf("      MISMATCH: batch v4 %" PRIu64 " hits, batch %" PRIu64 "\n", vhits, hits);
            bad = 1;
        }
        r4 *r = malloc(n * sizeof *r);
        if (!r) { fprintf(stderr, "out of memory\n"); return 1; }
        size_t m = baseline_ranges(e, n, r);
        uint64_t bhits = 0;
        double t8 = now();
        for (uint64_t i = 0; i < done; i++) bhits += (uint64_t)baseline_has(r, m, flow_addr_v4(&col[i % POOL]));
        double t9 = now();
        base_ns = (t9 - t8) * 1e9 / (double)done;
        printf("      baseline binary search %6.2f ns/lookup: batch is %.1f x faster\n",
               base_ns, base_ns / batch_ns);
        if (bhits != hits || m != ipset_ranges(s)) {
            printf("      MISMATCH: baseline %" PRIu64 " hits %zu ranges, ipset %" PRIu64 " hits %zu ranges\n",
                   bhits, m, hits, ipset_ranges(s));
            bad = 1;
        }
        free(r);
    }
    uint64_t chits = 0;                          /* single must agree with batch */
    for (uint64_t i = 0; i < single; i += COLUMN) {
        size_t k = single - i < COLUMN ? (size_t)(single - i) : COLUMN;
        ipset_contains_batch(s, col + i % POOL, k, out);
        for (size_t j = 0; j < k; j++) chits += out[j];
    }
    if (chits != shits) {
        printf("      MISMATCH: single %" PRIu64 " hits, batch %" PRIu64 "\n", shits, chits);
        bad = 1;
    }
    printf("RESULT family=%s entries=%zu ranges=%zu bytes_per_entry=%.1f add_ms=%.1f build_ms=%.1f "
           "load_ms=%.1f batch_ns=%.2f single_ns=%.2f mixed_ns=%.2f baseline_ns=%.2f hits=%" PRIu64
           " batch_v4_ns=%.2f\n",
           fam, n, ipset_ranges(s), (double)bytes / (double)n, (t1 - t0) * 1e3, (t2 - t1) * 1e3,
           (t4 - t3) * 1e3, batch_ns, single_ns, mixed_ns, base_ns, hits, v4_ns);
    ipset_free(s);
    free(e);
    return bad;
}

int main(int argc, char **argv)
{
    uint64_t lookups = 20000000;
    int c;
    while ((c = getopt(argc, argv, "n:h")) != -1) {
        if (c == 'n' && c2_u64_parse(optarg, UINT64_MAX, &lookups) == 0 && lookups) continue;
        fprintf(stderr, "usage: ipset_bench [-n LOOKUPS]   (default 20000000)\n"
                        "Builds 100k and 1M-entry IPv4 and IPv6 sets and times lookups.\n");
        return c == 'h' ? 0 : 2;
    }
    flow_addr *pool = malloc(2 * (size_t)POOL * sizeof *pool);
    uint32_t *pool4 = malloc((size_t)POOL * sizeof *pool4);
    uint8_t *out = malloc(COLUMN);
    if (!pool || !pool4 || !out) { fprintf(stderr, "out of memory\n"); return 1; }
    rng = 7;
    for (size_t i = 0; i < POOL; i++) {
        pool4[i] = (uint32_t)rnd();
        flow_addr_from_v4(&pool[i], pool4[i]);
    }
    for (size_t i = 0; i < POOL; i++) random_v6(&pool[POOL + i]);
    int bad = 0;
    static const size_t sizes[] = {100000, 1000000};
    for (int v6 = 0; v6 < 2; v6++)
        for (size_t i = 0; i < 2; i++) bad |= run_case(sizes[i], v6, lookups, pool, pool4, out);
    free(pool);
    free(pool4);
    free(out);
    return bad;
}
