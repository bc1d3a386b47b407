/*
 * day.c: one day of flows read into a day summary (detect_impl.h).
 *
 * Pass 1 reads every record of the day once and keeps, per server, counts
 * and a sketch of its customer clients; per customer host only what hints
 * at infection (SYN-only probes, contact with known bad servers, bins in
 * which it sent fast); and a sketch of all active hosts.  Servers that
 * only ever got SYN-only records from one host (a scanner's targets, most
 * of a day's servers) are counted apart, as lone entries, until something
 * else reaches them.  Hosts whose hints pass half the infection thresholds
 * are the day's suspects.  Pass 2 reads the day again, decoding only the
 * address columns of rows that are not theirs, and records the suspects'
 * edges (host, server) and how many packets each sent to each server in
 * each minute, from which synchronised
 * floods are found.  Servers seen only as the target of one probe (the
 * bulk of a scanner's traffic) are dropped at the end.
 *
 * A day may be read by several threads, each taking a share of its time
 * span with tables of its own; their hosts and servers are put together
 * between the passes, and their edges at the end.
 *
 * Records are oriented first: the side inside the customer space is the
 * host, the other the server (its port the service port).  Records with
 * both or neither side inside are not looked at, nor SYN-only records from
 * outside (connection attempts to the host, whose "server" would be a
 * client's ephemeral port).
 */
#include "detect/detect_impl.h"

#include <pthread.h>
#include <stdlib.h>

#define CMS_ROWS 3
#define CMS_LINE 16             /* uint32 counters in a 64-byte line */
#define HEAVY_BIN_MS 300000     /* suspicion of flooding: per 5 minutes */
#define PASS1_FIELDS (FLOW_BIT(FLOW_START) | FLOW_BIT(FLOW_SRC_ADDR) |            \
                      FLOW_BIT(FLOW_DST_ADDR) | FLOW_BIT(FLOW_SRC_PORT) |         \
                      FLOW_BIT(FLOW_DST_PORT) | FLOW_BIT(FLOW_PROTO) |            \
                      FLOW_BIT(FLOW_TCP_FLAGS) | FLOW_BIT(FLOW_PACKETS) |         \
                      FLOW_BIT(FLOW_BYTES) | FLOW_BIT(FLOW_SAMPLING))

typedef struct burst_cell {      /* packets of a suspect to a server in a bin */
    uint32_t host, dest;
    int64_t  bin;
    uint64_t packets;
} burst_cell;

/* A server's figures while pass 1 counts its day piece: all that a record
 * touches, in one aligned cache line, apart from the key, which only a
 * new server writes.  Pass 1 is bound by memory: each record waits on the
 * lines it touches in tables of hundreds of MiB, and this row was two
 * lines of dd_dest and a third of a separate packet count.  The rows
 * become dd_dests when the parts are put together (merge_dests). */
typedef struct dest_hot {
    uint64_t packets, bytes;
    uint64_t up;                 /* packets its clients sent it */
    uint32_t flows, syn_flows;
    uint32_t first, last;        /* ms after the day piece's start */
    uint32_t flags;
    uint32_t gate;               /* what spares reading clients' own array (a
                                    cache line elsewhere) when adding a client
                                    would change nothing: while the sketch is
                                    full its largest value, which no larger
                                    hash enters; before, the hash added last
                                    (once there is one), as a client's flows
                                    to a server come in runs */
    dsketch  clients;
} dest_hot;
_Static_assert(sizeof(dest_hot) == 64, "a dest_hot is one cache line");

typedef struct dest_key {        /* the rest of a server of pass 1 */
    flow_addr ip;
    uint16_t  port;
    uint8_t   proto;
    uint32_t  seq;               /* when first seen, among the piece's servers */
} dest_key;

/* A server every record so far reached with a SYN-only packet from one
 * customer host: nearly always the target of one probe of a scanner.  Such
 * servers are 86 % of a day's, and the day drops them at the end
 * (lone_probes).  Among the rows they made the rows, their index and the
 * merge of the day's pieces seven times larger than the servers that
 * matter.  Pass 1 counts them here instead, 40 bytes each and no client
 * sketch, and the first record that is not such a probe (another host,
 * another kind of packet, a flood crossing) turns the entry into a row
 * with the same figures.  bench/detect.sh's week, days read two at a
 * time: peak memory 3.5 GB with them among the rows, 1.8 GB apart, the
 * same summaries byte for byte; the time is about the same, since a record
 * still waits on its count-min line. */
typedef struct lone_entry {
    uint64_t packets, bytes;     /* of its records, all sent by the host */
    uint32_t client;             /* the host's hash */
    uint32_t flows;              /* its records */
    uint32_t first, last;        /* ms after the day piece's start */
    uint32_t seq;                /* when first seen, among the piece's servers */
    uint32_t promoted;           /* it has a row now, which counts it */
} lone_entry;

typedef struct heavy_key {       /* (host, server, bin) that crossed B->heavy */
    uint64_t  hash, sampling;
    uint32_t  dest, pad;         /* the server's (ip, port, proto) */
    flow_addr host;
} heavy_key;

typedef struct builder {
    dday               *d;           /* pass 1's hosts and servers; edges */
    dday               *hd;          /* the hosts pass 2 reads (all parts') */
    const dtab         *hix;         /* ... their index, */
    dday               *sd;          /* ... the servers (all parts'), */
    const dtab         *six;         /* ... their index */
    const uint8_t      *sprobe;      /* ... and which are lone probes */
    int64_t             intel_at;    /* intel as of the end of the whole day */
    const detect_input *in;
    dtab                host_ix, dest_ix, edge_ix, cell_ix;
    uint32_t           *cms;         /* cms_mask + 1 lines of CMS_LINE */
    size_t              cms_mask;
    uint64_t            heavy;       /* packets to one server in 5 min that make
                                        a host heavy: 2 minutes at burst_pps */
    uint64_t            flood;       /* packets in a burst bin that flood */
    uint64_t           *bloom;       /* suspects' address hashes (pass 2) */
    uint32_t            bloom_mask;
    dest_hot           *hot;         /* pass 1's servers (d->n_dest of them) */
    dest_key           *key;
    uint32_t            cap_hot;
    uint32_t            n_seen;      /* servers first seen, rows and lone entries */
    dtab                lone_ix;     /* lone entries by server key */
    lone_entry         *lone;
    uint32_t            n_lone, cap_lone;
    int                 keep_lone;   /* keep the lone entries after pass 1: the day
                                        has other parts, which may have seen them */
    heavy_key          *crossed;
    uint32_t            n_crossed, cap_crossed;
    burst_cell         *cell;
    uint32_t            n_cell, cap_cell;
    uint8_t            *s_in, *d_in; /* per row of the batch: inside? */
    uint64_t           *dest_h;      /* per row (pass 1): hash of its server key, */
    uint64_t           *cms_h;       /* ... of its count-min key, */
    uint32_t           *host_h;      /* ... of its host (0: row not looked at) */
    size_t              cap_rows;
} builder;

