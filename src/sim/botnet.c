/*
 * botnet.c: the botnet families' servers and bots, and what bots do
 * besides talking to their C2 (entity.c does that): scanning, reporting
 * found victims, downloading the malware when infected, and attacking
 * together when a C2 says so.  The inbound research scanners live here
 * too, since they are the same kind of traffic seen from the other side.
 *
 * Servers are born by a Poisson process and live a lognormal time (by
 * default fitted to the trial: mean 20.2 days, 80 % gone within 10 days),
 * starting a year before the window so that the servers alive at its start
 * have the ages a running botnet has.  Bots are infected by a Poisson
 * process and stay infected an exponential time.
 */
#include "sim/sim_impl.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define WARMUP_MS (365LL * C2_MS_PER_DAY)
#define MAX_LIFE_MS (3 * 365LL * C2_MS_PER_DAY)
#define MAX_SERVERS 1000000

static const uint16_t research_ports[] = {23, 22, 80, 443, 8080, 3389, 445, 5555, 6379, 1433};

static uint16_t pick_port(const sim_port_mix *m, rng *r)
{
    double total = 0;
    for (int i = 0; i < m->n; i++) total += m->weight[i];
    double u = rng_unit(r) * total;
    for (int i = 0; i < m->n; i++) {
        if (u < m->weight[i]) return m->port[i];
        u -= m->weight[i];
    }
    return m->port[m->n - 1];
}

static double bots_count(const sim *s, double v)
{
    return v >= 1 ? v : v * s->sc.subscribers;
}

static sim_server *new_server(sim *s, int family)
{
    sim_family *fm = &s->fam[family];
    if (fm->n_srv == fm->cap_srv) {
        uint32_t cap = fm->cap_srv ? fm->cap_srv * 2 : 256;
        sim_server *t = realloc(fm->srv, cap * sizeof *t);
        if (!t) return NULL;
        fm->srv = t;
        fm->cap_srv = cap;
    }
    sim_server *sv = &fm->srv[fm->n_srv++];
    memset(sv, 0, sizeof *sv);
    sv->family = (uint8_t)family;
    sv->feed_listed = C2_TIME_MAX;
    return sv;
}

/* A birth-death process of servers of one role, `active` alive on average. */
static int servers_of_role(sim *s, int family, int role, double active, double median_days,
                           double sigma, rng *r, c2_err *err)
{
    const sim_family_cfg *f = &s->sc.fam[family];
    /* `active` alive on average at the window: births per unit time times
     * the expected life as far as the warm-up can see it (the rare servers
     * that live for years would otherwise take the whole budget) */
    rng est;
    rng_seed(&est, s->seed, STREAM_FAMILY, 1000 + (uint64_t)family * 8 + (uint64_t)role);
    double seen = 0;
    for (int i = 0; i < 4096; i++)
        seen += fmin(rng_lognormal(&est, median_days, sigma), (double)WARMUP_MS / C2_MS_PER_DAY);
    seen /= 4096;
    double births_per_ms = active / (seen * C2_MS_PER_DAY);
    double expected = births_per_ms * (double)(s->end_ms - s->start_ms + WARMUP_MS);
    if (expected > MAX_SERVERS)
        return c2_fail(err, "[family %s]: %.0f servers would be born (c2_active and lifetimes); "
                       "at most %d", f->name, expected, MAX_SERVERS);
    int64_t t = s->start_ms - WARMUP_MS;
    for (;;) {
        t += (int64_t)rng_exp(r, 1.0 / births_per_ms);
        if (t >= s->end_ms)
            return 0;
        double life = rng_lognormal(r, median_days * C2_MS_PER_DAY, sigma);
        int64_t died = t + (int64_t)fmin(life, (double)MAX_LIFE_MS) + 60000;
        if (died <= s->start_ms)
            continue;                   /* gone before the window: never seen */
        sim_server *sv = new_server(s, family);
        if (!sv)
            return c2_fail(err, "out of memory");
        sv->born = t;
        sv->died = died;
        sv->role = (uint8_t)role;
        sv->proto = 6;
        if (sim_claim_v4(s, 1000 + (uint64_t)family * 8 + (uint64_t)role,
                         s->fam[family].n_srv, &sv->ip) < 0)
            return c2_fail(err, "out of memory");
        switch (role) {
        case ROLE_C2:
            sv->port = pick_port(&f->c2_ports, r);
            sv->weight = f->c2_alpha > 0 ? rng_pareto(r, 1, f->c2_alpha) : 1;
            if (rng_unit(r) < f->feed_share)
                sv->feed_listed = t + (int64_t)(rng_lognormal(r, f->feed_delay_days, f->feed_delay_sigma) * C2_MS_PER_DAY);
            break;
        case ROLE_REPORT: sv->port = f->report_port ? f->report_port : 48101; break;
        case ROLE_DOWNLOAD: sv->port = f->kind == KIND_EMOTET ? 443 : 80; break;
        default: sv->port = 23; break;      /* a loader logs in to its victims */
        }
        sv->weight = sv->weight > 0 ? sv->weight : 1;
    }
}

