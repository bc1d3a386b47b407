/*
 * test_c2list.c: the C2 candidate list (src/c2list/).
 *
 * Building (add, find, duplicates, sort), both serialisations written and
 * read back, the readers' leniencies (BOM, CRLF, blanks, quotes, columns in
 * any order) and their strictness: a table of bad inputs, each with the
 * line and reason the error must name, and no list left behind.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "c2list/c2list.h"

/* ---- helpers ---- */

static c2_entry entry(const char *ip, uint16_t port, uint8_t proto, double score)
{
    c2_entry e;
    c2_entry_init(&e);
    if (flow_addr_parse(ip, &e.ip) != 0) fail_msg("bad test address %s", ip);
    e.port = port;
    e.proto = proto;
    e.score = score;
    return e;
}

static int64_t T(const char *iso)
{
    int64_t ms;
    if (c2list_time_parse(iso, &ms) != 0) fail_msg("bad test time %s", iso);
    return ms;
}

static c2list *read_text(const char *text)
{
    c2list *l;
    c2_err err;
    if (c2list_read_mem(text, strlen(text), 0, &l, &err) != 0) fail_msg("read: %s", err.msg);
    return l;
}

/* The list as text in format fmt. */
static char *write_text(const c2list *l, c2list_format fmt)
{
    char *buf = NULL;
    size_t len = 0;
    c2_err err;
    FILE *f = open_memstream(&buf, &len);
    assert_non_null(f);
    assert_int_equal(c2list_write(l, f, fmt, &err), 0);
    fclose(f);
    return buf;
}

static void assert_same_entry(const c2_entry *a, const c2_entry *b)
{
    assert_memory_equal(a->ip.b, b->ip.b, 16);
    assert_int_equal(a->port, b->port);
    assert_int_equal(a->proto, b->proto);
    assert_int_equal(a->first_seen, b->first_seen);
    assert_int_equal(a->last_seen, b->last_seen);
    assert_true(a->score == b->score);
    assert_string_equal(a->method, b->method);
    assert_int_equal(a->group, b->group);
    assert_int_equal(a->infected_clients, b->infected_clients);
    assert_int_equal(a->clients, b->clients);
    assert_int_equal(a->days_seen, b->days_seen);
    assert_string_equal(a->category, b->category);
}

static void assert_same_list(const c2list *a, const c2list *b)
{
    assert_int_equal(c2list_count(a), c2list_count(b));
    for (size_t i = 0; i < c2list_count(a); i++)
        assert_same_entry(c2list_get(a, i), c2list_get(b, i));
}

/* ---- building ---- */

static void test_add_find(void **state)
{
    (void)state;
    c2list *l = c2list_new();
    c2_err err;
    c2_entry a = entry("198.51.100.7", 23, 6, 90), b = entry("198.51.100.7", 23, 17, 80),
             c = entry("2001:db8::1", 443, 6, 70);
    assert_int_equal(c2list_add(l, &a, &err), 0);
    assert_int_equal(c2list_add(l, &b, &err), 0);      /* another proto: another key */
    assert_int_equal(c2list_add(l, &c, &err), 0);
    assert_int_equal(c2list_count(l), 3);
    c2_entry dup = entry("198.51.100.7", 23, 6, 10);
    assert_int_equal(c2list_add(l, &dup, &err), -1);
    assert_string_equal(err.msg, "198.51.100.7 port 23 tcp is already in the list");
    assert_int_equal(c2list_count(l), 3);

    const c2_entry *f = c2list_find(l, &c.ip, 443, 6);
    assert_non_null(f);
    assert_true(f->score == 70);
    assert_null(c2list_find(l, &c.ip, 443, 17));
    assert_null(c2list_find(l, &c.ip, 444, 6));
    assert_true(c2list_find(l, &b.ip, 23, 17)->score == 80);
    c2list_free(l);
}

