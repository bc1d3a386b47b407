/*
 * cmd_synth.c: `c2flow synth`, synthetic flow records into a store.
 *
 * A thin front over src/synth/: records are generated in batches that go
 * straight into one store writer, so memory stays flat whatever --records
 * says.  By default the simulated time is placed so that the last record
 * ends now: the records then fall inside any retention period and look
 * like the store of a collector that has been running for the span.
 * Progress goes to stderr every two seconds; the closing summary (records,
 * expired, segments, bytes, rate) goes to stderr too, like import's.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <time.h>

#include "cli/cli.h"
#include "store/store.h"
#include "synth/synth.h"

#define BATCH 8192                  /* records per append */
#define PROGRESS_MS 2000            /* progress line interval */

static const char *const synth_help =
    "usage: c2flow synth --store DIR --records N [options]\n"
    "\n"
    "Write N synthetic flow records into the flow store: the traffic of an\n"
    "ISP edge with a million hosts, four routers, the usual port mix and\n"
    "heavy-tailed flow sizes.  The same seed gives the same records.\n"
    "\n"
    "  -n, --records N       records to write (required)\n"
    "  -s, --seed S          generator seed (default 1)\n"
    "  --start TIME          simulated time the records begin to end; UTC ISO\n"
    "                        8601, epoch seconds or now-2h (default: so that\n"
    "                        the last record ends now)\n"
    "  --rate FLOWS_PER_S    flows per second of simulated time (50000)\n"
    "  --hosts N             distinct hosts in the pool (1000000)\n"
    "  --exporters N         routers exporting the flows (4)\n"
    "  --ipv6-share F        share of IPv6 flows, 0..1 (0.05)\n"
    "  --sampling N          1-in-N interval stamped in records (1)\n"
    CLI_STORE_HELP
    "  -h, --help            this text\n"
    "\n"
    "Exit status: 0 ok, 1 failure, 2 usage.  See docs/synth.md.\n";

enum {
    OPT_START = CLI_OPT_FIRST_COMMAND_OPT, OPT_RATE, OPT_HOSTS, OPT_EXPORTERS,
    OPT_IPV6_SHARE, OPT_SAMPLING
};

static double mono_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Options that set a generator parameter, by synth_param_set() name. */
static const struct { int opt; const char *name; } param_opts[] = {
    {'s', "seed"}, {OPT_START, "start"}, {OPT_RATE, "rate"}, {OPT_HOSTS, "hosts"},
    {OPT_EXPORTERS, "exporters"}, {OPT_IPV6_SHARE, "ipv6-share"},
    {OPT_SAMPLING, "sampling"},
};

static int parse_args(int argc, char **argv, cli_store_args *sa,
                      synth_params *p, uint64_t *records, int *start_given)
{
    static const struct option opts[] = {
        CLI_STORE_LONGOPTS,
        {"records", required_argument, 0, 'n'},
        {"seed", required_argument, 0, 's'},
        {"start", required_argument, 0, OPT_START},
        {"rate", required_argument, 0, OPT_RATE},
        {"hosts", required_argument, 0, OPT_HOSTS},
        {"exporters", required_argument, 0, OPT_EXPORTERS},
        {"ipv6-share", required_argument, 0, OPT_IPV6_SHARE},
        {"sampling", required_argument, 0, OPT_SAMPLING},
        {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0},
    };
    int c, have_records = 0;
    c2_err err;
    while ((c = getopt_long(argc, argv, "n:s:h", opts, NULL)) != -1) {
        if (cli_store_option(sa, c, optarg)) continue;
        const char *param = NULL;
        for (size_t i = 0; i < sizeof param_opts / sizeof param_opts[0]; i++)
            if (param_opts[i].opt == c) param = param_opts[i].name;
        if (param) {
            if (synth_param_set(p, param, optarg, c2_now_ms(), &err) != 0)
                return cli_usage("synth", "--%s: %s", param, err.msg);
            *start_given |= c == OPT_START;
            continue;
        }
        switch (c) {
        case 'n':
            if (c2_u64_parse(optarg, UINT64_MAX, records) != 0 || *records == 0)
                return cli_usage("synth", "--records: not a positive count: '%s'", optarg);
            have_records = 1;
            break;
        case 'h':
            fputs(synth_help, stdout);
            return -1;
        default:
            return cli_usage("synth", "unknown option");
        }
    }
    if (optind < argc) return cli_usage("synth", "unexpected argument '%s'", argv[optind]);
    if (!have_records) return cli_usage("synth", "--records N is required");
    return CLI_OK;
}

