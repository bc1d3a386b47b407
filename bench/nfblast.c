/*
 * nfblast.c: c2flow's own NetFlow v9 exporter, for benchmarks.
 *
 * Sends the records of src/synth (same parameters and seed, so the same
 * records that `c2flow synth` and bench/store_bench write into a store) as
 * NetFlow v9 (RFC 3954) over UDP to a collector on the loopback interface,
 * at a paced rate or flat out, and prints one RESULT line with what it sent
 * and the ground truth a collector's store can be checked against.  Only
 * loopback destinations are accepted: a benchmark must never spray flows
 * at a real network.
 *
 * Export model: each synthetic router (record.domain = 1..E) is one v9
 * source id with its own sequence numbers (packets sent by that source
 * id, template packets included), its own boot time, and its own open data
 * packets, one per address family.  Data packets are filled up to a
 * 1500-byte MTU and carry one data flowset; a template packet with both
 * templates goes first and then every -T data packets of that source id.
 *
 * Times: the header's unix_secs is the whole second after the newest
 * record's end, and sysUptime = that instant - boot time, so the collector's
 * boot = unix_secs * 1000 - sysUptime is exact to the millisecond and
 * FIRST/LAST_SWITCHED map back to the records' exact start and end.
 *
 * Packet layout (all fields big-endian):
 *
 *   header (20 B)  | version=9 (2) | count (2)        | sysUptime ms (4) |
 *                  | unix_secs (4) | sequence (4)     | source id (4)    |
 *   template set   | id=0 (2) | length (2) | { template id (2) | field count (2) |
 *                  |   { type (2) | length (2) } x count } x 2 templates   |
 *   data set       | id=256|257 (2) | length (2) | records... | pad to 4 |
 *
 *   template 256 (IPv4, 57 B/record) and 257 (IPv6, 81 B/record), in order:
 *     [8] IPV4_SRC_ADDR 4  or [27] IPV6_SRC_ADDR 16
 *     [12] IPV4_DST_ADDR 4 or [28] IPV6_DST_ADDR 16
 *     [7] L4_SRC_PORT 2, [11] L4_DST_PORT 2, [32] ICMP_TYPE 2, [4] PROTOCOL 1,
 *     [6] TCP_FLAGS 1, [5] SRC_TOS 1, [2] IN_PKTS 8, [1] IN_BYTES 8,
 *     [22] FIRST_SWITCHED 4, [21] LAST_SWITCHED 4, [10] INPUT_SNMP 4,
 *     [14] OUTPUT_SNMP 4, [16] SRC_AS 4, [17] DST_AS 4
 *   ICMP type<<8|code goes both in L4_DST_PORT, as flow_record keeps it and
 *   many routers send it, and in ICMP_TYPE (0 for other protocols), which is
 *   where nfcapd 1.7 looks for it (it zeroes the port of ICMP flows that lack
 *   element 32).
 *
 * Pacing: records are generated a slice of about a millisecond at a time;
 * before sending a slice the program sleeps (clock_nanosleep, absolute
 * CLOCK_MONOTONIC) until the slice is due, so it never spins.  Packets go
 * out with sendmmsg, up to 64 per call, on a connected socket.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "synth/synth.h"
#include "util/util.h"

#define MAX_PAYLOAD 1464            /* 1500 MTU - IPv6 40 - UDP 8, rounded down */
#define V9_HEADER 20
#define SET_HEADER 4
#define V4_RECORD 57
#define V6_RECORD 81
#define TEMPLATE_V4 256
#define TEMPLATE_V6 257
#define SEND_BATCH 64               /* packets per sendmmsg */
#define MAX_SLICE 4096              /* records generated per slice */
#define QUEUE_MAX 1024              /* packets waiting to be sent */

/* The fields of both templates; the address fields differ by family. */
static const uint16_t tmpl_fields[][2] = {
    {8, 4}, {12, 4},                /* replaced by {27,16} {28,16} for IPv6 */
    {7, 2}, {11, 2}, {32, 2}, {4, 1}, {6, 1}, {5, 1}, {2, 8}, {1, 8},
    {22, 4}, {21, 4}, {10, 4}, {14, 4}, {16, 4}, {17, 4},
};
#define TMPL_NFIELDS (sizeof tmpl_fields / sizeof tmpl_fields[0])

typedef struct packet {
    uint8_t  buf[MAX_PAYLOAD];
    size_t   len;                   /* bytes used */
    uint16_t count;                 /* records in it */
    int64_t  newest_end;            /* latest record end, ms */
} packet;

