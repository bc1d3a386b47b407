/*
 * report.c: an eval_result as a table for people, one JSON object, or CSV
 * metric,value rows.
 *
 * The JSON object is the reference form: its key names are documented in
 * docs/eval.md and stay stable.  The CSV rows are made by flattening that
 * same object (nested keys joined with '.', the family and bots lists keyed
 * by their name: "families.mirai.recall", "bots.20-99.c2"), so the two
 * forms cannot drift apart; the curve's points are keyed by their minimum
 * score the same way ("curve.50.precision").  Ratios are fractions (0.75) in JSON and CSV,
 * percentages in the table; undefined ones (0 of 0) are null / empty / "-".
 */
#include <jansson.h>
#include <math.h>
#include <string.h>

#include "eval/eval.h"

/* ---- JSON ---- */

static json_t *num(double x)
{
    return isnan(x) ? json_null() : json_real(x);
}

static json_t *u64(uint64_t n)
{
    return json_integer((json_int_t)n);
}

static json_t *time_str(int64_t ms)
{
    char buf[40];
    return json_string(c2list_time_format(ms, buf, sizeof buf));
}

static json_t *counts_json(const eval_counts *c)
{
    return json_pack("{s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o}",
                     "tp", u64(c->tp), "fp", u64(c->fp), "fn", u64(c->fn),
                     "infra", u64(c->infra), "ignored", u64(c->ignored),
                     "precision", num(c->precision),
                     "precision_infra", num(c->precision_infra),
                     "recall", num(c->recall), "f1", num(c->f1));
}

static json_t *group_json(const eval_group *g, const char *name_key)
{
    return json_pack("{s:s, s:o, s:o, s:o}", name_key, g->name, "c2", u64(g->c2),
                     "detected", u64(g->detected), "recall", num(g->recall));
}

static json_t *groups_json(const eval_group *g, size_t n, const char *name_key)
{
    json_t *a = json_array();
    for (size_t i = 0; a && i < n; i++)
        if (json_array_append_new(a, group_json(&g[i], name_key)) != 0) {
            json_decref(a);
            return NULL;
        }
    return a;
}

static json_t *lead_json(const eval_lead *l)
{
    return json_pack("{s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o}",
                     "c2", u64(l->c2), "first_seen_unknown", u64(l->first_seen_unknown),
                     "born_before_start", u64(l->born_before_start),
                     "within_1d", num(l->within_1d), "within_2d", num(l->within_2d),
                     "within_7d", num(l->within_7d), "median_days", num(l->median_days),
                     "mean_days", num(l->mean_days));
}

static json_t *feed_json(const eval_feed *f)
{
    return json_pack("{s:s, s:o, s:o, s:o, s:o, s:o, s:o, s:o}",
                     "source", f->from_file ? "file" : "truth",
                     "listed", u64(f->listed), "earlier", u64(f->earlier),
                     "share_earlier", num(f->share_earlier),
                     "mean_days_earlier", num(f->mean_days_earlier),
                     "never_listed", u64(f->never_listed),
                     "listed_undated", u64(f->listed_undated),
                     "first_seen_unknown", u64(f->first_seen_unknown));
}

/* A curve point: min_score first, so that CSV names it "curve.50.tp". */
static json_t *point_json(const eval_curve_point *p)
{
    json_t *o = json_pack("{s:I, s:o}", "min_score", (json_int_t)p->min_score,
                          "rows", u64(p->rows));
    json_t *c = counts_json(&p->server);
    if (!o || !c || json_object_update(o, c) != 0) {
        json_decref(o);
        o = NULL;
    }
    json_decref(c);
    return o;
}

static json_t *curve_json(const eval_result *r)
{
    json_t *a = json_array();
    for (size_t i = 0; a && i < r->n_curve; i++)
        if (json_array_append_new(a, point_json(&r->curve[i])) != 0) {
            json_decref(a);
            return NULL;
        }
    return a;
}

static json_t *result_json(const eval_result *r)
{
    eval_group b20 = r->bots20;
    json_t *o = json_pack("{s:o, s:o, s:o, s:I, s:{s:o, s:o, s:o, s:o}, s:{s:o, s:o}, "
                          "s:o, s:o, s:o, s:o, s:{s:o, s:o, s:o}, s:o, s:o}",
                          "start", time_str(r->start), "end", time_str(r->end),
                          "at", time_str(r->at), "min_bots", (json_int_t)r->min_bots,
                          "truth", "c2", u64(r->truth_c2), "counted", u64(r->counted),
                          "excluded", u64(r->excluded), "infra", u64(r->truth_infra),
                          "list", "rows", u64(r->rows), "after_at", u64(r->rows_after_at),
                          "server", counts_json(&r->server), "ip", counts_json(&r->ip),
                          "families", groups_json(r->families, r->n_families, "family"),
                          "bots", groups_json(r->bots, EVAL_BUCKETS, "bucket"),
                          "bots_20plus", "c2", u64(b20.c2), "detected", u64(b20.detected),
                          "recall", num(b20.recall),
                          "lead_time", lead_json(&r->lead), "feed", feed_json(&r->feed));
    /* only when asked for: a run without --curve prints what it always did */
    if (o && r->n_curve && json_object_set_new(o, "curve", curve_json(r)) != 0) {
        json_decref(o);
        return NULL;
    }
    return o;
}

