/*
 * scenario.c: reading a scenario file into a sim_scenario.
 *
 * Every key is one row of a table (section, key, type, where it goes,
 * bounds); the file and sim_scenario_set() go through the same setter, so
 * a value accepted in one place is accepted in the other.  A [family NAME]
 * section must start with `kind = ...`, because the kind decides the
 * family's defaults and the keys after it override them.  The defaults and
 * where each number comes from are documented in docs/simulator.md.
 */
#include "sim/sim_impl.h"

#include <ctype.h>
#include <errno.h>
#include <ini.h>
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "ipset/ipset.h"

#define SCENARIO_MAX_BYTES (1 << 20)

static const char *const kind_names[KIND_COUNT] = {"mirai", "gafgyt", "emotet", "rat"};

const char *sim_kind_name(int kind)
{
    return kind >= 0 && kind < KIND_COUNT ? kind_names[kind] : "?";
}

static void ports_set(sim_port_mix *m, const uint16_t *ports, const double *w, int n)
{
    m->n = n;
    for (int i = 0; i < n; i++) {
        m->port[i] = ports[i];
        m->weight[i] = w[i];
    }
}

void sim_family_defaults(sim_family_cfg *f, int kind)
{
    char name[32];
    memcpy(name, f->name, sizeof name);
    memset(f, 0, sizeof *f);
    memcpy(f->name, name, sizeof name);
    f->kind = kind;
    f->c2_life_median_days = 1.45;      /* lognormal fitted to the trial: */
    f->c2_life_sigma = 2.3;             /* mean 20.2 days, 80 % < 10 days */
    f->migrate_hours = 12;
    f->heartbeat_jitter = 0.05;
    f->hb_up = f->hb_down = 1;
    f->feed_delay_sigma = 1.0;
    switch (kind) {
    case KIND_MIRAI: {
        static const uint16_t c2p[] = {23, 1312, 666, 6969, 9506, 38241, 5555, 42516};
        static const double c2w[] = {0.25, 0.1, 0.1, 0.1, 0.1, 0.15, 0.1, 0.1};
        static const uint16_t sp[] = {23, 2323};
        static const double sw[] = {0.9, 0.1};
        f->initial_bots = 0.002; f->new_per_day = 0.0004; f->infection_days = 5;
        f->c2_active = 12; f->c2_alpha = 1.1;
        ports_set(&f->c2_ports, c2p, c2w, 8);
        f->heartbeat_ms = 60000; f->hb_up_bytes = 54; f->hb_down_bytes = 54;
        f->scan_pps = 100; ports_set(&f->scan_ports, sp, sw, 2);
        f->reports_per_day = 8; f->report_port = 48101;
        f->ddos_per_day = 3; f->ddos_minutes = 5; f->ddos_pps = 2000;
        f->loaders = 3; f->feed_share = 0.35; f->feed_delay_days = 10;
        break;
    }
    case KIND_GAFGYT: {
        static const uint16_t c2p[] = {666, 6667, 23, 1014, 3074, 9999};
        static const double c2w[] = {0.25, 0.2, 0.15, 0.15, 0.1, 0.15};
        static const uint16_t sp[] = {23, 22, 8080};
        static const double sw[] = {0.7, 0.2, 0.1};
        f->initial_bots = 0.001; f->new_per_day = 0.0002; f->infection_days = 7;
        f->c2_active = 8; f->c2_alpha = 1.3;
        ports_set(&f->c2_ports, c2p, c2w, 6);
        f->heartbeat_ms = 60000; f->hb_up_bytes = 58; f->hb_down_bytes = 58;
        f->scan_pps = 40; ports_set(&f->scan_ports, sp, sw, 3);
        f->ddos_per_day = 2; f->ddos_minutes = 3; f->ddos_pps = 1500;
        f->loaders = 2; f->feed_share = 0.25; f->feed_delay_days = 12;
        break;
    }
    case KIND_EMOTET: {
        static const uint16_t c2p[] = {443, 8080, 7080, 80};
        static const double c2w[] = {0.4, 0.3, 0.2, 0.1};
        f->initial_bots = 0.0005; f->new_per_day = 0.00005; f->infection_days = 20;
        f->c2_active = 40; f->c2_alpha = 0;   /* bots walk the whole tier */
        f->c2_life_median_days = 5; f->c2_life_sigma = 1.5;
        ports_set(&f->c2_ports, c2p, c2w, 4);
        f->heartbeat_ms = 15 * 60000; f->heartbeat_jitter = 0.2;
        f->hb_up = 10; f->hb_down = 9; f->hb_up_bytes = 420; f->hb_down_bytes = 520;
        f->loaders = 4; f->feed_share = 0.9; f->feed_delay_days = 1.5;
        break;
    }
    case KIND_RAT: {
        static const uint16_t c2p[] = {1177, 5552, 1604, 8888};
        static const double c2w[] = {0.6, 0.2, 0.1, 0.1};
        f->initial_bots = 0.0002; f->new_per_day = 0.00002; f->infection_days = 15;
        f->c2_active = 60; f->c2_alpha = 3;
        f->c2_life_median_days = 3; f->c2_life_sigma = 2.0;
        ports_set(&f->c2_ports, c2p, c2w, 4);
        f->heartbeat_ms = 30000; f->hb_up_bytes = 70; f->hb_down_bytes = 60;
        f->feed_share = 0.2; f->feed_delay_days = 14;
        break;
    }
    }
}

