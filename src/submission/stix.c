/*
 * stix.c: a submitted STIX 2.1 bundle into a C2 list, strictly.
 *
 * Import (src/export/import.c) is lenient by design: it reads what it can
 * of anyone's bundle and skips the rest.  A hub submission is the opposite
 * case, so this is its own small reader: every object is checked against a
 * table of the six accepted types and their STIX 2.1 properties, and the
 * first thing out of place refuses the bundle.  What may not come in:
 * another object type (observed-data, ipv4-addr, network-traffic, ...: flow
 * records and customer addresses live there), a custom property (x_*) or
 * one the specification does not give the type, a sighting that points at
 * observed data or was sighted by anything but an identity, a reference to
 * an object of a type not accepted, and an IP address written anywhere but
 * in an indicator's pattern (its own name and description may repeat the
 * pattern's address, as c2flow's exporter writes them).
 *
 * An indicator gives a row: address, port and protocol from the pattern
 * (the forms export_read reads: one observation, comparisons joined by
 * AND), score = confidence, method "stix".  Its summary sightings give
 * first and last seen and clients (count); without a sighting, valid_from
 * and modified are the times, as import.c reads them.  The malware an
 * indicator "indicates" names its category.  c2flow's own
 * description ("... N clients seen, N judged infected, on N days.") gives
 * back the other counts, so an exported list comes back row for row except
 * the group, which STIX does not carry.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "submission/submission_impl.h"

#define TLP_EXTENSION "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d"

/* ---- the accepted types and their properties ---- */

typedef enum kind {
    K_STR, K_TIME, K_REF, K_REFS, K_STRS, K_BOOL, K_CONF, K_COUNT,
    K_EXTREFS, K_KCP, K_GRAN, K_DEF, K_TLPEXT
} kind;

typedef struct prop {
    const char *name;
    kind        k;
    const char *ref_type;               /* K_REF/K_REFS: the one type allowed, or NULL */
} prop;

static const prop common_props[] = {
    {"type", K_STR, NULL}, {"spec_version", K_STR, NULL}, {"id", K_STR, NULL},
    {"created_by_ref", K_REF, "identity"}, {"created", K_TIME, NULL},
    {"modified", K_TIME, NULL}, {"revoked", K_BOOL, NULL}, {"labels", K_STRS, NULL},
    {"confidence", K_CONF, NULL}, {"lang", K_STR, NULL},
    {"external_references", K_EXTREFS, NULL},
    {"object_marking_refs", K_REFS, "marking-definition"}, {"granular_markings", K_GRAN, NULL},
    {NULL, 0, NULL},
};

static const prop marking_props[] = {
    {"type", K_STR, NULL}, {"spec_version", K_STR, NULL}, {"id", K_STR, NULL},
    {"created_by_ref", K_REF, "identity"}, {"created", K_TIME, NULL},
    {"external_references", K_EXTREFS, NULL},
    {"object_marking_refs", K_REFS, "marking-definition"}, {"granular_markings", K_GRAN, NULL},
    {"name", K_STR, NULL}, {"definition_type", K_STR, NULL}, {"definition", K_DEF, NULL},
    {"extensions", K_TLPEXT, NULL}, {NULL, 0, NULL},
};

static const prop identity_props[] = {
    {"name", K_STR, NULL}, {"description", K_STR, NULL}, {"roles", K_STRS, NULL},
    {"identity_class", K_STR, NULL}, {"sectors", K_STRS, NULL},
    {"contact_information", K_STR, NULL}, {NULL, 0, NULL},
};

static const prop indicator_props[] = {
    {"name", K_STR, NULL}, {"description", K_STR, NULL}, {"indicator_types", K_STRS, NULL},
    {"pattern", K_STR, NULL}, {"pattern_type", K_STR, NULL}, {"pattern_version", K_STR, NULL},
    {"valid_from", K_TIME, NULL}, {"valid_until", K_TIME, NULL},
    {"kill_chain_phases", K_KCP, NULL}, {NULL, 0, NULL},
};

static const prop sighting_props[] = {
    {"description", K_STR, NULL}, {"first_seen", K_TIME, NULL}, {"last_seen", K_TIME, NULL},
    {"count", K_COUNT, NULL}, {"sighting_of_ref", K_REF, NULL},
    {"where_sighted_refs", K_REFS, "identity"}, {"summary", K_BOOL, NULL}, {NULL, 0, NULL},
};

static const prop malware_props[] = {
    {"name", K_STR, NULL}, {"description", K_STR, NULL}, {"malware_types", K_STRS, NULL},
    {"is_family", K_BOOL, NULL}, {"aliases", K_STRS, NULL}, {"kill_chain_phases", K_KCP, NULL},
    {"first_seen", K_TIME, NULL}, {"last_seen", K_TIME, NULL},
    {"architecture_execution_envs", K_STRS, NULL}, {"implementation_languages", K_STRS, NULL},
    {"capabilities", K_STRS, NULL}, {NULL, 0, NULL},
};

