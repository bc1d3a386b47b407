/*
 * writer.c: store_writer, which turns a stream of records into segments.
 *
 * Records are routed to the slice of their start time.  Each open slice
 * holds one block's worth of pending rows in column form; a full block is
 * compressed and appended to the slice's temporary segment file at once, so
 * memory stays at max_open_slices x block_records rows whatever the volume.
 * When a record arrives for a slice that is not open and all places are
 * taken, the least recently used slice is sealed: a collector's input moves
 * forward in time, and an import of a time-sorted file does too; a badly
 * shuffled input only makes more, smaller segments, never loses records.
 *
 * Records older than now - retention are counted as expired and not stored:
 * storing them would only have retention delete them again, and the legal
 * rule is not to keep them at all.
 *
 * Appending is on the collector's hot path.  Records come in runs that
 * belong to one slice (a collector's input is roughly in time order), so
 * append finds the slice once per run, checks each further record against
 * the slice's bounds with two comparisons (no division), and copies the run
 * into the columns with local pointers the compiler keeps in registers.
 * The columns of a sealed slice are kept for the next slice to open, so a
 * steady writer allocates (and page-faults) nothing after its start.
 */
#include "store/segment.h"

#include <stdlib.h>
#include <string.h>

typedef struct open_slice {
    int64_t         start_ms;
    flow_batch      rows;           /* pending rows, all fields */
    segment_writer *seg;            /* NULL until the first block */
    uint64_t        last_use;
    int64_t         opened_ms;      /* writer's clock: when it opened */
    int64_t         appended_ms;    /* and when it last took a record */
} open_slice;

struct store_writer {
    store            *s;
    store_options     opt;
    codec_ctx        *codec;
    open_slice       *slices;       /* opt.max_open_slices places */
    uint32_t          nslices;
    uint32_t          hint;         /* slice used last */
    uint64_t          tick;
    store_write_stats stats;
    int64_t           retention_checked_ms;
    flow_batch        spare;        /* columns of a sealed slice, for reuse */
};

static int64_t writer_now(const store_writer *w)
{
    return w->opt.now_ms ? w->opt.now_ms : c2_now_ms();
}

int store_writer_open(store *s, store_writer **out, c2_err *err)
{
    store_writer *w = calloc(1, sizeof *w);
    if (!w) return c2_fail(err, "out of memory");
    w->s = s;
    w->opt = *store_get_options(s);
    w->codec = codec_new(w->opt.zstd_level);
    w->slices = calloc(w->opt.max_open_slices, sizeof *w->slices);
    if (!w->codec || !w->slices) {
        store_writer_abort(w);
        return c2_fail(err, "out of memory");
    }
    uint64_t removed;
    if (store_apply_retention(s, &removed, err) != 0) {
        store_writer_abort(w);
        return -1;
    }
    w->retention_checked_ms = writer_now(w);
    *out = w;
    return 0;
}

static int flush_block(store_writer *w, open_slice *sl, c2_err *err)
{
    if (sl->rows.count == 0) return 0;
    if (!sl->seg) {
        char day[4096];
        store_day_dir(store_path(w->s), sl->start_ms, day, sizeof day);
        if (segment_writer_open(day, sl->start_ms, w->opt.slice_ms, &sl->seg, err) != 0)
            return -1;
    }
    if (segment_writer_block(sl->seg, w->codec, &sl->rows, err) != 0) return -1;
    sl->rows.count = 0;
    return 0;
}

/* Seal slice i and free its place (the last place moves into it). */
static int seal_slice(store_writer *w, uint32_t i, c2_err *err)
{
    open_slice *sl = &w->slices[i];
    int rc = flush_block(w, sl, err);
    if (rc == 0 && sl->seg) {
        uint64_t records, bytes;
        rc = segment_writer_seal(sl->seg, &records, &bytes, err);
        sl->seg = NULL;
        if (rc == 0) {
            w->stats.records += records;
            w->stats.bytes += bytes;
            w->stats.segments++;
        }
    }
    if (rc != 0) return -1;    /* keep the slice: its rows are not lost yet */
    if (!w->spare.capacity) {
        w->spare = sl->rows;
        w->spare.count = 0;
    } else {
        flow_batch_free(&sl->rows);
    }
    w->slices[i] = w->slices[--w->nslices];
    w->hint = 0;
    return 0;
}

static int64_t slice_of(int64_t start_ms, int64_t slice_ms)
{
    int64_t q = start_ms / slice_ms;
    if (start_ms % slice_ms < 0) q--;
    return q * slice_ms;
}

static open_slice *find_slice(store_writer *w, int64_t slice, c2_err *err)
{
    if (w->nslices && w->slices[w->hint].start_ms == slice) return &w->slices[w->hint];
    for (uint32_t i = 0; i < w->nslices; i++)
        if (w->slices[i].start_ms == slice) {
            w->hint = i;
            return &w->slices[i];
        }
    if (w->nslices == w->opt.max_open_slices) {
        uint32_t lru = 0;
        for (uint32_t i = 1; i < w->nslices; i++)
            if (w->slices[i].last_use < w->slices[lru].last_use) lru = i;
        if (seal_slice(w, lru, err) != 0) return NULL;
    }
    open_slice *sl = &w->slices[w->nslices];
    memset(sl, 0, sizeof *sl);
    if (w->spare.capacity) {
        sl->rows = w->spare;
        memset(&w->spare, 0, sizeof w->spare);
    } else if (flow_batch_init(&sl->rows, w->opt.block_records, FLOW_ALL_FIELDS) != 0) {
        c2_fail(err, "out of memory");
        return NULL;
    }
    sl->start_ms = slice;
    sl->opened_ms = sl->appended_ms = writer_now(w);
    w->hint = w->nslices++;
    return sl;
}

