/*
 * fuzz_codec.c: the column decoders of the store, fed directly.  The input
 * is a small header and the transformed bytes of one column:
 *
 *   byte 0      field (mod FLOW_FIELD_COUNT)
 *   byte 1      encoding (segment_encoding; any value)
 *   bytes 2-3   record count, little-endian (mod 4096, +1)
 *   bytes 4..   the column's raw (transformed) bytes
 *
 * The raw bytes are compressed with zstd here, so that every input reaches
 * the transform decoders behind the frame check.  A decode that succeeds
 * must re-encode to the same values (codec_encode chooses its own encoding,
 * so the values are compared, not the bytes), and the min and max it
 * computes on the way must be those of codec_zone.  Address columns are
 * decoded with their IPv4 view asked for (flow_batch.v4_want): a view that
 * comes back valid must hold every IPv4 row's address as the column does.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>

#include "store/segment.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 4) return 0;
    flow_field f = (flow_field)(data[0] % FLOW_FIELD_COUNT);
    size_t n = (size_t)(c2_get16(data + 2) % 4096) + 1;
    const uint8_t *raw = data + 4;
    size_t raw_len = size - 4;
    size_t cap = ZSTD_compressBound(raw_len);
    uint8_t *frame = malloc(cap);
    size_t z = ZSTD_compress(frame, cap, raw, raw_len, 1);
    codec_ctx *c = codec_new(1);
    flow_batch b;
    if (!ZSTD_isError(z) && c && flow_batch_init(&b, n, FLOW_ALL_FIELDS) == 0) {
        segment_column col = {.offset = 32, .stored_len = (uint32_t)z,
                              .raw_len = (uint32_t)raw_len, .encoding = data[1]};
        /* the anchor of a relative time column: any values will do */
        for (size_t i = 0; i < n; i++) b.start_ms[i] = b.end_ms[i] = (int64_t)i * 1000;
        c2_err err;
        b.v4_want = FLOW_BIT(FLOW_SRC_ADDR) | FLOW_BIT(FLOW_DST_ADDR);
        if (codec_decode(c, frame, &col, f, n, &b, &err) == 0) {
            b.count = n;
            const uint32_t *v4;
            const uint8_t *v6map;
            if (flow_batch_get_v4(&b, f, &v4, &v6map)) {
                const flow_addr *a = flow_batch_column(&b, f);
                for (size_t i = 0; i < n; i++) {
                    /* an IPv6 row's 16 bytes may spell a mapped address:
                     * readers ask those rows whole, so only IPv4 rows bind */
                    int six = v6map[i / 8] >> (i % 8) & 1;
                    if (!six && (!flow_addr_is_v4(&a[i]) || v4[i] != flow_addr_v4(&a[i])))
                        abort();
                }
            }
            flow_batch copy;
            if (flow_batch_init(&copy, n, FLOW_ALL_FIELDS) == 0) {
                flow_record r;
                for (size_t i = 0; i < n; i++) { flow_batch_get(&b, i, &r); flow_batch_put(&copy, &r); }
                const uint8_t *out;
                segment_column col2;
                flow_value lo, hi, zlo, zhi;
                if (codec_encode(c, &copy, f, &out, &col2, &lo, &hi, &err) == 0) {
                    /* the zone computed while encoding is codec_zone's */
                    codec_zone(&copy, f, n, &zlo, &zhi);
                    if (memcmp(&lo, &zlo, sizeof lo) || memcmp(&hi, &zhi, sizeof hi)) abort();
                    uint8_t *again = malloc(col2.stored_len);
                    memcpy(again, out, col2.stored_len);
                    flow_batch back;
                    if (flow_batch_init(&back, n, FLOW_ALL_FIELDS) == 0) {
                        memcpy(back.start_ms, copy.start_ms, n * 8);
                        memcpy(back.end_ms, copy.end_ms, n * 8);
                        if (codec_decode(c, again, &col2, f, n, &back, &err) != 0) abort();
                        for (size_t i = 0; i < n; i++) {
                            flow_value x, y;
                            flow_batch_value(&copy, f, i, &x);
                            flow_batch_value(&back, f, i, &y);
                            if (flow_value_cmp(flow_field_type(f), &x, &y)) abort();
                        }
                        flow_batch_free(&back);
                    }
                    free(again);
                }
                flow_batch_free(&copy);
            }
        }
        flow_batch_free(&b);
    }
    codec_free(c);
    free(frame);
    return 0;
}
