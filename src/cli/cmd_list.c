/*
 * cmd_list.c: `c2flow list show|diff|history`, the C2 lists detection runs
 * kept in the store (src/history/, docs/list.md).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "c2list/c2list.h"
#include "cli/cli.h"
#include "export/export.h"
#include "history/history.h"
#include "output/output.h"

static const char *const list_help =
    "usage: c2flow list show --store DIR [--at TIME] [--method M] [-o FMT]\n"
    "       c2flow list diff --store DIR --since TIME [--at TIME] [--method M] [-o FMT]\n"
    "       c2flow list history --store DIR IP [--port N] [-o FMT]\n"
    "       c2flow list import --format F --in FILE [--out FILE]\n"
    "\n"
    "Every 'c2flow detect' run keeps its list in the store (STORE/lists/).\n"
    "  show      the list as of a time (the newest run at or before it), with the\n"
    "            first and last run that listed each server and how many runs did\n"
    "  diff      the servers listed at --at that were not at --since (new) and\n"
    "            those listed at --since that are no longer (gone)\n"
    "  history   every run that listed the address IP\n"
    "  import    a list from elsewhere (csv, jsonl, feodo-csv, threatfox-csv, stix21,\n"
    "            misp-feed event file) as a C2 list, to search with 'c2flow lookback'\n"
    "\n"
    "  --at TIME             as of TIME (default: now, the newest list)\n"
    "  --since TIME          diff: the earlier time\n"
    "  --method M            only lists of method M (graph, ml, both; default: any)\n"
    "  --port N              history: only this port\n"
    "  --format F, --in FILE import: the file's format and the file ('-' = stdin)\n"
    "  --out FILE            import: write the C2 list here (default: standard output;\n"
    "                        CSV, or JSON Lines for a .jsonl name)\n"
    "  -o, --output FMT      table (default), csv, jsonl\n"
    CLI_STORE_HELP
    "  -h, --help            this text\n"
    "\n"
    "Exit status: 0 ok, 1 failure (no kept list, unreadable list), 2 usage.\n"
    "See docs/list.md.\n";

enum {
    OPT_AT = CLI_OPT_FIRST_COMMAND_OPT, OPT_SINCE, OPT_METHOD, OPT_PORT, OPT_FORMAT, OPT_IN,
    OPT_OUT
};

typedef struct list_args {
    cli_store_args store;
    const char *sub, *ip, *method, *format, *in, *out;
    int64_t     at, since;
    int         has_since, port;
    int         fmt;
    c2_config   cfg;
    char        dir[4200];
    history_run *runs;
    size_t      n_runs;
} list_args;

static int parse_time(const char *opt, const char *arg, int64_t *out)
{
    c2_err err;
    if (c2_time_parse(arg, c2_now_ms(), out, &err) != 0)
        return cli_usage("list", "%s: %s", opt, err.msg);
    return CLI_OK;
}

static int set_option(list_args *a, int c, const char *arg)
{
    uint64_t v;
    switch (c) {
    case OPT_AT: return parse_time("--at", arg, &a->at);
    case OPT_SINCE: a->has_since = 1; return parse_time("--since", arg, &a->since);
    case OPT_METHOD: a->method = arg; return CLI_OK;
    case OPT_FORMAT: a->format = arg; return CLI_OK;
    case OPT_IN: a->in = arg; return CLI_OK;
    case OPT_OUT: a->out = arg; return CLI_OK;
    case OPT_PORT:
        if (c2_u64_parse(arg, 65535, &v) != 0)
            return cli_usage("list", "--port: '%s' is not a port", arg);
        a->port = (int)v;
        return CLI_OK;
    case 'o':
        if ((a->fmt = output_format_lookup(arg)) < 0)
            return cli_usage("list", "-o: unknown format '%s' (table, csv, jsonl)", arg);
        return CLI_OK;
    default: return cli_usage("list", "unknown option");
    }
}

static int parse_args(int argc, char **argv, list_args *a)
{
    static const struct option opts[] = {
        CLI_STORE_LONGOPTS,
        {"at", required_argument, 0, OPT_AT},
        {"since", required_argument, 0, OPT_SINCE},
        {"method", required_argument, 0, OPT_METHOD},
        {"port", required_argument, 0, OPT_PORT},
        {"format", required_argument, 0, OPT_FORMAT},
        {"in", required_argument, 0, OPT_IN},
        {"out", required_argument, 0, OPT_OUT},
        {"output", required_argument, 0, 'o'},
        {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0},
    };
    int c, rc;
    while ((c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
        if (cli_store_option(&a->store, c, optarg)) continue;
        if (c == 'h') {
            fputs(list_help, stdout);
            return -1;
        }
        if ((rc = set_option(a, c, optarg)) != CLI_OK) return rc;
    }
    if (optind >= argc) return cli_usage("list", "give show, diff, history or import");
    a->sub = argv[optind++];
    if (!strcmp(a->sub, "history")) {
        if (optind >= argc) return cli_usage("list", "history: give the IP address");
        a->ip = argv[optind++];
    } else if (strcmp(a->sub, "show") && strcmp(a->sub, "diff") && strcmp(a->sub, "import")) {
        return cli_usage("list", "'%s' is not show, diff, history or import", a->sub);
    }
    if (!strcmp(a->sub, "import") && (!a->format || !a->in))
        return cli_usage("list", "import: give --format and --in");
    if (a->format && export_format_lookup(a->format) < 0)
        return cli_usage("list", "--format: '%s' is not one of %s", a->format,
                         export_format_names());
    if (optind < argc) return cli_usage("list", "unexpected argument '%s'", argv[optind]);
    if (!strcmp(a->sub, "diff") && !a->has_since) return cli_usage("list", "diff: give --since");
    return CLI_OK;
}

/* ---- output ---- */

