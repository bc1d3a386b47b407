/*
 * cmd_detect.c: `c2flow detect`, C2 servers found in the store and written
 * as a C2 list (docs/detect.md, docs/train.md).  Method 1 (graph mining,
 * src/detect/), method 2 (a trained model over feature rows, src/learn/),
 * or both merged; the output file is replaced only when the run succeeded.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "c2list/c2list.h"
#include "cli/analysis.h"
#include "history/history.h"
#include "learn/learn.h"
#include "model/model.h"

static const char *const detect_help =
    "usage: c2flow detect --store DIR --from TIME [--to TIME] [--method graph|ml|both]\n"
    "                     [--internal PREFIXES] [--intel FILE]... [--model FILE]\n"
    "                     [--out FILE] [options]\n"
    "\n"
    "Find C2 servers in the flows of [--from, --to) and write them as a C2 list\n"
    "(docs/c2list.md): ip, port, proto, first/last seen, score 0-100, method, group,\n"
    "evidence counts, and the malware family when an --intel entry names one.  The\n"
    "list never holds a customer address.\n"
    "\n"
    "  --method M            graph: graph mining (default; docs/detect.md)\n"
    "                        ml: the model of 'c2flow train' over feature rows\n"
    "                        both: the two merged, each row naming who found it\n"
    "                        (docs/train.md)\n"
    "  --model FILE          the trained model, for ml and both ([detect] model)\n"
    "  --out FILE            write the list here (default: standard output); the file\n"
    "                        is replaced only when the run succeeds\n"
    "  -o, --output FMT      csv or jsonl (default: from --out's extension, else csv)\n"
    "  --oneoff-out FILE     also write the servers graph mining left out as one-off\n"
    "                        (report and download servers: malicious, not C2; method\n"
    "                        oneoff), csv or jsonl by the extension; graph and both\n"
    ANALYSIS_HELP
    "  -h, --help            this text\n"
    "\n"
    "Exit status: 0 list written (possibly empty), 1 failure, 2 usage.\n"
    "See docs/detect.md and docs/train.md.\n";

enum { OPT_METHOD = AN_OPT_FIRST_COMMAND_OPT, OPT_MODEL, OPT_OUT, OPT_ONEOFF_OUT };
enum { METHOD_GRAPH, METHOD_ML, METHOD_BOTH };

typedef struct detect_cmd {
    analysis    an;
    int         method;
    const char *model_path, *out, *format, *oneoff_out;
    c2list     *list;
    c2list     *oneoff;          /* graph mining's one-off servers (both, --oneoff-out) */
} detect_cmd;

static int set_option(detect_cmd *d, int c, const char *arg)
{
    switch (c) {
    case OPT_METHOD:
        if (!strcmp(arg, "graph")) d->method = METHOD_GRAPH;
        else if (!strcmp(arg, "ml")) d->method = METHOD_ML;
        else if (!strcmp(arg, "both")) d->method = METHOD_BOTH;
        else return cli_usage("detect", "--method: '%s' is not graph, ml or both", arg);
        return CLI_OK;
    case OPT_MODEL: d->model_path = arg; return CLI_OK;
    case OPT_OUT: d->out = arg; return CLI_OK;
    case OPT_ONEOFF_OUT: d->oneoff_out = arg; return CLI_OK;
    case 'o': d->format = arg; return CLI_OK;
    default: return cli_usage("detect", "unknown option");
    }
}

