/*
 * aggregate.c: the group table, spilling to partition files, and the
 * ordered walk over the result.
 *
 * Keys.  Every group key is encoded into a fixed number of bytes (kw, a
 * multiple of 8): the bin start first (if any), then each key field in spec
 * order, big-endian (times with the sign bit flipped), addresses as their
 * 16 bytes with the prefix masks applied, zero padding at the end.  So two
 * keys are equal when their bytes are, and memcmp orders them exactly as
 * the keys' values (the tie-break of every order).  agg_add encodes the
 * keys of up to CHUNK_ROWS rows column by column into a scratch buffer and
 * hashes them all; then, for each row, it prefetches the slot line of the
 * row PREFETCH_SLOT rows ahead, looks up the (by then cached) slots of the
 * row PREFETCH_ENTRY rows ahead to prefetch its entry, and only then probes
 * for the row itself: a table larger than the cache costs two misses per
 * record, and this way many are in flight at once instead of one after the
 * other.  The probe loop is compiled once per key width of 1..4 words, so
 * hashing and comparing unroll.
 *
 * Table.  Entries are fixed-size records [key kw | agg_cnt 48 B]; an
 * entry's index is its group id.  They live in one address range reserved
 * at the size of the budget (PROT_NONE, not charged as memory) and made
 * usable with mprotect as the table grows (doubling, or up to the budget),
 * so an entry never moves and entry i is at ents + i * esize.  The index is
 * open addressing with linear probing over 8-byte slots
 * [tag 32 | gid+1 32] (0 = empty), at most 3/4 full; the tag is the upper
 * half of the key's 64-bit hash, so a probe reads an entry only when the
 * tags agree.  For -A srcip a group costs 64 B of entry and 10.7-21.3 B of
 * slots.  Large arrays are 2 MiB aligned with transparent huge pages asked
 * for (big_alloc, big_reserve): probed at random, 4 KiB pages would cost a
 * TLB miss per probe.  The slot index is the low bits of the hash; spill
 * partitions use the top bits (6 per level), so a partition's keys still
 * spread over all slots.  The hash (a 128-bit multiply fold per 8-byte
 * word) is seeded at random per aggregate, so that a crafted set of
 * addresses cannot be made to collide in advance; results never depend on
 * the seed.
 *
 * Distinct.  A second open-addressing set holds (gid, value) pairs inline:
 * [gid+1 u32 | value vw bytes] per slot.  A new pair adds one to the group's
 * distinct counter, so counts are exact.
 *
 * Budget.  Slots, usable entry bytes and pair slots are counted (the
 * transient old+new arrays of a rehash included); write buffers of spill
 * files (64 x 4..32 KiB per spilling table) and the top-N heap are not.
 * When a table would grow past the budget the whole table is spilled: every
 * group as a 'G' record [tag 'G' | key | flows packets bytes first last]
 * and every pair as a 'P' record [tag 'P' | key | value], native byte
 * order, into one of 64 partitions chosen by 6 bits of the key's hash; then
 * the table is cleared (memory kept) and work goes on.  A table's 64
 * partitions share one spill file: each partition buffers its records and
 * appends them as a block, remembering the blocks' extents, so a spill
 * costs one file, not 64.  Spill files are created with mkostemp in the
 * spill directory and unlinked at once: they have no name while in use,
 * so nothing is left behind by an error, a kill or a crash, and the disk
 * space is freed when they are closed (partitions already read are given
 * back earlier with FALLOC_FL_PUNCH_HOLE where the file system can).
 *
 * Finish.  Without a spill the table is walked directly.  With one, the
 * rest of the table is spilled and its memory freed, and each partition is
 * read into a fresh table one at a time: 'G' records merge their counters,
 * 'P' records re-insert their pairs (creating an empty group if the pair
 * arrives first), so distinct counts are recomputed exactly and duplicated
 * spills of one group merge.  A partition too big for the budget spills
 * again into 64 sub-partitions by the next 6 bits of the hash, down to
 * MAX_LEVEL levels (64^4 partitions); past that the budget is too small for
 * a single group's distinct values and the query fails, saying so.
 *
 * Output order.  Top N (limit > 0) keeps a heap of the N best groups seen
 * (root = the worst kept; O(groups log N), never sorting all groups), then
 * sorts those N.  All groups (limit 0, or a heap that would take more than
 * half the budget) are sorted per table: a 32-byte item per group (ranked
 * value and first 16 key bytes, turned so that unsigned order is output
 * order) is built in one sequential pass and quicksorted in place, so the
 * sort does not visit entries at random; if the items do not fit in the
 * budget, a 4-byte gid permutation is sorted instead.  Without a spill the
 * sorted table is walked directly; with one each finished partition is
 * written as a sorted run to a run file (same kind of unlinked file), and
 * the runs are merged (k-way, at most MAX_FANIN at a time).  Every order
 * is total: ties go to the key, ascending.
 */
#include "aggregate/aggregate.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <unistd.h>

#define PART_BITS 6
#define NPART (1u << PART_BITS)
#define MAX_LEVEL 4                 /* deepest partition level */
#define CHUNK_ROWS 1024             /* rows encoded and hashed at a time */
#define PREFETCH_SLOT 48            /* rows ahead: slot line */
#define PREFETCH_ENTRY 20           /* rows ahead: entry line */
#define WBUF_SIZE 32768             /* per spill partition / run writer */
#define RBUF_SIZE 65536             /* per spill / run reader */
#define MAX_FANIN 64                /* runs merged at once */
#define MAX_RUNS (2 * MAX_FANIN)    /* runs kept before merging some */
#define MAX_KEY_BYTES (8 + AGG_MAX_KEYS * 16)
#define MAX_GROUPS 0xfffffffeu      /* gid+1 fits in 32 bits */

typedef struct agg_cnt {
    uint64_t flows, packets, bytes;
    int64_t  first, last;           /* min start, max end */
    uint64_t distinct;
} agg_cnt;

#define CNT_SPILL (5 * 8)           /* agg_cnt bytes in a 'G' record */

typedef struct kcol {               /* one encoded key field */
    flow_field field;
    flow_type  type;
    uint32_t   off, width;          /* in the key bytes */
    int        masked;              /* address with a prefix */
    uint64_t   m4[2], m6[2];        /* masks as native words */
} kcol;

typedef struct layout {
    size_t   kw, words;             /* key bytes (x8), and words */
    size_t   raw;                   /* key bytes before padding */
    size_t   esize;                 /* kw + sizeof(agg_cnt) */
    size_t   vw, psize;             /* distinct value bytes; pair slot bytes */
    int64_t  bin_ms;
    size_t   nk;
    kcol     k[AGG_MAX_KEYS];
    int      distinct;
    flow_field dfield;
    /* ranking */
    agg_order order;
    int      sign;                  /* +1: smaller first; -1: larger first */
} layout;

/* One nameless temporary file (created on the first write) that streams
 * append blocks to; a stream remembers where its blocks went. */
typedef struct tfile { int fd; uint64_t end; } tfile;
typedef struct extent { uint64_t off, len; } extent;
typedef struct stream {
    uint8_t *buf;
    size_t   len, size;             /* buffered bytes; buffer size */
    extent  *ext;
    size_t   next, ext_cap;
    uint64_t bytes;                 /* written, in all */
} stream;

typedef struct core core;
struct core {
    aggregate *a;
    const layout *L;
    int      level;
    uint64_t budget, mem;
    /* groups */
    uint64_t *slots;
    size_t   nslots, smask, count, grow_at;
    uint8_t *ents;                  /* entries: a reserved address range */
    size_t   reserved, committed;   /* its bytes, and those usable */
    size_t   cap;                   /* entries that fit in committed */
    /* pairs */
    uint8_t *pslots;
    size_t   npslots, pmask, pcount, pgrow_at;
    /* spilling */
    int      spilled;
    tfile    tf;                    /* the spill file */
    stream  *parts;                 /* NPART, once spilled */
};

typedef struct run { uint64_t off, n; } run;   /* n entries at off */

enum { SINK_HEAP, SINK_RUNS };
typedef struct sink {
    int      mode;
    uint64_t limit;
    uint8_t *store;                 /* heap entries */
    uint32_t *idx;                  /* heap order over store */
    size_t   n, cap;
    tfile    tf;                    /* the run file */
    run     *runs;
    size_t   nruns, runs_cap;
} sink;

