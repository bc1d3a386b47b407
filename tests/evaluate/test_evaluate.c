/*
 * test_evaluate.c: the hub's first-pass evaluation (src/evaluate/).
 *
 * The AS table on small CSV files in @ip-location-db/asn's shape (quoted
 * names with commas, IPv4 and IPv6 rows, range edges, bad rows counted
 * with the first one's line, unsorted and overlapping input, random
 * ranges against a naive scan); allowlists in both formats (prefix lines
 * with headings and trailing comments, MISP warninglists of type cidr and
 * string) with their reasons and the most specific prefix winning, random
 * nested prefixes against a naive scan; the evaluator over real files in a
 * temporary directory, with a country MMDB built by mmdb_write.h, intel
 * files giving confirmed / unknown and the malware family, the same
 * answers from four threads at once; optional data absent or broken
 * giving a notice, broken allowlists and intel files giving errors.  One test reads the real npm data when it is installed
 * (/usr/local/share/c2flow/ipdb, or $C2FLOW_IPDB) and skips otherwise.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "evaluate/evaluate.h"
#include "evaluate/mmdb_write.h"

/* ---- helpers ---- */

static char tmp_dir[512];

static flow_addr A(const char *text)
{
    flow_addr a;
    if (flow_addr_parse(text, &a) != 0) fail_msg("bad test address %s", text);
    return a;
}

static const char *path_in_tmp(const char *name)
{
    static char buf[8][600];
    static int k;
    char *p = buf[k++ % 8];
    snprintf(p, sizeof buf[0], "%s/%s", tmp_dir, name);
    return p;
}

static const char *write_file(const char *name, const char *text)
{
    const char *path = path_in_tmp(name);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(text, 1, strlen(text), f), strlen(text));
    assert_int_equal(fclose(f), 0);
    return path;
}

static int setup_dir(void **state)
{
    (void)state;
    const char *base = getenv("C2FLOW_TEST_TMP");
    if (!base || !*base) base = "/tmp";
    char cmd[600];
    snprintf(cmd, sizeof cmd, "mkdir -p '%s'", base);
    if (system(cmd) != 0) return -1;
    snprintf(tmp_dir, sizeof tmp_dir, "%s/evaluate-XXXXXX", base);
    return mkdtemp(tmp_dir) ? 0 : -1;
}

static int teardown_dir(void **state)
{
    (void)state;
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp_dir);
    return system(cmd) == 0 ? 0 : -1;
}

static uint32_t asn_of(const evaluate_asn *t, const char *ip, const char **name)
{
    flow_addr a = A(ip);
    return evaluate_asn_lookup(t, &a, name);
}

static const char *allow_of(const evaluate_allow *a, const char *ip)
{
    flow_addr x = A(ip);
    return evaluate_allow_match(a, &x);
}

static evaluation eval_of(const evaluator *ev, const char *ip, uint16_t port, uint8_t proto)
{
    evaluation e;
    flow_addr a = A(ip);
    evaluate_entry(ev, &a, port, proto, &e);
    return e;
}

/* ---- AS table ---- */

/* The published files' shape: no header, quoted names where they hold a
 * comma, IPv6 rows in their own file (here mixed in). */
static const char asn_csv[] =
    "1.0.0.0,1.0.0.255,13335,\"Cloudflare, Inc.\"\n"
    "1.0.4.0,1.0.7.255,38803,Gtelecom Pty Ltd\r\n"
    "# a comment\n"
    "\n"
    "8.8.8.0,8.8.8.255,15169,Google LLC\n"
    "9.9.9.0,9.9.9.255,19281,\"Quad9 \"\"Foundation\"\"\"\n"
    "2001:200::,2001:200:1b9:ffff:ffff:ffff:ffff:ffff,2500,WIDE Project\n"
    "2001:4860::,2001:4860:ffff:ffff:ffff:ffff:ffff:ffff,15169,Google LLC\n";

