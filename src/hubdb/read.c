/*
 * read.c: what the hub reads back: indicators with their evaluation, the
 * collections and object versions TAXII serves, a member's list, the rows
 * of the report, and the analysts' decisions (which republish).
 *
 * Paging of objects is by the collection log's sequence number, which
 * grows with date_added (both are assigned under the one lock), so "after
 * seq N" and "added after T" never disagree and every object version is
 * served exactly once however the pages are cut.
 */
#include <stdlib.h>
#include <string.h>

#include "hubdb/hubdb_impl.h"

#define INDICATOR_COLUMNS                                                   \
    "i.id, i.ip, i.port, i.proto, i.country, i.asn, i.as_name, i.excluded," \
    " i.exclude_reason, i.intel_confirmed, i.category, i.intel_first_ms,"   \
    " i.intel_source, i.decision, i.decision_note, i.decision_by"
#define INDICATOR_NCOLUMNS 16

static void indicator_row(sqlite3_stmt *st, hubdb_indicator *ind)
{
    memset(ind, 0, sizeof *ind);
    c2_entry_init(&ind->entry);
    ind->id = sqlite3_column_int64(st, 0);
    if (sqlite3_column_bytes(st, 1) == 16)
        memcpy(ind->entry.ip.b, sqlite3_column_blob(st, 1), 16);
    ind->entry.port = (uint16_t)sqlite3_column_int(st, 2);
    ind->entry.proto = (uint8_t)sqlite3_column_int(st, 3);
    snprintf(ind->entry.method, sizeof ind->entry.method, "hub");
    evaluation *ev = &ind->eval;
    hubdb_col_text(st, 4, ev->country, sizeof ev->country);
    ev->asn = (uint32_t)sqlite3_column_int64(st, 5);
    hubdb_col_text(st, 6, ev->as_name, sizeof ev->as_name);
    ev->excluded = (uint8_t)sqlite3_column_int(st, 7);
    hubdb_col_text(st, 8, ev->exclude_reason, sizeof ev->exclude_reason);
    ev->intel_confirmed = (uint8_t)sqlite3_column_int(st, 9);
    hubdb_col_text(st, 10, ev->category, sizeof ev->category);
    ev->intel_first_ms = sqlite3_column_int64(st, 11);
    hubdb_col_text(st, 12, ev->intel_source, sizeof ev->intel_source);
    hubdb_col_text(st, 13, ind->decision, sizeof ind->decision);
    hubdb_col_text(st, 14, ind->decision_note, sizeof ind->decision_note);
    hubdb_col_text(st, 15, ind->decision_by, sizeof ind->decision_by);
    if (c2list_category_ok(ev->category))
        snprintf(ind->entry.category, sizeof ind->entry.category, "%s", ev->category);
    ind->withdrawn = ev->excluded || strcmp(ind->decision, "rejected") == 0;
}

void hubdb_reported_category(sqlite3_stmt *st, int col, c2_entry *e)
{
    const char *c = (const char *)sqlite3_column_text(st, col);
    if (!e->category[0] && c && c2list_category_ok(c))
        snprintf(e->category, sizeof e->category, "%s", c);
}

int hubdb_load_indicator(hubdb *db, int64_t ind_id, hubdb_indicator *ind, c2_err *err)
{
    sqlite3_stmt *st = hubdb_prepare(db, "SELECT " INDICATOR_COLUMNS
                                     " FROM indicators i WHERE i.id=?", err);
    if (!st) return -1;
    sqlite3_bind_int64(st, 1, ind_id);
    int found = sqlite3_step(st) == SQLITE_ROW;
    if (found) indicator_row(st, ind);
    hubdb_done(st);
    return found ? 0 : c2_fail(err, "indicator %lld not found", (long long)ind_id);
}

/* ---- growing arrays ---- */

static int grow(void **v, size_t *cap, size_t n, size_t size, c2_err *err)
{
    if (n < *cap) return 0;
    size_t nc = *cap ? *cap * 2 : 64;
    void *nv = realloc(*v, nc * size);
    if (!nv) return c2_fail(err, "out of memory");
    *v = nv;
    *cap = nc;
    return 0;
}

/* ---- collections ---- */

