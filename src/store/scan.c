/*
 * scan.c: store_scan, which reads the records of a time range back, block
 * by block, as column batches.
 *
 * Three levels of skipping, cheapest first: file names (slice outside the
 * range: the file is never opened), segment zones and block zones (outside
 * the range, or rejected by the caller's predicate: the block is never
 * read).  Only a block that straddles a range end is filtered record by
 * record, which needs its start column even if the caller did not ask.
 *
 * Late materialisation.  With a row predicate (spec.match), a block is
 * decoded in two steps: first the columns the predicate reads (and start,
 * for a block straddling a range end), which say which rows are kept; then
 * the other columns, for the kept rows only (codec_decode_rows picks them
 * out of the inflated chunk without building the others) and not at all
 * when no row is kept.  A zone that the predicate matches throughout
 * (STORE_ZONE_ALL) skips the first step.  The first step also fills the
 * IPv4 views of the address columns it decodes (flow_batch.v4_fields),
 * which address lists look up far faster than 16-byte addresses; they are
 * dropped before the batch leaves the scan, whose caller may move rows.
 *
 * Threads.  Blocks are jobs, numbered in store order as they are claimed
 * (under the scan's lock: the claim also opens segments and applies the
 * zones).  With spec.threads > 0, that many threads claim and decode jobs,
 * each into the result slot of its number modulo the slot count, and
 * store_scan_next hands the results out strictly by number: batches,
 * damage and the end come in the same order as without threads.  A job
 * may use its slot only once the job nslots before it has been handed out
 * and released, so a thread never runs more than nslots jobs ahead of the
 * caller and memory stays bounded.  Open segments are shared by the jobs
 * in flight (pread on one descriptor; each thread has its own codec and
 * read buffer) and closed by whoever drops the last reference.  With
 * spec.threads == 0 the caller's thread claims and decodes one job per
 * call into a single slot: the same code, without the waiting.
 *
 * A damaged segment or block is reported once through store_scan_next()'s
 * -1 and then skipped, so one bad file never hides the rest of the store.
 */
#include "store/segment.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define SLOTS_PER_THREAD 2
#define TIME_FIELDS (FLOW_BIT(FLOW_START) | FLOW_BIT(FLOW_END))
#define ADDR_FIELDS (FLOW_BIT(FLOW_SRC_ADDR) | FLOW_BIT(FLOW_DST_ADDR))

typedef struct open_seg {           /* a segment with blocks still to decode */
    segment_reader r;
    unsigned       refs;            /* the claim cursor, and jobs in flight */
} open_seg;

enum { JOB_BLOCK, JOB_ERROR, JOB_END };

typedef struct job {
    int       kind;
    uint64_t  seq;                  /* place in store order */
    open_seg *seg;                  /* JOB_BLOCK: a reference */
    uint32_t  block;
    int       verdict;              /* the block zone's answer */
    c2_err    err;                  /* JOB_ERROR */
} job;

/* What one thread decodes with. */
typedef struct decoder {
    struct store_scan *sc;
    codec_ctx  *codec;
    segment_buf io;
} decoder;

/* One job's result. */
typedef struct slot {
    uint64_t   seq;                 /* the job it holds */
    int        done;                /* the result is ready */
    int        rc;                  /* 1 rows, 0 none, -1 damage, 2 the end */
    c2_err     err;
    flow_batch batch;
    uint8_t   *keep;
    uint32_t  *idx;
    size_t     cap;                 /* rows that batch, keep and idx hold */
    uint64_t   bytes_read;
    int        damaged;
} slot;

struct store_scan {
    store_scan_spec spec;
    uint32_t        want;           /* columns the caller gets */
    uint32_t        alloc_fields;   /* columns a slot's batch holds */
    int             zstd_level;
    segment_entry  *entries;
    size_t          nentries, next_entry;
    open_seg       *cur;            /* segment whose blocks are being claimed */
    uint32_t        next_block;
    int             end_claimed;
    uint64_t        next_claim;     /* number of the next job */
    uint64_t        next_take;      /* number of the next job handed out */
    uint64_t        released;       /* jobs before this one are released */
    int             held;           /* the caller holds job next_take - 1 */
    int             ended;
    slot           *slots;
    size_t          nslots;
    decoder         self;           /* threads == 0 */
    decoder        *dec;            /* one per thread */
    pthread_t      *tids;
    unsigned        nthreads;       /* started */
    int             stop;
    pthread_mutex_t mu;
    pthread_cond_t  cv;             /* any change: a result, a release, stop */
    store_scan_stats stats;
};

/* ---- zones ---- */

