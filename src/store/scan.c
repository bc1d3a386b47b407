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
 * A damaged segment or block is reported once through store_scan_next()'s
 * -1 and then skipped, so one bad file never hides the rest of the store.
 */
#include "store/segment.h"

#include <stdlib.h>
#include <string.h>

struct store_scan {
    store_scan_spec   spec;
    segment_entry    *entries;
    size_t            nentries, next_entry;
    segment_reader    reader;
    int               reader_open;
    uint32_t          next_block;
    codec_ctx        *codec;
    flow_batch        batch;
    uint8_t          *keep;         /* batch.capacity flags */
    uint32_t          alloc_fields; /* columns allocated in batch */
    store_scan_stats  stats;
};

int store_scan_open(store *s, const store_scan_spec *spec, store_scan **out,
                    c2_err *err)
{
    store_scan *sc = calloc(1, sizeof *sc);
    if (!sc) return c2_fail(err, "out of memory");
    sc->spec = *spec;
    sc->spec.fields &= FLOW_ALL_FIELDS;
    sc->reader.fd = -1;
    sc->codec = codec_new(store_get_options(s)->zstd_level);
    if (!sc->codec) {
        free(sc);
        return c2_fail(err, "out of memory");
    }
    if (store_list(s, spec->from_ms, spec->to_ms, &sc->entries, &sc->nentries,
                   NULL, err) != 0) {
        store_scan_close(sc);
        return -1;
    }
    sc->stats.segments = sc->nentries;
    *out = sc;
    return 0;
}

static int zone_wanted(const store_scan *sc, const store_zone *z)
{
    if (z->records == 0) return 0;
    if (z->max[FLOW_START].t < sc->spec.from_ms || z->min[FLOW_START].t >= sc->spec.to_ms)
        return 0;
    return !sc->spec.prune || sc->spec.prune(z, sc->spec.prune_arg);
}

static int zone_inside(const store_scan *sc, const store_zone *z)
{
    return z->min[FLOW_START].t >= sc->spec.from_ms && z->max[FLOW_START].t < sc->spec.to_ms;
}

/* The batch holds the wanted fields plus start (for range filtering). */
static int ensure_batch(store_scan *sc, uint32_t records, c2_err *err)
{
    if (sc->batch.capacity >= records && sc->keep) return 0;
    flow_batch_free(&sc->batch);
    free(sc->keep);
    sc->keep = malloc(records);
    /* both times: range filtering needs start, and either time column
     * may be stored relative to the other */
    sc->alloc_fields = sc->spec.fields | FLOW_BIT(FLOW_START) | FLOW_BIT(FLOW_END);
    if (!sc->keep || flow_batch_init(&sc->batch, records, sc->alloc_fields) != 0)
        return c2_fail(err, "out of memory");
    return 0;
}

/* Open the next segment that can match; 0 when there is none left. */
static int next_segment(store_scan *sc, c2_err *err)
{
    while (sc->next_entry < sc->nentries) {
        const char *path = sc->entries[sc->next_entry++].path;
        if (segment_reader_open(path, &sc->reader, err) != 0) {
            sc->stats.blocks_damaged++;
            return -1;
        }
        if (!zone_wanted(sc, &sc->reader.zone)) {
            sc->stats.segments_pruned++;
            segment_reader_close(&sc->reader);
            continue;
        }
        sc->reader_open = 1;
        sc->next_block = 0;
        return 1;
    }
    return 0;
}

static void filter_time(store_scan *sc)
{
    flow_batch *b = &sc->batch;
    for (size_t i = 0; i < b->count; i++)
        sc->keep[i] = b->start_ms[i] >= sc->spec.from_ms && b->start_ms[i] < sc->spec.to_ms;
    flow_batch_select(b, sc->keep);
}

int store_scan_next(store_scan *sc, flow_batch **batch, c2_err *err)
{
    for (;;) {
        if (!sc->reader_open) {
            int rc = next_segment(sc, err);
            if (rc <= 0) return rc;
        }
        segment_reader *r = &sc->reader;
        if (sc->next_block >= r->nblocks) {
            segment_reader_close(r);
            sc->reader_open = 0;
            continue;
        }
        uint32_t i = sc->next_block++;
        const segment_block *blk = &r->blocks[i];
        sc->stats.blocks++;
        if (!zone_wanted(sc, &blk->zone)) {
            sc->stats.blocks_pruned++;
            continue;
        }
        int inside = zone_inside(sc, &blk->zone);
        uint32_t fields = sc->spec.fields | (inside ? 0 : FLOW_BIT(FLOW_START));
        if (ensure_batch(sc, blk->records, err) != 0) return -1;
        sc->batch.fields = sc->alloc_fields;
        if (segment_reader_block(r, sc->codec, i, fields, &sc->batch,
                                 &sc->stats.bytes_read, err) != 0) {
            sc->stats.blocks_damaged++;
            return -1;
        }
        if (!inside) filter_time(sc);
        sc->batch.fields = sc->spec.fields;     /* what the caller may read */
        if (sc->batch.count == 0) continue;
        sc->stats.records += sc->batch.count;
        *batch = &sc->batch;
        return 1;
    }
}

void store_scan_get_stats(const store_scan *sc, store_scan_stats *stats)
{
    *stats = sc->stats;
}

void store_scan_close(store_scan *sc)
{
    if (!sc) return;
    if (sc->reader_open) segment_reader_close(&sc->reader);
    store_list_free(sc->entries, sc->nentries);
    flow_batch_free(&sc->batch);
    free(sc->keep);
    codec_free(sc->codec);
    free(sc);
}
