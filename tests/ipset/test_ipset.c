/*
 * test_ipset.c: the IP-list matcher (src/ipset/).
 *
 * Fixed sets (a table of entries, addresses in, addresses out) cover the
 * edge cases; random sets are checked against the naive reference of
 * tests/fuzz/ipset_ref.h, written apart from the library (each entry's
 * first and last address, masked byte by byte, compared by memcmp).
 * Random sets and probes come from a fixed-seed splitmix64, so every run
 * checks the same cases.  Nothing here is timed: bench/ipset_bench.c
 * measures speed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz/ipset_ref.h"
#include "ipset/ipset.h"

/* ---- helpers ---- */

static uint64_t rng_state = 42;

static uint64_t rnd(void) { return splitmix64(&rng_state); }

static flow_addr A(const char *text)
{
    flow_addr a;
    if (flow_addr_parse(text, &a) != 0) fail_msg("bad test address %s", text);
    return a;
}

static flow_addr v4(uint32_t x)
{
    flow_addr a;
    flow_addr_from_v4(&a, x);
    return a;
}

static int in(const ipset *s, const char *text)
{
    flow_addr a = A(text);
    return ipset_contains(s, &a);
}

/* A built set of the entries of `list` (separated by blanks). */
static ipset *make(const char *list)
{
    ipset *s;
    c2_err err;
    char buf[1024], *save = NULL;
    assert_int_equal(ipset_new(&s, &err), 0);
    snprintf(buf, sizeof buf, "%s", list);
    for (char *t = strtok_r(buf, " ", &save); t; t = strtok_r(NULL, " ", &save))
        if (ipset_add_text(s, t, &err) != 0) fail_msg("%s: %s", t, err.msg);
    assert_int_equal(ipset_build(s, &err), 0);
    return s;
}

/* Every address of `list` is in s (want 1) or not (want 0). */
static void expect(const ipset *s, const char *list, int want, const char *why)
{
    char buf[1024], *save = NULL;
    snprintf(buf, sizeof buf, "%s", list);
    for (char *t = strtok_r(buf, " ", &save); t; t = strtok_r(NULL, " ", &save))
        if (in(s, t) != want) fail_msg("%s: %s should%s be in the set", why, t, want ? "" : " not");
}

/* A random prefix: three in four IPv4 (/8../32, most of them long), the
 * rest IPv6 inside 2001:db8::/32 or anywhere. */
static void random_prefix(flow_addr *a, unsigned *len)
{
    uint64_t r = rnd();
    if (r % 4) {
        *a = v4((uint32_t)rnd());
        unsigned l = (r >> 8) % 10 == 0 ? 8 + (unsigned)((r >> 16) % 25) : 24 + (unsigned)((r >> 16) % 9);
        *len = 96 + l;
    } else {
        uint64_t h = rnd(), lo = rnd();
        for (int i = 0; i < 8; i++) { a->b[i] = (uint8_t)(h >> (56 - 8 * i)); a->b[8 + i] = (uint8_t)(lo >> (56 - 8 * i)); }
        if (r & 0x100) { a->b[0] = 0x20; a->b[1] = 0x01; a->b[2] = 0x0d; a->b[3] = 0xb8; }
        *len = 16 + (unsigned)((r >> 16) % 113);
    }
}

/* A probe: a random IPv4 or IPv6 address, or one at, inside or just
 * outside an entry of r. */
static flow_addr random_probe(const ref_entry *r, size_t n)
{
    uint64_t k = rnd();
    const ref_entry *e = &r[(k >> 8) % n];
    switch (k % 8) {
    case 0: case 1: return v4((uint32_t)rnd());
    case 2: { flow_addr a = A("2001:db8::"); uint64_t x = rnd(); memcpy(a.b + 4, &x, 8); return a; }
    case 3: return e->lo;
    case 4: return e->hi;
    case 5: return addr_dec(e->lo);
    case 6: return addr_inc(e->hi);
    default: { flow_addr a = e->lo; a.b[15] ^= (uint8_t)(k >> 40); return a; }
    }
}

/* A built set of n random prefixes (none shorter than min_len bits of the
 * 128-bit form), their ranges in ref; from a fixed seed. */
static ipset *random_set(ref_entry *ref, size_t n, uint64_t seed, unsigned min_len)
{
    ipset *s;
    c2_err err;
    rng_state = seed;
    assert_int_equal(ipset_new(&s, &err), 0);
    for (size_t i = 0; i < n; i++) {
        flow_addr a;
        unsigned len;
        random_prefix(&a, &len);
        if (len < min_len) len = min_len;
        ref[i] = ref_prefix(&a, len);
        assert_int_equal(ipset_add(s, &a, len, &err), 0);
    }
    assert_int_equal(ipset_build(s, &err), 0);
    return s;
}

