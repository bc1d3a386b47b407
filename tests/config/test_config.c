/*
 * test_config.c: c2flow.conf parsing and checking (src/config/).
 *
 * Most cases feed config text through config_load_buffer(), the parser
 * config_load() uses for files, and check the values or the "file:line:"
 * message; a few write real files under $C2FLOW_TEST_TMP to cover the file
 * path, $C2FLOW_CONFIG and the shipped reference c2flow.conf, which is found
 * from this source file's own path (__FILE__) since tests get no source-dir
 * variable.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "config/config.h"

/* Load `text` as a file named "t.conf"; returns config_load_buffer's rc. */
static int load(const char *text, c2_config *cfg, c2_err *err)
{
    return config_load_buffer(text, strlen(text), "t.conf", cfg, err);
}

static void assert_defaults(const c2_config *cfg)
{
    store_options d;
    store_options_default(&d);
    assert_string_equal(cfg->store_dir, "");
    assert_int_equal(cfg->store.slice_ms, d.slice_ms);
    assert_int_equal(cfg->store.retention_ms, d.retention_ms);
    assert_int_equal(cfg->store.zstd_level, d.zstd_level);
    assert_int_equal(cfg->store.block_records, d.block_records);
    assert_int_equal(cfg->store.max_open_slices, d.max_open_slices);
    assert_int_equal(cfg->store.now_ms, d.now_ms);
    assert_true(cfg->query_memory == (uint64_t)1 << 30);
    assert_string_equal(cfg->collect.listen, ":2055");
    assert_string_equal(cfg->collect.metrics, "");
    assert_true(cfg->collect.rcvbuf == 128u << 20);
    assert_true(cfg->collect.queue == 256u << 20);
    assert_int_equal(cfg->collect.log_interval_ms, 60000);
    assert_int_equal(cfg->collect.seal_after_ms, 60000);
    assert_int_equal(cfg->collect.apply_sampling, 1);
    assert_int_equal(cfg->collect.nsampling, 0);
    detect_params dp;
    memset(&dp, 0, sizeof dp);          /* the padding too: compared as bytes */
    detect_params_default(&dp);
    assert_memory_equal(&cfg->detect.params, &dp, sizeof dp);
    assert_string_equal(cfg->detect.internal, "");
    assert_string_equal(cfg->detect.summaries, "");
    assert_string_equal(cfg->detect.model, "");
    assert_int_equal(cfg->detect.intel.n + cfg->detect.allowlists.n +
                     cfg->detect.internal_files.n, 0);
    assert_int_equal(cfg->detect.threads, 0);
    learn_options lo;
    memset(&lo, 0, sizeof lo);          /* the padding too: compared as bytes */
    learn_options_default(&lo);
    assert_memory_equal(&cfg->train, &lo, sizeof lo);
    assert_true(cfg->train.model.scale_pos_weight == 1);
}

/* Load text that must fail, and check the message is exactly `want`. */
static void expect_error(const char *text, const char *want)
{
    c2_config cfg;
    c2_err err = {{0}};
    if (load(text, &cfg, &err) == 0)
        fail_msg("accepted: %s", text);
    assert_string_equal(err.msg, want);
    assert_defaults(&cfg);          /* a bad file leaves only defaults */
}

static void test_defaults(void **state)
{
    (void)state;
    c2_config cfg;
    config_default(&cfg);
    assert_defaults(&cfg);
    assert_string_equal(cfg.path, "");
    /* The documented defaults, not just whatever store says. */
    assert_int_equal(cfg.store.slice_ms, 5 * 60 * 1000);
    assert_int_equal(cfg.store.retention_ms, 30 * C2_MS_PER_DAY);
    assert_int_equal(cfg.store.zstd_level, 3);
    assert_int_equal(cfg.store.block_records, 65536);
    assert_int_equal(cfg.store.max_open_slices, 8);
}

static void test_empty_text_is_defaults(void **state)
{
    (void)state;
    c2_config cfg;
    c2_err err;
    assert_int_equal(load("", &cfg, &err), 0);
    assert_defaults(&cfg);
    assert_string_equal(cfg.path, "t.conf");
    assert_int_equal(load("# only a comment\n\n[store]\n; another\n", &cfg, &err), 0);
    assert_defaults(&cfg);
}

