/*
 * test_ring.c: the chunked datagram queue between the collector's receiver
 * and its worker (src/collect/ring.h): order and bytes kept across chunks,
 * a full queue refuses and recovers, chunks are reused newest first (so a
 * steady stream touches a few chunks, not the whole queue), and one
 * producer thread with one consumer thread lose and reorder nothing.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "collect/ring.h"

/* Datagram number i: its length and bytes follow from i alone. */
static uint32_t dgram_len(uint32_t i)
{
    static const uint32_t lens[] = {1, 7, 8, 9, 100, 1464, 1500, 9000, 65536, 0};
    return i % 97 == 96 ? lens[(i / 97) % 10] : 20 + (i * 37) % 1500;
}

static void dgram_fill(uint32_t i, uint8_t *buf, uint32_t len)
{
    for (uint32_t k = 0; k < len; k++) buf[k] = (uint8_t)(i * 31 + k * 7);
}

static int dgram_check(uint32_t i, const ring_entry *e)
{
    if (e->len != dgram_len(i) || e->time_ms != (int64_t)i * 3) return 0;
    if (!flow_addr_is_v4(&e->from) || flow_addr_v4(&e->from) != i) return 0;
    for (uint32_t k = 0; k < e->len; k++)
        if (e->data[k] != (uint8_t)(i * 31 + k * 7)) return 0;
    return 1;
}

static int push(ring *r, uint32_t i)
{
    static uint8_t buf[RING_MAX_DATAGRAM];
    uint32_t len = dgram_len(i);
    flow_addr from;
    flow_addr_from_v4(&from, i);
    dgram_fill(i, buf, len);
    return ring_push(r, buf, len, (int64_t)i * 3, &from);
}

/* Entries come out in order with their bytes, across chunk ends, flushed
 * or not, whatever the consumer holds before releasing. */
static void test_order_and_bytes(void **state)
{
    (void)state;
    ring r;
    assert_int_equal(ring_init(&r, 64u << 20), 0);
    ring_entry e;
    assert_int_equal(ring_peek(&r, &e), 0);
    uint32_t next_in = 0, next_out = 0;
    for (int round = 0; round < 200; round++) {
        uint32_t n = 1 + (uint32_t)(round * 13) % 300;
        for (uint32_t k = 0; k < n; k++) assert_int_equal(push(&r, next_in++), 0);
        if (round % 3) ring_flush(&r);
        uint32_t take = round % 5 == 0 ? UINT32_MAX : 1 + (uint32_t)round % 40;
        for (uint32_t k = 0; k < take && ring_peek(&r, &e); k++)
            assert_true(dgram_check(next_out++, &e));
        ring_release(&r);
    }
    ring_flush(&r);
    while (ring_peek(&r, &e)) assert_true(dgram_check(next_out++, &e));
    ring_release(&r);
    assert_int_equal(next_out, next_in);
    ring_free(&r);
}

/* Nothing unflushed is seen; a flush of nothing publishes no chunk.  The
 * backlog is what was published and not yet released. */
static void test_flush(void **state)
{
    (void)state;
    ring r;
    ring_entry e;
    assert_int_equal(ring_init(&r, 4u << 20), 0);
    assert_int_equal(ring_allocated(&r), 0);
    ring_flush(&r);
    assert_int_equal(ring_peek(&r, &e), 0);
    assert_int_equal(push(&r, 5), 0);
    assert_int_equal(push(&r, 6), 0);
    assert_int_equal(ring_backlog(&r), 0);
    assert_int_equal(ring_peek(&r, &e), 0);
    ring_flush(&r);
    size_t two = 2 * RING_HEADER + ((dgram_len(5) + 7) & ~7u) + ((dgram_len(6) + 7) & ~7u);
    assert_int_equal(ring_backlog(&r), two);
    assert_int_equal(ring_allocated(&r), RING_CHUNK);
    assert_int_equal(ring_peek(&r, &e), 1);
    assert_true(dgram_check(5, &e));
    assert_int_equal(ring_backlog(&r), two);       /* not released yet */
    assert_int_equal(ring_peek(&r, &e), 1);
    assert_true(dgram_check(6, &e));
    assert_int_equal(ring_peek(&r, &e), 0);
    ring_release(&r);
    assert_int_equal(ring_backlog(&r), 0);
    ring_free(&r);
}

/* A full queue refuses, loses nothing it took, and takes again once the
 * consumer gives chunks back; too long a datagram is refused. */