static void test_asn_lookup(void **state)
{
    (void)state;
    evaluate_asn *t;
    evaluate_stats st;
    c2_err err;
    const char *name;
    assert_int_equal(evaluate_asn_new(&t, &err), 0);
    assert_int_equal(evaluate_asn_load_mem(t, asn_csv, strlen(asn_csv), "asn.csv", &st, &err), 0);
    assert_int_equal(st.lines, 8);
    assert_int_equal(st.entries, 6);
    assert_int_equal(st.bad, 0);
    assert_int_equal(evaluate_asn_count(t), 6);

    assert_int_equal(asn_of(t, "1.0.0.0", &name), 13335);      /* first address */
    assert_string_equal(name, "Cloudflare, Inc.");
    assert_int_equal(asn_of(t, "1.0.0.255", &name), 13335);    /* last address */
    assert_int_equal(asn_of(t, "1.0.1.0", &name), 0);          /* the gap after */
    assert_string_equal(name, "");
    assert_int_equal(asn_of(t, "1.0.5.77", &name), 38803);
    assert_string_equal(name, "Gtelecom Pty Ltd");              /* "\r" gone */
    assert_int_equal(asn_of(t, "0.255.255.255", &name), 0);    /* before the first */
    assert_int_equal(asn_of(t, "200.1.1.1", &name), 0);        /* after the last */
    assert_int_equal(asn_of(t, "9.9.9.9", &name), 19281);
    assert_string_equal(name, "Quad9 \"Foundation\"");
    assert_int_equal(asn_of(t, "2001:200:1b9::1", &name), 2500);
    assert_string_equal(name, "WIDE Project");
    assert_int_equal(asn_of(t, "2001:200:1ba::", &name), 0);
    assert_int_equal(asn_of(t, "2001:4860:4860::8888", &name), 15169);
    /* names are stored once: the two Google rows share theirs */
    const char *n2;
    asn_of(t, "8.8.8.8", &name);
    asn_of(t, "2001:4860::1", &n2);
    assert_ptr_equal(name, n2);
    assert_true(evaluate_asn_bytes(t) > 0);
    evaluate_asn_free(t);
}

static void test_asn_bad_rows(void **state)
{
    (void)state;
    static const char text[] =
        "1.0.0.0,1.0.0.255,13335,Cloudflare\n"
        "1.0.1.0,1.0.1.255,13335\n"                       /* 2: three fields */
        "1.0.2.0,1.0.2.255,13335,a,b\n"                   /* 3: five fields */
        "1.0.3.x,1.0.3.255,1,bad start\n"                 /* 4 */
        "1.0.4.0,1.0.3.255,1,end before start\n"          /* 5 */
        "1.0.5.0,2001:db8::,1,mixed\n"                    /* 6 */
        "1.0.6.0,1.0.6.255,4294967296,too big\n"          /* 7 */
        "1.0.7.0,1.0.7.255,12,\"unterminated\n"           /* 8 */
        "1.0.8.0,1.0.8.255,-1,negative\n"                 /* 9 */
        "1.0.9.0,1.0.9.255,4294967295,\"Max\x01\xff\"\n"; /* 10: ok, cleaned */
    evaluate_asn *t;
    evaluate_stats st;
    c2_err err;
    const char *name;
    assert_int_equal(evaluate_asn_new(&t, &err), 0);
    assert_int_equal(evaluate_asn_load_mem(t, text, strlen(text), "x.csv", &st, &err), 0);
    assert_int_equal(st.lines, 10);
    assert_int_equal(st.entries, 2);
    assert_int_equal(st.bad, 8);
    assert_int_equal(st.first_bad_line, 2);
    assert_string_equal(st.first_bad, "not 4 fields");
    assert_int_equal(asn_of(t, "1.0.9.1", &name), 4294967295u);
    assert_string_equal(name, "Max ?");
    assert_int_equal(asn_of(t, "1.0.3.1", &name), 0);

    /* a file without a single good row fails and changes nothing */
    static const char junk[] = "start,end,asn,name\nnot,a,row\n";
    assert_int_equal(evaluate_asn_load_mem(t, junk, strlen(junk), "junk.csv", &st, &err), -1);
    assert_non_null(strstr(err.msg, "junk.csv: no AS range"));
    assert_non_null(strstr(err.msg, "line 1: bad start address"));
    assert_int_equal(evaluate_asn_count(t), 2);
    assert_int_equal(evaluate_asn_load_mem(t, "", 0, "empty.csv", &st, &err), -1);
    assert_int_equal(evaluate_asn_count(t), 2);
    assert_int_equal(evaluate_asn_load_file(t, path_in_tmp("absent.csv"), &st, &err), -1);
    assert_non_null(strstr(err.msg, "absent.csv: no such file"));
    evaluate_asn_free(t);
}

/* Unsorted rows are sorted; where ranges overlap the earlier start keeps
 * the overlap, and a second file adds to the first. */