static void test_every_key(void **state)
{
    (void)state;
    c2_config cfg;
    c2_err err;
    const char *text =
        "[store]\n"
        "dir = /srv/flows store\n"
        "slice = 15m\n"
        "retention = 90d\n"
        "zstd_level = 19\n"
        "block_records = 1024\n"
        "max_open_slices = 1024\n";
    assert_int_equal(load(text, &cfg, &err), 0);
    assert_string_equal(cfg.store_dir, "/srv/flows store");
    assert_int_equal(cfg.store.slice_ms, 15 * 60 * 1000);
    assert_int_equal(cfg.store.retention_ms, 90 * C2_MS_PER_DAY);
    assert_int_equal(cfg.store.zstd_level, 19);
    assert_int_equal(cfg.store.block_records, 1024);
    assert_int_equal(cfg.store.max_open_slices, 1024);
}

static void test_syntax_variants(void **state)
{
    (void)state;
    c2_config cfg;
    c2_err err;
    /* CRLF, no spaces, ':' separator, indented comment, inline " ;". */
    const char *text =
        "\xEF\xBB\xBF[store]\r\n"
        "slice=1h\r\n"
        "   # indented comment\r\n"
        "retention: off\r\n"
        "zstd_level = 7 ; faster than 9\r\n";
    assert_int_equal(load(text, &cfg, &err), 0);
    assert_int_equal(cfg.store.slice_ms, 3600000);
    assert_int_equal(cfg.store.retention_ms, 0);
    assert_int_equal(cfg.store.zstd_level, 7);
}

static void test_slice_bounds(void **state)
{
    (void)state;
    static const struct { const char *v; int64_t ms; } good[] = {
        {"1s", 1000}, {"2000ms", 2000}, {"1m", 60000}, {"300", 300000},
        {"1h", 3600000}, {"8h", 28800000}, {"1d", 86400000},
    };
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        c2_config cfg;
        c2_err err;
        char text[64];
        snprintf(text, sizeof text, "[store]\nslice = %s\n", good[i].v);
        if (load(text, &cfg, &err) != 0) fail_msg("%s: %s", good[i].v, err.msg);
        assert_int_equal(cfg.store.slice_ms, good[i].ms);
    }
    expect_error("[store]\nslice = 0\n",
                 "t.conf:2: slice: slice must be from 1s to 1d, got 0");
    expect_error("[store]\nslice = 999ms\n",
                 "t.conf:2: slice: slice must be from 1s to 1d, got 999ms");
    expect_error("[store]\nslice = 1500ms\n",
                 "t.conf:2: slice: slice must be whole seconds, got 1500ms");
    expect_error("[store]\nslice = 2d\n",
                 "t.conf:2: slice: slice must be from 1s to 1d, got 2d");
    expect_error("[store]\n\n\nslice = 7m\n",
                 "t.conf:4: slice: slice 7m does not divide a day evenly "
                 "(slices must tile days: e.g. 1m, 5m, 10m, 15m, 30m, 1h)");
    expect_error("[store]\nslice = 5 m\n",
                 "t.conf:2: slice: expected a duration such as 90s, 5m, 2h "
                 "or 30d, got '5 m'");
}

static void test_retention_bounds(void **state)
{
    (void)state;
    c2_config cfg;
    c2_err err;
    assert_int_equal(load("[store]\nretention = 0\n", &cfg, &err), 0);
    assert_int_equal(cfg.store.retention_ms, 0);
    assert_int_equal(load("[store]\nretention = 36500d\n", &cfg, &err), 0);
    assert_int_equal(cfg.store.retention_ms, 36500 * C2_MS_PER_DAY);
    assert_int_equal(load("[store]\nretention = 1w\n", &cfg, &err), 0);
    assert_int_equal(cfg.store.retention_ms, 7 * C2_MS_PER_DAY);
    expect_error("[store]\nretention = 36501d\n",
                 "t.conf:2: retention: retention must be 0 (forever) or from "
                 "1s to 36500d, got 36501d");
    expect_error("[store]\nretention = 500ms\n",
                 "t.conf:2: retention: retention must be 0 (forever) or from "
                 "1s to 36500d, got 500ms");
    expect_error("[store]\nretention = -1d\n",
                 "t.conf:2: retention: expected a duration such as 90s, 5m, "
                 "2h or 30d, got '-1d'");
    expect_error("[store]\nretention = 30 days\n",
                 "t.conf:2: retention: expected a duration such as 90s, 5m, "
                 "2h or 30d, got '30 days'");
}

