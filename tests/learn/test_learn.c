/*
 * test_learn.c: method 2 (src/learn/): training on labelled feature rows,
 * listing servers by a model's scores, and merging the two methods' lists.
 *
 * The feature tables are built by hand, not from a store: C2 servers'
 * rows have a high infected share (0.8 to 1), other servers' a low one
 * (0 to 0.1), both on a grid of 0.05, and every other value is noise in
 * [0, 1) (syn_only missing on every fifth row), so a model that learnt
 * anything separates them.
 *   - the report's counts of rows, positive, unknown (labelled servers on
 *     other days) and negative rows, of negatives trained on and of
 *     positive servers, exact; with max_negatives, a hash sample near
 *     that size, the same on every run, and still a model that separates;
 *   - held-out rows: C2 servers high, others low;
 *   - the default positive weight (1) gives probabilities: rows that are
 *     10 % C2 score near 0.1, and far above 0.5 when the classes are
 *     balanced;
 *   - refusals: no positive row, no negative row, a model of other
 *     features (named in the message);
 *   - learn_list: score 100 x the best day, first_seen the first day at or
 *     above min_score, days_seen, the allowlist, method "ml";
 *   - learn_merge: 100 (1 - (1 - g)(1 - m)) and "both" for a server both
 *     methods list, one-sided rows as they were, min_score, first_seen the
 *     earlier; the model's score alone where it is under the veto score,
 *     except for a hub of its group (mostly infected clients, at least the
 *     hub share of the most reached such server's, and at least the hub
 *     minimum); popular servers and servers of no group are no hubs.
 * Models are small (30 rounds, one thread) to keep this to seconds under
 * ASan.
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

#include "learn/learn.h"

#define DAY0 1767571200000LL            /* 2026-01-05T00:00:00Z */
#define DAY_MS C2_MS_PER_DAY
#define HOUR_MS 3600000LL
#define IP4(a, b, c, d) ((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (d))

/* ---- synthetic feature rows ---- */

/* Uniform in [0, 1) from a counter: the same rows on every run. */
static double uniform(uint64_t *s)
{
    *s += 0x9e3779b97f4a7c15ULL;
    return (double)(c2_mix64(*s) >> 11) * 0x1.0p-53;
}

static feature_row *new_row(feature_table *t)
{
    if (t->n == t->cap) {
        t->cap = t->cap ? t->cap * 2 : 256;
        t->row = realloc(t->row, t->cap * sizeof *t->row);
        assert_non_null(t->row);
    }
    feature_row *r = &t->row[t->n++];
    memset(r, 0, sizeof *r);
    return r;
}

/* A server's rows on days 0..days-1 (call in server order). */
static void add_server(feature_table *t, uint32_t ip, uint16_t port, int days, int c2,
                       uint64_t *seed)
{
    for (int d = 0; d < days; d++) {
        feature_row *r = new_row(t);
        flow_addr_from_v4(&r->ip, ip);
        r->port = port;
        r->proto = 6;
        r->day = DAY0 + d * DAY_MS;
        r->first = r->day + HOUR_MS + (int64_t)(uniform(seed) * HOUR_MS);
        r->last = r->day + 20 * HOUR_MS;
        r->clients = 3 + (uint32_t)(uniform(seed) * 20);
        for (size_t j = 0; j < FEATURE_COUNT; j++) r->v[j] = (float)uniform(seed);
        /* on a grid, so that held-out rows hold only values training saw
         * (the model's cut between the classes is at a training value) */
        double share = c2 ? 0.8 + floor(uniform(seed) * 5) / 20 : floor(uniform(seed) * 3) / 20;
        r->v[F_INFECTED_SHARE] = (float)share;
        r->infected = (uint32_t)(share * r->clients);
        if (t->n % 5 == 0) r->v[F_SYN_ONLY] = NAN;
    }
}

/* C2 servers 203.0.113.(first..first+n-1):6969, each on `days` days. */
static void add_c2(feature_table *t, uint32_t first, uint32_t n, int days, uint64_t *seed)
{
    for (uint32_t i = 0; i < n; i++)
        add_server(t, IP4(203, 0, 113, first + i), 6969, days, 1, seed);
}

/* Other servers 198.51.second.(0..n-1):443, each on `days` days. */
static void add_benign(feature_table *t, uint32_t second, uint32_t n, int days, uint64_t *seed)
{
    assert_true(n < 256);
    for (uint32_t i = 0; i < n; i++) add_server(t, IP4(198, 51, second, i), 443, days, 0, seed);
}