static int build_bots(sim *s, int family, rng *r, sim_pairs *taken)
{
    const sim_family_cfg *f = &s->sc.fam[family];
    double mean_ms = f->infection_days * C2_MS_PER_DAY;
    uint64_t initial = (uint64_t)llround(bots_count(s, f->initial_bots));
    double days = (double)(s->end_ms - s->start_ms) / C2_MS_PER_DAY;
    uint64_t fresh = rng_poisson(r, bots_count(s, f->new_per_day) * days);
    for (uint64_t i = 0; i < initial + fresh; i++) {
        uint32_t sub = 0;
        int tries = 0;
        do {
            sub = (uint32_t)rng_below(r, s->sc.subscribers);
        } while (sim_pairs_add(taken, (uint64_t)family << 32 | sub) == 0 && ++tries < 64);
        if (tries == 64)
            break;                      /* the family has infected nearly everyone */
        sim_bot *b = &s->bots[s->n_bots++];
        b->sub = sub;
        b->family = (uint8_t)family;
        if (i < initial) {
            b->infected_at = s->start_ms - (int64_t)rng_exp(r, mean_ms) - 1;
            b->cleaned_at = s->start_ms + (int64_t)rng_exp(r, mean_ms) + 1;
        } else {
            b->infected_at = s->start_ms + (int64_t)rng_below(r, (uint64_t)(s->end_ms - s->start_ms));
            b->cleaned_at = b->infected_at + (int64_t)rng_exp(r, mean_ms) + 1;
        }
    }
    return 0;
}

int sim_botnets_build(sim *s, c2_err *err)
{
    uint64_t max_bots = 0;
    double days = (double)(s->end_ms - s->start_ms) / C2_MS_PER_DAY;
    for (int i = 0; i < s->sc.n_fam; i++) {
        const sim_family_cfg *f = &s->sc.fam[i];
        double expect = bots_count(s, f->initial_bots) + bots_count(s, f->new_per_day) * days;
        max_bots += (uint64_t)(expect + 10 * sqrt(expect) + 100);
    }
    if (max_bots > 50000000)
        return c2_fail(err, "the families would infect %llu hosts; at most 50,000,000",
                       (unsigned long long)max_bots);
    s->bots = calloc(max_bots ? max_bots : 1, sizeof *s->bots);
    sim_pairs taken = {0};
    if (!s->bots)
        return c2_fail(err, "out of memory");
    for (int i = 0; i < s->sc.n_fam; i++) {
        const sim_family_cfg *f = &s->sc.fam[i];
        rng r;
        rng_seed(&r, s->seed, STREAM_FAMILY, (uint64_t)i);
        int bad = servers_of_role(s, i, ROLE_C2, f->c2_active, f->c2_life_median_days,
                                  f->c2_life_sigma, &r, err) < 0;
        if (!bad && f->loaders)
            bad = servers_of_role(s, i, ROLE_DOWNLOAD, f->loaders, 3, 1.5, &r, err) < 0 ||
                  (f->kind != KIND_EMOTET &&
                   servers_of_role(s, i, ROLE_LOADER, f->loaders, 3, 1.5, &r, err) < 0) ||
                  (f->reports_per_day > 0 &&
                   servers_of_role(s, i, ROLE_REPORT, f->loaders, 3, 1.5, &r, err) < 0);
        if (bad) {
            free(taken.slot);
            return -1;
        }
        if (build_bots(s, i, &r, &taken) < 0) {
            free(taken.slot);
            return c2_fail(err, "out of memory building family %s", f->name);
        }
    }
    free(taken.slot);
    s->scanner_ip = calloc(s->sc.scanners ? s->sc.scanners : 1, sizeof *s->scanner_ip);
    if (!s->scanner_ip)
        return c2_fail(err, "out of memory");
    for (uint32_t j = 0; j < s->sc.scanners; j++) {
        if (sim_claim_v4(s, STREAM_SCANNER, j, &s->scanner_ip[j]) < 0)
            return c2_fail(err, "out of memory");
        if (sim_add_lookalike(s, &s->scanner_ip[j], 0, 6, "scanner") < 0)
            return c2_fail(err, "out of memory");
    }
    return 0;
}