/* A duration whose milliseconds overflow int64 must be refused, not
 * wrapped: 549010240289w wraps to 15270912 ms (4 h 15 min), a retention
 * that would delete nearly the whole store. */
static void test_huge_duration_is_rejected(void **state)
{
    (void)state;
    c2_config cfg;
    c2_err err;
    assert_int_equal(load("[store]\nretention = 549010240289w\n", &cfg, &err), -1);
    assert_int_equal(load("[store]\nretention = 640511947004d\n", &cfg, &err), -1);
    assert_int_equal(load("[store]\nretention = 1099511627776w\n", &cfg, &err), -1);
    assert_int_equal(load("[store]\nretention = 99999999999999999999d\n", &cfg, &err), -1);
}

static void test_integer_bounds(void **state)
{
    (void)state;
    c2_config cfg;
    c2_err err;
    assert_int_equal(load("[store]\nzstd_level = 1\n", &cfg, &err), 0);
    assert_int_equal(cfg.store.zstd_level, 1);
    assert_int_equal(load("[store]\nblock_records = 1048576\n", &cfg, &err), 0);
    assert_int_equal(cfg.store.block_records, 1048576);
    assert_int_equal(load("[store]\nmax_open_slices = 1\n", &cfg, &err), 0);
    assert_int_equal(cfg.store.max_open_slices, 1);

    expect_error("[store]\nzstd_level = 0\n",
                 "t.conf:2: zstd_level: expected an integer from 1 to 19, got '0'");
    expect_error("[store]\nzstd_level = 20\n",
                 "t.conf:2: zstd_level: expected an integer from 1 to 19, got '20'");
    expect_error("[store]\nzstd_level = +3\n",
                 "t.conf:2: zstd_level: expected an integer from 1 to 19, got '+3'");
    expect_error("[store]\nblock_records = 1023\n",
                 "t.conf:2: block_records: expected an integer from 1024 to "
                 "1048576, got '1023'");
    expect_error("[store]\nblock_records = 1048577\n",
                 "t.conf:2: block_records: expected an integer from 1024 to "
                 "1048576, got '1048577'");
    expect_error("[store]\nmax_open_slices = 0\n",
                 "t.conf:2: max_open_slices: expected an integer from 1 to "
                 "1024, got '0'");
    expect_error("[store]\nmax_open_slices = 99999999999999999999999\n",
                 "t.conf:2: max_open_slices: expected an integer from 1 to "
                 "1024, got '99999999999999999999999'");
    /* '#' only starts a comment at the start of a line. */
    expect_error("[store]\nzstd_level = 3 # three\n",
                 "t.conf:2: zstd_level: expected an integer from 1 to 19, "
                 "got '3 # three'");
}

static void test_dir(void **state)
{
    (void)state;
    expect_error("[store]\ndir =\n", "t.conf:2: dir: empty directory name");
    expect_error("[store]\ndir = ;just a comment\n",
                 "t.conf:2: dir: empty directory name");
}

static void test_unknown_names(void **state)
{
    (void)state;
    expect_error("[store]\nslices = 5m\n", "t.conf:2: unknown key 'slices' in [store]");
    expect_error("[store]\nSlice = 5m\n", "t.conf:2: unknown key 'Slice' in [store]");
    expect_error("[stroe]\nslice = 5m\n", "t.conf:1: unknown section [stroe]");
    expect_error("# c\n[store]\n[collector]\n", "t.conf:3: unknown section [collector]");
    expect_error("[ store ]\n", "t.conf:1: unknown section [ store ]");
    expect_error("slice = 5m\n[store]\n",
                 "t.conf:1: key 'slice' is outside any [section]");
    /* Untrusted bytes are shown tamed in the message. */
    expect_error("[store]\nx\x1b[31m = 1\n",
                 "t.conf:2: unknown key 'x?[31m' in [store]");
}

static void test_structure_errors(void **state)
{
    (void)state;
    expect_error("[store]\nslice = 5m\nslice = 10m\n",
                 "t.conf:3: [store] slice is set twice (first on line 2)");
    /* An indented line continues the previous value in libinih. */
    expect_error("[store]\ndir = /a\n  /b\n",
                 "t.conf:3: [store] dir is set twice (first on line 2)");
    expect_error("[store]\nslice 5m\n",
                 "t.conf:2: syntax error: expected [section] or key = value");
    expect_error("[store\nslice = 5m\n",
                 "t.conf:1: syntax error: expected [section] or key = value");
    /* The earliest problem is the one reported. */
    expect_error("[store]\nnonsense\nzstd_level = 99\n",
                 "t.conf:2: syntax error: expected [section] or key = value");
}

