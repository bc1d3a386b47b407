/*
 * submission.c: a hub submission's body into a validated C2 list (media
 * types, limits, the address table, CSV and JSON Lines); STIX is in stix.c.
 *
 * CSV and JSON Lines go through the list's own reader (c2list_read_mem),
 * which already refuses unknown columns and keys and loads all or nothing;
 * this file adds what a hub needs on top: the declared form must be the
 * form sent, every row's address must be one that can be a C2 server on the
 * Internet, its port must fit its protocol and its times must be sane.
 * Messages count rows, not lines: "row N" is the N-th data row (the CSV
 * header and blank lines are not rows), and " (line L)" follows when the
 * line differs, so both a program and a person with an editor find it.
 *
 * The address table is RFC 6890's special-purpose registries with their
 * later updates, first match wins, so a more specific entry (a globally
 * reachable anycast inside 2001::/23, the broadcast address inside 240/4)
 * comes before its covering block.
 */
#include <ctype.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "submission/submission_impl.h"

/* ---- media types ---- */

/* Lower-cased copy of [s, end) without blanks around it. */
static void trimmed(const char *s, const char *end, char *buf, size_t len)
{
    while (s < end && isspace((unsigned char)*s)) s++;
    while (end > s && isspace((unsigned char)end[-1])) end--;
    size_t n = 0;
    for (; s < end && n + 1 < len; s++) buf[n++] = (char)tolower((unsigned char)*s);
    buf[n] = '\0';
}

/* 0 if every parameter after the media type is acceptable for it: a
 * version (only for STIX, only 2.1) or a charset (UTF-8, or ASCII). */
static int params_ok(const char *p, int stix)
{
    while (*p == ';') {
        const char *end = strchr(p + 1, ';');
        if (!end) end = p + strlen(p);
        const char *eq = memchr(p + 1, '=', (size_t)(end - p - 1));
        char name[32], value[32];
        if (!eq) return -1;
        trimmed(p + 1, eq, name, sizeof name);
        trimmed(eq + 1, end, value, sizeof value);
        size_t vl = strlen(value);
        if (vl >= 2 && value[0] == '"' && value[vl - 1] == '"') {
            memmove(value, value + 1, vl - 2);
            value[vl - 2] = '\0';
        }
        if (!strcmp(name, "version")) {
            if (!stix || strcmp(value, "2.1") != 0) return -1;
        } else if (!strcmp(name, "charset")) {
            if (strcmp(value, "utf-8") != 0 && strcmp(value, "us-ascii") != 0) return -1;
        } else {
            return -1;
        }
        p = end;
    }
    return *p ? -1 : 0;
}

int submission_format_from_type(const char *content_type)
{
    static const struct { const char *type; submission_format fmt; } types[] = {
        {"text/csv", SUBMISSION_CSV},           {"application/x-ndjson", SUBMISSION_JSONL},
        {"application/jsonl", SUBMISSION_JSONL}, {"application/stix+json", SUBMISSION_STIX21},
        {"application/json", SUBMISSION_AUTO},
    };
    if (!content_type || strlen(content_type) > 256) return -1;
    const char *semi = strchr(content_type, ';');
    const char *end = semi ? semi : content_type + strlen(content_type);
    char type[64];
    trimmed(content_type, end, type, sizeof type);
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
        if (!strcmp(type, types[i].type))
            return params_ok(end, types[i].fmt == SUBMISSION_STIX21) == 0 ? (int)types[i].fmt
                                                                          : -1;
    return -1;
}

const char *submission_format_name(submission_format fmt)
{
    switch (fmt) {
    case SUBMISSION_CSV: return "CSV";
    case SUBMISSION_JSONL: return "JSON Lines";
    case SUBMISSION_STIX21: return "STIX 2.1";
    default: return "JSON";
    }
}

void submission_limits_default(submission_limits *lim)
{
    memset(lim, 0, sizeof *lim);
    lim->max_rows = C2LIST_MAX_ROWS;
    lim->now_ms = c2_now_ms();
    lim->max_future_ms = C2_MS_PER_DAY;
    lim->min_time_ms = c2_days_from_civil(2000, 1, 1) * C2_MS_PER_DAY;
}

/* ---- addresses (RFC 6890 and updates) ---- */

typedef struct v4_range {
    uint32_t    base;
    int         len;
    const char *why;                    /* "IP is WHY" */
} v4_range;

