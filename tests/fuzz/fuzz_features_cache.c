/*
 * fuzz_features_cache.c: libFuzzer target for the day cache of feature
 * rows (src/features/cache.c).
 *
 * Any bytes must be refused with a one-line message, or decode into rows
 * of one day, in server order, with sketches no longer than FEATURE_SKETCH
 * and ascending, and times inside the day.  Decoded rows must encode and
 * decode again to the very same bytes.
 *
 * Fuzzing builds skip the frame's checksum (src/util/zframe.c), so
 * mutations of the compressed bytes reach the parser; the replay under the
 * test build checks it, and refuses such mutations.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "features/features.h"

static void check_rows(const feature_table *t, int64_t day)
{
    for (size_t i = 0; i < t->n; i++) {
        const feature_row *r = &t->row[i];
        if (r->day != day || r->first < day || r->last < r->first ||
            r->last >= day + C2_MS_PER_DAY || r->sketch_n > FEATURE_SKETCH)
            abort();
        for (uint32_t j = 1; j < r->sketch_n; j++)
            if (r->sketch[j] <= r->sketch[j - 1]) abort();
        if (i && flow_addr_cmp(&t->row[i - 1].ip, &r->ip) > 0) abort();
    }
}

static void check_message(const char *msg)
{
    if (!*msg) abort();
    for (const char *p = msg; *p; p++)
        if (*p == '\n') abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    feature_table t, back;
    int64_t day, day2;
    uint64_t fp, fp2;
    c2_err err;
    if (features_cache_decode(data, size, &day, &fp, &t, &err) != 0) {
        check_message(err.msg);
        feature_table_free(&t);
        return 0;
    }
    check_rows(&t, day);
    uint8_t *buf, *again;
    size_t len, len2;
    if (features_cache_encode(&t, day, fp, &buf, &len, &err) == 0) {
        if (features_cache_decode(buf, len, &day2, &fp2, &back, &err) != 0) abort();
        if (day2 != day || fp2 != fp || back.n != t.n) abort();
        if (features_cache_encode(&back, day2, fp2, &again, &len2, &err) == 0) {
            if (len2 != len || memcmp(again, buf, len) != 0) abort();
            free(again);
        }
        feature_table_free(&back);
        free(buf);
    }
    feature_table_free(&t);
    return 0;
}
