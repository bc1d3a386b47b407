/*
 * lines.c: bounded line reading for the readers of untrusted text files
 * (C2 lists, threat feeds).  See util.h.
 */
#include "util/util.h"

#include <stdlib.h>
#include <string.h>

c2_lines *c2_lines_new(FILE *f, const void *mem, size_t mem_len, size_t max_line)
{
    c2_lines *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    r->line = malloc(max_line + 1);
    if (!r->line) {
        free(r);
        return NULL;
    }
    r->f = f;
    r->mem = mem;
    r->mem_len = f ? 0 : mem_len;
    r->max_line = max_line;
    return r;
}

void c2_lines_free(c2_lines *r)
{
    if (!r)
        return;
    free(r->line);
    free(r);
}

/* The next chunk of input: 1, 0 at the end, -1 on a read error. */
static int refill(c2_lines *r, c2_err *err)
{
    r->cpos = 0;
    if (!r->f) {
        r->chunk = r->mem;
        r->clen = r->mem_len;
        r->mem_len = 0;
        return r->clen ? 1 : 0;
    }
    r->chunk = r->buf;
    r->clen = fread(r->buf, 1, sizeof r->buf, r->f);
    if (r->clen == 0 && ferror(r->f))
        return c2_fail_errno(err, "read");
    return r->clen ? 1 : 0;
}

int c2_lines_next(c2_lines *r, c2_err *err)
{
    if (r->eof)
        return 0;
    int any = 0;
    r->len = 0;
    r->too_long = 0;
    for (;;) {
        if (r->cpos == r->clen) {
            int rc = refill(r, err);
            if (rc < 0) return -1;
            if (rc == 0) { r->eof = 1; break; }
        }
        any = 1;
        const uint8_t *p = r->chunk + r->cpos, *nl = memchr(p, '\n', r->clen - r->cpos);
        size_t n = nl ? (size_t)(nl - p) : r->clen - r->cpos;
        size_t room = r->max_line - r->len, take = n < room ? n : room;
        memcpy(r->line + r->len, p, take);
        r->len += take;
        if (take < n) r->too_long = 1;
        r->cpos += n + (nl != NULL);
        if (nl) break;
    }
    if (!any)
        return 0;
    r->lineno++;
    if (r->len && r->line[r->len - 1] == '\r') r->len--;
    r->line[r->len] = '\0';
    if (r->lineno == 1 && r->len >= 3 && !memcmp(r->line, "\xef\xbb\xbf", 3)) {
        memmove(r->line, r->line + 3, r->len - 2);
        r->len -= 3;
    }
    return 1;
}

int c2_csv_split(char *line, char **f, int max, c2_err *err)
{
    int n = 0;
    char *p = line;
    for (;;) {
        if (n == max) return c2_fail(err, "more than %d fields", max);
        while (*p == ' ' || *p == '\t') p++;
        char *out = p;
        f[n++] = out;
        if (*p == '"') {
            for (p++;; p++) {
                if (!*p) return c2_fail(err, "unterminated quoted field");
                if (*p == '"' && p[1] != '"') break;
                if (*p == '"') p++;
                *out++ = *p;
            }
            p++;
            while (*p == ' ' || *p == '\t') p++;
            if (*p && *p != ',') return c2_fail(err, "text after a closing quote");
        } else {
            while (*p && *p != ',') p++;
            out = p;
            while (out > f[n - 1] && (out[-1] == ' ' || out[-1] == '\t')) out--;
        }
        char sep = *p;
        *out = '\0';
        if (sep != ',') return n;
        p++;
    }
}
