/*
 * test_filter.c: the filter language -- every term against a reference
 * predicate written in C, precedence, errors with their exact positions,
 * zone pruning (never skips a match, does skip what cannot match), column
 * masks, and @FILE lists.
 *
 * Most evaluation tests run a filter over a pseudo-random batch whose
 * fields are drawn from small sets of interesting values (so that equality
 * and boundary cases all occur) and compare every row with a predicate over
 * the flow_record; a few hand-made records make the common cases readable.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "filter/filter.h"

/* ---- records ---- */

static flow_addr addr(const char *s)
{
    flow_addr a;
    if (flow_addr_parse(s, &a) != 0) fail_msg("bad test address %s", s);
    return a;
}

/* A record from the fields a filter test usually cares about; the others
 * are zero except start (2026-01-01) and end (start + dur_ms). */
static flow_record rec(const char *src, uint16_t sport, const char *dst,
                       uint16_t dport, uint8_t proto, uint64_t dur_ms)
{
    flow_record r;
    memset(&r, 0, sizeof r);
    r.start_ms = 1767225600000LL;
    r.end_ms = r.start_ms + (int64_t)dur_ms;
    r.src_addr = addr(src);
    r.dst_addr = addr(dst);
    r.exporter = addr("192.0.2.1");
    r.src_port = sport;
    r.dst_port = dport;
    r.proto = proto;
    r.packets = 1;
    r.bytes = 40;
    r.sampling = 1;
    return r;
}

static const char *const addr_pool[] = {
    "10.0.0.1", "10.0.0.2", "10.1.2.3", "10.255.255.255", "11.0.0.1",
    "192.0.2.1", "192.0.2.200", "198.51.100.7", "0.0.0.0", "255.255.255.255",
    "2001:db8::1", "2001:db8:0:1::5", "2001:db9::1", "::1", "fe80::1",
    "::10.0.0.1",
};
static const uint16_t port_pool[] = {0, 1, 22, 23, 80, 443, 1023, 1024, 1025,
                                     2048, 2051, 771, 8080, 65535};
static const uint8_t proto_pool[] = {1, 6, 6, 6, 17, 17, 47, 58};
static const uint64_t count_pool[] = {0, 1, 2, 3, 999, 1000, 1001, 5000000,
                                      UINT64_MAX};
static const uint64_t dur_pool[] = {0, 1, 999, 1000, 1001, 60000};
static const uint32_t as_pool[] = {0, 1, 64500, 4294967295u};
static const uint8_t tos_pool[] = {0, 3, 255};

#define NRAND 4000
static flow_batch rb;                   /* NRAND pseudo-random records */
static flow_record rrecs[NRAND];

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;
static uint64_t rnd(uint64_t n)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state % n;
}
#define PICK(pool) (pool[rnd(sizeof pool / sizeof pool[0])])

static int setup(void **state)
{
    (void)state;
    if (flow_batch_init(&rb, NRAND, FLOW_ALL_FIELDS) != 0) return -1;
    for (size_t i = 0; i < NRAND; i++) {
        flow_record r = rec(PICK(addr_pool), PICK(port_pool), PICK(addr_pool),
                            PICK(port_pool), PICK(proto_pool), PICK(dur_pool));
        if (rnd(3) == 0) {              /* a family per flow, mostly */
            r.dst_addr = r.src_addr;
            r.dst_addr.b[15] ^= 1;
        }
        r.exporter = addr(rnd(2) ? "192.0.2.1" : "2001:db8::ff");
        r.tcp_flags = (uint8_t)rnd(256);
        r.tos = PICK(tos_pool);
        r.packets = PICK(count_pool);
        r.bytes = PICK(count_pool);
        r.in_if = (uint32_t)rnd(4);
        r.out_if = (uint32_t)rnd(4);
        r.src_as = PICK(as_pool);
        r.dst_as = PICK(as_pool);
        rrecs[i] = r;
        flow_batch_put(&rb, &r);
    }
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    flow_batch_free(&rb);
    return 0;
}

/* ---- helpers ---- */

static filter *compile_ok(const char *text)
{
    filter *f = NULL;
    filter_error e;
    if (filter_compile(text, NULL, &f, &e) != 0)
        fail_msg("'%s' did not compile: %s (at %zu)", text, e.msg, e.pos);
    return f;
}

typedef int (*pred_fn)(const flow_record *r);

/* The filter keeps exactly the random rows pred accepts; returns how many,
 * and insists that the batch has both outcomes (so the test can fail). */
static size_t check_pred(const char *text, pred_fn pred)
{
    filter *f = compile_ok(text);
    uint8_t *keep = malloc(NRAND);
    size_t hits = 0;
    assert_non_null(keep);
    memset(keep, 7, NRAND);
    filter_eval(f, &rb, keep);
    for (size_t i = 0; i < NRAND; i++) {
        int want = pred(&rrecs[i]);
        if (keep[i] != want)
            fail_msg("'%s': row %zu kept=%d, expected %d", text, i, keep[i], want);
        hits += want;
    }
    if (hits == 0 || hits == NRAND)
        fail_msg("'%s': %zu of %d rows match: the batch does not test it", text,
                 hits, NRAND);
    free(keep);
    filter_free(f);
    return hits;
}

/* Hand-made rows: which of them the filter keeps, as a string of 0/1. */
static void check_rows(const char *text, const flow_record *r, size_t n,
                       const char *want)
{
    flow_batch b;
    uint8_t keep[64];
    char got[65];
    assert_true(n <= 64 && strlen(want) == n);
    assert_int_equal(flow_batch_init(&b, n, FLOW_ALL_FIELDS), 0);
    for (size_t i = 0; i < n; i++) flow_batch_put(&b, &r[i]);
    filter *f = compile_ok(text);
    filter_eval(f, &b, keep);
    for (size_t i = 0; i < n; i++) got[i] = keep[i] ? '1' : '0';
    got[n] = '\0';
    if (strcmp(got, want) != 0) fail_msg("'%s': kept %s, expected %s", text, got, want);
    filter_free(f);
    flow_batch_free(&b);
}

static int is_v4(const flow_addr *a) { return flow_addr_is_v4(a); }
static int in_prefix(const flow_addr *a, const char *net, unsigned bits)
{
    flow_addr n = addr(net);
    unsigned len = bits + (is_v4(&n) ? 96 : 0);
    for (unsigned i = 0; i < len; i++) {
        unsigned m = 0x80u >> (i % 8);
        if ((a->b[i / 8] & m) != (n.b[i / 8] & m)) return 0;
    }
    return 1;
}
static int addr_is(const flow_addr *a, const char *s)
{
    flow_addr b = addr(s);
    return flow_addr_cmp(a, &b) == 0;
}
static uint64_t dur(const flow_record *r) { return (uint64_t)(r->end_ms - r->start_ms); }

/* ---- reference predicates, one per term ---- */