typedef struct exporter {
    uint32_t source_id;             /* record.domain */
    uint32_t seq;                   /* export packets sent so far */
    int64_t  boot_ms;               /* sysUptime 0 */
    uint64_t since_template;        /* data packets since the last template */
    int      templated;             /* a template packet has gone out */
    packet   open[2];               /* [0] IPv4, [1] IPv6 data packet */
} exporter;

typedef struct blaster {
    int       fd;
    exporter *ex;
    uint32_t  n_ex;
    uint64_t  template_every;
    packet   *queue;                /* finished packets, QUEUE_MAX */
    size_t    queued;
    /* what was sent */
    uint64_t  packets, data_packets, template_packets, bytes, send_errors;
    /* ground truth of the records */
    uint64_t  records, v6_records, dport23, sum_packets, sum_bytes;
} blaster;

static inline uint8_t *be16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; return p + 2; }
static inline uint8_t *be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24); p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8); p[3] = (uint8_t)v;
    return p + 4;
}
static inline uint8_t *be64(uint8_t *p, uint64_t v) { return be32(be32(p, (uint32_t)(v >> 32)), (uint32_t)v); }

static double mono_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* ---- sending ---- */

static void flush_queue(blaster *b)
{
    struct mmsghdr msgs[SEND_BATCH];
    struct iovec iov[SEND_BATCH];
    size_t done = 0;
    while (done < b->queued) {
        unsigned n = (unsigned)(b->queued - done < SEND_BATCH ? b->queued - done : SEND_BATCH);
        memset(msgs, 0, sizeof msgs[0] * n);
        for (unsigned i = 0; i < n; i++) {
            iov[i].iov_base = b->queue[done + i].buf;
            iov[i].iov_len = b->queue[done + i].len;
            msgs[i].msg_hdr.msg_iov = &iov[i];
            msgs[i].msg_hdr.msg_iovlen = 1;
        }
        int sent = sendmmsg(b->fd, msgs, n, 0);
        if (sent < 0) {
            if (errno == EINTR) continue;
            /* ECONNREFUSED: no collector is listening (the kernel reports
             * an earlier refused datagram); skip this packet, count it */
            b->send_errors++;
            done++;
            continue;
        }
        for (int i = 0; i < sent; i++) b->bytes += b->queue[done + (size_t)i].len;
        done += (size_t)sent;
    }
    b->queued = 0;
}

static packet *queue_slot(blaster *b)
{
    if (b->queued == QUEUE_MAX) flush_queue(b);
    return &b->queue[b->queued++];
}

/* Header of an export packet from e at export time `export_ms`. */
static void put_header(packet *pk, exporter *e, uint16_t count, int64_t export_ms)
{
    uint8_t *p = pk->buf;
    p = be16(p, 9);
    p = be16(p, count);
    p = be32(p, (uint32_t)(export_ms - e->boot_ms));
    p = be32(p, (uint32_t)(export_ms / 1000));
    p = be32(p, e->seq++);
    be32(p, e->source_id);
}

/* A packet's export time: the whole second after its newest record ends. */
static int64_t export_time(int64_t newest_end_ms)
{
    return (newest_end_ms / 1000 + 1) * 1000;
}

static void send_template(blaster *b, exporter *e, int64_t export_ms)
{
    packet *pk = queue_slot(b);
    uint8_t *p = pk->buf + V9_HEADER, *set = p;
    p = be16(p, 0);                         /* template flowset */
    p = be16(p, 0);                         /* length, below */
    for (int fam = 0; fam < 2; fam++) {
        p = be16(p, fam ? TEMPLATE_V6 : TEMPLATE_V4);
        p = be16(p, (uint16_t)TMPL_NFIELDS);
        for (size_t i = 0; i < TMPL_NFIELDS; i++) {
            uint16_t type = tmpl_fields[i][0], len = tmpl_fields[i][1];
            if (fam && i == 0) { type = 27; len = 16; }
            if (fam && i == 1) { type = 28; len = 16; }
            p = be16(p, type);
            p = be16(p, len);
        }
    }
    be16(set + 2, (uint16_t)(p - set));
    pk->len = (size_t)(p - pk->buf);
    put_header(pk, e, 2, export_ms);
    b->packets++;
    b->template_packets++;
    e->templated = 1;
}

/* Close e's open packet of family fam and queue it (after a template
 * packet when one is due). */
