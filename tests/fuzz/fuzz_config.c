/*
 * fuzz_config.c: libFuzzer target for c2flow.conf parsing (src/config/).
 *
 * The config file will be read by daemons running as root, so every byte
 * sequence must either load or fail with a message, never crash, read out
 * of bounds or hang.  The bytes go through config_load_buffer(), which runs
 * the same reader, libinih pass and value checks as config_load() on a
 * file.  On success the loaded values must be inside their documented
 * bounds; on failure the message must be one line.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"

static void check_loaded(const c2_config *cfg)
{
    const store_options *o = &cfg->store;
    if (o->slice_ms < 1000 || o->slice_ms > C2_MS_PER_DAY ||
        o->slice_ms % 1000 != 0 || C2_MS_PER_DAY % o->slice_ms != 0)
        abort();
    if (o->retention_ms < 0 || o->retention_ms > 36500 * C2_MS_PER_DAY)
        abort();
    if (o->zstd_level < 1 || o->zstd_level > 19) abort();
    if (o->block_records < 1024 || o->block_records > 1048576) abort();
    if (o->max_open_slices < 1 || o->max_open_slices > 1024) abort();
    if (memchr(cfg->store_dir, '\0', sizeof cfg->store_dir) == NULL) abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    c2_config cfg;
    c2_err err;
    if (config_load_buffer((const char *)data, size, "fuzz.conf", &cfg, &err) == 0) {
        check_loaded(&cfg);
        return 0;
    }
    if (strchr(err.msg, '\n') || strncmp(err.msg, "fuzz.conf:", 10) != 0) abort();
    return 0;
}
