/*
 * collector.c: the collector's life cycle and its decode worker.
 *
 * The worker takes datagrams from the queue (ring.h) in order, decodes them, and
 * appends each datagram's records to the store straight from the
 * decoder's buffer (one store call per datagram, never per record; the
 * store copies them into its columns anyway).  Between datagrams, on its
 * own clock (every TICK_MS), it does the slow things: seals slices that
 * ended seal_after ago and have been quiet as long (store_writer_seal_quiet),
 * saves templates that changed, publishes counters, writes the log line
 * and picks up a reload.  It sleeps only when the queue is empty.
 *
 * Records older than the store's retention are counted as expired here,
 * per exporter, rather than refused inside the store, so that every
 * exporter's records are accounted for: decoded = stored + expired.
 *
 * Malformed datagrams are logged at most once per MALFORMED_LOG_MS with
 * the number suppressed since, so a broken router cannot flood the log.
 */
#include "collect/collect_impl.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define WORKER_BATCH 8192           /* records copied when some expire */
#define TICK_MS 200                 /* counters published this often */
#define SAVE_MS 10000               /* changed templates saved this often */
#define MALFORMED_LOG_MS 10000
#define STATE_NAME "templates"
/* An idle worker looks at the queue again after the receiver's pause (at
 * least 1 ms), backing off to 16 ms: cheap when quiet, and the queue
 * absorbs the first 16 ms of a burst. */
#define IDLE_MIN_NS 1000000L
#define IDLE_MAX_NS 16000000L

void collect_logf(collector *c, const char *fmt, ...)
{
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    if (!c->log) return;
    pthread_mutex_lock(&c->log_lock);
    c->log(c->log_arg, line);
    pthread_mutex_unlock(&c->log_lock);
}

/* ---- the worker's pieces ---- */

/* The counts of exporter a.  Datagrams come in runs from one exporter, so
 * the last one found is tried first; the table is searched only when the
 * exporter changes. */
static exporter_store_counts *store_counts(collector *c, const flow_addr *a)
{
    exporter_store_counts *e = c->last_store;
    if (e && !memcmp(e->addr.b, a->b, 16)) return e;
    for (size_t i = 0; i < c->nstores; i++)
        if (!memcmp(c->stores[i].addr.b, a->b, 16)) return c->last_store = &c->stores[i];
    if (c->nstores == COLLECT_MAX_EXPORTERS) return NULL;
    e = &c->stores[c->nstores++];
    memset(e, 0, sizeof *e);
    e->addr = *a;
    return c->last_store = e;
}

/* 0, or -1 when the store refused the records (counted and logged: they
 * are lost, and `stored` does not count them). */
static int append(collector *c, const flow_record *recs, size_t n)
{
    c2_err err;
    if (n == 0 || store_writer_append(c->writer, recs, n, &err) == 0) return 0;
    c->wc.store_errors++;
    collect_logf(c, "error: store: %s (%zu records lost)", err.msg, n);
    return -1;
}

static int flush_batch(collector *c)
{
    int rc = append(c, c->batch, c->nbatch);
    c->nbatch = 0;
    return rc;
}

/* Hand one datagram's records to the store, minus the expired ones.  The
 * usual datagram (nothing expired, one exporter) goes to the store as it
 * is; only a datagram with expired records is copied, without them. */
static void take_records(collector *c, const flow_record *recs, size_t n,
                         int64_t now)
{
    int64_t retention = store_get_options(c->st)->retention_ms;
    int64_t oldest = retention ? now - retention : INT64_MIN;
    exporter_store_counts *sc = store_counts(c, &recs[0].exporter);
    size_t expired = 0;
    for (size_t i = 0; i < n; i++) expired += recs[i].start_ms < oldest;
    int rc;
    if (expired == 0) {
        rc = append(c, recs, n);
    } else {
        rc = 0;
        for (size_t i = 0; i < n; i++) {
            if (recs[i].start_ms < oldest) continue;
            if (c->nbatch == WORKER_BATCH) rc |= flush_batch(c);
            c->batch[c->nbatch++] = recs[i];
        }
        rc |= flush_batch(c);
    }
    size_t stored = rc == 0 ? n - expired : 0;
    c->wc.expired += expired;
    c->wc.stored += stored;
    if (sc) {
        sc->expired += expired;
        sc->stored += stored;
    }
}

