/*
 * cmd_hub.c: `c2flow hub`, the industry body's side (docs/hub.md):
 *
 *   hub serve   --config hub.conf        the HTTPS server (TAXII 2.1 and the API)
 *   hub member  add|revoke|list          members, their groups and tokens
 *   hub review  [list|confirm|reject]    the analysts' second pass
 *   hub report  --from --to -o json|html the figures of the trial
 *   hub audit                            the audit log, JSON Lines
 *
 * Every subcommand reads hub.conf (--config, else $C2FLOW_HUB_CONFIG, else
 * /etc/c2flow/hub.conf) and works on its database.
 */
#include <getopt.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "hub/hub.h"
#include "hubreport/hubreport.h"

#define HUB_CONFIG_DEFAULT "/etc/c2flow/hub.conf"

static const char hub_usage[] =
    "usage: c2flow hub serve  [--config FILE] [--listen ADDR:PORT] [--port-file FILE]\n"
    "       c2flow hub member add NAME --group G [--group G ...] [--purposes TEXT] [--read-only]\n"
    "       c2flow hub member revoke NAME\n"
    "       c2flow hub member list\n"
    "       c2flow hub review [list] [--all]\n"
    "       c2flow hub review confirm|reject IP[:PORT[/PROTO]] --analyst NAME [--note TEXT]\n"
    "       c2flow hub report [--from TIME] [--to TIME] [-o json|html] [--out FILE]\n"
    "       c2flow hub audit  [--after SEQ]\n"
    "\n"
    "The industry hub: members submit C2 lists, the hub evaluates them, analysts\n"
    "confirm or reject entries, and members read the result over TAXII 2.1 or\n"
    "GET /api/v1/lists (docs/hub.md).\n"
    "\n"
    "  --config FILE     hub.conf (default: $C2FLOW_HUB_CONFIG, else " HUB_CONFIG_DEFAULT ")\n"
    "  --listen A:P      serve here instead of [hub] listen (port 0: any free port)\n"
    "  --port-file FILE  write the address served on into FILE once listening\n"
    "  --group G         a trust group of the member (repeat for several)\n"
    "  --purposes TEXT   the purposes of use the member agreed to\n"
    "  --read-only       the member may read but not submit\n"
    "  --all             every indicator, not only those waiting for a decision\n"
    "  --analyst NAME    who decides (kept in the audit log)\n"
    "  --note TEXT       why\n"
    "  --from, --to      report range (ISO 8601 or now-30d; default: everything)\n"
    "  -o, --format F    report as json (default) or html\n"
    "  --out FILE        write the report there instead of standard output\n"
    "  --after SEQ       audit events after this sequence number\n";

enum { OPT_CONFIG = 1, OPT_LISTEN, OPT_PORT_FILE, OPT_GROUP, OPT_PURPOSES, OPT_READ_ONLY,
       OPT_ALL, OPT_ANALYST, OPT_NOTE, OPT_FROM, OPT_TO, OPT_OUT, OPT_AFTER, OPT_HELP };

typedef struct hub_args {
    const char *config, *listen, *port_file, *purposes, *analyst, *note;
    const char *from, *to, *format, *out, *after;
    const char *groups[HUBDB_GROUPS_MAX];
    size_t      ngroups;
    int         read_only, all;
    int         npos;
    char      **pos;                    /* positional words after the subcommand */
} hub_args;

