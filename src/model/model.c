/*
 * model.c: gradient-boosted trees through XGBoost's C API (model.h).
 *
 * A c2_model is an XGBoost booster plus our own copy of its feature names:
 * names handed out by XGBoost live in thread-local buffers that the next
 * XGBoost call on that thread overwrites, so none is kept across calls.
 * Invariant: the booster's feature count, its stored feature names and
 * m->names agree (checked on load, true by construction after training).
 *
 * XGBoost's global configuration and its log callback are per thread (a
 * verbosity set on one thread does not reach another), so every entry
 * point silences the calling thread first, once per thread.  (XGBoost's
 * own OpenMP workers keep the default, warnings; none was seen to log.)  Its errors
 * are "[hh:mm:ss] src/file.cc:123: message\nStack trace: ..." strings;
 * xgb_fail keeps the message line alone.
 *
 * Rows of weight 0 are removed before XGBoost sees them rather than passed
 * with weight 0: the histogram bins (quantile sketch) and the row
 * subsampling would still see them, and the model would differ from the
 * one trained without them.
 */
#include "model/model_impl.h"

#include <assert.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dynlib/xgboost.h"

struct c2_model {
    BoosterHandle booster;      /* owned */
    size_t        nfeat;        /* features (columns) */
    char        **names;        /* nfeat names; one allocation with the strings */
};

/* ---- XGBoost's voice: silenced, errors turned into c2_err ---- */

static void log_discard(const char *msg)
{
    (void)msg;
}

static _Thread_local int thread_quiet;

/* XGBoost prints warnings to stderr (verbosity 1) and console messages
 * through the thread's log callback; a library must not print. */
static void xgb_quiet(void)
{
    if (thread_quiet) return;
    XGBSetGlobalConfig("{\"verbosity\":0}");
    XGBRegisterLogCallback(log_discard);
    thread_quiet = 1;
}

/* Skip "file.cc:123: " (a word without spaces ending in ":digits:"). */
static const char *skip_source_location(const char *s)
{
    const char *end = strstr(s, ": ");
    if (!end || memchr(s, ' ', (size_t)(end - s))) return s;
    const char *d = end;
    while (d > s && d[-1] >= '0' && d[-1] <= '9') d--;
    return (d < end && d > s && d[-1] == ':') ? end + 2 : s;
}

/* The thread's last XGBoost error as "xgboost: message" (its first line,
 * without the time stamp and source location). */
static int xgb_fail(c2_err *err)
{
    const char *s = XGBGetLastError();
    if (!s || !*s) s = "unknown error";
    if (s[0] == '[') {
        const char *e = strstr(s, "] ");
        if (e) s = e + 2;
    }
    s = skip_source_location(s);
    return c2_fail(err, "xgboost: %.*s", (int)strcspn(s, "\r\n"), s);
}

/* ---- feature names ---- */

static int name_char_ok(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '_' || c == '.' || c == ':' || c == '/' || c == '-';
}

/* Names may come from a file: the message quotes only their printable
 * start, so that it stays one line. */
static int name_check(const char *name, size_t i, c2_err *err)
{
    if (!name || !*name) return c2_fail(err, "feature %zu: empty name", i);
    size_t len = strlen(name);
    if (len >= MODEL_NAME_MAX)
        return c2_fail(err, "feature %zu: name longer than %d characters", i, MODEL_NAME_MAX - 1);
    for (size_t k = 0; k < len; k++) {
        unsigned char c = (unsigned char)name[k];
        if (name_char_ok((char)c)) continue;
        size_t shown = 0;
        while (name[shown] >= 0x20 && name[shown] < 0x7f) shown++;
        if (c >= 0x20 && c < 0x7f)
            return c2_fail(err, "feature name \"%.*s\": character '%c' not allowed "
                           "(only letters, digits and _ . : / -)", (int)shown, name, c);
        return c2_fail(err, "feature name \"%.*s...\": byte 0x%02x not allowed "
                       "(only letters, digits and _ . : / -)", (int)shown, name, c);
    }
    return 0;
}

/* Every name valid, none twice (importance is mapped back by name). */
static int names_check(const char *const *names, size_t n, c2_err *err)
{
    if (!names) return c2_fail(err, "no feature names");
    for (size_t i = 0; i < n; i++) {
        if (name_check(names[i], i, err) != 0) return -1;
        for (size_t j = 0; j < i; j++)
            if (strcmp(names[i], names[j]) == 0)
                return c2_fail(err, "feature name \"%s\" given twice", names[i]);
    }
    return 0;
}

