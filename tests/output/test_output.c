/*
 * test_output.c: the record and table writers (src/output/).
 *
 * Small hand-built batches (IPv4 TCP with flags, IPv6 UDP with extreme
 * counters, ICMP before the epoch) are printed in each format and compared
 * with the exact text docs/output.md promises; JSON lines are also run
 * through a minimal JSON checker.  A large random batch checks the
 * writer's own number, time and IPv4 formatting (and buffer flushing)
 * against snprintf, c2_time_format and flow_addr_format.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "output/output.h"

/* 2026-11-22T03:04:05.123Z */
static int64_t t0(void)
{
    return c2_days_from_civil(2026, 11, 22) * C2_MS_PER_DAY +
           3 * 3600000LL + 4 * 60000LL + 5 * 1000LL + 123;
}

static flow_addr addr(const char *s)
{
    flow_addr a;
    if (flow_addr_parse(s, &a) != 0) fail_msg("bad address %s", s);
    return a;
}

/* Three records: IPv4 TCP with flags, IPv6 UDP with extreme counters, and
 * an ICMP echo request (type 8 code 0) one millisecond before the epoch. */
static void sample_batch(flow_batch *b)
{
    flow_record r[3];
    memset(r, 0, sizeof r);
    r[0].start_ms = t0();
    r[0].end_ms = t0() + 1500;
    r[0].exporter = addr("192.0.2.1");
    r[0].domain = 7, r[0].in_if = 3, r[0].out_if = 4;
    r[0].src_addr = addr("10.0.0.1");
    r[0].dst_addr = addr("198.51.100.7");
    r[0].src_port = 51000, r[0].dst_port = 443, r[0].proto = 6;
    r[0].tcp_flags = 0x1b, r[0].tos = 0xb8;
    r[0].packets = 10, r[0].bytes = 1500, r[0].sampling = 1;
    r[0].src_as = 64500, r[0].dst_as = 4294967295u;

    r[1].start_ms = t0() + C2_MS_PER_DAY;
    r[1].end_ms = t0() + C2_MS_PER_DAY;
    r[1].exporter = addr("2001:db8::fe");
    r[1].src_addr = addr("2001:db8::1");
    r[1].dst_addr = addr("2001:db8:0:1::53");
    r[1].src_port = 53, r[1].dst_port = 65535, r[1].proto = 17;
    r[1].packets = UINT64_MAX, r[1].bytes = 0, r[1].sampling = 1000;

    r[2].start_ms = -1;
    r[2].end_ms = 0;
    r[2].exporter = addr("192.0.2.1");
    r[2].src_addr = addr("0.0.0.0");
    r[2].dst_addr = addr("255.255.255.255");
    r[2].dst_port = 8 << 8, r[2].proto = 1, r[2].tcp_flags = 0;
    r[2].packets = 1, r[2].bytes = 84, r[2].sampling = 1;

    assert_int_equal(flow_batch_init(b, 3, FLOW_ALL_FIELDS), 0);
    for (int i = 0; i < 3; i++) flow_batch_put(b, &r[i]);
}

/* Print batches through a record writer, its columns those of `fields`
 * or, when order is not NULL, order[norder]; returns the text (caller
 * frees).  Not inlined: GCC -O3 then takes the stream's hold on the local
 * `text` for a dangling pointer at the caller (-Wdangling-pointer). */
__attribute__((noinline)) static char *print_with(output_format fmt, uint32_t fields, const flow_field *order,
                        size_t norder, const flow_batch *const *batches, size_t n)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    assert_non_null(f);
    output_records *w;
    c2_err err;
    uint64_t rows, want = 0;
    int rc = order ? output_records_begin_ordered(f, fmt, order, norder, &w, &err)
                   : output_records_begin(f, fmt, fields, &w, &err);
    if (rc != 0) fail_msg("%s", err.msg);
    for (size_t i = 0; i < n; i++) {
        if (output_records_batch(w, batches[i], &err) != 0) fail_msg("%s", err.msg);
        want += batches[i]->count;
    }
    if (output_records_end(w, &rows, &err) != 0) fail_msg("%s", err.msg);
    assert_int_equal(rows, want);
    fclose(f);
    return text;
}

static char *print_records(output_format fmt, uint32_t fields,
                           const flow_batch *const *batches, size_t n)
{
    return print_with(fmt, fields, NULL, 0, batches, n);
}

