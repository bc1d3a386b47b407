/*
 * read.c: CSV and JSON Lines into a list, strictly, all or nothing.
 *
 * Input comes in fixed chunks (from a stream or from memory through the
 * same code) and is cut into lines of at most C2LIST_LINE_MAX bytes copied
 * into one buffer, so memory does not grow with line length; a longer line
 * is an error.  A UTF-8 byte order mark at the start, '\r' before '\n' and
 * lines of blanks are accepted in both forms.  The first non-blank byte
 * chooses the form: '{' is JSON Lines, anything else CSV, whose first
 * non-blank line must then be the header.
 *
 * Strictness is the privacy promise at work: a column or key the schema
 * does not name is an error, not ignored, so nothing but the schema's
 * fields can travel inside a list.  The first error stops the read, the
 * half-built list is freed, and the message names the line.
 */
#include <ctype.h>
#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "c2list/c2list.h"

#define MAX_CSV_FIELDS 64

/* ---- lines ---- */

static int is_blank(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (!isspace((unsigned char)s[i])) return 0;
    return 1;
}

/* ---- the schema ---- */

typedef enum col {
    COL_IP, COL_PORT, COL_PROTO, COL_FIRST, COL_LAST, COL_SCORE, COL_METHOD,
    COL_GROUP, COL_INFECTED, COL_CLIENTS, COL_DAYS, COL_CATEGORY, NCOLS
} col;

static const char *const col_names[NCOLS] = {
    "ip", "port", "proto", "first_seen", "last_seen", "score", "method",
    "group", "infected_clients", "clients", "days_seen", "category",
};

static int col_lookup(const char *name)
{
    for (int c = 0; c < NCOLS; c++)
        if (!strcmp(col_names[c], name)) return c;
    return -1;
}

static int col_required(int c)
{
    return c == COL_IP || c == COL_PORT || c == COL_PROTO;
}

static int col_numeric(int c)
{
    return c == COL_PORT || (c >= COL_GROUP && c <= COL_DAYS);
}

/* A bad value, quoted safely (at most 40 bytes, unprintables as '?'). */
static int bad_value(c2_err *err, int c, const char *s, const char *why)
{
    char shown[48];
    size_t i = 0;
    for (; s[i] && i < 40; i++)
        shown[i] = isprint((unsigned char)s[i]) ? s[i] : '?';
    shown[i] = '\0';
    return c2_fail(err, "%s '%s'%s %s", col_names[c], shown, s[i] ? "..." : "", why);
}

static int parse_score(const char *s, double *out)
{
    size_t i = 0, digits = 0;
    while (isdigit((unsigned char)s[i])) { i++; digits++; }
    if (s[i] == '.')
        for (i++; isdigit((unsigned char)s[i]); i++) digits++;
    if (s[i] || !digits || i > 32) return -1;
    *out = strtod(s, NULL);
    return 0;
}

/* Set column c of e from non-empty text s. */
static int set_text(c2_entry *e, int c, const char *s, c2_err *err)
{
    uint64_t v;
    switch (c) {
    case COL_IP:
        if (flow_addr_parse(s, &e->ip) != 0) return bad_value(err, c, s, "is not an IP address");
        return 0;
    case COL_PORT:
        if (c2_u64_parse(s, 65535, &v) != 0)
            return bad_value(err, c, s, s[strspn(s, "0123456789")] ? "is not a number"
                                                                   : "out of range (0-65535)");
        e->port = (uint16_t)v;
        return 0;
    case COL_PROTO: {
        int p = c2list_proto_parse(s);
        if (p < 0) return bad_value(err, c, s, "is not a protocol name or number 0-255");
        e->proto = (uint8_t)p;
        return 0;
    }
    case COL_FIRST:
    case COL_LAST: {
        int64_t *t = c == COL_FIRST ? &e->first_seen : &e->last_seen;
        if (c2list_time_parse(s, t) != 0)
            return bad_value(err, c, s, "is not a UTC time in 1970-9999 (2026-01-05T00:00:00Z)");
        return 0;
    }
    case COL_SCORE:
        if (parse_score(s, &e->score) != 0 || e->score > 100.0)
            return bad_value(err, c, s, "is not a number 0-100");
        return 0;
    case COL_METHOD:
        if (strlen(s) >= sizeof e->method) return bad_value(err, c, s, "is too long");
        strcpy(e->method, s);
        return 0;
    case COL_CATEGORY:              /* its characters: c2list_add checks them */
        if (strlen(s) >= sizeof e->category) return bad_value(err, c, s, "is too long");
        strcpy(e->category, s);
        return 0;
    default: {
        uint32_t *n = c == COL_GROUP ? &e->group : c == COL_INFECTED ? &e->infected_clients
                    : c == COL_CLIENTS ? &e->clients : &e->days_seen;
        if (c2_u64_parse(s, UINT32_MAX, &v) != 0)
            return bad_value(err, c, s, "is not a number 0-4294967295");
        *n = (uint32_t)v;
        return 0;
    }
    }
}

