/*
 * test_hubclient.c: the hub client's pure helpers (src/hubclient/helpers.c):
 * format sniffing, the default submission id (SHA-256 against the FIPS
 * 180-2 vectors), ids, tokens and token files, request URLs, the hub's
 * answers (error messages cleaned, receipts), the state file, and the
 * merge of pulled rows over a local list.  The requests themselves are
 * tested end to end against a fake hub (tests/integration/test_share_fetch.sh).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hubclient/hubclient.h"

static c2list *list_of(const char *text)
{
    c2list *l;
    c2_err err;
    if (c2list_read_mem(text, strlen(text), 0, &l, &err) != 0) fail_msg("%s", err.msg);
    return l;
}

static void test_sniff(void **state)
{
    (void)state;
    static const struct { const char *text; hubclient_format want; } cases[] = {
        {"ip,port,proto\n198.51.100.7,443,tcp\n", HUBCLIENT_CSV},
        {"\xEF\xBB\xBF\n  ip,port,proto,score\n", HUBCLIENT_CSV},
        {"{\"ip\":\"198.51.100.7\",\"port\":443,\"proto\":\"tcp\"}\n", HUBCLIENT_JSONL},
        {"{\"type\": \"bundle\", \"id\": \"bundle--1\", \"objects\": []}\n", HUBCLIENT_STIX21},
        {"{\n  \"type\": \"bundle\",\n  \"objects\": []\n}\n", HUBCLIENT_STIX21},
        {"{\n  \"objects\": [],\n  \"type\": \"bundle\"\n}\n", HUBCLIENT_STIX21},
        {"{\n  \"type\": \"indicator\"\n}\n", HUBCLIENT_UNKNOWN},
        {"{\n  \"type\": \"bundle\",\n", HUBCLIENT_UNKNOWN},     /* cut short */
        {"{\"type\":\"bundle\"}\n{\"ip\":1}\n", HUBCLIENT_STIX21},
        {"[1,2]\n", HUBCLIENT_UNKNOWN},
        {"198.51.100.7\n", HUBCLIENT_UNKNOWN},
        {"\"first_seen_utc\",\"dst_ip\",\"dst_port\"\n", HUBCLIENT_UNKNOWN},
        {"  \n\t", HUBCLIENT_UNKNOWN},
        {"", HUBCLIENT_UNKNOWN},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        if (hubclient_sniff(cases[i].text, strlen(cases[i].text)) != cases[i].want)
            fail_msg("case %zu: got %d", i, hubclient_sniff(cases[i].text, strlen(cases[i].text)));
    assert_string_equal(hubclient_content_type(HUBCLIENT_CSV), "text/csv");
    assert_string_equal(hubclient_content_type(HUBCLIENT_JSONL), "application/x-ndjson");
    assert_string_equal(hubclient_content_type(HUBCLIENT_STIX21),
                        "application/stix+json;version=2.1");
    assert_null(hubclient_content_type(HUBCLIENT_UNKNOWN));
    assert_int_equal(hubclient_format_lookup("stix21"), HUBCLIENT_STIX21);
    assert_int_equal(hubclient_format_lookup("auto"), -1);
}

