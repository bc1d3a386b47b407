/*
 * http.c: the hub's HTTP server: libmicrohttpd with GnuTLS, a pool of
 * threads, bodies bounded by max_body, token authentication, and one log
 * line per request.
 *
 * A body is collected whole before the route sees it (submissions are
 * validated all or nothing anyway) and never beyond max_body: a request
 * announcing more gets 413 at once; one that sends more than it announced
 * is cut off and gets 413 too.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "hub/hub_impl.h"

typedef struct req_state {
    c2_buf body;                        /* at most max_body */
} req_state;

void hub_log(const char *fmt, ...)
{
    char t[40], line[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    fprintf(stderr, "%s c2flow hub: %s\n", c2_time_format(c2_now_ms(), t, sizeof t), line);
}

int hub_time_parse_us(const char *s, int64_t *us)
{
    char whole[64];
    const char *dot = strchr(s, '.');
    int64_t frac = 0, scale = 1000000;
    if (!dot) return c2list_time_parse(s, us) < 0 ? -1 : (*us *= 1000, 0);
    if ((size_t)(dot - s) >= sizeof whole - 2) return -1;
    const char *p = dot + 1;
    for (; *p >= '0' && *p <= '9'; p++)
        if (scale > 1) { scale /= 10; frac += (*p - '0') * scale; }
    if (p == dot + 1) return -1;
    snprintf(whole, sizeof whole, "%.*s%s", (int)(dot - s), s, p);
    if (c2list_time_parse(whole, us) < 0) return -1;
    *us = *us * 1000 + frac;
    return 0;
}

const char *hub_arg(const hub_req *r, const char *name)
{
    return MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, name);
}

const char *hub_header(const hub_req *r, const char *name)
{
    return MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, name);
}

static enum MHD_Result reply_va(hub_req *r, unsigned status, const char *type,
                                const char *body, size_t len, va_list ap)
{
    struct MHD_Response *resp =
        MHD_create_response_from_buffer(len, (void *)body, MHD_RESPMEM_MUST_COPY);
    if (!resp) return MHD_NO;
    if (type) MHD_add_response_header(resp, "Content-Type", type);
    const char *name;
    while ((name = va_arg(ap, const char *)) != NULL) {
        const char *value = va_arg(ap, const char *);
        if (value) MHD_add_response_header(resp, name, value);
    }
    r->status = status;
    enum MHD_Result rc = MHD_queue_response(r->conn, status, resp);
    MHD_destroy_response(resp);
    return rc;
}

enum MHD_Result hub_reply(hub_req *r, unsigned status, const char *type,
                          const char *body, size_t len, ...)
{
    va_list ap;
    va_start(ap, len);
    enum MHD_Result rc = reply_va(r, status, type, body, len, ap);
    va_end(ap);
    return rc;
}

enum MHD_Result hub_json(hub_req *r, unsigned status, const char *type, json_t *v, ...)
{
    char *text = json_dumps(v, JSON_COMPACT);
    json_decref(v);
    if (!text) return hub_error(r, 500, 0, "out of memory");
    va_list ap;
    va_start(ap, v);
    enum MHD_Result rc = reply_va(r, status, type ? type : "application/json", text,
                                  strlen(text), ap);
    va_end(ap);
    free(text);
    return rc;
}

static const char *status_title(unsigned status)
{
    switch (status) {
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 406: return "Not Acceptable";
    case 409: return "Conflict";
    case 413: return "Payload Too Large";
    case 415: return "Unsupported Media Type";
    default:  return status >= 500 ? "Internal Server Error" : "Error";
    }
}

