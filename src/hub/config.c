/*
 * config.c: hub.conf, the hub's INI file (docs/hub.md lists every key).
 *
 * The hub is a separate daemon run by the ISAC, not by an ISP, so it has
 * its own file rather than a section of c2flow.conf.  Like c2flow.conf,
 * unknown sections and keys are errors, so that a typo never falls back to
 * a default silently.
 */
#include <ini.h>
#include <stdlib.h>
#include <string.h>

#include "hub/hub.h"

#define IPDB "/usr/local/share/c2flow/ipdb/node_modules/@ip-location-db/"

void hub_config_default(hub_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    snprintf(cfg->listen, sizeof cfg->listen, "127.0.0.1:8443");
    snprintf(cfg->database, sizeof cfg->database, "/var/lib/c2flow/hub.db");
    cfg->max_body = 64ull << 20;
    cfg->max_rows = 1000000;
    cfg->page_max = 1000;
    cfg->threads = 4;
    snprintf(cfg->identity, sizeof cfg->identity, "c2flow hub");
    snprintf(cfg->terms, sizeof cfg->terms,
             "For the network defence of the receiving member and its customers only; "
             "handle as the TLP marking says; do not redistribute outside the trust group.");
    snprintf(cfg->geo_mmdb, sizeof cfg->geo_mmdb,
             IPDB "geo-whois-asn-country-mmdb/geo-whois-asn-country.mmdb");
    snprintf(cfg->asn_csv[0], sizeof cfg->asn_csv[0], IPDB "asn/asn-ipv4.csv");
    snprintf(cfg->asn_csv[1], sizeof cfg->asn_csv[1], IPDB "asn/asn-ipv6.csv");
}

typedef struct load_ctx {
    hub_config *cfg;
    c2_err      err;
    int         failed;
} load_ctx;

static int copy(char *dst, size_t len, const char *v, c2_err *err)
{
    if (strlen(v) >= len) return c2_fail(err, "value too long");
    strcpy(dst, v);
    return 0;
}

static int set_bool(int *dst, const char *v, c2_err *err)
{
    if (!strcmp(v, "yes") || !strcmp(v, "true") || !strcmp(v, "1")) *dst = 1;
    else if (!strcmp(v, "no") || !strcmp(v, "false") || !strcmp(v, "0")) *dst = 0;
    else return c2_fail(err, "expected yes or no, not \"%s\"", v);
    return 0;
}

static int add_file(char files[][PATH_MAX], size_t *n, const char *v, c2_err *err)
{
    if (*n == HUB_FILES_MAX) return c2_fail(err, "at most %d files", HUB_FILES_MAX);
    if (copy(files[*n], PATH_MAX, v, err) < 0) return -1;
    (*n)++;
    return 0;
}

static int set_hub(hub_config *c, const char *k, const char *v, c2_err *err)
{
    uint64_t u;
    if (!strcmp(k, "listen")) return copy(c->listen, sizeof c->listen, v, err);
    if (!strcmp(k, "tls_cert")) return copy(c->tls_cert, sizeof c->tls_cert, v, err);
    if (!strcmp(k, "tls_key")) return copy(c->tls_key, sizeof c->tls_key, v, err);
    if (!strcmp(k, "plain_http")) return set_bool(&c->plain_http, v, err);
    if (!strcmp(k, "database")) return copy(c->database, sizeof c->database, v, err);
    if (!strcmp(k, "identity")) return copy(c->identity, sizeof c->identity, v, err);
    if (!strcmp(k, "terms")) return copy(c->terms, sizeof c->terms, v, err);
    if (!strcmp(k, "max_body")) {
        if (c2_size_parse(v, &c->max_body, err) < 0) return -1;
        return c->max_body ? 0 : c2_fail(err, "must be more than 0");
    }
    if (!strcmp(k, "max_rows") || !strcmp(k, "page_max") || !strcmp(k, "threads")) {
        if (c2_u64_parse(v, 100000000, &u) < 0 || u == 0)
            return c2_fail(err, "expected a number from 1 to 100000000");
        if (!strcmp(k, "max_rows")) c->max_rows = u;
        else if (!strcmp(k, "page_max")) c->page_max = u;
        else if (u > 256) return c2_fail(err, "at most 256 threads");
        else c->threads = (unsigned)u;
        return 0;
    }
    return c2_fail(err, "unknown key [hub] %s", k);
}

static int set_evaluate(hub_config *c, const char *k, const char *v, c2_err *err)
{
    if (!strcmp(k, "geo_mmdb")) return copy(c->geo_mmdb, sizeof c->geo_mmdb, v, err);
    if (!strcmp(k, "asn_ipv4_csv")) return copy(c->asn_csv[0], PATH_MAX, v, err);
    if (!strcmp(k, "asn_ipv6_csv")) return copy(c->asn_csv[1], PATH_MAX, v, err);
    if (!strcmp(k, "allowlist")) return add_file(c->allowlists, &c->nallowlists, v, err);
    if (!strcmp(k, "intel")) return add_file(c->intel, &c->nintel, v, err);
    return c2_fail(err, "unknown key [evaluate] %s", k);
}

static int on_key(void *user, const char *section, const char *key, const char *value)
{
    load_ctx *c = user;
    if (c->failed) return 0;
    int rc;
    if (!strcmp(section, "hub")) rc = set_hub(c->cfg, key, value ? value : "", &c->err);
    else if (!strcmp(section, "evaluate"))
        rc = set_evaluate(c->cfg, key, value ? value : "", &c->err);
    else rc = c2_fail(&c->err, "unknown section [%s]", section);
    if (rc < 0) c2_err_prefix(&c->err, "%s", key);
    c->failed = rc < 0;
    return rc == 0;
}

int hub_config_load(const char *path, hub_config *cfg, c2_err *err)
{
    hub_config_default(cfg);
    if (copy(cfg->path, sizeof cfg->path, path, err) < 0) return -1;
    load_ctx c = {.cfg = cfg};
    int rc = ini_parse(path, on_key, &c);
    if (rc == -1) return c2_fail_errno(err, "%s", path);
    if (rc == -2) return c2_fail(err, "%s: out of memory", path);
    if (rc > 0 && c.failed) return c2_fail(err, "%s:%d: %s", path, rc, c.err.msg);
    if (rc > 0) return c2_fail(err, "%s:%d: syntax error", path, rc);
    if (!cfg->plain_http && (!cfg->tls_cert[0] || !cfg->tls_key[0]))
        return c2_fail(err, "%s: [hub] tls_cert and tls_key are needed "
                       "(or plain_http = yes, for loopback tests only)", path);
    return 0;
}
