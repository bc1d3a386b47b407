/*
 * learn.c: training on labelled feature rows, listing by a model, and the
 * merge of the two methods (learn.h, docs/train.md).
 *
 * Known C2 servers are a few hundred rows among millions, so training
 * takes every positive row and a uniform sample of the negatives (chosen
 * by a hash of server and day: the same rows in every run), each sampled
 * negative weighted by the inverse of the sampling rate so the classes
 * keep their true proportion.  By default a positive row weighs 1 too, so
 * the model's output is a probability, and a list's minimum score of 50
 * means "more likely a C2 server than not".  Balancing the classes
 * (positive weight = negatives / positives, some thousands here) finds
 * more servers at a given score but inflates every score by the same odds
 * ratio: at 50 it listed a bot's single sampled report or download as C2
 * (docs/train.md compares the two).
 */
#include "learn/learn.h"

#include <stdlib.h>
#include <string.h>

void learn_options_default(learn_options *o)
{
    model_params_default(&o->model);
    o->model.scale_pos_weight = 1;      /* the classes as they are: see the head */
    o->max_negatives = 1000000;
}

/* The [train] keys: where each goes in learn_options, and its range. */
#define OPT(k, member, t, lo, hi) C2_FIELD(learn_options, k, member, t, lo, hi)
static const c2_field options[] = {
    OPT(rounds, model.rounds, 'u', 1, 100000),
    OPT(max_depth, model.max_depth, 'u', 1, 20),
    OPT(eta, model.eta, 'd', 0.001, 1),
    OPT(max_negatives, max_negatives, 'U', 0, 1e12),
    OPT(positive_weight, model.scale_pos_weight, 'd', 0, 1e9),
    OPT(seed, model.seed, 'U', 0, 1e15),
};

int learn_options_set(learn_options *o, const char *key, const char *value, c2_err *err)
{
    return c2_field_set(o, options, sizeof options / sizeof options[0], key, value, NULL, err);
}

static uint64_t row_hash(const feature_row *r)
{
    uint64_t h = c2_mix64(c2_get64(r->ip.b) ^ (uint64_t)r->day);
    h = c2_mix64(h ^ c2_get64(r->ip.b + 8));
    return c2_mix64(h ^ ((uint64_t)r->port << 8 | r->proto));
}

/* Each row's label, counted into rep (rows are ordered by server). */
static uint8_t *label_rows(const feature_table *t, const feature_labels *labels,
                           learn_report *rep)
{
    uint8_t *lab = malloc(t->n ? t->n : 1);
    if (!lab) return NULL;
    int server_counted = 0;
    for (size_t i = 0; i < t->n; i++) {
        if (i == 0 || feature_row_server_cmp(&t->row[i - 1], &t->row[i])) server_counted = 0;
        lab[i] = (uint8_t)feature_labels_of(labels, &t->row[i]);
        rep->positive += lab[i] == LABEL_POSITIVE;
        rep->unknown += lab[i] == LABEL_UNKNOWN;
        rep->negative += lab[i] == LABEL_NEGATIVE;
        if (lab[i] == LABEL_POSITIVE && !server_counted) {
            rep->servers_positive++;
            server_counted = 1;
        }
    }
    return lab;
}

typedef struct matrix {
    float *x, *y, *w;
    size_t rows;
} matrix;

static void matrix_free(matrix *m)
{
    free(m->x);
    free(m->y);
    free(m->w);
}

/* The rows trained on: positives, and negatives kept at rate keep. */
static int build_matrix(const feature_table *t, const uint8_t *lab, double keep,
                        matrix *m, learn_report *rep, c2_err *err)
{
    uint64_t cut = keep >= 1 ? UINT64_MAX : (uint64_t)(keep * 18446744073709551615.0);
    size_t n = 0;
    for (size_t i = 0; i < t->n; i++)
        n += lab[i] == LABEL_POSITIVE || (lab[i] == LABEL_NEGATIVE && row_hash(&t->row[i]) <= cut);
    m->x = malloc((n ? n : 1) * FEATURE_COUNT * sizeof *m->x);
    m->y = malloc((n ? n : 1) * sizeof *m->y);
    m->w = malloc((n ? n : 1) * sizeof *m->w);
    if (!m->x || !m->y || !m->w) return c2_fail(err, "out of memory");
    for (size_t i = 0; i < t->n; i++) {
        int pos = lab[i] == LABEL_POSITIVE;
        if (!pos && (lab[i] != LABEL_NEGATIVE || row_hash(&t->row[i]) > cut)) continue;
        memcpy(m->x + m->rows * FEATURE_COUNT, t->row[i].v, sizeof t->row[i].v);
        m->y[m->rows] = (float)pos;
        m->w[m->rows] = pos ? 1.0f : (float)(1.0 / keep);
        rep->negative_used += !pos;
        m->rows++;
    }
    return 0;
}

