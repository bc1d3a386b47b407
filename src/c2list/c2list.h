/*
 * c2list: the C2 candidate list, the only thing c2flow ever shares.
 *
 * A list is rows of (ip, port, proto) with when the server was seen, how
 * sure the detector is, which method found it, the malware family when
 * known, and evidence as counts only.  It has no field for a customer
 * address or a flow record (the short texts cannot hold an address), and the
 * readers refuse any column or key they do not know, so a list cannot
 * carry such data by accident or on purpose (docs/c2list.md).
 *
 * Two serialisations, read back to the same list: CSV with a header row
 * and JSON Lines.  Readers detect the form (first non-blank byte '{' =
 * JSON Lines), are strict, and load all or nothing: a bad file gives an
 * error naming the line and no list.  The key (ip, port, proto) is unique
 * within a list; c2list_add refuses a second row with the same key.
 */
#ifndef C2FLOW_C2LIST_H
#define C2FLOW_C2LIST_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "flow/flow.h"
#include "util/util.h"

#define C2LIST_METHOD_MAX 16            /* method text, NUL included */
#define C2LIST_CATEGORY_MAX 32          /* category text, NUL included */
#define C2LIST_MAX_ROWS 50000000u       /* default bound of a read list */
#define C2LIST_LINE_MAX 65536           /* longest line a reader accepts */
#define C2LIST_TIME_MAX 253402300799999LL /* 9999-12-31T23:59:59.999Z */

/* One row.  c2_entry_init gives the defaults of every optional field. */
typedef struct c2_entry {
    flow_addr ip;                       /* the server; IPv4 mapped */
    int64_t   first_seen;               /* ms since epoch UTC, 0 = unknown */
    int64_t   last_seen;                /* ms since epoch UTC, 0 = unknown */
    double    score;                    /* 0-100, kept to one decimal */
    uint32_t  group;                    /* group of related servers, 0 = none */
    uint32_t  infected_clients;         /* evidence: clients judged infected */
    uint32_t  clients;                  /* evidence: distinct clients seen */
    uint32_t  days_seen;                /* evidence: days with traffic */
    uint16_t  port;                     /* server port, 0-65535 */
    uint8_t   proto;                    /* IP protocol number (6 = tcp) */
    char      method[C2LIST_METHOD_MAX];/* "graph", "ml", "both", "import";
                                           [A-Za-z0-9_.+-], may be empty */
    char      category[C2LIST_CATEGORY_MAX]; /* malware family or category
                                           ("Emotet", "Mirai"), "" = unknown;
                                           see c2list_category_ok */
} c2_entry;

typedef enum c2list_format {
    C2LIST_CSV,                         /* header row, then one row a line */
    C2LIST_JSONL                        /* one JSON object a line */
} c2list_format;

typedef struct c2list c2list;

/* ---- building ---- */
void c2_entry_init(c2_entry *e);        /* zero, score 0, method "", category "" */
/* An empty list, or NULL when out of memory.  Caller frees. */
c2list *c2list_new(void);
void    c2list_free(c2list *l);
/* Copy e into the list.  Refused (-1, err): a field out of range (score
 * not in 0-100, last_seen before first_seen, negative times, a method that
 * is too long or has other characters, a category c2list_category_ok
 * refuses) or a key already in the list.  The score is rounded to one
 * decimal. */
int     c2list_add(c2list *l, const c2_entry *e, c2_err *err);
/* Set the category of row i (< count); -1 with err (row unchanged) when
 * c2list_category_ok refuses it. */
int     c2list_set_category(c2list *l, size_t i, const char *category, c2_err *err);

/* ---- categories ----
 * A category is 0-31 of A-Z a-z 0-9 space . _ + - : / ( ), neither starting
 * nor ending with a space, and it cannot hold an IP address: at most one
 * ':' and no four dot-separated numbers (docs/c2list.md). */
int     c2list_category_ok(const char *s);      /* 1 yes, 0 no */
/* A malware name from elsewhere (a feed, a STIX bundle) made a category:
 * blanks around it dropped, other characters and every ':' after the
 * first replaced by '_', cut to 31 characters; a name that still holds an
 * address gives "".  buf >= C2LIST_CATEGORY_MAX; returns buf. */
char   *c2list_category_clean(const char *s, char *buf, size_t len);

/* ---- reading the list ---- */
size_t  c2list_count(const c2list *l);
/* Row i (< count), borrowed until the list changes. */
const c2_entry *c2list_get(const c2list *l, size_t i);
/* The row of key (ip, port, proto), or NULL; borrowed as above. */
const c2_entry *c2list_find(const c2list *l, const flow_addr *ip,
                            uint16_t port, uint8_t proto);
/* Order rows by score, highest first, then ip, port, proto ascending. */
void    c2list_sort(c2list *l);

/* ---- files ---- */
/* "csv", "jsonl" or "json": the format, or -1. */
int     c2list_format_lookup(const char *name);
/* Write the whole list to f (not closed); -1 with err on a write error. */
int     c2list_write(const c2list *l, FILE *f, c2list_format fmt, c2_err *err);
/* Read a list ("-" = stdin).  max_rows 0 means C2LIST_MAX_ROWS.  On success
 * *out is a new list the caller frees; on error *out is NULL and err says
 * "PATH: line N: reason". */
int     c2list_read_file(const char *path, size_t max_rows, c2list **out,
                         c2_err *err);
/* The same from len bytes in memory (borrowed); errors say "line N: ...". */
int     c2list_read_mem(const void *buf, size_t len, size_t max_rows,
                        c2list **out, c2_err *err);
/* The same from an open stream (not closed); errors say "NAME: line N: ...". */
int     c2list_read_stream(FILE *f, const char *name, size_t max_rows,
                           c2list **out, c2_err *err);

/* Whether a text is a C2 list, told from its first non-blank line: a JSON
 * object, or a CSV header naming ip, port and proto (no threat feed opens
 * so: a Feodo header says dst_ip, a plain list starts with an address or
 * '#').  Reads f (not closed), or len bytes at mem when f is NULL.  1 yes,
 * 0 no (an empty text too), -1 on a read error. */
int     c2list_sniff(FILE *f, const void *mem, size_t len, c2_err *err);

/* ---- text forms the readers and writers share ---- */
/* "tcp", "udp", "icmp", ... (lower case) or the number: buf >= 8 bytes. */
char   *c2list_proto_format(uint8_t proto, char *buf, size_t len);
/* A protocol name (any case) or a number 0-255; -1 if neither. */
int     c2list_proto_parse(const char *s);
/* "2026-01-05T00:00:00Z" (".123" before the Z only when ms are not 0);
 * buf >= 32 bytes. */
char   *c2list_time_format(int64_t ms, char *buf, size_t len);
/* Strict ISO 8601 date and time ("2026-01-05T00:00:00Z", "2026-01-05",
 * offsets, a space for the T) from 1970-01-01T00:00:00.001Z to
 * C2LIST_TIME_MAX; 0 or -1.  Nothing relative, no epoch seconds. */
int     c2list_time_parse(const char *s, int64_t *out);

#endif
