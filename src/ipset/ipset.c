/*
 * ipset.c: IP address and prefix sets, built once, looked up at memory speed.
 *
 * Staging.  Each entry becomes a range.  IPv4 ones (prefixes inside
 * ::ffff:0:0/96) are kept as one uint64 (first address << 32 | last), the
 * others as two 128-bit numbers.  ipset_build sorts each family (IPv4 by an
 * LSD radix sort on the first address, IPv6 by a merge sort), merges
 * overlapping, nested and adjacent ranges into disjoint ones, frees the
 * staging and builds per family (side4, side6):
 *
 *   v[]  the disjoint ranges, ascending                     8 B (IPv4) a range
 *   t[]  a bucket table: the key space from the first address to the last
 *        (for IPv6 the upper 64 bits) cut into 2^bits buckets, bits =
 *        floor(log2(ranges)) (at most 22): one or two ranges a bucket
 *                                                   8 B (IPv4), 4 B a bucket
 *   f[]  a filter bitmap, 32 bits per bucket: bit k is set when some range
 *        meets the k-th 1/32 of a bucket                    4 B a bucket
 *
 * so an IPv4 set costs 14-20 bytes a range.  (Measured with
 * bench/ipset_bench: as many buckets as ranges was no faster.)
 *
 * Lookup of an address x: outside [first, last] it misses after one
 * compare; then one bit of f decides most misses (lists are sparse: for
 * random addresses against 100,000 random entries, 95 % stop here, and
 * the filter, a quarter of a bucket's size, stays in cache where the table
 * would not).  Past
 * the filter, the IPv4 bucket entry t[b] = {lo, hi} answers by itself when
 * lo <= hi: the one range meeting the bucket is [lo, hi] (an empty bucket
 * holds [0, 0], which no address of a bucket b > 0 is in, and bucket 0
 * starts at the first range so is never empty).  lo > hi means several
 * ranges meet the bucket, v[hi] .. v[lo - 1], and a branch-free binary
 * search over that short slice finds the first one ending at or after x.
 * IPv6 buckets hold the index of the first range ending at or after the
 * bucket's start (t[nb] = n), and a sentinel range at v[n] ends at the top,
 * so the slice t[b] .. t[b + 1] always holds a range ending at or after x.
 *
 * ipset_contains_batch runs a column through three passes per block of 64
 * so that the cache misses of a block overlap instead of queueing: find
 * and prefetch each address's filter word; test the bits and prefetch the
 * buckets of those that pass; answer (prefetching range slices first).
 * ipset_contains_batch_v4 does the same on uint32 IPv4 columns (no family
 * test, a quarter of the bytes), with the filter pass branch-free over
 * blocks of 512.  (Measured on the 20 M-row benchmark store against its
 * 100,000-entry list, 7.8 % of lookups pass the filter: an AVX2 gather of
 * the filter words was 1.5-2.5 times slower than scalar loads here, and a
 * filter of 64 or 128 bits a bucket, though it let through 3 or 4 times
 * fewer, was slower, having left L2.)
 *
 * An IPv6 prefix that covers all of ::ffff:0:0/96 (::/0, ::/64, ...) is kept
 * whole among the IPv6 ranges and also adds 0.0.0.0-255.255.255.255 to the
 * IPv4 ones: lookups of IPv4-mapped addresses read only the IPv4 side, and
 * the IPv6 side never holds an address that is not in the set, so bounds
 * and intersects can combine the two sides directly.
 *
 * A set can be built again after more adds: the built ranges go back into
 * staging and everything is merged anew.  Loading a file is all or nothing:
 * the staging counts are saved first and restored on error.  Files are read
 * in fixed chunks and only the first ENTRY_CAP bytes of a line's entry are
 * kept (runs of blanks collapse to one, comments are skipped unread), so
 * memory stays bounded whatever the line lengths.
 */
#include "ipset/ipset.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ENTRY_CAP 256           /* bytes kept of one line's entry */
#define SHOW_MAX 64             /* bytes of a bad entry quoted in errors */
#define SHOW_BUF (SHOW_MAX * 4 + 16)    /* 4 bytes each ("\xNN"), "...", NUL */
#define MAX_TABLE_BITS 22       /* bucket tables: at most 2^22 slots */
#define FILTER_EXTRA 5          /* filter bits per bucket: 2^5 */
#define MAX_RANGES 0xfffffff0u  /* range indexes are uint32 */

typedef struct u128 { uint64_t h, l; } u128;
typedef struct r4 { uint32_t lo, hi; } r4;
typedef struct r6 { u128 lo, hi; } r6;

/* The built lookup structures of one family (see build4, build6). */
typedef struct side4 {
    r4       *v;                /* n disjoint ranges, ascending */
    size_t    n;
    r4       *t;                /* bucket table */
    uint64_t *f;                /* filter: bit k set if a range meets
                                   addresses base + (k << fshift) .. */
    uint32_t  base, span;       /* first address, last - first */
    unsigned  shift, fshift;    /* bucket = (x - base) >> shift, etc. */
} side4;

typedef struct side6 {
    r6       *v;                /* n disjoint ranges + a sentinel */
    size_t    n;
    uint32_t *t;                /* bucket table, first range index */
    uint64_t *f;                /* filter, over the upper 64 bits */
    uint64_t  base, span;       /* over the upper 64 bits */
    unsigned  shift, fshift;
} side6;

