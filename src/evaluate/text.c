/*
 * text.c: the small helpers the AS table, the allowlists and the evaluator
 * share: making third-party names safe to show, counting bad rows, reading
 * a data file whole.
 *
 * Names come from files anyone can edit (AS registries, warninglists,
 * comments in allowlists) and end up in JSON bodies and terminals, so they
 * are cleaned once when loaded: jansson refuses invalid UTF-8, and a
 * control character in a reason would break a log line.
 */
#include <string.h>

#include "evaluate/evaluate_impl.h"

/* Length of the valid UTF-8 character at s[0..n), or 0 when invalid
 * (overlong forms, surrogates and values past U+10FFFF included). */
static size_t utf8_char(const unsigned char *s, size_t n)
{
    if (s[0] < 0x80) return 1;
    size_t len;
    uint32_t min, c;
    if ((s[0] & 0xe0) == 0xc0) { len = 2; min = 0x80; c = s[0] & 0x1f; }
    else if ((s[0] & 0xf0) == 0xe0) { len = 3; min = 0x800; c = s[0] & 0x0f; }
    else if ((s[0] & 0xf8) == 0xf0) { len = 4; min = 0x10000; c = s[0] & 0x07; }
    else return 0;
    if (len > n) return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80) return 0;
        c = c << 6 | (s[i] & 0x3f);
    }
    if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff)) return 0;
    return len;
}

void evaluate_text_copy(char *dst, size_t cap, const char *src, size_t n)
{
    if (!cap) return;
    const unsigned char *s = (const unsigned char *)src;
    size_t o = 0, i = 0;
    while (i < n && (s[i] == ' ' || s[i] == '\t')) i++;
    while (i < n) {
        size_t len = utf8_char(s + i, n - i);
        if (len == 0) {
            if (o + 1 >= cap) break;
            dst[o++] = '?';
            i++;
            continue;
        }
        if (o + len >= cap) break;
        if (len == 1 && (s[i] < 0x20 || s[i] == 0x7f)) dst[o++] = ' ';
        else memcpy(dst + o, s + i, len), o += len;
        i += len;
    }
    while (o && dst[o - 1] == ' ') o--;
    dst[o] = '\0';
}

void evaluate_stats_bad(evaluate_stats *st, uint64_t line, const char *why)
{
    if (st->bad++ == 0) {
        st->first_bad_line = line;
        evaluate_text_copy(st->first_bad, sizeof st->first_bad, why, strlen(why));
    }
}

const char *evaluate_basename(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

int evaluate_file_read(const char *path, uint8_t **buf, size_t *len, c2_err *err)
{
    int rc = c2_file_read(path, EVALUATE_FILE_MAX, buf, len, err);
    if (rc == 0) return c2_fail(err, "%s: no such file", path);
    return rc < 0 ? -1 : 0;             /* c2_file_read named the path */
}

void evaluate_err_clean(c2_err *err)
{
    if (!err) return;
    char clean[C2_ERR_MAX];
    evaluate_text_copy(clean, sizeof clean, err->msg, strnlen(err->msg, sizeof err->msg));
    memcpy(err->msg, clean, sizeof clean);
}
