/*
 * test_families.c: the malware family of listed servers from threat
 * intelligence (src/detect/families.c, detect_name_families).
 *
 * A hand-made Feodo Tracker feed and a list: a server the feed names gets
 * the name (cleaned), one it lists without a name, one it lists only after
 * the window, one on another port and one it does not list stay unknown;
 * a row that already has a category and no intel name keeps it; no intel
 * changes nothing.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "detect/detect.h"

static const char *const FEED =
    "\"first_seen_utc\",\"dst_ip\",\"dst_port\",\"c2_status\",\"last_online\",\"malware\"\n"
    "\"2026-01-01 00:00:00\",\"198.51.100.1\",\"443\",\"online\",\"2026-01-02\",\"Emotet\"\n"
    "\"2026-01-01 00:00:00\",\"198.51.100.2\",\"8080\",\"online\",\"2026-01-02\",\"Qak;Bot\"\n"
    "\"2026-01-01 00:00:00\",\"198.51.100.3\",\"443\",\"online\",\"2026-01-02\",\"\"\n"
    "\"2026-02-01 00:00:00\",\"198.51.100.4\",\"443\",\"online\",\"2026-02-02\",\"Dridex\"\n"
    "\"2026-01-01 00:00:00\",\"198.51.100.5\",\"443\",\"online\",\"2026-01-02\",\"Pikabot\"\n";

static void add(c2list *l, const char *ip, uint16_t port, const char *category)
{
    c2_entry e;
    c2_err err;
    c2_entry_init(&e);
    assert_int_equal(flow_addr_parse(ip, &e.ip), 0);
    e.port = port;
    e.proto = 6;
    strcpy(e.method, "graph");
    strcpy(e.category, category);
    if (c2list_add(l, &e, &err) != 0) fail_msg("%s", err.msg);
}

static const char *category(const c2list *l, const char *ip, uint16_t port)
{
    flow_addr a;
    assert_int_equal(flow_addr_parse(ip, &a), 0);
    const c2_entry *e = c2list_find(l, &a, port, 6);
    assert_non_null(e);
    return e->category;
}

static void test_name_families(void **state)
{
    (void)state;
    intel_set *s;
    c2_err err;
    assert_int_equal(intel_new(&s, &err), 0);
    assert_int_equal(intel_load_mem(s, FEED, strlen(FEED), "feed", INTEL_FEODO, NULL, &err), 0);
    c2list *l = c2list_new();
    add(l, "198.51.100.1", 443, "");
    add(l, "198.51.100.2", 8080, "");
    add(l, "198.51.100.3", 443, "");
    add(l, "198.51.100.4", 443, "");                 /* listed by the feed later */
    add(l, "198.51.100.5", 80, "");                  /* another port */
    add(l, "203.0.113.9", 443, "Mirai");             /* not in the feed: kept */
    int64_t end;
    assert_int_equal(c2list_time_parse("2026-01-08T00:00:00Z", &end), 0);
    assert_int_equal(detect_name_families(l, s, end - 1), 2);
    assert_string_equal(category(l, "198.51.100.1", 443), "Emotet");
    assert_string_equal(category(l, "198.51.100.2", 8080), "Qak_Bot");
    assert_string_equal(category(l, "198.51.100.3", 443), "");
    assert_string_equal(category(l, "198.51.100.4", 443), "");
    assert_string_equal(category(l, "198.51.100.5", 80), "");
    assert_string_equal(category(l, "203.0.113.9", 443), "Mirai");
    /* a window ending after the feed listed it: named too */
    assert_int_equal(c2list_time_parse("2026-03-01T00:00:00Z", &end), 0);
    assert_int_equal(detect_name_families(l, s, end), 3);
    assert_string_equal(category(l, "198.51.100.4", 443), "Dridex");
    /* no intel: nothing named, nothing changed */
    assert_int_equal(detect_name_families(l, NULL, end), 0);
    assert_string_equal(category(l, "198.51.100.1", 443), "Emotet");
    c2list_free(l);
    intel_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_name_families),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
