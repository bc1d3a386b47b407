/*
 * ipset: a set of IP addresses and prefixes, IPv4 and IPv6 together, built
 * once and then asked "is this address in it?" at memory speed.
 *
 * Used wherever a list meets flows: `ip in [...]` and `ip in @FILE` filters,
 * lists of known C2 or download servers for detection, customer address
 * lists for retroactive search.  Lists may hold millions of entries.
 *
 * Life cycle: ipset_new, then ipset_add / ipset_add_text / ipset_load_file
 * any number of times, then ipset_build once (overlapping and adjacent
 * prefixes are merged), then lookups, which are read-only and may run on
 * many threads at once.  Addresses are flow_addr (IPv4 as IPv4-mapped IPv6),
 * so "10.0.0.0/8" and "::ffff:10.0.0.0/104" are the same prefix.
 */
#ifndef C2FLOW_IPSET_H
#define C2FLOW_IPSET_H

#include <stddef.h>
#include <stdint.h>

#include "flow/flow.h"
#include "util/util.h"

typedef struct ipset ipset;

/* Caller frees with ipset_free. */
int    ipset_new(ipset **out, c2_err *err);
void   ipset_free(ipset *s);
/* Add the prefix a/len, len in bits of the 128-bit form (IPv4 /24 is 120). */
int    ipset_add(ipset *s, const flow_addr *a, unsigned len, c2_err *err);
/* Add "192.0.2.1", "192.0.2.0/24", "2001:db8::/32" or "::ffff:10.0.0.0/104"
 * (whitespace around is trimmed; an IPv4 length counts IPv4 bits, an IPv6
 * length 128-bit bits).  Host bits set below the prefix length are cleared,
 * as nfdump 1.7.1 does ("10.0.0.1/8" is 10.0.0.0/8): see docs/ipset.md. */
int    ipset_add_text(ipset *s, const char *text, c2_err *err);
/* Parse one entry as ipset_add_text does, without adding it: *a gets the
 * prefix with host bits cleared, *len its length in the 128-bit form. */
int    ipset_parse(const char *text, flow_addr *a, unsigned *len, c2_err *err);
/* Add every line of a file: one address or prefix per line; blank lines
 * and '#' comments (whole line or after the entry) are skipped; an entry
 * may also end with ',' (nfdump list style).  A bad line is an error
 * naming file:line; nothing of a failed file is kept. */
int    ipset_load_file(ipset *s, const char *path, c2_err *err);
/* The same on len bytes in memory (borrowed); errors say "name:line: ...". */
int    ipset_load_buffer(ipset *s, const char *buf, size_t len, const char *name,
                         c2_err *err);
/* Freeze: sort and merge.  Lookups before build find nothing.  Entries
 * added after a build are seen by lookups only after the next build. */
int    ipset_build(ipset *s, c2_err *err);

int    ipset_contains(const ipset *s, const flow_addr *a);
/* out[i] = ipset_contains(s, &a[i]) for i < n, faster than one by one. */
void   ipset_contains_batch(const ipset *s, const flow_addr *a, size_t n,
                            uint8_t *out);
/* The same for IPv4 addresses in host order: out[i] = ipset_contains of
 * ::ffff:x[i], for i < n (the IPv4 side alone, so IPv6 rows must be asked
 * with ipset_contains or ipset_contains_batch).  Meant for columns already
 * held as uint32, such as a flow_batch's IPv4 view of an address column;
 * cheaper than the flow_addr form as there is no family to test. */
void   ipset_contains_batch_v4(const ipset *s, const uint32_t *x, size_t n,
                               uint8_t *out);
/* 1 if the built set holds some address outside ::ffff:0:0/96, else 0:
 * then every IPv6 address misses, and the IPv6 rows of a column read
 * through ipset_contains_batch_v4 need no lookup of their own. */
int    ipset_has_v6(const ipset *s);
/* Entries added, and disjoint ranges after build (IPv4 ranges + IPv6 ranges;
 * an IPv6 prefix that covers ::ffff:0:0/96, such as ::/0, counts in both). */
size_t ipset_entries(const ipset *s);
size_t ipset_ranges(const ipset *s);
/* A hash of the built set: equal sets (however they were written) give
 * equal fingerprints, so a result computed from a set can be checked for
 * still being valid. */
uint64_t ipset_fingerprint(const ipset *s);
/* Bytes of memory the set holds now (staging and built tables). */
size_t ipset_bytes(const ipset *s);
/* Smallest and largest address in the set, for pruning by a store zone:
 * returns 1 and fills min/max, or 0 (min/max zeroed) when the built set is
 * empty. */
int    ipset_bounds(const ipset *s, flow_addr *min, flow_addr *max);
/* 1 if some address of [lo, hi] is in the set. */
int    ipset_intersects(const ipset *s, const flow_addr *lo, const flow_addr *hi);

#endif
