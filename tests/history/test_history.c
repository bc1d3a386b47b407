/*
 * test_history.c: the lists detection runs keep (src/history/).
 *
 *   - a kept list reads back row for row (categories too), under a name
 *     that says its time and method; the same time and method replace it;
 *   - runs come back oldest first, other files in the directory ignored,
 *     names that are not dates refused; a missing directory has none;
 *   - history_at picks the newest run at or before a time, of a method or
 *     of any;
 *   - bad method names and times are refused.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "history/history.h"

#define DAY0 1767571200000LL            /* 2026-01-05T00:00:00Z */
#define DAY_MS C2_MS_PER_DAY

static char dir[256];

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *f)
{
    (void)st; (void)flag; (void)f;
    return remove(path);
}

static int setup(void **state)
{
    (void)state;
    c2_err err;
    const char *base = getenv("C2FLOW_TEST_TMP");
    if (!base || !*base) base = "/tmp";
    snprintf(dir, sizeof dir, "%s/history-XXXXXX", base);
    return c2_mkdir_p(base, C2_SHARED, &err) != 0 || !mkdtemp(dir) ? -1 : 0;
}

static int teardown(void **state)
{
    (void)state;
    return nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static c2list *list_of(int n, double score)
{
    c2list *l = c2list_new();
    c2_err err;
    assert_non_null(l);
    for (int i = 0; i < n; i++) {
        c2_entry e;
        c2_entry_init(&e);
        flow_addr_from_v4(&e.ip, 0xcb007100u + (uint32_t)i);       /* 203.0.113.i */
        e.port = (uint16_t)(6000 + i);
        e.proto = 6;
        e.score = score;
        e.first_seen = DAY0 + i;
        e.last_seen = DAY0 + 1000 + i;
        strcpy(e.method, "graph");
        if (i % 2 == 0) snprintf(e.category, sizeof e.category, "Family %d", i);
        assert_int_equal(c2list_add(l, &e, &err), 0);
    }
    return l;
}

static void touch(const char *name)
{
    char path[512];
    snprintf(path, sizeof path, "%s/lists/%s", dir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs("ip,port,proto\n", f);
    fclose(f);
}

static void test_keep_and_read(void **state)
{
    (void)state;
    char lists[300];
    snprintf(lists, sizeof lists, "%s/lists", dir);
    c2_err err;
    history_run *runs;
    size_t n;
    assert_int_equal(history_runs(lists, &runs, &n, &err), 0);      /* no directory yet */
    assert_int_equal(n, 0);
    free(runs);

    c2list *a = list_of(3, 90), *b = list_of(5, 70), *c = list_of(1, 60);
    assert_int_equal(history_save(lists, b, DAY0 + 2 * DAY_MS, "graph", &err), 0);
    assert_int_equal(history_save(lists, a, DAY0 + DAY_MS + 1234, "graph", &err), 0);
    assert_int_equal(history_save(lists, c, DAY0 + 2 * DAY_MS, "ml", &err), 0);
    /* the same time and method: replaced */
    assert_int_equal(history_save(lists, a, DAY0 + 2 * DAY_MS, "graph", &err), 0);
    touch("notes.txt");
    touch("c2-2026-02-31T000000Z-graph.csv");          /* not a date */
    touch("c2-2026-01-09T000000Z-bad method.csv");
    touch("c2-2026-01-09T000000Z-graph.csv~");

    assert_int_equal(history_runs(lists, &runs, &n, &err), 0);
    assert_int_equal(n, 3);
    assert_string_equal(runs[0].name, "c2-2026-01-06T000001Z-graph.csv");   /* whole seconds */
    assert_int_equal(runs[0].at, DAY0 + DAY_MS + 1000);
    assert_string_equal(runs[1].method, "graph");
    assert_int_equal(runs[1].at, DAY0 + 2 * DAY_MS);
    assert_string_equal(runs[2].method, "ml");

    c2list *back;
    assert_int_equal(history_load(lists, &runs[1], &back, &err), 0);
    assert_int_equal(c2list_count(back), 3);                 /* a replaced b */
    for (size_t i = 0; i < 3; i++) {
        const c2_entry *x = c2list_get(a, i), *y = c2list_find(back, &x->ip, x->port, x->proto);
        assert_non_null(y);
        assert_true(y->score == x->score && y->first_seen == x->first_seen &&
                    y->last_seen == x->last_seen);
        assert_string_equal(y->category, x->category);
    }
    assert_string_equal(c2list_get(back, 0)->category, "Family 0");
    assert_string_equal(c2list_get(back, 1)->category, "");
    c2list_free(back);

    assert_int_equal(history_at(runs, n, DAY0, NULL), -1);
    assert_int_equal(history_at(runs, n, DAY0 + DAY_MS + 1000, NULL), 0);
    assert_int_equal(history_at(runs, n, DAY0 + 3 * DAY_MS, NULL), 2);
    assert_int_equal(history_at(runs, n, DAY0 + 3 * DAY_MS, "graph"), 1);
    assert_int_equal(history_at(runs, n, DAY0 + DAY_MS + 1000, "ml"), -1);
    free(runs);

    assert_int_equal(history_save(lists, a, DAY0, "", &err), -1);
    assert_int_equal(history_save(lists, a, DAY0, "a/b", &err), -1);
    assert_int_equal(history_save(lists, a, DAY0, "waytoolongmethodname", &err), -1);
    assert_int_equal(history_save(lists, a, -5, "graph", &err), -1);
    c2list_free(a);
    c2list_free(b);
    c2list_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_keep_and_read, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