static const prop relationship_props[] = {
    {"relationship_type", K_STR, NULL}, {"description", K_STR, NULL},
    {"source_ref", K_REF, NULL}, {"target_ref", K_REF, NULL}, {"start_time", K_TIME, NULL},
    {"stop_time", K_TIME, NULL}, {NULL, 0, NULL},
};

typedef enum otype { T_IDENTITY, T_MARKING, T_INDICATOR, T_SIGHTING, T_MALWARE,
                     T_RELATIONSHIP, T_N } otype;

static const struct {
    const char *name;
    const prop *props;
    int         sdo;                    /* common properties apply, modified required */
} types[T_N] = {
    [T_IDENTITY] = {"identity", identity_props, 1},
    [T_MARKING] = {"marking-definition", marking_props, 0},
    [T_INDICATOR] = {"indicator", indicator_props, 1},
    [T_SIGHTING] = {"sighting", sighting_props, 1},
    [T_MALWARE] = {"malware", malware_props, 1},
    [T_RELATIONSHIP] = {"relationship", relationship_props, 1},
};

static int type_lookup(const char *name, size_t len)
{
    for (int t = 0; t < T_N; t++)
        if (strlen(types[t].name) == len && !strncmp(types[t].name, name, len)) return t;
    return -1;
}

static const prop *prop_lookup(int t, const char *name)
{
    for (const prop *p = types[t].props; p->name; p++)
        if (!strcmp(p->name, name)) return p;
    for (const prop *p = common_props; types[t].sdo && p->name; p++)
        if (!strcmp(p->name, name)) return p;
    return NULL;
}

/* ---- values ---- */

/* s quoted for a message: at most 60 printable bytes. */
static const char *shown(const char *s, char *buf, size_t len)
{
    size_t i = 0;
    for (; s[i] && i + 4 < len && i < 60; i++)
        buf[i] = isprint((unsigned char)s[i]) ? s[i] : '?';
    if (s[i] && i + 3 < len) {
        memcpy(buf + i, "...", 3);
        i += 3;
    }
    buf[i] = '\0';
    return buf;
}

static int is_hex(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!isxdigit((unsigned char)s[i])) return 0;
    return 1;
}

/* "type--xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx": the type's index in
 * types[] (-2 for a well-formed id of a type not accepted), or -1. */
static int id_type(const char *id)
{
    const char *sep = strstr(id, "--");
    if (!sep || sep == id || strlen(sep + 2) != 36) return -1;
    for (const char *p = id; p < sep; p++)
        if (!islower((unsigned char)*p) && !isdigit((unsigned char)*p) && *p != '-') return -1;
    const char *u = sep + 2;
    if (!is_hex(u, 8) || u[8] != '-' || !is_hex(u + 9, 4) || u[13] != '-' ||
        !is_hex(u + 14, 4) || u[18] != '-' || !is_hex(u + 19, 4) || u[23] != '-' ||
        !is_hex(u + 24, 12))
        return -1;
    int t = type_lookup(id, (size_t)(sep - id));
    return t < 0 ? -2 : t;
}

/* STIX timestamps: "YYYY-MM-DDTHH:MM:SS[.s]Z", UTC. */
static int stix_time(const char *s, int64_t *out)
{
    static const char shape[] = "dddd-dd-ddTdd:dd:dd";
    size_t i = 0;
    for (; shape[i]; i++)
        if (shape[i] == 'd' ? !isdigit((unsigned char)s[i]) : s[i] != shape[i]) return -1;
    if (s[i] == '.') {
        size_t d = 0;
        for (i++; isdigit((unsigned char)s[i]); i++) d++;
        if (!d || d > 9) return -1;
    }
    if (s[i] != 'Z' || s[i + 1]) return -1;
    return c2list_time_parse(s, out);
}

static int check_ref(const char *name, const char *ref_type, const json_t *v, c2_err *err)
{
    char b[80];
    const char *s = json_string_value(v);
    if (!s) return c2_fail(err, "%s must hold identifiers (strings)", name);
    int t = id_type(s);
    if (t == -1)
        return c2_fail(err, "%s: '%s' is not a STIX identifier", name, shown(s, b, sizeof b));
    if (t == -2 || (ref_type && strcmp(types[t].name, ref_type) != 0))
        return c2_fail(err, "%s: %s is not %s", name, shown(s, b, sizeof b),
                       ref_type ? ref_type : "of an accepted type");
    return 0;
}

static int check_strs(const char *name, const json_t *v, c2_err *err)
{
    size_t i;
    json_t *x;
    if (!json_is_array(v)) return c2_fail(err, "%s must be a list of strings", name);
    json_array_foreach(v, i, x)
        if (!json_is_string(x)) return c2_fail(err, "%s must be a list of strings", name);
    return 0;
}

/* An object of string members named in keys[] (NULL-ended); hashes (a
 * dictionary of strings) where allowed. */
