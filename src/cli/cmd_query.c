/*
 * cmd_query.c: `c2flow query`, the records of a time range, filtered,
 * printed, counted or aggregated.
 *
 * One scan serves every mode: the filter says which columns it needs and
 * which segments and blocks cannot match (they are never read); the mode
 * adds its own columns (printing: --fields; aggregation: keys and
 * counters; counting: none).  Rows are selected in place in the scan's
 * batch, so nothing is copied per record.
 */
#include <errno.h>
#include <getopt.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "aggregate/aggregate.h"
#include "cli/cli.h"
#include "filter/filter.h"
#include "output/output.h"
#include "store/store.h"

static const char *const query_help =
    "usage: c2flow query --store DIR [--from TIME] [--to TIME] [FILTER] [options]\n"
    "\n"
    "Print, count or aggregate the flow records whose start time is in\n"
    "[--from, --to) and that match FILTER (nfdump syntax, docs/filter.md),\n"
    "e.g. 'dst port 23 and proto tcp' or 'ip in @c2-list.txt'.\n"
    "\n"
    "  --from TIME           first start time (default: the beginning)\n"
    "  --to TIME             end of the range, exclusive (default: no end)\n"
    "                        TIME: 2026-11-22T03:04:05Z, 2026-11-22, epoch\n"
    "                        seconds, now, now-2h\n"
    "  -f, --filter FILTER   the filter (or give it as the last arguments)\n"
    "  --filter-file FILE    read the filter from FILE (nfdump -f)\n"
    "  -o, --output FMT      table (default), csv, json (JSON Lines), or\n"
    "                        line: records as nfdump -o line prints them\n"
    "  --fields LIST         record columns to print, comma-separated, in that\n"
    "                        order (default all): start,end,exporter,domain,\n"
    "                        in_if,out_if,src_ip,dst_ip,src_port,dst_port,proto,\n"
    "                        tcp_flags,tos,packets,bytes,sampling,src_as,dst_as\n"
    "  -n, --limit N         records: stop after N; -s: top N (default 10);\n"
    "                        -A: print the first N groups\n"
    "  --count               print only the number of matching records\n"
    "\n"
    "aggregation (docs/query.md):\n"
    "  -A, --aggregate KEYS  group by keys: srcip, dstip/24, dstport, proto, ...\n"
    "  -s, --stat FIELD[/ORDER]  top N of one field (nfdump -s), ORDER one of\n"
    "                        flows (default), packets, bytes, first, last\n"
    "  --order ORDER         order of -A groups: flows (default), packets,\n"
    "                        bytes, distinct, first, last, key\n"
    "  --asc                 ascending order\n"
    "  --bin DUR             group also by time bins of the start (5m, 1h, 1d)\n"
    "  --distinct FIELD      per group, the number of distinct FIELD values\n"
    "  --memory SIZE         memory for groups before spilling to disk\n"
    "                        ([query] memory, 1G)\n"
    "\n"
    "  --threads N           threads decoding blocks (default: one per CPU,\n"
    "                        at most 4; 0: none besides the main one)\n"
    "  --stats               report what was read and skipped on stderr\n"
    CLI_STORE_HELP
    "  -h, --help            this text\n"
    "\n"
    "Exit status: 0 ok, 1 failure (including damaged blocks, which are\n"
    "reported and skipped), 2 usage (a filter error shows where).\n"
    "See docs/query.md.\n";

enum {
    OPT_FROM = CLI_OPT_FIRST_COMMAND_OPT, OPT_TO, OPT_FIELDS, OPT_STATS, OPT_COUNT,
    OPT_FILTER_FILE, OPT_ORDER, OPT_ASC, OPT_BIN, OPT_DISTINCT, OPT_MEMORY, OPT_THREADS
};

typedef struct query_args {
    cli_store_args store;
    const char *from, *to, *format, *fields, *filter, *filter_file;
    const char *aggregate, *stat, *order, *bin, *distinct, *memory;
    char       *words;              /* positional filter words, joined */
    uint64_t    limit, threads;
    int         limit_set, threads_set, stats, count, ascending;
} query_args;

/* ---- arguments ---- */

/* The fields of a --fields list as a mask and, in the order given, in
 * order[*n] (room for FLOW_FIELD_COUNT; a field named twice counts once). */
static int parse_fields(const char *list, uint32_t *mask, flow_field *order, size_t *n)
{
    char *copy = strdup(list), *save = NULL;
    int rc = 0;
    *mask = 0;
    *n = 0;
    if (!copy) return -1;
    for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        int f = flow_field_lookup(tok);
        if (f < 0) { rc = -1; break; }
        if (!(*mask & FLOW_BIT(f))) order[(*n)++] = (flow_field)f;
        *mask |= FLOW_BIT(f);
    }
    free(copy);
    return rc == 0 && *mask ? 0 : -1;
}

