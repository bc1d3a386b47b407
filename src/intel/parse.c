/*
 * parse.c: Feodo Tracker, ThreatFox and plain lists into intel entries.
 *
 * Detection (INTEL_AUTO) looks at the lines before the first data row: a
 * header naming dst_ip is Feodo Tracker, one naming ioc_value ThreatFox (the
 * header may be a '#' comment, as ThreatFox and c2flow's simulator write
 * it, or a plain line, as Feodo Tracker writes it); without a header, the
 * publisher's banner comment chooses its format with the published column
 * order, if the first data row is a quoted CSV row (so a plain list whose
 * comment mentions a feed stays a plain list); anything else is a plain
 * list.  A header maps columns by name, so reordered or added columns are
 * fine.  The same line reader as src/c2list/read.c, kept apart so that the
 * modules stay independent.
 *
 * Input is read in fixed chunks and cut into lines of at most
 * INTEL_LINE_MAX bytes, so memory does not grow with line length; a longer
 * line is a bad row (or a comment, if it starts with '#').  CSV fields may
 * be quoted ("" for a quote inside) and have blanks around them (ThreatFox
 * writes ", " between fields).
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "intel/intel_impl.h"

#define MAX_FIELDS 64

/* ---- fields ---- */

static char *trim(char *s)
{
    while (*s == ' ' || *s == '\t') s++;
    size_t n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t')) s[--n] = '\0';
    return s;
}

static int parse_port(const char *s, uint16_t *out)
{
    uint64_t v;
    if (c2_u64_parse(s, 65535, &v) != 0) return -1;
    *out = (uint16_t)v;
    return 0;
}

/* "ip", "ip:port", "[v6]:port", "[v6]"; with_comma also "ip,port".  s is
 * writable and trimmed. */
static int parse_endpoint(char *s, int with_comma, flow_addr *ip, uint16_t *port)
{
    *port = 0;
    char *sep = NULL;
    if (*s == '[') {
        char *close = strchr(s, ']');
        if (!close || (close[1] && close[1] != ':')) return -1;
        *close = '\0';
        if (!strchr(s + 1, ':') || flow_addr_parse(s + 1, ip) != 0) return -1;
        return close[1] ? parse_port(close + 2, port) : 0;
    }
    if (with_comma && (sep = strchr(s, ',')) != NULL) {
        *sep = '\0';
        return flow_addr_parse(trim(s), ip) != 0 || parse_port(trim(sep + 1), port) != 0 ? -1 : 0;
    }
    if (flow_addr_parse(s, ip) == 0) return 0;
    sep = strchr(s, ':');
    if (!sep || strchr(sep + 1, ':')) return -1;    /* bare IPv6 with a port needs [] */
    *sep = '\0';
    if (!strchr(s, '.') || flow_addr_parse(s, ip) != 0) return -1;
    return parse_port(sep + 1, port);
}

/* "2026-01-17 07:30:05", "2026-01-20", ISO 8601; "" = unknown (0). */
static int parse_date(const char *s, int64_t *out)
{
    *out = 0;
    if (!*s) return 0;
    for (int i = 0; i < 4; i++)
        if (!isdigit((unsigned char)s[i])) return -1;
    if (s[4] != '-' || c2_time_parse(s, 0, out, NULL) != 0 || *out <= 0) return -1;
    return 0;
}

static void copy_name(char *dst, const char *src)
{
    size_t i = 0;
    for (; src[i] && i + 1 < INTEL_MALWARE_MAX; i++)
        dst[i] = isprint((unsigned char)src[i]) ? src[i] : '?';
    dst[i] = '\0';
}

/* ---- the parser ---- */

typedef enum key { K_FIRST, K_IP, K_PORT, K_TYPE, K_LAST, K_MALWARE, K_FKMAL, K_STATUS,
                   NKEYS } key;

typedef struct parser {
    intel_format fmt;               /* INTEL_AUTO until decided */
    intel_format hint;              /* from a banner comment */
    int          col[NKEYS];        /* field of each key, -1 absent */
    int          nfields;           /* fields a header named, 0 = defaults */
    int          data_seen;         /* a data row was read: no more headers */
    uint16_t     source;
    intel_vec   *out;
    intel_stats *st;
    uint64_t     lineno;
} parser;

typedef struct colname { intel_format fmt; const char *name; key k; } colname;

static const colname colnames[] = {
    {INTEL_FEODO, "first_seen_utc", K_FIRST}, {INTEL_FEODO, "first_seen", K_FIRST},
    {INTEL_FEODO, "dst_ip", K_IP}, {INTEL_FEODO, "dst_port", K_PORT},
    {INTEL_FEODO, "last_online", K_LAST}, {INTEL_FEODO, "malware", K_MALWARE},
    {INTEL_FEODO, "c2_status", K_STATUS},
    {INTEL_THREATFOX, "first_seen_utc", K_FIRST}, {INTEL_THREATFOX, "ioc_value", K_IP},
    {INTEL_THREATFOX, "ioc_type", K_TYPE}, {INTEL_THREATFOX, "last_seen_utc", K_LAST},
    {INTEL_THREATFOX, "malware_printable", K_MALWARE}, {INTEL_THREATFOX, "fk_malware", K_FKMAL},
};

