/*
 * submit.c: storing a submission and publishing what it changed.
 *
 * One IMMEDIATE transaction per submission: the submission row, one report
 * per list row, the indicator rows (created on first sight, evaluation
 * refreshed on every report), the collection (group, TLP) of each of the
 * submitter's groups, and in each a new version of every object that the
 * new reports changed.  A failure anywhere rolls all of it back, so a
 * submission is stored whole or not at all.
 *
 * Versioning (STIX 2.1, 3.6): an object is stored again only when its
 * content changed; the new version's "modified" is one millisecond after the
 * previous one at least, so versions of one object are strictly ordered
 * even when their data say the same last_seen.
 */
#include <stdlib.h>
#include <string.h>

#include "hubdb/hubdb_impl.h"

/* ---- collections ---- */

static int collection_ensure(hubdb *db, const char *group, export_tlp tlp,
                             hubdb_collection *c, c2_err *err)
{
    char id[40];
    c2_uuid4(id, sizeof id);
    sqlite3_stmt *st = hubdb_prepare(db, "INSERT OR IGNORE INTO collections VALUES(?,?,?)",
                                     err);
    if (!st) return -1;
    sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, group, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 3, (int)tlp);
    if (hubdb_step_done(db, st, "adding a collection", err) < 0) return -1;
    st = hubdb_prepare(db, "SELECT id FROM collections WHERE grp=? AND tlp=?", err);
    if (!st) return -1;
    sqlite3_bind_text(st, 1, group, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 2, (int)tlp);
    int found = sqlite3_step(st) == SQLITE_ROW;
    if (found) hubdb_col_text(st, 0, c->id, sizeof c->id);
    hubdb_done(st);
    if (!found) return c2_fail(err, "collection of group %s vanished", group);
    snprintf(c->group, sizeof c->group, "%s", group);
    c->tlp = tlp;
    return 0;
}

/* ---- indicators and reports ---- */

static int indicator_upsert(hubdb *db, const c2_entry *e, const evaluation *ev,
                            int64_t at_us, int64_t *id, c2_err *err)
{
    sqlite3_stmt *st = hubdb_prepare(db,
        "INSERT INTO indicators(ip, port, proto) VALUES(?1,?2,?3)"
        " ON CONFLICT(ip, port, proto) DO NOTHING", err);
    if (!st) return -1;
    sqlite3_bind_blob(st, 1, e->ip.b, 16, SQLITE_STATIC);
    sqlite3_bind_int(st, 2, e->port);
    sqlite3_bind_int(st, 3, e->proto);
    if (hubdb_step_done(db, st, "adding an indicator", err) < 0) return -1;
    st = hubdb_prepare(db,
        "UPDATE indicators SET country=?4, asn=?5, as_name=?6, excluded=?7,"
        " exclude_reason=?8, intel_confirmed=?9, category=?10, intel_first_ms=?11,"
        " intel_source=?12, last_report_us=max(last_report_us, ?13)"
        " WHERE ip=?1 AND port=?2 AND proto=?3 RETURNING id", err);
    if (!st) return -1;
    sqlite3_bind_blob(st, 1, e->ip.b, 16, SQLITE_STATIC);
    sqlite3_bind_int(st, 2, e->port);
    sqlite3_bind_int(st, 3, e->proto);
    sqlite3_bind_text(st, 4, ev->country, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 5, ev->asn);
    sqlite3_bind_text(st, 6, ev->as_name, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 7, ev->excluded);
    sqlite3_bind_text(st, 8, ev->exclude_reason, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 9, ev->intel_confirmed);
    sqlite3_bind_text(st, 10, ev->category, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 11, ev->intel_first_ms);
    sqlite3_bind_text(st, 12, ev->intel_source, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 13, at_us);
    int ok = sqlite3_step(st) == SQLITE_ROW;
    if (ok) *id = sqlite3_column_int64(st, 0);
    else hubdb_fail(db, "evaluating an indicator", err);
    hubdb_done(st);
    return ok ? 0 : -1;
}