/* A copy of n names in one allocation: the pointers, then the strings. */
static char **names_copy(const char *const *names, size_t n)
{
    size_t bytes = n * sizeof(char *);
    for (size_t i = 0; i < n; i++) bytes += strlen(names[i]) + 1;
    char **out = malloc(bytes);
    if (!out) return NULL;
    char *s = (char *)(out + n);
    for (size_t i = 0; i < n; i++) {
        size_t len = strlen(names[i]) + 1;
        memcpy(s, names[i], len);
        out[i] = s;
        s += len;
    }
    return out;
}

static int name_index(const c2_model *m, const char *name, size_t *idx)
{
    for (size_t i = 0; i < m->nfeat; i++)
        if (strcmp(m->names[i], name) == 0) {
            *idx = i;
            return 0;
        }
    return -1;
}

/* XGBoost refuses infinities in training data and takes them silently in
 * prediction: refuse them in both, naming the place. */
static int values_check(const float *x, size_t rows, size_t cols, const char *const *names,
                        c2_err *err)
{
    for (size_t i = 0; i < rows * cols; i++)
        if (isinf(x[i]))
            return c2_fail(err, "row %zu, feature \"%s\": infinite value (NAN is missing)",
                           i / cols, names[i % cols]);
    return 0;
}

/* ---- the model object ---- */

static c2_model *model_new(BoosterHandle booster, const char *const *names, size_t n)
{
    c2_model *m = calloc(1, sizeof *m);
    if (!m) return NULL;
    m->names = names_copy(names, n);
    if (!m->names) {
        free(m);
        return NULL;
    }
    m->booster = booster;
    m->nfeat = n;
    return m;
}

void model_free(c2_model *m)
{
    if (!m) return;
    if (m->booster) XGBoosterFree(m->booster);
    free(m->names);
    free(m);
}

size_t model_feature_count(const c2_model *m)
{
    return m->nfeat;
}

const char *model_feature_name(const c2_model *m, size_t i)
{
    return i < m->nfeat ? m->names[i] : NULL;
}

/* ---- parameters ---- */

void model_params_default(model_params *p)
{
    *p = (model_params){
        .rounds = 200,
        .max_depth = 5,
        .eta = 0.1,
        .min_child_weight = 1,
        .subsample = 0.8,
        .colsample = 0.8,
        .scale_pos_weight = 0,
        .threads = 0,
        .seed = 1,
    };
}

/* Written so that NaN fails every test. */
static int params_check(const model_params *p, c2_err *err)
{
    if (p->rounds == 0) return c2_fail(err, "rounds must be at least 1");
    if (p->max_depth == 0) return c2_fail(err, "max_depth must be at least 1");
    if (!(p->eta > 0 && isfinite(p->eta))) return c2_fail(err, "eta must be > 0");
    if (!(p->min_child_weight >= 0 && isfinite(p->min_child_weight)))
        return c2_fail(err, "min_child_weight must be >= 0");
    if (!(p->subsample > 0 && p->subsample <= 1))
        return c2_fail(err, "subsample must be in (0, 1]");
    if (!(p->colsample > 0 && p->colsample <= 1))
        return c2_fail(err, "colsample must be in (0, 1]");
    if (!(p->scale_pos_weight >= 0 && isfinite(p->scale_pos_weight)))
        return c2_fail(err, "scale_pos_weight must be >= 0");
    return 0;
}

/* The training parameters, as XGBoost's key/value strings.  XGBoost parses
 * the seed as a signed 64-bit number: it is given the same bits.  nthread
 * 0 is XGBoost's default (OpenMP's thread count). */
static int booster_configure(BoosterHandle h, const model_params *p, double spw, c2_err *err)
{
    char depth[16], eta[32], mcw[32], sub[32], col[32], scale[32], seed[24], threads[16];
    snprintf(depth, sizeof depth, "%" PRIu32, p->max_depth);
    snprintf(eta, sizeof eta, "%.17g", p->eta);
    snprintf(mcw, sizeof mcw, "%.17g", p->min_child_weight);
    snprintf(sub, sizeof sub, "%.17g", p->subsample);
    snprintf(col, sizeof col, "%.17g", p->colsample);
    snprintf(scale, sizeof scale, "%.17g", spw);
    snprintf(seed, sizeof seed, "%" PRId64, (int64_t)p->seed);
    snprintf(threads, sizeof threads, "%u", p->threads);
    const char *const kv[][2] = {
        {"objective", "binary:logistic"}, {"tree_method", "hist"},
        {"eval_metric", "aucpr"},         {"max_depth", depth},
        {"eta", eta},                     {"min_child_weight", mcw},
        {"subsample", sub},               {"colsample_bytree", col},
        {"scale_pos_weight", scale},      {"seed", seed},
        {"nthread", threads},
    };
    for (size_t i = 0; i < sizeof kv / sizeof *kv; i++)
        if (XGBoosterSetParam(h, kv[i][0], kv[i][1]) != 0) return xgb_fail(err);
    return 0;
}

