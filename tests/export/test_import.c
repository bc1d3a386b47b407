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
 *   - feeds through src/intel; formats that cannot be read back refused;
 *   - categories: from STIX malware objects an indicator `indicates`, from
 *     the feeds' malware columns, cleaned; "Unknown malware" is none; and
 *     every format that carries them round-trips a list's categories.
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

#define OBJ(type, id, rest) "{\"type\": \"" type "\", \"id\": \"" id "\"" rest "}"
#define REL(src, dst, kind) "{\"type\": \"relationship\", \"relationship_type\": \"" kind \
                            "\", \"source_ref\": \"" src "\", \"target_ref\": \"" dst "\"}"

static void test_stix_categories(void **state)
{
    (void)state;
    const char *bundle =
        "{\"type\": \"bundle\", \"id\": \"bundle--1\", \"objects\": ["
        REL("indicator--1", "malware--1", "indicates") ","            /* before its objects */
        OBJ("indicator", "indicator--1", ", \"pattern\": \"[ipv4-addr:value = '198.51.100.1']\"") ","
        OBJ("indicator", "indicator--2", ", \"pattern\": \"[ipv4-addr:value = '198.51.100.2']\"") ","
        OBJ("indicator", "indicator--3", ", \"pattern\": \"[ipv4-addr:value = '198.51.100.3']\"") ","
        OBJ("indicator", "indicator--4", ", \"pattern\": \"[ipv4-addr:value = '198.51.100.4']\"") ","
        OBJ("indicator", "indicator--5", ", \"pattern\": \"[ipv4-addr:value = '198.51.100.5']\"") ","
        OBJ("malware", "malware--1", ", \"name\": \"Emotet\", \"is_family\": true") ","
        OBJ("malware", "malware--2", ", \"name\": \"Bad, \\\"name\\\" \\u00e9\"") ","
        OBJ("malware", "malware--3", ", \"name\": 5") ","
        OBJ("tool", "tool--1", ", \"name\": \"nmap\"") ","
        REL("indicator--1", "malware--2", "indicates") ","            /* the first one wins */
        REL("indicator--2", "malware--2", "indicates") ","
        REL("indicator--3", "malware--3", "indicates") ","            /* a name that is no string */
        REL("indicator--4", "tool--1", "indicates") ","               /* not malware */
        REL("indicator--5", "malware--1", "related-to")
        "]}";
    export_read_stats st;
    c2list *l = read_ok(bundle, EXPORT_STIX21, &st);
    assert_int_equal(st.rows, 5);
    assert_string_equal(find(l, "198.51.100.1", 0, 6)->category, "Emotet");
    assert_string_equal(find(l, "198.51.100.2", 0, 6)->category, "Bad_ _name_ __");
    assert_string_equal(find(l, "198.51.100.3", 0, 6)->category, "");
    assert_string_equal(find(l, "198.51.100.4", 0, 6)->category, "");
    assert_string_equal(find(l, "198.51.100.5", 0, 6)->category, "");
    c2list_free(l);
}

static void test_feed_categories(void **state)
{
    (void)state;
    const char *feodo =
        "# \"first_seen_utc\",\"dst_ip\",\"dst_port\",\"c2_status\",\"last_online\",\"malware\"\n"
        "\"2026-01-05 10:00:00\",\"198.51.100.1\",\"447\",\"online\",\"2026-01-06\",\"Emotet\"\n"
        "\"2026-01-05 10:00:00\",\"198.51.100.2\",\"447\",\"online\",\"2026-01-06\",\"\"\n"
        "\"2026-01-05 10:00:00\",\"198.51.100.3\",\"447\",\"online\",\"2026-01-06\","
        "\"A very long family name; with extras\"\n";
    export_read_stats st;
    c2list *l = read_ok(feodo, EXPORT_FEODO_CSV, &st);
    assert_string_equal(find(l, "198.51.100.1", 447, 6)->category, "Emotet");
    assert_string_equal(find(l, "198.51.100.2", 447, 6)->category, "");
    /* src/intel keeps 31 bytes; the ';' becomes '_' */
    assert_string_equal(find(l, "198.51.100.3", 447, 6)->category, "A very long family name_ with e");
    c2list_free(l);
    const char *tfox =
        "\"2026-01-05 10:00:00\", \"1\", \"198.51.100.1:443\", \"ip:port\", \"botnet_cc\", "
        "\"win.cobalt_strike\", \"\", \"Cobalt Strike\", \"\", \"100\", \"\", \"\", \"0\", \"x\"\n"
        "\"2026-01-05 10:00:00\", \"2\", \"198.51.100.2:443\", \"ip:port\", \"botnet_cc\", "
        "\"unknown\", \"\", \"Unknown malware\", \"\", \"100\", \"\", \"\", \"0\", \"x\"\n"
        "\"2026-01-05 10:00:00\", \"3\", \"198.51.100.3:443\", \"ip:port\", \"botnet_cc\", "
        "\"elf.mirai\", \"\", \"\", \"\", \"100\", \"\", \"\", \"0\", \"x\"\n";
    l = read_ok(tfox, EXPORT_THREATFOX_CSV, &st);
    assert_int_equal(st.rows, 3);
    assert_string_equal(find(l, "198.51.100.1", 443, 6)->category, "Cobalt Strike");
    assert_string_equal(find(l, "198.51.100.2", 443, 6)->category, "");
    assert_string_equal(find(l, "198.51.100.3", 443, 6)->category, "elf.mirai");
    c2list_free(l);
}

/* A list's categories survive every format that carries them. */
static void test_category_round_trips(void **state)
{
    (void)state;
    const char *text = "ip,port,proto,category\n"
                       "198.51.100.1,443,tcp,Emotet\n"
                       "198.51.100.2,8080,tcp,Trojan:Win32/njRAT (x)\n"
                       "198.51.100.3,80,tcp,\n";
    c2list *l;
    c2_err err;
    assert_int_equal(c2list_read_mem(text, strlen(text), 0, &l, &err), 0);
    static const export_format fmts[] = {EXPORT_CSV, EXPORT_JSONL, EXPORT_FEODO_CSV,
                                         EXPORT_THREATFOX_CSV, EXPORT_STIX21};
    for (size_t i = 0; i < sizeof fmts / sizeof fmts[0]; i++) {
        char *buf = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&buf, &len);
        assert_int_equal(export_write(l, fmts[i], NULL, f, &err), 0);
        fclose(f);
        c2list *back;
        export_read_stats st;
        if (export_read(buf, len, fmts[i], "t", &back, &st, &err) != 0)
            fail_msg("%s: %s", export_format_name(fmts[i]), err.msg);
        assert_int_equal(c2list_count(back), 3);
        for (size_t r = 0; r < 3; r++) {
            const c2_entry *e = c2list_get(l, r);
            const c2_entry *b = c2list_find(back, &e->ip, e->port, e->proto);
            assert_non_null(b);
            if (strcmp(b->category, e->category) != 0)
                fail_msg("%s: '%s' came back as '%s'", export_format_name(fmts[i]), e->category,
                         b->category);
        }
        c2list_free(back);
        free(buf);
    }
    c2list_free(l);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_stix),
        cmocka_unit_test(test_misp),
        cmocka_unit_test(test_feeds_and_refusals),
        cmocka_unit_test(test_stix_categories),
        cmocka_unit_test(test_feed_categories),
        cmocka_unit_test(test_category_round_trips),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
