/*
 * import_impl: what the files of src/import/ share and nobody else sees.
 *
 * Not a public header (import.h is): it holds the state of one import in
 * progress (import_run), the per-format line handlers, and the helpers every
 * format uses to split a line, read numbers, ports and times strictly, and
 * turn one bidirectional connection into one or two unidirectional records.
 *
 * Flow of a line: the driver (import.c) numbers it, strips the newline and
 * a '\r', and hands it (NUL-terminated, writable) to the format's handler.
 * The handler either emits a connection, or counts the line as skipped or
 * bad; it returns -1 only for what stops the whole input (no header, sink
 * error).  Records collect in run->batch and go to the sink IMPORT_BATCH at
 * a time, so nothing is allocated per record.
 */
#ifndef C2FLOW_IMPORT_IMPL_H
#define C2FLOW_IMPORT_IMPL_H

#include "import/import.h"

#define IMPORT_MAX_FIELDS 128       /* columns a line may have */
#define IMPORT_MAX_COLS 32          /* columns a format looks up by name */
#define IMPORT_LABEL_MAX 256        /* longest label kept, bytes */
#define IMPORT_MAX_SECONDS 253402300799LL /* 9999-12-31T23:59:59Z */
/* What `--format nfdump` asks nfdump for (with -N -6: plain numbers, whole
 * IPv6 addresses): its csv mode prints the start time to the second only,
 * where a format of our own prints it with milliseconds (nfdump 1.7.1's
 * raw %ter gets the milliseconds wrong, so not the raw times).  The
 * nfdump-csv handler reads the lines by these names: the format less
 * "fmt:" and the '%'s, the same names as nfdump's csv header. */
#define IMPORT_NFDUMP_FMT                                                    \
    "fmt:%ts,%te,%td,%sa,%da,%sp,%dp,%pr,%flg,%stos,%dtos,%ipkt,%ibyt,%opkt,"\
    "%obyt,%in,%out,%sas,%das,%ra,%eng"
/* The first words of nfdump's title line for that format. */
#define IMPORT_NFDUMP_FMT_TITLE "Date first seen"

typedef struct import_run import_run;
typedef int (*import_line_fn)(import_run *r, char *line, size_t len,
                              c2_err *err);

struct import_run {
    import_format  fmt;
    import_line_fn line_fn;         /* the format's handler */
    import_sink_fn sink;
    void          *sink_arg;
    import_labels *labels;          /* NULL: labels ignored */
    import_stats  *stats;
    flow_record   *batch;           /* IMPORT_BATCH records */
    size_t         nbatch;          /* records waiting in batch */
    uint64_t       lineno;          /* 1-based number of the current line */
    int            header_seen;     /* column names known */
    int            trailer;         /* nfdump: inside the Summary block */
    int            padded;          /* nfdump fmt: fields padded with blanks */
    char           sep;             /* field separator */
    int            three_space;     /* zeek: "   " also separates fields */
    size_t         ncols;           /* columns the header named */
    int            col[IMPORT_MAX_COLS]; /* format column -> index, -1 absent */
    char           unset[16];       /* zeek #unset_field ("-") */
    char           empty[16];       /* zeek #empty_field ("(empty)") */
    char          *f[IMPORT_MAX_FIELDS]; /* fields of the current line */
    size_t         nf;              /* fields in f */
};

/* One bidirectional connection as the formats describe it. */
typedef struct import_conn {
    int64_t   start_ms, end_ms;     /* connection start and end */
    flow_addr orig, resp;           /* originator, responder */
    uint16_t  orig_port, resp_port; /* ICMP: 0 and type<<8|code */
    uint8_t   proto;
    uint8_t   fwd_flags, rev_flags; /* TCP flags each way */
    uint8_t   fwd_tos, rev_tos;
    uint64_t  fwd_pkts, fwd_bytes;  /* originator -> responder */
    uint64_t  rev_pkts, rev_bytes;  /* responder -> originator */
    uint32_t  in_if, out_if;        /* forward direction's interfaces */
    uint32_t  src_as, dst_as;       /* forward direction's AS numbers */
    uint32_t  domain;
    flow_addr exporter;             /* all zero when unknown */
    const char *label;              /* NULL or "" = none */
} import_conn;

