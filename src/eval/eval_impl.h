/*
 * eval_impl.h: what the files of src/eval/ share and nobody else needs.
 */
#ifndef C2FLOW_EVAL_IMPL_H
#define C2FLOW_EVAL_IMPL_H

#include "eval/eval.h"

/* The whole of f, read until its end; more than about max bytes is an
 * error ("larger than N MiB").  On success *buf (caller frees) holds *len
 * bytes. */
int eval_slurp(FILE *f, size_t max, char **buf, size_t *len, c2_err *err);

#endif
