/*
 * eval.c: the figures of docs/eval.md, from a truth and a list.
 *
 * Three sets meet here: the truth's C2 servers (each "counted" when alive
 * at some time in [start, at] and behind at least min_bots bots), the
 * truth's other malicious infrastructure, and the list rows "considered"
 * (first_seen unknown or <= at).  A considered row is a TP when its key is
 * a counted C2, "ignored" when it is a C2 that is not counted (so a list is
 * neither rewarded nor punished for servers outside the question asked),
 * "infra" when it is other malicious infrastructure, else an FP.  The same
 * reasoning runs once on keys (ip, port, proto) and once on addresses.
 *
 * A C2 that eval_options.exclude lists (known before, whatever the date)
 * is not counted either: its rows are "ignored", it is no FN, and every
 * figure below forgets it.  Rows count once per key: c2list keys are unique,
 * so a TP row is one detected C2.  The per-server count takes a minimum
 * score, so that the curve is the same counting at stricter cut-offs.
 *
 * Keys of the truth are sorted once and searched; the list's own index
 * (c2list_find) answers the other direction.  All work is O(n log n).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "eval/eval.h"

typedef struct scorer {
    const eval_truth   *t;
    const c2list       *list;
    const eval_options *opt;
    int64_t             from, at;       /* the question's span */
    uint8_t            *counted;        /* per truth C2 */
    const c2_entry    **row;            /* per truth C2: its considered row or NULL */
    const eval_c2     **c2_by_key;
    const eval_infra  **infra_by_key;
} scorer;

/* ---- keys ---- */

static int key3_cmp(const flow_addr *a, uint16_t ap, uint8_t ax,
                    const flow_addr *b, uint16_t bp, uint8_t bx)
{
    int c = memcmp(a->b, b->b, 16);
    if (c) return c;
    if (ap != bp) return ap < bp ? -1 : 1;
    return (int)ax - (int)bx;
}

static int c2_ptr_cmp(const void *a, const void *b)
{
    const eval_c2 *x = *(const eval_c2 *const *)a, *y = *(const eval_c2 *const *)b;
    return key3_cmp(&x->ip, x->port, x->proto, &y->ip, y->port, y->proto);
}

static int infra_ptr_cmp(const void *a, const void *b)
{
    const eval_infra *x = *(const eval_infra *const *)a, *y = *(const eval_infra *const *)b;
    return key3_cmp(&x->ip, x->port, x->proto, &y->ip, y->port, y->proto);
}

static const eval_c2 *find_c2(const scorer *s, const c2_entry *e)
{
    size_t lo = 0, hi = s->t->n_c2;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        const eval_c2 *c = s->c2_by_key[mid];
        int r = key3_cmp(&c->ip, c->port, c->proto, &e->ip, e->port, e->proto);
        if (r == 0) return c;
        if (r < 0) lo = mid + 1;
        else hi = mid;
    }
    return NULL;
}

static int find_infra(const scorer *s, const c2_entry *e)
{
    size_t lo = 0, hi = s->t->n_infra;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        const eval_infra *c = s->infra_by_key[mid];
        int r = key3_cmp(&c->ip, c->port, c->proto, &e->ip, e->port, e->proto);
        if (r == 0) return 1;
        if (r < 0) lo = mid + 1;
        else hi = mid;
    }
    return 0;
}

static int addr_cmp(const void *a, const void *b)
{
    return memcmp(a, b, sizeof(flow_addr));
}

/* Sort and drop repeats; the new count. */
static size_t addr_unique(flow_addr *v, size_t n)
{
    if (n == 0) return 0;
    qsort(v, n, sizeof *v, addr_cmp);
    size_t k = 1;
    for (size_t i = 1; i < n; i++)
        if (memcmp(&v[i], &v[k - 1], sizeof *v)) v[k++] = v[i];
    return k;
}

static int addr_in(const flow_addr *v, size_t n, const flow_addr *a)
{
    return bsearch(a, v, n, sizeof *v, addr_cmp) != NULL;
}

/* ---- counts ---- */

static double ratio(uint64_t num, uint64_t den)
{
    return den ? (double)num / (double)den : NAN;
}

static void fill_ratios(eval_counts *c)
{
    uint64_t listed = c->tp + c->infra + c->fp;
    c->precision = ratio(c->tp, listed);
    c->precision_infra = ratio(c->tp + c->infra, listed);
    c->recall = ratio(c->tp, c->tp + c->fn);
    double p = c->precision, r = c->recall;
    c->f1 = isnan(p) || isnan(r) ? NAN : p + r > 0 ? 2 * p * r / (p + r) : 0.0;
}