typedef struct oriented {
    const flow_addr *host, *server;
    uint16_t port;
    uint8_t  proto, out;         /* out: the host sent it */
} oriented;

static int rows_room(builder *B, size_t n)
{
    if (n <= B->cap_rows) return 0;
    free(B->s_in);
    free(B->d_in);
    free(B->dest_h);
    free(B->cms_h);
    free(B->host_h);
    B->s_in = malloc(n);
    B->d_in = malloc(n);
    B->dest_h = malloc(n * sizeof *B->dest_h);
    B->cms_h = malloc(n * sizeof *B->cms_h);
    B->host_h = malloc(n * sizeof *B->host_h);
    B->cap_rows = B->s_in && B->d_in && B->dest_h && B->cms_h && B->host_h ? n : 0;
    return B->cap_rows ? 0 : -1;
}

/* Which side is the customer's; 0 when the record is not looked at. */
static int orient(const flow_batch *b, size_t i, const builder *B, oriented *o)
{
    if (B->s_in[i] == B->d_in[i]) return 0;
    o->out = B->s_in[i];
    o->host = o->out ? &b->src_addr[i] : &b->dst_addr[i];
    o->server = o->out ? &b->dst_addr[i] : &b->src_addr[i];
    o->proto = b->proto[i];
    o->port = o->out ? b->dst_port[i] : b->src_port[i];
    if (o->proto == 1 || o->proto == 58) o->port = 0;
    if (!o->out && (b->tcp_flags[i] & (FLOW_TCP_SYN | FLOW_TCP_ACK)) == FLOW_TCP_SYN &&
        o->proto == 6)
        return 0;
    return 1;
}

static int syn_only(const flow_batch *b, size_t i)
{
    return flow_tcp_syn_only(b->proto[i], b->tcp_flags[i]);
}

static uint32_t samples(const flow_batch *b, size_t i)
{
    uint32_t n = b->sampling[i] ? b->sampling[i] : 1;
    uint64_t s = b->packets[i] / n;
    return s ? (s > UINT32_MAX ? UINT32_MAX : (uint32_t)s) : 1;
}

static dd_host *host_get(builder *B, const flow_addr *a)
{
    dday *d = B->d;
    dkey k = dkey_addr(a);
    int is_new;
    uint32_t *v = dtab_put(&B->host_ix, &k, d->n_host, &is_new);
    if (!v) return NULL;
    if (is_new) {
        if (detect_grow((void **)&d->host, &d->cap_host, d->n_host + 1, sizeof *d->host) < 0)
            return NULL;
        dd_host *h = &d->host[d->n_host++];
        h->addr = *a;
        h->syn_first = INT64_MAX;
        h->syn_last = INT64_MIN;
    }
    return &d->host[*v];
}

/* Room for need servers in pass 1's rows; the hot rows stay aligned. */
static int dest_room(builder *B, uint32_t need)
{
    if (need <= B->cap_hot) return 0;
    uint64_t cap = B->cap_hot ? 2ull * B->cap_hot : 4096;
    while (cap < need) cap *= 2;
    if (cap > UINT32_MAX) return -1;
    dest_hot *hot = aligned_alloc(sizeof *hot, cap * sizeof *hot);
    if (!hot) return -1;
    dest_key *key = realloc(B->key, cap * sizeof *key);
    if (!key) {
        free(hot);
        return -1;
    }
    c2_advise_huge(hot, cap * sizeof *hot);
    if (B->d->n_dest) memcpy(hot, B->hot, B->d->n_dest * sizeof *hot);
    free(B->hot);
    B->hot = hot;
    B->key = key;
    B->cap_hot = (uint32_t)cap;
    return 0;
}

static dest_key dest_key_of(const dkey *k, uint32_t seq)
{
    dest_key x = {.port = (uint16_t)k->w[2], .proto = (uint8_t)(k->w[2] >> 16), .seq = seq};
    memcpy(x.ip.b, k->w, sizeof x.ip.b);
    return x;
}

/* A row for the server of key k (hash h), which has none; *di its index. */
static int dest_new(builder *B, const dkey *k, uint64_t h, uint32_t seq, uint32_t flags,
                    uint32_t *di)
{
    dday *d = B->d;
    int is_new;
    if (!dtab_put_hashed(&B->dest_ix, k, h, d->n_dest, &is_new) ||
        dest_room(B, d->n_dest + 1) < 0)
        return -1;
    *di = d->n_dest++;
    B->key[*di] = dest_key_of(k, seq);
    dest_hot *s = &B->hot[*di];
    memset(s, 0, sizeof *s);
    s->first = UINT32_MAX;
    s->flags = flags;
    return 0;
}

static int lone_new(builder *B, const dkey *k, uint64_t h, uint32_t hh, uint32_t seq,
                    uint32_t *li)
{
    int is_new;
    if (!dtab_put_hashed(&B->lone_ix, k, h, B->n_lone, &is_new) ||
        detect_grow((void **)&B->lone, &B->cap_lone, B->n_lone + 1, sizeof *B->lone) < 0)
        return -1;
    *li = B->n_lone++;
    B->lone[*li] = (lone_entry){.client = hh, .first = UINT32_MAX, .seq = seq};
    return 1;
}

