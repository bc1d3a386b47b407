/*
 * hub_load.c: the hub's load benchmark (issue 9, "Load"): many members
 * submitting large lists at once while many TAXII clients poll, on
 * loopback; throughput and latency of both, and proof that nothing was
 * lost or duplicated.  bench/hub.sh sets up a hub and its members and runs
 * this; see bench/README.md ("hub.sh").
 *
 * The lists.  Submitter i (0..S-1) sends ROWS rows: first the rows of
 * member i-1 chosen for sharing (each of i-1's own rows with probability
 * OVERLAP, from a hash), then fresh rows of its own up to ROWS.  Fresh row
 * k of member i has the index n = i*ROWS + k (< 2^24), and its key is
 *   ip    = one of six public /8s (45, 62, 77, 80, 91, 185; by hash of n)
 *           with the 24 host bits a bijection of n (so keys never collide,
 *           and an address read back maps to its n through a table),
 *   port  = 1..65535 and proto tcp (4 in 5) or udp, by hash of n.
 * What member m reports of n (first/last seen, score, counts) is a hash
 * of (n, m): two members reporting one key differ, so the hub's aggregate
 * changes and publishes a new version of its objects.  Nothing depends on
 * the clock: the same arguments give the same bodies.
 *
 * Who is in which group comes from the token file, one member a line:
 *   submitter NAME GROUP TOKEN
 *   poller    NAME GROUP TOKEN
 * (bench/hub.sh writes it).  A poller pages its group's collection: the
 * first time from the start, then with added_after = the last
 * X-TAXII-Date-Added-Last it got, following next while more is true,
 * every POLL_INTERVAL; it stops after the first round that began once all
 * submissions had been answered and brought no object.  Even pollers use
 * HTTP Basic (name, token), odd ones Bearer.
 *
 * Checks, each a CHECK line (exit status 1 when one fails):
 *   submissions  every submission answered 201 "stored" with ROWS rows;
 *   taxii_once   no poller got one version of an object twice (versions of
 *                an object are at least 1 ms apart: a version not newer
 *                than the last one seen of that id is a repeat);
 *   taxii_latest after the run, a full read of each group's collection
 *                gives the latest version of every object; every poller
 *                of the group must have seen exactly those (none missing,
 *                none older, none extra);
 *   taxii_keys   the indicators of each collection name exactly the keys
 *                submitted by the group's members;
 *   taxii_union  every key submitted was seen by at least one poller, and no
 *                poller got an indicator of another group;
 *   list_keys    GET /api/v1/lists?format=jsonl for one submitter of each
 *                group gives exactly the group's keys, each once, with the
 *                highest score reported in the group.
 * Latency is per request, from curl's total time; throughput is requests,
 * rows and objects over the wall time of each phase.
 */
#include <arpa/inet.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <jansson.h>

#include "c2list/c2list.h"
#include "util/util.h"

#define GROUPS_MAX 64
#define BASE_MS 1790812800000LL         /* 2026-10-01T00:00:00Z: rows' times start here */
#define DAY_S 86400
#define MAX_N (1u << 24)
#define STATUS_MAX 600

static const uint8_t slash8[6] = {45, 62, 77, 80, 91, 185};

/* ---- options ---- */

typedef struct opts {
    const char *url, *tokens, *type;
    unsigned    submitters, rows, pollers, interval_ms, page;
    double      overlap;
    uint64_t    seed;
    unsigned    timeout_s;
    int         quiet;
    long        hub_pid;                /* 0: unknown */
} opts;

typedef struct member {
    char name[64], group[64], token[64];
    int  g;                             /* index into groups[] */
} member;

/* ---- the lists ---- */

static uint32_t perm24(uint32_t x, uint64_t seed)
{
    const uint32_t M = 0xffffff;
    x = (x ^ (uint32_t)(seed * 0x9e3779b9u)) & M;
    x = (x * 0x9e3b1bu) & M;            /* odd multipliers: bijections mod 2^24 */
    x ^= x >> 13;
    x = (x * 0x5a3c6du) & M;
    x ^= x >> 11;
    x = (x * 0x2c1b3du) & M;
    x ^= x >> 12;
    return x;
}

static uint64_t hash_n(uint64_t n, uint64_t salt, uint64_t seed)
{
    return c2_mix64(n * 0x100000001b3ull + salt * 0x9e3779b97f4a7c15ull + seed);
}

typedef struct key { uint32_t ip; uint16_t port; uint8_t proto; } key;

static key key_of(uint32_t n, uint64_t seed)
{
    uint64_t h = hash_n(n, 1, seed);
    key k = {.ip = (uint32_t)slash8[h % 6] << 24 | perm24(n, seed),
             .port = (uint16_t)(1 + (h >> 8) % 65535),
             .proto = (h >> 32) % 5 == 0 ? 17 : 6};
    return k;
}

/* What member m reports of n. */
static c2_entry entry_of(uint32_t n, unsigned m, uint64_t seed)
{
    uint64_t h = hash_n(n, 2, seed), hm = hash_n(n, 1000 + m, seed);
    key k = key_of(n, seed);
    c2_entry e;
    memset(&e, 0, sizeof e);
    flow_addr_from_v4(&e.ip, k.ip);
    e.port = k.port;
    e.proto = k.proto;
    e.first_seen = BASE_MS + (int64_t)(h % (20 * DAY_S)) * 1000;
    e.last_seen = e.first_seen + (int64_t)(1 + hm % (10 * DAY_S)) * 1000;
    e.score = (double)((hm >> 24) % 1001) / 10.0;
    e.clients = 1 + (uint32_t)((hm >> 40) % 500);
    e.infected_clients = e.clients / 2;
    e.days_seen = 1 + (uint32_t)((e.last_seen - e.first_seen) / (DAY_S * 1000LL));
    return e;
}

typedef struct lists {
    uint32_t **rows;                    /* rows[i]: the n of member i's rows */
    unsigned  *own;                     /* fresh rows of member i */
    uint64_t  *gmask;                   /* per n: groups whose members report it */
    uint32_t  *inv;                     /* 24 host bits -> n + 1 (0: none) */
    size_t     keys;                    /* distinct n */
} lists;

static int shared(uint32_t n, double p, uint64_t seed)
{
    return (double)(hash_n(n, 3, seed) >> 11) * 0x1.0p-53 < p;
}