static int check_members(const char *name, const json_t *o, const char *const *keys,
                         c2_err *err)
{
    const char *k;
    json_t *v;
    char b[80];
    if (!json_is_object(o)) return c2_fail(err, "%s must hold objects", name);
    json_object_foreach((json_t *)o, k, v) {
        size_t i = 0;
        while (keys[i] && strcmp(keys[i], k) != 0) i++;
        if (!keys[i])
            return c2_fail(err, "%s: key '%s' is not accepted", name, shown(k, b, sizeof b));
        if (!strcmp(k, "hashes")) {
            const char *hk;
            json_t *hv;
            if (!json_is_object(v)) return c2_fail(err, "%s: hashes must be an object", name);
            json_object_foreach(v, hk, hv)
                if (!json_is_string(hv))
                    return c2_fail(err, "%s: hashes must map to strings", name);
        } else if (!strcmp(k, "selectors")) {
            if (check_strs(name, v, err) != 0) return -1;
        } else if (!json_is_string(v)) {
            return c2_fail(err, "%s: %s must be a string", name, k);
        }
    }
    return 0;
}

static int check_list_of(const char *name, const json_t *v, const char *const *keys,
                         const char *required, c2_err *err)
{
    size_t i;
    json_t *x;
    if (!json_is_array(v) || !json_array_size(v))
        return c2_fail(err, "%s must be a non-empty list", name);
    json_array_foreach(v, i, x) {
        if (check_members(name, x, keys, err) != 0) return -1;
        if (required && !json_object_get(x, required))
            return c2_fail(err, "%s: every entry needs %s", name, required);
    }
    return 0;
}

/* The TLP 2.0 extension of OASIS, the only extension accepted. */
static int check_tlp_extension(const json_t *v, c2_err *err)
{
    static const char *const levels[] = {"clear", "green", "amber", "amber+strict", "red", NULL};
    const json_t *x = json_object_get(v, TLP_EXTENSION);
    if (!json_is_object(v) || json_object_size(v) != 1 || !json_is_object(x))
        return c2_fail(err, "extensions: only the TLP 2.0 extension (%s) is accepted",
                       TLP_EXTENSION);
    const char *et = json_string_value(json_object_get(x, "extension_type"));
    const char *tlp = json_string_value(json_object_get(x, "tlp_2_0"));
    size_t i = 0;
    while (tlp && levels[i] && strcmp(levels[i], tlp) != 0) i++;
    if (json_object_size(x) != 2 || !et || strcmp(et, "property-extension") != 0 || !tlp ||
        !levels[i])
        return c2_fail(err, "extensions: the TLP 2.0 extension holds extension_type "
                       "\"property-extension\" and tlp_2_0 (clear, green, amber, "
                       "amber+strict, red)");
    return 0;
}

static int check_value(const prop *p, const json_t *v, c2_err *err)
{
    static const char *const extref_keys[] = {"source_name", "description", "url", "hashes",
                                              "external_id", NULL};
    static const char *const kcp_keys[] = {"kill_chain_name", "phase_name", NULL};
    static const char *const gran_keys[] = {"lang", "marking_ref", "selectors", NULL};
    int64_t t;
    size_t i;
    json_t *x;
    switch (p->k) {
    case K_STR:
        return json_is_string(v) ? 0 : c2_fail(err, "%s must be a string", p->name);
    case K_TIME:
        if (!json_is_string(v) || stix_time(json_string_value(v), &t) != 0)
            return c2_fail(err, "%s is not a STIX timestamp (2026-01-05T00:00:00.000Z)", p->name);
        return 0;
    case K_REF:
        return check_ref(p->name, p->ref_type, v, err);
    case K_REFS:
        if (!json_is_array(v) || !json_array_size(v))
            return c2_fail(err, "%s must be a non-empty list", p->name);
        json_array_foreach(v, i, x)
            if (check_ref(p->name, p->ref_type, x, err) != 0) return -1;
        return 0;
    case K_STRS:
        return check_strs(p->name, v, err);
    case K_BOOL:
        return json_is_boolean(v) ? 0 : c2_fail(err, "%s must be true or false", p->name);
    case K_CONF:
    case K_COUNT: {
        json_int_t max = p->k == K_CONF ? 100 : 999999999;
        if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > max)
            return c2_fail(err, "%s must be an integer 0-%lld", p->name, (long long)max);
        return 0;
    }
    case K_EXTREFS: return check_list_of(p->name, v, extref_keys, "source_name", err);
    case K_KCP: return check_list_of(p->name, v, kcp_keys, "phase_name", err);
    case K_GRAN:
        if (check_list_of(p->name, v, gran_keys, "selectors", err) != 0) return -1;
        json_array_foreach(v, i, x)
            if (json_object_get(x, "marking_ref") &&
                check_ref(p->name, "marking-definition", json_object_get(x, "marking_ref"), err))
                return -1;
        return 0;
    case K_DEF: {
        const char *k;
        if (!json_is_object(v)) return c2_fail(err, "definition must be an object");
        json_object_foreach((json_t *)v, k, x)
            if ((strcmp(k, "tlp") && strcmp(k, "statement")) || !json_is_string(x))
                return c2_fail(err, "definition: only a tlp or statement string is accepted");
        return 0;
    }
    case K_TLPEXT: return check_tlp_extension(v, err);
    }
    return c2_fail(err, "%s: internal error", p->name);
}

