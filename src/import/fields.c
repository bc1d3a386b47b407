/*
 * fields: the line-level helpers every import format shares.
 *
 * Splitting works in place on the writable line the driver hands over, so a
 * line costs no allocation.  Number, port and time parsers are strict: the
 * whole field (less surrounding blanks) must be the value, and values are
 * bounded (times to year 9999, so that sums of times and durations cannot
 * overflow an int64 of milliseconds).  No parser trusts the locale.
 *
 * import_emit() is the one place where a bidirectional connection becomes
 * router-like unidirectional records: originator -> responder always, the
 * reverse only when the responder sent packets.  Reverse ICMP records get
 * the counterpart type of a request/reply pair (echo -> echo reply and
 * back, ...), or the same type/code for one-way messages (unreachable, ...).
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "import/import_impl.h"

#define PROTO_ICMP 1
#define PROTO_ICMP6 58

int import_split(import_run *r, char *line)
{
    size_t n = 0;
    r->f[n++] = line;
    for (char *p = line; *p; p++) {
        char *next = NULL;
        if (*p == r->sep) {
            next = p + 1;
        } else if (r->three_space && p[0] == ' ' && p[1] == ' ' &&
                   p[2] == ' ') {
            next = p;
            while (*next == ' ')
                next++;
        }
        if (!next)
            continue;
        if (n == IMPORT_MAX_FIELDS)
            return -1;
        *p = '\0';
        r->f[n++] = next;
        p = next - 1;
    }
    r->nf = n;
    return 0;
}

int import_split_row(import_run *r, char *line)
{
    if (import_split(r, line) != 0) {
        import_bad(r, "more than %d columns", IMPORT_MAX_FIELDS);
        return -1;
    }
    if (r->nf != r->ncols) {
        import_bad(r, "%zu columns, header names %zu", r->nf, r->ncols);
        return -1;
    }
    return 0;
}

static const char *trim(const char *s, size_t *len)
{
    while (*s == ' ' || *s == '\t')
        s++;
    size_t n = strlen(s);
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
        n--;
    *len = n;
    return s;
}

char *import_strip(char *s)
{
    size_t len;
    char *t = (char *)trim(s, &len);
    t[len] = '\0';
    return t;
}

int import_map_columns(import_run *r, char **names, size_t n,
                       const import_colspec *spec, size_t nspec, c2_err *err)
{
    for (size_t c = 0; c < nspec && c < IMPORT_MAX_COLS; c++) {
        r->col[c] = -1;
        for (size_t i = 0; i < n; i++) {
            size_t len;
            const char *name = trim(names[i], &len);
            if (len == strlen(spec[c].name) &&
                strncasecmp(name, spec[c].name, len) == 0) {
                r->col[c] = (int)i;
                break;
            }
        }
        if (r->col[c] < 0 && spec[c].required)
            return c2_fail(err, "line %llu: header has no '%s' column",
                           (unsigned long long)r->lineno, spec[c].name);
    }
    r->ncols = n;
    r->header_seen = 1;
    return 0;
}

const char *import_field(const import_run *r, int c)
{
    int i = r->col[c];
    return (i >= 0 && (size_t)i < r->nf) ? r->f[i] : NULL;
}

int import_bad(import_run *r, const char *fmt, ...)
{
    import_stats *s = r->stats;
    s->bad++;
    if (s->bad_kept >= IMPORT_BAD_KEEP)
        return 0;
    import_bad_line *b = &s->bad_first[s->bad_kept++];
    b->line = r->lineno;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(b->reason, sizeof b->reason, fmt, ap);
    va_end(ap);
    /* Reasons quote file bytes; keep them printable for the terminal. */
    for (char *p = b->reason; *p; p++)
        if (!isprint((unsigned char)*p))
            *p = '?';
    return 0;
}

int import_skipped(import_run *r, import_skip why)
{
    r->stats->skipped[why]++;
    return 0;
}

int import_u64(const char *s, uint64_t *out)
{
    size_t len;
    s = trim(s, &len);
    if (len == 0)
        return -1;
    uint64_t v = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        unsigned d = (unsigned)(s[i] - '0');
        if (v > (UINT64_MAX - d) / 10)
            return -1;
        v = v * 10 + d;
    }
    *out = v;
    return 0;
}

