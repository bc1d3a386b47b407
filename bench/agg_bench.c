/*
 * agg_bench.c: how fast src/aggregate groups records, and in how much
 * memory.
 *
 * Feeds N records of src/synth (default 20 M; 1 M hosts, so `-A srcip`
 * makes about a million groups) to three aggregations, each in its own
 * child process so that each gets its own peak RSS:
 *
 *   A  -A srcip, every group, sorted by flows        (nfdump -A srcip)
 *   S  -s dstip/flows -n 100                         (nfdump -s dstip/flows -n 100)
 *   A* -A srcip again under a small budget (-b, default 16 MiB), so that
 *      the table spills to disk and every partition is finished alone; its
 *      rows must equal A's (a checksum over all rows in order is compared)
 *
 * Timing: the generator's time is measured apart and not charged; "add"
 * is the time spent in agg_add, "finish" the time of agg_finish (ordering
 * and handing over the rows; the callback only checksums them), records/s
 * is N / (add + finish).  Memory: the process's peak RSS (getrusage), the
 * RSS before the aggregate existed (generator pool and batch), and the
 * table's own peak as the budget counts it, per group.
 *
 * The nfdump figures printed beside are the recorded ones of
 * ../shared/bench/RESULTS.md (20 M records of the peer generator, 1 M
 * sources, nfdump 1.7.1, warm cache): they include reading a flow file and
 * printing the rows, which this micro-benchmark does not, so the ratio is
 * an indication, not a like-for-like comparison.
 *
 * Output: one block for people and a "RESULT key=value ..." line.  Exit 0,
 * 1 on failure or when A* differs from A, 2 usage.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "aggregate/aggregate.h"
#include "synth/synth.h"
#include "util/util.h"

#define BATCH 8192
#define DEFAULT_START 1767225600000LL   /* 2026-01-01T00:00:00Z */

/* recorded nfdump 1.7.1 figures (../shared/bench/RESULTS.md) */
#define NFDUMP_A_RATE 1.30e6
#define NFDUMP_A_RSS_MIB 324.0
#define NFDUMP_S_RATE 4.26e6
#define NFDUMP_S_RSS_MIB 233.0

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static double rss_mib(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_maxrss / 1024.0;       /* ru_maxrss is in KiB */
}

typedef struct sum {
    uint64_t rows, flows, check;
} sum;

static int on_row(const agg_row *r, void *arg)
{
    sum *s = arg;
    uint64_t h = s->check * 0x100000001b3ULL;
    for (int i = 0; i < 16; i++) h = (h ^ r->key[0].a.b[i]) * 0x100000001b3ULL;
    h ^= r->flows * 31 + r->packets * 17 + r->bytes + (uint64_t)r->first_ms + (uint64_t)r->last_ms;
    s->check = h;
    s->rows++;
    s->flows += r->flows;
    return 0;
}

/* The figures a child sends back to the parent. */
typedef struct figures {
    int      ok;
    double   gen_s, add_s, finish_s, rss_mib, base_mib;
    agg_stats st;
    sum      sum;
    char     err[C2_ERR_MAX];
} figures;

static void run_child(const synth_params *p, uint64_t n, const agg_spec *spec, figures *f)
{
    c2_err err = {{0}};
    synth g;
    flow_record *recs = malloc(BATCH * sizeof *recs);
    flow_batch b;
    aggregate *a = NULL;
    memset(f, 0, sizeof *f);
    if (!recs) { snprintf(f->err, sizeof f->err, "out of memory"); return; }
    if (synth_init(&g, p, &err) != 0) goto fail;
    if (flow_batch_init(&b, BATCH, FLOW_BIT(FLOW_START) | FLOW_BIT(FLOW_END) |
                        FLOW_BIT(FLOW_SRC_ADDR) | FLOW_BIT(FLOW_DST_ADDR) |
                        FLOW_BIT(FLOW_PACKETS) | FLOW_BIT(FLOW_BYTES)) != 0) {
        c2_fail(&err, "out of memory");
        goto fail;
    }
    f->base_mib = rss_mib();
    if (agg_new(spec, &a, &err) != 0) goto fail;
    for (uint64_t done = 0; done < n;) {
        size_t k = n - done < BATCH ? (size_t)(n - done) : BATCH;
        double t0 = now_s();
        synth_next(&g, recs, k);
        for (size_t i = 0; i < k; i++) {     /* the columns agg reads */
            b.start_ms[i] = recs[i].start_ms;
            b.end_ms[i] = recs[i].end_ms;
            b.src_addr[i] = recs[i].src_addr;
            b.dst_addr[i] = recs[i].dst_addr;
            b.packets[i] = recs[i].packets;
            b.bytes[i] = recs[i].bytes;
        }
        b.count = k;
        double t1 = now_s();
        if (agg_add(a, &b, NULL, &err) != 0) goto fail;
        double t2 = now_s();
        f->gen_s += t1 - t0;
        f->add_s += t2 - t1;
        done += k;
    }
    double t3 = now_s();
    if (agg_finish(a, on_row, &f->sum, &err) != 0) goto fail;
    f->finish_s = now_s() - t3;
    agg_get_stats(a, &f->st);
    f->rss_mib = rss_mib();
    f->ok = 1;
    agg_free(a);
    flow_batch_free(&b);
    synth_free(&g);
    free(recs);
    return;
fail:
    snprintf(f->err, sizeof f->err, "%s", err.msg);
    agg_free(a);
}

