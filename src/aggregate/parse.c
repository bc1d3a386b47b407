/*
 * parse.c: the texts of -A, -s, --distinct and --bin, key labels, and the
 * summary table of aggregate rows.
 *
 * Names are looked up in one alias table (nfdump spellings) and then in
 * the schema (flow_field_lookup), after lower-casing.  An address name may
 * carry a family digit ("srcip4", "src_ip6") and a prefix ("/24"); the
 * family decides which of the key's two masks the prefix sets, and a
 * second mention of the same address field merges into the first key when
 * it sets a mask the first left unset (nfdump's "srcip4/24,srcip6/64").
 * Everything else repeated is an error, so a typo never silently changes
 * the grouping.
 */
#include "aggregate/aggregate.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TOKEN_MAX 64

enum { FAM_ANY, FAM_V4, FAM_V6 };

static const struct { const char *name; flow_field field; } aliases[] = {
    {"srcip", FLOW_SRC_ADDR},  {"dstip", FLOW_DST_ADDR},
    {"srcport", FLOW_SRC_PORT}, {"dstport", FLOW_DST_PORT},
    {"srcas", FLOW_SRC_AS},    {"dstas", FLOW_DST_AS},
    {"inif", FLOW_IN_IF},      {"outif", FLOW_OUT_IF},
    {"srctos", FLOW_TOS},      {"flags", FLOW_TCP_FLAGS},
    {"router", FLOW_EXPORTER},
};

static const struct { const char *name; agg_order order; } orders[] = {
    {"flows", AGG_BY_FLOWS}, {"packets", AGG_BY_PACKETS},
    {"pkts", AGG_BY_PACKETS}, {"bytes", AGG_BY_BYTES},
    {"distinct", AGG_BY_DISTINCT}, {"first", AGG_BY_FIRST},
    {"tstart", AGG_BY_FIRST}, {"last", AGG_BY_LAST}, {"tend", AGG_BY_LAST},
    {"key", AGG_BY_KEY},
};

/* Both-direction names nfdump's -s knows and we do not (yet). */
static const char *const two_way[] = {"ip", "port", "as", "if"};

static int lookup_plain(const char *name)
{
    for (size_t i = 0; i < sizeof aliases / sizeof aliases[0]; i++)
        if (!strcmp(aliases[i].name, name)) return (int)aliases[i].field;
    return flow_field_lookup(name);
}

/* name (lower case) -> field and family; -1 if unknown. */
static int lookup_field(const char *name, int *family)
{
    *family = FAM_ANY;
    int f = lookup_plain(name);
    if (f >= 0) return f;
    size_t n = strlen(name);
    if (n < 2 || (name[n - 1] != '4' && name[n - 1] != '6')) return -1;
    char base[TOKEN_MAX];
    memcpy(base, name, n - 1);
    base[n - 1] = '\0';
    f = lookup_plain(base);
    if (f < 0 || flow_field_type((flow_field)f) != FLOW_T_ADDR) return -1;
    *family = name[n - 1] == '4' ? FAM_V4 : FAM_V6;
    return f;
}

/* Copy [s, e) trimmed and lower-cased into buf; 0, or -1 if too long. */
static int token_copy(const char *s, const char *e, char *buf)
{
    while (s < e && isspace((unsigned char)*s)) s++;
    while (e > s && isspace((unsigned char)e[-1])) e--;
    if ((size_t)(e - s) >= TOKEN_MAX) return -1;
    for (const char *p = s; p < e; p++) *buf++ = (char)tolower((unsigned char)*p);
    *buf = '\0';
    return 0;
}

static int is_two_way(const char *name)
{
    for (size_t i = 0; i < sizeof two_way / sizeof two_way[0]; i++)
        if (!strcmp(two_way[i], name)) return 1;
    return 0;
}

static int unknown_field(c2_err *err, const char *what, const char *name)
{
    if (!strcmp(name, "if"))
        return c2_fail(err, "%s: 'if' (both directions) is not supported; "
                       "name one side: inif or outif", what);
    if (is_two_way(name))
        return c2_fail(err, "%s: '%s' (both directions) is not supported; "
                       "name one side: src%s or dst%s", what, name, name, name);
    return c2_fail(err, "%s: unknown field '%s' (try srcip, dstip, srcport, "
                   "dstport, proto, srcas, dstas, inif, outif, tos, flags, "
                   "router, or a column name such as dst_port)", what, name);
}

