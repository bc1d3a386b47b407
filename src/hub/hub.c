/*
 * hub.c: opening the hub (database and evaluation data) and rendering an
 * indicator as the STIX objects its collections serve.
 *
 * Rendering goes through the STIX exporter (src/export/) with a list of one
 * row, so that the hub's objects are exactly those `c2flow export` writes
 * (ids, patterns, TLP markings), with what only the hub knows added: an
 * indicator withdrawn (allowlisted or rejected by an analyst) is revoked.
 */
#include <stdlib.h>
#include <string.h>

#include "hub/hub_impl.h"

static int evaluator_open(hub *h, c2_err *err)
{
    const hub_config *c = &h->cfg;
    const char *asn[2] = {c->asn_csv[0], c->asn_csv[1]};
    const char *allow[HUB_FILES_MAX], *intel[HUB_FILES_MAX];
    for (size_t i = 0; i < c->nallowlists; i++) allow[i] = c->allowlists[i];
    for (size_t i = 0; i < c->nintel; i++) intel[i] = c->intel[i];
    evaluate_config ec = {
        .geo_mmdb = c->geo_mmdb, .asn_csv = asn, .nasn_csv = 2,
        .allowlists = allow, .nallowlists = c->nallowlists,
        .intel = intel, .nintel = c->nintel,
    };
    if (evaluate_open(&ec, &h->ev, err) < 0) return -1;
    snprintf(h->notice, sizeof h->notice, "%s", evaluate_notice(h->ev));
    return 0;
}

int hub_open(const hub_config *cfg, hub **out, c2_err *err)
{
    *out = NULL;
    hub *h = calloc(1, sizeof *h);
    if (!h) return c2_fail(err, "out of memory");
    h->cfg = *cfg;
    pthread_mutex_init(&h->status_lock, NULL);
    if (hubdb_open(cfg->database, &h->db, err) < 0 || evaluator_open(h, err) < 0) {
        hub_close(h);
        return -1;
    }
    *out = h;
    return 0;
}

void hub_close(hub *h)
{
    if (!h) return;
    hub_stop(h);
    hubdb_close(h->db);
    evaluate_close(h->ev);
    free(h->tls_cert);
    free(h->tls_key);
    for (size_t i = 0; i < h->nstatus && i < 256; i++) json_decref(h->statuses[i]);
    pthread_mutex_destroy(&h->status_lock);
    free(h);
}

hubdb *hub_db(hub *h) { return h->db; }
const char *hub_notice(const hub *h) { return h->notice; }
const char *hub_bound(const hub *h) { return h->bound; }

char *hub_summary(const hub *h, char *buf, size_t len)
{
    evaluate_summary(h->ev, buf, len);
    return buf;
}

json_t *hub_render(void *arg, const hubdb_indicator *ind, const hubdb_collection *c,
                   c2_err *err)
{
    hub *h = arg;
    c2list *l = c2list_new();
    if (!l) { c2_fail(err, "out of memory"); return NULL; }
    export_options opt = {.identity = h->cfg.identity, .tlp = c->tlp, .valid_days = 30};
    json_t *objs = c2list_add(l, &ind->entry, err) == 0 ? export_stix_objects(l, &opt, err)
                                                       : NULL;
    c2list_free(l);
    size_t i;
    json_t *o;
    json_array_foreach(objs, i, o) {
        const char *type = json_string_value(json_object_get(o, "type"));
        if (ind->withdrawn && type && strcmp(type, "indicator") == 0)
            json_object_set_new(o, "revoked", json_true());
    }
    return objs;
}