static void test_add_refuses(void **state)
{
    (void)state;
    c2list *l = c2list_new();
    c2_err err;
    c2_entry e = entry("192.0.2.1", 80, 6, 100.01);
    assert_int_equal(c2list_add(l, &e, &err), -1);
    assert_string_equal(err.msg, "score 100.01 not in 0-100");
    e.score = -1;
    assert_int_equal(c2list_add(l, &e, &err), -1);
    e.score = 5;
    e.first_seen = T("2026-01-06T00:00:00Z");
    e.last_seen = T("2026-01-05T00:00:00Z");
    assert_int_equal(c2list_add(l, &e, &err), -1);
    assert_string_equal(err.msg, "last_seen before first_seen");
    e.last_seen = 0;                                   /* unknown end is fine */
    strcpy(e.method, "graph ml");
    assert_int_equal(c2list_add(l, &e, &err), -1);
    assert_non_null(strstr(err.msg, "method"));
    strcpy(e.method, "graph+ml_v2.1");
    assert_int_equal(c2list_add(l, &e, &err), 0);
    assert_int_equal(c2list_count(l), 1);
    c2list_free(l);
}

static void test_score_rounding_and_sort(void **state)
{
    (void)state;
    c2list *l = c2list_new();
    c2_err err;
    c2_entry v[] = {
        entry("10.0.0.2", 80, 6, 50.04), entry("10.0.0.1", 81, 6, 90),
        entry("10.0.0.1", 80, 17, 50), entry("10.0.0.1", 80, 6, 49.96),
        entry("10.0.0.9", 1, 6, 0.05),
    };
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++)
        assert_int_equal(c2list_add(l, &v[i], &err), 0);
    assert_true(c2list_get(l, 0)->score == 50.0);       /* 50.04 -> 50.0 */
    assert_true(c2list_get(l, 3)->score == 50.0);       /* 49.96 -> 50.0 */
    assert_true(c2list_get(l, 4)->score == 0.1);
    c2list_sort(l);
    /* 90 first; then the three 50s by ip, port, proto; then 0.1 */
    const char *want[] = {"10.0.0.1:81/6", "10.0.0.1:80/6", "10.0.0.1:80/17",
                          "10.0.0.2:80/6", "10.0.0.9:1/6"};
    for (size_t i = 0; i < 5; i++) {
        char ip[FLOW_ADDR_STRLEN], got[64];
        const c2_entry *e = c2list_get(l, i);
        snprintf(got, sizeof got, "%s:%u/%u", flow_addr_format(&e->ip, ip, sizeof ip),
                 e->port, e->proto);
        assert_string_equal(got, want[i]);
    }
    /* the index follows the rows */
    flow_addr a;
    flow_addr_parse("10.0.0.2", &a);
    assert_ptr_equal(c2list_find(l, &a, 80, 6), c2list_get(l, 3));
    c2list_free(l);
}

static void test_many_rows(void **state)
{
    (void)state;
    c2list *l = c2list_new();
    c2_err err;
    for (uint32_t i = 0; i < 100000; i++) {
        c2_entry e;
        c2_entry_init(&e);
        flow_addr_from_v4(&e.ip, 0x0a000000u + i / 3);
        e.port = (uint16_t)(i % 3);
        e.proto = 6;
        assert_int_equal(c2list_add(l, &e, &err), 0);
    }
    for (uint32_t i = 0; i < 100000; i += 7) {
        flow_addr a;
        flow_addr_from_v4(&a, 0x0a000000u + i / 3);
        const c2_entry *e = c2list_find(l, &a, (uint16_t)(i % 3), 6);
        assert_ptr_equal(e, c2list_get(l, i));
    }
    c2list_free(l);
}

/* ---- categories ---- */