/* One "-A" element: "srcip6/64".  Adds or merges a key into spec. */
static int parse_one_key(const char *tok, agg_spec *spec, const char *what,
                         c2_err *err)
{
    char name[TOKEN_MAX];
    strcpy(name, tok);
    char *slash = strchr(name, '/');
    if (slash) *slash = '\0';
    if (!name[0]) return c2_fail(err, "%s: empty field name in '%s'", what, tok);
    int family, f = lookup_field(name, &family);
    if (f < 0) return unknown_field(err, what, name);
    int is_addr = flow_field_type((flow_field)f) == FLOW_T_ADDR;
    unsigned p4 = 0, p6 = 0;
    if (slash) {
        if (!is_addr)
            return c2_fail(err, "%s: '%s': only addresses take a prefix", what, tok);
        uint64_t n;
        unsigned max = family == FAM_V6 ? 128 : 32;
        if (c2_u64_parse(slash + 1, 1000, &n) != 0 || n < 1 || n > max) {
            if (family == FAM_ANY && c2_u64_parse(slash + 1, 128, &n) == 0 && n > 32)
                return c2_fail(err, "%s: '%s': /%s is longer than an IPv4 "
                               "address; write %s6/%s for an IPv6 prefix",
                               what, tok, slash + 1, name, slash + 1);
            return c2_fail(err, "%s: '%s': prefix must be 1..%u", what, tok, max);
        }
        if (family == FAM_V6) p6 = (unsigned)n; else p4 = (unsigned)n;
    }
    for (size_t i = 0; i < spec->nkeys; i++) {
        agg_key *k = &spec->keys[i];
        if (k->field != (flow_field)f) continue;
        /* nfdump's srcip4/24,srcip6/64: the two masks of one key */
        if (family != FAM_ANY && slash &&
            ((family == FAM_V4 && !k->prefix4) || (family == FAM_V6 && !k->prefix6))) {
            if (family == FAM_V4) k->prefix4 = p4; else k->prefix6 = p6;
            return 0;
        }
        return c2_fail(err, "%s: '%s' repeats a key", what, tok);
    }
    if (spec->nkeys == AGG_MAX_KEYS)
        return c2_fail(err, "%s: at most %d keys", what, AGG_MAX_KEYS);
    spec->keys[spec->nkeys++] = (agg_key){(flow_field)f, p4, p6};
    return 0;
}

static int parse_keys(const char *text, agg_spec *spec, const char *what,
                      c2_err *err)
{
    agg_spec tmp = *spec;
    tmp.nkeys = 0;
    memset(tmp.keys, 0, sizeof tmp.keys);
    const char *s = text;
    for (;;) {
        const char *e = strchr(s, ',');
        if (!e) e = s + strlen(s);
        char tok[TOKEN_MAX];
        if (token_copy(s, e, tok) != 0)
            return c2_fail(err, "%s: field name too long in '%s'", what, text);
        if (!tok[0])
            return c2_fail(err, "%s: empty field in '%s'", what, text);
        if (parse_one_key(tok, &tmp, what, err) != 0) return -1;
        if (!*e) break;
        s = e + 1;
    }
    *spec = tmp;
    return 0;
}

int agg_parse_keys(const char *text, agg_spec *spec, c2_err *err)
{
    return parse_keys(text, spec, "-A", err);
}

/* "bytes", "bytes:a", "last:d" -> order and direction; -1 if not one. */
static int parse_order(const char *text, agg_order *order, int *direction)
{
    char name[TOKEN_MAX];
    if (token_copy(text, text + strlen(text), name) != 0) return -1;
    *direction = 0;
    char *colon = strchr(name, ':');
    if (colon) {
        *colon = '\0';
        const char *d = colon + 1;
        if (!strcmp(d, "a") || !strcmp(d, "asc")) *direction = 1;
        else if (!strcmp(d, "d") || !strcmp(d, "desc")) *direction = -1;
        else return -1;
    }
    for (size_t i = 0; i < sizeof orders / sizeof orders[0]; i++)
        if (!strcmp(orders[i].name, name)) { *order = orders[i].order; return 0; }
    return -1;
}

int agg_parse_stat(const char *text, agg_spec *spec, c2_err *err)
{
    agg_spec tmp = *spec;
    tmp.order = AGG_BY_FLOWS;
    tmp.direction = 0;
    char keys[256];
    if (strlen(text) >= sizeof keys) return c2_fail(err, "-s: text too long");
    strcpy(keys, text);
    char *slash = strrchr(keys, '/');
    if (slash) {
        char *after = slash + 1;
        uint64_t n;
        if (c2_u64_parse(after, 1000, &n) == 0) {
            /* "srcip/24": a prefix, not an order */
        } else if (parse_order(after, &tmp.order, &tmp.direction) == 0) {
            *slash = '\0';
        } else {
            return c2_fail(err, "-s: unknown order '%s' (flows, packets, "
                           "bytes, distinct, first, last, key; :a or :d "
                           "for the direction)", after);
        }
    }
    char head[TOKEN_MAX];
    if (token_copy(keys, keys + strlen(keys), head) == 0 && !strcmp(head, "record")) {
        *spec = tmp;                /* order only: the keys are -A's */
        return 0;
    }
    if (parse_keys(keys, &tmp, "-s", err) != 0) return -1;
    *spec = tmp;
    return 0;
}

