/*
 * nfdump_csv: the output of `nfdump -o csv` (1.6 and 1.7).
 *
 * The first line names the columns (ts,te,td,sa,da,sp,dp,pr,flg,...), found
 * by name.  The data ends at nfdump's trailer ("Summary" and the lines
 * after it, or "No matching flows"), counted as skipped.  Times are taken
 * as UTC: nfdump prints local time, so c2flow runs it with TZ=UTC, and a
 * CSV made elsewhere should be made the same way.
 *
 * nfdump 1.7 prints ts to the second only; the duration td keeps the
 * milliseconds, so end = start + td (te only when there is no td).  The
 * nfdump runner asks instead for IMPORT_NFDUMP_FMT, which prints ts with
 * milliseconds; its title line is not CSV, so after it lines are read by
 * that format's names, each field stripped of its padding.  A record
 * with output counters (opkt/obyt, NSEL and other biflows) also gives a
 * reverse record, with interfaces and AS numbers swapped, the same flags
 * (nfdump has one flags field per biflow) and dtos as its tos.  eng is
 * "engine type/engine id"; the id becomes the record's domain.  ICMP's dp
 * is type<<8|code already, or "type.code" in some outputs.
 */
#include <string.h>

#include "import/import_impl.h"

enum {
    N_TS, N_TE, N_TD, N_SA, N_DA, N_SP, N_DP, N_PR, N_FLG, N_STOS, N_DTOS,
    N_IPKT, N_IBYT, N_OPKT, N_OBYT, N_IN, N_OUT, N_SAS, N_DAS, N_RA, N_ENG,
    N_NCOLS
};
static const import_colspec nfcsv_cols[N_NCOLS] = {
    [N_TS] = {"ts", 1}, [N_TE] = {"te", 0}, [N_TD] = {"td", 0},
    [N_SA] = {"sa", 1}, [N_DA] = {"da", 1}, [N_SP] = {"sp", 1},
    [N_DP] = {"dp", 1}, [N_PR] = {"pr", 1}, [N_FLG] = {"flg", 0},
    [N_STOS] = {"stos", 0}, [N_DTOS] = {"dtos", 0}, [N_IPKT] = {"ipkt", 1},
    [N_IBYT] = {"ibyt", 1}, [N_OPKT] = {"opkt", 0}, [N_OBYT] = {"obyt", 0},
    [N_IN] = {"in", 0}, [N_OUT] = {"out", 0}, [N_SAS] = {"sas", 0},
    [N_DAS] = {"das", 0}, [N_RA] = {"ra", 0}, [N_ENG] = {"eng", 0},
};

/* Optional numeric column: absent = 0.  0 ok, -1 malformed. */
static int opt_u64(const import_run *r, int c, uint64_t max, uint64_t *out)
{
    const char *v = import_field(r, c);
    *out = 0;
    if (!v)
        return 0;
    return import_u64(v, out) == 0 && *out <= max ? 0 : -1;
}

/* "......S." (CEUAPRSF), the older ".A..S." (UAPRSF), or a number. */
static int parse_flags(const char *s, uint8_t *out)
{
    size_t n = strlen(s);
    uint64_t v;
    *out = 0;
    if (n == 8 || n == 6) {
        int letters = 1;
        uint8_t f = 0;
        for (size_t i = 0; i < n; i++) {
            if (s[i] == '.')
                continue;
            if (s[i] < 'A' || s[i] > 'Z')
                letters = 0;
            f |= (uint8_t)(1u << (n - 1 - i));
        }
        if (letters) {
            *out = f;
            return 0;
        }
    }
    if (import_u64(s, &v) != 0 || v > 255)
        return -1;
    *out = (uint8_t)v;
    return 0;
}

/* ICMP dp: "2048" or "8.0" -> type<<8|code. */
static int icmp_dport(const char *s, uint16_t *out)
{
    const char *dot = strchr(s, '.');
    uint64_t t, c;
    char tmp[8];
    if (!dot)
        return import_port(s, out);
    size_t n = (size_t)(dot - s);
    if (n == 0 || n >= sizeof tmp)
        return -1;
    memcpy(tmp, s, n);
    tmp[n] = '\0';
    if (import_u64(tmp, &t) != 0 || import_u64(dot + 1, &c) != 0 ||
        t > 255 || c > 255)
        return -1;
    *out = (uint16_t)(t << 8 | c);
    return 0;
}

static int endpoints(import_run *r, import_conn *c)
{
    const char *dp = import_field(r, N_DP);
    int icmp = c->proto == 1 || c->proto == 58;
    if (flow_addr_parse(import_field(r, N_SA), &c->orig) != 0 ||
        flow_addr_parse(import_field(r, N_DA), &c->resp) != 0)
        return import_bad(r, "bad address in sa or da"), -1;
    if (import_port(import_field(r, N_SP), &c->orig_port) != 0 ||
        (icmp ? icmp_dport(dp, &c->resp_port)
              : import_port(dp, &c->resp_port)) != 0)
        return import_bad(r, "bad port in sp or dp '%.16s'", dp), -1;
    if (icmp)
        c->orig_port = 0;
    return 0;
}