static char *join_words(int n, char **words)
{
    size_t len = 1;
    for (int i = 0; i < n; i++) len += strlen(words[i]) + 1;
    char *s = calloc(1, len);
    if (!s) return NULL;
    for (int i = 0; i < n; i++) {
        if (i) strcat(s, " ");
        strcat(s, words[i]);
    }
    return s;
}

static int set_option(query_args *a, int c, const char *arg)
{
    switch (c) {
    case OPT_FROM: a->from = arg; break;
    case OPT_TO: a->to = arg; break;
    case 'o': a->format = arg; break;
    case OPT_FIELDS: a->fields = arg; break;
    case 'f': a->filter = arg; break;
    case OPT_FILTER_FILE: a->filter_file = arg; break;
    case 'A': a->aggregate = arg; break;
    case 's': a->stat = arg; break;
    case OPT_ORDER: a->order = arg; break;
    case OPT_ASC: a->ascending = 1; break;
    case OPT_BIN: a->bin = arg; break;
    case OPT_DISTINCT: a->distinct = arg; break;
    case OPT_MEMORY: a->memory = arg; break;
    case OPT_STATS: a->stats = 1; break;
    case OPT_COUNT: a->count = 1; break;
    case OPT_THREADS:
        if (c2_u64_parse(arg, 64, &a->threads) != 0)
            return cli_usage("query", "--threads: expected a number from 0 to 64");
        a->threads_set = 1;
        break;
    case 'n':
        if (c2_u64_parse(arg, UINT64_MAX, &a->limit) != 0)
            return cli_usage("query", "--limit: '%s' is not a number", arg);
        a->limit_set = 1;
        break;
    default: return cli_usage("query", "unknown option");
    }
    return CLI_OK;
}

/* CLI_OK, CLI_USAGE, or -1 after --help. */
static int parse_args(int argc, char **argv, query_args *a)
{
    static const struct option opts[] = {
        CLI_STORE_LONGOPTS,
        {"from", required_argument, 0, OPT_FROM},
        {"to", required_argument, 0, OPT_TO},
        {"output", required_argument, 0, 'o'},
        {"fields", required_argument, 0, OPT_FIELDS},
        {"limit", required_argument, 0, 'n'},
        {"filter", required_argument, 0, 'f'},
        {"filter-file", required_argument, 0, OPT_FILTER_FILE},
        {"aggregate", required_argument, 0, 'A'},
        {"stat", required_argument, 0, 's'},
        {"order", required_argument, 0, OPT_ORDER},
        {"asc", no_argument, 0, OPT_ASC},
        {"bin", required_argument, 0, OPT_BIN},
        {"distinct", required_argument, 0, OPT_DISTINCT},
        {"memory", required_argument, 0, OPT_MEMORY},
        {"count", no_argument, 0, OPT_COUNT},
        {"stats", no_argument, 0, OPT_STATS},
        {"threads", required_argument, 0, OPT_THREADS},
        {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0},
    };
    int c, rc;
    a->format = "table";
    while ((c = getopt_long(argc, argv, "o:n:f:A:s:h", opts, NULL)) != -1) {
        if (cli_store_option(&a->store, c, optarg)) continue;
        if (c == 'h') {
            fputs(query_help, stdout);
            return -1;
        }
        if ((rc = set_option(a, c, optarg)) != CLI_OK) return rc;
    }
    if (optind < argc && !(a->words = join_words(argc - optind, argv + optind)))
        return cli_usage("query", "out of memory");
    int sources = !!a->filter + !!a->filter_file + !!a->words;
    if (sources > 1)
        return cli_usage("query", "give the filter once: -f, --filter-file or "
                         "as arguments");
    if (a->aggregate && a->stat)
        return cli_usage("query", "-A and -s do not combine; order -A groups "
                         "with --order");
    if (a->count && (a->aggregate || a->stat))
        return cli_usage("query", "--count does not combine with -A or -s");
    return CLI_OK;
}

/* ---- the filter ---- */

static char *read_text_file(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f) return NULL;
    char *text = NULL;
    size_t cap = 0, len = 0, n;
    char chunk[4096];
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) {
        if (len + n + 1 > cap) {
            cap = (len + n + 1) * 2;
            char *t = realloc(text, cap);
            if (!t) { free(text); fclose(f); return NULL; }
            text = t;
        }
        memcpy(text + len, chunk, n);
        len += n;
    }
    fclose(f);
    if (!text && !(text = calloc(1, 1))) return NULL;
    text[len] = '\0';         /* lines and '#' comments are the lexer's job */
    return text;
}

