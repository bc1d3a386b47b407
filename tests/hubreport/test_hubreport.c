/*
 * test_hubreport.c: the hub's figures (src/hubreport/).
 *
 *   - a small hand-computed case (3 members, overlapping keys over 4 days,
 *     intel dates before and after the reports, excluded rows, unknown and
 *     lower-case countries, rows outside the range): every figure checked
 *     against the numbers worked out in the comment above it;
 *   - the same rows as JSON, parsed back with jansson and checked, and as
 *     HTML: the tables are there, member names are escaped, nothing
 *     external is referenced;
 *   - edges: no rows, one member, an empty range, unbounded ends, bad
 *     member indices, a range too long;
 *   - more than 8 members (only the sets that occur, by count);
 *   - random inputs against a naive recount of per-day, overlap and early
 *     detection figures.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hubreport/hubreport.h"

#define D0 1796083200000LL              /* 2026-12-01T00:00:00Z */
#define H (3600 * 1000LL)
#define DAY C2_MS_PER_DAY

/* ---- helpers ---- */

/* Key k of the fixture: 198.51.100.k:port/proto. */
static hubreport_row R(uint32_t member, int key, int64_t at, int confirmed, int64_t intel,
                       const char *cc)
{
    static const uint16_t ports[] = { 0, 443, 443, 8080, 53, 8443, 443 };
    static const uint8_t protos[] = { 0, 6, 6, 6, 17, 6, 6 };
    static const uint8_t last[] = { 0, 1, 2, 3, 4, 1, 9 };
    hubreport_row r;
    memset(&r, 0, sizeof r);
    r.member = member;
    r.ip.b[10] = r.ip.b[11] = 0xff;
    r.ip.b[12] = key == 6 ? 203 : 198;
    r.ip.b[13] = key == 6 ? 0 : 51;
    r.ip.b[14] = key == 6 ? 113 : 100;
    r.ip.b[15] = last[key];
    r.port = ports[key];
    r.proto = protos[key];
    r.reported_ms = at;
    r.confirmed = (uint8_t)confirmed;
    r.intel_first_ms = intel;
    snprintf(r.country, sizeof r.country, "%s", cc);
    return r;
}

enum { A_, B_, C_ };
#define I1 (D0 + 2 * DAY + 12 * H)      /* K1 listed by intel */
#define I2 (D0)                         /* K2: listed before anyone reported it */
#define I4 (D0 + 3 * DAY)               /* K4 */

/* K1 = .1:443/tcp, K2 = .2:443/tcp, K3 = .3:8080/tcp (never in intel),
 * K4 = .4:53/udp, K5 = .1:8443/tcp (same IP as K1), K6 = 203.0.113.9
 * (excluded).  Rows 14 and 15 are outside [D0, D0+4d). */
static const hubreport_row *fixture(size_t *n)
{
    static hubreport_row rows[15];
    size_t i = 0;
    rows[i++] = R(A_, 1, D0 + 6 * H, 1, I1, "JP");
    rows[i++] = R(A_, 1, D0 + 18 * H, 1, I1, "jp");
    rows[i++] = R(B_, 1, D0 + DAY + 6 * H, 1, I1, "JP");
    rows[i++] = R(C_, 1, D0 + 2 * DAY, 1, I1, "JP");
    rows[i++] = R(A_, 2, D0 + 12 * H, 1, I2, "US");
    rows[i++] = R(B_, 2, D0 + DAY + 12 * H, 1, I2, "US");
    rows[i++] = R(B_, 3, D0 + DAY, 1, 0, "");
    rows[i++] = R(B_, 3, D0 + 3 * DAY, 1, 0, "");
    rows[i++] = R(C_, 4, D0 + 2 * DAY + 6 * H, 0, I4, "");
    rows[i++] = R(A_, 4, D0 + 2 * DAY + 18 * H, 0, I4, "DE");
    rows[i++] = R(C_, 5, D0 + 3 * DAY + 12 * H, 0, 0, "JP");
    rows[i] = R(A_, 6, D0 + DAY, 1, D0 + 5 * DAY, "NL");
    rows[i++].excluded = 1;
    rows[i] = R(B_, 6, D0 + 2 * DAY, 1, D0 + 5 * DAY, "NL");
    rows[i++].excluded = 1;
    rows[i++] = R(A_, 1, D0 + 4 * DAY, 1, I1, "JP");
    rows[i++] = R(C_, 2, D0 - H, 1, I2, "US");
    *n = i;
    return rows;
}

static const char *const NAMES[] = { "isp-a", "isp-b", "isp-c" };

static hubreport *compute_ok(const hubreport_input *in)
{
    hubreport *r = NULL;
    c2_err err;
    if (hubreport_compute(in, &r, &err) != 0) fail_msg("compute: %s", err.msg);
    assert_non_null(r);
    return r;
}