/* dsketch_add of a server's client, skipped when it would change nothing
 * (dest_hot.gate). */
static int client_add(dest_hot *s, uint32_t hh)
{
    dsketch *c = &s->clients;
    int full = c->n == DSKETCH_CLIENTS;
    if (full ? hh >= s->gate : c->n && hh == s->gate) return 0;
    if (dsketch_add(c, hh, DSKETCH_CLIENTS) < 0) return -1;
    s->gate = c->n == DSKETCH_CLIENTS ? dsketch_vals(c)[DSKETCH_CLIENTS - 1] : hh;
    return 0;
}

/* Lone entry li becomes a row with the same figures (all its records were
 * SYN-only ones the host sent); *di its index. */
static int lone_promote(builder *B, uint32_t li, const dkey *k, uint64_t h, uint32_t *di)
{
    lone_entry *e = &B->lone[li];
    if (dest_new(B, k, h, e->seq, 0, di) < 0) return -1;
    dest_hot *s = &B->hot[*di];
    s->packets = s->up = e->packets;
    s->bytes = e->bytes;
    s->flows = s->syn_flows = e->flows;
    s->first = e->first;
    s->last = e->last;
    e->promoted = 1;
    return client_add(s, e->client);
}

/* Where pass 1 counts a record's server: a row (0, *di) or a lone entry
 * (1, *li); the record is from host hh, SYN-only or not.  *fresh: the
 * server is new to the day piece.  -1: out of memory. */
static int server_of(builder *B, const oriented *o, uint64_t h, uint32_t hh, int syn,
                     uint32_t *di, uint32_t *li, int *fresh)
{
    dkey k = dkey_server(o->server, o->port, o->proto);
    const uint32_t *v = dtab_get_hashed(&B->dest_ix, &k, h);
    *fresh = 0;
    if (v) {
        *di = *v;
        return 0;
    }
    if ((v = dtab_get_hashed(&B->lone_ix, &k, h))) {    /* not promoted: rows come first */
        if (syn && B->lone[*v].client == hh) {
            *li = *v;
            return 1;
        }
        return lone_promote(B, *v, &k, h, di);
    }
    *fresh = 1;
    uint32_t seq = B->n_seen++;
    int intel = B->in->intel &&
                intel_match(B->in->intel, o->server, o->port, o->proto, B->intel_at);
    if (!syn || intel) return dest_new(B, &k, h, seq, intel ? DEST_INTEL : 0, di);
    return lone_new(B, &k, h, hh, seq, li);
}

static void lone_count(lone_entry *e, uint64_t packets, uint64_t bytes, uint32_t at)
{
    e->flows++;
    e->packets += packets;
    e->bytes += bytes;
    if (at < e->first) e->first = at;
    if (at > e->last) e->last = at;
}

/* A day read in several pieces: a lone entry whose server another piece
 * saw too (as a row or as an entry of its own) becomes a row, for
 * merge_dests to put together with the other piece's (lone_probes then
 * judges the whole day); the others are lone probes of the whole day. */
static int lone_seen_elsewhere(builder *B, unsigned parts)
{
    for (unsigned p = 0; p < parts; p++)
        for (size_t j = 0; j < B[p].lone_ix.cap; j++) {
            const dslot *s = &B[p].lone_ix.slot[j];
            if (!s->tag || B[p].lone[s->val].promoted) continue;
            uint64_t h = dkey_hash(&s->key);
            int seen = 0;
            for (unsigned q = 0; q < parts && !seen; q++)
                seen = q != p && (dtab_get_hashed(&B[q].dest_ix, &s->key, h) ||
                                  dtab_get_hashed(&B[q].lone_ix, &s->key, h));
            uint32_t di;
            if (seen && lone_promote(&B[p], s->val, &s->key, h, &di) < 0) return -1;
        }
    return 0;
}

/* After pass 1 (and mark_heavy, which names rows by index; and, for a day
 * in pieces, lone_seen_elsewhere): the lone entries left are dropped, as
 * the day's lone probes, and the rows put in the order their servers were
 * first seen, the index following, so that the day is what it was when
 * every server had a row from the start: the same summary, byte for byte. */
static int rows_in_order(builder *B)
{
    dtab_free(&B->lone_ix);
    free(B->lone);
    B->lone = NULL;
    B->n_lone = B->cap_lone = 0;
    uint32_t n = B->d->n_dest;
    uint32_t *row = malloc(((size_t)B->n_seen + 1) * sizeof *row);   /* by seq */
    uint32_t *to = malloc(((size_t)n + 1) * sizeof *to);              /* by row */
    if (!row || !to) {
        free(row);
        free(to);
        return -1;
    }
    memset(row, 0xff, (size_t)B->n_seen * sizeof *row);
    for (uint32_t i = 0; i < n; i++) row[B->key[i].seq] = i;
    for (uint32_t s = 0, next = 0; s < B->n_seen; s++)
        if (row[s] != UINT32_MAX) to[row[s]] = next++;
    for (size_t j = 0; j < B->dest_ix.cap; j++)
        if (B->dest_ix.slot[j].tag) B->dest_ix.slot[j].val = to[B->dest_ix.slot[j].val];
    for (uint32_t i = 0; i < n; i++)            /* each cycle of the permutation */
        while (to[i] != i) {
            uint32_t j = to[i], t = to[j];
            dest_hot h = B->hot[i];
            dest_key x = B->key[i];
            B->hot[i] = B->hot[j];
            B->key[i] = B->key[j];
            B->hot[j] = h;
            B->key[j] = x;
            to[j] = j;
            to[i] = t;
        }
    free(row);
    free(to);
    return 0;
}

/* Pass 1's servers and their sketches (those not moved by dest_of). */
static void dest_rows_free(builder *B)
{
    for (uint32_t i = 0; B->hot && i < B->d->n_dest; i++) dsketch_free(&B->hot[i].clients);
    free(B->hot);
    free(B->key);
    B->hot = NULL;
    B->key = NULL;
    B->cap_hot = 0;
    B->d->n_dest = 0;
}