/* Compile the filter, if any; prints its own errors. */
static int compile_filter(const query_args *a, filter **out)
{
    char *text = NULL, *dir = NULL;
    const char *src = a->filter ? a->filter : a->words;
    *out = NULL;
    if (a->filter_file) {
        if (!(text = read_text_file(a->filter_file))) {
            cli_error("query", "--filter-file %s: %s", a->filter_file, strerror(errno));
            return CLI_FAIL;
        }
        char *copy = strdup(a->filter_file);
        dir = copy ? strdup(dirname(copy)) : NULL;
        free(copy);
        src = text;
    }
    if (!src) return CLI_OK;
    filter_error ferr;
    int rc = CLI_OK;
    if (filter_compile(src, dir, out, &ferr) != 0) {
        char buf[4096];
        fprintf(stderr, "c2flow query: bad filter:\n%s\n",
                filter_error_format(src, &ferr, buf, sizeof buf));
        rc = CLI_USAGE;
    }
    free(text);
    free(dir);
    return rc;
}

/* ---- the scan ---- */

/* The scan's range and columns, the output format, and the record columns
 * to print in order (cols[*ncols]: --fields, else all in schema order). */
static int build_spec(const query_args *a, store_scan_spec *spec, output_format *fmt,
                      flow_field *cols, size_t *ncols)
{
    c2_err err;
    int64_t now = c2_now_ms();
    memset(spec, 0, sizeof *spec);
    spec->from_ms = C2_TIME_MIN;
    spec->to_ms = C2_TIME_MAX;
    spec->fields = FLOW_ALL_FIELDS;
    if (a->from && c2_time_parse(a->from, now, &spec->from_ms, &err) != 0)
        return cli_usage("query", "--from: %s", err.msg);
    if (a->to && c2_time_parse(a->to, now, &spec->to_ms, &err) != 0)
        return cli_usage("query", "--to: %s", err.msg);
    if (spec->from_ms >= spec->to_ms)
        return cli_usage("query", "--from must be before --to");
    *ncols = 0;
    for (int fl = 0; fl < FLOW_FIELD_COUNT; fl++) cols[(*ncols)++] = (flow_field)fl;
    if (a->fields && parse_fields(a->fields, &spec->fields, cols, ncols) != 0)
        return cli_usage("query", "--fields: unknown field in '%s'", a->fields);
    int f = !strcmp(a->format, "line") ? (int)OUTPUT_LINE : output_format_lookup(a->format);
    if (f < 0) return cli_usage("query", "-o: unknown format '%s'", a->format);
    *fmt = (output_format)f;
    if (f == OUTPUT_LINE) {
        if (a->fields) return cli_usage("query", "--fields does not combine with -o line");
        spec->fields = OUTPUT_LINE_FIELDS;
    }
    return CLI_OK;
}

static void print_stats(const store_scan *sc)
{
    store_scan_stats st;
    store_scan_get_stats(sc, &st);
    fprintf(stderr, "c2flow query: %llu records matched; segments %llu (%llu pruned); "
            "blocks %llu (%llu pruned, %llu damaged); %llu bytes read\n",
            (unsigned long long)st.records, (unsigned long long)st.segments,
            (unsigned long long)st.segments_pruned, (unsigned long long)st.blocks,
            (unsigned long long)st.blocks_pruned, (unsigned long long)st.blocks_damaged,
            (unsigned long long)st.bytes_read);
}

/* What each mode does with a batch of matching rows (the scan applies the
 * filter: see prepare_mode). */
typedef struct query_sink {
    int (*batch)(struct query_sink *q, flow_batch *b, c2_err *err);
    output_records *records;
    aggregate      *agg;
    uint64_t        limit, done;    /* records printed or counted */
} query_sink;

static int sink_records(query_sink *q, flow_batch *b, c2_err *err)
{
    if (q->limit && q->done + b->count > q->limit) b->count = (size_t)(q->limit - q->done);
    q->done += b->count;
    return output_records_batch(q->records, b, err);
}

static int sink_count(query_sink *q, flow_batch *b, c2_err *err)
{
    (void)err;
    q->done += b->count;
    return 0;
}

static int sink_aggregate(query_sink *q, flow_batch *b, c2_err *err)
{
    return agg_add(q->agg, b, NULL, err);
}

