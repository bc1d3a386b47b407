/*
 * helpers.c: the parts of the hub client that need no network, kept apart
 * so that unit tests reach every branch: telling a body's format, ids,
 * tokens, URLs, the hub's answers, and laying pulled rows over a local
 * list.
 *
 * The hub's answers are untrusted text that ends up on a terminal: a
 * message is cut to one line of printable ASCII before it is shown, and
 * values that go back into a request (a time stamp) are checked against a
 * character set that needs no escaping.
 */
#include <ctype.h>
#include <jansson.h>
#include <string.h>

#include "dynlib/curl.h"

#include "hubclient/hubclient.h"

#define SHOWN_MAX 300                   /* bytes of a hub message shown */

/* ---- formats ---- */

static const char *const format_names[] = {"csv", "jsonl", "stix21"};
static const char *const content_types[] = {
    "text/csv", "application/x-ndjson", "application/stix+json;version=2.1",
};

const char *hubclient_content_type(hubclient_format f)
{
    return f >= HUBCLIENT_CSV && f <= HUBCLIENT_STIX21 ? content_types[f] : NULL;
}

int hubclient_format_lookup(const char *name)
{
    for (int i = 0; i < 3; i++)
        if (!strcmp(name, format_names[i])) return i;
    return -1;
}

/* 1 if v is a JSON object whose "type" is "bundle". */
static int is_bundle(json_t *v)
{
    json_t *t = json_is_object(v) ? json_object_get(v, "type") : NULL;
    return json_is_string(t) && !strcmp(json_string_value(t), "bundle");
}

/* A text opening with '{': its first line is a whole object in JSON Lines
 * (a bundle written on one line too); a first line that is not a whole
 * value can only be a document over many lines, parsed whole. */
static hubclient_format sniff_json(const char *s, size_t len)
{
    const char *nl = memchr(s, '\n', len);
    size_t line = nl ? (size_t)(nl - s) : len;
    json_error_t je;
    json_t *v = json_loadb(s, line, JSON_DECODE_ANY, &je);
    if (v) {
        hubclient_format f = is_bundle(v) ? HUBCLIENT_STIX21
                           : json_is_object(v) ? HUBCLIENT_JSONL : HUBCLIENT_UNKNOWN;
        json_decref(v);
        return f;
    }
    v = json_loadb(s, len, JSON_DISABLE_EOF_CHECK, &je);
    hubclient_format f = is_bundle(v) ? HUBCLIENT_STIX21 : HUBCLIENT_UNKNOWN;
    json_decref(v);
    return f;
}

hubclient_format hubclient_sniff(const void *buf, size_t len)
{
    const char *s = buf;
    if (len >= 3 && !memcmp(s, "\xEF\xBB\xBF", 3)) { s += 3; len -= 3; }
    while (len && isspace((unsigned char)*s)) { s++; len--; }
    if (!len) return HUBCLIENT_UNKNOWN;
    if (*s == '{') return sniff_json(s, len);
    return c2list_sniff(NULL, s, len, NULL) == 1 ? HUBCLIENT_CSV : HUBCLIENT_UNKNOWN;
}

/* ---- ids, tokens, times ---- */

/* 1 if s has 1 to max bytes, all in set or alphanumeric. */
static int charset_ok(const char *s, size_t max, const char *set)
{
    size_t n = strlen(s);
    if (n == 0 || n > max) return 0;
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)s[i]) && !strchr(set, s[i])) return 0;
    return 1;
}

int hubclient_id_valid(const char *s)
{
    return charset_ok(s, HUBCLIENT_ID_MAX, "._-");
}

int hubclient_time_valid(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n >= HUBCLIENT_TIME_MAX) return 0;
    for (size_t i = 0; i < n; i++)
        if (!isdigit((unsigned char)s[i]) && !strchr("-:.TZ", s[i])) return 0;
    return 1;
}

int hubclient_token_valid(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > HUBCLIENT_TOKEN_MAX) return 0;
    for (size_t i = 0; i < n; i++)
        if (s[i] <= ' ' || s[i] > '~') return 0;
    return 1;
}

int hubclient_token_parse(const void *buf, size_t len, char *out, c2_err *err)
{
    const char *s = buf, *end;
    while (len && (*s == ' ' || *s == '\t')) { s++; len--; }
    end = memchr(s, '\n', len);
    size_t n = end ? (size_t)(end - s) : len;
    while (n && isspace((unsigned char)s[n - 1])) n--;
    if (n == 0) return c2_fail(err, "no token on the first line");
    if (n > HUBCLIENT_TOKEN_MAX) return c2_fail(err, "token longer than %d bytes",
                                                HUBCLIENT_TOKEN_MAX);
    memcpy(out, s, n);
    out[n] = '\0';
    if (!hubclient_token_valid(out))
        return c2_fail(err, "the token holds a blank or a non-ASCII byte");
    return 0;
}

