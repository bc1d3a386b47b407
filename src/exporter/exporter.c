/*
 * exporter.c: the sending side.  The destination (loopback only), one
 * connected UDP socket per source address, sendmmsg, pacing by rate, and
 * the counters.  Packing is encode.c's, follow mode follow.c's.
 *
 * Order.  The encoder queues datagrams in the order a router must send
 * them; across routers order does not matter, so the queue is sent source
 * by source (a stable sort by socket), which lets one sendmmsg carry up to
 * SEND_BATCH datagrams of one socket.
 *
 * Pacing.  exporter_send cuts its records into slices of about a
 * millisecond of the rate (16 to 4096 records); a slice is packed, then
 * the sender sleeps until the slice is due (t0 + records before it / rate)
 * and sends what filled up.  Flat out, slices are 4096 records.
 */
#include "exporter/exporter_impl.h"

#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define SEND_BATCH   64             /* datagrams per sendmmsg */
#define SLICE_MAX    4096           /* records packed before sending */
#define SLICE_MIN    16
#define BEHIND_MAX_S 1.0            /* later than this: a new schedule */

struct exporter {
    exporter_options opt;
    exporter_encoder *enc;
    struct sockaddr_storage dest;
    unsigned    destlen;
    int         one_source;
    int        *fds;                /* per source; -1 until opened */
    flow_addr  *src_addrs;          /* per source */
    uint32_t    nfds;
    uint32_t    routers_addressed;  /* routers whose source_addr is set */
    exp_follow *follow;
    uint64_t    sent;               /* datagrams the kernel took */
    int         last_errno;
    size_t      slice;              /* records per slice */
    int         paced;              /* the schedule has begun */
    double      t0;                 /* its start, CLOCK_MONOTONIC s */
    uint64_t    scheduled;          /* records since t0 */
    double      paced_s;
    uint32_t   *order, *counts;     /* send order by source (scratch) */
    size_t      cap_order, cap_counts;
    struct mmsghdr msgs[SEND_BATCH];
    struct iovec   iov[SEND_BATCH];
};

double exp_mono_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

void exp_sleep_until(const struct timespec *deadline)
{
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, deadline, NULL) == EINTR) {}
}

static struct timespec timespec_of(double s)
{
    struct timespec ts;
    ts.tv_sec = (time_t)s;
    ts.tv_nsec = (long)((s - (double)ts.tv_sec) * 1e9);
    if (ts.tv_nsec >= 1000000000L) { ts.tv_sec++; ts.tv_nsec -= 1000000000L; }
    if (ts.tv_nsec < 0) ts.tv_nsec = 0;
    return ts;
}

void exporter_options_default(exporter_options *o)
{
    memset(o, 0, sizeof *o);
    o->version = EXPORTER_NETFLOW_V9;
    o->template_every = 1000;
    o->template_refresh_s = 600;
    o->uptime_ms = C2_MS_PER_DAY;
    o->max_routers = 1024;
    o->router_sources = 1;
    o->sndbuf = 8u << 20;
    o->follow_window = 1024;
    o->follow_poll_ms = 5;
    o->follow_timeout_ms = 10000;
}

int exporter_parse_destination(const char *to, struct sockaddr_storage *sa, unsigned *salen,
                               c2_err *err)
{
    if (c2_endpoint_parse(to, 0, sa, salen, err) != 0) {
        c2_err_prefix(err, "exporter");
        return -1;
    }
    int loopback = 0;
    if (sa->ss_family == AF_INET)
        loopback = ntohl(((struct sockaddr_in *)sa)->sin_addr.s_addr) >> 24 == 127;
    else if (sa->ss_family == AF_INET6)
        loopback = IN6_IS_ADDR_LOOPBACK(&((struct sockaddr_in6 *)sa)->sin6_addr);
    if (!loopback) {
        char buf[C2_ENDPOINT_STRLEN];
        return c2_fail(err, "exporter: %s is not a loopback address (127.0.0.0/8 or "
                       "[::1]); flows are sent only to loopback",
                       c2_endpoint_format(sa, buf, sizeof buf));
    }
    return 0;
}