static void test_asn_unsorted_overlap(void **state)
{
    (void)state;
    static const char a[] =
        "10.0.2.0,10.0.2.255,3,three\n"
        "10.0.0.0,10.0.1.255,1,one\n"
        "10.0.1.0,10.0.3.255,2,two\n"          /* overlaps one and three */
        "10.0.0.0,10.0.0.127,4,inside one\n";  /* same start, narrower */
    static const char b[] = "2001:db8::,2001:db8::ffff,6,six\n"
                            "2001:db8::8000,2001:db8:0:0:1::,7,seven\n";
    evaluate_asn *t;
    c2_err err;
    const char *name;
    assert_int_equal(evaluate_asn_new(&t, &err), 0);
    assert_int_equal(evaluate_asn_load_mem(t, a, strlen(a), "a", NULL, &err), 0);
    assert_int_equal(evaluate_asn_load_mem(t, b, strlen(b), "b", NULL, &err), 0);
    assert_int_equal(asn_of(t, "10.0.0.5", &name), 1);
    assert_int_equal(asn_of(t, "10.0.1.200", &name), 1);
    assert_int_equal(asn_of(t, "10.0.2.0", &name), 2);
    assert_int_equal(asn_of(t, "10.0.3.255", &name), 2);
    assert_string_equal(name, "two");
    assert_int_equal(asn_of(t, "10.0.4.0", &name), 0);
    assert_int_equal(asn_of(t, "2001:db8::ffff", &name), 6);
    assert_int_equal(asn_of(t, "2001:db8::1:0", &name), 7);
    assert_int_equal(asn_of(t, "2001:db8::1:0:0:0", &name), 7);
    assert_int_equal(asn_of(t, "2001:db8::1:0:0:1", &name), 0);
    assert_int_equal(evaluate_asn_count(t), 4);  /* "inside one" and "three" covered */
    evaluate_asn_free(t);
}

/* Random overlapping ranges against a naive scan: an address belongs to
 * the range that starts first (the wider of equal starts). */
static void test_asn_against_naive(void **state)
{
    (void)state;
    enum { N = 400, PROBES = 20000 };
    static uint32_t lo[N], hi[N];
    static char text[N * 64];
    size_t len = 0;
    srand(7);
    for (int i = 0; i < N; i++) {
        int dup;
        do {
            lo[i] = 0x0a000000u + (uint32_t)(rand() % 3000);
            hi[i] = lo[i] + (uint32_t)(rand() % (i % 25 ? 20 : 300));
            dup = 0;
            for (int j = 0; j < i; j++) dup |= lo[j] == lo[i] && hi[j] == hi[i];
        } while (dup);
        len += (size_t)snprintf(text + len, sizeof text - len, "%u.%u.%u.%u,%u.%u.%u.%u,%d,n%d\n",
                                lo[i] >> 24, lo[i] >> 16 & 255, lo[i] >> 8 & 255, lo[i] & 255,
                                hi[i] >> 24, hi[i] >> 16 & 255, hi[i] >> 8 & 255, hi[i] & 255,
                                i + 1, i + 1);
    }
    evaluate_asn *t;
    c2_err err;
    assert_int_equal(evaluate_asn_new(&t, &err), 0);
    assert_int_equal(evaluate_asn_load_mem(t, text, len, "rand", NULL, &err), 0);
    for (int k = 0; k < PROBES; k++) {
        uint32_t x = 0x0a000000u + (uint32_t)(rand() % 3400);
        int best = -1;
        for (int i = 0; i < N; i++)
            if (lo[i] <= x && x <= hi[i] &&
                (best < 0 || lo[i] < lo[best] || (lo[i] == lo[best] && hi[i] > hi[best])))
                best = i;
        flow_addr a;
        const char *name;
        flow_addr_from_v4(&a, x);
        uint32_t got = evaluate_asn_lookup(t, &a, &name);
        if (got != (uint32_t)(best + 1)) fail_msg("%08x: got AS %u, want %d", x, got, best + 1);
    }
    evaluate_asn_free(t);
}

/* ---- allowlists ---- */

static const char prefix_list[] =
    "# Resolvers and scanners.\n"
    "#\n"
    "# A header paragraph: not a heading once a blank line follows.\n"
    "\n"
    "# Google Public DNS\n"
    "8.8.8.8\n"
    "2001:4860:4860::8888\n"
    "# Research scanners\n"
    "198.51.100.0/24,\n"
    "198.51.100.128/25   # the busy half\n"
    "\n"
    "203.0.113.9\n"
    "10.9.9.9/8\n";

static void test_allow_prefix_file(void **state)
{
    (void)state;
    evaluate_allow *a;
    evaluate_stats st;
    c2_err err;
    assert_int_equal(evaluate_allow_new(&a, &err), 0);
    assert_int_equal(evaluate_allow_load_mem(a, prefix_list, strlen(prefix_list),
                                             "lists/mine.txt", &st, &err), 0);
    assert_int_equal(st.entries, 6);
    assert_string_equal(allow_of(a, "8.8.8.8"), "mine.txt: Google Public DNS");
    assert_string_equal(allow_of(a, "2001:4860:4860::8888"), "mine.txt: Google Public DNS");
    assert_null(allow_of(a, "8.8.8.9"));
    assert_string_equal(allow_of(a, "198.51.100.5"), "mine.txt: Research scanners");
    assert_string_equal(allow_of(a, "198.51.100.200"), "mine.txt: the busy half");
    assert_string_equal(allow_of(a, "203.0.113.9"), "mine.txt");
    assert_string_equal(allow_of(a, "10.200.0.1"), "mine.txt");   /* 10.0.0.0/8 */
    assert_null(allow_of(a, "11.0.0.0"));
    assert_null(allow_of(a, "::8.8.8.8"));

    /* a bad line fails the whole file, naming it and the line */
    static const char bad[] = "192.0.2.1\n# ok\n192.0.2.300\n";
    assert_int_equal(evaluate_allow_load_mem(a, bad, strlen(bad), "bad.txt", &st, &err), -1);
    assert_non_null(strstr(err.msg, "bad.txt: line 3"));
    assert_null(allow_of(a, "192.0.2.1"));
    assert_int_equal(evaluate_allow_count(a), 6);
    static const char none[] = "# only comments\n\n";
    assert_int_equal(evaluate_allow_load_mem(a, none, strlen(none), "none.txt", &st, &err), -1);
    assert_non_null(strstr(err.msg, "none.txt: no address or prefix"));
    evaluate_allow_free(a);
}

