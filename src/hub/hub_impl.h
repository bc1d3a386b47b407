/*
 * hub_impl.h: what the files of src/hub/ share.
 *
 * http.c owns the daemon and a request's life (body, auth, reply); api.c
 * and taxii.c answer routes through the hub_req they are handed.
 */
#ifndef C2FLOW_HUB_IMPL_H
#define C2FLOW_HUB_IMPL_H

#include <pthread.h>
#include <stdatomic.h>

#include "dynlib/mhd.h"

#include "hub/hub.h"

typedef struct hub_counters {
    atomic_ullong requests, unauthorized, forbidden, client_errors, server_errors;
    atomic_ullong submissions, submissions_rejected, submissions_duplicate;
    atomic_ullong rows_stored, objects_served, lists_served;
} hub_counters;

struct hub {
    hub_config         cfg;
    hubdb             *db;
    evaluator         *ev;
    struct MHD_Daemon *daemon;
    char               bound[C2_ENDPOINT_STRLEN];
    char               notice[512];
    char              *tls_cert, *tls_key; /* PEM texts, kept while serving */
    pthread_mutex_t    status_lock;     /* TAXII status resources, newest kept */
    json_t            *statuses[256];
    size_t             nstatus;
    hub_counters       n;
};

/* One request, as the route handlers see it. */
typedef struct hub_req {
    hub                   *h;
    struct MHD_Connection *conn;
    const char            *method, *url;
    const char            *body;        /* NUL-terminated copy, may be "" */
    size_t                 len;
    hubdb_member           member;      /* the authenticated member */
    unsigned               status;      /* of the reply, for the log */
} hub_req;

/* A query argument or header, NULL if absent. */
const char *hub_arg(const hub_req *r, const char *name);
const char *hub_header(const hub_req *r, const char *name);
/* Reply with a body (copied), a content type and extra headers (name,
 * value, ..., NULL). */
enum MHD_Result hub_reply(hub_req *r, unsigned status, const char *type,
                          const char *body, size_t len, ...);
/* Reply {"error": msg} (or TAXII's error message when taxii). */
enum MHD_Result hub_error(hub_req *r, unsigned status, int taxii, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Reply with a JSON value (stolen). */
enum MHD_Result hub_json(hub_req *r, unsigned status, const char *type, json_t *v, ...);
/* Audit a request; failures are logged, never fatal to the request. */
void hub_audit(hub_req *r, const char *action, const char *object, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Audit a refused submission: where it failed, never the refused values. */
void hub_audit_refused(hub_req *r, const char *action, const char *object, unsigned status,
                       const char *msg);
/* An ISO 8601 UTC time with up to microseconds ("...T01:02:03.123456Z"),
 * as TAXII writes them; 0 or -1. */
int hub_time_parse_us(const char *s, int64_t *us);
/* One line on stderr. */
void hub_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

enum MHD_Result hub_api(hub_req *r);     /* /api/v1/... */
enum MHD_Result hub_taxii(hub_req *r);   /* /taxii2/... */

#define HUB_TAXII_TYPE "application/taxii+json;version=2.1"

#endif