static int p_dst_port_23(const flow_record *r) { return r->dst_port == 23; }
static int p_src_port_23(const flow_record *r) { return r->src_port == 23; }
static int p_port_23(const flow_record *r) { return r->src_port == 23 || r->dst_port == 23; }
static int p_port_gt_1024(const flow_record *r) { return r->src_port > 1024 || r->dst_port > 1024; }
static int p_dport_le_1024(const flow_record *r) { return r->dst_port <= 1024; }
static int p_sport_lt_1024(const flow_record *r) { return r->src_port < 1024; }
static int p_dport_ge_1024(const flow_record *r) { return r->dst_port >= 1024; }
static int p_dport_ne_80(const flow_record *r) { return r->dst_port != 80; }
static int p_port_list(const flow_record *r)
{
    uint16_t s = r->src_port, d = r->dst_port;
    return s == 80 || s == 443 || s == 8080 || d == 80 || d == 443 || d == 8080;
}
static int p_dport_list(const flow_record *r) { return r->dst_port == 22 || r->dst_port == 65535; }
static int p_both_port_list(const flow_record *r)
{
    return (r->src_port == 22 || r->src_port == 23) && (r->dst_port == 22 || r->dst_port == 23);
}
static int p_src_or_dst_port(const flow_record *r) { return r->src_port == 1 || r->dst_port == 1; }
static int p_tcp(const flow_record *r) { return r->proto == 6; }
static int p_udp(const flow_record *r) { return r->proto == 17; }
static int p_icmp(const flow_record *r) { return r->proto == 1; }
static int p_icmp6(const flow_record *r) { return r->proto == 58; }
static int p_gre(const flow_record *r) { return r->proto == 47; }
static int p_flags_s(const flow_record *r) { return r->proto == 6 && (r->tcp_flags & 0x02); }
static int p_flags_sa(const flow_record *r) { return r->proto == 6 && (r->tcp_flags & 0x12) == 0x12; }
static int p_flags_x(const flow_record *r) { return r->proto == 6 && (r->tcp_flags & 0x3f) == 0x3f; }
static int p_flags_ce(const flow_record *r) { return r->proto == 6 && (r->tcp_flags & 0xc0) == 0xc0; }
static int p_flags_eq2(const flow_record *r) { return r->proto == 6 && r->tcp_flags == 2; }
static int p_flags_gt63(const flow_record *r) { return r->proto == 6 && r->tcp_flags > 63; }
static int p_syn_only(const flow_record *r) { return r->proto == 6 && (r->tcp_flags & 0x3f) == 0x02; }
static int p_not_flags_sa(const flow_record *r) { return !(r->proto == 6 && (r->tcp_flags & 0x12)); }
static int p_not_flags_sa_or_port1(const flow_record *r)
{
    int port1 = r->src_port == 1 || r->dst_port == 1;
    return port1 || !(r->proto == 6 && (r->tcp_flags & 0x12));
}
static int p_pkts_lt3(const flow_record *r) { return r->packets < 3; }
static int p_pkts_gt1k(const flow_record *r) { return r->packets > 1000; }
static int p_pkts_eq1000(const flow_record *r) { return r->packets == 1000; }
static int p_bytes_ge5m(const flow_record *r) { return r->bytes >= 5000000; }
static int p_bytes_le999(const flow_record *r) { return r->bytes <= 999; }
static int p_dur_gt1000(const flow_record *r) { return dur(r) > 1000; }
static int p_dur_eq0(const flow_record *r) { return dur(r) == 0; }
static int p_dur_ge1s(const flow_record *r) { return dur(r) >= 1000; }
static int p_dur_list(const flow_record *r) { return dur(r) == 0 || dur(r) == 1001; }
static int p_tcp_udp(const flow_record *r) { return r->proto == 6 || r->proto == 17; }
static int p_in_if_list(const flow_record *r) { return r->in_if == 1 || r->in_if == 3; }
static int p_ip(const flow_record *r)
{
    return addr_is(&r->src_addr, "10.0.0.1") || addr_is(&r->dst_addr, "10.0.0.1");
}
static int p_src_ip(const flow_record *r) { return addr_is(&r->src_addr, "10.0.0.1"); }
static int p_dst_ip6(const flow_record *r) { return addr_is(&r->dst_addr, "2001:db8::1"); }
static int p_net8(const flow_record *r)
{
    return in_prefix(&r->src_addr, "10.0.0.0", 8) || in_prefix(&r->dst_addr, "10.0.0.0", 8);
}
static int p_src_net24(const flow_record *r) { return in_prefix(&r->src_addr, "192.0.2.0", 24); }
static int p_dst_net6(const flow_record *r) { return in_prefix(&r->dst_addr, "2001:db8::", 32); }
static int p_net_16(const flow_record *r)
{
    return in_prefix(&r->src_addr, "10.1.0.0", 16) || in_prefix(&r->dst_addr, "10.1.0.0", 16);
}
static int p_net_mask_odd(const flow_record *r)
{
    /* 10.0.0.1 with netmask 255.0.0.255: first and last octet */
    const flow_addr *a[2] = {&r->src_addr, &r->dst_addr};
    for (int i = 0; i < 2; i++)
        if (is_v4(a[i]) && a[i]->b[12] == 10 && a[i]->b[15] == 1) return 1;
    return 0;
}
static int p_ip_list(const flow_record *r)
{
    const flow_addr *a[2] = {&r->src_addr, &r->dst_addr};
    for (int i = 0; i < 2; i++)
        if (addr_is(a[i], "192.0.2.1") || in_prefix(a[i], "198.51.100.0", 24) ||
            in_prefix(a[i], "2001:db8::", 32))
            return 1;
    return 0;
}
static int p_dst_ip_list(const flow_record *r)
{
    return addr_is(&r->dst_addr, "11.0.0.1") || in_prefix(&r->dst_addr, "10.0.0.0", 30);
}
static int p_src_ip_list(const flow_record *r) { return addr_is(&r->src_addr, "::1"); }
static int p_exporter(const flow_record *r) { return addr_is(&r->exporter, "192.0.2.1"); }
static int p_exporter6(const flow_record *r) { return addr_is(&r->exporter, "2001:db8::ff"); }
static int p_in_if(const flow_record *r) { return r->in_if == 2; }
static int p_out_if(const flow_record *r) { return r->out_if == 2; }
static int p_if(const flow_record *r) { return r->in_if == 2 || r->out_if == 2; }
static int p_as(const flow_record *r) { return r->src_as == 64500 || r->dst_as == 64500; }
static int p_src_as(const flow_record *r) { return r->src_as == 4294967295u; }
static int p_dst_as_gt(const flow_record *r) { return r->dst_as > 1; }
static int p_as_list(const flow_record *r)
{
    return r->src_as == 1 || r->src_as == 64500 || r->dst_as == 1 || r->dst_as == 64500;
}
static int p_tos(const flow_record *r) { return r->tos == 3; }
static int p_tos_gt(const flow_record *r) { return r->tos > 3; }
static int p_ipv4(const flow_record *r) { return is_v4(&r->src_addr); }
static int p_ipv6(const flow_record *r) { return !is_v4(&r->src_addr); }
static int p_icmp_type(const flow_record *r)
{
    return (r->proto == 1 || r->proto == 58) && (r->dst_port >> 8) == 8;
}
static int p_icmp_code(const flow_record *r)
{
    return (r->proto == 1 || r->proto == 58) && (r->dst_port & 0xff) == 3;
}

