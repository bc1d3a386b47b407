/*
 * follow.c: follow mode, sending only as fast as the collector keeps up.
 *
 * The collector's Prometheus page says how many datagrams it has taken off
 * its sockets (c2flow_collect_datagrams_total, read live by the page) and
 * how many the kernel dropped for it (c2flow_collect_socket_drops_total).
 * Those counters are taken once when the exporter opens (the base: earlier traffic is not ours) and
 * again whenever the exporter wants to send more than the window allows;
 * a datagram is in flight from its send until the collector accounts for
 * it.  Received rather than decoded (c2flow_exporter_datagrams_total, which
 * the collector publishes only five times a second and would cap the rate at
 * five windows a second): the window bounds what waits in the kernel's
 * socket buffer, and the collector's own queue (256 MiB by default) absorbs
 * a decoder that falls behind; if it overflows, its queue drops
 * (c2flow_collect_queue_drops_total, a part of the received datagrams)
 * are reported in exporter_stats.collector_drops with the socket drops.
 *
 * The page comes through libcurl over one kept-alive connection, plain
 * HTTP to a loopback address only, never through a proxy, at most 16 MiB.
 * Its text is parsed here as untrusted bytes (tests/fuzz/fuzz_exporter_metrics.c).
 */
#include "exporter/exporter_impl.h"

#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "dynlib/curl.h"

#define PAGE_MAX      (16u << 20)
#define FETCH_TIMEOUT 5000L         /* ms, one page */

struct exp_follow {
    CURL    *curl;
    char    *url;
    char     curl_err[CURL_ERROR_SIZE];
    c2_buf   page;                  /* the page being read, at most PAGE_MAX */
    exporter_collector_counts base; /* at open */
    uint64_t acked;                 /* datagrams accounted for since base */
    uint64_t drops;                 /* of them, dropped */
    uint32_t poll_ms, timeout_ms;
    uint64_t polls;
    double   wait_s;
};

/* ---- the page ---- */

static const struct {
    const char *name;
    size_t      offset;
} wanted[] = {
    {"c2flow_collect_datagrams_total", offsetof(exporter_collector_counts, received)},
    {"c2flow_exporter_datagrams_total", offsetof(exporter_collector_counts, decoded)},
    {"c2flow_collect_socket_drops_total", offsetof(exporter_collector_counts, socket_drops)},
    {"c2flow_collect_queue_drops_total", offsetof(exporter_collector_counts, queue_drops)},
};

static int is_name_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '_' || c == ':';
}

static int is_blank(char c) { return c == ' ' || c == '\t' || c == '\r'; }

/* A sample value: a decimal integer, or a float (Prometheus allows both);
 * 0 and -1 for anything else (negative, NaN, +Inf). */
static int parse_value(const char *s, size_t n, uint64_t *out)
{
    char tok[64];
    if (n == 0 || n >= sizeof tok) return -1;
    memcpy(tok, s, n);
    tok[n] = 0;
    uint64_t v = 0;
    size_t i = 0;
    while (i < n && tok[i] >= '0' && tok[i] <= '9') {
        unsigned d = (unsigned)(tok[i++] - '0');
        v = v > (UINT64_MAX - d) / 10 ? UINT64_MAX : v * 10 + d;
    }
    if (i == n) {
        *out = v;
        return 0;
    }
    char *end;
    errno = 0;
    double x = strtod(tok, &end);
    if (*end || !isfinite(x) || x < 0) return -1;
    *out = x >= 18446744073709551615.0 ? UINT64_MAX : (uint64_t)x;
    return 0;
}

/* One line: `name[{labels}] value [timestamp]`; 1 when it gave a sample of
 * c2flow_collect_datagrams_total. */
static int parse_line(const char *s, size_t n, exporter_collector_counts *out)
{
    size_t i = 0;
    while (i < n && is_blank(s[i])) i++;
    if (i == n || s[i] == '#') return 0;
    size_t name = i;
    while (i < n && is_name_char(s[i])) i++;
    size_t name_len = i - name;
    if (i < n && s[i] == '{') {
        int quoted = 0, closed = 0;
        for (i++; i < n && !closed; i++) {
            if (quoted) {
                if (s[i] == '\\') i++;
                else if (s[i] == '"') quoted = 0;
            } else if (s[i] == '"') {
                quoted = 1;
            } else if (s[i] == '}') {
                closed = 1;
            }
        }
        if (!closed) return 0;
    }
    if (i >= n || !is_blank(s[i])) return 0;
    while (i < n && is_blank(s[i])) i++;
    size_t v0 = i;
    while (i < n && !is_blank(s[i])) i++;
    uint64_t v;
    if (parse_value(s + v0, i - v0, &v) != 0) return 0;
    for (size_t k = 0; k < sizeof wanted / sizeof wanted[0]; k++) {
        if (strlen(wanted[k].name) != name_len || memcmp(wanted[k].name, s + name, name_len))
            continue;
        uint64_t *t = (uint64_t *)((char *)out + wanted[k].offset);
        *t = *t > UINT64_MAX - v ? UINT64_MAX : *t + v;
        return k == 0;
    }
    return 0;
}