static const char *tmp_dir(void)
{
    const char *t = getenv("C2FLOW_TEST_TMP");
    if (!t || !*t) t = "/tmp";
    mkdir(t, 0755);
    return t;
}

static void write_file(const char *path, const char *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
}

/* ---- tests ---- */

/* Fixed sets: entries, addresses in the set, addresses not in it, and the
 * disjoint ranges the entries must merge into. */
static const struct fixed_case {
    const char *why, *set, *in, *out;
    size_t ranges;
} fixed_cases[] = {
    {"0.0.0.0/0 is all of IPv4 and nothing else", "0.0.0.0/0",
     "0.0.0.0 255.255.255.255 10.1.2.3", ":: ::1 2001:db8::1", 1},
    {"::/0 is everything (and counts on both sides)", "::/0",
     ":: ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff 2001:db8::1 10.1.2.3 0.0.0.0", "", 2},
    {"/32 and /128", "192.0.2.7/32 2001:db8::7/128", "192.0.2.7 2001:db8::7",
     "192.0.2.6 192.0.2.8 2001:db8::6 2001:db8::8", 2},
    {"/31", "198.51.100.4/31", "198.51.100.4 198.51.100.5", "198.51.100.3 198.51.100.6", 1},
    {"::ffff:10.0.0.0/120 is 10.0.0.0/24", "::ffff:10.0.0.0/120", "10.0.0.0 10.0.0.255",
     "10.0.1.0 9.255.255.255", 1},
    {"::ffff:10.0.0.0/104 is 10.0.0.0/8", "::ffff:10.0.0.0/104 10.0.0.0/8",
     "10.200.3.4 ::ffff:10.0.0.1", "11.0.0.0", 1},
    {"::ffff:0:0/96 is all of IPv4", "::ffff:0:0/96", "1.2.3.4 255.255.255.255",
     "::1.2.3.4", 1},
    {"::/64 covers the mapped block", "::/64", "1.2.3.4 ::1", "0:0:0:1::", 2},
    {"::/96 does not", "::/96", "::1.2.3.4", "1.2.3.4", 1},
    {"host bits are cleared, as nfdump 1.7.1 does", "192.0.2.77/24 2001:db8:1:2::5/48",
     "192.0.2.0 192.0.2.255 2001:db8:1:: 2001:db8:1:ffff:ffff:ffff:ffff:ffff",
     "192.0.3.0 2001:db8:2::", 2},
    {"nested, overlapping and repeated", "10.1.2.3 10.0.0.0/8 10.1.0.0/16 10.200.0.0/12 10.1.2.3",
     "10.0.0.0 10.255.255.255", "11.0.0.0 9.255.255.255", 1},
    {"adjacent ones merge, a gap of one address does not",
     "192.0.2.128/25 192.0.2.0/25 192.0.3.0/24 1.0.0.0 1.0.0.2",
     "192.0.2.0 192.0.3.255 1.0.0.0 1.0.0.2", "192.0.4.0 1.0.0.1", 3},
    {"the ends of IPv4", "255.255.255.254 255.255.255.255 0.0.0.0 0.0.0.1 255.0.0.0/8",
     "255.255.255.255 0.0.0.0", "0.0.0.2 254.255.255.255", 2},
    {"the ends of IPv6",
     "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe :: ::1 ffff::/16",
     "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff ::1",
     "::2 fffe:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 2},
    {"IPv6 ranges meet across the 64-bit halves",
     "2001:db8:0:1::/64 2001:db8::ffff:ffff:ffff:ffff 2001:db8:0:2::/64",
     "2001:db8::ffff:ffff:ffff:ffff 2001:db8:0:2:ffff:ffff:ffff:ffff",
     "2001:db8::ffff:ffff:ffff:fffe 2001:db8:0:3::", 1},
    {"first, last, one below and one above", "192.0.2.0/24 2001:db8:aa::/48",
     "192.0.2.0 192.0.2.255 2001:db8:aa:: 2001:db8:aa:ffff:ffff:ffff:ffff:ffff",
     "192.0.1.255 192.0.3.0 2001:db8:a9:ffff:ffff:ffff:ffff:ffff 2001:db8:ab::", 2},
    {"IPv4 does not match IPv6", "10.0.0.0/8 32.0.0.0/8", "10.0.0.1",
     "2001:db8:: ::10.0.0.1 a00:: ::a00:1", 2},
    {"IPv6 does not match IPv4 (32.1.13.184 = 0x20010db8; NAT64 embeds IPv4)",
     "2001:db8::/32 64:ff9b::/96 ::1", "64:ff9b::192.0.2.1 ::1",
     "32.1.13.184 192.0.2.1 0.0.0.1", 3},
};

static void test_fixed_sets(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof fixed_cases / sizeof fixed_cases[0]; i++) {
        const struct fixed_case *c = &fixed_cases[i];
        ipset *s = make(c->set);
        expect(s, c->in, 1, c->why);
        expect(s, c->out, 0, c->why);
        if (ipset_ranges(s) != c->ranges)
            fail_msg("%s: %zu ranges, not %zu", c->why, ipset_ranges(s), c->ranges);
        ipset_free(s);
    }
}