int agg_parse_distinct(const char *text, agg_spec *spec, c2_err *err)
{
    char name[TOKEN_MAX];
    if (token_copy(text, text + strlen(text), name) != 0 || !name[0])
        return c2_fail(err, "--distinct: want one field name, not '%s'", text);
    if (strchr(name, '/'))
        return c2_fail(err, "--distinct: '%s': no prefix here; the whole "
                       "value is counted", text);
    int family, f = lookup_field(name, &family);
    if (f < 0) return unknown_field(err, "--distinct", name);
    spec->distinct = 1;
    spec->distinct_field = (flow_field)f;
    return 0;
}

int agg_parse_bin(const char *text, agg_spec *spec, c2_err *err)
{
    int64_t ms;
    if (c2_duration_parse(text, &ms, err) != 0) {
        c2_err_prefix(err, "--bin");
        return -1;
    }
    if (ms <= 0) return c2_fail(err, "--bin: '%s': want a duration above 0, e.g. 5m, 1h, 1d", text);
    spec->bin_ms = ms;
    return 0;
}

char *agg_key_label(const agg_key *k, char *buf, size_t len)
{
    const char *name = flow_field_name(k->field);
    if (k->prefix4 && k->prefix6) snprintf(buf, len, "%s/%u/%u", name, k->prefix4, k->prefix6);
    else if (k->prefix4) snprintf(buf, len, "%s/%u", name, k->prefix4);
    else if (k->prefix6) snprintf(buf, len, "%s6/%u", name, k->prefix6);
    else snprintf(buf, len, "%s", name);
    return buf;
}

/* ---- the summary table ---- */

int agg_table_new(const agg_spec *spec, output_table **out, c2_err *err)
{
    char labels[AGG_MAX_KEYS][AGG_KEY_LABEL_MAX], distinct[64];
    output_column cols[AGG_MAX_KEYS + 8];
    size_t n = 0;
    if (spec->bin_ms) cols[n++] = (output_column){"bin", OUTPUT_TIME};
    for (size_t i = 0; i < spec->nkeys && i < AGG_MAX_KEYS; i++) {
        flow_type t = flow_field_type(spec->keys[i].field);
        output_kind kind = t == FLOW_T_ADDR ? OUTPUT_STRING :
                           t == FLOW_T_TIME ? OUTPUT_TIME : OUTPUT_U64;
        cols[n++] = (output_column){agg_key_label(&spec->keys[i], labels[i],
                                                  sizeof labels[i]), kind};
    }
    cols[n++] = (output_column){"flows", OUTPUT_U64};
    cols[n++] = (output_column){"packets", OUTPUT_U64};
    cols[n++] = (output_column){"bytes", OUTPUT_BYTES};
    cols[n++] = (output_column){"first", OUTPUT_TIME};
    cols[n++] = (output_column){"last", OUTPUT_TIME};
    if (spec->distinct) {
        snprintf(distinct, sizeof distinct, "distinct_%s",
                 flow_field_name(spec->distinct_field));
        cols[n++] = (output_column){distinct, OUTPUT_U64};
    }
    return output_table_new(cols, n, out, err);
}

void agg_table_add(output_table *t, const agg_spec *spec, const agg_row *row)
{
    output_table_row(t);
    if (spec->bin_ms) output_table_time(t, row->bin_start_ms);
    for (size_t i = 0; i < spec->nkeys && i < AGG_MAX_KEYS; i++) {
        switch (flow_field_type(spec->keys[i].field)) {
        case FLOW_T_ADDR: output_table_addr(t, &row->key[i].a); break;
        case FLOW_T_TIME: output_table_time(t, row->key[i].t); break;
        default: output_table_u64(t, row->key[i].u); break;
        }
    }
    output_table_u64(t, row->flows);
    output_table_u64(t, row->packets);
    output_table_bytes(t, row->bytes);
    output_table_time(t, row->first_ms);
    output_table_time(t, row->last_ms);
    if (spec->distinct) output_table_u64(t, row->distinct);
}
