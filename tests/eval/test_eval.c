/*
 * test_eval.c: scoring a C2 list against a truth file (src/eval/).
 *
 * One hand-built truth (seven C2 servers, two other malicious servers) and
 * one list of nine rows cover every case a row or a server can be in; the
 * expected figures were worked out by hand from the table below and are
 * checked for the default run, --at, --min-bots, a --feed file, servers
 * excluded as known (--exclude) and the precision/recall curve by minimum
 * score (--curve).  The truth reader and the loader of exclude files are
 * checked on bad input, each with its message.
 *
 *   C2  address:port/proto  family  born         died   bots  feed_listed
 *   A   10.0.0.1:23/tcp     mirai   01-05 12:00  -       37   02-01
 *   B   10.0.0.2:23/tcp     mirai   01-03 00:00  -        3   -
 *   C   10.0.0.3:443/tcp    emotet  01-06 00:00  01-07  150   01-06 12:00
 *   D   10.0.0.4:7777/udp   gafgyt  01-07 00:00  -        1   01-20
 *   E   10.0.0.5:1177/tcp   njrat   01-01 00:00  01-02    0   -   (dead before start)
 *   F   10.0.0.6:6667/tcp   gafgyt  01-05 00:00  -       20   01-10
 *   G   10.0.0.4:8080/tcp   gafgyt  01-05 06:00  -        5   -   (D's address)
 *   loaders: 10.9.9.9:80/tcp, 10.0.0.1:80/tcp (A's address)
 *   window: 2026-01-05 .. 2026-01-08
 *
 *   row  key               first_seen    score  is
 *   r1   10.0.0.1:23/tcp   01-05 18:00   90     A
 *   r2   10.0.0.3:443/tcp  01-07 00:00   80     C
 *   r3   10.0.0.4:7777/udp 01-10 00:00   70     D, but after the end
 *   r4   10.0.0.6:6667/tcp 01-08 00:00   60     F, at the end exactly
 *   r5   10.9.9.9:80/tcp   -             50     a loader
 *   r6   192.0.2.1:443/tcp 01-06 00:00   40     nothing
 *   r7   10.0.0.5:1177/tcp -             30     E, not counted
 *   r8   10.0.0.1:8443/tcp 01-06 06:00   20     nothing, at A's address
 *   r9   10.0.0.4:8080/tcp -             10     G
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "eval/eval.h"

static const char truth_json[] =
    "{\"format\": \"c2flow-truth/1\", \"scenario\": \"hand\", \"seed\": 1,\n"
    " \"start\": \"2026-01-05T00:00:00Z\", \"end\": \"2026-01-08T00:00:00Z\",\n"
    " \"internal\": [\"100.64.0.0/14\"], \"subscribers\": 10,\n"
    " \"c2\": [\n"
    "  {\"ip\": \"10.0.0.1\", \"port\": 23, \"proto\": \"tcp\", \"family\": \"mirai\",\n"
    "   \"born\": \"2026-01-05T12:00:00Z\", \"died\": null, \"bots\": 37, \"packets\": 9,\n"
    "   \"feed_listed\": \"2026-02-01T00:00:00Z\"},\n"
    "  {\"ip\": \"10.0.0.2\", \"port\": 23, \"proto\": \"tcp\", \"family\": \"mirai\",\n"
    "   \"born\": \"2026-01-03T00:00:00Z\", \"died\": null, \"bots\": 3, \"feed_listed\": null},\n"
    "  {\"ip\": \"10.0.0.3\", \"port\": 443, \"proto\": \"tcp\", \"family\": \"emotet\",\n"
    "   \"born\": \"2026-01-06T00:00:00Z\", \"died\": \"2026-01-07T00:00:00Z\", \"bots\": 150,\n"
    "   \"feed_listed\": \"2026-01-06T12:00:00Z\"},\n"
    "  {\"ip\": \"10.0.0.4\", \"port\": 7777, \"proto\": \"udp\", \"family\": \"gafgyt\",\n"
    "   \"born\": \"2026-01-07T00:00:00Z\", \"died\": null, \"bots\": 1,\n"
    "   \"feed_listed\": \"2026-01-20T00:00:00Z\"},\n"
    "  {\"ip\": \"10.0.0.5\", \"port\": 1177, \"proto\": 6, \"family\": \"njrat\",\n"
    "   \"born\": \"2026-01-01T00:00:00Z\", \"died\": \"2026-01-02T00:00:00Z\", \"bots\": 0,\n"
    "   \"feed_listed\": null},\n"
    "  {\"ip\": \"10.0.0.6\", \"port\": 6667, \"proto\": \"tcp\", \"family\": \"gafgyt\",\n"
    "   \"born\": \"2026-01-05T00:00:00Z\", \"died\": null, \"bots\": 20,\n"
    "   \"feed_listed\": \"2026-01-10T00:00:00Z\"},\n"
    "  {\"ip\": \"10.0.0.4\", \"port\": 8080, \"proto\": \"tcp\", \"family\": \"gafgyt\",\n"
    "   \"born\": \"2026-01-05T06:00:00Z\", \"died\": null, \"bots\": 5, \"feed_listed\": null}\n"
    " ],\n"
    " \"loaders\": [\n"
    "  {\"ip\": \"10.9.9.9\", \"port\": 80, \"proto\": \"tcp\", \"family\": \"mirai\",\n"
    "   \"role\": \"loader\", \"born\": \"2026-01-01T00:00:00Z\", \"died\": null},\n"
    "  {\"ip\": \"10.0.0.1\", \"port\": 80, \"proto\": \"tcp\", \"family\": \"mirai\",\n"
    "   \"role\": \"download\"}\n"
    " ],\n"
    " \"infected\": [], \"ddos\": [], \"lookalikes\": [], \"stats\": {\"records\": 1}}\n";

static const char list_csv[] =
    "ip,port,proto,first_seen,score,method\n"
    "10.0.0.1,23,tcp,2026-01-05T18:00:00Z,90,graph\n"
    "10.0.0.3,443,tcp,2026-01-07T00:00:00Z,80,graph\n"
    "10.0.0.4,7777,udp,2026-01-10T00:00:00Z,70,ml\n"
    "10.0.0.6,6667,tcp,2026-01-08T00:00:00Z,60,ml\n"
    "10.9.9.9,80,tcp,,50,ml\n"
    "192.0.2.1,443,tcp,2026-01-06T00:00:00Z,40,ml\n"
    "10.0.0.5,1177,tcp,,30,import\n"
    "10.0.0.1,8443,tcp,2026-01-06T06:00:00Z,20,ml\n"
    "10.0.0.4,8080,tcp,,10,both\n";

/* ---- helpers ---- */