/* Labels of C2 servers 203.0.113.(1..n):6969 as a plain intel list. */
static feature_labels *plain_labels(uint32_t n)
{
    c2_err err;
    feature_labels *l;
    intel_set *s;
    char text[8192] = "";
    assert_int_equal(feature_labels_new(&l, &err), 0);
    assert_int_equal(intel_new(&s, &err), 0);
    for (uint32_t i = 1; i <= n; i++)
        snprintf(text + strlen(text), sizeof text - strlen(text), "203.0.113.%u:6969\n", i);
    if (intel_load_mem(s, text, strlen(text), "c2.txt", INTEL_PLAIN, NULL, &err) != 0)
        fail_msg("%s", err.msg);
    assert_int_equal(feature_labels_add_intel(l, s, &err), 0);
    intel_free(s);
    return l;
}

static learn_options small_options(void)
{
    learn_options o;
    learn_options_default(&o);
    o.model.rounds = 30;
    o.model.threads = 1;
    return o;
}

static c2_model *train(const feature_table *t, const feature_labels *l, const learn_options *o,
                       learn_report *rep)
{
    c2_model *m;
    c2_err err;
    if (learn_train(t, l, o, &m, rep, &err) != 0) fail_msg("train: %s", err.msg);
    assert_non_null(m);
    return m;
}

static float *predict(const c2_model *m, const feature_table *t)
{
    float *p = malloc((t->n ? t->n : 1) * sizeof *p);
    c2_err err;
    assert_non_null(p);
    if (learn_predict(m, t, p, &err) != 0) fail_msg("predict: %s", err.msg);
    return p;
}

/* Held-out rows (new servers, another seed): every C2 row above 0.7, every
 * other row below 0.3. */
static void assert_separates(const c2_model *m)
{
    feature_table h = {0};
    uint64_t seed = 777;
    add_c2(&h, 101, 10, 2, &seed);
    add_benign(&h, 200, 100, 2, &seed);
    float *p = predict(m, &h);
    float lo = 1, hi = 0;
    for (size_t i = 0; i < h.n; i++) {
        int c2 = h.row[i].port == 6969;
        if (c2 && p[i] < lo) lo = p[i];
        if (!c2 && p[i] > hi) hi = p[i];
    }
    if (!(lo > 0.7f && hi < 0.3f)) fail_msg("C2 rows from %g, others up to %g", lo, hi);
    free(p);
    feature_table_free(&h);
}

/* ---- training ---- */

/* 20 C2 servers of a plain list and 4 of a confirmed list valid on their
 * first day only, 3 days each; 300 other servers, 2 days each. */
static void test_train_counts(void **state)
{
    (void)state;
    feature_table t = {0};
    uint64_t seed = 1;
    add_c2(&t, 1, 24, 3, &seed);
    add_benign(&t, 1, 255, 2, &seed);
    add_benign(&t, 2, 45, 2, &seed);
    feature_labels *l = plain_labels(20);
    c2list *cl = c2list_new();
    c2_err err;
    for (uint32_t i = 21; i <= 24; i++) {
        c2_entry e;
        c2_entry_init(&e);
        flow_addr_from_v4(&e.ip, IP4(203, 0, 113, i));
        e.port = 6969;
        e.proto = 6;
        e.first_seen = DAY0 + 2 * HOUR_MS;
        e.last_seen = DAY0 + 22 * HOUR_MS;
        assert_int_equal(c2list_add(cl, &e, &err), 0);
    }
    assert_int_equal(feature_labels_add_list(l, cl, &err), 0);
    c2list_free(cl);

    learn_options o = small_options();
    assert_int_equal(o.max_negatives, 1000000);
    learn_report rep;
    c2_model *m = train(&t, l, &o, &rep);
    assert_int_equal(rep.rows, 24 * 3 + 300 * 2);
    assert_int_equal(rep.positive, 20 * 3 + 4);
    assert_int_equal(rep.unknown, 4 * 2);
    assert_int_equal(rep.negative, 600);
    assert_int_equal(rep.negative_used, 600);
    assert_int_equal(rep.servers_positive, 24);
    assert_int_equal(model_feature_count(m), FEATURE_COUNT);
    for (size_t j = 0; j < FEATURE_COUNT; j++)
        assert_string_equal(model_feature_name(m, j), feature_name(j));
    assert_separates(m);

    /* the training rows themselves: positives high, negatives low */
    float *p = predict(m, &t);
    for (size_t i = 0; i < t.n; i++) {
        int lab = feature_labels_of(l, &t.row[i]);
        if (lab == LABEL_POSITIVE) assert_true(p[i] > 0.7f);
        if (lab == LABEL_NEGATIVE) assert_true(p[i] < 0.3f);
    }
    free(p);
    model_free(m);
    feature_labels_free(l);
    feature_table_free(&t);
}

/* 2000 negative rows, at most 400 trained on: a hash sample of about 400
 * (within 20 %), the same rows on a second run (the same model, bit for
 * bit), and a model that still separates. */
