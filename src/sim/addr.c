/*
 * addr.c: the simulated ISP's address plan.
 *
 * Subscriber i has one IPv4 address in the customer prefixes, scattered
 * by a multiplicative permutation (ISPs hand out addresses from pools, not
 * in subscriber order), and an IPv6 /56 (or /64 when the prefixes are too
 * small) with a fixed interface id.  Everything outside (servers, C2s,
 * scanners, attack targets) gets a public address drawn from a hash of
 * what it is: never a bogon (RFC 6890 special-purpose space, multicast,
 * reserved), never in the customer space, so that a simulated C2 list
 * looks like a real one to every tool that checks addresses.
 */
#include "sim/sim_impl.h"

#include <string.h>

static uint64_t gcd64(uint64_t a, uint64_t b)
{
    while (b) { uint64_t t = a % b; a = b; b = t; }
    return a;
}

int sim_addr_plan(sim *s, c2_err *err)
{
    const sim_scenario *sc = &s->sc;
    s->v4_total = 0;
    for (int i = 0; i < sc->n_v4; i++)
        s->v4_total += 1ULL << (128 - sc->v4[i].len);
    /* a stride coprime with the pool size makes index*stride a permutation */
    uint64_t stride = 2654435761ULL % s->v4_total;
    while (stride < 2 || gcd64(stride, s->v4_total) != 1)
        stride++;
    s->v4_stride = stride;
    unsigned bits = 0;
    while ((1ULL << bits) < sc->subscribers) bits++;
    unsigned shortest = 128;
    for (int i = 0; i < sc->n_v6; i++)
        if (sc->v6[i].len < shortest) shortest = sc->v6[i].len;
    if (shortest + bits <= 56)
        s->v6_deleg_len = 56;
    else if (shortest + bits <= 64)
        s->v6_deleg_len = 64;
    else
        return c2_fail(err, "[isp] customer_v6 is too small for %u subscribers",
                       sc->subscribers);
    return 0;
}

static void prefix_add(const sim_prefix *p, uint64_t offset, flow_addr *out)
{
    *out = p->base;
    /* offset fits in the prefix's host bits (< 2^64 here) */
    uint64_t carry = offset;
    for (int i = 15; i >= 0 && carry; i--) {
        uint64_t v = out->b[i] + (carry & 0xff);
        out->b[i] = (uint8_t)v;
        carry = (carry >> 8) + (v >> 8);
    }
}

void sim_sub_v4(const sim *s, uint32_t sub, flow_addr *out)
{
    /* +1 skips the first prefix's network address */
    uint64_t idx = ((uint64_t)sub * s->v4_stride + 1) % s->v4_total;
    for (int i = 0; i < s->sc.n_v4; i++) {
        uint64_t size = 1ULL << (128 - s->sc.v4[i].len);
        if (idx < size) {
            prefix_add(&s->sc.v4[i], idx, out);
            return;
        }
        idx -= size;
    }
    *out = s->sc.v4[0].base;
}

void sim_sub_v6(const sim *s, uint32_t sub, flow_addr *out)
{
    /* subscribers are spread over the v6 prefixes round robin */
    const sim_prefix *p = &s->sc.v6[sub % (uint32_t)s->sc.n_v6];
    uint32_t n = sub / (uint32_t)s->sc.n_v6;
    *out = p->base;
    unsigned shift = 128 - s->v6_deleg_len;      /* 72 or 64 */
    /* OR n << shift into the address (shift is 64 or 72: whole bytes) */
    uint64_t v = (uint64_t)n << (shift - 64);     /* into the upper 64 bits */
    for (int i = 0; i < 8; i++)
        out->b[7 - i] |= (uint8_t)(v >> (8 * i));
    uint64_t iid = rng_mix64(0x5eed0000ULL + sub) | 1;
    for (int i = 0; i < 8; i++)
        out->b[8 + i] = (uint8_t)(iid >> (56 - 8 * i));
}

int sim_is_customer(const sim *s, const flow_addr *a)
{
    const sim_prefix *list = flow_addr_is_v4(a) ? s->sc.v4 : s->sc.v6;
    int n = flow_addr_is_v4(a) ? s->sc.n_v4 : s->sc.n_v6;
    for (int i = 0; i < n; i++) {
        unsigned len = list[i].len, full = len / 8, rest = len % 8;
        if (memcmp(a->b, list[i].base.b, full))
            continue;
        if (rest && ((a->b[full] ^ list[i].base.b[full]) & (uint8_t)(0xff << (8 - rest))))
            continue;
        return 1;
    }
    return 0;
}