static int hex_digit(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

int import_port(const char *s, uint16_t *out)
{
    size_t len;
    s = trim(s, &len);
    uint64_t v = 0;
    if (len > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        if (len > 6)
            return -1;
        for (size_t i = 2; i < len; i++) {
            int d = hex_digit(s[i]);
            if (d < 0)
                return -1;
            v = v * 16 + (uint64_t)d;
        }
    } else {
        char tmp[8];
        if (len == 0 || len >= sizeof tmp)
            return -1;
        memcpy(tmp, s, len);
        tmp[len] = '\0';
        if (import_u64(tmp, &v) != 0 || v > 65535)
            return -1;
    }
    *out = (uint16_t)v;
    return 0;
}

/* Digits after a '.' (at least one) -> ms, truncated. */
static int fraction_ms(const char *s, size_t len, int64_t *out)
{
    int64_t ms = 0;
    if (len == 0)
        return -1;
    for (size_t i = 0, scale = 100; i < len; i++, scale /= 10) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        ms += (s[i] - '0') * (int64_t)scale;
    }
    *out = ms;
    return 0;
}

/* Digits [ '.' digits ] -> ms (fraction truncated); seconds bounded. */
static int seconds_ms(const char *s, size_t len, int64_t *out)
{
    size_t i = 0;
    int64_t sec = 0, ms = 0;
    for (; i < len && s[i] != '.'; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        sec = sec * 10 + (s[i] - '0');
        if (sec > IMPORT_MAX_SECONDS)
            return -1;
    }
    if (i == 0)
        return -1;
    if (i < len && fraction_ms(s + i + 1, len - i - 1, &ms) != 0)
        return -1;
    *out = sec * 1000 + ms;
    return 0;
}

int import_seconds_ms(const char *s, int64_t *out)
{
    size_t len;
    s = trim(s, &len);
    return seconds_ms(s, len, out);
}

/* n decimal digits at s -> *v; 0 ok. */
static int digits(const char *s, int n, int *v)
{
    *v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        *v = *v * 10 + (s[i] - '0');
    }
    return 0;
}

int import_datetime_ms(const char *s, int64_t *out)
{
    size_t len;
    int y, mo, d, h, mi, sec;
    s = trim(s, &len);
    /* "YYYY-MM-DD HH:MM:SS" is 19 characters; the fraction follows. */
    if (len < 19 || (s[4] != '-' && s[4] != '/') || s[7] != s[4] ||
        (s[10] != ' ' && s[10] != 'T') || s[13] != ':' || s[16] != ':')
        return -1;
    if (digits(s, 4, &y) || digits(s + 5, 2, &mo) || digits(s + 8, 2, &d) ||
        digits(s + 11, 2, &h) || digits(s + 14, 2, &mi) ||
        digits(s + 17, 2, &sec))
        return -1;
    if (y < 1970 || mo < 1 || mo > 12 || d < 1 || h > 23 || mi > 59 ||
        sec > 60)
        return -1;
    int64_t days = c2_days_from_civil(y, mo, d);
    int cy, cm, cd;
    c2_civil_from_days(days, &cy, &cm, &cd);
    if (cy != y || cm != mo || cd != d)
        return -1;                  /* Feb 30 and the like */
    int64_t frac = 0;
    if (len > 19) {
        if (s[19] != '.' || fraction_ms(s + 20, len - 20, &frac) != 0)
            return -1;
    }
    *out = ((days * 24 + h) * 60 + mi) * 60000LL + sec * 1000LL + frac;
    return 0;
}

/* Names seen in Argus, nfdump and Zeek output (matched without case). */
static const struct { const char *name; int proto; } proto_names[] = {
    {"icmp", 1}, {"igmp", 2}, {"ggp", 3}, {"ipnip", 4}, {"ipip", 4},
    {"ipencap", 4}, {"tcp", 6}, {"egp", 8}, {"igp", 9}, {"udp", 17},
    {"rtp", 17}, {"rtcp", 17}, {"udt", 17}, /* Argus names UDP payloads */
    {"ipv6", 41}, {"ipv6-route", 43}, {"ipv6-frag", 44}, {"rsvp", 46},
    {"gre", 47}, {"esp", 50}, {"ah", 51}, {"ipv6-icmp", 58}, {"icmp6", 58},
    {"icmpv6", 58}, {"ipv6-nonxt", 59}, {"ipv6-opts", 60}, {"eigrp", 88},
    {"ospf", 89}, {"ospfigp", 89}, {"etherip", 97}, {"encap", 98},
    {"pim", 103}, {"ipcomp", 108}, {"vrrp", 112}, {"l2tp", 115},
    {"sctp", 132}, {"udplite", 136},
};
/* Argus records of link-layer and management traffic. */
static const char *const non_ip_names[] = {
    "arp", "rarp", "llc", "man", "ipx/spx", "stp", "lldp", "cdp", "lacp",
    "pppoe", "802.1q", "ppp", "loop", "wlan",
};

