/*
 * util.c: errors, UTC time, durations, numbers and checksums.
 *
 * Time conversion uses Howard Hinnant's days-from-civil arithmetic rather
 * than timegm()/gmtime_r() so that it is exact over the whole int64 range we
 * accept, independent of TZ, and cheap enough to run per record when
 * printing.
 */
#include "util/util.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <time.h>

#include <nettle/sha2.h>
#include <zlib.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

/* ---- errors ---- */

/* A message is one line (c2_err): messages quote their input (a library's
 * parser error shows the bytes near the fault), and a newline or other
 * control byte there would break a log line or a terminal. */
static void one_line(char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f) *s = '?';
}

static int fail_v(c2_err *err, int with_errno, const char *fmt, va_list ap)
{
    int saved = errno;
    if (!err) return -1;
    int n = vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    if (with_errno && n >= 0 && (size_t)n < sizeof err->msg)
        snprintf(err->msg + n, sizeof err->msg - (size_t)n, ": %s",
                 strerror(saved));
    one_line(err->msg);
    return -1;
}

int c2_fail(c2_err *err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fail_v(err, 0, fmt, ap);
    va_end(ap);
    return -1;
}

int c2_fail_errno(c2_err *err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fail_v(err, 1, fmt, ap);
    va_end(ap);
    return -1;
}

void c2_err_prefix(c2_err *err, const char *fmt, ...)
{
    if (!err) return;
    char prefix[C2_ERR_MAX], old[C2_ERR_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof prefix, fmt, ap);
    va_end(ap);
    memcpy(old, err->msg, sizeof old);
    if (snprintf(err->msg, sizeof err->msg, "%s: %s", prefix, old) >= (int)sizeof err->msg)
        memcpy(err->msg + sizeof err->msg - 4, "...", 4);   /* say it was cut */
    one_line(err->msg);
}

/* ---- civil dates ---- */

int64_t c2_days_from_civil(int y, int m, int d)
{
    int64_t yy = (int64_t)y - (m <= 2);
    int64_t era = (yy >= 0 ? yy : yy - 399) / 400;
    int64_t yoe = yy - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

void c2_civil_from_days(int64_t z, int *y, int *m, int *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    int64_t dd = doy - (153 * mp + 2) / 5 + 1;
    int64_t mm = mp < 10 ? mp + 3 : mp - 9;
    *y = (int)(yoe + era * 400 + (mm <= 2));
    *m = (int)mm;
    *d = (int)dd;
}

int64_t c2_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

char *c2_time_format(int64_t ms, char *buf, size_t len)
{
    /* no days * C2_MS_PER_DAY: it overflows near INT64_MIN */
    int64_t days = ms / C2_MS_PER_DAY, rem = ms % C2_MS_PER_DAY;
    if (rem < 0) {
        rem += C2_MS_PER_DAY;
        days--;
    }
    int y, m, d;
    c2_civil_from_days(days, &y, &m, &d);
    snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", y, m, d,
             (int)(rem / 3600000), (int)(rem / 60000 % 60),
             (int)(rem / 1000 % 60), (int)(rem % 1000));
    return buf;
}

/* Read exactly `n` digits at *p into *out. */
static int digits(const char **p, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (!isdigit((unsigned char)(*p)[i])) return -1;
        v = v * 10 + ((*p)[i] - '0');
    }
    *p += n;
    *out = v;
    return 0;
}

/* "+09:00", "-0500", "Z" or nothing (UTC). */
static int parse_zone(const char *p, int64_t *offset_ms)
{
    *offset_ms = 0;
    if (*p == '\0' || ((*p == 'Z' || *p == 'z') && p[1] == '\0')) return 0;
    if (*p != '+' && *p != '-') return -1;
    int sign = *p++ == '-' ? -1 : 1, hh, mm = 0;
    if (digits(&p, 2, &hh) != 0) return -1;
    if (*p == ':') p++;
    if (*p && digits(&p, 2, &mm) != 0) return -1;
    if (*p != '\0' || hh > 23 || mm > 59) return -1;
    *offset_ms = sign * ((int64_t)hh * 3600000 + (int64_t)mm * 60000);
    return 0;
}

