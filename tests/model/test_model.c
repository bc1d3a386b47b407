/*
 * test_model.c: the gradient-boosted tree classifier (src/model/).
 *
 * Synthetic data with a known rule (label = x0 > 0.5 && x1 < 3, beside
 * noise features) that the model must learn, then the promises of
 * model.h one by one: missing values, class imbalance evened out by the
 * default scale_pos_weight (and that default's value), rows of weight 0
 * ignored, weights as repeated rows, save/load bit for bit, determinism,
 * XGBoost kept silent on a new thread, and every refusal with its
 * message, among them trees that XGBoost would follow out of bounds
 * (check.c).  Small data, 50 rounds and one thread keep it to seconds
 * under ASan.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <xgboost/c_api.h>

#include "model/model.h"

/* ---- helpers ---- */

#define COLS 6
static const char *const names6[COLS] = {"x0", "x1", "noise_a", "noise_b", "noise.c", "noise:d"};

typedef struct dataset {
    float *x;                   /* rows x COLS */
    float *label;
    size_t rows;
} dataset;

/* Uniform in [0, 1) from a counter: the same data on every run. */
static double uniform(uint64_t *s)
{
    *s += 0x9e3779b97f4a7c15ULL;
    return (double)(c2_mix64(*s) >> 11) * 0x1.0p-53;
}

typedef int (*rule_fn)(const float *row);

static int rule_simple(const float *r) { return r[0] > 0.5f && r[1] < 3.0f; }
/* 1% of rows, on the grid of rare_data */
static int rule_rare(const float *r) { return r[0] >= 0.9f && r[1] < 0.5f; }

/* x0 in [0,1), x1 in [0,5), the rest noise in [0,1); a share `missing` of
 * all values NAN (the label is computed before). */
static dataset make_data(size_t rows, uint64_t seed, rule_fn rule, double missing)
{
    dataset d = {malloc(rows * COLS * sizeof(float)), malloc(rows * sizeof(float)), rows};
    assert_non_null(d.x);
    assert_non_null(d.label);
    for (size_t i = 0; i < rows; i++) {
        float *r = d.x + i * COLS;
        for (int j = 0; j < COLS; j++) r[j] = (float)uniform(&seed);
        r[1] *= 5;
        d.label[i] = (float)rule(r);
        for (int j = 0; j < COLS; j++)
            if (missing > 0 && uniform(&seed) < missing) r[j] = NAN;
    }
    return d;
}

/* Data for rule_rare, with x0 and x1 on a grid (steps of 0.05 and 0.25):
 * every corner value a held-out row has, the training rows have too, so
 * recall measures the weighting rather than where in the gap between its
 * rare positives and the negatives a boundary fell. */
static dataset rare_data(size_t rows, uint64_t seed)
{
    dataset d = make_data(rows, seed, rule_rare, 0);
    for (size_t i = 0; i < rows; i++) {
        float *r = d.x + i * COLS;
        r[0] = floorf(r[0] * 20) / 20;
        r[1] = floorf(r[1] * 4) / 4;
        d.label[i] = (float)rule_rare(r);
    }
    return d;
}

static void free_data(dataset *d)
{
    free(d->x);
    free(d->label);
}

/* One thread: libgomp's spinning workers crawl when ctest runs tests in
 * parallel on few cores (test_deterministic uses two). */
static model_params small_params(void)
{
    model_params p;
    model_params_default(&p);
    p.rounds = 50;
    p.threads = 1;
    return p;
}

static c2_model *train(const dataset *d, const float *weight, const model_params *p)
{
    c2_model *m;
    c2_err err;
    if (model_train(d->x, d->rows, COLS, d->label, weight, names6, p, &m, &err) != 0)
        fail_msg("train: %s", err.msg);
    return m;
}

static float *predict(const c2_model *m, const dataset *d)
{
    float *prob = malloc(d->rows * sizeof(float));
    c2_err err;
    assert_non_null(prob);
    if (model_predict(m, d->x, d->rows, COLS, prob, &err) != 0) fail_msg("predict: %s", err.msg);
    return prob;
}

static double accuracy(const float *prob, const dataset *d)
{
    size_t right = 0;
    for (size_t i = 0; i < d->rows; i++) right += (prob[i] > 0.5f) == (d->label[i] == 1.0f);
    return (double)right / (double)d->rows;
}

