/*
 * hubdb.c: opening the database, its schema, members and their tokens, and
 * the audit log.
 *
 * Tokens are 256 random bits (getrandom), shown once as "c2h_" + base64url;
 * only their SHA-256 is stored.  A salted slow hash would add nothing: a
 * 256-bit random secret cannot be guessed from its hash, and a fast lookup
 * by hash keeps authentication one indexed read per request.
 *
 * The schema is created in one transaction when the file is new and its
 * version is kept in PRAGMA user_version; a file of another version is
 * refused rather than guessed at.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "hubdb/hubdb_impl.h"

#define SCHEMA_VERSION 1

static const char schema[] =
    "CREATE TABLE members(id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE,"
    " purposes TEXT NOT NULL, can_write INTEGER NOT NULL,"
    " token_sha256 BLOB NOT NULL UNIQUE, created_us INTEGER NOT NULL,"
    " revoked_us INTEGER NOT NULL DEFAULT 0);"
    "CREATE TABLE member_groups(member INTEGER NOT NULL REFERENCES members(id),"
    " grp TEXT NOT NULL, PRIMARY KEY(member, grp)) WITHOUT ROWID;"
    "CREATE INDEX member_groups_by_group ON member_groups(grp, member);"
    "CREATE TABLE submissions(id INTEGER PRIMARY KEY,"
    " member INTEGER NOT NULL REFERENCES members(id), sid TEXT NOT NULL,"
    " body_sha256 TEXT NOT NULL, format TEXT NOT NULL,"
    " received_us INTEGER NOT NULL, as_of_us INTEGER NOT NULL,"
    " tlp INTEGER NOT NULL, rows INTEGER NOT NULL, UNIQUE(member, sid));"
    "CREATE TABLE indicators(id INTEGER PRIMARY KEY, ip BLOB NOT NULL,"
    " port INTEGER NOT NULL, proto INTEGER NOT NULL,"
    " country TEXT NOT NULL DEFAULT '', asn INTEGER NOT NULL DEFAULT 0,"
    " as_name TEXT NOT NULL DEFAULT '', excluded INTEGER NOT NULL DEFAULT 0,"
    " exclude_reason TEXT NOT NULL DEFAULT '',"
    " intel_confirmed INTEGER NOT NULL DEFAULT 0,"
    " category TEXT NOT NULL DEFAULT '', intel_first_ms INTEGER NOT NULL DEFAULT 0,"
    " intel_source TEXT NOT NULL DEFAULT '', decision TEXT NOT NULL DEFAULT '',"
    " decision_note TEXT NOT NULL DEFAULT '', decision_by TEXT NOT NULL DEFAULT '',"
    " decision_us INTEGER NOT NULL DEFAULT 0, last_report_us INTEGER NOT NULL DEFAULT 0,"
    " UNIQUE(ip, port, proto));"
    "CREATE TABLE reports(indicator INTEGER NOT NULL REFERENCES indicators(id),"
    " submission INTEGER NOT NULL REFERENCES submissions(id),"
    " first_seen_ms INTEGER NOT NULL, last_seen_ms INTEGER NOT NULL,"
    " score REAL NOT NULL, infected_clients INTEGER NOT NULL,"
    " clients INTEGER NOT NULL, days_seen INTEGER NOT NULL,"
    " category TEXT NOT NULL,"
    " PRIMARY KEY(indicator, submission)) WITHOUT ROWID;"
    "CREATE INDEX reports_by_submission ON reports(submission);"
    "CREATE TABLE collections(id TEXT PRIMARY KEY, grp TEXT NOT NULL,"
    " tlp INTEGER NOT NULL, UNIQUE(grp, tlp));"
    "CREATE TABLE shares(collection TEXT NOT NULL REFERENCES collections(id),"
    " indicator INTEGER NOT NULL REFERENCES indicators(id),"
    " PRIMARY KEY(collection, indicator)) WITHOUT ROWID;"
    "CREATE INDEX shares_by_indicator ON shares(indicator);"
    "CREATE TABLE objects(seq INTEGER PRIMARY KEY AUTOINCREMENT,"
    " collection TEXT NOT NULL REFERENCES collections(id), stix_id TEXT NOT NULL,"
    " type TEXT NOT NULL, version TEXT NOT NULL, added_us INTEGER NOT NULL,"
    " latest INTEGER NOT NULL, indicator INTEGER, digest TEXT NOT NULL,"
    " json TEXT NOT NULL);"
    "CREATE INDEX objects_by_seq ON objects(collection, seq);"
    "CREATE INDEX objects_latest ON objects(collection, latest, seq);"
    "CREATE INDEX objects_by_id ON objects(collection, stix_id, seq);"
    "CREATE INDEX objects_by_added ON objects(added_us);"
    "CREATE TABLE audit(seq INTEGER PRIMARY KEY AUTOINCREMENT, at_us INTEGER NOT NULL,"
    " actor TEXT NOT NULL, action TEXT NOT NULL, object TEXT NOT NULL,"
    " detail TEXT NOT NULL);"
    "CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit"
    " BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;"
    "CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit"
    " BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;";

/* ---- connections and statements ---- */

