/*
 * sim.c: the simulator's public calls: build the world, run it chunk by
 * chunk on a generator thread one chunk ahead of the sink, and free it.
 */
#include "sim/sim_impl.h"

#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

void sim_options_default(sim_options *o)
{
    o->seed = 1;
    o->start_ms = C2_TIME_MIN;
    o->days = 0;
}

static int build_activity(sim *s)
{
    /* how active each subscriber is: lognormal, so a few heavy users make
     * much of the traffic, as on every access network */
    uint32_t n = s->sc.subscribers;
    double *w = malloc(n * sizeof *w);
    if (!w)
        return -1;
    rng r;
    rng_seed(&r, s->seed, STREAM_WORLD, 1);
    for (uint32_t i = 0; i < n; i++)
        w[i] = rng_lognormal(&r, 1, s->sc.activity_sigma);
    int rc = alias_build(&s->activity, w, n);
    free(w);
    return rc;
}

int sim_new(const sim_scenario *sc, const sim_options *o, sim **out, c2_err *err)
{
    sim *s = calloc(1, sizeof *s);
    *out = s;
    if (!s)
        return c2_fail(err, "out of memory");
    s->sc = *sc;
    s->seed = o->seed;
    s->start_ms = o->start_ms != C2_TIME_MIN ? o->start_ms : sc->start_ms;
    uint32_t days = o->days ? o->days : sc->days;
    if (days > SIM_MAX_DAYS)
        return c2_fail(err, "at most %d days", SIM_MAX_DAYS);
    s->end_ms = s->start_ms + (int64_t)days * C2_MS_PER_DAY;
    s->p = 1.0 / sc->sampling;
    for (int n = 0; n < SIM_ANY_TAB; n++)
        s->any_prob[n] = s->p >= 1 ? 1 : -expm1((double)n * log1p(-s->p));
    s->stats.subscribers = sc->subscribers;
    if (sim_addr_plan(s, err) < 0)
        return -1;
    if (build_activity(s) < 0)
        return c2_fail(err, "out of memory");
    /* botnets first: their servers claim addresses the others avoid */
    if (sim_botnets_build(s, err) < 0 || sim_benign_build(s, err) < 0 ||
        sim_entities_build(s, err) < 0)
        return -1;
    for (int f = 0; f < sc->n_fam; f++)
        for (uint32_t i = 0; i < s->fam[f].n_srv; i++) {
            const sim_server *sv = &s->fam[f].srv[i];
            if (sv->role == ROLE_C2) s->stats.c2_servers++;
            else s->stats.other_servers++;
        }
    for (uint32_t i = 0; i < s->n_bots; i++)
        if (s->bots[i].infected_at < s->end_ms && s->bots[i].cleaned_at > s->start_ms)
            s->stats.infected++;
    return 0;
}

int64_t sim_start_ms(const sim *s) { return s->start_ms; }
int64_t sim_end_ms(const sim *s) { return s->end_ms; }

/* ---- the run: a generator thread and the caller's sink ---- */

/* Records that end after their chunk wait in the chunk they end in, so
 * that every chunk goes out in export order (a router exports a record
 * when it ends).  Records end at most MAX_CONN + one active timeout after
 * their connection starts. */
#define PENDING 128                 /* chunks: 10 h 40 min at 5 minutes */

typedef struct pending {
    sim_chunk bucket[PENDING];
} pending;

static void defer_late(sim_chunk *c, pending *pd, int64_t t1, uint64_t k, int64_t start_ms)
{
    size_t keep = 0;
    for (size_t i = 0; i < c->n; i++) {
        const flow_record *r = &c->rec[i];
        if (r->end_ms < t1) {
            c->rec[keep++] = *r;
            continue;
        }
        uint64_t target = (uint64_t)((r->end_ms - start_ms) / SIM_CHUNK_MS);
        if (target <= k) target = k + 1;
        if (target - k >= PENDING) target = k + PENDING - 1;
        sim_chunk *b = &pd->bucket[target % PENDING];
        if (sim_chunk_reserve(b, 1) < 0) {
            c->failed = 1;
            return;
        }
        b->rec[b->n++] = *r;
    }
    c->n = keep;
}