static double recall(const float *prob, const dataset *d)
{
    size_t pos = 0, found = 0;
    for (size_t i = 0; i < d->rows; i++)
        if (d->label[i] == 1.0f) {
            pos++;
            found += prob[i] > 0.5f;
        }
    assert_true(pos > 0);
    return (double)found / (double)pos;
}

static char tmp_dir[512];
static int sentinel;            /* its address: an out pointer not yet written */

static int setup_dir(void **state)
{
    (void)state;
    c2_err err;
    const char *base = getenv("C2FLOW_TEST_TMP");
    if (!base || !*base) base = "/tmp";
    snprintf(tmp_dir, sizeof tmp_dir, "%s/model-XXXXXX", base);
    return c2_mkdir_p(base, C2_SHARED, &err) == 0 && mkdtemp(tmp_dir) ? 0 : -1;
}

static int teardown_dir(void **state)
{
    (void)state;
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp_dir);
    return system(cmd) == 0 ? 0 : -1;
}

static const char *tmp_path(const char *name)
{
    static char path[4][600];
    static int next;
    char *p = path[next++ % 4];
    snprintf(p, sizeof path[0], "%s/%s", tmp_dir, name);
    return p;
}

static void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    assert_int_equal(fclose(f), 0);
}

static char *read_text(const char *path)
{
    uint8_t *buf;
    size_t len;
    c2_err err;
    assert_int_equal(c2_file_read(path, 1 << 26, &buf, &len, &err), 1);
    char *s = realloc(buf, len + 1);
    s[len] = '\0';
    return s;
}

/* The message of a call that must fail, which must contain `want`. */
#define assert_fails_with(call, want)                                        \
    do {                                                                     \
        memset(&err, 0, sizeof err);                                         \
        assert_int_equal((call), -1);                                        \
        if (!strstr(err.msg, (want)))                                        \
            fail_msg("message \"%s\" lacks \"%s\"", err.msg, (want));        \
    } while (0)

/* ---- learning ---- */

static void test_learns_rule(void **state)
{
    (void)state;
    dataset tr = make_data(2000, 1, rule_simple, 0), te = make_data(1000, 2, rule_simple, 0);
    model_params p = small_params();
    c2_model *m = train(&tr, NULL, &p);
    float *prob = predict(m, &te);
    assert_true(accuracy(prob, &te) > 0.9);
    for (size_t i = 0; i < te.rows; i++) assert_true(prob[i] >= 0 && prob[i] <= 1);

    assert_int_equal(model_feature_count(m), COLS);
    assert_string_equal(model_feature_name(m, 4), "noise.c");
    assert_null(model_feature_name(m, COLS));

    static const char *const types[] = {"gain", "total_gain", "weight", "cover", "total_cover"};
    for (size_t t = 0; t < 5; t++) {
        double imp[COLS];
        c2_err err;
        if (model_importance(m, types[t], imp, &err) != 0) fail_msg("%s: %s", types[t], err.msg);
        for (int j = 0; j < COLS; j++) assert_true(imp[j] >= 0);
        assert_true(imp[0] > 0 && imp[1] > 0);
        /* split counts and covers are no ranking: noise is split often, for little */
        if (strstr(types[t], "gain") == NULL) continue;
        for (int j = 2; j < COLS; j++) {
            if (!(imp[0] > imp[j] && imp[1] > imp[j]))
                fail_msg("%s: x0 %g x1 %g, %s %g", types[t], imp[0], imp[1], names6[j], imp[j]);
        }
    }
    free(prob);
    model_free(m);
    free_data(&tr);
    free_data(&te);
}

/* A feature no split uses gets importance 0, not garbage or an error. */
static void test_unused_feature_importance_zero(void **state)
{
    (void)state;
    dataset tr = make_data(500, 3, rule_simple, 0);
    for (size_t i = 0; i < tr.rows; i++) tr.x[i * COLS + 5] = 7;   /* constant: never split */
    model_params p = small_params();
    p.rounds = 10;
    c2_model *m = train(&tr, NULL, &p);
    double imp[COLS];
    c2_err err;
    assert_int_equal(model_importance(m, "weight", imp, &err), 0);
    assert_true(imp[0] > 0);
    assert_true(imp[5] == 0);
    model_free(m);
    free_data(&tr);
}