struct ipset {
    /* staging: what was added since the last build */
    uint64_t *add4;             /* lo << 32 | hi */
    size_t    n_add4, cap_add4;
    r6       *add6;
    size_t    n_add6, cap_add6;
    size_t    entries;          /* entries added, ever */
    int       built;            /* ipset_build has run */
    side4     s4;               /* IPv4-mapped addresses, as uint32 */
    side6     s6;               /* everything else */
};

/* ---- 128-bit helpers ---- */

static inline void store_be64(uint8_t *p, uint64_t v)
{
    for (int i = 7; i >= 0; i--) { p[i] = (uint8_t)v; v >>= 8; }
}

static inline u128 addr_u128(const flow_addr *a)
{
    return (u128){c2_get_be64(a->b), c2_get_be64(a->b + 8)};
}

static inline void u128_addr(u128 v, flow_addr *a)
{
    store_be64(a->b, v.h);
    store_be64(a->b + 8, v.l);
}

static inline int lt128(u128 a, u128 b)
{
    return (a.h < b.h) | ((a.h == b.h) & (a.l < b.l));
}

static inline int cmp128(u128 a, u128 b)
{
    if (a.h != b.h) return a.h < b.h ? -1 : 1;
    if (a.l != b.l) return a.l < b.l ? -1 : 1;
    return 0;
}

static const u128 MAX128 = {UINT64_MAX, UINT64_MAX};
/* ::ffff:0.0.0.0 and ::ffff:255.255.255.255 */
static const u128 MAPPED_LO = {0, 0x0000ffff00000000ull};
static const u128 MAPPED_HI = {0, 0x0000ffffffffffffull};

static inline int is_mapped(u128 v) { return v.h == 0 && (v.l >> 32) == 0xffff; }

static inline u128 v4_u128(uint32_t x) { return (u128){0, 0x0000ffff00000000ull | x}; }

/* The first and last addresses of prefix a/len (len <= 128). */
static void prefix_range(u128 a, unsigned len, u128 *lo, u128 *hi)
{
    uint64_t mh, ml;
    if (len == 0) { mh = 0; ml = 0; }
    else if (len < 64) { mh = ~0ull << (64 - len); ml = 0; }
    else if (len == 64) { mh = ~0ull; ml = 0; }
    else if (len < 128) { mh = ~0ull; ml = ~0ull << (128 - len); }
    else { mh = ~0ull; ml = ~0ull; }
    lo->h = a.h & mh; lo->l = a.l & ml;
    hi->h = a.h | ~mh; hi->l = a.l | ~ml;
}

/* ---- life cycle ---- */

int ipset_new(ipset **out, c2_err *err)
{
    *out = calloc(1, sizeof **out);
    if (!*out) return c2_fail(err, "ipset: out of memory");
    return 0;
}

static void free4(side4 *d);
static void free6(side6 *d);

/* Zeroed arrays (never NULL for a size of 0 unless out of memory). */
static void *zalloc(size_t n, size_t size)
{
    return calloc(n ? n : 1, size);
}

void ipset_free(ipset *s)
{
    if (!s) return;
    free(s->add4);
    free(s->add6);
    free4(&s->s4);
    free6(&s->s6);
    free(s);
}

/* ---- staging ---- */

static int grow(void **p, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap) return 0;
    size_t n = *cap ? *cap : 64;
    while (n < need) {
        if (n > SIZE_MAX / 2 / elem) return -1;
        n *= 2;
    }
    void *q = realloc(*p, n * elem);
    if (!q) return -1;
    *p = q;
    *cap = n;
    return 0;
}

static int push4(ipset *s, uint32_t lo, uint32_t hi)
{
    if (grow((void **)&s->add4, &s->cap_add4, s->n_add4 + 1, sizeof *s->add4)) return -1;
    s->add4[s->n_add4++] = (uint64_t)lo << 32 | hi;
    return 0;
}

static int push6(ipset *s, u128 lo, u128 hi)
{
    if (grow((void **)&s->add6, &s->cap_add6, s->n_add6 + 1, sizeof *s->add6)) return -1;
    s->add6[s->n_add6++] = (r6){lo, hi};
    return 0;
}

/* Stage the range of one prefix, on the side(s) it belongs to. */
static int stage(ipset *s, u128 a, unsigned len)
{
    u128 lo, hi;
    prefix_range(a, len, &lo, &hi);
    if (is_mapped(lo) && is_mapped(hi)) {
        if (push4(s, (uint32_t)lo.l, (uint32_t)hi.l)) return -1;
    } else {
        if (push6(s, lo, hi)) return -1;
        if (!lt128(MAPPED_LO, lo) && !lt128(hi, MAPPED_HI) && push4(s, 0, UINT32_MAX)) {
            s->n_add6--;
            return -1;
        }
    }
    s->entries++;
    return 0;
}

int ipset_add(ipset *s, const flow_addr *a, unsigned len, c2_err *err)
{
    if (len > 128) return c2_fail(err, "prefix length %u above 128", len);
    if (stage(s, addr_u128(a), len)) return c2_fail(err, "ipset: out of memory");
    return 0;
}

/* ---- text ---- */