/* A connection still running when the window closes: what it sends later
 * belongs to a simulation of the next days, not to this one. */
static void drop_after_end(sim_chunk *c, int64_t end_ms)
{
    size_t keep = 0;
    for (size_t i = 0; i < c->n; i++)
        if (c->rec[i].start_ms < end_ms)
            c->rec[keep++] = c->rec[i];
    c->n = keep;
}

static void take_pending(sim_chunk *c, sim_chunk *b)
{
    if (!b->n)
        return;
    if (sim_chunk_reserve(c, b->n) < 0)
        return;
    memcpy(c->rec + c->n, b->rec, b->n * sizeof *b->rec);
    c->n += b->n;
    /* a bucket's peak does not come back for hours: give the memory back */
    free(b->rec);
    memset(b, 0, sizeof *b);
}

typedef struct pipeline {
    sim            *s;
    pthread_mutex_t mu;
    pthread_cond_t  cv;
    sim_chunk       buf[2];
    int             full[2];        /* chunk ready for the sink */
    int64_t         reached[2];     /* simulated time at the chunk's end */
    sim_stats       snap[2];        /* stats as of the chunk */
    int             done, stop, failed;
} pipeline;

static void chunk_stats(sim *s, const sim_chunk *c)
{
    for (size_t i = 0; i < c->n; i++) {
        s->stats.packets += c->rec[i].packets;
        s->stats.bytes += c->rec[i].bytes;
    }
    s->stats.records += c->n;
    /* records past the window's end were dropped after counting; they are
     * almost all benign, so benign is what the others leave */
    uint64_t others = s->stats.bot_records + s->stats.lookalike_records + s->stats.scanner_records;
    s->stats.benign_records = s->stats.records > others ? s->stats.records - others : 0;
}

/* The second half of a chunk's benign records, on a thread of its own. */
typedef struct benign_job {
    const sim *s;
    sim_chunk  c;
    int64_t    t0;
    uint64_t   k;
} benign_job;

static void *benign_half(void *arg)
{
    benign_job *j = arg;
    j->c.n = 0;
    sim_benign_chunk(j->s, &j->c, j->t0, j->k, 1, 2);
    return NULL;
}

