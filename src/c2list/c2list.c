/*
 * c2list.c: the list in memory: rows, the key index, sorting, and the text
 * forms of protocols and times that both serialisations use.
 *
 * Rows live in one growing array.  The key index is an open-addressing
 * hash table of row numbers (+1, so 0 is an empty slot), at most half full,
 * rebuilt after a sort; it makes c2list_add's duplicate check and
 * c2list_find O(1), so reading a list of millions of rows stays linear.
 *
 * Invariants (asserted by the tests and the fuzz target): every row passed
 * entry_check; no two rows share a key; the index holds every row once.
 */
#include "c2list/c2list.h"

#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

struct c2list {
    c2_entry *rows;
    size_t    n, cap;
    uint32_t *slots;                /* row + 1, 0 = empty */
    size_t    nslots;               /* power of two, 0 before the first add */
};

/* ---- entries ---- */

void c2_entry_init(c2_entry *e)
{
    memset(e, 0, sizeof *e);
}

static int method_ok(const char *m)
{
    size_t n = strnlen(m, C2LIST_METHOD_MAX);
    if (n == C2LIST_METHOD_MAX) return 0;
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)m[i]) && !strchr("_.+-", m[i])) return 0;
    return 1;
}

/* Four dot-separated numbers from s[i]: an IPv4 address or looks like one. */
static int dotted_quad_at(const char *s, size_t i)
{
    int groups = 0;
    for (;;) {
        size_t d = i;
        while (isdigit((unsigned char)s[i])) i++;
        if (i == d) return 0;
        if (++groups == 4) return 1;
        if (s[i] != '.') return 0;
        i++;
    }
}

/* Whether s could hold an IPv4 address (four dotted numbers) or an IPv6
 * one (two colons or more). */
static int holds_address(const char *s)
{
    size_t colons = 0;
    for (size_t i = 0; s[i]; i++) {
        colons += s[i] == ':';
        if (isdigit((unsigned char)s[i]) && (i == 0 || !isdigit((unsigned char)s[i - 1])) &&
            dotted_quad_at(s, i))
            return 1;
    }
    return colons > 1;
}

static int category_char(char c)
{
    return isalnum((unsigned char)c) || (c && strchr(" ._+-:/()", c));
}

int c2list_category_ok(const char *s)
{
    size_t n = strnlen(s, C2LIST_CATEGORY_MAX);
    if (n == C2LIST_CATEGORY_MAX) return 0;
    if (n && (s[0] == ' ' || s[n - 1] == ' ')) return 0;     /* CSV drops them */
    for (size_t i = 0; i < n; i++)
        if (!category_char(s[i])) return 0;
    return !holds_address(s);
}

char *c2list_category_clean(const char *s, char *buf, size_t len)
{
    size_t n = 0, max = len < C2LIST_CATEGORY_MAX ? len : C2LIST_CATEGORY_MAX;
    int colon = 0;
    if (!max) return buf;
    while (isspace((unsigned char)*s)) s++;
    size_t end = strlen(s);
    while (end && isspace((unsigned char)s[end - 1])) end--;
    for (size_t i = 0; i < end && n + 1 < max; i++) {
        char c = category_char(s[i]) ? s[i] : '_';
        if (c == ':' && colon++) c = '_';
        buf[n++] = c;
    }
    while (n && buf[n - 1] == ' ') n--;
    buf[n] = '\0';
    if (holds_address(buf)) buf[0] = '\0';
    return buf;
}

static int bad_category(c2_err *err)
{
    return c2_fail(err, "category must be 0-%d of A-Z a-z 0-9 space . _ + - : / ( ), no blank "
                   "at either end, no address", C2LIST_CATEGORY_MAX - 1);
}

static int entry_check(const c2_entry *e, c2_err *err)
{
    if (!(e->score >= 0.0 && e->score <= 100.0))
        return c2_fail(err, "score %g not in 0-100", e->score);
    if (e->first_seen < 0 || e->last_seen < 0)
        return c2_fail(err, "time before 1970");
    if (e->first_seen > C2LIST_TIME_MAX || e->last_seen > C2LIST_TIME_MAX)
        return c2_fail(err, "time after 9999");
    if (e->first_seen && e->last_seen && e->last_seen < e->first_seen)
        return c2_fail(err, "last_seen before first_seen");
    if (!method_ok(e->method))
        return c2_fail(err, "method must be 1-%d of A-Z a-z 0-9 _ . + -",
                       C2LIST_METHOD_MAX - 1);
    if (!c2list_category_ok(e->category)) return bad_category(err);
    return 0;
}

/* ---- the key index ---- */

static uint64_t key_hash(const flow_addr *ip, uint16_t port, uint8_t proto)
{
    uint64_t h = c2_get64(ip->b) * 0x9e3779b97f4a7c15ull;
    h ^= c2_get64(ip->b + 8) + 0x632be59bd9b4e019ull + (h << 6) + (h >> 2);
    h ^= ((uint64_t)port << 8 | proto) * 0xff51afd7ed558ccdull;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ull;
    return h ^ (h >> 29);
}

static int key_eq(const c2_entry *e, const flow_addr *ip, uint16_t port, uint8_t proto)
{
    return e->port == port && e->proto == proto && !memcmp(e->ip.b, ip->b, 16);
}

/* The slot holding key, or the empty slot where it would go. */
static size_t slot_of(const c2list *l, const flow_addr *ip, uint16_t port, uint8_t proto)
{
    size_t mask = l->nslots - 1, i = (size_t)key_hash(ip, port, proto) & mask;
    while (l->slots[i] && !key_eq(&l->rows[l->slots[i] - 1], ip, port, proto))
        i = (i + 1) & mask;
    return i;
}