enum MHD_Result hub_error(hub_req *r, unsigned status, int taxii, const char *fmt, ...)
{
    char msg[C2_ERR_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (status >= 500) atomic_fetch_add(&r->h->n.server_errors, 1);
    else atomic_fetch_add(&r->h->n.client_errors, 1);
    json_t *v = taxii ? json_pack("{ss ss si}", "title", status_title(status),
                                  "description", msg, "http_status", (int)status)
                      : json_pack("{ss}", "error", msg);
    const char *auth = status == 401 ? "Bearer realm=\"c2flow hub\", Basic realm=\"c2flow hub\""
                                     : NULL;
    return hub_json(r, status, taxii ? HUB_TAXII_TYPE : "application/json", v,
                    "WWW-Authenticate", auth, (const char *)NULL);
}

void hub_audit(hub_req *r, const char *action, const char *object, const char *fmt, ...)
{
    char detail[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(detail, sizeof detail, fmt, ap);
    va_end(ap);
    c2_err err;
    const char *actor = r->member.name[0] ? r->member.name : "-";
    if (hubdb_audit(r->h->db, actor, action, object, detail, &err) < 0)
        hub_log("audit: %s", err.msg);
}

/* The audit keeps where a submission failed ("row 3 (line 4)"), never the
 * reason's text: it may quote what was refused, a customer address even. */
void hub_audit_refused(hub_req *r, const char *action, const char *object, unsigned status,
                       const char *msg)
{
    const char *colon = strstr(msg, ": ");
    int where = colon && (strncmp(msg, "row ", 4) == 0 || strncmp(msg, "object ", 7) == 0 ||
                          strncmp(msg, "header", 6) == 0 || strncmp(msg, "body", 4) == 0)
                ? (int)(colon - msg) : 0;
    if (where > 64) where = 64;
    hub_audit(r, action, object, "%u %.*s", status, where, msg);
}

/* ---- authentication ---- */

/* 1 with r->member set, 0 unknown, -1 database error (err). */
static int authenticate(hub_req *r, c2_err *err)
{
    const char *a = hub_header(r, "Authorization");
    if (!a) return 0;
    if (strncasecmp(a, "Bearer ", 7) == 0) {
        const char *t = a + 7;
        while (*t == ' ') t++;
        return hubdb_member_auth(r->h->db, t, NULL, &r->member, err);
    }
    char *pass = NULL;
    char *user = MHD_basic_auth_get_username_password(r->conn, &pass);
    int rc = 0;
    if (user && pass) rc = hubdb_member_auth(r->h->db, pass, user, &r->member, err);
    free(user);
    free(pass);
    return rc;
}

/* ---- /metrics ---- */

static int from_loopback(struct MHD_Connection *c)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    if (!ci || !ci->client_addr) return 0;
    const struct sockaddr *sa = ci->client_addr;
    if (sa->sa_family == AF_INET)
        return (ntohl(((const struct sockaddr_in *)sa)->sin_addr.s_addr) >> 24) == 127;
    if (sa->sa_family == AF_INET6) {
        const struct in6_addr *a = &((const struct sockaddr_in6 *)sa)->sin6_addr;
        return IN6_IS_ADDR_LOOPBACK(a) ||
               (IN6_IS_ADDR_V4MAPPED(a) && a->s6_addr[12] == 127);
    }
    return 0;
}

static enum MHD_Result metrics(hub_req *r)
{
    if (!from_loopback(r->conn)) return hub_error(r, 403, 0, "/metrics is served to loopback only");
    hub_counters *n = &r->h->n;
    char text[2048];
    snprintf(text, sizeof text,
        "# TYPE c2flow_hub_requests_total counter\nc2flow_hub_requests_total %llu\n"
        "# TYPE c2flow_hub_unauthorized_total counter\nc2flow_hub_unauthorized_total %llu\n"
        "# TYPE c2flow_hub_client_errors_total counter\nc2flow_hub_client_errors_total %llu\n"
        "# TYPE c2flow_hub_server_errors_total counter\nc2flow_hub_server_errors_total %llu\n"
        "# TYPE c2flow_hub_submissions_total counter\nc2flow_hub_submissions_total %llu\n"
        "# TYPE c2flow_hub_submissions_rejected_total counter\n"
        "c2flow_hub_submissions_rejected_total %llu\n"
        "# TYPE c2flow_hub_submissions_duplicate_total counter\n"
        "c2flow_hub_submissions_duplicate_total %llu\n"
        "# TYPE c2flow_hub_rows_stored_total counter\nc2flow_hub_rows_stored_total %llu\n"
        "# TYPE c2flow_hub_objects_served_total counter\nc2flow_hub_objects_served_total %llu\n"
        "# TYPE c2flow_hub_lists_served_total counter\nc2flow_hub_lists_served_total %llu\n",
        (unsigned long long)n->requests, (unsigned long long)n->unauthorized,
        (unsigned long long)n->client_errors, (unsigned long long)n->server_errors,
        (unsigned long long)n->submissions, (unsigned long long)n->submissions_rejected,
        (unsigned long long)n->submissions_duplicate, (unsigned long long)n->rows_stored,
        (unsigned long long)n->objects_served, (unsigned long long)n->lists_served);
    return hub_reply(r, 200, "text/plain; version=0.0.4", text, strlen(text),
                     (const char *)NULL);
}

/* ---- a request's life ---- */

static enum MHD_Result dispatch(hub_req *r)
{
    atomic_fetch_add(&r->h->n.requests, 1);
    if (strcmp(r->url, "/metrics") == 0) return metrics(r);
    int taxii = strncmp(r->url, "/taxii2/", 8) == 0 || strcmp(r->url, "/taxii2") == 0;
    int api = strncmp(r->url, "/api/v1/", 8) == 0;
    if (!taxii && !api) return hub_error(r, 404, 0, "no such resource: %s", r->url);
    c2_err err;
    int auth = authenticate(r, &err);
    if (auth < 0) return hub_error(r, 500, taxii, "%s", err.msg);
    if (auth == 0) {
        atomic_fetch_add(&r->h->n.unauthorized, 1);
        hub_audit(r, "unauthorized", r->url, "%s", r->method);
        return hub_error(r, 401, taxii, "a valid member token is needed");
    }
    return taxii ? hub_taxii(r) : hub_api(r);
}

static void log_request(const hub_req *r)
{
    hub_log("%s %s %u member=%s", r->method, r->url, r->status,
            r->member.name[0] ? r->member.name : "-");
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version,
                                  const char *data, size_t *size, void **state)
{
    (void)version;
    hub *h = cls;
    req_state *s = *state;
    hub_req r = {.h = h, .conn = conn, .method = method, .url = url, .body = ""};
    if (!s) {
        if (!(s = calloc(1, sizeof *s))) return MHD_NO;
        s->body.max = h->cfg.max_body;
        *state = s;
        const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
                                                     "Content-Length");
        if (cl && strtoull(cl, NULL, 10) > h->cfg.max_body) s->body.too_big = 1;
        return MHD_YES;
    }
    if (*size) {
        /* past max_body the rest is read and dropped: the answer is 413 */
        if (c2_buf_append(&s->body, data, *size) < 0) {
            if (!s->body.too_big) return MHD_NO;        /* out of memory */
            c2_buf_free(&s->body);
            s->body.too_big = 1;
        }
        *size = 0;
        return MHD_YES;
    }
    enum MHD_Result rc;
    if (s->body.too_big) {
        atomic_fetch_add(&h->n.requests, 1);
        hub_audit(&r, "too-large", url, "%s", method);
        rc = hub_error(&r, 413, strncmp(url, "/taxii2/", 8) == 0,
                       "the body is larger than %llu bytes",
                       (unsigned long long)h->cfg.max_body);
    } else {
        r.body = s->body.data ? (const char *)s->body.data : "";
        r.len = s->body.len;
        rc = dispatch(&r);
    }
    log_request(&r);
    return rc;
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **state,
                         enum MHD_RequestTerminationCode code)
{
    (void)cls; (void)conn; (void)code;
    req_state *s = *state;
    if (s) { c2_buf_free(&s->body); free(s); }
    *state = NULL;
}

