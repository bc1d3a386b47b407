/*
 * aggregate: group flow records by keys and sum them up, nfdump -A / -s
 * style, in bounded memory.
 *
 *   -A srcip              one row per source address
 *   -A srcip/24,dstport   per source /24 and destination port
 *   -A srcip4/24,srcip6/64  one key: IPv4 sources per /24, IPv6 per /64
 *   --bin 1h -A dstip     per hour and destination
 *   -s dstip/flows -n 100 top 100 destinations by flows
 *   --distinct dstip      per group, how many distinct destination addresses
 *
 * Each group carries flows, packets, bytes, first start, last end, and
 * optionally an exact distinct count of one more field.  Groups live in a
 * hash table under a memory budget; past the budget the table is spilled to
 * hash-partitioned files and each partition is finished alone, so the result
 * is exact and memory stays bounded however many groups there are.  A query
 * over 30 days does not grow with the days.  docs/aggregate.md is the user's
 * description (syntax, order, memory, spilling).
 *
 * Address prefixes: one key has an IPv4 mask and an IPv6 mask.  `srcip/N`
 * (and `src_ip/N`) masks IPv4 addresses to /N (1..32) and leaves IPv6
 * addresses whole; IPv6 addresses are masked only when written `srcip6/N`
 * (1..128).  `srcip4/N` is the same as `srcip/N`.  As in nfdump, the IPv4
 * and IPv6 forms of one field name the same key, so `srcip4/24,srcip6/64` is
 * one key with both masks.
 *
 * Order: counts (flows, packets, bytes, distinct) rank descending, times
 * (first, last) and the key ascending, unless `direction` says otherwise.
 * Ties are always broken by the key, ascending (keys compare field by field
 * in spec order: the bin first, addresses as 16-byte mapped form, numbers by
 * value), so every order is total and the output deterministic.
 */
#ifndef C2FLOW_AGGREGATE_H
#define C2FLOW_AGGREGATE_H

#include <stddef.h>
#include <stdint.h>

#include "flow/flow.h"
#include "output/output.h"
#include "util/util.h"

#define AGG_MAX_KEYS 8
#define AGG_DEFAULT_BUDGET ((uint64_t)1 << 30)  /* memory_budget 0 means this */
#define AGG_KEY_LABEL_MAX 40                    /* agg_key_label buffer */

typedef struct agg_key {
    flow_field field;               /* what to group by */
    unsigned   prefix4;             /* addresses: IPv4 mask length 1..32;
                                       0 = whole address */
    unsigned   prefix6;             /* addresses: IPv6 mask length 1..128;
                                       0 = whole address */
} agg_key;

typedef enum agg_order {           /* what -s ranks by */
    AGG_BY_FLOWS, AGG_BY_PACKETS, AGG_BY_BYTES, AGG_BY_DISTINCT,
    AGG_BY_FIRST, AGG_BY_LAST, AGG_BY_KEY
} agg_order;

typedef struct agg_spec {
    agg_key    keys[AGG_MAX_KEYS];
    size_t     nkeys;               /* 0..8; 0 = one group (or one per bin) */
    int64_t    bin_ms;              /* time bucket of the start; 0 = none */
    int        distinct;            /* count distinct values of ... */
    flow_field distinct_field;      /* ... this field (whole value) */
    agg_order  order;               /* sort by */
    int        direction;           /* 0: the order's natural direction
                                       (counts descending; first, last and
                                       key ascending); +1 ascending;
                                       -1 descending */
    uint64_t   limit;               /* top N; 0 = all groups */
    uint64_t   memory_budget;       /* bytes for groups before spilling;
                                       0 = AGG_DEFAULT_BUDGET */
    const char *spill_dir;          /* where to spill (NULL: $TMPDIR or
                                       /tmp); borrowed until agg_free */
} agg_spec;

/* One result row, as handed to the caller. */
typedef struct agg_row {
    flow_value key[AGG_MAX_KEYS];   /* keys in spec order (prefix applied) */
    int64_t    bin_start_ms;        /* bin start, if bin_ms */
    uint64_t   flows, packets, bytes;
    int64_t    first_ms, last_ms;   /* min start, max end of the group */
    uint64_t   distinct;            /* distinct values, if spec.distinct */
} agg_row;

