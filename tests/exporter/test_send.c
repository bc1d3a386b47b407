/*
 * test_send.c: the exporter over real loopback sockets: destinations and
 * follow URLs that are not loopback are refused; datagrams reach a UDP
 * socket the test opened, one source address per router (127.0.0.2 ...)
 * or one for all (::1), and decode back to every record; refused sends
 * are counted, not fatal; rate pacing never goes faster than asked.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "exp_test.h"

/* A UDP socket on addr:0 ("127.0.0.1" or "::1"); its "ADDR:PORT" in to.
 * -1 when the address family is not available. */
static int listen_udp(const char *addr, char *to, size_t len)
{
    struct sockaddr_storage ss;
    unsigned sl;
    char ep[64];
    snprintf(ep, sizeof ep, strchr(addr, ':') ? "[%s]:1" : "%s:1", addr);
    if (c2_endpoint_parse(ep, 0, &ss, &sl, NULL) != 0) fail_msg("endpoint %s", ep);
    ((struct sockaddr_in *)&ss)->sin_port = 0;      /* same offset in sockaddr_in6 */
    int fd = socket(ss.ss_family, SOCK_DGRAM, 0);
    if (fd < 0) return -1;
    int rb = 8 << 20;
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rb, sizeof rb);
    socklen_t l = sl;
    if (bind(fd, (struct sockaddr *)&ss, sl) != 0 ||
        getsockname(fd, (struct sockaddr *)&ss, &l) != 0) {
        close(fd);
        return -1;
    }
    c2_endpoint_format(&ss, to, len);
    return fd;
}

/* A thread that reads the test's socket while the exporter sends, so
 * that no datagram is lost to a full socket buffer; the datagrams are
 * decoded after it stops. */
typedef struct rx {
    int         fd;
    pthread_t   thread;
    atomic_int  stop;
    uint8_t    *buf;                /* { len (4) | from (16) | bytes } ... */
    size_t      len, cap;
    size_t      datagrams;
    uint64_t    bytes;
} rx;

static void *rx_main(void *arg)
{
    rx *r = arg;
    static uint8_t dg[65536];
    struct pollfd p = {r->fd, POLLIN, 0};
    for (;;) {
        int ready = poll(&p, 1, 20);
        if (ready <= 0) {
            if (atomic_load(&r->stop)) return NULL;   /* stopped and drained */
            continue;
        }
        struct sockaddr_storage from;
        socklen_t fl = sizeof from;
        ssize_t k = recvfrom(r->fd, dg, sizeof dg, 0, (struct sockaddr *)&from, &fl);
        if (k < 0) continue;
        flow_addr a;
        memset(&a, 0, sizeof a);
        if (from.ss_family == AF_INET)
            flow_addr_from_v4(&a, ntohl(((struct sockaddr_in *)&from)->sin_addr.s_addr));
        else
            memcpy(a.b, &((struct sockaddr_in6 *)&from)->sin6_addr, 16);
        if (r->len + 20 + (size_t)k > r->cap) {
            r->cap = (r->len + 20 + (size_t)k) * 2;
            r->buf = realloc(r->buf, r->cap);
            if (!r->buf) abort();
        }
        uint32_t n = (uint32_t)k;
        memcpy(r->buf + r->len, &n, 4);
        memcpy(r->buf + r->len + 4, a.b, 16);
        memcpy(r->buf + r->len + 20, dg, n);
        r->len += 20 + n;
        r->datagrams++;
        r->bytes += n;
    }
}

static void rx_start(rx *r, int fd)
{
    memset(r, 0, sizeof *r);
    r->fd = fd;
    atomic_init(&r->stop, 0);
    if (pthread_create(&r->thread, NULL, rx_main, r) != 0) fail_msg("pthread_create");
}

/* Stop once the socket has been quiet for 20 ms; decode what came. */
static void rx_stop(rx *r, decoder *d, got *g)
{
    atomic_store(&r->stop, 1);
    pthread_join(r->thread, NULL);
    for (size_t q = 0; q < r->len;) {
        uint32_t n;
        flow_addr a;
        memcpy(&n, r->buf + q, 4);
        memcpy(a.b, r->buf + q + 4, 16);
        decode_one(d, &a, r->buf + q + 20, n, g);
        q += 20 + n;
    }
    free(r->buf);
    r->buf = NULL;
}