typedef struct fixture {
    eval_truth truth;
    c2list    *list;
} fixture;

static int setup(void **state)
{
    fixture *fx = calloc(1, sizeof *fx);
    c2_err err;
    if (eval_truth_read_mem(truth_json, strlen(truth_json), &fx->truth, &err) != 0)
        fail_msg("truth: %s", err.msg);
    if (c2list_read_mem(list_csv, strlen(list_csv), 0, &fx->list, &err) != 0)
        fail_msg("list: %s", err.msg);
    *state = fx;
    return 0;
}

static int teardown(void **state)
{
    fixture *fx = *state;
    eval_truth_free(&fx->truth);
    c2list_free(fx->list);
    free(fx);
    return 0;
}

static int64_t T(const char *iso)
{
    int64_t ms;
    if (c2list_time_parse(iso, &ms) != 0) fail_msg("bad test time %s", iso);
    return ms;
}

static void near(double got, double want)
{
    if (isnan(want) ? !isnan(got) : !(fabs(got - want) < 1e-9))
        fail_msg("got %.12g, want %.12g", got, want);
}

static eval_result run_opt(const fixture *fx, const eval_options *opt)
{
    eval_result r;
    c2_err err;
    if (eval_run(&fx->truth, fx->list, opt, &r, &err) != 0) fail_msg("run: %s", err.msg);
    return r;
}

static eval_result run(const fixture *fx, int64_t at, uint32_t min_bots, const intel_set *feed)
{
    eval_options opt = {.at = at, .min_bots = min_bots, .feed = feed};
    return run_opt(fx, &opt);
}

/* A default run, all C2 as known as text (any format eval_exclude reads)
 * says; curve as asked. */
static eval_result run_excluding(const fixture *fx, const char *text, int curve)
{
    intel_set *known;
    c2_err err;
    assert_int_equal(intel_new(&known, &err), 0);
    if (eval_exclude_load_mem(known, text, strlen(text), "known", NULL, &err) != 0)
        fail_msg("exclude: %s", err.msg);
    eval_options opt = {.at = EVAL_AT_END, .exclude = known, .curve = curve};
    eval_result r = run_opt(fx, &opt);
    intel_free(known);
    return r;
}

static void counts(const eval_counts *c, uint64_t tp, uint64_t fp, uint64_t fn,
                   uint64_t infra, uint64_t ignored)
{
    assert_int_equal(c->tp, tp);
    assert_int_equal(c->fp, fp);
    assert_int_equal(c->fn, fn);
    assert_int_equal(c->infra, infra);
    assert_int_equal(c->ignored, ignored);
    uint64_t all = tp + fp + infra;
    near(c->precision, all ? (double)tp / (double)all : NAN);
    near(c->precision_infra, all ? (double)(tp + infra) / (double)all : NAN);
    near(c->recall, tp + fn ? (double)tp / (double)(tp + fn) : NAN);
}

static void group(const eval_group *g, const char *name, uint64_t c2, uint64_t detected)
{
    assert_string_equal(g->name, name);
    assert_int_equal(g->c2, c2);
    assert_int_equal(g->detected, detected);
    near(g->recall, c2 ? (double)detected / (double)c2 : NAN);
}

/* ---- the truth reader ---- */

