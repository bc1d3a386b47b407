/*
 * receiver.c: the UDP sockets and the thread that drains them.
 *
 * The receiver does as little as possible per datagram (one copy into the
 * queue, ring.h) so that it keeps up with the kernel at any rate the worker
 * can sustain on average; bursts go to the queue (collect.queue bytes) and the
 * socket buffer (collect.rcvbuf, forced past net.core.rmem_max when we run
 * as root).  recvmmsg() takes up to RX_BATCH datagrams per system call.
 *
 * Drops are counted where they happen: the kernel's, from the socket's
 * running total (SO_MEMINFO's SK_MEMINFO_DROPS, read once per wake, not
 * SO_RXQ_OVFL, which would add a control message to every datagram and
 * report a drop only when a later datagram comes); ours, when the queue is
 * full.  Neither is ever silent.  The same read gives the bytes waiting in
 * the socket's buffer, whose peak tells an operator how near the buffer
 * came to dropping before it does.
 */
#include "collect/collect_impl.h"

#include <errno.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define RX_BATCH 64
#define RX_MAX_DGRAM RING_MAX_DATAGRAM
/* Receive buffers lie this far apart: a bit more than the largest
 * datagram, so that the 64 datagrams of a call do not all start at the
 * same offset of a 64 KiB stride (they would fight for the same cache
 * sets). */
#define RX_STRIDE (RX_MAX_DGRAM + 1536)
#define RX_POLL_MS 100
#define RX_ROUNDS 256              /* recvmmsg() calls per socket per wake */
/* After the sockets are drained the receiver pauses, so that datagrams
 * gather in the socket buffer and each recvmmsg() takes many of them: a
 * wake-up costs several microseconds (more in a VM), and the worker, which
 * wakes as often, as much again.  The pause adapts to the rate: it doubles
 * while a wake reads less than a sixteenth of the socket buffer and halves
 * when it reads more than an eighth, so the buffer never fills past about
 * an eighth between reads, whatever its size; at a million records a
 * second and 32 MiB it settles at the longest pause. */
#define RX_PAUSE_MIN_NS 250000L
#define RX_PAUSE_MAX_NS 8000000L
/* What a datagram costs the socket buffer besides its bytes (the kernel
 * charges its whole allocation; an overestimate is the safe side). */
#define RX_CHARGE_PER_DGRAM 1024

static void sockaddr_to_flow(const struct sockaddr_storage *sa, flow_addr *a)
{
    if (sa->ss_family == AF_INET) {
        const struct sockaddr_in *v4 = (const struct sockaddr_in *)sa;
        flow_addr_from_v4(a, ntohl(v4->sin_addr.s_addr));
    } else if (sa->ss_family == AF_INET6) {
        memcpy(a->b, &((const struct sockaddr_in6 *)sa)->sin6_addr, 16);
    } else {
        memset(a, 0, sizeof *a);
    }
}

/* The biggest buffer we may have: SO_RCVBUFFORCE ignores rmem_max but
 * needs CAP_NET_ADMIN; without it SO_RCVBUF is capped by the kernel.  The
 * kernel doubles what it is given (bookkeeping), so ask for half. */
static void set_rcvbuf(collector *c, int fd, const char *name, uint64_t want)
{
    int v = want / 2 > INT32_MAX ? INT32_MAX : (int)(want / 2), got = 0;
    socklen_t len = sizeof got;
    if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &v, sizeof v) != 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &v, sizeof v);
    if (getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &got, &len) != 0) got = 0;
    if ((uint64_t)got < want)
        collect_logf(c, "warning: %s: receive buffer is %d bytes, not %llu "
                     "(run as root or raise net.core.rmem_max)", name, got,
                     (unsigned long long)want);
    if (got > 0 && (!c->rx_rcvbuf || (uint64_t)got < c->rx_rcvbuf))
        c->rx_rcvbuf = (uint64_t)got;
}

