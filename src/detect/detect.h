/*
 * detect: finding C2 servers in the stored flows.
 *
 * Method 1, graph mining (the trial's first method, docs/detect.md): find
 * the ISP's infected customer hosts from their own traffic (scanning,
 * contact with known malicious servers, joining synchronised floods), link
 * them to the destinations they reach that healthy customers do not, find
 * groups in that bipartite graph with community detection (igraph), and
 * take the destinations many infected hosts of a group share, and few
 * healthy ones reach, as C2 candidates, scored 0-100; but not those the
 * hosts reached once each where they keep coming back to their C2 (a
 * botnet's report and download servers: "one-off servers").
 *
 * Sampled flows give little per day, so evidence is pooled over the whole
 * window.  The work is split by UTC day: each day of flows is read once
 * into a day summary (infected-host evidence, per-destination counts and
 * client sketches, the edges of suspect hosts), which may be kept on disk
 * so a daily run reads only the newest day.  Summaries hold customer
 * addresses and stay inside the ISP; the list this module produces holds
 * none (only server keys and counts).
 *
 * This module reads the store and writes a c2list; it owns the day
 * summary files under its summary directory and nothing else.
 */
#ifndef C2FLOW_DETECT_H
#define C2FLOW_DETECT_H

#include <stddef.h>
#include <stdint.h>

#include "c2list/c2list.h"
#include "intel/intel.h"
#include "ipset/ipset.h"
#include "store/store.h"
#include "util/util.h"

/* The tunable thresholds; c2flow.conf [detect] and docs/detect.md give
 * each one's default and reason.  Rates are estimates of what the router
 * saw before sampling: counters x interval. */
typedef struct detect_params {
    /* a scanner: many SYN-only probes, to fresh addresses, on few ports */
    uint32_t scan_min_samples;   /* sampled probes a day, at least; 20 */
    double   scan_pps;           /* estimated probes per second; 5 */
    double   scan_fresh;         /* share of probes to never-seen targets; 0.8 */
    double   scan_port_share;    /* share of probes on the top 3 ports; 0.5 */
    uint32_t scan_packet_bytes;  /* mean probe size at most; 100 */
    /* a synchronised flood: hosts each sending fast to one target at once */
    double   burst_pps;          /* per host to the target in a minute; 500 */
    uint32_t burst_hosts;        /* hosts in the same bin, at least; 3 */
    /* the graph */
    double   rare_share;         /* healthy clients of a rare destination, as a
                                    share of active hosts, at most; 0.001 */
    uint32_t rare_min;           /* ... or this many, whichever is larger; 5 */
    /* candidates */
    uint32_t min_infected;       /* infected clients, at least; 3 */
    double   min_score;          /* listed from this score up; 50 */
    /* one-off servers (a report or download server, not a C2): oneoff.c */
    double   oneoff_significance;/* the port's servers came back too little at
                                    this p-value; 0.001 (0: no pooled test;
                                    with oneoff_onset 0 too, none is one-off) */
    double   oneoff_return;      /* ... and the server less than this share of
                                    what its clients' other servers expect; 0.25 */
    double   oneoff_tier;        /* ... and fewer of its clients than this share
                                    went on to other such servers; 0.3 */
    double   oneoff_onset;       /* ... or at least this share of its clients
                                    reached it as they started scanning, and
                                    did not come back; 0.5 (0: never) */
    /* method 2, supervised learning (docs/features.md, docs/train.md) */
    uint32_t ml_min_clients;     /* a server-day gets features from this many
                                    distinct clients; 1 */
    uint32_t ml_probe_clients;   /* ... and this many when every record it
                                    got was a SYN-only probe; 3 */
    double   ml_min_score;       /* listed from this score (100 x the model's
                                    probability) up; 50 */
    double   ml_veto_score;      /* --method both: under this the model's score
                                    stands (0 never); 50 */
    double   ml_hub_share;       /* ... except for a hub of its group (learn.h's
                                    learn_merge_rule); 0.5 */
} detect_params;

void detect_params_default(detect_params *p);
/* Set one threshold by its [detect] key ("scan_pps", "5"); -1 with err for
 * an unknown key (*known = 0) or a bad value (*known = 1). */
int  detect_params_set(detect_params *p, const char *key, const char *value,
                       int *known, c2_err *err);

typedef void (*detect_progress_fn)(const char *line, void *arg);

typedef struct detect_input {
    store           *store;
    const ipset     *internal;   /* the customer address space (required) */
    const ipset     *allow;      /* never listed (NULL: none) */
    const intel_set *intel;      /* known bad servers (NULL: none) */
    detect_params    params;
    int64_t          from_ms, to_ms;     /* window [from, to) */
    const char      *summary_dir;        /* where day summaries are kept */
    int              incremental;        /* reuse and keep whole-day summaries */
    unsigned         threads;            /* days read at once; 0 = 1 */
    c2list          *oneoff;             /* NULL, or gets the one-off servers
                                            left out (method "oneoff", the score
                                            they would have had): --method both
                                            leaves them out too */
    detect_progress_fn progress;         /* one line per day (NULL: none) */
    void            *progress_arg;
} detect_input;

typedef struct detect_report {
    uint64_t records;            /* records read from the store */
    uint64_t oriented;           /* of those, one side customer, one outside */
    uint64_t damaged;            /* damaged store blocks skipped */
    uint32_t days, days_cached, days_computed;
    uint32_t days_unsaved;       /* summaries that could not be kept */
    char     unsaved_reason[160];/* the first one's reason */
    uint64_t active_hosts;       /* customer hosts seen (estimate) */
    uint32_t suspects;           /* hosts with any evidence on some day */
    uint32_t infected;           /* hosts judged infected */
    uint32_t infected_scan, infected_intel, infected_burst;
    uint32_t burst_targets;      /* flood targets (never listed) */
    uint64_t destinations;       /* distinct servers in the window */
    uint32_t graph_hosts, graph_dests, graph_edges;
    uint32_t groups;             /* communities found */
    double   modularity;
    uint32_t candidates;         /* scored destinations */
    uint32_t listed;             /* of those, at or above min_score */
    uint32_t oneoff;             /* one-off servers: scored, but left out of
                                    the candidates and the list */
} detect_report;

/* Run graph detection over the window; append the listed servers to out
 * (method "graph").  On error out may hold some rows; the caller drops it. */
int detect_graph(const detect_input *in, c2list *out, detect_report *rep,
                 c2_err *err);

/* The customer hosts judged infected in the window: method 1's first step,
 * which method 2 (src/features/) uses for its "share of clients infected".
 * Customer addresses: they never leave the ISP. */
typedef struct detect_hosts {
    flow_addr *addr;             /* n addresses, ascending */
    size_t     n;
} detect_hosts;
void detect_hosts_free(detect_hosts *h);

/* detect_graph with both outputs optional: out NULL skips the graph and
 * the scoring; infected (NULL: not wanted) gets the infected hosts. */
int detect_run(const detect_input *in, c2list *out, detect_hosts *infected,
               detect_report *rep, c2_err *err);

/* The malware family of listed servers (families.c): every row of l whose
 * server matches an entry of intel known by at_ms (intel_match) that names
 * malware gets that name as its category (c2list_category_clean); other
 * rows are left as they are.  Returns the rows named. */
size_t detect_name_families(c2list *l, const intel_set *intel, int64_t at_ms);

#endif
