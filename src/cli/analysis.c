/*
 * analysis.c: the set-up `c2flow detect`, `features` and `train` share
 * (analysis.h): options, config, window, address sets, intel, the store,
 * and the infected hosts and feature rows of the window.
 */
#include "cli/analysis.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int add_arg(const char *cmd, const char **arr, int *n, int max, const char *v,
                   const char *opt)
{
    if (*n == max) return cli_usage(cmd, "%s: at most %d", opt, max);
    arr[(*n)++] = v;
    return CLI_OK;
}

int analysis_option(const char *cmd, analysis_args *a, int c, const char *arg, int *handled)
{
    *handled = 1;
    if (cli_store_option(&a->store, c, arg)) return CLI_OK;
    switch (c) {
    case AN_OPT_FROM: a->from = arg; return CLI_OK;
    case AN_OPT_TO: a->to = arg; return CLI_OK;
    case AN_OPT_INTERNAL: a->internal = arg; return CLI_OK;
    case AN_OPT_INTERNAL_FILE:
        return add_arg(cmd, a->internal_file, &a->n_internal_file, CONFIG_MAX_FILES, arg,
                       "--internal-file");
    case AN_OPT_ALLOWLIST:
        return add_arg(cmd, a->allow, &a->n_allow, CONFIG_MAX_FILES, arg, "--allowlist");
    case AN_OPT_INTEL:
        return add_arg(cmd, a->intel, &a->n_intel, CONFIG_MAX_FILES, arg, "--intel");
    case AN_OPT_SET: return add_arg(cmd, a->sets, &a->n_sets, AN_MAX_SETS, arg, "--set");
    case AN_OPT_INCREMENTAL: a->incremental = 1; return CLI_OK;
    case AN_OPT_SUMMARIES: a->summaries = arg; return CLI_OK;
    case AN_OPT_THREADS: a->threads = arg; return CLI_OK;
    case AN_OPT_QUIET: a->quiet = 1; return CLI_OK;
    default: *handled = 0; return CLI_OK;
    }
}

static int apply_set(const char *cmd, const char *set, c2_config *cfg)
{
    c2_err err;
    char key[64];
    const char *eq = strchr(set, '=');
    size_t n = eq ? (size_t)(eq - set) : 0;
    if (!eq || !n || n >= sizeof key)
        return cli_usage(cmd, "--set: expected KEY=VALUE, got '%s'", set);
    memcpy(key, set, n);
    key[n] = '\0';
    if (!strcmp(key, "internal") || !strcmp(key, "summaries") || !strcmp(key, "threads") ||
        !strcmp(key, "model"))
        return cli_usage(cmd, "--set %s: not a threshold; use --%s", key, key);
    if (config_set(cfg, "detect", key, eq + 1, &err) != 0)
        return cli_usage(cmd, "--set %s: %s", key, err.msg);
    return CLI_OK;
}

/* Command-line values into the config, checked as the file's would be. */
static int apply_args(const char *cmd, const analysis_args *a, c2_config *cfg)
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
            return cli_usage(cmd, "--internal: %s", err.msg);
    }
    for (size_t l = 0; l < sizeof lists / sizeof lists[0]; l++)
        for (int i = 0; i < lists[l].n; i++)
            if (config_set(cfg, "detect", lists[l].key, lists[l].v[i], &err) != 0)
                return cli_usage(cmd, "--%s: %s", lists[l].key, err.msg);
    if (a->summaries && config_set(cfg, "detect", "summaries", a->summaries, &err) != 0)
        return cli_usage(cmd, "--summaries: %s", err.msg);
    if (a->threads && config_set(cfg, "detect", "threads", a->threads, &err) != 0)
        return cli_usage(cmd, "--threads: %s", err.msg);
    for (int i = 0; i < a->n_sets; i++) {
        int rc = apply_set(cmd, a->sets[i], cfg);
        if (rc != CLI_OK) return rc;
    }
    return CLI_OK;
}

int analysis_customer_space(const config_detect *d, ipset **out, c2_err *err)
{
    if (ipset_new(out, err) != 0) return -1;
    for (const char *p = d->internal; *p;) {
        char item[256];
        size_t n = strcspn(p, ",");
        snprintf(item, sizeof item, "%.*s", (int)n, p);
        if (ipset_add_text(*out, item, err) != 0) return -1;
        p += n + (p[n] == ',');
    }
    for (size_t i = 0; i < d->internal_files.n; i++)
        if (ipset_load_file(*out, d->internal_files.path[i], err) != 0) return -1;
    return ipset_build(*out, err);
}

static int load_sets(analysis *r)
{
    c2_err err;
    const config_detect *d = &r->cfg.detect;
    if (!d->internal[0] && !d->internal_files.n)
        return cli_usage(r->cmd, "no customer address space: give --internal or "
                         "set [detect] internal in the config");
    if (analysis_customer_space(d, &r->internal, &err) != 0 || ipset_new(&r->allow, &err) != 0 ||
        intel_new(&r->intel, &err) != 0)
        goto fail;
    for (size_t i = 0; i < d->allowlists.n; i++)
        if (ipset_load_file(r->allow, d->allowlists.path[i], &err) != 0) goto fail;
    if (ipset_build(r->allow, &err) != 0) goto fail;
    for (size_t i = 0; i < d->intel.n; i++) {
        intel_stats st;
        if (intel_load_file(r->intel, d->intel.path[i], INTEL_AUTO, &st, &err) != 0) goto fail;
        if (!r->a.quiet) cli_warn_bad_rows(r->cmd, d->intel.path[i], &st);
    }
    return CLI_OK;
fail:
    cli_error(r->cmd, "%s", err.msg);
    return CLI_FAIL;
}

