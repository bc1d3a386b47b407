/*
 * store_bench.c: how fast the flow store writes and scans, and how small it
 * keeps records.
 *
 * Writes N records of src/synth (the stream bench/nfblast sends to nfcapd,
 * so the figures compare like with like) into a fresh store through
 * store_writer_append, then reads them back four ways: every column
 * (touching every value), one column (dst_port, counting port 23, the
 * count nfdump's 'dst port 23' must also find), a pruned scan (one minute
 * of start times out of the whole span: segment and block zones skip the
 * rest), and each column alone, whose compressed bytes read give the
 * per-column bytes per record.  Each timed scan is run three times (-r)
 * and the run with the median wall time reported.  Ground truth sums taken while generating
 * check that every scan returned exactly what was written.
 *
 * Timing: the generator's time is measured apart and not charged to the
 * store; write figures cover store_writer_append and store_writer_close
 * (which seals and fsyncs the last segments).  CPU time is the process's
 * (the writer and scans run in this one thread), user and system: "write
 * CPU per record" (RESULT write_cpu_ns) is the store's whole share of a
 * collector's per-record budget.  The page cache is left
 * warm, as it is for the nfdump reads that bench/store.sh compares with.
 * Retention is off, so the fixed default start (2026-01-01) is kept.
 *
 * Output: one aligned block for people, then one "RESULT key=value ..."
 * line for scripts.  Exit 0 ok, 1 failure or a check that did not hold,
 * 2 usage.
 */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "store/store.h"
#include "synth/synth.h"
#include "util/util.h"

#define BATCH 8192
#define DEFAULT_START 1767225600000LL   /* 2026-01-01T00:00:00Z */
#define WINDOW_MS 60000                 /* pruned scan: one minute of starts */
#define MAX_REPEAT 9

typedef struct clocks { double wall, cpu; } clocks;

static clocks now_clocks(void)
{
    struct timespec w, c;
    clock_gettime(CLOCK_MONOTONIC, &w);
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c);
    return (clocks){(double)w.tv_sec + (double)w.tv_nsec * 1e-9,
                    (double)c.tv_sec + (double)c.tv_nsec * 1e-9};
}

static void add_since(clocks *acc, clocks since)
{
    clocks t = now_clocks();
    acc->wall += t.wall - since.wall;
    acc->cpu += t.cpu - since.cpu;
}

/* What the generator wrote, to check the scans against. */
typedef struct truth {
    uint64_t records, dport23, sum_packets, sum_bytes, in_window;
} truth;

typedef struct scan_result {
    clocks   time;
    uint64_t records;
    uint64_t sum_packets, sum_bytes, checksum;  /* full scan */
    uint64_t dport23;                           /* column scan */
    store_scan_stats stats;
} scan_result;

static int fail(const char *what, const c2_err *err)
{
    fprintf(stderr, "store_bench: %s: %s\n", what, err->msg);
    return 1;
}

static int dir_is_fresh(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) return errno == ENOENT;
    struct dirent *e;
    int empty = 1;
    while ((e = readdir(d)))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) empty = 0;
    closedir(d);
    return empty;
}

/* ---- writing ---- */