static char *print_one(output_format fmt, uint32_t fields, const flow_batch *b)
{
    return print_records(fmt, fields, &b, 1);
}

static void test_format_lookup(void **state)
{
    (void)state;
    assert_int_equal(output_format_lookup("csv"), OUTPUT_CSV);
    assert_int_equal(output_format_lookup("json"), OUTPUT_JSONL);
    assert_int_equal(output_format_lookup("jsonl"), OUTPUT_JSONL);
    assert_int_equal(output_format_lookup("table"), OUTPUT_TABLE);
    assert_int_equal(output_format_lookup("CSV"), -1);
    assert_int_equal(output_format_lookup("xml"), -1);
    assert_int_equal(output_format_lookup(""), -1);
    assert_string_equal(output_format_name(OUTPUT_JSONL), "jsonl");
}

static void test_records_csv(void **state)
{
    (void)state;
    flow_batch b;
    sample_batch(&b);
    char *text = print_one(OUTPUT_CSV, FLOW_ALL_FIELDS, &b);
    assert_string_equal(text,
        "start,end,exporter,domain,in_if,out_if,src_ip,dst_ip,src_port,"
        "dst_port,proto,tcp_flags,tos,packets,bytes,sampling,src_as,dst_as\n"
        "2026-11-22T03:04:05.123Z,2026-11-22T03:04:06.623Z,192.0.2.1,7,3,4,"
        "10.0.0.1,198.51.100.7,51000,443,6,27,184,10,1500,1,64500,4294967295\n"
        "2026-11-23T03:04:05.123Z,2026-11-23T03:04:05.123Z,2001:db8::fe,0,0,0,"
        "2001:db8::1,2001:db8:0:1::53,53,65535,17,0,0,18446744073709551615,0,"
        "1000,0,0\n"
        "1969-12-31T23:59:59.999Z,1970-01-01T00:00:00.000Z,192.0.2.1,0,0,0,"
        "0.0.0.0,255.255.255.255,0,2048,1,0,0,1,84,1,0,0\n");
    free(text);

    /* A subset keeps flow_field order whatever the mask's bit order says. */
    text = print_one(OUTPUT_CSV, FLOW_BIT(FLOW_BYTES) | FLOW_BIT(FLOW_SRC_ADDR) |
                     FLOW_BIT(FLOW_START), &b);
    assert_string_equal(text,
        "start,src_ip,bytes\n"
        "2026-11-22T03:04:05.123Z,10.0.0.1,1500\n"
        "2026-11-23T03:04:05.123Z,2001:db8::1,0\n"
        "1969-12-31T23:59:59.999Z,0.0.0.0,84\n");
    free(text);
    flow_batch_free(&b);
}

/* Print b with the columns in the order given. */
static char *print_ordered(output_format fmt, const flow_field *order, size_t n,
                           const flow_batch *b)
{
    return print_with(fmt, 0, order, n, &b, 1);
}

/* Columns come in the order asked (`query --fields dst_port,src_ip`), a
 * column asked twice once; -o line keeps its own columns. */
static void test_records_ordered(void **state)
{
    (void)state;
    flow_batch b;
    sample_batch(&b);
    const flow_field order[] = {FLOW_BYTES, FLOW_DST_PORT, FLOW_SRC_ADDR, FLOW_BYTES, FLOW_START};
    char *text = print_ordered(OUTPUT_CSV, order, 5, &b);
    assert_string_equal(text,
        "bytes,dst_port,src_ip,start\n"
        "1500,443,10.0.0.1,2026-11-22T03:04:05.123Z\n"
        "0,65535,2001:db8::1,2026-11-23T03:04:05.123Z\n"
        "84,2048,0.0.0.0,1969-12-31T23:59:59.999Z\n");
    free(text);
    text = print_ordered(OUTPUT_JSONL, order, 3, &b);
    assert_non_null(strstr(text, "{\"bytes\":1500,\"dst_port\":443,\"src_ip\":\"10.0.0.1\"}\n"));
    free(text);
    text = print_ordered(OUTPUT_TABLE, order + 1, 2, &b);
    char *port = strstr(text, "dst_port"), *src = strstr(text, "src_ip");
    assert_true(port && src && port < src && !strstr(text, "bytes"));
    free(text);
    char *line = print_ordered(OUTPUT_LINE, order, 1, &b);
    char *plain = print_one(OUTPUT_LINE, FLOW_BIT(FLOW_BYTES), &b);
    assert_string_equal(line, plain);
    free(line);
    free(plain);
    output_records *w;
    c2_err err;
    assert_int_equal(output_records_begin_ordered(stdout, OUTPUT_CSV, order, 0, &w, &err), -1);
    flow_batch_free(&b);
}