static void test_sha256(void **state)
{
    (void)state;
    char hex[65];
    c2_sha256_hex("abc", 3, hex);
    assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    c2_sha256_hex("", 0, hex);
    assert_string_equal(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    static const char two[] = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    c2_sha256_hex(two, sizeof two - 1, hex);
    assert_string_equal(hex, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    assert_true(hubclient_id_valid(hex));
}

static void test_ids_tokens_times(void **state)
{
    (void)state;
    char id65[66];
    memset(id65, 'a', 65);
    id65[65] = '\0';
    assert_true(hubclient_id_valid("isp-a.2026-11-30_1"));
    assert_false(hubclient_id_valid(""));
    assert_false(hubclient_id_valid("a b"));
    assert_false(hubclient_id_valid("a/b"));
    assert_false(hubclient_id_valid("a\r\nX-Evil: 1"));
    assert_false(hubclient_id_valid(id65));
    id65[64] = '\0';
    assert_true(hubclient_id_valid(id65));

    assert_true(hubclient_token_valid("c2h_abc-DEF_123"));
    assert_false(hubclient_token_valid(""));
    assert_false(hubclient_token_valid("a b"));
    assert_false(hubclient_token_valid("a\r\nHost: evil"));
    assert_false(hubclient_token_valid("caf\xC3\xA9"));

    char tok[HUBCLIENT_TOKEN_MAX + 1];
    c2_err err;
    static const char file[] = "  c2h_TOKEN \r\nanything else\n";
    assert_int_equal(hubclient_token_parse(file, sizeof file - 1, tok, &err), 0);
    assert_string_equal(tok, "c2h_TOKEN");
    assert_int_equal(hubclient_token_parse("c2h_x", 5, tok, &err), 0);
    assert_string_equal(tok, "c2h_x");
    assert_int_equal(hubclient_token_parse("\nc2h_x\n", 7, tok, &err), -1);
    assert_int_equal(hubclient_token_parse("two words\n", 10, tok, &err), -1);
    assert_null(strstr(err.msg, "two"));            /* a token is never echoed */
    char *big = malloc(HUBCLIENT_TOKEN_MAX + 2);
    memset(big, 'x', HUBCLIENT_TOKEN_MAX + 1);
    assert_int_equal(hubclient_token_parse(big, HUBCLIENT_TOKEN_MAX + 1, tok, &err), -1);
    assert_int_equal(hubclient_token_parse(big, HUBCLIENT_TOKEN_MAX, tok, &err), 0);
    free(big);

    assert_true(hubclient_time_valid("2026-12-06T10:11:12.123456Z"));
    assert_false(hubclient_time_valid(""));
    assert_false(hubclient_time_valid("2026-12-06T10:11:12+09:00"));   /* '+' */
    assert_false(hubclient_time_valid("2026-12-06 10:11"));
    assert_false(hubclient_time_valid("2026&x=1"));
}

static void test_url(void **state)
{
    (void)state;
    char u[HUBCLIENT_URL_MAX];
    c2_err err;
    static const struct { const char *base, *path, *query, *want; } ok[] = {
        {"https://hub.example:8443", "/api/v1/submissions", NULL,
         "https://hub.example:8443/api/v1/submissions"},
        {"https://hub.example/", "/api/v1/lists", "format=jsonl",
         "https://hub.example/api/v1/lists?format=jsonl"},
        {"http://127.0.0.1:8080/isac//", "/api/v1/lists",
         "format=jsonl&added_after=2026-12-06T10:11:12.123456Z",
         "http://127.0.0.1:8080/isac/api/v1/lists?format=jsonl&added_after=2026-12-06T10:11:12.123456Z"},
        {"http://[::1]:9/", "/x", NULL, "http://[::1]:9/x"},
    };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        if (hubclient_url(ok[i].base, ok[i].path, ok[i].query, u, &err) != 0)
            fail_msg("%s: %s", ok[i].base, err.msg);
        assert_string_equal(u, ok[i].want);
    }
    static const char *const bad[] = {
        "hub.example", "ftp://hub.example", "file:///etc/passwd", "https://user:pw@hub.example",
        "https://user@hub.example", "https://hub.example/?x=1", "https://hub.example/#f", "",
        "https://hub example/",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (hubclient_url(bad[i], "/api", NULL, u, &err) == 0)
            fail_msg("'%s' accepted as %s", bad[i], u);
    char *longbase = malloc(HUBCLIENT_URL_MAX + 32);
    strcpy(longbase, "https://hub.example/");
    memset(longbase + 20, 'a', HUBCLIENT_URL_MAX);
    longbase[HUBCLIENT_URL_MAX + 20] = '\0';
    assert_int_equal(hubclient_url(longbase, "/api", NULL, u, &err), -1);
    free(longbase);
}

static void test_answers(void **state)
{
    (void)state;
    c2_err err;
    static const char e400[] = "{\"error\": \"row 3: 10.0.0.1 is a private address\"}";
    assert_int_equal(hubclient_answer_error(400, e400, sizeof e400 - 1, &err), -1);
    assert_string_equal(err.msg, "hub answered 400: row 3: 10.0.0.1 is a private address");
    /* control bytes (a terminal escape, a newline) never reach the screen */
    static const char evil[] = "{\"error\": \"bad\\u001b[2J\\nrow\"}";
    hubclient_answer_error(409, evil, sizeof evil - 1, &err);
    assert_string_equal(err.msg, "hub answered 409: bad?[2J?row");
    hubclient_answer_error(502, "<html>Bad gateway</html>", 24, &err);
    assert_string_equal(err.msg, "hub answered 502: <html>Bad gateway</html>");
    hubclient_answer_error(500, "", 0, &err);
    assert_string_equal(err.msg, "hub answered 500: (no message)");
    char *big = malloc(100000);
    memset(big, 'x', 100000);
    hubclient_answer_error(413, big, 100000, &err);
    assert_true(strlen(err.msg) < 400);
    assert_non_null(strstr(err.msg, "xxx..."));
    free(big);

    hubclient_receipt r;
    static const char stored[] = "{\"submission\":\"abc\",\"rows\":12,\"status\":\"stored\"}";
    assert_int_equal(hubclient_receipt_parse(stored, sizeof stored - 1, "sent", &r, &err), 0);
    assert_string_equal(r.id, "abc");
    assert_int_equal(r.rows, 12);
    assert_false(r.duplicate);
    static const char dup[] = "{\"status\":\"duplicate\"}";
    assert_int_equal(hubclient_receipt_parse(dup, sizeof dup - 1, "sent", &r, &err), 0);
    assert_string_equal(r.id, "sent");
    assert_true(r.duplicate);
    static const char *const bad[] = {
        "", "[]", "{\"status\":\"pending\"}", "{\"status\":\"stored\",\"rows\":-1}",
        "{\"status\":\"stored\",\"rows\":\"12\"}", "{\"status\":\"stored\",\"submission\":\"a b\"}",
        "{\"status\":\"stored\",\"submission\":7}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (hubclient_receipt_parse(bad[i], strlen(bad[i]), "sent", &r, &err) == 0)
            fail_msg("receipt '%s' accepted", bad[i]);
}

static void test_state(void **state)
{
    (void)state;
    char text[512], last[HUBCLIENT_TIME_MAX];
    c2_err err;
    const char *hub = "https://hub.example:8443";
    assert_int_equal(hubclient_state_format(hub, "2026-12-06T10:11:12.123456Z", text,
                                            sizeof text, &err), 0);
    assert_int_equal(hubclient_state_parse(text, strlen(text), hub, last, &err), 0);
    assert_string_equal(last, "2026-12-06T10:11:12.123456Z");
    /* another hub's state is not ours */
    assert_int_equal(hubclient_state_parse(text, strlen(text), "https://other", last, &err), 0);
    assert_string_equal(last, "");
    assert_int_equal(hubclient_state_format(hub, "x&y", text, sizeof text, &err), -1);
    assert_int_equal(hubclient_state_format(hub, "2026-12-06T10:11:12Z", text, 20, &err), -1);
    static const char nul[] = "hub = https://hub.example:8443\nlast = 2026-12-06T10:11:12Z\0\n";
    const char *const bad[] = {
        "hub = https://hub.example:8443\nlast = 2026&x=1\n",
        "hub = https://hub.example:8443\nnext = 1\n",
        "garbage\n",
        nul,
    };
    size_t lens[] = {strlen(bad[0]), strlen(bad[1]), strlen(bad[2]), sizeof nul - 1};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        if (hubclient_state_parse(bad[i], lens[i], hub, last, &err) == 0)
            fail_msg("state %zu accepted", i);
        assert_string_equal(last, "");
    }
    static const char spaced[] = "# comment\r\n\n  last=2026-12-06T00:00:00Z \r\nhub =   https://hub.example:8443\n";
    assert_int_equal(hubclient_state_parse(spaced, sizeof spaced - 1, hub, last, &err), 0);
    assert_string_equal(last, "2026-12-06T00:00:00Z");
    assert_int_equal(hubclient_state_parse("", 0, hub, last, &err), 0);
    assert_string_equal(last, "");
}

static void test_merge(void **state)
{
    (void)state;
    c2list *local = list_of("ip,port,proto,score,method\n"
                            "198.51.100.7,443,tcp,80,hub\n"
                            "198.51.100.8,8080,tcp,70,hub\n"
                            "2001:db8::5,23,tcp,60,hub\n");
    c2list *pulled = list_of("ip,port,proto,score,method\n"
                             "198.51.100.8,8080,tcp,95,hub\n"      /* changed */
                             "198.51.100.7,443,tcp,80,hub\n"       /* the same */
                             "203.0.113.9,53,udp,50,hub\n");       /* new */
    c2list *m;
    size_t changed;
    c2_err err;
    assert_int_equal(hubclient_merge(local, pulled, &m, &changed, &err), 0);
    assert_int_equal(changed, 2);
    assert_int_equal(c2list_count(m), 4);
    flow_addr a;
    flow_addr_parse("198.51.100.8", &a);
    const c2_entry *e = c2list_find(m, &a, 8080, 6);
    assert_non_null(e);
    assert_true(e->score == 95);
    flow_addr_parse("2001:db8::5", &a);
    assert_non_null(c2list_find(m, &a, 23, 6));
    flow_addr_parse("203.0.113.9", &a);
    assert_non_null(c2list_find(m, &a, 53, 17));
    assert_true(c2list_get(m, 0)->score == 95);          /* sorted by score */
    c2list_free(m);

    /* no local list: every pulled row is new */
    assert_int_equal(hubclient_merge(NULL, pulled, &m, &changed, &err), 0);
    assert_int_equal(changed, 3);
    assert_int_equal(c2list_count(m), 3);
    c2list_free(m);
    /* an empty pull keeps the local list */
    c2list *none = c2list_new();
    assert_int_equal(hubclient_merge(local, none, &m, &changed, &err), 0);
    assert_int_equal(changed, 0);
    assert_int_equal(c2list_count(m), 3);
    c2list_free(m);
    c2list_free(none);
    c2list_free(local);
    c2list_free(pulled);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sniff),
        cmocka_unit_test(test_sha256),
        cmocka_unit_test(test_ids_tokens_times),
        cmocka_unit_test(test_url),
        cmocka_unit_test(test_answers),
        cmocka_unit_test(test_state),
        cmocka_unit_test(test_merge),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
