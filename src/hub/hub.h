/*
 * hub: the industry body's server (docs/hub.md).  Member ISPs submit C2
 * lists over HTTPS, the hub evaluates every entry (src/evaluate/), keeps
 * everything in its database (src/hubdb/), and serves the evaluated lists
 * back to the members of each trust group: as TAXII 2.1 collections (one per
 * group and TLP level) and as plain lists in every export format
 * (src/export/).
 *
 * This module owns hub.conf, the HTTP server (libmicrohttpd with GnuTLS)
 * and the mapping of requests onto the database; the command front
 * (src/cli/cmd_hub.c) only starts and stops it.
 */
#ifndef C2FLOW_HUB_H
#define C2FLOW_HUB_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

#include "evaluate/evaluate.h"
#include "hubdb/hubdb.h"
#include "util/util.h"

#define HUB_FILES_MAX 16                /* allowlist / intel files */
#define HUB_API_ROOT "/taxii2/api1/"    /* the one TAXII API root */

typedef struct hub_config {
    char     path[PATH_MAX];            /* file loaded */
    char     listen[C2_ENDPOINT_STRLEN]; /* ADDR:PORT; "127.0.0.1:8443" */
    char     tls_cert[PATH_MAX];        /* PEM certificate (chain) */
    char     tls_key[PATH_MAX];         /* PEM private key */
    int      plain_http;                /* 1: no TLS (loopback tests only) */
    char     database[PATH_MAX];        /* SQLite file */
    uint64_t max_body;                  /* request body limit; 64 MiB */
    uint64_t max_rows;                  /* rows per submission; 1,000,000 */
    uint64_t page_max;                  /* TAXII objects per page at most; 1000 */
    unsigned threads;                   /* HTTP worker threads; 4 */
    char     identity[257];             /* STIX identity of the hub */
    char     terms[1024];               /* terms of use served with every list */
    char     geo_mmdb[PATH_MAX];        /* [evaluate] */
    char     asn_csv[2][PATH_MAX];      /* IPv4 and IPv6 AS ranges */
    size_t   nallowlists, nintel;
    char     allowlists[HUB_FILES_MAX][PATH_MAX];
    char     intel[HUB_FILES_MAX][PATH_MAX];
} hub_config;

typedef struct hub hub;

/* Defaults, then the INI file at path (unknown sections or keys are errors). */
void hub_config_default(hub_config *cfg);
int  hub_config_load(const char *path, hub_config *cfg, c2_err *err);

/* Open the database and load the evaluation data.  The notice (may be "")
 * says which optional data is missing.  Caller closes. */
int  hub_open(const hub_config *cfg, hub **out, c2_err *err);
void hub_close(hub *h);
hubdb *hub_db(hub *h);
const char *hub_notice(const hub *h);
/* One line on the evaluation data loaded (evaluate_summary). */
char *hub_summary(const hub *h, char *buf, size_t len);
/* Render the STIX objects of an indicator in a collection: hubdb_render_fn
 * with arg = the hub. */
json_t *hub_render(void *arg, const hubdb_indicator *ind, const hubdb_collection *c,
                   c2_err *err);

/* Start serving (threads of its own); hub_stop waits for them. */
int  hub_start(hub *h, c2_err *err);
void hub_stop(hub *h);
/* The address actually bound (port 0 in the config picks a free one). */
const char *hub_bound(const hub *h);

#endif
