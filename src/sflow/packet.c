/*
 * packet.c: the header of one sampled packet (the bytes of an sFlow raw
 * packet header record) reduced to the fields of a flow record.
 *
 * An agent copies the first N bytes of the packet (128 by default), so
 * the header is usually cut somewhere inside or after the transport
 * header.  The rule is "take what is there": the fixed IPv4 (20 bytes) or
 * IPv6 (40 bytes) header must be complete, or the sample is not IP; ports,
 * ICMP type/code and TCP flags are filled only when their bytes are there.
 * Lengths come from the IP header, not from what was captured, and the
 * transport header is looked for only inside both the capture and the IP
 * datagram (an Ethernet frame pads short packets to 60 bytes).
 *
 * Layers, outside in, every loop bounded by a fixed count:
 *   Ethernet II or 802.3 LLC/SNAP; up to SFLOW_MAX_TAGS 802.1Q / 802.1ad
 *   tags (0x8100, 0x88a8, 0x9100); PPPoE session (0x8864); an MPLS label
 *   stack of up to SFLOW_MAX_LABELS, whose payload is guessed from its first
 *   nibble as routers do; IPv4 (options skipped by IHL; only a first
 *   fragment has a transport header); IPv6 with up to SFLOW_MAX_EXT
 *   extension headers (hop-by-hop, routing, fragment, destination options,
 *   AH), skipped by their own length; then TCP, UDP, SCTP, ICMP, ICMPv6.
 *
 * When the IP length field is 0 or smaller than the IP header (segments of
 * TCP segmentation offload, IPv6 jumbograms) the length is taken from the
 * frame: frame_length - stripped - link header, or the bytes captured when
 * the frame length is not larger than its own headers; clamped to what the
 * field could hold.  So ip_length is always within [IP header, maximum].
 */
#include "sflow/sflow_impl.h"

#include <string.h>

#define SFLOW_MAX_TAGS   8          /* VLAN tags; QinQ uses 2 */
#define SFLOW_MAX_LABELS 8          /* MPLS labels; cores use 2 to 4 */
#define SFLOW_MAX_EXT    8          /* IPv6 extension headers */

#define ETH_IPV4   0x0800
#define ETH_IPV6   0x86DD
#define ETH_MPLS   0x8847
#define ETH_MPLS_M 0x8848
#define ETH_PPPOE  0x8864
#define ETH_NONE   0                /* not a protocol we read */

static int is_vlan_tag(uint16_t type)
{
    return type == 0x8100 || type == 0x88A8 || type == 0x9100;
}

/* Ethernet II, or 802.3 with an LLC/SNAP header carrying an EtherType.
 * Sets *off past the link header (tags included), returns the EtherType. */
static uint16_t ethernet(const uint8_t *h, size_t len, size_t *off, uint16_t *vlan)
{
    if (len < 14) return ETH_NONE;
    uint16_t type = c2_get_be16(h + 12);
    size_t o = 14;
    for (int i = 0; is_vlan_tag(type); i++) {
        if (i == SFLOW_MAX_TAGS || len - o < 4) return ETH_NONE;
        uint16_t id = c2_get_be16(h + o) & 0x0FFF;
        if (*vlan == 0) *vlan = id;     /* outermost nonzero: skip priority tags */
        type = c2_get_be16(h + o + 2);
        o += 4;
    }
    if (type < 0x0600) {                /* 802.3 length: only SNAP names a type */
        static const uint8_t snap[6] = {0xAA, 0xAA, 0x03, 0, 0, 0};
        if (len - o < 8 || memcmp(h + o, snap, 6) != 0) return ETH_NONE;
        type = c2_get_be16(h + o + 6);
        o += 8;
    }
    *off = o;
    return type;
}

/* An MPLS label stack: skip to the bottom of stack and guess the payload
 * from its version nibble (an MPLS header does not say what it carries). */