/* Stream the scan into the sink; CLI_OK, or CLI_FAIL after damage. */
static int run_scan(store_scan *sc, query_sink *q)
{
    flow_batch *b;
    int status = CLI_OK, rc;
    c2_err err;
    while ((rc = store_scan_next(sc, &b, &err)) != 0) {
        if (rc < 0) {
            cli_error("query", "%s (skipped)", err.msg);
            status = CLI_FAIL;
            continue;
        }
        if (q->batch(q, b, &err) != 0) {
            cli_error("query", "%s", err.msg);
            return CLI_FAIL;
        }
        if (q->limit && q->done >= q->limit && q->batch == sink_records) break;
    }
    return status;
}

/* ---- aggregation ---- */

static const char *const order_names[] = {
    [AGG_BY_FLOWS] = "flows", [AGG_BY_PACKETS] = "packets", [AGG_BY_BYTES] = "bytes",
    [AGG_BY_DISTINCT] = "distinct", [AGG_BY_FIRST] = "first", [AGG_BY_LAST] = "last",
    [AGG_BY_KEY] = "key",
};

static int build_agg_spec(const query_args *a, const c2_config *cfg, agg_spec *spec)
{
    c2_err err;
    memset(spec, 0, sizeof *spec);
    spec->memory_budget = cfg->query_memory;
    if (a->stat) {
        if (agg_parse_stat(a->stat, spec, &err) != 0)
            return cli_usage("query", "%s", err.msg);
        spec->limit = a->limit_set ? a->limit : 10;
    } else {
        if (agg_parse_keys(a->aggregate, spec, &err) != 0)
            return cli_usage("query", "%s", err.msg);
        spec->limit = a->limit;
    }
    if (a->order) {
        size_t i;
        for (i = 0; i < sizeof order_names / sizeof order_names[0]; i++)
            if (!strcmp(a->order, order_names[i])) break;
        if (i == sizeof order_names / sizeof order_names[0])
            return cli_usage("query", "--order: unknown order '%s'", a->order);
        spec->order = (agg_order)i;
    }
    if (a->ascending) spec->direction = +1;
    if (a->bin && agg_parse_bin(a->bin, spec, &err) != 0)
        return cli_usage("query", "%s", err.msg);
    if (a->distinct && agg_parse_distinct(a->distinct, spec, &err) != 0)
        return cli_usage("query", "%s", err.msg);
    if (a->memory && (c2_size_parse(a->memory, &spec->memory_budget, &err) != 0 ||
                      spec->memory_budget < (1u << 20)))
        return cli_usage("query", "--memory: expected a size of at least 1M");
    if (spec->order == AGG_BY_DISTINCT && !spec->distinct)
        return cli_usage("query", "--order distinct needs --distinct FIELD");
    return CLI_OK;
}

typedef struct agg_printer {
    const agg_spec *spec;
    output_table   *table;
    output_format   fmt;
    c2_err          err;
    int             failed;
} agg_printer;

/* Rows go out in chunks: a million groups are not held twice. */
static int print_agg_row(const agg_row *row, void *arg)
{
    agg_printer *p = arg;
    agg_table_add(p->table, p->spec, row);
    if (output_table_rows(p->table) >= 8192 &&
        output_table_flush(p->table, stdout, p->fmt, &p->err) != 0) {
        p->failed = 1;
        return -1;
    }
    return 0;
}

static int finish_aggregate(aggregate *agg, const agg_spec *spec, output_format fmt,
                            int stats)
{
    agg_printer p = {.spec = spec, .fmt = fmt};
    c2_err err;
    if (agg_table_new(spec, &p.table, &err) != 0) {
        cli_error("query", "%s", err.msg);
        return CLI_FAIL;
    }
    int rc = agg_finish(agg, print_agg_row, &p, &err);
    if (rc != 0 && p.failed) err = p.err;
    if (rc == 0) rc = output_table_write(p.table, stdout, fmt, &err);
    if (rc == 0 && fflush(stdout) != 0) rc = c2_fail_errno(&err, "stdout");
    output_table_free(p.table);
    if (rc != 0) {
        cli_error("query", "%s", err.msg);
        return CLI_FAIL;
    }
    if (stats) {
        agg_stats st;
        agg_get_stats(agg, &st);
        fprintf(stderr, "c2flow query: %llu groups from %llu records; peak %llu bytes "
                "of groups; %llu bytes spilled\n", (unsigned long long)st.groups,
                (unsigned long long)st.records, (unsigned long long)st.peak_bytes,
                (unsigned long long)st.spilled_bytes);
    }
    return CLI_OK;
}

/* ---- the command ---- */