static void test_truth_read(void **state)
{
    fixture *fx = *state;
    const eval_truth *t = &fx->truth;
    assert_int_equal(t->start, T("2026-01-05T00:00:00Z"));
    assert_int_equal(t->end, T("2026-01-08T00:00:00Z"));
    assert_int_equal(t->n_c2, 7);
    assert_int_equal(t->n_infra, 2);
    assert_int_equal(t->c2[0].died, EVAL_NEVER);
    assert_int_equal(t->c2[1].feed_listed, EVAL_NEVER);
    assert_int_equal(t->c2[2].died, T("2026-01-07T00:00:00Z"));
    assert_int_equal(t->c2[3].proto, 17);
    assert_int_equal(t->c2[4].proto, 6);
    assert_int_equal(t->c2[5].bots, 20);
    assert_string_equal(t->c2[2].family, "emotet");
    assert_string_equal(t->infra[1].role, "download");
}

/* The truth with one substring replaced. */
static char *edit(const char *from, const char *to)
{
    const char *at = strstr(truth_json, from);
    if (!at) fail_msg("no '%s' in the truth", from);
    size_t n = strlen(truth_json) + strlen(to) + 1;
    char *s = malloc(n);
    snprintf(s, n, "%.*s%s%s", (int)(at - truth_json), truth_json, to, at + strlen(from));
    return s;
}

static void test_truth_errors(void **state)
{
    (void)state;
    static const struct { const char *from, *to, *error; } bad[] = {
        {"c2flow-truth/1", "c2flow-truth/2", "format is not \"c2flow-truth/1\""},
        {"\"format\": \"c2flow-truth/1\",", "", "truth: no \"format\""},
        {"\"end\": \"2026-01-08T00:00:00Z\"", "\"end\": \"2026-01-05T00:00:00Z\"",
         "end is not after start"},
        {"\"start\": \"2026-01-05T00:00:00Z\"", "\"start\": 1767571200",
         "truth.start: not a UTC time (\"2026-01-05T00:00:00Z\")"},
        {"\"port\": 443", "\"port\": 70000", "c2[2].port: not an integer 0-65535"},
        {"\"port\": 443", "\"port\": \"443\"", "c2[2].port: not an integer 0-65535"},
        {"\"proto\": \"udp\"", "\"proto\": \"bogus\"", "c2[3].proto: not a protocol name or number"},
        {"\"bots\": 37", "\"bots\": -1", "c2[0].bots: not an integer 0-4294967295"},
        {"\"bots\": 37, ", "", "c2[0]: no \"bots\""},
        {"\"died\": \"2026-01-07T00:00:00Z\"", "\"died\": \"2026-01-05T00:00:00Z\"",
         "c2[2]: died before born"},
        {"\"feed_listed\": null}\n ]", "\"x\": 1}\n ]", "c2[6]: no \"feed_listed\""},
        {"\"ip\": \"10.0.0.2\"", "\"ip\": \"10.0.0.1\"", "c2[0] and c2[1]: the same server 10.0.0.1 port 23"},
        {"\"family\": \"njrat\"", "\"family\": \"\"", "c2[4].family: not a name of 1-63 bytes"},
        {"\"family\": \"njrat\"", "\"family\": \"a\\nb\"", "c2[4].family: a control character"},
        {"\"role\": \"loader\"", "\"role\": 5", "loaders[0].role: not a name of 1-63 bytes"},
        {"\"ip\": \"10.9.9.9\"", "\"ip\": \"loader.example\"", "loaders[0].ip: not an IP address"},
        {" \"loaders\": [", " \"loadrs\": [", "truth: no \"loaders\""},
        {" \"c2\": [", " \"c2\": 5, \"x\": [", "c2: not an array"},
        {"\"seed\": 1", "\"seed\": 1, \"seed\": 2", "line 1: bad JSON: duplicate object key"},
        {"\"stats\": {\"records\": 1}}", "\"stats\": {", "line "},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char *text = edit(bad[i].from, bad[i].to);
        eval_truth t;
        c2_err err;
        assert_int_equal(eval_truth_read_mem(text, strlen(text), &t, &err), -1);
        if (strncmp(err.msg, bad[i].error, strlen(bad[i].error)) != 0)
            fail_msg("case %zu: got '%s', want '%s'", i, err.msg, bad[i].error);
        eval_truth_free(&t);
        free(text);
    }
    eval_truth t;
    c2_err err;
    assert_int_equal(eval_truth_read_mem("[1]", 3, &t, &err), -1);
    assert_string_equal(err.msg, "not a JSON object");
    eval_truth_free(&t);
    assert_int_equal(eval_truth_read_file("/nonexistent/truth.json", &t, &err), -1);
    assert_non_null(strstr(err.msg, "/nonexistent/truth.json: "));
    eval_truth_free(&t);
}

/* ---- the figures ---- */

