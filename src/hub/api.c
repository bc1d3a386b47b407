/*
 * api.c: the hub's own API (docs/hub.md): POST /api/v1/submissions, where
 * members hand in their lists, and GET /api/v1/lists, where they take the
 * evaluated list of their trust groups in any export format.
 *
 * A submission is validated whole by src/submission/ before anything is
 * stored; each row is evaluated (src/evaluate/) and the lot goes to the
 * database in one transaction.  Every call, accepted or refused, is audited.
 */
#include <stdlib.h>
#include <string.h>

#include "hub/hub_impl.h"
#include "submission/submission.h"

#define AS_OF_SLACK_MS (5 * 60 * 1000)   /* clocks of members and hub differ */
#define MIN_TIME_MS 946684800000LL        /* 2000-01-01: older times are not sane */

/* The submission's headers: id, as-of time, TLP.  0, or -1 with err. */
static int submission_headers(hub_req *r, const char *sha, hubdb_submission *s,
                              char sid[HUBDB_SID_MAX], c2_err *err)
{
    const char *id = hub_header(r, "X-C2flow-Submission-Id");
    if (id && submission_id_check(id, err) < 0) return -1;
    snprintf(sid, HUBDB_SID_MAX, "%s", id ? id : sha);
    s->sid = sid;
    s->received_us = hubdb_now_us();
    s->as_of_us = s->received_us;
    const char *asof = hub_header(r, "X-C2flow-As-Of");
    if (asof) {
        int64_t ms;
        if (c2list_time_parse(asof, &ms) < 0)
            return c2_fail(err, "X-C2flow-As-Of: not an ISO 8601 time: %.64s", asof);
        if (ms > s->received_us / 1000 + AS_OF_SLACK_MS)
            return c2_fail(err, "X-C2flow-As-Of: %.64s is in the future", asof);
        if (ms < MIN_TIME_MS) return c2_fail(err, "X-C2flow-As-Of: %.64s is too old", asof);
        s->as_of_us = ms * 1000;
    }
    const char *tlp = hub_header(r, "X-C2flow-TLP");
    int level = tlp ? export_tlp_lookup(tlp) : (int)EXPORT_TLP_AMBER;
    if (level < 0) return c2_fail(err, "X-C2flow-TLP: unknown level %.32s", tlp);
    s->tlp = (export_tlp)level;
    return 0;
}

static enum MHD_Result submit_refused(hub_req *r, unsigned status, const char *sid,
                                      const char *msg)
{
    atomic_fetch_add(&r->h->n.submissions_rejected, 1);
    hub_audit_refused(r, "submit.refused", sid, status, msg);
    return hub_error(r, status, 0, "%s", msg);
}

/* Evaluate every row; caller frees. */
static evaluation *evaluate_rows(hub *h, const c2list *l)
{
    size_t n = c2list_count(l);
    evaluation *ev = calloc(n ? n : 1, sizeof *ev);
    for (size_t i = 0; ev && i < n; i++) {
        const c2_entry *e = c2list_get(l, i);
        evaluate_entry(h->ev, &e->ip, e->port, e->proto, &ev[i]);
    }
    return ev;
}

static enum MHD_Result store(hub_req *r, const hubdb_submission *s, const c2list *l)
{
    c2_err err;
    evaluation *ev = evaluate_rows(r->h, l);
    if (!ev) return hub_error(r, 500, 0, "out of memory");
    hubdb_submit_status st;
    int rc = hubdb_submit(r->h->db, &r->member, s, l, ev, hub_render, r->h, &st, &err);
    free(ev);
    if (rc < 0) {
        hub_log("submission %s of %s: %s", s->sid, r->member.name, err.msg);
        return hub_error(r, 500, 0, "the submission could not be stored");
    }
    size_t n = c2list_count(l);
    if (st == HUBDB_CONFLICT)
        return submit_refused(r, 409, s->sid, "this submission id was used for another body");
    const char *word = st == HUBDB_STORED ? "stored" : "duplicate";
    if (st == HUBDB_STORED) {
        atomic_fetch_add(&r->h->n.submissions, 1);
        atomic_fetch_add(&r->h->n.rows_stored, n);
    } else {
        atomic_fetch_add(&r->h->n.submissions_duplicate, 1);
    }
    char t[40];
    hub_audit(r, st == HUBDB_STORED ? "submit" : "submit.duplicate", s->sid,
              "rows=%zu format=%s tlp=%s as_of=%s", n, s->format, export_tlp_name(s->tlp),
              hubdb_time_us(s->as_of_us, t, sizeof t));
    return hub_json(r, st == HUBDB_STORED ? 201 : 200, NULL,
                    json_pack("{ss sI ss}", "submission", s->sid, "rows", (json_int_t)n,
                              "status", word), (const char *)NULL);
}

