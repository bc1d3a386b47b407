/*
 * eval.c: running a compiled filter -- over column batches (filter_eval),
 * over store zones (filter_zone_verdict), and the node tree's upkeep.
 *
 * Evaluation goes a chunk of FILTER_CHUNK rows at a time, so that the byte
 * vectors of the inner nodes stay in L1 cache and live on the stack (no
 * allocation at all, and a compiled filter stays read-only, so threads may
 * share it).  Each leaf is one loop over one column with the comparison
 * chosen outside the loop, which compilers vectorise.  AND and OR combine
 * byte vectors (0 or 1 per row) and stop early when a chunk is already
 * decided: an AND whose rows are all 0, an OR whose rows are all 1.
 *
 * Zones: each node answers NONE (no row of a zone with these per-field
 * minima and maxima can match), ALL (every row does) or SOME.  Leaves decide
 * from the field's [min, max]; AND, OR and NOT combine as three-valued
 * logic, so `not dst port 23` can still skip a block whose dst_port is 23
 * throughout.  Every rule errs towards SOME: a wrong NONE would lose
 * records, which tests/fuzz/fuzz_filter.c checks can never happen.
 */
#include <stdlib.h>
#include <string.h>

#include "filter/filter_impl.h"

/* ---- nodes ---- */

fnode *fnode_new(fnode_kind kind)
{
    fnode *n = calloc(1, sizeof *n);
    if (n) n->kind = kind;
    return n;
}

void fnode_free(fnode *n)
{
    if (!n) return;
    for (size_t i = 0; i < n->nkids; i++) fnode_free(n->kids[i]);
    free(n->kids);
    free(n->list);
    free(n->bitmap);
    free(n);
}

int fnode_add(fnode *n, fnode *kid)
{
    if (!kid) return -1;
    fnode **k = realloc(n->kids, (n->nkids + 1) * sizeof *k);
    if (!k) {
        fnode_free(kid);
        return -1;
    }
    n->kids = k;
    n->kids[n->nkids++] = kid;
    return 0;
}

static uint64_t field_max(int f)
{
    if (f == FILTER_DURATION) return UINT64_MAX;
    switch (flow_field_type((flow_field)f)) {
    case FLOW_T_U8: return UINT8_MAX;
    case FLOW_T_U16: return UINT16_MAX;
    case FLOW_T_U32: return UINT32_MAX;
    default: return UINT64_MAX;
    }
}

static uint32_t field_bits(int f)
{
    if (f == FILTER_DURATION) return FLOW_BIT(FLOW_START) | FLOW_BIT(FLOW_END);
    return FLOW_BIT(f);
}

uint32_t fnode_fields(const fnode *n)
{
    uint32_t m = 0;
    switch (n->kind) {
    case FN_TRUE: case FN_FALSE: return 0;
    case FN_AND: case FN_OR: case FN_NOT:
        for (size_t i = 0; i < n->nkids; i++) m |= fnode_fields(n->kids[i]);
        return m;
    default:
        return field_bits(n->field);
    }
}

/* Rough cost per row, to run cheap tests first in AND/OR. */
static unsigned node_cost(const fnode *n)
{
    unsigned c = 0;
    switch (n->kind) {
    case FN_TRUE: case FN_FALSE: return 0;
    case FN_CMP: case FN_MASK: return n->field == FILTER_DURATION ? 2 : 1;
    case FN_LIST: return n->bitmap ? 2 : 4;
    case FN_ADDR: return 3;
    case FN_SET: return 12;
    default:
        for (size_t i = 0; i < n->nkids; i++) c += node_cost(n->kids[i]);
        return c;
    }
}

/* A constant node in place of n (n is freed). */
static fnode *to_const(fnode *n, int value)
{
    fnode *c = fnode_new(value ? FN_TRUE : FN_FALSE);
    if (!c) return n;               /* keep the equivalent original */
    fnode_free(n);
    return c;
}

/* A comparison that the field's range decides is a constant. */
static fnode *fold_cmp(fnode *n)
{
    uint64_t v = n->value, max = field_max(n->field);
    int c = -1;                         /* the constant, if decided */
    switch (n->op) {
    case FC_EQ: if (v > max) c = 0; break;
    case FC_NE: if (v > max) c = 1; break;
    case FC_LT: if (v == 0) c = 0; else if (v > max) c = 1; break;
    case FC_LE: if (v >= max) c = 1; break;
    case FC_GT: if (v >= max) c = 0; break;
    case FC_GE: if (v == 0) c = 1; else if (v > max) c = 0; break;
    }
    if (c >= 0) return to_const(n, c);
    return n;
}

