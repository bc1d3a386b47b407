/*
 * oneoff.c: the servers a group's bots reach once each, told apart from
 * the C2 servers they keep coming back to (detect_impl.h, docs/detect.md
 * "One-off servers").
 *
 * A bot's C2 connection (or its beacons) goes on all day, so a sampled
 * record of it tends to be followed by more.  A botnet's report server,
 * told of each victim a bot finds, and its download server, fetched from
 * once at infection, share the group's infected clients but not that:
 * their clients come once.  Graph mining alone cannot tell them from C2.
 *
 * A server's clients are expected to come back to it as they come back to
 * the other candidate each of them reaches most (their C2, unless this is
 * it): that server's records beyond each client's first, per client-day
 * of time left after the first; times this server's own clients' time
 * left.  One server's handful of clients proves little at 1 in 10,000, so
 * the test is pooled over the servers on the same port (a botnet's code
 * names the port of its report server): a server is one-off when the
 * servers of its port, taken together, came back significantly less than
 * expected (Poisson), and it came back less than `oneoff_return` of its
 * own expectation.
 *
 * A download server needs no pooling when its clients show the moment:
 * a loader's victim fetches the binary and starts scanning within
 * seconds, so when at least `oneoff_onset` of a server's infected clients
 * first reached it within ONSET_MS of their first probe, and none of them
 * came back (or too few), it is one-off whatever its port.  A C2 server's
 * first sampled record of a new bot comes hours after its infection at
 * 1 in 10,000; at denser sampling, when it comes at once, the bots come
 * back too.
 *
 * A tier that bots spread their beacons over (Emotet's) also sees each bot
 * about once; but the bot goes on to the tier's other servers.  So a
 * server more than `oneoff_tier` of whose clients reach other low-return
 * servers is never one-off.
 */
#include "detect/detect_impl.h"

#include <math.h>
#include <stdlib.h>

#define DAY_MS ((double)C2_MS_PER_DAY)
#define ONSET_MS (10 * 60 * 1000)   /* a first contact this near a first probe: at infection */

typedef struct returns {         /* per w_dest */
    double   extra;              /* records beyond each client's first */
    double   exposure;           /* client-days from each first record to the server's last */
    double   expected;           /* extra records expected at the rate its clients
                                    come back to their main other server */
    uint32_t clients;            /* infected clients with an edge */
    uint32_t tier;               /* of them, reaching another low-return server */
    uint32_t onset;              /* of them, first here within ONSET_MS of their first probe */
    uint8_t  candidate;          /* judged at all: could be listed (is_candidate) */
} returns;

typedef struct host_view {       /* per w_host: the candidates it reaches */
    uint32_t main[2];            /* the two most reached (dest + 1; 0 none) */
    double   low[2];             /* the two lowest rates of return */
    uint32_t low_dest;           /* whose rate low[0] is */
} host_view;

static int mostly_infected(const w_dest *d, const detect_params *p)
{
    return d->infected >= p->min_infected && 2.0 * d->infected >= d->clients_est;
}

static int is_candidate(const window *w, const graph_result *g, const detect_params *p,
                        uint32_t i)
{
    uint32_t gr = g->dest_group[i];     /* flood targets are no servers of the group */
    return gr && gr <= g->groups && !(w->dest[i].flags & DEST_BURST) &&
           mostly_infected(&w->dest[i], p);
}

/* P(X <= k) for X ~ Poisson(mu): summed in logs up to a mean of 1000,
 * beyond that the normal law with a continuity correction, which errs a
 * little high in the tail (0.00083 for 0.00070 at a mean of 1000): no
 * laxer, and the loop stays short whatever the counts. */
#define POISSON_EXACT_MAX 1000.0
static double poisson_cdf(double k, double mu)
{
    if (!(mu > 0) || k >= mu) return 1;     /* no deficit: nothing to test */
    if (mu > POISSON_EXACT_MAX) return 0.5 * erfc(-(k + 0.5 - mu) / sqrt(2 * mu));
    double sum = 0;
    for (double i = 0; i <= k; i++) sum += exp(-mu + i * log(mu) - lgamma(i + 1));
    return sum > 1 ? 1 : sum;
}

/* Client-days an infected host had, after its first record, to come back. */
static double time_left(const window *w, const w_edge *x)
{
    double left = ((double)w->dest[x->dest].last - (double)x->first) / DAY_MS;
    return left > 0 ? left : 0;
}

static double own_rate(const returns *q)
{
    return q->exposure > 0 ? q->extra / q->exposure : -1;
}

static double expected_rate(const returns *q)
{
    return q->exposure > 0 ? q->expected / q->exposure : 0;
}

static int low_return(const returns *q, const detect_params *p)
{
    return q->expected > 0 && q->extra < p->oneoff_return * q->expected;
}

/* Whether the host first reached the server as it started scanning. */
static int at_onset(const window *w, const w_edge *x)
{
    int64_t scan = w->host[x->host].scan_first;
    if (scan == INT64_MAX) return 0;
    double gap = (double)x->first - (double)scan;       /* times are untrusted */
    return gap <= ONSET_MS && gap >= -ONSET_MS;
}

static void count_returns(const window *w, returns *r)
{
    for (uint32_t e = 0; e < w->n_edge; e++) {
        const w_edge *x = &w->edge[e];
        returns *q = &r[x->dest];
        q->extra += x->flows ? x->flows - 1.0 : 0;
        q->exposure += time_left(w, x);
        q->clients++;
        q->onset += at_onset(w, x);
    }
}

