/*
 * test_export.c: the export formats (src/export/).
 *
 * Every format from one small hand-made list (two IPv4 rows on one address,
 * an IPv6 row without dates, a GRE row of port 0; two categories, one row
 * without), compared with the exact
 * expected text for the line formats and object by object for STIX 2.1 and
 * the MISP feed; SHA-1, UUID v5 and MD5 against published test vectors and
 * Python's uuid5; ids stable across lists; the same list written twice
 * gives the same bytes; an empty list gives a valid empty export; Feodo
 * Tracker and ThreatFox read back through src/intel/ as the same servers;
 * unknown format and TLP names and bad --name values are refused.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "c2list/c2list.h"
#include <jansson.h>

#include "export/export.h"
#include "export/export_impl.h"
#include "intel/intel.h"

/* ---- helpers ---- */

static const char *const LIST =
    "ip,port,proto,first_seen,last_seen,score,method,group,infected_clients,clients,days_seen,"
    "category\n"
    "198.51.100.7,443,tcp,2026-01-05T01:02:03Z,2026-01-06T10:00:00Z,87.5,graph,1,3,4,2,Emotet\n"
    "198.51.100.7,8080,udp,2026-01-04T00:00:00Z,2026-01-05T10:00:00Z,60,graph,1,3,4,2,Emotet\n"
    "2001:db8::1,23,tcp,,,90,ml,0,0,0,0,Trojan:Win32/njRAT (x)\n"
    "203.0.113.9,0,gre,2026-01-05T00:00:00Z,2026-01-05T00:00:00Z,10,both,0,0,0,0,\n";

static c2list *read_text(const char *text)
{
    c2list *l;
    c2_err err;
    if (c2list_read_mem(text, strlen(text), 0, &l, &err) != 0) fail_msg("read: %s", err.msg);
    return l;
}

/* The list exported in fmt (name NULL: the default), caller frees. */
static char *export_text(const c2list *l, export_format fmt, const char *name)
{
    char *buf = NULL;
    size_t len = 0;
    c2_err err;
    export_options opt = {.name = name};
    FILE *f = open_memstream(&buf, &len);
    assert_non_null(f);
    if (export_write(l, fmt, &opt, f, &err) != 0) fail_msg("export: %s", err.msg);
    fclose(f);
    return buf;
}

static void expect_export(export_format fmt, const char *want)
{
    c2list *l = read_text(LIST);
    char *got = export_text(l, fmt, NULL);
    assert_string_equal(got, want);
    free(got);
    c2list_free(l);
}

/* ---- the formats, exactly ---- */

static void test_csv_jsonl_are_the_list(void **state)
{
    (void)state;
    c2list *l = read_text(LIST);
    char *csv = export_text(l, EXPORT_CSV, NULL);
    assert_string_equal(csv, LIST);
    char *jsonl = export_text(l, EXPORT_JSONL, NULL);
    c2list *back = read_text(jsonl);
    assert_int_equal(c2list_count(back), 4);
    char *csv2 = export_text(back, EXPORT_CSV, NULL);
    assert_string_equal(csv2, LIST);
    free(csv);
    free(jsonl);
    free(csv2);
    c2list_free(back);
    c2list_free(l);
}

static void test_feodo(void **state)
{
    (void)state;
    expect_export(EXPORT_FEODO_CSV,
        "################################################################\n"
        "# c2flow C2 list in abuse.ch Feodo Tracker's blocklist columns #\n"
        "# malware = the malware family when known; no protocol column  #\n"
        "################################################################\n"
        "#\n"
        "\"first_seen_utc\",\"dst_ip\",\"dst_port\",\"c2_status\",\"last_online\",\"malware\"\n"
        "\"2026-01-05 01:02:03\",\"198.51.100.7\",\"443\",\"online\",\"2026-01-06\",\"Emotet\"\n"
        "\"2026-01-04 00:00:00\",\"198.51.100.7\",\"8080\",\"offline\",\"2026-01-05\",\"Emotet\"\n"
        "\"\",\"2001:db8::1\",\"23\",\"offline\",\"\",\"Trojan:Win32/njRAT (x)\"\n"
        "\"2026-01-05 00:00:00\",\"203.0.113.9\",\"0\",\"offline\",\"2026-01-05\",\"\"\n");
}