static void audit_flush(hubdb *db);
static void event_free(hubdb_event *e);

_Thread_local hubdb_conn *hubdb_cur;

void hubdb_enter_write(hubdb *db)
{
    pthread_mutex_lock(&db->writer.lock);
    hubdb_cur = &db->writer;
}

void hubdb_enter_read(hubdb *db)
{
    unsigned start = atomic_fetch_add(&db->next_reader, 1);
    for (unsigned i = 0; i < HUBDB_READERS; i++) {
        hubdb_conn *c = &db->readers[(start + i) % HUBDB_READERS];
        if (pthread_mutex_trylock(&c->lock) == 0) { hubdb_cur = c; return; }
    }
    hubdb_conn *c = &db->readers[start % HUBDB_READERS];
    pthread_mutex_lock(&c->lock);
    hubdb_cur = c;
}

void hubdb_leave(hubdb *db)
{
    hubdb_conn *c = hubdb_cur;
    if (c == &db->writer && sqlite3_get_autocommit(c->sql)) audit_flush(db);
    hubdb_cur = NULL;
    pthread_mutex_unlock(&c->lock);
}

int hubdb_fail(hubdb *db, const char *what, c2_err *err)
{
    (void)db;
    return c2_fail(err, "%s: %s", what, sqlite3_errmsg(hubdb_cur->sql));
}

int hubdb_exec(hubdb *db, const char *sql, const char *what, c2_err *err)
{
    (void)db;
    char *msg = NULL;
    if (sqlite3_exec(hubdb_cur->sql, sql, NULL, NULL, &msg) == SQLITE_OK) return 0;
    c2_fail(err, "%s: %s", what, msg ? msg : sqlite3_errmsg(hubdb_cur->sql));
    sqlite3_free(msg);
    return -1;
}

sqlite3_stmt *hubdb_prepare_dynamic(hubdb *db, const char *sql, c2_err *err)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(hubdb_cur->sql, sql, -1, &st, NULL) != SQLITE_OK) {
        hubdb_fail(db, "preparing a statement", err);
        return NULL;
    }
    return st;
}

sqlite3_stmt *hubdb_prepare(hubdb *db, const char *sql, c2_err *err)
{
    hubdb_conn *c = hubdb_cur;
    for (size_t i = 0; i < c->ncached; i++)
        if (c->cached_sql[i] == sql) return c->cached[i];
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v3(c->sql, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL) != SQLITE_OK) {
        hubdb_fail(db, "preparing a statement", err);
        return NULL;
    }
    if (c->ncached < HUBDB_STMT_CACHE) {
        c->cached_sql[c->ncached] = sql;
        c->cached[c->ncached++] = st;
    }
    /* beyond the cache (never with this module's statements) it leaks
     * until close: sqlite3_close_v2 finalizes what is left */
    return st;
}

void hubdb_done(sqlite3_stmt *st)
{
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
}

int hubdb_step_done(hubdb *db, sqlite3_stmt *st, const char *what, c2_err *err)
{
    int rc = sqlite3_step(st);
    int ok = rc == SQLITE_DONE || rc == SQLITE_ROW;
    if (!ok) hubdb_fail(db, what, err);
    hubdb_done(st);
    return ok ? 0 : -1;
}

void hubdb_col_text(sqlite3_stmt *st, int col, char *buf, size_t len)
{
    const unsigned char *t = sqlite3_column_text(st, col);
    snprintf(buf, len, "%s", t ? (const char *)t : "");
}

int64_t hubdb_now_us(void)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    return (int64_t)tv.tv_sec * 1000000 + tv.tv_usec;
}

int64_t hubdb_next_added(hubdb *db)
{
    int64_t now = hubdb_now_us();
    db->last_added_us = now > db->last_added_us ? now : db->last_added_us + 1;
    return db->last_added_us;
}