static void test_train_sampled(void **state)
{
    (void)state;
    feature_table t = {0};
    uint64_t seed = 2;
    add_c2(&t, 1, 20, 2, &seed);
    for (uint32_t b = 1; b <= 4; b++) add_benign(&t, b, 250, 2, &seed);
    feature_labels *l = plain_labels(20);
    learn_options o = small_options();
    o.max_negatives = 400;
    learn_report rep, again;
    c2_model *m = train(&t, l, &o, &rep);
    assert_int_equal(rep.positive, 40);
    assert_int_equal(rep.negative, 2000);
    assert_int_equal(rep.unknown, 0);
    assert_int_equal(rep.servers_positive, 20);
    if (rep.negative_used < 320 || rep.negative_used > 480)
        fail_msg("negative_used %llu, want 400 +- 20%%", (unsigned long long)rep.negative_used);
    assert_separates(m);

    c2_model *m2 = train(&t, l, &o, &again);
    assert_memory_equal(&rep, &again, sizeof rep);
    float *p1 = predict(m, &t), *p2 = predict(m2, &t);
    assert_memory_equal(p1, p2, t.n * sizeof *p1);
    free(p1);
    free(p2);
    model_free(m2);

    /* more room than negatives: every one is used */
    o.max_negatives = 2000;
    m2 = train(&t, l, &o, &again);
    assert_int_equal(again.negative_used, 2000);
    model_free(m2);
    model_free(m);
    feature_labels_free(l);
    feature_table_free(&t);
}

static void test_train_refusals(void **state)
{
    (void)state;
    feature_table t = {0};
    uint64_t seed = 3;
    add_c2(&t, 1, 5, 2, &seed);
    add_benign(&t, 1, 20, 2, &seed);
    learn_options o = small_options();
    learn_report rep;
    c2_err err;
    c2_model *m = (c2_model *)&err;             /* must be set to NULL */

    /* no label at all: no positive row */
    feature_labels *none;
    assert_int_equal(feature_labels_new(&none, &err), 0);
    memset(&err, 0, sizeof err);
    assert_int_equal(learn_train(&t, none, &o, &m, &rep, &err), -1);
    assert_null(m);
    assert_non_null(strstr(err.msg, "no known C2 server"));
    assert_non_null(strstr(err.msg, "50 rows"));
    assert_int_equal(rep.positive, 0);
    assert_int_equal(rep.negative, 50);

    /* labels of servers that are not in the rows: the same */
    feature_labels *elsewhere;
    assert_int_equal(feature_labels_new(&elsewhere, &err), 0);
    c2list *cl = c2list_new();
    c2_entry e;
    c2_entry_init(&e);
    flow_addr_from_v4(&e.ip, IP4(192, 0, 2, 1));
    e.port = 6969;
    e.proto = 6;
    assert_int_equal(c2list_add(cl, &e, &err), 0);
    assert_int_equal(feature_labels_add_list(elsewhere, cl, &err), 0);
    c2list_free(cl);
    assert_int_equal(learn_train(&t, elsewhere, &o, &m, &rep, &err), -1);
    assert_non_null(strstr(err.msg, "no known C2 server"));

    /* only C2 servers' rows: no negative row */
    feature_table only = {0};
    add_c2(&only, 1, 5, 2, &seed);
    feature_labels *l = plain_labels(5);
    memset(&err, 0, sizeof err);
    m = (c2_model *)&err;
    assert_int_equal(learn_train(&only, l, &o, &m, &rep, &err), -1);
    assert_null(m);
    assert_non_null(strstr(err.msg, "no row that is not a known C2 server"));
    assert_int_equal(rep.positive, 10);

    /* an empty table */
    feature_table empty = {0};
    assert_int_equal(learn_train(&empty, l, &o, &m, &rep, &err), -1);
    assert_int_equal(rep.rows, 0);
    feature_labels_free(l);
    feature_labels_free(elsewhere);
    feature_labels_free(none);
    feature_table_free(&only);
    feature_table_free(&t);
}

/* 200 servers 192.0.2.(0..199):8080 whose rows are all alike (every value
 * 0.5), one day each: from the rows alone a model cannot tell them apart. */
static void add_lookalikes(feature_table *t)
{
    for (uint32_t i = 0; i < 200; i++) {
        feature_row *r = new_row(t);
        flow_addr_from_v4(&r->ip, IP4(192, 0, 2, i));
        r->port = 8080;
        r->proto = 6;
        r->day = DAY0;
        r->first = DAY0 + HOUR_MS;
        r->last = DAY0 + 2 * HOUR_MS;
        r->clients = 4;
        r->infected = 2;
        for (size_t j = 0; j < FEATURE_COUNT; j++) r->v[j] = 0.5f;
    }
}