static const output_column row_cols[] = {
    {"ip", OUTPUT_STRING}, {"port", OUTPUT_U64}, {"proto", OUTPUT_STRING},
    {"score", OUTPUT_STRING}, {"method", OUTPUT_STRING}, {"category", OUTPUT_STRING},
    {"first_seen", OUTPUT_TIME}, {"last_seen", OUTPUT_TIME},
};
#define ROW_COLS (sizeof row_cols / sizeof row_cols[0])

static void put_time(output_table *t, int64_t ms)
{
    if (ms) output_table_time(t, ms);
    else output_table_null(t);
}

static void put_entry(output_table *t, const c2_entry *e)
{
    char proto[16], score[16];
    output_table_addr(t, &e->ip);
    output_table_u64(t, e->port);
    output_table_str(t, c2list_proto_format(e->proto, proto, sizeof proto));
    snprintf(score, sizeof score, "%.1f", e->score);
    output_table_str(t, score);
    output_table_str(t, e->method);
    if (e->category[0]) output_table_str(t, e->category);
    else output_table_null(t);                  /* unknown, like a missing time */
    put_time(t, e->first_seen);
    put_time(t, e->last_seen);
}

/* A table with extra columns before (lead) or after (tail) a row's. */
static output_table *table_of(const output_column *lead, size_t n_lead,
                              const output_column *tail, size_t n_tail)
{
    output_column cols[16];
    size_t n = 0;
    for (size_t i = 0; i < n_lead; i++) cols[n++] = lead[i];
    for (size_t i = 0; i < ROW_COLS; i++) cols[n++] = row_cols[i];
    for (size_t i = 0; i < n_tail; i++) cols[n++] = tail[i];
    output_table *t;
    c2_err err;
    if (output_table_new(cols, n, &t, &err) != 0) {
        cli_error("list", "%s", err.msg);
        return NULL;
    }
    return t;
}

static int write_table(output_table *t, int fmt)
{
    c2_err err;
    int rc = output_table_write(t, stdout, (output_format)fmt, &err);
    output_table_free(t);
    if (rc != 0) cli_error("list", "%s", err.msg);
    return rc == 0 ? CLI_OK : CLI_FAIL;
}

/* ---- the subcommands ---- */

static int load(const list_args *a, long i, c2list **out)
{
    c2_err err;
    if (history_load(a->dir, &a->runs[i], out, &err) != 0) {
        cli_error("list", "%s", err.msg);
        return CLI_FAIL;
    }
    return CLI_OK;
}

