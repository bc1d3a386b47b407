/*
 * html.c: a hubreport as one self-contained HTML page.
 *
 * The page must open from a mail attachment or a file share with nothing
 * else: inline CSS, bar charts as inline SVG (with a <title> per bar for
 * the exact figure), no script, no font, no external reference.  Every
 * figure is also in a table, so the charts are a reading aid only.  All
 * text that came from outside (member names) goes through html_text.
 */
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "hubreport/hubreport_impl.h"

#define CHART_H 140                     /* plot height, px */
#define TOP_COUNTRIES 10                /* columns of the daily country table */
#define TOP_COMBOS 100                  /* rows of the member-set table (all in the JSON) */

static const char STYLE[] =
    "body{font-family:system-ui,sans-serif;margin:2em;color:#222;max-width:80em}"
    "h1{font-size:1.5em}h2{font-size:1.2em;margin-top:2em;border-bottom:1px solid #ccc}"
    "table{border-collapse:collapse;margin:.5em 0}"
    "th,td{border:1px solid #ccc;padding:.2em .6em;text-align:right}"
    "th{background:#f0f0f0}td.l,th.l{text-align:left}"
    "svg{display:block;margin:.5em 0}svg text{font-size:10px;fill:#444}"
    ".a{fill:#9bb7d4}.b{fill:#2b5d8c}.note{color:#666;font-size:.9em}";

static void html_text(FILE *f, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '&': fputs("&amp;", f); break;
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '"': fputs("&quot;", f); break;
        case '\'': fputs("&#39;", f); break;
        default: fputc(*s, f);
        }
    }
}

static void cell_u(FILE *f, uint64_t n)
{
    fprintf(f, "<td>%llu</td>", (unsigned long long)n);
}

static void cell_num(FILE *f, double x, const char *fmt)
{
    if (isnan(x)) fputs("<td>-</td>", f);
    else {
        fputs("<td>", f);
        fprintf(f, fmt, x);
        fputs("</td>", f);
    }
}

static void cell_name(FILE *f, const char *s)
{
    fputs("<td class=\"l\">", f);
    html_text(f, s);
    fputs("</td>", f);
}

static void head_name(FILE *f, const char *s)
{
    fputs("<th>", f);
    html_text(f, s);
    fputs("</th>", f);
}

/* ---- bar charts ---- */

/* A chart's data: n bars, each a value and an optional part of it drawn
 * darker (confirmed of listed), and a label. */
typedef struct chart {
    size_t n;
    const hubreport *r;
    uint64_t (*value)(const hubreport *r, size_t i);
    uint64_t (*part)(const hubreport *r, size_t i);        /* NULL: none */
    void (*label)(const hubreport *r, size_t i, char *buf, size_t len);
} chart;

static void chart_bar(FILE *f, const chart *c, size_t i, double x, double w, double scale)
{
    char label[64];
    uint64_t v = c->value(c->r, i), p = c->part ? c->part(c->r, i) : 0;
    double h = (double)v * scale, hp = (double)p * scale;
    c->label(c->r, i, label, sizeof label);
    fprintf(f, "<g><title>");
    html_text(f, label);
    fprintf(f, ": %llu", (unsigned long long)v);
    if (c->part) fprintf(f, " (%llu confirmed)", (unsigned long long)p);
    fprintf(f, "</title><rect class=\"a\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\"/>",
            x, 10 + CHART_H - h, w, h);
    if (c->part)
        fprintf(f, "<rect class=\"b\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\"/>",
                x, 10 + CHART_H - hp, w, hp);
    fputs("</g>", f);
}

static void chart_svg(FILE *f, const chart *c)
{
    if (!c->n) return;
    uint64_t max = 1;
    for (size_t i = 0; i < c->n; i++)
        if (c->value(c->r, i) > max) max = c->value(c->r, i);
    double bw = c->n > 60 ? 6 : c->n > 20 ? 14 : 32, gap = bw / 4;
    double width = 50 + (double)c->n * (bw + gap), scale = (double)CHART_H / (double)max;
    size_t step = c->n / 15 + 1;
    fprintf(f, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%d\" role=\"img\">",
            width, CHART_H + 40);
    fprintf(f, "<text x=\"0\" y=\"14\">%llu</text><text x=\"0\" y=\"%d\">0</text>",
            (unsigned long long)max, CHART_H + 10);
    for (size_t i = 0; i < c->n; i++) {
        double x = 50 + (double)i * (bw + gap);
        chart_bar(f, c, i, x, bw, scale);
        if (i % step) continue;
        char label[64];
        c->label(c->r, i, label, sizeof label);
        fprintf(f, "<text x=\"%.1f\" y=\"%d\">", x, CHART_H + 24);
        html_text(f, label);
        fputs("</text>", f);
    }
    fputs("</svg>\n", f);
}

