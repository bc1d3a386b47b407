/*
 * nfblast.c: c2flow's own flow exporter, for benchmarks and tests.
 *
 * Sends the records of src/synth (same parameters and seed, so the same
 * records that `c2flow synth` and bench/store_bench write into a store) as
 * NetFlow v9 (RFC 3954) or IPFIX (RFC 7011) over UDP to a collector on the
 * loopback interface, at a paced rate or flat out, and prints one RESULT
 * line with what it sent and the ground truth a collector's store can be
 * checked against.  Only loopback destinations are accepted: a benchmark
 * must never spray flows at a real network.
 *
 * The packing, the datagram layouts, sampling announcements, pacing and
 * sending are src/exporter's (see exporter.h).  What nfblast adds:
 *
 *  - each synthetic router (record.domain = 1..E) is one source id /
 *    observation domain; all of them send from one socket (source
 *    127.0.0.1 or ::1) unless --router-addrs gives each its own loopback
 *    address (127.0.0.2 ..);
 *  - datagrams carry at most 1464 bytes of UDP payload, as nfblast always
 *    did, so that runs stay comparable;
 *  - -S N stamps records with sampling N and multiplies their counters by
 *    N (as a collector stores them); the exporter sends the counts divided
 *    by N and announces N, so the collector's store ends up with exactly
 *    the counters of the RESULT line;
 *  - v9 sysUptime must not wrap during the run, for collectors (nfcapd)
 *    that do not take wrapping into account: the run is refused when
 *    router uptime (1 day + 1 h per router before the first record, plus
 *    the span) would exceed 49.7 days.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "exporter/exporter.h"
#include "synth/synth.h"
#include "util/util.h"

#define MAX_PAYLOAD 1464            /* what nfblast always sent */
#define SLICE 4096                  /* records generated at a time */

/* Ground truth of the records sent. */
typedef struct truth {
    uint64_t records, v6_records, dport23, sum_packets, sum_bytes;
} truth;

static void count_truth(truth *t, const flow_record *r, size_t n)
{
    static const uint8_t v4_prefix[12] = {[10] = 0xff, [11] = 0xff};
    for (size_t i = 0; i < n; i++) {
        t->v6_records += memcmp(r[i].src_addr.b, v4_prefix, 12) != 0;
        t->dport23 += r[i].dst_port == 23;
        t->sum_packets += r[i].packets;
        t->sum_bytes += r[i].bytes;
    }
    t->records += n;
}

static double mono_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* ---- set-up ---- */

static const char *const usage_text =
    "usage: nfblast [-d ADDR] [-p PORT] [-n RECORDS] [-r RATE] [-s SEED] [options]\n"
    "\n"
    "Send the records of `c2flow synth` as NetFlow v9 or IPFIX to a collector\n"
    "on the loopback interface, and print one RESULT line.\n"
    "\n"
    "  -d ADDR            destination: 127.x.y.z or ::1 only (127.0.0.1)\n"
    "  -p PORT            destination UDP port (9995)\n"
    "  -n RECORDS         records to send (1000000)\n"
    "  -r RATE            records per second of wall time; 0 = flat out (0)\n"
    "  -s SEED            generator seed (1)\n"
    "  -V VERSION         9 = NetFlow v9, 10 = IPFIX (9)\n"
    "  -S N               sampling 1 in N: records' counters are N times what\n"
    "                     the router counted; N is announced in options data (1)\n"
    "  -T PACKETS         resend templates every PACKETS data packets of a\n"
    "                     source id (1000)\n"
    "  --router-addrs     each router sends from its own loopback address,\n"
    "                     127.0.0.2, 127.0.0.3, ... (IPv4 only; default: all\n"
    "                     from one socket)\n"
    "  --follow URL       send only as fast as the collector whose /metrics\n"
    "                     page is URL decodes (c2flow collect; loopback only)\n"
    "  --follow-window N  datagrams in flight at most with --follow (1024)\n"
    "  --start TIME       simulated time the records begin to end (default:\n"
    "                     so that the last record ends now)\n"
    "  --flow-rate F      flows per second of simulated time (50000)\n"
    "  --hosts N          hosts in the pool (1000000)\n"
    "  --exporters N      routers = source ids 1..N (4)\n"
    "  --ipv6-share F     share of IPv6 flows (0.05)\n"
    "  -h, --help         this text\n"
    "\n"
    "RESULT fields: packets, data_packets, template_packets, records, bytes\n"
    "(UDP payload), elapsed (s), rate (records/s), pps, and the ground truth\n"
    "of the records: v6_records, dport23 (records with destination port 23),\n"
    "sum_packets, sum_bytes (multiplied by the sampling interval, as a\n"
    "collector stores them); send_errors counts refused sends.\n";

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