static int parse_iso(const char *s, int64_t *out)
{
    const char *p = s;
    int y, mo, d, hh = 0, mi = 0, ss = 0, ms = 0;
    if (digits(&p, 4, &y) || *p++ != '-' || digits(&p, 2, &mo) ||
        *p++ != '-' || digits(&p, 2, &d))
        return -1;
    if (*p == 'T' || *p == 't' || *p == ' ') {
        p++;
        if (digits(&p, 2, &hh) || *p++ != ':' || digits(&p, 2, &mi)) return -1;
        if (*p == ':') {
            p++;
            if (digits(&p, 2, &ss)) return -1;
            if (*p == '.') {
                p++;
                int scale = 100;
                while (isdigit((unsigned char)*p)) {
                    ms += (*p - '0') * scale;
                    scale /= 10;
                    p++;
                }
            }
        }
    }
    int64_t off;
    if (parse_zone(p, &off) != 0) return -1;
    if (mo < 1 || mo > 12 || d < 1 || d > 31 || hh > 23 || mi > 59 || ss > 60)
        return -1;
    *out = c2_days_from_civil(y, mo, d) * C2_MS_PER_DAY + hh * 3600000LL +
           mi * 60000LL + ss * 1000LL + ms - off;
    return 0;
}

int c2_time_parse(const char *s, int64_t now_ms, int64_t *out, c2_err *err)
{
    if (!s || !*s) return c2_fail(err, "empty time");
    const char *rel = NULL;
    if (strncmp(s, "now", 3) == 0) {
        if (s[3] == '\0') { *out = now_ms; return 0; }
        rel = s + 3;
    } else if (s[0] == '-' || s[0] == '+') {
        rel = s;
    }
    if (rel) {
        int64_t d;
        if ((rel[0] != '-' && rel[0] != '+') ||
            c2_duration_parse(rel + 1, &d, NULL) != 0)
            return c2_fail(err, "bad relative time '%s' (try now-2h or -30m)", s);
        *out = rel[0] == '-' ? now_ms - d : now_ms + d;
        return 0;
    }
    uint64_t secs;
    if (c2_u64_parse(s, (uint64_t)INT64_MAX / 1000, &secs) == 0) {
        *out = (int64_t)secs * 1000;
        return 0;
    }
    if (parse_iso(s, out) == 0) return 0;
    return c2_fail(err, "bad time '%s' (expected e.g. 2026-11-22T03:04:05Z, "
                   "2026-11-22, epoch seconds or now-1h)", s);
}

/* ---- durations ---- */

static const struct { const char *unit; int64_t ms; } duration_units[] = {
    {"ms", 1}, {"s", 1000}, {"m", 60000}, {"h", 3600000},
    {"d", 86400000}, {"w", 604800000},
};

int c2_duration_parse(const char *s, int64_t *out_ms, c2_err *err)
{
    if (!s) return c2_fail(err, "empty duration");
    if (!strcmp(s, "off") || !strcmp(s, "never") || !strcmp(s, "forever")) {
        *out_ms = 0;
        return 0;
    }
    const char *p = s;
    uint64_t n = 0;
    if (!isdigit((unsigned char)*p)) goto bad;
    while (isdigit((unsigned char)*p)) {
        n = n * 10 + (uint64_t)(*p++ - '0');
        if (n > (uint64_t)1 << 40) goto bad;
    }
    int64_t unit = 1000;
    if (*p) {
        size_t i;
        for (i = 0; i < sizeof duration_units / sizeof duration_units[0]; i++)
            if (!strcmp(p, duration_units[i].unit)) break;
        if (i == sizeof duration_units / sizeof duration_units[0]) goto bad;
        unit = duration_units[i].ms;
    }
    if (n > (uint64_t)(INT64_MAX / unit)) goto bad;
    *out_ms = (int64_t)n * unit;
    return 0;
bad:
    return c2_fail(err, "bad duration '%s' (expected e.g. 90s, 5m, 2h, 30d, 0)", s);
}

char *c2_duration_format(int64_t ms, char *buf, size_t len)
{
    int i = (int)(sizeof duration_units / sizeof duration_units[0]) - 1;
    if (ms == 0) { snprintf(buf, len, "0"); return buf; }
    for (; i > 0; i--)
        if (ms % duration_units[i].ms == 0) break;
    snprintf(buf, len, "%" PRId64 "%s", ms / duration_units[i].ms,
             duration_units[i].unit);
    return buf;
}

/* ---- numbers ---- */

int c2_u64_parse(const char *s, uint64_t max, uint64_t *out)
{
    if (!s || !isdigit((unsigned char)*s)) return -1;
    uint64_t v = 0;
    for (; *s; s++) {
        if (!isdigit((unsigned char)*s)) return -1;
        unsigned dgt = (unsigned)(*s - '0');
        if (v > (UINT64_MAX - dgt) / 10) return -1;
        v = v * 10 + dgt;
    }
    if (v > max) return -1;
    *out = v;
    return 0;
}

