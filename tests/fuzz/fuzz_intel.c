/*
 * fuzz_intel.c: libFuzzer target for threat-intelligence files (src/intel/).
 *
 * Feeds are third-party files: any bytes must load or fail with one
 * printable line, never crash, and a failed load must leave the set as it
 * was.  The bytes are loaded in each of the four ways (detected, and forced
 * plain, Feodo Tracker, ThreatFox) on top of a one-entry set, and then:
 *  - the stats add up: entries + bad + other rows never exceed the lines;
 *  - the set holds the old entry plus exactly the new ones, sorted;
 *  - every entry is found by intel_match at its own key (any port and
 *    protocol standing in for 0), as of its own first_seen too, and what
 *    is found was listed no later than it (the earliest wins);
 *  - names are NUL-terminated printable text and sources are known.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "intel/intel.h"

static void check_text(const char *s, size_t cap)
{
    if (!memchr(s, '\0', cap)) abort();
    for (; *s; s++)
        if (*s < 0x20 || *s > 0x7e) abort();
}

static int entry_before(const intel_entry *a, const intel_entry *b)
{
    int c = memcmp(a->ip.b, b->ip.b, 16);
    if (c) return c < 0;
    if (a->port != b->port) return a->port < b->port;
    if (a->proto != b->proto) return a->proto < b->proto;
    return a->first_seen <= b->first_seen;
}

static void check_entries(const intel_set *s)
{
    for (size_t i = 0; i < intel_count(s); i++) {
        const intel_entry *e = intel_get(s, i);
        check_text(e->malware, sizeof e->malware);
        if (!intel_source_name(s, e->source)) abort();
        if (i && !entry_before(intel_get(s, i - 1), e)) abort();
        uint16_t port = e->port ? e->port : 4242;
        uint8_t proto = e->proto ? e->proto : 6;
        const intel_entry *m = intel_match(s, &e->ip, port, proto, 0);
        if (!m || memcmp(m->ip.b, e->ip.b, 16) || m->first_seen > e->first_seen) abort();
        if (e->first_seen && !intel_match(s, &e->ip, port, proto, e->first_seen)) abort();
        if (e->first_seen > 1 && (m = intel_match(s, &e->ip, port, proto, e->first_seen - 1)) &&
            m->first_seen >= e->first_seen)
            abort();
    }
}

static void one_load(const uint8_t *data, size_t size, intel_format fmt)
{
    static const char base[] = "203.0.113.1:443\n";
    intel_set *s;
    intel_stats st;
    c2_err err;
    if (intel_new(&s, &err) != 0 ||
        intel_load_mem(s, base, sizeof base - 1, "base", INTEL_PLAIN, NULL, &err) != 0)
        abort();
    int rc = intel_load_mem(s, data, size, "fuzz", fmt, &st, &err);
    if (st.entries + st.bad + st.other > st.lines) abort();
    if (st.bad && !st.first_bad_line) abort();
    check_text(st.first_bad, sizeof st.first_bad);
    if (rc != 0) {
        if (strncmp(err.msg, "fuzz: ", 6) != 0 && strcmp(err.msg, "out of memory")) abort();
        check_text(err.msg, sizeof err.msg);
        if (intel_count(s) != 1 || intel_source_name(s, 1)) abort();
    } else {
        if (st.entries == 0 || intel_count(s) != 1 + st.entries) abort();
        if (strcmp(intel_source_name(s, 1), "fuzz")) abort();
        if (fmt != INTEL_AUTO && st.format != fmt) abort();
    }
    check_entries(s);
    intel_free(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    one_load(data, size, INTEL_AUTO);
    one_load(data, size, INTEL_PLAIN);
    one_load(data, size, INTEL_FEODO);
    one_load(data, size, INTEL_THREATFOX);
    return 0;
}