static void test_nul_byte(void **state)
{
    (void)state;
    static const char text[] = "[store]\nslice = 5m\0zstd_level = 9\n";
    c2_config cfg;
    c2_err err;
    assert_int_equal(config_load_buffer(text, sizeof text - 1, "t.conf", &cfg, &err), -1);
    assert_string_equal(err.msg, "t.conf:2: NUL byte in the file");
    assert_defaults(&cfg);
}

/* libinih would split a long line in two (its buffer holds 199
 * characters); the tail must not become a line of its own. */
static void test_long_line(void **state)
{
    (void)state;
    char text[600], line[400];
    /* 199 characters up to the split point, then a would-be key. */
    memset(line, 'a', 199);
    memcpy(line, "dir = /", 7);
    strcpy(line + 199, "zstd_level = 19\n");
    snprintf(text, sizeof text, "[store]\n%s", line);
    expect_error(text, "t.conf:2: line longer than 197 characters");

    /* 197 characters and CRLF is still fine... */
    c2_config cfg;
    c2_err err;
    line[197] = '\0';
    snprintf(text, sizeof text, "[store]\r\n%s\r\n", line);
    if (load(text, &cfg, &err) != 0) fail_msg("%s", err.msg);
    assert_int_equal(strlen(cfg.store_dir), 197 - 6);
    /* ... and so is a last line of 199 without a newline. */
    snprintf(text, sizeof text, "[store]\n%saa", line);
    if (load(text, &cfg, &err) != 0) fail_msg("%s", err.msg);
    assert_int_equal(strlen(cfg.store_dir), 199 - 6);
}

static void test_set_overrides(void **state)
{
    (void)state;
    c2_config cfg;
    c2_err err;
    assert_int_equal(load("[store]\nslice = 1h\nretention = 7d\n", &cfg, &err), 0);
    assert_int_equal(config_set(&cfg, "store", "retention", "0", &err), 0);
    assert_int_equal(cfg.store.retention_ms, 0);
    assert_int_equal(config_set(&cfg, "store", "dir", "/tmp/x", &err), 0);
    assert_string_equal(cfg.store_dir, "/tmp/x");
    assert_int_equal(config_set(&cfg, "store", "zstd_level", "12", &err), 0);
    assert_int_equal(cfg.store.zstd_level, 12);
    assert_int_equal(cfg.store.slice_ms, 3600000);     /* untouched */

    /* Same checks as the file, message without file:line, cfg unchanged. */
    c2_config before = cfg;
    assert_int_equal(config_set(&cfg, "store", "slice", "7m", &err), -1);
    assert_string_equal(err.msg, "slice 7m does not divide a day evenly "
                        "(slices must tile days: e.g. 1m, 5m, 10m, 15m, 30m, 1h)");
    assert_int_equal(config_set(&cfg, "store", "zstd_level", "x", &err), -1);
    assert_string_equal(err.msg, "expected an integer from 1 to 19, got 'x'");
    assert_int_equal(config_set(&cfg, "store", "dir", "", &err), -1);
    assert_int_equal(config_set(&cfg, "store", "nope", "1", &err), -1);
    assert_string_equal(err.msg, "unknown key 'nope' in [store]");
    assert_int_equal(config_set(&cfg, "nope", "dir", "/x", &err), -1);
    assert_string_equal(err.msg, "unknown section [nope]");
    assert_memory_equal(&cfg, &before, sizeof cfg);
}

/* ---- files ---- */

static const char *tmp_dir(void)
{
    const char *t = getenv("C2FLOW_TEST_TMP");
    if (!t || !*t) t = "/tmp";
    mkdir(t, 0755);
    return t;
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    assert_int_equal(fclose(f), 0);
}

