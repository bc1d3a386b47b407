/*
 * test_hubdb.c: the hub's database: members and tokens, the append-only
 * audit log, submissions stored whole and idempotently, what each trust
 * group sees, object versions and paging, and analysts' decisions.
 *
 * Objects are rendered by a small test renderer (one object per
 * indicator, its modified = the aggregate's last_seen, "revoked" when
 * withdrawn), so these tests do not depend on the STIX exporter.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "hubdb/hubdb.h"

static char dbpath[512];

static int setup(void **state)
{
    (void)state;
    const char *tmp = getenv("C2FLOW_TEST_TMP");
    char dir[400];
    snprintf(dir, sizeof dir, "%s/hubdb-XXXXXX", tmp ? tmp : "/tmp");
    c2_err err;
    if (tmp && c2_mkdir_p(tmp, C2_SHARED, &err) < 0) return -1;
    if (!mkdtemp(dir)) return -1;
    snprintf(dbpath, sizeof dbpath, "%s/hub.db", dir);
    return 0;
}

static hubdb *open_db(void)
{
    hubdb *db;
    c2_err err;
    unlink(dbpath);
    assert_int_equal(hubdb_open(dbpath, &db, &err), 0);
    return db;
}

static void add(hubdb *db, const char *name, const char *g1, const char *g2,
                char token[HUBDB_TOKEN_LEN], hubdb_member *m)
{
    const char *groups[2] = {g1, g2};
    c2_err err;
    assert_int_equal(hubdb_member_add(db, name, groups, g2 ? 2 : 1, "defence", 1, token, &err), 0);
    assert_int_equal(hubdb_member_auth(db, token, NULL, m, &err), 1);
}

/* ---- the test renderer ---- */

static int renders, withdrawn_renders;

static json_t *render(void *arg, const hubdb_indicator *ind, const hubdb_collection *c,
                      c2_err *err)
{
    (void)arg; (void)c; (void)err;
    char ip[64], id[128], t[40];
    renders++;
    withdrawn_renders += ind->withdrawn;
    snprintf(id, sizeof id, "indicator--%s-%u", flow_addr_format(&ind->entry.ip, ip, sizeof ip),
             ind->entry.port);
    json_t *o = json_pack("{ss ss ss sI sI sI}", "type", "indicator", "id", id, "modified",
                          c2_time_format(ind->entry.last_seen, t, sizeof t),
                          "first", (json_int_t)ind->entry.first_seen,
                          "members", (json_int_t)ind->members,
                          "last", (json_int_t)ind->entry.last_seen);
    if (ind->withdrawn) json_object_set_new(o, "revoked", json_true());
    return json_pack("[o]", o);
}

static c2list *list_of(const char *const *ips, size_t n, int64_t first, int64_t last)
{
    c2list *l = c2list_new();
    c2_err err;
    for (size_t i = 0; i < n; i++) {
        c2_entry e;
        c2_entry_init(&e);
        assert_int_equal(flow_addr_parse(ips[i], &e.ip), 0);
        e.port = 443;
        e.proto = 6;
        e.first_seen = first;
        e.last_seen = last;
        e.score = 50;
        assert_int_equal(c2list_add(l, &e, &err), 0);
    }
    return l;
}

static hubdb_submit_status submit(hubdb *db, const hubdb_member *m, const char *sid,
                                  const char *sha, const c2list *l)
{
    evaluation ev[16];
    memset(ev, 0, sizeof ev);
    hubdb_submission s = {.sid = sid, .body_sha256 = sha, .format = "csv",
                          .received_us = hubdb_now_us(), .tlp = EXPORT_TLP_AMBER};
    s.as_of_us = s.received_us;
    hubdb_submit_status st;
    c2_err err;
    assert_int_equal(hubdb_submit(db, m, &s, l, ev, render, NULL, &st, &err), 0);
    return st;
}

/* ---- tests ---- */

static void test_members(void **state)
{
    (void)state;
    hubdb *db = open_db();
    char token[HUBDB_TOKEN_LEN], other[HUBDB_TOKEN_LEN];
    hubdb_member m;
    c2_err err;
    add(db, "isp-a", "isac", NULL, token, &m);
    assert_int_equal(strlen(token), 47);
    assert_memory_equal(token, "c2h_", 4);
    assert_string_equal(m.name, "isp-a");
    assert_int_equal(m.ngroups, 1);
    assert_string_equal(m.groups[0], "isac");
    assert_int_equal(hubdb_member_auth(db, token, "isp-a", &m, &err), 1);
    assert_int_equal(hubdb_member_auth(db, token, "isp-b", &m, &err), 0);
    assert_int_equal(hubdb_member_auth(db, "c2h_nope", NULL, &m, &err), 0);
    const char *g[1] = {"isac"};
    assert_int_equal(hubdb_member_add(db, "isp-a", g, 1, "", 1, other, &err), -1);
    assert_non_null(strstr(err.msg, "exists"));
    assert_int_equal(hubdb_member_add(db, "bad name", g, 1, "", 1, other, &err), -1);
    assert_int_equal(hubdb_member_add(db, "nogroup", g, 0, "", 1, other, &err), -1);
    assert_int_equal(hubdb_member_revoke(db, "isp-a", &err), 0);
    assert_int_equal(hubdb_member_auth(db, token, NULL, &m, &err), 0);
    assert_int_equal(hubdb_member_revoke(db, "isp-a", &err), -1);
    hubdb_member *all;
    size_t n;
    assert_int_equal(hubdb_member_list(db, &all, &n, &err), 0);
    assert_int_equal(n, 1);
    assert_true(all[0].revoked_us > 0);
    free(all);
    hubdb_close(db);
}