static int parse_args(int argc, char **argv, hub_args *a)
{
    static const struct option opts[] = {
        {"config", required_argument, 0, OPT_CONFIG},
        {"listen", required_argument, 0, OPT_LISTEN},
        {"port-file", required_argument, 0, OPT_PORT_FILE},
        {"group", required_argument, 0, OPT_GROUP},
        {"purposes", required_argument, 0, OPT_PURPOSES},
        {"read-only", no_argument, 0, OPT_READ_ONLY},
        {"all", no_argument, 0, OPT_ALL},
        {"analyst", required_argument, 0, OPT_ANALYST},
        {"note", required_argument, 0, OPT_NOTE},
        {"from", required_argument, 0, OPT_FROM},
        {"to", required_argument, 0, OPT_TO},
        {"format", required_argument, 0, 'o'},
        {"out", required_argument, 0, OPT_OUT},
        {"after", required_argument, 0, OPT_AFTER},
        {"help", no_argument, 0, OPT_HELP},
        {0, 0, 0, 0}};
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "o:", opts, NULL)) != -1) {
        switch (c) {
        case OPT_CONFIG: a->config = optarg; break;
        case OPT_LISTEN: a->listen = optarg; break;
        case OPT_PORT_FILE: a->port_file = optarg; break;
        case OPT_GROUP:
            if (a->ngroups == HUBDB_GROUPS_MAX)
                return cli_usage("hub", "at most %d groups", HUBDB_GROUPS_MAX);
            a->groups[a->ngroups++] = optarg;
            break;
        case OPT_PURPOSES: a->purposes = optarg; break;
        case OPT_READ_ONLY: a->read_only = 1; break;
        case OPT_ALL: a->all = 1; break;
        case OPT_ANALYST: a->analyst = optarg; break;
        case OPT_NOTE: a->note = optarg; break;
        case OPT_FROM: a->from = optarg; break;
        case OPT_TO: a->to = optarg; break;
        case 'o': a->format = optarg; break;
        case OPT_OUT: a->out = optarg; break;
        case OPT_AFTER: a->after = optarg; break;
        case OPT_HELP: fputs(hub_usage, stdout); return -1;
        default: return cli_usage("hub", "unknown option");
        }
    }
    a->pos = argv + optind;
    a->npos = argc - optind;
    return CLI_OK;
}

static int load(const hub_args *a, hub_config *cfg)
{
    const char *path = a->config ? a->config : getenv("C2FLOW_HUB_CONFIG");
    if (!path) path = HUB_CONFIG_DEFAULT;
    c2_err err;
    if (hub_config_load(path, cfg, &err) < 0) {
        cli_error("hub", "%s", err.msg);
        return CLI_FAIL;
    }
    if (a->listen && strlen(a->listen) < sizeof cfg->listen) strcpy(cfg->listen, a->listen);
    return CLI_OK;
}

static int open_db(const hub_args *a, hubdb **db)
{
    hub_config cfg;
    int rc = load(a, &cfg);
    if (rc != CLI_OK) return rc;
    c2_err err;
    if (hubdb_open(cfg.database, db, &err) < 0) {
        cli_error("hub", "%s", err.msg);
        return CLI_FAIL;
    }
    return CLI_OK;
}

/* The hub of the config (database and evaluation data); CLI_* status. */
static int open_hub(const hub_args *a, hub_config *cfg, hub **h)
{
    int rc = load(a, cfg);
    if (rc != CLI_OK) return rc;
    c2_err err;
    if (hub_open(cfg, h, &err) < 0) {
        cli_error("hub", "%s", err.msg);
        return CLI_FAIL;
    }
    return CLI_OK;
}

/* ---- serve ---- */

static int serve(const hub_args *a)
{
    hub_config cfg;
    hub *h;
    int rc = open_hub(a, &cfg, &h);
    if (rc != CLI_OK) return rc;
    c2_err err;
    char summary[512];
    fprintf(stderr, "c2flow hub: evaluation data: %s\n", hub_summary(h, summary, sizeof summary));
    if (hub_notice(h)[0]) fprintf(stderr, "c2flow hub: %s\n", hub_notice(h));
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, NULL);   /* before the server's threads start */
    if (hub_start(h, &err) < 0) {
        cli_error("hub", "%s", err.msg);
        hub_close(h);
        return CLI_FAIL;
    }
    fprintf(stderr, "c2flow hub: serving %s://%s (database %s)\n",
            cfg.plain_http ? "http" : "https", hub_bound(h), cfg.database);
    if (a->port_file) {
        const char *b = hub_bound(h);
        if (c2_file_replace(a->port_file, b, strlen(b), C2_SHARED, &err) < 0)
            cli_error("hub", "%s", err.msg);
    }
    int sig = 0;
    sigwait(&set, &sig);
    fprintf(stderr, "c2flow hub: signal %d, stopping\n", sig);
    hub_close(h);
    return CLI_OK;
}

