/*
 * decode_impl.h: what the files of src/decode/ share and nobody else sees.
 *
 * Ownership: a decoder owns its exporters (dec_exporter), an exporter owns
 * its domains (dec_domain: one per protocol and v9 source id / IPFIX
 * observation domain / v5 engine / sFlow sub-agent), a domain owns its
 * compiled templates (dec_template), its announced samplers, the data sets
 * waiting for a template (dec_pending) and, for sFlow, the sequence state
 * of its data sources.  Nothing is ever shared between
 * two owners, so freeing is a walk down that tree.
 *
 * Who does what:
 *   decode.c       decoder, exporter table, domains, output buffer, dispatch
 *   sequence.c     sequence numbers -> loss, reordering, restarts
 *   template.c     template table, compiling templates into ops, and
 *                  running the ops over data records (the hot path)
 *   sampling.c     samplers announced in options data; choosing an interval
 *   pending.c      data sets that came before their template
 *   netflow_v5.c, netflow_v9.c, ipfix.c, sflow5.c   the wire formats
 *   state.c        decoder_save / decoder_load
 *
 * Wire integers are big-endian (be16/be32/be64 below); the saved state is
 * little-endian (c2_get/c2_put of util.h).
 */
#ifndef C2FLOW_DECODE_IMPL_H
#define C2FLOW_DECODE_IMPL_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "decode/decode.h"

/* ---- bounds (besides decode_options) ---- */
#define DEC_MAX_FIELDS      512     /* fields in one template */
#define DEC_MAX_DOMAINS     256     /* (protocol, domain) pairs per exporter */
#define DEC_MAX_SAMPLERS    64      /* sampler / selector ids per domain */
#define DEC_MAX_SOURCES     4096    /* sFlow data sources tracked per domain */
#define DEC_TEMPLATE_BUDGET (8u << 20)  /* bytes of compiled templates per exporter */
#define DEC_VARLEN          0xffff  /* IPFIX field length: variable */
#define DEC_UPTIME_SLACK_MS 100000  /* see dec_uptime_ms */
#define DEC_PENDING_SETS    64      /* data sets awaiting a template, per domain */
#define DEC_PENDING_BYTES   (256u << 10)    /* their bytes (and entries), per domain */
#define DEC_PENDING_TOTAL   (16u << 20)     /* the same, per decoder */
#define DEC_PENDING_MS      (10 * 60 * 1000) /* how long one waits */

/* ---- big-endian loads: c2_get_be16/32/64 (util.h) ---- */
/* An unsigned integer of any width 1..8 (RFC 7011 reduced-size encoding). */
static inline uint64_t be_uint(const uint8_t *p, unsigned w)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < w; i++) v = v << 8 | p[i];
    return v;
}

/* ---- sequence numbers (sequence.c) ---- */
typedef struct dec_seq {
    uint32_t next;                  /* sequence number expected next */
    uint32_t alt_next;              /* where the run of late datagrams goes on */
    uint8_t  valid;                 /* next is known */
    uint8_t  alt_run;               /* late datagrams in a row continuing alt_next */
} dec_seq;

typedef enum dec_seq_kind {
    DEC_SEQ_PACKETS,                /* counts datagrams (v9, sFlow datagrams) */
    DEC_SEQ_RECORDS                 /* counts records (v5, IPFIX, sFlow samples) */
} dec_seq_kind;

typedef struct dec_seq_result {
    uint32_t lost;                  /* missing before this datagram */
    uint8_t  late;                  /* behind the expected number */
    uint8_t  reset;                 /* the stream was resynchronised */
} dec_seq_result;

/* Account for sequence number `seq` of a datagram (or sample) that carries
 * `inc` units; inc_known = 0 when the datagram's unit count is not known
 * (the stream then resynchronises silently on the next one). */
dec_seq_result dec_seq_update(dec_seq *s, dec_seq_kind kind, uint32_t seq,
                              uint32_t inc, int inc_known);

/* ---- templates (template.c) ---- */

/* A field specifier as received: id without the enterprise bit, pen = 0
 * for IANA elements. */
typedef struct dec_field {
    uint16_t id;
    uint16_t len;                   /* DEC_VARLEN = variable */
    uint32_t pen;
} dec_field;

/* What a field fills: an index into the values of a record being decoded
 * (uint64_t v[DT_COUNT]); addresses of IPv6 go straight to the record. */
