/*
 * fuzz_exporter_metrics.c: libFuzzer target for the Prometheus page that
 * follow mode reads from a collector (exporter_metrics_parse, in
 * src/exporter/follow.c).
 *
 * The page is an HTTP body: any bytes, no terminating NUL.  It is parsed
 * from an exact-size copy, and then:
 *  - the result is 0 or -1, and an error is one line naming the counter;
 *  - parsing is deterministic;
 *  - a line appended after a newline adds to the counters as a sample
 *    does, whatever the bytes before it: "c2flow_collect_queue_drops_total
 *    7" adds 7 to queue_drops (saturating) and changes nothing else, and
 *    "c2flow_collect_datagrams_total 1" always makes the page acceptable.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "exporter/exporter.h"

static int parse(const uint8_t *data, size_t size, const char *tail,
                 exporter_collector_counts *c, c2_err *err)
{
    size_t tl = tail ? strlen(tail) : 0;
    char *copy = malloc(size + tl + 1);
    if (!copy) abort();
    memcpy(copy, data, size);
    if (tail) memcpy(copy + size, tail, tl);
    int rc = exporter_metrics_parse(copy, size + tl, c, err);
    free(copy);
    return rc;
}

static uint64_t sat_add(uint64_t a, uint64_t b) { return a > UINT64_MAX - b ? UINT64_MAX : a + b; }

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    exporter_collector_counts c, c2;
    c2_err err;
    int rc = parse(data, size, NULL, &c, &err);
    if (rc != 0 && rc != -1) abort();
    if (rc == -1 && (!strstr(err.msg, "c2flow_collect_datagrams_total") || strchr(err.msg, '\n')))
        abort();
    if (parse(data, size, NULL, &c2, &err) != rc || memcmp(&c, &c2, sizeof c)) abort();

    if (parse(data, size, "\nc2flow_collect_queue_drops_total 7\n", &c2, &err) != rc) abort();
    if (c2.queue_drops != sat_add(c.queue_drops, 7) || c2.received != c.received ||
        c2.decoded != c.decoded || c2.socket_drops != c.socket_drops)
        abort();

    if (parse(data, size, "\nc2flow_collect_datagrams_total 1", &c2, &err) != 0) abort();
    if (c2.received != sat_add(c.received, 1) || c2.decoded != c.decoded) abort();
    return 0;
}