/* Times come from untrusted packets: the whole int64 range must print
 * (proleptic Gregorian, as c2_time_format), without overflow. */
static void test_extreme_times(void **state)
{
    (void)state;
    flow_batch b;
    flow_record r;
    memset(&r, 0, sizeof r);
    assert_int_equal(flow_batch_init(&b, 2, FLOW_BIT(FLOW_START) | FLOW_BIT(FLOW_END)), 0);
    r.start_ms = INT64_MIN;
    r.end_ms = INT64_MAX;
    flow_batch_put(&b, &r);
    r.start_ms = -62135596800001;          /* just before 0001-01-01 */
    r.end_ms = 1700000000123;
    flow_batch_put(&b, &r);
    char *text = print_one(OUTPUT_CSV, b.fields, &b);
    assert_string_equal(text,
        "start,end\n"
        "-292275055-05-16T16:47:04.192Z,292278994-08-17T07:12:55.807Z\n"
        "0000-12-31T23:59:59.999Z,2023-11-14T22:13:20.123Z\n");
    free(text);
    flow_batch_free(&b);
}

/* ---- a minimal JSON checker: objects, strings, numbers, null ---- */

static const char *json_value(const char *p);

static const char *json_string(const char *p)
{
    if (*p++ != '"') return NULL;
    for (; *p != '"'; p++) {
        if ((unsigned char)*p < 0x20) return NULL;
        if (*p != '\\') continue;
        p++;
        if (*p == 'u') {
            for (int i = 1; i <= 4; i++)
                if (!strchr("0123456789abcdefABCDEF", p[i]) || !p[i]) return NULL;
            p += 4;
        } else if (!*p || !strchr("\"\\/bfnrt", *p)) {
            return NULL;
        }
    }
    return p + 1;
}

static const char *json_number(const char *p)
{
    const char *s = p;
    if (*p == '-') p++;
    if (*p == '0') p++;
    else if (*p >= '1' && *p <= '9') while (*p >= '0' && *p <= '9') p++;
    else return NULL;
    return p > s ? p : NULL;
}

static const char *json_object(const char *p)
{
    if (*p++ != '{') return NULL;
    if (*p == '}') return p + 1;
    for (;;) {
        if (!(p = json_string(p)) || *p++ != ':' || !(p = json_value(p))) return NULL;
        if (*p == '}') return p + 1;
        if (*p++ != ',') return NULL;
    }
}

static const char *json_value(const char *p)
{
    if (*p == '"') return json_string(p);
    if (*p == '{') return json_object(p);
    if (!strncmp(p, "null", 4)) return p + 4;
    return json_number(p);
}

/* Every line of text is one JSON object; returns the number of lines. */
static int check_json_lines(const char *text)
{
    int lines = 0;
    while (*text) {
        const char *end = json_object(text);
        if (!end || *end != '\n') fail_msg("not a JSON line: %.80s", text);
        text = end + 1;
        lines++;
    }
    return lines;
}

