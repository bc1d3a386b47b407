/*
 * flow.c: the schema table, address helpers and column batches.
 *
 * The field table below is the single place that says, for each field, its
 * name, its type and where it sits in a flow_record and a flow_batch; every
 * generic loop (store columns, output, zones) goes through it, so adding a
 * field means adding one row here and one member in flow.h.
 */
#include "flow/flow.h"

#include <arpa/inet.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

typedef struct field_desc {
    const char *name;
    flow_type   type;
    size_t      rec_off;            /* offset in flow_record */
    size_t      col_off;            /* offset of the array pointer in flow_batch */
} field_desc;

#define F(name, type, rmember, bmember) \
    {name, type, offsetof(flow_record, rmember), offsetof(flow_batch, bmember)}

static const field_desc fields[FLOW_FIELD_COUNT] = {
    [FLOW_START]     = F("start", FLOW_T_TIME, start_ms, start_ms),
    [FLOW_END]       = F("end", FLOW_T_TIME, end_ms, end_ms),
    [FLOW_EXPORTER]  = F("exporter", FLOW_T_ADDR, exporter, exporter),
    [FLOW_DOMAIN]    = F("domain", FLOW_T_U32, domain, domain),
    [FLOW_IN_IF]     = F("in_if", FLOW_T_U32, in_if, in_if),
    [FLOW_OUT_IF]    = F("out_if", FLOW_T_U32, out_if, out_if),
    [FLOW_SRC_ADDR]  = F("src_ip", FLOW_T_ADDR, src_addr, src_addr),
    [FLOW_DST_ADDR]  = F("dst_ip", FLOW_T_ADDR, dst_addr, dst_addr),
    [FLOW_SRC_PORT]  = F("src_port", FLOW_T_U16, src_port, src_port),
    [FLOW_DST_PORT]  = F("dst_port", FLOW_T_U16, dst_port, dst_port),
    [FLOW_PROTO]     = F("proto", FLOW_T_U8, proto, proto),
    [FLOW_TCP_FLAGS] = F("tcp_flags", FLOW_T_U8, tcp_flags, tcp_flags),
    [FLOW_TOS]       = F("tos", FLOW_T_U8, tos, tos),
    [FLOW_PACKETS]   = F("packets", FLOW_T_U64, packets, packets),
    [FLOW_BYTES]     = F("bytes", FLOW_T_U64, bytes, bytes),
    [FLOW_SAMPLING]  = F("sampling", FLOW_T_U32, sampling, sampling),
    [FLOW_SRC_AS]    = F("src_as", FLOW_T_U32, src_as, src_as),
    [FLOW_DST_AS]    = F("dst_as", FLOW_T_U32, dst_as, dst_as),
};

const char *flow_field_name(flow_field f) { return fields[f].name; }
flow_type flow_field_type(flow_field f) { return fields[f].type; }

int flow_field_lookup(const char *name)
{
    for (int f = 0; f < FLOW_FIELD_COUNT; f++)
        if (!strcmp(fields[f].name, name)) return f;
    return -1;
}

size_t flow_type_size(flow_type t)
{
    switch (t) {
    case FLOW_T_TIME: case FLOW_T_U64: return 8;
    case FLOW_T_ADDR: return sizeof(flow_addr);
    case FLOW_T_U32: return 4;
    case FLOW_T_U16: return 2;
    case FLOW_T_U8: return 1;
    }
    return 0;
}

/* ---- addresses ---- */

static const uint8_t v4_prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

void flow_addr_from_v4(flow_addr *a, uint32_t v4)
{
    memcpy(a->b, v4_prefix, 12);
    a->b[12] = (uint8_t)(v4 >> 24);
    a->b[13] = (uint8_t)(v4 >> 16);
    a->b[14] = (uint8_t)(v4 >> 8);
    a->b[15] = (uint8_t)v4;
}

int flow_addr_is_v4(const flow_addr *a)
{
    return memcmp(a->b, v4_prefix, 12) == 0;
}

uint32_t flow_addr_v4(const flow_addr *a)
{
    return (uint32_t)a->b[12] << 24 | (uint32_t)a->b[13] << 16 |
           (uint32_t)a->b[14] << 8 | a->b[15];
}

int flow_addr_parse(const char *s, flow_addr *out)
{
    struct in_addr v4;
    if (inet_pton(AF_INET, s, &v4) == 1) {
        flow_addr_from_v4(out, ntohl(v4.s_addr));
        return 0;
    }
    if (inet_pton(AF_INET6, s, out->b) == 1) return 0;
    return -1;
}

char *flow_addr_format(const flow_addr *a, char *buf, size_t len)
{
    if (flow_addr_is_v4(a)) {
        snprintf(buf, len, "%u.%u.%u.%u", a->b[12], a->b[13], a->b[14], a->b[15]);
        return buf;
    }
    if (!inet_ntop(AF_INET6, a->b, buf, (socklen_t)len) && len) buf[0] = '\0';
    return buf;
}

