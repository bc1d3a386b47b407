/*
 * cli: the fronts of the c2flow subcommands.
 *
 * Each cmd_* parses its own options (getopt_long, with --help), loads the
 * configuration, calls into the library, prints, and returns the process
 * exit status.  Only this folder prints to the user or decides to exit; the
 * modules under src/ return errors in a c2_err.
 */
#ifndef C2FLOW_CLI_H
#define C2FLOW_CLI_H

#include "config/config.h"
#include "util/util.h"

enum { CLI_OK = 0, CLI_FAIL = 1, CLI_USAGE = 2 };

int cmd_collect(int argc, char **argv);
int cmd_import(int argc, char **argv);
int cmd_query(int argc, char **argv);
int cmd_stat(int argc, char **argv);
int cmd_check(int argc, char **argv);
int cmd_synth(int argc, char **argv);
int cmd_simulate(int argc, char **argv);
int cmd_eval(int argc, char **argv);
int cmd_detect(int argc, char **argv);
int cmd_features(int argc, char **argv);
int cmd_train(int argc, char **argv);
int cmd_list(int argc, char **argv);
int cmd_lookback(int argc, char **argv);
int cmd_export(int argc, char **argv);
int cmd_share(int argc, char **argv);
int cmd_fetch(int argc, char **argv);
int cmd_hub(int argc, char **argv);

/* "c2flow CMD: message" on stderr. */
void cli_error(const char *cmd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* "c2flow CMD: PATH: N bad rows skipped, the first: line L: reason" when
 * loading a threat-intelligence file skipped rows; nothing otherwise. */
struct intel_stats;
void cli_warn_bad_rows(const char *cmd, const char *path, const struct intel_stats *st);
/* Print a usage error and the --help hint; returns CLI_USAGE. */
int  cli_usage(const char *cmd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/*
 * Options every store-touching command shares.  A command's option table
 * includes CLI_STORE_LONGOPTS and hands unknown options to cli_store_option()
 * first.  The config file is read before the command line, so options given
 * on the command line win.
 */
enum {
    CLI_OPT_CONFIG = 1000, CLI_OPT_STORE, CLI_OPT_RETENTION, CLI_OPT_SLICE,
    CLI_OPT_ZSTD_LEVEL, CLI_OPT_FIRST_COMMAND_OPT = 1100
};
#define CLI_STORE_LONGOPTS                                             \
    {"config", required_argument, 0, CLI_OPT_CONFIG},                  \
    {"store", required_argument, 0, CLI_OPT_STORE},                    \
    {"retention", required_argument, 0, CLI_OPT_RETENTION},            \
    {"slice", required_argument, 0, CLI_OPT_SLICE},                    \
    {"zstd-level", required_argument, 0, CLI_OPT_ZSTD_LEVEL}
#define CLI_STORE_HELP                                                 \
    "  --store DIR           flow store directory ([store] dir)\n"     \
    "  --config FILE         configuration file (default: $C2FLOW_CONFIG,\n" \
    "                        else /etc/c2flow/c2flow.conf if present)\n"  \
    "  --retention DUR       keep records this long, 0 = forever ([store] retention, 30d)\n" \
    "  --slice DUR           time slice per segment ([store] slice, 5m)\n" \
    "  --zstd-level N        compression level 1-19 ([store] zstd_level, 3)\n"

/* Collected before the config is loaded, applied after it. */
typedef struct cli_store_args {
    const char *config_path;
    const char *store_dir, *retention, *slice, *zstd_level;
} cli_store_args;

/* 1 if opt was one of the shared options (arg recorded), 0 if not. */
int  cli_store_option(cli_store_args *a, int opt, const char *arg);
/* Load the config (a->config_path or the default search), then apply the
 * command-line overrides.  cli_read_config returns a CLI_* status with the
 * message in err (a daemon reloading must not print a usage text);
 * cli_load_config prints it. */
int  cli_read_config(const cli_store_args *a, c2_config *cfg, c2_err *err);
int  cli_load_config(const char *cmd, const cli_store_args *a, c2_config *cfg);
/* Open cfg's store (error when no store directory was given). */
struct store;
int  cli_open_store(const char *cmd, const c2_config *cfg, int create,
                    struct store **out);

#endif
