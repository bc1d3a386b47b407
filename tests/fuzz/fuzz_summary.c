/*
 * fuzz_summary.c: libFuzzer target for the day summaries of graph
 * detection (src/detect/summary.c).
 *
 * Any bytes must be refused with a message or decode into a day whose
 * every index points inside its tables and whose sketches are sorted; a
 * decoded day must encode and decode again to the same counts.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "detect/detect_impl.h"

static void check_day(const dday *d)
{
    for (uint32_t i = 0; i < d->n_edge; i++)
        if (d->edge[i].host >= d->n_host || d->edge[i].dest >= d->n_dest) abort();
    for (uint32_t i = 0; i < d->n_dest; i++) {
        const dsketch *s = &d->dest[i].clients;
        const uint32_t *v = dsketch_vals(s);
        if (s->n > DSKETCH_CLIENTS) abort();
        for (uint32_t j = 1; j < s->n; j++)
            if (v[j] <= v[j - 1]) abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    dday d;
    c2_err err;
    if (summary_decode(data, size, &d, &err) != 0) {
        if (!err.msg[0] || strchr(err.msg, '\n')) abort();
        return 0;
    }
    check_day(&d);
    uint8_t *buf;
    size_t len;
    if (summary_encode(&d, &buf, &len, &err) == 0) {
        dday again;
        if (summary_decode(buf, len, &again, &err) != 0) abort();
        if (again.n_host != d.n_host || again.n_dest != d.n_dest || again.n_edge != d.n_edge)
            abort();
        dday_free(&again);
        free(buf);
    }
    dday_free(&d);
    return 0;
}
