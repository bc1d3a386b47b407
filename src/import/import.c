/*
 * import: the driver that feeds lines of a buffer, a stream or a file to
 * the format handlers, and the small tables (format and skip names).
 *
 * A buffer's line is copied into a NUL-terminated scratch buffer that
 * grows with the longest line seen (never per line); a stream is read in
 * chunks into one buffer of IMPORT_LINE_MAX plus a chunk, so that neither a
 * file of any size nor a line of any length is ever held in memory.  Lines
 * of IMPORT_LINE_MAX bytes or more are bad (the rest of such a line is read
 * past, not kept), and so is a line holding a NUL byte: it cannot come from
 * any of the text formats and would cut the line short unseen.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "import/import_impl.h"

#define IMPORT_LINE_MAX (1u << 20)  /* longer lines are bad, never held whole */

static const char *const format_names[] = {
    [IMPORT_ZEEK] = "zeek", [IMPORT_BINETFLOW] = "binetflow",
    [IMPORT_NFDUMP_CSV] = "nfdump-csv", [IMPORT_NFDUMP] = "nfdump",
};
static const char *const skip_names[IMPORT_SKIP_COUNT] = {
    [IMPORT_SKIP_HEADER] = "header", [IMPORT_SKIP_BLANK] = "blank",
    [IMPORT_SKIP_NON_IP] = "non-ip",
    [IMPORT_SKIP_UNKNOWN_PROTO] = "unknown-proto",
    [IMPORT_SKIP_TRAILER] = "trailer",
};

int import_format_lookup(const char *name)
{
    for (size_t i = 0; i < sizeof format_names / sizeof format_names[0]; i++)
        if (strcmp(name, format_names[i]) == 0)
            return (int)i;
    return -1;
}

const char *import_format_name(import_format f)
{
    return (unsigned)f < sizeof format_names / sizeof format_names[0]
               ? format_names[f] : "?";
}

const char *import_skip_name(import_skip s)
{
    return (unsigned)s < IMPORT_SKIP_COUNT ? skip_names[s] : "?";
}

void import_stats_add(import_stats *total, const import_stats *s)
{
    total->lines += s->lines;
    total->flows += s->flows;
    total->records += s->records;
    total->bad += s->bad;
    for (int i = 0; i < IMPORT_SKIP_COUNT; i++)
        total->skipped[i] += s->skipped[i];
}

int import_run_init(import_run *r, import_format fmt, import_sink_fn sink,
                    void *arg, import_labels *labels, import_stats *stats,
                    c2_err *err)
{
    memset(r, 0, sizeof *r);
    memset(stats, 0, sizeof *stats);
    switch (fmt) {
    case IMPORT_ZEEK: r->line_fn = import_zeek_line; r->sep = '\t'; break;
    case IMPORT_BINETFLOW: r->line_fn = import_binetflow_line; break;
    case IMPORT_NFDUMP_CSV:
    case IMPORT_NFDUMP: r->line_fn = import_nfcsv_line; r->sep = ','; break;
    default: return c2_fail(err, "unknown import format %d", (int)fmt);
    }
    r->fmt = fmt;
    r->sink = sink;
    r->sink_arg = arg;
    r->labels = labels;
    r->stats = stats;
    strcpy(r->unset, "-");
    strcpy(r->empty, "(empty)");
    for (int i = 0; i < IMPORT_MAX_COLS; i++)
        r->col[i] = -1;
    r->batch = malloc(IMPORT_BATCH * sizeof *r->batch);
    if (!r->batch)
        return c2_fail(err, "out of memory");
    return 0;
}

void import_run_free(import_run *r)
{
    free(r->batch);
    r->batch = NULL;
}

int import_run_line(import_run *r, char *line, size_t len, c2_err *err)
{
    r->lineno++;
    r->stats->lines++;
    if (len > 0 && line[len - 1] == '\n')
        line[--len] = '\0';
    if (len > 0 && line[len - 1] == '\r')
        line[--len] = '\0';
    if (memchr(line, '\0', len))
        return import_bad(r, "NUL byte in line");
    if (len >= IMPORT_LINE_MAX)
        return import_bad(r, "line longer than %u bytes", IMPORT_LINE_MAX);
    if (len == 0)
        return import_skipped(r, IMPORT_SKIP_BLANK);
    if (r->line_fn(r, line, len, err) != 0) {
        if (err && strncmp(err->msg, "line ", 5) != 0)
            c2_err_prefix(err, "line %llu", (unsigned long long)r->lineno);
        return -1;
    }
    return 0;
}

int import_run_finish(import_run *r, c2_err *err)
{
    if (import_flush(r, err) != 0)
        return -1;
    if (!r->header_seen)
        return c2_fail(err, "no %s header found",
                       r->fmt == IMPORT_ZEEK ? "#fields" : "column");
    return 0;
}

#define STREAM_CHUNK 65536

/* Lines of a stream, read in chunks; a line is handed out in place,
 * NUL-terminated, without its newline. */
typedef struct line_reader {
    FILE  *f;
    char  *buf;                     /* IMPORT_LINE_MAX + STREAM_CHUNK + 1 */
    size_t start, end;              /* unread bytes */
    int    eof;
} line_reader;

