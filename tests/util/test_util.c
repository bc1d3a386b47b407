/*
 * test_util.c: time parsing and printing, durations, numbers, CRC, and
 * who may read the files c2flow writes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <stdio.h>
#include <stdlib.h>
#include <errno.h>
#include <string.h>

#include "util/util.h"

static int64_t parse(const char *s)
{
    int64_t v;
    c2_err err;
    if (c2_time_parse(s, 1700000000000LL, &v, &err) != 0) fail_msg("%s: %s", s, err.msg);
    return v;
}

static void test_time_parse(void **state)
{
    (void)state;
    assert_int_equal(parse("1970-01-01"), 0);
    assert_int_equal(parse("2026-11-22T03:04:05Z"), 1795316645000LL);
    assert_int_equal(parse("2026-11-22 03:04:05.123"), 1795316645123LL);
    assert_int_equal(parse("2026-11-22T12:04:05+09:00"), 1795316645000LL);
    assert_int_equal(parse("2026-11-22T03:04"), 1795316640000LL);
    assert_int_equal(parse("1700000000"), 1700000000000LL);
    assert_int_equal(parse("now"), 1700000000000LL);
    assert_int_equal(parse("now-2h"), 1700000000000LL - 7200000);
    assert_int_equal(parse("-30m"), 1700000000000LL - 1800000);
    assert_int_equal(parse("2000-02-29"), 951782400000LL);   /* leap day */
    int64_t v;
    c2_err err;
    assert_int_equal(c2_time_parse("2026-13-01", 0, &v, &err), -1);
    assert_non_null(strstr(err.msg, "2026-13-01"));
    assert_int_equal(c2_time_parse("yesterday", 0, &v, &err), -1);
    assert_int_equal(c2_time_parse("2026-11-22T03:04:05Zjunk", 0, &v, &err), -1);
    assert_int_equal(c2_time_parse("", 0, &v, &err), -1);
}

static void test_time_format(void **state)
{
    (void)state;
    char buf[40];
    assert_string_equal(c2_time_format(1795316645123LL, buf, sizeof buf),
                        "2026-11-22T03:04:05.123Z");
    assert_string_equal(c2_time_format(0, buf, sizeof buf), "1970-01-01T00:00:00.000Z");
    assert_string_equal(c2_time_format(-1, buf, sizeof buf), "1969-12-31T23:59:59.999Z");
    /* every day of four years survives format -> parse */
    for (int64_t d = -800; d < 800; d++) {
        int64_t ms = d * C2_MS_PER_DAY + 45296789;
        assert_int_equal(parse(c2_time_format(ms, buf, sizeof buf)), ms);
    }
}

static void test_durations(void **state)
{
    (void)state;
    int64_t ms;
    c2_err err;
    assert_int_equal(c2_duration_parse("5m", &ms, &err), 0); assert_int_equal(ms, 300000);
    assert_int_equal(c2_duration_parse("30d", &ms, &err), 0); assert_int_equal(ms, 30 * C2_MS_PER_DAY);
    assert_int_equal(c2_duration_parse("90", &ms, &err), 0); assert_int_equal(ms, 90000);
    assert_int_equal(c2_duration_parse("250ms", &ms, &err), 0); assert_int_equal(ms, 250);
    assert_int_equal(c2_duration_parse("0", &ms, &err), 0); assert_int_equal(ms, 0);
    assert_int_equal(c2_duration_parse("off", &ms, &err), 0); assert_int_equal(ms, 0);
    assert_int_equal(c2_duration_parse("5 m", &ms, &err), -1);
    assert_int_equal(c2_duration_parse("m", &ms, &err), -1);
    assert_int_equal(c2_duration_parse("-5m", &ms, &err), -1);
    assert_int_equal(c2_duration_parse("99999999999999999999d", &ms, &err), -1);
    char buf[32];
    assert_string_equal(c2_duration_format(300000, buf, sizeof buf), "5m");
    assert_string_equal(c2_duration_format(30 * C2_MS_PER_DAY, buf, sizeof buf), "30d");
    assert_string_equal(c2_duration_format(90000, buf, sizeof buf), "90s");
    assert_string_equal(c2_duration_format(1500, buf, sizeof buf), "1500ms");
}

static void test_numbers(void **state)
{
    (void)state;
    uint64_t v;
    assert_int_equal(c2_u64_parse("18446744073709551615", UINT64_MAX, &v), 0);
    assert_true(v == UINT64_MAX);
    assert_int_equal(c2_u64_parse("18446744073709551616", UINT64_MAX, &v), -1);
    assert_int_equal(c2_u64_parse("12", 11, &v), -1);
    assert_int_equal(c2_u64_parse("1x", 100, &v), -1);
    assert_int_equal(c2_u64_parse("", 100, &v), -1);
    /* CRC-32 check value of "123456789" */
    assert_int_equal(c2_crc32(0, "123456789", 9), 0xCBF43926u);
}

