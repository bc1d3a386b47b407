/*
 * lookback.c: the retroactive search (lookback.h).
 *
 * The scan decodes the two address columns of each block first and keeps
 * only rows with a listed server's address on one side and a host on the
 * other (two batched set lookups per side), so that months of flows cost
 * little more than reading their addresses; the other columns are decoded
 * for those rows alone.  A kept row then needs its exact key (address,
 * port, protocol) in the list, and adds to its (host, server) hit.
 *
 * With leases, the hit's key also holds the lease covering the host at the
 * record's start: its subscriber pointer, distinct for every lease (each
 * lease has its own copy of the id in the lease set's pool), or the static
 * "" of no lease.  After sorting by host, subscriber id and server, the
 * rows of two leases of one subscriber are merged: one row per host,
 * subscriber and server.
 */
#include "lookback/lookback.h"

#include <stdlib.h>
#include <string.h>

typedef struct searcher {
    const lookback_input *in;
    ipset    *servers;           /* the list's addresses */
    size_t   *slot;              /* hit index + 1, 0 empty */
    size_t    cap_slot;
    lookback_result *out;
    size_t    cap_hit;
} searcher;

/* ---- which rows ---- */

/* keep[i]: a listed address on one side, a host on the other.  Runs on
 * the scan's threads: its scratch is its own, one allocation a block. */
static void match(const flow_batch *b, uint8_t *keep, void *arg)
{
    const searcher *S = arg;
    size_t n = b->count;
    uint8_t *x = malloc(4 * (n ? n : 1));
    if (!x) {                                   /* no memory: keep all, decided later */
        memset(keep, 1, n);
        return;
    }
    uint8_t *s_srv = x, *d_srv = x + n, *s_host = x + 2 * n, *d_host = x + 3 * n;
    ipset_contains_batch(S->servers, b->src_addr, n, s_srv);
    ipset_contains_batch(S->servers, b->dst_addr, n, d_srv);
    ipset_contains_batch(S->in->hosts, b->src_addr, n, s_host);
    ipset_contains_batch(S->in->hosts, b->dst_addr, n, d_host);
    for (size_t i = 0; i < n; i++)
        keep[i] = (uint8_t)((s_host[i] && d_srv[i]) || (d_host[i] && s_srv[i]));
    free(x);
}

/* ---- the hits ---- */

static const char no_lease[] = "";

static uint64_t hit_hash(const flow_addr *h, const flow_addr *s, uint16_t port, uint8_t proto,
                         const char *sub)
{
    uint64_t v = c2_mix64(c2_get64(h->b) ^ c2_mix64(c2_get64(h->b + 8)) ^ (uintptr_t)sub);
    v = c2_mix64(v ^ c2_get64(s->b));
    v = c2_mix64(v ^ c2_get64(s->b + 8));
    return c2_mix64(v ^ ((uint64_t)port << 8 | proto));
}

static int same(const lookback_hit *x, const flow_addr *h, const flow_addr *s, uint16_t port,
                uint8_t proto, const char *sub)
{
    return x->port == port && x->proto == proto && x->subscriber == sub &&
           !memcmp(x->host.b, h->b, 16) &&
           !memcmp(x->server.b, s->b, 16);
}

static int grow_slots(searcher *S)
{
    size_t cap = S->cap_slot ? S->cap_slot * 2 : 1024;
    size_t *t = calloc(cap, sizeof *t);
    if (!t) return -1;
    for (size_t i = 0; i < S->out->n; i++) {
        const lookback_hit *x = &S->out->hit[i];
        size_t j = hit_hash(&x->host, &x->server, x->port, x->proto, x->subscriber) & (cap - 1);
        while (t[j]) j = (j + 1) & (cap - 1);
        t[j] = i + 1;
    }
    free(S->slot);
    S->slot = t;
    S->cap_slot = cap;
    return 0;
}

static lookback_hit *hit_get(searcher *S, const flow_addr *h, const flow_addr *s, uint16_t port,
                             uint8_t proto, const char *sub)
{
    if (2 * (S->out->n + 1) > S->cap_slot && grow_slots(S) < 0) return NULL;
    size_t j = hit_hash(h, s, port, proto, sub) & (S->cap_slot - 1);
    for (; S->slot[j]; j = (j + 1) & (S->cap_slot - 1))
        if (same(&S->out->hit[S->slot[j] - 1], h, s, port, proto, sub))
            return &S->out->hit[S->slot[j] - 1];
    if (S->out->n == S->cap_hit) {
        size_t cap = S->cap_hit ? S->cap_hit * 2 : 256;
        lookback_hit *p = realloc(S->out->hit, cap * sizeof *p);
        if (!p) return NULL;
        S->out->hit = p;
        S->cap_hit = cap;
    }
    S->slot[j] = S->out->n + 1;
    lookback_hit *x = &S->out->hit[S->out->n++];
    memset(x, 0, sizeof *x);
    x->host = *h;
    x->server = *s;
    x->port = port;
    x->proto = proto;
    x->subscriber = sub;
    x->first = INT64_MAX;
    x->last = INT64_MIN;
    return x;
}

