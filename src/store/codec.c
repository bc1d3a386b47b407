/*
 * codec.c: one column of one block <-> one zstd frame.
 *
 * Each column first gets a cheap transform that lays its redundancy out for
 * the entropy coder, then is compressed on its own (so that a scan reads and
 * inflates only the columns it needs):
 *
 *   start, end     one of them ENC_TIME_DELTA: records come roughly in time
 *                  order, so the differences are small (zigzag: they may be
 *                  negative); the other the duration (ENC_TIME_SINCE /
 *                  ENC_TIME_BEFORE).  Per block, the smoother one (judged on
 *                  a sample of the deltas) is the anchor.
 *   exporter       ENC_DICT        few distinct values per block, found through
 *                                  a small cache before the hash
 *   domain, interfaces, sampling, AS numbers
 *                  ENC_DICT        when the values of a block span at most 256
 *                                  numbers the dictionary is simply min..max
 *                                  and an index is value - min (no hashing);
 *                                  else a hashed dictionary.  Both fall back
 *                                  to ENC_SHUFFLE past 65536 distinct values
 *   src/dst addr   ENC_ADDR_SPLIT  IPv4 rows as 4 byte planes, IPv6 as 16
 *   ports          ENC_SHUFFLE     2 byte planes: high bytes repeat a lot
 *   packets, bytes ENC_VARINT      small numbers dominate
 *   proto, flags, tos
 *                  ENC_RAW         compressed straight from the column
 *
 * Writing is on the collector's hot path, so the encoders are single typed
 * passes that also compute the column's zone (min and max) as they go, and
 * varints are written without a branch on their length.
 *
 * The zstd stage is where most of the CPU went, and most of it was wasted:
 * LZ matching finds nothing worth having in a column of independent small
 * symbols (exporter, interfaces, flags) yet spends most of its time there,
 * and the low planes of addresses and ports barely compress at all.  So
 * each column is packed in one of three ways, every one a standard zstd
 * frame that any zstd decoder reads:
 *
 *   PACK_LZ       ZSTD_compress2 at the store's level (runs, repeats)
 *   PACK_ENTROPY  no matches, literals Huffman-coded (ZSTD_compressSequences
 *                 with no sequence): 3-5 times cheaper than LZ on such data
 *   PACK_STORE    no matches, literals stored: a copy
 *
 * Which way suits a column is measured, not guessed: the first block a
 * codec encodes, and every PROBE_EVERY-th after, packs each column all three
 * ways, writes the smallest, and keeps for the blocks in between the
 * cheapest way that is not much bigger (PACK_ENTROPY must save 10% over
 * PACK_STORE, PACK_LZ 20% over the others).  The probe's LZ runs at level 1
 * at most: it only has to tell whether matches pay, and the columns where
 * they do are the cheap ones to compress at any level.  The choice only
 * ever costs bytes, never correctness.  On synth data the probes pick LZ for
 * end and sampling (and for exporter and domain when a collector's records
 * come in runs per exporter), ENTROPY for the small-alphabet columns, STORE
 * for addresses, source ports and byte counts.
 *
 * ZSTD_compressSequences is zstd's experimental API, so it is used only
 * when the zstd library at run time is the release (major.minor) the code
 * was built against; otherwise every column is PACK_LZ, as before.
 *
 * Decoding trusts nothing: every length is checked against the record count
 * and the bytes actually present, and a decoder must consume its input
 * exactly and produce exactly the expected number of values.
 *
 * A full decode of an address column can also fill the batch's IPv4 view
 * of it (flow_batch.v4_fields: the IPv4 rows as uint32 and the chunk's own
 * bitmap of IPv6 rows), nearly free from the four byte planes, which an
 * address list then looks up instead of 16-byte addresses.
 */
#include "store/segment.h"

#include <stdlib.h>
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif
#define ZSTD_STATIC_LINKING_ONLY    /* ZSTD_compressSequences, literal modes */
#include <zstd.h>

#define DICT_MAX 65536u
#define FOR_MAX 256u                /* widest min..max range taken as a dictionary */
#define HASH_MIN_BITS 10            /* dictionary hash: 1024 slots to start */
#define HASH_MAX_BITS 17            /* 2 x DICT_MAX slots */
#define PROBE_EVERY 64              /* blocks between measurements of a column */
#define ENTROPY_KEEP 90             /* PACK_ENTROPY if <= 90% of PACK_STORE */
#define LZ_KEEP 80                  /* PACK_LZ if <= 80% of the next best */

typedef enum pack_mode { PACK_STORE, PACK_ENTROPY, PACK_LZ } pack_mode;

typedef int read_varints_fn(const uint8_t *p, size_t len, size_t n, uint64_t *out);
static read_varints_fn *pick_read_varints(void);

/* A front cache of the exporter dictionary, direct-mapped on the last byte
 * of the address: a collector has few exporters, so nearly every row is
 * found with one load and one comparison, without hashing. */
typedef struct addr_cache {
    flow_addr a;
    uint32_t  idx;              /* dictionary index */
    uint32_t  gen;              /* valid when == codec_ctx.acache_gen */
} addr_cache;

struct codec_ctx {
    ZSTD_CCtx *lz;              /* PACK_LZ, at the store's level */
    ZSTD_CCtx *lz_probe;        /* PACK_LZ while probing: level <= 1 */
    ZSTD_CCtx *ent;             /* PACK_ENTROPY */
    ZSTD_CCtx *sto;             /* PACK_STORE */
    ZSTD_DCtx *dctx;
    int        seq_api;         /* ZSTD_compressSequences usable */
    uint8_t   *raw;             /* transformed bytes */
    size_t     raw_cap;
    uint8_t   *frame;           /* compressed bytes */
    size_t     frame_cap;
    uint8_t   *alt;             /* a second frame while probing */
    size_t     alt_cap;
    uint64_t  *slots;           /* dictionary hash: gen<<48 | index<<32 | key */
    uint16_t   gen;             /* slots of other generations are empty */
    uint8_t   *dict_vals;       /* DICT_MAX values of up to 16 bytes */
    addr_cache acache[256];     /* exporter dictionary front cache */
    uint32_t   acache_gen;
    uint32_t  *rows6;           /* ENC_ADDR_SPLIT: the IPv6 rows */
    size_t     rows6_cap;
    uint64_t  *vals;            /* decoding selected rows: a whole column */
    size_t     vals_cap;
    read_varints_fn *read_varints;  /* the fastest this CPU runs */
    int        has_popcnt;          /* select_uvarints: 1 popcnt, 2 and BMI2 */
    uint8_t    mode[FLOW_FIELD_COUNT];      /* pack_mode per column */
    uint8_t    hash_bits[FLOW_FIELD_COUNT]; /* table size the last block needed */
    uint8_t    for_next[FLOW_FIELD_COUNT];  /* try a frame of reference first */
    uint32_t   for_base[FLOW_FIELD_COUNT];  /* ... on the last block's minimum */
    uint32_t   to_probe[FLOW_FIELD_COUNT];  /* blocks until the next probe */
};

static int grow_array(void **p, size_t *cap, size_t n, size_t size)
{
    if (n <= *cap) return 0;
    void *q = realloc(*p, n * size);
    if (!q) return -1;
    *p = q;
    *cap = n;
    return 0;
}

static ZSTD_CCtx *new_cctx(int level, int literals)
{
    ZSTD_CCtx *z = ZSTD_createCCtx();
    if (!z) return NULL;
    ZSTD_CCtx_setParameter(z, ZSTD_c_compressionLevel, level);
    ZSTD_CCtx_setParameter(z, ZSTD_c_checksumFlag, 0);
    ZSTD_CCtx_setParameter(z, ZSTD_c_contentSizeFlag, 1);
    if (literals >= 0) {
        /* literals only: the match finder's tables are never used */
        ZSTD_CCtx_setParameter(z, ZSTD_c_hashLog, ZSTD_HASHLOG_MIN);
        ZSTD_CCtx_setParameter(z, ZSTD_c_chainLog, ZSTD_CHAINLOG_MIN);
        ZSTD_CCtx_setParameter(z, ZSTD_c_literalCompressionMode, literals);
    }
    return z;
}

codec_ctx *codec_new(int zstd_level)
{
    codec_ctx *c = calloc(1, sizeof *c);
    if (!c) return NULL;
    c->lz = new_cctx(zstd_level, -1);
    c->lz_probe = new_cctx(zstd_level < 0 ? zstd_level : 1, -1);  /* 0 is zstd's default, 3 */
    c->ent = new_cctx(1, ZSTD_ps_enable);
    c->sto = new_cctx(1, ZSTD_ps_disable);
    c->dctx = ZSTD_createDCtx();
    c->slots = calloc((size_t)1 << HASH_MAX_BITS, sizeof *c->slots);
    c->dict_vals = malloc((size_t)DICT_MAX * 16);
    if (!c->lz || !c->lz_probe || !c->ent || !c->sto || !c->dctx || !c->slots ||
        !c->dict_vals) {
        codec_free(c);
        return NULL;
    }
    c->seq_api = ZSTD_versionNumber() / 100 == ZSTD_VERSION_NUMBER / 100;
    c->read_varints = pick_read_varints();
#if defined(__x86_64__) && defined(__GNUC__)
    /* pick_read_varints ran cpu_init; 2: also BMI2 (select_uvarints_wide) */
    c->has_popcnt = __builtin_cpu_supports("popcnt")
                    ? 1 + (__builtin_cpu_supports("bmi2") != 0) : 0;
#endif
    return c;
}

