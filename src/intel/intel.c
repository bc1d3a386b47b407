/*
 * intel.c: the set of entries, its index, and matching.
 *
 * Entries of all files live in one array, sorted after every load by
 * (ip, port, proto, first_seen), so all entries of an address sit together
 * with port 0 ("any port") first.  A lookup asks an ipset of every entry's
 * address first (most flows go to servers no feed lists, and the ipset
 * answers those from cache), then finds the address's run of entries (its
 * start from a hash table of addresses, one cache miss instead of the
 * twenty of a binary search over a million entries; its end by a galloping
 * search), the two port runs in it that can match, (ip, 0) and (ip, port),
 * and takes the earliest-listed entry that passes the protocol and time
 * test.  Reloading sorts and indexes everything again, which is simple and
 * cheap next to reading the file.
 *
 * A load is all or nothing: the array is cut back to its old length when a
 * file fails, before anything was sorted.  If the ipset or the hash table
 * cannot be built (out of memory) lookups do without (skip the ipset,
 * binary-search the array), which is slower but still right.
 */
#include "intel/intel_impl.h"

#include <stdlib.h>
#include <string.h>

#include "ipset/ipset.h"

struct intel_set {
    intel_vec e;                    /* sorted by ip, port, proto, first_seen */
    char    **names;                /* names[source] */
    size_t    nnames;
    ipset    *ips;                  /* every entry's address; NULL: none */
    uint32_t *runs;                 /* hash of addresses: first entry + 1, 0 empty */
    size_t    nslots;               /* power of two, >= 2 x addresses; 0: no table */
};

int intel_vec_push(intel_vec *vec, const intel_entry *e)
{
    if (vec->n == vec->cap) {
        size_t cap = vec->cap ? vec->cap * 2 : 256;
        intel_entry *v = realloc(vec->v, cap * sizeof *v);
        if (!v) return -1;
        vec->v = v;
        vec->cap = cap;
    }
    vec->v[vec->n++] = *e;
    return 0;
}

int intel_new(intel_set **out, c2_err *err)
{
    *out = calloc(1, sizeof **out);
    return *out ? 0 : c2_fail(err, "out of memory");
}

void intel_free(intel_set *s)
{
    if (!s) return;
    free(s->e.v);
    for (size_t i = 0; i < s->nnames; i++) free(s->names[i]);
    free(s->names);
    ipset_free(s->ips);
    free(s->runs);
    free(s);
}

/* ---- index ---- */

static int entry_cmp(const void *a, const void *b)
{
    const intel_entry *x = a, *y = b;
    int c = memcmp(x->ip.b, y->ip.b, 16);
    if (c) return c;
    if (x->port != y->port) return x->port < y->port ? -1 : 1;
    if (x->proto != y->proto) return x->proto < y->proto ? -1 : 1;
    if (x->first_seen != y->first_seen) return x->first_seen < y->first_seen ? -1 : 1;
    return (int)x->source - (int)y->source;
}

static void build_ipset(intel_set *s)
{
    c2_err err;
    ipset_free(s->ips);
    s->ips = NULL;
    if (ipset_new(&s->ips, &err) != 0) return;
    for (size_t i = 0; i < s->e.n; i++)
        if ((i == 0 || memcmp(s->e.v[i].ip.b, s->e.v[i - 1].ip.b, 16)) &&
            ipset_add(s->ips, &s->e.v[i].ip, 128, &err) != 0)
            goto fail;
    if (ipset_build(s->ips, &err) == 0) return;
fail:
    ipset_free(s->ips);
    s->ips = NULL;
}

static size_t addr_slot(const flow_addr *ip, size_t mask)
{
    uint64_t h = (c2_get64(ip->b) * 0x9e3779b97f4a7c15ull) ^ c2_get64(ip->b + 8);
    h *= 0xff51afd7ed558ccdull;
    return (size_t)(h ^ (h >> 32)) & mask;
}