static void test_parse(void **state)
{
    (void)state;
    flow_addr a;
    unsigned len;
    c2_err err;
    static const struct { const char *text, *addr; unsigned len; } good[] = {
        {" 192.0.2.77/24\t", "192.0.2.0", 120},
        {"2001:db8::1/32", "2001:db8::", 32},
        {"10.0.0.1", "10.0.0.1", 128},
        {"10.0.0.1/008", "10.0.0.0", 104},
        {"::ffff:10.0.0.0/104", "10.0.0.0", 104},
        {"0.0.0.0/0", "0.0.0.0", 96},
        {"2001:db8::1/0", "::", 0},
    };
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        if (ipset_parse(good[i].text, &a, &len, &err) != 0) fail_msg("%s: %s", good[i].text, err.msg);
        assert_memory_equal(a.b, A(good[i].addr).b, 16);
        assert_int_equal(len, good[i].len);
    }
    static const char *const bad[] = {
        "", "   ", "10.0.0.0/", "/8", "10.0.0.0/8/8", "10.0.0.0/+8", "10.0.0.0/-1",
        "10.0.0.0/ 8", "10.0.0.0 /8", "10.0.0.0/1234", "10.0.0.0/0x8", "010.0.0.1",
        "10.0.0", "1.2.3.4.5", "256.0.0.1", "fe80::1%eth0", "2001:db8:::1",
        "10.0.0.1,", "10.0.0.1 10.0.0.2", "10.0.0.1#x", "host", "::ffff:10.0.0.0/129",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        if (ipset_parse(bad[i], &a, &len, &err) == 0) fail_msg("accepted '%s'", bad[i]);
        assert_non_null(strstr(err.msg, "bad address '"));
    }
    assert_int_equal(ipset_parse("10.0.0.0/33", &a, &len, &err), -1);
    assert_string_equal(err.msg, "bad address '10.0.0.0/33': prefix length above 32");
    assert_int_equal(ipset_parse("2001:db8::/129", &a, &len, &err), -1);
    assert_string_equal(err.msg, "bad address '2001:db8::/129': prefix length above 128");
    assert_int_equal(ipset_parse("  1.2.3.x\t", &a, &len, &err), -1);
    assert_string_equal(err.msg, "bad address '1.2.3.x'");
}

static void test_add(void **state)
{
    (void)state;
    /* a failed add adds nothing */
    ipset *s;
    c2_err err;
    assert_int_equal(ipset_new(&s, &err), 0);
    assert_int_equal(ipset_add_text(s, "10.0.0.0/33", &err), -1);
    assert_int_equal(ipset_add_text(s, "  10.0.0.1  ", &err), 0);
    flow_addr a = A("2001:db8::");
    assert_int_equal(ipset_add(s, &a, 129, &err), -1);
    assert_int_equal(ipset_entries(s), 1);
    assert_int_equal(ipset_build(s, &err), 0);
    expect(s, "10.0.0.1", 1, "the good add");
    assert_int_equal(ipset_ranges(s), 1);
    ipset_free(s);

    /* ipset_add counts 128-bit lengths: mapped 10.0.0.1 / 8 is ::/8 */
    assert_int_equal(ipset_new(&s, &err), 0);
    a = A("10.0.0.1");
    assert_int_equal(ipset_add(s, &a, 8, &err), 0);
    a = A("192.0.2.9");
    assert_int_equal(ipset_add(s, &a, 120, &err), 0);
    assert_int_equal(ipset_build(s, &err), 0);
    expect(s, "1.2.3.4 ff:ffff:: ::1", 1, "::/8");
    expect(s, "100::", 0, "::/8");
    ipset_free(s);
}

