/*
 * fuzz_evaluate_asn.c: libFuzzer target for the hub evaluator's data files
 * (src/evaluate/): the AS CSV of @ip-location-db/asn and allowlists (prefix
 * lines and MISP warninglist JSON).
 *
 * Both come from third parties: any bytes must load or fail with one
 * printable line naming the input, never crash, and a failed load must
 * leave the table or set as it was.  The bytes are loaded as an AS file
 * and as an allowlist, each on top of a one-entry table or set, and then:
 *  - the stats add up (entries + bad + other never exceed the lines);
 *  - a failure left exactly the old entry, still found;
 *  - a success added something and kept the old entry's address covered
 *    (an allowlist only grows; an AS range may be trimmed by an overlap,
 *    but its first address stays with the range that starts first);
 *  - names and reasons found at addresses taken from the input are
 *    NUL-terminated, without control characters.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "evaluate/evaluate.h"

static void check_text(const char *s, size_t cap)
{
    if (!memchr(s, '\0', cap)) abort();
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f) abort();
}

static void check_err(const c2_err *err)
{
    if (strncmp(err->msg, "fuzz: ", 6) != 0 && strcmp(err->msg, "out of memory")) abort();
    check_text(err->msg, sizeof err->msg);
}

static void check_stats(const evaluate_stats *st)
{
    if (st->entries + st->bad + st->other > st->lines) abort();
    if (st->bad && !st->first_bad_line) abort();
    check_text(st->first_bad, sizeof st->first_bad);
}

/* Addresses made of the input's bytes, and their neighbours in the text. */
static flow_addr probe(const uint8_t *data, size_t size, size_t i)
{
    flow_addr a;
    memset(&a, 0, sizeof a);
    for (size_t k = 0; k < 16 && i + k < size; k++) a.b[k] = data[i + k];
    if (i & 1) flow_addr_from_v4(&a, c2_get_be32(a.b));
    return a;
}

static void fuzz_asn(const uint8_t *data, size_t size)
{
    static const char base[] = "203.0.113.0,203.0.113.255,64496,Base\n";
    evaluate_asn *t;
    evaluate_stats st;
    c2_err err;
    const char *name;
    flow_addr b;
    flow_addr_from_v4(&b, 0xcb007100u);
    if (evaluate_asn_new(&t, &err) != 0 ||
        evaluate_asn_load_mem(t, base, sizeof base - 1, "base", NULL, &err) != 0)
        abort();
    int rc = evaluate_asn_load_mem(t, data, size, "fuzz", &st, &err);
    check_stats(&st);
    if (rc != 0) {
        check_err(&err);
        if (evaluate_asn_count(t) != 1 || evaluate_asn_lookup(t, &b, &name) != 64496) abort();
    } else {
        if (st.entries == 0 || evaluate_asn_count(t) < 1) abort();
        if (evaluate_asn_count(t) > 1 + st.entries) abort();
    }
    for (size_t i = 0; i < size && i < 64; i++) {
        flow_addr a = probe(data, size, i);
        evaluate_asn_lookup(t, &a, &name);
        check_text(name, EVALUATE_AS_NAME_MAX);
    }
    evaluate_asn_free(t);
}

static void fuzz_allow(const uint8_t *data, size_t size)
{
    static const char base[] = "192.0.2.0/24 # base\n";
    evaluate_allow *a;
    evaluate_stats st;
    c2_err err;
    flow_addr b;
    flow_addr_from_v4(&b, 0xc0000201u);
    if (evaluate_allow_new(&a, &err) != 0 ||
        evaluate_allow_load_mem(a, base, sizeof base - 1, "base", NULL, &err) != 0)
        abort();
    int rc = evaluate_allow_load_mem(a, data, size, "fuzz", &st, &err);
    check_stats(&st);
    const char *r = evaluate_allow_match(a, &b);
    if (!r) abort();
    if (rc != 0) {
        check_err(&err);
        if (evaluate_allow_count(a) != 1 || strcmp(r, "base: base")) abort();
    } else if (st.entries == 0 || evaluate_allow_count(a) > 1 + st.entries) {
        abort();
    }
    for (size_t i = 0; i < size && i < 64; i++) {
        flow_addr x = probe(data, size, i);
        if ((r = evaluate_allow_match(a, &x))) check_text(r, EVALUATE_REASON_MAX);
    }
    evaluate_allow_free(a);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_asn(data, size);
    fuzz_allow(data, size);
    return 0;
}