static void test_threatfox(void **state)
{
    (void)state;
    expect_export(EXPORT_THREATFOX_CSV,
        "################################################################\n"
        "# c2flow C2 list in abuse.ch ThreatFox's CSV export columns    #\n"
        "# ioc_type ip:port only; no protocol column                    #\n"
        "################################################################\n"
        "#\n"
        "# \"first_seen_utc\",\"ioc_id\",\"ioc_value\",\"ioc_type\",\"threat_type\",\"fk_malware\","
        "\"malware_alias\",\"malware_printable\",\"last_seen_utc\",\"confidence_level\","
        "\"reference\",\"tags\",\"anonymous\",\"reporter\"\n"
        "\"2026-01-05 01:02:03\", \"\", \"198.51.100.7:443\", \"ip:port\", \"botnet_cc\", "
        "\"Emotet\", \"\", \"Emotet\", \"2026-01-06 10:00:00\", \"88\", \"\", "
        "\"c2flow,graph\", \"0\", \"c2flow\"\n"
        "\"2026-01-04 00:00:00\", \"\", \"198.51.100.7:8080\", \"ip:port\", \"botnet_cc\", "
        "\"Emotet\", \"\", \"Emotet\", \"2026-01-05 10:00:00\", \"60\", \"\", "
        "\"c2flow,graph\", \"0\", \"c2flow\"\n"
        "\"\", \"\", \"[2001:db8::1]:23\", \"ip:port\", \"botnet_cc\", \"Trojan:Win32/njRAT (x)\", "
        "\"\", \"Trojan:Win32/njRAT (x)\", \"\", \"90\", \"\", \"c2flow,ml\", \"0\", \"c2flow\"\n"
        "# left out: 203.0.113.9 port 0\n");
    /* a row without a category: ThreatFox's own words for an unnamed family */
    c2list *l = read_text("ip,port,proto,method\n192.0.2.1,80,tcp,graph\n");
    char *t = export_text(l, EXPORT_THREATFOX_CSV, NULL);
    assert_non_null(strstr(t, "\"192.0.2.1:80\", \"ip:port\", \"botnet_cc\", \"unknown\", \"\", "
                              "\"Unknown malware\", "));
    free(t);
    c2list_free(l);
}

static void test_nftables(void **state)
{
    (void)state;
    expect_export(EXPORT_NFTABLES,
        "#!/usr/sbin/nft -f\n"
        "# c2flow C2 list: 4 servers as (address . protocol . port) sets.\n"
        "# Load with 'nft -f FILE'; the table is replaced whole.\n"
        "table inet c2flow\n"
        "delete table inet c2flow\n"
        "table inet c2flow {\n"
        "\tset c2_v4 {\n"
        "\t\ttype ipv4_addr . inet_proto . inet_service\n"
        "\t\telements = {\n"
        "\t\t\t198.51.100.7 . tcp . 443,\n"
        "\t\t\t198.51.100.7 . udp . 8080,\n"
        "\t\t\t203.0.113.9 . 47 . 0\n"
        "\t\t}\n"
        "\t}\n"
        "\tset c2_v6 {\n"
        "\t\ttype ipv6_addr . inet_proto . inet_service\n"
        "\t\telements = {\n"
        "\t\t\t2001:db8::1 . tcp . 23\n"
        "\t\t}\n"
        "\t}\n"
        "\n"
        "\t# Example: count forwarded packets to listed servers.  To drop them,\n"
        "\t# write \"counter drop\" for \"counter\"; for this host's own traffic,\n"
        "\t# add the same rules to a chain on hook output.\n"
        "\tchain forward {\n"
        "\t\ttype filter hook forward priority filter; policy accept;\n"
        "\t\tip daddr . meta l4proto . th dport @c2_v4 counter\n"
        "\t\tip6 daddr . meta l4proto . th dport @c2_v6 counter\n"
        "\t}\n"
        "}\n");
}