/* ---- URLs ---- */

/* 0 if part of u is absent (CURLUE_NO_...), else a fail naming it. */
static int url_lacks(CURLU *u, CURLUPart part, const char *what, c2_err *err)
{
    char *v = NULL;
    CURLUcode rc = curl_url_get(u, part, &v, 0);
    curl_free(v);
    return rc == CURLUE_OK ? c2_fail(err, "the hub URL may not hold %s", what) : 0;
}

static int url_check(CURLU *u, const char *base, c2_err *err)
{
    char *scheme = NULL;
    if (curl_url_set(u, CURLUPART_URL, base, 0) != CURLUE_OK)
        return c2_fail(err, "'%.200s' is not a URL", base);
    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0);
    int web = scheme && (!strcmp(scheme, "http") || !strcmp(scheme, "https"));
    curl_free(scheme);
    if (!web) return c2_fail(err, "the hub URL must start with http:// or https://");
    if (url_lacks(u, CURLUPART_USER, "a user name", err) ||
        url_lacks(u, CURLUPART_PASSWORD, "a password", err) ||
        url_lacks(u, CURLUPART_QUERY, "a query", err) ||
        url_lacks(u, CURLUPART_FRAGMENT, "a fragment", err))
        return -1;
    return 0;
}

/* base's path without its trailing '/', then path. */
static int url_set_path(CURLU *u, const char *path, c2_err *err)
{
    char *p = NULL, joined[HUBCLIENT_URL_MAX];
    if (curl_url_get(u, CURLUPART_PATH, &p, 0) != CURLUE_OK) return c2_fail(err, "bad URL path");
    size_t n = strlen(p);
    while (n && p[n - 1] == '/') n--;
    int w = snprintf(joined, sizeof joined, "%.*s%s", (int)n, p, path);
    curl_free(p);
    if (w < 0 || (size_t)w >= sizeof joined) return c2_fail(err, "the hub URL is too long");
    return curl_url_set(u, CURLUPART_PATH, joined, 0) == CURLUE_OK ? 0
         : c2_fail(err, "bad URL path");
}

int hubclient_url(const char *base, const char *path, const char *query,
                  char out[HUBCLIENT_URL_MAX], c2_err *err)
{
    if (dynlib_need(DYNLIB_CURL, err) != 0) return -1;
    CURLU *u = curl_url();
    char *full = NULL;
    int rc = -1;
    if (!u) return c2_fail(err, "out of memory");
    if (url_check(u, base, err) != 0 || url_set_path(u, path, err) != 0) goto out;
    if (query && curl_url_set(u, CURLUPART_QUERY, query, 0) != CURLUE_OK) {
        c2_fail(err, "bad URL query");
        goto out;
    }
    if (curl_url_get(u, CURLUPART_URL, &full, 0) != CURLUE_OK) {
        c2_fail(err, "bad URL");
        goto out;
    }
    if (strlen(full) >= HUBCLIENT_URL_MAX) {
        c2_fail(err, "the hub URL is too long");
        goto out;
    }
    strcpy(out, full);
    rc = 0;
out:
    curl_free(full);
    curl_url_cleanup(u);
    return rc;
}

/* ---- the hub's answers ---- */

/* At most SHOWN_MAX bytes of s as one line of printable ASCII. */
static void clean_line(const char *s, size_t len, char *out, size_t cap)
{
    size_t n = 0;
    for (; n < len && n < SHOWN_MAX && n + 4 < cap; n++)
        out[n] = s[n] >= ' ' && s[n] <= '~' ? s[n] : '?';
    if (n < len) { memcpy(out + n, "...", 3); n += 3; }
    out[n] = '\0';
}

int hubclient_answer_error(long status, const void *body, size_t len, c2_err *err)
{
    char shown[SHOWN_MAX + 8];
    json_error_t je;
    json_t *v = json_loadb(body, len, 0, &je);
    json_t *e = json_is_object(v) ? json_object_get(v, "error") : NULL;
    if (json_is_string(e))
        clean_line(json_string_value(e), json_string_length(e), shown, sizeof shown);
    else if (len)
        clean_line(body, len, shown, sizeof shown);
    else
        strcpy(shown, "(no message)");
    json_decref(v);
    return c2_fail(err, "hub answered %ld: %s", status, shown);
}

