/*
 * labels: the ground truth of a labelled capture, one row per responder
 * (IP, port, protocol) and label, with the first and last time seen.
 *
 * Two open-addressing hash tables with linear probing, capacities powers of
 * two, grown (doubled and rehashed) past 70 % load:
 *   - strings: label text -> label id, so that the few distinct labels of a
 *     capture are stored once however many connections carry them;
 *   - rows: (ip, port, proto, label id) -> first/last/connections.
 * Allocation happens only when a new label or a new row appears, never per
 * connection otherwise.  Output is sorted (ip, port, proto, label) so that
 * two imports of the same capture write the same CSV.
 */
#include <stdlib.h>
#include <string.h>

#include "import/import_impl.h"

typedef struct label_row {
    flow_addr ip;
    uint16_t  port;
    uint8_t   proto;
    uint8_t   used;                 /* slot holds a row */
    uint32_t  label;                /* index into strs */
    int64_t   first_ms, last_ms;
    uint64_t  connections;
} label_row;

struct import_labels {
    label_row *rows;                /* open addressing, rows_cap slots */
    size_t     rows_cap, nrows;
    char     **strs;                /* label id -> text */
    size_t     strs_cap, nstrs;
    uint32_t  *str_slots;           /* open addressing: id + 1, 0 = empty */
    size_t     slots_cap;
};

#define INITIAL_CAP 256

/* FNV-1a, 64 bit. */
static uint64_t hash_bytes(uint64_t h, const void *p, size_t n)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++)
        h = (h ^ b[i]) * 0x100000001b3ULL;
    return h;
}
#define HASH_SEED 0xcbf29ce484222325ULL

static uint64_t row_hash(const flow_addr *ip, uint16_t port, uint8_t proto,
                         uint32_t label)
{
    uint64_t h = hash_bytes(HASH_SEED, ip->b, sizeof ip->b);
    h = hash_bytes(h, &port, sizeof port);
    h = hash_bytes(h, &proto, sizeof proto);
    return hash_bytes(h, &label, sizeof label);
}

int import_labels_new(import_labels **out, c2_err *err)
{
    import_labels *l = calloc(1, sizeof *l);
    if (l) {
        l->rows = calloc(INITIAL_CAP, sizeof *l->rows);
        l->str_slots = calloc(INITIAL_CAP, sizeof *l->str_slots);
    }
    if (!l || !l->rows || !l->str_slots) {
        import_labels_free(l);
        return c2_fail(err, "out of memory");
    }
    l->rows_cap = l->slots_cap = INITIAL_CAP;
    *out = l;
    return 0;
}

void import_labels_free(import_labels *l)
{
    if (!l)
        return;
    for (size_t i = 0; i < l->nstrs; i++)
        free(l->strs[i]);
    free(l->strs);
    free(l->str_slots);
    free(l->rows);
    free(l);
}

size_t import_labels_count(const import_labels *l)
{
    return l->nrows;
}

static size_t str_slot(const import_labels *l, const char *s)
{
    size_t mask = l->slots_cap - 1;
    size_t i = hash_bytes(HASH_SEED, s, strlen(s)) & mask;
    while (l->str_slots[i] && strcmp(l->strs[l->str_slots[i] - 1], s) != 0)
        i = (i + 1) & mask;
    return i;
}

static int grow_strings(import_labels *l)
{
    size_t cap = l->slots_cap * 2;
    uint32_t *slots = calloc(cap, sizeof *slots);
    if (!slots)
        return -1;
    free(l->str_slots);
    l->str_slots = slots;
    l->slots_cap = cap;
    for (size_t id = 0; id < l->nstrs; id++)
        l->str_slots[str_slot(l, l->strs[id])] = (uint32_t)id + 1;
    return 0;
}

/* Label text -> id, adding it when new.  -1 on allocation failure. */
static int64_t label_id(import_labels *l, const char *s)
{
    size_t i = str_slot(l, s);
    if (l->str_slots[i])
        return l->str_slots[i] - 1;
    if (l->nstrs == l->strs_cap) {
        size_t cap = l->strs_cap ? l->strs_cap * 2 : 16;
        char **strs = realloc(l->strs, cap * sizeof *strs);
        if (!strs)
            return -1;
        l->strs = strs;
        l->strs_cap = cap;
    }
    char *copy = strdup(s);
    if (!copy)
        return -1;
    l->strs[l->nstrs++] = copy;
    l->str_slots[i] = (uint32_t)l->nstrs;
    if (l->nstrs * 10 > l->slots_cap * 7 && grow_strings(l) != 0)
        return -1;
    return (int64_t)l->nstrs - 1;
}

