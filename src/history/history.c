/*
 * history.c: kept lists, one file per run (history.h).
 *
 * The file name carries everything the history needs to order runs, so
 * listing the directory reads no list; a name is parsed strictly and a file
 * of any other name is ignored (an operator's notes, editor backups).
 */
#include "history/history.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int method_ok(const char *m)
{
    size_t n = strlen(m);
    if (n == 0 || n >= C2LIST_METHOD_MAX) return 0;
    return strspn(m, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.+-") == n;
}

/* c2-YYYY-MM-DDTHHMMSSZ-METHOD.csv */
static int run_name(int64_t at, const char *method, char *buf, size_t len)
{
    int y, mo, d;
    int64_t day = at / C2_MS_PER_DAY, s = at % C2_MS_PER_DAY / 1000;
    c2_civil_from_days(day, &y, &mo, &d);
    return snprintf(buf, len, "c2-%04d-%02d-%02dT%02d%02d%02dZ-%s.csv", y, mo, d,
                    (int)(s / 3600), (int)(s / 60 % 60), (int)(s % 60), method) < (int)len
               ? 0 : -1;
}

static int parse_name(const char *name, history_run *r)
{
    int y, mo, d, h, mi, s, used = 0;
    if (sscanf(name, "c2-%4d-%2d-%2dT%2d%2d%2dZ-%n", &y, &mo, &d, &h, &mi, &s, &used) != 6 ||
        used != 22)
        return -1;
    const char *m = name + used, *dot = strrchr(m, '.');
    if (!dot || strcmp(dot, ".csv") != 0 || (size_t)(dot - m) >= sizeof r->method) return -1;
    memcpy(r->method, m, (size_t)(dot - m));
    r->method[dot - m] = '\0';
    if (!method_ok(r->method) || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 ||
        s > 59 || y < 1970)
        return -1;
    r->at = c2_days_from_civil(y, mo, d) * C2_MS_PER_DAY + ((int64_t)h * 3600 + mi * 60 + s) * 1000;
    char again[HISTORY_NAME_MAX];
    if (run_name(r->at, r->method, again, sizeof again) != 0 || strcmp(again, name) != 0)
        return -1;                      /* 2026-02-31 and other non-dates */
    memcpy(r->name, again, sizeof r->name);       /* the same text, known to fit */
    return 0;
}

static int write_csv(FILE *f, void *list, c2_err *err)
{
    return c2list_write(list, f, C2LIST_CSV, err);
}

int history_save(const char *dir, const c2list *l, int64_t at, const char *method, c2_err *err)
{
    char name[HISTORY_NAME_MAX], path[4096];
    if (!method_ok(method)) return c2_fail(err, "bad method name '%.20s'", method);
    if (at < 0 || run_name(at - at % 1000, method, name, sizeof name) != 0)
        return c2_fail(err, "bad run time");
    if (snprintf(path, sizeof path, "%s/%s", dir, name) >= (int)sizeof path)
        return c2_fail(err, "%s: path too long", dir);
    if (c2_mkdir_p(dir, C2_SHARED, err) != 0) return -1;
    return c2_file_write_by(path, C2_SHARED, write_csv, (void *)l, err);
}

static int run_order(const void *pa, const void *pb)
{
    const history_run *a = pa, *b = pb;
    if (a->at != b->at) return a->at < b->at ? -1 : 1;
    return strcmp(a->method, b->method);
}

int history_runs(const char *dir, history_run **out, size_t *n, c2_err *err)
{
    *out = NULL;
    *n = 0;
    DIR *dh = opendir(dir);
    if (!dh) return errno == ENOENT ? 0 : c2_fail_errno(err, "cannot open %s", dir);
    size_t cap = 0;
    struct dirent *de;
    int rc = 0;
    while (rc == 0 && (de = readdir(dh)) != NULL) {
        history_run r;
        if (parse_name(de->d_name, &r) != 0) continue;
        if (*n == cap) {
            cap = cap ? cap * 2 : 64;
            history_run *p = realloc(*out, cap * sizeof *p);
            if (!p) {
                rc = c2_fail(err, "out of memory");
                break;
            }
            *out = p;
        }
        (*out)[(*n)++] = r;
    }
    closedir(dh);
    if (rc == 0 && *n) qsort(*out, *n, sizeof **out, run_order);
    return rc;
}

long history_at(const history_run *runs, size_t n, int64_t at, const char *method)
{
    for (size_t i = n; i-- > 0;)
        if (runs[i].at <= at && (!method || !strcmp(runs[i].method, method))) return (long)i;
    return -1;
}

int history_load(const char *dir, const history_run *run, c2list **out, c2_err *err)
{
    char path[4096];
    if (snprintf(path, sizeof path, "%s/%s", dir, run->name) >= (int)sizeof path)
        return c2_fail(err, "%s: path too long", dir);
    return c2list_read_file(path, 0, out, err);
}
