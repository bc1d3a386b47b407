/*
 * entity.c: things that talk to one server at a period.
 *
 * Bots keep a connection to their C2 (Mirai's 60-second keepalive, a RAT's
 * persistent session) or beacon to a C2 tier (Emotet); IoT devices call
 * their vendor's cloud; phones keep a push-notification connection open.
 * Every exchange is enumerated (tens of millions a day for a million
 * subscribers, cheap next to the records) and each of its packets is
 * sampled 1 in N, so the truth's packet counts are exact and unsampled
 * runs (--sampling 1) show the true periodic pattern.  Sampled packets go
 * through a two-record flow cache per entity (one per direction) that
 * applies the router's active and inactive timeouts.
 *
 * A bot whose C2 has died keeps sending SYNs to it, unanswered, until it
 * migrates to a live C2 of its family (after migrate_hours on average).
 */
#include "sim/sim_impl.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define RTT_MS 80

static const uint16_t iot_ports[] = {8883, 443, 1883, 5683, 10001, 9000, 8080, 32100, 6668};
static const int64_t iot_periods[] = {30000, 60000, 120000, 300000};

int sim_pairs_add(sim_pairs *p, uint64_t key)
{
    key += 1;                       /* 0 marks an empty slot */
    if ((p->n + 1) * 2 > p->cap) {
        size_t cap = p->cap ? p->cap * 2 : 4096;
        uint64_t *slot = calloc(cap, sizeof *slot);
        if (!slot)
            return -1;
        for (size_t i = 0; i < p->cap; i++) {
            if (!p->slot[i]) continue;
            size_t j = (p->slot[i] * 0x9e3779b97f4a7c15ULL) & (cap - 1);
            while (slot[j]) j = (j + 1) & (cap - 1);
            slot[j] = p->slot[i];
        }
        free(p->slot);
        p->slot = slot;
        p->cap = cap;
    }
    size_t j = (key * 0x9e3779b97f4a7c15ULL) & (p->cap - 1);
    while (p->slot[j]) {
        if (p->slot[j] == key)
            return 0;
        j = (j + 1) & (p->cap - 1);
    }
    p->slot[j] = key;
    p->n++;
    return 1;
}

int sim_pairs_has(const sim_pairs *p, uint64_t key)
{
    if (!p->cap)
        return 0;
    key += 1;
    size_t j = (key * 0x9e3779b97f4a7c15ULL) & (p->cap - 1);
    while (p->slot[j]) {
        if (p->slot[j] == key)
            return 1;
        j = (j + 1) & (p->cap - 1);
    }
    return 0;
}

/* ---- the world's periodic entities ---- */

int sim_add_lookalike(sim *s, const flow_addr *ip, uint16_t port, uint8_t proto,
                      const char *kind)
{
    if (s->n_look == s->cap_look) {
        uint32_t cap = s->cap_look ? s->cap_look * 2 : 256;
        sim_lookalike *t = realloc(s->look, cap * sizeof *t);
        if (!t) return -1;
        s->look = t;
        s->cap_look = cap;
    }
    sim_lookalike *l = &s->look[s->n_look++];
    memset(l, 0, sizeof *l);
    l->ip = *ip;
    l->port = port;
    l->proto = proto;
    l->kind = kind;
    return 0;
}

