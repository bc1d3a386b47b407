/*
 * cmd_share.c: `c2flow share`, a C2 list submitted to the hub
 * (docs/share.md).
 *
 * The file is sent as it is, bytes unchanged, so that its SHA-256 (the
 * default submission id) names exactly what the hub received and a second
 * run is recognised as a duplicate.  Before anything leaves: a `c2flow
 * lookback` answer (customer addresses) is refused outright, and a CSV or
 * JSON Lines list must read as a C2 list (src/c2list is strict: no column
 * outside the schema), so only the list's own fields can travel.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/hub_args.h"
#include "export/export.h"
#include "lookback/lookback.h"

#define SHARE_MAX_BODY (256u << 20)

static const char *const share_help =
    "usage: c2flow share --hub URL (--token T | --token-file F) --list FILE\n"
    "                    [--format auto|csv|jsonl|stix21] [--as-of TIME] [--id ID]\n"
    "                    [--tlp LEVEL] [--cacert FILE] [--timeout DUR] [--config FILE]\n"
    "\n"
    "Submit a C2 list (CSV or JSON Lines, docs/c2list.md, or a STIX 2.1 bundle)\n"
    "to the industry hub, which evaluates it and shares it with trusted members.\n"
    "The file is sent as it is; a list must hold only the list's own fields, and\n"
    "an answer of `c2flow lookback` (customer addresses) is refused.\n"
    "\n"
    "  -l, --list FILE       the list to submit ('-' = stdin), at most 256 MiB\n"
    "  -f, --format FMT      auto (default: told from the text), csv, jsonl, stix21\n"
    "      --as-of TIME      when the list was made (ISO 8601, or now-2h ...);\n"
    "                        default: when the hub receives it\n"
    "      --id ID           submission id, 1-64 of A-Z a-z 0-9 . _ -\n"
    "                        (default: the SHA-256 of the file, hex)\n"
    "      --tlp LEVEL       clear, green, amber (the hub's default), amber+strict, red\n"
    CLI_HUB_HELP
    "  -h, --help            this text\n"
    "\n"
    "Exit status: 0 stored or already stored, 1 refused or failed, 2 usage.\n"
    "See docs/share.md.\n";

enum { OPT_AS_OF = CLI_OPT_FIRST_COMMAND_OPT, OPT_ID, OPT_TLP };

typedef struct share_args {
    cli_hub_args     hub;
    const char      *list;
    hubclient_format fmt;               /* HUBCLIENT_UNKNOWN: auto */
    char             as_of[40];         /* "" = none */
    const char      *id, *tlp;
} share_args;

static int parse_value(share_args *a, int c, const char *arg)
{
    int64_t t;
    c2_err err;
    switch (c) {
    case 'l': a->list = arg; return CLI_OK;
    case 'f':
        if (!strcmp(arg, "auto")) a->fmt = HUBCLIENT_UNKNOWN;
        else if ((a->fmt = hubclient_format_lookup(arg)) == HUBCLIENT_UNKNOWN)
            return cli_usage("share", "--format: '%s' is not auto, csv, jsonl or stix21", arg);
        return CLI_OK;
    case OPT_AS_OF:
        if (c2_time_parse(arg, c2_now_ms(), &t, &err) != 0)
            return cli_usage("share", "--as-of: %s", err.msg);
        c2_time_format(t, a->as_of, sizeof a->as_of);
        return CLI_OK;
    case OPT_ID:
        if (!hubclient_id_valid(arg))
            return cli_usage("share", "--id: 1 to 64 of A-Z a-z 0-9 . _ -");
        a->id = arg;
        return CLI_OK;
    case OPT_TLP:
        if (export_tlp_lookup(arg) < 0)
            return cli_usage("share", "--tlp: '%s' is not clear, green, amber, "
                             "amber+strict or red", arg);
        a->tlp = arg;
        return CLI_OK;
    default:
        return cli_hub_option(&a->hub, c, arg) ? CLI_OK : cli_usage("share", "unknown option");
    }
}

