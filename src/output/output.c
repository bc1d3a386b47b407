/*
 * output.c: what the record and table writers share: format names, the
 * write buffer, and value formatting and escaping.
 *
 * Numbers, times and IPv4 addresses are formatted here by hand rather than
 * with snprintf because the record writer prints tens of millions of them:
 * digits go two at a time from a table, and a time's date part is built
 * once per day (time_cache) from util's civil-date arithmetic, which keeps
 * the text identical to c2_time_format.  IPv6 is formatted here too, as
 * glibc's inet_ntop (flow_addr_format) does, which tests/output checks.
 */
#include "output/output.h"
#include "output/output_impl.h"

#include <errno.h>
#include <stdlib.h>

/* ---- formats ---- */

static const struct { const char *name; output_format fmt; } format_names[] = {
    {"csv", OUTPUT_CSV}, {"jsonl", OUTPUT_JSONL}, {"json", OUTPUT_JSONL},
    {"table", OUTPUT_TABLE},
};

int output_format_lookup(const char *name)
{
    for (size_t i = 0; i < sizeof format_names / sizeof format_names[0]; i++)
        if (name && !strcmp(name, format_names[i].name))
            return (int)format_names[i].fmt;
    return -1;
}

const char *output_format_name(output_format fmt)
{
    switch (fmt) {
    case OUTPUT_CSV: return "csv";
    case OUTPUT_JSONL: return "jsonl";
    case OUTPUT_TABLE: return "table";
    case OUTPUT_LINE: return "line";
    }
    return "?";
}

/* ---- buffer ---- */

int obuf_init(obuf *o, FILE *f, c2_err *err)
{
    memset(o, 0, sizeof *o);
    o->buf = malloc(OUT_BUF_SIZE);
    if (!o->buf) return c2_fail(err, "out of memory");
    o->f = f;
    o->cap = OUT_BUF_SIZE;
    return 0;
}

void obuf_free(obuf *o)
{
    free(o->buf);
    o->buf = NULL;
}

int obuf_flush(obuf *o)
{
    if (!o->error && o->len && fwrite(o->buf, 1, o->len, o->f) != o->len)
        o->error = errno ? errno : EIO;
    o->len = 0;
    return o->error ? -1 : 0;
}

int obuf_finish(obuf *o, c2_err *err)
{
    obuf_flush(o);
    if (!o->error && fflush(o->f) != 0) o->error = errno ? errno : EIO;
    if (!o->error) return 0;
    errno = o->error;
    return c2_fail_errno(err, "write error");
}

void obuf_write(obuf *o, const char *s, size_t n)
{
    while (n > 0) {
        if (o->len == o->cap) obuf_flush(o);
        size_t k = o->cap - o->len < n ? o->cap - o->len : n;
        obuf_put(o, s, k);
        s += k;
        n -= k;
    }
}

/* ---- numbers, times, addresses ---- */

static const char digit_pairs[201] =
    "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
    "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
    "8081828384858687888990919293949596979899";

size_t fmt_u64(char *dst, uint64_t v)
{
    char tmp[20];
    size_t i = sizeof tmp;
    while (v >= 100) {
        unsigned r = (unsigned)(v % 100);
        v /= 100;
        i -= 2;
        memcpy(tmp + i, digit_pairs + 2 * r, 2);
    }
    if (v >= 10) {
        i -= 2;
        memcpy(tmp + i, digit_pairs + 2 * v, 2);
    } else {
        tmp[--i] = (char)('0' + v);
    }
    memcpy(dst, tmp + i, sizeof tmp - i);
    return sizeof tmp - i;
}

size_t fmt_i64(char *dst, int64_t v)
{
    if (v >= 0) return fmt_u64(dst, (uint64_t)v);
    dst[0] = '-';
    return 1 + fmt_u64(dst + 1, 0 - (uint64_t)v);
}

static void put2(char *dst, unsigned v) { memcpy(dst, digit_pairs + 2 * v, 2); }

size_t fmt_time(time_cache *tc, char *dst, int64_t ms)
{
    int64_t day = ms / C2_MS_PER_DAY, rem = ms % C2_MS_PER_DAY;
    if (rem < 0) {
        rem += C2_MS_PER_DAY;
        day--;
    }
    if (!tc->valid || tc->day != day) {
        int y, m, d;
        c2_civil_from_days(day, &y, &m, &d);
        int n = snprintf(tc->prefix, sizeof tc->prefix, "%04d-%02d-%02dT", y, m, d);
        tc->len = n > 0 && (size_t)n < sizeof tc->prefix ? (size_t)n : 0;
        tc->day = day;
        tc->valid = 1;
    }
    unsigned r = (unsigned)rem;
    char *p = dst;
    memcpy(p, tc->prefix, tc->len);
    p += tc->len;
    put2(p, r / 3600000);
    p[2] = ':';
    put2(p + 3, r / 60000 % 60);
    p[5] = ':';
    put2(p + 6, r / 1000 % 60);
    p[8] = '.';
    p[9] = (char)('0' + r % 1000 / 100);
    put2(p + 10, r % 100);
    p[12] = 'Z';
    return (size_t)(p + 13 - dst);
}

/* Dotted quad of 4 bytes. */
static size_t fmt_quad(char *dst, const uint8_t *q)
{
    char *p = dst;
    for (int i = 0; i < 4; i++) {
        unsigned v = q[i];
        if (v >= 100) {
            *p++ = (char)('0' + v / 100);
            put2(p, v % 100);
            p += 2;
        } else if (v >= 10) {
            put2(p, v);
            p += 2;
        } else {
            *p++ = (char)('0' + v);
        }
        *p++ = '.';
    }
    return (size_t)(p - 1 - dst);
}