/* ---- addresses written in text ---- */

static int word_char(int c)
{
    return isalnum(c) || c == '_';
}

/* A dotted quad of exactly four decimal parts 0-255 in [s, s+n). */
static int dotted_quad(const char *s, size_t n, flow_addr *ip)
{
    uint32_t a = 0;
    int parts = 0;
    size_t i = 0;
    while (i < n) {
        size_t d = 0;
        unsigned v = 0;
        for (; i < n && isdigit((unsigned char)s[i]) && d < 4; i++, d++)
            v = v * 10 + (unsigned)(s[i] - '0');
        if (!d || d > 3 || v > 255 || ++parts > 4) return 0;
        a = a << 8 | v;
        if (i < n && s[i++] != '.') return 0;
        if (i == n && s[n - 1] == '.') return 0;
    }
    if (parts != 4) return 0;
    flow_addr_from_v4(ip, a);
    return 1;
}

/* The first dotted quad from s: the end of its run, or NULL. */
static const char *find_v4(const char *s, flow_addr *ip)
{
    for (const char *p = s; *p;) {
        if (!isdigit((unsigned char)*p)) {
            p++;
            continue;
        }
        size_t n = strspn(p, "0123456789.");
        size_t m = n;
        while (m && p[m - 1] == '.') m--;               /* a full stop after it */
        if (dotted_quad(p, m, ip)) return p + n;
        p += n;
    }
    return NULL;
}

/* The first IPv6 address standing as a word from s: its end, or NULL. */
static const char *find_v6(const char *s, flow_addr *ip)
{
    static const char run_chars[] = "0123456789abcdefABCDEF:.";
    for (const char *p = s; *p;) {
        size_t n = strspn(p, run_chars);
        if (!n) {
            p++;
            continue;
        }
        size_t m = n, colons = 0;
        while (m && p[m - 1] == '.') m--;
        for (size_t i = 0; i < m; i++) colons += p[i] == ':';
        int bounded = (p == s || !word_char((unsigned char)p[-1])) &&
                      !word_char((unsigned char)p[n]);
        char text[64];
        struct in6_addr a6;
        if (bounded && colons >= 2 && m < sizeof text) {
            memcpy(text, p, m);
            text[m] = '\0';
            if (inet_pton(AF_INET6, text, &a6) == 1) {
                memcpy(ip->b, &a6, 16);
                return p + n;
            }
        }
        p += n;
    }
    return NULL;
}

int submission_find_address(const char *s, flow_addr *ip, char *shown_buf, size_t len)
{
    if (!find_v6(s, ip) && !find_v4(s, ip)) return 0;
    flow_addr_format(ip, shown_buf, len);
    return 1;
}

/* Every address written in s must be allowed (NULL: none is). */
static int scan_string(const char *name, const char *s, const flow_addr *allowed, c2_err *err)
{
    const char *(*const finders[])(const char *, flow_addr *) = {find_v6, find_v4};
    for (size_t f = 0; f < sizeof finders / sizeof finders[0]; f++) {
        flow_addr ip;
        char text[FLOW_ADDR_STRLEN];
        for (const char *p = s; (p = finders[f](p, &ip)) != NULL;)
            if (!allowed || flow_addr_cmp(&ip, allowed) != 0)
                return c2_fail(err, "an IP address (%s) in %s: addresses belong only in an "
                               "indicator's pattern", flow_addr_format(&ip, text, sizeof text),
                               name);
    }
    return 0;
}

/* Every string and key in v (an object's member "name") must name no
 * address but allowed (the indicator's own, or NULL). */
static int scan_addresses(const char *name, const json_t *v, const flow_addr *allowed,
                          c2_err *err)
{
    const char *k;
    json_t *x;
    size_t i;
    if (json_is_string(v)) return scan_string(name, json_string_value(v), allowed, err);
    if (json_is_array(v)) {
        json_array_foreach(v, i, x)
            if (scan_addresses(name, x, allowed, err) != 0) return -1;
    } else if (json_is_object(v)) {
        json_object_foreach((json_t *)v, k, x) {
            char where[80];
            snprintf(where, sizeof where, "a key of %s", name);
            if (scan_string(where, k, NULL, err) != 0) return -1;
            if (scan_addresses(name, x, allowed, err) != 0) return -1;
        }
    }
    return 0;
}

/* ---- patterns ---- */

typedef struct pat {
    const char *p;
    int         obj;                    /* 0 none, 1 network-traffic, 2 ipv4-addr, 3 ipv6-addr */
    int         have_ip, have_port, have_proto, dst_type; /* dst_type 4, 6 or 0 */
    flow_addr   ip;
    unsigned long port;
    int         proto;
} pat;

static void skip_space(pat *x)
{
    while (isspace((unsigned char)*x->p)) x->p++;
}