static void test_missing_values(void **state)
{
    (void)state;
    dataset tr = make_data(2000, 4, rule_simple, 0.2), te = make_data(1000, 5, rule_simple, 0);
    model_params p = small_params();
    c2_model *m = train(&tr, NULL, &p);
    float *prob = predict(m, &te);
    assert_true(accuracy(prob, &te) > 0.85);   /* learnt from 36% of rows fully known */
    free(prob);

    /* rows with NAN predict too, and a fully missing row gives a probability */
    dataset holes = make_data(1000, 6, rule_simple, 0.2);
    prob = predict(m, &holes);
    for (size_t i = 0; i < holes.rows; i++) assert_true(prob[i] >= 0 && prob[i] <= 1);
    free(prob);
    float none[COLS] = {NAN, NAN, NAN, NAN, NAN, NAN}, one = -1;
    c2_err err;
    assert_int_equal(model_predict(m, none, 1, COLS, &one, &err), 0);
    assert_true(one >= 0 && one <= 1);
    model_free(m);
    free_data(&tr);
    free_data(&te);
    free_data(&holes);
}

/* 1% positives: with the default scale_pos_weight most are still found. */
static void test_class_imbalance(void **state)
{
    (void)state;
    dataset tr = rare_data(4000, 7), te = rare_data(4000, 8);
    model_params p = small_params();
    c2_model *m = train(&tr, NULL, &p);
    float *prob = predict(m, &te);
    double r = recall(prob, &te);
    if (r < 0.8) fail_msg("recall of the 1%% positives %g", r);
    free(prob);
    model_free(m);
    free_data(&tr);
    free_data(&te);
}

/* The default scale_pos_weight is (weight of negatives)/(weight of
 * positives): the model is the one trained with that ratio given. */
static void test_default_scale_pos_weight(void **state)
{
    (void)state;
    dataset tr = rare_data(1000, 22), te = make_data(500, 23, rule_simple, 0);
    float *w = malloc(tr.rows * sizeof(float));
    size_t pos = 0, neg = 0;
    for (size_t i = 0; i < tr.rows; i++) {
        w[i] = tr.label[i] == 1 ? 1 : 3;   /* negatives count thrice */
        if (tr.label[i] == 1) pos++; else neg++;
    }
    model_params p = small_params();
    p.rounds = 20;
    c2_model *a = train(&tr, w, &p);
    p.scale_pos_weight = 3.0 * (double)neg / (double)pos;
    c2_model *b = train(&tr, w, &p);
    p.scale_pos_weight = 1;
    c2_model *c = train(&tr, w, &p);
    float *pa = predict(a, &te), *pb = predict(b, &te), *pc = predict(c, &te);
    assert_memory_equal(pa, pb, te.rows * sizeof(float));
    assert_memory_not_equal(pa, pc, te.rows * sizeof(float));
    free(pa); free(pb); free(pc);
    model_free(a); model_free(b); model_free(c);
    free(w);
    free_data(&tr);
    free_data(&te);
}

/* Rows of weight 0 carrying the opposite label change nothing: the model
 * is bit for bit the one trained without them.  Given weight 1, the same
 * rows do change it (so the comparison can fail). */
static void test_zero_weight_rows_ignored(void **state)
{
    (void)state;
    dataset base = make_data(1500, 9, rule_simple, 0), te = make_data(500, 10, rule_simple, 0);
    /* every third row of `mixed` is a flipped copy of a base row */
    size_t n = base.rows + base.rows / 2;
    dataset mixed = {malloc(n * COLS * sizeof(float)), malloc(n * sizeof(float)), n};
    float *w = malloc(n * sizeof(float)), *w1 = malloc(n * sizeof(float));
    size_t k = 0;
    for (size_t i = 0; i < base.rows; i++) {
        memcpy(mixed.x + k * COLS, base.x + i * COLS, COLS * sizeof(float));
        mixed.label[k] = base.label[i];
        w[k] = w1[k] = 1;
        k++;
        if (i % 2 == 1) {
            memcpy(mixed.x + k * COLS, base.x + i * COLS, COLS * sizeof(float));
            mixed.label[k] = 1 - base.label[i];
            w[k] = 0;
            w1[k] = 1;
            k++;
        }
    }
    assert_int_equal(k, n);
    model_params p = small_params();
    c2_model *a = train(&base, NULL, &p), *b = train(&mixed, w, &p), *c = train(&mixed, w1, &p);
    float *pa = predict(a, &te), *pb = predict(b, &te), *pc = predict(c, &te);
    assert_memory_equal(pa, pb, te.rows * sizeof(float));
    assert_memory_not_equal(pa, pc, te.rows * sizeof(float));
    assert_true(accuracy(pc, &te) < accuracy(pa, &te));
    free(pa); free(pb); free(pc);
    model_free(a); model_free(b); model_free(c);
    free(w); free(w1);
    free_data(&base);
    free_data(&mixed);
    free_data(&te);
}

