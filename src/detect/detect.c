/*
 * detect.c: detect_graph(), the steps of graph detection in order, and the
 * thresholds (detect.h).
 *
 * The window is cut at UTC midnights into pieces.  Each piece gets a day
 * summary: read from the summary directory when --incremental and its
 * fingerprint (the thresholds it depends on, the customer space, the intel
 * known by the end of the piece, and the store's segments of that day)
 * still matches, else computed from the store, on several threads at
 * once, and kept when it covers a whole day.  Then the days are merged,
 * the graph is split and the servers are scored.
 */
#include "detect/detect_impl.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

#define SUMMARY_VERSION 2          /* part of every fingerprint */

/* ---- thresholds ---- */

void detect_params_default(detect_params *p)
{
    p->scan_min_samples = 20;
    p->scan_pps = 5;
    p->scan_fresh = 0.8;
    p->scan_port_share = 0.5;
    p->scan_packet_bytes = 100;
    p->burst_pps = 500;
    p->burst_hosts = 3;
    p->rare_share = 0.001;
    p->rare_min = 5;
    p->min_infected = 3;
    p->min_score = 50;
    p->oneoff_significance = 0.001;
    p->oneoff_return = 0.25;
    p->oneoff_tier = 0.3;
    p->oneoff_onset = 0.5;
    p->ml_min_clients = 1;
    p->ml_probe_clients = 3;
    p->ml_min_score = 50;
    p->ml_veto_score = 50;
    p->ml_hub_share = 0.5;
}

#define P_U32(k, lo, hi) C2_FIELD(detect_params, k, k, 'u', lo, hi)
#define P_DBL(k, lo, hi) C2_FIELD(detect_params, k, k, 'd', lo, hi)
static const c2_field params[] = {
    P_U32(scan_min_samples, 1, 1e9), P_DBL(scan_pps, 0, 1e9), P_DBL(scan_fresh, 0, 1),
    P_DBL(scan_port_share, 0, 1), P_U32(scan_packet_bytes, 20, 65535),
    P_DBL(burst_pps, 1, 1e9), P_U32(burst_hosts, 2, 1e6), P_DBL(rare_share, 0, 1),
    P_U32(rare_min, 0, 1e9), P_U32(min_infected, 2, 1e6), P_DBL(min_score, 0, 100),
    P_DBL(oneoff_significance, 0, 1), P_DBL(oneoff_return, 0, 1), P_DBL(oneoff_tier, 0, 1),
    P_DBL(oneoff_onset, 0, 1),
    P_U32(ml_min_clients, 1, 1e6), P_U32(ml_probe_clients, 1, 1e6),
    P_DBL(ml_min_score, 0, 100), P_DBL(ml_veto_score, 0, 100),
    P_DBL(ml_hub_share, 0, 1),
};

int detect_params_set(detect_params *p, const char *key, const char *value, int *known,
                      c2_err *err)
{
    return c2_field_set(p, params, sizeof params / sizeof params[0], key, value, known, err);
}

/* ---- pieces and their fingerprints ---- */

typedef struct piece {
    dday     day;
    uint64_t store_records, store_segments;
    int      whole;              /* a whole UTC day */
    unsigned parts;              /* threads reading it */
    int      cached;             /* loaded from a summary */
} piece;

typedef struct runner {
    const detect_input *in;
    piece              *piece;
    uint32_t            n_piece;
    atomic_uint         next;
    atomic_uint         next_load;   /* phase 1's next piece */
    atomic_int          failed;
    pthread_mutex_t     lock;    /* err, unsaved and progress */
    c2_err              err;
    uint32_t            unsaved;     /* summaries that could not be kept */
    c2_err              unsaved_msg; /* the first one's reason */
} runner;

