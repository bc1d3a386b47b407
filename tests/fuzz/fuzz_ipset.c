/*
 * fuzz_ipset.c: libFuzzer target for IP list files (src/ipset/).
 *
 * Lists come from outside (threat feeds, customers, other ISPs), so every
 * byte sequence must load or fail with a one-line "file:line: ..." message,
 * never crash, read out of bounds or keep part of a failed file.  The bytes
 * go through ipset_load_buffer, the reader ipset_load_file uses.  Then:
 *
 *  - an oracle written here splits the same bytes into lines the simple way
 *    (cut at '#', trim, drop one trailing ','; a UTF-8 BOM at the start
 *    skipped) and parses each entry with ipset_parse: the load must succeed
 *    exactly when every entry parses, fail on the first bad line's number,
 *    and count the same entries;
 *  - the first MAX_REF entries, each kept as its first and last address
 *    (masked byte by byte here), make a second set through ipset_add (built
 *    in two steps when the first byte is odd, to cover rebuilding), and a
 *    naive scan over them must agree with it on every probe: each entry's
 *    ends and their neighbours, edges of the IPv4-mapped block, and
 *    pseudo-random addresses drawn from a hash of the input; the loaded set
 *    must hold every address the reference holds, and agree fully when the
 *    file had no more than MAX_REF entries;
 *  - batch lookups (of flow_addr, and of uint32 for the IPv4 probes) equal
 *    single ones, and bounds and intersects (on pairs of probes) equal the
 *    naive answers.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ipset/ipset.h"
#include "ipset_ref.h"

#define MAX_REF 64
#define MAX_PROBES (MAX_REF * 6 + 80)

static int blank(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

/* The oracle: 0 when every line is fine (entries counted, the first
 * MAX_REF kept in r), else the number of the first bad line. */
static size_t oracle(const uint8_t *data, size_t size, ref_entry *r, size_t *nref, size_t *entries)
{
    const char *p = (const char *)data, *end = p + size;
    if (size >= 3 && !memcmp(p, "\xef\xbb\xbf", 3)) p += 3;
    *nref = *entries = 0;
    for (size_t line = 1; p < end; line++) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *e = nl ? nl : end;
        const char *hash = memchr(p, '#', (size_t)(e - p));
        const char *a = p, *b = hash ? hash : e;
        p = nl ? nl + 1 : end;
        while (a < b && blank((unsigned char)*a)) a++;
        while (b > a && blank((unsigned char)b[-1])) b--;
        if (b - a > 1 && b[-1] == ',') {
            b--;
            while (b > a && blank((unsigned char)b[-1])) b--;
        }
        if (a == b) continue;
        if (memchr(a, '\0', (size_t)(b - a)) || b - a > 200) return line;
        char buf[256];
        memcpy(buf, a, (size_t)(b - a));
        buf[b - a] = '\0';
        flow_addr addr;
        unsigned len;
        c2_err err;
        if (ipset_parse(buf, &addr, &len, &err) != 0) return line;
        ref_entry pr = ref_prefix(&addr, len);
        if (len > 128 || memcmp(pr.lo.b, addr.b, 16) != 0) abort();   /* host bits cleared */
        (*entries)++;
        if (*nref < MAX_REF) r[(*nref)++] = ref_prefix(&addr, len);
    }
    return 0;
}