/* Nested prefixes from several lists: the most specific wins, equal ones
 * keep the first list's reason, and the chain is climbed past siblings. */
static void test_allow_nesting(void **state)
{
    (void)state;
    static const char l1[] = "10.0.0.0/8 # wide\n10.1.0.0/16 # mid\n10.1.2.0/24 # narrow\n"
                             "10.1.3.0/24 # sibling\n";
    static const char l2[] = "10.1.0.0/16 # second mid\n10.1.2.128/25 # second narrow\n"
                             "::/0 # everything v6\n";
    evaluate_allow *a;
    c2_err err;
    assert_int_equal(evaluate_allow_new(&a, &err), 0);
    assert_int_equal(evaluate_allow_load_mem(a, l1, strlen(l1), "l1", NULL, &err), 0);
    assert_int_equal(evaluate_allow_load_mem(a, l2, strlen(l2), "l2", NULL, &err), 0);
    assert_int_equal(evaluate_allow_count(a), 6);
    assert_string_equal(allow_of(a, "10.1.2.1"), "l1: narrow");
    assert_string_equal(allow_of(a, "10.1.2.129"), "l2: second narrow");
    assert_string_equal(allow_of(a, "10.1.4.1"), "l1: mid");
    assert_string_equal(allow_of(a, "10.1.3.255"), "l1: sibling");
    assert_string_equal(allow_of(a, "10.2.0.0"), "l1: wide");
    assert_string_equal(allow_of(a, "2001:db8::1"), "l2: everything v6");
    /* ::/0 covers IPv4-mapped addresses in the 128-bit space too */
    assert_string_equal(allow_of(a, "192.0.2.1"), "l2: everything v6");
    evaluate_allow_free(a);
}

static void test_allow_warninglist(void **state)
{
    (void)state;
    static const char cidr[] =
        "{\"name\": \"List of known IPv4 public DNS resolvers\", \"version\": 2,"
        " \"description\": \"x\", \"matching_attributes\": [\"ip-dst\"],"
        " \"type\": \"cidr\", \"list\": [\"8.8.8.8/32\", \"1.1.1.0/24\", \"2620:fe::fe\"]}";
    static const char strings[] =
        "{\"name\": \"Scanners\", \"type\": \"string\","
        " \"list\": [\"scanner.example\", \"192.0.2.7\", \"2001:db8::/48\", 5]}";
    evaluate_allow *a;
    evaluate_stats st;
    c2_err err;
    assert_int_equal(evaluate_allow_new(&a, &err), 0);
    assert_int_equal(evaluate_allow_load_mem(a, cidr, strlen(cidr), "/x/public-dns.json",
                                             &st, &err), 0);
    assert_int_equal(st.entries, 3);
    assert_string_equal(allow_of(a, "1.1.1.1"),
                        "List of known IPv4 public DNS resolvers (public-dns.json)");
    assert_non_null(allow_of(a, "2620:fe::fe"));
    assert_int_equal(evaluate_allow_load_mem(a, strings, strlen(strings), "scan.json",
                                             &st, &err), 0);
    assert_int_equal(st.lines, 4);
    assert_int_equal(st.entries, 2);
    assert_int_equal(st.other, 2);
    assert_string_equal(allow_of(a, "2001:db8:0:1::"), "Scanners (scan.json)");

    /* refused: a hostname list, a cidr list with a non-prefix, broken JSON */
    static const char host[] = "{\"name\": \"h\", \"type\": \"hostname\", \"list\": [\"a.b\"]}";
    static const char badcidr[] = "{\"name\": \"c\", \"type\": \"cidr\", \"list\": "
                                  "[\"192.0.2.99\", \"example.com\"]}";
    static const char broken[] = "{\"name\": \"c\", \"type\": \"cidr\", \"list\": [";
    static const char nolist[] = "{\"name\": \"c\", \"type\": \"cidr\"}";
    assert_int_equal(evaluate_allow_load_mem(a, host, strlen(host), "h.json", &st, &err), -1);
    assert_non_null(strstr(err.msg, "h.json: warninglist type \"hostname\""));
    assert_int_equal(evaluate_allow_load_mem(a, badcidr, strlen(badcidr), "c.json", &st, &err), -1);
    assert_non_null(strstr(err.msg, "c.json: list item 2"));
    assert_null(allow_of(a, "192.0.2.99"));                   /* nothing kept */
    assert_int_equal(evaluate_allow_load_mem(a, broken, strlen(broken), "b.json", &st, &err), -1);
    assert_non_null(strstr(err.msg, "b.json: line 1"));
    assert_int_equal(evaluate_allow_load_mem(a, nolist, strlen(nolist), "n.json", &st, &err), -1);
    assert_non_null(strstr(err.msg, "no \"list\" array"));
    assert_int_equal(evaluate_allow_count(a), 5);
    evaluate_allow_free(a);
}