static int index_rebuild(c2list *l, size_t nslots)
{
    uint32_t *s = calloc(nslots, sizeof *s);
    if (!s) return -1;
    free(l->slots);
    l->slots = s;
    l->nslots = nslots;
    for (size_t r = 0; r < l->n; r++) {
        const c2_entry *e = &l->rows[r];
        l->slots[slot_of(l, &e->ip, e->port, e->proto)] = (uint32_t)(r + 1);
    }
    return 0;
}

/* ---- building ---- */

c2list *c2list_new(void)
{
    return calloc(1, sizeof(c2list));
}

void c2list_free(c2list *l)
{
    if (!l) return;
    free(l->rows);
    free(l->slots);
    free(l);
}

static int make_room(c2list *l, c2_err *err)
{
    if (l->n >= UINT32_MAX - 1) return c2_fail(err, "list full");
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 64;
        c2_entry *r = realloc(l->rows, cap * sizeof *r);
        if (!r) return c2_fail(err, "out of memory");
        l->rows = r;
        l->cap = cap;
    }
    if (2 * (l->n + 1) > l->nslots &&
        index_rebuild(l, l->nslots ? l->nslots * 2 : 128) != 0)
        return c2_fail(err, "out of memory");
    return 0;
}

int c2list_add(c2list *l, const c2_entry *e, c2_err *err)
{
    if (entry_check(e, err) != 0 || make_room(l, err) != 0) return -1;
    size_t s = slot_of(l, &e->ip, e->port, e->proto);
    if (l->slots[s]) {
        char ip[FLOW_ADDR_STRLEN], proto[16];
        return c2_fail(err, "%s port %u %s is already in the list",
                       flow_addr_format(&e->ip, ip, sizeof ip), e->port,
                       c2list_proto_format(e->proto, proto, sizeof proto));
    }
    c2_entry *r = &l->rows[l->n];
    *r = *e;
    r->score = round(e->score * 10.0) / 10.0 + 0.0;   /* no -0 */
    l->slots[s] = (uint32_t)(++l->n);
    return 0;
}

int c2list_set_category(c2list *l, size_t i, const char *category, c2_err *err)
{
    if (i >= l->n) return c2_fail(err, "no row %zu", i);
    if (!c2list_category_ok(category)) return bad_category(err);
    strcpy(l->rows[i].category, category);
    return 0;
}

/* ---- reading the list ---- */

size_t c2list_count(const c2list *l)
{
    return l->n;
}

const c2_entry *c2list_get(const c2list *l, size_t i)
{
    return i < l->n ? &l->rows[i] : NULL;
}

const c2_entry *c2list_find(const c2list *l, const flow_addr *ip,
                            uint16_t port, uint8_t proto)
{
    if (l->n == 0) return NULL;
    uint32_t r = l->slots[slot_of(l, ip, port, proto)];
    return r ? &l->rows[r - 1] : NULL;
}

static int by_score(const void *a, const void *b)
{
    const c2_entry *x = a, *y = b;
    if (x->score != y->score) return x->score > y->score ? -1 : 1;
    int c = memcmp(x->ip.b, y->ip.b, 16);
    if (c) return c;
    if (x->port != y->port) return x->port < y->port ? -1 : 1;
    return (int)x->proto - (int)y->proto;
}

void c2list_sort(c2list *l)
{
    if (l->n < 2) return;
    qsort(l->rows, l->n, sizeof *l->rows, by_score);
    /* same size: only fails if calloc does; then rebuild in place */
    if (index_rebuild(l, l->nslots) != 0) {
        memset(l->slots, 0, l->nslots * sizeof *l->slots);
        for (size_t r = 0; r < l->n; r++) {
            const c2_entry *e = &l->rows[r];
            l->slots[slot_of(l, &e->ip, e->port, e->proto)] = (uint32_t)(r + 1);
        }
    }
}

/* ---- text forms ---- */

char *c2list_proto_format(uint8_t proto, char *buf, size_t len)
{
    const char *name = flow_proto_name(proto);
    if (!name) {
        snprintf(buf, len, "%u", proto);
        return buf;
    }
    size_t i = 0;
    for (; name[i] && i + 1 < len; i++) buf[i] = (char)tolower((unsigned char)name[i]);
    if (len) buf[i] = '\0';
    return buf;
}

int c2list_proto_parse(const char *s)
{
    uint64_t v;
    if (isdigit((unsigned char)s[0]))
        return c2_u64_parse(s, 255, &v) == 0 ? (int)v : -1;
    return flow_proto_lookup(s);
}

char *c2list_time_format(int64_t ms, char *buf, size_t len)
{
    c2_time_format(ms, buf, len);
    char *dot = strrchr(buf, '.');
    if (dot && !strcmp(dot, ".000Z")) strcpy(dot, "Z");
    return buf;
}

int c2list_time_parse(const char *s, int64_t *out)
{
    /* c2_time_parse also takes "now-1h" and epoch seconds: not in files */
    for (int i = 0; i < 4; i++)
        if (!isdigit((unsigned char)s[i])) return -1;
    if (s[4] != '-' || c2_time_parse(s, 0, out, NULL) != 0) return -1;
    /* 0 means unknown; five-digit years would not print back */
    return *out > 0 && *out <= C2LIST_TIME_MAX ? 0 : -1;
}