static int token(pat *x, char *buf, size_t len, const char *chars)
{
    size_t n = 0;
    skip_space(x);
    while (*x->p && (isalnum((unsigned char)*x->p) || strchr(chars, *x->p))) {
        if (n + 1 >= len) return -1;
        buf[n++] = *x->p++;
    }
    buf[n] = '\0';
    return n ? 0 : -1;
}

static int value(pat *x, char *buf, size_t len, int *quoted, c2_err *err)
{
    size_t n = 0;
    skip_space(x);
    *quoted = *x->p == '\'';
    if (!*quoted) {
        if (!isdigit((unsigned char)*x->p))
            return c2_fail(err, "pattern: a value must be 'quoted' or a number");
        while (isdigit((unsigned char)*x->p))
            if (n + 1 >= len) return c2_fail(err, "pattern: number too long");
            else buf[n++] = *x->p++;
        buf[n] = '\0';
        return 0;
    }
    for (x->p++; *x->p && *x->p != '\''; x->p++) {
        if (*x->p == '\\') return c2_fail(err, "pattern: escapes in strings are not accepted");
        if (n + 1 >= len) return c2_fail(err, "pattern: string too long");
        buf[n++] = *x->p;
    }
    if (*x->p != '\'') return c2_fail(err, "pattern: unterminated string");
    x->p++;
    buf[n] = '\0';
    return 0;
}

static int set_object(pat *x, int obj, c2_err *err)
{
    if (x->obj && x->obj != obj)
        return c2_fail(err, "pattern: comparisons on different objects in one observation");
    x->obj = obj;
    return 0;
}

static int comparison(pat *x, const char *lhs, const char *v, int quoted, c2_err *err)
{
    char b[80];
    if (!strcmp(lhs, "network-traffic:dst_ref.type")) {
        if (set_object(x, 1, err) != 0) return -1;
        if (!quoted || x->dst_type || (strcmp(v, "ipv4-addr") && strcmp(v, "ipv6-addr")))
            return c2_fail(err, "pattern: dst_ref.type must be 'ipv4-addr' or 'ipv6-addr', once");
        x->dst_type = v[3] == '4' ? 4 : 6;
        return 0;
    }
    int obj = !strcmp(lhs, "network-traffic:dst_ref.value") ? 1 : !strcmp(lhs, "ipv4-addr:value")
            ? 2 : !strcmp(lhs, "ipv6-addr:value") ? 3 : 0;
    if (obj) {
        if (set_object(x, obj, err) != 0) return -1;
        if (x->have_ip) return c2_fail(err, "pattern: more than one address");
        if (!quoted || flow_addr_parse(v, &x->ip) != 0)
            return c2_fail(err, "pattern: '%s' is not an IP address", shown(v, b, sizeof b));
        x->have_ip = 1;
        return 0;
    }
    if (!strcmp(lhs, "network-traffic:dst_port")) {
        if (set_object(x, 1, err) != 0) return -1;
        x->port = strtoul(v, NULL, 10);
        if (quoted || x->have_port || strlen(v) > 5 || x->port > 65535)
            return c2_fail(err, "pattern: dst_port must be one number 0-65535");
        x->have_port = 1;
        return 0;
    }
    if (!strcmp(lhs, "network-traffic:protocols[*]")) {
        if (set_object(x, 1, err) != 0) return -1;
        x->proto = quoted ? c2list_proto_parse(v) : -1;
        if (x->proto < 0 || x->have_proto)
            return c2_fail(err, "pattern: protocols[*] must be one protocol name ('tcp')");
        x->have_proto = 1;
        return 0;
    }
    return c2_fail(err, "pattern: comparison on %s is not accepted (dst_ref.type, "
                   "dst_ref.value, dst_port, protocols[*])", shown(lhs, b, sizeof b));
}

/* "[a = 'x' AND b = 1 ...]": one observation, comparisons joined by AND. */
static int read_pattern(const char *text, c2_entry *e, c2_err *err)
{
    pat x = {.p = text};
    char lhs[64], v[64];
    int quoted;
    skip_space(&x);
    if (*x.p++ != '[') return c2_fail(err, "pattern: must start with '['");
    for (;;) {
        if (token(&x, lhs, sizeof lhs, "-_:.[*]") < 0)
            return c2_fail(err, "pattern: bad object path");
        skip_space(&x);
        if (*x.p++ != '=') return c2_fail(err, "pattern: only '=' comparisons are accepted");
        if (value(&x, v, sizeof v, &quoted, err) < 0) return -1;
        if (comparison(&x, lhs, v, quoted, err) < 0) return -1;
        skip_space(&x);
        if (*x.p == ']') break;
        if (strncmp(x.p, "AND", 3) != 0 || !isspace((unsigned char)x.p[3]))
            return c2_fail(err, "pattern: only comparisons joined by AND are accepted");
        x.p += 3;
    }
    x.p++;
    skip_space(&x);
    if (*x.p) return c2_fail(err, "pattern: one observation only (no OR, FOLLOWEDBY, qualifiers)");
    if (!x.have_ip) return c2_fail(err, "pattern: names no destination address");
    int v4 = flow_addr_is_v4(&x.ip);
    if ((x.dst_type && (x.dst_type == 4) != v4) || (x.obj == 2 && !v4) || (x.obj == 3 && v4))
        return c2_fail(err, "pattern: the address is not of the type the pattern names");
    e->ip = x.ip;
    e->port = (uint16_t)x.port;
    e->proto = (uint8_t)(x.have_proto ? x.proto : 6);
    char name[16];
    if (!x.have_port && submission_port_check(0, e->proto, NULL) != 0)
        return c2_fail(err, "pattern: no dst_port, which a %s server has (protocols[*] %s)",
                       c2list_proto_format(e->proto, name, sizeof name),
                       x.have_proto ? "names it" : "absent: tcp");
    return 0;
}