void sim_scenario_defaults(sim_scenario *sc)
{
    memset(sc, 0, sizeof *sc);
    snprintf(sc->name, sizeof sc->name, "unnamed");
    sc->start_ms = c2_days_from_civil(2026, 1, 5) * C2_MS_PER_DAY;  /* a Monday */
    sc->days = 1;
    sc->subscribers = 20000;
    ipset_parse("100.64.0.0/10", &sc->v4[0].base, &sc->v4[0].len, NULL);
    ipset_parse("2001:db8::/32", &sc->v6[0].base, &sc->v6[0].len, NULL);
    sc->n_v4 = sc->n_v6 = 1;
    sc->asn = SIM_ISP_AS_DEFAULT;
    sc->routers = 4;
    sc->interfaces = 16;
    sc->sampling = 10000;
    sc->active_ms = 60000;
    sc->inactive_ms = 15000;
    sc->utc_offset_ms = 9 * 3600000LL;
    sc->ipv6_share = 0.3;
    sc->activity_sigma = 1.0;
    sc->benign_scale = 1.0;
    sc->iot_share = 0.15;
    sc->iot_models = 30;
    sc->push_share = 0.6;
    sc->public_dns_share = 0.2;
    sc->gamer_share = 0.1;
    sc->vpn_share = 0.05;
    sc->tor_relay_share = 0.0001;
    sc->tor_client_share = 0.003;
    sc->scanners = 40;
    sc->scanner_pps = 5000;
}

/* ---- the key table ---- */

enum key_type { K_U32, K_DOUBLE, K_DURATION, K_TIME, K_PORT, K_PORTS, K_V4, K_V6,
                K_NAME, K_PAIR, K_DAYS };

typedef struct key_spec {
    const char *section;            /* "family" for [family NAME] */
    const char *key;
    int         type;
    size_t      off;                /* in sim_scenario, or sim_family_cfg */
    double      min, max;
} key_spec;