void codec_free(codec_ctx *c)
{
    if (!c) return;
    ZSTD_freeCCtx(c->lz);
    ZSTD_freeCCtx(c->lz_probe);
    ZSTD_freeCCtx(c->ent);
    ZSTD_freeCCtx(c->sto);
    ZSTD_freeDCtx(c->dctx);
    free(c->raw);
    free(c->frame);
    free(c->alt);
    free(c->slots);
    free(c->dict_vals);
    free(c->rows6);
    free(c->vals);
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

/* ---- varints ---- */

static inline uint64_t zigzag(int64_t v) { return ((uint64_t)v << 1) ^ (uint64_t)(v >> 63); }
static inline int64_t unzigzag(uint64_t v) { return (int64_t)(v >> 1) ^ -(int64_t)(v & 1); }

static inline size_t varint_len(uint64_t v)
{
    return (70u - (unsigned)__builtin_clzll(v | 1)) / 7u;
}

/* Little-endian words in one store. */
static inline void put_le64(uint8_t *p, uint64_t x)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    x = __builtin_bswap64(x);
#endif
    memcpy(p, &x, 8);
}

static inline void put_le32(uint8_t *p, uint32_t x)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    x = __builtin_bswap32(x);
#endif
    memcpy(p, &x, 4);
}

/* LEB128, without a branch on the length below 2^21 (every time delta and
 * duration under 35 minutes, most counters): in a column of mixed widths
 * such a branch goes wrong half the time.  The 7-bit groups are spread over
 * one word, the continuation bits set, and the whole word stored, of which
 * `len` bytes count; wider values take the same path on 64 bits.  The
 * caller leaves 8 bytes of room past the end. */
