/*
 * hubclient.c: the two requests of a member to the hub, over libcurl's
 * easy interface (one handle per request: a command makes one request).
 *
 * Every request is set up the same way (setup): only http and https, no
 * redirect followed (a Location header is answered as an error, so the
 * token never travels to a host the member did not name), TLS peers and
 * host names verified (libcurl's default, kept), a connect timeout and a
 * total one, and a bounded body collected in memory.  Headers of the
 * final answer only are kept: a "100 Continue" or any other interim
 * status line starts the collection afresh.
 */
#include "hubclient/hubclient.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dynlib/curl.h"

#define DEFAULT_TIMEOUT_MS 300000
#define LAST_HEADER "x-c2flow-date-added-last:"

typedef struct answer {
    c2_buf   body;                      /* bounded by the largest answer taken */
    char     last[HUBCLIENT_TIME_MAX];  /* X-C2flow-Date-Added-Last, checked */
} answer;

static size_t on_body(char *p, size_t size, size_t n, void *arg)
{
    answer *a = arg;
    return c2_buf_append(&a->body, p, size * n) == 0 ? size * n : 0;  /* 0: libcurl stops */
}

static size_t on_header(char *p, size_t size, size_t n, void *arg)
{
    answer *a = arg;
    size_t len = size * n, k = sizeof LAST_HEADER - 1;
    if (len >= 5 && !memcmp(p, "HTTP/", 5)) a->last[0] = '\0';
    if (len > k && !strncasecmp(p, LAST_HEADER, k)) {
        char v[HUBCLIENT_TIME_MAX + 8];
        size_t i = k, m = 0;
        while (i < len && (p[i] == ' ' || p[i] == '\t')) i++;
        while (i < len && p[i] != '\r' && p[i] != '\n' && m + 1 < sizeof v) v[m++] = p[i++];
        v[m] = '\0';
        if (hubclient_time_valid(v)) strcpy(a->last, v);
    }
    return len;
}

static int setup(CURL *c, const hubclient *h, const char *url, answer *a, char *errbuf)
{
    int64_t t = h->timeout_ms > 0 ? h->timeout_ms : DEFAULT_TIMEOUT_MS;
    a->body.max = h->max_response ? h->max_response : HUBCLIENT_MAX_RESPONSE;
    int bad = curl_easy_setopt(c, CURLOPT_URL, url) != CURLE_OK ||
              curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https") != CURLE_OK ||
              curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L) != CURLE_OK ||
              curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L) != CURLE_OK ||
              curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, (long)HUBCLIENT_CONNECT_TIMEOUT_MS) != CURLE_OK ||
              curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)t) != CURLE_OK ||
              curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)a->body.max) != CURLE_OK ||
              curl_easy_setopt(c, CURLOPT_USERAGENT, "c2flow/" C2FLOW_VERSION) != CURLE_OK ||
              curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf) != CURLE_OK ||
              curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body) != CURLE_OK ||
              curl_easy_setopt(c, CURLOPT_WRITEDATA, a) != CURLE_OK ||
              curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header) != CURLE_OK ||
              curl_easy_setopt(c, CURLOPT_HEADERDATA, a) != CURLE_OK;
    if (!bad && h->cacert && *h->cacert)
        bad = curl_easy_setopt(c, CURLOPT_CAINFO, h->cacert) != CURLE_OK;
    return bad ? -1 : 0;
}

/* "Authorization: Bearer TOKEN" and extra (NULL-terminated) onto a list. */
static struct curl_slist *headers(const hubclient *h, const char *const *extra, c2_err *err)
{
    char auth[HUBCLIENT_TOKEN_MAX + 32];
    if (!h->token || !hubclient_token_valid(h->token)) {
        c2_fail(err, "no valid token");
        return NULL;
    }
    snprintf(auth, sizeof auth, "Authorization: Bearer %s", h->token);
    struct curl_slist *l = curl_slist_append(NULL, auth), *n;
    for (size_t i = 0; l && extra && extra[i]; i++) {
        if (!(n = curl_slist_append(l, extra[i]))) {
            curl_slist_free_all(l);
            l = NULL;
        } else {
            l = n;
        }
    }
    if (!l) c2_fail(err, "out of memory");
    return l;
}

/* Run the request set up on c: 0 with *status, or -1 with err. */
static int perform(CURL *c, const char *url, answer *a, const char *errbuf,
                   long *status, c2_err *err)
{
    CURLcode rc = curl_easy_perform(c);
    if (a->body.too_big) return c2_fail(err, "the hub's answer is larger than %llu bytes",
                                        (unsigned long long)a->body.max);
    if (rc != CURLE_OK)
        return c2_fail(err, "%s: %s", url, *errbuf ? errbuf : curl_easy_strerror(rc));
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, status);
    if (*status >= 300 && *status < 400)
        return c2_fail(err, "hub answered %ld (a redirect, not followed): give the "
                       "hub's own URL", *status);
    return 0;
}