static int check_options(const exporter_options *o, c2_err *err)
{
    if (!(o->rate >= 0) || !isfinite(o->rate))
        return c2_fail(err, "exporter: rate must be >= 0 records/s");
    if (o->follow_url && !o->follow_window)
        return c2_fail(err, "exporter: follow window must be >= 1 datagram");
    if (o->follow_url && (!o->follow_timeout_ms || !o->follow_poll_ms))
        return c2_fail(err, "exporter: follow poll interval and timeout must be > 0 ms");
    return 0;
}

int exporter_open(const char *to, const exporter_options *opt, exporter **out, c2_err *err)
{
    *out = NULL;
    if (check_options(opt, err) != 0) return -1;
    exporter *ex = calloc(1, sizeof *ex);
    if (!ex) return c2_fail(err, "exporter: out of memory");
    ex->opt = *opt;
    ex->opt.follow_url = NULL;              /* follow.c keeps its own copy */
    if (exporter_parse_destination(to, &ex->dest, &ex->destlen, err) != 0) goto fail;
    int v4 = ex->dest.ss_family == AF_INET;
    if (!ex->opt.max_payload) ex->opt.max_payload = v4 ? 1500 - 20 - 8 : 1500 - 40 - 8;
    ex->one_source = !(v4 && opt->router_sources);
    if (exporter_encoder_new(&ex->opt, ex->one_source, &ex->enc, err) != 0) goto fail;
    if (opt->rate > 0) {
        double s = opt->rate / 1000.0;
        ex->slice = s < SLICE_MIN ? SLICE_MIN : s > SLICE_MAX ? SLICE_MAX : (size_t)s;
    } else {
        ex->slice = SLICE_MAX;
    }
    if (opt->follow_url && exp_follow_open(opt, &ex->follow, err) != 0) goto fail;
    *out = ex;
    return 0;
fail:
    exporter_close(ex);
    return -1;
}

void exporter_close(exporter *ex)
{
    if (!ex) return;
    for (uint32_t i = 0; i < ex->nfds; i++)
        if (ex->fds[i] >= 0) close(ex->fds[i]);
    free(ex->fds);
    free(ex->src_addrs);
    free(ex->order);
    free(ex->counts);
    exporter_encoder_free(ex->enc);
    exp_follow_free(ex->follow);
    free(ex);
}

/* ---- sockets ---- */

static void addr_of(const struct sockaddr_storage *ss, flow_addr *a)
{
    memset(a, 0, sizeof *a);
    if (ss->ss_family == AF_INET)
        flow_addr_from_v4(a, ntohl(((const struct sockaddr_in *)ss)->sin_addr.s_addr));
    else
        memcpy(a->b, &((const struct sockaddr_in6 *)ss)->sin6_addr, 16);
}

/* Socket of source k: connected to the destination, bound to 127.0.0.2 + k
 * when every exporter has its own source. */
static int open_source(exporter *ex, uint32_t k, c2_err *err)
{
    char buf[C2_ENDPOINT_STRLEN];
    int fd = socket(ex->dest.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return c2_fail_errno(err, "exporter: socket");
    int sb = (int)(ex->opt.sndbuf > INT32_MAX ? INT32_MAX : ex->opt.sndbuf);
    if (sb) setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sb, sizeof sb);  /* best effort */
    struct sockaddr_storage src;
    socklen_t srclen = sizeof src;
    if (!ex->one_source) {
        if (k > 0x00fffffdu) {
            close(fd);
            return c2_fail(err, "exporter: more exporters than loopback addresses");
        }
        struct sockaddr_in *sin = (struct sockaddr_in *)&src;
        memset(&src, 0, sizeof src);
        sin->sin_family = AF_INET;
        sin->sin_addr.s_addr = htonl(0x7f000002u + k);
        if (bind(fd, (struct sockaddr *)sin, sizeof *sin) != 0) {
            c2_fail_errno(err, "exporter: bind to %s", c2_endpoint_format(&src, buf, sizeof buf));
            close(fd);
            return -1;
        }
    }
    if (connect(fd, (struct sockaddr *)&ex->dest, ex->destlen) != 0 ||
        getsockname(fd, (struct sockaddr *)&src, &srclen) != 0) {
        c2_fail_errno(err, "exporter: connect to %s",
                      c2_endpoint_format(&ex->dest, buf, sizeof buf));
        close(fd);
        return -1;
    }
    ex->fds[k] = fd;
    addr_of(&src, &ex->src_addrs[k]);
    return 0;
}