char *hubdb_time_us(int64_t us, char *buf, size_t len)
{
    char ms[40];
    int64_t frac = us % 1000000;
    if (frac < 0) frac += 1000000;
    c2_time_format((us - frac) / 1000, ms, sizeof ms);
    char *cut = strchr(ms, '.');        /* "...:SS.000Z" or "...:SSZ" */
    if (!cut) cut = strchr(ms, 'Z');
    if (cut) *cut = '\0';
    snprintf(buf, len, "%.30s.%06lldZ", ms, (long long)frac);   /* bounded: at most 39 */
    return buf;
}

/* ---- opening ---- */

static int schema_check(hubdb *db, c2_err *err)
{
    sqlite3_stmt *st = hubdb_prepare(db, "PRAGMA user_version", err);
    if (!st) return -1;
    int version = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int(st, 0) : -1;
    hubdb_done(st);
    if (version == SCHEMA_VERSION) return 0;
    if (version != 0) return c2_fail(err, "schema version %d, this c2flow knows %d",
                                     version, SCHEMA_VERSION);
    char sql[sizeof schema + 64];
    snprintf(sql, sizeof sql, "BEGIN;%sPRAGMA user_version=%d;COMMIT;", schema,
             SCHEMA_VERSION);
    if (hubdb_exec(db, sql, "creating the schema", err) == 0) return 0;
    sqlite3_exec(hubdb_cur->sql, "ROLLBACK", NULL, NULL, NULL);
    return -1;
}

static int load_last_added(hubdb *db, c2_err *err)
{
    sqlite3_stmt *st = hubdb_prepare(db, "SELECT coalesce(max(added_us),0) FROM objects", err);
    if (!st) return -1;
    if (sqlite3_step(st) == SQLITE_ROW) db->last_added_us = sqlite3_column_int64(st, 0);
    hubdb_done(st);
    return 0;
}

static int conn_open(hubdb_conn *c, const char *path, int flags, c2_err *err)
{
    pthread_mutex_init(&c->lock, NULL);
    if (dynlib_need(DYNLIB_SQLITE, err) != 0) return -1;
    if (sqlite3_open_v2(path, &c->sql, flags | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK)
        return c2_fail(err, "%s: %s", path, c->sql ? sqlite3_errmsg(c->sql) : "cannot open");
    sqlite3_busy_timeout(c->sql, 30000);
    return 0;
}

static void conn_close(hubdb_conn *c)
{
    for (size_t i = 0; i < c->ncached; i++) sqlite3_finalize(c->cached[i]);
    if (c->sql) sqlite3_close_v2(c->sql);
    pthread_mutex_destroy(&c->lock);
}

/* The writer, the schema, then the readers (which need the schema). */
static int open_all(hubdb *db, const char *path, c2_err *err)
{
    if (conn_open(&db->writer, path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, err) < 0)
        return -1;
    hubdb_enter_write(db);
    int rc = hubdb_exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
                        " PRAGMA foreign_keys=ON; PRAGMA cache_size=-65536;", "setting up", err);
    if (rc == 0) rc = schema_check(db, err);
    if (rc == 0) rc = load_last_added(db, err);
    hubdb_leave(db);
    for (int i = 0; rc == 0 && i < HUBDB_READERS; i++) {
        rc = conn_open(&db->readers[i], path, SQLITE_OPEN_READONLY, err);
        if (rc == 0)
            sqlite3_exec(db->readers[i].sql, "PRAGMA cache_size=-16384", NULL, NULL, NULL);
    }
    if (rc < 0) c2_err_prefix(err, "%s", path);
    return rc;
}

int hubdb_open(const char *path, hubdb **out, c2_err *err)
{
    *out = NULL;
    hubdb *db = calloc(1, sizeof *db);
    if (!db) return c2_fail(err, "out of memory");
    pthread_mutex_init(&db->audit_lock, NULL);
    if (open_all(db, path, err) < 0) {
        hubdb_close(db);
        return -1;
    }
    *out = db;
    return 0;
}

void hubdb_close(hubdb *db)
{
    if (!db) return;
    if (db->writer.sql) {               /* write what the audit queue holds */
        hubdb_enter_write(db);
        hubdb_leave(db);
    }
    for (int i = 0; i < HUBDB_READERS; i++)
        if (db->readers[i].sql) conn_close(&db->readers[i]);
    conn_close(&db->writer);
    for (size_t i = 0; i < db->nevents; i++) event_free(&db->events[i]);
    free(db->events);
    pthread_mutex_destroy(&db->audit_lock);
    free(db);
}