struct aggregate {
    agg_spec spec;
    layout   L;
    uint64_t seed;
    uint64_t budget;
    uint32_t need;
    const char *dir;
    int      finished;
    int      broken;                /* agg_add failed: only agg_free now */
    agg_stats st;
    core     top;
    uint8_t  kbuf[CHUNK_ROWS * MAX_KEY_BYTES];
    uint64_t hashes[CHUNK_ROWS];
    uint32_t rows[CHUNK_ROWS];
};

/* ---- bytes ---- */

static inline uint64_t ld64(const uint8_t *p) { uint64_t v; memcpy(&v, p, 8); return v; }
static inline void st64(uint8_t *p, uint64_t v) { memcpy(p, &v, 8); }

static inline void be64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++) p[i] = (uint8_t)(v >> (56 - 8 * i));
}
static inline uint64_t get_be(const uint8_t *p, size_t n)
{
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++) v = v << 8 | p[i];
    return v;
}

static inline uint64_t mum(uint64_t a, uint64_t b)
{
    __uint128_t r = (__uint128_t)a * b;
    return (uint64_t)r ^ (uint64_t)(r >> 64);
}

#define H_P0 0xa0761d6478bd642fULL
#define H_P1 0xe7037ed1a0b428dbULL
#define H_P2 0x8ebc6af09c88c6e3ULL

static inline uint64_t hash_key(const uint8_t *k, size_t words, uint64_t seed)
{
    uint64_t h = seed;
    for (size_t i = 0; i < words; i++) h = mum(h ^ ld64(k + 8 * i), H_P0);
    return mum(h ^ H_P1, H_P2);
}

static inline uint64_t hash_pair(uint32_t gid, const uint8_t *v, size_t vw, uint64_t seed)
{
    uint64_t v0 = 0, v1 = 0;
    memcpy(&v0, v, vw < 8 ? vw : 8);
    if (vw > 8) memcpy(&v1, v + 8, vw - 8);
    uint64_t h = mum(seed ^ gid ^ v0, H_P0);
    h = mum(h ^ v1, H_P1);
    return mum(h ^ H_P2, H_P0);
}

static inline int key_eq(const uint8_t *a, const uint8_t *b, size_t words)
{
    uint64_t d = 0;
    for (size_t i = 0; i < words; i++) d |= ld64(a + 8 * i) ^ ld64(b + 8 * i);
    return d == 0;
}

static inline unsigned part_of(uint64_t h, int level)
{
    return (unsigned)(h >> (64 - PART_BITS * (level + 1))) & (NPART - 1);
}

/* ---- layout ---- */

static void addr_mask(unsigned bits_v4, unsigned bits_v6, uint64_t m4[2], uint64_t m6[2])
{
    uint8_t b4[16], b6[16];
    unsigned keep4 = bits_v4 ? 96 + bits_v4 : 128, keep6 = bits_v6 ? bits_v6 : 128;
    for (unsigned i = 0; i < 16; i++) {
        unsigned lo = i * 8;
        b4[i] = keep4 >= lo + 8 ? 0xff : keep4 <= lo ? 0 : (uint8_t)(0xff << (8 - (keep4 - lo)));
        b6[i] = keep6 >= lo + 8 ? 0xff : keep6 <= lo ? 0 : (uint8_t)(0xff << (8 - (keep6 - lo)));
    }
    memcpy(m4, b4, 16);
    memcpy(m6, b6, 16);
}

static void make_layout(const agg_spec *s, layout *L)
{
    memset(L, 0, sizeof *L);
    size_t off = 0;
    L->bin_ms = s->bin_ms;
    if (s->bin_ms) off = 8;
    L->nk = s->nkeys;
    for (size_t i = 0; i < s->nkeys; i++) {
        kcol *k = &L->k[i];
        k->field = s->keys[i].field;
        k->type = flow_field_type(k->field);
        k->off = (uint32_t)off;
        k->width = (uint32_t)flow_type_size(k->type);
        if (k->type == FLOW_T_ADDR) {
            unsigned p4 = s->keys[i].prefix4, p6 = s->keys[i].prefix6;
            k->masked = (p4 && p4 < 32) || (p6 && p6 < 128);
            addr_mask(p4 < 32 ? p4 : 0, p6 < 128 ? p6 : 0, k->m4, k->m6);
        }
        off += k->width;
    }
    L->raw = off;
    L->kw = off ? (off + 7) & ~(size_t)7 : 8;
    L->words = L->kw / 8;
    L->esize = L->kw + sizeof(agg_cnt);
    L->distinct = s->distinct;
    if (s->distinct) {
        L->dfield = s->distinct_field;
        L->vw = flow_type_size(flow_field_type(s->distinct_field));
        L->psize = (4 + L->vw + 3) & ~(size_t)3;
    }
    L->order = s->order;
    int natural = (s->order == AGG_BY_FIRST || s->order == AGG_BY_LAST ||
                   s->order == AGG_BY_KEY) ? 1 : -1;
    L->sign = s->direction ? s->direction : natural;
}

/* ---- ranking ---- */

static inline int cmp_u64(uint64_t a, uint64_t b) { return (a > b) - (a < b); }
static inline int cmp_i64(int64_t a, int64_t b) { return (a > b) - (a < b); }

/* <0 when entry a comes before entry b in the output. */
static int rank_cmp(const uint8_t *a, const uint8_t *b, const layout *L)
{
    const uint8_t *ca = a + L->kw, *cb = b + L->kw;
    int r = 0;
    switch (L->order) {
    case AGG_BY_FLOWS: r = cmp_u64(ld64(ca + offsetof(agg_cnt, flows)), ld64(cb + offsetof(agg_cnt, flows))); break;
    case AGG_BY_PACKETS: r = cmp_u64(ld64(ca + offsetof(agg_cnt, packets)), ld64(cb + offsetof(agg_cnt, packets))); break;
    case AGG_BY_BYTES: r = cmp_u64(ld64(ca + offsetof(agg_cnt, bytes)), ld64(cb + offsetof(agg_cnt, bytes))); break;
    case AGG_BY_DISTINCT: r = cmp_u64(ld64(ca + offsetof(agg_cnt, distinct)), ld64(cb + offsetof(agg_cnt, distinct))); break;
    case AGG_BY_FIRST: r = cmp_i64((int64_t)ld64(ca + offsetof(agg_cnt, first)), (int64_t)ld64(cb + offsetof(agg_cnt, first))); break;
    case AGG_BY_LAST: r = cmp_i64((int64_t)ld64(ca + offsetof(agg_cnt, last)), (int64_t)ld64(cb + offsetof(agg_cnt, last))); break;
    case AGG_BY_KEY: r = memcmp(a, b, L->kw); return ((r > 0) - (r < 0)) * L->sign;
    }
    if (r) return r * L->sign;
    return memcmp(a, b, L->kw);
}

/* ---- spill files ---- */

/* Array v (n used of *cap elements) with room for one more, doubling:
 * v itself or its new place; NULL with err (v still valid). */
static void *grow_array(void *v, size_t n, size_t *cap, size_t elem, c2_err *err)
{
    if (n < *cap) return v;
    size_t want = *cap ? 2 * *cap : 16;
    void *p = realloc(v, want * elem);
    if (!p) { c2_fail(err, "aggregate: out of memory"); return NULL; }
    *cap = want;
    return p;
}

static int tfile_append(aggregate *a, tfile *t, const uint8_t *p, size_t n,
                        uint64_t *off, c2_err *err)
{
    if (t->fd < 0) {
        char path[PATH_MAX];
        int k = snprintf(path, sizeof path, "%s/c2flow-agg-XXXXXX", a->dir);
        if (k < 0 || (size_t)k >= sizeof path)
            return c2_fail(err, "aggregate: spill directory name too long");
        t->fd = mkostemp(path, O_CLOEXEC);
        if (t->fd < 0)
            return c2_fail_errno(err, "aggregate: cannot create a spill file in %s", a->dir);
        unlink(path);               /* nameless from now on */
        t->end = 0;
    }
    *off = t->end;
    while (n) {
        ssize_t w = pwrite(t->fd, p, n, (off_t)t->end);
        if (w < 0 && errno == EINTR) continue;
        if (w < 0) return c2_fail_errno(err, "aggregate: writing a spill file in %s", a->dir);
        p += w;
        n -= (size_t)w;
        t->end += (uint64_t)w;
    }
    return 0;
}

static void tfile_close(tfile *t)
{
    if (t->fd >= 0) close(t->fd);
    t->fd = -1;
    t->end = 0;
}