/* Generate and append; CLI_OK or CLI_FAIL (after printing why). */
static int generate(synth *g, store_writer *w, uint64_t records, double t0)
{
    static flow_record batch[BATCH];
    c2_err err;
    double next_progress = t0 + PROGRESS_MS / 1000.0;
    for (uint64_t done = 0; done < records;) {
        size_t n = records - done < BATCH ? (size_t)(records - done) : BATCH;
        synth_next(g, batch, n);
        if (store_writer_append(w, batch, n, &err) != 0) {
            cli_error("synth", "%s", err.msg);
            return CLI_FAIL;
        }
        done += n;
        double now = mono_s();
        if (now >= next_progress && done < records) {
            fprintf(stderr, "c2flow synth: %" PRIu64 " of %" PRIu64 " records (%.0f %%), "
                    "%.2f M records/s\n", done, records,
                    100.0 * (double)done / (double)records,
                    (double)done / (now - t0) / 1e6);
            next_progress = now + PROGRESS_MS / 1000.0;
        }
    }
    return CLI_OK;
}

int cmd_synth(int argc, char **argv)
{
    cli_store_args sa = {0};
    synth_params p;
    uint64_t records = 0;
    int start_given = 0, rc;
    synth_params_default(&p);
    rc = parse_args(argc, argv, &sa, &p, &records, &start_given);
    if (rc != CLI_OK) return rc < 0 ? CLI_OK : rc;
    int64_t span = synth_span_ms(&p, records);
    if (span > SYNTH_MAX_SPAN_MS)
        return cli_usage("synth", "%" PRIu64 " records at %g flows/s span more than the "
                         "generator's 30 years; raise --rate", records, p.flow_rate);
    if (!start_given) p.start_ms = c2_now_ms() - span;

    c2_config cfg;
    store *s;
    if ((rc = cli_load_config("synth", &sa, &cfg)) != CLI_OK) return rc;
    synth g;
    c2_err err;
    if (synth_init(&g, &p, &err) != 0) {      /* options were checked: memory */
        cli_error("synth", "%s", err.msg);
        synth_free(&g);
        return CLI_FAIL;
    }
    if ((rc = cli_open_store("synth", &cfg, 1, &s)) != CLI_OK) {
        synth_free(&g);
        return rc;
    }
    store_writer *w;
    if (store_writer_open(s, &w, &err) != 0) {
        cli_error("synth", "%s", err.msg);
        synth_free(&g);
        store_close(s);
        return CLI_FAIL;
    }
    double t0 = mono_s();
    rc = generate(&g, w, records, t0);
    store_write_stats st = {0};
    if (store_writer_close(w, &st, &err) != 0) {
        cli_error("synth", "%s", err.msg);
        rc = CLI_FAIL;
    }
    double secs = mono_s() - t0;
    char first[32], bytes[32];
    fprintf(stderr, "c2flow synth: %" PRIu64 " records from %s, %" PRIu64
            " expired, %" PRIu64 " segments, %s (%.1f B/record), %.2f M records/s\n",
            st.records, c2_time_format(p.start_ms, first, sizeof first),
            st.expired, st.segments, c2_bytes_human(st.bytes, bytes, sizeof bytes),
            st.records ? (double)st.bytes / (double)st.records : 0.0,
            (double)(st.records + st.expired) / (secs > 0 ? secs : 1e-9) / 1e6);
    if (st.expired)
        fprintf(stderr, "c2flow synth: %" PRIu64 " records were older than the "
                "retention period; give --retention 0 or a later --start\n",
                st.expired);
    synth_free(&g);
    store_close(s);
    return rc;
}
