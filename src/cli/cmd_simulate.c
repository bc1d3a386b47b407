/*
 * cmd_simulate.c: `c2flow simulate`, a simulated ISP's flow records into a
 * store or, as NetFlow v9 / IPFIX, to a collector on this machine.
 *
 * A thin front over src/sim/ (the model) and src/exporter/ (the packets).
 * The simulator hands over one chunk of records at a time; the sink appends
 * it to a store writer or sends it.  Progress goes to stderr every two
 * seconds, the summary at the end.  The truth and the feed are written
 * after the run, since the truth counts what the run produced.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "cli/cli.h"
#include "exporter/exporter.h"
#include "sim/sim.h"
#include "store/store.h"

#define PROGRESS_S 2.0
#define SEAL_MARGIN_MS (30 * 60000LL)

static const char *const simulate_help =
    "usage: c2flow simulate --scenario FILE [options] (--store DIR | --export v9|ipfix --to ADDR:PORT)\n"
    "\n"
    "Simulate the flow records an ISP's routers export: subscribers' traffic,\n"
    "periodic look-alikes of C2 traffic, research scanners and botnets whose\n"
    "C2 servers are born and die, with 1-in-N packet sampling.  Write the\n"
    "ground truth and a simulated threat feed beside them.  Same scenario,\n"
    "seed and options: same records.\n"
    "\n"
    "  --scenario FILE       scenario (INI; see scenarios/ and docs/simulator.md)\n"
    "  --seed N              random seed (default 1)\n"
    "  --days N              simulated days (default: the scenario's)\n"
    "  --start TIME          first simulated instant, UTC (default: the scenario's)\n"
    "  --sampling N          override [isp] sampling (1 = every packet)\n"
    "  --subscribers N       override [isp] subscribers\n"
    "  --set SECTION.KEY=VALUE  override any scenario value, e.g.\n"
    "                        --set 'family mirai.scan_pps=10' (repeatable)\n"
    "  --truth FILE          write the ground truth (JSON) here\n"
    "  --feed FILE           write the simulated threat feed (Feodo CSV) here\n"
    "  --quiet               no progress lines\n"
    "\n"
    "Into a store:\n"
    "  --store DIR           flow store directory (retention defaults to 0 here:\n"
    "                        simulated time may lie in the past)\n"
    "  --config FILE, --retention DUR, --slice DUR, --zstd-level N  as for import\n"
    "\n"
    "As NetFlow to a collector (loopback only):\n"
    "  --export v9|ipfix     packet format\n"
    "  --to ADDR:PORT        collector, e.g. 127.0.0.1:2055\n"
    "  --rate N              records per second (default: flat out)\n"
    "  --follow URL          keep pace with the collector: read its /metrics page\n"
    "                        (e.g. http://127.0.0.1:9100/metrics) and keep at most\n"
    "                        --window datagrams in flight\n"
    "  --window N            datagrams in flight with --follow (1024)\n"
    "  -h, --help            this text\n"
    "\n"
    "Exit status: 0 ok, 1 failure, 2 usage.  See docs/simulate.md.\n";

enum {
    OPT_SCENARIO = CLI_OPT_FIRST_COMMAND_OPT, OPT_SEED, OPT_DAYS, OPT_START, OPT_SAMPLING,
    OPT_SUBSCRIBERS, OPT_SET, OPT_TRUTH, OPT_FEED, OPT_QUIET, OPT_EXPORT, OPT_TO, OPT_RATE,
    OPT_FOLLOW, OPT_WINDOW
};

#define MAX_SETS 64

typedef struct sim_args {
    cli_store_args store;
    const char *scenario, *truth, *feed, *export_fmt, *to, *follow;
    struct { const char *key, *value; } sets[MAX_SETS];   /* key NULL: --set text */
    int n_sets, quiet, retention_given;
    sim_options opt;
    double rate;
    uint32_t window;
} sim_args;

typedef struct sink_state {
    store_writer *w;
    exporter     *ex;
    double        t0, next_progress;
    int           quiet, follow;
} sink_state;

static double mono_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int to_sink(void *arg, const flow_record *recs, size_t n, c2_err *err)
{
    sink_state *st = arg;
    if (!st->w)
        return exporter_send(st->ex, recs, n, err);
    if (store_writer_append(st->w, recs, n, err) != 0)
        return -1;
    /* records come by end time and last at most an active timeout, so
     * slices that ended well before the newest record are complete */
    return store_writer_seal(st->w, recs[n - 1].end_ms - SEAL_MARGIN_MS, err);
}

