/*
 * decode_bench.c: how fast src/decode turns NetFlow v9 datagrams into
 * flow_records.
 *
 * The datagrams are those bench/nfblast sends: the records of src/synth
 * (same parameters and seed), one v9 source id per synthetic router, the
 * IPv4 template 256 (57-byte records) and IPv6 template 257 (81 bytes),
 * data packets filled up to a 1500-byte MTU with one data FlowSet padded
 * to 4 bytes, a template packet first and then every -T data packets.
 * They are built in memory beforehand (not timed), each tagged with its
 * router's address as the UDP source, and then decoded by one decoder, in
 * order, -r times over; the best pass is reported, as CPU time (the
 * process's, so it counts only the decoder's work) per record.
 *
 * The first pass is checked: every decoded record must equal, byte for
 * byte, the synth record it was built from (sampling 1: synth stamps 1
 * and the datagrams announce nothing, so the decoder stores 1), and the
 * decoder must count no loss, no malformed datagram and no record without
 * a template.
 *
 * Budget: the collector may spend about 136 ns of CPU per record for
 * receive + decode + store; decoding should take well under 30 of them.
 *
 * Output: a few lines for people and one "RESULT key=value ..." line.
 * Exit 0, 1 when a check fails, 2 on usage.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "decode/decode.h"
#include "synth/synth.h"

#define MAX_PAYLOAD 1464            /* as nfblast: 1500 MTU - IPv6 - UDP */
#define V9_HEADER 20
#define V4_RECORD 57
#define V6_RECORD 81

/* nfblast's template fields; the first two are {27,16} {28,16} for IPv6 */
static const uint16_t tmpl_fields[][2] = {
    {8, 4}, {12, 4}, {7, 2}, {11, 2}, {32, 2}, {4, 1}, {6, 1}, {5, 1}, {2, 8}, {1, 8},
    {22, 4}, {21, 4}, {10, 4}, {14, 4}, {16, 4}, {17, 4},
};
#define TMPL_NFIELDS (sizeof tmpl_fields / sizeof tmpl_fields[0])

typedef struct packet {
    uint32_t router;                /* index of the router (UDP source) */
    uint16_t len, count;
    uint8_t  buf[MAX_PAYLOAD];
} packet;

typedef struct router {
    uint32_t seq;
    int64_t  boot_ms;
    uint64_t since_template;
    int      templated;
    packet   open[2];               /* IPv4, IPv6 data packet being filled */
    int64_t  newest_end[2];
} router;

typedef struct build {
    packet  *pk;                    /* finished packets */
    size_t   n, cap;
    router  *rt;
    uint64_t template_every;
} build;


static double cpu_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static packet *next_packet(build *b)
{
    if (b->n == b->cap) {
        b->cap = b->cap ? 2 * b->cap : 1024;
        b->pk = realloc(b->pk, b->cap * sizeof *b->pk);
        if (!b->pk) { fprintf(stderr, "decode_bench: out of memory\n"); exit(1); }
    }
    return &b->pk[b->n++];
}

static void put_header(packet *pk, router *r, uint32_t source, int64_t export_ms)
{
    uint8_t *p = c2_put_be16(pk->buf, 9);
    p = c2_put_be16(p, pk->count);
    p = c2_put_be32(p, (uint32_t)(export_ms - r->boot_ms));
    p = c2_put_be32(p, (uint32_t)(export_ms / 1000));
    p = c2_put_be32(p, r->seq++);
    c2_put_be32(p, source);
}

static void template_packet(build *b, uint32_t ri, int64_t export_ms)
{
    packet *pk = next_packet(b);
    uint8_t *p = pk->buf + V9_HEADER, *set = p;
    p = c2_put_be16(c2_put_be16(p, 0), 0);
    for (uint16_t t = 256; t <= 257; t++) {
        p = c2_put_be16(c2_put_be16(p, t), TMPL_NFIELDS);
        for (size_t i = 0; i < TMPL_NFIELDS; i++) {
            int v6 = t == 257 && i < 2;
            p = c2_put_be16(p, v6 ? (uint16_t)(27 + i) : tmpl_fields[i][0]);
            p = c2_put_be16(p, v6 ? 16 : tmpl_fields[i][1]);
        }
    }
    c2_put_be16(set + 2, (uint16_t)(p - set));
    pk->len = (uint16_t)(p - pk->buf);
    pk->count = 2;
    pk->router = ri;
    put_header(pk, &b->rt[ri], ri + 1, export_ms);
    b->rt[ri].templated = 1;
}

static void finish_packet(build *b, uint32_t ri, int fam)
{
    router *r = &b->rt[ri];
    packet *open = &r->open[fam];
    if (!open->count) return;
    int64_t export_ms = (r->newest_end[fam] / 1000 + 1) * 1000;
    if (!r->templated || r->since_template >= b->template_every) {
        template_packet(b, ri, export_ms);
        r->since_template = 0;
    }
    while (open->len % 4) open->buf[open->len++] = 0;
    c2_put_be16(open->buf + V9_HEADER + 2, (uint16_t)(open->len - V9_HEADER));
    put_header(open, r, ri + 1, export_ms);
    open->router = ri;
    *next_packet(b) = *open;
    r->since_template++;
    open->count = 0;
}

