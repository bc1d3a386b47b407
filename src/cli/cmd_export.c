/*
 * cmd_export.c: `c2flow export`, a C2 list written in the formats firewalls,
 * IDS sensors and threat-intelligence platforms read (docs/export.md).
 *
 * The list is read whole, the export is built in memory and only then
 * written: to standard output, or replacing --out atomically, so a failed
 * run leaves an old --out file as it was.  suricata-iprep's --out is a
 * directory that receives the categories file and the list; misp-feed's a
 * directory that receives the event, hashes.csv and manifest.json.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "c2list/c2list.h"
#include "cli/cli.h"
#include "export/export.h"

static const char *const export_help =
    "usage: c2flow export --format FMT --in LIST [--out FILE|DIR] [--name NAME]\n"
    "                     [--tlp LEVEL] [--identity NAME] [--valid-days N]\n"
    "\n"
    "Write a C2 list (CSV or JSON Lines, docs/c2list.md) in a format other tools\n"
    "read.  Only the list's servers (address, port, protocol, times, score,\n"
    "malware category) leave: a C2 list holds no customer address and no flow\n"
    "record.\n"
    "\n"
    "  -f, --format FMT      csv, jsonl (the list's own forms), feodo-csv,\n"
    "                        threatfox-csv (abuse.ch feeds' columns), nftables\n"
    "                        (an nft -f script), ipset (ipset restore),\n"
    "                        suricata-iprep (IP reputation), zeek-intel,\n"
    "                        stix21 (a STIX 2.1 bundle; a malware object per\n"
    "                        category), misp-feed (a MISP feed directory:\n"
    "                        needs --out DIR)\n"
    "  -i, --in LIST         the C2 list ('-' = stdin)\n"
    "      --out FILE        write FILE, replaced only when the export succeeded\n"
    "                        (default: standard output); for suricata-iprep a\n"
    "                        directory receiving categories.txt and NAME.list;\n"
    "                        for misp-feed a directory receiving manifest.json,\n"
    "                        UUID.json and hashes.csv\n"
    "      --name NAME       nftables table, ipset set prefix (NAME-v4, NAME-v6),\n"
    "                        Suricata category, Zeek meta.source, MISP event\n"
    "                        (default c2flow)\n"
    "      --tlp LEVEL       stix21, misp-feed: TLP 2.0 level: clear, green,\n"
    "                        amber (default), amber+strict, red\n"
    "      --identity NAME   stix21, misp-feed: the sharing organisation's name\n"
    "                        (default c2flow)\n"
    "      --valid-days N    stix21: indicators valid until N days after last seen\n"
    "                        (default 0: no valid_until)\n"
    "  -h, --help            this text\n"
    "\n"
    "Exit status: 0 written, 1 unreadable list or write error, 2 usage.\n"
    "See docs/export.md.\n";

enum { OPT_OUT = CLI_OPT_FIRST_COMMAND_OPT, OPT_NAME, OPT_TLP, OPT_IDENTITY, OPT_VALID_DAYS };

typedef struct export_args {
    const char    *in, *out;
    export_format  fmt;
    int            have_fmt;
    export_options opt;
} export_args;

static int parse_args(int argc, char **argv, export_args *a)
{
    static const struct option opts[] = {
        {"format", required_argument, 0, 'f'},
        {"in", required_argument, 0, 'i'},
        {"out", required_argument, 0, OPT_OUT},
        {"name", required_argument, 0, OPT_NAME},
        {"tlp", required_argument, 0, OPT_TLP},
        {"identity", required_argument, 0, OPT_IDENTITY},
        {"valid-days", required_argument, 0, OPT_VALID_DAYS},
        {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0},
    };
    int c, fmt, tlp;
    uint64_t n;
    c2_err err;
    while ((c = getopt_long(argc, argv, "f:i:h", opts, NULL)) != -1) {
        switch (c) {
        case 'f':
            if ((fmt = export_format_lookup(optarg)) < 0)
                return cli_usage("export", "--format: unknown format '%s' (%s)", optarg,
                                 export_format_names());
            a->fmt = (export_format)fmt;
            a->have_fmt = 1;
            break;
        case 'i': a->in = optarg; break;
        case OPT_OUT: a->out = optarg; break;
        case OPT_NAME:
            if (export_name_check(optarg, &err) != 0) return cli_usage("export", "--name: %s", err.msg);
            a->opt.name = optarg;
            break;
        case OPT_TLP:
            if ((tlp = export_tlp_lookup(optarg)) < 0)
                return cli_usage("export", "--tlp: '%s' is not clear, green, amber, "
                                 "amber+strict or red", optarg);
            a->opt.tlp = (export_tlp)tlp;
            break;
        case OPT_IDENTITY:
            if (!*optarg || strlen(optarg) > 256)
                return cli_usage("export", "--identity: 1 to 256 characters");
            a->opt.identity = optarg;
            break;
        case OPT_VALID_DAYS:
            if (c2_u64_parse(optarg, 36500, &n) != 0)
                return cli_usage("export", "--valid-days: '%s' is not 0-36500", optarg);
            a->opt.valid_days = (uint32_t)n;
            break;
        case 'h': fputs(export_help, stdout); return -1;
        default: return cli_usage("export", "unknown option");
        }
    }
    if (optind < argc) return cli_usage("export", "unexpected argument '%s'", argv[optind]);
    if (!a->have_fmt || !a->in) return cli_usage("export", "--format and --in are required");
    if (a->out && !*a->out) return cli_usage("export", "--out: empty path");
    if (a->fmt == EXPORT_MISP_FEED && !a->out)
        return cli_usage("export", "misp-feed needs --out DIR");
    return CLI_OK;
}

/* Text produced by write into a malloc'ed buffer: CLI_OK or CLI_FAIL. */
typedef int (*export_fn)(const c2list *l, const export_args *a, FILE *f, c2_err *err);