int exporter_metrics_parse(const char *page, size_t len, exporter_collector_counts *out,
                           c2_err *err)
{
    memset(out, 0, sizeof *out);
    int received = 0;
    for (size_t i = 0; i < len;) {
        const char *nl = memchr(page + i, '\n', len - i);
        size_t eol = nl ? (size_t)(nl - page) : len;
        received |= parse_line(page + i, eol - i, out);
        i = eol + 1;
    }
    if (!received)
        return c2_fail(err, "no c2flow_collect_datagrams_total on the page: not the "
                       "metrics of c2flow collect");
    return 0;
}

/* ---- fetching ---- */

static size_t on_body(char *data, size_t size, size_t nmemb, void *arg)
{
    exp_follow *f = arg;
    return c2_buf_append(&f->page, data, size * nmemb) == 0 ? size * nmemb : 0;
}

static int fetch(exp_follow *f, exporter_collector_counts *c, c2_err *err)
{
    f->page.len = 0;                    /* the buffer is kept for the next page */
    f->page.too_big = 0;
    f->page.max = PAGE_MAX;
    f->curl_err[0] = 0;
    CURLcode rc = curl_easy_perform(f->curl);
    f->polls++;
    if (f->page.too_big)
        return c2_fail(err, "exporter: follow: %s: page larger than %u bytes", f->url, PAGE_MAX);
    if (rc != CURLE_OK)
        return c2_fail(err, "exporter: follow: %s: %s", f->url,
                       f->curl_err[0] ? f->curl_err : curl_easy_strerror(rc));
    if (exporter_metrics_parse((const char *)f->page.data, f->page.len, c, err) != 0) {
        c2_err_prefix(err, "exporter: follow: %s", f->url);
        return -1;
    }
    return 0;
}

/* The host of the URL must be a loopback address, the scheme http. */
static int check_url(const char *url, c2_err *err)
{
    CURLU *u = curl_url();
    char *scheme = NULL, *host = NULL;
    int rc = -1;
    if (!u) return c2_fail(err, "exporter: out of memory");
    if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK) {
        c2_fail(err, "exporter: follow: '%s' is not a URL", url);
        goto out;
    }
    if (strcmp(scheme, "http") != 0) {
        c2_fail(err, "exporter: follow: '%s': only http:// is followed", url);
        goto out;
    }
    char h[INET6_ADDRSTRLEN + 2];
    size_t hl = strlen(host);
    struct in_addr a4;
    struct in6_addr a6;
    int loopback = 0;
    if (hl > 2 && hl < sizeof h && host[0] == '[' && host[hl - 1] == ']') {
        memcpy(h, host + 1, hl - 2);
        h[hl - 2] = 0;
        loopback = inet_pton(AF_INET6, h, &a6) == 1 && IN6_IS_ADDR_LOOPBACK(&a6);
    } else {
        loopback = inet_pton(AF_INET, host, &a4) == 1 && ntohl(a4.s_addr) >> 24 == 127;
    }
    if (!loopback) {
        c2_fail(err, "exporter: follow: '%s': the host must be a loopback address "
                "(127.0.0.0/8 or [::1])", url);
        goto out;
    }
    rc = 0;
out:
    curl_free(scheme);
    curl_free(host);
    curl_url_cleanup(u);
    return rc;
}

