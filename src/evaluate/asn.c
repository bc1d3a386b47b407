/*
 * asn.c: the AS table, address ranges to (AS number, AS name), searched by
 * binary search.
 *
 * @ip-location-db/asn ships about 410,000 IPv4 and 100,000 IPv6 rows
 * (60 MB of CSV), so the layout is chosen for memory: IPv4 ranges are 16
 * bytes (two host-order words, the number, a name offset), IPv6 ranges 40,
 * and names are stored once each in one pool (a few tens of thousands of
 * distinct names), found again through an open-addressing hash table while
 * loading.  Each array is kept sorted by start; a load checks whether the
 * rows came sorted (the published files are) and sorts only if not, then
 * trims overlaps so that a binary search for the last start <= address
 * finds the only range that can hold it.
 *
 * A load is all or nothing: the arrays are cut back to their old length
 * when a file fails (names it added stay in the pool, unreferenced).
 */
#include <stdlib.h>
#include <string.h>

#include "evaluate/evaluate_impl.h"

#define ASN_FIELDS 5                    /* one more than a row has, to see extras */

typedef struct asn4 {
    uint32_t lo, hi;                    /* host order, inclusive */
    uint32_t asn;
    uint32_t name;                      /* offset in the pool */
} asn4;

typedef struct asn6 {
    flow_addr lo, hi;                   /* inclusive */
    uint32_t  asn;
    uint32_t  name;
} asn6;

struct evaluate_asn {
    asn4     *v4;
    size_t    n4, cap4;
    asn6     *v6;
    size_t    n6, cap6;
    char     *pool;                     /* NUL-terminated names; pool[0] = "" */
    size_t    plen, pcap;
    uint32_t *slots;                    /* name offset + 1, 0 empty */
    size_t    nslots;                   /* power of two */
    size_t    nnames;
};

int evaluate_asn_new(evaluate_asn **out, c2_err *err)
{
    evaluate_asn *t = calloc(1, sizeof *t);
    if (!t || !(t->pool = calloc(1, 4096))) {
        free(t);
        *out = NULL;
        return c2_fail(err, "out of memory");
    }
    t->pcap = 4096;
    t->plen = 1;                        /* offset 0 is the empty name */
    *out = t;
    return 0;
}

void evaluate_asn_free(evaluate_asn *t)
{
    if (!t) return;
    free(t->v4);
    free(t->v6);
    free(t->pool);
    free(t->slots);
    free(t);
}

size_t evaluate_asn_count(const evaluate_asn *t) { return t ? t->n4 + t->n6 : 0; }

size_t evaluate_asn_bytes(const evaluate_asn *t)
{
    if (!t) return 0;
    return sizeof *t + t->cap4 * sizeof *t->v4 + t->cap6 * sizeof *t->v6 + t->pcap +
           t->nslots * sizeof *t->slots;
}

/* ---- names ---- */

static uint64_t name_hash(const char *s)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (; *s; s++) h = (h ^ (uint8_t)*s) * 0x100000001b3ull;
    return h;
}

static int slots_grow(evaluate_asn *t)
{
    size_t n = t->nslots ? t->nslots * 2 : 4096;
    uint32_t *s = calloc(n, sizeof *s);
    if (!s) return -1;
    for (size_t i = 0; i < t->nslots; i++) {
        if (!t->slots[i]) continue;
        size_t k = name_hash(t->pool + t->slots[i] - 1) & (n - 1);
        while (s[k]) k = (k + 1) & (n - 1);
        s[k] = t->slots[i];
    }
    free(t->slots);
    t->slots = s;
    t->nslots = n;
    return 0;
}

/* The pool offset of name (already clean), added if new; -1 out of memory
 * or a pool past 4 GiB. */
static int64_t name_intern(evaluate_asn *t, const char *name)
{
    if (!*name) return 0;
    if (2 * (t->nnames + 1) > t->nslots && slots_grow(t) != 0) return -1;
    size_t mask = t->nslots - 1, k = name_hash(name) & mask;
    for (; t->slots[k]; k = (k + 1) & mask)
        if (!strcmp(t->pool + t->slots[k] - 1, name)) return t->slots[k] - 1;
    size_t n = strlen(name) + 1;
    if (t->plen + n > UINT32_MAX - 1) return -1;
    if (t->plen + n > t->pcap) {
        size_t cap = t->pcap * 2;
        while (cap < t->plen + n) cap *= 2;
        char *p = realloc(t->pool, cap);
        if (!p) return -1;
        t->pool = p;
        t->pcap = cap;
    }
    memcpy(t->pool + t->plen, name, n);
    t->slots[k] = (uint32_t)(t->plen + 1);
    t->nnames++;
    t->plen += n;
    return (int64_t)(t->plen - n);
}

