/*
 * test_lookback.c: lease files and the attribution of lookback's hits to
 * subscribers (src/lookback/), on a store written here with records made by
 * hand (the helpers of tests/features/test_features.c), the customer space
 * being 100.64.0.0/16, the listed server 203.0.113.5:443/tcp.
 *
 *   - lease files: a header, comments, blank lines, IPv4 and IPv6
 *     addresses and prefixes, an open end; every error kind, named with its
 *     line; the bound on leases; nothing of a bad file is kept;
 *   - lookups: outside every lease, at the ends of a lease, overlapping
 *     leases (the one that started last wins, then the later line), an
 *     address's lease over its prefix's;
 *   - the search with leases: a host whose address changed hands mid-window
 *     gives one row per subscriber; a time no lease covers gives a row with
 *     an empty subscriber, counted; two leases of one subscriber give one
 *     row; without leases the rows are as before; the CSV and JSON Lines
 *     forms carry the subscriber after the host.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/test_store.h"
#include "lookback/lookback.h"

#define DAY0 1767571200000LL            /* 2026-01-05T00:00:00Z */
#define HOUR_MS 3600000LL
#define IP4(a, b, c, d) ((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (d))
#define C2_IP IP4(203, 0, 113, 5)

/* ---- lease files ---- */

static lookback_leases *leases_ok(const char *text)
{
    lookback_leases *L = NULL;
    c2_err err;
    if (lookback_leases_read_mem(text, strlen(text), "t", 0, &L, &err) != 0)
        fail_msg("%s", err.msg);
    return L;
}

/* text must fail with exactly msg. */
static void leases_bad(const char *text, size_t max, const char *msg)
{
    lookback_leases *L = (lookback_leases *)1;
    c2_err err;
    assert_int_equal(lookback_leases_read_mem(text, strlen(text), "t", max, &L, &err), -1);
    assert_null(L);
    assert_string_equal(err.msg, msg);
}

static flow_addr addr(const char *s)
{
    flow_addr a;
    assert_int_equal(flow_addr_parse(s, &a), 0);
    return a;
}

/* The subscriber holding s at t, or "-" for none. */
static const char *who(const lookback_leases *L, const char *s, int64_t t)
{
    flow_addr a = addr(s);
    const lookback_lease *l = lookback_leases_find(L, &a, t);
    return l ? l->subscriber : "-";
}

static void test_leases_read(void **state)
{
    (void)state;
    lookback_leases *L = leases_ok(
        "# exported 2026-01-07\n"
        "address,start,end,subscriber\r\n"
        "\n"
        "   # an indented comment\n"
        "100.64.0.1,2026-01-05T00:00:00Z,2026-01-05T12:00:00Z,alice\n"
        "100.64.0.1 , 2026-01-05T12:00:00Z , , bob smith \n"
        "100.64.1.0/24,2026-01-01,2026-02-01,business-7\n"
        "2001:db8:0:100::/56,2026-01-05T00:00:00Z,,cust-56\n"
        "2001:db8:0:100::1,2026-01-05T06:00:00Z,2026-01-05T07:00:00Z,\"cust host\"\n");
    assert_int_equal(lookback_leases_count(L), 5);
    assert_null(lookback_leases_get(L, 5));
    /* ordered by prefix length first: the /56, the /24 (120), the addresses */
    assert_int_equal(lookback_leases_get(L, 0)->len, 56);
    assert_int_equal(lookback_leases_get(L, 1)->len, 120);
    assert_int_equal(lookback_leases_get(L, 4)->len, 128);
    assert_int_equal(lookback_leases_get(L, 2)->start, DAY0);
    assert_int_equal(lookback_leases_get(L, 2)->end, DAY0 + 12 * HOUR_MS);
    assert_true(lookback_leases_get(L, 3)->end == INT64_MAX);       /* still held */
    assert_string_equal(lookback_leases_get(L, 3)->subscriber, "bob smith");
    assert_string_equal(lookback_leases_get(L, 4)->subscriber, "cust host");

    assert_string_equal(who(L, "100.64.0.1", DAY0 - 1), "-");
    assert_string_equal(who(L, "100.64.0.1", DAY0), "alice");
    assert_string_equal(who(L, "100.64.0.1", DAY0 + 12 * HOUR_MS - 1), "alice");
    assert_string_equal(who(L, "100.64.0.1", DAY0 + 12 * HOUR_MS), "bob smith");
    assert_string_equal(who(L, "100.64.0.1", DAY0 + 400 * 24 * HOUR_MS), "bob smith");
    assert_string_equal(who(L, "100.64.0.2", DAY0), "-");
    assert_string_equal(who(L, "100.64.1.77", DAY0), "business-7");
    assert_string_equal(who(L, "100.64.2.77", DAY0), "-");
    assert_string_equal(who(L, "::ffff:100.64.1.9", DAY0), "business-7");
    /* the address's own lease over its /56's while it lasts */
    assert_string_equal(who(L, "2001:db8:0:1ff::9", DAY0), "cust-56");
    assert_string_equal(who(L, "2001:db8:0:100::1", DAY0 + 5 * HOUR_MS), "cust-56");
    assert_string_equal(who(L, "2001:db8:0:100::1", DAY0 + 6 * HOUR_MS), "cust host");
    assert_string_equal(who(L, "2001:db8:0:100::1", DAY0 + 7 * HOUR_MS), "cust-56");
    assert_string_equal(who(L, "2001:db8:0:200::1", DAY0), "-");
    lookback_leases_free(L);

    /* empty input and comments alone: no leases */
    L = leases_ok("");
    assert_int_equal(lookback_leases_count(L), 0);
    assert_string_equal(who(L, "100.64.0.1", DAY0), "-");
    lookback_leases_free(L);
    L = leases_ok("address,start,end,subscriber\n# nothing yet\n");
    assert_int_equal(lookback_leases_count(L), 0);
    lookback_leases_free(L);
    lookback_leases_free(NULL);
}

