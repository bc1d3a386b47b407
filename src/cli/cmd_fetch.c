/*
 * cmd_fetch.c: `c2flow fetch`, what is new on the hub merged into a local
 * C2 list (docs/fetch.md).
 *
 * The order makes a failure at any point harmless: the hub's answer is read
 * whole and checked (src/c2list), the merged list replaces LIST atomically,
 * and only then does the state file take the hub's X-C2flow-Date-Added-Last.
 * A run that dies before the state is written asks again for rows it
 * already merged, and merging them twice changes nothing.  A LIST that is
 * missing makes the state void (the whole list is pulled again), and a
 * LIST that cannot be read is an error, never overwritten.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/hub_args.h"

#define STATE_MAX 65536

static const char *const fetch_help =
    "usage: c2flow fetch --hub URL (--token T | --token-file F) --out LIST\n"
    "                    [--state FILE] [--format csv|jsonl] [--cacert FILE]\n"
    "                    [--timeout DUR] [--config FILE]\n"
    "\n"
    "Pull from the industry hub the evaluated C2 list entries that are new or\n"
    "changed since the last pull and merge them into the local list LIST (one\n"
    "row per ip, port, proto; the hub's row replaces an older one), which\n"
    "`c2flow lookback --list LIST` can search.\n"
    "\n"
    "  -o, --out LIST        the local list, created if missing, replaced atomically\n"
    "      --state FILE      where the time of the last pull is kept (LIST.state)\n"
    "  -f, --format FMT      LIST's form: csv or jsonl (default: the form LIST\n"
    "                        has, else jsonl for a name ending .jsonl or .json,\n"
    "                        else csv)\n"
    CLI_HUB_HELP
    "  -h, --help            this text\n"
    "\n"
    "Exit status: 0 merged (also when nothing was new), 1 failed, 2 usage.\n"
    "See docs/fetch.md.\n";

enum { OPT_STATE = CLI_OPT_FIRST_COMMAND_OPT };

typedef struct fetch_args {
    cli_hub_args hub;
    const char  *out, *state;
    int          fmt;                   /* c2list_format, -1 = not given */
    char         state_buf[4096];       /* LIST.state */
} fetch_args;

static int parse_args(int argc, char **argv, fetch_args *a)
{
    static const struct option opts[] = {
        {"out", required_argument, 0, 'o'},
        {"state", required_argument, 0, OPT_STATE},
        {"format", required_argument, 0, 'f'},
        {"help", no_argument, 0, 'h'},
        CLI_HUB_LONGOPTS,
        {0, 0, 0, 0},
    };
    int c;
    while ((c = getopt_long(argc, argv, "o:f:h", opts, NULL)) != -1) {
        if (c == 'h') {
            fputs(fetch_help, stdout);
            return -1;
        } else if (c == 'o') {
            a->out = optarg;
        } else if (c == OPT_STATE) {
            a->state = optarg;
        } else if (c == 'f') {
            if (strcmp(optarg, "csv") && strcmp(optarg, "jsonl"))
                return cli_usage("fetch", "--format: '%s' is not csv or jsonl", optarg);
            a->fmt = c2list_format_lookup(optarg);
        } else if (c == '?' || !cli_hub_option(&a->hub, c, optarg)) {
            return cli_usage("fetch", "unknown option");
        }
    }
    if (optind < argc) return cli_usage("fetch", "unexpected argument '%s'", argv[optind]);
    if (!a->out || !*a->out || !strcmp(a->out, "-"))
        return cli_usage("fetch", "--out LIST (a file) is required");
    if (a->state && !*a->state) return cli_usage("fetch", "--state: empty path");
    if (!a->state) {
        if ((size_t)snprintf(a->state_buf, sizeof a->state_buf, "%s.state", a->out) >=
            sizeof a->state_buf)
            return cli_usage("fetch", "--out: path too long");
        a->state = a->state_buf;
    }
    return CLI_OK;
}

/* LIST's form: its first non-blank byte ('{': JSON Lines), else its name. */
static c2list_format list_form(const char *path)
{
    FILE *f = fopen(path, "rb");
    int ch = EOF;
    if (f) {
        while ((ch = getc(f)) != EOF && ch && strchr(" \t\r\n\xEF\xBB\xBF", ch)) {}
        fclose(f);
    }
    if (ch != EOF) return ch == '{' ? C2LIST_JSONL : C2LIST_CSV;
    size_t n = strlen(path);
    int json = (n > 6 && !strcmp(path + n - 6, ".jsonl")) ||
               (n > 5 && !strcmp(path + n - 5, ".json"));
    return json ? C2LIST_JSONL : C2LIST_CSV;
}