static void test_category_rules(void **state)
{
    (void)state;
    static const char *const good[] = {
        "", "Emotet", "njRAT", "Cobalt Strike", "win.cobalt_strike", "Trojan:Win32/Emotet",
        "Emotet (Heodo)", "Agent Tesla v1.2.3", "Mirai-B+", "1234567890123456789012345678901",
    };
    static const char *const bad[] = {
        " Emotet", "Emotet ", "Emo,tet", "Emo\"tet", "Emo;tet", "Emo\ttet", "caf\xc3\xa9",
        "12345678901234567890123456789012",               /* 32: too long */
        "198.51.100.7", "C2 at 10.0.0.1", "x192.0.2.1", "2001:db8::1", "a:b:c", "::ffff",
    };
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
        if (!c2list_category_ok(good[i])) fail_msg("refused '%s'", good[i]);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (c2list_category_ok(bad[i])) fail_msg("accepted '%s'", bad[i]);

    c2list *l = c2list_new();
    c2_err err;
    c2_entry e = entry("192.0.2.1", 80, 6, 10);
    strcpy(e.category, "Mirai 10.1.2.3");
    assert_int_equal(c2list_add(l, &e, &err), -1);
    assert_non_null(strstr(err.msg, "category must be 0-31 of"));
    strcpy(e.category, "Mirai");
    assert_int_equal(c2list_add(l, &e, &err), 0);
    assert_int_equal(c2list_set_category(l, 0, "Emotet;x", &err), -1);
    assert_string_equal(c2list_get(l, 0)->category, "Mirai");      /* unchanged */
    assert_int_equal(c2list_set_category(l, 0, "Emotet", &err), 0);
    assert_string_equal(c2list_get(l, 0)->category, "Emotet");
    assert_int_equal(c2list_set_category(l, 1, "Emotet", &err), -1);
    c2list_free(l);
}

