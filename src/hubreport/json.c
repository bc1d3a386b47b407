/*
 * json.c: a hubreport as one JSON object (schema in docs/hub-report.md).
 *
 * Built as a jansson tree, which keeps keys in insertion order, so the
 * order written here is the documented one.  Rates are rounded to 4
 * decimals and days to 3 (about a minute and a half) before they go in;
 * undefined figures (0 of 0) are null.
 */
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "hubreport/hubreport_impl.h"

/* Set while building: a NULL anywhere makes the whole tree fail once. */
typedef struct jb {
    int failed;
} jb;

static json_t *put(jb *b, json_t *o, const char *key, json_t *v)
{
    if (!o || !v || json_object_set_new(o, key, v) != 0) {
        if (!o) json_decref(v);
        b->failed = 1;
    }
    return o;
}

static json_t *push(jb *b, json_t *a, json_t *v)
{
    if (!a || !v || json_array_append_new(a, v) != 0) {
        if (!a) json_decref(v);
        b->failed = 1;
    }
    return a;
}

static json_t *u64(uint64_t n)
{
    return json_integer((json_int_t)n);
}

static json_t *rounded(double x, double scale)
{
    return isnan(x) ? json_null() : json_real(round(x * scale) / scale);
}

static json_t *days_num(double x) { return rounded(x, 1e3); }
static json_t *rate_num(double x) { return rounded(x, 1e4); }

static json_t *time_str(int64_t ms, int unbounded)
{
    char buf[40];
    return unbounded ? json_null() : json_string(c2_time_format(ms, buf, sizeof buf));
}

static json_t *day_str(int64_t ms)
{
    char buf[16];
    return json_string(hubreport_day_format(ms, buf, sizeof buf));
}

/* Names are the hub's, but jansson refuses bytes that are not UTF-8: such
 * a byte becomes '?' rather than failing the whole report. */
static json_t *name_str(const char *name)
{
    json_t *s = json_string(name);
    if (s) return s;
    char *copy = strdup(name);
    if (!copy) return NULL;
    for (char *p = copy; *p; p++)
        if ((unsigned char)*p >= 0x80) *p = '?';
    s = json_string(copy);
    free(copy);
    return s;
}

static json_t *member_obj(jb *b, const hubreport *r, size_t m)
{
    json_t *o = json_object();
    return put(b, o, "member", name_str(r->members[m].name));
}

static json_t *members_json(jb *b, const hubreport *r)
{
    json_t *a = json_array();
    for (size_t m = 0; m < r->nmembers; m++) {
        const hubreport_member *x = &r->members[m];
        json_t *o = member_obj(b, r, m);
        put(b, o, "rows", u64(x->rows));
        put(b, o, "keys", u64(x->keys));
        put(b, o, "confirmed", u64(x->confirmed));
        push(b, a, o);
    }
    return a;
}

static json_t *day_json(jb *b, const hubreport *r, const hubreport_day *d)
{
    json_t *o = json_object(), *a = json_array();
    put(b, o, "day", day_str(d->day_ms));
    put(b, o, "listed", u64(d->listed));
    put(b, o, "confirmed", u64(d->confirmed));
    for (size_t m = 0; m < r->nmembers; m++) {
        json_t *x = member_obj(b, r, m);
        put(b, x, "listed", u64(d->member_listed[m]));
        put(b, x, "confirmed", u64(d->member_confirmed[m]));
        push(b, a, x);
    }
    return put(b, o, "members", a);
}

static json_t *per_day_json(jb *b, const hubreport *r)
{
    json_t *a = json_array();
    for (size_t d = 0; d < r->ndays; d++) push(b, a, day_json(b, r, &r->days[d]));
    return a;
}

static json_t *combos_json(jb *b, const hubreport *r)
{
    json_t *a = json_array();
    for (size_t i = 0; i < r->ncombos; i++) {
        const hubreport_combo *c = &r->combos[i];
        json_t *o = json_object(), *names = json_array();
        for (size_t k = 0; k < c->nmembers; k++)
            push(b, names, name_str(r->members[c->members[k]].name));
        put(b, o, "members", names);
        put(b, o, "keys", u64(c->keys));
        push(b, a, o);
    }
    return a;
}

static json_t *pairwise_json(jb *b, const hubreport *r)
{
    json_t *o = json_object(), *names = json_array(), *rows = json_array();
    for (size_t i = 0; i < r->nmembers; i++) {
        json_t *row = json_array();
        push(b, names, name_str(r->members[i].name));
        for (size_t j = 0; j < r->nmembers; j++) push(b, row, u64(r->pairs[i * r->nmembers + j]));
        push(b, rows, row);
    }
    put(b, o, "members", names);
    return put(b, o, "keys", rows);
}

