/*
 * test_flow.c: the schema, addresses, and column batches.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "flow/flow.h"

static void test_addresses(void **state)
{
    (void)state;
    flow_addr a, b;
    char buf[FLOW_ADDR_STRLEN];
    assert_int_equal(flow_addr_parse("41.108.179.197", &a), 0);
    assert_true(flow_addr_is_v4(&a));
    assert_int_equal(flow_addr_v4(&a), 0x296cb3c5u);
    assert_string_equal(flow_addr_format(&a, buf, sizeof buf), "41.108.179.197");
    /* the mapped IPv6 spelling is the same address */
    assert_int_equal(flow_addr_parse("::ffff:41.108.179.197", &b), 0);
    assert_int_equal(flow_addr_cmp(&a, &b), 0);
    assert_int_equal(flow_addr_parse("fd2d:ab8c:225:0:81d3:fd3e:7f62:aec8", &a), 0);
    assert_false(flow_addr_is_v4(&a));
    assert_string_equal(flow_addr_format(&a, buf, sizeof buf),
                        "fd2d:ab8c:225:0:81d3:fd3e:7f62:aec8");
    assert_int_equal(flow_addr_parse("2001:0db8:0000:0000:0000:0000:0000:0001", &a), 0);
    assert_string_equal(flow_addr_format(&a, buf, sizeof buf), "2001:db8::1");
    assert_int_equal(flow_addr_parse("::", &a), 0);
    assert_string_equal(flow_addr_format(&a, buf, sizeof buf), "::");
    assert_int_equal(flow_addr_parse("256.1.1.1", &a), -1);
    assert_int_equal(flow_addr_parse("1.2.3", &a), -1);
    assert_int_equal(flow_addr_parse("", &a), -1);
    /* IPv4 sorts below global IPv6 and by value among itself */
    flow_addr_from_v4(&a, 0x0a000001);
    flow_addr_from_v4(&b, 0x0a000002);
    assert_true(flow_addr_cmp(&a, &b) < 0);
}

static void test_schema(void **state)
{
    (void)state;
    for (int f = 0; f < FLOW_FIELD_COUNT; f++) {
        assert_int_equal(flow_field_lookup(flow_field_name((flow_field)f)), f);
        assert_true(flow_type_size(flow_field_type((flow_field)f)) > 0);
    }
    assert_int_equal(flow_field_lookup("dst_port"), FLOW_DST_PORT);
    assert_int_equal(flow_field_lookup("nonsense"), -1);
    assert_int_equal(flow_proto_lookup("tcp"), 6);
    assert_int_equal(flow_proto_lookup("ipv6-icmp"), 58);
    assert_string_equal(flow_proto_name(17), "UDP");
    assert_null(flow_proto_name(253));
    char fl[9];
    assert_string_equal(flow_tcp_flags_format(0x12, fl), "...A..S.");
    assert_string_equal(flow_tcp_flags_format(0xff, fl), "CEUAPRSF");
}

static void test_batch(void **state)
{
    (void)state;
    flow_batch b;
    assert_int_equal(flow_batch_init(&b, 8, FLOW_ALL_FIELDS), 0);
    flow_record r, back;
    for (int i = 0; i < 8; i++) {
        memset(&r, 0, sizeof r);
        r.start_ms = 1000 + i;
        r.end_ms = 2000 + i;
        r.packets = (uint64_t)i << 40;
        r.dst_port = (uint16_t)(i * 1000);
        r.proto = 6;
        r.dst_as = 0xfffffff0u + (uint32_t)i;
        flow_addr_from_v4(&r.src_addr, 0x01020300u + (uint32_t)i);
        flow_batch_put(&b, &r);
    }
    assert_int_equal(b.count, 8);
    flow_batch_get(&b, 7, &back);
    assert_memory_equal(&r, &back, sizeof r);
    uint8_t keep[8] = {0, 1, 0, 1, 0, 0, 0, 1};
    flow_batch_select(&b, keep);
    assert_int_equal(b.count, 3);
    assert_int_equal(b.start_ms[0], 1001);
    assert_int_equal(b.dst_port[1], 3000);
    flow_batch_get(&b, 2, &back);
    assert_memory_equal(&r, &back, sizeof r);
    flow_value v;
    flow_batch_value(&b, FLOW_DST_AS, 2, &v);
    assert_int_equal(v.u, 0xfffffff7u);
    flow_batch_free(&b);

    /* a batch of some columns only */
    assert_int_equal(flow_batch_init(&b, 4, FLOW_BIT(FLOW_DST_PORT)), 0);
    assert_null(b.src_addr);
    assert_non_null(b.dst_port);
    flow_batch_free(&b);
}

/* IPv4 views: storage on demand for the address fields only, valid only
 * while v4_fields says so, dropped by whatever moves or adds rows. */
