/*
 * candidates.c: the servers of the graph scored, and the list made
 * (detect_impl.h, docs/detect.md "Score").
 *
 * The score is the share of a server's clients that are infected, times a
 * weighted sum of four things in 0-1: how many infected hosts reach it,
 * how rare it is among all hosts, on how many days it was seen, and how
 * unusual its port is for healthy hosts.  The share multiplies because it
 * is the heart of the method: a server healthy hosts also use is not a C2
 * however many bots use it.
 */
#include "detect/detect_impl.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define W_INFECTED 0.45
#define W_RARE 0.20
#define W_DAYS 0.15
#define W_PORT 0.20
#define INFECTED_SCALE 4.0       /* 1 - e^(-n/4): 3 hosts 0.53, 10 0.92 */
#define RARE_SCALE 0.01          /* reached by 1 % of hosts: rarity 0.5 */
#define DAYS_FULL 3              /* seen on 3 days (or every day of a shorter window) */

/* Healthy clients per (port, proto), summed over servers, per active host:
 * near 1 for 443, near 0 for a port only bots use. */
static double *port_popularity(const window *w, dtab *ix)
{
    uint32_t n = 0, cap = 0;
    double *pop = NULL;
    for (uint32_t i = 0; i < w->n_dest; i++) {
        const w_dest *d = &w->dest[i];
        dkey k = dkey_port(d->port, d->proto);
        int is_new;
        uint32_t *v = dtab_put(ix, &k, n, &is_new);
        if (!v || (is_new && detect_grow((void **)&pop, &cap, n + 1, sizeof *pop) < 0)) {
            free(pop);
            return NULL;
        }
        n += is_new;
        pop[*v] += d->clients_est - d->infected;
    }
    for (uint32_t i = 0; i < n; i++)
        pop[i] = w->active_hosts > 0 ? fmin(1.0, pop[i] / w->active_hosts) : 1.0;
    return pop ? pop : calloc(1, sizeof *pop);
}

double candidate_score(const window *w, const w_dest *d, const double *port_pop)
{
    double infected = 1 - exp(-(double)d->infected / INFECTED_SCALE);
    double reach = w->active_hosts > 0 ? d->clients_est / w->active_hosts : 1;
    double rare = 1 / (1 + reach / RARE_SCALE);
    uint32_t full = w->n_days < DAYS_FULL ? w->n_days : DAYS_FULL;
    double days = full ? fmin(1.0, (double)d->days / full) : 1;
    double port = 1 - *port_pop;
    double s = 100 * d->infected_share *
               (W_INFECTED * infected + W_RARE * rare + W_DAYS * days + W_PORT * port);
    return s < 0 ? 0 : s > 100 ? 100 : s;
}

static void entry_of(const w_dest *d, double score, uint32_t group, c2_entry *e)
{
    c2_entry_init(e);
    e->ip = d->ip;
    e->port = d->port;
    e->proto = d->proto;
    e->first_seen = d->first > 0 ? d->first : 0;
    e->last_seen = d->last >= d->first && d->first > 0 ? d->last : e->first_seen;
    e->score = score;
    e->group = group;
    e->infected_clients = d->infected;
    e->clients = (uint32_t)fmin(UINT32_MAX, d->clients_est + 0.5);
    e->days_seen = d->days;
    strcpy(e->method, "graph");
}

int candidates_list(const window *w, const graph_result *g, const detect_params *p,
                    const ipset *allow, c2list *out, c2list *oneoff_out,
                    detect_report *rep, c2_err *err)
{
    dtab ix = {0};
    double *pop = port_popularity(w, &ix);
    uint8_t *oneoff = calloc(w->n_dest + 1, 1);
    if (!pop || !oneoff) {
        free(pop);
        free(oneoff);
        dtab_free(&ix);
        return c2_fail(err, "out of memory");
    }
    int rc = oneoff_servers(w, g, p, oneoff, &rep->oneoff, err);
    for (uint32_t i = 0; i < w->n_dest && rc == 0; i++) {
        const w_dest *d = &w->dest[i];
        if (!g->dest_group[i] || d->infected < p->min_infected || (d->flags & DEST_BURST) ||
            (allow && ipset_contains(allow, &d->ip)))
            continue;
        dkey k = dkey_port(d->port, d->proto);
        const uint32_t *v = dtab_get(&ix, &k);
        double score = candidate_score(w, d, &pop[v ? *v : 0]);
        c2_entry e;
        entry_of(d, score, g->dest_group[i], &e);
        if (oneoff[i]) {                /* with the score it would have had */
            strcpy(e.method, "oneoff");
            rc = oneoff_out ? c2list_add(oneoff_out, &e, err) : 0;
            continue;
        }
        rep->candidates++;
        if (score < p->min_score) continue;
        rc = c2list_add(out, &e, err);
        rep->listed += rc == 0;
    }
    free(pop);
    free(oneoff);
    dtab_free(&ix);
    return rc;
}
