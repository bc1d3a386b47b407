/*
 * taxii.c: TAXII 2.1 (OASIS, 2021) over the hub's collections: discovery,
 * one API root (HUB_API_ROOT), collections, objects with paging and
 * filters, one object and its versions, manifests, adding objects, and
 * status resources.
 *
 * A collection is a trust group at one TLP level.  A member sees the
 * collections of its groups; asking for another group's gets 403 (it
 * exists, the member may not read it), an unknown id 404.  Paging: "next"
 * is the collection log's sequence number of the last object served, so
 * pages never overlap or skip whatever the limit; objects added meanwhile
 * come after it.  Every served page is audited.
 */
#include <stdlib.h>
#include <string.h>

#include "hub/hub_impl.h"
#include "submission/submission.h"

#define STIX_TYPE "application/stix+json;version=2.1"

/* ---- media types ---- */

/* The Accept header allows a TAXII 2.1 answer: absent, * / *, or
 * application/taxii+json with version 2.1 or none. */
static int accept_ok(const char *accept)
{
    if (!accept) return 1;
    char buf[512];
    snprintf(buf, sizeof buf, "%s", accept);
    for (char *save = NULL, *item = strtok_r(buf, ",", &save); item;
         item = strtok_r(NULL, ",", &save)) {
        while (*item == ' ') item++;
        if (strncmp(item, "*/*", 3) == 0 || strncmp(item, "application/*", 13) == 0) return 1;
        if (strncasecmp(item, "application/taxii+json", 22) != 0) continue;
        const char *v = strstr(item, "version=");
        if (!v || strncmp(v + 8, "2.1", 3) == 0) return 1;
    }
    return 0;
}

static int content_type_ok(const char *type)
{
    if (!type || strncasecmp(type, "application/taxii+json", 22) != 0) return 0;
    const char *v = strstr(type, "version=");
    return !v || strncmp(v + 8, "2.1", 3) == 0;
}

static enum MHD_Result taxii_json(hub_req *r, unsigned status, json_t *v)
{
    return hub_json(r, status, HUB_TAXII_TYPE, v, (const char *)NULL);
}

/* ---- discovery, API root, collections ---- */

static enum MHD_Result discovery(hub_req *r)
{
    return taxii_json(r, 200, json_pack("{ss ss ss s[s]}",
        "title", r->h->cfg.identity,
        "description", "c2flow hub: C2 servers (address and port) found by member ISPs",
        "default", HUB_API_ROOT, "api_roots", HUB_API_ROOT));
}

static enum MHD_Result api_root(hub_req *r)
{
    return taxii_json(r, 200, json_pack("{ss ss s[s] sI}",
        "title", "C2 lists",
        "description", r->h->cfg.terms,
        "versions", HUB_TAXII_TYPE,
        "max_content_length", (json_int_t)r->h->cfg.max_body));
}

static json_t *collection_json(const hub_req *r, const hubdb_collection *c)
{
    char title[128];
    snprintf(title, sizeof title, "%s %s", c->group, export_tlp_name(c->tlp));
    for (char *p = title + strlen(c->group) + 1; *p; p++)
        if (*p >= 'a' && *p <= 'z') *p = (char)(*p - 'a' + 'A');
    return json_pack("{ss ss ss sb sb s[s]}",
        "id", c->id, "title", title, "description", r->h->cfg.terms,
        "can_read", 1, "can_write", r->member.can_write ? 1 : 0,
        "media_types", STIX_TYPE);
}

static enum MHD_Result collections(hub_req *r)
{
    hubdb_collection *cs;
    size_t n;
    c2_err err;
    if (hubdb_collections(r->h->db, &r->member, &cs, &n, &err) < 0)
        return hub_error(r, 500, 1, "%s", err.msg);
    json_t *arr = json_array();
    for (size_t i = 0; i < n; i++) json_array_append_new(arr, collection_json(r, &cs[i]));
    free(cs);
    hub_audit(r, "taxii.collections", "", "%zu", n);
    return taxii_json(r, 200, json_pack("{so}", "collections", arr));
}