/* ---- c2flow's own description: the counts a sighting cannot hold ---- */

static const char *match_lit(const char *s, const char *lit)
{
    size_t n = strlen(lit);
    return s && !strncmp(s, lit, n) ? s + n : NULL;
}

static const char *match_u32(const char *s, uint32_t *out)
{
    uint64_t v = 0;
    size_t d = 0;
    if (!s) return NULL;
    for (; isdigit((unsigned char)s[d]) && d < 11; d++) v = v * 10 + (uint64_t)(s[d] - '0');
    if (!d || d > 10 || v > UINT32_MAX) return NULL;
    *out = (uint32_t)v;
    return s + d;
}

static void read_description(const char *s, c2_entry *e)
{
    uint32_t clients, infected, days;
    s = match_lit(s, "Found in sampled flow records by c2flow (method ");
    if (s) s += strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.+-");
    s = match_u32(match_lit(s, "): "), &clients);
    s = match_u32(match_lit(s, " clients seen, "), &infected);
    s = match_u32(match_lit(s, " judged infected, on "), &days);
    s = match_lit(s, " days.");
    if (!s || *s) return;
    e->infected_clients = infected;
    e->days_seen = days;
}

/* ---- the bundle ---- */

typedef struct row {
    size_t   obj;                       /* index in objects */
    c2_entry e;
    int      sighted;
} row;

typedef struct ctx {
    const json_t *objs;
    row          *rows;
    size_t        nrows;
    size_t        max_rows;
    size_t       *row_of;               /* object index -> row + 1, 0 = none */
} ctx;

static int64_t member_time(const json_t *o, const char *key)
{
    int64_t t = 0;
    const char *s = json_string_value(json_object_get(o, key));
    return s && stix_time(s, &t) == 0 ? t : 0;
}

static int indicator_row(ctx *c, size_t i, const json_t *o, c2_err *err)
{
    const char *pt = json_string_value(json_object_get(o, "pattern_type"));
    const char *pv = json_string_value(json_object_get(o, "pattern_version"));
    const char *text = json_string_value(json_object_get(o, "pattern"));
    if (!text || !pt || !json_object_get(o, "valid_from"))
        return c2_fail(err, "an indicator needs pattern, pattern_type and valid_from");
    if (strcmp(pt, "stix") != 0) return c2_fail(err, "pattern_type must be \"stix\"");
    if (pv && strcmp(pv, "2.1") != 0) return c2_fail(err, "pattern_version must be \"2.1\"");
    if (json_is_true(json_object_get(o, "revoked")))
        return c2_fail(err, "a revoked indicator is not accepted");
    if (c->nrows >= c->max_rows)
        return c2_fail(err, "more than %zu indicators (the limit of a submission)", c->max_rows);
    row *r = &c->rows[c->nrows];
    c2_entry_init(&r->e);
    strcpy(r->e.method, "stix");
    if (read_pattern(text, &r->e, err) != 0) return -1;
    r->obj = i;
    r->sighted = 0;
    r->e.score = (double)json_integer_value(json_object_get(o, "confidence"));
    r->e.first_seen = member_time(o, "valid_from");
    int64_t modified = member_time(o, "modified");
    r->e.last_seen = modified > r->e.first_seen ? modified : r->e.first_seen;
    const char *desc = json_string_value(json_object_get(o, "description"));
    if (desc) read_description(desc, &r->e);
    c->row_of[i] = ++c->nrows;
    return 0;
}