static void *generate(void *arg)
{
    pipeline *p = arg;
    sim *s = p->s;
    flow_record *tmp = NULL;
    size_t tmp_cap = 0;
    benign_job job;
    memset(&job, 0, sizeof job);
    pending *pd = calloc(1, sizeof *pd);
    if (!pd) {
        pthread_mutex_lock(&p->mu);
        p->failed = p->done = 1;
        pthread_cond_broadcast(&p->cv);
        pthread_mutex_unlock(&p->mu);
        return NULL;
    }
    uint64_t chunks = (uint64_t)((s->end_ms - s->start_ms + SIM_CHUNK_MS - 1) / SIM_CHUNK_MS);
    for (uint64_t k = 0; k < chunks; k++) {
        int slot = (int)(k & 1);
        pthread_mutex_lock(&p->mu);
        while (p->full[slot] && !p->stop)
            pthread_cond_wait(&p->cv, &p->mu);
        int stop = p->stop;
        pthread_mutex_unlock(&p->mu);
        if (stop)
            break;
        sim_chunk *c = &p->buf[slot];
        c->n = 0;
        int64_t t0 = s->start_ms + (int64_t)k * SIM_CHUNK_MS;
        int64_t t1 = t0 + SIM_CHUNK_MS < s->end_ms ? t0 + SIM_CHUNK_MS : s->end_ms;
        take_pending(c, &pd->bucket[k % PENDING]);
        job.s = s; job.t0 = t0; job.k = k;
        pthread_t helper;
        int threaded = pthread_create(&helper, NULL, benign_half, &job) == 0;
        if (!threaded)
            benign_half(&job);
        sim_entities_chunk(s, c, t0, t1);
        sim_botnets_chunk(s, c, t0, t1, k);
        sim_benign_chunk(s, c, t0, k, 0, 2);
        if (threaded)
            pthread_join(helper, NULL);
        if (job.c.failed || sim_chunk_reserve(c, job.c.n) < 0) {
            c->failed = 1;
        } else {
            memcpy(c->rec + c->n, job.c.rec, job.c.n * sizeof *c->rec);
            c->n += job.c.n;
        }
        if (k + 1 == chunks) {
            sim_entities_finish(s, c);
            for (int b = 0; b < PENDING; b++)
                take_pending(c, &pd->bucket[b]);
        } else {
            defer_late(c, pd, t1, k, s->start_ms);
        }
        drop_after_end(c, s->end_ms);
        sim_sort_chunk(c, &tmp, &tmp_cap);
        chunk_stats(s, c);
        pthread_mutex_lock(&p->mu);
        if (c->failed)
            p->failed = 1;
        p->full[slot] = 1;
        p->reached[slot] = t1;
        p->snap[slot] = s->stats;
        pthread_cond_broadcast(&p->cv);
        pthread_mutex_unlock(&p->mu);
        if (c->failed)
            break;
    }
    free(tmp);
    free(job.c.rec);
    for (int b = 0; b < PENDING; b++)
        free(pd->bucket[b].rec);
    free(pd);
    pthread_mutex_lock(&p->mu);
    p->done = 1;
    pthread_cond_broadcast(&p->cv);
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

int sim_run(sim *s, sim_sink_fn sink, void *sink_arg, sim_progress_fn progress,
            void *progress_arg, c2_err *err)
{
    pipeline p;
    memset(&p, 0, sizeof p);
    p.s = s;
    pthread_mutex_init(&p.mu, NULL);
    pthread_cond_init(&p.cv, NULL);
    pthread_t th;
    if (pthread_create(&th, NULL, generate, &p) != 0) {
        pthread_mutex_destroy(&p.mu);
        pthread_cond_destroy(&p.cv);
        return c2_fail(err, "cannot start the generator thread");
    }
    int rc = 0;
    for (uint64_t k = 0;; k++) {
        int slot = (int)(k & 1);
        pthread_mutex_lock(&p.mu);
        while (!p.full[slot] && !p.done)
            pthread_cond_wait(&p.cv, &p.mu);
        int have = p.full[slot], failed = p.failed;
        pthread_mutex_unlock(&p.mu);
        if (!have || failed) {
            if (failed)
                rc = c2_fail(err, "out of memory while generating records");
            break;
        }
        sim_chunk *c = &p.buf[slot];
        if (c->n && sink(sink_arg, c->rec, c->n, err) != 0) {
            rc = -1;
            pthread_mutex_lock(&p.mu);
            p.stop = 1;
            pthread_cond_broadcast(&p.cv);
            pthread_mutex_unlock(&p.mu);
            break;
        }
        if (progress)
            progress(progress_arg, p.reached[slot], &p.snap[slot]);
        pthread_mutex_lock(&p.mu);
        p.full[slot] = 0;
        pthread_cond_broadcast(&p.cv);
        pthread_mutex_unlock(&p.mu);
    }
    pthread_join(th, NULL);
    free(p.buf[0].rec);
    free(p.buf[1].rec);
    pthread_mutex_destroy(&p.mu);
    pthread_cond_destroy(&p.cv);
    return rc;
}

void sim_get_stats(const sim *s, sim_stats *out) { *out = s->stats; }

int sim_write_truth(const sim *s, FILE *f, c2_err *err) { return sim_truth_write(s, f, err); }

int sim_write_feed(const sim *s, FILE *f, c2_err *err) { return sim_feed_write(s, f, err); }

void sim_free(sim *s)
{
    if (!s)
        return;
    sim_benign_free(s);
    alias_free(&s->activity);
    for (int f = 0; f < SIM_MAX_FAMILIES; f++)
        free(s->fam[f].srv);
    free(s->ent);
    free(s->ent_due);
    free(s->look);
    free(s->models);
    free(s->scanner_ip);
    free(s->bots);
    free(s->ddos);
    free(s->pairs.slot);
    free(s->claimed.slot);
    free(s);
}