static void test_boundaries(void **state)
{
    (void)state;
    /* every entry of a random set: its ends are in, one below and one
     * above are in exactly when the reference says so */
    enum { N = 3000 };
    static ref_entry ref[N];
    ipset *s = random_set(ref, N, 7, 0);
    assert_true(ipset_ranges(s) <= N + 1);
    for (size_t i = 0; i < N; i++) {
        flow_addr below = addr_dec(ref[i].lo), above = addr_inc(ref[i].hi);
        assert_true(ipset_contains(s, &ref[i].lo));
        assert_true(ipset_contains(s, &ref[i].hi));
        assert_int_equal(ipset_contains(s, &below), ref_contains(ref, N, &below));
        assert_int_equal(ipset_contains(s, &above), ref_contains(ref, N, &above));
    }
    ipset_free(s);
}

/* Batch and single lookups against the reference on 100,000 probes, for a
 * spread set and for a clustered one (a long slice in one bucket). */
static void check_batch(ipset *s, const ref_entry *ref, size_t n)
{
    enum { P = 100000 };
    flow_addr *probe = malloc(P * sizeof *probe);
    uint8_t *out = malloc(P);
    assert_non_null(probe);
    assert_non_null(out);
    for (size_t i = 0; i < P; i++) probe[i] = random_probe(ref, n);
    ipset_contains_batch(s, probe, P, out);
    size_t hits = 0;
    for (size_t i = 0; i < P; i++) {
        int want = ref_contains(ref, n, &probe[i]);
        if (out[i] != want || ipset_contains(s, &probe[i]) != want) {
            char buf[FLOW_ADDR_STRLEN];
            fail_msg("probe %zu %s: batch %d single %d reference %d", i,
                     flow_addr_format(&probe[i], buf, sizeof buf), out[i],
                     ipset_contains(s, &probe[i]), want);
        }
        hits += out[i];
    }
    assert_true(hits > P / 10 && hits < P);         /* both answers were tested */
    free(probe);
    free(out);
}

static void test_batch_vs_reference(void **state)
{
    (void)state;
    enum { N = 256 };
    static ref_entry ref[N + 1];
    c2_err err;
    ipset *s;

    s = random_set(ref, N, 1234, 0);
    check_batch(s, ref, N);
    ipset_free(s);

    /* a few ranges, as a customer address space is: compared with each
     * range instead of tables (up to 4 a family), then past that */
    for (size_t n = 1; n <= 10; n++) {
        s = random_set(ref, n, 77 + n, 0);
        check_batch(s, ref, n);
        ipset_free(s);
    }

    /* clustered: N /32 and /30 in 10.0.0.0/22, plus one at the very top */
    assert_int_equal(ipset_new(&s, &err), 0);
    for (size_t i = 0; i < N; i++) {
        uint64_t r = rnd();
        flow_addr a = v4(0x0a000000u | (uint32_t)(r & 0x3ff));
        unsigned len = (r >> 20) % 3 ? 128 : 126;
        ref[i] = ref_prefix(&a, len);
        assert_int_equal(ipset_add(s, &a, len, &err), 0);
    }
    flow_addr top = A("255.255.255.255");
    ref[N] = ref_prefix(&top, 128);
    assert_int_equal(ipset_add(s, &top, 128, &err), 0);
    assert_int_equal(ipset_build(s, &err), 0);
    check_batch(s, ref, N + 1);
    ipset_free(s);
}

/* ipset_contains_batch_v4 on x[0..n) equals ipset_contains one by one;
 * the column is copied into an exact-size buffer so that ASan sees any
 * read past it.  Returns the hits. */
static size_t check_v4(const ipset *s, const uint32_t *x, size_t n)
{
    uint32_t *col = malloc((n ? n : 1) * sizeof *col);
    uint8_t *out = malloc(n ? n : 1);
    assert_non_null(col);
    assert_non_null(out);
    if (n) memcpy(col, x, n * sizeof *col);
    memset(out, 9, n);
    ipset_contains_batch_v4(s, col, n, out);
    size_t hits = 0;
    for (size_t i = 0; i < n; i++) {
        flow_addr a = v4(x[i]);
        if (out[i] != ipset_contains(s, &a))
            fail_msg("v4 probe %zu %u.%u.%u.%u: batch %d single %d", i, x[i] >> 24,
                     x[i] >> 16 & 255, x[i] >> 8 & 255, x[i] & 255, out[i],
                     ipset_contains(s, &a));
        hits += out[i];
    }
    free(col);
    free(out);
    return hits;
}