static void add_record(build *b, const flow_record *rec)
{
    uint32_t ri = rec->domain - 1;
    router *r = &b->rt[ri];
    int fam = !flow_addr_is_v4(&rec->src_addr);
    size_t rec_len = fam ? V6_RECORD : V4_RECORD;
    packet *pk = &r->open[fam];
    if (pk->count && pk->len + rec_len > MAX_PAYLOAD - 3) finish_packet(b, ri, fam);
    if (!pk->count) {
        pk->len = V9_HEADER + 4;
        c2_put_be16(pk->buf + V9_HEADER, fam ? 257 : 256);
        r->newest_end[fam] = rec->end_ms;
    }
    uint8_t *p = pk->buf + pk->len;
    if (fam) {
        memcpy(p, rec->src_addr.b, 16);
        memcpy(p + 16, rec->dst_addr.b, 16);
        p += 32;
    } else {
        memcpy(p, rec->src_addr.b + 12, 4);
        memcpy(p + 4, rec->dst_addr.b + 12, 4);
        p += 8;
    }
    p = c2_put_be16(p, rec->src_port);
    p = c2_put_be16(p, rec->dst_port);
    p = c2_put_be16(p, rec->proto == 1 || rec->proto == 58 ? rec->dst_port : 0);
    *p++ = rec->proto;
    *p++ = rec->tcp_flags;
    *p++ = rec->tos;
    p = c2_put_be64(p, rec->packets);
    p = c2_put_be64(p, rec->bytes);
    p = c2_put_be32(p, (uint32_t)(rec->start_ms - r->boot_ms));
    p = c2_put_be32(p, (uint32_t)(rec->end_ms - r->boot_ms));
    p = c2_put_be32(p, rec->in_if);
    p = c2_put_be32(p, rec->out_if);
    p = c2_put_be32(p, rec->src_as);
    p = c2_put_be32(p, rec->dst_as);
    pk->len = (uint16_t)(p - pk->buf);
    pk->count++;
    if (rec->end_ms > r->newest_end[fam]) r->newest_end[fam] = rec->end_ms;
}

/* Records in datagram order, as the decoder must give them back. */
static flow_record *expected_order(const build *b, const flow_record *recs, size_t n,
                                   size_t *out_n)
{
    /* replay: the packets hold the records of each (router, family) in
     * generation order, so walk the packets and take from per-stream
     * cursors */
    flow_record *exp = malloc(n * sizeof *exp);
    size_t *cur = calloc(2 * SYNTH_MAX_EXPORTERS, sizeof *cur);
    if (!exp || !cur) { fprintf(stderr, "decode_bench: out of memory\n"); exit(1); }
    size_t k = 0;
    for (size_t i = 0; i < b->n; i++) {
        const packet *pk = &b->pk[i];
        uint16_t set = (uint16_t)(pk->buf[V9_HEADER] << 8 | pk->buf[V9_HEADER + 1]);
        if (set == 0) continue;
        int fam = set == 257;
        size_t *c = &cur[2 * pk->router + (size_t)fam];
        for (uint16_t j = 0; j < pk->count; j++) {
            while (*c < n && (recs[*c].domain - 1 != pk->router ||
                              (!flow_addr_is_v4(&recs[*c].src_addr)) != fam)) (*c)++;
            exp[k++] = recs[(*c)++];
        }
    }
    free(cur);
    *out_n = k;
    return exp;
}

#define RECV_BATCH 64                /* datagrams per recvmmsg */

/* Copy datagrams i.. of b into the receive buffer; how many. */
static size_t copy_batch(packet *rbuf, const build *b, size_t i)
{
    size_t m = b->n - i < RECV_BATCH ? b->n - i : RECV_BATCH;
    for (size_t j = 0; j < m; j++) {
        const packet *pk = &b->pk[i + j];
        rbuf[j].router = pk->router;
        rbuf[j].len = pk->len;
        memcpy(rbuf[j].buf, pk->buf, pk->len);
    }
    return m;
}

/* The k records decoded at position got must equal the expected ones. */
static int check(const flow_record *out, size_t k, const flow_record *exp, size_t nexp,
                 size_t got)
{
    for (size_t j = 0; j < k; j++)
        if (got + j >= nexp || memcmp(&out[j], &exp[got + j], sizeof *out)) {
            fprintf(stderr, "decode_bench: record %zu differs\n", got + j);
            return 1;
        }
    return 0;
}

