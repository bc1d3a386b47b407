/*
 * test_follow.c: follow mode against a tiny collector made by the test: a
 * UDP socket and a libmicrohttpd page in the collector's format.  Each
 * page view takes what the socket holds but declares only a few more
 * datagrams received (or dropped by the kernel, or received and dropped by
 * the queue), so the exporter has to wait and poll.  The test checks that
 * no more than the window was ever sent and not yet accounted for, that
 * everything arrives, and that a stalled collector, a page that cannot be
 * fetched, a page of something else and counters that go back are errors.
 * Also the page parser on its own.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sys/socket.h>
#include <unistd.h>

#include "exp_test.h"

/* The fake collector. */
typedef struct fake {
    int      fd;                    /* where the exporter sends */
    char     to[64];                /* its "127.0.0.1:PORT" */
    struct MHD_Daemon *http;
    char     url[96];
    pthread_mutex_t lock;
    uint64_t taken;                 /* datagrams read off the socket */
    uint64_t received;              /* declared received */
    uint64_t socket_drops;          /* declared dropped by the kernel */
    uint64_t queue_drops;           /* declared received, then dropped */
    uint64_t max_backlog;           /* taken - accounted for, highest seen */
    uint32_t step;                  /* accounted for per page view */
    enum { RECEIVE, SOCKET_DROP, QUEUE_DROP } mode;
    uint64_t shift;                 /* added to every counter shown */
    unsigned status;                /* HTTP status (200) */
    int      other_page;            /* serve a page without our counters */
    uint64_t views;
} fake;

/* Everything sent so far is in the socket (loopback delivers at once):
 * take it all, so that the backlog is exactly what the exporter has in
 * flight, then account for `step` more. */
static void take_datagrams(fake *f)
{
    static uint8_t buf[65536];
    while (recv(f->fd, buf, sizeof buf, MSG_DONTWAIT) >= 0) f->taken++;
    uint64_t backlog = f->taken - f->received - f->socket_drops;
    if (backlog > f->max_backlog) f->max_backlog = backlog;
    uint64_t k = backlog < f->step ? backlog : f->step;
    if (f->mode == SOCKET_DROP) {
        f->socket_drops += k;
    } else {
        f->received += k;
        if (f->mode == QUEUE_DROP) f->queue_drops += k;
    }
}

static enum MHD_Result answer(void *cls, struct MHD_Connection *conn, const char *url,
                              const char *method, const char *version, const char *upload,
                              size_t *upload_len, void **state)
{
    fake *f = cls;
    (void)url; (void)method; (void)version; (void)upload; (void)upload_len; (void)state;
    char page[1024];
    pthread_mutex_lock(&f->lock);
    f->views++;
    take_datagrams(f);
    if (f->other_page)
        snprintf(page, sizeof page, "# a page of something else\nup 1\n");
    else
        snprintf(page, sizeof page,
                 "# HELP c2flow_collect_datagrams_total Export datagrams read.\n"
                 "# TYPE c2flow_collect_datagrams_total counter\n"
                 "c2flow_collect_datagrams_total %llu\n"
                 "c2flow_collect_socket_drops_total %llu\n"
                 "c2flow_collect_queue_drops_total %llu\n"
                 "c2flow_exporter_datagrams_total{exporter=\"127.0.0.1\",protocol=\"netflow-v9\"} %llu\n"
                 "c2flow_exporter_datagrams_total{exporter=\"192.0.2.1\",protocol=\"ipfix\"} %llu\n",
                 (unsigned long long)(f->received + f->shift),
                 (unsigned long long)(f->socket_drops + f->shift),
                 (unsigned long long)(f->queue_drops + f->shift),
                 (unsigned long long)(f->received - f->queue_drops + f->shift),
                 (unsigned long long)f->shift);
    unsigned status = f->status;
    pthread_mutex_unlock(&f->lock);
    struct MHD_Response *r =
        MHD_create_response_from_buffer(strlen(page), page, MHD_RESPMEM_MUST_COPY);
    if (!r) return MHD_NO;
    enum MHD_Result ok = MHD_queue_response(conn, status, r);
    MHD_destroy_response(r);
    return ok;
}

