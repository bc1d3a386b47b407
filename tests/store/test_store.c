/*
 * test_store.c: the flow store through its public interface (store.h):
 * round trip of every field, slicing, pruning, retention, damage, and the
 * fallbacks of the column codecs.
 *
 * Records are built by make_record(), which derives every field from an
 * index so that a test can say what any record should read back as.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "store/store.h"

#define T0 1763769600000LL              /* 2025-11-22T00:00:00Z */

/* ---- fixtures ---- */

static char *make_tmpdir(void)
{
    const char *base = getenv("C2FLOW_TEST_TMP");
    char tmpl[4096];
    if (!base) base = "/tmp";
    mkdir(base, 0755);
    snprintf(tmpl, sizeof tmpl, "%s/store-XXXXXX", base);
    char *d = mkdtemp(tmpl);
    assert_non_null(d);
    return strdup(d);
}

static void rm_rf(const char *path)
{
    char cmd[4200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", path);
    assert_int_equal(system(cmd), 0);
}

/* Record i: every field a function of i; odd i are IPv6. */
static void make_record(uint64_t i, int64_t start, flow_record *r)
{
    memset(r, 0, sizeof *r);
    r->start_ms = start;
    r->end_ms = start + (int64_t)(i % 120000);
    r->packets = i * 3 + 1;
    r->bytes = (i % 7 == 0) ? UINT64_MAX - i : i * 1500 + 40;
    if (i % 2) {
        flow_addr_parse("2001:db8::1", &r->src_addr);
        r->src_addr.b[14] = (uint8_t)(i >> 8);
        r->src_addr.b[15] = (uint8_t)i;
        flow_addr_parse("2001:db8:ffff::2", &r->dst_addr);
        r->dst_addr.b[13] = (uint8_t)(i >> 16);
    } else {
        flow_addr_from_v4(&r->src_addr, 0x0a000000u + (uint32_t)i);
        flow_addr_from_v4(&r->dst_addr, 0xc6336400u + (uint32_t)(i % 251));
    }
    flow_addr_from_v4(&r->exporter, 0xc0000200u + (uint32_t)(i % 3));
    r->domain = (uint32_t)(i % 5);
    r->in_if = (uint32_t)(i % 17);
    r->out_if = UINT32_MAX - (uint32_t)(i % 4);
    r->sampling = i % 11 == 0 ? 1 : 10000;
    r->src_as = (uint32_t)(i * 7919 % 400000);
    r->dst_as = i % 13 == 0 ? UINT32_MAX : 64496;
    r->src_port = (uint16_t)(1024 + i % 60000);
    r->dst_port = (uint16_t)(i % 9 == 0 ? 23 : 443);
    r->proto = i % 10 == 0 ? 17 : 6;
    r->tcp_flags = (uint8_t)(i * 37);
    r->tos = (uint8_t)(i % 4 * 0x20);
}

static store *open_store(const char *dir, store_options *o)
{
    store *s;
    c2_err err;
    if (store_open(dir, o, 1, &s, &err) != 0) fail_msg("store_open: %s", err.msg);
    return s;
}

static void write_records(store *s, const flow_record *recs, size_t n,
                          store_write_stats *st)
{
    store_writer *w;
    c2_err err;
    if (store_writer_open(s, &w, &err) != 0) fail_msg("writer: %s", err.msg);
    for (size_t i = 0; i < n; i += 1000) {
        size_t k = n - i < 1000 ? n - i : 1000;
        if (store_writer_append(w, recs + i, k, &err) != 0) fail_msg("append: %s", err.msg);
    }
    if (store_writer_close(w, st, &err) != 0) fail_msg("close: %s", err.msg);
}

/* Scan with spec into a freshly allocated array (fields the scan did not
 * return are zero); *errors counts the -1 returns. */
static flow_record *scan_spec(store *s, const store_scan_spec *spec, size_t *n,
                              store_scan_stats *stats, int *errors)
{
    store_scan *sc;
    c2_err err;
    if (store_scan_open(s, spec, &sc, &err) != 0) fail_msg("scan: %s", err.msg);
    size_t cap = 1024, len = 0;
    flow_record *out = malloc(cap * sizeof *out);
    flow_batch *b;
    int rc;
    *errors = 0;
    while ((rc = store_scan_next(sc, &b, &err)) != 0) {
        if (rc < 0) { (*errors)++; continue; }
        assert_int_equal(b->v4_fields, 0);          /* views stay inside the scan */
        for (size_t i = 0; i < b->count; i++) {
            if (len == cap) out = realloc(out, (cap *= 2) * sizeof *out);
            flow_batch_get(b, i, &out[len++]);
        }
    }
    if (stats) store_scan_get_stats(sc, stats);
    store_scan_close(sc);
    *n = len;
    return out;
}

/* Scan [from, to) with all fields into a freshly allocated array. */
static flow_record *scan_all(store *s, int64_t from, int64_t to, size_t *n,
                             store_scan_stats *stats, int *errors)
{
    store_scan_spec spec = {.from_ms = from, .to_ms = to, .fields = FLOW_ALL_FIELDS};
    return scan_spec(s, &spec, n, stats, errors);
}

static int cmp_record(const void *a, const void *b)
{
    return memcmp(a, b, sizeof(flow_record));
}

static store_options test_options(void)
{
    store_options o;
    store_options_default(&o);
    o.retention_ms = 0;
    o.block_records = 1000;
    return o;
}

/* ---- tests ---- */

/* Every field of every record comes back bit for bit, IPv4 and IPv6, over
 * several slices, days and blocks, in any arrival order. */
static void test_round_trip(void **state)
{
    (void)state;
    char *dir = make_tmpdir();
    store_options o = test_options();
    store *s = open_store(dir, &o);
    enum { N = 25000 };
    flow_record *recs = malloc(N * sizeof *recs);
    for (uint64_t i = 0; i < N; i++)   /* ~2 days, out of order by up to 2 min */
        make_record(i, T0 + (int64_t)i * 6900 - (int64_t)((i * 7777) % 120000), &recs[i]);
    int64_t first = recs[0].start_ms;
    for (size_t i = 0; i < N; i++)
        if (recs[i].start_ms < first) first = recs[i].start_ms;
    store_write_stats st;
    write_records(s, recs, N, &st);
    assert_int_equal(st.records, N);
    assert_int_equal(st.expired, 0);
    size_t n;
    int errors;
    flow_record *back = scan_all(s, C2_TIME_MIN, C2_TIME_MAX, &n, NULL, &errors);
    assert_int_equal(errors, 0);
    assert_int_equal(n, N);
    qsort(recs, N, sizeof *recs, cmp_record);
    qsort(back, n, sizeof *back, cmp_record);
    for (size_t i = 0; i < N; i++)
        if (memcmp(&recs[i], &back[i], sizeof *recs)) fail_msg("record %zu differs", i);

    store_info info;
    c2_err err;
    assert_int_equal(store_inventory(s, &info, NULL, NULL, &err), 0);
    assert_int_equal(info.records, N);
    assert_int_equal(info.first_ms, first);
    assert_true(info.segments >= 2 * 24 * 12 / 2);     /* 5-minute slices */
    store_check_report rep;
    assert_int_equal(store_check(s, &rep, NULL, NULL, &err), 0);
    assert_int_equal(rep.segments_bad, 0);
    assert_int_equal(rep.records, N);
    free(recs);
    free(back);
    store_close(s);
    rm_rf(dir);
    free(dir);
}

/* Records land in the day directory and the slice of their start time. */
static void test_layout(void **state)
{
    (void)state;
    char *dir = make_tmpdir();
    store_options o = test_options();
    store *s = open_store(dir, &o);
    flow_record r;
    make_record(2, T0 + 3600000LL * 13 + 61000, &r);   /* 13:01:01 -> slice 13:00:00 */
    write_records(s, &r, 1, NULL);
    char path[4200];
    snprintf(path, sizeof path, "%s/2025/11/22", dir);
    DIR *d = opendir(path);
    assert_non_null(d);
    struct dirent *de;
    int found = 0;
    while ((de = readdir(d)) != NULL)
        if (!strncmp(de->d_name, "130000_300s_", 12)) found++;
    closedir(d);
    assert_int_equal(found, 1);
    store_close(s);
    rm_rf(dir);
    free(dir);
}

/* A time range returns exactly the records whose start is inside it, and
 * skips whole segments outside it and blocks its predicate rejects. */
static int only_port_23(const store_zone *z, void *arg)
{
    (void)arg;
    return z->min[FLOW_DST_PORT].u <= 23 && z->max[FLOW_DST_PORT].u >= 23;
}

static void test_pruning(void **state)
{
    (void)state;
    char *dir = make_tmpdir();
    store_options o = test_options();
    store *s = open_store(dir, &o);
    enum { N = 12000 };
    flow_record *recs = malloc(N * sizeof *recs);
    for (uint64_t i = 0; i < N; i++) {
        make_record(i, T0 + (int64_t)i * 100, &recs[i]);    /* 20 minutes */
        recs[i].dst_port = i < 6000 ? 80 : (i % 2 ? 23 : 443);
    }
    write_records(s, recs, N, NULL);
    int64_t from = T0 + 150000, to = T0 + 450000;          /* slices 1 and 2 partially */
    size_t n;
    int errors;
    store_scan_stats st;
    flow_record *back = scan_all(s, from, to, &n, &st, &errors);
    assert_int_equal(errors, 0);
    assert_int_equal(n, 3000);
    for (size_t i = 0; i < n; i++)
        assert_true(back[i].start_ms >= from && back[i].start_ms < to);
    assert_int_equal(st.segments, 2);      /* listing skipped the other slices */
    free(back);

    store_scan_spec spec = {.from_ms = C2_TIME_MIN, .to_ms = C2_TIME_MAX,
                            .fields = FLOW_BIT(FLOW_DST_PORT), .prune = only_port_23};
    store_scan *sc;
    c2_err err;
    assert_int_equal(store_scan_open(s, &spec, &sc, &err), 0);
    flow_batch *b;
    uint64_t hits = 0;
    while (store_scan_next(sc, &b, &err) > 0) {
        assert_null(b->src_port);          /* only the asked column was read */
        for (size_t i = 0; i < b->count; i++) hits += b->dst_port[i] == 23;
    }
    store_scan_get_stats(sc, &st);
    store_scan_close(sc);
    assert_int_equal(hits, 3000);
    assert_int_equal(st.segments_pruned, 2);   /* the first 10 minutes: port 80 only */
    free(recs);
    store_close(s);
    rm_rf(dir);
    free(dir);
}

/* Retention: old records are not stored, and old segments are deleted. */
static void test_retention(void **state)
{
    (void)state;
    char *dir = make_tmpdir();
    store_options o = test_options();
    store *s = open_store(dir, &o);
    enum { N = 4000 };
    flow_record *recs = malloc(N * sizeof *recs);
    for (uint64_t i = 0; i < N; i++)       /* 40 days, one record an ~15 minutes */
        make_record(i, T0 + (int64_t)i * 864000, &recs[i]);
    write_records(s, recs, N, NULL);
    store_close(s);

    o.retention_ms = 10 * C2_MS_PER_DAY;
    o.now_ms = T0 + 40 * C2_MS_PER_DAY;
    s = open_store(dir, &o);
    uint64_t removed;
    c2_err err;
    assert_int_equal(store_apply_retention(s, &removed, &err), 0);
    assert_int_equal(removed, 3000);           /* 30 days of 100 a day */
    size_t n;
    int errors;
    flow_record *back = scan_all(s, C2_TIME_MIN, C2_TIME_MAX, &n, NULL, &errors);
    assert_int_equal(n, 1000);
    for (size_t i = 0; i < n; i++) assert_true(back[i].start_ms >= o.now_ms - o.retention_ms);
    free(back);
    char day[4200];
    snprintf(day, sizeof day, "%s/2025/11/22", dir);
    assert_int_not_equal(access(day, F_OK), 0);    /* emptied day directories go */

    store_write_stats st;
    write_records(s, recs, N, &st);               /* the writer refuses old ones */
    assert_int_equal(st.expired, 3000);
    assert_int_equal(st.records, 1000);
    free(recs);
    store_close(s);
    rm_rf(dir);
    free(dir);
}

/* ---- damage ---- */

typedef struct problems {
    int count;
    char last[1024];
    long block;
} problems;

static void note_problem(const char *path, long block, const char *msg, void *arg)
{
    problems *p = arg;
    (void)path;
    p->count++;
    p->block = block;
    snprintf(p->last, sizeof p->last, "%s", msg);
}

/* Two segments (two slices); returns the path of the first. */
static char *two_segments(const char *dir, store **sp)
{
    store_options o = test_options();
    *sp = open_store(dir, &o);
    enum { N = 4000 };
    flow_record recs[N];
    for (uint64_t i = 0; i < N; i++) make_record(i, T0 + (int64_t)i * 150, &recs[i]);
    write_records(*sp, recs, N, NULL);     /* 600 s: slices 00:00 and 00:05 */
    char path[4200];
    snprintf(path, sizeof path, "%s/2025/11/22", dir);
    DIR *d = opendir(path);
    struct dirent *de;
    char *first = NULL;
    while ((de = readdir(d)) != NULL)
        if (!strncmp(de->d_name, "000000_", 7)) {
            snprintf(path + strlen(path), sizeof path - strlen(path), "/%s", de->d_name);
            first = strdup(path);
            break;
        }
    closedir(d);
    assert_non_null(first);
    return first;
}

static void test_truncated_segment(void **state)
{
    (void)state;
    char *dir = make_tmpdir();
    store *s;
    char *seg = two_segments(dir, &s);
    struct stat st;
    assert_int_equal(stat(seg, &st), 0);
    assert_int_equal(truncate(seg, st.st_size / 2), 0);

    size_t n;
    int errors;
    flow_record *back = scan_all(s, C2_TIME_MIN, C2_TIME_MAX, &n, NULL, &errors);
    assert_int_equal(errors, 1);
    assert_int_equal(n, 2000);             /* the other segment is whole */
    free(back);

    store_check_report rep;
    problems p = {0};
    c2_err err;
    assert_int_equal(store_check(s, &rep, note_problem, &p, &err), 0);
    assert_int_equal(rep.segments_bad, 1);
    assert_int_equal(p.count, 1);
    assert_non_null(strstr(p.last, seg));
    assert_non_null(strstr(p.last, "truncated"));
    store_close(s);
    rm_rf(dir);
    free(seg);
    free(dir);
}

static void test_bit_flip(void **state)
{
    (void)state;
    char *dir = make_tmpdir();
    store *s;
    char *seg = two_segments(dir, &s);
    int fd = open(seg, O_RDWR);
    uint8_t byte;
    off_t at = 32 + 5;                     /* inside block 0's first column */
    assert_int_equal(pread(fd, &byte, 1, at), 1);
    byte ^= 0x10;
    assert_int_equal(pwrite(fd, &byte, 1, at), 1);
    close(fd);

    size_t n;
    int errors;
    flow_record *back = scan_all(s, C2_TIME_MIN, C2_TIME_MAX, &n, NULL, &errors);
    assert_int_equal(errors, 1);
    assert_int_equal(n, 3000);             /* block 0 (1000 records) is lost */
    free(back);

    store_check_report rep;
    problems p = {0};
    c2_err err;
    assert_int_equal(store_check(s, &rep, note_problem, &p, &err), 0);
    assert_int_equal(rep.blocks_bad, 1);
    assert_int_equal(rep.records, 3000);
    assert_int_equal(p.block, 0);
    assert_non_null(strstr(p.last, seg));
    assert_non_null(strstr(p.last, "block 0"));
    assert_non_null(strstr(p.last, "checksum"));
    store_close(s);
    rm_rf(dir);
    free(seg);
    free(dir);
}

/* Decoding threads change nothing: the same records in the same order,
 * and the damaged block reported once, in its place. */
static void test_damage_threads(void **state)
{
    (void)state;
    char *dir = make_tmpdir();
    store *s;
    char *seg = two_segments(dir, &s);
    int fd = open(seg, O_RDWR);
    uint8_t byte;
    off_t at = 32 + 5;                     /* block 0's first column */
    assert_int_equal(pread(fd, &byte, 1, at), 1);
    byte ^= 0x10;
    assert_int_equal(pwrite(fd, &byte, 1, at), 1);
    close(fd);
    size_t n0;
    int e0;
    store_scan_spec spec = {.from_ms = C2_TIME_MIN, .to_ms = C2_TIME_MAX,
                            .fields = FLOW_ALL_FIELDS};
    flow_record *ref = scan_spec(s, &spec, &n0, NULL, &e0);
    assert_int_equal(e0, 1);
    assert_int_equal(n0, 3000);
    for (unsigned t = 1; t <= 4; t++) {
        spec.threads = t;
        size_t n;
        int e;
        store_scan_stats st;
        flow_record *got = scan_spec(s, &spec, &n, &st, &e);
        assert_int_equal(e, 1);
        assert_int_equal(n, n0);
        assert_memory_equal(got, ref, n * sizeof *got);
        assert_int_equal(st.blocks_damaged, 1);
        assert_int_equal(st.records, 3000);
        free(got);
    }
    /* the error comes between the same batches: the damaged block is the
     * first, so the first call fails and then all 3000 follow */
    spec.threads = 2;
    store_scan *sc;
    c2_err err;
    flow_batch *b;
    assert_int_equal(store_scan_open(s, &spec, &sc, &err), 0);
    assert_int_equal(store_scan_next(sc, &b, &err), -1);
    assert_non_null(strstr(err.msg, "block 0"));
    assert_int_equal(store_scan_next(sc, &b, &err), 1);
    store_scan_close(sc);                 /* early: the threads stop */
    free(ref);
    store_close(s);
    rm_rf(dir);
    free(seg);
    free(dir);
}

/* ---- row predicates (late materialisation) ---- */

typedef struct rule {
    int kind;                           /* which predicate */
    int calls;                          /* calls seen (threads: not exact) */
} rule;

static int rule_keeps(int kind, const flow_record *r)
{
    switch (kind) {
    case 0: return r->dst_port == 23;                   /* 1 in 9 */
    case 1: return r->packets % 97 == 1;                /* sparse */
    case 2: return r->proto == 6;                       /* most */
    case 3: return 0;                                   /* none */
    case 5:                                             /* addresses */
        return flow_addr_is_v4(&r->src_addr) ? (flow_addr_v4(&r->src_addr) & 7) == 1
                                             : r->dst_addr.b[15] % 3 == 0;
    default: return 1;                                  /* all */
    }
}

static uint32_t rule_fields(int kind)
{
    switch (kind) {
    case 0: return FLOW_BIT(FLOW_DST_PORT);
    case 1: return FLOW_BIT(FLOW_PACKETS);
    case 2: return FLOW_BIT(FLOW_PROTO);
    case 5: return FLOW_BIT(FLOW_SRC_ADDR) | FLOW_BIT(FLOW_DST_ADDR);
    default: return 0;
    }
}

/* The predicate's IPv4 views, which the scan fills for the address columns
 * it decodes for it, agree with those columns. */
static void check_scan_views(const flow_batch *b)
{
    for (int f = FLOW_SRC_ADDR; f <= FLOW_DST_ADDR; f++) {
        const uint32_t *v4;
        const uint8_t *v6map;
        assert_int_equal(flow_batch_get_v4(b, (flow_field)f, &v4, &v6map), 1);
        const flow_addr *a = flow_batch_column(b, (flow_field)f);
        for (size_t i = 0; i < b->count; i++) {
            int six = v6map[i / 8] >> (i % 8) & 1;
            assert_int_equal(six, !flow_addr_is_v4(&a[i]));
            if (!six) assert_int_equal(v4[i], flow_addr_v4(&a[i]));
        }
    }
}

static void rule_match(const flow_batch *b, uint8_t *keep, void *arg)
{
    rule *r = arg;
    __atomic_add_fetch(&r->calls, 1, __ATOMIC_RELAXED);
    if (r->kind == 5) check_scan_views(b);
    for (size_t i = 0; i < b->count; i++) {
        flow_record rec;
        flow_batch_get(b, i, &rec);
        keep[i] = (uint8_t)rule_keeps(r->kind, &rec);
    }
}

static int prune_all_match(const store_zone *z, void *arg)
{
    (void)z;
    (void)arg;
    return STORE_ZONE_ALL;
}

/* Only the fields in mask of r (the rest zeroed), as a scan returns them;
 * through one batch of one row (b has every column). */
static void keep_fields(flow_batch *b, flow_record *r, uint32_t mask)
{
    b->count = 0;
    b->fields = mask;
    flow_batch_put(b, r);
    flow_batch_get(b, 0, r);
}

/* A scan with a predicate returns exactly the rows a full scan returns
 * and the predicate keeps, in the same order, whatever columns are asked
 * for, the time range, the predicate's selectivity and the threads. */
static void test_match_rows(void **state)
{
    (void)state;
    char *dir = make_tmpdir();
    store_options o = test_options();
    o.block_records = 499;
    store *s = open_store(dir, &o);
    enum { N = 12000 };
    flow_record *recs = malloc(N * sizeof *recs);
    for (uint64_t i = 0; i < N; i++) make_record(i, T0 + (int64_t)i * 57, &recs[i]);
    write_records(s, recs, N, NULL);
    free(recs);
    static const uint32_t masks[] = {
        FLOW_ALL_FIELDS,
        FLOW_BIT(FLOW_SRC_ADDR) | FLOW_BIT(FLOW_BYTES),
        FLOW_BIT(FLOW_END) | FLOW_BIT(FLOW_EXPORTER) | FLOW_BIT(FLOW_SRC_AS),
        0,
    };
    flow_batch one;
    assert_int_equal(flow_batch_init(&one, 1, FLOW_ALL_FIELDS), 0);
    const int64_t ranges[][2] = {
        {C2_TIME_MIN, C2_TIME_MAX},
        {T0 + 123457, T0 + 500001},         /* cuts blocks and slices */
    };
    for (size_t m = 0; m < sizeof masks / sizeof masks[0]; m++) {
        for (size_t t = 0; t < 2; t++) {
            store_scan_spec full = {.from_ms = ranges[t][0], .to_ms = ranges[t][1],
                                    .fields = FLOW_ALL_FIELDS};
            size_t nall;
            int e;
            flow_record *all = scan_spec(s, &full, &nall, NULL, &e);
            assert_int_equal(e, 0);
            for (int kind = 0; kind < 6; kind++) {
                uint32_t want = masks[m] | rule_fields(kind);
                size_t nexp = 0;
                flow_record *exp = malloc((nall ? nall : 1) * sizeof *exp);
                for (size_t i = 0; i < nall; i++) {
                    if (!rule_keeps(kind, &all[i])) continue;
                    exp[nexp] = all[i];
                    keep_fields(&one, &exp[nexp++], want);
                }
                for (unsigned th = 0; th <= 3; th++) {
                    rule r = {.kind = kind};
                    store_scan_spec spec = {.from_ms = ranges[t][0], .to_ms = ranges[t][1],
                                            .fields = masks[m], .match = rule_match,
                                            .match_fields = rule_fields(kind),
                                            .match_arg = &r, .threads = th};
                    size_t n;
                    store_scan_stats st;
                    flow_record *got = scan_spec(s, &spec, &n, &st, &e);
                    assert_int_equal(e, 0);
                    if (n != nexp)
                        fail_msg("mask %zu range %zu rule %d threads %u: %zu rows, want %zu",
                                 m, t, kind, th, n, nexp);
                    for (size_t i = 0; i < n; i++) keep_fields(&one, &got[i], want);
                    assert_memory_equal(got, exp, n * sizeof *got);
                    assert_int_equal(st.records, nexp);
                    free(got);
                }
                free(exp);
            }
            free(all);
        }
    }
    /* a zone that the predicate matches throughout skips it: every row,
     * though the predicate would keep none */
    rule none = {.kind = 3};
    store_scan_spec spec = {.from_ms = C2_TIME_MIN, .to_ms = C2_TIME_MAX,
                            .fields = FLOW_BIT(FLOW_PACKETS), .prune = prune_all_match,
                            .match = rule_match, .match_fields = FLOW_BIT(FLOW_PROTO),
                            .match_arg = &none};
    size_t n;
    int e;
    free(scan_spec(s, &spec, &n, NULL, &e));
    assert_int_equal(n, N);
    assert_int_equal(none.calls, 0);
    one.fields = FLOW_ALL_FIELDS;
    flow_batch_free(&one);
    store_close(s);
    rm_rf(dir);
    free(dir);
}

/* A file that is not a segment at all, with a segment's name. */
static void test_garbage_file(void **state)
{
    (void)state;
    char *dir = make_tmpdir();
    store *s;
    char *seg = two_segments(dir, &s);
    FILE *f = fopen(seg, "w");
    fputs("this is not a segment, but long enough to have a trailer", f);
    fclose(f);
    size_t n;
    int errors;
    free(scan_all(s, C2_TIME_MIN, C2_TIME_MAX, &n, NULL, &errors));
    assert_int_equal(errors, 1);
    assert_int_equal(n, 2000);
    store_close(s);
    rm_rf(dir);
    free(seg);
    free(dir);
}

/* The writer copies records in runs that share a slice: runs broken by
 * records of another slice, by expired records (the retention limit falls
 * inside a slice here) and by full blocks must lose and misplace nothing. */
static void test_interleaved_runs(void **state)
{
    (void)state;
    char *dir = make_tmpdir();
    store_options o = test_options();
    o.block_records = 97;                       /* runs end at odd places */
    o.retention_ms = C2_MS_PER_DAY;
    o.now_ms = T0 + C2_MS_PER_DAY + 150000;     /* oldest: 00:02:30, mid-slice */
    store *s = open_store(dir, &o);
    enum { N = 5000 };
    flow_record *recs = malloc(N * sizeof *recs);
    size_t kept = 0;
    for (uint64_t i = 0; i < N; i++) {
        /* starts alternate in bursts between 00:00-00:05 and 00:05-00:10,
         * some before the retention limit */
        int64_t t = T0 + (int64_t)(i % 7 < 3 ? 290000 + i % 20 * 1000 : i * 37 % 300000);
        make_record(i, t, &recs[i]);
        kept += t >= o.now_ms - o.retention_ms;
    }
    store_write_stats st;
    write_records(s, recs, N, &st);
    assert_int_equal(st.records, kept);
    assert_int_equal(st.expired, N - kept);
    size_t n;
    int errors;
    flow_record *back = scan_all(s, C2_TIME_MIN, C2_TIME_MAX, &n, NULL, &errors);
    assert_int_equal(errors, 0);
    assert_int_equal(n, kept);
    flow_record *want = malloc(N * sizeof *want);
    size_t k = 0;
    for (size_t i = 0; i < N; i++)
        if (recs[i].start_ms >= o.now_ms - o.retention_ms) want[k++] = recs[i];
    qsort(want, k, sizeof *want, cmp_record);
    qsort(back, n, sizeof *back, cmp_record);
    for (size_t i = 0; i < n; i++)
        if (memcmp(&want[i], &back[i], sizeof *back)) fail_msg("record %zu differs", i);
    store_check_report rep;
    c2_err err;
    assert_int_equal(store_check(s, &rep, NULL, NULL, &err), 0);
    assert_int_equal(rep.blocks_bad, 0);
    free(recs);
    free(want);
    free(back);
    store_close(s);
    rm_rf(dir);
    free(dir);
}

/* ---- codec corners ---- */

/* More distinct interface numbers than a dictionary holds in one block. */
static void test_dictionary_overflow(void **state)
{
    (void)state;
    char *dir = make_tmpdir();
    store_options o = test_options();
    o.block_records = 100000;
    store *s = open_store(dir, &o);
    enum { N = 100000 };
    flow_record *recs = malloc(N * sizeof *recs);
    for (uint64_t i = 0; i < N; i++) {
        make_record(i, T0 + (int64_t)i, &recs[i]);
        recs[i].in_if = (uint32_t)(i * 2654435761u);
        flow_addr_from_v4(&recs[i].exporter, (uint32_t)i);
    }
    write_records(s, recs, N, NULL);
    size_t n;
    int errors;
    flow_record *back = scan_all(s, C2_TIME_MIN, C2_TIME_MAX, &n, NULL, &errors);
    assert_int_equal(n, N);
    for (size_t i = 0; i < N; i++) {
        assert_int_equal(back[i].in_if, recs[i].in_if);
        assert_memory_equal(&back[i].exporter, &recs[i].exporter, 16);
    }
    free(recs);
    free(back);
    store_close(s);
    rm_rf(dir);
    free(dir);
}

/* More slices at once than the writer keeps open: all records still land. */
static void test_many_open_slices(void **state)
{
    (void)state;
    char *dir = make_tmpdir();
    store_options o = test_options();
    o.max_open_slices = 2;
    store *s = open_store(dir, &o);
    enum { N = 5000 };
    flow_record *recs = malloc(N * sizeof *recs);
    for (uint64_t i = 0; i < N; i++)       /* round-robin over 7 slices */
        make_record(i, T0 + (int64_t)(i % 7) * 300000 + (int64_t)i, &recs[i]);
    store_write_stats st;
    write_records(s, recs, N, &st);
    assert_int_equal(st.records, N);
    size_t n;
    int errors;
    free(scan_all(s, C2_TIME_MIN, C2_TIME_MAX, &n, NULL, &errors));
    assert_int_equal(n, N);
    free(recs);
    store_close(s);
    rm_rf(dir);
    free(dir);
}

/* A writer's unsealed slice is invisible to readers; abort leaves nothing. */
static void test_unsealed_invisible(void **state)
{
    (void)state;
    char *dir = make_tmpdir();
    store_options o = test_options();
    store *s = open_store(dir, &o);
    enum { N = 2500 };                     /* two full blocks written, one pending */
    flow_record recs[N];
    for (uint64_t i = 0; i < N; i++) make_record(i, T0 + (int64_t)i, &recs[i]);
    store_writer *w;
    c2_err err;
    assert_int_equal(store_writer_open(s, &w, &err), 0);
    assert_int_equal(store_writer_append(w, recs, N, &err), 0);
    size_t n;
    int errors;
    free(scan_all(s, C2_TIME_MIN, C2_TIME_MAX, &n, NULL, &errors));
    assert_int_equal(n, 0);
    store_check_report rep;
    assert_int_equal(store_check(s, &rep, NULL, NULL, &err), 0);
    assert_int_equal(rep.temp_files, 1);
    assert_int_equal(store_writer_seal(w, T0 + 300000, &err), 0);
    free(scan_all(s, C2_TIME_MIN, C2_TIME_MAX, &n, NULL, &errors));
    assert_int_equal(n, N);
    store_writer_abort(w);
    assert_int_equal(store_check(s, &rep, NULL, NULL, &err), 0);
    assert_int_equal(rep.temp_files, 0);
    store_close(s);
    rm_rf(dir);
    free(dir);
}

/* Sealing by quiet time: an old slice that still takes records stays open
 * (one segment, not one per call), is sealed once it has been quiet, and
 * is sealed anyway once it has been open for a slice and the quiet time. */
static void test_seal_quiet(void **state)
{
    (void)state;
    char *dir = make_tmpdir();
    store_options o = test_options();
    o.slice_ms = 1000;
    store *s = open_store(dir, &o);
    enum { N = 100 };
    flow_record recs[N];
    for (uint64_t i = 0; i < N; i++) make_record(i, T0 + (int64_t)i, &recs[i]);
    store_writer *w;
    c2_err err;
    size_t n = 0;
    int errors;
    const int64_t quiet = 400;
    struct timespec tick = {0, 100 * 1000000L};
    assert_int_equal(store_writer_open(s, &w, &err), 0);
    /* a record every 0.1 s for 2 s into a slice that ended long ago: never
     * quiet, so sealed only once open for a slice and the quiet time */
    int64_t t0 = c2_now_ms(), sealed_at = -1;
    int appended = 0;
    while (c2_now_ms() - t0 < 2000 && appended < N) {
        assert_int_equal(store_writer_append(w, &recs[appended++], 1, &err), 0);
        assert_int_equal(store_writer_seal_quiet(w, INT64_MAX, quiet, &err), 0);
        free(scan_all(s, C2_TIME_MIN, C2_TIME_MAX, &n, NULL, &errors));
        if (n && sealed_at < 0) sealed_at = c2_now_ms() - t0;
        nanosleep(&tick, NULL);
    }
    assert_true(sealed_at >= 1000 + quiet - 5);
    assert_true(sealed_at <= 1000 + quiet + 400);
    store_write_stats st;
    store_writer_stats(w, &st);
    assert_int_equal(st.segments, 1);
    /* then nothing for 0.5 s: quiet, so the rest is sealed */
    struct timespec half = {0, 500 * 1000000L};
    nanosleep(&half, NULL);
    assert_int_equal(store_writer_seal_quiet(w, INT64_MAX, quiet, &err), 0);
    free(scan_all(s, C2_TIME_MIN, C2_TIME_MAX, &n, NULL, &errors));
    assert_int_equal(n, appended);
    store_writer_stats(w, &st);
    assert_int_equal(st.segments, 2);
    /* a slice that has not ended yet is not sealed, however quiet */
    flow_record later;
    make_record(7, c2_now_ms() + 60000, &later);
    assert_int_equal(store_writer_append(w, &later, 1, &err), 0);
    nanosleep(&tick, NULL);
    assert_int_equal(store_writer_seal_quiet(w, c2_now_ms(), 1, &err), 0);
    store_writer_stats(w, &st);
    assert_int_equal(st.segments, 2);
    store_writer_abort(w);
    store_close(s);
    rm_rf(dir);
    free(dir);
}

/* One slice that cannot be sealed (its day directory is blocked by a file)
 * must not cost the records of the other open slices. */
static void test_seal_failure_keeps_others(void **state)
{
    (void)state;
    char *dir = make_tmpdir();
    store_options o = test_options();
    store *s = open_store(dir, &o);
    char blocker[4200];
    snprintf(blocker, sizeof blocker, "%s/2025", dir);
    mkdir(blocker, 0755);
    snprintf(blocker, sizeof blocker, "%s/2025/11", dir);
    mkdir(blocker, 0755);
    snprintf(blocker, sizeof blocker, "%s/2025/11/23", dir);
    FILE *f = fopen(blocker, "w");             /* a file where a day dir goes */
    assert_non_null(f);
    fclose(f);
    enum { N = 200 };
    flow_record recs[N];
    for (uint64_t i = 0; i < N; i++)            /* day 23 first, then day 22 */
        make_record(i, i < N / 2 ? T0 + C2_MS_PER_DAY + (int64_t)i : T0 + (int64_t)i,
                    &recs[i]);
    store_writer *w;
    c2_err err;
    store_write_stats st;
    assert_int_equal(store_writer_open(s, &w, &err), 0);
    assert_int_equal(store_writer_append(w, recs, N, &err), 0);
    assert_int_equal(store_writer_close(w, &st, &err), -1);
    assert_non_null(strstr(err.msg, "2025/11/23"));
    assert_int_equal(st.records, N / 2);
    size_t n;
    int errors;
    free(scan_all(s, C2_TIME_MIN, C2_TIME_MAX, &n, NULL, &errors));
    assert_int_equal(n, N / 2);                 /* day 22 was sealed */
    store_close(s);
    rm_rf(dir);
    free(dir);
}

static void test_bad_options(void **state)
{
    (void)state;
    store_options o;
    store *s;
    c2_err err;
    store_options_default(&o);
    o.slice_ms = 7 * 60 * 1000;            /* does not divide a day */
    assert_int_equal(store_open("/tmp", &o, 0, &s, &err), -1);
    assert_non_null(strstr(err.msg, "slice"));
    store_options_default(&o);
    assert_int_equal(store_open("/nonexistent/c2flow-store", &o, 0, &s, &err), -1);
    assert_non_null(strstr(err.msg, "/nonexistent/c2flow-store"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_layout),
        cmocka_unit_test(test_pruning),
        cmocka_unit_test(test_retention),
        cmocka_unit_test(test_interleaved_runs),
        cmocka_unit_test(test_truncated_segment),
        cmocka_unit_test(test_bit_flip),
        cmocka_unit_test(test_garbage_file),
        cmocka_unit_test(test_dictionary_overflow),
        cmocka_unit_test(test_many_open_slices),
        cmocka_unit_test(test_unsealed_invisible),
        cmocka_unit_test(test_seal_quiet),
        cmocka_unit_test(test_seal_failure_keeps_others),
        cmocka_unit_test(test_bad_options),
        cmocka_unit_test(test_damage_threads),
        cmocka_unit_test(test_match_rows),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