static void test_ipset(void **state)
{
    (void)state;
    expect_export(EXPORT_IPSET,
        "# c2flow C2 list: 4 servers as hash:ip,port sets.  Rows of protocols\n"
        "# without ports (not tcp, udp, sctp, udplite), left out as comments: 1.\n"
        "# Load with 'ipset restore -exist < FILE'.\n"
        "create c2flow-v4 hash:ip,port family inet maxelem 65536\n"
        "create c2flow-v6 hash:ip,port family inet6 maxelem 65536\n"
        "add c2flow-v4 198.51.100.7,tcp:443\n"
        "add c2flow-v4 198.51.100.7,udp:8080\n"
        "# left out: 203.0.113.9 proto gre port 0\n"
        "add c2flow-v6 2001:db8::1,tcp:23\n");
}

static void test_suricata_iprep(void **state)
{
    (void)state;
    /* one line per address, in address order, the highest score scaled to 0-127 */
    expect_export(EXPORT_SURICATA_IPREP,
        "198.51.100.7,1,111\n"
        "203.0.113.9,1,13\n"
        "2001:db8::1,1,114\n");
    char *buf = NULL;
    size_t len = 0;
    c2_err err;
    FILE *f = open_memstream(&buf, &len);
    export_options opt = {.name = "isp_c2"};
    assert_int_equal(export_iprep_categories(&opt, f, &err), 0);
    fclose(f);
    assert_string_equal(buf, "1,isp_c2,C2 servers found by c2flow\n");
    free(buf);
}

static void test_zeek_intel(void **state)
{
    (void)state;
    expect_export(EXPORT_ZEEK_INTEL,
        "#fields\tindicator\tindicator_type\tmeta.source\tmeta.desc\n"
        "198.51.100.7\tIntel::ADDR\tc2flow\tC2 server, ports tcp/443,udp/8080; score 87.5; "
        "first seen 2026-01-04T00:00:00Z; last seen 2026-01-06T10:00:00Z\n"
        "203.0.113.9\tIntel::ADDR\tc2flow\tC2 server, ports gre/0; score 10; "
        "first seen 2026-01-05T00:00:00Z; last seen 2026-01-05T00:00:00Z\n"
        "2001:db8::1\tIntel::ADDR\tc2flow\tC2 server, ports tcp/23; score 90\n");
}

static void test_name_option(void **state)
{
    (void)state;
    c2list *l = read_text(LIST);
    char *t = export_text(l, EXPORT_IPSET, "isp-c2");
    assert_non_null(strstr(t, "create isp-c2-v6 hash:ip,port family inet6"));
    assert_non_null(strstr(t, "add isp-c2-v4 198.51.100.7,tcp:443\n"));
    free(t);
    t = export_text(l, EXPORT_NFTABLES, "isp_c2");
    assert_non_null(strstr(t, "table inet isp_c2 {\n"));
    free(t);
    /* a bad name is refused by the library too, before anything is written */
    c2_err err;
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    export_options bad = {.name = "x; flush ruleset"};
    assert_int_equal(export_write(l, EXPORT_NFTABLES, &bad, f, &err), -1);
    fclose(f);
    assert_int_equal(len, 0);
    assert_non_null(strstr(err.msg, "may hold only"));
    free(buf);
    assert_int_equal(export_name_check("", &err), -1);
    assert_int_equal(export_name_check("0abc", &err), -1);
    assert_int_equal(export_name_check("abcdefghijklmnopqrstuvwxyz", &err), -1);
    assert_int_equal(export_name_check("c2flow", &err), 0);
    c2list_free(l);
}

/* ---- STIX 2.1 ---- */

static void test_sha1_uuid5(void **state)
{
    (void)state;
    uint8_t h[20];
    char hex[41], u[40];
    export_sha1("abc", 3, h);                       /* FIPS 180-4's example */
    for (int i = 0; i < 20; i++) snprintf(hex + 2 * i, 3, "%02x", h[i]);
    assert_string_equal(hex, "a9993e364706816aba3e25717850c26c9cd0d89d");
    export_sha1("", 0, h);
    for (int i = 0; i < 20; i++) snprintf(hex + 2 * i, 3, "%02x", h[i]);
    assert_string_equal(hex, "da39a3ee5e6b4b0d3255bfef95601890afd80709");
    /* what Python's uuid.uuid5(UUID('5d0e6f3c-1a2b-5c4d-9e8f-706152433425'), name) gives */
    assert_string_equal(export_uuid5("indicator|198.51.100.7|443|6", u, sizeof u),
                        "aef0e4d1-eb7e-5ade-ac43-0e4ef84d710c");
    assert_string_equal(export_uuid5("identity|c2flow", u, sizeof u),
                        "2fa847e1-148c-53fa-8d6c-2e32ddfb448a");
}