/* Sockets for every source the encoder has handed out. */
static int open_sources(exporter *ex, c2_err *err)
{
    uint32_t n = exporter_encoder_source_count(ex->enc);
    if (n > ex->nfds) {
        int *fds = realloc(ex->fds, n * sizeof *fds);
        if (fds) ex->fds = fds;
        flow_addr *a = realloc(ex->src_addrs, n * sizeof *a);
        if (a) ex->src_addrs = a;
        if (!fds || !a) return c2_fail(err, "exporter: out of memory");
        while (ex->nfds < n) {
            ex->fds[ex->nfds] = -1;
            if (open_source(ex, ex->nfds, err) != 0) return -1;
            ex->nfds++;
        }
    }
    size_t nr = exporter_encoder_router_count(ex->enc);
    for (; ex->routers_addressed < nr; ex->routers_addressed++) {
        exporter_router *r = exporter_encoder_router(ex->enc, ex->routers_addressed);
        r->source_addr = ex->src_addrs[r->source];
    }
    return 0;
}

/* ---- sending ---- */

/* q[idx[0..n)] out of socket fd, in order; refused datagrams are counted
 * and skipped. */
static void send_batch(exporter *ex, int fd, const exporter_datagram *q, const uint32_t *idx,
                       size_t n)
{
    size_t done = 0;
    while (done < n) {
        unsigned k = (unsigned)(n - done);
        for (unsigned i = 0; i < k; i++) {
            const exporter_datagram *d = &q[idx[done + i]];
            ex->iov[i] = (struct iovec){d->data, d->len};
            memset(&ex->msgs[i], 0, sizeof ex->msgs[i]);
            ex->msgs[i].msg_hdr.msg_iov = &ex->iov[i];
            ex->msgs[i].msg_hdr.msg_iovlen = 1;
        }
        int sent = sendmmsg(fd, ex->msgs, k, 0);
        if (sent < 0) {
            if (errno == EINTR) continue;
            /* ECONNREFUSED: nothing listens (the kernel reports an earlier
             * refused datagram); skip this one, as a router would */
            ex->last_errno = errno;
            exporter_encoder_router(ex->enc, q[idx[done]].router)->c.send_errors++;
            done++;
            continue;
        }
        for (int i = 0; i < sent; i++) {
            const exporter_datagram *d = &q[idx[done + (size_t)i]];
            exporter_encoder_router(ex->enc, d->router)->c.bytes += d->len;
        }
        ex->sent += (uint64_t)sent;
        done += (size_t)sent;
    }
}

static int grow_u32(uint32_t **p, size_t *cap, size_t n, c2_err *err)
{
    if (n <= *cap) return 0;
    uint32_t *q = realloc(*p, n * sizeof *q);
    if (!q) return c2_fail(err, "exporter: out of memory");
    *p = q;
    *cap = n;
    return 0;
}

/* Queue indexes sorted by source, stable (a counting sort). */
static int sort_by_source(exporter *ex, const exporter_datagram *q, size_t n, c2_err *err)
{
    uint32_t ns = ex->nfds;
    if (grow_u32(&ex->order, &ex->cap_order, n, err) != 0 ||
        grow_u32(&ex->counts, &ex->cap_counts, (size_t)ns + 1, err) != 0)
        return -1;
    if (ns == 1) {
        for (size_t i = 0; i < n; i++) ex->order[i] = (uint32_t)i;
        return 0;
    }
    memset(ex->counts, 0, ((size_t)ns + 1) * sizeof *ex->counts);
    for (size_t i = 0; i < n; i++) ex->counts[q[i].source + 1]++;
    for (uint32_t s = 1; s <= ns; s++) ex->counts[s] += ex->counts[s - 1];
    for (size_t i = 0; i < n; i++) ex->order[ex->counts[q[i].source]++] = (uint32_t)i;
    return 0;
}

