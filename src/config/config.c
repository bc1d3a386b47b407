/*
 * config.c: reading c2flow.conf with libinih, and checking every value.
 *
 * The file will be read by daemons running as root, so the parser trusts
 * nothing: libinih does the INI syntax, but it reads lines through our own
 * reader (read_line) so that we
 *   - count lines ourselves and can say "file:line" for a bad value (the
 *     Debian build of libinih does not pass line numbers to handlers);
 *   - refuse a line longer than libinih's line buffer, which libinih would
 *     otherwise split silently into two lines (the tail of a long `dir`
 *     would become a line of its own, possibly "key = value");
 *   - refuse NUL bytes, which would silently cut a line short;
 *   - refuse unknown [sections] even when they hold no key, and stop at the
 *     first error instead of reading on.
 * A key given twice is an error too (this also catches libinih's indented
 * continuation lines, which repeat the key).
 *
 * Every option is one row of the `options` table: section, key and a setter
 * that checks the text and stores the value.  The file and config_set()
 * (command-line overrides) go through the same setters, so both accept
 * exactly the same values.  Values are parsed into a copy of the config and
 * stored only when the whole file is good: on error the caller's config
 * holds the defaults.
 */
#include "config/config.h"
#include "ipset/ipset.h"

#include <ctype.h>
#include <errno.h>
#include <ini.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#define SLICE_MIN_MS 1000LL                    /* 1 s */
#define RETENTION_MIN_MS 1000LL                /* 1 s */
#define RETENTION_MAX_MS (36500LL * C2_MS_PER_DAY) /* 100 years */
#define SHOWN_VALUE_MAX 64                     /* chars of a bad value quoted */

typedef int (*option_setter)(c2_config *cfg, const char *value, c2_err *err);

typedef struct option_desc {
    const char   *section;
    const char   *key;
    option_setter set;
    int           repeatable;       /* may appear on several lines */
} option_desc;

/* ---- values ---- */

/* Copy at most SHOWN_VALUE_MAX chars of an untrusted value for a message,
 * with non-printable bytes as '?', so that an error line stays one line of
 * plain text in a daemon's log. */
static const char *shown(const char *value, char *buf, size_t len)
{
    size_t n = 0;
    for (; value[n] && n + 4 < len && n < SHOWN_VALUE_MAX; n++)
        buf[n] = isprint((unsigned char)value[n]) ? value[n] : '?';
    if (value[n]) { memcpy(buf + n, "...", 3); n += 3; }
    buf[n] = '\0';
    return buf;
}

static int parse_bounded(const char *value, uint64_t min, uint64_t max,
                         uint64_t *out, c2_err *err)
{
    char b[SHOWN_VALUE_MAX + 4];
    if (c2_u64_parse(value, max, out) != 0 || *out < min)
        return c2_fail(err, "expected an integer from %llu to %llu, got '%s'",
                       (unsigned long long)min, (unsigned long long)max,
                       shown(value, b, sizeof b));
    return 0;
}

static int parse_duration(const char *value, int64_t *ms, c2_err *err)
{
    char b[SHOWN_VALUE_MAX + 4];
    if (c2_duration_parse(value, ms, NULL) != 0 || *ms < 0)
        return c2_fail(err, "expected a duration such as 90s, 5m, 2h or 30d, "
                       "got '%s'", shown(value, b, sizeof b));
    return 0;
}

static int set_store_dir(c2_config *cfg, const char *value, c2_err *err)
{
    size_t n = strlen(value);
    if (n == 0) return c2_fail(err, "empty directory name");
    if (n >= sizeof cfg->store_dir)
        return c2_fail(err, "directory name longer than %zu bytes",
                       sizeof cfg->store_dir - 1);
    memcpy(cfg->store_dir, value, n + 1);
    return 0;
}

