/*
 * test_import.c: lists from elsewhere read back into C2 lists
 * (src/export/import.c, export_read).
 *
 *   - STIX 2.1: the pattern forms read (destination address with or without
 *     port and protocol, ipv4-addr:value, IPv6), confidence and times kept;
 *     indicators with OR, another observation, an unknown comparison or a
 *     bad value skipped and counted; a repeated key counted once; a file
 *     that is not a bundle refused;
 *   - MISP: ip-dst|port attributes read, other types and bad values skipped;
 *   - feeds through src/intel; formats that cannot be read back refused.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "export/export.h"

static c2list *read_ok(const char *text, export_format fmt, export_read_stats *st)
{
    c2list *l;
    c2_err err;
    if (export_read(text, strlen(text), fmt, "test", &l, st, &err) != 0) fail_msg("%s", err.msg);
    assert_int_equal(c2list_count(l), st->rows);
    return l;
}

static const c2_entry *find(const c2list *l, const char *ip, uint16_t port, uint8_t proto)
{
    flow_addr a;
    assert_int_equal(flow_addr_parse(ip, &a), 0);
    return c2list_find(l, &a, port, proto);
}

#define IND(pat) "{\"type\": \"indicator\", \"pattern_type\": \"stix\", \"pattern\": \"" pat "\", " \
                 "\"confidence\": 80, \"valid_from\": \"2026-01-05T00:00:00Z\", "              \
                 "\"modified\": \"2026-01-07T00:00:00Z\"}"

static void test_stix(void **state)
{
    (void)state;
    const char *bundle =
        "{\"type\": \"bundle\", \"id\": \"bundle--1\", \"objects\": ["
        "{\"type\": \"identity\", \"name\": \"x\"},"
        IND("[network-traffic:dst_ref.type = 'ipv4-addr' AND network-traffic:dst_ref.value = "
            "'198.51.100.1' AND network-traffic:dst_port = 6969 AND "
            "network-traffic:protocols[*] = 'udp']") ","
        IND("[ipv4-addr:value = '198.51.100.2']") ","
        IND("[network-traffic:dst_ref.value = '2001:db8::7' AND network-traffic:dst_port = 443]") ","
        IND("[ipv4-addr:value = '198.51.100.2']") ","                         /* a repeat */
        IND("[ipv4-addr:value = '198.51.100.3'] OR [ipv4-addr:value = '198.51.100.4']") ","
        IND("[ipv4-addr:value = '198.51.100.5' OR ipv4-addr:value = '198.51.100.6']") ","
        IND("[domain-name:value = 'evil.example']") ","
        IND("[network-traffic:dst_ref.value = '198.51.100.7' AND network-traffic:dst_port = 70000]") ","
        IND("[network-traffic:dst_ref.value = 'not an address']") ","
        "{\"type\": \"indicator\", \"pattern_type\": \"sigma\", \"pattern\": \"x\"}"
        "]}";
    export_read_stats st;
    c2list *l = read_ok(bundle, EXPORT_STIX21, &st);
    assert_int_equal(st.rows, 3);
    assert_int_equal(st.duplicates, 1);
    assert_int_equal(st.skipped, 6);
    const c2_entry *e = find(l, "198.51.100.1", 6969, 17);
    assert_non_null(e);
    assert_true(e->score == 80);
    assert_int_equal(e->first_seen, 1767571200000LL);
    assert_int_equal(e->last_seen, 1767571200000LL + 2 * C2_MS_PER_DAY);
    assert_string_equal(e->method, "import");
    assert_non_null(find(l, "198.51.100.2", 0, 6));                 /* no port, tcp */
    assert_non_null(find(l, "2001:db8::7", 443, 6));
    c2list_free(l);

    c2_err err;
    export_read_stats st2;
    assert_int_equal(export_read("{\"type\": \"report\"}", 18, EXPORT_STIX21, "t", &l, &st2, &err),
                     -1);
    assert_null(l);
    assert_non_null(strstr(err.msg, "bundle"));
    assert_int_equal(export_read("{\"type\": ", 9, EXPORT_STIX21, "t", &l, &st2, &err), -1);
    assert_non_null(strstr(err.msg, "line 1"));
}

static void test_misp(void **state)
{
    (void)state;
    const char *event =
        "{\"Event\": {\"info\": \"x\", \"Attribute\": ["
        "{\"type\": \"ip-dst|port\", \"value\": \"198.51.100.1|6969\"},"
        "{\"type\": \"ip-dst|port\", \"value\": \"2001:db8::7|443\"},"
        "{\"type\": \"ip-dst\", \"value\": \"198.51.100.2\"},"
        "{\"type\": \"ip-dst|port\", \"value\": \"198.51.100.3|\"},"
        "{\"type\": \"ip-dst|port\", \"value\": \"198.51.100.4|99999\"},"
        "{\"type\": \"ip-dst|port\", \"value\": \"no|80\"},"
        "{\"type\": \"ip-dst|port\"}"
        "]}}";
    export_read_stats st;
    c2list *l = read_ok(event, EXPORT_MISP_FEED, &st);
    assert_int_equal(st.rows, 2);
    assert_int_equal(st.skipped, 5);
    assert_non_null(find(l, "198.51.100.1", 6969, 6));
    assert_non_null(find(l, "2001:db8::7", 443, 6));
    c2list_free(l);
    c2_err err;
    assert_int_equal(export_read("{\"manifest\": 1}", 15, EXPORT_MISP_FEED, "t", &l, &st, &err), -1);
    assert_non_null(strstr(err.msg, "MISP"));
}

static void test_feeds_and_refusals(void **state)
{
    (void)state;
    const char *feodo =
        "# \"first_seen_utc\",\"dst_ip\",\"dst_port\",\"c2_status\",\"last_online\",\"malware\"\n"
        "\"2026-01-05 10:00:00\",\"198.51.100.1\",\"447\",\"online\",\"2026-01-06\",\"Emotet\"\n";
    export_read_stats st;
    c2list *l = read_ok(feodo, EXPORT_FEODO_CSV, &st);
    assert_int_equal(st.rows, 1);
    const c2_entry *e = find(l, "198.51.100.1", 447, 6);
    assert_non_null(e);
    assert_int_equal(e->first_seen, 1767571200000LL + 10 * 3600000LL);
    c2list_free(l);
    c2_err err;
    assert_int_equal(export_read("x", 1, EXPORT_NFTABLES, "t", &l, &st, &err), -1);
    assert_null(l);
    assert_non_null(strstr(err.msg, "cannot be read back"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_stix),
        cmocka_unit_test(test_misp),
        cmocka_unit_test(test_feeds_and_refusals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