/* ---- rows ---- */

static int push4(evaluate_asn *t, const asn4 *r)
{
    if (t->n4 == t->cap4) {
        size_t cap = t->cap4 ? t->cap4 * 2 : 1024;
        asn4 *v = realloc(t->v4, cap * sizeof *v);
        if (!v) return -1;
        t->v4 = v;
        t->cap4 = cap;
    }
    t->v4[t->n4++] = *r;
    return 0;
}

static int push6(evaluate_asn *t, const asn6 *r)
{
    if (t->n6 == t->cap6) {
        size_t cap = t->cap6 ? t->cap6 * 2 : 1024;
        asn6 *v = realloc(t->v6, cap * sizeof *v);
        if (!v) return -1;
        t->v6 = v;
        t->cap6 = cap;
    }
    t->v6[t->n6++] = *r;
    return 0;
}

/* One data line: 1 added, 0 bad (*why set), -1 out of memory. */
static int parse_row(evaluate_asn *t, char *line, const char **why)
{
    char *f[ASN_FIELDS];
    int n = c2_csv_split(line, f, ASN_FIELDS, NULL);
    if (n != 4) { *why = n < 0 ? "broken CSV quoting or too many fields" : "not 4 fields"; return 0; }
    flow_addr lo, hi;
    uint64_t asn;
    if (flow_addr_parse(f[0], &lo) != 0) { *why = "bad start address"; return 0; }
    if (flow_addr_parse(f[1], &hi) != 0) { *why = "bad end address"; return 0; }
    if (flow_addr_is_v4(&lo) != flow_addr_is_v4(&hi)) { *why = "range mixes IPv4 and IPv6"; return 0; }
    if (memcmp(lo.b, hi.b, 16) > 0) { *why = "end before start"; return 0; }
    if (c2_u64_parse(f[2], UINT32_MAX, &asn) != 0) { *why = "bad AS number"; return 0; }
    char name[EVALUATE_AS_NAME_MAX];
    evaluate_text_copy(name, sizeof name, f[3], strlen(f[3]));
    int64_t off = name_intern(t, name);
    if (off < 0) return -1;
    if (flow_addr_is_v4(&lo)) {
        asn4 r = {flow_addr_v4(&lo), flow_addr_v4(&hi), (uint32_t)asn, (uint32_t)off};
        return push4(t, &r) ? -1 : 1;
    }
    asn6 r = {lo, hi, (uint32_t)asn, (uint32_t)off};
    return push6(t, &r) ? -1 : 1;
}

static int parse_lines(evaluate_asn *t, c2_lines *r, evaluate_stats *st, c2_err *err)
{
    int rc;
    while ((rc = c2_lines_next(r, err)) == 1) {
        st->lines++;
        char *s = r->line;
        while (*s == ' ' || *s == '\t') s++;
        if ((!*s || *s == '#') && strlen(r->line) == r->len) continue;
        const char *why = NULL;
        if (r->too_long) why = "line too long";
        else if (strlen(r->line) != r->len) why = "NUL byte in line";
        int got = why ? 0 : parse_row(t, s, &why);
        if (got < 0) return c2_fail(err, "out of memory");
        if (got) st->entries++;
        else evaluate_stats_bad(st, r->lineno, why);
    }
    return rc;
}

/* ---- index ---- */

static int cmp4(const void *a, const void *b)
{
    const asn4 *x = a, *y = b;
    if (x->lo != y->lo) return x->lo < y->lo ? -1 : 1;
    return x->hi > y->hi ? -1 : x->hi < y->hi;  /* the wider first */
}

static int cmp6(const void *a, const void *b)
{
    const asn6 *x = a, *y = b;
    int c = memcmp(x->lo.b, y->lo.b, 16);
    return c ? c : memcmp(y->hi.b, x->hi.b, 16);
}

static void addr_inc(flow_addr *a)
{
    for (int i = 15; i >= 0 && ++a->b[i] == 0; i--) {}
}

