/*
 * table.c: the table writer for summaries (`c2flow stat`, aggregates): a
 * few typed columns, a few rows, printed as CSV, JSON Lines or a table.
 *
 * Rows are kept in memory (summaries are small) so that the human table can
 * size every column to its widest cell and right-align the numbers.  A long
 * result (an aggregate of a million groups) is written in chunks with
 * output_table_flush: the header goes out once, and the human table takes
 * its column widths from the first chunk.  Cells
 * keep their typed value, not text, because each format prints them
 * differently: a byte count is exact in CSV and JSON but "1.2 GiB" in the
 * table, a time is a JSON string, a missing value is empty, null or "-".
 * Mistakes of the caller (a cell of the wrong kind, a short row) are
 * recorded once and reported by output_table_write, so that building a
 * table needs no error check per cell.
 */
#include "output/output.h"
#include "output/output_impl.h"

#include <stdlib.h>

typedef struct cell {
    int null;                       /* no value */
    union {
        char    *s;                 /* OUTPUT_STRING, owned */
        uint64_t u;                 /* OUTPUT_U64, OUTPUT_BYTES */
        int64_t  i;                 /* OUTPUT_INT, OUTPUT_TIME */
    } v;
} cell;

struct output_table {
    size_t         ncols;
    output_column *cols;            /* names owned */
    cell          *cells;           /* row-major, ncells used */
    size_t         ncells, cap;
    size_t         row_start;       /* first cell of the open row */
    int            in_row;
    int            failed;
    c2_err         err;             /* first caller mistake */
    int            header_done;     /* a flush wrote the header */
    size_t        *width;           /* table widths, fixed by the first flush */
};

static const char *kind_name(output_kind k)
{
    switch (k) {
    case OUTPUT_STRING: return "string";
    case OUTPUT_U64: return "u64";
    case OUTPUT_INT: return "int";
    case OUTPUT_TIME: return "time";
    case OUTPUT_BYTES: return "bytes";
    }
    return "?";
}

int output_table_new(const output_column *cols, size_t n, output_table **out,
                     c2_err *err)
{
    *out = NULL;
    if (n == 0) return c2_fail(err, "a table needs a column");
    output_table *t = calloc(1, sizeof *t);
    if (!t || !(t->cols = calloc(n, sizeof *t->cols))) {
        free(t);
        return c2_fail(err, "out of memory");
    }
    for (size_t k = 0; k < n; k++, t->ncols++) {
        t->cols[k].kind = cols[k].kind;
        if (!(t->cols[k].name = strdup(cols[k].name ? cols[k].name : ""))) {
            output_table_free(t);
            return c2_fail(err, "out of memory");
        }
    }
    *out = t;
    return 0;
}

void output_table_free(output_table *t)
{
    if (!t) return;
    for (size_t i = 0; i < t->ncells; i++)
        if (!t->cells[i].null && t->cols[i % t->ncols].kind == OUTPUT_STRING)
            free(t->cells[i].v.s);
    for (size_t k = 0; k < t->ncols; k++) free((char *)t->cols[k].name);
    free(t->width);
    free(t->cells);
    free(t->cols);
    free(t);
}

/* ---- building ---- */

static void table_fail(output_table *t, const char *msg, const char *arg)
{
    if (t->failed) return;
    t->failed = 1;
    c2_fail(&t->err, "table row %zu: %s%s", t->ncells / t->ncols + 1, msg, arg);
}

static int row_complete(const output_table *t)
{
    return !t->in_row || t->ncells - t->row_start == t->ncols;
}

void output_table_row(output_table *t)
{
    if (!row_complete(t)) table_fail(t, "too few cells", "");
    t->row_start = t->ncells;
    t->in_row = 1;
}

/* Why the next cell of kind k (null: any kind) cannot be added, or NULL. */
static const char *cell_problem(const output_table *t, output_kind k, int null,
                                char *msg, size_t len)
{
    size_t col = t->ncells - t->row_start;
    if (!t->in_row) return "cell outside a row";
    if (col >= t->ncols) return "too many cells";
    if (null || t->cols[col].kind == k) return NULL;
    snprintf(msg, len, "column '%s' holds %s, not %s", t->cols[col].name,
             kind_name(t->cols[col].kind), kind_name(k));
    return msg;
}

