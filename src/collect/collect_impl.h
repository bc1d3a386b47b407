/*
 * collect_impl.h: INTERNAL to src/collect/.  The collector's state, shared
 * by its three files: collector.c (life cycle and the decode worker),
 * receiver.c (sockets and the receiver thread) and metrics.c (the /metrics
 * page and the counter log line).
 *
 * Who writes what: the receiver owns the sockets and its atomic counters;
 * the worker owns the decoder, the store writer and `stored`; both publish,
 * and the HTTP thread reads, only through `snap` under `lock`.
 */
#ifndef C2FLOW_COLLECT_IMPL_H
#define C2FLOW_COLLECT_IMPL_H

#include <pthread.h>
#include <stdatomic.h>
#include <sys/socket.h>

#include "collect/collect.h"
#include "collect/ring.h"

#define COLLECT_MAX_SOCKETS 16
#define COLLECT_MAX_EXPORTERS 4096

/* What the collector hands to the store, per exporter. */
typedef struct exporter_store_counts {
    flow_addr addr;
    uint64_t  stored;
    uint64_t  expired;
} exporter_store_counts;

/* A copy of every counter, for readers in other threads. */
typedef struct collect_snapshot {
    collect_counters total;
    decode_exporter *exporters;     /* COLLECT_MAX_EXPORTERS slots */
    exporter_store_counts *stores;  /* parallel to exporters */
    size_t           nexporters;
} collect_snapshot;

struct collector {
    store           *st;
    store_writer    *writer;
    decoder         *dec;
    collect_log_fn   log;
    void            *log_arg;
    pthread_mutex_t  log_lock;

    /* receiver */
    int              socks[COLLECT_MAX_SOCKETS];
    uint32_t         sock_drops[COLLECT_MAX_SOCKETS]; /* last SO_RXQ_OVFL */
    int              nsocks;
    char             bound[COLLECT_MAX_SOCKETS * (C2_ENDPOINT_STRLEN + 1)];
    ring             ring;
    pthread_t        rx_thread, worker_thread;
    int              rx_started, worker_started;
    atomic_int       stop_rx;       /* set by collector_stop */
    atomic_int       rx_done;       /* set by the receiver when it has left */
    _Atomic uint64_t received, received_bytes, socket_drops, queue_drops;
    _Atomic uint64_t socket_peak;   /* see collect_counters */
    uint64_t         rx_rcvbuf;     /* the smallest socket buffer we got */
    atomic_long      rx_pause_ns;   /* the receiver's pause between reads */

    /* worker */
    flow_record     *batch;         /* a datagram's unexpired records */
    size_t           nbatch;
    exporter_store_counts *stores;  /* per exporter, worker's own */
    exporter_store_counts *last_store; /* the one found last */
    size_t           nstores;
    collect_counters wc;            /* worker's own totals */
    int64_t          last_log_ms, last_save_ms, last_seal_ms, last_snap_ms;
    int              worker_error;
    c2_err           worker_err;

    /* options; `opt` is the worker's copy, `pending` a reload waiting */
    config_collect   opt;
    config_collect  *pending;
    pthread_mutex_t  pending_lock;

    /* what others read */
    pthread_mutex_t  lock;
    collect_snapshot snap;

    /* /metrics */
    struct MHD_Daemon *http;
    char             metrics_bound[C2_ENDPOINT_STRLEN];
};

/* collector.c */
void collect_logf(collector *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* receiver.c */
int  receiver_open(collector *c, const char *listen, uint64_t rcvbuf,
                   c2_err *err);
int  receiver_start(collector *c, c2_err *err);
void receiver_close(collector *c);
/* The receiver's counters and the queue's gauges into t (any thread). */
void receiver_counts(collector *c, collect_counters *t);

/* metrics.c */
int  metrics_start(collector *c, const char *endpoint, c2_err *err);
void metrics_stop(collector *c);
/* The periodic one-line summary of counters. */
void metrics_log_line(collector *c, const collect_counters *t);

#endif