static void count_segment(const char *path, const store_zone *z, uint64_t bytes, void *arg)
{
    (void)path; (void)bytes;
    runner *R = arg;
    int64_t t = z->min[FLOW_START].t;
    for (uint32_t i = 0; i < R->n_piece; i++) {
        piece *p = &R->piece[i];
        int64_t day = p->day.from - p->day.from % C2_MS_PER_DAY;
        if (t >= day && t < day + C2_MS_PER_DAY) {
            p->store_records += z->records;
            p->store_segments++;
        }
    }
}

static uint64_t intel_fingerprint(const intel_set *s, int64_t at)
{
    uint64_t h = 0x1a7e1;
    for (size_t i = 0; s && i < intel_count(s); i++) {
        const intel_entry *e = intel_get(s, i);
        if (e->first_seen && e->first_seen > at) continue;
        h = c2_mix64(h ^ c2_get64(e->ip.b));
        h = c2_mix64(h ^ c2_get64(e->ip.b + 8));
        h = c2_mix64(h ^ ((uint64_t)e->port << 8 | e->proto));
    }
    return h;
}

static uint64_t fingerprint(const detect_input *in, const piece *p)
{
    const detect_params *q = &in->params;
    uint64_t h = c2_mix64(SUMMARY_VERSION);
    uint64_t parts[] = {
        (uint64_t)p->day.from, (uint64_t)p->day.to, q->scan_min_samples,
        (uint64_t)(q->burst_pps * 1000), q->burst_hosts, ipset_fingerprint(in->internal),
        intel_fingerprint(in->intel, p->day.to - 1), p->store_records, p->store_segments,
    };
    for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++) h = c2_mix64(h ^ parts[i]);
    return h;
}

static int cut_pieces(runner *R, c2_err *err)
{
    const detect_input *in = R->in;
    int64_t first = in->from_ms - in->from_ms % C2_MS_PER_DAY;
    if (in->from_ms < 0 || in->to_ms <= in->from_ms)
        return c2_fail(err, "the window is empty (--from must be before --to)");
    uint64_t n = (uint64_t)((in->to_ms - first + C2_MS_PER_DAY - 1) / C2_MS_PER_DAY);
    if (n > 3660) return c2_fail(err, "the window is longer than ten years");
    R->piece = calloc(n, sizeof *R->piece);
    if (!R->piece) return c2_fail(err, "out of memory");
    R->n_piece = (uint32_t)n;
    for (uint32_t i = 0; i < n; i++) {
        piece *p = &R->piece[i];
        int64_t day = first + (int64_t)i * C2_MS_PER_DAY;
        p->day.from = day > in->from_ms ? day : in->from_ms;
        p->day.to = day + C2_MS_PER_DAY < in->to_ms ? day + C2_MS_PER_DAY : in->to_ms;
        p->whole = p->day.from == day && p->day.to == day + C2_MS_PER_DAY;
    }
    store_info info;
    if (store_inventory(in->store, &info, count_segment, R, err) != 0) return -1;
    for (uint32_t i = 0; i < n; i++) {
        piece *p = &R->piece[i];
        p->day.fingerprint = fingerprint(in, p);
        p->day.records_hint = p->store_records;
    }
    return 0;
}

/* ---- one piece, on some thread ---- */

static void say(runner *R, const piece *p, double secs)
{
    if (!R->in->progress) return;
    char when[32], line[160];
    c2_time_format(p->day.from, when, sizeof when);
    snprintf(line, sizeof line, "day %.10s: %llu records, %u suspect hosts, %u servers%s "
             "(%.1f s)", when, (unsigned long long)p->day.records, p->day.n_host,
             p->day.n_dest, p->cached ? ", from its summary" : "", secs);
    pthread_mutex_lock(&R->lock);
    R->in->progress(line, R->in->progress_arg);
    pthread_mutex_unlock(&R->lock);
}

/* A whole day that is over and still inside the store's retention (a
 * summary holds customer addresses: it lives no longer than the flows). */
static int keepable(const runner *R, const piece *p)
{
    int64_t now = c2_now_ms(), keep = store_get_options(R->in->store)->retention_ms;
    return R->in->incremental && R->in->summary_dir && p->whole && p->day.to <= now &&
           (keep <= 0 || p->day.to > now - keep);
}

