/*
 * test_intel.c: threat-intelligence files (src/intel/).
 *
 * Small hand-made files of each format in the shapes the publishers use
 * (Feodo Tracker's banner and header line, ThreatFox's commented header and
 * ", " separators, plain lists), their variations (CRLF, BOM, quoted
 * commas, headers as comments or not, reordered columns), bad rows counted
 * with the first one's line, files without entries refused with the set
 * unchanged, the matching rule, and the index against a naive scan.
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
#include "intel/intel.h"

/* ---- helpers ---- */

static flow_addr A(const char *text)
{
    flow_addr a;
    if (flow_addr_parse(text, &a) != 0) fail_msg("bad test address %s", text);
    return a;
}

static int64_t T(const char *iso)
{
    int64_t ms;
    if (c2list_time_parse(iso, &ms) != 0) fail_msg("bad test time %s", iso);
    return ms;
}

static intel_set *load(const char *text, intel_format fmt, intel_stats *st)
{
    intel_set *s;
    c2_err err;
    assert_int_equal(intel_new(&s, &err), 0);
    if (intel_load_mem(s, text, strlen(text), "test", fmt, st, &err) != 0)
        fail_msg("load: %s", err.msg);
    return s;
}

static const intel_entry *match(const intel_set *s, const char *ip, uint16_t port,
                                uint8_t proto, int64_t at)
{
    flow_addr a = A(ip);
    return intel_match(s, &a, port, proto, at);
}

/* ---- formats ---- */

/* As abuse.ch publishes it: banner comments, an uncommented header. */
static const char feodo_real[] =
    "################################################################\r\n"
    "# abuse.ch Feodo Tracker Botnet C2 IP Blocklist (CSV)          #\r\n"
    "# Last updated: 2026-01-20 15:00:42 UTC                        #\r\n"
    "################################################################\r\n"
    "#\r\n"
    "\"first_seen_utc\",\"dst_ip\",\"dst_port\",\"c2_status\",\"last_online\",\"malware\"\r\n"
    "\"2026-01-17 07:30:05\",\"198.51.100.7\",\"23\",\"offline\",\"2026-01-20\",\"Mirai\"\r\n"
    "\"2026-01-18 08:00:00\",\"2001:db8::5\",\"443\",\"online\",\"\",\"QakBot\"\r\n"
    "# \"END\" 2 entries\r\n";

static void test_feodo(void **state)
{
    (void)state;
    intel_stats st;
    intel_set *s = load(feodo_real, INTEL_AUTO, &st);
    assert_int_equal(st.format, INTEL_FEODO);
    assert_int_equal(st.entries, 2);
    assert_int_equal(st.bad, 0);
    assert_int_equal(st.lines, 9);
    const intel_entry *e = match(s, "198.51.100.7", 23, 6, 0);
    assert_non_null(e);
    assert_int_equal(e->first_seen, T("2026-01-17T07:30:05Z"));
    assert_int_equal(e->last_seen, T("2026-01-20T00:00:00Z"));
    assert_string_equal(e->malware, "Mirai");
    assert_int_equal(e->proto, 0);                      /* Feodo names no protocol */
    assert_non_null(match(s, "198.51.100.7", 23, 17, 0));
    assert_null(match(s, "198.51.100.7", 24, 6, 0));
    e = match(s, "2001:db8::5", 443, 6, 0);
    assert_non_null(e);
    assert_int_equal(e->last_seen, 0);
    assert_string_equal(intel_source_name(s, e->source), "test");
    intel_free(s);

    /* c2flow simulate's shape: the header is a comment; no banner needed */
    s = load("# \"first_seen_utc\",\"dst_ip\",\"dst_port\",\"c2_status\",\"last_online\",\"malware\"\n"
             "\"2026-01-17 07:30:05\",\"198.51.100.7\",\"23\",\"offline\",\"2026-01-20\",\"Mirai\"\n",
             INTEL_AUTO, &st);
    assert_int_equal(st.format, INTEL_FEODO);
    assert_int_equal(st.entries, 1);
    intel_free(s);

    /* columns by name: reordered, one more */
    s = load("malware,dst_port,extra,dst_ip,first_seen_utc\n"
             "Emotet,8080,x,192.0.2.1,2026-01-02 03:04:05\n", INTEL_AUTO, &st);
    e = match(s, "192.0.2.1", 8080, 6, 0);
    assert_non_null(e);
    assert_string_equal(e->malware, "Emotet");
    assert_int_equal(e->first_seen, T("2026-01-02T03:04:05Z"));
    intel_free(s);

    /* the banner alone: the published column order */
    s = load("# abuse.ch Feodo Tracker Botnet C2 IP Blocklist (CSV)\n"
             "\"2026-01-17 07:30:05\",\"192.0.2.9\",\"447\",\"online\",\"2026-01-20\",\"Dridex\"\n",
             INTEL_AUTO, &st);
    assert_int_equal(st.format, INTEL_FEODO);
    assert_string_equal(match(s, "192.0.2.9", 447, 6, 0)->malware, "Dridex");
    /* "online": last_online is the day the feed was written, not an end */
    assert_int_equal(match(s, "192.0.2.9", 447, 6, 0)->last_seen, 0);
    intel_free(s);
}