static void test_files_and_env(void **state)
{
    (void)state;
    char path[4096], missing[4096];
    c2_config cfg;
    c2_err err;
    snprintf(path, sizeof path, "%s/config-%ld.conf", tmp_dir(), (long)getpid());
    snprintf(missing, sizeof missing, "%s/config-missing-%ld.conf", tmp_dir(),
             (long)getpid());
    write_file(path, "[store]\ndir = /data/store\n\nzstd_level = x\n");
    assert_int_equal(config_load(path, &cfg, &err), -1);
    char want[8192];
    snprintf(want, sizeof want, "%s:4: zstd_level: expected an integer from 1 "
             "to 19, got 'x'", path);
    assert_string_equal(err.msg, want);

    write_file(path, "[store]\ndir = /data/store\n");
    assert_int_equal(config_load(path, &cfg, &err), 0);
    assert_string_equal(cfg.store_dir, "/data/store");
    assert_string_equal(cfg.path, path);

    /* An explicit path that cannot be read is an error. */
    assert_int_equal(config_load(missing, &cfg, &err), -1);
    assert_non_null(strstr(err.msg, "No such file"));

    /* $C2FLOW_CONFIG, when set, is explicit too. */
    setenv(CONFIG_ENV, path, 1);
    assert_int_equal(config_load(NULL, &cfg, &err), 0);
    assert_string_equal(cfg.path, path);
    setenv(CONFIG_ENV, missing, 1);
    assert_int_equal(config_load(NULL, &cfg, &err), -1);
    unsetenv(CONFIG_ENV);
    /* The default path may be missing (only checkable where it is). */
    if (access(CONFIG_DEFAULT_PATH, F_OK) != 0 && errno == ENOENT) {
        assert_int_equal(config_load(NULL, &cfg, &err), 0);
        assert_string_equal(cfg.path, "");
        assert_defaults(&cfg);
    }
    unlink(path);
}

/* The reference c2flow.conf at the top of the tree, as shipped, means
 * exactly the defaults. */
static void test_shipped_file_is_defaults(void **state)
{
    (void)state;
    static const char self[] = "tests/config/test_config.c";
    const char *file = __FILE__;
    char path[4096];
    size_t n = strlen(file), top = n - (sizeof self - 1);
    if (n < sizeof self - 1 || strcmp(file + top, self) != 0)
        fail_msg("cannot find the source tree from __FILE__ = %s", file);
    snprintf(path, sizeof path, "%.*sc2flow.conf", (int)top, file);
    c2_config cfg;
    c2_err err;
    if (config_load(path, &cfg, &err) != 0) fail_msg("%s", err.msg);
    assert_defaults(&cfg);

    /* And it documents every option: uncommenting its "#key = value" lines
     * must give a file that still loads (the shown values are valid). */
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    char text[32768], line[512];
    size_t len = 0;
    int options = 0;
    while (fgets(line, sizeof line, f)) {
        const char *p = line;
        if (line[0] == '#' && line[1] != ' ' && line[1] != '\n' && strchr(line, '=')) {
            p = line + 1;
            options++;
        }
        size_t l = strlen(p);
        assert_true(len + l < sizeof text);
        memcpy(text + len, p, l);
        len += l;
    }
    fclose(f);
    assert_int_equal(options, 15 + 27 + 6 + 4);
    if (config_load_buffer(text, len, "uncommented", &cfg, &err) != 0)
        fail_msg("%s", err.msg);
    assert_string_equal(cfg.store_dir, "/var/lib/c2flow/store");
    cfg.store_dir[0] = '\0';
    assert_int_equal(cfg.collect.nsampling, 1);     /* the example line */
    cfg.collect.nsampling = 0;
    /* the [detect] example lines name files and prefixes; its thresholds
     * are the defaults */
    assert_string_equal(cfg.detect.internal, "100.64.0.0/10,2001:db8::/32");
    assert_int_equal(cfg.detect.intel.n, 1);
    assert_int_equal(cfg.detect.allowlists.n, 1);
    assert_int_equal(cfg.detect.internal_files.n, 1);
    assert_string_equal(cfg.detect.model, "/var/lib/c2flow/model.json");
    detect_params dp = cfg.detect.params;
    memset(&cfg.detect, 0, sizeof cfg.detect);
    cfg.detect.params = dp;
    assert_defaults(&cfg);
}