/* Pass 1's server i as a dd_dest; its sketch moves with it. */
static dd_dest dest_of(builder *B, uint32_t i)
{
    dest_hot *h = &B->hot[i];
    const dest_key *k = &B->key[i];
    dd_dest x = {.ip = k->ip, .port = k->port, .proto = k->proto, .flags = (uint8_t)h->flags,
                 .flows = h->flows, .syn_flows = h->syn_flows, .packets = h->packets,
                 .bytes = h->bytes, .first = B->d->from + h->first,
                 .last = B->d->from + h->last, .clients = h->clients};
    memset(&h->clients, 0, sizeof h->clients);
    return x;
}

static void port_count(dd_host *h, uint16_t port)
{
    for (int j = 0; j < 3; j++)
        if (h->port_n[j] && h->port[j] == port) { h->port_n[j]++; return; }
    for (int j = 0; j < 3; j++)
        if (!h->port_n[j]) { h->port[j] = port; h->port_n[j] = 1; return; }
    for (int j = 0; j < 3; j++) h->port_n[j]--;
}

/* Count-min over (host, server address, 5-minute bin) of the sampled
 * packets a host sends: is it sending fast to one server?  Counting
 * samples, not packets, keeps the noise of other keys in a counter to a
 * few samples.  Whether that server answered (large downloads make fast
 * senders of acknowledgements, but their server sends more than it gets;
 * a flooded target does not) is judged at the end of the day.
 *
 * The sketch is blocked: a key's CMS_ROWS counters lie in one 64-byte line
 * (its low hash bits pick the line, higher bits the counters in it), so a
 * record costs one cache miss, not three.  The counters were the slowest
 * loads of pass 1 by far: a third of its time went to three random reads
 * in tens of MiB.  Blocked counters collide a little more than rows do
 * (bench/detect.sh's days: 4,091 suspects instead of 3,782; the same
 * servers listed with the same scores, though the extra suspects' edges
 * can renumber the groups), and a day of 70 M records took 12.1 s
 * instead of 15.0. */
static inline uint32_t *cms_line(const builder *B, uint64_t h)
{
    return &B->cms[(h & B->cms_mask) * CMS_LINE];
}

static uint64_t cms_add(builder *B, uint64_t h, uint64_t add)
{
    uint64_t least = UINT64_MAX;
    uint32_t *line = cms_line(B, h);
    for (int r = 0; r < CMS_ROWS; r++) {
        uint32_t *c = &line[(h >> (40 + 4 * r)) & (CMS_LINE - 1)];
        uint64_t v = *c + add;
        *c = v > UINT32_MAX ? UINT32_MAX : (uint32_t)v;
        if (*c < least) least = *c;
    }
    return least;
}

static uint64_t cms_hash(uint32_t hh, const flow_addr *server, int64_t t)
{
    dkey k = dkey_ints((uint64_t)hh << 32 | detect_addr_hash(server),
                       (uint64_t)(t / HEAVY_BIN_MS));
    return dkey_hash(&k);
}

static void cms_prefetch(const builder *B, uint64_t h)
{
    __builtin_prefetch(cms_line(B, h));
}

/* Count the record; whether it takes the host's packets to the server
 * over the threshold now. */
static int cms_crosses(builder *B, const oriented *o, uint64_t h, uint64_t packets,
                       uint32_t sampling)
{
    if (!o->out) return 0;
    uint64_t n = sampling ? sampling : 1, add = packets / n ? packets / n : 1;
    uint64_t sent = cms_add(B, h, add), before = sent > add ? sent - add : 0;
    return sent * n >= B->heavy && before * n < B->heavy;
}

/* Note the key of a crossing, to be judged at the end of the day. */
static int cms_note(builder *B, const oriented *o, uint32_t dest, uint64_t h, uint32_t sampling)
{
    if (detect_grow((void **)&B->crossed, &B->cap_crossed, B->n_crossed + 1,
                    sizeof *B->crossed) < 0)
        return -1;
    B->crossed[B->n_crossed++] = (heavy_key){h, sampling ? sampling : 1, dest, 0, *o->host};
    return 0;
}

/* The hosts whose crossing stands at the end of the day. */
static int mark_heavy(builder *B)
{
    for (uint32_t i = 0; i < B->n_crossed; i++) {
        const heavy_key *c = &B->crossed[i];
        const dest_hot *s = &B->hot[c->dest];
        uint64_t up = s->up, got = s->packets - up;
        if (cms_add(B, c->hash, 0) * c->sampling < B->heavy || got * 2 > up) continue;
        dd_host *h = host_get(B, &c->host);
        if (!h) return -1;
        h->heavy = 1;
    }
    return 0;
}

/* The hashes of a batch's rows first, so that the table slots and counters
 * of rows a little ahead can be fetched while a row is worked on: the
 * tables are far larger than the caches, and waiting for memory is most of
 * the time of pass 1. */
static void pass1_hashes(builder *B, const flow_batch *b)
{
    for (size_t i = 0; i < b->count; i++) {
        oriented o;
        if (!orient(b, i, B, &o)) continue;
        dkey k = dkey_server(o.server, o.port, o.proto);
        uint32_t hh = detect_addr_hash(o.host);
        B->host_h[i] = hh;
        B->dest_h[i] = dkey_hash(&k);
        B->cms_h[i] = cms_hash(hh, o.server, b->start_ms[i]);
    }
}

#define PREFETCH_AHEAD 8

/* dsketch_add of a host to the day's active hosts, whose sketch is full
 * after the first thousand hosts: nearly every hash is above its largest
 * value, and that test is made here, without a call. */
static inline int active_add(dsketch *a, uint32_t hh)
{
    if (a->n == DSKETCH_ACTIVE && hh >= dsketch_vals(a)[DSKETCH_ACTIVE - 1]) return 0;
    return dsketch_add(a, hh, DSKETCH_ACTIVE);
}


