/*
 * metrics.c: the /metrics page (Prometheus text format 0.0.4, served by
 * libmicrohttpd on its own thread) and the periodic counter log line.
 *
 * Both read the snapshot the worker publishes (collect_impl.h), never the
 * worker's live state, so a scrape costs the worker nothing but the copy
 * it makes anyway a few times a second.  The receiver's own counters
 * (datagrams and bytes read, socket and queue drops) are atomics and are
 * read live, so that a sender pacing itself by this page (c2flow simulate
 * --follow) sees the socket drain without the snapshot's delay.  Counter names end in _total as
 * Prometheus expects; per-exporter series carry the exporter's address and
 * the protocol it last spoke.
 */
#include "collect/collect_impl.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dynlib/mhd.h"

/* A growing text buffer; on allocation failure it stops growing and the
 * page is served short rather than not at all. */
typedef struct text {
    char  *p;
    size_t len, cap;
} text;

static void tprintf(text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void tprintf(text *t, const char *fmt, ...)
{
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(t->p ? t->p + t->len : NULL, t->p ? t->cap - t->len : 0, fmt, ap);
        va_end(ap);
        if (n < 0) return;
        if (t->p && t->len + (size_t)n < t->cap) {
            t->len += (size_t)n;
            return;
        }
        size_t cap = (t->cap ? t->cap * 2 : 8192) + (size_t)n;
        char *q = realloc(t->p, cap);
        if (!q) return;
        t->p = q;
        t->cap = cap;
    }
}

typedef struct global_metric {
    const char *name, *help;
    size_t      offset;             /* in collect_counters */
    int         gauge;
} global_metric;

#define CC(f) offsetof(collect_counters, f)
static const global_metric globals[] = {
    {"c2flow_collect_datagrams_total", "Export datagrams read from the sockets.", CC(received), 0},
    {"c2flow_collect_bytes_total", "Bytes of export datagrams read.", CC(received_bytes), 0},
    {"c2flow_collect_socket_drops_total", "Datagrams the kernel dropped (socket buffer full).", CC(socket_drops), 0},
    {"c2flow_collect_socket_backlog_peak_bytes", "Most bytes seen waiting in a socket's receive buffer (near the buffer size, drops are close).", CC(socket_peak), 1},
    {"c2flow_collect_socket_buffer_bytes", "The smallest receive buffer the kernel gave a socket.", CC(socket_buffer), 1},
    {"c2flow_collect_queue_drops_total", "Datagrams dropped because the decode queue was full.", CC(queue_drops), 0},
    {"c2flow_collect_queue_backlog_bytes", "Bytes of datagrams waiting to be decoded.", CC(queue_backlog), 1},
    {"c2flow_collect_queue_memory_bytes", "Bytes the decode queue holds allocated (it grows with the backlog, up to collect.queue).", CC(queue_memory), 1},
    {"c2flow_collect_stored_records_total", "Flow records handed to the store.", CC(stored), 0},
    {"c2flow_collect_expired_records_total", "Flow records older than retention, not stored.", CC(expired), 0},
    {"c2flow_collect_store_errors_total", "Failed store appends, seals and template saves.", CC(store_errors), 0},
    {"c2flow_collect_segments_total", "Store segments sealed.", CC(segments), 0},
    {"c2flow_collect_template_saves_total", "Template state saves to the store.", CC(state_saves), 0},
    {"c2flow_collect_exporters", "Exporters seen since start.", CC(exporters), 1},
};

typedef struct exporter_metric {
    const char *name, *help;
    size_t      offset;             /* in decode_counters */
} exporter_metric;

