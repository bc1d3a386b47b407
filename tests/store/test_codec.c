/*
 * test_codec.c: the column codec of the store (src/store/codec.c) on its
 * own, below the segment files: every column of a block must decode to the
 * values encoded, and the min and max codec_encode computes on the way must
 * be exactly codec_zone's.  Like the fuzz targets, this test includes the
 * store's internal header, because the corners it drives (a dictionary
 * whose base moves between blocks, the exporter cache's collisions, varint
 * widths, the packing mode changing between blocks) are not reachable by
 * choice through store.h.
 *
 * Batches are filled by small generators, one per case, each a function of
 * the row index and a seed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>
#include <zstd.h>

#include "store/segment.h"

typedef void (*row_fn)(size_t i, uint64_t seed, flow_record *r);

static uint64_t mix(uint64_t x)
{
    x ^= x >> 31;
    x *= 0x9e3779b97f4a7c15ull;
    x ^= x >> 29;
    x *= 0xbf58476d1ce4e5b9ull;
    return x ^ (x >> 32);
}

/* A plausible record: what every case starts from before changing fields. */
static void base_row(size_t i, uint64_t seed, flow_record *r)
{
    uint64_t h = mix(i * 7919 + seed);
    memset(r, 0, sizeof *r);
    r->end_ms = 1767225600000LL + (int64_t)i * 20;
    r->start_ms = r->end_ms - (int64_t)(h % 120000);
    r->packets = 1 + h % 1000;
    r->bytes = r->packets * (40 + h % 1460);
    flow_addr_from_v4(&r->src_addr, (uint32_t)(h >> 8));
    flow_addr_from_v4(&r->dst_addr, 0xc6336400u + (uint32_t)(h % 251));
    flow_addr_from_v4(&r->exporter, 0xc0000201u + (uint32_t)(h % 4));
    r->domain = 1 + (uint32_t)(h % 4);
    r->in_if = 1 + (uint32_t)(h >> 40) % 16;
    r->out_if = 1 + (uint32_t)(h >> 44) % 16;
    r->sampling = 1;
    r->src_as = (uint32_t)(h >> 20) % 3000 * 7;
    r->dst_as = 64496;
    r->src_port = (uint16_t)(1024 + h % 60000);
    r->dst_port = (uint16_t)(h % 3 ? 443 : 23);
    r->proto = h % 10 ? 6 : 17;
    r->tcp_flags = (uint8_t)(h >> 16);
    r->tos = (uint8_t)(h % 4 * 0x20);
}

/* Counters and times across every varint width, up to the top of 64 bits;
 * time deltas that jump both ways across most of the clock. */
static void wide_row(size_t i, uint64_t seed, flow_record *r)
{
    base_row(i, seed, r);
    unsigned shift = (unsigned)((i + seed) % 64);
    uint64_t h = mix(i + seed);
    r->packets = (1ull << shift) - (h & 1);
    r->bytes = i % 5 == 0 ? UINT64_MAX - i : h >> (i % 64);
    r->start_ms = i % 7 == 0 ? INT64_MIN + (int64_t)i : (int64_t)(h >> 2);
    r->end_ms = i % 11 == 0 ? INT64_MAX - (int64_t)i : r->start_ms + (int64_t)(h % 1000);
    r->src_as = (uint32_t)h;                /* nearly all distinct */
}

/* 32-bit columns whose range moves from block to block (seed): up, down,
 * wide, then constant; the frame-of-reference base must follow. */
static void drifting_row(size_t i, uint64_t seed, flow_record *r)
{
    base_row(i, seed, r);
    uint32_t h = (uint32_t)mix(i ^ seed);
    switch (seed % 5) {
    case 0: r->in_if = 100 + h % 50; break;
    case 1: r->in_if = 90 + h % 40; break;          /* below the last base */
    case 2: r->in_if = 100 + h % 240; break;        /* still fits 256 from 100 */
    case 3: r->in_if = h % 100000; break;           /* a hashed dictionary */
    default: r->in_if = 7; break;
    }
    r->out_if = UINT32_MAX - h % 200;               /* at the top of the range */
    r->sampling = seed % 2 ? 1000 : 1;
    r->domain = (uint32_t)(i % 2 ? 0 : UINT32_MAX);  /* two values far apart */
}

