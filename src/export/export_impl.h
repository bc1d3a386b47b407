/*
 * export_impl.h: what the files of src/export/ share and nobody else sees.
 */
#ifndef C2FLOW_EXPORT_IMPL_H
#define C2FLOW_EXPORT_IMPL_H

#include "export/export.h"

/* "2026-01-05 07:30:05" (UTC, ms dropped), or "" for 0; buf >= 32. */
const char *export_time_space(int64_t ms, char *buf, size_t len);
/* "2026-01-05" (UTC), or "" for 0; buf >= 16. */
const char *export_date(int64_t ms, char *buf, size_t len);
/* The row's address as text; buf >= FLOW_ADDR_STRLEN. */
const char *export_ip(const c2_entry *e, char *buf, size_t len);
/* The newest first or last seen time of the list (ms); for a list without
 * times, 2026-01-01: the time of objects that need one. */
int64_t export_list_time(const c2list *l);
/* The name in opt, or "c2flow". */
const char *export_opt_name(const export_options *opt);

/* One address and what its rows say, for the formats keyed by address.
 * rows points into the list (borrowed). */
typedef struct export_addr {
    flow_addr       ip;
    size_t          first;              /* index in the sorted row array */
    size_t          n;                  /* rows of this address */
    double          score;              /* highest score of its rows */
} export_addr;
/* The list's rows ordered by (address, port, proto) and grouped by address:
 * *rows (n_rows) and *addrs (n_addrs), both caller frees. */
int export_group_by_addr(const c2list *l, const c2_entry ***rows, size_t *n_rows,
                         export_addr **addrs, size_t *n_addrs, c2_err *err);

/* uuid.c: SHA-1 of len bytes; the version 5 UUID of name in c2flow's
 * namespace as "xxxxxxxx-xxxx-5xxx-yxxx-xxxxxxxxxxxx" (buf >= 37). */
void  export_sha1(const void *data, size_t len, uint8_t out[20]);
char *export_uuid5(const char *name, char *buf, size_t len);
/* MD5 of len bytes as 32 hex digits (buf >= 33). */
char *export_md5_hex(const void *data, size_t len, char *buf, size_t buflen);
/* "ip|port|proto": the text a row's ids are derived from; buf >= 80. */
char *export_row_key(const c2_entry *e, char *buf, size_t len);

/* misp.c */
int export_misp_event(const c2list *l, const export_options *opt, FILE *f, c2_err *err);

/* stix.c */
int export_stix(const c2list *l, const export_options *opt, FILE *f, c2_err *err);

/* feeds.c.  ThreatFox's fk_malware and malware_printable of an unnamed
 * family, as ThreatFox writes them: no category on import. */
#define EXPORT_THREATFOX_UNKNOWN_ID "unknown"
#define EXPORT_THREATFOX_UNKNOWN "Unknown malware"

int export_feodo(const c2list *l, FILE *f, c2_err *err);
int export_threatfox(const c2list *l, FILE *f, c2_err *err);
int export_iprep(const c2list *l, const export_options *opt, FILE *f, c2_err *err);
int export_zeek(const c2list *l, const export_options *opt, FILE *f, c2_err *err);
/* firewall.c */
int export_nftables(const c2list *l, const export_options *opt, FILE *f, c2_err *err);
int export_ipset(const c2list *l, const export_options *opt, FILE *f, c2_err *err);

#endif