static fake *fake_start(uint32_t step)
{
    fake *f = calloc(1, sizeof *f);
    pthread_mutex_init(&f->lock, NULL);
    f->step = step;
    f->status = 200;
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(0x7f000001)};
    socklen_t al = sizeof a;
    f->fd = socket(AF_INET, SOCK_DGRAM, 0);
    int rb = 4 << 20;
    setsockopt(f->fd, SOL_SOCKET, SO_RCVBUF, &rb, sizeof rb);
    if (f->fd < 0 || bind(f->fd, (struct sockaddr *)&a, sizeof a) != 0 ||
        getsockname(f->fd, (struct sockaddr *)&a, &al) != 0)
        fail_msg("udp socket");
    snprintf(f->to, sizeof f->to, "127.0.0.1:%u", ntohs(a.sin_port));
    a.sin_port = 0;
    f->http = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL, 0, NULL, NULL,
                               answer, f, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&a,
                               MHD_OPTION_END);
    if (!f->http) fail_msg("MHD_start_daemon");
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(f->http, MHD_DAEMON_INFO_LISTEN_FD);
    al = sizeof a;
    if (!info || getsockname(info->listen_fd, (struct sockaddr *)&a, &al) != 0)
        fail_msg("listen fd");
    snprintf(f->url, sizeof f->url, "http://127.0.0.1:%u/metrics", ntohs(a.sin_port));
    return f;
}

static void fake_stop(fake *f)
{
    MHD_stop_daemon(f->http);
    close(f->fd);
    pthread_mutex_destroy(&f->lock);
    free(f);
}

static exporter *open_following(fake *f, uint32_t window, uint32_t timeout_ms, c2_err *err)
{
    exporter_options o;
    exporter_options_default(&o);
    o.follow_url = f->url;
    o.follow_window = window;
    o.follow_poll_ms = 1;
    o.follow_timeout_ms = timeout_ms;
    o.max_payload = 300;                    /* many datagrams from few records */
    exporter *ex = NULL;
    if (exporter_open(f->to, &o, &ex, err) != 0) return NULL;
    return ex;
}

static void send_records(exporter *ex, uint32_t n, int expect_rc, c2_err *err)
{
    flow_record *in = malloc(n * sizeof *in);
    for (uint32_t i = 0; i < n; i++) in[i] = test_record(i, 1, 2, 1);
    int rc = exporter_send(ex, in, n, err);
    if (rc == 0) rc = exporter_flush(ex, err);
    free(in);
    if (rc != expect_rc) fail_msg("send: %d (%s), want %d", rc, rc ? err->msg : "", expect_rc);
}

/* Follow a collector that accounts for 3 datagrams per page view, in
 * `mode`, with a window of `window`: never more in flight than that,
 * everything accounted for when the flush returns. */
static void follow_with(int mode, uint32_t window)
{
    fake *f = fake_start(3);
    f->mode = mode;
    f->shift = 1000;                        /* traffic from before: not ours */
    c2_err err;
    exporter *ex = open_following(f, window, 5000, &err);
    if (!ex) fail_msg("%s", err.msg);
    send_records(ex, 2000, 0, &err);
    exporter_stats st;
    exporter_get_stats(ex, &st);
    pthread_mutex_lock(&f->lock);
    assert_int_equal(f->taken, st.total.datagrams);
    assert_int_equal(f->received + f->socket_drops, st.total.datagrams);  /* flush waited */
    if (f->max_backlog > window)
        fail_msg("%llu datagrams in flight, window %u", (unsigned long long)f->max_backlog,
                 window);
    assert_true(f->max_backlog >= window / 2);      /* the window was used */
    pthread_mutex_unlock(&f->lock);
    assert_true(st.total.datagrams > 100);
    assert_true(st.follow_polls >= st.total.datagrams / 3);
    assert_int_equal(st.collector_drops, mode == RECEIVE ? 0 : st.total.datagrams);
    assert_int_equal(st.total.send_errors, 0);
    exporter_close(ex);
    fake_stop(f);
}

static void window_kept(void **state) { (void)state; follow_with(RECEIVE, 8); }
static void window_of_one(void **state) { (void)state; follow_with(RECEIVE, 1); }
/* the kernel's drops count as accounted for; the queue's are among the
 * received (counting them again would let the window overflow) */
static void socket_drops(void **state) { (void)state; follow_with(SOCKET_DROP, 16); }
static void queue_drops(void **state) { (void)state; follow_with(QUEUE_DROP, 16); }

/* A collector that takes nothing: an error after the timeout. */
static void stalled_collector(void **state)
{
    (void)state;
    fake *f = fake_start(0);
    c2_err err;
    exporter *ex = open_following(f, 4, 300, &err);
    if (!ex) fail_msg("%s", err.msg);
    send_records(ex, 500, -1, &err);
    assert_non_null(strstr(err.msg, "accounted for no datagram in 300 ms"));
    assert_non_null(strstr(err.msg, f->url));
    assert_true(f->max_backlog <= 4);
    exporter_close(ex);
    fake_stop(f);
}