static void test_terms(void **state)
{
    (void)state;
    static const struct { const char *text; pred_fn pred; } cases[] = {
        {"dst port 23", p_dst_port_23},
        {"src port 23", p_src_port_23},
        {"port 23", p_port_23},
        {"port > 1024", p_port_gt_1024},
        {"port gt 1024", p_port_gt_1024},
        {"dst port <= 1024", p_dport_le_1024},
        {"dst port le 1024", p_dport_le_1024},
        {"src port < 1024", p_sport_lt_1024},
        {"dst port >= 1024", p_dport_ge_1024},
        {"dst port != 80", p_dport_ne_80},
        {"dst port ne 80", p_dport_ne_80},
        {"dst port = 23", p_dst_port_23},
        {"dst port == 23", p_dst_port_23},
        {"dst port eq 23", p_dst_port_23},
        {"dst port 0x17", p_dst_port_23},
        {"port in [80 443 8080]", p_port_list},
        {"port in [80,443, 8080 , 443]", p_port_list},
        {"dst port in [65535 22]", p_dport_list},
        {"src and dst port in [22 23]", p_both_port_list},
        {"src or dst port 1", p_src_or_dst_port},
        {"proto tcp", p_tcp},
        {"proto 6", p_tcp},
        {"proto udp", p_udp},
        {"proto icmp", p_icmp},
        {"proto icmp6", p_icmp6},
        {"proto 58", p_icmp6},
        {"proto gre", p_gre},
        {"flags S", p_flags_s},
        {"flags SA", p_flags_sa},
        {"flags AS", p_flags_sa},
        {"flags X", p_flags_x},
        {"flags CE", p_flags_ce},
        {"flags 2", p_flags_eq2},
        {"flags > 63", p_flags_gt63},
        /* under not, letters mean "any of them" (nfdump): not = none of them */
        {"flags S and not flags AFRPU", p_syn_only},
        {"flags S and not (flags AFRPU)", p_syn_only},
        {"not flags SA", p_not_flags_sa},
        {"not not not flags SA", p_not_flags_sa},
        {"not (port 1 or flags SA) or port 1", p_not_flags_sa_or_port1},
        {"not not flags SA", p_flags_sa},
        {"packets < 3", p_pkts_lt3},
        {"packets > 1k", p_pkts_gt1k},
        {"packets > 1K", p_pkts_gt1k},
        {"packets 1000", p_pkts_eq1000},
        {"in packets = 1k", p_pkts_eq1000},
        {"bytes >= 5m", p_bytes_ge5m},
        {"bytes >= 5000000", p_bytes_ge5m},
        {"bytes <= 999", p_bytes_le999},
        {"in bytes lt 1000", p_bytes_le999},
        {"duration > 1000", p_dur_gt1000},
        {"duration > 1k", p_dur_gt1000},
        {"duration 0", p_dur_eq0},
        {"duration >= 1000", p_dur_ge1s},
        {"duration in [1001 0]", p_dur_list},
        /* extensions: lists and comparisons on every numeric term */
        {"proto in [tcp, 17]", p_tcp_udp},
        {"in if in [3 1]", p_in_if_list},
        {"ip 10.0.0.1", p_ip},
        {"host 10.0.0.1", p_ip},
        {"ip ::ffff:10.0.0.1", p_ip},
        {"src ip 10.0.0.1", p_src_ip},
        {"src host 10.0.0.1", p_src_ip},
        {"dst ip 2001:db8::1", p_dst_ip6},
        {"dst ip 2001:DB8:0::1", p_dst_ip6},
        {"net 10.0.0.0/8", p_net8},
        {"net 10.0.0.0 255.0.0.0", p_net8},
        {"net 10.9.9.9/8", p_net8},
        {"net ::ffff:10.0.0.0/104", p_net8},
        {"src net 192.0.2.0/24", p_src_net24},
        {"dst net 2001:db8::/32", p_dst_net6},
        {"net 10.1/16", p_net_16},
        {"net 10.0.0.1 255.0.0.255", p_net_mask_odd},
        {"ip in [192.0.2.1 198.51.100.0/24 2001:db8::/32]", p_ip_list},
        {"host in [192.0.2.1, 198.51.100.0/24, 2001:db8::/32]", p_ip_list},
        {"dst ip in [11.0.0.1 10.0.0.1/30]", p_dst_ip_list},
        {"src ip in [::1]", p_src_ip_list},
        {"router ip 192.0.2.1", p_exporter},
        {"exporter 192.0.2.1", p_exporter},
        {"exporter ip 2001:db8::ff", p_exporter6},
        {"in if 2", p_in_if},
        {"out if 2", p_out_if},
        {"if 2", p_if},
        {"as 64500", p_as},
        {"src as 4294967295", p_src_as},
        {"dst as > 1", p_dst_as_gt},
        {"as in [1 64500]", p_as_list},
        {"tos 3", p_tos},
        {"src tos 3", p_tos},
        {"tos > 3", p_tos_gt},
        {"ipv4", p_ipv4},
        {"inet", p_ipv4},
        {"ipv6", p_ipv6},
        {"inet6", p_ipv6},
        {"icmp-type 8", p_icmp_type},
        {"icmp-code 3", p_icmp_code},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        check_pred(cases[i].text, cases[i].pred);
}

/* ---- combinations ---- */

static int p_or_and(const flow_record *r) { return r->dst_port == 23 || (r->proto == 17 && r->src_port == 80); }
static int p_not_and(const flow_record *r) { return r->proto != 6 && r->dst_port == 443; }
static int p_not_paren(const flow_record *r) { return !(r->proto == 6 && r->dst_port == 443); }
static int p_paren_or(const flow_record *r) { return (r->dst_port == 23 || r->proto == 17) && r->src_port == 80; }
static int p_six(const flow_record *r)
{
    return r->dst_port == 23 && r->proto == 6 && !in_prefix(&r->src_addr, "10.0.0.0", 8) &&
           r->packets < 1000 && (r->tcp_flags & 0x02) && dur(r) <= 1000;
}
static int p_deep(const flow_record *r)
{
    return !((r->proto == 6 || r->proto == 17) && !(r->dst_port == 80 || r->dst_port == 443)) ||
           r->in_if == 3;
}

static void test_precedence(void **state)
{
    (void)state;
    /* or < and < not, as nfdump */
    check_pred("dst port 23 or proto udp and src port 80", p_or_and);
    check_pred("dst port 23 || proto udp && src port 80", p_or_and);
    check_pred("proto udp and src port 80 or dst port 23", p_or_and);
    check_pred("not proto tcp and dst port 443", p_not_and);
    check_pred("! proto tcp && dst port 443", p_not_and);
    check_pred("!proto tcp and dst port 443", p_not_and);
    check_pred("not (proto tcp and dst port 443)", p_not_paren);
    check_pred("(dst port 23 or proto udp) and src port 80", p_paren_or);
    check_pred("((dst port 23) or (proto udp))and(src port 80)", p_paren_or);
    check_pred("not not not proto tcp and dst port 443", p_not_and);
    check_pred("any and dst port 23 or proto udp and src port 80 and any", p_or_and);
    check_pred("dst port 23 and proto tcp and not src net 10.0.0.0/8 and packets < 1000 "
               "and flags S and duration <= 1000", p_six);
    check_pred("not ((proto tcp or proto udp) and not (dst port 80 or dst port 443)) "
               "or in if 3", p_deep);
    /* case does not matter, comments end at the line */
    check_pred("DST PORT 23 Or PROTO UDP AND Src Port 80", p_or_and);
    check_pred("dst port 23 # the telnet port\nor proto udp and src port 80", p_or_and);
}

static void test_any_and_constants(void **state)
{
    (void)state;
    static const char *const anys[] = {"", "   ", "any", "ANY", "# only a comment",
                                       "any or port 1", "port <= 65535",
                                       "not not any", "(any)"};
    for (size_t i = 0; i < sizeof anys / sizeof anys[0]; i++) {
        filter *f = compile_ok(anys[i]);
        assert_true(filter_is_any(f));
        assert_int_equal(filter_fields(f), 0);
        filter_free(f);
    }
    filter *f = compile_ok("port 1");
    assert_false(filter_is_any(f));
    filter_free(f);
    /* a filter nothing passes */
    f = compile_ok("not any or port > 65535");
    assert_false(filter_is_any(f));
    uint8_t keep[NRAND];
    memset(keep, 1, sizeof keep);
    filter_eval(f, &rb, keep);
    for (size_t i = 0; i < NRAND; i++) assert_int_equal(keep[i], 0);
    filter_free(f);
}

static void test_hand_made(void **state)
{
    (void)state;
    flow_record r[5];
    r[0] = rec("10.0.0.1", 40000, "192.0.2.7", 23, 6, 0);        /* telnet */
    r[0].tcp_flags = 0x02;
    r[1] = rec("192.0.2.7", 23, "10.0.0.1", 40000, 6, 10);       /* its answer */
    r[1].tcp_flags = 0x12;
    r[2] = rec("2001:db8::5", 53, "2001:db8::6", 5353, 17, 2500); /* DNS over v6 */
    r[2].packets = 3;
    r[3] = rec("10.0.0.9", 0, "8.8.8.8", 8 << 8, 1, 0);          /* ping */
    r[4] = rec("100.64.0.1", 1025, "192.0.2.8", 6667, 6, 90000);  /* IRC */
    r[4].packets = 1500;
    r[4].bytes = 2000000;
    check_rows("dst port 23", r, 5, "10000");
    check_rows("port 23", r, 5, "11000");
    check_rows("flags S", r, 5, "11000");
    check_rows("flags S and not flags A", r, 5, "10000");
    check_rows("ipv6", r, 5, "00100");
    check_rows("net 10.0.0.0/8", r, 5, "11010");
    check_rows("src net 10.0.0.0/8", r, 5, "10010");
    check_rows("icmp-type 8", r, 5, "00010");
    check_rows("dst port 2048", r, 5, "00010");
    check_rows("duration > 1000", r, 5, "00101");
    check_rows("packets > 1k and bytes > 1m", r, 5, "00001");
    check_rows("ip in [192.0.2.0/29 2001:db8::6]", r, 5, "11100");
    check_rows("not ip in [192.0.2.0/29 2001:db8::6]", r, 5, "00011");
}

/* A batch longer than one evaluation chunk, with odd lengths. */
static void test_chunks(void **state)
{
    (void)state;
    size_t sizes[] = {0, 1, 511, 512, 513, 1500};
    for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
        flow_batch b;
        size_t n = sizes[k];
        assert_int_equal(flow_batch_init(&b, n ? n : 1, FLOW_ALL_FIELDS), 0);
        for (size_t i = 0; i < n; i++) {
            flow_record r = rec("10.0.0.1", 1, "10.0.0.2", (uint16_t)(i % 7), 6, 0);
            flow_batch_put(&b, &r);
        }
        uint8_t *keep = malloc(n + 1);
        keep[n] = 0xaa;                 /* must stay untouched */
        filter *f = compile_ok("dst port 3 or dst port 5 and proto tcp");
        filter_eval(f, &b, keep);
        for (size_t i = 0; i < n; i++) assert_int_equal(keep[i], i % 7 == 3 || i % 7 == 5);
        assert_int_equal(keep[n], 0xaa);
        filter_free(f);
        free(keep);
        flow_batch_free(&b);
    }
}

