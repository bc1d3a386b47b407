/*
 * eval: how good is a C2 list?  Scores a list (src/c2list/) against the
 * truth file the simulator writes (`c2flow simulate --truth`, format
 * "c2flow-truth/1"): true and false positives per server and per address,
 * recall per malware family and per number of bots, how soon after a
 * server's birth it was listed, and how much earlier than a threat feed.
 * docs/eval.md defines every figure; `c2flow eval` prints them.
 *
 * For a time-split evaluation (train on some days with known servers as
 * labels, detect on later days), servers already known can be excluded:
 * they are then neither found nor missed, so the figures say how well the
 * list finds servers nobody knew.  A precision/recall curve by minimum
 * score shows what a stricter cut-off of the list would give.
 *
 * The truth reader takes only what scoring needs (window, C2 servers,
 * other malicious infrastructure), checks every type, ignores keys it does
 * not know and refuses any other "format".
 */
#ifndef C2FLOW_EVAL_H
#define C2FLOW_EVAL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "c2list/c2list.h"
#include "flow/flow.h"
#include "intel/intel.h"
#include "util/util.h"

#define EVAL_NAME_MAX 64                /* family and role names, NUL included */
#define EVAL_TRUTH_MAX_BYTES (256u << 20) /* largest truth file read */
#define EVAL_NEVER INT64_MAX            /* died / feed_listed: null in the truth */
#define EVAL_AT_END INT64_MIN           /* eval_options.at: the truth's end */
#define EVAL_BUCKETS 6                  /* bots: 0, 1, 2-4, 5-19, 20-99, 100+ */
#define EVAL_CURVE_STEP 5               /* curve: minimum scores 0, 5, ..., 100 */
#define EVAL_CURVE_POINTS (100 / EVAL_CURVE_STEP + 1)
#define EVAL_EXCLUDE_PIPE_MAX (1u << 30) /* largest exclude file read from a pipe */

/* ---- the truth ---- */

typedef struct eval_c2 {                /* one C2 server */
    flow_addr ip;
    uint16_t  port;
    uint8_t   proto;
    uint32_t  bots;                     /* infected hosts that contacted it */
    int64_t   born;                     /* ms UTC, may be before start */
    int64_t   died;                     /* ms UTC, EVAL_NEVER = alive at end */
    int64_t   feed_listed;              /* ms UTC, EVAL_NEVER = never listed */
    char      family[EVAL_NAME_MAX];
} eval_c2;

typedef struct eval_infra {             /* a loader, download or report server */
    flow_addr ip;
    uint16_t  port;
    uint8_t   proto;
    char      family[EVAL_NAME_MAX];
    char      role[EVAL_NAME_MAX];      /* "loader", "download", "report", ... */
} eval_infra;

typedef struct eval_truth {
    int64_t     start, end;             /* simulated window [start, end), ms UTC */
    eval_c2    *c2;                     /* n_c2 servers, keys unique */
    size_t      n_c2;
    eval_infra *infra;                  /* the truth's "loaders" */
    size_t      n_infra;
} eval_truth;

/* Read a truth file ("-" = stdin); errors say "PATH: c2[3].port: ...".
 * Caller frees *out with eval_truth_free, also after an error. */
int  eval_truth_read_file(const char *path, eval_truth *out, c2_err *err);
int  eval_truth_read_mem(const void *buf, size_t len, eval_truth *out, c2_err *err);
void eval_truth_free(eval_truth *t);

/* ---- scoring ---- */

typedef struct eval_options {
    int64_t          from;              /* count C2 alive from this time on (the
                                           detection window's start); 0 or before
                                           the truth's start: its start */
    int64_t          at;                /* score as of this time; EVAL_AT_END */
    uint32_t         min_bots;          /* count only C2 with this many bots */
    const intel_set *feed;              /* listing dates; NULL: truth's feed_listed */
    const intel_set *exclude;           /* known servers not to count, whatever
                                           their dates; NULL: none */
    int              curve;             /* 1: fill eval_result.curve */
} eval_options;

/* Ratios are NAN when their denominator is 0 (null in JSON). */
typedef struct eval_counts {
    uint64_t tp;                        /* counted C2 found */
    uint64_t fp;                        /* rows (addresses) that are nothing malicious */
    uint64_t fn;                        /* counted C2 not found */
    uint64_t infra;                     /* rows matching other malicious infrastructure */
    uint64_t ignored;                   /* rows matching C2 that are not counted */
    double   precision;                 /* tp / (tp + infra + fp) */
    double   precision_infra;           /* (tp + infra) / (tp + infra + fp) */
    double   recall;                    /* tp / (tp + fn) */
    double   f1;                        /* of precision and recall */
} eval_counts;