/* Bytes up to the next newline (dropped) or the end of input; 0 at end. */
static int skip_rest_of_line(line_reader *lr)
{
    for (;;) {
        char *nl = memchr(lr->buf + lr->start, '\n', lr->end - lr->start);
        if (nl) {
            lr->start = (size_t)(nl - lr->buf) + 1;
            return 0;
        }
        lr->start = lr->end = 0;
        size_t n = fread(lr->buf, 1, STREAM_CHUNK, lr->f);
        if (n == 0) return 0;
        lr->end = n;
    }
}

/* Next line into *line and *len: 1, or 0 at the end.  A line of
 * IMPORT_LINE_MAX bytes or more is read past, not kept: *line is NULL. */
static int next_line(line_reader *lr, char **line, size_t *len)
{
    for (;;) {
        char *p = lr->buf + lr->start;
        size_t have = lr->end - lr->start;
        char *nl = memchr(p, '\n', have);
        if (nl || (lr->eof && have)) {
            size_t n = nl ? (size_t)(nl - p) : have;
            p[n] = '\0';
            lr->start += n + (nl != NULL);
            *line = p;
            *len = n;
            return 1;
        }
        if (lr->eof) return 0;
        if (have >= IMPORT_LINE_MAX) {
            lr->start = lr->end;
            skip_rest_of_line(lr);
            *line = NULL;
            *len = 0;
            return 1;
        }
        memmove(lr->buf, p, have);
        lr->start = 0;
        lr->end = have;
        size_t n = fread(lr->buf + lr->end, 1, STREAM_CHUNK, lr->f);
        lr->end += n;
        if (n == 0) lr->eof = 1;
    }
}

/* Feed every line of f to r; 0 at end of input, -1 on error. */
int import_run_stream(import_run *r, FILE *f, c2_err *err)
{
    line_reader lr = {.f = f};
    if (!(lr.buf = malloc(IMPORT_LINE_MAX + STREAM_CHUNK + 1)))
        return c2_fail(err, "out of memory");
    char *line;
    size_t n;
    int rc = 0;
    while (rc == 0 && next_line(&lr, &line, &n)) {
        if (line) {
            rc = import_run_line(r, line, n, err);
            continue;
        }
        r->lineno++;
        r->stats->lines++;
        rc = import_bad(r, "line longer than %u bytes", IMPORT_LINE_MAX);
    }
    if (rc == 0 && ferror(f))
        rc = c2_fail_errno(err, "read error");
    free(lr.buf);
    return rc;
}

int import_parse_buffer(import_format fmt, const char *buf, size_t len,
                        import_sink_fn sink, void *arg, import_labels *labels,
                        import_stats *stats, c2_err *err)
{
    import_run r;
    if (fmt == IMPORT_NFDUMP)
        fmt = IMPORT_NFDUMP_CSV;    /* a buffer holds nfdump's text */
    if (import_run_init(&r, fmt, sink, arg, labels, stats, err) != 0)
        return -1;
    char *line = NULL;
    size_t cap = 0, pos = 0;
    int rc = 0;
    while (rc == 0 && pos < len) {
        const char *nl = memchr(buf + pos, '\n', len - pos);
        size_t n = nl ? (size_t)(nl - (buf + pos)) : len - pos;
        size_t keep = n < IMPORT_LINE_MAX ? n : IMPORT_LINE_MAX;
        if (keep + 1 > cap) {
            char *nb = realloc(line, keep + 1);
            if (!nb) { rc = c2_fail(err, "out of memory"); break; }
            line = nb;
            cap = keep + 1;
        }
        memcpy(line, buf + pos, keep);
        line[keep] = '\0';
        rc = import_run_line(&r, line, keep, err);
        pos += n + 1;
    }
    free(line);
    if (rc == 0)
        rc = import_run_finish(&r, err);
    import_run_free(&r);
    return rc;
}

int import_parse_stream(import_format fmt, FILE *f, import_sink_fn sink,
                        void *arg, import_labels *labels,
                        import_stats *stats, c2_err *err)
{
    import_run r;
    if (fmt == IMPORT_NFDUMP)
        fmt = IMPORT_NFDUMP_CSV;
    if (import_run_init(&r, fmt, sink, arg, labels, stats, err) != 0)
        return -1;
    int rc = import_run_stream(&r, f, err);
    if (rc == 0)
        rc = import_run_finish(&r, err);
    import_run_free(&r);
    return rc;
}

int import_file(import_format fmt, const char *path, import_sink_fn sink,
                void *arg, import_labels *labels, import_stats *stats,
                c2_err *err)
{
    int rc;
    if (fmt == IMPORT_NFDUMP) {
        import_run r;
        if (import_run_init(&r, fmt, sink, arg, labels, stats, err) != 0)
            return -1;
        rc = import_nfdump_run(&r, path, err);
        if (rc == 0)
            rc = import_run_finish(&r, err);
        import_run_free(&r);
    } else {
        int is_stdin = strcmp(path, "-") == 0;
        FILE *f = is_stdin ? stdin : fopen(path, "r");
        if (!f) {
            memset(stats, 0, sizeof *stats);
            return c2_fail_errno(err, "%s", path);
        }
        rc = import_parse_stream(fmt, f, sink, arg, labels, stats, err);
        if (!is_stdin)
            fclose(f);
    }
    if (rc != 0 && err)
        c2_err_prefix(err, "%s", path);
    return rc;
}