static void finish_packet(blaster *b, exporter *e, int fam)
{
    packet *open = &e->open[fam];
    if (!open->count) return;
    int64_t export_ms = export_time(open->newest_end);
    if (!e->templated || e->since_template >= b->template_every) {
        send_template(b, e, export_ms);
        e->since_template = 0;
    }
    while (open->len % 4) open->buf[open->len++] = 0;
    be16(open->buf + V9_HEADER + 2, (uint16_t)(open->len - V9_HEADER));
    put_header(open, e, open->count, export_ms);
    packet *pk = queue_slot(b);
    memcpy(pk->buf, open->buf, open->len);
    pk->len = open->len;
    b->packets++;
    b->data_packets++;
    e->since_template++;
    open->count = 0;
}

static void add_record(blaster *b, const flow_record *r)
{
    exporter *e = &b->ex[r->domain - 1];
    int fam = !(r->src_addr.b[10] == 0xff && r->src_addr.b[11] == 0xff &&
                !memcmp(r->src_addr.b, "\0\0\0\0\0\0\0\0\0\0", 10));
    size_t rec_len = fam ? V6_RECORD : V4_RECORD;
    packet *pk = &e->open[fam];
    if (pk->count && pk->len + rec_len > MAX_PAYLOAD - 3) finish_packet(b, e, fam);
    if (!pk->count) {
        pk->len = V9_HEADER + SET_HEADER;
        be16(pk->buf + V9_HEADER, fam ? TEMPLATE_V6 : TEMPLATE_V4);
        pk->newest_end = r->end_ms;
    }
    uint8_t *p = pk->buf + pk->len;
    if (fam) {
        memcpy(p, r->src_addr.b, 16);
        memcpy(p + 16, r->dst_addr.b, 16);
        p += 32;
    } else {
        memcpy(p, r->src_addr.b + 12, 4);
        memcpy(p + 4, r->dst_addr.b + 12, 4);
        p += 8;
    }
    p = be16(p, r->src_port);
    p = be16(p, r->dst_port);
    p = be16(p, r->proto == 1 || r->proto == 58 ? r->dst_port : 0);
    *p++ = r->proto;
    *p++ = r->tcp_flags;
    *p++ = r->tos;
    p = be64(p, r->packets);
    p = be64(p, r->bytes);
    p = be32(p, (uint32_t)(r->start_ms - e->boot_ms));
    p = be32(p, (uint32_t)(r->end_ms - e->boot_ms));
    p = be32(p, r->in_if);
    p = be32(p, r->out_if);
    p = be32(p, r->src_as);
    p = be32(p, r->dst_as);
    pk->len = (size_t)(p - pk->buf);
    pk->count++;
    if (r->end_ms > pk->newest_end) pk->newest_end = r->end_ms;

    b->records++;
    b->v6_records += (uint64_t)fam;
    b->dport23 += r->dst_port == 23;
    b->sum_packets += r->packets;
    b->sum_bytes += r->bytes;
}

/* ---- set-up ---- */

static const char *const usage_text =
    "usage: nfblast [-d ADDR] [-p PORT] [-n RECORDS] [-r RATE] [-s SEED] [options]\n"
    "\n"
    "Send the records of `c2flow synth` as NetFlow v9 to a collector on the\n"
    "loopback interface, and print one RESULT line.\n"
    "\n"
    "  -d ADDR            destination: 127.x.y.z or ::1 only (127.0.0.1)\n"
    "  -p PORT            destination UDP port (9995)\n"
    "  -n RECORDS         records to send (1000000)\n"
    "  -r RATE            records per second of wall time; 0 = flat out (0)\n"
    "  -s SEED            generator seed (1)\n"
    "  -T PACKETS         resend templates every PACKETS data packets of a\n"
    "                     source id (1000)\n"
    "  --start TIME       simulated time the records begin to end (default:\n"
    "                     so that the last record ends now)\n"
    "  --flow-rate F      flows per second of simulated time (50000)\n"
    "  --hosts N          hosts in the pool (1000000)\n"
    "  --exporters N      routers = v9 source ids 1..N (4)\n"
    "  --ipv6-share F     share of IPv6 flows (0.05)\n"
    "  -h, --help         this text\n"
    "\n"
    "RESULT fields: packets, data_packets, template_packets, records, bytes\n"
    "(UDP payload), elapsed (s), rate (records/s), pps, and the ground truth\n"
    "of the records: v6_records, dport23 (records with destination port 23),\n"
    "sum_packets, sum_bytes; send_errors counts refused sends.\n";