/* IPv4 space no public host has (RFC 6890 and friends). */
static int bogon_v4(uint32_t a)
{
    static const struct { uint32_t net; unsigned len; } bogons[] = {
        {0x00000000, 8}, {0x0a000000, 8}, {0x64400000, 10}, {0x7f000000, 8},
        {0xa9fe0000, 16}, {0xac100000, 12}, {0xc0000000, 24}, {0xc0000200, 24},
        {0xc0586300, 24}, {0xc0a80000, 16}, {0xc6120000, 15}, {0xc6336400, 24},
        {0xcb007100, 24}, {0xe0000000, 3},
    };
    for (size_t i = 0; i < sizeof bogons / sizeof bogons[0]; i++) {
        uint32_t mask = ~0u << (32 - bogons[i].len);
        if ((a & mask) == bogons[i].net)
            return 1;
    }
    return (a & 0xff) == 0 || (a & 0xff) == 255;   /* no .0 / .255 hosts */
}

void sim_external_v4(const sim *s, uint64_t kind, uint64_t index, flow_addr *out)
{
    uint64_t h = rng_mix64(s->seed ^ rng_mix64(kind << 40 ^ index));
    for (;;) {
        uint32_t a = (uint32_t)h;
        flow_addr_from_v4(out, a);
        if (!bogon_v4(a) && !sim_is_customer(s, out))
            return;
        h = rng_mix64(h + 0x9e3779b97f4a7c15ULL);
    }
}

void sim_external_v6(const sim *s, uint64_t kind, uint64_t index, flow_addr *out)
{
    uint64_t h = rng_mix64(s->seed ^ rng_mix64(kind << 40 ^ index ^ 0x6666));
    for (;;) {
        /* 2400::/6-ish global unicast: 0x2400..0x2bff in the first 16 bits,
         * which avoids 2001:db8::/32 and 2002::/16 */
        uint64_t hi = (0x2400ULL + (h >> 54) % 0x800) << 48 | (h & 0xffffffffffffULL);
        uint64_t lo = rng_mix64(h) | 1;
        for (int i = 0; i < 8; i++) {
            out->b[i] = (uint8_t)(hi >> (56 - 8 * i));
            out->b[8 + i] = (uint8_t)(lo >> (56 - 8 * i));
        }
        if (!sim_is_customer(s, out))
            return;
        h = rng_mix64(h + 1);
    }
}

uint32_t sim_as_of(const sim *s, const flow_addr *a)
{
    if (sim_is_customer(s, a))
        return s->sc.asn;
    /* a /16 (IPv4) or /32 (IPv6) belongs to one of 3,000 origin ASes */
    uint64_t key = flow_addr_is_v4(a) ? flow_addr_v4(a) >> 16
                                      : (uint64_t)a->b[0] << 24 | a->b[1] << 16 | a->b[2] << 8 | a->b[3];
    return 1000 + (uint32_t)(rng_mix64(key ^ 0xa5a5) % 3000);
}

uint32_t sim_router_of(const sim *s, uint32_t sub)
{
    /* each router serves a contiguous block of subscribers: a region */
    return (uint32_t)((uint64_t)sub * s->sc.routers / s->sc.subscribers);
}

/* Malicious servers and scanners claim their addresses, so that no benign
 * server shares one by a hash collision and the truth stays exact. */
int sim_claim_v4(sim *s, uint64_t kind, uint64_t index, flow_addr *out)
{
    for (uint64_t attempt = 0;; attempt++) {
        sim_external_v4(s, kind, index + (attempt << 40), out);
        int added = sim_pairs_add(&s->claimed, flow_addr_v4(out));
        if (added < 0)
            return -1;
        if (added == 1)
            return 0;
    }
}

void sim_unclaimed_v4(const sim *s, uint64_t kind, uint64_t index, flow_addr *out)
{
    for (uint64_t attempt = 0;; attempt++) {
        sim_external_v4(s, kind, index + (attempt << 40), out);
        if (!sim_pairs_has(&s->claimed, flow_addr_v4(out)))
            return;
    }
}