static inline int is_blank(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

/* Quote at most SHOW_MAX bytes of p for an error message: printable ASCII
 * as is, other bytes as \xNN, "..." when cut. */
static const char *show(const char *p, size_t n, char *buf, size_t len)
{
    size_t o = 0;
    for (size_t i = 0; i < n && o + 5 < len; i++) {
        unsigned char c = (unsigned char)p[i];
        if (i == SHOW_MAX) { memcpy(buf + o, "...", 3); o += 3; break; }
        if (c >= 0x20 && c < 0x7f && c != '\\') buf[o++] = (char)c;
        else o += (size_t)snprintf(buf + o, len - o, "\\x%02x", c);
    }
    buf[o] = '\0';
    return buf;
}

/* Parse p[0..n) (not NUL-terminated; blanks around allowed).  On error
 * *why says what is wrong and -1 is returned. */
static int parse_entry(const char *p, size_t n, u128 *out, unsigned *out_len,
                       const char **why)
{
    while (n && is_blank((unsigned char)p[0])) { p++; n--; }
    while (n && is_blank((unsigned char)p[n - 1])) n--;
    *why = NULL;
    if (n == 0) { *why = "empty"; return -1; }
    const char *slash = memchr(p, '/', n);
    size_t alen = slash ? (size_t)(slash - p) : n;
    char abuf[48];
    if (alen == 0 || alen >= sizeof abuf) return -1;
    memcpy(abuf, p, alen);
    abuf[alen] = '\0';
    if (strlen(abuf) != alen) return -1;        /* a NUL byte inside */
    int v6 = memchr(abuf, ':', alen) != NULL;
    flow_addr a;
    if (flow_addr_parse(abuf, &a) != 0) return -1;
    /* flow_addr_parse accepts either family; the text decides which one */
    if (!v6 && !flow_addr_is_v4(&a)) return -1;
    unsigned max = v6 ? 128 : 32, len = max;
    if (slash) {
        const char *d = slash + 1;
        size_t dn = n - alen - 1;
        if (dn == 0 || dn > 3) { *why = "bad prefix length"; return -1; }
        len = 0;
        for (size_t i = 0; i < dn; i++) {
            if (d[i] < '0' || d[i] > '9') { *why = "bad prefix length"; return -1; }
            len = len * 10 + (unsigned)(d[i] - '0');
        }
        if (len > max) { *why = v6 ? "prefix length above 128" : "prefix length above 32"; return -1; }
    }
    if (!v6) len += 96;
    u128 lo, hi;
    prefix_range(addr_u128(&a), len, &lo, &hi);
    *out = lo;
    *out_len = len;
    return 0;
}

static int bad_text(c2_err *err, const char *p, size_t n, const char *why)
{
    char buf[SHOW_BUF];
    while (n && is_blank((unsigned char)p[0])) { p++; n--; }
    while (n && is_blank((unsigned char)p[n - 1])) n--;
    return c2_fail(err, "bad address '%s'%s%s", show(p, n, buf, sizeof buf),
                   why ? ": " : "", why ? why : "");
}

int ipset_parse(const char *text, flow_addr *a, unsigned *len, c2_err *err)
{
    u128 v;
    const char *why;
    size_t n = strlen(text);
    if (parse_entry(text, n, &v, len, &why) != 0) return bad_text(err, text, n, why);
    u128_addr(v, a);
    return 0;
}

int ipset_add_text(ipset *s, const char *text, c2_err *err)
{
    u128 v;
    unsigned len;
    const char *why;
    size_t n = strlen(text);
    if (parse_entry(text, n, &v, &len, &why) != 0) return bad_text(err, text, n, why);
    if (stage(s, v, len)) return c2_fail(err, "ipset: out of memory");
    return 0;
}

/* ---- list files ---- */

typedef struct loader {
    ipset      *s;
    const char *name;
    c2_err     *err;
    size_t      line;           /* 1-based number of the current line */
    size_t      len;            /* bytes in entry */
    int         overlong;       /* entry had more than ENTRY_CAP bytes */
    int         comment;        /* a '#' was seen on this line */
    int         started;        /* some input seen (a BOM only counts first) */
    char        entry[ENTRY_CAP];
} loader;

/* Append line bytes (no newline) to the entry: leading blanks dropped,
 * runs of blanks collapsed, everything from '#' on ignored. */
static void take(loader *ld, const char *p, size_t n)
{
    if (ld->comment) return;
    const char *hash = memchr(p, '#', n);
    if (hash) { n = (size_t)(hash - p); ld->comment = 1; }
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)p[i];
        if (is_blank(c)) {
            if (ld->len == 0 || ld->entry[ld->len - 1] == ' ') continue;
            c = ' ';
        }
        if (ld->len < ENTRY_CAP) ld->entry[ld->len++] = (char)c;
        else ld->overlong = 1;
    }
}

static int end_line(loader *ld)
{
    size_t n = ld->len;
    const char *p = ld->entry;
    int rc = 0;
    while (n && p[n - 1] == ' ') n--;
    if (n > 1 && p[n - 1] == ',') {            /* a lone ',' is no entry */
        n--;
        while (n && p[n - 1] == ' ') n--;
    }
    if (n || ld->overlong) {
        u128 v;
        unsigned len;
        const char *why = NULL;
        if (ld->overlong || parse_entry(p, n, &v, &len, &why) != 0) {
            char buf[SHOW_BUF];
            rc = c2_fail(ld->err, "%s:%zu: bad address '%s'%s%s", ld->name, ld->line,
                         show(p, ld->overlong ? ld->len : n, buf, sizeof buf),
                         why ? ": " : "", why ? why : "");
        } else if (stage(ld->s, v, len)) {
            rc = c2_fail(ld->err, "%s:%zu: out of memory", ld->name, ld->line);
        }
    }
    ld->line++;
    ld->len = 0;
    ld->overlong = ld->comment = 0;
    return rc;
}