static int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int usage_error(const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "nfblast: ");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\nTry 'nfblast --help'.\n");
    return 2;
}

/* Connect a UDP socket to a loopback address; -1 (with a message) for
 * anything that is not loopback. */
static int open_socket(const char *addr, uint16_t port)
{
    struct sockaddr_storage ss;
    socklen_t len;
    memset(&ss, 0, sizeof ss);
    struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
    struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
    if (inet_pton(AF_INET, addr, &sin->sin_addr) == 1) {
        if ((ntohl(sin->sin_addr.s_addr) >> 24) != 127) return -2;
        sin->sin_family = AF_INET;
        sin->sin_port = htons(port);
        len = sizeof *sin;
    } else if (inet_pton(AF_INET6, addr, &sin6->sin6_addr) == 1) {
        if (!IN6_IS_ADDR_LOOPBACK(&sin6->sin6_addr)) return -2;
        sin6->sin6_family = AF_INET6;
        sin6->sin6_port = htons(port);
        len = sizeof *sin6;
    } else {
        return -2;
    }
    int fd = socket(ss.ss_family, SOCK_DGRAM, 0);
    if (fd < 0) { perror("nfblast: socket"); return -1; }
    int sb = 8 << 20;
    setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sb, sizeof sb);
    if (connect(fd, (struct sockaddr *)&ss, len) < 0) {
        perror("nfblast: connect");
        close(fd);
        return -1;
    }
    return fd;
}

enum { OPT_START = 1000, OPT_FLOW_RATE, OPT_HOSTS, OPT_EXPORTERS, OPT_IPV6_SHARE };