/* One kept row: which side is the host, and is its server's key listed? */
static int add_row(searcher *S, const flow_batch *b, size_t i)
{
    const lookback_input *in = S->in;
    uint8_t proto = b->proto[i];
    int icmp = proto == 1 || proto == 58;
    for (int out = 1; out >= 0; out--) {
        const flow_addr *host = out ? &b->src_addr[i] : &b->dst_addr[i];
        const flow_addr *server = out ? &b->dst_addr[i] : &b->src_addr[i];
        uint16_t port = icmp ? 0 : out ? b->dst_port[i] : b->src_port[i];
        if (!ipset_contains(in->hosts, host) || !c2list_find(in->list, server, port, proto))
            continue;
        int64_t t = b->start_ms[i];
        const char *sub = NULL;
        if (in->leases) {
            const lookback_lease *l = lookback_leases_find(in->leases, host, t);
            sub = l ? l->subscriber : no_lease;
        }
        lookback_hit *x = hit_get(S, host, server, port, proto, sub);
        if (!x) return -1;
        if (t < x->first) x->first = t;
        if (t > x->last) x->last = t;
        x->flows++;
        x->packets += b->packets[i];
        x->bytes += b->bytes[i];
        S->out->matched++;
        return 0;
    }
    return 0;
}

static int servers_of(searcher *S, c2_err *err)
{
    if (ipset_new(&S->servers, err) != 0) return -1;
    for (size_t i = 0; i < c2list_count(S->in->list); i++)
        if (ipset_add(S->servers, &c2list_get(S->in->list, i)->ip, 128, err) != 0) return -1;
    return ipset_build(S->servers, err);
}

static int hit_order(const void *pa, const void *pb)
{
    const lookback_hit *a = pa, *b = pb;
    int c = flow_addr_cmp(&a->host, &b->host);
    if (!c && a->subscriber && b->subscriber) c = strcmp(a->subscriber, b->subscriber);
    if (!c) c = flow_addr_cmp(&a->server, &b->server);
    if (!c) c = a->port != b->port ? (a->port < b->port ? -1 : 1) : 0;
    if (!c) c = a->proto != b->proto ? (a->proto < b->proto ? -1 : 1) : 0;
    return c;
}

static int scan(searcher *S, c2_err *err)
{
    store_scan_spec spec = {
        .from_ms = S->in->from_ms, .to_ms = S->in->to_ms,
        .fields = FLOW_BIT(FLOW_START) | FLOW_BIT(FLOW_SRC_ADDR) | FLOW_BIT(FLOW_DST_ADDR) |
                  FLOW_BIT(FLOW_SRC_PORT) | FLOW_BIT(FLOW_DST_PORT) | FLOW_BIT(FLOW_PROTO) |
                  FLOW_BIT(FLOW_PACKETS) | FLOW_BIT(FLOW_BYTES),
        .match = match, .match_fields = FLOW_BIT(FLOW_SRC_ADDR) | FLOW_BIT(FLOW_DST_ADDR),
        .match_arg = S, .threads = S->in->threads,
    };
    store_scan *sc;
    flow_batch *b;
    int rc;
    if (store_scan_open(S->in->store, &spec, &sc, err) != 0) return -1;
    while ((rc = store_scan_next(sc, &b, err)) != 0) {
        if (rc < 0) {           /* a damaged block: store_check names it */
            S->out->damaged++;
            continue;
        }
        for (size_t i = 0; i < b->count; i++)
            if (add_row(S, b, i) < 0) { rc = -2; break; }
        if (rc == -2) break;
    }
    store_scan_stats st;
    store_scan_get_stats(sc, &st);
    store_scan_close(sc);
    S->out->records = st.records;
    if (rc == -2) return c2_fail(err, "out of memory");
    return rc < 0 ? -1 : 0;
}

/* Sorted rows of one host, subscriber id and server (two leases of one
 * subscriber) into one; count the rows no lease covers. */
static void merge_subscribers(lookback_result *r)
{
    size_t n = 0;
    for (size_t i = 0; i < r->n; i++) {
        lookback_hit *x = &r->hit[i], *y = n ? &r->hit[n - 1] : NULL;
        if (y && !hit_order(x, y) && !strcmp(x->subscriber, y->subscriber)) {
            if (x->first < y->first) y->first = x->first;
            if (x->last > y->last) y->last = x->last;
            y->flows += x->flows;
            y->packets += x->packets;
            y->bytes += x->bytes;
            continue;
        }
        r->hit[n++] = *x;
    }
    r->n = n;
    r->unleased = 0;
    for (size_t i = 0; i < r->n; i++) r->unleased += !r->hit[i].subscriber[0];
}

