/*
 * allow.c: allowlists, prefixes that must never be listed, each with the
 * reason an analyst is shown ("public-resolvers.txt: Google Public DNS").
 *
 * Two formats.  A prefix file has one address or prefix a line (parsed by
 * ipset_parse, so "10.0.0.1/8" is 10.0.0.0/8), '#' comments, and a trailing
 * ',' allowed; an entry's reason is its file name and the comment on its
 * line, else the comment line above its group (a whole-line comment becomes
 * the heading of the lines after it until a blank line), as in
 * allowlists/public-resolvers.txt.  A MISP warninglist is JSON with "name",
 * "type" and "list": type "cidr" must be all prefixes, type "string" may
 * mix in other text (skipped, counted); its reason is "NAME (file)".
 *
 * The set answers "which reason?", not just "is it in?", so it cannot be
 * an ipset (which merges prefixes).  CIDR prefixes either nest or are
 * disjoint, so they form a forest: sorted by (start, wider first), each
 * prefix records its nearest enclosing one (found with a stack while
 * indexing).  Every prefix holding an address starts at or before it, and
 * holds the last prefix that starts at or before it, so a lookup binary-
 * searches that last prefix and climbs its enclosing chain (at most 128
 * steps) to the first one holding the address: the most specific.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "evaluate/evaluate_impl.h"
#include "ipset/ipset.h"

#define NO_PARENT UINT32_MAX

typedef struct allow_prefix {
    flow_addr lo, hi;                   /* inclusive, IPv4 mapped */
    uint32_t  reason;                   /* index in reasons */
    uint32_t  parent;                   /* nearest enclosing prefix, NO_PARENT */
    uint64_t  seq;                      /* load order: the first of equals wins */
} allow_prefix;

struct evaluate_allow {
    allow_prefix *p;                    /* sorted by (lo, hi descending, seq) */
    size_t        n, cap;
    char        **reasons;
    size_t        nreasons, capreasons;
    uint64_t      seq;
};

int evaluate_allow_new(evaluate_allow **out, c2_err *err)
{
    *out = calloc(1, sizeof **out);
    return *out ? 0 : c2_fail(err, "out of memory");
}

void evaluate_allow_free(evaluate_allow *a)
{
    if (!a) return;
    for (size_t i = 0; i < a->nreasons; i++) free(a->reasons[i]);
    free(a->reasons);
    free(a->p);
    free(a);
}

size_t evaluate_allow_count(const evaluate_allow *a) { return a ? a->n : 0; }

/* ---- building ---- */

/* Add a reason "list: text" (or "list" when text is empty); its index or
 * -1 when out of memory. */
static int64_t reason_add(evaluate_allow *a, const char *list, const char *text, size_t tlen)
{
    char clean[EVALUATE_REASON_MAX], full[2 * EVALUATE_REASON_MAX];
    evaluate_text_copy(clean, sizeof clean, text, tlen);
    snprintf(full, sizeof full, "%s%s%s", list, *clean ? ": " : "", clean);
    evaluate_text_copy(clean, sizeof clean, full, strlen(full));
    /* lines of one group share the reason */
    if (a->nreasons && !strcmp(a->reasons[a->nreasons - 1], clean)) return (int64_t)a->nreasons - 1;
    if (a->nreasons >= UINT32_MAX - 1) return -1;
    if (a->nreasons == a->capreasons) {
        size_t cap = a->capreasons ? a->capreasons * 2 : 16;
        char **v = realloc(a->reasons, cap * sizeof *v);
        if (!v) return -1;
        a->reasons = v;
        a->capreasons = cap;
    }
    char *r = strdup(clean);
    if (!r) return -1;
    a->reasons[a->nreasons] = r;
    return (int64_t)a->nreasons++;
}

static int prefix_add(evaluate_allow *a, const flow_addr *base, unsigned len, uint32_t reason)
{
    if (a->n >= NO_PARENT - 1) return -1;           /* indexes are 32 bits */
    if (a->n == a->cap) {
        size_t cap = a->cap ? a->cap * 2 : 64;
        allow_prefix *v = realloc(a->p, cap * sizeof *v);
        if (!v) return -1;
        a->p = v;
        a->cap = cap;
    }
    allow_prefix *p = &a->p[a->n++];
    p->lo = p->hi = *base;
    for (unsigned bit = len; bit < 128; bit++) p->hi.b[bit / 8] |= (uint8_t)(0x80 >> (bit % 8));
    p->reason = reason;
    p->parent = NO_PARENT;
    p->seq = a->seq++;
    return 0;
}

