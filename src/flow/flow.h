/*
 * flow: the flow record every c2flow module shares, and its column form.
 *
 * A flow_record is one unidirectional flow as a router exports it: header
 * fields only, never payload.  Counters are already multiplied by the
 * sampling interval the collector applied, and the interval is kept beside
 * them so that a reader can always get back to what the router saw.
 *
 * Addresses of both families live in one 16-byte form: IPv6 as is, IPv4 as
 * the IPv4-mapped IPv6 address ::ffff:a.b.c.d (RFC 4291 2.5.5.2), so that
 * one comparison, one column and one prefix matcher serve both.
 *
 * A flow_batch holds the same fields as columns (one array per field), the
 * shape in which the store reads and the analysis code scans.  The field
 * list (flow_field) is the schema: store columns, output columns and query
 * keys are all named from flow_field_name().
 */
#ifndef C2FLOW_FLOW_H
#define C2FLOW_FLOW_H

#include <stddef.h>
#include <stdint.h>

typedef struct flow_addr {
    uint8_t b[16];                  /* network byte order; IPv4 mapped */
} flow_addr;

/*
 * In-memory record, 112 bytes.  Order chosen for alignment, not meaning.
 * [n] = NetFlow v9 / IPFIX information element the field comes from.
 */
typedef struct flow_record {
    int64_t   start_ms;     /* first packet, ms since epoch UTC   [22,152] */
    int64_t   end_ms;       /* last packet, ms since epoch UTC    [21,153] */
    uint64_t  packets;      /* packets x sampling interval           [2] */
    uint64_t  bytes;        /* L3 bytes x sampling interval          [1] */
    flow_addr src_addr;     /* source address                     [8,27] */
    flow_addr dst_addr;     /* destination address               [12,28] */
    flow_addr exporter;     /* router that exported the flow       [130] */
    uint32_t  domain;       /* v9 source id / IPFIX observation domain */
    uint32_t  in_if;        /* input ifIndex                        [10] */
    uint32_t  out_if;       /* output ifIndex                       [14] */
    uint32_t  sampling;     /* 1-in-N interval applied; 1 = unsampled */
    uint32_t  src_as;       /* source AS, 0 = not exported          [16] */
    uint32_t  dst_as;       /* destination AS, 0 = not exported     [17] */
    uint16_t  src_port;     /* L4 source port; 0 for ICMP            [7] */
    uint16_t  dst_port;     /* L4 dest port; ICMP: type<<8 | code   [11] */
    uint8_t   proto;        /* IP protocol number                    [4] */
    uint8_t   tcp_flags;    /* OR of TCP flags (FIN=0x01 .. CWR=0x80) [6] */
    uint8_t   tos;          /* IP ToS / traffic class byte           [5] */
    uint8_t   reserved;     /* zero */
} flow_record;

/* The schema.  Order is the store's column order and the default output
 * column order; append new fields at the end only. */
typedef enum flow_field {
    FLOW_START, FLOW_END, FLOW_EXPORTER, FLOW_DOMAIN, FLOW_IN_IF, FLOW_OUT_IF,
    FLOW_SRC_ADDR, FLOW_DST_ADDR, FLOW_SRC_PORT, FLOW_DST_PORT, FLOW_PROTO,
    FLOW_TCP_FLAGS, FLOW_TOS, FLOW_PACKETS, FLOW_BYTES, FLOW_SAMPLING,
    FLOW_SRC_AS, FLOW_DST_AS,
    FLOW_FIELD_COUNT
} flow_field;

#define FLOW_BIT(f) (1u << (f))
#define FLOW_ALL_FIELDS ((1u << FLOW_FIELD_COUNT) - 1)

typedef enum flow_type {
    FLOW_T_TIME,                    /* int64 ms since epoch */
    FLOW_T_ADDR,                    /* flow_addr */
    FLOW_T_U64, FLOW_T_U32, FLOW_T_U16, FLOW_T_U8
} flow_type;

/* A field value of any type, for min/max zones and generic code. */
typedef union flow_value {
    uint64_t  u;                    /* unsigned fields */
    int64_t   t;                    /* FLOW_T_TIME */
    flow_addr a;                    /* FLOW_T_ADDR */
} flow_value;

/* Columns of records.  Only the arrays of fields a reader asked for are
 * valid; the others may be NULL.  `count` rows, `capacity` allocated. */