static json_t *stix_bundle(const c2list *l, const export_options *opt)
{
    char *buf = NULL;
    size_t len = 0;
    c2_err err;
    FILE *f = open_memstream(&buf, &len);
    if (export_write(l, EXPORT_STIX21, opt, f, &err) != 0) fail_msg("stix: %s", err.msg);
    fclose(f);
    json_error_t jerr;
    json_t *b = json_loads(buf, 0, &jerr);
    if (!b) fail_msg("stix output is not JSON: %s", jerr.text);
    free(buf);
    return b;
}

static const char *str(json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));
    if (!s) fail_msg("no string '%s'", key);
    return s;
}

static void test_stix_bundle(void **state)
{
    (void)state;
    c2list *l = read_text(LIST);
    export_options opt = {.tlp = EXPORT_TLP_AMBER_STRICT, .identity = "Example ISP",
                          .valid_days = 30};
    json_t *b = stix_bundle(l, &opt);
    assert_string_equal(str(b, "type"), "bundle");
    json_t *objs = json_object_get(b, "objects");
    /* identity, marking, 2 malware, 4 x (indicator, sighting), 3 relationships */
    assert_int_equal(json_array_size(objs), 2 + 2 + 2 * 4 + 3);
    json_t *ident = json_array_get(objs, 0), *mark = json_array_get(objs, 1);
    assert_string_equal(str(ident, "type"), "identity");
    assert_string_equal(str(ident, "name"), "Example ISP");
    assert_string_equal(str(mark, "id"), "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003");
    assert_string_equal(str(mark, "name"), "TLP:AMBER+STRICT");
    json_t *ext = json_object_get(json_object_get(mark, "extensions"),
                                  "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d");
    assert_string_equal(str(ext, "tlp_2_0"), "amber+strict");
    /* one malware object per distinct category, in name order */
    json_t *emotet = json_array_get(objs, 2), *njrat = json_array_get(objs, 3);
    assert_string_equal(str(emotet, "type"), "malware");
    assert_string_equal(str(emotet, "name"), "Emotet");
    assert_string_equal(str(njrat, "name"), "Trojan:Win32/njRAT (x)");
    assert_true(json_is_true(json_object_get(emotet, "is_family")));
    assert_string_equal(json_string_value(json_array_get(json_object_get(emotet, "malware_types"), 0)),
                        "bot");
    assert_string_equal(str(emotet, "created_by_ref"), str(ident, "id"));
    char u[40], want_id[80];
    char idname[200];
    snprintf(idname, sizeof idname, "malware|%s|Emotet", str(ident, "id"));
    snprintf(want_id, sizeof want_id, "malware--%s", export_uuid5(idname, u, sizeof u));
    assert_string_equal(str(emotet, "id"), want_id);
    /* the first row: indicator, its sighting, its relationship to Emotet */
    json_t *ind = json_array_get(objs, 4), *sig = json_array_get(objs, 5),
           *rel = json_array_get(objs, 6);
    assert_string_equal(str(ind, "id"), "indicator--aef0e4d1-eb7e-5ade-ac43-0e4ef84d710c");
    assert_string_equal(str(ind, "pattern"),
        "[network-traffic:dst_ref.type = 'ipv4-addr' AND network-traffic:dst_ref.value = "
        "'198.51.100.7' AND network-traffic:dst_port = 443 AND network-traffic:protocols[*] = 'tcp']");
    assert_string_equal(str(ind, "valid_from"), "2026-01-05T01:02:03.000Z");
    assert_string_equal(str(ind, "valid_until"), "2026-02-05T10:00:00.000Z");
    assert_string_equal(str(ind, "modified"), "2026-01-06T10:00:00.000Z");
    assert_string_equal(str(ind, "created_by_ref"), str(ident, "id"));
    assert_int_equal(json_integer_value(json_object_get(ind, "confidence")), 88);
    assert_string_equal(json_string_value(json_array_get(json_object_get(ind, "object_marking_refs"), 0)),
                        str(mark, "id"));
    assert_string_equal(str(sig, "type"), "sighting");
    assert_string_equal(str(sig, "sighting_of_ref"), str(ind, "id"));
    assert_string_equal(str(sig, "first_seen"), "2026-01-05T01:02:03.000Z");
    assert_string_equal(str(sig, "last_seen"), "2026-01-06T10:00:00.000Z");
    assert_int_equal(json_integer_value(json_object_get(sig, "count")), 4);
    assert_string_equal(str(rel, "type"), "relationship");
    assert_string_equal(str(rel, "relationship_type"), "indicates");
    assert_string_equal(str(rel, "source_ref"), str(ind, "id"));
    assert_string_equal(str(rel, "target_ref"), str(emotet, "id"));
    assert_string_equal(str(rel, "modified"), "2026-01-06T10:00:00.000Z");
    /* the second row indicates the same malware object */
    assert_string_equal(str(json_array_get(objs, 9), "target_ref"), str(emotet, "id"));
    assert_string_not_equal(str(json_array_get(objs, 9), "id"), str(rel, "id"));
    /* the IPv6 row, without dates: valid from the list's newest time */
    json_t *v6 = json_array_get(objs, 10);
    assert_string_equal(str(v6, "pattern"),
        "[network-traffic:dst_ref.type = 'ipv6-addr' AND network-traffic:dst_ref.value = "
        "'2001:db8::1' AND network-traffic:dst_port = 23 AND network-traffic:protocols[*] = 'tcp']");
    assert_string_equal(str(v6, "valid_from"), "2026-01-06T10:00:00.000Z");
    assert_null(json_object_get(json_array_get(objs, 11), "first_seen"));
    assert_string_equal(str(json_array_get(objs, 12), "target_ref"), str(njrat, "id"));
    /* GRE, port 0: no port in the pattern; no category: no relationship */
    json_t *gre = json_array_get(objs, 13);
    assert_string_equal(str(gre, "pattern"),
        "[network-traffic:dst_ref.type = 'ipv4-addr' AND network-traffic:dst_ref.value = "
        "'203.0.113.9' AND network-traffic:protocols[*] = 'gre']");
    assert_string_equal(str(json_array_get(objs, 14), "type"), "sighting");
    json_decref(b);
    /* every TLP level gives its official marking */
    static const char *const ids[EXPORT_TLP_N] = {
        "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487",
        "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb",
        "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421",
        "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003",
        "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1",
    };
    for (int t = 0; t < EXPORT_TLP_N; t++) {
        export_options o = {.tlp = (export_tlp)t};
        b = stix_bundle(l, &o);
        assert_string_equal(str(json_array_get(json_object_get(b, "objects"), 1), "id"), ids[t]);
        json_decref(b);
    }
    c2list_free(l);
}

