/*
 * feeds.c: the threat-intelligence formats: abuse.ch Feodo Tracker and
 * ThreatFox CSV, Suricata IP reputation, Zeek Intel (docs/export.md).
 *
 * Feodo Tracker and ThreatFox files must read back through src/intel/ as
 * the same servers, so they follow the columns docs/intel.md documents and
 * quote every field as abuse.ch does.  Neither has a protocol column: the
 * protocol is lost (intel entries then match any protocol).  The malware
 * columns hold the row's category (Feodo's malware, ThreatFox's fk_malware
 * and malware_printable: we have no Malpedia id, so the name goes in
 * both); a row without one has an empty Feodo malware and ThreatFox's own
 * words for an unnamed family ("unknown", "Unknown malware"), which the
 * import reads back as no category.  Categories hold no comma or quote,
 * so they need no escaping.  ThreatFox's ip:port IOCs always have a port:
 * rows of port 0 become comments.
 *
 * Suricata reputation and Zeek Intel::ADDR are keyed by address alone, so
 * the rows of one address become one line (highest score; Zeek lists the
 * ports in meta.desc).  Suricata's list loses the port entirely.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "export/export_impl.h"

/* ---- Feodo Tracker ---- */

/* The UTC day of the newest last_seen in the list, -1 if none is known:
 * rows last seen that day are "online" (still up when the list was made). */
static int64_t newest_day(const c2list *l)
{
    int64_t best = -1;
    for (size_t i = 0; i < c2list_count(l); i++) {
        const c2_entry *e = c2list_get(l, i);
        if (e->last_seen && e->last_seen / C2_MS_PER_DAY > best) best = e->last_seen / C2_MS_PER_DAY;
    }
    return best;
}

int export_feodo(const c2list *l, FILE *f, c2_err *err)
{
    (void)err;
    fputs("################################################################\n"
          "# c2flow C2 list in abuse.ch Feodo Tracker's blocklist columns #\n"
          "# malware = the malware family when known; no protocol column  #\n"
          "################################################################\n"
          "#\n"
          "\"first_seen_utc\",\"dst_ip\",\"dst_port\",\"c2_status\",\"last_online\",\"malware\"\n",
          f);
    int64_t day = newest_day(l);
    for (size_t i = 0; i < c2list_count(l); i++) {
        const c2_entry *e = c2list_get(l, i);
        char ip[FLOW_ADDR_STRLEN], first[32], last[16];
        int online = e->last_seen && e->last_seen / C2_MS_PER_DAY == day;
        fprintf(f, "\"%s\",\"%s\",\"%u\",\"%s\",\"%s\",\"%s\"\n",
                export_time_space(e->first_seen, first, sizeof first),
                export_ip(e, ip, sizeof ip), e->port, online ? "online" : "offline",
                export_date(e->last_seen, last, sizeof last), e->category);
    }
    return 0;
}

/* ---- ThreatFox ---- */

int export_threatfox(const c2list *l, FILE *f, c2_err *err)
{
    (void)err;
    fputs("################################################################\n"
          "# c2flow C2 list in abuse.ch ThreatFox's CSV export columns    #\n"
          "# ioc_type ip:port only; no protocol column                    #\n"
          "################################################################\n"
          "#\n"
          "# \"first_seen_utc\",\"ioc_id\",\"ioc_value\",\"ioc_type\",\"threat_type\","
          "\"fk_malware\",\"malware_alias\",\"malware_printable\",\"last_seen_utc\","
          "\"confidence_level\",\"reference\",\"tags\",\"anonymous\",\"reporter\"\n",
          f);
    for (size_t i = 0; i < c2list_count(l); i++) {
        const c2_entry *e = c2list_get(l, i);
        char ip[FLOW_ADDR_STRLEN], first[32], last[32];
        if (e->port == 0) {             /* an ip:port IOC has a port */
            fprintf(f, "# left out: %s port 0\n", export_ip(e, ip, sizeof ip));
            continue;
        }
        int v6 = !flow_addr_is_v4(&e->ip);
        const char *fam = e->category[0] ? e->category : NULL;
        fprintf(f, "\"%s\", \"\", \"%s%s%s:%u\", \"ip:port\", \"botnet_cc\", \"%s\", \"\", "
                   "\"%s\", \"%s\", \"%d\", \"\", \"c2flow%s%s\", \"0\", \"c2flow\"\n",
                export_time_space(e->first_seen, first, sizeof first), v6 ? "[" : "",
                export_ip(e, ip, sizeof ip), v6 ? "]" : "", e->port,
                fam ? fam : EXPORT_THREATFOX_UNKNOWN_ID, fam ? fam : EXPORT_THREATFOX_UNKNOWN,
                export_time_space(e->last_seen, last, sizeof last), (int)lround(e->score),
                e->method[0] ? "," : "", e->method);
    }
    return 0;
}