/* ---- CSV ---- */

typedef struct reader {
    c2_lines *lr;
    c2list      *list;
    size_t       max_rows;
    int          ncols;             /* CSV: columns of the header */
    int          col[MAX_CSV_FIELDS]; /* CSV: field index -> col */
} reader;

static int csv_header(reader *rd, c2_err *err)
{
    char *f[MAX_CSV_FIELDS];
    int n = c2_csv_split(rd->lr->line, f, MAX_CSV_FIELDS, err), seen[NCOLS] = {0};
    if (n < 0) return -1;
    for (int i = 0; i < n; i++) {
        int c = col_lookup(f[i]);
        if (c < 0) return c2_fail(err, "unknown column '%.40s' (see docs/c2list.md)", f[i]);
        if (seen[c]++) return c2_fail(err, "column '%s' twice", f[i]);
        rd->col[i] = c;
    }
    for (int c = 0; c < NCOLS; c++)
        if (col_required(c) && !seen[c]) return c2_fail(err, "no '%s' column", col_names[c]);
    rd->ncols = n;
    return 0;
}

static int add_row(reader *rd, const c2_entry *e, c2_err *err)
{
    if (c2list_count(rd->list) >= rd->max_rows)
        return c2_fail(err, "more than %zu rows", rd->max_rows);
    return c2list_add(rd->list, e, err);
}

static int csv_row(reader *rd, c2_err *err)
{
    char *f[MAX_CSV_FIELDS];
    int n = c2_csv_split(rd->lr->line, f, MAX_CSV_FIELDS, err);
    if (n < 0) return -1;
    if (n != rd->ncols) return c2_fail(err, "%d fields, the header has %d", n, rd->ncols);
    c2_entry e;
    c2_entry_init(&e);
    for (int i = 0; i < n; i++) {
        int c = rd->col[i];
        if (!f[i][0]) {
            if (col_required(c)) return c2_fail(err, "%s is empty", col_names[c]);
            continue;
        }
        if (set_text(&e, c, f[i], err) != 0) return -1;
    }
    return add_row(rd, &e, err);
}

/* ---- JSON Lines ---- */

static int json_field(c2_entry *e, int c, json_t *v, c2_err *err)
{
    int numeric = col_numeric(c);
    if (json_is_null(v)) {
        if (col_required(c)) return c2_fail(err, "%s is null", col_names[c]);
        return 0;
    }
    if (c == COL_SCORE) {
        if (!json_is_number(v)) return c2_fail(err, "score must be a number");
        e->score = json_number_value(v);
        if (!(e->score >= 0 && e->score <= 100))
            return c2_fail(err, "score %g not in 0-100", e->score);
        return 0;
    }
    if (json_is_integer(v) && (numeric || c == COL_PROTO)) {
        json_int_t n = json_integer_value(v);
        if (n < 0) return c2_fail(err, "%s %lld is negative", col_names[c], (long long)n);
        char text[32];
        snprintf(text, sizeof text, "%lld", (long long)n);
        return set_text(e, c, text, err);
    }
    if (json_is_string(v) && !numeric) {
        if (!json_string_value(v)[0]) {
            if (col_required(c)) return c2_fail(err, "%s is empty", col_names[c]);
            return 0;
        }
        return set_text(e, c, json_string_value(v), err);
    }
    return c2_fail(err, "%s must be %s", col_names[c],
                   numeric ? "an integer" : c == COL_PROTO ? "a name or number" : "a string");
}

static int json_row(reader *rd, c2_err *err)
{
    json_error_t je;
    json_t *o = json_loadb(rd->lr->line, rd->lr->len, JSON_REJECT_DUPLICATES, &je);
    if (!o) return c2_fail(err, "bad JSON: %s", je.text);
    c2_entry e;
    c2_entry_init(&e);
    int seen[NCOLS] = {0}, rc = 0;
    const char *key;
    json_t *v;
    if (!json_is_object(o)) rc = c2_fail(err, "not a JSON object");
    json_object_foreach(o, key, v) {
        if (rc != 0) break;
        int c = col_lookup(key);
        if (c < 0)
            rc = c2_fail(err, "unknown key '%.40s' (see docs/c2list.md)", key);
        else if (json_field(&e, c, v, err) != 0)
            rc = -1;
        else
            seen[c] = 1;
    }
    for (int c = 0; rc == 0 && c < NCOLS; c++)
        if (col_required(c) && !seen[c]) rc = c2_fail(err, "no '%s' key", col_names[c]);
    json_decref(o);
    return rc == 0 ? add_row(rd, &e, err) : -1;
}

