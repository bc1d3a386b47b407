/*
 * stix.c: the list as a STIX 2.1 bundle (docs/export.md).
 *
 * Objects, in this order: the ISP's identity (created_by_ref of the rest),
 * the TLP 2.0 marking definition chosen (OASIS's published object, with its
 * official id, so that consumers recognise it), one malware object (a
 * family, malware_types "bot": what talks to a C2 server) per distinct
 * category of the list in name order, then per row an indicator whose
 * pattern names the destination address, port and protocol, a summary
 * sighting of it (first and last seen, count = distinct clients seen,
 * where_sighted_refs = the identity) and, for a row with a category, the
 * relationship indicator --indicates--> malware.  Every object carries the
 * marking in object_marking_refs.
 *
 * Determinism: ids are version 5 UUIDs of the row key (indicator, sighting;
 * relationship: with the category), of the identity's name, or of the
 * identity and the category (malware); times come from the rows (created =
 * first seen, modified = last seen), never from the clock, except for the
 * identity and malware objects, which depend on their names only and so
 * have one fixed time and one version; the bundle id is derived
 * from the objects' text.  The same list gives the same bundle, and a row
 * seen again later gives the same indicator id with a newer modified: a new
 * version of the same object, as STIX versioning wants.
 *
 * Rows without a category indicate no malware object: none is made up.
 */
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "export/export_impl.h"

#define TLP_EXTENSION "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d"
#define TLP_CREATED "2022-10-01T00:00:00.000Z"
/* identity and malware objects depend only on names: one fixed time, one
 * version */
#define NAMED_CREATED "2026-01-01T00:00:00.000Z"

/* The TLP 2.0 marking definitions of OASIS's cti-stix-common-objects
 * (extension-definition-specifications/tlp-2.0). */
static const struct { const char *id, *name; } tlp_defs[EXPORT_TLP_N] = {
    [EXPORT_TLP_CLEAR] = {"marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487", "TLP:CLEAR"},
    [EXPORT_TLP_GREEN] = {"marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb", "TLP:GREEN"},
    [EXPORT_TLP_AMBER] = {"marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421", "TLP:AMBER"},
    [EXPORT_TLP_AMBER_STRICT] = {"marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003",
                                 "TLP:AMBER+STRICT"},
    [EXPORT_TLP_RED] = {"marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1", "TLP:RED"},
};

static json_t *ts(int64_t ms)
{
    char buf[40];
    return json_string(c2_time_format(ms, buf, sizeof buf));
}

static char *make_id(const char *type, const char *name, char *buf, size_t len)
{
    char u[40];
    snprintf(buf, len, "%s--%s", type, export_uuid5(name, u, sizeof u));
    return buf;
}

static json_t *marking_refs(export_tlp tlp)
{
    return json_pack("[s]", tlp_defs[tlp].id);
}

static json_t *marking_object(export_tlp tlp)
{
    return json_pack("{s:s, s:s, s:s, s:s, s:s, s:{s:{s:s, s:s}}}",
                     "type", "marking-definition", "spec_version", "2.1",
                     "id", tlp_defs[tlp].id, "created", TLP_CREATED, "name", tlp_defs[tlp].name,
                     "extensions", TLP_EXTENSION, "extension_type", "property-extension",
                     "tlp_2_0", export_tlp_name(tlp));
}

static void pattern(const c2_entry *e, char *buf, size_t len)
{
    char ip[FLOW_ADDR_STRLEN], proto[16], pr[64] = "", port[48] = "";
    int v4 = flow_addr_is_v4(&e->ip);
    c2list_proto_format(e->proto, proto, sizeof proto);
    if (e->port)                                /* port 0: a protocol without ports */
        snprintf(port, sizeof port, " AND network-traffic:dst_port = %u", e->port);
    if (proto[0] < '0' || proto[0] > '9')      /* a name: STIX protocols are names */
        snprintf(pr, sizeof pr, " AND network-traffic:protocols[*] = '%s'", proto);
    snprintf(buf, len,
             "[network-traffic:dst_ref.type = '%s' AND network-traffic:dst_ref.value = '%s'%s%s]",
             v4 ? "ipv4-addr" : "ipv6-addr", flow_addr_format(&e->ip, ip, sizeof ip), port, pr);
}