/* A list without categories has no malware object and no relationship. */
/* The objects one by one (the hub publishes them so) are the bundle's. */
static void test_stix_objects_are_the_bundles(void **state)
{
    (void)state;
    c2list *l = read_text(LIST);
    export_options opt = {.tlp = EXPORT_TLP_RED, .identity = "Example ISAC", .valid_days = 7};
    json_t *b = stix_bundle(l, &opt);
    c2_err err;
    json_t *objs = export_stix_objects(l, &opt, &err);
    assert_non_null(objs);
    assert_true(json_equal(objs, json_object_get(b, "objects")));
    json_decref(objs);
    opt.tlp = EXPORT_TLP_N;
    assert_null(export_stix_objects(l, &opt, &err));
    assert_non_null(strstr(err.msg, "TLP"));
    json_decref(b);
    c2list_free(l);
}

static void test_stix_no_categories(void **state)
{
    (void)state;
    c2list *l = read_text("ip,port,proto,score\n192.0.2.1,80,tcp,50\n192.0.2.2,81,tcp,60\n");
    json_t *b = stix_bundle(l, NULL);
    json_t *objs = json_object_get(b, "objects");
    assert_int_equal(json_array_size(objs), 2 + 2 * 2);
    for (size_t i = 0; i < json_array_size(objs); i++) {
        assert_string_not_equal(str(json_array_get(objs, i), "type"), "malware");
        assert_string_not_equal(str(json_array_get(objs, i), "type"), "relationship");
    }
    json_decref(b);
    c2list_free(l);
}

