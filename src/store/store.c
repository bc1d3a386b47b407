/*
 * store.c: the store directory as a whole: opening it, the path layout,
 * listing segments by time, inventory, retention and verification.
 *
 * Layout: STORE/YYYY/MM/DD/HHMMSS_<slice seconds>s_<unique>.c2s, where
 * HHMMSS is the slice start (UTC).  Slices tile days (the slice length
 * divides 24 h), so a time range maps to whole day directories and, inside
 * them, to file names: listing never opens a file.  Temporary files of
 * writers start with '.' and are never listed.
 */
#include "store/segment.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct store {
    char          *root;
    store_options  opt;
};

void store_options_default(store_options *o)
{
    memset(o, 0, sizeof *o);
    o->slice_ms = 5 * 60 * 1000;
    o->retention_ms = 30 * C2_MS_PER_DAY;
    o->zstd_level = 3;
    o->block_records = 65536;
    o->max_open_slices = 8;
}

static int check_options(const store_options *o, c2_err *err)
{
    if (o->slice_ms < 1000 || o->slice_ms > C2_MS_PER_DAY ||
        o->slice_ms % 1000 != 0 || C2_MS_PER_DAY % o->slice_ms != 0)
        return c2_fail(err, "slice must be whole seconds that divide a day");
    if (o->retention_ms < 0) return c2_fail(err, "retention must not be negative");
    if (o->block_records < 1 || o->block_records > SEGMENT_MAX_BLOCK_RECORDS)
        return c2_fail(err, "block_records must be 1..%u", SEGMENT_MAX_BLOCK_RECORDS);
    if (o->max_open_slices < 1) return c2_fail(err, "max_open_slices must be >= 1");
    return 0;
}

int store_open(const char *dir, const store_options *opt, int create,
               store **out, c2_err *err)
{
    store_options o;
    if (opt) o = *opt;
    else store_options_default(&o);
    if (check_options(&o, err) != 0) return -1;
    struct stat st;
    if (stat(dir, &st) != 0) {
        if (errno != ENOENT || !create) return c2_fail_errno(err, "store %s", dir);
        if (c2_mkdir_p(dir, C2_PRIVATE, err) != 0) return -1;   /* flow records */
    } else if (!S_ISDIR(st.st_mode)) {
        return c2_fail(err, "store %s is not a directory", dir);
    }
    store *s = calloc(1, sizeof *s);
    if (!s || !(s->root = strdup(dir))) {
        free(s);
        return c2_fail(err, "out of memory");
    }
    size_t n = strlen(s->root);
    while (n > 1 && s->root[n - 1] == '/') s->root[--n] = '\0';
    s->opt = o;
    *out = s;
    return 0;
}

void store_close(store *s)
{
    if (!s) return;
    free(s->root);
    free(s);
}

const char *store_path(const store *s) { return s->root; }
const store_options *store_get_options(const store *s) { return &s->opt; }

static int64_t day_floor(int64_t ms)
{
    int64_t d = ms / C2_MS_PER_DAY;
    if (ms % C2_MS_PER_DAY < 0) d--;
    return d;
}

void store_day_dir(const char *root, int64_t ms, char *buf, size_t len)
{
    int y, m, d;
    c2_civil_from_days(day_floor(ms), &y, &m, &d);
    snprintf(buf, len, "%s/%04d/%02d/%02d", root, y, m, d);
}

/* n decimal digits of s as a number, or -1. */
static int num_n(const char *s, int n)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (!isdigit((unsigned char)s[i])) return -1;
        v = v * 10 + (s[i] - '0');
    }
    return s[n] == '\0' ? v : -1;
}