static int st_flush(aggregate *a, tfile *t, stream *s, c2_err *err)
{
    if (!s->len) return 0;
    uint64_t off;
    if (tfile_append(a, t, s->buf, s->len, &off, err) != 0) return -1;
    if (s->next && s->ext[s->next - 1].off + s->ext[s->next - 1].len == off) {
        s->ext[s->next - 1].len += s->len;
    } else {
        extent *e = grow_array(s->ext, s->next, &s->ext_cap, sizeof *e, err);
        if (!e) return -1;
        s->ext = e;
        s->ext[s->next++] = (extent){off, s->len};
    }
    s->len = 0;
    return 0;
}

static inline int st_write(aggregate *a, tfile *t, stream *s, const void *p, size_t n,
                           c2_err *err)
{
    if (!s->buf) {
        s->buf = malloc(s->size);
        if (!s->buf) return c2_fail(err, "aggregate: out of memory");
    }
    if (s->len + n > s->size && st_flush(a, t, s, err) != 0) return -1;
    memcpy(s->buf + s->len, p, n);
    s->len += n;
    s->bytes += n;
    return 0;
}

static void st_free(stream *s)
{
    free(s->buf);
    free(s->ext);
    memset(s, 0, sizeof *s);
}

/* Reads the extents of a stream back, in order. */
typedef struct reader {
    int      fd;
    const extent *ext;
    size_t   next, cur;
    uint64_t done;                  /* bytes read of ext[cur] */
    uint8_t *buf;
    size_t   pos, len, size;
} reader;

static int rd_open(reader *r, int fd, const extent *ext, size_t next, c2_err *err)
{
    memset(r, 0, sizeof *r);
    r->fd = fd;
    r->ext = ext;
    r->next = next;
    uint64_t total = 0;
    for (size_t i = 0; i < next; i++) total += ext[i].len;
    r->size = total < 512 ? 512 : total > RBUF_SIZE ? RBUF_SIZE : (size_t)total;
    r->buf = malloc(r->size);
    if (!r->buf) return c2_fail(err, "aggregate: out of memory");
    return 0;
}

/* Make n bytes available at r->buf + r->pos: 1, 0 at a clean end, -1. */
static int rd_need(reader *r, size_t n, c2_err *err)
{
    if (r->len - r->pos >= n) return 1;
    memmove(r->buf, r->buf + r->pos, r->len - r->pos);
    r->len -= r->pos;
    r->pos = 0;
    while (r->len < n && r->cur < r->next) {
        const extent *e = &r->ext[r->cur];
        uint64_t left = e->len - r->done;
        size_t want = r->size - r->len < left ? r->size - r->len : (size_t)left;
        ssize_t got = pread(r->fd, r->buf + r->len, want, (off_t)(e->off + r->done));
        if (got < 0 && errno == EINTR) continue;
        if (got < 0) return c2_fail_errno(err, "aggregate: reading a spill file");
        if (got == 0) return c2_fail(err, "aggregate: a spill file is shorter than written");
        r->len += (size_t)got;
        r->done += (uint64_t)got;
        if (r->done == e->len) { r->cur++; r->done = 0; }
    }
    if (r->len >= n) return 1;
    if (r->len == 0) return 0;
    return c2_fail(err, "aggregate: a spill file ends inside a record");
}

/* Give the disk blocks of extents back early (best effort). */
static void punch(int fd, const extent *ext, size_t next)
{
    for (size_t i = 0; i < next; i++)
        (void)fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
                        (off_t)ext[i].off, (off_t)ext[i].len);
}

/* ---- big zeroed arrays ---- */

#define HUGE_PAGE ((size_t)2 << 20)

/* Zeroed, 64-byte aligned memory.  From 2 MiB up it is mapped directly,
 * 2 MiB aligned, with transparent huge pages asked for over the whole
 * 2 MiB pages it covers: a table of 100 MB probed at random otherwise
 * pays a TLB miss (and, in a VM, a two-level page walk) on almost every
 * probe.  Free with big_free and the same size. */
static void *big_alloc(size_t bytes)
{
    if (bytes < HUGE_PAGE) {
        void *p = aligned_alloc(64, (bytes + 63) & ~(size_t)63);
        if (p) memset(p, 0, bytes);
        return p;
    }
    size_t len = (bytes + 4095) & ~(size_t)4095;
    uint8_t *m = mmap(NULL, len + HUGE_PAGE, PROT_READ | PROT_WRITE,
                      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED) return NULL;
    uintptr_t at = ((uintptr_t)m + HUGE_PAGE - 1) & ~(uintptr_t)(HUGE_PAGE - 1);
    uint8_t *p = (uint8_t *)at;
    if (p > m) munmap(m, (size_t)(p - m));
    size_t tail = (size_t)(m + len + HUGE_PAGE - (p + len));
    if (tail) munmap(p + len, tail);
    size_t whole = bytes & ~(HUGE_PAGE - 1);
    if (whole) (void)madvise(p, whole, MADV_HUGEPAGE);
    return p;
}

/* An inaccessible address range of len bytes (a multiple of 4 KiB),
 * 2 MiB aligned, huge pages asked for; parts become usable with
 * mprotect.  Not charged as memory until then. */