static void test_stix_empty_and_stable_ids(void **state)
{
    (void)state;
    c2list *empty = c2list_new();
    json_t *b = stix_bundle(empty, NULL);
    assert_int_equal(json_array_size(json_object_get(b, "objects")), 2);
    json_decref(b);
    c2list_free(empty);
    /* a row's indicator id depends on its key only: a later list with the
     * row seen again names the same indicator, with a newer modified */
    c2list *a = read_text(LIST);
    c2list *later = read_text(
        "ip,port,proto,first_seen,last_seen,score\n"
        "198.51.100.7,443,tcp,2026-01-05T01:02:03Z,2026-01-09T00:00:00Z,95\n");
    json_t *x = stix_bundle(a, NULL), *y = stix_bundle(later, NULL);
    json_t *ix = json_array_get(json_object_get(x, "objects"), 4);   /* after 2 malware */
    json_t *iy = json_array_get(json_object_get(y, "objects"), 2);
    assert_string_equal(str(ix, "id"), str(iy, "id"));
    assert_string_equal(str(iy, "modified"), "2026-01-09T00:00:00.000Z");
    assert_string_not_equal(str(x, "id"), str(y, "id"));
    json_decref(x);
    json_decref(y);
    /* only a last seen time: valid from it, valid_until still after */
    c2list *last_only = read_text(
        "ip,port,proto,first_seen,last_seen,score\n"
        "192.0.2.1,80,tcp,,2026-01-03T00:00:00Z,50\n"
        "192.0.2.2,80,tcp,2026-01-02T00:00:00Z,2026-01-09T00:00:00Z,50\n");
    export_options o = {.valid_days = 1};
    json_t *z = stix_bundle(last_only, &o);
    json_t *iz = json_array_get(json_object_get(z, "objects"), 2);
    assert_string_equal(str(iz, "valid_from"), "2026-01-03T00:00:00.000Z");
    assert_string_equal(str(iz, "valid_until"), "2026-01-04T00:00:00.000Z");
    json_decref(z);
    c2list_free(last_only);
    c2list_free(a);
    c2list_free(later);
}

/* ---- MISP feed ---- */

static char *misp_text(const c2list *l, int which, const export_options *opt)
{
    char *buf = NULL;
    size_t len = 0;
    c2_err err;
    FILE *f = open_memstream(&buf, &len);
    int rc = which == 0 ? export_write(l, EXPORT_MISP_FEED, opt, f, &err)
           : which == 1 ? export_misp_manifest(l, opt, f, &err)
                        : export_misp_hashes(l, opt, f, &err);
    if (rc != 0) fail_msg("misp: %s", err.msg);
    fclose(f);
    return buf;
}

static void test_md5(void **state)
{
    (void)state;
    char hex[40];
    /* RFC 1321's test suite */
    assert_string_equal(export_md5_hex("", 0, hex, sizeof hex), "d41d8cd98f00b204e9800998ecf8427e");
    assert_string_equal(export_md5_hex("abc", 3, hex, sizeof hex), "900150983cd24fb0d6963f7d28e17f72");
    const char *digits = "12345678901234567890123456789012345678901234567890123456789012345678901234567890";
    assert_string_equal(export_md5_hex(digits, strlen(digits), hex, sizeof hex),
                        "57edf4a22be3c955ac49da2e2107b67a");
    assert_string_equal(export_md5_hex("443", 3, hex, sizeof hex), "13f3cf8c531952d72e5847c4183e6910");
}

