/*
 * cmd_lookback.c: `c2flow lookback`, the customer hosts that exchanged
 * flows with the servers of a C2 list in a window of the store
 * (src/lookback/, docs/lookback.md).  Its output holds customer addresses
 * and says so; the export command refuses it.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "c2list/c2list.h"
#include "cli/analysis.h"
#include "lookback/lookback.h"

static const char *const lookback_help =
    "usage: c2flow lookback --store DIR --list LIST --from TIME [--to TIME]\n"
    "                       [--internal PREFIXES | --targets FILE] [--leases FILE]\n"
    "                       [--out FILE] [options]\n"
    "\n"
    "Every customer host (or every address of --targets) that exchanged flows with\n"
    "a server (ip, port, proto) of a C2 list in [--from, --to): one row per host\n"
    "and server with the first and last contact, flows, packets and bytes.  The\n"
    "list may be the ISP's own or one from elsewhere (CSV or JSON Lines,\n"
    "docs/c2list.md).  THE OUTPUT HOLDS CUSTOMER ADDRESSES: it is marked internal,\n"
    "and c2flow export refuses it.\n"
    "\n"
    "  --list FILE           the C2 list to look for ('-' = stdin)\n"
    "  --from TIME           window start (2026-01-05, now-30d, ...)\n"
    "  --to TIME             window end (default: now)\n"
    "  --internal PREFIXES   the customer space, comma-separated ([detect] internal)\n"
    "  --internal-file FILE  ... or a file of prefixes ([detect] internal_file)\n"
    "  --targets FILE        only these addresses and prefixes (e.g. one customer's\n"
    "                        fixed addresses) instead of the customer space\n"
    "  --leases FILE         who held which address when (CSV: address,start,end,\n"
    "                        subscriber; '-' = stdin): one row per host, subscriber\n"
    "                        and server, with a subscriber column (empty when no\n"
    "                        lease covers the time): the notification list\n"
    "  --out FILE            write the rows here (default: standard output); the file\n"
    "                        is replaced only when the run succeeds\n"
    "  -o, --output FMT      csv or jsonl (default: from --out's extension, else csv)\n"
    "  --threads N           threads decoding the store (default: one per CPU, at most 4)\n"
    "  --quiet               no summary on stderr\n"
    CLI_STORE_HELP
    "  -h, --help            this text\n"
    "\n"
    "Exit status: 0 rows written (possibly none), 1 failure, 2 usage.\n"
    "See docs/lookback.md.\n";

enum {
    OPT_LIST = CLI_OPT_FIRST_COMMAND_OPT, OPT_FROM, OPT_TO, OPT_INTERNAL, OPT_INTERNAL_FILE,
    OPT_TARGETS, OPT_OUT, OPT_THREADS, OPT_QUIET, OPT_LEASES
};

typedef struct lookback_cmd {
    cli_store_args store;
    const char *list_path, *from, *to, *internal, *internal_file, *targets, *out, *format,
               *threads, *leases_path;
    int         quiet;
    c2_config   cfg;
    int64_t     from_ms, to_ms;
    c2list     *list;
    ipset      *hosts;
    store      *st;
    lookback_leases *leases;
    lookback_result res;
} lookback_cmd;

static int set_option(lookback_cmd *c, int opt, const char *arg)
{
    switch (opt) {
    case OPT_LIST: c->list_path = arg; return CLI_OK;
    case OPT_FROM: c->from = arg; return CLI_OK;
    case OPT_TO: c->to = arg; return CLI_OK;
    case OPT_INTERNAL: c->internal = arg; return CLI_OK;
    case OPT_INTERNAL_FILE: c->internal_file = arg; return CLI_OK;
    case OPT_TARGETS: c->targets = arg; return CLI_OK;
    case OPT_OUT: c->out = arg; return CLI_OK;
    case OPT_THREADS: c->threads = arg; return CLI_OK;
    case OPT_QUIET: c->quiet = 1; return CLI_OK;
    case OPT_LEASES: c->leases_path = arg; return CLI_OK;
    case 'o': c->format = arg; return CLI_OK;
    default: return cli_usage("lookback", "unknown option");
    }
}

static int parse_args(int argc, char **argv, lookback_cmd *c)
{
    static const struct option opts[] = {
        CLI_STORE_LONGOPTS,
        {"list", required_argument, 0, OPT_LIST},
        {"from", required_argument, 0, OPT_FROM},
        {"to", required_argument, 0, OPT_TO},
        {"internal", required_argument, 0, OPT_INTERNAL},
        {"internal-file", required_argument, 0, OPT_INTERNAL_FILE},
        {"targets", required_argument, 0, OPT_TARGETS},
        {"out", required_argument, 0, OPT_OUT},
        {"output", required_argument, 0, 'o'},
        {"threads", required_argument, 0, OPT_THREADS},
        {"quiet", no_argument, 0, OPT_QUIET},
        {"leases", required_argument, 0, OPT_LEASES},
        {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0},
    };
    int opt, rc;
    while ((opt = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
        if (cli_store_option(&c->store, opt, optarg)) continue;
        if (opt == 'h') {
            fputs(lookback_help, stdout);
            return -1;
        }
        if ((rc = set_option(c, opt, optarg)) != CLI_OK) return rc;
    }
    if (optind < argc) return cli_usage("lookback", "unexpected argument '%s'", argv[optind]);
    if (!c->list_path) return cli_usage("lookback", "give the C2 list with --list");
    if (!c->from) return cli_usage("lookback", "give the window start with --from");
    if (c->leases_path && !strcmp(c->leases_path, "-") && !strcmp(c->list_path, "-"))
        return cli_usage("lookback", "--list and --leases cannot both be stdin");
    if (c->format && strcmp(c->format, "csv") && strcmp(c->format, "jsonl"))
        return cli_usage("lookback", "-o: unknown format '%s' (csv, jsonl)", c->format);
    return CLI_OK;
}

/* The window, and the command line's customer space into the config. */
static int apply_args(lookback_cmd *c)
{
    c2_err err;
    int64_t now = c2_now_ms();
    c->to_ms = now;
    if (c2_time_parse(c->from, now, &c->from_ms, &err) != 0)
        return cli_usage("lookback", "--from: %s", err.msg);
    if (c->to && c2_time_parse(c->to, now, &c->to_ms, &err) != 0)
        return cli_usage("lookback", "--to: %s", err.msg);
    if (c->to_ms <= c->from_ms) return cli_usage("lookback", "--from must be before --to");
    if (c->internal) {
        c->cfg.detect.internal[0] = '\0';
        if (config_set(&c->cfg, "detect", "internal", c->internal, &err) != 0)
            return cli_usage("lookback", "--internal: %s", err.msg);
    }
    if (c->internal_file &&
        config_set(&c->cfg, "detect", "internal_file", c->internal_file, &err) != 0)
        return cli_usage("lookback", "--internal-file: %s", err.msg);
    if (c->threads && config_set(&c->cfg, "detect", "threads", c->threads, &err) != 0)
        return cli_usage("lookback", "--threads: %s", err.msg);
    return CLI_OK;
}

