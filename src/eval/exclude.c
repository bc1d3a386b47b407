/*
 * exclude.c: files of servers already known, into the intel set that
 * eval_options.exclude takes.
 *
 * The known servers of a time-split evaluation come either from threat
 * feeds (Feodo Tracker, ThreatFox, plain lists: what src/intel/ reads) or
 * from a C2 list (the training labels a detector was given, or an earlier
 * run's output).  The kind is decided once, from the first non-blank line,
 * and the file then goes to that reader alone: a C2 list opens with a JSON
 * object or a CSV header naming ip, port and proto, which no feed does (a
 * Feodo header says dst_ip, a plain list starts with an address or '#').
 * Deciding first, rather than trying one reader and falling back to the
 * other, keeps each reader's own error message for a broken file.
 *
 * The set has no way to add entries but loading text, so a C2 list's rows
 * are written as a plain list ("ip,port", port 0 = any port) and loaded
 * under the file's name.  Plain entries match any protocol: the list's
 * protocols are not kept, which costs nothing for real C2 servers.
 *
 * A regular file is looked at and then read again by path, in bounded
 * memory; stdin and pipes cannot be read twice and are read whole first
 * (at most EVAL_EXCLUDE_PIPE_MAX bytes).
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "eval/eval.h"

/* ---- a C2 list into the set ---- */

static int add_c2list(intel_set *set, const c2list *l, const char *name, intel_stats *st,
                      c2_err *err)
{
    if (c2list_count(l) == 0) return c2_fail(err, "%s: a C2 list without rows", name);
    char *text = NULL, ip[FLOW_ADDR_STRLEN];
    size_t len = 0;
    FILE *m = open_memstream(&text, &len);
    if (!m) return c2_fail(err, "out of memory");
    for (size_t i = 0; i < c2list_count(l); i++) {
        const c2_entry *e = c2list_get(l, i);
        fprintf(m, "%s,%u\n", flow_addr_format(&e->ip, ip, sizeof ip), (unsigned)e->port);
    }
    int bad = ferror(m);
    bad |= fclose(m);
    int rc = bad ? c2_fail(err, "out of memory")
                 : intel_load_mem(set, text, len, name, INTEL_PLAIN, st, err);
    free(text);
    return rc;
}

static int load_c2list_mem(intel_set *set, const void *buf, size_t len, const char *name,
                           intel_stats *st, c2_err *err)
{
    c2list *l;
    if (c2list_read_mem(buf, len, 0, &l, err) != 0) {
        c2_err_prefix(err, "%s", name);
        return -1;
    }
    int rc = add_c2list(set, l, name, st, err);
    c2list_free(l);
    return rc;
}

/* ---- entry ---- */

int eval_exclude_load_mem(intel_set *set, const void *buf, size_t len, const char *name,
                          intel_stats *st, c2_err *err)
{
    if (st) memset(st, 0, sizeof *st);
    int kind = c2list_sniff(NULL, buf, len, err);
    if (kind < 0) {
        c2_err_prefix(err, "%s", name);
        return -1;
    }
    if (kind) return load_c2list_mem(set, buf, len, name, st, err);
    return intel_load_mem(set, buf, len, name, INTEL_AUTO, st, err);
}

/* stdin or a pipe: read whole, then as memory. */
static int load_stream(intel_set *set, FILE *f, const char *name, intel_stats *st,
                       c2_err *err)
{
    uint8_t *buf;
    size_t len;
    if (c2_stream_read(f, EVAL_EXCLUDE_PIPE_MAX, &buf, &len, err) != 0) {
        c2_err_prefix(err, "%s", name);
        return -1;
    }
    int rc = eval_exclude_load_mem(set, buf, len, name, st, err);
    free(buf);
    return rc;
}

int eval_exclude_load_file(intel_set *set, const char *path, intel_stats *st, c2_err *err)
{
    if (st) memset(st, 0, sizeof *st);
    if (!strcmp(path, "-")) return load_stream(set, stdin, "stdin", st, err);
    FILE *f = fopen(path, "rb");
    if (!f) return c2_fail_errno(err, "%s", path);
    struct stat sb;
    if (fstat(fileno(f), &sb) != 0 || !S_ISREG(sb.st_mode)) {
        int rc = load_stream(set, f, path, st, err);
        fclose(f);
        return rc;
    }
    int kind = c2list_sniff(f, NULL, 0, err);
    fclose(f);
    if (kind < 0) {
        c2_err_prefix(err, "%s", path);
        return -1;
    }
    if (kind == 0) return intel_load_file(set, path, INTEL_AUTO, st, err);
    c2list *l;
    if (c2list_read_file(path, 0, &l, err) != 0) return -1;
    int rc = add_c2list(set, l, path, st, err);
    c2list_free(l);
    return rc;
}
