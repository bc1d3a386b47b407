/*
 * window.c: the day summaries of a window merged into one view, and the
 * infected hosts decided (detect_impl.h, docs/detect.md "Infected hosts").
 *
 * A host is infected when on some day it scanned, contacted a known bad
 * server, or joined a flood.  The rules are judged per day, on that day's
 * evidence, so that evidence of different days never adds up into a
 * "scanner" that scanned on no day.  Servers are merged by key with their
 * client sketches; the edges kept are those of infected hosts.
 */
#include "detect/detect_impl.h"

#include <stdlib.h>

static int scanned(const dd_host *h, const detect_params *p)
{
    if (h->syn_samples < p->scan_min_samples || !h->syn_packets) return 0;
    double span_s = (double)(h->syn_last - h->syn_first) / 1000.0;
    if (span_s < 60) span_s = 60;
    uint64_t top3 = (uint64_t)h->port_n[0] + h->port_n[1] + h->port_n[2];
    return (double)h->syn_packets / span_s >= p->scan_pps &&
           h->syn_fresh >= p->scan_fresh * h->syn_samples &&
           (double)top3 >= p->scan_port_share * h->syn_samples &&
           h->syn_bytes <= (uint64_t)p->scan_packet_bytes * h->syn_packets;
}

static uint8_t day_cause(const dd_host *h, const detect_params *p)
{
    return (uint8_t)((scanned(h, p) ? CAUSE_SCAN : 0) | (h->intel_hits ? CAUSE_INTEL : 0) |
                     (h->bursts ? CAUSE_BURST : 0));
}

static uint16_t top_port(const dd_host *h)
{
    int best = 0;
    for (int j = 1; j < 3; j++)
        if (h->port_n[j] > h->port_n[best]) best = j;
    return h->port_n[best] ? h->port[best] : 0;
}

typedef struct merger {
    window  *w;
    dtab     host_ix, dest_ix, edge_ix;
    uint32_t cap_host, cap_dest, cap_edge;
    dsketch  active;
} merger;

static int merge_hosts(merger *M, const dday *d, uint32_t *hmap, const detect_params *p)
{
    window *w = M->w;
    for (uint32_t i = 0; i < d->n_host; i++) {
        const dd_host *h = &d->host[i];
        dkey k = dkey_addr(&h->addr);
        int is_new;
        uint32_t *v = dtab_put(&M->host_ix, &k, w->n_host, &is_new);
        if (!v) return -1;
        if (is_new) {
            if (detect_grow((void **)&w->host, &M->cap_host, w->n_host + 1, sizeof *w->host) < 0)
                return -1;
            w_host *x = &w->host[w->n_host++];
            x->addr = h->addr;
            x->hash = detect_addr_hash(&h->addr);
            x->scan_first = INT64_MAX;
        }
        w_host *x = &w->host[*v];
        uint8_t cause = day_cause(h, p);
        if ((cause & CAUSE_SCAN) && !x->scan_port) x->scan_port = top_port(h);
        if ((cause & CAUSE_SCAN) && h->syn_first < x->scan_first) x->scan_first = h->syn_first;
        x->cause |= cause;
        hmap[i] = *v;
    }
    return 0;
}

static int merge_dests(merger *M, const dday *d, uint32_t *dmap)
{
    window *w = M->w;
    for (uint32_t i = 0; i < d->n_dest; i++) {
        const dd_dest *s = &d->dest[i];
        dkey k = dkey_server(&s->ip, s->port, s->proto);
        int is_new;
        uint32_t *v = dtab_put(&M->dest_ix, &k, w->n_dest, &is_new);
        if (!v) return -1;
        if (is_new) {
            if (detect_grow((void **)&w->dest, &M->cap_dest, w->n_dest + 1, sizeof *w->dest) < 0)
                return -1;
            w_dest *x = &w->dest[w->n_dest++];
            x->ip = s->ip;
            x->port = s->port;
            x->proto = s->proto;
            x->first = INT64_MAX;
            x->last = INT64_MIN;
        }
        w_dest *x = &w->dest[*v];
        x->flags |= s->flags;
        x->days++;
        if (s->first < x->first) x->first = s->first;
        if (s->last > x->last) x->last = s->last;
        if (dsketch_merge(&x->clients, dsketch_vals(&s->clients), s->clients.n,
                          DSKETCH_CLIENTS) < 0)
            return -1;
        dmap[i] = *v;
    }
    return 0;
}

/* Edges of hosts infected by any day's evidence (so all days are merged
 * into hosts before any edge is). */