static const v4_range v4_special[] = {
    {0x00000000u, 32, "the unspecified address (RFC 1122)"},
    {0x00000000u, 8, "in \"this network\" 0.0.0.0/8 (RFC 791)"},
    {0x0a000000u, 8, "a private address (RFC 1918)"},
    {0x64400000u, 10, "in the shared address space 100.64.0.0/10 (RFC 6598)"},
    {0x7f000000u, 8, "a loopback address (RFC 1122)"},
    {0xa9fe0000u, 16, "a link-local address (RFC 3927)"},
    {0xac100000u, 12, "a private address (RFC 1918)"},
    {0xc0000000u, 24, "in the IETF protocol assignments 192.0.0.0/24 (RFC 6890)"},
    {0xc0000200u, 24, "a documentation address (TEST-NET-1, RFC 5737)"},
    {0xc0586300u, 24, "in the deprecated 6to4 relay anycast 192.88.99.0/24 (RFC 7526)"},
    {0xc0a80000u, 16, "a private address (RFC 1918)"},
    {0xc6120000u, 15, "a benchmarking address (RFC 2544)"},
    {0xc6336400u, 24, "a documentation address (TEST-NET-2, RFC 5737)"},
    {0xcb007100u, 24, "a documentation address (TEST-NET-3, RFC 5737)"},
    {0xe0000000u, 4, "a multicast address (RFC 5771)"},
    {0xffffffffu, 32, "the limited broadcast address (RFC 919)"},
    {0xf0000000u, 4, "in the reserved 240.0.0.0/4 (RFC 1112)"},
};

static const char *v4_reason(uint32_t a)
{
    for (size_t i = 0; i < sizeof v4_special / sizeof v4_special[0]; i++) {
        uint32_t mask = v4_special[i].len ? ~0u << (32 - v4_special[i].len) : 0;
        if ((a & mask) == v4_special[i].base) return v4_special[i].why;
    }
    return NULL;
}

typedef struct v6_range {
    uint8_t     prefix[16];
    int         len;
    const char *why;                    /* NULL: globally reachable, accepted */
} v6_range;

static const v6_range v6_special[] = {
    {{0}, 128, "the unspecified address (RFC 4291)"},
    {{[15] = 1}, 128, "the loopback address (RFC 4291)"},
    {{0}, 96, "an IPv4-compatible address (deprecated, RFC 4291)"},
    {{0, 0x64, 0xff, 0x9b}, 96, "a NAT64 address (RFC 6052)"},
    {{0, 0x64, 0xff, 0x9b, 0, 1}, 48, "a local-use NAT64 address (RFC 8215)"},
    {{1, 0}, 64, "in the discard-only prefix 100::/64 (RFC 6666)"},
    /* globally reachable exceptions inside 2001::/23 (IANA registry) */
    {{0x20, 0x01, 0, 1, [15] = 1}, 128, NULL},          /* PCP anycast, RFC 7723 */
    {{0x20, 0x01, 0, 1, [15] = 2}, 128, NULL},          /* TURN anycast, RFC 8155 */
    {{0x20, 0x01, 0, 1, [15] = 3}, 128, NULL},          /* DNS-SD SRP anycast, RFC 9665 */
    {{0x20, 0x01, 0, 3}, 32, NULL},                     /* AMT, RFC 7450 */
    {{0x20, 0x01, 0, 4, 0x01, 0x12}, 48, NULL},         /* AS112-v6, RFC 7535 */
    {{0x20, 0x01, 0, 0x30}, 28, NULL},                  /* DRIP, RFC 9374 */
    {{0x20, 0x01, 0, 0}, 32, "a Teredo address (RFC 4380)"},
    {{0x20, 0x01, 0, 2, 0, 0}, 48, "a benchmarking address (RFC 5180)"},
    {{0x20, 0x01, 0, 0x10}, 28, "an ORCHID address (deprecated, RFC 4843)"},
    {{0x20, 0x01, 0, 0x20}, 28, "an ORCHIDv2 address (RFC 7343)"},
    {{0x20, 0x01, 0x0d, 0xb8}, 32, "a documentation address (RFC 3849)"},
    {{0x20, 0x01, 0, 0}, 23, "in the IETF protocol assignments 2001::/23 (RFC 2928)"},
    {{0x3f, 0xff, 0}, 20, "a documentation address (RFC 9637)"},
    {{0xfc}, 7, "a unique local address (RFC 4193)"},
    {{0xfe, 0x80}, 10, "a link-local address (RFC 4291)"},
    {{0xfe, 0xc0}, 10, "a site-local address (deprecated, RFC 3879)"},
    {{0xff}, 8, "a multicast address (RFC 4291)"},
};

