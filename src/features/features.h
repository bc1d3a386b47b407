/*
 * features: what each server looks like in the flows, day by day, for C2
 * detection by supervised learning (method 2, docs/features.md).
 *
 * A server is (ip, port, proto) outside the ISP that customer hosts talk
 * to.  For every UTC day and every server that at least min_clients
 * customer hosts reached that day (probe_clients when all they sent it
 * were SYN-only probes: a scanner's targets), one row of numbers that
 * survive 1-in-N packet sampling: how many clients and what share of
 * them method 1 judged infected, how much each sends and how, when in the
 * day (profile, entropy, how evenly the arrivals pooled over all clients
 * spread), the port's class, how many recent days the server was active.
 * The names and order of the values are the schema (feature_name): models
 * are saved with them and refused when they differ.
 *
 * Labels for training come from threat-intelligence files and confirmed
 * C2 lists, each valid for a span of days (feature_labels_*).
 *
 * A row holds a server key and counts, never a customer address; the
 * infected-host set given in is the caller's and is only read.  This
 * module reads the store; it owns no files.
 */
#ifndef C2FLOW_FEATURES_H
#define C2FLOW_FEATURES_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "c2list/c2list.h"
#include "flow/flow.h"
#include "intel/intel.h"
#include "ipset/ipset.h"
#include "store/store.h"
#include "util/util.h"

/* The values of a row, in schema order (docs/features.md says why each). */
enum {
    F_CLIENTS,          /* log2(1 + distinct clients) */
    F_INFECTED,         /* log2(1 + distinct clients judged infected) */
    F_INFECTED_SHARE,   /* infected / clients */
    F_RECORDS,          /* log2(1 + sampled records) */
    F_FLOWS_PER_CLIENT, /* records / clients */
    F_OUT_SHARE,        /* share of records sent by the customer side */
    F_BYTES_OUT_SHARE,  /* share of bytes sent by the customer side */
    F_BPP_MEAN,         /* bytes per packet of a record: mean */
    F_BPP_SD,           /* ... standard deviation */
    F_BPP_P10,          /* ... 10th, 50th, 90th percentile */
    F_BPP_P50,
    F_BPP_P90,
    F_PKTS_PER_FLOW,    /* sampled packets per record (packets / interval) */
    F_DURATION_MEAN,    /* seconds */
    F_DURATION_ZERO,    /* share of records with one timestamp */
    F_SYN_ONLY,         /* share of TCP records with SYN and no ACK/RST/FIN */
    F_HOUR_ENTROPY,     /* entropy of the 24 hourly counts / log 24 */
    F_HOUR_PEAK,        /* busiest hour / mean hour */
    F_DISPERSION,       /* (var - mean) / mean^2 of half-hour counts */
    F_ACTIVE_BINS,      /* share of the 48 half hours with a record */
    F_PORT_CLASS,       /* 0 well known (< 1024), 1 registered, 2 dynamic */
    F_PORT_SERVICE,     /* 1 when the port is a common service's */
    F_PROTO,            /* 6 tcp, 17 udp, other numbers as they are */
    F_DAYS_ACTIVE,      /* days of the last 7 (this one too) with a row */
    F_CLIENT_SPREAD,    /* distinct client /16 (v4) or /40 (v6) per client */
    FEATURE_COUNT
};

/* "clients", "infected", ...: the schema's names, i < FEATURE_COUNT. */
const char *feature_name(size_t i);
/* The names as an array of FEATURE_COUNT, for model files. */
const char *const *feature_names(void);

#define FEATURE_SKETCH 16           /* client hashes kept per row */

typedef struct feature_row {
    flow_addr ip;                   /* the server; IPv4 mapped */
    uint16_t  port;
    uint8_t   proto;
    uint8_t   sketch_n;             /* values in sketch */
    int64_t   day;                  /* ms UTC of the midnight the day starts */
    int64_t   first, last;          /* first and last record that day */
    uint32_t  clients;              /* estimates behind F_CLIENTS, F_INFECTED */
    uint32_t  infected;
    /* The FEATURE_SKETCH smallest 32-bit hashes of its clients, ascending
     * (all of them below FEATURE_SKETCH clients): a uniform sample of the
     * clients, whose infected share estimates the share among all, so the
     * infected figures can be worked out again for another window's
     * infected hosts.  Hashes of customer addresses: kept inside the ISP,
     * never written by features_write. */
    uint32_t  sketch[FEATURE_SKETCH];
    float     v[FEATURE_COUNT];
} feature_row;