typedef struct aggregate aggregate;

typedef struct agg_stats {
    uint64_t groups;                /* distinct groups in the result (all of
                                       them, not only the top N); set by
                                       agg_finish */
    uint64_t records;               /* records added */
    uint64_t spilled_bytes;         /* written to spill files (0: none) */
    uint64_t peak_bytes;            /* largest in-memory table, counted as
                                       the budget counts it */
    uint64_t budget;                /* the budget in force: memory_budget,
                                       the default, or the floor of a few
                                       KiB a table needs at the least */
    unsigned spill_depth;           /* 0: no spill; 1: the input spilled;
                                       2 and more: partitions spilled again */
} agg_stats;

/* Parse "-A" text: "srcip,dstport", "srcip/24", "srcip6/64", "src_ip",
 * nfdump aliases (srcip dstip srcport dstport proto srcas dstas inif outif
 * tos srctos flags router) and c2flow field names, case-insensitive.
 * Replaces spec->keys and spec->nkeys; 0 or -1 with err. */
int  agg_parse_keys(const char *text, agg_spec *spec, c2_err *err);
/* Parse "-s" text: KEYS[/ORDER[:a|:d]] - "dstip/flows", "srcip/24/bytes",
 * "proto" (order flows), "dstip/last:d".  ORDER is flows, packets, bytes,
 * distinct, first (tstart), last (tend) or key.  "record/ORDER" sets only
 * the order and keeps the keys of -A.  Sets keys (see agg_parse_keys),
 * order and direction; the limit is the caller's (nfdump's default: 10). */
int  agg_parse_stat(const char *text, agg_spec *spec, c2_err *err);
/* Parse "--distinct" text: one field name or alias, no prefix. */
int  agg_parse_distinct(const char *text, agg_spec *spec, c2_err *err);
/* Parse "--bin" text: a duration ("5m", "1h", "1d"), more than 0. */
int  agg_parse_bin(const char *text, agg_spec *spec, c2_err *err);
/* A key's column name: "src_ip", "src_ip/24", "src_ip6/64", "src_ip/24/64"
 * (IPv4 mask, then IPv6 mask).  buf >= AGG_KEY_LABEL_MAX; returns buf. */
char *agg_key_label(const agg_key *k, char *buf, size_t len);

/* Check spec and make an aggregate (spec copied; spill_dir borrowed).
 * Caller frees with agg_free. */
int  agg_new(const agg_spec *spec, aggregate **out, c2_err *err);
/* FLOW_BIT mask of the columns agg_add reads. */
uint32_t agg_fields(const aggregate *a);
/* Add rows of b where keep[i] (keep NULL: all rows).  b must hold every
 * column of agg_fields().  May write spill files.  After a failure the
 * aggregate refuses more rows and agg_finish: free it. */
int  agg_add(aggregate *a, const flow_batch *b, const uint8_t *keep, c2_err *err);
/* Finish: call fn once per row in the spec's order (at most limit rows);
 * fn returns 0 to go on, anything else stops the walk and agg_finish
 * returns that value (err untouched: fn reports its own errors).  Returns 0,
 * or -1 with err (spill I/O, out of memory, a budget too small for one
 * partition).  Spill files are gone afterwards, whatever happened.  Call
 * once; agg_add is refused afterwards. */
typedef int (*agg_row_fn)(const agg_row *row, void *arg);
int  agg_finish(aggregate *a, agg_row_fn fn, void *arg, c2_err *err);
/* Free everything, removing spill files if any are left. */
void agg_free(aggregate *a);
void agg_get_stats(const aggregate *a, agg_stats *st);

/* A summary table for the rows of spec: columns [bin,] one per key
 * (agg_key_label), flows, packets, bytes, first, last [, distinct_FIELD].
 * Addresses are text, times ISO 8601, numbers numbers.  Caller frees with
 * output_table_free. */
int  agg_table_new(const agg_spec *spec, output_table **out, c2_err *err);
/* Append one row to such a table (errors are the table's, sticky). */
void agg_table_add(output_table *t, const agg_spec *spec, const agg_row *row);

#endif