static int open_one(collector *c, const char *spec, uint64_t rcvbuf, c2_err *err)
{
    struct sockaddr_storage sa;
    unsigned salen;
    char name[C2_ENDPOINT_STRLEN];
    if (c2_endpoint_parse(spec, 1, &sa, &salen, err) != 0) return -1;
    if (c->nsocks == COLLECT_MAX_SOCKETS)
        return c2_fail(err, "more than %d listen addresses", COLLECT_MAX_SOCKETS);
    int fd = socket(sa.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return c2_fail_errno(err, "socket for %s", spec);
    int zero = 0;
    if (sa.ss_family == AF_INET6)   /* [::] also receives IPv4 */
        setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof zero);
    if (bind(fd, (struct sockaddr *)&sa, salen) != 0) {
        c2_fail_errno(err, "cannot listen on %s", spec);
        close(fd);
        return -1;
    }
    socklen_t sl = sizeof sa;
    getsockname(fd, (struct sockaddr *)&sa, &sl);
    c2_endpoint_format(&sa, name, sizeof name);
    set_rcvbuf(c, fd, name, rcvbuf);
    if (c->nsocks) strcat(c->bound, ",");
    strcat(c->bound, name);
    c->socks[c->nsocks] = fd;
    c->sock_drops[c->nsocks++] = 0;
    return 0;
}

int receiver_open(collector *c, const char *listen, uint64_t rcvbuf, c2_err *err)
{
    char spec[C2_ENDPOINT_STRLEN + 16];
    const char *p = listen;
    int rc;
    while ((rc = c2_endpoint_list_next(&p, spec, sizeof spec, err)) == 1)
        if (open_one(c, spec, rcvbuf, err) != 0) return -1;
    if (rc < 0) return -1;
    if (c->nsocks == 0) return c2_fail(err, "nothing to listen on");
    return 0;
}

void receiver_close(collector *c)
{
    for (int i = 0; i < c->nsocks; i++) close(c->socks[i]);
    c->nsocks = 0;
}

typedef struct rx_buffers {
    struct mmsghdr          msgs[RX_BATCH];
    struct iovec            iov[RX_BATCH];
    struct sockaddr_storage from[RX_BATCH];
    uint8_t                 data[RX_BATCH][RX_STRIDE];
} rx_buffers;

static void rx_prepare(rx_buffers *b)
{
    for (int i = 0; i < RX_BATCH; i++) {
        b->iov[i].iov_base = b->data[i];
        b->iov[i].iov_len = RX_MAX_DGRAM;
        struct msghdr *m = &b->msgs[i].msg_hdr;
        m->msg_name = &b->from[i];
        m->msg_namelen = sizeof b->from[i];
        m->msg_iov = &b->iov[i];
        m->msg_iovlen = 1;
        m->msg_control = NULL;
        m->msg_controllen = 0;
        m->msg_flags = 0;
    }
}

/* What the kernel says of socket i: its running drop count, added to
 * socket_drops, and the bytes waiting in its buffer, for socket_peak. */
static void note_socket(collector *c, int i)
{
    uint32_t mem[SK_MEMINFO_VARS] = {0};
    socklen_t len = sizeof mem;
    if (getsockopt(c->socks[i], SOL_SOCKET, SO_MEMINFO, mem, &len) != 0 ||
        len <= SK_MEMINFO_DROPS * sizeof mem[0])
        return;
    uint32_t delta = mem[SK_MEMINFO_DROPS] - c->sock_drops[i];
    c->sock_drops[i] = mem[SK_MEMINFO_DROPS];
    if (delta) atomic_fetch_add(&c->socket_drops, delta);
    uint64_t waiting = mem[SK_MEMINFO_RMEM_ALLOC];
    if (waiting > atomic_load_explicit(&c->socket_peak, memory_order_relaxed))
        atomic_store_explicit(&c->socket_peak, waiting, memory_order_relaxed);
}

void receiver_counts(collector *c, collect_counters *t)
{
    t->received = atomic_load(&c->received);
    t->received_bytes = atomic_load(&c->received_bytes);
    t->socket_drops = atomic_load(&c->socket_drops);
    t->socket_peak = atomic_load(&c->socket_peak);
    t->socket_buffer = c->rx_rcvbuf;
    t->queue_drops = atomic_load(&c->queue_drops);
    t->queue_backlog = ring_backlog(&c->ring);
    t->queue_memory = ring_allocated(&c->ring);
}