/* The collection of id if the member may read it; else a reply was queued
 * and *done holds its result. */
static int collection_access(hub_req *r, const char *id, hubdb_collection *c,
                             enum MHD_Result *done)
{
    c2_err err;
    int found = hubdb_collection_get(r->h->db, id, c, &err);
    if (found < 0) { *done = hub_error(r, 500, 1, "%s", err.msg); return 0; }
    if (!found) { *done = hub_error(r, 404, 1, "no collection %.40s", id); return 0; }
    if (!hubdb_member_in_group(&r->member, c->group)) {
        atomic_fetch_add(&r->h->n.forbidden, 1);
        hub_audit(r, "taxii.forbidden", id, "group %s", c->group);
        *done = hub_error(r, 403, 1, "this collection belongs to another trust group");
        return 0;
    }
    return 1;
}

/* ---- objects ---- */

/* The filters of a Get Objects / Manifest / Get an Object request. */
static int object_query(hub_req *r, const hubdb_collection *c, const char *obj_id,
                        hubdb_object_query *q, char vbuf[1024], c2_err *err)
{
    memset(q, 0, sizeof *q);
    q->collection = c->id;
    q->limit = r->h->cfg.page_max;
    const char *v;
    if ((v = hub_arg(r, "added_after")) && hub_time_parse_us(v, &q->added_after_us) < 0)
        return c2_fail(err, "added_after: not a TAXII timestamp");
    if ((v = hub_arg(r, "limit"))) {
        uint64_t n;
        if (c2_u64_parse(v, UINT32_MAX, &n) < 0 || n == 0)
            return c2_fail(err, "limit: a positive number");
        if (n < q->limit) q->limit = n;
    }
    if ((v = hub_arg(r, "next"))) {
        uint64_t n;
        if (c2_u64_parse(v, INT64_MAX, &n) < 0) return c2_fail(err, "next: not ours");
        q->after_seq = (int64_t)n;
    }
    q->id = obj_id ? obj_id : hub_arg(r, "match[id]");
    q->type = hub_arg(r, "match[type]");
    if ((v = hub_arg(r, "match[version]"))) {
        /* versions are stored as the exporter writes times: normalise */
        if (strlen(v) >= 512) return c2_fail(err, "match[version]: too long");
        char buf[512];
        snprintf(buf, sizeof buf, "%s", v);
        vbuf[0] = '\0';
        for (char *save = NULL, *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
            int64_t us;
            char norm[40];
            if (strcmp(t, "last") && strcmp(t, "first") && strcmp(t, "all")) {
                if (hub_time_parse_us(t, &us) < 0)
                    return c2_fail(err, "match[version]: last, first, all or a timestamp");
                t = c2_time_format(us / 1000, norm, sizeof norm);
            }
            size_t at = strlen(vbuf);
            snprintf(vbuf + at, 1024 - at, "%s%s", at ? "," : "", t);
        }
        q->versions = vbuf;
    }
    v = hub_arg(r, "match[spec_version]");
    if (v && strcmp(v, "2.1") != 0) q->type = "none-but-2.1";   /* matches nothing */
    return 0;
}

/* The page's "more" and "next" as JSON members (with a leading comma), and
 * the date headers' values. */
static void page_meta(const hubdb_objects *o, char *meta, size_t len, char first[40],
                      char last[40])
{
    if (o->more)
        snprintf(meta, len, ",\"more\":true,\"next\":\"%lld\"",
                 (long long)o->v[o->n - 1].seq);
    else
        snprintf(meta, len, ",\"more\":false");
    if (o->n) {
        hubdb_time_us(o->v[0].added_us, first, 40);
        hubdb_time_us(o->v[o->n - 1].added_us, last, 40);
    }
}