static void test_audit_append_only(void **state)
{
    (void)state;
    hubdb *db = open_db();
    c2_err err;
    assert_int_equal(hubdb_audit(db, "isp-a", "submit", "s1", "rows=3", &err), 0);
    sqlite3 *raw;
    assert_int_equal(sqlite3_open(dbpath, &raw), SQLITE_OK);
    assert_int_not_equal(sqlite3_exec(raw, "DELETE FROM audit", NULL, NULL, NULL), SQLITE_OK);
    assert_int_not_equal(sqlite3_exec(raw, "UPDATE audit SET actor='x'", NULL, NULL, NULL),
                         SQLITE_OK);
    sqlite3_close(raw);
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    assert_int_equal(hubdb_audit_dump(db, 0, f, &err), 0);
    fclose(f);
    assert_non_null(strstr(text, "\"action\":\"submit\""));
    assert_non_null(strstr(text, "\"detail\":\"rows=3\""));
    free(text);
    hubdb_close(db);
}

static void test_submit_idempotent_and_visibility(void **state)
{
    (void)state;
    hubdb *db = open_db();
    char ta[HUBDB_TOKEN_LEN], tb[HUBDB_TOKEN_LEN], tc[HUBDB_TOKEN_LEN];
    hubdb_member a, b, c;
    add(db, "isp-a", "isac", NULL, ta, &a);
    add(db, "isp-b", "isac", NULL, tb, &b);
    add(db, "isp-c", "other", NULL, tc, &c);
    const char *ips_a[] = {"45.1.1.1", "45.1.1.2"};
    const char *ips_b[] = {"45.1.1.2", "45.1.1.3"};
    c2list *la = list_of(ips_a, 2, 1000000, 2000000);
    c2list *lb = list_of(ips_b, 2, 500000, 3000000);
    c2_err err;
    assert_int_equal(c2list_set_category(la, 0, "Mirai", &err), 0);
    assert_int_equal(submit(db, &a, "s1", "h1", la), HUBDB_STORED);
    assert_int_equal(submit(db, &a, "s1", "h1", la), HUBDB_DUPLICATE);
    assert_int_equal(submit(db, &a, "s1", "h2", lb), HUBDB_CONFLICT);
    assert_int_equal(submit(db, &b, "s1", "h3", lb), HUBDB_STORED);  /* ids are per member */

    c2list *seen;
    int64_t first, last;
    int tlp_max;
    assert_int_equal(hubdb_member_list_entries(db, &a, 0, -1, &seen, &first, &last, &tlp_max, &err), 0);
    assert_int_equal(c2list_count(seen), 3);
    flow_addr mirai;
    flow_addr_parse("45.1.1.1", &mirai);
    assert_string_equal(c2list_find(seen, &mirai, 443, 6)->category, "Mirai");
    flow_addr shared;
    flow_addr_parse("45.1.1.2", &shared);
    const c2_entry *e = c2list_find(seen, &shared, 443, 6);
    assert_non_null(e);
    assert_int_equal(e->first_seen, 500000);     /* earliest of both reports */
    assert_int_equal(e->last_seen, 3000000);     /* latest */
    assert_true(first > 0 && last >= first);
    c2list_free(seen);

    /* nothing new after the last change; the other group sees nothing */
    assert_int_equal(hubdb_member_list_entries(db, &a, last, -1, &seen, &first, &last, &tlp_max, &err), 0);
    assert_int_equal(c2list_count(seen), 0);
    c2list_free(seen);
    assert_int_equal(hubdb_member_list_entries(db, &c, 0, -1, &seen, &first, &last, &tlp_max, &err), 0);
    assert_int_equal(c2list_count(seen), 0);
    c2list_free(seen);
    hubdb_collection *cs;
    size_t n;
    assert_int_equal(hubdb_collections(db, &c, &cs, &n, &err), 0);
    assert_int_equal(n, 0);
    free(cs);
    c2list_free(la);
    c2list_free(lb);
    hubdb_close(db);
}

/* Every object version exactly once, whatever the page size. */
static size_t page_through(hubdb *db, const char *coll, size_t limit, int all, char ids[][160])
{
    hubdb_object_query q = {.collection = coll, .limit = limit, .versions = all ? "all" : NULL};
    size_t total = 0;
    c2_err err;
    for (;;) {
        hubdb_objects o;
        assert_int_equal(hubdb_objects_get(db, &q, &o, &err), 0);
        for (size_t i = 0; i < o.n; i++) {
            snprintf(ids[total++], 160, "%s@%s", o.v[i].stix_id, o.v[i].version);
            if (i) assert_true(o.v[i].added_us > o.v[i - 1].added_us);
        }
        int more = o.more;
        if (o.n) q.after_seq = o.v[o.n - 1].seq;
        hubdb_objects_free(&o);
        if (!more) break;
    }
    return total;
}