static hubreport *fixture_report(int64_t from, int64_t to)
{
    hubreport_input in = { NAMES, 3, NULL, 0, from, to };
    in.rows = fixture(&in.nrows);
    return compute_ok(&in);
}

static uint64_t combo(const hubreport *r, uint32_t a, int b, int c)
{
    uint32_t set[3] = { a, (uint32_t)b, (uint32_t)c };
    return hubreport_combo_keys(r, set, b < 0 ? 1 : c < 0 ? 2 : 3);
}

#define assert_near(x, y) assert_true(fabs((double)(x) - (double)(y)) < 1e-9)

/* ---- the hand-computed case ---- */

/* 11 rows counted, 2 outside, 2 excluded (1 key); keys K1..K5, of which
 * K1, K2, K3 confirmed.  Days:
 *   D0 a:K1 a:K1 a:K2        listed 2 conf 2   a 2/2
 *   D1 b:K1 b:K2 b:K3        listed 3 conf 3   b 3/3  (a's K6 excluded)
 *   D2 c:K1 c:K4 a:K4        listed 2 conf 1   a 1/0  c 2/1
 *   D3 b:K3 c:K5             listed 2 conf 1   b 1/1  c 1/0 */
static void test_counts_and_days(void **state)
{
    (void)state;
    hubreport *r = fixture_report(D0, D0 + 4 * DAY);
    assert_int_equal(r->rows, 11);
    assert_int_equal(r->rows_outside, 2);
    assert_int_equal(r->excluded_rows, 2);
    assert_int_equal(r->excluded_keys, 1);
    assert_int_equal(r->keys, 5);
    assert_int_equal(r->confirmed, 3);
    assert_int_equal(r->ndays, 4);
    static const uint64_t listed[4] = { 2, 3, 2, 2 }, conf[4] = { 2, 3, 1, 1 };
    static const uint64_t ml[4][3] = { { 2, 0, 0 }, { 0, 3, 0 }, { 1, 0, 2 }, { 0, 1, 1 } };
    static const uint64_t mc[4][3] = { { 2, 0, 0 }, { 0, 3, 0 }, { 0, 0, 1 }, { 0, 1, 0 } };
    for (int d = 0; d < 4; d++) {
        assert_int_equal(r->days[d].day_ms, D0 + d * DAY);
        assert_int_equal(r->days[d].listed, listed[d]);
        assert_int_equal(r->days[d].confirmed, conf[d]);
        for (int m = 0; m < 3; m++) {
            assert_int_equal(r->days[d].member_listed[m], ml[d][m]);
            assert_int_equal(r->days[d].member_confirmed[m], mc[d][m]);
        }
    }
    /* a: rows 1,2,5,10 keys K1 K2 K4; b: K1 K2 K3; c: K1 K4 K5 */
    static const uint64_t rows[3] = { 4, 4, 3 }, mconf[3] = { 2, 3, 1 };
    for (int m = 0; m < 3; m++) {
        assert_string_equal(r->members[m].name, NAMES[m]);
        assert_int_equal(r->members[m].rows, rows[m]);
        assert_int_equal(r->members[m].keys, 3);
        assert_int_equal(r->members[m].confirmed, mconf[m]);
    }
    hubreport_free(r);
}

/* Sets: K1 {a,b,c}, K2 {a,b}, K3 {b}, K4 {a,c}, K5 {c}. */
static void test_overlap(void **state)
{
    (void)state;
    hubreport *r = fixture_report(D0, D0 + 4 * DAY);
    static const uint64_t expect[7] = { 0, 1, 1, 1, 1, 0, 1 };
    static const size_t sizes[7] = { 1, 1, 1, 2, 2, 2, 3 };
    static const uint32_t first[7] = { 0, 1, 2, 0, 0, 1, 0 };
    assert_int_equal(r->ncombos, 7);
    for (int i = 0; i < 7; i++) {
        assert_int_equal(r->combos[i].nmembers, sizes[i]);
        assert_int_equal(r->combos[i].members[0], first[i]);
        assert_int_equal(r->combos[i].keys, expect[i]);
    }
    assert_int_equal(r->combos[4].members[1], 2);       /* {a,c} before {b,c} */
    assert_int_equal(combo(r, A_, -1, -1), 0);
    assert_int_equal(combo(r, B_, -1, -1), 1);
    assert_int_equal(combo(r, B_, A_, -1), 1);
    assert_int_equal(combo(r, C_, A_, B_), 1);
    assert_int_equal(combo(r, B_, C_, -1), 0);
    static const uint64_t only[3] = { 0, 1, 1 }, shared[3] = { 3, 2, 2 };
    static const uint64_t pairs[9] = { 3, 2, 2, 2, 3, 1, 2, 1, 3 };
    for (int m = 0; m < 3; m++) {
        assert_int_equal(r->members[m].only, only[m]);
        assert_int_equal(r->members[m].shared, shared[m]);
    }
    for (int i = 0; i < 9; i++) assert_int_equal(r->pairs[i], pairs[i]);
    hubreport_free(r);
}