/* ---- CSV ---- */

static void csv_name(FILE *f, const char *name)
{
    if (!strpbrk(name, ",\"")) {
        fputs(name, f);
        return;
    }
    fputc('"', f);
    for (; *name; name++) {
        if (*name == '"') fputc('"', f);
        fputc(*name, f);
    }
    fputc('"', f);
}

static void csv_value(FILE *f, const char *name, json_t *v)
{
    csv_name(f, name);
    if (json_is_integer(v)) fprintf(f, ",%lld\n", (long long)json_integer_value(v));
    else if (json_is_real(v)) fprintf(f, ",%.6g\n", json_real_value(v));
    else if (json_is_string(v)) { fputc(',', f); csv_name(f, json_string_value(v)); fputc('\n', f); }
    else fputs(",\n", f);
}

/* Rows of v under prefix; list elements are named by their first key's value. */
static void csv_walk(FILE *f, const char *prefix, json_t *v)
{
    char name[256];
    const char *key;
    json_t *sub;
    if (json_is_object(v)) {
        json_object_foreach(v, key, sub) {
            snprintf(name, sizeof name, "%s%s%s", prefix, *prefix ? "." : "", key);
            csv_walk(f, name, sub);
        }
    } else if (json_is_array(v)) {
        size_t i;
        json_array_foreach(v, i, sub) {
            void *it = json_object_iter(sub);
            json_t *label = it ? json_object_iter_value(it) : NULL;
            if (json_is_integer(label))
                snprintf(name, sizeof name, "%s.%lld", prefix,
                         (long long)json_integer_value(label));
            else
                snprintf(name, sizeof name, "%s.%s", prefix,
                         json_is_string(label) ? json_string_value(label) : "?");
            json_t *rest = json_deep_copy(sub);
            if (rest && it) json_object_del(rest, json_object_iter_key(it));
            csv_walk(f, name, rest);
            json_decref(rest);
        }
    } else {
        csv_value(f, prefix, v);
    }
}

/* ---- table ---- */

static const char *pct(double x, char *buf, size_t len)
{
    if (isnan(x)) return "-";
    snprintf(buf, len, "%.1f %%", 100.0 * x);
    return buf;
}

static const char *dayfmt(double x, char *buf, size_t len)
{
    if (isnan(x)) return "-";
    snprintf(buf, len, "%.2f d", x);
    return buf;
}

/* TP FP FN infra ignored precision prec+infra recall F1, and the line end. */
static void table_figures(FILE *f, const eval_counts *c)
{
    char p[16], pi[16], r[16], f1[16];
    fprintf(f, " %8llu %8llu %8llu %8llu %8llu %10s %10s %10s %10s\n",
            (unsigned long long)c->tp, (unsigned long long)c->fp, (unsigned long long)c->fn,
            (unsigned long long)c->infra, (unsigned long long)c->ignored,
            pct(c->precision, p, sizeof p), pct(c->precision_infra, pi, sizeof pi),
            pct(c->recall, r, sizeof r), pct(c->f1, f1, sizeof f1));
}

static void table_counts(FILE *f, const char *unit, const eval_counts *c)
{
    fprintf(f, "%-12s", unit);
    table_figures(f, c);
}

static void table_curve(FILE *f, const eval_result *r)
{
    if (!r->n_curve) return;
    fprintf(f, "\nprecision/recall by minimum score (per server)\n");
    fprintf(f, "%-9s %8s %8s %8s %8s %8s %8s %10s %10s %10s %10s\n", "min score", "rows", "TP",
            "FP", "FN", "infra", "ignored", "precision", "prec+infra", "recall", "F1");
    for (size_t i = 0; i < r->n_curve; i++) {
        fprintf(f, ">= %-6u %8llu", r->curve[i].min_score, (unsigned long long)r->curve[i].rows);
        table_figures(f, &r->curve[i].server);
    }
}