/* ---- members ---- */

static void token_new(char token[HUBDB_TOKEN_LEN])
{
    static const char b64[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    uint8_t r[32];
    c2_random(r, sizeof r);
    char *p = token + sprintf(token, "c2h_");
    uint32_t acc = 0;
    int bits = 0;
    for (size_t i = 0; i < sizeof r; i++) {
        acc = acc << 8 | r[i];
        bits += 8;
        while (bits >= 6) { *p++ = b64[(acc >> (bits - 6)) & 63]; bits -= 6; }
    }
    if (bits > 0) *p++ = b64[(acc << (6 - bits)) & 63];
    *p = '\0';
}

static void token_hash(const char *token, uint8_t out[32])
{
    c2_sha256(token, strlen(token), out);
}

static int name_check(const char *what, const char *s, c2_err *err)
{
    size_t n = strlen(s);
    if (n == 0 || n >= HUBDB_NAME_MAX)
        return c2_fail(err, "%s must be 1-%d characters", what, HUBDB_NAME_MAX - 1);
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (!(ch >= 'a' && ch <= 'z') && !(ch >= 'A' && ch <= 'Z') &&
            !(ch >= '0' && ch <= '9') && !strchr("._-", ch))
            return c2_fail(err, "%s \"%s\": only letters, digits, '.', '_' and '-'",
                           what, s);
    }
    return 0;
}

static int member_insert(hubdb *db, const char *name, const char *const *groups,
                         size_t ngroups, const char *purposes, int can_write,
                         const char *token, c2_err *err)
{
    uint8_t h[32];
    token_hash(token, h);
    sqlite3_stmt *st = hubdb_prepare(db, "INSERT INTO members(name, purposes, can_write,"
                                     " token_sha256, created_us) VALUES(?,?,?,?,?)", err);
    if (!st) return -1;
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, purposes ? purposes : "", -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 3, can_write ? 1 : 0);
    sqlite3_bind_blob(st, 4, h, sizeof h, SQLITE_STATIC);
    sqlite3_bind_int64(st, 5, hubdb_now_us());
    if (sqlite3_step(st) != SQLITE_DONE) {
        int dup = sqlite3_extended_errcode(hubdb_cur->sql) == SQLITE_CONSTRAINT_UNIQUE;
        hubdb_done(st);
        return dup ? c2_fail(err, "member \"%s\" exists already", name)
                   : hubdb_fail(db, "adding the member", err);
    }
    hubdb_done(st);
    int64_t id = sqlite3_last_insert_rowid(hubdb_cur->sql);
    for (size_t i = 0; i < ngroups; i++) {
        st = hubdb_prepare(db, "INSERT OR IGNORE INTO member_groups VALUES(?,?)", err);
        if (!st) return -1;
        sqlite3_bind_int64(st, 1, id);
        sqlite3_bind_text(st, 2, groups[i], -1, SQLITE_STATIC);
        if (hubdb_step_done(db, st, "adding a group", err) < 0) return -1;
    }
    return 0;
}

int hubdb_member_add(hubdb *db, const char *name, const char *const *groups,
                     size_t ngroups, const char *purposes, int can_write,
                     char token[HUBDB_TOKEN_LEN], c2_err *err)
{
    if (name_check("a member name", name, err) < 0) return -1;
    if (ngroups == 0) return c2_fail(err, "a member needs at least one trust group");
    if (ngroups > HUBDB_GROUPS_MAX)
        return c2_fail(err, "at most %d groups per member", HUBDB_GROUPS_MAX);
    for (size_t i = 0; i < ngroups; i++)
        if (name_check("a group name", groups[i], err) < 0) return -1;
    if (purposes && strlen(purposes) >= HUBDB_TEXT_MAX)
        return c2_fail(err, "purposes: at most %d characters", HUBDB_TEXT_MAX - 1);
    token_new(token);
    hubdb_enter_write(db);
    int rc = hubdb_exec(db, "BEGIN IMMEDIATE", "adding the member", err);
    if (rc == 0) rc = member_insert(db, name, groups, ngroups, purposes, can_write,
                                    token, err);
    if (rc == 0) rc = hubdb_exec(db, "COMMIT", "adding the member", err);
    else sqlite3_exec(hubdb_cur->sql, "ROLLBACK", NULL, NULL, NULL);
    hubdb_leave(db);
    if (rc < 0) memset(token, 0, HUBDB_TOKEN_LEN);
    return rc;
}

