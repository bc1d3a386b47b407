/*
 * export: a C2 list (src/c2list/) written in the formats other tools read,
 * so that an ISP can hand its list to firewalls, IDS sensors and threat-
 * intelligence platforms (docs/export.md).
 *
 * The module owns the text of every export format and nothing else: it
 * reads no file and decides no exit.  Its only input is a c2list, which has
 * no field for a customer address or a flow record, so no export can carry
 * one.  Output is deterministic: the same list gives the same bytes (no
 * clock, no random ids).  Formats that key by address alone (suricata-iprep,
 * zeek-intel) merge the rows of one address; the others write one line or
 * object per row in the list's order.  STIX and MISP ids are version 5
 * UUIDs of what they name (uuid.c).
 */
#ifndef C2FLOW_EXPORT_H
#define C2FLOW_EXPORT_H

#include <stdio.h>

#include <jansson.h>

#include "c2list/c2list.h"
#include "util/util.h"

#define EXPORT_NAME_MAX 24              /* --name, NUL included */

typedef enum export_format {
    EXPORT_CSV,                         /* the list's own CSV (c2list_write) */
    EXPORT_JSONL,                       /* the list's own JSON Lines */
    EXPORT_FEODO_CSV,                   /* abuse.ch Feodo Tracker blocklist columns */
    EXPORT_THREATFOX_CSV,               /* abuse.ch ThreatFox CSV export, ip:port rows */
    EXPORT_NFTABLES,                    /* nft -f script: table, sets, example chain */
    EXPORT_IPSET,                       /* ipset restore: hash:ip,port sets */
    EXPORT_SURICATA_IPREP,              /* Suricata IP reputation list (ip,cat,score) */
    EXPORT_ZEEK_INTEL,                  /* Zeek Intel framework file, Intel::ADDR */
    EXPORT_STIX21,                      /* STIX 2.1 bundle: identity, TLP 2.0 marking,
                                           an indicator and a sighting per row */
    EXPORT_MISP_FEED,                   /* MISP feed directory: manifest.json, one
                                           event UUID.json, hashes.csv */
    EXPORT_NFORMATS
} export_format;

/* TLP 2.0 levels (FIRST), as STIX marking definitions. */
typedef enum export_tlp {
    EXPORT_TLP_CLEAR, EXPORT_TLP_GREEN, EXPORT_TLP_AMBER, EXPORT_TLP_AMBER_STRICT,
    EXPORT_TLP_RED, EXPORT_TLP_N
} export_tlp;

typedef struct export_options {
    const char *identity;               /* STIX identity, MISP Orgc name, 1-256
                                           bytes; NULL = "c2flow" */
    export_tlp  tlp;                    /* STIX marking, MISP tlp: tag (0 = clear;
                                           the command defaults to amber) */
    uint32_t    valid_days;             /* STIX valid_until = last seen + days;
                                           0 = no valid_until */
    const char *name;                   /* nft table, ipset set prefix, iprep
                                           category, Zeek meta.source; NULL =
                                           "c2flow"; [A-Za-z0-9_-], < EXPORT_NAME_MAX */
} export_options;

/* The format of a name ("nftables"), or -1. */
int         export_format_lookup(const char *name);
const char *export_format_name(export_format fmt);
/* "csv, jsonl, ...": every format name, for usage messages. */
const char *export_format_names(void);
/* "clear", "green", "amber", "amber+strict", "red": the level, or -1. */
int         export_tlp_lookup(const char *name);
const char *export_tlp_name(export_tlp tlp);
/* 0 if name is a valid export_options.name, else -1 with err. */
int         export_name_check(const char *name, c2_err *err);

/* Write the whole list to f (not closed) in fmt.  -1 with err on a bad
 * option or a write error (f may then hold part of the text: callers that
 * replace a file build it in memory first). */
int export_write(const c2list *l, export_format fmt, const export_options *opt,
                 FILE *f, c2_err *err);
/* The objects of the STIX bundle export_write(EXPORT_STIX21) writes for l, in
 * its order, as a new jansson array (caller decrefs); NULL with err.  For
 * callers that publish objects one by one (the hub) without writing and
 * parsing the text. */
json_t *export_stix_objects(const c2list *l, const export_options *opt, c2_err *err);

/* A MISP feed is a directory of three files (docs/export.md): export_write
 * with EXPORT_MISP_FEED gives the event file, named UUID.json after
 * export_misp_event_uuid (buf >= 37), the others give the manifest and
 * hashes.csv.  One event per list: its uuid follows from the identity and
 * the name, so a newer list of the same source updates the same event. */
char *export_misp_event_uuid(const export_options *opt, char *buf, size_t len);
int   export_misp_manifest(const c2list *l, const export_options *opt, FILE *f, c2_err *err);
int   export_misp_hashes(const c2list *l, const export_options *opt, FILE *f, c2_err *err);
/* Suricata's categories file that goes with an EXPORT_SURICATA_IPREP list:
 * one line "1,NAME,description". */
int export_iprep_categories(const export_options *opt, FILE *f, c2_err *err);

/* ---- reading back (import.c) ----
 * A list from elsewhere in one of these formats, as a C2 list (method
 * "import"): csv, jsonl, feodo-csv, threatfox-csv, stix21 (indicators whose
 * pattern names one destination address, with or without a port and a
 * protocol) and misp-feed (an event file's ip-dst|port attributes).
 * Protocols a format does not name are tcp.  Rows that cannot be read
 * whole, and repeats of a key, are counted and skipped; a file that is not
 * of the format at all is an error.  name is used in messages. */
typedef struct export_read_stats {
    uint64_t rows;                      /* rows in the list */
    uint64_t skipped;                   /* entries not read (unknown pattern, bad value) */
    uint64_t duplicates;                /* repeats of a key */
} export_read_stats;

int export_read(const void *buf, size_t len, export_format fmt, const char *name,
                c2list **out, export_read_stats *st, c2_err *err);

#endif