/* Weights count: a weighted row is a repeated row (without subsampling). */
static void test_weights_repeat_rows(void **state)
{
    (void)state;
    dataset d = make_data(600, 11, rule_simple, 0), te = make_data(300, 12, rule_simple, 0);
    dataset twice = {malloc(2 * d.rows * COLS * sizeof(float)), malloc(2 * d.rows * sizeof(float)),
                     2 * d.rows};
    float *w = malloc(d.rows * sizeof(float));
    for (size_t i = 0; i < d.rows; i++) {
        w[i] = 2;
        for (int r = 0; r < 2; r++) {
            memcpy(twice.x + (2 * i + r) * COLS, d.x + i * COLS, COLS * sizeof(float));
            twice.label[2 * i + r] = d.label[i];
        }
    }
    model_params p = small_params();
    p.subsample = 1;
    p.colsample = 1;
    p.rounds = 20;
    c2_model *a = train(&d, w, &p), *b = train(&twice, NULL, &p);
    float *pa = predict(a, &te), *pb = predict(b, &te);
    for (size_t i = 0; i < te.rows; i++) assert_float_equal(pa[i], pb[i], 1e-4);
    free(pa); free(pb);
    model_free(a); model_free(b);
    free(w);
    free_data(&d);
    free_data(&twice);
    free_data(&te);
}

/* ---- determinism and files ---- */

static void test_deterministic(void **state)
{
    (void)state;
    dataset tr = make_data(2000, 13, rule_simple, 0.05), te = make_data(500, 14, rule_simple, 0);
    model_params p = small_params();
    c2_model *a = train(&tr, NULL, &p), *b = train(&tr, NULL, &p);
    p.seed = 2;
    c2_model *c = train(&tr, NULL, &p);
    float *pa = predict(a, &te), *pb = predict(b, &te), *pc = predict(c, &te);
    assert_memory_equal(pa, pb, te.rows * sizeof(float));
    assert_memory_not_equal(pa, pc, te.rows * sizeof(float));   /* the seed is used */
    free(pa); free(pb); free(pc);
    model_free(a); model_free(b); model_free(c);

    /* and with threads sharing the work (fewer rounds: libgomp's workers
     * spin between XGBoost's many small parallel regions) */
    p.seed = 1;
    p.threads = 2;
    p.rounds = 5;
    a = train(&tr, NULL, &p);
    b = train(&tr, NULL, &p);
    pa = predict(a, &te);
    pb = predict(b, &te);
    assert_memory_equal(pa, pb, te.rows * sizeof(float));
    free(pa); free(pb);
    model_free(a); model_free(b);
    free_data(&tr);
    free_data(&te);
}

