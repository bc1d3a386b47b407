/*
 * hubclient: a member's side of the hub's HTTP API v1 (docs/share.md,
 * docs/fetch.md): submitting a C2 list and pulling the evaluated list back,
 * over libcurl.
 *
 * Everything the hub sends is untrusted: bodies are bounded, headers kept
 * only when they have the expected shape, error messages cleaned to one
 * printable line.  The token goes to the hub's URL and nowhere else: no
 * redirect is followed and only http and https are spoken.  The module
 * owns no files; the command fronts read and write them.
 */
#ifndef C2FLOW_HUBCLIENT_H
#define C2FLOW_HUBCLIENT_H

#include <stddef.h>
#include <stdint.h>

#include "c2list/c2list.h"
#include "util/util.h"

#define HUBCLIENT_ID_MAX 64                 /* submission id, bytes */
#define HUBCLIENT_TOKEN_MAX 512             /* API token, bytes */
#define HUBCLIENT_TIME_MAX 48               /* a hub time stamp, NUL included */
#define HUBCLIENT_URL_MAX 2048              /* a request URL, NUL included */
#define HUBCLIENT_CONNECT_TIMEOUT_MS 10000  /* connecting, at most */
#define HUBCLIENT_MAX_RESPONSE (1ull << 30) /* default bound of a response body */

/* What a submitted body is, as the hub's Content-Type says it. */
typedef enum hubclient_format {
    HUBCLIENT_UNKNOWN = -1,
    HUBCLIENT_CSV,                          /* text/csv */
    HUBCLIENT_JSONL,                        /* application/x-ndjson */
    HUBCLIENT_STIX21                        /* application/stix+json;version=2.1 */
} hubclient_format;

/* The hub and how to reach it; strings borrowed for the call. */
typedef struct hubclient {
    const char *url;                        /* base URL, http:// or https:// */
    const char *token;                      /* API token (Bearer) */
    const char *cacert;                     /* PEM CA file; NULL = system's */
    int64_t     timeout_ms;                 /* whole request; 0 = 5 min */
    uint64_t    max_response;               /* body bytes; 0 = HUBCLIENT_MAX_RESPONSE */
} hubclient;

/* One submission; body borrowed for the call. */
typedef struct hubclient_submission {
    const void     *body;                   /* the list as it is in its file */
    size_t          len;
    hubclient_format format;                /* chooses the Content-Type */
    const char     *id;                     /* NULL: SHA-256 of the body, hex */
    const char     *as_of;                  /* X-C2flow-As-Of; NULL none */
    const char     *tlp;                    /* X-C2flow-TLP; NULL none */
} hubclient_submission;

typedef struct hubclient_receipt {
    char     id[HUBCLIENT_ID_MAX + 1];      /* the submission's id */
    uint64_t rows;                          /* rows stored (0 for a duplicate) */
    int      duplicate;                     /* the hub had it already */
} hubclient_receipt;

typedef struct hubclient_pull {
    c2list *list;                           /* the rows received; caller frees */
    char    last[HUBCLIENT_TIME_MAX];       /* X-C2flow-Date-Added-Last; "" none */
} hubclient_pull;

/* ---- requests (libcurl) ----
 * Both return 0, or -1 with err: a transport failure ("cannot connect
 * ...") or the hub's answer ("hub answered 400: row 3: ..."). */
int  hubclient_submit(const hubclient *h, const hubclient_submission *s,
                      hubclient_receipt *out, c2_err *err);
/* GET /api/v1/lists?format=jsonl[&added_after=AFTER] (AFTER NULL or "":
 * everything) into out->list (max_rows 0 = C2LIST_MAX_ROWS). */
int  hubclient_fetch(const hubclient *h, const char *after, size_t max_rows,
                     hubclient_pull *out, c2_err *err);

/* ---- pure helpers (no network) ---- */
/* "text/csv", ... for a format; NULL for HUBCLIENT_UNKNOWN. */
const char *hubclient_content_type(hubclient_format f);
/* "csv", "jsonl", "stix21" -> the format; -1 for another name. */
int  hubclient_format_lookup(const char *name);
/* What buf holds, from its first non-blank text: a STIX bundle (an object
 * whose "type" is "bundle"), a C2 list's JSON Lines or CSV (c2list_sniff),
 * or HUBCLIENT_UNKNOWN. */
hubclient_format hubclient_sniff(const void *buf, size_t len);
/* 1 if s is a valid submission id ([A-Za-z0-9._-]{1,64}), else 0. */
int  hubclient_id_valid(const char *s);
/* 1 if s can be sent as a token (1-512 printable ASCII, no blank), else 0. */
int  hubclient_token_valid(const char *s);
/* The token in a token file's text: its first line, blanks trimmed, into
 * out (HUBCLIENT_TOKEN_MAX + 1 bytes); -1 with err when there is none or
 * it is not valid. */
int  hubclient_token_parse(const void *buf, size_t len, char *out, c2_err *err);
/* The request URL: base (http[s]://host[:port][/prefix]) + path (starting
 * with '/') + an already-encoded query (NULL none).  -1 with err when the
 * base is not a plain http(s) URL (user info, a query or a fragment are
 * refused) or the result is longer than HUBCLIENT_URL_MAX - 1. */
int  hubclient_url(const char *base, const char *path, const char *query,
                   char out[HUBCLIENT_URL_MAX], c2_err *err);
/* 1 if s looks like a hub time stamp: 1 to HUBCLIENT_TIME_MAX - 1 bytes of
 * digits, '-', ':', '.', 'T' and 'Z', nothing a URL must escape. */
int  hubclient_time_valid(const char *s);
/* The message of an error answer: "hub answered STATUS: " and the body's
 * {"error": "..."} text cleaned to one printable line (or the body's first
 * bytes when it is not such JSON). */
int  hubclient_answer_error(long status, const void *body, size_t len, c2_err *err);
/* Read a submission answer's JSON ({"submission", "rows", "status"}); the
 * id falls back to sent_id.  -1 with err when it is not one. */
int  hubclient_receipt_parse(const void *body, size_t len, const char *sent_id,
                             hubclient_receipt *out, c2_err *err);
/* The local list with the pulled rows laid over it: a pulled row replaces
 * the local row of its key (the hub sent it because its version is
 * newer), other local rows stay.  *out is a new list, ordered by
 * c2list_sort (caller frees); *changed counts pulled rows that were new or
 * differed from the local row. */
int  hubclient_merge(const c2list *local, const c2list *pulled, c2list **out,
                     size_t *changed, c2_err *err);
/* The fetch state file: "hub = URL" and "last = TIME" lines ('#' comments
 * allowed).  format: the text for hub and last into out (cap bytes); parse:
 * the last time of a state written for hub into last, "" when the file is
 * for another hub or has none; -1 with err when it is not a state file. */
int  hubclient_state_format(const char *hub, const char *last, char *out, size_t cap,
                            c2_err *err);
int  hubclient_state_parse(const void *buf, size_t len, const char *hub,
                           char last[HUBCLIENT_TIME_MAX], c2_err *err);

#endif