static void collection_row(sqlite3_stmt *st, hubdb_collection *c)
{
    hubdb_col_text(st, 0, c->id, sizeof c->id);
    hubdb_col_text(st, 1, c->group, sizeof c->group);
    c->tlp = (export_tlp)sqlite3_column_int(st, 2);
}

int hubdb_collections(hubdb *db, const hubdb_member *m, hubdb_collection **out,
                      size_t *n, c2_err *err)
{
    *out = NULL;
    *n = 0;
    hubdb_enter_read(db);
    size_t cap = 0;
    int rc = -1;
    sqlite3_stmt *st = hubdb_prepare(db, "SELECT c.id, c.grp, c.tlp FROM collections c"
                                     " JOIN member_groups g ON g.grp=c.grp AND g.member=?"
                                     " ORDER BY c.grp, c.tlp", err);
    if (st) {
        sqlite3_bind_int64(st, 1, m->id);
        rc = 0;
        while (rc == 0 && sqlite3_step(st) == SQLITE_ROW)
            if ((rc = grow((void **)out, &cap, *n, sizeof **out, err)) == 0)
                collection_row(st, &(*out)[(*n)++]);
        hubdb_done(st);
    }
    hubdb_leave(db);
    if (rc < 0) { free(*out); *out = NULL; *n = 0; }
    return rc;
}

int hubdb_collection_get(hubdb *db, const char *id, hubdb_collection *out, c2_err *err)
{
    hubdb_enter_read(db);
    int rc = -1;
    sqlite3_stmt *st = hubdb_prepare(db, "SELECT id, grp, tlp FROM collections WHERE id=?",
                                     err);
    if (st) {
        sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
        rc = sqlite3_step(st) == SQLITE_ROW;
        if (rc) collection_row(st, out);
        hubdb_done(st);
    }
    hubdb_leave(db);
    return rc;
}

/* ---- objects ---- */

/* The log position of the last object added at or before after_us: seq
 * and date_added grow together, so "seq > this" is "added after", found
 * with one index seek instead of a scan. */
static int seq_after(hubdb *db, int64_t after_us, int64_t *seq, c2_err *err)
{
    *seq = 0;
    if (after_us <= 0) return 0;
    sqlite3_stmt *st = hubdb_prepare(db, "SELECT seq FROM objects WHERE added_us<=?"
                                     " ORDER BY added_us DESC LIMIT 1", err);
    if (!st) return -1;
    sqlite3_bind_int64(st, 1, after_us);
    if (sqlite3_step(st) == SQLITE_ROW) *seq = sqlite3_column_int64(st, 0);
    hubdb_done(st);
    return 0;
}

#define MATCH_VALUES_MAX 64

/* Append " AND col IN (?,?,...)" for a comma list; *nvals gets the count. */
static int match_clause(char *sql, size_t len, const char *col, const char *list,
                        size_t *nvals, c2_err *err)
{
    *nvals = 0;
    if (!list) return 0;
    size_t n = 1;
    for (const char *p = list; *p; p++) n += *p == ',';
    if (n > MATCH_VALUES_MAX)
        return c2_fail(err, "at most %d values in a match filter", MATCH_VALUES_MAX);
    size_t at = strlen(sql);
    at += (size_t)snprintf(sql + at, len - at, " AND %s IN (", col);
    for (size_t i = 0; i < n && at < len; i++)
        at += (size_t)snprintf(sql + at, len - at, i ? ",?" : "?");
    if (at < len) snprintf(sql + at, len - at, ")");
    *nvals = n;
    return 0;
}

/* Bind the comma list's values from position *pos on. */
static void match_bind(sqlite3_stmt *st, int *pos, const char *list)
{
    if (!list) return;
    const char *p = list;
    for (;;) {
        const char *comma = strchr(p, ',');
        size_t n = comma ? (size_t)(comma - p) : strlen(p);
        sqlite3_bind_text(st, (*pos)++, p, (int)n, SQLITE_TRANSIENT);
        if (!comma) break;
        p = comma + 1;
    }
}

/* match[version]: "last" (latest=1), "first" (no earlier version in the
 * collection), "all" (no condition) and exact versions, ORed; *nvals counts
 * the exact versions to bind (version_bind). */
