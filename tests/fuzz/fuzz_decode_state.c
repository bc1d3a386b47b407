/*
 * fuzz_decode_state.c: libFuzzer target for the decoder's saved template
 * state (decoder_load, src/decode/state.c).
 *
 * The state is a file the collector wrote, but files get damaged, so any
 * bytes must load or fail with a one-line reason, never crash, and a
 * failed load must leave the decoder as it was.  A state that loads must
 * survive a round trip: saved, loaded into a new decoder and saved again,
 * the two saves are equal; and both decoders must turn the same data
 * datagrams (built from the loaded templates' own ids) into the same
 * records.  The fuzz build does not compare checksums
 * (FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION), so the body is reached; the
 * replay under the test build checks them.
 *
 * Seeds (tests/fuzz/corpus/fuzz_decode_state/) are states saved by
 * decoders that learned the datagrams of tests/decode/pkt.h.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decode/decode.h"

static void save(const decoder *d, uint8_t **b, size_t *l)
{
    c2_err err;
    if (decoder_save(d, b, l, &err) != 0) abort();
}

/* Records from a data set of template `id` on every domain the state
 * names, for v9 and IPFIX: 64 bytes of a fixed pattern. */
static void same_records(decoder *a, decoder *b, const uint8_t *state, size_t len)
{
    /* first exporter and domain of the state, read the simple way */
    if (len < 16 + 4 + 20 + 24 + 4 + 2) return;
    const uint8_t *p = state + 16;
    if (!(p[0] | p[1] | p[2] | p[3]) || !(p[20] | p[21] | p[22] | p[23])) return;
    flow_addr ex;
    memcpy(ex.b, p + 4, 16);
    const uint8_t *dom = p + 24;
    uint8_t proto = dom[0];
    uint32_t id = dom[4] | dom[5] << 8 | (uint32_t)dom[6] << 16 | (uint32_t)dom[7] << 24;
    uint16_t nsamp = (uint16_t)(dom[20] | dom[21] << 8);
    size_t tat = 16 + 4 + 20 + 24 + 4 + (size_t)nsamp * 12;
    if (len < tat + 2 || !(dom[24 + nsamp * 12] | dom[25 + nsamp * 12])) return;
    uint16_t tid = (uint16_t)(state[tat] | state[tat + 1] << 8);
    uint8_t pkt[20 + 4 + 64];
    memset(pkt, 0, sizeof pkt);
    for (size_t i = 24; i < sizeof pkt; i++) pkt[i] = (uint8_t)(i * 37);
    if (proto == 2) {
        pkt[1] = 9;
        pkt[16] = (uint8_t)(id >> 24); pkt[17] = (uint8_t)(id >> 16);
        pkt[18] = (uint8_t)(id >> 8); pkt[19] = (uint8_t)id;
    } else {
        pkt[1] = 10;
        pkt[3] = 16 + 4 + 64;
        pkt[12] = (uint8_t)(id >> 24); pkt[13] = (uint8_t)(id >> 16);
        pkt[14] = (uint8_t)(id >> 8); pkt[15] = (uint8_t)id;
        memmove(pkt + 16, pkt + 20, 4 + 64);
    }
    size_t set = proto == 2 ? 20 : 16;
    pkt[set] = (uint8_t)(tid >> 8);
    pkt[set + 1] = (uint8_t)tid;
    pkt[set + 3] = 4 + 64;
    size_t n = set + 4 + 64;
    const flow_record *ra, *rb;
    size_t na, nb;
    c2_err err;
    int rca = decoder_decode(a, &ex, pkt, n, 0, &ra, &na, &err);
    flow_record *copy = malloc(na * sizeof *copy + 1);
    if (!copy) abort();
    memcpy(copy, ra, na * sizeof *copy);
    int rcb = decoder_decode(b, &ex, pkt, n, 0, &rb, &nb, &err);
    if (rca != rcb || na != nb || memcmp(copy, rb, na * sizeof *copy)) abort();
    free(copy);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    decoder *d, *d2;
    c2_err err;
    if (decoder_new(NULL, &d, &err) != 0) abort();
    uint8_t *empty, *b1, *b2;
    size_t le, l1, l2;
    save(d, &empty, &le);
    err.msg[0] = '\0';
    if (decoder_load(d, data, size, &err) != 0) {
        if (!err.msg[0] || strchr(err.msg, '\n')) abort();
        save(d, &b1, &l1);
        if (l1 != le || memcmp(b1, empty, le)) abort();    /* untouched */
        free(b1);
    } else {
        save(d, &b1, &l1);
        if (decoder_new(NULL, &d2, &err) != 0) abort();
        if (decoder_load(d2, b1, l1, &err) != 0) abort();
        save(d2, &b2, &l2);
        if (l1 != l2 || memcmp(b1, b2, l1)) abort();
        /* loading the same state twice changes nothing (before any data:
         * an options data record decoded below may announce a sampling
         * interval, which is state, and loading adds to state) */
        if (decoder_load(d2, b1, l1, &err) != 0) abort();
        free(b2);
        save(d2, &b2, &l2);
        if (l1 != l2 || memcmp(b1, b2, l1)) abort();
        same_records(d, d2, b1, l1);
        free(b1);
        free(b2);
        decoder_free(d2);
    }
    free(empty);
    decoder_free(d);
    return 0;
}