/* Send every queued datagram and empty the queue. */
static int send_queue(exporter *ex, c2_err *err)
{
    size_t n;
    const exporter_datagram *q = exporter_encoder_queue(ex->enc, &n);
    if (!n) return 0;
    if (open_sources(ex, err) != 0 || sort_by_source(ex, q, n, err) != 0) goto fail;
    for (size_t i = 0; i < n;) {
        uint32_t source = q[ex->order[i]].source;
        size_t k = 1;
        while (k < SEND_BATCH && i + k < n && q[ex->order[i + k]].source == source) k++;
        if (ex->follow) {
            uint64_t room;
            if (exp_follow_room(ex->follow, ex->sent, ex->opt.follow_window, &room, err) != 0)
                goto fail;
            if (k > room) k = (size_t)room;
        }
        send_batch(ex, ex->fds[source], q, ex->order + i, k);
        i += k;
    }
    exporter_encoder_clear(ex->enc);
    return 0;
fail:
    exporter_encoder_clear(ex->enc);        /* what was not sent is dropped */
    return -1;
}

/* Sleep until the slice after `scheduled` records is due. */
static void pace(exporter *ex, size_t records)
{
    double now = exp_mono_s();
    if (!ex->paced) {
        ex->paced = 1;
        ex->t0 = now;
        ex->scheduled = 0;
    }
    double due = ex->t0 + (double)ex->scheduled / ex->opt.rate;
    if (now - due > BEHIND_MAX_S) {
        ex->t0 = now - (double)ex->scheduled / ex->opt.rate;    /* no burst */
    } else if (due > now) {
        struct timespec ts = timespec_of(due);
        exp_sleep_until(&ts);
        ex->paced_s += exp_mono_s() - now;
    }
    ex->scheduled += records;
}

int exporter_send(exporter *ex, const flow_record *recs, size_t n, c2_err *err)
{
    for (size_t i = 0; i < n;) {
        size_t m = n - i < ex->slice ? n - i : ex->slice;
        /* what a bad record leaves packed still goes out */
        int rc = exporter_encoder_add(ex->enc, recs + i, m, err);
        if (ex->opt.rate > 0) pace(ex, m);
        if (send_queue(ex, rc ? NULL : err) != 0 || rc) return -1;
        i += m;
    }
    return 0;
}

int exporter_flush(exporter *ex, c2_err *err)
{
    if (exporter_encoder_finish(ex->enc, err) != 0 || send_queue(ex, err) != 0) return -1;
    if (ex->follow) return exp_follow_drain(ex->follow, ex->sent, err);
    return 0;
}

/* ---- counters ---- */

static void add_counters(exporter_counters *t, const exporter_counters *c)
{
    t->records += c->records;
    t->datagrams += c->datagrams;
    t->data_datagrams += c->data_datagrams;
    t->template_datagrams += c->template_datagrams;
    t->bytes += c->bytes;
    t->send_errors += c->send_errors;
}

void exporter_get_stats(const exporter *ex, exporter_stats *out)
{
    memset(out, 0, sizeof *out);
    size_t n = exporter_encoder_router_count(ex->enc);
    for (size_t i = 0; i < n; i++)
        add_counters(&out->total, &exporter_router_at(ex, i)->c);
    out->routers = (uint32_t)n;
    out->sources = ex->nfds;
    out->last_errno = ex->last_errno;
    out->paced_s = ex->paced_s;
    if (ex->follow) exp_follow_stats(ex->follow, out);
}

size_t exporter_router_count(const exporter *ex)
{
    return exporter_encoder_router_count(ex->enc);
}

const exporter_router *exporter_router_at(const exporter *ex, size_t i)
{
    return exporter_encoder_router(ex->enc, i);
}