/* Random nested prefixes from three lists against a naive scan: the
 * longest prefix holding the address, the first loaded of equals. */
static void test_allow_against_naive(void **state)
{
    (void)state;
    enum { N = 600, PROBES = 20000 };
    static uint32_t base[N];
    static unsigned plen[N];
    static char text[3][N * 48];
    size_t len[3] = {0, 0, 0};
    srand(11);
    for (int i = 0; i < N; i++) {
        plen[i] = 16 + (unsigned)(rand() % 17);
        uint32_t mask = plen[i] == 32 ? ~0u : ~(~0u >> plen[i]);
        base[i] = (0x0a000000u | (uint32_t)(rand() % 65536)) & mask;
        int l = i % 3;
        len[l] += (size_t)snprintf(text[l] + len[l], sizeof text[l] - len[l],
                                   "%u.%u.%u.%u/%u # p%d\n", base[i] >> 24, base[i] >> 16 & 255,
                                   base[i] >> 8 & 255, base[i] & 255, plen[i], i);
    }
    evaluate_allow *a;
    c2_err err;
    assert_int_equal(evaluate_allow_new(&a, &err), 0);
    static const char *const names[3] = {"l0", "l1", "l2"};
    for (int l = 0; l < 3; l++)
        assert_int_equal(evaluate_allow_load_mem(a, text[l], len[l], names[l], NULL, &err), 0);
    for (int k = 0; k < PROBES; k++) {
        uint32_t x = 0x0a000000u | (uint32_t)(rand() % 65536);
        int best = -1;
        /* load order: list by list, line by line */
        for (int l = 0; l < 3; l++)
            for (int i = l; i < N; i += 3) {
                uint32_t mask = plen[i] == 32 ? ~0u : ~(~0u >> plen[i]);
                if ((x & mask) == base[i] && (best < 0 || plen[i] > plen[best])) best = i;
            }
        flow_addr q;
        flow_addr_from_v4(&q, x);
        const char *got = evaluate_allow_match(a, &q);
        char want[32] = "";
        if (best >= 0) snprintf(want, sizeof want, "l%d: p%d", best % 3, best);
        if (best < 0 ? got != NULL : !got || strcmp(got, want))
            fail_msg("%08x: got %s, want %s", x, got ? got : "(none)", want);
    }
    evaluate_allow_free(a);
}

/* The allowlist shipped in the repository loads, with its headings. */
static void test_allow_repo_file(void **state)
{
    (void)state;
    char path[1024];
    snprintf(path, sizeof path, "%s", __FILE__);
    char *cut = strstr(path, "tests/evaluate/test_evaluate.c");
    if (!cut) {
        printf("skip: source tree not found from %s\n", __FILE__);
        skip();
    }
    strcpy(cut, "allowlists/public-resolvers.txt");
    evaluate_allow *a;
    c2_err err;
    assert_int_equal(evaluate_allow_new(&a, &err), 0);
    if (evaluate_allow_load_file(a, path, NULL, &err) != 0) fail_msg("%s", err.msg);
    assert_string_equal(allow_of(a, "8.8.4.4"), "public-resolvers.txt: Google Public DNS");
    assert_string_equal(allow_of(a, "2606:4700:4700::1111"), "public-resolvers.txt: Cloudflare");
    assert_string_equal(allow_of(a, "208.67.222.222"), "public-resolvers.txt: OpenDNS");
    assert_null(allow_of(a, "8.8.8.7"));
    evaluate_allow_free(a);
}

/* ---- the evaluator ---- */

static const mmdbw_net nets[] = {
    {"133.0.0.0/8", "JP"},
    {"198.51.100.0/24", "NL"},
    {"203.0.113.0/25", "JP"},
    {"8.8.8.0/24", "US"},
    {"2001:db8:1::/48", "DE"},
};

static const char feodo[] =
    "\"first_seen_utc\",\"dst_ip\",\"dst_port\",\"c2_status\",\"last_online\",\"malware\"\n"
    "\"2026-01-17 07:30:05\",\"198.51.100.7\",\"443\",\"online\",\"\",\"QakBot\"\n"
    "\"2026-01-18 08:00:00\",\"2001:db8:1::5\",\"8080\",\"online\",\"\",\"Emotet\"\n";

