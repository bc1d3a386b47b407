/*
 * exporter: flow records out as NetFlow v9 (RFC 3954) or IPFIX (RFC 7011)
 * over UDP, the way routers export them, to a collector on the loopback
 * interface.  Used by `c2flow simulate`, bench/nfblast and the tests to feed
 * `c2flow collect` (or nfcapd) with records whose truth is known.
 *
 * Routers.  Every distinct (record.exporter, record.domain) is one router:
 * one v9 source id / IPFIX observation domain (= record.domain) with its
 * own sequence numbers, its own boot time (v9 sysUptime) and its own open
 * data datagrams, one per address family, filled up to max_payload bytes.
 * A collector tells exporters apart by the UDP source address, so when the
 * destination is IPv4 loopback each distinct record.exporter gets its own
 * socket bound to its own loopback address, 127.0.0.2, 127.0.0.3, ... in
 * order of first appearance (Linux routes all of 127.0.0.0/8 to lo, so no
 * set-up is needed): `c2flow collect` then sees several routers.  With ::1,
 * or router_sources = 0, one socket sends for every router (source
 * 127.0.0.1 or ::1); routers are then told apart by domain alone, and two
 * exporters with the same domain are refused (the collector could not
 * separate them).
 *
 * Sampling.  record.packets and record.bytes are multiplied by
 * record.sampling (1 in N), as the collector stores them; a router sends
 * what it counted in its samples, so the exporter divides them by N
 * (rounded to nearest, at least 1 when the record had any) and announces N
 * in options data, which the collector multiplies back.  The announcement
 * goes with every template datagram, and in a datagram of its own before
 * the first data of a router whose records change N (the data already
 * packed with the old N goes out first).  c2flow collect applies both
 * announcements; nfcapd 1.7.1 applies the IPFIX one but stores v9 counts
 * as sent (found with bench/nfblast -S 100).
 *
 * Datagrams (all integers big-endian).  Templates, options template and
 * options data go in a template datagram of their own, before a router's
 * first data and again every template_every data datagrams of that router,
 * or when template_refresh_s of export time have passed since the last one
 * (RFC 7011 10.3.6).  A data datagram holds one data set of one family.
 *
 *   NetFlow v9 header, 20 B: version=9 (2) | count (2, records of every
 *     kind) | sysUptime ms (4) | unix_secs (4) | sequence (4, datagrams of
 *     this source id before this one) | source id (4)
 *   IPFIX header, 16 B: version=10 (2) | length (2) | export time s (4) |
 *     sequence (4, data records, options data included, of this domain
 *     before this message) | observation domain id (4)
 *
 *   template set (v9 id 0, IPFIX id 2): templates 256 (IPv4) and 257 (IPv6),
 *   16 fields each, [element id] length:
 *     [8] 4 / [27] 16  source address     [12] 4 / [28] 16  destination
 *     [7] 2  src port   [11] 2  dst port   [32] 2  ICMP type<<8|code, 0 for
 *            other protocols (IPFIX IPv6: [139] icmpTypeCodeIPv6 instead)
 *     [4] 1 protocol    [6] 1 TCP flags    [5] 1 ToS
 *     [2] 8 packets     [1] 8 bytes        (divided by the interval)
 *     v9:    [22] 4 FIRST_SWITCHED  [21] 4 LAST_SWITCHED  (sysUptime ms)
 *     IPFIX: [152] 8 flowStartMilliseconds  [153] 8 flowEndMilliseconds
 *     [10] 4 input ifIndex  [14] 4 output ifIndex  [16] 4 src AS  [17] 4 dst AS
 *   records: v9 57 / 81 B, IPFIX 65 / 89 B (IPv4 / IPv6).  ICMP type and
 *   code also stay in [11], as flow_record keeps them.
 *
 *   v9 options template set (id 1): template 258, scope length 4, option
 *     length 8: scope System [1] 4 | SAMPLING_INTERVAL [34] 4 |
 *     SAMPLING_ALGORITHM [35] 1;  options data set 258: router's IPv4
 *     address (0 for IPv6) | N | 2 (random) | 3 bytes padding
 *   IPFIX options template set (id 3): template 258, 3 fields, 1 scope
 *     field: observationDomainId [149] 4 | samplingPacketInterval [305] 4 |
 *     samplingPacketSpace [306] 4;  options data set 258: domain | 1 | N-1
 *     (RFC 5477: one packet selected, N-1 skipped; the collector's interval
 *     is (305 + 306) / 305 = N, whatever the scope).
 *
 * Times.  A datagram's export time (v9 unix_secs, IPFIX export time) is the
 * whole second after the newest record in it ends.  v9 times are relative
 * to the router's boot: sysUptime = export - boot and FIRST/LAST_SWITCHED
 * = time - boot, modulo 2^32, with boot = the router's first record's
 * start - uptime_ms - 1 h per router before it; the collector gets every
 * time back to the millisecond while a record starts less than 49.7 days
 * before its export.  IPFIX sends absolute milliseconds.  Records must end
 * between 1970 and 2106 (32-bit export seconds).
 *
 * Loopback only.  The destination must be in 127.0.0.0/8 or be ::1, and
 * the follow URL's host too: tests and simulations never send flows to a
 * real network.  Anything else is refused with an error.
 *
 * Sending.  exporter_send packs records and sends the finished datagrams
 * with sendmmsg on connected sockets, in order per router.  A record waits
 * in its router's open datagram until that is full or exporter_flush.  A
 * send the kernel refuses (ECONNREFUSED when no collector listens) is
 * counted in send_errors and skipped, as a router would.  Pacing:
 *  - rate > 0: records per second since the first send; records go out in
 *    slices of about a millisecond, each sent at its due time after a
 *    clock_nanosleep on an absolute CLOCK_MONOTONIC deadline, never a spin.
 *    A caller that falls more than a second behind (a pause) starts a new
 *    schedule rather than bursting to catch up.
 *  - follow_url: the collector's Prometheus page (c2flow collect
 *    --metrics).  At most follow_window datagrams are in flight: sent, but
 *    not yet taken off the socket by the collector
 *    (c2flow_collect_datagrams_total, which the collector reads live) nor
 *    dropped by its kernel (c2flow_collect_socket_drops_total), both
 *    counted from their values at exporter_open.  When the window is full
 *    the exporter fetches the page (libcurl) every follow_poll_ms, sleeping
 *    in between, until half of it has drained; exporter_flush waits until
 *    nothing is in flight.  The window thus bounds what waits in the
 *    collector's socket buffer, and should fit in it: 1024 datagrams of
 *    1464 bytes take about 2.5 MB of kernel memory, well inside the 32 MiB
 *    `c2flow collect` asks for, which it gets as root (CAP_NET_ADMIN);
 *    without that privilege it gets 2 x net.core.rmem_max (416 KiB on a
 *    default Debian), and a window of about 128 is safe.  Measured here
 *    against c2flow collect (v9, 1464-byte datagrams): window 128, 650 k
 *    records/s; 256, 800 k; 512 and more, 1.5-2.5 M; no loss.  Datagrams
 *    the collector's decode queue drops are reported (collector_drops),
 *    not waited for.  Other traffic to the same collector makes the window
 *    looser, never tighter.  A page that cannot be fetched or parsed,
 *    counters that go backwards (a restarted collector) or no progress
 *    for follow_timeout_ms are errors.
 *  Both may be combined.
 *
 * Threads: an exporter (or encoder) belongs to one thread.  libcurl is
 * initialised on first use (curl_global_init is not thread-safe: a
 * program with threads calls it first).
 */
