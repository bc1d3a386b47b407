/*
 * rng: the simulator's random numbers.  Internal to src/sim/.
 *
 * xoshiro256** seeded through splitmix64, and the handful of distributions
 * the traffic model draws from.  Every stream of the simulator has its own
 * generator, seeded from (scenario seed, stream kind, stream number), so a
 * stream's draws never depend on how many draws another stream made: that
 * is what keeps the output identical for one seed whatever the chunking.
 */
#ifndef C2FLOW_SIM_RNG_H
#define C2FLOW_SIM_RNG_H

#include <stddef.h>
#include <stdint.h>

typedef struct rng {
    uint64_t s[4];
} rng;

/* A 64-bit finaliser (splitmix64's): hashes of what a thing is, where the
 * simulator needs a fixed value rather than a draw. */
uint64_t rng_mix64(uint64_t x);

/* Seed from a base seed and two stream coordinates. */
void     rng_seed(rng *r, uint64_t seed, uint64_t kind, uint64_t index);
uint64_t rng_next(rng *r);
double   rng_unit(rng *r);                      /* [0, 1) */
double   rng_open_unit(rng *r);                 /* (0, 1) */
uint64_t rng_below(rng *r, uint64_t n);         /* [0, n), n > 0 */
double   rng_exp(rng *r, double mean);
double   rng_normal(rng *r);                    /* N(0, 1) */
double   rng_lognormal(rng *r, double median, double sigma);
uint64_t rng_poisson(rng *r, double mean);
/* Binomial(n, p), and the same conditioned on a result of at least 1. */
uint64_t rng_binomial(rng *r, uint64_t n, double p);
uint64_t rng_binomial_pos(rng *r, uint64_t n, double p);
/* Trials until the first success, >= 1 (Geometric(p) on {1, 2, ...}). */
uint64_t rng_geometric(rng *r, double p);
/* Pareto with minimum xm and shape alpha. */
double   rng_pareto(rng *r, double xm, double alpha);

/* Walker's alias table over n weights: O(1) draws of an index. */
typedef struct alias_slot {
    uint32_t  threshold;            /* keep i when 32 random bits < this */
    uint32_t  alias;
} alias_slot;

typedef struct alias_table {
    uint32_t    n;
    alias_slot *slot;               /* one cache line serves a whole draw */
} alias_table;

int      alias_build(alias_table *t, const double *weights, uint32_t n);
uint32_t alias_draw(const alias_table *t, rng *r);
void     alias_free(alias_table *t);

#endif