/* An address list over a batch with IPv4 views (as the store's scan
 * fills them) keeps the same rows as over the address columns alone: IPv4
 * and IPv6 rows, lists with and without IPv6 entries, batches that end
 * inside a chunk and inside a byte of the IPv6 bitmap. */
static void test_set_views(void **state)
{
    (void)state;
    static const char *const texts[] = {
        "ip in [10.0.0.0/24 192.0.2.200 255.255.255.255 0.0.0.0]",
        "src ip in [10.0.0.0/8 2001:db8::/32 ::1]",
        "dst ip in [::/0]",
        "not dst ip in [2001:db8::1 11.0.0.1] and src ip in [0.0.0.0/0]",
        "ip in [fe80::/16]",
    };
    size_t sizes[] = {1, 7, 512, 1029, NRAND};
    for (size_t z = 0; z < sizeof sizes / sizeof sizes[0]; z++) {
        size_t n = sizes[z];
        flow_batch b;
        assert_int_equal(flow_batch_init(&b, n, FLOW_ALL_FIELDS), 0);
        for (size_t i = 0; i < n; i++) flow_batch_put(&b, &rrecs[i]);
        for (int f = FLOW_SRC_ADDR; f <= FLOW_DST_ADDR; f++) {
            uint32_t *v4;
            uint8_t *v6map;
            assert_int_equal(flow_batch_v4_view(&b, (flow_field)f, &v4, &v6map), 0);
            const flow_addr *a = flow_batch_column(&b, (flow_field)f);
            memset(v6map, 0, (n + 7) / 8);
            for (size_t i = 0; i < n; i++) {
                int six = !flow_addr_is_v4(&a[i]);
                v4[i] = six ? 0x0a000001u : flow_addr_v4(&a[i]);   /* an IPv6 row's v4 is noise */
                v6map[i / 8] |= (uint8_t)(six << (i % 8));
            }
        }
        uint8_t *k1 = malloc(n), *k2 = malloc(n);
        assert_non_null(k1);
        assert_non_null(k2);
        for (size_t t = 0; t < sizeof texts / sizeof texts[0]; t++) {
            filter *f = compile_ok(texts[t]);
            b.v4_fields = 0;
            filter_eval(f, &b, k1);
            b.v4_fields = FLOW_BIT(FLOW_SRC_ADDR) | FLOW_BIT(FLOW_DST_ADDR);
            filter_eval(f, &b, k2);
            for (size_t i = 0; i < n; i++)
                if (k1[i] != k2[i])
                    fail_msg("'%s' row %zu of %zu: %d without views, %d with", texts[t], i, n,
                             k1[i], k2[i]);
            filter_free(f);
        }
        /* the views are what is read when valid: all rows 10.0.0.1 there */
        uint32_t *v4;
        uint8_t *v6map;
        assert_int_equal(flow_batch_v4_view(&b, FLOW_SRC_ADDR, &v4, &v6map), 0);
        for (size_t i = 0; i < n; i++) v4[i] = 0x0a000001u;
        memset(v6map, 0, (n + 7) / 8);
        filter *f = compile_ok("src ip in [10.0.0.1]");
        filter_eval(f, &b, k2);
        for (size_t i = 0; i < n; i++) assert_int_equal(k2[i], 1);
        filter_free(f);
        free(k1);
        free(k2);
        flow_batch_free(&b);
    }
}