/* Of the 200 look-alikes 20 are known C2 servers (10 %), among 20 clear C2
 * rows and 1,000 clear others.  With the default positive weight (1) the
 * model's probability for such a row is near the 10 % it saw, under the
 * listing threshold of 0.5; balanced (0: negatives / positives, here about
 * 30) it is far above it, since every positive counts 30 times.  The clear
 * rows are separated either way. */
static void test_positive_weight(void **state)
{
    (void)state;
    feature_table t = {0}, probe = {0};
    uint64_t seed = 5;
    add_c2(&t, 1, 20, 1, &seed);
    add_lookalikes(&t);
    for (uint32_t b = 1; b <= 4; b++) add_benign(&t, b, 250, 1, &seed);
    add_lookalikes(&probe);
    c2_err err;
    feature_labels *l = plain_labels(20);
    intel_set *s;
    char text[1024] = "";
    for (uint32_t i = 0; i < 200; i += 10)
        snprintf(text + strlen(text), sizeof text - strlen(text), "192.0.2.%u:8080\n", i);
    assert_int_equal(intel_new(&s, &err), 0);
    assert_int_equal(intel_load_mem(s, text, strlen(text), "more.txt", INTEL_PLAIN, NULL, &err), 0);
    assert_int_equal(feature_labels_add_intel(l, s, &err), 0);
    intel_free(s);

    learn_options o = small_options();
    assert_true(o.model.scale_pos_weight == 1);
    o.model.rounds = 100;
    learn_report rep;
    c2_model *calibrated = train(&t, l, &o, &rep);
    assert_int_equal(rep.positive, 40);
    assert_int_equal(rep.negative, 1180);
    o.model.scale_pos_weight = 0;
    c2_model *balanced = train(&t, l, &o, &rep);
    float *pc = predict(calibrated, &probe), *pb = predict(balanced, &probe);
    if (!(pc[0] > 0.03f && pc[0] < 0.3f)) fail_msg("calibrated: %g for a 10 %% look-alike", pc[0]);
    if (!(pb[0] > 0.6f)) fail_msg("balanced: %g for a 10 %% look-alike", pb[0]);
    assert_separates(calibrated);
    assert_separates(balanced);
    free(pc);
    free(pb);
    model_free(calibrated);
    model_free(balanced);
    feature_labels_free(l);
    feature_table_free(&t);
    feature_table_free(&probe);
}

/* A model trained (with model_train) on other features is refused, by
 * name; an empty table needs no prediction. */
static void test_predict_other_features(void **state)
{
    (void)state;
    enum { ROWS = 200 };
    float *x = malloc(ROWS * FEATURE_COUNT * sizeof *x), y[ROWS];
    assert_non_null(x);
    uint64_t seed = 4;
    for (size_t i = 0; i < ROWS; i++) {
        y[i] = (float)(i % 2);
        for (size_t j = 0; j < FEATURE_COUNT; j++)
            x[i * FEATURE_COUNT + j] = (float)uniform(&seed) + (j == 0 ? y[i] : 0);
    }
    const char *names[FEATURE_COUNT];
    for (size_t j = 0; j < FEATURE_COUNT; j++) names[j] = feature_name(j);
    names[F_OUT_SHARE] = "out_share_v0";
    model_params p;
    model_params_default(&p);
    p.rounds = 5;
    p.threads = 1;
    c2_err err;
    c2_model *renamed, *shorter, *same;
    assert_int_equal(model_train(x, ROWS, FEATURE_COUNT, y, NULL, names, &p, &renamed, &err), 0);
    names[F_OUT_SHARE] = feature_name(F_OUT_SHARE);
    assert_int_equal(model_train(x, ROWS, FEATURE_COUNT, y, NULL, names, &p, &same, &err), 0);
    /* the first FEATURE_COUNT - 1 columns of the same rows */
    float *x1 = malloc(ROWS * (FEATURE_COUNT - 1) * sizeof *x1);
    assert_non_null(x1);
    for (size_t i = 0; i < ROWS; i++)
        memcpy(x1 + i * (FEATURE_COUNT - 1), x + i * FEATURE_COUNT,
               (FEATURE_COUNT - 1) * sizeof *x1);
    assert_int_equal(model_train(x1, ROWS, FEATURE_COUNT - 1, y, NULL, names, &p, &shorter, &err),
                     0);

    feature_table t = {0};
    add_c2(&t, 1, 3, 1, &seed);
    float prob[3] = {-1, -1, -1};
    memset(&err, 0, sizeof err);
    assert_int_equal(learn_predict(renamed, &t, prob, &err), -1);
    char want[200];
    snprintf(want, sizeof want, "its feature %d is 'out_share_v0', this c2flow computes "
             "'out_share'", F_OUT_SHARE + 1);
    if (!strstr(err.msg, want)) fail_msg("message: %s", err.msg);
    assert_true(prob[0] == -1);                 /* nothing written */

    memset(&err, 0, sizeof err);
    assert_int_equal(learn_predict(shorter, &t, prob, &err), -1);
    snprintf(want, sizeof want, "'(none)', this c2flow computes '%s'",
             feature_name(FEATURE_COUNT - 1));
    if (!strstr(err.msg, want)) fail_msg("message: %s", err.msg);

    assert_int_equal(learn_predict(same, &t, prob, &err), 0);
    for (int i = 0; i < 3; i++) assert_true(prob[i] >= 0 && prob[i] <= 1);
    feature_table empty = {0};
    assert_int_equal(learn_predict(same, &empty, prob, &err), 0);

    model_free(renamed);
    model_free(shorter);
    model_free(same);
    feature_table_free(&t);
    free(x);
    free(x1);
}

