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
 *
 * With a lease file (leases.c: who held which customer address when), each
 * hit is attributed to the subscriber who held its host's address at the
 * time of its records: the notification list.
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

/* ---- leases (leases.c) ----
 * A lease file is CSV, one lease a line: address,start,end,subscriber.  The
 * address is an IPv4 or IPv6 address or a prefix (an IPv6 customer's /56);
 * start and end are UTC ISO 8601 (c2list_time_parse), end empty while the
 * address is still held; the subscriber id is 1-64 bytes of printable ASCII
 * without commas, quotes or backslashes.  A first line naming the columns
 * ("address,start,end,subscriber") is a header; '#' comment lines and blank
 * lines are skipped.  A lease holds [start, end).  The file is untrusted: a
 * bad line fails the whole file ("NAME: line N: reason").
 *
 * Lookup of (address, time): among the leases covering the time, the most
 * specific prefix wins (an address over its /56), then the one that started
 * last (then the later line of the file). */
#define LOOKBACK_LEASES_MAX     50000000   /* leases a file may hold */
#define LOOKBACK_LEASE_LINE_MAX 1024       /* bytes a line may hold */
#define LOOKBACK_SUBSCRIBER_MAX 64         /* bytes a subscriber id may hold */

typedef struct lookback_lease {
    flow_addr   addr;            /* the prefix, host bits cleared */
    unsigned    len;             /* its length in the 128-bit form (128: one address) */
    int64_t     start, end;      /* held [start, end), ms; end INT64_MAX: still held */
    const char *subscriber;      /* NUL-terminated; owned by the lease set */
} lookback_lease;

typedef struct lookback_leases lookback_leases;

/* Read a lease file ('-' = stdin); caller frees with lookback_leases_free.
 * max: most leases accepted (0 = LOOKBACK_LEASES_MAX). */
int  lookback_leases_read_file(const char *path, size_t max, lookback_leases **out, c2_err *err);
/* The same on len bytes at buf (borrowed); errors begin "name: ". */
int  lookback_leases_read_mem(const void *buf, size_t len, const char *name, size_t max,
                              lookback_leases **out, c2_err *err);
void lookback_leases_free(lookback_leases *l);
/* The leases, ordered by prefix length, prefix, then start. */
size_t                lookback_leases_count(const lookback_leases *l);
const lookback_lease *lookback_leases_get(const lookback_leases *l, size_t i);
/* The lease of address a at time t (ms), NULL when none covers it; the
 * pointer is borrowed until lookback_leases_free. */
const lookback_lease *lookback_leases_find(const lookback_leases *l, const flow_addr *a,
                                           int64_t t);

/* ---- the search ---- */

typedef struct lookback_input {
    store        *store;
    const c2list *list;          /* the servers looked for (key: ip, port, proto) */
    const ipset  *hosts;         /* the customer side: the customer space, or the
                                    targets (a customer's fixed addresses) */
    int64_t       from_ms, to_ms;/* window [from, to) */
    unsigned      threads;       /* store decode threads; 0 = none */
    const lookback_leases *leases; /* NULL: no attribution to subscribers */
} lookback_input;

typedef struct lookback_hit {    /* one host and one listed server */
    flow_addr host;
    flow_addr server;
    uint16_t  port;
    uint8_t   proto;
    int64_t   first, last;       /* first and last contact (record starts) */
    uint64_t  flows;             /* records, both directions */
    uint64_t  packets, bytes;    /* as stored: estimates before sampling */
    const char *subscriber;      /* with leases: who held the host then ("" none);
                                    NULL without; borrowed from the leases */
} lookback_hit;

typedef struct lookback_result {
    lookback_hit *hit;           /* ordered by host, then subscriber, then server */
    size_t        n;
    int           leases;        /* leases were given: rows carry a subscriber */
    size_t        unleased;      /* with leases: rows no lease covers (subscriber "") */
    uint64_t      records;       /* records decoded: those with a listed address */
    uint64_t      matched;       /* of them, with a listed server and a host */
    uint64_t      damaged;       /* damaged store blocks skipped */
} lookback_result;

/* Search [from, to) for contacts of in->hosts with in->list's servers.
 * With in->leases, one row per host, subscriber and server: a record counts
 * for the subscriber whose lease covered its host at its start; the rows
 * borrow subscriber ids from in->leases, which must outlive out. */
int  lookback_run(const lookback_input *in, lookback_result *out, c2_err *err);
void lookback_result_free(lookback_result *r);

/* Hosts found (distinct addresses among the hits). */
size_t lookback_hosts(const lookback_result *r);

typedef enum lookback_format { LOOKBACK_CSV, LOOKBACK_JSONL } lookback_format;
/* CSV: a first line "# c2flow lookback: INTERNAL ..." and the header
 * host,server,port,proto,first,last,flows,packets,bytes (with leases,
 * host,subscriber,server,...); JSON Lines: the same keys, after a first
 * object {"c2flow_lookback": "internal ..."}. */
int  lookback_write(const lookback_result *r, FILE *f, lookback_format fmt, c2_err *err);

/* 1 if len bytes at buf are an answer of lookback (the CSV marker line or
 * the JSON Lines marker object first, blanks and a UTF-8 BOM before it
 * allowed), else 0: callers that send lists out refuse such text. */
int lookback_is_answer(const void *buf, size_t len);

#endif
