/*
 * leases.c: the lease file of `c2flow lookback --leases` (lookback.h), who
 * held which customer address when, and its lookup by (address, time).
 *
 * The file is untrusted text: lines are read by the shared bounded reader
 * (c2_lines, LOOKBACK_LEASE_LINE_MAX bytes), split as CSV, and every field
 * is checked; a bad line fails the whole file, naming its line, and nothing
 * of it is kept.  At most LOOKBACK_LEASES_MAX (or the caller's max) leases.
 *
 * The index: the leases sorted by (prefix length, prefix, start, line), each
 * with the largest end among the leases of its prefix up to it (maxend).
 * A lookup masks the address to each prefix length present, longest first,
 * binary-searches the last lease of that prefix starting at or before the
 * time and walks back while an earlier lease could still cover the time
 * (maxend > t): the first covering lease met is the one that started last.
 * Leases of one address that do not overlap stop the walk at once.
 *
 * Subscriber ids live in one pool (NUL-terminated, in file order); a
 * lease's pool offset also orders leases of equal start by line.  The
 * lease's pointer into the pool is set once the pool no longer moves.
 */
#include "lookback/lookback.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "c2list/c2list.h"
#include "ipset/ipset.h"

#define LEASE_FIELDS 8

typedef struct slot {
    lookback_lease l;
    size_t         off;             /* subscriber's offset in the pool */
    int64_t        maxend;          /* largest end of this prefix's leases up to here */
} slot;

struct lookback_leases {
    slot    *s;
    size_t   n, cap, max;
    char    *pool;
    size_t   pool_len, pool_cap;
    unsigned lens[129];             /* prefix lengths present, longest first */
    unsigned nlens;
};

/* ---- one line ---- */

static int is_blank_or_comment(const char *p)
{
    while (*p == ' ' || *p == '\t') p++;
    return !*p || *p == '#';
}

static int is_header(char **f, int n)
{
    static const char *const names[4] = {"address", "start", "end", "subscriber"};
    if (n != 4) return 0;
    for (int i = 0; i < 4; i++)
        if (strcasecmp(f[i], names[i])) return 0;
    return 1;
}

static int subscriber_ok(const char *s, c2_err *err)
{
    size_t n = strlen(s);
    if (!n) return c2_fail(err, "the subscriber id is empty");
    if (n > LOOKBACK_SUBSCRIBER_MAX)
        return c2_fail(err, "the subscriber id is longer than %d bytes", LOOKBACK_SUBSCRIBER_MAX);
    for (const char *p = s; *p; p++)
        if (*p < 0x20 || *p > 0x7e || *p == ',' || *p == '"' || *p == '\'' || *p == '\\')
            return c2_fail(err, "the subscriber id holds a character not allowed (printable "
                           "ASCII without commas, quotes or backslashes)");
    return 0;
}

static int pool_add(lookback_leases *L, const char *s, size_t *off)
{
    size_t n = strlen(s) + 1;
    if (L->pool_len + n > L->pool_cap) {
        size_t cap = L->pool_cap ? L->pool_cap * 2 : 4096;
        while (cap < L->pool_len + n) cap *= 2;
        char *p = realloc(L->pool, cap);
        if (!p) return -1;
        L->pool = p;
        L->pool_cap = cap;
    }
    memcpy(L->pool + L->pool_len, s, n);
    *off = L->pool_len;
    L->pool_len += n;
    return 0;
}

static int lease_line(lookback_leases *L, char *line, c2_err *err)
{
    char *f[LEASE_FIELDS];
    int n = c2_csv_split(line, f, LEASE_FIELDS, err);
    if (n < 0) return -1;
    if (n != 4) return c2_fail(err, "%d fields, a lease has 4 (address,start,end,subscriber)", n);
    slot x;
    memset(&x, 0, sizeof x);
    if (!f[0][0]) return c2_fail(err, "the address is empty");
    if (strchr(f[0], '/')) {
        c2_err perr;
        if (ipset_parse(f[0], &x.l.addr, &x.l.len, &perr) != 0)
            return c2_fail(err, "bad prefix '%.50s': %s", f[0], perr.msg);
    } else {
        if (flow_addr_parse(f[0], &x.l.addr) != 0)
            return c2_fail(err, "bad address '%.50s'", f[0]);
        x.l.len = 128;
    }
    if (x.l.len > 128) return c2_fail(err, "bad prefix length in '%.50s'", f[0]);
    if (!f[1][0]) return c2_fail(err, "the start is empty");
    if (c2list_time_parse(f[1], &x.l.start) != 0)
        return c2_fail(err, "bad start '%.50s' (UTC ISO 8601: 2026-01-05T10:00:00Z)", f[1]);
    x.l.end = INT64_MAX;
    if (f[2][0] && c2list_time_parse(f[2], &x.l.end) != 0)
        return c2_fail(err, "bad end '%.50s' (UTC ISO 8601, or empty: still held)", f[2]);
    if (x.l.end <= x.l.start) return c2_fail(err, "the lease ends before it starts");
    if (subscriber_ok(f[3], err) != 0) return -1;
    if (L->n >= L->max) return c2_fail(err, "more than %zu leases", L->max);
    if (L->n == L->cap) {
        size_t cap = L->cap ? L->cap * 2 : 1024;
        if (cap > L->max) cap = L->max;
        slot *p = realloc(L->s, cap * sizeof *p);
        if (!p) return c2_fail(err, "out of memory");
        L->s = p;
        L->cap = cap;
    }
    if (pool_add(L, f[3], &x.off) != 0) return c2_fail(err, "out of memory");
    L->s[L->n++] = x;
    return 0;
}