static void test_default_run(void **state)
{
    eval_result r = run(*state, EVAL_AT_END, 0, NULL);
    assert_int_equal(r.at, T("2026-01-08T00:00:00Z"));
    assert_int_equal(r.truth_c2, 7);
    assert_int_equal(r.counted, 6);                   /* all but E */
    assert_int_equal(r.rows, 9);
    assert_int_equal(r.rows_after_at, 1);             /* r3 */
    /* TP A C F G; FN B D; FP r6 r8; infra r5; ignored r7 */
    counts(&r.server, 4, 2, 2, 1, 1);
    near(r.server.f1, 2.0 * (4.0 / 7) * (4.0 / 6) / (4.0 / 7 + 4.0 / 6));
    /* addresses: counted .1 .2 .3 .4 .6; listed .1 .3 .4 .5 .6 10.9.9.9 192.0.2.1 */
    counts(&r.ip, 4, 1, 1, 1, 1);

    assert_int_equal(r.n_families, 3);
    group(&r.families[0], "emotet", 1, 1);
    group(&r.families[1], "gafgyt", 3, 2);            /* D missed */
    group(&r.families[2], "mirai", 2, 1);             /* B missed */

    group(&r.bots[0], "0", 0, 0);
    group(&r.bots[1], "1", 1, 0);                     /* D */
    group(&r.bots[2], "2-4", 1, 0);                   /* B */
    group(&r.bots[3], "5-19", 1, 1);                  /* G */
    group(&r.bots[4], "20-99", 2, 2);                 /* A F */
    group(&r.bots[5], "100+", 1, 1);                  /* C */
    group(&r.bots20, "20+", 3, 3);

    /* lead: A 0.25 d, C 1 d, F 3 d; G's first_seen unknown */
    assert_int_equal(r.lead.c2, 3);
    assert_int_equal(r.lead.first_seen_unknown, 1);
    assert_int_equal(r.lead.born_before_start, 0);
    near(r.lead.within_1d, 2.0 / 3);
    near(r.lead.within_2d, 2.0 / 3);
    near(r.lead.within_7d, 1.0);
    near(r.lead.median_days, 1.0);
    near(r.lead.mean_days, (0.25 + 1 + 3) / 3);

    /* feed: A 26.25 d earlier, C later, F 2 d earlier; G never listed */
    assert_int_equal(r.feed.from_file, 0);
    assert_int_equal(r.feed.listed, 3);
    assert_int_equal(r.feed.earlier, 2);
    assert_int_equal(r.feed.never_listed, 1);
    near(r.feed.share_earlier, 2.0 / 3);
    near(r.feed.mean_days_earlier, (26.25 + 2) / 2);
    eval_result_free(&r);
}

static void test_at(void **state)
{
    eval_result r = run(*state, T("2026-01-06T12:00:00Z"), 0, NULL);
    /* D not born yet; rows r2 r3 r4 first seen later */
    assert_int_equal(r.counted, 5);
    assert_int_equal(r.rows_after_at, 3);
    counts(&r.server, 2, 2, 3, 1, 1);                 /* TP A G; FN B C F */
    /* addresses counted .1 .2 .3 .4 .6; listed .1 .4 .5 10.9.9.9 192.0.2.1 */
    counts(&r.ip, 2, 1, 3, 1, 1);
    group(&r.bots20, "20+", 3, 1);
    assert_int_equal(r.lead.c2, 1);                   /* A */
    near(r.lead.median_days, 0.25);
    assert_int_equal(r.feed.listed, 1);
    near(r.feed.mean_days_earlier, 26.25);
    eval_result_free(&r);

    /* before the window: nothing counted (B, born before, is not alive in an
     * empty [start, at]), ratios undefined */
    r = run(*state, T("2026-01-04T00:00:00Z"), 0, NULL);
    assert_int_equal(r.counted, 0);
    near(r.server.recall, NAN);
    near(r.lead.median_days, NAN);
    eval_result_free(&r);
}

/* --from: the detection window of a time split starts after the truth's */
static void test_from(void **state)
{
    eval_result all = run(*state, EVAL_AT_END, 0, NULL);
    eval_options opt = {.from = T("2026-01-07T12:00:00Z"), .at = EVAL_AT_END};
    eval_result r = run_opt(*state, &opt);
    /* C died on the 7th at midnight: no longer asked about; its row ignored */
    assert_int_equal(r.counted, all.counted - 1);
    assert_int_equal(r.start, T("2026-01-07T12:00:00Z"));
    assert_int_equal(r.server.ignored, all.server.ignored + 1);
    assert_int_equal(r.server.tp, all.server.tp - 1);
    /* A, born on the 5th, is detected but born before the span: not timed */
    assert_true(r.lead.born_before_start > all.lead.born_before_start);
    eval_result_free(&r);

    /* a --from before the truth's start is the truth's start */
    opt.from = T("2025-12-01T00:00:00Z");
    r = run_opt(*state, &opt);
    assert_int_equal(r.counted, all.counted);
    assert_int_equal(r.start, all.start);
    eval_result_free(&r);
    eval_result_free(&all);
}

static void test_min_bots(void **state)
{
    eval_result r = run(*state, EVAL_AT_END, 20, NULL);
    assert_int_equal(r.counted, 3);                   /* A C F */
    counts(&r.server, 3, 2, 0, 1, 2);                 /* r9 (G) and r7 (E) ignored */
    near(r.server.precision, 0.5);
    /* addresses: counted .1 .3 .6; .4 and .5 are C2 not counted */
    counts(&r.ip, 3, 1, 0, 1, 2);
    group(&r.bots[1], "1", 0, 0);
    group(&r.bots[4], "20-99", 2, 2);
    assert_int_equal(r.n_families, 3);
    group(&r.families[1], "gafgyt", 1, 1);
    eval_result_free(&r);
}