struct ranked {
    unsigned cost;
    size_t   index;
    fnode   *node;
};

static int ranked_cmp(const void *a, const void *b)
{
    const struct ranked *x = a, *y = b;
    if (x->cost != y->cost) return x->cost < y->cost ? -1 : 1;
    return (x->index > y->index) - (x->index < y->index);
}

static fnode *simplify_nary(fnode *n)
{
    int is_and = n->kind == FN_AND;
    fnode_kind absorb = is_and ? FN_FALSE : FN_TRUE;   /* decides the node */
    fnode_kind neutral = is_and ? FN_TRUE : FN_FALSE;  /* drops out */
    size_t need = 0, count = 0, w = 0;
    int decided = 0;

    /* flatten: kids of the same kind give their own (already flat) kids */
    for (size_t i = 0; i < n->nkids; i++)
        need += n->kids[i]->kind == n->kind ? n->kids[i]->nkids : 1;
    fnode **out = malloc((need ? need : 1) * sizeof *out);
    if (!out) return n;                 /* unflattened, still correct */
    for (size_t i = 0; i < n->nkids; i++) {
        fnode *k = n->kids[i];
        if (k->kind != n->kind) {
            out[count++] = k;
            continue;
        }
        for (size_t j = 0; j < k->nkids; j++) out[count++] = k->kids[j];
        k->nkids = 0;
        fnode_free(k);
    }
    free(n->kids);
    n->kids = out;
    for (size_t i = 0; i < count; i++) {
        fnode *g = out[i];
        if (g->kind == neutral) {
            fnode_free(g);
            continue;
        }
        if (g->kind == absorb) decided = 1;
        out[w++] = g;
    }
    n->nkids = w;
    if (decided) return to_const(n, !is_and);
    if (w == 0) return to_const(n, is_and);
    if (w == 1) {
        fnode *only = out[0];
        n->nkids = 0;
        fnode_free(n);
        return only;
    }
    /* cheapest first; the index keeps equal costs in the written order */
    struct ranked *r = malloc(w * sizeof *r);
    if (!r) return n;
    for (size_t i = 0; i < w; i++) {
        r[i].cost = node_cost(out[i]);
        r[i].index = i;
        r[i].node = out[i];
    }
    qsort(r, w, sizeof *r, ranked_cmp);
    for (size_t i = 0; i < w; i++) out[i] = r[i].node;
    free(r);
    return n;
}

fnode *fnode_simplify(fnode *n)
{
    switch (n->kind) {
    case FN_AND: case FN_OR:
        for (size_t i = 0; i < n->nkids; i++) n->kids[i] = fnode_simplify(n->kids[i]);
        return simplify_nary(n);
    case FN_NOT: {
        fnode *k = n->kids[0] = fnode_simplify(n->kids[0]);
        if (k->kind == FN_TRUE || k->kind == FN_FALSE)
            return to_const(n, k->kind == FN_FALSE);
        if (k->kind == FN_NOT) {            /* not not x = x */
            fnode *x = k->kids[0];
            k->nkids = 0;
            n->nkids = 0;
            fnode_free(k);
            fnode_free(n);
            return x;
        }
        return n;
    }
    case FN_CMP:
        return fold_cmp(n);
    default:
        return n;
    }
}

/* ---- batches ---- */

/* A loop over the n rows of a chunk.  Full chunks get a constant trip
 * count, so that compilers vectorise the loop even at -O2 (GCC's
 * "very cheap" cost model wants no epilogue); `restrict` on the byte
 * vectors and columns rules out the aliasing checks it would also refuse. */
#define EACH_ROW(i, stmt) do {                                              \
        if (n == FILTER_CHUNK) {                                            \
            for (size_t i = 0; i < FILTER_CHUNK; i++) stmt;                 \
        } else {                                                            \
            for (size_t i = 0; i < n; i++) stmt;                            \
        }                                                                   \
    } while (0)