static void test_records_json(void **state)
{
    (void)state;
    flow_batch b;
    sample_batch(&b);
    char *text = print_one(OUTPUT_JSONL, FLOW_ALL_FIELDS, &b);
    assert_int_equal(check_json_lines(text), 3);
    assert_string_equal(text,
        "{\"start\":\"2026-11-22T03:04:05.123Z\",\"end\":\"2026-11-22T03:04:06.623Z\","
        "\"exporter\":\"192.0.2.1\",\"domain\":7,\"in_if\":3,\"out_if\":4,"
        "\"src_ip\":\"10.0.0.1\",\"dst_ip\":\"198.51.100.7\",\"src_port\":51000,"
        "\"dst_port\":443,\"proto\":6,\"tcp_flags\":27,\"tos\":184,\"packets\":10,"
        "\"bytes\":1500,\"sampling\":1,\"src_as\":64500,\"dst_as\":4294967295}\n"
        "{\"start\":\"2026-11-23T03:04:05.123Z\",\"end\":\"2026-11-23T03:04:05.123Z\","
        "\"exporter\":\"2001:db8::fe\",\"domain\":0,\"in_if\":0,\"out_if\":0,"
        "\"src_ip\":\"2001:db8::1\",\"dst_ip\":\"2001:db8:0:1::53\",\"src_port\":53,"
        "\"dst_port\":65535,\"proto\":17,\"tcp_flags\":0,\"tos\":0,"
        "\"packets\":18446744073709551615,\"bytes\":0,\"sampling\":1000,"
        "\"src_as\":0,\"dst_as\":0}\n"
        "{\"start\":\"1969-12-31T23:59:59.999Z\",\"end\":\"1970-01-01T00:00:00.000Z\","
        "\"exporter\":\"192.0.2.1\",\"domain\":0,\"in_if\":0,\"out_if\":0,"
        "\"src_ip\":\"0.0.0.0\",\"dst_ip\":\"255.255.255.255\",\"src_port\":0,"
        "\"dst_port\":2048,\"proto\":1,\"tcp_flags\":0,\"tos\":0,\"packets\":1,"
        "\"bytes\":84,\"sampling\":1,\"src_as\":0,\"dst_as\":0}\n");
    free(text);

    text = print_one(OUTPUT_JSONL, FLOW_BIT(FLOW_PROTO), &b);
    assert_string_equal(text, "{\"proto\":6}\n{\"proto\":17}\n{\"proto\":1}\n");
    free(text);
    flow_batch_free(&b);
}

#define TABLE_FIELDS (FLOW_BIT(FLOW_START) | FLOW_BIT(FLOW_SRC_ADDR) |       \
                      FLOW_BIT(FLOW_DST_ADDR) | FLOW_BIT(FLOW_DST_PORT) |    \
                      FLOW_BIT(FLOW_PROTO) | FLOW_BIT(FLOW_TCP_FLAGS) |      \
                      FLOW_BIT(FLOW_PACKETS) | FLOW_BIT(FLOW_BYTES))

static void test_records_table(void **state)
{
    (void)state;
    flow_batch b;
    sample_batch(&b);
    char *text = print_one(OUTPUT_TABLE, TABLE_FIELDS, &b);
    /* Text left, numbers right, two spaces between columns, no trailing
     * blanks; proto by name, nfdump flags, ICMP type.code. */
    assert_string_equal(text,
        "start                     src_ip       dst_ip            dst_port  proto  tcp_flags               packets  bytes\n"
        "2026-11-22T03:04:05.123Z  10.0.0.1     198.51.100.7           443  TCP    ...AP.SF                     10   1500\n"
        "2026-11-23T03:04:05.123Z  2001:db8::1  2001:db8:0:1::53     65535  UDP    ........   18446744073709551615      0\n"
        "1969-12-31T23:59:59.999Z  0.0.0.0      255.255.255.255        8.0  ICMP   ........                      1     84\n");
    free(text);

    /* Unknown protocol numbers print as numbers; a last text column has
     * no padding. */
    b.proto[0] = 253;
    text = print_one(OUTPUT_TABLE, FLOW_BIT(FLOW_BYTES) | FLOW_BIT(FLOW_PROTO), &b);
    assert_string_equal(text,
        "proto  bytes\n"
        "253     1500\n"
        "UDP        0\n"
        "ICMP      84\n");
    free(text);
    flow_batch_free(&b);
}

/* Widths come from the first batch; a wider value later is never cut. */
static void test_table_widths_from_first_batch(void **state)
{
    (void)state;
    flow_batch b1, b2;
    flow_record r;
    memset(&r, 0, sizeof r);
    assert_int_equal(flow_batch_init(&b1, 1, FLOW_ALL_FIELDS), 0);
    assert_int_equal(flow_batch_init(&b2, 1, FLOW_ALL_FIELDS), 0);
    r.src_addr = addr("10.1.1.1");
    r.packets = 5;
    flow_batch_put(&b1, &r);
    r.src_addr = addr("2001:db8:aaaa:bbbb:cccc:dddd:eeee:ffff");
    flow_batch_put(&b2, &r);
    const flow_batch *both[] = {&b1, &b2};
    char *text = print_records(OUTPUT_TABLE,
                               FLOW_BIT(FLOW_SRC_ADDR) | FLOW_BIT(FLOW_PACKETS),
                               both, 2);
    assert_string_equal(text,
        "src_ip    packets\n"
        "10.1.1.1        5\n"
        "2001:db8:aaaa:bbbb:cccc:dddd:eeee:ffff        5\n");
    free(text);

    /* No records: the header alone, sized to the names. */
    text = print_records(OUTPUT_TABLE, FLOW_BIT(FLOW_SRC_ADDR) | FLOW_BIT(FLOW_PACKETS),
                         NULL, 0);
    assert_string_equal(text, "src_ip  packets\n");
    free(text);
    text = print_records(OUTPUT_CSV, FLOW_BIT(FLOW_SRC_ADDR), NULL, 0);
    assert_string_equal(text, "src_ip\n");
    free(text);
    text = print_records(OUTPUT_JSONL, FLOW_BIT(FLOW_SRC_ADDR), NULL, 0);
    assert_string_equal(text, "");
    free(text);
    flow_batch_free(&b1);
    flow_batch_free(&b2);
}

