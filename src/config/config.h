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

#include "store/store.h"
#include "util/util.h"

#define CONFIG_DEFAULT_PATH "/etc/c2flow/c2flow.conf"
#define CONFIG_ENV "C2FLOW_CONFIG"

typedef struct c2_config {
    char          path[PATH_MAX];       /* file loaded; "" = defaults only */
    char          store_dir[PATH_MAX];  /* [store] dir; "" = not set */
    store_options store;                /* [store] slice, retention, ... */
    uint64_t      query_memory;         /* [query] memory: bytes an aggregation
                                           may hold before spilling; 1 GiB */
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