/* ---- members ---- */

static int member_add(const hub_args *a, hubdb *db)
{
    if (a->npos != 3) return cli_usage("hub", "member add NAME --group G");
    char token[HUBDB_TOKEN_LEN];
    c2_err err;
    if (hubdb_member_add(db, a->pos[2], a->groups, a->ngroups, a->purposes,
                         !a->read_only, token, &err) < 0) {
        cli_error("hub", "%s", err.msg);
        return CLI_FAIL;
    }
    hubdb_audit(db, "admin", "member.add", a->pos[2], a->read_only ? "read-only" : "read-write",
                &err);
    printf("%s\n", token);
    fprintf(stderr, "c2flow hub: member %s added; its token is above and is shown only "
            "once\n", a->pos[2]);
    return CLI_OK;
}

static int member_list(hubdb *db)
{
    hubdb_member *m;
    size_t n;
    c2_err err;
    if (hubdb_member_list(db, &m, &n, &err) < 0) {
        cli_error("hub", "%s", err.msg);
        return CLI_FAIL;
    }
    printf("%-20s %-8s %-6s %-24s %s\n", "member", "state", "write", "created", "groups");
    for (size_t i = 0; i < n; i++) {
        char t[40], groups[256] = "";
        for (size_t g = 0; g < m[i].ngroups; g++)
            snprintf(groups + strlen(groups), sizeof groups - strlen(groups), "%s%s",
                     g ? "," : "", m[i].groups[g]);
        printf("%-20s %-8s %-6s %-24s %s\n", m[i].name, m[i].revoked_us ? "revoked" : "active",
               m[i].can_write ? "yes" : "no", c2_time_format(m[i].created_us / 1000, t, sizeof t),
               groups);
    }
    free(m);
    return CLI_OK;
}

static int member(const hub_args *a)
{
    if (a->npos < 2) return cli_usage("hub", "member add|revoke|list");
    hubdb *db;
    int rc = open_db(a, &db);
    if (rc != CLI_OK) return rc;
    c2_err err;
    const char *verb = a->pos[1];
    if (strcmp(verb, "add") == 0) rc = member_add(a, db);
    else if (strcmp(verb, "list") == 0) rc = member_list(db);
    else if (strcmp(verb, "revoke") == 0 && a->npos == 3) {
        rc = hubdb_member_revoke(db, a->pos[2], &err) < 0 ? CLI_FAIL : CLI_OK;
        if (rc == CLI_OK) hubdb_audit(db, "admin", "member.revoke", a->pos[2], "", &err);
        else cli_error("hub", "%s", err.msg);
    } else rc = cli_usage("hub", "member add|revoke|list");
    hubdb_close(db);
    return rc;
}

/* ---- review ---- */

static int review_list(const hub_args *a, hubdb *db)
{
    hubdb_indicator *v;
    size_t n;
    c2_err err;
    if (hubdb_indicators(db, !a->all, &v, &n, &err) < 0) {
        cli_error("hub", "%s", err.msg);
        return CLI_FAIL;
    }
    printf("%-40s %-6s %-5s %-8s %-4s %-8s %-20s %-10s %s\n", "server", "port", "proto",
           "members", "cc", "asn", "intel", "decision", "excluded");
    for (size_t i = 0; i < n; i++) {
        char ip[64], proto[8], intel[48];
        const evaluation *e = &v[i].eval;
        snprintf(intel, sizeof intel, "%s", e->intel_confirmed
                 ? (e->category[0] ? e->category : "listed") : "-");
        printf("%-40s %-6u %-5s %-8u %-4s %-8u %-20s %-10s %s\n",
               flow_addr_format(&v[i].entry.ip, ip, sizeof ip), v[i].entry.port,
               c2list_proto_format(v[i].entry.proto, proto, sizeof proto), v[i].members,
               e->country[0] ? e->country : "--", e->asn, intel,
               v[i].decision[0] ? v[i].decision : "-",
               e->excluded ? e->exclude_reason : "-");
    }
    free(v);
    return CLI_OK;
}

