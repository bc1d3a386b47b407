/*
 * evaluate: the hub's automatic first pass over one C2 entry (ip, port,
 * proto): the country and the autonomous system of the address, whether an
 * allowlist excludes it (and which list, and why), and whether an open-
 * intelligence file lists it (with the malware family and since when).
 * Analysts make the second pass; this module only reads data files.
 *
 * Data (docs/hub-evaluate.md): a MaxMind DB with a `country_code` string per
 * network (the CC0 npm package @ip-location-db/geo-whois-asn-country-mmdb),
 * the CSV files of @ip-location-db/asn (start,end,asn,name), allowlists (one
 * prefix a line, or MISP warninglist JSON), and intel files (src/intel/).
 * Country and AS data are optional: without them the fields stay unknown and
 * evaluate_notice says so.  Allowlists and intel files are not: one that is
 * configured but unreadable makes evaluate_open fail.
 *
 * Life cycle: evaluate_open, evaluate_entry any number of times (read-only,
 * safe on many threads at once), evaluate_close.  The AS table and the
 * allowlist set are public too, for tools and the fuzz targets that load
 * them from memory.
 */
#ifndef C2FLOW_EVALUATE_H
#define C2FLOW_EVALUATE_H

#include <stddef.h>
#include <stdint.h>

#include "flow/flow.h"
#include "util/util.h"

#define EVALUATE_AS_NAME_MAX 96         /* AS name, NUL included */
#define EVALUATE_REASON_MAX 128         /* exclusion reason, NUL included */
#define EVALUATE_SOURCE_MAX 64          /* intel file name, NUL included */
#define EVALUATE_CATEGORY_MAX 32        /* malware family, NUL included
                                           (INTEL_MALWARE_MAX: never cut) */
#define EVALUATE_FILE_MAX (1u << 30)    /* larger data files are refused */
#define EVALUATE_LINE_MAX 4096          /* longer lines are bad rows */

typedef struct evaluate_config {
    const char *geo_mmdb;               /* MMDB path; NULL or "" = none */
    const char *const *asn_csv;         /* AS CSV paths (IPv4 and IPv6 files,
                                           any mix); missing ones are noticed */
    size_t nasn_csv;
    const char *const *allowlists;      /* allowlist paths (prefix lines or
                                           MISP warninglist JSON) */
    size_t nallowlists;
    const char *const *intel;           /* intel paths, any src/intel format */
    size_t nintel;
} evaluate_config;

typedef struct evaluation {
    char     country[3];                /* ISO 3166-1 alpha-2, "" unknown */
    uint32_t asn;                       /* AS number, 0 unknown */
    char     as_name[EVALUATE_AS_NAME_MAX]; /* "Cloudflare, Inc.", "" unknown */
    uint8_t  excluded;                  /* 1: an allowlist holds the address */
    char     exclude_reason[EVALUATE_REASON_MAX]; /* "public-resolvers.txt:
                                           Google Public DNS", "" if not */
    uint8_t  intel_confirmed;           /* 1: an intel file lists the server */
    char     category[EVALUATE_CATEGORY_MAX]; /* malware family the feed names
                                           ("QakBot"), "" none */
    int64_t  intel_first_ms;            /* ms UTC the feed first listed it,
                                           0 unknown or not listed */
    char     intel_source[EVALUATE_SOURCE_MAX]; /* file name (no directory) */
} evaluation;

/* What one load of an AS file or allowlist did.  Every line (AS CSV) or
 * list item (warninglist) is blank, a comment, an entry, a bad row, or
 * (warninglists of type string) an item that is no address. */
typedef struct evaluate_stats {
    uint64_t lines;                     /* lines or list items read */
    uint64_t entries;                   /* ranges or prefixes added */
    uint64_t bad;                       /* malformed rows skipped (AS CSV) */
    uint64_t other;                     /* string items that are no address */
    uint64_t first_bad_line;            /* line (item) of the first bad row, 0 none */
    char     first_bad[128];            /* its reason, one line */
} evaluate_stats;

typedef struct evaluator evaluator;
typedef struct evaluate_asn evaluate_asn;
typedef struct evaluate_allow evaluate_allow;

/* Load everything cfg names (cfg and its strings are only read during the
 * call).  Fails (-1, err names the file) when an allowlist or intel file
 * cannot be read or holds nothing usable; a missing or broken MMDB or AS
 * file only goes into the notice.  Caller frees *out with evaluate_close. */
int  evaluate_open(const evaluate_config *cfg, evaluator **out, c2_err *err);
void evaluate_close(evaluator *ev);
/* "" when all optional data is there, else "no country data: ...; ..."
 * (one line, '; ' between items).  Borrowed until evaluate_close. */
const char *evaluate_notice(const evaluator *ev);
/* One line on what was loaded ("country: FILE; AS: 515158 ranges; ...")
 * for a log, into buf. */
char *evaluate_summary(const evaluator *ev, char *buf, size_t len);
/* Fill *out for one entry (out is cleared first).  Read-only: safe on many
 * threads.  port/proto are matched against the intel entries (0 in an intel
 * entry matches any). */
void evaluate_entry(const evaluator *ev, const flow_addr *ip, uint16_t port,
                    uint8_t proto, evaluation *out);

/* ---- AS ranges: rows "start,end,asn,name" (CSV quoting), IPv4 and IPv6
 * rows in any file.  A malformed row is skipped and counted; a file with no
 * row at all is an error, and a failed load leaves the table as it was.
 * Where ranges overlap, the one that starts first keeps the overlap. */
int  evaluate_asn_new(evaluate_asn **out, c2_err *err);
void evaluate_asn_free(evaluate_asn *t);
int  evaluate_asn_load_file(evaluate_asn *t, const char *path, evaluate_stats *st,
                            c2_err *err);
/* The same on len bytes (borrowed); name is used in errors. */
int  evaluate_asn_load_mem(evaluate_asn *t, const void *buf, size_t len,
                           const char *name, evaluate_stats *st, c2_err *err);
/* The AS of ip: its number (0 if none) and *name (borrowed until the next
 * load or free; "" if none). */
uint32_t evaluate_asn_lookup(const evaluate_asn *t, const flow_addr *ip,
                             const char **name);
size_t evaluate_asn_count(const evaluate_asn *t);   /* ranges held */
size_t evaluate_asn_bytes(const evaluate_asn *t);   /* memory held */

/* ---- allowlists: a file is MISP warninglist JSON when its first non-blank
 * byte is '{', else one address or prefix a line ('#' comments, a trailing
 * ',' allowed; docs/hub-evaluate.md).  A bad line or item is an error naming
 * name:line; a failed file leaves the set as it was. */
int  evaluate_allow_new(evaluate_allow **out, c2_err *err);
void evaluate_allow_free(evaluate_allow *a);
int  evaluate_allow_load_file(evaluate_allow *a, const char *path, evaluate_stats *st,
                              c2_err *err);
/* The same on len bytes (borrowed); name (its last '/' part) names the list
 * in reasons and errors. */
int  evaluate_allow_load_mem(evaluate_allow *a, const void *buf, size_t len,
                             const char *name, evaluate_stats *st, c2_err *err);
/* The reason of the most specific prefix holding ip (of equal prefixes,
 * the first loaded), or NULL.  Borrowed until the next load or free. */
const char *evaluate_allow_match(const evaluate_allow *a, const flow_addr *ip);
size_t evaluate_allow_count(const evaluate_allow *a);  /* distinct prefixes */

#endif
