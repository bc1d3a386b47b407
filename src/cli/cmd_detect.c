/*
 * cmd_detect.c: `c2flow detect`, C2 servers found in the store and written
 * as a C2 list (docs/detect.md).  Gathers the customer space, allowlists
 * and intel files from the config and the command line, runs src/detect/,
 * and replaces the output file only when the run succeeded.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "c2list/c2list.h"
#include "cli/cli.h"
#include "detect/detect.h"
#include "intel/intel.h"
#include "ipset/ipset.h"

static const char *const detect_help =
    "usage: c2flow detect --store DIR --from TIME [--to TIME] [--method graph]\n"
    "                     [--internal PREFIXES] [--intel FILE]... [--out FILE] [options]\n"
    "\n"
    "Find C2 servers in the flows of [--from, --to) and write them as a C2 list\n"
    "(docs/c2list.md): ip, port, proto, first/last seen, score 0-100, group and\n"
    "evidence counts.  The list never holds a customer address.\n"
    "\n"
    "  --method graph        graph mining (the only method yet; docs/detect.md)\n"
    "  --from TIME           window start (2026-01-05, 2026-01-05T00:00:00Z, now-30d)\n"
    "  --to TIME             window end (default: now)\n"
    "  --internal PREFIXES   customer address space, comma-separated\n"
    "                        ([detect] internal; required here or there)\n"
    "  --internal-file FILE  ... or a file of prefixes, one a line ([detect] internal_file)\n"
    "  --allowlist FILE      addresses and prefixes never listed ([detect] allowlist)\n"
    "  --intel FILE          known bad servers: Feodo CSV, ThreatFox CSV, plain\n"
    "                        ip[:port] lines ([detect] intel); repeatable\n"
    "  --out FILE            write the list here (default: standard output); the file\n"
    "                        is replaced only when the run succeeds\n"
    "  -o, --output FMT      csv or jsonl (default: from --out's extension, else csv)\n"
    "  --incremental         keep day summaries and reuse those still valid, so a\n"
    "                        daily run reads only the newest day\n"
    "  --summaries DIR       where day summaries live ([detect] summaries,\n"
    "                        default STORE/summaries)\n"
    "  --threads N           threads reading days; a lone day is split between them\n"
    "                        ([detect] threads, default: one per CPU, at most 4)\n"
    "  --set KEY=VALUE       a [detect] threshold (scan_pps=5, min_score=60, ...)\n"
    "  --quiet               no progress or summary on stderr\n"
    CLI_STORE_HELP
    "  -h, --help            this text\n"
    "\n"
    "Exit status: 0 list written (possibly empty), 1 failure, 2 usage.\n"
    "See docs/detect.md.\n";

enum {
    OPT_METHOD = CLI_OPT_FIRST_COMMAND_OPT, OPT_FROM, OPT_TO, OPT_INTERNAL, OPT_INTERNAL_FILE,
    OPT_ALLOWLIST, OPT_INTEL, OPT_OUT, OPT_INCREMENTAL, OPT_SUMMARIES, OPT_THREADS, OPT_SET,
    OPT_QUIET
};

#define MAX_SETS 64

typedef struct detect_args {
    cli_store_args store;
    const char *from, *to, *out, *format, *internal, *summaries, *threads;
    const char *internal_file[CONFIG_MAX_FILES], *allow[CONFIG_MAX_FILES],
               *intel[CONFIG_MAX_FILES], *sets[MAX_SETS];
    int n_internal_file, n_allow, n_intel, n_sets, incremental, quiet;
} detect_args;

static int add_arg(const char **arr, int *n, int max, const char *v, const char *opt)
{
    if (*n == max) return cli_usage("detect", "%s: at most %d", opt, max);
    arr[(*n)++] = v;
    return CLI_OK;
}

static int set_option(detect_args *a, int c, const char *arg)
{
    switch (c) {
    case OPT_METHOD:
        if (strcmp(arg, "graph") != 0)
            return cli_usage("detect", "--method: '%s' is not available (graph)", arg);
        return CLI_OK;
    case OPT_FROM: a->from = arg; return CLI_OK;
    case OPT_TO: a->to = arg; return CLI_OK;
    case OPT_INTERNAL: a->internal = arg; return CLI_OK;
    case OPT_INTERNAL_FILE:
        return add_arg(a->internal_file, &a->n_internal_file, CONFIG_MAX_FILES, arg,
                       "--internal-file");
    case OPT_ALLOWLIST:
        return add_arg(a->allow, &a->n_allow, CONFIG_MAX_FILES, arg, "--allowlist");
    case OPT_INTEL: return add_arg(a->intel, &a->n_intel, CONFIG_MAX_FILES, arg, "--intel");
    case OPT_SET: return add_arg(a->sets, &a->n_sets, MAX_SETS, arg, "--set");
    case OPT_OUT: a->out = arg; return CLI_OK;
    case 'o': a->format = arg; return CLI_OK;
    case OPT_INCREMENTAL: a->incremental = 1; return CLI_OK;
    case OPT_SUMMARIES: a->summaries = arg; return CLI_OK;
    case OPT_THREADS: a->threads = arg; return CLI_OK;
    case OPT_QUIET: a->quiet = 1; return CLI_OK;
    default: return cli_usage("detect", "unknown option");
    }
}

static int parse_args(int argc, char **argv, detect_args *a)
{
    static const struct option opts[] = {
        CLI_STORE_LONGOPTS,
        {"method", required_argument, 0, OPT_METHOD},
        {"from", required_argument, 0, OPT_FROM},
        {"to", required_argument, 0, OPT_TO},
        {"internal", required_argument, 0, OPT_INTERNAL},
        {"internal-file", required_argument, 0, OPT_INTERNAL_FILE},
        {"allowlist", required_argument, 0, OPT_ALLOWLIST},
        {"intel", required_argument, 0, OPT_INTEL},
        {"out", required_argument, 0, OPT_OUT},
        {"output", required_argument, 0, 'o'},
        {"incremental", no_argument, 0, OPT_INCREMENTAL},
        {"summaries", required_argument, 0, OPT_SUMMARIES},
        {"threads", required_argument, 0, OPT_THREADS},
        {"set", required_argument, 0, OPT_SET},
        {"quiet", no_argument, 0, OPT_QUIET},
        {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0},
    };
    int c, rc;
    while ((c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
        if (cli_store_option(&a->store, c, optarg)) continue;
        if (c == 'h') {
            fputs(detect_help, stdout);
            return -1;
        }
        if ((rc = set_option(a, c, optarg)) != CLI_OK) return rc;
    }
    if (optind < argc) return cli_usage("detect", "unexpected argument '%s'", argv[optind]);
    if (!a->from) return cli_usage("detect", "give the window start with --from");
    return CLI_OK;
}

/* Command-line values into the config, checked as the file's would be. */
static int apply_args(const detect_args *a, c2_config *cfg)
{
    c2_err err;
    struct { const char *key; const char *const *v; int n; } lists[] = {
        {"internal_file", a->internal_file, a->n_internal_file},
        {"allowlist", a->allow, a->n_allow},
        {"intel", a->intel, a->n_intel},
    };
    if (a->internal) {
        cfg->detect.internal[0] = '\0';     /* the command line replaces the file's */
        if (config_set(cfg, "detect", "internal", a->internal, &err) != 0)
            return cli_usage("detect", "--internal: %s", err.msg);
    }
    for (size_t l = 0; l < sizeof lists / sizeof lists[0]; l++)
        for (int i = 0; i < lists[l].n; i++)
            if (config_set(cfg, "detect", lists[l].key, lists[l].v[i], &err) != 0)
                return cli_usage("detect", "--%s: %s", lists[l].key, err.msg);
    if (a->summaries && config_set(cfg, "detect", "summaries", a->summaries, &err) != 0)
        return cli_usage("detect", "--summaries: %s", err.msg);
    if (a->threads && config_set(cfg, "detect", "threads", a->threads, &err) != 0)
        return cli_usage("detect", "--threads: %s", err.msg);
    for (int i = 0; i < a->n_sets; i++) {
        char key[64];
        const char *eq = strchr(a->sets[i], '=');
        size_t n = eq ? (size_t)(eq - a->sets[i]) : 0;
        if (!eq || !n || n >= sizeof key)
            return cli_usage("detect", "--set: expected KEY=VALUE, got '%s'", a->sets[i]);
        memcpy(key, a->sets[i], n);
        key[n] = '\0';
        if (!strcmp(key, "internal") || !strcmp(key, "summaries") || !strcmp(key, "threads"))
            return cli_usage("detect", "--set %s: not a threshold; use --%s", key, key);
        if (config_set(cfg, "detect", key, eq + 1, &err) != 0)
            return cli_usage("detect", "--set %s: %s", key, err.msg);
    }
    return CLI_OK;
}

