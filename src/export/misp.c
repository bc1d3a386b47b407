/*
 * misp.c: the list as a MISP feed (docs/export.md): the directory a MISP
 * instance subscribes to as a "MISP feed", holding manifest.json (the
 * events and their timestamps), one event file UUID.json, and hashes.csv
 * (MD5 of every attribute value, with the event uuid, for MISP's feed
 * correlation).  The layout is the one PyMISP's feed generator writes.
 *
 * One event per list.  Its uuid is the version 5 UUID of the identity and
 * --name, so the next export of the same source is the same event with a
 * newer timestamp, which MISP fetches as an update.  Each row is an
 * attribute of type ip-dst|port, value "IP|PORT", category Network
 * activity, to_ids, with first and last seen and a comment giving the
 * row's evidence and category; its uuid follows from the event and the
 * row key.  Times come from the list, never from the clock.
 * JSON numbers are strings in the event, as MISP writes them; the manifest
 * has integers, as PyMISP writes it.
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "export/export_impl.h"

static const struct { const char *tag, *colour; } tlp_tags[EXPORT_TLP_N] = {
    [EXPORT_TLP_CLEAR] = {"tlp:clear", "#ffffff"},
    [EXPORT_TLP_GREEN] = {"tlp:green", "#33ff00"},
    [EXPORT_TLP_AMBER] = {"tlp:amber", "#ffc000"},
    [EXPORT_TLP_AMBER_STRICT] = {"tlp:amber+strict", "#ffc000"},
    [EXPORT_TLP_RED] = {"tlp:red", "#ff2b2b"},
};

static const char *who(const export_options *opt)
{
    return opt && opt->identity ? opt->identity : "c2flow";
}

char *export_misp_event_uuid(const export_options *opt, char *buf, size_t len)
{
    char name[400];
    snprintf(name, sizeof name, "misp-event|%s|%s", who(opt), export_opt_name(opt));
    return export_uuid5(name, buf, len);
}

static int check_opt(const export_options *opt, c2_err *err)
{
    if (opt && (unsigned)opt->tlp >= EXPORT_TLP_N) return c2_fail(err, "bad TLP level");
    if (!*who(opt) || strlen(who(opt)) > 256) return c2_fail(err, "identity name: 1 to 256 characters");
    return 0;
}

/* What the manifest and the event share. */
typedef struct event_head {
    char     uuid[40], org_uuid[40], info[400], date[16];
    int64_t  ts;                        /* seconds */
    export_tlp tlp;
} event_head;

static void head(const c2list *l, const export_options *opt, event_head *h)
{
    char name[300];
    export_misp_event_uuid(opt, h->uuid, sizeof h->uuid);
    snprintf(name, sizeof name, "misp-org|%s", who(opt));
    export_uuid5(name, h->org_uuid, sizeof h->org_uuid);
    snprintf(h->info, sizeof h->info, "C2 servers found by c2flow in %s's flow records (%s)",
             who(opt), export_opt_name(opt));
    int64_t t = export_list_time(l);
    h->ts = t / 1000;
    export_date(t, h->date, sizeof h->date);
    h->tlp = opt ? opt->tlp : EXPORT_TLP_CLEAR;
}

static json_t *tags(const event_head *h)
{
    return json_pack("[{s:s, s:s}]", "colour", tlp_tags[h->tlp].colour, "name", tlp_tags[h->tlp].tag);
}

static int dump(json_t *o, FILE *f, size_t flags, c2_err *err)
{
    if (!o) return c2_fail(err, "out of memory");
    int rc = json_dumpf(o, f, flags);
    json_decref(o);
    fputc('\n', f);
    return rc == 0 ? 0 : c2_fail(err, "cannot write MISP JSON");
}

int export_misp_manifest(const c2list *l, const export_options *opt, FILE *f, c2_err *err)
{
    if (check_opt(opt, err) != 0) return -1;
    event_head h;
    head(l, opt, &h);
    json_t *m = json_pack("{s:{s:{s:s, s:s}, s:o, s:s, s:s, s:i, s:i, s:I}}", h.uuid,
                          "Orgc", "name", who(opt), "uuid", h.org_uuid, "Tag", tags(&h),
                          "info", h.info, "date", h.date, "analysis", 2, "threat_level_id", 2,
                          "timestamp", (json_int_t)h.ts);
    if (dump(m, f, JSON_INDENT(2), err) != 0) return -1;
    if (fflush(f) != 0 || ferror(f)) return c2_fail_errno(err, "write");
    return 0;
}