/* A live server of `role` at t, by weight (C2) or uniformly; -1 if none. */
static long pick_server(const sim *s, int family, int role, int64_t t, rng *r)
{
    const sim_family *fm = &s->fam[family];
    double total = 0;
    for (uint32_t i = 0; i < fm->n_srv; i++) {
        const sim_server *sv = &fm->srv[i];
        if (sv->role == role && sv->born <= t && t < sv->died)
            total += sv->weight;
    }
    if (total <= 0)
        return -1;
    double u = rng_unit(r) * total;
    long last = -1;
    for (uint32_t i = 0; i < fm->n_srv; i++) {
        const sim_server *sv = &fm->srv[i];
        if (sv->role != role || sv->born > t || t >= sv->died)
            continue;
        last = (long)i;
        if (u < sv->weight)
            return (long)i;
        u -= sv->weight;
    }
    return last;
}

long sim_pick_c2(const sim *s, int family, int64_t t, rng *r)
{
    return pick_server(s, family, ROLE_C2, t, r);
}

static void random_public_v4(const sim *s, rng *r, flow_addr *out)
{
    sim_external_v4(s, STREAM_ADDR, rng_next(r), out);
}

/* ---- per chunk ---- */

static void scans(sim *s, sim_chunk *c, const sim_bot *b, const sim_family_cfg *f,
                  int64_t from, int64_t to, rng *r)
{
    double mean = f->scan_pps * s->p * (double)(to - from) / 1000.0;
    uint64_t n = rng_poisson(r, mean);
    flow_addr me;
    sim_sub_v4(s, b->sub, &me);
    for (uint64_t i = 0; i < n; i++) {
        flow_addr dst;
        random_public_v4(s, r, &dst);
        flow_record *rec = sim_emit(s, c, b->sub, 1, &me, &dst, sim_ephemeral_port(r),
                                    pick_port(&f->scan_ports, r), 6);
        if (!rec) return;
        rec->start_ms = rec->end_ms = from + (int64_t)rng_below(r, (uint64_t)(to - from));
        rec->packets = s->sc.sampling;
        rec->bytes = 40ULL * s->sc.sampling;
        rec->tcp_flags = 0x02;
        s->stats.bot_records++;
    }
}

static void connect_to(sim *s, sim_chunk *c, const sim_bot *b, int family, int role,
                       int64_t t, uint64_t n_up, uint64_t n_down, uint32_t up_bytes,
                       uint32_t down_bytes, int inbound, rng *r)
{
    long k = pick_server(s, family, role, t, r);
    if (k < 0)
        return;
    /* sim_emit_connection draws the packets of a connection that has a
     * sampled packet; most of these short ones have none */
    if (rng_unit(r) >= -expm1((double)(n_up + n_down) * log1p(-s->p)))
        return;
    const sim_server *sv = &s->fam[family].srv[k];
    flow_addr me;
    sim_sub_v4(s, b->sub, &me);
    size_t before = c->n;
    if (inbound)        /* the loader opens a telnet session to the victim */
        sim_emit_connection(s, c, r, b->sub, &me, &sv->ip, 23, sim_ephemeral_port(r), 6, 0,
                            t, 20000, n_up, n_down, up_bytes, down_bytes);
    else
        sim_emit_connection(s, c, r, b->sub, &me, &sv->ip, sim_ephemeral_port(r), sv->port, 6, 1,
                            t, 3000, n_up, n_down, up_bytes, down_bytes);
    s->stats.bot_records += c->n - before;
}

static void bot_chunk(sim *s, sim_chunk *c, const sim_bot *b, int64_t t0, int64_t t1, rng *r)
{
    const sim_family_cfg *f = &s->sc.fam[b->family];
    int64_t from = b->infected_at > t0 ? b->infected_at : t0;
    int64_t to = b->cleaned_at < t1 ? b->cleaned_at : t1;
    if (to > s->end_ms) to = s->end_ms;
    if (from >= to)
        return;
    if (f->scan_pps > 0)
        scans(s, c, b, f, from, to, r);
    if (f->reports_per_day > 0) {
        uint64_t n = rng_poisson(r, f->reports_per_day * (double)(to - from) / C2_MS_PER_DAY);
        for (uint64_t i = 0; i < n; i++)
            connect_to(s, c, b, b->family, ROLE_REPORT,
                       from + (int64_t)rng_below(r, (uint64_t)(to - from)), 6, 4, 90, 60, 0, r);
    }
    if (b->infected_at >= t0 && b->infected_at < t1) {
        if (f->kind != KIND_EMOTET && f->kind != KIND_RAT)
            connect_to(s, c, b, b->family, ROLE_LOADER, b->infected_at, 25, 20, 70, 90, 1, r);
        connect_to(s, c, b, b->family, ROLE_DOWNLOAD, b->infected_at + 20000,
                   f->kind == KIND_EMOTET ? 150 : 25, f->kind == KIND_EMOTET ? 400 : 60,
                   60, 1400, 0, r);
    }
}