static uint8_t *big_reserve(size_t len)
{
    uint8_t *m = mmap(NULL, len + HUGE_PAGE, PROT_NONE,
                      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (m == MAP_FAILED) return NULL;
    uint8_t *p = (uint8_t *)(((uintptr_t)m + HUGE_PAGE - 1) & ~(uintptr_t)(HUGE_PAGE - 1));
    if (p > m) munmap(m, (size_t)(p - m));
    size_t tail = (size_t)(m + len + HUGE_PAGE - (p + len));
    if (tail) munmap(p + len, tail);
    (void)madvise(p, len, MADV_HUGEPAGE);
    return p;
}

static void big_free(void *p, size_t bytes)
{
    if (!p) return;
    if (bytes < HUGE_PAGE) free(p);
    else munmap(p, (bytes + 4095) & ~(size_t)4095);
}

/* ---- the core table ---- */

static inline uint8_t *entry_at(const core *c, uint32_t gid)
{
    return c->ents + (size_t)gid * c->L->esize;
}

static inline agg_cnt *cnt_at(const core *c, uint32_t gid)
{
    return (agg_cnt *)(void *)(entry_at(c, gid) + c->L->kw);
}

static void note_mem(core *c)
{
    if (c->mem > c->a->st.peak_bytes) c->a->st.peak_bytes = c->mem;
}

static size_t pow2_fit(size_t want, size_t unit, uint64_t bytes, size_t floor)
{
    size_t n = want;
    while (n > floor && (uint64_t)n * unit > bytes) n >>= 1;
    return n;
}

#define PAGE 4096
#define PAGE_UP(n) (((n) + PAGE - 1) & ~(size_t)(PAGE - 1))

/* The smallest table any budget gets: 16 slots, a page of entries (at
 * least 16), 16 pairs; twice that, so that growing is possible. */
static uint64_t min_budget(const layout *L)
{
    return 2 * (16 * 8 + PAGE_UP(16 * L->esize) + (L->distinct ? 16 * L->psize : 0));
}

static int core_init(core *c, aggregate *a, int level, uint64_t budget, c2_err *err)
{
    memset(c, 0, sizeof *c);
    c->a = a;
    c->L = &a->L;
    c->level = level;
    c->budget = budget;
    c->tf.fd = -1;
    const layout *L = c->L;
    c->nslots = pow2_fit(1024, 8, budget / 16, 16);
    c->smask = c->nslots - 1;
    c->grow_at = c->nslots / 4 * 3;
    c->slots = big_alloc(c->nslots * 8);
    uint64_t most = budget / L->esize + 16;
    if (most > MAX_GROUPS) most = MAX_GROUPS;
    c->reserved = PAGE_UP((size_t)most * L->esize);
    c->ents = big_reserve(c->reserved);
    if (!c->ents) c->reserved = 0;
    size_t first = PAGE_UP(16 * L->esize);
    if (first < budget / 16) first = PAGE_UP(budget / 16);
    if (first > ((size_t)4 << 20)) first = (size_t)4 << 20;
    if (first > c->reserved) first = c->reserved;
    if (!c->slots || !c->ents || mprotect(c->ents, first, PROT_READ | PROT_WRITE) != 0)
        return c2_fail(err, "aggregate: out of memory");
    c->committed = first;
    c->cap = first / L->esize;
    c->mem = c->nslots * 8 + first;
    if (L->distinct) {
        c->npslots = pow2_fit(1024, L->psize, budget / 16, 16);
        c->pmask = c->npslots - 1;
        c->pgrow_at = c->npslots / 4 * 3;
        c->pslots = big_alloc(c->npslots * L->psize);
        if (!c->pslots) return c2_fail(err, "aggregate: out of memory");
        c->mem += c->npslots * L->psize;
    }
    note_mem(c);
    return 0;
}

/* Free the table's memory (not the spill files). */
static void core_drop_table(core *c)
{
    big_free(c->slots, c->nslots * 8);
    c->slots = NULL;
    if (c->ents) munmap(c->ents, c->reserved);
    c->ents = NULL;
    c->reserved = c->committed = c->cap = c->count = 0;
    big_free(c->pslots, c->npslots * c->L->psize);
    c->pslots = NULL;
    c->pcount = 0;
    c->mem = 0;
}

static void core_free(core *c)
{
    core_drop_table(c);
    if (c->parts) {
        for (unsigned p = 0; p < NPART; p++) st_free(&c->parts[p]);
        free(c->parts);
        c->parts = NULL;
    }
    tfile_close(&c->tf);
}

static int grow_slots(core *c)
{
    size_t n = c->nslots * 2, bytes = n * 8;
    if (c->mem + bytes > c->budget) return -1;
    uint64_t *s = big_alloc(bytes);
    if (!s) return -1;
    size_t mask = n - 1;
    for (size_t g = 0; g < c->count; g++) {
        uint64_t h = hash_key(entry_at(c, (uint32_t)g), c->L->words, c->a->seed);
        size_t i = h & mask;
        while (s[i]) i = (i + 1) & mask;
        s[i] = (h >> 32) << 32 | (uint64_t)(g + 1);
    }
    c->mem += bytes;
    note_mem(c);                    /* old and new, for a moment */
    c->mem -= c->nslots * 8;
    big_free(c->slots, c->nslots * 8);
    c->slots = s;
    c->nslots = n;
    c->smask = mask;
    c->grow_at = n / 4 * 3;
    return 0;
}

/* Make more of the entry range usable: twice as much, or what the
 * budget still allows.  -1 when not even one more entry fits. */
static int grow_entries(core *c)
{
    if (c->mem >= c->budget) return -1;
    size_t want = c->committed * 2;
    if (want > c->reserved) want = c->reserved;
    if (c->mem + (want - c->committed) > c->budget)
        want = c->committed + ((c->budget - c->mem) & ~(size_t)(PAGE - 1));
    if (want / c->L->esize <= c->cap) return -1;
    if (mprotect(c->ents + c->committed, want - c->committed, PROT_READ | PROT_WRITE) != 0)
        return -1;
    c->mem += want - c->committed;
    c->committed = want;
    c->cap = want / c->L->esize;
    if (c->cap > MAX_GROUPS) c->cap = MAX_GROUPS;
    note_mem(c);
    return 0;
}

static int grow_pairs(core *c)
{
    const layout *L = c->L;
    size_t n = c->npslots * 2, bytes = n * L->psize;
    if (c->mem + bytes > c->budget) return -1;
    uint8_t *s = big_alloc(bytes);
    if (!s) return -1;
    size_t mask = n - 1;
    for (size_t i = 0; i < c->npslots; i++) {
        const uint8_t *old = c->pslots + i * L->psize;
        uint32_t g1;
        memcpy(&g1, old, 4);
        if (!g1) continue;
        size_t j = hash_pair(g1 - 1, old + 4, L->vw, c->a->seed) & mask;
        for (;;) {
            uint32_t t;
            memcpy(&t, s + j * L->psize, 4);
            if (!t) break;
            j = (j + 1) & mask;
        }
        memcpy(s + j * L->psize, old, L->psize);
    }
    c->mem += bytes;
    note_mem(c);
    c->mem -= c->npslots * L->psize;
    big_free(c->pslots, c->npslots * L->psize);
    c->pslots = s;
    c->npslots = n;
    c->pmask = mask;
    c->pgrow_at = n / 4 * 3;
    return 0;
}

/* Write every group and pair into the partitions, then clear. */
static int spill_all(core *c, c2_err *err)
{
    aggregate *a = c->a;
    const layout *L = c->L;
    if (!c->parts) {
        c->parts = calloc(NPART, sizeof *c->parts);
        if (!c->parts) return c2_fail(err, "aggregate: out of memory");
        /* buffers out of the budget: 64 x 4..32 KiB */
        uint64_t size = c->budget / 256;
        if (size < 4096) size = 4096;
        if (size > WBUF_SIZE) size = WBUF_SIZE;
        for (unsigned p = 0; p < NPART; p++) c->parts[p].size = (size_t)size;
    }
    uint8_t rec[1 + MAX_KEY_BYTES + sizeof(agg_cnt)];
    uint8_t *gpart = NULL;
    if (L->distinct && c->pcount) {
        gpart = malloc(c->count ? c->count : 1);
        if (!gpart) return c2_fail(err, "aggregate: out of memory");
    }
    uint64_t before = 0, after = 0;
    for (unsigned p = 0; p < NPART; p++) before += c->parts[p].bytes;
    int rc = 0;
    rec[0] = 'G';
    for (size_t g = 0; g < c->count && rc == 0; g++) {
        const uint8_t *e = entry_at(c, (uint32_t)g);
        unsigned p = part_of(hash_key(e, L->words, a->seed), c->level);
        if (gpart) gpart[g] = (uint8_t)p;
        memcpy(rec + 1, e, L->kw + CNT_SPILL);
        rc = st_write(a, &c->tf, &c->parts[p], rec, 1 + L->kw + CNT_SPILL, err);
    }
    rec[0] = 'P';
    for (size_t i = 0; i < c->npslots && gpart && rc == 0; i++) {
        const uint8_t *s = c->pslots + i * L->psize;
        uint32_t g1;
        memcpy(&g1, s, 4);
        if (!g1) continue;
        memcpy(rec + 1, entry_at(c, g1 - 1), L->kw);
        memcpy(rec + 1 + L->kw, s + 4, L->vw);
        rc = st_write(a, &c->tf, &c->parts[gpart[g1 - 1]], rec, 1 + L->kw + L->vw, err);
    }
    free(gpart);
    if (rc) return -1;
    for (unsigned p = 0; p < NPART; p++) after += c->parts[p].bytes;
    a->st.spilled_bytes += after - before;
    if ((unsigned)c->level + 1 > a->st.spill_depth) a->st.spill_depth = (unsigned)c->level + 1;
    memset(c->slots, 0, c->nslots * 8);
    c->count = 0;
    if (c->pslots) memset(c->pslots, 0, c->npslots * L->psize);
    c->pcount = 0;
    c->spilled = 1;
    return 0;
}

/* Room for one more group: grow, or spill when the budget says no. */
static int make_room(core *c, c2_err *err)
{
    if (c->count >= c->grow_at && grow_slots(c) != 0) return spill_all(c, err);
    if (c->count >= c->cap && grow_entries(c) != 0) return spill_all(c, err);
    return 0;
}

static const agg_cnt cnt_empty = {0, 0, 0, INT64_MAX, INT64_MIN, 0};

/* Insert key (absent; hash h) as a new empty group; may grow or spill. */
static __attribute__((noinline)) int64_t group_insert(core *c, const uint8_t *key,
                                                      uint64_t h, c2_err *err)
{
    const layout *L = c->L;
    if (c->count >= c->grow_at || c->count >= c->cap) {
        if (make_room(c, err) != 0) return -1;
    }
    size_t i = h & c->smask;
    while (c->slots[i]) i = (i + 1) & c->smask;
    uint32_t gid = (uint32_t)c->count++;
    uint8_t *e = entry_at(c, gid);
    memcpy(e, key, L->kw);
    memcpy(e + L->kw, &cnt_empty, sizeof cnt_empty);
    c->slots[i] = (h >> 32) << 32 | (uint64_t)(gid + 1);
    return gid;
}

/* The group id of key (hash h), created empty if absent.  May spill. */
static inline __attribute__((always_inline)) int64_t
group_find(core *c, const uint8_t *key, uint64_t h, c2_err *err)
{
    const size_t words = c->L->words, mask = c->smask;
    const uint64_t *slots = c->slots;
    uint32_t tag = (uint32_t)(h >> 32);
    size_t i = h & mask;
    for (;;) {
        uint64_t s = slots[i];
        if (!s) return group_insert(c, key, h, err);
        if ((uint32_t)(s >> 32) == tag) {
            uint32_t gid = (uint32_t)s - 1;
            if (key_eq(entry_at(c, gid), key, words)) return gid;
        }
        i = (i + 1) & mask;
    }
}

/* Note value v (L->vw bytes) for group gid, whose key is key (hash h;
 * not inside the table).  May spill, re-creating the group empty. */
static int pair_add(core *c, uint32_t gid, const uint8_t *key, uint64_t h,
                    const uint8_t *v, c2_err *err)
{
    const layout *L = c->L;
    for (;;) {
        size_t i = hash_pair(gid, v, L->vw, c->a->seed) & c->pmask;
        for (;;) {
            uint8_t *s = c->pslots + i * L->psize;
            uint32_t g1;
            memcpy(&g1, s, 4);
            if (!g1) break;
            if (g1 == gid + 1 && !memcmp(s + 4, v, L->vw)) return 0;
            i = (i + 1) & c->pmask;
        }
        if (c->pcount < c->pgrow_at) {
            uint8_t *s = c->pslots + i * L->psize;
            uint32_t g1 = gid + 1;
            memcpy(s, &g1, 4);
            memcpy(s + 4, v, L->vw);
            c->pcount++;
            cnt_at(c, gid)->distinct++;
            return 0;
        }
        if (grow_pairs(c) != 0) {
            if (spill_all(c, err) != 0) return -1;
            int64_t g = group_find(c, key, h, err);
            if (g < 0) return -1;
            gid = (uint32_t)g;
        }
    }
}

/* ---- key encoding ---- */

static void encode_keys(const layout *L, const flow_batch *b, const uint32_t *rows,
                        size_t n, uint8_t *out)
{
    const size_t kw = L->kw;
    if (L->raw < kw)
        for (size_t j = 0; j < n; j++) st64(out + j * kw + kw - 8, 0);
    if (L->bin_ms) {
        const int64_t *st = b->start_ms;
        int64_t bin = L->bin_ms;
        for (size_t j = 0; j < n; j++) {
            int64_t t = st[rows[j]], q = t / bin;
            if (t % bin < 0) q--;
            be64(out + j * kw, (uint64_t)(q * bin) ^ (1ULL << 63));
        }
    }
    for (size_t k = 0; k < L->nk; k++) {
        const kcol *c = &L->k[k];
        const void *col = flow_batch_column(b, c->field);
        uint8_t *o = out + c->off;
        switch (c->type) {
        case FLOW_T_ADDR: {
            const flow_addr *v = col;
            if (!c->masked) {
                for (size_t j = 0; j < n; j++) memcpy(o + j * kw, v[rows[j]].b, 16);
                break;
            }
            static const uint8_t pre[16] = {0,0,0,0,0,0,0,0,0,0,0xff,0xff,0,0,0,0};
            static const uint8_t pm[16] = {0xff,0xff,0xff,0xff,0xff,0xff,0xff,0xff,
                                           0xff,0xff,0xff,0xff,0,0,0,0};
            const uint64_t p0 = ld64(pre), p1 = ld64(pre + 8), q1 = ld64(pm + 8);
            for (size_t j = 0; j < n; j++) {
                const uint8_t *a = v[rows[j]].b;
                uint64_t w0 = ld64(a), w1 = ld64(a + 8);
                int v4 = w0 == p0 && (w1 & q1) == p1;
                const uint64_t *m = v4 ? c->m4 : c->m6;
                st64(o + j * kw, w0 & m[0]);
                st64(o + j * kw + 8, w1 & m[1]);
            }
            break;
        }
        case FLOW_T_TIME: {
            const int64_t *v = col;
            for (size_t j = 0; j < n; j++) be64(o + j * kw, (uint64_t)v[rows[j]] ^ (1ULL << 63));
            break;
        }
        case FLOW_T_U64: {
            const uint64_t *v = col;
            for (size_t j = 0; j < n; j++) be64(o + j * kw, v[rows[j]]);
            break;
        }
        case FLOW_T_U32: {
            const uint32_t *v = col;
            for (size_t j = 0; j < n; j++) {
                uint32_t x = v[rows[j]];
                uint8_t *p = o + j * kw;
                p[0] = (uint8_t)(x >> 24); p[1] = (uint8_t)(x >> 16);
                p[2] = (uint8_t)(x >> 8); p[3] = (uint8_t)x;
            }
            break;
        }
        case FLOW_T_U16: {
            const uint16_t *v = col;
            for (size_t j = 0; j < n; j++) {
                uint16_t x = v[rows[j]];
                o[j * kw] = (uint8_t)(x >> 8);
                o[j * kw + 1] = (uint8_t)x;
            }
            break;
        }
        case FLOW_T_U8: {
            const uint8_t *v = col;
            for (size_t j = 0; j < n; j++) o[j * kw] = v[rows[j]];
            break;
        }
        }
    }
}

static void decode_row(const layout *L, const uint8_t *e, agg_row *row)
{
    memset(row, 0, sizeof *row);
    if (L->bin_ms) row->bin_start_ms = (int64_t)(get_be(e, 8) ^ (1ULL << 63));
    for (size_t k = 0; k < L->nk; k++) {
        const kcol *c = &L->k[k];
        const uint8_t *p = e + c->off;
        if (c->type == FLOW_T_ADDR) memcpy(row->key[k].a.b, p, 16);
        else if (c->type == FLOW_T_TIME) row->key[k].t = (int64_t)(get_be(p, 8) ^ (1ULL << 63));
        else row->key[k].u = get_be(p, c->width);
    }
    agg_cnt cnt;
    memcpy(&cnt, e + L->kw, sizeof cnt);
    row->flows = cnt.flows;
    row->packets = cnt.packets;
    row->bytes = cnt.bytes;
    row->first_ms = cnt.first;
    row->last_ms = cnt.last;
    row->distinct = cnt.distinct;
}

/* ---- public: set-up and adding ---- */

static int check_spec(const agg_spec *s, c2_err *err)
{
    if (s->nkeys > AGG_MAX_KEYS) return c2_fail(err, "aggregate: at most %d keys", AGG_MAX_KEYS);
    for (size_t i = 0; i < s->nkeys; i++) {
        const agg_key *k = &s->keys[i];
        if ((unsigned)k->field >= FLOW_FIELD_COUNT)
            return c2_fail(err, "aggregate: key %zu: no such field", i + 1);
        int addr = flow_field_type(k->field) == FLOW_T_ADDR;
        if (!addr && (k->prefix4 || k->prefix6))
            return c2_fail(err, "aggregate: %s: only addresses take a prefix",
                           flow_field_name(k->field));
        if (k->prefix4 > 32 || k->prefix6 > 128)
            return c2_fail(err, "aggregate: %s: prefix too long", flow_field_name(k->field));
    }
    if (s->bin_ms < 0) return c2_fail(err, "aggregate: negative bin");
    if (s->distinct && (unsigned)s->distinct_field >= FLOW_FIELD_COUNT)
        return c2_fail(err, "aggregate: distinct: no such field");
    if ((unsigned)s->order > AGG_BY_KEY) return c2_fail(err, "aggregate: unknown order");
    if (s->order == AGG_BY_DISTINCT && !s->distinct)
        return c2_fail(err, "aggregate: ordering by distinct needs a distinct field (--distinct FIELD)");
    if (s->direction < -1 || s->direction > 1)
        return c2_fail(err, "aggregate: direction must be -1, 0 or 1");
    return 0;
}

int agg_new(const agg_spec *spec, aggregate **out, c2_err *err)
{
    *out = NULL;
    if (check_spec(spec, err) != 0) return -1;
    aggregate *a = calloc(1, sizeof *a);
    if (!a) return c2_fail(err, "aggregate: out of memory");
    a->spec = *spec;
    make_layout(spec, &a->L);
    a->budget = spec->memory_budget ? spec->memory_budget : AGG_DEFAULT_BUDGET;
    if (a->budget < min_budget(&a->L)) a->budget = min_budget(&a->L);
    a->dir = spec->spill_dir;
    if (!a->dir || !*a->dir) a->dir = getenv("TMPDIR");
    if (!a->dir || !*a->dir) a->dir = "/tmp";
    if (getrandom(&a->seed, sizeof a->seed, GRND_NONBLOCK) != sizeof a->seed)
        a->seed = (uint64_t)c2_now_ms() ^ (uint64_t)(uintptr_t)a;
    a->need = FLOW_BIT(FLOW_PACKETS) | FLOW_BIT(FLOW_BYTES) | FLOW_BIT(FLOW_START) |
              FLOW_BIT(FLOW_END);
    for (size_t i = 0; i < spec->nkeys; i++) a->need |= FLOW_BIT(spec->keys[i].field);
    if (spec->distinct) a->need |= FLOW_BIT(spec->distinct_field);
    if (core_init(&a->top, a, 0, a->budget, err) != 0) {
        agg_free(a);
        return -1;
    }
    *out = a;
    return 0;
}

uint32_t agg_fields(const aggregate *a) { return a->need; }

/* Hash, find and count rows a->rows[0..n) (keys encoded in a->kbuf).
 * Inlined per key width so that hashing and comparing unroll. */
static inline __attribute__((always_inline)) int
count_rows(aggregate *a, const flow_batch *b, size_t base, size_t n, int all,
           const size_t words, c2_err *err)
{
    core *c = &a->top;
    const layout *L = &a->L;
    const size_t kw = words * 8, esize = kw + sizeof(agg_cnt);
    const uint64_t *pk = b->packets, *by = b->bytes;
    const int64_t *st = b->start_ms, *en = b->end_ms;
    const uint8_t *dcol = L->distinct ? flow_batch_column(b, L->dfield) : NULL;
    for (size_t j = 0; j < n; j++) a->hashes[j] = hash_key(a->kbuf + j * kw, words, a->seed);
    for (size_t j = 0; j < n; j++) {
        if (j + PREFETCH_SLOT < n)
            __builtin_prefetch(&c->slots[a->hashes[j + PREFETCH_SLOT] & c->smask]);
        if (j + PREFETCH_ENTRY < n) {
            /* the slot line is here by now: find the entry (a few probes
             * at most) and fetch it too */
            uint64_t h = a->hashes[j + PREFETCH_ENTRY];
            for (size_t k = 0, i = h & c->smask; k < 4; k++, i = (i + 1) & c->smask) {
                uint64_t s = c->slots[i];
                if (!s) break;
                if ((uint32_t)(s >> 32) == (uint32_t)(h >> 32)) {
                    __builtin_prefetch(c->ents + (size_t)((uint32_t)s - 1) * esize + kw);
                    break;
                }
            }
        }
        const uint8_t *key = a->kbuf + j * kw;
        const uint64_t h = a->hashes[j];
        const uint32_t tag = (uint32_t)(h >> 32);
        const uint64_t *slots = c->slots;
        const size_t mask = c->smask;
        int64_t g;
        for (size_t i = h & mask;; i = (i + 1) & mask) {
            uint64_t s = slots[i];
            if (!s) { g = group_insert(c, key, h, err); break; }
            if ((uint32_t)(s >> 32) == tag &&
                key_eq(c->ents + (size_t)((uint32_t)s - 1) * esize, key, words)) {
                g = (uint32_t)s - 1;
                break;
            }
        }
        if (g < 0) return -1;
        agg_cnt *cnt = (agg_cnt *)(void *)(c->ents + (size_t)g * esize + kw);
        size_t i = all ? base + j : a->rows[j];
        cnt->flows++;
        cnt->packets += pk[i];
        cnt->bytes += by[i];
        if (st[i] < cnt->first) cnt->first = st[i];
        if (en[i] > cnt->last) cnt->last = en[i];
        if (dcol && pair_add(c, (uint32_t)g, key, h, dcol + i * L->vw, err) != 0)
            return -1;
    }
    return 0;
}

int agg_add(aggregate *a, const flow_batch *b, const uint8_t *keep, c2_err *err)
{
    if (a->finished) return c2_fail(err, "aggregate: add after finish");
    if (a->broken) return c2_fail(err, "aggregate: add after a failed add");
    if ((b->fields & a->need) != a->need) {
        for (int f = 0; f < FLOW_FIELD_COUNT; f++)
            if ((a->need & ~b->fields) & FLOW_BIT(f))
                return c2_fail(err, "aggregate: the batch lacks column %s",
                               flow_field_name((flow_field)f));
    }
    const layout *L = &a->L;
    for (size_t base = 0; base < b->count; base += CHUNK_ROWS) {
        size_t end = b->count - base < CHUNK_ROWS ? b->count : base + CHUNK_ROWS, n = 0;
        if (keep) {
            for (size_t i = base; i < end; i++)
                if (keep[i]) a->rows[n++] = (uint32_t)i;
        } else {
            for (size_t i = base; i < end; i++) a->rows[n++] = (uint32_t)i;
        }
        if (!n) continue;
        encode_keys(L, b, a->rows, n, a->kbuf);
        int rc;
        int all = !keep;
        switch (L->words) {
        case 1: rc = count_rows(a, b, base, n, all, 1, err); break;
        case 2: rc = count_rows(a, b, base, n, all, 2, err); break;
        case 3: rc = count_rows(a, b, base, n, all, 3, err); break;
        case 4: rc = count_rows(a, b, base, n, all, 4, err); break;
        default: rc = count_rows(a, b, base, n, all, L->words, err); break;
        }
        if (rc) {
            a->broken = 1;
            return -1;
        }
        a->st.records += n;
    }
    return 0;
}

/* ---- finishing: sinks ---- */

typedef struct emitter {
    const layout *L;
    agg_row_fn fn;
    void *arg;
    uint64_t left;                  /* rows still wanted; UINT64_MAX: all */
} emitter;

static int emit(emitter *em, const uint8_t *e)
{
    if (!em->left) return 0;
    agg_row row;
    decode_row(em->L, e, &row);
    em->left--;
    return em->fn(&row, em->arg);
}

static int perm_cmp(const void *x, const void *y, void *ctx)
{
    const core *c = ctx;
    return rank_cmp(entry_at(c, *(const uint32_t *)x), entry_at(c, *(const uint32_t *)y), c->L);
}

/* The table's gids in output order (the slots are freed to make room).
 * Caller frees. */
/* A group as the sort sees it: the ranked value and the first 16 key
 * bytes, turned so that plain unsigned ascending order is output order;
 * built in one sequential pass, compared without touching the entries
 * (which a sort would otherwise visit at random, a cache miss each time). */
typedef struct sort_item {
    uint64_t p, k0, k1;
    uint32_t gid, pad;
} sort_item;

static inline int item_less(const sort_item *a, const sort_item *b, const core *c)
{
    if (a->p != b->p) return a->p < b->p;
    if (a->k0 != b->k0) return a->k0 < b->k0;
    if (a->k1 != b->k1) return a->k1 < b->k1;
    if (c->L->kw <= 16) return 0;
    return rank_cmp(entry_at(c, a->gid), entry_at(c, b->gid), c->L) < 0;
}

static inline void item_swap(sort_item *a, sort_item *b)
{
    sort_item t = *a; *a = *b; *b = t;
}

/* Quicksort in place, no extra memory: pivot the median of three
 * positions drawn from a generator seeded per aggregate, so that no input
 * prepared in advance can make it quadratic; recursion on the smaller
 * side only; insertion sort for short ranges. */
static void item_sort(sort_item *v, size_t n, const core *c, uint64_t *rng)
{
    while (n > 16) {
        size_t x[3];
        for (int k = 0; k < 3; k++) {
            *rng = *rng * 6364136223846793005ULL + 1442695040888963407ULL;
            x[k] = (size_t)(((*rng >> 32) * (uint64_t)n) >> 32);
        }
        if (item_less(&v[x[1]], &v[x[0]], c)) { size_t t = x[0]; x[0] = x[1]; x[1] = t; }
        if (item_less(&v[x[2]], &v[x[1]], c)) {
            x[1] = x[2];
            if (item_less(&v[x[1]], &v[x[0]], c)) x[1] = x[0];
        }
        item_swap(&v[0], &v[x[1]]);
        sort_item pivot = v[0];
        /* Hoare's partition with the pivot first: [0, j] <= pivot <=
         * [j+1, n), and 0 <= j < n - 1, so both sides are non-empty */
        size_t i = 0, j = n;
        for (;;) {
            while (item_less(&v[i], &pivot, c)) i++;
            do j--; while (item_less(&pivot, &v[j], c));
            if (i >= j) break;
            item_swap(&v[i], &v[j]);
            i++;
        }
        if (j + 1 < n - j - 1) {
            item_sort(v, j + 1, c, rng);
            v += j + 1;
            n -= j + 1;
        } else {
            item_sort(v + j + 1, n - j - 1, c, rng);
            n = j + 1;
        }
    }
    for (size_t i = 1; i < n; i++) {
        sort_item t = v[i];
        size_t k = i;
        for (; k > 0 && item_less(&t, &v[k - 1], c); k--) v[k] = v[k - 1];
        v[k] = t;
    }
}

static void make_items(const core *c, sort_item *it)
{
    const layout *L = c->L;
    size_t off = 0;
    int is_time = 0;
    switch (L->order) {
    case AGG_BY_FLOWS: off = offsetof(agg_cnt, flows); break;
    case AGG_BY_PACKETS: off = offsetof(agg_cnt, packets); break;
    case AGG_BY_BYTES: off = offsetof(agg_cnt, bytes); break;
    case AGG_BY_DISTINCT: off = offsetof(agg_cnt, distinct); break;
    case AGG_BY_FIRST: off = offsetof(agg_cnt, first); is_time = 1; break;
    case AGG_BY_LAST: off = offsetof(agg_cnt, last); is_time = 1; break;
    case AGG_BY_KEY: break;
    }
    const uint64_t pflip = L->sign < 0 ? ~0ULL : 0;
    const uint64_t kflip = L->order == AGG_BY_KEY && L->sign < 0 ? ~0ULL : 0;
    for (size_t g = 0; g < c->count; g++) {
        const uint8_t *e = entry_at(c, (uint32_t)g);
        uint64_t p = 0;
        if (L->order != AGG_BY_KEY) {
            p = ld64(e + L->kw + off);
            if (is_time) p ^= 1ULL << 63;
            p ^= pflip;
        }
        it[g].p = p;
        it[g].k0 = get_be(e, 8) ^ kflip;
        it[g].k1 = (L->kw > 8 ? get_be(e + 8, 8) : 0) ^ kflip;
        it[g].gid = (uint32_t)g;
        it[g].pad = 0;
    }
}

/* The table's gids in output order (the slots are freed to make room).
 * Caller frees. */
static uint32_t *sorted_gids(core *c, c2_err *err)
{
    big_free(c->slots, c->nslots * 8);
    c->mem -= c->nslots * 8;
    c->slots = NULL;
    big_free(c->pslots, c->npslots * c->L->psize);
    c->mem -= c->npslots * c->L->psize;
    c->pslots = NULL;
    size_t n = c->count ? c->count : 1;
    /* items when they fit in the budget, else the slower gid sort */
    sort_item *it = NULL;
    if (c->mem + n * sizeof *it <= c->budget) it = malloc(n * sizeof *it);
    if (it) {
        make_items(c, it);
        uint64_t rng = c->a->seed;
        item_sort(it, c->count, c, &rng);
        uint32_t *perm = (uint32_t *)(void *)it;  /* gid i lands in item i/8 */
        for (size_t i = 0; i < c->count; i++) perm[i] = it[i].gid;
        return perm;
    }
    uint32_t *perm = malloc(n * sizeof *perm);
    if (!perm) { c2_fail(err, "aggregate: out of memory"); return NULL; }
    for (size_t g = 0; g < c->count; g++) perm[g] = (uint32_t)g;
    qsort_r(perm, c->count, sizeof *perm, perm_cmp, c);
    return perm;
}

/* heap: root = the worst entry kept */
static int heap_worse(const sink *s, const layout *L, size_t i, size_t j)
{
    return rank_cmp(s->store + (size_t)s->idx[i] * L->esize,
                    s->store + (size_t)s->idx[j] * L->esize, L) > 0;
}

static void heap_down(sink *s, const layout *L, size_t i)
{
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < s->n && heap_worse(s, L, l, m)) m = l;
        if (r < s->n && heap_worse(s, L, r, m)) m = r;
        if (m == i) return;
        uint32_t t = s->idx[i]; s->idx[i] = s->idx[m]; s->idx[m] = t;
        i = m;
    }
}