/* Exporters that collide in the front cache (same last byte), IPv6 ones,
 * and many of them. */
static void exporters_row(size_t i, uint64_t seed, flow_record *r)
{
    base_row(i, seed, r);
    uint64_t h = mix(i + seed);
    if (h % 5 == 0) {
        flow_addr_parse("2001:db8::1", &r->exporter);
        r->exporter.b[13] = (uint8_t)(h >> 8);
    } else {
        flow_addr_from_v4(&r->exporter, 0x0a000001u + (uint32_t)(h % 300) * 256);
    }
}

/* Mixed address families, with IPv6 addresses below and above the
 * IPv4-mapped range, so the zone must compare across families. */
static void family_row(size_t i, uint64_t seed, flow_record *r)
{
    base_row(i, seed, r);
    uint64_t h = mix(i * 31 + seed);
    if (h % 4 == 0) {
        flow_addr_parse(h % 8 ? "2001:db8::" : "::1", &r->src_addr);
        r->src_addr.b[15] ^= (uint8_t)h;
    }
    if (seed % 2) {                                 /* every row IPv6 */
        flow_addr_parse("fe80::", &r->dst_addr);
        r->dst_addr.b[15] = (uint8_t)(h >> 8);
        r->dst_addr.b[14] = (uint8_t)i;
    }
}

/* Columns whose character flips between blocks: constant, then noise, then
 * long runs; a packing mode chosen on one block then meets the other. */
static void flipping_row(size_t i, uint64_t seed, flow_record *r)
{
    base_row(i, seed, r);
    uint64_t h = mix(i + seed * 1000003);
    int kind = (int)(seed / 3 % 3);
    uint8_t v = kind == 0 ? 6 : kind == 1 ? (uint8_t)h : (uint8_t)(i / 50);
    r->proto = r->tcp_flags = r->tos = v;
    r->dst_port = kind == 1 ? (uint16_t)h : 53;
    r->end_ms = r->start_ms + (kind == 1 ? (int64_t)(h % 100000) : 5);
}

static void fill(flow_batch *b, size_t n, row_fn fn, uint64_t seed)
{
    b->count = 0;
    for (size_t i = 0; i < n; i++) {
        flow_record r;
        fn(i, seed, &r);
        flow_batch_put(b, &r);
    }
}

/* Rows of a subset of [0, n), ascending, by a rule per `kind`: every
 * row, none but the first and last, every k-th, or a random third.
 * Returns how many. */
static size_t pick_rows(size_t n, int kind, uint64_t seed, uint32_t *idx)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        int take = kind == 0 ? 1
                 : kind == 1 ? (i == 0 || i == n - 1)
                 : kind == 2 ? i % 37 == 5
                 : mix(i ^ seed) % 3 == 0;
        if (take) idx[k++] = (uint32_t)i;
    }
    return k;
}

/* codec_decode_rows of every column, for several row subsets, must give
 * the values of those rows, in rows [0, k). */
static void check_rows(codec_ctx *c, const flow_batch *b, const segment_column *col,
                       uint8_t *const *frames)
{
    size_t n = b->count;
    uint32_t *idx = malloc((n ? n : 1) * sizeof *idx);
    flow_batch back;
    assert_int_equal(flow_batch_init(&back, n, FLOW_ALL_FIELDS), 0);
    int end_first = col[FLOW_START].encoding == ENC_TIME_BEFORE;
    c2_err err;
    for (int kind = 0; kind < 4; kind++) {
        size_t k = pick_rows(n, kind, (uint64_t)kind * 77 + n, idx);
        back.v4_want = FLOW_BIT(FLOW_SRC_ADDR);
        back.v4_fields = FLOW_BIT(FLOW_SRC_ADDR) | FLOW_BIT(FLOW_DST_ADDR);
        for (int m = 0; m < FLOW_FIELD_COUNT; m++) {
            int f = end_first && m < 2 ? 1 - m : m;
            if (codec_decode_rows(c, frames[f], &col[f], (flow_field)f, n, idx, k, &back,
                                  &err) != 0)
                fail_msg("decode rows of %s: %s", flow_field_name((flow_field)f), err.msg);
        }
        assert_int_equal(back.v4_fields, 0);    /* selected rows have no view */
        for (int f = 0; f < FLOW_FIELD_COUNT; f++) {
            flow_type t = flow_field_type((flow_field)f);
            for (size_t j = 0; j < k; j++) {
                flow_value x, y;
                flow_batch_value(b, (flow_field)f, idx[j], &x);
                flow_batch_value(&back, (flow_field)f, j, &y);
                if (flow_value_cmp(t, &x, &y))
                    fail_msg("%s of row %u (subset %d) differs", flow_field_name((flow_field)f),
                             idx[j], kind);
            }
        }
    }
    flow_batch_free(&back);
    free(idx);
}

