/*
 * fuzz_summary.c: libFuzzer target for the day summaries of graph
 * detection (src/detect/summary.c), and for the steps a loaded summary
 * feeds (window, graph, candidates).
 *
 * Any bytes must be refused with a one-line message, leaving nothing to
 * free, or decode into a day whose every index points inside its tables,
 * whose sketches are sorted and no longer than their k, and whose time
 * range is not empty.  A decoded day must encode and decode again to the
 * very same bytes, and go through the window, the graph and the scoring as
 * detect_graph would put it, listing no more than it scored.
 *
 * Fuzzing builds skip the frame's checksum (summary.c), so mutations of
 * the compressed bytes reach the parser; the replay under the test build
 * checks it, and refuses such mutations.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "detect/detect_impl.h"

static void check_sketch(const dsketch *s, uint32_t k)
{
    const uint32_t *v = dsketch_vals(s);
    if (s->n > k) abort();
    for (uint32_t j = 1; j < s->n; j++)
        if (v[j] <= v[j - 1]) abort();
}

static void check_day(const dday *d)
{
    if (d->to <= d->from) abort();
    check_sketch(&d->active, DSKETCH_ACTIVE);
    for (uint32_t i = 0; i < d->n_dest; i++) check_sketch(&d->dest[i].clients, DSKETCH_CLIENTS);
    for (uint32_t i = 0; i < d->n_edge; i++)
        if (d->edge[i].host >= d->n_host || d->edge[i].dest >= d->n_dest) abort();
}

/* encode(decode(encode(d))) == encode(d): nothing lost or changed. */
static void check_round_trip(const dday *d)
{
    uint8_t *buf, *again;
    size_t len, len2;
    dday back;
    c2_err err;
    if (summary_encode(d, &buf, &len, &err) != 0) return;     /* out of memory */
    if (summary_decode(buf, len, &back, &err) != 0) abort();
    if (summary_encode(&back, &again, &len2, &err) == 0) {
        if (len2 != len || memcmp(again, buf, len) != 0) abort();
        free(again);
    }
    dday_free(&back);
    free(buf);
}

/* The rest of detection on the day, with the default thresholds. */
static void check_analysis(dday *d)
{
    detect_params p;
    detect_params_default(&p);
    window w = {.from = d->from, .to = d->to};
    graph_result g = {0};
    c2_err err;
    if (window_build(&w, d, 1, &p, &err) == 0 && graph_communities(&w, &p, NULL, &g, &err) == 0) {
        c2list *l = c2list_new(), *oneoff = c2list_new();
        detect_report rep = w.rep;
        if (l && oneoff && candidates_list(&w, &g, &p, NULL, l, oneoff, &rep, &err) == 0) {
            if (rep.listed > rep.candidates || rep.listed != c2list_count(l)) abort();
            if (rep.oneoff != c2list_count(oneoff)) abort();
            for (size_t i = 0; i < c2list_count(l); i++) {
                const c2_entry *e = c2list_get(l, i);
                if (e->infected_clients < p.min_infected) abort();
                if (c2list_find(oneoff, &e->ip, e->port, e->proto)) abort();
            }
        }
        c2list_free(l);
        c2list_free(oneoff);
    }
    graph_result_free(&g);
    window_free(&w);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    dday d;
    c2_err err = {{0}};
    if (summary_decode(data, size, &d, &err) != 0) {
        if (!err.msg[0] || strchr(err.msg, '\n')) abort();
        if (d.host || d.dest || d.edge || d.n_host || d.n_dest || d.n_edge) abort();
        return 0;
    }
    check_day(&d);
    check_round_trip(&d);
    check_analysis(&d);
    dday_free(&d);
    return 0;
}
