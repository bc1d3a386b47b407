/*
 * util: the small things every c2flow module needs and none owns.
 *
 * Errors travel as a c2_err filled by the function that failed and printed
 * by the command front; library code never prints and never exits.  Times are
 * milliseconds since the Unix epoch, UTC, everywhere; this module parses and
 * prints them (ISO 8601) and parses the human durations of the config file
 * ("5m", "30d").
 */
#ifndef C2FLOW_UTIL_H
#define C2FLOW_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define C2_ERR_MAX 512

typedef struct c2_err {
    char msg[C2_ERR_MAX];           /* one line, no trailing newline */
} c2_err;

/* Fill err (may be NULL) with a printf-style message, every control byte
 * (a newline in quoted input, say) shown as '?'; always returns -1 so that
 * callers can write `return c2_fail(err, ...)`. */
int c2_fail(c2_err *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Like c2_fail, adding ": strerror(errno)" at the end. */
int c2_fail_errno(c2_err *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Prefix an existing message with "context: ". */
void c2_err_prefix(c2_err *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* ---- time: ms since epoch, UTC ---- */
#define C2_TIME_MIN INT64_MIN
#define C2_TIME_MAX INT64_MAX
#define C2_MS_PER_DAY 86400000LL

int64_t c2_now_ms(void);
/* Parse "2026-11-22", "2026-11-22T03:04", "2026-11-22 03:04:05.123Z",
 * "+09:00" offsets, bare epoch seconds ("1700000000"), "now", and
 * "now-2h" / "-2h" (relative to now_ms).  Returns 0 or -1 with err. */
int c2_time_parse(const char *s, int64_t now_ms, int64_t *out, c2_err *err);
/* Format as "2026-11-22T03:04:05.123Z" into buf (at least 32 bytes). */
char *c2_time_format(int64_t ms, char *buf, size_t len);
/* Days since epoch -> civil date, and back (proleptic Gregorian, UTC). */
void c2_civil_from_days(int64_t days, int *y, int *m, int *d);
int64_t c2_days_from_civil(int y, int m, int d);

/* Durations: "300", "300s", "5m", "2h", "30d", "1w", "250ms"; "0"/"off"/
 * "never" give 0.  A bare number is seconds. */
int c2_duration_parse(const char *s, int64_t *out_ms, c2_err *err);
/* Shortest exact form of a duration ("5m", "30d", "90s"). */
char *c2_duration_format(int64_t ms, char *buf, size_t len);

/* Byte sizes: "1048576", "64k", "512M", "1G", "2T" (binary multiples;
 * "KiB"/"MiB"/"GiB" and a trailing "B" accepted). */
int c2_size_parse(const char *s, uint64_t *out, c2_err *err);

/* Unsigned integer with bounds; the whole string must be the number. */
int c2_u64_parse(const char *s, uint64_t max, uint64_t *out);

/* A numeric option of a struct, for tables of settable keys: where it is,
 * its C type ('u' uint32_t, 'U' uint64_t, 'd' double) and its range
 * (whole numbers only for the integer types). */
typedef struct c2_field {
    const char *key;
    size_t      off;
    char        type;
    double      min, max;
} c2_field;
#define C2_FIELD(st, k, member, t, lo, hi) {#k, offsetof(st, member), t, lo, hi}
/* Set the field named key of base from value; -1 with err for an unknown
 * key (*known = 0) or a value out of range (*known = 1), base unchanged.
 * known may be NULL. */
int c2_field_set(void *base, const c2_field *fields, size_t n, const char *key,
                 const char *value, int *known, c2_err *err);

/* Byte sizes and counts for humans: "1.2 GiB", "3.4 M". */
char *c2_bytes_human(uint64_t n, char *buf, size_t len);

/* Socket endpoints, numeric only (never a DNS lookup): "127.0.0.1:2055",
 * "[2001:db8::1]:2055", "[::]:2055", and a bare "2055" or ":2055" meaning
 * every address ([::], which on Linux also receives IPv4).  Port 0 is
 * refused unless allow_port0.  "ADDR:PORT" is written back by
 * c2_endpoint_format (buf >= C2_ENDPOINT_STRLEN). */
struct sockaddr_storage;
#define C2_ENDPOINT_STRLEN 64
int   c2_endpoint_parse(const char *s, int allow_port0,
                        struct sockaddr_storage *sa, unsigned *salen,
                        c2_err *err);
char *c2_endpoint_format(const struct sockaddr_storage *sa, char *buf,
                         size_t len);
/* Walk a comma-separated list of endpoints ("a:1, [::1]:2,3"): copy the
 * next item, trimmed, into item (len bytes) and advance *list.  1 with an
 * item, 0 at the end, -1 (err) on an empty or over-long item. */
int   c2_endpoint_list_next(const char **list, char *item, size_t len,
                            c2_err *err);

/* SHA-256 of len bytes (Nettle): raw, and as 64 lowercase hex digits + NUL. */
void  c2_sha256(const void *data, size_t len, uint8_t out[32]);
char *c2_sha256_hex(const void *data, size_t len, char hex[65]);

/* A growing byte buffer with a bound: what HTTP bodies are collected in. */
typedef struct c2_buf {
    uint8_t *data;                      /* a NUL follows the last byte; NULL while empty */
    size_t   len, cap;
    size_t   max;                       /* most bytes it may hold; 0 = no bound */
    int      too_big;                   /* an append would have passed max */
} c2_buf;
/* Append n bytes: 0, or -1 when they would pass max (too_big set, nothing
 * appended) or memory ran out (too_big 0). */
int  c2_buf_append(c2_buf *b, const void *p, size_t n);
/* Free the bytes; the buffer is empty again, its max kept. */
void c2_buf_free(c2_buf *b);

/* len random bytes from the kernel (getrandom), waiting for entropy. */
void  c2_random(void *buf, size_t len);
/* A random (version 4) UUID, "xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx" (buf >= 37). */
char *c2_uuid4(char *buf, size_t len);

/* CRC-32 (zlib's polynomial) of len bytes, continuing from crc (start 0). */
uint32_t c2_crc32(uint32_t crc, const void *buf, size_t len);

/* Little-endian loads and stores, unaligned-safe. */
static inline void c2_put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
static inline void c2_put32(uint8_t *p, uint32_t v) { for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (8 * i)); }
static inline void c2_put64(uint8_t *p, uint64_t v) { for (int i = 0; i < 8; i++) p[i] = (uint8_t)(v >> (8 * i)); }
static inline uint16_t c2_get16(const uint8_t *p) { return (uint16_t)(p[0] | (p[1] << 8)); }

/* 32- and 64-bit loads, unaligned-safe, in either byte order: memcpy and a
 * swap where the order is not the machine's compile to one load (a loop of
 * shifts does not: GCC leaves it a loop, and address hashes run these per
 * record).  Big-endian (network order) is what every wire format and every
 * order-preserving key needs. */
static inline uint32_t c2_load32(const uint8_t *p) { uint32_t v; __builtin_memcpy(&v, p, 4); return v; }
static inline uint64_t c2_load64(const uint8_t *p) { uint64_t v; __builtin_memcpy(&v, p, 8); return v; }
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
static inline uint32_t c2_get32(const uint8_t *p) { return c2_load32(p); }
static inline uint64_t c2_get64(const uint8_t *p) { return c2_load64(p); }
static inline uint32_t c2_get_be32(const uint8_t *p) { return __builtin_bswap32(c2_load32(p)); }
static inline uint64_t c2_get_be64(const uint8_t *p) { return __builtin_bswap64(c2_load64(p)); }
#else
static inline uint32_t c2_get32(const uint8_t *p) { return __builtin_bswap32(c2_load32(p)); }
static inline uint64_t c2_get64(const uint8_t *p) { return __builtin_bswap64(c2_load64(p)); }
static inline uint32_t c2_get_be32(const uint8_t *p) { return c2_load32(p); }
static inline uint64_t c2_get_be64(const uint8_t *p) { return c2_load64(p); }
#endif
static inline uint16_t c2_get_be16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }

/* ---- big-endian stores, for packet builders ---- */
static inline uint8_t *c2_put_be16(uint8_t *p, uint16_t v)
{
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    v = __builtin_bswap16(v);
#endif
    __builtin_memcpy(p, &v, 2);
    return p + 2;
}
static inline uint8_t *c2_put_be32(uint8_t *p, uint32_t v)
{
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    v = __builtin_bswap32(v);
#endif
    __builtin_memcpy(p, &v, 4);
    return p + 4;
}
static inline uint8_t *c2_put_be64(uint8_t *p, uint64_t v)
{
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    v = __builtin_bswap64(v);
#endif
    __builtin_memcpy(p, &v, 8);
    return p + 8;
}

/* ---- lines of untrusted text files, in bounded memory ----
 * A reader of a FILE or a memory buffer that hands out one line at a time
 * (NUL-terminated, "\r\n" or "\n" removed, a UTF-8 BOM on line 1 removed).
 * A line longer than max_line is cut there and flagged too_long, and the
 * rest of it is read past, never held: a multi-gigabyte line costs no
 * memory.  A line may hold NUL bytes (len says where it really ends).
 * (src/import keeps its own in-place reader: it hands lines out without a
 * copy and leaves "\r" and BOM handling to its format handlers.) */
#define C2_LINES_CHUNK 65536

typedef struct c2_lines {
    char     *line;                 /* the current line, max_line + 1 bytes */
    size_t    len;                  /* its length ("\r\n" removed) */
    uint64_t  lineno;               /* its 1-based number */
    int       too_long;             /* it was longer than max_line: cut */
    /* private */
    FILE          *f;               /* NULL: reading mem */
    const uint8_t *mem, *chunk;
    size_t         mem_len, clen, cpos, max_line;
    int            eof;
    uint8_t        buf[C2_LINES_CHUNK];
} c2_lines;

/* Allocate a reader of f, or of mem[0..mem_len) when f is NULL; NULL when
 * out of memory.  Free with c2_lines_free. */
c2_lines *c2_lines_new(FILE *f, const void *mem, size_t mem_len, size_t max_line);
/* Next line: 1, 0 at the end of input, -1 on a read error (err). */
int  c2_lines_next(c2_lines *r, c2_err *err);
void c2_lines_free(c2_lines *r);
/* Split a CSV line in place into at most max fields: RFC 4180 quotes (""
 * inside for a quote), blanks around a field dropped.  The field count,
 * or -1 with err (too many fields, a broken quote; err may be NULL). */
int  c2_csv_split(char *line, char **f, int max, c2_err *err);

/* A 64-bit finaliser (splitmix64's): a well-mixed hash of one word, for
 * hash tables and for deterministic "random" choices derived from ids. */
static inline uint64_t c2_mix64(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* ---- memory ---- */
/* Ask for transparent huge pages over the 2 MiB-aligned part of [p, p+n)
 * (madvise MADV_HUGEPAGE), for big tables read at random: one TLB entry
 * then covers 2 MiB instead of 4 KiB, and first touches fault 512 times
 * less often.  Only advice: nothing happens below 4 MiB, where THP are
 * off, or where the kernel declines.  Call it before the first touch. */
void c2_advise_huge(void *p, size_t n);

/* ---- files ---- */
/* Who may read what c2flow writes.  What holds flow records or customer
 * addresses (the store, day summaries, feature caches, lookbacks, the
 * simulator's truth) is private: its owner and group may read it, nobody
 * else (files 0640, directories 0750).  Lists, models, exports, feature
 * rows, import labels, hub reports and the simulator's feed hold no
 * customer address and are meant to be passed on (0644, 0755).  The umask
 * may narrow either. */
typedef enum { C2_SHARED, C2_PRIVATE } c2_access;
static inline unsigned c2_file_mode(c2_access a) { return a == C2_PRIVATE ? 0640 : 0644; }
static inline unsigned c2_dir_mode(c2_access a) { return a == C2_PRIVATE ? 0750 : 0755; }
/* mkdir -p; directories it creates get c2_dir_mode(a), existing ones are
 * left as they are. */
int c2_mkdir_p(const char *path, c2_access a, c2_err *err);
/* Write the whole of path under a temporary name in its directory, fsync
 * and rename: a reader sees the old file or the new one, never half.  A
 * path that exists and is not a regular file (/dev/null, /dev/stdout, a
 * FIFO) is written in place instead: a rename would replace it.  A new
 * file gets c2_file_mode(a), whatever the file it replaces had. */
int c2_file_replace(const char *path, const void *buf, size_t len, c2_access a,
                    c2_err *err);
/* The whole file, at most max bytes: 1 with *buf (malloc'ed) and *len,
 * 0 when it does not exist, -1 on error. */
int c2_file_read(const char *path, size_t max, uint8_t **buf, size_t *len, c2_err *err);

/* fn writes a text to f; 0, or -1 with err. */
typedef int (*c2_write_fn)(FILE *f, void *arg, c2_err *err);
/* fn's text, built in memory first, then put at path with c2_file_replace
 * (NULL or "-": written to standard output), so that a failed fn leaves
 * the old file, and writes nothing at all. */
int c2_file_write_by(const char *path, c2_access a, c2_write_fn fn, void *arg, c2_err *err);
/* The whole of a stream (stdin, a pipe), at most about max bytes; caller
 * frees *buf. */
int c2_stream_read(FILE *f, size_t max, uint8_t **buf, size_t *len, c2_err *err);

/* ---- compressed day files (zframe.c) ----
 * Bytes kept on disk as magic (8 bytes), raw length (u64 LE), then one
 * zstd frame with its content checksum. */
int c2_zframe_pack(const char magic[8], const void *raw, size_t n, uint8_t **buf,
                   size_t *len, c2_err *err);
/* The raw bytes of a frame (untrusted: the length is checked against the
 * frame, the compressed size and max); caller frees *raw. */
int c2_zframe_unpack(const char magic[8], const uint8_t *buf, size_t len, uint64_t max,
                     uint8_t **raw, size_t *n, c2_err *err);
/* DIR/PREFIX-YYYY-MM-DD.SUFFIX of the UTC day of day_ms. */
int c2_day_path(const char *dir, const char *prefix, const char *suffix, int64_t day_ms,
                char *path, size_t len, c2_err *err);
/* Delete DIR/PREFIX-YYYY-MM-DD.SUFFIX files of days that ended before
 * before_ms; a missing DIR is no error. */
int c2_day_files_expire(const char *dir, const char *prefix, const char *suffix,
                        int64_t before_ms, c2_err *err);

#endif
