/*
 * sim_impl.h: the simulator's internals, shared by the files of src/sim/
 * and by nobody else.  docs/simulator.md explains the model; this header
 * says how it is held in memory.
 *
 * Shape of a run: sim_new() reads the scenario and builds the world once:
 * subscribers and their addresses, the benign services and their servers,
 * IoT devices and phones that call home periodically, and for each botnet
 * family its C2 and loader servers (births and deaths over the whole window
 * and a warm-up before it) and its bots (infection and clean-up times).
 * sim_run() then walks simulated time in chunks of SIM_CHUNK_MS.  Each
 * chunk's records come from three generators:
 *   benign.c   aggregate services: sampled connections drawn as a thinned
 *              Poisson process (exact in distribution, cost per record);
 *   entity.c   things that exchange packets periodically (bots with their
 *              C2, IoT devices, phones): every exchange is enumerated and
 *              each packet is sampled 1 in N, through a small flow cache
 *              per entity that applies the router's timeouts;
 *   botnet.c   the rest of the bots' behaviour: scans, reports, infection
 *              downloads, DDoS bursts, and the inbound research scanners.
 * The chunk is sorted by end time (export order) and handed to the sink.
 */
#ifndef C2FLOW_SIM_IMPL_H
#define C2FLOW_SIM_IMPL_H

#include <stdint.h>
#include <stdio.h>

#include "flow/flow.h"
#include "sim/rng.h"
#include "sim/sim.h"
#include "util/util.h"

#define SIM_CHUNK_MS (5 * 60 * 1000LL)
#define SIM_WARMUP_DAYS 120             /* C2 birth-death history before start */
#define SIM_MAX_FAMILIES 8
#define SIM_MAX_PREFIXES 8
#define SIM_MAX_PORTS 8
#define SIM_MAX_DAYS 366
#define SIM_MAX_SUBSCRIBERS 20000000u
#define SIM_ISP_AS_DEFAULT 64500
#define SIM_ANY_TAB 64

enum sim_kind { KIND_MIRAI, KIND_GAFGYT, KIND_EMOTET, KIND_RAT, KIND_COUNT };
enum sim_role { ROLE_C2, ROLE_LOADER, ROLE_DOWNLOAD, ROLE_REPORT };

/* Stream kinds for rng_seed(): every random stream has its own seed. */
enum sim_stream {
    STREAM_WORLD = 1, STREAM_FAMILY, STREAM_BOT, STREAM_DEVICE, STREAM_CLASS,
    STREAM_BOTNET_CHUNK, STREAM_SCANNER, STREAM_ADDR, STREAM_DDOS
};

typedef struct sim_prefix {
    flow_addr base;
    unsigned  len;                  /* IPv4 prefixes: len of the mapped form - 96 */
} sim_prefix;

typedef struct sim_port_mix {
    uint16_t port[SIM_MAX_PORTS];
    double   weight[SIM_MAX_PORTS];
    int      n;
} sim_port_mix;

/* One [family NAME] section. */
typedef struct sim_family_cfg {
    char     name[32];
    int      kind;
    double   initial_bots;          /* >= 1: a count; < 1: a share of subscribers */
    double   new_per_day;           /* new infections per day, same convention */
    double   infection_days;        /* mean time until a bot is cleaned */
    double   c2_active;             /* mean number of live C2 servers */
    double   c2_life_median_days, c2_life_sigma;   /* lognormal lifetime */
    double   c2_alpha;              /* Pareto shape of C2 popularity; 0 = uniform */
    sim_port_mix c2_ports;
    int64_t  heartbeat_ms;          /* keepalive / beacon period */
    double   heartbeat_jitter;      /* +- share of the period */
    uint32_t hb_up, hb_down;        /* packets per exchange, bot->C2 and back */
    uint32_t hb_up_bytes, hb_down_bytes;   /* bytes per packet */
    double   scan_pps;              /* SYN scan packets per second per bot */
    sim_port_mix scan_ports;
    double   reports_per_day;       /* report-server connections per bot-day */
    uint16_t report_port;
    double   ddos_per_day, ddos_minutes, ddos_pps;
    double   migrate_hours;         /* mean time bots keep calling a dead C2 */
    uint32_t loaders;               /* loader + download servers alive at once */
    double   feed_share, feed_delay_days, feed_delay_sigma;
} sim_family_cfg;