/* The IPv4 probes of random_probe, plus the ends of IPv4. */
static size_t v4_probes(const ref_entry *ref, size_t n, uint32_t *x, size_t want)
{
    size_t k = 0;
    x[k++] = 0;
    x[k++] = UINT32_MAX;
    while (k < want) {
        flow_addr a = random_probe(ref, n);
        if (flow_addr_is_v4(&a)) x[k++] = flow_addr_v4(&a);
    }
    return k;
}

static void test_batch_v4(void **state)
{
    (void)state;
    enum { N = 3000, P = 50001 };               /* P: not a multiple of a block */
    static ref_entry ref[N + 1];
    static uint32_t x[P];
    c2_err err;
    ipset *s;

    /* random sets, both sides: every entry's ends, one below and above */
    s = random_set(ref, N, 4321, 0);
    assert_true(ipset_has_v6(s));
    size_t k = 0;
    for (size_t i = 0; i < N && k + 4 <= P; i++) {
        if (!flow_addr_is_v4(&ref[i].lo) || !flow_addr_is_v4(&ref[i].hi)) continue;
        uint32_t lo = flow_addr_v4(&ref[i].lo), hi = flow_addr_v4(&ref[i].hi);
        x[k++] = lo;
        x[k++] = hi;
        x[k++] = lo - 1;                        /* wraps at 0.0.0.0: still a probe */
        x[k++] = hi + 1;
    }
    size_t hits = check_v4(s, x, k);
    assert_true(hits > k / 3 && hits < k);
    k = v4_probes(ref, N, x, P);
    hits = check_v4(s, x, k);
    assert_true(hits > k / 20 && hits < k);
    for (size_t n = 0; n < 1100; n += 97) check_v4(s, x + 3, n);    /* short columns */
    ipset_free(s);

    /* clustered, with an entry at each end of IPv4: below and above the
     * set's first and last addresses, and one long slice */
    assert_int_equal(ipset_new(&s, &err), 0);
    for (size_t i = 0; i < N; i++) {
        uint64_t r = rnd();
        flow_addr a = v4(0x0a000000u | (uint32_t)(r & 0xfff));
        unsigned len = (r >> 20) % 3 ? 128 : 126;
        ref[i] = ref_prefix(&a, len);
        assert_int_equal(ipset_add(s, &a, len, &err), 0);
    }
    assert_int_equal(ipset_build(s, &err), 0);
    assert_false(ipset_has_v6(s));
    for (k = 0; k < P; k++) {
        uint64_t r = rnd();
        x[k] = r % 4 == 0 ? (uint32_t)(r >> 32)
                          : 0x0a000000u - 8 + (uint32_t)((r >> 32) % 0x1010);
    }
    hits = check_v4(s, x, k);
    assert_true(hits > k / 10 && hits < k);
    flow_addr ends[2] = {A("0.0.0.0"), A("255.255.255.255")};
    for (int e = 0; e < 2; e++) assert_int_equal(ipset_add(s, &ends[e], 128, &err), 0);
    assert_int_equal(ipset_build(s, &err), 0);
    hits = check_v4(s, x, k);
    x[0] = 0;
    x[1] = UINT32_MAX;
    x[2] = 1;
    x[3] = UINT32_MAX - 1;
    assert_int_equal(check_v4(s, x, 4), 2);
    ipset_free(s);

    /* no IPv4 side: IPv6 only, empty, never built */
    static const char *none[] = {"2001:db8::/32 ::1", "", NULL};
    for (int i = 0; none[i]; i++) {
        s = make(none[i]);
        assert_int_equal(ipset_has_v6(s), i == 0);
        assert_int_equal(check_v4(s, x, 1000), 0);
        ipset_free(s);
    }
    assert_int_equal(ipset_new(&s, &err), 0);
    assert_int_equal(ipset_add_text(s, "10.0.0.0/8", &err), 0);
    x[0] = 0x0a000001u;
    assert_int_equal(check_v4(s, x, 1), 0);     /* added, not built */
    ipset_free(s);

    /* all of IPv4, from either side */
    static const char *all[] = {"0.0.0.0/0", "::/0", "::ffff:0:0/96", NULL};
    for (int i = 0; all[i]; i++) {
        s = make(all[i]);
        assert_int_equal(ipset_has_v6(s), i == 1);
        assert_int_equal(check_v4(s, x, 1000), 1000);
        ipset_free(s);
    }
}

static int isect(const ipset *s, const char *lo, const char *hi)
{
    flow_addr a = A(lo), b = A(hi);
    return ipset_intersects(s, &a, &b);
}

