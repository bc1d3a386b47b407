/*
 * ring.c: the chunked datagram queue between receiver and worker (see
 * ring.h for the layout and the ordering rules).
 */
#include "collect/ring.h"

#include <stdlib.h>
#include <string.h>

#include "util/util.h"

static size_t pad8(size_t n) { return (n + 7) & ~(size_t)7; }

int ring_init(ring *r, size_t bytes)
{
    memset(r, 0, sizeof *r);
    size_t n = bytes / RING_CHUNK;
    if (n < 2) n = 2;
    if (n > (1u << 24)) n = 1u << 24;
    uint32_t slots = 2;
    while (slots < n) slots *= 2;
    r->max_chunks = (uint32_t)n;
    r->mask = slots - 1;
    r->chunk = calloc(n, sizeof *r->chunk);
    r->used = calloc(n, sizeof *r->used);
    r->stack = calloc(n, sizeof *r->stack);
    r->full = calloc(slots, sizeof *r->full);
    r->back = calloc(slots, sizeof *r->back);
    r->open = r->cur = -1;
    atomic_init(&r->full_head, 0);
    atomic_init(&r->back_head, 0);
    atomic_init(&r->allocated, 0);
    atomic_init(&r->bytes_in, 0);
    atomic_init(&r->bytes_out, 0);
    if (r->chunk && r->used && r->stack && r->full && r->back) return 0;
    ring_free(r);
    return -1;
}

void ring_free(ring *r)
{
    uint32_t n = r->chunk ? atomic_load(&r->allocated) : 0;
    for (uint32_t i = 0; i < n; i++) free(r->chunk[i]);
    free(r->chunk);
    free(r->used);
    free(r->stack);
    free(r->full);
    free(r->back);
    memset(r, 0, sizeof *r);
    r->open = r->cur = -1;
}

size_t ring_allocated(const ring *r)
{
    return (size_t)atomic_load_explicit(&r->allocated, memory_order_relaxed) * RING_CHUNK;
}

size_t ring_backlog(const ring *r)
{
    uint64_t out = atomic_load_explicit(&r->bytes_out, memory_order_relaxed);
    uint64_t in = atomic_load_explicit(&r->bytes_in, memory_order_relaxed);
    return in > out ? (size_t)(in - out) : 0;
}

/* ---- producer ---- */

/* A chunk to fill: the one given back last (still in the cache), else a
 * new one while the queue may grow; -1 when every chunk is in use. */
static int64_t take_chunk(ring *r)
{
    uint32_t head = atomic_load_explicit(&r->back_head, memory_order_acquire);
    for (; r->back_tail != head; r->back_tail++)
        r->stack[r->nstack++] = r->back[r->back_tail & r->mask];
    if (r->nstack) return r->stack[--r->nstack];
    uint32_t n = atomic_load_explicit(&r->allocated, memory_order_relaxed);
    if (n == r->max_chunks) return -1;
    uint8_t *p = malloc(RING_CHUNK);
    if (!p) return -1;
    r->chunk[n] = p;
    atomic_store_explicit(&r->allocated, n + 1, memory_order_relaxed);
    return n;
}

void ring_flush(ring *r)
{
    if (r->open < 0 || r->open_used == 0) return;
    uint32_t head = atomic_load_explicit(&r->full_head, memory_order_relaxed);
    r->used[r->open] = r->open_used;
    r->full[head & r->mask] = (uint32_t)r->open;
    r->in += r->open_used;
    atomic_store_explicit(&r->bytes_in, r->in, memory_order_relaxed);
    atomic_store_explicit(&r->full_head, head + 1, memory_order_release);
    r->open = -1;
}

int ring_push(ring *r, const void *data, uint32_t len, int64_t time_ms,
              const flow_addr *from)
{
    if (len > RING_MAX_DATAGRAM) return -1;
    size_t need = RING_HEADER + pad8(len);
    if (r->open >= 0 && r->open_used + need > RING_CHUNK) ring_flush(r);
    if (r->open < 0) {
        if ((r->open = take_chunk(r)) < 0) return -1;
        r->open_used = 0;
    }
    uint8_t *p = r->chunk[r->open] + r->open_used;
    c2_put32(p, len);
    c2_put32(p + 4, 0);
    c2_put64(p + 8, (uint64_t)time_ms);
    memcpy(p + 16, from->b, 16);
    memcpy(p + RING_HEADER, data, len);
    r->open_used += (uint32_t)need;
    return 0;
}

/* ---- consumer ---- */

int ring_peek(ring *r, ring_entry *e)
{
    for (;;) {
        if (r->cur < 0) {
            uint32_t head = atomic_load_explicit(&r->full_head, memory_order_acquire);
            if (r->full_tail == head) return 0;
            r->cur = r->full[r->full_tail++ & r->mask];
            r->cur_off = 0;
        }
        if (r->cur_off >= r->used[r->cur]) {
            r->cur = -1;                /* read to its end: released later */
            continue;
        }
        const uint8_t *p = r->chunk[r->cur] + r->cur_off;
        e->len = c2_get32(p);
        e->time_ms = (int64_t)c2_get64(p + 8);
        memcpy(e->from.b, p + 16, 16);
        e->data = p + RING_HEADER;
        r->cur_off += RING_HEADER + (uint32_t)pad8(e->len);
        r->out += RING_HEADER + pad8(e->len);
        return 1;
    }
}

void ring_release(ring *r)
{
    /* published chunks [released, full_tail) have been taken; the last of
     * them is still being read unless cur was left at its end (then it is
     * let go here: once given back its `used` belongs to the producer) */
    if (r->cur >= 0 && r->cur_off >= r->used[r->cur]) r->cur = -1;
    uint32_t upto = r->full_tail - (r->cur >= 0);
    if (upto == r->released) return;
    uint32_t head = atomic_load_explicit(&r->back_head, memory_order_relaxed);
    for (; r->released != upto; r->released++)
        r->back[head++ & r->mask] = r->full[r->released & r->mask];
    atomic_store_explicit(&r->back_head, head, memory_order_release);
    atomic_store_explicit(&r->bytes_out, r->out, memory_order_relaxed);
}