static const char threatfox[] =
    "\xef\xbb\xbf################################################################\n"
    "# ThreatFox IOCs: CSV export                                   #\n"
    "################################################################\n"
    "#\n"
    "# \"first_seen_utc\",\"ioc_id\",\"ioc_value\",\"ioc_type\",\"threat_type\",\"fk_malware\","
    "\"malware_alias\",\"malware_printable\",\"last_seen_utc\",\"confidence_level\","
    "\"is_compromised\",\"reference\",\"tags\",\"anonymous\",\"reporter\"\n"
    "\"2026-01-03 19:45:07\", \"1949016\", \"192.0.2.55:56001\", \"ip:port\", \"botnet_cc\", "
    "\"win.pure_rat\", \"PureHVNC\", \"PureRAT\", \"\", \"75\", \"False\", \"None\", \"RAT,win\", \"0\", "
    "\"abuse_ch\"\n"
    "\"2026-01-03 19:28:43\", \"1949001\", \"evil.example\", \"domain\", \"botnet_cc\", "
    "\"php.shin\", \"None\", \"php.shin_webshell\", \"\", \"50\", \"False\", \"None\", \"None\", \"0\", "
    "\"x\"\n"
    "\"2026-01-03 19:00:00\", \"1948990\", \"[2001:db8::9]:443\", \"ip:port\", \"payload_delivery\", "
    "\"win.cobalt_strike\", \"Agentemis,BEACON\", \"\", \"2026-01-09 00:00:00\", \"100\", \"False\", "
    "\"None\", \"CobaltStrike\", \"0\", \"y\"\n"
    "\"2026-01-03 18:00:00\", \"1948980\", \"http://192.0.2.56/x.exe\", \"url\", \"payload_delivery\", "
    "\"unknown\", \"None\", \"Unknown malware\", \"\", \"90\", \"False\", \"None\", \"exe\", \"1\", \"z\"\n";

static void test_threatfox(void **state)
{
    (void)state;
    intel_stats st;
    intel_set *s = load(threatfox, INTEL_AUTO, &st);
    assert_int_equal(st.format, INTEL_THREATFOX);
    assert_int_equal(st.entries, 2);
    assert_int_equal(st.other, 2);                      /* domain, url */
    assert_int_equal(st.bad, 0);
    const intel_entry *e = match(s, "192.0.2.55", 56001, 6, 0);
    assert_non_null(e);
    assert_string_equal(e->malware, "PureRAT");
    assert_int_equal(e->first_seen, T("2026-01-03T19:45:07Z"));
    assert_int_equal(e->last_seen, 0);
    e = match(s, "2001:db8::9", 443, 6, 0);
    assert_non_null(e);
    assert_string_equal(e->malware, "win.cobalt_strike");   /* no printable name */
    assert_int_equal(e->last_seen, T("2026-01-09T00:00:00Z"));
    assert_null(match(s, "192.0.2.56", 80, 6, 0));
    intel_free(s);

    /* the older export without is_compromised: found by name */
    s = load("# \"first_seen_utc\",\"ioc_id\",\"ioc_value\",\"ioc_type\",\"threat_type\","
             "\"fk_malware\",\"malware_alias\",\"malware_printable\",\"last_seen_utc\","
             "\"confidence_level\",\"reference\",\"tags\",\"anonymous\",\"reporter\"\n"
             "\"2026-01-03 19:45:07\", \"1\", \"192.0.2.60:8080\", \"ip:port\", \"botnet_cc\", "
             "\"elf.mirai\", \"None\", \"Mirai\", \"\", \"75\", \"None\", \"None\", \"0\", \"r\"\n",
             INTEL_AUTO, &st);
    assert_string_equal(match(s, "192.0.2.60", 8080, 6, 0)->malware, "Mirai");
    intel_free(s);

    /* after the first row, a row cannot act as a header (a tag "dst_ip") */
    s = load("# \"first_seen_utc\",\"ioc_value\",\"ioc_type\",\"tags\"\n"
             "\"2026-01-03 19:45:07\", \"192.0.2.61:80\", \"ip:port\", \"x\"\n"
             "\"first_seen_utc\", \"dst_ip\", \"ip:port\", \"dst_ip\"\n"
             "\"2026-01-03 19:45:07\", \"192.0.2.62:80\", \"ip:port\", \"x\"\n",
             INTEL_AUTO, &st);
    assert_int_equal(st.entries, 2);
    assert_int_equal(st.bad, 1);
    assert_int_equal(st.first_bad_line, 3);
    intel_free(s);
}