static int feed(loader *ld, const char *p, size_t n)
{
    if (!ld->started && n >= 3 && !memcmp(p, "\xef\xbb\xbf", 3)) {
        p += 3;                                 /* UTF-8 byte order mark */
        n -= 3;
    }
    if (n) ld->started = 1;
    while (n) {
        const char *nl = memchr(p, '\n', n);
        size_t seg = nl ? (size_t)(nl - p) : n;
        take(ld, p, seg);
        if (!nl) break;
        if (end_line(ld) != 0) return -1;
        p = nl + 1;
        n -= seg + 1;
    }
    return 0;
}

static int finish(loader *ld)
{
    if (ld->len || ld->overlong) return end_line(ld);
    return 0;
}

typedef struct saved { size_t n4, n6, entries; } saved;

static saved save(const ipset *s) { return (saved){s->n_add4, s->n_add6, s->entries}; }

static int restore(ipset *s, saved sv)
{
    s->n_add4 = sv.n4;
    s->n_add6 = sv.n6;
    s->entries = sv.entries;
    return -1;
}

static void loader_init(loader *ld, ipset *s, const char *name, c2_err *err)
{
    memset(ld, 0, sizeof *ld);
    ld->s = s;
    ld->name = name;
    ld->err = err;
    ld->line = 1;
}

int ipset_load_buffer(ipset *s, const char *buf, size_t len, const char *name,
                      c2_err *err)
{
    saved sv = save(s);
    loader ld;
    loader_init(&ld, s, name, err);
    if (feed(&ld, buf, len) != 0 || finish(&ld) != 0) return restore(s, sv);
    return 0;
}

int ipset_load_file(ipset *s, const char *path, c2_err *err)
{
    FILE *f = fopen(path, "rb");
    if (!f) return c2_fail_errno(err, "%s", path);
    saved sv = save(s);
    loader ld;
    loader_init(&ld, s, path, err);
    char chunk[16384];
    size_t n;
    int rc = 0;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        if ((rc = feed(&ld, chunk, n)) != 0) break;
    if (rc == 0 && ferror(f)) rc = c2_fail_errno(err, "%s: read error", path);
    if (rc == 0) rc = finish(&ld);
    fclose(f);
    if (rc != 0) return restore(s, sv);
    return 0;
}

/* ---- build ---- */

/* Sort by the upper 32 bits (the range start): LSD radix, 8 bits a pass,
 * passes where every key has the same digit skipped. */
static void sort4(uint64_t *a, size_t n)
{
    if (n < 2) return;
    uint64_t *tmp = n >= 64 ? malloc(n * sizeof *tmp) : NULL;
    if (!tmp) {                                 /* small (or no memory) */
        for (size_t i = 1; i < n; i++) {
            uint64_t v = a[i];
            size_t j = i;
            for (; j > 0 && (a[j - 1] >> 32) > (v >> 32); j--) a[j] = a[j - 1];
            a[j] = v;
        }
        return;
    }
    size_t cnt[4][256];
    memset(cnt, 0, sizeof cnt);
    for (size_t i = 0; i < n; i++) {
        uint32_t k = (uint32_t)(a[i] >> 32);
        cnt[0][k & 255]++; cnt[1][(k >> 8) & 255]++;
        cnt[2][(k >> 16) & 255]++; cnt[3][k >> 24]++;
    }
    uint64_t *src = a, *dst = tmp;
    for (int d = 0; d < 4; d++) {
        unsigned sh = 32 + 8 * (unsigned)d;
        if (cnt[d][(src[0] >> sh) & 255] == n) continue;
        size_t sum = 0;
        for (int b = 0; b < 256; b++) { size_t c = cnt[d][b]; cnt[d][b] = sum; sum += c; }
        for (size_t i = 0; i < n; i++) dst[cnt[d][(src[i] >> sh) & 255]++] = src[i];
        uint64_t *t = src; src = dst; dst = t;
    }
    if (src != a) memcpy(a, src, n * sizeof *a);
    free(tmp);
}

/* Sort IPv6 staging by range start: merge sort with the compare inlined
 * (qsort's callback made it three times slower), insertion sort below 16. */
static void msort6(r6 *a, r6 *tmp, size_t n)
{
    if (n < 16) {
        for (size_t i = 1; i < n; i++) {
            r6 v = a[i];
            size_t j = i;
            for (; j > 0 && lt128(v.lo, a[j - 1].lo); j--) a[j] = a[j - 1];
            a[j] = v;
        }
        return;
    }
    size_t h = n / 2, i = 0, j = h, k = 0;
    msort6(a, tmp, h);
    msort6(a + h, tmp, n - h);
    if (!lt128(a[h].lo, a[h - 1].lo)) return;  /* already in order */
    while (i < h && j < n) tmp[k++] = lt128(a[j].lo, a[i].lo) ? a[j++] : a[i++];
    while (i < h) tmp[k++] = a[i++];
    memcpy(a, tmp, k * sizeof *a);              /* a[j..n) is in place */
}

