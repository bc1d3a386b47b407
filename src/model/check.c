/*
 * check.c: the shape of a model file, checked before XGBoost reads it
 * (model_impl.h).
 *
 * XGBoost 1.7 trusts the trees of a JSON model: a child index past the
 * tree's end, a split on a feature the model does not have, an output
 * group that does not exist, or two trees of one id (a tree is put where
 * its id says, so another place stays empty) is followed blindly when
 * predicting, and a crafted file crashes `c2flow detect` (fuzz_model
 * found the first within its seeds, the others in 7,000 and 145,000
 * runs).  So every tree is checked here: its id its place, its arrays as
 * long as its node count, each node a leaf (no children) or a split on a
 * feature the model has into two later, consecutive nodes whose parent it
 * is (the predictor takes the right child to be the left one's next),
 * finite thresholds and leaf values, numerical splits only, one output
 * group; and no key may come twice.  That is exactly a tree as XGBoost
 * writes one; whatever else a file holds, XGBoost itself parses and
 * refuses.
 */
#include "model/model_impl.h"

#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define ROOT_PARENT 2147483647   /* parents[0] as XGBoost writes it */
#define MAX_NODES (1 << 24)

/* An integer XGBoost writes as a string ("12"), in [lo, hi]. */
static int int_string(const json_t *o, const char *key, long lo, long hi, long *out)
{
    uint64_t v;
    if (c2_u64_parse(json_string_value(json_object_get(o, key)), (uint64_t)hi, &v) != 0 ||
        v < (uint64_t)lo)
        return -1;
    *out = (long)v;
    return 0;
}

/* An array of exactly n elements. */
static const json_t *array_of(const json_t *o, const char *key, size_t n)
{
    const json_t *a = json_object_get(o, key);
    return json_is_array(a) && json_array_size(a) == n ? a : NULL;
}

static int int_at(const json_t *a, size_t i, long long *v)
{
    const json_t *e = json_array_get(a, i);
    if (!json_is_integer(e)) return -1;
    *v = json_integer_value(e);
    return 0;
}

static int finite_at(const json_t *a, size_t i)
{
    const json_t *e = json_array_get(a, i);
    return json_is_number(e) && isfinite(json_number_value(e));
}

/* Node i of a tree of n nodes: a leaf, or a split into two later nodes. */
static int node_ok(const json_t *left, const json_t *right, const json_t *parent,
                   const json_t *split, size_t i, size_t n, long nfeat)
{
    long long l, r, f, p;
    if (int_at(left, i, &l) || int_at(right, i, &r) || int_at(split, i, &f) ||
        int_at(parent, i, &p))
        return -1;
    if (i == 0 ? p != ROOT_PARENT : p < 0 || (size_t)p >= i) return -1;
    if (f < 0 || f >= nfeat) return -1;
    if (l == -1 && r == -1) return 0;
    /* XGBoost's predictor goes to left + 1 for the right child: it makes
     * children in pairs, and never reads right_children */
    if (l <= (long long)i || r != l + 1 || (size_t)r >= n) return -1;
    long long pl, pr;
    if (int_at(parent, (size_t)l, &pl) || int_at(parent, (size_t)r, &pr) ||
        pl != (long long)i || pr != (long long)i)
        return -1;
    return 0;
}