/* Run one aggregation in a child process; 0 ok. */
static int run_phase(const synth_params *p, uint64_t n, const agg_spec *spec, figures *f)
{
    int fd[2];
    if (pipe(fd) != 0) return -1;
    pid_t pid = fork();
    if (pid < 0) return -1;
    if (pid == 0) {
        close(fd[0]);
        figures mine;
        run_child(p, n, spec, &mine);
        ssize_t w = write(fd[1], &mine, sizeof mine);
        _exit(w == (ssize_t)sizeof mine ? 0 : 1);
    }
    close(fd[1]);
    size_t got = 0;
    while (got < sizeof *f) {
        ssize_t r = read(fd[0], (char *)f + got, sizeof *f - got);
        if (r <= 0) break;
        got += (size_t)r;
    }
    close(fd[0]);
    int status;
    waitpid(pid, &status, 0);
    if (got != sizeof *f || !WIFEXITED(status) || WEXITSTATUS(status) != 0) return -1;
    return f->ok ? 0 : -1;
}

static void print_phase(const char *name, uint64_t n, const figures *f,
                        double peer_rate, double peer_rss)
{
    double total = f->add_s + f->finish_s;
    char b1[32], b2[32];
    printf("%s\n", name);
    printf("  records/s (add + finish)  %10.2f M   (add alone %.2f M/s; nfdump recorded %.2f M/s: x%.1f)\n",
           (double)n / total / 1e6, (double)n / f->add_s / 1e6, peer_rate / 1e6,
           (double)n / total / peer_rate);
    printf("  add, finish               %10.3f s, %.3f s   (generator, not charged: %.3f s)\n",
           f->add_s, f->finish_s, f->gen_s);
    printf("  groups, rows              %10" PRIu64 ", %" PRIu64 "\n", f->st.groups, f->sum.rows);
    printf("  peak RSS                  %10.1f MiB   (before the aggregate: %.1f MiB; nfdump recorded %.0f MiB: x%.2f)\n",
           f->rss_mib, f->base_mib, peer_rss, f->rss_mib / peer_rss);
    printf("  table peak (budget count) %10s   (%.1f B per group)\n",
           c2_bytes_human(f->st.peak_bytes, b1, sizeof b1),
           f->st.groups ? (double)f->st.peak_bytes / (double)f->st.groups : 0.0);
    if (f->st.spilled_bytes)
        printf("  spilled                   %10s   (depth %u)\n",
               c2_bytes_human(f->st.spilled_bytes, b2, sizeof b2), f->st.spill_depth);
}

static const char *const usage_text =
    "usage: agg_bench [-n RECORDS] [-H HOSTS] [-6 IPV6_SHARE] [-b SPILL_BUDGET] [-s SEED]\n"
    "                 [-p PHASES]\n"
    "  -n  records (20000000)        -H  synthetic hosts (1000000)\n"
    "  -6  share of IPv6 flows (0.05) -b  budget of the spilling run, bytes (16777216)\n"
    "  -s  generator seed (1)         -p  phases to run: a (-A), s (-s), x (spill); (asx)\n";