#define CMP_LOOPS(T, colp) do {                                              \
        const T *restrict c_ = (const T *)(colp) + s;                                 \
        const T v_ = (T)nd->value;                                           \
        switch (nd->op) {                                                    \
        case FC_EQ: EACH_ROW(i, out[i] = c_[i] == v_); break; \
        case FC_NE: EACH_ROW(i, out[i] = c_[i] != v_); break; \
        case FC_LT: EACH_ROW(i, out[i] = c_[i] <  v_); break; \
        case FC_LE: EACH_ROW(i, out[i] = c_[i] <= v_); break; \
        case FC_GT: EACH_ROW(i, out[i] = c_[i] >  v_); break; \
        case FC_GE: EACH_ROW(i, out[i] = c_[i] >= v_); break; \
        }                                                                    \
    } while (0)

/* end - start in ms, 0 when end <= start; exact for any int64 pair. */
static inline uint64_t duration_of(int64_t start, int64_t end)
{
    return end > start ? (uint64_t)end - (uint64_t)start : 0;
}

#define DUR_LOOP(OP) do {                                                    \
        EACH_ROW(i,                                       \
            out[i] = duration_of(st[i], en[i]) OP v);                         \
    } while (0)

static void eval_duration(const fnode *nd, const flow_batch *b, size_t s,
                          size_t n, uint8_t *restrict out)
{
    const int64_t *restrict st = b->start_ms + s, *restrict en = b->end_ms + s;
    const uint64_t v = nd->value;
    switch (nd->op) {
    case FC_EQ: DUR_LOOP(==); break;
    case FC_NE: DUR_LOOP(!=); break;
    case FC_LT: DUR_LOOP(<); break;
    case FC_LE: DUR_LOOP(<=); break;
    case FC_GT: DUR_LOOP(>); break;
    case FC_GE: DUR_LOOP(>=); break;
    }
}

static void eval_cmp(const fnode *nd, const flow_batch *b, size_t s, size_t n,
                     uint8_t *restrict out)
{
    if (nd->field == FILTER_DURATION) {
        eval_duration(nd, b, s, n, out);
        return;
    }
    const void *col = flow_batch_column(b, (flow_field)nd->field);
    switch (flow_field_type((flow_field)nd->field)) {
    case FLOW_T_U8: CMP_LOOPS(uint8_t, col); break;
    case FLOW_T_U16: CMP_LOOPS(uint16_t, col); break;
    case FLOW_T_U32: CMP_LOOPS(uint32_t, col); break;
    case FLOW_T_U64: CMP_LOOPS(uint64_t, col); break;
    default: memset(out, 0, n); break;      /* the parser makes none */
    }
}

#define MASK_LOOP(T, colp) do {                                              \
        const T *restrict c_ = (const T *)(colp) + s;                                 \
        const T m_ = (T)nd->mask, v_ = (T)nd->value;                         \
        EACH_ROW(i, out[i] = (c_[i] & m_) == v_);          \
    } while (0)

static void eval_mask(const fnode *nd, const flow_batch *b, size_t s, size_t n,
                      uint8_t *restrict out)
{
    const void *col = flow_batch_column(b, (flow_field)nd->field);
    switch (flow_field_type((flow_field)nd->field)) {
    case FLOW_T_U8: MASK_LOOP(uint8_t, col); break;
    case FLOW_T_U16: MASK_LOOP(uint16_t, col); break;
    case FLOW_T_U32: MASK_LOOP(uint32_t, col); break;
    case FLOW_T_U64: MASK_LOOP(uint64_t, col); break;
    default: memset(out, 0, n); break;
    }
}

static int list_has(const fnode *nd, uint64_t v)
{
    size_t lo = 0, hi = nd->nlist;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (nd->list[mid] < v) lo = mid + 1;
        else hi = mid;
    }
    return lo < nd->nlist && nd->list[lo] == v;
}