static int version_clause(char *sql, size_t len, const char *list, size_t *nvals,
                          c2_err *err)
{
    *nvals = 0;
    if (!list) list = "last";
    char cond[1024] = "";
    char buf[1024];
    snprintf(buf, sizeof buf, "%s", list);
    for (char *save = NULL, *v = strtok_r(buf, ",", &save); v; v = strtok_r(NULL, ",", &save)) {
        const char *c;
        if (strcmp(v, "all") == 0) return 0;
        if (strcmp(v, "last") == 0) c = "latest=1";
        else if (strcmp(v, "first") == 0)
            c = "NOT EXISTS (SELECT 1 FROM objects o2 WHERE o2.collection=objects.collection"
                " AND o2.stix_id=objects.stix_id AND o2.seq<objects.seq)";
        else if (++*nvals > MATCH_VALUES_MAX)
            return c2_fail(err, "at most %d versions in match[version]", MATCH_VALUES_MAX);
        else c = "version=?";
        size_t at = strlen(cond);
        snprintf(cond + at, sizeof cond - at, "%s%s", at ? " OR " : "", c);
    }
    size_t at = strlen(sql);
    snprintf(sql + at, len - at, " AND (%s)", cond[0] ? cond : "latest=1");
    return 0;
}

static void version_bind(sqlite3_stmt *st, int *pos, const char *list)
{
    char buf[1024];
    snprintf(buf, sizeof buf, "%s", list);
    for (char *save = NULL, *v = strtok_r(buf, ",", &save); v; v = strtok_r(NULL, ",", &save))
        if (strcmp(v, "last") && strcmp(v, "first") && strcmp(v, "all"))
            sqlite3_bind_text(st, (*pos)++, v, -1, SQLITE_TRANSIENT);
}

static int object_row(sqlite3_stmt *st, hubdb_objects *out, size_t *cap, c2_err *err)
{
    if (grow((void **)&out->v, cap, out->n, sizeof *out->v, err) < 0) return -1;
    hubdb_object *o = &out->v[out->n];
    o->seq = sqlite3_column_int64(st, 0);
    o->added_us = sqlite3_column_int64(st, 1);
    hubdb_col_text(st, 2, o->stix_id, sizeof o->stix_id);
    hubdb_col_text(st, 3, o->version, sizeof o->version);
    o->json = strdup((const char *)sqlite3_column_text(st, 4));
    if (!o->json) return c2_fail(err, "out of memory");
    out->n++;
    return 0;
}

int hubdb_objects_get(hubdb *db, const hubdb_object_query *q, hubdb_objects *out,
                      c2_err *err)
{
    memset(out, 0, sizeof *out);
    char sql[4096] = "SELECT seq, added_us, stix_id, version, json FROM objects"
                     " WHERE collection=? AND seq>? AND added_us>?";
    size_t nid, ntype, cap = 0;
    size_t nver = 0;
    if (version_clause(sql, sizeof sql, q->versions, &nver, err) < 0 ||
        match_clause(sql, sizeof sql, "stix_id", q->id, &nid, err) < 0 ||
        match_clause(sql, sizeof sql, "type", q->type, &ntype, err) < 0)
        return -1;
    strcat(sql, " ORDER BY seq LIMIT ?");
    hubdb_enter_read(db);
    int64_t start = 0;
    int rc = -1;
    sqlite3_stmt *st = seq_after(db, q->added_after_us, &start, err) < 0 ? NULL
                     : hubdb_prepare_dynamic(db, sql, err);
    if (st) {
        int pos = 1;
        sqlite3_bind_text(st, pos++, q->collection, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, pos++, q->after_seq > start ? q->after_seq : start);
        sqlite3_bind_int64(st, pos++, q->added_after_us);
        if (nver) version_bind(st, &pos, q->versions);
        match_bind(st, &pos, q->id);
        match_bind(st, &pos, q->type);
        sqlite3_bind_int64(st, pos, (int64_t)q->limit + 1);
        rc = 0;
        while (rc == 0 && sqlite3_step(st) == SQLITE_ROW) {
            if (out->n == q->limit) { out->more = 1; break; }
            rc = object_row(st, out, &cap, err);
        }
        sqlite3_finalize(st);
    }
    hubdb_leave(db);
    if (rc < 0) hubdb_objects_free(out);
    return rc;
}