/* The IPv4 views of b (see flow_batch) are valid for exactly the fields
 * `want` and agree with their address columns row by row. */
static void check_views(const flow_batch *b, uint32_t want)
{
    assert_int_equal(b->v4_fields, want);
    for (int f = FLOW_SRC_ADDR; f <= FLOW_DST_ADDR; f++) {
        const uint32_t *v4;
        const uint8_t *v6map;
        if (!(want & FLOW_BIT(f))) {
            assert_int_equal(flow_batch_get_v4(b, (flow_field)f, &v4, &v6map), 0);
            continue;
        }
        assert_int_equal(flow_batch_get_v4(b, (flow_field)f, &v4, &v6map), 1);
        const flow_addr *a = flow_batch_column(b, (flow_field)f);
        for (size_t i = 0; i < b->count; i++) {
            int six = v6map[i / 8] >> (i % 8) & 1;
            if (six != !flow_addr_is_v4(&a[i]))
                fail_msg("%s row %zu: IPv6 bit %d", flow_field_name((flow_field)f), i, six);
            if (!six && v4[i] != flow_addr_v4(&a[i]))
                fail_msg("%s row %zu: view %08x", flow_field_name((flow_field)f), i, v4[i]);
        }
        if (b->count % 8)                   /* bits past the rows are clear */
            assert_int_equal(v6map[b->count / 8] >> (b->count % 8), 0);
    }
}

/* Encode every column of b, decode it into a fresh batch, compare values
 * and zones.  The anchor time column is decoded first.  Then the same for
 * selected rows only. */
static void round_trip(codec_ctx *c, const flow_batch *b)
{
    size_t n = b->count;
    flow_batch back;
    assert_int_equal(flow_batch_init(&back, n, FLOW_ALL_FIELDS), 0);
    segment_column col[FLOW_FIELD_COUNT];
    uint8_t *frames[FLOW_FIELD_COUNT];
    c2_err err;
    for (int f = 0; f < FLOW_FIELD_COUNT; f++) {
        const uint8_t *out;
        flow_value lo, hi, zlo, zhi;
        if (codec_encode(c, b, (flow_field)f, &out, &col[f], &lo, &hi, &err) != 0)
            fail_msg("encode %s: %s", flow_field_name((flow_field)f), err.msg);
        codec_zone(b, (flow_field)f, n, &zlo, &zhi);
        assert_memory_equal(&lo, &zlo, sizeof lo);
        assert_memory_equal(&hi, &zhi, sizeof hi);
        assert_int_equal(col[f].crc, c2_crc32(0, out, col[f].stored_len));
        frames[f] = malloc(col[f].stored_len);
        memcpy(frames[f], out, col[f].stored_len);
    }
    int end_first = col[FLOW_START].encoding == ENC_TIME_BEFORE;
    back.v4_fields = FLOW_ALL_FIELDS;   /* stale bits a full decode must clear */
    back.v4_want = FLOW_BIT(FLOW_DST_ADDR) | FLOW_BIT(FLOW_SRC_ADDR) | FLOW_BIT(FLOW_BYTES);
    for (int k = 0; k < FLOW_FIELD_COUNT; k++) {
        int f = end_first && k < 2 ? 1 - k : k;
        if (codec_decode(c, frames[f], &col[f], (flow_field)f, n, &back, &err) != 0)
            fail_msg("decode %s: %s", flow_field_name((flow_field)f), err.msg);
    }
    back.count = n;
    check_views(&back, FLOW_BIT(FLOW_SRC_ADDR) | FLOW_BIT(FLOW_DST_ADDR));
    /* a decode without the view asked for drops it */
    back.v4_want = FLOW_BIT(FLOW_DST_ADDR);
    if (codec_decode(c, frames[FLOW_SRC_ADDR], &col[FLOW_SRC_ADDR], FLOW_SRC_ADDR, n, &back,
                     &err) != 0)
        fail_msg("decode src_addr: %s", err.msg);
    assert_int_equal(back.v4_fields, FLOW_BIT(FLOW_DST_ADDR));
    back.v4_want = 0;
    for (int f = 0; f < FLOW_FIELD_COUNT; f++) {
        flow_type t = flow_field_type((flow_field)f);
        for (size_t i = 0; i < n; i++) {
            flow_value x, y;
            flow_batch_value(b, (flow_field)f, i, &x);
            flow_batch_value(&back, (flow_field)f, i, &y);
            if (flow_value_cmp(t, &x, &y))
                fail_msg("%s of row %zu differs", flow_field_name((flow_field)f), i);
        }
    }
    check_rows(c, b, col, frames);
    for (int f = 0; f < FLOW_FIELD_COUNT; f++) free(frames[f]);
    flow_batch_free(&back);
}

