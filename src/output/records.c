/*
 * records.c: the record writer: flow_batch columns as CSV, JSON Lines or a
 * human table.
 *
 * Built for millions of rows.  Each row first reserves room for its
 * longest possible text (row_max) in the 256 KiB output buffer, then every
 * cell is formatted straight into the buffer: no allocation, no stdio call
 * and no snprintf per record (a time's date is built once per day).  The
 * per-column text that never changes - the CSV comma, the JSON key and its
 * quotes - is prepared once in rec_col.prefix.
 *
 * The table cannot know its column widths before the rows, and buffering a
 * whole query is out of the question, so widths are set from the header and
 * the first batch (up to SIZE_ROWS rows); a later, wider value (say, the
 * first IPv6 address after only IPv4) pushes the rest of its row right
 * rather than being cut.  Only the table shows protocol names, TCP flag
 * letters and ICMP type.code; CSV and JSON keep the numbers.
 *
 * OUTPUT_LINE is nfdump's `-o line` for people who read that every day:
 * fixed columns (start, duration, proto, source and destination address
 * and port, packets, bytes, flows) at nfdump's widths, counters of a
 * million and more scaled as nfdump scales them ("1.2 M").  Times are UTC.
 */
#include "output/output.h"
#include "output/output_impl.h"

#include <stdlib.h>

#define SIZE_ROWS 10000             /* rows of the first batch sized over */
#define COL_SEP "  "                /* between table columns */

typedef struct rec_col {
    flow_field  field;
    flow_type   type;
    const char *name;               /* flow_field_name() */
    char        prefix[32];         /* text before the value */
    size_t      prefix_len;
    int         quote;              /* JSON string: closing quote after */
    int         right;              /* table: numbers align right */
    size_t      width;              /* table: column width */
} rec_col;

struct output_records {
    obuf          out;
    output_format fmt;
    uint32_t      fields;
    size_t        ncols;
    rec_col       cols[FLOW_FIELD_COUNT];
    size_t        row_max;          /* bytes one row can take, at most */
    int           sized;            /* table: widths set, header written */
    uint64_t      rows;
    time_cache    tc;
    const char   *proto_names[256]; /* table: flow_proto_name, cached */
};


/* ---- cells ---- */

/* The value of one cell as CSV and JSON show it. */
static size_t plain_cell(output_records *w, const rec_col *c, const void *col,
                         size_t i, char *dst)
{
    switch (c->type) {
    case FLOW_T_TIME: return fmt_time(&w->tc, dst, ((const int64_t *)col)[i]);
    case FLOW_T_ADDR: return fmt_addr(dst, (const flow_addr *)col + i);
    case FLOW_T_U64: return fmt_u64(dst, ((const uint64_t *)col)[i]);
    case FLOW_T_U32: return fmt_u64(dst, ((const uint32_t *)col)[i]);
    case FLOW_T_U16: return fmt_u64(dst, ((const uint16_t *)col)[i]);
    case FLOW_T_U8: return fmt_u64(dst, ((const uint8_t *)col)[i]);
    }
    return 0;
}

static int is_icmp(uint8_t proto) { return proto == 1 || proto == 58; }

/* The value of one cell as the table shows it. */
static size_t table_cell(output_records *w, const rec_col *c, const void *col,
                         const flow_batch *b, size_t i, char *dst)
{
    if (c->field == FLOW_PROTO) {
        uint8_t p = ((const uint8_t *)col)[i];
        if (!w->proto_names[p]) return fmt_u64(dst, p);
        size_t n = strlen(w->proto_names[p]);
        memcpy(dst, w->proto_names[p], n);
        return n;
    }
    if (c->field == FLOW_TCP_FLAGS) {
        char flags[9];
        memcpy(dst, flow_tcp_flags_format(((const uint8_t *)col)[i], flags), 8);
        return 8;
    }
    if (c->field == FLOW_DST_PORT && (b->fields & FLOW_BIT(FLOW_PROTO)) &&
        is_icmp(b->proto[i])) {
        uint16_t v = ((const uint16_t *)col)[i];
        size_t n = fmt_u64(dst, v >> 8);
        dst[n++] = '.';
        return n + fmt_u64(dst + n, v & 0xff);
    }
    return plain_cell(w, c, col, i, dst);
}

/* ---- rows ---- */