static void progress(void *arg, int64_t sim_ms, const sim_stats *stats)
{
    sink_state *st = arg;
    double now = mono_s();
    if (st->quiet || now < st->next_progress)
        return;
    st->next_progress = now + PROGRESS_S;
    char t[40];
    fprintf(stderr, "c2flow simulate: at %s, %" PRIu64 " records, %.2f M records/s\n",
            c2_time_format(sim_ms, t, sizeof t), stats->records,
            (double)stats->records / (now - st->t0) / 1e6);
}

static int parse_set(sim_scenario *sc, const char *text)
{
    /* SECTION.KEY=VALUE; the section may hold a space ("family mirai") */
    const char *eq = strchr(text, '=');
    const char *dot = eq ? memchr(text, '.', (size_t)(eq - text)) : NULL;
    if (!eq || !dot)
        return cli_usage("simulate", "--set wants SECTION.KEY=VALUE, not '%s'", text);
    const char *last_dot = dot;
    for (const char *p = dot; p < eq; p++)
        if (*p == '.') last_dot = p;
    char section[64], key[64];
    size_t sl = (size_t)(last_dot - text), kl = (size_t)(eq - last_dot - 1);
    if (sl == 0 || sl >= sizeof section || kl == 0 || kl >= sizeof key)
        return cli_usage("simulate", "--set wants SECTION.KEY=VALUE, not '%s'", text);
    memcpy(section, text, sl);
    section[sl] = 0;
    memcpy(key, last_dot + 1, kl);
    key[kl] = 0;
    c2_err err;
    if (sim_scenario_set(sc, section, key, eq + 1, &err) < 0)
        return cli_usage("simulate", "--set: %s", err.msg);
    return CLI_OK;
}

static int parse_args(int argc, char **argv, sim_args *a)
{
    static const struct option opts[] = {
        CLI_STORE_LONGOPTS,
        {"scenario", required_argument, 0, OPT_SCENARIO},
        {"seed", required_argument, 0, OPT_SEED},
        {"days", required_argument, 0, OPT_DAYS},
        {"start", required_argument, 0, OPT_START},
        {"sampling", required_argument, 0, OPT_SAMPLING},
        {"subscribers", required_argument, 0, OPT_SUBSCRIBERS},
        {"set", required_argument, 0, OPT_SET},
        {"truth", required_argument, 0, OPT_TRUTH},
        {"feed", required_argument, 0, OPT_FEED},
        {"quiet", no_argument, 0, OPT_QUIET},
        {"export", required_argument, 0, OPT_EXPORT},
        {"to", required_argument, 0, OPT_TO},
        {"rate", required_argument, 0, OPT_RATE},
        {"follow", required_argument, 0, OPT_FOLLOW},
        {"window", required_argument, 0, OPT_WINDOW},
        {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0},
    };
    int c;
    uint64_t v;
    c2_err err;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        if (c == CLI_OPT_RETENTION) a->retention_given = 1;
        if (cli_store_option(&a->store, c, optarg)) continue;
        switch (c) {
        case OPT_SCENARIO: a->scenario = optarg; break;
        case OPT_SEED:
            if (c2_u64_parse(optarg, UINT64_MAX, &a->opt.seed) != 0)
                return cli_usage("simulate", "--seed: not a number: '%s'", optarg);
            break;
        case OPT_DAYS:
            if (c2_u64_parse(optarg, 366, &v) != 0 || v == 0)
                return cli_usage("simulate", "--days: want 1..366, not '%s'", optarg);
            a->opt.days = (uint32_t)v;
            break;
        case OPT_START:
            if (c2_time_parse(optarg, c2_now_ms(), &a->opt.start_ms, &err) != 0)
                return cli_usage("simulate", "--start: %s", err.msg);
            break;
        case OPT_SAMPLING: case OPT_SUBSCRIBERS: case OPT_SET:
            if (a->n_sets == MAX_SETS)
                return cli_usage("simulate", "too many overrides");
            a->sets[a->n_sets].key = c == OPT_SAMPLING ? "sampling"
                                   : c == OPT_SUBSCRIBERS ? "subscribers" : NULL;
            a->sets[a->n_sets++].value = optarg;
            break;
        case OPT_TRUTH: a->truth = optarg; break;
        case OPT_FEED: a->feed = optarg; break;
        case OPT_QUIET: a->quiet = 1; break;
        case OPT_EXPORT: a->export_fmt = optarg; break;
        case OPT_TO: a->to = optarg; break;
        case OPT_FOLLOW: a->follow = optarg; break;
        case OPT_RATE:
            if (c2_u64_parse(optarg, 1000000000, &v) != 0)
                return cli_usage("simulate", "--rate: want records per second, not '%s'", optarg);
            a->rate = (double)v;
            break;
        case OPT_WINDOW:
            if (c2_u64_parse(optarg, 1000000, &v) != 0 || v == 0)
                return cli_usage("simulate", "--window: want 1..1000000, not '%s'", optarg);
            a->window = (uint32_t)v;
            break;
        case 'h':
            fputs(simulate_help, stdout);
            return -1;
        default:
            return cli_usage("simulate", "unknown option");
        }
    }
    if (optind < argc) return cli_usage("simulate", "unexpected argument '%s'", argv[optind]);
    if (!a->scenario) return cli_usage("simulate", "--scenario FILE is required");
    int to_store = a->store.store_dir != NULL, to_net = a->export_fmt || a->to;
    if (to_store == to_net)
        return cli_usage("simulate", "give either --store DIR or --export FORMAT --to ADDR:PORT");
    if (to_net && (!a->export_fmt || !a->to))
        return cli_usage("simulate", "--export and --to go together");
    if (to_net && strcmp(a->export_fmt, "v9") && strcmp(a->export_fmt, "ipfix"))
        return cli_usage("simulate", "--export is v9 or ipfix, not '%s'", a->export_fmt);
    if (!to_net && (a->follow || a->rate > 0))
        return cli_usage("simulate", "--rate and --follow go with --export");
    if (to_net) {
        struct sockaddr_storage sa;
        unsigned salen;
        if (exporter_parse_destination(a->to, &sa, &salen, &err) != 0)
            return cli_usage("simulate", "--to: %s", err.msg);
    }
    return CLI_OK;
}

