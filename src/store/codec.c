/*
 * codec.c: one column of one block <-> one zstd frame.
 *
 * Each column first gets a cheap transform that lays its redundancy out for
 * zstd, then is compressed on its own (so that a scan reads and inflates only
 * the columns it needs):
 *
 *   start, end     one of them ENC_TIME_DELTA: records come roughly in time
 *                                  order, so the differences are small (zigzag:
 *                                  they may be negative); the other the
 *                                  duration (ENC_TIME_SINCE / ENC_TIME_BEFORE).
 *                                  Per block, the smoother one is the anchor.
 *   src/dst addr   ENC_SHUFFLE     16 byte planes: for IPv4-mapped addresses
 *                                  the first 12 planes are constant and vanish
 *   ports          ENC_SHUFFLE     2 byte planes: high bytes repeat a lot
 *   exporter, domain, interfaces, sampling
 *                  ENC_DICT        few distinct values per block; falls back
 *                                  to ENC_SHUFFLE past 65536 distinct values
 *   packets, bytes, AS numbers
 *                  ENC_VARINT      small numbers dominate
 *   proto, flags, tos
 *                  ENC_RAW
 *
 * Decoding trusts nothing: every length is checked against the record count
 * and the bytes actually present, and a decoder must consume its input
 * exactly and produce exactly the expected number of values.
 */
#include "store/segment.h"

#include <stdlib.h>
#include <string.h>
#include <zstd.h>

#define DICT_MAX 65536u
#define DICT_SLOTS (2 * DICT_MAX)

struct codec_ctx {
    ZSTD_CCtx *cctx;
    ZSTD_DCtx *dctx;
    uint8_t   *raw;             /* transformed bytes */
    size_t     raw_cap;
    uint8_t   *frame;           /* compressed bytes */
    size_t     frame_cap;
    uint32_t  *slot_gen;        /* dictionary hash: generation per slot */
    uint32_t  *slot_idx;        /* dictionary hash: index into dict_vals */
    uint32_t   gen;
    uint8_t   *dict_vals;       /* DICT_MAX values of up to 16 bytes */
    uint16_t  *dict_idx;        /* dictionary index of each row */
    size_t     dict_idx_cap;
};

static int grow_idx(codec_ctx *c, size_t n)
{
    if (n <= c->dict_idx_cap) return 0;
    uint16_t *p = realloc(c->dict_idx, n * sizeof *p);
    if (!p) return -1;
    c->dict_idx = p;
    c->dict_idx_cap = n;
    return 0;
}

codec_ctx *codec_new(int zstd_level)
{
    codec_ctx *c = calloc(1, sizeof *c);
    if (!c) return NULL;
    c->cctx = ZSTD_createCCtx();
    c->dctx = ZSTD_createDCtx();
    c->slot_gen = calloc(DICT_SLOTS, sizeof *c->slot_gen);
    c->slot_idx = calloc(DICT_SLOTS, sizeof *c->slot_idx);
    c->dict_vals = malloc((size_t)DICT_MAX * 16);
    if (!c->cctx || !c->dctx || !c->slot_gen || !c->slot_idx || !c->dict_vals) {
        codec_free(c);
        return NULL;
    }
    ZSTD_CCtx_setParameter(c->cctx, ZSTD_c_compressionLevel, zstd_level);
    ZSTD_CCtx_setParameter(c->cctx, ZSTD_c_checksumFlag, 0);
    ZSTD_CCtx_setParameter(c->cctx, ZSTD_c_contentSizeFlag, 1);
    return c;
}

void codec_free(codec_ctx *c)
{
    if (!c) return;
    ZSTD_freeCCtx(c->cctx);
    ZSTD_freeDCtx(c->dctx);
    free(c->raw);
    free(c->frame);
    free(c->slot_gen);
    free(c->slot_idx);
    free(c->dict_vals);
    free(c->dict_idx);
    free(c);
}