/* Segment files hold one slice each and sit in per-day folders, so slices
 * must tile a UTC day exactly: no slice may straddle midnight.  Segment
 * names carry the slice start in seconds, hence whole seconds. */
static int set_store_slice(c2_config *cfg, const char *value, c2_err *err)
{
    int64_t ms;
    char b[32];
    if (parse_duration(value, &ms, err) != 0) return -1;
    if (ms < SLICE_MIN_MS || ms > C2_MS_PER_DAY)
        return c2_fail(err, "slice must be from 1s to 1d, got %s",
                       c2_duration_format(ms, b, sizeof b));
    if (ms % 1000 != 0)
        return c2_fail(err, "slice must be whole seconds, got %s",
                       c2_duration_format(ms, b, sizeof b));
    if (C2_MS_PER_DAY % ms != 0)
        return c2_fail(err, "slice %s does not divide a day evenly (slices "
                       "must tile days: e.g. 1m, 5m, 10m, 15m, 30m, 1h)",
                       c2_duration_format(ms, b, sizeof b));
    cfg->store.slice_ms = ms;
    return 0;
}

static int set_store_retention(c2_config *cfg, const char *value, c2_err *err)
{
    int64_t ms;
    char b[32];
    if (parse_duration(value, &ms, err) != 0) return -1;
    if (ms != 0 && (ms < RETENTION_MIN_MS || ms > RETENTION_MAX_MS))
        return c2_fail(err, "retention must be 0 (forever) or from 1s to "
                       "36500d, got %s", c2_duration_format(ms, b, sizeof b));
    cfg->store.retention_ms = ms;
    return 0;
}

static int set_store_zstd_level(c2_config *cfg, const char *value, c2_err *err)
{
    uint64_t v;
    if (parse_bounded(value, 1, 19, &v, err) != 0) return -1;
    cfg->store.zstd_level = (int)v;
    return 0;
}

static int set_store_block_records(c2_config *cfg, const char *value, c2_err *err)
{
    uint64_t v;
    if (parse_bounded(value, 1024, 1048576, &v, err) != 0) return -1;
    cfg->store.block_records = (uint32_t)v;
    return 0;
}

static int set_store_max_open_slices(c2_config *cfg, const char *value, c2_err *err)
{
    uint64_t v;
    if (parse_bounded(value, 1, 1024, &v, err) != 0) return -1;
    cfg->store.max_open_slices = (uint32_t)v;
    return 0;
}

static int set_query_memory(c2_config *cfg, const char *value, c2_err *err)
{
    uint64_t v;
    if (c2_size_parse(value, &v, err) != 0) return -1;
    if (v < (1u << 20)) return c2_fail(err, "memory must be at least 1M");
    cfg->query_memory = v;
    return 0;
}

/* A comma-separated list of endpoints; checked here, opened by collect. */
static int set_collect_listen(c2_config *cfg, const char *value, c2_err *err)
{
    char item[C2_ENDPOINT_STRLEN + 16];
    struct sockaddr_storage sa;
    unsigned salen;
    const char *p = value;
    int rc;
    if (strlen(value) >= sizeof cfg->collect.listen)
        return c2_fail(err, "list longer than %zu bytes",
                       sizeof cfg->collect.listen - 1);
    while ((rc = c2_endpoint_list_next(&p, item, sizeof item, err)) == 1)
        if (c2_endpoint_parse(item, 1, &sa, &salen, err) != 0) return -1;
    if (rc < 0) return -1;
    strcpy(cfg->collect.listen, value);
    return 0;
}

static int set_collect_metrics(c2_config *cfg, const char *value, c2_err *err)
{
    struct sockaddr_storage sa;
    unsigned salen;
    if (!strcmp(value, "off") || !value[0]) {
        cfg->collect.metrics[0] = '\0';
        return 0;
    }
    if (strlen(value) >= sizeof cfg->collect.metrics ||
        c2_endpoint_parse(value, 1, &sa, &salen, err) != 0)
        return c2_fail(err, "expected ADDR:PORT or off");
    strcpy(cfg->collect.metrics, value);
    return 0;
}