static int parse_args(int argc, char **argv, share_args *a)
{
    static const struct option opts[] = {
        {"list", required_argument, 0, 'l'},
        {"format", required_argument, 0, 'f'},
        {"as-of", required_argument, 0, OPT_AS_OF},
        {"id", required_argument, 0, OPT_ID},
        {"tlp", required_argument, 0, OPT_TLP},
        {"help", no_argument, 0, 'h'},
        CLI_HUB_LONGOPTS,
        {0, 0, 0, 0},
    };
    int c, rc;
    while ((c = getopt_long(argc, argv, "l:f:h", opts, NULL)) != -1) {
        if (c == 'h') {
            fputs(share_help, stdout);
            return -1;
        }
        if (c == '?') return cli_usage("share", "unknown option");
        if ((rc = parse_value(a, c, optarg)) != CLI_OK) return rc;
    }
    if (optind < argc) return cli_usage("share", "unexpected argument '%s'", argv[optind]);
    if (!a->list || !*a->list) return cli_usage("share", "--list FILE is required");
    return CLI_OK;
}

static int read_body(const char *path, uint8_t **buf, size_t *len, c2_err *err)
{
    if (!strcmp(path, "-")) {
        if (c2_stream_read(stdin, SHARE_MAX_BODY, buf, len, err) != 0) return -1;
        if (*len <= SHARE_MAX_BODY) return 0;
        free(*buf);
        return c2_fail(err, "stdin: larger than %u MiB", SHARE_MAX_BODY >> 20);
    }
    int rc = c2_file_read(path, SHARE_MAX_BODY, buf, len, err);
    return rc == 1 ? 0 : rc == 0 ? c2_fail(err, "%s: no such file", path) : -1;
}

/* The body's format, checked: CLI_OK, or CLI_FAIL printed. */
static int check_body(const share_args *a, const uint8_t *buf, size_t len,
                      hubclient_format *fmt)
{
    c2_err err;
    c2list *l;
    if (lookback_is_answer(buf, len)) {
        cli_error("share", "%s is an answer of `c2flow lookback`: it holds customer "
                  "addresses and is never shared", a->list);
        return CLI_FAIL;
    }
    hubclient_format seen = hubclient_sniff(buf, len);
    static const char *const names[] = {"CSV", "JSON Lines", "a STIX bundle"};
    if (a->fmt != HUBCLIENT_UNKNOWN && seen != HUBCLIENT_UNKNOWN && seen != a->fmt) {
        cli_error("share", "%s is %s, not %s as --format says", a->list, names[seen],
                  names[a->fmt]);
        return CLI_FAIL;
    }
    *fmt = a->fmt != HUBCLIENT_UNKNOWN ? a->fmt : seen;
    if (*fmt == HUBCLIENT_UNKNOWN) {
        cli_error("share", "%s is neither a C2 list (CSV or JSON Lines) nor a STIX 2.1 "
                  "bundle", a->list);
        return CLI_FAIL;
    }
    if (*fmt == HUBCLIENT_STIX21) return CLI_OK;
    if (c2list_read_mem(buf, len, 0, &l, &err) != 0) {
        cli_error("share", "%s: %s", a->list, err.msg);
        return CLI_FAIL;
    }
    c2list_free(l);
    return CLI_OK;
}

static int submit(share_args *a, const uint8_t *buf, size_t len, hubclient_format fmt)
{
    hubclient_submission s = {
        .body = buf, .len = len, .format = fmt, .id = a->id,
        .as_of = a->as_of[0] ? a->as_of : NULL, .tlp = a->tlp,
    };
    hubclient_receipt r;
    c2_err err;
    if (hubclient_submit(&a->hub.client, &s, &r, &err) != 0) {
        cli_error("share", "%s", err.msg);
        return CLI_FAIL;
    }
    if (r.duplicate) printf("c2flow share: submission %s: already stored (duplicate)\n", r.id);
    else printf("c2flow share: submission %s: %llu rows stored\n", r.id,
                (unsigned long long)r.rows);
    return CLI_OK;
}

int cmd_share(int argc, char **argv)
{
    share_args *a = calloc(1, sizeof *a);
    if (!a) {
        cli_error("share", "out of memory");
        return CLI_FAIL;
    }
    a->fmt = HUBCLIENT_UNKNOWN;
    int rc = parse_args(argc, argv, a);
    if (rc == CLI_OK) rc = cli_hub_resolve("share", &a->hub);
    uint8_t *buf = NULL;
    size_t len = 0;
    hubclient_format fmt;
    c2_err err;
    if (rc == CLI_OK && read_body(a->list, &buf, &len, &err) != 0) {
        cli_error("share", "%s", err.msg);
        rc = CLI_FAIL;
    }
    if (rc == CLI_OK) rc = check_body(a, buf, len, &fmt);
    if (rc == CLI_OK) rc = submit(a, buf, len, fmt);
    free(buf);
    free(a);
    return rc < 0 ? CLI_OK : rc;
}