static void test_leases_overlap(void **state)
{
    (void)state;
    lookback_leases *L = leases_ok(
        "100.64.0.1,2026-01-05T00:00:00Z,2026-01-09T00:00:00Z,long\n"
        "100.64.0.1,2026-01-06T00:00:00Z,2026-01-07T00:00:00Z,short\n"
        "100.64.0.1,2026-01-06T00:00:00Z,2026-01-06T06:00:00Z,same-start\n"
        "100.64.0.1,2026-01-10T00:00:00Z,,next\n");
    int64_t d = 24 * HOUR_MS;
    assert_string_equal(who(L, "100.64.0.1", DAY0 + d / 2), "long");
    /* two leases started at the same time: the later line */
    assert_string_equal(who(L, "100.64.0.1", DAY0 + d), "same-start");
    assert_string_equal(who(L, "100.64.0.1", DAY0 + d + 6 * HOUR_MS), "short");
    /* short has ended, long still covers */
    assert_string_equal(who(L, "100.64.0.1", DAY0 + 2 * d), "long");
    assert_string_equal(who(L, "100.64.0.1", DAY0 + 4 * d), "-");
    assert_string_equal(who(L, "100.64.0.1", DAY0 + 5 * d), "next");
    lookback_leases_free(L);
}

static void test_leases_errors(void **state)
{
    (void)state;
    static const char ok[] = "100.64.0.1,2026-01-05,,a\n";
    static const struct { const char *text, *msg; } bad[] = {
        {"100.64.0.300,2026-01-05,,a\n", "t: line 1: bad address '100.64.0.300'"},
        {"\n#\n,2026-01-05,,a\n", "t: line 3: the address is empty"},
        {"100.64.0.0/33,2026-01-05,,a\n", "t: line 1: bad prefix '100.64.0.0/33': "},
        {"100.64.0.1,,,a\n", "t: line 1: the start is empty"},
        {"100.64.0.1,2026-13-05,,a\n", "t: line 1: bad start '2026-13-05' (UTC ISO 8601: "
                                       "2026-01-05T10:00:00Z)"},
        {"100.64.0.1,1767571200,,a\n", "t: line 1: bad start '1767571200' (UTC ISO 8601: "
                                       "2026-01-05T10:00:00Z)"},
        {"100.64.0.1,2026-01-05,now,a\n", "t: line 1: bad end 'now' (UTC ISO 8601, or empty: "
                                          "still held)"},
        {"100.64.0.1,2026-01-05,2026-01-05,a\n", "t: line 1: the lease ends before it starts"},
        {"100.64.0.1,2026-01-05,2026-01-04,a\n", "t: line 1: the lease ends before it starts"},
        {"100.64.0.1,2026-01-05,,\n", "t: line 1: the subscriber id is empty"},
        {"100.64.0.1,2026-01-05,,\"\"\n", "t: line 1: the subscriber id is empty"},
        {"100.64.0.1,2026-01-05,,\"a,b\"\n", "t: line 1: the subscriber id holds a character "
         "not allowed (printable ASCII without commas, quotes or backslashes)"},
        {"100.64.0.1,2026-01-05,,a\"b\n", "t: line 1: the subscriber id holds a character "
         "not allowed (printable ASCII without commas, quotes or backslashes)"},
        {"100.64.0.1,2026-01-05,,a\\b\n", "t: line 1: the subscriber id holds a character "
         "not allowed (printable ASCII without commas, quotes or backslashes)"},
        {"100.64.0.1,2026-01-05,,a\tb\n", "t: line 1: the subscriber id holds a character "
         "not allowed (printable ASCII without commas, quotes or backslashes)"},
        {"100.64.0.1,2026-01-05,,a\xc3\xa9\n", "t: line 1: the subscriber id holds a character "
         "not allowed (printable ASCII without commas, quotes or backslashes)"},
        {"100.64.0.1,2026-01-05,,"
         "12345678901234567890123456789012345678901234567890123456789012345\n",
         "t: line 1: the subscriber id is longer than 64 bytes"},
        {"100.64.0.1,2026-01-05,a\n", "t: line 1: 3 fields, a lease has 4 "
                                      "(address,start,end,subscriber)"},
        {"100.64.0.1,2026-01-05,,a,b\n", "t: line 1: 5 fields, a lease has 4 "
                                         "(address,start,end,subscriber)"},
        {"1,2,3,4,5,6,7,8,9\n", "t: line 1: more than 8 fields"},
        {"100.64.0.1,2026-01-05,,\"a\n", "t: line 1: unterminated quoted field"},
        {"100.64.0.1,2026-01-05,,a\n100.64.0.1,2026-01-05,,a\0b\n", "t: line 2: NUL byte"},
        /* a header anywhere but first is a bad line */
        {"100.64.0.1,2026-01-05,,a\naddress,start,end,subscriber\n",
         "t: line 2: bad address 'address'"},
        {"ip,from,to,who\n", "t: line 1: bad address 'ip'"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        size_t len = strlen(bad[i].text);
        if (strstr(bad[i].msg, "NUL")) len = strlen(bad[i].text) + 3;    /* past the \0 */
        lookback_leases *L = (lookback_leases *)1;
        c2_err err;
        assert_int_equal(lookback_leases_read_mem(bad[i].text, len, "t", 0, &L, &err), -1);
        assert_null(L);
        if (strncmp(err.msg, bad[i].msg, strlen(bad[i].msg)))
            fail_msg("case %zu: got '%s', want '%s'", i, err.msg, bad[i].msg);
        if (strlen(err.msg) != strlen(bad[i].msg) && !strstr(bad[i].msg, "prefix"))
            fail_msg("case %zu: got '%s', want '%s'", i, err.msg, bad[i].msg);
    }
    /* a long line, named */
    char line[2000];
    snprintf(line, sizeof line, "%s%s,2026-01-05,,", ok, "100.64.0.2");
    size_t n = strlen(line);
    memset(line + n, 'x', 1500);
    strcpy(line + n + 1500, "\n");
    leases_bad(line, 0, "t: line 2: longer than 1024 bytes");
    /* the bound */
    leases_bad("100.64.0.1,2026-01-05,,a\n100.64.0.2,2026-01-05,,b\n100.64.0.3,2026-01-05,,c\n",
               2, "t: line 3: more than 2 leases");
    lookback_leases *L = NULL;
    c2_err err;
    assert_int_equal(lookback_leases_read_mem(ok, strlen(ok), "t", 1, &L, &err), 0);
    assert_int_equal(lookback_leases_count(L), 1);
    lookback_leases_free(L);
    /* a file that is not there */
    assert_int_equal(lookback_leases_read_file("/nonexistent/leases.csv", 0, &L, &err), -1);
    assert_null(L);
    assert_non_null(strstr(err.msg, "/nonexistent/leases.csv"));
}

static void test_leases_file(void **state)
{
    (void)state;
    const char *base = getenv("C2FLOW_TEST_TMP");
    char path[300];
    c2_err err;
    snprintf(path, sizeof path, "%s/leases-%d.csv", base && *base ? base : "/tmp", (int)getpid());
    assert_int_equal(c2_mkdir_p(base && *base ? base : "/tmp", C2_SHARED, &err), 0);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs("address,start,end,subscriber\n100.64.0.1,2026-01-05,,sub-1\nbad\n", f);
    fclose(f);
    lookback_leases *L;
    assert_int_equal(lookback_leases_read_file(path, 0, &L, &err), -1);
    char want[400];
    snprintf(want, sizeof want, "%s: line 3: 1 fields, a lease has 4 "
             "(address,start,end,subscriber)", path);
    assert_string_equal(err.msg, want);
    f = fopen(path, "w");
    assert_non_null(f);
    fputs("address,start,end,subscriber\n100.64.0.1,2026-01-05,,sub-1\n", f);
    fclose(f);
    assert_int_equal(lookback_leases_read_file(path, 0, &L, &err), 0);
    assert_int_equal(lookback_leases_count(L), 1);
    lookback_leases_free(L);
    unlink(path);
}

/* ---- a store of hand-made records ---- */

typedef struct world {
    char            dir[256];
    store          *st;
    ipset          *internal;
    c2list         *list;
    test_records    recs;
    lookback_input  in;
} world;

/* One record src -> dst, unsampled, 10 packets of 100 bytes, at t. */
static flow_record *rec(world *w, uint32_t src, uint32_t dst, uint16_t sport, uint16_t dport,
                        uint8_t proto, int64_t t)
{
    return test_record(&w->recs, src, dst, sport, dport, proto, proto == 6 ? 0x18 : 0, 10, 1000,
                       t);
}

static uint32_t customer(uint32_t i) { return IP4(100, 64, 0, 1) + i; }

/* A customer's record to the C2 server, and the answer. */
static void contact(world *w, uint32_t host, int64_t t)
{
    rec(w, host, C2_IP, (uint16_t)(50000 + (host & 0xff)), 443, 6, t);
    rec(w, C2_IP, host, 443, (uint16_t)(50000 + (host & 0xff)), 6, t);
}

static int world_setup(void **state)
{
    static const char list[] = "ip,port,proto\n203.0.113.5,443,tcp\n";
    world *w = calloc(1, sizeof *w);
    c2_err err;
    if (!w || test_store_make(w->dir, sizeof w->dir, "lookback", &w->st) != 0) return -1;
    if (ipset_new(&w->internal, &err) != 0 ||
        ipset_add_text(w->internal, "100.64.0.0/16", &err) != 0 ||
        ipset_build(w->internal, &err) != 0 ||
        c2list_read_mem(list, sizeof list - 1, 0, &w->list, &err) != 0)
        return -1;
    w->in.store = w->st;
    w->in.list = w->list;
    w->in.hosts = w->internal;
    w->in.from_ms = DAY0;
    w->in.to_ms = DAY0 + 24 * HOUR_MS;
    w->in.threads = 1;
    *state = w;
    return 0;
}

static int world_teardown(void **state)
{
    world *w = *state;
    store_close(w->st);
    ipset_free(w->internal);
    c2list_free(w->list);
    free(w->recs.rec);
    int rc = test_dir_remove(w->dir);
    free(w);
    return rc;
}

/* The records made so far into the store (new segments). */
static void flush(world *w)
{
    test_records_flush(&w->recs, w->st);
}

static void run(world *w, lookback_result *r)
{
    c2_err err;
    if (lookback_run(&w->in, r, &err) != 0) fail_msg("%s", err.msg);
}

/* The whole output of lookback_write, malloc'ed. */
static char *written(const lookback_result *r, lookback_format fmt)
{
    char *buf = NULL;
    size_t len = 0;
    c2_err err;
    FILE *f = open_memstream(&buf, &len);
    assert_non_null(f);
    assert_int_equal(lookback_write(r, f, fmt, &err), 0);
    fclose(f);
    return buf;
}

/*
 * customer 0 (100.64.0.1): alice until 10:00, bob from then; contacts at
 *   02:00 and 04:00 (alice), 12:00 (bob);
 * customer 1 (100.64.0.2): no lease until 06:00, then carol; contacts at
 *   03:00 (none) and 08:00 (carol);
 * customer 2 (100.64.0.3): dave twice (a lease renewed at 09:00); contacts
 *   at 05:00 and 15:00: one row.
 */
static void handover(world *w)
{
    contact(w, customer(0), DAY0 + 2 * HOUR_MS);
    contact(w, customer(0), DAY0 + 4 * HOUR_MS);
    contact(w, customer(0), DAY0 + 12 * HOUR_MS);
    contact(w, customer(1), DAY0 + 3 * HOUR_MS);
    contact(w, customer(1), DAY0 + 8 * HOUR_MS);
    contact(w, customer(2), DAY0 + 5 * HOUR_MS);
    contact(w, customer(2), DAY0 + 15 * HOUR_MS);
    flush(w);
}

static const char handover_leases[] =
    "address,start,end,subscriber\n"
    "100.64.0.1,2026-01-04T00:00:00Z,2026-01-05T10:00:00Z,alice\n"
    "100.64.0.1,2026-01-05T10:00:00Z,,bob\n"
    "100.64.0.2,2026-01-05T06:00:00Z,,carol\n"
    "100.64.0.3,2026-01-05T00:00:00Z,2026-01-05T09:00:00Z,dave\n"
    "100.64.0.3,2026-01-05T09:00:00Z,2026-01-06T00:00:00Z,dave\n";

static void test_no_leases(void **state)
{
    world *w = *state;
    handover(w);
    lookback_result r;
    run(w, &r);
    assert_int_equal(r.leases, 0);
    assert_int_equal(r.n, 3);
    assert_int_equal(lookback_hosts(&r), 3);
    for (size_t i = 0; i < r.n; i++) assert_null(r.hit[i].subscriber);
    assert_int_equal(r.hit[0].flows, 6);
    assert_int_equal(r.hit[0].first, DAY0 + 2 * HOUR_MS);
    assert_int_equal(r.hit[0].last, DAY0 + 12 * HOUR_MS);
    char *csv = written(&r, LOOKBACK_CSV);
    assert_non_null(strstr(csv, "\nhost,server,port,proto,first,last,flows,packets,bytes\n"
                                "100.64.0.1,203.0.113.5,443,tcp,2026-01-05T02:00:00Z,"
                                "2026-01-05T12:00:00Z,6,60,6000\n"));
    free(csv);
    char *js = written(&r, LOOKBACK_JSONL);
    assert_null(strstr(js, "subscriber"));
    assert_non_null(strstr(js, "{\"host\":\"100.64.0.1\",\"server\":\"203.0.113.5\","));
    free(js);
    lookback_result_free(&r);
}

static void test_attribution(void **state)
{
    world *w = *state;
    handover(w);
    lookback_leases *L = leases_ok(handover_leases);
    w->in.leases = L;
    lookback_result r;
    run(w, &r);
    assert_int_equal(r.leases, 1);
    assert_int_equal(lookback_hosts(&r), 3);
    assert_int_equal(r.n, 5);
    assert_int_equal(r.unleased, 1);
    assert_int_equal(r.matched, 14);
    static const struct { const char *host, *sub; uint64_t flows; int64_t first, last; } want[] = {
        {"100.64.0.1", "alice", 4, 2, 4},
        {"100.64.0.1", "bob", 2, 12, 12},
        {"100.64.0.2", "", 2, 3, 3},
        {"100.64.0.2", "carol", 2, 8, 8},
        {"100.64.0.3", "dave", 4, 5, 15},
    };
    for (size_t i = 0; i < 5; i++) {
        char host[FLOW_ADDR_STRLEN];
        flow_addr_format(&r.hit[i].host, host, sizeof host);
        assert_string_equal(host, want[i].host);
        assert_string_equal(r.hit[i].subscriber, want[i].sub);
        assert_int_equal(r.hit[i].flows, want[i].flows);
        assert_int_equal(r.hit[i].bytes, want[i].flows * 1000);
        assert_int_equal(r.hit[i].first, DAY0 + want[i].first * HOUR_MS);
        assert_int_equal(r.hit[i].last, DAY0 + want[i].last * HOUR_MS);
    }
    char *csv = written(&r, LOOKBACK_CSV);
    assert_non_null(strstr(csv, "\nhost,subscriber,server,port,proto,first,last,flows,packets,"
                                "bytes\n100.64.0.1,alice,203.0.113.5,443,tcp,"
                                "2026-01-05T02:00:00Z,2026-01-05T04:00:00Z,4,40,4000\n"));
    assert_non_null(strstr(csv, "\n100.64.0.2,,203.0.113.5,443,tcp,"));
    assert_true(!strncmp(csv, "# c2flow lookback: INTERNAL", 27));
    free(csv);
    char *js = written(&r, LOOKBACK_JSONL);
    assert_non_null(strstr(js, "{\"host\":\"100.64.0.1\",\"subscriber\":\"bob\","
                               "\"server\":\"203.0.113.5\",\"port\":443,\"proto\":\"tcp\","));
    assert_non_null(strstr(js, "{\"host\":\"100.64.0.2\",\"subscriber\":\"\","));
    free(js);
    lookback_result_free(&r);

    /* a window before the handover: alice alone for customer 0 */
    w->in.to_ms = DAY0 + 10 * HOUR_MS;
    run(w, &r);
    assert_int_equal(r.n, 4);
    assert_string_equal(r.hit[0].subscriber, "alice");
    assert_int_equal(r.hit[0].flows, 4);
    lookback_result_free(&r);

    /* no lease at all covers: every row empty, every row counted */
    lookback_leases *none = leases_ok("# none\n");
    w->in.leases = none;
    run(w, &r);
    assert_int_equal(r.n, 3);
    assert_int_equal(r.unleased, 3);
    lookback_result_free(&r);
    lookback_leases_free(none);
    lookback_leases_free(L);
}

/* Many hosts, each changing hands every hour: rows stay right past the
 * hit table's growth. */
static void test_attribution_many(void **state)
{
    world *w = *state;
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    assert_non_null(f);
    for (uint32_t h = 0; h < 300; h++)
        for (int k = 0; k < 4; k++) {
            char t0[40], t1[40], host[FLOW_ADDR_STRLEN];
            flow_addr a;
            flow_addr_from_v4(&a, customer(h));
            flow_addr_format(&a, host, sizeof host);
            c2list_time_format(DAY0 + k * HOUR_MS, t0, sizeof t0);
            c2list_time_format(DAY0 + (k + 1) * HOUR_MS, t1, sizeof t1);
            fprintf(f, "%s,%s,%s,sub-%u-%d\n", host, t0, t1, h, k);
            contact(w, customer(h), DAY0 + k * HOUR_MS + 30 * 60000);
        }
    fclose(f);
    flush(w);
    lookback_leases *L = leases_ok(text);
    free(text);
    w->in.leases = L;
    lookback_result r;
    run(w, &r);
    assert_int_equal(r.n, 1200);
    assert_int_equal(r.unleased, 0);
    for (size_t i = 0; i < r.n; i++) {
        char want[40];
        snprintf(want, sizeof want, "sub-%zu-%zu", i / 4, i % 4);
        assert_string_equal(r.hit[i].subscriber, want);
        assert_int_equal(r.hit[i].flows, 2);
    }
    lookback_result_free(&r);
    lookback_leases_free(L);
}

#define WORLD_TEST(f) cmocka_unit_test_setup_teardown(f, world_setup, world_teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_leases_read),
        cmocka_unit_test(test_leases_overlap),
        cmocka_unit_test(test_leases_errors),
        cmocka_unit_test(test_leases_file),
        WORLD_TEST(test_no_leases),
        WORLD_TEST(test_attribution),
        WORLD_TEST(test_attribution_many),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