enum { OPT_START = 1000, OPT_FLOW_RATE, OPT_HOSTS, OPT_EXPORTERS, OPT_IPV6_SHARE,
       OPT_ROUTER_ADDRS, OPT_FOLLOW, OPT_FOLLOW_WINDOW };

/* Options that set a generator parameter: synth_param_set() name, flag. */
static const struct { int opt; const char *name, *flag; } param_opts[] = {
    {'s', "seed", "-s"}, {'S', "sampling", "-S"}, {OPT_START, "start", "--start"},
    {OPT_FLOW_RATE, "rate", "--flow-rate"}, {OPT_HOSTS, "hosts", "--hosts"},
    {OPT_EXPORTERS, "exporters", "--exporters"},
    {OPT_IPV6_SHARE, "ipv6-share", "--ipv6-share"},
};

/* The records, generated a slice at a time and handed to the exporter. */
static int blast(exporter *ex, synth *g, uint64_t records, truth *t, c2_err *err)
{
    flow_record *slice = malloc(SLICE * sizeof *slice);
    if (!slice) return c2_fail(err, "out of memory");
    int rc = 0;
    for (uint64_t done = 0; done < records && rc == 0;) {
        size_t n = records - done < SLICE ? (size_t)(records - done) : SLICE;
        synth_next(g, slice, n);
        count_truth(t, slice, n);
        rc = exporter_send(ex, slice, n, err);
        done += n;
    }
    free(slice);
    return rc ? rc : exporter_flush(ex, err);
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"start", required_argument, 0, OPT_START},
        {"flow-rate", required_argument, 0, OPT_FLOW_RATE},
        {"hosts", required_argument, 0, OPT_HOSTS},
        {"exporters", required_argument, 0, OPT_EXPORTERS},
        {"ipv6-share", required_argument, 0, OPT_IPV6_SHARE},
        {"router-addrs", no_argument, 0, OPT_ROUTER_ADDRS},
        {"follow", required_argument, 0, OPT_FOLLOW},
        {"follow-window", required_argument, 0, OPT_FOLLOW_WINDOW},
        {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0},
    };
    const char *dest = "127.0.0.1";
    uint64_t port = 9995, records = 1000000, template_every = 1000, version = 9;
    int start_given = 0, c;
    synth_params p;
    exporter_options eo;
    c2_err err;
    synth_params_default(&p);
    exporter_options_default(&eo);
    eo.router_sources = 0;
    eo.max_payload = MAX_PAYLOAD;
    while ((c = getopt_long(argc, argv, "d:p:n:r:s:S:T:V:h", opts, NULL)) != -1) {
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
            eo.rate = strtod(optarg, &end);
            if (end == optarg || *end || !(eo.rate >= 0 && eo.rate <= 1e10))
                return usage_error("-r: not a rate: '%s'", optarg);
            break;
        }
        case 'T':
            if (c2_u64_parse(optarg, UINT32_MAX, &template_every) != 0 || !template_every)
                return usage_error("-T: not a positive count: '%s'", optarg);
            eo.template_every = (uint32_t)template_every;
            break;
        case 'V':
            if (c2_u64_parse(optarg, 10, &version) != 0 || (version != 9 && version != 10))
                return usage_error("-V: 9 (NetFlow v9) or 10 (IPFIX), not '%s'", optarg);
            eo.version = (int)version;
            break;
        case OPT_ROUTER_ADDRS: eo.router_sources = 1; break;
        case OPT_FOLLOW: eo.follow_url = optarg; break;
        case OPT_FOLLOW_WINDOW: {
            uint64_t w;
            if (c2_u64_parse(optarg, UINT32_MAX, &w) != 0 || !w)
                return usage_error("--follow-window: not a positive count: '%s'", optarg);
            eo.follow_window = (uint32_t)w;
            break;
        }
        case 'h': fputs(usage_text, stdout); return 0;
        default: return usage_error("unknown option");
        }
    }
    if (optind < argc) return usage_error("unexpected argument '%s'", argv[optind]);
    int64_t span = synth_span_ms(&p, records);
    if (!start_given) p.start_ms = c2_now_ms() - span;

    /* a router's uptime starts at a day (plus an hour per router) before
     * its first record: the 32-bit sysUptime must hold the whole run */
    int64_t longest = span + eo.uptime_ms + (int64_t)p.exporters * 3600000LL +
                      SYNTH_ACTIVE_TIMEOUT_MS + 2000;
    if (version == 9 && longest > (int64_t)UINT32_MAX) {
        fprintf(stderr, "nfblast: %" PRIu64 " records at %.0f flows/s span %.1f days; "
                "v9's 32-bit sysUptime holds 49.7 days of uptime at most\n",
                records, p.flow_rate, (double)span / C2_MS_PER_DAY);
        return 2;
    }

    char to[C2_ENDPOINT_STRLEN + 8];
    snprintf(to, sizeof to, strchr(dest, ':') ? "[%s]:%u" : "%s:%u", dest, (unsigned)port);
    struct sockaddr_storage ss;
    unsigned sslen;
    if (exporter_parse_destination(to, &ss, &sslen, &err) != 0)
        return usage_error("-d: '%s' is not a loopback address (127.0.0.0/8 or ::1); "
                           "nfblast sends only to loopback", dest);

    synth g;
    if (synth_init(&g, &p, &err) != 0) {
        fprintf(stderr, "nfblast: %s\n", err.msg);
        synth_free(&g);
        return 1;
    }
    exporter *ex;
    if (exporter_open(to, &eo, &ex, &err) != 0) {
        fprintf(stderr, "nfblast: %s\n", err.msg);
        synth_free(&g);
        return 1;
    }
    truth t = {0, 0, 0, 0, 0};
    double t0 = mono_s();
    int rc = blast(ex, &g, records, &t, &err);
    double elapsed = mono_s() - t0;
    if (rc != 0) fprintf(stderr, "nfblast: %s\n", err.msg);

    exporter_stats st;
    exporter_get_stats(ex, &st);
    const exporter_counters *s = &st.total;
    printf("RESULT packets=%" PRIu64 " data_packets=%" PRIu64 " template_packets=%" PRIu64
           " records=%" PRIu64 " bytes=%" PRIu64 " elapsed=%.3f rate=%.0f pps=%.0f"
           " v6_records=%" PRIu64 " dport23=%" PRIu64 " sum_packets=%" PRIu64
           " sum_bytes=%" PRIu64 " send_errors=%" PRIu64 " seed=%" PRIu64
           " start_ms=%" PRId64 "\n",
           s->datagrams, s->data_datagrams, s->template_datagrams, s->records, s->bytes,
           elapsed, (double)s->records / (elapsed > 0 ? elapsed : 1e-9),
           (double)s->datagrams / (elapsed > 0 ? elapsed : 1e-9),
           t.v6_records, t.dport23, t.sum_packets, t.sum_bytes, s->send_errors,
           p.seed, p.start_ms);
    if (st.collector_drops)
        fprintf(stderr, "nfblast: the collector dropped %" PRIu64 " datagrams\n",
                st.collector_drops);
    exporter_close(ex);
    synth_free(&g);
    return rc ? 1 : 0;
}