/* ---- listing ---- */

static void set_row(feature_row *r, uint32_t ip, uint16_t port, int day, uint32_t clients,
                    uint32_t infected)
{
    memset(r, 0, sizeof *r);
    flow_addr_from_v4(&r->ip, ip);
    r->port = port;
    r->proto = 6;
    r->day = DAY0 + day * DAY_MS;
    r->first = r->day + (day + 1) * HOUR_MS;
    r->last = r->day + 20 * HOUR_MS;
    r->clients = clients;
    r->infected = infected;
}

static const c2_entry *find(const c2list *l, uint32_t ip, uint16_t port)
{
    flow_addr a;
    flow_addr_from_v4(&a, ip);
    return c2list_find(l, &a, port, 6);
}

static void test_list(void **state)
{
    (void)state;
    const uint32_t a = IP4(203, 0, 113, 1), b = IP4(203, 0, 113, 2), c = IP4(203, 0, 113, 3),
                   d = IP4(203, 0, 113, 4);
    feature_row rows[9];
    float prob[9];
    /* A:6969 days 0-2 at 0.3, 0.7, 0.9; A:443 (another server) day 1 at 0.6;
     * B days 0-1 at 0.2, 0.4 (below 50); C day 2 at 0.95 but allowed; D day
     * 3 at exactly 0.5 */
    set_row(&rows[0], a, 443, 1, 5, 1);     prob[0] = 0.6f;
    set_row(&rows[1], a, 6969, 0, 4, 1);    prob[1] = 0.3f;
    set_row(&rows[2], a, 6969, 1, 9, 2);    prob[2] = 0.7f;
    set_row(&rows[3], a, 6969, 2, 6, 5);    prob[3] = 0.9f;
    set_row(&rows[4], b, 6969, 0, 3, 0);    prob[4] = 0.2f;
    set_row(&rows[5], b, 6969, 1, 3, 0);    prob[5] = 0.4f;
    set_row(&rows[6], c, 6969, 2, 3, 3);    prob[6] = 0.95f;
    set_row(&rows[7], d, 6969, 3, 7, 0);    prob[7] = 0.5f;
    set_row(&rows[8], d, 8080, 3, 7, 0);    prob[8] = 0.0f;
    feature_table t = {rows, 9, 9};
    c2_err err;
    ipset *allow;
    assert_int_equal(ipset_new(&allow, &err), 0);
    assert_int_equal(ipset_add_text(allow, "203.0.113.3", &err), 0);
    assert_int_equal(ipset_build(allow, &err), 0);

    c2list *l = c2list_new();
    assert_non_null(l);
    assert_int_equal(learn_list(&t, prob, allow, 50, l, &err), 0);
    assert_int_equal(c2list_count(l), 3);
    const c2_entry *e = find(l, a, 6969);
    assert_non_null(e);
    assert_true(fabs(e->score - 90.0) < 0.051);
    assert_int_equal(e->first_seen, rows[2].first);     /* day 1: the first at 50 or more */
    assert_int_equal(e->last_seen, rows[3].last);
    assert_int_equal(e->days_seen, 3);
    assert_int_equal(e->clients, 9);
    assert_int_equal(e->infected_clients, 5);
    assert_string_equal(e->method, "ml");
    e = find(l, a, 443);
    assert_non_null(e);
    assert_true(fabs(e->score - 60.0) < 0.051);
    assert_int_equal(e->days_seen, 1);
    assert_int_equal(e->first_seen, rows[0].first);
    e = find(l, d, 6969);
    assert_non_null(e);
    assert_true(fabs(e->score - 50.0) < 0.051);
    assert_string_equal(e->method, "ml");
    assert_null(find(l, b, 6969));
    assert_null(find(l, c, 6969));
    assert_null(find(l, d, 8080));
    c2list_free(l);

    /* no allowlist: C too; min_score 0: every server */
    l = c2list_new();
    assert_int_equal(learn_list(&t, prob, NULL, 50, l, &err), 0);
    assert_int_equal(c2list_count(l), 4);
    assert_non_null(find(l, c, 6969));
    c2list_free(l);
    l = c2list_new();
    assert_int_equal(learn_list(&t, prob, NULL, 0, l, &err), 0);
    assert_int_equal(c2list_count(l), 6);
    e = find(l, a, 6969);
    assert_int_equal(e->first_seen, rows[1].first);     /* every day counts at 0 */
    c2list_free(l);
    /* an empty table lists nothing */
    feature_table empty = {0};
    l = c2list_new();
    assert_int_equal(learn_list(&empty, prob, NULL, 0, l, &err), 0);
    assert_int_equal(c2list_count(l), 0);
    c2list_free(l);
    ipset_free(allow);
}