/* Phase 1: the pieces whose summary is kept and still valid, read on the
 * threads of phase 2 (a daily run reads six of them, 0.4 s each). */
static void load_one(runner *R, piece *p)
{
    if (!keepable(R, p)) return;
    double t0 = (double)c2_now_ms();
    dday keep = p->day;
    c2_err err;
    if (summary_load(R->in->summary_dir, p->day.from, p->day.fingerprint, &p->day,
                     &err) == 1) {
        p->cached = 1;
        say(R, p, ((double)c2_now_ms() - t0) / 1000);
    } else {
        p->day = keep;          /* absent, stale or damaged: computed again below */
    }
}

static void *loader(void *arg)
{
    runner *R = arg;
    for (unsigned i; (i = atomic_fetch_add(&R->next_load, 1)) < R->n_piece;)
        load_one(R, &R->piece[i]);
    return NULL;
}

/* fn on n threads, the caller's among them; fewer when threads cannot be
 * had (fn takes its work from a shared counter, so none is lost). */
static void on_threads(runner *R, unsigned n, void *(*fn)(void *))
{
    pthread_t *t = n > 1 ? calloc(n - 1, sizeof *t) : NULL;
    unsigned started = 0;
    for (; t && started + 1 < n; started++)
        if (pthread_create(&t[started], NULL, fn, R) != 0) break;
    fn(R);
    for (unsigned i = 0; i < started; i++) pthread_join(t[i], NULL);
    free(t);
}

/* Phase 2: one piece from the store (and kept, when it may be).  A
 * summary that cannot be written (a full disk) costs the next run time,
 * not this run its list: it is reported, not fatal. */
static int do_piece(runner *R, piece *p, c2_err *err)
{
    double t0 = (double)c2_now_ms();
    if (dday_build(&p->day, R->in, p->parts, err) < 0) return -1;
    c2_err serr;
    if (keepable(R, p) && summary_save(R->in->summary_dir, p->day.from, &p->day, &serr) < 0) {
        pthread_mutex_lock(&R->lock);
        if (!R->unsaved++) R->unsaved_msg = serr;
        pthread_mutex_unlock(&R->lock);
    }
    say(R, p, ((double)c2_now_ms() - t0) / 1000);
    return 0;
}

static void *worker(void *arg)
{
    runner *R = arg;
    for (;;) {
        unsigned i = atomic_fetch_add(&R->next, 1);
        if (i >= R->n_piece || atomic_load(&R->failed)) break;
        if (R->piece[i].cached) continue;
        c2_err err = {0};
        if (do_piece(R, &R->piece[i], &err) < 0) {
            pthread_mutex_lock(&R->lock);
            if (!atomic_exchange(&R->failed, 1)) R->err = err;
            pthread_mutex_unlock(&R->lock);
            break;
        }
    }
    return NULL;
}

/* Days on separate threads while there are enough of them; the days left
 * over when they do not divide evenly (a lone day: the daily run) are each
 * split between the threads by time, so that no core waits. */
static void plan_parts(runner *R, unsigned threads, unsigned todo)
{
    unsigned rest = todo % threads, seen = 0;
    for (uint32_t i = 0; i < R->n_piece; i++) {
        piece *p = &R->piece[i];
        if (p->cached) continue;
        p->parts = seen++ < todo - rest ? 1 : threads / rest;
        if (p->parts > DETECT_MAX_PARTS) p->parts = DETECT_MAX_PARTS;
    }
}

static int run_pieces(runner *R, c2_err *err)
{
    unsigned threads = R->in->threads ? R->in->threads : 1, todo = 0;
    on_threads(R, threads < R->n_piece ? threads : R->n_piece, loader);
    for (uint32_t i = 0; i < R->n_piece; i++) todo += !R->piece[i].cached;
    if (!todo) return 0;
    plan_parts(R, threads, todo);
    on_threads(R, threads < todo ? threads : todo, worker);
    if (atomic_load(&R->failed)) {
        *err = R->err;
        return -1;
    }
    return 0;
}