/* K1 intel D2 12:00: a first D0 06:00 (2.25 d earlier), b D1 06:00
 * (1.25), c D2 00:00 (0.5).  K2 intel D0 00:00: nobody earlier (and c's
 * row before D0 is outside the range).  K4 intel D3: c D2 06:00 (0.75),
 * a D2 18:00 (0.25).  Overall: K1 2.25, K4 0.75, K2 not earlier. */
static void test_early_detection(void **state)
{
    (void)state;
    hubreport *r = fixture_report(D0, D0 + 4 * DAY);
    const hubreport_early *a = &r->members[A_].early, *b = &r->members[B_].early,
                          *c = &r->members[C_].early, *all = &r->early;
    assert_int_equal(a->n_intel, 3);
    assert_int_equal(a->n_earlier, 2);
    assert_near(a->rate, 2.0 / 3);
    assert_near(a->mean_days, 1.25);
    assert_near(a->median_days, 1.25);
    assert_int_equal(b->n_intel, 2);
    assert_int_equal(b->n_earlier, 1);
    assert_near(b->rate, 0.5);
    assert_near(b->mean_days, 1.25);
    assert_near(b->median_days, 1.25);
    assert_int_equal(c->n_intel, 2);
    assert_int_equal(c->n_earlier, 2);
    assert_near(c->rate, 1.0);
    assert_near(c->mean_days, 0.625);
    assert_near(c->median_days, 0.625);
    assert_int_equal(all->n_intel, 3);
    assert_int_equal(all->n_earlier, 2);
    assert_near(all->rate, 2.0 / 3);
    assert_near(all->mean_days, 1.5);
    assert_near(all->median_days, 1.5);
    hubreport_free(r);
}

/* Lifetimes: K1 1.75 (its D4 row is outside), K2 1.0, K3 2.0, K4 0.5,
 * K5 0: mean 1.05, median 1.0, p90 = 1.75 + 0.6 * 0.25 = 1.9; whole days
 * 0,0,1,1,2.  Countries (latest row): K1 JP, K2 US, K3 ??, K4 DE (its
 * unknown row is older), K5 JP. */
static void test_lifetime_and_country(void **state)
{
    (void)state;
    hubreport *r = fixture_report(D0, D0 + 4 * DAY);
    const hubreport_lifetime *l = &r->lifetime;
    assert_int_equal(l->count, 5);
    assert_near(l->mean_days, 1.05);
    assert_near(l->median_days, 1.0);
    assert_near(l->p90_days, 1.9);
    static const uint64_t hist[HUBREPORT_LIFETIME_BINS] = { 2, 2, 1, 0, 0, 0, 0 };
    for (int i = 0; i < HUBREPORT_LIFETIME_BINS; i++) assert_int_equal(l->histogram[i], hist[i]);
    assert_string_equal(hubreport_lifetime_bin(2), "2-3");
    assert_string_equal(hubreport_lifetime_bin(6), "31+");

    static const char *codes[4] = { "JP", "DE", "US", "??" };
    static const uint64_t keys[4] = { 2, 1, 1, 1 };
    assert_int_equal(r->ncountries, 4);
    for (int i = 0; i < 4; i++) {
        assert_string_equal(r->countries[i].code, codes[i]);
        assert_int_equal(r->countries[i].keys, keys[i]);
    }
    /* D2: K1 JP, K4 DE -> DE 1, JP 1 (ties by code); D3: K5 JP, K3 ?? */
    assert_int_equal(r->days[2].ncountries, 2);
    assert_string_equal(r->days[2].countries[0].code, "DE");
    assert_string_equal(r->days[2].countries[1].code, "JP");
    assert_int_equal(r->days[1].ncountries, 3);
    assert_string_equal(r->days[3].countries[1].code, "??");
    for (size_t d = 0; d < r->ndays; d++) {
        uint64_t sum = 0;
        for (size_t i = 0; i < r->days[d].ncountries; i++) sum += r->days[d].countries[i].keys;
        assert_int_equal(sum, r->days[d].listed);
    }
    hubreport_free(r);
}

/* A range that does not start at midnight still has whole UTC days; a
 * range of one day's afternoon counts that afternoon only. */
