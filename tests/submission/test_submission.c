/*
 * test_submission.c: hub submissions parsed and validated
 * (src/submission/).
 *
 *   - media types to formats, parameters and case included;
 *   - CSV and JSON Lines accepted with every field; refused with the row
 *     (and line) and reason: unknown column or key, private address, port
 *     0 with tcp, times before the sane minimum or in the future, too many
 *     rows or bytes, the declared form not the form sent, deep nesting,
 *     NUL bytes, invalid UTF-8;
 *   - STIX 2.1: a hand-made bundle accepted; every bundle c2flow's exporter
 *     writes (every TLP level, with and without valid_until, categories,
 *     and 20 random lists) accepted with the same rows; refused: object
 *     types, custom and
 *     unknown properties, observed data in sightings, sightings by
 *     non-identities, addresses outside patterns, patterns beyond one
 *     observation of a destination, bad addresses in patterns, limits;
 *   - the special-purpose address table at the edges of every range;
 *   - submission ids.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "export/export.h"
#include "submission/submission.h"

/* ---- helpers ---- */

#define DAY C2_MS_PER_DAY

/* Received 2026-12-06T00:00:00Z, one day of future, nothing before 2000. */
static submission_limits limits(void)
{
    submission_limits l;
    submission_limits_default(&l);
    l.now_ms = c2_days_from_civil(2026, 12, 6) * DAY;
    l.max_rows = 100;
    l.max_bytes = 1 << 20;
    return l;
}

static c2list *parse_ok_n(const char *body, size_t len, submission_format fmt,
                          const submission_limits *lim)
{
    c2list *l = NULL;
    c2_err err = {{0}};
    if (submission_parse(body, len, fmt, lim, &l, &err) != 0) fail_msg("refused: %s", err.msg);
    assert_non_null(l);
    return l;
}

static c2list *parse_ok(const char *body, submission_format fmt)
{
    submission_limits lim = limits();
    return parse_ok_n(body, strlen(body), fmt, &lim);
}

/* Refused with exactly the message want. */
static void refused_n(const char *body, size_t len, submission_format fmt,
                      const submission_limits *lim, const char *want)
{
    c2list *l = (c2list *)1;
    c2_err err = {{0}};
    assert_int_equal(submission_parse(body, len, fmt, lim, &l, &err), -1);
    assert_null(l);
    assert_null(strchr(err.msg, '\n'));
    if (strcmp(err.msg, want) != 0) fail_msg("got  \"%s\"\nwant \"%s\"", err.msg, want);
}

static void refused(const char *body, submission_format fmt, const char *want)
{
    submission_limits lim = limits();
    refused_n(body, strlen(body), fmt, &lim, want);
}

/* Refused with a message that starts with prefix. */
static void refused_start(const char *body, submission_format fmt, const char *prefix)
{
    submission_limits lim = limits();
    c2list *l = (c2list *)1;
    c2_err err = {{0}};
    assert_int_equal(submission_parse(body, strlen(body), fmt, &lim, &l, &err), -1);
    assert_null(l);
    if (strncmp(err.msg, prefix, strlen(prefix)) != 0)
        fail_msg("got  \"%s\"\nwant \"%s...\"", err.msg, prefix);
}

static const c2_entry *find(const c2list *l, const char *ip, uint16_t port, uint8_t proto)
{
    flow_addr a;
    assert_int_equal(flow_addr_parse(ip, &a), 0);
    const c2_entry *e = c2list_find(l, &a, port, proto);
    if (!e) fail_msg("%s %u/%u not in the list", ip, port, proto);
    return e;
}

static int64_t t(const char *iso)
{
    int64_t ms;
    assert_int_equal(c2list_time_parse(iso, &ms), 0);
    return ms;
}

/* ---- media types ---- */

