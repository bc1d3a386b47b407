/*
 * hubreport: the figures the trial reported, computed from the reports the
 * hub holds, and written as one JSON object or one self-contained HTML page
 * (docs/hub-report.md gives every definition and the JSON schema).
 *
 * Pure computation: the caller (the hub) hands over an array of rows, one
 * per (member, server key, submission), and gets back a hubreport it can
 * read directly or write out.  The module knows nothing of SQLite or HTTP,
 * and a report owns all its memory (member names are copied).
 *
 * A key is (ip, port, proto); days are UTC days; times are ms UTC.
 */
#ifndef C2FLOW_HUBREPORT_H
#define C2FLOW_HUBREPORT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "flow/flow.h"
#include "util/util.h"

#define HUBREPORT_MAX_DAYS 3660         /* longest range (or span of rows, unbounded), in days */
#define HUBREPORT_MAX_MEMBERS 1024      /* members in one report (the pair matrix is n x n) */
#define HUBREPORT_ALL_COMBOS 8          /* up to this many members every combination is listed */
#define HUBREPORT_LIFETIME_BINS 7       /* 0, 1, 2-3, 4-7, 8-14, 15-30, 31+ whole days */

/* One report of one key by one member (one submission's row). */
typedef struct hubreport_row {
    uint32_t  member;                   /* index into hubreport_input.members */
    flow_addr ip;                       /* IPv4 mapped */
    uint16_t  port;                     /* L4 port */
    uint8_t   proto;                    /* IP protocol number */
    uint8_t   confirmed;                /* 1: confirmed by intel or by an analyst */
    uint8_t   excluded;                 /* 1: allowlisted or rejected by an analyst */
    char      country[3];               /* ISO 3166 alpha-2, "" unknown */
    int64_t   reported_ms;              /* as-of time of the submission that carried it */
    int64_t   intel_first_ms;           /* open intelligence first listed the server; 0 never */
} hubreport_row;

typedef struct hubreport_input {
    const char *const *members;         /* member names, borrowed; index = row.member */
    size_t     nmembers;
    const hubreport_row *rows;          /* borrowed; any order, a key any number of times */
    size_t     nrows;
    int64_t    from_ms;                 /* rows with from <= reported < to count; */
    int64_t    to_ms;                   /* C2_TIME_MIN / C2_TIME_MAX: unbounded (days narrowed to the rows) */
} hubreport_input;

/* Early detection against open intelligence; NaN where undefined (0 of 0). */
typedef struct hubreport_early {
    uint64_t  n_intel;                  /* keys reported that intel lists */
    uint64_t  n_earlier;                /* of them, first reported strictly before intel */
    double    rate;                     /* n_earlier / n_intel */
    double    mean_days;                /* mean of (intel_first - first report) over the earlier */
    double    median_days;              /* median of the same */
} hubreport_early;

typedef struct hubreport_member {
    char     *name;                     /* copy of the input's name */
    uint64_t  rows;                     /* rows counted (in range, not excluded) */
    uint64_t  keys;                     /* distinct keys reported */
    uint64_t  confirmed;                /* of them, confirmed */
    uint64_t  only;                     /* keys no other member reported */
    uint64_t  shared;                   /* keys = only + shared */
    hubreport_early early;
} hubreport_member;

typedef struct hubreport_country {
    char      code[3];                  /* "JP"; "??" unknown */
    uint64_t  keys;                     /* distinct keys */
} hubreport_country;

typedef struct hubreport_day {
    int64_t   day_ms;                   /* 00:00 UTC of the day */
    uint64_t  listed;                   /* distinct keys reported that day, any member */
    uint64_t  confirmed;                /* of them, confirmed */
    uint64_t *member_listed;            /* [nmembers]: the same per member */
    uint64_t *member_confirmed;         /* [nmembers] */
    hubreport_country *countries;       /* listed keys by country: keys desc, then code */
    size_t    ncountries;               /* countries with keys > 0 */
} hubreport_day;

/* An exact member set and the keys whose member set it is. */
typedef struct hubreport_combo {
    const uint32_t *members;            /* member indices, ascending */
    size_t    nmembers;                 /* >= 1 */
    uint64_t  keys;
} hubreport_combo;

typedef struct hubreport_lifetime {
    uint64_t  count;                    /* keys */
    double    mean_days;                /* NaN when count == 0 */
    double    median_days;
    double    p90_days;
    uint64_t  histogram[HUBREPORT_LIFETIME_BINS];   /* whole days, bins as above */
} hubreport_lifetime;

typedef struct hubreport {
    int64_t   from_ms, to_ms;           /* the range asked for, as given */
    uint64_t  rows;                     /* rows counted: in range, not excluded */
    uint64_t  rows_outside;             /* rows outside the range (not counted) */
    uint64_t  excluded_rows;            /* rows in range that were excluded */
    uint64_t  excluded_keys;            /* distinct keys of those rows */
    uint64_t  keys;                     /* distinct keys counted */
    uint64_t  confirmed;                /* of them, confirmed */

    size_t    nmembers;
    hubreport_member *members;          /* [nmembers], input order */
    uint64_t *pairs;                    /* [nmembers * nmembers]: keys both i and j reported;
                                           the diagonal is members[i].keys */
    hubreport_combo *combos;            /* see docs/hub-report.md for which and in what order */
    size_t    ncombos;

    size_t    ndays;
    hubreport_day *days;                /* [ndays], oldest first */

    hubreport_early early;              /* overall: first report by any member */
    hubreport_lifetime lifetime;
    hubreport_country *countries;       /* totals over the range: keys desc, then code */
    size_t    ncountries;

    struct hubreport_mem *mem;          /* internal: blocks the arrays above live in */
} hubreport;

/* Compute the figures of in.  *out is the caller's (hubreport_free).
 * Fails on a row whose member index is out of range, a NULL member name,
 * more than HUBREPORT_MAX_MEMBERS members, a range (unbounded: the days
 * of its rows) of more than HUBREPORT_MAX_DAYS days, or lack of memory.  An empty range or no rows
 * give a report of zeros. */
int  hubreport_compute(const hubreport_input *in, hubreport **out, c2_err *err);
/* One JSON object (docs/hub-report.md), a newline after it. */
int  hubreport_write_json(const hubreport *r, FILE *f, c2_err *err);
/* One HTML page, inline CSS and SVG, no script, no external asset. */
int  hubreport_write_html(const hubreport *r, FILE *f, c2_err *err);
void hubreport_free(hubreport *r);

/* Keys of exactly the member set given (indices, any order, n >= 1); 0
 * when no key has it. */
uint64_t hubreport_combo_keys(const hubreport *r, const uint32_t *members, size_t n);
/* Whole-day lifetime bin label ("0", "1", "2-3", ... "31+"). */
const char *hubreport_lifetime_bin(size_t i);
/* "2026-12-06" for the UTC day holding ms, into buf (>= 11 bytes). */
char *hubreport_day_format(int64_t ms, char *buf, size_t len);

#endif
