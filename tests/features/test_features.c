/*
 * test_features.c: the per-server daily feature rows (src/features/) on a
 * store written here with records made by hand, the customer space being
 * 100.64.0.0/16, from 2026-01-05 on.
 *
 *   - which servers get a row: at least min_clients distinct customers
 *     (default 1; 2 to 5 too), client counts exact below the
 *     sketch's size and within 30 % at 40; a scanner's targets (SYN-only
 *     probes alone) at least probe_clients (default 3; 1 and 2 too);
 *   - orientation: both directions count for the outside server; records
 *     between two customers or two outside hosts, and an outside scanner's
 *     SYN to a customer, are not counted; ICMP has port 0;
 *   - the infected share, with and without an infected set;
 *   - every value on records whose figures are known: bytes per packet,
 *     shares, durations, sampled packets, the day's profile, the port's
 *     class and service, the protocol, the client spread;
 *   - days active over the window, row order, the same table on 1 to 8
 *     threads; the window's days and its refusals;
 *   - the same rows, to the bit, whether a server's first record waits
 *     as a sighting (min_clients 2) or is counted at once (1);
 *   - no row is ever a customer address (checked after every compute);
 *   - the CSV and JSON Lines forms;
 *   - labels from a Feodo file, a plain list and a c2list, by day.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <ftw.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/test_store.h"
#include "features/features.h"

#define DAY0 1767571200000LL            /* 2026-01-05T00:00:00Z */
#define DAY_MS C2_MS_PER_DAY
#define HOUR_MS 3600000LL
#define MIN_MS 60000LL
#define IP4(a, b, c, d) ((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (d))
#define C2_IP IP4(203, 0, 113, 5)

/* ---- a store of hand-made records ---- */

typedef struct world {
    char            dir[256];
    store          *st;
    ipset          *internal;
    test_records    recs;
    features_input  in;
} world;

/* One record src -> dst, unsampled, starting and ending at t. */
static flow_record *rec(world *w, uint32_t src, uint32_t dst, uint16_t sport, uint16_t dport,
                        uint8_t proto, uint8_t flags, uint64_t packets, uint64_t bytes,
                        int64_t t)
{
    flow_record *r = test_record(&w->recs, src, dst, sport, dport, proto, flags, packets,
                                 bytes, t);
    return r;
}

static uint32_t customer(uint32_t i) { return IP4(100, 64, 0, 1) + i; }

/* A customer's record to a server (SYN ACK PSH FIN for TCP), 10 packets
 * of 100 bytes. */
static flow_record *out(world *w, uint32_t host, uint32_t server, uint16_t port, uint8_t proto,
                        int64_t t)
{
    return rec(w, host, server, (uint16_t)(50000 + (host & 0xff)), port, proto,
               proto == 6 ? 0x1b : 0, 10, 1000, t);
}

/* The server's answer (ACK PSH). */
static flow_record *back(world *w, uint32_t server, uint32_t host, uint16_t port, uint8_t proto,
                         int64_t t)
{
    return rec(w, server, host, port, (uint16_t)(50000 + (host & 0xff)), proto,
               proto == 6 ? 0x18 : 0, 10, 1000, t);
}

/* Customers first..first+n-1 each send one record to the server, a minute
 * apart from t. */
static void reached(world *w, uint32_t server, uint16_t port, uint8_t proto, uint32_t first,
                    uint32_t n, int64_t t)
{
    for (uint32_t i = 0; i < n; i++)
        out(w, customer(first + i), server, port, proto, t + i * MIN_MS);
}

static int world_setup(void **state)
{
    world *w = calloc(1, sizeof *w);
    c2_err err;
    if (!w) return -1;
    if (test_store_make(w->dir, sizeof w->dir, "features", &w->st) != 0) return -1;
    if (ipset_new(&w->internal, &err) != 0 ||
        ipset_add_text(w->internal, "100.64.0.0/16", &err) != 0 ||
        ipset_build(w->internal, &err) != 0)
        return -1;
    w->in.store = w->st;
    w->in.internal = w->internal;
    w->in.from_ms = DAY0;
    w->in.to_ms = DAY0 + DAY_MS;
    w->in.threads = 1;
    *state = w;
    return 0;
}

static int world_teardown(void **state)
{
    world *w = *state;
    store_close(w->st);
    ipset_free(w->internal);
    free(w->recs.rec);
    int rc = test_dir_remove(w->dir);
    free(w);
    return rc;
}

/* The records made so far into the store (new segments). */
static void flush(world *w)
{
    test_records_flush(&w->recs, w->st);
}

static int server_cmp(const feature_row *a, const feature_row *b)
{
    int c = flow_addr_cmp(&a->ip, &b->ip);
    if (c) return c;
    if (a->port != b->port) return a->port < b->port ? -1 : 1;
    return a->proto < b->proto ? -1 : a->proto > b->proto;
}

/* What every table must be: rows ordered by server then day, one per
 * server-day, each day a UTC midnight of the window, first <= last inside
 * that day, and never a customer address (privacy). */
static void assert_table_sane(const world *w, const feature_table *t)
{
    for (size_t i = 0; i < t->n; i++) {
        const feature_row *r = &t->row[i];
        assert_false(ipset_contains(w->internal, &r->ip));
        assert_int_equal(r->day % DAY_MS, 0);
        assert_true(r->day + DAY_MS > w->in.from_ms && r->day < w->in.to_ms);
        assert_true(r->first >= r->day && r->first <= r->last && r->last < r->day + DAY_MS);
        assert_true(r->first >= w->in.from_ms && r->last < w->in.to_ms);
        assert_true(r->infected <= r->clients);
        if (i == 0) continue;
        int c = server_cmp(&t->row[i - 1], r);
        assert_true(c < 0 || (c == 0 && t->row[i - 1].day < r->day));
    }
}

static void compute(world *w, feature_table *t, features_report *rep)
{
    c2_err err;
    if (features_compute(&w->in, t, rep, &err) != 0) fail_msg("%s", err.msg);
    assert_int_equal(rep->rows, t->n);
    assert_int_equal(rep->damaged, 0);
    assert_table_sane(w, t);
}

static const feature_row *find(const feature_table *t, uint32_t ip, uint16_t port,
                               uint8_t proto, int64_t day)
{
    flow_addr a;
    flow_addr_from_v4(&a, ip);
    for (size_t i = 0; i < t->n; i++) {
        const feature_row *r = &t->row[i];
        if (!flow_addr_cmp(&r->ip, &a) && r->port == port && r->proto == proto && r->day == day)
            return r;
    }
    return NULL;
}

/* The row of a server on DAY0, which must exist. */
static const feature_row *row0(const feature_table *t, uint32_t ip, uint16_t port, uint8_t proto)
{
    const feature_row *r = find(t, ip, port, proto, DAY0);
    if (!r) fail_msg("no row for %u.%u.%u.%u:%u/%u", ip >> 24, ip >> 16 & 255, ip >> 8 & 255,
                     ip & 255, port, proto);
    return r;
}

