/*
 * import.c: lists in the exchange formats read back into C2 lists
 * (export.h, export_read), so that lists from other sources can be
 * searched (`c2flow lookback`) and compared (`c2flow list`).
 *
 * Read: csv and jsonl (the list's own forms), feodo-csv and threatfox-csv
 * (through src/intel, which reads abuse.ch's own files too), stix21 (the
 * indicators of a bundle whose pattern names one destination address,
 * optionally a port and a protocol) and misp-feed event files (attributes
 * of type ip-dst|port).  Malware names become categories: the feeds'
 * malware columns, and in STIX the name of the malware object an indicator
 * `indicates`; c2list_category_clean makes any name one, and the feeds'
 * words for "no name" give none.  Every input is untrusted: JSON goes through
 * jansson, patterns are taken apart by a small reader that accepts only
 * the comparisons it knows and skips any indicator it cannot read whole
 * (counted, never guessed at).
 */
#include "export/export_impl.h"

#include <ctype.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "intel/intel.h"

static void row_init(c2_entry *e)
{
    c2_entry_init(e);
    strcpy(e->method, "import");
}

/* A malware name from elsewhere as the row's category. */
static void set_category(c2_entry *e, const char *name)
{
    if (!strcasecmp(name, EXPORT_THREATFOX_UNKNOWN_ID) || !strcasecmp(name, EXPORT_THREATFOX_UNKNOWN))
        return;                                 /* a feed's "no family" */
    c2list_category_clean(name, e->category, sizeof e->category);
}

/* ---- threat feeds, through src/intel ---- */

static int from_intel(const void *buf, size_t len, intel_format fmt, const char *name,
                      c2list *out, export_read_stats *st, c2_err *err)
{
    intel_set *s;
    intel_stats is;
    if (intel_new(&s, err) != 0) return -1;
    int rc = intel_load_mem(s, buf, len, name, fmt, &is, err);
    for (size_t i = 0; rc == 0 && i < intel_count(s); i++) {
        const intel_entry *x = intel_get(s, i);
        c2_entry e;
        row_init(&e);
        e.ip = x->ip;
        e.port = x->port;
        e.proto = x->proto ? x->proto : 6;      /* the feeds list TCP C2 servers */
        e.first_seen = x->first_seen;
        e.last_seen = x->last_seen >= x->first_seen ? x->last_seen : x->first_seen;
        set_category(&e, x->malware);
        if (c2list_find(out, &e.ip, e.port, e.proto)) {
            st->duplicates++;
            continue;
        }
        rc = c2list_add(out, &e, err);
        st->rows += rc == 0;
    }
    st->skipped += is.bad + is.other;
    intel_free(s);
    return rc;
}

/* ---- STIX 2.1 patterns ---- */

typedef struct pat {
    const char *p;
    int         have_ip, have_port, have_proto, bad;
    flow_addr   ip;
    uint32_t    port;
    int         proto;
} pat;

static void skip_space(pat *x)
{
    while (isspace((unsigned char)*x->p)) x->p++;
}

/* An object path: letters, digits, '-', '_', ':', '.', '[*]'. */
static int path(pat *x, char *buf, size_t len)
{
    size_t n = 0;
    skip_space(x);
    while (*x->p && (isalnum((unsigned char)*x->p) || strchr("-_:.[*]", *x->p))) {
        if (n + 1 >= len) return -1;
        buf[n++] = *x->p++;
    }
    buf[n] = '\0';
    return n ? 0 : -1;
}

/* A quoted string (no escapes: addresses and protocol names have none) or
 * an unsigned integer. */
static int value(pat *x, char *buf, size_t len, int *quoted)
{
    size_t n = 0;
    skip_space(x);
    *quoted = *x->p == '\'';
    if (*quoted) {
        x->p++;
        while (*x->p && *x->p != '\'') {
            if (*x->p == '\\' || n + 1 >= len) return -1;
            buf[n++] = *x->p++;
        }
        if (*x->p != '\'') return -1;
        x->p++;
    } else {
        while (isdigit((unsigned char)*x->p)) {
            if (n + 1 >= len) return -1;
            buf[n++] = *x->p++;
        }
        if (!n) return -1;
    }
    buf[n] = '\0';
    return 0;
}