static int pass1_row(builder *B, const flow_batch *b, size_t i)
{
    dday *d = B->d;
    size_t j = i + PREFETCH_AHEAD, m = i + PREFETCH_AHEAD / 2;
    if (j < b->count && B->s_in[j] != B->d_in[j]) {
        dtab_prefetch(&B->dest_ix, B->dest_h[j]);
        if (B->s_in[j]) cms_prefetch(B, B->cms_h[j]);
        if (syn_only(b, j)) dtab_prefetch(&B->lone_ix, B->dest_h[j]);
    }
    if (m < b->count && B->s_in[m] != B->d_in[m]) {
        /* its slot is in the cache by now: fetch the server's row too */
        oriented p;
        if (orient(b, m, B, &p)) {
            dkey k = dkey_server(p.server, p.port, p.proto);
            uint32_t v = dtab_peek(&B->dest_ix, &k, B->dest_h[m]);
            if (v < d->n_dest) __builtin_prefetch(&B->hot[v]);
        }
    }
    oriented o;
    if (!orient(b, i, B, &o)) return 0;
    d->oriented++;
    uint32_t hh = B->host_h[i], di = 0, li = 0;
    int fresh, syn = syn_only(b, i), intel = 0;
    int lone = server_of(B, &o, B->dest_h[i], hh, syn, &di, &li, &fresh);
    if (lone < 0 || active_add(&d->active, hh) < 0) return -1;
    int64_t t = b->start_ms[i];
    uint32_t at = (uint32_t)(t - d->from);      /* the scan keeps t in [from, to) */
    if (lone) {
        lone_count(&B->lone[li], b->packets[i], b->bytes[i], at);
    } else {
        dest_hot *s = &B->hot[di];
        if (client_add(s, hh) < 0) return -1;
        s->flows++;
        s->syn_flows += syn;
        s->packets += b->packets[i];
        s->bytes += b->bytes[i];
        if (at < s->first) s->first = at;
        if (at > s->last) s->last = at;
        intel = s->flags & DEST_INTEL;
        if (o.out) s->up += b->packets[i];
    }
    if (cms_crosses(B, &o, B->cms_h[i], b->packets[i], b->sampling[i])) {
        dkey k = dkey_server(o.server, o.port, o.proto);    /* a crossing names a row */
        if ((lone && lone_promote(B, li, &k, B->dest_h[i], &di) < 0) ||
            cms_note(B, &o, di, B->cms_h[i], b->sampling[i]) < 0)
            return -1;
    }
    int probe = o.out && syn && samples(b, i) <= 2;
    if (!intel && !probe) return 0;
    dd_host *h = host_get(B, o.host);
    if (!h) return -1;
    h->intel_hits += intel != 0;
    if (probe) {
        h->syn_samples++;
        h->syn_fresh += fresh;
        h->syn_packets += b->packets[i];
        h->syn_bytes += b->bytes[i];
        if (t < h->syn_first) h->syn_first = t;
        if (t > h->syn_last) h->syn_last = t;
        port_count(h, o.port);
    }
    return 0;
}

static int scan_day(builder *B, const store_scan_spec *spec,
                    int (*row)(builder *, const flow_batch *, size_t), c2_err *err)
{
    store_scan *sc;
    flow_batch *b;
    int rc;
    if (store_scan_open(B->in->store, spec, &sc, err) != 0) return -1;
    while ((rc = store_scan_next(sc, &b, err)) != 0) {
        if (rc < 0) {           /* a damaged block: store_check names it */
            B->d->damaged++;
            continue;
        }
        if (rows_room(B, b->count) < 0) { rc = -2; break; }
        ipset_contains_batch(B->in->internal, b->src_addr, b->count, B->s_in);
        ipset_contains_batch(B->in->internal, b->dst_addr, b->count, B->d_in);
        if (row == pass1_row) pass1_hashes(B, b);
        for (size_t i = 0; i < b->count; i++)
            if (row(B, b, i) < 0) { rc = -2; break; }
        if (rc == -2) break;
        if (row == pass1_row) B->d->records += b->count;
    }
    store_scan_close(sc);
    if (rc == -2) c2_fail(err, "out of memory");     /* not a damaged block's message */
    return rc < 0 ? -1 : 0;
}

int dday_suspect(const dd_host *h, const detect_params *p)
{
    uint32_t half = p->scan_min_samples / 2 > 2 ? p->scan_min_samples / 2 : 2;
    return h->syn_samples >= half || h->intel_hits || h->heavy || h->bursts;
}

/* ---- pass 2: the suspects' edges and bins ---- */

/* A bit per hash of the suspects' addresses, so that pass 2 drops most
 * rows with two bit tests instead of two set lookups. */
static int suspect_bits(builder *B)
{
    uint32_t bits = 1u << 16;
    while (bits < 16ull * B->hd->n_host && bits < (1u << 30)) bits *= 2;
    B->bloom = calloc(bits / 64, sizeof *B->bloom);
    if (!B->bloom) return -1;
    B->bloom_mask = bits - 1;
    for (uint32_t i = 0; i < B->hd->n_host; i++) {
        if (!dday_suspect(&B->hd->host[i], &B->in->params)) continue;
        uint32_t h = detect_addr_hash(&B->hd->host[i].addr) & B->bloom_mask;
        B->bloom[h / 64] |= 1ull << (h % 64);
    }
    return 0;
}

static int maybe_suspect(const builder *B, const flow_addr *a)
{
    uint32_t h = detect_addr_hash(a) & B->bloom_mask;
    return (B->bloom[h / 64] >> (h % 64)) & 1;
}

static int is_suspect(const builder *B, const flow_addr *a)
{
    if (!maybe_suspect(B, a) || !ipset_contains(B->in->internal, a)) return 0;
    dkey k = dkey_addr(a);
    const uint32_t *v = dtab_get(B->hix, &k);
    return v && dday_suspect(&B->hd->host[*v], &B->in->params);
}

static void suspects_only(const flow_batch *b, uint8_t *keep, void *arg)
{
    const builder *B = arg;
    for (size_t i = 0; i < b->count; i++)
        keep[i] = is_suspect(B, &b->src_addr[i]) || is_suspect(B, &b->dst_addr[i]);
}