static const char *const plain_intel = "203.0.113.5:4444\n";

static evaluate_config full_config(const char **allow, const char **intel, const char **asn)
{
    const char *mmdb = path_in_tmp("country.mmdb");
    assert_int_equal(mmdbw_write(mmdb, nets, sizeof nets / sizeof nets[0]), 0);
    asn[0] = write_file("asn-ipv4.csv", "198.51.100.0,198.51.100.255,64500,\"Example, Hosting\"\n"
                                        "203.0.113.0,203.0.113.255,64501,Doc Net\n");
    asn[1] = write_file("asn-ipv6.csv", "2001:db8::,2001:db8:ffff:ffff:ffff:ffff:ffff:ffff,"
                                        "64502,Six Net\n");
    allow[0] = write_file("allow.txt", "# Our scanners\n203.0.113.200\n");
    allow[1] = write_file("dns.json", "{\"name\": \"Public DNS\", \"type\": \"cidr\","
                                      " \"list\": [\"8.8.8.8/32\"]}");
    intel[0] = write_file("feodo.csv", feodo);
    intel[1] = write_file("plain.txt", plain_intel);
    evaluate_config cfg = {.geo_mmdb = mmdb, .asn_csv = asn, .nasn_csv = 2,
                           .allowlists = allow, .nallowlists = 2,
                           .intel = intel, .nintel = 2};
    return cfg;
}

static void test_evaluate_full(void **state)
{
    (void)state;
    const char *allow[2], *intel[2], *asn[2];
    evaluate_config cfg = full_config(allow, intel, asn);
    evaluator *ev;
    c2_err err;
    if (evaluate_open(&cfg, &ev, &err) != 0) fail_msg("%s", err.msg);
    assert_string_equal(evaluate_notice(ev), "");
    char sum[512];
    evaluate_summary(ev, sum, sizeof sum);
    assert_non_null(strstr(sum, "country: country.mmdb (built 2026-05-28); AS: 3 ranges from 2 files"));
    assert_non_null(strstr(sum, "allowlists: 2 prefixes from 2 files; intel: 3 entries from 2 files"));

    /* a confirmed C2: intel's family and date, country and AS */
    evaluation e = eval_of(ev, "198.51.100.7", 443, 6);
    assert_string_equal(e.country, "NL");
    assert_int_equal(e.asn, 64500);
    assert_string_equal(e.as_name, "Example, Hosting");
    assert_int_equal(e.excluded, 0);
    assert_string_equal(e.exclude_reason, "");
    assert_int_equal(e.intel_confirmed, 1);
    assert_string_equal(e.category, "QakBot");
    int64_t t;
    assert_int_equal(c2_time_parse("2026-01-17T07:30:05Z", 0, &t, &err), 0);
    assert_int_equal(e.intel_first_ms, t);
    assert_string_equal(e.intel_source, "feodo.csv");

    /* same server, another port: not what the feed lists */
    e = eval_of(ev, "198.51.100.7", 8443, 6);
    assert_int_equal(e.intel_confirmed, 0);
    assert_string_equal(e.category, "");
    assert_int_equal(e.intel_first_ms, 0);
    assert_string_equal(e.country, "NL");

    /* IPv6, and a plain list (no date, no family) */
    e = eval_of(ev, "2001:db8:1::5", 8080, 6);
    assert_string_equal(e.country, "DE");
    assert_int_equal(e.asn, 64502);
    assert_string_equal(e.category, "Emotet");
    e = eval_of(ev, "203.0.113.5", 4444, 17);
    assert_int_equal(e.intel_confirmed, 1);
    assert_string_equal(e.category, "");
    assert_int_equal(e.intel_first_ms, 0);
    assert_string_equal(e.intel_source, "plain.txt");
    assert_string_equal(e.country, "JP");

    /* excluded, with the list's reason */
    e = eval_of(ev, "203.0.113.200", 80, 6);
    assert_int_equal(e.excluded, 1);
    assert_string_equal(e.exclude_reason, "allow.txt: Our scanners");
    assert_string_equal(e.country, "");                 /* outside 203.0.113.0/25 */
    assert_int_equal(e.asn, 64501);
    e = eval_of(ev, "8.8.8.8", 53, 17);
    assert_int_equal(e.excluded, 1);
    assert_string_equal(e.exclude_reason, "Public DNS (dns.json)");
    assert_string_equal(e.country, "US");
    assert_int_equal(e.asn, 0);

    /* nothing known */
    e = eval_of(ev, "192.0.2.1", 443, 6);
    assert_string_equal(e.country, "");
    assert_int_equal(e.asn, 0);
    assert_int_equal(e.excluded | e.intel_confirmed, 0);
    e = eval_of(ev, "2001:db8:2::1", 443, 6);
    assert_string_equal(e.country, "");
    assert_int_equal(e.asn, 64502);
    evaluate_close(ev);
}