void hubdb_objects_free(hubdb_objects *o)
{
    for (size_t i = 0; i < o->n; i++) free(o->v[i].json);
    free(o->v);
    memset(o, 0, sizeof *o);
}

/* ---- a member's list ---- */

/* Reports visible to ?1 (members sharing a group with it), of indicators
 * whose indicator object changed after ?2 in one of its collections, at
 * TLP ?3 (-1 any), not withdrawn. */
/* Reports visible to ?1 (members sharing a group with it), of indicators
 * whose indicator object changed after log position ?2 in one of its
 * collections, at TLP ?3 (-1 any), not withdrawn. */
static const char member_list_sql[] =
    "WITH vis(member) AS (SELECT DISTINCT g2.member FROM member_groups g1"
    "  JOIN member_groups g2 ON g2.grp=g1.grp WHERE g1.member=?1),"
    " changed(indicator) AS (SELECT DISTINCT o.indicator FROM member_groups g"
    "  JOIN collections c ON c.grp=g.grp AND (?3<0 OR c.tlp=?3)"
    "  JOIN objects o ON o.collection=c.id AND o.seq>?2"
    "  WHERE g.member=?1 AND o.indicator IS NOT NULL)"
    " SELECT " INDICATOR_COLUMNS ","
    "  min(nullif(r.first_seen_ms,0)), max(r.last_seen_ms), max(r.score),"
    "  max(r.infected_clients), max(r.clients), max(r.days_seen), max(r.category),"
    "  max(s.tlp)"
    " FROM reports r JOIN submissions s ON s.id=r.submission"
    " JOIN indicators i ON i.id=r.indicator"
    " WHERE s.member IN vis AND r.indicator IN changed AND (?3<0 OR s.tlp=?3)"
    "  AND i.excluded=0 AND i.decision!='rejected'"
    " GROUP BY i.id ORDER BY i.id";

static void aggregate_columns(sqlite3_stmt *st, int col, c2_entry *e)
{
    e->first_seen = sqlite3_column_int64(st, col);
    e->last_seen = sqlite3_column_int64(st, col + 1);
    e->score = sqlite3_column_double(st, col + 2);
    e->infected_clients = (uint32_t)sqlite3_column_int64(st, col + 3);
    e->clients = (uint32_t)sqlite3_column_int64(st, col + 4);
    e->days_seen = (uint32_t)sqlite3_column_int64(st, col + 5);
}

static int added_range(hubdb *db, const hubdb_member *m, int64_t after, int tlp,
                       int64_t *first, int64_t *last, c2_err *err)
{
    sqlite3_stmt *st = hubdb_prepare(db,
        "SELECT coalesce(min(o.added_us),0), coalesce(max(o.added_us),0)"
        " FROM member_groups g JOIN collections c ON c.grp=g.grp AND (?3<0 OR c.tlp=?3)"
        " JOIN objects o ON o.collection=c.id AND o.seq>?2"
        " WHERE g.member=?1 AND o.indicator IS NOT NULL", err);
    if (!st) return -1;
    sqlite3_bind_int64(st, 1, m->id);
    sqlite3_bind_int64(st, 2, after);
    sqlite3_bind_int(st, 3, tlp);
    if (sqlite3_step(st) == SQLITE_ROW) {
        *first = sqlite3_column_int64(st, 0);
        *last = sqlite3_column_int64(st, 1);
    }
    hubdb_done(st);
    return 0;
}

static int member_rows(hubdb *db, const hubdb_member *m, int64_t after, int tlp,
                       c2list *l, int *tlp_max, c2_err *err)
{
    sqlite3_stmt *st = hubdb_prepare(db, member_list_sql, err);
    if (!st) return -1;
    sqlite3_bind_int64(st, 1, m->id);
    sqlite3_bind_int64(st, 2, after);
    sqlite3_bind_int(st, 3, tlp);
    int rc = 0;
    while (rc == 0 && sqlite3_step(st) == SQLITE_ROW) {
        hubdb_indicator ind;
        indicator_row(st, &ind);
        aggregate_columns(st, INDICATOR_NCOLUMNS, &ind.entry);
        hubdb_reported_category(st, INDICATOR_NCOLUMNS + 6, &ind.entry);
        int level = sqlite3_column_int(st, INDICATOR_NCOLUMNS + 7);
        if (level > *tlp_max) *tlp_max = level;
        rc = c2list_add(l, &ind.entry, err);
    }
    hubdb_done(st);
    return rc;
}

