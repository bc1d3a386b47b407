/*
 * cmd_check.c: `c2flow check`, verify every segment of a store: checksums,
 * decoding of every column, and footer min/max against the records.
 */
#include <getopt.h>
#include <stdio.h>

#include "cli/cli.h"
#include "store/store.h"

static const char *const check_help =
    "usage: c2flow check --store DIR   (or: c2flow check DIR)\n"
    "\n"
    "Read every segment of a store and verify it: header, footer and column\n"
    "checksums, that every column decodes, and that the footer's min/max\n"
    "match the records.  Each problem is printed as 'FILE: block N: what';\n"
    "the rest of the store stays readable whatever is damaged.\n"
    "\n"
    CLI_STORE_HELP
    "  -q, --quiet           print problems only, no summary\n"
    "  -h, --help            this text\n"
    "\n"
    "Exit status: 0 store sound, 1 damage found or failure, 2 usage.\n"
    "See docs/check.md.\n";

#include <string.h>

/* Messages from the segment reader already name the file (and block). */
static void print_problem(const char *path, long block, const char *msg, void *arg)
{
    (void)arg;
    if (!strncmp(msg, path, strlen(path))) printf("DAMAGED %s\n", msg);
    else if (block < 0) printf("DAMAGED %s: %s\n", path, msg);
    else printf("DAMAGED %s: block %ld: %s\n", path, block, msg);
}

int cmd_check(int argc, char **argv)
{
    static const struct option opts[] = {
        CLI_STORE_LONGOPTS,
        {"quiet", no_argument, 0, 'q'},
        {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0},
    };
    cli_store_args sa = {0};
    int quiet = 0, c, rc;
    while ((c = getopt_long(argc, argv, "qh", opts, NULL)) != -1) {
        if (cli_store_option(&sa, c, optarg)) continue;
        switch (c) {
        case 'q': quiet = 1; break;
        case 'h': fputs(check_help, stdout); return CLI_OK;
        default: return cli_usage("check", "unknown option");
        }
    }
    if (optind < argc && !sa.store_dir) sa.store_dir = argv[optind++];
    if (optind < argc) return cli_usage("check", "unexpected argument '%s'", argv[optind]);
    c2_config cfg;
    store *s;
    if ((rc = cli_load_config("check", &sa, &cfg)) != CLI_OK) return rc;
    if ((rc = cli_open_store("check", &cfg, 0, &s)) != CLI_OK) return rc;
    store_check_report rep;
    c2_err err;
    rc = store_check(s, &rep, print_problem, NULL, &err);
    store_close(s);
    if (rc != 0) {
        cli_error("check", "%s", err.msg);
        return CLI_FAIL;
    }
    if (!quiet) {
        printf("segments %llu (%llu damaged), blocks %llu (%llu damaged), "
               "records %llu readable\n",
               (unsigned long long)rep.segments, (unsigned long long)rep.segments_bad,
               (unsigned long long)rep.blocks, (unsigned long long)rep.blocks_bad,
               (unsigned long long)rep.records);
        if (rep.temp_files)
            printf("%llu temporary files left by interrupted writers "
                   "(dot-files ending in .tmp; not part of the store, safe to delete "
                   "when no writer runs)\n", (unsigned long long)rep.temp_files);
    }
    return rep.segments_bad ? CLI_FAIL : CLI_OK;
}