static void test_collect(void **state)
{
    (void)state;
    c2_config cfg;
    c2_err err;
    const char *text =
        "[collect]\n"
        "listen = 127.0.0.1:2055, [::1]:4739,6343\n"
        "metrics = 127.0.0.1:9155\n"
        "rcvbuf = 64M\n"
        "queue = 1G\n"
        "log_interval = 0\n"
        "seal_after = 2m\n"
        "apply_sampling = no\n"
        "[sampling]\n"
        "exporter = 192.0.2.1 1000\n"
        "exporter = 2001:db8::1   512\n";
    if (load(text, &cfg, &err) != 0) fail_msg("%s", err.msg);
    assert_string_equal(cfg.collect.listen, "127.0.0.1:2055, [::1]:4739,6343");
    assert_string_equal(cfg.collect.metrics, "127.0.0.1:9155");
    assert_true(cfg.collect.rcvbuf == 64u << 20);
    assert_true(cfg.collect.queue == 1u << 30);
    assert_int_equal(cfg.collect.log_interval_ms, 0);
    assert_int_equal(cfg.collect.seal_after_ms, 120000);
    assert_int_equal(cfg.collect.apply_sampling, 0);
    assert_int_equal(cfg.collect.nsampling, 2);
    char a[FLOW_ADDR_STRLEN];
    assert_string_equal(flow_addr_format(&cfg.collect.sampling[1].exporter, a, sizeof a),
                        "2001:db8::1");
    assert_int_equal(cfg.collect.sampling[0].interval, 1000);
    assert_int_equal(cfg.collect.sampling[1].interval, 512);

    /* the command line spells an override ADDR=N, and may repeat it */
    assert_int_equal(config_set(&cfg, "sampling", "exporter", "198.51.100.7=10", &err), 0);
    assert_int_equal(cfg.collect.nsampling, 3);
    assert_int_equal(config_set(&cfg, "sampling", "exporter", "198.51.100.7=20", &err), -1);
    assert_string_equal(err.msg, "exporter 198.51.100.7 is given twice");
    assert_int_equal(cfg.collect.nsampling, 3);

    expect_error("[collect]\nlisten = 2001:db8::1:2055\n",
                 "t.conf:2: listen: '2001:db8::1:2055': write an IPv6 endpoint as [ADDR]:PORT");
    expect_error("[collect]\nlisten = 10.0.0.1:70000\n",
                 "t.conf:2: listen: '10.0.0.1:70000': expected a port from 0 to 65535");
    expect_error("[collect]\nlisten = router.example:2055\n",
                 "t.conf:2: listen: 'router.example:2055': 'router.example' is not a "
                 "numeric IPv4 or IPv6 address");
    expect_error("[collect]\nlisten = 1.2.3.4:5,,6\n",
                 "t.conf:2: listen: expected ADDR:PORT[,ADDR:PORT...]");
    expect_error("[collect]\nmetrics = localhost\n",
                 "t.conf:2: metrics: expected ADDR:PORT or off");
    expect_error("[collect]\napply_sampling = maybe\n",
                 "t.conf:2: apply_sampling: expected yes or no, got 'maybe'");
    expect_error("[collect]\nlog_interval = 10ms\n",
                 "t.conf:2: log_interval: log_interval must be 0 (off) or at least 1s");
    expect_error("[collect]\nrcvbuf = 1k\n",
                 "t.conf:2: rcvbuf: expected a size from 65536 to 2147483648 bytes "
                 "(k, M, G allowed), got '1k'");
    expect_error("[sampling]\nexporter = 192.0.2.1\n",
                 "t.conf:2: exporter: expected a sampling interval from 1 to 4294967295 "
                 "after the address, got ''");
    expect_error("[sampling]\nexporter = 192.0.2.1 0\n",
                 "t.conf:2: exporter: expected a sampling interval from 1 to 4294967295 "
                 "after the address, got '0'");
    expect_error("[sampling]\nexporter = 192.0.2.300 10\n",
                 "t.conf:2: exporter: '192.0.2.300' is not an IPv4 or IPv6 address");
    expect_error("[sampling]\nexporter = 192.0.2.1 10\nexporter = 192.0.2.1 20\n",
                 "t.conf:3: exporter: exporter 192.0.2.1 is given twice");
    expect_error("[collect]\nlisten = :1\nlisten = :2\n",
                 "t.conf:3: [collect] listen is set twice (first on line 2)");
}