typedef struct detect_run {
    detect_args  a;
    c2_config    cfg;
    store       *store;
    ipset       *internal, *allow;
    intel_set   *intel;
    c2list      *list;
    char         summaries[CONFIG_PATH_LEN + 16];
} detect_run;

static int load_sets(detect_run *r)
{
    c2_err err;
    const config_detect *d = &r->cfg.detect;
    if (!d->internal[0] && !d->internal_files.n)
        return cli_usage("detect", "no customer address space: give --internal or "
                         "set [detect] internal in the config");
    if (ipset_new(&r->internal, &err) != 0 || ipset_new(&r->allow, &err) != 0 ||
        intel_new(&r->intel, &err) != 0)
        goto fail;
    for (const char *p = d->internal; *p;) {
        char item[256];
        size_t n = strcspn(p, ",");
        snprintf(item, sizeof item, "%.*s", (int)n, p);
        if (ipset_add_text(r->internal, item, &err) != 0) goto fail;
        p += n + (p[n] == ',');
    }
    for (size_t i = 0; i < d->internal_files.n; i++)
        if (ipset_load_file(r->internal, d->internal_files.path[i], &err) != 0) goto fail;
    for (size_t i = 0; i < d->allowlists.n; i++)
        if (ipset_load_file(r->allow, d->allowlists.path[i], &err) != 0) goto fail;
    if (ipset_build(r->internal, &err) != 0 || ipset_build(r->allow, &err) != 0) goto fail;
    for (size_t i = 0; i < d->intel.n; i++) {
        intel_stats st;
        if (intel_load_file(r->intel, d->intel.path[i], INTEL_AUTO, &st, &err) != 0) goto fail;
        if (st.bad && !r->a.quiet)
            fprintf(stderr, "c2flow detect: %s: %llu bad rows skipped (line %llu: %s)\n",
                    d->intel.path[i], (unsigned long long)st.bad,
                    (unsigned long long)st.first_bad_line, st.first_bad);
    }
    return CLI_OK;
fail:
    cli_error("detect", "%s", err.msg);
    return CLI_FAIL;
}

