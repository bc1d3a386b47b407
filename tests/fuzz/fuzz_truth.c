/*
 * fuzz_truth.c: libFuzzer target for the simulator's truth file
 * (src/eval/truth.c) and the scoring run over whatever it accepts.
 *
 * Any bytes must give a truth or one printable error line.  An accepted
 * truth is scored against a list made from it (every other C2 server, first
 * seen at its birth, and every loader) at the end, at the start and with
 * --min-bots 5, and the figures must add up:
 *  - TP + FN = counted <= C2 in the truth; per address TP + FN <= counted;
 *  - families and bots buckets each sum to the counted servers, detected
 *    to TP; the >= 20 bots group is part of them;
 *  - timed lead and feed cases never exceed TP, and every ratio is NaN or
 *    within [0, 1];
 *  - all three output forms write.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eval/eval.h"

static void check_ratio(double x)
{
    if (!isnan(x) && !(x >= 0 && x <= 1)) abort();
}

static void check_counts(const eval_counts *c)
{
    check_ratio(c->precision);
    check_ratio(c->precision_infra);
    check_ratio(c->recall);
    check_ratio(c->f1);
}

static void check_groups(const eval_group *g, size_t n, uint64_t counted, uint64_t tp)
{
    uint64_t c2 = 0, detected = 0;
    for (size_t i = 0; i < n; i++) {
        if (g[i].detected > g[i].c2) abort();
        check_ratio(g[i].recall);
        c2 += g[i].c2;
        detected += g[i].detected;
    }
    if (c2 != counted || detected != tp) abort();
}

static void check_result(const eval_truth *t, const eval_result *r)
{
    uint64_t tp = r->server.tp;
    if (tp + r->server.fn != r->counted || r->counted > t->n_c2) abort();
    if (r->ip.tp + r->ip.fn > r->counted) abort();
    check_counts(&r->server);
    check_counts(&r->ip);
    check_groups(r->families, r->n_families, r->counted, tp);
    check_groups(r->bots, EVAL_BUCKETS, r->counted, tp);
    if (r->bots20.c2 > r->counted || r->bots20.detected > tp) abort();
    const eval_lead *l = &r->lead;
    if (l->c2 + l->first_seen_unknown + l->born_before_start > tp) abort();
    check_ratio(l->within_1d);
    check_ratio(l->within_7d);
    if (l->within_1d > l->within_2d || l->within_2d > l->within_7d) abort();
    const eval_feed *f = &r->feed;
    if (f->listed + f->never_listed + f->listed_undated + f->first_seen_unknown != tp) abort();
    if (f->earlier > f->listed) abort();
    check_ratio(f->share_earlier);
    for (int fmt = EVAL_TABLE; fmt <= EVAL_CSV; fmt++) {
        char *buf = NULL;
        size_t len = 0;
        c2_err err;
        FILE *out = open_memstream(&buf, &len);
        if (!out || eval_write(r, out, (eval_format)fmt, &err) != 0) abort();
        fclose(out);
        free(buf);
    }
}

static c2list *list_from(const eval_truth *t)
{
    c2list *l = c2list_new();
    c2_err err;
    if (!l) abort();
    for (size_t i = 0; i < t->n_c2; i += 2) {
        c2_entry e;
        c2_entry_init(&e);
        e.ip = t->c2[i].ip;
        e.port = t->c2[i].port;
        e.proto = t->c2[i].proto;
        e.first_seen = t->c2[i].born > 0 ? t->c2[i].born : 0;
        if (c2list_add(l, &e, &err) != 0) abort();
    }
    for (size_t i = 0; i < t->n_infra; i++) {
        c2_entry e;
        c2_entry_init(&e);
        e.ip = t->infra[i].ip;
        e.port = t->infra[i].port;
        e.proto = t->infra[i].proto;
        c2list_add(l, &e, &err);            /* may be a C2's key: refused */
    }
    return l;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    eval_truth t;
    c2_err err;
    if (eval_truth_read_mem(data, size, &t, &err) != 0) {
        for (const char *p = err.msg; *p; p++)
            if (*p == '\n') abort();
        eval_truth_free(&t);
        return 0;
    }
    c2list *l = list_from(&t);
    const eval_options opts[] = {
        {.at = EVAL_AT_END}, {.at = t.start}, {.at = EVAL_AT_END, .min_bots = 5},
    };
    for (size_t i = 0; i < sizeof opts / sizeof opts[0]; i++) {
        eval_result r;
        if (eval_run(&t, l, &opts[i], &r, &err) != 0) abort();
        check_result(&t, &r);
        eval_result_free(&r);
    }
    c2list_free(l);
    eval_truth_free(&t);
    return 0;
}