#define DC(f) offsetof(decode_counters, f)
static const exporter_metric per_exporter[] = {
    {"c2flow_exporter_datagrams_total", "Datagrams received from the exporter.", DC(packets)},
    {"c2flow_exporter_bytes_total", "Bytes received from the exporter.", DC(bytes)},
    {"c2flow_exporter_decoded_records_total", "Flow records decoded.", DC(records)},
    {"c2flow_exporter_malformed_total", "Datagrams rejected as malformed.", DC(malformed)},
    {"c2flow_exporter_no_template_total", "Data records dropped for want of a template.", DC(no_template)},
    {"c2flow_exporter_lost_datagrams_total", "Datagrams missing by sequence number (NetFlow v9, sFlow).", DC(lost_packets)},
    {"c2flow_exporter_lost_records_total", "Records missing by sequence number (NetFlow v5, IPFIX, sFlow samples).", DC(lost_records)},
    {"c2flow_exporter_reordered_total", "Datagrams that arrived behind their sequence.", DC(reordered)},
    {"c2flow_exporter_sequence_resets_total", "Sequence jumps taken as exporter restarts, not loss.", DC(seq_resets)},
    {"c2flow_exporter_unknown_sampling_total", "Records stored with interval 1 because none was known.", DC(unknown_sampling)},
    {"c2flow_exporter_templates_total", "Template and options template records received.", DC(templates)},
    {"c2flow_exporter_withdrawals_total", "Template withdrawals received.", DC(withdrawals)},
    {"c2flow_exporter_other_records_total", "Non-flow records passed over.", DC(other)},
};

static void exporter_labels(const decode_exporter *e, char *buf, size_t len)
{
    char a[FLOW_ADDR_STRLEN];
    snprintf(buf, len, "exporter=\"%s\",protocol=\"%s\"",
             flow_addr_format(&e->addr, a, sizeof a), decode_proto_name(e->proto));
}

static void write_page(const collect_snapshot *s, text *t)
{
    char labels[128];
    for (size_t i = 0; i < sizeof globals / sizeof globals[0]; i++) {
        const global_metric *g = &globals[i];
        uint64_t v;
        memcpy(&v, (const char *)&s->total + g->offset, sizeof v);
        tprintf(t, "# HELP %s %s\n# TYPE %s %s\n%s %llu\n", g->name, g->help,
                g->name, g->gauge ? "gauge" : "counter", g->name,
                (unsigned long long)v);
    }
    for (size_t m = 0; m < sizeof per_exporter / sizeof per_exporter[0]; m++) {
        const exporter_metric *x = &per_exporter[m];
        tprintf(t, "# HELP %s %s\n# TYPE %s counter\n", x->name, x->help, x->name);
        for (size_t i = 0; i < s->nexporters; i++) {
            uint64_t v;
            memcpy(&v, (const char *)&s->exporters[i].c + x->offset, sizeof v);
            exporter_labels(&s->exporters[i], labels, sizeof labels);
            tprintf(t, "%s{%s} %llu\n", x->name, labels, (unsigned long long)v);
        }
    }
    static const char *const store_names[2] = {
        "c2flow_exporter_stored_records_total", "c2flow_exporter_expired_records_total"};
    static const char *const store_help[2] = {
        "Flow records of the exporter handed to the store.",
        "Flow records of the exporter older than retention, not stored."};
    for (int k = 0; k < 2; k++) {
        tprintf(t, "# HELP %s %s\n# TYPE %s counter\n", store_names[k], store_help[k],
                store_names[k]);
        for (size_t i = 0; i < s->nexporters; i++) {
            exporter_labels(&s->exporters[i], labels, sizeof labels);
            tprintf(t, "%s{%s} %llu\n", store_names[k], labels,
                    (unsigned long long)(k ? s->stores[i].expired : s->stores[i].stored));
        }
    }
    tprintf(t, "# HELP c2flow_exporter_sampling_interval Sampling interval last "
            "applied (1 in N; 0 = none yet).\n# TYPE c2flow_exporter_sampling_interval gauge\n");
    for (size_t i = 0; i < s->nexporters; i++) {
        exporter_labels(&s->exporters[i], labels, sizeof labels);
        tprintf(t, "c2flow_exporter_sampling_interval{%s} %u\n", labels,
                s->exporters[i].sampling);
    }
}