static void test_misp_feed(void **state)
{
    (void)state;
    c2list *l = read_text(LIST);
    export_options opt = {.tlp = EXPORT_TLP_RED, .identity = "Example ISP"};
    char uuid[40];
    export_misp_event_uuid(&opt, uuid, sizeof uuid);
    char *ev = misp_text(l, 0, &opt), *man = misp_text(l, 1, &opt), *hashes = misp_text(l, 2, &opt);
    json_error_t jerr;
    json_t *root = json_loads(ev, 0, &jerr), *m = json_loads(man, 0, &jerr);
    json_t *e = json_object_get(root, "Event");
    assert_non_null(e);
    assert_non_null(m);
    assert_string_equal(str(e, "uuid"), uuid);
    assert_non_null(json_object_get(m, uuid));
    assert_string_equal(str(json_array_get(json_object_get(e, "Tag"), 0), "name"), "tlp:red");
    json_t *attrs = json_object_get(e, "Attribute");
    assert_int_equal(json_array_size(attrs), 4);
    json_t *a0 = json_array_get(attrs, 0), *a2 = json_array_get(attrs, 2);
    assert_string_equal(str(a0, "type"), "ip-dst|port");
    assert_string_equal(str(a0, "value"), "198.51.100.7|443");
    assert_string_equal(str(a0, "category"), "Network activity");
    assert_true(json_is_true(json_object_get(a0, "to_ids")));
    assert_string_equal(str(a0, "first_seen"), "2026-01-05T01:02:03.000Z");
    assert_non_null(strstr(str(a0, "comment"), "; malware Emotet"));
    assert_null(strstr(str(json_array_get(attrs, 3), "comment"), "malware"));
    assert_string_equal(str(a2, "value"), "2001:db8::1|23");
    assert_null(json_object_get(a2, "first_seen"));
    /* two MD5 lines per attribute: the address and the port, as PyMISP */
    char want[200];
    snprintf(want, sizeof want, "526291673f8700ef4e4902e29550a03b,%s\n"
                                "13f3cf8c531952d72e5847c4183e6910,%s\n", uuid, uuid);
    assert_memory_equal(hashes, want, strlen(want));
    size_t lines = 0;
    for (const char *c = hashes; *c; c++) lines += *c == '\n';
    assert_int_equal(lines, 8);
    /* the event's uuid follows from identity and name, not from the rows */
    export_options other = {.identity = "Example ISP", .name = "ml_list"};
    char uuid2[40], uuid3[40];
    c2list *empty = c2list_new();
    export_misp_event_uuid(&other, uuid2, sizeof uuid2);
    assert_string_not_equal(uuid, uuid2);
    char *ev_empty = misp_text(empty, 0, &opt);
    json_t *ee = json_loads(ev_empty, 0, &jerr);
    assert_string_equal(str(json_object_get(ee, "Event"), "uuid"), uuid);
    assert_int_equal(json_array_size(json_object_get(json_object_get(ee, "Event"), "Attribute")), 0);
    export_misp_event_uuid(&opt, uuid3, sizeof uuid3);
    assert_string_equal(uuid, uuid3);
    json_decref(ee);
    json_decref(root);
    json_decref(m);
    free(ev_empty);
    free(ev);
    free(man);
    free(hashes);
    c2list_free(empty);
    c2list_free(l);
}

/* ---- properties ---- */

static void test_deterministic(void **state)
{
    (void)state;
    c2list *a = read_text(LIST), *b = read_text(LIST);
    for (int fmt = 0; fmt < EXPORT_NFORMATS; fmt++) {
        char *x = export_text(a, (export_format)fmt, NULL);
        char *y = export_text(b, (export_format)fmt, NULL);
        assert_string_equal(x, y);
        free(x);
        free(y);
    }
    c2list_free(a);
    c2list_free(b);
}

static void test_empty_list(void **state)
{
    (void)state;
    c2list *l = c2list_new();
    assert_non_null(l);
    char *t = export_text(l, EXPORT_NFTABLES, NULL);
    /* an empty set has no elements line (nft refuses "elements = { }") */
    assert_null(strstr(t, "elements"));
    assert_non_null(strstr(t, "set c2_v6 {\n\t\ttype ipv6_addr . inet_proto . inet_service\n\t}\n"));
    free(t);
    t = export_text(l, EXPORT_SURICATA_IPREP, NULL);
    assert_string_equal(t, "");
    free(t);
    t = export_text(l, EXPORT_ZEEK_INTEL, NULL);
    assert_string_equal(t, "#fields\tindicator\tindicator_type\tmeta.source\tmeta.desc\n");
    free(t);
    for (int fmt = 0; fmt < EXPORT_NFORMATS; fmt++) free(export_text(l, (export_format)fmt, NULL));
    c2list_free(l);
}