static void test_save_load_round_trip(void **state)
{
    (void)state;
    dataset tr = make_data(1000, 15, rule_simple, 0.1), te = make_data(500, 16, rule_simple, 0.1);
    model_params p = small_params();
    c2_model *m = train(&tr, NULL, &p), *l, *l2;
    const char *path = tmp_path("m.json"), *path2 = tmp_path("m2.json");
    c2_err err;
    if (model_save(m, path, &err) != 0) fail_msg("save: %s", err.msg);
    if (model_load(path, &l, &err) != 0) fail_msg("load: %s", err.msg);
    assert_int_equal(model_set_threads(l, 1, &err), 0);
    assert_int_equal(model_feature_count(l), COLS);
    for (size_t i = 0; i < COLS; i++) assert_string_equal(model_feature_name(l, i), names6[i]);
    float *pm = predict(m, &te), *pl = predict(l, &te);
    assert_memory_equal(pm, pl, te.rows * sizeof(float));
    double im[COLS], il[COLS];
    assert_int_equal(model_importance(m, "total_gain", im, &err), 0);
    assert_int_equal(model_importance(l, "total_gain", il, &err), 0);
    assert_memory_equal(im, il, sizeof im);

    /* the saved loaded model loads again, the same */
    if (model_save(l, path2, &err) != 0) fail_msg("save again: %s", err.msg);
    if (model_load(path2, &l2, &err) != 0) fail_msg("load again: %s", err.msg);
    assert_int_equal(model_set_threads(l2, 1, &err), 0);
    float *pl2 = predict(l2, &te);
    assert_memory_equal(pm, pl2, te.rows * sizeof(float));

    /* XGBoost JSON with our marks, and no temporary file left behind */
    char *text = read_text(path), *text2 = read_text(path2);
    assert_non_null(strstr(text, "\"feature_names\":[\"x0\",\"x1\",\"noise_a\""));
    assert_non_null(strstr(text, "\"c2flow_model\":\"1\""));
    assert_non_null(strstr(text, "binary:logistic"));
    assert_string_equal(text, text2);   /* a saved model is a fixed point */
    free(text);
    free(text2);
    char cmd[700];
    snprintf(cmd, sizeof cmd, "test $(ls -A '%s' | wc -l) -eq 2", tmp_dir);
    assert_int_equal(system(cmd), 0);

    free(pm); free(pl); free(pl2);
    model_free(m); model_free(l); model_free(l2);
    unlink(path);
    unlink(path2);
    free_data(&tr);
    free_data(&te);
}

/* ---- XGBoost stays silent ---- */

static void *quiet_thread(void *arg)
{
    (void)arg;
    dataset tr = make_data(300, 17, rule_simple, 0);
    model_params p = small_params();
    p.rounds = 5;
    c2_model *m = train(&tr, NULL, &p), *l;
    c2_err err;
    float prob[1];
    model_predict(m, tr.x, 1, COLS, prob, &err);
    model_load(tmp_path("absent.json"), &l, &err);
    write_text(tmp_path("empty.json"), "{}");
    model_load(tmp_path("empty.json"), &l, &err);
    /* XGBoost warns of unknown parameters at verbosity 1: not on this thread */
    DMatrixHandle d;
    BoosterHandle h;
    XGDMatrixCreateFromMat(tr.x, tr.rows, COLS, NAN, &d);
    XGDMatrixSetFloatInfo(d, "label", tr.label, tr.rows);
    XGBoosterCreate(&d, 1, &h);
    XGBoosterSetParam(h, "nthread", "1");
    XGBoosterSetParam(h, "validate_parameters", "1");
    XGBoosterSetParam(h, "no_such_parameter", "1");
    XGBoosterUpdateOneIter(h, 0, d);
    XGBoosterFree(h);
    XGDMatrixFree(d);
    model_free(m);
    free_data(&tr);
    return NULL;
}

/* A new thread (XGBoost's settings are per thread) prints nothing. */
static void test_silent_on_any_thread(void **state)
{
    (void)state;
    const char *out = tmp_path("stderr.txt");
    fflush(stdout);
    fflush(stderr);
    int fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644), o1 = dup(1), o2 = dup(2);
    assert_true(fd >= 0 && o1 >= 0 && o2 >= 0);
    dup2(fd, 1);
    dup2(fd, 2);
    pthread_t t;
    int rc = pthread_create(&t, NULL, quiet_thread, NULL);
    if (rc == 0) pthread_join(t, NULL);
    fflush(stdout);
    fflush(stderr);
    dup2(o1, 1);
    dup2(o2, 2);
    close(o1);
    close(o2);
    close(fd);
    assert_int_equal(rc, 0);
    char *text = read_text(out);
    if (text[0]) fail_msg("XGBoost printed: %s", text);
    free(text);
    unlink(out);
    unlink(tmp_path("empty.json"));
}

/* ---- refusals ---- */