/* ---- the whole run ---- */

static void report_days(const runner *R, detect_report *rep)
{
    rep->days = R->n_piece;
    rep->days_unsaved = R->unsaved;
    if (R->unsaved)
        snprintf(rep->unsaved_reason, sizeof rep->unsaved_reason, "%.159s", R->unsaved_msg.msg);
    for (uint32_t i = 0; i < R->n_piece; i++) {
        rep->days_cached += R->piece[i].cached;
        rep->days_computed += !R->piece[i].cached;
        rep->damaged += R->piece[i].day.damaged;
    }
}

static int addr_order(const void *a, const void *b)
{
    return flow_addr_cmp(a, b);
}

static int infected_hosts(const window *w, detect_hosts *h, c2_err *err)
{
    size_t n = 0;
    for (uint32_t i = 0; i < w->n_host; i++) n += w->host[i].cause != 0;
    h->addr = malloc((n ? n : 1) * sizeof *h->addr);
    if (!h->addr) return c2_fail(err, "out of memory");
    for (uint32_t i = 0; i < w->n_host; i++)
        if (w->host[i].cause) h->addr[h->n++] = w->host[i].addr;
    qsort(h->addr, h->n, sizeof *h->addr, addr_order);
    return 0;
}

void detect_hosts_free(detect_hosts *h)
{
    free(h->addr);
    h->addr = NULL;
    h->n = 0;
}

static int analyse(runner *R, c2list *out, detect_hosts *infected, detect_report *rep,
                   c2_err *err)
{
    const detect_input *in = R->in;
    dday *days = malloc((R->n_piece + 1) * sizeof *days);
    if (!days) return c2_fail(err, "out of memory");
    for (uint32_t i = 0; i < R->n_piece; i++) days[i] = R->piece[i].day;
    window w = {.from = in->from_ms, .to = in->to_ms};
    graph_result g = {0};
    int rc = window_build(&w, days, R->n_piece, &in->params, err);
    free(days);
    if (rc == 0 && infected) rc = infected_hosts(&w, infected, err);
    if (rc == 0 && !out) *rep = w.rep;
    if (rc == 0 && out) rc = graph_communities(&w, &in->params, in->allow, &g, err);
    if (rc == 0 && out) {
        *rep = w.rep;
        rep->graph_hosts = g.nodes_host;
        rep->graph_dests = g.nodes_dest;
        rep->graph_edges = g.edges;
        rep->modularity = g.modularity;
        rc = candidates_list(&w, &g, &in->params, in->allow, out, in->oneoff, rep, err);
        if (rc == 0) rep->groups = g.groups;
    }
    graph_result_free(&g);
    window_free(&w);
    return rc;
}

int detect_graph(const detect_input *in, c2list *out, detect_report *rep, c2_err *err)
{
    return detect_run(in, out, NULL, rep, err);
}

int detect_run(const detect_input *in, c2list *out, detect_hosts *infected,
               detect_report *rep, c2_err *err)
{
    memset(rep, 0, sizeof *rep);
    if (infected) memset(infected, 0, sizeof *infected);
    if (!in->store || !in->internal)
        return c2_fail(err, "no store or no customer address space");
    runner R = {.in = in};
    pthread_mutex_init(&R.lock, NULL);
    int rc = cut_pieces(&R, err);
    if (rc == 0 && in->incremental && in->summary_dir) {
        const store_options *o = store_get_options(in->store);
        if (o->retention_ms > 0)
            rc = summary_expire(in->summary_dir, c2_now_ms() - o->retention_ms, err);
    }
    if (rc == 0) rc = run_pieces(&R, err);
    if (rc == 0) rc = analyse(&R, out, infected, rep, err);
    report_days(&R, rep);
    for (uint32_t i = 0; i < R.n_piece; i++) dday_free(&R.piece[i].day);
    free(R.piece);
    pthread_mutex_destroy(&R.lock);
    return rc;
}
