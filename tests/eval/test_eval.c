/*
 * test_eval.c: scoring a C2 list against a truth file (src/eval/).
 *
 * One hand-built truth (seven C2 servers, two other malicious servers) and
 * one list of nine rows cover every case a row or a server can be in; the
 * expected figures were worked out by hand from the table below and are
 * checked for the default run, --at, --min-bots and a --feed file.  The
 * truth reader is checked on bad documents, each with its message.
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
 *   row  key               first_seen    is
 *   r1   10.0.0.1:23/tcp   01-05 18:00   A
 *   r2   10.0.0.3:443/tcp  01-07 00:00   C
 *   r3   10.0.0.4:7777/udp 01-10 00:00   D, but after the end
 *   r4   10.0.0.6:6667/tcp 01-08 00:00   F, at the end exactly
 *   r5   10.9.9.9:80/tcp   -             a loader
 *   r6   192.0.2.1:443/tcp 01-06 00:00   nothing
 *   r7   10.0.0.5:1177/tcp -             E, not counted
 *   r8   10.0.0.1:8443/tcp 01-06 06:00   nothing, at A's address
 *   r9   10.0.0.4:8080/tcp -             G
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

static eval_result run(const fixture *fx, int64_t at, uint32_t min_bots, const intel_set *feed)
{
    eval_options opt = {.at = at, .min_bots = min_bots, .feed = feed};
    eval_result r;
    c2_err err;
    if (eval_run(&fx->truth, fx->list, &opt, &r, &err) != 0) fail_msg("run: %s", err.msg);
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
        cmocka_unit_test_setup_teardown(test_min_bots, setup, teardown),
        cmocka_unit_test_setup_teardown(test_feed_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_write, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