int hubdb_member_revoke(hubdb *db, const char *name, c2_err *err)
{
    hubdb_enter_write(db);
    int rc = -1;
    sqlite3_stmt *st = hubdb_prepare(db, "UPDATE members SET revoked_us=? WHERE name=?"
                                     " AND revoked_us=0", err);
    if (st) {
        sqlite3_bind_int64(st, 1, hubdb_now_us());
        sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
        rc = hubdb_step_done(db, st, "revoking", err);
        if (rc == 0 && sqlite3_changes(hubdb_cur->sql) == 0)
            rc = c2_fail(err, "no active member \"%s\"", name);
    }
    hubdb_leave(db);
    return rc;
}

int hubdb_load_groups(hubdb *db, hubdb_member *m, c2_err *err)
{
    sqlite3_stmt *st = hubdb_prepare(db, "SELECT grp FROM member_groups WHERE member=?"
                                     " ORDER BY grp", err);
    if (!st) return -1;
    sqlite3_bind_int64(st, 1, m->id);
    m->ngroups = 0;
    while (sqlite3_step(st) == SQLITE_ROW && m->ngroups < HUBDB_GROUPS_MAX)
        hubdb_col_text(st, 0, m->groups[m->ngroups++], HUBDB_NAME_MAX);
    hubdb_done(st);
    return 0;
}

#define MEMBER_COLUMNS "id, name, purposes, can_write, created_us, revoked_us"

static void member_row(sqlite3_stmt *st, hubdb_member *m)
{
    memset(m, 0, sizeof *m);
    m->id = sqlite3_column_int64(st, 0);
    hubdb_col_text(st, 1, m->name, sizeof m->name);
    hubdb_col_text(st, 2, m->purposes, sizeof m->purposes);
    m->can_write = sqlite3_column_int(st, 3);
    m->created_us = sqlite3_column_int64(st, 4);
    m->revoked_us = sqlite3_column_int64(st, 5);
}

int hubdb_member_list(hubdb *db, hubdb_member **out, size_t *n, c2_err *err)
{
    *out = NULL;
    *n = 0;
    hubdb_enter_read(db);
    int rc = -1;
    size_t cap = 0;
    hubdb_member *v = NULL;
    sqlite3_stmt *st = hubdb_prepare(db, "SELECT " MEMBER_COLUMNS " FROM members"
                                     " ORDER BY name", err);
    if (!st) goto done;
    while (sqlite3_step(st) == SQLITE_ROW) {
        if (*n == cap) {
            cap = cap ? cap * 2 : 16;
            hubdb_member *nv = realloc(v, cap * sizeof *v);
            if (!nv) { hubdb_done(st); c2_fail(err, "out of memory"); goto done; }
            v = nv;
        }
        member_row(st, &v[*n]);
        (*n)++;
    }
    hubdb_done(st);
    rc = 0;
    for (size_t i = 0; i < *n && rc == 0; i++) rc = hubdb_load_groups(db, &v[i], err);
done:
    hubdb_leave(db);
    if (rc < 0) { free(v); *n = 0; return -1; }
    *out = v;
    return 0;
}

int hubdb_member_auth(hubdb *db, const char *token, const char *name,
                      hubdb_member *out, c2_err *err)
{
    uint8_t h[32];
    token_hash(token, h);
    hubdb_enter_read(db);
    int rc = -1;
    sqlite3_stmt *st = hubdb_prepare(db, "SELECT " MEMBER_COLUMNS " FROM members"
                                     " WHERE token_sha256=? AND revoked_us=0", err);
    if (st) {
        sqlite3_bind_blob(st, 1, h, sizeof h, SQLITE_STATIC);
        rc = 0;
        if (sqlite3_step(st) == SQLITE_ROW) {
            member_row(st, out);
            rc = !name || strcmp(name, out->name) == 0;
        }
        hubdb_done(st);
        if (rc == 1 && hubdb_load_groups(db, out, err) < 0) rc = -1;
    }
    hubdb_leave(db);
    return rc;
}

int hubdb_member_in_group(const hubdb_member *m, const char *group)
{
    for (size_t i = 0; i < m->ngroups; i++)
        if (strcmp(m->groups[i], group) == 0) return 1;
    return 0;
}

/* ---- audit ---- */

static char *dup_or_empty(const char *s)
{
    return strdup(s ? s : "");
}