int store_segment_name_parse(const char *day_rel, const char *name,
                             int64_t *slice_start_ms, int64_t *slice_len_ms)
{
    int y, mo, d;
    char hh[3] = {0}, mi[3] = {0}, ss[3] = {0};
    if (sscanf(day_rel, "%4d/%2d/%2d", &y, &mo, &d) != 3) return -1;
    size_t n = strlen(name), sl = strlen(SEGMENT_SUFFIX);
    if (n < 8 + sl || strcmp(name + n - sl, SEGMENT_SUFFIX) != 0 || name[6] != '_')
        return -1;
    memcpy(hh, name, 2);
    memcpy(mi, name + 2, 2);
    memcpy(ss, name + 4, 2);
    int h = num_n(hh, 2), m = num_n(mi, 2), s = num_n(ss, 2);
    char *end;
    long long len_s = strtoll(name + 7, &end, 10);
    if (h < 0 || h > 23 || m < 0 || m > 59 || s < 0 || s > 59 || *end != 's' ||
        len_s <= 0 || len_s > 86400)
        return -1;
    *slice_start_ms = c2_days_from_civil(y, mo, d) * C2_MS_PER_DAY +
                      h * 3600000LL + m * 60000LL + s * 1000LL;
    *slice_len_ms = len_s * 1000;
    return 0;
}

/* ---- listing ---- */

typedef struct list_state {
    segment_entry *e;
    size_t n, cap;
    uint64_t temp_files;
    int64_t from, to;
} list_state;

static int list_add(list_state *ls, const char *path, int64_t start, int64_t len,
                    uint64_t bytes)
{
    if (ls->n == ls->cap) {
        size_t cap = ls->cap ? ls->cap * 2 : 64;
        segment_entry *ne = realloc(ls->e, cap * sizeof *ne);
        if (!ne) return -1;
        ls->e = ne;
        ls->cap = cap;
    }
    segment_entry *e = &ls->e[ls->n];
    if (!(e->path = strdup(path))) return -1;
    e->slice_start_ms = start;
    e->slice_len_ms = len;
    e->bytes = bytes;
    ls->n++;
    return 0;
}

static int list_day(list_state *ls, const char *root, const char *rel, c2_err *err)
{
    char dir[PATH_MAX], path[PATH_MAX];
    snprintf(dir, sizeof dir, "%s/%s", root, rel);
    DIR *d = opendir(dir);
    /* gone meanwhile, or a stray file with a day's name: no segments */
    if (!d) return errno == ENOENT || errno == ENOTDIR ? 0 : c2_fail_errno(err, "%s", dir);
    struct dirent *de;
    int rc = 0;
    while (rc == 0 && (de = readdir(d)) != NULL) {
        int64_t start, len;
        if (de->d_name[0] == '.') {
            size_t n = strlen(de->d_name);
            if (n > 4 && !strcmp(de->d_name + n - 4, ".tmp")) ls->temp_files++;
            continue;
        }
        if (store_segment_name_parse(rel, de->d_name, &start, &len) != 0) continue;
        if (start + len <= ls->from || start >= ls->to) continue;
        if (snprintf(path, sizeof path, "%s/%s", dir, de->d_name) >= (int)sizeof path)
            continue;
        struct stat st;
        if (stat(path, &st) != 0) continue;     /* removed meanwhile */
        if (list_add(ls, path, start, len, (uint64_t)st.st_size) != 0)
            rc = c2_fail(err, "out of memory");
    }
    closedir(d);
    return rc;
}

/* Sorted names of subdirectories of `dir` that are `digits` long. */
static int numbered_subdirs(const char *dir, int digits, int *vals, int max)
{
    DIR *d = opendir(dir);
    if (!d) return errno == ENOENT || errno == ENOTDIR ? 0 : -1;
    int n = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL && n < max) {
        if ((int)strlen(de->d_name) != digits) continue;
        int v = num_n(de->d_name, digits);
        if (v >= 0) vals[n++] = v;
    }
    closedir(d);
    for (int i = 1; i < n; i++)
        for (int j = i; j > 0 && vals[j - 1] > vals[j]; j--) {
            int t = vals[j]; vals[j] = vals[j - 1]; vals[j - 1] = t;
        }
    return n;
}

