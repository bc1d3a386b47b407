/*
 * cmd_query.c: `c2flow query`, the records of a time range.
 *
 * Only the columns asked for (--fields) are read from the store.  The filter
 * language (-f) is a later piece of work; the option is reserved so that
 * scripts written now keep their shape.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "output/output.h"
#include "store/store.h"

static const char *const query_help =
    "usage: c2flow query --store DIR [--from TIME] [--to TIME] [options]\n"
    "\n"
    "Print the flow records whose start time is in [--from, --to).\n"
    "\n"
    "  --from TIME           first start time (default: the beginning)\n"
    "  --to TIME             end of the range, exclusive (default: no end)\n"
    "                        TIME: 2026-11-22T03:04:05Z, 2026-11-22, epoch\n"
    "                        seconds, now, now-2h\n"
    "  -o, --output FMT      table (default), csv, json (JSON Lines)\n"
    "  --fields LIST         columns to print, comma-separated (default all):\n"
    "                        start,end,exporter,domain,in_if,out_if,src_ip,dst_ip,\n"
    "                        src_port,dst_port,proto,tcp_flags,tos,packets,bytes,\n"
    "                        sampling,src_as,dst_as\n"
    "  -n, --limit N         stop after N records\n"
    "  --stats               report segments and blocks read or skipped on stderr\n"
    "  -f, --filter FILTER   reserved for the filter language (not yet available)\n"
    CLI_STORE_HELP
    "  -h, --help            this text\n"
    "\n"
    "Exit status: 0 ok, 1 failure (including damaged blocks, which are\n"
    "reported and skipped), 2 usage.  See docs/query.md.\n";

enum { OPT_FROM = CLI_OPT_FIRST_COMMAND_OPT, OPT_TO, OPT_FIELDS, OPT_STATS };

typedef struct query_args {
    cli_store_args store;
    const char *from, *to, *format, *fields, *filter;
    uint64_t limit;
    int stats;
} query_args;

static int parse_fields(const char *list, uint32_t *mask)
{
    char *copy = strdup(list), *save = NULL;
    int rc = 0;
    *mask = 0;
    if (!copy) return -1;
    for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        int f = flow_field_lookup(tok);
        if (f < 0) { rc = -1; break; }
        *mask |= FLOW_BIT(f);
    }
    free(copy);
    return rc == 0 && *mask ? 0 : -1;
}

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
        {"stats", no_argument, 0, OPT_STATS},
        {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0},
    };
    int c;
    a->format = "table";
    while ((c = getopt_long(argc, argv, "o:n:f:h", opts, NULL)) != -1) {
        if (cli_store_option(&a->store, c, optarg)) continue;
        switch (c) {
        case OPT_FROM: a->from = optarg; break;
        case OPT_TO: a->to = optarg; break;
        case 'o': a->format = optarg; break;
        case OPT_FIELDS: a->fields = optarg; break;
        case 'f': a->filter = optarg; break;
        case OPT_STATS: a->stats = 1; break;
        case 'n':
            if (c2_u64_parse(optarg, UINT64_MAX, &a->limit) != 0)
                return cli_usage("query", "--limit: '%s' is not a number", optarg);
            break;
        case 'h': fputs(query_help, stdout); return -1;
        default: return cli_usage("query", "unknown option");
        }
    }
    if (optind < argc) return cli_usage("query", "unexpected argument '%s'", argv[optind]);
    return CLI_OK;
}

static int build_spec(const query_args *a, store_scan_spec *spec, output_format *fmt)
{
    c2_err err;
    int64_t now = c2_now_ms();
    memset(spec, 0, sizeof *spec);
    spec->from_ms = C2_TIME_MIN;
    spec->to_ms = C2_TIME_MAX;
    spec->fields = FLOW_ALL_FIELDS;
    if (a->filter)
        return cli_usage("query", "-f: the filter language is not available in "
                         "this version; select by --from/--to and --fields");
    if (a->from && c2_time_parse(a->from, now, &spec->from_ms, &err) != 0)
        return cli_usage("query", "--from: %s", err.msg);
    if (a->to && c2_time_parse(a->to, now, &spec->to_ms, &err) != 0)
        return cli_usage("query", "--to: %s", err.msg);
    if (spec->from_ms >= spec->to_ms)
        return cli_usage("query", "--from must be before --to");
    if (a->fields && parse_fields(a->fields, &spec->fields) != 0)
        return cli_usage("query", "--fields: unknown field in '%s'", a->fields);
    int f = output_format_lookup(a->format);
    if (f < 0) return cli_usage("query", "-o: unknown format '%s'", a->format);
    *fmt = (output_format)f;
    return CLI_OK;
}

static void print_stats(const store_scan *sc)
{
    store_scan_stats st;
    store_scan_get_stats(sc, &st);
    fprintf(stderr, "c2flow query: %llu records; segments %llu (%llu pruned); "
            "blocks %llu (%llu pruned, %llu damaged); %llu bytes read\n",
            (unsigned long long)st.records, (unsigned long long)st.segments,
            (unsigned long long)st.segments_pruned, (unsigned long long)st.blocks,
            (unsigned long long)st.blocks_pruned, (unsigned long long)st.blocks_damaged,
            (unsigned long long)st.bytes_read);
}

/* Stream the scan into the writer; returns CLI_OK or CLI_FAIL. */
static int run_scan(store_scan *sc, output_records *w, uint64_t limit)
{
    const flow_batch *b;
    uint64_t printed = 0;
    int status = CLI_OK, rc;
    c2_err err;
    while ((rc = store_scan_next(sc, &b, &err)) != 0) {
        if (rc < 0) {
            cli_error("query", "%s (skipped)", err.msg);
            status = CLI_FAIL;
            continue;
        }
        flow_batch part = *b;
        if (limit && printed + part.count > limit) part.count = (size_t)(limit - printed);
        if (output_records_batch(w, &part, &err) != 0) {
            cli_error("query", "%s", err.msg);
            return CLI_FAIL;
        }
        printed += part.count;
        if (limit && printed >= limit) break;
    }
    return status;
}

int cmd_query(int argc, char **argv)
{
    query_args a = {0};
    store_scan_spec spec;
    output_format fmt = OUTPUT_TABLE;
    c2_config cfg;
    int rc = parse_args(argc, argv, &a);
    if (rc != CLI_OK) return rc < 0 ? CLI_OK : rc;
    if ((rc = build_spec(&a, &spec, &fmt)) != CLI_OK) return rc;
    if ((rc = cli_load_config("query", &a.store, &cfg)) != CLI_OK) return rc;
    store *s;
    if ((rc = cli_open_store("query", &cfg, 0, &s)) != CLI_OK) return rc;
    store_scan *sc = NULL;
    output_records *w = NULL;
    c2_err err;
    if (store_scan_open(s, &spec, &sc, &err) != 0 ||
        output_records_begin(stdout, fmt, spec.fields, &w, &err) != 0) {
        cli_error("query", "%s", err.msg);
        store_scan_close(sc);
        store_close(s);
        return CLI_FAIL;
    }
    rc = run_scan(sc, w, a.limit);
    if (output_records_end(w, NULL, &err) != 0) {
        cli_error("query", "%s", err.msg);
        rc = CLI_FAIL;
    }
    if (a.stats) print_stats(sc);
    store_scan_close(sc);
    store_close(s);
    return rc;
}