static void test_versions_and_paging(void **state)
{
    (void)state;
    hubdb *db = open_db();
    char ta[HUBDB_TOKEN_LEN];
    hubdb_member a;
    add(db, "isp-a", "isac", NULL, ta, &a);
    const char *ips[] = {"45.2.0.1", "45.2.0.2", "45.2.0.3", "45.2.0.4", "45.2.0.5"};
    c2list *l1 = list_of(ips, 5, 1000, 86400000);
    c2list *l2 = list_of(ips, 2, 1000, 2 * 86400000LL);   /* two seen again later */
    c2list *l3 = list_of(ips, 2, 1000, 2 * 86400000LL);   /* the same again: no change */
    assert_int_equal(submit(db, &a, "d1", "h1", l1), HUBDB_STORED);
    assert_int_equal(submit(db, &a, "d2", "h2", l2), HUBDB_STORED);
    assert_int_equal(submit(db, &a, "d3", "h3", l3), HUBDB_STORED);
    hubdb_collection *cs;
    size_t n;
    c2_err err;
    assert_int_equal(hubdb_collections(db, &a, &cs, &n, &err), 0);
    assert_int_equal(n, 1);
    assert_int_equal(cs[0].tlp, EXPORT_TLP_AMBER);
    char big[32][160], small[32][160];
    size_t nb = page_through(db, cs[0].id, 100, 1, big);
    size_t ns = page_through(db, cs[0].id, 1, 1, small);
    assert_int_equal(nb, 7);                     /* 5 first versions + 2 new ones */
    assert_int_equal(ns, nb);
    for (size_t i = 0; i < nb; i++) assert_string_equal(big[i], small[i]);
    for (size_t i = 0; i < nb; i++)
        for (size_t j = i + 1; j < nb; j++) assert_string_not_equal(big[i], big[j]);
    assert_int_equal(page_through(db, cs[0].id, 2, 0, big), 5);  /* latest only */
    free(cs);
    c2list_free(l1);
    c2list_free(l2);
    c2list_free(l3);
    hubdb_close(db);
}

static void test_decision_withdraws(void **state)
{
    (void)state;
    hubdb *db = open_db();
    char ta[HUBDB_TOKEN_LEN];
    hubdb_member a;
    add(db, "isp-a", "isac", NULL, ta, &a);
    const char *ips[] = {"45.3.0.1", "45.3.0.2"};
    c2list *l = list_of(ips, 2, 1000, 2000);
    assert_int_equal(submit(db, &a, "x", "hx", l), HUBDB_STORED);
    flow_addr ip;
    flow_addr_parse("45.3.0.1", &ip);
    c2_err err;
    withdrawn_renders = 0;
    assert_int_equal(hubdb_decide(db, &ip, 443, 6, "rejected", "a CDN", "alice", render, NULL,
                                  &err), 0);
    assert_int_equal(withdrawn_renders, 1);
    assert_int_equal(hubdb_decide(db, &ip, 444, 6, "rejected", "", "alice", render, NULL, &err),
                     -1);
    c2list *seen;
    int64_t first, last;
    int tlp_max;
    assert_int_equal(hubdb_member_list_entries(db, &a, 0, -1, &seen, &first, &last, &tlp_max, &err), 0);
    assert_int_equal(c2list_count(seen), 1);
    assert_null(c2list_find(seen, &ip, 443, 6));
    c2list_free(seen);
    hubdb_indicator *v;
    size_t n;
    assert_int_equal(hubdb_indicators(db, 1, &v, &n, &err), 0);
    assert_int_equal(n, 1);                      /* the rejected one is decided */
    free(v);
    assert_int_equal(hubdb_indicators(db, 0, &v, &n, &err), 0);
    assert_int_equal(n, 2);
    free(v);
    hubdb_report_row *rows;
    assert_int_equal(hubdb_report_rows(db, &rows, &n, &err), 0);
    assert_int_equal(n, 2);
    int excluded = rows[0].excluded + rows[1].excluded;
    assert_int_equal(excluded, 1);
    free(rows);
    c2list_free(l);
    hubdb_close(db);
}

static void test_time_format(void **state)
{
    (void)state;
    char t[40];
    assert_string_equal(hubdb_time_us(1767225600123456LL, t, sizeof t),
                        "2026-01-01T00:00:00.123456Z");
    assert_string_equal(hubdb_time_us(1767225600000001LL, t, sizeof t),
                        "2026-01-01T00:00:00.000001Z");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_members),
        cmocka_unit_test(test_audit_append_only),
        cmocka_unit_test(test_submit_idempotent_and_visibility),
        cmocka_unit_test(test_versions_and_paging),
        cmocka_unit_test(test_decision_withdraws),
        cmocka_unit_test(test_time_format),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