static int read_lines(lookback_leases *L, c2_lines *lr, c2_err *err)
{
    int rc, first = 1;
    while ((rc = c2_lines_next(lr, err)) == 1) {
        int r = 0;
        if (lr->too_long)
            r = c2_fail(err, "longer than %d bytes", LOOKBACK_LEASE_LINE_MAX);
        else if (memchr(lr->line, '\0', lr->len))
            r = c2_fail(err, "NUL byte");
        else if (is_blank_or_comment(lr->line))
            continue;
        else if (first) {
            char copy[LOOKBACK_LEASE_LINE_MAX + 1], *f[LEASE_FIELDS];
            memcpy(copy, lr->line, lr->len + 1);
            int n = c2_csv_split(copy, f, LEASE_FIELDS, NULL);
            if (!is_header(f, n)) r = lease_line(L, lr->line, err);
        } else {
            r = lease_line(L, lr->line, err);
        }
        first = 0;
        if (r != 0) {
            c2_err_prefix(err, "line %llu", (unsigned long long)lr->lineno);
            return -1;
        }
    }
    return rc;
}

/* ---- the index ---- */

static int slot_order(const void *pa, const void *pb)
{
    const slot *a = pa, *b = pb;
    if (a->l.len != b->l.len) return a->l.len < b->l.len ? -1 : 1;
    int c = memcmp(a->l.addr.b, b->l.addr.b, 16);
    if (c) return c;
    if (a->l.start != b->l.start) return a->l.start < b->l.start ? -1 : 1;
    return a->off < b->off ? -1 : a->off > b->off;
}

static void build(lookback_leases *L)
{
    if (L->n) qsort(L->s, L->n, sizeof *L->s, slot_order);
    int have[129] = {0};
    for (size_t i = 0; i < L->n; i++) {
        slot *x = &L->s[i];
        x->l.subscriber = L->pool + x->off;
        int same = i && x->l.len == x[-1].l.len && !memcmp(x->l.addr.b, x[-1].l.addr.b, 16);
        x->maxend = same && x[-1].maxend > x->l.end ? x[-1].maxend : x->l.end;
        have[x->l.len] = 1;
    }
    L->nlens = 0;
    for (int len = 128; len >= 0; len--)
        if (have[len]) L->lens[L->nlens++] = (unsigned)len;
}

static void mask(flow_addr *a, unsigned len)
{
    for (unsigned i = 0; i < 16; i++) {
        unsigned bits = len > 8 * i ? len - 8 * i : 0;
        if (bits < 8) a->b[i] &= (uint8_t)(0xff00u >> bits);
    }
}

const lookback_lease *lookback_leases_find(const lookback_leases *L, const flow_addr *a,
                                           int64_t t)
{
    if (!L) return NULL;
    for (unsigned k = 0; k < L->nlens; k++) {
        unsigned len = L->lens[k];
        flow_addr m = *a;
        mask(&m, len);
        /* lo: the first slot after every (len, m, start <= t) slot */
        size_t lo = 0, hi = L->n;
        while (lo < hi) {
            size_t mid = lo + (hi - lo) / 2;
            const lookback_lease *x = &L->s[mid].l;
            int c = x->len != len ? (x->len < len ? -1 : 1) : memcmp(x->addr.b, m.b, 16);
            if (c < 0 || (c == 0 && x->start <= t)) lo = mid + 1;
            else hi = mid;
        }
        for (size_t j = lo; j-- > 0;) {
            const slot *x = &L->s[j];
            if (x->l.len != len || memcmp(x->l.addr.b, m.b, 16) || x->maxend <= t) break;
            if (x->l.end > t) return &x->l;
        }
    }
    return NULL;
}

/* ---- reading ---- */

static int read_any(FILE *f, const void *mem, size_t len, size_t max, lookback_leases **out,
                    c2_err *err)
{
    *out = NULL;
    lookback_leases *L = calloc(1, sizeof *L);
    c2_lines *lr = c2_lines_new(f, mem, len, LOOKBACK_LEASE_LINE_MAX);
    if (!L || !lr) {
        free(L);
        c2_lines_free(lr);
        return c2_fail(err, "out of memory");
    }
    L->max = max && max < LOOKBACK_LEASES_MAX ? max : LOOKBACK_LEASES_MAX;
    int rc = read_lines(L, lr, err);
    c2_lines_free(lr);
    if (rc != 0) {
        lookback_leases_free(L);
        /* messages quote the input: keep them one printable line */
        for (char *p = err ? err->msg : NULL; p && *p; p++)
            if (!isprint((unsigned char)*p)) *p = '?';
        return -1;
    }
    build(L);
    *out = L;
    return 0;
}

int lookback_leases_read_mem(const void *buf, size_t len, const char *name, size_t max,
                             lookback_leases **out, c2_err *err)
{
    if (read_any(NULL, buf, len, max, out, err) != 0) {
        c2_err_prefix(err, "%s", name);
        return -1;
    }
    return 0;
}

int lookback_leases_read_file(const char *path, size_t max, lookback_leases **out, c2_err *err)
{
    *out = NULL;
    int std = !strcmp(path, "-");
    FILE *f = std ? stdin : fopen(path, "rb");
    if (!f) return c2_fail_errno(err, "%s", path);
    int rc = read_any(f, NULL, 0, max, out, err);
    if (!std) fclose(f);
    if (rc != 0) c2_err_prefix(err, "%s", std ? "stdin" : path);
    return rc;
}

void lookback_leases_free(lookback_leases *L)
{
    if (!L) return;
    free(L->s);
    free(L->pool);
    free(L);
}

size_t lookback_leases_count(const lookback_leases *L) { return L ? L->n : 0; }

const lookback_lease *lookback_leases_get(const lookback_leases *L, size_t i)
{
    return L && i < L->n ? &L->s[i].l : NULL;
}