static int heap_push(sink *s, const layout *L, const uint8_t *e, c2_err *err)
{
    if (s->n < s->limit) {
        if (s->n == s->cap) {
            size_t cap = s->cap ? s->cap * 2 : 64;
            if (cap > s->limit) cap = (size_t)s->limit;
            uint8_t *st = realloc(s->store, cap * L->esize);
            if (!st) return c2_fail(err, "aggregate: out of memory");
            s->store = st;
            uint32_t *ix = realloc(s->idx, cap * sizeof *ix);
            if (!ix) return c2_fail(err, "aggregate: out of memory");
            s->idx = ix;
            s->cap = cap;
        }
        size_t i = s->n++;
        memcpy(s->store + i * L->esize, e, L->esize);
        s->idx[i] = (uint32_t)i;
        while (i > 0) {
            size_t p = (i - 1) / 2;
            if (!heap_worse(s, L, i, p)) break;
            uint32_t t = s->idx[i]; s->idx[i] = s->idx[p]; s->idx[p] = t;
            i = p;
        }
        return 0;
    }
    if (rank_cmp(e, s->store + (size_t)s->idx[0] * L->esize, L) >= 0) return 0;
    memcpy(s->store + (size_t)s->idx[0] * L->esize, e, L->esize);
    heap_down(s, L, 0);
    return 0;
}

