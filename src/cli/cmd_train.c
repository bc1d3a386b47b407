/*
 * cmd_train.c: `c2flow train`, a model learnt from the feature rows of a
 * window and labels of known C2 servers (docs/train.md), saved with its
 * feature list, and a report of what it learnt from.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "c2list/c2list.h"
#include "cli/analysis.h"
#include "learn/learn.h"
#include "model/model.h"

static const char *const train_help =
    "usage: c2flow train --store DIR --from TIME [--to TIME] --labels FILE...\n"
    "                    --model FILE [--internal PREFIXES] [options]\n"
    "\n"
    "Learn what C2 servers look like from the feature rows (docs/features.md) of\n"
    "[--from, --to) and labels of known C2 servers, and save the model (XGBoost\n"
    "JSON with its feature names) for 'c2flow detect --method ml'.  A labelled\n"
    "server counts as C2 only on the days its label is valid; prints what the\n"
    "model learnt from and the importance of each feature.\n"
    "\n"
    "  --labels FILE         known C2 servers: Feodo CSV, ThreatFox CSV, plain\n"
    "                        ip[:port] lines, or a C2 list (CSV or JSON Lines, e.g.\n"
    "                        one confirmed by the hub); repeatable\n"
    "  --model FILE          where to write the model (replaced only on success)\n"
    "  --rounds N            boosting rounds ([train] rounds, 200)\n"
    "  --max-depth N         depth of each tree ([train] max_depth, 5)\n"
    "  --eta X               learning rate ([train] eta, 0.1)\n"
    "  --max-negatives N     negative rows trained on, a uniform sample weighted\n"
    "                        back up ([train] max_negatives, 1000000; 0 = all)\n"
    "  --positive-weight W   weight of a known C2 row against a negative one\n"
    "                        ([train] positive_weight, 1: the classes in their\n"
    "                        true proportion, so a score is 100 x a probability;\n"
    "                        0 = balanced: negatives / positives, more found,\n"
    "                        scores inflated)\n"
    "  --seed N              random seed ([train] seed, 1): same rows, same model\n"
    ANALYSIS_HELP
    "  -h, --help            this text\n"
    "\n"
    "Exit status: 0 model written, 1 failure, 2 usage.\n"
    "See docs/train.md.\n";

enum {                          /* OPT_ROUNDS .. OPT_SEED in train_opts' order */
    OPT_LABELS = AN_OPT_FIRST_COMMAND_OPT, OPT_MODEL, OPT_ROUNDS, OPT_MAX_DEPTH, OPT_ETA,
    OPT_MAX_NEGATIVES, OPT_POSITIVE_WEIGHT, OPT_SEED
};

/* The options that are also [train] keys, in the order of the enum. */
static const struct { const char *flag, *key; } train_opts[] = {
    {"--rounds", "rounds"}, {"--max-depth", "max_depth"}, {"--eta", "eta"},
    {"--max-negatives", "max_negatives"}, {"--positive-weight", "positive_weight"},
    {"--seed", "seed"},
};
#define TRAIN_KEYS (sizeof train_opts / sizeof train_opts[0])

typedef struct train_cmd {
    analysis       an;
    const char    *labels[CONFIG_MAX_FILES];
    int            n_labels;
    const char    *model_path;
    const char    *given[TRAIN_KEYS];   /* command-line values, over [train] */
    learn_options  opt;
    feature_labels *lab;
    c2_model      *model;
} train_cmd;

/* A [train] option from the command line: checked now, applied over the
 * config file's value once it is loaded (apply_train). */
static int train_option(train_cmd *t, size_t i, const char *arg)
{
    c2_err err;
    learn_options scratch;
    learn_options_default(&scratch);
    if (learn_options_set(&scratch, train_opts[i].key, arg, &err) != 0)
        return cli_usage("train", "%s: %s", train_opts[i].flag, err.msg);
    t->given[i] = arg;
    return CLI_OK;
}

static int set_option(train_cmd *t, int c, const char *arg)
{
    switch (c) {
    case OPT_LABELS:
        if (t->n_labels == CONFIG_MAX_FILES)
            return cli_usage("train", "--labels: at most %d", CONFIG_MAX_FILES);
        t->labels[t->n_labels++] = arg;
        return CLI_OK;
    case OPT_MODEL: t->model_path = arg; return CLI_OK;
    default:
        if (c >= OPT_ROUNDS && c < OPT_ROUNDS + (int)TRAIN_KEYS)
            return train_option(t, (size_t)(c - OPT_ROUNDS), arg);
        return cli_usage("train", "unknown option");
    }
}

/* [train] from the config, then the command line's values over it. */
static void apply_train(train_cmd *t)
{
    c2_err err;
    t->opt = t->an.cfg.train;
    for (size_t i = 0; i < TRAIN_KEYS; i++)
        if (t->given[i])            /* checked when given: cannot fail */
            learn_options_set(&t->opt, train_opts[i].key, t->given[i], &err);
}

static int parse_args(int argc, char **argv, train_cmd *t)
{
    static const struct option opts[] = {
        ANALYSIS_LONGOPTS,
        {"labels", required_argument, 0, OPT_LABELS},
        {"model", required_argument, 0, OPT_MODEL},
        {"rounds", required_argument, 0, OPT_ROUNDS},
        {"max-depth", required_argument, 0, OPT_MAX_DEPTH},
        {"eta", required_argument, 0, OPT_ETA},
        {"max-negatives", required_argument, 0, OPT_MAX_NEGATIVES},
        {"positive-weight", required_argument, 0, OPT_POSITIVE_WEIGHT},
        {"seed", required_argument, 0, OPT_SEED},
        {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0},
    };
    int c, rc, handled;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        if (c == 'h') {
            fputs(train_help, stdout);
            return -1;
        }
        if ((rc = analysis_option("train", &t->an.a, c, optarg, &handled)) != CLI_OK) return rc;
        if (!handled && (rc = set_option(t, c, optarg)) != CLI_OK) return rc;
    }
    if (optind < argc) return cli_usage("train", "unexpected argument '%s'", argv[optind]);
    if (!t->n_labels) return cli_usage("train", "give the known C2 servers with --labels");
    if (!t->model_path) return cli_usage("train", "give the model file with --model");
    return CLI_OK;
}