static void test_partial_days(void **state)
{
    (void)state;
    hubreport *r = fixture_report(D0 + 12 * H, D0 + DAY + 7 * H);
    /* D0 from 12:00: a:K1 18:00, a:K2 12:00; D1 to 07:00: b:K3 00:00, b:K1 06:00 */
    assert_int_equal(r->ndays, 2);
    assert_int_equal(r->days[0].day_ms, D0);
    assert_int_equal(r->days[0].listed, 2);
    assert_int_equal(r->days[1].listed, 2);
    assert_int_equal(r->rows, 4);
    assert_int_equal(r->excluded_rows, 1);             /* a:K6 at D1 00:00 */
    assert_int_equal(r->rows_outside, 10);
    hubreport_free(r);
}

/* ---- JSON and HTML ---- */

static char *written(const hubreport *r, int html)
{
    char *buf = NULL;
    size_t len = 0;
    c2_err err;
    FILE *f = open_memstream(&buf, &len);
    assert_non_null(f);
    int rc = html ? hubreport_write_html(r, f, &err) : hubreport_write_json(r, f, &err);
    if (rc != 0) fail_msg("write: %s", err.msg);
    fclose(f);
    return buf;
}

static json_t *path(json_t *o, const char *p)
{
    char key[64];
    while (o && *p) {
        size_t n = strcspn(p, ".");
        snprintf(key, sizeof key, "%.*s", (int)n, p);
        char *end;
        long i = strtol(key, &end, 10);
        o = *end == 0 && json_is_array(o) ? json_array_get(o, (size_t)i) : json_object_get(o, key);
        p += n + (p[n] == '.');
    }
    if (!o) fail_msg("no %s in the JSON", p);
    return o;
}

static long long jint(json_t *o, const char *p)
{
    json_t *v = path(o, p);
    if (!json_is_integer(v)) fail_msg("%s is not an integer", p);
    return (long long)json_integer_value(v);
}

static double jreal(json_t *o, const char *p)
{
    json_t *v = path(o, p);
    if (!json_is_number(v)) fail_msg("%s is not a number", p);
    return json_number_value(v);
}

static const char *jstr(json_t *o, const char *p)
{
    json_t *v = path(o, p);
    if (!json_is_string(v)) fail_msg("%s is not a string", p);
    return json_string_value(v);
}

static void test_json(void **state)
{
    (void)state;
    hubreport *r = fixture_report(D0, D0 + 4 * DAY);
    char *text = written(r, 0);
    json_error_t je;
    json_t *o = json_loads(text, JSON_REJECT_DUPLICATES, &je);
    if (!o) fail_msg("JSON: %s at line %d", je.text, je.line);
    /* top-level keys in the documented order */
    static const char *order[] = { "from", "to", "rows", "rows_outside", "excluded", "keys",
                                   "confirmed", "members", "per_day", "overlap",
                                   "early_detection", "lifetime", "country" };
    const char *prev = text;
    for (size_t i = 0; i < sizeof order / sizeof *order; i++) {
        char quoted[40];
        snprintf(quoted, sizeof quoted, "\n  \"%s\":", order[i]);
        const char *at = strstr(text, quoted);
        assert_non_null(at);
        assert_true(at >= prev);
        prev = at;
    }
    assert_string_equal(jstr(o, "from"), "2026-12-01T00:00:00.000Z");
    assert_string_equal(jstr(o, "to"), "2026-12-05T00:00:00.000Z");
    assert_int_equal(jint(o, "rows"), 11);
    assert_int_equal(jint(o, "rows_outside"), 2);
    assert_int_equal(jint(o, "excluded.keys"), 1);
    assert_int_equal(jint(o, "excluded.rows"), 2);
    assert_int_equal(jint(o, "keys"), 5);
    assert_int_equal(jint(o, "confirmed"), 3);
    assert_string_equal(jstr(o, "members.1.member"), "isp-b");
    assert_int_equal(jint(o, "members.2.rows"), 3);
    assert_int_equal(json_array_size(path(o, "per_day")), 4);
    assert_string_equal(jstr(o, "per_day.2.day"), "2026-12-03");
    assert_int_equal(jint(o, "per_day.2.listed"), 2);
    assert_int_equal(jint(o, "per_day.2.confirmed"), 1);
    assert_string_equal(jstr(o, "per_day.2.members.2.member"), "isp-c");
    assert_int_equal(jint(o, "per_day.2.members.2.listed"), 2);
    assert_int_equal(jint(o, "per_day.2.members.2.confirmed"), 1);
    assert_int_equal(jint(o, "overlap.members.1.only"), 1);
    assert_int_equal(jint(o, "overlap.members.0.shared"), 3);
    assert_int_equal(json_array_size(path(o, "overlap.combinations")), 7);
    assert_string_equal(jstr(o, "overlap.combinations.6.members.2"), "isp-c");
    assert_int_equal(jint(o, "overlap.combinations.6.keys"), 1);
    assert_int_equal(jint(o, "overlap.combinations.0.keys"), 0);
    assert_int_equal(jint(o, "overlap.pairwise.keys.1.2"), 1);
    assert_string_equal(jstr(o, "overlap.pairwise.members.0"), "isp-a");
    assert_near(jreal(o, "early_detection.overall.rate"), 0.6667);
    assert_near(jreal(o, "early_detection.overall.mean_days_earlier"), 1.5);
    assert_int_equal(jint(o, "early_detection.members.2.n_earlier"), 2);
    assert_near(jreal(o, "early_detection.members.2.median_days_earlier"), 0.625);
    assert_near(jreal(o, "lifetime.p90_days"), 1.9);
    assert_string_equal(jstr(o, "lifetime.histogram.2.days"), "2-3");
    assert_int_equal(jint(o, "lifetime.histogram.1.keys"), 2);
    assert_string_equal(jstr(o, "country.totals.3.country"), "??");
    assert_int_equal(jint(o, "country.totals.0.keys"), 2);
    assert_string_equal(jstr(o, "country.per_day.2.countries.0.country"), "DE");
    assert_string_equal(jstr(o, "country.per_day.0.day"), "2026-12-01");
    json_decref(o);
    free(text);
    hubreport_free(r);
}