enum dec_target {
    DT_NONE, DT_SRC4, DT_DST4, DT_SRC6, DT_DST6, DT_SRC_PORT, DT_DST_PORT,
    DT_PROTO, DT_TOS, DT_FLAGS, DT_IN_IF, DT_OUT_IF, DT_SRC_AS, DT_DST_AS,
    DT_BYTES, DT_PKTS, DT_START, DT_END, DT_DUR, DT_SYS_INIT,
    DT_ICMP4, DT_ICMP6, DT_ICMP_T4, DT_ICMP_C4, DT_ICMP_T6, DT_ICMP_C6,
    DT_SAMPLER, DT_INTERVAL, DT_RAND, DT_PKT_INT, DT_PKT_SPACE,
    DT_SAMP_SIZE, DT_SAMP_POP,
    DT_COUNT
};

/* One compiled field.  Fixed templates: integer ops do
 * v[tg] = c2_get_be64(record + end - 8) & mask(width), where end = src + width,
 * i.e. an 8-byte load that ends with the field's last byte; IPv6 ops copy
 * 16 bytes into the record.  Variable-length templates: one op per
 * field, in order. */
typedef struct dec_op {
    uint16_t src;                   /* offset in the record (fixed templates) */
    uint16_t end;                   /* src + width: where the 8-byte load ends */
    uint16_t width;                 /* field length; DEC_VARLEN */
    uint8_t  tg;                    /* enum dec_target; DT_NONE = skip */
    uint8_t  pad;
} dec_op;

/* The integer ops read up to 7 bytes before a field: a record handed to
 * them must have that many readable bytes before it (in a datagram the
 * headers always are). */
#define DEC_LOOKBEHIND 8

/* Time representation of one end of a flow. */
enum dec_time_mode {
    TM_NONE, TM_UPTIME, TM_SEC, TM_MS, TM_NTP, TM_DELTA_US
};

/* Finishing steps a template needs (dec_template.fin). */
enum {
    FIN_SRC4       = 1 << 0,        /* IPv4 source [8] */
    FIN_DST4       = 1 << 1,        /* IPv4 destination [12] */
    FIN_DUAL_SRC   = 1 << 2,        /* IPv4 and IPv6 source: use the non-zero one */
    FIN_DUAL_DST   = 1 << 3,
    FIN_ICMP       = 1 << 4,        /* ICMP type/code elements present */
    FIN_REC_SAMPLE = 1 << 5,        /* record carries an interval [34,50,305,306,309,310] */
    FIN_SAMPLER_ID = 1 << 6,        /* record carries a sampler id [48,302] */
    FIN_SYS_INIT   = 1 << 7,        /* record carries systemInitTimeMilliseconds [160] */
    FIN_DUR_MS     = 1 << 8,        /* flowDurationMilliseconds [161] */
    FIN_DUR_US     = 1 << 9         /* flowDurationMicroseconds [162] */
};

typedef struct dec_template {
    uint16_t    id;
    uint8_t     proto;              /* DECODE_NETFLOW_V9 or DECODE_IPFIX */
    uint8_t     options;            /* options template */
    uint8_t     varlen;             /* has variable-length fields */
    uint8_t     noflow;             /* data template without addresses */
    uint8_t     tm_start, tm_end;   /* dec_time_mode of each end */
    uint16_t    nfields;            /* all fields, scope fields first */
    uint16_t    nscope;             /* scope fields (options templates) */
    uint16_t    nint, n16;          /* fixed: integer ops, then IPv6 ops */
    uint16_t    nops;               /* nint + n16, or nfields (varlen) */
    uint16_t    fin;                /* FIN_* */
    uint32_t    rec_len;            /* fixed: record length; varlen: minimum */
    size_t      size;               /* bytes allocated, for the budget */
    flow_record base;               /* every record starts as this */
    dec_field  *fields;             /* nfields, as received (inside this block) */
    dec_op      ops[];              /* nops */
} dec_template;

/* Open-addressing table of a domain's templates, by template id. */
typedef struct dec_tmpl_table {
    dec_template **slot;            /* cap entries, NULL = free */
    uint32_t cap, n;                /* cap: power of two or 0 */
} dec_tmpl_table;

/* ---- sampling (sampling.c) ---- */
typedef struct dec_sampler {
    uint64_t id;                    /* [48] samplerId / [302] selectorId */
    uint32_t interval;              /* 1-in-N */
} dec_sampler;