static int prefix_cmp(const void *x, const void *y)
{
    const allow_prefix *a = x, *b = y;
    int c = memcmp(a->lo.b, b->lo.b, 16);
    if (c) return c;
    if ((c = memcmp(b->hi.b, a->hi.b, 16))) return c;
    return a->seq < b->seq ? -1 : a->seq > b->seq;
}

static int holds(const allow_prefix *p, const flow_addr *x)
{
    return memcmp(p->lo.b, x->b, 16) <= 0 && memcmp(x->b, p->hi.b, 16) <= 0;
}

/* Sort, keep the first of equal prefixes, link each to its parent. */
static void reindex(evaluate_allow *a)
{
    qsort(a->p, a->n, sizeof *a->p, prefix_cmp);
    size_t o = 0;
    uint32_t stack[129];
    int top = 0;
    for (size_t i = 0; i < a->n; i++) {
        if (o && !memcmp(a->p[i].lo.b, a->p[o - 1].lo.b, 16) &&
            !memcmp(a->p[i].hi.b, a->p[o - 1].hi.b, 16))
            continue;
        allow_prefix p = a->p[i];
        while (top && !holds(&a->p[stack[top - 1]], &p.lo)) top--;
        p.parent = top ? stack[top - 1] : NO_PARENT;
        a->p[o] = p;
        stack[top++] = (uint32_t)o++;
    }
    a->n = o;
}

/* ---- prefix files ---- */

/* One entry line (writable, trimmed): the prefix and any trailing comment. */
static int entry_line(evaluate_allow *a, char *s, const char *list, const char *heading,
                      c2_err *err)
{
    char *hash = strchr(s, '#'), *comment = "";
    if (hash) {
        *hash = '\0';
        comment = hash + 1;
        while (*comment == '#' || *comment == ' ' || *comment == '\t') comment++;
    }
    size_t n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t')) n--;
    if (n && s[n - 1] == ',') n--;
    s[n] = '\0';
    flow_addr base;
    unsigned len;
    if (ipset_parse(s, &base, &len, err) != 0) return -1;
    const char *text = *comment ? comment : heading;
    int64_t r = reason_add(a, list, text, strlen(text));
    if (r < 0 || prefix_add(a, &base, len, (uint32_t)r) != 0)
        return c2_fail(err, "out of memory");
    return 0;
}

static int load_lines(evaluate_allow *a, const void *buf, size_t len, const char *list,
                      evaluate_stats *st, c2_err *err)
{
    c2_lines *r = c2_lines_new(NULL, buf, len, EVALUATE_LINE_MAX);
    if (!r) return c2_fail(err, "out of memory");
    char heading[EVALUATE_REASON_MAX] = "";
    int rc;
    while ((rc = c2_lines_next(r, err)) == 1) {
        st->lines++;
        char *s = r->line;
        while (*s == ' ' || *s == '\t') s++;
        if (strlen(r->line) != r->len) { rc = c2_fail(err, "line %llu: NUL byte", (unsigned long long)r->lineno); break; }
        if (*s == '#') {
            while (*s == '#' || *s == ' ' || *s == '\t') s++;
            evaluate_text_copy(heading, sizeof heading, s, strlen(s));
            continue;
        }
        if (r->too_long) { rc = c2_fail(err, "line %llu: too long", (unsigned long long)r->lineno); break; }
        if (!*s) { heading[0] = '\0'; continue; }
        if (entry_line(a, s, list, heading, err) != 0) {
            c2_err_prefix(err, "line %llu", (unsigned long long)r->lineno);
            rc = -1;
            break;
        }
        st->entries++;
    }
    c2_lines_free(r);
    return rc;
}

/* ---- MISP warninglists ---- */