static int cmp6(const void *x, const void *y)
{
    return cmp128(((const r6 *)x)->lo, ((const r6 *)y)->lo);
}

static void sort6(r6 *a, size_t n)
{
    if (n < 2) return;
    r6 *tmp = malloc(n * sizeof *tmp);
    if (!tmp) { qsort(a, n, sizeof *a, cmp6); return; }   /* no memory: in place */
    msort6(a, tmp, n);
    free(tmp);
}

/* log2 of the bucket count: one or two ranges a bucket. */
static unsigned table_bits(size_t ranges)
{
    unsigned bits = 1;
    while (bits < MAX_TABLE_BITS && ((size_t)2 << bits) <= ranges) bits++;
    return bits;
}

/* The smallest shift that cuts span + 1 values into at most 2^bits parts. */
static unsigned shift_for(uint64_t span, unsigned bits, unsigned width)
{
    unsigned shift = 0;
    while (shift < width - 1 && (span >> shift) >> bits != 0) shift++;
    return shift;
}

/* Set filter bits a..b. */
static void mark(uint64_t *f, uint64_t a, uint64_t b)
{
    for (uint64_t k = a; k <= b;) {
        if ((k & 63) == 0 && b - k >= 63) { f[k >> 6] = ~0ull; k += 64; }
        else { f[k >> 6] |= 1ull << (k & 63); k++; }
    }
}

static void free4(side4 *d) { free(d->v); free(d->t); free(d->f); memset(d, 0, sizeof *d); }
static void free6(side6 *d) { free(d->v); free(d->t); free(d->f); memset(d, 0, sizeof *d); }

/* Merge the sorted staging into disjoint ranges and index them.  0, or -1
 * (out of memory) with nothing allocated.
 *
 * Bucket b covers base + (b << shift) .. + (1 << shift) - 1, and t[b] says:
 *   lo <= hi   the only range that meets the bucket is [lo, hi] (so the
 *              answer is lo <= x <= hi, from the table alone); an empty
 *              bucket is [0, 0], which no address of a bucket b > 0 holds
 *              (bucket 0 starts at the first range, so is never empty);
 *   lo > hi    several ranges meet it: v[hi] .. v[lo - 1]. */
static int build4(const uint64_t *a, size_t n, side4 *d)
{
    memset(d, 0, sizeof *d);
    r4 *v = zalloc(n, sizeof *v);
    if (!v) return -1;
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        uint32_t lo = (uint32_t)(a[i] >> 32), hi = (uint32_t)a[i];
        if (m && (v[m - 1].hi == UINT32_MAX || lo <= v[m - 1].hi + 1)) {
            if (hi > v[m - 1].hi) v[m - 1].hi = hi;
        } else {
            v[m++] = (r4){lo, hi};
        }
    }
    if (m < n / 2) {                            /* much was merged: shrink */
        r4 *w = zalloc(m, sizeof *w);
        if (w) { memcpy(w, v, m * sizeof *w); free(v); v = w; }
    }
    d->v = v;
    d->n = m;
    if (!m) return 0;
    v = d->v;
    d->base = v[0].lo;
    d->span = v[m - 1].hi - v[0].lo;
    unsigned bits = table_bits(m);
    d->shift = shift_for(d->span, bits, 32);
    d->fshift = shift_for(d->span, bits + FILTER_EXTRA, 32);
    size_t nb = ((size_t)d->span >> d->shift) + 1;
    d->t = zalloc(nb, sizeof *d->t);
    d->f = zalloc(((size_t)d->span >> d->fshift) / 64 + 1, sizeof *d->f);
    if (!d->t || !d->f) { free4(d); return -1; }
    size_t i = 0;
    for (size_t b = 0; b < nb; b++) {
        uint64_t first = (uint64_t)d->base + ((uint64_t)b << d->shift);
        uint64_t last = first + ((uint64_t)1 << d->shift) - 1;
        while (i < m && v[i].hi < first) i++;
        size_t j = i;
        while (j < m && v[j].lo <= last) j++;
        if (j == i) d->t[b] = (r4){0, 0};
        else if (j == i + 1) d->t[b] = v[i];
        else d->t[b] = (r4){(uint32_t)j, (uint32_t)i};
    }
    for (i = 0; i < m; i++)
        mark(d->f, (v[i].lo - d->base) >> d->fshift, (v[i].hi - d->base) >> d->fshift);
    return 0;
}

/* IPv6: buckets cut the upper 64 bits; t[b] is the first range ending at
 * or after the bucket's first address and t[nb] = n, so the ranges an
 * address of bucket b can be in are t[b] .. t[b + 1], the last of which
 * ends after it (or is the sentinel v[n], ending at the top). */
