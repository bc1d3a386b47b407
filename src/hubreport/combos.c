/*
 * combos.c: the exact member sets of the overlap figure.
 *
 * With few members (HUBREPORT_ALL_COMBOS) every non-empty set is listed,
 * zeros included, so that a table of them always has the same rows: the
 * keys were counted per bit mask while the keys were walked.  With more,
 * only the sets that occur are listed, found by sorting the keys by their
 * (ascending) member lists and counting equal runs.  Both orders are
 * defined in docs/hub-report.md.
 */
#include <stdlib.h>
#include <string.h>

#include "hubreport/hubreport_impl.h"

/* Lists compared by length, then element by element. */
static int list_cmp(const uint32_t *a, size_t na, const uint32_t *b, size_t nb)
{
    if (na != nb) return na < nb ? -1 : 1;
    for (size_t i = 0; i < na; i++)
        if (a[i] != b[i]) return a[i] < b[i] ? -1 : 1;
    return 0;
}

static int combo_set_cmp(const void *pa, const void *pb)
{
    const hubreport_combo *a = pa, *b = pb;
    return list_cmp(a->members, a->nmembers, b->members, b->nmembers);
}

static int combo_count_cmp(const void *pa, const void *pb)
{
    const hubreport_combo *a = pa, *b = pb;
    if (a->keys != b->keys) return a->keys > b->keys ? -1 : 1;
    return combo_set_cmp(pa, pb);
}

/* Every non-empty subset of n members, by size then members. */
static int all_combos(hubreport *r, const uint64_t *mask_keys, c2_err *err)
{
    size_t n = r->nmembers, count = n ? ((size_t)1 << n) - 1 : 0;
    r->combos = calloc(count + 1, sizeof *r->combos);
    r->mem->combo_pool = malloc((n * ((size_t)1 << n) / 2 + 1) * sizeof *r->mem->combo_pool);
    if (!r->combos || !r->mem->combo_pool) return c2_fail(err, "out of memory");
    uint32_t *at = r->mem->combo_pool;
    for (size_t mask = 1; mask <= count; mask++) {
        hubreport_combo *c = &r->combos[mask - 1];
        c->members = at;
        for (uint32_t m = 0; m < n; m++)
            if (mask & ((size_t)1 << m)) *at++ = m;
        c->nmembers = (size_t)(at - c->members);
        c->keys = mask_keys[mask];
    }
    r->ncombos = count;
    qsort(r->combos, count, sizeof *r->combos, combo_set_cmp);
    return 0;
}

typedef struct key_lists {
    const uint32_t *pool;
    const size_t   *off;
} key_lists;

static int key_cmp(const void *pa, const void *pb, void *ctx)
{
    const key_lists *k = ctx;
    size_t a = *(const size_t *)pa, b = *(const size_t *)pb;
    return list_cmp(k->pool + k->off[a], k->off[a + 1] - k->off[a],
                    k->pool + k->off[b], k->off[b + 1] - k->off[b]);
}

/* The sets that occur, from the keys sorted by set; idx is that order. */
static int runs_to_combos(hubreport *r, const key_lists *k, const size_t *idx, size_t nkeys,
                          c2_err *err)
{
    r->combos = calloc(nkeys + 1, sizeof *r->combos);
    r->mem->combo_pool = malloc((k->off[nkeys] + 1) * sizeof *r->mem->combo_pool);
    if (!r->combos || !r->mem->combo_pool) return c2_fail(err, "out of memory");
    uint32_t *at = r->mem->combo_pool;
    for (size_t i = 0; i < nkeys;) {
        size_t j = i + 1;
        while (j < nkeys && key_cmp(&idx[i], &idx[j], (void *)k) == 0) j++;
        size_t first = k->off[idx[i]], n = k->off[idx[i] + 1] - first;
        hubreport_combo *c = &r->combos[r->ncombos++];
        memcpy(at, k->pool + first, n * sizeof *at);
        *c = (hubreport_combo){ at, n, (uint64_t)(j - i) };
        at += n;
        i = j;
    }
    qsort(r->combos, r->ncombos, sizeof *r->combos, combo_count_cmp);
    return 0;
}

int hubreport_combos(hubreport *r, const uint32_t *pool, const size_t *off, size_t nkeys,
                     const uint64_t *mask_keys, c2_err *err)
{
    if (r->nmembers <= HUBREPORT_ALL_COMBOS) return all_combos(r, mask_keys, err);
    size_t *idx = malloc((nkeys + 1) * sizeof *idx);
    if (!idx) return c2_fail(err, "out of memory");
    for (size_t i = 0; i < nkeys; i++) idx[i] = i;
    key_lists k = { pool, off };
    qsort_r(idx, nkeys, sizeof *idx, key_cmp, &k);
    int rc = runs_to_combos(r, &k, idx, nkeys, err);
    free(idx);
    return rc;
}

uint64_t hubreport_combo_keys(const hubreport *r, const uint32_t *members, size_t n)
{
    uint32_t set[HUBREPORT_MAX_MEMBERS];
    size_t ns = 0;
    if (n > HUBREPORT_MAX_MEMBERS) return 0;
    /* sorted and distinct, by insertion: sets are small */
    for (size_t i = 0; i < n; i++) {
        size_t j = ns;
        while (j > 0 && set[j - 1] > members[i]) j--;
        if (j > 0 && set[j - 1] == members[i]) continue;
        memmove(set + j + 1, set + j, (ns - j) * sizeof *set);
        set[j] = members[i];
        ns++;
    }
    for (size_t i = 0; i < r->ncombos; i++)
        if (list_cmp(r->combos[i].members, r->combos[i].nmembers, set, ns) == 0)
            return r->combos[i].keys;
    return 0;
}