static void test_bounds_intersects(void **state)
{
    (void)state;
    flow_addr lo, hi;
    ipset *s = make("10.0.0.0/8 ::1 2001:db8::/32");
    assert_int_equal(ipset_bounds(s, &lo, &hi), 1);
    assert_memory_equal(lo.b, A("::1").b, 16);
    assert_memory_equal(hi.b, A("2001:db8:ffff:ffff:ffff:ffff:ffff:ffff").b, 16);
#define X(a, b) isect(s, a, b)
    assert_true(X("10.255.255.255", "11.0.0.0"));
    assert_true(X("9.0.0.0", "12.0.0.0"));
    assert_true(X("10.1.2.3", "10.1.2.3"));
    assert_false(X("11.0.0.0", "11.255.255.255"));
    assert_false(X("11.0.0.1", "11.0.0.0"));                  /* lo > hi */
    assert_false(X("::", "::"));
    assert_true(X("::", "::1"));
    assert_false(X("::2", "::ffff:9.255.255.255"));
    assert_true(X("::2", "::ffff:10.0.0.0"));
    assert_true(X("::ffff:11.0.0.0", "2001:db8::"));
    assert_false(X("::ffff:11.0.0.0", "2001:db7:ffff:ffff:ffff:ffff:ffff:ffff"));
    assert_false(X("2001:db9::", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"));
    assert_true(X("::", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"));
    ipset_free(s);

    /* zones that straddle the ends of the IPv4-mapped block */
    s = make("0.0.0.0 255.255.255.255");
    assert_true(X("::", "::ffff:0.0.0.0"));
    assert_false(X("::", "::fffe:ffff:ffff"));
    assert_true(X("::ffff:255.255.255.255", "1::"));
    assert_false(X("::1:0:0:0", "1::"));
    assert_false(X("0.0.0.1", "255.255.255.254"));
#undef X
    ipset_free(s);

    s = make("192.0.2.0/24 198.51.100.7");
    assert_int_equal(ipset_bounds(s, &lo, &hi), 1);
    assert_memory_equal(lo.b, A("192.0.2.0").b, 16);
    assert_memory_equal(hi.b, A("198.51.100.7").b, 16);
    ipset_free(s);

    /* random pairs against the reference */
    enum { N = 200 };
    static ref_entry ref[N];
    s = random_set(ref, N, 99, 48);                  /* leave gaps in IPv6 */
    flow_addr rmin, rmax;
    ref_bounds(ref, N, &rmin, &rmax);
    assert_int_equal(ipset_bounds(s, &lo, &hi), 1);
    assert_memory_equal(lo.b, rmin.b, 16);
    assert_memory_equal(hi.b, rmax.b, 16);
    size_t yes = 0;
    for (size_t i = 0; i < 20000; i++) {
        flow_addr p = random_probe(ref, N), q = random_probe(ref, N);
        if (rnd() % 2 && memcmp(p.b, q.b, 16) > 0) { flow_addr t = p; p = q; q = t; }
        if (rnd() % 4 == 0) { q = p; for (int k = 0; k < 3; k++) q = addr_inc(q); }
        int want = ref_intersects(ref, N, &p, &q);
        assert_int_equal(ipset_intersects(s, &p, &q), want);
        yes += (size_t)want;
    }
    assert_true(yes > 1000 && yes < 19000);
    ipset_free(s);
}

static void test_empty(void **state)
{
    (void)state;
    ipset *s;
    c2_err err;
    flow_addr lo, hi, a = A("10.0.0.1"), b = A("2001:db8::1"), all = A("::"),
              top = A("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
    assert_int_equal(ipset_new(&s, &err), 0);
    assert_int_equal(ipset_entries(s), 0);
    assert_false(ipset_contains(s, &a));             /* never built */
    assert_int_equal(ipset_add_text(s, "10.0.0.0/8", &err), 0);
    assert_false(ipset_contains(s, &a));             /* added, not built */
    assert_int_equal(ipset_bounds(s, &lo, &hi), 0);
    ipset_free(s);

    s = make("");
    assert_int_equal(ipset_ranges(s), 0);
    assert_false(ipset_contains(s, &a));
    assert_false(ipset_contains(s, &b));
    assert_false(ipset_contains(s, &all));
    assert_int_equal(ipset_bounds(s, &lo, &hi), 0);
    assert_memory_equal(lo.b, all.b, 16);
    assert_memory_equal(hi.b, all.b, 16);
    assert_false(ipset_intersects(s, &all, &top));
    flow_addr col[3] = {a, b, all};
    uint8_t out[3] = {9, 9, 9};
    ipset_contains_batch(s, col, 3, out);
    assert_int_equal(out[0] | out[1] | out[2], 0);
    ipset_contains_batch(s, col, 0, out);
    ipset_free(s);
    ipset_free(NULL);
}

static void test_rebuild(void **state)
{
    (void)state;
    c2_err err;
    ipset *s = make("10.0.0.0/24 2001:db8::/64");
    assert_int_equal(ipset_add_text(s, "10.0.1.0/24", &err), 0);
    assert_int_equal(ipset_add_text(s, "2001:db8:0:1::/64", &err), 0);
    expect(s, "10.0.1.1 2001:db8:0:1::1", 0, "not before the next build");
    expect(s, "10.0.0.1 2001:db8::1", 1, "built before");
    assert_int_equal(ipset_build(s, &err), 0);
    expect(s, "10.0.0.1 10.0.1.1 2001:db8::1 2001:db8:0:1::1", 1, "rebuilt");
    assert_int_equal(ipset_ranges(s), 2);
    assert_int_equal(ipset_entries(s), 4);
    assert_int_equal(ipset_build(s, &err), 0);       /* nothing new */
    assert_int_equal(ipset_ranges(s), 2);
    expect(s, "10.0.0.1 10.0.1.1 2001:db8::1 2001:db8:0:1::1", 1, "built again");
    ipset_free(s);
}

static void test_load(void **state)
{
    (void)state;
    char path[4096];
    snprintf(path, sizeof path, "%s/ipset-%ld.txt", tmp_dir(), (long)getpid());
    static const char good[] =
        "\xef\xbb\xbf# C2 servers, nfdump list style\r\n"
        "192.0.2.1,\r\n"
        "\r\n"
        "   198.51.100.0/24 , # trailing comment\r\n"
        "\t2001:db8::/32\t# tabs\n"
        "#10.0.0.1\n"
        "   # indented comment\n"
        "::ffff:203.0.113.0/120#no space\n"
        "203.0.114.7";                              /* no final newline */
    write_file(path, good, sizeof good - 1);
    ipset *s;
    c2_err err;
    assert_int_equal(ipset_new(&s, &err), 0);
    if (ipset_load_file(s, path, &err) != 0) fail_msg("%s", err.msg);
    assert_int_equal(ipset_entries(s), 5);
    assert_int_equal(ipset_build(s, &err), 0);
    expect(s, "192.0.2.1 198.51.100.255 2001:db8:ffff::1 203.0.113.9 203.0.114.7", 1, "good file");
    expect(s, "192.0.2.2 10.0.0.1", 0, "good file");
    ipset_free(s);

    /* a bad line: its number and text; nothing of the file is kept */
    static const char bad[] =
        "10.9.0.0/16\n"
        "# fine so far\n"
        "\n"
        "10.0.0.300, # a typo\n"
        "10.8.0.1\n";
    write_file(path, bad, sizeof bad - 1);
    assert_int_equal(ipset_new(&s, &err), 0);
    assert_int_equal(ipset_add_text(s, "192.0.2.1", &err), 0);
    assert_int_equal(ipset_load_file(s, path, &err), -1);
    char want[4200];
    snprintf(want, sizeof want, "%s:4: bad address '10.0.0.300'", path);
    assert_string_equal(err.msg, want);
    assert_int_equal(ipset_entries(s), 1);
    assert_int_equal(ipset_build(s, &err), 0);
    expect(s, "192.0.2.1", 1, "before the bad file");
    expect(s, "10.9.0.1", 0, "the bad file");
    assert_int_equal(ipset_ranges(s), 1);

    /* the same through a buffer; more bad lines */
    struct { const char *text; const char *msg; } cases[] = {
        {"1.2.3.4\n,\n", "list:2: bad address ','"},
        {"1.2.3.4,,\n", "list:1: bad address '1.2.3.4,'"},
        {"1.2.3.4, 5.6.7.8\n", "list:1: bad address '1.2.3.4, 5.6.7.8'"},
        {"\n\n10.0.0.0/33\r\n", "list:3: bad address '10.0.0.0/33': prefix length above 32"},
        {"1.2.3.4\r5.6.7.8\n", "list:1: bad address '1.2.3.4 5.6.7.8'"},
        {"caf\xc3\xa9::1\n", "list:1: bad address 'caf\\xc3\\xa9::1'"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        assert_int_equal(ipset_load_buffer(s, cases[i].text, strlen(cases[i].text), "list", &err), -1);
        assert_string_equal(err.msg, cases[i].msg);
    }
    char ctl[101];
    memset(ctl, 1, 100);
    ctl[100] = '\n';
    assert_int_equal(ipset_load_buffer(s, ctl, sizeof ctl, "list", &err), -1);
    assert_int_equal(strncmp(err.msg, "list:1: bad address '\\x01\\x01", 28), 0);
    assert_non_null(strstr(err.msg, "\\x01...'"));
    static const char nul[] = "1.2.3.4\n5.6.7.8\0junk\n";
    assert_int_equal(ipset_load_buffer(s, nul, sizeof nul - 1, "list", &err), -1);
    assert_string_equal(err.msg, "list:2: bad address '5.6.7.8\\x00junk'");
    static const char nul_comment[] = "1.2.3.4 #\0 nul in a comment\n";
    assert_int_equal(ipset_load_buffer(s, nul_comment, sizeof nul_comment - 1, "list", &err), 0);
    assert_int_equal(ipset_load_buffer(s, "", 0, "list", &err), 0);
    assert_int_equal(ipset_entries(s), 2);

    /* long lines: a megabyte of comment is fine, a megabyte of entry is
     * an error quoted short */
    size_t big = 1 << 20;
    char *text = malloc(big + 64);
    assert_non_null(text);
    memset(text, 'x', big);
    memcpy(text, "8.8.8.8 #", 9);
    memcpy(text + big, "\n9.9.9.9\n", 10);
    assert_int_equal(ipset_load_buffer(s, text, big + 9, "long", &err), 0);
    memset(text, ' ', big / 2);                      /* blanks collapse */
    memcpy(text + big / 2, "7.7.7.7", 7);
    memset(text + big / 2 + 7, ' ', big / 2 - 7);
    assert_int_equal(ipset_load_buffer(s, text, big + 9, "long", &err), 0);
    memset(text, '1', big);
    assert_int_equal(ipset_load_buffer(s, text, big + 9, "long", &err), -1);
    assert_non_null(strstr(err.msg, "long:1: bad address '1111"));
    assert_non_null(strstr(err.msg, "...'"));
    assert_true(strlen(err.msg) < 200);
    write_file(path, text, big + 9);
    assert_int_equal(ipset_load_file(s, path, &err), -1);
    assert_non_null(strstr(err.msg, ":1: bad address '1111"));
    free(text);
    assert_int_equal(ipset_entries(s), 6);
    assert_int_equal(ipset_build(s, &err), 0);
    expect(s, "8.8.8.8 9.9.9.9 7.7.7.7", 1, "long lines");
    ipset_free(s);

    /* a file that is not there */
    unlink(path);
    assert_int_equal(ipset_new(&s, &err), 0);
    assert_int_equal(ipset_load_file(s, path, &err), -1);
    assert_non_null(strstr(err.msg, path));
    assert_non_null(strstr(err.msg, "No such file"));
    assert_int_equal(ipset_load_file(s, tmp_dir(), &err), -1);   /* a directory */
    ipset_free(s);
}

static void test_million(void **state)
{
    (void)state;
    enum { N = 1000000 };
    ipset *s;
    c2_err err;
    rng_state = 5;
    assert_int_equal(ipset_new(&s, &err), 0);
    flow_addr *sample = malloc(1000 * sizeof *sample);
    assert_non_null(sample);
    for (size_t i = 0; i < N; i++) {
        flow_addr a = v4((uint32_t)rnd());
        unsigned len = i % 10 ? 128 : 120 + (unsigned)(i % 9);
        assert_int_equal(ipset_add(s, &a, len, &err), 0);
        if (i % 1000 == 0) sample[i / 1000] = a;
    }
    for (size_t i = 0; i < 1000; i++) {
        flow_addr a = A("2001:db8::");
        uint64_t x = rnd();
        memcpy(a.b + 6, &x, 8);
        assert_int_equal(ipset_add(s, &a, 128, &err), 0);
    }
    assert_int_equal(ipset_build(s, &err), 0);
    assert_int_equal(ipset_entries(s), N + 1000);
    assert_true(ipset_ranges(s) > N / 2 && ipset_ranges(s) <= N + 1000);
    uint8_t out[1000];
    ipset_contains_batch(s, sample, 1000, out);
    for (size_t i = 0; i < 1000; i++) assert_int_equal(out[i], 1);
    free(sample);
    ipset_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fixed_sets),
        cmocka_unit_test(test_parse),
        cmocka_unit_test(test_add),
        cmocka_unit_test(test_boundaries),
        cmocka_unit_test(test_batch_vs_reference),
        cmocka_unit_test(test_batch_v4),
        cmocka_unit_test(test_bounds_intersects),
        cmocka_unit_test(test_empty),
        cmocka_unit_test(test_rebuild),
        cmocka_unit_test(test_load),
        cmocka_unit_test(test_million),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