static int store_cmp(const void *x, const void *y, void *ctx)
{
    const layout *L = ((const void **)ctx)[0];
    const uint8_t *store = ((const void **)ctx)[1];
    return rank_cmp(store + (size_t)*(const uint32_t *)x * L->esize,
                    store + (size_t)*(const uint32_t *)y * L->esize, L);
}

static int heap_emit(sink *s, const layout *L, emitter *em)
{
    const void *ctx[2] = {L, s->store};
    qsort_r(s->idx, s->n, sizeof *s->idx, store_cmp, (void *)ctx);
    for (size_t i = 0; i < s->n; i++) {
        int r = emit(em, s->store + (size_t)s->idx[i] * L->esize);
        if (r) return r;
    }
    return 0;
}

/* runs: sorted entries, each run contiguous in the sink's run file */

static int runs_add(sink *s, uint64_t off, uint64_t n, c2_err *err)
{
    run *r = grow_array(s->runs, s->nruns, &s->runs_cap, sizeof *r, err);
    if (!r) return -1;
    s->runs = r;
    s->runs[s->nruns++] = (run){off, n};
    return 0;
}

/* Writes one run at the end of the run file. */
typedef struct run_writer { stream st; uint64_t start, n; } run_writer;

static void rw_begin(const sink *s, run_writer *w)
{
    memset(w, 0, sizeof *w);
    w->st.size = WBUF_SIZE;
    w->start = s->tf.fd < 0 ? 0 : s->tf.end;
}

