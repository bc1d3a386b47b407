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
 */
#include "store/segment.h"

#include <stdlib.h>
#include <string.h>

typedef struct open_slice {
    int64_t         start_ms;
    flow_batch      rows;           /* pending rows, all fields */
    segment_writer *seg;            /* NULL until the first block */
    uint64_t        last_use;
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
    flow_batch_free(&sl->rows);
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
    if (flow_batch_init(&sl->rows, w->opt.block_records, FLOW_ALL_FIELDS) != 0) {
        c2_fail(err, "out of memory");
        return NULL;
    }
    sl->start_ms = slice;
    w->hint = w->nslices++;
    return sl;
}

static inline void put_row(flow_batch *b, const flow_record *r)
{
    size_t i = b->count++;
    b->start_ms[i] = r->start_ms;
    b->end_ms[i] = r->end_ms;
    b->exporter[i] = r->exporter;
    b->domain[i] = r->domain;
    b->in_if[i] = r->in_if;
    b->out_if[i] = r->out_if;
    b->src_addr[i] = r->src_addr;
    b->dst_addr[i] = r->dst_addr;
    b->src_port[i] = r->src_port;
    b->dst_port[i] = r->dst_port;
    b->proto[i] = r->proto;
    b->tcp_flags[i] = r->tcp_flags;
    b->tos[i] = r->tos;
    b->packets[i] = r->packets;
    b->bytes[i] = r->bytes;
    b->sampling[i] = r->sampling;
    b->src_as[i] = r->src_as;
    b->dst_as[i] = r->dst_as;
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
    for (size_t i = 0; i < n; i++) {
        const flow_record *r = &recs[i];
        if (r->start_ms < oldest) {
            w->stats.expired++;
            continue;
        }
        open_slice *sl = find_slice(w, slice_of(r->start_ms, w->opt.slice_ms), err);
        if (!sl) return -1;
        sl->last_use = ++w->tick;
        put_row(&sl->rows, r);
        if (sl->rows.count == sl->rows.capacity && flush_block(w, sl, err) != 0)
            return -1;
    }
    return maybe_apply_retention(w, now, err);
}

/* A slice that fails to seal stays open (its rows are not dropped here)
 * and the others are still sealed: one bad directory must not cost the
 * records of every other slice.  The first error is reported. */
int store_writer_seal(store_writer *w, int64_t before_ms, c2_err *err)
{
    int rc = 0;
    c2_err later;
    for (uint32_t i = 0; i < w->nslices;) {
        if (w->slices[i].start_ms > before_ms - w->opt.slice_ms) {
            i++;
        } else if (seal_slice(w, i, rc ? &later : err) != 0) {
            rc = -1;
            i++;                        /* kept in place; go on past it */
        }                               /* else: the last slice moved into i */
    }
    return rc;
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
    codec_free(w->codec);
    free(w);
}