/* ---- starting and stopping ---- */

static int read_pem(const char *path, char **out, c2_err *err)
{
    uint8_t *buf;
    size_t len;
    if (c2_file_read(path, 1 << 20, &buf, &len, err) < 0) return -1;
    char *s = realloc(buf, len + 1);
    if (!s) { free(buf); return c2_fail(err, "out of memory"); }
    s[len] = '\0';
    *out = s;
    return 0;
}

static void remember_bound(hub *h)
{
    const union MHD_DaemonInfo *di = MHD_get_daemon_info(h->daemon, MHD_DAEMON_INFO_LISTEN_FD);
    struct sockaddr_storage ss;
    socklen_t sl = sizeof ss;
    if (di && getsockname(di->listen_fd, (struct sockaddr *)&ss, &sl) == 0)
        c2_endpoint_format(&ss, h->bound, sizeof h->bound);
    else
        snprintf(h->bound, sizeof h->bound, "%s", h->cfg.listen);
}

int hub_start(hub *h, c2_err *err)
{
    struct sockaddr_storage sa;
    unsigned salen;
    if (dynlib_need(DYNLIB_MHD, err) != 0) return -1;
    if (c2_endpoint_parse(h->cfg.listen, 1, &sa, &salen, err) < 0) {
        c2_err_prefix(err, "[hub] listen");
        return -1;
    }
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG | MHD_USE_AUTO;
    if (sa.ss_family == AF_INET6) flags |= MHD_USE_IPv6;
    if (!h->cfg.plain_http) {
        if (read_pem(h->cfg.tls_cert, &h->tls_cert, err) < 0 ||
            read_pem(h->cfg.tls_key, &h->tls_key, err) < 0)
            return -1;
        flags |= MHD_USE_TLS;
    }
    h->daemon = MHD_start_daemon(flags, 0, NULL, NULL, on_request, h,
        MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
        MHD_OPTION_THREAD_POOL_SIZE, (unsigned int)h->cfg.threads,
        MHD_OPTION_NOTIFY_COMPLETED, on_completed, h,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)120,
        MHD_OPTION_CONNECTION_LIMIT, (unsigned int)1000,
        h->cfg.plain_http ? MHD_OPTION_END : MHD_OPTION_HTTPS_MEM_CERT, h->tls_cert,
        MHD_OPTION_HTTPS_MEM_KEY, h->tls_key,
        MHD_OPTION_END);
    if (!h->daemon) return c2_fail(err, "cannot serve on %s (address in use, or a bad "
                                   "certificate or key)", h->cfg.listen);
    remember_bound(h);
    return 0;
}

void hub_stop(hub *h)
{
    if (h && h->daemon) {
        MHD_stop_daemon(h->daemon);
        h->daemon = NULL;
    }
}
