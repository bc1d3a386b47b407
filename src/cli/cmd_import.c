/*
 * cmd_import.c: `c2flow import`, flow files of other tools into a store.
 *
 * A thin front over src/import/: each FILE is parsed in batches that go
 * straight into one store writer (nothing is held per file), then a summary
 * per file and a total go to stderr.  Bad lines are reported, not fatal:
 * the exit status is 0 when every file was read to its end even if some of
 * its lines were rejected, 1 when a file could not be read, the store
 * failed or the labels could not be written, 2 on a usage error.
 *
 * The store drops records older than its retention period (30 days by
 * default); research captures are years old, so when that happens the
 * summary says so and names --retention 0.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "import/import.h"
#include "store/store.h"

#define PROGRESS_MS 2000            /* progress line interval */
#define BAD_SHOWN 5                 /* bad lines listed per file */

static const char *const import_help =
    "usage: c2flow import --format FMT --store DIR [options] FILE...\n"
    "\n"
    "Read flow files written by other tools into the flow store.\n"
    "Bidirectional connections become one record per direction.\n"
    "\n"
    "  --format FMT          zeek (conn.log), binetflow (Argus, CTU-13),\n"
    "                        nfdump-csv (nfdump -o csv output), nfdump\n"
    "                        (binary nfdump file; needs nfdump installed)\n"
    "  --labels-out FILE     write the labels of a labelled capture as CSV:\n"
    "                        ip,port,proto,label,first,last\n"
    CLI_STORE_HELP
    "  -h, --help            this text\n"
    "\n"
    "FILE '-' reads standard input (not for --format nfdump).  Records older\n"
    "than the retention period are not stored: give --retention 0 for old\n"
    "research captures.\n"
    "\n"
    "Exit status: 0 ok (bad lines are reported, not fatal), 1 a file could\n"
    "not be read or the store failed, 2 usage.  See docs/import.md.\n";

enum { OPT_FORMAT = CLI_OPT_FIRST_COMMAND_OPT, OPT_LABELS_OUT };

typedef struct import_args {
    cli_store_args store;
    const char *format, *labels_out;
    int fmt;
} import_args;

/* What the sink needs: the writer and the progress clock. */
typedef struct import_ctx {
    store_writer *w;
    const char   *path;             /* file being read */
    uint64_t      records;          /* records appended, all files */
    int64_t       next_progress_ms;
    int           store_failed;     /* the writer returned an error */
} import_ctx;

static int parse_args(int argc, char **argv, import_args *a)
{
    static const struct option opts[] = {
        CLI_STORE_LONGOPTS,
        {"format", required_argument, 0, OPT_FORMAT},
        {"labels-out", required_argument, 0, OPT_LABELS_OUT},
        {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0},
    };
    int c;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        if (cli_store_option(&a->store, c, optarg)) continue;
        switch (c) {
        case OPT_FORMAT: a->format = optarg; break;
        case OPT_LABELS_OUT: a->labels_out = optarg; break;
        case 'h': fputs(import_help, stdout); return -1;
        default: return cli_usage("import", "unknown option");
        }
    }
    if (!a->format)
        return cli_usage("import", "--format is required "
                         "(zeek, binetflow, nfdump-csv, nfdump)");
    if ((a->fmt = import_format_lookup(a->format)) < 0)
        return cli_usage("import", "--format: unknown format '%s'", a->format);
    if (optind >= argc)
        return cli_usage("import", "no FILE to import");
    return CLI_OK;
}

static int sink(const flow_record *recs, size_t n, void *arg, c2_err *err)
{
    import_ctx *ctx = arg;
    if (store_writer_append(ctx->w, recs, n, err) != 0) {
        ctx->store_failed = 1;
        return -1;
    }
    ctx->records += n;
    int64_t now = c2_now_ms();
    if (now >= ctx->next_progress_ms) {
        if (ctx->next_progress_ms)
            fprintf(stderr, "c2flow import: %s: %llu records so far\n",
                    ctx->path, (unsigned long long)ctx->records);
        ctx->next_progress_ms = now + PROGRESS_MS;
    }
    return 0;
}

static void print_skipped(const import_stats *st)
{
    const char *sep = "; skipped ";
    for (int i = 0; i < IMPORT_SKIP_COUNT; i++) {
        if (!st->skipped[i]) continue;
        fprintf(stderr, "%s%s %llu", sep, import_skip_name((import_skip)i),
                (unsigned long long)st->skipped[i]);
        sep = ", ";
    }
}