/* Options that set a generator parameter: synth_param_set() name, flag. */
static const struct { int opt; const char *name, *flag; } param_opts[] = {
    {'s', "seed", "-s"}, {OPT_START, "start", "--start"},
    {OPT_FLOW_RATE, "rate", "--flow-rate"}, {OPT_HOSTS, "hosts", "--hosts"},
    {OPT_EXPORTERS, "exporters", "--exporters"},
    {OPT_IPV6_SHARE, "ipv6-share", "--ipv6-share"},
};

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"start", required_argument, 0, OPT_START},
        {"flow-rate", required_argument, 0, OPT_FLOW_RATE},
        {"hosts", required_argument, 0, OPT_HOSTS},
        {"exporters", required_argument, 0, OPT_EXPORTERS},
        {"ipv6-share", required_argument, 0, OPT_IPV6_SHARE},
        {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0},
    };
    const char *dest = "127.0.0.1";
    uint64_t port = 9995, records = 1000000, template_every = 1000;
    double rate = 0;
    int start_given = 0, c;
    synth_params p;
    c2_err err;
    synth_params_default(&p);
    while ((c = getopt_long(argc, argv, "d:p:n:r:s:T:h", opts, NULL)) != -1) {
        size_t k = 0;
        while (k < sizeof param_opts / sizeof param_opts[0] && param_opts[k].opt != c) k++;
        if (k < sizeof param_opts / sizeof param_opts[0]) {
            if (synth_param_set(&p, param_opts[k].name, optarg, c2_now_ms(), &err) != 0)
                return usage_error("%s: %s", param_opts[k].flag, err.msg);
            start_given |= c == OPT_START;
            continue;
        }
        switch (c) {
        case 'd': dest = optarg; break;
        case 'p':
            if (c2_u64_parse(optarg, 65535, &port) != 0 || port == 0)
                return usage_error("-p: not a port: '%s'", optarg);
            break;
        case 'n':
            if (c2_u64_parse(optarg, UINT64_MAX, &records) != 0)
                return usage_error("-n: not a count: '%s'", optarg);
            break;
        case 'r': {
            char *end;
            rate = strtod(optarg, &end);
            if (end == optarg || *end || !(rate >= 0 && rate <= 1e10))
                return usage_error("-r: not a rate: '%s'", optarg);
            break;
        }
        case 'T':
            if (c2_u64_parse(optarg, UINT32_MAX, &template_every) != 0 || !template_every)
                return usage_error("-T: not a positive count: '%s'", optarg);
            break;
        case 'h': fputs(usage_text, stdout); return 0;
        default: return usage_error("unknown option");
        }
    }
    if (optind < argc) return usage_error("unexpected argument '%s'", argv[optind]);
    int64_t span = synth_span_ms(&p, records);
    if (!start_given) p.start_ms = c2_now_ms() - span;

    /* router e booted a day (plus e hours) before the first record: the
     * 32-bit sysUptime must hold the whole run */
    int64_t longest = span + 86400000LL + (int64_t)p.exporters * 3600000LL +
                      SYNTH_ACTIVE_TIMEOUT_MS + 2000;
    if (longest > (int64_t)UINT32_MAX) {
        fprintf(stderr, "nfblast: %" PRIu64 " records at %.0f flows/s span %.1f days; "
                "v9's 32-bit sysUptime holds 49.7 days of uptime at most\n",
                records, p.flow_rate, (double)span / C2_MS_PER_DAY);
        return 2;
    }

    int fd = open_socket(dest, (uint16_t)port);
    if (fd == -2) return usage_error("-d: '%s' is not a loopback address "
                                     "(127.0.0.0/8 or ::1); nfblast sends only to loopback", dest);
    if (fd < 0) return 1;

    synth g;
    if (synth_init(&g, &p, &err) != 0) {
        fprintf(stderr, "nfblast: %s\n", err.msg);
        synth_free(&g);
        close(fd);
        return 1;
    }
    blaster b = {.fd = fd, .n_ex = p.exporters, .template_every = template_every};
    b.ex = calloc(p.exporters, sizeof *b.ex);
    b.queue = malloc(QUEUE_MAX * sizeof *b.queue);
    flow_record *slice = malloc(MAX_SLICE * sizeof *slice);
    if (!b.ex || !b.queue || !slice) {
        fprintf(stderr, "nfblast: out of memory\n");
        return 1;
    }
    for (uint32_t e = 0; e < p.exporters; e++) {
        b.ex[e].source_id = e + 1;
        b.ex[e].boot_ms = p.start_ms - 86400000LL - (int64_t)e * 3600000LL;
    }

    /* about a millisecond of records per slice when paced */
    size_t slice_n = MAX_SLICE;
    if (rate > 0) {
        slice_n = (size_t)(rate / 1000.0);
        if (slice_n < 16) slice_n = 16;
        if (slice_n > MAX_SLICE) slice_n = MAX_SLICE;
    }
    struct timespec t0ts;
    clock_gettime(CLOCK_MONOTONIC, &t0ts);
    double t0 = (double)t0ts.tv_sec + (double)t0ts.tv_nsec * 1e-9;
    for (uint64_t done = 0; done < records;) {
        size_t n = records - done < slice_n ? (size_t)(records - done) : slice_n;
        synth_next(&g, slice, n);
        for (size_t i = 0; i < n; i++) add_record(&b, &slice[i]);
        if (rate > 0) {
            double due = (double)done / rate;       /* seconds after t0 */
            struct timespec ts = t0ts;
            ts.tv_sec += (time_t)due;
            ts.tv_nsec += (long)((due - (double)(time_t)due) * 1e9);
            if (ts.tv_nsec >= 1000000000L) { ts.tv_sec++; ts.tv_nsec -= 1000000000L; }
            while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR) {}
        }
        flush_queue(&b);
        done += n;
    }
    for (uint32_t e = 0; e < p.exporters; e++)
        for (int fam = 0; fam < 2; fam++) finish_packet(&b, &b.ex[e], fam);
    flush_queue(&b);
    double elapsed = mono_s() - t0;

    printf("RESULT packets=%" PRIu64 " data_packets=%" PRIu64 " template_packets=%" PRIu64
           " records=%" PRIu64 " bytes=%" PRIu64 " elapsed=%.3f rate=%.0f pps=%.0f"
           " v6_records=%" PRIu64 " dport23=%" PRIu64 " sum_packets=%" PRIu64
           " sum_bytes=%" PRIu64 " send_errors=%" PRIu64 " seed=%" PRIu64
           " start_ms=%" PRId64 "\n",
           b.packets, b.data_packets, b.template_packets, b.records, b.bytes, elapsed,
           (double)b.records / (elapsed > 0 ? elapsed : 1e-9),
           (double)b.packets / (elapsed > 0 ? elapsed : 1e-9),
           b.v6_records, b.dport23, b.sum_packets, b.sum_bytes, b.send_errors,
           p.seed, p.start_ms);
    free(slice);
    free(b.queue);
    free(b.ex);
    synth_free(&g);
    close(fd);
    return 0;
}