static size_t count(const char *hay, const char *needle)
{
    size_t n = 0;
    for (const char *p = hay; (p = strstr(p, needle)); p++) n++;
    return n;
}

static void test_html(void **state)
{
    (void)state;
    static const char *const names[] = { "a<script>x", "b&c", "d\"e'" };
    hubreport_input in = { names, 3, NULL, 0, D0, D0 + 4 * DAY };
    in.rows = fixture(&in.nrows);
    hubreport *r = compute_ok(&in);
    char *html = written(r, 1);
    assert_true(strncmp(html, "<!DOCTYPE html>", 15) == 0);
    assert_non_null(strstr(html, "</html>\n"));
    assert_non_null(strstr(html, "a&lt;script&gt;x"));
    assert_non_null(strstr(html, "b&amp;c"));
    assert_non_null(strstr(html, "d&quot;e&#39;"));
    assert_null(strstr(html, "<script"));
    assert_null(strstr(html, "b&c"));
    assert_null(strstr(html, "src="));
    assert_null(strstr(html, "href="));
    assert_int_equal(count(html, "http"), count(html, "http://www.w3.org/2000/svg"));
    /* summary, members, per day, 3 overlap, early, lifetime x2, country x2 */
    assert_int_equal(count(html, "<table>"), 11);
    assert_int_equal(count(html, "<table>"), count(html, "</table>"));
    assert_int_equal(count(html, "<tr>"), count(html, "</tr>"));
    assert_int_equal(count(html, "<svg "), count(html, "</svg>"));
    assert_int_equal(count(html, "<svg "), 3);
    for (const char *id = "summary\0per-day\0overlap\0early-detection\0lifetime\0country\0";
         *id; id += strlen(id) + 1) {
        char want[64];
        snprintf(want, sizeof want, "id=\"%s\"", id);
        assert_non_null(strstr(html, want));
    }
    assert_non_null(strstr(html, "<td class=\"l\">2026-12-03</td><td>2</td><td>1</td>"));
    free(html);
    hubreport_free(r);
}

/* The rows' order does not matter: the fixture reversed and shuffled
 * writes the same JSON. */
static void test_order(void **state)
{
    (void)state;
    size_t n;
    const hubreport_row *rows = fixture(&n);
    hubreport_row copy[16];
    uint64_t s = 12345;
    for (size_t i = 0; i < n; i++) copy[i] = rows[n - 1 - i];
    hubreport *r0 = fixture_report(D0, D0 + 4 * DAY);
    char *want = written(r0, 0);
    hubreport_free(r0);
    for (int round = 0; round < 5; round++) {
        hubreport_input in = { NAMES, 3, copy, n, D0, D0 + 4 * DAY };
        hubreport *r = compute_ok(&in);
        char *got = written(r, 0);
        assert_string_equal(got, want);
        free(got);
        hubreport_free(r);
        for (size_t i = n - 1; i > 0; i--) {
            s = s * 6364136223846793005ULL + 1442695040888963407ULL;
            size_t j = (size_t)(s >> 33) % (i + 1);
            hubreport_row t = copy[i];
            copy[i] = copy[j];
            copy[j] = t;
        }
    }
    free(want);
}

/* ---- edges ---- */

