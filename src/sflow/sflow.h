/*
 * sflow: parse sFlow version 5 datagrams (sflow.org, sflow_version_5.txt).
 *
 * Stateless: one datagram in, its flow samples out, each reduced to the
 * header fields of the sampled packet (Ethernet, 802.1Q VLAN, IPv4, IPv6,
 * TCP, UDP, ICMP, ICMPv6) with the sample's sampling rate and interfaces.
 * The decode module turns samples into flow_records, applying sampling and
 * sequence accounting; this module only reads bytes, and reads them as
 * untrusted: every length is checked, a malformed datagram is rejected
 * with a reason and the offset where it went wrong.
 */
#ifndef C2FLOW_SFLOW_H
#define C2FLOW_SFLOW_H

#include <stddef.h>
#include <stdint.h>

#include "flow/flow.h"
#include "util/util.h"

/* The datagram header. */
typedef struct sflow_datagram {
    flow_addr agent;                /* agent address (IPv4 mapped);
                                       :: when the agent says "unknown" */
    uint32_t  sub_agent;            /* sub-agent id */
    uint32_t  sequence;             /* datagram sequence number */
    uint32_t  uptime_ms;            /* agent uptime, ms */
    uint32_t  samples;              /* samples the header announces (all
                                       kinds; never fewer than delivered) */
} sflow_datagram;

/* One flow sample (format 1, or expanded format 3) whose packet header
 * record held an IPv4 or IPv6 packet, or, without a usable raw header
 * record, whose sampled IPv4/IPv6 record did.  Fields the records do not
 * give are 0.  Ports and TCP flags are 0 when the header was cut before
 * them, for a non-first fragment and for protocols without ports; only
 * TCP, UDP and SCTP have ports, only TCP has flags. */
typedef struct sflow_flow_sample {
    uint32_t  sequence;             /* flow sample sequence number */
    uint32_t  source_type;          /* source id type (0 = ifIndex) */
    uint32_t  source_index;         /* source id index */
    uint32_t  sampling_rate;        /* 1 in N packets */
    uint32_t  sample_pool;          /* packets that could have been sampled */
    uint32_t  drops;                /* samples the agent dropped */
    uint32_t  input_if;             /* ifIndex; 0 = unknown */
    uint32_t  output_if;            /* ifIndex; 0 = unknown or not single */
    uint32_t  frame_length;         /* original length of the frame, bytes;
                                       0 = unknown (no raw header record) */
    uint32_t  ip_length;            /* IP datagram length: IPv4 total length,
                                       IPv6 payload length + 40; from the
                                       frame when that field is 0 (offload);
                                       IPv4 20..65535, IPv6 40..65575 */
    flow_addr src_addr, dst_addr;
    uint32_t  src_as, dst_as;       /* extended gateway record; 0 = none */
    uint16_t  src_port;             /* 0 for ICMP */
    uint16_t  dst_port;             /* ICMP: type << 8 | code */
    uint16_t  vlan;                 /* 802.1Q id; 0 = untagged.  Extended
                                       switch src_vlan, else the outermost
                                       nonzero tag of the header */
    uint8_t   proto;                /* IP protocol / IPv6 next header after
                                       the extension headers (the last one
                                       seen when the chain is cut) */
    uint8_t   tos;                  /* ToS / traffic class */
    uint8_t   tcp_flags;            /* flags of this one packet */
} sflow_flow_sample;

/* What a datagram held besides usable flow samples. */
typedef struct sflow_parse_stats {
    uint32_t flow_samples;          /* handed to the callback */
    uint32_t counter_samples;       /* counter samples, passed over */
    uint32_t non_ip_samples;        /* flow samples without an IP header
                                       (ARP, truncated, unknown header,
                                       sampled record with impossible
                                       length or port) */
    uint32_t other_samples;         /* unknown sample formats, skipped by
                                       length */
} sflow_parse_stats;

/* Called once per flow sample (both borrowed for the call), in datagram
 * order.  Return 0 to go on, nonzero to stop parsing (sflow_parse then
 * returns that value).  fn may be NULL (only dg and st are wanted). */
typedef int (*sflow_sample_fn)(const sflow_datagram *dg,
                               const sflow_flow_sample *s, void *arg);

/* Parse one datagram.  Returns 0 when the whole datagram was read, -1 when
 * it is malformed (err: reason and byte offset; samples before the fault
 * were already handed to fn), or fn's nonzero value.  dg and st are filled
 * as far as parsing got. */
int sflow_parse(const uint8_t *buf, size_t len, sflow_datagram *dg,
                sflow_parse_stats *st, sflow_sample_fn fn, void *arg,
                c2_err *err);

#endif