/* A column a format looks for in the header. */
typedef struct import_colspec {
    const char *name;               /* header name; matched without case */
    int         required;           /* missing => the header is refused */
} import_colspec;

/* ---- per-format line handlers ---- */
int import_zeek_line(import_run *r, char *line, size_t len, c2_err *err);
int import_binetflow_line(import_run *r, char *line, size_t len, c2_err *err);
int import_nfcsv_line(import_run *r, char *line, size_t len, c2_err *err);

/* ---- driver (import.c) ---- */
int  import_run_init(import_run *r, import_format fmt, import_sink_fn sink,
                     void *arg, import_labels *labels, import_stats *stats,
                     c2_err *err);
int  import_run_line(import_run *r, char *line, size_t len, c2_err *err);
int  import_run_finish(import_run *r, c2_err *err);   /* flush, check */
/* Feed every line of f to r: 0 at end of input, -1 on error. */
int  import_run_stream(import_run *r, FILE *f, c2_err *err);
void import_run_free(import_run *r);
/* Spawn nfdump on path and feed its CSV through r (nfdump_run.c). */
int  import_nfdump_run(import_run *r, const char *path, c2_err *err);

/* ---- helpers (fields.c) ---- */
/* Split line in place at r->sep (and "   " runs when r->three_space) into
 * r->f / r->nf; returns 0, or -1 when it has over IMPORT_MAX_FIELDS. */
int  import_split(import_run *r, char *line);
/* Split a data line and check it has the header's column count: 0 ok, -1
 * when the line was counted bad instead. */
int  import_split_row(import_run *r, char *line);
/* Map header names[0..n) onto r->col per spec[0..nspec); -1 with err
 * naming the first required column missing. */
int  import_map_columns(import_run *r, char **names, size_t n,
                        const import_colspec *spec, size_t nspec,
                        c2_err *err);
/* Field of format column c, or NULL when the header lacked it. */
const char *import_field(const import_run *r, int c);
/* Count the current line as bad, keeping the reason; returns 0. */
int  import_bad(import_run *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
int  import_skipped(import_run *r, import_skip why);  /* returns 0 */
/* Strict parsers (surrounding blanks allowed); 0 ok, -1 malformed. */
int  import_u64(const char *s, uint64_t *out);
/* s without its leading and trailing blanks (cut in place). */
char *import_strip(char *s);
int  import_port(const char *s, uint16_t *out);    /* decimal or 0x hex */
int  import_seconds_ms(const char *s, int64_t *out); /* "12.345678" -> ms */
/* "YYYY-MM-DD HH:MM:SS[.frac]" (or '/' in the date), UTC. */
int  import_datetime_ms(const char *s, int64_t *out);
/* Protocol name or number -> IP protocol; -1 unknown, -2 not IP. */
int  import_proto(const char *s);
/* The other type of an ICMP/ICMPv6 request/reply pair (8 <-> 0, ...);
 * -1 for one-way types.  proto is 1 or 58. */
int  import_icmp_counterpart(uint8_t proto, uint8_t type);
/* Port (type<<8|code) of the reverse of type_code: the counterpart type
 * with code 0, or type_code itself for one-way types. */
uint16_t import_icmp_reply(uint8_t proto, uint16_t type_code);
/* Emit c's forward record, and its reverse when rev_pkts > 0; note its
 * label.  Counts the line as a flow.  -1 only on sink or label error. */
int  import_emit(import_run *r, const import_conn *c, c2_err *err);
int  import_flush(import_run *r, c2_err *err);

#endif