int c2_field_set(void *base, const c2_field *fields, size_t n, const char *key,
                 const char *value, int *known, c2_err *err)
{
    if (known) *known = 0;
    for (size_t i = 0; i < n; i++) {
        const c2_field *f = &fields[i];
        if (strcmp(f->key, key) != 0) continue;
        if (known) *known = 1;
        char *end;
        double v = strtod(value, &end);
        int whole = f->type != 'd';
        if (end == value || *end || !(v >= f->min && v <= f->max) || (whole && v != floor(v)))
            return c2_fail(err, "expected %s from %g to %g, got '%.40s'",
                           whole ? "a whole number" : "a number", f->min, f->max, value);
        char *at = (char *)base + f->off;
        if (f->type == 'u') *(uint32_t *)at = (uint32_t)v;
        else if (f->type == 'U') *(uint64_t *)at = (uint64_t)v;
        else *(double *)at = v;
        return 0;
    }
    return c2_fail(err, "unknown key '%.40s'", key);
}

int c2_size_parse(const char *s, uint64_t *out, c2_err *err)
{
    static const char units[] = "kmgt";
    const char *p = s;
    uint64_t n = 0;
    if (!s || !isdigit((unsigned char)*p)) goto bad;
    while (isdigit((unsigned char)*p)) {
        if (n > (UINT64_MAX - 9) / 10) goto bad;
        n = n * 10 + (uint64_t)(*p++ - '0');
    }
    int shift = 0;
    if (*p) {
        const char *u = strchr(units, tolower((unsigned char)*p));
        if (!u) goto bad;
        shift = 10 * (int)(u - units + 1);
        p++;
        if (*p == 'i' || *p == 'I') p++;
        if (*p == 'b' || *p == 'B') p++;
        if (*p) goto bad;
    }
    if (shift && n > (UINT64_MAX >> shift)) goto bad;
    *out = n << shift;
    return 0;
bad:
    return c2_fail(err, "bad size '%s' (expected e.g. 512M, 1G, 65536)", s ? s : "");
}

char *c2_bytes_human(uint64_t n, char *buf, size_t len)
{
    static const char *units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
    double v = (double)n;
    int u = 0;
    while (v >= 1024 && u < 5) { v /= 1024; u++; }
    if (u == 0) snprintf(buf, len, "%" PRIu64 " B", n);
    else snprintf(buf, len, "%.1f %s", v, units[u]);
    return buf;
}

uint32_t c2_crc32(uint32_t crc, const void *buf, size_t len)
{
    const Bytef *p = buf;
    while (len > 0) {
        uInt chunk = len > 0x40000000u ? 0x40000000u : (uInt)len;
        crc = (uint32_t)crc32(crc, p, chunk);
        p += chunk;
        len -= chunk;
    }
    return crc;
}

/* ---- socket endpoints ---- */

static int endpoint_port(const char *s, uint16_t *port, int allow_port0)
{
    uint64_t v;
    if (c2_u64_parse(s, 65535, &v) != 0 || (v == 0 && !allow_port0)) return -1;
    *port = (uint16_t)v;
    return 0;
}

int c2_endpoint_parse(const char *s, int allow_port0,
                      struct sockaddr_storage *sa, unsigned *salen, c2_err *err)
{
    char host[INET6_ADDRSTRLEN + 2];
    const char *port;
    memset(sa, 0, sizeof *sa);
    if (s[0] == '[') {
        const char *close = strchr(s, ']');
        if (!close || close[1] != ':' || (size_t)(close - s - 1) >= sizeof host)
            return c2_fail(err, "'%.64s': expected [IPv6]:PORT", s);
        memcpy(host, s + 1, (size_t)(close - s - 1));
        host[close - s - 1] = '\0';
        port = close + 2;
    } else {
        const char *colon = strrchr(s, ':');
        if (colon && strchr(s, ':') != colon)
            return c2_fail(err, "'%.64s': write an IPv6 endpoint as [ADDR]:PORT", s);
        size_t n = colon ? (size_t)(colon - s) : 0;
        if (n >= sizeof host) return c2_fail(err, "'%.64s': address too long", s);
        memcpy(host, s, n);
        host[n] = '\0';
        port = colon ? colon + 1 : s;
        if (n == 0) strcpy(host, "::");
    }
    uint16_t p;
    if (endpoint_port(port, &p, allow_port0) != 0)
        return c2_fail(err, "'%.64s': expected a port from %d to 65535", s,
                       allow_port0 ? 0 : 1);
    struct sockaddr_in *v4 = (struct sockaddr_in *)sa;
    struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)sa;
    if (inet_pton(AF_INET, host, &v4->sin_addr) == 1) {
        v4->sin_family = AF_INET;
        v4->sin_port = htons(p);
        *salen = sizeof *v4;
        return 0;
    }
    if (inet_pton(AF_INET6, host, &v6->sin6_addr) == 1) {
        v6->sin6_family = AF_INET6;
        v6->sin6_port = htons(p);
        *salen = sizeof *v6;
        return 0;
    }
    return c2_fail(err, "'%.64s': '%s' is not a numeric IPv4 or IPv6 address", s,
                   host);
}