/* ---- merging ---- */

static c2_entry entry(uint32_t ip, uint16_t port, double score, uint32_t clients,
                      const char *method)
{
    c2_entry e;
    c2_entry_init(&e);
    flow_addr_from_v4(&e.ip, ip);
    e.port = port;
    e.proto = 6;
    e.score = score;
    e.clients = clients;
    strcpy(e.method, method);
    return e;
}

static void add(c2list *l, const c2_entry *e)
{
    c2_err err;
    if (c2list_add(l, e, &err) != 0) fail_msg("%s", err.msg);
}

static void add_entry(c2list *l, uint32_t ip, uint16_t port, double score, int64_t first,
                      int64_t last, uint32_t clients, uint32_t days, const char *method)
{
    c2_entry e = entry(ip, port, score, clients, method);
    e.first_seen = first;
    e.last_seen = last;
    e.infected_clients = clients / 2;
    e.days_seen = days;
    add(l, &e);
}

static void test_merge(void **state)
{
    (void)state;
    const uint32_t both = IP4(203, 0, 113, 1), graph_only = IP4(203, 0, 113, 2),
                   ml_only = IP4(203, 0, 113, 3), weak_g = IP4(203, 0, 113, 4),
                   weak_m = IP4(203, 0, 113, 5), weak_both = IP4(203, 0, 113, 6),
                   later_ml = IP4(203, 0, 113, 7), veto = IP4(203, 0, 113, 8);
    const int64_t t1 = DAY0 + HOUR_MS, t2 = DAY0 + DAY_MS, t3 = DAY0 + 2 * DAY_MS;
    c2list *g = c2list_new(), *m = c2list_new(), *out = c2list_new();
    assert_true(g && m && out);
    add_entry(g, both, 6969, 60, t2, t2 + HOUR_MS, 4, 1, "graph");
    add_entry(m, both, 6969, 50, t1, t3, 9, 3, "ml");
    add_entry(g, graph_only, 6969, 70, t1, t2, 5, 2, "graph");
    add_entry(m, ml_only, 443, 45, t2, t3, 12, 2, "ml");
    add_entry(g, weak_g, 6969, 30, t1, t1, 3, 1, "graph");
    add_entry(m, weak_m, 6969, 20, t1, t1, 3, 1, "ml");
    add_entry(g, weak_both, 6969, 30, t1, t1, 3, 1, "graph");       /* 30 and 30 -> 51 */
    add_entry(m, weak_both, 6969, 30, t1, t1, 3, 1, "ml");
    add_entry(g, later_ml, 6969, 90, t1, t2, 3, 1, "graph");        /* 90 and 10 -> 91 */
    add_entry(m, later_ml, 6969, 10, t2, t3, 3, 1, "ml");
    add_entry(g, veto, 6969, 95, t1, t2, 3, 1, "graph");            /* 95 and 0 -> 95 */
    add_entry(m, veto, 6969, 0, t1, t2, 3, 1, "ml");
    /* the same address on another port is another server */
    add_entry(m, graph_only, 443, 41, t1, t1, 3, 1, "ml");
    c2_err err;
    const learn_merge_rule no_veto = {40, 0, 0, 0, NULL}, keep_all = {0, 0, 0, 0, NULL},
                           veto50 = {0, 50, 0, 0, NULL};
    assert_int_equal(learn_merge(g, m, &no_veto, out, NULL, &err), 0);
    assert_int_equal(c2list_count(out), 7);

    const c2_entry *e = find(out, both, 6969);
    assert_non_null(e);
    assert_true(e->score == 80.0);                  /* 100 (1 - 0.4 x 0.5) */
    assert_string_equal(e->method, "both");
    assert_int_equal(e->first_seen, t1);            /* ml's, earlier */
    assert_int_equal(e->last_seen, t3);
    assert_int_equal(e->clients, 9);
    assert_int_equal(e->infected_clients, 4);
    assert_int_equal(e->days_seen, 3);
    e = find(out, graph_only, 6969);
    assert_true(e && e->score == 70.0 && !strcmp(e->method, "graph"));
    assert_true(e->first_seen == t1 && e->last_seen == t2 && e->clients == 5 && e->days_seen == 2);
    e = find(out, graph_only, 443);
    assert_true(e && e->score == 41.0 && !strcmp(e->method, "ml"));
    e = find(out, ml_only, 443);
    assert_true(e && e->score == 45.0 && !strcmp(e->method, "ml"));
    assert_true(e->first_seen == t2 && e->last_seen == t3 && e->clients == 12);
    assert_null(find(out, weak_g, 6969));
    assert_null(find(out, weak_m, 6969));
    e = find(out, weak_both, 6969);                 /* two weak findings add up */
    assert_true(e && e->score == 51.0 && !strcmp(e->method, "both"));
    e = find(out, veto, 6969);                      /* a model's 0 takes nothing away */
    assert_true(e && e->score == 95.0 && !strcmp(e->method, "both"));
    e = find(out, later_ml, 6969);
    assert_true(e && e->score == 91.0 && !strcmp(e->method, "both"));
    assert_int_equal(e->first_seen, t1);            /* graph's, earlier */
    assert_int_equal(e->last_seen, t3);

    /* servers graph mining found one-off are never listed by the model's
     * score alone: ml_only (45) goes and is counted, weak_m (20, under 40
     * anyway) goes uncounted; graph_only:6969, which graph mining lists, is
     * no one-off server whatever the list says of another port */
    c2list *oneoff = c2list_new(), *without = c2list_new();
    assert_true(oneoff && without);
    add_entry(oneoff, ml_only, 443, 0, t2, t3, 12, 2, "graph");
    add_entry(oneoff, weak_m, 6969, 0, t1, t1, 3, 1, "graph");
    const learn_merge_rule no_oneoff = {40, 0, 0, 0, oneoff};
    learn_merge_report rep;
    assert_int_equal(learn_merge(g, m, &no_oneoff, without, &rep, &err), 0);
    assert_int_equal(c2list_count(without), 6);
    assert_null(find(without, ml_only, 443));
    assert_non_null(find(without, graph_only, 443));
    assert_int_equal(rep.oneoff, 1);
    c2list_free(oneoff);
    c2list_free(without);

    /* min_score 0 keeps every server once; two empty lists merge to none */
    c2list *all = c2list_new(), *none = c2list_new(), *e1 = c2list_new(), *e2 = c2list_new();
    assert_int_equal(learn_merge(g, m, &keep_all, all, NULL, &err), 0);
    assert_int_equal(c2list_count(all), 9);
    assert_int_equal(learn_merge(e1, e2, &keep_all, none, NULL, &err), 0);
    assert_int_equal(c2list_count(none), 0);
    /* merging into a list that already holds a server is refused */
    memset(&err, 0, sizeof err);
    assert_int_equal(learn_merge(g, m, &keep_all, all, NULL, &err), -1);
    assert_true(err.msg[0] != 0);

    /* veto 50: where the model scored a server under 50, its score stands
     * (90 and 10 -> 10, 95 and 0 -> 0, 30 and 30 -> 30); from 50 up the two
     * combine (60 and 50 -> 80); a server one method scored is as before */
    c2list *vetoed = c2list_new();
    assert_non_null(vetoed);
    assert_int_equal(learn_merge(g, m, &veto50, vetoed, NULL, &err), 0);
    assert_int_equal(c2list_count(vetoed), 9);
    e = find(vetoed, later_ml, 6969);
    assert_true(e && e->score == 10.0 && !strcmp(e->method, "both"));
    assert_int_equal(e->first_seen, t1);            /* the counts merged as before */
    assert_int_equal(e->last_seen, t3);
    e = find(vetoed, veto, 6969);
    assert_true(e && e->score == 0.0 && !strcmp(e->method, "both"));
    e = find(vetoed, weak_both, 6969);
    assert_true(e && e->score == 30.0);
    e = find(vetoed, both, 6969);
    assert_true(e && e->score == 80.0 && !strcmp(e->method, "both"));
    e = find(vetoed, graph_only, 6969);
    assert_true(e && e->score == 70.0 && !strcmp(e->method, "graph"));
    e = find(vetoed, ml_only, 443);
    assert_true(e && e->score == 45.0 && !strcmp(e->method, "ml"));
    c2list_free(vetoed);
    c2list_free(all);
    c2list_free(none);
    c2list_free(e1);
    c2list_free(e2);
    c2list_free(g);
    c2list_free(m);
    c2list_free(out);
}

