/*
 * zeek: Zeek (Bro) conn.log in its TSV form.
 *
 * The '#' header says how to read the rest: #separator (given as "\x09"),
 * #unset_field and #empty_field, and #fields, which names the columns; the
 * columns are found by name, so any Zeek version and any extra columns
 * work.  Data before #fields stops the import (we could not know what the
 * columns mean).  Stratosphere's labelled logs add label / detailedlabel
 * (or detailed-label) columns; some (IoT-23) join "tunnel_parents   label
 * detailed-label" with three spaces inside the last tab field, which we
 * detect on the #fields line and then treat three spaces as a separator.
 *
 * Mapping (docs/import.md has the table): bytes are orig_ip_bytes /
 * resp_ip_bytes (IP-level bytes, as routers count), TCP flags come from the
 * history letters (upper case = originator, lower case = responder), and
 * ICMP's type (id.orig_p) and code become dst_port type<<8|code with
 * src_port 0, nfdump's convention.  Zeek's id.resp_p holds the code only
 * for one-way messages; for request/reply pairs it holds the counterpart
 * type (8 -> 0, 135 -> 136), so the code is 0 there.
 */
#include <stdio.h>
#include <string.h>

#include "import/import_impl.h"

enum {
    Z_TS, Z_ORIG_H, Z_ORIG_P, Z_RESP_H, Z_RESP_P, Z_PROTO, Z_DURATION,
    Z_ORIG_PKTS, Z_ORIG_BYTES, Z_RESP_PKTS, Z_RESP_BYTES, Z_HISTORY,
    Z_LABEL, Z_DLABEL, Z_DLABEL2, Z_NCOLS
};
static const import_colspec zeek_cols[Z_NCOLS] = {
    [Z_TS] = {"ts", 1}, [Z_ORIG_H] = {"id.orig_h", 1},
    [Z_ORIG_P] = {"id.orig_p", 1}, [Z_RESP_H] = {"id.resp_h", 1},
    [Z_RESP_P] = {"id.resp_p", 1}, [Z_PROTO] = {"proto", 1},
    [Z_DURATION] = {"duration", 0}, [Z_ORIG_PKTS] = {"orig_pkts", 1},
    [Z_ORIG_BYTES] = {"orig_ip_bytes", 1}, [Z_RESP_PKTS] = {"resp_pkts", 1},
    [Z_RESP_BYTES] = {"resp_ip_bytes", 1}, [Z_HISTORY] = {"history", 0},
    [Z_LABEL] = {"label", 0}, [Z_DLABEL] = {"detailedlabel", 0},
    [Z_DLABEL2] = {"detailed-label", 0},
};

/* "\x09" -> tab; a single literal character is taken as is. */
static int parse_separator(const char *v, char *sep)
{
    unsigned x;
    char c;
    if (strlen(v) == 4 && sscanf(v, "\\x%2x%c", &x, &c) == 1 && x != 0) {
        *sep = (char)x;
        return 0;
    }
    if (strlen(v) == 1 && v[0] != '\0') {
        *sep = v[0];
        return 0;
    }
    return -1;
}

static void copy_value(char *dst, size_t cap, const char *v)
{
    snprintf(dst, cap, "%s", v);
}

static int header_line(import_run *r, char *line, c2_err *err)
{
    if (strncmp(line, "#separator ", 11) == 0) {
        if (parse_separator(line + 11, &r->sep) != 0)
            return import_bad(r, "unreadable #separator");
        return import_skipped(r, IMPORT_SKIP_HEADER);
    }
    if (strncmp(line, "#fields", 7) != 0 || line[7] != r->sep) {
        size_t n = strcspn(line, (char[]){r->sep, '\0'});
        if (line[n] == r->sep && n == 12 && !strncmp(line, "#unset_field", n))
            copy_value(r->unset, sizeof r->unset, line + n + 1);
        else if (line[n] == r->sep && n == 12 &&
                 !strncmp(line, "#empty_field", n))
            copy_value(r->empty, sizeof r->empty, line + n + 1);
        return import_skipped(r, IMPORT_SKIP_HEADER);
    }
    import_skipped(r, IMPORT_SKIP_HEADER);
    r->three_space = strstr(line, "   ") != NULL;
    if (import_split(r, line) != 0)
        return c2_fail(err, "line %llu: more than %d #fields",
                       (unsigned long long)r->lineno, IMPORT_MAX_FIELDS);
    return import_map_columns(r, r->f + 1, r->nf - 1, zeek_cols, Z_NCOLS,
                              err);
}

static int is_unset(const import_run *r, const char *v)
{
    return v == NULL || v[0] == '\0' || strcmp(v, r->unset) == 0 ||
           strcmp(v, r->empty) == 0;
}

/* Counter column: unset = 0.  0 ok, -1 malformed. */
static int zeek_count(const import_run *r, int c, uint64_t *out)
{
    const char *v = import_field(r, c);
    *out = 0;
    return is_unset(r, v) ? 0 : import_u64(v, out);
}