static int times(import_run *r, import_conn *c)
{
    const char *ts = import_field(r, N_TS), *td = import_field(r, N_TD);
    const char *te = import_field(r, N_TE);
    int64_t d = 0;
    if (import_datetime_ms(ts, &c->start_ms) != 0)
        return import_bad(r, "bad ts '%.32s'", ts), -1;
    c->end_ms = c->start_ms;
    if (td) {
        if (import_seconds_ms(td, &d) != 0)
            return import_bad(r, "bad td '%.32s'", td), -1;
        c->end_ms = c->start_ms + d;
    } else if (te) {
        if (import_datetime_ms(te, &c->end_ms) != 0 ||
            c->end_ms < c->start_ms)
            return import_bad(r, "bad te '%.32s'", te), -1;
    }
    return 0;
}

static int counters(import_run *r, import_conn *c)
{
    uint64_t stos, dtos, in, out, sas, das;
    if (import_u64(import_field(r, N_IPKT), &c->fwd_pkts) != 0 ||
        import_u64(import_field(r, N_IBYT), &c->fwd_bytes) != 0 ||
        opt_u64(r, N_OPKT, UINT64_MAX, &c->rev_pkts) != 0 ||
        opt_u64(r, N_OBYT, UINT64_MAX, &c->rev_bytes) != 0)
        return import_bad(r, "bad packet or byte count"), -1;
    if (opt_u64(r, N_STOS, 255, &stos) || opt_u64(r, N_DTOS, 255, &dtos) ||
        opt_u64(r, N_IN, UINT32_MAX, &in) ||
        opt_u64(r, N_OUT, UINT32_MAX, &out) ||
        opt_u64(r, N_SAS, UINT32_MAX, &sas) ||
        opt_u64(r, N_DAS, UINT32_MAX, &das))
        return import_bad(r, "bad tos, interface or AS number"), -1;
    c->fwd_tos = (uint8_t)stos;
    c->rev_tos = (uint8_t)dtos;
    c->in_if = (uint32_t)in;
    c->out_if = (uint32_t)out;
    c->src_as = (uint32_t)sas;
    c->dst_as = (uint32_t)das;
    return 0;
}

/* Flags, exporter (ra) and engine id (eng "type/id"). */
static int router_fields(import_run *r, import_conn *c)
{
    const char *flg = import_field(r, N_FLG), *ra = import_field(r, N_RA);
    const char *eng = import_field(r, N_ENG);
    static const flow_addr zero;
    flow_addr v4zero;
    uint64_t id;
    if (flg && parse_flags(flg, &c->fwd_flags) != 0)
        return import_bad(r, "bad flg '%.16s'", flg), -1;
    if (c->proto != 6)
        c->fwd_flags = 0;
    c->rev_flags = c->fwd_flags;
    if (ra && flow_addr_parse(ra, &c->exporter) != 0)
        return import_bad(r, "bad ra '%.46s'", ra), -1;
    flow_addr_from_v4(&v4zero, 0);
    if (flow_addr_cmp(&c->exporter, &v4zero) == 0)
        c->exporter = zero;         /* 0.0.0.0 = not exported */
    if (eng) {
        const char *slash = strchr(eng, '/');
        if (!slash || import_u64(slash + 1, &id) != 0 || id > UINT32_MAX)
            return import_bad(r, "bad eng '%.16s'", eng), -1;
        c->domain = (uint32_t)id;
    }
    return 0;
}

static int is_trailer_start(const char *line)
{
    return strcmp(line, "Summary") == 0 || strncmp(line, "Summary: ", 9) == 0 ||
           strncmp(line, "No matching flows", 17) == 0;
}

/* The header: nfdump's own CSV names, or for IMPORT_NFDUMP_FMT's title
 * line the names of that format. */
static int header(import_run *r, char *line, c2_err *err)
{
    char names[sizeof IMPORT_NFDUMP_FMT];
    if (strncmp(line, IMPORT_NFDUMP_FMT_TITLE, strlen(IMPORT_NFDUMP_FMT_TITLE)) == 0) {
        size_t n = 0;
        for (const char *p = &IMPORT_NFDUMP_FMT[4]; *p; p++)
            if (*p != '%') names[n++] = *p;
        names[n] = '\0';
        line = names;
        r->padded = 1;
    }
    if (import_split(r, line) != 0)
        return c2_fail(err, "line %llu: more than %d columns",
                       (unsigned long long)r->lineno, IMPORT_MAX_FIELDS);
    return import_map_columns(r, r->f, r->nf, nfcsv_cols, N_NCOLS, err);
}

/* Strip the blanks nfdump pads fmt fields with. */
static void unpad(import_run *r)
{
    for (size_t i = 0; i < r->nf; i++) r->f[i] = import_strip(r->f[i]);
}

int import_nfcsv_line(import_run *r, char *line, size_t len, c2_err *err)
{
    (void)len;
    if (!r->header_seen) {
        import_skipped(r, IMPORT_SKIP_HEADER);
        return header(r, line, err);
    }
    if (r->trailer || is_trailer_start(line)) {
        r->trailer = 1;
        return import_skipped(r, IMPORT_SKIP_TRAILER);
    }
    if (import_split_row(r, line) != 0)
        return 0;
    if (r->padded) unpad(r);
    int proto = import_proto(import_field(r, N_PR));
    if (proto < 0)
        return import_skipped(r, IMPORT_SKIP_UNKNOWN_PROTO);
    import_conn c;
    memset(&c, 0, sizeof c);
    c.proto = (uint8_t)proto;
    if (endpoints(r, &c) != 0 || times(r, &c) != 0 ||
        counters(r, &c) != 0 || router_fields(r, &c) != 0)
        return 0;
    return import_emit(r, &c, err);
}