static int considered(const c2_entry *e, int64_t at)
{
    return e && (e->first_seen == 0 || e->first_seen <= at);
}

/* Alive at some time in [from, at] (an empty span counts nothing) and
 * behind enough bots: the question asked of this C2. */
static int in_question(const scorer *s, const eval_c2 *c)
{
    return s->at >= s->from && c->born <= s->at &&
           (c->died == EVAL_NEVER || c->died >= s->from) && c->bots >= s->opt->min_bots;
}

/* A server already known (the training labels of a time-split run), by any
 * date: finding it again proves nothing, so it is not counted. */
static int excluded(const scorer *s, const eval_c2 *c)
{
    return s->opt->exclude && intel_match(s->opt->exclude, &c->ip, c->port, c->proto, 0);
}

/* Which truth C2 are counted, and each one's considered row; the totals
 * that do not depend on a row's score. */
static void mark_counted(scorer *s, eval_result *r)
{
    const eval_truth *t = s->t;
    for (size_t i = 0; i < t->n_c2; i++) {
        const eval_c2 *c = &t->c2[i];
        int asked = in_question(s, c), known = asked && excluded(s, c);
        s->counted[i] = asked && !known;
        r->counted += s->counted[i];
        r->excluded += known;
        const c2_entry *e = c2list_find(s->list, &c->ip, c->port, c->proto);
        s->row[i] = considered(e, s->at) ? e : NULL;
    }
    for (size_t i = 0; i < c2list_count(s->list); i++)
        r->rows_after_at += !considered(c2list_get(s->list, i), s->at);
}

/* The per-server figures over the considered rows scored at least
 * min_score; *rows gets how many rows that is.  The main figures are the
 * case min_score 0 (a row's score is 0-100), the curve the others. */
static void count_servers(const scorer *s, double min_score, eval_counts *n, uint64_t *rows)
{
    const eval_truth *t = s->t;
    memset(n, 0, sizeof *n);
    *rows = 0;
    for (size_t i = 0; i < t->n_c2; i++) {
        if (!s->counted[i]) continue;
        if (s->row[i] && s->row[i]->score >= min_score) n->tp++;
        else n->fn++;
    }
    for (size_t i = 0; i < c2list_count(s->list); i++) {
        const c2_entry *e = c2list_get(s->list, i);
        if (!considered(e, s->at) || e->score < min_score) continue;
        (*rows)++;
        const eval_c2 *c = find_c2(s, e);
        if (c) n->ignored += !s->counted[c - t->c2];
        else if (find_infra(s, e)) n->infra++;
        else n->fp++;
    }
    fill_ratios(n);
}

/* The per-server figures: every considered row (scores are 0-100). */
static void score_servers(const scorer *s, eval_result *r)
{
    uint64_t rows;                      /* r->rows - r->rows_after_at */
    count_servers(s, 0.0, &r->server, &rows);
}

/* The server figures again at each minimum score 0, 5, ..., 100. */
static int score_curve(const scorer *s, eval_result *r)
{
    if (!s->opt->curve) return 0;
    r->curve = calloc(EVAL_CURVE_POINTS, sizeof *r->curve);
    if (!r->curve) return -1;
    for (size_t i = 0; i < EVAL_CURVE_POINTS; i++) {
        eval_curve_point *p = &r->curve[i];
        p->min_score = (unsigned)(i * EVAL_CURVE_STEP);
        count_servers(s, p->min_score, &p->server, &p->rows);
    }
    r->n_curve = EVAL_CURVE_POINTS;
    return 0;
}

typedef struct addr_sets {
    flow_addr *counted, *other_c2, *infra, *listed;
    size_t     n_counted, n_other_c2, n_infra, n_listed;
} addr_sets;

static int collect_addrs(const scorer *s, addr_sets *a)
{
    const eval_truth *t = s->t;
    size_t nl = c2list_count(s->list);
    a->counted = malloc((t->n_c2 + 1) * sizeof(flow_addr));
    a->other_c2 = malloc((t->n_c2 + 1) * sizeof(flow_addr));
    a->infra = malloc((t->n_infra + 1) * sizeof(flow_addr));
    a->listed = malloc((nl + 1) * sizeof(flow_addr));
    if (!a->counted || !a->other_c2 || !a->infra || !a->listed) return -1;
    for (size_t i = 0; i < t->n_c2; i++) {
        if (s->counted[i]) a->counted[a->n_counted++] = t->c2[i].ip;
        else a->other_c2[a->n_other_c2++] = t->c2[i].ip;
    }
    for (size_t i = 0; i < t->n_infra; i++) a->infra[a->n_infra++] = t->infra[i].ip;
    for (size_t i = 0; i < nl; i++)
        if (considered(c2list_get(s->list, i), s->at))
            a->listed[a->n_listed++] = c2list_get(s->list, i)->ip;
    a->n_counted = addr_unique(a->counted, a->n_counted);
    a->n_other_c2 = addr_unique(a->other_c2, a->n_other_c2);
    a->n_infra = addr_unique(a->infra, a->n_infra);
    a->n_listed = addr_unique(a->listed, a->n_listed);
    return 0;
}

