/*
 * ring.c: the datagram ring between receiver and worker (see ring.h).
 *
 * Ordering: the producer writes an entry, then publishes it by a release
 * store of head; the consumer reads head with acquire before touching the
 * bytes.  The consumer gives bytes back by a release store of tail after it
 * is done with them (it may keep several entries in hand first, to touch
 * the shared counter once per batch).
 */
#include "collect/ring.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "util/util.h"

static size_t pad8(size_t n) { return (n + 7) & ~(size_t)7; }

/* The ring's pages are mapped in at start (MAP_POPULATE): otherwise the
 * first pass of the receiver over the ring takes a page fault every 4 KiB,
 * about 5 % of the collector's CPU until the ring has gone round once. */
int ring_init(ring *r, size_t cap)
{
    r->cap = cap & ~(size_t)7;
    if (r->cap < 2 * (RING_HEADER + 65536)) r->cap = 2 * (RING_HEADER + 65536);
    void *p = mmap(NULL, r->cap, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
    r->buf = p == MAP_FAILED ? NULL : p;
    atomic_init(&r->head, 0);
    atomic_init(&r->tail, 0);
    return r->buf ? 0 : -1;
}

void ring_free(ring *r)
{
    if (r->buf) munmap(r->buf, r->cap);
    r->buf = NULL;
}

int ring_push(ring *r, const void *data, uint32_t len, int64_t time_ms,
              const flow_addr *from)
{
    uint64_t head = atomic_load_explicit(&r->head, memory_order_relaxed);
    uint64_t tail = atomic_load_explicit(&r->tail, memory_order_acquire);
    size_t need = RING_HEADER + pad8(len);
    size_t off = (size_t)(head % r->cap);
    size_t skip = off + need > r->cap ? r->cap - off : 0;
    if (r->cap - (size_t)(head - tail) < skip + need) return -1;
    if (skip) {
        c2_put32(r->buf + off, RING_WRAP);
        head += skip;
        off = 0;
    }
    uint8_t *p = r->buf + off;
    c2_put32(p, len);
    c2_put32(p + 4, 0);
    c2_put64(p + 8, (uint64_t)time_ms);
    memcpy(p + 16, from->b, 16);
    memcpy(p + RING_HEADER, data, len);
    atomic_store_explicit(&r->head, head + need, memory_order_release);
    return 0;
}

int ring_peek(ring *r, uint64_t *pos, ring_entry *e)
{
    uint64_t head = atomic_load_explicit(&r->head, memory_order_acquire);
    for (;;) {
        if (*pos == head) return 0;
        size_t off = (size_t)(*pos % r->cap);
        const uint8_t *p = r->buf + off;
        uint32_t len = c2_get32(p);
        if (len == RING_WRAP) {
            *pos += r->cap - off;
            continue;
        }
        e->len = len;
        e->time_ms = (int64_t)c2_get64(p + 8);
        memcpy(e->from.b, p + 16, 16);
        e->data = p + RING_HEADER;
        *pos += RING_HEADER + pad8(len);
        return 1;
    }
}

void ring_release(ring *r, uint64_t pos)
{
    atomic_store_explicit(&r->tail, pos, memory_order_release);
}

uint64_t ring_tail(ring *r)
{
    return atomic_load_explicit(&r->tail, memory_order_relaxed);
}