static void test_no_rows(void **state)
{
    (void)state;
    hubreport_input in = { NAMES, 3, NULL, 0, D0, D0 + 2 * DAY };
    hubreport *r = compute_ok(&in);
    assert_int_equal(r->keys, 0);
    assert_int_equal(r->ndays, 2);
    assert_int_equal(r->days[1].listed, 0);
    assert_int_equal(r->ncombos, 7);
    for (size_t i = 0; i < 7; i++) assert_int_equal(r->combos[i].keys, 0);
    assert_true(isnan(r->early.rate));
    assert_true(isnan(r->lifetime.median_days));
    assert_int_equal(r->ncountries, 0);
    char *text = written(r, 0);
    json_t *o = json_loads(text, 0, NULL);
    assert_non_null(o);
    assert_true(json_is_null(path(o, "early_detection.overall.rate")));
    assert_true(json_is_null(path(o, "lifetime.mean_days")));
    assert_int_equal(jint(o, "lifetime.count"), 0);
    json_decref(o);
    free(text);
    free(written(r, 1));
    hubreport_free(r);
}

/* One member: one set; a report at the very time intel listed it is not
 * earlier; K1 moved from JP to US, so it counts as US on every day. */
static void test_one_member(void **state)
{
    (void)state;
    hubreport_row rows[4] = { R(0, 1, D0, 1, D0 + DAY, "JP"), R(0, 1, D0 + 2 * DAY, 1, D0 + DAY, "US"),
                              R(0, 2, D0 + H, 0, 0, ""), R(0, 3, D0 + 2 * H, 0, D0 + 2 * H, "JP") };
    hubreport_input in = { NAMES, 1, rows, 4, D0, D0 + 3 * DAY };
    hubreport *r = compute_ok(&in);
    assert_int_equal(r->ncombos, 1);
    assert_int_equal(r->combos[0].keys, 3);
    assert_int_equal(r->members[0].only, 3);
    assert_int_equal(r->members[0].shared, 0);
    assert_int_equal(r->pairs[0], 3);
    assert_int_equal(r->early.n_intel, 2);
    assert_int_equal(r->early.n_earlier, 1);
    assert_near(r->early.rate, 0.5);
    assert_near(r->early.mean_days, 1.0);
    assert_near(r->lifetime.mean_days, 2.0 / 3);
    assert_int_equal(r->days[0].listed, 3);
    assert_int_equal(r->days[1].listed, 0);
    assert_int_equal(r->days[2].listed, 1);
    assert_int_equal(r->days[0].ncountries, 3);
    assert_string_equal(r->days[0].countries[0].code, "JP");   /* K3 */
    assert_string_equal(r->days[0].countries[1].code, "US");   /* K1 */
    assert_string_equal(r->days[0].countries[2].code, "??");
    assert_string_equal(r->days[2].countries[0].code, "US");
    hubreport_free(r);
}

static void test_empty_range(void **state)
{
    (void)state;
    hubreport_input in = { NAMES, 3, NULL, 0, D0, D0 };
    in.rows = fixture(&in.nrows);
    hubreport *r = compute_ok(&in);
    assert_int_equal(r->ndays, 0);
    assert_int_equal(r->rows, 0);
    assert_int_equal(r->rows_outside, in.nrows);
    assert_int_equal(r->keys, 0);
    hubreport_free(r);
    in.to_ms = D0 - DAY;                                /* backwards: empty too */
    r = compute_ok(&in);
    assert_int_equal(r->ndays, 0);
    assert_int_equal(r->rows_outside, in.nrows);
    free(written(r, 1));
    hubreport_free(r);
}

/* Unbounded ends narrow the days to the rows: D0-1h .. D4 is 6 days. */
static void test_unbounded(void **state)
{
    (void)state;
    hubreport *r = fixture_report(C2_TIME_MIN, C2_TIME_MAX);
    assert_int_equal(r->rows, 13);
    assert_int_equal(r->rows_outside, 0);
    assert_int_equal(r->ndays, 6);
    assert_int_equal(r->days[0].day_ms, D0 - DAY);
    assert_int_equal(r->days[5].listed, 1);
    assert_int_equal(r->members[C_].early.n_earlier, 3);   /* K2 now reported before intel */
    char *text = written(r, 0);
    json_t *o = json_loads(text, 0, NULL);
    assert_true(json_is_null(path(o, "from")));
    assert_true(json_is_null(path(o, "to")));
    json_decref(o);
    free(text);
    hubreport_free(r);
    hubreport_input in = { NAMES, 3, NULL, 0, C2_TIME_MIN, C2_TIME_MAX };
    r = compute_ok(&in);
    assert_int_equal(r->ndays, 0);
    hubreport_free(r);
}