static enum MHD_Result page_reply(hub_req *r, const char *text, size_t len,
                                  const hubdb_objects *o, const char *first,
                                  const char *last)
{
    int any = o->n > 0;
    return hub_reply(r, 200, HUB_TAXII_TYPE, text, len,
                     "X-TAXII-Date-Added-First", any ? first : NULL,
                     "X-TAXII-Date-Added-Last", any ? last : NULL, (const char *)NULL);
}

/* The envelope or manifest text: the stored objects are spliced in as they
 * are, never parsed again. */
static char *page_text(const hubdb_objects *o, int manifest, const char *key,
                       const char *meta, size_t *len)
{
    char *text = NULL;
    FILE *f = open_memstream(&text, len);
    if (!f) return NULL;
    fprintf(f, "{\"%s\":[", key);
    char t[40];
    for (size_t i = 0; i < o->n; i++) {
        if (i) fputc(',', f);
        if (!manifest) {
            fputs(o->v[i].json, f);
        } else if (strcmp(key, "versions") == 0) {
            fprintf(f, "\"%s\"", o->v[i].version);
        } else {
            fprintf(f, "{\"id\":\"%s\",\"date_added\":\"%s\",\"version\":\"%s\","
                    "\"media_type\":\"%s\"}", o->v[i].stix_id,
                    hubdb_time_us(o->v[i].added_us, t, sizeof t), o->v[i].version, STIX_TYPE);
        }
    }
    fprintf(f, "]%s}", meta);
    if (fclose(f) != 0) { free(text); return NULL; }
    return text;
}

/* Get Objects, Get an Object (obj_id), Manifest (manifest) and Versions. */
static enum MHD_Result page_get(hub_req *r, const hubdb_collection *c, const char *obj_id,
                                int manifest, const char *key)
{
    hubdb_object_query q;
    hubdb_objects o;
    c2_err err;
    char vbuf[1024];
    if (object_query(r, c, obj_id, &q, vbuf, &err) < 0)
        return hub_error(r, 400, 1, "%s", err.msg);
    if (strcmp(key, "versions") == 0) q.versions = "all";
    if (hubdb_objects_get(r->h->db, &q, &o, &err) < 0)
        return hub_error(r, 400, 1, "%s", err.msg);
    if (obj_id && o.n == 0 && q.after_seq == 0) {
        hubdb_objects_free(&o);
        return hub_error(r, 404, 1, "no object %.96s here", obj_id);
    }
    char meta[64], first[40] = "", last[40] = "";
    size_t len;
    page_meta(&o, meta, sizeof meta, first, last);
    char *text = page_text(&o, manifest, key, meta, &len);
    if (!manifest) atomic_fetch_add(&r->h->n.objects_served, o.n);
    hub_audit(r, obj_id ? "taxii.object" : manifest ? "taxii.manifest" : "taxii.objects",
              c->id, "%zu %s, after %lld", o.n, key, (long long)q.after_seq);
    enum MHD_Result rc = text ? page_reply(r, text, len, &o, first, last)
                              : hub_error(r, 500, 1, "out of memory");
    free(text);
    hubdb_objects_free(&o);
    return rc;
}

static enum MHD_Result objects_get(hub_req *r, const hubdb_collection *c,
                                   const char *obj_id, int manifest)
{
    return page_get(r, c, obj_id, manifest, "objects");
}

static enum MHD_Result versions_get(hub_req *r, const hubdb_collection *c, const char *obj_id)
{
    return page_get(r, c, obj_id, 1, "versions");
}

/* ---- adding objects ---- */

static void status_keep(hub *h, json_t *status)
{
    pthread_mutex_lock(&h->status_lock);
    size_t slot = h->nstatus++ % 256;
    json_decref(h->statuses[slot]);
    h->statuses[slot] = json_incref(status);
    pthread_mutex_unlock(&h->status_lock);
}