static int add_edge(builder *B, uint32_t host, uint32_t dest, const flow_batch *b, size_t i)
{
    dday *d = B->d;
    dkey k = dkey_ints((uint64_t)host << 32 | dest, 0);
    int is_new;
    uint32_t *v = dtab_put(&B->edge_ix, &k, d->n_edge, &is_new);
    if (!v) return -1;
    if (is_new) {
        if (detect_grow((void **)&d->edge, &d->cap_edge, d->n_edge + 1, sizeof *d->edge) < 0)
            return -1;
        dd_edge *e = &d->edge[d->n_edge++];
        e->host = host;
        e->dest = dest;
        e->first = INT64_MAX;
        e->last = INT64_MIN;
    }
    dd_edge *e = &d->edge[*v];
    e->flows++;
    e->packets += b->packets[i];
    if (b->start_ms[i] < e->first) e->first = b->start_ms[i];
    if (b->start_ms[i] > e->last) e->last = b->start_ms[i];
    return 0;
}

static int add_cell(builder *B, uint32_t host, uint32_t dest, int64_t bin, uint64_t packets)
{
    dkey k = dkey_ints((uint64_t)host << 32 | dest, (uint64_t)bin);
    int is_new;
    uint32_t *v = dtab_put(&B->cell_ix, &k, B->n_cell, &is_new);
    if (!v) return -1;
    if (is_new) {
        if (detect_grow((void **)&B->cell, &B->cap_cell, B->n_cell + 1, sizeof *B->cell) < 0)
            return -1;
        B->cell[B->n_cell++] = (burst_cell){host, dest, bin, 0};
    }
    B->cell[*v].packets += packets;
    return 0;
}

static int pass2_row(builder *B, const flow_batch *b, size_t i)
{
    oriented o;
    if (!orient(b, i, B, &o)) return 0;
    dkey hk = dkey_addr(o.host), sk = dkey_server(o.server, o.port, o.proto);
    const uint32_t *hv = dtab_get(B->hix, &hk), *sv = dtab_get(B->six, &sk);
    if (!hv || !sv || !dday_suspect(&B->hd->host[*hv], &B->in->params) || B->sprobe[*sv])
        return 0;           /* the other side was the suspect, or a lone probe */
    if (add_edge(B, *hv, *sv, b, i) < 0) return -1;
    if (o.out && add_cell(B, *hv, *sv, b->start_ms[i] / BURST_BIN_MS, b->packets[i]) < 0)
        return -1;
    return 0;
}

/* ---- the end of the day ---- */

/* A minute in which burst_hosts or more suspects each sent a server at
 * least burst_pps, and that server has few other clients, is a flood. */
static int find_bursts(builder *B)
{
    dtab count = {0};
    uint32_t *n = NULL, n_n = 0, cap_n = 0;
    int rc = 0;
    for (uint32_t pass = 0; pass < 2 && rc == 0; pass++) {
        for (uint32_t i = 0; i < B->n_cell; i++) {
            const burst_cell *c = &B->cell[i];
            if (c->packets < B->flood) continue;
            dkey k = dkey_ints((uint64_t)c->dest << 32, (uint64_t)c->bin);
            int is_new;
            uint32_t *v = dtab_put(&count, &k, n_n, &is_new);
            if (!v || (is_new && detect_grow((void **)&n, &cap_n, n_n + 1, sizeof *n) < 0)) {
                rc = -1;
                break;
            }
            if (is_new) n_n++;
            if (pass == 0) { n[*v]++; continue; }
            dd_dest *s = &B->sd->dest[c->dest];
            double clients = dsketch_estimate(&s->clients, DSKETCH_CLIENTS);
            if (n[*v] >= B->in->params.burst_hosts && clients <= 2.0 * n[*v]) {
                s->flags |= DEST_BURST;
                B->hd->host[c->host].bursts++;
            }
        }
    }
    dtab_free(&count);
    free(n);
    return rc;
}

/* Drop lone probes' servers and non-suspect hosts; renumber the edges. */
static int compact(dday *d, const uint8_t *probe, const detect_params *p)
{
    uint32_t *dmap = malloc((d->n_dest + 1) * sizeof *dmap);
    uint32_t *hmap = malloc((d->n_host + 1) * sizeof *hmap);
    if (!dmap || !hmap) {
        free(dmap);
        free(hmap);
        return -1;
    }
    uint32_t n = 0;
    for (uint32_t i = 0; i < d->n_dest; i++) {
        if (probe[i] && !d->dest[i].flags) {
            dsketch_free(&d->dest[i].clients);
            dmap[i] = UINT32_MAX;
            continue;
        }
        dmap[i] = n;
        d->dest[n++] = d->dest[i];
    }
    d->n_dest = n;
    n = 0;
    for (uint32_t i = 0; i < d->n_host; i++) {
        hmap[i] = UINT32_MAX;
        if (!dday_suspect(&d->host[i], p)) continue;
        hmap[i] = n;
        d->host[n++] = d->host[i];
    }
    d->n_host = n;
    n = 0;
    for (uint32_t i = 0; i < d->n_edge; i++) {
        dd_edge e = d->edge[i];
        if (dmap[e.dest] == UINT32_MAX || hmap[e.host] == UINT32_MAX) continue;
        e.dest = dmap[e.dest];
        e.host = hmap[e.host];
        d->edge[n++] = e;
    }
    d->n_edge = n;
    free(dmap);
    free(hmap);
    return 0;
}

static void builder_free(builder *B)
{
    dtab_free(&B->host_ix);
    dtab_free(&B->dest_ix);
    dtab_free(&B->edge_ix);
    dtab_free(&B->cell_ix);
    dtab_free(&B->lone_ix);
    free(B->lone);
    free(B->cms);
    free(B->cell);
    free(B->crossed);
    dest_rows_free(B);
    free(B->bloom);
    free(B->s_in);
    free(B->d_in);
    free(B->dest_h);
    free(B->cms_h);
    free(B->host_h);
}