static int write_phase(store *s, const synth_params *p, uint64_t n, int64_t win_from,
                       truth *t, clocks *gen, clocks *wr, store_write_stats *ws)
{
    static flow_record batch[BATCH];
    synth g;
    c2_err err;
    store_writer *w;
    if (synth_init(&g, p, &err) != 0) {
        synth_free(&g);
        return fail("synth", &err);
    }
    if (store_writer_open(s, &w, &err) != 0) {
        synth_free(&g);
        return fail("writer", &err);
    }
    double next_progress = now_clocks().wall + 5;
    for (uint64_t done = 0; done < n;) {
        size_t k = n - done < BATCH ? (size_t)(n - done) : BATCH;
        clocks t0 = now_clocks();
        synth_next(&g, batch, k);
        for (size_t i = 0; i < k; i++) {
            const flow_record *r = &batch[i];
            t->dport23 += r->dst_port == 23;
            t->sum_packets += r->packets;
            t->sum_bytes += r->bytes;
            t->in_window += r->start_ms >= win_from && r->start_ms < win_from + WINDOW_MS;
        }
        add_since(gen, t0);
        t0 = now_clocks();
        if (store_writer_append(w, batch, k, &err) != 0) {
            store_writer_abort(w);
            synth_free(&g);
            return fail("append", &err);
        }
        add_since(wr, t0);
        done += k;
        t->records = done;
        if (t0.wall > next_progress) {
            fprintf(stderr, "store_bench: %" PRIu64 " of %" PRIu64 " records written\n",
                    done, n);
            next_progress = t0.wall + 5;
        }
    }
    clocks t0 = now_clocks();
    int rc = store_writer_close(w, ws, &err);
    add_since(wr, t0);
    synth_free(&g);
    return rc != 0 ? fail("close", &err) : 0;
}

/* ---- reading ---- */

typedef struct window { int64_t from, to; } window;

/* Keep zones whose start times can fall in the window. */
static int window_pred(const store_zone *z, void *arg)
{
    const window *w = arg;
    return z->max[FLOW_START].t >= w->from && z->min[FLOW_START].t < w->to;
}

static uint64_t addr_sum(const flow_addr *a)
{
    uint64_t x, y;
    memcpy(&x, a->b, 8);
    memcpy(&y, a->b + 8, 8);
    return x ^ (y * 31);
}

/* Scan with the given spec; mode 0: touch every value of every column,
 * 1: count dst_port 23, 2: count records (pruned scan), 3: nothing. */
static int scan(store *s, const store_scan_spec *spec, int mode, scan_result *res)
{
    store_scan *sc;
    flow_batch *b;
    c2_err err;
    int rc;
    memset(res, 0, sizeof *res);
    clocks t0 = now_clocks();
    if (store_scan_open(s, spec, &sc, &err) != 0) return fail("scan", &err);
    while ((rc = store_scan_next(sc, &b, &err)) == 1) {
        size_t n = b->count;
        res->records += n;
        if (mode == 0) {
            uint64_t pk = 0, by = 0, x = 0;
            for (size_t i = 0; i < n; i++) {
                pk += b->packets[i];
                by += b->bytes[i];
                x += (uint64_t)b->start_ms[i] ^ (uint64_t)b->end_ms[i];
                x += addr_sum(&b->src_addr[i]) ^ addr_sum(&b->dst_addr[i]) ^
                     addr_sum(&b->exporter[i]);
                x += b->domain[i] + b->in_if[i] + b->out_if[i] + b->sampling[i] +
                     b->src_as[i] + b->dst_as[i];
                x += (uint64_t)b->src_port[i] << 16 | b->dst_port[i];
                x += (uint64_t)b->proto[i] << 16 | (uint64_t)b->tcp_flags[i] << 8 | b->tos[i];
            }
            res->sum_packets += pk;
            res->sum_bytes += by;
            res->checksum += x;
        } else if (mode == 1) {
            uint64_t c = 0;
            const uint16_t *dp = b->dst_port;
            for (size_t i = 0; i < n; i++) c += dp[i] == 23;
            res->dport23 += c;
        }
    }
    store_scan_get_stats(sc, &res->stats);
    store_scan_close(sc);
    add_since(&res->time, t0);
    if (rc < 0) return fail("scan", &err);
    return 0;
}

/* The run of median wall time out of `repeat` (odd counts are best). */
static int scan_median(store *s, const store_scan_spec *spec, int mode, int repeat,
                       scan_result *res)
{
    scan_result runs[MAX_REPEAT];
    for (int i = 0; i < repeat; i++)
        if (scan(s, spec, mode, &runs[i]) != 0) return -1;
    for (int i = 1; i < repeat; i++)             /* insertion sort by wall */
        for (int j = i; j > 0 && runs[j].time.wall < runs[j - 1].time.wall; j--) {
            scan_result tmp = runs[j];
            runs[j] = runs[j - 1];
            runs[j - 1] = tmp;
        }
    *res = runs[repeat / 2];
    return 0;
}