static int rw_end(aggregate *a, sink *s, run_writer *w, c2_err *err)
{
    int rc = st_flush(a, &s->tf, &w->st, err);
    if (rc == 0 && w->n && (w->st.next != 1 || w->st.ext[0].off != w->start))
        rc = c2_fail(err, "aggregate: a run is not contiguous");   /* cannot happen */
    if (rc == 0 && w->n) rc = runs_add(s, w->start, w->n, err);
    st_free(&w->st);
    return rc;
}

typedef struct cursor { reader rd; extent e; const uint8_t *cur; } cursor;

static int cur_next(cursor *c, size_t esize, c2_err *err)
{
    int r = rd_need(&c->rd, esize, err);
    if (r <= 0) { c->cur = NULL; return r; }
    c->cur = c->rd.buf + c->rd.pos;
    c->rd.pos += esize;
    return 1;
}

/* Merge runs[from, from+k) into a new run (w) or, w NULL, into em; then
 * drop them from the list. */
static int merge_runs(aggregate *a, sink *s, size_t from, size_t k,
                      run_writer *w, emitter *em, c2_err *err)
{
    const layout *L = &a->L;
    cursor *cs = calloc(k, sizeof *cs);
    size_t *hp = calloc(k, sizeof *hp);
    int rc = 0;
    size_t nh = 0;
    if (!cs || !hp) { rc = c2_fail(err, "aggregate: out of memory"); goto done; }
    for (size_t i = 0; i < k && rc == 0; i++) {
        cs[i].e = (extent){s->runs[from + i].off, s->runs[from + i].n * L->esize};
        if (rd_open(&cs[i].rd, s->tf.fd, &cs[i].e, 1, err) != 0) { rc = -1; break; }
        int r = cur_next(&cs[i], L->esize, err);
        if (r < 0) { rc = -1; break; }
        if (r == 0) continue;
        size_t j = nh++;            /* into the min-heap of cursors */
        hp[j] = i;
        while (j > 0) {
            size_t p = (j - 1) / 2;
            if (rank_cmp(cs[hp[j]].cur, cs[hp[p]].cur, L) >= 0) break;
            size_t t = hp[j]; hp[j] = hp[p]; hp[p] = t;
            j = p;
        }
    }
    while (rc == 0 && nh > 0) {
        cursor *top = &cs[hp[0]];
        if (w) {
            rc = st_write(a, &s->tf, &w->st, top->cur, L->esize, err);
            w->n++;
        } else {
            if (!em->left) break;
            rc = emit(em, top->cur);
        }
        if (rc) break;
        int r = cur_next(top, L->esize, err);
        if (r < 0) { rc = -1; break; }
        if (r == 0) hp[0] = hp[--nh];
        size_t i = 0;
        for (;;) {
            size_t l = 2 * i + 1, rr = l + 1, m = i;
            if (l < nh && rank_cmp(cs[hp[l]].cur, cs[hp[m]].cur, L) < 0) m = l;
            if (rr < nh && rank_cmp(cs[hp[rr]].cur, cs[hp[m]].cur, L) < 0) m = rr;
            if (m == i) break;
            size_t t = hp[i]; hp[i] = hp[m]; hp[m] = t;
            i = m;
        }
    }
done:
    for (size_t i = 0; cs && i < k; i++) {
        free(cs[i].rd.buf);
        punch(s->tf.fd, &cs[i].e, 1);
    }
    free(cs);
    free(hp);
    memmove(s->runs + from, s->runs + from + k, (s->nruns - from - k) * sizeof *s->runs);
    s->nruns -= k;
    return rc;
}

