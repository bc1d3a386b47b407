/*
 * lookback: the retroactive search (docs/lookback.md).  Given a C2 list
 * (the ISP's own, or one that arrived from elsewhere) and a window of the
 * store, every customer host that exchanged flows with a listed server:
 * first and last contact, flows, bytes, per (host, server).
 *
 * The answer is made of customer addresses: it is for the ISP's own
 * notification work, never for sharing.  Its file form (lookback_write)
 * says so in its first line and has columns no C2 list reader accepts, so
 * `c2flow export` and the hub refuse it.  This module reads the store; it
 * owns no files.
 */
#ifndef C2FLOW_LOOKBACK_H
#define C2FLOW_LOOKBACK_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "c2list/c2list.h"
#include "ipset/ipset.h"
#include "store/store.h"
#include "util/util.h"

typedef struct lookback_input {
    store        *store;
    const c2list *list;          /* the servers looked for (key: ip, port, proto) */
    const ipset  *hosts;         /* the customer side: the customer space, or the
                                    targets (a customer's fixed addresses) */
    int64_t       from_ms, to_ms;/* window [from, to) */
    unsigned      threads;       /* store decode threads; 0 = none */
} lookback_input;

typedef struct lookback_hit {    /* one host and one listed server */
    flow_addr host;
    flow_addr server;
    uint16_t  port;
    uint8_t   proto;
    int64_t   first, last;       /* first and last contact (record starts) */
    uint64_t  flows;             /* records, both directions */
    uint64_t  packets, bytes;    /* as stored: estimates before sampling */
} lookback_hit;

typedef struct lookback_result {
    lookback_hit *hit;           /* ordered by host, then server */
    size_t        n;
    uint64_t      records;       /* records decoded: those with a listed address */
    uint64_t      matched;       /* of them, with a listed server and a host */
    uint64_t      damaged;       /* damaged store blocks skipped */
} lookback_result;

/* Search [from, to) for contacts of in->hosts with in->list's servers. */
int  lookback_run(const lookback_input *in, lookback_result *out, c2_err *err);
void lookback_result_free(lookback_result *r);

/* Hosts found (distinct addresses among the hits). */
size_t lookback_hosts(const lookback_result *r);

typedef enum lookback_format { LOOKBACK_CSV, LOOKBACK_JSONL } lookback_format;
/* CSV: a first line "# c2flow lookback: INTERNAL ..." and the header
 * host,server,port,proto,first,last,flows,packets,bytes; JSON Lines: the
 * same keys, after a first object {"c2flow_lookback": "internal ..."}. */
int  lookback_write(const lookback_result *r, FILE *f, lookback_format fmt, c2_err *err);

#endif
