/*
 * export.c: the table of export formats, dispatch, and the helpers the
 * format files share (time texts, rows grouped by address).
 *
 * Every format writes to a FILE; the command front points it at a memory
 * stream when the result replaces a file, so a failure never leaves half a
 * file behind.  Grouping by address sorts pointers to the rows, never the
 * list itself: the list is borrowed read-only.
 */
#include <stdlib.h>
#include <string.h>

#include "export/export_impl.h"

static const char *const names[EXPORT_NFORMATS] = {
    [EXPORT_CSV] = "csv",
    [EXPORT_JSONL] = "jsonl",
    [EXPORT_FEODO_CSV] = "feodo-csv",
    [EXPORT_THREATFOX_CSV] = "threatfox-csv",
    [EXPORT_NFTABLES] = "nftables",
    [EXPORT_IPSET] = "ipset",
    [EXPORT_SURICATA_IPREP] = "suricata-iprep",
    [EXPORT_ZEEK_INTEL] = "zeek-intel",
    [EXPORT_STIX21] = "stix21",
    [EXPORT_MISP_FEED] = "misp-feed",
};

static const char *const tlp_names[EXPORT_TLP_N] = {
    "clear", "green", "amber", "amber+strict", "red",
};

int export_tlp_lookup(const char *name)
{
    for (int i = 0; i < EXPORT_TLP_N; i++)
        if (!strcmp(name, tlp_names[i])) return i;
    return -1;
}

const char *export_tlp_name(export_tlp tlp)
{
    return (unsigned)tlp < EXPORT_TLP_N ? tlp_names[tlp] : "?";
}

char *export_row_key(const c2_entry *e, char *buf, size_t len)
{
    char ip[FLOW_ADDR_STRLEN];
    snprintf(buf, len, "%s|%u|%u", flow_addr_format(&e->ip, ip, sizeof ip), e->port, e->proto);
    return buf;
}

int export_format_lookup(const char *name)
{
    for (int i = 0; i < EXPORT_NFORMATS; i++)
        if (!strcmp(name, names[i])) return i;
    return -1;
}

const char *export_format_name(export_format fmt)
{
    return (unsigned)fmt < EXPORT_NFORMATS ? names[fmt] : "?";
}

const char *export_format_names(void)
{
    return "csv, jsonl, feodo-csv, threatfox-csv, nftables, ipset, suricata-iprep, zeek-intel, "
           "stix21, misp-feed";
}

int export_name_check(const char *name, c2_err *err)
{
    size_t n = strlen(name);
    if (n == 0 || n >= EXPORT_NAME_MAX)
        return c2_fail(err, "name '%s' must have 1 to %d characters", name, EXPORT_NAME_MAX - 1);
    for (size_t i = 0; i < n; i++) {
        char c = name[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-'))
            return c2_fail(err, "name '%s' may hold only A-Z a-z 0-9 _ -", name);
    }
    if (name[0] == '-' || (name[0] >= '0' && name[0] <= '9'))
        return c2_fail(err, "name '%s' must start with a letter or _", name);
    return 0;
}

const char *export_opt_name(const export_options *opt)
{
    return opt && opt->name ? opt->name : "c2flow";
}

const char *export_time_space(int64_t ms, char *buf, size_t len)
{
    if (!ms) return "";
    int64_t days = ms / C2_MS_PER_DAY, rest = (ms % C2_MS_PER_DAY) / 1000;
    int y, m, d;
    c2_civil_from_days(days, &y, &m, &d);
    snprintf(buf, len, "%04d-%02d-%02d %02d:%02d:%02d", y, m, d, (int)(rest / 3600),
             (int)(rest / 60 % 60), (int)(rest % 60));
    return buf;
}

const char *export_date(int64_t ms, char *buf, size_t len)
{
    if (!ms) return "";
    int y, m, d;
    c2_civil_from_days(ms / C2_MS_PER_DAY, &y, &m, &d);
    snprintf(buf, len, "%04d-%02d-%02d", y, m, d);
    return buf;
}

const char *export_ip(const c2_entry *e, char *buf, size_t len)
{
    return flow_addr_format(&e->ip, buf, len);
}

int64_t export_list_time(const c2list *l)
{
    int64_t t = 0;
    for (size_t i = 0; i < c2list_count(l); i++) {
        const c2_entry *e = c2list_get(l, i);
        if (e->first_seen > t) t = e->first_seen;
        if (e->last_seen > t) t = e->last_seen;
    }
    return t ? t : c2_days_from_civil(2026, 1, 1) * C2_MS_PER_DAY;
}

static int row_cmp(const void *a, const void *b)
{
    const c2_entry *x = *(const c2_entry *const *)a, *y = *(const c2_entry *const *)b;
    int c = flow_addr_cmp(&x->ip, &y->ip);
    if (c) return c;
    if (x->port != y->port) return x->port < y->port ? -1 : 1;
    return x->proto < y->proto ? -1 : x->proto > y->proto;
}

int export_group_by_addr(const c2list *l, const c2_entry ***rows, size_t *n_rows,
                         export_addr **addrs, size_t *n_addrs, c2_err *err)
{
    size_t n = c2list_count(l);
    const c2_entry **r = malloc((n ? n : 1) * sizeof *r);
    export_addr *a = malloc((n ? n : 1) * sizeof *a);
    if (!r || !a) {
        free(r);
        free(a);
        return c2_fail(err, "out of memory");
    }
    for (size_t i = 0; i < n; i++) r[i] = c2list_get(l, i);
    qsort(r, n, sizeof *r, row_cmp);
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (k == 0 || flow_addr_cmp(&a[k - 1].ip, &r[i]->ip) != 0)
            a[k++] = (export_addr){.ip = r[i]->ip, .first = i, .n = 0, .score = 0};
        export_addr *cur = &a[k - 1];
        cur->n++;
        if (r[i]->score > cur->score) cur->score = r[i]->score;
    }
    *rows = r;
    *n_rows = n;
    *addrs = a;
    *n_addrs = k;
    return 0;
}

int export_write(const c2list *l, export_format fmt, const export_options *opt,
                 FILE *f, c2_err *err)
{
    if (opt && opt->name && export_name_check(opt->name, err) != 0) return -1;
    int rc;
    switch (fmt) {
    case EXPORT_CSV: return c2list_write(l, f, C2LIST_CSV, err);
    case EXPORT_JSONL: return c2list_write(l, f, C2LIST_JSONL, err);
    case EXPORT_FEODO_CSV: rc = export_feodo(l, f, err); break;
    case EXPORT_THREATFOX_CSV: rc = export_threatfox(l, f, err); break;
    case EXPORT_NFTABLES: rc = export_nftables(l, opt, f, err); break;
    case EXPORT_IPSET: rc = export_ipset(l, opt, f, err); break;
    case EXPORT_SURICATA_IPREP: rc = export_iprep(l, opt, f, err); break;
    case EXPORT_ZEEK_INTEL: rc = export_zeek(l, opt, f, err); break;
    case EXPORT_STIX21: rc = export_stix(l, opt, f, err); break;
    case EXPORT_MISP_FEED: rc = export_misp_event(l, opt, f, err); break;
    default: return c2_fail(err, "unknown export format %d", (int)fmt);
    }
    if (rc != 0) return -1;
    if (fflush(f) != 0 || ferror(f)) return c2_fail_errno(err, "write");
    return 0;
}
