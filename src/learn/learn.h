/*
 * learn: C2 detection method 2 (docs/train.md): a model learnt from
 * labelled feature rows (src/features/) with src/model/, and applied to
 * the rows of another window to list the servers it recognises; and the
 * rule that merges the two methods' lists into one.
 *
 * In: feature tables, labels, a model.  Out: a model, or a c2list whose
 * rows hold server keys and counts only.  No store, no files.
 */
#ifndef C2FLOW_LEARN_H
#define C2FLOW_LEARN_H

#include <stddef.h>
#include <stdint.h>

#include "c2list/c2list.h"
#include "features/features.h"
#include "ipset/ipset.h"
#include "model/model.h"
#include "util/util.h"

typedef struct learn_options {
    model_params model;          /* see model.h; defaults from model_params_default,
                                    but scale_pos_weight 1 (the classes as they
                                    are, so scores are probabilities); 0
                                    balances them */
    uint64_t     max_negatives;  /* negative rows trained on, at most (a uniform
                                    sample, weighted back up); 0 = all */
} learn_options;

void learn_options_default(learn_options *o);
/* Set one option by its c2flow.conf [train] key: rounds, max_depth, eta,
 * max_negatives, positive_weight, seed ("rounds", "300"); -1 with err for
 * an unknown key or a value out of its range, o unchanged. */
int  learn_options_set(learn_options *o, const char *key, const char *value, c2_err *err);

typedef struct learn_report {
    uint64_t rows;               /* feature rows given */
    uint64_t positive;           /* rows a label is valid on */
    uint64_t unknown;            /* rows of labelled servers on other days: left out */
    uint64_t negative;           /* the rest */
    uint64_t negative_used;      /* of them, trained on */
    uint64_t servers_positive;   /* distinct servers with a positive row */
} learn_report;

/* Train on t with labels.  Fails when no row is positive or none negative. */
int learn_train(const feature_table *t, const feature_labels *labels,
                const learn_options *o, c2_model **out, learn_report *rep, c2_err *err);

/* The model's probability for every row of t (prob[t->n]).  Fails when the
 * model was trained on other features than this c2flow computes. */
int learn_predict(const c2_model *m, const feature_table *t, float *prob, c2_err *err);

/* Servers of t scored by the model: per server, 100 x its highest daily
 * probability.  Every server scoring at least min_score and not in allow
 * (NULL: none) is added to out with method "ml"; first_seen is the first
 * record of its first day at or above min_score. */
int learn_list(const feature_table *t, const float *prob, const ipset *allow,
               double min_score, c2list *out, c2_err *err);

/* One list from the two methods' scored servers (docs/train.md): graph
 * holds every candidate graph mining scored, ml every server the model
 * scored (a row on some day).  A server both scored gets method "both" and
 * 100 x (1 - (1 - g/100) x (1 - m/100)), so that two weak findings add
 * up, unless the model scored it under veto_score: then the model's score
 * stands, since it has seen the server's traffic and graph mining only its
 * clients (0: never).  A server only one scored keeps that method's score
 * and name.  Rows scoring at least min_score are added to out. */
int learn_merge(const c2list *graph, const c2list *ml, double min_score, double veto_score,
                c2list *out, c2_err *err);

#endif
