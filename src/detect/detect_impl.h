/*
 * detect_impl.h: what the files of src/detect/ share and nothing outside
 * may use.
 *
 *   sketch.c     dsketch: distinct counting by the k smallest hashes
 *   table.c      dtab: open-addressing index from a 24-byte key to a row
 *   day.c        one day of flows -> a dday (two passes over the store)
 *   summary.c    dday <-> bytes, and the summary files
 *   window.c     the days of a window merged; infected hosts decided
 *   graph.c      the bipartite graph and its communities (igraph)
 *   candidates.c the scored servers -> the list
 *   detect.c     detect_graph(): the steps above in order
 */
#ifndef C2FLOW_DETECT_IMPL_H
#define C2FLOW_DETECT_IMPL_H

#include <stdint.h>
#include <string.h>

#include "detect/detect.h"

/* ---- dsketch ----
 * The k smallest distinct 32-bit hashes of what was added (k-minimum
 * values): exact while fewer than k were added, an estimate after, and
 * two sketches of the same k merge into the sketch of the union.  Held
 * sorted ascending; up to two values need no allocation. */
#define DSKETCH_CLIENTS 32       /* clients of a destination */
#define DSKETCH_ACTIVE 1024      /* active hosts of a day */

typedef struct dsketch {
    uint32_t n, cap;
    union { uint32_t inl[2]; uint32_t *p; } u;
} dsketch;

static inline const uint32_t *dsketch_vals(const dsketch *s)
{
    return s->cap > 2 ? s->u.p : s->u.inl;
}
/* 0, or -1 when out of memory. */
int    dsketch_add(dsketch *s, uint32_t h, uint32_t k);
/* Add vals[0..n), ascending and distinct (another sketch's values). */
int    dsketch_merge(dsketch *s, const uint32_t *vals, uint32_t n, uint32_t k);
/* Distinct values added: n while n < k, else (k - 1) / (kth value / 2^32). */
double dsketch_estimate(const dsketch *s, uint32_t k);
void   dsketch_free(dsketch *s);

/* A 32-bit hash of an address, the same in every day and run. */
uint32_t detect_addr_hash(const flow_addr *a);

/* ---- dtab ---- */
typedef struct dkey { uint64_t w[3]; } dkey;
typedef struct dslot { dkey key; uint32_t tag; uint32_t val; } dslot;
typedef struct dtab { dslot *slot; size_t cap, n; } dtab;

uint64_t dkey_hash(const dkey *k);
/* The value slot of key; a new key gets val_if_new (*is_new = 1).  NULL
 * when out of memory. */
uint32_t *dtab_put(dtab *t, const dkey *k, uint32_t val_if_new, int *is_new);
/* The value of key, or NULL. */
const uint32_t *dtab_get(const dtab *t, const dkey *k);
/* The same with h = dkey_hash(k) already known, and a hint to fetch the
 * slot of h into the cache a little before it is wanted. */
uint32_t *dtab_put_hashed(dtab *t, const dkey *k, uint64_t h, uint32_t val_if_new,
                          int *is_new);
const uint32_t *dtab_get_hashed(const dtab *t, const dkey *k, uint64_t h);
void     dtab_prefetch(const dtab *t, uint64_t h);
/* The value of key when it sits in its first slot (most do), else
 * UINT32_MAX: a cheap look ahead, never a substitute for dtab_get. */
uint32_t dtab_peek(const dtab *t, const dkey *k, uint64_t h);
void     dtab_free(dtab *t);
/* Make *arr (of *cap elements of size) hold need; new room zeroed. */
int      detect_grow(void **arr, uint32_t *cap, uint32_t need, size_t size);

static inline dkey dkey_server(const flow_addr *ip, uint16_t port, uint8_t proto)
{
    dkey k;
    memcpy(k.w, ip->b, 16);
    k.w[2] = (uint64_t)port | (uint64_t)proto << 16 | 1ull << 63;
    return k;
}
static inline dkey dkey_addr(const flow_addr *ip)
{
    dkey k;
    memcpy(k.w, ip->b, 16);
    k.w[2] = 0;
    return k;
}
static inline dkey dkey_ints(uint64_t a, uint64_t b)
{
    dkey k = {{a, b, 2}};
    return k;
}
/* A port and protocol, as servers are pooled by them. */
static inline dkey dkey_port(uint16_t port, uint8_t proto)
{
    return dkey_ints((uint64_t)proto << 16 | port, 0);
}

/* ---- one day ---- */
#define BURST_BIN_MS 60000       /* floods are counted per minute */

enum {                           /* dd_dest.flags */
    DEST_INTEL = 1,              /* a known bad server (intel, as of the day) */
    DEST_BURST = 2               /* the target of a synchronised flood */
};

typedef struct dd_dest {         /* a server (ip, port, proto) on one day */
    flow_addr ip;
    uint16_t  port;
    uint8_t   proto, flags;
    uint32_t  flows, syn_flows;  /* records; of them SYN-only */
    uint64_t  packets, bytes;
    int64_t   first, last;
    dsketch   clients;           /* DSKETCH_CLIENTS, hashes of customer hosts */
} dd_dest;

typedef struct dd_host {         /* a suspect customer host on one day */
    flow_addr addr;
    uint32_t  syn_samples;       /* records of outbound SYN-only probes */
    uint32_t  syn_fresh;         /* of them, to a server nobody reached before */
    uint64_t  syn_packets, syn_bytes;   /* estimated (x interval) */
    int64_t   syn_first, syn_last;
    uint16_t  port[3];           /* probed ports (Misra-Gries top 3) */
    uint32_t  port_n[3];
    uint32_t  intel_hits;        /* records with a known bad server */
    uint32_t  bursts;            /* minutes it flooded a burst target in */
    uint8_t   heavy;             /* sent fast to somebody in some bin */
} dd_host;

