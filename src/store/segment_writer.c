/*
 * segment_writer.c: writes one segment file (format in segment.h).
 *
 * Crash safety comes from the name: blocks go to ".NAME.tmp" in the day
 * directory; only segment_writer_seal() writes the footer, fsyncs the file,
 * renames it to NAME and fsyncs the directory.  Readers list only NAME
 * files, so they see a segment whole or not at all, and a writer killed at
 * any point leaves at most a temporary file behind (store_check reports it).
 */
#include "store/segment.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct segment_writer {
    int            fd;
    char           tmp_path[PATH_MAX];
    char           final_path[PATH_MAX];
    char           dir[PATH_MAX];
    int64_t        slice_start_ms, slice_len_ms;
    uint64_t       offset;          /* where the next chunk goes */
    segment_block *blocks;
    uint32_t       nblocks, cap;
    store_zone     zone;
};

static atomic_uint segment_seq;

static int write_all(int fd, const void *buf, size_t len, uint64_t off)
{
    const uint8_t *p = buf;
    while (len > 0) {
        ssize_t n = pwrite(fd, p, len, (off_t)off);
        if (n < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        p += n;
        len -= (size_t)n;
        off += (uint64_t)n;
    }
    return 0;
}

static void put_header(uint8_t *h, int64_t start, int64_t len)
{
    memset(h, 0, SEGMENT_HEADER_LEN);
    memcpy(h, SEGMENT_MAGIC, 8);
    c2_put16(h + 8, SEGMENT_VERSION);
    c2_put16(h + 10, SEGMENT_HEADER_LEN);
    c2_put32(h + 12, FLOW_FIELD_COUNT);
    c2_put64(h + 16, (uint64_t)start);
    c2_put32(h + 24, (uint32_t)len);
    c2_put32(h + 28, c2_crc32(0, h, 28));
}

int segment_writer_open(const char *day_dir, int64_t slice_start_ms,
                        int64_t slice_len_ms, segment_writer **out, c2_err *err)
{
    segment_writer *w = calloc(1, sizeof *w);
    if (!w) return c2_fail(err, "out of memory");
    w->fd = -1;
    w->slice_start_ms = slice_start_ms;
    w->slice_len_ms = slice_len_ms;
    snprintf(w->dir, sizeof w->dir, "%s", day_dir);
    if (c2_mkdir_p(w->dir, C2_PRIVATE, err) != 0) {   /* flow records: private */
        free(w);
        return -1;
    }
    int64_t in_day = slice_start_ms % C2_MS_PER_DAY;
    if (in_day < 0) in_day += C2_MS_PER_DAY;
    char name[128];
    snprintf(name, sizeof name, "%02d%02d%02d_%" PRId64 "s_%" PRIx64 "_%d_%u%s",
             (int)(in_day / 3600000), (int)(in_day / 60000 % 60),
             (int)(in_day / 1000 % 60), slice_len_ms / 1000,
             (uint64_t)c2_now_ms(), (int)getpid(),
             atomic_fetch_add(&segment_seq, 1), SEGMENT_SUFFIX);
    if (snprintf(w->final_path, sizeof w->final_path, "%s/%s", w->dir, name) >=
            (int)sizeof w->final_path ||
        snprintf(w->tmp_path, sizeof w->tmp_path, "%s/.%s.tmp", w->dir, name) >=
            (int)sizeof w->tmp_path) {
        free(w);
        return c2_fail(err, "store path too long: %s", day_dir);
    }
    w->fd = open(w->tmp_path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
                 (mode_t)c2_file_mode(C2_PRIVATE));
    if (w->fd < 0) {
        c2_fail_errno(err, "cannot create %s", w->tmp_path);
        free(w);
        return -1;
    }
    uint8_t h[SEGMENT_HEADER_LEN];
    put_header(h, slice_start_ms, slice_len_ms);
    if (write_all(w->fd, h, sizeof h, 0) != 0) {
        c2_fail_errno(err, "cannot write %s", w->tmp_path);
        segment_writer_abort(w);
        return -1;
    }
    w->offset = SEGMENT_HEADER_LEN;
    *out = w;
    return 0;
}

int segment_writer_block(segment_writer *w, codec_ctx *c, const flow_batch *b,
                         c2_err *err)
{
    if (b->count == 0) return 0;
    if (w->nblocks == SEGMENT_MAX_BLOCKS)
        return c2_fail(err, "%s: too many blocks", w->tmp_path);
    if (w->nblocks == w->cap) {
        uint32_t cap = w->cap ? w->cap * 2 : 16;
        segment_block *nb = realloc(w->blocks, cap * sizeof *nb);
        if (!nb) return c2_fail(err, "out of memory");
        w->blocks = nb;
        w->cap = cap;
    }
    segment_block *blk = &w->blocks[w->nblocks];
    memset(blk, 0, sizeof *blk);
    blk->records = (uint32_t)b->count;
    blk->zone.records = b->count;
    for (int f = 0; f < FLOW_FIELD_COUNT; f++) {
        const uint8_t *frame;
        if (codec_encode(c, b, (flow_field)f, &frame, &blk->col[f], &blk->zone.min[f],
                         &blk->zone.max[f], err) != 0) {
            c2_err_prefix(err, "%s", w->tmp_path);
            return -1;
        }
        blk->col[f].offset = w->offset;
        if (write_all(w->fd, frame, blk->col[f].stored_len, w->offset) != 0)
            return c2_fail_errno(err, "cannot write %s", w->tmp_path);
        w->offset += blk->col[f].stored_len;
    }
    zone_merge(&w->zone, &blk->zone);
    w->nblocks++;
    return 0;
}

static void put_zone(uint8_t *p, const store_zone *z)
{
    for (int f = 0; f < FLOW_FIELD_COUNT; f++) {
        flow_type t = flow_field_type((flow_field)f);
        zone_value_put(p + f * 32, t, &z->min[f]);
        zone_value_put(p + f * 32 + 16, t, &z->max[f]);
    }
}

static uint8_t *build_footer(const segment_writer *w, size_t *len)
{
    size_t per_block = 8 + FLOW_FIELD_COUNT * (32 + SEGMENT_COLUMN_ENTRY_LEN);
    size_t n = 16 + FLOW_FIELD_COUNT * 32 + w->nblocks * per_block;
    uint8_t *buf = calloc(1, n), *p = buf;
    if (!buf) return NULL;
    c2_put32(p, w->nblocks);
    c2_put32(p + 4, FLOW_FIELD_COUNT);
    c2_put64(p + 8, w->zone.records);
    put_zone(p + 16, &w->zone);
    p += 16 + FLOW_FIELD_COUNT * 32;
    for (uint32_t i = 0; i < w->nblocks; i++) {
        const segment_block *blk = &w->blocks[i];
        c2_put32(p, blk->records);
        put_zone(p + 8, &blk->zone);
        p += 8 + FLOW_FIELD_COUNT * 32;
        for (int f = 0; f < FLOW_FIELD_COUNT; f++, p += SEGMENT_COLUMN_ENTRY_LEN) {
            const segment_column *c = &blk->col[f];
            c2_put64(p, c->offset);
            c2_put32(p + 8, c->stored_len);
            c2_put32(p + 12, c->raw_len);
            p[16] = c->encoding;
            c2_put32(p + 20, c->crc);
        }
    }
    *len = n;
    return buf;
}

static int fsync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return -1;
    int rc = fsync(fd);
    close(fd);
    return rc;
}