typedef struct feature_table {
    feature_row *row;               /* ordered by server key, then day */
    size_t       n, cap;
} feature_table;

void feature_table_free(feature_table *t);
/* Rows by server (ip, port, proto), the table's first order: <0, 0, >0. */
int  feature_row_server_cmp(const feature_row *a, const feature_row *b);

typedef void (*features_progress_fn)(const char *line, void *arg);

typedef struct features_input {
    store          *store;
    const ipset    *internal;       /* the customer address space (required) */
    const flow_addr *infected;      /* n_infected hosts judged infected (method 1) */
    size_t          n_infected;
    int64_t         from_ms, to_ms; /* window [from, to), cut at UTC midnights */
    uint32_t        min_clients;    /* a server-day needs this many; 0 = 1 */
    uint32_t        probe_clients;  /* ... and this many when all its records
                                       were SYN-only probes; 0 = 3 */
    unsigned        threads;        /* days read at once; 0 = 1 */
    /* With incremental and a cache_dir, the rows of each whole day that is
     * over and inside the store's retention are kept there
     * (features-YYYY-MM-DD.rows) and reused while the day's records, the
     * customer space, min_clients and probe_clients are unchanged; older
     * files are deleted.  They hold hashes of customer addresses: inside
     * the ISP. */
    const char     *cache_dir;
    int             incremental;
    features_progress_fn progress;  /* one line per day (NULL: none) */
    void           *progress_arg;
} features_input;

typedef struct features_report {
    uint32_t days;
    uint32_t days_cached;           /* rows read from the cache */
    uint32_t days_unsaved;          /* days whose rows could not be kept */
    char     unsaved_reason[160];   /* the first one's reason */
    uint64_t records;               /* read from the store (cached days: 0) */
    uint64_t oriented;              /* one side customer, one outside */
    uint64_t damaged;               /* damaged store blocks skipped */
    uint64_t rows;                  /* server-days in the table */
} features_report;

/* Compute the rows of every day of the window into out (which the caller
 * frees, also after an error). */
int features_compute(const features_input *in, feature_table *out,
                     features_report *rep, c2_err *err);

/* ---- the day cache's bytes (cache.c; exposed for the fuzz target) ---- */
#define FEATURES_CACHE_MAX_BYTES (1ull << 32)   /* larger files are refused */
/* The rows of one day (all of t) with the fingerprint they were computed
 * under; caller frees *buf. */
int features_cache_encode(const feature_table *t, int64_t day, uint64_t fingerprint,
                          uint8_t **buf, size_t *len, c2_err *err);
/* Rows from bytes (untrusted: every count, order and value is checked);
 * *out is the caller's to free, also after an error. */
int features_cache_decode(const uint8_t *buf, size_t len, int64_t *day,
                          uint64_t *fingerprint, feature_table *out, c2_err *err);

/* ---- output ---- */
typedef enum features_format { FEATURES_CSV, FEATURES_JSONL } features_format;
/* Header (csv) then one line per row: day, ip, port, proto, first, last,
 * then the values by name.  -1 with err on a write error. */
int features_write(const feature_table *t, FILE *f, features_format fmt, c2_err *err);

/* ---- labels ----
 * Known C2 servers, each valid for a span of days: from its first_seen
 * (unknown: always) to its last_seen (unknown: still active).  A feed that
 * lists a server only after its last day online (last_seen < first_seen)
 * makes it valid up to last_seen.  A row is positive when a label is valid
 * on its day, unknown (left out of training) when the server has labels
 * valid on other days only, negative otherwise. */
typedef struct feature_labels feature_labels;
int  feature_labels_new(feature_labels **out, c2_err *err);
void feature_labels_free(feature_labels *l);
/* Every entry of an intel set (port 0 = any port, proto 0 = any). */
int  feature_labels_add_intel(feature_labels *l, const intel_set *s, c2_err *err);
/* Every row of a C2 list (confirmed lists), valid first_seen..last_seen. */
int  feature_labels_add_list(feature_labels *l, const c2list *s, c2_err *err);
size_t feature_labels_count(const feature_labels *l);

enum { LABEL_NEGATIVE = 0, LABEL_POSITIVE = 1, LABEL_UNKNOWN = 2 };
int  feature_labels_of(const feature_labels *l, const feature_row *r);

#endif