/* Append recs[0, n) to b's columns (n <= capacity - count). */
static void put_rows(flow_batch *b, const flow_record *restrict recs, size_t n)
{
    size_t at = b->count;
    int64_t *restrict start = b->start_ms + at, *restrict end = b->end_ms + at;
    flow_addr *restrict exporter = b->exporter + at, *restrict src = b->src_addr + at,
              *restrict dst = b->dst_addr + at;
    uint32_t *restrict domain = b->domain + at, *restrict in_if = b->in_if + at,
             *restrict out_if = b->out_if + at, *restrict sampling = b->sampling + at,
             *restrict src_as = b->src_as + at, *restrict dst_as = b->dst_as + at;
    uint16_t *restrict src_port = b->src_port + at, *restrict dst_port = b->dst_port + at;
    uint8_t *restrict proto = b->proto + at, *restrict flags = b->tcp_flags + at,
            *restrict tos = b->tos + at;
    uint64_t *restrict packets = b->packets + at, *restrict bytes = b->bytes + at;
    for (size_t i = 0; i < n; i++) {
        const flow_record *r = &recs[i];
        start[i] = r->start_ms;
        end[i] = r->end_ms;
        exporter[i] = r->exporter;
        domain[i] = r->domain;
        in_if[i] = r->in_if;
        out_if[i] = r->out_if;
        src[i] = r->src_addr;
        dst[i] = r->dst_addr;
        src_port[i] = r->src_port;
        dst_port[i] = r->dst_port;
        proto[i] = r->proto;
        flags[i] = r->tcp_flags;
        tos[i] = r->tos;
        packets[i] = r->packets;
        bytes[i] = r->bytes;
        sampling[i] = r->sampling;
        src_as[i] = r->src_as;
        dst_as[i] = r->dst_as;
    }
    b->count = at + n;
}

static int maybe_apply_retention(store_writer *w, int64_t now, c2_err *err)
{
    if (w->opt.retention_ms <= 0 || now - w->retention_checked_ms < 60000) return 0;
    uint64_t removed;
    w->retention_checked_ms = now;
    return store_apply_retention(w->s, &removed, err);
}

int store_writer_append(store_writer *w, const flow_record *recs, size_t n,
                        c2_err *err)
{
    int64_t now = writer_now(w);
    int64_t oldest = w->opt.retention_ms > 0 ? now - w->opt.retention_ms : C2_TIME_MIN;
    uint64_t len = (uint64_t)w->opt.slice_ms;
    for (size_t i = 0; i < n;) {
        int64_t t = recs[i].start_ms;
        if (t < oldest) {
            w->stats.expired++;
            i++;
            continue;
        }
        /* t is in the slice starting at s0 when t >= s0 and t - s0 < slice
         * (unsigned: no overflow at the ends of the clock) */
        open_slice *sl;
        if (w->nslices && t >= w->slices[w->hint].start_ms &&
            (uint64_t)t - (uint64_t)w->slices[w->hint].start_ms < len)
            sl = &w->slices[w->hint];
        else if (!(sl = find_slice(w, slice_of(t, w->opt.slice_ms), err)))
            return -1;
        /* the run of records that go to this slice and fit its block */
        int64_t s0 = sl->start_ms, lo = s0 > oldest ? s0 : oldest;
        size_t room = sl->rows.capacity - sl->rows.count, j = i + 1;
        while (j < n && j - i < room && recs[j].start_ms >= lo &&
               (uint64_t)recs[j].start_ms - (uint64_t)s0 < len)
            j++;
        put_rows(&sl->rows, recs + i, j - i);
        sl->last_use = ++w->tick;
        sl->appended_ms = now;
        i = j;
        if (sl->rows.count == sl->rows.capacity && flush_block(w, sl, err) != 0)
            return -1;
    }
    return maybe_apply_retention(w, now, err);
}

/* A slice that fails to seal stays open (its rows are not dropped here)
 * and the others are still sealed: one bad directory must not cost the
 * records of every other slice.  The first error is reported. */
int store_writer_seal_quiet(store_writer *w, int64_t before_ms, int64_t quiet_ms, c2_err *err)
{
    int rc = 0;
    c2_err later;
    int64_t now = quiet_ms > 0 ? writer_now(w) : 0;
    for (uint32_t i = 0; i < w->nslices;) {
        const open_slice *sl = &w->slices[i];
        int due = sl->start_ms <= before_ms - w->opt.slice_ms &&
                  (quiet_ms <= 0 || now - sl->appended_ms >= quiet_ms ||
                   now - sl->opened_ms >= w->opt.slice_ms + quiet_ms);
        if (!due) {
            i++;
        } else if (seal_slice(w, i, rc ? &later : err) != 0) {
            rc = -1;
            i++;                        /* kept in place; go on past it */
        }                               /* else: the last slice moved into i */
    }
    return rc;
}

int store_writer_seal(store_writer *w, int64_t before_ms, c2_err *err)
{
    return store_writer_seal_quiet(w, before_ms, 0, err);
}

void store_writer_stats(const store_writer *w, store_write_stats *stats)
{
    *stats = w->stats;
}

int store_writer_close(store_writer *w, store_write_stats *stats, c2_err *err)
{
    int rc = store_writer_seal(w, C2_TIME_MAX, err);
    if (stats) *stats = w->stats;
    store_writer_abort(w);
    return rc;
}

void store_writer_abort(store_writer *w)
{
    if (!w) return;
    for (uint32_t i = 0; i < w->nslices; i++) {
        segment_writer_abort(w->slices[i].seg);
        flow_batch_free(&w->slices[i].rows);
    }
    free(w->slices);
    flow_batch_free(&w->spare);
    codec_free(w->codec);
    free(w);
}