static void test_format_names(void **state)
{
    (void)state;
    for (int fmt = 0; fmt < EXPORT_NFORMATS; fmt++) {
        const char *n = export_format_name((export_format)fmt);
        assert_int_equal(export_format_lookup(n), fmt);
        assert_non_null(strstr(export_format_names(), n));
    }
    assert_int_equal(export_format_lookup("nope"), -1);
    assert_int_equal(export_format_lookup(""), -1);
    assert_int_equal(export_format_lookup("CSV"), -1);
    for (int t = 0; t < EXPORT_TLP_N; t++)
        assert_int_equal(export_tlp_lookup(export_tlp_name((export_tlp)t)), t);
    assert_int_equal(export_tlp_lookup("white"), -1);       /* TLP 1.0's, not 2.0's */
    assert_int_equal(export_tlp_lookup("AMBER"), -1);
}

/* ---- round trips through src/intel/ ---- */

static void intel_round_trip(export_format fmt, intel_format want, size_t want_entries)
{
    c2list *l = read_text(LIST);
    char *t = export_text(l, fmt, NULL);
    intel_set *s;
    intel_stats st;
    c2_err err;
    assert_int_equal(intel_new(&s, &err), 0);
    if (intel_load_mem(s, t, strlen(t), "export", INTEL_AUTO, &st, &err) != 0)
        fail_msg("load: %s", err.msg);
    assert_int_equal(st.format, want);
    assert_int_equal(st.bad, 0);
    assert_int_equal(intel_count(s), want_entries);
    for (size_t i = 0; i < c2list_count(l); i++) {
        const c2_entry *e = c2list_get(l, i);
        if (fmt == EXPORT_THREATFOX_CSV && e->port == 0) continue;
        const intel_entry *m = intel_match(s, &e->ip, e->port, e->proto, 0);
        assert_non_null(m);
        assert_int_equal(m->port, e->port);
        assert_int_equal(m->first_seen / 1000, e->first_seen / 1000);
        assert_string_equal(m->malware, e->category[0] ? e->category
                            : fmt == EXPORT_THREATFOX_CSV ? "Unknown malware" : "");
    }
    /* a server of the list on another port is no match */
    const intel_entry *m = intel_match(s, &c2list_get(l, 0)->ip, 444, 6, 0);
    assert_null(m);
    intel_free(s);
    free(t);
    c2list_free(l);
}

static void test_feodo_reads_back(void **state)
{
    (void)state;
    intel_round_trip(EXPORT_FEODO_CSV, INTEL_FEODO, 4);
}

static void test_threatfox_reads_back(void **state)
{
    (void)state;
    intel_round_trip(EXPORT_THREATFOX_CSV, INTEL_THREATFOX, 3);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_csv_jsonl_are_the_list),
        cmocka_unit_test(test_feodo),
        cmocka_unit_test(test_threatfox),
        cmocka_unit_test(test_nftables),
        cmocka_unit_test(test_ipset),
        cmocka_unit_test(test_suricata_iprep),
        cmocka_unit_test(test_zeek_intel),
        cmocka_unit_test(test_name_option),
        cmocka_unit_test(test_sha1_uuid5),
        cmocka_unit_test(test_stix_bundle),
        cmocka_unit_test(test_stix_objects_are_the_bundles),
        cmocka_unit_test(test_stix_no_categories),
        cmocka_unit_test(test_stix_empty_and_stable_ids),
        cmocka_unit_test(test_md5),
        cmocka_unit_test(test_misp_feed),
        cmocka_unit_test(test_deterministic),
        cmocka_unit_test(test_empty_list),
        cmocka_unit_test(test_format_names),
        cmocka_unit_test(test_feodo_reads_back),
        cmocka_unit_test(test_threatfox_reads_back),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