int lookback_run(const lookback_input *in, lookback_result *out, c2_err *err)
{
    memset(out, 0, sizeof *out);
    if (!in->store || !in->list || !in->hosts)
        return c2_fail(err, "no store, list or customer space");
    if (in->to_ms <= in->from_ms) return c2_fail(err, "the window is empty (--from must be before --to)");
    searcher S = {.in = in, .out = out};
    int rc = servers_of(&S, err);
    if (rc == 0 && c2list_count(in->list)) rc = scan(&S, err);
    if (rc == 0 && out->n) qsort(out->hit, out->n, sizeof *out->hit, hit_order);
    if (rc == 0 && in->leases) merge_subscribers(out);
    out->leases = in->leases != NULL;
    ipset_free(S.servers);
    free(S.slot);
    return rc;
}

void lookback_result_free(lookback_result *r)
{
    free(r->hit);
    memset(r, 0, sizeof *r);
}

size_t lookback_hosts(const lookback_result *r)
{
    size_t n = 0;
    for (size_t i = 0; i < r->n; i++)
        n += i == 0 || flow_addr_cmp(&r->hit[i - 1].host, &r->hit[i].host) != 0;
    return n;
}

int lookback_write(const lookback_result *r, FILE *f, lookback_format fmt, c2_err *err)
{
    static const char *const note =
        "INTERNAL: customer addresses, for the ISP's own notifications; never share";
    if (fmt == LOOKBACK_CSV)
        fprintf(f, "# c2flow lookback: %s\nhost,%sserver,port,proto,first,last,flows,packets,"
                   "bytes\n", note, r->leases ? "subscriber," : "");
    else
        fprintf(f, "{\"c2flow_lookback\":\"%s\"}\n", note);
    for (size_t i = 0; i < r->n; i++) {
        const lookback_hit *x = &r->hit[i];
        char host[FLOW_ADDR_STRLEN], server[FLOW_ADDR_STRLEN], proto[16], first[40], last[40];
        flow_addr_format(&x->host, host, sizeof host);
        flow_addr_format(&x->server, server, sizeof server);
        c2list_proto_format(x->proto, proto, sizeof proto);
        c2list_time_format(x->first, first, sizeof first);
        c2list_time_format(x->last, last, sizeof last);
        /* subscriber ids hold no commas, quotes or backslashes (leases.c) */
        const char *sub = x->subscriber ? x->subscriber : "";
        if (fmt == LOOKBACK_CSV && r->leases)
            fprintf(f, "%s,%s,", host, sub);
        else if (fmt == LOOKBACK_CSV)
            fprintf(f, "%s,", host);
        else if (r->leases)
            fprintf(f, "{\"host\":\"%s\",\"subscriber\":\"%s\",", host, sub);
        else
            fprintf(f, "{\"host\":\"%s\",", host);
        if (fmt == LOOKBACK_CSV)
            fprintf(f, "%s,%u,%s,%s,%s,%llu,%llu,%llu\n", server, x->port, proto, first,
                    last, (unsigned long long)x->flows, (unsigned long long)x->packets,
                    (unsigned long long)x->bytes);
        else
            fprintf(f, "\"server\":\"%s\",\"port\":%u,\"proto\":\"%s\","
                       "\"first\":\"%s\",\"last\":\"%s\",\"flows\":%llu,\"packets\":%llu,"
                       "\"bytes\":%llu}\n", server, x->port, proto, first, last,
                    (unsigned long long)x->flows, (unsigned long long)x->packets,
                    (unsigned long long)x->bytes);
    }
    if (fflush(f) == EOF || ferror(f)) return c2_fail_errno(err, "writing the lookback");
    return 0;
}

int lookback_is_answer(const void *buf, size_t len)
{
    static const char csv[] = "# c2flow lookback:", json[] = "\"c2flow_lookback\"";
    const char *s = buf, *end = s + len;
    if (len >= 3 && !memcmp(s, "\xEF\xBB\xBF", 3)) s += 3;
    while (s < end && (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n')) s++;
    size_t n = (size_t)(end - s);
    if (n >= sizeof csv - 1 && !memcmp(s, csv, sizeof csv - 1)) return 1;
    if (!n || *s != '{') return 0;
    for (s++, n--; n && (*s == ' ' || *s == '\t'); s++, n--) {}
    return n >= sizeof json - 1 && !memcmp(s, json, sizeof json - 1);
}