/* `blocks` blocks of n rows from fn (seed = block number) through one codec,
 * as a writer does. */
static void run_case(row_fn fn, size_t n, int blocks, int level)
{
    codec_ctx *c = codec_new(level);
    assert_non_null(c);
    flow_batch b;
    assert_int_equal(flow_batch_init(&b, n, FLOW_ALL_FIELDS), 0);
    for (int k = 0; k < blocks; k++) {
        fill(&b, n, fn, (uint64_t)k);
        round_trip(c, &b);
    }
    flow_batch_free(&b);
    codec_free(c);
}

static void test_plain(void **state)
{
    (void)state;
    run_case(base_row, 4096, 3, 3);
    run_case(base_row, 1, 3, 3);                /* one row: no frame of reference */
    run_case(base_row, 7, 3, -5);
}

static void test_varint_widths(void **state)
{
    (void)state;
    run_case(wide_row, 5000, 3, 1);
}

static void test_drifting_dictionary(void **state)
{
    (void)state;
    run_case(drifting_row, 3000, 12, 3);
}

static void test_exporter_cache(void **state)
{
    (void)state;
    run_case(exporters_row, 5000, 3, 3);
    run_case(exporters_row, 70000, 1, 1);       /* > 65536 rows: 2-byte indexes */
}

static void test_address_families(void **state)
{
    (void)state;
    run_case(family_row, 3001, 4, 3);
    run_case(family_row, 70001, 2, 1);          /* several runs of IPv4 values */
}

/* More than PROBE_EVERY blocks, so the packing mode is chosen, kept on
 * data it was not chosen for, and chosen again. */
static void test_mode_changes(void **state)
{
    (void)state;
    run_case(flipping_row, 600, 140, 3);
}

/* More distinct values than a dictionary holds: the SHUFFLE and
 * ADDR_SPLIT fallbacks. */
static void many_row(size_t i, uint64_t seed, flow_record *r)
{
    base_row(i, seed, r);
    r->in_if = (uint32_t)(i * 2654435761u);
    flow_addr_from_v4(&r->exporter, (uint32_t)i * 3);
}

static void test_dictionary_overflow(void **state)
{
    (void)state;
    run_case(many_row, 70000, 1, 1);
}

/* ---- malformed chunks: the same verdict for all rows and for a few ---- */

/* raw as a zstd frame of `encoding`, decoded whole and as rows {0}: both
 * must fail (want_ok 0) or both succeed. */
static void both_decoders(flow_field f, uint8_t encoding, const uint8_t *raw, size_t len,
                          size_t n, int want_ok)
{
    size_t cap = ZSTD_compressBound(len);
    uint8_t *frame = malloc(cap);
    size_t z = ZSTD_compress(frame, cap, raw, len, 1);
    assert_false(ZSTD_isError(z));
    segment_column col = {.offset = 32, .stored_len = (uint32_t)z, .raw_len = (uint32_t)len,
                          .encoding = encoding};
    codec_ctx *c = codec_new(1);
    flow_batch b;
    assert_int_equal(flow_batch_init(&b, n, FLOW_ALL_FIELDS), 0);
    uint32_t first = 0;
    c2_err err;
    int whole = codec_decode(c, frame, &col, f, n, &b, &err);
    int rows = codec_decode_rows(c, frame, &col, f, n, &first, 1, &b, &err);
    assert_int_equal(whole, want_ok ? 0 : -1);
    assert_int_equal(rows, want_ok ? 0 : -1);
    if (!want_ok) assert_non_null(strstr(err.msg, "malformed"));
    flow_batch_free(&b);
    codec_free(c);
    free(frame);
}