int learn_train(const feature_table *t, const feature_labels *labels, const learn_options *o,
                c2_model **out, learn_report *rep, c2_err *err)
{
    memset(rep, 0, sizeof *rep);
    *out = NULL;
    rep->rows = t->n;
    uint8_t *lab = label_rows(t, labels, rep);
    if (!lab) return c2_fail(err, "out of memory");
    if (!rep->positive || !rep->negative) {
        free(lab);
        return c2_fail(err, "%s: %llu rows, %llu of them on a day a label is valid for, "
                       "%llu negative; training needs both",
                       !rep->positive ? "no known C2 server in the window's rows"
                                      : "no row that is not a known C2 server",
                       (unsigned long long)t->n, (unsigned long long)rep->positive,
                       (unsigned long long)rep->negative);
    }
    double keep = o->max_negatives && rep->negative > o->max_negatives
                      ? (double)o->max_negatives / (double)rep->negative : 1.0;
    matrix m = {0};
    int rc = build_matrix(t, lab, keep, &m, rep, err);
    free(lab);
    if (rc == 0)
        rc = model_train(m.x, m.rows, FEATURE_COUNT, m.y, m.w, feature_names(), &o->model,
                         out, err);
    matrix_free(&m);
    return rc;
}

int learn_predict(const c2_model *m, const feature_table *t, float *prob, c2_err *err)
{
    size_t n = model_feature_count(m);
    for (size_t i = 0; i < n || i < FEATURE_COUNT; i++) {
        const char *have = i < n ? model_feature_name(m, i) : "(none)";
        const char *want = i < FEATURE_COUNT ? feature_name(i) : "(none)";
        if (strcmp(have, want) != 0)
            return c2_fail(err, "the model was trained on other features (its feature %zu is "
                           "'%s', this c2flow computes '%s'): train it again", i + 1, have,
                           want);
    }
    if (!t->n) return 0;
    float *x = malloc(t->n * FEATURE_COUNT * sizeof *x);
    if (!x) return c2_fail(err, "out of memory");
    for (size_t i = 0; i < t->n; i++)
        memcpy(x + i * FEATURE_COUNT, t->row[i].v, sizeof t->row[i].v);
    int rc = model_predict(m, x, t->n, FEATURE_COUNT, prob, err);
    free(x);
    return rc;
}

/* ---- listing ---- */

static void server_entry(const feature_table *t, size_t from, size_t to, const float *prob,
                         double min_score, c2_entry *e)
{
    c2_entry_init(e);
    const feature_row *r = &t->row[from];
    e->ip = r->ip;
    e->port = r->port;
    e->proto = r->proto;
    double best = 0;
    for (size_t i = from; i < to; i++) {
        const feature_row *x = &t->row[i];
        double s = 100.0 * prob[i];
        if (s > best) best = s;
        if (s >= min_score && !e->first_seen) e->first_seen = x->first;
        if (x->last > e->last_seen) e->last_seen = x->last;
        if (x->clients > e->clients) e->clients = x->clients;
        if (x->infected > e->infected_clients) e->infected_clients = x->infected;
    }
    if (!e->first_seen) e->first_seen = r->first;
    if (e->last_seen < e->first_seen) e->last_seen = e->first_seen;
    e->score = best > 100 ? 100 : best;
    e->days_seen = (uint32_t)(to - from);
    strcpy(e->method, "ml");
}

int learn_list(const feature_table *t, const float *prob, const ipset *allow,
               double min_score, c2list *out, c2_err *err)
{
    size_t from = 0;
    for (size_t i = 1; i <= t->n; i++) {
        if (i < t->n && !feature_row_server_cmp(&t->row[i - 1], &t->row[i])) continue;
        c2_entry e;
        server_entry(t, from, i, prob, min_score, &e);
        from = i;
        if (e.score < min_score || (allow && ipset_contains(allow, &e.ip))) continue;
        if (c2list_add(out, &e, err) < 0) return -1;
    }
    return 0;
}

/* ---- the two methods together ---- */

/* Why hubs escape the veto: the model misses some C2 servers whose bots it
 * has seen (a family's traffic unlike the labelled servers'), and graph
 * mining lists, beside a botnet's C2 servers, its report and download
 * servers, reached by the same infected hosts.  Every bot keeps talking to
 * its C2 server, while only some of them report or download at some time,
 * so in a sample the C2 server has several times more infected clients
 * than the others: the servers of a group that are mostly reached by
 * infected hosts, and by a good share (hub_share) as many of them as the
 * most reached such server, are C2 servers, whatever the model says.
 * Servers mostly reached by healthy hosts (popular sites some bots visit
 * too) are no hubs and set no reach.  A share says little of a handful of
 * clients (in a group of three or four infected hosts each of its servers
 * is "reached by all"), so a hub also needs hub_min_infected of them. */