/* The count-min table is sized to the day: about half a sample a counter
 * keeps a false "heavy" host (all three counters over the threshold) rare
 * at 1-in-10,000 sampling.  Lines are aligned to the cache's. */
static int cms_init(builder *B, uint64_t records_hint)
{
    size_t lines = 1u << 10;
    while (lines * CMS_LINE < records_hint / 8 * 3 && lines < (1u << 22)) lines *= 2;
    size_t bytes = lines * CMS_LINE * sizeof *B->cms;
    B->cms = aligned_alloc(CMS_LINE * sizeof *B->cms, bytes);
    B->cms_mask = lines - 1;
    if (!B->cms) return -1;
    c2_advise_huge(B->cms, bytes);
    memset(B->cms, 0, bytes);
    return 0;
}

/* ---- the passes, on as many threads as parts ---- */

static int pass1(builder *B, c2_err *err)
{
    store_scan_spec spec = {.from_ms = B->d->from, .to_ms = B->d->to, .fields = PASS1_FIELDS};
    if (cms_init(B, B->d->records_hint) < 0) return c2_fail(err, "out of memory");
    if (scan_day(B, &spec, pass1_row, err) < 0) return -1;
    if (mark_heavy(B) < 0 || (!B->keep_lone && rows_in_order(B) < 0))
        return c2_fail(err, "out of memory");
    free(B->cms);
    B->cms = NULL;
    return 0;
}

static int pass2(builder *B, c2_err *err)
{
    dday *d = B->d;
    if (suspect_bits(B) < 0) return c2_fail(err, "out of memory");
    store_scan_spec spec = {.from_ms = d->from, .to_ms = d->to};
    spec.fields = PASS1_FIELDS & ~(FLOW_BIT(FLOW_BYTES) | FLOW_BIT(FLOW_SAMPLING));
    spec.match = suspects_only;
    spec.match_fields = FLOW_BIT(FLOW_SRC_ADDR) | FLOW_BIT(FLOW_DST_ADDR);
    spec.match_arg = B;
    return scan_day(B, &spec, pass2_row, err);
}

typedef struct part_run {
    builder *B;
    int    (*pass)(builder *, c2_err *);
    int      rc;
    c2_err   err;
} part_run;

static void *part_thread(void *arg)
{
    part_run *r = arg;
    r->rc = r->pass(r->B, &r->err);
    return NULL;
}

static int run_parts(builder *B, unsigned parts, int (*pass)(builder *, c2_err *), c2_err *err)
{
    part_run run[DETECT_MAX_PARTS];
    pthread_t t[DETECT_MAX_PARTS];
    int started[DETECT_MAX_PARTS] = {0};
    for (unsigned p = 0; p < parts; p++) {
        run[p] = (part_run){.B = &B[p], .pass = pass, .rc = -1};
        if (p > 0) started[p] = pthread_create(&t[p], NULL, part_thread, &run[p]) == 0;
    }
    part_thread(&run[0]);
    for (unsigned p = 1; p < parts; p++) {
        if (started[p]) pthread_join(t[p], NULL);
        else part_thread(&run[p]);          /* no thread: do it here */
    }
    for (unsigned p = 0; p < parts; p++)
        if (run[p].rc != 0) {
            *err = run[p].err;
            return -1;
        }
    return 0;
}

/* ---- the parts put together ---- */

static void ports_merge(dd_host *h, const dd_host *o)
{
    for (int j = 0; j < 3; j++) {
        if (!o->port_n[j]) continue;
        int slot = -1, least = 0;
        for (int k = 0; k < 3; k++) {
            if (h->port_n[k] && h->port[k] == o->port[j]) slot = k;
            if (h->port_n[k] < h->port_n[least]) least = k;
        }
        if (slot < 0 && h->port_n[least] < o->port_n[j]) {
            slot = least;
            h->port[slot] = o->port[j];
            h->port_n[slot] = 0;
        }
        if (slot >= 0) h->port_n[slot] += o->port_n[j];
    }
}

static void host_merge(dd_host *h, const dd_host *o)
{
    h->syn_samples += o->syn_samples;
    h->syn_fresh += o->syn_fresh;
    h->syn_packets += o->syn_packets;
    h->syn_bytes += o->syn_bytes;
    if (o->syn_first < h->syn_first) h->syn_first = o->syn_first;
    if (o->syn_last > h->syn_last) h->syn_last = o->syn_last;
    ports_merge(h, o);
    h->intel_hits += o->intel_hits;
    h->heavy |= o->heavy;
}

static void dest_merge(dd_dest *s, const dd_dest *o)
{
    s->flags |= o->flags;
    s->flows += o->flows;
    s->syn_flows += o->syn_flows;
    s->packets += o->packets;
    s->bytes += o->bytes;
    if (o->first < s->first) s->first = o->first;
    if (o->last > s->last) s->last = o->last;
}

/* The parts' pass-1 hosts into d and hix, one row per address. */
static int merge_hosts(dday *d, dtab *hix, builder *B, unsigned parts)
{
    for (unsigned p = 0; p < parts; p++) {
        const dday *o = B[p].d;
        for (uint32_t i = 0; i < o->n_host; i++) {
            dkey k = dkey_addr(&o->host[i].addr);
            int is_new;
            uint32_t *v = dtab_put(hix, &k, d->n_host, &is_new);
            if (!v) return -1;
            if (!is_new) {
                host_merge(&d->host[*v], &o->host[i]);
                continue;
            }
            if (detect_grow((void **)&d->host, &d->cap_host, d->n_host + 1, sizeof *d->host) < 0)
                return -1;
            d->host[d->n_host++] = o->host[i];
        }
        if (dsketch_merge(&d->active, dsketch_vals(&o->active), o->active.n, DSKETCH_ACTIVE) < 0)
            return -1;
        d->records += o->records;
        d->oriented += o->oriented;
        d->damaged += o->damaged;
    }
    return 0;
}

/* The parts' pass-1 servers into d and six; a server new to d takes its
 * sketch along, one already there merges it.  The first part's servers
 * keep their places, so its index becomes six as it is: rebuilding it
 * (all of a day's servers when the day is read in one part) cost a table
 * of hundreds of MiB in fresh pages and a random write per server. */