static enum MHD_Result status_get(hub_req *r, const char *id)
{
    json_t *found = NULL;
    pthread_mutex_lock(&r->h->status_lock);
    for (size_t i = 0; i < 256 && i < r->h->nstatus; i++) {
        const char *sid = json_string_value(json_object_get(r->h->statuses[i], "id"));
        if (sid && strcmp(sid, id) == 0) found = json_deep_copy(r->h->statuses[i]);
    }
    pthread_mutex_unlock(&r->h->status_lock);
    if (!found) return hub_error(r, 404, 1, "no status %.40s (statuses are kept for the "
                                 "last 256 additions)", id);
    return taxii_json(r, 200, found);
}

/* The envelope's objects as a STIX bundle, the form submissions take. */
static char *envelope_bundle(const hub_req *r, size_t *len, size_t *nobjects, c2_err *err)
{
    json_error_t je;
    json_t *env = json_loadb(r->body, r->len, JSON_REJECT_DUPLICATES, &je);
    json_t *objs = json_object_get(env, "objects");
    if (!json_is_array(objs)) {
        json_decref(env);
        c2_fail(err, "the body is not a TAXII envelope with \"objects\"");
        return NULL;
    }
    *nobjects = json_array_size(objs);
    char id[40];
    c2_uuid4(id, sizeof id);
    char bid[64];
    snprintf(bid, sizeof bid, "bundle--%s", id);
    json_t *bundle = json_pack("{ss ss sO}", "type", "bundle", "id", bid, "objects", objs);
    json_decref(env);
    char *text = json_dumps(bundle, JSON_COMPACT);
    json_decref(bundle);
    if (!text) { c2_fail(err, "out of memory"); return NULL; }
    *len = strlen(text);
    return text;
}

static enum MHD_Result objects_add(hub_req *r, const hubdb_collection *c)
{
    if (!r->member.can_write)
        return hub_error(r, 403, 1, "this member may not add objects");
    if (!content_type_ok(hub_header(r, "Content-Type")))
        return hub_error(r, 415, 1, "Content-Type must be %s", HUB_TAXII_TYPE);
    c2_err err;
    size_t len, nobjects;
    char *bundle = envelope_bundle(r, &len, &nobjects, &err);
    if (!bundle) return hub_error(r, 400, 1, "%s", err.msg);
    submission_limits lim;
    submission_limits_default(&lim);
    lim.max_rows = r->h->cfg.max_rows;
    c2list *l = NULL;
    int rc = submission_parse(bundle, len, SUBMISSION_STIX21, &lim, &l, &err);
    free(bundle);
    if (rc < 0) {
        hub_audit_refused(r, "taxii.add.refused", c->id, 400, err.msg);
        return hub_error(r, 400, 1, "%s", err.msg);
    }
    evaluation *ev = calloc(c2list_count(l) + 1, sizeof *ev);
    for (size_t i = 0; ev && i < c2list_count(l); i++) {
        const c2_entry *e = c2list_get(l, i);
        evaluate_entry(r->h->ev, &e->ip, e->port, e->proto, &ev[i]);
    }
    /* objects added to a collection are shared with its group only */
    hubdb_member m = r->member;
    m.ngroups = 1;
    snprintf(m.groups[0], sizeof m.groups[0], "%s", c->group);
    char sid[40], sha[48];
    c2_uuid4(sid, sizeof sid);
    snprintf(sha, sizeof sha, "taxii-%s", sid);
    hubdb_submission s = {.sid = sid, .body_sha256 = sha, .format = "taxii",
                          .received_us = hubdb_now_us(), .tlp = c->tlp};
    s.as_of_us = s.received_us;
    hubdb_submit_status st;
    rc = ev ? hubdb_submit(r->h->db, &m, &s, l, ev, hub_render, r->h, &st, &err)
            : c2_fail(&err, "out of memory");
    free(ev);
    size_t n = c2list_count(l);
    c2list_free(l);
    if (rc < 0) return hub_error(r, 500, 1, "%s", err.msg);
    char t[40];
    json_t *status = json_pack("{ss ss ss sI sI sI sI}", "id", sid, "status", "complete",
        "request_timestamp", hubdb_time_us(s.received_us, t, sizeof t),
        "total_count", (json_int_t)nobjects, "success_count", (json_int_t)nobjects,
        "failure_count", (json_int_t)0, "pending_count", (json_int_t)0);
    status_keep(r->h, status);
    hub_audit(r, "taxii.add", c->id, "%zu objects, %zu indicators, status %s", nobjects, n,
              sid);
    return taxii_json(r, 202, status);
}

