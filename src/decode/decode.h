/*
 * decode: export datagrams from routers (NetFlow v5, NetFlow v9, IPFIX,
 * sFlow v5) into flow_records.
 *
 * A decoder keeps what a stream of datagrams needs beyond one packet: the
 * templates and options templates of each (exporter, domain), the sampling
 * intervals those exporters announced, the sequence numbers that reveal
 * loss, and counters per exporter.  It applies sampling (packets and bytes
 * multiplied by the interval, the interval kept in flow_record.sampling),
 * and turns every time representation into ms since the epoch, UTC.
 *
 * Datagrams are untrusted bytes: every length is checked against the
 * datagram, a malformed datagram is counted and reported with a reason, and
 * it never corrupts the state kept for later ones.  Memory is bounded
 * (exporters, templates per exporter, fields per template; and, fixed:
 * 512 fields per template, 8 MiB of compiled templates per exporter, 256
 * domains per exporter, the least recently used one without templates or
 * sampling giving way to a new one, 64 samplers per domain, 4096 sFlow
 * data sources per domain tracked for loss).
 *
 * The rules (which elements are read, sampling, sequence numbers, times)
 * are written at the top of src/decode/template.c, sampling.c,
 * sequence.c and the file of each protocol.
 *
 * Threads: a decoder belongs to one thread.  A collector that shows
 * counters elsewhere copies them out (decoder_foreach_exporter).
 */
#ifndef C2FLOW_DECODE_H
#define C2FLOW_DECODE_H

#include <stddef.h>
#include <stdint.h>

#include "flow/flow.h"
#include "util/util.h"

typedef struct decoder decoder;

typedef enum decode_proto {
    DECODE_NONE,                    /* nothing decoded yet */
    DECODE_NETFLOW_V5,
    DECODE_NETFLOW_V9,              /* RFC 3954 */
    DECODE_IPFIX,                   /* RFC 7011 */
    DECODE_SFLOW_V5                 /* sflow.org sFlow version 5 */
} decode_proto;

/* Counters of one exporter (or, summed, of all).  All only grow. */
typedef struct decode_counters {
    uint64_t packets;               /* datagrams received */
    uint64_t bytes;                 /* datagram bytes received */
    uint64_t records;               /* flow records decoded */
    uint64_t malformed;             /* datagrams rejected (all or in part) */
    uint64_t no_template;           /* data records dropped: template unknown
                                       when they came and none came in time
                                       (see decoder_drop_pending).
                                       The record count of a set without
                                       template cannot be known: NetFlow v9
                                       counts the records the header's count
                                       leaves over when one such set is in
                                       the datagram; otherwise (IPFIX, or
                                       several sets) each set counts as 1 */
    uint64_t lost_packets;          /* datagrams missing by sequence number
                                       (NetFlow v9, sFlow) */
    uint64_t lost_records;          /* records missing by sequence number
                                       (NetFlow v5, IPFIX; sFlow samples
                                       by sample sequence and agent drops) */
    uint64_t reordered;             /* datagrams behind their sequence: late
                                       or duplicated (the loss counted when
                                       they were missed stays counted) */
    uint64_t unknown_sampling;      /* records stored with interval 1 because
                                       no interval was known (never counted
                                       when apply_sampling is 0) */
    uint64_t templates;             /* template and options template records */
    uint64_t withdrawals;           /* template withdrawals (IPFIX) */
    uint64_t other;                 /* non-flow records passed over: options
                                       data, sFlow counter samples, non-IP */
    uint64_t seq_resets;            /* sequence streams restarted: a jump
                                       too far to be loss (router restart),
                                       counted instead of lost_* */
} decode_counters;

/* What a decoder knows of one exporter, for metrics and logs. */
typedef struct decode_exporter {
    flow_addr       addr;           /* UDP source; sFlow: agent address */
    decode_proto    proto;          /* protocol of the last datagram */
    uint32_t        sampling;       /* interval last applied (0 = none yet;
                                       always 1 without apply_sampling) */
    uint32_t        override;       /* configured override (0 = none) */
    decode_counters c;
} decode_exporter;

typedef struct decode_options {
    int      apply_sampling;        /* multiply packets and bytes by the
                                       interval (default 1); 0 keeps the
                                       router's counts, sampling = 1 */
    uint32_t max_exporters;         /* default 4096; datagrams of more are
                                       dropped, and counted (packets, bytes,
                                       malformed) only in the total of
                                       decoder_foreach_exporter */
    uint32_t max_templates;         /* per exporter, all domains; default 4096 */
} decode_options;

void decode_options_default(decode_options *o);

int  decoder_new(const decode_options *opt, decoder **out, c2_err *err);
void decoder_free(decoder *d);

/* Decode one datagram that arrived from `exporter` (the UDP source address)
 * at now_ms (the records' time for sFlow, which has no clock of its own);
 * the protocol is recognised from the version field (sFlow: the first
 * 32-bit word is 5).  Returns 0 with the records in recs[0..*n) (borrowed
 * until the next call), or -1 when the datagram is malformed: err names
 * the exporter, the protocol and the first fault, the counters count it
 * once, and the records in recs[0..*n) are good to store: those decoded
 * before the fault, and after it when the fault left the datagram's
 * framing intact (a template refused, a data set cut short).  Never
 * allocates once its output buffer has grown to the largest datagram. */
int  decoder_decode(decoder *d, const flow_addr *exporter, const uint8_t *pkt,
                    size_t len, int64_t now_ms, const flow_record **recs,
                    size_t *n, c2_err *err);

/* Sampling interval to apply to every record of `exporter`, whatever it
 * announces (routers that announce nothing or announce wrongly); 0 removes
 * the override.  -1 when the table of overrides is full. */
int  decoder_set_sampling_override(decoder *d, const flow_addr *exporter,
                                   uint32_t interval);
void decoder_clear_sampling_overrides(decoder *d);

/* Calls fn once per known exporter (borrowed for the call), then returns
 * the sum of all their counters in *total (may be NULL). */
typedef void (*decode_exporter_fn)(const decode_exporter *e, void *arg);
void decoder_foreach_exporter(const decoder *d, decode_exporter_fn fn,
                              void *arg, decode_counters *total);

/* Template state, so that a restarted collector decodes data that arrives
 * before the next template refresh.  decoder_save serialises templates,
 * options templates, announced sampling intervals and system init times
 * (not counters, not sequence numbers) into *buf (malloc'ed; caller
 * frees); the format (versioned, CRC-32) is described in
 * src/decode/state.c.  decoder_load reads it back as untrusted bytes and
 * adds it to what the decoder knows (templates of the same exporter,
 * domain and id are replaced): a damaged state, one beyond the decoder's
 * bounds, or a lack of memory is an error and leaves the decoder
 * unchanged.  decoder_state_changed says whether the saved state
 * (templates, samplers, intervals) changed since the last save or load. */
int  decoder_save(const decoder *d, uint8_t **buf, size_t *len, c2_err *err);
int  decoder_load(decoder *d, const uint8_t *buf, size_t len, c2_err *err);
int  decoder_state_changed(const decoder *d);

/* NetFlow v9 and IPFIX data that arrives before its template is held (per
 * domain: 64 sets, 256 KiB, 10 minutes; 16 MiB in all) and decoded when
 * the template comes, its records returned with that datagram's.  What
 * cannot be held, or waits too long, counts in no_template.  This counts
 * and forgets whatever still waits (a collector that stops). */
void decoder_drop_pending(decoder *d);

const char *decode_proto_name(decode_proto p);  /* "netflow-v9", ... */

#endif
