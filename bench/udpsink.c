/*
 * udpsink.c: the floor under any flow collector's CPU per record on this
 * machine: receive the datagrams and (with -d) decode them, store nothing.
 *
 * bench/collect.sh runs it beside nfcapd and c2flow, measured the same way
 * (the process's user + system time over its life / records), so one run
 * shows how much of a collector's budget the kernel's UDP receive takes
 * before any work of its own, and how much c2flow's decoder adds.
 *
 * Receiving is done as cheaply as a collector can on a plain UDP socket:
 * a 128 MiB buffer (SO_RCVBUFFORCE, else SO_RCVBUF), poll, then recvmmsg
 * 64 datagrams at a time until the socket is empty, then a 1 ms pause so
 * that the next wake finds a batch waiting (c2flow's receiver pauses too,
 * adaptively).  Without -d a datagram's records are counted from its
 * NetFlow v9 / IPFIX header alone (v9: the header's count when the first
 * set is a data set; IPFIX: not counted, use -d); with -d src/decode turns
 * them into flow_records, which are counted and dropped.
 *
 * Usage: udpsink [-d] -p PORT [-b ADDR]; SIGTERM or SIGINT ends it, and it
 * prints one line "RESULT datagrams=... bytes=... records=...".
 * Exit 0, 1 on a socket error, 2 on usage.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "decode/decode.h"

#define BATCH 64
#define MAX_DGRAM 65536
#define RCVBUF (128 * 1024 * 1024)

static volatile sig_atomic_t stop;
static void on_signal(int sig) { (void)sig; stop = 1; }

typedef struct sink {
    int       fd;
    decoder  *dec;                  /* NULL: count from headers only */
    uint64_t  datagrams, bytes, records;
    struct mmsghdr     msgs[BATCH];
    struct iovec       iov[BATCH];
    struct sockaddr_in from[BATCH];
    uint8_t  (*data)[MAX_DGRAM];
} sink;

/* Records of one datagram without decoding it: a v9 data packet's count. */
static uint64_t header_records(const uint8_t *p, size_t len)
{
    if (len < 22 || p[0] != 0 || p[1] != 9) return 0;
    uint16_t count = (uint16_t)(p[2] << 8 | p[3]);
    uint16_t set = (uint16_t)(p[20] << 8 | p[21]);
    return set >= 256 ? count : 0;
}

static void take(sink *s, int i)
{
    const uint8_t *p = s->data[i];
    size_t len = s->msgs[i].msg_len;
    s->datagrams++;
    s->bytes += len;
    if (!s->dec) {
        s->records += header_records(p, len);
        return;
    }
    flow_addr a;
    flow_addr_from_v4(&a, ntohl(s->from[i].sin_addr.s_addr));
    const flow_record *out;
    size_t n = 0;
    c2_err err;                     /* a malformed datagram counts what decoded */
    (void)decoder_decode(s->dec, &a, p, len, 0, &out, &n, &err);
    s->records += n;
}

/* Read until the socket is empty; -1 on an error. */
static int drain(sink *s)
{
    for (;;) {
        for (int i = 0; i < BATCH; i++) {
            s->iov[i] = (struct iovec){s->data[i], MAX_DGRAM};
            s->msgs[i].msg_hdr = (struct msghdr){.msg_name = &s->from[i],
                                                 .msg_namelen = sizeof s->from[i],
                                                 .msg_iov = &s->iov[i], .msg_iovlen = 1};
        }
        int n = recvmmsg(s->fd, s->msgs, BATCH, MSG_DONTWAIT, NULL);
        if (n < 0) return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ? 0 : -1;
        for (int i = 0; i < n; i++) take(s, i);
        if (n < BATCH) return 0;
    }
}

static int open_socket(const char *addr, int port)
{
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    int buf = RCVBUF;
    if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &buf, sizeof buf) != 0)
        (void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buf, sizeof buf);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    if (inet_pton(AF_INET, addr, &sa.sin_addr) != 1 ||
        bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

int main(int argc, char **argv)
{
    const char *addr = "127.0.0.1";
    int port = 0, decode = 0, c;
    while ((c = getopt(argc, argv, "dp:b:h")) != -1) {
        switch (c) {
        case 'd': decode = 1; break;
        case 'p': port = atoi(optarg); break;
        case 'b': addr = optarg; break;
        default: goto usage;
        }
    }
    if (port <= 0 || port > 65535 || optind != argc) goto usage;
    sink *s = calloc(1, sizeof *s);
    if (!s || !(s->data = malloc(BATCH * sizeof *s->data))) {
        fprintf(stderr, "udpsink: out of memory\n");
        return 1;
    }
    c2_err err;
    if (decode && decoder_new(NULL, &s->dec, &err) != 0) {
        fprintf(stderr, "udpsink: %s\n", err.msg);
        return 1;
    }
    if ((s->fd = open_socket(addr, port)) < 0) {
        fprintf(stderr, "udpsink: %s:%d: %s\n", addr, port, strerror(errno));
        return 1;
    }
    struct sigaction sa = {.sa_handler = on_signal};
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    struct pollfd pfd = {s->fd, POLLIN, 0};
    int rc = 0;
    while (!stop) {
        int ready = poll(&pfd, 1, 100);
        if (ready < 0 && errno != EINTR) break;
        if (ready <= 0) continue;
        if (drain(s) != 0) {
            fprintf(stderr, "udpsink: recvmmsg: %s\n", strerror(errno));
            rc = 1;
            break;
        }
        nanosleep(&(struct timespec){0, 1000000}, NULL);
    }
    if (rc == 0 && drain(s) != 0) rc = 1;
    printf("RESULT datagrams=%" PRIu64 " bytes=%" PRIu64 " records=%" PRIu64 "\n",
           s->datagrams, s->bytes, s->records);
    if (s->dec) decoder_free(s->dec);
    close(s->fd);
    free(s->data);
    free(s);
    return rc;
usage:
    fprintf(stderr, "usage: udpsink [-d] -p PORT [-b ADDR]\n");
    return 2;
}
