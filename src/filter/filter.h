/*
 * filter: the record filter language, nfdump-compatible for the common
 * terms, compiled once and run over column batches.
 *
 *   dst port 23 and proto tcp and not src net 10.0.0.0/8
 *   ip in [192.0.2.1 198.51.100.0/24] or dst ip in @c2-list.txt
 *   flags S and not flags A and packets < 3
 *
 * docs/filter.md is the reference for every term.  A compiled filter says
 * which columns it reads (so a scan reads only those), whether a store
 * zone (per-segment or per-block min/max) can hold a match (so a scan skips
 * what cannot), and evaluates a whole batch at a time.  A compiled filter is
 * read-only: many threads may evaluate it at once.
 */
#ifndef C2FLOW_FILTER_H
#define C2FLOW_FILTER_H

#include <stddef.h>
#include <stdint.h>

#include "flow/flow.h"
#include "store/store.h"
#include "util/util.h"

typedef struct filter filter;

/* Where compilation failed: byte offset into the text and what was
 * expected there ("expected a port number after 'port'"). */
typedef struct filter_error {
    size_t pos;                     /* byte offset of the offending token */
    size_t len;                     /* its length (>= 1 for the caret line) */
    char   msg[256];
} filter_error;

/* What a store zone's per-field minima and maxima prove about a filter. */
enum {
    FILTER_ZONE_NONE = 0,           /* no record of the zone can match: skip it */
    FILTER_ZONE_SOME = 1,           /* some may */
    FILTER_ZONE_ALL = 2,            /* every record matches: keep it unevaluated */
};

/* Compile `text`.  `base_dir` resolves relative @FILE paths (NULL: the
 * current directory).  Caller frees with filter_free. */
int  filter_compile(const char *text, const char *base_dir, filter **out,
                    filter_error *ferr);
void filter_free(filter *f);
/* Three lines for a person: the filter, a caret under the offending token,
 * and the message.  Returns buf. */
char *filter_error_format(const char *text, const filter_error *ferr,
                          char *buf, size_t len);

/* FLOW_BIT mask of the columns evaluation reads. */
uint32_t filter_fields(const filter *f);
/* 0 when no record of the zone can match (a scan may skip it), 1 when some
 * may.  Signature fits store_scan_spec.prune (arg is the filter). */
int  filter_zone_may_match(const store_zone *zone, void *filter_arg);
/* The finer answer behind it (FILTER_ZONE_*). */
int  filter_zone_verdict(const filter *f, const store_zone *zone);
/* keep[i] = 1 if row i of b matches, else 0, for i < b->count.  b holds at
 * least filter_fields(f). */
void filter_eval(const filter *f, const flow_batch *b, uint8_t *keep);
/* The same two as a store scan takes them (store_scan_spec.prune and
 * .match, arg the filter): the zone verdict, FILTER_ZONE_ALL being
 * STORE_ZONE_ALL, and filter_eval. */
int  filter_zone_prune(const store_zone *zone, void *filter_arg);
void filter_match_rows(const flow_batch *b, uint8_t *keep, void *filter_arg);
/* A filter that matches everything (the empty filter or "any"). */
int  filter_is_any(const filter *f);

#endif