int hubdb_member_list_entries(hubdb *db, const hubdb_member *m, int64_t added_after_us,
                              int tlp, c2list **out, int64_t *first_us,
                              int64_t *last_us, int *tlp_max, c2_err *err)
{
    *first_us = *last_us = 0;
    *tlp_max = 0;
    int64_t start = 0;
    *out = c2list_new();
    if (!*out) return c2_fail(err, "out of memory");
    hubdb_enter_read(db);
    int rc = hubdb_exec(db, "BEGIN", "reading the list", err);
    if (rc == 0) {
        rc = seq_after(db, added_after_us, &start, err);
        if (rc == 0) rc = added_range(db, m, start, tlp, first_us, last_us, err);
        if (rc == 0) rc = member_rows(db, m, start, tlp, *out, tlp_max, err);
        sqlite3_exec(hubdb_cur->sql, "COMMIT", NULL, NULL, NULL);
    }
    hubdb_leave(db);
    if (rc < 0) { c2list_free(*out); *out = NULL; }
    return rc;
}

/* ---- analysts ---- */

int hubdb_indicators(hubdb *db, int pending_only, hubdb_indicator **out, size_t *n,
                     c2_err *err)
{
    *out = NULL;
    *n = 0;
    char sql[1024];
    snprintf(sql, sizeof sql, "SELECT " INDICATOR_COLUMNS ","
             " min(nullif(r.first_seen_ms,0)), max(r.last_seen_ms), max(r.score),"
             " max(r.infected_clients), max(r.clients), max(r.days_seen),"
             " count(*), count(DISTINCT s.member), max(r.category)"
             " FROM indicators i JOIN reports r ON r.indicator=i.id"
             " JOIN submissions s ON s.id=r.submission %s"
             " GROUP BY i.id ORDER BY i.last_report_us DESC, i.id",
             pending_only ? "WHERE i.decision='' AND i.excluded=0" : "");
    hubdb_enter_read(db);
    size_t cap = 0;
    int rc = -1;
    sqlite3_stmt *st = hubdb_prepare_dynamic(db, sql, err);
    if (st) {
        rc = 0;
        while (rc == 0 && sqlite3_step(st) == SQLITE_ROW) {
            if ((rc = grow((void **)out, &cap, *n, sizeof **out, err)) < 0) break;
            hubdb_indicator *ind = &(*out)[(*n)++];
            indicator_row(st, ind);
            aggregate_columns(st, INDICATOR_NCOLUMNS, &ind->entry);
            ind->reports = (uint32_t)sqlite3_column_int64(st, INDICATOR_NCOLUMNS + 6);
            ind->members = (uint32_t)sqlite3_column_int64(st, INDICATOR_NCOLUMNS + 7);
            hubdb_reported_category(st, INDICATOR_NCOLUMNS + 8, &ind->entry);
        }
        sqlite3_finalize(st);
    }
    hubdb_leave(db);
    if (rc < 0) { free(*out); *out = NULL; *n = 0; }
    return rc;
}