static void eval_list(const fnode *nd, const flow_batch *b, size_t s, size_t n,
                      uint8_t *restrict out)
{
    const void *col = flow_batch_column(b, (flow_field)nd->field);
    const uint8_t *bm = nd->bitmap;
    switch (flow_field_type((flow_field)nd->field)) {
    case FLOW_T_U8: {
        const uint8_t *restrict c = (const uint8_t *)col + s;
        EACH_ROW(i, out[i] = (bm[c[i] >> 3] >> (c[i] & 7)) & 1);
        break;
    }
    case FLOW_T_U16: {
        const uint16_t *restrict c = (const uint16_t *)col + s;
        EACH_ROW(i, out[i] = (bm[c[i] >> 3] >> (c[i] & 7)) & 1);
        break;
    }
    case FLOW_T_U32: {
        const uint32_t *c = (const uint32_t *)col + s;
        EACH_ROW(i, out[i] = (uint8_t)list_has(nd, c[i]));
        break;
    }
    case FLOW_T_U64: {
        const uint64_t *c = (const uint64_t *)col + s;
        EACH_ROW(i, out[i] = (uint8_t)list_has(nd, c[i]));
        break;
    }
    default: memset(out, 0, n); break;
    }
}

static inline uint8_t addr_match(const uint8_t *p, uint64_t mh, uint64_t ml,
                                 uint64_t vh, uint64_t vl)
{
    uint64_t h, l;
    memcpy(&h, p, 8);
    memcpy(&l, p + 8, 8);
    return ((h & mh) == vh) & ((l & ml) == vl);
}

static void eval_addr(const fnode *nd, const flow_batch *b, size_t s, size_t n,
                      uint8_t *restrict out)
{
    const flow_addr *restrict a = (const flow_addr *)flow_batch_column(b, (flow_field)nd->field) + s;
    uint64_t mh, ml, vh, vl;
    memcpy(&mh, nd->amask.b, 8);
    memcpy(&ml, nd->amask.b + 8, 8);
    memcpy(&vh, nd->addr.b, 8);
    memcpy(&vl, nd->addr.b + 8, 8);
    EACH_ROW(i, out[i] = addr_match(a[i].b, mh, ml, vh, vl));
}

/* With the column's IPv4 view (filled by the store's scan) the lookups
 * take uint32 values, a quarter of the bytes and no family test, and only
 * the IPv6 rows, found from the view's bitmap, go the 16-byte way. */
static void eval_set(const fnode *nd, const flow_batch *b, size_t s, size_t n,
                     uint8_t *restrict out)
{
    const flow_addr *restrict a = (const flow_addr *)flow_batch_column(b, (flow_field)nd->field) + s;
    const uint32_t *v4;
    const uint8_t *v6map;
    if (s % 8 == 0 && flow_batch_get_v4(b, (flow_field)nd->field, &v4, &v6map)) {
        ipset_contains_batch_v4(nd->set, v4 + s, n, out);
        const uint8_t *m = v6map + s / 8;
        int v6 = ipset_has_v6(nd->set);
        for (size_t byte = 0; byte * 8 < n; byte++) {
            unsigned bits = m[byte];
            if (n - byte * 8 < 8) bits &= (1u << (n - byte * 8)) - 1;
            for (; bits; bits &= bits - 1) {
                size_t i = byte * 8 + (size_t)__builtin_ctz(bits);
                out[i] = (uint8_t)(v6 && ipset_contains(nd->set, &a[i]));
            }
        }
        return;
    }
    ipset_contains_batch(nd->set, a, n, out);
    EACH_ROW(i, out[i] = out[i] != 0);
}

static int any_set(const uint8_t *restrict v, size_t n)
{
    uint8_t acc = 0;
    EACH_ROW(i, acc |= v[i]);
    return acc != 0;
}

static int all_set(const uint8_t *restrict v, size_t n)
{
    uint8_t acc = 1;
    EACH_ROW(i, acc &= v[i]);
    return acc != 0;
}

/* out[0..n) = the node's verdict on rows s..s+n of b; n <= FILTER_CHUNK. */
static void eval_node(const fnode *nd, const flow_batch *b, size_t s, size_t n,
                      uint8_t *restrict out)
{
    uint8_t tmp[FILTER_CHUNK];
    uint8_t *restrict t = tmp;
    switch (nd->kind) {
    case FN_TRUE: memset(out, 1, n); break;
    case FN_FALSE: memset(out, 0, n); break;
    case FN_CMP: eval_cmp(nd, b, s, n, out); break;
    case FN_MASK: eval_mask(nd, b, s, n, out); break;
    case FN_LIST: eval_list(nd, b, s, n, out); break;
    case FN_ADDR: eval_addr(nd, b, s, n, out); break;
    case FN_SET: eval_set(nd, b, s, n, out); break;
    case FN_NOT:
        eval_node(nd->kids[0], b, s, n, out);
        EACH_ROW(i, out[i] ^= 1);
        break;
    case FN_AND:
        eval_node(nd->kids[0], b, s, n, out);
        for (size_t k = 1; k < nd->nkids && any_set(out, n); k++) {
            eval_node(nd->kids[k], b, s, n, t);
            EACH_ROW(i, out[i] &= t[i]);
        }
        break;
    case FN_OR:
        eval_node(nd->kids[0], b, s, n, out);
        for (size_t k = 1; k < nd->nkids && !all_set(out, n); k++) {
            eval_node(nd->kids[k], b, s, n, t);
            EACH_ROW(i, out[i] |= t[i]);
        }
        break;
    }
}

