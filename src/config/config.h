/*
 * config: c2flow.conf, the one INI file that configures every subcommand.
 *
 * Every option has a documented default (c2flow.conf at the top of the
 * source tree is the reference, docs/config.md explains each) and every
 * option can also be given on the command line, which wins.  Later modules
 * add their own [sections] here; unknown sections and keys are errors, so
 * that a typo never silently falls back to a default.
 */
#ifndef C2FLOW_CONFIG_H
#define C2FLOW_CONFIG_H

#include <limits.h>
#include <stddef.h>

#include "detect/detect.h"
#include "learn/learn.h"
#include "store/store.h"
#include "util/util.h"

#define CONFIG_DEFAULT_PATH "/etc/c2flow/c2flow.conf"
#define CONFIG_ENV "C2FLOW_CONFIG"

/* One [sampling] exporter line: the interval to apply to every record of
 * that exporter, whatever it announces. */
typedef struct config_sampling {
    flow_addr exporter;
    uint32_t  interval;                 /* 1 in N, >= 1 */
} config_sampling;
#define CONFIG_MAX_SAMPLING 1024

/* [collect]: the collector daemon. */
typedef struct config_collect {
    char     listen[1024];              /* "ADDR:PORT,..."; default ":2055" */
    char     metrics[C2_ENDPOINT_STRLEN]; /* ADDR:PORT of /metrics; "" = off */
    uint64_t rcvbuf;                    /* socket receive buffer; 32 MiB */
    uint64_t queue;                     /* datagrams held between receiving
                                           and decoding; 256 MiB */
    int64_t  log_interval_ms;           /* counters logged every; 60 s */
    int64_t  seal_after_ms;             /* seal a slice this long after it
                                           ends; 60 s */
    int      apply_sampling;            /* multiply by the interval; 1 */
    size_t   nsampling;                 /* [sampling] exporter lines */
    config_sampling sampling[CONFIG_MAX_SAMPLING];
} config_collect;

/* [detect]: C2 detection. */
#define CONFIG_MAX_FILES 8
#define CONFIG_PATH_LEN 1024
#define CONFIG_INTERNAL_LEN 8192
typedef struct config_files {           /* a repeatable key naming files */
    size_t n;
    char   path[CONFIG_MAX_FILES][CONFIG_PATH_LEN];
} config_files;

typedef struct config_detect {
    char          internal[CONFIG_INTERNAL_LEN]; /* prefixes, comma-separated
                                           (every internal line, checked) */
    config_files  internal_files;       /* files of prefixes */
    config_files  allowlists;           /* files of addresses never listed */
    config_files  intel;                /* threat-intelligence files */
    char          summaries[CONFIG_PATH_LEN]; /* "" = STORE/summaries */
    unsigned      threads;              /* days read at once; 0 = per CPU */
    char          model[CONFIG_PATH_LEN]; /* trained model (--method ml); "" none */
    detect_params params;               /* the thresholds */
} config_detect;

/* [share]: the hub that `c2flow share` and `c2flow fetch` talk to. */
typedef struct config_share {
    char    hub[CONFIG_PATH_LEN];       /* base URL, http(s)://; "" = not set */
    char    token_file[CONFIG_PATH_LEN]; /* file holding the API token; "" none */
    char    cacert[CONFIG_PATH_LEN];    /* CA bundle for https; "" = system's */
    int64_t timeout_ms;                 /* a whole request at most; 5 min */
} config_share;

typedef struct c2_config {
    char          path[PATH_MAX];       /* file loaded; "" = defaults only */
    char          store_dir[PATH_MAX];  /* [store] dir; "" = not set */
    store_options store;                /* [store] slice, retention, ... */
    uint64_t      query_memory;         /* [query] memory: bytes an aggregation
                                           may hold before spilling; 1 GiB */
    config_collect collect;             /* [collect] and [sampling] */
    config_detect  detect;              /* [detect] */
    learn_options  train;               /* [train]: method 2's training */
    config_share   share;               /* [share] */
} c2_config;

/* Defaults only (no file). */
void config_default(c2_config *cfg);
/* Defaults, then the file at `path`; with path NULL, $C2FLOW_CONFIG, else
 * CONFIG_DEFAULT_PATH when it exists, else defaults only.  An explicit path
 * that cannot be read is an error; so is an unknown key or a bad value
 * (the message gives file:line). */
int  config_load(const char *path, c2_config *cfg, c2_err *err);
/* Defaults, then `len` bytes of config text (need not be NUL-terminated);
 * `name` stands for the file in messages and in cfg->path.  The same parser
 * as config_load (tests and the fuzz target use it). */
int  config_load_buffer(const char *text, size_t len, const char *name,
                        c2_config *cfg, c2_err *err);
/* Set one option by section and key as the file would ("store",
 * "retention", "30d"); used for command-line overrides.  Same checks as the
 * file; err describes the value only (the caller knows which option it set),
 * and cfg is unchanged on error. */
int  config_set(c2_config *cfg, const char *section, const char *key,
                const char *value, c2_err *err);

#endif