static void event_free(hubdb_event *e)
{
    free(e->actor);
    free(e->action);
    free(e->object);
    free(e->detail);
}

int hubdb_audit(hubdb *db, const char *actor, const char *action, const char *object,
                const char *detail, c2_err *err)
{
    hubdb_event e = {.at_us = hubdb_now_us(), .actor = dup_or_empty(actor),
                     .action = dup_or_empty(action), .object = dup_or_empty(object),
                     .detail = dup_or_empty(detail)};
    int rc = 0;
    pthread_mutex_lock(&db->audit_lock);
    if (!e.actor || !e.action || !e.object || !e.detail) {
        rc = c2_fail(err, "out of memory");
    } else if (db->nevents == db->capevents) {
        size_t cap = db->capevents ? db->capevents * 2 : 256;
        hubdb_event *v = realloc(db->events, cap * sizeof *v);
        if (v) { db->events = v; db->capevents = cap; }
        else rc = c2_fail(err, "out of memory");
    }
    if (rc == 0) db->events[db->nevents++] = e;
    pthread_mutex_unlock(&db->audit_lock);
    if (rc < 0) { event_free(&e); return -1; }
    /* write now if the writer is free; else whoever holds it will */
    if (pthread_mutex_trylock(&db->writer.lock) == 0) {
        hubdb_cur = &db->writer;
        hubdb_leave(db);
    }
    return 0;
}

/* Write the queued events, with the writer entered and no transaction open. */
static void audit_flush(hubdb *db)
{
    pthread_mutex_lock(&db->audit_lock);
    hubdb_event *v = db->events;
    size_t n = db->nevents;
    db->events = NULL;
    db->nevents = db->capevents = 0;
    pthread_mutex_unlock(&db->audit_lock);
    if (n == 0) return;
    c2_err err;
    int rc = hubdb_exec(db, "BEGIN IMMEDIATE", "writing the audit log", &err);
    for (size_t i = 0; i < n && rc == 0; i++) {
        sqlite3_stmt *st = hubdb_prepare(db, "INSERT INTO audit(at_us, actor, action, object,"
                                         " detail) VALUES(?,?,?,?,?)", &err);
        if (!st) { rc = -1; break; }
        sqlite3_bind_int64(st, 1, v[i].at_us);
        sqlite3_bind_text(st, 2, v[i].actor, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 3, v[i].action, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 4, v[i].object, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 5, v[i].detail, -1, SQLITE_STATIC);
        rc = hubdb_step_done(db, st, "writing the audit log", &err);
    }
    if (rc == 0) rc = hubdb_exec(db, "COMMIT", "writing the audit log", &err);
    if (rc < 0) {
        sqlite3_exec(hubdb_cur->sql, "ROLLBACK", NULL, NULL, NULL);
        fprintf(stderr, "c2flow hub: %zu audit events lost: %s\n", n, err.msg);
    }
    for (size_t i = 0; i < n; i++) event_free(&v[i]);
    free(v);
}

int hubdb_audit_dump(hubdb *db, int64_t after_seq, FILE *f, c2_err *err)
{
    hubdb_enter_write(db);              /* leaving writes the queue */
    hubdb_leave(db);
    hubdb_enter_read(db);
    int rc = -1;
    sqlite3_stmt *st = hubdb_prepare(db, "SELECT seq, at_us, actor, action, object, detail"
                                     " FROM audit WHERE seq > ? ORDER BY seq", err);
    if (st) {
        sqlite3_bind_int64(st, 1, after_seq);
        rc = 0;
        while (rc == 0 && sqlite3_step(st) == SQLITE_ROW) {
            char t[40];
            json_t *o = json_pack("{sI ss ss ss ss ss}",
                "seq", (json_int_t)sqlite3_column_int64(st, 0),
                "at", hubdb_time_us(sqlite3_column_int64(st, 1), t, sizeof t),
                "actor", (const char *)sqlite3_column_text(st, 2),
                "action", (const char *)sqlite3_column_text(st, 3),
                "object", (const char *)sqlite3_column_text(st, 4),
                "detail", (const char *)sqlite3_column_text(st, 5));
            if (!o || json_dumpf(o, f, JSON_COMPACT) < 0 || fputc('\n', f) == EOF)
                rc = c2_fail_errno(err, "writing the audit log");
            json_decref(o);
        }
        hubdb_done(st);
    }
    hubdb_leave(db);
    return rc;
}
