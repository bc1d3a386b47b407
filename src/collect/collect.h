/*
 * collect: the collector daemon's machinery.  UDP sockets receive export
 * datagrams; a decode worker turns them into flow records (src/decode/)
 * and appends them to the store; counters are kept per exporter, shown on
 * a Prometheus /metrics page and in a periodic log line.
 *
 * Two threads do the work, so that the socket is never left unread while
 * records are compressed: a receiver drains every socket with recvmmsg()
 * into a byte ring (collect.queue bytes), and the worker empties the ring.
 * When the ring is full the receiver drops the datagram and counts it
 * (queue_drops); what the kernel drops is counted from SO_RXQ_OVFL
 * (socket_drops); what the exporters say was lost is counted from their
 * sequence numbers (decode counters).
 *
 * Templates are saved in the store (store_state_put, name "templates")
 * when they change and at stop, and loaded at start, so that a restarted
 * collector decodes data that arrives before the next template refresh.
 *
 * The library never installs signal handlers and never prints: the
 * command front calls collector_reload / collector_stop from its signal
 * loop, and receives one-line events through the log callback.
 */
#ifndef C2FLOW_COLLECT_H
#define C2FLOW_COLLECT_H

#include <stdint.h>

#include "config/config.h"
#include "decode/decode.h"
#include "store/store.h"
#include "util/util.h"

typedef struct collector collector;

/* One event or counter line, without timestamp or newline (the caller
 * adds them); borrowed for the call.  Called from the collector's threads,
 * one call at a time. */
typedef void (*collect_log_fn)(void *arg, const char *line);

/* Counters of the collector itself (the decode counters are per exporter). */
typedef struct collect_counters {
    uint64_t received;              /* datagrams read from the sockets */
    uint64_t received_bytes;
    uint64_t socket_drops;          /* dropped by the kernel: socket buffer full */
    uint64_t socket_peak;           /* most bytes seen waiting in one socket's
                                       buffer when the receiver woke (gauge):
                                       near socket_buffer, drops are close */
    uint64_t socket_buffer;         /* the smallest receive buffer the kernel
                                       gave a socket (gauge) */
    uint64_t queue_drops;           /* dropped: the queue was full */
    uint64_t queue_backlog;         /* bytes waiting in the queue (gauge) */
    uint64_t queue_memory;          /* bytes the queue holds allocated (gauge) */
    uint64_t stored;                /* records handed to the store */
    uint64_t expired;               /* records older than retention, refused */
    uint64_t store_errors;          /* failed appends or seals (logged) */
    uint64_t segments;              /* segments sealed */
    uint64_t exporters;             /* exporters known */
    uint64_t state_saves;           /* template saves */
    decode_counters decode;         /* sum over exporters */
} collect_counters;

/* Bind the sockets of cfg->listen, load saved templates from the store,
 * start the receiver and the worker, and the /metrics server when
 * cfg->metrics is set.  The store stays the caller's; it must outlive the
 * collector.  On error nothing is left running. */
int  collector_start(const config_collect *cfg, store *st, collect_log_fn log,
                     void *log_arg, collector **out, c2_err *err);
/* Apply the options that can change while running (sampling overrides,
 * apply_sampling, log_interval, seal_after); the others are logged as
 * needing a restart.  Safe from any thread. */
void collector_reload(collector *c, const config_collect *cfg);
/* Stop receiving (what the kernel already holds is read first), decode and
 * store everything received, seal every slice, save templates, free. */
int  collector_stop(collector *c, collect_counters *final, c2_err *err);
/* A consistent copy of the counters (updated by the worker a few times a
 * second).  Safe from any thread. */
void collector_counters(collector *c, collect_counters *out);
/* The addresses actually bound, "ADDR:PORT" each, comma separated (useful
 * with port 0 in tests). */
const char *collector_bound(const collector *c);
const char *collector_metrics_bound(const collector *c);

#endif