static int apply_overrides(sim_scenario *sc, const sim_args *a)
{
    for (int i = 0; i < a->n_sets; i++) {
        if (a->sets[i].key) {               /* --sampling / --subscribers */
            c2_err err;
            if (sim_scenario_set(sc, "isp", a->sets[i].key, a->sets[i].value, &err) < 0)
                return cli_usage("simulate", "--%s: %s", a->sets[i].key, err.msg);
        } else if (parse_set(sc, a->sets[i].value) != CLI_OK) {
            return CLI_USAGE;
        }
    }
    return CLI_OK;
}

typedef struct sim_text {
    const sim *s;
    int      (*fn)(const sim *, FILE *, c2_err *);
} sim_text;

static int write_sim_text(FILE *f, void *arg, c2_err *err)
{
    const sim_text *t = arg;
    return t->fn(t->s, f, err);
}

/* The truth names (simulated) customers, so it is private; the feed is
 * threat intelligence, meant to be passed on.  Written whole or not at
 * all, like every other file c2flow writes. */
static int write_file(const char *path, const sim *s,
                      int (*fn)(const sim *, FILE *, c2_err *), const char *what,
                      c2_access access)
{
    c2_err err;
    sim_text t = {s, fn};
    if (c2_file_write_by(path, access, write_sim_text, &t, &err) != 0) {
        cli_error("simulate", "%s %s: %s", what, path, err.msg);
        return CLI_FAIL;
    }
    return CLI_OK;
}

static int open_sink(const sim_args *a, sink_state *st, store **sp)
{
    c2_err err;
    if (a->store.store_dir) {
        cli_store_args sa = a->store;
        if (!a->retention_given) sa.retention = "0";
        c2_config cfg;
        int rc = cli_load_config("simulate", &sa, &cfg);
        if (rc != CLI_OK) return rc;
        if ((rc = cli_open_store("simulate", &cfg, 1, sp)) != CLI_OK) return rc;
        if (store_writer_open(*sp, &st->w, &err) != 0) {
            cli_error("simulate", "%s", err.msg);
            return CLI_FAIL;
        }
        return CLI_OK;
    }
    exporter_options eo;
    exporter_options_default(&eo);
    eo.version = strcmp(a->export_fmt, "ipfix") ? EXPORTER_NETFLOW_V9 : EXPORTER_IPFIX;
    eo.rate = a->rate;
    eo.follow_url = a->follow;
    if (a->window) eo.follow_window = a->window;
    if (exporter_open(a->to, &eo, &st->ex, &err) != 0) {
        cli_error("simulate", "%s", err.msg);
        return CLI_FAIL;
    }
    return CLI_OK;
}