static uint16_t mpls(const uint8_t *h, size_t len, size_t *off)
{
    size_t o = *off;
    for (int i = 0; i < SFLOW_MAX_LABELS; i++) {
        if (len - o < 4) return ETH_NONE;
        int bottom = h[o + 2] & 1;
        o += 4;
        if (!bottom) continue;
        *off = o;
        if (o == len) return ETH_NONE;
        return (h[o] >> 4) == 4 ? ETH_IPV4 : (h[o] >> 4) == 6 ? ETH_IPV6 : ETH_NONE;
    }
    return ETH_NONE;
}

/* A PPPoE session header (RFC 2516) and the PPP protocol after it. */
static uint16_t pppoe(const uint8_t *h, size_t len, size_t *off)
{
    size_t o = *off;
    if (len - o < 8 || h[o] != 0x11 || h[o + 1] != 0) return ETH_NONE;
    uint16_t ppp = c2_get_be16(h + o + 6);
    *off = o + 8;
    return ppp == 0x0021 ? ETH_IPV4 : ppp == 0x0057 ? ETH_IPV6 : ETH_NONE;
}

/* The IP length to use when the header's own field is unusable. */
static uint32_t fallback_length(uint32_t from_frame, size_t captured,
                                uint32_t min, uint32_t max)
{
    uint64_t v = from_frame ? from_frame : captured;
    return v < min ? min : v > max ? max : (uint32_t)v;
}

/* Ports, ICMP type/code and TCP flags from the n bytes of the transport
 * header that are there. */
static void transport(const uint8_t *q, size_t n, sflow_packet *p)
{
    switch (p->proto) {
    case SFLOW_IP_TCP:
        if (n >= 14) p->tcp_flags = q[13];
        /* fall through */
    case SFLOW_IP_UDP:
    case SFLOW_IP_SCTP:
        if (n >= 4) {
            p->src_port = c2_get_be16(q);
            p->dst_port = c2_get_be16(q + 2);
        }
        break;
    case SFLOW_IP_ICMP:
    case SFLOW_IP_ICMPV6:
        if (n >= 2) p->dst_port = (uint16_t)(q[0] << 8 | q[1]);
        break;
    default:
        break;
    }
}

static int ipv4(const uint8_t *q, size_t len, uint32_t l3_frame, sflow_packet *p)
{
    if (len < 20 || q[0] >> 4 != 4) return 0;
    size_t ihl = (size_t)(q[0] & 0x0F) * 4;
    if (ihl < 20) return 0;
    uint32_t total = c2_get_be16(q + 2);
    if (total < ihl)                    /* 0 under segmentation offload */
        total = fallback_length(l3_frame, len, (uint32_t)ihl, SFLOW_MAX_IPV4_LENGTH);
    p->tos = q[1];
    p->proto = q[9];
    flow_addr_from_v4(&p->src, c2_get_be32(q + 12));
    flow_addr_from_v4(&p->dst, c2_get_be32(q + 16));
    p->ip_length = total;
    if (c2_get_be16(q + 6) & 0x1FFF) return 1;   /* later fragment: no L4 */
    size_t end = len < total ? len : total;
    if (end > ihl) transport(q + ihl, end - ihl, p);
    return 1;
}

static int is_ipv6_ext(uint8_t nh)
{
    return nh == 0 || nh == 43 || nh == 44 || nh == 51 || nh == 60;
}

/* Walk the extension headers from q[*off] up to end.  Returns the
 * upper-layer protocol (or the last next-header value known when the chain
 * is cut or too long) and sets *off to its header, or to SIZE_MAX when no
 * transport header follows (a later fragment, a cut chain). */