static void progress(const char *line, void *arg)
{
    (void)arg;
    fprintf(stderr, "c2flow detect: %s\n", line);
}

static void print_report(const detect_report *r, size_t rows)
{
    fprintf(stderr,
            "c2flow detect: %u days (%u from summaries), %llu records, %llu customer hosts\n"
            "c2flow detect: infected hosts %u (scanning %u, known bad servers %u, floods %u); "
            "flood targets %u\n"
            "c2flow detect: graph %u hosts, %u servers, %u edges; modularity %.3f\n"
            "c2flow detect: %u candidates scored, %zu listed; %u groups\n",
            r->days, r->days_cached, (unsigned long long)r->records,
            (unsigned long long)r->active_hosts, r->infected, r->infected_scan,
            r->infected_intel, r->infected_burst, r->burst_targets, r->graph_hosts,
            r->graph_dests, r->graph_edges, r->modularity, r->candidates, rows, r->groups);
    if (r->damaged)
        fprintf(stderr, "c2flow detect: %llu damaged blocks skipped (c2flow check names them)\n",
                (unsigned long long)r->damaged);
}

static int list_format(const detect_args *a)
{
    if (a->format) return c2list_format_lookup(a->format);
    const char *dot = a->out ? strrchr(a->out, '.') : NULL;
    return dot && (!strcmp(dot, ".jsonl") || !strcmp(dot, ".json")) ? C2LIST_JSONL : C2LIST_CSV;
}