static void refuses_non_loopback(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "192.0.2.1:2055", "[2001:db8::1]:2055", "2055", ":2055", "0.0.0.0:2055",
        "[::]:2055", "[::ffff:127.0.0.1]:2055", "10.0.0.1:9995",
    };
    static const char *const good[] = {"127.0.0.1:2055", "127.1.2.3:9", "[::1]:4739"};
    exporter_options o;
    exporter_options_default(&o);
    c2_err err;
    exporter *ex;
    struct sockaddr_storage ss;
    unsigned sl;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(exporter_open(bad[i], &o, &ex, &err), -1);
        assert_null(ex);
        if (!strstr(err.msg, "loopback")) fail_msg("%s: %s", bad[i], err.msg);
        assert_int_equal(exporter_parse_destination(bad[i], &ss, &sl, &err), -1);
    }
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
        assert_int_equal(exporter_parse_destination(good[i], &ss, &sl, &err), 0);
    assert_int_equal(exporter_open("127.0.0.1:0", &o, &ex, &err), -1);    /* port 0 */
    assert_int_equal(exporter_open("not an address", &o, &ex, &err), -1);

    /* the follow URL too */
    static const char *const bad_urls[] = {
        "http://192.0.2.1:9100/metrics", "http://[2001:db8::1]:9100/metrics",
        "https://127.0.0.1:9100/metrics", "ftp://127.0.0.1/metrics",
        "http://example.com/metrics", "not a url",
    };
    for (size_t i = 0; i < sizeof bad_urls / sizeof bad_urls[0]; i++) {
        o.follow_url = bad_urls[i];
        assert_int_equal(exporter_open("127.0.0.1:2055", &o, &ex, &err), -1);
        if (!strstr(err.msg, "follow")) fail_msg("%s: %s", bad_urls[i], err.msg);
    }
}

/* Several routers to 127.0.0.1: each exporter from its own address. */
static void routers_over_ipv4(void **state)
{
    (void)state;
    char to[64];
    int fd = listen_udp("127.0.0.1", to, sizeof to);
    assert_true(fd >= 0);
    for (int version = 9; version <= 10; version++) {
        exporter_options o;
        exporter_options_default(&o);
        o.version = version;
        exporter *ex;
        c2_err err;
        assert_int_equal(exporter_open(to, &o, &ex, &err), 0);
        enum { N = 3000 };
        static flow_record in[N];
        for (uint32_t i = 0; i < N; i++) in[i] = test_record(i, 1000, 3, 2);
        rx r;
        rx_start(&r, fd);
        assert_int_equal(exporter_send(ex, in, N, &err), 0);
        assert_int_equal(exporter_flush(ex, &err), 0);

        decoder *d = new_decoder();
        got g = {0};
        rx_stop(&r, d, &g);
        exporter_stats st;
        exporter_get_stats(ex, &st);
        assert_int_equal(st.total.records, N);
        assert_int_equal(r.datagrams, st.total.datagrams);
        assert_int_equal(r.bytes, st.total.bytes);
        assert_int_equal(st.total.send_errors, 0);
        assert_int_equal(st.routers, 6);
        assert_int_equal(st.sources, 3);
        assert_true(st.total.template_datagrams >= 6);

        /* exporter 192.0.2.(1 + k) sends from 127.0.0.(2 + k) */
        flow_addr x[N];
        for (uint32_t i = 0; i < N; i++) {
            uint32_t k = flow_addr_v4(&in[i].exporter) - 0xc0000201u;
            flow_addr_from_v4(&x[i], 0x7f000002u + k);
        }
        expect_same(in, N, &g, x);
        expect_clean(d);
        uint64_t per_router = 0;
        for (size_t k = 0; k < exporter_router_count(ex); k++) {
            const exporter_router *r = exporter_router_at(ex, k);
            assert_int_equal(flow_addr_v4(&r->source_addr),
                             0x7f000002u + flow_addr_v4(&r->exporter) - 0xc0000201u);
            assert_int_equal(r->interval, 1000);
            per_router += r->c.records;
        }
        assert_int_equal(per_router, N);
        free(g.r);
        decoder_free(d);
        exporter_close(ex);
    }
    close(fd);
}