static void test_full(void **state)
{
    (void)state;
    ring r;
    assert_int_equal(ring_init(&r, 3 * RING_CHUNK), 0);
    uint8_t big[RING_MAX_DATAGRAM + 1] = {0};
    flow_addr a;
    flow_addr_from_v4(&a, 1);
    assert_int_equal(ring_push(&r, big, RING_MAX_DATAGRAM + 1, 0, &a), -1);
    uint32_t in = 0;
    while (push(&r, in) == 0) in++;
    size_t held = 0;
    for (uint32_t i = 0; i < in; i++) held += RING_HEADER + ((dgram_len(i) + 7) & ~7u);
    assert_true(held > 2 * RING_CHUNK);
    assert_true(held <= 3 * RING_CHUNK);
    assert_int_equal(ring_allocated(&r), 3 * RING_CHUNK);
    ring_flush(&r);
    ring_entry e;
    uint32_t out = 0;
    while (ring_peek(&r, &e)) assert_true(dgram_check(out++, &e));
    assert_int_equal(out, in);
    assert_int_equal(push(&r, in), -1);          /* nothing given back yet */
    ring_release(&r);
    assert_int_equal(push(&r, in), 0);
    ring_flush(&r);
    assert_int_equal(ring_peek(&r, &e), 1);
    assert_true(dgram_check(in, &e));
    ring_release(&r);
    ring_free(&r);
}

/* A backlog grows the queue; after it, a steady stream the consumer keeps
 * up with goes round in the one chunk given back last (still in the
 * cache), not through all of them; a second backlog reuses the chunks. */
static void test_reuse_newest_first(void **state)
{
    (void)state;
    ring r;
    assert_int_equal(ring_init(&r, 256u << 20), 0);
    uint32_t in = 0, out = 0;
    ring_entry e;
    for (int k = 0; k < 5000; k++) assert_int_equal(push(&r, in++), 0);
    ring_flush(&r);
    size_t grown = ring_allocated(&r);
    assert_true(grown >= 8 * RING_CHUNK);
    while (ring_peek(&r, &e)) assert_true(dgram_check(out++, &e));
    ring_release(&r);
    const uint8_t *used = NULL;
    for (int round = 0; round < 2000; round++) {
        for (int k = 0; k < 40; k++) assert_int_equal(push(&r, in++), 0);
        ring_flush(&r);
        assert_int_equal(ring_peek(&r, &e), 1);
        assert_true(dgram_check(out++, &e));
        if (round) assert_ptr_equal(e.data, used);
        used = e.data;
        while (ring_peek(&r, &e)) assert_true(dgram_check(out++, &e));
        ring_release(&r);
    }
    assert_int_equal(ring_allocated(&r), grown);
    for (int k = 0; k < 5000; k++) assert_int_equal(push(&r, in++), 0);
    ring_flush(&r);
    assert_true(ring_allocated(&r) <= grown + RING_CHUNK);  /* not twice grown */
    while (ring_peek(&r, &e)) assert_true(dgram_check(out++, &e));
    ring_release(&r);
    assert_int_equal(out, in);
    ring_free(&r);
}

/* One producer thread, one consumer thread, a queue small enough to fill:
 * every datagram the producer got in comes out once, in order, intact. */
enum { THREAD_DGRAMS = 300000 };

typedef struct shared {
    ring             r;
    _Atomic int      done;
    _Atomic uint32_t pushed;
} shared;

static void *producer(void *arg)
{
    shared *s = arg;
    for (uint32_t i = 0; i < THREAD_DGRAMS;) {
        if (push(&s->r, i) == 0) {
            i++;
            if (i % 50 == 0) ring_flush(&s->r);
        } else {
            ring_flush(&s->r);
            sched_yield();
        }
    }
    ring_flush(&s->r);
    atomic_store(&s->pushed, THREAD_DGRAMS);
    atomic_store(&s->done, 1);
    return NULL;
}

static void test_threads(void **state)
{
    (void)state;
    shared *s = calloc(1, sizeof *s);
    assert_non_null(s);
    assert_int_equal(ring_init(&s->r, 4 * RING_CHUNK), 0);
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, producer, s), 0);
    uint32_t out = 0, bad = 0;
    for (;;) {
        int done = atomic_load(&s->done);
        ring_entry e;
        int got = 0;
        while (got < 100 && ring_peek(&s->r, &e)) {
            bad += !dgram_check(out++, &e);
            got++;
        }
        ring_release(&s->r);
        if (!got && done) break;
    }
    pthread_join(t, NULL);
    assert_int_equal(bad, 0);
    assert_int_equal(out, THREAD_DGRAMS);
    ring_free(&s->r);
    free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_order_and_bytes),
        cmocka_unit_test(test_flush),
        cmocka_unit_test(test_full),
        cmocka_unit_test(test_reuse_newest_first),
        cmocka_unit_test(test_threads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