static void test_category_clean(void **state)
{
    (void)state;
    static const struct { const char *in, *out; } cases[] = {
        {"Emotet", "Emotet"},
        {"  Cobalt Strike \t", "Cobalt Strike"},
        {"Emo,tet;\"x\"", "Emo_tet__x_"},
        {"caf\xc3\xa9", "caf__"},
        {"a:b:c", "a:b_c"},                                 /* one colon kept */
        {"An extremely long malware family name here", "An extremely long malware famil"},
        {"long name ending in a space    xyz", "long name ending in a space"},
        {"C2 at 198.51.100.7", ""},                          /* an address: dropped */
        {"", ""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char buf[C2LIST_CATEGORY_MAX];
        c2list_category_clean(cases[i].in, buf, sizeof buf);
        if (strcmp(buf, cases[i].out) != 0)
            fail_msg("clean('%s') = '%s', want '%s'", cases[i].in, buf, cases[i].out);
        assert_true(c2list_category_ok(buf));
    }
    char small[6];
    assert_string_equal(c2list_category_clean("Emotet", small, sizeof small), "Emote");
}

/* Lists written before categories existed read as before: no category
 * column or key means unknown; empty and null too. */
static void test_category_optional(void **state)
{
    (void)state;
    c2list *l = read_text("ip,port,proto,category\n"
                          "192.0.2.1,80,tcp,\n"
                          "192.0.2.2,80,tcp, \"Cobalt Strike\" \n");
    assert_string_equal(c2list_get(l, 0)->category, "");
    assert_string_equal(c2list_get(l, 1)->category, "Cobalt Strike");
    c2list_free(l);
    l = read_text("{\"ip\":\"192.0.2.1\",\"port\":80,\"proto\":\"tcp\",\"category\":null}\n"
                  "{\"ip\":\"192.0.2.2\",\"port\":80,\"proto\":\"tcp\",\"category\":\"\"}\n"
                  "{\"ip\":\"192.0.2.3\",\"port\":80,\"proto\":\"tcp\",\"category\":\"njRAT\"}\n");
    assert_string_equal(c2list_get(l, 0)->category, "");
    assert_string_equal(c2list_get(l, 1)->category, "");
    assert_string_equal(c2list_get(l, 2)->category, "njRAT");
    c2list_free(l);
}

/* ---- writing and reading back ---- */

static c2list *sample_list(void)
{
    c2list *l = c2list_new();
    c2_err err;
    c2_entry a = entry("198.51.100.7", 23, 6, 87.5);
    a.first_seen = T("2026-01-05T10:00:00Z");
    a.last_seen = T("2026-01-07T23:59:59.250Z");
    strcpy(a.method, "graph");
    strcpy(a.category, "Trojan:Win32/Emotet (Heodo)");
    a.group = 3;
    a.infected_clients = 37;
    a.clients = 41;
    a.days_seen = 3;
    c2_entry b = entry("2001:db8::7", 5353, 17, 90);
    strcpy(b.method, "both");
    c2_entry c = entry("203.0.113.9", 0, 47, 0);      /* GRE, unknown times */
    assert_int_equal(c2list_add(l, &a, &err), 0);
    assert_int_equal(c2list_add(l, &b, &err), 0);
    assert_int_equal(c2list_add(l, &c, &err), 0);
    return l;
}

static void test_write_csv(void **state)
{
    (void)state;
    c2list *l = sample_list();
    char *text = write_text(l, C2LIST_CSV);
    assert_string_equal(text,
        "ip,port,proto,first_seen,last_seen,score,method,group,infected_clients,clients,"
        "days_seen,category\n"
        "198.51.100.7,23,tcp,2026-01-05T10:00:00Z,2026-01-07T23:59:59.250Z,87.5,graph,3,37,41,3,"
        "Trojan:Win32/Emotet (Heodo)\n"
        "2001:db8::7,5353,udp,,,90,both,0,0,0,0,\n"
        "203.0.113.9,0,gre,,,0,,0,0,0,0,\n");
    c2list *back = read_text(text);
    assert_same_list(l, back);
    free(text);
    c2list_free(back);
    c2list_free(l);
}

static void test_write_jsonl(void **state)
{
    (void)state;
    c2list *l = sample_list();
    char *text = write_text(l, C2LIST_JSONL);
    const char *first =
        "{\"ip\":\"198.51.100.7\",\"port\":23,\"proto\":\"tcp\","
        "\"first_seen\":\"2026-01-05T10:00:00Z\",\"last_seen\":\"2026-01-07T23:59:59.250Z\","
        "\"score\":87.5,\"method\":\"graph\",\"group\":3,\"infected_clients\":37,"
        "\"clients\":41,\"days_seen\":3,\"category\":\"Trojan:Win32/Emotet (Heodo)\"}\n";
    assert_memory_equal(text, first, strlen(first));
    assert_non_null(strstr(text, "\"first_seen\":null"));
    assert_non_null(strstr(text, "\"score\":90.0"));
    /* an unknown category is left out, not written as "" */
    assert_int_equal(strstr(text, "category") - text, strstr(first, "category") - first);
    assert_null(strstr(strstr(text, "category") + 1, "category"));
    assert_int_equal(strchr(text, '\n') - text + 1, (long)strlen(first));
    c2list *back = read_text(text);
    assert_same_list(l, back);
    free(text);
    c2list_free(back);
    c2list_free(l);
}

static void test_read_lenient_forms(void **state)
{
    (void)state;
    /* BOM, CRLF, blank lines, columns reordered and left out, quotes,
     * blanks around values, protocol by number, a date without time */
    c2list *l = read_text("\xef\xbb\xbf" "proto, port ,ip,score,first_seen\r\n"
                          "\r\n"
                          "6,23,198.51.100.7,  42.25 ,2026-01-05\r\n"
                          "\"udp\",\"53\",\"2001:db8::1\",,\r\n"
                          "   \r\n");
    assert_int_equal(c2list_count(l), 2);
    const c2_entry *a = c2list_get(l, 0), *b = c2list_get(l, 1);
    assert_int_equal(a->proto, 6);
    assert_int_equal(a->port, 23);
    assert_true(a->score == 42.3 || a->score == 42.2);   /* one decimal kept */
    assert_int_equal(a->first_seen, T("2026-01-05T00:00:00Z"));
    assert_int_equal(b->proto, 17);
    assert_int_equal(b->first_seen, 0);
    assert_true(b->score == 0);
    assert_string_equal(b->method, "");
    c2list_free(l);

    l = read_text("\n  {\"ip\": \"192.0.2.1\", \"port\": 80, \"proto\": 6, \"score\": 7,"
                  " \"first_seen\": null, \"method\": \"ml\"}\r\n\n"
                  "{\"proto\":\"TCP\",\"port\":81,\"ip\":\"::ffff:192.0.2.1\"}");
    assert_int_equal(c2list_count(l), 2);
    assert_true(c2list_get(l, 0)->score == 7);
    assert_string_equal(c2list_get(l, 0)->method, "ml");
    assert_int_equal(c2list_get(l, 1)->port, 81);
    assert_true(flow_addr_is_v4(&c2list_get(l, 1)->ip));
    c2list_free(l);

    /* empty input and a header alone are empty lists */
    l = read_text("");
    assert_int_equal(c2list_count(l), 0);
    c2list_free(l);
    l = read_text("ip,port,proto\n");
    assert_int_equal(c2list_count(l), 0);
    c2list_free(l);
}

/* ---- strictness ---- */

static const struct { const char *text, *error; } bad_inputs[] = {
    {"ip,port,proto\n1.2.3.4,70000,tcp\n", "line 2: port '70000' out of range (0-65535)"},
    {"ip,port,proto\n1.2.3.4,80,tcp\n\n1.2.3.5,-1,tcp\n", "line 4: port '-1' is not a number"},
    {"ip,port,proto,customer_ip\n", "line 1: unknown column 'customer_ip' (see docs/c2list.md)"},
    {"ip,port\n", "line 1: no 'proto' column"},
    {"ip,port,proto,port\n", "line 1: column 'port' twice"},
    {"ip,port,proto\n1.2.3.4,80\n", "line 2: 2 fields, the header has 3"},
    {"ip,port,proto\n1.2.3.4,80,tcp,\n", "line 2: 4 fields, the header has 3"},
    {"ip,port,proto\nexample.com,80,tcp\n", "line 2: ip 'example.com' is not an IP address"},
    {"ip,port,proto\n1.2.3.4,80,foo\n", "line 2: proto 'foo' is not a protocol name or number 0-255"},
    {"ip,port,proto\n1.2.3.4,80,256\n", "line 2: proto '256' is not a protocol name or number 0-255"},
    {"ip,port,proto\n,80,tcp\n", "line 2: ip is empty"},
    {"ip,port,proto,score\n1.2.3.4,80,tcp,101\n", "line 2: score '101' is not a number 0-100"},
    {"ip,port,proto,score\n1.2.3.4,80,tcp,1e2\n", "line 2: score '1e2' is not a number 0-100"},
    {"ip,port,proto,first_seen\n1.2.3.4,80,tcp,now\n",
     "line 2: first_seen 'now' is not a UTC time in 1970-9999 (2026-01-05T00:00:00Z)"},
    {"ip,port,proto,first_seen,last_seen\n1.2.3.4,80,tcp,2026-01-02,2026-01-01\n",
     "line 2: last_seen before first_seen"},
    {"ip,port,proto,clients\n1.2.3.4,80,tcp,4294967296\n",
     "line 2: clients '4294967296' is not a number 0-4294967295"},
    {"ip,port,proto,method\n1.2.3.4,80,tcp,a;b\n", "line 2: method must be 1-15 of A-Z a-z 0-9 _ . + -"},
    {"ip,port,proto\n\"1.2.3.4,80,tcp\n", "line 2: unterminated quoted field"},
    {"ip,port,proto\n1.2.3.4,80,tcp\n1.2.3.4,80,6\n", "line 3: 1.2.3.4 port 80 tcp is already in the list"},
    {"{\"ip\":\"1.2.3.4\",\"port\":80,\"proto\":\"tcp\",\"src_ip\":\"100.64.0.1\"}\n",
     "line 1: unknown key 'src_ip' (see docs/c2list.md)"},
    {"{\"ip\":\"1.2.3.4\",\"port\":80}\n", "line 1: no 'proto' key"},
    {"{\"ip\":\"1.2.3.4\",\"port\":\"80\",\"proto\":\"tcp\"}\n", "line 1: port must be an integer"},
    {"{\"ip\":\"1.2.3.4\",\"port\":80,\"proto\":\"tcp\",\"score\":\"9\"}\n",
     "line 1: score must be a number"},
    {"{\"ip\":\"1.2.3.4\",\"port\":80,\"proto\":\"tcp\",\"group\":-1}\n", "line 1: group -1 is negative"},
    {"{\"ip\":\"1.2.3.4\",\"port\":80,\"proto\":null}\n", "line 1: proto is null"},
    {"{\"ip\":\"1.2.3.4\",\"port\":80,\"ip\":\"1.2.3.5\",\"proto\":6}\n", "line 1: bad JSON: "},
    {"{\"ip\":\"1.2.3.4\",\"port\":80,\"proto\":6}\n[1]\n", "line 2: not a JSON object"},
    {"{\"ip\":\"1.2.3.4\",\"port\":80,\"proto\":6} x\n", "line 1: bad JSON: "},
    {"ip,port,proto\n1.2.3.4,80,tcp\x00\n", "line 2: NUL byte"},
    {"ip,port,proto,category\n1.2.3.4,80,tcp,a;b\n", "line 2: category must be 0-31 of"},
    {"ip,port,proto,category\n1.2.3.4,80,tcp,via 10.0.0.1\n", "line 2: category must be 0-31 of"},
    {"ip,port,proto,category\n1.2.3.4,80,tcp,12345678901234567890123456789012\n",
     "line 2: category '12345678901234567890123456789012' is too long"},
    {"ip,port,proto,category,category\n", "line 1: column 'category' twice"},
    {"{\"ip\":\"1.2.3.4\",\"port\":80,\"proto\":\"tcp\",\"category\":5}\n",
     "line 1: category must be a string"},
    {"{\"ip\":\"1.2.3.4\",\"port\":80,\"proto\":\"tcp\",\"category\":\"x\\u0000y\"}\n",
     "line 1: bad JSON: "},
    {"{\"ip\":\"1.2.3.4\",\"port\":80,\"proto\":\"tcp\",\"category\":\"Emotet\\n\"}\n",
     "line 1: category must be 0-31 of"},
};

static void test_read_errors(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof bad_inputs / sizeof bad_inputs[0]; i++) {
        const char *text = bad_inputs[i].text;
        size_t len = strlen(text);
        if (strstr(bad_inputs[i].error, "NUL")) len += 2;   /* the NUL and the \n */
        c2list *l = (c2list *)1;
        c2_err err;
        if (c2list_read_mem(text, len, 0, &l, &err) == 0) fail_msg("accepted: %s", text);
        assert_null(l);
        if (strncmp(err.msg, bad_inputs[i].error, strlen(bad_inputs[i].error)) != 0)
            fail_msg("input %zu: got '%s', want '%s'", i, err.msg, bad_inputs[i].error);
    }
}