struct sim_scenario {
    char     name[64];
    int64_t  start_ms;
    uint32_t days;
    /* [isp] */
    uint32_t subscribers;
    sim_prefix v4[SIM_MAX_PREFIXES], v6[SIM_MAX_PREFIXES];
    int      n_v4, n_v6;
    uint32_t asn, routers, interfaces, sampling;
    int64_t  active_ms, inactive_ms, utc_offset_ms;
    double   ipv6_share, activity_sigma;
    /* [benign] */
    double   benign_scale, iot_share, push_share, public_dns_share;
    double   gamer_share, vpn_share, tor_relay_share, tor_client_share;
    uint32_t iot_models, scanners;
    double   scanner_pps;
    /* [family NAME] */
    sim_family_cfg fam[SIM_MAX_FAMILIES];
    int      n_fam;
};

/* A malicious server: a C2, or loader / download / report infrastructure. */
typedef struct sim_server {
    flow_addr ip;
    int64_t   born, died;           /* died = C2_TIME_MAX: outlives the window */
    int64_t   feed_listed;          /* C2_TIME_MAX: the feed never lists it */
    double    weight;               /* popularity among the family's bots */
    uint64_t  packets;              /* truth: packets with bots in the window */
    uint32_t  bots;                 /* truth: distinct bots in the window */
    uint16_t  port;
    uint8_t   proto, role, family;
} sim_server;

/* The router's view of one direction of an entity's current connection:
 * sampled packets gathered until a timeout closes the record. */
typedef struct sim_open_rec {
    int64_t  first, last;
    uint64_t bytes;
    uint32_t packets;
    uint8_t  flags, open;
} sim_open_rec;

enum entity_type { ENT_BOT, ENT_IOT, ENT_PUSH };
enum { TCP_FIN = 0x01, TCP_SYN = 0x02, TCP_PSH = 0x08, TCP_ACK = 0x10 };

/* Something that exchanges packets with one server at a period. */
typedef struct sim_entity {
    rng      r;
    int64_t  next_ms;               /* next exchange; C2_TIME_MAX = none */
    int64_t  until_ms;              /* current attachment ends (bots) */
    uint32_t sub;                   /* subscriber index */
    uint32_t server;                /* index into the family's servers, or lookalike */
    uint32_t id;                    /* bot number or device number */
    int64_t  period_ms;             /* between exchanges */
    uint16_t sport;                 /* source port of the current connection */
    uint8_t  type, family;          /* entity_type; family or model index */
    uint8_t  fresh;                 /* next exchange opens a connection */
    sim_open_rec up, down;
} sim_entity;

/* A benign destination that behaves periodically (truth: lookalikes). */
typedef struct sim_lookalike {
    flow_addr ip;
    uint32_t  clients;
    uint16_t  port;
    uint8_t   proto;
    const char *kind;               /* "iot-cloud", "push", ... */
} sim_lookalike;

/* A device model that calls its vendor cloud. */
typedef struct sim_model {
    int64_t  period_ms;
    uint32_t first_lookalike, n_servers;
    uint32_t up_bytes, down_bytes;
    uint8_t  proto;
} sim_model;

typedef struct sim_bot {
    uint32_t sub;
    uint8_t  family;
    int64_t  infected_at, cleaned_at;   /* cleaned_at C2_TIME_MAX: not in window */
} sim_bot;

typedef struct sim_ddos {
    flow_addr target;
    int64_t   start, end;
    uint32_t  bots, c2;
    uint16_t  port;
    uint8_t   proto, family;
} sim_ddos;

/* Per-family world state. */
typedef struct sim_family {
    sim_server *srv;                /* C2 first, then other roles */
    uint32_t    n_srv, cap_srv;
} sim_family;

typedef struct sim_class sim_class;

/* Growable record buffer of one chunk. */
typedef struct sim_chunk {
    flow_record *rec;
    size_t       n, cap;
    int          failed;            /* allocation failed: the run stops */
} sim_chunk;

/* (server, bot) pairs already counted, for the truth's distinct bots. */
typedef struct sim_pairs {
    uint64_t *slot;
    size_t    cap, n;
} sim_pairs;

struct sim {
    sim_scenario sc;
    uint64_t     seed;
    int64_t      start_ms, end_ms;
    double       p;                 /* 1 / sampling */
    /* subscribers */
    uint64_t     v4_total;          /* addresses in the v4 prefixes */
    uint64_t     v4_stride;         /* scatter: index * stride mod total */
    unsigned     v6_deleg_len;      /* /56 or /64 per subscriber */
    alias_table  activity;          /* which subscriber a connection is from */
    /* benign */
    sim_class   *classes;
    int          n_classes;
    /* periodic entities */
    sim_entity  *ent;
    uint32_t     n_ent, n_bot_ent;  /* bots first */
    int64_t     *ent_due;           /* per entity: next time it needs a look */
    sim_lookalike *look;
    uint32_t     n_look, cap_look;
    sim_model   *models;
    flow_addr   *scanner_ip;
    /* botnets */
    sim_family   fam[SIM_MAX_FAMILIES];
    sim_bot     *bots;
    uint32_t     n_bots;
    sim_ddos    *ddos;
    uint32_t     n_ddos, cap_ddos;
    sim_pairs    pairs;             /* (server, bot) seen: truth's bots */
    sim_pairs    claimed;           /* IPv4 addresses of malicious servers */
    double       any_prob[SIM_ANY_TAB];   /* P(some of n packets sampled) */
    sim_stats    stats;
};

