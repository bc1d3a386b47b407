/*
 * cmd_eval.c: `c2flow eval`, a C2 list scored against the simulator's
 * truth file (docs/eval.md).  Reads the truth, the list, a feed and the
 * files of known servers to exclude, calls src/eval/, prints.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "c2list/c2list.h"
#include "cli/cli.h"
#include "eval/eval.h"
#include "intel/intel.h"

static const char *const eval_help =
    "usage: c2flow eval --truth FILE --list FILE [--feed FILE] [--from TIME] [--at TIME]\n"
    "                   [--min-bots N] [--exclude FILE]... [--curve]\n"
    "                   [-o table|json|csv]\n"
    "\n"
    "Score a C2 list (CSV or JSON Lines, docs/c2list.md) against the truth file\n"
    "of 'c2flow simulate': TP/FP/FN, precision and recall per server and per IP,\n"
    "recall per family and per number of bots, lead time after a server's birth,\n"
    "and how much earlier than the threat feed servers were listed.\n"
    "\n"
    "  --truth FILE          truth.json written by c2flow simulate ('-' = stdin)\n"
    "  --list FILE           the C2 list to score ('-' = stdin)\n"
    "  --feed FILE           threat feed giving listing dates (Feodo Tracker CSV,\n"
    "                        ThreatFox CSV or plain; default: the truth's feed_listed)\n"
    "  --from TIME           count only C2 alive at some time from TIME on (the\n"
    "                        detection window's start; default: the truth's start)\n"
    "  --at TIME             score as of TIME (default: the truth's end): rows first\n"
    "                        seen later are ignored, C2 born later are not counted\n"
    "  --min-bots N          count only C2 with at least N bots (default 0)\n"
    "  --exclude FILE        known servers not to score (repeatable): C2 servers\n"
    "                        matching one are neither TP nor FN, rows on them are\n"
    "                        ignored; a C2 list (CSV, JSON Lines), or a Feodo\n"
    "                        Tracker CSV, ThreatFox CSV or plain ip / ip:port list\n"
    "                        (an entry without a port excludes every port)\n"
    "  --curve               add precision and recall per server over the rows\n"
    "                        scored at least 0, 5, ..., 100\n"
    "  -o, --output FMT      table (default), json, csv (metric,value rows)\n"
    "  -h, --help            this text\n"
    "\n"
    "Exit status: 0 scored, 1 unreadable or bad input file, 2 usage.\n"
    "See docs/eval.md.\n";

enum {
    OPT_TRUTH = CLI_OPT_FIRST_COMMAND_OPT, OPT_LIST, OPT_FEED, OPT_AT, OPT_MIN_BOTS,
    OPT_EXCLUDE, OPT_CURVE, OPT_FROM
};

typedef struct eval_args {
    const char  *truth, *list, *feed;
    const char **exclude;           /* n_exclude paths, borrowed from argv */
    int          n_exclude;
    int64_t      from;              /* 0 unless --from */
    int64_t      at;                /* EVAL_AT_END unless --at */
    uint32_t     min_bots;
    int          curve;
    eval_format  fmt;
} eval_args;

