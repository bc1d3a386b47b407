/*
 * fuzz_segment.c: a segment file is bytes from disk, and disks and people
 * damage files: the reader must reject any of them with an error, never
 * crash, hang or read out of bounds.  The input becomes a segment file in a
 * scratch directory and is opened and fully decoded, as `c2flow check` does.
 *
 * Seeds (tests/fuzz/corpus/fuzz_segment/) are small valid segments written
 * by the store itself; see tests/fuzz/README.md.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store/segment.h"

static char path[256];

static void make_path(void)
{
    if (path[0]) return;
    const char *tmp = getenv("TMPDIR");
    snprintf(path, sizeof path, "%s/c2flow-fuzz-segment-%d.c2s", tmp ? tmp : "/tmp",
             (int)getpid());
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    make_path();
    FILE *f = fopen(path, "wb");
    if (!f) return 0;
    fwrite(data, 1, size, f);
    fclose(f);

    segment_reader r;
    c2_err err;
    if (segment_reader_open(path, &r, &err) == 0) {
        codec_ctx *c = codec_new(1);
        flow_batch b;
        uint32_t max = segment_reader_max_block(&r);
        if (c && flow_batch_init(&b, max ? max : 1, FLOW_ALL_FIELDS) == 0) {
            for (uint32_t i = 0; i < r.nblocks; i++) {
                uint64_t bytes = 0;
                if (segment_reader_block(&r, c, i, FLOW_ALL_FIELDS, &b, &bytes, &err) == 0 &&
                    b.count != r.blocks[i].records)
                    abort();    /* a decoded block has exactly its records */
            }
            flow_batch_free(&b);
        }
        codec_free(c);
        segment_reader_close(&r);
    }
    unlink(path);
    return 0;
}