/* Every property known for the type and well-formed; the type's musts. */
static int check_props(int t, const json_t *o, c2_err *err)
{
    const char *k;
    json_t *v;
    char b[80];
    json_object_foreach((json_t *)o, k, v) {
        if (!strncmp(k, "x_", 2))
            return c2_fail(err, "custom property %s is not accepted", shown(k, b, sizeof b));
        if (t == T_SIGHTING && !strcmp(k, "observed_data_refs"))
            return c2_fail(err, "observed_data_refs is not accepted (a submission carries no "
                           "observed data)");
        const prop *p = prop_lookup(t, k);
        if (!p)
            return c2_fail(err, "property %s is not a STIX 2.1 property of %s accepted here",
                           shown(k, b, sizeof b), types[t].name);
        if (check_value(p, v, err) != 0) return -1;
    }
    const char *sv = json_string_value(json_object_get(o, "spec_version"));
    if (!sv || strcmp(sv, "2.1") != 0) return c2_fail(err, "spec_version must be \"2.1\"");
    if (!json_object_get(o, "created") || (types[t].sdo && !json_object_get(o, "modified")))
        return c2_fail(err, "created%s missing", types[t].sdo ? " or modified" : "");
    static const char *const musts[T_N][3] = {
        [T_IDENTITY] = {"name"}, [T_SIGHTING] = {"sighting_of_ref"}, [T_MALWARE] = {"is_family"},
        [T_RELATIONSHIP] = {"relationship_type", "source_ref", "target_ref"},
    };
    for (int m = 0; m < 3 && musts[t][m]; m++)
        if (!json_object_get(o, musts[t][m]))
            return c2_fail(err, "%s needs %s", types[t].name, musts[t][m]);
    return 0;
}

static int check_object(ctx *c, size_t i, const json_t *o, c2_err *err)
{
    char b[80];
    if (!json_is_object(o)) return c2_fail(err, "not a JSON object");
    const char *type = json_string_value(json_object_get(o, "type"));
    if (!type) return c2_fail(err, "no type");
    int t = type_lookup(type, strlen(type));
    if (t < 0) return c2_fail(err, "type %s is not accepted", shown(type, b, sizeof b));
    const char *id = json_string_value(json_object_get(o, "id"));
    if (!id || id_type(id) != t) return c2_fail(err, "id must be %s--UUID", type);
    if (check_props(t, o, err) != 0) return -1;
    if (t == T_SIGHTING) {
        const char *of = json_string_value(json_object_get(o, "sighting_of_ref"));
        int ot = id_type(of);
        if (ot != T_INDICATOR && ot != T_MALWARE)
            return c2_fail(err, "sighting_of_ref must name an indicator or a malware");
    }
    const flow_addr *own = NULL;
    if (t == T_INDICATOR) {
        if (indicator_row(c, i, o, err) != 0) return -1;
        own = &c->rows[c->nrows - 1].e.ip;
    }
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)o, k, v)
        if (!(own && !strcmp(k, "pattern")) && scan_addresses(k, v, own, err) != 0) return -1;
    return 0;
}

/* "object N (ID): " before err's message. */
static void object_prefix(const json_t *objs, size_t i, c2_err *err)
{
    char b[80];
    const char *id = json_string_value(json_object_get(json_array_get(objs, i), "id"));
    if (id) c2_err_prefix(err, "object %zu (%s)", i + 1, shown(id, b, sizeof b));
    else c2_err_prefix(err, "object %zu", i + 1);
}

typedef struct idref {
    const char *id;
    size_t      obj;                    /* index in objects */
} idref;

static int by_id(const void *a, const void *b)
{
    return strcmp(((const idref *)a)->id, ((const idref *)b)->id);
}

static void merge_sighting(row *r, const json_t *s)
{
    int64_t first = member_time(s, "first_seen"), last = member_time(s, "last_seen");
    json_int_t count = json_integer_value(json_object_get(s, "count"));
    if (!r->sighted) {
        r->e.first_seen = first;
        r->e.last_seen = last;
        r->e.clients = (uint32_t)count;
        r->sighted = 1;
        return;
    }
    if (first && (!r->e.first_seen || first < r->e.first_seen)) r->e.first_seen = first;
    if (last > r->e.last_seen) r->e.last_seen = last;
    if ((uint32_t)count > r->e.clients) r->e.clients = (uint32_t)count;
}

/* The object of an id in the sorted table, or NULL. */
static const json_t *object_of(const ctx *c, const idref *ids, size_t n, const char *id,
                               size_t *obj)
{
    idref key = {.id = id};
    const idref *hit = id ? bsearch(&key, ids, n, sizeof *ids, by_id) : NULL;
    if (!hit) return NULL;
    *obj = hit->obj;
    return json_array_get(c->objs, hit->obj);
}

/* indicator --indicates--> malware: the malware's name is the row's
 * category (the first such relationship wins, as import.c reads it). */
static void apply_relationship(ctx *c, const idref *ids, size_t n, const json_t *o)
{
    size_t src, dst;
    const char *type = json_string_value(json_object_get(o, "relationship_type"));
    if (strcmp(type, "indicates") != 0 ||
        !object_of(c, ids, n, json_string_value(json_object_get(o, "source_ref")), &src) ||
        !c->row_of[src])
        return;
    const char *target = json_string_value(json_object_get(o, "target_ref"));
    const json_t *m = object_of(c, ids, n, target, &dst);
    const char *name = json_string_value(json_object_get(m, "name"));
    row *r = &c->rows[c->row_of[src] - 1];
    if (name && !r->e.category[0] &&
        !strcmp(json_string_value(json_object_get(m, "type")), "malware"))
        c2list_category_clean(name, r->e.category, sizeof r->e.category);
}

/* Sightings and relationships to their indicators' rows, found by id in a
 * sorted table: every sighting_of_ref must be an object of the bundle. */