/* "IP", "IP:PORT", "[v6]:PORT", with "/PROTO" (default tcp). */
static int parse_key(const char *s, flow_addr *ip, uint16_t *port, uint8_t *proto)
{
    char buf[128];
    snprintf(buf, sizeof buf, "%s", s);
    *proto = 6;
    *port = 0;
    char *slash = strrchr(buf, '/');
    if (slash) {
        int p = c2list_proto_parse(slash + 1);
        if (p < 0) return -1;
        *proto = (uint8_t)p;
        *slash = '\0';
    }
    char *addr = buf, *colon = NULL;
    if (buf[0] == '[') {
        char *close = strchr(buf, ']');
        if (!close) return -1;
        *close = '\0';
        addr = buf + 1;
        colon = close[1] == ':' ? close + 1 : NULL;
    } else if (strchr(buf, ':') == strrchr(buf, ':')) {
        colon = strchr(buf, ':');
    }
    if (colon) {
        *colon = '\0';
        uint64_t p;
        if (c2_u64_parse(colon + 1, 65535, &p) < 0) return -1;
        *port = (uint16_t)p;
    }
    return flow_addr_parse(addr, ip) == 0 ? 0 : -1;
}

static int review_decide(const hub_args *a)
{
    const char *verb = a->pos[1];
    if (a->npos != 3) return cli_usage("hub", "review %s IP[:PORT[/PROTO]]", verb);
    if (!a->analyst) return cli_usage("hub", "review %s needs --analyst NAME", verb);
    flow_addr ip;
    uint16_t port;
    uint8_t proto;
    if (parse_key(a->pos[2], &ip, &port, &proto) < 0)
        return cli_usage("hub", "not a server: %s", a->pos[2]);
    hub_config cfg;
    hub *h;
    int rc = open_hub(a, &cfg, &h);
    if (rc != CLI_OK) return rc;
    c2_err err;
    const char *decision = strcmp(verb, "confirm") == 0 ? "confirmed" : "rejected";
    rc = hubdb_decide(hub_db(h), &ip, port, proto, decision, a->note, a->analyst,
                      hub_render, h, &err);
    if (rc == 0) {
        char actor[96];
        snprintf(actor, sizeof actor, "analyst:%s", a->analyst);
        hubdb_audit(hub_db(h), actor, decision, a->pos[2], a->note ? a->note : "", &err);
        printf("%s %s\n", a->pos[2], decision);
    } else {
        cli_error("hub", "%s: %s", a->pos[2], err.msg);
    }
    hub_close(h);
    return rc == 0 ? CLI_OK : CLI_FAIL;
}

static int review(const hub_args *a)
{
    if (a->npos >= 2 && (strcmp(a->pos[1], "confirm") == 0 || strcmp(a->pos[1], "reject") == 0))
        return review_decide(a);
    if (a->npos > 2 || (a->npos == 2 && strcmp(a->pos[1], "list") != 0))
        return cli_usage("hub", "review [list] | confirm | reject");
    hubdb *db;
    int rc = open_db(a, &db);
    if (rc != CLI_OK) return rc;
    rc = review_list(a, db);
    hubdb_close(db);
    return rc;
}

/* ---- report ---- */