static void test_read_bounds(void **state)
{
    (void)state;
    c2list *l;
    c2_err err;
    /* max_rows */
    const char *three = "ip,port,proto\n1.0.0.1,1,6\n1.0.0.2,1,6\n1.0.0.3,1,6\n";
    assert_int_equal(c2list_read_mem(three, strlen(three), 2, &l, &err), -1);
    assert_string_equal(err.msg, "line 4: more than 2 rows");
    assert_int_equal(c2list_read_mem(three, strlen(three), 3, &l, &err), 0);
    c2list_free(l);
    /* a line over 64 KiB, even of blanks */
    size_t n = C2LIST_LINE_MAX + 100;
    char *big = malloc(n + 32);
    strcpy(big, "ip,port,proto\n");
    memset(big + 14, ' ', n);
    strcpy(big + 14 + n, "\n");
    assert_int_equal(c2list_read_mem(big, strlen(big), 0, &l, &err), -1);
    assert_string_equal(err.msg, "line 2: longer than 65536 bytes");
    /* exactly the limit is fine */
    memset(big + 14, ' ', C2LIST_LINE_MAX);
    strcpy(big + 14 + C2LIST_LINE_MAX, "\n1.2.3.4,1,6");
    assert_int_equal(c2list_read_mem(big, strlen(big), 0, &l, &err), 0);
    assert_int_equal(c2list_count(l), 1);
    c2list_free(l);
    free(big);
}