static void expect_endpoint(const char *in, int allow0, const char *want)
{
    struct sockaddr_storage sa;
    unsigned len;
    c2_err err;
    char buf[C2_ENDPOINT_STRLEN];
    if (c2_endpoint_parse(in, allow0, &sa, &len, &err) != 0)
        fail_msg("%s: %s", in, err.msg);
    assert_string_equal(c2_endpoint_format(&sa, buf, sizeof buf), want);
}

static void test_endpoints(void **state)
{
    (void)state;
    expect_endpoint("127.0.0.1:2055", 0, "127.0.0.1:2055");
    expect_endpoint("[2001:db8::1]:4739", 0, "[2001:db8::1]:4739");
    expect_endpoint("[::]:9", 0, "[::]:9");
    expect_endpoint("6343", 0, "[::]:6343");
    expect_endpoint(":6343", 0, "[::]:6343");
    expect_endpoint("127.0.0.1:0", 1, "127.0.0.1:0");
    struct sockaddr_storage sa;
    unsigned len;
    c2_err err;
    const char *bad[] = {"127.0.0.1:0", "127.0.0.1", "127.0.0.1:", "1.2.3.4:65536",
                         "::1:80", "[::1]80", "[::1", "host:80", "1.2.3.4:8x",
                         "[1.2.3.4]:80x", ""};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (c2_endpoint_parse(bad[i], 0, &sa, &len, &err) == 0)
            fail_msg("accepted '%s'", bad[i]);
}

static void test_buf(void **state)
{
    (void)state;
    c2_buf b = {.max = 10};
    assert_int_equal(c2_buf_append(&b, "hello", 5), 0);
    assert_int_equal(c2_buf_append(&b, "world", 5), 0);      /* exactly max */
    assert_int_equal(b.len, 10);
    assert_string_equal((const char *)b.data, "helloworld");  /* NUL-terminated */
    assert_int_equal(c2_buf_append(&b, "!", 1), -1);          /* one past max */
    assert_true(b.too_big);
    assert_int_equal(b.len, 10);                              /* nothing appended */
    assert_int_equal(c2_buf_append(&b, "", 0), -1);           /* stays refused */
    c2_buf_free(&b);
    assert_null(b.data);
    assert_int_equal(b.max, 10);
    assert_false(b.too_big);
    c2_buf big = {0};                                         /* no bound: grows */
    char chunk[1000];
    memset(chunk, 'x', sizeof chunk);
    for (int i = 0; i < 200; i++) assert_int_equal(c2_buf_append(&big, chunk, sizeof chunk), 0);
    assert_int_equal(big.len, 200000);
    assert_int_equal(big.data[big.len], 0);
    c2_buf_free(&big);
}

/* THPeligible of the /proc/self/smaps mapping that holds p: 1, 0, or -1
 * when the kernel does not say. */
static int thp_eligible(const void *p)
{
    FILE *f = fopen("/proc/self/smaps", "r");
    if (!f) return -1;
    char line[512];
    int inside = 0, eligible = -1;
    while (fgets(line, sizeof line, f)) {
        unsigned long lo, hi;
        if (sscanf(line, "%lx-%lx ", &lo, &hi) == 2 && strchr(line, '-') < strchr(line, ' ')) {
            inside = (uintptr_t)p >= lo && (uintptr_t)p < hi;
            continue;
        }
        if (inside && sscanf(line, "THPeligible: %d", &eligible) == 1) break;
    }
    fclose(f);
    return eligible;
}

static void test_advise_huge(void **state)
{
    (void)state;
    c2_advise_huge(NULL, 1u << 30);             /* nothing to advise: no crash */
    char small[64];
    c2_advise_huge(small, sizeof small);        /* below 4 MiB: left alone */
    size_t n = (size_t)16 << 20;
    char *big = malloc(n);
    assert_non_null(big);
    char mode[64] = "";
    FILE *f = fopen("/sys/kernel/mm/transparent_hugepage/enabled", "r");
    if (f) {
        if (!fgets(mode, sizeof mode, f)) mode[0] = '\0';
        fclose(f);
    }
    int before = thp_eligible(big + n / 2);
    c2_advise_huge(big + 1, n - 1);             /* unaligned: the inner part */
    memset(big, 1, n);
    int after = thp_eligible(big + n / 2);
    if (strstr(mode, "[madvise]")) {
        /* only advice makes it eligible in this mode */
        if (before != -1) assert_int_equal(before, 0);
        if (after != -1) assert_int_equal(after, 1);
    }
    free(big);
}

static unsigned mode_of(const char *path)
{
    struct stat st;
    if (stat(path, &st) != 0) fail_msg("%s: missing", path);
    return (unsigned)st.st_mode & 07777;
}

/* Private data (flows, summaries, caches) is never readable by others;
 * shared outputs are, and replacing a file gives it the mode of what it
 * now holds, not of what it replaced. */
