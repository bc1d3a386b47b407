/*
 * sflow_impl.h: what sflow.c (the XDR walker) and packet.c (the decoder of
 * sampled packet headers) share.  Not part of the public surface.
 */
#ifndef C2FLOW_SFLOW_IMPL_H
#define C2FLOW_SFLOW_IMPL_H

#include <stddef.h>
#include <stdint.h>

#include "flow/flow.h"
#include "util/util.h"

/* header_protocol values of the raw packet header record (0:1) that we
 * decode; the others (Token Ring, FDDI, PPP, ...) count as non-IP. */
enum {
    SFLOW_HP_ETHERNET = 1,          /* ETHERNET-ISO88023 */
    SFLOW_HP_IPV4     = 11,
    SFLOW_HP_IPV6     = 12,
    SFLOW_HP_MPLS     = 13
};

/* IP protocol numbers the decoder treats specially. */
enum {
    SFLOW_IP_ICMP = 1, SFLOW_IP_TCP = 6, SFLOW_IP_UDP = 17,
    SFLOW_IP_ICMPV6 = 58, SFLOW_IP_SCTP = 132
};

/* Largest ip_length we hand out: the IPv4 total length field, and the IPv6
 * payload length field plus the fixed header (jumbograms are clamped). */
#define SFLOW_MAX_IPV4_LENGTH 65535u
#define SFLOW_MAX_IPV6_LENGTH (65535u + 40u)

/* What one sampled packet says, from its raw header or from a sampled
 * IPv4/IPv6 record.  Only meaningful when the decoder said "IP". */
typedef struct sflow_packet {
    flow_addr src, dst;
    uint32_t  ip_length;            /* see sflow_flow_sample.ip_length */
    uint16_t  src_port, dst_port;   /* ICMP rule applied */
    uint16_t  vlan;                 /* outermost nonzero tag; 0 = none */
    uint8_t   proto, tos, tcp_flags;
} sflow_packet;

/* Decode the header bytes h[0..len) of a raw packet header record whose
 * header_protocol is `protocol`.  frame_length and stripped come from the
 * same record (they give the IP length when the header's own length field
 * is 0, as in TCP segmentation offload).  Returns 1 with *p filled when an
 * IPv4 or IPv6 header is there in full, else 0 (non-IP, unknown protocol,
 * or truncated before the end of the fixed IP header). */
int sflow_decode_packet(uint32_t protocol, const uint8_t *h, size_t len,
                        uint32_t frame_length, uint32_t stripped,
                        sflow_packet *p);

/* Fill the transport fields of p from a sampled IPv4/IPv6 record (p->proto
 * already set), applying the same rules as the header decoder: ports only
 * for TCP, UDP and SCTP, flags only for TCP, the ICMP type and code in
 * dst_port.  Returns 0, or -1 when a port does not fit 16 bits. */
int sflow_packet_transport(sflow_packet *p, uint32_t src_port,
                           uint32_t dst_port, uint32_t tcp_flags);

#endif