/* The local list (NULL when LIST does not exist) and the time of the last
 * pull ("" = everything); CLI_OK or CLI_FAIL printed. */
static int load_local(const fetch_args *a, c2list **local, char last[HUBCLIENT_TIME_MAX])
{
    struct stat st;
    c2_err err;
    uint8_t *buf;
    size_t len;
    *local = NULL;
    last[0] = '\0';
    if (stat(a->out, &st) != 0) {
        if (errno == ENOENT) return CLI_OK;
        cli_error("fetch", "%s: %s", a->out, strerror(errno));
        return CLI_FAIL;
    }
    if (c2list_read_file(a->out, 0, local, &err) != 0) {
        cli_error("fetch", "%s (not replaced): %s", a->out, err.msg);
        return CLI_FAIL;
    }
    int rc = c2_file_read(a->state, STATE_MAX, &buf, &len, &err);
    if (rc == 1) {
        rc = hubclient_state_parse(buf, len, a->hub.cfg.share.hub, last, &err) == 0 ? 1 : -1;
        free(buf);
        if (rc < 0) c2_err_prefix(&err, "%s", a->state);
    }
    if (rc >= 0) return CLI_OK;
    cli_error("fetch", "state file %s (remove it to pull everything again)", err.msg);
    c2list_free(*local);
    *local = NULL;
    return CLI_FAIL;
}

typedef struct list_out { const c2list *l; c2list_format fmt; } list_out;

static int write_list(FILE *f, void *arg, c2_err *err)
{
    const list_out *o = arg;
    return c2list_write(o->l, f, o->fmt, err);
}

/* LIST, then the state; CLI_OK or CLI_FAIL printed. */
static int save(const fetch_args *a, const c2list *merged, const char *last)
{
    list_out o = {merged, a->fmt >= 0 ? (c2list_format)a->fmt : list_form(a->out)};
    char text[HUBCLIENT_URL_MAX + HUBCLIENT_TIME_MAX + 128];
    c2_err err;
    if (c2_file_write_by(a->out, C2_SHARED, write_list, &o, &err) != 0) {
        cli_error("fetch", "%s", err.msg);
        return CLI_FAIL;
    }
    if (!*last) return CLI_OK;
    if (hubclient_state_format(a->hub.cfg.share.hub, last, text, sizeof text, &err) != 0 ||
        c2_file_replace(a->state, text, strlen(text), C2_SHARED, &err) != 0) {
        cli_error("fetch", "%s written, but not the state %s: %s", a->out, a->state, err.msg);
        return CLI_FAIL;
    }
    return CLI_OK;
}

static int pull_merge_save(fetch_args *a)
{
    c2list *local, *merged = NULL;
    char last[HUBCLIENT_TIME_MAX];
    hubclient_pull p = {0};
    size_t changed = 0;
    c2_err err;
    int rc = load_local(a, &local, last);
    if (rc == CLI_OK && hubclient_fetch(&a->hub.client, last, 0, &p, &err) != 0) {
        cli_error("fetch", "%s", err.msg);
        rc = CLI_FAIL;
    }
    if (rc == CLI_OK && hubclient_merge(local, p.list, &merged, &changed, &err) != 0) {
        cli_error("fetch", "merging: %s", err.msg);
        rc = CLI_FAIL;
    }
    if (rc == CLI_OK) rc = save(a, merged, p.last[0] ? p.last : last);
    if (rc == CLI_OK)
        printf("c2flow fetch: %zu new or changed entries, %s now has %zu\n", changed, a->out,
               c2list_count(merged));
    c2list_free(local);
    c2list_free(p.list);
    c2list_free(merged);
    return rc;
}

int cmd_fetch(int argc, char **argv)
{
    fetch_args *a = calloc(1, sizeof *a);
    if (!a) {
        cli_error("fetch", "out of memory");
        return CLI_FAIL;
    }
    a->fmt = -1;
    int rc = parse_args(argc, argv, a);
    if (rc == CLI_OK) rc = cli_hub_resolve("fetch", &a->hub);
    if (rc == CLI_OK) rc = pull_merge_save(a);
    free(a);
    return rc < 0 ? CLI_OK : rc;
}