static void test_train_errors(void **state)
{
    (void)state;
    dataset d = make_data(100, 18, rule_simple, 0);
    model_params p = small_params();
    c2_model *m = (c2_model *)&sentinel;   /* must be set to NULL on failure */
    c2_err err;
    assert_fails_with(model_train(d.x, 0, COLS, d.label, NULL, names6, &p, &m, &err),
                      "no training rows");
    assert_null(m);
    assert_fails_with(model_train(d.x, d.rows, 0, d.label, NULL, names6, &p, &m, &err),
                      "no features");

    float *zeros = calloc(d.rows, sizeof(float)), *ones = malloc(d.rows * sizeof(float));
    for (size_t i = 0; i < d.rows; i++) ones[i] = 1;
    assert_fails_with(model_train(d.x, d.rows, COLS, zeros, NULL, names6, &p, &m, &err),
                      "no positive row");
    assert_fails_with(model_train(d.x, d.rows, COLS, ones, NULL, names6, &p, &m, &err),
                      "no negative row");
    /* weighted rows are what counts: all weight 0 leaves nothing */
    assert_fails_with(model_train(d.x, d.rows, COLS, d.label, zeros, names6, &p, &m, &err),
                      "no positive row");
    float keep = d.label[3];
    d.label[3] = 2;
    assert_fails_with(model_train(d.x, d.rows, COLS, d.label, NULL, names6, &p, &m, &err),
                      "label of row 3 is 2");
    d.label[3] = NAN;
    assert_fails_with(model_train(d.x, d.rows, COLS, d.label, NULL, names6, &p, &m, &err),
                      "labels must be 0 or 1");
    d.label[3] = keep;
    ones[5] = -1;
    assert_fails_with(model_train(d.x, d.rows, COLS, d.label, ones, names6, &p, &m, &err),
                      "weight of row 5 is -1");
    ones[5] = INFINITY;
    assert_fails_with(model_train(d.x, d.rows, COLS, d.label, ones, names6, &p, &m, &err),
                      "weights must be finite");

    model_params bad = p;
    bad.eta = 0;
    assert_fails_with(model_train(d.x, d.rows, COLS, d.label, NULL, names6, &bad, &m, &err), "eta");
    bad = p;
    bad.subsample = 1.5;
    assert_fails_with(model_train(d.x, d.rows, COLS, d.label, NULL, names6, &bad, &m, &err),
                      "subsample");
    bad = p;
    bad.rounds = 0;
    assert_fails_with(model_train(d.x, d.rows, COLS, d.label, NULL, names6, &bad, &m, &err),
                      "rounds");
    bad = p;
    bad.colsample = NAN;
    assert_fails_with(model_train(d.x, d.rows, COLS, d.label, NULL, names6, &bad, &m, &err),
                      "colsample");

    d.x[7] = INFINITY;   /* row 1, x1 */
    assert_fails_with(model_train(d.x, d.rows, COLS, d.label, NULL, names6, &p, &m, &err),
                      "row 1, feature \"x1\": infinite value");
    d.x[7] = 0;
    assert_null(m);

    free(zeros);
    free(ones);
    free_data(&d);
}

static void test_bad_feature_names(void **state)
{
    (void)state;
    dataset d = make_data(200, 19, rule_simple, 0);
    model_params p = small_params();
    c2_model *m;
    c2_err err;
    static const struct { const char *name, *want; } cases[] = {
        {"bytes per flow", "feature name \"bytes per flow\": character ' ' not allowed"},
        {"a,b", "character ',' not allowed"},
        {"x[0]", "character '[' not allowed"},
        {"a<b", "character '<' not allowed"},
        {"\"q\"", "character '\"' not allowed"},
        {"tab\there", "feature name \"tab...\": byte 0x09 not allowed"},
        {"nl\nx", "byte 0x0a"},
        {"caf\xc3\xa9", "feature name \"caf...\": byte 0xc3"},
        {"", "feature 3: empty name"},
        {"x0", "\"x0\" given twice"},
    };
    for (size_t c = 0; c < sizeof cases / sizeof *cases; c++) {
        const char *names[COLS] = {"x0", "x1", "n2", cases[c].name, "n4", "n5"};
        assert_fails_with(model_train(d.x, d.rows, COLS, d.label, NULL, names, &p, &m, &err),
                          cases[c].want);
        assert_null(strchr(err.msg, '\n'));
    }
    char longname[MODEL_NAME_MAX + 1];
    memset(longname, 'a', MODEL_NAME_MAX);
    longname[MODEL_NAME_MAX] = '\0';
    const char *names[COLS] = {"x0", "x1", "n2", longname, "n4", "n5"};
    assert_fails_with(model_train(d.x, d.rows, COLS, d.label, NULL, names, &p, &m, &err),
                      "longer than");
    assert_fails_with(model_train(d.x, d.rows, COLS, d.label, NULL, NULL, &p, &m, &err),
                      "no feature names");
    free_data(&d);
}

