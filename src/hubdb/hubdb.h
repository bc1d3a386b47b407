/*
 * hubdb: the hub's state, one SQLite database in WAL mode (docs/hub.md).
 *
 * It owns the schema and every statement: members and their hashed API
 * tokens, trust groups, submissions and the rows they reported, the
 * indicators (one per server key) with their automatic evaluation and the
 * analysts' decisions, the TAXII collections and every version of every
 * object published in them, and an append-only audit log (triggers refuse
 * UPDATE and DELETE on it).  It decides nothing about HTTP or STIX: the
 * objects it stores are JSON texts rendered by its caller.
 *
 * A report of a server by a member reaches the members that share a trust
 * group with the submitter: the server is published in the collection
 * (group, TLP) of each of the submitter's groups, aggregated over the reports
 * of that collection only, so a group never learns what another group saw.
 *
 * All calls are safe from many threads: one connection, one mutex.  Times
 * are microseconds since the epoch, UTC (TAXII's date_added has that
 * precision); times of list rows stay milliseconds as in src/c2list/.
 */
#ifndef C2FLOW_HUBDB_H
#define C2FLOW_HUBDB_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "c2list/c2list.h"
#include "evaluate/evaluate.h"
#include "export/export.h"
#include "util/util.h"

#define HUBDB_NAME_MAX 64               /* member or group name, NUL included */
#define HUBDB_GROUPS_MAX 16             /* groups of one member */
#define HUBDB_TOKEN_LEN 48              /* "c2h_" + 43 base64url + NUL */
#define HUBDB_TEXT_MAX 512              /* purposes, notes */
#define HUBDB_SID_MAX 65                /* submission id, NUL included */

typedef struct hubdb hubdb;

typedef struct hubdb_member {
    int64_t id;
    char    name[HUBDB_NAME_MAX];
    size_t  ngroups;
    char    groups[HUBDB_GROUPS_MAX][HUBDB_NAME_MAX];
    char    purposes[HUBDB_TEXT_MAX];   /* agreed purposes of use, free text */
    int     can_write;                  /* may submit */
    int64_t created_us;
    int64_t revoked_us;                 /* 0 = active */
} hubdb_member;

typedef struct hubdb_collection {
    char       id[40];                  /* UUID (TAXII collection id) */
    char       group[HUBDB_NAME_MAX];
    export_tlp tlp;
} hubdb_collection;

/* One submission, before it is stored. */
typedef struct hubdb_submission {
    const char *sid;                    /* [A-Za-z0-9._-]{1,64} */
    const char *body_sha256;            /* lowercase hex of the body */
    const char *format;                 /* "csv", "jsonl", "stix21" */
    int64_t     received_us;
    int64_t     as_of_us;               /* when the member made the list */
    export_tlp  tlp;
} hubdb_submission;

typedef enum hubdb_submit_status {
    HUBDB_STORED, HUBDB_DUPLICATE, HUBDB_CONFLICT
} hubdb_submit_status;

/* An indicator as a collection (or a member's view) holds it: the server
 * key, the aggregate of the reports visible there, and its evaluation. */
typedef struct hubdb_indicator {
    int64_t    id;
    c2_entry   entry;                   /* key, first/last seen, max score and
                                           counts, method "hub", category */
    uint32_t   reports;                 /* reports aggregated */
    uint32_t   members;                 /* distinct members among them */
    evaluation eval;
    char       decision[16];            /* "", "confirmed", "rejected" */
    char       decision_note[HUBDB_TEXT_MAX];
    char       decision_by[HUBDB_NAME_MAX];
    int        withdrawn;               /* excluded or rejected: not served */
} hubdb_indicator;

/* Renders the STIX objects of one aggregated indicator in a collection as
 * a new JSON array (caller of the callback frees it).  Objects need "id";
 * hubdb sets "modified" and stores a version only when an object differs
 * from its latest version. */
typedef json_t *(*hubdb_render_fn)(void *arg, const hubdb_indicator *ind,
                                   const hubdb_collection *c, c2_err *err);

/* One stored object version, as TAXII serves it. */
typedef struct hubdb_object {
    int64_t seq;                        /* position in the collection's log */
    int64_t added_us;                   /* date_added */
    char    stix_id[96];
    char    version[40];                /* its "modified" */
    char   *json;                       /* the object (owned by the array) */
} hubdb_object;

typedef struct hubdb_object_query {
    const char *collection;             /* collection id */
    int64_t     added_after_us;         /* 0 = all */
    int64_t     after_seq;              /* paging cursor, 0 = start */
    size_t      limit;                  /* objects per page, >= 1 */
    const char *id;                     /* match[id], NULL = any; comma list */
    const char *type;                   /* match[type], NULL = any; comma list */
    const char *versions;               /* match[version]: comma list of last,
                                           first, all or versions; NULL = last */
} hubdb_object_query;