static int grow(uint8_t **buf, size_t *cap, size_t need)
{
    if (need <= *cap) return 0;
    size_t n = need + need / 2 + 4096;
    uint8_t *p = realloc(*buf, n);
    if (!p) return -1;
    *buf = p;
    *cap = n;
    return 0;
}

static segment_encoding preferred_encoding(flow_field f)
{
    switch (f) {
    case FLOW_START: return ENC_TIME_DELTA;
    case FLOW_END: return ENC_TIME_SINCE;
    case FLOW_EXPORTER: case FLOW_DOMAIN: case FLOW_IN_IF: case FLOW_OUT_IF:
    case FLOW_SAMPLING: case FLOW_SRC_AS: case FLOW_DST_AS:
    case FLOW_SRC_ADDR: case FLOW_DST_ADDR: return ENC_DICT;
    case FLOW_SRC_PORT: case FLOW_DST_PORT: return ENC_SHUFFLE;
    case FLOW_PACKETS: case FLOW_BYTES: return ENC_VARINT;
    default: return ENC_RAW;
    }
}

/* ---- varints ---- */

static inline uint64_t zigzag(int64_t v) { return ((uint64_t)v << 1) ^ (uint64_t)(v >> 63); }
static inline int64_t unzigzag(uint64_t v) { return (int64_t)(v >> 1) ^ -(int64_t)(v & 1); }