static void page_errors(void **state)
{
    (void)state;
    c2_err err;
    fake *f = fake_start(100);

    /* nothing listens on the URL */
    char url[96];
    strcpy(url, f->url);
    MHD_stop_daemon(f->http);
    f->http = NULL;
    exporter_options o;
    exporter_options_default(&o);
    o.follow_url = url;
    exporter *ex;
    assert_int_equal(exporter_open(f->to, &o, &ex, &err), -1);
    assert_non_null(strstr(err.msg, url));
    close(f->fd);
    pthread_mutex_destroy(&f->lock);
    free(f);

    /* an HTTP error */
    f = fake_start(100);
    f->status = 404;
    assert_null(open_following(f, 8, 1000, &err));
    assert_non_null(strstr(err.msg, "404"));
    f->status = 200;

    /* a page that is not the collector's */
    f->other_page = 1;
    assert_null(open_following(f, 8, 1000, &err));
    assert_non_null(strstr(err.msg, "c2flow_collect_datagrams_total"));
    f->other_page = 0;

    /* counters that go back: the collector restarted */
    f->shift = 1000000;
    ex = open_following(f, 4, 1000, &err);
    if (!ex) fail_msg("%s", err.msg);
    pthread_mutex_lock(&f->lock);
    f->shift = 0;
    pthread_mutex_unlock(&f->lock);
    send_records(ex, 500, -1, &err);
    assert_non_null(strstr(err.msg, "went back"));
    exporter_close(ex);

    /* an error fetching the page in the middle of a run */
    f->shift = 0;
    ex = open_following(f, 4, 1000, &err);
    if (!ex) fail_msg("%s", err.msg);
    pthread_mutex_lock(&f->lock);
    f->status = 500;
    pthread_mutex_unlock(&f->lock);
    send_records(ex, 500, -1, &err);
    assert_non_null(strstr(err.msg, "500"));
    exporter_close(ex);
    fake_stop(f);
}

static void parse_page(void **state)
{
    (void)state;
    exporter_collector_counts c;
    c2_err err;
    static const char page[] =
        "# HELP c2flow_collect_datagrams_total Export datagrams read from the sockets.\n"
        "# TYPE c2flow_collect_datagrams_total counter\n"
        "c2flow_collect_datagrams_total 1234\n"
        "c2flow_collect_datagrams_total_other 7\n"
        "c2flow_collect_socket_drops_total 5 1700000000000\n"
        "c2flow_collect_queue_drops_total 6.0e0\n"
        "c2flow_exporter_datagrams_total{exporter=\"127.0.0.2\",protocol=\"ipfix\"} 100\n"
        "c2flow_exporter_datagrams_total{exporter=\"a}b \\\" c\",protocol=\"x\"} 20\r\n"
        "  c2flow_exporter_datagrams_total{exporter=\"::1\"}   3\n"
        "c2flow_exporter_datagrams_total{exporter=\"broken\" 999\n"
        "c2flow_exporter_datagrams_total -5\n"
        "c2flow_exporter_datagrams_total NaN\n"
        "c2flow_exporter_datagrams_total\n"
        "c2flow_exporter_datagrams_total 18446744073709551615\n"
        "c2flow_exporter_datagrams_total 99999999999999999999999";   /* no newline */
    assert_int_equal(exporter_metrics_parse(page, sizeof page - 1, &c, &err), 0);
    assert_int_equal(c.received, 1234);
    assert_int_equal(c.socket_drops, 5);
    assert_int_equal(c.queue_drops, 6);
    assert_int_equal(c.decoded, UINT64_MAX);    /* saturated */
    /* the same without the huge ones */
    size_t cut = (size_t)(strstr(page, "c2flow_exporter_datagrams_total 1844") - page);
    assert_int_equal(exporter_metrics_parse(page, cut, &c, &err), 0);
    assert_int_equal(c.decoded, 123);
    /* a page without the collector's counter */
    static const char other[] = "# c2flow_collect_datagrams_total 5\nup 1\n";
    assert_int_equal(exporter_metrics_parse(other, sizeof other - 1, &c, &err), -1);
    assert_non_null(strstr(err.msg, "c2flow_collect_datagrams_total"));
    assert_int_equal(exporter_metrics_parse("", 0, &c, &err), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(parse_page),
        cmocka_unit_test(window_kept),
        cmocka_unit_test(window_of_one),
        cmocka_unit_test(socket_drops),
        cmocka_unit_test(queue_drops),
        cmocka_unit_test(stalled_collector),
        cmocka_unit_test(page_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