static void test_query_memory(void **state)
{
    (void)state;
    c2_config cfg;
    c2_err err;
    assert_int_equal(load("[query]\nmemory = 256M\n", &cfg, &err), 0);
    assert_true(cfg.query_memory == (uint64_t)256 << 20);
    assert_int_equal(config_set(&cfg, "query", "memory", "2GiB", &err), 0);
    assert_true(cfg.query_memory == (uint64_t)2 << 30);
    assert_int_equal(config_set(&cfg, "query", "memory", "512k", &err), -1);
    assert_int_equal(config_set(&cfg, "query", "memory", "lots", &err), -1);
    assert_non_null(strstr(err.msg, "lots"));
    expect_error("[query]\nmemory = 10X\n",
                 "t.conf:2: memory: bad size '10X' (expected e.g. 512M, 1G, 65536)");
}

/* A [detect] number from the command line: `good` sets *field to want,
 * `bad` is refused and leaves it so. */
static void check_detect_number(c2_config *cfg, const char *key, const char *good,
                                const double *field, double want, const char *bad)
{
    c2_err err;
    assert_int_equal(config_set(cfg, "detect", key, good, &err), 0);
    assert_true(*field == want);
    assert_int_equal(config_set(cfg, "detect", key, bad, &err), -1);
    assert_true(*field == want);
}

static void test_detect(void **state)
{
    (void)state;
    c2_config cfg;
    c2_err err;
    const char *text =
        "[detect]\n"
        "internal = 100.64.0.0/10, 2001:db8::/32\n"
        "internal = 192.0.2.0/24\n"
        "internal_file = /etc/c2flow/customers.txt\n"
        "allowlist = /etc/c2flow/resolvers.txt\n"
        "allowlist = /etc/c2flow/cdn.txt\n"
        "intel = /var/lib/c2flow/feodo.csv\n"
        "summaries = /var/lib/c2flow/summaries\n"
        "threads = 2\n"
        "scan_pps = 2.5\n"
        "min_infected = 4\n";
    if (load(text, &cfg, &err) != 0) fail_msg("%s", err.msg);
    assert_string_equal(cfg.detect.internal, "100.64.0.0/10,2001:db8::/32,192.0.2.0/24");
    assert_int_equal(cfg.detect.internal_files.n, 1);
    assert_int_equal(cfg.detect.allowlists.n, 2);
    assert_string_equal(cfg.detect.allowlists.path[1], "/etc/c2flow/cdn.txt");
    assert_string_equal(cfg.detect.intel.path[0], "/var/lib/c2flow/feodo.csv");
    assert_string_equal(cfg.detect.summaries, "/var/lib/c2flow/summaries");
    assert_int_equal(cfg.detect.threads, 2);
    assert_true(cfg.detect.params.scan_pps == 2.5);
    assert_int_equal(cfg.detect.params.min_infected, 4);
    assert_int_equal(cfg.detect.params.scan_min_samples, 20);     /* untouched */

    /* thresholds from the command line, checked as in the file */
    check_detect_number(&cfg, "min_score", "70", &cfg.detect.params.min_score, 70, "101");
    assert_int_equal(config_set(&cfg, "detect", "burst_hosts", "2.5", &err), -1);
    assert_non_null(strstr(err.msg, "whole number"));
    assert_int_equal(config_set(&cfg, "detect", "rare_share", "x", &err), -1);
    /* method 2's keys */
    assert_int_equal(config_set(&cfg, "detect", "model", "/var/lib/c2flow/m.json", &err), 0);
    assert_string_equal(cfg.detect.model, "/var/lib/c2flow/m.json");
    assert_int_equal(config_set(&cfg, "detect", "ml_min_clients", "2", &err), 0);
    assert_int_equal(cfg.detect.params.ml_min_clients, 2);
    assert_int_equal(config_set(&cfg, "detect", "ml_min_clients", "0", &err), -1);
    assert_int_equal(config_set(&cfg, "detect", "ml_probe_clients", "1", &err), 0);
    assert_int_equal(cfg.detect.params.ml_probe_clients, 1);
    assert_int_equal(config_set(&cfg, "detect", "ml_probe_clients", "0", &err), -1);
    const detect_params *dp = &cfg.detect.params;
    check_detect_number(&cfg, "ml_min_score", "80", &dp->ml_min_score, 80, "101");
    check_detect_number(&cfg, "ml_veto_score", "0", &dp->ml_veto_score, 0, "-1");
    check_detect_number(&cfg, "oneoff_significance", "0", &dp->oneoff_significance, 0, "2");
    check_detect_number(&cfg, "oneoff_return", "0.5", &dp->oneoff_return, 0.5, "-0.1");
    check_detect_number(&cfg, "oneoff_tier", "1", &dp->oneoff_tier, 1, "x");
    check_detect_number(&cfg, "oneoff_onset", "0", &dp->oneoff_onset, 0, "1.01");
    check_detect_number(&cfg, "ml_hub_share", "0.25", &dp->ml_hub_share, 0.25, "1.5");

    expect_error("[detect]\ninternal = 100.64.0.0/33\n",
                 "t.conf:2: internal: bad address '100.64.0.0/33': prefix length above 32");
    expect_error("[detect]\nscan_fresh = 1.5\n",
                 "t.conf:2: scan_fresh: expected a number from 0 to 1, got '1.5'");
    expect_error("[detect]\nthreads = 100\n",
                 "t.conf:2: threads: expected an integer from 0 to 64, got '100'");
    expect_error("[detect]\nscan_pps = 1\nscan_pps = 2\n",
                 "t.conf:3: [detect] scan_pps is set twice (first on line 2)");
}