static void test_plain(void **state)
{
    (void)state;
    intel_stats st;
    intel_set *s = load("\xef\xbb\xbf# my list\r\n"
                        "192.0.2.1\r\n"
                        "  192.0.2.2:8080   # with a comment\r\n"
                        "[2001:db8::1]:443\r\n"
                        "2001:db8::2\r\n"
                        "192.0.2.3, 53\r\n"
                        "\r\n", INTEL_AUTO, &st);
    assert_int_equal(st.format, INTEL_PLAIN);
    assert_int_equal(st.entries, 5);
    assert_int_equal(st.bad, 0);
    assert_non_null(match(s, "192.0.2.1", 1, 6, 0));         /* any port */
    assert_non_null(match(s, "192.0.2.1", 65535, 17, 0));
    assert_non_null(match(s, "192.0.2.2", 8080, 6, 0));
    assert_null(match(s, "192.0.2.2", 8081, 6, 0));
    assert_non_null(match(s, "2001:db8::1", 443, 6, 0));
    assert_null(match(s, "2001:db8::1", 80, 6, 0));
    assert_non_null(match(s, "2001:db8::2", 80, 6, 0));
    assert_non_null(match(s, "192.0.2.3", 53, 17, 0));
    assert_null(match(s, "192.0.2.4", 53, 17, 0));
    intel_free(s);
}

/* ---- bad rows and bad files ---- */

static void test_bad_rows(void **state)
{
    (void)state;
    intel_stats st;
    intel_set *s = load("192.0.2.1\n"
                        "192.0.2.300\n"
                        "2001:db8::1:80\n"          /* a bare IPv6 with a port is an address */
                        "192.0.2.2:99999\n"
                        "192.0.2.3,\n"
                        "[2001:db8::1]80\n"
                        "192.0.2.4\n", INTEL_AUTO, &st);
    assert_int_equal(st.entries, 3);
    assert_int_equal(st.bad, 4);
    assert_int_equal(st.first_bad_line, 2);
    assert_string_equal(st.first_bad, "not ip, ip:port, [v6]:port or ip,port: '192.0.2.300'");
    intel_free(s);

    s = load("\"first_seen_utc\",\"dst_ip\",\"dst_port\",\"c2_status\",\"last_online\",\"malware\"\n"
             "\"2026-01-17 07:30:05\",\"198.51.100.7\",\"23\",\"offline\",\"2026-01-20\",\"Mirai\"\n"
             "\"2026-01-17 07:30:05\",\"198.51.100.8\",\"70000\",\"offline\",\"2026-01-20\",\"Mirai\"\n"
             "\"yesterday\",\"198.51.100.9\",\"23\",\"offline\",\"2026-01-20\",\"Mirai\"\n"
             "\"2026-01-17 07:30:05\",\"198.51.100.10\",\"23\"\n"
             "\"2026-01-17 07:30:05\",\"198.51.100.11,\"23\",\"offline\",\"2026-01-20\",\"Mirai\"\n",
             INTEL_AUTO, &st);
    assert_int_equal(st.entries, 1);
    assert_int_equal(st.bad, 4);
    assert_int_equal(st.first_bad_line, 3);
    assert_string_equal(st.first_bad, "bad dst_port '70000'");
    intel_free(s);
}