static int add_ddos(sim *s, const sim_ddos *d)
{
    if (s->n_ddos == s->cap_ddos) {
        uint32_t cap = s->cap_ddos ? s->cap_ddos * 2 : 64;
        sim_ddos *t = realloc(s->ddos, cap * sizeof *t);
        if (!t) return -1;
        s->ddos = t;
        s->cap_ddos = cap;
    }
    s->ddos[s->n_ddos++] = *d;
    return 0;
}

/* The C2 orders its bots at one target; each bot floods for the duration. */
static void attack(sim *s, sim_chunk *c, int family, int64_t t, rng *r)
{
    const sim_family_cfg *f = &s->sc.fam[family];
    long k = sim_pick_c2(s, family, t, r);
    if (k < 0)
        return;
    sim_ddos d = {.start = t, .c2 = (uint32_t)k, .family = (uint8_t)family};
    random_public_v4(s, r, &d.target);
    d.end = t + (int64_t)(rng_lognormal(r, f->ddos_minutes, 0.7) * 60000) + 1000;
    int syn = rng_unit(r) < 0.4;
    static const uint16_t udp_ports[] = {53, 80, 443, 27015, 3074};
    d.proto = syn ? 6 : 17;
    d.port = syn ? (rng_unit(r) < 0.5 ? 80 : 443) : udp_ports[rng_below(r, 5)];
    for (uint32_t i = 0; i < s->n_bot_ent; i++) {
        const sim_entity *e = &s->ent[i];
        const sim_bot *b = &s->bots[e->id];
        if (e->family != family || e->server != (uint32_t)k || b->cleaned_at <= t ||
            b->infected_at > t)
            continue;
        d.bots++;
        flow_addr me;
        sim_sub_v4(s, b->sub, &me);
        uint64_t n = rng_poisson(r, f->ddos_pps * s->p * (double)(d.end - t) / 1000.0);
        for (uint64_t j = 0; j < n; j++) {
            flow_record *rec = sim_emit(s, c, b->sub, 1, &me, &d.target,
                                        sim_ephemeral_port(r), d.port, d.proto);
            if (!rec) return;
            int64_t until = d.end < s->end_ms ? d.end : s->end_ms;
            rec->start_ms = rec->end_ms = t + (int64_t)rng_below(r, (uint64_t)(until - t));
            rec->packets = s->sc.sampling;
            rec->bytes = (uint64_t)(syn ? 40 : 540) * s->sc.sampling;
            rec->tcp_flags = syn ? 0x02 : 0;
            s->stats.bot_records++;
        }
    }
    if (d.bots && add_ddos(s, &d) < 0)
        c->failed = 1;
    s->stats.ddos = s->n_ddos;
}

static void research_scanners(sim *s, sim_chunk *c, int64_t t0, rng *r)
{
    /* a scanner of the whole IPv4 space sends our share of its probes here */
    double share = (double)s->v4_total / 4294967296.0;
    for (uint32_t j = 0; j < s->sc.scanners; j++) {
        double mean = s->sc.scanner_pps * share * s->p * SIM_CHUNK_MS / 1000.0;
        uint64_t n = rng_poisson(r, mean);
        for (uint64_t i = 0; i < n; i++) {
            uint32_t sub = (uint32_t)rng_below(r, s->sc.subscribers);
            flow_addr me;
            sim_sub_v4(s, sub, &me);
            uint16_t port = research_ports[(j + rng_below(r, 3)) % 10];
            flow_record *rec = sim_emit(s, c, sub, 0, &me, &s->scanner_ip[j], port,
                                        (uint16_t)(40000 + j), 6);
            if (!rec) return;
            rec->start_ms = rec->end_ms = t0 + (int64_t)rng_below(r, SIM_CHUNK_MS);
            rec->packets = s->sc.sampling;
            rec->bytes = 44ULL * s->sc.sampling;
            rec->tcp_flags = 0x02;
            s->stats.scanner_records++;
        }
    }
}

void sim_botnets_chunk(sim *s, sim_chunk *c, int64_t t0, int64_t t1, uint64_t chunk_no)
{
    rng r;
    rng_seed(&r, s->seed, STREAM_BOTNET_CHUNK, chunk_no);
    for (uint32_t i = 0; i < s->n_bots && !c->failed; i++)
        bot_chunk(s, c, &s->bots[i], t0, t1, &r);
    for (int f = 0; f < s->sc.n_fam && !c->failed; f++) {
        double per_chunk = s->sc.fam[f].ddos_per_day * (double)(t1 - t0) / C2_MS_PER_DAY;
        uint64_t n = rng_poisson(&r, per_chunk);
        for (uint64_t j = 0; j < n; j++)
            attack(s, c, f, t0 + (int64_t)rng_below(&r, (uint64_t)(t1 - t0)), &r);
    }
    research_scanners(s, c, t0, &r);
}