/* Device models and their clouds; push services. */
static int build_models(sim *s, rng *r, uint32_t *push_first, uint32_t *push_n)
{
    uint32_t m = s->sc.iot_models;
    s->models = calloc(m, sizeof *s->models);
    if (!s->models)
        return -1;
    for (uint32_t i = 0; i < m; i++) {
        sim_model *md = &s->models[i];
        md->period_ms = iot_periods[rng_below(r, 4)];
        md->proto = rng_unit(r) < 0.4 ? 17 : 6;
        md->up_bytes = 60 + (uint32_t)rng_below(r, 120);
        md->down_bytes = 52 + (uint32_t)rng_below(r, 80);
        md->first_lookalike = s->n_look;
        md->n_servers = 1 + (uint32_t)rng_below(r, 4);
        uint16_t port = iot_ports[rng_below(r, sizeof iot_ports / sizeof iot_ports[0])];
        for (uint32_t j = 0; j < md->n_servers; j++) {
            flow_addr ip;
            sim_unclaimed_v4(s, 300 + i, j, &ip);
            if (sim_add_lookalike(s, &ip, port, md->proto, "iot-cloud") < 0)
                return -1;
        }
    }
    *push_first = s->n_look;
    *push_n = 24;
    for (uint32_t j = 0; j < *push_n; j++) {
        flow_addr ip;
        sim_unclaimed_v4(s, 299, j, &ip);
        uint16_t port = j < 10 ? 5223 : j < 20 ? 5228 : 443;
        if (sim_add_lookalike(s, &ip, port, 6, "push") < 0)
            return -1;
    }
    return 0;
}

static int grow_entities(sim *s, uint32_t *cap)
{
    if (s->n_ent < *cap)
        return 0;
    uint32_t c = *cap ? *cap * 2 : 4096;
    sim_entity *t = realloc(s->ent, c * sizeof *t);
    if (!t)
        return -1;
    s->ent = t;
    *cap = c;
    return 0;
}

int sim_entities_build(sim *s, c2_err *err)
{
    rng r;
    rng_seed(&r, s->seed, STREAM_WORLD, 7);
    uint32_t push_first, push_n, cap = 0;
    if (build_models(s, &r, &push_first, &push_n) < 0)
        return c2_fail(err, "out of memory");
    /* bots first: their entity number is their bot number */
    for (uint32_t b = 0; b < s->n_bots; b++) {
        if (grow_entities(s, &cap) < 0)
            return c2_fail(err, "out of memory");
        sim_entity *e = &s->ent[s->n_ent++];
        memset(e, 0, sizeof *e);
        rng_seed(&e->r, s->seed, STREAM_BOT, b);
        e->type = ENT_BOT;
        e->sub = s->bots[b].sub;
        e->family = s->bots[b].family;
        e->id = b;
        e->server = UINT32_MAX;
        int64_t from = s->bots[b].infected_at > s->start_ms ? s->bots[b].infected_at : s->start_ms;
        e->period_ms = s->sc.fam[e->family].heartbeat_ms;
        e->next_ms = from + (int64_t)rng_below(&e->r, (uint64_t)e->period_ms);
        e->fresh = 1;
    }
    s->n_bot_ent = s->n_ent;
    /* Zipf popularity of device models */
    double *w = malloc(s->sc.iot_models * sizeof *w);
    alias_table models = {0};
    if (!w)
        return c2_fail(err, "out of memory");
    for (uint32_t i = 0; i < s->sc.iot_models; i++)
        w[i] = 1.0 / (i + 1);
    int rc = alias_build(&models, w, s->sc.iot_models);
    free(w);
    if (rc < 0)
        return c2_fail(err, "out of memory");
    uint64_t iot_below = (uint64_t)(s->sc.iot_share * 18446744073709551615.0);
    uint64_t push_below = (uint64_t)(s->sc.push_share * 18446744073709551615.0);
    for (uint32_t sub = 0; sub < s->sc.subscribers; sub++) {
        rng sr;
        rng_seed(&sr, s->seed, STREAM_DEVICE, sub);
        int devices = 0;
        if (rng_next(&sr) < iot_below) {
            double u = rng_unit(&sr);
            devices = u < 0.6 ? 1 : u < 0.9 ? 2 : 3;
        }
        int phone = rng_next(&sr) < push_below;
        for (int d = 0; d < devices + phone; d++) {
            if (grow_entities(s, &cap) < 0) {
                alias_free(&models);
                return c2_fail(err, "out of memory");
            }
            sim_entity *e = &s->ent[s->n_ent++];
            memset(e, 0, sizeof *e);
            rng_seed(&e->r, s->seed, STREAM_DEVICE, (1ULL << 40) | (uint64_t)sub << 3 | (uint64_t)d);
            e->sub = sub;
            e->id = s->n_ent;
            e->sport = sim_ephemeral_port(&e->r);
            if (d < devices) {
                e->type = ENT_IOT;
                e->family = (uint8_t)0;
                uint32_t model = alias_draw(&models, &e->r);
                e->id = model;          /* the model, for the exchange's shape */
                const sim_model *md = &s->models[model];
                e->server = md->first_lookalike + (uint32_t)rng_below(&e->r, md->n_servers);
                e->period_ms = md->period_ms;
            } else {
                e->type = ENT_PUSH;
                e->server = push_first + (uint32_t)rng_below(&e->r, push_n);
                e->period_ms = (15 + (int64_t)rng_below(&e->r, 14)) * 60000;
            }
            s->look[e->server].clients++;
            e->next_ms = s->start_ms + (int64_t)rng_below(&e->r, (uint64_t)e->period_ms);
        }
    }
    alias_free(&models);
    s->stats.devices = s->n_ent - s->n_bot_ent;
    return 0;
}