/* ---- sFlow data sources (sflow5.c) ---- */
typedef struct dec_source {
    uint64_t key;                   /* source_type << 32 | source_index, +1 (0 = free) */
    dec_seq  seq;                   /* flow sample sequence numbers */
    uint32_t drops;                 /* last drops counter seen */
    uint8_t  drops_valid;
} dec_source;

/* ---- exporters and domains (decode.c) ---- */
/* A data set that came before its template (pending.c). */
typedef struct dec_pending {
    uint8_t  *bytes;                /* DEC_LOOKBEHIND zeros, then the set's body */
    uint32_t  len;
    uint16_t  id;                   /* the template it needs */
    uint8_t   has_uptime;           /* the header's times, for its records */
    uint32_t  uptime;
    uint64_t  export_ms;
    int64_t   recv_ms;              /* for DEC_PENDING_MS */
    uint64_t  dgram;                /* decoder.dgrams of its datagram */
    uint32_t  est;                  /* records it counts as if dropped */
} dec_pending;

typedef struct dec_domain {
    uint32_t       id;              /* domain as flow_record.domain holds it */
    uint8_t        proto;           /* decode_proto */
    uint8_t        has_sys_init;
    uint16_t       nsamplers;
    uint32_t       interval;        /* announced for the whole domain; 0 = none */
    int64_t        sys_init_ms;     /* [160] from options data */
    dec_seq        seq;             /* datagram or record sequence */
    dec_tmpl_table tmpl;
    dec_sampler   *samplers;        /* DEC_MAX_SAMPLERS once the first arrives */
    dec_source    *sources;         /* sFlow: open addressing, src_cap slots */
    uint32_t       src_cap, nsources;
    uint64_t       used;            /* exporter's datagram tick when last used */
    dec_pending   *pending;         /* data sets waiting for their template */
    uint32_t       npending, cap_pending, pending_bytes;
} dec_domain;

typedef struct dec_exporter {
    decode_exporter pub;            /* address, protocol, counters, override */
    uint32_t     ntemplates;        /* over all domains */
    size_t       tmpl_bytes;        /* compiled template bytes over all domains */
    uint32_t     ndomains, cap_domains;
    dec_domain **domains;
    dec_domain  *last;              /* domain of the previous datagram */
    uint64_t     tick;              /* datagrams seen, for domain eviction */
} dec_exporter;

typedef struct dec_override {
    flow_addr addr;
    uint32_t  interval;
} dec_override;

/* Changes to the saved state, counted in a block apart so that
 * decoder_save, which takes a const decoder, can note what it saved. */
typedef struct dec_gen {
    uint64_t changes;               /* bumped on every change to saved state */
    uint64_t saved;                 /* value of changes at the last save/load */
} dec_gen;

struct decoder {
    decode_options  opt;
    dec_exporter  **ex;             /* nex used, opt.max_exporters allocated */
    uint32_t        nex;
    uint32_t       *hash;           /* exporter index + 1 by address; 0 = free */
    uint32_t        hmask;
    dec_exporter   *last;           /* exporter of the previous datagram */
    dec_override   *ovr;            /* opt.max_exporters allocated */
    uint32_t        novr;
    flow_record    *out;            /* output buffer, reused */
    size_t          out_n, out_cap;
    decode_counters dropped;        /* datagrams of exporters beyond the table */
    dec_gen        *gen;
    dec_field      *fields;         /* scratch: DEC_MAX_FIELDS specifiers */
    uint64_t        dgrams;         /* datagrams decoded (names a datagram) */
    size_t          pending_bytes;  /* of every domain's pending sets */
};

/* What the decoding of one datagram carries along. */
typedef struct dec_ctx {
    decoder        *d;
    dec_exporter   *e;
    decode_proto    proto;
    int64_t         now_ms;
    uint64_t        export_ms;      /* export time from the header */
    uint32_t        uptime;         /* v5/v9 header sysUptime, ms */
    uint8_t         has_uptime;
    uint8_t         failed;         /* err already holds the first fault */
    c2_err         *err;
    uint64_t        data_records;   /* IPFIX: data records seen (sequence) */
    uint32_t        records_seen;   /* v9: records of any kind (header count) */
    uint32_t        unknown_sets;   /* data sets without a template, dropped */
    uint32_t        kept_sets;      /* ... kept waiting for it (pending.c) */
} dec_ctx;