typedef struct group_reach {
    uint32_t group;
    uint32_t infected;           /* the most infected clients of a mostly
                                    infected candidate of the group */
} group_reach;

static int mostly_infected(const c2_entry *e)
{
    return e->infected_clients > 0 && 2 * (uint64_t)e->infected_clients >= e->clients;
}

static int reach_cmp(const void *a, const void *b)
{
    const group_reach *x = a, *y = b;
    return x->group < y->group ? -1 : x->group > y->group;
}

/* Each group's reach, sorted by group; *n of them.  NULL when out of memory. */
static group_reach *group_reaches(const c2list *graph, size_t *n)
{
    size_t count = c2list_count(graph), k = 0;
    group_reach *r = malloc((count ? count : 1) * sizeof *r);
    if (!r) return NULL;
    for (size_t i = 0; i < count; i++) {
        const c2_entry *e = c2list_get(graph, i);
        if (e->group && mostly_infected(e))
            r[k++] = (group_reach){e->group, e->infected_clients};
    }
    qsort(r, k, sizeof *r, reach_cmp);
    size_t out = 0;
    for (size_t i = 0; i < k; i++) {
        if (out && r[out - 1].group == r[i].group) {
            if (r[i].infected > r[out - 1].infected) r[out - 1].infected = r[i].infected;
        } else {
            r[out++] = r[i];
        }
    }
    *n = out;
    return r;
}

static int is_hub(const c2_entry *g, const group_reach *r, size_t n,
                  const learn_merge_rule *rule)
{
    if (rule->hub_share <= 0 || !g->group || !mostly_infected(g) ||
        g->infected_clients < rule->hub_min_infected)
        return 0;
    group_reach key = {g->group, 0};
    const group_reach *found = bsearch(&key, r, n, sizeof *r, reach_cmp);
    return found && g->infected_clients >= rule->hub_share * found->infected;
}

static int add_merged(const c2_entry *g, const c2_entry *m, int hub,
                      const learn_merge_rule *rule, c2list *out, learn_merge_report *rep,
                      c2_err *err)
{
    c2_entry e = g ? *g : *m;
    if (g && m) {
        int doubted = m->score < rule->veto_score && g->score >= rule->min_score;
        rep->vetoed += doubted && !hub;
        rep->hubs += doubted && hub;
        e.score = m->score < rule->veto_score && !hub
                      ? m->score
                      : 100.0 * (1.0 - (1.0 - g->score / 100.0) * (1.0 - m->score / 100.0));
        if (m->first_seen && m->first_seen < e.first_seen) e.first_seen = m->first_seen;
        if (m->last_seen > e.last_seen) e.last_seen = m->last_seen;
        if (m->clients > e.clients) e.clients = m->clients;
        if (m->infected_clients > e.infected_clients) e.infected_clients = m->infected_clients;
        if (m->days_seen > e.days_seen) e.days_seen = m->days_seen;
        strcpy(e.method, "both");
    }
    if (e.score > 100) e.score = 100;
    if (e.score < rule->min_score) return 0;
    return c2list_add(out, &e, err);
}

int learn_merge(const c2list *graph, const c2list *ml, const learn_merge_rule *rule,
                c2list *out, learn_merge_report *rep, c2_err *err)
{
    learn_merge_report none;
    if (!rep) rep = &none;
    *rep = (learn_merge_report){0, 0, 0};
    size_t n_reach = 0;
    group_reach *reach = group_reaches(graph, &n_reach);
    if (!reach) return c2_fail(err, "out of memory");
    int rc = 0;
    for (size_t i = 0; i < c2list_count(graph) && rc == 0; i++) {
        const c2_entry *g = c2list_get(graph, i);
        const c2_entry *m = c2list_find(ml, &g->ip, g->port, g->proto);
        rc = add_merged(g, m, is_hub(g, reach, n_reach, rule), rule, out, rep, err);
    }
    free(reach);
    for (size_t i = 0; i < c2list_count(ml) && rc == 0; i++) {
        const c2_entry *m = c2list_get(ml, i);
        if (c2list_find(graph, &m->ip, m->port, m->proto)) continue;
        if (rule->oneoff && c2list_find(rule->oneoff, &m->ip, m->port, m->proto)) {
            rep->oneoff += m->score >= rule->min_score;
            continue;
        }
        rc = add_merged(NULL, m, 0, rule, out, rep, err);
    }
    return rc < 0 ? -1 : 0;
}
