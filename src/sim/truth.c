/*
 * truth.c: what really happened in a simulation, for scoring detectors,
 * and the simulated threat feed.  docs/simulator.md describes both files.
 */
#include "sim/sim_impl.h"

#include <jansson.h>
#include <string.h>

static json_t *time_or_null(int64_t ms, int64_t end)
{
    if (ms == C2_TIME_MAX || ms >= end)
        return json_null();
    char buf[40];
    c2_time_format(ms - ms % 1000, buf, sizeof buf);
    /* c2_time_format writes ".000Z"; the truth keeps whole seconds */
    char *dot = strchr(buf, '.');
    if (dot) strcpy(dot, "Z");
    return json_string(buf);
}

static json_t *addr_json(const flow_addr *a)
{
    char buf[FLOW_ADDR_STRLEN];
    return json_string(flow_addr_format(a, buf, sizeof buf));
}

static const char *proto_text(uint8_t p)
{
    return p == 6 ? "tcp" : p == 17 ? "udp" : p == 1 ? "icmp" : "ip";
}

static const char *role_text(int role)
{
    switch (role) {
    case ROLE_LOADER: return "loader";
    case ROLE_DOWNLOAD: return "download";
    case ROLE_REPORT: return "report";
    default: return "c2";
    }
}

static int in_window(const sim *s, const sim_server *sv)
{
    return sv->born < s->end_ms && sv->died > s->start_ms;
}

static json_t *servers_json(const sim *s, int want_c2)
{
    json_t *arr = json_array();
    for (int f = 0; f < s->sc.n_fam; f++) {
        const sim_family *fm = &s->fam[f];
        for (uint32_t i = 0; i < fm->n_srv; i++) {
            const sim_server *sv = &fm->srv[i];
            if ((sv->role == ROLE_C2) != want_c2 || !in_window(s, sv))
                continue;
            json_t *o = json_object();
            json_object_set_new(o, "ip", addr_json(&sv->ip));
            json_object_set_new(o, "port", json_integer(sv->port));
            json_object_set_new(o, "proto", json_string(proto_text(sv->proto)));
            json_object_set_new(o, "family", json_string(s->sc.fam[f].name));
            if (!want_c2)
                json_object_set_new(o, "role", json_string(role_text(sv->role)));
            json_object_set_new(o, "born", time_or_null(sv->born, C2_TIME_MAX - 1));
            json_object_set_new(o, "died", time_or_null(sv->died, s->end_ms));
            if (want_c2) {
                json_object_set_new(o, "bots", json_integer(sv->bots));
                json_object_set_new(o, "packets", json_integer((json_int_t)sv->packets));
                json_object_set_new(o, "feed_listed", time_or_null(sv->feed_listed, C2_TIME_MAX - 1));
            }
            json_array_append_new(arr, o);
        }
    }
    return arr;
}

static json_t *infected_json(const sim *s)
{
    json_t *arr = json_array();
    for (uint32_t i = 0; i < s->n_bots; i++) {
        const sim_bot *b = &s->bots[i];
        if (b->infected_at >= s->end_ms || b->cleaned_at <= s->start_ms)
            continue;
        flow_addr a;
        sim_sub_v4(s, b->sub, &a);
        json_t *o = json_object();
        json_object_set_new(o, "ip", addr_json(&a));
        json_object_set_new(o, "family", json_string(s->sc.fam[b->family].name));
        json_object_set_new(o, "infected_at", time_or_null(b->infected_at, C2_TIME_MAX - 1));
        json_object_set_new(o, "cleaned_at", time_or_null(b->cleaned_at, s->end_ms));
        json_array_append_new(arr, o);
    }
    return arr;
}

static json_t *ddos_json(const sim *s)
{
    json_t *arr = json_array();
    for (uint32_t i = 0; i < s->n_ddos; i++) {
        const sim_ddos *d = &s->ddos[i];
        json_t *o = json_object();
        json_object_set_new(o, "target", addr_json(&d->target));
        json_object_set_new(o, "port", json_integer(d->port));
        json_object_set_new(o, "proto", json_string(proto_text(d->proto)));
        json_object_set_new(o, "family", json_string(s->sc.fam[d->family].name));
        json_object_set_new(o, "start", time_or_null(d->start, C2_TIME_MAX - 1));
        json_object_set_new(o, "end", time_or_null(d->end, C2_TIME_MAX - 1));
        json_object_set_new(o, "bots", json_integer(d->bots));
        json_array_append_new(arr, o);
    }
    return arr;
}

static json_t *lookalikes_json(const sim *s)
{
    json_t *arr = json_array();
    for (uint32_t i = 0; i < s->n_look; i++) {
        const sim_lookalike *l = &s->look[i];
        json_t *o = json_object();
        json_object_set_new(o, "ip", addr_json(&l->ip));
        json_object_set_new(o, "port", json_integer(l->port));
        json_object_set_new(o, "proto", json_string(l->port ? proto_text(l->proto) : "tcp"));
        json_object_set_new(o, "kind", json_string(l->kind));
        if (l->clients)
            json_object_set_new(o, "clients", json_integer(l->clients));
        json_array_append_new(arr, o);
    }
    return arr;
}

