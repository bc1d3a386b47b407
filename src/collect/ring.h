/*
 * ring.h: INTERNAL to src/collect/.  The queue of datagrams between the
 * receiver thread (the producer) and the worker (the consumer).
 *
 * Datagrams are packed into chunks of RING_CHUNK bytes.  The producer
 * fills one chunk, publishes it (when it is full, or when ring_flush() is
 * called after each wake of the receiver), and takes a free one; the
 * consumer reads published chunks in order and gives them back.  Chunks
 * are allocated on first need, up to the queue's size in bytes, and a free
 * chunk is reused newest first: while the worker keeps up only a few
 * chunks go round, and they stay in the cache, where a ring of the
 * queue's whole size would write every datagram to memory that has not
 * been touched for a long while (a cache miss per line, 10-15 % of the
 * collector's CPU), and would hold the whole queue resident from the
 * start.  A backlog still grows to the full queue before anything drops.
 *
 * Each entry is a 32-byte header then the datagram, padded to 8:
 *
 *    0  4  datagram length
 *    4  4  reserved
 *    8  8  receive time, ms since epoch
 *   16 16  source address (flow_addr)
 *   32  .  datagram bytes
 *
 * Ordering: the producer writes a chunk, then publishes its number by a
 * release store of full_head; the consumer reads full_head with acquire
 * before touching the chunk.  Given-back chunks go the other way through
 * `back` the same way.  There are never more chunks than either index
 * ring has slots, so neither ring can overflow.
 */
#ifndef C2FLOW_COLLECT_RING_H
#define C2FLOW_COLLECT_RING_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "flow/flow.h"

#define RING_HEADER 32
#define RING_CHUNK (256u * 1024)        /* holds the largest UDP datagram */
#define RING_MAX_DATAGRAM 65536u

typedef struct ring {
    uint32_t  max_chunks;               /* the queue's bytes / RING_CHUNK */
    uint32_t  mask;                     /* index rings: a power of two - 1 */
    uint8_t **chunk;                    /* [max_chunks], NULL until needed */
    uint32_t *used;                     /* [max_chunks] bytes, set before publishing */
    uint32_t *full;                     /* chunk numbers, producer -> consumer */
    uint32_t *back;                     /* chunk numbers, consumer -> producer */
    _Atomic uint32_t full_head, back_head;
    _Atomic uint32_t allocated;         /* chunks allocated (the producer writes) */
    _Atomic uint64_t bytes_in, bytes_out; /* published, released: for ring_backlog */

    /* the producer's own */
    uint32_t *stack;                    /* free chunks, the newest on top */
    uint32_t  nstack, back_tail;
    int64_t   open;                     /* chunk being filled, -1 none */
    uint32_t  open_used;
    uint64_t  in;                       /* bytes published */

    /* the consumer's own */
    uint32_t  full_tail;                /* next published chunk to read */
    uint32_t  released;                 /* published chunks given back */
    int64_t   cur;                      /* chunk being read, -1 none */
    uint32_t  cur_off;
    uint64_t  out;                      /* bytes read */
} ring;

typedef struct ring_entry {
    const uint8_t *data;
    uint32_t       len;
    int64_t        time_ms;
    flow_addr      from;
} ring_entry;

/* A queue of at most `bytes` (at least two chunks); nothing is allocated
 * for the datagrams until they come.  0, or -1 when out of memory. */
int  ring_init(ring *r, size_t bytes);
void ring_free(ring *r);
/* Bytes of chunks allocated so far (the queue's memory), and bytes of
 * datagrams published and not yet released (the backlog): from any
 * thread, a moment's value. */
size_t ring_allocated(const ring *r);
size_t ring_backlog(const ring *r);

/* Producer: copy one datagram (at most RING_MAX_DATAGRAM bytes) in; 0, or
 * -1 when the queue is full (or a chunk cannot be allocated). */
int  ring_push(ring *r, const void *data, uint32_t len, int64_t time_ms,
               const flow_addr *from);
/* Producer: publish what the chunk being filled holds. */
void ring_flush(ring *r);

/* Consumer: the next entry, 1, or 0 when nothing published is left.  The
 * entry's bytes stay valid until ring_release(). */
int  ring_peek(ring *r, ring_entry *e);
/* Consumer: give back every chunk read to its end. */
void ring_release(ring *r);

#endif