/* ---- the router's flow cache for one entity ---- */

static void flush(sim *s, sim_chunk *c, sim_entity *e, sim_open_rec *o, int outbound,
                  const flow_addr *far, uint16_t far_port, uint8_t proto)
{
    if (!o->open)
        return;
    flow_addr me;
    sim_sub_v4(s, e->sub, &me);
    flow_record *r = sim_emit(s, c, e->sub, outbound, &me, far, e->sport, far_port, proto);
    if (r) {
        r->start_ms = o->first;
        r->end_ms = o->last;
        r->packets = (uint64_t)o->packets * s->sc.sampling;
        r->bytes = o->bytes * s->sc.sampling;
        r->tcp_flags = proto == 6 ? o->flags : 0;
        if (e->type == ENT_BOT) s->stats.bot_records++;
        else s->stats.lookalike_records++;
    }
    memset(o, 0, sizeof *o);
}

typedef struct peer {
    flow_addr ip;
    uint16_t  port;
    uint8_t   proto;
} peer;

static void entity_peer(const sim *s, const sim_entity *e, peer *p)
{
    if (e->type == ENT_BOT) {
        const sim_server *sv = &s->fam[e->family].srv[e->server];
        p->ip = sv->ip; p->port = sv->port; p->proto = sv->proto;
    } else {
        const sim_lookalike *l = &s->look[e->server];
        p->ip = l->ip; p->port = l->port; p->proto = l->proto;
    }
}

static void flush_both(sim *s, sim_chunk *c, sim_entity *e)
{
    if (!e->up.open && !e->down.open)
        return;
    if (e->server == UINT32_MAX)
        return;
    peer p;
    entity_peer(s, e, &p);
    flush(s, c, e, &e->up, 1, &p.ip, p.port, p.proto);
    flush(s, c, e, &e->down, 0, &p.ip, p.port, p.proto);
}

static void add_packets(sim *s, sim_chunk *c, sim_entity *e, sim_open_rec *o, int outbound,
                        int64_t t, uint32_t k, uint32_t bytes, uint8_t flags)
{
    if (o->open && (t - o->last > s->sc.inactive_ms || t - o->first >= s->sc.active_ms)) {
        peer p;
        entity_peer(s, e, &p);
        flush(s, c, e, o, outbound, &p.ip, p.port, p.proto);
    }
    if (!o->open) {
        o->open = 1;
        o->first = t;
    }
    o->last = t;
    o->packets += k;
    o->bytes += (uint64_t)k * bytes;
    o->flags |= flags;
}

