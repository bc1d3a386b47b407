/*
 * dynlib/xgboost.h: <xgboost/c_api.h> through dynlib (see dynlib.h), for the modules
 * that use it.  Include this instead of <xgboost/c_api.h>: it declares the table
 * of the functions c2flow calls and redirects their names to it.  A
 * function not listed here is a link error, which is how a new one is
 * noticed: add it to the list and to the redirections.
 */
#ifndef C2FLOW_DYNLIB_XGBOOST_H
#define C2FLOW_DYNLIB_XGBOOST_H

#include <xgboost/c_api.h>

#include "dynlib/dynlib.h"

#define DYNLIB_XGBOOST_FUNCTIONS(X) \
    X(XGBGetLastError) \
    X(XGBRegisterLogCallback) \
    X(XGBSetGlobalConfig) \
    X(XGBoosterCreate) \
    X(XGBoosterFeatureScore) \
    X(XGBoosterFree) \
    X(XGBoosterGetAttr) \
    X(XGBoosterGetNumFeature) \
    X(XGBoosterGetStrFeatureInfo) \
    X(XGBoosterLoadModelFromBuffer) \
    X(XGBoosterPredictFromDense) \
    X(XGBoosterSaveModelToBuffer) \
    X(XGBoosterSetAttr) \
    X(XGBoosterSetParam) \
    X(XGBoosterSetStrFeatureInfo) \
    X(XGBoosterUpdateOneIter) \
    X(XGDMatrixCreateFromMat) \
    X(XGDMatrixFree) \
    X(XGDMatrixSetFloatInfo)

typedef struct dynlib_xgboost_api { DYNLIB_XGBOOST_FUNCTIONS(DYNLIB_FIELD) } dynlib_xgboost_api;

#ifndef DYNLIB_NO_REDIRECT
#define DYNLIB_XGBOOST(name) DYNLIB_CALL(dynlib_xgboost_api, DYNLIB_XGBOOST, name)
#define XGBGetLastError DYNLIB_XGBOOST(XGBGetLastError)
#define XGBRegisterLogCallback DYNLIB_XGBOOST(XGBRegisterLogCallback)
#define XGBSetGlobalConfig DYNLIB_XGBOOST(XGBSetGlobalConfig)
#define XGBoosterCreate DYNLIB_XGBOOST(XGBoosterCreate)
#define XGBoosterFeatureScore DYNLIB_XGBOOST(XGBoosterFeatureScore)
#define XGBoosterFree DYNLIB_XGBOOST(XGBoosterFree)
#define XGBoosterGetAttr DYNLIB_XGBOOST(XGBoosterGetAttr)
#define XGBoosterGetNumFeature DYNLIB_XGBOOST(XGBoosterGetNumFeature)
#define XGBoosterGetStrFeatureInfo DYNLIB_XGBOOST(XGBoosterGetStrFeatureInfo)
#define XGBoosterLoadModelFromBuffer DYNLIB_XGBOOST(XGBoosterLoadModelFromBuffer)
#define XGBoosterPredictFromDense DYNLIB_XGBOOST(XGBoosterPredictFromDense)
#define XGBoosterSaveModelToBuffer DYNLIB_XGBOOST(XGBoosterSaveModelToBuffer)
#define XGBoosterSetAttr DYNLIB_XGBOOST(XGBoosterSetAttr)
#define XGBoosterSetParam DYNLIB_XGBOOST(XGBoosterSetParam)
#define XGBoosterSetStrFeatureInfo DYNLIB_XGBOOST(XGBoosterSetStrFeatureInfo)
#define XGBoosterUpdateOneIter DYNLIB_XGBOOST(XGBoosterUpdateOneIter)
#define XGDMatrixCreateFromMat DYNLIB_XGBOOST(XGDMatrixCreateFromMat)
#define XGDMatrixFree DYNLIB_XGBOOST(XGDMatrixFree)
#define XGDMatrixSetFloatInfo DYNLIB_XGBOOST(XGDMatrixSetFloatInfo)
#endif

#endif