static void test_records_errors(void **state)
{
    (void)state;
    output_records *w;
    c2_err err;
    flow_batch b;
    assert_int_equal(output_records_begin(stdout, OUTPUT_CSV, 0, &w, &err), -1);
    assert_null(w);
    assert_string_equal(err.msg, "no columns to print");

    /* A batch without a column the writer prints. */
    assert_int_equal(flow_batch_init(&b, 4, FLOW_BIT(FLOW_START)), 0);
    FILE *devnull = fopen("/dev/null", "w");
    assert_non_null(devnull);
    assert_int_equal(output_records_begin(devnull, OUTPUT_CSV,
                     FLOW_BIT(FLOW_START) | FLOW_BIT(FLOW_BYTES), &w, &err), 0);
    assert_int_equal(output_records_batch(w, &b, &err), -1);
    assert_string_equal(err.msg, "batch has no 'bytes' column");
    assert_int_equal(output_records_end(w, NULL, &err), 0);
    fclose(devnull);

    /* A full disk is reported, at the latest by output_records_end. */
    FILE *full = fopen("/dev/full", "w");
    if (!full) skip();
    flow_record r;
    memset(&r, 0, sizeof r);
    b.count = 0;
    for (int i = 0; i < 4; i++) flow_batch_put(&b, &r);
    assert_int_equal(output_records_begin(full, OUTPUT_CSV, FLOW_BIT(FLOW_START),
                                          &w, &err), 0);
    int rc = output_records_batch(w, &b, &err);
    rc |= output_records_end(w, NULL, &err);
    assert_int_equal(rc, -1);
    assert_string_equal(err.msg, "write error: No space left on device");
    fclose(full);
    flow_batch_free(&b);
}

/* ---- many random records against the library's own formatters ---- */

static uint64_t rnd_state = 0x9e3779b97f4a7c15ull;
static uint64_t rnd(void)
{
    rnd_state ^= rnd_state << 13;
    rnd_state ^= rnd_state >> 7;
    rnd_state ^= rnd_state << 17;
    return rnd_state;
}

static int64_t random_time(void)
{
    switch (rnd() % 4) {
    case 0: return (int64_t)(rnd() % 4000000000000ull);           /* 1970-2096 */
    case 1: return -(int64_t)(rnd() % 62000000000000ull);         /* to year 5 */
    case 2: return (int64_t)(rnd() % 3) - 1 + C2_MS_PER_DAY * (int64_t)(rnd() % 30000);
    default: return (int64_t)(rnd() >> 1) * ((rnd() & 1) ? 1 : -1) / 64;
    }
}

static void random_record(flow_record *r)
{
    memset(r, 0, sizeof *r);
    r->start_ms = random_time();
    r->end_ms = random_time();
    if (rnd() & 1) flow_addr_from_v4(&r->src_addr, (uint32_t)rnd());
    else for (int i = 0; i < 16; i++) r->src_addr.b[i] = (uint8_t)(rnd() % 3 ? 0 : rnd());
    flow_addr_from_v4(&r->dst_addr, (uint32_t)(rnd() >> (rnd() % 32)));
    r->packets = rnd() >> (rnd() % 64);
    r->src_port = (uint16_t)rnd();
    r->proto = (uint8_t)rnd();
}

static void reference_csv_row(FILE *f, const flow_record *r)
{
    char t1[64], t2[64], a1[FLOW_ADDR_STRLEN], a2[FLOW_ADDR_STRLEN];
    fprintf(f, "%s,%s,%s,%s,%u,%u,%llu\n", c2_time_format(r->start_ms, t1, sizeof t1),
            c2_time_format(r->end_ms, t2, sizeof t2),
            flow_addr_format(&r->src_addr, a1, sizeof a1),
            flow_addr_format(&r->dst_addr, a2, sizeof a2), r->src_port, r->proto,
            (unsigned long long)r->packets);
}

