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

/* How learn_merge weighs the two methods' scores (docs/train.md, *Both
 * methods*). */
typedef struct learn_merge_rule {
    double min_score;            /* rows scoring at least this are listed */
    double veto_score;           /* where the model scored a server under this,
                                    its score stands (0: never) ... */
    double hub_share;            /* ... unless graph mining found the server a
                                    hub of its group: mostly infected clients,
                                    at least this share as many as the group's
                                    most reached such server (0: no hubs) */
    uint32_t hub_min_infected;   /* and at least this many infected clients */
    const c2list *oneoff;        /* servers graph mining found one-off (a report
                                    or download server, detect.h): never listed,
                                    whatever the model's score (NULL: none) */
} learn_merge_rule;

/* What the rule did, for the operator's log. */
typedef struct learn_merge_report {
    size_t vetoed;               /* servers graph mining alone would list (its
                                    score >= min_score) where the model's lower
                                    score stood */
    size_t hubs;                 /* ... and where it did not, being a hub */
    size_t oneoff;               /* servers the model would list (its score >=
                                    min_score) left out as one-off */
} learn_merge_report;

/* One list from the two methods' scored servers (docs/train.md): graph
 * holds every candidate graph mining scored, ml every server the model
 * scored (a row on some day).  A server both scored gets method "both" and
 * 100 x (1 - (1 - g/100) x (1 - m/100)), so that two weak findings add
 * up, unless the model vetoes it (rule): then the model's score stands,
 * since it has seen the server's traffic and graph mining only its
 * clients.  A server only one scored keeps that method's score and name.
 * Rows scoring at least rule->min_score are added to out, except on the
 * rule's one-off servers; rep (NULL: none) says how often the veto, the
 * hubs and the one-off servers decided. */
int learn_merge(const c2list *graph, const c2list *ml, const learn_merge_rule *rule,
                c2list *out, learn_merge_report *rep, c2_err *err);

#endif