static void comparison(pat *x, const char *lhs, const char *v, int quoted)
{
    if (!strcmp(lhs, "network-traffic:dst_ref.value") || !strcmp(lhs, "ipv4-addr:value") ||
        !strcmp(lhs, "ipv6-addr:value")) {
        x->bad |= !quoted || x->have_ip || flow_addr_parse(v, &x->ip) != 0;
        x->have_ip = 1;
    } else if (!strcmp(lhs, "network-traffic:dst_port")) {
        char *end;
        unsigned long p = strtoul(v, &end, 10);
        x->bad |= quoted || *end || p > 65535 || x->have_port;
        x->port = (uint32_t)p;
        x->have_port = 1;
    } else if (!strcmp(lhs, "network-traffic:protocols[*]")) {
        int p = quoted ? c2list_proto_parse(v) : -1;
        x->bad |= p < 0 || x->have_proto;
        x->proto = p;
        x->have_proto = 1;
    } else if (strcmp(lhs, "network-traffic:dst_ref.type") != 0) {
        x->bad = 1;                             /* a comparison we do not know */
    }
}

/* "[a = 'x' AND b = 1 ...]": one observation, comparisons joined by AND. */
static int read_pattern(const char *text, c2_entry *e)
{
    pat x = {.p = text};
    char lhs[64], v[64];
    int quoted;
    skip_space(&x);
    if (*x.p++ != '[') return -1;
    for (;;) {
        if (path(&x, lhs, sizeof lhs) < 0) return -1;
        skip_space(&x);
        if (*x.p++ != '=') return -1;
        if (value(&x, v, sizeof v, &quoted) < 0) return -1;
        comparison(&x, lhs, v, quoted);
        skip_space(&x);
        if (*x.p == ']') break;
        if (strncmp(x.p, "AND", 3) != 0 || !isspace((unsigned char)x.p[3])) return -1;
        x.p += 3;
    }
    x.p++;
    skip_space(&x);
    if (*x.p || x.bad || !x.have_ip) return -1;
    e->ip = x.ip;
    e->port = (uint16_t)x.port;
    e->proto = (uint8_t)(x.have_proto ? x.proto : 6);
    return 0;
}

/* A string member, or "" when absent or not a string. */
static const char *member(const json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));
    return s ? s : "";
}

static int64_t json_time(const json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));
    int64_t t;
    return s && c2list_time_parse(s, &t) == 0 ? t : 0;
}

/* A row into out; a repeated key or a value out of the list's range (a
 * time before 1970, a score above 100) is counted and skipped. */
static void add_row(c2list *out, c2_entry *e, export_read_stats *st)
{
    c2_err rowerr;
    if (c2list_find(out, &e->ip, e->port, e->proto)) {
        st->duplicates++;
        return;
    }
    if (e->last_seen < e->first_seen) e->last_seen = e->first_seen;
    if (c2list_add(out, e, &rowerr) != 0) st->skipped++;
    else st->rows++;
}

/* Each indicator's malware name: {indicator id: name} for the first
 * "indicates" relationship from it to a malware object with a name. */
static json_t *malware_of_indicators(const json_t *objs)
{
    json_t *names = json_object(), *of = json_object();
    size_t i;
    json_t *o;
    json_array_foreach(objs, i, o)
        if (!strcmp(member(o, "type"), "malware") && *member(o, "name") && *member(o, "id"))
            json_object_set(names, member(o, "id"), json_object_get(o, "name"));
    json_array_foreach(objs, i, o) {
        const char *src = member(o, "source_ref");
        json_t *name = json_object_get(names, member(o, "target_ref"));
        if (!strcmp(member(o, "type"), "relationship") &&
            !strcmp(member(o, "relationship_type"), "indicates") && name && *src &&
            !json_object_get(of, src))
            json_object_set(of, src, name);
    }
    json_decref(names);
    return of;
}