/* One exchange of n_up packets out and n_down back at t; each sampled. */
static void exchange(sim *s, sim_chunk *c, sim_entity *e, int64_t t, uint32_t n_up,
                     uint32_t n_down, uint32_t up_bytes, uint32_t down_bytes,
                     uint8_t up_flags, uint8_t down_flags)
{
    uint64_t n = (uint64_t)n_up + n_down;
    if (!n)
        return;
    if (s->p < 1) {
        double any = n < SIM_ANY_TAB ? s->any_prob[n] : -expm1((double)n * log1p(-s->p));
        if (rng_unit(&e->r) >= any)
            return;
    }
    uint64_t k = rng_binomial_pos(&e->r, n, s->p);
    uint64_t k_up = rng_binomial(&e->r, k, (double)n_up / (double)n);
    if (k_up)
        add_packets(s, c, e, &e->up, 1, t, (uint32_t)k_up, up_bytes, up_flags);
    if (k - k_up)
        add_packets(s, c, e, &e->down, 0, t + RTT_MS, (uint32_t)(k - k_up), down_bytes,
                    down_flags);
}

/* A new connection: the flow cache's open records belong to the old one. */
static void new_connection(sim *s, sim_chunk *c, sim_entity *e, uint32_t server)
{
    flush_both(s, c, e);
    e->server = server;
    e->sport = sim_ephemeral_port(&e->r);
}

static void count_truth(sim *s, sim_entity *e, sim_server *sv, uint64_t packets)
{
    sv->packets += packets;
    uint64_t key = ((uint64_t)e->family << 56) | ((uint64_t)e->server << 32) | e->id;
    if (sim_pairs_add(&s->pairs, key) == 1)
        sv->bots++;
}

static void bot_exchange(sim *s, sim_chunk *c, sim_entity *e, int64_t t)
{
    const sim_family_cfg *f = &s->sc.fam[e->family];
    sim_family *fm = &s->fam[e->family];
    if (f->kind == KIND_EMOTET) {
        /* each beacon is a fresh TLS connection to some live tier server */
        long pick = sim_pick_c2(s, e->family, t, &e->r);
        if (pick < 0)
            return;
        new_connection(s, c, e, (uint32_t)pick);
        exchange(s, c, e, t, f->hb_up, f->hb_down, f->hb_up_bytes, f->hb_down_bytes,
                 TCP_SYN | TCP_ACK | TCP_PSH | TCP_FIN, TCP_SYN | TCP_ACK | TCP_PSH | TCP_FIN);
        count_truth(s, e, &fm->srv[pick], (uint64_t)f->hb_up + f->hb_down);
        return;
    }
    if (e->server == UINT32_MAX || (t >= e->until_ms && e->until_ms && fm->srv[e->server].died <= t)) {
        long pick = sim_pick_c2(s, e->family, t, &e->r);
        if (pick < 0 && e->server == UINT32_MAX)
            return;                     /* no C2 alive yet: the bot idles */
        if (pick >= 0) {
            new_connection(s, c, e, (uint32_t)pick);
            e->fresh = 1;
            e->until_ms = 0;
        } else {
            e->until_ms = t + 3600000;  /* try again in an hour */
        }
    }
    sim_server *sv = &fm->srv[e->server];
    if (sv->died <= t) {
        /* unanswered SYN to a dead C2; the bot migrates later */
        if (!e->until_ms)
            e->until_ms = t + (int64_t)rng_exp(&e->r, f->migrate_hours * 3600000.0) + 1;
        new_connection(s, c, e, e->server);
        exchange(s, c, e, t, 1, 0, 60, 0, TCP_SYN, 0);
        count_truth(s, e, sv, 1);
        return;
    }
    if (e->fresh) {
        /* handshake and the bot's hello */
        new_connection(s, c, e, e->server);
        e->fresh = 0;
        exchange(s, c, e, t, 3, 2, f->hb_up_bytes + 8, f->hb_down_bytes,
                 TCP_SYN | TCP_ACK | TCP_PSH, TCP_SYN | TCP_ACK);
        count_truth(s, e, sv, 5);
        return;
    }
    exchange(s, c, e, t, f->hb_up, f->hb_down, f->hb_up_bytes, f->hb_down_bytes,
             TCP_ACK | TCP_PSH, TCP_ACK | TCP_PSH);
    count_truth(s, e, sv, (uint64_t)f->hb_up + f->hb_down);
}