static void test_bad_input(void **state)
{
    (void)state;
    hubreport *r = (hubreport *)1;
    c2_err err;
    hubreport_row rows[1] = { R(3, 1, D0, 1, 0, "JP") };
    hubreport_input in = { NAMES, 3, rows, 1, D0, D0 + DAY };
    assert_int_equal(hubreport_compute(&in, &r, &err), -1);
    assert_null(r);
    assert_non_null(strstr(err.msg, "row 0"));
    in.nrows = 0;
    in.to_ms = D0 + (int64_t)(HUBREPORT_MAX_DAYS + 1) * DAY;
    assert_int_equal(hubreport_compute(&in, &r, &err), -1);
    assert_non_null(strstr(err.msg, "days"));
    in.to_ms = D0 + (int64_t)HUBREPORT_MAX_DAYS * DAY;
    r = compute_ok(&in);
    assert_int_equal(r->ndays, HUBREPORT_MAX_DAYS);
    hubreport_free(r);
    const char *const holes[] = { "a", NULL };
    hubreport_input in2 = { holes, 2, NULL, 0, D0, D0 + DAY };
    assert_int_equal(hubreport_compute(&in2, &r, &err), -1);
    hubreport_free(NULL);
}

/* ---- many members ---- */

/* 10 members: only the sets that occur, by keys descending, then size,
 * then members; {0,1} x 3 keys, {2} x 2, {9} x 1, {3,4,5} x 1. */
static void test_many_members(void **state)
{
    (void)state;
    static const char *const names[10] = { "m0", "m1", "m2", "m3", "m4",
                                           "m5", "m6", "m7", "m8", "m9" };
    hubreport_row rows[64];
    size_t n = 0;
    for (int k = 1; k <= 3; k++) {
        rows[n++] = R(0, 1, D0 + k * H, 0, 0, "JP");
        rows[n++] = R(1, 1, D0 + k * H, 0, 0, "JP");
        rows[n - 1].port = rows[n - 2].port = (uint16_t)(1000 + k);
    }
    for (int k = 1; k <= 2; k++) {
        rows[n] = R(2, 2, D0, 0, 0, "JP");
        rows[n++].port = (uint16_t)(2000 + k);
    }
    rows[n++] = R(9, 3, D0, 0, 0, "JP");
    for (uint32_t m = 3; m <= 5; m++) rows[n++] = R(m, 4, D0 + m * H, 0, 0, "JP");
    hubreport_input in = { names, 10, rows, n, D0, D0 + DAY };
    hubreport *r = compute_ok(&in);
    assert_int_equal(r->keys, 7);
    assert_int_equal(r->ncombos, 4);
    assert_int_equal(r->combos[0].keys, 3);
    assert_int_equal(r->combos[0].nmembers, 2);
    assert_int_equal(r->combos[1].keys, 2);
    assert_int_equal(r->combos[1].members[0], 2);
    assert_int_equal(r->combos[2].keys, 1);            /* {9} before {3,4,5}: smaller */
    assert_int_equal(r->combos[2].members[0], 9);
    assert_int_equal(r->combos[3].nmembers, 3);
    uint32_t set[3] = { 5, 3, 4 };
    assert_int_equal(hubreport_combo_keys(r, set, 3), 1);
    assert_int_equal(hubreport_combo_keys(r, set, 2), 0);
    assert_int_equal(r->pairs[0 * 10 + 1], 3);
    assert_int_equal(r->pairs[3 * 10 + 5], 1);
    assert_int_equal(r->members[9].only, 1);
    assert_int_equal(r->members[4].shared, 1);
    hubreport_free(r);
}

/* ---- against a naive recount ---- */

static int same_key(const hubreport_row *a, const hubreport_row *b)
{
    return !memcmp(&a->ip, &b->ip, sizeof a->ip) && a->port == b->port && a->proto == b->proto;
}

