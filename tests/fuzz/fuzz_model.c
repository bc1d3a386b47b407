/*
 * fuzz_model.c: libFuzzer target for model files (src/model/model.c),
 * which `c2flow detect --model FILE` reads: XGBoost's JSON model, then
 * c2flow's checks of its attribute and feature names.
 *
 * Any bytes must be refused with a one-line message, or load as a model
 * whose feature names are valid and unique, and which gives every row (all
 * values missing, all zero, all large) a probability in [0, 1].
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "model/model.h"

static void check_message(const char *msg)
{
    if (!*msg) abort();
    for (const char *p = msg; *p; p++)
        if (*p == '\n') abort();
}

static void check_model(const c2_model *m)
{
    size_t n = model_feature_count(m);
    if (n == 0 || model_feature_name(m, n)) abort();
    for (size_t i = 0; i < n; i++) {
        const char *a = model_feature_name(m, i);
        if (!a || !*a || strlen(a) >= MODEL_NAME_MAX) abort();
        for (size_t j = 0; j < i; j++)
            if (!strcmp(a, model_feature_name(m, j))) abort();
    }
    if (n > 4096) return;                  /* rows of that many values: enough checked */
    float *x = malloc(3 * n * sizeof *x), prob[3];
    if (!x) return;
    for (size_t i = 0; i < n; i++) {
        x[i] = NAN;
        x[n + i] = 0;
        x[2 * n + i] = 1e30f;
    }
    c2_err err;
    if (model_predict(m, x, 3, n, prob, &err) == 0) {
        for (int r = 0; r < 3; r++)
            if (!(prob[r] >= 0 && prob[r] <= 1)) abort();
    } else {
        check_message(err.msg);
    }
    free(x);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    c2_model *m;
    c2_err err;
    if (model_load_buffer(data, size, &m, &err) != 0) {
        if (m) abort();
        check_message(err.msg);
        return 0;
    }
    check_model(m);
    model_free(m);
    return 0;
}