typedef struct dd_edge {         /* a suspect host and a server, one day */
    uint32_t host, dest;         /* indices into the day's arrays */
    uint32_t flows;
    uint64_t packets;
    int64_t  first, last;
} dd_edge;

typedef struct dday {
    int64_t   from, to;          /* the piece of the window it covers */
    uint64_t  fingerprint;       /* what it was computed from */
    uint64_t  records_hint;      /* records the store holds for it (sizing) */
    uint64_t  records, oriented;
    uint64_t  damaged;           /* damaged blocks skipped */
    dsketch   active;            /* DSKETCH_ACTIVE, customer hosts seen */
    dd_host  *host;
    dd_dest  *dest;
    dd_edge  *edge;
    uint32_t  n_host, n_dest, n_edge;
    uint32_t  cap_host, cap_dest, cap_edge;
} dday;

/* Whether a day's host is worth keeping edges of: evidence at half the
 * infection thresholds (so later runs may lower them a little). */
int  dday_suspect(const dd_host *h, const detect_params *p);
/* Read [d->from, d->to) of the store into d (d->from, to, fingerprint and
 * records_hint set by the caller), on `parts` threads, each reading its
 * share of the time span; the hosts and servers of the parts are put
 * together before the second pass, which reads the suspects' edges. */
#define DETECT_MAX_PARTS 8
int  dday_build(dday *d, const detect_input *in, unsigned parts, c2_err *err);
void dday_free(dday *d);

/* ---- summaries ---- */
#define SUMMARY_MAX_BYTES (1ull << 32)  /* larger files are refused */
/* The bytes of d (zstd-compressed); caller frees *buf. */
int  summary_encode(const dday *d, uint8_t **buf, size_t *len, c2_err *err);
/* d from bytes (untrusted: every count and index is checked). */
int  summary_decode(const uint8_t *buf, size_t len, dday *d, c2_err *err);
/* DIR/graph-YYYY-MM-DD.sum: 1 loaded (fingerprint matches), 0 absent or
 * stale, -1 error (unreadable or damaged: the caller recomputes). */
int  summary_load(const char *dir, int64_t day_ms, uint64_t fingerprint,
                  dday *d, c2_err *err);
int  summary_save(const char *dir, int64_t day_ms, const dday *d, c2_err *err);
/* Delete summaries of days that ended before before_ms. */
int  summary_expire(const char *dir, int64_t before_ms, c2_err *err);

/* ---- the window ---- */
enum {                           /* w_host.cause */
    CAUSE_SCAN = 1, CAUSE_INTEL = 2, CAUSE_BURST = 4
};

typedef struct w_host {
    flow_addr addr;
    uint32_t  hash;              /* detect_addr_hash(addr) */
    uint8_t   cause;             /* 0: suspect only */
    uint16_t  scan_port;         /* most probed port (0 none) */
    int64_t   scan_first;        /* its first probe on a day it scanned (INT64_MAX: none) */
} w_host;

typedef struct w_dest {
    flow_addr ip;
    uint16_t  port;
    uint8_t   proto, flags;
    uint32_t  days;              /* days with a client */
    int64_t   first, last;
    dsketch   clients;
    uint32_t  infected;          /* distinct infected clients (exact) */
    double    clients_est;       /* distinct clients (estimate, >= infected) */
    double    infected_share;    /* of the clients */
} w_dest;

typedef struct w_edge {         /* an infected host and a server it reached */
    uint32_t host, dest;
    uint32_t flows;              /* records over the window (saturating) */
    int64_t  first;              /* its first record */
} w_edge;

typedef struct window {
    int64_t   from, to;
    uint32_t  n_days;
    double    active_hosts;
    w_host   *host;
    w_dest   *dest;
    w_edge   *edge;              /* infected hosts only, unique pairs */
    uint32_t  n_host, n_dest, n_edge;
    detect_report rep;
} window;

int  window_build(window *w, dday *days, uint32_t n_days, const detect_params *p,
                  c2_err *err);
void window_free(window *w);

/* ---- graph and candidates ---- */
typedef struct graph_result {
    uint32_t *dest_group;        /* per w_dest: group id, 0 = not in the graph */
    uint32_t  groups;
    uint32_t  nodes_host, nodes_dest, edges;
    double    modularity;
} graph_result;

/* Whether a destination may be a node (and so a candidate). */
int  graph_dest_rare(const window *w, const w_dest *d, const detect_params *p);
int  graph_communities(const window *w, const detect_params *p, const ipset *allow,
                       graph_result *g, c2_err *err);
void graph_result_free(graph_result *g);

/* Mark oneoff[i] (w->n_dest zeroed bytes) for the servers of groups whose
 * infected clients came once each, not back as bots do to their C2
 * (oneoff.c); *n_oneoff counts them.  Nothing when oneoff_significance and
 * oneoff_onset are both 0. */
int  oneoff_servers(const window *w, const graph_result *g, const detect_params *p,
                    uint8_t *oneoff, uint32_t *n_oneoff, c2_err *err);

double candidate_score(const window *w, const w_dest *d, const double *port_pop);
/* The candidates scored into out (min_score up); the one-off servers into
 * oneoff_out (NULL: not wanted), method "oneoff", with the score they would
 * have had. */
int  candidates_list(const window *w, const graph_result *g, const detect_params *p,
                     const ipset *allow, c2list *out, c2list *oneoff_out,
                     detect_report *rep, c2_err *err);

#endif