/* [train]: method 2's training options, in the file and from the command
 * line (config_set), each checked against its range; a bad value leaves
 * the option as it was. */
static void test_train(void **state)
{
    (void)state;
    c2_config cfg;
    c2_err err;
    const char *text =
        "[train]\n"
        "rounds = 300\n"
        "max_depth = 6\n"
        "eta = 0.05\n"
        "max_negatives = 0\n"
        "positive_weight = 0\n"
        "seed = 42\n";
    assert_int_equal(load(text, &cfg, &err), 0);
    assert_int_equal(cfg.train.model.rounds, 300);
    assert_int_equal(cfg.train.model.max_depth, 6);
    assert_true(cfg.train.model.eta == 0.05);
    assert_int_equal(cfg.train.max_negatives, 0);
    assert_true(cfg.train.model.scale_pos_weight == 0);
    assert_int_equal(cfg.train.model.seed, 42);
    assert_int_equal(cfg.train.model.subsample == 0.8, 1);          /* untouched */

    assert_int_equal(config_set(&cfg, "train", "positive_weight", "2.5", &err), 0);
    assert_true(cfg.train.model.scale_pos_weight == 2.5);
    assert_int_equal(config_set(&cfg, "train", "positive_weight", "-1", &err), -1);
    assert_non_null(strstr(err.msg, "from 0 to 1e+09"));
    assert_true(cfg.train.model.scale_pos_weight == 2.5);
    assert_int_equal(config_set(&cfg, "train", "rounds", "1.5", &err), -1);
    assert_non_null(strstr(err.msg, "whole number"));
    assert_int_equal(config_set(&cfg, "train", "rounds", "0", &err), -1);
    assert_int_equal(cfg.train.model.rounds, 300);
    assert_int_equal(config_set(&cfg, "train", "max_negatives", "1e12", &err), 0);
    assert_true(cfg.train.max_negatives == 1000000000000ull);
    assert_int_equal(config_set(&cfg, "train", "seed", "x", &err), -1);
    assert_int_equal(config_set(&cfg, "train", "subsample", "0.5", &err), -1);

    expect_error("[train]\neta = 0\n",
                 "t.conf:2: eta: expected a number from 0.001 to 1, got '0'");
    expect_error("[train]\nmax_depth = 21\n",
                 "t.conf:2: max_depth: expected a whole number from 1 to 20, got '21'");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_query_memory),
        cmocka_unit_test(test_collect),
        cmocka_unit_test(test_detect),
        cmocka_unit_test(test_train),
        cmocka_unit_test(test_empty_text_is_defaults),
        cmocka_unit_test(test_every_key),
        cmocka_unit_test(test_syntax_variants),
        cmocka_unit_test(test_slice_bounds),
        cmocka_unit_test(test_retention_bounds),
        cmocka_unit_test(test_huge_duration_is_rejected),
        cmocka_unit_test(test_integer_bounds),
        cmocka_unit_test(test_dir),
        cmocka_unit_test(test_unknown_names),
        cmocka_unit_test(test_structure_errors),
        cmocka_unit_test(test_nul_byte),
        cmocka_unit_test(test_long_line),
        cmocka_unit_test(test_set_overrides),
        cmocka_unit_test(test_files_and_env),
        cmocka_unit_test(test_shipped_file_is_defaults),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