int flow_addr_cmp(const flow_addr *a, const flow_addr *b)
{
    return memcmp(a->b, b->b, sizeof a->b);
}

static const struct { uint8_t num; const char *name; } protos[] = {
    {1, "ICMP"}, {2, "IGMP"}, {4, "IPIP"}, {6, "TCP"}, {17, "UDP"},
    {41, "IPv6"}, {47, "GRE"}, {50, "ESP"}, {51, "AH"}, {58, "ICMP6"},
    {89, "OSPF"}, {103, "PIM"}, {112, "VRRP"}, {132, "SCTP"},
};

const char *flow_proto_name(uint8_t proto)
{
    for (size_t i = 0; i < sizeof protos / sizeof protos[0]; i++)
        if (protos[i].num == proto) return protos[i].name;
    return NULL;
}

int flow_proto_lookup(const char *name)
{
    for (size_t i = 0; i < sizeof protos / sizeof protos[0]; i++)
        if (!strcasecmp(protos[i].name, name)) return protos[i].num;
    if (!strcasecmp(name, "ipv6-icmp") || !strcasecmp(name, "icmpv6")) return 58;
    return -1;
}

char *flow_tcp_flags_format(uint8_t flags, char *buf)
{
    static const char letters[] = "CEUAPRSF";
    for (int i = 0; i < 8; i++)
        buf[i] = (flags & (0x80 >> i)) ? letters[i] : '.';
    buf[8] = '\0';
    return buf;
}

/* ---- batches ---- */

static void **column_slot(flow_batch *b, flow_field f)
{
    return (void **)((char *)b + fields[f].col_off);
}

void *flow_batch_column(const flow_batch *b, flow_field f)
{
    return *(void *const *)((const char *)b + fields[f].col_off);
}


int flow_batch_init(flow_batch *b, size_t capacity, uint32_t want)
{
    memset(b, 0, sizeof *b);
    b->capacity = capacity;
    b->fields = want & FLOW_ALL_FIELDS;
    for (int f = 0; f < FLOW_FIELD_COUNT; f++) {
        if (!(b->fields & FLOW_BIT(f))) continue;
        void *p = calloc(capacity ? capacity : 1, flow_type_size(fields[f].type));
        if (!p) { flow_batch_free(b); return -1; }
        *column_slot(b, (flow_field)f) = p;
    }
    return 0;
}

static void free_v4_views(flow_batch *b)
{
    free(b->src_v4);
    free(b->dst_v4);
    free(b->src_v6map);
    free(b->dst_v6map);
    b->src_v4 = b->dst_v4 = NULL;
    b->src_v6map = b->dst_v6map = NULL;
    b->v4_capacity = 0;
    b->v4_fields = 0;
}

void flow_batch_free(flow_batch *b)
{
    for (int f = 0; f < FLOW_FIELD_COUNT; f++) {
        free(*column_slot(b, (flow_field)f));
        *column_slot(b, (flow_field)f) = NULL;
    }
    free_v4_views(b);
    b->v4_want = 0;
    b->count = b->capacity = 0;
    b->fields = 0;
}

int flow_batch_v4_view(flow_batch *b, flow_field f, uint32_t **v4, uint8_t **v6map)
{
    if (f != FLOW_SRC_ADDR && f != FLOW_DST_ADDR) return -1;
    if (b->v4_capacity < b->capacity) {
        /* both views at once: a capacity per view is not worth its fields */
        free_v4_views(b);
        size_t n = b->capacity ? b->capacity : 1;
        b->src_v4 = malloc(n * sizeof *b->src_v4);
        b->dst_v4 = malloc(n * sizeof *b->dst_v4);
        b->src_v6map = malloc((n + 7) / 8);
        b->dst_v6map = malloc((n + 7) / 8);
        b->v4_fields = 0;
        if (!b->src_v4 || !b->dst_v4 || !b->src_v6map || !b->dst_v6map) {
            free_v4_views(b);
            return -1;
        }
        b->v4_capacity = b->capacity;
    }
    *v4 = f == FLOW_SRC_ADDR ? b->src_v4 : b->dst_v4;
    *v6map = f == FLOW_SRC_ADDR ? b->src_v6map : b->dst_v6map;
    return 0;
}

int flow_batch_get_v4(const flow_batch *b, flow_field f, const uint32_t **v4,
                      const uint8_t **v6map)
{
    if (!(b->v4_fields & FLOW_BIT(f)) || (f != FLOW_SRC_ADDR && f != FLOW_DST_ADDR))
        return 0;
    *v4 = f == FLOW_SRC_ADDR ? b->src_v4 : b->dst_v4;
    *v6map = f == FLOW_SRC_ADDR ? b->src_v6map : b->dst_v6map;
    return 1;
}