#define SC(f) offsetof(sim_scenario, f)
#define FC(f) offsetof(sim_family_cfg, f)
static const key_spec keys[] = {
    {"scenario", "name", K_NAME, SC(name), 0, 0},
    {"scenario", "start", K_TIME, SC(start_ms), 0, 0},
    {"scenario", "days", K_U32, SC(days), 1, SIM_MAX_DAYS},
    {"isp", "subscribers", K_U32, SC(subscribers), 10, SIM_MAX_SUBSCRIBERS},
    {"isp", "customer_v4", K_V4, SC(v4), 0, 0},
    {"isp", "customer_v6", K_V6, SC(v6), 0, 0},
    {"isp", "asn", K_U32, SC(asn), 1, 4294967295.0},
    {"isp", "routers", K_U32, SC(routers), 1, 250},
    {"isp", "interfaces", K_U32, SC(interfaces), 2, 4096},
    {"isp", "sampling", K_U32, SC(sampling), 1, 1000000},
    {"isp", "active_timeout", K_DURATION, SC(active_ms), 1000, 3600000},
    {"isp", "inactive_timeout", K_DURATION, SC(inactive_ms), 1000, 3600000},
    {"isp", "utc_offset", K_DURATION, SC(utc_offset_ms), -14 * 3600000.0, 14 * 3600000.0},
    {"isp", "ipv6_share", K_DOUBLE, SC(ipv6_share), 0, 1},
    {"isp", "activity_sigma", K_DOUBLE, SC(activity_sigma), 0, 3},
    {"benign", "scale", K_DOUBLE, SC(benign_scale), 0, 100},
    {"benign", "iot_share", K_DOUBLE, SC(iot_share), 0, 1},
    {"benign", "iot_models", K_U32, SC(iot_models), 1, 1000},
    {"benign", "push_share", K_DOUBLE, SC(push_share), 0, 1},
    {"benign", "public_dns_share", K_DOUBLE, SC(public_dns_share), 0, 1},
    {"benign", "gamer_share", K_DOUBLE, SC(gamer_share), 0, 1},
    {"benign", "vpn_share", K_DOUBLE, SC(vpn_share), 0, 1},
    {"benign", "tor_relay_share", K_DOUBLE, SC(tor_relay_share), 0, 0.1},
    {"benign", "tor_client_share", K_DOUBLE, SC(tor_client_share), 0, 1},
    {"benign", "scanners", K_U32, SC(scanners), 0, 10000},
    {"benign", "scanner_pps", K_DOUBLE, SC(scanner_pps), 0, 1e7},
    {"family", "initial_bots", K_DOUBLE, FC(initial_bots), 0, 1e7},
    {"family", "new_per_day", K_DOUBLE, FC(new_per_day), 0, 1e6},
    {"family", "infection_days", K_DOUBLE, FC(infection_days), 0.01, 3650},
    {"family", "c2_active", K_DOUBLE, FC(c2_active), 0.1, 100000},
    {"family", "c2_lifetime_median", K_DAYS, FC(c2_life_median_days), 0.001, 3650},
    {"family", "c2_lifetime_sigma", K_DOUBLE, FC(c2_life_sigma), 0, 5},
    {"family", "c2_alpha", K_DOUBLE, FC(c2_alpha), 0, 10},
    {"family", "c2_ports", K_PORTS, FC(c2_ports), 0, 0},
    {"family", "heartbeat", K_DURATION, FC(heartbeat_ms), 1000, 86400000},
    {"family", "heartbeat_jitter", K_DOUBLE, FC(heartbeat_jitter), 0, 0.45},
    {"family", "heartbeat_packets", K_PAIR, FC(hb_up), 0, 100000},
    {"family", "heartbeat_bytes", K_PAIR, FC(hb_up_bytes), 28, 65535},
    {"family", "scan_pps", K_DOUBLE, FC(scan_pps), 0, 1e6},
    {"family", "scan_ports", K_PORTS, FC(scan_ports), 0, 0},
    {"family", "reports_per_day", K_DOUBLE, FC(reports_per_day), 0, 1e5},
    {"family", "report_port", K_PORT, FC(report_port), 1, 65535},
    {"family", "ddos_per_day", K_DOUBLE, FC(ddos_per_day), 0, 1000},
    {"family", "ddos_minutes", K_DOUBLE, FC(ddos_minutes), 0.1, 1440},
    {"family", "ddos_pps", K_DOUBLE, FC(ddos_pps), 0, 1e7},
    {"family", "migrate_hours", K_DOUBLE, FC(migrate_hours), 0, 8760},
    {"family", "loaders", K_U32, FC(loaders), 0, 1000},
    {"family", "feed_share", K_DOUBLE, FC(feed_share), 0, 1},
    {"family", "feed_delay", K_DAYS, FC(feed_delay_days), 0, 3650},
    {"family", "feed_delay_sigma", K_DOUBLE, FC(feed_delay_sigma), 0, 5},
};
#undef SC
#undef FC

static int parse_double(const char *v, double *out)
{
    char *end;
    errno = 0;
    double d = strtod(v, &end);
    if (end == v || *end || errno || !isfinite(d))
        return -1;
    *out = d;
    return 0;
}