static void test_many_records_match_reference(void **state)
{
    (void)state;
    enum { BATCHES = 5, ROWS = 20000 };
    const uint32_t fields = FLOW_BIT(FLOW_START) | FLOW_BIT(FLOW_END) |
        FLOW_BIT(FLOW_SRC_ADDR) | FLOW_BIT(FLOW_DST_ADDR) |
        FLOW_BIT(FLOW_SRC_PORT) | FLOW_BIT(FLOW_PROTO) | FLOW_BIT(FLOW_PACKETS);
    flow_batch b[BATCHES];
    const flow_batch *bp[BATCHES];
    char *want = NULL;
    size_t want_len = 0;
    FILE *ref = open_memstream(&want, &want_len);
    fprintf(ref, "start,end,src_ip,dst_ip,src_port,proto,packets\n");
    for (int k = 0; k < BATCHES; k++) {
        assert_int_equal(flow_batch_init(&b[k], ROWS, fields), 0);
        for (int i = 0; i < ROWS; i++) {
            flow_record r;
            random_record(&r);
            flow_batch_put(&b[k], &r);
            reference_csv_row(ref, &r);
        }
        bp[k] = &b[k];
    }
    fclose(ref);
    char *got = print_records(OUTPUT_CSV, fields, bp, BATCHES);
    assert_true(want_len > 2 * 256 * 1024);      /* crossed buffer flushes */
    if (strcmp(got, want) != 0) {
        size_t i = 0;
        while (got[i] == want[i]) i++;
        while (i > 0 && want[i - 1] != '\n') i--;
        fail_msg("first difference:\n got %.120s\nwant %.120s", got + i, want + i);
    }
    free(got);
    free(want);
    for (int k = 0; k < BATCHES; k++) flow_batch_free(&b[k]);
}

/* -o line: nfdump's columns and widths, whatever fields were asked for. */
static void test_records_line(void **state)
{
    (void)state;
    flow_batch b;
    sample_batch(&b);
    char *got = print_one(OUTPUT_LINE, FLOW_BIT(FLOW_TOS), &b);
    const char *want =
        "Date first seen                 Duration Proto      Src IP Addr:Port"
        "          Dst IP Addr:Port   Packets    Bytes Flows\n"
        "2026-11-22 03:04:05.123     00:00:01.500 TCP           10.0.0.1:51000 ->"
        "     198.51.100.7:443         10     1500     1\n"
        "2026-11-23 03:04:05.123     00:00:00.000 UDP        2001:db8::1.53    ->"
        " 2001:db8:0:1::53.65535 18446744.1 T        0     1\n"
        "1969-12-31 23:59:59.999     00:00:00.001 ICMP           0.0.0.0:0     ->"
        "  255.255.255.255:8.0          1       84     1\n";
    assert_string_equal(got, want);
    free(got);
    flow_batch_free(&b);

    /* long IPv6 shortened as nfdump does; counters scaled at 10^6 and up,
     * rounded half up; durations past a day in hours */
    flow_record r;
    memset(&r, 0, sizeof r);
    r.start_ms = 0;
    r.end_ms = 100 * 3600000LL + 61001;
    r.src_addr = addr("2001:db8:1234:5678:9abc:def0:1234:5678");
    r.dst_addr = addr("10.1.2.3");
    r.src_port = 1, r.dst_port = 2, r.proto = 200;
    r.packets = 1950000;
    r.bytes = 999999;
    assert_int_equal(flow_batch_init(&b, 2, OUTPUT_LINE_FIELDS), 0);
    flow_batch_put(&b, &r);
    r.packets = 1234567;
    r.bytes = 1000000000;
    flow_batch_put(&b, &r);
    got = print_one(OUTPUT_LINE, 0, &b);
    const char *rows = strchr(got, '\n') + 1;
    assert_string_equal(rows,
        "1970-01-01 00:00:00.000    100:01:01.001 200   2001:db..34:5678.1     ->"
        "         10.1.2.3:2        2.0 M   999999     1\n"
        "1970-01-01 00:00:00.000    100:01:01.001 200   2001:db..34:5678.1     ->"
        "         10.1.2.3:2        1.2 M    1.0 G     1\n");
    free(got);
    flow_batch_free(&b);
}