int segment_writer_seal(segment_writer *w, uint64_t *records, uint64_t *bytes,
                        c2_err *err)
{
    *records = w->zone.records;
    *bytes = 0;
    if (w->nblocks == 0) {
        segment_writer_abort(w);
        return 0;
    }
    size_t flen;
    uint8_t *footer = build_footer(w, &flen);
    if (!footer) return c2_fail(err, "out of memory");
    uint8_t trailer[SEGMENT_TRAILER_LEN];
    c2_put64(trailer, w->offset);
    c2_put32(trailer + 8, (uint32_t)flen);
    c2_put32(trailer + 12, c2_crc32(0, footer, flen));
    memcpy(trailer + 16, SEGMENT_END_MAGIC, 8);
    int rc = write_all(w->fd, footer, flen, w->offset);
    free(footer);
    if (rc == 0) rc = write_all(w->fd, trailer, sizeof trailer, w->offset + flen);
    if (rc == 0) rc = fsync(w->fd);
    if (rc != 0) {
        c2_fail_errno(err, "cannot write %s", w->tmp_path);
        segment_writer_abort(w);
        return -1;
    }
    close(w->fd);
    w->fd = -1;
    if (rename(w->tmp_path, w->final_path) != 0 || fsync_dir(w->dir) != 0) {
        c2_fail_errno(err, "cannot seal %s", w->final_path);
        segment_writer_abort(w);
        return -1;
    }
    *bytes = w->offset + flen + SEGMENT_TRAILER_LEN;
    free(w->blocks);
    free(w);
    return 0;
}

void segment_writer_abort(segment_writer *w)
{
    if (!w) return;
    if (w->fd >= 0) close(w->fd);
    unlink(w->tmp_path);
    free(w->blocks);
    free(w);
}