#ifndef C2FLOW_EXPORTER_H
#define C2FLOW_EXPORTER_H

#include <stddef.h>
#include <stdint.h>

#include "flow/flow.h"
#include "util/util.h"

#define EXPORTER_NETFLOW_V9 9
#define EXPORTER_IPFIX      10
#define EXPORTER_MIN_PAYLOAD 256
#define EXPORTER_MAX_PAYLOAD 65507          /* largest IPv4 UDP payload */

typedef struct exporter_options {
    int         version;            /* EXPORTER_NETFLOW_V9 (default) or
                                       EXPORTER_IPFIX */
    uint32_t    max_payload;        /* UDP payload bytes per datagram; 0 =
                                       1500 minus IP and UDP headers (1472
                                       to IPv4, 1452 to IPv6) */
    uint32_t    template_every;     /* templates again every N data
                                       datagrams of a router (1000) */
    uint32_t    template_refresh_s; /* ... or after this much export time
                                       (600; 0 = by count only) */
    int64_t     uptime_ms;          /* v9: a router's uptime at its first
                                       record, plus 1 h per router before it
                                       (1 day) */
    uint32_t    max_routers;        /* distinct (exporter, domain) (1024) */
    int         router_sources;     /* 1: a loopback source address per
                                       exporter when sending to IPv4 (1) */
    uint32_t    sndbuf;             /* socket send buffer, bytes (8 MiB) */
    double      rate;               /* records per second; 0 = flat out */
    const char *follow_url;         /* collector's /metrics URL, or NULL */
    uint32_t    follow_window;      /* datagrams in flight at most (1024) */
    uint32_t    follow_poll_ms;     /* between page fetches (5) */
    uint32_t    follow_timeout_ms;  /* no progress this long: error (10000) */
} exporter_options;

