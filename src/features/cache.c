/*
 * cache.c: one day's feature rows as bytes, for the day cache
 * (features.h).  A file is "C2FFEATZ", the raw length (u64), then the raw
 * form as one checksummed zstd frame (c2_zframe_pack).  The raw form, all
 * little-endian:
 *
 *   "C2FFEAT1" fingerprint:u64 day:i64 n_rows:u32
 *   row x n_rows: ip[16] port:u16 proto:u8 first:i64 last:i64 clients:u32
 *                 sketch_n:u8 sketch[sketch_n]:u32 v[FEATURE_COUNT]:f32
 *
 * The infected figures are stored as computed, but the reader of a cache
 * works them out again from the sketch for its own window (features.c).
 * The file sits on disk, so the reader trusts nothing: the row count is
 * checked against the bytes left before anything is allocated, rows must
 * come in server order, sketches ascending, times inside the day.
 */
#include "features/features.h"

#include <stdlib.h>
#include <string.h>

#define RAW_MAGIC "C2FFEAT1"
#define FILE_MAGIC "C2FFEATZ"
#define ROW_MIN_BYTES (16 + 2 + 1 + 8 + 8 + 4 + 1 + 4 * FEATURE_COUNT)

static void put(uint8_t **p, const void *v, size_t n)
{
    memcpy(*p, v, n);
    *p += n;
}

static uint8_t *put_row(uint8_t *p, const feature_row *r)
{
    uint8_t b[8];
    put(&p, r->ip.b, 16);
    c2_put16(b, r->port), put(&p, b, 2);
    *p++ = r->proto;
    c2_put64(b, (uint64_t)r->first), put(&p, b, 8);
    c2_put64(b, (uint64_t)r->last), put(&p, b, 8);
    c2_put32(b, r->clients), put(&p, b, 4);
    *p++ = r->sketch_n;
    for (uint32_t i = 0; i < r->sketch_n; i++) c2_put32(b, r->sketch[i]), put(&p, b, 4);
    for (size_t i = 0; i < FEATURE_COUNT; i++) {
        uint32_t bits;
        memcpy(&bits, &r->v[i], 4);
        c2_put32(b, bits), put(&p, b, 4);
    }
    return p;
}

int features_cache_encode(const feature_table *t, int64_t day, uint64_t fingerprint,
                          uint8_t **buf, size_t *len, c2_err *err)
{
    if (t->n > UINT32_MAX) return c2_fail(err, "too many rows for one day");
    size_t n = 8 + 8 + 8 + 4 + t->n * (ROW_MIN_BYTES + 4 * FEATURE_SKETCH);
    uint8_t *raw = malloc(n), *p = raw;
    if (!raw) return c2_fail(err, "out of memory");
    put(&p, RAW_MAGIC, 8);
    c2_put64(p, fingerprint), p += 8;
    c2_put64(p, (uint64_t)day), p += 8;
    c2_put32(p, (uint32_t)t->n), p += 4;
    for (size_t i = 0; i < t->n; i++) p = put_row(p, &t->row[i]);
    int rc = c2_zframe_pack(FILE_MAGIC, raw, (size_t)(p - raw), buf, len, err);
    free(raw);
    return rc;
}

/* ---- reading ---- */

typedef struct rbuf { const uint8_t *p; size_t n, at; } rbuf;

static int has(const rbuf *r, size_t n) { return r->n - r->at >= n; }
static uint32_t get_u32(rbuf *r) { uint32_t v = c2_get32(r->p + r->at); r->at += 4; return v; }
static uint64_t get_u64(rbuf *r) { uint64_t v = c2_get64(r->p + r->at); r->at += 8; return v; }

static int get_row(rbuf *r, int64_t day, feature_row *x, c2_err *err)
{
    if (!has(r, ROW_MIN_BYTES)) return c2_fail(err, "truncated row");
    memset(x, 0, sizeof *x);
    memcpy(x->ip.b, r->p + r->at, 16);
    r->at += 16;
    x->port = c2_get16(r->p + r->at);
    r->at += 2;
    x->proto = r->p[r->at++];
    x->first = (int64_t)get_u64(r);
    x->last = (int64_t)get_u64(r);
    x->clients = get_u32(r);
    x->sketch_n = r->p[r->at++];
    x->day = day;
    if (x->first < day || x->last < x->first || x->last >= day + C2_MS_PER_DAY)
        return c2_fail(err, "row times outside the day");
    if (x->sketch_n > FEATURE_SKETCH || !has(r, 4ull * x->sketch_n + 4 * FEATURE_COUNT))
        return c2_fail(err, "sketch of %u values: too many or truncated", x->sketch_n);
    for (uint32_t i = 0; i < x->sketch_n; i++) {
        x->sketch[i] = get_u32(r);
        if (i && x->sketch[i] <= x->sketch[i - 1])
            return c2_fail(err, "sketch values out of order");
    }
    for (size_t i = 0; i < FEATURE_COUNT; i++) {
        uint32_t bits = get_u32(r);
        memcpy(&x->v[i], &bits, 4);
    }
    return 0;
}

int features_cache_decode(const uint8_t *buf, size_t len, int64_t *day, uint64_t *fingerprint,
                          feature_table *out, c2_err *err)
{
    memset(out, 0, sizeof *out);
    uint8_t *raw;
    size_t n;
    if (c2_zframe_unpack(FILE_MAGIC, buf, len, FEATURES_CACHE_MAX_BYTES, &raw, &n, err) != 0)
        return -1;
    rbuf r = {raw, n, 0};
    int rc = 0;
    if (!has(&r, 28) || memcmp(raw, RAW_MAGIC, 8) != 0) {
        rc = c2_fail(err, "not a c2flow feature cache");
    } else {
        r.at = 8;
        *fingerprint = get_u64(&r);
        *day = (int64_t)get_u64(&r);
        uint32_t rows = get_u32(&r);
        if (*day < 0 || *day % C2_MS_PER_DAY || *day > INT64_MAX - C2_MS_PER_DAY)
            rc = c2_fail(err, "bad day");
        else if ((uint64_t)rows * ROW_MIN_BYTES > r.n - r.at)
            rc = c2_fail(err, "%u rows cannot fit in %zu bytes", rows, r.n - r.at);
        else if (!(out->row = malloc((rows ? rows : 1) * sizeof *out->row)))
            rc = c2_fail(err, "out of memory");
        out->cap = rows ? rows : 1;
        for (uint32_t i = 0; rc == 0 && i < rows; i++) {
            rc = get_row(&r, *day, &out->row[i], err);
            if (rc == 0 && i && feature_row_server_cmp(&out->row[i - 1], &out->row[i]) >= 0)
                rc = c2_fail(err, "rows out of order");
            out->n += rc == 0;
        }
        if (rc == 0 && r.at != r.n) rc = c2_fail(err, "%zu bytes after the end", r.n - r.at);
    }
    free(raw);
    return rc;
}