/* Merge the first MAX_FANIN runs into one, appended to the list. */
static int runs_compact(aggregate *a, sink *s, c2_err *err)
{
    run_writer w;
    rw_begin(s, &w);
    int rc = merge_runs(a, s, 0, MAX_FANIN, &w, NULL, err);
    if (rc) { st_free(&w.st); return -1; }
    return rw_end(a, s, &w, err);
}

/* A finished table: into the heap, or sorted into a run. */
static int sink_table(core *c, sink *s, c2_err *err)
{
    aggregate *a = c->a;
    const layout *L = c->L;
    a->st.groups += c->count;
    if (!c->count) return 0;
    if (s->mode == SINK_HEAP) {
        for (size_t g = 0; g < c->count; g++)
            if (heap_push(s, L, entry_at(c, (uint32_t)g), err) != 0) return -1;
        return 0;
    }
    uint32_t *perm = sorted_gids(c, err);
    if (!perm) return -1;
    run_writer w;
    rw_begin(s, &w);
    int rc = 0;
    for (size_t i = 0; i < c->count && rc == 0; i++) {
        rc = st_write(a, &s->tf, &w.st, entry_at(c, perm[i]), L->esize, err);
        w.n++;
    }
    free(perm);
    if (rc) { st_free(&w.st); return -1; }
    if (rw_end(a, s, &w, err) != 0) return -1;
    if (s->nruns >= MAX_RUNS) return runs_compact(a, s, err);
    return 0;
}

/* Feed one partition file into a fresh core. */
static int load_partition(core *child, int fd, const stream *part, c2_err *err)
{
    const layout *L = child->L;
    const uint64_t seed = child->a->seed;
    reader rd;
    if (rd_open(&rd, fd, part->ext, part->next, err) != 0) return -1;
    uint8_t key[MAX_KEY_BYTES];
    int rc = 0;
    for (;;) {
        int r = rd_need(&rd, 1, err);
        if (r <= 0) { rc = r; break; }
        uint8_t tag = rd.buf[rd.pos];
        size_t len = 1 + L->kw + (tag == 'G' ? CNT_SPILL : L->vw);
        if (tag != 'G' && !(tag == 'P' && L->distinct)) {
            rc = c2_fail(err, "aggregate: a spill file is corrupt");
            break;
        }
        r = rd_need(&rd, len, err);
        if (r != 1) {
            rc = r < 0 ? -1 : c2_fail(err, "aggregate: a spill file ends inside a record");
            break;
        }
        const uint8_t *p = rd.buf + rd.pos + 1;
        rd.pos += len;
        memcpy(key, p, L->kw);
        uint64_t h = hash_key(key, L->words, seed);
        int64_t g = group_find(child, key, h, err);
        if (g < 0) { rc = -1; break; }
        if (tag == 'G') {
            agg_cnt in, *cnt = cnt_at(child, (uint32_t)g);
            memcpy(&in, p + L->kw, CNT_SPILL);
            cnt->flows += in.flows;
            cnt->packets += in.packets;
            cnt->bytes += in.bytes;
            if (in.first < cnt->first) cnt->first = in.first;
            if (in.last > cnt->last) cnt->last = in.last;
        } else if (pair_add(child, (uint32_t)g, key, h, p + L->kw, err) != 0) {
            rc = -1;
            break;
        }
    }
    free(rd.buf);
    return rc;
}

/* A spilled core: spill the rest, then finish each partition alone. */
static int finish_spilled(core *c, sink *s, uint64_t child_budget, c2_err *err)
{
    aggregate *a = c->a;
    if (c->count && spill_all(c, err) != 0) return -1;
    core_drop_table(c);
    for (unsigned p = 0; p < NPART; p++)
        if (st_flush(a, &c->tf, &c->parts[p], err) != 0) return -1;
    for (unsigned p = 0; p < NPART; p++) {
        stream *part = &c->parts[p];
        free(part->buf);
        part->buf = NULL;
        if (!part->bytes) continue;
        if (c->level >= MAX_LEVEL) {
            char b1[32], b2[32], b3[32];
            return c2_fail(err, "aggregate: memory budget of %s is too small: "
                           "after %d rounds of spilling one partition (%s of "
                           "spill data) still does not fit (one group with very "
                           "many distinct values?); raise the budget above %s",
                           c2_bytes_human(a->budget, b1, sizeof b1), MAX_LEVEL,
                           c2_bytes_human(part->bytes, b2, sizeof b2),
                           c2_bytes_human(part->bytes * 4, b3, sizeof b3));
        }
        core child;
        if (core_init(&child, a, c->level + 1, child_budget, err) != 0) {
            core_free(&child);
            return -1;
        }
        int rc = load_partition(&child, c->tf.fd, part, err);
        punch(c->tf.fd, part->ext, part->next);
        st_free(part);
        if (rc == 0)
            rc = child.spilled ? finish_spilled(&child, s, child_budget, err)
                               : sink_table(&child, s, err);
        core_free(&child);
        if (rc) return -1;
    }
    tfile_close(&c->tf);
    return 0;
}

int agg_finish(aggregate *a, agg_row_fn fn, void *arg, c2_err *err)
{
    if (a->finished) return c2_fail(err, "aggregate: finished twice");
    if (a->broken) return c2_fail(err, "aggregate: cannot finish after a failed add");
    a->finished = 1;
    const layout *L = &a->L;
    core *c = &a->top;
    emitter em = {L, fn, arg, a->spec.limit ? a->spec.limit : UINT64_MAX};
    sink s = {0};
    s.limit = a->spec.limit;
    s.tf.fd = -1;
    int rc = 0;
    if (!c->spilled) {
        a->st.groups = c->count;
        if (a->spec.limit && a->spec.limit <= c->count / 4 &&
            a->spec.limit <= a->budget / 2 / (L->esize + 4)) {
            s.mode = SINK_HEAP;
            for (size_t g = 0; g < c->count && rc == 0; g++)
                rc = heap_push(&s, L, entry_at(c, (uint32_t)g), err);
            if (rc == 0) rc = heap_emit(&s, L, &em);
        } else {
            uint32_t *perm = sorted_gids(c, err);
            if (!perm) rc = -1;
            for (size_t i = 0; perm && i < c->count && rc == 0 && em.left; i++)
                rc = emit(&em, entry_at(c, perm[i]));
            free(perm);
        }
    } else {
        uint64_t heap_bytes = a->spec.limit * (uint64_t)(L->esize + 4);
        uint64_t child_budget = a->budget;
        if (a->spec.limit && a->spec.limit <= a->budget / 2 / (L->esize + 4)) {
            s.mode = SINK_HEAP;
            child_budget = a->budget - heap_bytes;
            if (child_budget < min_budget(L)) child_budget = min_budget(L);
        } else {
            s.mode = SINK_RUNS;
        }
        rc = finish_spilled(c, &s, child_budget, err);
        if (rc == 0 && s.mode == SINK_HEAP) rc = heap_emit(&s, L, &em);
        while (rc == 0 && s.mode == SINK_RUNS && s.nruns > MAX_FANIN)
            rc = runs_compact(a, &s, err);
        if (rc == 0 && s.mode == SINK_RUNS && s.nruns)
            rc = merge_runs(a, &s, 0, s.nruns, NULL, &em, err);
    }
    tfile_close(&s.tf);
    free(s.runs);
    free(s.store);
    free(s.idx);
    core_free(c);
    return rc;
}

void agg_free(aggregate *a)
{
    if (!a) return;
    core_free(&a->top);
    free(a);
}

void agg_get_stats(const aggregate *a, agg_stats *st)
{
    *st = a->st;
    st->budget = a->budget;
}