static int lists_make(const opts *o, const member *sub, lists *L)
{
    unsigned S = o->submitters, R = o->rows;
    L->rows = calloc(S, sizeof *L->rows);
    L->own = calloc(S, sizeof *L->own);
    L->gmask = calloc((size_t)S * R, sizeof *L->gmask);
    L->inv = calloc(MAX_N, sizeof *L->inv);
    if (!L->rows || !L->own || !L->gmask || !L->inv) return -1;
    for (unsigned i = 0; i < S; i++) {
        if (!(L->rows[i] = malloc(R * sizeof **L->rows))) return -1;
        unsigned got = 0;
        if (i > 0)
            for (unsigned k = 0; k < L->own[i - 1] && got < R; k++) {
                uint32_t n = (i - 1) * R + k;
                if (shared(n, o->overlap, o->seed)) L->rows[i][got++] = n;
            }
        L->own[i] = R - got;
        for (unsigned k = 0; k < L->own[i]; k++) L->rows[i][got++] = i * R + k;
        for (unsigned r = 0; r < R; r++) L->gmask[L->rows[i][r]] |= 1ull << sub[i].g;
    }
    for (unsigned i = 0; i < S; i++)
        for (unsigned k = 0; k < L->own[i]; k++) {
            uint32_t n = i * R + k;
            L->inv[perm24(n, o->seed)] = n + 1;
            L->keys++;
        }
    return 0;
}

/* n of a key, or -1 when it is none of ours. */
static int64_t key_lookup(const lists *L, const opts *o, uint32_t ip, unsigned port,
                          unsigned proto)
{
    uint32_t n1 = L->inv[ip & 0xffffff];
    if (!n1) return -1;
    key k = key_of(n1 - 1, o->seed);
    if (k.ip != ip || k.port != port || k.proto != proto) return -1;
    return n1 - 1;
}

static char *csv_body(const lists *L, const opts *o, unsigned i, size_t *len)
{
    char *text = NULL;
    FILE *f = open_memstream(&text, len);
    if (!f) return NULL;
    fputs("ip,port,proto,first_seen,last_seen,score,method,infected_clients,clients,"
          "days_seen\n", f);
    for (unsigned r = 0; r < o->rows; r++) {
        c2_entry e = entry_of(L->rows[i][r], i, o->seed);
        char ip[FLOW_ADDR_STRLEN], fs[40], ls[40], pr[16];
        fprintf(f, "%s,%u,%s,%s,%s,%.1f,graph,%u,%u,%u\n", flow_addr_format(&e.ip, ip, sizeof ip),
                e.port, c2list_proto_format(e.proto, pr, sizeof pr),
                c2_time_format(e.first_seen, fs, sizeof fs),
                c2_time_format(e.last_seen, ls, sizeof ls), e.score, e.infected_clients,
                e.clients, e.days_seen);
    }
    if (fclose(f) != 0) { free(text); return NULL; }
    return text;
}

/* ---- statistics ---- */

typedef struct stats {
    double  *lat;                       /* ms */
    size_t   n, cap;
    uint64_t status[STATUS_MAX];        /* [0]: no answer (transport error) */
} stats;

static void stats_add(stats *s, double ms, long status)
{
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 256;
        double *v = realloc(s->lat, cap * sizeof *v);
        if (!v) return;
        s->lat = v;
        s->cap = cap;
    }
    s->lat[s->n++] = ms;
    s->status[status > 0 && status < STATUS_MAX ? status : 0]++;
}