void filter_eval(const filter *f, const flow_batch *b, uint8_t *keep)
{
    for (size_t s = 0; s < b->count; s += FILTER_CHUNK) {
        size_t n = b->count - s < FILTER_CHUNK ? b->count - s : FILTER_CHUNK;
        eval_node(f->root, b, s, n, keep + s);
    }
}

/* ---- zones ---- */

/* Verdict of "x op v" for every x in [lo, hi]. */
static int range_cmp(uint64_t lo, uint64_t hi, fcmp op, uint64_t v)
{
    switch (op) {
    case FC_EQ:
        if (v < lo || v > hi) return FILTER_ZONE_NONE;
        return lo == hi ? FILTER_ZONE_ALL : FILTER_ZONE_SOME;
    case FC_NE:
        if (v < lo || v > hi) return FILTER_ZONE_ALL;
        return lo == hi ? FILTER_ZONE_NONE : FILTER_ZONE_SOME;
    case FC_LT:
        if (lo >= v) return FILTER_ZONE_NONE;
        return hi < v ? FILTER_ZONE_ALL : FILTER_ZONE_SOME;
    case FC_LE:
        if (lo > v) return FILTER_ZONE_NONE;
        return hi <= v ? FILTER_ZONE_ALL : FILTER_ZONE_SOME;
    case FC_GT:
        if (hi <= v) return FILTER_ZONE_NONE;
        return lo > v ? FILTER_ZONE_ALL : FILTER_ZONE_SOME;
    case FC_GE:
        if (hi < v) return FILTER_ZONE_NONE;
        return lo >= v ? FILTER_ZONE_ALL : FILTER_ZONE_SOME;
    }
    return FILTER_ZONE_SOME;
}

/* [lo, hi] of an unsigned field or of the duration over the zone. */
static void zone_bounds(const store_zone *z, int f, uint64_t *lo, uint64_t *hi)
{
    if (f == FILTER_DURATION) {
        /* start in [s0, s1] and end in [e0, e1] bound end - start by
         * [e0 - s1, e1 - s0], and duration_of is monotone in both */
        *lo = duration_of(z->max[FLOW_START].t, z->min[FLOW_END].t);
        *hi = duration_of(z->min[FLOW_START].t, z->max[FLOW_END].t);
        return;
    }
    *lo = z->min[f].u;
    *hi = z->max[f].u;
}

/* The addresses a/prefix covers: [lo, hi]. */
static void prefix_range(const flow_addr *a, unsigned prefix, flow_addr *lo,
                         flow_addr *hi)
{
    for (unsigned i = 0; i < 16; i++) {
        unsigned bits = prefix > i * 8 ? prefix - i * 8 : 0;
        uint8_t m = bits >= 8 ? 0xff : (uint8_t)(0xff00u >> bits);
        lo->b[i] = a->b[i] & m;
        hi->b[i] = (uint8_t)(a->b[i] | (uint8_t)~m);
    }
}

static int zone_addr(const fnode *nd, const flow_addr *zmin, const flow_addr *zmax)
{
    flow_addr lo, hi;
    prefix_range(&nd->addr, nd->prefix, &lo, &hi);
    if (flow_addr_cmp(zmax, &lo) < 0 || flow_addr_cmp(zmin, &hi) > 0)
        return FILTER_ZONE_NONE;
    int contiguous = 1;                 /* amask is exactly /prefix */
    for (unsigned i = 0; i < 16; i++)
        if ((uint8_t)(lo.b[i] ^ hi.b[i]) != (uint8_t)~nd->amask.b[i]) contiguous = 0;
    if (contiguous && flow_addr_cmp(zmin, &lo) >= 0 && flow_addr_cmp(zmax, &hi) <= 0)
        return FILTER_ZONE_ALL;
    if (flow_addr_cmp(zmin, zmax) == 0) {
        for (unsigned i = 0; i < 16; i++)
            if ((zmin->b[i] & nd->amask.b[i]) != nd->addr.b[i]) return FILTER_ZONE_NONE;
        return FILTER_ZONE_ALL;
    }
    return FILTER_ZONE_SOME;
}