static inline uint8_t *put_varint(uint8_t *p, uint64_t v)
{
    if (v < (1u << 21)) {
        uint32_t y = (uint32_t)v, two = y >= 0x80, three = y >= 0x4000;
        uint32_t x = (y & 0x7f) | (y << 1 & 0x7f00) | (y << 2 & 0x7f0000) |
                     two << 7 | three << 15;
        put_le32(p, x);
        return p + 1 + two + three;
    }
    if (v < (1ull << 56)) {
        uint64_t x = (v & 0x7f) | (v << 1 & 0x7f00) | (v << 2 & 0x7f0000) |
                     (v << 3 & 0x7f000000) | (v << 4 & 0x7f00000000ull) |
                     (v << 5 & 0x7f0000000000ull) | (v << 6 & 0x7f000000000000ull) |
                     (v << 7 & 0x7f00000000000000ull);
        size_t len = varint_len(v);
        x |= 0x0080808080808080ull >> (8 * (8 - len));
        put_le64(p, x);
        return p + len;
    }
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

/* ---- typed encoders; each also gives the column's min and max ---- */

/* ENC_TIME_DELTA of v. */
static size_t encode_time_delta(const int64_t *v, size_t n, uint8_t *out,
                                flow_value *min, flow_value *max)
{
    uint8_t *p = out;
    uint64_t prev = 0;
    int64_t lo = v[0], hi = v[0];
    for (size_t i = 0; i < n; i++) {
        int64_t x = v[i];
        p = put_varint(p, zigzag((int64_t)((uint64_t)x - prev)));
        prev = (uint64_t)x;
        lo = x < lo ? x : lo;
        hi = x > hi ? x : hi;
    }
    min->t = lo;
    max->t = hi;
    return (size_t)(p - out);
}

/* zigzag varints of end[i] - start[i]: the duration, stored on the side of
 * `own` (start or end), whose min and max are taken. */
static size_t encode_time_diff(const int64_t *end, const int64_t *start,
                               const int64_t *own, size_t n, uint8_t *out,
                               flow_value *min, flow_value *max)
{
    uint8_t *p = out;
    int64_t lo = own[0], hi = own[0];
    for (size_t i = 0; i < n; i++) {
        p = put_varint(p, zigzag((int64_t)((uint64_t)end[i] - (uint64_t)start[i])));
        lo = own[i] < lo ? own[i] : lo;
        hi = own[i] > hi ? own[i] : hi;
    }
    min->t = lo;
    max->t = hi;
    return (size_t)(p - out);
}

/* Bytes of the deltas of v, estimated from every 16th pair of a long block
 * (every pair of a short one): enough to tell a smooth column from a rough
 * one, at a sixteenth of the cost. */
static size_t delta_cost(const int64_t *v, size_t n)
{
    size_t cost = 0, step = n >= 4096 ? 16 : 1;
    for (size_t i = 1; i < n; i += step)
        cost += varint_len(zigzag((int64_t)((uint64_t)v[i] - (uint64_t)v[i - 1])));
    return cost;
}

/* Which time column a block is anchored on: the one whose deltas are
 * smaller.  A router exports by end time (end is smooth), a Zeek log is in
 * start order (start is smooth).  The other column stores the duration.
 * START and END encodings both call this on the same rows, so they always
 * agree. */
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

/* ENC_VARINT of 64-bit values. */
static size_t encode_varint64(const uint64_t *v, size_t n, uint8_t *out,
                              flow_value *min, flow_value *max)
{
    uint8_t *p = out;
    uint64_t lo = v[0], hi = v[0];
    for (size_t i = 0; i < n; i++) {
        uint64_t x = v[i];
        p = put_varint(p, x);
        lo = x < lo ? x : lo;
        hi = x > hi ? x : hi;
    }
    min->u = lo;
    max->u = hi;
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

/* ENC_SHUFFLE of 16-bit values (ports) with their min and max. */
static size_t encode_shuffle16(const uint16_t *v, size_t n, uint8_t *out,
                               flow_value *min, flow_value *max)
{
    const uint8_t *bytes = (const uint8_t *)v;
    uint8_t *p0 = out, *p1 = out + n;
    uint16_t lo = v[0], hi = v[0];
    for (size_t i = 0; i < n; i++) {
        p0[i] = bytes[2 * i];
        p1[i] = bytes[2 * i + 1];
        lo = v[i] < lo ? v[i] : lo;
        hi = v[i] > hi ? v[i] : hi;
    }
    min->u = lo;
    max->u = hi;
    return 2 * n;
}

/* Min and max with four accumulators each: four short dependency chains
 * instead of one long one. */
#define MINMAX4(T, v, n, LO, HI)                                                \
    do {                                                                        \
        T l0 = v[0], l1 = v[0], l2 = v[0], l3 = v[0];                           \
        T h0 = v[0], h1 = v[0], h2 = v[0], h3 = v[0];                           \
        size_t i_ = 0;                                                          \
        for (; i_ + 4 <= n; i_ += 4) {                                          \
            l0 = v[i_] < l0 ? v[i_] : l0;                                       \
            h0 = v[i_] > h0 ? v[i_] : h0;                                       \
            l1 = v[i_ + 1] < l1 ? v[i_ + 1] : l1;                               \
            h1 = v[i_ + 1] > h1 ? v[i_ + 1] : h1;                               \
            l2 = v[i_ + 2] < l2 ? v[i_ + 2] : l2;                               \
            h2 = v[i_ + 2] > h2 ? v[i_ + 2] : h2;                               \
            l3 = v[i_ + 3] < l3 ? v[i_ + 3] : l3;                               \
            h3 = v[i_ + 3] > h3 ? v[i_ + 3] : h3;                               \
        }                                                                       \
        for (; i_ < n; i_++) {                                                  \
            l0 = v[i_] < l0 ? v[i_] : l0;                                       \
            h0 = v[i_] > h0 ? v[i_] : h0;                                       \
        }                                                                       \
        l0 = l1 < l0 ? l1 : l0;                                                 \
        l2 = l3 < l2 ? l3 : l2;                                                 \
        h0 = h1 > h0 ? h1 : h0;                                                 \
        h2 = h3 > h2 ? h3 : h2;                                                 \
        LO = l2 < l0 ? l2 : l0;                                                 \
        HI = h2 > h0 ? h2 : h0;                                                 \
    } while (0)

static void minmax_u8(const uint8_t *v, size_t n, flow_value *min, flow_value *max)
{
    uint8_t lo, hi;
    MINMAX4(uint8_t, v, n, lo, hi);
    min->u = lo;
    max->u = hi;
}

static void minmax_u32(const uint32_t *v, size_t n, uint32_t *min, uint32_t *max)
{
    uint32_t lo, hi;
    MINMAX4(uint32_t, v, n, lo, hi);
    *min = lo;
    *max = hi;
}

/* ---- dictionaries ---- */

/* ENC_DICT: u32 n, the n values as w byte planes, u8 index width (1 or 2),
 * the indexes as index-width byte planes.  Planes keep like bytes together
 * (the constant high bytes of small numbers, the ::ffff: of IPv4 addresses,
 * the high bytes of indexes), which is what the entropy stage feeds on.
 *
 * The dictionary builders write the index planes straight into c->raw at
 * dict_planes() (low bytes, then high bytes n further), past the largest
 * header the block can have; write_dict puts the header before them and
 * moves them down. */
static uint8_t *dict_planes(codec_ctx *c, size_t w, size_t n)
{
    return c->raw + 5 + w * (n < DICT_MAX ? n : DICT_MAX);
}

static size_t write_dict(codec_ctx *c, uint32_t count, size_t w, size_t n)
{
    const uint8_t *planes = dict_planes(c, w, n);
    uint8_t *p = c->raw;
    c2_put32(p, count);
    p += 4;
    p += encode_shuffle(c->dict_vals, w, count, p);
    uint8_t width = count <= 256 ? 1 : 2;
    *p++ = width;
    memmove(p, planes, n * width);
    return (size_t)(p - c->raw) + n * width;
}

/* The dictionary hash is one array of 64-bit slots, gen<<48 | index<<32 |
 * key: a slot of another generation is empty, so a new block (or a bigger
 * table) needs no clearing, only the next generation.  A column's table
 * starts at the size its last block needed (small, in the L1 cache, for the
 * few values most columns have) and doubles while more than a quarter full:
 * short probe sequences, few mispredicted branches. */
static void next_gen(codec_ctx *c)
{
    if (++c->gen == 0) {
        memset(c->slots, 0, ((size_t)1 << HASH_MAX_BITS) * sizeof *c->slots);
        c->gen = 1;
    }
}

static inline uint32_t hash_u32(uint32_t v, unsigned bits)
{
    return (v * 0x9e3779b1u) >> (32 - bits);
}

static inline uint64_t hash_addr(const uint8_t *a)
{
    uint64_t x, y;
    memcpy(&x, a, 8);
    memcpy(&y, a + 8, 8);
    return (x * 0xff51afd7ed558ccdull) ^ (y * 0x9e3779b97f4a7c15ull) ^ (y >> 29);
}

/* Insert dictionary entry i of value v (key) at its slot in a table of
 * `bits`; the caller knows v is not there. */
static inline void slot_put(codec_ctx *c, uint32_t s, unsigned bits, uint32_t i,
                            uint32_t key)
{
    uint32_t mask = (1u << bits) - 1;
    while (c->slots[s] >> 48 == c->gen) s = (s + 1) & mask;
    c->slots[s] = (uint64_t)c->gen << 48 | (uint64_t)i << 32 | key;
}

/* Double the table and re-insert the `count` values (w = 4 or 16). */
static void grow_table(codec_ctx *c, unsigned *bits, uint32_t count, size_t w)
{
    (*bits)++;
    next_gen(c);
    for (uint32_t i = 0; i < count; i++) {
        const uint8_t *v = c->dict_vals + (size_t)i * w;
        if (w == 4) {
            uint32_t x;
            memcpy(&x, v, 4);
            slot_put(c, hash_u32(x, *bits), *bits, i, x);
        } else {
            uint64_t h = hash_addr(v);
            slot_put(c, (uint32_t)(h >> (64 - *bits)), *bits, i, (uint32_t)h);
        }
    }
}

/* Dictionary of 32-bit values: c->dict_vals gets the distinct values in
 * order of first appearance, dict_planes() the index of each row, min and
 * max the extremes.  Returns the number of distinct values, or 0 when
 * there are more than DICT_MAX (min and max are then not set). */
static uint32_t build_dict_u32(codec_ctx *c, flow_field f, const uint32_t *v, size_t n,
                               uint32_t *min, uint32_t *max)
{
    uint32_t lo = v[0], hi = v[0];
    unsigned bits = c->hash_bits[f] ? c->hash_bits[f] : HASH_MIN_BITS;
    uint32_t count = 0, mask = (1u << bits) - 1;
    uint32_t *vals = (uint32_t *)(void *)c->dict_vals;
    uint8_t *ilo = dict_planes(c, 4, n), *ihi = ilo + n;
    next_gen(c);
    uint64_t gen = c->gen;
    for (size_t i = 0; i < n; i++) {
        uint32_t x = v[i], s = hash_u32(x, bits);
        lo = x < lo ? x : lo;
        hi = x > hi ? x : hi;
        for (;;) {
            uint64_t e = c->slots[s];
            if (e >> 48 != gen) break;
            if ((uint32_t)e == x) goto found;
            s = (s + 1) & mask;
        }
        if (count == DICT_MAX) return 0;
        if (4 * (count + 1) > mask + 1 && bits < HASH_MAX_BITS) {
            grow_table(c, &bits, count, 4);
            mask = (1u << bits) - 1;
            gen = c->gen;
            s = hash_u32(x, bits);
            while (c->slots[s] >> 48 == gen) s = (s + 1) & mask;
        }
        vals[count] = x;
        c->slots[s] = gen << 48 | (uint64_t)count << 32 | x;
        ilo[i] = (uint8_t)count;
        ihi[i] = (uint8_t)(count >> 8);
        count++;
        continue;
found:
        ilo[i] = (uint8_t)(c->slots[s] >> 32);
        ihi[i] = (uint8_t)(c->slots[s] >> 40);
    }
    c->hash_bits[f] = (uint8_t)bits;
    *min = lo;
    *max = hi;
    return count;
}

static inline int same_addr(const uint8_t *a, const uint8_t *b)
{
    uint64_t x[2], y[2];
    memcpy(x, a, 16);
    memcpy(y, b, 16);
    return ((x[0] ^ y[0]) | (x[1] ^ y[1])) == 0;
}

/* The same for addresses: the key is 32 bits of a hash, and a hit is
 * confirmed against the stored value.  The front cache answers first. */
static uint32_t build_dict_addr(codec_ctx *c, flow_field f, const flow_addr *a, size_t n)
{
    unsigned bits = c->hash_bits[f] ? c->hash_bits[f] : HASH_MIN_BITS;
    uint32_t count = 0, mask = (1u << bits) - 1;
    uint8_t *ilo = dict_planes(c, 16, n), *ihi = ilo + n;
    if (++c->acache_gen == 0) {
        memset(c->acache, 0, sizeof c->acache);
        c->acache_gen = 1;
    }
    uint32_t cgen = c->acache_gen;
    next_gen(c);
    uint64_t gen = c->gen;
    for (size_t i = 0; i < n; i++) {
        addr_cache *ce = &c->acache[a[i].b[15]];
        if (ce->gen == cgen && same_addr(ce->a.b, a[i].b)) {
            ilo[i] = (uint8_t)ce->idx;
            ihi[i] = (uint8_t)(ce->idx >> 8);
            continue;
        }
        uint64_t h = hash_addr(a[i].b);
        uint32_t key = (uint32_t)h, s = (uint32_t)(h >> (64 - bits)), k;
        for (;;) {
            uint64_t e = c->slots[s];
            if (e >> 48 != gen) break;
            k = (uint16_t)(e >> 32);
            if ((uint32_t)e == key && same_addr(c->dict_vals + (size_t)k * 16, a[i].b))
                goto found;
            s = (s + 1) & mask;
        }
        if (count == DICT_MAX) return 0;
        if (4 * (count + 1) > mask + 1 && bits < HASH_MAX_BITS) {
            grow_table(c, &bits, count, 16);
            mask = (1u << bits) - 1;
            gen = c->gen;
            s = (uint32_t)(h >> (64 - bits));
            while (c->slots[s] >> 48 == gen) s = (s + 1) & mask;
        }
        memcpy(c->dict_vals + (size_t)count * 16, a[i].b, 16);
        c->slots[s] = gen << 48 | (uint64_t)count << 32 | key;
        k = count++;
found:
        ilo[i] = (uint8_t)k;
        ihi[i] = (uint8_t)(k >> 8);
        ce->a = a[i];
        ce->idx = k;
        ce->gen = cgen;
    }
    c->hash_bits[f] = (uint8_t)bits;
    return count;
}

/* ENC_DICT as a frame of reference: the dictionary is base..base+range-1
 * and an index is value - base.  for_pass writes the index bytes at ix and
 * finds min and max in the same pass; for_fits says whether they allow it:
 * at most FOR_MAX numbers, and a dictionary small beside the block. */
static void for_pass(const uint32_t *v, size_t n, uint32_t base, uint8_t *ix,
                     uint32_t *min, uint32_t *max)
{
    uint32_t l0 = v[0], l1 = v[0], h0 = v[0], h1 = v[0];
    size_t i = 0;
    for (; i + 2 <= n; i += 2) {
        uint32_t x = v[i], y = v[i + 1];
        ix[i] = (uint8_t)(x - base);
        ix[i + 1] = (uint8_t)(y - base);
        l0 = x < l0 ? x : l0;
        h0 = x > h0 ? x : h0;
        l1 = y < l1 ? y : l1;
        h1 = y > h1 ? y : h1;
    }
    for (; i < n; i++) {
        ix[i] = (uint8_t)(v[i] - base);
        l0 = v[i] < l0 ? v[i] : l0;
        h0 = v[i] > h0 ? v[i] : h0;
    }
    *min = l1 < l0 ? l1 : l0;
    *max = h1 > h0 ? h1 : h0;
}

static int for_fits(uint32_t base, uint32_t min, uint32_t max, size_t n)
{
    uint64_t range = (uint64_t)max - base + 1;
    return min >= base && range <= FOR_MAX && range * 4 <= n;
}

/* The indexes are at ix, somewhere after the room the header needs. */
static size_t write_for(uint8_t *out, uint32_t base, uint32_t max, const uint8_t *ix,
                        size_t n)
{
    uint32_t range = max - base + 1, vals[FOR_MAX];
    for (uint32_t k = 0; k < range; k++) vals[k] = base + k;
    uint8_t *p = out;
    c2_put32(p, range);
    p += 4;
    p += encode_shuffle((const uint8_t *)vals, 4, range, p);
    *p++ = 1;
    memmove(p, ix, n);
    return (size_t)(p - out) + n;
}

/* 32-bit columns (domain, interfaces, sampling, AS numbers): ENC_DICT, or
 * ENC_SHUFFLE past DICT_MAX distinct values.  A column whose last block
 * spanned at most FOR_MAX numbers is first tried as a frame of reference
 * on the same base (one pass, no hashing: interfaces, domains, sampling);
 * otherwise, or when the values moved, the hashed dictionary, which finds
 * min and max on its way and so tells whether the next block should try. */
static size_t encode_u32(codec_ctx *c, flow_field f, const uint32_t *v, size_t n,
                         segment_encoding *enc, flow_value *min, flow_value *max)
{
    uint8_t *ix = c->raw + 4 + 4 * FOR_MAX + 1;    /* past the largest header */
    uint32_t lo, hi;
    *enc = ENC_DICT;
    if (c->for_next[f]) {
        uint32_t base = c->for_base[f];
        for_pass(v, n, base, ix, &lo, &hi);
        if (!for_fits(base, lo, hi, n) && for_fits(lo, lo, hi, n)) {
            base = lo;
            for_pass(v, n, base, ix, &lo, &hi);
        }
        if (for_fits(base, lo, hi, n)) {
            min->u = lo;
            max->u = hi;
            c->for_base[f] = lo;
            return write_for(c->raw, base, hi, ix, n);
        }
    }
    uint32_t count = build_dict_u32(c, f, v, n, &lo, &hi);
    if (!count) minmax_u32(v, n, &lo, &hi);
    min->u = lo;
    max->u = hi;
    c->for_next[f] = (uint8_t)for_fits(lo, lo, hi, n);
    c->for_base[f] = lo;
    if (count) return write_dict(c, count, 4, n);
    *enc = ENC_SHUFFLE;
    return encode_shuffle((const uint8_t *)v, 4, n, c->raw);
}

/* ---- addresses ---- */

static const uint8_t v4_prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

/* memcmp's order of two addresses, without a call. */
static inline int addr_cmp(const uint8_t *a, const uint8_t *b)
{
    uint64_t x = c2_get_be64(a), y = c2_get_be64(b);
    if (x == y) {
        x = c2_get_be64(a + 8);
        y = c2_get_be64(b + 8);
    }
    return (x > y) - (x < y);
}

static void minmax_addr(const flow_addr *a, size_t n, flow_value *min, flow_value *max)
{
    size_t lo = 0, hi = 0;
    for (size_t i = 1; i < n; i++) {
        if (addr_cmp(a[i].b, a[lo].b) < 0) lo = i;
        if (addr_cmp(a[i].b, a[hi].b) > 0) hi = i;
    }
    min->a = a[lo];
    max->a = a[hi];
}

/* ENC_ADDR_SPLIT: u32 n6 (rows that are not IPv4), a bitmap of those rows
 * (ceil(n/8) bytes, LSB first), the IPv4 rows as 4 byte planes, then the
 * other rows as 16 byte planes.  IPv4 then costs its 4 bytes and IPv6 rows
 * do not spread noise over the 12 constant planes of the IPv4 rows.  One
 * pass writes the IPv4 planes n apart (n4 is not known yet) and lists the
 * IPv6 rows; the planes are then moved together and the IPv6 rows, few as
 * a rule, written. */
static size_t encode_addr_split(codec_ctx *c, const flow_addr *a, size_t n,
                                uint8_t *out, flow_value *min, flow_value *max)
{
    size_t bm = (n + 7) / 8, n4 = 0, n6 = 0;
    uint8_t *bitmap = out + 4, *p4 = bitmap + bm;
    uint32_t *rows6 = c->rows6;
    uint32_t lo4 = UINT32_MAX, hi4 = 0;
    memset(bitmap, 0, bm);
    for (size_t i = 0; i < n; i++) {
        const uint8_t *b = a[i].b;
        if (memcmp(b, v4_prefix, 12) == 0) {
            uint32_t x = c2_get_be32(b + 12);
            p4[n4] = (uint8_t)(x >> 24);
            p4[n + n4] = (uint8_t)(x >> 16);
            p4[2 * n + n4] = (uint8_t)(x >> 8);
            p4[3 * n + n4] = (uint8_t)x;
            n4++;
            lo4 = x < lo4 ? x : lo4;
            hi4 = x > hi4 ? x : hi4;
        } else {
            bitmap[i / 8] |= (uint8_t)(1u << (i % 8));
            rows6[n6++] = (uint32_t)i;
        }
    }
    c2_put32(out, (uint32_t)n6);
    for (int k = 1; k < 4; k++) memmove(p4 + k * n4, p4 + k * n, n4);
    uint8_t *p6 = p4 + 4 * n4;
    size_t lo6 = n6 ? rows6[0] : 0, hi6 = lo6;
    for (size_t j = 0; j < n6; j++) {
        const uint8_t *b = a[rows6[j]].b;
        for (int k = 0; k < 16; k++) p6[k * n6 + j] = b[k];
        if (addr_cmp(b, a[lo6].b) < 0) lo6 = rows6[j];
        if (addr_cmp(b, a[hi6].b) > 0) hi6 = rows6[j];
    }
    if (n4) {
        flow_addr_from_v4(&min->a, lo4);
        flow_addr_from_v4(&max->a, hi4);
    }
    if (n6) {
        if (!n4 || addr_cmp(a[lo6].b, min->a.b) < 0) min->a = a[lo6];
        if (!n4 || addr_cmp(a[hi6].b, max->a.b) > 0) max->a = a[hi6];
    }
    return 4 + bm + 4 * n4 + 16 * n6;
}

/* The exporter: ENC_DICT, or ENC_ADDR_SPLIT past DICT_MAX values.  The
 * zone comes from the dictionary, which is short. */
static size_t encode_exporter(codec_ctx *c, const flow_addr *a, size_t n,
                              segment_encoding *enc, flow_value *min, flow_value *max)
{
    uint32_t count = build_dict_addr(c, FLOW_EXPORTER, a, n);
    if (!count) {
        *enc = ENC_ADDR_SPLIT;
        return encode_addr_split(c, a, n, c->raw, min, max);
    }
    minmax_addr((const flow_addr *)(void *)c->dict_vals, count, min, max);
    *enc = ENC_DICT;
    return write_dict(c, count, 16, n);
}

/* ---- the zstd stage ---- */

static size_t pack(codec_ctx *c, pack_mode m, uint8_t *dst, size_t cap,
                   const uint8_t *src, size_t len)
{
    switch (m) {
    case PACK_ENTROPY: return ZSTD_compressSequences(c->ent, dst, cap, NULL, 0, src, len);
    case PACK_STORE: return ZSTD_compressSequences(c->sto, dst, cap, NULL, 0, src, len);
    default: return ZSTD_compress2(c->lz, dst, cap, src, len);
    }
}

/* Compress the transformed column into c->frame (or c->alt: *out says
 * which); see the head of this file for how the mode is chosen. */
static int compress_column(codec_ctx *c, flow_field f, const uint8_t *src, size_t len,
                           const uint8_t **out, size_t *zlen, c2_err *err)
{
    size_t bound = ZSTD_compressBound(len);
    if (grow(&c->frame, &c->frame_cap, bound) != 0) return c2_fail(err, "out of memory");
    if (!c->seq_api || c->to_probe[f] > 0) {   /* without the sequence API: LZ only */
        if (c->to_probe[f] > 0) c->to_probe[f]--;
        pack_mode m = c->seq_api ? (pack_mode)c->mode[f] : PACK_LZ;
        size_t z = pack(c, m, c->frame, c->frame_cap, src, len);
        if (ZSTD_isError(z)) return c2_fail(err, "zstd: %s", ZSTD_getErrorName(z));
        *out = c->frame;
        *zlen = z;
        return 0;
    }
    if (grow(&c->alt, &c->alt_cap, bound) != 0) return c2_fail(err, "out of memory");
    c->to_probe[f] = PROBE_EVERY - 1;
    size_t zs = pack(c, PACK_STORE, c->frame, c->frame_cap, src, len);
    size_t ze = pack(c, PACK_ENTROPY, c->alt, c->alt_cap, src, len);
    if (ZSTD_isError(zs) || ZSTD_isError(ze))
        return c2_fail(err, "zstd: %s", ZSTD_getErrorName(ZSTD_isError(zs) ? zs : ze));
    pack_mode m = PACK_STORE;
    size_t keep = zs;
    if (ze * 100 <= zs * ENTROPY_KEEP) {
        m = PACK_ENTROPY;
        keep = ze;
    }
    /* the smaller of the two so far goes to c->frame, LZ into c->alt */
    if (ze < zs) {
        uint8_t *t = c->frame;
        size_t tc = c->frame_cap;
        c->frame = c->alt;
        c->frame_cap = c->alt_cap;
        c->alt = t;
        c->alt_cap = tc;
        zs = ze;
    }
    size_t zl = ZSTD_compress2(c->lz_probe, c->alt, c->alt_cap, src, len);
    if (ZSTD_isError(zl)) return c2_fail(err, "zstd: %s", ZSTD_getErrorName(zl));
    if (zl * 100 <= keep * LZ_KEEP) m = PACK_LZ;
    c->mode[f] = (uint8_t)m;
    *out = zl < zs ? c->alt : c->frame;
    *zlen = zl < zs ? zl : zs;
    return 0;
}

int codec_encode(codec_ctx *c, const flow_batch *b, flow_field f,
                 const uint8_t **out, segment_column *col, flow_value *min,
                 flow_value *max, c2_err *err)
{
    size_t n = b->count;
    const void *src = flow_batch_column(b, f);
    if (!src) return c2_fail(err, "column %s missing from batch", flow_field_name(f));
    if (n == 0) return c2_fail(err, "empty block");
    /* Room for the worst transform: varints (10 B a value, and the 8 B
     * put_varint may store past the end), a dictionary of addresses (16 B
     * values, 2 B indexes) or an address split. */
    size_t need = n * 18 + 4 + n / 8 + 16;
    if (grow(&c->raw, &c->raw_cap, need) != 0 ||
        grow_array((void **)&c->rows6, &c->rows6_cap, n, sizeof *c->rows6) != 0)
        return c2_fail(err, "out of memory");
    memset(min, 0, sizeof *min);
    memset(max, 0, sizeof *max);
    segment_encoding enc;
    const uint8_t *raw = c->raw;
    size_t len = 0;
    switch (f) {
    case FLOW_START:
    case FLOW_END:
        if (end_anchored(b, n)) {
            enc = f == FLOW_END ? ENC_TIME_DELTA : ENC_TIME_BEFORE;
            len = f == FLOW_END
                      ? encode_time_delta(b->end_ms, n, c->raw, min, max)
                      : encode_time_diff(b->end_ms, b->start_ms, b->start_ms, n, c->raw, min, max);
        } else {
            enc = f == FLOW_START ? ENC_TIME_DELTA : ENC_TIME_SINCE;
            len = f == FLOW_START
                      ? encode_time_delta(b->start_ms, n, c->raw, min, max)
                      : encode_time_diff(b->end_ms, b->start_ms, b->end_ms, n, c->raw, min, max);
        }
        break;
    case FLOW_EXPORTER:
        len = encode_exporter(c, src, n, &enc, min, max);
        break;
    case FLOW_SRC_ADDR:
    case FLOW_DST_ADDR:
        enc = ENC_ADDR_SPLIT;
        len = encode_addr_split(c, src, n, c->raw, min, max);
        break;
    case FLOW_SRC_PORT:
    case FLOW_DST_PORT:
        enc = ENC_SHUFFLE;
        len = encode_shuffle16(src, n, c->raw, min, max);
        break;
    case FLOW_PACKETS:
    case FLOW_BYTES:
        enc = ENC_VARINT;
        len = encode_varint64(src, n, c->raw, min, max);
        break;
    case FLOW_PROTO:
    case FLOW_TCP_FLAGS:
    case FLOW_TOS:
        enc = ENC_RAW;                  /* the column is the transform */
        raw = src;
        len = n;
        minmax_u8(src, n, min, max);
        break;
    case FLOW_DOMAIN:
    case FLOW_IN_IF:
    case FLOW_OUT_IF:
    case FLOW_SAMPLING:
    case FLOW_SRC_AS:
    case FLOW_DST_AS:
        len = encode_u32(c, f, src, n, &enc, min, max);
        break;
    default:
        return c2_fail(err, "no encoder for column %d", (int)f);
    }
    size_t z = 0;
    if (compress_column(c, f, raw, len, out, &z, err) != 0) return -1;
    col->raw_len = (uint32_t)len;
    col->stored_len = (uint32_t)z;
    col->encoding = (uint8_t)enc;
    col->crc = store_crc32(*out, z);
    return 0;
}

/* ---- decoding ----
 *
 * A chunk is checked and inflated into c->raw (unpack), with 8 readable
 * bytes after it so that varints can be read a word at a time.  Then
 * either every value is decoded (codec_decode) or only the rows a filter
 * kept (codec_decode_rows).  Both check the whole chunk the same way, so a
 * malformed chunk is an error whichever rows are asked for.
 */

#define RAW_PAD 8                   /* readable bytes after c->raw's data */
#define STOP_BITS 0x8080808080808080ull

static inline uint64_t ld_le64(const uint8_t *p)
{
    uint64_t x;
    memcpy(&x, p, 8);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    x = __builtin_bswap64(x);
#endif
    return x;
}

/* Bits 0..6 of each byte of x packed together: the value of a varint
 * whose bytes (stop byte included, nothing above it) are x. */
static inline uint64_t varint_pack(uint64_t x)
{
    return (x & 0x7f) | (x >> 1 & 0x3f80) | (x >> 2 & 0x1fc000) | (x >> 3 & 0xfe00000) |
           (x >> 4 & 0x7f0000000ull) | (x >> 5 & 0x3f800000000ull) |
           (x >> 6 & 0x1fc0000000000ull) | (x >> 7 & 0xfe000000000000ull);
}

/* Population count without the popcnt instruction, which a generic
 * x86-64 build may not use (the builtin would be a library call). */
static inline unsigned popcount64(uint64_t x)
{
    x -= x >> 1 & 0x5555555555555555ull;
    x = (x & 0x3333333333333333ull) + (x >> 2 & 0x3333333333333333ull);
    x = (x + (x >> 4)) & 0x0f0f0f0f0f0f0f0full;
    return (unsigned)((x * 0x0101010101010101ull) >> 56);
}

/* The varint at p, with 8 bytes readable there: its length, or 0 when it
 * is longer than 8 bytes (then get_varint decides).  The stop byte is the
 * lowest byte with the top bit clear; the 7-bit groups below it are packed
 * together without a branch on the length, the reverse of put_varint. */
static inline size_t varint8(const uint8_t *p, uint64_t *v)
{
    uint64_t w = ld_le64(p), stops = ~w & STOP_BITS;
    if (!stops) return 0;
    *v = varint_pack(w & (stops ^ (stops - 1)));
    return (size_t)(__builtin_ctzll(stops) >> 3) + 1;
}

/* The varint at p (< end, with RAW_PAD bytes readable past end): p past
 * it, or NULL when it runs past end or is over-long, as get_varint. */
static inline const uint8_t *next_varint(const uint8_t *p, const uint8_t *end, uint64_t *v)
{
    size_t k = varint8(p, v);
    if (__builtin_expect(k == 0, 0)) k = get_varint(p, end, v);
    else if (__builtin_expect(k > (size_t)(end - p), 0)) k = 0;
    return k ? p + k : NULL;
}

/* n varints that exactly fill [p, p + len) into out, as get_varint would
 * read them one by one, but a word at a time: the stop bytes of a word
 * are found at once and every varint that ends in it is cut out of the
 * word, so the loop waits on one load per word, not per value (which
 * costs most on a column of mixed lengths).  A word of eight one-byte
 * values is taken whole.  Stops in the padding past the end only ever
 * carry p past end, which fails the final check. */
#define READ_VARINTS_BODY(PACK)                                              \
    const uint8_t *end = p + len;                                            \
    size_t i = 0;                                                            \
    while (i < n) {                                                          \
        if (p >= end) return -1;                                             \
        uint64_t w = ld_le64(p), s = ~w & STOP_BITS;                         \
        if (s == STOP_BITS && n - i >= 8) {                                  \
            for (int j = 0; j < 8; j++) out[i + j] = w >> (8 * j) & 0x7f;    \
            i += 8;                                                          \
            p += 8;                                                          \
            continue;                                                        \
        }                                                                    \
        if (!s) {                       /* longer than 8 bytes */            \
            size_t k = get_varint(p, end, &out[i]);                          \
            if (!k) return -1;                                               \
            p += k;                                                          \
            i++;                                                             \
            continue;                                                        \
        }                                                                    \
        unsigned at = 0;                /* bits of w used */                 \
        size_t left = n - i;                                                 \
        do {                                                                 \
            unsigned stop = (unsigned)__builtin_ctzll(s) + 1;                \
            uint64_t x = (stop == 64 ? w : w & ((1ull << stop) - 1)) >> at;  \
            out[i++] = PACK(x);                                              \
            at = stop;                                                       \
            s &= s - 1;                                                      \
        } while (s && --left);                                               \
        p += at / 8;                                                         \
    }                                                                        \
    return p == end ? 0 : -1;

static int read_varints_plain(const uint8_t *p, size_t len, size_t n, uint64_t *out)
{
    READ_VARINTS_BODY(varint_pack)
}

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define VARINT_PEXT(x) _pext_u64((x), 0x7f7f7f7f7f7f7f7full)
/* The same with BMI2's pext, which packs the 7-bit groups in one step. */
__attribute__((target("bmi,bmi2")))
static int read_varints_bmi2(const uint8_t *p, size_t len, size_t n, uint64_t *out)
{
    READ_VARINTS_BODY(VARINT_PEXT)
}
#endif

static read_varints_fn *pick_read_varints(void)
{
#if defined(__x86_64__) && defined(__GNUC__)
    __builtin_cpu_init();
    if (__builtin_cpu_supports("bmi2")) return read_varints_bmi2;
#endif
    return read_varints_plain;
}

/* Full decodes of varint columns. */
static int decode_time_delta(codec_ctx *c, const uint8_t *p, size_t len, size_t n, int64_t *out)
{
    uint64_t *v = (uint64_t *)(void *)out;
    if (c->read_varints(p, len, n, v) != 0) return -1;
    uint64_t prev = 0;
    for (size_t i = 0; i < n; i++) {
        prev += (uint64_t)unzigzag(v[i]);
        v[i] = prev;
    }
    return 0;
}

/* end = start + duration (sign +1) or start = end - duration (sign -1). */
static int decode_time_diff(codec_ctx *c, const uint8_t *p, size_t len, size_t n,
                            const int64_t *anchor, int sign, int64_t *out)
{
    uint64_t *v = (uint64_t *)(void *)out;
    if (c->read_varints(p, len, n, v) != 0) return -1;
    if (sign > 0)
        for (size_t i = 0; i < n; i++) v[i] = (uint64_t)anchor[i] + (uint64_t)unzigzag(v[i]);
    else
        for (size_t i = 0; i < n; i++) v[i] = (uint64_t)anchor[i] - (uint64_t)unzigzag(v[i]);
    return 0;
}

static int ensure_u64(codec_ctx *c, size_t n)
{
    return grow_array((void **)&c->vals, &c->vals_cap, n, sizeof *c->vals);
}

/* ENC_VARINT into a column of width w, which every value must fit. */
static int decode_uvarints(codec_ctx *c, const uint8_t *p, size_t len, size_t n,
                           void *col, size_t w)
{
    if (w == 8) return c->read_varints(p, len, n, col);
    if (ensure_u64(c, n) != 0 || c->read_varints(p, len, n, c->vals) != 0) return -1;
    for (size_t i = 0; i < n; i++) {
        if (c->vals[i] >> (8 * w)) return -1;
        store_uint(col, w, i, c->vals[i]);
    }
    return 0;
}

/* Selected rows idx[0..k) (ascending, < n) of a varint column, as raw
 * values.  The whole chunk is checked as a full decode would accept it (n
 * varints exactly fill [p, p + len), each at most 10 bytes: stops counted,
 * runs of continuation bytes measured across words), in the same single
 * pass over its words that finds the selected rows: each word's stops are
 * counted, and a selected row's varint is read once the word holding its
 * stop byte is reached (it starts after the stop before it, in that word
 * or the last word that had one).  One pass instead of a check and then
 * skips, and a popcnt instruction where the CPU has one: this ran over
 * three columns of every block a selective filter keeps rows of. */
#define SELECT_UVARINTS_BODY(POPCNT)                                         \
    if (len == 0 || (p[len - 1] & 0x80)) return -1;                          \
    const uint8_t *end = p + len;                                            \
    size_t stops = 0, i = 0, j = 0, start = 0;  /* start of varint `stops` */ \
    unsigned run = 0;                   /* continuation bytes so far */      \
    for (; i + 8 <= len; i += 8) {                                           \
        uint64_t s = ~ld_le64(p + i) & STOP_BITS;                            \
        if (!s) {                                                            \
            run += 8;                                                        \
            if (run > 9) return -1;                                          \
            continue;                                                        \
        }                                                                    \
        if (run + (unsigned)(__builtin_ctzll(s) >> 3) > 9) return -1;        \
        run = (unsigned)__builtin_clzll(s) >> 3;                             \
        size_t c = (size_t)POPCNT(s);                                        \
        for (; j < k && idx[j] < stops + c; j++) {                           \
            size_t from = start, r = idx[j] - stops;                         \
            if (r) {                    /* after the r-th stop of the word */ \
                uint64_t t = s;                                              \
                while (--r) t &= t - 1;                                      \
                from = i + (size_t)(__builtin_ctzll(t) >> 3) + 1;            \
            }                                                                \
            if (!next_varint(p + from, end, &out[j])) return -1;             \
        }                                                                    \
        stops += c;                                                          \
        start = i + 8 - run;                                                 \
    }                                                                        \
    for (; i < len; i++) {                                                   \
        if (p[i] & 0x80) {                                                   \
            if (++run > 9) return -1;                                        \
            continue;                                                        \
        }                                                                    \
        if (j < k && idx[j] == stops && !next_varint(p + start, end, &out[j++])) \
            return -1;                                                       \
        stops++;                                                             \
        run = 0;                                                             \
        start = i + 1;                                                       \
    }                                                                        \
    return stops == n && j == k ? 0 : -1;

static int select_uvarints_plain(const uint8_t *p, size_t len, size_t n, const uint32_t *idx,
                                 size_t k, uint64_t *out)
{
    SELECT_UVARINTS_BODY(popcount64)
}

#if defined(__x86_64__) && defined(__GNUC__)
/* The same 64 bytes at a time where the CPU has popcnt and BMI2: SSE2's
 * pmovmskb gathers the continuation bits of 64 bytes into one mask, runs
 * of 10 continuation bytes inside it are found with shifts, and pdep finds
 * a selected row's stop.  The last len % 64 bytes go byte by byte. */
__attribute__((target("popcnt,bmi,bmi2")))
static int select_uvarints_wide(const uint8_t *p, size_t len, size_t n,
                                const uint32_t *idx, size_t k, uint64_t *out)
{
    if (len == 0 || (p[len - 1] & 0x80)) return -1;
    const uint8_t *end = p + len;
    size_t stops = 0, i = 0, j = 0, start = 0;  /* start of varint `stops` */
    unsigned run = 0;                   /* continuation bytes so far */
    for (; i + 64 <= len; i += 64) {
        const __m128i *q = (const __m128i *)(const void *)(p + i);
        uint64_t c = (uint64_t)(uint16_t)_mm_movemask_epi8(_mm_loadu_si128(q)) |
                     (uint64_t)(uint16_t)_mm_movemask_epi8(_mm_loadu_si128(q + 1)) << 16 |
                     (uint64_t)(uint16_t)_mm_movemask_epi8(_mm_loadu_si128(q + 2)) << 32 |
                     (uint64_t)(uint16_t)_mm_movemask_epi8(_mm_loadu_si128(q + 3)) << 48;
        uint64_t s = ~c;                /* stop bytes */
        if (!s) {
            run += 64;
            if (run > 9) return -1;
            continue;
        }
        if (run + (unsigned)__builtin_ctzll(s) > 9) return -1;
        uint64_t r2 = c & c >> 1, r4 = r2 & r2 >> 2, r8 = r4 & r4 >> 4;
        if (r8 & r2 >> 8) return -1;    /* 10 in a row inside the 64 */
        run = (unsigned)__builtin_clzll(s);
        size_t cnt = (size_t)__builtin_popcountll(s);
        for (; j < k && idx[j] < stops + cnt; j++) {
            size_t from = start, r = idx[j] - stops;
            if (r) from = i + (size_t)__builtin_ctzll(_pdep_u64(1ull << (r - 1), s)) + 1;
            if (!next_varint(p + from, end, &out[j])) return -1;
        }
        stops += cnt;
        start = i + 64 - run;
    }
    for (; i < len; i++) {
        if (p[i] & 0x80) {
            if (++run > 9) return -1;
            continue;
        }
        if (j < k && idx[j] == stops && !next_varint(p + start, end, &out[j++])) return -1;
        stops++;
        run = 0;
        start = i + 1;
    }
    return stops == n && j == k ? 0 : -1;
}

__attribute__((target("popcnt")))
static int select_uvarints_popcnt(const uint8_t *p, size_t len, size_t n,
                                  const uint32_t *idx, size_t k, uint64_t *out)
{
    SELECT_UVARINTS_BODY(__builtin_popcountll)
}
#endif

static int select_uvarints(const codec_ctx *c, const uint8_t *p, size_t len, size_t n,
                           const uint32_t *idx, size_t k, uint64_t *out)
{
#if defined(__x86_64__) && defined(__GNUC__)
    if (c->has_popcnt > 1) return select_uvarints_wide(p, len, n, idx, k, out);
    if (c->has_popcnt) return select_uvarints_popcnt(p, len, n, idx, k, out);
#endif
    (void)c;
    return select_uvarints_plain(p, len, n, idx, k, out);
}

static int decode_shuffle(const uint8_t *p, size_t len, size_t n, uint8_t *col, size_t w)
{
    if (len != n * w) return -1;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    if (w == 2) {                       /* ports: the common case, typed */
        uint16_t *d = (uint16_t *)(void *)col;
        const uint8_t *p0 = p, *p1 = p + n;
        for (size_t i = 0; i < n; i++) d[i] = (uint16_t)(p0[i] | p1[i] << 8);
        return 0;
    }
#endif
    for (size_t k = 0; k < w; k++) {
        const uint8_t *plane = p + k * n;
        uint8_t *dst = col + k;
        for (size_t i = 0; i < n; i++) dst[i * w] = plane[i];
    }
    return 0;
}

static int select_shuffle(const uint8_t *p, size_t len, size_t n, const uint32_t *idx,
                          size_t k, uint8_t *col, size_t w)
{
    if (len != n * w) return -1;
    for (size_t b = 0; b < w; b++) {
        const uint8_t *plane = p + b * n;
        uint8_t *dst = col + b;
        for (size_t j = 0; j < k; j++) dst[j * w] = plane[idx[j]];
    }
    return 0;
}

/* A dictionary chunk's parts, checked: the values (w planes of count
 * bytes), the index width and the index planes.  Every index of the n
 * rows is checked below count, selected or not. */
typedef struct dict_view {
    uint32_t count;
    const uint8_t *vals, *lo, *hi;
    uint8_t width;
} dict_view;

static int dict_open(const uint8_t *p, size_t len, size_t n, size_t w, dict_view *d)
{
    if (len < 5) return -1;
    d->count = c2_get32(p);
    if (d->count == 0 || d->count > DICT_MAX || d->count > n) return -1;
    size_t vals_len = (size_t)d->count * w;
    if (len < 4 + vals_len + 1) return -1;
    d->vals = p + 4;
    d->width = p[4 + vals_len];
    if (d->width != 1 && d->width != 2) return -1;
    d->lo = p + 4 + vals_len + 1;
    d->hi = d->lo + n;
    if (len - (4 + vals_len + 1) != n * d->width) return -1;
    unsigned top = 0;                   /* the largest index */
    if (d->width == 1) {
        uint8_t m = 0;
        for (size_t i = 0; i < n; i++) m = d->lo[i] > m ? d->lo[i] : m;
        top = m;
    } else {
        uint16_t m = 0;
        for (size_t i = 0; i < n; i++) {
            uint16_t x = (uint16_t)(d->lo[i] | d->hi[i] << 8);
            m = x > m ? x : m;
        }
        top = m;
    }
    return top < d->count ? 0 : -1;
}

static inline uint32_t dict_index(const dict_view *d, size_t i)
{
    return d->width == 1 ? d->lo[i] : (uint32_t)(d->lo[i] | d->hi[i] << 8);
}

/* The dictionary's values as whole w-byte values into tab. */
static void dict_values(const dict_view *d, size_t w, uint8_t *tab)
{
    for (size_t k = 0; k < w; k++)
        for (uint32_t j = 0; j < d->count; j++) tab[j * w + k] = d->vals[k * d->count + j];
}

/* Rows (idx ? idx[j] : j) for j < k, through the dictionary, typed by w. */
static void dict_gather(const dict_view *d, const uint8_t *tab, size_t w,
                        const uint32_t *idx, size_t k, uint8_t *col)
{
#define DICT_GATHER(T) do {                                                  \
        const T *t_ = (const T *)(const void *)tab;                          \
        T *o_ = (T *)(void *)col;                                            \
        if (!idx && d->width == 1)                                           \
            for (size_t j = 0; j < k; j++) o_[j] = t_[d->lo[j]];             \
        else if (!idx)                                                       \
            for (size_t j = 0; j < k; j++) o_[j] = t_[d->lo[j] | d->hi[j] << 8]; \
        else                                                                 \
            for (size_t j = 0; j < k; j++) o_[j] = t_[dict_index(d, idx[j])]; \
    } while (0)
    switch (w) {
    case 1: DICT_GATHER(uint8_t); break;
    case 2: DICT_GATHER(uint16_t); break;
    case 4: DICT_GATHER(uint32_t); break;
    case 8: DICT_GATHER(uint64_t); break;
    default: DICT_GATHER(flow_addr); break;
    }
#undef DICT_GATHER
}

static int decode_dict(codec_ctx *c, const uint8_t *p, size_t len, size_t n,
                       const uint32_t *idx, size_t k, uint8_t *col, size_t w)
{
    dict_view d;
    if (dict_open(p, len, n, w, &d) != 0) return -1;
    if (idx && k < d.count) {           /* few rows of a big dictionary: its planes */
        for (size_t j = 0; j < k; j++) {
            uint32_t x = dict_index(&d, idx[j]);
            for (size_t b = 0; b < w; b++) col[j * w + b] = d.vals[b * d.count + x];
        }
        return 0;
    }
    dict_values(&d, w, c->dict_vals);   /* count <= DICT_MAX values of w <= 16 */
    dict_gather(&d, c->dict_vals, w, idx, idx ? k : n, col);
    return 0;
}

/* An address split chunk's parts, checked: the IPv6 bitmap holds exactly
 * n6 rows among the first n. */
typedef struct split_view {
    const uint8_t *bitmap, *p4, *p6;
    size_t n4, n6;
} split_view;

static int split_open(const uint8_t *p, size_t len, size_t n, split_view *s)
{
    size_t bm = (n + 7) / 8;
    if (len < 4 + bm) return -1;
    s->n6 = c2_get32(p);
    if (s->n6 > n || len != 4 + bm + 4 * (n - s->n6) + 16 * s->n6) return -1;
    s->n4 = n - s->n6;
    s->bitmap = p + 4;
    s->p4 = s->bitmap + bm;
    s->p6 = s->p4 + 4 * s->n4;
    size_t ones = 0;
    for (size_t i = 0; i < n / 8; i++) ones += (size_t)popcount64(s->bitmap[i]);
    if (n % 8) ones += (size_t)popcount64(s->bitmap[n / 8] & ((1u << (n % 8)) - 1));
    return ones == s->n6 ? 0 : -1;
}

static inline void put_v4(flow_addr *a, const split_view *s, size_t i4)
{
    const uint8_t *p4 = s->p4;
    size_t n4 = s->n4;
    uint8_t t[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff,
                     p4[i4], p4[n4 + i4], p4[2 * n4 + i4], p4[3 * n4 + i4]};
    memcpy(a->b, t, 16);
}

static inline void put_v6(flow_addr *a, const split_view *s, size_t i6)
{
    for (int k = 0; k < 16; k++) a->b[k] = s->p6[k * s->n6 + i6];
}

/* The IPv4 rows from .. to - 1, in host order (le) and as their 4 bytes
 * in memory order (be), into le[0 ..) and be[0 ..): gathering the 4 byte planes is
 * the bulk of a full decode, so it goes 16 rows at a time where SSE2 is
 * there (every x86-64), by interleaving the planes' bytes. */
static void v4_values(const split_view *s, size_t from, size_t to, uint32_t *le, uint32_t *be)
{
    const uint8_t *p0 = s->p4, *p1 = p0 + s->n4, *p2 = p1 + s->n4, *p3 = p2 + s->n4;
    size_t i = from;
#if defined(__SSE2__)
    for (; i + 16 <= to; i += 16) {
        __m128i b0 = _mm_loadu_si128((const __m128i *)(const void *)(p0 + i));
        __m128i b1 = _mm_loadu_si128((const __m128i *)(const void *)(p1 + i));
        __m128i b2 = _mm_loadu_si128((const __m128i *)(const void *)(p2 + i));
        __m128i b3 = _mm_loadu_si128((const __m128i *)(const void *)(p3 + i));
        __m128i l32 = _mm_unpacklo_epi8(b3, b2), h32 = _mm_unpackhi_epi8(b3, b2);
        __m128i l10 = _mm_unpacklo_epi8(b1, b0), h10 = _mm_unpackhi_epi8(b1, b0);
        __m128i l01 = _mm_unpacklo_epi8(b0, b1), h01 = _mm_unpackhi_epi8(b0, b1);
        __m128i l23 = _mm_unpacklo_epi8(b2, b3), h23 = _mm_unpackhi_epi8(b2, b3);
        __m128i *ol = (__m128i *)(void *)(le + i - from), *ob = (__m128i *)(void *)(be + i - from);
        _mm_storeu_si128(ol, _mm_unpacklo_epi16(l32, l10));
        _mm_storeu_si128(ol + 1, _mm_unpackhi_epi16(l32, l10));
        _mm_storeu_si128(ol + 2, _mm_unpacklo_epi16(h32, h10));
        _mm_storeu_si128(ol + 3, _mm_unpackhi_epi16(h32, h10));
        _mm_storeu_si128(ob, _mm_unpacklo_epi16(l01, l23));
        _mm_storeu_si128(ob + 1, _mm_unpackhi_epi16(l01, l23));
        _mm_storeu_si128(ob + 2, _mm_unpacklo_epi16(h01, h23));
        _mm_storeu_si128(ob + 3, _mm_unpackhi_epi16(h01, h23));
    }
#endif
    for (; i < to; i++) {
        uint8_t q[4] = {p0[i], p1[i], p2[i], p3[i]};
        le[i - from] = (uint32_t)q[0] << 24 | (uint32_t)q[1] << 16 | (uint32_t)q[2] << 8 | q[3];
        memcpy(&be[i - from], q, 4);
    }
}

/* ::ffff:a.b.c.d from its 4 bytes in memory order. */
static inline void put_v4_be(flow_addr *a, uint32_t be)
{
    static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    memcpy(a->b, mapped, 12);
    memcpy(a->b + 12, &be, 4);
}

#define SPLIT_RUN 2048                  /* IPv4 values gathered at a time */

/* The whole column; with v4 (and v6map, (n + 7) / 8 bytes) also its IPv4
 * view (see flow_batch): the chunk's own bitmap is the view's, and an
 * IPv6 row's v4 is 0.  The IPv4 values are gathered from the planes a run
 * at a time into small buffers (they stay in L1), then placed along the
 * bitmap without a branch per row: every row of a group of 8 is written
 * as IPv4 (an IPv6 row takes the next IPv4 value without using it up) and
 * the IPv6 rows are written over afterwards.  (Branching on each row's
 * bit cost more than the writes: with 5% IPv6 rows, a third of the groups
 * mix both.)  The buffers have 8 spare values past a run, zeroed, for the
 * IPv6 rows at the end of one. */
static int decode_addr_split(const uint8_t *p, size_t len, size_t n, flow_addr *a,
                             uint32_t *v4, uint8_t *v6map)
{
    split_view s;
    if (split_open(p, len, n, &s) != 0) return -1;
    uint32_t le[SPLIT_RUN + 8], be[SPLIT_RUN + 8];
    size_t i4 = 0, i6 = 0, i = 0, run = 0, got = 0;  /* le/be hold rows run .. got */
    for (; i < n; i += 8) {
        if (i4 + 8 > got && got < s.n4) {           /* refill: from i4 on */
            run = i4;
            got = i4 + SPLIT_RUN < s.n4 ? i4 + SPLIT_RUN : s.n4;
            v4_values(&s, run, got, le, be);
            memset(le + (got - run), 0, 8 * sizeof *le);
            memset(be + (got - run), 0, 8 * sizeof *be);
        }
        size_t m = n - i < 8 ? n - i : 8;
        unsigned bits = s.bitmap[i / 8] & ((1u << m) - 1);
        const uint32_t *L = le + (i4 - run), *B = be + (i4 - run);
        if (!bits) {                    /* eight IPv4 rows: the usual case */
            for (size_t j = 0; j < m; j++) put_v4_be(&a[i + j], B[j]);
            if (v4) memcpy(v4 + i, L, m * sizeof *v4);
            i4 += m;
            continue;
        }
        size_t k = 0;                   /* IPv4 rows so far in the group */
        for (size_t j = 0; j < m; j++) {
            unsigned six = bits >> j & 1;
            put_v4_be(&a[i + j], B[k]);
            if (v4) v4[i + j] = L[k] & (six - 1);
            k += 1 - six;
        }
        i4 += k;
        for (; bits; bits &= bits - 1) put_v6(&a[i + (size_t)__builtin_ctz(bits)], &s, i6++);
    }
    if (v6map) {
        memcpy(v6map, s.bitmap, (n + 7) / 8);
        if (n % 8) v6map[n / 8] &= (uint8_t)((1u << (n % 8)) - 1);
    }
    return 0;
}

/* Selected rows: a row's place among the IPv4 or IPv6 rows is the count
 * of IPv6 bits before it, kept as the rows go up. */
static int select_addr_split(const uint8_t *p, size_t len, size_t n, const uint32_t *idx,
                             size_t k, flow_addr *a)
{
    split_view s;
    if (split_open(p, len, n, &s) != 0) return -1;
    size_t byte = 0, before = 0;        /* IPv6 rows in bitmap[0 .. byte) */
    for (size_t j = 0; j < k; j++) {
        size_t r = idx[j];
        while (byte < r / 8) before += (size_t)popcount64(s.bitmap[byte++]);
        unsigned bits = s.bitmap[r / 8];
        size_t i6 = before + (size_t)popcount64(bits & ((1u << (r % 8)) - 1));
        if (bits >> (r % 8) & 1) put_v6(&a[j], &s, i6);
        else put_v4(&a[j], &s, r - i6);
    }
    return 0;
}

/* Check a stored chunk and inflate it into c->raw; *len gets its length. */
static int unpack(codec_ctx *c, const uint8_t *stored, const segment_column *col,
                  size_t n, size_t *len, c2_err *err)
{
    if (col->raw_len > n * 18 + 4 + 1 + n / 8 + 1 + (size_t)DICT_MAX * 16)
        return c2_fail(err, "raw length %u too large for %zu records", col->raw_len, n);
    unsigned long long fcs = ZSTD_getFrameContentSize(stored, col->stored_len);
    if (fcs != col->raw_len)
        return c2_fail(err, "zstd frame size does not match the footer");
    if (grow(&c->raw, &c->raw_cap, col->raw_len + RAW_PAD) != 0)
        return c2_fail(err, "out of memory");
    size_t got = ZSTD_decompressDCtx(c->dctx, c->raw, col->raw_len, stored, col->stored_len);
    if (ZSTD_isError(got) || got != col->raw_len)
        return c2_fail(err, "zstd: %s", ZSTD_isError(got) ? ZSTD_getErrorName(got)
                                                          : "short frame");
    memset(c->raw + got, 0, RAW_PAD);
    *len = got;
    return 0;
}

static int malformed(c2_err *err, flow_field f, const segment_column *col)
{
    return c2_fail(err, "malformed %s data (encoding %u)", flow_field_name(f), col->encoding);
}

/* Which encodings may hold field f (anything else is malformed). */
static int encoding_fits(uint8_t enc, flow_field f)
{
    flow_type t = flow_field_type(f);
    switch (enc) {
    case ENC_TIME_DELTA: return f == FLOW_START || f == FLOW_END;
    case ENC_TIME_SINCE: return f == FLOW_END;
    case ENC_TIME_BEFORE: return f == FLOW_START;
    case ENC_VARINT: return t != FLOW_T_ADDR && t != FLOW_T_TIME;
    case ENC_ADDR_SPLIT: return t == FLOW_T_ADDR;
    case ENC_RAW: return flow_type_size(t) == 1;
    default: return 1;
    }
}

/* What both decoders do first: the destination column, the column's bytes
 * unpacked into c->raw (*got of them), and an encoding that suits f. */
static int decode_begin(codec_ctx *c, const uint8_t *stored, const segment_column *col,
                        flow_field f, size_t n, flow_batch *b, void **dst, size_t *got,
                        c2_err *err)
{
    *dst = flow_batch_column(b, f);
    if (!*dst) return c2_fail(err, "column %s not requested", flow_field_name(f));
    if (unpack(c, stored, col, n, got, err) != 0) return -1;
    if (!encoding_fits(col->encoding, f)) {
        if (col->encoding < ENC_TIME_DELTA || col->encoding > ENC_TIME_BEFORE)
            return c2_fail(err, "unknown encoding %u", col->encoding);
        return malformed(err, f, col);
    }
    return 0;
}

int codec_decode(codec_ctx *c, const uint8_t *stored, const segment_column *col,
                 flow_field f, size_t n, flow_batch *b, c2_err *err)
{
    size_t w = flow_type_size(flow_field_type(f)), got;
    void *dst;
    b->v4_fields &= ~FLOW_BIT(f);       /* set again below if the view is filled */
    if (decode_begin(c, stored, col, f, n, b, &dst, &got, err) != 0) return -1;
    int rc = -1;
    const uint8_t *raw = c->raw;
    switch (col->encoding) {
    case ENC_TIME_DELTA: rc = decode_time_delta(c, raw, got, n, dst); break;
    case ENC_TIME_SINCE:
        if (b->start_ms) rc = decode_time_diff(c, raw, got, n, b->start_ms, +1, dst);
        break;
    case ENC_TIME_BEFORE:
        if (b->end_ms) rc = decode_time_diff(c, raw, got, n, b->end_ms, -1, dst);
        break;
    case ENC_VARINT: rc = decode_uvarints(c, raw, got, n, dst, w); break;
    case ENC_SHUFFLE: rc = decode_shuffle(raw, got, n, dst, w); break;
    case ENC_DICT: rc = decode_dict(c, raw, got, n, NULL, 0, dst, w); break;
    case ENC_ADDR_SPLIT: {
        uint32_t *v4 = NULL;
        uint8_t *v6map = NULL;
        if ((b->v4_want & FLOW_BIT(f)) && n <= b->capacity &&
            flow_batch_v4_view(b, f, &v4, &v6map) != 0)
            v4 = NULL, v6map = NULL;    /* the view is optional: go without */
        rc = decode_addr_split(raw, got, n, dst, v4, v6map);
        if (rc == 0 && v4) b->v4_fields |= FLOW_BIT(f);
        break;
    }
    case ENC_RAW:
        if (got == n) {
            memcpy(dst, raw, n);
            rc = 0;
        }
        break;
    }
    return rc != 0 ? malformed(err, f, col) : 0;
}

int codec_decode_rows(codec_ctx *c, const uint8_t *stored, const segment_column *col,
                      flow_field f, size_t n, const uint32_t *idx, size_t k,
                      flow_batch *b, c2_err *err)
{
    size_t w = flow_type_size(flow_field_type(f)), got;
    void *out;
    b->v4_fields &= ~FLOW_BIT(f);       /* selected rows get no view */
    if (decode_begin(c, stored, col, f, n, b, &out, &got, err) != 0) return -1;
    uint8_t *dst = out;
    if (ensure_u64(c, n) != 0) return c2_fail(err, "out of memory");
    uint64_t *v = c->vals;
    const uint8_t *raw = c->raw;
    int rc = -1;
    switch (col->encoding) {
    case ENC_TIME_DELTA:            /* every delta counts: decode all, pick */
        rc = decode_time_delta(c, raw, got, n, (int64_t *)v);
        if (rc == 0)
            for (size_t j = 0; j < k; j++) ((int64_t *)(void *)dst)[j] = (int64_t)v[idx[j]];
        break;
    case ENC_TIME_SINCE:
    case ENC_TIME_BEFORE: {
        const int64_t *anchor = col->encoding == ENC_TIME_SINCE ? b->start_ms : b->end_ms;
        if (!anchor || (rc = select_uvarints(c, raw, got, n, idx, k, v)) != 0) break;
        int64_t *out = (int64_t *)(void *)dst;
        for (size_t j = 0; j < k; j++) {
            uint64_t d = (uint64_t)unzigzag(v[j]);
            out[j] = (int64_t)(col->encoding == ENC_TIME_SINCE ? (uint64_t)anchor[j] + d
                                                               : (uint64_t)anchor[j] - d);
        }
        break;
    }
    case ENC_VARINT:
        if (w == 8) {
            rc = select_uvarints(c, raw, got, n, idx, k, (uint64_t *)(void *)dst);
        } else if ((rc = c->read_varints(raw, got, n, v)) == 0) {
            for (size_t j = 0; j < k; j++) {
                if (v[idx[j]] >> (8 * w)) rc = -1;
                store_uint(dst, w, j, v[idx[j]]);
            }
            for (size_t i = 0; i < n && rc == 0; i++)
                if (v[i] >> (8 * w)) rc = -1;
        }
        break;
    case ENC_SHUFFLE: rc = select_shuffle(raw, got, n, idx, k, dst, w); break;
    case ENC_DICT: rc = decode_dict(c, raw, got, n, idx, k, dst, w); break;
    case ENC_ADDR_SPLIT: rc = select_addr_split(raw, got, n, idx, k, (flow_addr *)(void *)dst); break;
    case ENC_RAW:
        if (got == n) {
            for (size_t j = 0; j < k; j++) dst[j] = raw[idx[j]];
            rc = 0;
        }
        break;
    }
    return rc != 0 ? malformed(err, f, col) : 0;
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