static json_t *prefixes_json(const sim *s)
{
    json_t *arr = json_array();
    const sim_prefix *lists[2] = {s->sc.v4, s->sc.v6};
    int counts[2] = {s->sc.n_v4, s->sc.n_v6};
    for (int l = 0; l < 2; l++)
        for (int i = 0; i < counts[l]; i++) {
            char buf[FLOW_ADDR_STRLEN + 8];
            const sim_prefix *p = &lists[l][i];
            flow_addr_format(&p->base, buf, FLOW_ADDR_STRLEN);
            size_t n = strlen(buf);
            snprintf(buf + n, sizeof buf - n, "/%u", flow_addr_is_v4(&p->base) ? p->len - 96 : p->len);
            json_array_append_new(arr, json_string(buf));
        }
    return arr;
}

static json_t *stats_json(const sim *s)
{
    const sim_stats *st = &s->stats;
    return json_pack("{s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:i,s:i}",
                     "records", (json_int_t)st->records, "packets", (json_int_t)st->packets,
                     "bytes", (json_int_t)st->bytes,
                     "benign_records", (json_int_t)st->benign_records,
                     "bot_records", (json_int_t)st->bot_records,
                     "lookalike_records", (json_int_t)st->lookalike_records,
                     "scanner_records", (json_int_t)st->scanner_records,
                     "devices", (int)st->devices, "ddos", (int)s->n_ddos);
}

int sim_truth_write(const sim *s, FILE *f, c2_err *err)
{
    json_t *root = json_object();
    json_object_set_new(root, "format", json_string("c2flow-truth/1"));
    json_object_set_new(root, "scenario", json_string(s->sc.name));
    json_object_set_new(root, "seed", json_integer((json_int_t)s->seed));
    json_object_set_new(root, "start", time_or_null(s->start_ms, C2_TIME_MAX - 1));
    json_object_set_new(root, "end", time_or_null(s->end_ms, C2_TIME_MAX - 1));
    json_object_set_new(root, "sampling", json_integer(s->sc.sampling));
    json_object_set_new(root, "internal", prefixes_json(s));
    json_object_set_new(root, "subscribers", json_integer(s->sc.subscribers));
    json_object_set_new(root, "c2", servers_json(s, 1));
    json_object_set_new(root, "loaders", servers_json(s, 0));
    json_object_set_new(root, "infected", infected_json(s));
    json_object_set_new(root, "ddos", ddos_json(s));
    json_object_set_new(root, "lookalikes", lookalikes_json(s));
    json_object_set_new(root, "stats", stats_json(s));
    int rc = json_dumpf(root, f, JSON_INDENT(1) | JSON_PRESERVE_ORDER);
    json_decref(root);
    if (rc < 0 || fputc('\n', f) == EOF || fflush(f) == EOF)
        return c2_fail_errno(err, "writing the truth");
    return 0;
}

static const char *feed_malware(int kind)
{
    switch (kind) {
    case KIND_MIRAI: return "Mirai";
    case KIND_GAFGYT: return "Gafgyt";
    case KIND_EMOTET: return "Emotet";
    default: return "njRAT";
    }
}

int sim_feed_write(const sim *s, FILE *f, c2_err *err)
{
    char now[40];
    c2_time_format(s->end_ms, now, sizeof now);
    fprintf(f, "################################################################\n"
               "# c2flow simulated threat feed, in Feodo Tracker's CSV layout  #\n"
               "# scenario %s, seed %llu, generated for %.10s\n"
               "################################################################\n"
               "#\n"
               "# \"first_seen_utc\",\"dst_ip\",\"dst_port\",\"c2_status\",\"last_online\",\"malware\"\n",
            s->sc.name, (unsigned long long)s->seed, now);
    for (int fam = 0; fam < s->sc.n_fam; fam++) {
        const sim_family *fm = &s->fam[fam];
        for (uint32_t i = 0; i < fm->n_srv; i++) {
            const sim_server *sv = &fm->srv[i];
            if (sv->role != ROLE_C2 || !in_window(s, sv) || sv->feed_listed == C2_TIME_MAX)
                continue;
            char first[40], last[40], ip[FLOW_ADDR_STRLEN];
            c2_time_format(sv->feed_listed - sv->feed_listed % 1000, first, sizeof first);
            first[10] = ' ';
            first[19] = 0;
            int64_t last_online = sv->died < sv->feed_listed ? sv->died : sv->feed_listed;
            c2_time_format(last_online, last, sizeof last);
            last[10] = 0;
            fprintf(f, "\"%s\",\"%s\",\"%u\",\"%s\",\"%s\",\"%s\"\n", first,
                    flow_addr_format(&sv->ip, ip, sizeof ip), sv->port,
                    sv->died > sv->feed_listed ? "online" : "offline", last,
                    feed_malware(s->sc.fam[fam].kind));
        }
    }
    if (fflush(f) == EOF || ferror(f))
        return c2_fail_errno(err, "writing the feed");
    return 0;
}