typedef struct flow_batch {
    size_t     count;
    size_t     capacity;
    uint32_t   fields;              /* FLOW_BIT mask of the valid arrays */
    int64_t   *start_ms, *end_ms;
    flow_addr *exporter, *src_addr, *dst_addr;
    uint64_t  *packets, *bytes;
    uint32_t  *domain, *in_if, *out_if, *sampling, *src_as, *dst_as;
    uint16_t  *src_port, *dst_port;
    uint8_t   *proto, *tcp_flags, *tos;
    /* IPv4 views of the address columns, an optional shortcut for readers
     * of the IPv4 rows (an address list filter looks up uint32 values, not
     * 16-byte addresses).  For an address field f with FLOW_BIT(f) in
     * v4_fields, row i of its view is v6map bit i (byte i / 8, bit i % 8)
     * = 1 when the row is IPv6, else v4[i] = its IPv4 address in host
     * order (v4[i] of an IPv6 row means nothing).  A decoder fills a view
     * only when asked (v4_want) and sets its bit; whatever changes the
     * rows afterwards (flow_batch_select, flow_batch_put, a partial
     * decode) clears the bit, and so must any other writer of the address
     * columns.  The store's scan fills them for its row predicate only and
     * clears them before a batch is handed out.  Allocated on demand by
     * flow_batch_v4_view, owned by the batch, freed by flow_batch_free. */
    uint32_t  *src_v4, *dst_v4;
    uint8_t   *src_v6map, *dst_v6map;
    size_t     v4_capacity;         /* rows the views hold */
    uint32_t   v4_want;             /* FLOW_BIT mask: views a decoder should fill */
    uint32_t   v4_fields;           /* FLOW_BIT mask: views that are valid */
} flow_batch;

/* ---- schema ---- */
const char *flow_field_name(flow_field f);    /* "src_ip", "dst_port", ... */
int         flow_field_lookup(const char *name); /* -1 if unknown */
flow_type   flow_field_type(flow_field f);
size_t      flow_type_size(flow_type t);

/* ---- addresses ---- */
void flow_addr_from_v4(flow_addr *a, uint32_t host_order_v4);
int  flow_addr_is_v4(const flow_addr *a);
uint32_t flow_addr_v4(const flow_addr *a);    /* host order; valid if is_v4 */
/* Parse IPv4 or IPv6 text; 0 ok, -1 not an address. */
int  flow_addr_parse(const char *s, flow_addr *out);
/* IPv4 as dotted quad, IPv6 per RFC 5952; buf >= FLOW_ADDR_STRLEN. */
#define FLOW_ADDR_STRLEN 46
char *flow_addr_format(const flow_addr *a, char *buf, size_t len);
int  flow_addr_cmp(const flow_addr *a, const flow_addr *b);

/* "TCP", "UDP", "ICMP", ... or NULL; and the reverse (-1 if unknown). */
const char *flow_proto_name(uint8_t proto);
int flow_proto_lookup(const char *name);
/* TCP flag bits of flow_record.tcp_flags. */
enum { FLOW_TCP_FIN = 0x01, FLOW_TCP_SYN = 0x02, FLOW_TCP_RST = 0x04, FLOW_TCP_PSH = 0x08,
       FLOW_TCP_ACK = 0x10 };
/* A TCP record of connection attempts alone (SYN without ACK, RST or FIN):
 * what a scanner's probe, or a knock on a server that is down, looks like.
 * Methods 1 and 2 must agree on it. */
static inline int flow_tcp_syn_only(uint8_t proto, uint8_t tcp_flags)
{
    return proto == 6 && (tcp_flags & (FLOW_TCP_SYN | FLOW_TCP_ACK | FLOW_TCP_RST |
                                       FLOW_TCP_FIN)) == FLOW_TCP_SYN;
}
/* nfdump-style flags: "...AP.SF" (CWR ECE URG ACK PSH RST SYN FIN). */
char *flow_tcp_flags_format(uint8_t flags, char *buf /* >= 9 */);

/* ---- batches ---- */
/* Allocate arrays for `fields` with room for `capacity` rows.  0 or -1. */
int  flow_batch_init(flow_batch *b, size_t capacity, uint32_t fields);
void flow_batch_free(flow_batch *b);
/* The array of field f in b (NULL when b has no such column). */
void *flow_batch_column(const flow_batch *b, flow_field f);
/* Storage for the IPv4 view of address field f (FLOW_SRC_ADDR or
 * FLOW_DST_ADDR) for b->capacity rows, allocated on first use and kept:
 * 0 with *v4 and *v6map set (contents undefined until filled), -1 for
 * another field or out of memory.  For decoders, which fill the view and
 * then set FLOW_BIT(f) in b->v4_fields; the bit is not changed here. */
int  flow_batch_v4_view(flow_batch *b, flow_field f, uint32_t **v4, uint8_t **v6map);
/* 1 with the arrays when field f's view is valid (see flow_batch), else 0. */
int  flow_batch_get_v4(const flow_batch *b, flow_field f, const uint32_t **v4,
                       const uint8_t **v6map);
/* Row i of a batch as a record (fields not in the batch are zeroed). */
void flow_batch_get(const flow_batch *b, size_t i, flow_record *out);
/* Append one record's valid fields; the caller ensures count < capacity. */
void flow_batch_put(flow_batch *b, const flow_record *r);
/* Keep only rows whose keep[i] is nonzero, preserving order. */
void flow_batch_select(flow_batch *b, const uint8_t *keep);
/* A field of row i as a flow_value. */
void flow_batch_value(const flow_batch *b, flow_field f, size_t i, flow_value *out);
void flow_record_value(const flow_record *r, flow_field f, flow_value *out);
/* Compare two values of field f's type: <0, 0, >0. */
int  flow_value_cmp(flow_type t, const flow_value *a, const flow_value *b);

#endif
