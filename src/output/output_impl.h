/*
 * output_impl.h: private to src/output/ (not part of the module's API):
 * the write buffer and the value formatters both writers share.
 *
 * The formatters write into a caller's char array and return the length,
 * without a terminating NUL, so that the record writer can format straight
 * into its output buffer after reserving room for a whole row.
 */
#ifndef C2FLOW_OUTPUT_IMPL_H
#define C2FLOW_OUTPUT_IMPL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "flow/flow.h"
#include "util/util.h"

#define OUT_BUF_SIZE (256 * 1024)   /* bytes buffered before an fwrite */
#define OUT_CELL_MAX 48             /* longest formatted record value */

/* Buffered output to a FILE.  A write error is sticky: later writes are
 * dropped and the error is reported by obuf_finish(). */
typedef struct obuf {
    FILE  *f;                       /* borrowed */
    char  *buf;
    size_t len, cap;
    int    error;                   /* errno of the first failed write */
} obuf;

int  obuf_init(obuf *o, FILE *f, c2_err *err);
void obuf_free(obuf *o);
/* Write out the buffer; -1 once any write has failed. */
int  obuf_flush(obuf *o);
/* Flush the buffer and f; 0, or -1 with err naming the write error. */
int  obuf_finish(obuf *o, c2_err *err);
/* Append n bytes of any length. */
void obuf_write(obuf *o, const char *s, size_t n);

/* Make room for n bytes (n <= OUT_BUF_SIZE) so that raw appends through
 * obuf_tail() need no check. */
static inline void obuf_reserve(obuf *o, size_t n)
{
    if (o->cap - o->len < n) obuf_flush(o);
}
static inline char *obuf_tail(obuf *o) { return o->buf + o->len; }
static inline void obuf_put(obuf *o, const char *s, size_t n)
{
    memcpy(o->buf + o->len, s, n);
    o->len += n;
}
static inline void obuf_putc(obuf *o, char c) { o->buf[o->len++] = c; }
static inline void obuf_pad(obuf *o, size_t n)
{
    memset(o->buf + o->len, ' ', n);
    o->len += n;
}

/* The last day formatted, so that the date is built once per day. */
typedef struct time_cache {
    int64_t day;                    /* days since epoch of `prefix` */
    int     valid;
    size_t  len;
    char    prefix[24];             /* "2026-11-22T" */
} time_cache;

size_t fmt_u64(char *dst, uint64_t v);          /* dst >= 20 bytes */
size_t fmt_i64(char *dst, int64_t v);           /* dst >= 20 bytes */
/* "2026-11-22T03:04:05.123Z", as c2_time_format; dst >= 32 bytes. */
size_t fmt_time(time_cache *tc, char *dst, int64_t ms);
/* As flow_addr_format, IPv4 without snprintf; dst >= FLOW_ADDR_STRLEN. */
size_t fmt_addr(char *dst, const flow_addr *a);

/* A string as a JSON string (quotes included), as a CSV field (quoted when
 * it holds a comma, quote, CR or LF), and for a table (control bytes shown
 * as '?').  Invalid UTF-8 becomes U+FFFD in JSON. */
void put_json_string(obuf *o, const char *s);
void put_csv_field(obuf *o, const char *s);
void put_table_text(obuf *o, const char *s);
/* Width of s in a terminal: UTF-8 code points. */
size_t text_width(const char *s);

#endif