/* ---- tables ---- */

static output_table *sample_table(void)
{
    static const output_column cols[] = {
        {"name", OUTPUT_STRING}, {"records", OUTPUT_U64}, {"delta", OUTPUT_INT},
        {"first", OUTPUT_TIME}, {"size", OUTPUT_BYTES},
    };
    output_table *t;
    c2_err err;
    assert_int_equal(output_table_new(cols, 5, &t, &err), 0);
    output_table_row(t);
    output_table_str(t, "plain");
    output_table_u64(t, 12);
    output_table_int(t, -5);
    output_table_time(t, t0());
    output_table_bytes(t, 1536);
    output_table_row(t);
    output_table_str(t, "with, comma");
    output_table_u64(t, 0);
    output_table_int(t, INT64_MIN);
    output_table_null(t);
    output_table_bytes(t, 0);
    output_table_row(t);
    output_table_str(t, "say \"hi\"\nbye");
    output_table_null(t);
    output_table_int(t, 42);
    output_table_time(t, -1);
    output_table_bytes(t, 1073741824);
    output_table_row(t);
    output_table_str(t, "caf\xc3\xa9 \xe2\x82\xac bad\xff\x01");
    output_table_u64(t, UINT64_MAX);
    output_table_int(t, 0);
    output_table_time(t, 0);
    output_table_null(t);
    return t;
}

static char *print_table(const output_table *t, output_format fmt)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    assert_non_null(f);
    c2_err err;
    if (output_table_write(t, f, fmt, &err) != 0) fail_msg("%s", err.msg);
    fclose(f);
    return text;
}

/* A table written in chunks reads exactly like one written at once. */
static void test_table_flush_chunks(void **state)
{
    (void)state;
    static const output_column cols[] = {{"addr", OUTPUT_STRING}, {"flows", OUTPUT_U64}};
    for (int fmt = OUTPUT_CSV; fmt <= OUTPUT_TABLE; fmt++) {
        output_table *whole, *chunked;
        c2_err err;
        assert_int_equal(output_table_new(cols, 2, &whole, &err), 0);
        assert_int_equal(output_table_new(cols, 2, &chunked, &err), 0);
        char *text = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&text, &len);
        for (int i = 0; i < 25; i++) {
            char a[32];
            snprintf(a, sizeof a, "10.0.0.%d", 100 + i);   /* same width */
            output_table *both[2] = {whole, chunked};
            for (int k = 0; k < 2; k++) {
                output_table_row(both[k]);
                output_table_str(both[k], a);
                output_table_u64(both[k], 1000 + (uint64_t)i);
            }
            if (i % 10 == 9)
                assert_int_equal(output_table_flush(chunked, f, (output_format)fmt, &err), 0);
        }
        assert_int_equal(output_table_rows(chunked), 5);
        assert_int_equal(output_table_write(chunked, f, (output_format)fmt, &err), 0);
        fclose(f);
        char *expect = print_table(whole, (output_format)fmt);
        assert_string_equal(text, expect);
        free(text);
        free(expect);
        output_table_free(whole);
        output_table_free(chunked);
    }
}

static void test_table_csv(void **state)
{
    (void)state;
    output_table *t = sample_table();
    assert_int_equal(output_table_rows(t), 4);
    char *text = print_table(t, OUTPUT_CSV);
    assert_string_equal(text,
        "name,records,delta,first,size\n"
        "plain,12,-5,2026-11-22T03:04:05.123Z,1536\n"
        "\"with, comma\",0,-9223372036854775808,,0\n"
        "\"say \"\"hi\"\"\nbye\",,42,1969-12-31T23:59:59.999Z,1073741824\n"
        "caf\xc3\xa9 \xe2\x82\xac bad\xff\x01,18446744073709551615,0,"
        "1970-01-01T00:00:00.000Z,\n");
    free(text);
    output_table_free(t);
}

