/*
 * fuzz_decode_netflow.c: libFuzzer target for export datagrams
 * (src/decode/: NetFlow v5, v9, IPFIX, sFlow v5).
 *
 * Datagrams come from the network, from anyone who can reach the
 * collector's port, so every byte sequence must decode or fail with a
 * one-line reason, never crash, read out of bounds, grow without bound or
 * corrupt the state kept for later datagrams.  Templates carry state from
 * one datagram to the next, so one input is a whole conversation:
 *
 *   byte 0      bits 0-1: the exporter (UDP source) of the datagrams among
 *               four (two IPv4, one IPv6, loopback); bit 2: apply_sampling
 *               off; bit 3: a sampling override of 7 on that exporter;
 *               bit 4: max_templates 8 instead of 4096
 *   then        datagrams, each a 2-byte big-endian length and that many
 *               bytes (the last one takes what is left)
 *
 * all fed to ONE decoder.  Checked on every datagram: the return value and
 * a one-line message; records have sampling >= 1, exactly 1 without
 * apply_sampling and exactly the override with it, a zero reserved byte,
 * start <= end, the datagram's exporter (the agent for sFlow), the
 * domain the header gives (v5, v9, IPFIX); the counters only grow, by one
 * datagram and by the records returned.  At the end the state is saved,
 * loaded into a new decoder and saved again: the two must be equal.
 *
 * Seeds (tests/fuzz/corpus/fuzz_decode_netflow/) are conversations built
 * with the helpers of tests/decode/pkt.h (v5, v9 with templates, options
 * and data, IPFIX with every time representation, variable-length and
 * enterprise fields, withdrawals, sFlow), grown by libFuzzer.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decode/decode.h"

static const char *const exporters[4] = {"192.0.2.1", "198.51.100.7", "2001:db8::1", "127.0.0.1"};

static uint32_t rd32(const uint8_t *p) { return (uint32_t)p[0] << 24 | p[1] << 16 | p[2] << 8 | p[3]; }

/* The domain a datagram's header gives, or -1 when not known here. */
static int64_t header_domain(const uint8_t *p, size_t n)
{
    if (n >= 24 && p[0] == 0 && p[1] == 5) return p[20] << 8 | p[21];
    if (n >= 20 && p[0] == 0 && p[1] == 9) return rd32(p + 16);
    if (n >= 16 && p[0] == 0 && p[1] == 10) return rd32(p + 12);
    return -1;
}

static void total(const decoder *d, decode_counters *c)
{
    decoder_foreach_exporter(d, NULL, NULL, c);
}

static void check_datagram(decoder *d, const flow_addr *ex, const uint8_t *p, size_t n,
                           int apply, uint32_t override)
{
    decode_counters before, after;
    total(d, &before);
    const flow_record *r;
    size_t k;
    c2_err err;
    err.msg[0] = '\0';
    int rc = decoder_decode(d, ex, p, n, 1767225600000LL, &r, &k, &err);
    if (rc != 0 && rc != -1) abort();
    if (rc == -1 && (!err.msg[0] || strchr(err.msg, '\n'))) abort();
    int sflow = n >= 4 && rd32(p) == 5;
    int64_t dom = header_domain(p, n);
    for (size_t i = 0; i < k; i++) {
        if (r[i].sampling < 1 || r[i].reserved || r[i].start_ms > r[i].end_ms) abort();
        if (!apply && r[i].sampling != 1) abort();
        if (apply && override && r[i].sampling != override) abort();
        if (!sflow && memcmp(r[i].exporter.b, ex->b, 16)) abort();
        if (dom >= 0 && r[i].domain != (uint32_t)dom) abort();
    }
    total(d, &after);
    if (after.packets != before.packets + 1 || after.records != before.records + k ||
        after.bytes != before.bytes + n || after.malformed < before.malformed ||
        after.malformed > before.malformed + 1 || after.templates < before.templates ||
        after.no_template < before.no_template || after.other < before.other)
        abort();
}

static void check_state(const decoder *d, const decode_options *o)
{
    uint8_t *b1 = NULL, *b2 = NULL;
    size_t l1, l2;
    c2_err err;
    decoder *d2;
    if (decoder_save(d, &b1, &l1, &err) != 0) abort();
    if (decoder_state_changed(d)) abort();
    if (decoder_new(o, &d2, &err) != 0) abort();
    if (decoder_load(d2, b1, l1, &err) != 0) abort();
    if (decoder_save(d2, &b2, &l2, &err) != 0) abort();
    if (l1 != l2 || memcmp(b1, b2, l1)) abort();
    free(b1);
    free(b2);
    decoder_free(d2);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) return 0;
    uint8_t ctl = data[0];
    decode_options o;
    decode_options_default(&o);
    o.apply_sampling = !(ctl & 4);
    if (ctl & 16) o.max_templates = 8;
    decoder *d;
    c2_err err;
    if (decoder_new(&o, &d, &err) != 0) abort();
    flow_addr ex;
    if (flow_addr_parse(exporters[ctl & 3], &ex) != 0) abort();
    uint32_t override = 0;
    if (ctl & 8) {
        override = 7;
        if (decoder_set_sampling_override(d, &ex, override) != 0) abort();
    }
    size_t at = 1;
    while (at < size) {
        size_t n = size - at < 2 ? 0 : (size_t)(data[at] << 8 | data[at + 1]);
        at += size - at < 2 ? size - at : 2;
        if (n > size - at) n = size - at;
        /* an exact-size copy, so that reads past the datagram are caught */
        uint8_t *p = malloc(n ? n : 1);
        if (!p) abort();
        memcpy(p, data + at, n);
        /* sFlow records carry their agent, which an override names */
        check_datagram(d, &ex, p, n, o.apply_sampling, n >= 4 && rd32(p) == 5 ? 0 : override);
        free(p);
        at += n;
    }
    /* whatever still waits for a template counts, once, and no more */
    decode_counters before, after, again;
    total(d, &before);
    decoder_drop_pending(d);
    total(d, &after);
    decoder_drop_pending(d);
    total(d, &again);
    if (after.no_template < before.no_template || memcmp(&after, &again, sizeof after)) abort();
    check_state(d, &o);
    decoder_free(d);
    return 0;
}