static void test_feed_file(void **state)
{
    intel_set *feed;
    c2_err err;
    const char *csv =
        "# \"first_seen_utc\",\"dst_ip\",\"dst_port\",\"c2_status\",\"last_online\",\"malware\"\n"
        "\"2026-01-05 10:00:00\",\"10.0.0.1\",\"23\",\"online\",\"\",\"Mirai\"\n"
        "\"2026-01-20 00:00:00\",\"10.0.0.6\",\"6667\",\"online\",\"\",\"Gafgyt\"\n"
        "\"2026-01-06 00:00:00\",\"10.0.0.4\",\"8080\",\"online\",\"\",\"Gafgyt\"\n";
    assert_int_equal(intel_new(&feed, &err), 0);
    assert_int_equal(intel_load_mem(feed, csv, strlen(csv), "feed", INTEL_AUTO, NULL, &err), 0);
    eval_result r = run(*state, EVAL_AT_END, 0, feed);
    assert_int_equal(r.feed.from_file, 1);
    assert_int_equal(r.feed.listed, 2);               /* A (feed first), F (12 d later) */
    assert_int_equal(r.feed.earlier, 1);
    near(r.feed.mean_days_earlier, 12.0);
    assert_int_equal(r.feed.never_listed, 1);         /* C */
    assert_int_equal(r.feed.first_seen_unknown, 1);   /* G */
    assert_int_equal(r.feed.listed_undated, 0);
    eval_result_free(&r);

    /* a plain list gives no dates */
    const char *plain = "10.0.0.3\n";
    assert_int_equal(intel_load_mem(feed, plain, strlen(plain), "plain", INTEL_AUTO, NULL, &err), 0);
    r = run(*state, EVAL_AT_END, 0, feed);
    assert_int_equal(r.feed.listed_undated, 1);
    assert_int_equal(r.feed.never_listed, 0);
    eval_result_free(&r);
    intel_free(feed);
}

/* ---- known servers excluded ---- */

static void test_exclude(void **state)
{
    /* A is known: neither TP nor FN, its row r1 ignored, and gone from
     * every other figure too */
    eval_result r = run_excluding(*state, "10.0.0.1:23\n", 0);
    assert_int_equal(r.excluding, 1);
    assert_int_equal(r.excluded, 1);
    assert_int_equal(r.counted, 5);
    counts(&r.server, 3, 2, 2, 1, 2);                 /* TP C F G; FN B D; ignored r1 r7 */
    /* addresses counted .2 .3 .4 .6; .1 is now an uncounted C2's (before
     * being a loader's), so r1 and r8 make it ignored, like .5 */
    counts(&r.ip, 3, 1, 1, 1, 2);
    group(&r.families[2], "mirai", 1, 0);             /* B alone */
    group(&r.bots[4], "20-99", 1, 1);                 /* F */
    group(&r.bots20, "20+", 2, 2);
    assert_int_equal(r.lead.c2, 2);                   /* C, F */
    assert_int_equal(r.feed.listed, 2);
    assert_int_equal(r.feed.earlier, 1);              /* F */
    eval_result_free(&r);

    /* an address alone (port 0) excludes every port of it: D and G */
    r = run_excluding(*state, "# known\n10.0.0.4\n", 0);
    assert_int_equal(r.excluded, 2);
    assert_int_equal(r.counted, 4);
    counts(&r.server, 3, 2, 1, 1, 2);                 /* TP A C F; FN B; ignored r7 r9 */
    group(&r.families[1], "gafgyt", 1, 1);            /* F alone */
    eval_result_free(&r);

    /* known servers that are not counted C2 change nothing: a loader (r5
     * stays infra), a benign server (r6 stays FP), another port of A's
     * address (r8 stays FP, A stays TP), E (dead before the window) */
    r = run_excluding(*state, "10.9.9.9\n192.0.2.1:443\n10.0.0.1:8443\n10.0.0.5\n", 0);
    assert_int_equal(r.excluded, 0);
    assert_int_equal(r.counted, 6);
    counts(&r.server, 4, 2, 2, 1, 1);
    counts(&r.ip, 4, 1, 1, 1, 1);
    eval_result_free(&r);

    /* a Feodo Tracker file: its dates do not matter (A listed long after at) */
    r = run_excluding(*state,
                      "\"first_seen_utc\",\"dst_ip\",\"dst_port\",\"c2_status\",\"last_online\","
                      "\"malware\"\n"
                      "\"2027-01-01 00:00:00\",\"10.0.0.1\",\"23\",\"online\",\"\",\"Mirai\"\n", 0);
    assert_int_equal(r.excluded, 1);
    counts(&r.server, 3, 2, 2, 1, 2);
    eval_result_free(&r);

    /* --min-bots first: B (3 bots) is not asked about, so not excluded */
    intel_set *known;
    c2_err err;
    assert_int_equal(intel_new(&known, &err), 0);
    assert_int_equal(eval_exclude_load_mem(known, "10.0.0.2\n10.0.0.6\n", 18, "k", NULL, &err), 0);
    eval_options opt = {.at = EVAL_AT_END, .min_bots = 20, .exclude = known};
    r = run_opt(*state, &opt);
    assert_int_equal(r.excluded, 1);                  /* F */
    assert_int_equal(r.counted, 2);                   /* A C */
    counts(&r.server, 2, 2, 0, 1, 3);                 /* ignored r4 (F) r7 r9 */
    eval_result_free(&r);
    intel_free(known);

    /* without an exclude set: nothing excluded, and the table says nothing */
    r = run(*state, EVAL_AT_END, 0, NULL);
    assert_int_equal(r.excluding, 0);
    assert_int_equal(r.excluded, 0);
    eval_result_free(&r);
}