static void view_hosts(const window *w, const returns *r, host_view *h)
{
    for (uint32_t i = 0; i < w->n_host; i++)
        h[i] = (host_view){{0, 0}, {INFINITY, INFINITY}, UINT32_MAX};
    for (uint32_t e = 0; e < w->n_edge; e++) {
        const w_edge *x = &w->edge[e];
        if (!r[x->dest].candidate) continue;
        host_view *v = &h[x->host];
        uint32_t reach = w->dest[x->dest].infected;
        if (!v->main[0] || reach > w->dest[v->main[0] - 1].infected) {
            v->main[1] = v->main[0];
            v->main[0] = x->dest + 1;
        } else if (!v->main[1] || reach > w->dest[v->main[1] - 1].infected) {
            v->main[1] = x->dest + 1;
        }
        double rate = own_rate(&r[x->dest]);
        if (rate < 0) continue;
        if (rate < v->low[0]) {
            v->low[1] = v->low[0];
            v->low[0] = rate;
            v->low_dest = x->dest;
        } else if (rate < v->low[1]) {
            v->low[1] = rate;
        }
    }
}

/* A server's clients should come back to it as they come back to the
 * other server each of them reaches most (their C2, if it is not this
 * one); those going on to other low-return servers make a tier. */
static void expect_returns(const window *w, const detect_params *p, const host_view *h,
                           returns *r)
{
    for (uint32_t e = 0; e < w->n_edge; e++) {
        const w_edge *x = &w->edge[e];
        if (!r[x->dest].candidate) continue;
        const host_view *v = &h[x->host];
        uint32_t other = v->main[0] == x->dest + 1 ? v->main[1] : v->main[0];
        double rate = other ? own_rate(&r[other - 1]) : -1;
        if (rate > 0) r[x->dest].expected += rate * time_left(w, x);
    }
    for (uint32_t e = 0; e < w->n_edge; e++) {
        const w_edge *x = &w->edge[e];
        returns *q = &r[x->dest];
        if (q->expected <= 0) continue;
        const host_view *v = &h[x->host];
        double low = v->low_dest == x->dest ? v->low[1] : v->low[0];
        q->tier += low < p->oneoff_return * expected_rate(q);
    }
}

static int in_tier(const returns *q, const detect_params *p)
{
    return q->tier > p->oneoff_tier * q->clients;
}

/* A download server: its clients came to it at their infection, and did
 * not come back (or too little, where a rate is known). */
static int fetched_at_onset(const returns *q, const detect_params *p)
{
    return p->oneoff_onset > 0 && q->clients && q->onset >= p->oneoff_onset * q->clients &&
           (q->extra == 0 || low_return(q, p));
}

typedef struct port_pool {
    double extra, expected;      /* summed over the port's judged servers */
    int    verdict;              /* 0 not tested yet, 1 came back too little, -1 not */
} port_pool;

/* Whether the port's servers, pooled, came back too little (tested once,
 * and only for a port that has a low-return server). */
static int port_too_little(port_pool *pp, const detect_params *p)
{
    if (!pp->verdict)
        pp->verdict = poisson_cdf(floor(pp->extra), pp->expected) < p->oneoff_significance
                          ? 1
                          : -1;
    return pp->verdict > 0;
}

/* Pool the judged servers of each port; mark the one-off ones: fetched
 * at their clients' infection, or low-return on a port that is too. */
static int judge_servers(const window *w, const detect_params *p, const returns *r,
                         uint8_t *oneoff, uint32_t *n_oneoff)
{
    dtab ix = {0};
    uint32_t n = 0, cap = 0;
    port_pool *pool = NULL;
    int rc = -1;
    for (uint32_t i = 0; i < w->n_dest; i++) {
        if (r[i].expected <= 0 || in_tier(&r[i], p)) continue;
        dkey k = dkey_port(w->dest[i].port, w->dest[i].proto);
        int is_new;
        uint32_t *v = dtab_put(&ix, &k, n, &is_new);
        if (!v || (is_new && detect_grow((void **)&pool, &cap, n + 1, sizeof *pool) < 0))
            goto out;
        n += is_new;
        pool[*v].extra += r[i].extra;
        pool[*v].expected += r[i].expected;
    }
    for (uint32_t i = 0; i < w->n_dest; i++) {
        if (!r[i].candidate || in_tier(&r[i], p)) continue;
        int cut = fetched_at_onset(&r[i], p);
        if (!cut && low_return(&r[i], p)) {
            dkey k = dkey_port(w->dest[i].port, w->dest[i].proto);
            const uint32_t *v = dtab_get(&ix, &k);
            cut = v && port_too_little(&pool[*v], p);
        }
        oneoff[i] = (uint8_t)cut;
        *n_oneoff += (uint32_t)cut;
    }
    rc = 0;
out:
    free(pool);
    dtab_free(&ix);
    return rc;
}

int oneoff_servers(const window *w, const graph_result *g, const detect_params *p,
                   uint8_t *oneoff, uint32_t *n_oneoff, c2_err *err)
{
    *n_oneoff = 0;
    if (p->oneoff_significance <= 0 && p->oneoff_onset <= 0) return 0;
    returns *r = calloc(w->n_dest + 1, sizeof *r);
    host_view *h = malloc((w->n_host + 1) * sizeof *h);
    int rc = -1;
    if (r && h) {
        for (uint32_t i = 0; i < w->n_dest; i++) r[i].candidate = (uint8_t)is_candidate(w, g, p, i);
        count_returns(w, r);
        view_hosts(w, r, h);
        expect_returns(w, p, h, r);
        rc = judge_servers(w, p, r, oneoff, n_oneoff);
    }
    free(r);
    free(h);
    return rc < 0 ? c2_fail(err, "out of memory judging one-off servers") : 0;
}