/* One request: URL path and query, extra headers, a body to POST (NULL:
 * GET).  0 with *status and *a (body freed by the caller), or -1. */
static int request(const hubclient *h, const char *path, const char *query,
                   const char *const *extra, const void *body, size_t len,
                   answer *a, long *status, c2_err *err)
{
    char url[HUBCLIENT_URL_MAX], errbuf[CURL_ERROR_SIZE] = "";
    memset(a, 0, sizeof *a);
    if (hubclient_url(h->url, path, query, url, err) != 0) return -1;
    struct curl_slist *hl = headers(h, extra, err);
    if (!hl) return -1;
    CURL *c = curl_easy_init();
    int rc = -1;
    if (!c) {
        c2_fail(err, "cannot start libcurl");
    } else if (setup(c, h, url, a, errbuf) != 0 ||
               curl_easy_setopt(c, CURLOPT_HTTPHEADER, hl) != CURLE_OK ||
               (body && (curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len) != CURLE_OK ||
                         curl_easy_setopt(c, CURLOPT_POSTFIELDS, len ? body : "") != CURLE_OK))) {
        c2_fail(err, "libcurl refused an option (built without https?)");
    } else {
        rc = perform(c, url, a, errbuf, status, err);
    }
    curl_easy_cleanup(c);
    curl_slist_free_all(hl);
    if (rc != 0) {
        c2_buf_free(&a->body);
    }
    return rc;
}

/* The submission's headers into extra (NULL-terminated), texts in bufs. */
static int submit_headers(const hubclient_submission *s, const char *id,
                          const char *extra[5], char bufs[4][160], c2_err *err)
{
    const char *ct = hubclient_content_type(s->format);
    size_t n = 0;
    if (!ct) return c2_fail(err, "unknown list format");
    if (s->as_of && !hubclient_time_valid(s->as_of)) return c2_fail(err, "bad as-of time");
    if (s->tlp && (strlen(s->tlp) > 16 || strspn(s->tlp, "abcdefghijklmnopqrstuvwxyz+") != strlen(s->tlp)))
        return c2_fail(err, "bad TLP level");
    snprintf(bufs[0], sizeof bufs[0], "Content-Type: %s", ct);
    snprintf(bufs[1], sizeof bufs[1], "X-C2flow-Submission-Id: %s", id);
    extra[n++] = bufs[0];
    extra[n++] = bufs[1];
    if (s->as_of) {
        snprintf(bufs[2], sizeof bufs[2], "X-C2flow-As-Of: %s", s->as_of);
        extra[n++] = bufs[2];
    }
    if (s->tlp) {
        snprintf(bufs[3], sizeof bufs[3], "X-C2flow-TLP: %s", s->tlp);
        extra[n++] = bufs[3];
    }
    extra[n] = NULL;
    return 0;
}

int hubclient_submit(const hubclient *h, const hubclient_submission *s,
                     hubclient_receipt *out, c2_err *err)
{
    char id[HUBCLIENT_ID_MAX + 1], bufs[4][160];
    const char *extra[5];
    answer a;
    long status = 0;
    memset(out, 0, sizeof *out);
    if (s->id && !hubclient_id_valid(s->id))
        return c2_fail(err, "a submission id is 1 to 64 of A-Z a-z 0-9 . _ -");
    if (s->id) strcpy(id, s->id);
    else c2_sha256_hex(s->body, s->len, id);
    if (submit_headers(s, id, extra, bufs, err) != 0) return -1;
    if (request(h, "/api/v1/submissions", NULL, extra, s->body, s->len, &a, &status, err) != 0)
        return -1;
    int rc = status >= 200 && status < 300
           ? hubclient_receipt_parse(a.body.data, a.body.len, id, out, err)
           : hubclient_answer_error(status, a.body.data, a.body.len, err);
    c2_buf_free(&a.body);
    return rc;
}

int hubclient_fetch(const hubclient *h, const char *after, size_t max_rows,
                    hubclient_pull *out, c2_err *err)
{
    char query[HUBCLIENT_TIME_MAX + 64] = "format=jsonl";
    answer a;
    long status = 0;
    memset(out, 0, sizeof *out);
    if (after && *after) {
        if (!hubclient_time_valid(after)) return c2_fail(err, "bad added_after time");
        snprintf(query, sizeof query, "format=jsonl&added_after=%s", after);
    }
    if (request(h, "/api/v1/lists", query, NULL, NULL, 0, &a, &status, err) != 0) return -1;
    int rc;
    if (status != 200) {
        rc = hubclient_answer_error(status, a.body.data, a.body.len, err);
    } else if ((rc = c2list_read_mem(a.body.data ? (const void *)a.body.data : "", a.body.len, max_rows,
                                     &out->list, err)) != 0) {
        c2_err_prefix(err, "the hub's list");
    } else {
        strcpy(out->last, a.last);
    }
    c2_buf_free(&a.body);
    return rc;
}