/* 1 when path is a C2 list (c2list_sniff), 0 when it is intel, -1 (err)
 * when it cannot be read. */
static int is_c2list(const char *path, c2_err *err)
{
    FILE *f = fopen(path, "r");
    if (!f) return c2_fail_errno(err, "%s", path);
    int rc = c2list_sniff(f, NULL, 0, err);
    fclose(f);
    return rc;
}

static int load_labels(train_cmd *t)
{
    c2_err err;
    if (feature_labels_new(&t->lab, &err) != 0) goto fail;
    for (int i = 0; i < t->n_labels; i++) {
        const char *path = t->labels[i];
        int rc = is_c2list(path, &err);
        if (rc < 0) goto fail;
        if (rc == 1) {
            c2list *l;
            rc = c2list_read_file(path, 0, &l, &err);
            if (rc == 0) rc = feature_labels_add_list(t->lab, l, &err);
            c2list_free(l);
        } else {
            intel_set *s = NULL;
            intel_stats st;
            rc = intel_new(&s, &err);
            if (rc == 0) rc = intel_load_file(s, path, INTEL_AUTO, &st, &err);
            if (rc == 0) rc = feature_labels_add_intel(t->lab, s, &err);
            if (rc == 0 && !t->an.a.quiet) cli_warn_bad_rows("train", path, &st);
            intel_free(s);
        }
        if (rc != 0) goto fail;
    }
    return CLI_OK;
fail:
    cli_error("train", "%s", err.msg);
    return CLI_FAIL;
}

typedef struct ranked { const char *name; double gain, weight; } ranked;

static int by_gain(const void *a, const void *b)
{
    double x = ((const ranked *)a)->gain, y = ((const ranked *)b)->gain;
    return x < y ? 1 : x > y ? -1 : 0;
}

/* The features by average gain, with how often each was split on. */
static int print_importance(const c2_model *m)
{
    c2_err err;
    double gain[FEATURE_COUNT], weight[FEATURE_COUNT];
    if (model_importance(m, "gain", gain, &err) != 0 ||
        model_importance(m, "weight", weight, &err) != 0) {
        cli_error("train", "%s", err.msg);
        return CLI_FAIL;
    }
    ranked r[FEATURE_COUNT];
    for (size_t i = 0; i < FEATURE_COUNT; i++)
        r[i] = (ranked){feature_name(i), gain[i], weight[i]};
    qsort(r, FEATURE_COUNT, sizeof r[0], by_gain);
    printf("%-18s %12s %8s\n", "feature", "gain", "splits");
    for (size_t i = 0; i < FEATURE_COUNT; i++)
        printf("%-18s %12.3f %8.0f\n", r[i].name, r[i].gain, r[i].weight);
    return fflush(stdout) == 0 ? CLI_OK : CLI_FAIL;
}

static int run(train_cmd *t)
{
    c2_err err;
    detect_report drep;
    learn_report rep;
    detect_hosts infected = {0};
    feature_table ft = {0};
    int rc = load_labels(t);
    apply_train(t);
    t->opt.model.threads = t->an.in.threads;   /* not XGBoost's all cores */
    if (rc == CLI_OK) rc = analysis_infected(&t->an, &infected, &drep);
    if (rc == CLI_OK) rc = analysis_features(&t->an, &infected, &ft);
    if (rc == CLI_OK && learn_train(&ft, t->lab, &t->opt, &t->model, &rep, &err) != 0)
        rc = CLI_FAIL, cli_error("train", "%s", err.msg);
    if (rc == CLI_OK && model_save(t->model, t->model_path, &err) != 0)
        rc = CLI_FAIL, cli_error("train", "%s", err.msg);
    char weight[32] = "balanced";
    if (t->opt.model.scale_pos_weight > 0)
        snprintf(weight, sizeof weight, "%g", t->opt.model.scale_pos_weight);
    if (rc == CLI_OK && !t->an.a.quiet)
        fprintf(stderr, "c2flow train: %u infected hosts (method 1); %llu rows: %llu positive "
                "(%llu servers), %llu negative (%llu trained on), %llu left out (labelled "
                "servers on days their labels do not cover); positive weight %s; model "
                "written to %s\n",
                drep.infected, (unsigned long long)rep.rows, (unsigned long long)rep.positive,
                (unsigned long long)rep.servers_positive, (unsigned long long)rep.negative,
                (unsigned long long)rep.negative_used, (unsigned long long)rep.unknown,
                weight, t->model_path);
    if (rc == CLI_OK) rc = print_importance(t->model);
    feature_table_free(&ft);
    detect_hosts_free(&infected);
    return rc;
}

int cmd_train(int argc, char **argv)
{
    train_cmd *t = calloc(1, sizeof *t);
    if (!t) return cli_error("train", "out of memory"), CLI_FAIL;
    t->an.cmd = "train";
    int rc = parse_args(argc, argv, t);
    if (rc == -1) rc = CLI_OK;
    else if (rc == CLI_OK && (rc = analysis_open(&t->an)) == CLI_OK)
        rc = run(t);
    model_free(t->model);
    feature_labels_free(t->lab);
    analysis_close(&t->an);
    free(t);
    return rc;
}