/* Lookups are read-only: threads evaluating at once get what one thread
 * gets. */
static const char *const thread_ips[] = {"198.51.100.7", "2001:db8:1::5", "203.0.113.5",
                                         "203.0.113.200", "8.8.8.8", "192.0.2.1"};
#define NTHREAD_IPS (sizeof thread_ips / sizeof thread_ips[0])

typedef struct thread_arg {
    const evaluator *ev;
    const evaluation *want;
    int bad;
} thread_arg;

static void *thread_main(void *p)
{
    thread_arg *t = p;
    for (int k = 0; k < 3000; k++) {
        size_t i = (size_t)k % NTHREAD_IPS;
        flow_addr a = A(thread_ips[i]);
        evaluation e;
        evaluate_entry(t->ev, &a, i == 1 ? 8080 : i == 2 ? 4444 : 443, 6, &e);
        if (memcmp(&e, &t->want[i], sizeof e)) t->bad++;
    }
    return NULL;
}

static void test_evaluate_threads(void **state)
{
    (void)state;
    const char *allow[2], *intel[2], *asn[2];
    evaluate_config cfg = full_config(allow, intel, asn);
    evaluator *ev;
    c2_err err;
    if (evaluate_open(&cfg, &ev, &err) != 0) fail_msg("%s", err.msg);
    evaluation want[NTHREAD_IPS];
    for (size_t i = 0; i < NTHREAD_IPS; i++)
        want[i] = eval_of(ev, thread_ips[i], i == 1 ? 8080 : i == 2 ? 4444 : 443, 6);
    assert_int_equal(want[0].intel_confirmed + want[1].intel_confirmed + want[2].intel_confirmed, 3);
    pthread_t th[4];
    thread_arg args[4];
    for (int i = 0; i < 4; i++) {
        args[i] = (thread_arg){ev, want, 0};
        assert_int_equal(pthread_create(&th[i], NULL, thread_main, &args[i]), 0);
    }
    for (int i = 0; i < 4; i++) {
        assert_int_equal(pthread_join(th[i], NULL), 0);
        assert_int_equal(args[i].bad, 0);
    }
    evaluate_close(ev);
}

/* Country and AS data are optional: absent, missing or broken, they only
 * go into the notice, and the rest still works. */
static void test_evaluate_optional_missing(void **state)
{
    (void)state;
    const char *intel[1] = {write_file("feodo.csv", feodo)};
    evaluate_config cfg = {.intel = intel, .nintel = 1};
    evaluator *ev;
    c2_err err;
    if (evaluate_open(&cfg, &ev, &err) != 0) fail_msg("%s", err.msg);
    assert_string_equal(evaluate_notice(ev),
                        "no country data: geo_mmdb not set; no AS data: asn_csv not set");
    evaluation e = eval_of(ev, "198.51.100.7", 443, 6);
    assert_int_equal(e.intel_confirmed, 1);
    assert_string_equal(e.country, "");
    assert_int_equal(e.asn, 0);
    evaluate_close(ev);

    const char *asn[2] = {path_in_tmp("nope.csv"),
                          write_file("halfbad.csv", "192.0.2.0,192.0.2.255,64496,Doc\nx,y,1,z\n")};
    cfg.geo_mmdb = write_file("broken.mmdb", "not an mmdb at all");
    cfg.asn_csv = asn;
    cfg.nasn_csv = 2;
    if (evaluate_open(&cfg, &ev, &err) != 0) fail_msg("%s", err.msg);
    const char *n = evaluate_notice(ev);
    assert_non_null(strstr(n, "no country data: "));
    assert_non_null(strstr(n, "broken.mmdb: "));
    assert_non_null(strstr(n, "no AS data: "));
    assert_non_null(strstr(n, "nope.csv: no such file"));
    assert_non_null(strstr(n, "halfbad.csv: 1 bad rows skipped (line 2: bad start address)"));
    assert_int_equal(eval_of(ev, "192.0.2.9", 1, 6).asn, 64496);
    evaluate_close(ev);

    /* without intel: said, and nothing is confirmed */
    cfg.nintel = 0;
    cfg.geo_mmdb = path_in_tmp("missing.mmdb");
    if (evaluate_open(&cfg, &ev, &err) != 0) fail_msg("%s", err.msg);
    assert_non_null(strstr(evaluate_notice(ev), "no open-intelligence file"));
    assert_non_null(strstr(evaluate_notice(ev), "missing.mmdb"));
    assert_int_equal(eval_of(ev, "198.51.100.7", 443, 6).intel_confirmed, 0);
    evaluate_close(ev);
}

/* Allowlists and intel files are not optional: a configured one that is
 * missing or broken fails the open, naming it. */
