/*
 * fuzz_leases.c: libFuzzer target for lease files (src/lookback/leases.c).
 *
 * Lease files come from the ISP's address management, but are read as
 * untrusted text: any bytes must parse or fail with one printable line
 * naming the input, never crash.  When they parse:
 *  - every lease is well-formed: a prefix of at most 128 bits with its
 *    host bits clear, start before end, a subscriber id of 1-64 printable
 *    bytes without commas, quotes or backslashes;
 *  - the leases are ordered by prefix length, prefix and start;
 *  - a lookup of each lease's own address at its start finds a lease that
 *    covers that time, as specific as it and, at the same prefix, started
 *    no earlier; a lookup just before the earliest time finds nothing
 *    ending after it; lookups of mangled addresses never crash.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lookback/lookback.h"

static void check_text(const char *s, size_t cap, int subscriber)
{
    if (!memchr(s, '\0', cap)) abort();
    for (; *s; s++)
        if (*s < 0x20 || *s > 0x7e ||
            (subscriber && (*s == ',' || *s == '"' || *s == '\'' || *s == '\\')))
            abort();
}

static int host_bits_clear(const lookback_lease *l)
{
    for (unsigned bit = l->len; bit < 128; bit++)
        if (l->addr.b[bit / 8] & (0x80 >> (bit % 8))) return 0;
    return 1;
}

static int covers(const lookback_lease *l, const flow_addr *a, int64_t t)
{
    for (unsigned bit = 0; bit < l->len; bit++) {
        unsigned m = 0x80u >> (bit % 8);
        if ((l->addr.b[bit / 8] & m) != (a->b[bit / 8] & m)) return 0;
    }
    return l->start <= t && t < l->end;
}

static void check(const lookback_leases *L)
{
    size_t n = lookback_leases_count(L);
    for (size_t i = 0; i < n; i++) {
        const lookback_lease *l = lookback_leases_get(L, i);
        if (!l || l->len > 128 || !host_bits_clear(l) || l->start >= l->end) abort();
        size_t sl = strlen(l->subscriber);
        if (sl < 1 || sl > LOOKBACK_SUBSCRIBER_MAX) abort();
        check_text(l->subscriber, sl + 1, 1);
        if (i) {
            const lookback_lease *p = lookback_leases_get(L, i - 1);
            int c = p->len != l->len ? (p->len < l->len ? -1 : 1) : memcmp(p->addr.b, l->addr.b, 16);
            if (c > 0 || (c == 0 && p->start > l->start)) abort();
        }
        const lookback_lease *m = lookback_leases_find(L, &l->addr, l->start);
        if (!m || !covers(m, &l->addr, l->start) || m->len < l->len) abort();
        if (m->len == l->len && m->start < l->start) abort();
        if (l->start > INT64_MIN + 1) {
            m = lookback_leases_find(L, &l->addr, INT64_MIN + 1);
            if (m) abort();
        }
        flow_addr x = l->addr;
        x.b[15] ^= 0x5a;
        x.b[3] ^= 0xff;
        m = lookback_leases_find(L, &x, l->end - 1);
        if (m && !covers(m, &x, l->end - 1)) abort();
    }
    if (lookback_leases_get(L, n)) abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    lookback_leases *L;
    c2_err err;
    if (lookback_leases_read_mem(data, size, "fuzz", 1000, &L, &err) != 0) {
        if (L) abort();
        if (strncmp(err.msg, "fuzz: ", 6) != 0) abort();
        check_text(err.msg, sizeof err.msg, 0);
        return 0;
    }
    check(L);
    lookback_leases_free(L);
    return 0;
}
