/*
 * synth: a deterministic generator of synthetic flow records, for demos and
 * benchmarks.
 *
 * It imitates what the edge routers of an ISP export: a pool of public hosts
 * talking to each other (sources uniform, destinations Zipf-like), the port
 * mix of an access network, heavy-tailed flow sizes and durations, records
 * in export order (by end time).  The same parameters and seed always give
 * the same records, on every machine, so a benchmark can feed the same
 * stream to c2flow and to a peer tool (bench/nfblast sends it as NetFlow v9)
 * and compare counts.  It has no botnets yet; see docs/synth.md for the
 * model in detail.
 */
#ifndef C2FLOW_SYNTH_H
#define C2FLOW_SYNTH_H

#include <stddef.h>
#include <stdint.h>

#include "flow/flow.h"
#include "util/util.h"

#define SYNTH_ACTIVE_TIMEOUT_MS 120000  /* longest flow duration exported */
#define SYNTH_AS_COUNT 3000             /* distinct ASes addresses map to */
#define SYNTH_MAX_HOSTS 50000000u       /* largest host pool */
#define SYNTH_MAX_EXPORTERS 250u        /* routers (192.0.2.1 .. .250) */
#define SYNTH_MAX_SPAN_MS (30LL * 365 * C2_MS_PER_DAY) /* the clock's range, roughly */

typedef struct synth_params {
    uint64_t seed;          /* PRNG seed: same seed and params, same records */
    int64_t  start_ms;      /* simulated time the records begin to end,
                               ms since epoch UTC; starts may be up to the
                               active timeout (120 s) earlier */
    double   flow_rate;     /* flows per second of simulated time (50,000) */
    uint32_t hosts;         /* distinct public unicast hosts (1,000,000) */
    uint32_t exporters;     /* routers exporting the flows (4) */
    uint32_t interfaces;    /* interfaces per router, ifIndex 1..N (16) */
    double   ipv6_share;    /* share of IPv6 flows, 0..1 (0.05) */
    uint32_t sampling;      /* 1-in-N interval stamped in records; counters
                               are multiplied by it (1) */
} synth_params;

#define SYNTH_AHEAD 16                  /* records drawn in advance */
#define SYNTH_TABLE 1024                /* steps of the distribution tables */

typedef struct synth_who {
    uint32_t src, dst;      /* pool indexes */
    uint32_t kind;          /* 32 random bits choosing the port mix */
} synth_who;

/* A generator.  The fields are private to synth.c; the struct is public
 * only so that callers can keep it on the stack. */
typedef struct synth {
    synth_params p;         /* validated copy of the parameters */
    uint64_t  rng[4];       /* xoshiro256** state */
    uint32_t *pool;         /* host addresses, IPv4 host order; owned */
    uint32_t *as_table;     /* SYNTH_AS_COUNT AS numbers; owned */
    uint64_t  clock;        /* next record's slot, 1/16 ns after start_ms */
    uint64_t  step;         /* 1 / flow_rate in 1/16 ns: one slot */
    uint64_t  v6_below;     /* a 32-bit draw below this makes an IPv6 flow */
    uint32_t  gap_us[256];  /* log-uniform packet gaps, 1 ms .. 1 s, in us */
    uint64_t  zipf_tab[SYNTH_TABLE + 1];  /* (hosts+1)^u: destination ranks */
    uint64_t  pkts_tab[SYNTH_TABLE + 1];  /* e^(7u^2): packets per flow */
    uint64_t  emitted;      /* records generated so far */
    synth_who ahead[SYNTH_AHEAD]; /* the next records' hosts, prefetched */
    uint32_t  ahead_pos;    /* ring position of the next record */
} synth;

/* The defaults given in the comments above; start_ms = 0, seed = 1. */
void    synth_params_default(synth_params *p);
/* Set one parameter from text, as the command-line options name them:
 * "seed", "start" (any c2_time_parse form, relative to now_ms), "rate",
 * "hosts", "exporters", "interfaces", "ipv6-share", "sampling".  Checks the
 * range; 0, or -1 with err ("want 2..50000000, not '1'"). */
int     synth_param_set(synth_params *p, const char *name, const char *value,
                        int64_t now_ms, c2_err *err);
/* Check the parameters and build the host pool (about 50 ms and 4 bytes per
 * host).  0, or -1 with err.  Free with synth_free(), also after a failure. */
int     synth_init(synth *g, const synth_params *p, c2_err *err);
/* Fill out[0..n) with the next n records of the stream (never fewer; the
 * stream is endless).  Batch boundaries do not change the stream. */
size_t  synth_next(synth *g, flow_record *out, size_t n);
void    synth_free(synth *g);
/* Simulated time `records` records span at p->flow_rate, in ms (rounded
 * up): records end in [start_ms, start_ms + span). */
int64_t synth_span_ms(const synth_params *p, uint64_t records);
/* The address of router r (0-based) as stamped in records' exporter field;
 * the record's domain (v9 source id) is r + 1. */
void    synth_exporter_addr(uint32_t r, flow_addr *out);

#endif