/* The report's input from the database: member names by id, rows. */
static int report_input(hubdb *db, hubreport_input *in, hubdb_member **members,
                        hubreport_row **rows, const char ***names, c2_err *err)
{
    size_t nm, nr;
    hubdb_report_row *raw;
    if (hubdb_member_list(db, members, &nm, err) < 0) return -1;
    if (hubdb_report_rows(db, &raw, &nr, err) < 0) return -1;
    *names = calloc(nm + 1, sizeof **names);
    *rows = calloc(nr + 1, sizeof **rows);
    if (!*names || !*rows) { free(raw); return c2_fail(err, "out of memory"); }
    for (size_t i = 0; i < nm; i++) (*names)[i] = (*members)[i].name;
    for (size_t i = 0; i < nr; i++) {
        hubreport_row *r = &(*rows)[i];
        for (size_t m = 0; m < nm; m++)
            if ((*members)[m].id == raw[i].member) r->member = (uint32_t)m;
        r->ip = raw[i].ip;
        r->port = raw[i].port;
        r->proto = raw[i].proto;
        r->confirmed = raw[i].confirmed;
        r->excluded = raw[i].excluded;
        memcpy(r->country, raw[i].country, sizeof r->country);
        r->reported_ms = raw[i].as_of_us / 1000;
        r->intel_first_ms = raw[i].intel_first_ms;
    }
    free(raw);
    in->members = *names;
    in->nmembers = nm;
    in->rows = *rows;
    in->nrows = nr;
    return 0;
}

typedef struct report_text {
    const hubreport *r;
    const char      *format;
} report_text;

static int report_write(FILE *f, void *arg, c2_err *err)
{
    const report_text *t = arg;
    return strcmp(t->format, "html") == 0 ? hubreport_write_html(t->r, f, err)
                                          : hubreport_write_json(t->r, f, err);
}

static int report(const hub_args *a)
{
    const char *format = a->format ? a->format : "json";
    if (strcmp(format, "json") && strcmp(format, "html"))
        return cli_usage("hub", "report -o json|html");
    hubreport_input in = {.from_ms = C2_TIME_MIN, .to_ms = C2_TIME_MAX};
    c2_err err;
    int64_t now = c2_now_ms();
    if ((a->from && c2_time_parse(a->from, now, &in.from_ms, &err) < 0) ||
        (a->to && c2_time_parse(a->to, now, &in.to_ms, &err) < 0))
        return cli_usage("hub", "%s", err.msg);
    hubdb *db;
    int rc = open_db(a, &db);
    if (rc != CLI_OK) return rc;
    hubdb_member *members = NULL;
    hubreport_row *rows = NULL;
    const char **names = NULL;
    hubreport *r = NULL;
    rc = report_input(db, &in, &members, &rows, &names, &err);
    if (rc == 0) rc = hubreport_compute(&in, &r, &err);
    if (rc == 0) {
        /* counts per member and trust group, no list entry: to pass on */
        report_text t = {r, format};
        rc = c2_file_write_by(a->out, C2_SHARED, report_write, &t, &err);
    }
    if (rc == 0) hubdb_audit(db, "admin", "report", format, a->out ? a->out : "-", &err);
    else cli_error("hub", "%s", err.msg);
    hubreport_free(r);
    free(members);
    free(rows);
    free(names);
    hubdb_close(db);
    return rc == 0 ? CLI_OK : CLI_FAIL;
}

static int audit(const hub_args *a)
{
    uint64_t after = 0;
    if (a->after && c2_u64_parse(a->after, INT64_MAX, &after) < 0)
        return cli_usage("hub", "--after: a sequence number");
    hubdb *db;
    int rc = open_db(a, &db);
    if (rc != CLI_OK) return rc;
    c2_err err;
    rc = hubdb_audit_dump(db, (int64_t)after, stdout, &err) < 0 ? CLI_FAIL : CLI_OK;
    if (rc != CLI_OK) cli_error("hub", "%s", err.msg);
    hubdb_close(db);
    return rc;
}

int cmd_hub(int argc, char **argv)
{
    hub_args a = {0};
    int rc = parse_args(argc, argv, &a);
    if (rc < 0) return CLI_OK;          /* --help */
    if (rc != CLI_OK) return rc;
    if (a.npos < 1) return cli_usage("hub", "serve, member, review, report or audit");
    const char *sub = a.pos[0];
    if (strcmp(sub, "serve") == 0) return serve(&a);
    if (strcmp(sub, "member") == 0) return member(&a);
    if (strcmp(sub, "review") == 0) return review(&a);
    if (strcmp(sub, "report") == 0) return report(&a);
    if (strcmp(sub, "audit") == 0) return audit(&a);
    return cli_usage("hub", "unknown subcommand %s", sub);
}