static void test_files(void **state)
{
    (void)state;
    const char *dir = getenv("C2FLOW_TEST_TMP");
    if (!dir || !*dir) dir = "/tmp";
    mkdir(dir, 0755);
    char path[4096];
    snprintf(path, sizeof path, "%s/c2list-%ld.jsonl", dir, (long)getpid());
    c2list *l = sample_list(), *back;
    c2_err err;
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    assert_int_equal(c2list_write(l, f, C2LIST_JSONL, &err), 0);
    fclose(f);
    assert_int_equal(c2list_read_file(path, 0, &back, &err), 0);
    assert_same_list(l, back);
    c2list_free(back);
    /* errors name the file */
    f = fopen(path, "w");
    fputs("ip,port,proto\n1.2.3.4,80,tcp,5\n", f);
    fclose(f);
    assert_int_equal(c2list_read_file(path, 0, &back, &err), -1);
    assert_null(back);
    char want[4200];
    snprintf(want, sizeof want, "%s: line 2: 4 fields, the header has 3", path);
    assert_string_equal(err.msg, want);
    unlink(path);
    assert_int_equal(c2list_read_file(path, 0, &back, &err), -1);
    assert_non_null(strstr(err.msg, "No such file"));
    c2list_free(l);
}

static void test_text_forms(void **state)
{
    (void)state;
    char buf[40];
    assert_string_equal(c2list_proto_format(6, buf, sizeof buf), "tcp");
    assert_string_equal(c2list_proto_format(58, buf, sizeof buf), "icmp6");
    assert_string_equal(c2list_proto_format(253, buf, sizeof buf), "253");
    assert_int_equal(c2list_proto_parse("UDP"), 17);
    assert_int_equal(c2list_proto_parse("0"), 0);
    assert_int_equal(c2list_proto_parse("-1"), -1);
    assert_string_equal(c2list_time_format(T("2026-01-05T00:00:00Z"), buf, sizeof buf),
                        "2026-01-05T00:00:00Z");
    assert_string_equal(c2list_time_format(T("2026-01-05T00:00:00.5Z"), buf, sizeof buf),
                        "2026-01-05T00:00:00.500Z");
    int64_t ms;
    assert_int_equal(c2list_time_parse("2026-01-05T01:00:00+01:00", &ms), 0);
    assert_int_equal(ms, T("2026-01-05T00:00:00Z"));
    assert_int_equal(c2list_time_parse("now", &ms), -1);
    assert_int_equal(c2list_time_parse("1700000000", &ms), -1);
    assert_int_equal(c2list_time_parse("1970-01-01T00:00:00Z", &ms), -1);      /* 0 = unknown */
    assert_int_equal(c2list_time_parse("9999-12-31T23:59:59.999Z", &ms), 0);
    assert_int_equal(c2list_time_parse("9999-12-31T23:59:59-01:00", &ms), -1); /* year 10000 */
    assert_int_equal(c2list_format_lookup("csv"), C2LIST_CSV);
    assert_int_equal(c2list_format_lookup("jsonl"), C2LIST_JSONL);
    assert_int_equal(c2list_format_lookup("xml"), -1);
}