static double per_s(uint64_t n, double s) { return s > 0 ? (double)n / s : 0; }

static const char *const usage_text =
    "usage: store_bench [-n RECORDS] [-d DIR] [-s SEED] [--start TIME]\n"
    "                   [-l ZSTD_LEVEL] [-L SLICE] [-b BLOCK_RECORDS] [-r REPEAT]\n"
    "\n"
    "Write RECORDS synthetic records (default 50000000) into a fresh store in\n"
    "DIR (default /var/tmp/c2flow-bench/store; must be missing or empty), then\n"
    "scan them back, and print the figures and a RESULT line.  -l, -L and -b\n"
    "override the store's zstd level (1..22, or -1..-100 for zstd's fast\n"
    "levels), slice length and block size; each timed scan runs REPEAT times\n"
    "(default 3, at most 9) and the median is shown.\n";

enum { OPT_START = 1000 };

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"start", required_argument, 0, OPT_START},
        {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0},
    };
    const char *dir = "/var/tmp/c2flow-bench/store";
    uint64_t n = 50000000, u;
    synth_params p;
    store_options o;
    c2_err err;
    int c;
    synth_params_default(&p);
    p.start_ms = DEFAULT_START;
    store_options_default(&o);
    o.retention_ms = 0;
    int repeat = 3;
    while ((c = getopt_long(argc, argv, "n:d:s:l:L:b:r:h", opts, NULL)) != -1) {
        switch (c) {
        case 'n':
            if (c2_u64_parse(optarg, UINT64_MAX, &n) != 0 || !n) goto usage;
            break;
        case 'd': dir = optarg; break;
        case 'r':
            if (c2_u64_parse(optarg, MAX_REPEAT, &u) != 0 || !u) goto usage;
            repeat = (int)u;
            break;
        case 's':
            if (synth_param_set(&p, "seed", optarg, 0, &err) != 0) goto usage;
            break;
        case 'l':                   /* 1..22, or -1..-100: zstd's fast levels */
        {
            int neg = optarg[0] == '-';
            if (c2_u64_parse(optarg + neg, neg ? 100 : 22, &u) != 0 || !u) goto usage;
            o.zstd_level = neg ? -(int)u : (int)u;
            break;
        }
        case 'L':
            if (c2_duration_parse(optarg, &o.slice_ms, &err) != 0) {
                fprintf(stderr, "store_bench: -L: %s\n", err.msg);
                return 2;
            }
            break;
        case 'b':
            if (c2_u64_parse(optarg, 1u << 24, &u) != 0 || !u) goto usage;
            o.block_records = (uint32_t)u;
            break;
        case OPT_START:
            if (synth_param_set(&p, "start", optarg, c2_now_ms(), &err) != 0) {
                fprintf(stderr, "store_bench: --start: %s\n", err.msg);
                return 2;
            }
            break;
        case 'h': fputs(usage_text, stdout); return 0;
        default: goto usage;
        }
    }
    if (optind < argc) goto usage;
    if (!dir_is_fresh(dir)) {
        fprintf(stderr, "store_bench: %s is not empty; give a fresh directory\n", dir);
        return 2;
    }

    store *s;
    if (store_open(dir, &o, 1, &s, &err) != 0) return fail("open", &err);

    /* the pruned scan's window: one minute of start times mid-span */
    int64_t span = synth_span_ms(&p, n);
    window win = {p.start_ms + span / 2, p.start_ms + span / 2 + WINDOW_MS};

    truth t = {0};
    clocks gen = {0, 0}, wr = {0, 0};
    store_write_stats ws = {0};
    if (write_phase(s, &p, n, win.from, &t, &gen, &wr, &ws) != 0) {
        store_close(s);
        return 1;
    }
    store_info info;
    if (store_inventory(s, &info, NULL, NULL, &err) != 0) {
        store_close(s);
        return fail("inventory", &err);
    }

    scan_result full, col, pruned;
    store_scan_spec spec = {.from_ms = C2_TIME_MIN, .to_ms = C2_TIME_MAX,
                            .fields = FLOW_ALL_FIELDS};
    if (scan_median(s, &spec, 0, repeat, &full) != 0) return 1;
    spec.fields = FLOW_BIT(FLOW_DST_PORT);
    if (scan_median(s, &spec, 1, repeat, &col) != 0) return 1;
    store_scan_spec pspec = {.from_ms = win.from, .to_ms = win.to,
                             .fields = FLOW_BIT(FLOW_DST_PORT), .prune = window_pred,
                             .prune_arg = &win};
    if (scan_median(s, &pspec, 2, repeat, &pruned) != 0) return 1;

    /* each column alone: its compressed bytes (start and end together: the
     * store may keep one relative to the other and read both) */
    uint64_t col_bytes[FLOW_FIELD_COUNT] = {0}, col_sum = 0;
    for (int f = 0; f < FLOW_FIELD_COUNT; f++) {
        scan_result r;
        if (f == FLOW_END) continue;
        spec.fields = f == FLOW_START ? FLOW_BIT(FLOW_START) | FLOW_BIT(FLOW_END) : FLOW_BIT(f);
        if (scan(s, &spec, 3, &r) != 0) return 1;
        col_bytes[f] = r.stats.bytes_read;
        col_sum += r.stats.bytes_read;
    }
    store_close(s);

    /* checks */
    int ok = 1;
    if (ws.records != n || info.records != n || full.records != n || col.records != n) {
        fprintf(stderr, "store_bench: CHECK FAILED: wrote %" PRIu64 ", store holds %" PRIu64
                ", full scan %" PRIu64 ", column scan %" PRIu64 " records\n",
                n, info.records, full.records, col.records);
        ok = 0;
    }
    if (full.sum_packets != t.sum_packets || full.sum_bytes != t.sum_bytes) {
        fprintf(stderr, "store_bench: CHECK FAILED: packet/byte sums differ from what was written\n");
        ok = 0;
    }
    if (col.dport23 != t.dport23) {
        fprintf(stderr, "store_bench: CHECK FAILED: %" PRIu64 " records to port 23 read, %"
                PRIu64 " written\n", col.dport23, t.dport23);
        ok = 0;
    }
    if (pruned.records != t.in_window) {
        fprintf(stderr, "store_bench: CHECK FAILED: pruned scan found %" PRIu64
                " records, %" PRIu64 " written in the window\n", pruned.records, t.in_window);
        ok = 0;
    }

    double bpr = (double)info.bytes / (double)n;
    double wr_rps = per_s(n, wr.wall), wr_cpu = per_s(n, wr.cpu);
    double e2e = per_s(n, wr.wall + gen.wall);
    char when[32], hb[32], dur[32];
    printf("store_bench: %" PRIu64 " records (seed %" PRIu64 ", from %s), zstd level %d, "
           "slice %s, %u records/block\n", n, p.seed,
           c2_time_format(p.start_ms, when, sizeof when), o.zstd_level,
           c2_duration_format(o.slice_ms, dur, sizeof dur), o.block_records);
    printf("  %-28s %12.2f M records/s   (CPU: %.2f M records/s; %.0f ns/record)\n",
           "write (store only)", wr_rps / 1e6, wr_cpu / 1e6, wr.cpu * 1e9 / (double)n);
    printf("  %-28s %12.1f ns          (append + seal: transforms, zones, zstd, CRC,\n"
           "  %-28s %12s              write(2) and fsync, user + system)\n",
           "write CPU per record", wr.cpu * 1e9 / (double)n, "", "");
    printf("  %-28s %12.2f M records/s   (generator alone: %.2f M records/s)\n",
           "write incl. generation", e2e / 1e6, per_s(n, gen.wall) / 1e6);
    printf("  %-28s %12s              (%" PRIu64 " bytes, %" PRIu64 " segments)\n",
           "on disk", c2_bytes_human(info.bytes, hb, sizeof hb), info.bytes, info.segments);
    printf("  %-28s %12.2f\n", "bytes per record", bpr);
    printf("  %-28s %12.2f M records/s   (CPU: %.2f M records/s; %.3f s)\n",
           "full scan, all 18 columns", per_s(n, full.time.wall) / 1e6,
           per_s(n, full.time.cpu) / 1e6, full.time.wall);
    printf("  %-28s %12.2f M records/s   (CPU: %.2f M records/s; %.3f s)\n",
           "scan of dst_port alone", per_s(n, col.time.wall) / 1e6,
           per_s(n, col.time.cpu) / 1e6, col.time.wall);
    printf("  %-28s %12" PRIu64 "              (written: %" PRIu64 ")\n",
           "  records with dst_port 23", col.dport23, t.dport23);
    printf("  %-28s %12.3f s            (%" PRIu64 " records; %" PRIu64 " of %" PRIu64
           " segments opened, %" PRIu64 " of %" PRIu64 " blocks there skipped)\n",
           "pruned scan, 1 min of starts", pruned.time.wall, pruned.records,
           pruned.stats.segments - pruned.stats.segments_pruned, info.segments,
           pruned.stats.blocks_pruned, pruned.stats.blocks);
    printf("  bytes per record by column (compressed column chunks; footers and\n"
           "  headers are the remaining %.2f):\n", (double)(info.bytes - col_sum) / (double)n);
    for (int f = 0, k = 0; f < FLOW_FIELD_COUNT; f++) {
        if (f == FLOW_END) continue;
        printf("    %-12s %6.2f%s", f == FLOW_START ? "start+end" : flow_field_name((flow_field)f),
               (double)col_bytes[f] / (double)n, ++k % 4 == 0 ? "\n" : "");
    }
    printf("\n");

    printf("RESULT records=%" PRIu64 " seed=%" PRIu64 " start_ms=%" PRId64
           " zstd_level=%d slice_ms=%" PRId64 " block_records=%u"
           " write_rps=%.0f write_cpu_rps=%.0f write_s=%.3f ingest_rps=%.0f gen_rps=%.0f"
           " bytes=%" PRIu64 " segments=%" PRIu64 " bytes_per_record=%.3f"
           " full_scan_rps=%.0f full_scan_cpu_rps=%.0f full_scan_s=%.3f"
           " col_scan_rps=%.0f col_scan_cpu_rps=%.0f col_scan_s=%.3f dport23=%" PRIu64
           " pruned_scan_s=%.4f pruned_records=%" PRIu64 " pruned_blocks=%" PRIu64
           " pruned_blocks_skipped=%" PRIu64,
           n, p.seed, p.start_ms, o.zstd_level, o.slice_ms, o.block_records,
           wr_rps, wr_cpu, wr.wall, e2e, per_s(n, gen.wall),
           info.bytes, info.segments, bpr,
           per_s(n, full.time.wall), per_s(n, full.time.cpu), full.time.wall,
           per_s(n, col.time.wall), per_s(n, col.time.cpu), col.time.wall, col.dport23,
           pruned.time.wall, pruned.records, pruned.stats.blocks, pruned.stats.blocks_pruned);
    for (int f = 0; f < FLOW_FIELD_COUNT; f++)
        if (f != FLOW_END)
            printf(" bpr_%s=%.3f", f == FLOW_START ? "times" : flow_field_name((flow_field)f),
                   (double)col_bytes[f] / (double)n);
    printf(" write_cpu_ns=%.1f checks=%s\n", wr.cpu * 1e9 / (double)n, ok ? "ok" : "FAILED");
    return ok ? 0 : 1;

usage:
    fputs(usage_text, stderr);
    return 2;
}
