/*
 * fuzz_filter.c: libFuzzer target for the filter language (src/filter/).
 *
 * Filters come from users and from files (-f), and the daemons will take
 * them over HTTP, so any byte string must compile or fail with a located
 * message, never crash, leak or hang.  The input is the filter text (a
 * NUL-terminated copy; text stops at the first NUL as for any C string).
 *
 * When it compiles, the filter is evaluated on a fixed batch of 64 varied
 * records and the zone logic is checked against that evaluation:
 *   - a zone made of one row must be decided exactly: ALL if the row
 *     matches, NONE if not (every rule is exact on a single value);
 *   - a zone made of a slice of rows must not be NONE if a row of the slice
 *     matches, nor ALL if one does not (pruning must never lose a record);
 *   - a batch holding only filter_fields() columns (the others NULL)
 *     evaluates the same, so the mask names every column read.
 * When it fails, the error must point inside the text (or just past it) and
 * format without overflowing.
 *
 * @FILE names are resolved against a directory that does not exist, and
 * inputs naming an absolute path or ".." are skipped, so the fuzzer cannot
 * read files.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "filter/filter.h"

#define NROWS 64
#define MAX_INPUT 4096

static flow_batch full;
static flow_record recs[NROWS];
/* Relative @FILE names resolve here: a directory that does not exist
 * (Debian's home of "nobody"), so every load fails like a missing file. */
static const char base_dir[] = "/nonexistent/c2flow-fuzz-filter";
static int ready;

static void put_addr(flow_addr *a, uint64_t x, int v6)
{
    if (!v6) {
        static const uint32_t v4[] = {0x0a000001, 0x0a000002, 0x0a0100ff, 0xc0000201,
                                      0xc6336407, 0x00000000, 0xffffffff, 0x7f000001};
        flow_addr_from_v4(a, v4[x % 8]);
        return;
    }
    static const char *const v6s[] = {"2001:db8::1", "2001:db8::2", "::1", "fe80::1",
                                      "2001:db8:ffff::", "::", "ffff::", "::10.0.0.1"};
    flow_addr_parse(v6s[x % 8], a);
}

/* The fixed batch: a small LCG drives fields through interesting values. */
static void init(void)
{
    uint64_t x = 12345;
    static const uint16_t ports[] = {0, 1, 22, 23, 53, 80, 443, 1024, 1025, 2048, 771,
                                     8080, 65535, 6667};
    static const uint8_t protos[] = {1, 6, 6, 17, 47, 50, 58, 132};
    static const uint64_t counts[] = {0, 1, 2, 999, 1000, 1001, 1000000, UINT64_MAX};
    static const int64_t durs[] = {0, 1, 999, 1000, 1001, 120000};
    flow_batch_init(&full, NROWS, FLOW_ALL_FIELDS);
    for (int i = 0; i < NROWS; i++) {
        flow_record *r = &recs[i];
        memset(r, 0, sizeof *r);
#define NEXT() (x = x * 6364136223846793005ULL + 1442695040888963407ULL, x >> 33)
        int v6 = NEXT() % 4 == 0;
        put_addr(&r->src_addr, NEXT(), v6);
        put_addr(&r->dst_addr, NEXT(), v6);
        uint64_t which = NEXT();
        put_addr(&r->exporter, which, NEXT() % 2);
        r->start_ms = 1767225600000LL + (int64_t)(NEXT() % 100000);
        r->end_ms = r->start_ms + durs[NEXT() % 6];
        r->src_port = ports[NEXT() % 14];
        r->dst_port = ports[NEXT() % 14];
        r->proto = protos[NEXT() % 8];
        r->tcp_flags = (uint8_t)NEXT();
        r->tos = (uint8_t)(NEXT() % 3 * 4);
        r->packets = counts[NEXT() % 8];
        r->bytes = counts[NEXT() % 8];
        r->in_if = (uint32_t)(NEXT() % 4);
        r->out_if = (uint32_t)(NEXT() % 4);
        r->src_as = (uint32_t)(NEXT() % 3) * 64500;
        r->dst_as = NEXT() % 5 ? 0 : 4294967295u;
        r->sampling = 1;
        r->domain = (uint32_t)(NEXT() % 2);
        flow_batch_put(&full, r);
#undef NEXT
    }
    ready = 1;
}

/* min/max of rows [s, s+n) per field, as the store's footers hold them. */
static void zone_of(size_t s, size_t n, store_zone *z)
{
    memset(z, 0, sizeof *z);
    z->records = n;
    for (int f = 0; f < FLOW_FIELD_COUNT; f++) {
        flow_type t = flow_field_type((flow_field)f);
        flow_value lo, hi, v;
        flow_batch_value(&full, (flow_field)f, s, &lo);
        hi = lo;
        for (size_t i = s + 1; i < s + n; i++) {
            flow_batch_value(&full, (flow_field)f, i, &v);
            if (flow_value_cmp(t, &v, &lo) < 0) lo = v;
            if (flow_value_cmp(t, &v, &hi) > 0) hi = v;
        }
        z->min[f] = lo;
        z->max[f] = hi;
    }
}

static void check(const filter *f)
{
    uint8_t keep[NROWS], keep2[NROWS];
    filter_eval(f, &full, keep);
    for (int i = 0; i < NROWS; i++)
        if (keep[i] > 1) abort();
    /* zones: single rows exact, slices sound */
    for (size_t width = 1; width <= NROWS; width *= 4) {
        for (size_t s = 0; s + width <= NROWS; s += width) {
            store_zone z;
            size_t hits = 0;
            zone_of(s, width, &z);
            for (size_t i = s; i < s + width; i++) hits += keep[i];
            int v = filter_zone_verdict(f, &z);
            if (filter_zone_may_match(&z, (void *)f) != (v != FILTER_ZONE_NONE)) abort();
            if (v == FILTER_ZONE_NONE && hits) abort();
            if (v == FILTER_ZONE_ALL && hits != width) abort();
            if (width == 1 && v == FILTER_ZONE_SOME) abort();
        }
    }
    /* the column mask is complete */
    flow_batch part;
    if (flow_batch_init(&part, NROWS, filter_fields(f)) != 0) return;
    for (int i = 0; i < NROWS; i++) flow_batch_put(&part, &recs[i]);
    filter_eval(f, &part, keep2);
    if (memcmp(keep, keep2, NROWS) != 0) abort();
    flow_batch_free(&part);
    if (filter_is_any(f))
        for (int i = 0; i < NROWS; i++)
            if (!keep[i]) abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!ready) init();
    if (size > MAX_INPUT) return 0;
    char *text = malloc(size + 1);
    if (!text) return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    if (strstr(text, "..") || strstr(text, "@/") || strstr(text, "@\"/") ||
        strstr(text, "@'/")) {
        free(text);
        return 0;
    }
    filter *f = NULL;
    filter_error e;
    if (filter_compile(text, base_dir, &f, &e) == 0) {
        check(f);
        filter_free(f);
    } else {
        size_t n = strlen(text);
        if (f || e.pos > n || e.len == 0 || e.msg[0] == '\0' || strchr(e.msg, '\n'))
            abort();
        char out[512];
        filter_error_format(text, &e, out, sizeof out);
        if (strlen(out) >= sizeof out) abort();
        char small[5];
        filter_error_format(text, &e, small, sizeof small);
        if (strlen(small) >= sizeof small) abort();
    }
    free(text);
    return 0;
}
