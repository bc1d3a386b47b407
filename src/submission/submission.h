/*
 * submission: the body of a hub submission (POST /api/v1/submissions) into
 * a validated C2 list, or a one-line refusal naming the row and the reason
 * (docs/hub-submission.md).
 *
 * The module owns what a member may send the hub: a c2flow list (CSV or
 * JSON Lines, docs/c2list.md) or a STIX 2.1 bundle of the shape c2flow's
 * exporter writes.  Everything else is refused, strictly and whole: an
 * unknown column, key, object type or property, an address that cannot be
 * a C2 server on the Internet (private, reserved, documentation, ...
 * RFC 6890), a time that is not sane, a size over the limits.  A
 * submission has no place for customer addresses or flow records, and one
 * bad row refuses the whole body, so the hub stores all of it or nothing.
 */
#ifndef C2FLOW_SUBMISSION_H
#define C2FLOW_SUBMISSION_H

#include <stddef.h>
#include <stdint.h>

#include "c2list/c2list.h"
#include "flow/flow.h"
#include "util/util.h"

#define SUBMISSION_ID_MAX 64            /* longest submission id, NUL excluded */
#define SUBMISSION_JSON_DEPTH 16        /* deepest nesting of arrays/objects read */

typedef enum submission_format {
    SUBMISSION_AUTO,                    /* application/json: a STIX bundle or JSON Lines */
    SUBMISSION_CSV,                     /* text/csv: the list's CSV, header row first */
    SUBMISSION_JSONL,                   /* application/x-ndjson, application/jsonl */
    SUBMISSION_STIX21                   /* application/stix+json[;version=2.1] */
} submission_format;

typedef struct submission_limits {
    size_t  max_bytes;                  /* body size limit, bytes; 0 = no limit */
    size_t  max_rows;                   /* rows (indicators) per submission; 0 = C2LIST_MAX_ROWS */
    int64_t now_ms;                     /* time received, ms since epoch UTC */
    int64_t max_future_ms;              /* first/last seen at most now + this, ms */
    int64_t min_time_ms;                /* first/last seen not before this, ms UTC */
} submission_limits;

/* The format of a Content-Type header value (media type and parameters in
 * any case, blanks around them ignored): text/csv, application/x-ndjson,
 * application/jsonl, application/stix+json (a version parameter, if any,
 * must be 2.1), application/json (sniffed); -1 for anything else. */
int  submission_format_from_type(const char *content_type);
const char *submission_format_name(submission_format fmt);
/* Defaults: no byte limit, C2LIST_MAX_ROWS, now = the clock, one day into
 * the future, 2000-01-01. */
void submission_limits_default(submission_limits *lim);
/* Parse and validate len bytes at body (borrowed; any bytes).  On success 0
 * and *out is a new list (caller frees): rows in the body's order, method
 * as given (CSV, JSON Lines) or "stix" (STIX).  On failure -1, *out NULL
 * and err says "row N: reason", "row N (line L): reason" (CSV and JSON
 * Lines: N counts data rows, L the line when it differs), "object N (ID):
 * reason" (STIX: N is the 1-based place in "objects") or "body: reason". */
int  submission_parse(const void *body, size_t len, submission_format fmt,
                      const submission_limits *lim, c2list **out, c2_err *err);
/* 0 if ip may be shared as a C2 server: a global unicast address outside
 * every special-purpose range of RFC 6890 and its updates that is not
 * globally reachable; -1 with err "IP is REASON" otherwise. */
int  submission_address_check(const flow_addr *ip, c2_err *err);
/* 0 if port fits proto: 1-65535 for protocols with ports (tcp, udp, dccp,
 * sctp, udplite), anything for others; -1 with err. */
int  submission_port_check(uint16_t port, uint8_t proto, c2_err *err);
/* 0 if every check a submitted row gets passes (address, no address
 * written in method or category, port, times within lim); -1 with err
 * naming the first that fails. */
int  submission_row_check(const c2_entry *e, const submission_limits *lim, c2_err *err);
/* 0 if id is 1-64 of [A-Za-z0-9._-], else -1 with err. */
int  submission_id_check(const char *id, c2_err *err);

#endif