void flow_batch_get(const flow_batch *b, size_t i, flow_record *out)
{
    memset(out, 0, sizeof *out);
    for (int f = 0; f < FLOW_FIELD_COUNT; f++) {
        if (!(b->fields & FLOW_BIT(f))) continue;
        size_t sz = flow_type_size(fields[f].type);
        memcpy((char *)out + fields[f].rec_off, (char *)flow_batch_column(b, (flow_field)f) + i * sz, sz);
    }
}

void flow_batch_put(flow_batch *b, const flow_record *r)
{
    size_t i = b->count++;
    b->v4_fields = 0;
    for (int f = 0; f < FLOW_FIELD_COUNT; f++) {
        if (!(b->fields & FLOW_BIT(f))) continue;
        size_t sz = flow_type_size(fields[f].type);
        memcpy((char *)flow_batch_column(b, (flow_field)f) + i * sz, (const char *)r + fields[f].rec_off, sz);
    }
}

/* Move rows idx[0..n) (ascending) to rows to, to+1, ... of a column of
 * width sz (to <= idx[0], so no row is overwritten before it is read).
 * Typed copies: a per-row memcpy call of a variable size was most of the
 * cost of filtering a batch. */
static void gather(void *col, size_t sz, size_t to, const uint32_t *idx, size_t n)
{
    switch (sz) {
    case 1: { uint8_t *c = col; for (size_t k = 0; k < n; k++) c[to + k] = c[idx[k]]; break; }
    case 2: { uint16_t *c = col; for (size_t k = 0; k < n; k++) c[to + k] = c[idx[k]]; break; }
    case 4: { uint32_t *c = col; for (size_t k = 0; k < n; k++) c[to + k] = c[idx[k]]; break; }
    case 8: { uint64_t *c = col; for (size_t k = 0; k < n; k++) c[to + k] = c[idx[k]]; break; }
    default: { flow_addr *c = col; for (size_t k = 0; k < n; k++) c[to + k] = c[idx[k]]; break; }
    }
}

void flow_batch_select(flow_batch *b, const uint8_t *keep)
{
    enum { CHUNK = 4096 };
    uint32_t idx[CHUNK];
    size_t out = 0;
    b->v4_fields = 0;                   /* the views are not moved */
    /* rows are gathered in chunks of CHUNK kept rows; out <= i always, so
     * a row is never overwritten before it is read */
    for (size_t i = 0; i < b->count;) {
        size_t n = 0, first_out = out;
        for (; i < b->count && n < CHUNK; i++)
            if (keep[i]) idx[n++] = (uint32_t)i;
        if (n == 0) break;
        if (idx[0] == first_out && idx[n - 1] == first_out + n - 1) {
            out += n;                   /* nothing dropped so far: in place */
            continue;
        }
        for (int f = 0; f < FLOW_FIELD_COUNT; f++) {
            if (!(b->fields & FLOW_BIT(f))) continue;
            void *col = flow_batch_column(b, (flow_field)f);
            size_t sz = flow_type_size(fields[f].type);
            gather(col, sz, first_out, idx, n);
        }
        out += n;
    }
    b->count = out;
}

static void value_from(flow_type t, const void *src, flow_value *out)
{
    memset(out, 0, sizeof *out);
    switch (t) {
    case FLOW_T_TIME: memcpy(&out->t, src, 8); break;
    case FLOW_T_U64: memcpy(&out->u, src, 8); break;
    case FLOW_T_ADDR: memcpy(&out->a, src, sizeof out->a); break;
    case FLOW_T_U32: { uint32_t v; memcpy(&v, src, 4); out->u = v; break; }
    case FLOW_T_U16: { uint16_t v; memcpy(&v, src, 2); out->u = v; break; }
    case FLOW_T_U8: out->u = *(const uint8_t *)src; break;
    }
}

void flow_batch_value(const flow_batch *b, flow_field f, size_t i, flow_value *out)
{
    size_t sz = flow_type_size(fields[f].type);
    value_from(fields[f].type, (const char *)flow_batch_column(b, f) + i * sz, out);
}

void flow_record_value(const flow_record *r, flow_field f, flow_value *out)
{
    value_from(fields[f].type, (const char *)r + fields[f].rec_off, out);
}

int flow_value_cmp(flow_type t, const flow_value *a, const flow_value *b)
{
    switch (t) {
    case FLOW_T_TIME: return (a->t > b->t) - (a->t < b->t);
    case FLOW_T_ADDR: return flow_addr_cmp(&a->a, &b->a);
    default: return (a->u > b->u) - (a->u < b->u);
    }
}