static char *malware_id(const char *identity, const char *category, char *buf, size_t len)
{
    char name[160];
    snprintf(name, sizeof name, "malware|%s|%s", identity, category);
    return make_id("malware", name, buf, len);
}

static json_t *malware_object(const char *category, const char *identity, export_tlp tlp)
{
    char id[80];
    return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:b, s:[s], s:o}",
                     "type", "malware", "spec_version", "2.1",
                     "id", malware_id(identity, category, id, sizeof id),
                     "created", NAMED_CREATED, "modified", NAMED_CREATED,
                     "created_by_ref", identity, "name", category, "is_family", 1,
                     "malware_types", "bot", "object_marking_refs", marking_refs(tlp));
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* One malware object per distinct category of the list, in name order. */
static int malware_objects(const c2list *l, const char *identity, export_tlp tlp, json_t *objs)
{
    size_t n = 0;
    const char **names = malloc((c2list_count(l) + 1) * sizeof *names);
    if (!names) return -1;
    for (size_t i = 0; i < c2list_count(l); i++)
        if (c2list_get(l, i)->category[0]) names[n++] = c2list_get(l, i)->category;
    qsort(names, n, sizeof *names, by_name);
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < n; i++)
        if (i == 0 || strcmp(names[i - 1], names[i]) != 0)
            rc = json_array_append_new(objs, malware_object(names[i], identity, tlp));
    free(names);
    return rc;
}

/* indicator --indicates--> the malware of the row's category. */
static int relationship(const c2_entry *e, const char *key, const char *iid, const char *identity,
                        int64_t created, int64_t modified, const export_options *opt,
                        json_t *objs)
{
    char rid[80], mid[80], name[160];
    snprintf(name, sizeof name, "relationship|indicates|%s|%s", key, e->category);
    make_id("relationship", name, rid, sizeof rid);
    json_t *r = json_pack("{s:s, s:s, s:s, s:o, s:o, s:s, s:s, s:s, s:s, s:o}",
                          "type", "relationship", "spec_version", "2.1", "id", rid,
                          "created", ts(created), "modified", ts(modified),
                          "created_by_ref", identity, "relationship_type", "indicates",
                          "source_ref", iid,
                          "target_ref", malware_id(identity, e->category, mid, sizeof mid),
                          "object_marking_refs", marking_refs(opt->tlp));
    return json_array_append_new(objs, r);
}

/* The indicator and the sighting of one row, and its relationship to a
 * malware object, appended to objs. */
static int row_objects(const c2_entry *e, const export_options *opt, const char *identity,
                       int64_t fallback, json_t *objs)
{
    char key[96], iid[80], sid[80], name[160], pat[256], desc[256], ip[FLOW_ADDR_STRLEN],
         proto[16], idname[128];
    export_row_key(e, key, sizeof key);
    snprintf(idname, sizeof idname, "indicator|%s", key);
    make_id("indicator", idname, iid, sizeof iid);
    snprintf(idname, sizeof idname, "sighting|%s", key);
    make_id("sighting", idname, sid, sizeof sid);
    int v4 = flow_addr_is_v4(&e->ip);
    snprintf(name, sizeof name, "C2 server %s%s%s:%u/%s", v4 ? "" : "[",
             flow_addr_format(&e->ip, ip, sizeof ip), v4 ? "" : "]", e->port,
             c2list_proto_format(e->proto, proto, sizeof proto));
    pattern(e, pat, sizeof pat);
    snprintf(desc, sizeof desc, "Found in sampled flow records by c2flow (method %s): "
             "%u clients seen, %u judged infected, on %u days.",
             e->method[0] ? e->method : "unknown", e->clients, e->infected_clients, e->days_seen);
    /* a row without a first seen time counts from its last, else from the
     * list's newest time: valid_until (last seen + days) stays after it */
    int64_t created = e->first_seen ? e->first_seen : e->last_seen ? e->last_seen : fallback;
    int64_t modified = e->last_seen > created ? e->last_seen : created;
    long conf = lround(e->score);
    json_t *ind = json_pack("{s:s, s:s, s:s, s:o, s:o, s:s, s:s, s:s, s:[s], s:s, s:s, s:s, "
                            "s:o, s:i, s:o}",
                            "type", "indicator", "spec_version", "2.1", "id", iid,
                            "created", ts(created), "modified", ts(modified),
                            "created_by_ref", identity, "name", name, "description", desc,
                            "indicator_types", "malicious-activity", "pattern", pat,
                            "pattern_type", "stix", "pattern_version", "2.1",
                            "valid_from", ts(created), "confidence", (int)conf,
                            "object_marking_refs", marking_refs(opt->tlp));
    if (!ind) return -1;
    if (opt->valid_days) {
        int64_t base = e->last_seen ? e->last_seen : created;
        json_object_set_new(ind, "valid_until",
                            ts(base + (int64_t)opt->valid_days * C2_MS_PER_DAY));
    }
    json_t *sig = json_pack("{s:s, s:s, s:s, s:o, s:o, s:s, s:s, s:I, s:b, s:[s], s:o}",
                            "type", "sighting", "spec_version", "2.1", "id", sid,
                            "created", ts(created), "modified", ts(modified),
                            "created_by_ref", identity, "sighting_of_ref", iid,
                            "count", (json_int_t)(e->clients < 999999999u ? e->clients : 999999999u),
                            "summary", 1, "where_sighted_refs", identity,
                            "object_marking_refs", marking_refs(opt->tlp));
    if (!sig) {
        json_decref(ind);
        return -1;
    }
    if (e->first_seen) json_object_set_new(sig, "first_seen", ts(e->first_seen));
    if (e->last_seen) json_object_set_new(sig, "last_seen", ts(e->last_seen));
    json_array_append_new(objs, ind);
    json_array_append_new(objs, sig);
    return e->category[0] ? relationship(e, key, iid, identity, created, modified, opt, objs) : 0;
}