/* 0: no record can be wanted; 1: some may; STORE_ZONE_ALL: the predicate
 * holds for all (the time range may still cut some). */
static int zone_verdict(const store_scan *sc, const store_zone *z)
{
    if (z->records == 0) return 0;
    if (z->max[FLOW_START].t < sc->spec.from_ms || z->min[FLOW_START].t >= sc->spec.to_ms)
        return 0;
    if (!sc->spec.prune) return 1;
    int v = sc->spec.prune(z, sc->spec.prune_arg);
    return v == STORE_ZONE_ALL ? v : v != 0;
}

static int zone_inside(const store_scan *sc, const store_zone *z)
{
    return z->min[FLOW_START].t >= sc->spec.from_ms && z->max[FLOW_START].t < sc->spec.to_ms;
}

/* ---- claiming jobs (under the lock) ---- */

static void seg_release(open_seg *g)
{
    if (g && --g->refs == 0) {
        segment_reader_close(&g->r);
        free(g);
    }
}

/* Open the next listed segment that can match into sc->cur: 1, 0 when
 * none is left, -1 with err (the segment is skipped). */
static int next_segment(store_scan *sc, c2_err *err)
{
    while (sc->next_entry < sc->nentries) {
        const char *path = sc->entries[sc->next_entry++].path;
        open_seg *g = calloc(1, sizeof *g);
        if (!g) return c2_fail(err, "out of memory");
        if (segment_reader_open(path, &g->r, err) != 0) {
            free(g);
            sc->stats.blocks_damaged++;
            return -1;
        }
        if (!zone_verdict(sc, &g->r.zone)) {
            sc->stats.segments_pruned++;
            segment_reader_close(&g->r);
            free(g);
            continue;
        }
        g->refs = 1;
        sc->cur = g;
        sc->next_block = 0;
        return 1;
    }
    return 0;
}

/* The next job in store order: 1, or 0 once the end has been claimed. */
static int claim(store_scan *sc, job *j)
{
    memset(j, 0, sizeof *j);
    if (sc->end_claimed) return 0;
    for (;;) {
        if (!sc->cur) {
            int rc = next_segment(sc, &j->err);
            if (rc < 0) {
                j->kind = JOB_ERROR;
                break;
            }
            if (rc == 0) {
                j->kind = JOB_END;
                sc->end_claimed = 1;
                break;
            }
        }
        if (sc->next_block >= sc->cur->r.nblocks) {
            seg_release(sc->cur);
            sc->cur = NULL;
            continue;
        }
        uint32_t i = sc->next_block++;
        sc->stats.blocks++;
        int v = zone_verdict(sc, &sc->cur->r.blocks[i].zone);
        if (!v) {
            sc->stats.blocks_pruned++;
            continue;
        }
        j->kind = JOB_BLOCK;
        j->seg = sc->cur;
        j->block = i;
        j->verdict = v;
        sc->cur->refs++;
        break;
    }
    j->seq = sc->next_claim++;
    return 1;
}

/* ---- decoding a block (no lock held) ---- */

static int ensure_slot(slot *s, size_t n, uint32_t fields)
{
    if (s->cap >= n) return 0;
    flow_batch_free(&s->batch);
    free(s->keep);
    free(s->idx);
    s->cap = 0;
    s->keep = malloc(n);
    s->idx = malloc(n * sizeof *s->idx);
    if (!s->keep || !s->idx || flow_batch_init(&s->batch, n, fields) != 0) return -1;
    s->cap = n;
    return 0;
}