static void test_file_access(void **state)
{
    (void)state;
    c2_err err;
    const char *base = getenv("C2FLOW_TEST_TMP");
    char dir[256], sub[300], deep[320], f[352];
    snprintf(dir, sizeof dir, "%s/access-XXXXXX", base && *base ? base : "/tmp");
    mode_t old = umask(022);
    assert_int_equal(c2_mkdir_p(base && *base ? base : "/tmp", C2_SHARED, &err), 0);
    assert_non_null(mkdtemp(dir));
    snprintf(sub, sizeof sub, "%s/private", dir);
    snprintf(deep, sizeof deep, "%s/a/b", sub);
    assert_int_equal(c2_mkdir_p(deep, C2_PRIVATE, &err), 0);
    assert_int_equal(mode_of(sub), 0750);
    assert_int_equal(mode_of(deep), 0750);
    snprintf(f, sizeof f, "%s/day.sum", deep);
    assert_int_equal(c2_file_replace(f, "abc", 3, C2_PRIVATE, &err), 0);
    assert_int_equal(mode_of(f), 0640);
    assert_int_equal(c2_file_replace(f, "list", 4, C2_SHARED, &err), 0);
    assert_int_equal(mode_of(f), 0644);
    assert_int_equal(c2_file_replace(f, "flows", 5, C2_PRIVATE, &err), 0);
    assert_int_equal(mode_of(f), 0640);
    umask(077);                                 /* the umask narrows further */
    assert_int_equal(c2_file_replace(f, "list", 4, C2_SHARED, &err), 0);
    assert_int_equal(mode_of(f), 0600);
    umask(old);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
}

/* Messages are one line whatever they quote: a parser's error text with a
 * newline of the input in it (jansson's "near '...'") once broke that. */
static void test_errors(void **state)
{
    (void)state;
    c2_err err;
    assert_int_equal(c2_fail(&err, "line %d: %s", 8, "invalid escape near '\"C2 \\\n'"), -1);
    assert_string_equal(err.msg, "line 8: invalid escape near '\"C2 \\?'");
    c2_err_prefix(&err, "file\r\n%s", "x.json");
    assert_string_equal(err.msg, "file??x.json: line 8: invalid escape near '\"C2 \\?'");
    errno = ENOENT;
    assert_int_equal(c2_fail_errno(&err, "cannot open %s", "a\tb"), -1);
    assert_string_equal(err.msg, "cannot open a?b: No such file or directory");
    assert_int_equal(c2_fail(NULL, "nothing to fill"), -1);
    char big[2 * C2_ERR_MAX];
    memset(big, '\n', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    c2_fail(&err, "%s", big);
    assert_int_equal(strlen(err.msg), C2_ERR_MAX - 1);
    assert_null(strchr(err.msg, '\n'));
}

/* Tables of numeric options (c2_field_set): each type, the range, whole
 * numbers, an unknown key, and the struct unchanged on error. */
typedef struct opts { uint32_t a; uint64_t b; double c; } opts;
static void test_fields(void **state)
{
    (void)state;
    static const c2_field f[] = {
        C2_FIELD(opts, a, a, 'u', 1, 10), C2_FIELD(opts, b, b, 'U', 0, 1e12),
        C2_FIELD(opts, c, c, 'd', 0, 1),
    };
    opts o = {5, 7, 0.5};
    c2_err err;
    int known = -1;
    assert_int_equal(c2_field_set(&o, f, 3, "a", "10", &known, &err), 0);
    assert_int_equal(known, 1);
    assert_int_equal(c2_field_set(&o, f, 3, "b", "1e12", NULL, &err), 0);
    assert_int_equal(c2_field_set(&o, f, 3, "c", "0.25", NULL, &err), 0);
    assert_true(o.a == 10 && o.b == 1000000000000ull && o.c == 0.25);
    assert_int_equal(c2_field_set(&o, f, 3, "a", "2.5", &known, &err), -1);
    assert_int_equal(known, 1);
    assert_string_equal(err.msg, "expected a whole number from 1 to 10, got '2.5'");
    assert_int_equal(c2_field_set(&o, f, 3, "c", "nan", NULL, &err), -1);
    assert_string_equal(err.msg, "expected a number from 0 to 1, got 'nan'");
    assert_int_equal(c2_field_set(&o, f, 3, "c", "", NULL, &err), -1);
    assert_int_equal(c2_field_set(&o, f, 3, "c", "0.5x", NULL, &err), -1);
    assert_int_equal(c2_field_set(&o, f, 3, "d", "1", &known, &err), -1);
    assert_int_equal(known, 0);
    assert_string_equal(err.msg, "unknown key 'd'");
    assert_true(o.a == 10 && o.b == 1000000000000ull && o.c == 0.25);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_fields),
        cmocka_unit_test(test_time_parse),
        cmocka_unit_test(test_time_format),
        cmocka_unit_test(test_durations),
        cmocka_unit_test(test_numbers),
        cmocka_unit_test(test_endpoints),
        cmocka_unit_test(test_buf),
        cmocka_unit_test(test_advise_huge),
        cmocka_unit_test(test_file_access),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