static int build6(const r6 *a, size_t n, side6 *d)
{
    memset(d, 0, sizeof *d);
    r6 *v = zalloc(n + 1, sizeof *v);
    if (!v) return -1;
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        if (m) {
            u128 last = v[m - 1].hi, next = last;
            if (++next.l == 0) next.h++;
            if (cmp128(last, MAX128) == 0 || !lt128(next, a[i].lo)) {
                if (lt128(last, a[i].hi)) v[m - 1].hi = a[i].hi;
                continue;
            }
        }
        v[m++] = a[i];
    }
    v[m] = (r6){MAX128, MAX128};
    if (m < n / 2) {
        r6 *w = zalloc(m + 1, sizeof *w);
        if (w) { memcpy(w, v, (m + 1) * sizeof *w); free(v); v = w; }
    }
    d->v = v;
    d->n = m;
    if (!m) return 0;
    d->base = v[0].lo.h;
    d->span = v[m - 1].hi.h - v[0].lo.h;
    unsigned bits = table_bits(m);
    d->shift = shift_for(d->span, bits, 64);
    d->fshift = shift_for(d->span, bits + FILTER_EXTRA, 64);
    size_t nb = (size_t)(d->span >> d->shift) + 1;
    d->t = zalloc(nb + 1, sizeof *d->t);
    d->f = zalloc((size_t)(d->span >> d->fshift) / 64 + 1, sizeof *d->f);
    if (!d->t || !d->f) { free6(d); return -1; }
    size_t i = 0;
    for (size_t b = 0; b < nb; b++) {
        u128 first = {d->base + ((uint64_t)b << d->shift), 0};
        while (i < m && lt128(v[i].hi, first)) i++;
        d->t[b] = (uint32_t)i;
    }
    d->t[nb] = (uint32_t)m;
    for (i = 0; i < m; i++)
        mark(d->f, (v[i].lo.h - d->base) >> d->fshift, (v[i].hi.h - d->base) >> d->fshift);
    return 0;
}

int ipset_build(ipset *s, c2_err *err)
{
    if (s->built && s->n_add4 == 0 && s->n_add6 == 0) return 0;   /* nothing new */
    /* a rebuild merges the ranges built before with what was added since */
    saved sv = save(s);
    side4 d4;
    side6 d6;
    for (size_t i = 0; i < s->s4.n; i++)
        if (push4(s, s->s4.v[i].lo, s->s4.v[i].hi)) goto nomem;
    for (size_t i = 0; i < s->s6.n; i++)
        if (push6(s, s->s6.v[i].lo, s->s6.v[i].hi)) goto nomem;
    if (s->n_add4 > MAX_RANGES || s->n_add6 > MAX_RANGES) {
        restore(s, sv);
        return c2_fail(err, "ipset: more than %u ranges", MAX_RANGES);
    }
    sort4(s->add4, s->n_add4);
    sort6(s->add6, s->n_add6);
    if (build4(s->add4, s->n_add4, &d4)) goto nomem;
    if (build6(s->add6, s->n_add6, &d6)) { free4(&d4); goto nomem; }
    free4(&s->s4);
    free6(&s->s6);
    s->s4 = d4;
    s->s6 = d6;
    s->built = 1;
    free(s->add4);
    free(s->add6);
    s->add4 = NULL;
    s->add6 = NULL;
    s->n_add4 = s->cap_add4 = s->n_add6 = s->cap_add6 = 0;
    return 0;
nomem:
    restore(s, sv);                             /* drops the re-staged ranges */
    return c2_fail(err, "ipset: out of memory building %zu entries", s->entries);
}

/* ---- lookups ---- */

static inline int bit(const uint64_t *f, uint64_t k)
{
    return (int)(f[k >> 6] >> (k & 63)) & 1;
}

/* The first range of p[0..len) that ends at or after x, or the last one. */
static inline const r4 *search4(const r4 *p, size_t len, uint32_t x)
{
    while (len > 1) {
        size_t half = len >> 1;
        p += (size_t)(p[half - 1].hi < x) * half;    /* no branch */
        len -= half;
    }
    return p;
}

static inline int slice4(const side4 *d, const r4 *e, uint32_t x)
{
    if (e->lo <= e->hi) return (e->lo <= x) & (x <= e->hi);
    const r4 *p = search4(d->v + e->hi, e->lo - e->hi, x);
    return (p->lo <= x) & (x <= p->hi);
}

static inline int has4(const side4 *d, uint32_t x)
{
    uint32_t off = x - d->base;
    if (off > d->span || !d->n || !bit(d->f, off >> d->fshift)) return 0;
    return slice4(d, &d->t[off >> d->shift], x);
}

static inline int slice6(const side6 *d, uint64_t slot, u128 x)
{
    const uint32_t *t = d->t + slot;
    const r6 *p = d->v + t[0];
    size_t len = (size_t)(t[1] - t[0]) + 1;     /* p[len-1].hi >= x */
    while (len > 1) {
        size_t half = len >> 1;
        p += (size_t)lt128(p[half - 1].hi, x) * half;
        len -= half;
    }
    return !lt128(x, p->lo) & (p < d->v + d->n);
}

static inline int has6(const side6 *d, u128 x)
{
    uint64_t off = x.h - d->base;
    if (off > d->span || !d->n || !bit(d->f, off >> d->fshift)) return 0;
    return slice6(d, off >> d->shift, x);
}

int ipset_contains(const ipset *s, const flow_addr *a)
{
    u128 x = addr_u128(a);
    if (is_mapped(x)) return has4(&s->s4, (uint32_t)x.l);
    return has6(&s->s6, x);
}

/* Columns go in blocks of three passes, so that the cache misses of a
 * whole block are in flight together instead of one after the other:
 * (1) find each address's filter word and prefetch it; (2) test the filter
 * bits (most addresses of most lists stop here) and prefetch the bucket of
 * those that pass; (3) answer those from their buckets. */