typedef struct malformed_log {
    int64_t  last_ms;
    uint64_t suppressed;
} malformed_log;

static void decode_one(collector *c, const ring_entry *e, malformed_log *ml)
{
    const flow_record *recs;
    size_t n;
    c2_err err;
    int rc = decoder_decode(c->dec, &e->from, e->data, e->len, e->time_ms,
                            &recs, &n, &err);
    if (n) take_records(c, recs, n, e->time_ms);
    if (rc == 0) return;
    if (e->time_ms - ml->last_ms < MALFORMED_LOG_MS) {
        ml->suppressed++;
        return;
    }
    if (ml->suppressed)
        collect_logf(c, "malformed: %s (%llu more malformed datagrams not "
                     "shown since the last)", err.msg,
                     (unsigned long long)ml->suppressed);
    else
        collect_logf(c, "malformed: %s", err.msg);
    ml->last_ms = e->time_ms;
    ml->suppressed = 0;
}

static void save_templates(collector *c, int force)
{
    uint8_t *buf;
    size_t len;
    c2_err err;
    if (!force && !decoder_state_changed(c->dec)) return;
    if (decoder_save(c->dec, &buf, &len, &err) != 0) {
        collect_logf(c, "error: cannot save templates: %s", err.msg);
        c->wc.store_errors++;
        return;
    }
    int rc = store_state_put(c->st, STATE_NAME, buf, len, &err);
    free(buf);
    if (rc != 0) {
        collect_logf(c, "error: cannot save templates: %s", err.msg);
        c->wc.store_errors++;
        return;
    }
    c->wc.state_saves++;
}

static void load_templates(collector *c)
{
    uint8_t *buf;
    size_t len;
    c2_err err;
    int rc = store_state_get(c->st, STATE_NAME, &buf, &len, &err);
    if (rc < 0 || (rc == 1 && decoder_load(c->dec, buf, len, &err) != 0))
        collect_logf(c, "warning: saved templates not loaded (%s); waiting "
                     "for the exporters to send them again", err.msg);
    else if (rc == 1)
        collect_logf(c, "loaded saved templates (%zu bytes)", len);
    free(rc == 1 ? buf : NULL);
}

static void apply_options(collector *c, const config_collect *o)
{
    decoder_clear_sampling_overrides(c->dec);
    for (size_t i = 0; i < o->nsampling; i++)
        if (decoder_set_sampling_override(c->dec, &o->sampling[i].exporter,
                                          o->sampling[i].interval) != 0) {
            collect_logf(c, "warning: too many sampling overrides; %zu ignored",
                         o->nsampling - i);
            break;
        }
}

static void take_reload(collector *c)
{
    pthread_mutex_lock(&c->pending_lock);
    config_collect *p = c->pending;
    c->pending = NULL;
    pthread_mutex_unlock(&c->pending_lock);
    if (!p) return;
    if (strcmp(p->listen, c->opt.listen) || strcmp(p->metrics, c->opt.metrics) ||
        p->rcvbuf != c->opt.rcvbuf || p->queue != c->opt.queue)
        collect_logf(c, "reload: listen, metrics, rcvbuf and queue keep their "
                     "values until a restart");
    if (p->apply_sampling != c->opt.apply_sampling)
        collect_logf(c, "reload: apply_sampling keeps its value until a restart");
    c->opt.log_interval_ms = p->log_interval_ms;
    c->opt.seal_after_ms = p->seal_after_ms;
    c->opt.nsampling = p->nsampling;
    memcpy(c->opt.sampling, p->sampling, p->nsampling * sizeof p->sampling[0]);
    apply_options(c, &c->opt);
    collect_logf(c, "reload: %zu sampling overrides, log every %llds, seal "
                 "after %llds", c->opt.nsampling,
                 (long long)(c->opt.log_interval_ms / 1000),
                 (long long)(c->opt.seal_after_ms / 1000));
    free(p);
}