static long run_at(const list_args *a, int64_t at, const char *what)
{
    long i = history_at(a->runs, a->n_runs, at, a->method);
    if (i < 0) {
        char when[40];
        cli_error("list", "no list kept in %s %s %s%s%s", a->dir, what,
                  c2_time_format(at, when, sizeof when), a->method ? " of method " : "",
                  a->method ? a->method : "");
    }
    return i;
}

/* The first and last of the runs up to `last` that listed each row, and
 * how many did. */
typedef struct listed { int64_t first, last; uint64_t runs; } listed;

static int runs_listing(const list_args *a, long last, const c2list *l, listed *out)
{
    for (size_t r = 0; r < c2list_count(l); r++) out[r] = (listed){0, 0, 0};
    for (long i = 0; i <= last; i++) {
        if (a->method && strcmp(a->runs[i].method, a->method)) continue;
        c2list *k;
        if (load(a, i, &k) != CLI_OK) return CLI_FAIL;
        for (size_t r = 0; r < c2list_count(l); r++) {
            const c2_entry *e = c2list_get(l, r);
            if (!c2list_find(k, &e->ip, e->port, e->proto)) continue;
            if (!out[r].runs++) out[r].first = a->runs[i].at;
            out[r].last = a->runs[i].at;
        }
        c2list_free(k);
    }
    return CLI_OK;
}

static int show(list_args *a)
{
    long i = run_at(a, a->at, "at or before");
    c2list *l;
    if (i < 0 || load(a, i, &l) != CLI_OK) return CLI_FAIL;
    c2list_sort(l);
    listed *seen = calloc(c2list_count(l) + 1, sizeof *seen);
    int rc = seen ? runs_listing(a, i, l, seen) : (cli_error("list", "out of memory"), CLI_FAIL);
    static const output_column tail[] = {
        {"first_listed", OUTPUT_TIME}, {"last_listed", OUTPUT_TIME}, {"runs", OUTPUT_U64},
    };
    output_table *t = rc == CLI_OK ? table_of(NULL, 0, tail, 3) : NULL;
    if (rc == CLI_OK && !t) rc = CLI_FAIL;
    for (size_t r = 0; t && r < c2list_count(l); r++) {
        output_table_row(t);
        put_entry(t, c2list_get(l, r));
        output_table_time(t, seen[r].first);
        output_table_time(t, seen[r].last);
        output_table_u64(t, seen[r].runs);
    }
    if (t) rc = write_table(t, a->fmt);
    free(seen);
    c2list_free(l);
    return rc;
}

static void diff_rows(output_table *t, const c2list *from, const c2list *other,
                      const char *status)
{
    for (size_t r = 0; r < c2list_count(from); r++) {
        const c2_entry *e = c2list_get(from, r);
        if (c2list_find(other, &e->ip, e->port, e->proto)) continue;
        output_table_row(t);
        output_table_str(t, status);
        put_entry(t, e);
    }
}

static int diff(list_args *a)
{
    long i = run_at(a, a->since, "at or before"), j = i < 0 ? -1 : run_at(a, a->at, "at or before");
    c2list *old = NULL, *now = NULL;
    if (j < 0 || load(a, i, &old) != CLI_OK || load(a, j, &now) != CLI_OK) {
        c2list_free(old);
        return CLI_FAIL;
    }
    c2list_sort(old);
    c2list_sort(now);
    static const output_column lead[] = {{"status", OUTPUT_STRING}};
    output_table *t = table_of(lead, 1, NULL, 0);
    int rc = CLI_FAIL;
    if (t) {
        diff_rows(t, now, old, "new");
        diff_rows(t, old, now, "gone");
        rc = write_table(t, a->fmt);
    }
    c2list_free(old);
    c2list_free(now);
    return rc;
}

