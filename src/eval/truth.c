/*
 * truth.c: the simulator's truth file into an eval_truth.
 *
 * The file is read whole (at most EVAL_TRUTH_MAX_BYTES) and parsed by
 * jansson with duplicate keys refused.  Each value eval uses is checked for
 * type and range, with errors naming the path into the document
 * ("c2[3].port: ...").  Keys not needed are ignored, as truth.md asks, so
 * the simulator can add to the file without breaking this reader; a
 * "format" other than c2flow-truth/1 is refused because its meaning may
 * differ.  Two C2 entries with one (ip, port, proto) are refused: each
 * server must be counted once.
 */
#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "eval/eval.h"

#define TRUTH_FORMAT "c2flow-truth/1"

/* ---- values ---- */

static json_t *need(json_t *o, const char *key, const char *where, c2_err *err)
{
    json_t *v = json_object_get(o, key);
    if (!v) c2_fail(err, "%s: no \"%s\"", where, key);
    return v;
}

static int get_time(json_t *o, const char *key, int nullable, int64_t *out,
                    const char *where, c2_err *err)
{
    json_t *v = need(o, key, where, err);
    if (!v) return -1;
    if (nullable && json_is_null(v)) {
        *out = EVAL_NEVER;
        return 0;
    }
    if (!json_is_string(v) || c2list_time_parse(json_string_value(v), out) != 0)
        return c2_fail(err, "%s.%s: not a UTC time (\"2026-01-05T00:00:00Z\"%s)", where, key,
                       nullable ? " or null" : "");
    return 0;
}

static int get_uint(json_t *o, const char *key, uint64_t max, uint64_t *out,
                    const char *where, c2_err *err)
{
    json_t *v = need(o, key, where, err);
    if (!v) return -1;
    if (!json_is_integer(v) || json_integer_value(v) < 0 ||
        (uint64_t)json_integer_value(v) > max)
        return c2_fail(err, "%s.%s: not an integer 0-%llu", where, key, (unsigned long long)max);
    *out = (uint64_t)json_integer_value(v);
    return 0;
}