int model_set_threads(c2_model *m, unsigned threads, c2_err *err)
{
    char n[16];
    snprintf(n, sizeof n, "%u", threads);
    xgb_quiet();
    if (XGBoosterSetParam(m->booster, "nthread", n) != 0) return xgb_fail(err);
    return 0;
}

/* ---- training ---- */

/* The rows XGBoost is given: the caller's, or a copy without the rows of
 * weight 0. */
typedef struct train_rows {
    const float *x, *label, *weight;   /* weight NULL: all 1 */
    size_t rows;
    double wpos, wneg;                 /* weight of each class */
    float *copy;                       /* owned, when rows were dropped */
} train_rows;

static int label_weight_check(const float *label, const float *weight, size_t rows,
                              train_rows *t, c2_err *err)
{
    t->rows = 0;
    t->wpos = t->wneg = 0;
    for (size_t i = 0; i < rows; i++) {
        if (label[i] != 0.0f && label[i] != 1.0f)
            return c2_fail(err, "label of row %zu is %g: labels must be 0 or 1", i,
                           (double)label[i]);
        float w = weight ? weight[i] : 1.0f;
        if (!(w >= 0 && isfinite(w)))
            return c2_fail(err, "weight of row %zu is %g: weights must be finite and >= 0",
                           i, (double)w);
        if (w == 0) continue;
        t->rows++;
        if (label[i] == 1.0f) t->wpos += w; else t->wneg += w;
    }
    if (t->wpos == 0) return c2_fail(err, "no positive row (label 1, weight > 0) to learn from");
    if (t->wneg == 0) return c2_fail(err, "no negative row (label 0, weight > 0) to learn from");
    return 0;
}

static int drop_zero_weights(const float *x, size_t rows, size_t cols, const float *label,
                             const float *weight, train_rows *t, c2_err *err)
{
    t->copy = malloc(t->rows * (cols + 2) * sizeof(float));
    if (!t->copy) return c2_fail(err, "out of memory (%zu training rows)", t->rows);
    float *xk = t->copy, *lk = xk + t->rows * cols, *wk = lk + t->rows;
    size_t k = 0;
    for (size_t i = 0; i < rows; i++) {
        if (weight[i] == 0) continue;
        memcpy(xk + k * cols, x + i * cols, cols * sizeof(float));
        lk[k] = label[i];
        wk[k] = weight[i];
        k++;
    }
    assert(k == t->rows);
    t->x = xk;
    t->label = lk;
    t->weight = wk;
    return 0;
}

static int train_rows_init(const float *x, size_t rows, size_t cols, const float *label,
                           const float *weight, const char *const *names, train_rows *t,
                           c2_err *err)
{
    memset(t, 0, sizeof *t);
    if (rows == 0) return c2_fail(err, "no training rows");
    if (cols == 0) return c2_fail(err, "no features");
    if (!x || !label) return c2_fail(err, "no training matrix or labels");
    if (cols > SIZE_MAX / sizeof(float) - 2 || rows > SIZE_MAX / sizeof(float) / (cols + 2))
        return c2_fail(err, "training matrix of %zu x %zu too large", rows, cols);
    if (label_weight_check(label, weight, rows, t, err) != 0) return -1;
    if (values_check(x, rows, cols, names, err) != 0) return -1;
    if (t->rows < rows) return drop_zero_weights(x, rows, cols, label, weight, t, err);
    t->x = x;
    t->label = label;
    t->weight = weight;
    return 0;
}

static int dmatrix_make(const train_rows *t, size_t cols, DMatrixHandle *d, c2_err *err)
{
    if (XGDMatrixCreateFromMat(t->x, t->rows, cols, NAN, d) != 0) return xgb_fail(err);
    if (XGDMatrixSetFloatInfo(*d, "label", t->label, t->rows) != 0 ||
        (t->weight && XGDMatrixSetFloatInfo(*d, "weight", t->weight, t->rows) != 0)) {
        xgb_fail(err);
        XGDMatrixFree(*d);
        return -1;
    }
    return 0;
}

