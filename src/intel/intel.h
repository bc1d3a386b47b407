/*
 * intel: threat-intelligence files of known malicious servers, loaded into
 * one set that answers "is this (ip, port, proto) a known bad server, and
 * was it known at time t?" fast enough for millions of questions.
 *
 * Three formats, detected from the file (docs/intel.md): abuse.ch Feodo
 * Tracker's CSV blocklist, ThreatFox's CSV export (only its ip:port rows),
 * and plain lists of `ip`, `ip:port`, `[v6]:port` or `ip,port`.  Feeds come
 * from third parties, so a malformed row is skipped and counted (the first
 * one kept for the warning) rather than fatal; a file that yields no entry
 * at all is an error, and a failed file leaves the set as it was.
 *
 * Life cycle: intel_new, intel_load_* any number of times (the set is
 * indexed again after each and is ready for lookups at once), intel_match
 * (read-only; safe on many threads), intel_free.
 */
#ifndef C2FLOW_INTEL_H
#define C2FLOW_INTEL_H

#include <stddef.h>
#include <stdint.h>

#include "flow/flow.h"
#include "util/util.h"

#define INTEL_MALWARE_MAX 32            /* malware name, NUL included */
#define INTEL_LINE_MAX 65536            /* longer lines are bad rows */
#define INTEL_MAX_SOURCES 65535         /* files in one set */

typedef enum intel_format {
    INTEL_AUTO,                         /* detect (loading only) */
    INTEL_PLAIN,                        /* ip / ip:port / [v6]:port / ip,port */
    INTEL_FEODO,                        /* Feodo Tracker blocklist CSV */
    INTEL_THREATFOX                     /* ThreatFox CSV export */
} intel_format;

typedef struct intel_entry {
    flow_addr ip;                       /* the server; IPv4 mapped */
    int64_t   first_seen;               /* ms UTC the feed first listed it, 0 unknown */
    int64_t   last_seen;                /* ms UTC last seen online, 0 unknown */
    uint16_t  port;                     /* 0 = any port */
    uint16_t  source;                   /* index of the file it came from */
    uint8_t   proto;                    /* 0 = any protocol */
    char      malware[INTEL_MALWARE_MAX]; /* family as the feed names it ("Emotet");
                                           cut to fit, "" if none */
} intel_entry;

/* What one load did.  Every line read is blank, a comment or header, an
 * entry, a bad row, or (ThreatFox) a row of another IOC type. */
typedef struct intel_stats {
    intel_format format;                /* the format used */
    uint64_t lines;                     /* lines read */
    uint64_t entries;                   /* entries added */
    uint64_t bad;                       /* malformed rows skipped */
    uint64_t other;                     /* ThreatFox domain/url/hash rows skipped */
    uint64_t first_bad_line;            /* line of the first bad row, 0 none */
    char     first_bad[128];            /* its reason, one line */
} intel_stats;

typedef struct intel_set intel_set;

/* Caller frees with intel_free. */
int   intel_new(intel_set **out, c2_err *err);
void  intel_free(intel_set *s);
/* Load a file ("-" = stdin) in format fmt (INTEL_AUTO: detect).  st (may be
 * NULL) gets the counts.  Fails (-1, "PATH: reason", set unchanged) on a
 * read error, a header of unknown columns, or when no entry was found. */
int   intel_load_file(intel_set *s, const char *path, intel_format fmt,
                      intel_stats *st, c2_err *err);
/* The same on len bytes (borrowed); name is used in errors and as the
 * source's name. */
int   intel_load_mem(intel_set *s, const void *buf, size_t len, const char *name,
                     intel_format fmt, intel_stats *st, c2_err *err);

/* The entry matching a server, or NULL.  An entry matches when its address
 * is ip, its port is port or 0, its proto is proto or 0, and, when at_ms is
 * not 0 and the entry's first_seen is known, first_seen <= at_ms.  Of
 * several, the one listed first (earliest first_seen, unknown counting as
 * earliest) is returned, an exact port winning a tie.  Borrowed until the
 * next load. */
const intel_entry *intel_match(const intel_set *s, const flow_addr *ip,
                               uint16_t port, uint8_t proto, int64_t at_ms);

size_t intel_count(const intel_set *s);
/* Entry i (< count), in address order; borrowed until the next load. */
const intel_entry *intel_get(const intel_set *s, size_t i);
/* The name a file was loaded under, or NULL for an unknown index. */
const char *intel_source_name(const intel_set *s, uint16_t source);

const char *intel_format_name(intel_format fmt);  /* "feodo", ... */
int   intel_format_lookup(const char *name);       /* -1 if unknown */

#endif