static void test_format_from_type(void **state)
{
    (void)state;
    static const struct { const char *type; int fmt; } cases[] = {
        {"text/csv", SUBMISSION_CSV},
        {"Text/CSV; charset=utf-8", SUBMISSION_CSV},
        {"application/x-ndjson", SUBMISSION_JSONL},
        {"application/jsonl", SUBMISSION_JSONL},
        {"application/stix+json", SUBMISSION_STIX21},
        {"application/stix+json;version=2.1", SUBMISSION_STIX21},
        {"application/STIX+json ; Version=\"2.1\"", SUBMISSION_STIX21},
        {"application/json", SUBMISSION_AUTO},
        {"application/json; charset=UTF-8", SUBMISSION_AUTO},
        {"application/stix+json;version=2.0", -1},
        {"application/json;version=2.1", -1},
        {"text/csv; charset=latin1", -1},
        {"text/csv; foo", -1},
        {"text/plain", -1},
        {"application/taxii+json;version=2.1", -1},
        {"", -1},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        if (submission_format_from_type(cases[i].type) != cases[i].fmt)
            fail_msg("%s: %d, want %d", cases[i].type, submission_format_from_type(cases[i].type),
                     cases[i].fmt);
    assert_int_equal(submission_format_from_type(NULL), -1);
}

/* ---- CSV and JSON Lines ---- */

static void test_csv_accepted(void **state)
{
    (void)state;
    c2list *l = parse_ok("ip,port,proto,first_seen,last_seen,score,method,group,"
                         "infected_clients,clients,days_seen\n"
                         "8.8.4.4,443,tcp,2026-11-01T00:00:00Z,2026-12-06T12:00:00Z,87.5,graph,"
                         "3,37,41,3\n"
                         "\n"
                         "2600::1,53,udp,,,90,ml,0,0,0,0\n"
                         "1.1.1.1,0,icmp,,,,,,,,\n",
                         SUBMISSION_CSV);
    assert_int_equal(c2list_count(l), 3);
    const c2_entry *e = find(l, "8.8.4.4", 443, 6);
    assert_int_equal(e->first_seen, t("2026-11-01T00:00:00Z"));
    assert_int_equal(e->last_seen, t("2026-12-06T12:00:00Z"));
    assert_true(e->score == 87.5);
    assert_string_equal(e->method, "graph");
    assert_int_equal(e->clients, 41);
    assert_int_equal(find(l, "2600::1", 53, 17)->score, 90);
    assert_int_equal(find(l, "1.1.1.1", 0, 1)->port, 0);
    c2list_free(l);
}

static void test_jsonl_accepted(void **state)
{
    (void)state;
    c2list *l = parse_ok("{\"ip\":\"8.8.4.4\",\"port\":443,\"proto\":\"tcp\",\"score\":70,"
                         "\"method\":\"both\",\"first_seen\":\"2026-11-01\"}\r\n"
                         "{\"ip\":\"2a00:1450::1\",\"port\":8443,\"proto\":6,\"last_seen\":null}\n",
                         SUBMISSION_JSONL);
    assert_int_equal(c2list_count(l), 2);
    assert_string_equal(find(l, "8.8.4.4", 443, 6)->method, "both");
    assert_int_equal(find(l, "8.8.4.4", 443, 6)->first_seen, t("2026-11-01"));
    c2list_free(l);
    /* application/json with JSON Lines is sniffed as JSON Lines */
    l = parse_ok("{\"ip\":\"8.8.4.4\",\"port\":443,\"proto\":\"tcp\"}\n", SUBMISSION_AUTO);
    assert_int_equal(c2list_count(l), 1);
    c2list_free(l);
    /* an empty body is an empty list */
    l = parse_ok("", SUBMISSION_JSONL);
    assert_int_equal(c2list_count(l), 0);
    c2list_free(l);
}

static void test_list_rejections(void **state)
{
    (void)state;
    refused("ip,port,proto,customer\n8.8.8.8,1,tcp,x\n", SUBMISSION_CSV,
            "header: unknown column 'customer' (see docs/c2list.md)");
    refused("\n\nip,port,proto,src_ip\n", SUBMISSION_CSV,
            "header (line 3): unknown column 'src_ip' (see docs/c2list.md)");
    refused("{\"ip\":\"8.8.8.8\",\"port\":1,\"proto\":\"tcp\"}\n"
            "{\"ip\":\"8.8.4.4\",\"port\":1,\"proto\":\"tcp\",\"customer\":\"10.0.0.1\"}\n",
            SUBMISSION_JSONL, "row 2: unknown key 'customer' (see docs/c2list.md)");
    /* row counts data rows; the line follows when it differs */
    refused("ip,port,proto\n8.8.8.8,443,tcp\n\n9.9.9.9,53,udp\n10.1.2.3,443,tcp\n",
            SUBMISSION_CSV, "row 3 (line 5): 10.1.2.3 is a private address (RFC 1918)");
    refused("{\"ip\":\"8.8.8.8\",\"port\":443,\"proto\":\"tcp\"}\n"
            "{\"ip\":\"100.64.0.0\",\"port\":443,\"proto\":\"tcp\"}\n",
            SUBMISSION_JSONL,
            "row 2: 100.64.0.0 is in the shared address space 100.64.0.0/10 (RFC 6598)");
    refused("ip,port,proto,method\n8.8.8.8,443,tcp,10.1.2.3\n", SUBMISSION_CSV,
            "row 1 (line 2): method '10.1.2.3' holds an IP address");
    refused("ip,port,proto\n8.8.8.8,0,tcp\n", SUBMISSION_CSV,
            "row 1 (line 2): port 0 with tcp (a tcp server has a port 1-65535)");
    refused("ip,port,proto\n8.8.8.8,70000,tcp\n", SUBMISSION_CSV,
            "row 1 (line 2): port '70000' out of range (0-65535)");
    refused("ip,port,proto\nexample.com,80,tcp\n", SUBMISSION_CSV,
            "row 1 (line 2): ip 'example.com' is not an IP address");
    refused("ip,port,proto,first_seen\n8.8.8.8,80,tcp,1999-12-31T23:59:59Z\n", SUBMISSION_CSV,
            "row 1 (line 2): first_seen 1999-12-31T23:59:59Z is before 2000-01-01T00:00:00Z");
    refused("ip,port,proto,last_seen\n8.8.8.8,80,tcp,2026-12-07T00:00:00.001Z\n", SUBMISSION_CSV,
            "row 1 (line 2): last_seen 2026-12-07T00:00:00.001Z is in the future "
            "(after 2026-12-07T00:00:00Z)");
    refused("ip,port,proto,first_seen,last_seen\n8.8.8.8,80,tcp,2026-02-01,2026-01-01\n",
            SUBMISSION_CSV, "row 1 (line 2): last_seen before first_seen");
    refused("ip,port,proto\n8.8.8.8,80,tcp\n8.8.8.8,80,tcp\n", SUBMISSION_CSV,
            "row 2 (line 3): 8.8.8.8 port 80 tcp is already in the list");
    /* the declared form must be the form sent */
    refused("{\"ip\":\"8.8.8.8\",\"port\":1,\"proto\":\"tcp\"}\n", SUBMISSION_CSV,
            "body: JSON where CSV was declared (Content-Type text/csv)");
    refused("\nip,port,proto\n8.8.8.8,1,tcp\n", SUBMISSION_JSONL,
            "row 1 (line 2): not a JSON object (JSON Lines: one object a line)");
    refused("ip,port,proto\n8.8.8.8,1,tcp\n", SUBMISSION_AUTO,
            "row 1: not a JSON object (JSON Lines: one object a line)");
    refused("{\"ip\":\"8.8.8.8\",\"port\":1,\"proto\":\"tcp\",\"x\":[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]}\n",
            SUBMISSION_JSONL, "row 1: JSON nested deeper than 16 levels");
    refused_start("{\"ip\":\"8.8.8.8\",\"port\":1,\"proto\":\"tc\xff\"}\n", SUBMISSION_JSONL,
                  "row 1: bad JSON: ");
    refused_start("{\"ip\":\"8.8.8.8\",\"port\":1,\"proto\":\"tcp\"}\n{\"ip\":\"8.8.8.8\"",
                  SUBMISSION_JSONL, "row 2: bad JSON: ");
    static const char nul[] = "ip,port,proto\n8.8.8.8,1,tcp\n9.9.9.9\0,1,tcp\n";
    submission_limits lim = limits();
    refused_n(nul, sizeof nul - 1, SUBMISSION_CSV, &lim, "row 2 (line 3): NUL byte");
}

static void test_list_sizes(void **state)
{
    (void)state;
    submission_limits lim = limits();
    lim.max_rows = 3;
    const char *three = "ip,port,proto\n8.8.8.1,1,tcp\n8.8.8.2,1,tcp\n8.8.8.3,1,tcp\n";
    c2list *l = parse_ok_n(three, strlen(three), SUBMISSION_CSV, &lim);
    assert_int_equal(c2list_count(l), 3);
    c2list_free(l);
    const char *four = "ip,port,proto\n8.8.8.1,1,tcp\n8.8.8.2,1,tcp\n8.8.8.3,1,tcp\n8.8.8.4,1,tcp\n";
    refused_n(four, strlen(four), SUBMISSION_CSV, &lim, "row 4 (line 5): more than 3 rows");
    lim.max_rows = 100;
    lim.max_bytes = strlen(three);
    l = parse_ok_n(three, strlen(three), SUBMISSION_CSV, &lim);
    c2list_free(l);
    lim.max_bytes--;
    char want[96];
    snprintf(want, sizeof want, "body: %zu bytes, more than the limit of %zu", strlen(three),
             lim.max_bytes);
    refused_n(three, strlen(three), SUBMISSION_CSV, &lim, want);
}

/* ---- STIX 2.1 ---- */

#define ID_IDENT "identity--00000000-0000-4000-8000-000000000001"
#define ID_IND "indicator--00000000-0000-4000-8000-000000000002"
#define ID_SIG "sighting--00000000-0000-4000-8000-000000000003"
#define ID_MAL "malware--00000000-0000-4000-8000-000000000004"
#define ID_REL "relationship--00000000-0000-4000-8000-000000000005"
#define TLP_AMBER "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421"
#define TIMES "\"created\": \"2026-11-01T00:00:00.000Z\", \"modified\": \"2026-11-02T00:00:00Z\""

#define IDENT "{\"type\": \"identity\", \"spec_version\": \"2.1\", \"id\": \"" ID_IDENT "\", " \
              TIMES ", \"name\": \"ISP One\", \"identity_class\": \"organization\"}"
#define MARKING                                                                             \
    "{\"type\": \"marking-definition\", \"spec_version\": \"2.1\", \"id\": \"" TLP_AMBER "\", " \
    "\"created\": \"2022-10-01T00:00:00.000Z\", \"name\": \"TLP:AMBER\", \"extensions\": {"    \
    "\"extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d\": {"                      \
    "\"extension_type\": \"property-extension\", \"tlp_2_0\": \"amber\"}}}"
#define IND_WITH(pat, extra)                                                                \
    "{\"type\": \"indicator\", \"spec_version\": \"2.1\", \"id\": \"" ID_IND "\", " TIMES   \
    ", \"pattern\": \"" pat "\", \"pattern_type\": \"stix\", \"valid_from\": "              \
    "\"2026-11-01T00:00:00Z\", \"confidence\": 80, \"object_marking_refs\": [\"" TLP_AMBER  \
    "\"]" extra "}"
#define PAT_OK "[network-traffic:dst_ref.type = 'ipv4-addr' AND network-traffic:dst_ref.value " \
               "= '8.8.4.4' AND network-traffic:dst_port = 443 AND "                             \
               "network-traffic:protocols[*] = 'tcp']"
#define IND IND_WITH(PAT_OK, "")
#define SIG_WITH(extra)                                                                     \
    "{\"type\": \"sighting\", \"spec_version\": \"2.1\", \"id\": \"" ID_SIG "\", " TIMES    \
    ", \"sighting_of_ref\": \"" ID_IND "\", \"first_seen\": \"2026-11-03T00:00:00Z\", "    \
    "\"last_seen\": \"2026-11-04T00:00:00Z\", \"count\": 12, \"summary\": true" extra "}"
#define SIG SIG_WITH(", \"where_sighted_refs\": [\"" ID_IDENT "\"]")
#define MAL "{\"type\": \"malware\", \"spec_version\": \"2.1\", \"id\": \"" ID_MAL "\", " TIMES \
            ", \"name\": \"Emotet\", \"is_family\": true, \"malware_types\": [\"bot\"]}"
#define REL "{\"type\": \"relationship\", \"spec_version\": \"2.1\", \"id\": \"" ID_REL "\", " \
            TIMES ", \"relationship_type\": \"indicates\", \"source_ref\": \"" ID_IND "\", "  \
            "\"target_ref\": \"" ID_MAL "\"}"
#define BUNDLE(objs) "{\"type\": \"bundle\", \"id\": " \
                     "\"bundle--00000000-0000-4000-8000-0000000000ff\", \"objects\": [" objs "]}"

static void test_stix_accepted(void **state)
{
    (void)state;
    c2list *l = parse_ok(BUNDLE(IDENT "," MARKING "," MAL "," IND "," SIG "," REL),
                         SUBMISSION_STIX21);
    assert_int_equal(c2list_count(l), 1);
    const c2_entry *e = find(l, "8.8.4.4", 443, 6);
    assert_int_equal(e->first_seen, t("2026-11-03"));   /* from the sighting */
    assert_int_equal(e->last_seen, t("2026-11-04"));
    assert_int_equal(e->clients, 12);
    assert_true(e->score == 80);
    assert_string_equal(e->method, "stix");
    assert_string_equal(e->category, "Emotet");
    c2list_free(l);
    /* application/json sniffs a bundle; without a sighting the indicator's
     * valid_from and modified are the times */
    l = parse_ok(BUNDLE(IND), SUBMISSION_AUTO);
    e = find(l, "8.8.4.4", 443, 6);
    assert_int_equal(e->first_seen, t("2026-11-01"));
    assert_int_equal(e->last_seen, t("2026-11-02"));
    c2list_free(l);
    /* the other pattern forms export_read reads */
    l = parse_ok(BUNDLE(IND_WITH("[network-traffic:dst_ref.value = '2a00:1450::5' AND "
                                 "network-traffic:protocols[*] = 'ICMP']", "")),
                 SUBMISSION_STIX21);
    assert_int_equal(find(l, "2a00:1450::5", 0, 1)->port, 0);
    c2list_free(l);
    l = parse_ok(BUNDLE(IND_WITH("[network-traffic:dst_port = 8443 AND "
                                 "network-traffic:dst_ref.value = '2a00:1450::5']", "")),
                 SUBMISSION_STIX21);
    assert_int_equal(find(l, "2a00:1450::5", 8443, 6)->port, 8443);
    c2list_free(l);
}

/* Every row of a, in b, the same but for what STIX does not carry. */
static void assert_same_rows(const c2list *a, const c2list *b)
{
    assert_int_equal(c2list_count(a), c2list_count(b));
    for (size_t i = 0; i < c2list_count(a); i++) {
        const c2_entry *x = c2list_get(a, i), *y = c2list_get(b, i);
        assert_int_equal(flow_addr_cmp(&x->ip, &y->ip), 0);
        assert_int_equal(x->port, y->port);
        assert_int_equal(x->proto, y->proto);
        assert_int_equal(x->first_seen, y->first_seen);
        assert_int_equal(x->last_seen, y->last_seen);
        assert_true(x->score == y->score);
        assert_int_equal(x->clients, y->clients);
        assert_int_equal(x->infected_clients, y->infected_clients);
        assert_int_equal(x->days_seen, y->days_seen);
        assert_string_equal(x->category, y->category);
        assert_string_equal(y->method, "stix");
    }
}

static void test_stix_export_round_trip(void **state)
{
    (void)state;
    static const char list_text[] =
        "ip,port,proto,first_seen,last_seen,score,method,group,infected_clients,clients,"
        "days_seen,category\n"
        "8.8.4.4,443,tcp,2026-11-05T01:02:03Z,2026-11-06T10:00:00.250Z,88,graph,1,3,4,2,Emotet\n"
        "8.8.4.4,8080,udp,2026-11-04T00:00:00Z,2026-11-05T10:00:00Z,60,graph,1,3,4,2,Emotet\n"
        "2a00:1450:4001::7,23,tcp,,,90,ml,0,0,0,0,Trojan:Win32/njRAT (x)\n"
        "1.0.0.1,0,icmp,,2026-11-05T00:00:00Z,10,both,0,0,0,0,\n"
        "2600::1,0,gre,2026-11-05T00:00:00Z,,0,,0,0,4294967295,7,\n"
        "9.9.9.9,53,udp,2026-11-05T00:00:00Z,2026-11-05T00:00:00Z,100,both,0,5,999999999,1,Mirai\n";
    c2list *orig;
    c2_err err;
    if (c2list_read_mem(list_text, sizeof list_text - 1, 0, &orig, &err) != 0)
        fail_msg("%s", err.msg);
    for (int tlp = 0; tlp < EXPORT_TLP_N; tlp++)
        for (uint32_t days = 0; days <= 30; days += 30) {
            char *buf = NULL;
            size_t len = 0;
            FILE *f = open_memstream(&buf, &len);
            export_options opt = {.identity = "ISP (AS64500) Ltd.", .tlp = (export_tlp)tlp,
                                  .valid_days = days};
            assert_non_null(f);
            assert_int_equal(export_write(orig, EXPORT_STIX21, &opt, f, &err), 0);
            fclose(f);
            submission_limits lim = limits();
            for (int fmt = SUBMISSION_AUTO; fmt <= SUBMISSION_STIX21; fmt += SUBMISSION_STIX21) {
                c2list *back = parse_ok_n(buf, len, (submission_format)fmt, &lim);
                /* clients above STIX's count limit come back at the limit */
                c2list *want = c2list_new();
                for (size_t i = 0; i < c2list_count(orig); i++) {
                    c2_entry e = *c2list_get(orig, i);
                    if (e.clients > 999999999u) e.clients = 999999999u;
                    assert_int_equal(c2list_add(want, &e, &err), 0);
                }
                assert_same_rows(want, back);
                c2list_free(want);
                c2list_free(back);
            }
            free(buf);
        }
    c2list_free(orig);
}

/* splitmix64: a reproducible stream for the random lists */
static uint64_t next_rand(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* A random row that a submission accepts and STIX carries whole: a public
 * address, a protocol STIX names, a whole score. */
static void random_row(uint64_t *seed, c2_entry *e)
{
    static const uint8_t protos[] = {6, 6, 6, 17, 17, 132, 1, 47, 50, 58};
    static const char *const cats[] = {"", "", "Emotet", "Mirai", "QakBot (a)", "x:y/z"};
    c2_entry_init(e);
    do {
        if (next_rand(seed) % 3) {
            flow_addr_from_v4(&e->ip, (uint32_t)next_rand(seed));
        } else {
            uint64_t hi = next_rand(seed), lo = next_rand(seed);
            for (int i = 0; i < 8; i++) {
                e->ip.b[i] = (uint8_t)(hi >> (8 * i));
                e->ip.b[8 + i] = (uint8_t)(lo >> (8 * i));
            }
            e->ip.b[0] = (uint8_t)(0x20 | (e->ip.b[0] & 0x1f));
        }
    } while (submission_address_check(&e->ip, NULL) != 0);
    e->proto = protos[next_rand(seed) % sizeof protos];
    uint64_t r = next_rand(seed);
    e->port = submission_port_check(0, e->proto, NULL) == 0 && r % 2 ? 0 : (uint16_t)(1 + r % 65535);
    int64_t base = t("2025-01-01"), span = 600 * DAY;
    r = next_rand(seed);
    e->first_seen = r % 4 ? base + (int64_t)(next_rand(seed) % (uint64_t)span) : 0;
    e->last_seen = r % 3 ? (e->first_seen ? e->first_seen : base) +
                           (int64_t)(next_rand(seed) % (uint64_t)(30 * DAY)) : 0;
    e->score = (double)(next_rand(seed) % 101);
    e->clients = (uint32_t)(next_rand(seed) % 5000);
    e->infected_clients = (uint32_t)(next_rand(seed) % 100);
    e->days_seen = (uint32_t)(next_rand(seed) % 30);
    strcpy(e->method, next_rand(seed) % 2 ? "graph" : "");
    strcpy(e->category, cats[next_rand(seed) % (sizeof cats / sizeof cats[0])]);
}

static void test_stix_export_random_lists(void **state)
{
    (void)state;
    uint64_t seed = 20261206;
    for (int round = 0; round < 20; round++) {
        c2list *orig = c2list_new();
        c2_err err;
        size_t n = next_rand(&seed) % 60;
        for (size_t i = 0; i < n; i++) {
            c2_entry e;
            random_row(&seed, &e);
            if (!c2list_find(orig, &e.ip, e.port, e.proto))
                assert_int_equal(c2list_add(orig, &e, &err), 0);
        }
        char *buf = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&buf, &len);
        export_options opt = {.identity = "ISP", .tlp = (export_tlp)(round % EXPORT_TLP_N),
                              .valid_days = (uint32_t)(round % 3) * 10};
        assert_non_null(f);
        assert_int_equal(export_write(orig, EXPORT_STIX21, &opt, f, &err), 0);
        fclose(f);
        submission_limits lim = limits();
        c2list *back = parse_ok_n(buf, len, SUBMISSION_AUTO, &lim);
        assert_same_rows(orig, back);
        c2list_free(back);
        c2list_free(orig);
        free(buf);
    }
}

static void test_stix_rejections(void **state)
{
    (void)state;
    refused(BUNDLE(IDENT ",{\"type\": \"observed-data\", \"spec_version\": \"2.1\", \"id\": "
                   "\"observed-data--00000000-0000-4000-8000-000000000009\"}"),
            SUBMISSION_STIX21,
            "object 2 (observed-data--00000000-0000-4000-8000-000000000009): type observed-data "
            "is not accepted");
    refused(BUNDLE("{\"type\": \"ipv4-addr\", \"id\": "
                   "\"ipv4-addr--00000000-0000-4000-8000-000000000009\", \"value\": \"10.0.0.1\"}"),
            SUBMISSION_STIX21,
            "object 1 (ipv4-addr--00000000-0000-4000-8000-000000000009): type ipv4-addr is not "
            "accepted");
    refused(BUNDLE(IND_WITH(PAT_OK, ", \"x_customer\": \"a\"")), SUBMISSION_STIX21,
            "object 1 (" ID_IND "): custom property x_customer is not accepted");
    refused(BUNDLE(IND_WITH(PAT_OK, ", \"source_ip\": \"a\"")), SUBMISSION_STIX21,
            "object 1 (" ID_IND "): property source_ip is not a STIX 2.1 property of indicator "
            "accepted here");
    refused(BUNDLE(IDENT ",{\"type\": \"identity\", \"spec_version\": \"2.1\", \"id\": "
                   "\"identity--00000000-0000-4000-8000-000000000009\", " TIMES ", \"name\": \"x\","
                   " \"extensions\": {}}"),
            SUBMISSION_STIX21,
            "object 2 (identity--00000000-0000-4000-8000-000000000009): property extensions is "
            "not a STIX 2.1 property of identity accepted here");
    refused(BUNDLE(IND "," SIG_WITH(", \"observed_data_refs\": "
                                    "[\"observed-data--00000000-0000-4000-8000-000000000009\"]")),
            SUBMISSION_STIX21,
            "object 2 (" ID_SIG "): observed_data_refs is not accepted (a submission carries no "
            "observed data)");
    refused(BUNDLE(IND "," SIG_WITH(", \"where_sighted_refs\": "
                                    "[\"location--00000000-0000-4000-8000-000000000009\"]")),
            SUBMISSION_STIX21,
            "object 2 (" ID_SIG "): where_sighted_refs: "
            "location--00000000-0000-4000-8000-000000000009 is not identity");
    refused(BUNDLE(SIG), SUBMISSION_STIX21,
            "object 1 (" ID_SIG "): sighting_of_ref " ID_IND " is not in the bundle");
    /* addresses: only in a pattern, or an indicator repeating its own */
    refused(BUNDLE("{\"type\": \"identity\", \"spec_version\": \"2.1\", \"id\": \"" ID_IDENT
                   "\", " TIMES ", \"name\": \"ISP\", \"description\": \"NAT pool 192.168.7.1.\"}"),
            SUBMISSION_STIX21,
            "object 1 (" ID_IDENT "): an IP address (192.168.7.1) in description: addresses "
            "belong only in an indicator's pattern");
    refused(BUNDLE(IND_WITH(PAT_OK, ", \"description\": \"C2 8.8.4.4:443 seen by [fe80::1]\"")),
            SUBMISSION_STIX21,
            "object 1 (" ID_IND "): an IP address (fe80::1) in description: addresses belong "
            "only in an indicator's pattern");
    c2list *l = parse_ok(BUNDLE(IND_WITH(PAT_OK, ", \"name\": \"C2 8.8.4.4:443 (8.8.4.4)\"")),
                         SUBMISSION_STIX21);
    c2list_free(l);
    /* the own address written otherwise does not hide another after it */
    refused(BUNDLE(IND_WITH("[network-traffic:dst_ref.value = '2a00:1450::7' AND "
                            "network-traffic:dst_port = 443]",
                            ", \"name\": \"C2 2A00:1450:0:0::7 and 2a00:1450::8\"")),
            SUBMISSION_STIX21,
            "object 1 (" ID_IND "): an IP address (2a00:1450::8) in name: addresses belong "
            "only in an indicator's pattern");
    refused(BUNDLE(IND_WITH(PAT_OK, ", \"name\": \"C2 08.8.4.4 8.8.4.4 10.0.0.9\"")),
            SUBMISSION_STIX21,
            "object 1 (" ID_IND "): an IP address (10.0.0.9) in name: addresses belong "
            "only in an indicator's pattern");
    refused(BUNDLE(IND "," SIG_WITH(", \"description\": \"from 2001:db8::5\"")),
            SUBMISSION_STIX21,
            "object 2 (" ID_SIG "): an IP address (2001:db8::5) in description: addresses belong "
            "only in an indicator's pattern");
    /* patterns */
    refused(BUNDLE(IND_WITH("[ipv4-addr:value = '8.8.4.4'] OR [ipv4-addr:value = '8.8.8.8']", "")),
            SUBMISSION_STIX21,
            "object 1 (" ID_IND "): pattern: one observation only (no OR, FOLLOWEDBY, qualifiers)");
    refused(BUNDLE(IND_WITH("[network-traffic:src_ref.value = '100.64.1.2' AND "
                            "network-traffic:dst_ref.value = '8.8.4.4']", "")),
            SUBMISSION_STIX21,
            "object 1 (" ID_IND "): pattern: comparison on network-traffic:src_ref.value is not "
            "accepted (dst_ref.type, dst_ref.value, dst_port, protocols[*])");
    refused(BUNDLE(IND_WITH("[network-traffic:dst_ref.value = '10.1.2.3' AND "
                            "network-traffic:dst_port = 443]", "")),
            SUBMISSION_STIX21,
            "object 1 (" ID_IND "): 10.1.2.3 is a private address (RFC 1918)");
    refused(BUNDLE(IND_WITH("[ipv4-addr:value = '8.8.4.4']", "")), SUBMISSION_STIX21,
            "object 1 (" ID_IND "): pattern: no dst_port, which a tcp server has "
            "(protocols[*] absent: tcp)");
    refused(BUNDLE(IND_WITH("[network-traffic:dst_ref.value = '8.8.4.4' AND "
                            "network-traffic:dst_port = 0]", "")),
            SUBMISSION_STIX21,
            "object 1 (" ID_IND "): port 0 with tcp (a tcp server has a port 1-65535)");
    refused(BUNDLE(IND_WITH("[network-traffic:dst_ref.type = 'ipv6-addr' AND "
                            "network-traffic:dst_ref.value = '8.8.4.4']", "")),
            SUBMISSION_STIX21,
            "object 1 (" ID_IND "): pattern: the address is not of the type the pattern names");
    refused(BUNDLE(IND_WITH("[domain-name:value = 'evil.example']", "")), SUBMISSION_STIX21,
            "object 1 (" ID_IND "): pattern: comparison on domain-name:value is not accepted "
            "(dst_ref.type, dst_ref.value, dst_port, protocols[*])");
    refused(BUNDLE(IND_WITH("[ipv4-addr:value = '8.8.4.4' AND network-traffic:dst_port = 1]", "")),
            SUBMISSION_STIX21,
            "object 1 (" ID_IND "): pattern: comparisons on different objects in one observation");
    refused_start(BUNDLE("{\"type\": \"indicator\", \"spec_version\": \"2.1\", \"id\": \"" ID_IND
                         "\", " TIMES ", \"pattern\": \"x\", \"pattern_type\": \"sigma\", "
                         "\"valid_from\": \"2026-11-01T00:00:00Z\"}"),
                  SUBMISSION_STIX21, "object 1 (" ID_IND "): pattern_type must be \"stix\"");
    /* the bundle and its objects' shape */
    refused("{\"type\": \"bundle\", \"id\": \"bundle--00000000-0000-4000-8000-0000000000ff\", "
            "\"spec_version\": \"2.0\", \"objects\": []}",
            SUBMISSION_STIX21, "body: bundle property spec_version is not accepted (type, id, objects)");
    refused(BUNDLE(IND "," IND), SUBMISSION_STIX21,
            "object 2 (" ID_IND "): 8.8.4.4 port 443 tcp is already in the list");
    refused(BUNDLE(IND_WITH(PAT_OK, ", \"created_by_ref\": \"" ID_SIG "\"")), SUBMISSION_STIX21,
            "object 1 (" ID_IND "): created_by_ref: " ID_SIG " is not identity");
    refused(BUNDLE("{\"type\": \"indicator\", \"id\": \"" ID_IND "\"}"), SUBMISSION_STIX21,
            "object 1 (" ID_IND "): spec_version must be \"2.1\"");
    refused(BUNDLE("{\"type\": \"malware\", \"spec_version\": \"2.1\", \"id\": \"" ID_IND "\"}"),
            SUBMISSION_STIX21, "object 1 (" ID_IND "): id must be malware--UUID");
    refused(BUNDLE(IND_WITH(PAT_OK, ", \"valid_until\": \"2026-11-01 00:00:00\"")),
            SUBMISSION_STIX21,
            "object 1 (" ID_IND "): valid_until is not a STIX timestamp (2026-01-05T00:00:00.000Z)");
    refused(BUNDLE("[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]"),
            SUBMISSION_STIX21, "body: line 1: JSON nested deeper than 16 levels");
    refused_start("{\"type\": \"bundle\", \"type\": \"bundle\"}", SUBMISSION_STIX21, "body: line 1: ");
    refused("[]", SUBMISSION_STIX21, "body: not a JSON object (a STIX bundle)");
    refused_start(BUNDLE(IND) "\n{\"ip\":\"8.8.8.8\",\"port\":1,\"proto\":\"tcp\"}\n",
                  SUBMISSION_AUTO, "body: line 2: end of file expected");
    refused_start(BUNDLE(IND) " x", SUBMISSION_AUTO, "body: line 1: end of file expected");
}

static void test_stix_limits(void **state)
{
    (void)state;
    submission_limits lim = limits();
    lim.max_rows = 1;
    const char *one = BUNDLE(IND "," SIG);
    c2list *l = parse_ok_n(one, strlen(one), SUBMISSION_STIX21, &lim);
    c2list_free(l);
    const char *two = BUNDLE(IND ","
        "{\"type\": \"indicator\", \"spec_version\": \"2.1\", \"id\": "
        "\"indicator--00000000-0000-4000-8000-000000000012\", " TIMES ", \"pattern\": "
        "\"[ipv4-addr:value = '9.9.9.9' AND network-traffic:dst_port = 53]\", \"pattern_type\": "
        "\"stix\", \"valid_from\": \"2026-11-01T00:00:00Z\"}");
    refused_n(two, strlen(two), SUBMISSION_STIX21, &lim,
              "object 2 (indicator--00000000-0000-4000-8000-000000000012): more than 1 "
              "indicators (the limit of a submission)");
}

/* ---- addresses ---- */

static void test_address_table(void **state)
{
    (void)state;
    static const struct { const char *ip, *why; } cases[] = {
        {"0.0.0.0", "the unspecified address"},
        {"0.255.255.255", "in \"this network\""},
        {"1.0.0.0", NULL},
        {"9.255.255.255", NULL},
        {"10.0.0.0", "a private address (RFC 1918)"},
        {"10.255.255.255", "a private address (RFC 1918)"},
        {"11.0.0.0", NULL},
        {"100.63.255.255", NULL},
        {"100.64.0.0", "in the shared address space"},
        {"100.127.255.255", "in the shared address space"},
        {"100.128.0.0", NULL},
        {"126.255.255.255", NULL},
        {"127.0.0.1", "a loopback address"},
        {"128.0.0.0", NULL},
        {"169.253.255.255", NULL},
        {"169.254.0.0", "a link-local address"},
        {"169.255.0.0", NULL},
        {"172.15.255.255", NULL},
        {"172.16.0.0", "a private address"},
        {"172.31.255.255", "a private address"},
        {"172.32.0.0", NULL},
        {"191.255.255.255", NULL},
        {"192.0.0.0", "in the IETF protocol assignments"},
        {"192.0.0.255", "in the IETF protocol assignments"},
        {"192.0.1.0", NULL},
        {"192.0.2.0", "a documentation address (TEST-NET-1"},
        {"192.0.3.0", NULL},
        {"192.88.99.1", "in the deprecated 6to4 relay anycast"},
        {"192.167.255.255", NULL},
        {"192.168.0.0", "a private address"},
        {"192.169.0.0", NULL},
        {"198.17.255.255", NULL},
        {"198.18.0.0", "a benchmarking address"},
        {"198.19.255.255", "a benchmarking address"},
        {"198.20.0.0", NULL},
        {"198.51.100.7", "a documentation address (TEST-NET-2"},
        {"203.0.112.255", NULL},
        {"203.0.113.0", "a documentation address (TEST-NET-3"},
        {"203.0.114.0", NULL},
        {"223.255.255.255", NULL},
        {"224.0.0.0", "a multicast address"},
        {"239.255.255.255", "a multicast address"},
        {"240.0.0.0", "in the reserved 240.0.0.0/4"},
        {"255.255.255.254", "in the reserved 240.0.0.0/4"},
        {"255.255.255.255", "the limited broadcast address"},
        /* IPv6 */
        {"::", "the unspecified address"},
        {"::1", "the loopback address"},
        {"::2", "an IPv4-compatible address"},
        {"::808:808", "an IPv4-compatible address"},
        {"64:ff9b::808:808", "a NAT64 address"},
        {"64:ff9b:1::1", "a local-use NAT64 address"},
        {"100::", "in the discard-only prefix"},
        {"100::ffff:ffff:ffff:ffff", "in the discard-only prefix"},
        {"100:0:0:1::", "not a global unicast address"},
        {"1fff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "not a global unicast address"},
        {"2000::", NULL},
        {"2001::1", "a Teredo address"},
        {"2001:0:ffff::1", "a Teredo address"},
        {"2001:1::1", NULL},
        {"2001:1::2", NULL},
        {"2001:1::4", "in the IETF protocol assignments 2001::/23"},
        {"2001:2::1", "a benchmarking address"},
        {"2001:2:1::1", "in the IETF protocol assignments 2001::/23"},
        {"2001:3::1", NULL},
        {"2001:4:112::1", NULL},
        {"2001:4:113::1", "in the IETF protocol assignments 2001::/23"},
        {"2001:10::1", "an ORCHID address"},
        {"2001:1f:ffff::1", "an ORCHID address"},
        {"2001:20::1", "an ORCHIDv2 address"},
        {"2001:30::1", NULL},
        {"2001:1ff:ffff::1", "in the IETF protocol assignments 2001::/23"},
        {"2001:200::1", NULL},
        {"2001:db7:ffff::1", NULL},
        {"2001:db8::", "a documentation address (RFC 3849)"},
        {"2001:db8:ffff:ffff::1", "a documentation address (RFC 3849)"},
        {"2001:db9::", NULL},
        {"2002:808:808::1", NULL},
        {"2002:a00:1::1", "a 6to4 address (RFC 3056) of 10.0.0.1, a private address"},
        {"2a00:1450:4001::7", NULL},
        {"3ffe::1", NULL},
        {"3fff::1", "a documentation address (RFC 9637)"},
        {"3fff:fff::1", "a documentation address (RFC 9637)"},
        {"3fff:1000::1", NULL},
        {"4000::1", "not a global unicast address"},
        {"fc00::1", "a unique local address"},
        {"fdff::1", "a unique local address"},
        {"fe80::1", "a link-local address"},
        {"febf::1", "a link-local address"},
        {"fec0::1", "a site-local address"},
        {"ff02::1", "a multicast address"},
        {"::ffff:10.0.0.1", "a private address"},
        {"::ffff:8.8.8.8", NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        flow_addr a;
        c2_err err = {{0}};
        assert_int_equal(flow_addr_parse(cases[i].ip, &a), 0);
        int rc = submission_address_check(&a, &err);
        if (!cases[i].why) {
            if (rc != 0) fail_msg("%s refused: %s", cases[i].ip, err.msg);
            continue;
        }
        if (rc != -1) fail_msg("%s accepted", cases[i].ip);
        if (!strstr(err.msg, cases[i].why) || !strstr(err.msg, " is "))
            fail_msg("%s: \"%s\", want \"%s\"", cases[i].ip, err.msg, cases[i].why);
    }
}

static void test_find_address_in_text(void **state)
{
    (void)state;
    c2list *l;
    /* none of these name an address: times, UUIDs, versions, std:: */
    l = parse_ok(BUNDLE("{\"type\": \"identity\", \"spec_version\": \"2.1\", \"id\": \"" ID_IDENT
                        "\", " TIMES ", \"name\": \"ISP 2.1 std::vector dead-beef 10:00:00.250 "
                        "1.2.3 a.b.c.d 1.2.3.4.5 aa:bb:cc:dd:ee:ff\"}"),
                 SUBMISSION_STIX21);
    c2list_free(l);
    static const char *const with[] = {"ip=8.8.8.8", "(2a00::1)", "http://1.1.1.1/x",
                                       "::ffff:10.0.0.1", "1.2.3.4:80", "at 9.9.9.9."};
    for (size_t i = 0; i < sizeof with / sizeof with[0]; i++) {
        char body[1024];
        snprintf(body, sizeof body,
                 BUNDLE("{\"type\": \"identity\", \"spec_version\": \"2.1\", \"id\": \"" ID_IDENT
                        "\", " TIMES ", \"name\": \"%s\"}"), with[i]);
        refused_start(body, SUBMISSION_STIX21, "object 1 (" ID_IDENT "): an IP address (");
    }
}

static void test_id_check(void **state)
{
    (void)state;
    c2_err err;
    assert_int_equal(submission_id_check("a", &err), 0);
    assert_int_equal(submission_id_check("isp-1_2026.12.06", &err), 0);
    char max[SUBMISSION_ID_MAX + 2];
    memset(max, 'x', sizeof max);
    max[SUBMISSION_ID_MAX] = '\0';
    assert_int_equal(submission_id_check(max, &err), 0);
    max[SUBMISSION_ID_MAX] = 'x';
    max[SUBMISSION_ID_MAX + 1] = '\0';
    assert_int_equal(submission_id_check(max, &err), -1);
    assert_string_equal(err.msg, "submission id: 1 to 64 characters");
    assert_int_equal(submission_id_check("", &err), -1);
    assert_int_equal(submission_id_check(NULL, &err), -1);
    assert_int_equal(submission_id_check("a b", &err), -1);
    assert_string_equal(err.msg, "submission id: only A-Z a-z 0-9 . _ - (character 2)");
    assert_int_equal(submission_id_check("a/../b", &err), -1);
    assert_int_equal(submission_id_check("\xc3\xa9", &err), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_format_from_type),
        cmocka_unit_test(test_csv_accepted),
        cmocka_unit_test(test_jsonl_accepted),
        cmocka_unit_test(test_list_rejections),
        cmocka_unit_test(test_list_sizes),
        cmocka_unit_test(test_stix_accepted),
        cmocka_unit_test(test_stix_export_round_trip),
        cmocka_unit_test(test_stix_export_random_lists),
        cmocka_unit_test(test_stix_rejections),
        cmocka_unit_test(test_stix_limits),
        cmocka_unit_test(test_address_table),
        cmocka_unit_test(test_find_address_in_text),
        cmocka_unit_test(test_id_check),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
