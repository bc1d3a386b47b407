/*
 * sketch.c: distinct counting by the k smallest hashes (detect_impl.h).
 *
 * Why this and not HyperLogLog: a destination with a handful of clients
 * (most of them) is counted exactly and costs a few words, sketches of
 * different days merge into the sketch of the union, and the values kept
 * are a uniform sample of the clients, so the share of infected ones among
 * them estimates the share among all clients.
 */
#include "detect/detect_impl.h"

#include <stdlib.h>

uint32_t detect_addr_hash(const flow_addr *a)
{
    /* a multiply-xorshift of the two halves: hashed twice per record, so
     * cheaper than two full finalisers, and mixed enough for sketches */
    uint64_t w[2];
    memcpy(w, a->b, 16);                /* byte order does not matter here */
    uint64_t h = (w[0] ^ 0x5c2f10e3a9d1b7c5ull) * 0x9e3779b97f4a7c15ull;
    h ^= w[1] * 0xc2b2ae3d27d4eb4full;
    h ^= h >> 32;
    h *= 0xd6e8feb86659fd93ull;
    return (uint32_t)(h ^ (h >> 32));
}

static uint32_t *vals(dsketch *s)
{
    return s->cap > 2 ? s->u.p : s->u.inl;
}

static int grow(dsketch *s, uint32_t k)
{
    uint32_t cap = s->cap < 2 ? 2 : s->cap * 2;
    if (cap > k) cap = k;
    if (cap <= 2) {
        s->cap = cap;
        return 0;
    }
    uint32_t *p = malloc(cap * sizeof *p);
    if (!p) return -1;
    memcpy(p, vals(s), s->n * sizeof *p);
    if (s->cap > 2) free(s->u.p);
    s->u.p = p;
    s->cap = cap;
    return 0;
}

int dsketch_add(dsketch *s, uint32_t h, uint32_t k)
{
    uint32_t *v = vals(s);
    if (s->n == k && h >= v[k - 1])
        return 0;
    uint32_t lo = 0, hi = s->n;
    while (lo < hi) {
        uint32_t mid = (lo + hi) / 2;
        if (v[mid] < h) lo = mid + 1;
        else hi = mid;
    }
    if (lo < s->n && v[lo] == h)
        return 0;
    if (s->n < k && s->n == s->cap) {
        if (grow(s, k) < 0) return -1;
        v = vals(s);
    }
    uint32_t n = s->n < k ? s->n : k - 1;
    memmove(v + lo + 1, v + lo, (n - lo) * sizeof *v);
    v[lo] = h;
    if (s->n < k) s->n++;
    return 0;
}

/* One pass over both sorted lists into an array of the exact size, instead
 * of adding the values one by one: loading a day summary and merging the
 * days of a window merge millions of sketches, and the binary searches,
 * moves and doubling reallocations of one-by-one adds were most of it. */
int dsketch_merge(dsketch *s, const uint32_t *in, uint32_t n, uint32_t k)
{
    if (n == 0) return 0;
    const uint32_t *a = vals(s);
    uint32_t na = s->n, room = na + n < k ? na + n : k, inl[2];
    uint32_t *out = room > 2 ? malloc(room * sizeof *out) : inl;
    if (!out) return -1;
    uint32_t i = 0, j = 0, m = 0;
    while (m < room && (i < na || j < n)) {
        if (j == n || (i < na && a[i] < in[j])) out[m++] = a[i++];
        else if (i == na || in[j] < a[i]) out[m++] = in[j++];
        else out[m++] = a[i++], j++;    /* in both */
    }
    if (s->cap > 2) free(s->u.p);
    if (room > 2) {
        s->u.p = out;
        s->cap = room;
    } else {
        memcpy(s->u.inl, out, m * sizeof *out);
        s->cap = 2;
    }
    s->n = m;
    return 0;
}

double dsketch_estimate(const dsketch *s, uint32_t k)
{
    if (s->n < k)
        return s->n;
    double kth = (double)dsketch_vals(s)[k - 1] + 1.0;
    return (double)(k - 1) * 4294967296.0 / kth;
}

void dsketch_free(dsketch *s)
{
    if (s->cap > 2) free(s->u.p);
    memset(s, 0, sizeof *s);
}
