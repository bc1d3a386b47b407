/*
 * write.c: feature rows as CSV or JSON Lines (features.h, docs/features.md).
 *
 * Every text written is an address, a number, a protocol name or a time,
 * none with commas, quotes or backslashes, so neither form needs escaping.
 * A missing value (NAN: no TCP record to take a SYN share of) is an empty
 * CSV field and a JSON null.
 */
#include "features/features.h"

#include <math.h>

static void value(FILE *f, float v, int json)
{
    if (isnan(v)) fputs(json ? "null" : "", f);
    else fprintf(f, "%.6g", (double)v);
}

static void key_fields(const feature_row *r, FILE *f, int json)
{
    char day[40], ip[FLOW_ADDR_STRLEN], proto[16], first[40], last[40];
    c2list_time_format(r->day, day, sizeof day);
    day[10] = 0;
    flow_addr_format(&r->ip, ip, sizeof ip);
    c2list_proto_format(r->proto, proto, sizeof proto);
    c2list_time_format(r->first, first, sizeof first);
    c2list_time_format(r->last, last, sizeof last);
    if (json)
        fprintf(f, "{\"day\":\"%s\",\"ip\":\"%s\",\"port\":%u,\"proto\":\"%s\","
                   "\"first\":\"%s\",\"last\":\"%s\"", day, ip, r->port, proto, first, last);
    else
        fprintf(f, "%s,%s,%u,%s,%s,%s", day, ip, r->port, proto, first, last);
}

int features_write(const feature_table *t, FILE *f, features_format fmt, c2_err *err)
{
    int json = fmt == FEATURES_JSONL;
    if (!json) {
        fputs("day,ip,port,proto,first,last", f);
        for (size_t j = 0; j < FEATURE_COUNT; j++) fprintf(f, ",%s", feature_name(j));
        fputc('\n', f);
    }
    for (size_t i = 0; i < t->n; i++) {
        const feature_row *r = &t->row[i];
        key_fields(r, f, json);
        for (size_t j = 0; j < FEATURE_COUNT; j++) {
            if (json) fprintf(f, ",\"%s\":", feature_name(j));
            else fputc(',', f);
            value(f, r->v[j], json);
        }
        fputs(json ? "}\n" : "\n", f);
    }
    if (fflush(f) == EOF || ferror(f)) return c2_fail_errno(err, "writing the features");
    return 0;
}