static int report_insert(hubdb *db, int64_t ind, int64_t sub, const c2_entry *e,
                         c2_err *err)
{
    sqlite3_stmt *st = hubdb_prepare(db, "INSERT INTO reports VALUES(?,?,?,?,?,?,?,?,?)", err);
    if (!st) return -1;
    sqlite3_bind_int64(st, 1, ind);
    sqlite3_bind_int64(st, 2, sub);
    sqlite3_bind_int64(st, 3, e->first_seen);
    sqlite3_bind_int64(st, 4, e->last_seen);
    sqlite3_bind_double(st, 5, e->score);
    sqlite3_bind_int64(st, 6, e->infected_clients);
    sqlite3_bind_int64(st, 7, e->clients);
    sqlite3_bind_int64(st, 8, e->days_seen);
    sqlite3_bind_text(st, 9, e->category, -1, SQLITE_STATIC);
    return hubdb_step_done(db, st, "storing a report", err);
}

static int share_insert(hubdb *db, const char *coll, int64_t ind, c2_err *err)
{
    sqlite3_stmt *st = hubdb_prepare(db, "INSERT OR IGNORE INTO shares VALUES(?,?)", err);
    if (!st) return -1;
    sqlite3_bind_text(st, 1, coll, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, ind);
    return hubdb_step_done(db, st, "sharing an indicator", err);
}

/* ---- publishing ---- */

/* The aggregate of the reports a collection holds of one indicator. */
static int aggregate(hubdb *db, const hubdb_collection *c, int64_t ind_id,
                     hubdb_indicator *ind, c2_err *err)
{
    sqlite3_stmt *st = hubdb_prepare(db,
        "SELECT min(nullif(r.first_seen_ms,0)), max(r.last_seen_ms), max(r.score),"
        " max(r.infected_clients), max(r.clients), max(r.days_seen), count(*),"
        " count(DISTINCT s.member), max(r.category)"
        " FROM reports r JOIN submissions s ON s.id=r.submission"
        " JOIN member_groups g ON g.member=s.member"
        " WHERE r.indicator=?1 AND g.grp=?2 AND s.tlp=?3", err);
    if (!st) return -1;
    sqlite3_bind_int64(st, 1, ind_id);
    sqlite3_bind_text(st, 2, c->group, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 3, (int)c->tlp);
    int ok = sqlite3_step(st) == SQLITE_ROW;
    if (ok) {
        c2_entry *e = &ind->entry;
        e->first_seen = sqlite3_column_int64(st, 0);
        e->last_seen = sqlite3_column_int64(st, 1);
        e->score = sqlite3_column_double(st, 2);
        e->infected_clients = (uint32_t)sqlite3_column_int64(st, 3);
        e->clients = (uint32_t)sqlite3_column_int64(st, 4);
        e->days_seen = (uint32_t)sqlite3_column_int64(st, 5);
        ind->reports = (uint32_t)sqlite3_column_int64(st, 6);
        ind->members = (uint32_t)sqlite3_column_int64(st, 7);
        hubdb_reported_category(st, 8, e);
    } else {
        hubdb_fail(db, "aggregating reports", err);
    }
    hubdb_done(st);
    return ok ? 0 : -1;
}

/* The latest stored version of an object: 1 with its digest, version
 * ("modified") and seq, 0 when there is none. */
static int latest_version(hubdb *db, const char *coll, const char *stix_id,
                          char digest[65], int64_t *modified_ms, int64_t *seq, c2_err *err)
{
    sqlite3_stmt *st = hubdb_prepare(db, "SELECT seq, digest, version FROM objects WHERE"
                                     " collection=? AND stix_id=? AND latest=1", err);
    if (!st) return -1;
    sqlite3_bind_text(st, 1, coll, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, stix_id, -1, SQLITE_STATIC);
    int found = sqlite3_step(st) == SQLITE_ROW;
    if (found) {
        *seq = sqlite3_column_int64(st, 0);
        hubdb_col_text(st, 1, digest, 65);
        const char *v = (const char *)sqlite3_column_text(st, 2);
        if (!v || c2list_time_parse(v, modified_ms) < 0) *modified_ms = 0;
    }
    hubdb_done(st);
    return found;
}

/* SHA-256 of the object's text without "modified" (keys sorted): equal
 * digests, same content, so no new version. */