/* text right-aligned in width columns (never cut) */
static void put_right(obuf *o, const char *text, size_t n, size_t width)
{
    if (n < width) obuf_pad(o, width - n);
    obuf_put(o, text, n);
}

static void put_left(obuf *o, const char *text, size_t n, size_t width)
{
    obuf_put(o, text, n);
    if (n < width) obuf_pad(o, width - n);
}

/* A counter as nfdump prints it: plain below a million, else in tenths of
 * M, G or T (powers of 1000), rounded half up: "1.2 M". */
static size_t fmt_scaled(char *dst, uint64_t v)
{
    static const struct { uint64_t unit; char sym; } units[] = {
        {1000000000000ull, 'T'}, {1000000000ull, 'G'}, {1000000ull, 'M'},
    };
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
        uint64_t u = units[i].unit;
        if (v < u) continue;
        uint64_t tenths = v / (u / 10) + (v % (u / 10) >= u / 20);
        size_t n = fmt_u64(dst, tenths / 10);
        dst[n++] = '.';
        dst[n++] = (char)('0' + tenths % 10);
        dst[n++] = ' ';
        dst[n++] = units[i].sym;
        return n;
    }
    return fmt_u64(dst, v);
}

/* HH:MM:SS.mmm of end - start (0 when end is not after start). */
static size_t fmt_duration(char *dst, int64_t start, int64_t end)
{
    uint64_t ms = end > start ? (uint64_t)end - (uint64_t)start : 0;
    size_t n = fmt_u64(dst, ms / 3600000);
    if (n == 1) {
        dst[1] = dst[0];
        dst[0] = '0';
        n = 2;
    }
    unsigned r = (unsigned)(ms % 3600000);
    char *p = dst + n;
    p[0] = ':';
    p[1] = (char)('0' + r / 600000);
    p[2] = (char)('0' + r / 60000 % 10);
    p[3] = ':';
    p[4] = (char)('0' + r / 10000 % 6);
    p[5] = (char)('0' + r / 1000 % 10);
    p[6] = '.';
    p[7] = (char)('0' + r / 100 % 10);
    p[8] = (char)('0' + r / 10 % 10);
    p[9] = (char)('0' + r % 10);
    return n + 10;
}

/* A port, or type.code of ICMP and ICMPv6 destination ports. */
static size_t fmt_port(char *dst, uint16_t port, int icmp)
{
    if (!icmp) return fmt_u64(dst, port);
    size_t n = fmt_u64(dst, port >> 8);
    dst[n++] = '.';
    return n + fmt_u64(dst + n, port & 0xff);
}

/* An address and its port as nfdump's line shows them: IPv4 a.b.c.d:port;
 * IPv6 addr.port, and shortened to its first and last 7 characters around
 * ".." when longer than 16 ("2001:db..e0:fed5"), as nfdump does. */
static void put_addr_port(obuf *o, const flow_addr *a, uint16_t port, int icmp)
{
    char cell[OUT_CELL_MAX];
    size_t n = fmt_addr(cell, a);
    int v4 = flow_addr_is_v4(a);
    if (!v4 && n > 16) {
        memmove(cell + 9, cell + n - 7, 7);
        cell[7] = cell[8] = '.';
        n = 16;
    }
    put_right(o, cell, n, 16);
    obuf_putc(o, v4 ? ':' : '.');
    put_left(o, cell, fmt_port(cell, port, icmp), 5);
}

static void write_line_header(output_records *w)
{
    static const char h[] =
        "Date first seen                 Duration Proto      Src IP Addr:Port"
        "          Dst IP Addr:Port   Packets    Bytes Flows\n";
    obuf_write(&w->out, h, sizeof h - 1);
}

/* start(23) duration(16) proto(-5) src(16):port(-5) -> dst(16):port(-5)
 * packets(8) bytes(8) flows(5), one space apart, as nfdump's line.  The
 * row fits row_max: each cell is at most OUT_CELL_MAX. */