/* IPv6 text exactly as glibc's inet_ntop gives it (RFC 5952: the longest
 * run of two or more zero groups, the first of equals, becomes "::";
 * lower-case hex without leading zeros; ::a.b.c.d for IPv4-compatible
 * addresses), without its sprintf per group: a query may print a million
 * IPv6 groups. */
static size_t fmt_addr6(char *dst, const uint8_t *b)
{
    static const char hex[] = "0123456789abcdef";
    unsigned w[8];
    int best = -1, best_len = 0, cur = -1, cur_len = 0;
    for (int i = 0; i < 8; i++) {
        w[i] = (unsigned)b[2 * i] << 8 | b[2 * i + 1];
        if (w[i] == 0) {
            if (cur < 0) cur = i, cur_len = 0;
            cur_len++;
        } else if (cur >= 0) {
            if (best < 0 || cur_len > best_len) best = cur, best_len = cur_len;
            cur = -1;
        }
    }
    if (cur >= 0 && (best < 0 || cur_len > best_len)) best = cur, best_len = cur_len;
    if (best >= 0 && best_len < 2) best = -1;
    char *p = dst;
    for (int i = 0; i < 8; i++) {
        if (best >= 0 && i >= best && i < best + best_len) {
            if (i == best) *p++ = ':';
            continue;
        }
        if (i) *p++ = ':';
        if (i == 6 && best == 0 && (best_len == 6 || (best_len == 5 && w[5] == 0xffff))) {
            p += fmt_quad(p, b + 12);
            return (size_t)(p - dst);
        }
        unsigned v = w[i];
        int shift = v >= 0x1000 ? 12 : v >= 0x100 ? 8 : v >= 0x10 ? 4 : 0;
        for (; shift >= 0; shift -= 4) *p++ = hex[v >> shift & 0xf];
    }
    if (best >= 0 && best + best_len == 8) *p++ = ':';
    return (size_t)(p - dst);
}

size_t fmt_addr(char *dst, const flow_addr *a)
{
    if (!flow_addr_is_v4(a)) return fmt_addr6(dst, a->b);
    return fmt_quad(dst, a->b + 12);
}

/* ---- text ---- */

/* Length of the valid UTF-8 sequence at s (1-4), or 0 when s[0] does not
 * start one (overlong forms, surrogates and > U+10FFFF are invalid).  Reads
 * no byte past a NUL. */
static size_t utf8_seq(const unsigned char *s)
{
    unsigned c = s[0], lo = 0x80, hi = 0xBF;
    size_t n;
    if (c < 0x80) return 1;
    if (c >= 0xC2 && c <= 0xDF) n = 2;
    else if (c >= 0xE0 && c <= 0xEF) n = 3;
    else if (c >= 0xF0 && c <= 0xF4) n = 4;
    else return 0;
    if (c == 0xE0) lo = 0xA0;
    if (c == 0xED) hi = 0x9F;
    if (c == 0xF0) lo = 0x90;
    if (c == 0xF4) hi = 0x8F;
    if (s[1] < lo || s[1] > hi) return 0;
    for (size_t i = 2; i < n; i++)
        if ((s[i] & 0xC0) != 0x80) return 0;
    return n;
}

static const char *json_escape(unsigned char c, char *tmp)
{
    switch (c) {
    case '"': return "\\\"";
    case '\\': return "\\\\";
    case '\n': return "\\n";
    case '\r': return "\\r";
    case '\t': return "\\t";
    case '\b': return "\\b";
    case '\f': return "\\f";
    }
    snprintf(tmp, 8, "\\u%04x", c);
    return tmp;
}

void put_json_string(obuf *o, const char *str)
{
    const unsigned char *s = (const unsigned char *)str;
    char tmp[8];
    obuf_write(o, "\"", 1);
    while (*s) {
        size_t run = 0, n;
        while (s[run] >= 0x20 && s[run] != '"' && s[run] != '\\' &&
               (n = utf8_seq(s + run)) > 0)
            run += n;
        obuf_write(o, (const char *)s, run);
        s += run;
        if (!*s) break;
        if (*s < 0x20 || *s == '"' || *s == '\\') {
            const char *e = json_escape(*s, tmp);
            obuf_write(o, e, strlen(e));
        } else {
            obuf_write(o, "\\ufffd", 6);
        }
        s++;
    }
    obuf_write(o, "\"", 1);
}

void put_csv_field(obuf *o, const char *s)
{
    if (!strpbrk(s, ",\"\r\n")) {
        obuf_write(o, s, strlen(s));
        return;
    }
    obuf_write(o, "\"", 1);
    for (const char *q; (q = strchr(s, '"')) != NULL; s = q + 1) {
        obuf_write(o, s, (size_t)(q - s + 1));      /* up to the quote */
        obuf_write(o, "\"", 1);                     /* and doubled */
    }
    obuf_write(o, s, strlen(s));
    obuf_write(o, "\"", 1);
}

void put_table_text(obuf *o, const char *str)
{
    const unsigned char *s = (const unsigned char *)str;
    while (*s) {
        size_t n = utf8_seq(s);
        if (n == 0 || *s < 0x20 || *s == 0x7f) {
            obuf_write(o, "?", 1);
            n = 1;
        } else {
            obuf_write(o, (const char *)s, n);
        }
        s += n;
    }
}

size_t text_width(const char *str)
{
    const unsigned char *s = (const unsigned char *)str;
    size_t w = 0;
    while (*s) {
        size_t n = utf8_seq(s);
        s += n ? n : 1;
        w++;
    }
    return w;
}