/* ---- driver ---- */

static int read_lines(reader *rd, c2_err *err)
{
    int form = -1, rc;                     /* -1 unknown, else c2list_format */
    c2_lines *lr = rd->lr;
    while ((rc = c2_lines_next(lr, err)) == 1) {
        if (lr->too_long) return c2_fail(err, "line %llu: longer than %d bytes",
                                         (unsigned long long)lr->lineno, C2LIST_LINE_MAX);
        if (memchr(lr->line, '\0', lr->len))
            return c2_fail(err, "line %llu: NUL byte", (unsigned long long)lr->lineno);
        if (is_blank(lr->line, lr->len)) continue;
        int r;
        if (form < 0) {
            const char *p = lr->line;
            while (isspace((unsigned char)*p)) p++;
            form = *p == '{' ? C2LIST_JSONL : C2LIST_CSV;
            r = form == C2LIST_JSONL ? json_row(rd, err) : csv_header(rd, err);
        } else {
            r = form == C2LIST_JSONL ? json_row(rd, err) : csv_row(rd, err);
        }
        if (r != 0) {
            c2_err_prefix(err, "line %llu", (unsigned long long)lr->lineno);
            return -1;
        }
    }
    return rc;
}

static int read_any(FILE *f, const void *mem, size_t len, size_t max_rows,
                    c2list **out, c2_err *err)
{
    *out = NULL;
    reader rd = {.max_rows = max_rows ? max_rows : C2LIST_MAX_ROWS};
    rd.lr = c2_lines_new(f, mem, len, C2LIST_LINE_MAX);
    rd.list = c2list_new();
    if (!rd.lr || !rd.list) {
        c2_lines_free(rd.lr);
        c2list_free(rd.list);
        return c2_fail(err, "out of memory");
    }
    int rc = read_lines(&rd, err);
    c2_lines_free(rd.lr);
    if (rc != 0) {
        c2list_free(rd.list);
        /* keys, columns and jansson's messages quote input: keep one line */
        for (char *p = err ? err->msg : NULL; p && *p; p++)
            if (!isprint((unsigned char)*p)) *p = '?';
        return -1;
    }
    *out = rd.list;
    return 0;
}

int c2list_read_mem(const void *buf, size_t len, size_t max_rows, c2list **out,
                    c2_err *err)
{
    return read_any(NULL, buf, len, max_rows, out, err);
}

int c2list_read_stream(FILE *f, const char *name, size_t max_rows, c2list **out,
                       c2_err *err)
{
    if (read_any(f, NULL, 0, max_rows, out, err) != 0) {
        c2_err_prefix(err, "%s", name);
        return -1;
    }
    return 0;
}

int c2list_read_file(const char *path, size_t max_rows, c2list **out, c2_err *err)
{
    *out = NULL;
    if (!strcmp(path, "-")) return c2list_read_stream(stdin, "stdin", max_rows, out, err);
    FILE *f = fopen(path, "rb");
    if (!f) return c2_fail_errno(err, "%s", path);
    int rc = c2list_read_stream(f, path, max_rows, out, err);
    fclose(f);
    return rc;
}

/* ---- telling a list from other files ---- */

#define SNIFF_FIELDS 64

/* 1 if a C2 list's header: a JSON object, or CSV fields naming ip, port
 * and proto.  line is changed. */
static int list_header(char *line)
{
    if (*line == '{') return 1;
    char *f[SNIFF_FIELDS];
    int n = c2_csv_split(line, f, SNIFF_FIELDS, NULL), seen = 0;
    for (int i = 0; i < n; i++) {
        if (!strcmp(f[i], "ip")) seen |= 1;
        else if (!strcmp(f[i], "port")) seen |= 2;
        else if (!strcmp(f[i], "proto")) seen |= 4;
    }
    return seen == 7;
}

int c2list_sniff(FILE *f, const void *mem, size_t len, c2_err *err)
{
    c2_lines *lr = c2_lines_new(f, mem, len, C2LIST_LINE_MAX);
    if (!lr) return c2_fail(err, "out of memory");
    int rc;
    while ((rc = c2_lines_next(lr, err)) == 1) {
        char *s = lr->line;
        while (isspace((unsigned char)*s)) s++;
        if (*s || lr->too_long) {
            rc = list_header(s);
            break;
        }
    }
    c2_lines_free(lr);
    return rc;
}
