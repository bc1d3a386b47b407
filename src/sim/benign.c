/*
 * benign.c: the subscribers' ordinary traffic, service by service.
 *
 * Each service class has servers with Zipf popularity, a rate of
 * connections per participating subscriber and day (shaped by the diurnal
 * and weekly curve), and lognormal sizes and durations.  At 1 in 10,000
 * almost no connection has a sampled packet, so drawing every connection
 * would cost a thousand draws per record.  Instead the sampled connections
 * are drawn directly: thinning a Poisson process keeps it Poisson, with
 * rate times q, where q = E[1 - (1-p)^n] is the chance that a connection of
 * n packets has at least one sampled; and a sampled connection's size
 * follows the size distribution weighted by that same chance.  Both are
 * precomputed per class from a table of drawn connection shapes.  The
 * result has the distribution of sampling every packet of every connection.
 */
#include "sim/sim_impl.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define SHAPES 16384

enum who { WHO_ALL, WHO_PUBLIC_DNS, WHO_GAMER, WHO_VPN, WHO_TOR_CLIENT, WHO_TOR_RELAY, WHO_COUNT };

typedef struct class_port { uint8_t proto; uint16_t port; double w; } class_port;

typedef struct class_def {
    const char *name;
    class_port  ports[4];
    uint32_t    servers;
    double      zipf;
    double      per_day;            /* connections per participant and day */
    int         who;
    double      down_median, down_sigma, up_ratio;
    uint32_t    up_bytes, down_bytes;
    double      dur_s, dur_sigma;
    int         inbound;            /* opened from outside (a relay's clients) */
    const char *lookalike;          /* truth kind of its top servers, or NULL */
} class_def;

/* docs/simulator.md gives the reasoning behind each row. */
static const class_def class_defs[] = {
    {"web", {{6, 443, .85}, {6, 80, .15}}, 100000, 1.0, 600, WHO_ALL,
     12, 1.8, 0.6, 90, 1200, 4, 1.8, 0, NULL},
    {"video", {{6, 443, .6}, {17, 443, .4}}, 3000, 1.2, 40, WHO_ALL,
     6000, 1.3, 0.35, 70, 1350, 400, 1.0, 0, NULL},
    {"dns", {{17, 53, 1}}, 12, 1.5, 1500, WHO_PUBLIC_DNS,
     1, 0, 1, 70, 150, 0.03, 0.5, 0, "public-dns"},
    {"ntp", {{17, 123, 1}}, 400, 1.1, 24, WHO_ALL,
     1, 0, 1, 76, 76, 0.05, 0.3, 0, "ntp"},
    {"mail", {{6, 993, .6}, {6, 587, .3}, {6, 25, .1}}, 2000, 1.0, 15, WHO_ALL,
     20, 1.5, 0.6, 100, 900, 10, 1.5, 0, NULL},
    {"update", {{6, 443, 1}}, 60, 1.3, 24, WHO_ALL,
     30, 1.0, 0.5, 100, 1000, 2, 1.0, 0, "update"},
    {"telemetry", {{6, 443, 1}}, 40, 1.2, 48, WHO_ALL,
     8, 0.5, 1.0, 600, 300, 1, 0.5, 0, "telemetry"},
    {"gaming", {{17, 3074, .3}, {17, 27015, .3}, {17, 7777, .4}}, 500, 1.0, 3, WHO_GAMER,
     8000, 1.2, 0.8, 90, 120, 1800, 1.0, 0, NULL},
    {"vpn", {{17, 4500, .5}, {17, 1194, .3}, {6, 443, .2}}, 300, 1.0, 2, WHO_VPN,
     20000, 1.5, 0.5, 300, 1000, 3600, 1.0, 0, NULL},
    {"tor-client", {{6, 9001, .7}, {6, 443, .3}}, 6000, 0.8, 6, WHO_TOR_CLIENT,
     3000, 1.5, 0.4, 600, 1000, 1800, 1.0, 0, "tor"},
    {"tor-relay", {{6, 9001, 1}}, 1000000, 0.0, 2000, WHO_TOR_RELAY,
     500, 2.0, 1.0, 600, 600, 600, 1.5, 1, NULL},
};
#define N_CLASSES ((int)(sizeof class_defs / sizeof class_defs[0]))

