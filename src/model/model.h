/*
 * model: a binary classifier over named numeric features: gradient-boosted
 * trees (XGBoost, through its C API).  Detection methods train one on
 * labelled feature rows and ask it for P(class 1) of new rows; this module
 * hides XGBoost behind a matrix-in, probabilities-out interface.
 *
 * Owns the model file format: XGBoost's JSON model (what its save_model
 * writes, loadable by XGBoost itself) with the feature names stored in it
 * (learner.feature_names) and the attribute "c2flow_model" = "1" (the
 * format version) in learner.attributes.  Files without both are refused.
 *
 * Training is binary:logistic, tree_method hist; the same data, params and
 * seed (and thread count) give the same model, bit for bit.  XGBoost never
 * prints: it is silenced on every thread that calls this module, and its
 * errors come back as "xgboost: ..." messages.
 *
 * Feature names are 1 to MODEL_NAME_MAX - 1 characters of [A-Za-z0-9_.:/-]
 * and unique (XGBoost forbids spaces, commas, brackets and "<" in them, and
 * importance is mapped back by name).
 *
 * Threads: one model may be read (predict, importance, save, names) from
 * one thread at a time; calls on different models may run in parallel.
 * XGBoost itself uses OpenMP threads inside each call (params.threads).
 */
#ifndef C2FLOW_MODEL_H
#define C2FLOW_MODEL_H

#include <stddef.h>
#include <stdint.h>

#include "util/util.h"

#define MODEL_FORMAT "1"                /* "c2flow_model" attribute value */
#define MODEL_NAME_MAX 128              /* feature name, NUL included */
#define MODEL_FILE_MAX (1ULL << 30)     /* larger files are refused */

typedef struct c2_model c2_model;

typedef struct model_params {
    uint32_t rounds;           /* boosting rounds (trees); 200 */
    uint32_t max_depth;        /* of each tree, >= 1; 5 */
    double   eta;              /* learning rate, > 0; 0.1 */
    double   min_child_weight; /* least hessian sum in a leaf; 1 */
    double   subsample;        /* share of rows per tree, (0,1]; 0.8 */
    double   colsample;        /* share of features per tree, (0,1]
                                  (colsample_bytree); 0.8 */
    double   scale_pos_weight; /* weight of the positive class; 0 = (sum of
                                  negative weights)/(sum of positive weights),
                                  which evens out class imbalance */
    unsigned threads;          /* OpenMP threads; 0 = XGBoost's default (all) */
    uint64_t seed;             /* row and feature sampling; 1 */
} model_params;

void model_params_default(model_params *p);

/* Train on a row-major matrix x[rows][cols] (NAN = missing value; an
 * infinity is refused, here and in model_predict) with label[rows] in
 * {0,1} and weight[rows] (NULL = all 1; weights finite and >= 0; rows of
 * weight 0 are dropped before training, so the model is the one trained
 * without them).  names[cols] are the feature names, copied into the
 * model.  p NULL = defaults.  Refuses (-1, err) 0 rows, 0 cols, labels
 * other than 0/1, bad weights, names, params or values, and no positive
 * or no negative row among the weighted rows.  All inputs are borrowed for
 * the call; caller frees *out with model_free (*out is NULL on failure). */
int model_train(const float *x, size_t rows, size_t cols, const float *label,
                const float *weight, const char *const *names,
                const model_params *p, c2_model **out, c2_err *err);
/* prob[rows] = P(class 1) for each row of x[rows][cols] (NAN = missing);
 * cols must equal model_feature_count.  rows 0 does nothing. */
int model_predict(const c2_model *m, const float *x, size_t rows, size_t cols,
                  float *prob, c2_err *err);
/* Save as XGBoost JSON, atomically (a temporary file in the same directory,
 * fsync, rename): a reader sees the old file or the new one. */
int model_save(const c2_model *m, const char *path, c2_err *err);
/* Load a model saved by model_save.  Refuses (-1, "PATH: ...") a missing
 * file, a file XGBoost cannot read, and an XGBoost model that is not a
 * c2flow model (no "c2flow_model" attribute, another format version, no or
 * bad feature names).  Caller frees *out with model_free. */
int model_load(const char *path, c2_model **out, c2_err *err);
/* The same from a file's bytes (untrusted: what XGBoost cannot read, or
 * reads as something else than a c2flow model, is refused). */
int model_load_buffer(const uint8_t *buf, size_t len, c2_model **out, c2_err *err);
/* OpenMP threads of later predict calls (0 = XGBoost's default); a loaded
 * model starts with the default. */
int model_set_threads(c2_model *m, unsigned threads, c2_err *err);

size_t      model_feature_count(const c2_model *m);
/* Name of feature i, or NULL when i >= count; borrowed until model_free. */
const char *model_feature_name(const c2_model *m, size_t i);
/* Importance of each feature, out[model_feature_count], in feature order:
 * type "gain" (average gain of its splits), "total_gain", "weight" (number
 * of splits), "cover" (average rows covered) or "total_cover".  Features
 * never used get 0. */
int model_importance(const c2_model *m, const char *type, double *out, c2_err *err);
void model_free(c2_model *m);

#endif