/* ---- columns ---- */

static void test_fields(void **state)
{
    (void)state;
    static const struct { const char *text; uint32_t mask; } cases[] = {
        {"dst port 23", FLOW_BIT(FLOW_DST_PORT)},
        {"port 23", FLOW_BIT(FLOW_SRC_PORT) | FLOW_BIT(FLOW_DST_PORT)},
        {"proto tcp", FLOW_BIT(FLOW_PROTO)},
        {"flags S", FLOW_BIT(FLOW_PROTO) | FLOW_BIT(FLOW_TCP_FLAGS)},
        {"duration > 5", FLOW_BIT(FLOW_START) | FLOW_BIT(FLOW_END)},
        {"src ip 10.0.0.1", FLOW_BIT(FLOW_SRC_ADDR)},
        {"net 10.0.0.0/8", FLOW_BIT(FLOW_SRC_ADDR) | FLOW_BIT(FLOW_DST_ADDR)},
        {"dst ip in [10.0.0.1]", FLOW_BIT(FLOW_DST_ADDR)},
        {"router ip 192.0.2.1", FLOW_BIT(FLOW_EXPORTER)},
        {"in if 3 or out if 4", FLOW_BIT(FLOW_IN_IF) | FLOW_BIT(FLOW_OUT_IF)},
        {"src as 1 and packets > 2 and bytes < 3",
         FLOW_BIT(FLOW_SRC_AS) | FLOW_BIT(FLOW_PACKETS) | FLOW_BIT(FLOW_BYTES)},
        {"tos 4", FLOW_BIT(FLOW_TOS)},
        {"ipv6", FLOW_BIT(FLOW_SRC_ADDR)},
        {"icmp-type 3", FLOW_BIT(FLOW_PROTO) | FLOW_BIT(FLOW_DST_PORT)},
        {"dst as in [1 2]", FLOW_BIT(FLOW_DST_AS)},
        {"any", 0},
        {"port 23 and not any", 0},          /* folded away: reads nothing */
        {"any or dst port 23", 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        filter *f = compile_ok(cases[i].text);
        if (filter_fields(f) != cases[i].mask)
            fail_msg("'%s': fields 0x%x, expected 0x%x", cases[i].text,
                     filter_fields(f), cases[i].mask);
        filter_free(f);
    }
}

/* A batch holding only the columns a filter reads evaluates the same. */
static void test_only_needed_columns(void **state)
{
    (void)state;
    filter *f = compile_ok("dst port 23 and flags S or duration > 1000 and src net 10.0.0.0/8");
    flow_batch b;
    assert_int_equal(flow_batch_init(&b, NRAND, filter_fields(f)), 0);
    for (size_t i = 0; i < NRAND; i++) flow_batch_put(&b, &rrecs[i]);
    uint8_t *k1 = malloc(NRAND), *k2 = malloc(NRAND);
    filter_eval(f, &b, k1);
    filter_eval(f, &rb, k2);
    assert_memory_equal(k1, k2, NRAND);
    free(k1);
    free(k2);
    flow_batch_free(&b);
    filter_free(f);
}

/* ---- errors ---- */

static void test_errors(void **state)
{
    (void)state;
    static const struct { const char *text; size_t pos, len; const char *msg; } cases[] = {
        {"prot tcp", 0, 4, "unknown keyword 'prot' (did you mean 'proto'?)"},
        {"dst port 23 and frobnicate", 16, 10, "unknown keyword 'frobnicate'"},
        {"port", 4, 1, "expected a port number after 'port'"},
        {"port abc", 5, 3, "expected a port number after 'port', not 'abc'"},
        {"port > ", 7, 1, "expected a port number after '>'"},
        {"port 70000", 5, 5, "port 70000 is out of range 0..65535"},
        {"port 1x", 5, 2, "bad number '1x'"},
        {"(port 1 or port 2", 0, 1, "unbalanced parenthesis: this '(' is not closed"},
        {"port 1 or port 2)", 16, 1, "unbalanced parenthesis: this ')' has no '('"},
        {"ip 300.1.1.1", 3, 9, "bad address '300.1.1.1'"},
        {"src ip 10.0.0.0/8", 7, 10,
         "bad address '10.0.0.0/8' (for a network write 'net 10.0.0.0/8')"},
        {"net 10.0.0.0/33", 4, 11, "bad prefix length '/33' (0..32 for an IPv4 address)"},
        {"net 2001:db8::/129", 4, 14,
         "bad prefix length '/129' (0..128 for an IPv6 address)"},
        {"net 10.0.0.0", 12, 1, "expected a netmask (or write ADDR/BITS) after '10.0.0.0'"},
        {"net 10.0.0.0 255.0.0", 13, 7, "bad netmask '255.0.0'"},
        {"proto tcpx", 6, 4, "unknown protocol 'tcpx'"},
        {"proto 300", 6, 3, "proto 300 is out of range 0..255"},
        {"flags SZ", 7, 1,
         "unknown TCP flag 'Z' (flags are C E U A P R S F, X = all of U A P R S F)"},
        {"flags SS", 7, 1, "flag 'S' given twice"},
        {"port 80 proto tcp", 8, 5, "expected 'and' or 'or' before 'proto'"},
        {"port 80 and", 11, 1, "expected a filter term after 'and'"},
        {"port 80 & proto tcp", 8, 1, "unexpected '&' (write 'and' or '&&')"},
        {"()", 1, 1, "expected a filter term after '(', not ')'"},
        {"ip in [1.2.3.4", 6, 1, "unbalanced bracket: this '[' is not closed"},
        {"ip in [1.2.3.4,]", 15, 1, "expected an address or network after ',', not ']'"},
        {"port in []", 9, 1, "expected a port number after '[', not ']'"},
        {"ip in 1.2.3.4", 6, 7, "expected '[' or @FILE after 'in', not '1.2.3.4'"},
        {"vlan 4", 0, 4,
         "'vlan' is an nfdump term that c2flow does not support (see docs/filter.md)"},
        {"10.0.0.1", 0, 8,
         "expected a filter term, not '10.0.0.1' (an address needs 'ip' or 'net' before it)"},
        {"dst tos 3", 0, 7,
         "c2flow keeps one tos per record (the source's): only 'tos' and 'src tos' are available"},
        {"src packets 3", 4, 7,
         "expected 'ip', 'host', 'net', 'port', 'as' or 'tos' after 'src', not 'packets'"},
        {"as 4294967296", 3, 10, "AS 4294967296 is out of range 0..4294967295"},
        {"icmp-type > 3", 10, 1, "icmp-type compares only for equality"},
        {"packets > 99999999999999999999", 10, 20,
         "packets 99999999999999999999 is out of range 0..18446744073709551615"},
        {"ip in @", 6, 1, "expected a file name after '@'"},
        {"exporter 5", 9, 1, "'exporter N' (nfdump's internal exporter id) is not available: "
                             "write the router's address, 'exporter 192.0.2.1'"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        filter *f = (filter *)&f;
        filter_error e;
        if (filter_compile(cases[i].text, NULL, &f, &e) == 0)
            fail_msg("'%s' compiled", cases[i].text);
        assert_null(f);
        if (strcmp(e.msg, cases[i].msg) != 0 || e.pos != cases[i].pos || e.len != cases[i].len)
            fail_msg("'%s': got [%zu+%zu] '%s', expected [%zu+%zu] '%s'", cases[i].text,
                     e.pos, e.len, e.msg, cases[i].pos, cases[i].len, cases[i].msg);
    }
    /* nesting is bounded, so neither parser nor evaluator can overflow the stack */
    char deep[400];
    memset(deep, '(', 100);
    strcpy(deep + 100, "port 1");
    filter *f;
    filter_error e;
    assert_int_equal(filter_compile(deep, NULL, &f, &e), -1);
    assert_non_null(strstr(e.msg, "nested too deeply"));
    /* but wide is fine: a thousand or-ed terms are one node */
    size_t cap = 20000, o = 0;
    char *wide = malloc(cap);
    for (int i = 0; i < 1000; i++)
        o += (size_t)snprintf(wide + o, cap - o, "%sport %d", i ? " or " : "", i);
    assert_int_equal(filter_compile(wide, NULL, &f, &e), 0);
    filter_free(f);
    free(wide);
}

static void test_error_format(void **state)
{
    (void)state;
    char buf[512];
    filter *f;
    filter_error e;
    const char *t1 = "dst port 23 and prot tcp";
    assert_int_equal(filter_compile(t1, NULL, &f, &e), -1);
    assert_string_equal(filter_error_format(t1, &e, buf, sizeof buf),
                        "dst port 23 and prot tcp\n"
                        "                ^^^^\n"
                        "unknown keyword 'prot' (did you mean 'proto'?)");
    /* at the end: one caret after the text */
    const char *t2 = "port 1 or";
    assert_int_equal(filter_compile(t2, NULL, &f, &e), -1);
    assert_string_equal(filter_error_format(t2, &e, buf, sizeof buf),
                        "port 1 or\n"
                        "         ^\n"
                        "expected a filter term after 'or'");
    /* a filter over lines shows the line of the error; tabs stay aligned */
    const char *t3 = "proto tcp and\n\tdst port 99999 # comment";
    assert_int_equal(filter_compile(t3, NULL, &f, &e), -1);
    assert_string_equal(filter_error_format(t3, &e, buf, sizeof buf),
                        "\tdst port 99999 # comment\n"
                        "\t         ^^^^^\n"
                        "port 99999 is out of range 0..65535");
    /* a long line is cut around the error */
    char longf[600];
    size_t o = 0;
    for (int i = 0; i < 30; i++) o += (size_t)sprintf(longf + o, "port %d or ", 1000 + i);
    strcpy(longf + o, "port 99999");
    assert_int_equal(filter_compile(longf, NULL, &f, &e), -1);
    filter_error_format(longf, &e, buf, sizeof buf);
    char *nl = strchr(buf, '\n');
    assert_non_null(nl);
    assert_true(nl - buf < 140);
    assert_memory_equal(buf, "...", 3);
    char *caret = strchr(nl + 1, '^');
    assert_int_equal(caret - (nl + 1), (int)(strstr(buf, "99999") - buf));
    /* a small buffer is cut, still terminated */
    char tiny[8];
    filter_error_format(t1, &e, tiny, sizeof tiny);
    assert_int_equal(strlen(tiny), 7);
}

/* ---- zones ---- */

/* A zone as wide as every type allows. */
static store_zone wide_zone(void)
{
    store_zone z;
    memset(&z, 0, sizeof z);
    z.records = 100;
    for (int f = 0; f < FLOW_FIELD_COUNT; f++) {
        switch (flow_field_type((flow_field)f)) {
        case FLOW_T_TIME:
            z.min[f].t = 1767225600000LL;
            z.max[f].t = 1767225600000LL + 3600000;
            break;
        case FLOW_T_ADDR: memset(z.max[f].a.b, 0xff, 16); break;
        case FLOW_T_U8: z.max[f].u = UINT8_MAX; break;
        case FLOW_T_U16: z.max[f].u = UINT16_MAX; break;
        case FLOW_T_U32: z.max[f].u = UINT32_MAX; break;
        default: z.max[f].u = UINT64_MAX; break;
        }
    }
    return z;
}

static void zrange(store_zone *z, flow_field f, uint64_t lo, uint64_t hi)
{
    z->min[f].u = lo;
    z->max[f].u = hi;
}

static void zaddr(store_zone *z, flow_field f, const char *lo, const char *hi)
{
    z->min[f].a = addr(lo);
    z->max[f].a = addr(hi);
}

static int verdict(const char *text, const store_zone *z)
{
    filter *f = compile_ok(text);
    int v = filter_zone_verdict(f, z);
    int may = filter_zone_may_match(z, f);
    assert_int_equal(may, v != FILTER_ZONE_NONE);
    filter_free(f);
    return v;
}

#define NONE FILTER_ZONE_NONE
#define SOME FILTER_ZONE_SOME
#define ALL FILTER_ZONE_ALL

static void test_zones(void **state)
{
    (void)state;
    store_zone w = wide_zone(), z;
    /* every term may match a zone that allows everything */
    static const char *const all_terms[] = {
        "dst port 23", "port > 1024", "port in [80 443]", "proto tcp", "flags SA",
        "flags 2", "packets < 3", "bytes > 1m", "duration > 1000", "ip 10.0.0.1",
        "net 10.0.0.0/8", "net 10.0.0.0 255.0.255.0", "ip in [10.0.0.1 2001:db8::/32]",
        "router ip 192.0.2.1", "in if 3", "if 3", "as 5", "as in [1 2]", "tos 3",
        "ipv4", "ipv6", "icmp-type 8", "icmp-code 1", "not port 23"};
    for (size_t i = 0; i < sizeof all_terms / sizeof all_terms[0]; i++)
        assert_int_equal(verdict(all_terms[i], &w), SOME);
    assert_int_equal(verdict("any", &w), ALL);

    /* ports */
    z = w;
    zrange(&z, FLOW_DST_PORT, 24, 100);
    assert_int_equal(verdict("dst port 23", &z), NONE);
    assert_int_equal(verdict("dst port 24", &z), SOME);
    assert_int_equal(verdict("dst port 100", &z), SOME);
    assert_int_equal(verdict("dst port 101", &z), NONE);
    assert_int_equal(verdict("dst port < 24", &z), NONE);
    assert_int_equal(verdict("dst port < 25", &z), SOME);
    assert_int_equal(verdict("dst port <= 23", &z), NONE);
    assert_int_equal(verdict("dst port > 100", &z), NONE);
    assert_int_equal(verdict("dst port >= 101", &z), NONE);
    assert_int_equal(verdict("dst port >= 24", &z), ALL);
    assert_int_equal(verdict("dst port < 101", &z), ALL);
    assert_int_equal(verdict("dst port != 23", &z), ALL);
    assert_int_equal(verdict("dst port in [1 23 101 443]", &z), NONE);
    assert_int_equal(verdict("dst port in [1 50 443]", &z), SOME);
    assert_int_equal(verdict("port 23", &z), SOME);       /* src port may be 23 */
    zrange(&z, FLOW_SRC_PORT, 1024, 65535);
    assert_int_equal(verdict("port 23", &z), NONE);
    assert_int_equal(verdict("src or dst port 23", &z), NONE);
    assert_int_equal(verdict("port > 1000", &z), ALL);
    zrange(&z, FLOW_DST_PORT, 23, 23);
    assert_int_equal(verdict("dst port 23", &z), ALL);
    assert_int_equal(verdict("not dst port 23", &z), NONE);
    assert_int_equal(verdict("dst port != 23", &z), NONE);
    assert_int_equal(verdict("dst port in [22 23]", &z), ALL);
    /* and / or / not */
    z = w;
    zrange(&z, FLOW_DST_PORT, 24, 100);
    zrange(&z, FLOW_PROTO, 17, 17);
    assert_int_equal(verdict("dst port 23 and proto udp", &z), NONE);
    assert_int_equal(verdict("dst port 23 or proto udp", &z), ALL);
    assert_int_equal(verdict("dst port 23 or proto tcp", &z), NONE);
    assert_int_equal(verdict("dst port 50 or proto tcp", &z), SOME);
    assert_int_equal(verdict("dst port 50 and proto udp", &z), SOME);
    assert_int_equal(verdict("not proto udp", &z), NONE);
    assert_int_equal(verdict("not proto tcp", &z), ALL);
    assert_int_equal(verdict("not dst port 50", &z), SOME);
    assert_int_equal(verdict("flags S", &z), NONE);         /* implies tcp */
    assert_int_equal(verdict("icmp-type 8", &z), NONE);
    /* flags */
    z = w;
    zrange(&z, FLOW_PROTO, 6, 6);
    zrange(&z, FLOW_TCP_FLAGS, 0, 0x11);
    assert_int_equal(verdict("flags S", &z), SOME);         /* 0x02 <= 0x11 */
    assert_int_equal(verdict("flags SA", &z), NONE);        /* needs >= 0x12 */
    assert_int_equal(verdict("flags 2", &z), SOME);
    assert_int_equal(verdict("flags > 17", &z), NONE);
    zrange(&z, FLOW_TCP_FLAGS, 0x12, 0x12);
    assert_int_equal(verdict("flags SA", &z), ALL);
    assert_int_equal(verdict("flags F", &z), NONE);
    /* counters and duration */
    z = w;
    zrange(&z, FLOW_PACKETS, 5, 10);
    zrange(&z, FLOW_BYTES, 1000, 2000);
    assert_int_equal(verdict("packets < 3", &z), NONE);
    assert_int_equal(verdict("packets < 11", &z), ALL);
    assert_int_equal(verdict("packets 7", &z), SOME);
    assert_int_equal(verdict("bytes > 2k", &z), NONE);
    assert_int_equal(verdict("bytes >= 1k", &z), ALL);
    z.min[FLOW_START].t = 1000000;
    z.max[FLOW_START].t = 2000000;
    z.min[FLOW_END].t = 2500000;
    z.max[FLOW_END].t = 2600000;
    /* durations lie in [2500000 - 2000000, 2600000 - 1000000] */
    assert_int_equal(verdict("duration < 500000", &z), NONE);
    assert_int_equal(verdict("duration <= 500000", &z), SOME);
    assert_int_equal(verdict("duration > 1600000", &z), NONE);
    assert_int_equal(verdict("duration >= 500000", &z), ALL);
    z.min[FLOW_END].t = 1000000;
    assert_int_equal(verdict("duration 0", &z), SOME);
    /* interfaces, AS, tos */
    z = w;
    zrange(&z, FLOW_IN_IF, 1, 2);
    zrange(&z, FLOW_OUT_IF, 7, 9);
    assert_int_equal(verdict("in if 3", &z), NONE);
    assert_int_equal(verdict("out if 8", &z), SOME);
    assert_int_equal(verdict("if 5", &z), NONE);
    assert_int_equal(verdict("if 2", &z), SOME);
    zrange(&z, FLOW_SRC_AS, 100, 200);
    zrange(&z, FLOW_DST_AS, 300, 300);
    assert_int_equal(verdict("src as 99", &z), NONE);
    assert_int_equal(verdict("as 300", &z), ALL);
    assert_int_equal(verdict("as in [50 250]", &z), NONE);
    assert_int_equal(verdict("src as in [50 150]", &z), SOME);
    zrange(&z, FLOW_TOS, 0, 0);
    assert_int_equal(verdict("tos 3", &z), NONE);
    assert_int_equal(verdict("tos 0", &z), ALL);
    /* addresses */
    z = w;
    zaddr(&z, FLOW_SRC_ADDR, "10.0.0.5", "10.0.0.200");
    zaddr(&z, FLOW_DST_ADDR, "192.0.2.1", "192.0.2.99");
    assert_int_equal(verdict("src ip 10.0.0.4", &z), NONE);
    assert_int_equal(verdict("src ip 10.0.0.5", &z), SOME);
    assert_int_equal(verdict("src ip 10.0.0.201", &z), NONE);
    assert_int_equal(verdict("src net 10.0.0.0/24", &z), ALL);
    assert_int_equal(verdict("src net 10.0.0.0/25", &z), SOME);
    assert_int_equal(verdict("src net 10.0.1.0/24", &z), NONE);
    assert_int_equal(verdict("src net 2001:db8::/32", &z), NONE);
    assert_int_equal(verdict("net 192.0.2.0/24", &z), ALL);
    assert_int_equal(verdict("net 198.51.100.0/24", &z), NONE);
    assert_int_equal(verdict("net 10.0.0.0 255.255.0.255", &z), SOME);
    assert_int_equal(verdict("net 10.1.0.0 255.255.0.255", &z), NONE);
    assert_int_equal(verdict("ip in [10.0.1.0/24 11.0.0.1 2001:db8::1]", &z), NONE);
    assert_int_equal(verdict("ip in [10.0.0.64/26]", &z), SOME);
    assert_int_equal(verdict("dst ip in [192.0.2.100/30]", &z), NONE);
    assert_int_equal(verdict("ipv4", &z), ALL);
    assert_int_equal(verdict("ipv6", &z), NONE);
    zaddr(&z, FLOW_SRC_ADDR, "2001:db8::1", "2001:db8::1");
    assert_int_equal(verdict("ipv6", &z), ALL);
    assert_int_equal(verdict("src ip in [2001:db8::1]", &z), ALL);
    assert_int_equal(verdict("src ip 2001:db8::1", &z), ALL);
    zaddr(&z, FLOW_SRC_ADDR, "10.0.0.1", "2001:db8::1");    /* both families */
    assert_int_equal(verdict("ipv4", &z), SOME);
    zaddr(&z, FLOW_EXPORTER, "192.0.2.1", "192.0.2.1");
    assert_int_equal(verdict("router ip 192.0.2.1", &z), ALL);
    assert_int_equal(verdict("exporter 192.0.2.2", &z), NONE);
}

/* Zones made from slices of the random batch: a zone whose rows hold a
 * match must never be called NONE, and ALL must mean every row. */
static void test_zone_soundness(void **state)
{
    (void)state;
    static const char *const filters[] = {
        "dst port 23", "port in [22 23 443]", "not dst port 1024", "flags S and not flags A",
        "net 10.0.0.0/8 and not src ip 10.0.0.1", "ip in [10.0.0.0/30 2001:db8::/32]",
        "duration > 999 or packets < 2", "not (proto tcp or proto udp)", "ipv6",
        "icmp-type 8 or icmp-code 3", "net 10.0.0.0 255.0.0.255", "as in [1 64500] and tos 3",
        "router ip 192.0.2.1 and if 2", "flags 2 or flags > 63", "bytes >= 1k and bytes <= 1m",
    };
    uint8_t keep[NRAND];
    for (size_t k = 0; k < sizeof filters / sizeof filters[0]; k++) {
        filter *f = compile_ok(filters[k]);
        filter_eval(f, &rb, keep);
        size_t nonecount = 0;
        for (size_t width = 1; width <= 16; width *= 2) {
            for (size_t s = 0; s + width <= NRAND; s += width) {
                store_zone z;
                memset(&z, 0, sizeof z);
                z.records = width;
                for (int fld = 0; fld < FLOW_FIELD_COUNT; fld++) {
                    flow_value lo, hi, v;
                    flow_type t = flow_field_type((flow_field)fld);
                    flow_batch_value(&rb, (flow_field)fld, s, &lo);
                    hi = lo;
                    for (size_t i = s + 1; i < s + width; i++) {
                        flow_batch_value(&rb, (flow_field)fld, i, &v);
                        if (flow_value_cmp(t, &v, &lo) < 0) lo = v;
                        if (flow_value_cmp(t, &v, &hi) > 0) hi = v;
                    }
                    z.min[fld] = lo;
                    z.max[fld] = hi;
                }
                size_t hits = 0;
                for (size_t i = s; i < s + width; i++) hits += keep[i];
                int v = filter_zone_verdict(f, &z);
                if (v == NONE && hits) fail_msg("'%s': zone at %zu called NONE", filters[k], s);
                if (v == ALL && hits != width) fail_msg("'%s': zone at %zu called ALL", filters[k], s);
                if (width == 1 && v == SOME)    /* a single row is always decided */
                    fail_msg("'%s': single-row zone at %zu undecided", filters[k], s);
                nonecount += v == NONE;
            }
        }
        (void)nonecount;
        filter_free(f);
    }
}

/* ---- @FILE ---- */

static void test_file_lists(void **state)
{
    (void)state;
    const char *tmp = getenv("C2FLOW_TEST_TMP");
    char dir[512], path[600];
    snprintf(dir, sizeof dir, "%s/test_filter-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    char mk[600];
    snprintf(mk, sizeof mk, "mkdir -p '%s'", tmp && *tmp ? tmp : "/tmp");
    assert_int_equal(system(mk), 0);
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/c2 list.txt", dir);
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    fputs("# known C2\n192.0.2.1\n198.51.100.0/24 # a whole net\n2001:db8::/32,\n", fp);
    fclose(fp);
    snprintf(path, sizeof path, "%s/list.txt", dir);
    fp = fopen(path, "w");
    assert_non_null(fp);
    fputs("192.0.2.1\n198.51.100.0/24\n2001:db8::/32\n", fp);
    fclose(fp);

    filter *f;
    filter_error e;
    uint8_t k1[NRAND], k2[NRAND];
    filter *ref = compile_ok("ip in [192.0.2.1 198.51.100.0/24 2001:db8::/32]");
    filter_eval(ref, &rb, k1);
    /* relative to base_dir, quoted, absolute */
    static const char *const rel[] = {"ip in @list.txt", "host in @\"c2 list.txt\"",
                                      "ip in @'c2 list.txt'"};
    for (size_t i = 0; i < sizeof rel / sizeof rel[0]; i++) {
        if (filter_compile(rel[i], dir, &f, &e) != 0) fail_msg("%s: %s", rel[i], e.msg);
        filter_eval(f, &rb, k2);
        assert_memory_equal(k1, k2, NRAND);
        assert_int_equal(filter_fields(f), FLOW_BIT(FLOW_SRC_ADDR) | FLOW_BIT(FLOW_DST_ADDR));
        filter_free(f);
    }
    char abs_f[700];
    snprintf(abs_f, sizeof abs_f, "(ip in @%s)", path);
    assert_int_equal(filter_compile(abs_f, "/nonexistent", &f, &e), 0);
    filter_eval(f, &rb, k2);
    assert_memory_equal(k1, k2, NRAND);
    filter_free(f);
    filter_free(ref);
    /* src / dst */
    assert_int_equal(filter_compile("dst ip in @list.txt and not src ip in @list.txt", dir,
                                    &f, &e), 0);
    ref = compile_ok("dst ip in [192.0.2.1 198.51.100.0/24 2001:db8::/32] and "
                     "not src ip in [192.0.2.1 198.51.100.0/24 2001:db8::/32]");
    filter_eval(f, &rb, k1);
    filter_eval(ref, &rb, k2);
    assert_memory_equal(k1, k2, NRAND);
    filter_free(f);
    filter_free(ref);
    /* relative without base_dir: the current directory */
    char cwd[512];
    assert_non_null(getcwd(cwd, sizeof cwd));
    assert_int_equal(chdir(dir), 0);
    assert_int_equal(filter_compile("ip in @list.txt", NULL, &f, &e), 0);
    filter_free(f);
    assert_int_equal(chdir(cwd), 0);
    /* a missing file and a bad line: the @FILE token is underlined */
    const char *miss = "port 80 and ip in @missing.txt";
    assert_int_equal(filter_compile(miss, dir, &f, &e), -1);
    assert_int_equal(e.pos, 18);
    assert_int_equal(e.len, 12);
    assert_memory_equal(e.msg, "cannot read @missing.txt: ", 26);
    snprintf(path, sizeof path, "%s/bad.txt", dir);
    fp = fopen(path, "w");
    fputs("192.0.2.1\nnot-an-address\n", fp);
    fclose(fp);
    assert_int_equal(filter_compile("ip in @bad.txt", dir, &f, &e), -1);
    assert_memory_equal(e.msg, "cannot read @bad.txt: ", 22);
    assert_non_null(strstr(e.msg, ":2"));          /* the line is named */
    char rm[700];
    snprintf(rm, sizeof rm, "rm -rf '%s'", dir);
    assert_int_equal(system(rm), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_terms),
        cmocka_unit_test(test_precedence),
        cmocka_unit_test(test_any_and_constants),
        cmocka_unit_test(test_hand_made),
        cmocka_unit_test(test_chunks),
        cmocka_unit_test(test_set_views),
        cmocka_unit_test(test_fields),
        cmocka_unit_test(test_only_needed_columns),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_error_format),
        cmocka_unit_test(test_zones),
        cmocka_unit_test(test_zone_soundness),
        cmocka_unit_test(test_file_lists),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