/* "23:0.9, 2323:0.1" or "23, 2323" (equal weights). */
static int parse_ports(const char *v, sim_port_mix *m, c2_err *err)
{
    sim_port_mix tmp = {0};
    const char *p = v;
    while (*p) {
        while (*p == ' ' || *p == ',') p++;
        if (!*p) break;
        if (tmp.n == SIM_MAX_PORTS)
            return c2_fail(err, "at most %d ports", SIM_MAX_PORTS);
        char *end;
        long port = strtol(p, &end, 10);
        if (end == p || port < 1 || port > 65535)
            return c2_fail(err, "want PORT[:WEIGHT],..., not '%s'", v);
        double w = 1;
        p = end;
        if (*p == ':') {
            w = strtod(p + 1, &end);
            if (end == p + 1 || !(w > 0) || !isfinite(w))
                return c2_fail(err, "bad weight in '%s'", v);
            p = end;
        }
        while (*p == ' ') p++;
        if (*p && *p != ',')
            return c2_fail(err, "want PORT[:WEIGHT],..., not '%s'", v);
        tmp.port[tmp.n] = (uint16_t)port;
        tmp.weight[tmp.n++] = w;
    }
    if (tmp.n == 0)
        return c2_fail(err, "no port in '%s'", v);
    *m = tmp;
    return 0;
}

static int parse_prefixes(const char *v, int want_v4, sim_prefix *out, int *n, c2_err *err)
{
    sim_prefix tmp[SIM_MAX_PREFIXES];
    int count = 0;
    char item[80];
    const char *p = v;
    while (*p) {
        while (*p == ' ' || *p == ',') p++;
        if (!*p) break;
        size_t len = strcspn(p, ", ");
        if (len >= sizeof item)
            return c2_fail(err, "prefix too long in '%s'", v);
        if (count == SIM_MAX_PREFIXES)
            return c2_fail(err, "at most %d prefixes", SIM_MAX_PREFIXES);
        memcpy(item, p, len);
        item[len] = 0;
        p += len;
        sim_prefix px;
        if (ipset_parse(item, &px.base, &px.len, err) < 0)
            return -1;
        if (flow_addr_is_v4(&px.base) != want_v4 || (want_v4 && px.len < 96))
            return c2_fail(err, "'%s' is not an %s prefix", item, want_v4 ? "IPv4" : "IPv6");
        unsigned host_bits = 128 - px.len;
        if (host_bits < 4 || (!want_v4 && px.len > 64))
            return c2_fail(err, "prefix '%s' is too small for customers", item);
        tmp[count++] = px;
    }
    if (!count)
        return c2_fail(err, "no prefix in '%s'", v);
    memcpy(out, tmp, sizeof tmp[0] * (size_t)count);
    *n = count;
    return 0;
}

static int set_value(sim_scenario *sc, sim_family_cfg *fam, const key_spec *k,
                     const char *v, c2_err *err)
{
    char *base = fam ? (char *)fam : (char *)sc;
    void *dst = base + k->off;
    double d;
    int64_t ms;
    switch (k->type) {
    case K_NAME: {
        size_t len = strlen(v);
        if (len == 0 || len >= 32)
            return c2_fail(err, "want a name of 1-31 characters");
        for (size_t i = 0; i < len; i++)
            if (!isalnum((unsigned char)v[i]) && v[i] != '-' && v[i] != '_')
                return c2_fail(err, "a name is letters, digits, '-' and '_', not '%s'", v);
        memcpy(dst, v, len + 1);
        return 0;
    }
    case K_TIME:
        if (c2_time_parse(v, 0, &ms, err) < 0)
            return -1;
        *(int64_t *)dst = ms;
        return 0;
    case K_DURATION: {
        int neg = v[0] == '-';
        if (c2_duration_parse(v + neg, &ms, err) < 0)
            return -1;
        if (neg) ms = -ms;
        if ((double)ms < k->min || (double)ms > k->max)
            return c2_fail(err, "'%s' is out of range", v);
        *(int64_t *)dst = ms;
        return 0;
    }
    case K_PORTS:
        return parse_ports(v, dst, err);
    case K_V4:
        return parse_prefixes(v, 1, sc->v4, &sc->n_v4, err);
    case K_V6:
        return parse_prefixes(v, 0, sc->v6, &sc->n_v6, err);
    case K_PAIR: {
        unsigned a, b;
        char extra;
        if (sscanf(v, "%u/%u%c", &a, &b, &extra) != 2 || a < k->min || a > k->max ||
            b > k->max)
            return c2_fail(err, "want UP/DOWN numbers in %.0f..%.0f, not '%s'",
                           k->min, k->max, v);
        ((uint32_t *)dst)[0] = a;
        ((uint32_t *)dst)[1] = b;
        return 0;
    }
    case K_DAYS:
        if (parse_double(v, &d) == 0) {
            /* a bare number is days */
        } else if (c2_duration_parse(v, &ms, NULL) == 0) {
            d = (double)ms / C2_MS_PER_DAY;
        } else {
            return c2_fail(err, "want days or a duration, not '%s'", v);
        }
        if (d < k->min || d > k->max)
            return c2_fail(err, "'%s' is out of range", v);
        *(double *)dst = d;
        return 0;
    default:
        if (parse_double(v, &d) < 0)
            return c2_fail(err, "want a number, not '%s'", v);
        if (d < k->min || d > k->max)
            return c2_fail(err, "%s is out of range %g..%g", v, k->min, k->max);
        if (k->type == K_DOUBLE)
            *(double *)dst = d;
        else if (k->type == K_PORT)
            *(uint16_t *)dst = (uint16_t)d;
        else if (d != floor(d))
            return c2_fail(err, "want a whole number, not '%s'", v);
        else
            *(uint32_t *)dst = (uint32_t)d;
        return 0;
    }
}

