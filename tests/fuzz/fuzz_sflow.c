/*
 * fuzz_sflow.c: libFuzzer target for sFlow v5 datagrams (src/sflow/).
 *
 * Datagrams come from the network, from anyone who can reach the
 * collector's port, so every byte sequence must parse or fail with a
 * one-line "sflow: ... offset N" message, never crash or read out of
 * bounds.  The input is the datagram; it is parsed from an exact-size
 * copy, and then:
 *
 *  - every delivered sample is self-consistent: ip_length within
 *    [20, 65535 + 40]; VLAN within 12 bits; ports only for TCP, UDP and
 *    SCTP, src_port 0 for ICMP and ICMPv6 (type and code in dst_port),
 *    TCP flags only for TCP; no interface reads as 0x3FFFFFFF;
 *  - the callback sees the datagram header it was given, never more
 *    samples than the header announces, and the stats agree with it:
 *    a clean parse accounts for every announced sample exactly;
 *  - a callback that stops at sample k (k drawn from a hash of the input)
 *    makes sflow_parse return its value after exactly k samples;
 *  - a parse without a callback gives the same result and stats;
 *  - a strict prefix of a datagram that parsed cleanly is rejected, and
 *    the samples delivered from it are the first ones of the whole.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sflow/sflow.h"

#define MAX_KEEP 64
#define STOP_RC  9

typedef struct run {
    const sflow_datagram *dg;       /* the header sflow_parse was given */
    sflow_flow_sample     s[MAX_KEEP];
    uint32_t              n;        /* samples delivered */
    uint32_t              stop_at;  /* answer STOP_RC at this one; 0 never */
} run;

static int has_ports(uint8_t proto)
{
    return proto == 6 || proto == 17 || proto == 132;
}

static void check_sample(const sflow_flow_sample *s)
{
    if (s->ip_length < 20 || s->ip_length > 65535 + 40) abort();
    if (s->vlan > 0x0FFF) abort();
    if (s->tcp_flags && s->proto != 6) abort();
    if (s->proto == 1 || s->proto == 58) {
        if (s->src_port != 0) abort();
    } else if (!has_ports(s->proto) && (s->src_port || s->dst_port)) {
        abort();
    }
    if (s->input_if == 0x3FFFFFFF || s->output_if == 0x3FFFFFFF) abort();
}

static int on_sample(const sflow_datagram *dg, const sflow_flow_sample *s, void *arg)
{
    run *r = arg;
    if (dg != r->dg) abort();
    check_sample(s);
    if (r->n < MAX_KEEP) memcpy(&r->s[r->n], s, sizeof *s);
    r->n++;
    if (r->n > dg->samples) abort();
    return r->stop_at && r->n == r->stop_at ? STOP_RC : 0;
}

static int parse(const uint8_t *data, size_t size, uint32_t stop_at, run *r,
                 sflow_datagram *dg, sflow_parse_stats *st, c2_err *err)
{
    uint8_t *copy = malloc(size ? size : 1);
    if (!copy) abort();
    memcpy(copy, data, size);
    memset(r, 0, sizeof *r);
    r->dg = dg;
    r->stop_at = stop_at;
    int rc = sflow_parse(copy, size, dg, st, on_sample, r, err);
    free(copy);
    return rc;
}

static void check_error(int rc, const c2_err *err)
{
    if (rc != -1) return;
    if (strncmp(err->msg, "sflow: ", 7) != 0 || !strstr(err->msg, "offset") ||
        strchr(err->msg, '\n'))
        abort();
}

static uint32_t hash(const uint8_t *data, size_t size)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < size; i++) h = (h ^ data[i]) * 16777619u;
    return h;
}

/* A prefix of a clean datagram: rejected, delivering the first samples. */
static void check_prefix(const uint8_t *data, size_t size, const run *whole, uint32_t h)
{
    static run r;
    sflow_datagram dg;
    sflow_parse_stats st;
    c2_err err;
    size_t cut = (h >> 8) % size;
    if (parse(data, cut, 0, &r, &dg, &st, &err) != -1) abort();
    check_error(-1, &err);
    if (r.n > whole->n) abort();
    for (uint32_t i = 0; i < r.n && i < MAX_KEEP; i++)
        if (memcmp(&r.s[i], &whole->s[i], sizeof r.s[i]) != 0) abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static run r;
    sflow_datagram dg, dg2;
    sflow_parse_stats st, st2;
    c2_err err;
    uint32_t h = hash(data, size);

    int rc = parse(data, size, 0, &r, &dg, &st, &err);
    if (rc != 0 && rc != -1) abort();
    check_error(rc, &err);
    uint64_t seen = (uint64_t)st.flow_samples + st.counter_samples +
                    st.non_ip_samples + st.other_samples;
    if (st.flow_samples != r.n || seen > dg.samples) abort();
    if (rc == 0 && seen != dg.samples) abort();

    /* the same without a callback */
    if (sflow_parse(data, size, &dg2, &st2, NULL, NULL, &err) != rc) abort();
    if (memcmp(&st, &st2, sizeof st) != 0 || memcmp(&dg, &dg2, sizeof dg) != 0) abort();

    if (rc == 0 && size > 0) check_prefix(data, size, &r, h);

    /* stopping at sample k */
    uint32_t k = r.n ? h % r.n + 1 : 0;
    if (k) {
        static run stopped;
        if (parse(data, size, k, &stopped, &dg2, &st2, &err) != STOP_RC) abort();
        if (stopped.n != k || st2.flow_samples != k) abort();
    }
    return 0;
}