static int decide_rows(hubdb *db, const flow_addr *ip, uint16_t port, uint8_t proto,
                       const char *decision, const char *note, const char *analyst,
                       hubdb_render_fn render, void *arg, c2_err *err)
{
    sqlite3_stmt *st = hubdb_prepare(db, "UPDATE indicators SET decision=?4,"
                                     " decision_note=?5, decision_by=?6, decision_us=?7"
                                     " WHERE ip=?1 AND port=?2 AND proto=?3 RETURNING id",
                                     err);
    if (!st) return -1;
    sqlite3_bind_blob(st, 1, ip->b, 16, SQLITE_STATIC);
    sqlite3_bind_int(st, 2, port);
    sqlite3_bind_int(st, 3, proto);
    sqlite3_bind_text(st, 4, decision, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 5, note ? note : "", -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 6, analyst ? analyst : "", -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 7, hubdb_now_us());
    int found = sqlite3_step(st) == SQLITE_ROW;
    int64_t id = found ? sqlite3_column_int64(st, 0) : 0;
    hubdb_done(st);
    if (!found) return c2_fail(err, "no such indicator");
    st = hubdb_prepare(db, "SELECT c.id, c.grp, c.tlp FROM shares s JOIN collections c"
                       " ON c.id=s.collection WHERE s.indicator=?", err);
    if (!st) return -1;
    sqlite3_bind_int64(st, 1, id);
    hubdb_collection *cs = NULL;
    size_t nc = 0, cap = 0;
    int rc = 0;
    while (rc == 0 && sqlite3_step(st) == SQLITE_ROW)
        if ((rc = grow((void **)&cs, &cap, nc, sizeof *cs, err)) == 0)
            collection_row(st, &cs[nc++]);
    hubdb_done(st);
    for (size_t i = 0; rc == 0 && i < nc; i++)
        rc = hubdb_publish(db, &cs[i], id, render, arg, err);
    free(cs);
    return rc;
}

int hubdb_decide(hubdb *db, const flow_addr *ip, uint16_t port, uint8_t proto,
                 const char *decision, const char *note, const char *analyst,
                 hubdb_render_fn render, void *arg, c2_err *err)
{
    if (strcmp(decision, "confirmed") && strcmp(decision, "rejected") && decision[0])
        return c2_fail(err, "a decision is confirmed or rejected");
    if (note && strlen(note) >= HUBDB_TEXT_MAX)
        return c2_fail(err, "a note has at most %d characters", HUBDB_TEXT_MAX - 1);
    hubdb_enter_write(db);
    int rc = hubdb_exec(db, "BEGIN IMMEDIATE", "recording the decision", err);
    if (rc == 0)
        rc = decide_rows(db, ip, port, proto, decision, note, analyst, render, arg, err);
    if (rc == 0) rc = hubdb_exec(db, "COMMIT", "recording the decision", err);
    if (rc < 0) sqlite3_exec(hubdb_cur->sql, "ROLLBACK", NULL, NULL, NULL);
    hubdb_leave(db);
    return rc;
}

/* ---- figures ---- */

int hubdb_report_rows(hubdb *db, hubdb_report_row **out, size_t *n, c2_err *err)
{
    *out = NULL;
    *n = 0;
    hubdb_enter_read(db);
    size_t cap = 0;
    int rc = -1;
    sqlite3_stmt *st = hubdb_prepare(db,
        "SELECT s.member, i.ip, i.port, i.proto, s.as_of_us, i.intel_first_ms,"
        " i.intel_confirmed OR i.decision='confirmed', i.excluded OR i.decision='rejected',"
        " i.country FROM reports r JOIN submissions s ON s.id=r.submission"
        " JOIN indicators i ON i.id=r.indicator ORDER BY s.as_of_us", err);
    if (st) {
        rc = 0;
        while (rc == 0 && sqlite3_step(st) == SQLITE_ROW) {
            if ((rc = grow((void **)out, &cap, *n, sizeof **out, err)) < 0) break;
            hubdb_report_row *r = &(*out)[(*n)++];
            memset(r, 0, sizeof *r);
            r->member = sqlite3_column_int64(st, 0);
            if (sqlite3_column_bytes(st, 1) == 16)
                memcpy(r->ip.b, sqlite3_column_blob(st, 1), 16);
            r->port = (uint16_t)sqlite3_column_int(st, 2);
            r->proto = (uint8_t)sqlite3_column_int(st, 3);
            r->as_of_us = sqlite3_column_int64(st, 4);
            r->intel_first_ms = sqlite3_column_int64(st, 5);
            r->confirmed = (uint8_t)sqlite3_column_int(st, 6);
            r->excluded = (uint8_t)sqlite3_column_int(st, 7);
            hubdb_col_text(st, 8, r->country, sizeof r->country);
        }
        hubdb_done(st);
    }
    hubdb_leave(db);
    if (rc < 0) { free(*out); *out = NULL; *n = 0; }
    return rc;
}