static int v6_in(const uint8_t *a, const uint8_t *prefix, int len)
{
    int full = len / 8, rest = len % 8;
    if (memcmp(a, prefix, (size_t)full) != 0) return 0;
    if (!rest) return 1;
    uint8_t mask = (uint8_t)(0xff << (8 - rest));
    return (a[full] & mask) == (prefix[full] & mask);
}

/* The reason a v6 address is refused, or NULL; *embedded set for 6to4. */
static const char *v6_reason(const flow_addr *ip, uint32_t *embedded)
{
    *embedded = 0;
    for (size_t i = 0; i < sizeof v6_special / sizeof v6_special[0]; i++)
        if (v6_in(ip->b, v6_special[i].prefix, v6_special[i].len)) return v6_special[i].why;
    if (ip->b[0] == 0x20 && ip->b[1] == 0x02) {   /* 6to4: as good as its IPv4 */
        uint32_t v4 = (uint32_t)ip->b[2] << 24 | ip->b[3] << 16 | ip->b[4] << 8 | ip->b[5];
        *embedded = v4;
        return v4_reason(v4);
    }
    if ((ip->b[0] & 0xe0) != 0x20) return "not a global unicast address (outside 2000::/3)";
    return NULL;
}

int submission_address_check(const flow_addr *ip, c2_err *err)
{
    char text[FLOW_ADDR_STRLEN];
    if (flow_addr_is_v4(ip)) {
        const char *why = v4_reason(flow_addr_v4(ip));
        return why ? c2_fail(err, "%s is %s", flow_addr_format(ip, text, sizeof text), why) : 0;
    }
    uint32_t v4;
    const char *why = v6_reason(ip, &v4);
    if (!why) return 0;
    flow_addr_format(ip, text, sizeof text);
    if (v4) {
        flow_addr inner;
        char itext[FLOW_ADDR_STRLEN];
        flow_addr_from_v4(&inner, v4);
        return c2_fail(err, "%s is a 6to4 address (RFC 3056) of %s, %s", text,
                       flow_addr_format(&inner, itext, sizeof itext), why);
    }
    return c2_fail(err, "%s is %s", text, why);
}

/* ---- ports, times, rows, ids ---- */

static int has_ports(uint8_t proto)
{
    return proto == 6 || proto == 17 || proto == 33 || proto == 132 || proto == 136;
}

int submission_port_check(uint16_t port, uint8_t proto, c2_err *err)
{
    char name[16];
    if (port == 0 && has_ports(proto))
        return c2_fail(err, "port 0 with %s (a %s server has a port 1-65535)",
                       c2list_proto_format(proto, name, sizeof name), name);
    return 0;
}

static int time_check(const char *what, int64_t t, const submission_limits *lim, c2_err *err)
{
    char a[40], b[40];
    if (!t) return 0;                           /* unknown */
    if (t < lim->min_time_ms)
        return c2_fail(err, "%s %s is before %s", what, c2list_time_format(t, a, sizeof a),
                       c2list_time_format(lim->min_time_ms, b, sizeof b));
    if (lim->now_ms <= INT64_MAX - lim->max_future_ms && t > lim->now_ms + lim->max_future_ms)
        return c2_fail(err, "%s %s is in the future (after %s)", what,
                       c2list_time_format(t, a, sizeof a),
                       c2list_time_format(lim->now_ms + lim->max_future_ms, b, sizeof b));
    return 0;
}

/* The list's text fields keep addresses out by their character sets, all
 * but a dotted quad in method ("10.1.2.3" is 8 of its characters). */
static int text_check(const char *what, const char *s, c2_err *err)
{
    flow_addr ip;
    char text[FLOW_ADDR_STRLEN];
    if (submission_find_address(s, &ip, text, sizeof text))
        return c2_fail(err, "%s '%s' holds an IP address", what, s);
    return 0;
}

