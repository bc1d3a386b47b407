/*
 * cli.c: what the subcommand fronts share: error printing, and the store and
 * config options every store-touching command accepts.
 */
#include "cli/cli.h"

#include <stdarg.h>
#include <stdio.h>

#include "intel/intel.h"
#include "store/store.h"

void cli_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "c2flow %s: ", cmd);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

void cli_warn_bad_rows(const char *cmd, const char *path, const intel_stats *st)
{
    if (st->bad)
        cli_error(cmd, "%s: %llu bad rows skipped, the first: line %llu: %s", path,
                  (unsigned long long)st->bad, (unsigned long long)st->first_bad_line,
                  st->first_bad);
}

int cli_usage(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "c2flow %s: ", cmd);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\nTry 'c2flow %s --help'.\n", cmd);
    return CLI_USAGE;
}

int cli_store_option(cli_store_args *a, int opt, const char *arg)
{
    switch (opt) {
    case CLI_OPT_CONFIG: a->config_path = arg; return 1;
    case CLI_OPT_STORE: a->store_dir = arg; return 1;
    case CLI_OPT_RETENTION: a->retention = arg; return 1;
    case CLI_OPT_SLICE: a->slice = arg; return 1;
    case CLI_OPT_ZSTD_LEVEL: a->zstd_level = arg; return 1;
    default: return 0;
    }
}

int cli_read_config(const cli_store_args *a, c2_config *cfg, c2_err *err)
{
    if (config_load(a->config_path, cfg, err) != 0) return CLI_FAIL;
    const struct { const char *key, *value, *flag; } overrides[] = {
        {"dir", a->store_dir, "--store"},
        {"retention", a->retention, "--retention"},
        {"slice", a->slice, "--slice"},
        {"zstd_level", a->zstd_level, "--zstd-level"},
    };
    for (size_t i = 0; i < sizeof overrides / sizeof overrides[0]; i++) {
        if (!overrides[i].value) continue;
        if (config_set(cfg, "store", overrides[i].key, overrides[i].value, err) != 0) {
            c2_err_prefix(err, "%s", overrides[i].flag);
            return CLI_USAGE;
        }
    }
    return CLI_OK;
}

int cli_load_config(const char *cmd, const cli_store_args *a, c2_config *cfg)
{
    c2_err err;
    int rc = cli_read_config(a, cfg, &err);
    if (rc == CLI_FAIL) cli_error(cmd, "%s", err.msg);
    if (rc == CLI_USAGE) cli_usage(cmd, "%s", err.msg);
    return rc;
}

int cli_open_store(const char *cmd, const c2_config *cfg, int create,
                   struct store **out)
{
    c2_err err;
    if (!cfg->store_dir[0])
        return cli_usage(cmd, "no store: give --store DIR or set [store] dir "
                         "in the config file");
    if (store_open(cfg->store_dir, &cfg->store, create, out, &err) != 0) {
        cli_error(cmd, "%s", err.msg);
        return CLI_FAIL;
    }
    return CLI_OK;
}