static int merge_dests(dday *d, dtab *six, builder *B, unsigned parts)
{
    uint64_t total = 0;
    for (unsigned p = 0; p < parts; p++) total += B[p].d->n_dest;
    if (total >= UINT32_MAX ||
        detect_grow((void **)&d->dest, &d->cap_dest, (uint32_t)total + 1, sizeof *d->dest) < 0)
        return -1;
    for (uint32_t i = 0; i < B[0].d->n_dest; i++) d->dest[i] = dest_of(&B[0], i);
    d->n_dest = B[0].d->n_dest;
    *six = B[0].dest_ix;
    memset(&B[0].dest_ix, 0, sizeof B[0].dest_ix);
    for (unsigned p = 1; p < parts; p++) {
        for (uint32_t i = 0; i < B[p].d->n_dest; i++) {
            const dest_key *x = &B[p].key[i];
            dkey k = dkey_server(&x->ip, x->port, x->proto);
            int is_new;
            uint32_t *v = dtab_put(six, &k, d->n_dest, &is_new);
            if (!v) return -1;
            if (is_new) {
                d->dest[d->n_dest++] = dest_of(&B[p], i);      /* d's now */
                continue;
            }
            dd_dest *s = &d->dest[*v];
            dd_dest o = dest_of(&B[p], i);
            dest_merge(s, &o);
            int rc = dsketch_merge(&s->clients, dsketch_vals(&o.clients), o.clients.n,
                                   DSKETCH_CLIENTS);
            dsketch_free(&o.clients);
            if (rc < 0) return -1;
        }
    }
    return 0;
}

/* Servers seen only as the target of one probe (a scanner's): dropped at
 * the end, and their records skipped by pass 2. */
static uint8_t *lone_probes(const dday *d)
{
    uint8_t *probe = calloc(d->n_dest + 1, 1);
    for (uint32_t i = 0; probe && i < d->n_dest; i++) {
        const dd_dest *s = &d->dest[i];
        probe[i] = s->clients.n == 1 && s->syn_flows == s->flows && !(s->flags & DEST_INTEL);
    }
    return probe;
}

/* The parts' edges after each other (a pair seen in two parts is two
 * edges; the window merges them). */
static int concat_edges(dday *d, builder *B, unsigned parts)
{
    uint64_t ne = 0;
    for (unsigned p = 0; p < parts; p++) ne += B[p].d->n_edge;
    if (ne >= UINT32_MAX || !(d->edge = calloc(ne + 1, sizeof *d->edge))) return -1;
    d->cap_edge = (uint32_t)ne + 1;
    for (unsigned p = 0; p < parts; p++) {
        if (!B[p].d->n_edge) continue;          /* its array may not exist */
        memcpy(d->edge + d->n_edge, B[p].d->edge, B[p].d->n_edge * sizeof *d->edge);
        d->n_edge += B[p].d->n_edge;
    }
    return 0;
}

static int build_parts(dday *d, builder *B, unsigned parts, dtab *hix, dtab *six, c2_err *err)
{
    if (run_parts(B, parts, pass1, err) < 0) return -1;
    if (parts > 1 && lone_seen_elsewhere(B, parts) < 0) return c2_fail(err, "out of memory");
    for (unsigned p = 0; parts > 1 && p < parts; p++)
        if (rows_in_order(&B[p]) < 0) return c2_fail(err, "out of memory");
    if (merge_hosts(d, hix, B, parts) < 0 || merge_dests(d, six, B, parts) < 0)
        return c2_fail(err, "out of memory");
    uint8_t *probe = lone_probes(d);
    if (!probe) return c2_fail(err, "out of memory");
    for (unsigned p = 0; p < parts; p++) {
        dest_rows_free(&B[p]);          /* pass 1's servers are d's now */
        dtab_free(&B[p].dest_ix);
        B[p].hd = d;
        B[p].hix = hix;
        B[p].sd = d;
        B[p].six = six;
        B[p].sprobe = probe;
    }
    int rc = run_parts(B, parts, pass2, err);
    for (unsigned p = 0; rc == 0 && p < parts; p++)
        if (find_bursts(&B[p]) < 0) rc = c2_fail(err, "out of memory");
    if (rc == 0 && (concat_edges(d, B, parts) < 0 || compact(d, probe, &B->in->params) < 0))
        rc = c2_fail(err, "out of memory");
    free(probe);
    return rc;
}

int dday_build(dday *d, const detect_input *in, unsigned parts, c2_err *err)
{
    builder B[DETECT_MAX_PARTS];
    dday own[DETECT_MAX_PARTS];
    dtab hix = {0}, six = {0};
    if (parts < 1) parts = 1;
    if (parts > DETECT_MAX_PARTS) parts = DETECT_MAX_PARTS;
    int64_t span = d->to - d->from;
    for (unsigned p = 0; p < parts; p++) {
        own[p] = (dday){.from = d->from + span * p / parts, .to = d->from + span * (p + 1) / parts,
                        .records_hint = d->records_hint / parts};
        B[p] = (builder){.d = &own[p], .in = in, .intel_at = d->to - 1, .keep_lone = parts > 1};
        B[p].heavy = (uint64_t)(in->params.burst_pps * 120);
        B[p].flood = (uint64_t)(in->params.burst_pps * (BURST_BIN_MS / 1000.0));
        if (B[p].heavy < 1) B[p].heavy = 1;
        if (B[p].flood < 1) B[p].flood = 1;
    }
    int rc = build_parts(d, B, parts, &hix, &six, err);
    for (unsigned p = 0; p < parts; p++) {
        builder_free(&B[p]);
        dday_free(&own[p]);
    }
    dtab_free(&hix);
    dtab_free(&six);
    return rc;
}

void dday_free(dday *d)
{
    for (uint32_t i = 0; i < d->n_dest; i++) dsketch_free(&d->dest[i].clients);
    dsketch_free(&d->active);
    free(d->host);
    free(d->dest);
    free(d->edge);
    memset(d, 0, sizeof *d);
}