static int set_size(uint64_t *out, const char *value, uint64_t min,
                    uint64_t max, c2_err *err)
{
    char b[SHOWN_VALUE_MAX + 4];
    uint64_t v;
    if (c2_size_parse(value, &v, NULL) != 0 || v < min || v > max)
        return c2_fail(err, "expected a size from %llu to %llu bytes (k, M, G "
                       "allowed), got '%s'", (unsigned long long)min,
                       (unsigned long long)max, shown(value, b, sizeof b));
    *out = v;
    return 0;
}

static int set_collect_rcvbuf(c2_config *cfg, const char *value, c2_err *err)
{
    return set_size(&cfg->collect.rcvbuf, value, 64u << 10, 2ull << 30, err);
}

static int set_collect_queue(c2_config *cfg, const char *value, c2_err *err)
{
    return set_size(&cfg->collect.queue, value, 1u << 20, 64ull << 30, err);
}

static int set_collect_log_interval(c2_config *cfg, const char *value, c2_err *err)
{
    int64_t ms;
    if (parse_duration(value, &ms, err) != 0) return -1;
    if (ms != 0 && ms < 1000)
        return c2_fail(err, "log_interval must be 0 (off) or at least 1s");
    cfg->collect.log_interval_ms = ms;
    return 0;
}

static int set_collect_seal_after(c2_config *cfg, const char *value, c2_err *err)
{
    int64_t ms;
    if (parse_duration(value, &ms, err) != 0) return -1;
    if (ms > C2_MS_PER_DAY) return c2_fail(err, "seal_after must be at most 1d");
    cfg->collect.seal_after_ms = ms;
    return 0;
}

static int parse_bool(const char *value, int *out, c2_err *err)
{
    char b[SHOWN_VALUE_MAX + 4];
    if (!strcmp(value, "yes") || !strcmp(value, "true") || !strcmp(value, "on") ||
        !strcmp(value, "1"))
        *out = 1;
    else if (!strcmp(value, "no") || !strcmp(value, "false") ||
             !strcmp(value, "off") || !strcmp(value, "0"))
        *out = 0;
    else
        return c2_fail(err, "expected yes or no, got '%s'",
                       shown(value, b, sizeof b));
    return 0;
}

static int set_collect_apply_sampling(c2_config *cfg, const char *value, c2_err *err)
{
    return parse_bool(value, &cfg->collect.apply_sampling, err);
}

/* "ADDR INTERVAL" (or ADDR=INTERVAL from the command line).  A second line
 * for the same exporter is an error: one of them would be silently lost. */
static int set_sampling_exporter(c2_config *cfg, const char *value, c2_err *err)
{
    char b[SHOWN_VALUE_MAX + 4], addr[FLOW_ADDR_STRLEN];
    const char *sep = value + strcspn(value, " \t=");
    size_t n = (size_t)(sep - value);
    config_sampling e;
    uint64_t v;
    while (*sep == ' ' || *sep == '\t' || *sep == '=') sep++;
    if (n == 0 || n >= sizeof addr)
        return c2_fail(err, "expected 'ADDRESS INTERVAL', got '%s'",
                       shown(value, b, sizeof b));
    memcpy(addr, value, n);
    addr[n] = '\0';
    if (flow_addr_parse(addr, &e.exporter) != 0)
        return c2_fail(err, "'%s' is not an IPv4 or IPv6 address",
                       shown(addr, b, sizeof b));
    if (c2_u64_parse(sep, UINT32_MAX, &v) != 0 || v == 0)
        return c2_fail(err, "expected a sampling interval from 1 to %u after "
                       "the address, got '%s'", UINT32_MAX, shown(sep, b, sizeof b));
    e.interval = (uint32_t)v;
    config_collect *c = &cfg->collect;
    for (size_t i = 0; i < c->nsampling; i++)
        if (!flow_addr_cmp(&c->sampling[i].exporter, &e.exporter))
            return c2_fail(err, "exporter %s is given twice", addr);
    if (c->nsampling == CONFIG_MAX_SAMPLING)
        return c2_fail(err, "more than %d exporters", CONFIG_MAX_SAMPLING);
    c->sampling[c->nsampling++] = e;
    return 0;
}