static size_t row_slot(const label_row *rows, size_t cap, const label_row *k)
{
    size_t mask = cap - 1;
    size_t i = row_hash(&k->ip, k->port, k->proto, k->label) & mask;
    while (rows[i].used &&
           !(rows[i].port == k->port && rows[i].proto == k->proto &&
             rows[i].label == k->label &&
             flow_addr_cmp(&rows[i].ip, &k->ip) == 0))
        i = (i + 1) & mask;
    return i;
}

static int grow_rows(import_labels *l)
{
    size_t cap = l->rows_cap * 2;
    label_row *rows = calloc(cap, sizeof *rows);
    if (!rows)
        return -1;
    for (size_t i = 0; i < l->rows_cap; i++)
        if (l->rows[i].used)
            rows[row_slot(rows, cap, &l->rows[i])] = l->rows[i];
    free(l->rows);
    l->rows = rows;
    l->rows_cap = cap;
    return 0;
}

int import_labels_add(import_labels *l, const flow_addr *ip, uint16_t port,
                      uint8_t proto, const char *label, int64_t start_ms,
                      int64_t end_ms, c2_err *err)
{
    int64_t id = label_id(l, label);
    if (id < 0)
        return c2_fail(err, "out of memory for labels");
    label_row key = {.ip = *ip, .port = port, .proto = proto,
                     .label = (uint32_t)id};
    label_row *row = &l->rows[row_slot(l->rows, l->rows_cap, &key)];
    if (!row->used) {
        *row = key;
        row->used = 1;
        row->first_ms = start_ms;
        row->last_ms = end_ms;
        l->nrows++;
    }
    if (start_ms < row->first_ms)
        row->first_ms = start_ms;
    if (end_ms > row->last_ms)
        row->last_ms = end_ms;
    row->connections++;
    if (l->nrows * 10 > l->rows_cap * 7 && grow_rows(l) != 0)
        return c2_fail(err, "out of memory for labels");
    return 0;
}

static int label_cmp(const void *a, const void *b)
{
    const import_label *x = a, *y = b;
    int c = flow_addr_cmp(&x->ip, &y->ip);
    if (c == 0)
        c = (x->port > y->port) - (x->port < y->port);
    if (c == 0)
        c = (x->proto > y->proto) - (x->proto < y->proto);
    return c ? c : strcmp(x->label, y->label);
}

int import_labels_list(const import_labels *l, import_label **rows, size_t *n,
                       c2_err *err)
{
    import_label *out = malloc((l->nrows ? l->nrows : 1) * sizeof *out);
    if (!out)
        return c2_fail(err, "out of memory");
    size_t k = 0;
    for (size_t i = 0; i < l->rows_cap; i++) {
        const label_row *r = &l->rows[i];
        if (!r->used)
            continue;
        out[k++] = (import_label){.ip = r->ip, .port = r->port,
                                  .proto = r->proto,
                                  .label = l->strs[r->label],
                                  .first_ms = r->first_ms,
                                  .last_ms = r->last_ms,
                                  .connections = r->connections};
    }
    qsort(out, k, sizeof *out, label_cmp);
    *rows = out;
    *n = k;
    return 0;
}

/* A CSV field, quoted when it holds a comma, quote or line break. */
static void csv_field(FILE *f, const char *s)
{
    if (!strpbrk(s, ",\"\r\n")) {
        fputs(s, f);
        return;
    }
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"')
            fputc('"', f);
        fputc(*s, f);
    }
    fputc('"', f);
}

static void write_row(FILE *f, const import_label *r)
{
    char ip[FLOW_ADDR_STRLEN], first[40], last[40];
    flow_addr_format(&r->ip, ip, sizeof ip);
    fprintf(f, "%s,%u,", ip, r->port);
    switch (r->proto) {
    case 1: fputs("icmp", f); break;
    case 6: fputs("tcp", f); break;
    case 17: fputs("udp", f); break;
    default: fprintf(f, "%u", r->proto); break;
    }
    fputc(',', f);
    csv_field(f, r->label);
    fprintf(f, ",%s,%s\n", c2_time_format(r->first_ms, first, sizeof first),
            c2_time_format(r->last_ms, last, sizeof last));
}

int import_labels_write_csv(const import_labels *l, FILE *f, c2_err *err)
{
    import_label *rows;
    size_t n;
    if (import_labels_list(l, &rows, &n, err) != 0)
        return -1;
    fputs("ip,port,proto,label,first,last\n", f);
    for (size_t i = 0; i < n; i++)
        write_row(f, &rows[i]);
    free(rows);
    if (fflush(f) != 0 || ferror(f))
        return c2_fail_errno(err, "writing labels");
    return 0;
}