/* C2 lists as exclude files: CSV (keys of any protocol) and JSON Lines. */
static void test_exclude_c2list(void **state)
{
    eval_result r = run_excluding(*state, "ip,port,proto,score\n10.0.0.1,23,udp,50\n", 0);
    assert_int_equal(r.excluded, 1);                  /* A, although tcp */
    counts(&r.server, 3, 2, 2, 1, 2);
    eval_result_free(&r);

    /* port 0 in a list row: every port of the address */
    r = run_excluding(*state, "\n{\"ip\": \"10.0.0.4\", \"port\": 0, \"proto\": \"tcp\"}\n"
                              "{\"ip\": \"10.0.0.6\", \"port\": 6667, \"proto\": \"tcp\"}\n", 0);
    assert_int_equal(r.excluded, 3);                  /* D G F */
    counts(&r.server, 2, 2, 1, 1, 3);                 /* TP A C; FN B; ignored r4 r7 r9 */
    eval_result_free(&r);
}

static void exclude_fails(const char *text, const char *want)
{
    intel_set *known;
    c2_err err;
    assert_int_equal(intel_new(&known, &err), 0);
    assert_int_equal(eval_exclude_load_mem(known, text, strlen(text), "known.csv", NULL, &err), -1);
    if (strncmp(err.msg, want, strlen(want)) != 0)
        fail_msg("got '%s', want '%s'", err.msg, want);
    assert_int_equal(intel_count(known), 0);
    intel_free(known);
}

static void test_exclude_errors(void **state)
{
    (void)state;
    /* a C2 list is read strictly, as c2list reads it */
    exclude_fails("ip,port,proto\n10.0.0.1,70000,tcp\n",
                  "known.csv: line 2: port '70000' out of range");
    exclude_fails("ip,port,proto\n", "known.csv: a C2 list without rows");
    exclude_fails("{\"ip\": \"10.0.0.1\"}\n", "known.csv: line 1: no 'port' key");
    /* anything else as a feed: no usable entry is an error */
    exclude_fails("", "known.csv: no usable entry");
    exclude_fails("# only comments\nnot an address\n", "known.csv: no usable entry");
    exclude_fails("ip,port\n10.0.0.1,23,tcp\n", "known.csv: no usable entry");

    intel_set *known;
    c2_err err;
    assert_int_equal(intel_new(&known, &err), 0);
    assert_int_equal(eval_exclude_load_file(known, "/nonexistent/known.csv", NULL, &err), -1);
    assert_non_null(strstr(err.msg, "/nonexistent/known.csv: "));
    intel_free(known);
}

/* Files on disk: a C2 list is looked at, then read again by path. */
static void test_exclude_files(void **state)
{
    fixture *fx = *state;
    const char *dir = getenv("C2FLOW_TEST_TMP");
    if (!dir || !*dir) dir = "/tmp";
    mkdir(dir, 0755);
    char list[4096], plain[4096];
    snprintf(list, sizeof list, "%s/eval-known-%ld.csv", dir, (long)getpid());
    snprintf(plain, sizeof plain, "%s/eval-known-%ld.txt", dir, (long)getpid());
    FILE *f = fopen(list, "w");
    assert_non_null(f);
    fputs("\xef\xbb\xbfip,port,proto\r\n10.0.0.1,23,tcp\r\n", f);
    fclose(f);
    assert_non_null(f = fopen(plain, "w"));
    fputs("10.0.0.4   # D and G\n", f);
    fclose(f);

    intel_set *known;
    intel_stats st;
    c2_err err;
    assert_int_equal(intel_new(&known, &err), 0);
    assert_int_equal(eval_exclude_load_file(known, list, &st, &err), 0);
    assert_int_equal(st.entries, 1);
    assert_int_equal(eval_exclude_load_file(known, plain, &st, &err), 0);
    assert_int_equal(st.entries, 1);
    assert_int_equal(intel_count(known), 2);
    eval_options opt = {.at = EVAL_AT_END, .exclude = known};
    eval_result r = run_opt(fx, &opt);
    assert_int_equal(r.excluded, 3);                  /* A D G */
    counts(&r.server, 2, 2, 1, 1, 3);                 /* TP C F; FN B; ignored r1 r7 r9 */
    eval_result_free(&r);

    /* a bad list names the file */
    assert_non_null(f = fopen(list, "w"));
    fputs("ip,port,proto\n10.0.0.1,23,tcp,5\n", f);
    fclose(f);
    assert_int_equal(eval_exclude_load_file(known, list, NULL, &err), -1);
    char want[4200];
    snprintf(want, sizeof want, "%s: line 2: 4 fields, the header has 3", list);
    assert_string_equal(err.msg, want);
    assert_int_equal(intel_count(known), 2);
    intel_free(known);
    unlink(list);
    unlink(plain);
}

