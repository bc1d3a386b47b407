/*
 * test_dynlib.c: the optional libraries load on demand, once, with every
 * function the shims list; a bad id is an error, not a crash.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <string.h>

#include "dynlib/curl.h"
#include "dynlib/igraph.h"
#include "dynlib/maxminddb.h"
#include "dynlib/mhd.h"
#include "dynlib/sqlite.h"
#include "dynlib/xgboost.h"

/* Every slot of a loaded table is a function the library exports. */
static void assert_table_full(dynlib_id id, size_t bytes)
{
    const char *table = dynlib_table(id);
    for (size_t i = 0; i < bytes / sizeof(void *); i++) {
        void *f;
        memcpy(&f, table + i * sizeof f, sizeof f);
        assert_non_null(f);
    }
}

static void test_each_library_loads(void **state)
{
    (void)state;
    static const size_t sizes[DYNLIB_COUNT] = {
        [DYNLIB_XGBOOST] = sizeof(dynlib_xgboost_api), [DYNLIB_IGRAPH] = sizeof(dynlib_igraph_api),
        [DYNLIB_CURL] = sizeof(dynlib_curl_api), [DYNLIB_MHD] = sizeof(dynlib_mhd_api),
        [DYNLIB_SQLITE] = sizeof(dynlib_sqlite_api),
        [DYNLIB_MAXMINDDB] = sizeof(dynlib_maxminddb_api),
    };
    for (int id = 0; id < DYNLIB_COUNT; id++) {
        c2_err err = {{0}};
        if (dynlib_need((dynlib_id)id, &err) != 0) fail_msg("%s", err.msg);
        assert_non_null(strstr(dynlib_soname((dynlib_id)id), ".so."));
        assert_table_full((dynlib_id)id, sizes[id]);
        /* a second need is the same table, still loaded */
        void *t = dynlib_table((dynlib_id)id);
        assert_int_equal(dynlib_need((dynlib_id)id, &err), 0);
        assert_ptr_equal(dynlib_table((dynlib_id)id), t);
    }
}

/* The redirected names call into the real libraries. */
static void test_calls_go_through(void **state)
{
    (void)state;
    c2_err err;
    assert_int_equal(dynlib_need(DYNLIB_SQLITE, &err), 0);
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open_v2(":memory:", &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
    sqlite3_stmt *st = NULL;
    assert_int_equal(sqlite3_prepare_v2(db, "select 6 * 7", -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_int_equal(sqlite3_column_int(st, 0), 42);
    sqlite3_finalize(st);
    sqlite3_close_v2(db);

    assert_int_equal(dynlib_need(DYNLIB_CURL, &err), 0);
    CURLU *u = curl_url();
    assert_non_null(u);
    assert_int_equal(curl_url_set(u, CURLUPART_URL, "https://127.0.0.1:8443/a/b?x=1", 0),
                     CURLUE_OK);
    char *host = NULL;
    assert_int_equal(curl_url_get(u, CURLUPART_HOST, &host, 0), CURLUE_OK);
    assert_string_equal(host, "127.0.0.1");
    curl_free(host);
    curl_url_cleanup(u);
    assert_string_equal(curl_easy_strerror(CURLE_OK), "No error");

    assert_int_equal(dynlib_need(DYNLIB_MAXMINDDB, &err), 0);
    assert_non_null(MMDB_strerror(MMDB_FILE_OPEN_ERROR));
}

static void *need_curl(void *arg)
{
    c2_err err;
    *(int *)arg = dynlib_need(DYNLIB_CURL, &err);
    return NULL;
}

/* Threads asking at once all get the library. */
static void test_threads(void **state)
{
    (void)state;
    pthread_t t[8];
    int rc[8];
    for (int i = 0; i < 8; i++) assert_int_equal(pthread_create(&t[i], NULL, need_curl, &rc[i]), 0);
    for (int i = 0; i < 8; i++) {
        pthread_join(t[i], NULL);
        assert_int_equal(rc[i], 0);
    }
}

static void test_bad_id(void **state)
{
    (void)state;
    c2_err err = {{0}};
    assert_int_equal(dynlib_need(DYNLIB_COUNT, &err), -1);
    assert_non_null(strstr(err.msg, "no library"));
    assert_string_equal(dynlib_soname(DYNLIB_COUNT), "");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_each_library_loads),
        cmocka_unit_test(test_calls_go_through),
        cmocka_unit_test(test_threads),
        cmocka_unit_test(test_bad_id),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