static int get_name(json_t *o, const char *key, char *out, const char *where, c2_err *err)
{
    json_t *v = need(o, key, where, err);
    if (!v) return -1;
    if (!json_is_string(v) || json_string_length(v) == 0 ||
        json_string_length(v) >= EVAL_NAME_MAX || strlen(json_string_value(v)) != json_string_length(v))
        return c2_fail(err, "%s.%s: not a name of 1-%d bytes", where, key, EVAL_NAME_MAX - 1);
    for (const char *p = json_string_value(v); *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            return c2_fail(err, "%s.%s: a control character", where, key);
    memcpy(out, json_string_value(v), json_string_length(v) + 1);
    return 0;
}

/* ip, port and proto of a server object. */
static int get_key(json_t *o, flow_addr *ip, uint16_t *port, uint8_t *proto,
                   const char *where, c2_err *err)
{
    json_t *v = need(o, "ip", where, err);
    if (!v) return -1;
    if (!json_is_string(v) || flow_addr_parse(json_string_value(v), ip) != 0)
        return c2_fail(err, "%s.ip: not an IP address", where);
    uint64_t n = 0;            /* set here too: an optimiser cannot see that c2_fail
                                  returns -1, and warns of a port read unset */
    if (get_uint(o, "port", 65535, &n, where, err) != 0) return -1;
    *port = (uint16_t)n;
    if (!(v = need(o, "proto", where, err))) return -1;
    int p = json_is_string(v) ? c2list_proto_parse(json_string_value(v))
          : json_is_integer(v) && json_integer_value(v) >= 0 && json_integer_value(v) <= 255
          ? (int)json_integer_value(v) : -1;
    if (p < 0) return c2_fail(err, "%s.proto: not a protocol name or number", where);
    *proto = (uint8_t)p;
    return 0;
}

/* ---- arrays ---- */

static int read_c2(json_t *o, eval_c2 *c, const char *where, c2_err *err)
{
    uint64_t bots = 0;         /* as n in get_key */
    if (!json_is_object(o)) return c2_fail(err, "%s: not an object", where);
    if (get_key(o, &c->ip, &c->port, &c->proto, where, err) != 0 ||
        get_name(o, "family", c->family, where, err) != 0 ||
        get_time(o, "born", 0, &c->born, where, err) != 0 ||
        get_time(o, "died", 1, &c->died, where, err) != 0 ||
        get_uint(o, "bots", UINT32_MAX, &bots, where, err) != 0 ||
        get_time(o, "feed_listed", 1, &c->feed_listed, where, err) != 0)
        return -1;
    c->bots = (uint32_t)bots;
    if (c->died < c->born) return c2_fail(err, "%s: died before born", where);
    return 0;
}

static int read_infra(json_t *o, eval_infra *l, const char *where, c2_err *err)
{
    if (!json_is_object(o)) return c2_fail(err, "%s: not an object", where);
    if (get_key(o, &l->ip, &l->port, &l->proto, where, err) != 0 ||
        get_name(o, "family", l->family, where, err) != 0 ||
        get_name(o, "role", l->role, where, err) != 0)
        return -1;
    return 0;
}

static json_t *get_array(json_t *root, const char *key, size_t elem, void **out, c2_err *err)
{
    json_t *a = need(root, key, "truth", err);
    if (!a) return NULL;
    if (!json_is_array(a)) {
        c2_fail(err, "%s: not an array", key);
        return NULL;
    }
    *out = calloc(json_array_size(a) ? json_array_size(a) : 1, elem);
    if (!*out) c2_fail(err, "out of memory");
    return *out ? a : NULL;
}

static int key_cmp(const void *a, const void *b)
{
    const eval_c2 *x = *(const eval_c2 *const *)a, *y = *(const eval_c2 *const *)b;
    int c = memcmp(x->ip.b, y->ip.b, 16);
    if (c) return c;
    if (x->port != y->port) return x->port < y->port ? -1 : 1;
    return (int)x->proto - (int)y->proto;
}

static int check_unique(const eval_truth *t, c2_err *err)
{
    if (t->n_c2 < 2) return 0;
    const eval_c2 **p = malloc(t->n_c2 * sizeof *p);
    if (!p) return c2_fail(err, "out of memory");
    for (size_t i = 0; i < t->n_c2; i++) p[i] = &t->c2[i];
    qsort(p, t->n_c2, sizeof *p, key_cmp);
    int rc = 0;
    for (size_t i = 1; i < t->n_c2 && rc == 0; i++)
        if (key_cmp(&p[i - 1], &p[i]) == 0) {
            char ip[FLOW_ADDR_STRLEN];
            size_t a = (size_t)(p[i - 1] - t->c2), b = (size_t)(p[i] - t->c2);
            rc = c2_fail(err, "c2[%zu] and c2[%zu]: the same server %s port %u",
                         a < b ? a : b, a < b ? b : a,
                         flow_addr_format(&p[i]->ip, ip, sizeof ip), p[i]->port);
        }
    free(p);
    return rc;
}

static int read_root(json_t *root, eval_truth *t, c2_err *err)
{
    json_t *v, *a;
    char where[48];
    if (!json_is_object(root)) return c2_fail(err, "not a JSON object");
    if (!(v = need(root, "format", "truth", err))) return -1;
    if (!json_is_string(v) || strcmp(json_string_value(v), TRUTH_FORMAT) != 0)
        return c2_fail(err, "format is not \"%s\"", TRUTH_FORMAT);
    if (get_time(root, "start", 0, &t->start, "truth", err) != 0 ||
        get_time(root, "end", 0, &t->end, "truth", err) != 0)
        return -1;
    if (t->end <= t->start) return c2_fail(err, "end is not after start");
    if (!(a = get_array(root, "c2", sizeof *t->c2, (void **)&t->c2, err))) return -1;
    for (t->n_c2 = 0; t->n_c2 < json_array_size(a); t->n_c2++) {
        snprintf(where, sizeof where, "c2[%zu]", t->n_c2);
        if (read_c2(json_array_get(a, t->n_c2), &t->c2[t->n_c2], where, err) != 0) return -1;
    }
    if (!(a = get_array(root, "loaders", sizeof *t->infra, (void **)&t->infra, err))) return -1;
    for (t->n_infra = 0; t->n_infra < json_array_size(a); t->n_infra++) {
        snprintf(where, sizeof where, "loaders[%zu]", t->n_infra);
        if (read_infra(json_array_get(a, t->n_infra), &t->infra[t->n_infra], where, err) != 0)
            return -1;
    }
    return check_unique(t, err);
}

int eval_truth_read_mem(const void *buf, size_t len, eval_truth *out, c2_err *err)
{
    memset(out, 0, sizeof *out);
    if (len > EVAL_TRUTH_MAX_BYTES)
        return c2_fail(err, "larger than %u MiB", EVAL_TRUTH_MAX_BYTES >> 20);
    json_error_t je;
    json_t *root = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &je);
    if (!root) return c2_fail(err, "line %d: bad JSON: %s", je.line, je.text);
    int rc = read_root(root, out, err);
    json_decref(root);
    return rc;
}

int eval_truth_read_file(const char *path, eval_truth *out, c2_err *err)
{
    memset(out, 0, sizeof *out);
    int is_stdin = !strcmp(path, "-");
    FILE *f = is_stdin ? stdin : fopen(path, "rb");
    if (!f) return c2_fail_errno(err, "%s", path);
    uint8_t *buf = NULL;
    size_t len = 0;
    int rc = c2_stream_read(f, EVAL_TRUTH_MAX_BYTES, &buf, &len, err);
    if (!is_stdin) fclose(f);
    if (rc == 0) rc = eval_truth_read_mem(buf, len, out, err);
    free(buf);
    if (rc != 0) c2_err_prefix(err, "%s", is_stdin ? "stdin" : path);
    return rc;
}

void eval_truth_free(eval_truth *t)
{
    free(t->c2);
    free(t->infra);
    memset(t, 0, sizeof *t);
}