struct sim_class {
    const class_def *def;
    alias_table shape;              /* size-biased: which shape is sampled */
    uint32_t   *n_up, *n_down;
    int64_t    *dur_ms;
    double      q;                  /* P(a connection has a sampled packet) */
    alias_table server;             /* Zipf over ranks */
    flow_addr  *v4, *v6;            /* server addresses by rank */
    double      port_cum[4];
    uint32_t   *members;            /* participating subscribers (NULL = all) */
    uint32_t    n_members;
};

static double who_share(const sim_scenario *sc, int who)
{
    switch (who) {
    case WHO_PUBLIC_DNS: return sc->public_dns_share;
    case WHO_GAMER: return sc->gamer_share;
    case WHO_VPN: return sc->vpn_share;
    case WHO_TOR_CLIENT: return sc->tor_client_share;
    case WHO_TOR_RELAY: return sc->tor_relay_share;
    default: return 1;
    }
}

static int build_shapes(sim *s, sim_class *k, rng *r)
{
    const class_def *d = k->def;
    k->n_up = malloc(SHAPES * sizeof *k->n_up);
    k->n_down = malloc(SHAPES * sizeof *k->n_down);
    k->dur_ms = malloc(SHAPES * sizeof *k->dur_ms);
    double *w = malloc(SHAPES * sizeof *w);
    if (!k->n_up || !k->n_down || !k->dur_ms || !w) {
        free(w);
        return -1;
    }
    double sum = 0;
    for (int i = 0; i < SHAPES; i++) {
        double down = d->down_sigma > 0 ? rng_lognormal(r, d->down_median, d->down_sigma)
                                        : d->down_median;
        double up = down * d->up_ratio * (d->down_sigma > 0 ? rng_lognormal(r, 1, 0.3) : 1);
        down = fmin(fmax(round(down), 1), 5e8);
        up = fmin(fmax(round(up), 1), 5e8);
        k->n_down[i] = (uint32_t)down;
        k->n_up[i] = (uint32_t)up;
        double dur = rng_lognormal(r, d->dur_s * 1000, d->dur_sigma);
        k->dur_ms[i] = (int64_t)fmin(dur, 6.0 * 3600000);
        double n = down + up;
        w[i] = s->p >= 1 ? 1 : -expm1(n * log1p(-s->p));
        sum += w[i];
    }
    k->q = sum / SHAPES;
    int rc = alias_build(&k->shape, w, SHAPES);
    free(w);
    return rc;
}

static int build_servers(sim *s, sim_class *k, int idx)
{
    const class_def *d = k->def;
    uint32_t n = d->servers;
    if (d->inbound)
        return 0;                   /* the far side is a random client, see below */
    double *w = malloc(n * sizeof *w);
    k->v4 = malloc(n * sizeof *k->v4);
    k->v6 = malloc(n * sizeof *k->v6);
    if (!w || !k->v4 || !k->v6) {
        free(w);
        return -1;
    }
    for (uint32_t i = 0; i < n; i++) {
        w[i] = pow((double)i + 1, -d->zipf);
        sim_unclaimed_v4(s, 100 + (uint64_t)idx, i, &k->v4[i]);
        sim_external_v6(s, 100 + (uint64_t)idx, i, &k->v6[i]);
    }
    int rc = alias_build(&k->server, w, n);
    free(w);
    return rc;
}

static int build_members(sim *s, sim_class *k, int idx)
{
    double share = who_share(&s->sc, k->def->who);
    if (k->def->who == WHO_ALL)
        return 0;
    uint64_t below = (uint64_t)(share * 18446744073709551615.0);
    uint32_t cap = 1024, n = 0;
    uint32_t *m = malloc(cap * sizeof *m);
    if (!m)
        return -1;
    for (uint32_t sub = 0; sub < s->sc.subscribers; sub++) {
        /* membership is a property of the subscriber and the group, not of
         * the class, so a gamer stays a gamer */
        if (rng_mix64(s->seed ^ ((uint64_t)k->def->who << 32 | sub)) >= below)
            continue;
        if (n == cap) {
            uint32_t *t = realloc(m, (cap *= 2) * sizeof *m);
            if (!t) { free(m); return -1; }
            m = t;
        }
        m[n++] = sub;
    }
    (void)idx;
    k->members = m;
    k->n_members = n;
    return 0;
}