typedef struct query_run {
    query_args       a;
    store_scan_spec  spec;
    output_format    fmt;
    flow_field       cols[FLOW_FIELD_COUNT];  /* record columns, in print order */
    size_t           ncols;
    c2_config        cfg;
    filter          *flt;
    agg_spec         aspec;
    query_sink       sink;
} query_run;

/* Threads decoding blocks beside the main one: one per CPU, at most 4 (a
 * scan is mostly decoding; more threads mostly add memory). */
static uint64_t default_threads(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : n > 4 ? 4 : (uint64_t)n;
}

/* Set up the sink of the mode, and the columns the scan must read. */
static int prepare_mode(query_run *r)
{
    c2_err err;
    uint32_t need = r->flt ? filter_fields(r->flt) : 0;
    query_sink *q = &r->sink;
    if (r->a.aggregate || r->a.stat) {
        if (agg_new(&r->aspec, &q->agg, &err) != 0) {
            cli_error("query", "%s", err.msg);
            return CLI_FAIL;
        }
        q->batch = sink_aggregate;
        r->spec.fields = agg_fields(q->agg);
    } else if (r->a.count) {
        q->batch = sink_count;
        r->spec.fields = need ? 0 : FLOW_BIT(FLOW_START);
    } else {
        if (output_records_begin_ordered(stdout, r->fmt, r->cols, r->ncols, &q->records,
                                         &err) != 0) {
            cli_error("query", "%s", err.msg);
            return CLI_FAIL;
        }
        q->batch = sink_records;
        q->limit = r->a.limit;
    }
    if (r->flt) {
        /* the scan filters: it decodes the filter's columns first and the
         * others only for the rows that match */
        r->spec.prune = filter_zone_prune;
        r->spec.prune_arg = r->flt;
        if (!filter_is_any(r->flt)) {
            r->spec.match = filter_match_rows;
            r->spec.match_fields = need;
            r->spec.match_arg = r->flt;
        }
    }
    r->spec.threads = (unsigned)(r->a.threads_set ? r->a.threads : default_threads());
    return CLI_OK;
}

static int finish_mode(query_run *r, int status)
{
    c2_err err;
    query_sink *q = &r->sink;
    if (q->records && output_records_end(q->records, NULL, &err) != 0) {
        cli_error("query", "%s", err.msg);
        status = CLI_FAIL;
    }
    q->records = NULL;
    if (q->batch == sink_count && status != CLI_USAGE) {
        if (r->fmt == OUTPUT_JSONL) printf("{\"records\":%llu}\n", (unsigned long long)q->done);
        else if (r->fmt == OUTPUT_CSV) printf("records\n%llu\n", (unsigned long long)q->done);
        else printf("%llu\n", (unsigned long long)q->done);
    }
    if (q->agg && status != CLI_USAGE) {
        int rc = finish_aggregate(q->agg, &r->aspec, r->fmt, r->a.stats);
        if (rc != CLI_OK) status = rc;
    }
    return status;
}

static int run_query(query_run *r, store *s)
{
    store_scan *sc = NULL;
    c2_err err;
    int rc = prepare_mode(r);
    if (rc == CLI_OK && store_scan_open(s, &r->spec, &sc, &err) != 0) {
        cli_error("query", "%s", err.msg);
        rc = CLI_FAIL;
    }
    if (rc == CLI_OK) rc = run_scan(sc, &r->sink);
    int fin = finish_mode(r, rc);
    if (rc == CLI_OK) rc = fin;
    if (sc && r->a.stats) print_stats(sc);
    store_scan_close(sc);
    return rc;
}

int cmd_query(int argc, char **argv)
{
    query_run r;
    memset(&r, 0, sizeof r);
    int rc = parse_args(argc, argv, &r.a);
    if (rc == CLI_OK) rc = build_spec(&r.a, &r.spec, &r.fmt, r.cols, &r.ncols);
    if (rc == CLI_OK) rc = cli_load_config("query", &r.a.store, &r.cfg);
    if (rc == CLI_OK) rc = compile_filter(&r.a, &r.flt);
    if (rc == CLI_OK && (r.a.aggregate || r.a.stat))
        rc = build_agg_spec(&r.a, &r.cfg, &r.aspec);
    store *s = NULL;
    if (rc == CLI_OK) rc = cli_open_store("query", &r.cfg, 0, &s);
    if (rc == CLI_OK) rc = run_query(&r, s);
    store_close(s);
    filter_free(r.flt);
    agg_free(r.sink.agg);
    free(r.a.words);
    return rc < 0 ? CLI_OK : rc;
}