/* A list is told from threat feeds by its first non-blank line. */
static void test_sniff(void **state)
{
    (void)state;
    c2_err err;
    struct { const char *text; int want; } cases[] = {
        {"ip,port,proto,first_seen\n198.51.100.1,443,tcp,\n", 1},
        {"\n  \n{\"ip\": \"198.51.100.1\", \"port\": 443, \"proto\": \"tcp\"}\n", 1},
        {"score,proto,port,ip\n", 1},                /* columns in any order */
        {"\"first_seen_utc\",\"dst_ip\",\"dst_port\",\"c2_status\"\n", 0},   /* Feodo */
        {"# a plain list\n198.51.100.1:443\n", 0},
        {"198.51.100.1\n", 0},
        {"ip,port\n", 0},                             /* no proto: not a list */
        {"", 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        assert_int_equal(c2list_sniff(NULL, cases[i].text, strlen(cases[i].text), &err),
                         cases[i].want);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_add_find),
        cmocka_unit_test(test_add_refuses),
        cmocka_unit_test(test_score_rounding_and_sort),
        cmocka_unit_test(test_many_rows),
        cmocka_unit_test(test_category_rules),
        cmocka_unit_test(test_category_clean),
        cmocka_unit_test(test_category_optional),
        cmocka_unit_test(test_write_csv),
        cmocka_unit_test(test_write_jsonl),
        cmocka_unit_test(test_read_lenient_forms),
        cmocka_unit_test(test_read_errors),
        cmocka_unit_test(test_read_bounds),
        cmocka_unit_test(test_files),
        cmocka_unit_test(test_text_forms),
        cmocka_unit_test(test_sniff),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