/* scenario.c */
void sim_scenario_defaults(sim_scenario *sc);
void sim_family_defaults(sim_family_cfg *f, int kind);
const char *sim_kind_name(int kind);

/* addr.c: the address plan */
int  sim_addr_plan(sim *s, c2_err *err);
void sim_sub_v4(const sim *s, uint32_t sub, flow_addr *out);
void sim_sub_v6(const sim *s, uint32_t sub, flow_addr *out);
/* A public, non-bogon address outside the customer space, from (kind, index). */
void sim_external_v4(const sim *s, uint64_t kind, uint64_t index, flow_addr *out);
void sim_external_v6(const sim *s, uint64_t kind, uint64_t index, flow_addr *out);
int  sim_is_customer(const sim *s, const flow_addr *a);
/* The same, unique among the claimed ones (and then claimed), or avoiding
 * every claimed one. */
int  sim_claim_v4(sim *s, uint64_t kind, uint64_t index, flow_addr *out);
void sim_unclaimed_v4(const sim *s, uint64_t kind, uint64_t index, flow_addr *out);
uint32_t sim_as_of(const sim *s, const flow_addr *a);
uint32_t sim_router_of(const sim *s, uint32_t sub);

/* emit.c: records */
int  sim_chunk_reserve(sim_chunk *c, size_t more);
/* Fill the fields every record shares; direction 0 = subscriber -> server. */
flow_record *sim_emit(const sim *s, sim_chunk *c, uint32_t sub, int outbound,
                      const flow_addr *sub_addr, const flow_addr *far,
                      uint16_t sub_port, uint16_t far_port, uint8_t proto);
uint16_t sim_ephemeral_port(rng *r);
/* One connection's sampled packets (k_dir of n_dir per direction) spread
 * over [t0, t0 + dur], cut into records by the router's timeouts.  The
 * connection is taken to have at least one sampled packet (the benign
 * process is already thinned to those); others must draw that first. */
void sim_emit_connection(const sim *s, sim_chunk *c, rng *r, uint32_t sub,
                         const flow_addr *sub_addr, const flow_addr *far,
                         uint16_t sub_port, uint16_t far_port, uint8_t proto,
                         int outbound_first, int64_t t0, int64_t dur,
                         uint64_t n_up, uint64_t n_down,
                         uint32_t up_bytes, uint32_t down_bytes);
void sim_sort_chunk(sim_chunk *c, flow_record **tmp, size_t *tmp_cap);
double sim_diurnal(const sim *s, int64_t t);

/* benign.c */
int  sim_benign_build(sim *s, c2_err *err);
/* Part `part` of `parts` of a chunk's benign records (parts run on
 * different threads; the world is only read).  Returns records added. */
size_t sim_benign_chunk(const sim *s, sim_chunk *c, int64_t t0, uint64_t chunk_no,
                        int part, int parts);
void sim_benign_free(sim *s);

/* entity.c */
int  sim_entities_build(sim *s, c2_err *err);
void sim_entities_chunk(sim *s, sim_chunk *c, int64_t t0, int64_t t1);
void sim_entities_finish(sim *s, sim_chunk *c);
int  sim_pairs_add(sim_pairs *p, uint64_t key);   /* 1 new, 0 seen, -1 oom */
int  sim_pairs_has(const sim_pairs *p, uint64_t key);
/* Note a benign look-alike for the truth; 0, or -1 out of memory. */
int  sim_add_lookalike(sim *s, const flow_addr *ip, uint16_t port, uint8_t proto,
                       const char *kind);

/* botnet.c */
int  sim_botnets_build(sim *s, c2_err *err);
void sim_botnets_chunk(sim *s, sim_chunk *c, int64_t t0, int64_t t1, uint64_t chunk_no);
/* The live C2 of a family at time t, chosen by popularity; -1 if none. */
long sim_pick_c2(const sim *s, int family, int64_t t, rng *r);

/* truth.c */
int  sim_truth_write(const sim *s, FILE *f, c2_err *err);
int  sim_feed_write(const sim *s, FILE *f, c2_err *err);

#endif