static void copy_exporter(const decode_exporter *e, void *arg)
{
    collector *c = arg;
    collect_snapshot *s = &c->snap;
    if (s->nexporters == COLLECT_MAX_EXPORTERS) return;
    s->exporters[s->nexporters] = *e;
    exporter_store_counts *sc = NULL;
    for (size_t i = 0; i < c->nstores && !sc; i++)
        if (!memcmp(c->stores[i].addr.b, e->addr.b, 16)) sc = &c->stores[i];
    s->stores[s->nexporters] = sc ? *sc : (exporter_store_counts){e->addr, 0, 0};
    s->nexporters++;
}

static void publish(collector *c)
{
    store_write_stats ws;
    store_writer_stats(c->writer, &ws);
    c->wc.segments = ws.segments;
    pthread_mutex_lock(&c->lock);
    collect_snapshot *s = &c->snap;
    s->nexporters = 0;
    decoder_foreach_exporter(c->dec, copy_exporter, c, &c->wc.decode);
    c->wc.exporters = s->nexporters;
    receiver_counts(c, &c->wc);
    s->total = c->wc;
    pthread_mutex_unlock(&c->lock);
}

static void seal_old(collector *c, int64_t now)
{
    c2_err err;
    if (store_writer_seal_quiet(c->writer, now - c->opt.seal_after_ms, c->opt.seal_after_ms,
                                &err) != 0) {
        c->wc.store_errors++;
        collect_logf(c, "error: store: %s", err.msg);
    }
}

/* The slow things, at most every TICK_MS. */
static void tick(collector *c, int64_t now)
{
    if (now - c->last_snap_ms < TICK_MS) return;
    c->last_snap_ms = now;
    take_reload(c);
    seal_old(c, now);
    if (now - c->last_save_ms >= SAVE_MS) {
        c->last_save_ms = now;
        save_templates(c, 0);
    }
    publish(c);
    if (c->opt.log_interval_ms && now - c->last_log_ms >= c->opt.log_interval_ms) {
        c->last_log_ms = now;
        metrics_log_line(c, &c->wc);
    }
}

/* The worker sleeps when the queue is empty: first as long as the
 * receiver pauses between reads (it publishes about once a pause), then
 * longer while nothing comes. */
static void *worker_main(void *arg)
{
    collector *c = arg;
    malformed_log ml = {0, 0};
    long idle_ns = 0;
    for (;;) {
        int done = atomic_load(&c->rx_done);  /* read before the queue */
        ring_entry e;
        int got = 0;
        while (got < 256 && ring_peek(&c->ring, &e)) {
            decode_one(c, &e, &ml);
            got++;
        }
        ring_release(&c->ring);
        tick(c, c2_now_ms());
        if (got) {
            idle_ns = 0;
            continue;
        }
        if (done) break;
        long pause = atomic_load_explicit(&c->rx_pause_ns, memory_order_relaxed);
        idle_ns = idle_ns ? idle_ns * 2 : pause > IDLE_MIN_NS ? pause : IDLE_MIN_NS;
        if (idle_ns > IDLE_MAX_NS) idle_ns = IDLE_MAX_NS;
        struct timespec ts = {0, idle_ns};
        nanosleep(&ts, NULL);
    }
    return NULL;
}

/* ---- life cycle ---- */

static void collector_free(collector *c)
{
    if (c->writer) store_writer_abort(c->writer);
    decoder_free(c->dec);
    ring_free(&c->ring);
    free(c->batch);
    free(c->stores);
    free(c->snap.exporters);
    free(c->snap.stores);
    free(c->pending);
    pthread_mutex_destroy(&c->lock);
    pthread_mutex_destroy(&c->pending_lock);
    pthread_mutex_destroy(&c->log_lock);
    free(c);
}

