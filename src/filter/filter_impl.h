/*
 * filter_impl.h: private to src/filter/ (filter.h is the module's API): the
 * node tree a filter compiles to, shared by the parser (parse.c), which
 * builds it, and the evaluator (eval.c), which runs it over batches and
 * store zones.
 *
 * The tree has few node kinds on purpose.  Every term of the language is
 * rewritten into them by the parser: `port 23` is OR(src_port == 23,
 * dst_port == 23), `flags S` is AND(proto == 6, (tcp_flags & 0x02) ==
 * 0x02), `net 10.0.0.0/8` is (src_addr & /104 mask) == ::ffff:10.0.0.0, and
 * so on, so that the evaluator needs one tight loop per kind and column
 * type, and the zone test one rule per kind.  AND and OR are n-ary (chains
 * are flattened) and constants are folded, so `any` costs nothing.
 */
#ifndef C2FLOW_FILTER_IMPL_H
#define C2FLOW_FILTER_IMPL_H

#include <stddef.h>
#include <stdint.h>

#include "filter/filter.h"
#include "ipset/ipset.h"

/* Pseudo-field: end_ms - start_ms in ms (0 when end <= start). */
#define FILTER_DURATION FLOW_FIELD_COUNT
/* Rows evaluated at a time; each AND/OR level keeps one such byte vector
 * on the stack, and nesting is limited to FILTER_MAX_DEPTH. */
#define FILTER_CHUNK 512
#define FILTER_MAX_DEPTH 64

typedef enum fnode_kind {
    FN_TRUE, FN_FALSE,
    FN_AND, FN_OR, FN_NOT,          /* kids */
    FN_CMP,                         /* field op value (unsigned fields, duration) */
    FN_MASK,                        /* (field & mask) == value */
    FN_LIST,                        /* field in list[] */
    FN_ADDR,                        /* (addr & amask) == addr, 128 bits */
    FN_SET,                         /* addr in set */
} fnode_kind;

typedef enum fcmp { FC_EQ, FC_NE, FC_LT, FC_LE, FC_GT, FC_GE } fcmp;

typedef struct fnode fnode;
struct fnode {
    fnode_kind kind;
    int        field;               /* flow_field or FILTER_DURATION */
    fcmp       op;                  /* FN_CMP */
    uint64_t   value, mask;         /* FN_CMP, FN_MASK */
    uint64_t  *list;                /* FN_LIST: sorted, unique; owned */
    size_t     nlist;
    uint8_t   *bitmap;              /* FN_LIST on u8/u16 fields: 8 KiB; owned */
    flow_addr  addr, amask;         /* FN_ADDR: addr has no bit outside amask */
    unsigned   prefix;              /* FN_ADDR: leading one bits of amask */
    const ipset *set;               /* FN_SET: owned by the filter */
    fnode    **kids;                /* FN_AND, FN_OR, FN_NOT; owned */
    size_t     nkids;
};

struct filter {
    fnode    *root;
    uint32_t  fields;               /* FLOW_BIT mask read by evaluation */
    ipset   **sets;                 /* every set the nodes point to; owned */
    size_t    nsets;
};

/* ---- nodes (parse.c builds, filter_free frees) ---- */
fnode   *fnode_new(fnode_kind kind);
void     fnode_free(fnode *n);
/* Append kid to an AND/OR/NOT node; on failure kid is freed.  0 or -1. */
int      fnode_add(fnode *n, fnode *kid);
/* Flatten nested AND/OR, fold constants; returns the node to keep (n or a
 * replacement; what is dropped is freed). */
fnode   *fnode_simplify(fnode *n);
/* FLOW_BIT mask of the columns the subtree reads. */
uint32_t fnode_fields(const fnode *n);

/* ---- evaluation (eval.c) ---- */
/* Verdict of the subtree for a zone: FILTER_ZONE_NONE, _SOME or _ALL. */
int      fnode_zone(const fnode *n, const store_zone *z);

#endif