/* The columns of the published files, for files without a header. */
static void default_columns(parser *p)
{
    static const int feodo[NKEYS] = {0, 1, 2, -1, 4, 5, -1, 3};
    static const int tfox[NKEYS] = {0, 2, -1, 3, 8, 7, 5, -1};
    memcpy(p->col, p->fmt == INTEL_FEODO ? feodo : tfox, sizeof p->col);
    p->nfields = 0;
}

static int bad_row(parser *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int bad_row(parser *p, const char *fmt, ...)
{
    intel_stats *st = p->st;
    st->bad++;
    if (st->first_bad_line) return 0;
    st->first_bad_line = p->lineno;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(st->first_bad, sizeof st->first_bad, fmt, ap);
    va_end(ap);
    for (char *c = st->first_bad; *c; c++)
        if (!isprint((unsigned char)*c)) *c = '?';
    return 0;
}

/* A header line's fields (f[0] is first_seen_utc or first_seen). */
static int use_header(parser *p, char **f, int n, c2_err *err)
{
    intel_format got = INTEL_AUTO;
    for (int i = 0; i < n; i++) {
        if (!strcmp(f[i], "dst_ip")) got = INTEL_FEODO;
        if (!strcmp(f[i], "ioc_value")) got = INTEL_THREATFOX;
    }
    if (got == INTEL_AUTO)
        return c2_fail(err, "line %llu: a header naming neither dst_ip (Feodo Tracker) "
                       "nor ioc_value (ThreatFox)", (unsigned long long)p->lineno);
    if (p->fmt != INTEL_AUTO && p->fmt != got)
        return c2_fail(err, "line %llu: a %s header in a %s file", (unsigned long long)p->lineno,
                       intel_format_name(got), intel_format_name(p->fmt));
    p->fmt = got;
    for (int k = 0; k < NKEYS; k++) p->col[k] = -1;
    for (int i = 0; i < n; i++)
        for (size_t c = 0; c < sizeof colnames / sizeof colnames[0]; c++)
            if (colnames[c].fmt == got && !strcmp(colnames[c].name, f[i]) && p->col[colnames[c].k] < 0)
                p->col[colnames[c].k] = i;
    key need = got == INTEL_FEODO ? K_PORT : K_TYPE;
    if (p->col[K_IP] < 0 || p->col[need] < 0)
        return c2_fail(err, "line %llu: the header lacks %s", (unsigned long long)p->lineno,
                       p->col[K_IP] < 0 ? (got == INTEL_FEODO ? "dst_ip" : "ioc_value")
                                        : (got == INTEL_FEODO ? "dst_port" : "ioc_type"));
    p->nfields = n;
    return 0;
}

/* 1 if text (a comment's body or a line) is a header, which is then used;
 * 0 if not; -1 on a bad header.  A header has a field named dst_ip or
 * ioc_value, or starts with first_seen_utc (and is then refused if it has
 * neither). */
static int try_header(parser *p, const char *text, c2_err *err)
{
    /* only before the data: a row's field cannot turn into a header */
    if (p->fmt == INTEL_PLAIN || p->data_seen) return 0;
    const char *t = text;
    while (*t == ' ' || *t == '\t') t++;
    if (strncmp(t + (*t == '"'), "first_seen", 10) != 0 && !strstr(t, "dst_ip") &&
        !strstr(t, "ioc_value"))
        return 0;
    char copy[INTEL_LINE_MAX + 1], *f[MAX_FIELDS];
    snprintf(copy, sizeof copy, "%s", t);
    int n = c2_csv_split(copy, f, MAX_FIELDS, NULL), named = 0;
    if (n < 0) return 0;
    for (int i = 0; i < n; i++)
        named |= !strcmp(f[i], "dst_ip") || !strcmp(f[i], "ioc_value");
    if (!named && strcmp(f[0], "first_seen_utc") && strcmp(f[0], "first_seen")) return 0;
    return use_header(p, f, n, err) == 0 ? 1 : -1;
}

static int add_entry(parser *p, const intel_entry *e, c2_err *err)
{
    if (intel_vec_push(p->out, e) != 0) return c2_fail(err, "out of memory");
    p->st->entries++;
    return 0;
}

static const char *field(parser *p, char **f, int n, key k)
{
    int i = p->col[k];
    return i >= 0 && i < n ? f[i] : "";
}

/* A Feodo Tracker or ThreatFox row. */
static int csv_row(parser *p, char *line, c2_err *err)
{
    char *f[MAX_FIELDS];
    int n = c2_csv_split(line, f, MAX_FIELDS, NULL);
    if (n < 0) return bad_row(p, "broken quotes or over %d fields", MAX_FIELDS);
    if (p->nfields && n != p->nfields) return bad_row(p, "%d fields, the header has %d", n, p->nfields);
    int need = p->col[p->fmt == INTEL_FEODO ? K_PORT : K_TYPE];
    if (!p->nfields && (n <= p->col[K_IP] || n <= need)) return bad_row(p, "only %d fields", n);
    intel_entry e = {.source = p->source};
    const char *ip = field(p, f, n, K_IP);
    if (p->fmt == INTEL_THREATFOX) {
        if (strcmp(field(p, f, n, K_TYPE), "ip:port")) {
            p->st->other++;
            return 0;
        }
        if (parse_endpoint(f[p->col[K_IP]], 0, &e.ip, &e.port) != 0 || e.port == 0)
            return bad_row(p, "bad ip:port '%.60s'", ip);
    } else {
        if (flow_addr_parse(ip, &e.ip) != 0) return bad_row(p, "bad dst_ip '%.60s'", ip);
        if (parse_port(field(p, f, n, K_PORT), &e.port) != 0)
            return bad_row(p, "bad dst_port '%.20s'", field(p, f, n, K_PORT));
    }
    if (parse_date(field(p, f, n, K_FIRST), &e.first_seen) != 0)
        return bad_row(p, "bad first seen time '%.40s'", field(p, f, n, K_FIRST));
    if (parse_date(field(p, f, n, K_LAST), &e.last_seen) != 0)
        return bad_row(p, "bad last seen time '%.40s'", field(p, f, n, K_LAST));
    /* "online": last_online is only the day the feed was written, and the
     * server was still up then, so it has no last day yet */
    if (!strcmp(field(p, f, n, K_STATUS), "online")) e.last_seen = 0;
    const char *mal = field(p, f, n, K_MALWARE);
    copy_name(e.malware, *mal ? mal : field(p, f, n, K_FKMAL));
    return add_entry(p, &e, err);
}

static int plain_row(parser *p, char *line, c2_err *err)
{
    char *hash = strchr(line, '#');
    if (hash) *hash = '\0';
    char *s = trim(line);
    if (!*s) return 0;
    intel_entry e = {.source = p->source};
    if (parse_endpoint(s, 1, &e.ip, &e.port) != 0)
        return bad_row(p, "not ip, ip:port, [v6]:port or ip,port: '%.60s'", s);
    return add_entry(p, &e, err);
}

static void comment_hint(parser *p, const char *body)
{
    if (p->fmt != INTEL_AUTO || p->hint != INTEL_AUTO) return;
    if (strstr(body, "Feodo Tracker Botnet C2 IP Blocklist")) p->hint = INTEL_FEODO;
    else if (strstr(body, "ThreatFox IOCs")) p->hint = INTEL_THREATFOX;
}

/* One line that is not blank. */
static int one_line(parser *p, c2_lines *lr, c2_err *err)
{
    char *s = lr->line;
    while (*s == ' ' || *s == '\t') s++;
    if (*s == '#') {
        if (lr->too_long) return 0;
        comment_hint(p, s + 1);
        return try_header(p, s + 1, err) < 0 ? -1 : 0;
    }
    if (lr->too_long) return bad_row(p, "longer than %d bytes", INTEL_LINE_MAX);
    if (memchr(lr->line, '\0', lr->len)) return bad_row(p, "NUL byte");
    int h = try_header(p, s, err);
    if (h != 0) return h < 0 ? -1 : 0;
    p->data_seen = 1;
    if (p->fmt == INTEL_AUTO) {
        /* a banner alone decides only for rows that look like its CSV */
        p->fmt = p->hint != INTEL_AUTO && *s == '"' ? p->hint : INTEL_PLAIN;
        if (p->fmt != INTEL_PLAIN) default_columns(p);
    }
    return p->fmt == INTEL_PLAIN ? plain_row(p, s, err) : csv_row(p, s, err);
}

int intel_parse(FILE *f, const void *mem, size_t len, intel_format fmt,
                uint16_t source, intel_vec *out, intel_stats *st, c2_err *err)
{
    c2_lines *lr = c2_lines_new(f, mem, len, INTEL_LINE_MAX);
    if (!lr) return c2_fail(err, "out of memory");
    parser p = {.fmt = fmt, .hint = INTEL_AUTO, .source = source, .out = out, .st = st};
    if (fmt == INTEL_FEODO || fmt == INTEL_THREATFOX) default_columns(&p);
    int rc;
    while ((rc = c2_lines_next(lr, err)) == 1) {
        st->lines++;
        p.lineno = lr->lineno;
        const char *s = lr->line;
        while (isspace((unsigned char)*s)) s++;
        if (!*s && !lr->too_long && s == lr->line + lr->len) continue;   /* blank */
        if ((rc = one_line(&p, lr, err)) != 0) break;
    }
    st->format = p.fmt == INTEL_AUTO ? INTEL_PLAIN : p.fmt;
    c2_lines_free(lr);
    return rc;
}