#define BLOCK 64

/* A set of a few ranges (a customer address space: a handful of
 * prefixes) is answered by comparing each address with every range,
 * without tables and without a branch on the family, which in a column of
 * mixed IPv4 and IPv6 rows is a coin toss for the branch predictor. */
#define SMALL_SET 4

static void contains_small(const ipset *s, const flow_addr *a, size_t n, uint8_t *out)
{
    const side4 *d4 = &s->s4;
    const side6 *d6 = &s->s6;
    for (size_t i = 0; i < n; i++) {
        u128 x = addr_u128(&a[i]);
        unsigned m = (x.h == 0) & ((x.l >> 32) == 0xffff), hit4 = 0, hit6 = 0;
        uint32_t x4 = (uint32_t)x.l;
        for (size_t r = 0; r < d4->n; r++)
            hit4 |= x4 - d4->v[r].lo <= d4->v[r].hi - d4->v[r].lo;
        for (size_t r = 0; r < d6->n; r++)
            hit6 |= (unsigned)((lt128(x, d6->v[r].lo) | lt128(d6->v[r].hi, x)) ^ 1);
        out[i] = (uint8_t)((m & hit4) | ((m ^ 1) & hit6));
    }
}

void ipset_contains_batch(const ipset *s, const flow_addr *a, size_t n, uint8_t *out)
{
    const side4 *d4 = &s->s4;
    const side6 *d6 = &s->s6;
    if (d4->n <= SMALL_SET && d6->n <= SMALL_SET) {
        contains_small(s, a, n, out);
        return;
    }
    uint64_t off[BLOCK];
    uint8_t kind[BLOCK];                        /* 0 out of range, 1 IPv4, 2 IPv6 */
    uint8_t pend[BLOCK];
    for (size_t at = 0; at < n; at += BLOCK) {
        size_t k = n - at < BLOCK ? n - at : BLOCK, np = 0;
        const flow_addr *col = a + at;
        uint8_t *o = out + at;
        for (size_t i = 0; i < k; i++) {
            u128 x = addr_u128(&col[i]);
            if (is_mapped(x)) {
                uint32_t v = (uint32_t)x.l - d4->base;
                off[i] = v;
                kind[i] = (uint8_t)((v <= d4->span) & (d4->n != 0));
                if (kind[i]) __builtin_prefetch(&d4->f[(v >> d4->fshift) >> 6]);
            } else {
                uint64_t v = x.h - d6->base;
                off[i] = v;
                kind[i] = (uint8_t)(((v <= d6->span) & (d6->n != 0)) << 1);
                if (kind[i]) __builtin_prefetch(&d6->f[(v >> d6->fshift) >> 6]);
            }
        }
        for (size_t i = 0; i < k; i++) {
            o[i] = 0;
            if (kind[i] == 1) {
                if (bit(d4->f, off[i] >> d4->fshift)) {
                    pend[np++] = (uint8_t)i;
                    __builtin_prefetch(&d4->t[off[i] >> d4->shift]);
                }
            } else if (kind[i] == 2) {
                if (bit(d6->f, off[i] >> d6->fshift)) {
                    pend[np++] = (uint8_t)i;
                    __builtin_prefetch(&d6->t[off[i] >> d6->shift]);
                }
            }
        }
        size_t nm = 0;
        for (size_t j = 0; j < np; j++) {
            size_t i = pend[j];
            if (kind[i] == 1) {
                const r4 *e = &d4->t[off[i] >> d4->shift];
                uint32_t x = (uint32_t)off[i] + d4->base;
                if (e->lo <= e->hi) {
                    o[i] = (uint8_t)((e->lo <= x) & (x <= e->hi));
                    continue;
                }
                __builtin_prefetch(&d4->v[e->hi]);
            } else {
                __builtin_prefetch(&d6->v[d6->t[off[i] >> d6->shift]]);
            }
            pend[nm++] = (uint8_t)i;
        }
        for (size_t j = 0; j < nm; j++) {
            size_t i = pend[j];
            if (kind[i] == 1)
                o[i] = (uint8_t)slice4(d4, &d4->t[off[i] >> d4->shift], (uint32_t)off[i] + d4->base);
            else
                o[i] = (uint8_t)slice6(d6, off[i] >> d6->shift, addr_u128(&col[i]));
        }
    }
}

/* IPv4 columns: the same work in blocks of BLOCK4, larger because a pass
 * costs only a few instructions an address.  The filter (a quarter of the
 * table) is meant to stay in cache, so its word is loaded straight away,
 * without a prefetch pass: the loads of a block are independent and
 * overlap by themselves.  Out-of-range addresses read word 0 and are
 * masked out, so the first pass has no branch; its survivors are gathered
 * branch-free and get the prefetched passes of ipset_contains_batch.  A
 * bigger block also keeps more of the survivors' table misses in flight. */
#define BLOCK4 512