static uint64_t day_listed(const hubreport *r, size_t i) { return r->days[i].listed; }
static uint64_t day_confirmed(const hubreport *r, size_t i) { return r->days[i].confirmed; }
static void day_label(const hubreport *r, size_t i, char *buf, size_t len)
{
    char d[16];
    hubreport_day_format(r->days[i].day_ms, d, sizeof d);
    snprintf(buf, len, "%s", d + 5);            /* MM-DD; the table has the year */
}
static uint64_t life_keys(const hubreport *r, size_t i) { return r->lifetime.histogram[i]; }
static void life_label(const hubreport *r, size_t i, char *buf, size_t len)
{
    (void)r;
    snprintf(buf, len, "%s d", hubreport_lifetime_bin(i));
}
static uint64_t country_keys(const hubreport *r, size_t i) { return r->countries[i].keys; }
static void country_label(const hubreport *r, size_t i, char *buf, size_t len)
{
    snprintf(buf, len, "%s", r->countries[i].code);
}

/* ---- sections ---- */

/* One row per member: its name and three counts, given by their offsets
 * in hubreport_member (heads: their <th> cells). */
static void member_table(FILE *f, const hubreport *r, const char *heads, size_t a, size_t b,
                         size_t c)
{
    const size_t col[3] = { a, b, c };
    fprintf(f, "<table><tr><th class=\"l\">member</th>%s</tr>\n", heads);
    for (size_t m = 0; m < r->nmembers; m++) {
        const char *x = (const char *)&r->members[m];
        fputs("<tr>", f);
        cell_name(f, r->members[m].name);
        for (int i = 0; i < 3; i++) {
            uint64_t v;
            memcpy(&v, x + col[i], sizeof v);
            cell_u(f, v);
        }
        fputs("</tr>\n", f);
    }
    fputs("</table>\n", f);
}

static void section_summary(FILE *f, const hubreport *r)
{
    fprintf(f, "<h2 id=\"summary\">Summary</h2>\n<table>"
            "<tr><th class=\"l\">keys (ip, port, proto)</th>");
    cell_u(f, r->keys);
    fputs("</tr><tr><th class=\"l\">of them confirmed</th>", f);
    cell_u(f, r->confirmed);
    fputs("</tr><tr><th class=\"l\">rows counted</th>", f);
    cell_u(f, r->rows);
    fputs("</tr><tr><th class=\"l\">excluded keys (rows)</th>", f);
    fprintf(f, "<td>%llu (%llu)</td>", (unsigned long long)r->excluded_keys,
            (unsigned long long)r->excluded_rows);
    fputs("</tr><tr><th class=\"l\">rows outside the range</th>", f);
    cell_u(f, r->rows_outside);
    fputs("</tr></table>\n", f);
    member_table(f, r, "<th>rows</th><th>keys</th><th>confirmed</th>",
                 offsetof(hubreport_member, rows), offsetof(hubreport_member, keys),
                 offsetof(hubreport_member, confirmed));
}