/* A graph candidate of group with infected of clients infected, and the
 * model's score for it (none when ml_score < 0). */
static void add_grouped(c2list *g, c2list *m, uint32_t ip, double graph_score,
                        double ml_score, uint32_t group, uint32_t infected, uint32_t clients)
{
    c2_entry e = entry(ip, 6969, graph_score, clients, "graph");
    e.group = group;
    e.infected_clients = infected;
    add(g, &e);
    if (ml_score < 0) return;
    e.score = ml_score;
    e.group = 0;
    strcpy(e.method, "ml");
    add(m, &e);
}

static double merged_score(const c2list *l, uint32_t ip)
{
    const c2_entry *e = find(l, ip, 6969);
    assert_non_null(e);
    return e->score;
}

static void test_merge_hubs(void **state)
{
    (void)state;
    const uint32_t c2 = IP4(203, 0, 113, 1), c2_second = IP4(203, 0, 113, 2),
                   report = IP4(203, 0, 113, 3), popular = IP4(203, 0, 113, 4),
                   lone = IP4(203, 0, 113, 5), no_group = IP4(203, 0, 113, 6),
                   graph_only = IP4(203, 0, 113, 7), other = IP4(203, 0, 113, 8);
    c2list *g = c2list_new(), *m = c2list_new();
    assert_true(g && m);
    /* group 1: a botnet's two C2 servers, its report server, and a popular
     * site some bots and many healthy hosts visit (sets no reach) */
    add_grouped(g, m, c2, 99, 10, 1, 40, 40);
    add_grouped(g, m, c2_second, 90, 0, 1, 20, 30);          /* 20 of 40: half */
    add_grouped(g, m, report, 95, 8, 1, 6, 6);
    add_grouped(g, m, popular, 20, 0, 1, 300, 3000);
    add_grouped(g, m, graph_only, 97, -1, 1, 5, 5);
    add_grouped(g, m, lone, 80, 20, 2, 3, 3);               /* its group's hub */
    add_grouped(g, m, no_group, 99, 10, 0, 50, 50);
    add_grouped(g, m, other, 70, 60, 3, 2, 10);              /* not mostly infected */
    c2_err err;
    const double hubs[] = {0.5, 0, 1};
    for (size_t i = 0; i < 3; i++) {
        const learn_merge_rule rule = {0, 50, hubs[i], 0, NULL};
        c2list *out = c2list_new();
        assert_non_null(out);
        learn_merge_report rep;
        assert_int_equal(learn_merge(g, m, &rule, out, &rep, &err), 0);
        assert_int_equal(c2list_count(out), 8);
        /* where the model scored under 50 a server graph mining lists (min
         * score 0: all): six, of which the hubs (c2, c2_second at 0.5, lone)
         * are not vetoed */
        const size_t hubs_kept[] = {3, 0, 2};
        assert_int_equal(rep.hubs, hubs_kept[i]);
        assert_int_equal(rep.vetoed, 6 - hubs_kept[i]);
        /* a hub's scores combine however low the model's */
        assert_true(merged_score(out, c2) == (hubs[i] > 0 ? 99.1 : 10.0));
        assert_true(merged_score(out, lone) == (hubs[i] > 0 ? 84.0 : 20.0));
        assert_true(merged_score(out, c2_second) == (hubs[i] == 0.5 ? 90.0 : 0.0));
        /* the veto holds for the rest */
        assert_true(merged_score(out, report) == 8.0);
        assert_true(merged_score(out, popular) == 0.0);
        assert_true(merged_score(out, no_group) == 10.0);
        /* the rest is as without hubs */
        assert_true(merged_score(out, graph_only) == 97.0);
        assert_true(merged_score(out, other) == 88.0);
        c2list_free(out);
    }
    /* with 6 of 40 enough, the report server is a hub too */
    const learn_merge_rule loose = {0, 50, 0.15, 0, NULL};
    c2list *out = c2list_new();
    assert_non_null(out);
    assert_int_equal(learn_merge(g, m, &loose, out, NULL, &err), 0);
    assert_true(fabs(merged_score(out, report) - 95.4) < 1e-9);
    c2list_free(out);
    /* a hub needs hub_min_infected infected clients: the lone group's
     * server of 3 is none at 6, the group's C2 servers of 40 and 20 are */
    const learn_merge_rule six = {0, 50, 0.5, 6, NULL};
    out = c2list_new();
    assert_non_null(out);
    assert_int_equal(learn_merge(g, m, &six, out, NULL, &err), 0);
    assert_true(merged_score(out, lone) == 20.0);
    assert_true(merged_score(out, c2) == 99.1 && merged_score(out, c2_second) == 90.0);
    c2list_free(out);
    c2list_free(g);
    c2list_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_train_counts),
        cmocka_unit_test(test_train_sampled),
        cmocka_unit_test(test_train_refusals),
        cmocka_unit_test(test_positive_weight),
        cmocka_unit_test(test_predict_other_features),
        cmocka_unit_test(test_list),
        cmocka_unit_test(test_merge),
        cmocka_unit_test(test_merge_hubs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