static int load_inputs(lookback_cmd *c)
{
    c2_err err;
    const config_detect *d = &c->cfg.detect;
    if (!c->targets && !d->internal[0] && !d->internal_files.n)
        return cli_usage("lookback", "give the customer space (--internal, [detect] internal) "
                         "or --targets");
    int rc = c2list_read_file(c->list_path, 0, &c->list, &err);
    if (rc == 0 && c->targets) {
        rc = ipset_new(&c->hosts, &err);
        if (rc == 0) rc = ipset_load_file(c->hosts, c->targets, &err);
        if (rc == 0) rc = ipset_build(c->hosts, &err);
    } else if (rc == 0) {
        rc = analysis_customer_space(d, &c->hosts, &err);
    }
    if (rc == 0 && c->leases_path)
        rc = lookback_leases_read_file(c->leases_path, 0, &c->leases, &err);
    if (rc != 0) {
        cli_error("lookback", "%s", err.msg);
        return CLI_FAIL;
    }
    return cli_open_store("lookback", &c->cfg, 0, &c->st);
}

static int write_rows(FILE *f, void *arg, c2_err *err)
{
    lookback_cmd *c = arg;
    const char *dot = c->out ? strrchr(c->out, '.') : NULL;
    int jsonl = c->format ? !strcmp(c->format, "jsonl")
                          : dot && (!strcmp(dot, ".jsonl") || !strcmp(dot, ".json"));
    return lookback_write(&c->res, f, jsonl ? LOOKBACK_JSONL : LOOKBACK_CSV, err);
}

static int run(lookback_cmd *c)
{
    c2_err err;
    int rc = load_inputs(c);
    if (rc != CLI_OK) return rc;
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    unsigned threads = c->cfg.detect.threads ? c->cfg.detect.threads
                       : cpus < 1 ? 1 : cpus > 4 ? 4 : (unsigned)cpus;
    lookback_input in = {.store = c->st, .list = c->list, .hosts = c->hosts,
                         .from_ms = c->from_ms, .to_ms = c->to_ms, .threads = threads,
                         .leases = c->leases};
    if (lookback_run(&in, &c->res, &err) != 0) {
        cli_error("lookback", "%s", err.msg);
        return CLI_FAIL;
    }
    if (!c->quiet)
        fprintf(stderr, "c2flow lookback: %zu listed servers; %llu records with one of them; "
                "%zu hosts, %zu host-server pairs (customer addresses: keep inside the ISP)\n",
                c2list_count(c->list), (unsigned long long)c->res.matched,
                lookback_hosts(&c->res), c->res.n);
    if (!c->quiet && c->leases)
        fprintf(stderr, "c2flow lookback: %zu leases; %zu rows with no lease covering the "
                "time (empty subscriber)\n", lookback_leases_count(c->leases), c->res.unleased);
    if (c->res.damaged)
        fprintf(stderr, "c2flow lookback: %llu damaged blocks skipped (c2flow check names "
                "them)\n", (unsigned long long)c->res.damaged);
    return analysis_write("lookback", c->out, C2_PRIVATE, write_rows, c);
}

int cmd_lookback(int argc, char **argv)
{
    lookback_cmd *c = calloc(1, sizeof *c);
    if (!c) return cli_error("lookback", "out of memory"), CLI_FAIL;
    int rc = parse_args(argc, argv, c);
    if (rc == -1) rc = CLI_OK;
    else if (rc == CLI_OK && (rc = cli_load_config("lookback", &c->store, &c->cfg)) == CLI_OK &&
             (rc = apply_args(c)) == CLI_OK)
        rc = run(c);
    lookback_result_free(&c->res);
    c2list_free(c->list);
    ipset_free(c->hosts);
    lookback_leases_free(c->leases);
    if (c->st) store_close(c->st);
    free(c);
    return rc;
}