#define assert_near(a, b, eps)                                                              \
    do {                                                                                    \
        double a_ = (a), b_ = (b);                                                          \
        if (!(fabs(a_ - b_) <= (eps))) fail_msg("%s = %.9g, want %.9g", #a, a_, b_);        \
    } while (0)

/* ---- who gets a row ---- */

/* Servers reached by 1 to 4 customers, each customer several times (so
 * that repeats must not count as new clients): the threshold decides. */
static void test_min_clients(void **state)
{
    world *w = *state;
    const uint32_t ip[4] = {IP4(203, 0, 113, 1), IP4(203, 0, 113, 2), IP4(203, 0, 113, 3),
                            IP4(203, 0, 113, 4)};
    int64_t t = DAY0 + HOUR_MS;
    for (uint32_t s = 0; s < 4; s++) {
        /* one customer's three records together, then the next's */
        for (uint32_t c = 0; c <= s; c++)
            for (int k = 0; k < 3; k++) out(w, customer(10 * s + c), ip[s], 6969, 6, t += MIN_MS);
    }
    /* and the 4-client server's customers interleaved once more */
    for (int k = 0; k < 2; k++)
        for (uint32_t c = 0; c < 4; c++) out(w, customer(30 + c), ip[3], 6969, 6, t += MIN_MS);
    size_t total = w->recs.n;
    flush(w);

    feature_table tab;
    features_report rep;
    compute(w, &tab, &rep);                     /* min_clients 0: 1 */
    assert_int_equal(rep.days, 1);
    assert_int_equal(rep.records, total);
    assert_int_equal(rep.oriented, total);
    assert_int_equal(tab.n, 4);
    const feature_row *r3 = row0(&tab, ip[2], 6969, 6), *r4 = row0(&tab, ip[3], 6969, 6);
    assert_int_equal(r3->clients, 3);
    assert_int_equal(r3->infected, 0);
    assert_near(r3->v[F_CLIENTS], 2.0, 1e-6);               /* log2(1 + 3) */
    assert_near(r3->v[F_RECORDS], log2(10.0), 1e-6);
    assert_near(r3->v[F_FLOWS_PER_CLIENT], 3.0, 1e-6);
    assert_int_equal(r4->clients, 4);
    assert_near(r4->v[F_RECORDS], log2(21.0), 1e-6);       /* 12 + 8 */
    assert_near(r4->v[F_FLOWS_PER_CLIENT], 5.0, 1e-6);
    feature_table_free(&tab);

    /* min_clients 1 to 5: the servers of at least that many clients */
    for (uint32_t m = 1; m <= 5; m++) {
        w->in.min_clients = m;
        compute(w, &tab, &rep);
        assert_int_equal(tab.n, 5 - m);
        for (uint32_t s = 0; s < 4; s++) {
            const feature_row *r = find(&tab, ip[s], 6969, 6, DAY0);
            if (s + 1 >= m) {
                assert_non_null(r);
                assert_int_equal(r->clients, s + 1);
            } else {
                assert_null(r);
            }
        }
        feature_table_free(&tab);
    }
}

/* A customer's SYN-only record to a server: a connection attempt, as a
 * scanner's probe is. */
static flow_record *probe(world *w, uint32_t host, uint32_t server, uint16_t port, int64_t t)
{
    return rec(w, host, server, (uint16_t)(50000 + (host & 0xff)), port, 6, 0x02, 1, 60, t);
}

/* A scanner's targets (a SYN-only probe or two from each client and
 * nothing else) need probe_clients clients; other servers min_clients,
 * even one.  A probed server that answers, or is reached another way, is
 * no longer a probe target, and its row counts the probe too: the same row
 * as when every server is counted at once.  Nor is one a host keeps
 * knocking on (three SYNs: a bot whose C2 is down). */
static void test_probe_clients(void **state)
{
    world *w = *state;
    const uint32_t probed1 = IP4(203, 0, 113, 1), probed2 = IP4(203, 0, 113, 2),
                   probed3 = IP4(203, 0, 113, 3), answered = IP4(203, 0, 113, 4),
                   reached1 = IP4(203, 0, 113, 5), udp1 = IP4(203, 0, 113, 6),
                   knocked = IP4(203, 0, 113, 7);
    int64_t t = DAY0 + HOUR_MS;
    probe(w, customer(0), probed1, 23, t);
    probe(w, customer(0), probed2, 23, t += MIN_MS);
    probe(w, customer(1), probed2, 23, t += MIN_MS);
    for (uint32_t c = 0; c < 3; c++) probe(w, customer(c), probed3, 23, t += MIN_MS);
    probe(w, customer(0), answered, 6969, t += MIN_MS);
    back(w, answered, customer(0), 6969, 6, t += MIN_MS);
    out(w, customer(2), reached1, 6969, 6, t += MIN_MS);
    out(w, customer(2), udp1, 6969, 17, t += MIN_MS);
    probe(w, customer(0), probed2, 23, t += MIN_MS);     /* two each: still probes */
    probe(w, customer(1), probed2, 23, t += MIN_MS);
    for (int k = 0; k < 3; k++) probe(w, customer(3), knocked, 1177, t += MIN_MS);
    flush(w);

    const uint32_t ips[] = {probed1, probed2, probed3, answered, reached1, udp1, knocked};
    const uint16_t ports[] = {23, 23, 23, 6969, 6969, 6969, 1177};
    /* rows expected for probe_clients 1, 2, 3 (and the default, 3) */
    const int want[3][7] = {{1, 1, 1, 1, 1, 1, 1}, {0, 1, 1, 1, 1, 1, 1},
                            {0, 0, 1, 1, 1, 1, 1}};
    feature_table tab[4];
    features_report rep;
    w->in.min_clients = 1;
    for (uint32_t k = 0; k < 4; k++) {
        w->in.probe_clients = k < 3 ? k + 1 : 0;
        compute(w, &tab[k], &rep);
        for (size_t s = 0; s < 7; s++) {
            const feature_row *r = find(&tab[k], ips[s], ports[s], s == 5 ? 17 : 6, DAY0);
            if (!want[k < 3 ? k : 2][s]) {
                assert_null(r);
                continue;
            }
            assert_non_null(r);
            const feature_row *all = find(&tab[0], ips[s], ports[s], s == 5 ? 17 : 6, DAY0);
            assert_memory_equal(r->v, all->v, sizeof r->v);
        }
    }
    const feature_row *a = find(&tab[2], answered, 6969, 6, DAY0);
    assert_near(a->v[F_RECORDS], log2(3.0), 1e-6);          /* the probe and the answer */
    assert_near(a->v[F_SYN_ONLY], 0.5, 1e-6);
    for (uint32_t k = 0; k < 4; k++) feature_table_free(&tab[k]);

    /* min_clients above: the probe rule asks nothing more of busier servers */
    w->in.min_clients = 3;
    w->in.probe_clients = 1;
    compute(w, &tab[0], &rep);
    assert_int_equal(tab[0].n, 1);
    assert_non_null(find(&tab[0], probed3, 23, 6, DAY0));
    feature_table_free(&tab[0]);
}

/* Distinct clients: exact below the sketch's 16, an estimate above it. */
static void test_many_clients(void **state)
{
    world *w = *state;
    reached(w, IP4(203, 0, 113, 15), 443, 6, 100, 15, DAY0 + HOUR_MS);
    reached(w, IP4(203, 0, 113, 40), 443, 6, 200, 40, DAY0 + HOUR_MS);
    reached(w, IP4(203, 0, 113, 40), 443, 6, 200, 40, DAY0 + 2 * HOUR_MS);   /* again */
    flush(w);
    feature_table t;
    features_report rep;
    compute(w, &t, &rep);
    assert_int_equal(t.n, 2);
    const feature_row *r15 = row0(&t, IP4(203, 0, 113, 15), 443, 6);
    assert_int_equal(r15->clients, 15);
    assert_near(r15->v[F_CLIENTS], 4.0, 1e-6);
    const feature_row *r40 = row0(&t, IP4(203, 0, 113, 40), 443, 6);
    assert_true(r40->clients >= 28 && r40->clients <= 52);
    assert_near(r40->v[F_CLIENTS], log2(1.0 + r40->clients), 0.05);
    assert_near(r40->v[F_FLOWS_PER_CLIENT], 80.0 / r40->clients, 0.05 * 80.0 / r40->clients);
    feature_table_free(&t);
}

/* ---- orientation ---- */

static void test_orientation(void **state)
{
    world *w = *state;
    const uint32_t srv = IP4(203, 0, 113, 10), ping = IP4(203, 0, 113, 20);
    int64_t t = DAY0 + 3 * HOUR_MS;
    /* the server: customer 0 sends only, 1 only receives, 2 both, 3 gets
     * a SYN ACK (an answer to its SYN, not a scan) */
    out(w, customer(0), srv, 443, 6, t);
    back(w, srv, customer(1), 443, 6, t + MIN_MS);
    out(w, customer(2), srv, 443, 6, t + 2 * MIN_MS);
    back(w, srv, customer(2), 443, 6, t + 2 * MIN_MS + 10);
    rec(w, srv, customer(3), 443, 50003, 6, 0x12, 1, 60, t + 3 * MIN_MS);
    size_t counted = w->recs.n;
    /* between customers: no server */
    for (uint32_t i = 11; i <= 13; i++) {
        out(w, customer(i), customer(10), 80, 6, t);
        back(w, customer(10), customer(i), 80, 6, t + 10);
    }
    /* between outside hosts: not the ISP's customers */
    for (uint32_t i = 1; i <= 3; i++) out(w, IP4(192, 0, 2, i), IP4(198, 51, 100, 50), 80, 6, t);
    /* an outside scanner's SYNs to customers: the scanner is no server */
    for (uint32_t i = 20; i < 26; i++)
        rec(w, IP4(198, 51, 100, 99), customer(i), 40000, 22, 6, 0x02, 1, 44, t + i);
    /* ICMP echo and reply: the server is the address, port 0 */
    for (uint32_t i = 30; i < 33; i++) {
        rec(w, customer(i), ping, 0, 0x0800, 1, 0, 1, 84, t + i);
        rec(w, ping, customer(i), 0, 0x0000, 1, 0, 1, 84, t + i + 5);
    }
    counted += 6;
    size_t total = w->recs.n;
    flush(w);

    feature_table tab;
    features_report rep;
    w->in.min_clients = 1;          /* even one client would show a wrong server */
    compute(w, &tab, &rep);
    assert_int_equal(rep.records, total);
    assert_int_equal(rep.oriented, counted);
    assert_int_equal(tab.n, 2);
    const feature_row *r = row0(&tab, srv, 443, 6);
    assert_int_equal(r->clients, 4);
    assert_near(r->v[F_RECORDS], log2(6.0), 1e-6);
    assert_near(r->v[F_OUT_SHARE], 2.0 / 5, 1e-6);
    assert_int_equal(r->first, t);
    assert_int_equal(r->last, t + 3 * MIN_MS);
    const feature_row *p = row0(&tab, ping, 0, 1);
    assert_int_equal(p->clients, 3);
    assert_near(p->v[F_RECORDS], log2(7.0), 1e-6);
    assert_near(p->v[F_OUT_SHARE], 0.5, 1e-6);
    assert_near(p->v[F_PROTO], 1.0, 0);
    assert_near(p->v[F_PORT_CLASS], 0.0, 0);
    assert_true(isnan(p->v[F_SYN_ONLY]));
    feature_table_free(&tab);
}

/* ---- the infected share ---- */

static void test_infected_share(void **state)
{
    world *w = *state;
    const uint32_t s4 = IP4(203, 0, 113, 5), s3 = IP4(203, 0, 113, 6);
    int64_t t = DAY0 + HOUR_MS;
    out(w, customer(0), s4, 6969, 6, t);
    out(w, customer(1), s4, 6969, 6, t + 1);
    out(w, customer(1), s4, 6969, 6, t + 2);       /* the same infected host again */
    out(w, customer(2), s4, 6969, 6, t + 3);
    back(w, s4, customer(3), 6969, 6, t + 4);      /* infected, as the receiver */
    out(w, customer(1), s3, 80, 6, t);
    out(w, customer(3), s3, 80, 6, t);
    out(w, customer(4), s3, 80, 6, t);
    flush(w);

    flow_addr inf[4];
    flow_addr_from_v4(&inf[0], customer(1));
    flow_addr_from_v4(&inf[1], customer(3));
    flow_addr_from_v4(&inf[2], IP4(100, 64, 0, 99));                  /* no client here */
    flow_addr_from_v4(&inf[3], s4);                                   /* a server: not a host */

    feature_table t1, t0;
    features_report rep;
    w->in.infected = inf;
    w->in.n_infected = 4;
    compute(w, &t1, &rep);
    assert_int_equal(t1.n, 2);
    const feature_row *r = row0(&t1, s4, 6969, 6);
    assert_int_equal(r->clients, 4);
    assert_int_equal(r->infected, 2);
    assert_near(r->v[F_INFECTED], log2(3.0), 1e-6);
    assert_near(r->v[F_INFECTED_SHARE], 0.5, 1e-6);
    r = row0(&t1, s3, 80, 6);
    assert_int_equal(r->infected, 2);
    assert_near(r->v[F_INFECTED_SHARE], 2.0 / 3, 1e-6);

    w->in.infected = NULL;
    w->in.n_infected = 0;
    compute(w, &t0, &rep);
    assert_int_equal(t0.n, 2);
    for (size_t i = 0; i < t0.n; i++) {
        assert_int_equal(t0.row[i].infected, 0);
        assert_true(t0.row[i].v[F_INFECTED] == 0.0f && t0.row[i].v[F_INFECTED_SHARE] == 0.0f);
        /* nothing else depends on the infected set */
        assert_int_equal(t0.row[i].clients, t1.row[i].clients);
        assert_true(t0.row[i].v[F_OUT_SHARE] == t1.row[i].v[F_OUT_SHARE]);
    }
    feature_table_free(&t1);
    feature_table_free(&t0);
}

/* ---- the values ---- */

#define SRV_V IP4(203, 0, 113, 30)      /* 443: 12 records of 100-byte packets in hour 10 */
#define SRV_W IP4(203, 0, 113, 31)      /* 6969: 100 and 300 bytes a packet */
#define SRV_E IP4(203, 0, 113, 32)      /* 50000: two records every hour */
#define SRV_P IP4(203, 0, 113, 33)      /* 8080: sampled 1 in 100 */
#define SRV_Q IP4(203, 0, 113, 34)      /* 8080: sampling unknown (0) */
#define SRV_U IP4(203, 0, 113, 35)      /* 6969/udp */
#define SRV_D IP4(203, 0, 113, 36)      /* 53/udp, clients in three /16s */

/* The records of test_values (and of the output and thread tests). */
static void value_records(world *w, int64_t day)
{
    /* V: each of 3 clients sends a SYN alone and a full connection (10
     * packets, 1000 bytes) and gets two answers (30 packets, 3000 bytes);
     * one of each pair lasts 2 s, the other has one timestamp. */
    for (uint32_t c = 0; c < 3; c++) {
        int64_t t = day + 10 * HOUR_MS + c * MIN_MS;
        uint16_t hp = (uint16_t)(50000 + c);
        rec(w, customer(c), SRV_V, hp, 443, 6, 0x02, 10, 1000, t);
        rec(w, customer(c), SRV_V, hp, 443, 6, 0x1b, 10, 1000, t)->end_ms = t + 2000;
        rec(w, SRV_V, customer(c), 443, hp, 6, 0x18, 30, 3000, t);
        rec(w, SRV_V, customer(c), 443, hp, 6, 0x18, 30, 3000, t)->end_ms = t + 2000;
    }
    /* W: per client one record at 100 bytes a packet, one at 300 */
    for (uint32_t c = 0; c < 3; c++) {
        int64_t t = day + 11 * HOUR_MS + c * MIN_MS;
        rec(w, customer(c), SRV_W, 50000, 6969, 6, 0x1b, 10, 1000, t);
        rec(w, customer(c), SRV_W, 50000, 6969, 6, 0x1b, 10, 3000, t + 1);
    }
    /* E: 48 records, at hh:10 and hh:40 of every hour, clients in turn */
    for (uint32_t i = 0; i < 48; i++)
        out(w, customer(i % 3), SRV_E, 50000, 6,
            day + (i / 2) * HOUR_MS + (i % 2 ? 40 : 10) * MIN_MS);
    /* P: 300 packets at 1 in 100 = 3 sampled; Q: 7 packets, sampling 0 */
    for (uint32_t c = 0; c < 3; c++) {
        rec(w, customer(c), SRV_P, 50000, 8080, 6, 0x1b, 300, 300 * 60, day + 12 * HOUR_MS)
            ->sampling = 100;
        rec(w, customer(c), SRV_Q, 50000, 8080, 6, 0x1b, 7, 7 * 60, day + 12 * HOUR_MS)
            ->sampling = 0;
    }
    /* U: UDP only */
    for (uint32_t c = 0; c < 3; c++) {
        out(w, customer(c), SRV_U, 6969, 17, day + 13 * HOUR_MS + c);
        back(w, SRV_U, customer(c), 6969, 17, day + 13 * HOUR_MS + c + 1);
    }
    /* D: DNS from three customer networks (10.1/16, 10.2/16, 10.3/16) */
    for (uint32_t c = 1; c <= 3; c++)
        out(w, IP4(10, c, 0, 1), SRV_D, 53, 17, day + 14 * HOUR_MS + c);
}

/* Add 10.0.0.0/8 to the customer space (value_records' D). */
static void more_customers(world *w)
{
    c2_err err;
    assert_int_equal(ipset_add_text(w->internal, "10.0.0.0/8", &err), 0);
    assert_int_equal(ipset_build(w->internal, &err), 0);
}

static void test_values(void **state)
{
    world *w = *state;
    more_customers(w);
    value_records(w, DAY0);
    flush(w);
    feature_table t;
    features_report rep;
    compute(w, &t, &rep);
    assert_int_equal(t.n, 7);

    const feature_row *v = row0(&t, SRV_V, 443, 6);
    assert_int_equal(v->clients, 3);
    assert_near(v->v[F_OUT_SHARE], 0.5, 1e-6);
    assert_near(v->v[F_BYTES_OUT_SHARE], 6000.0 / 24000, 1e-6);
    assert_near(v->v[F_BPP_MEAN], 100.0, 1e-4);
    assert_near(v->v[F_BPP_SD], 0.0, 1e-3);
    for (int q = F_BPP_P10; q <= F_BPP_P90; q++)            /* in 100's 64-byte bin */
        assert_true(v->v[q] >= 64.0f && v->v[q] <= 128.0f);
    assert_near(v->v[F_PKTS_PER_FLOW], 20.0, 1e-5);         /* (10+10+30+30)/4 */
    assert_near(v->v[F_DURATION_MEAN], 1.0, 1e-6);
    assert_near(v->v[F_DURATION_ZERO], 0.5, 1e-6);
    assert_near(v->v[F_SYN_ONLY], 3.0 / 12, 1e-6);
    assert_near(v->v[F_HOUR_ENTROPY], 0.0, 1e-6);           /* all in hour 10 */
    assert_near(v->v[F_HOUR_PEAK], 24.0, 1e-5);
    assert_near(v->v[F_ACTIVE_BINS], 1.0 / 48, 1e-6);
    /* 12 in one half hour of 48: mean 1/4, variance 3 - 1/16 */
    assert_near(v->v[F_DISPERSION], (3.0 - 1.0 / 16 - 0.25) / (1.0 / 16), 1e-3);
    assert_near(v->v[F_PORT_CLASS], 0, 0);
    assert_near(v->v[F_PORT_SERVICE], 1, 0);
    assert_near(v->v[F_PROTO], 6, 0);
    assert_near(v->v[F_DAYS_ACTIVE], 1, 0);
    assert_near(v->v[F_CLIENT_SPREAD], 1.0 / 3, 1e-6);      /* one /16 */
    assert_int_equal(v->first, DAY0 + 10 * HOUR_MS);
    assert_int_equal(v->last, DAY0 + 10 * HOUR_MS + 2 * MIN_MS);

    const feature_row *x = row0(&t, SRV_W, 6969, 6);
    assert_near(x->v[F_BPP_MEAN], 200.0, 1e-3);
    assert_near(x->v[F_BPP_SD], 100.0, 1e-3);
    assert_true(x->v[F_BPP_P10] >= 64.0f && x->v[F_BPP_P10] <= 128.0f);
    assert_true(x->v[F_BPP_P50] >= 64.0f && x->v[F_BPP_P50] <= 320.0f);
    assert_true(x->v[F_BPP_P90] >= 256.0f && x->v[F_BPP_P90] <= 320.0f);
    assert_true(x->v[F_BPP_P10] <= x->v[F_BPP_P50] && x->v[F_BPP_P50] <= x->v[F_BPP_P90]);
    assert_near(x->v[F_OUT_SHARE], 1.0, 0);
    assert_near(x->v[F_BYTES_OUT_SHARE], 1.0, 0);
    assert_near(x->v[F_SYN_ONLY], 0.0, 0);
    assert_near(x->v[F_DURATION_MEAN], 0.0, 0);
    assert_near(x->v[F_DURATION_ZERO], 1.0, 0);
    assert_near(x->v[F_PORT_CLASS], 1, 0);
    assert_near(x->v[F_PORT_SERVICE], 0, 0);

    const feature_row *e = row0(&t, SRV_E, 50000, 6);
    assert_near(e->v[F_HOUR_ENTROPY], 1.0, 1e-5);
    assert_near(e->v[F_HOUR_PEAK], 1.0, 1e-5);
    assert_near(e->v[F_ACTIVE_BINS], 1.0, 0);
    assert_near(e->v[F_DISPERSION], -1.0, 1e-5);            /* one a half hour: var 0 */
    assert_near(e->v[F_PORT_CLASS], 2, 0);
    assert_near(e->v[F_PORT_SERVICE], 0, 0);
    assert_int_equal(e->first, DAY0 + 10 * MIN_MS);
    assert_int_equal(e->last, DAY0 + 23 * HOUR_MS + 40 * MIN_MS);

    const feature_row *p = row0(&t, SRV_P, 8080, 6);
    assert_near(p->v[F_PKTS_PER_FLOW], 3.0, 1e-6);
    assert_near(p->v[F_BPP_MEAN], 60.0, 1e-4);
    assert_near(p->v[F_PORT_CLASS], 1, 0);
    assert_near(p->v[F_PORT_SERVICE], 1, 0);
    assert_near(row0(&t, SRV_Q, 8080, 6)->v[F_PKTS_PER_FLOW], 7.0, 1e-6);

    const feature_row *u = row0(&t, SRV_U, 6969, 17);
    assert_true(isnan(u->v[F_SYN_ONLY]));                   /* no TCP record */
    assert_near(u->v[F_PROTO], 17, 0);
    assert_near(u->v[F_PORT_CLASS], 1, 0);
    assert_near(u->v[F_PORT_SERVICE], 0, 0);
    assert_near(u->v[F_OUT_SHARE], 0.5, 1e-6);

    const feature_row *d = row0(&t, SRV_D, 53, 17);
    assert_int_equal(d->clients, 3);
    assert_near(d->v[F_CLIENT_SPREAD], 1.0, 1e-6);          /* three /16s */
    assert_near(d->v[F_PORT_CLASS], 0, 0);
    assert_near(d->v[F_PORT_SERVICE], 1, 0);
    feature_table_free(&t);
}

/* ---- the window ---- */

/* A server on days 1, 2 and 4 of an 8-day window counts 1, 2, 3 days
 * active; one on days 0, 6 and 7 counts 1, 2, 2 (day 0 is 7 days before
 * day 7); rows come by address, port, protocol, then day. */
static void test_days_active(void **state)
{
    world *w = *state;
    const uint32_t a = IP4(203, 0, 113, 5), b = IP4(198, 51, 100, 1);
    const int da[] = {1, 2, 4}, db[] = {0, 6, 7};
    for (int i = 0; i < 3; i++) {
        reached(w, a, 6969, 6, 0, 3, DAY0 + da[i] * DAY_MS + HOUR_MS);
        reached(w, b, 6969, 6, 3, 3, DAY0 + db[i] * DAY_MS + HOUR_MS);
    }
    reached(w, b, 80, 6, 6, 3, DAY0 + 3 * DAY_MS);
    reached(w, b, 6969, 17, 6, 3, DAY0 + 3 * DAY_MS + HOUR_MS);
    flush(w);
    w->in.to_ms = DAY0 + 8 * DAY_MS;
    feature_table t;
    features_report rep;
    compute(w, &t, &rep);
    assert_int_equal(rep.days, 8);
    assert_int_equal(t.n, 8);
    const struct { uint32_t ip; uint16_t port; uint8_t proto; int day; float active; } want[] = {
        {b, 80, 6, 3, 1},   {b, 6969, 6, 0, 1}, {b, 6969, 6, 6, 2}, {b, 6969, 6, 7, 2},
        {b, 6969, 17, 3, 1}, {a, 6969, 6, 1, 1}, {a, 6969, 6, 2, 2}, {a, 6969, 6, 4, 3},
    };
    for (size_t i = 0; i < 8; i++) {
        const feature_row *r = &t.row[i];
        assert_ptr_equal(find(&t, want[i].ip, want[i].port, want[i].proto,
                              DAY0 + want[i].day * DAY_MS), r);
        assert_true(r->v[F_DAYS_ACTIVE] == want[i].active);
        assert_int_equal(r->first, r->day + (want[i].port == 80 ? 0 : HOUR_MS));
    }
    feature_table_free(&t);
}

static void progress(const char *line, void *arg)
{
    int *n = arg;
    assert_non_null(strstr(line, "day 2026-01-0"));
    (*n)++;
}

/* Rows only of the window's days, cut where the window is cut; the
 * refusals. */
static void test_window(void **state)
{
    world *w = *state;
    const uint32_t s = IP4(203, 0, 113, 5);
    for (int d = -1; d <= 2; d++) {
        reached(w, s, 6969, 6, 0, 3, DAY0 + d * DAY_MS + 6 * HOUR_MS);     /* morning */
        reached(w, s, 6969, 6, 3, 3, DAY0 + d * DAY_MS + 18 * HOUR_MS);    /* evening */
    }
    flush(w);
    feature_table t;
    features_report rep;
    int lines = 0;
    w->in.to_ms = DAY0 + 2 * DAY_MS;
    w->in.progress = progress;
    w->in.progress_arg = &lines;
    compute(w, &t, &rep);
    assert_int_equal(rep.days, 2);
    assert_int_equal(lines, 2);
    assert_int_equal(rep.records, 2 * 6);
    assert_int_equal(t.n, 2);
    for (int d = 0; d < 2; d++) {
        const feature_row *r = find(&t, s, 6969, 6, DAY0 + d * DAY_MS);
        assert_non_null(r);
        assert_int_equal(r->clients, 6);
        assert_int_equal(r->first, DAY0 + d * DAY_MS + 6 * HOUR_MS);
        assert_int_equal(r->last, DAY0 + d * DAY_MS + 18 * HOUR_MS + 2 * MIN_MS);
    }
    feature_table_free(&t);

    /* noon to noon: the evening of day 0 and the morning of day 1 */
    w->in.from_ms = DAY0 + 12 * HOUR_MS;
    w->in.to_ms = DAY0 + 36 * HOUR_MS;
    w->in.progress = NULL;
    compute(w, &t, &rep);
    assert_int_equal(rep.days, 2);
    assert_int_equal(rep.records, 6);
    assert_int_equal(t.n, 2);
    assert_int_equal(t.row[0].day, DAY0);
    assert_int_equal(t.row[0].clients, 3);
    assert_int_equal(t.row[0].first, DAY0 + 18 * HOUR_MS);
    assert_int_equal(t.row[1].day, DAY0 + DAY_MS);
    assert_int_equal(t.row[1].last, DAY0 + DAY_MS + 6 * HOUR_MS + 2 * MIN_MS);
    feature_table_free(&t);

    /* a window with no records: no rows, no error */
    w->in.from_ms = DAY0 + 10 * DAY_MS;
    w->in.to_ms = DAY0 + 11 * DAY_MS;
    compute(w, &t, &rep);
    assert_int_equal(t.n, 0);
    assert_int_equal(rep.records, 0);
    feature_table_free(&t);

    c2_err err;
    const struct { int64_t from, to; const char *msg; } bad[] = {
        {DAY0, DAY0, "the window is empty"},
        {DAY0 + DAY_MS, DAY0, "the window is empty"},
        {-1, DAY0, "the window is empty"},
        {DAY0, DAY0 + 3661 * DAY_MS, "longer than ten years"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        w->in.from_ms = bad[i].from;
        w->in.to_ms = bad[i].to;
        memset(&err, 0, sizeof err);
        assert_int_equal(features_compute(&w->in, &t, &rep, &err), -1);
        assert_non_null(strstr(err.msg, bad[i].msg));
        assert_int_equal(t.n, 0);
        feature_table_free(&t);
    }
    w->in.from_ms = DAY0;
    w->in.to_ms = DAY0 + DAY_MS;
    w->in.internal = NULL;
    assert_int_equal(features_compute(&w->in, &t, &rep, &err), -1);
    assert_non_null(strstr(err.msg, "customer address space"));
    feature_table_free(&t);
}

/* Three days of every kind of record, on 1, 2, 3 and 8 threads: the
 * same table, field for field, bit for bit. */
static void test_threads_same_table(void **state)
{
    world *w = *state;
    more_customers(w);
    for (int d = 0; d < 3; d++) {
        value_records(w, DAY0 + d * DAY_MS);
        reached(w, IP4(203, 0, 113, 40), 443, 6, 100 + d, 40, DAY0 + d * DAY_MS + HOUR_MS);
        reached(w, IP4(203, 0, 113, 41 + d), 6969, 6, 0, 3 + d, DAY0 + d * DAY_MS + HOUR_MS);
    }
    flush(w);
    flow_addr inf[4];                                 /* 100.64.0.0/30 */
    for (uint32_t i = 0; i < 4; i++) flow_addr_from_v4(&inf[i], IP4(100, 64, 0, 0) + i);
    w->in.infected = inf;
    w->in.n_infected = 4;
    w->in.to_ms = DAY0 + 3 * DAY_MS;
    feature_table one, many;
    features_report r1, rn;
    compute(w, &one, &r1);
    assert_int_equal(one.n, 3 * 9);
    const unsigned threads[] = {2, 3, 8};
    for (size_t k = 0; k < 3; k++) {
        w->in.threads = threads[k];
        compute(w, &many, &rn);
        assert_int_equal(rn.records, r1.records);
        assert_int_equal(rn.oriented, r1.oriented);
        assert_int_equal(many.n, one.n);
        for (size_t i = 0; i < one.n; i++) {
            const feature_row *a = &one.row[i], *b = &many.row[i];
            assert_memory_equal(&a->ip, &b->ip, sizeof a->ip);
            assert_int_equal(a->port, b->port);
            assert_int_equal(a->proto, b->proto);
            assert_int_equal(a->day, b->day);
            assert_int_equal(a->first, b->first);
            assert_int_equal(a->last, b->last);
            assert_int_equal(a->clients, b->clients);
            assert_int_equal(a->infected, b->infected);
            assert_memory_equal(a->v, b->v, sizeof a->v);
        }
        feature_table_free(&many);
    }
    feature_table_free(&one);
}

/* A server's first record is kept aside until a second comes (features.c's
 * sightings, used when min_clients is 2 or more): the rows must be those
 * counted at once (min_clients 1), to the bit, also when the second record
 * comes in a later block and when the tables grow (40,000 servers: past
 * the first slot table, and many chunks of figures and of sightings). */
static void test_sightings_same_rows(void **state)
{
    world *w = *state;
    const uint32_t servers = 40000;
    for (int pass = 0; pass < 2; pass++) {
        for (uint32_t s = 0; s < servers; s++) {
            uint32_t clients = 1 + s % 3, ip = IP4(198, 18, 0, 0) + s;
            for (uint32_t c = pass; c < clients; c += 2) {
                int64_t t = DAY0 + (int64_t)(s % 1380) * MIN_MS + c * 7 * MIN_MS;
                flow_record *r = out(w, customer(s % 5000 + c * 97), ip, 6000 + s % 7, 6, t);
                r->bytes = 100 + (s * 37 + c * 11) % 1400;
                r->packets = 1 + (s + c) % 9;
                r->end_ms = t + (s % 5) * 250;
            }
            if (s % 3 == 2 && pass == 1)     /* the answer, a third record */
                back(w, ip, customer(s % 5000 + 97), 6000 + s % 7, 6, DAY0 + 23 * HOUR_MS);
        }
        flush(w);                            /* each pass its own segment */
    }
    feature_table all, kept;
    features_report ra, rk;
    w->in.min_clients = 1;
    compute(w, &all, &ra);
    assert_int_equal(all.n, servers);
    w->in.min_clients = 2;
    compute(w, &kept, &rk);
    assert_int_equal(rk.records, ra.records);
    assert_int_equal(kept.n, servers - (servers + 2) / 3);     /* not the 1-client ones */
    size_t j = 0;
    for (size_t i = 0; i < all.n; i++) {
        const feature_row *a = &all.row[i];
        if (a->clients < 2) continue;
        assert_true(j < kept.n);
        const feature_row *b = &kept.row[j++];
        assert_int_equal(server_cmp(a, b), 0);
        assert_int_equal(a->first, b->first);
        assert_int_equal(a->last, b->last);
        assert_int_equal(a->clients, b->clients);
        assert_int_equal(a->sketch_n, b->sketch_n);
        assert_memory_equal(a->sketch, b->sketch, sizeof a->sketch);
        assert_memory_equal(a->v, b->v, sizeof a->v);
    }
    assert_int_equal(j, kept.n);
    feature_table_free(&all);
    feature_table_free(&kept);
}

/* ---- output ---- */

/* Split a CSV line (no quoting in this output) in place. */
static int split(char *line, char **f, int max)
{
    int n = 0;
    for (char *p = line;; p++) {
        if (n == max) return -1;
        f[n++] = p;
        p = strchr(p, ',');
        if (!p) return n;
        *p = 0;
    }
}

static void test_write(void **state)
{
    world *w = *state;
    more_customers(w);
    value_records(w, DAY0);
    flush(w);
    feature_table t;
    features_report rep;
    compute(w, &t, &rep);
    c2_err err;

    /* CSV */
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_non_null(f);
    assert_int_equal(features_write(&t, f, FEATURES_CSV, &err), 0);
    assert_int_equal(fclose(f), 0);
    char want[2048] = "day,ip,port,proto,first,last";
    for (size_t j = 0; j < FEATURE_COUNT; j++) {
        assert_non_null(feature_name(j));
        assert_ptr_equal(feature_names()[j], feature_name(j));
        strcat(want, ",");
        strcat(want, feature_name(j));
    }
    assert_null(feature_name(FEATURE_COUNT));
    /* every column has its own name (a reader maps columns and keys by it) */
    const char *key[6] = {"day", "ip", "port", "proto", "first", "last"};
    for (size_t j = 0; j < FEATURE_COUNT; j++) {
        for (size_t k = 0; k < 6; k++) assert_string_not_equal(feature_name(j), key[k]);
        for (size_t k = 0; k < j; k++) assert_string_not_equal(feature_name(j), feature_name(k));
    }
    char *save, *line = strtok_r(buf, "\n", &save);
    assert_string_equal(line, want);
    size_t rows = 0;
    int nan_seen = 0;
    while ((line = strtok_r(NULL, "\n", &save)) != NULL) {
        char *fld[6 + FEATURE_COUNT + 1];
        assert_int_equal(split(line, fld, 6 + FEATURE_COUNT + 1), 6 + FEATURE_COUNT);
        assert_true(rows < t.n);
        const feature_row *r = &t.row[rows++];
        char ip[FLOW_ADDR_STRLEN];
        assert_string_equal(fld[0], "2026-01-05");
        assert_string_equal(fld[1], flow_addr_format(&r->ip, ip, sizeof ip));
        assert_int_equal(atoi(fld[2]), r->port);
        assert_string_equal(fld[3], r->proto == 6 ? "tcp" : "udp");
        int64_t first, last;
        assert_int_equal(c2list_time_parse(fld[4], &first), 0);
        assert_int_equal(c2list_time_parse(fld[5], &last), 0);
        assert_true(first == r->first && last == r->last);
        for (size_t j = 0; j < FEATURE_COUNT; j++) {
            const char *s = fld[6 + j];
            if (isnan(r->v[j])) {
                assert_string_equal(s, "");
                nan_seen++;
            } else {
                char *end;
                double x = strtod(s, &end);
                assert_true(*s && !*end);
                assert_near(x, r->v[j], 1e-5 * (1 + fabs(r->v[j])));
            }
        }
    }
    assert_int_equal(rows, t.n);
    assert_int_equal(nan_seen, 2);                  /* syn_only of the two UDP servers */
    free(buf);

    /* JSON Lines */
    buf = NULL;
    f = open_memstream(&buf, &len);
    assert_non_null(f);
    assert_int_equal(features_write(&t, f, FEATURES_JSONL, &err), 0);
    assert_int_equal(fclose(f), 0);
    rows = 0;
    nan_seen = 0;
    for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        json_error_t je;
        json_t *o = json_loads(line, 0, &je);
        if (!o) fail_msg("line %zu: %s", rows + 1, je.text);
        assert_true(json_is_object(o));
        assert_true(rows < t.n);
        const feature_row *r = &t.row[rows++];
        char ip[FLOW_ADDR_STRLEN];
        assert_string_equal(json_string_value(json_object_get(o, "day")), "2026-01-05");
        assert_string_equal(json_string_value(json_object_get(o, "ip")),
                            flow_addr_format(&r->ip, ip, sizeof ip));
        assert_int_equal(json_integer_value(json_object_get(o, "port")), r->port);
        assert_string_equal(json_string_value(json_object_get(o, "proto")),
                            r->proto == 6 ? "tcp" : "udp");
        assert_non_null(json_string_value(json_object_get(o, "first")));
        assert_non_null(json_string_value(json_object_get(o, "last")));
        assert_int_equal(json_object_size(o), 6 + FEATURE_COUNT);
        for (size_t j = 0; j < FEATURE_COUNT; j++) {
            json_t *x = json_object_get(o, feature_name(j));
            assert_non_null(x);
            if (isnan(r->v[j])) {
                assert_true(json_is_null(x));
                nan_seen++;
            } else {
                assert_true(json_is_number(x));
                assert_near(json_number_value(x), r->v[j], 1e-5 * (1 + fabs(r->v[j])));
            }
        }
        json_decref(o);
    }
    assert_int_equal(rows, t.n);
    assert_int_equal(nan_seen, 2);
    free(buf);

    /* an empty table: the header alone; a full disk: an error */
    feature_table empty = {0};
    buf = NULL;
    f = open_memstream(&buf, &len);
    assert_int_equal(features_write(&empty, f, FEATURES_CSV, &err), 0);
    assert_int_equal(fclose(f), 0);
    assert_int_equal(len, strlen(want) + 1);
    free(buf);
    f = fopen("/dev/full", "w");
    if (f) {
        memset(&err, 0, sizeof err);
        assert_int_equal(features_write(&t, f, FEATURES_JSONL, &err), -1);
        assert_non_null(strstr(err.msg, "writing the features"));
        fclose(f);
    }
    feature_table_free(&t);
}

/* ---- labels ---- */

static feature_row label_row(uint32_t ip, uint16_t port, uint8_t proto, int day)
{
    feature_row r;
    memset(&r, 0, sizeof r);
    flow_addr_from_v4(&r.ip, ip);
    r.port = port;
    r.proto = proto;
    r.day = DAY0 + day * DAY_MS;
    r.first = r.last = r.day + HOUR_MS;
    return r;
}

static int label_of(const feature_labels *l, uint32_t ip, uint16_t port, uint8_t proto, int day)
{
    feature_row r = label_row(ip, port, proto, day);
    return feature_labels_of(l, &r);
}

static void test_labels(void **state)
{
    (void)state;
    const uint32_t online = IP4(203, 0, 113, 5), dead = IP4(203, 0, 113, 6),
                   anyport = IP4(203, 0, 113, 7), other = IP4(203, 0, 113, 8),
                   listed = IP4(198, 51, 100, 50), always = IP4(198, 51, 100, 51);
    c2_err err;
    feature_labels *l;
    assert_int_equal(feature_labels_new(&l, &err), 0);
    assert_int_equal(feature_labels_count(l), 0);
    assert_int_equal(label_of(l, online, 6969, 6, 1), LABEL_NEGATIVE);   /* nothing known */

    intel_set *s;
    assert_int_equal(intel_new(&s, &err), 0);
    static const char feodo[] =
        "\"first_seen_utc\",\"dst_ip\",\"dst_port\",\"c2_status\",\"last_online\",\"malware\"\n"
        "\"2026-01-06 07:30:05\",\"203.0.113.5\",\"6969\",\"online\",\"2026-01-20\",\"Mirai\"\n"
        /* listed on the 8th, after its last day online, the 6th */
        "\"2026-01-08 00:00:00\",\"203.0.113.6\",\"443\",\"offline\",\"2026-01-06\",\"QakBot\"\n";
    intel_stats st;
    if (intel_load_mem(s, feodo, strlen(feodo), "feodo", INTEL_FEODO, &st, &err) != 0)
        fail_msg("%s", err.msg);
    assert_int_equal(st.entries, 2);
    const char *plain = "203.0.113.7\n";
    assert_int_equal(intel_load_mem(s, plain, strlen(plain), "plain", INTEL_PLAIN, NULL, &err), 0);
    assert_int_equal(feature_labels_add_intel(l, s, &err), 0);
    intel_free(s);                      /* the labels keep their own copy */

    c2list *cl = c2list_new();
    assert_non_null(cl);
    c2_entry e;
    c2_entry_init(&e);
    flow_addr_from_v4(&e.ip, listed);
    e.port = 8080;
    e.proto = 6;
    e.first_seen = DAY0 + DAY_MS + 5 * HOUR_MS;     /* 2026-01-06T05:00 */
    e.last_seen = DAY0 + 2 * DAY_MS + 20 * HOUR_MS; /* 2026-01-07T20:00 */
    assert_int_equal(c2list_add(cl, &e, &err), 0);
    c2_entry_init(&e);
    flow_addr_from_v4(&e.ip, always);
    e.port = 80;
    e.proto = 6;                                    /* no dates: always */
    assert_int_equal(c2list_add(cl, &e, &err), 0);
    assert_int_equal(feature_labels_add_list(l, cl, &err), 0);
    c2list_free(cl);
    assert_int_equal(feature_labels_count(l), 5);

    /* online since the 6th */
    assert_int_equal(label_of(l, online, 6969, 6, 0), LABEL_UNKNOWN);
    assert_int_equal(label_of(l, online, 6969, 6, 1), LABEL_POSITIVE);
    assert_int_equal(label_of(l, online, 6969, 6, 2), LABEL_POSITIVE);
    assert_int_equal(label_of(l, online, 6969, 6, 30), LABEL_POSITIVE);
    assert_int_equal(label_of(l, online, 6969, 17, 1), LABEL_POSITIVE);   /* any protocol */
    assert_int_equal(label_of(l, online, 443, 6, 1), LABEL_NEGATIVE);     /* another server */
    /* dead on the 6th, listed later: known up to the 6th */
    assert_int_equal(label_of(l, dead, 443, 6, -3), LABEL_POSITIVE);
    assert_int_equal(label_of(l, dead, 443, 6, 0), LABEL_POSITIVE);
    assert_int_equal(label_of(l, dead, 443, 6, 1), LABEL_POSITIVE);
    assert_int_equal(label_of(l, dead, 443, 6, 2), LABEL_UNKNOWN);
    assert_int_equal(label_of(l, dead, 443, 6, 3), LABEL_UNKNOWN);
    /* an address alone: every port, protocol and day */
    assert_int_equal(label_of(l, anyport, 80, 6, 0), LABEL_POSITIVE);
    assert_int_equal(label_of(l, anyport, 6969, 17, 2), LABEL_POSITIVE);
    assert_int_equal(label_of(l, anyport, 0, 1, 9), LABEL_POSITIVE);
    assert_int_equal(label_of(l, other, 6969, 6, 1), LABEL_NEGATIVE);
    assert_int_equal(label_of(l, IP4(192, 0, 2, 1), 6969, 6, 1), LABEL_NEGATIVE);
    /* a confirmed list's row: exactly its days */
    assert_int_equal(label_of(l, listed, 8080, 6, 0), LABEL_UNKNOWN);
    assert_int_equal(label_of(l, listed, 8080, 6, 1), LABEL_POSITIVE);
    assert_int_equal(label_of(l, listed, 8080, 6, 2), LABEL_POSITIVE);
    assert_int_equal(label_of(l, listed, 8080, 6, 3), LABEL_UNKNOWN);
    assert_int_equal(label_of(l, listed, 8080, 17, 1), LABEL_NEGATIVE);   /* its proto only */
    assert_int_equal(label_of(l, always, 80, 6, -100), LABEL_POSITIVE);
    assert_int_equal(label_of(l, always, 80, 6, 100), LABEL_POSITIVE);
    assert_int_equal(label_of(l, always, 443, 6, 0), LABEL_NEGATIVE);
    feature_labels_free(l);
    feature_labels_free(NULL);
}

/* ---- the day cache ---- */

static void assert_same_rows(const feature_table *a, const feature_table *b)
{
    assert_int_equal(a->n, b->n);
    for (size_t i = 0; i < a->n; i++) {
        const feature_row *x = &a->row[i], *y = &b->row[i];
        assert_memory_equal(x->ip.b, y->ip.b, 16);
        assert_true(x->port == y->port && x->proto == y->proto && x->day == y->day);
        assert_true(x->first == y->first && x->last == y->last);
        assert_true(x->clients == y->clients && x->infected == y->infected);
        assert_int_equal(x->sketch_n, y->sketch_n);
        assert_memory_equal(x->sketch, y->sketch, x->sketch_n * sizeof x->sketch[0]);
        assert_memory_equal(x->v, y->v, sizeof x->v);
    }
}

/* Rows kept per day are reused while the store's day is unchanged, give
 * the table a computation from the store gives (the infected figures
 * worked out for each run's own infected hosts), and are read again when
 * the day's records change. */
static void test_cache(void **state)
{
    world *w = *state;
    for (int d = 0; d < 2; d++) {
        reached(w, C2_IP, 6969, 6, 0, 6, DAY0 + d * DAY_MS + HOUR_MS);
        reached(w, IP4(198, 51, 100, 1), 443, 6, 3, 30, DAY0 + d * DAY_MS + HOUR_MS);
    }
    flush(w);
    char cache[300], path[400];
    snprintf(cache, sizeof cache, "%s/cache", w->dir);
    w->in.cache_dir = cache;
    w->in.incremental = 1;
    w->in.to_ms = DAY0 + 2 * DAY_MS;
    flow_addr inf[2];
    flow_addr_from_v4(&inf[0], customer(0));
    flow_addr_from_v4(&inf[1], customer(1));

    feature_table cold, warm, plain;
    features_report rc, rw, rp;
    compute(w, &cold, &rc);
    assert_int_equal(rc.days_cached, 0);
    assert_int_equal(rc.days_unsaved, 0);
    snprintf(path, sizeof path, "%s/features-2026-01-05.rows", cache);
    assert_int_equal(access(path, R_OK), 0);
    /* another run, other infected hosts: the days from the cache, the
     * infected figures its own */
    w->in.infected = inf;
    w->in.n_infected = 2;
    compute(w, &warm, &rw);
    assert_int_equal(rw.days_cached, 2);
    assert_int_equal(rw.records, 0);
    w->in.incremental = 0;
    compute(w, &plain, &rp);
    assert_int_equal(rp.days_cached, 0);
    assert_same_rows(&warm, &plain);
    const feature_row *r = row0(&warm, C2_IP, 6969, 6);
    assert_int_equal(r->infected, 2);
    assert_near(r->v[F_INFECTED_SHARE], 2.0 / 6, 1e-6);
    assert_int_equal(row0(&cold, C2_IP, 6969, 6)->infected, 0);
    feature_table_free(&cold);
    feature_table_free(&warm);
    feature_table_free(&plain);

    /* a record more on the first day: that day is read again */
    out(w, customer(40), C2_IP, 6969, 6, DAY0 + 2 * HOUR_MS);
    flush(w);
    w->in.incremental = 1;
    compute(w, &warm, &rw);
    assert_int_equal(rw.days_cached, 1);
    assert_int_equal(row0(&warm, C2_IP, 6969, 6)->clients, 7);
    feature_table_free(&warm);

    /* a damaged file is read again from the store, and rewritten */
    FILE *f = fopen(path, "r+b");
    assert_non_null(f);
    assert_int_equal(fseek(f, 40, SEEK_SET), 0);
    fputc('X', f);
    fclose(f);
    compute(w, &warm, &rw);
    assert_int_equal(rw.days_cached, 1);
    feature_table_free(&warm);
    compute(w, &warm, &rw);
    assert_int_equal(rw.days_cached, 2);
    feature_table_free(&warm);
}

/* The cache's bytes round-trip, and the reader refuses every cut and
 * every flipped byte of the raw form without crashing. */
static void test_cache_bytes(void **state)
{
    world *w = *state;
    reached(w, C2_IP, 6969, 6, 0, 20, DAY0 + HOUR_MS);
    reached(w, IP4(198, 51, 100, 1), 443, 6, 3, 5, DAY0 + HOUR_MS);
    flush(w);
    feature_table t, back;
    features_report rep;
    compute(w, &t, &rep);
    assert_int_equal(t.n, 2);
    uint8_t *buf;
    size_t len;
    c2_err err;
    int64_t day;
    uint64_t fp;
    assert_int_equal(features_cache_encode(&t, DAY0, 0x1234, &buf, &len, &err), 0);
    assert_int_equal(features_cache_decode(buf, len, &day, &fp, &back, &err), 0);
    assert_true(day == DAY0 && fp == 0x1234);
    assert_same_rows(&t, &back);
    feature_table_free(&back);
    for (size_t cut = 0; cut < len; cut += 7) {
        assert_int_equal(features_cache_decode(buf, cut, &day, &fp, &back, &err), -1);
        feature_table_free(&back);
    }
    for (size_t i = 16; i < len; i++) {         /* the checksum sees every flip */
        buf[i] ^= 0x40;
        assert_int_equal(features_cache_decode(buf, len, &day, &fp, &back, &err), -1);
        feature_table_free(&back);
        buf[i] ^= 0x40;
    }
    free(buf);
    /* rows out of order are refused even with a good checksum */
    feature_row tmp = t.row[0];
    t.row[0] = t.row[1];
    t.row[1] = tmp;
    assert_int_equal(features_cache_encode(&t, DAY0, 1, &buf, &len, &err), 0);
    assert_int_equal(features_cache_decode(buf, len, &day, &fp, &back, &err), -1);
    assert_non_null(strstr(err.msg, "order"));
    feature_table_free(&back);
    free(buf);
    /* times outside the day */
    assert_int_equal(features_cache_encode(&t, DAY0 + DAY_MS, 1, &buf, &len, &err), 0);
    assert_int_equal(features_cache_decode(buf, len, &day, &fp, &back, &err), -1);
    feature_table_free(&back);
    free(buf);
    feature_table_free(&t);
}

#define WORLD_TEST(f) cmocka_unit_test_setup_teardown(f, world_setup, world_teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        WORLD_TEST(test_min_clients),
        WORLD_TEST(test_probe_clients),
        WORLD_TEST(test_sightings_same_rows),
        WORLD_TEST(test_many_clients),
        WORLD_TEST(test_orientation),
        WORLD_TEST(test_infected_share),
        WORLD_TEST(test_values),
        WORLD_TEST(test_days_active),
        WORLD_TEST(test_window),
        WORLD_TEST(test_threads_same_table),
        WORLD_TEST(test_write),
        WORLD_TEST(test_cache),
        WORLD_TEST(test_cache_bytes),
        cmocka_unit_test(test_labels),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