static void section_days(FILE *f, const hubreport *r)
{
    chart c = { r->ndays, r, day_listed, day_confirmed, day_label };
    fputs("<h2 id=\"per-day\">Listed and confirmed per day</h2>\n"
          "<p class=\"note\">Distinct keys reported each UTC day; the darker part is confirmed."
          "</p>\n", f);
    chart_svg(f, &c);
    fputs("<table><tr><th class=\"l\">day</th><th>listed</th><th>confirmed</th>", f);
    for (size_t m = 0; m < r->nmembers; m++) head_name(f, r->members[m].name);
    fputs("</tr>\n", f);
    for (size_t d = 0; d < r->ndays; d++) {
        char day[16];
        const hubreport_day *x = &r->days[d];
        fprintf(f, "<tr><td class=\"l\">%s</td>", hubreport_day_format(x->day_ms, day, sizeof day));
        cell_u(f, x->listed);
        cell_u(f, x->confirmed);
        for (size_t m = 0; m < r->nmembers; m++)
            fprintf(f, "<td>%llu / %llu</td>", (unsigned long long)x->member_listed[m],
                    (unsigned long long)x->member_confirmed[m]);
        fputs("</tr>\n", f);
    }
    fputs("</table>\n<p class=\"note\">Member columns: listed / confirmed.</p>\n", f);
}

static void overlap_combos(FILE *f, const hubreport *r)
{
    size_t shown = r->ncombos < TOP_COMBOS || r->nmembers <= HUBREPORT_ALL_COMBOS ?
                   r->ncombos : TOP_COMBOS;
    fputs("<table><tr><th class=\"l\">exactly these members</th><th>keys</th></tr>\n", f);
    for (size_t i = 0; i < shown; i++) {
        const hubreport_combo *c = &r->combos[i];
        fputs("<tr><td class=\"l\">", f);
        for (size_t k = 0; k < c->nmembers; k++) {
            if (k) fputs(" + ", f);
            html_text(f, r->members[c->members[k]].name);
        }
        fputs("</td>", f);
        cell_u(f, c->keys);
        fputs("</tr>\n", f);
    }
    fputs("</table>\n", f);
    if (shown < r->ncombos)
        fprintf(f, "<p class=\"note\">The %zu largest of %zu member sets; the JSON form has "
                "them all.</p>\n", shown, r->ncombos);
}

static void overlap_pairs(FILE *f, const hubreport *r)
{
    fputs("<table><tr><th></th>", f);
    for (size_t m = 0; m < r->nmembers; m++) head_name(f, r->members[m].name);
    fputs("</tr>\n", f);
    for (size_t i = 0; i < r->nmembers; i++) {
        fputs("<tr>", f);
        cell_name(f, r->members[i].name);
        for (size_t j = 0; j < r->nmembers; j++) cell_u(f, r->pairs[i * r->nmembers + j]);
        fputs("</tr>\n", f);
    }
    fputs("</table>\n", f);
}

static void section_overlap(FILE *f, const hubreport *r)
{
    fputs("<h2 id=\"overlap\">Overlap between members</h2>\n", f);
    member_table(f, r, "<th>total</th><th>only this member</th><th>shared</th>",
                 offsetof(hubreport_member, keys), offsetof(hubreport_member, only),
                 offsetof(hubreport_member, shared));
    fputs("<h3>Keys per exact member set</h3>\n", f);
    overlap_combos(f, r);
    fputs("<h3>Keys both members reported</h3>\n", f);
    overlap_pairs(f, r);
}

static void early_row(FILE *f, const char *name, const hubreport_early *e)
{
    fputs("<tr>", f);
    cell_name(f, name);
    cell_u(f, e->n_intel);
    cell_u(f, e->n_earlier);
    cell_num(f, e->rate * 100, "%.1f %%");
    cell_num(f, e->mean_days, "%.2f");
    cell_num(f, e->median_days, "%.2f");
    fputs("</tr>\n", f);
}

static void section_early(FILE *f, const hubreport *r)
{
    fputs("<h2 id=\"early-detection\">Early detection against open intelligence</h2>\n"
          "<table><tr><th class=\"l\">member</th><th>keys intel lists</th>"
          "<th>reported earlier</th><th>rate</th><th>mean days earlier</th>"
          "<th>median days earlier</th></tr>\n", f);
    early_row(f, "all members", &r->early);
    for (size_t m = 0; m < r->nmembers; m++)
        early_row(f, r->members[m].name, &r->members[m].early);
    fputs("</table>\n", f);
}