static inline uint8_t *put_varint(uint8_t *p, uint64_t v)
{
    while (v >= 0x80) {
        *p++ = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    *p++ = (uint8_t)v;
    return p;
}

/* Returns bytes consumed, 0 on overrun or an over-long encoding. */
static inline size_t get_varint(const uint8_t *p, const uint8_t *end, uint64_t *out)
{
    uint64_t v = 0;
    for (size_t i = 0; i < 10 && p + i < end; i++) {
        v |= (uint64_t)(p[i] & 0x7f) << (7 * i);
        if (!(p[i] & 0x80)) {
            *out = v;
            return i + 1;
        }
    }
    return 0;
}

/* ---- transforms ---- */

static size_t encode_time_delta(const int64_t *v, size_t n, uint8_t *out)
{
    uint8_t *p = out;
    uint64_t prev = 0;
    for (size_t i = 0; i < n; i++) {
        p = put_varint(p, zigzag((int64_t)((uint64_t)v[i] - prev)));
        prev = (uint64_t)v[i];
    }
    return (size_t)(p - out);
}

/* zigzag varints of a[i] - b[i]: the duration, stored on one side of it */
static size_t encode_time_diff(const int64_t *a, const int64_t *b, size_t n,
                               uint8_t *out)
{
    uint8_t *p = out;
    for (size_t i = 0; i < n; i++)
        p = put_varint(p, zigzag((int64_t)((uint64_t)a[i] - (uint64_t)b[i])));
    return (size_t)(p - out);
}

static size_t varint_len(uint64_t v)
{
    size_t k = 1;
    while (v >= 0x80) { v >>= 7; k++; }
    return k;
}

static size_t delta_cost(const int64_t *v, size_t n)
{
    size_t cost = 0;
    for (size_t i = 1; i < n; i++)
        cost += varint_len(zigzag((int64_t)((uint64_t)v[i] - (uint64_t)v[i - 1])));
    return cost;
}

/* Which time column a block is anchored on: the one whose deltas are
 * smaller.  A router exports by end time (end is smooth), a Zeek log is in
 * start order (start is smooth).  The other column stores the duration.
 * START and END encodings both call this, so they always agree. */
static int end_anchored(const flow_batch *b, size_t n)
{
    return delta_cost(b->end_ms, n) < delta_cost(b->start_ms, n);
}

static uint64_t load_uint(const void *col, size_t w, size_t i)
{
    switch (w) {
    case 8: return ((const uint64_t *)col)[i];
    case 4: return ((const uint32_t *)col)[i];
    case 2: return ((const uint16_t *)col)[i];
    default: return ((const uint8_t *)col)[i];
    }
}

static void store_uint(void *col, size_t w, size_t i, uint64_t v)
{
    switch (w) {
    case 8: ((uint64_t *)col)[i] = v; break;
    case 4: ((uint32_t *)col)[i] = (uint32_t)v; break;
    case 2: ((uint16_t *)col)[i] = (uint16_t)v; break;
    default: ((uint8_t *)col)[i] = (uint8_t)v; break;
    }
}

static size_t encode_varint(const void *col, size_t w, size_t n, uint8_t *out)
{
    uint8_t *p = out;
    for (size_t i = 0; i < n; i++) p = put_varint(p, load_uint(col, w, i));
    return (size_t)(p - out);
}

/* Plane k holds byte k of every value.  Values are in memory order (host
 * little-endian for integers, network order for addresses), the same on
 * write and read. */
static size_t encode_shuffle(const uint8_t *col, size_t w, size_t n, uint8_t *out)
{
    for (size_t k = 0; k < w; k++) {
        uint8_t *plane = out + k * n;
        const uint8_t *src = col + k;
        for (size_t i = 0; i < n; i++) plane[i] = src[i * w];
    }
    return n * w;
}

/* Equality of two values of width w, without a memcmp call for the widths
 * the hot columns have (4: interfaces, AS; 16: addresses). */
static inline int same_value(const uint8_t *a, const uint8_t *b, size_t w)
{
    if (w == 4) {
        uint32_t x, y;
        memcpy(&x, a, 4);
        memcpy(&y, b, 4);
        return x == y;
    }
    if (w == 16) {
        uint64_t x[2], y[2];
        memcpy(x, a, 16);
        memcpy(y, b, 16);
        return ((x[0] ^ y[0]) | (x[1] ^ y[1])) == 0;
    }
    return memcmp(a, b, w) == 0;
}

static uint32_t hash_bytes(const uint8_t *v, size_t w)
{
    uint64_t h = 0x9e3779b97f4a7c15ull;
    for (size_t i = 0; i < w; i += 4) {
        uint32_t x;
        memcpy(&x, v + i, 4);
        h = (h ^ x) * 0xff51afd7ed558ccdull;
    }
    return (uint32_t)(h >> 32);
}

/* Build the block's dictionary: c->dict_vals gets the distinct values in
 * order of first appearance, idx (u16 per row) the index of each row.
 * Returns the number of distinct values, or 0 when there are more than
 * `limit` (the caller then uses another encoding). */
static uint32_t build_dict(codec_ctx *c, const uint8_t *col, size_t w, size_t n,
                           uint32_t limit, uint16_t *idx)
{
    uint32_t count = 0, last = 0;
    if (++c->gen == 0) {
        memset(c->slot_gen, 0, DICT_SLOTS * sizeof *c->slot_gen);
        c->gen = 1;
    }
    for (size_t i = 0; i < n; i++) {
        const uint8_t *v = col + i * w;
        if (count && same_value(v, c->dict_vals + (size_t)last * w, w)) {
            idx[i] = (uint16_t)last;
            continue;
        }
        uint32_t s = hash_bytes(v, w) & (DICT_SLOTS - 1);
        while (c->slot_gen[s] == c->gen &&
               !same_value(c->dict_vals + (size_t)c->slot_idx[s] * w, v, w))
            s = (s + 1) & (DICT_SLOTS - 1);
        if (c->slot_gen[s] != c->gen) {
            if (count == limit) return 0;
            c->slot_gen[s] = c->gen;
            c->slot_idx[s] = count;
            memcpy(c->dict_vals + (size_t)count * w, v, w);
            count++;
        }
        last = c->slot_idx[s];
        idx[i] = (uint16_t)last;
    }
    return count;
}

/* ENC_DICT: u32 n, the n values as w byte planes, u8 index width (1 or 2),
 * the indexes as index-width byte planes.  Planes keep like bytes together
 * (the constant high bytes of small numbers, the ::ffff: of IPv4 addresses,
 * the high bytes of indexes), which is what zstd's entropy stage feeds on. */
static size_t write_dict(const codec_ctx *c, uint32_t count, const uint16_t *idx,
                         size_t w, size_t n, uint8_t *out)
{
    uint8_t *p = out;
    c2_put32(p, count);
    p += 4;
    p += encode_shuffle(c->dict_vals, w, count, p);
    uint8_t width = count <= 256 ? 1 : 2;
    *p++ = width;
    for (size_t i = 0; i < n; i++) p[i] = (uint8_t)idx[i];
    if (width == 2)
        for (size_t i = 0; i < n; i++) p[n + i] = (uint8_t)(idx[i] >> 8);
    return (size_t)(p - out) + n * width;
}

/* ENC_ADDR_SPLIT: u32 n6 (rows that are not IPv4), a bitmap of those rows
 * (ceil(n/8) bytes, LSB first), the IPv4 rows as 4 byte planes, then the
 * other rows as 16 byte planes.  IPv4 then costs its 4 bytes and IPv6 rows
 * do not spread noise over the 12 constant planes of the IPv4 rows. */
static size_t encode_addr_split(const flow_addr *a, size_t n, uint8_t *out)
{
    size_t n6 = 0, bm = (n + 7) / 8;
    uint8_t *bitmap = out + 4;
    memset(bitmap, 0, bm);
    for (size_t i = 0; i < n; i++)
        if (!flow_addr_is_v4(&a[i])) {
            bitmap[i / 8] |= (uint8_t)(1u << (i % 8));
            n6++;
        }
    c2_put32(out, (uint32_t)n6);
    size_t n4 = n - n6;
    uint8_t *p4 = bitmap + bm, *p6 = p4 + 4 * n4;
    size_t i4 = 0, i6 = 0;
    for (size_t i = 0; i < n; i++) {
        if (bitmap[i / 8] & (1u << (i % 8))) {
            for (int k = 0; k < 16; k++) p6[k * n6 + i6] = a[i].b[k];
            i6++;
        } else {
            for (int k = 0; k < 4; k++) p4[k * n4 + i4] = a[i].b[12 + k];
            i4++;
        }
    }
    return 4 + bm + 4 * n4 + 16 * n6;
}

/* A dictionary pays when values repeat.  For addresses the alternative
 * (ENC_ADDR_SPLIT) is cheap already, so the dictionary must be at most half
 * as long as the block: measured on synth data, the Zipf-like destinations
 * gain 7% from it, the uniform sources would lose. */
static size_t encode_dict_or(codec_ctx *c, flow_field f, const uint8_t *src,
                             size_t w, size_t n, segment_encoding *enc)
{
    uint32_t limit = flow_field_type(f) == FLOW_T_ADDR && f != FLOW_EXPORTER
                         ? (uint32_t)(n / 2) : DICT_MAX;
    if (limit > DICT_MAX) limit = DICT_MAX;
    uint32_t count = limit ? build_dict(c, src, w, n, limit, c->dict_idx) : 0;
    if (count) {
        *enc = ENC_DICT;
        return write_dict(c, count, c->dict_idx, w, n, c->raw);
    }
    if (flow_field_type(f) == FLOW_T_ADDR) {
        *enc = ENC_ADDR_SPLIT;
        return encode_addr_split((const flow_addr *)src, n, c->raw);
    }
    *enc = ENC_SHUFFLE;
    return encode_shuffle(src, w, n, c->raw);
}

int codec_encode(codec_ctx *c, const flow_batch *b, flow_field f,
                 const uint8_t **out, segment_column *col, c2_err *err)
{
    size_t n = b->count, w = flow_type_size(flow_field_type(f));
    const void *src = flow_batch_column(b, f);
    if (!src) return c2_fail(err, "column %s missing from batch", flow_field_name(f));
    /* Room for the worst transform: varints (10 B a value), a dictionary
     * of addresses (16 B values, 2 B indexes) or an address split. */
    size_t need = n * 18 + 4 + n / 8 + 16;
    if (grow(&c->raw, &c->raw_cap, need) != 0 ||
        grow_idx(c, n) != 0)
        return c2_fail(err, "out of memory");
    segment_encoding enc = preferred_encoding(f);
    size_t len = 0;
    switch (enc) {
    case ENC_TIME_DELTA:    /* FLOW_START; FLOW_END comes as TIME_SINCE */
    case ENC_TIME_SINCE:
    case ENC_TIME_BEFORE:
        if (end_anchored(b, n)) {
            enc = f == FLOW_END ? ENC_TIME_DELTA : ENC_TIME_BEFORE;
            len = f == FLOW_END ? encode_time_delta(b->end_ms, n, c->raw)
                                : encode_time_diff(b->end_ms, b->start_ms, n, c->raw);
        } else {
            enc = f == FLOW_START ? ENC_TIME_DELTA : ENC_TIME_SINCE;
            len = f == FLOW_START ? encode_time_delta(b->start_ms, n, c->raw)
                                  : encode_time_diff(b->end_ms, b->start_ms, n, c->raw);
        }
        break;
    case ENC_VARINT: len = encode_varint(src, w, n, c->raw); break;
    case ENC_DICT: len = encode_dict_or(c, f, src, w, n, &enc); break;
    case ENC_ADDR_SPLIT: len = encode_addr_split(src, n, c->raw); break;
    case ENC_SHUFFLE: len = encode_shuffle(src, w, n, c->raw); break;
    case ENC_RAW: memcpy(c->raw, src, n); len = n; break;
    }
    size_t bound = ZSTD_compressBound(len);
    if (grow(&c->frame, &c->frame_cap, bound) != 0) return c2_fail(err, "out of memory");
    size_t z = ZSTD_compress2(c->cctx, c->frame, c->frame_cap, c->raw, len);
    if (ZSTD_isError(z))
        return c2_fail(err, "zstd: %s", ZSTD_getErrorName(z));
    col->raw_len = (uint32_t)len;
    col->stored_len = (uint32_t)z;
    col->encoding = (uint8_t)enc;
    col->crc = c2_crc32(0, c->frame, z);
    *out = c->frame;
    return 0;
}

/* ---- decoding ---- */

static int decode_varints(const uint8_t *p, size_t len, size_t n,
                          uint64_t *tmp_out, void *col, size_t w, int mode,
                          const int64_t *anchor)
{
    const uint8_t *end = p + len;
    uint64_t prev = 0;
    for (size_t i = 0; i < n; i++) {
        uint64_t v;
        size_t k = get_varint(p, end, &v);
        if (!k) return -1;
        p += k;
        if (mode == ENC_TIME_DELTA) {
            prev += (uint64_t)unzigzag(v);
            ((int64_t *)col)[i] = (int64_t)prev;
        } else if (mode == ENC_TIME_SINCE) {    /* end = start + duration */
            ((int64_t *)col)[i] = (int64_t)((uint64_t)anchor[i] + (uint64_t)unzigzag(v));
        } else if (mode == ENC_TIME_BEFORE) {   /* start = end - duration */
            ((int64_t *)col)[i] = (int64_t)((uint64_t)anchor[i] - (uint64_t)unzigzag(v));
        } else {
            if (w < 8 && v >> (8 * w)) return -1;
            store_uint(col, w, i, v);
        }
    }
    (void)tmp_out;
    return p == end ? 0 : -1;
}

static int decode_shuffle(const uint8_t *p, size_t len, size_t n, uint8_t *col, size_t w)
{
    if (len != n * w) return -1;
    for (size_t k = 0; k < w; k++) {
        const uint8_t *plane = p + k * n;
        uint8_t *dst = col + k;
        for (size_t i = 0; i < n; i++) dst[i * w] = plane[i];
    }
    return 0;
}

static int decode_dict(const uint8_t *p, size_t len, size_t n, uint8_t *col, size_t w)
{
    if (len < 5) return -1;
    uint32_t count = c2_get32(p);
    if (count == 0 || count > DICT_MAX || count > n) return -1;
    size_t vals_len = (size_t)count * w;
    if (len < 4 + vals_len + 1) return -1;
    const uint8_t *vals = p + 4;            /* w planes of count bytes */
    uint8_t width = p[4 + vals_len];
    if (width != 1 && width != 2) return -1;
    const uint8_t *lo = p + 4 + vals_len + 1, *hi = lo + n;
    if (len - (4 + vals_len + 1) != n * width) return -1;
    for (size_t i = 0; i < n; i++) {
        uint32_t x = width == 1 ? lo[i] : (uint32_t)(lo[i] | hi[i] << 8);
        if (x >= count) return -1;
        uint8_t *dst = col + i * w;
        for (size_t k = 0; k < w; k++) dst[k] = vals[k * count + x];
    }
    return 0;
}

static int decode_addr_split(const uint8_t *p, size_t len, size_t n, flow_addr *a)
{
    size_t bm = (n + 7) / 8;
    if (len < 4 + bm) return -1;
    size_t n6 = c2_get32(p);
    if (n6 > n || len != 4 + bm + 4 * (n - n6) + 16 * n6) return -1;
    const uint8_t *bitmap = p + 4, *p4 = bitmap + bm, *p6 = p4 + 4 * (n - n6);
    size_t n4 = n - n6, i4 = 0, i6 = 0;
    for (size_t i = 0; i < n; i++) {
        if (bitmap[i / 8] & (1u << (i % 8))) {
            if (i6 == n6) return -1;
            for (int k = 0; k < 16; k++) a[i].b[k] = p6[k * n6 + i6];
            i6++;
        } else {
            if (i4 == n4) return -1;
            uint32_t v = (uint32_t)p4[i4] << 24 | (uint32_t)p4[n4 + i4] << 16 |
                         (uint32_t)p4[2 * n4 + i4] << 8 | p4[3 * n4 + i4];
            flow_addr_from_v4(&a[i], v);
            i4++;
        }
    }
    return i6 == n6 ? 0 : -1;
}

int codec_decode(codec_ctx *c, const uint8_t *stored, const segment_column *col,
                 flow_field f, size_t n, flow_batch *b, c2_err *err)
{
    size_t w = flow_type_size(flow_field_type(f));
    void *dst = flow_batch_column(b, f);
    if (!dst) return c2_fail(err, "column %s not requested", flow_field_name(f));
    if (col->raw_len > n * 18 + 4 + 1 + n / 8 + 1 + (size_t)DICT_MAX * 16)
        return c2_fail(err, "raw length %u too large for %zu records", col->raw_len, n);
    unsigned long long fcs = ZSTD_getFrameContentSize(stored, col->stored_len);
    if (fcs != col->raw_len)
        return c2_fail(err, "zstd frame size does not match the footer");
    if (grow(&c->raw, &c->raw_cap, col->raw_len + 1) != 0)
        return c2_fail(err, "out of memory");
    size_t got = ZSTD_decompressDCtx(c->dctx, c->raw, col->raw_len, stored, col->stored_len);
    if (ZSTD_isError(got) || got != col->raw_len)
        return c2_fail(err, "zstd: %s", ZSTD_isError(got) ? ZSTD_getErrorName(got)
                                                          : "short frame");
    int rc = -1;
    switch (col->encoding) {
    case ENC_TIME_DELTA:
        if (f == FLOW_START || f == FLOW_END)
            rc = decode_varints(c->raw, got, n, NULL, dst, 8, ENC_TIME_DELTA, NULL);
        break;
    case ENC_TIME_SINCE:
        if (f == FLOW_END && b->start_ms)
            rc = decode_varints(c->raw, got, n, NULL, dst, 8, ENC_TIME_SINCE, b->start_ms);
        break;
    case ENC_TIME_BEFORE:
        if (f == FLOW_START && b->end_ms)
            rc = decode_varints(c->raw, got, n, NULL, dst, 8, ENC_TIME_BEFORE, b->end_ms);
        break;
    case ENC_VARINT:
        if (flow_field_type(f) != FLOW_T_ADDR && flow_field_type(f) != FLOW_T_TIME)
            rc = decode_varints(c->raw, got, n, NULL, dst, w, ENC_VARINT, NULL);
        break;
    case ENC_SHUFFLE: rc = decode_shuffle(c->raw, got, n, dst, w); break;
    case ENC_DICT: rc = decode_dict(c->raw, got, n, dst, w); break;
    case ENC_ADDR_SPLIT:
        if (flow_field_type(f) == FLOW_T_ADDR) rc = decode_addr_split(c->raw, got, n, dst);
        break;
    case ENC_RAW:
        if (w == 1 && got == n) { memcpy(dst, c->raw, n); rc = 0; }
        break;
    default:
        return c2_fail(err, "unknown encoding %u", col->encoding);
    }
    if (rc != 0)
        return c2_fail(err, "malformed %s data (encoding %u)", flow_field_name(f),
                       col->encoding);
    return 0;
}

/* ---- zones ---- */

static inline void addr_halves(const flow_addr *a, uint64_t *hi, uint64_t *lo)
{
    uint64_t x[2];
    memcpy(x, a->b, 16);
    *hi = __builtin_bswap64(x[0]);
    *lo = __builtin_bswap64(x[1]);
}

void codec_zone(const flow_batch *b, flow_field f, size_t n,
                flow_value *min, flow_value *max)
{
    flow_type t = flow_field_type(f);
    const void *col = flow_batch_column(b, f);
    memset(min, 0, sizeof *min);
    memset(max, 0, sizeof *max);
    if (t == FLOW_T_ADDR) {
        /* compare as two big-endian 64-bit halves: the order of memcmp */
        const flow_addr *a = col;
        size_t lo = 0, hi = 0;
        uint64_t lo_h, lo_l, hi_h, hi_l;
        addr_halves(&a[0], &lo_h, &lo_l);
        hi_h = lo_h;
        hi_l = lo_l;
        for (size_t i = 1; i < n; i++) {
            uint64_t h, l;
            addr_halves(&a[i], &h, &l);
            if (h < lo_h || (h == lo_h && l < lo_l)) { lo = i; lo_h = h; lo_l = l; }
            if (h > hi_h || (h == hi_h && l > hi_l)) { hi = i; hi_h = h; hi_l = l; }
        }
        min->a = a[lo];
        max->a = a[hi];
    } else if (t == FLOW_T_TIME) {
        const int64_t *v = col;
        int64_t lo = v[0], hi = v[0];
        for (size_t i = 1; i < n; i++) {
            if (v[i] < lo) lo = v[i];
            if (v[i] > hi) hi = v[i];
        }
        min->t = lo;
        max->t = hi;
    } else {
        size_t w = flow_type_size(t);
        uint64_t lo = load_uint(col, w, 0), hi = lo;
        for (size_t i = 1; i < n; i++) {
            uint64_t v = load_uint(col, w, i);
            if (v < lo) lo = v;
            if (v > hi) hi = v;
        }
        min->u = lo;
        max->u = hi;
    }
}

void zone_value_put(uint8_t *p, flow_type t, const flow_value *v)
{
    memset(p, 0, SEGMENT_ZONE_VALUE_LEN);
    if (t == FLOW_T_ADDR) memcpy(p, v->a.b, 16);
    else c2_put64(p, v->u);
}

void zone_value_get(const uint8_t *p, flow_type t, flow_value *v)
{
    memset(v, 0, sizeof *v);
    if (t == FLOW_T_ADDR) memcpy(v->a.b, p, 16);
    else v->u = c2_get64(p);
}

void zone_merge(store_zone *into, const store_zone *z)
{
    if (z->records == 0) return;
    if (into->records == 0) {
        *into = *z;
        return;
    }
    into->records += z->records;
    for (int f = 0; f < FLOW_FIELD_COUNT; f++) {
        flow_type t = flow_field_type((flow_field)f);
        if (flow_value_cmp(t, &z->min[f], &into->min[f]) < 0) into->min[f] = z->min[f];
        if (flow_value_cmp(t, &z->max[f], &into->max[f]) > 0) into->max[f] = z->max[f];
    }
}