static int content_digest(json_t *obj, char out[65], c2_err *err)
{
    json_t *copy = json_copy(obj);
    json_object_del(copy, "modified");
    char *text = json_dumps(copy, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(copy);
    if (!text) return c2_fail(err, "out of memory");
    c2_sha256_hex(text, strlen(text), out);
    free(text);
    return 0;
}

static int64_t modified_ms(json_t *o)
{
    int64_t ms = 0;
    const char *t = json_string_value(json_object_get(o, "modified"));
    if (t && c2list_time_parse(t, &ms) < 0) ms = 0;
    return ms;
}

static int object_append(hubdb *db, const char *coll, int64_t ind_id, json_t *obj,
                         const char *digest, int64_t prev_seq, c2_err *err)
{
    const char *id = json_string_value(json_object_get(obj, "id"));
    const char *type = json_string_value(json_object_get(obj, "type"));
    char *text = json_dumps(obj, JSON_COMPACT);
    if (!text) return c2_fail(err, "out of memory");
    sqlite3_stmt *st = NULL;
    int rc = -1;
    if (prev_seq > 0) {
        st = hubdb_prepare(db, "UPDATE objects SET latest=0 WHERE seq=?", err);
        if (!st) goto done;
        sqlite3_bind_int64(st, 1, prev_seq);
        if (hubdb_step_done(db, st, "versioning an object", err) < 0) goto done;
    }
    st = hubdb_prepare(db, "INSERT INTO objects(collection, stix_id, type, version,"
                       " added_us, latest, indicator, digest, json)"
                       " VALUES(?,?,?,?,?,1,?,?,?)", err);
    if (!st) goto done;
    sqlite3_bind_text(st, 1, coll, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, id, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, type, -1, SQLITE_STATIC);
    /* marking definitions are never versioned: their version is "created" */
    json_t *v = json_object_get(obj, "modified");
    sqlite3_bind_text(st, 4, json_string_value(v ? v : json_object_get(obj, "created")), -1,
                      SQLITE_STATIC);
    sqlite3_bind_int64(st, 5, hubdb_next_added(db));
    if (ind_id > 0 && type && strcmp(type, "indicator") == 0)
        sqlite3_bind_int64(st, 6, ind_id);
    else
        sqlite3_bind_null(st, 6);
    sqlite3_bind_text(st, 7, digest, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 8, text, -1, SQLITE_STATIC);
    rc = hubdb_step_done(db, st, "storing an object", err);
done:
    free(text);
    return rc;
}

/* Store obj as a new version when it differs from the latest. */
static int object_put(hubdb *db, const char *coll, int64_t ind_id, json_t *obj,
                      c2_err *err)
{
    const char *id = json_string_value(json_object_get(obj, "id"));
    if (!id || !json_string_value(json_object_get(obj, "type")))
        return c2_fail(err, "a rendered object has no id or type");
    char digest[65], prev_digest[65];
    int64_t prev_seq = 0, prev_ms = 0;
    if (content_digest(obj, digest, err) < 0) return -1;
    int have = latest_version(db, coll, id, prev_digest, &prev_ms, &prev_seq, err);
    if (have < 0) return -1;
    if (have && strcmp(prev_digest, digest) == 0) return 0;
    char t[40];
    if (have) {
        int64_t ms = modified_ms(obj), floor = prev_ms + 1;
        json_object_set_new(obj, "modified",
                            json_string(c2_time_format(ms > floor ? ms : floor, t, sizeof t)));
    } else if (!json_object_get(obj, "modified") &&
               strncmp(id, "marking-definition--", 20) != 0) {
        json_object_set_new(obj, "modified",
                            json_string(c2_time_format(hubdb_now_us() / 1000, t, sizeof t)));
    }
    return object_append(db, coll, ind_id, obj, digest, prev_seq, err);
}

int hubdb_publish(hubdb *db, const hubdb_collection *c, int64_t ind_id,
                  hubdb_render_fn render, void *arg, c2_err *err)
{
    hubdb_indicator ind;
    if (hubdb_load_indicator(db, ind_id, &ind, err) < 0 ||
        aggregate(db, c, ind_id, &ind, err) < 0)
        return -1;
    if (ind.reports == 0) return 0;
    json_t *objs = render(arg, &ind, c, err);
    if (!objs) return -1;
    int rc = 0;
    size_t i;
    json_t *o;
    json_array_foreach(objs, i, o) {
        if ((rc = object_put(db, c->id, ind_id, o, err)) < 0) break;
    }
    json_decref(objs);
    return rc;
}

/* ---- the submission ---- */

/* 1 when (member, sid) is stored already; *same says whether with this body. */
static int submission_known(hubdb *db, int64_t member, const hubdb_submission *s,
                            int *same, c2_err *err)
{
    sqlite3_stmt *st = hubdb_prepare(db, "SELECT body_sha256 FROM submissions"
                                     " WHERE member=? AND sid=?", err);
    if (!st) return -1;
    sqlite3_bind_int64(st, 1, member);
    sqlite3_bind_text(st, 2, s->sid, -1, SQLITE_STATIC);
    int known = sqlite3_step(st) == SQLITE_ROW;
    if (known) *same = strcmp((const char *)sqlite3_column_text(st, 0), s->body_sha256) == 0;
    hubdb_done(st);
    return known;
}

static int submission_insert(hubdb *db, int64_t member, const hubdb_submission *s,
                             size_t rows, int64_t *id, c2_err *err)
{
    sqlite3_stmt *st = hubdb_prepare(db, "INSERT INTO submissions(member, sid, body_sha256,"
                                     " format, received_us, as_of_us, tlp, rows)"
                                     " VALUES(?,?,?,?,?,?,?,?)", err);
    if (!st) return -1;
    sqlite3_bind_int64(st, 1, member);
    sqlite3_bind_text(st, 2, s->sid, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, s->body_sha256, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, s->format, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 5, s->received_us);
    sqlite3_bind_int64(st, 6, s->as_of_us);
    sqlite3_bind_int(st, 7, (int)s->tlp);
    sqlite3_bind_int64(st, 8, (int64_t)rows);
    if (hubdb_step_done(db, st, "storing the submission", err) < 0) return -1;
    *id = sqlite3_last_insert_rowid(hubdb_cur->sql);
    return 0;
}

static int submit_rows(hubdb *db, const hubdb_member *m, const hubdb_submission *s,
                       const c2list *l, const evaluation *evals,
                       hubdb_render_fn render, void *arg, c2_err *err)
{
    int64_t sub;
    size_t n = c2list_count(l);
    if (submission_insert(db, m->id, s, n, &sub, err) < 0) return -1;
    hubdb_collection colls[HUBDB_GROUPS_MAX];
    for (size_t g = 0; g < m->ngroups; g++)
        if (collection_ensure(db, m->groups[g], s->tlp, &colls[g], err) < 0) return -1;
    for (size_t i = 0; i < n; i++) {
        const c2_entry *e = c2list_get(l, i);
        int64_t ind;
        if (indicator_upsert(db, e, &evals[i], s->received_us, &ind, err) < 0 ||
            report_insert(db, ind, sub, e, err) < 0)
            return -1;
        for (size_t g = 0; g < m->ngroups; g++)
            if (share_insert(db, colls[g].id, ind, err) < 0 ||
                hubdb_publish(db, &colls[g], ind, render, arg, err) < 0)
                return -1;
    }
    return 0;
}

int hubdb_submit(hubdb *db, const hubdb_member *m, const hubdb_submission *s,
                 const c2list *l, const evaluation *evals,
                 hubdb_render_fn render, void *arg,
                 hubdb_submit_status *status, c2_err *err)
{
    hubdb_enter_write(db);
    int same = 0, rc = hubdb_exec(db, "BEGIN IMMEDIATE", "starting the submission", err);
    if (rc == 0) {
        int known = submission_known(db, m->id, s, &same, err);
        if (known < 0) rc = -1;
        else if (known) *status = same ? HUBDB_DUPLICATE : HUBDB_CONFLICT;
        else {
            *status = HUBDB_STORED;
            rc = submit_rows(db, m, s, l, evals, render, arg, err);
        }
    }
    if (rc == 0) rc = hubdb_exec(db, "COMMIT", "committing the submission", err);
    if (rc < 0) sqlite3_exec(hubdb_cur->sql, "ROLLBACK", NULL, NULL, NULL);
    hubdb_leave(db);
    return rc;
}