/* ---- routing ---- */

/* Split the path after the API root into segments; SEG_MAX + 1 when there
 * are more than SEG_MAX or one is too long. */
#define SEG_MAX 5
static size_t segments(const char *path, char seg[SEG_MAX][128])
{
    size_t n = 0;
    while (*path) {
        const char *slash = strchr(path, '/');
        size_t len = slash ? (size_t)(slash - path) : strlen(path);
        if (len >= 128) return SEG_MAX + 1;
        if (len) {
            if (n == SEG_MAX) return SEG_MAX + 1;
            memcpy(seg[n], path, len);
            seg[n++][len] = '\0';
        }
        if (!slash) break;
        path = slash + 1;
    }
    return n;
}

static enum MHD_Result collection_route(hub_req *r, char seg[SEG_MAX][128], size_t n, int get)
{
    hubdb_collection c;
    enum MHD_Result done;
    if (!collection_access(r, seg[1], &c, &done)) return done;
    if (n == 2) return get ? taxii_json(r, 200, collection_json(r, &c))
                           : hub_error(r, 405, 1, "GET only");
    if (n == 3 && strcmp(seg[2], "objects") == 0)
        return get ? objects_get(r, &c, NULL, 0) : objects_add(r, &c);
    if (!get) return hub_error(r, 405, 1, "GET only");
    if (n == 3 && strcmp(seg[2], "manifest") == 0) return objects_get(r, &c, NULL, 1);
    if (n == 4 && strcmp(seg[2], "objects") == 0) return objects_get(r, &c, seg[3], 0);
    if (n == 5 && strcmp(seg[2], "objects") == 0 && strcmp(seg[4], "versions") == 0)
        return versions_get(r, &c, seg[3]);
    return hub_error(r, 404, 1, "no such resource");
}

enum MHD_Result hub_taxii(hub_req *r)
{
    int get = strcmp(r->method, "GET") == 0, post = strcmp(r->method, "POST") == 0;
    if (!get && !post) return hub_error(r, 405, 1, "GET or POST");
    if (!accept_ok(hub_header(r, "Accept")))
        return hub_error(r, 406, 1, "this server answers %s only", HUB_TAXII_TYPE);
    if (strcmp(r->url, "/taxii2/") == 0 || strcmp(r->url, "/taxii2") == 0)
        return get ? discovery(r) : hub_error(r, 405, 1, "GET only");
    size_t root = strlen(HUB_API_ROOT);
    if (strncmp(r->url, HUB_API_ROOT, root) != 0 &&
        strncmp(r->url, HUB_API_ROOT, root - 1) == 0 && r->url[root - 1] == '\0')
        return get ? api_root(r) : hub_error(r, 405, 1, "GET only");
    if (strncmp(r->url, HUB_API_ROOT, root) != 0)
        return hub_error(r, 404, 1, "no such API root");
    char seg[SEG_MAX][128];
    size_t n = segments(r->url + root, seg);
    if (n == 0) return get ? api_root(r) : hub_error(r, 405, 1, "GET only");
    if (n > SEG_MAX) return hub_error(r, 404, 1, "no such resource");
    if (strcmp(seg[0], "status") == 0 && n == 2)
        return get ? status_get(r, seg[1]) : hub_error(r, 405, 1, "GET only");
    if (strcmp(seg[0], "collections") != 0) return hub_error(r, 404, 1, "no such resource");
    if (n == 1) return get ? collections(r) : hub_error(r, 405, 1, "GET only");
    return collection_route(r, seg, n, get);
}
