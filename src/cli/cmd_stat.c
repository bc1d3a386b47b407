/*
 * cmd_stat.c: `c2flow stat`, what a store holds, from segment footers only
 * (no column is read, so it is quick on any size of store).
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "output/output.h"
#include "store/store.h"

static const char *const stat_help =
    "usage: c2flow stat --store DIR [-o table|csv|json] [--days]\n"
    "\n"
    "Summarise a flow store: segments, records, time span, bytes on disk and\n"
    "bytes per record.  With --days, one row per UTC day.\n"
    "\n"
    "  -o, --output FMT      table (default), csv, json (JSON Lines)\n"
    "  --days                one row per day instead of one for the store\n"
    CLI_STORE_HELP
    "  -h, --help            this text\n"
    "\n"
    "Exit status: 0 ok, 1 failure or unreadable segments, 2 usage.\n"
    "See docs/stat.md.\n";

enum { OPT_DAYS = CLI_OPT_FIRST_COMMAND_OPT };

#define MAX_DAYS 4096

typedef struct day_row {
    int64_t  day;                   /* days since epoch */
    store_info info;
} day_row;

typedef struct day_table {
    day_row rows[MAX_DAYS];
    size_t  n;
    int     overflow;
} day_table;

static void add_to_info(store_info *in, const store_zone *z, uint64_t bytes)
{
    if (in->segments == 0) {
        in->first_ms = z->min[FLOW_START].t;
        in->last_ms = z->max[FLOW_END].t;
    }
    in->segments++;
    in->records += z->records;
    in->bytes += bytes;
    if (z->min[FLOW_START].t < in->first_ms) in->first_ms = z->min[FLOW_START].t;
    if (z->max[FLOW_END].t > in->last_ms) in->last_ms = z->max[FLOW_END].t;
}

/* Segments come in time order, so a day's segments are consecutive. */
static void per_day(const char *path, const store_zone *z, uint64_t bytes, void *arg)
{
    day_table *t = arg;
    (void)path;
    int64_t ms = z->min[FLOW_START].t;
    int64_t day = ms / C2_MS_PER_DAY - (ms % C2_MS_PER_DAY < 0);
    if (t->n == 0 || t->rows[t->n - 1].day != day) {
        if (t->n == MAX_DAYS) { t->overflow = 1; return; }
        memset(&t->rows[t->n], 0, sizeof t->rows[t->n]);
        t->rows[t->n++].day = day;
    }
    add_to_info(&t->rows[t->n - 1].info, z, bytes);
}

static void add_row(output_table *t, const store_info *in)
{
    output_table_row(t);
    output_table_u64(t, in->segments);
    output_table_u64(t, in->records);
    if (in->records) {
        output_table_time(t, in->first_ms);
        output_table_time(t, in->last_ms);
    } else {
        output_table_null(t);
        output_table_null(t);
    }
    output_table_bytes(t, in->bytes);
    char bpr[32];
    if (in->records) snprintf(bpr, sizeof bpr, "%.2f", (double)in->bytes / (double)in->records);
    else snprintf(bpr, sizeof bpr, "-");
    output_table_str(t, bpr);
}

static int print_stat(store *s, output_format fmt, int days)
{
    static const output_column cols[] = {
        {"segments", OUTPUT_U64}, {"records", OUTPUT_U64}, {"first", OUTPUT_TIME},
        {"last", OUTPUT_TIME}, {"bytes", OUTPUT_BYTES}, {"bytes_per_record", OUTPUT_STRING},
    };
    static day_table dt;
    store_info info;
    output_table *t;
    c2_err err;
    dt.n = 0;
    dt.overflow = 0;
    if (store_inventory(s, &info, days ? per_day : NULL, &dt, &err) != 0 ||
        output_table_new(cols, sizeof cols / sizeof cols[0], &t, &err) != 0) {
        cli_error("stat", "%s", err.msg);
        return CLI_FAIL;
    }
    if (days)
        for (size_t i = 0; i < dt.n; i++) add_row(t, &dt.rows[i].info);
    else
        add_row(t, &info);
    int rc = output_table_write(t, stdout, fmt, &err);
    output_table_free(t);
    if (rc != 0) {
        cli_error("stat", "%s", err.msg);
        return CLI_FAIL;
    }
    if (dt.overflow) cli_error("stat", "more than %d days; the rest not shown", MAX_DAYS);
    if (info.unreadable) {
        cli_error("stat", "%llu segments could not be read; run 'c2flow check'",
                  (unsigned long long)info.unreadable);
        return CLI_FAIL;
    }
    return CLI_OK;
}

int cmd_stat(int argc, char **argv)
{
    static const struct option opts[] = {
        CLI_STORE_LONGOPTS,
        {"output", required_argument, 0, 'o'},
        {"days", no_argument, 0, OPT_DAYS},
        {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0},
    };
    cli_store_args sa = {0};
    const char *format = "table";
    int days = 0, c, rc;
    while ((c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
        if (cli_store_option(&sa, c, optarg)) continue;
        switch (c) {
        case 'o': format = optarg; break;
        case OPT_DAYS: days = 1; break;
        case 'h': fputs(stat_help, stdout); return CLI_OK;
        default: return cli_usage("stat", "unknown option");
        }
    }
    if (optind < argc) return cli_usage("stat", "unexpected argument '%s'", argv[optind]);
    int fmt = output_format_lookup(format);
    if (fmt < 0) return cli_usage("stat", "-o: unknown format '%s'", format);
    c2_config cfg;
    store *s;
    if ((rc = cli_load_config("stat", &sa, &cfg)) != CLI_OK) return rc;
    if ((rc = cli_open_store("stat", &cfg, 0, &s)) != CLI_OK) return rc;
    rc = print_stat(s, (output_format)fmt, days);
    store_close(s);
    return rc;
}