int hubclient_receipt_parse(const void *body, size_t len, const char *sent_id,
                            hubclient_receipt *out, c2_err *err)
{
    json_error_t je;
    json_t *v = json_loadb(body, len, 0, &je);
    json_t *st = json_is_object(v) ? json_object_get(v, "status") : NULL;
    json_t *id = json_is_object(v) ? json_object_get(v, "submission") : NULL;
    json_t *rows = json_is_object(v) ? json_object_get(v, "rows") : NULL;
    memset(out, 0, sizeof *out);
    const char *s = json_is_string(st) ? json_string_value(st) : "";
    int ok = !strcmp(s, "stored") || !strcmp(s, "duplicate");
    if (ok) {
        out->duplicate = !strcmp(s, "duplicate");
        const char *i = !id ? sent_id : json_is_string(id) ? json_string_value(id) : "";
        ok = hubclient_id_valid(i) && (!rows || (json_is_integer(rows) &&
                                                 json_integer_value(rows) >= 0));
        if (ok) {
            strcpy(out->id, i);
            out->rows = rows ? (uint64_t)json_integer_value(rows) : 0;
        }
    }
    json_decref(v);
    return ok ? 0 : c2_fail(err, "the hub's answer is not a submission receipt");
}

/* ---- merging ---- */

static int same_row(const c2_entry *a, const c2_entry *b)
{
    return !flow_addr_cmp(&a->ip, &b->ip) && a->port == b->port && a->proto == b->proto &&
           a->first_seen == b->first_seen && a->last_seen == b->last_seen &&
           a->score == b->score && a->group == b->group &&
           a->infected_clients == b->infected_clients && a->clients == b->clients &&
           a->days_seen == b->days_seen && !strcmp(a->method, b->method) &&
           !strcmp(a->category, b->category);
}

int hubclient_merge(const c2list *local, const c2list *pulled, c2list **out,
                    size_t *changed, c2_err *err)
{
    c2list *m = c2list_new();
    *out = NULL;
    *changed = 0;
    if (!m) return c2_fail(err, "out of memory");
    for (size_t i = 0; i < c2list_count(pulled); i++) {
        const c2_entry *e = c2list_get(pulled, i);
        const c2_entry *old = local ? c2list_find(local, &e->ip, e->port, e->proto) : NULL;
        *changed += !old || !same_row(old, e);
        if (c2list_add(m, e, err) != 0) goto fail;
    }
    for (size_t i = 0; local && i < c2list_count(local); i++) {
        const c2_entry *e = c2list_get(local, i);
        if (!c2list_find(pulled, &e->ip, e->port, e->proto) && c2list_add(m, e, err) != 0)
            goto fail;
    }
    c2list_sort(m);
    *out = m;
    return 0;
fail:
    c2list_free(m);
    return -1;
}

/* ---- the fetch state ---- */

int hubclient_state_format(const char *hub, const char *last, char *out, size_t cap,
                           c2_err *err)
{
    if (!hubclient_time_valid(last)) return c2_fail(err, "bad time stamp");
    int n = snprintf(out, cap, "# c2flow fetch: what was pulled from the hub last\n"
                               "hub = %s\nlast = %s\n", hub, last);
    return n >= 0 && (size_t)n < cap ? 0 : c2_fail(err, "state too long");
}

/* "KEY = VALUE" split in place: 1 with *key and *value, 0 for a comment
 * or blank line, -1 otherwise. */
static int state_line(char *line, char **key, char **value)
{
    while (isspace((unsigned char)*line)) line++;
    if (!*line || *line == '#') return 0;
    char *eq = strchr(line, '=');
    if (!eq) return -1;
    char *k_end = eq;
    while (k_end > line && isspace((unsigned char)k_end[-1])) k_end--;
    *k_end = '\0';
    char *v = eq + 1;
    while (isspace((unsigned char)*v)) v++;
    size_t n = strlen(v);
    while (n && isspace((unsigned char)v[n - 1])) v[--n] = '\0';
    *key = line;
    *value = v;
    return 1;
}

int hubclient_state_parse(const void *buf, size_t len, const char *hub,
                          char last[HUBCLIENT_TIME_MAX], c2_err *err)
{
    c2_lines *r = c2_lines_new(NULL, buf, len, HUBCLIENT_URL_MAX + 16);
    int rc, same_hub = 0;
    char *key, *value;
    last[0] = '\0';
    if (!r) return c2_fail(err, "out of memory");
    while ((rc = c2_lines_next(r, err)) == 1) {
        int kv = r->too_long || memchr(r->line, 0, r->len) ? -1 : state_line(r->line, &key, &value);
        if (kv == 0) continue;
        if (kv == 1 && !strcmp(key, "hub")) same_hub = !strcmp(value, hub);
        else if (kv == 1 && !strcmp(key, "last") && hubclient_time_valid(value))
            strcpy(last, value);
        else {
            rc = c2_fail(err, "line %llu: not 'hub = URL' or 'last = TIME'",
                         (unsigned long long)r->lineno);
            break;
        }
    }
    c2_lines_free(r);
    if (rc < 0 || !same_hub) last[0] = '\0';
    return rc < 0 ? -1 : 0;
}