/* ---- precision and recall by minimum score ---- */

static void point(const eval_curve_point *p, unsigned min_score, uint64_t rows, uint64_t tp,
                  uint64_t fp, uint64_t fn, uint64_t infra, uint64_t ignored)
{
    assert_int_equal(p->min_score, min_score);
    assert_int_equal(p->rows, rows);
    counts(&p->server, tp, fp, fn, infra, ignored);
}

static void test_curve(void **state)
{
    eval_result r = run(*state, EVAL_AT_END, 0, NULL);
    assert_int_equal(r.n_curve, 0);                   /* not asked for */
    assert_null(r.curve);
    eval_result_free(&r);

    eval_options opt = {.at = EVAL_AT_END, .curve = 1};
    r = run_opt(*state, &opt);
    assert_int_equal(r.n_curve, 21);
    const eval_curve_point *c = r.curve;
    /* by hand from the scores above; r3 (70) is never considered */
    point(&c[0], 0, 8, 4, 2, 2, 1, 1);               /* the main figures */
    point(&c[2], 10, 8, 4, 2, 2, 1, 1);
    point(&c[3], 15, 7, 3, 2, 3, 1, 1);              /* r9 (G, 10) out */
    point(&c[4], 20, 7, 3, 2, 3, 1, 1);              /* r8 (20) still in */
    point(&c[5], 25, 6, 3, 1, 3, 1, 1);
    point(&c[7], 35, 5, 3, 1, 3, 1, 0);              /* r7 (E, 30) out */
    point(&c[9], 45, 4, 3, 0, 3, 1, 0);
    near(c[9].server.precision, 0.75);
    near(c[9].server.precision_infra, 1.0);
    near(c[9].server.recall, 0.5);
    point(&c[11], 55, 3, 3, 0, 3, 0, 0);
    point(&c[12], 60, 3, 3, 0, 3, 0, 0);             /* r4 (F, 60) still in */
    point(&c[13], 65, 2, 2, 0, 4, 0, 0);
    point(&c[16], 80, 2, 2, 0, 4, 0, 0);
    point(&c[17], 85, 1, 1, 0, 5, 0, 0);
    point(&c[19], 95, 0, 0, 0, 6, 0, 0);
    near(c[19].server.precision, NAN);
    near(c[19].server.recall, 0.0);
    point(&c[20], 100, 0, 0, 0, 6, 0, 0);

    /* t = 0 is the main figures, field by field */
    assert_memory_equal(&c[0].server.tp, &r.server.tp, 5 * sizeof(uint64_t));
    near(c[0].server.precision, r.server.precision);
    near(c[0].server.recall, r.server.recall);
    near(c[0].server.f1, r.server.f1);
    assert_int_equal(c[0].rows, r.rows - r.rows_after_at);
    eval_result_free(&r);
}

/* Whatever the list: stricter cut-offs keep fewer rows, find fewer C2,
 * and every counted C2 is found or missed at each. */
static void test_curve_monotonic(void **state)
{
    fixture *fx = *state;
    int64_t ats[] = {EVAL_AT_END, T("2026-01-06T12:00:00Z"), T("2026-01-07T00:00:00Z")};
    for (size_t k = 0; k < sizeof ats / sizeof ats[0]; k++)
        for (uint32_t mb = 0; mb <= 20; mb += 10) {
            eval_options opt = {.at = ats[k], .min_bots = mb, .curve = 1};
            eval_result r = run_opt(fx, &opt);
            assert_int_equal(r.n_curve, EVAL_CURVE_POINTS);
            assert_int_equal(r.curve[0].server.tp, r.server.tp);
            assert_int_equal(r.curve[0].server.fp, r.server.fp);
            near(r.curve[0].server.recall, r.server.recall);
            for (size_t i = 0; i < r.n_curve; i++) {
                const eval_curve_point *p = &r.curve[i];
                assert_int_equal(p->min_score, i * EVAL_CURVE_STEP);
                assert_int_equal(p->server.tp + p->server.fn, r.counted);
                assert_int_equal(p->rows, p->server.tp + p->server.fp + p->server.infra +
                                          p->server.ignored);
                if (i == 0) continue;
                const eval_curve_point *q = &r.curve[i - 1];
                assert_true(p->rows <= q->rows);
                assert_true(p->server.tp <= q->server.tp);
                assert_true(p->server.fp <= q->server.fp);
                if (!isnan(p->server.recall))
                    assert_true(p->server.recall <= q->server.recall);
            }
            eval_result_free(&r);
        }
}

static void test_curve_excluding(void **state)
{
    eval_result r = run_excluding(*state, "10.0.0.1\n", 1);
    /* A excluded: r1 (90) ignored, r8 (20, A's address, another port) FP */
    point(&r.curve[0], 0, 8, 3, 2, 2, 1, 2);
    point(&r.curve[17], 85, 1, 0, 0, 5, 0, 1);      /* r1 alone, ignored */
    near(r.curve[17].server.precision, NAN);
    eval_result_free(&r);
}