int submission_row_check(const c2_entry *e, const submission_limits *lim, c2_err *err)
{
    if (submission_address_check(&e->ip, err) != 0) return -1;
    if (text_check("method", e->method, err) != 0 ||
        text_check("category", e->category, err) != 0)
        return -1;
    if (submission_port_check(e->port, e->proto, err) != 0) return -1;
    if (time_check("first_seen", e->first_seen, lim, err) != 0) return -1;
    return time_check("last_seen", e->last_seen, lim, err);
}

int submission_id_check(const char *id, c2_err *err)
{
    size_t n = id ? strlen(id) : 0;
    if (n < 1 || n > SUBMISSION_ID_MAX)
        return c2_fail(err, "submission id: 1 to %d characters", SUBMISSION_ID_MAX);
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)id[i]) && !strchr("._-", id[i]))
            return c2_fail(err, "submission id: only A-Z a-z 0-9 . _ - (character %zu)", i + 1);
    return 0;
}

/* ---- JSON depth ---- */

int submission_json_depth(const void *body, size_t len, int per_line, c2_err *err)
{
    const unsigned char *p = body;
    int depth = 0, in_str = 0, esc = 0;
    unsigned long line = 1;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = p[i];
        if (c == '\n') {
            line++;
            if (per_line) depth = in_str = esc = 0;
        }
        if (in_str) {
            if (esc) esc = 0;
            else if (c == '\\') esc = 1;
            else if (c == '"') in_str = 0;
        } else if (c == '"') {
            in_str = 1;
        } else if (c == '{' || c == '[') {
            if (++depth > SUBMISSION_JSON_DEPTH)
                return c2_fail(err, "line %lu: JSON nested deeper than %d levels", line,
                               SUBMISSION_JSON_DEPTH);
        } else if ((c == '}' || c == ']') && depth > 0) {
            depth--;
        }
    }
    return 0;
}

/* ---- CSV and JSON Lines ---- */

/* Walks the lines as c2list's reader does ('\n' ends a line, a line of
 * blanks is skipped, the first line may start with a byte order mark) and
 * tells how lines and data rows correspond.  Give want_line to learn its
 * row (0 = the CSV header), or want_row to learn its line. */
typedef struct rowmap {
    const unsigned char *p;
    size_t               len;
    int                  csv;           /* first non-blank line is the header */
} rowmap;

static int line_blank(const unsigned char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!isspace(s[i])) return 0;
    return 1;
}

static void rowmap_find(const rowmap *m, uint64_t want_line, uint64_t want_row,
                        uint64_t *line_out, uint64_t *row_out)
{
    uint64_t line = 0, row = 0;
    int header = m->csv;
    size_t pos = 0;
    while (pos < m->len) {
        const unsigned char *nl = memchr(m->p + pos, '\n', m->len - pos);
        size_t end = nl ? (size_t)(nl - m->p) : m->len, start = pos;
        uint64_t cur = row + 1;                 /* a blank line: the row after it */
        line++;
        if (line == 1 && end - start >= 3 && !memcmp(m->p, "\xef\xbb\xbf", 3)) start += 3;
        if (!line_blank(m->p + start, end - start)) {
            if (header) {
                header = 0;
                cur = 0;
            } else {
                cur = ++row;
            }
        }
        if ((want_line && line == want_line) || (want_row && cur == want_row && cur == row)) {
            *line_out = line;
            *row_out = cur;
            return;
        }
        pos = end + 1;
    }
    *line_out = line + 1;                       /* past the end: the next line */
    *row_out = row + 1;
}

static void where_prefix(c2_err *err, uint64_t row, uint64_t line)
{
    if (row == 0 && line == 1) c2_err_prefix(err, "header");
    else if (row == 0) c2_err_prefix(err, "header (line %llu)", (unsigned long long)line);
    else if (row == line) c2_err_prefix(err, "row %llu", (unsigned long long)row);
    else c2_err_prefix(err, "row %llu (line %llu)", (unsigned long long)row,
                       (unsigned long long)line);
}