/* Into memory first: a failed run leaves the old file in place. */
static int write_list(detect_run *r, int fmt)
{
    c2_err err;
    char *buf = NULL;
    size_t len = 0;
    c2list_sort(r->list);
    if (!r->a.out || !strcmp(r->a.out, "-"))
        return c2list_write(r->list, stdout, (c2list_format)fmt, &err) == 0 &&
               fflush(stdout) == 0 ? CLI_OK : CLI_FAIL;
    FILE *m = open_memstream(&buf, &len);
    int rc = m && c2list_write(r->list, m, (c2list_format)fmt, &err) == 0 ? 0 : -1;
    if (m && fclose(m) != 0) rc = -1;
    if (rc == 0) rc = c2_file_replace(r->a.out, buf, len, &err);
    else c2_fail(&err, "out of memory");
    free(buf);
    if (rc != 0) cli_error("detect", "%s", err.msg);
    return rc == 0 ? CLI_OK : CLI_FAIL;
}

static int run(detect_run *r)
{
    c2_err err;
    detect_input in = {0};
    int64_t now = c2_now_ms();
    int fmt = list_format(&r->a);
    if (fmt < 0) return cli_usage("detect", "-o: unknown format '%s' (csv, jsonl)", r->a.format);
    in.to_ms = now;
    if (c2_time_parse(r->a.from, now, &in.from_ms, &err) != 0)
        return cli_usage("detect", "--from: %s", err.msg);
    if (r->a.to && c2_time_parse(r->a.to, now, &in.to_ms, &err) != 0)
        return cli_usage("detect", "--to: %s", err.msg);
    if (in.to_ms <= in.from_ms) return cli_usage("detect", "--from must be before --to");
    int rc = load_sets(r);
    if (rc != CLI_OK) return rc;
    if ((rc = cli_open_store("detect", &r->cfg, 0, &r->store)) != CLI_OK) return rc;
    const config_detect *d = &r->cfg.detect;
    if (d->summaries[0]) snprintf(r->summaries, sizeof r->summaries, "%s", d->summaries);
    else snprintf(r->summaries, sizeof r->summaries, "%.*s/summaries", CONFIG_PATH_LEN,
                  store_path(r->store));
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    in.store = r->store;
    in.internal = r->internal;
    in.allow = r->allow;
    in.intel = intel_count(r->intel) ? r->intel : NULL;
    in.params = d->params;
    in.summary_dir = r->summaries;
    in.incremental = r->a.incremental;
    in.threads = d->threads ? d->threads : cpus < 1 ? 1 : cpus > 4 ? 4 : (unsigned)cpus;
    in.progress = r->a.quiet ? NULL : progress;
    detect_report rep;
    if (!(r->list = c2list_new())) return cli_error("detect", "out of memory"), CLI_FAIL;
    if (detect_graph(&in, r->list, &rep, &err) != 0) {
        cli_error("detect", "%s", err.msg);
        return CLI_FAIL;
    }
    if (!r->a.quiet) print_report(&rep, c2list_count(r->list));
    if (rep.days_unsaved)           /* a warning, printed even with --quiet */
        fprintf(stderr, "c2flow detect: warning: %u day summaries not kept (%s); the next "
                "run reads those days again\n", rep.days_unsaved, rep.unsaved_reason);
    return write_list(r, fmt);
}

int cmd_detect(int argc, char **argv)
{
    detect_run *r = calloc(1, sizeof *r);
    if (!r) return cli_error("detect", "out of memory"), CLI_FAIL;
    int rc = parse_args(argc, argv, &r->a);
    if (rc == -1) rc = CLI_OK;
    else if (rc == CLI_OK && (rc = cli_load_config("detect", &r->a.store, &r->cfg)) == CLI_OK &&
             (rc = apply_args(&r->a, &r->cfg)) == CLI_OK)
        rc = run(r);
    c2list_free(r->list);
    intel_free(r->intel);
    ipset_free(r->internal);
    ipset_free(r->allow);
    if (r->store) store_close(r->store);
    free(r);
    return rc;
}