/* Decode block j into s: 1 with rows, 0 when no row is wanted, -1. */
static int decode_block(store_scan *sc, decoder *d, const job *j, slot *s)
{
    const segment_reader *r = &j->seg->r;
    const segment_block *blk = &r->blocks[j->block];
    size_t n = blk->records;
    if (ensure_slot(s, n, sc->alloc_fields) != 0) return c2_fail(&s->err, "out of memory");
    flow_batch *b = &s->batch;
    b->fields = sc->alloc_fields;
    b->v4_want = b->v4_fields = 0;
    int inside = zone_inside(sc, &blk->zone);
    int pred = sc->spec.match && j->verdict != STORE_ZONE_ALL;
    uint32_t first = (inside ? 0 : FLOW_BIT(FLOW_START)) | (pred ? sc->spec.match_fields : 0);
    if (first & TIME_FIELDS) first |= TIME_FIELDS;  /* decoded as a pair */
    if (!first && !pred) {              /* every row: one step */
        if (segment_block_decode(r, &d->io, d->codec, j->block, sc->want, NULL, 0, b,
                                 &s->bytes_read, &s->err) != 0)
            return -1;
        b->fields = sc->want;
        return 1;
    }
    if (pred) b->v4_want = first & ADDR_FIELDS;
    if (first && segment_block_decode(r, &d->io, d->codec, j->block, first, NULL, 0, b,
                                      &s->bytes_read, &s->err) != 0) {
        b->v4_want = b->v4_fields = 0;
        return -1;
    }
    b->count = n;
    uint8_t *keep = s->keep;
    if (pred) sc->spec.match(b, keep, sc->spec.match_arg);
    else memset(keep, 1, n);
    b->v4_want = b->v4_fields = 0;      /* the views are for the predicate only */
    if (!inside) {
        const int64_t *t = b->start_ms;
        int64_t from = sc->spec.from_ms, to = sc->spec.to_ms;
        for (size_t i = 0; i < n; i++) keep[i] = (uint8_t)(keep[i] && t[i] >= from && t[i] < to);
    }
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        s->idx[k] = (uint32_t)i;
        k += keep[i] != 0;
    }
    b->fields = sc->want;
    if (k == 0) {
        b->count = 0;
        return 0;
    }
    if (k < n) {                        /* keep the first step's rows, in place */
        b->fields = first;
        flow_batch_select(b, keep);
    }
    b->fields = sc->alloc_fields;
    uint32_t rest = sc->want & ~first;
    if (rest && segment_block_decode(r, &d->io, d->codec, j->block, rest,
                                     k < n ? s->idx : NULL, k, b, &s->bytes_read,
                                     &s->err) != 0)
        return -1;
    b->count = k;
    b->fields = sc->want;
    return 1;
}

static void run_job(store_scan *sc, decoder *d, const job *j, slot *s)
{
    s->bytes_read = 0;
    s->damaged = 0;
    switch (j->kind) {
    case JOB_END: s->rc = 2; break;
    case JOB_ERROR:
        s->rc = -1;
        s->err = j->err;
        break;
    default:
        s->rc = decode_block(sc, d, j, s);
        s->damaged = s->rc < 0;
        break;
    }
}

/* ---- threads ---- */

static void *worker(void *arg)
{
    decoder *d = arg;
    store_scan *sc = d->sc;
    pthread_mutex_lock(&sc->mu);
    while (!sc->stop) {
        job j;
        if (!claim(sc, &j)) break;
        while (!sc->stop && j.seq >= sc->released + sc->nslots)
            pthread_cond_wait(&sc->cv, &sc->mu);
        if (sc->stop) {
            if (j.kind == JOB_BLOCK) seg_release(j.seg);
            break;
        }
        slot *s = &sc->slots[j.seq % sc->nslots];
        s->seq = j.seq;
        s->done = 0;
        pthread_mutex_unlock(&sc->mu);
        run_job(sc, d, &j, s);
        pthread_mutex_lock(&sc->mu);
        if (j.kind == JOB_BLOCK) seg_release(j.seg);
        s->done = 1;
        pthread_cond_broadcast(&sc->cv);
    }
    pthread_mutex_unlock(&sc->mu);
    return NULL;
}

static int decoder_init(decoder *d, store_scan *sc)
{
    d->sc = sc;
    d->codec = codec_new(sc->zstd_level);
    return d->codec ? 0 : -1;
}

static void decoder_free(decoder *d)
{
    codec_free(d->codec);
    segment_buf_free(&d->io);
}

static int start_threads(store_scan *sc, unsigned n, c2_err *err)
{
    sc->dec = calloc(n, sizeof *sc->dec);
    sc->tids = calloc(n, sizeof *sc->tids);
    if (!sc->dec || !sc->tids) return c2_fail(err, "out of memory");
    for (unsigned i = 0; i < n; i++) {
        if (decoder_init(&sc->dec[i], sc) != 0) {
            decoder_free(&sc->dec[i]);
            return c2_fail(err, "out of memory");
        }
        if (pthread_create(&sc->tids[i], NULL, worker, &sc->dec[i]) != 0) {
            decoder_free(&sc->dec[i]);
            return c2_fail(err, "cannot start a scan thread");
        }
        sc->nthreads++;
    }
    return 0;
}

/* ---- the API ---- */