/* ---- Suricata IP reputation ---- */

int export_iprep_categories(const export_options *opt, FILE *f, c2_err *err)
{
    if (opt && opt->name && export_name_check(opt->name, err) != 0) return -1;
    fprintf(f, "1,%s,C2 servers found by c2flow\n", export_opt_name(opt));
    if (fflush(f) != 0 || ferror(f)) return c2_fail_errno(err, "write");
    return 0;
}

int export_iprep(const c2list *l, const export_options *opt, FILE *f, c2_err *err)
{
    (void)opt;
    const c2_entry **rows;
    export_addr *addrs;
    size_t n_rows, n_addrs;
    if (export_group_by_addr(l, &rows, &n_rows, &addrs, &n_addrs, err) != 0) return -1;
    for (size_t i = 0; i < n_addrs; i++) {
        char ip[FLOW_ADDR_STRLEN];
        /* Suricata's scores run 0-127; ours 0-100 */
        fprintf(f, "%s,1,%ld\n", flow_addr_format(&addrs[i].ip, ip, sizeof ip),
                lround(addrs[i].score * 127.0 / 100.0));
    }
    free(rows);
    free(addrs);
    return 0;
}

/* ---- Zeek Intel ---- */

int export_zeek(const c2list *l, const export_options *opt, FILE *f, c2_err *err)
{
    const c2_entry **rows;
    export_addr *addrs;
    size_t n_rows, n_addrs;
    if (export_group_by_addr(l, &rows, &n_rows, &addrs, &n_addrs, err) != 0) return -1;
    fputs("#fields\tindicator\tindicator_type\tmeta.source\tmeta.desc\n", f);
    for (size_t i = 0; i < n_addrs; i++) {
        const export_addr *a = &addrs[i];
        char ip[FLOW_ADDR_STRLEN], proto[16], t[40], score[16];
        int64_t first = 0, last = 0;
        fprintf(f, "%s\tIntel::ADDR\t%s\tC2 server, ports", flow_addr_format(&a->ip, ip, sizeof ip),
                export_opt_name(opt));
        for (size_t j = a->first; j < a->first + a->n; j++) {
            const c2_entry *e = rows[j];
            fprintf(f, "%s%s/%u", j == a->first ? " " : ",",
                    c2list_proto_format(e->proto, proto, sizeof proto), e->port);
            if (e->first_seen && (!first || e->first_seen < first)) first = e->first_seen;
            if (e->last_seen > last) last = e->last_seen;
        }
        snprintf(score, sizeof score, "%.1f", a->score);
        if (!strcmp(strchr(score, '.'), ".0")) *strchr(score, '.') = '\0';
        fprintf(f, "; score %s", score);
        if (first) fprintf(f, "; first seen %s", c2list_time_format(first, t, sizeof t));
        if (last) fprintf(f, "; last seen %s", c2list_time_format(last, t, sizeof t));
        fputc('\n', f);
    }
    free(rows);
    free(addrs);
    return 0;
}