static int family_kind(const char *v)
{
    for (int k = 0; k < KIND_COUNT; k++)
        if (!strcmp(v, kind_names[k]))
            return k;
    return -1;
}

static sim_family_cfg *family_named(sim_scenario *sc, const char *name)
{
    for (int i = 0; i < sc->n_fam; i++)
        if (!strcmp(sc->fam[i].name, name))
            return &sc->fam[i];
    return NULL;
}

static int set_family(sim_scenario *sc, const char *name, const char *key,
                      const char *value, c2_err *err)
{
    sim_family_cfg *f = family_named(sc, name);
    if (!strcmp(key, "kind")) {
        int kind = family_kind(value);
        if (kind < 0)
            return c2_fail(err, "kind is mirai, gafgyt, emotet or rat, not '%s'", value);
        if (f)
            return c2_fail(err, "kind given twice");
        if (sc->n_fam == SIM_MAX_FAMILIES)
            return c2_fail(err, "at most %d families", SIM_MAX_FAMILIES);
        f = &sc->fam[sc->n_fam++];
        snprintf(f->name, sizeof f->name, "%s", name);
        sim_family_defaults(f, kind);
        return 0;
    }
    if (!f)
        return c2_fail(err, "a [family] section starts with 'kind = ...'");
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        if (!strcmp(keys[i].section, "family") && !strcmp(keys[i].key, key))
            return set_value(sc, f, &keys[i], value, err);
    return c2_fail(err, "unknown key '%s'", key);
}

static int valid_family_name(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n >= 32)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)s[i]) && s[i] != '-' && s[i] != '_')
            return 0;
    return 1;
}

int sim_scenario_set(sim_scenario *sc, const char *section, const char *key,
                     const char *value, c2_err *err)
{
    c2_err local;
    c2_err *e = err ? err : &local;
    if (!strncmp(section, "family ", 7)) {
        const char *name = section + 7;
        while (*name == ' ') name++;
        if (!valid_family_name(name))
            return c2_fail(err, "[%s]: a family name is 1-31 letters, digits, '-', '_'",
                           section);
        if (set_family(sc, name, key, value, e) < 0) {
            c2_err_prefix(e, "[%s] %s", section, key);
            return -1;
        }
        return 0;
    }
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        if (strcmp(keys[i].section, section) || strcmp(keys[i].key, key))
            continue;
        if (set_value(sc, NULL, &keys[i], value, e) < 0) {
            c2_err_prefix(e, "[%s] %s", section, key);
            return -1;
        }
        return 0;
    }
    if (strcmp(section, "scenario") && strcmp(section, "isp") && strcmp(section, "benign"))
        return c2_fail(err, "unknown section [%s]", section);
    return c2_fail(err, "[%s]: unknown key '%s'", section, key);
}

typedef struct parse_ctx {
    sim_scenario *sc;
    c2_err       *err;
    int           failed;
    char          seen[256][48];    /* "section/key", to refuse repeats */
    int           n_seen;
} parse_ctx;