static int parse_args(int argc, char **argv, detect_cmd *d)
{
    static const struct option opts[] = {
        ANALYSIS_LONGOPTS,
        {"method", required_argument, 0, OPT_METHOD},
        {"model", required_argument, 0, OPT_MODEL},
        {"out", required_argument, 0, OPT_OUT},
        {"oneoff-out", required_argument, 0, OPT_ONEOFF_OUT},
        {"output", required_argument, 0, 'o'},
        {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0},
    };
    int c, rc, handled;
    while ((c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
        if (c == 'h') {
            fputs(detect_help, stdout);
            return -1;
        }
        if ((rc = analysis_option("detect", &d->an.a, c, optarg, &handled)) != CLI_OK) return rc;
        if (!handled && (rc = set_option(d, c, optarg)) != CLI_OK) return rc;
    }
    if (optind < argc) return cli_usage("detect", "unexpected argument '%s'", argv[optind]);
    return CLI_OK;
}

static void print_graph_report(const detect_report *r)
{
    fprintf(stderr,
            "c2flow detect: %u days (%u from summaries), %llu records, %llu customer hosts\n"
            "c2flow detect: infected hosts %u (scanning %u, known bad servers %u, floods %u); "
            "flood targets %u\n"
            "c2flow detect: graph %u hosts, %u servers, %u edges; modularity %.3f\n"
            "c2flow detect: %u candidates scored, %u listed; %u groups; %u one-off servers "
            "left out\n",
            r->days, r->days_cached, (unsigned long long)r->records,
            (unsigned long long)r->active_hosts, r->infected, r->infected_scan,
            r->infected_intel, r->infected_burst, r->burst_targets, r->graph_hosts,
            r->graph_dests, r->graph_edges, r->modularity, r->candidates, r->listed, r->groups,
            r->oneoff);
    if (r->damaged)
        fprintf(stderr, "c2flow detect: %llu damaged blocks skipped (c2flow check names them)\n",
                (unsigned long long)r->damaged);
    if (r->days_unsaved)           /* a warning, printed even with --quiet */
        fprintf(stderr, "c2flow detect: warning: %u day summaries not kept (%s); the next "
                "run reads those days again\n", r->days_unsaved, r->unsaved_reason);
}

/* JSON Lines for a .jsonl or .json path, else CSV. */
static int format_of_path(const char *path)
{
    const char *dot = path ? strrchr(path, '.') : NULL;
    return dot && (!strcmp(dot, ".jsonl") || !strcmp(dot, ".json")) ? C2LIST_JSONL : C2LIST_CSV;
}

static int list_format(const detect_cmd *d)
{
    return d->format ? c2list_format_lookup(d->format) : format_of_path(d->out);
}

/* Method 1 into out (NULL: its infected hosts only); with keep_all every
 * scored candidate (for merging), and its one-off servers into oneoff;
 * infected (NULL: not wanted) gets the window's infected hosts, which
 * method 2 needs: one reading of the days serves both. */
static int run_graph(detect_cmd *d, int keep_all, c2list *out, c2list *oneoff,
                     detect_hosts *infected)
{
    c2_err err;
    detect_report rep;
    detect_input in = d->an.in;
    if (keep_all) in.params.min_score = 0;
    in.oneoff = oneoff;
    if (detect_run(&in, out, infected, &rep, &err) != 0) {
        cli_error("detect", "%s", err.msg);
        return CLI_FAIL;
    }
    if (out && (!d->an.a.quiet || rep.days_unsaved)) print_graph_report(&rep);
    else if (!out && rep.days_unsaved)
        fprintf(stderr, "c2flow detect: warning: %u day summaries not kept (%s); the next "
                "run reads those days again\n", rep.days_unsaved, rep.unsaved_reason);
    return CLI_OK;
}

/* Method 2 into out: feature rows of the window and the model's scores. */
static int run_ml(detect_cmd *d, const c2_model *m, double min_score,
                  const detect_hosts *infected, c2list *out)
{
    c2_err err;
    feature_table t = {0};
    float *prob = NULL;
    int rc = analysis_features(&d->an, infected, &t);
    if (rc == CLI_OK && !(prob = malloc((t.n ? t.n : 1) * sizeof *prob)))
        rc = CLI_FAIL, cli_error("detect", "out of memory");
    if (rc == CLI_OK && (learn_predict(m, &t, prob, &err) != 0 ||
                         learn_list(&t, prob, d->an.allow, min_score, out, &err) != 0))
        rc = CLI_FAIL, cli_error("detect", "%s", err.msg);
    if (rc == CLI_OK && !d->an.a.quiet)
        fprintf(stderr, "c2flow detect: model: %zu infected hosts, %zu servers scored at least "
                "%g\n", infected->n, c2list_count(out), min_score);
    free(prob);
    feature_table_free(&t);
    return rc;
}

/* --method both: the two lists merged into d->list (docs/train.md). */
static int merge_methods(detect_cmd *d, const c2list *g, const c2list *ml,
                         const c2list *oneoff)
{
    const detect_params *p = &d->an.in.params;
    /* a hub needs twice the infected clients that make a candidate */
    const learn_merge_rule rule = {p->min_score, p->ml_veto_score, p->ml_hub_share,
                                   2 * p->min_infected, oneoff};
    learn_merge_report rep;
    c2_err err;
    if (learn_merge(g, ml, &rule, d->list, &rep, &err) != 0) {
        cli_error("detect", "%s", err.msg);
        return CLI_FAIL;
    }
    if (!d->an.a.quiet)
        fprintf(stderr, "c2flow detect: both: %zu graph candidates, %zu scored by the model, "
                "%zu listed; of graph mining's own listing the model vetoed %zu, not %zu "
                "hubs of their group; of the model's, %zu one-off servers left out\n",
                c2list_count(g), c2list_count(ml), c2list_count(d->list), rep.vetoed,
                rep.hubs, rep.oneoff);
    return CLI_OK;
}

static int run_methods(detect_cmd *d, const c2_model *m)
{
    detect_hosts infected = {0};
    c2list *g = d->method == METHOD_BOTH ? c2list_new() : NULL;
    c2list *ml = d->method == METHOD_BOTH ? c2list_new() : d->list;
    int rc = ml && (g || d->method != METHOD_BOTH)
                 ? CLI_OK
                 : (cli_error("detect", "out of memory"), CLI_FAIL);
    if (rc == CLI_OK) rc = run_graph(d, 1, g, d->oneoff, &infected);
    if (rc == CLI_OK && d->method == METHOD_ML)
        rc = run_ml(d, m, d->an.in.params.ml_min_score, &infected, ml);
    if (rc == CLI_OK && d->method == METHOD_BOTH)
        rc = run_ml(d, m, 0.0, &infected, ml);         /* every server it scored */
    if (rc == CLI_OK && d->method == METHOD_BOTH) rc = merge_methods(d, g, ml, d->oneoff);
    if (d->method == METHOD_BOTH) {
        c2list_free(g);
        c2list_free(ml);
    }
    detect_hosts_free(&infected);
    return rc;
}

static int write_list(FILE *f, void *arg, c2_err *err)
{
    detect_cmd *d = arg;
    return c2list_write(d->list, f, (c2list_format)list_format(d), err);
}

static int write_oneoff(FILE *f, void *arg, c2_err *err)
{
    detect_cmd *d = arg;
    return c2list_write(d->oneoff, f, (c2list_format)format_of_path(d->oneoff_out), err);
}

/* The run's list into the store's history (src/history/): a list that
 * cannot be kept (a read-only store) is a warning, the run's output stands. */
static void keep_list(detect_cmd *d)
{
    static const char *const names[] = {"graph", "ml", "both"};
    char dir[CONFIG_PATH_LEN + 16];
    c2_err err;
    snprintf(dir, sizeof dir, "%.*s/lists", CONFIG_PATH_LEN, store_path(d->an.store));
    if (history_save(dir, d->list, d->an.in.to_ms, names[d->method], &err) != 0)
        fprintf(stderr, "c2flow detect: warning: the list is not kept in the store: %s\n",
                err.msg);
}

static int run(detect_cmd *d)
{
    c2_err err;
    if (list_format(d) < 0) return cli_usage("detect", "-o: unknown format '%s' (csv, jsonl)",
                                             d->format);
    const char *path = d->model_path ? d->model_path : d->an.cfg.detect.model;
    if (d->method != METHOD_GRAPH && !path[0])
        return cli_usage("detect", "--method %s needs a model: give --model or set [detect] "
                         "model", d->method == METHOD_ML ? "ml" : "both");
    if (d->oneoff_out && d->method == METHOD_ML)
        return cli_usage("detect", "--oneoff-out: one-off servers are graph mining's; use "
                         "--method graph or both");
    c2_model *m = NULL;
    if (d->method != METHOD_GRAPH && (model_load(path, &m, &err) != 0 ||
                                      model_set_threads(m, d->an.in.threads, &err) != 0)) {
        cli_error("detect", "%s", err.msg);
        model_free(m);
        return CLI_FAIL;
    }
    int rc = CLI_OK;
    int want_oneoff = d->oneoff_out || d->method == METHOD_BOTH;
    if (!(d->list = c2list_new()) || (want_oneoff && !(d->oneoff = c2list_new())))
        rc = CLI_FAIL, cli_error("detect", "out of memory");
    else if (d->method == METHOD_GRAPH) rc = run_graph(d, 0, d->list, d->oneoff, NULL);
    else rc = run_methods(d, m);
    model_free(m);
    if (rc != CLI_OK) return rc;
    detect_name_families(d->list, d->an.in.intel, d->an.in.to_ms - 1);
    c2list_sort(d->list);
    rc = analysis_write("detect", d->out, C2_SHARED, write_list, d);
    if (rc == CLI_OK) keep_list(d);
    if (rc == CLI_OK && d->oneoff_out) {
        detect_name_families(d->oneoff, d->an.in.intel, d->an.in.to_ms - 1);
        c2list_sort(d->oneoff);
        rc = analysis_write("detect", d->oneoff_out, C2_SHARED, write_oneoff, d);
    }
    return rc;
}

int cmd_detect(int argc, char **argv)
{
    detect_cmd *d = calloc(1, sizeof *d);
    if (!d) return cli_error("detect", "out of memory"), CLI_FAIL;
    d->an.cmd = "detect";
    int rc = parse_args(argc, argv, d);
    if (rc == -1) rc = CLI_OK;
    else if (rc == CLI_OK && (rc = analysis_open(&d->an)) == CLI_OK)
        rc = run(d);
    c2list_free(d->list);
    c2list_free(d->oneoff);
    analysis_close(&d->an);
    free(d);
    return rc;
}