static int allocate(collector *c, const config_collect *cfg, c2_err *err)
{
    c->batch = malloc(WORKER_BATCH * sizeof *c->batch);
    c->stores = calloc(COLLECT_MAX_EXPORTERS, sizeof *c->stores);
    c->snap.exporters = calloc(COLLECT_MAX_EXPORTERS, sizeof *c->snap.exporters);
    c->snap.stores = calloc(COLLECT_MAX_EXPORTERS, sizeof *c->snap.stores);
    if (!c->batch || !c->stores || !c->snap.exporters || !c->snap.stores ||
        ring_init(&c->ring, cfg->queue) != 0)
        return c2_fail(err, "out of memory (queue of %llu bytes)",
                       (unsigned long long)cfg->queue);
    return 0;
}

static int start_threads(collector *c, c2_err *err)
{
    int rc = pthread_create(&c->worker_thread, NULL, worker_main, c);
    if (rc != 0) {
        errno = rc;
        return c2_fail_errno(err, "cannot start the worker thread");
    }
    c->worker_started = 1;
    return receiver_start(c, err);
}

int collector_start(const config_collect *cfg, store *st, collect_log_fn log,
                    void *log_arg, collector **out, c2_err *err)
{
    collector *c = calloc(1, sizeof *c);
    if (!c) return c2_fail(err, "out of memory");
    pthread_mutex_init(&c->lock, NULL);
    pthread_mutex_init(&c->pending_lock, NULL);
    pthread_mutex_init(&c->log_lock, NULL);
    c->st = st;
    c->log = log;
    c->log_arg = log_arg;
    c->opt = *cfg;
    decode_options dopt;
    decode_options_default(&dopt);
    dopt.apply_sampling = cfg->apply_sampling;
    dopt.max_exporters = COLLECT_MAX_EXPORTERS;
    int64_t now = c2_now_ms();
    c->last_log_ms = c->last_save_ms = c->last_snap_ms = now;
    if (allocate(c, cfg, err) != 0 || decoder_new(&dopt, &c->dec, err) != 0 ||
        store_writer_open(st, &c->writer, err) != 0 ||
        receiver_open(c, cfg->listen, cfg->rcvbuf, err) != 0 ||
        (cfg->metrics[0] && metrics_start(c, cfg->metrics, err) != 0)) {
        metrics_stop(c);
        receiver_close(c);
        collector_free(c);
        return -1;
    }
    apply_options(c, cfg);
    load_templates(c);
    publish(c);
    if (start_threads(c, err) != 0) {
        collect_counters ignored;
        collector_stop(c, &ignored, NULL);
        return -1;
    }
    *out = c;
    return 0;
}

void collector_reload(collector *c, const config_collect *cfg)
{
    config_collect *p = malloc(sizeof *p);
    if (!p) return;
    *p = *cfg;
    pthread_mutex_lock(&c->pending_lock);
    free(c->pending);
    c->pending = p;
    pthread_mutex_unlock(&c->pending_lock);
}

int collector_stop(collector *c, collect_counters *final, c2_err *err)
{
    int rc = 0;
    atomic_store(&c->stop_rx, 1);
    if (c->rx_started) pthread_join(c->rx_thread, NULL);
    else atomic_store(&c->rx_done, 1);
    if (c->worker_started) pthread_join(c->worker_thread, NULL);
    receiver_close(c);
    save_templates(c, 1);
    decoder_drop_pending(c->dec);       /* data still waiting for a template: counted */
    publish(c);
    store_write_stats ws;
    if (store_writer_close(c->writer, &ws, err) != 0) {
        c->wc.store_errors++;
        rc = -1;
    }
    c->writer = NULL;
    c->wc.segments = ws.segments;
    metrics_stop(c);
    *final = c->wc;
    collector_free(c);
    return rc;
}

void collector_counters(collector *c, collect_counters *out)
{
    pthread_mutex_lock(&c->lock);
    *out = c->snap.total;
    pthread_mutex_unlock(&c->lock);
}

const char *collector_bound(const collector *c) { return c->bound; }
const char *collector_metrics_bound(const collector *c) { return c->metrics_bound; }