static enum MHD_Result answer(void *cls, struct MHD_Connection *conn,
                              const char *url, const char *method,
                              const char *version, const char *upload,
                              size_t *upload_len, void **state)
{
    collector *c = cls;
    (void)version; (void)upload; (void)upload_len; (void)state;
    struct MHD_Response *r;
    unsigned status = MHD_HTTP_OK;
    const char *type = "text/plain; version=0.0.4; charset=utf-8";
    if (strcmp(method, "GET") && strcmp(method, "HEAD")) {
        static const char msg[] = "only GET\n";
        status = MHD_HTTP_METHOD_NOT_ALLOWED;
        r = MHD_create_response_from_buffer(sizeof msg - 1, (void *)msg, MHD_RESPMEM_PERSISTENT);
    } else if (strcmp(url, "/metrics")) {
        static const char msg[] = "c2flow collect: counters are at /metrics\n";
        status = strcmp(url, "/") ? MHD_HTTP_NOT_FOUND : MHD_HTTP_OK;
        r = MHD_create_response_from_buffer(sizeof msg - 1, (void *)msg, MHD_RESPMEM_PERSISTENT);
    } else {
        text t = {0};
        pthread_mutex_lock(&c->lock);
        collect_snapshot *snap = &c->snap;
        receiver_counts(c, &snap->total);
        write_page(snap, &t);
        pthread_mutex_unlock(&c->lock);
        r = MHD_create_response_from_buffer(t.len, t.p, MHD_RESPMEM_MUST_FREE);
    }
    if (!r) return MHD_NO;
    MHD_add_response_header(r, "Content-Type", type);
    enum MHD_Result ok = MHD_queue_response(conn, status, r);
    MHD_destroy_response(r);
    return ok;
}

int metrics_start(collector *c, const char *endpoint, c2_err *err)
{
    struct sockaddr_storage sa;
    unsigned salen;
    if (dynlib_need(DYNLIB_MHD, err) != 0) return -1;
    if (c2_endpoint_parse(endpoint, 1, &sa, &salen, err) != 0) return -1;
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL;
    if (sa.ss_family == AF_INET6) flags |= MHD_USE_IPv6;
    uint16_t port = ntohs(sa.ss_family == AF_INET6
                              ? ((struct sockaddr_in6 *)&sa)->sin6_port
                              : ((struct sockaddr_in *)&sa)->sin_port);
    c->http = MHD_start_daemon(flags, port, NULL, NULL, answer, c,
                               MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
                               MHD_OPTION_CONNECTION_LIMIT, 16u,
                               MHD_OPTION_CONNECTION_TIMEOUT, 10u,
                               MHD_OPTION_END);
    if (!c->http) return c2_fail(err, "cannot serve /metrics on %s (address in use?)", endpoint);
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(c->http, MHD_DAEMON_INFO_LISTEN_FD);
    socklen_t sl = sizeof sa;
    if (info && getsockname(info->listen_fd, (struct sockaddr *)&sa, &sl) == 0)
        c2_endpoint_format(&sa, c->metrics_bound, sizeof c->metrics_bound);
    return 0;
}

void metrics_stop(collector *c)
{
    if (c->http) MHD_stop_daemon(c->http);
    c->http = NULL;
}

void metrics_log_line(collector *c, const collect_counters *t)
{
    const decode_counters *d = &t->decode;
    collect_logf(c, "counters: received=%llu decoded=%llu stored=%llu expired=%llu "
                 "malformed=%llu no_template=%llu lost_datagrams=%llu "
                 "lost_records=%llu unknown_sampling=%llu socket_drops=%llu "
                 "queue_drops=%llu exporters=%llu",
                 (unsigned long long)t->received, (unsigned long long)d->records,
                 (unsigned long long)t->stored, (unsigned long long)t->expired,
                 (unsigned long long)d->malformed, (unsigned long long)d->no_template,
                 (unsigned long long)d->lost_packets, (unsigned long long)d->lost_records,
                 (unsigned long long)d->unknown_sampling,
                 (unsigned long long)t->socket_drops, (unsigned long long)t->queue_drops,
                 (unsigned long long)t->exporters);
}