static void section_lifetime(FILE *f, const hubreport *r)
{
    const hubreport_lifetime *l = &r->lifetime;
    chart c = { HUBREPORT_LIFETIME_BINS, r, life_keys, NULL, life_label };
    fputs("<h2 id=\"lifetime\">Estimated lifetime (first to last report)</h2>\n"
          "<table><tr><th>keys</th><th>mean days</th><th>median days</th><th>p90 days</th></tr>"
          "<tr>", f);
    cell_u(f, l->count);
    cell_num(f, l->mean_days, "%.2f");
    cell_num(f, l->median_days, "%.2f");
    cell_num(f, l->p90_days, "%.2f");
    fputs("</tr></table>\n", f);
    chart_svg(f, &c);
    fputs("<table><tr><th class=\"l\">whole days</th><th>keys</th></tr>\n", f);
    for (size_t i = 0; i < HUBREPORT_LIFETIME_BINS; i++) {
        fprintf(f, "<tr><td class=\"l\">%s</td>", hubreport_lifetime_bin(i));
        cell_u(f, l->histogram[i]);
        fputs("</tr>\n", f);
    }
    fputs("</table>\n", f);
}

static uint64_t day_country(const hubreport_day *d, const char *code)
{
    for (size_t i = 0; i < d->ncountries; i++)
        if (!strcmp(d->countries[i].code, code)) return d->countries[i].keys;
    return 0;
}

static void country_days(FILE *f, const hubreport *r)
{
    size_t top = r->ncountries < TOP_COUNTRIES ? r->ncountries : TOP_COUNTRIES;
    fputs("<table><tr><th class=\"l\">day</th>", f);
    for (size_t i = 0; i < top; i++) head_name(f, r->countries[i].code);
    if (r->ncountries > top) fputs("<th>other</th>", f);
    fputs("</tr>\n", f);
    for (size_t d = 0; d < r->ndays; d++) {
        char day[16];
        const hubreport_day *x = &r->days[d];
        uint64_t shown = 0;
        fprintf(f, "<tr><td class=\"l\">%s</td>", hubreport_day_format(x->day_ms, day, sizeof day));
        for (size_t i = 0; i < top; i++) {
            uint64_t k = day_country(x, r->countries[i].code);
            shown += k;
            cell_u(f, k);
        }
        if (r->ncountries > top) cell_u(f, x->listed - shown);
        fputs("</tr>\n", f);
    }
    fputs("</table>\n", f);
}

static void section_country(FILE *f, const hubreport *r)
{
    size_t top = r->ncountries < 20 ? r->ncountries : 20;
    chart c = { top, r, country_keys, NULL, country_label };
    fputs("<h2 id=\"country\">Estimated country</h2>\n<p class=\"note\">A key counts in the "
          "country of its latest report; ?? is unknown.</p>\n", f);
    chart_svg(f, &c);
    fputs("<table><tr><th class=\"l\">country</th><th>keys</th></tr>\n", f);
    for (size_t i = 0; i < r->ncountries; i++) {
        fputs("<tr>", f);
        cell_name(f, r->countries[i].code);
        cell_u(f, r->countries[i].keys);
        fputs("</tr>\n", f);
    }
    fputs("</table>\n<h3>Per day</h3>\n", f);
    country_days(f, r);
}

static void page_head(FILE *f, const hubreport *r)
{
    char from[40] = "the beginning", to[40] = "now";
    if (r->from_ms != C2_TIME_MIN) c2_time_format(r->from_ms, from, sizeof from);
    if (r->to_ms != C2_TIME_MAX) c2_time_format(r->to_ms, to, sizeof to);
    fprintf(f, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            "<title>c2flow hub report %s to %s</title>\n<style>%s</style>\n</head>\n<body>\n"
            "<h1>c2flow hub report</h1>\n<p>Reports from %s up to (not including) %s, "
            "UTC. A key is one (IP address, port, protocol); excluded keys "
            "(allowlisted or rejected) are left out of every figure.</p>\n",
            from, to, STYLE, from, to);
}

int hubreport_write_html(const hubreport *r, FILE *f, c2_err *err)
{
    page_head(f, r);
    section_summary(f, r);
    section_days(f, r);
    section_overlap(f, r);
    section_early(f, r);
    section_lifetime(f, r);
    section_country(f, r);
    fputs("</body>\n</html>\n", f);
    if (fflush(f) != 0 || ferror(f)) return c2_fail_errno(err, "write");
    return 0;
}