typedef struct eval_curve_point {      /* the server figures at one cut-off */
    unsigned    min_score;              /* rows with score >= this: 0, 5, ..., 100 */
    uint64_t    rows;                   /* considered rows with such a score */
    eval_counts server;                 /* tp, fp, fn, ... over those rows */
} eval_curve_point;

typedef struct eval_group {             /* a family or a bots bucket */
    char     name[EVAL_NAME_MAX];       /* "mirai"; "20-99" */
    uint64_t c2, detected;
    double   recall;
} eval_group;

typedef struct eval_lead {              /* detection after birth */
    uint64_t c2;                        /* detected, born in [start, at], first_seen known */
    uint64_t first_seen_unknown;        /* detected, born inside, no first_seen */
    uint64_t born_before_start;         /* detected, born before start: not timed */
    double   within_1d, within_2d, within_7d;   /* shares of c2 */
    double   median_days, mean_days;
} eval_lead;

typedef struct eval_feed {              /* detection against the threat feed */
    int      from_file;                 /* 1: --feed file; 0: truth's feed_listed */
    uint64_t listed;                    /* detected, first_seen known, the feed lists it */
    uint64_t earlier;                   /* of those, listed by us before the feed */
    uint64_t never_listed;              /* detected C2 the feed never lists */
    uint64_t listed_undated;            /* feed lists it without a date: not timed */
    uint64_t first_seen_unknown;        /* feed lists it, our first_seen unknown */
    double   share_earlier;             /* earlier / listed */
    double   mean_days_earlier;         /* mean of feed date - first_seen over earlier */
} eval_feed;

typedef struct eval_result {
    int64_t     start, end, at;
    uint32_t    min_bots;
    uint64_t    truth_c2;               /* C2 in the truth file */
    uint64_t    counted;                /* alive in [start, at] with >= min_bots bots,
                                           not excluded */
    uint64_t    excluded;               /* would be counted, but opt->exclude has them */
    int         excluding;              /* 1: opt->exclude was given */
    uint64_t    truth_infra;
    uint64_t    rows;                   /* list rows */
    uint64_t    rows_after_at;          /* first_seen > at: not counted */
    eval_counts server;                 /* units: (ip, port, proto) */
    eval_counts ip;                     /* units: addresses */
    eval_group *families;               /* n_families, by name */
    size_t      n_families;
    eval_group  bots[EVAL_BUCKETS];
    eval_group  bots20;                 /* counted C2 with >= 20 bots */
    eval_lead   lead;
    eval_feed   feed;
    eval_curve_point *curve;            /* by rising min_score; eval_result_free frees */
    size_t      n_curve;                /* EVAL_CURVE_POINTS, or 0 without opt->curve */
} eval_result;

/* Score list against truth.  Caller frees *out with eval_result_free. */
int  eval_run(const eval_truth *truth, const c2list *list, const eval_options *opt,
              eval_result *out, c2_err *err);
void eval_result_free(eval_result *r);

/* Add the servers of a file ("-" = stdin) to set, for eval_options.exclude.
 * A C2 list (its first non-blank line a JSON object, or a CSV header naming
 * ip, port and proto) adds each row's ip and port, any protocol; any other
 * file goes to intel_load_file (Feodo Tracker, ThreatFox, plain lists).  st
 * (may be NULL) as intel_load_file fills it.  -1 with "PATH: reason" and
 * the set unchanged on a bad or unreadable file. */
int  eval_exclude_load_file(intel_set *set, const char *path, intel_stats *st,
                            c2_err *err);
/* The same from len bytes in memory (borrowed), named name in errors. */
int  eval_exclude_load_mem(intel_set *set, const void *buf, size_t len, const char *name,
                           intel_stats *st, c2_err *err);

typedef enum eval_format { EVAL_TABLE, EVAL_JSON, EVAL_CSV } eval_format;

/* "table", "json", "csv", or -1. */
int  eval_format_lookup(const char *name);
/* Every figure to f: a table for people, one JSON object, or metric,value
 * rows (key names in docs/eval.md).  -1 with err on a write error. */
int  eval_write(const eval_result *r, FILE *f, eval_format fmt, c2_err *err);

#endif