/* ---- [detect] ---- */

static int set_detect_internal(c2_config *cfg, const char *value, c2_err *err)
{
    char b[SHOWN_VALUE_MAX + 4], item[256];
    const char *p = value;
    char *dst = cfg->detect.internal;
    size_t used = strlen(dst);
    while (*p) {
        size_t n = strcspn(p, ",");
        const char *next = p[n] ? p + n + 1 : p + n;
        while (n && isspace((unsigned char)p[n - 1])) n--;
        while (n && isspace((unsigned char)*p)) { p++; n--; }
        if (n) {
            flow_addr a;
            unsigned len;
            if (n >= sizeof item)
                return c2_fail(err, "prefix too long: '%s'", shown(p, b, sizeof b));
            memcpy(item, p, n);
            item[n] = '\0';
            if (ipset_parse(item, &a, &len, err) != 0) return -1;
            if (used + n + 2 > sizeof cfg->detect.internal)
                return c2_fail(err, "more prefixes than fit; use internal_file");
            if (used) dst[used++] = ',';
            memcpy(dst + used, item, n + 1);
            used += n;
        }
        p = next;
    }
    return 0;
}

static int add_file(config_files *f, const char *value, c2_err *err)
{
    char b[SHOWN_VALUE_MAX + 4];
    if (!value[0] || strlen(value) >= CONFIG_PATH_LEN)
        return c2_fail(err, "expected a file name, got '%s'", shown(value, b, sizeof b));
    if (f->n == CONFIG_MAX_FILES)
        return c2_fail(err, "more than %d files", CONFIG_MAX_FILES);
    strcpy(f->path[f->n++], value);
    return 0;
}

static int set_detect_internal_file(c2_config *cfg, const char *value, c2_err *err)
{
    return add_file(&cfg->detect.internal_files, value, err);
}

static int set_detect_allowlist(c2_config *cfg, const char *value, c2_err *err)
{
    return add_file(&cfg->detect.allowlists, value, err);
}

static int set_detect_intel(c2_config *cfg, const char *value, c2_err *err)
{
    return add_file(&cfg->detect.intel, value, err);
}

static int set_detect_summaries(c2_config *cfg, const char *value, c2_err *err)
{
    char b[SHOWN_VALUE_MAX + 4];
    if (!value[0] || strlen(value) >= sizeof cfg->detect.summaries)
        return c2_fail(err, "expected a directory, got '%s'", shown(value, b, sizeof b));
    strcpy(cfg->detect.summaries, value);
    return 0;
}

static int set_detect_model(c2_config *cfg, const char *value, c2_err *err)
{
    char b[SHOWN_VALUE_MAX + 4];
    if (!value[0] || strlen(value) >= sizeof cfg->detect.model)
        return c2_fail(err, "expected a file, got '%s'", shown(value, b, sizeof b));
    strcpy(cfg->detect.model, value);
    return 0;
}

static int set_detect_threads(c2_config *cfg, const char *value, c2_err *err)
{
    uint64_t v;
    if (parse_bounded(value, 0, 64, &v, err) != 0) return -1;
    cfg->detect.threads = (unsigned)v;
    return 0;
}

static int set_detect_param(c2_config *cfg, const char *key, const char *value, c2_err *err)
{
    int known;
    return detect_params_set(&cfg->detect.params, key, value, &known, err);
}

/* One setter per key of a section whose module sets its keys by name: the
 * option table's setters take no key. */
