/*
 * binetflow: Argus bidirectional flows as published with the CTU-13 and
 * Stratosphere captures (ra -c ',' or tab output with a header line).
 *
 * The first non-blank line is the header; it chooses the separator (tab if
 * it has one, else comma) and names the columns, which are then found by
 * name: files differ (SrcPkts is missing from some).  StartTime is taken
 * as UTC; the CTU captures wrote local capture time, which we cannot know,
 * so their times may be off by the capture site's offset.
 *
 * Mapping decisions (docs/import.md repeats them for users):
 * - Proto names of non-IP records (arp, llc, man, ...) are skipped and
 *   counted; unknown names are skipped as "unknown-proto".
 * - Src is the originator whatever Dir says ("->", "<?>", "who", ...).
 * - Forward counters are SrcPkts/SrcBytes; reverse = Tot - Src.  Without a
 *   SrcPkts column: all packets go forward when TotBytes == SrcBytes (or
 *   TotPkts < 2); otherwise packets split in proportion to bytes, with at
 *   least one packet each way.
 * - TCP flags come from State "SRC_DST" letters per side; states without
 *   '_' (CON, REQ, INT, S0, ...) give no flags.
 * - ICMP: Argus writes "0xCCTT" (its type,code byte pair read as a
 *   little-endian word: 0x0008 = echo, 0x0303 = port unreachable) in Sport
 *   and the ICMP id in Dport; other writers put the type in Sport and the
 *   code in Dport.  Both become dst_port type<<8|code, src_port 0.
 */
#include <string.h>

#include "import/import_impl.h"

enum {
    B_START, B_DUR, B_PROTO, B_SADDR, B_SPORT, B_DADDR, B_DPORT, B_STATE,
    B_STOS, B_DTOS, B_TOTPKTS, B_TOTBYTES, B_SRCBYTES, B_SRCPKTS, B_LABEL,
    B_NCOLS
};
static const import_colspec binetflow_cols[B_NCOLS] = {
    [B_START] = {"StartTime", 1}, [B_DUR] = {"Dur", 0},
    [B_PROTO] = {"Proto", 1}, [B_SADDR] = {"SrcAddr", 1},
    [B_SPORT] = {"Sport", 1}, [B_DADDR] = {"DstAddr", 1},
    [B_DPORT] = {"Dport", 1}, [B_STATE] = {"State", 0},
    [B_STOS] = {"sTos", 0}, [B_DTOS] = {"dTos", 0},
    [B_TOTPKTS] = {"TotPkts", 1}, [B_TOTBYTES] = {"TotBytes", 1},
    [B_SRCBYTES] = {"SrcBytes", 0}, [B_SRCPKTS] = {"SrcPkts", 0},
    [B_LABEL] = {"Label", 0},
};

static int header_line(import_run *r, char *line, c2_err *err)
{
    r->sep = strchr(line, '\t') ? '\t' : ',';
    import_skipped(r, IMPORT_SKIP_HEADER);
    if (import_split(r, line) != 0)
        return c2_fail(err, "line %llu: more than %d columns",
                       (unsigned long long)r->lineno, IMPORT_MAX_FIELDS);
    return import_map_columns(r, r->f, r->nf, binetflow_cols, B_NCOLS, err);
}

static int blank(const char *v)
{
    return v == NULL || v[strspn(v, " \t")] == '\0';
}

/* Optional numeric column: absent or empty = 0.  0 ok, -1 malformed. */
static int opt_u64(const import_run *r, int c, uint64_t max, uint64_t *out)
{
    const char *v = import_field(r, c);
    *out = 0;
    if (blank(v))
        return 0;
    return import_u64(v, out) == 0 && *out <= max ? 0 : -1;
}

/* Sport "0xCCTT" (exactly four hex digits) is Argus's type,code pair. */
static int argus_pair(const char *s)
{
    s += strspn(s, " ");
    return (s[0] == '0' && (s[1] == 'x' || s[1] == 'X') &&
            strspn(s + 2, "0123456789abcdefABCDEF") == 4 &&
            s[6 + strspn(s + 6, " ")] == '\0');
}

static int icmp_ports(import_run *r, import_conn *c)
{
    uint16_t sp = c->orig_port, dp = c->resp_port, type, code;
    if (argus_pair(import_field(r, B_SPORT))) {
        type = sp & 0xff;
        code = sp >> 8;
    } else {
        if (sp > 255)
            return import_bad(r, "ICMP type %u over 255", sp), -1;
        type = sp;
        code = dp <= 255 ? dp : 0;   /* a bigger Dport is an ICMP id */
    }
    c->orig_port = 0;
    c->resp_port = (uint16_t)(type << 8 | code);
    return 0;
}

static int endpoints(import_run *r, import_conn *c)
{
    const char *sp = import_field(r, B_SPORT), *dp = import_field(r, B_DPORT);
    if (flow_addr_parse(import_field(r, B_SADDR), &c->orig) != 0 ||
        flow_addr_parse(import_field(r, B_DADDR), &c->resp) != 0)
        return import_bad(r, "bad address in SrcAddr or DstAddr"), -1;
    if (flow_addr_is_v4(&c->orig) != flow_addr_is_v4(&c->resp))
        return import_bad(r, "SrcAddr and DstAddr of different families"), -1;
    if ((!blank(sp) && import_port(sp, &c->orig_port) != 0) ||
        (!blank(dp) && import_port(dp, &c->resp_port) != 0))
        return import_bad(r, "bad port '%.16s' / '%.16s'", sp, dp), -1;
    if (c->proto == 1 || c->proto == 58)
        return icmp_ports(r, c);
    return 0;
}