/* Configure the booster m holds and boost p->rounds trees on d. */
static int boost(c2_model *m, DMatrixHandle d, const model_params *p, double spw, c2_err *err)
{
    if (booster_configure(m->booster, p, spw, err) != 0) return -1;
    if (XGBoosterSetStrFeatureInfo(m->booster, "feature_name", (const char **)m->names,
                                   m->nfeat) != 0 ||
        XGBoosterSetAttr(m->booster, "c2flow_model", MODEL_FORMAT) != 0)
        return xgb_fail(err);
    for (uint32_t i = 0; i < p->rounds; i++)
        if (XGBoosterUpdateOneIter(m->booster, (int)i, d) != 0) return xgb_fail(err);
    return 0;
}

int model_train(const float *x, size_t rows, size_t cols, const float *label,
                const float *weight, const char *const *names,
                const model_params *p, c2_model **out, c2_err *err)
{
    model_params defaults;
    if (!p) {
        model_params_default(&defaults);
        p = &defaults;
    }
    *out = NULL;
    if (dynlib_need(DYNLIB_XGBOOST, err) != 0) return -1;
    xgb_quiet();
    train_rows t;
    if (params_check(p, err) != 0 || names_check(names, cols, err) != 0 ||
        train_rows_init(x, rows, cols, label, weight, names, &t, err) != 0)
        return -1;   /* train_rows_init allocates nothing when it fails */
    double spw = p->scale_pos_weight > 0 ? p->scale_pos_weight : t.wneg / t.wpos;
    DMatrixHandle d = NULL;
    BoosterHandle h = NULL;
    c2_model *m = NULL;
    int rc = dmatrix_make(&t, cols, &d, err);
    free(t.copy);   /* XGBoost copied the rows into its own matrix */
    if (rc == 0 && XGBoosterCreate(&d, 1, &h) != 0) rc = xgb_fail(err);
    if (rc == 0 && !(m = model_new(h, names, cols))) {
        XGBoosterFree(h);
        rc = c2_fail(err, "out of memory");
    }
    if (rc == 0 && boost(m, d, p, spw, err) != 0) {
        model_free(m);
        rc = -1;
    }
    if (d) XGDMatrixFree(d);
    if (rc == 0) *out = m;
    return rc;
}

/* ---- prediction ---- */

int model_predict(const c2_model *m, const float *x, size_t rows, size_t cols,
                  float *prob, c2_err *err)
{
    if (rows == 0) return 0;
    if (!x || !prob) return c2_fail(err, "no rows to predict or nowhere to put them");
    if (cols != m->nfeat)
        return c2_fail(err, "the model has %zu features, the rows have %zu columns",
                       m->nfeat, cols);
    if (rows > SIZE_MAX / sizeof(float) / cols)
        return c2_fail(err, "matrix of %zu x %zu too large", rows, cols);
    if (values_check(x, rows, cols, (const char *const *)m->names, err) != 0) return -1;
    xgb_quiet();
    /* numpy's __array_interface__, version 3: a borrowed row-major float32 matrix */
    char array[192];
    snprintf(array, sizeof array,
             "{\"data\":[%" PRIuPTR ",true],\"shape\":[%zu,%zu],\"typestr\":\"<f4\",\"version\":3}",
             (uintptr_t)x, rows, cols);
    static const char config[] =
        "{\"type\":0,\"training\":false,\"iteration_begin\":0,\"iteration_end\":0,"
        "\"strict_shape\":false,\"cache_id\":0,\"missing\":NaN}";
    const bst_ulong *shape;
    bst_ulong dim;
    const float *res;
    if (XGBoosterPredictFromDense(m->booster, array, config, NULL, &shape, &dim, &res) != 0)
        return xgb_fail(err);
    bst_ulong n = 1;
    for (bst_ulong i = 0; i < dim; i++) n *= shape[i];
    if (n != rows) return c2_fail(err, "xgboost: %" PRIu64 " predictions for %zu rows",
                                  (uint64_t)n, rows);
    memcpy(prob, res, rows * sizeof *prob);   /* res is XGBoost's until its next call */
    return 0;
}

/* ---- importance ---- */

static const char *const importance_types[] = {
    "gain", "total_gain", "weight", "cover", "total_cover",
};

static int importance_type_ok(const char *type)
{
    for (size_t i = 0; i < sizeof importance_types / sizeof *importance_types; i++)
        if (type && strcmp(type, importance_types[i]) == 0) return 1;
    return 0;
}

