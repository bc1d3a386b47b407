/*
 * analysis.h: what `c2flow detect`, `features` and `train` share: the
 * window, the customer space, allowlists and intel from the config and the
 * command line, the store, and method 1's infected hosts (which method 2's
 * features need).  Each command adds its own options and output.
 */
#ifndef C2FLOW_CLI_ANALYSIS_H
#define C2FLOW_CLI_ANALYSIS_H

#include "cli/cli.h"
#include "detect/detect.h"
#include "features/features.h"
#include "intel/intel.h"
#include "ipset/ipset.h"

enum {
    AN_OPT_FROM = CLI_OPT_FIRST_COMMAND_OPT, AN_OPT_TO, AN_OPT_INTERNAL,
    AN_OPT_INTERNAL_FILE, AN_OPT_ALLOWLIST, AN_OPT_INTEL, AN_OPT_INCREMENTAL,
    AN_OPT_SUMMARIES, AN_OPT_THREADS, AN_OPT_SET, AN_OPT_QUIET,
    AN_OPT_FIRST_COMMAND_OPT = CLI_OPT_FIRST_COMMAND_OPT + 50
};

#define ANALYSIS_LONGOPTS                                              \
    CLI_STORE_LONGOPTS,                                                \
    {"from", required_argument, 0, AN_OPT_FROM},                       \
    {"to", required_argument, 0, AN_OPT_TO},                           \
    {"internal", required_argument, 0, AN_OPT_INTERNAL},               \
    {"internal-file", required_argument, 0, AN_OPT_INTERNAL_FILE},     \
    {"allowlist", required_argument, 0, AN_OPT_ALLOWLIST},             \
    {"intel", required_argument, 0, AN_OPT_INTEL},                     \
    {"incremental", no_argument, 0, AN_OPT_INCREMENTAL},               \
    {"summaries", required_argument, 0, AN_OPT_SUMMARIES},             \
    {"threads", required_argument, 0, AN_OPT_THREADS},                 \
    {"set", required_argument, 0, AN_OPT_SET},                         \
    {"quiet", no_argument, 0, AN_OPT_QUIET}

#define ANALYSIS_HELP                                                                  \
    "  --from TIME           window start (2026-01-05, 2026-01-05T00:00:00Z, now-30d)\n" \
    "  --to TIME             window end (default: now)\n"                              \
    "  --internal PREFIXES   customer address space, comma-separated\n"                \
    "                        ([detect] internal; required here or there)\n"            \
    "  --internal-file FILE  ... or a file of prefixes, one a line ([detect] internal_file)\n" \
    "  --allowlist FILE      addresses and prefixes never listed ([detect] allowlist)\n" \
    "  --intel FILE          known bad servers: Feodo CSV, ThreatFox CSV, plain\n"     \
    "                        ip[:port] lines ([detect] intel); repeatable\n"           \
    "  --incremental         keep day summaries (and feature rows) and reuse those\n"  \
    "                        still valid, so a daily run reads only the newest day\n"  \
    "  --summaries DIR       where day summaries live ([detect] summaries,\n"          \
    "                        default STORE/summaries)\n"                               \
    "  --threads N           threads reading days; a lone day is split between them\n" \
    "                        ([detect] threads, default: one per CPU, at most 4)\n"    \
    "  --set KEY=VALUE       a [detect] threshold (scan_pps=5, min_score=60, ...)\n"   \
    "  --quiet               no progress or summary on stderr\n"                       \
    CLI_STORE_HELP

#define AN_MAX_SETS 64

typedef struct analysis_args {
    cli_store_args store;
    const char *from, *to, *internal, *summaries, *threads;
    const char *internal_file[CONFIG_MAX_FILES], *allow[CONFIG_MAX_FILES],
               *intel[CONFIG_MAX_FILES], *sets[AN_MAX_SETS];
    int n_internal_file, n_allow, n_intel, n_sets, incremental, quiet;
} analysis_args;

/* CLI_OK when c was one of the shared options (*handled = 1) or not one
 * (*handled = 0); CLI_USAGE (printed) for a bad one. */
int analysis_option(const char *cmd, analysis_args *a, int c, const char *arg,
                    int *handled);

typedef struct analysis {
    const char   *cmd;
    analysis_args a;
    c2_config     cfg;
    store        *store;
    ipset        *internal, *allow;
    intel_set    *intel;
    detect_input  in;            /* the window, sets and thresholds, ready */
    char          summaries[CONFIG_PATH_LEN + 16];
} analysis;

/* The customer address space of [detect] internal and internal_file
 * (*out built; the caller frees it, also after an error). */
int  analysis_customer_space(const config_detect *d, ipset **out, c2_err *err);

/* Config, command line, window, sets and store, in that order: a CLI_*
 * status, the error printed. */
int  analysis_open(analysis *r);
void analysis_close(analysis *r);

/* Method 1's infected hosts of the window (caller frees with
 * detect_hosts_free). */
int  analysis_infected(analysis *r, detect_hosts *out, detect_report *rep);
/* The feature rows of the window; infected from analysis_infected.  With
 * --incremental, whole days' rows are kept beside the day summaries. */
int  analysis_features(analysis *r, const detect_hosts *infected, feature_table *t);

/* c2_file_write_by, its error printed: a failed run leaves the old file
 * in place. */
int  analysis_write(const char *cmd, const char *path, c2_access a, c2_write_fn fn, void *arg);

#endif
