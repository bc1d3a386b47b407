/*
 * test_state.c: the store's small named blobs (store_state_put/get), where
 * the collector keeps its templates across restarts.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "store/store.h"

static store *open_tmp_store(char *dir, size_t len)
{
    const char *base = getenv("C2FLOW_TEST_TMP");
    if (!base) base = "/tmp";
    mkdir(base, 0755);
    snprintf(dir, len, "%s/state-XXXXXX", base);
    assert_non_null(mkdtemp(dir));
    store_options o;
    store_options_default(&o);
    store *s;
    c2_err err;
    if (store_open(dir, &o, 0, &s, &err) != 0) fail_msg("%s", err.msg);
    return s;
}

static void test_put_get_replace(void **state)
{
    (void)state;
    char dir[4096], cmd[4200];
    store *s = open_tmp_store(dir, sizeof dir);
    c2_err err;
    uint8_t *buf;
    size_t len;
    assert_int_equal(store_state_get(s, "templates", &buf, &len, &err), 0);
    assert_int_equal(store_state_put(s, "templates", "first", 5, &err), 0);
    assert_int_equal(store_state_put(s, "templates", "second!", 7, &err), 0);
    assert_int_equal(store_state_get(s, "templates", &buf, &len, &err), 1);
    assert_int_equal(len, 7);
    assert_memory_equal(buf, "second!", 7);
    free(buf);
    assert_int_equal(store_state_put(s, "empty", "", 0, &err), 0);
    assert_int_equal(store_state_get(s, "empty", &buf, &len, &err), 1);
    assert_int_equal(len, 0);
    free(buf);

    /* no temporary file is left behind, and segments do not see the blobs */
    snprintf(cmd, sizeof cmd, "test -z \"$(ls -A '%s/state' | grep '^\\.')\"", dir);
    assert_int_equal(system(cmd), 0);
    store_info info;
    assert_int_equal(store_inventory(s, &info, NULL, NULL, &err), 0);
    assert_int_equal(info.segments, 0);
    assert_int_equal(info.unreadable, 0);
    store_close(s);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
}

static void test_bad_names(void **state)
{
    (void)state;
    char dir[4096], cmd[4200];
    store *s = open_tmp_store(dir, sizeof dir);
    c2_err err;
    const char *bad[] = {"", ".hidden", "../escape", "a/b", "UPPER", "sp ace",
                         "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(store_state_put(s, bad[i], "x", 1, &err), -1);
        assert_non_null(strstr(err.msg, "bad state name"));
    }
    store_close(s);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_put_get_replace),
        cmocka_unit_test(test_bad_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