static int times(import_run *r, import_conn *c)
{
    const char *st = import_field(r, B_START), *dur = import_field(r, B_DUR);
    int64_t d = 0;
    if (import_datetime_ms(st, &c->start_ms) != 0)
        return import_bad(r, "bad StartTime '%.32s'", st), -1;
    if (!blank(dur) && import_seconds_ms(dur, &d) != 0)
        return import_bad(r, "bad Dur '%.32s'", dur), -1;
    c->end_ms = c->start_ms + d;
    return 0;
}

/* Packets sent by the originator when the file has no SrcPkts column. */
static uint64_t derive_src_pkts(uint64_t tot_p, uint64_t tot_b,
                                uint64_t src_b)
{
    if (src_b == tot_b || tot_p < 2)
        return tot_p;
    long double share = (long double)tot_p * src_b / tot_b;
    uint64_t p = (uint64_t)(share + 0.5L);
    if (p < 1)
        p = 1;
    if (p > tot_p - 1)
        p = tot_p - 1;
    return p;
}

static int counters(import_run *r, import_conn *c)
{
    uint64_t tot_p, tot_b, src_b, src_p;
    if (import_u64(import_field(r, B_TOTPKTS), &tot_p) != 0 ||
        import_u64(import_field(r, B_TOTBYTES), &tot_b) != 0)
        return import_bad(r, "bad TotPkts or TotBytes"), -1;
    src_b = tot_b;
    if (r->col[B_SRCBYTES] >= 0 &&
        import_u64(import_field(r, B_SRCBYTES), &src_b) != 0)
        return import_bad(r, "bad SrcBytes"), -1;
    if (src_b > tot_b)
        return import_bad(r, "SrcBytes over TotBytes"), -1;
    if (r->col[B_SRCPKTS] >= 0) {
        if (import_u64(import_field(r, B_SRCPKTS), &src_p) != 0)
            return import_bad(r, "bad SrcPkts"), -1;
        if (src_p > tot_p)
            return import_bad(r, "SrcPkts over TotPkts"), -1;
    } else {
        src_p = derive_src_pkts(tot_p, tot_b, src_b);
        if (src_p == tot_p)
            src_b = tot_b;          /* no reverse packet: no reverse byte */
    }
    c->fwd_pkts = src_p;
    c->fwd_bytes = src_b;
    c->rev_pkts = tot_p - src_p;
    c->rev_bytes = tot_b - src_b;
    return 0;
}

static uint8_t state_letters(const char *s, size_t n)
{
    static const char letters[] = "FSRPAUEC";   /* bit 0 .. bit 7 */
    uint8_t flags = 0;
    for (size_t i = 0; i < n; i++) {
        const char *p = s[i] ? strchr(letters, s[i]) : NULL;
        if (p)
            flags |= (uint8_t)(1u << (p - letters));
    }
    return flags;
}

static void state_flags(const import_run *r, import_conn *c)
{
    const char *st = import_field(r, B_STATE);
    const char *us = st ? strchr(st, '_') : NULL;
    if (c->proto != 6 || !us)
        return;
    c->fwd_flags = state_letters(st, (size_t)(us - st));
    c->rev_flags = state_letters(us + 1, strlen(us + 1));
}

static int tos_and_flags(import_run *r, import_conn *c)
{
    uint64_t stos, dtos;
    if (opt_u64(r, B_STOS, 255, &stos) != 0 ||
        opt_u64(r, B_DTOS, 255, &dtos) != 0)
        return import_bad(r, "bad sTos or dTos"), -1;
    c->fwd_tos = (uint8_t)stos;
    c->rev_tos = (uint8_t)dtos;
    state_flags(r, c);
    return 0;
}

/* Label without its "flow=" prefix; NULL when unlabelled. */
static const char *label_of(const import_run *r)
{
    const char *l = import_field(r, B_LABEL);
    if (!l)
        return NULL;
    l += strspn(l, " ");
    if (strncmp(l, "flow=", 5) == 0)
        l += 5;
    return blank(l) ? NULL : l;
}

int import_binetflow_line(import_run *r, char *line, size_t len, c2_err *err)
{
    (void)len;
    if (!r->header_seen)
        return header_line(r, line, err);
    if (import_split_row(r, line) != 0)
        return 0;
    int proto = import_proto(import_field(r, B_PROTO));
    if (proto == -2)
        return import_skipped(r, IMPORT_SKIP_NON_IP);
    if (proto < 0)
        return import_skipped(r, IMPORT_SKIP_UNKNOWN_PROTO);
    import_conn c;
    memset(&c, 0, sizeof c);
    c.proto = (uint8_t)proto;
    if (endpoints(r, &c) != 0 || times(r, &c) != 0 ||
        counters(r, &c) != 0 || tos_and_flags(r, &c) != 0)
        return 0;
    c.label = label_of(r);
    return import_emit(r, &c, err);
}