int import_proto(const char *s)
{
    size_t len;
    s = trim(s, &len);
    for (size_t i = 0; i < sizeof proto_names / sizeof proto_names[0]; i++)
        if (strlen(proto_names[i].name) == len &&
            strncasecmp(s, proto_names[i].name, len) == 0)
            return proto_names[i].proto;
    for (size_t i = 0; i < sizeof non_ip_names / sizeof non_ip_names[0]; i++)
        if (strlen(non_ip_names[i]) == len &&
            strncasecmp(s, non_ip_names[i], len) == 0)
            return -2;
    char tmp[8];
    uint64_t v;
    if (len > 0 && len < sizeof tmp) {
        memcpy(tmp, s, len);
        tmp[len] = '\0';
        if (import_u64(tmp, &v) == 0 && v <= 255)
            return (int)v;
    }
    return -1;
}

/* Request/reply type pairs, both ways (the pairs Zeek tracks as one
 * connection; RFC 792 / RFC 4443 and their successors). */
static const uint8_t icmp4_pairs[][2] = {
    {8, 0}, {13, 14}, {15, 16}, {10, 9}, {17, 18},
};
static const uint8_t icmp6_pairs[][2] = {
    {128, 129}, {133, 134}, {135, 136}, {130, 131}, {139, 140}, {144, 145},
};

int import_icmp_counterpart(uint8_t proto, uint8_t type)
{
    const uint8_t (*map)[2] = proto == PROTO_ICMP ? icmp4_pairs : icmp6_pairs;
    size_t n = proto == PROTO_ICMP
                   ? sizeof icmp4_pairs / sizeof icmp4_pairs[0]
                   : sizeof icmp6_pairs / sizeof icmp6_pairs[0];
    for (size_t i = 0; i < n; i++) {
        if (map[i][0] == type)
            return map[i][1];
        if (map[i][1] == type)
            return map[i][0];
    }
    return -1;
}

uint16_t import_icmp_reply(uint8_t proto, uint16_t type_code)
{
    int other = import_icmp_counterpart(proto, (uint8_t)(type_code >> 8));
    return other < 0 ? type_code : (uint16_t)(other << 8);
}

int import_flush(import_run *r, c2_err *err)
{
    if (r->nbatch == 0)
        return 0;
    if (err)
        err->msg[0] = '\0';
    if (r->sink(r->batch, r->nbatch, r->sink_arg, err) != 0) {
        if (err && err->msg[0] == '\0')
            c2_fail(err, "record sink failed");
        return -1;
    }
    r->stats->records += r->nbatch;
    r->nbatch = 0;
    return 0;
}

static int append(import_run *r, const flow_record *rec, c2_err *err)
{
    if (r->nbatch == IMPORT_BATCH && import_flush(r, err) != 0)
        return -1;
    r->batch[r->nbatch++] = *rec;
    return 0;
}

static void forward_record(const import_conn *c, flow_record *f)
{
    memset(f, 0, sizeof *f);
    f->start_ms = c->start_ms;
    f->end_ms = c->end_ms;
    f->packets = c->fwd_pkts;
    f->bytes = c->fwd_bytes;
    f->src_addr = c->orig;
    f->dst_addr = c->resp;
    f->exporter = c->exporter;
    f->domain = c->domain;
    f->in_if = c->in_if;
    f->out_if = c->out_if;
    f->sampling = 1;
    f->src_as = c->src_as;
    f->dst_as = c->dst_as;
    f->src_port = c->orig_port;
    f->dst_port = c->resp_port;
    f->proto = c->proto;
    f->tcp_flags = c->fwd_flags;
    f->tos = c->fwd_tos;
}

/* The responder's record: forward with ends, counters and sides swapped. */
static void reverse_record(const import_conn *c, flow_record *f)
{
    forward_record(c, f);
    f->packets = c->rev_pkts;
    f->bytes = c->rev_bytes;
    f->src_addr = c->resp;
    f->dst_addr = c->orig;
    f->in_if = c->out_if;
    f->out_if = c->in_if;
    f->src_as = c->dst_as;
    f->dst_as = c->src_as;
    f->tcp_flags = c->rev_flags;
    f->tos = c->rev_tos;
    if (c->proto == PROTO_ICMP || c->proto == PROTO_ICMP6) {
        f->src_port = 0;
        f->dst_port = import_icmp_reply(c->proto, c->resp_port);
    } else {
        f->src_port = c->resp_port;
        f->dst_port = c->orig_port;
    }
}

int import_emit(import_run *r, const import_conn *c, c2_err *err)
{
    flow_record f;
    forward_record(c, &f);
    if (append(r, &f, err) != 0)
        return -1;
    if (c->rev_pkts > 0) {
        reverse_record(c, &f);
        if (append(r, &f, err) != 0)
            return -1;
    }
    r->stats->flows++;
    if (r->labels && c->label && c->label[0] &&
        import_labels_add(r->labels, &c->resp, c->resp_port, c->proto,
                          c->label, c->start_ms, c->end_ms, err) != 0)
        return -1;
    return 0;
}