/* decode.c */
int          dec_fail(dec_ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
dec_domain  *dec_domain_get(dec_ctx *c, decode_proto proto, uint32_t id);
dec_domain  *dec_domain_find(const dec_exporter *e, decode_proto proto, uint32_t id);
dec_exporter *dec_exporter_get(decoder *d, const flow_addr *addr, int create);
void         dec_exporter_attach(decoder *d, dec_exporter *e);
/* Room for n more output records; NULL when out of memory. */
flow_record *dec_out_reserve(decoder *d, size_t n);
void         dec_changed(const decoder *d);
/* The exporter's datagrams are now of protocol proto (a change forgets
 * all its sequence state). */
void         dec_note_proto(dec_exporter *e, decode_proto proto);
void         dec_domain_free(dec_domain *dom);

/* pending.c: data sets before their template.  keep: a copy of b[0..n) for
 * template id, or NULL when there is no room (the caller counts it as
 * no_template); the entry is valid until the next call of these. */
dec_pending *dec_pending_keep(dec_ctx *c, dec_domain *dom, uint16_t id, const uint8_t *b,
                              size_t n);
/* The one set the current datagram left waiting, or NULL (none, or more). */
dec_pending *dec_pending_of_datagram(dec_ctx *c, dec_domain *dom);
/* Decode and forget the sets waiting for t (just added to dom). */
void         dec_pending_replay(dec_ctx *c, dec_domain *dom, const dec_template *t);
/* Count as no_template and forget the sets waiting too long / all of them. */
void         dec_pending_expire(dec_ctx *c, dec_domain *dom);
void         dec_pending_drop_all(decoder *d, dec_exporter *e, dec_domain *dom);
void         dec_pending_drop_id(decoder *d, dec_exporter *e, dec_domain *dom, uint16_t id);

/* template.c */
/* Compile a template; NULL with *why set when it is unusable. */
dec_template *dec_template_compile(decode_proto proto, uint16_t id, int options,
                                   const dec_field *f, uint16_t nf, uint16_t nscope,
                                   const flow_addr *exporter, uint32_t domain,
                                   const char **why);
int  dec_template_same(const dec_template *t, int options, const dec_field *f,
                       uint16_t nf, uint16_t nscope);
dec_template *dec_tmpl_find(const dec_tmpl_table *tt, uint16_t id);
/* Insert or replace; the replaced template is returned (caller frees). */
int  dec_tmpl_reserve(dec_tmpl_table *tt, uint32_t more);
dec_template *dec_tmpl_put(dec_tmpl_table *tt, dec_template *t);
dec_template *dec_tmpl_remove(dec_tmpl_table *tt, uint16_t id);
void dec_tmpl_clear(dec_tmpl_table *tt);
/* A template record arrived: store it (or note a refresh).  0, or -1 with
 * the fault in c (the datagram goes on). */
int  dec_template_add(dec_ctx *c, dec_domain *dom, uint16_t id, int options,
                      const dec_field *f, uint16_t nf, uint16_t nscope);
void dec_template_withdraw(dec_ctx *c, dec_domain *dom, uint16_t id);
void dec_template_withdraw_all(dec_ctx *c, dec_domain *dom, int options);
/* Decode the records of a data set of template t.  Returns records read,
 * or -1 (fault noted in c) after decoding what could be. */
long dec_data_set(dec_ctx *c, dec_domain *dom, const dec_template *t,
                  const uint8_t *p, size_t n);
/* ms since epoch of a sysUptime-relative time t (see template.c). */
uint64_t dec_uptime_ms(uint64_t export_ms, uint32_t uptime, uint32_t t);
int dec_uptime_from_init(uint64_t export_ms, uint64_t init, uint32_t *up, uint64_t *base);
uint32_t dec_mul_sampling(flow_record *r, uint32_t interval);

/* sampling.c */
uint32_t dec_sampler_find(const dec_domain *dom, uint64_t id);
int      dec_sampler_set(dec_domain *dom, uint64_t id, uint32_t interval);
uint32_t dec_vals_interval(const uint64_t *v);
void     dec_options_record(dec_ctx *c, dec_domain *dom, const dec_template *t,
                            const uint64_t *v);

/* wire formats */
int dec_netflow_v5(dec_ctx *c, const uint8_t *p, size_t len);
int dec_netflow_v9(dec_ctx *c, const uint8_t *p, size_t len);
int dec_ipfix(dec_ctx *c, const uint8_t *p, size_t len);
int dec_sflow(dec_ctx *c, const flow_addr *udp_src, const uint8_t *p, size_t len);

#endif