/* Room for the next cell, or NULL on error (recorded). */
static cell *next_cell(output_table *t, output_kind k, int null)
{
    char msg[C2_ERR_MAX];
    if (t->failed) return NULL;
    const char *problem = cell_problem(t, k, null, msg, sizeof msg);
    if (problem) {
        table_fail(t, problem, "");
        return NULL;
    }
    if (t->ncells == t->cap) {
        size_t cap = t->cap ? 2 * t->cap : 16 * t->ncols;
        cell *c = realloc(t->cells, cap * sizeof *c);
        if (!c) {
            table_fail(t, "out of memory", "");
            return NULL;
        }
        t->cells = c;
        t->cap = cap;
    }
    cell *c = &t->cells[t->ncells];
    memset(c, 0, sizeof *c);
    c->null = null;
    return c;
}

void output_table_addr(output_table *t, const flow_addr *a)
{
    char buf[FLOW_ADDR_STRLEN + 1];
    buf[fmt_addr(buf, a)] = '\0';
    output_table_str(t, buf);
}

void output_table_str(output_table *t, const char *s)
{
    cell *c = next_cell(t, OUTPUT_STRING, 0);
    if (!c) return;
    if (!(c->v.s = strdup(s ? s : ""))) {
        table_fail(t, "out of memory", "");
        return;
    }
    t->ncells++;
}

static void add_number(output_table *t, output_kind k, uint64_t u, int64_t i)
{
    cell *c = next_cell(t, k, 0);
    if (!c) return;
    if (k == OUTPUT_INT || k == OUTPUT_TIME) c->v.i = i;
    else c->v.u = u;
    t->ncells++;
}

void output_table_u64(output_table *t, uint64_t v) { add_number(t, OUTPUT_U64, v, 0); }
void output_table_int(output_table *t, int64_t v) { add_number(t, OUTPUT_INT, 0, v); }
void output_table_time(output_table *t, int64_t ms) { add_number(t, OUTPUT_TIME, 0, ms); }
void output_table_bytes(output_table *t, uint64_t n) { add_number(t, OUTPUT_BYTES, n, 0); }

void output_table_null(output_table *t)
{
    if (next_cell(t, OUTPUT_STRING, 1)) t->ncells++;
}

size_t output_table_rows(const output_table *t)
{
    return t->ncells / t->ncols;
}

/* ---- writing ---- */

/* The text of a cell (not of a JSON null); buf holds at least 64 bytes.
 * tc keeps the last date, so that a long table of times builds each date
 * once. */
static const char *cell_text(const output_table *t, size_t col, const cell *c,
                             output_format fmt, char *buf, time_cache *tc)
{
    if (c->null) return fmt == OUTPUT_TABLE ? "-" : "";
    switch (t->cols[col].kind) {
    case OUTPUT_STRING: return c->v.s;
    case OUTPUT_U64: buf[fmt_u64(buf, c->v.u)] = '\0'; break;
    case OUTPUT_INT: buf[fmt_i64(buf, c->v.i)] = '\0'; break;
    case OUTPUT_TIME: buf[fmt_time(tc, buf, c->v.i)] = '\0'; break;
    case OUTPUT_BYTES:
        if (fmt == OUTPUT_TABLE) return c2_bytes_human(c->v.u, buf, 64);
        buf[fmt_u64(buf, c->v.u)] = '\0';
        break;
    }
    return buf;
}

static void write_csv(const output_table *t, obuf *o)
{
    char buf[64];
    time_cache tc = {0};
    for (size_t k = 0; k < t->ncols && !t->header_done; k++) {
        if (k) obuf_write(o, ",", 1);
        put_csv_field(o, t->cols[k].name);
        if (k + 1 == t->ncols) obuf_write(o, "\n", 1);
    }
    for (size_t i = 0; i < t->ncells; i++) {
        size_t k = i % t->ncols;
        const char *text = cell_text(t, k, &t->cells[i], OUTPUT_CSV, buf, &tc);
        if (t->cols[k].kind == OUTPUT_STRING) put_csv_field(o, text);
        else obuf_write(o, text, strlen(text));     /* numbers need no quoting */
        obuf_write(o, k + 1 == t->ncols ? "\n" : ",", 1);
    }
}

static void write_json(const output_table *t, obuf *o)
{
    char buf[64];
    time_cache tc = {0};
    for (size_t i = 0; i < t->ncells; i++) {
        size_t k = i % t->ncols;
        const cell *c = &t->cells[i];
        obuf_write(o, k ? "," : "{", 1);
        put_json_string(o, t->cols[k].name);
        obuf_write(o, ":", 1);
        output_kind kind = t->cols[k].kind;
        const char *text = c->null ? "null" : cell_text(t, k, c, OUTPUT_JSONL, buf, &tc);
        if (!c->null && (kind == OUTPUT_STRING || kind == OUTPUT_TIME))
            put_json_string(o, text);
        else
            obuf_write(o, text, strlen(text));
        if (k + 1 == t->ncols) obuf_write(o, "}\n", 2);
    }
}

