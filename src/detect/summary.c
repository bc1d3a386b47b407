/*
 * summary.c: a day summary as bytes, and the summary files (detect_impl.h).
 *
 * A file is "C2FGSUMZ", the length of the raw form (u64), then the raw form
 * compressed as one zstd frame with its content checksum (c2_zframe_pack).  The raw form,
 * all little-endian:
 *
 *   "C2FGSUM1" fingerprint:u64 from:i64 to:i64 records:u64 oriented:u64
 *   damaged:u64 n_active:u32 active[n_active]:u32
 *   n_host:u32 n_dest:u32 n_edge:u32
 *   host  x n_host: addr[16] syn_samples syn_fresh:u32 syn_packets syn_bytes:u64
 *                   syn_first syn_last:i64 port[3]:u16 port_n[3]:u32
 *                   intel_hits bursts:u32 heavy:u8
 *   dest  x n_dest: ip[16] port:u16 proto flags:u8 flows syn_flows:u32
 *                   packets bytes:u64 first last:i64 n:u8 clients[n]:u32
 *   edge  x n_edge: host dest flows:u32 packets:u64 first last:i64
 *
 * The files are ours, but they sit on disk, so the reader trusts nothing:
 * every count is checked against the bytes left before anything is
 * allocated, every index against its table, every sketch for order, the
 * times the window subtracts against the day, and the checksum catches
 * the damage those checks cannot see (a flipped counter or address, which
 * would otherwise load as another day).
 */
#include "detect/detect_impl.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>

#define RAW_MAGIC "C2FGSUM1"
#define FILE_MAGIC "C2FGSUMZ"
#define HOST_BYTES 83
#define DEST_MIN_BYTES 61
#define EDGE_BYTES 36

/* ---- writing ---- */

typedef struct wbuf { uint8_t *p; size_t n, cap; int failed; } wbuf;

static uint8_t *room(wbuf *w, size_t n)
{
    if (w->failed) return NULL;
    if (w->n + n > w->cap) {
        size_t cap = w->cap ? w->cap * 2 : 4096;
        while (cap < w->n + n) cap *= 2;
        uint8_t *p = realloc(w->p, cap);
        if (!p) { w->failed = 1; return NULL; }
        w->p = p;
        w->cap = cap;
    }
    uint8_t *at = w->p + w->n;
    w->n += n;
    return at;
}

static void put_u8(wbuf *w, uint8_t v) { uint8_t *p = room(w, 1); if (p) *p = v; }
static void put_u16(wbuf *w, uint16_t v) { uint8_t *p = room(w, 2); if (p) c2_put16(p, v); }
static void put_u32(wbuf *w, uint32_t v) { uint8_t *p = room(w, 4); if (p) c2_put32(p, v); }
static void put_u64(wbuf *w, uint64_t v) { uint8_t *p = room(w, 8); if (p) c2_put64(p, v); }
static void put_raw(wbuf *w, const void *v, size_t n) { uint8_t *p = room(w, n); if (p) memcpy(p, v, n); }

static void put_sketch(wbuf *w, const dsketch *s, int wide)
{
    if (wide) put_u32(w, s->n);
    else put_u8(w, (uint8_t)s->n);
    const uint32_t *v = dsketch_vals(s);
    for (uint32_t i = 0; i < s->n; i++) put_u32(w, v[i]);
}

static void put_day(wbuf *w, const dday *d)
{
    put_raw(w, RAW_MAGIC, 8);
    put_u64(w, d->fingerprint);
    put_u64(w, (uint64_t)d->from);
    put_u64(w, (uint64_t)d->to);
    put_u64(w, d->records);
    put_u64(w, d->oriented);
    put_u64(w, d->damaged);
    put_sketch(w, &d->active, 1);
    put_u32(w, d->n_host);
    put_u32(w, d->n_dest);
    put_u32(w, d->n_edge);
    for (uint32_t i = 0; i < d->n_host; i++) {
        const dd_host *h = &d->host[i];
        put_raw(w, h->addr.b, 16);
        put_u32(w, h->syn_samples);
        put_u32(w, h->syn_fresh);
        put_u64(w, h->syn_packets);
        put_u64(w, h->syn_bytes);
        put_u64(w, (uint64_t)h->syn_first);
        put_u64(w, (uint64_t)h->syn_last);
        for (int j = 0; j < 3; j++) put_u16(w, h->port[j]);
        for (int j = 0; j < 3; j++) put_u32(w, h->port_n[j]);
        put_u32(w, h->intel_hits);
        put_u32(w, h->bursts);
        put_u8(w, h->heavy);
    }
    for (uint32_t i = 0; i < d->n_dest; i++) {
        const dd_dest *s = &d->dest[i];
        put_raw(w, s->ip.b, 16);
        put_u16(w, s->port);
        put_u8(w, s->proto);
        put_u8(w, s->flags);
        put_u32(w, s->flows);
        put_u32(w, s->syn_flows);
        put_u64(w, s->packets);
        put_u64(w, s->bytes);
        put_u64(w, (uint64_t)s->first);
        put_u64(w, (uint64_t)s->last);
        put_sketch(w, &s->clients, 0);
    }
    for (uint32_t i = 0; i < d->n_edge; i++) {
        const dd_edge *e = &d->edge[i];
        put_u32(w, e->host);
        put_u32(w, e->dest);
        put_u32(w, e->flows);
        put_u64(w, e->packets);
        put_u64(w, (uint64_t)e->first);
        put_u64(w, (uint64_t)e->last);
    }
}