int export_misp_hashes(const c2list *l, const export_options *opt, FILE *f, c2_err *err)
{
    if (check_opt(opt, err) != 0) return -1;
    char uuid[40], ip[FLOW_ADDR_STRLEN], port[8], md5[40];
    export_misp_event_uuid(opt, uuid, sizeof uuid);
    /* PyMISP hashes the two halves of a composite "a|b" value apart */
    for (size_t i = 0; i < c2list_count(l); i++) {
        const c2_entry *e = c2list_get(l, i);
        export_ip(e, ip, sizeof ip);
        snprintf(port, sizeof port, "%u", e->port);
        fprintf(f, "%s,%s\n", export_md5_hex(ip, strlen(ip), md5, sizeof md5), uuid);
        fprintf(f, "%s,%s\n", export_md5_hex(port, strlen(port), md5, sizeof md5), uuid);
    }
    if (fflush(f) != 0 || ferror(f)) return c2_fail_errno(err, "write");
    return 0;
}

static json_t *attribute(const c2_entry *e, const event_head *h, int64_t fallback)
{
    char key[96], name[160], uuid[40], ip[FLOW_ADDR_STRLEN], value[80], proto[16], ts[24],
         comment[256], t[40];
    export_row_key(e, key, sizeof key);
    snprintf(name, sizeof name, "misp-attribute|%s|%s", h->uuid, key);
    export_uuid5(name, uuid, sizeof uuid);
    snprintf(value, sizeof value, "%s|%u", export_ip(e, ip, sizeof ip), e->port);
    int64_t when = e->last_seen ? e->last_seen : e->first_seen ? e->first_seen : fallback;
    snprintf(ts, sizeof ts, "%lld", (long long)(when / 1000));
    char score[16];
    snprintf(score, sizeof score, "%.1f", e->score);
    if (!strcmp(strchr(score, '.'), ".0")) *strchr(score, '.') = '\0';
    snprintf(comment, sizeof comment, "C2 server, %s; score %s; method %s; %u clients seen, "
             "%u judged infected%s%s", c2list_proto_format(e->proto, proto, sizeof proto), score,
             e->method[0] ? e->method : "unknown", e->clients, e->infected_clients,
             e->category[0] ? "; malware " : "", e->category);
    json_t *a = json_pack("{s:s, s:s, s:s, s:b, s:s, s:s, s:s, s:b}", "uuid", uuid,
                          "type", "ip-dst|port", "category", "Network activity", "to_ids", 1,
                          "value", value, "timestamp", ts, "comment", comment,
                          "disable_correlation", 0);
    if (!a) return NULL;
    if (e->first_seen)
        json_object_set_new(a, "first_seen", json_string(c2_time_format(e->first_seen, t, sizeof t)));
    if (e->last_seen)
        json_object_set_new(a, "last_seen", json_string(c2_time_format(e->last_seen, t, sizeof t)));
    return a;
}

int export_misp_event(const c2list *l, const export_options *opt, FILE *f, c2_err *err)
{
    if (check_opt(opt, err) != 0) return -1;
    event_head h;
    head(l, opt, &h);
    char ts[24];
    snprintf(ts, sizeof ts, "%lld", (long long)h.ts);
    json_t *attrs = json_array();
    if (!attrs) return c2_fail(err, "out of memory");
    int64_t fallback = export_list_time(l);
    for (size_t i = 0; i < c2list_count(l); i++) {
        json_t *a = attribute(c2list_get(l, i), &h, fallback);
        if (!a || json_array_append_new(attrs, a) != 0) {
            json_decref(attrs);
            return c2_fail(err, "out of memory");
        }
    }
    json_t *ev = json_pack("{s:{s:s, s:s, s:s, s:s, s:s, s:s, s:b, s:s, s:{s:s, s:s}, s:o, s:o}}",
                           "Event", "uuid", h.uuid, "info", h.info, "date", h.date,
                           "analysis", "2", "threat_level_id", "2", "timestamp", ts,
                           "published", 1, "publish_timestamp", ts,
                           "Orgc", "name", who(opt), "uuid", h.org_uuid,
                           "Tag", tags(&h), "Attribute", attrs);
    return dump(ev, f, JSON_INDENT(2), err);
}