static int tree_ok(const json_t *t, size_t id, long nfeat, c2_err *err)
{
    long n;
    const json_t *param = json_object_get(t, "tree_param");
    const json_t *tid = json_object_get(t, "id");
    if (!json_is_integer(tid) || json_integer_value(tid) != (json_int_t)id)
        return c2_fail(err, "a tree whose id is not its place");      /* XGBoost puts it there */
    if (!json_is_object(param) || int_string(param, "num_nodes", 1, MAX_NODES, &n) != 0)
        return c2_fail(err, "a tree without a node count of 1 to %d", MAX_NODES);
    const json_t *left = array_of(t, "left_children", (size_t)n),
                 *right = array_of(t, "right_children", (size_t)n),
                 *parent = array_of(t, "parents", (size_t)n),
                 *split = array_of(t, "split_indices", (size_t)n),
                 *cond = array_of(t, "split_conditions", (size_t)n),
                 *deflt = array_of(t, "default_left", (size_t)n),
                 *weight = array_of(t, "base_weights", (size_t)n),
                 *type = array_of(t, "split_type", (size_t)n),
                 *cats = json_object_get(t, "categories_nodes");
    if (!left || !right || !parent || !split || !cond || !deflt || !weight || !type)
        return c2_fail(err, "a tree whose node arrays are not %ld long", n);
    if (!json_is_array(cats) || json_array_size(cats) != 0)
        return c2_fail(err, "a tree with categorical splits (c2flow trains none)");
    for (size_t i = 0; i < (size_t)n; i++) {
        long long ty;
        if (node_ok(left, right, parent, split, i, (size_t)n, nfeat) != 0)
            return c2_fail(err, "a tree whose node %zu is not a leaf or a split into two "
                           "later, consecutive nodes on one of the %ld features", i, nfeat);
        if (!finite_at(cond, i) || !finite_at(weight, i) || int_at(type, i, &ty) || ty != 0 ||
            !json_is_integer(json_array_get(deflt, i)))
            return c2_fail(err, "a tree whose node %zu has a value that is not a finite "
                           "number or a split that is not numerical", i);
    }
    return 0;
}

static int learner_ok(const json_t *learner, c2_err *err)
{
    const json_t *mp = json_object_get(learner, "learner_model_param"),
                 *gb = json_object_get(learner, "gradient_booster"),
                 *obj = json_object_get(learner, "objective");
    long nfeat, ntrees, nclass;
    if (!json_is_object(mp) || int_string(mp, "num_feature", 1, 1 << 20, &nfeat) != 0 ||
        int_string(mp, "num_class", 0, 0, &nclass) != 0)
        return c2_fail(err, "no feature count, or more than one output class");
    const char *oname = json_string_value(json_object_get(obj, "name"));
    if (!oname || strcmp(oname, "binary:logistic") != 0)
        return c2_fail(err, "not a binary:logistic model");
    const char *gname = json_string_value(json_object_get(gb, "name"));
    if (!gname || strcmp(gname, "gbtree") != 0) return c2_fail(err, "not a gbtree model");
    const json_t *model = json_object_get(gb, "model");
    const json_t *gp = json_object_get(model, "gbtree_model_param");
    if (!json_is_object(gp) || int_string(gp, "num_trees", 0, 1 << 20, &ntrees) != 0)
        return c2_fail(err, "no tree count");
    long par;
    if (int_string(gp, "num_parallel_tree", 1, 1, &par) != 0)
        return c2_fail(err, "not one tree per round");
    const json_t *trees = array_of(model, "trees", (size_t)ntrees),
                 *info = array_of(model, "tree_info", (size_t)ntrees);
    if (!trees || !info) return c2_fail(err, "not %ld trees and tree groups", ntrees);
    for (size_t i = 0; i < (size_t)ntrees; i++) {
        long long g;
        if (int_at(info, i, &g) || g != 0) return c2_fail(err, "tree %zu of another output", i);
        if (tree_ok(json_array_get(trees, i), i, nfeat, err) != 0) {
            c2_err_prefix(err, "tree %zu", i);
            return -1;
        }
    }
    return 0;
}

int model_json_check(const uint8_t *buf, size_t len, c2_err *err)
{
    json_error_t je;
    /* a key given twice might be read one way here and the other way by
     * XGBoost: what is checked must be what it reads */
    json_t *root = json_loadb((const char *)buf, len, JSON_REJECT_DUPLICATES, &je);
    if (!root) return c2_fail(err, "not JSON (line %d: %.80s)", je.line, je.text);
    const json_t *learner = json_object_get(root, "learner");
    int rc = json_is_object(learner) ? learner_ok(learner, err)
                                     : c2_fail(err, "no \"learner\" object");
    json_decref(root);
    return rc;
}