static int score_addrs(const scorer *s, eval_result *r)
{
    addr_sets a = {0};
    int rc = collect_addrs(s, &a);
    for (size_t i = 0; rc == 0 && i < a.n_listed; i++) {
        const flow_addr *ip = &a.listed[i];
        if (addr_in(a.counted, a.n_counted, ip)) r->ip.tp++;
        else if (addr_in(a.other_c2, a.n_other_c2, ip)) r->ip.ignored++;
        else if (addr_in(a.infra, a.n_infra, ip)) r->ip.infra++;
        else r->ip.fp++;
    }
    r->ip.fn = a.n_counted - r->ip.tp;
    fill_ratios(&r->ip);
    free(a.counted);
    free(a.other_c2);
    free(a.infra);
    free(a.listed);
    return rc;
}

/* ---- groups ---- */

static void group_done(eval_group *g)
{
    g->recall = ratio(g->detected, g->c2);
}

static int family_cmp(const void *a, const void *b)
{
    return strcmp((*(const eval_c2 *const *)a)->family, (*(const eval_c2 *const *)b)->family);
}

static int score_families(const scorer *s, eval_result *r)
{
    const eval_truth *t = s->t;
    const eval_c2 **v = malloc((t->n_c2 + 1) * sizeof *v);
    r->families = calloc(t->n_c2 + 1, sizeof *r->families);
    if (!v || !r->families) {
        free(v);
        return -1;
    }
    size_t n = 0;
    for (size_t i = 0; i < t->n_c2; i++)
        if (s->counted[i]) v[n++] = &t->c2[i];
    qsort(v, n, sizeof *v, family_cmp);
    for (size_t i = 0; i < n; i++) {
        if (i == 0 || strcmp(v[i]->family, v[i - 1]->family))
            memcpy(r->families[r->n_families++].name, v[i]->family, EVAL_NAME_MAX);
        eval_group *g = &r->families[r->n_families - 1];
        g->c2++;
        g->detected += s->row[v[i] - t->c2] != NULL;
    }
    for (size_t i = 0; i < r->n_families; i++) group_done(&r->families[i]);
    free(v);
    return 0;
}

static const struct { const char *name; uint32_t lo, hi; } buckets[EVAL_BUCKETS] = {
    {"0", 0, 0}, {"1", 1, 1}, {"2-4", 2, 4}, {"5-19", 5, 19}, {"20-99", 20, 99},
    {"100+", 100, UINT32_MAX},
};

static void score_bots(const scorer *s, eval_result *r)
{
    for (int b = 0; b < EVAL_BUCKETS; b++) strcpy(r->bots[b].name, buckets[b].name);
    strcpy(r->bots20.name, "20+");
    for (size_t i = 0; i < s->t->n_c2; i++) {
        if (!s->counted[i]) continue;
        uint32_t bots = s->t->c2[i].bots;
        int found = s->row[i] != NULL, b = 0;
        while (bots > buckets[b].hi) b++;
        r->bots[b].c2++;
        r->bots[b].detected += found;
        if (bots >= 20) {
            r->bots20.c2++;
            r->bots20.detected += found;
        }
    }
    for (int b = 0; b < EVAL_BUCKETS; b++) group_done(&r->bots[b]);
    group_done(&r->bots20);
}

/* ---- time ---- */

static double days(int64_t ms)
{
    return (double)ms / (double)C2_MS_PER_DAY;
}