/* What was sent, per router or in total.  All only grow. */
typedef struct exporter_counters {
    uint64_t records;               /* flow records packed */
    uint64_t datagrams;             /* datagrams built (sent or refused) */
    uint64_t data_datagrams;        /* of them, carrying flow records */
    uint64_t template_datagrams;    /* of them, carrying templates (and the
                                       options template and interval) */
    uint64_t bytes;                 /* UDP payload bytes sent */
    uint64_t send_errors;           /* datagrams the kernel refused */
} exporter_counters;

/* One router.  Borrowed from the exporter; valid until its next call. */
typedef struct exporter_router {
    flow_addr exporter;             /* record.exporter */
    uint32_t  domain;               /* record.domain: source id / domain */
    uint32_t  source;               /* index of the socket it sends from */
    flow_addr source_addr;          /* that socket's address, as the
                                       collector sees it (:: for an
                                       encoder without sockets) */
    uint32_t  interval;             /* sampling interval last announced
                                       (0 = none yet) */
    exporter_counters c;
} exporter_router;

typedef struct exporter_stats {
    exporter_counters total;
    uint32_t routers;               /* distinct (exporter, domain) */
    uint32_t sources;               /* sockets (source addresses) */
    int      last_errno;            /* errno of the last send error; 0 none */
    double   paced_s;               /* time slept for the rate */
    uint64_t follow_polls;          /* metrics pages fetched */
    double   follow_wait_s;         /* time slept waiting for the collector */
    uint64_t collector_drops;       /* socket + queue drops the collector
                                       counted since exporter_open */
} exporter_stats;

typedef struct exporter exporter;

void exporter_options_default(exporter_options *o);
/* Parse "127.0.0.1:2055" or "[::1]:2055" (c2_endpoint_parse) and refuse
 * anything that is not loopback; 0 or -1 with err.  exporter_open does
 * this itself; a front calls it to tell usage errors from failures. */
struct sockaddr_storage;
int  exporter_parse_destination(const char *to, struct sockaddr_storage *sa,
                                unsigned *salen, c2_err *err);
/* Open an exporter towards `to` (as above).  With follow_url, fetches the
 * page once to learn where the collector's counters start.  Caller frees
 * with exporter_close.  0, or -1 with err. */
int  exporter_open(const char *to, const exporter_options *opt, exporter **out,
                   c2_err *err);