/* The hash table from an address to the first entry of its run. */
static void build_runs(intel_set *s)
{
    free(s->runs);
    s->runs = NULL;
    s->nslots = 0;
    if (s->e.n == 0 || s->e.n >= UINT32_MAX) return;
    size_t addrs = 0, n = 16;
    for (size_t i = 0; i < s->e.n; i++)
        addrs += i == 0 || memcmp(s->e.v[i].ip.b, s->e.v[i - 1].ip.b, 16);
    while (n < 2 * addrs) n *= 2;
    if (!(s->runs = calloc(n, sizeof *s->runs))) return;   /* lookups search instead */
    s->nslots = n;
    for (size_t i = 0; i < s->e.n; i++) {
        if (i && !memcmp(s->e.v[i].ip.b, s->e.v[i - 1].ip.b, 16)) continue;
        size_t k = addr_slot(&s->e.v[i].ip, n - 1);
        while (s->runs[k]) k = (k + 1) & (n - 1);
        s->runs[k] = (uint32_t)(i + 1);
    }
}

static void reindex(intel_set *s)
{
    qsort(s->e.v, s->e.n, sizeof *s->e.v, entry_cmp);
    build_ipset(s);
    build_runs(s);
}

/* The first entry of address ip, or s->e.n when none. */
static size_t run_start(const intel_set *s, const flow_addr *ip)
{
    if (s->nslots) {
        size_t mask = s->nslots - 1, k = addr_slot(ip, mask);
        for (; s->runs[k]; k = (k + 1) & mask)
            if (!memcmp(s->e.v[s->runs[k] - 1].ip.b, ip->b, 16)) return s->runs[k] - 1;
        return s->e.n;
    }
    size_t a = 0, b = s->e.n;
    while (a < b) {
        size_t mid = a + (b - a) / 2;
        if (memcmp(s->e.v[mid].ip.b, ip->b, 16) < 0) a = mid + 1;
        else b = mid;
    }
    return a;
}

/* The entries of address ip: [*lo, *hi).  Its start from the hash table,
 * then a galloping search to its end (a run is short). */
static void ip_run(const intel_set *s, const flow_addr *ip, size_t *lo, size_t *hi)
{
    size_t a = run_start(s, ip);
    *lo = a;
    size_t step = 1, end = a;
    while (end < s->e.n && !memcmp(s->e.v[end].ip.b, ip->b, 16)) {
        a = end + 1;
        end = a + step < s->e.n ? a + step : s->e.n;
        step *= 2;
    }
    /* the run ends in [a, end]: the first index there with another address */
    while (a < end) {
        size_t mid = a + (end - a) / 2;
        if (!memcmp(s->e.v[mid].ip.b, ip->b, 16)) a = mid + 1;
        else end = mid;
    }
    *hi = a;
}

/* First index in [lo, hi) whose port is >= port (upper = 0) or > port. */
static size_t port_bound(const intel_set *s, size_t lo, size_t hi, uint16_t port, int upper)
{
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        uint16_t p = s->e.v[mid].port;
        if (p < port || (upper && p == port)) lo = mid + 1;
        else hi = mid;
    }
    return lo;
}

/* The earliest entry of ip's run [lo, hi) with this port passing proto
 * and time. */
static const intel_entry *scan_port(const intel_set *s, size_t lo, size_t hi, uint16_t port,
                                    uint8_t proto, int64_t at_ms)
{
    const intel_entry *best = NULL;
    for (size_t i = port_bound(s, lo, hi, port, 0), end = port_bound(s, lo, hi, port, 1);
         i < end; i++) {
        const intel_entry *e = &s->e.v[i];
        if (e->proto && e->proto != proto) continue;
        if (at_ms && e->first_seen && e->first_seen > at_ms) continue;
        if (!best || e->first_seen < best->first_seen) best = e;
    }
    return best;
}