static char *written(const eval_result *r, eval_format fmt)
{
    char *buf = NULL;
    size_t len = 0;
    c2_err err;
    FILE *f = open_memstream(&buf, &len);
    assert_int_equal(eval_write(r, f, fmt, &err), 0);
    fclose(f);
    return buf;
}

static void test_write(void **state)
{
    eval_result r = run(*state, EVAL_AT_END, 0, NULL);
    char *csv = written(&r, EVAL_CSV), *json = written(&r, EVAL_JSON),
         *table = written(&r, EVAL_TABLE);
    static const char *const rows[] = {
        "metric,value\n", "\nserver.tp,4\n", "\nserver.fp,2\n", "\nserver.recall,0.666667\n",
        "\nip.fn,1\n", "\nfamilies.gafgyt.c2,3\n", "\nbots.0.recall,\n", "\nbots.20-99.detected,2\n",
        "\nbots_20plus.recall,1\n", "\nlead_time.median_days,1\n", "\nfeed.source,truth\n",
        "\nfeed.mean_days_earlier,14.125\n", "\nat,2026-01-08T00:00:00Z\n",
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
        if (!strstr(csv, rows[i])) fail_msg("no '%s' in the CSV:\n%s", rows[i], csv);
    assert_non_null(strstr(json, "\"families\": [\n"));
    assert_non_null(strstr(json, "\"recall\": null"));
    assert_non_null(strstr(json, "\"mean_days_earlier\": 14.125"));
    assert_non_null(strstr(table, "per server"));
    assert_non_null(strstr(table, "recall over C2 with >= 20 bots: 100.0 % (3 of 3)"));
    assert_int_equal(eval_format_lookup("json"), EVAL_JSON);
    assert_int_equal(eval_format_lookup("xml"), -1);
    assert_non_null(strstr(csv, "\ntruth.excluded,0\n"));
    assert_null(strstr(csv, "curve"));                /* only when asked for */
    assert_null(strstr(json, "curve"));
    assert_null(strstr(table, "minimum score"));
    assert_null(strstr(table, "excluded"));
    free(csv);
    free(json);
    free(table);
    eval_result_free(&r);
}

static void test_write_curve(void **state)
{
    eval_result r = run_excluding(*state, "10.0.0.2:23\n", 1);
    char *csv = written(&r, EVAL_CSV), *json = written(&r, EVAL_JSON),
         *table = written(&r, EVAL_TABLE);
    /* B excluded: at 50, rows r1 r2 r4 r5: 3 TP of 5, 1 infra */
    static const char *const rows[] = {
        "\ntruth.excluded,1\n", "\ntruth.counted,5\n", "\ncurve.0.rows,8\n",
        "\ncurve.0.tp,4\n", "\ncurve.50.rows,4\n", "\ncurve.50.tp,3\n",
        "\ncurve.50.precision,0.75\n", "\ncurve.50.precision_infra,1\n",
        "\ncurve.50.recall,0.6\n", "\ncurve.100.precision,\n", "\ncurve.100.fn,5\n",
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
        if (!strstr(csv, rows[i])) fail_msg("no '%s' in the CSV:\n%s", rows[i], csv);
    assert_null(strstr(csv, "curve.?"));
    assert_non_null(strstr(json, "\"curve\": [\n"));
    assert_non_null(strstr(json, "\"min_score\": 50,\n      \"rows\": 4,"));
    assert_non_null(strstr(json, "\"excluded\": 1"));
    assert_non_null(strstr(table, "5 counted (alive in [start, at], any number of bots),"
                                  " 1 more excluded as known\n"));
    assert_non_null(strstr(table, "\nprecision/recall by minimum score (per server)\n"));
    if (!strstr(table, "\n>= 50            4        3        0        2        1        0"
                       "     75.0 %    100.0 %     60.0 %"))
    {
        fputs(table, stderr);                         /* longer than fail_msg prints */
        fail_msg("no line for 50 in the table");
    }
    free(csv);
    free(json);
    free(table);
    eval_result_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_truth_read, setup, teardown),
        cmocka_unit_test(test_truth_errors),
        cmocka_unit_test_setup_teardown(test_default_run, setup, teardown),
        cmocka_unit_test_setup_teardown(test_at, setup, teardown),
        cmocka_unit_test_setup_teardown(test_from, setup, teardown),
        cmocka_unit_test_setup_teardown(test_min_bots, setup, teardown),
        cmocka_unit_test_setup_teardown(test_feed_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_exclude, setup, teardown),
        cmocka_unit_test_setup_teardown(test_exclude_c2list, setup, teardown),
        cmocka_unit_test(test_exclude_errors),
        cmocka_unit_test_setup_teardown(test_exclude_files, setup, teardown),
        cmocka_unit_test_setup_teardown(test_curve, setup, teardown),
        cmocka_unit_test_setup_teardown(test_curve_monotonic, setup, teardown),
        cmocka_unit_test_setup_teardown(test_curve_excluding, setup, teardown),
        cmocka_unit_test_setup_teardown(test_write, setup, teardown),
        cmocka_unit_test_setup_teardown(test_write_curve, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