int fnode_zone(const fnode *nd, const store_zone *z)
{
    uint64_t lo, hi;
    int v, r;
    switch (nd->kind) {
    case FN_TRUE: return FILTER_ZONE_ALL;
    case FN_FALSE: return FILTER_ZONE_NONE;
    case FN_CMP:
        zone_bounds(z, nd->field, &lo, &hi);
        return range_cmp(lo, hi, nd->op, nd->value);
    case FN_MASK:
        /* (x & m) == v needs every bit of v in x, so x >= v */
        zone_bounds(z, nd->field, &lo, &hi);
        if (hi < nd->value) return FILTER_ZONE_NONE;
        if (lo == hi)
            return (lo & nd->mask) == nd->value ? FILTER_ZONE_ALL : FILTER_ZONE_NONE;
        return FILTER_ZONE_SOME;
    case FN_LIST: {
        zone_bounds(z, nd->field, &lo, &hi);
        size_t a = 0, b = nd->nlist;        /* first entry >= lo */
        while (a < b) {
            size_t mid = a + (b - a) / 2;
            if (nd->list[mid] < lo) a = mid + 1;
            else b = mid;
        }
        if (a == nd->nlist || nd->list[a] > hi) return FILTER_ZONE_NONE;
        return lo == hi ? FILTER_ZONE_ALL : FILTER_ZONE_SOME;
    }
    case FN_ADDR:
        return zone_addr(nd, &z->min[nd->field].a, &z->max[nd->field].a);
    case FN_SET: {
        const flow_addr *zmin = &z->min[nd->field].a, *zmax = &z->max[nd->field].a;
        if (!ipset_intersects(nd->set, zmin, zmax)) return FILTER_ZONE_NONE;
        return flow_addr_cmp(zmin, zmax) == 0 ? FILTER_ZONE_ALL : FILTER_ZONE_SOME;
    }
    case FN_NOT:
        v = fnode_zone(nd->kids[0], z);
        return v == FILTER_ZONE_SOME ? v
             : v == FILTER_ZONE_ALL ? FILTER_ZONE_NONE : FILTER_ZONE_ALL;
    case FN_AND:
    case FN_OR: {
        /* AND: one NONE decides, all ALL make ALL; OR the other way round */
        int decides = nd->kind == FN_AND ? FILTER_ZONE_NONE : FILTER_ZONE_ALL;
        r = nd->kind == FN_AND ? FILTER_ZONE_ALL : FILTER_ZONE_NONE;
        for (size_t i = 0; i < nd->nkids; i++) {
            v = fnode_zone(nd->kids[i], z);
            if (v == decides) return v;
            if (v == FILTER_ZONE_SOME) r = v;
        }
        return r;
    }
    }
    return FILTER_ZONE_SOME;
}

/* ---- the API ---- */

int filter_zone_verdict(const filter *f, const store_zone *zone)
{
    return fnode_zone(f->root, zone);
}

int filter_zone_may_match(const store_zone *zone, void *filter_arg)
{
    return fnode_zone(((const filter *)filter_arg)->root, zone) != FILTER_ZONE_NONE;
}

int filter_zone_prune(const store_zone *zone, void *filter_arg)
{
    _Static_assert(FILTER_ZONE_ALL == STORE_ZONE_ALL, "zone verdicts differ");
    return fnode_zone(((const filter *)filter_arg)->root, zone);
}

void filter_match_rows(const flow_batch *b, uint8_t *keep, void *filter_arg)
{
    filter_eval(filter_arg, b, keep);
}

uint32_t filter_fields(const filter *f)
{
    return f->fields;
}

int filter_is_any(const filter *f)
{
    return f->root->kind == FN_TRUE;
}

void filter_free(filter *f)
{
    if (!f) return;
    fnode_free(f->root);
    for (size_t i = 0; i < f->nsets; i++) ipset_free(f->sets[i]);
    free(f->sets);
    free(f);
}