void ipset_contains_batch_v4(const ipset *s, const uint32_t *x, size_t n, uint8_t *out)
{
    const side4 *d = &s->s4;
    if (!d->n) {
        memset(out, 0, n);
        return;
    }
    const uint64_t *f = d->f;
    const r4 *t = d->t;
    uint32_t base = d->base, span = d->span;
    unsigned fshift = d->fshift, shift = d->shift;
    uint16_t pend[BLOCK4];
    for (size_t at = 0; at < n; at += BLOCK4) {
        size_t k = n - at < BLOCK4 ? n - at : BLOCK4, np = 0;
        const uint32_t *col = x + at;
        uint8_t *o = out + at;
        for (size_t i = 0; i < k; i++) {
            uint32_t off = col[i] - base;
            uint32_t in = off <= span;
            uint32_t fb = (off >> fshift) & (0u - in);
            uint32_t hit = (uint32_t)(f[fb >> 6] >> (fb & 63)) & in & 1;
            o[i] = 0;
            pend[np] = (uint16_t)i;
            np += hit;
        }
        for (size_t j = 0; j < np; j++)
            __builtin_prefetch(&t[(col[pend[j]] - base) >> shift]);
        size_t nm = 0;
        for (size_t j = 0; j < np; j++) {
            size_t i = pend[j];
            uint32_t v = col[i];
            const r4 *e = &t[(v - base) >> shift];
            if (e->lo <= e->hi) {
                o[i] = (uint8_t)((e->lo <= v) & (v <= e->hi));
                continue;
            }
            __builtin_prefetch(&d->v[e->hi]);
            pend[nm++] = (uint16_t)i;
        }
        for (size_t j = 0; j < nm; j++) {
            size_t i = pend[j];
            o[i] = (uint8_t)slice4(d, &t[(col[i] - base) >> shift], col[i]);
        }
    }
}

size_t ipset_entries(const ipset *s) { return s->entries; }
int ipset_has_v6(const ipset *s) { return s->s6.n != 0; }
size_t ipset_ranges(const ipset *s) { return s->s4.n + s->s6.n; }

uint64_t ipset_fingerprint(const ipset *s)
{
    uint64_t h = c2_mix64(s->s4.n ^ (uint64_t)s->s6.n << 32);
    for (size_t i = 0; i < s->s4.n; i++)
        h = c2_mix64(h ^ ((uint64_t)s->s4.v[i].lo << 32 | s->s4.v[i].hi));
    for (size_t i = 0; i < s->s6.n; i++) {
        const r6 *r = &s->s6.v[i];
        h = c2_mix64(c2_mix64(c2_mix64(c2_mix64(h ^ r->lo.h) ^ r->lo.l) ^ r->hi.h) ^ r->hi.l);
    }
    return h;
}

size_t ipset_bytes(const ipset *s)
{
    const side4 *d4 = &s->s4;
    const side6 *d6 = &s->s6;
    size_t b = sizeof *s + s->cap_add4 * sizeof *s->add4 + s->cap_add6 * sizeof *s->add6;
    b += d4->n * sizeof *d4->v + (d6->n + 1) * sizeof *d6->v;
    if (d4->n)
        b += (((size_t)d4->span >> d4->shift) + 1) * sizeof *d4->t +
             (((size_t)d4->span >> d4->fshift) / 64 + 1) * 8;
    if (d6->n)
        b += ((size_t)(d6->span >> d6->shift) + 2) * sizeof *d6->t +
             ((size_t)(d6->span >> d6->fshift) / 64 + 1) * 8;
    return b;
}

int ipset_bounds(const ipset *s, flow_addr *min, flow_addr *max)
{
    const side4 *d4 = &s->s4;
    const side6 *d6 = &s->s6;
    memset(min, 0, sizeof *min);
    memset(max, 0, sizeof *max);
    if (!d4->n && !d6->n) return 0;
    u128 lo = MAX128, hi = {0, 0};
    if (d4->n) { lo = v4_u128(d4->v[0].lo); hi = v4_u128(d4->v[d4->n - 1].hi); }
    if (d6->n) {
        if (lt128(d6->v[0].lo, lo)) lo = d6->v[0].lo;
        if (lt128(hi, d6->v[d6->n - 1].hi)) hi = d6->v[d6->n - 1].hi;
    }
    u128_addr(lo, min);
    u128_addr(hi, max);
    return 1;
}

int ipset_intersects(const ipset *s, const flow_addr *lo_a, const flow_addr *hi_a)
{
    const side4 *d4 = &s->s4;
    const side6 *d6 = &s->s6;
    u128 lo = addr_u128(lo_a), hi = addr_u128(hi_a);
    if (lt128(hi, lo)) return 0;
    if (d6->n) {                                /* first range ending at or after lo */
        size_t a = 0, b = d6->n;
        while (a < b) {
            size_t m = a + (b - a) / 2;
            if (lt128(d6->v[m].hi, lo)) a = m + 1; else b = m;
        }
        if (a < d6->n && !lt128(hi, d6->v[a].lo)) return 1;
    }
    if (d4->n && !lt128(hi, MAPPED_LO) && !lt128(MAPPED_HI, lo)) {
        uint32_t l = lt128(lo, MAPPED_LO) ? 0 : (uint32_t)lo.l;
        uint32_t h = lt128(MAPPED_HI, hi) ? UINT32_MAX : (uint32_t)hi.l;
        size_t a = 0, b = d4->n;
        while (a < b) {
            size_t m = a + (b - a) / 2;
            if (d4->v[m].hi < l) a = m + 1; else b = m;
        }
        if (a < d4->n && d4->v[a].lo <= h) return 1;
    }
    return 0;
}