/* Read what one socket holds, RX_BATCH at a time, at most `rounds` calls;
 * adds the datagrams and bytes read to *n_read and *bytes_read. */
static void drain(collector *c, int sock, rx_buffers *b, int rounds, uint64_t *n_read,
                  uint64_t *bytes_read)
{
    for (int r = 0; r < rounds; r++) {
        rx_prepare(b);
        int n = recvmmsg(c->socks[sock], b->msgs, RX_BATCH, MSG_DONTWAIT, NULL);
        if (n <= 0) return;
        int64_t now = c2_now_ms();
        uint64_t bytes = 0, dropped = 0;
        for (int i = 0; i < n; i++) {
            struct msghdr *m = &b->msgs[i].msg_hdr;
            flow_addr from;
            uint32_t len = b->msgs[i].msg_len;
            bytes += len;
            if (m->msg_flags & MSG_TRUNC) len = RX_MAX_DGRAM; /* decoder rejects */
            sockaddr_to_flow(&b->from[i], &from);
            if (ring_push(&c->ring, b->data[i], len, now, &from) != 0) dropped++;
        }
        atomic_fetch_add(&c->received, (uint64_t)n);
        atomic_fetch_add(&c->received_bytes, bytes);
        if (dropped) atomic_fetch_add(&c->queue_drops, dropped);
        *n_read += (uint64_t)n;
        *bytes_read += bytes;
        if (n < RX_BATCH) return;
    }
}

/* The next pause, from what the last wake read (see RX_PAUSE_MIN_NS). */
static long next_pause(const collector *c, long pause, uint64_t n, uint64_t bytes)
{
    uint64_t charged = bytes + n * RX_CHARGE_PER_DGRAM, buf = c->rx_rcvbuf;
    if (!buf) return RX_PAUSE_MIN_NS;
    if (charged * 8 > buf) return pause / 2 > RX_PAUSE_MIN_NS ? pause / 2 : RX_PAUSE_MIN_NS;
    if (charged * 16 < buf) return pause * 2 < RX_PAUSE_MAX_NS ? pause * 2 : RX_PAUSE_MAX_NS;
    return pause;
}

static void *rx_main(void *arg)
{
    collector *c = arg;
    rx_buffers *b = malloc(sizeof *b);
    struct pollfd pfd[COLLECT_MAX_SOCKETS];
    long pause = RX_PAUSE_MIN_NS;
    uint64_t n = 0, bytes = 0;
    if (!b) {
        collect_logf(c, "error: receiver: out of memory");
        atomic_store(&c->rx_done, 1);
        return NULL;
    }
    for (int i = 0; i < c->nsocks; i++) pfd[i] = (struct pollfd){c->socks[i], POLLIN, 0};
    while (!atomic_load(&c->stop_rx)) {
        int ready = poll(pfd, (nfds_t)c->nsocks, RX_POLL_MS);
        if (ready < 0 && errno != EINTR) {
            collect_logf(c, "error: receiver: poll: %s", strerror(errno));
            break;
        }
        n = bytes = 0;
        for (int i = 0; i < c->nsocks; i++) {
            note_socket(c, i);      /* before reading: what the pause let gather */
            if (ready > 0 && pfd[i].revents) drain(c, i, b, RX_ROUNDS, &n, &bytes);
        }
        ring_flush(&c->ring);
        if (n) {
            pause = next_pause(c, pause, n, bytes);
            atomic_store_explicit(&c->rx_pause_ns, pause, memory_order_relaxed);
            struct timespec ts = {0, pause};
            nanosleep(&ts, NULL);
        }
    }
    /* Stopping: what the kernel already holds was received; read it. */
    for (int i = 0; i < c->nsocks; i++) {
        note_socket(c, i);
        drain(c, i, b, 4096, &n, &bytes);
        note_socket(c, i);
    }
    ring_flush(&c->ring);
    free(b);
    atomic_store(&c->rx_done, 1);
    return NULL;
}

int receiver_start(collector *c, c2_err *err)
{
    int rc = pthread_create(&c->rx_thread, NULL, rx_main, c);
    if (rc != 0) {
        errno = rc;
        return c2_fail_errno(err, "cannot start the receiver thread");
    }
    c->rx_started = 1;
    return 0;
}