int main(int argc, char **argv)
{
    synth_params p;
    synth_params_default(&p);
    p.start_ms = DEFAULT_START;
    uint64_t n = 20000000, budget = 16u << 20;
    const char *phases = "asx";
    c2_err err;
    int c;
    while ((c = getopt(argc, argv, "n:H:6:b:s:p:h")) != -1) {
        switch (c) {
        case 'n': if (c2_u64_parse(optarg, UINT64_MAX, &n) != 0 || !n) goto usage; break;
        case 'H': if (synth_param_set(&p, "hosts", optarg, 0, &err) != 0) goto usage; break;
        case '6': if (synth_param_set(&p, "ipv6-share", optarg, 0, &err) != 0) goto usage; break;
        case 's': if (synth_param_set(&p, "seed", optarg, 0, &err) != 0) goto usage; break;
        case 'b': if (c2_u64_parse(optarg, UINT64_MAX, &budget) != 0 || !budget) goto usage; break;
        case 'p': phases = optarg; break;
        case 'h': fputs(usage_text, stdout); return 0;
        default: goto usage;
        }
    }
    if (optind != argc) goto usage;

    agg_spec a, s, spill;
    memset(&a, 0, sizeof a);
    if (agg_parse_keys("srcip", &a, &err) != 0) goto fail;
    memset(&s, 0, sizeof s);
    if (agg_parse_stat("dstip/flows", &s, &err) != 0) goto fail;
    s.limit = 100;
    spill = a;
    spill.memory_budget = budget;

    printf("agg_bench: %" PRIu64 " records, %u hosts, IPv6 share %.2f, seed %" PRIu64 "\n",
           n, p.hosts, p.ipv6_share, p.seed);
    figures fa, fs, fsp;
    memset(&fa, 0, sizeof fa);
    memset(&fs, 0, sizeof fs);
    memset(&fsp, 0, sizeof fsp);
    int do_a = strchr(phases, 'a') != NULL, do_s = strchr(phases, 's') != NULL;
    int do_x = strchr(phases, 'x') != NULL;
    if (do_a) {
        if (run_phase(&p, n, &a, &fa) != 0) { fprintf(stderr, "agg_bench: -A srcip: %s\n", fa.err); return 1; }
        print_phase("-A srcip (all groups, by flows)", n, &fa, NFDUMP_A_RATE, NFDUMP_A_RSS_MIB);
    }
    if (do_s) {
        if (run_phase(&p, n, &s, &fs) != 0) { fprintf(stderr, "agg_bench: -s dstip: %s\n", fs.err); return 1; }
        print_phase("-s dstip/flows -n 100", n, &fs, NFDUMP_S_RATE, NFDUMP_S_RSS_MIB);
    }
    if (do_x) {
        if (run_phase(&p, n, &spill, &fsp) != 0) { fprintf(stderr, "agg_bench: spill: %s\n", fsp.err); return 1; }
        char bb[32];
        char title[96];
        snprintf(title, sizeof title, "-A srcip under a %s budget (spills)",
                 c2_bytes_human(budget, bb, sizeof bb));
        print_phase(title, n, &fsp, NFDUMP_A_RATE, NFDUMP_A_RSS_MIB);
    }
    int same = !(do_a && do_x) || (fsp.sum.check == fa.sum.check && fsp.sum.rows == fa.sum.rows);
    int flows_ok = (!do_a || fa.sum.flows == n) &&
                   (!do_s || fs.sum.rows == (fs.st.groups < 100 ? fs.st.groups : 100));
    printf("checks: spilled rows %s in-memory rows; sums %s\n",
           !(do_a && do_x) ? "(not compared)" : same ? "equal" : "DIFFER from",
           flows_ok ? "ok" : "WRONG");
    printf("RESULT records=%" PRIu64 " a_rate=%.0f a_add_rate=%.0f a_rss_mib=%.1f a_groups=%" PRIu64
           " a_table_bytes=%" PRIu64 " s_rate=%.0f s_rss_mib=%.1f spill_rate=%.0f spill_rss_mib=%.1f"
           " spilled_bytes=%" PRIu64 " same=%d\n",
           n, (double)n / (fa.add_s + fa.finish_s), (double)n / fa.add_s, fa.rss_mib,
           fa.st.groups, fa.st.peak_bytes, (double)n / (fs.add_s + fs.finish_s), fs.rss_mib,
           (double)n / (fsp.add_s + fsp.finish_s), fsp.rss_mib, fsp.st.spilled_bytes, same);
    return same && flows_ok ? 0 : 1;
fail:
    fprintf(stderr, "agg_bench: %s\n", err.msg);
    return 1;
usage:
    fputs(usage_text, stderr);
    return 2;
}
