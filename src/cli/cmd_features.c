/*
 * cmd_features.c: `c2flow features`, the feature rows of method 2 for a
 * window, as CSV or JSON Lines (docs/features.md).  For looking at what
 * the model sees; `train` and `detect --method ml` compute the same rows
 * themselves.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/analysis.h"

static const char *const features_help =
    "usage: c2flow features --store DIR --from TIME [--to TIME] [--internal PREFIXES]\n"
    "                       [--intel FILE]... [--out FILE] [-o csv|jsonl] [options]\n"
    "\n"
    "Compute, per UTC day and per server (ip, port, proto) that at least\n"
    "ml_min_clients customer hosts reached that day (ml_probe_clients when all\n"
    "they sent were SYN-only probes), the numbers method 2 learns from: clients\n"
    "and the share judged infected by method 1, flows per client, bytes per\n"
    "packet, durations, time-of-day profile, SYN-only share, port class, days\n"
    "active, client spread.  Rows hold server keys and counts, no customer address.\n"
    "\n"
    "  --out FILE            write the rows here (default: standard output); the file\n"
    "                        is replaced only when the run succeeds\n"
    "  -o, --output FMT      csv or jsonl (default: from --out's extension, else csv)\n"
    ANALYSIS_HELP
    "  -h, --help            this text\n"
    "\n"
    "Exit status: 0 rows written (possibly none), 1 failure, 2 usage.\n"
    "See docs/features.md.\n";

enum { OPT_OUT = AN_OPT_FIRST_COMMAND_OPT };

typedef struct features_cmd {
    analysis      an;
    const char   *out, *format;
    feature_table t;
} features_cmd;

static int parse_args(int argc, char **argv, features_cmd *f)
{
    static const struct option opts[] = {
        ANALYSIS_LONGOPTS,
        {"out", required_argument, 0, OPT_OUT},
        {"output", required_argument, 0, 'o'},
        {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0},
    };
    int c, rc, handled;
    while ((c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
        if (c == 'h') {
            fputs(features_help, stdout);
            return -1;
        }
        if ((rc = analysis_option("features", &f->an.a, c, optarg, &handled)) != CLI_OK)
            return rc;
        if (handled) continue;
        if (c == OPT_OUT) f->out = optarg;
        else if (c == 'o') f->format = optarg;
        else return cli_usage("features", "unknown option");
    }
    if (optind < argc) return cli_usage("features", "unexpected argument '%s'", argv[optind]);
    return CLI_OK;
}

static int format_of(const features_cmd *f)
{
    const char *name = f->format;
    if (!name) {
        const char *dot = f->out ? strrchr(f->out, '.') : NULL;
        name = dot && (!strcmp(dot, ".jsonl") || !strcmp(dot, ".json")) ? "jsonl" : "csv";
    }
    if (!strcmp(name, "csv")) return FEATURES_CSV;
    if (!strcmp(name, "jsonl") || !strcmp(name, "json")) return FEATURES_JSONL;
    return -1;
}

static int write_rows(FILE *out, void *arg, c2_err *err)
{
    features_cmd *f = arg;
    return features_write(&f->t, out, (features_format)format_of(f), err);
}

static int run(features_cmd *f)
{
    detect_report rep;
    detect_hosts infected = {0};
    int rc = analysis_infected(&f->an, &infected, &rep);
    if (rc == CLI_OK && !f->an.a.quiet)
        fprintf(stderr, "c2flow features: %u infected hosts (method 1)\n", rep.infected);
    if (rc == CLI_OK) rc = analysis_features(&f->an, &infected, &f->t);
    detect_hosts_free(&infected);
    if (rc == CLI_OK) rc = analysis_write("features", f->out, C2_SHARED, write_rows, f);
    return rc;
}

int cmd_features(int argc, char **argv)
{
    features_cmd *f = calloc(1, sizeof *f);
    if (!f) return cli_error("features", "out of memory"), CLI_FAIL;
    f->an.cmd = "features";
    int rc = parse_args(argc, argv, f);
    if (rc == -1) rc = CLI_OK;
    else if (rc == CLI_OK && format_of(f) < 0)
        rc = cli_usage("features", "-o: unknown format '%s' (csv, jsonl)", f->format);
    else if (rc == CLI_OK && (rc = analysis_open(&f->an)) == CLI_OK)
        rc = run(f);
    feature_table_free(&f->t);
    analysis_close(&f->an);
    free(f);
    return rc;
}
