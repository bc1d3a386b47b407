/*
 * table.c: the open-addressing index every step of detection uses
 * (detect_impl.h).  Keys are three words; the table maps them to the index
 * of a row in the caller's array, so rows stay dense and the table holds
 * only keys.  Linear probing, power-of-two sizes, load at most 1/2.
 *
 * A day's tables reach hundreds of MiB and are read at random, so the
 * tables and the row arrays ask for huge pages (c2_advise_huge): with 4 KiB
 * pages most lookups also missed the TLB, and a day of 70 M records took
 * 21.6 s instead of 15.5 (bench/detect.sh's store, one day, 2 threads).
 */
#include "detect/detect_impl.h"

#include <stdlib.h>

uint64_t dkey_hash(const dkey *k)
{
    uint64_t h = c2_mix64(k->w[0] ^ 0x9e3779b97f4a7c15ull);
    h = c2_mix64(h ^ k->w[1]);
    return c2_mix64(h ^ k->w[2]);
}

static inline uint32_t tag_of(uint64_t h)
{
    return (uint32_t)(h >> 32) | 1;     /* 0 marks an empty slot */
}

static inline int same(const dkey *a, const dkey *b)
{
    return a->w[0] == b->w[0] && a->w[1] == b->w[1] && a->w[2] == b->w[2];
}

static int rehash(dtab *t)
{
    size_t cap = t->cap ? t->cap * 2 : 64;
    dslot *s = calloc(cap, sizeof *s);
    if (!s) return -1;
    c2_advise_huge(s, cap * sizeof *s);
    for (size_t i = 0; i < t->cap; i++) {
        const dslot *o = &t->slot[i];
        if (!o->tag) continue;
        size_t j = (size_t)dkey_hash(&o->key) & (cap - 1);
        while (s[j].tag) j = (j + 1) & (cap - 1);
        s[j] = *o;
    }
    free(t->slot);
    t->slot = s;
    t->cap = cap;
    return 0;
}

uint32_t *dtab_put(dtab *t, const dkey *k, uint32_t val_if_new, int *is_new)
{
    return dtab_put_hashed(t, k, dkey_hash(k), val_if_new, is_new);
}

uint32_t dtab_peek(const dtab *t, const dkey *k, uint64_t h)
{
    if (!t->cap) return UINT32_MAX;
    const dslot *s = &t->slot[(size_t)h & (t->cap - 1)];
    return s->tag == tag_of(h) && same(&s->key, k) ? s->val : UINT32_MAX;
}

void dtab_prefetch(const dtab *t, uint64_t h)
{
    if (t->cap) __builtin_prefetch(&t->slot[(size_t)h & (t->cap - 1)]);
}

uint32_t *dtab_put_hashed(dtab *t, const dkey *k, uint64_t h, uint32_t val_if_new, int *is_new)
{
    if (2 * (t->n + 1) > t->cap && rehash(t) < 0)
        return NULL;
    uint32_t tag = tag_of(h);
    size_t j = (size_t)h & (t->cap - 1);
    for (;; j = (j + 1) & (t->cap - 1)) {
        dslot *s = &t->slot[j];
        if (!s->tag) {
            s->key = *k;
            s->tag = tag;
            s->val = val_if_new;
            t->n++;
            if (is_new) *is_new = 1;
            return &s->val;
        }
        if (s->tag == tag && same(&s->key, k)) {
            if (is_new) *is_new = 0;
            return &s->val;
        }
    }
}

const uint32_t *dtab_get(const dtab *t, const dkey *k)
{
    return dtab_get_hashed(t, k, dkey_hash(k));
}

const uint32_t *dtab_get_hashed(const dtab *t, const dkey *k, uint64_t h)
{
    if (!t->cap) return NULL;
    uint32_t tag = tag_of(h);
    for (size_t j = (size_t)h & (t->cap - 1);; j = (j + 1) & (t->cap - 1)) {
        const dslot *s = &t->slot[j];
        if (!s->tag) return NULL;
        if (s->tag == tag && same(&s->key, k)) return &s->val;
    }
}

void dtab_free(dtab *t)
{
    free(t->slot);
    memset(t, 0, sizeof *t);
}

int detect_grow(void **arr, uint32_t *cap, uint32_t need, size_t size)
{
    if (need <= *cap) return 0;
    uint32_t c = *cap ? *cap : 256;
    while (c < need) {
        if (c > UINT32_MAX / 2) return -1;
        c *= 2;
    }
    void *p = realloc(*arr, (size_t)c * size);
    if (!p) return -1;
    c2_advise_huge(p, (size_t)c * size);
    memset((char *)p + (size_t)*cap * size, 0, (size_t)(c - *cap) * size);
    *arr = p;
    *cap = c;
    return 0;
}
