/*
 * rng.c: generators and distributions for the simulator (see rng.h).
 */
#include "sim/rng.h"

#include <math.h>
#include <stdlib.h>

#include "util/util.h"

uint64_t rng_mix64(uint64_t z)
{
    return c2_mix64(z);
}

static uint64_t splitmix64(uint64_t *x)
{
    return rng_mix64(*x += 0x9e3779b97f4a7c15ULL);
}

static inline uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

void rng_seed(rng *r, uint64_t seed, uint64_t kind, uint64_t index)
{
    uint64_t x = seed;
    x = splitmix64(&x) ^ (kind * 0xd6e8feb86659fd93ULL);
    x = splitmix64(&x) ^ (index * 0xa0761d6478bd642fULL);
    for (int i = 0; i < 4; i++)
        r->s[i] = splitmix64(&x);
}

uint64_t rng_next(rng *r)
{
    uint64_t *s = r->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0]; s[3] ^= s[1]; s[1] ^= s[2]; s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

double rng_unit(rng *r) { return (double)(rng_next(r) >> 11) * 0x1.0p-53; }

double rng_open_unit(rng *r) { return ((double)(rng_next(r) >> 12) + 0.5) * 0x1.0p-52; }

uint64_t rng_below(rng *r, uint64_t n)
{
    /* Lemire's multiply-shift; the tiny bias at n near 2^64 does not matter here. */
    return (uint64_t)(((unsigned __int128)rng_next(r) * n) >> 64);
}

double rng_exp(rng *r, double mean) { return -mean * log(rng_open_unit(r)); }

double rng_normal(rng *r)
{
    double u = rng_open_unit(r), v = rng_unit(r);
    return sqrt(-2.0 * log(u)) * cos(2.0 * M_PI * v);
}

double rng_lognormal(rng *r, double median, double sigma)
{
    return median * exp(sigma * rng_normal(r));
}

uint64_t rng_poisson(rng *r, double mean)
{
    if (mean <= 0)
        return 0;
    if (mean < 30) {                    /* Knuth: product of uniforms */
        double limit = exp(-mean), prod = rng_open_unit(r);
        uint64_t k = 0;
        while (prod > limit) {
            prod *= rng_open_unit(r);
            k++;
        }
        return k;
    }
    /* Large means: normal approximation with continuity correction; the
     * relative error is far below the model's own uncertainty. */
    double x = floor(mean + sqrt(mean) * rng_normal(r) + 0.5);
    return x < 0 ? 0 : (uint64_t)x;
}

uint64_t rng_binomial(rng *r, uint64_t n, double p)
{
    if (n == 0 || p <= 0)
        return 0;
    if (p >= 1)
        return n;
    double mean = (double)n * p;
    if (mean < 30) {
        /* Count successes by geometric jumps: O(successes), exact. */
        uint64_t k = 0, pos = 0;
        for (;;) {
            pos += rng_geometric(r, p);
            if (pos > n)
                return k;
            k++;
        }
    }
    double x = floor(mean + sqrt(mean * (1 - p)) * rng_normal(r) + 0.5);
    if (x < 0) x = 0;
    if (x > (double)n) x = (double)n;
    return (uint64_t)x;
}

/* log(1 - p): the simulator asks with one p over and over, so keep it. */
static double log1m(double p)
{
    static _Thread_local double last_p = -1, last_lq;
    if (p != last_p) {
        last_p = p;
        last_lq = log1p(-p);
    }
    return last_lq;
}

uint64_t rng_binomial_pos(rng *r, uint64_t n, double p)
{
    if (n == 0)
        return 0;
    if (p >= 1)
        return n;
    /* The first success's position, then the rest of the trials after it:
     * exactly the binomial conditioned on k >= 1. */
    double lq = log1m(p);
    double q0 = exp((double)n * lq);    /* P(no success) */
    double u = rng_unit(r) * (1 - q0);
    /* position of the first success given it is <= n: invert the
     * truncated geometric CDF 1 - (1-p)^j */
    double j = ceil(log1p(-u) / lq);
    if (j < 1) j = 1;
    if (j > (double)n) j = (double)n;
    return 1 + rng_binomial(r, n - (uint64_t)j, p);
}

uint64_t rng_geometric(rng *r, double p)
{
    if (p >= 1)
        return 1;
    double g = ceil(log(rng_open_unit(r)) / log1m(p));
    if (g < 1)
        return 1;
    if (g > 9.0e18)
        return (uint64_t)9.0e18;
    return (uint64_t)g;
}

double rng_pareto(rng *r, double xm, double alpha)
{
    return xm / pow(rng_open_unit(r), 1.0 / alpha);
}

int alias_build(alias_table *t, const double *w, uint32_t n)
{
    t->n = n;
    t->slot = malloc(sizeof *t->slot * (n ? n : 1));
    double *prob = malloc(sizeof *prob * (n ? n : 1));
    uint32_t *small = malloc(sizeof *small * (n ? n : 1));
    uint32_t *large = malloc(sizeof *large * (n ? n : 1));
    if (!t->slot || !prob || !small || !large) {
        free(prob); free(small); free(large);
        alias_free(t);
        return -1;
    }
    double sum = 0;
    for (uint32_t i = 0; i < n; i++)
        sum += w[i] > 0 ? w[i] : 0;
    uint32_t ns = 0, nl = 0;
    for (uint32_t i = 0; i < n; i++) {
        double v = sum > 0 ? (w[i] > 0 ? w[i] : 0) * n / sum : 1.0;
        prob[i] = v;
        t->slot[i].alias = i;
        if (v < 1.0) small[ns++] = i; else large[nl++] = i;
    }
    while (ns && nl) {
        uint32_t sm = small[--ns], l = large[nl - 1];
        t->slot[sm].alias = l;
        prob[l] -= 1.0 - prob[sm];
        if (prob[l] < 1.0) {
            nl--;
            small[ns++] = l;
        }
    }
    while (nl) prob[large[--nl]] = 1.0;
    while (ns) prob[small[--ns]] = 1.0;
    for (uint32_t i = 0; i < n; i++)
        t->slot[i].threshold = prob[i] >= 1.0 ? UINT32_MAX : (uint32_t)(prob[i] * 4294967296.0);
    free(prob);
    free(small);
    free(large);
    return 0;
}

uint32_t alias_draw(const alias_table *t, rng *r)
{
    uint64_t x = rng_next(r);
    uint32_t i = (uint32_t)(((x >> 32) * t->n) >> 32);
    const alias_slot *s = &t->slot[i];
    return (uint32_t)x < s->threshold || s->threshold == UINT32_MAX ? i : s->alias;
}

void alias_free(alias_table *t)
{
    free(t->slot);
    t->slot = NULL;
    t->n = 0;
}