static int day_in_range(const list_state *ls, int y, int m, int d)
{
    int64_t start = c2_days_from_civil(y, m, d) * C2_MS_PER_DAY;
    return start + C2_MS_PER_DAY > ls->from && start < ls->to;
}

static int cmp_entry(const void *a, const void *b)
{
    const segment_entry *x = a, *y = b;
    if (x->slice_start_ms != y->slice_start_ms)
        return x->slice_start_ms < y->slice_start_ms ? -1 : 1;
    return strcmp(x->path, y->path);
}

int store_list(const store *s, int64_t from_ms, int64_t to_ms,
               segment_entry **out, size_t *n, uint64_t *temp_files, c2_err *err)
{
    list_state ls = {.from = from_ms, .to = to_ms};
    int years[4096], months[64], days[64];
    char path[PATH_MAX], rel[32];
    int ny = numbered_subdirs(s->root, 4, years, 4096);
    if (ny < 0) return c2_fail_errno(err, "%s", s->root);
    for (int i = 0; i < ny; i++) {
        snprintf(path, sizeof path, "%s/%04d", s->root, years[i]);
        int nm = numbered_subdirs(path, 2, months, 64);
        for (int j = 0; j < nm; j++) {
            snprintf(path, sizeof path, "%s/%04d/%02d", s->root, years[i], months[j]);
            int nd = numbered_subdirs(path, 2, days, 64);
            for (int k = 0; k < nd; k++) {
                if (!day_in_range(&ls, years[i], months[j], days[k])) continue;
                snprintf(rel, sizeof rel, "%04d/%02d/%02d", years[i], months[j], days[k]);
                if (list_day(&ls, s->root, rel, err) != 0) {
                    store_list_free(ls.e, ls.n);
                    return -1;
                }
            }
        }
    }
    if (ls.n) qsort(ls.e, ls.n, sizeof *ls.e, cmp_entry);
    *out = ls.e;
    *n = ls.n;
    if (temp_files) *temp_files = ls.temp_files;
    return 0;
}

void store_list_free(segment_entry *e, size_t n)
{
    for (size_t i = 0; i < n; i++) free(e[i].path);
    free(e);
}

/* ---- inventory ---- */

int store_inventory(store *s, store_info *info, store_segment_fn fn, void *arg,
                    c2_err *err)
{
    segment_entry *e;
    size_t n;
    memset(info, 0, sizeof *info);
    info->first_ms = C2_TIME_MAX;
    info->last_ms = C2_TIME_MIN;
    if (store_list(s, C2_TIME_MIN, C2_TIME_MAX, &e, &n, NULL, err) != 0) return -1;
    for (size_t i = 0; i < n; i++) {
        segment_reader r;
        c2_err ignored;
        if (segment_reader_open(e[i].path, &r, &ignored) != 0) {
            if (errno != ENOENT) info->unreadable++;
            continue;
        }
        info->segments++;
        info->records += r.records;
        info->bytes += r.file_size;
        if (r.records && r.zone.min[FLOW_START].t < info->first_ms)
            info->first_ms = r.zone.min[FLOW_START].t;
        if (r.records && r.zone.max[FLOW_END].t > info->last_ms)
            info->last_ms = r.zone.max[FLOW_END].t;
        if (fn) fn(e[i].path, &r.zone, r.file_size, arg);
        segment_reader_close(&r);
    }
    store_list_free(e, n);
    return 0;
}

/* ---- retention ---- */

static void remove_empty_dirs(const char *path, const char *root)
{
    char p[PATH_MAX];
    snprintf(p, sizeof p, "%s", path);
    for (int level = 0; level < 3; level++) {
        char *slash = strrchr(p, '/');
        if (!slash) return;
        *slash = '\0';
        if (!strcmp(p, root) || rmdir(p) != 0) return;
    }
}