static void test_bad_files(void **state)
{
    (void)state;
    intel_set *s = load("192.0.2.1\n", INTEL_AUTO, NULL);
    intel_stats st;
    c2_err err;
    static const struct { const char *text, *error; } bad[] = {
        {"", "f: no usable entry (0 lines, 0 bad rows; 0 rows of other IOC types)"},
        {"# only comments\n\n", "f: no usable entry (2 lines, 0 bad rows; 0 rows of other IOC types)"},
        {"x\ny\n", "f: no usable entry (2 lines, 2 bad rows, the first: line 1: "
                   "not ip, ip:port, [v6]:port or ip,port: 'x'; 0 rows of other IOC types)"},
        {"first_seen_utc,a,b\n1,2,3\n",
         "f: line 1: a header naming neither dst_ip (Feodo Tracker) nor ioc_value (ThreatFox)"},
        {"# \"first_seen_utc\",\"ioc_id\",\"ioc_value\"\n", "f: line 1: the header lacks ioc_type"},
        {"# \"first_seen_utc\",\"ioc_value\",\"ioc_type\"\n\"2026-01-01\",\"a.example\",\"domain\"\n",
         "f: no usable entry (2 lines, 0 bad rows; 1 rows of other IOC types)"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(intel_load_mem(s, bad[i].text, strlen(bad[i].text), "f", INTEL_AUTO,
                                        &st, &err), -1);
        assert_string_equal(err.msg, bad[i].error);
        assert_int_equal(intel_count(s), 1);           /* unchanged */
        assert_null(intel_source_name(s, 1));
    }
    /* a forced format contradicting the header */
    const char *tf = "# \"first_seen_utc\",\"ioc_value\",\"ioc_type\"\n";
    assert_int_equal(intel_load_mem(s, tf, strlen(tf), "f", INTEL_FEODO, &st, &err), -1);
    assert_string_equal(err.msg, "f: line 1: a threatfox header in a feodo file");
    /* a file where half the rows are good still loads, appended */
    const char *half = "192.0.2.7\nnope\n";
    assert_int_equal(intel_load_mem(s, half, strlen(half), "g", INTEL_AUTO, &st, &err), 0);
    assert_int_equal(intel_count(s), 2);
    assert_int_equal(match(s, "192.0.2.7", 1, 6, 0)->source, 1);
    assert_string_equal(intel_source_name(s, 1), "g");
    intel_free(s);
}

static void test_long_lines(void **state)
{
    (void)state;
    size_t n = INTEL_LINE_MAX + 10;
    char *text = malloc(2 * n + 64);
    char *p = text;
    *p++ = '#';
    memset(p, 'c', n);                                  /* a long comment: fine */
    p += n;
    p += sprintf(p, "\n192.0.2.1\n");
    memset(p, '9', n);                                  /* a long row: bad */
    p += n;
    strcpy(p, "\n192.0.2.2\n");
    intel_stats st;
    intel_set *s = load(text, INTEL_AUTO, &st);
    assert_int_equal(st.entries, 2);
    assert_int_equal(st.bad, 1);
    assert_int_equal(st.first_bad_line, 3);
    assert_string_equal(st.first_bad, "longer than 65536 bytes");
    intel_free(s);
    free(text);
}

/* ---- matching ---- */

static void test_match_rule(void **state)
{
    (void)state;
    intel_set *s;
    c2_err err;
    assert_int_equal(intel_new(&s, &err), 0);
    const char *a = "\"first_seen_utc\",\"dst_ip\",\"dst_port\",\"c2_status\",\"last_online\",\"malware\"\n"
                    "\"2026-01-10 00:00:00\",\"192.0.2.1\",\"443\",\"online\",\"\",\"Late\"\n"
                    "\"2026-01-05 00:00:00\",\"192.0.2.1\",\"443\",\"online\",\"\",\"Early\"\n"
                    "\"2026-01-20 00:00:00\",\"192.0.2.1\",\"8080\",\"online\",\"\",\"Other\"\n";
    const char *b = "192.0.2.1\n192.0.2.2:80\n";         /* undated, any port */
    assert_int_equal(intel_load_mem(s, a, strlen(a), "feodo", INTEL_AUTO, NULL, &err), 0);

    /* the earliest listing wins; at_ms hides entries listed later */
    assert_string_equal(match(s, "192.0.2.1", 443, 6, 0)->malware, "Early");
    assert_string_equal(match(s, "192.0.2.1", 443, 6, T("2026-01-05T00:00:00Z"))->malware, "Early");
    assert_null(match(s, "192.0.2.1", 443, 6, T("2026-01-04T23:59:59Z")));
    assert_null(match(s, "192.0.2.1", 8080, 6, T("2026-01-19T00:00:00Z")));
    assert_non_null(match(s, "192.0.2.1", 8080, 6, T("2026-01-21T00:00:00Z")));
    assert_null(match(s, "192.0.2.1", 80, 6, 0));

    /* an undated any-port entry counts as listed since always */
    assert_int_equal(intel_load_mem(s, b, strlen(b), "plain", INTEL_AUTO, NULL, &err), 0);
    const intel_entry *e = match(s, "192.0.2.1", 443, 6, T("2026-01-01T00:00:00Z"));
    assert_non_null(e);
    assert_int_equal(e->port, 0);
    assert_string_equal(intel_source_name(s, e->source), "plain");
    assert_int_equal(match(s, "192.0.2.1", 80, 6, 0)->port, 0);
    assert_int_equal(match(s, "192.0.2.2", 80, 17, 0)->port, 80);
    assert_null(match(s, "192.0.2.2", 81, 17, 0));
    assert_int_equal(intel_count(s), 5);
    intel_free(s);

    /* a tie in first_seen: the exact port wins */
    s = load("192.0.2.5\n192.0.2.5:25\n", INTEL_PLAIN, NULL);
    assert_int_equal(match(s, "192.0.2.5", 25, 6, 0)->port, 25);
    assert_int_equal(match(s, "192.0.2.5", 26, 6, 0)->port, 0);
    intel_free(s);
}

/* Random sets checked against a naive scan of the same entries. */
static uint64_t rng = 7;
static uint64_t rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static const intel_entry *naive(const intel_set *s, const flow_addr *ip, uint16_t port,
                                uint8_t proto, int64_t at)
{
    const intel_entry *best = NULL;
    for (size_t i = 0; i < intel_count(s); i++) {
        const intel_entry *e = intel_get(s, i);
        if (memcmp(e->ip.b, ip->b, 16) || (e->port && e->port != port)) continue;
        if ((e->proto && e->proto != proto) || (at && e->first_seen && e->first_seen > at)) continue;
        if (!best || e->first_seen < best->first_seen ||
            (e->first_seen == best->first_seen && e->port && !best->port))
            best = e;
    }
    return best;
}

static void test_against_naive(void **state)
{
    (void)state;
    size_t cap = 1 << 20, len = 0;
    char *text = malloc(cap);
    len += (size_t)sprintf(text, "first_seen_utc,dst_ip,dst_port\n");
    for (int i = 0; i < 5000; i++) {
        int day = (int)(rnd() % 28) + 1, port = (int)(rnd() % 4) * 1000;
        len += (size_t)sprintf(text + len, "2026-02-%02d 00:00:00,10.0.%u.%u,%d\n", day,
                               (unsigned)(rnd() % 8), (unsigned)(rnd() % 64), port);
    }
    intel_set *s = load(text, INTEL_AUTO, NULL);
    for (int i = 0; i < 5000; i++) {
        flow_addr ip;
        flow_addr_from_v4(&ip, 0x0a000000u | (uint32_t)(rnd() % 9) << 8 | (uint32_t)(rnd() % 64));
        uint16_t port = (uint16_t)((rnd() % 5) * 1000);
        int64_t at = rnd() % 3 ? T("2026-02-01T00:00:00Z") + (int64_t)(rnd() % 30) * C2_MS_PER_DAY : 0;
        const intel_entry *got = intel_match(s, &ip, port, 6, at), *want = naive(s, &ip, port, 6, at);
        if (!want) {
            assert_null(got);
            continue;
        }
        assert_non_null(got);
        assert_int_equal(got->first_seen, want->first_seen);
        assert_int_equal(got->port != 0, want->port != 0);
    }
    intel_free(s);
    free(text);
}

static void test_files(void **state)
{
    (void)state;
    const char *dir = getenv("C2FLOW_TEST_TMP");
    if (!dir || !*dir) dir = "/tmp";
    mkdir(dir, 0755);
    char path[4096];
    snprintf(path, sizeof path, "%s/intel-%ld.csv", dir, (long)getpid());
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(feodo_real, f);
    fclose(f);
    intel_set *s;
    intel_stats st;
    c2_err err;
    assert_int_equal(intel_new(&s, &err), 0);
    assert_int_equal(intel_load_file(s, path, INTEL_AUTO, &st, &err), 0);
    assert_int_equal(st.entries, 2);
    assert_string_equal(intel_source_name(s, 0), path);
    unlink(path);
    assert_int_equal(intel_load_file(s, path, INTEL_AUTO, &st, &err), -1);
    assert_non_null(strstr(err.msg, "No such file"));
    assert_int_equal(intel_count(s), 2);
    intel_free(s);
    assert_int_equal(intel_format_lookup("threatfox"), INTEL_THREATFOX);
    assert_string_equal(intel_format_name(INTEL_FEODO), "feodo");
    assert_int_equal(intel_format_lookup("stix"), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_feodo),
        cmocka_unit_test(test_threatfox),
        cmocka_unit_test(test_plain),
        cmocka_unit_test(test_bad_rows),
        cmocka_unit_test(test_bad_files),
        cmocka_unit_test(test_long_lines),
        cmocka_unit_test(test_match_rule),
        cmocka_unit_test(test_against_naive),
        cmocka_unit_test(test_files),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