static void test_predict_errors(void **state)
{
    (void)state;
    dataset d = make_data(300, 20, rule_simple, 0);
    model_params p = small_params();
    p.rounds = 5;
    c2_model *m = train(&d, NULL, &p);
    float prob[2] = {-1, -1};
    c2_err err;
    assert_fails_with(model_predict(m, d.x, 2, COLS - 1, prob, &err),
                      "the model has 6 features, the rows have 5 columns");
    assert_fails_with(model_predict(m, d.x, 2, COLS + 1, prob, &err), "have 7 columns");
    assert_int_equal(model_predict(m, d.x, 0, COLS, prob, &err), 0);   /* nothing to do */
    assert_true(prob[0] == -1);
    assert_int_equal(model_predict(m, NULL, 0, COLS, NULL, &err), 0);
    float row[COLS] = {0.7f, 1, 0, 0, -INFINITY, 0};
    assert_fails_with(model_predict(m, row, 1, COLS, prob, &err),
                      "row 0, feature \"noise.c\": infinite value");
    double imp[COLS];
    assert_fails_with(model_importance(m, "splits", imp, &err), "importance type \"splits\" unknown");
    assert_fails_with(model_save(m, "/nonexistent-c2flow-dir/m.json", &err),
                      "cannot create /nonexistent-c2flow-dir/");
    model_free(m);
    free_data(&d);
}

/* A plain XGBoost model, saved by XGBoost: optionally marked and named. */
static void save_plain_xgboost(const char *path, int mark, int named)
{
    dataset d = make_data(200, 21, rule_simple, 0);
    DMatrixHandle dm;
    BoosterHandle h;
    assert_int_equal(XGDMatrixCreateFromMat(d.x, d.rows, COLS, NAN, &dm), 0);
    assert_int_equal(XGDMatrixSetFloatInfo(dm, "label", d.label, d.rows), 0);
    assert_int_equal(XGBoosterCreate(&dm, 1, &h), 0);
    assert_int_equal(XGBoosterSetParam(h, "objective", "binary:logistic"), 0);
    assert_int_equal(XGBoosterSetParam(h, "nthread", "1"), 0);
    if (mark) assert_int_equal(XGBoosterSetAttr(h, "c2flow_model", "1"), 0);
    if (named)
        assert_int_equal(XGBoosterSetStrFeatureInfo(h, "feature_name", (const char **)names6,
                                                    COLS), 0);
    assert_int_equal(XGBoosterUpdateOneIter(h, 0, dm), 0);
    assert_int_equal(XGBoosterSaveModel(h, path), 0);   /* ".json": JSON */
    XGBoosterFree(h);
    XGDMatrixFree(dm);
    free_data(&d);
}

/* Replace the first `from` in a file's text by `to`. */
static void edit_file(const char *path, const char *from, const char *to)
{
    char *text = read_text(path), *at = strstr(text, from);
    assert_non_null(at);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fwrite(text, 1, (size_t)(at - text), f);
    fputs(to, f);
    fputs(at + strlen(from), f);
    assert_int_equal(fclose(f), 0);
    free(text);
}

/* The model file edited (from -> to) is refused with a one-line message
 * holding want; then the edit is undone. */
static void refused_edited(const char *path, const char *from, const char *to,
                           const char *want)
{
    c2_model *m;
    c2_err err;
    edit_file(path, from, to);
    assert_fails_with(model_load(path, &m, &err), want);
    assert_null(m);
    assert_null(strchr(err.msg, '\n'));
    assert_null(strstr(err.msg, ".cc:"));
    edit_file(path, to, from);
}