static enum MHD_Result submit(hub_req *r)
{
    if (!r->member.can_write)
        return submit_refused(r, 403, "", "this member may not submit");
    const char *type = hub_header(r, "Content-Type");
    int fmt = type ? submission_format_from_type(type) : -1;
    if (fmt < 0)
        return submit_refused(r, 415, "", "Content-Type must be text/csv, "
                              "application/x-ndjson, application/jsonl, "
                              "application/stix+json or application/json");
    char sha[65], sid[HUBDB_SID_MAX];
    c2_sha256_hex(r->body, r->len, sha);
    hubdb_submission s = {.body_sha256 = sha};
    c2_err err;
    if (submission_headers(r, sha, &s, sid, &err) < 0)
        return submit_refused(r, 400, "", err.msg);
    submission_limits lim;
    submission_limits_default(&lim);
    lim.max_bytes = r->h->cfg.max_body;
    lim.max_rows = r->h->cfg.max_rows;
    lim.now_ms = s.received_us / 1000;
    lim.min_time_ms = MIN_TIME_MS;
    c2list *l = NULL;
    if (submission_parse(r->body, r->len, (submission_format)fmt, &lim, &l, &err) < 0)
        return submit_refused(r, 400, sid, err.msg);
    s.format = fmt == SUBMISSION_CSV ? "csv" : fmt == SUBMISSION_JSONL ? "jsonl"
             : fmt == SUBMISSION_STIX21 ? "stix21" : "json";
    enum MHD_Result rc = store(r, &s, l);
    c2list_free(l);
    return rc;
}

/* ---- GET /api/v1/lists ---- */

static const char *list_type(export_format fmt)
{
    switch (fmt) {
    case EXPORT_CSV: case EXPORT_FEODO_CSV: case EXPORT_THREATFOX_CSV:
        return "text/csv; charset=utf-8";
    case EXPORT_JSONL: return "application/x-ndjson";
    case EXPORT_STIX21: return "application/stix+json;version=2.1";
    default: return "text/plain; charset=utf-8";
    }
}

static int list_text(hub_req *r, const c2list *l, export_format fmt, export_tlp tlp,
                     char **text, size_t *len, c2_err *err)
{
    FILE *f = open_memstream(text, len);
    if (!f) return c2_fail_errno(err, "rendering");
    export_options opt = {.identity = r->h->cfg.identity, .tlp = tlp, .valid_days = 30};
    int rc = export_write(l, fmt, &opt, f, err);
    if (fclose(f) != 0 && rc == 0) rc = c2_fail_errno(err, "rendering");
    return rc;
}

static enum MHD_Result lists(hub_req *r)
{
    const char *name = hub_arg(r, "format");
    int fmt = export_format_lookup(name ? name : "jsonl");
    if (fmt < 0 || fmt == EXPORT_MISP_FEED)
        return hub_error(r, 400, 0, "format: one of %s, except misp-feed",
                         export_format_names());
    const char *tlp = hub_arg(r, "tlp");
    int level = tlp ? export_tlp_lookup(tlp) : -1;
    if (tlp && level < 0) return hub_error(r, 400, 0, "tlp: unknown level %.32s", tlp);
    int64_t after_us = 0;
    const char *after = hub_arg(r, "added_after");
    if (after) {
        if (hub_time_parse_us(after, &after_us) < 0)
            return hub_error(r, 400, 0, "added_after: not an ISO 8601 time");
    }
    c2_err err;
    c2list *l;
    int64_t first, last;
    int strictest;
    if (hubdb_member_list_entries(r->h->db, &r->member, after_us, level, &l, &first,
                                  &last, &strictest, &err) < 0)
        return hub_error(r, 500, 0, "%s", err.msg);
    /* a list mixing levels is marked, and must be handled, as its strictest */
    export_tlp marking = (export_tlp)(level >= 0 ? level : strictest);
    char *text = NULL;
    size_t len = 0;
    int rc = list_text(r, l, (export_format)fmt, marking, &text, &len, &err);
    size_t n = c2list_count(l);
    c2list_free(l);
    if (rc < 0) { free(text); return hub_error(r, 500, 0, "%s", err.msg); }
    char tf[40], tl[40];
    atomic_fetch_add(&r->h->n.lists_served, 1);
    hub_audit(r, "lists", export_format_name((export_format)fmt), "rows=%zu added_after=%s",
              n, after ? after : "-");
    enum MHD_Result res = hub_reply(r, 200, list_type((export_format)fmt), text, len,
        "X-C2flow-Date-Added-First", n ? hubdb_time_us(first, tf, sizeof tf) : NULL,
        "X-C2flow-Date-Added-Last", n ? hubdb_time_us(last, tl, sizeof tl) : NULL,
        "X-C2flow-TLP", export_tlp_name(marking),
        "X-C2flow-Terms-Of-Use", r->h->cfg.terms, (const char *)NULL);
    free(text);
    return res;
}

enum MHD_Result hub_api(hub_req *r)
{
    if (strcmp(r->url, "/api/v1/submissions") == 0) {
        if (strcmp(r->method, "POST") != 0)
            return hub_error(r, 405, 0, "POST a list to /api/v1/submissions");
        return submit(r);
    }
    if (strcmp(r->url, "/api/v1/lists") == 0) {
        if (strcmp(r->method, "GET") != 0) return hub_error(r, 405, 0, "GET only");
        return lists(r);
    }
    return hub_error(r, 404, 0, "no such resource: %s", r->url);
}