static void print_file_summary(const char *path, const import_stats *st)
{
    fprintf(stderr, "c2flow import: %s: %llu lines, %llu flows -> %llu "
            "records, %llu bad", path, (unsigned long long)st->lines,
            (unsigned long long)st->flows, (unsigned long long)st->records,
            (unsigned long long)st->bad);
    print_skipped(st);
    fputc('\n', stderr);
    for (size_t i = 0; i < st->bad_kept && i < BAD_SHOWN; i++)
        fprintf(stderr, "  line %llu: %s\n",
                (unsigned long long)st->bad_first[i].line,
                st->bad_first[i].reason);
    if (st->bad > BAD_SHOWN)
        fprintf(stderr, "  ... and %llu more bad lines\n",
                (unsigned long long)(st->bad - BAD_SHOWN));
}

/* Import every file; returns CLI_OK or CLI_FAIL. */
static int import_files(const import_args *a, char **files, int nfiles,
                        import_ctx *ctx, import_labels *labels,
                        import_stats *total)
{
    int rc = CLI_OK;
    for (int i = 0; i < nfiles && !ctx->store_failed; i++) {
        import_stats st;
        c2_err err;
        ctx->path = files[i];
        int frc = import_file((import_format)a->fmt, files[i], sink, ctx,
                              labels, &st, &err);
        print_file_summary(files[i], &st);
        import_stats_add(total, &st);
        if (frc != 0) {
            cli_error("import", "%s", err.msg);
            rc = CLI_FAIL;
        }
    }
    return rc;
}

static void print_totals(const import_stats *t, const store_write_stats *ws,
                         const c2_config *cfg, int nfiles)
{
    char ret[32], size[32];
    fprintf(stderr, "c2flow import: total %d file%s: %llu lines, %llu "
            "records, %llu bad; stored %llu records in %llu segments "
            "(%s), %llu expired\n", nfiles, nfiles == 1 ? "" : "s",
            (unsigned long long)t->lines, (unsigned long long)t->records,
            (unsigned long long)t->bad, (unsigned long long)ws->records,
            (unsigned long long)ws->segments,
            c2_bytes_human(ws->bytes, size, sizeof size),
            (unsigned long long)ws->expired);
    if (ws->expired > 0)
        fprintf(stderr, "c2flow import: %llu records are older than the "
                "retention period (%s) and were not stored; research "
                "captures need --retention 0\n",
                (unsigned long long)ws->expired,
                c2_duration_format(cfg->store.retention_ms, ret, sizeof ret));
}

static int write_labels_csv(FILE *f, void *arg, c2_err *err)
{
    return import_labels_write_csv(arg, f, err);
}

/* Labels name destinations, never customers: a file to pass on. */
static int write_labels(const char *path, const import_labels *labels)
{
    c2_err err;
    if (c2_file_write_by(path, C2_SHARED, write_labels_csv, (void *)labels, &err) != 0) {
        cli_error("import", "--labels-out %s: %s", path, err.msg);
        return CLI_FAIL;
    }
    fprintf(stderr, "c2flow import: %zu labelled destinations written to "
            "%s\n", import_labels_count(labels), path);
    return CLI_OK;
}

/* Open the writer, import, close; CLI_OK or CLI_FAIL. */
static int run(const import_args *a, char **files, int nfiles, store *s,
               const c2_config *cfg, import_labels *labels)
{
    import_ctx ctx = {0};
    import_stats total = {0};
    store_write_stats ws = {0};
    c2_err err;
    if (store_writer_open(s, &ctx.w, &err) != 0) {
        cli_error("import", "%s", err.msg);
        return CLI_FAIL;
    }
    int rc = import_files(a, files, nfiles, &ctx, labels, &total);
    if (store_writer_close(ctx.w, &ws, &err) != 0) {
        cli_error("import", "%s", err.msg);
        rc = CLI_FAIL;
    }
    print_totals(&total, &ws, cfg, nfiles);
    if (labels && write_labels(a->labels_out, labels) != CLI_OK)
        rc = CLI_FAIL;
    /* records read but none kept: the user got nothing they asked for */
    if (total.records > 0 && ws.records == 0) rc = CLI_FAIL;
    return rc;
}

int cmd_import(int argc, char **argv)
{
    import_args a = {0};
    c2_config cfg;
    store *s;
    import_labels *labels = NULL;
    c2_err err;
    int rc = parse_args(argc, argv, &a);
    if (rc != CLI_OK) return rc < 0 ? CLI_OK : rc;
    if ((rc = cli_load_config("import", &a.store, &cfg)) != CLI_OK) return rc;
    if ((rc = cli_open_store("import", &cfg, 1, &s)) != CLI_OK) return rc;
    if (a.labels_out && import_labels_new(&labels, &err) != 0) {
        cli_error("import", "%s", err.msg);
        store_close(s);
        return CLI_FAIL;
    }
    rc = run(&a, argv + optind, argc - optind, s, &cfg, labels);
    import_labels_free(labels);
    store_close(s);
    return rc;
}
