/*
 * zframe.c: bytes kept on disk as one checksummed zstd frame behind an
 * 8-byte magic and the raw length (util.h), and the day files that live
 * so, named PREFIX-YYYY-MM-DD.SUFFIX, expired by date.
 *
 * The frames are ours, but they sit on disk, so unpacking trusts nothing:
 * the claimed raw length must match the frame's own and be reachable from
 * the compressed size (every zstd block takes 3 bytes at least and holds
 * at most ZSTD_BLOCKSIZE_MAX), so a few damaged bytes cannot make us
 * allocate gigabytes; the content checksum catches the rest.  Fuzzing
 * builds skip the checksum so that mutated inputs reach the parsers behind
 * it (as the store's readers do); every other check still runs.
 */
#include "util/util.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#ifdef FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION
#define ZSTD_STATIC_LINKING_ONLY    /* ZSTD_d_forceIgnoreChecksum */
#endif
#include <zstd.h>

int c2_zframe_pack(const char magic[8], const void *raw, size_t n, uint8_t **buf,
                   size_t *len, c2_err *err)
{
    size_t bound = ZSTD_compressBound(n);
    uint8_t *out = malloc(16 + bound);
    if (!out) return c2_fail(err, "out of memory");
    memcpy(out, magic, 8);
    c2_put64(out + 8, n);
    ZSTD_CCtx *zc = ZSTD_createCCtx();
    size_t z = (size_t)-1;
    if (zc) {
        ZSTD_CCtx_setParameter(zc, ZSTD_c_compressionLevel, 3);
        ZSTD_CCtx_setParameter(zc, ZSTD_c_checksumFlag, 1);
        z = ZSTD_compress2(zc, out + 16, bound, raw, n);
        ZSTD_freeCCtx(zc);
    }
    if (ZSTD_isError(z)) {
        free(out);
        return c2_fail(err, "compressing: %s", ZSTD_getErrorName(z));
    }
    *buf = out;
    *len = 16 + z;
    return 0;
}

static size_t decompress(void *dst, size_t cap, const void *src, size_t len)
{
#ifdef FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION
    ZSTD_DCtx *z = ZSTD_createDCtx();
    if (z) {
        ZSTD_DCtx_setParameter(z, ZSTD_d_forceIgnoreChecksum, ZSTD_d_ignoreChecksum);
        size_t got = ZSTD_decompressDCtx(z, dst, cap, src, len);
        ZSTD_freeDCtx(z);
        return got;
    }
#endif
    return ZSTD_decompress(dst, cap, src, len);
}

int c2_zframe_unpack(const char magic[8], const uint8_t *buf, size_t len, uint64_t max,
                     uint8_t **raw, size_t *n, c2_err *err)
{
    *raw = NULL;
    if (len < 16 || memcmp(buf, magic, 8) != 0) return c2_fail(err, "wrong kind of file");
    uint64_t want = c2_get64(buf + 8);
    unsigned long long frame = ZSTD_getFrameContentSize(buf + 16, len - 16);
    uint64_t most = (uint64_t)(len - 16) / 3 * ZSTD_BLOCKSIZE_MAX;
    if (want > max || want > most || frame != want)
        return c2_fail(err, "bad length %llu", (unsigned long long)want);
    uint8_t *p = malloc(want ? want : 1);
    if (!p) return c2_fail(err, "out of memory");
    size_t got = decompress(p, want, buf + 16, len - 16);
    if (ZSTD_isError(got) || got != want) {
        free(p);
        return c2_fail(err, "damaged: %s",
                       ZSTD_isError(got) ? ZSTD_getErrorName(got) : "short frame");
    }
    *raw = p;
    *n = want;
    return 0;
}

int c2_day_path(const char *dir, const char *prefix, const char *suffix, int64_t day_ms,
                char *path, size_t len, c2_err *err)
{
    int y, m, d;
    c2_civil_from_days(day_ms / C2_MS_PER_DAY, &y, &m, &d);
    if (snprintf(path, len, "%s/%s-%04d-%02d-%02d.%s", dir, prefix, y, m, d, suffix) >=
        (int)len)
        return c2_fail(err, "path too long in %s", dir);
    return 0;
}

int c2_day_files_expire(const char *dir, const char *prefix, const char *suffix,
                        int64_t before_ms, c2_err *err)
{
    DIR *dh = opendir(dir);
    if (!dh) return errno == ENOENT ? 0 : c2_fail_errno(err, "cannot open %s", dir);
    struct dirent *de;
    size_t np = strlen(prefix);
    int rc = 0;
    while ((de = readdir(dh)) != NULL) {
        int y, m, d;
        char tail[16], path[PATH_MAX];
        if (strncmp(de->d_name, prefix, np) != 0 || de->d_name[np] != '-' ||
            sscanf(de->d_name + np + 1, "%4d-%2d-%2d.%15s", &y, &m, &d, tail) != 4 ||
            strcmp(tail, suffix) != 0)
            continue;
        int64_t end = (c2_days_from_civil(y, m, d) + 1) * C2_MS_PER_DAY;
        if (end > before_ms) continue;
        snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
        if (unlink(path) != 0 && errno != ENOENT && rc == 0)
            rc = c2_fail_errno(err, "cannot delete %s", path);
    }
    closedir(dh);
    return rc;
}