static int merge_edges(merger *M, const dday *d, const uint32_t *hmap, const uint32_t *dmap)
{
    window *w = M->w;
    for (uint32_t i = 0; i < d->n_edge; i++) {
        const dd_edge *e = &d->edge[i];
        uint32_t h = hmap[e->host], s = dmap[e->dest];
        if (!w->host[h].cause) continue;
        dkey k = dkey_ints((uint64_t)h << 32 | s, 0);
        int is_new;
        uint32_t *v = dtab_put(&M->edge_ix, &k, w->n_edge, &is_new);
        if (!v) return -1;
        if (is_new) {
            if (detect_grow((void **)&w->edge, &M->cap_edge, w->n_edge + 1, sizeof *w->edge) < 0)
                return -1;
            w->edge[w->n_edge++] = (w_edge){h, s, 0, e->first};
            w->dest[s].infected++;
        }
        w_edge *x = &w->edge[*v];
        x->flows = e->flows > UINT32_MAX - x->flows ? UINT32_MAX : x->flows + e->flows;
        if (e->first < x->first) x->first = e->first;
    }
    return 0;
}

/* The share of a server's sketched clients that are infected hosts: the
 * sketch is a uniform sample of its clients, exact when not full. */
static int infected_shares(window *w)
{
    dtab inf = {0};
    for (uint32_t i = 0; i < w->n_host; i++) {
        if (!w->host[i].cause) continue;
        dkey k = dkey_ints(w->host[i].hash, 0);
        if (!dtab_put(&inf, &k, 0, NULL)) {
            dtab_free(&inf);
            return -1;
        }
    }
    for (uint32_t i = 0; i < w->n_dest; i++) {
        w_dest *x = &w->dest[i];
        const uint32_t *v = dsketch_vals(&x->clients);
        uint32_t hit = 0;
        for (uint32_t j = 0; j < x->clients.n; j++) {
            dkey k = dkey_ints(v[j], 0);
            hit += dtab_get(&inf, &k) != NULL;
        }
        double est = dsketch_estimate(&x->clients, DSKETCH_CLIENTS);
        x->infected_share = x->clients.n ? (double)hit / x->clients.n : 0;
        double sketched = x->infected_share * est;
        if (sketched > x->infected) x->infected = (uint32_t)(sketched + 0.5);
        x->clients_est = est > x->infected ? est : x->infected;
    }
    dtab_free(&inf);
    return 0;
}

static void count_hosts(window *w)
{
    detect_report *r = &w->rep;
    r->suspects = w->n_host;
    for (uint32_t i = 0; i < w->n_host; i++) {
        uint8_t c = w->host[i].cause;
        r->infected += c != 0;
        r->infected_scan += (c & CAUSE_SCAN) != 0;
        r->infected_intel += (c & CAUSE_INTEL) != 0;
        r->infected_burst += (c & CAUSE_BURST) != 0;
    }
    for (uint32_t i = 0; i < w->n_dest; i++)
        r->burst_targets += (w->dest[i].flags & DEST_BURST) != 0;
    r->destinations = w->n_dest;
}

int window_build(window *w, dday *days, uint32_t n_days, const detect_params *p, c2_err *err)
{
    merger M = {.w = w};
    uint32_t **hmap = calloc(n_days + 1, sizeof *hmap), **dmap = calloc(n_days + 1, sizeof *dmap);
    int rc = -1;
    w->n_days = n_days;
    if (!hmap || !dmap) goto out;
    for (uint32_t i = 0; i < n_days; i++) {
        dday *d = &days[i];
        hmap[i] = malloc((d->n_host + 1) * sizeof **hmap);
        dmap[i] = malloc((d->n_dest + 1) * sizeof **dmap);
        if (!hmap[i] || !dmap[i] || merge_hosts(&M, d, hmap[i], p) < 0 ||
            merge_dests(&M, d, dmap[i]) < 0 ||
            dsketch_merge(&M.active, dsketch_vals(&d->active), d->active.n, DSKETCH_ACTIVE) < 0)
            goto out;
        w->rep.records += d->records;
        w->rep.oriented += d->oriented;
    }
    for (uint32_t i = 0; i < n_days; i++)
        if (merge_edges(&M, &days[i], hmap[i], dmap[i]) < 0) goto out;
    if (infected_shares(w) < 0) goto out;
    w->active_hosts = dsketch_estimate(&M.active, DSKETCH_ACTIVE);
    w->rep.active_hosts = (uint64_t)(w->active_hosts + 0.5);
    count_hosts(w);
    rc = 0;
out:
    if (rc < 0) c2_fail(err, "out of memory merging the days");
    for (uint32_t i = 0; i < n_days && hmap && dmap; i++) {
        free(hmap[i]);
        free(dmap[i]);
    }
    free(hmap);
    free(dmap);
    dtab_free(&M.host_ix);
    dtab_free(&M.dest_ix);
    dtab_free(&M.edge_ix);
    dsketch_free(&M.active);
    return rc;
}

void window_free(window *w)
{
    for (uint32_t i = 0; i < w->n_dest; i++) dsketch_free(&w->dest[i].clients);
    free(w->host);
    free(w->dest);
    free(w->edge);
    memset(w, 0, sizeof *w);
}