static int history(list_args *a)
{
    flow_addr ip;
    if (flow_addr_parse(a->ip, &ip) != 0)
        return cli_usage("list", "history: '%s' is not an IP address", a->ip);
    static const output_column lead[] = {{"run", OUTPUT_TIME}};
    output_table *t = table_of(lead, 1, NULL, 0);
    if (!t) return CLI_FAIL;
    for (size_t i = 0; i < a->n_runs; i++) {
        if (a->method && strcmp(a->runs[i].method, a->method)) continue;
        c2list *l;
        if (load(a, (long)i, &l) != CLI_OK) {
            output_table_free(t);
            return CLI_FAIL;
        }
        c2list_sort(l);
        for (size_t r = 0; r < c2list_count(l); r++) {
            const c2_entry *e = c2list_get(l, r);
            if (flow_addr_cmp(&e->ip, &ip) || (a->port >= 0 && e->port != a->port)) continue;
            output_table_row(t);
            output_table_time(t, a->runs[i].at);
            put_entry(t, e);
        }
        c2list_free(l);
    }
    return write_table(t, a->fmt);
}

typedef struct imported { const c2list *l; int jsonl; } imported;

static int write_import(FILE *f, void *arg, c2_err *err)
{
    const imported *x = arg;
    return c2list_write(x->l, f, x->jsonl ? C2LIST_JSONL : C2LIST_CSV, err);
}

/* The whole input: a file, or standard input for "-". */
static int read_input(const char *path, uint8_t **buf, size_t *len, c2_err *err)
{
    if (!strcmp(path, "-")) return c2_stream_read(stdin, 1u << 30, buf, len, err);
    int rc = c2_file_read(path, 1u << 30, buf, len, err);
    return rc == 1 ? 0 : rc == 0 ? c2_fail(err, "%s: no such file", path) : -1;
}

/* A list from elsewhere as a C2 list: read whole, converted, written. */
static int import(list_args *a)
{
    c2_err err;
    uint8_t *buf = NULL;
    size_t len = 0;
    c2list *l = NULL;
    export_read_stats st;
    int rc = read_input(a->in, &buf, &len, &err);
    if (rc == 0)
        rc = export_read(buf, len, (export_format)export_format_lookup(a->format), a->in, &l,
                         &st, &err);
    free(buf);
    if (rc != 0) {
        cli_error("list", "import: %s", err.msg);
        return CLI_FAIL;
    }
    fprintf(stderr, "c2flow list: import: %llu servers, %llu entries skipped, %llu repeats\n",
            (unsigned long long)st.rows, (unsigned long long)st.skipped,
            (unsigned long long)st.duplicates);
    const char *dot = a->out ? strrchr(a->out, '.') : NULL;
    imported x = {l, dot && (!strcmp(dot, ".jsonl") || !strcmp(dot, ".json"))};
    rc = c2_file_write_by(a->out, C2_SHARED, write_import, &x, &err);
    c2list_free(l);
    if (rc != 0) cli_error("list", "import: %s", err.msg);
    return rc == 0 ? CLI_OK : CLI_FAIL;
}

static int run(list_args *a)
{
    c2_err err;
    if (!strcmp(a->sub, "import")) return import(a);
    int rc = cli_load_config("list", &a->store, &a->cfg);
    if (rc != CLI_OK) return rc;
    if (!a->cfg.store_dir[0]) return cli_usage("list", "give the store with --store");
    snprintf(a->dir, sizeof a->dir, "%s/lists", a->cfg.store_dir);
    if (history_runs(a->dir, &a->runs, &a->n_runs, &err) != 0) {
        cli_error("list", "%s", err.msg);
        return CLI_FAIL;
    }
    if (!strcmp(a->sub, "show")) return show(a);
    if (!strcmp(a->sub, "diff")) return diff(a);
    return history(a);
}

int cmd_list(int argc, char **argv)
{
    list_args *a = calloc(1, sizeof *a);
    if (!a) return cli_error("list", "out of memory"), CLI_FAIL;
    a->at = c2_now_ms();
    a->port = -1;
    a->fmt = OUTPUT_TABLE;
    int rc = parse_args(argc, argv, a);
    if (rc == -1) rc = CLI_OK;
    else if (rc == CLI_OK) rc = run(a);
    free(a->runs);
    free(a);
    return rc;
}