int model_importance(const c2_model *m, const char *type, double *out, c2_err *err)
{
    if (!importance_type_ok(type))
        return c2_fail(err, "importance type \"%s\" unknown (gain, total_gain, weight, "
                       "cover, total_cover)", type ? type : "(null)");
    xgb_quiet();
    char config[96];
    snprintf(config, sizeof config, "{\"importance_type\":\"%s\",\"feature_map\":\"\"}", type);
    bst_ulong n, dim;
    const char **names;
    const bst_ulong *shape;
    const float *scores;
    if (XGBoosterFeatureScore(m->booster, config, &n, &names, &dim, &shape, &scores) != 0)
        return xgb_fail(err);
    /* only the features some split uses are listed */
    for (size_t i = 0; i < m->nfeat; i++) out[i] = 0;
    for (bst_ulong k = 0; k < n; k++) {
        size_t i;
        if (name_index(m, names[k], &i) != 0)
            return c2_fail(err, "xgboost: importance of unknown feature \"%s\"", names[k]);
        out[i] = scores[k];
    }
    return 0;
}

/* ---- files ---- */

int model_save(const c2_model *m, const char *path, c2_err *err)
{
    xgb_quiet();
    bst_ulong len;
    const char *buf;
    if (XGBoosterSaveModelToBuffer(m->booster, "{\"format\":\"json\"}", &len, &buf) != 0) {
        xgb_fail(err);
        c2_err_prefix(err, "%s", path);
        return -1;
    }
    return c2_file_replace(path, buf, len, C2_SHARED, err);
}

/* The checks that make an XGBoost model a c2flow model; on success *names
 * and *n are XGBoost's (thread-local: copy before the next call). */
static int c2flow_model_check(BoosterHandle h, const char ***names, bst_ulong *n, c2_err *err)
{
    const char *format;
    int found;
    if (XGBoosterGetAttr(h, "c2flow_model", &format, &found) != 0) return xgb_fail(err);
    if (!found)
        return c2_fail(err, "not a c2flow model (an XGBoost model without the "
                       "\"c2flow_model\" attribute)");
    if (strcmp(format, MODEL_FORMAT) != 0)
        return c2_fail(err, "c2flow model format \"%.32s\" is not supported (this build "
                       "reads \"" MODEL_FORMAT "\")", format);
    bst_ulong nfeat;
    if (XGBoosterGetNumFeature(h, &nfeat) != 0) return xgb_fail(err);
    if (XGBoosterGetStrFeatureInfo(h, "feature_name", n, names) != 0) return xgb_fail(err);
    if (*n == 0 || *n != nfeat)
        return c2_fail(err, "not a c2flow model (%" PRIu64 " feature names for %" PRIu64
                       " features)", (uint64_t)*n, (uint64_t)nfeat);
    if (names_check(*names, *n, err) != 0) {
        c2_err_prefix(err, "bad c2flow model");
        return -1;
    }
    return 0;
}

/* A booster from a file's bytes, known to be a c2flow model. */
static int booster_from_buffer(const uint8_t *buf, size_t len, c2_model **out, c2_err *err)
{
    /* XGBoost takes what does not start with '{' for its old binary format */
    if (len == 0 || buf[0] != '{')
        return c2_fail(err, "not a c2flow model (not an XGBoost JSON model)");
    if (model_json_check(buf, len, err) != 0) {
        c2_err_prefix(err, "not a c2flow model");
        return -1;
    }
    BoosterHandle h;
    if (XGBoosterCreate(NULL, 0, &h) != 0) return xgb_fail(err);
    const char **names;
    bst_ulong n;
    if (XGBoosterLoadModelFromBuffer(h, buf, len) != 0) {
        xgb_fail(err);
        c2_err_prefix(err, "not an XGBoost model");
    } else if (c2flow_model_check(h, &names, &n, err) == 0) {
        if ((*out = model_new(h, names, n))) return 0;
        c2_fail(err, "out of memory");
    }
    XGBoosterFree(h);
    return -1;
}

int model_load_buffer(const uint8_t *buf, size_t len, c2_model **out, c2_err *err)
{
    *out = NULL;
    if (dynlib_need(DYNLIB_XGBOOST, err) != 0) return -1;
    xgb_quiet();
    if (len > MODEL_FILE_MAX) return c2_fail(err, "a model larger than 1 GiB");
    return booster_from_buffer(buf, len, out, err);
}

int model_load(const char *path, c2_model **out, c2_err *err)
{
    *out = NULL;
    uint8_t *buf;
    size_t len;
    int rc = c2_file_read(path, (size_t)MODEL_FILE_MAX, &buf, &len, err);
    if (rc < 0) return -1;
    if (rc == 0) return c2_fail(err, "%s: no such model file", path);
    rc = model_load_buffer(buf, len, out, err);
    free(buf);
    if (rc != 0) c2_err_prefix(err, "%s", path);
    return rc;
}
