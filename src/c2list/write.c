/*
 * write.c: a list as CSV or JSON Lines (docs/c2list.md).
 *
 * Every value a row holds has a text form without commas, quotes or
 * newlines (the method's and the category's characters are restricted for
 * that reason), so CSV needs no quoting.  The category is the last CSV
 * column, so that readers of lists without it see the old columns first,
 * and a JSON key only when known, so that rows without one read the same
 * as before it existed.  Unknown times are an empty CSV field and a JSON
 * null; scores print with at most one decimal ("87.5", "90").  JSON goes
 * through jansson so that the two readers and the writer agree on escaping
 * and numbers.
 */
#include <jansson.h>
#include <string.h>

#include "c2list/c2list.h"

#define CSV_HEADER "ip,port,proto,first_seen,last_seen,score,method,group," \
                   "infected_clients,clients,days_seen,category\n"

/* "87.5", "90", "0". */
static char *score_format(double score, char *buf, size_t len)
{
    snprintf(buf, len, "%.1f", score);
    char *dot = strchr(buf, '.');
    if (dot && !strcmp(dot, ".0")) *dot = '\0';
    return buf;
}

static const char *time_or_empty(int64_t ms, char *buf, size_t len)
{
    if (!ms) return "";
    return c2list_time_format(ms, buf, len);
}

static void write_csv_row(const c2_entry *e, FILE *f)
{
    char ip[FLOW_ADDR_STRLEN], proto[16], first[40], last[40], score[16];
    fprintf(f, "%s,%u,%s,%s,%s,%s,%s,%u,%u,%u,%u,%s\n",
            flow_addr_format(&e->ip, ip, sizeof ip), e->port,
            c2list_proto_format(e->proto, proto, sizeof proto),
            time_or_empty(e->first_seen, first, sizeof first),
            time_or_empty(e->last_seen, last, sizeof last),
            score_format(e->score, score, sizeof score), e->method, e->group,
            e->infected_clients, e->clients, e->days_seen, e->category);
}

static json_t *time_json(int64_t ms)
{
    char buf[40];
    return ms ? json_string(c2list_time_format(ms, buf, sizeof buf)) : json_null();
}

static int write_json_row(const c2_entry *e, FILE *f, c2_err *err)
{
    char ip[FLOW_ADDR_STRLEN], proto[16];
    json_t *o = json_pack("{s:s, s:i, s:s, s:o, s:o, s:f, s:s, s:I, s:I, s:I, s:I}",
                          "ip", flow_addr_format(&e->ip, ip, sizeof ip),
                          "port", (int)e->port,
                          "proto", c2list_proto_format(e->proto, proto, sizeof proto),
                          "first_seen", time_json(e->first_seen),
                          "last_seen", time_json(e->last_seen),
                          "score", e->score, "method", e->method,
                          "group", (json_int_t)e->group,
                          "infected_clients", (json_int_t)e->infected_clients,
                          "clients", (json_int_t)e->clients,
                          "days_seen", (json_int_t)e->days_seen);
    if (!o || (e->category[0] &&
               json_object_set_new(o, "category", json_string(e->category)) != 0)) {
        json_decref(o);
        return c2_fail(err, "out of memory");
    }
    /* one decimal of at most 100: 4 significant digits say it exactly.
     * A row is far below 1 KiB; dumping to a buffer saves jansson's many
     * small writes to f. */
    char buf[1024];
    size_t n = json_dumpb(o, buf, sizeof buf - 1, JSON_COMPACT | JSON_REAL_PRECISION(4));
    json_decref(o);
    if (n == 0 || n >= sizeof buf - 1) return c2_fail(err, "cannot format a row as JSON");
    buf[n++] = '\n';
    fwrite(buf, 1, n, f);
    return 0;
}

int c2list_format_lookup(const char *name)
{
    if (!strcmp(name, "csv")) return C2LIST_CSV;
    if (!strcmp(name, "jsonl") || !strcmp(name, "json")) return C2LIST_JSONL;
    return -1;
}

int c2list_write(const c2list *l, FILE *f, c2list_format fmt, c2_err *err)
{
    if (fmt == C2LIST_CSV) fputs(CSV_HEADER, f);
    for (size_t i = 0; i < c2list_count(l); i++) {
        const c2_entry *e = c2list_get(l, i);
        if (fmt == C2LIST_CSV) write_csv_row(e, f);
        else if (write_json_row(e, f, err) != 0) return -1;
    }
    if (fflush(f) != 0 || ferror(f)) return c2_fail_errno(err, "write");
    return 0;
}