/* To ::1, one socket: routers are told apart by domain. */
static void routers_over_ipv6(void **state)
{
    (void)state;
    char to[64];
    int fd = listen_udp("::1", to, sizeof to);
    if (fd < 0) skip();
    exporter_options o;
    exporter_options_default(&o);
    o.version = EXPORTER_IPFIX;
    exporter *ex;
    c2_err err;
    assert_int_equal(exporter_open(to, &o, &ex, &err), 0);
    enum { N = 2000 };
    static flow_record in[N];
    for (uint32_t i = 0; i < N; i++) in[i] = test_record(i, 7, 1, 4);
    rx r;
    rx_start(&r, fd);
    assert_int_equal(exporter_send(ex, in, N, &err), 0);
    assert_int_equal(exporter_flush(ex, &err), 0);
    decoder *d = new_decoder();
    got g = {0};
    rx_stop(&r, d, &g);
    exporter_stats st;
    exporter_get_stats(ex, &st);
    assert_int_equal(r.datagrams, st.total.datagrams);
    assert_int_equal(st.sources, 1);
    flow_addr x[N];
    for (uint32_t i = 0; i < N; i++) x[i] = A("::1");
    expect_same(in, N, &g, x);
    expect_clean(d);
    for (size_t i = 0; i < N; i++) in[i].exporter = A("192.0.2.99");   /* same domains */
    assert_int_equal(exporter_send(ex, in, 1, &err), -1);
    assert_non_null(strstr(err.msg, "tell them apart"));
    free(g.r);
    decoder_free(d);
    exporter_close(ex);
    close(fd);
}

/* Nothing listens: the sends are refused, counted, and the run goes on. */
static void refused_sends_counted(void **state)
{
    (void)state;
    char to[64];
    int fd = listen_udp("127.0.0.1", to, sizeof to);
    assert_true(fd >= 0);
    close(fd);                              /* the port is now closed */
    exporter_options o;
    exporter_options_default(&o);
    o.router_sources = 0;
    exporter *ex;
    c2_err err;
    assert_int_equal(exporter_open(to, &o, &ex, &err), 0);
    flow_record in[500];
    for (uint32_t i = 0; i < 500; i++) in[i] = test_record(i, 1, 1, 1);
    for (int k = 0; k < 4; k++) {
        assert_int_equal(exporter_send(ex, in, 500, &err), 0);
        assert_int_equal(exporter_flush(ex, &err), 0);
    }
    exporter_stats st;
    exporter_get_stats(ex, &st);
    assert_true(st.total.send_errors > 0);
    assert_true(st.total.send_errors <= st.total.datagrams);
    assert_int_equal(st.last_errno, ECONNREFUSED);
    exporter_close(ex);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* N records at R records/s take at least (N - one slice) / R: the last
 * slice is due then.  No upper bound: a busy machine may be slower. */
static void rate_pacing(void **state)
{
    (void)state;
    char to[64];
    int fd = listen_udp("127.0.0.1", to, sizeof to);
    assert_true(fd >= 0);
    exporter_options o;
    exporter_options_default(&o);
    o.rate = 20000;                         /* slices of 20 records */
    exporter *ex;
    c2_err err;
    assert_int_equal(exporter_open(to, &o, &ex, &err), 0);
    enum { N = 6000 };
    static flow_record in[N];
    for (uint32_t i = 0; i < N; i++) in[i] = test_record(i, 1, 2, 1);
    rx r;
    rx_start(&r, fd);
    double t0 = now_s();
    for (uint32_t i = 0; i < N; i += 1000)            /* the caller's batches */
        assert_int_equal(exporter_send(ex, in + i, 1000, &err), 0);
    assert_int_equal(exporter_flush(ex, &err), 0);
    double elapsed = now_s() - t0;
    double least = (N - 20) / o.rate;
    if (elapsed < least - 0.005) fail_msg("%d records at %.0f/s in %.3f s", N, o.rate, elapsed);
    exporter_stats st;
    exporter_get_stats(ex, &st);
    assert_true(st.paced_s > 0);
    decoder *d = new_decoder();
    got g = {0};
    rx_stop(&r, d, &g);
    assert_int_equal(r.datagrams, st.total.datagrams);
    assert_int_equal(g.n, N);
    free(g.r);
    decoder_free(d);
    exporter_close(ex);
    close(fd);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(refuses_non_loopback),
        cmocka_unit_test(routers_over_ipv4),
        cmocka_unit_test(routers_over_ipv6),
        cmocka_unit_test(refused_sends_counted),
        cmocka_unit_test(rate_pacing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