static int close_sink(sink_state *st, store *sp, int rc)
{
    c2_err err;
    if (st->w) {
        store_write_stats ws = {0};
        if (rc == CLI_OK) {
            if (store_writer_close(st->w, &ws, &err) != 0) {
                cli_error("simulate", "%s", err.msg);
                rc = CLI_FAIL;
            }
        } else {
            store_writer_abort(st->w);
        }
        if (rc == CLI_OK) {
            char bytes[32];
            fprintf(stderr, "c2flow simulate: stored %" PRIu64 " records, %" PRIu64
                    " segments, %s (%.1f B/record)\n", ws.records, ws.segments,
                    c2_bytes_human(ws.bytes, bytes, sizeof bytes),
                    ws.records ? (double)ws.bytes / (double)ws.records : 0.0);
        }
    }
    if (sp) store_close(sp);
    if (st->ex) {
        if (rc == CLI_OK && exporter_flush(st->ex, &err) != 0) {
            cli_error("simulate", "%s", err.msg);
            rc = CLI_FAIL;
        }
        exporter_stats es;
        exporter_get_stats(st->ex, &es);
        fprintf(stderr, "c2flow simulate: sent %" PRIu64 " records in %" PRIu64
                " datagrams from %u routers, %" PRIu64 " send errors", es.total.records,
                es.total.datagrams, es.routers, es.total.send_errors);
        if (st->follow)
            fprintf(stderr, ", the collector dropped %" PRIu64, es.collector_drops);
        fputc('\n', stderr);
        exporter_close(st->ex);
    }
    return rc;
}

static void summary(const sim *s, double secs)
{
    sim_stats st;
    sim_get_stats(s, &st);
    double days = (double)(sim_end_ms(s) - sim_start_ms(s)) / C2_MS_PER_DAY;
    fprintf(stderr, "c2flow simulate: %u subscribers, %u devices, %u infected, %u C2 servers, "
            "%u DDoS attacks\n", st.subscribers, st.devices, st.infected, st.c2_servers, st.ddos);
    fprintf(stderr, "c2flow simulate: %" PRIu64 " records (%.0f per simulated day: benign %"
            PRIu64 ", look-alike %" PRIu64 ", bots %" PRIu64 ", scanners %" PRIu64
            ") in %.1f s, %.2f M records/s\n", st.records, (double)st.records / days,
            st.benign_records, st.lookalike_records, st.bot_records, st.scanner_records, secs,
            (double)st.records / (secs > 0 ? secs : 1e-9) / 1e6);
}

int cmd_simulate(int argc, char **argv)
{
    sim_args a;
    memset(&a, 0, sizeof a);
    sim_options_default(&a.opt);
    int rc = parse_args(argc, argv, &a);
    if (rc != CLI_OK) return rc < 0 ? CLI_OK : rc;
    c2_err err;
    sim_scenario *sc;
    if (sim_scenario_load(a.scenario, &sc, &err) != 0) {
        cli_error("simulate", "%s", err.msg);
        return CLI_FAIL;
    }
    if ((rc = apply_overrides(sc, &a)) != CLI_OK) {
        sim_scenario_free(sc);
        return rc;
    }
    sim *s = NULL;
    double t0 = mono_s();
    rc = sim_new(sc, &a.opt, &s, &err) == 0 ? CLI_OK : CLI_FAIL;
    sim_scenario_free(sc);
    if (rc != CLI_OK) {
        cli_error("simulate", "%s", err.msg);
        sim_free(s);
        return rc;
    }
    sink_state st = {.t0 = t0, .next_progress = t0 + PROGRESS_S, .quiet = a.quiet,
                     .follow = a.follow != NULL};
    store *sp = NULL;
    rc = open_sink(&a, &st, &sp);
    if (rc == CLI_OK && sim_run(s, to_sink, &st, progress, &st, &err) != 0) {
        cli_error("simulate", "%s", err.msg);
        rc = CLI_FAIL;
    }
    rc = close_sink(&st, sp, rc);
    if (rc == CLI_OK) {
        summary(s, mono_s() - t0);
        if (a.truth) rc = write_file(a.truth, s, sim_write_truth, "truth", C2_PRIVATE);
        if (rc == CLI_OK && a.feed) rc = write_file(a.feed, s, sim_write_feed, "feed", C2_SHARED);
    }
    sim_free(s);
    return rc;
}