/* History letters -> TCP flags of the originator and of the responder. */
static void history_flags(const char *h, uint8_t *orig, uint8_t *resp)
{
    static const struct { char c; uint8_t flags; } map[] = {
        {'s', 0x02}, {'h', 0x12}, {'a', 0x10}, {'d', 0x18}, {'f', 0x01},
        {'r', 0x04},
    };
    *orig = *resp = 0;
    for (; h && *h; h++)
        for (size_t i = 0; i < sizeof map / sizeof map[0]; i++) {
            if (*h == map[i].c)
                *resp |= map[i].flags;
            else if (*h == map[i].c - 'a' + 'A')
                *orig |= map[i].flags;
        }
}

/* "Malicious" + "CC" -> "Malicious-CC" into buf (empty when unlabelled). */
static void zeek_label(const import_run *r, char *buf, size_t cap)
{
    const char *l = import_field(r, Z_LABEL);
    const char *d = import_field(r, Z_DLABEL);
    if (is_unset(r, d))
        d = import_field(r, Z_DLABEL2);
    buf[0] = '\0';
    if (is_unset(r, l))
        return;
    if (is_unset(r, d))
        snprintf(buf, cap, "%s", l);
    else
        snprintf(buf, cap, "%s-%s", l, d);
}

static int zeek_proto(const import_run *r, const import_conn *c, int *proto)
{
    const char *p = import_field(r, Z_PROTO);
    if (strcmp(p, "tcp") == 0) *proto = 6;
    else if (strcmp(p, "udp") == 0) *proto = 17;
    else if (strcmp(p, "icmp") == 0)
        *proto = flow_addr_is_v4(&c->orig) ? 1 : 58;
    else if (strcmp(p, "unknown_transport") == 0) *proto = -1;
    else return -1;
    return 0;
}

/* Addresses, ports and protocol of a data line.  *done is set when the
 * line was counted already (bad or skipped); returns 0 either way. */
static int zeek_endpoints(import_run *r, import_conn *c, int *done)
{
    uint16_t op, rp;
    int proto;
    *done = 1;
    if (flow_addr_parse(import_field(r, Z_ORIG_H), &c->orig) != 0 ||
        flow_addr_parse(import_field(r, Z_RESP_H), &c->resp) != 0)
        return import_bad(r, "bad address in id.orig_h or id.resp_h");
    if (flow_addr_is_v4(&c->orig) != flow_addr_is_v4(&c->resp))
        return import_bad(r, "id.orig_h and id.resp_h of different families");
    if (import_port(import_field(r, Z_ORIG_P), &op) != 0 ||
        import_port(import_field(r, Z_RESP_P), &rp) != 0)
        return import_bad(r, "bad port in id.orig_p or id.resp_p");
    if (zeek_proto(r, c, &proto) != 0)
        return import_bad(r, "unknown proto '%.24s'",
                          import_field(r, Z_PROTO));
    if (proto < 0)
        return import_skipped(r, IMPORT_SKIP_UNKNOWN_PROTO);
    c->proto = (uint8_t)proto;
    c->orig_port = op;
    c->resp_port = rp;
    if (proto == 1 || proto == 58) {
        if (op > 255 || rp > 255)
            return import_bad(r, "ICMP type or code over 255");
        /* Zeek: resp_p is the counterpart type of a request/reply pair
         * (the code is then 0), the code of a one-way message otherwise. */
        if (import_icmp_counterpart(c->proto, (uint8_t)op) >= 0)
            rp = 0;
        c->orig_port = 0;
        c->resp_port = (uint16_t)(op << 8 | rp);
    }
    *done = 0;
    return 0;
}

static int zeek_counters(import_run *r, import_conn *c)
{
    const char *ts = import_field(r, Z_TS);
    const char *dur = import_field(r, Z_DURATION);
    int64_t d = 0;
    if (is_unset(r, ts) || import_seconds_ms(ts, &c->start_ms) != 0)
        return import_bad(r, "bad ts '%.32s'", ts), -1;
    if (!is_unset(r, dur) && import_seconds_ms(dur, &d) != 0)
        return import_bad(r, "bad duration '%.32s'", dur), -1;
    c->end_ms = c->start_ms + d;
    if (zeek_count(r, Z_ORIG_PKTS, &c->fwd_pkts) != 0 ||
        zeek_count(r, Z_ORIG_BYTES, &c->fwd_bytes) != 0 ||
        zeek_count(r, Z_RESP_PKTS, &c->rev_pkts) != 0 ||
        zeek_count(r, Z_RESP_BYTES, &c->rev_bytes) != 0)
        return import_bad(r, "bad packet or byte count"), -1;
    if (c->proto == 6)
        history_flags(import_field(r, Z_HISTORY), &c->fwd_flags,
                      &c->rev_flags);
    return 0;
}

int import_zeek_line(import_run *r, char *line, size_t len, c2_err *err)
{
    (void)len;
    if (line[0] == '#')
        return header_line(r, line, err);
    if (!r->header_seen)
        return c2_fail(err, "line %llu: data before the #fields header",
                       (unsigned long long)r->lineno);
    if (import_split_row(r, line) != 0)
        return 0;
    import_conn c;
    int done;
    char label[IMPORT_LABEL_MAX];
    memset(&c, 0, sizeof c);
    if (zeek_endpoints(r, &c, &done) != 0 || done)
        return 0;
    if (zeek_counters(r, &c) != 0)
        return 0;
    zeek_label(r, label, sizeof label);
    c.label = label;
    return import_emit(r, &c, err);
}