const intel_entry *intel_match(const intel_set *s, const flow_addr *ip,
                               uint16_t port, uint8_t proto, int64_t at_ms)
{
    if (s->e.n == 0 || (s->ips && !ipset_contains(s->ips, ip))) return NULL;
    size_t lo, hi;
    ip_run(s, ip, &lo, &hi);
    const intel_entry *exact = scan_port(s, lo, hi, port, proto, at_ms);
    if (port == 0) return exact;
    const intel_entry *any = scan_port(s, lo, hi, 0, proto, at_ms);
    if (!exact) return any;
    return any && any->first_seen < exact->first_seen ? any : exact;
}

/* ---- loading ---- */

static void no_entries(const intel_stats *st, c2_err *err)
{
    char first[200] = "";
    if (st->first_bad_line)
        snprintf(first, sizeof first, ", the first: line %llu: %s",
                 (unsigned long long)st->first_bad_line, st->first_bad);
    c2_fail(err, "no usable entry (%llu lines, %llu bad rows%s; %llu rows of other IOC types)",
            (unsigned long long)st->lines, (unsigned long long)st->bad, first,
            (unsigned long long)st->other);
}

static int load(intel_set *s, FILE *f, const void *mem, size_t len, const char *name,
                intel_format fmt, intel_stats *st, c2_err *err)
{
    intel_stats local;
    if (!st) st = &local;
    memset(st, 0, sizeof *st);
    if (s->nnames >= INTEL_MAX_SOURCES)
        return c2_fail(err, "%s: more than %d files", name, INTEL_MAX_SOURCES);
    char **names = realloc(s->names, (s->nnames + 1) * sizeof *names);
    if (!names) return c2_fail(err, "out of memory");
    s->names = names;
    if (!(s->names[s->nnames] = strdup(name))) return c2_fail(err, "out of memory");
    size_t before = s->e.n;
    int rc = intel_parse(f, mem, len, fmt, (uint16_t)s->nnames, &s->e, st, err);
    if (rc == 0 && st->entries == 0) {
        no_entries(st, err);
        rc = -1;
    }
    if (rc != 0) {
        s->e.n = before;
        free(s->names[s->nnames]);
        c2_err_prefix(err, "%s", name);
        return -1;
    }
    s->nnames++;
    reindex(s);
    return 0;
}

int intel_load_mem(intel_set *s, const void *buf, size_t len, const char *name,
                   intel_format fmt, intel_stats *st, c2_err *err)
{
    return load(s, NULL, buf, len, name, fmt, st, err);
}

int intel_load_file(intel_set *s, const char *path, intel_format fmt,
                    intel_stats *st, c2_err *err)
{
    if (!strcmp(path, "-")) return load(s, stdin, NULL, 0, "stdin", fmt, st, err);
    FILE *f = fopen(path, "rb");
    if (!f) {
        if (st) memset(st, 0, sizeof *st);
        return c2_fail_errno(err, "%s", path);
    }
    int rc = load(s, f, NULL, 0, path, fmt, st, err);
    fclose(f);
    return rc;
}

/* ---- access ---- */

size_t intel_count(const intel_set *s)
{
    return s->e.n;
}

const intel_entry *intel_get(const intel_set *s, size_t i)
{
    return i < s->e.n ? &s->e.v[i] : NULL;
}

const char *intel_source_name(const intel_set *s, uint16_t source)
{
    return source < s->nnames ? s->names[source] : NULL;
}

static const char *const format_names[] = {
    [INTEL_AUTO] = "auto", [INTEL_PLAIN] = "plain",
    [INTEL_FEODO] = "feodo", [INTEL_THREATFOX] = "threatfox",
};

const char *intel_format_name(intel_format fmt)
{
    return (unsigned)fmt < sizeof format_names / sizeof format_names[0] ? format_names[fmt] : "?";
}

int intel_format_lookup(const char *name)
{
    for (size_t i = 0; i < sizeof format_names / sizeof format_names[0]; i++)
        if (!strcmp(format_names[i], name)) return (int)i;
    return -1;
}