static int dbl_cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static int score_lead(const scorer *s, eval_result *r)
{
    const eval_truth *t = s->t;
    double *d = malloc((t->n_c2 + 1) * sizeof *d), sum = 0;
    if (!d) return -1;
    eval_lead *l = &r->lead;
    uint64_t w1 = 0, w2 = 0, w7 = 0;
    for (size_t i = 0; i < t->n_c2; i++) {
        const c2_entry *e = s->row[i];
        if (!s->counted[i] || !e) continue;
        if (t->c2[i].born < s->from) { l->born_before_start++; continue; }
        if (!e->first_seen) { l->first_seen_unknown++; continue; }
        double x = days(e->first_seen - t->c2[i].born);
        d[l->c2++] = x;
        sum += x;
        w1 += x <= 1.0;
        w2 += x <= 2.0;
        w7 += x <= 7.0;
    }
    qsort(d, l->c2, sizeof *d, dbl_cmp);
    size_t n = l->c2;
    l->median_days = n == 0 ? NAN : n % 2 ? d[n / 2] : (d[n / 2 - 1] + d[n / 2]) / 2;
    l->mean_days = n ? sum / (double)n : NAN;
    l->within_1d = ratio(w1, n);
    l->within_2d = ratio(w2, n);
    l->within_7d = ratio(w7, n);
    free(d);
    return 0;
}

/* When the feed lists c: a time, EVAL_NEVER, or 0 when listed undated. */
static int64_t feed_date(const scorer *s, const eval_c2 *c)
{
    if (!s->opt->feed) return c->feed_listed;
    const intel_entry *m = intel_match(s->opt->feed, &c->ip, c->port, c->proto, 0);
    return m ? m->first_seen : EVAL_NEVER;
}

static void score_feed(const scorer *s, eval_result *r)
{
    eval_feed *f = &r->feed;
    double sum = 0;
    f->from_file = s->opt->feed != NULL;
    for (size_t i = 0; i < s->t->n_c2; i++) {
        const c2_entry *e = s->row[i];
        if (!s->counted[i] || !e) continue;
        int64_t listed = feed_date(s, &s->t->c2[i]);
        if (listed == EVAL_NEVER) { f->never_listed++; continue; }
        if (listed == 0) { f->listed_undated++; continue; }
        if (!e->first_seen) { f->first_seen_unknown++; continue; }
        f->listed++;
        if (e->first_seen < listed) {
            f->earlier++;
            sum += days(listed - e->first_seen);
        }
    }
    f->share_earlier = ratio(f->earlier, f->listed);
    f->mean_days_earlier = f->earlier ? sum / (double)f->earlier : NAN;
}

/* ---- the run ---- */

static int sort_keys(scorer *s)
{
    const eval_truth *t = s->t;
    s->counted = calloc(t->n_c2 + 1, 1);
    s->row = calloc(t->n_c2 + 1, sizeof *s->row);
    s->c2_by_key = malloc((t->n_c2 + 1) * sizeof *s->c2_by_key);
    s->infra_by_key = malloc((t->n_infra + 1) * sizeof *s->infra_by_key);
    if (!s->counted || !s->row || !s->c2_by_key || !s->infra_by_key) return -1;
    for (size_t i = 0; i < t->n_c2; i++) s->c2_by_key[i] = &t->c2[i];
    for (size_t i = 0; i < t->n_infra; i++) s->infra_by_key[i] = &t->infra[i];
    qsort(s->c2_by_key, t->n_c2, sizeof *s->c2_by_key, c2_ptr_cmp);
    qsort(s->infra_by_key, t->n_infra, sizeof *s->infra_by_key, infra_ptr_cmp);
    return 0;
}

int eval_run(const eval_truth *truth, const c2list *list, const eval_options *opt,
             eval_result *out, c2_err *err)
{
    memset(out, 0, sizeof *out);
    scorer s = {.t = truth, .list = list, .opt = opt};
    s.at = opt->at == EVAL_AT_END ? truth->end : opt->at;
    s.from = opt->from > truth->start ? opt->from : truth->start;
    out->start = s.from;
    out->end = truth->end;
    out->at = s.at;
    out->min_bots = opt->min_bots;
    out->truth_c2 = truth->n_c2;
    out->truth_infra = truth->n_infra;
    out->rows = c2list_count(list);
    out->excluding = opt->exclude != NULL;
    int rc = sort_keys(&s);
    if (rc == 0) {
        mark_counted(&s, out);
        score_servers(&s, out);
        score_bots(&s, out);
        score_feed(&s, out);
        rc = score_addrs(&s, out) | score_families(&s, out) | score_lead(&s, out) |
             score_curve(&s, out);
    }
    free(s.counted);
    free(s.row);
    free(s.c2_by_key);
    free(s.infra_by_key);
    if (rc != 0) {
        eval_result_free(out);
        return c2_fail(err, "out of memory");
    }
    return 0;
}

void eval_result_free(eval_result *r)
{
    free(r->families);
    free(r->curve);
    r->families = NULL;
    r->n_families = 0;
    r->curve = NULL;
    r->n_curve = 0;
}