static void test_v4_views(void **state)
{
    (void)state;
    flow_batch b;
    uint32_t *v4, *v4b;
    uint8_t *v6map, *v6b;
    const uint32_t *cv4;
    const uint8_t *cv6;
    assert_int_equal(flow_batch_init(&b, 100, FLOW_ALL_FIELDS), 0);
    assert_int_equal(b.v4_fields | b.v4_want, 0);
    assert_int_equal(flow_batch_get_v4(&b, FLOW_SRC_ADDR, &cv4, &cv6), 0);
    assert_int_equal(flow_batch_v4_view(&b, FLOW_EXPORTER, &v4, &v6map), -1);
    assert_int_equal(flow_batch_v4_view(&b, FLOW_SRC_PORT, &v4, &v6map), -1);
    assert_int_equal(flow_batch_v4_view(&b, FLOW_SRC_ADDR, &v4, &v6map), 0);
    assert_int_equal(flow_batch_v4_view(&b, FLOW_DST_ADDR, &v4b, &v6b), 0);
    assert_true(v4 != v4b && v6map != v6b);
    assert_int_equal(b.v4_fields, 0);           /* storage only */
    flow_record r;
    memset(&r, 0, sizeof r);
    for (uint32_t i = 0; i < 100; i++) {
        flow_addr_from_v4(&r.src_addr, 0x0a000000u + i);
        flow_batch_put(&b, &r);
        v4[i] = 0x0a000000u + i;                /* as a decoder would */
        v4b[i] = 0;
    }
    memset(v6map, 0, 13);
    memset(v6b, 0xff, 13);
    b.v4_fields = FLOW_BIT(FLOW_SRC_ADDR);
    assert_int_equal(flow_batch_get_v4(&b, FLOW_SRC_ADDR, &cv4, &cv6), 1);
    assert_ptr_equal(cv4, v4);
    assert_ptr_equal(cv6, v6map);
    assert_int_equal(flow_batch_get_v4(&b, FLOW_DST_ADDR, &cv4, &cv6), 0);
    b.v4_fields |= FLOW_BIT(FLOW_DST_ADDR);
    assert_int_equal(flow_batch_get_v4(&b, FLOW_DST_ADDR, &cv4, &cv6), 1);
    assert_ptr_equal(cv4, v4b);
    assert_ptr_equal(cv6, v6b);
    /* the same storage again, while the capacity holds */
    assert_int_equal(flow_batch_v4_view(&b, FLOW_SRC_ADDR, &v4b, &v6b), 0);
    assert_ptr_equal(v4b, v4);
    assert_int_equal(b.v4_fields, FLOW_BIT(FLOW_SRC_ADDR) | FLOW_BIT(FLOW_DST_ADDR));

    static uint8_t keep[100];
    for (int i = 0; i < 100; i++) keep[i] = i % 3 == 0;
    flow_batch_select(&b, keep);
    assert_int_equal(b.v4_fields, 0);
    assert_int_equal(flow_batch_get_v4(&b, FLOW_SRC_ADDR, &cv4, &cv6), 0);
    b.v4_fields = FLOW_BIT(FLOW_SRC_ADDR);
    flow_batch_put(&b, &r);
    assert_int_equal(b.v4_fields, 0);
    flow_batch_free(&b);
    assert_null(b.src_v4);
    assert_null(b.dst_v6map);
    assert_int_equal(b.v4_capacity, 0);

    /* a bigger batch gets bigger views */
    assert_int_equal(flow_batch_init(&b, 10, FLOW_BIT(FLOW_SRC_ADDR)), 0);
    assert_int_equal(flow_batch_v4_view(&b, FLOW_SRC_ADDR, &v4, &v6map), 0);
    flow_batch_free(&b);
    assert_int_equal(flow_batch_init(&b, 5000, FLOW_BIT(FLOW_SRC_ADDR)), 0);
    assert_int_equal(flow_batch_v4_view(&b, FLOW_SRC_ADDR, &v4, &v6map), 0);
    v4[4999] = 1;
    v6map[624] = 0x80;
    assert_int_equal(b.v4_capacity, 5000);
    flow_batch_free(&b);
}

/* Selection against a naive copy, over densities from none to all kept and
 * runs of kept rows longer than the selection's internal chunk. */
static void test_select_random(void **state)
{
    (void)state;
    enum { N = 20000 };
    static flow_record rec[N], back;
    static uint8_t keep[N];
    uint64_t x = 88172645463325252ull;
    for (int density = 0; density <= 100; density += 10) {
        flow_batch b;
        assert_int_equal(flow_batch_init(&b, N, FLOW_ALL_FIELDS), 0);
        size_t want = 0;
        for (size_t i = 0; i < N; i++) {
            x ^= x << 13; x ^= x >> 7; x ^= x << 17;
            memset(&rec[i], 0, sizeof rec[i]);
            rec[i].start_ms = (int64_t)i;
            rec[i].packets = x;
            rec[i].dst_port = (uint16_t)x;
            rec[i].proto = (uint8_t)(x >> 20);
            rec[i].in_if = (uint32_t)(x >> 32);
            flow_addr_from_v4(&rec[i].src_addr, (uint32_t)(x >> 8));
            flow_batch_put(&b, &rec[i]);
            /* the first 5000 rows all kept (an untouched prefix) */
            keep[i] = i < 5000 || (int)(x % 100) < density;
            want += keep[i];
        }
        flow_batch_select(&b, keep);
        assert_int_equal(b.count, want);
        size_t k = 0;
        for (size_t i = 0; i < N; i++) {
            if (!keep[i]) continue;
            flow_batch_get(&b, k++, &back);
            assert_memory_equal(&back, &rec[i], sizeof back);
        }
        flow_batch_free(&b);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_addresses),
        cmocka_unit_test(test_schema),
        cmocka_unit_test(test_batch),
        cmocka_unit_test(test_select_random),
        cmocka_unit_test(test_v4_views),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