int store_scan_open(store *s, const store_scan_spec *spec, store_scan **out,
                    c2_err *err)
{
    *out = NULL;
    store_scan *sc = calloc(1, sizeof *sc);
    if (!sc) return c2_fail(err, "out of memory");
    sc->spec = *spec;
    sc->spec.fields &= FLOW_ALL_FIELDS;
    sc->spec.match_fields = spec->match ? spec->match_fields & FLOW_ALL_FIELDS : 0;
    sc->want = sc->spec.fields | sc->spec.match_fields;
    /* both times: range filtering needs start, and either time column may
     * be stored relative to the other */
    sc->alloc_fields = sc->want | TIME_FIELDS;
    sc->zstd_level = store_get_options(s)->zstd_level;
    pthread_mutex_init(&sc->mu, NULL);
    pthread_cond_init(&sc->cv, NULL);
    unsigned threads = spec->threads > 64 ? 64 : spec->threads;
    sc->nslots = threads ? (size_t)threads * SLOTS_PER_THREAD : 1;
    sc->slots = calloc(sc->nslots, sizeof *sc->slots);
    if (!sc->slots || decoder_init(&sc->self, sc) != 0) {
        store_scan_close(sc);
        return c2_fail(err, "out of memory");
    }
    if (store_list(s, spec->from_ms, spec->to_ms, &sc->entries, &sc->nentries,
                   NULL, err) != 0) {
        store_scan_close(sc);
        return -1;
    }
    sc->stats.segments = sc->nentries;
    if (threads && start_threads(sc, threads, err) != 0) {
        store_scan_close(sc);
        return -1;
    }
    *out = sc;
    return 0;
}

/* Account for the result in s (under the lock when threaded): 1 with a
 * batch, 0 to go on, -1 with err, 2 at the end. */
static int take(store_scan *sc, slot *s, flow_batch **batch, c2_err *err)
{
    sc->stats.bytes_read += s->bytes_read;
    sc->stats.blocks_damaged += (uint64_t)s->damaged;
    switch (s->rc) {
    case 1:
        sc->stats.records += s->batch.count;
        *batch = &s->batch;
        return 1;
    case 2:
        sc->ended = 1;
        return 2;
    case -1:
        *err = s->err;
        return -1;
    default:
        return 0;
    }
}

static int next_inline(store_scan *sc, flow_batch **batch, c2_err *err)
{
    for (;;) {
        job j;
        if (sc->ended || !claim(sc, &j)) return 0;
        slot *s = &sc->slots[0];
        run_job(sc, &sc->self, &j, s);
        if (j.kind == JOB_BLOCK) seg_release(j.seg);
        int rc = take(sc, s, batch, err);
        if (rc == 2) return 0;
        if (rc != 0) return rc;
    }
}

int store_scan_next(store_scan *sc, flow_batch **batch, c2_err *err)
{
    if (!sc->nthreads) return next_inline(sc, batch, err);
    pthread_mutex_lock(&sc->mu);
    if (sc->held) {                     /* the caller is done with it */
        sc->held = 0;
        sc->released = sc->next_take;
        pthread_cond_broadcast(&sc->cv);
    }
    int rc = 0;
    while (!sc->ended) {
        slot *s = &sc->slots[sc->next_take % sc->nslots];
        while (!(s->done && s->seq == sc->next_take)) pthread_cond_wait(&sc->cv, &sc->mu);
        sc->next_take++;
        rc = take(sc, s, batch, err);
        if (rc == 1) {
            sc->held = 1;
            break;
        }
        sc->released = sc->next_take;
        pthread_cond_broadcast(&sc->cv);
        if (rc == 2) rc = 0;
        if (rc != 0) break;
    }
    pthread_mutex_unlock(&sc->mu);
    return rc;
}

void store_scan_get_stats(const store_scan *sc, store_scan_stats *stats)
{
    pthread_mutex_lock((pthread_mutex_t *)&sc->mu);
    *stats = sc->stats;
    pthread_mutex_unlock((pthread_mutex_t *)&sc->mu);
}

void store_scan_close(store_scan *sc)
{
    if (!sc) return;
    pthread_mutex_lock(&sc->mu);
    sc->stop = 1;
    pthread_cond_broadcast(&sc->cv);
    pthread_mutex_unlock(&sc->mu);
    for (unsigned i = 0; i < sc->nthreads; i++) {
        pthread_join(sc->tids[i], NULL);
        decoder_free(&sc->dec[i]);
    }
    free(sc->tids);
    free(sc->dec);
    seg_release(sc->cur);
    store_list_free(sc->entries, sc->nentries);
    for (size_t i = 0; sc->slots && i < sc->nslots; i++) {
        flow_batch_free(&sc->slots[i].batch);
        free(sc->slots[i].keep);
        free(sc->slots[i].idx);
    }
    free(sc->slots);
    decoder_free(&sc->self);
    pthread_cond_destroy(&sc->cv);
    pthread_mutex_destroy(&sc->mu);
    free(sc);
}