static int right_aligned(output_kind k)
{
    return k == OUTPUT_U64 || k == OUTPUT_INT || k == OUTPUT_BYTES;
}

static void put_spaces(obuf *o, size_t n)
{
    static const char spaces[] = "                                ";
    for (; n > sizeof spaces - 1; n -= sizeof spaces - 1)
        obuf_write(o, spaces, sizeof spaces - 1);
    obuf_write(o, spaces, n);
}

static void put_aligned(obuf *o, const char *text, size_t width, int right,
                        size_t k, size_t ncols)
{
    size_t w = text_width(text), pad = w < width ? width - w : 0;
    if (k) obuf_write(o, "  ", 2);
    if (right) put_spaces(o, pad);
    put_table_text(o, text);
    if (!right && k + 1 < ncols) put_spaces(o, pad);
    if (k + 1 == ncols) obuf_write(o, "\n", 1);
}

/* Column widths: fixed by the first flush, else measured on the rows. */
static size_t *table_widths(const output_table *t)
{
    char buf[64];
    time_cache tc = {0};
    size_t *width = calloc(t->ncols, sizeof *width);
    if (!width) return NULL;
    if (t->width) {
        memcpy(width, t->width, t->ncols * sizeof *width);
        return width;
    }
    for (size_t k = 0; k < t->ncols; k++) width[k] = text_width(t->cols[k].name);
    for (size_t i = 0; i < t->ncells; i++) {
        size_t k = i % t->ncols;
        size_t w = text_width(cell_text(t, k, &t->cells[i], OUTPUT_TABLE, buf, &tc));
        if (w > width[k]) width[k] = w;
    }
    return width;
}

static int write_table(const output_table *t, obuf *o, size_t *width)
{
    char buf[64];
    time_cache tc = {0};
    for (size_t k = 0; k < t->ncols && !t->header_done; k++)
        put_aligned(o, t->cols[k].name, width[k], right_aligned(t->cols[k].kind),
                    k, t->ncols);
    for (size_t i = 0; i < t->ncells; i++) {
        size_t k = i % t->ncols;
        put_aligned(o, cell_text(t, k, &t->cells[i], OUTPUT_TABLE, buf, &tc), width[k],
                    right_aligned(t->cols[k].kind), k, t->ncols);
    }
    return 0;
}

/* Write the buffered rows (and the header, unless a flush wrote it).
 * *widths_out (may be NULL) receives the widths used (caller frees). */
static int write_rows(const output_table *t, FILE *f, output_format fmt,
                      size_t **widths_out, c2_err *err)
{
    if (t->failed) return c2_fail(err, "%s", t->err.msg);
    if (fmt == OUTPUT_LINE) fmt = OUTPUT_TABLE;     /* line is for records */
    if (!row_complete(t))
        return c2_fail(err, "table row %zu: too few cells", t->ncells / t->ncols + 1);
    size_t *width = NULL;
    if (fmt == OUTPUT_TABLE && !(width = table_widths(t)))
        return c2_fail(err, "out of memory");
    obuf o;
    int rc = obuf_init(&o, f, err);
    if (rc == 0) {
        if (fmt == OUTPUT_CSV) write_csv(t, &o);
        else if (fmt == OUTPUT_JSONL) write_json(t, &o);
        else write_table(t, &o, width);
        rc = obuf_finish(&o, err);
        obuf_free(&o);
    }
    if (widths_out && rc == 0) *widths_out = width;
    else free(width);
    return rc;
}

int output_table_flush(output_table *t, FILE *f, output_format fmt, c2_err *err)
{
    size_t *width = NULL;
    if (write_rows(t, f, fmt, &width, err) != 0) return -1;
    if (!t->width) t->width = width;    /* the first flush fixes the widths */
    else free(width);
    t->header_done = 1;
    for (size_t i = 0; i < t->ncells; i++)
        if (!t->cells[i].null && t->cols[i % t->ncols].kind == OUTPUT_STRING)
            free(t->cells[i].v.s);
    t->ncells = t->row_start = 0;
    t->in_row = 0;
    return 0;
}

int output_table_write(const output_table *t, FILE *f, output_format fmt,
                       c2_err *err)
{
    return write_rows(t, f, fmt, NULL, err);
}