int sim_benign_build(sim *s, c2_err *err)
{
    s->classes = calloc(N_CLASSES, sizeof *s->classes);
    if (!s->classes)
        return c2_fail(err, "out of memory");
    s->n_classes = N_CLASSES;
    for (int i = 0; i < N_CLASSES; i++) {
        sim_class *k = &s->classes[i];
        k->def = &class_defs[i];
        rng r;
        rng_seed(&r, s->seed, STREAM_CLASS, (uint64_t)i);
        double cum = 0;
        for (int j = 0; j < 4; j++)
            k->port_cum[j] = cum += k->def->ports[j].w;
        if (build_shapes(s, k, &r) < 0 || build_servers(s, k, i) < 0 ||
            build_members(s, k, i) < 0)
            return c2_fail(err, "out of memory building the %s class", k->def->name);
        if (k->def->lookalike) {
            /* the ten most popular servers are listed in the truth */
            for (uint32_t rank = 0; rank < 10 && rank < k->def->servers; rank++)
                if (sim_add_lookalike(s, &k->v4[rank], k->def->ports[0].port,
                                      k->def->ports[0].proto, k->def->lookalike) < 0)
                    return c2_fail(err, "out of memory");
        }
    }
    return 0;
}

static const class_port *pick_port(const sim_class *k, rng *r)
{
    double u = rng_unit(r) * k->port_cum[3];
    for (int j = 0; j < 4; j++)
        if (u < k->port_cum[j] && k->def->ports[j].w > 0)
            return &k->def->ports[j];
    return &k->def->ports[0];
}

static void one_connection(const sim *s, sim_chunk *c, const sim_class *k, rng *r, int64_t t0)
{
    const class_def *d = k->def;
    uint32_t sub = k->members ? k->members[rng_below(r, k->n_members)]
                              : alias_draw(&s->activity, r);
    int v6 = rng_unit(r) < s->sc.ipv6_share;
    flow_addr me, far;
    if (v6) sim_sub_v6(s, sub, &me); else sim_sub_v4(s, sub, &me);
    uint16_t my_port, far_port;
    const class_port *cp = pick_port(k, r);
    if (d->inbound) {
        uint64_t client = rng_below(r, d->servers);
        if (v6) sim_external_v6(s, 200, client, &far); else sim_external_v4(s, 200, client, &far);
        my_port = cp->port;
        far_port = sim_ephemeral_port(r);
    } else {
        uint32_t rank = alias_draw(&k->server, r);
        far = v6 ? k->v6[rank] : k->v4[rank];
        my_port = sim_ephemeral_port(r);
        far_port = cp->port;
    }
    uint32_t shape = alias_draw(&k->shape, r);
    int64_t t = t0 + (int64_t)rng_below(r, SIM_CHUNK_MS);
    sim_emit_connection(s, c, r, sub, &me, &far, my_port, far_port, cp->proto,
                        !d->inbound, t, k->dur_ms[shape], k->n_up[shape], k->n_down[shape],
                        d->up_bytes, d->down_bytes);
}

size_t sim_benign_chunk(const sim *s, sim_chunk *c, int64_t t0, uint64_t chunk_no,
                        int part, int parts)
{
    size_t start = c->n;
    double chunk_days = (double)SIM_CHUNK_MS / C2_MS_PER_DAY;
    double shape = sim_diurnal(s, t0 + SIM_CHUNK_MS / 2);
    for (int i = 0; i < s->n_classes; i++) {
        const sim_class *k = &s->classes[i];
        double people = k->members ? k->n_members : s->sc.subscribers;
        double mean = people * k->def->per_day * chunk_days * shape * k->q * s->sc.benign_scale;
        /* each part draws its share: a sum of Poisson draws is Poisson */
        rng r;
        rng_seed(&r, s->seed, STREAM_CLASS, (chunk_no << 12) | (uint64_t)part << 8 | (uint64_t)(i + 1));
        uint64_t n = rng_poisson(&r, mean / parts);
        for (uint64_t j = 0; j < n && !c->failed; j++)
            one_connection(s, c, k, &r, t0);
    }
    return c->n - start;
}

void sim_benign_free(sim *s)
{
    for (int i = 0; i < s->n_classes; i++) {
        sim_class *k = &s->classes[i];
        alias_free(&k->shape);
        alias_free(&k->server);
        free(k->n_up);
        free(k->n_down);
        free(k->dur_ms);
        free(k->v4);
        free(k->v6);
        free(k->members);
    }
    free(s->classes);
    s->classes = NULL;
}