/* Pack recs[0..n) (borrowed for the call) in that order, pace, and send
 * every datagram that filled up.  -1 with err on a bad record (time out of
 * range, too many routers, two exporters with one domain on one socket),
 * a socket that cannot be opened, or a follow failure.  Records before a
 * bad one are packed and their full datagrams sent; after a socket or
 * follow failure the datagrams not yet sent are dropped. */
int  exporter_send(exporter *ex, const flow_record *recs, size_t n, c2_err *err);
/* Send every open datagram; with follow_url, wait until the collector has
 * accounted for every datagram sent.  0, or -1 with err. */
int  exporter_flush(exporter *ex, c2_err *err);
void exporter_get_stats(const exporter *ex, exporter_stats *out);
size_t exporter_router_count(const exporter *ex);
const exporter_router *exporter_router_at(const exporter *ex, size_t i);
/* Close the sockets and free; records still in open datagrams are dropped
 * (call exporter_flush first). */
void exporter_close(exporter *ex);

/* ---- the encoder alone: datagrams in memory, no sockets ----
 * exporter_send runs this; tests and tools may run it directly. */
typedef struct exporter_encoder exporter_encoder;

typedef enum exporter_datagram_kind {
    EXPORTER_DG_DATA,               /* one data set of flow records */
    EXPORTER_DG_TEMPLATES,          /* templates, options template, interval */
    EXPORTER_DG_INTERVAL            /* a new interval (options data) alone */
} exporter_datagram_kind;

typedef struct exporter_datagram {
    uint8_t  *data;                 /* the UDP payload, owned by the encoder */
    uint32_t  len;                  /* bytes, <= max_payload */
    uint32_t  router;               /* exporter_encoder_router index */
    uint32_t  source;               /* socket index */
    uint16_t  records;              /* flow records in it */
    uint8_t   kind;                 /* exporter_datagram_kind */
} exporter_datagram;

/* An encoder with opt's version, max_payload (0 = 1472), template and
 * router options (the sending options are ignored); one_source: every
 * router on source 0 (refusing two exporters with one domain) rather
 * than one source per exporter address.  Caller frees. */
int  exporter_encoder_new(const exporter_options *opt, int one_source,
                          exporter_encoder **out, c2_err *err);
void exporter_encoder_free(exporter_encoder *e);
/* Pack records; finished datagrams are queued in send order.  -1 with err
 * as exporter_send; records before the faulty one are packed. */
int  exporter_encoder_add(exporter_encoder *e, const flow_record *recs,
                          size_t n, c2_err *err);
/* Finish every open datagram (queued).  0, or -1 when out of memory. */
int  exporter_encoder_finish(exporter_encoder *e, c2_err *err);
/* The queued datagrams, oldest first (borrowed until the next add, finish
 * or clear), and emptying the queue. */
const exporter_datagram *exporter_encoder_queue(const exporter_encoder *e,
                                                size_t *n);
void exporter_encoder_clear(exporter_encoder *e);
size_t exporter_encoder_router_count(const exporter_encoder *e);
exporter_router *exporter_encoder_router(exporter_encoder *e, size_t i);
uint32_t exporter_encoder_source_count(const exporter_encoder *e);

/* ---- the collector's page, for follow mode ---- */
typedef struct exporter_collector_counts {
    uint64_t received;              /* c2flow_collect_datagrams_total */
    uint64_t decoded;               /* sum of c2flow_exporter_datagrams_total
                                       (published every 200 ms; not used
                                       for the window) */
    uint64_t socket_drops;          /* c2flow_collect_socket_drops_total */
    uint64_t queue_drops;           /* c2flow_collect_queue_drops_total */
} exporter_collector_counts;

/* Read the counters above from a Prometheus text page (len bytes, not
 * NUL-terminated, untrusted).  Samples of one name are summed (saturating);
 * other lines are ignored.  -1 with err when the page has no
 * c2flow_collect_datagrams_total sample. */
int  exporter_metrics_parse(const char *page, size_t len,
                            exporter_collector_counts *out, c2_err *err);

#endif