static json_t *overlap_json(jb *b, const hubreport *r)
{
    json_t *o = json_object(), *a = json_array();
    for (size_t m = 0; m < r->nmembers; m++) {
        json_t *x = member_obj(b, r, m);
        put(b, x, "total", u64(r->members[m].keys));
        put(b, x, "only", u64(r->members[m].only));
        put(b, x, "shared", u64(r->members[m].shared));
        push(b, a, x);
    }
    put(b, o, "members", a);
    put(b, o, "combinations", combos_json(b, r));
    return put(b, o, "pairwise", pairwise_json(b, r));
}

static json_t *early_fill(jb *b, json_t *o, const hubreport_early *e)
{
    put(b, o, "n_intel", u64(e->n_intel));
    put(b, o, "n_earlier", u64(e->n_earlier));
    put(b, o, "rate", rate_num(e->rate));
    put(b, o, "mean_days_earlier", days_num(e->mean_days));
    return put(b, o, "median_days_earlier", days_num(e->median_days));
}

static json_t *early_json(jb *b, const hubreport *r)
{
    json_t *o = json_object(), *a = json_array();
    put(b, o, "overall", early_fill(b, json_object(), &r->early));
    for (size_t m = 0; m < r->nmembers; m++)
        push(b, a, early_fill(b, member_obj(b, r, m), &r->members[m].early));
    return put(b, o, "members", a);
}

static json_t *lifetime_json(jb *b, const hubreport *r)
{
    const hubreport_lifetime *l = &r->lifetime;
    json_t *o = json_object(), *h = json_array();
    put(b, o, "count", u64(l->count));
    put(b, o, "mean_days", days_num(l->mean_days));
    put(b, o, "median_days", days_num(l->median_days));
    put(b, o, "p90_days", days_num(l->p90_days));
    for (size_t i = 0; i < HUBREPORT_LIFETIME_BINS; i++) {
        json_t *x = json_object();
        put(b, x, "days", json_string(hubreport_lifetime_bin(i)));
        push(b, h, put(b, x, "keys", u64(l->histogram[i])));
    }
    return put(b, o, "histogram", h);
}

static json_t *countries_json(jb *b, const hubreport_country *c, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++) {
        json_t *x = json_object();
        put(b, x, "country", json_string(c[i].code));
        push(b, a, put(b, x, "keys", u64(c[i].keys)));
    }
    return a;
}

static json_t *country_json(jb *b, const hubreport *r)
{
    json_t *o = json_object(), *a = json_array();
    put(b, o, "totals", countries_json(b, r->countries, r->ncountries));
    for (size_t d = 0; d < r->ndays; d++) {
        json_t *x = json_object();
        put(b, x, "day", day_str(r->days[d].day_ms));
        put(b, x, "countries", countries_json(b, r->days[d].countries, r->days[d].ncountries));
        push(b, a, x);
    }
    return put(b, o, "per_day", a);
}

static json_t *report_json(jb *b, const hubreport *r)
{
    json_t *o = json_object(), *ex = json_object();
    put(b, o, "from", time_str(r->from_ms, r->from_ms == C2_TIME_MIN));
    put(b, o, "to", time_str(r->to_ms, r->to_ms == C2_TIME_MAX));
    put(b, o, "rows", u64(r->rows));
    put(b, o, "rows_outside", u64(r->rows_outside));
    put(b, ex, "rows", u64(r->excluded_rows));
    put(b, o, "excluded", put(b, ex, "keys", u64(r->excluded_keys)));
    put(b, o, "keys", u64(r->keys));
    put(b, o, "confirmed", u64(r->confirmed));
    put(b, o, "members", members_json(b, r));
    put(b, o, "per_day", per_day_json(b, r));
    put(b, o, "overlap", overlap_json(b, r));
    put(b, o, "early_detection", early_json(b, r));
    put(b, o, "lifetime", lifetime_json(b, r));
    return put(b, o, "country", country_json(b, r));
}

int hubreport_write_json(const hubreport *r, FILE *f, c2_err *err)
{
    jb b = { 0 };
    json_t *o = report_json(&b, r);
    if (b.failed || !o) {
        json_decref(o);
        return c2_fail(err, "out of memory");
    }
    int rc = json_dumpf(o, f, JSON_INDENT(2) | JSON_REAL_PRECISION(15));
    json_decref(o);
    if (rc != 0 || fputc('\n', f) == EOF || fflush(f) != 0 || ferror(f))
        return c2_fail_errno(err, "write");
    return 0;
}
