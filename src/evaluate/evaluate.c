/*
 * evaluate.c: the evaluator: opening the configured data, and the lookups
 * of one entry (country from the MMDB, AS from the AS table, reason from
 * the allowlists, listing from the intel set).
 *
 * Optional data (country, AS) that is absent or broken is written into the
 * notice and the evaluator goes on without it, so a hub set up without
 * network access still runs and says what it lacks.  Everything is loaded
 * once and only read afterwards: libmaxminddb lookups on an opened
 * database, binary searches and intel_match are all read-only, which is
 * what makes evaluate_entry safe on many threads.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dynlib/maxminddb.h"

#include "evaluate/evaluate_impl.h"
#include "intel/intel.h"

#define NOTICE_MAX 1024

struct evaluator {
    MMDB_s          mmdb;
    int             have_geo;
    char            geo_name[EVALUATE_SOURCE_MAX];
    evaluate_asn   *asn;                /* never NULL once open */
    size_t          asn_files;          /* AS files loaded */
    evaluate_allow *allow;              /* never NULL once open */
    size_t          allow_files;
    intel_set      *intel;              /* NULL: no intel configured */
    size_t          intel_files;
    char            notice[NOTICE_MAX];
};

static void notice_add(evaluator *ev, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void notice_add(evaluator *ev, const char *fmt, ...)
{
    char item[NOTICE_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(item, sizeof item, fmt, ap);
    va_end(ap);
    size_t n = strlen(ev->notice);
    snprintf(ev->notice + n, sizeof ev->notice - n, "%s%s", n ? "; " : "", item);
}

static int configured(const char *path) { return path && *path; }

/* ---- opening ---- */

static void open_geo(evaluator *ev, const char *path)
{
    if (!configured(path)) {
        notice_add(ev, "no country data: geo_mmdb not set");
        return;
    }
    c2_err lib;
    if (dynlib_need(DYNLIB_MAXMINDDB, &lib) != 0) {
        notice_add(ev, "no country data: %s", lib.msg);
        return;
    }
    int rc = MMDB_open(path, MMDB_MODE_MMAP, &ev->mmdb);
    if (rc != MMDB_SUCCESS) {
        notice_add(ev, "no country data: %s: %s%s%s", path, MMDB_strerror(rc),
                   rc == MMDB_IO_ERROR ? ": " : "", rc == MMDB_IO_ERROR ? strerror(errno) : "");
        return;
    }
    ev->have_geo = 1;
    evaluate_text_copy(ev->geo_name, sizeof ev->geo_name, evaluate_basename(path),
                       strlen(evaluate_basename(path)));
}

static void open_asn(evaluator *ev, const evaluate_config *cfg)
{
    size_t n = 0;
    for (size_t i = 0; i < cfg->nasn_csv; i++) {
        if (!configured(cfg->asn_csv[i])) continue;
        n++;
        evaluate_stats st;
        c2_err err;
        if (evaluate_asn_load_file(ev->asn, cfg->asn_csv[i], &st, &err) != 0) {
            notice_add(ev, "no AS data: %s", err.msg);
            continue;
        }
        ev->asn_files++;
        if (st.bad)
            notice_add(ev, "%s: %llu bad rows skipped (line %llu: %s)", cfg->asn_csv[i],
                       (unsigned long long)st.bad, (unsigned long long)st.first_bad_line,
                       st.first_bad);
    }
    if (n == 0) notice_add(ev, "no AS data: asn_csv not set");
}

static int open_allow(evaluator *ev, const evaluate_config *cfg, c2_err *err)
{
    for (size_t i = 0; i < cfg->nallowlists; i++) {
        if (!configured(cfg->allowlists[i])) continue;
        if (evaluate_allow_load_file(ev->allow, cfg->allowlists[i], NULL, err) != 0)
            return -1;
        ev->allow_files++;
    }
    return 0;
}

static int open_intel(evaluator *ev, const evaluate_config *cfg, c2_err *err)
{
    for (size_t i = 0; i < cfg->nintel; i++) {
        if (!configured(cfg->intel[i])) continue;
        if (!ev->intel && intel_new(&ev->intel, err) != 0) return -1;
        intel_stats st;
        if (intel_load_file(ev->intel, cfg->intel[i], INTEL_AUTO, &st, err) != 0) return -1;
        ev->intel_files++;
        if (st.bad)
            notice_add(ev, "%s: %llu bad rows skipped (line %llu: %s)", cfg->intel[i],
                       (unsigned long long)st.bad, (unsigned long long)st.first_bad_line,
                       st.first_bad);
    }
    if (!ev->intel) notice_add(ev, "no open-intelligence file: nothing can be confirmed");
    return 0;
}

int evaluate_open(const evaluate_config *cfg, evaluator **out, c2_err *err)
{
    *out = NULL;
    evaluator *ev = calloc(1, sizeof *ev);
    if (!ev) return c2_fail(err, "out of memory");
    if (evaluate_asn_new(&ev->asn, err) != 0 || evaluate_allow_new(&ev->allow, err) != 0 ||
        open_allow(ev, cfg, err) != 0 || open_intel(ev, cfg, err) != 0) {
        evaluate_close(ev);
        return -1;
    }
    open_geo(ev, cfg->geo_mmdb);
    open_asn(ev, cfg);
    *out = ev;
    return 0;
}

void evaluate_close(evaluator *ev)
{
    if (!ev) return;
    if (ev->have_geo) MMDB_close(&ev->mmdb);
    evaluate_asn_free(ev->asn);
    evaluate_allow_free(ev->allow);
    intel_free(ev->intel);
    free(ev);
}

const char *evaluate_notice(const evaluator *ev) { return ev ? ev->notice : ""; }

char *evaluate_summary(const evaluator *ev, char *buf, size_t len)
{
    char built[40] = "";
    if (ev->have_geo && ev->mmdb.metadata.build_epoch < 253402300800ull) {  /* year 10000 */
        char t[32];
        c2_time_format((int64_t)ev->mmdb.metadata.build_epoch * 1000, t, sizeof t);
        snprintf(built, sizeof built, " (built %.10s)", t);
    }
    snprintf(buf, len,
             "country: %s%s; AS: %zu ranges from %zu files (%zu KiB); "
             "allowlists: %zu prefixes from %zu files; intel: %zu entries from %zu files",
             ev->have_geo ? ev->geo_name : "none", built, evaluate_asn_count(ev->asn), ev->asn_files,
             evaluate_asn_bytes(ev->asn) / 1024, evaluate_allow_count(ev->allow),
             ev->allow_files, ev->intel ? intel_count(ev->intel) : 0, ev->intel_files);
    return buf;
}

/* ---- one entry ---- */

/* A two-letter upper-case string at path in the entry's data, into cc. */
static int geo_string(MMDB_entry_s *entry, char cc[3], const char *const *path)
{
    MMDB_entry_data_s d;
    if (MMDB_aget_value(entry, &d, path) != MMDB_SUCCESS || !d.has_data ||
        d.type != MMDB_DATA_TYPE_UTF8_STRING || d.data_size != 2)
        return 0;
    if (d.utf8_string[0] < 'A' || d.utf8_string[0] > 'Z' || d.utf8_string[1] < 'A' ||
        d.utf8_string[1] > 'Z')
        return 0;
    memcpy(cc, d.utf8_string, 2);
    cc[2] = '\0';
    return 1;
}

static void geo_lookup(const evaluator *ev, const flow_addr *ip, char cc[3])
{
    struct sockaddr_in v4 = {.sin_family = AF_INET};
    struct sockaddr_in6 v6 = {.sin6_family = AF_INET6};
    const struct sockaddr *sa = (const struct sockaddr *)&v6;
    if (flow_addr_is_v4(ip)) {
        v4.sin_addr.s_addr = htonl(flow_addr_v4(ip));
        sa = (const struct sockaddr *)&v4;
    } else {
        memcpy(v6.sin6_addr.s6_addr, ip->b, 16);
    }
    int mmdb_err;
    MMDB_lookup_result_s res = MMDB_lookup_sockaddr(&ev->mmdb, sa, &mmdb_err);
    if (mmdb_err != MMDB_SUCCESS || !res.found_entry) return;
    /* ip-location-db's key first, then the GeoLite2/GeoIP2 layout */
    static const char *const flat[] = {"country_code", NULL};
    static const char *const nested[] = {"country", "iso_code", NULL};
    if (!geo_string(&res.entry, cc, flat)) geo_string(&res.entry, cc, nested);
}

static void copy_str(char *dst, size_t cap, const char *src)
{
    evaluate_text_copy(dst, cap, src, strlen(src));
}

void evaluate_entry(const evaluator *ev, const flow_addr *ip, uint16_t port, uint8_t proto,
                    evaluation *out)
{
    memset(out, 0, sizeof *out);
    if (ev->have_geo) geo_lookup(ev, ip, out->country);
    const char *name;
    out->asn = evaluate_asn_lookup(ev->asn, ip, &name);
    copy_str(out->as_name, sizeof out->as_name, name);
    const char *reason = evaluate_allow_match(ev->allow, ip);
    if (reason) {
        out->excluded = 1;
        copy_str(out->exclude_reason, sizeof out->exclude_reason, reason);
    }
    const intel_entry *e = ev->intel ? intel_match(ev->intel, ip, port, proto, 0) : NULL;
    if (e) {
        out->intel_confirmed = 1;
        copy_str(out->category, sizeof out->category, e->malware);
        out->intel_first_ms = e->first_seen;
        const char *src = intel_source_name(ev->intel, e->source);
        copy_str(out->intel_source, sizeof out->intel_source, src ? evaluate_basename(src) : "");
    }
}