/* c2list's "line N: reason" as "row R (line N): reason". */
static void reader_error(const rowmap *m, c2_err *err)
{
    unsigned long long line;
    int used = 0;
    if (!err) return;
    if (sscanf(err->msg, "line %llu: %n", &line, &used) != 1 || !used || !line) {
        c2_err_prefix(err, "body");
        return;
    }
    char rest[C2_ERR_MAX];
    snprintf(rest, sizeof rest, "%s", err->msg + used);
    uint64_t l, r;
    rowmap_find(m, line, 0, &l, &r);
    snprintf(err->msg, sizeof err->msg, "%s", rest);
    where_prefix(err, r, line);
}

/* The first byte that is not white space or a byte order mark, or 0. */
static int first_byte(const unsigned char *p, size_t len)
{
    size_t i = len >= 3 && !memcmp(p, "\xef\xbb\xbf", 3) ? 3 : 0;
    while (i < len && isspace(p[i])) i++;
    return i < len ? p[i] : 0;
}

static int parse_list(const void *body, size_t len, submission_format fmt,
                      const submission_limits *lim, c2list **out, c2_err *err)
{
    rowmap m = {.p = body, .len = len, .csv = fmt == SUBMISSION_CSV};
    int first = first_byte(body, len);
    if (fmt == SUBMISSION_CSV && first == '{')
        return c2_fail(err, "body: JSON where CSV was declared (Content-Type text/csv)");
    if (fmt == SUBMISSION_JSONL && first && first != '{') {
        uint64_t line, row;
        rowmap_find(&m, 0, 1, &line, &row);
        c2_fail(err, "not a JSON object (JSON Lines: one object a line)");
        where_prefix(err, 1, line);
        return -1;
    }
    if (fmt == SUBMISSION_JSONL && submission_json_depth(body, len, 1, err) != 0) {
        reader_error(&m, err);
        return -1;
    }
    size_t max_rows = lim->max_rows ? lim->max_rows : C2LIST_MAX_ROWS;
    if (c2list_read_mem(body, len, max_rows, out, err) != 0) {
        reader_error(&m, err);
        return -1;
    }
    for (size_t i = 0; i < c2list_count(*out); i++)
        if (submission_row_check(c2list_get(*out, i), lim, err) != 0) {
            uint64_t line, row;
            rowmap_find(&m, 0, i + 1, &line, &row);
            where_prefix(err, i + 1, line);
            c2list_free(*out);
            *out = NULL;
            return -1;
        }
    return 0;
}

/* application/json: a bundle if the first JSON value is an object whose
 * "type" is "bundle", else JSON Lines.  A bundle that is the whole body is
 * kept in *root for the STIX reader, so that a large one is parsed once. */
static submission_format sniff(const void *body, size_t len, json_t **root)
{
    *root = NULL;
    if (first_byte(body, len) != '{' || submission_json_depth(body, len, 0, NULL) != 0)
        return SUBMISSION_JSONL;
    json_error_t je;
    json_t *v = json_loadb(body, len, JSON_DISABLE_EOF_CHECK | JSON_REJECT_DUPLICATES, &je);
    const char *type = json_string_value(json_object_get(v, "type"));
    if (!type || strcmp(type, "bundle") != 0) {
        json_decref(v);
        return SUBMISSION_JSONL;
    }
    /* with JSON_DISABLE_EOF_CHECK, position is the count of bytes read */
    size_t used = je.position > 0 && (size_t)je.position <= len ? (size_t)je.position : len;
    if (line_blank((const unsigned char *)body + used, len - used)) *root = v;
    else json_decref(v);                       /* the reader will say what follows */
    return SUBMISSION_STIX21;
}

int submission_parse(const void *body, size_t len, submission_format fmt,
                     const submission_limits *lim, c2list **out, c2_err *err)
{
    submission_limits def;
    *out = NULL;
    if (!lim) {
        submission_limits_default(&def);
        lim = &def;
    }
    if (lim->max_bytes && len > lim->max_bytes)
        return c2_fail(err, "body: %zu bytes, more than the limit of %zu", len, lim->max_bytes);
    if (!body && len) return c2_fail(err, "body: missing");
    if (!body) body = "";
    json_t *root = NULL;
    if (fmt == SUBMISSION_AUTO) fmt = sniff(body, len, &root);
    switch (fmt) {
    case SUBMISSION_CSV:
    case SUBMISSION_JSONL: return parse_list(body, len, fmt, lim, out, err);
    case SUBMISSION_STIX21: return submission_stix(body, len, root, lim, out, err);
    default: return c2_fail(err, "body: unknown submission format %d", (int)fmt);
    }
}