static void stats_merge(stats *into, const stats *from)
{
    for (size_t i = 0; i < from->n; i++) {
        size_t before = into->n;
        stats_add(into, from->lat[i], 200);
        if (into->n > before) into->status[200]--;
    }
    for (int i = 0; i < STATUS_MAX; i++) into->status[i] += from->status[i];
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double pct(const stats *s, double q)
{
    if (!s->n) return 0;
    size_t i = (size_t)ceil(q * (double)s->n);
    return s->lat[i ? i - 1 : 0];
}

/* The answers other than 2xx as "STATUS:COUNT ..." ("none": no answer). */
static uint64_t errors(const stats *s, char *text, size_t len)
{
    uint64_t bad = 0;
    size_t at = 0;
    text[0] = '\0';
    for (int i = 0; i < STATUS_MAX && at < len; i++) {
        if (!s->status[i] || (i >= 200 && i < 300)) continue;
        bad += s->status[i];
        char code[16];
        snprintf(code, sizeof code, i ? "%d" : "none", i);
        at += (size_t)snprintf(text + at, len - at, "%s%s:%" PRIu64, at ? " " : "", code,
                               s->status[i]);
    }
    return bad;
}

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

/* User + system CPU seconds of process pid (all threads), -1 if unknown. */
static double proc_cpu_s(long pid)
{
    char path[64], line[1024];
    snprintf(path, sizeof path, "/proc/%ld/stat", pid);
    FILE *f = pid > 0 ? fopen(path, "r") : NULL;
    if (!f) return -1;
    char *got = fgets(line, sizeof line, f);
    fclose(f);
    char *p = got ? strrchr(line, ')') : NULL;     /* the name may hold blanks */
    unsigned long long ut, st;
    if (!p || sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu",
                     &ut, &st) != 2)
        return -1;
    return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

/* ---- HTTP ---- */

typedef struct buf { char *p; size_t n, cap; } buf;

typedef struct http {
    CURL              *c;
    struct curl_slist *hdr;
    buf                body;
    char               added_last[64];  /* X-TAXII-Date-Added-Last of the answer */
} http;

static size_t on_body(char *p, size_t size, size_t nmemb, void *arg)
{
    buf *b = arg;
    size_t n = size * nmemb;
    if (b->n + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 65536;
        while (cap < b->n + n + 1) cap *= 2;
        char *q = realloc(b->p, cap);
        if (!q) return 0;
        b->p = q;
        b->cap = cap;
    }
    memcpy(b->p + b->n, p, n);
    b->n += n;
    b->p[b->n] = '\0';
    return n;
}

static size_t on_header(char *p, size_t size, size_t nmemb, void *arg)
{
    http *h = arg;
    size_t n = size * nmemb;
    static const char name[] = "x-taxii-date-added-last:";
    if (n > sizeof name && strncasecmp(p, name, sizeof name - 1) == 0) {
        const char *v = p + sizeof name - 1;
        while (*v == ' ') v++;
        size_t l = 0;
        while (v + l < p + n && v[l] != '\r' && v[l] != '\n' && l < sizeof h->added_last - 1)
            l++;
        memcpy(h->added_last, v, l);
        h->added_last[l] = '\0';
    }
    return n;
}

/* basic: HTTP Basic with (name, token), else Bearer. */
static int http_init(http *h, const member *m, int basic, int taxii, const char *type,
                     long timeout_s)
{
    memset(h, 0, sizeof *h);
    if (!(h->c = curl_easy_init())) return -1;
    char line[128];
    if (basic) {
        curl_easy_setopt(h->c, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
        curl_easy_setopt(h->c, CURLOPT_USERNAME, m->name);
        curl_easy_setopt(h->c, CURLOPT_PASSWORD, m->token);
    } else {
        snprintf(line, sizeof line, "Authorization: Bearer %s", m->token);
        h->hdr = curl_slist_append(h->hdr, line);
    }
    if (taxii) h->hdr = curl_slist_append(h->hdr, "Accept: application/taxii+json;version=2.1");
    if (type) {
        snprintf(line, sizeof line, "Content-Type: %s", type);
        h->hdr = curl_slist_append(h->hdr, line);
    }
    h->hdr = curl_slist_append(h->hdr, "Expect:");   /* no 100-continue round trip */
    curl_easy_setopt(h->c, CURLOPT_HTTPHEADER, h->hdr);
    curl_easy_setopt(h->c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h->c, CURLOPT_TIMEOUT, timeout_s);
    curl_easy_setopt(h->c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h->c, CURLOPT_WRITEDATA, &h->body);
    curl_easy_setopt(h->c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(h->c, CURLOPT_HEADERDATA, h);
    return 0;
}

static void http_free(http *h)
{
    if (h->c) curl_easy_cleanup(h->c);
    curl_slist_free_all(h->hdr);
    free(h->body.p);
}

/* One request (body NULL: GET); the status (0: no answer), *ms its time. */
static long http_do(http *h, const char *url, const char *body, size_t len, double *ms)
{
    h->body.n = 0;
    if (h->body.p) h->body.p[0] = '\0';
    h->added_last[0] = '\0';
    curl_easy_setopt(h->c, CURLOPT_URL, url);
    if (body) {
        curl_easy_setopt(h->c, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(h->c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
    } else {
        curl_easy_setopt(h->c, CURLOPT_HTTPGET, 1L);
    }
    double t0 = now_s();
    CURLcode rc = curl_easy_perform(h->c);
    *ms = (now_s() - t0) * 1000.0;
    long status = 0;
    if (rc == CURLE_OK) curl_easy_getinfo(h->c, CURLINFO_RESPONSE_CODE, &status);
    if (!h->body.p) on_body("", 0, 0, &h->body);
    return status;
}

/* ---- object versions seen, by id ---- */

typedef struct seen {
    uint64_t *id;                       /* hash of the id; 0 = empty */
    int64_t  *ms;                       /* latest version seen (ms) */
    size_t    cap, n;
} seen;

static uint64_t id_hash(const char *s)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (; *s; s++) h = (h ^ (uint8_t)*s) * 0x100000001b3ull;
    h = c2_mix64(h);
    return h ? h : 1;
}

static int64_t *seen_slot(seen *t, uint64_t id, int add)
{
    if (add && (t->n + 1) * 10 > t->cap * 7) {
        seen big = {.cap = t->cap ? t->cap * 2 : 4096};
        big.id = calloc(big.cap, sizeof *big.id);
        big.ms = calloc(big.cap, sizeof *big.ms);
        if (!big.id || !big.ms) { free(big.id); free(big.ms); return NULL; }
        for (size_t i = 0; i < t->cap; i++)
            if (t->id[i]) *seen_slot(&big, t->id[i], 1) = t->ms[i];
        free(t->id);
        free(t->ms);
        *t = big;
        t->n = 0;
        for (size_t i = 0; i < t->cap; i++) t->n += t->id[i] != 0;
    }
    if (!t->cap) return NULL;
    size_t i = (size_t)(id & (t->cap - 1));
    while (t->id[i] && t->id[i] != id) i = (i + 1) & (t->cap - 1);
    if (t->id[i]) return &t->ms[i];
    if (!add) return NULL;
    t->id[i] = id;
    t->ms[i] = INT64_MIN;
    t->n++;
    return &t->ms[i];
}

static void seen_free(seen *t) { free(t->id); free(t->ms); }

/* ---- shared state ---- */

typedef struct run {
    opts            o;
    member         *sub, *pol;
    char            groups[GROUPS_MAX][64];
    int             ngroups;
    lists           L;
    atomic_int      submitting;         /* submissions not yet answered */
    atomic_int      failed_pollers;
    atomic_ullong   objects, polls;
    uint8_t        *poll_saw;           /* per n: a poller saw its indicator */
    pthread_barrier_t start;
    pthread_mutex_t lock;
    stats           st_sub, st_poll, st_other;
    uint64_t        sub_ok;
    double          t0, t_sub_end, t_poll_end, deadline;
    double          hub_cpu0, hub_cpu_sub, hub_cpu_end; /* hub CPU s at t0, t_sub_end, the end */
    uint64_t        objects_sub;        /* objects served by t_sub_end */
} run;

/* A page of objects into t; n: objects, *dups, *foreign (indicators that
 * name no key of the group). -1 when the body is not an envelope. */
static int page_read(run *R, int g, const char *text, seen *t, int *more, char *next,
                     size_t *n, uint64_t *dups, uint64_t *foreign)
{
    json_t *env = json_loads(text, 0, NULL);
    json_t *objs = json_object_get(env, "objects");
    *n = 0;
    *more = json_is_true(json_object_get(env, "more"));
    const char *nx = json_string_value(json_object_get(env, "next"));
    snprintf(next, 32, "%s", nx ? nx : "");
    if (!json_is_object(env) || (objs && !json_is_array(objs))) { json_decref(env); return -1; }
    size_t i;
    json_t *ob;
    json_array_foreach(objs, i, ob) {
        const char *id = json_string_value(json_object_get(ob, "id"));
        const char *type = json_string_value(json_object_get(ob, "type"));
        const char *ver = json_string_value(json_object_get(ob, "modified"));
        if (!ver) ver = json_string_value(json_object_get(ob, "created"));
        int64_t ms = 0;
        if (!id || !type || !ver || c2list_time_parse(ver, &ms) < 0) { (*foreign)++; continue; }
        int64_t *slot = seen_slot(t, id_hash(id), 1);
        if (!slot) { json_decref(env); return -1; }
        if (ms <= *slot) (*dups)++;
        else *slot = ms;
        (*n)++;
        if (strcmp(type, "indicator") != 0 || !R->poll_saw) continue;
        const char *name = json_string_value(json_object_get(ob, "name"));
        unsigned a, b, c, d, port;
        char proto[8];
        if (!name || sscanf(name, "C2 server %u.%u.%u.%u:%u/%7s", &a, &b, &c, &d, &port,
                            proto) != 6) { (*foreign)++; continue; }
        int64_t k = key_lookup(&R->L, &R->o, a << 24 | b << 16 | c << 8 | d, port,
                               (unsigned)c2list_proto_parse(proto));
        if (k < 0 || !(R->L.gmask[k] >> g & 1)) { (*foreign)++; continue; }
        __atomic_store_n(&R->poll_saw[k], 1, __ATOMIC_RELAXED);
    }
    json_decref(env);
    return 0;
}

/* The collection of m's group: 1 found (id), 0 none yet, -1 error. */
static int collection_find(run *R, http *h, const member *m, char id[64], stats *st)
{
    char url[512];
    snprintf(url, sizeof url, "%s/taxii2/api1/collections/", R->o.url);
    double ms;
    long status = http_do(h, url, NULL, 0, &ms);
    stats_add(st, ms, status);
    if (status != 200) return -1;
    json_t *v = json_loads(h->body.p, 0, NULL);
    json_t *cs = json_object_get(v, "collections");
    int found = 0;
    size_t i;
    json_t *c;
    json_array_foreach(cs, i, c) {
        const char *title = json_string_value(json_object_get(c, "title"));
        const char *cid = json_string_value(json_object_get(c, "id"));
        size_t gl = strlen(m->group);
        /* the title is "GROUP TLP"; the group's name as submitted */
        if (cid && title && strncasecmp(title, m->group, gl) == 0 && title[gl] == ' ') {
            snprintf(id, 64, "%s", cid);
            found = 1;
            break;
        }
    }
    json_decref(v);
    return found;
}

typedef struct pstate {
    run      *R;
    unsigned  idx;
    seen      t;
    stats     st, st_other;
    uint64_t  dups, foreign, rounds, empty_rounds, pages;
    char      coll[64];
    char      next[32], last[64];      /* cursor of the round in progress */
    int       failed;
} pstate;

static void sleep_ms(unsigned ms)
{
    struct timespec t = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};
    nanosleep(&t, NULL);
}

/* One round: page through what is new.  Objects got; -1 on an error, after
 * which the next call goes on from the page that failed (the cursor of the
 * round is kept in p), so that nothing is asked twice; -2 when the hub said
 * "more" without a "next" (the poller gives up). */
static int64_t poll_round(pstate *p, http *h, const member *m, char after[64])
{
    run *R = p->R;
    char nx[32], url[1024];
    int more;
    int64_t got = 0;
    do {
        int at = snprintf(url, sizeof url, "%s/taxii2/api1/collections/%s/objects/?limit=%u",
                          R->o.url, p->coll, R->o.page);
        if (after[0]) at += snprintf(url + at, sizeof url - (size_t)at, "&added_after=%s", after);
        if (p->next[0]) at += snprintf(url + at, sizeof url - (size_t)at, "&next=%s", p->next);
        if (R->o.type) snprintf(url + at, sizeof url - (size_t)at, "&match%%5Btype%%5D=%s",
                                R->o.type);
        double ms;
        long status = http_do(h, url, NULL, 0, &ms);
        stats_add(&p->st, ms, status);
        atomic_fetch_add(&R->polls, 1);
        p->pages++;
        if (status != 200) return -1;
        size_t n;
        if (page_read(R, m->g, h->body.p, &p->t, &more, nx, &n, &p->dups, &p->foreign) < 0)
            return -1;
        if (n && h->added_last[0]) snprintf(p->last, sizeof p->last, "%s", h->added_last);
        got += (int64_t)n;
        atomic_fetch_add(&R->objects, n);
        if (more && !nx[0]) return -2;
        snprintf(p->next, sizeof p->next, "%s", more ? nx : "");
    } while (more);
    if (p->last[0]) snprintf(after, 64, "%s", p->last);
    p->last[0] = '\0';
    return got;
}

static void *poller(void *arg)
{
    pstate *p = arg;
    run *R = p->R;
    const member *m = &R->pol[p->idx];
    http h;
    if (http_init(&h, m, p->idx % 2 == 0, 1, NULL, 600) < 0) { p->failed = 1; return NULL; }
    pthread_barrier_wait(&R->start);
    int errs = 0, found = 0;
    while (!found && now_s() < R->deadline) {
        int done = atomic_load(&R->submitting) == 0;
        found = collection_find(R, &h, m, p->coll, &p->st_other);
        if (found < 0 && ++errs > 50) break;
        if (!found && done) break;              /* every submission answered, none for us */
        if (found <= 0) sleep_ms(R->o.interval_ms);
    }
    char after[64] = "";
    errs = 0;
    while (found > 0 && now_s() < R->deadline) {
        int done = atomic_load(&R->submitting) == 0;
        int64_t got = poll_round(p, &h, m, after);
        p->rounds++;
        if (got == -2) break;
        if (got < 0) {
            if (++errs > 50) break;
        } else {
            errs = 0;
            if (got == 0) p->empty_rounds++;
            if (got == 0 && done) { found = 2; break; }
        }
        sleep_ms(R->o.interval_ms);
    }
    if (found != 2) { p->failed = 1; atomic_fetch_add(&R->failed_pollers, 1); }
    http_free(&h);
    return NULL;
}

typedef struct sstate {
    run     *R;
    unsigned idx;
    char    *body;
    size_t   len;
    stats    st;
    int      ok;
    char     answer[256];
} sstate;

static void *submitter(void *arg)
{
    sstate *s = arg;
    run *R = s->R;
    const member *m = &R->sub[s->idx];
    http h;
    int init = http_init(&h, m, 0, 0, "text/csv", (long)R->o.timeout_s);
    char url[512], sid[128];
    snprintf(url, sizeof url, "%s/api/v1/submissions", R->o.url);
    snprintf(sid, sizeof sid, "X-C2flow-Submission-Id: hubload-%u-seed%" PRIu64, s->idx,
             R->o.seed);
    if (init == 0) {
        h.hdr = curl_slist_append(h.hdr, sid);
        curl_easy_setopt(h.c, CURLOPT_HTTPHEADER, h.hdr);
    }
    pthread_barrier_wait(&R->start);
    if (init == 0) {
        double ms;
        long status = http_do(&h, url, s->body, s->len, &ms);
        stats_add(&s->st, ms, status);
        json_t *v = json_loads(h.body.p, 0, NULL);
        s->ok = status == 201 &&
                json_integer_value(json_object_get(v, "rows")) == (json_int_t)R->o.rows &&
                json_string_value(json_object_get(v, "status")) &&
                strcmp(json_string_value(json_object_get(v, "status")), "stored") == 0;
        snprintf(s->answer, sizeof s->answer, "%ld %.200s", status, h.body.p);
        json_decref(v);
    }
    if (atomic_fetch_sub(&R->submitting, 1) == 1) {
        pthread_mutex_lock(&R->lock);
        R->t_sub_end = now_s();
        R->hub_cpu_sub = proc_cpu_s(R->o.hub_pid);
        R->objects_sub = atomic_load(&R->objects);
        pthread_mutex_unlock(&R->lock);
    }
    http_free(&h);
    return NULL;
}

/* ---- checks after the run ---- */

/* The whole collection of group g read by member m into t; the keys of
 * its indicators in keys (per n); -1 on an error. */
static int collection_full(run *R, const member *m, const char *coll, seen *t,
                           uint8_t *keys, uint64_t *foreign)
{
    http h;
    if (http_init(&h, m, 0, 1, NULL, 600) < 0) return -1;
    char next[32] = "", url[1024];
    int more, rc = 0;
    uint8_t *saved = R->poll_saw;
    R->poll_saw = keys;                 /* page_read marks indicators here */
    uint64_t dups = 0;
    do {
        int at = snprintf(url, sizeof url, "%s/taxii2/api1/collections/%s/objects/?limit=%u",
                          R->o.url, coll, R->o.page);
        if (next[0]) snprintf(url + at, sizeof url - (size_t)at, "&next=%s", next);
        if (R->o.type) snprintf(url + strlen(url), sizeof url - strlen(url),
                                "&match%%5Btype%%5D=%s", R->o.type);
        double ms;
        long status = http_do(&h, url, NULL, 0, &ms);
        stats_add(&R->st_other, ms, status);
        size_t n;
        if (status != 200 ||
            page_read(R, m->g, h.body.p, t, &more, next, &n, &dups, foreign) < 0) {
            rc = -1;
            break;
        }
    } while (more);
    R->poll_saw = saved;
    http_free(&h);
    return rc < 0 || dups ? -1 : 0;
}

static int check(const char *name, int ok, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int check(const char *name, int ok, const char *fmt, ...)
{
    char detail[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(detail, sizeof detail, fmt, ap);
    va_end(ap);
    printf("CHECK %-13s %s  %s\n", name, ok ? "PASS" : "FAIL", detail);
    return ok;
}

/* taxii_latest and taxii_keys for every group. */
static int check_taxii(run *R, pstate *ps)
{
    uint64_t missing = 0, stale = 0, extra = 0, wrong_keys = 0, foreign = 0, objs = 0;
    int ok = 1;
    size_t N = (size_t)R->o.submitters * R->o.rows;
    for (int g = 0; g < R->ngroups; g++) {
        const member *m = NULL;
        const char *coll = NULL;
        for (unsigned j = 0; j < R->o.pollers; j++)
            if (R->pol[j].g == g && ps[j].coll[0]) { m = &R->pol[j]; coll = ps[j].coll; break; }
        if (!m) continue;               /* no poller of this group saw a collection */
        seen full = {0};
        uint8_t *keys = calloc(N, 1);
        if (!keys || collection_full(R, m, coll, &full, keys, &foreign) < 0) {
            ok = 0;
            printf("full read of group %s's collection failed\n", R->groups[g]);
            free(keys);
            seen_free(&full);
            continue;
        }
        objs += full.n;
        for (size_t n = 0; n < N; n++) wrong_keys += keys[n] != (R->L.gmask[n] >> g & 1);
        free(keys);
        for (unsigned j = 0; j < R->o.pollers; j++) {
            if (R->pol[j].g != g) continue;
            seen *t = &ps[j].t;
            for (size_t i = 0; i < full.cap; i++) {
                if (!full.id[i]) continue;
                int64_t *ms = seen_slot(t, full.id[i], 0);
                if (!ms) missing++;
                else if (*ms != full.ms[i]) stale++;
            }
            for (size_t i = 0; i < t->cap; i++)
                if (t->id[i] && !seen_slot(&full, t->id[i], 0)) extra++;
        }
        seen_free(&full);
    }
    ok &= check("taxii_latest", ok && !missing && !stale && !extra,
                "%" PRIu64 " objects in the collections (latest versions); over all pollers: "
                "%" PRIu64 " missing, %" PRIu64 " older than the latest, %" PRIu64 " unknown",
                objs, missing, stale, extra);
    ok &= check("taxii_keys", !wrong_keys && !foreign,
                "%" PRIu64 " (group, key) pairs differ from what the group submitted, %"
                PRIu64 " objects unreadable or foreign", wrong_keys, foreign);
    return ok;
}

/* list_keys for one submitter of every group. */
static int check_lists(run *R)
{
    size_t N = (size_t)R->o.submitters * R->o.rows;
    double *best = malloc(N * sizeof *best);
    uint8_t *got = malloc(N);
    uint64_t missing = 0, extra = 0, twice = 0, score = 0, rows = 0, bad = 0;
    int ok = best && got;
    for (int g = 0; ok && g < R->ngroups; g++) {
        int who = -1;
        for (unsigned i = 0; i < R->o.submitters; i++)
            if (R->sub[i].g == g) { who = (int)i; break; }
        if (who < 0) continue;
        for (size_t n = 0; n < N; n++) best[n] = -1;
        memset(got, 0, N);
        for (unsigned i = 0; i < R->o.submitters; i++) {
            if (R->sub[i].g != g) continue;
            for (unsigned r = 0; r < R->o.rows; r++) {
                uint32_t n = R->L.rows[i][r];
                c2_entry e = entry_of(n, i, R->o.seed);
                if (e.score > best[n]) best[n] = e.score;
            }
        }
        http h;
        char url[512];
        snprintf(url, sizeof url, "%s/api/v1/lists?format=jsonl", R->o.url);
        if (http_init(&h, &R->sub[who], 0, 0, NULL, 600) < 0) { ok = 0; break; }
        double ms;
        long status = http_do(&h, url, NULL, 0, &ms);
        stats_add(&R->st_other, ms, status);
        if (status != 200) { ok = 0; bad++; http_free(&h); break; }
        for (char *save = NULL, *line = strtok_r(h.body.p, "\n", &save); line;
             line = strtok_r(NULL, "\n", &save)) {
            json_t *v = json_loads(line, 0, NULL);
            const char *ip = json_string_value(json_object_get(v, "ip"));
            const char *pr = json_string_value(json_object_get(v, "proto"));
            struct in_addr a;
            int64_t n = -1;
            rows++;
            if (ip && pr && inet_pton(AF_INET, ip, &a) == 1)
                n = key_lookup(&R->L, &R->o, ntohl(a.s_addr),
                               (unsigned)json_integer_value(json_object_get(v, "port")),
                               (unsigned)c2list_proto_parse(pr));
            if (n < 0 || best[n] < 0) extra++;
            else if (got[n]++) twice++;
            else if (fabs(json_number_value(json_object_get(v, "score")) - best[n]) > 0.01)
                score++;
            json_decref(v);
        }
        http_free(&h);
        for (size_t n = 0; n < N; n++) missing += best[n] >= 0 && !got[n];
    }
    free(best);
    free(got);
    return check("list_keys", ok && !missing && !extra && !twice && !score,
                 "%" PRIu64 " rows in %d lists: %" PRIu64 " missing, %" PRIu64
                 " not the group's, %" PRIu64 " twice, %" PRIu64 " with a wrong score%s",
                 rows, R->ngroups, missing, extra, twice, score, bad ? ", a request failed" : "");
}

/* ---- the run ---- */

static int tokens_read(run *R)
{
    FILE *f = fopen(R->o.tokens, "r");
    if (!f) { perror(R->o.tokens); return -1; }
    R->sub = calloc(R->o.submitters ? R->o.submitters : 1, sizeof *R->sub);
    R->pol = calloc(R->o.pollers ? R->o.pollers : 1, sizeof *R->pol);
    unsigned ns = 0, np = 0;
    char line[512], role[32];
    member m;
    while (fgets(line, sizeof line, f)) {
        if (line[0] == '#' || line[0] == '\n') continue;
        if (sscanf(line, "%31s %63s %63s %63s", role, m.name, m.group, m.token) != 4) {
            fprintf(stderr, "hub_load: %s: bad line: %s", R->o.tokens, line);
            fclose(f);
            return -1;
        }
        member *to = strcmp(role, "submitter") == 0 && ns < R->o.submitters ? &R->sub[ns++]
                   : strcmp(role, "poller") == 0 && np < R->o.pollers ? &R->pol[np++] : NULL;
        if (!to) continue;
        int g = 0;
        while (g < R->ngroups && strcmp(R->groups[g], m.group)) g++;
        if (g == R->ngroups) {
            if (g == GROUPS_MAX) { fclose(f); fprintf(stderr, "hub_load: too many groups\n"); return -1; }
            snprintf(R->groups[R->ngroups++], sizeof R->groups[0], "%s", m.group);
        }
        m.g = g;
        *to = m;
    }
    fclose(f);
    if (ns < R->o.submitters || np < R->o.pollers) {
        fprintf(stderr, "hub_load: %s has %u submitters and %u pollers, %u and %u wanted\n",
                R->o.tokens, ns, np, R->o.submitters, R->o.pollers);
        return -1;
    }
    return 0;
}

static void run_free(run *R)
{
    for (unsigned i = 0; R->L.rows && i < R->o.submitters; i++) free(R->L.rows[i]);
    free(R->L.rows);
    free(R->L.own);
    free(R->L.gmask);
    free(R->L.inv);
    free(R->poll_saw);
    free(R->sub);
    free(R->pol);
    free(R->st_sub.lat);
    free(R->st_poll.lat);
    free(R->st_other.lat);
}

static void progress(run *R)
{
    if (R->o.quiet) return;
    fprintf(stderr, "hub_load: %.0f s: %d submissions pending, %llu polls, %llu objects\n",
            now_s() - R->t0, atomic_load(&R->submitting),
            (unsigned long long)atomic_load(&R->polls),
            (unsigned long long)atomic_load(&R->objects));
}

static void print_stats(const char *what, stats *s, double wall, double units,
                        const char *unit, char *err, size_t errlen, uint64_t *nerr)
{
    qsort(s->lat, s->n, sizeof *s->lat, cmp_double);
    *nerr = errors(s, err, errlen);
    printf("%-12s %8zu requests in %8.2f s: %9.1f req/s, %11.0f %s/s\n", what, s->n, wall,
           wall > 0 ? (double)s->n / wall : 0, wall > 0 ? units / wall : 0, unit);
    printf("%-12s latency ms: p50 %.1f  p90 %.1f  p99 %.1f  max %.1f;  errors %" PRIu64 "%s%s\n",
           "", pct(s, 0.5), pct(s, 0.9), pct(s, 0.99), s->n ? s->lat[s->n - 1] : 0, *nerr,
           *nerr ? ": " : "", err);
}

static void usage(void)
{
    fprintf(stderr,
        "usage: hub_load --url URL --tokens FILE [--submitters N] [--rows N] [--overlap P]\n"
        "                [--pollers N] [--poll-interval-ms MS] [--page N] [--type T]\n"
        "                [--seed N] [--timeout S] [--hub-pid PID] [--quiet]\n"
        "  --url URL             the hub, e.g. http://127.0.0.1:8443\n"
        "  --tokens FILE         lines 'submitter|poller NAME GROUP TOKEN'\n"
        "  --submitters N        members submitting at once (50)\n"
        "  --rows N              rows of each list (10000)\n"
        "  --overlap P           share of a member's own rows the next member reports too (0.3)\n"
        "  --pollers N           TAXII clients polling (200)\n"
        "  --poll-interval-ms MS pause between a poller's rounds (200)\n"
        "  --page N              TAXII limit per page (1000)\n"
        "  --type T              match[type] of the polls (default: every object)\n"
        "  --seed N              the lists (1)\n"
        "  --timeout S           give up after S seconds (3600)\n"
        "  --hub-pid PID         the hub's process, to report its CPU time per phase\n");
}

static int opts_parse(int argc, char **argv, opts *o)
{
    *o = (opts){.submitters = 50, .rows = 10000, .pollers = 200, .interval_ms = 200,
                .page = 1000, .overlap = 0.3, .seed = 1, .timeout_s = 3600};
    static const struct option lo[] = {
        {"url", 1, 0, 'u'}, {"tokens", 1, 0, 't'}, {"submitters", 1, 0, 's'},
        {"rows", 1, 0, 'r'}, {"overlap", 1, 0, 'o'}, {"pollers", 1, 0, 'p'},
        {"poll-interval-ms", 1, 0, 'i'}, {"page", 1, 0, 'P'}, {"type", 1, 0, 'T'},
        {"seed", 1, 0, 'S'}, {"timeout", 1, 0, 'x'}, {"quiet", 0, 0, 'q'},
        {"hub-pid", 1, 0, 'H'},
        {"help", 0, 0, 'h'}, {0, 0, 0, 0}};
    int c;
    uint64_t v;
    while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
        switch (c) {
        case 'u': o->url = optarg; break;
        case 't': o->tokens = optarg; break;
        case 'T': o->type = optarg; break;
        case 'q': o->quiet = 1; break;
        case 'H': o->hub_pid = atol(optarg); break;
        case 'o': o->overlap = atof(optarg); break;
        case 's': case 'r': case 'p': case 'i': case 'P': case 'S': case 'x':
            if (c2_u64_parse(optarg, UINT32_MAX, &v) < 0) { usage(); return -1; }
            if (c == 's') o->submitters = (unsigned)v;
            else if (c == 'r') o->rows = (unsigned)v;
            else if (c == 'p') o->pollers = (unsigned)v;
            else if (c == 'i') o->interval_ms = (unsigned)v;
            else if (c == 'P') o->page = (unsigned)v;
            else if (c == 'S') o->seed = v;
            else o->timeout_s = (unsigned)v;
            break;
        default: usage(); return -1;
        }
    }
    if (!o->url || !o->tokens || !o->submitters || !o->rows || !o->page ||
        o->overlap < 0 || o->overlap > 1 || optind != argc) { usage(); return -1; }
    if ((uint64_t)o->submitters * o->rows > MAX_N) {
        fprintf(stderr, "hub_load: submitters x rows must be at most %u\n", MAX_N);
        return -1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    static run R;
    if (opts_parse(argc, argv, &R.o) < 0) return 2;
    if (tokens_read(&R) < 0) return 2;
    unsigned S = R.o.submitters, P = R.o.pollers;
    if (lists_make(&R.o, R.sub, &R.L) < 0 ||
        !(R.poll_saw = calloc((size_t)S * R.o.rows, 1))) {
        fprintf(stderr, "hub_load: out of memory\n");
        return 1;
    }
    curl_global_init(CURL_GLOBAL_DEFAULT);
    sstate *ss = calloc(S, sizeof *ss);
    pstate *ps = calloc(P ? P : 1, sizeof *ps);
    pthread_t *th = calloc(S + P, sizeof *th);
    size_t bytes = 0;
    for (unsigned i = 0; i < S; i++) {
        ss[i] = (sstate){.R = &R, .idx = i};
        if (!(ss[i].body = csv_body(&R.L, &R.o, i, &ss[i].len))) return 1;
        bytes += ss[i].len;
    }
    printf("hub_load: %u submitters x %u rows (overlap %.2f) = %zu distinct keys, %.1f MB of CSV;"
           " %u pollers (every %u ms, pages of %u%s%s); %d groups\n",
           S, R.o.rows, R.o.overlap, R.L.keys, (double)bytes / 1e6, P, R.o.interval_ms,
           R.o.page, R.o.type ? ", type " : "", R.o.type ? R.o.type : "", R.ngroups);
    fflush(stdout);
    pthread_mutex_init(&R.lock, NULL);
    pthread_barrier_init(&R.start, NULL, S + P + 1);
    atomic_store(&R.submitting, (int)S);
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, 256 << 10);
    for (unsigned j = 0; j < P; j++) {
        ps[j] = (pstate){.R = &R, .idx = j};
        pthread_create(&th[S + j], &attr, poller, &ps[j]);
    }
    for (unsigned i = 0; i < S; i++) pthread_create(&th[i], &attr, submitter, &ss[i]);
    R.t0 = now_s();
    R.deadline = R.t0 + R.o.timeout_s;
    pthread_barrier_wait(&R.start);
    R.t0 = now_s();
    R.hub_cpu0 = proc_cpu_s(R.o.hub_pid);
    struct rusage ru0;
    getrusage(RUSAGE_SELF, &ru0);
    double last = R.t0;
    for (unsigned i = 0; i < S + P; i++) {
        for (;;) {
            struct timespec t;
            clock_gettime(CLOCK_REALTIME, &t);
            t.tv_sec += 1;
            if (pthread_timedjoin_np(th[i], NULL, &t) == 0) break;
            if (now_s() - last >= 10) { progress(&R); last = now_s(); }
        }
    }
    R.t_poll_end = now_s();
    R.hub_cpu_end = proc_cpu_s(R.o.hub_pid);
    struct rusage ru1;
    getrusage(RUSAGE_SELF, &ru1);
    double cpu = (double)(ru1.ru_utime.tv_sec - ru0.ru_utime.tv_sec) +
                 (double)(ru1.ru_stime.tv_sec - ru0.ru_stime.tv_sec) +
                 (double)(ru1.ru_utime.tv_usec - ru0.ru_utime.tv_usec) * 1e-6 +
                 (double)(ru1.ru_stime.tv_usec - ru0.ru_stime.tv_usec) * 1e-6;

    uint64_t dups = 0, foreign = 0, pobjects = 0, rounds = 0, empty = 0, pfailed = 0;
    for (unsigned i = 0; i < S; i++) {
        stats_merge(&R.st_sub, &ss[i].st);
        R.sub_ok += ss[i].ok;
        if (!ss[i].ok) printf("submission of %s: %s\n", R.sub[i].name, ss[i].answer);
    }
    for (unsigned j = 0; j < P; j++) {
        stats_merge(&R.st_poll, &ps[j].st);
        stats_merge(&R.st_other, &ps[j].st_other);
        dups += ps[j].dups;
        foreign += ps[j].foreign;
        rounds += ps[j].rounds;
        empty += ps[j].empty_rounds;
        pfailed += (uint64_t)ps[j].failed;
    }
    pobjects = atomic_load(&R.objects);
    double sub_wall = R.t_sub_end - R.t0, poll_wall = R.t_poll_end - R.t0;
    char err_s[512], err_p[512];
    uint64_t ne_s, ne_p;
    printf("\n");
    print_stats("submissions", &R.st_sub, sub_wall, (double)R.sub_ok * R.o.rows, "rows",
                err_s, sizeof err_s, &ne_s);
    print_stats("polls", &R.st_poll, poll_wall, (double)pobjects, "objects", err_p,
                sizeof err_p, &ne_p);
    printf("%-12s %" PRIu64 " rounds (%" PRIu64 " empty), %" PRIu64 " objects, %.1f per poller;"
           " hub_load's own CPU %.1f s\n\n", "", rounds, empty, pobjects,
           P ? (double)pobjects / P : 0, cpu);
    double hc_sub = R.hub_cpu_sub - R.hub_cpu0, hc_after = R.hub_cpu_end - R.hub_cpu_sub;
    uint64_t obj_after = pobjects - R.objects_sub;
    int hub_cpu = R.hub_cpu0 >= 0 && R.hub_cpu_sub >= 0 && R.hub_cpu_end >= 0;
    if (hub_cpu)
        printf("hub CPU      %.1f s while the submissions ran (%.0f ms per 1000 rows, the polls"
               " of that time included);\n             %.1f s after (%" PRIu64 " objects"
               " served: %.1f us per object)\n\n", hc_sub,
               R.sub_ok ? hc_sub * 1e6 / ((double)R.sub_ok * R.o.rows) : 0, hc_after,
               obj_after, obj_after ? hc_after * 1e6 / (double)obj_after : 0);

    int ok = 1;
    ok &= check("submissions", R.sub_ok == S, "%" PRIu64 " of %u stored with %u rows each",
                R.sub_ok, S, R.o.rows);
    ok &= check("pollers", pfailed == 0, "%" PRIu64 " of %u pollers ended early (errors, "
                "no collection or the timeout)", pfailed, P);
    ok &= check("taxii_once", dups == 0, "%" PRIu64 " versions seen twice by a poller", dups);
    ok &= check_taxii(&R, ps);
    uint64_t unseen = 0;
    for (size_t n = 0; n < (size_t)S * R.o.rows; n++)
        unseen += R.L.gmask[n] && !R.poll_saw[n];
    ok &= check("taxii_union", unseen == 0 && foreign == 0,
                "%" PRIu64 " of %zu keys seen by no poller; %" PRIu64 " objects a poller got"
                " were unreadable or another group's", unseen, R.L.keys, foreign);
    ok &= check_lists(&R);

    printf("RESULT submitters=%u rows=%u pollers=%u groups=%d overlap=%.2f keys=%zu"
           " submit_wall_s=%.2f submit_rps=%.2f submit_rows_per_s=%.0f submit_p50_ms=%.1f"
           " submit_p90_ms=%.1f submit_p99_ms=%.1f submit_max_ms=%.1f submit_errors=%" PRIu64
           " poll_requests=%zu poll_wall_s=%.2f poll_rps=%.1f poll_objects=%" PRIu64
           " poll_objects_per_s=%.0f poll_p50_ms=%.1f poll_p90_ms=%.1f poll_p99_ms=%.1f"
           " poll_max_ms=%.1f poll_errors=%" PRIu64 " client_cpu_s=%.1f hub_cpu_submit_s=%.1f"
           " hub_cpu_after_s=%.1f hub_us_per_object_after=%.1f correct=%s\n",
           S, R.o.rows, P, R.ngroups, R.o.overlap, R.L.keys, sub_wall,
           sub_wall > 0 ? R.st_sub.n / sub_wall : 0,
           sub_wall > 0 ? (double)R.sub_ok * R.o.rows / sub_wall : 0, pct(&R.st_sub, 0.5),
           pct(&R.st_sub, 0.9), pct(&R.st_sub, 0.99),
           R.st_sub.n ? R.st_sub.lat[R.st_sub.n - 1] : 0, ne_s, R.st_poll.n, poll_wall,
           poll_wall > 0 ? R.st_poll.n / poll_wall : 0, pobjects,
           poll_wall > 0 ? (double)pobjects / poll_wall : 0, pct(&R.st_poll, 0.5),
           pct(&R.st_poll, 0.9), pct(&R.st_poll, 0.99),
           R.st_poll.n ? R.st_poll.lat[R.st_poll.n - 1] : 0, ne_p, cpu, hub_cpu ? hc_sub : -1, hub_cpu ? hc_after : -1,
           hub_cpu && obj_after ? hc_after * 1e6 / (double)obj_after : -1, ok ? "yes" : "no");
    fflush(stdout);
    for (unsigned i = 0; i < S; i++) { free(ss[i].body); free(ss[i].st.lat); }
    for (unsigned j = 0; j < P; j++) {
        seen_free(&ps[j].t);
        free(ps[j].st.lat);
        free(ps[j].st_other.lat);
    }
    free(ss);
    free(ps);
    free(th);
    run_free(&R);
    curl_global_cleanup();
    return ok ? 0 : 1;
}