static void entity_step(sim *s, sim_chunk *c, sim_entity *e, int64_t t)
{
    if (e->type == ENT_BOT) {
        const sim_bot *b = &s->bots[e->id];
        if (t >= b->cleaned_at) {
            flush_both(s, c, e);
            e->next_ms = C2_TIME_MAX;
            return;
        }
        bot_exchange(s, c, e, t);
    } else if (e->type == ENT_IOT) {
        const sim_model *md = &s->models[e->id];
        exchange(s, c, e, t, 1, 1, md->up_bytes, md->down_bytes, TCP_ACK | TCP_PSH,
                 TCP_ACK | TCP_PSH);
    } else {
        exchange(s, c, e, t, 1, 1, 100, 90, TCP_ACK | TCP_PSH, TCP_ACK | TCP_PSH);
    }
    int64_t period = e->period_ms;
    double jitter = e->type == ENT_BOT ? s->sc.fam[e->family].heartbeat_jitter : 0.02;
    int64_t step = (int64_t)((double)period * (1 + jitter * (2 * rng_unit(&e->r) - 1)));
    e->next_ms = t + (step > 1 ? step : 1);
}

static void expire(sim *s, sim_chunk *c, sim_entity *e, int64_t now)
{
    sim_open_rec *o[2] = {&e->up, &e->down};
    for (int i = 0; i < 2; i++) {
        if (!o[i]->open)
            continue;
        if (now - o[i]->last > s->sc.inactive_ms || now - o[i]->first >= s->sc.active_ms) {
            peer p;
            entity_peer(s, e, &p);
            flush(s, c, e, o[i], i == 0, &p.ip, p.port, p.proto);
        }
    }
}

/* When the entity next needs a look: its next exchange, or the moment an
 * open record times out. */
static int64_t entity_due(const sim *s, const sim_entity *e)
{
    int64_t due = e->next_ms;
    const sim_open_rec *o[2] = {&e->up, &e->down};
    for (int i = 0; i < 2; i++) {
        if (!o[i]->open) continue;
        int64_t x = o[i]->last + s->sc.inactive_ms + 1;
        if (o[i]->first + s->sc.active_ms < x) x = o[i]->first + s->sc.active_ms;
        if (x < due) due = x;
    }
    return due;
}

void sim_entities_chunk(sim *s, sim_chunk *c, int64_t t0, int64_t t1)
{
    (void)t0;
    /* the due times sit in their own array: most entities have nothing to
     * do in a chunk, and the scan then reads 8 bytes, not the entity */
    if (!s->ent_due) {
        s->ent_due = malloc((s->n_ent ? s->n_ent : 1) * sizeof *s->ent_due);
        if (!s->ent_due) {
            c->failed = 1;
            return;
        }
        for (uint32_t i = 0; i < s->n_ent; i++)
            s->ent_due[i] = entity_due(s, &s->ent[i]);
    }
    for (uint32_t i = 0; i < s->n_ent && !c->failed; i++) {
        if (s->ent_due[i] > t1)
            continue;
        sim_entity *e = &s->ent[i];
        while (e->next_ms < t1 && e->next_ms < s->end_ms)
            entity_step(s, c, e, e->next_ms);
        if (e->up.open || e->down.open)
            expire(s, c, e, t1);
        s->ent_due[i] = entity_due(s, e);
    }
}

void sim_entities_finish(sim *s, sim_chunk *c)
{
    for (uint32_t i = 0; i < s->n_ent; i++)
        flush_both(s, c, &s->ent[i]);
}