static int parse_args(int argc, char **argv, eval_args *a)
{
    static const struct option opts[] = {
        {"truth", required_argument, 0, OPT_TRUTH},
        {"list", required_argument, 0, OPT_LIST},
        {"feed", required_argument, 0, OPT_FEED},
        {"from", required_argument, 0, OPT_FROM},
        {"at", required_argument, 0, OPT_AT},
        {"min-bots", required_argument, 0, OPT_MIN_BOTS},
        {"exclude", required_argument, 0, OPT_EXCLUDE},
        {"curve", no_argument, 0, OPT_CURVE},
        {"output", required_argument, 0, 'o'},
        {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0},
    };
    int c, fmt;
    uint64_t n;
    c2_err err;
    while ((c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
        switch (c) {
        case OPT_TRUTH: a->truth = optarg; break;
        case OPT_LIST: a->list = optarg; break;
        case OPT_FEED: a->feed = optarg; break;
        case OPT_EXCLUDE: a->exclude[a->n_exclude++] = optarg; break;
        case OPT_CURVE: a->curve = 1; break;
        case OPT_FROM:
            if (c2_time_parse(optarg, c2_now_ms(), &a->from, &err) != 0)
                return cli_usage("eval", "--from: %s", err.msg);
            break;
        case OPT_AT:
            if (c2_time_parse(optarg, c2_now_ms(), &a->at, &err) != 0)
                return cli_usage("eval", "--at: %s", err.msg);
            break;
        case OPT_MIN_BOTS:
            if (c2_u64_parse(optarg, UINT32_MAX, &n) != 0)
                return cli_usage("eval", "--min-bots: '%s' is not a number", optarg);
            a->min_bots = (uint32_t)n;
            break;
        case 'o':
            if ((fmt = eval_format_lookup(optarg)) < 0)
                return cli_usage("eval", "-o: unknown format '%s' (table, json, csv)", optarg);
            a->fmt = (eval_format)fmt;
            break;
        case 'h': fputs(eval_help, stdout); return -1;
        default: return cli_usage("eval", "unknown option");
        }
    }
    if (optind < argc) return cli_usage("eval", "unexpected argument '%s'", argv[optind]);
    if (!a->truth || !a->list) return cli_usage("eval", "--truth and --list are required");
    int stdin_users = !strcmp(a->truth, "-") + !strcmp(a->list, "-") +
                      (a->feed && !strcmp(a->feed, "-"));
    for (int i = 0; i < a->n_exclude; i++) stdin_users += !strcmp(a->exclude[i], "-");
    if (stdin_users > 1) return cli_usage("eval", "only one input can be stdin ('-')");
    return CLI_OK;
}

static int load_feed(const char *path, intel_set **feed)
{
    intel_stats st;
    c2_err err;
    if (intel_new(feed, &err) != 0 || intel_load_file(*feed, path, INTEL_AUTO, &st, &err) != 0) {
        cli_error("eval", "%s", err.msg);
        return CLI_FAIL;
    }
    cli_warn_bad_rows("eval", path, &st);
    return CLI_OK;
}

/* Every --exclude file into one set; warns of skipped rows as --feed does. */
static int load_exclude(const eval_args *a, intel_set **set)
{
    intel_stats st;
    c2_err err;
    if (intel_new(set, &err) != 0) {
        cli_error("eval", "%s", err.msg);
        return CLI_FAIL;
    }
    for (int i = 0; i < a->n_exclude; i++) {
        const char *path = a->exclude[i];
        if (eval_exclude_load_file(*set, path, &st, &err) != 0) {
            cli_error("eval", "--exclude %s", err.msg);
            return CLI_FAIL;
        }
        cli_warn_bad_rows("eval", path, &st);
    }
    return CLI_OK;
}

static int load_sets(const eval_args *a, intel_set **feed, intel_set **exclude)
{
    if (a->feed && load_feed(a->feed, feed) != CLI_OK) return CLI_FAIL;
    if (a->n_exclude && load_exclude(a, exclude) != CLI_OK) return CLI_FAIL;
    return CLI_OK;
}

static int score(const eval_args *a, const eval_truth *truth, const c2list *list,
                 const intel_set *feed, const intel_set *exclude)
{
    eval_options opt = {.from = a->from, .at = a->at, .min_bots = a->min_bots, .feed = feed,
                        .exclude = exclude, .curve = a->curve};
    eval_result res;
    c2_err err;
    if (eval_run(truth, list, &opt, &res, &err) != 0) {
        cli_error("eval", "%s", err.msg);
        return CLI_FAIL;
    }
    int rc = eval_write(&res, stdout, a->fmt, &err);
    eval_result_free(&res);
    if (rc != 0) {
        cli_error("eval", "%s", err.msg);
        return CLI_FAIL;
    }
    return CLI_OK;
}

int cmd_eval(int argc, char **argv)
{
    eval_args a = {.fmt = EVAL_TABLE, .at = EVAL_AT_END};
    a.exclude = calloc((size_t)argc + 1, sizeof *a.exclude);   /* any argument may be one */
    if (!a.exclude) {
        cli_error("eval", "out of memory");
        return CLI_FAIL;
    }
    int rc = parse_args(argc, argv, &a);
    if (rc != CLI_OK) {
        free(a.exclude);
        return rc < 0 ? CLI_OK : rc;
    }
    eval_truth truth;
    c2list *list = NULL;
    intel_set *feed = NULL, *exclude = NULL;
    c2_err err;
    if (eval_truth_read_file(a.truth, &truth, &err) != 0) {
        cli_error("eval", "%s", err.msg);
        rc = CLI_FAIL;
    } else if (c2list_read_file(a.list, 0, &list, &err) != 0) {
        cli_error("eval", "%s", err.msg);
        rc = CLI_FAIL;
    } else if ((rc = load_sets(&a, &feed, &exclude)) == CLI_OK) {
        rc = score(&a, &truth, list, feed, exclude);
    }
    intel_free(exclude);
    intel_free(feed);
    c2list_free(list);
    eval_truth_free(&truth);
    free(a.exclude);
    return rc;
}