static uint8_t ipv6_chain(const uint8_t *q, size_t end, uint8_t nh, size_t *off)
{
    size_t o = *off;
    for (int i = 0; is_ipv6_ext(nh); i++) {
        if (i == SFLOW_MAX_EXT || o > end || end - o < 8) {
            *off = SIZE_MAX;            /* every extension header is >= 8 bytes */
            return nh;
        }
        uint8_t next = q[o];
        size_t hl = nh == 44 ? 8 : nh == 51 ? ((size_t)q[o + 1] + 2) * 4
                                            : ((size_t)q[o + 1] + 1) * 8;
        int later_fragment = nh == 44 && (c2_get_be16(q + o + 2) >> 3) != 0;
        nh = next;
        o += hl;
        if (later_fragment) { *off = SIZE_MAX; return nh; }
    }
    *off = o;
    return nh;
}

static int ipv6(const uint8_t *q, size_t len, uint32_t l3_frame, sflow_packet *p)
{
    if (len < 40 || q[0] >> 4 != 6) return 0;
    uint32_t payload = c2_get_be16(q + 4);
    uint32_t total = payload ? payload + 40
                             : fallback_length(l3_frame, len, 40, SFLOW_MAX_IPV6_LENGTH);
    p->tos = (uint8_t)((q[0] & 0x0F) << 4 | q[1] >> 4);
    memcpy(p->src.b, q + 8, 16);
    memcpy(p->dst.b, q + 24, 16);
    p->ip_length = total;
    size_t end = len < total ? len : total, off = 40;
    p->proto = ipv6_chain(q, end, q[6], &off);
    if (off < end) transport(q + off, end - off, p);
    return 1;
}

int sflow_decode_packet(uint32_t protocol, const uint8_t *h, size_t len,
                        uint32_t frame_length, uint32_t stripped,
                        sflow_packet *p)
{
    memset(p, 0, sizeof *p);
    size_t off = 0;
    uint16_t type;
    switch (protocol) {
    case SFLOW_HP_ETHERNET: type = ethernet(h, len, &off, &p->vlan); break;
    case SFLOW_HP_IPV4:     type = ETH_IPV4; break;
    case SFLOW_HP_IPV6:     type = ETH_IPV6; break;
    case SFLOW_HP_MPLS:     type = ETH_MPLS; break;
    default:                return 0;
    }
    if (type == ETH_PPPOE) type = pppoe(h, len, &off);
    if (type == ETH_MPLS || type == ETH_MPLS_M) type = mpls(h, len, &off);
    /* what the frame held from the IP header on, when the agent says */
    uint64_t l3 = (uint64_t)stripped + off;
    uint32_t l3_frame = frame_length > l3 ? (uint32_t)(frame_length - l3) : 0;
    if (type == ETH_IPV4) return ipv4(h + off, len - off, l3_frame, p);
    if (type == ETH_IPV6) return ipv6(h + off, len - off, l3_frame, p);
    return 0;
}

int sflow_packet_transport(sflow_packet *p, uint32_t src_port,
                           uint32_t dst_port, uint32_t tcp_flags)
{
    if (src_port > 0xFFFF || dst_port > 0xFFFF) return -1;
    p->src_port = p->dst_port = 0;
    p->tcp_flags = 0;
    switch (p->proto) {
    case SFLOW_IP_TCP:
        p->tcp_flags = (uint8_t)tcp_flags;
        /* fall through */
    case SFLOW_IP_UDP:
    case SFLOW_IP_SCTP:
        p->src_port = (uint16_t)src_port;
        p->dst_port = (uint16_t)dst_port;
        break;
    case SFLOW_IP_ICMP:
    case SFLOW_IP_ICMPV6:
        /* "source port or equivalent": agents put the type in src_port and
         * the code in dst_port, or type << 8 | code in dst_port as NetFlow
         * does; a nonzero src_port of at most 255 says which */
        if (src_port != 0 && src_port <= 0xFF && dst_port <= 0xFF)
            p->dst_port = (uint16_t)(src_port << 8 | dst_port);
        else
            p->dst_port = (uint16_t)dst_port;
        break;
    default:
        break;
    }
    return 0;
}