static int addr_cmp(const void *x, const void *y) { return memcmp(x, y, 16); }

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static ref_entry r[MAX_REF];
    static flow_addr probe[MAX_PROBES];
    static uint8_t out[MAX_PROBES];
    ipset *loaded, *small;
    c2_err err;
    if (ipset_new(&loaded, &err) != 0 || ipset_new(&small, &err) != 0) abort();

    int rc = ipset_load_buffer(loaded, (const char *)data, size, "fuzz.list", &err);
    size_t nref, entries, bad = oracle(data, size, r, &nref, &entries);
    if ((rc == 0) != (bad == 0)) abort();
    if (rc != 0) {
        char want[64];
        snprintf(want, sizeof want, "fuzz.list:%zu: ", bad);
        if (strncmp(err.msg, want, strlen(want)) != 0 || strchr(err.msg, '\n')) abort();
        if (ipset_entries(loaded) != 0) abort();      /* nothing kept */
        /* the reference below still checks the good entries before it */
    } else if (ipset_entries(loaded) != entries) {
        abort();
    }
    if (ipset_build(loaded, &err) != 0) abort();

    /* the reference set, from the first MAX_REF entries */
    size_t half = size && (data[0] & 1) ? nref / 2 : nref;
    for (size_t i = 0; i < nref; i++) {
        if (i == half && ipset_build(small, &err) != 0) abort();
        if (ipset_add(small, &r[i].lo, 128, &err) != 0) abort();   /* ends too */
        if (ipset_add(small, &r[i].hi, 128, &err) != 0) abort();
    }
    /* ranges of whole prefixes: re-add each as a prefix, found from lo/hi */
    for (size_t i = 0; i < nref; i++) {
        unsigned len = 0;
        while (len < 128 && !((r[i].lo.b[len / 8] ^ r[i].hi.b[len / 8]) & (0x80 >> (len % 8)))) len++;
        if (ipset_add(small, &r[i].hi, len, &err) != 0) abort();   /* host bits set */
    }
    if (ipset_build(small, &err) != 0) abort();

    /* probes */
    size_t np = 0;
    for (size_t i = 0; i < nref; i++) {
        probe[np++] = r[i].lo;
        probe[np++] = r[i].hi;
        probe[np++] = addr_dec(r[i].lo);
        probe[np++] = addr_inc(r[i].hi);
        flow_addr mid = r[i].lo;
        mid.b[15] ^= 0x55;
        mid.b[9] ^= r[i].hi.b[9];
        probe[np++] = mid;
        flow_addr m4 = {.b = {[10] = 0xff, [11] = 0xff}};
        memcpy(m4.b + 12, r[i].lo.b + 12, 4);
        probe[np++] = m4;
    }
    static const char *const edges[] = {
        "::", "::1", "::fffe:ffff:ffff", "::ffff:0.0.0.0", "::ffff:255.255.255.255",
        "::1:0:0:0", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "0.0.0.1", "255.255.255.254",
    };
    for (size_t i = 0; i < sizeof edges / sizeof edges[0]; i++)
        if (flow_addr_parse(edges[i], &probe[np++]) != 0) abort();
    uint64_t st = 0x243f6a8885a308d3ull;
    for (size_t i = 0; i < size; i++) st = (st ^ data[i]) * 0x100000001b3ull;
    while (np < MAX_PROBES) {
        uint64_t x = splitmix64(&st), y = splitmix64(&st);
        flow_addr a;
        for (int k = 0; k < 8; k++) { a.b[k] = (uint8_t)(x >> (8 * k)); a.b[8 + k] = (uint8_t)(y >> (8 * k)); }
        if (x & 1) { memset(a.b, 0, 10); a.b[10] = a.b[11] = 0xff; }
        else if (x & 2 && nref) memcpy(a.b, r[(x >> 8) % nref].lo.b, 8);
        probe[np++] = a;
    }

    ipset_contains_batch(small, probe, np, out);
    for (size_t i = 0; i < np; i++) {
        int want = ref_contains(r, nref, &probe[i]);
        if (ipset_contains(small, &probe[i]) != want || out[i] != want) abort();
        int got = ipset_contains(loaded, &probe[i]);
        if (rc == 0 && want && !got) abort();
        if (rc == 0 && entries <= MAX_REF && got != want) abort();
        if (rc != 0 && got) abort();                   /* the failed set is empty */
    }
    ipset_contains_batch(loaded, probe, np, out);
    for (size_t i = 0; i < np; i++)
        if (out[i] != ipset_contains(loaded, &probe[i])) abort();
    /* the uint32 form on the IPv4 probes, for both sets */
    uint32_t x4[MAX_PROBES];
    size_t n4 = 0;
    for (size_t i = 0; i < np; i++)
        if (flow_addr_is_v4(&probe[i])) x4[n4++] = flow_addr_v4(&probe[i]);
    const ipset *both[2] = {small, loaded};
    for (int k = 0; k < 2; k++) {
        ipset_contains_batch_v4(both[k], x4, n4, out);
        for (size_t i = 0; i < n4; i++) {
            flow_addr a;
            flow_addr_from_v4(&a, x4[i]);
            if (out[i] != ipset_contains(both[k], &a)) abort();
        }
    }

    /* bounds, and intersects on neighbouring probes (sorted) */
    flow_addr lo, hi;
    int any = ipset_bounds(small, &lo, &hi);
    if (any != (nref > 0)) abort();
    if (any) {
        flow_addr mn, mx;
        ref_bounds(r, nref, &mn, &mx);
        if (memcmp(lo.b, mn.b, 16) || memcmp(hi.b, mx.b, 16)) abort();
    }
    qsort(probe, np, sizeof *probe, addr_cmp);
    for (size_t i = 0; i + 1 < np; i++) {
        int want = ref_intersects(r, nref, &probe[i], &probe[i + 1]);
        if (ipset_intersects(small, &probe[i], &probe[i + 1]) != want) abort();
        if (memcmp(probe[i].b, probe[i + 1].b, 16) &&
            ipset_intersects(small, &probe[i + 1], &probe[i]) != 0) abort();
    }
    if (ipset_ranges(small) > 2 * nref) abort();

    ipset_free(loaded);
    ipset_free(small);
    return 0;
}