static void test_load_errors(void **state)
{
    (void)state;
    c2_model *m = (c2_model *)&sentinel;   /* must be set to NULL on failure */
    c2_err err;
    const char *path = tmp_path("bad.json");
    assert_fails_with(model_load(tmp_path("absent.json"), &m, &err), "absent.json: no such model file");
    assert_null(m);

    write_text(path, "{}");
    assert_fails_with(model_load(path, &m, &err),
                      "bad.json: not a c2flow model: no \"learner\" object");
    write_text(path, "hello");
    assert_fails_with(model_load(path, &m, &err), "bad.json: not a c2flow model");
    write_text(path, "");
    assert_fails_with(model_load(path, &m, &err), "bad.json: not a c2flow model");
    write_text(path, "{\"learner\": [1, 2");
    assert_fails_with(model_load(path, &m, &err), "bad.json: not a c2flow model: not JSON");
    assert_null(strchr(err.msg, '\n'));

    save_plain_xgboost(path, 0, 1);
    assert_fails_with(model_load(path, &m, &err),
                      "bad.json: not a c2flow model (an XGBoost model without the \"c2flow_model\"");
    save_plain_xgboost(path, 1, 0);
    assert_fails_with(model_load(path, &m, &err), "bad.json: not a c2flow model (0 feature names");
    save_plain_xgboost(path, 1, 1);
    if (model_load(path, &m, &err) != 0) fail_msg("marked and named: %s", err.msg);
    model_free(m);   /* marked and named: ours in all but origin */

    static const struct { const char *from, *to, *want; } edits[] = {
        /* XGBoost's own refusals come back as one line, without its
         * source location and stack trace */
        {"\"sum_hessian\":[", "\"sum_hessian\":[1,", "bad.json: not an XGBoost model: xgboost: "},
        /* trees that XGBoost would follow blindly, and crash predicting */
        {"\"left_children\":[1,", "\"left_children\":[9999,",
         "not a c2flow model: tree 0: a tree whose node 0 is not a leaf or a split"},
        {"\"left_children\":[1,", "\"left_children\":[0,", "tree 0: a tree whose node 0 is not"},
        {"\"tree_info\":[0]", "\"tree_info\":[3]", "not a c2flow model: tree 0 of another output"},
        {"\"num_class\":\"0\"", "\"num_class\":\"2\"", "more than one output class"},
        {"\"categories_nodes\":[]", "\"categories_nodes\":[0]", "categorical splits"},
        /* a key twice: the check and XGBoost might each read another */
        {"\"left_children\":[", "\"left_children\":[1],\"left_children\":[",
         "not a c2flow model: not JSON"},
    };
    for (size_t i = 0; i < sizeof edits / sizeof edits[0]; i++)
        refused_edited(path, edits[i].from, edits[i].to, edits[i].want);
    if (model_load(path, &m, &err) != 0) fail_msg("edits undone: %s", err.msg);
    model_free(m);
    edit_file(path, "\"c2flow_model\":\"1\"", "\"c2flow_model\":\"2\"");
    assert_fails_with(model_load(path, &m, &err), "c2flow model format \"2\" is not supported");
    edit_file(path, "\"c2flow_model\":\"2\"", "\"c2flow_model\":\"1\"");
    edit_file(path, "\"noise_a\"", "\"x0\"");
    assert_fails_with(model_load(path, &m, &err), "bad.json: bad c2flow model: feature name \"x0\" given twice");
    assert_fails_with(model_load(tmp_dir, &m, &err), "cannot read");
    unlink(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_learns_rule),
        cmocka_unit_test(test_unused_feature_importance_zero),
        cmocka_unit_test(test_missing_values),
        cmocka_unit_test(test_class_imbalance),
        cmocka_unit_test(test_default_scale_pos_weight),
        cmocka_unit_test(test_zero_weight_rows_ignored),
        cmocka_unit_test(test_weights_repeat_rows),
        cmocka_unit_test(test_deterministic),
        cmocka_unit_test(test_save_load_round_trip),
        cmocka_unit_test(test_silent_on_any_thread),
        cmocka_unit_test(test_train_errors),
        cmocka_unit_test(test_bad_feature_names),
        cmocka_unit_test(test_predict_errors),
        cmocka_unit_test(test_load_errors),
    };
    return cmocka_run_group_tests(tests, setup_dir, teardown_dir);
}