static int link_objects(ctx *c, c2_err *err)
{
    size_t n = json_array_size(c->objs), obj;
    idref *ids = malloc((n ? n : 1) * sizeof *ids);
    if (!ids) return c2_fail(err, "body: out of memory");
    for (size_t i = 0; i < n; i++) {
        ids[i].id = json_string_value(json_object_get(json_array_get(c->objs, i), "id"));
        ids[i].obj = i;
    }
    qsort(ids, n, sizeof *ids, by_id);
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < n; i++) {
        const json_t *o = json_array_get(c->objs, i);
        const char *type = json_string_value(json_object_get(o, "type"));
        if (!strcmp(type, "relationship")) {
            apply_relationship(c, ids, n, o);
            continue;
        }
        if (strcmp(type, "sighting") != 0) continue;
        const char *ref = json_string_value(json_object_get(o, "sighting_of_ref"));
        if (!object_of(c, ids, n, ref, &obj)) {
            rc = c2_fail(err, "sighting_of_ref %s is not in the bundle", ref);
            object_prefix(c->objs, i, err);
        } else if (c->row_of[obj]) {
            merge_sighting(&c->rows[c->row_of[obj] - 1], o);
        }
    }
    free(ids);
    return rc;
}

static int bundle_shape(const json_t *root, size_t max_objects, c2_err *err)
{
    const char *k;
    json_t *v;
    if (!json_is_object(root)) return c2_fail(err, "body: not a JSON object (a STIX bundle)");
    json_object_foreach((json_t *)root, k, v)
        if (strcmp(k, "type") && strcmp(k, "id") && strcmp(k, "objects")) {
            char b[80];
            return c2_fail(err, "body: bundle property %s is not accepted (type, id, objects)",
                           shown(k, b, sizeof b));
        }
    const char *type = json_string_value(json_object_get(root, "type"));
    const char *id = json_string_value(json_object_get(root, "id"));
    const json_t *objs = json_object_get(root, "objects");
    if (!type || strcmp(type, "bundle") != 0)
        return c2_fail(err, "body: not a STIX bundle (type \"bundle\")");
    if (!id || id_type(id) != -2 || strncmp(id, "bundle--", 8) != 0)
        return c2_fail(err, "body: the bundle's id must be bundle--UUID");
    if (objs && !json_is_array(objs)) return c2_fail(err, "body: objects must be a list");
    if (json_array_size(objs) > max_objects)
        return c2_fail(err, "body: %zu objects, more than the limit of %zu",
                       json_array_size(objs), max_objects);
    return 0;
}

static int rows_to_list(ctx *c, const submission_limits *lim, c2list *l, c2_err *err)
{
    for (size_t i = 0; i < c->nrows; i++) {
        const row *r = &c->rows[i];
        if (c2list_add(l, &r->e, err) != 0 || submission_row_check(&r->e, lim, err) != 0) {
            object_prefix(c->objs, r->obj, err);
            return -1;
        }
    }
    return 0;
}

static int read_bundle(const json_t *root, const submission_limits *lim, c2list *l, c2_err *err)
{
    size_t max_rows = lim->max_rows ? lim->max_rows : C2LIST_MAX_ROWS;
    size_t max_objects = max_rows > (SIZE_MAX - 64) / 4 ? SIZE_MAX : 4 * max_rows + 64;
    if (bundle_shape(root, max_objects, err) != 0) return -1;
    ctx c = {.objs = json_object_get(root, "objects"), .max_rows = max_rows};
    size_t n = json_array_size(c.objs);
    c.rows = calloc(n ? n : 1, sizeof *c.rows);
    c.row_of = calloc(n ? n : 1, sizeof *c.row_of);
    int rc = c.rows && c.row_of ? 0 : c2_fail(err, "body: out of memory");
    for (size_t i = 0; rc == 0 && i < n; i++)
        if (check_object(&c, i, json_array_get(c.objs, i), err) != 0) {
            object_prefix(c.objs, i, err);
            rc = -1;
        }
    if (rc == 0) rc = link_objects(&c, err);
    if (rc == 0) rc = rows_to_list(&c, lim, l, err);
    free(c.rows);
    free(c.row_of);
    return rc;
}

int submission_stix(const void *body, size_t len, json_t *root, const submission_limits *lim,
                    c2list **out, c2_err *err)
{
    json_error_t je;
    *out = NULL;
    if (!root && submission_json_depth(body, len, 0, err) != 0) {
        c2_err_prefix(err, "body");
        return -1;
    }
    if (!root) root = json_loadb(body, len, JSON_REJECT_DUPLICATES, &je);
    if (!root) {
        char b[80];
        return c2_fail(err, "body: line %d: %s", je.line, shown(je.text, b, sizeof b));
    }
    c2list *l = c2list_new();
    int rc = l ? read_bundle(root, lim, l, err) : c2_fail(err, "body: out of memory");
    json_decref(root);
    if (rc != 0) {
        c2list_free(l);
        return -1;
    }
    *out = l;
    return 0;
}
