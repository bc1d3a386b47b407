/*
 * labels.c: known C2 servers and the days each is known for (features.h).
 *
 * Labels are kept sorted by address so that a row finds its labels by
 * binary search; a server may carry several (feeds overlap, a server
 * comes back), and one valid on the row's day makes the row positive.
 */
#include "features/features.h"

#include <stdlib.h>

typedef struct label {
    flow_addr ip;
    uint16_t  port;              /* 0: any port */
    uint8_t   proto;             /* 0: any protocol */
    int64_t   from, to;          /* valid on days starting in [from, to] */
} label;

struct feature_labels {
    label *l;
    size_t n, cap;
};

int feature_labels_new(feature_labels **out, c2_err *err)
{
    *out = calloc(1, sizeof **out);
    return *out ? 0 : c2_fail(err, "out of memory");
}

void feature_labels_free(feature_labels *l)
{
    if (!l) return;
    free(l->l);
    free(l);
}

size_t feature_labels_count(const feature_labels *l)
{
    return l->n;
}

static int64_t day_of(int64_t ms)
{
    return ms - ms % C2_MS_PER_DAY;
}

/* The rule of features.h: first_seen .. last_seen, open where unknown; a
 * server listed after it went offline is known up to its last day. */
static int add(feature_labels *l, const flow_addr *ip, uint16_t port, uint8_t proto,
               int64_t first, int64_t last, c2_err *err)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 256;
        label *p = realloc(l->l, cap * sizeof *p);
        if (!p) return c2_fail(err, "out of memory");
        l->l = p;
        l->cap = cap;
    }
    label *x = &l->l[l->n++];
    x->ip = *ip;
    x->port = port;
    x->proto = proto;
    x->to = last > 0 ? day_of(last) : INT64_MAX;
    x->from = first > 0 && day_of(first) <= x->to ? day_of(first) : INT64_MIN;
    return 0;
}

static int by_addr(const void *a, const void *b)
{
    return flow_addr_cmp(&((const label *)a)->ip, &((const label *)b)->ip);
}

static int sorted(feature_labels *l, int rc)
{
    qsort(l->l, l->n, sizeof *l->l, by_addr);
    return rc;
}

int feature_labels_add_intel(feature_labels *l, const intel_set *s, c2_err *err)
{
    for (size_t i = 0; i < intel_count(s); i++) {
        const intel_entry *e = intel_get(s, i);
        if (add(l, &e->ip, e->port, e->proto, e->first_seen, e->last_seen, err) < 0)
            return sorted(l, -1);
    }
    return sorted(l, 0);
}

int feature_labels_add_list(feature_labels *l, const c2list *s, c2_err *err)
{
    for (size_t i = 0; i < c2list_count(s); i++) {
        const c2_entry *e = c2list_get(s, i);
        if (add(l, &e->ip, e->port, e->proto, e->first_seen, e->last_seen, err) < 0)
            return sorted(l, -1);
    }
    return sorted(l, 0);
}

int feature_labels_of(const feature_labels *l, const feature_row *r)
{
    size_t lo = 0, hi = l->n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (flow_addr_cmp(&l->l[mid].ip, &r->ip) < 0) lo = mid + 1;
        else hi = mid;
    }
    int known = 0;
    for (size_t i = lo; i < l->n && flow_addr_cmp(&l->l[i].ip, &r->ip) == 0; i++) {
        const label *x = &l->l[i];
        if ((x->port && x->port != r->port) || (x->proto && x->proto != r->proto)) continue;
        if (r->day >= x->from && r->day <= x->to) return LABEL_POSITIVE;
        known = 1;
    }
    return known ? LABEL_UNKNOWN : LABEL_NEGATIVE;
}