int store_apply_retention(store *s, uint64_t *removed, c2_err *err)
{
    *removed = 0;
    if (s->opt.retention_ms <= 0) return 0;
    int64_t now = s->opt.now_ms ? s->opt.now_ms : c2_now_ms();
    int64_t cutoff = now - s->opt.retention_ms;
    segment_entry *e;
    size_t n;
    if (store_list(s, C2_TIME_MIN, cutoff, &e, &n, NULL, err) != 0) return -1;
    int rc = 0;
    for (size_t i = 0; i < n; i++) {
        if (e[i].slice_start_ms + e[i].slice_len_ms > cutoff) continue;
        if (unlink(e[i].path) != 0 && errno != ENOENT) {
            rc = c2_fail_errno(err, "cannot remove %s", e[i].path);
            break;
        }
        (*removed)++;
        remove_empty_dirs(e[i].path, s->root);
    }
    store_list_free(e, n);
    return rc;
}

/* ---- verification ---- */

static int zones_equal(const store_zone *a, const store_zone *b)
{
    for (int f = 0; f < FLOW_FIELD_COUNT; f++) {
        flow_type t = flow_field_type((flow_field)f);
        if (flow_value_cmp(t, &a->min[f], &b->min[f]) ||
            flow_value_cmp(t, &a->max[f], &b->max[f]))
            return 0;
    }
    return 1;
}

static void check_segment(const char *path, codec_ctx *c, flow_batch *b,
                          store_check_report *rep, store_problem_fn fn, void *arg)
{
    segment_reader r;
    c2_err err;
    rep->segments++;
    if (segment_reader_open(path, &r, &err) != 0) {
        rep->segments_bad++;
        if (fn) fn(path, -1, err.msg, arg);
        return;
    }
    int bad = 0;
    for (uint32_t i = 0; i < r.nblocks; i++) {
        uint64_t bytes = 0;
        rep->blocks++;
        if (r.blocks[i].records > b->capacity) {
            flow_batch_free(b);
            if (flow_batch_init(b, r.blocks[i].records, FLOW_ALL_FIELDS) != 0) {
                if (fn) fn(path, i, "out of memory", arg);
                bad = 1;
                rep->blocks_bad++;
                continue;
            }
        }
        if (segment_reader_block(&r, c, i, FLOW_ALL_FIELDS, b, &bytes, &err) != 0) {
            rep->blocks_bad++;
            bad = 1;
            if (fn) fn(path, i, err.msg, arg);
            continue;
        }
        store_zone z = {.records = b->count};
        for (int f = 0; f < FLOW_FIELD_COUNT; f++)
            codec_zone(b, (flow_field)f, b->count, &z.min[f], &z.max[f]);
        if (!zones_equal(&z, &r.blocks[i].zone)) {
            rep->blocks_bad++;
            bad = 1;
            if (fn) fn(path, i, "footer min/max do not match the block's records", arg);
            continue;
        }
        rep->records += b->count;
    }
    rep->segments_bad += bad;
    segment_reader_close(&r);
}

int store_check(store *s, store_check_report *rep, store_problem_fn fn,
                void *arg, c2_err *err)
{
    segment_entry *e;
    size_t n;
    memset(rep, 0, sizeof *rep);
    if (store_list(s, C2_TIME_MIN, C2_TIME_MAX, &e, &n, &rep->temp_files, err) != 0)
        return -1;
    codec_ctx *c = codec_new(s->opt.zstd_level);
    flow_batch b;
    if (!c || flow_batch_init(&b, s->opt.block_records, FLOW_ALL_FIELDS) != 0) {
        codec_free(c);
        store_list_free(e, n);
        return c2_fail(err, "out of memory");
    }
    for (size_t i = 0; i < n; i++) check_segment(e[i].path, c, &b, rep, fn, arg);
    flow_batch_free(&b);
    codec_free(c);
    store_list_free(e, n);
    return 0;
}