char *c2_endpoint_format(const struct sockaddr_storage *sa, char *buf, size_t len)
{
    char host[INET6_ADDRSTRLEN];
    if (sa->ss_family == AF_INET) {
        const struct sockaddr_in *v4 = (const struct sockaddr_in *)sa;
        inet_ntop(AF_INET, &v4->sin_addr, host, sizeof host);
        snprintf(buf, len, "%s:%u", host, ntohs(v4->sin_port));
    } else if (sa->ss_family == AF_INET6) {
        const struct sockaddr_in6 *v6 = (const struct sockaddr_in6 *)sa;
        inet_ntop(AF_INET6, &v6->sin6_addr, host, sizeof host);
        snprintf(buf, len, "[%s]:%u", host, ntohs(v6->sin6_port));
    } else {
        snprintf(buf, len, "?");
    }
    return buf;
}

int c2_endpoint_list_next(const char **list, char *item, size_t len, c2_err *err)
{
    const char *p = *list;
    if (!p) return 0;
    const char *comma = strchr(p, ',');
    size_t n = comma ? (size_t)(comma - p) : strlen(p);
    while (n && (*p == ' ' || *p == '\t')) { p++; n--; }
    while (n && (p[n - 1] == ' ' || p[n - 1] == '\t')) n--;
    if (n == 0 || n >= len) return c2_fail(err, "expected ADDR:PORT[,ADDR:PORT...]");
    memcpy(item, p, n);
    item[n] = '\0';
    *list = comma ? comma + 1 : NULL;
    return 1;
}

void c2_random(void *buf, size_t len)
{
    uint8_t *p = buf;
    size_t got = 0;
    while (got < len) {
        ssize_t n = getrandom(p + got, len - got, 0);
        if (n > 0) got += (size_t)n;
    }
}

char *c2_uuid4(char *buf, size_t len)
{
    uint8_t r[16];
    c2_random(r, sizeof r);
    r[6] = (uint8_t)((r[6] & 0x0f) | 0x40);
    r[8] = (uint8_t)((r[8] & 0x3f) | 0x80);
    snprintf(buf, len, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
             "%02x%02x%02x%02x%02x%02x", r[0], r[1], r[2], r[3], r[4], r[5], r[6],
             r[7], r[8], r[9], r[10], r[11], r[12], r[13], r[14], r[15]);
    return buf;
}

int c2_buf_append(c2_buf *b, const void *p, size_t n)
{
    if (b->too_big || (b->max && n > b->max - b->len)) {
        b->too_big = 1;
        return -1;
    }
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 65536;
        while (cap < b->len + n + 1) cap *= 2;
        uint8_t *d = realloc(b->data, cap);
        if (!d) return -1;
        b->data = d;
        b->cap = cap;
    }
    memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = 0;
    return 0;
}

void c2_buf_free(c2_buf *b)
{
    free(b->data);
    size_t max = b->max;
    memset(b, 0, sizeof *b);
    b->max = max;
}

void c2_advise_huge(void *p, size_t n)
{
#ifdef MADV_HUGEPAGE
    const uintptr_t huge = (uintptr_t)2 << 20;
    if (!p || n < 2 * huge) return;
    uintptr_t lo = ((uintptr_t)p + huge - 1) & ~(huge - 1);
    uintptr_t hi = ((uintptr_t)p + n) & ~(huge - 1);
    if (hi > lo) (void)madvise((void *)lo, hi - lo, MADV_HUGEPAGE);
#else
    (void)p;
    (void)n;
#endif
}

void c2_sha256(const void *data, size_t len, uint8_t out[32])
{
    struct sha256_ctx c;
    sha256_init(&c);
    sha256_update(&c, len, data);
    sha256_digest(&c, SHA256_DIGEST_SIZE, out);
}

char *c2_sha256_hex(const void *data, size_t len, char hex[65])
{
    static const char digits[] = "0123456789abcdef";
    uint8_t d[SHA256_DIGEST_SIZE];
    c2_sha256(data, len, d);
    for (size_t i = 0; i < sizeof d; i++) {
        hex[2 * i] = digits[d[i] >> 4];
        hex[2 * i + 1] = digits[d[i] & 15];
    }
    hex[64] = '\0';
    return hex;
}