static void progress(const char *line, void *arg)
{
    fprintf(stderr, "c2flow %s: %s\n", (const char *)arg, line);
}

static int window(analysis *r)
{
    c2_err err;
    int64_t now = c2_now_ms();
    if (!r->a.from) return cli_usage(r->cmd, "give the window start with --from");
    r->in.to_ms = now;
    if (c2_time_parse(r->a.from, now, &r->in.from_ms, &err) != 0)
        return cli_usage(r->cmd, "--from: %s", err.msg);
    if (r->a.to && c2_time_parse(r->a.to, now, &r->in.to_ms, &err) != 0)
        return cli_usage(r->cmd, "--to: %s", err.msg);
    if (r->in.to_ms <= r->in.from_ms) return cli_usage(r->cmd, "--from must be before --to");
    return CLI_OK;
}

int analysis_open(analysis *r)
{
    int rc = cli_load_config(r->cmd, &r->a.store, &r->cfg);
    if (rc == CLI_OK) rc = apply_args(r->cmd, &r->a, &r->cfg);
    if (rc == CLI_OK) rc = window(r);
    if (rc == CLI_OK) rc = load_sets(r);
    if (rc == CLI_OK) rc = cli_open_store(r->cmd, &r->cfg, 0, &r->store);
    if (rc != CLI_OK) return rc;
    const config_detect *d = &r->cfg.detect;
    if (d->summaries[0]) snprintf(r->summaries, sizeof r->summaries, "%s", d->summaries);
    else snprintf(r->summaries, sizeof r->summaries, "%.*s/summaries", CONFIG_PATH_LEN,
                  store_path(r->store));
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    detect_input *in = &r->in;
    in->store = r->store;
    in->internal = r->internal;
    in->allow = r->allow;
    in->intel = intel_count(r->intel) ? r->intel : NULL;
    in->params = d->params;
    in->summary_dir = r->summaries;
    in->incremental = r->a.incremental;
    in->threads = d->threads ? d->threads : cpus < 1 ? 1 : cpus > 4 ? 4 : (unsigned)cpus;
    in->progress = r->a.quiet ? NULL : progress;
    in->progress_arg = (void *)r->cmd;
    return CLI_OK;
}

void analysis_close(analysis *r)
{
    intel_free(r->intel);
    ipset_free(r->internal);
    ipset_free(r->allow);
    if (r->store) store_close(r->store);
    r->intel = NULL;
    r->internal = r->allow = NULL;
    r->store = NULL;
}

int analysis_infected(analysis *r, detect_hosts *out, detect_report *rep)
{
    c2_err err;
    if (detect_run(&r->in, NULL, out, rep, &err) != 0) {
        cli_error(r->cmd, "%s", err.msg);
        return CLI_FAIL;
    }
    if (rep->days_unsaved)
        fprintf(stderr, "c2flow %s: warning: %u day summaries not kept (%s); the next "
                "run reads those days again\n", r->cmd, rep->days_unsaved, rep->unsaved_reason);
    return CLI_OK;
}

int analysis_features(analysis *r, const detect_hosts *infected, feature_table *t)
{
    c2_err err;
    features_input fi = {
        .store = r->store, .internal = r->internal,
        .infected = infected->addr, .n_infected = infected->n,
        .from_ms = r->in.from_ms, .to_ms = r->in.to_ms,
        .min_clients = r->in.params.ml_min_clients,
        .probe_clients = r->in.params.ml_probe_clients, .threads = r->in.threads,
        .cache_dir = r->summaries, .incremental = r->a.incremental,
        .progress = r->in.progress, .progress_arg = r->in.progress_arg,
    };
    features_report rep;
    if (features_compute(&fi, t, &rep, &err) != 0) {
        cli_error(r->cmd, "%s", err.msg);
        return CLI_FAIL;
    }
    if (!r->a.quiet)
        fprintf(stderr, "c2flow %s: %u days (%u from the cache), %llu records read, "
                "%llu server-days with features\n", r->cmd, rep.days, rep.days_cached,
                (unsigned long long)rep.records, (unsigned long long)rep.rows);
    if (rep.damaged)
        fprintf(stderr, "c2flow %s: %llu damaged blocks skipped (c2flow check names them)\n",
                r->cmd, (unsigned long long)rep.damaged);
    if (rep.days_unsaved)
        fprintf(stderr, "c2flow %s: warning: the features of %u days not kept (%s); the next "
                "run reads those days again\n", r->cmd, rep.days_unsaved, rep.unsaved_reason);
    return CLI_OK;
}

int analysis_write(const char *cmd, const char *path, c2_access a, c2_write_fn fn, void *arg)
{
    c2_err err;
    if (c2_file_write_by(path, a, fn, arg, &err) == 0) return CLI_OK;
    cli_error(cmd, "%s", err.msg);
    return CLI_FAIL;
}