static int write_list(const c2list *l, const export_args *a, FILE *f, c2_err *err)
{
    return export_write(l, a->fmt, &a->opt, f, err);
}

static int write_categories(const c2list *l, const export_args *a, FILE *f, c2_err *err)
{
    (void)l;
    return export_iprep_categories(&a->opt, f, err);
}

typedef struct emitted { const c2list *l; const export_args *a; export_fn fn; } emitted;

static int write_emitted(FILE *f, void *arg, c2_err *err)
{
    const emitted *x = arg;
    return x->fn(x->l, x->a, f, err);
}

/* fn's text, built in memory, then put at path (NULL: stdout). */
static int emit(const c2list *l, const export_args *a, export_fn fn, const char *path)
{
    c2_err err;
    emitted x = {l, a, fn};
    if (c2_file_write_by(path, C2_SHARED, write_emitted, &x, &err) == 0) return CLI_OK;
    cli_error("export", "%s", err.msg);
    return CLI_FAIL;
}

static int write_manifest(const c2list *l, const export_args *a, FILE *f, c2_err *err)
{
    return export_misp_manifest(l, &a->opt, f, err);
}

static int write_hashes(const c2list *l, const export_args *a, FILE *f, c2_err *err)
{
    return export_misp_hashes(l, &a->opt, f, err);
}

/* The event and hashes.csv first, the manifest last: a MISP instance that
 * fetches meanwhile never finds a manifest naming a missing event. */
static int emit_misp_dir(const c2list *l, const export_args *a)
{
    c2_err err;
    char uuid[40], event[4096], hashes[4096], manifest[4096];
    if (c2_mkdir_p(a->out, C2_SHARED, &err) != 0) {
        cli_error("export", "%s", err.msg);
        return CLI_FAIL;
    }
    export_misp_event_uuid(&a->opt, uuid, sizeof uuid);
    if (snprintf(event, sizeof event, "%s/%s.json", a->out, uuid) >= (int)sizeof event ||
        snprintf(hashes, sizeof hashes, "%s/hashes.csv", a->out) >= (int)sizeof hashes ||
        snprintf(manifest, sizeof manifest, "%s/manifest.json", a->out) >= (int)sizeof manifest) {
        cli_error("export", "--out: path too long");
        return CLI_FAIL;
    }
    int rc = emit(l, a, write_list, event);
    if (rc == CLI_OK) rc = emit(l, a, write_hashes, hashes);
    return rc == CLI_OK ? emit(l, a, write_manifest, manifest) : rc;
}

static int emit_iprep_dir(const c2list *l, const export_args *a)
{
    c2_err err;
    char list[4096], cats[4096];
    const char *name = a->opt.name ? a->opt.name : "c2flow";
    if (c2_mkdir_p(a->out, C2_SHARED, &err) != 0) {
        cli_error("export", "%s", err.msg);
        return CLI_FAIL;
    }
    if (snprintf(list, sizeof list, "%s/%s.list", a->out, name) >= (int)sizeof list ||
        snprintf(cats, sizeof cats, "%s/categories.txt", a->out) >= (int)sizeof cats) {
        cli_error("export", "--out: path too long");
        return CLI_FAIL;
    }
    int rc = emit(l, a, write_list, list);
    return rc == CLI_OK ? emit(l, a, write_categories, cats) : rc;
}

int cmd_export(int argc, char **argv)
{
    export_args a = {.opt = {.tlp = EXPORT_TLP_AMBER}};
    int rc = parse_args(argc, argv, &a);
    if (rc != CLI_OK) return rc < 0 ? CLI_OK : rc;
    c2list *l = NULL;
    c2_err err;
    if (c2list_read_file(a.in, 0, &l, &err) != 0) {
        cli_error("export", "%s", err.msg);
        return CLI_FAIL;
    }
    if (a.fmt == EXPORT_SURICATA_IPREP && a.out) rc = emit_iprep_dir(l, &a);
    else if (a.fmt == EXPORT_MISP_FEED) rc = emit_misp_dir(l, &a);
    else rc = emit(l, &a, write_list, a.out);
    c2list_free(l);
    return rc;
}
