/*
 * ring.h: INTERNAL to src/collect/.  A single-producer, single-consumer
 * byte ring of datagrams between the receiver thread and the worker.
 *
 * Entries are variable-length, so the ring holds as many datagrams as its
 * bytes allow (a 1,400-byte NetFlow packet costs 1,432 bytes, not a 64 KiB
 * slot).  Each entry is a 32-byte header then the datagram, padded to 8:
 *
 *    0  4  datagram length (RING_WRAP: skip to the start of the ring)
 *    4  4  reserved
 *    8  8  receive time, ms since epoch
 *   16 16  source address (flow_addr)
 *   32  .  datagram bytes
 *
 * An entry never straddles the end: when it does not fit, the producer
 * writes a RING_WRAP mark and starts again at offset 0.  head and tail are
 * byte counts that only grow; the producer owns head, the consumer tail.
 */
#ifndef C2FLOW_COLLECT_RING_H
#define C2FLOW_COLLECT_RING_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "flow/flow.h"

#define RING_WRAP UINT32_MAX
#define RING_HEADER 32

typedef struct ring {
    uint8_t *buf;
    size_t   cap;                   /* bytes; a multiple of 8 */
    _Atomic uint64_t head;          /* written by the producer */
    _Atomic uint64_t tail;          /* written by the consumer */
} ring;

typedef struct ring_entry {
    const uint8_t *data;
    uint32_t       len;
    int64_t        time_ms;
    flow_addr      from;
} ring_entry;

int  ring_init(ring *r, size_t cap);
void ring_free(ring *r);
/* Producer: copy one datagram in; 0, or -1 when it does not fit now. */
int  ring_push(ring *r, const void *data, uint32_t len, int64_t time_ms,
               const flow_addr *from);
/* Consumer: look at the next entry without consuming it; 1 or 0 (empty).
 * *pos is the consumer's private cursor, starting at ring_tail(). */
int  ring_peek(ring *r, uint64_t *pos, ring_entry *e);
/* Consumer: release everything before pos to the producer. */
void ring_release(ring *r, uint64_t pos);
uint64_t ring_tail(ring *r);

#endif