static int on_line(void *user, const char *section, const char *key, const char *value)
{
    parse_ctx *c = user;
    if (c->failed)
        return 0;
    char sk[48];
    snprintf(sk, sizeof sk, "%s/%s", section, key);
    for (int i = 0; i < c->n_seen; i++)
        if (!strcmp(c->seen[i], sk)) {
            c2_fail(c->err, "[%s] %s is given twice", section, key);
            c->failed = 1;
            return 0;
        }
    if (c->n_seen < 256)
        snprintf(c->seen[c->n_seen++], sizeof c->seen[0], "%s", sk);
    if (sim_scenario_set(c->sc, section, key, value, c->err) < 0) {
        c->failed = 1;
        return 0;
    }
    return 1;
}

static int check_scenario(const sim_scenario *sc, c2_err *err)
{
    uint64_t v4 = 0;
    for (int i = 0; i < sc->n_v4; i++)
        v4 += 1ULL << (128 - sc->v4[i].len);
    if (v4 < (uint64_t)sc->subscribers + 16)
        return c2_fail(err, "[isp] customer_v4 has %llu addresses, too few for %u subscribers",
                       (unsigned long long)v4, sc->subscribers);
    if (sc->inactive_ms > sc->active_ms)
        return c2_fail(err, "[isp] inactive_timeout is longer than active_timeout");
    for (int i = 0; i < sc->n_fam; i++) {
        const sim_family_cfg *f = &sc->fam[i];
        if (f->hb_up == 0)
            return c2_fail(err, "[family %s] heartbeat_packets: bots send at least 1", f->name);
        if (f->scan_pps > 0 && f->scan_ports.n == 0)
            return c2_fail(err, "[family %s] scan_ports is empty", f->name);
        if (f->c2_ports.n == 0)
            return c2_fail(err, "[family %s] c2_ports is empty", f->name);
    }
    return 0;
}

int sim_scenario_parse(const char *text, size_t len, const char *name,
                       sim_scenario **out, c2_err *err)
{
    *out = NULL;
    if (len > SCENARIO_MAX_BYTES)
        return c2_fail(err, "%s: larger than %d bytes", name, SCENARIO_MAX_BYTES);
    if (memchr(text, 0, len))
        return c2_fail(err, "%s: holds a NUL byte", name);
    char *copy = malloc(len + 1);
    sim_scenario *sc = malloc(sizeof *sc);
    parse_ctx *ctx = calloc(1, sizeof *ctx);
    if (!copy || !sc || !ctx) {
        free(copy); free(sc); free(ctx);
        return c2_fail(err, "out of memory");
    }
    memcpy(copy, text, len);
    copy[len] = 0;
    sim_scenario_defaults(sc);
    ctx->sc = sc;
    ctx->err = err;
    int rc = ini_parse_string(copy, on_line, ctx);
    int failed = ctx->failed;
    free(ctx);
    free(copy);
    if (failed) {
        c2_err_prefix(err, "%s", name);
        free(sc);
        return -1;
    }
    if (rc != 0) {
        free(sc);
        return c2_fail(err, "%s:%d: not INI syntax", name, rc);
    }
    if (check_scenario(sc, err) < 0) {
        c2_err_prefix(err, "%s", name);
        free(sc);
        return -1;
    }
    *out = sc;
    return 0;
}

int sim_scenario_load(const char *path, sim_scenario **out, c2_err *err)
{
    *out = NULL;
    FILE *f = fopen(path, "rb");
    if (!f)
        return c2_fail_errno(err, "%s", path);
    char *buf = malloc(SCENARIO_MAX_BYTES + 1);
    if (!buf) {
        fclose(f);
        return c2_fail(err, "out of memory");
    }
    size_t n = fread(buf, 1, SCENARIO_MAX_BYTES + 1, f);
    int bad = ferror(f);
    fclose(f);
    if (bad) {
        free(buf);
        return c2_fail(err, "%s: read error", path);
    }
    int rc = sim_scenario_parse(buf, n, path, out, err);
    free(buf);
    return rc;
}

const char *sim_scenario_name(const sim_scenario *sc) { return sc->name; }

void sim_scenario_free(sim_scenario *sc) { free(sc); }