static void test_malformed_rows(void **state)
{
    (void)state;
    /* varints of 4 rows: well formed; one short; one too many; an
     * over-long value (10 continuation bytes) in a row not selected */
    static const uint8_t ok[] = {1, 0x80, 1, 2, 3};
    static const uint8_t short3[] = {1, 2, 3};
    static const uint8_t long5[] = {1, 2, 3, 4, 5};
    uint8_t overlong[16] = {1, 2, 3};
    memset(overlong + 3, 0x80, 10);
    overlong[13] = 1;
    both_decoders(FLOW_PACKETS, ENC_VARINT, ok, sizeof ok, 4, 1);
    both_decoders(FLOW_PACKETS, ENC_VARINT, short3, sizeof short3, 4, 0);
    both_decoders(FLOW_PACKETS, ENC_VARINT, long5, sizeof long5, 4, 0);
    both_decoders(FLOW_PACKETS, ENC_VARINT, overlong, 14, 4, 0);
    /* nine continuation bytes make a 10-byte varint: still accepted */
    overlong[12] = 1;
    both_decoders(FLOW_PACKETS, ENC_VARINT, overlong, 13, 4, 1);
    /* the duration of end: the anchor decoded as zeros, same rules */
    both_decoders(FLOW_END, ENC_TIME_SINCE, short3, sizeof short3, 4, 0);
    /* a dictionary of 2 values whose last row's index is 2 */
    uint8_t dict[4 + 2 * 4 + 1 + 4] = {2, 0, 0, 0};
    dict[12] = 1;                           /* index width */
    dict[13] = 0;
    dict[14] = 1;
    dict[15] = 0;
    dict[16] = 2;
    both_decoders(FLOW_IN_IF, ENC_DICT, dict, sizeof dict, 4, 0);
    dict[16] = 1;
    both_decoders(FLOW_IN_IF, ENC_DICT, dict, sizeof dict, 4, 1);
    /* an address split whose bitmap marks one IPv6 row but says none */
    uint8_t split[4 + 1 + 4 * 4] = {0, 0, 0, 0, 0x08};
    both_decoders(FLOW_SRC_ADDR, ENC_ADDR_SPLIT, split, sizeof split, 4, 0);
    split[4] = 0;
    both_decoders(FLOW_SRC_ADDR, ENC_ADDR_SPLIT, split, sizeof split, 4, 1);
    /* a shuffle of the wrong length */
    both_decoders(FLOW_DST_PORT, ENC_SHUFFLE, long5, sizeof long5, 4, 0);
}

/* store_crc32 (the fast path on this CPU, if any) against zlib's, at every
 * length up to 4 KiB and every alignment of a 16-byte lane. */
static void test_crc(void **state)
{
    (void)state;
    enum { N = 4100 };
    uint8_t *buf = malloc(N + 16);
    for (size_t i = 0; i < N + 16; i++) buf[i] = (uint8_t)mix(i);
    for (size_t off = 0; off < 16; off++)
        for (size_t n = 0; n <= N; n += off ? 7 : 1)
            if (store_crc32(buf + off, n) != c2_crc32(0, buf + off, n))
                fail_msg("crc of %zu bytes at offset %zu differs", n, off);
    free(buf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plain),
        cmocka_unit_test(test_varint_widths),
        cmocka_unit_test(test_drifting_dictionary),
        cmocka_unit_test(test_exporter_cache),
        cmocka_unit_test(test_address_families),
        cmocka_unit_test(test_mode_changes),
        cmocka_unit_test(test_dictionary_overflow),
        cmocka_unit_test(test_malformed_rows),
        cmocka_unit_test(test_crc),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