int summary_encode(const dday *d, uint8_t **buf, size_t *len, c2_err *err)
{
    wbuf w = {0};
    put_day(&w, d);
    int rc = w.failed ? c2_fail(err, "out of memory")
                      : c2_zframe_pack(FILE_MAGIC, w.p, w.n, buf, len, err);
    free(w.p);
    return rc;
}

/* ---- reading ---- */

typedef struct rbuf { const uint8_t *p; size_t n, at; } rbuf;

static int has(const rbuf *r, size_t n) { return r->n - r->at >= n; }
static uint8_t get_u8(rbuf *r) { return r->p[r->at++]; }
static uint16_t get_u16(rbuf *r) { uint16_t v = c2_get16(r->p + r->at); r->at += 2; return v; }
static uint32_t get_u32(rbuf *r) { uint32_t v = c2_get32(r->p + r->at); r->at += 4; return v; }
static uint64_t get_u64(rbuf *r) { uint64_t v = c2_get64(r->p + r->at); r->at += 8; return v; }

static int get_sketch(rbuf *r, dsketch *s, uint32_t n, uint32_t k, c2_err *err)
{
    uint32_t v[DSKETCH_ACTIVE];
    if (n > k || n > DSKETCH_ACTIVE || !has(r, 4ull * n))
        return c2_fail(err, "sketch of %u values: too many or truncated", n);
    for (uint32_t i = 0; i < n; i++) {
        v[i] = get_u32(r);
        if (i && v[i] <= v[i - 1]) return c2_fail(err, "sketch values out of order");
    }
    if (dsketch_merge(s, v, n, k) < 0) return c2_fail(err, "out of memory");
    return 0;
}

static int get_hosts(rbuf *r, dday *d, c2_err *err)
{
    if (d->n_host && !has(r, (size_t)d->n_host * HOST_BYTES))
        return c2_fail(err, "truncated in the hosts");
    d->host = calloc(d->n_host + 1, sizeof *d->host);
    if (!d->host) return c2_fail(err, "out of memory");
    d->cap_host = d->n_host + 1;
    for (uint32_t i = 0; i < d->n_host; i++) {
        dd_host *h = &d->host[i];
        memcpy(h->addr.b, r->p + r->at, 16);
        r->at += 16;
        h->syn_samples = get_u32(r);
        h->syn_fresh = get_u32(r);
        h->syn_packets = get_u64(r);
        h->syn_bytes = get_u64(r);
        h->syn_first = (int64_t)get_u64(r);
        h->syn_last = (int64_t)get_u64(r);
        for (int j = 0; j < 3; j++) h->port[j] = get_u16(r);
        for (int j = 0; j < 3; j++) h->port_n[j] = get_u32(r);
        h->intel_hits = get_u32(r);
        h->bursts = get_u32(r);
        h->heavy = get_u8(r);
        /* the window takes the span of a host's probes (last - first):
         * inside the piece, so that it cannot overflow */
        if (h->syn_samples && !(d->from <= h->syn_first && h->syn_first <= h->syn_last &&
                                h->syn_last <= d->to))
            return c2_fail(err, "host %u: probes outside the summary's time range", i);
    }
    return 0;
}

static int get_dests(rbuf *r, dday *d, c2_err *err)
{
    uint32_t n = d->n_dest;
    d->n_dest = 0;              /* until the array exists: dday_free walks it */
    if (n && !has(r, (size_t)n * DEST_MIN_BYTES))
        return c2_fail(err, "truncated in the servers");
    d->dest = calloc(n + 1, sizeof *d->dest);
    if (!d->dest) return c2_fail(err, "out of memory");
    d->n_dest = n;
    d->cap_dest = d->n_dest + 1;
    for (uint32_t i = 0; i < d->n_dest; i++) {
        dd_dest *s = &d->dest[i];
        if (!has(r, DEST_MIN_BYTES)) {
            d->n_dest = i;
            return c2_fail(err, "truncated in server %u", i);
        }
        memcpy(s->ip.b, r->p + r->at, 16);
        r->at += 16;
        s->port = get_u16(r);
        s->proto = get_u8(r);
        s->flags = get_u8(r);
        s->flows = get_u32(r);
        s->syn_flows = get_u32(r);
        s->packets = get_u64(r);
        s->bytes = get_u64(r);
        s->first = (int64_t)get_u64(r);
        s->last = (int64_t)get_u64(r);
        if (get_sketch(r, &s->clients, get_u8(r), DSKETCH_CLIENTS, err) < 0) {
            d->n_dest = i + 1;
            return -1;
        }
    }
    return 0;
}