static int from_stix(const json_t *root, c2list *out, export_read_stats *st, c2_err *err)
{
    const json_t *objs = json_object_get(root, "objects");
    if (!json_is_array(objs) || strcmp(member(root, "type"), "bundle") != 0)
        return c2_fail(err, "not a STIX 2.1 bundle (no \"type\": \"bundle\" with \"objects\")");
    json_t *malware = malware_of_indicators(objs);
    if (!malware) return c2_fail(err, "out of memory");
    size_t i;
    json_t *o;
    json_array_foreach(objs, i, o) {
        if (strcmp(member(o, "type"), "indicator") != 0)
            continue;
        const char *text = json_string_value(json_object_get(o, "pattern"));
        const char *kind = json_string_value(json_object_get(o, "pattern_type"));
        c2_entry e;
        row_init(&e);
        if (!text || (kind && strcmp(kind, "stix")) || read_pattern(text, &e) != 0) {
            st->skipped++;
            continue;
        }
        json_int_t conf = json_integer_value(json_object_get(o, "confidence"));
        e.score = conf >= 0 && conf <= 100 ? (double)conf : 0;
        e.first_seen = json_time(o, "valid_from");
        e.last_seen = json_time(o, "modified");
        set_category(&e, member(malware, member(o, "id")));
        add_row(out, &e, st);
    }
    json_decref(malware);
    return 0;
}

/* ---- MISP event files ---- */

static int from_misp(const json_t *root, c2list *out, export_read_stats *st, c2_err *err)
{
    const json_t *ev = json_object_get(root, "Event");
    const json_t *attrs = json_object_get(ev, "Attribute");
    if (!json_is_array(attrs))
        return c2_fail(err, "not a MISP event file (no \"Event\" with \"Attribute\")");
    size_t i;
    json_t *a;
    json_array_foreach(attrs, i, a) {
        const char *type = json_string_value(json_object_get(a, "type"));
        const char *v = json_string_value(json_object_get(a, "value"));
        const char *bar = v ? strchr(v, '|') : NULL;
        char ip[64], *end;
        c2_entry e;
        row_init(&e);
        unsigned long port = bar ? strtoul(bar + 1, &end, 10) : 0;
        if (!type || strcmp(type, "ip-dst|port") || !bar || (size_t)(bar - v) >= sizeof ip ||
            !bar[1] || *end || port > 65535) {
            st->skipped++;
            continue;
        }
        memcpy(ip, v, (size_t)(bar - v));
        ip[bar - v] = '\0';
        if (flow_addr_parse(ip, &e.ip) != 0) {
            st->skipped++;
            continue;
        }
        e.port = (uint16_t)port;
        e.proto = 6;                            /* ip-dst|port names no protocol */
        add_row(out, &e, st);
    }
    return 0;
}

static int from_json(const void *buf, size_t len, export_format fmt, c2list *out,
                     export_read_stats *st, c2_err *err)
{
    json_error_t je;
    json_t *root = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &je);
    if (!root) return c2_fail(err, "line %d: %s", je.line, je.text);
    int rc = fmt == EXPORT_STIX21 ? from_stix(root, out, st, err) : from_misp(root, out, st, err);
    json_decref(root);
    return rc;
}

int export_read(const void *buf, size_t len, export_format fmt, const char *name,
                c2list **out, export_read_stats *st, c2_err *err)
{
    memset(st, 0, sizeof *st);
    *out = NULL;
    if (fmt == EXPORT_CSV || fmt == EXPORT_JSONL) {
        if (c2list_read_mem(buf, len, 0, out, err) != 0) return -1;
        st->rows = c2list_count(*out);
        return 0;
    }
    if (!(*out = c2list_new())) return c2_fail(err, "out of memory");
    int rc;
    switch (fmt) {
    case EXPORT_FEODO_CSV: rc = from_intel(buf, len, INTEL_FEODO, name, *out, st, err); break;
    case EXPORT_THREATFOX_CSV:
        rc = from_intel(buf, len, INTEL_THREATFOX, name, *out, st, err);
        break;
    case EXPORT_STIX21:
    case EXPORT_MISP_FEED: rc = from_json(buf, len, fmt, *out, st, err); break;
    default:
        rc = c2_fail(err, "%s cannot be read back (csv, jsonl, feodo-csv, threatfox-csv, "
                     "stix21, misp-feed can)", export_format_name(fmt));
    }
    if (rc != 0) {
        c2list_free(*out);
        *out = NULL;
    }
    return rc;
}