typedef struct hubdb_objects {
    hubdb_object *v;
    size_t        n;
    int           more;                 /* more objects after the last */
} hubdb_objects;

/* One row per report, for src/hubreport/. */
typedef struct hubdb_report_row {
    int64_t   member;                   /* member id */
    flow_addr ip;
    uint16_t  port;
    uint8_t   proto;
    int64_t   as_of_us;
    int64_t   intel_first_ms;
    uint8_t   confirmed, excluded;
    char      country[3];
} hubdb_report_row;

/* ---- the database ---- */
/* Open or create (schema, WAL).  Caller closes. */
int  hubdb_open(const char *path, hubdb **out, c2_err *err);
void hubdb_close(hubdb *db);
int64_t hubdb_now_us(void);
/* "2026-12-06T10:11:12.123456Z" (buf >= 40). */
char *hubdb_time_us(int64_t us, char *buf, size_t len);

/* ---- members ---- */
/* Add a member with its groups; token gets the new API token, shown once
 * (only its SHA-256 is stored). */
int hubdb_member_add(hubdb *db, const char *name, const char *const *groups,
                     size_t ngroups, const char *purposes, int can_write,
                     char token[HUBDB_TOKEN_LEN], c2_err *err);
int hubdb_member_revoke(hubdb *db, const char *name, c2_err *err);
/* Every member, revoked too, by name.  Caller frees *out. */
int hubdb_member_list(hubdb *db, hubdb_member **out, size_t *n, c2_err *err);
/* The active member of a token (name NULL: any; else must match too).
 * 1 found, 0 unknown or revoked, -1 error. */
int hubdb_member_auth(hubdb *db, const char *token, const char *name,
                      hubdb_member *out, c2_err *err);
int hubdb_member_in_group(const hubdb_member *m, const char *group);

/* ---- submissions ---- */
/* Store a validated list in one transaction: the submission, one report per
 * row, the indicators (new ones evaluated by evals[i], parallel to the
 * rows; known ones re-evaluated), and the new object versions of every
 * collection it touches.  A repeat of (member, sid) with the same body is
 * HUBDB_DUPLICATE, with another body HUBDB_CONFLICT; neither stores. */
int hubdb_submit(hubdb *db, const hubdb_member *m, const hubdb_submission *s,
                 const c2list *l, const evaluation *evals,
                 hubdb_render_fn render, void *arg,
                 hubdb_submit_status *status, c2_err *err);

/* ---- collections and objects (TAXII) ---- */
/* The collections a member may read (its groups'), by group then TLP.
 * Caller frees. */
int hubdb_collections(hubdb *db, const hubdb_member *m, hubdb_collection **out,
                      size_t *n, c2_err *err);
/* One collection by id: 1 found, 0 not. */
int hubdb_collection_get(hubdb *db, const char *id, hubdb_collection *out,
                         c2_err *err);
int hubdb_objects_get(hubdb *db, const hubdb_object_query *q, hubdb_objects *out,
                      c2_err *err);
void hubdb_objects_free(hubdb_objects *o);

/* ---- the member's list (GET /api/v1/lists) ---- */
/* Entries visible to m (reports of members sharing a group with it), not
 * withdrawn, whose objects changed after added_after_us (0 = all); tlp -1 =
 * every level.  *first_us / *last_us: date_added range of those changes;
 * *tlp_max: the strictest TLP of the reports behind the entries (export_tlp),
 * which the whole list must then be handled as.  Caller frees *out. */
int hubdb_member_list_entries(hubdb *db, const hubdb_member *m, int64_t added_after_us,
                              int tlp, c2list **out, int64_t *first_us,
                              int64_t *last_us, int *tlp_max, c2_err *err);

/* ---- analysts ---- */
/* Indicators, newest report first: all, or only those without decision
 * and not excluded (pending).  Caller frees. */
int hubdb_indicators(hubdb *db, int pending_only, hubdb_indicator **out, size_t *n,
                     c2_err *err);
/* Record "confirmed" or "rejected" for a key, and republish it everywhere
 * (a rejected indicator is published revoked). */
int hubdb_decide(hubdb *db, const flow_addr *ip, uint16_t port, uint8_t proto,
                 const char *decision, const char *note, const char *analyst,
                 hubdb_render_fn render, void *arg, c2_err *err);

/* ---- figures ---- */
int hubdb_report_rows(hubdb *db, hubdb_report_row **out, size_t *n, c2_err *err);

/* ---- audit ---- */
/* Append one event: who (member name, "analyst:NAME", "admin"), what
 * ("submit", "taxii.objects", ...), on what, and a detail line. */
int hubdb_audit(hubdb *db, const char *actor, const char *action, const char *object,
                const char *detail, c2_err *err);
/* Events after seq, oldest first, written as JSON Lines to f. */
int hubdb_audit_dump(hubdb *db, int64_t after_seq, FILE *f, c2_err *err);

#endif