int main(int argc, char **argv)
{
    uint64_t n = 1000000, reps = 5, template_every = 1000;
    int c;
    while ((c = getopt(argc, argv, "n:r:T:h")) != -1) {
        switch (c) {
        case 'n': if (c2_u64_parse(optarg, 100000000, &n) || !n) goto usage; break;
        case 'r': if (c2_u64_parse(optarg, 1000, &reps) || !reps) goto usage; break;
        case 'T': if (c2_u64_parse(optarg, UINT32_MAX, &template_every) || !template_every) goto usage; break;
        default: goto usage;
        }
    }
    synth_params sp;
    synth_params_default(&sp);
    sp.start_ms = 1767225600000LL;
    synth g;
    c2_err err;
    if (synth_init(&g, &sp, &err) != 0) { fprintf(stderr, "decode_bench: %s\n", err.msg); return 1; }
    flow_record *recs = malloc(n * sizeof *recs);
    build b = {.template_every = template_every};
    b.rt = calloc(sp.exporters, sizeof *b.rt);
    if (!recs || !b.rt) { fprintf(stderr, "decode_bench: out of memory\n"); return 1; }
    synth_next(&g, recs, n);
    for (uint32_t e = 0; e < sp.exporters; e++)
        b.rt[e].boot_ms = sp.start_ms - 86400000LL - (int64_t)e * 3600000LL;
    for (size_t i = 0; i < n; i++) add_record(&b, &recs[i]);
    for (uint32_t e = 0; e < sp.exporters; e++)
        for (int fam = 0; fam < 2; fam++) finish_packet(&b, e, fam);
    flow_addr *src = malloc(sp.exporters * sizeof *src);
    for (uint32_t e = 0; e < sp.exporters; e++) synth_exporter_addr(e, &src[e]);
    size_t nexp;
    flow_record *exp = expected_order(&b, recs, n, &nexp);

    /* A collector decodes each datagram right after recvmmsg copied it
     * into its receive buffer, so the bytes are in cache: each pass copies
     * batches of RECV_BATCH datagrams into such a buffer and decodes them
     * there.  A pass that only copies is timed too and subtracted. */
    packet *rbuf = malloc(RECV_BATCH * sizeof *rbuf);
    if (!rbuf) { fprintf(stderr, "decode_bench: out of memory\n"); return 1; }
    double best = 1e30, best_copy = 1e30;
    int bad = 0;
    uint64_t bytes = 0;
    for (size_t i = 0; i < b.n; i++) bytes += b.pk[i].len;
    for (uint64_t rep = 0; rep < reps; rep++) {
        double t0 = cpu_s();
        for (size_t i = 0; i < b.n; i += RECV_BATCH)
            copy_batch(rbuf, &b, i);
        double tc = cpu_s() - t0;
        if (tc < best_copy) best_copy = tc;

        decoder *d;
        if (decoder_new(NULL, &d, &err) != 0) { fprintf(stderr, "decode_bench: %s\n", err.msg); return 1; }
        size_t got = 0;
        t0 = cpu_s();
        for (size_t i = 0; i < b.n; i += RECV_BATCH) {
            size_t m = copy_batch(rbuf, &b, i);
            for (size_t j = 0; j < m; j++) {
                const flow_record *out;
                size_t k;
                const packet *pk = &rbuf[j];
                if (decoder_decode(d, &src[pk->router], pk->buf, pk->len, 0, &out, &k, &err) != 0) {
                    fprintf(stderr, "decode_bench: %s\n", err.msg);
                    bad = 1;
                }
                if (rep == 0) bad |= check(out, k, exp, nexp, got);
                got += k;
            }
        }
        double t = cpu_s() - t0;
        decode_counters tot;
        decoder_foreach_exporter(d, NULL, NULL, &tot);
        if (got != n || tot.records != n || tot.lost_packets || tot.malformed || tot.no_template) {
            fprintf(stderr, "decode_bench: %zu records of %" PRIu64 ", lost %" PRIu64
                    ", malformed %" PRIu64 ", no template %" PRIu64 "\n",
                    got, n, tot.lost_packets, tot.malformed, tot.no_template);
            bad = 1;
        }
        if (rep > 0 && t < best) best = t;      /* pass 0 also checks */
        if (reps == 1) best = t;
        decoder_free(d);
    }
    best -= best_copy;
    free(rbuf);
    double ns = best * 1e9 / (double)n;
    printf("decode_bench: %" PRIu64 " synth records in %zu NetFlow v9 datagrams "
           "(%.1f records each, %.1f MB), best of %" PRIu64 " passes\n",
           n, b.n, (double)n / (double)b.n, (double)bytes / 1e6, reps);
    printf("  copying into the receive buffer (subtracted): %.1f ns per record\n",
           best_copy * 1e9 / (double)n);
    printf("  decode: %.1f ns CPU per record, %.2f M records/s, %.0f MB/s; "
           "%.0f%% of the 30 ns budget\n", ns, 1e3 / ns, (double)bytes / best / 1e6, ns / 30 * 100);
    printf("  check: %s\n", bad ? "FAILED" : "every record equal to its synth record");
    printf("RESULT records=%" PRIu64 " datagrams=%zu ns_per_record=%.2f records_per_s=%.0f ok=%d\n",
           n, b.n, ns, 1e9 / ns, !bad);
    free(exp);
    free(src);
    free(b.pk);
    free(b.rt);
    free(recs);
    synth_free(&g);
    return bad;
usage:
    fprintf(stderr, "usage: decode_bench [-n RECORDS] [-r PASSES] [-T PACKETS]\n");
    return 2;
}