static void write_line_row(output_records *w, const flow_batch *b, size_t i)
{
    obuf *o = &w->out;
    char cell[OUT_CELL_MAX];
    size_t n;
    obuf_reserve(o, w->row_max);
    n = fmt_time(&w->tc, obuf_tail(o), b->start_ms[i]);
    obuf_tail(o)[n - 14] = ' ';         /* "2026-01-01 00:00:00.000", no Z */
    o->len += n - 1;
    obuf_putc(o, ' ');
    n = fmt_duration(cell, b->start_ms[i], b->end_ms[i]);
    put_right(o, cell, n, 16);
    obuf_putc(o, ' ');
    uint8_t p = b->proto[i];
    if (w->proto_names[p]) put_left(o, w->proto_names[p], strlen(w->proto_names[p]), 5);
    else put_left(o, cell, fmt_u64(cell, p), 5);
    obuf_putc(o, ' ');
    put_addr_port(o, &b->src_addr[i], b->src_port[i], 0);
    obuf_put(o, " -> ", 4);
    put_addr_port(o, &b->dst_addr[i], b->dst_port[i], is_icmp(p));
    obuf_putc(o, ' ');
    put_right(o, cell, fmt_scaled(cell, b->packets[i]), 8);
    obuf_putc(o, ' ');
    put_right(o, cell, fmt_scaled(cell, b->bytes[i]), 8);
    obuf_put(o, "     1\n", 7);
}

static void write_plain_row(output_records *w, const void *const *cols, size_t i)
{
    obuf *o = &w->out;
    obuf_reserve(o, w->row_max);
    for (size_t k = 0; k < w->ncols; k++) {
        const rec_col *c = &w->cols[k];
        obuf_put(o, c->prefix, c->prefix_len);
        o->len += plain_cell(w, c, cols[k], i, obuf_tail(o));
        if (c->quote) obuf_putc(o, '"');
    }
    if (w->fmt == OUTPUT_JSONL) obuf_putc(o, '}');
    obuf_putc(o, '\n');
}

/* One table cell of text n long, padded to its column. */
static void put_table_cell(obuf *o, const rec_col *c, const char *text,
                           size_t n, int first, int last)
{
    size_t pad = n < c->width ? c->width - n : 0;
    if (!first) obuf_put(o, COL_SEP, sizeof COL_SEP - 1);
    if (c->right) obuf_pad(o, pad);
    obuf_put(o, text, n);
    if (!c->right && !last) obuf_pad(o, pad);
}

static void write_table_row(output_records *w, const void *const *cols,
                            const flow_batch *b, size_t i)
{
    obuf *o = &w->out;
    char cell[OUT_CELL_MAX];
    obuf_reserve(o, w->row_max);
    for (size_t k = 0; k < w->ncols; k++) {
        size_t n = table_cell(w, &w->cols[k], cols[k], b, i, cell);
        put_table_cell(o, &w->cols[k], cell, n, k == 0, k + 1 == w->ncols);
    }
    obuf_putc(o, '\n');
}

/* Table: widths from the header and the first rows, then the header. */
static void size_table(output_records *w, const void *const *cols,
                       const flow_batch *b)
{
    char cell[OUT_CELL_MAX];
    size_t rows = b && b->count < SIZE_ROWS ? b->count : (b ? SIZE_ROWS : 0);
    for (size_t k = 0; k < w->ncols; k++) {
        rec_col *c = &w->cols[k];
        c->width = strlen(c->name);
        for (size_t i = 0; i < rows; i++) {
            size_t n = table_cell(w, c, cols[k], b, i, cell);
            if (n > c->width) c->width = n;
        }
    }
    obuf_reserve(&w->out, w->row_max);
    for (size_t k = 0; k < w->ncols; k++)
        put_table_cell(&w->out, &w->cols[k], w->cols[k].name,
                       strlen(w->cols[k].name), k == 0, k + 1 == w->ncols);
    obuf_putc(&w->out, '\n');
    w->sized = 1;
}

/* ---- set-up ---- */

static void setup_column(output_records *w, rec_col *c, flow_field f, int first)
{
    c->field = f;
    c->type = flow_field_type(f);
    c->name = flow_field_name(f);
    int text = c->type == FLOW_T_TIME || c->type == FLOW_T_ADDR;
    c->right = !text && f != FLOW_PROTO && f != FLOW_TCP_FLAGS;
    if (w->fmt == OUTPUT_CSV) {
        snprintf(c->prefix, sizeof c->prefix, "%s", first ? "" : ",");
    } else if (w->fmt == OUTPUT_JSONL) {
        c->quote = text;
        snprintf(c->prefix, sizeof c->prefix, "%s\"%s\":%s", first ? "{" : ",",
                 c->name, text ? "\"" : "");
    }
    c->prefix_len = strlen(c->prefix);
}