static void test_evaluate_required_broken(void **state)
{
    (void)state;
    const char *allow[1] = {write_file("broken.json", "{\"type\": \"cidr\", \"list\": [\"x\"]}")};
    evaluate_config cfg = {.allowlists = allow, .nallowlists = 1};
    evaluator *ev = (evaluator *)&cfg;
    c2_err err;
    assert_int_equal(evaluate_open(&cfg, &ev, &err), -1);
    assert_null(ev);
    assert_non_null(strstr(err.msg, "broken.json: list item 1"));

    allow[0] = path_in_tmp("gone.txt");
    assert_int_equal(evaluate_open(&cfg, &ev, &err), -1);
    assert_non_null(strstr(err.msg, "gone.txt: no such file"));

    allow[0] = write_file("ok.txt", "192.0.2.1\n");
    const char *intel[1] = {path_in_tmp("no-intel.csv")};
    cfg.intel = intel;
    cfg.nintel = 1;
    assert_int_equal(evaluate_open(&cfg, &ev, &err), -1);
    assert_non_null(strstr(err.msg, "no-intel.csv"));
    intel[0] = write_file("junk-intel.txt", "not an address\nnor this\n");
    assert_int_equal(evaluate_open(&cfg, &ev, &err), -1);
    assert_non_null(strstr(err.msg, "junk-intel.txt"));
}

/* ---- the real npm data, when installed ---- */

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void test_real_ipdb(void **state)
{
    (void)state;
    const char *dir = getenv("C2FLOW_IPDB");
    if (!dir || !*dir) dir = "/usr/local/share/c2flow/ipdb/node_modules/@ip-location-db";
    char mmdb[1024], v4[1024], v6[1024];
    snprintf(mmdb, sizeof mmdb, "%s/geo-whois-asn-country-mmdb/geo-whois-asn-country.mmdb", dir);
    snprintf(v4, sizeof v4, "%s/asn/asn-ipv4.csv", dir);
    snprintf(v6, sizeof v6, "%s/asn/asn-ipv6.csv", dir);
    if (access(mmdb, R_OK) || access(v4, R_OK) || access(v6, R_OK)) {
        printf("skip: npm data not installed in %s (scripts/setup-deps installs it)\n", dir);
        skip();
    }
    const char *asn[2] = {v4, v6};
    evaluate_config cfg = {.geo_mmdb = mmdb, .asn_csv = asn, .nasn_csv = 2};
    evaluator *ev;
    c2_err err;
    struct rusage r0, r1;
    getrusage(RUSAGE_SELF, &r0);
    double t0 = now_s();
    if (evaluate_open(&cfg, &ev, &err) != 0) fail_msg("%s", err.msg);
    double t1 = now_s();
    getrusage(RUSAGE_SELF, &r1);
    char sum[512];
    printf("real data: open %.3f s, max RSS %ld -> %ld KiB; %s\n", t1 - t0, r0.ru_maxrss,
           r1.ru_maxrss, evaluate_summary(ev, sum, sizeof sum));
    /* only "no open-intelligence file": the data loaded without bad rows */
    assert_string_equal(evaluate_notice(ev), "no open-intelligence file: nothing can be confirmed");
    evaluation e = eval_of(ev, "1.1.1.1", 443, 6);
    assert_int_equal(e.asn, 13335);
    assert_non_null(strstr(e.as_name, "Cloudflare"));
    e = eval_of(ev, "8.8.8.8", 53, 17);
    assert_int_equal(e.asn, 15169);
    assert_string_equal(e.country, "US");
    e = eval_of(ev, "2001:4860:4860::8888", 53, 17);
    assert_int_equal(e.asn, 15169);
    assert_string_equal(e.country, "US");
    e = eval_of(ev, "133.1.1.1", 80, 6);                /* JPNIC's Osaka University block */
    assert_string_equal(e.country, "JP");
    e = eval_of(ev, "10.1.2.3", 80, 6);                 /* private: in neither */
    assert_string_equal(e.country, "");
    assert_int_equal(e.asn, 0);
    evaluate_close(ev);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_asn_lookup),
        cmocka_unit_test(test_asn_bad_rows),
        cmocka_unit_test(test_asn_unsorted_overlap),
        cmocka_unit_test(test_asn_against_naive),
        cmocka_unit_test(test_allow_prefix_file),
        cmocka_unit_test(test_allow_nesting),
        cmocka_unit_test(test_allow_warninglist),
        cmocka_unit_test(test_allow_against_naive),
        cmocka_unit_test(test_allow_repo_file),
        cmocka_unit_test(test_evaluate_full),
        cmocka_unit_test(test_evaluate_threads),
        cmocka_unit_test(test_evaluate_optional_missing),
        cmocka_unit_test(test_evaluate_required_broken),
        cmocka_unit_test(test_real_ipdb),
    };
    return cmocka_run_group_tests(tests, setup_dir, teardown_dir);
}