static void test_table_json(void **state)
{
    (void)state;
    output_table *t = sample_table();
    char *text = print_table(t, OUTPUT_JSONL);
    assert_int_equal(check_json_lines(text), 4);
    assert_string_equal(text,
        "{\"name\":\"plain\",\"records\":12,\"delta\":-5,"
        "\"first\":\"2026-11-22T03:04:05.123Z\",\"size\":1536}\n"
        "{\"name\":\"with, comma\",\"records\":0,\"delta\":-9223372036854775808,"
        "\"first\":null,\"size\":0}\n"
        "{\"name\":\"say \\\"hi\\\"\\nbye\",\"records\":null,\"delta\":42,"
        "\"first\":\"1969-12-31T23:59:59.999Z\",\"size\":1073741824}\n"
        "{\"name\":\"caf\xc3\xa9 \xe2\x82\xac bad\\ufffd\\u0001\","
        "\"records\":18446744073709551615,\"delta\":0,"
        "\"first\":\"1970-01-01T00:00:00.000Z\",\"size\":null}\n");
    free(text);
    output_table_free(t);
}

static void test_table_human(void **state)
{
    (void)state;
    output_table *t = sample_table();
    char *text = print_table(t, OUTPUT_TABLE);
    /* Widths count characters, not bytes ("café €" is 6 wide); control
     * and invalid bytes show as '?'; numbers and sizes align right. */
    assert_string_equal(text,
        "name                       records                 delta  first                        size\n"
        "plain                           12                    -5  2026-11-22T03:04:05.123Z  1.5 KiB\n"
        "with, comma                      0  -9223372036854775808  -                             0 B\n"
        "say \"hi\"?bye                     -                    42  1969-12-31T23:59:59.999Z  1.0 GiB\n"
        "caf\xc3\xa9 \xe2\x82\xac bad??  18446744073709551615                     0  1970-01-01T00:00:00.000Z        -\n");
    free(text);
    output_table_free(t);
}

static void test_table_mistakes(void **state)
{
    (void)state;
    static const output_column cols[] = {{"n", OUTPUT_U64}, {"s", OUTPUT_STRING}};
    output_table *t;
    c2_err err;
    FILE *devnull = fopen("/dev/null", "w");
    assert_non_null(devnull);

    assert_int_equal(output_table_new(cols, 2, &t, &err), 0);
    output_table_row(t);
    output_table_str(t, "x");                  /* wrong kind */
    output_table_u64(t, 1);
    assert_int_equal(output_table_write(t, devnull, OUTPUT_CSV, &err), -1);
    assert_string_equal(err.msg, "table row 1: column 'n' holds u64, not string");
    output_table_free(t);

    assert_int_equal(output_table_new(cols, 2, &t, &err), 0);
    output_table_row(t);
    output_table_u64(t, 1);
    assert_int_equal(output_table_write(t, devnull, OUTPUT_CSV, &err), -1);
    assert_string_equal(err.msg, "table row 1: too few cells");
    output_table_str(t, "y");
    output_table_str(t, "z");                  /* one too many */
    assert_int_equal(output_table_write(t, devnull, OUTPUT_CSV, &err), -1);
    assert_string_equal(err.msg, "table row 2: too many cells");
    output_table_free(t);

    assert_int_equal(output_table_new(cols, 2, &t, &err), 0);
    output_table_u64(t, 1);                    /* before any row */
    assert_int_equal(output_table_write(t, devnull, OUTPUT_TABLE, &err), -1);
    assert_string_equal(err.msg, "table row 1: cell outside a row");
    output_table_free(t);

    assert_int_equal(output_table_new(cols, 0, &t, &err), -1);

    /* An empty table is its header. */
    assert_int_equal(output_table_new(cols, 2, &t, &err), 0);
    char *text = print_table(t, OUTPUT_TABLE);
    assert_string_equal(text, "n  s\n");
    free(text);
    text = print_table(t, OUTPUT_CSV);
    assert_string_equal(text, "n,s\n");
    free(text);
    output_table_free(t);
    fclose(devnull);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_format_lookup),
        cmocka_unit_test(test_records_csv),
        cmocka_unit_test(test_records_ordered),
        cmocka_unit_test(test_extreme_times),
        cmocka_unit_test(test_records_json),
        cmocka_unit_test(test_records_table),
        cmocka_unit_test(test_records_line),
        cmocka_unit_test(test_table_widths_from_first_batch),
        cmocka_unit_test(test_records_errors),
        cmocka_unit_test(test_many_records_match_reference),
        cmocka_unit_test(test_table_flush_chunks),
        cmocka_unit_test(test_table_csv),
        cmocka_unit_test(test_table_json),
        cmocka_unit_test(test_table_human),
        cmocka_unit_test(test_table_mistakes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