json_t *export_stix_objects(const c2list *l, const export_options *opt, c2_err *err)
{
    static const export_options defaults = {.tlp = EXPORT_TLP_AMBER};
    if (!opt) opt = &defaults;
    if ((unsigned)opt->tlp >= EXPORT_TLP_N) {
        c2_fail(err, "bad TLP level %d", (int)opt->tlp);
        return NULL;
    }
    const char *who = opt->identity ? opt->identity : "c2flow";
    if (!*who || strlen(who) > 256) {
        c2_fail(err, "identity name: 1 to 256 characters");
        return NULL;
    }
    char identity[80], idname[600];
    snprintf(idname, sizeof idname, "identity|%s", who);
    make_id("identity", idname, identity, sizeof identity);

    json_t *objs = json_array();
    json_t *ident = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:o}",
                              "type", "identity", "spec_version", "2.1", "id", identity,
                              "created", NAMED_CREATED, "modified", NAMED_CREATED,
                              "name", who, "identity_class", "organization",
                              "object_marking_refs", marking_refs(opt->tlp));
    int rc = !objs || !ident || json_array_append_new(objs, ident) != 0 ||
             json_array_append_new(objs, marking_object(opt->tlp)) != 0 ||
             malware_objects(l, identity, opt->tlp, objs) != 0;
    int64_t fallback = export_list_time(l);
    for (size_t i = 0; !rc && i < c2list_count(l); i++)
        rc = row_objects(c2list_get(l, i), opt, identity, fallback, objs) != 0;
    if (rc) {
        json_decref(objs);
        c2_fail(err, "out of memory");
        return NULL;
    }
    return objs;
}

int export_stix(const c2list *l, const export_options *opt, FILE *f, c2_err *err)
{
    json_t *objs = export_stix_objects(l, opt, err);
    if (!objs) return -1;
    /* the bundle's id: from everything it holds */
    char bid[80];
    char *text = json_dumps(objs, JSON_COMPACT);
    if (!text) {
        json_decref(objs);
        return c2_fail(err, "out of memory");
    }
    make_id("bundle", text, bid, sizeof bid);
    free(text);
    json_t *bundle = json_pack("{s:s, s:s, s:o}", "type", "bundle", "id", bid, "objects", objs);
    if (!bundle) return c2_fail(err, "out of memory");
    int rc = json_dumpf(bundle, f, JSON_INDENT(2) | JSON_REAL_PRECISION(4));
    json_decref(bundle);
    fputc('\n', f);
    return rc == 0 ? 0 : c2_fail(err, "cannot write the STIX bundle");
}