static int get_edges(rbuf *r, dday *d, c2_err *err)
{
    if (d->n_edge && !has(r, (size_t)d->n_edge * EDGE_BYTES))
        return c2_fail(err, "truncated in the edges");
    d->edge = calloc(d->n_edge + 1, sizeof *d->edge);
    if (!d->edge) return c2_fail(err, "out of memory");
    d->cap_edge = d->n_edge + 1;
    for (uint32_t i = 0; i < d->n_edge; i++) {
        dd_edge *e = &d->edge[i];
        e->host = get_u32(r);
        e->dest = get_u32(r);
        e->flows = get_u32(r);
        e->packets = get_u64(r);
        e->first = (int64_t)get_u64(r);
        e->last = (int64_t)get_u64(r);
        if (e->host >= d->n_host || e->dest >= d->n_dest)
            return c2_fail(err, "edge %u points outside the tables", i);
    }
    return 0;
}

static int get_day(rbuf *r, dday *d, c2_err *err)
{
    if (!has(r, 8 + 6 * 8 + 4) || memcmp(r->p, RAW_MAGIC, 8) != 0)
        return c2_fail(err, "not a day summary");
    r->at = 8;
    d->fingerprint = get_u64(r);
    d->from = (int64_t)get_u64(r);
    d->to = (int64_t)get_u64(r);
    d->records = get_u64(r);
    d->oriented = get_u64(r);
    d->damaged = get_u64(r);
    if (d->to <= d->from) return c2_fail(err, "empty or reversed time range");
    if ((uint64_t)d->to - (uint64_t)d->from > C2_MS_PER_DAY)
        return c2_fail(err, "a time range of more than a day");
    if (get_sketch(r, &d->active, get_u32(r), DSKETCH_ACTIVE, err) < 0) return -1;
    if (!has(r, 12)) return c2_fail(err, "truncated after the active hosts");
    d->n_host = get_u32(r);
    uint32_t n_dest = get_u32(r);
    d->n_edge = get_u32(r);
    if (get_hosts(r, d, err) < 0) return -1;
    d->n_dest = n_dest;         /* get_dests keeps it 0 until the array exists */
    if (get_dests(r, d, err) < 0 || get_edges(r, d, err) < 0) return -1;
    if (r->at != r->n) return c2_fail(err, "%zu bytes after the end", r->n - r->at);
    return 0;
}

int summary_decode(const uint8_t *buf, size_t len, dday *d, c2_err *err)
{
    memset(d, 0, sizeof *d);
    uint8_t *p;
    size_t raw;
    if (len < 8 || memcmp(buf, FILE_MAGIC, 8) != 0)
        return c2_fail(err, "not a c2flow day summary");
    if (c2_zframe_unpack(FILE_MAGIC, buf, len, SUMMARY_MAX_BYTES, &p, &raw, err) != 0)
        return -1;
    rbuf r = {p, raw, 0};
    int rc = get_day(&r, d, err);
    free(p);
    if (rc < 0) dday_free(d);
    return rc;
}

/* ---- files ---- */

static int day_path(const char *dir, int64_t day_ms, char *path, size_t len, c2_err *err)
{
    return c2_day_path(dir, "graph", "sum", day_ms, path, len, err);
}

int summary_load(const char *dir, int64_t day_ms, uint64_t fingerprint, dday *d,
                 c2_err *err)
{
    char path[PATH_MAX];
    uint8_t *buf;
    size_t len;
    if (day_path(dir, day_ms, path, sizeof path, err) < 0) return -1;
    int rc = c2_file_read(path, SUMMARY_MAX_BYTES, &buf, &len, err);
    if (rc <= 0) return rc;
    rc = summary_decode(buf, len, d, err);
    free(buf);
    if (rc < 0) {
        c2_err_prefix(err, "%s", path);
        return -1;
    }
    if (d->fingerprint != fingerprint || d->from != day_ms) {
        dday_free(d);
        return 0;
    }
    return 1;
}

int summary_save(const char *dir, int64_t day_ms, const dday *d, c2_err *err)
{
    char path[PATH_MAX];
    uint8_t *buf;
    size_t len;
    if (day_path(dir, day_ms, path, sizeof path, err) < 0 || c2_mkdir_p(dir, C2_PRIVATE, err) < 0 ||
        summary_encode(d, &buf, &len, err) < 0)
        return -1;
    int rc = c2_file_replace(path, buf, len, C2_PRIVATE, err);
    free(buf);
    return rc;
}

int summary_expire(const char *dir, int64_t before_ms, c2_err *err)
{
    return c2_day_files_expire(dir, "graph", "sum", before_ms, err);
}