static void write_csv_header(output_records *w)
{
    for (size_t k = 0; k < w->ncols; k++) {
        if (k) obuf_write(&w->out, ",", 1);
        obuf_write(&w->out, w->cols[k].name, strlen(w->cols[k].name));
    }
    obuf_write(&w->out, "\n", 1);
}

int output_records_begin(FILE *f, output_format fmt, uint32_t fields,
                         output_records **out, c2_err *err)
{
    flow_field order[FLOW_FIELD_COUNT];
    size_t n = 0;
    for (int fl = 0; fl < FLOW_FIELD_COUNT; fl++)
        if (fields & FLOW_BIT(fl)) order[n++] = (flow_field)fl;
    return output_records_begin_ordered(f, fmt, order, n, out, err);
}

int output_records_begin_ordered(FILE *f, output_format fmt, const flow_field *order,
                                 size_t n, output_records **out, c2_err *err)
{
    *out = NULL;
    flow_field line[FLOW_FIELD_COUNT];
    if (fmt == OUTPUT_LINE) {
        n = 0;
        for (int fl = 0; fl < FLOW_FIELD_COUNT; fl++)
            if (OUTPUT_LINE_FIELDS & FLOW_BIT(fl)) line[n++] = (flow_field)fl;
        order = line;
    }
    uint32_t fields = 0;
    for (size_t k = 0; k < n; k++)
        if ((unsigned)order[k] < FLOW_FIELD_COUNT) fields |= FLOW_BIT(order[k]);
    if (!fields) return c2_fail(err, "no columns to print");
    output_records *w = calloc(1, sizeof *w);
    if (!w) return c2_fail(err, "out of memory");
    if (obuf_init(&w->out, f, err) != 0) {
        free(w);
        return -1;
    }
    w->fmt = fmt;
    w->fields = fields;
    uint32_t placed = 0;
    for (size_t k = 0; k < n; k++) {
        flow_field fl = order[k];
        if ((unsigned)fl >= FLOW_FIELD_COUNT || (placed & FLOW_BIT(fl))) continue;
        placed |= FLOW_BIT(fl);
        setup_column(w, &w->cols[w->ncols], fl, w->ncols == 0);
        w->ncols++;
    }
    w->row_max = w->ncols * (OUT_CELL_MAX + sizeof w->cols[0].prefix + 4) + 4;
    for (int p = 0; p < 256; p++) w->proto_names[p] = flow_proto_name((uint8_t)p);
    if (fmt == OUTPUT_CSV) write_csv_header(w);
    if (fmt == OUTPUT_LINE) {
        w->row_max = 10 * OUT_CELL_MAX;
        write_line_header(w);
    }
    *out = w;
    return 0;
}

/* The columns of b the writer prints, or -1 if b lacks one. */
static int batch_columns(const output_records *w, const flow_batch *b,
                         const void **cols, c2_err *err)
{
    for (size_t k = 0; k < w->ncols; k++) {
        cols[k] = flow_batch_column(b, w->cols[k].field);
        if (!(b->fields & FLOW_BIT(w->cols[k].field)) || !cols[k])
            return c2_fail(err, "batch has no '%s' column", w->cols[k].name);
    }
    return 0;
}

int output_records_batch(output_records *w, const flow_batch *b, c2_err *err)
{
    const void *cols[FLOW_FIELD_COUNT];
    if (batch_columns(w, b, cols, err) != 0) return -1;
    if (w->fmt == OUTPUT_TABLE && !w->sized && b->count) size_table(w, cols, b);
    if (w->fmt == OUTPUT_LINE) {
        for (size_t i = 0; i < b->count; i++) write_line_row(w, b, i);
    } else {
        for (size_t i = 0; i < b->count; i++) {
            if (w->fmt == OUTPUT_TABLE) write_table_row(w, cols, b, i);
            else write_plain_row(w, cols, i);
        }
    }
    w->rows += b->count;
    if (w->out.error) return obuf_finish(&w->out, err);
    return 0;
}

int output_records_end(output_records *w, uint64_t *rows, c2_err *err)
{
    if (w->fmt == OUTPUT_TABLE && !w->sized) size_table(w, NULL, NULL);
    int rc = obuf_finish(&w->out, err);
    if (rows) *rows = w->rows;
    obuf_free(&w->out);
    free(w);
    return rc;
}