static uint64_t rnd(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

/* Random rows of few keys; returns how many. Intel dates are per key. */
static size_t random_rows(hubreport_row *rows, size_t n, uint32_t nm, uint64_t *s)
{
    int64_t intel[40];
    for (int k = 0; k < 40; k++)
        intel[k] = rnd(s) % 3 ? D0 + (int64_t)(rnd(s) % (6 * DAY)) - DAY : 0;
    for (size_t i = 0; i < n; i++) {
        int k = (int)(rnd(s) % 40);
        rows[i] = R((uint32_t)(rnd(s) % nm), 1, D0 - DAY + (int64_t)(rnd(s) % (7 * DAY)),
                    k % 3 == 0, intel[k], k % 5 ? "JP" : "");
        rows[i].ip.b[15] = (uint8_t)k;
        rows[i].excluded = k == 7;
    }
    return n;
}

/* Member set of the key of row i as a mask, by scanning every row. */
static unsigned naive_set(const hubreport_input *in, size_t i, int64_t *first_any,
                          int64_t *first_m)
{
    unsigned set = 0;
    *first_any = INT64_MAX;
    for (uint32_t m = 0; m < in->nmembers; m++) first_m[m] = INT64_MAX;
    for (size_t j = 0; j < in->nrows; j++) {
        const hubreport_row *x = &in->rows[j];
        if (!same_key(x, &in->rows[i]) || x->excluded || x->reported_ms < in->from_ms ||
            x->reported_ms >= in->to_ms)
            continue;
        set |= 1u << x->member;
        if (x->reported_ms < *first_any) *first_any = x->reported_ms;
        if (x->reported_ms < first_m[x->member]) first_m[x->member] = x->reported_ms;
    }
    return set;
}

/* Is row i the first in-range, counted row of its key (and, with day >= 0
 * and member >= 0, of that day and member)? */
static int first_of(const hubreport_input *in, size_t i, int64_t day, int member)
{
    for (size_t j = 0; j < i; j++) {
        const hubreport_row *x = &in->rows[j];
        if (!same_key(x, &in->rows[i]) || x->excluded || x->reported_ms < in->from_ms ||
            x->reported_ms >= in->to_ms)
            continue;
        if (day >= 0 && (x->reported_ms - D0 + DAY) / DAY != day) continue;
        if (member >= 0 && x->member != (uint32_t)member) continue;
        return 0;
    }
    return 1;
}

static void naive_check(const hubreport_input *in, const hubreport *r)
{
    uint64_t combos[256] = { 0 }, listed[8] = { 0 }, mlisted[8][8] = { { 0 } };
    uint64_t n_intel = 0, n_earlier = 0, m_intel[8] = { 0 }, m_earlier[8] = { 0 };
    int64_t first_any, first_m[8];
    for (size_t i = 0; i < in->nrows; i++) {
        const hubreport_row *x = &in->rows[i];
        if (x->excluded || x->reported_ms < in->from_ms || x->reported_ms >= in->to_ms) continue;
        int64_t day = (x->reported_ms - D0 + DAY) / DAY;        /* D0 - 1 day is 0 */
        listed[day] += (uint64_t)first_of(in, i, day, -1);
        mlisted[day][x->member] += (uint64_t)first_of(in, i, day, (int)x->member);
        if (!first_of(in, i, -1, -1)) continue;
        unsigned set = naive_set(in, i, &first_any, first_m);
        combos[set]++;
        if (!x->intel_first_ms) continue;
        n_intel++;
        n_earlier += first_any < x->intel_first_ms;
        for (uint32_t m = 0; m < in->nmembers; m++) {
            if (!(set & (1u << m))) continue;
            m_intel[m]++;
            m_earlier[m] += first_m[m] < x->intel_first_ms;
        }
    }
    for (size_t d = 0; d < r->ndays; d++) {
        int64_t day = (r->days[d].day_ms - D0 + DAY) / DAY;
        assert_int_equal(r->days[d].listed, listed[day]);
        for (uint32_t m = 0; m < in->nmembers; m++)
            assert_int_equal(r->days[d].member_listed[m], mlisted[day][m]);
    }
    for (unsigned set = 1; set < (1u << in->nmembers); set++) {
        uint32_t list[8];
        size_t n = 0;
        for (uint32_t m = 0; m < in->nmembers; m++)
            if (set & (1u << m)) list[n++] = m;
        assert_int_equal(hubreport_combo_keys(r, list, n), combos[set]);
    }
    assert_int_equal(r->early.n_intel, n_intel);
    assert_int_equal(r->early.n_earlier, n_earlier);
    for (uint32_t m = 0; m < in->nmembers; m++) {
        assert_int_equal(r->members[m].early.n_intel, m_intel[m]);
        assert_int_equal(r->members[m].early.n_earlier, m_earlier[m]);
    }
}

static void test_against_naive(void **state)
{
    (void)state;
    static const char *const names[8] = { "a", "b", "c", "d", "e", "f", "g", "h" };
    hubreport_row rows[400];
    uint64_t s = 0x9e3779b97f4a7c15ULL;
    for (int round = 0; round < 40; round++) {
        uint32_t nm = 1 + (uint32_t)(round % 8);
        hubreport_input in = { names, nm, rows, 0, D0, D0 + 4 * DAY };
        in.nrows = random_rows(rows, 50 + rnd(&s) % 350, nm, &s);
        if (round % 4 == 1) in.from_ms = D0 - DAY + 5 * H;
        hubreport *r = compute_ok(&in);
        naive_check(&in, r);
        hubreport_free(r);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_counts_and_days),
        cmocka_unit_test(test_overlap),
        cmocka_unit_test(test_early_detection),
        cmocka_unit_test(test_lifetime_and_country),
        cmocka_unit_test(test_partial_days),
        cmocka_unit_test(test_json),
        cmocka_unit_test(test_html),
        cmocka_unit_test(test_order),
        cmocka_unit_test(test_no_rows),
        cmocka_unit_test(test_one_member),
        cmocka_unit_test(test_empty_range),
        cmocka_unit_test(test_unbounded),
        cmocka_unit_test(test_bad_input),
        cmocka_unit_test(test_many_members),
        cmocka_unit_test(test_against_naive),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
