/*
 * ipset_ref.h: the naive reference that tests/ipset/test_ipset.c and
 * fuzz_ipset.c check src/ipset/ against, written apart from the library.
 *
 * Each entry is kept as its first and last 16-byte address, masked byte by
 * byte; an address is in the reference when some entry's range holds it by
 * memcmp.  Linear scans: meant for a few hundred entries.  Also the
 * splitmix64 generator both use for fixed-seed random cases.
 */
#ifndef C2FLOW_TEST_IPSET_REF_H
#define C2FLOW_TEST_IPSET_REF_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "flow/flow.h"

typedef struct ref_entry { flow_addr lo, hi; } ref_entry;

/* The range of prefix a/len (len in bits of the 128-bit form). */
static inline ref_entry ref_prefix(const flow_addr *a, unsigned len)
{
    ref_entry e;
    for (unsigned i = 0; i < 16; i++) {
        unsigned bits = len >= 8 * (i + 1) ? 8 : len > 8 * i ? len - 8 * i : 0;
        uint8_t mask = (uint8_t)(0xff00u >> bits);
        e.lo.b[i] = a->b[i] & mask;
        e.hi.b[i] = a->b[i] | (uint8_t)~mask;
    }
    return e;
}

static inline int ref_contains(const ref_entry *r, size_t n, const flow_addr *a)
{
    for (size_t i = 0; i < n; i++)
        if (memcmp(r[i].lo.b, a->b, 16) <= 0 && memcmp(a->b, r[i].hi.b, 16) <= 0) return 1;
    return 0;
}

/* 1 if some address of [lo, hi] is in the reference (0 when lo > hi). */
static inline int ref_intersects(const ref_entry *r, size_t n, const flow_addr *lo,
                                 const flow_addr *hi)
{
    if (memcmp(lo->b, hi->b, 16) > 0) return 0;
    for (size_t i = 0; i < n; i++)
        if (memcmp(r[i].lo.b, hi->b, 16) <= 0 && memcmp(lo->b, r[i].hi.b, 16) <= 0) return 1;
    return 0;
}

/* Smallest first and largest last address (n > 0). */
static inline void ref_bounds(const ref_entry *r, size_t n, flow_addr *min, flow_addr *max)
{
    *min = r[0].lo;
    *max = r[0].hi;
    for (size_t i = 1; i < n; i++) {
        if (memcmp(r[i].lo.b, min->b, 16) < 0) *min = r[i].lo;
        if (memcmp(r[i].hi.b, max->b, 16) > 0) *max = r[i].hi;
    }
}

/* a + 1 and a - 1, wrapping around the 128-bit space. */
static inline flow_addr addr_inc(flow_addr a)
{
    for (int i = 15; i >= 0 && ++a.b[i] == 0; i--) {}
    return a;
}

static inline flow_addr addr_dec(flow_addr a)
{
    for (int i = 15; i >= 0 && a.b[i]-- == 0; i--) {}
    return a;
}

static inline uint64_t splitmix64(uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

#endif