static void table_groups(FILE *f, const char *title, const eval_group *g, size_t n)
{
    char r[16];
    fprintf(f, "\n%-20s %8s %8s %10s\n", title, "C2", "detected", "recall");
    for (size_t i = 0; i < n; i++)
        fprintf(f, "%-20s %8llu %8llu %10s\n", g[i].name, (unsigned long long)g[i].c2,
                (unsigned long long)g[i].detected, pct(g[i].recall, r, sizeof r));
}

static void table_times(FILE *f, const eval_result *r)
{
    const eval_lead *l = &r->lead;
    const eval_feed *d = &r->feed;
    char a[16], b[16], c[16], m[16], n[16];
    fprintf(f, "\nlead time from birth: %llu detected C2 born in [start, at] (%llu without"
            " first_seen, %llu born before start)\n", (unsigned long long)l->c2,
            (unsigned long long)l->first_seen_unknown, (unsigned long long)l->born_before_start);
    fprintf(f, "  within 1 day %s, within 2 days %s, within 7 days %s; median %s, mean %s\n",
            pct(l->within_1d, a, sizeof a), pct(l->within_2d, b, sizeof b),
            pct(l->within_7d, c, sizeof c), dayfmt(l->median_days, m, sizeof m),
            dayfmt(l->mean_days, n, sizeof n));
    fprintf(f, "\nagainst the feed (%s): %llu detected C2 listed, %llu of them by us first (%s),\n"
            "  on average %s earlier; %llu never listed, %llu listed without a date,"
            " %llu without our first_seen\n",
            d->from_file ? "--feed file" : "truth's feed_listed", (unsigned long long)d->listed,
            (unsigned long long)d->earlier, pct(d->share_earlier, a, sizeof a),
            dayfmt(d->mean_days_earlier, m, sizeof m), (unsigned long long)d->never_listed,
            (unsigned long long)d->listed_undated, (unsigned long long)d->first_seen_unknown);
}

static void write_table(const eval_result *r, FILE *f)
{
    char s[40], e[40], at[40], b20[16], bots[48] = "any number of bots";
    if (r->min_bots) snprintf(bots, sizeof bots, "at least %u bots", r->min_bots);
    fprintf(f, "truth %s .. %s, scored at %s\n", c2list_time_format(r->start, s, sizeof s),
            c2list_time_format(r->end, e, sizeof e), c2list_time_format(r->at, at, sizeof at));
    fprintf(f, "C2 servers: %llu in the truth, %llu counted (alive in [start, at], %s)",
            (unsigned long long)r->truth_c2, (unsigned long long)r->counted, bots);
    if (r->excluding)
        fprintf(f, ", %llu more excluded as known", (unsigned long long)r->excluded);
    fputc('\n', f);
    fprintf(f, "other malicious infrastructure: %llu; list rows: %llu, %llu first seen after at"
            " (not counted)\n\n", (unsigned long long)r->truth_infra,
            (unsigned long long)r->rows, (unsigned long long)r->rows_after_at);
    fprintf(f, "%-12s %8s %8s %8s %8s %8s %10s %10s %10s %10s\n", "", "TP", "FP", "FN",
            "infra", "ignored", "precision", "prec+infra", "recall", "F1");
    table_counts(f, "per server", &r->server);
    table_counts(f, "per IP", &r->ip);
    table_groups(f, "family", r->families, r->n_families);
    table_groups(f, "bots", r->bots, EVAL_BUCKETS);
    fprintf(f, "recall over C2 with >= 20 bots: %s (%llu of %llu)\n",
            pct(r->bots20.recall, b20, sizeof b20), (unsigned long long)r->bots20.detected,
            (unsigned long long)r->bots20.c2);
    table_times(f, r);
    table_curve(f, r);
}

/* ---- entry ---- */

int eval_format_lookup(const char *name)
{
    if (!strcmp(name, "table")) return EVAL_TABLE;
    if (!strcmp(name, "json")) return EVAL_JSON;
    if (!strcmp(name, "csv")) return EVAL_CSV;
    return -1;
}

int eval_write(const eval_result *r, FILE *f, eval_format fmt, c2_err *err)
{
    if (fmt == EVAL_TABLE) {
        write_table(r, f);
    } else {
        json_t *o = result_json(r);
        if (!o) return c2_fail(err, "out of memory");
        if (fmt == EVAL_JSON) {
            json_dumpf(o, f, JSON_INDENT(2) | JSON_REAL_PRECISION(6));
            fputc('\n', f);
        } else {
            fputs("metric,value\n", f);
            csv_walk(f, "", o);
        }
        json_decref(o);
    }
    if (fflush(f) != 0 || ferror(f)) return c2_fail_errno(err, "write");
    return 0;
}