#define KEYED_SETTER(section, by_name, k)                                       \
    static int set_##section##_##k(c2_config *cfg, const char *value, c2_err *err) \
    { return by_name(cfg, #k, value, err); }
#define DETECT_PARAM(k) KEYED_SETTER(detect, set_detect_param, k)
DETECT_PARAM(scan_min_samples)
DETECT_PARAM(scan_pps)
DETECT_PARAM(scan_fresh)
DETECT_PARAM(scan_port_share)
DETECT_PARAM(scan_packet_bytes)
DETECT_PARAM(burst_pps)
DETECT_PARAM(burst_hosts)
DETECT_PARAM(rare_share)
DETECT_PARAM(rare_min)
DETECT_PARAM(min_infected)
DETECT_PARAM(min_score)
DETECT_PARAM(oneoff_significance)
DETECT_PARAM(oneoff_return)
DETECT_PARAM(oneoff_tier)
DETECT_PARAM(oneoff_onset)
DETECT_PARAM(ml_min_clients)
DETECT_PARAM(ml_probe_clients)
DETECT_PARAM(ml_min_score)
DETECT_PARAM(ml_veto_score)
DETECT_PARAM(ml_hub_share)

/* ---- [train] ---- */

static int set_train_option(c2_config *cfg, const char *key, const char *value, c2_err *err)
{
    return learn_options_set(&cfg->train, key, value, err);
}

#define TRAIN_OPTION(k) KEYED_SETTER(train, set_train_option, k)
TRAIN_OPTION(rounds)
TRAIN_OPTION(max_depth)
TRAIN_OPTION(eta)
TRAIN_OPTION(max_negatives)
TRAIN_OPTION(positive_weight)
TRAIN_OPTION(seed)

/* ---- [share] ---- */

/* Checked here only for its shape; src/hubclient parses it in full. */
static int set_share_hub(c2_config *cfg, const char *value, c2_err *err)
{
    char b[SHOWN_VALUE_MAX + 4];
    if ((strncmp(value, "http://", 7) && strncmp(value, "https://", 8)) ||
        strlen(value) >= sizeof cfg->share.hub || strpbrk(value, " \t"))
        return c2_fail(err, "expected an http:// or https:// URL, got '%s'",
                       shown(value, b, sizeof b));
    strcpy(cfg->share.hub, value);
    return 0;
}

static int set_share_path(char *dst, const char *value, c2_err *err)
{
    char b[SHOWN_VALUE_MAX + 4];
    if (!value[0] || strlen(value) >= CONFIG_PATH_LEN)
        return c2_fail(err, "expected a file name, got '%s'", shown(value, b, sizeof b));
    strcpy(dst, value);
    return 0;
}

static int set_share_token_file(c2_config *cfg, const char *value, c2_err *err)
{
    return set_share_path(cfg->share.token_file, value, err);
}

static int set_share_cacert(c2_config *cfg, const char *value, c2_err *err)
{
    return set_share_path(cfg->share.cacert, value, err);
}

static int set_share_timeout(c2_config *cfg, const char *value, c2_err *err)
{
    int64_t ms;
    if (parse_duration(value, &ms, err) != 0) return -1;
    if (ms < 1000 || ms > C2_MS_PER_DAY)
        return c2_fail(err, "timeout must be from 1s to 1d");
    cfg->share.timeout_ms = ms;
    return 0;
}

static const option_desc options[] = {
    {"store", "dir", set_store_dir, 0},
    {"store", "slice", set_store_slice, 0},
    {"store", "retention", set_store_retention, 0},
    {"store", "zstd_level", set_store_zstd_level, 0},
    {"store", "block_records", set_store_block_records, 0},
    {"store", "max_open_slices", set_store_max_open_slices, 0},
    {"query", "memory", set_query_memory, 0},
    {"collect", "listen", set_collect_listen, 0},
    {"collect", "metrics", set_collect_metrics, 0},
    {"collect", "rcvbuf", set_collect_rcvbuf, 0},
    {"collect", "queue", set_collect_queue, 0},
    {"collect", "log_interval", set_collect_log_interval, 0},
    {"collect", "seal_after", set_collect_seal_after, 0},
    {"collect", "apply_sampling", set_collect_apply_sampling, 0},
    {"sampling", "exporter", set_sampling_exporter, 1},
    {"detect", "internal", set_detect_internal, 1},
    {"detect", "internal_file", set_detect_internal_file, 1},
    {"detect", "allowlist", set_detect_allowlist, 1},
    {"detect", "intel", set_detect_intel, 1},
    {"detect", "summaries", set_detect_summaries, 0},
    {"detect", "threads", set_detect_threads, 0},
    {"detect", "scan_min_samples", set_detect_scan_min_samples, 0},
    {"detect", "scan_pps", set_detect_scan_pps, 0},
    {"detect", "scan_fresh", set_detect_scan_fresh, 0},
    {"detect", "scan_port_share", set_detect_scan_port_share, 0},
    {"detect", "scan_packet_bytes", set_detect_scan_packet_bytes, 0},
    {"detect", "burst_pps", set_detect_burst_pps, 0},
    {"detect", "burst_hosts", set_detect_burst_hosts, 0},
    {"detect", "rare_share", set_detect_rare_share, 0},
    {"detect", "rare_min", set_detect_rare_min, 0},
    {"detect", "min_infected", set_detect_min_infected, 0},
    {"detect", "min_score", set_detect_min_score, 0},
    {"detect", "oneoff_significance", set_detect_oneoff_significance, 0},
    {"detect", "oneoff_return", set_detect_oneoff_return, 0},
    {"detect", "oneoff_tier", set_detect_oneoff_tier, 0},
    {"detect", "oneoff_onset", set_detect_oneoff_onset, 0},
    {"detect", "model", set_detect_model, 0},
    {"detect", "ml_min_clients", set_detect_ml_min_clients, 0},
    {"detect", "ml_probe_clients", set_detect_ml_probe_clients, 0},
    {"detect", "ml_min_score", set_detect_ml_min_score, 0},
    {"detect", "ml_veto_score", set_detect_ml_veto_score, 0},
    {"detect", "ml_hub_share", set_detect_ml_hub_share, 0},
    {"train", "rounds", set_train_rounds, 0},
    {"train", "max_depth", set_train_max_depth, 0},
    {"train", "eta", set_train_eta, 0},
    {"train", "max_negatives", set_train_max_negatives, 0},
    {"train", "positive_weight", set_train_positive_weight, 0},
    {"train", "seed", set_train_seed, 0},
    {"share", "hub", set_share_hub, 0},
    {"share", "token_file", set_share_token_file, 0},
    {"share", "cacert", set_share_cacert, 0},
    {"share", "timeout", set_share_timeout, 0},
};
#define OPTION_COUNT (sizeof options / sizeof options[0])

static int known_section(const char *name, size_t len)
{
    for (size_t i = 0; i < OPTION_COUNT; i++)
        if (strlen(options[i].section) == len &&
            !memcmp(options[i].section, name, len))
            return 1;
    return 0;
}

/* Index in options[], or -1 with err set. */
static int find_option(const char *section, const char *key, c2_err *err)
{
    char s[SHOWN_VALUE_MAX + 4], k[SHOWN_VALUE_MAX + 4];
    if (!section[0])
        return c2_fail(err, "key '%s' is outside any [section]",
                       shown(key, k, sizeof k));
    if (!known_section(section, strlen(section)))
        return c2_fail(err, "unknown section [%s]", shown(section, s, sizeof s));
    for (size_t i = 0; i < OPTION_COUNT; i++)
        if (!strcmp(options[i].section, section) && !strcmp(options[i].key, key))
            return (int)i;
    return c2_fail(err, "unknown key '%s' in [%s]", shown(key, k, sizeof k),
                   section);
}

/* ---- the public calls ---- */

void config_default(c2_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    store_options_default(&cfg->store);
    cfg->query_memory = (uint64_t)1 << 30;
    strcpy(cfg->collect.listen, ":2055");
    cfg->collect.rcvbuf = 128u << 20;
    cfg->collect.queue = 256u << 20;
    cfg->collect.log_interval_ms = 60000;
    cfg->collect.seal_after_ms = 60000;
    cfg->collect.apply_sampling = 1;
    detect_params_default(&cfg->detect.params);
    learn_options_default(&cfg->train);
    cfg->share.timeout_ms = 300000;
}

int config_set(c2_config *cfg, const char *section, const char *key,
               const char *value, c2_err *err)
{
    int i = find_option(section ? section : "", key ? key : "", err);
    if (i < 0) return -1;
    return options[i].set(cfg, value ? value : "", err);
}

/* ---- reading a file ---- */

typedef struct load_ctx {
    c2_config   cfg;                /* filled as lines are read */
    const char *name;               /* file name for messages */
    FILE       *file;               /* source: a file, or ... */
    const char *mem;                /* ... len bytes of memory */
    size_t      mem_len, mem_pos;
    int         line;               /* lines handed to libinih so far */
    int         failed_line;        /* line of our first error; 0 = none */
    c2_err      err;                /* our first error, without file:line */
    int         set_on[OPTION_COUNT]; /* line each option was set on */
} load_ctx;

static int ctx_getc(load_ctx *c)
{
    if (c->file) return getc(c->file);
    return c->mem_pos < c->mem_len ? (unsigned char)c->mem[c->mem_pos++] : EOF;
}

static int ctx_peek(load_ctx *c)
{
    int ch = ctx_getc(c);
    if (ch == EOF) return EOF;
    if (c->file) ungetc(ch, c->file);
    else c->mem_pos--;
    return ch;
}

/* Record the first error, at the current line; returns 0 for libinih. */
static int ctx_fail(load_ctx *c, const char *msg)
{
    if (!c->failed_line) {
        c->failed_line = c->line;
        c2_fail(&c->err, "%s", msg);
    }
    return 0;
}

/* A "[name]" line naming a section we do not know is an error, even when
 * no key follows (libinih only reports sections through their keys). */
static void check_section_line(load_ctx *c, const char *line)
{
    char b[SHOWN_VALUE_MAX + 4], msg[SHOWN_VALUE_MAX + 32];
    if (c->line == 1 && !strncmp(line, "\xEF\xBB\xBF", 3)) line += 3;
    while (isspace((unsigned char)*line)) line++;
    if (*line != '[') return;
    const char *end = strchr(line + 1, ']');
    if (!end) return;               /* libinih reports the syntax error */
    size_t len = (size_t)(end - line - 1);
    if (known_section(line + 1, len)) return;
    char name[SHOWN_VALUE_MAX + 1];
    if (len > SHOWN_VALUE_MAX) len = SHOWN_VALUE_MAX;
    memcpy(name, line + 1, len);
    name[len] = '\0';
    snprintf(msg, sizeof msg, "unknown section [%s]", shown(name, b, sizeof b));
    ctx_fail(c, msg);
}

/* libinih's ini_reader: one whole line per call, or NULL to stop. */
static char *read_line(char *str, int num, void *stream)
{
    load_ctx *c = stream;
    int n = 0, ch = 0;
    if (c->failed_line || num < 2) return NULL;
    while (n < num - 1 && (ch = ctx_getc(c)) != EOF) {
        if (ch == '\0') {
            c->line++;
            ctx_fail(c, "NUL byte in the file");
            return NULL;
        }
        str[n++] = (char)ch;
        if (ch == '\n') break;
    }
    if (n == 0) return NULL;
    str[n] = '\0';
    c->line++;
    if (str[n - 1] != '\n' && n == num - 1 && ctx_peek(c) != EOF) {
        char msg[64];
        snprintf(msg, sizeof msg, "line longer than %d characters", num - 3);
        ctx_fail(c, msg);
        return NULL;
    }
    check_section_line(c, str);
    return c->failed_line ? NULL : str;
}

/* libinih's handler: one call per key = value. */
static int on_key(void *user, const char *section, const char *key,
                  const char *value)
{
    load_ctx *c = user;
    c2_err e;
    char msg[C2_ERR_MAX + 64];
    if (c->failed_line) return 0;
    int i = find_option(section, key, &e);
    if (i < 0) return ctx_fail(c, e.msg);
    if (c->set_on[i] && !options[i].repeatable) {
        snprintf(msg, sizeof msg, "[%s] %s is set twice (first on line %d)",
                 options[i].section, options[i].key, c->set_on[i]);
        return ctx_fail(c, msg);
    }
    c->set_on[i] = c->line;
    if (options[i].set(&c->cfg, value ? value : "", &e) != 0) {
        snprintf(msg, sizeof msg, "%s: %s", options[i].key, e.msg);
        return ctx_fail(c, msg);
    }
    return 1;
}

/* Run libinih over the context's source; 0 or -1 with err. */
static int parse_ctx(load_ctx *c, c2_config *cfg, c2_err *err)
{
    int rc = ini_parse_stream(read_line, c, on_key, c);
    if (c->file && ferror(c->file))
        return c2_fail_errno(err, "%s: read error", c->name);
    if (rc > 0 && rc != c->failed_line)
        return c2_fail(err, "%s:%d: syntax error: expected [section] or "
                       "key = value", c->name, rc);
    if (c->failed_line)
        return c2_fail(err, "%s:%d: %s", c->name, c->failed_line, c->err.msg);
    if (rc < 0) return c2_fail(err, "%s: out of memory", c->name);
    if (strlen(c->name) >= sizeof c->cfg.path)
        return c2_fail(err, "%s: path too long", c->name);
    strcpy(c->cfg.path, c->name);
    *cfg = c->cfg;
    return 0;
}

static load_ctx *ctx_new(const char *name, c2_err *err)
{
    load_ctx *c = calloc(1, sizeof *c);
    if (!c) {
        c2_fail(err, "out of memory");
        return NULL;
    }
    config_default(&c->cfg);
    c->name = name;
    return c;
}

int config_load_buffer(const char *text, size_t len, const char *name,
                       c2_config *cfg, c2_err *err)
{
    config_default(cfg);
    load_ctx *c = ctx_new(name ? name : "(config)", err);
    if (!c) return -1;
    c->mem = text;
    c->mem_len = text ? len : 0;
    int rc = parse_ctx(c, cfg, err);
    free(c);
    return rc;
}

/* The file to read: the explicit path, $C2FLOW_CONFIG, or the default
 * path (the only one that may be missing: *optional is set). */
static const char *config_path(const char *path, int *optional)
{
    *optional = 0;
    if (path) return path;
    const char *env = getenv(CONFIG_ENV);
    if (env && *env) return env;
    *optional = 1;
    return CONFIG_DEFAULT_PATH;
}

int config_load(const char *path, c2_config *cfg, c2_err *err)
{
    int optional;
    config_default(cfg);
    path = config_path(path, &optional);
    FILE *f = fopen(path, "r");
    if (!f) {
        if (optional && errno == ENOENT) return 0;
        return c2_fail_errno(err, "cannot read config %s", path);
    }
    load_ctx *c = ctx_new(path, err);
    if (!c) {
        fclose(f);
        return -1;
    }
    c->file = f;
    int rc = parse_ctx(c, cfg, err);
    free(c);
    fclose(f);
    return rc;
}