/* Sort if needed, then let the range that starts first keep any overlap. */
static void reindex(evaluate_asn *t)
{
    size_t i, o;
    for (i = 1; i < t->n4 && cmp4(&t->v4[i - 1], &t->v4[i]) <= 0; i++) {}
    if (i < t->n4) qsort(t->v4, t->n4, sizeof *t->v4, cmp4);
    for (i = o = 0; i < t->n4; i++) {
        asn4 r = t->v4[i];
        if (o && r.lo <= t->v4[o - 1].hi) {
            if (r.hi <= t->v4[o - 1].hi) continue;
            r.lo = t->v4[o - 1].hi + 1;
        }
        t->v4[o++] = r;
    }
    t->n4 = o;
    for (i = 1; i < t->n6 && cmp6(&t->v6[i - 1], &t->v6[i]) <= 0; i++) {}
    if (i < t->n6) qsort(t->v6, t->n6, sizeof *t->v6, cmp6);
    for (i = o = 0; i < t->n6; i++) {
        asn6 r = t->v6[i];
        if (o && memcmp(r.lo.b, t->v6[o - 1].hi.b, 16) <= 0) {
            if (memcmp(r.hi.b, t->v6[o - 1].hi.b, 16) <= 0) continue;
            r.lo = t->v6[o - 1].hi;
            addr_inc(&r.lo);
        }
        t->v6[o++] = r;
    }
    t->n6 = o;
}

/* ---- loading ---- */

/* Give back what doubling left unused: a table lives as long as the hub. */
static void shrink(evaluate_asn *t)
{
    asn4 *v4 = t->n4 ? realloc(t->v4, t->n4 * sizeof *v4) : NULL;
    if (v4) t->v4 = v4, t->cap4 = t->n4;
    asn6 *v6 = t->n6 ? realloc(t->v6, t->n6 * sizeof *v6) : NULL;
    if (v6) t->v6 = v6, t->cap6 = t->n6;
    char *pool = realloc(t->pool, t->plen);
    if (pool) t->pool = pool, t->pcap = t->plen;
}

int evaluate_asn_load_mem(evaluate_asn *t, const void *buf, size_t len,
                          const char *name, evaluate_stats *st, c2_err *err)
{
    evaluate_stats local;
    if (!st) st = &local;
    memset(st, 0, sizeof *st);
    c2_lines *r = c2_lines_new(NULL, buf, len, EVALUATE_LINE_MAX);
    if (!r) return c2_fail(err, "out of memory");
    size_t n4 = t->n4, n6 = t->n6;
    int rc = parse_lines(t, r, st, err);
    c2_lines_free(r);
    if (rc == 0 && st->entries == 0) {
        if (st->bad)
            rc = c2_fail(err, "no AS range in %llu lines (%llu bad; line %llu: %s)",
                         (unsigned long long)st->lines, (unsigned long long)st->bad,
                         (unsigned long long)st->first_bad_line, st->first_bad);
        else
            rc = c2_fail(err, "no AS range");
    }
    if (rc != 0) {
        t->n4 = n4;
        t->n6 = n6;
        c2_err_prefix(err, "%s", name);
        evaluate_err_clean(err);
        return -1;
    }
    reindex(t);
    shrink(t);
    return 0;
}

int evaluate_asn_load_file(evaluate_asn *t, const char *path, evaluate_stats *st,
                           c2_err *err)
{
    uint8_t *buf;
    size_t len;
    if (st) memset(st, 0, sizeof *st);
    if (evaluate_file_read(path, &buf, &len, err) != 0) return -1;
    int rc = evaluate_asn_load_mem(t, buf, len, path, st, err);
    free(buf);
    return rc;
}

/* ---- lookup ---- */

uint32_t evaluate_asn_lookup(const evaluate_asn *t, const flow_addr *ip, const char **name)
{
    *name = "";
    if (!t) return 0;
    size_t a = 0, b;
    if (flow_addr_is_v4(ip)) {
        uint32_t x = flow_addr_v4(ip);
        for (b = t->n4; a < b;) {
            size_t mid = a + (b - a) / 2;
            if (t->v4[mid].lo <= x) a = mid + 1;
            else b = mid;
        }
        if (a == 0 || t->v4[a - 1].hi < x) return 0;
        *name = t->pool + t->v4[a - 1].name;
        return t->v4[a - 1].asn;
    }
    for (b = t->n6; a < b;) {
        size_t mid = a + (b - a) / 2;
        if (memcmp(t->v6[mid].lo.b, ip->b, 16) <= 0) a = mid + 1;
        else b = mid;
    }
    if (a == 0 || memcmp(t->v6[a - 1].hi.b, ip->b, 16) < 0) return 0;
    *name = t->pool + t->v6[a - 1].name;
    return t->v6[a - 1].asn;
}