int exp_follow_open(const exporter_options *opt, exp_follow **out, c2_err *err)
{
    *out = NULL;
    if (dynlib_need(DYNLIB_CURL, err) != 0 || check_url(opt->follow_url, err) != 0) return -1;
    exp_follow *f = calloc(1, sizeof *f);
    if (!f) return c2_fail(err, "exporter: out of memory");
    f->url = strdup(opt->follow_url);
    f->curl = curl_easy_init();
    f->poll_ms = opt->follow_poll_ms;
    f->timeout_ms = opt->follow_timeout_ms;
    if (!f->url || !f->curl) {
        exp_follow_free(f);
        return c2_fail(err, "exporter: follow: cannot set up libcurl");
    }
    CURL *c = f->curl;
    int bad = 0;
    bad |= curl_easy_setopt(c, CURLOPT_URL, f->url) != CURLE_OK;
    bad |= curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http") != CURLE_OK;
    bad |= curl_easy_setopt(c, CURLOPT_NOPROXY, "*") != CURLE_OK;
    bad |= curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L) != CURLE_OK;
    bad |= curl_easy_setopt(c, CURLOPT_FAILONERROR, 1L) != CURLE_OK;
    bad |= curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, FETCH_TIMEOUT) != CURLE_OK;
    bad |= curl_easy_setopt(c, CURLOPT_ERRORBUFFER, f->curl_err) != CURLE_OK;
    bad |= curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body) != CURLE_OK;
    bad |= curl_easy_setopt(c, CURLOPT_WRITEDATA, f) != CURLE_OK;
    if (bad) {
        exp_follow_free(f);
        return c2_fail(err, "exporter: follow: cannot set up libcurl");
    }
    if (fetch(f, &f->base, err) != 0) {
        exp_follow_free(f);
        return -1;
    }
    *out = f;
    return 0;
}

void exp_follow_free(exp_follow *f)
{
    if (!f) return;
    if (f->curl) curl_easy_cleanup(f->curl);
    free(f->url);
    c2_buf_free(&f->page);
    free(f);
}

/* Counters since the base: 0, or -1 when one went backwards. */
static int since_base(exp_follow *f, const exporter_collector_counts *c, c2_err *err)
{
    const exporter_collector_counts *b = &f->base;
    if (c->received < b->received || c->socket_drops < b->socket_drops ||
        c->queue_drops < b->queue_drops)
        return c2_fail(err, "exporter: follow: %s: the collector's counters went back "
                       "(restarted?)", f->url);
    uint64_t socket_drops = c->socket_drops - b->socket_drops;
    f->drops = socket_drops + (c->queue_drops - b->queue_drops);
    /* a datagram the queue dropped was received first: only the kernel's
     * drops come on top of the received ones */
    f->acked = (c->received - b->received) + socket_drops;
    return 0;
}

static uint64_t in_flight(const exp_follow *f, uint64_t sent)
{
    return sent > f->acked ? sent - f->acked : 0;
}

/* Datagrams in flight at most `limit`? */
static int fits(const exp_follow *f, uint64_t sent, uint64_t limit)
{
    return in_flight(f, sent) <= limit;
}

/* Poll the page until at most `limit` datagrams are in flight. */
static int wait_until(exp_follow *f, uint64_t sent, uint64_t limit, c2_err *err)
{
    if (fits(f, sent, limit)) return 0;
    double start = exp_mono_s(), progress = start;
    for (;;) {
        exporter_collector_counts c;
        uint64_t before = f->acked;
        if (fetch(f, &c, err) != 0 || since_base(f, &c, err) != 0) break;
        double now = exp_mono_s();
        if (f->acked != before) progress = now;
        if (fits(f, sent, limit)) {
            f->wait_s += now - start;
            return 0;
        }
        if ((now - progress) * 1000 >= f->timeout_ms) {
            c2_fail(err, "exporter: follow: %s: the collector accounted for no datagram in "
                    "%u ms (%llu sent, %llu received or dropped since start)", f->url,
                    f->timeout_ms, (unsigned long long)sent, (unsigned long long)f->acked);
            break;
        }
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        ts.tv_nsec += (long)f->poll_ms * 1000000L;
        ts.tv_sec += ts.tv_nsec / 1000000000L;
        ts.tv_nsec %= 1000000000L;
        exp_sleep_until(&ts);
    }
    f->wait_s += exp_mono_s() - start;
    return -1;
}

int exp_follow_room(exp_follow *f, uint64_t sent, uint64_t window, uint64_t *room, c2_err *err)
{
    /* wait for half the window to drain, not for one slot: sending one
     * datagram per page fetch would pace the sender by HTTP round trips */
    if (wait_until(f, sent, window / 2, err) != 0) return -1;
    *room = window - in_flight(f, sent);
    return 0;
}

int exp_follow_drain(exp_follow *f, uint64_t sent, c2_err *err)
{
    return wait_until(f, sent, 0, err);
}

void exp_follow_stats(const exp_follow *f, exporter_stats *st)
{
    st->follow_polls = f->polls;
    st->follow_wait_s = f->wait_s;
    st->collector_drops = f->drops;
}