static int load_items(evaluate_allow *a, json_t *list, int strict, uint32_t reason,
                      evaluate_stats *st, c2_err *err)
{
    size_t i;
    json_t *item;
    json_array_foreach(list, i, item) {
        st->lines++;
        const char *s = json_string_value(item);
        flow_addr base;
        unsigned len;
        c2_err perr;
        if (s && ipset_parse(s, &base, &len, &perr) == 0) {
            if (prefix_add(a, &base, len, reason) != 0) return c2_fail(err, "out of memory");
            st->entries++;
        } else if (strict) {
            return c2_fail(err, "list item %zu: %s", i + 1, s ? perr.msg : "not a string");
        } else {
            st->other++;
        }
    }
    return 0;
}

static int load_warninglist(evaluate_allow *a, const void *buf, size_t len,
                            const char *list, evaluate_stats *st, c2_err *err)
{
    json_error_t jerr;
    if (len >= 3 && !memcmp(buf, "\xef\xbb\xbf", 3)) buf = (const uint8_t *)buf + 3, len -= 3;
    json_t *root = json_loadb(buf, len, 0, &jerr);
    if (!root) return c2_fail(err, "line %d: %s", jerr.line, jerr.text);
    int rc = -1;
    json_t *items = json_object_get(root, "list");
    const char *type = json_string_value(json_object_get(root, "type"));
    const char *name = json_string_value(json_object_get(root, "name"));
    if (!json_is_object(root)) c2_fail(err, "not a JSON object (a MISP warninglist)");
    else if (!json_is_array(items)) c2_fail(err, "no \"list\" array (a MISP warninglist)");
    else if (!type || (strcmp(type, "cidr") && strcmp(type, "string")))
        c2_fail(err, "warninglist type \"%.32s\" holds no addresses (cidr or string wanted)",
                type ? type : "(none)");
    else {
        char text[EVALUATE_REASON_MAX];
        snprintf(text, sizeof text, "%s (%s)", name && *name ? name : list, list);
        int64_t r = name && *name ? reason_add(a, text, "", 0) : reason_add(a, list, "", 0);
        if (r < 0) c2_fail(err, "out of memory");
        else rc = load_items(a, items, !strcmp(type, "cidr"), (uint32_t)r, st, err);
    }
    json_decref(root);
    return rc;
}

/* ---- loading ---- */

static int is_json(const uint8_t *b, size_t len)
{
    size_t i = len >= 3 && !memcmp(b, "\xef\xbb\xbf", 3) ? 3 : 0;
    while (i < len && (b[i] == ' ' || b[i] == '\t' || b[i] == '\r' || b[i] == '\n')) i++;
    return i < len && b[i] == '{';
}

int evaluate_allow_load_mem(evaluate_allow *a, const void *buf, size_t len,
                            const char *name, evaluate_stats *st, c2_err *err)
{
    evaluate_stats local;
    if (!st) st = &local;
    memset(st, 0, sizeof *st);
    size_t n = a->n, nreasons = a->nreasons;
    const char *list = evaluate_basename(name);
    int rc = is_json(buf, len) ? load_warninglist(a, buf, len, list, st, err)
                               : load_lines(a, buf, len, list, st, err);
    if (rc == 0 && st->entries == 0) rc = c2_fail(err, "no address or prefix");
    if (rc != 0) {
        a->n = n;
        while (a->nreasons > nreasons) free(a->reasons[--a->nreasons]);
        c2_err_prefix(err, "%s", name);
        evaluate_err_clean(err);
        return -1;
    }
    reindex(a);
    return 0;
}

int evaluate_allow_load_file(evaluate_allow *a, const char *path, evaluate_stats *st,
                             c2_err *err)
{
    uint8_t *buf;
    size_t len;
    if (st) memset(st, 0, sizeof *st);
    if (evaluate_file_read(path, &buf, &len, err) != 0) return -1;
    int rc = evaluate_allow_load_mem(a, buf, len, path, st, err);
    free(buf);
    return rc;
}

const char *evaluate_allow_match(const evaluate_allow *a, const flow_addr *ip)
{
    if (!a || !a->n) return NULL;
    size_t lo = 0, hi = a->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (memcmp(a->p[mid].lo.b, ip->b, 16) <= 0) lo = mid + 1;
        else hi = mid;
    }
    for (uint32_t i = lo ? (uint32_t)(lo - 1) : NO_PARENT; i != NO_PARENT; i = a->p[i].parent)
        if (holds(&a->p[i], ip)) return a->reasons[a->p[i].reason];
    return NULL;
}
