/*
 * model_impl.h: inside the model module (model.c, check.c); nothing else
 * includes it.
 */
#ifndef C2FLOW_MODEL_IMPL_H
#define C2FLOW_MODEL_IMPL_H

#include "model/model.h"

/* 0 when buf (a model file's bytes) holds trees XGBoost can follow safely
 * (check.c says what is checked); -1 with a message otherwise. */
int model_json_check(const uint8_t *buf, size_t len, c2_err *err);

#endif
