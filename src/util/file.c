/*
 * file.c: whole-file reads and crash-safe whole-file writes (util.h).
 */
#include "util/util.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int c2_mkdir_p(const char *path, c2_access a, c2_err *err)
{
    mode_t mode = (mode_t)c2_dir_mode(a);
    char p[PATH_MAX];
    if (snprintf(p, sizeof p, "%s", path) >= (int)sizeof p)
        return c2_fail(err, "path too long: %s", path);
    for (char *s = p + 1; *s; s++) {
        if (*s != '/') continue;
        *s = '\0';
        int rc = mkdir(p, mode);
        *s = '/';
        if (rc != 0 && errno != EEXIST)
            return c2_fail_errno(err, "cannot create %s", p);
    }
    if (mkdir(p, mode) != 0 && errno != EEXIST)
        return c2_fail_errno(err, "cannot create %s", p);
    return 0;
}

static int write_whole(int fd, const uint8_t *p, size_t len)
{
    while (len > 0) {
        ssize_t w = write(fd, p, len);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return -1;
        p += w;
        len -= (size_t)w;
    }
    return 0;
}

/* A path that is not a regular file (/dev/null, /dev/stdout, a FIFO): a
 * rename over it would replace the device with a file, so it is written
 * in place. */
static int write_in_place(const char *path, const void *buf, size_t len, c2_err *err)
{
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0) return c2_fail_errno(err, "cannot open %s", path);
    int rc = write_whole(fd, buf, len);
    if (close(fd) != 0) rc = -1;
    return rc == 0 ? 0 : c2_fail_errno(err, "cannot write %s", path);
}

int c2_file_replace(const char *path, const void *buf, size_t len, c2_access a,
                    c2_err *err)
{
    char tmp[PATH_MAX + 32], dir[PATH_MAX];
    struct stat st;
    if (stat(path, &st) == 0 && !S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode))
        return write_in_place(path, buf, len, err);
    const char *slash = strrchr(path, '/');
    if (snprintf(tmp, sizeof tmp, "%.*s.%s.tmp%ld", slash ? (int)(slash - path + 1) : 0,
                 path, slash ? slash + 1 : path, (long)getpid()) >= (int)sizeof tmp)
        return c2_fail(err, "path too long: %s", path);
    unlink(tmp);                /* a dead run's leftover: its mode is not ours */
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, (mode_t)c2_file_mode(a));
    if (fd < 0) return c2_fail_errno(err, "cannot create %s", tmp);
    int rc = write_whole(fd, buf, len);
    if (rc == 0) rc = fsync(fd);
    if (close(fd) != 0) rc = -1;
    if (rc == 0) rc = rename(tmp, path);
    if (rc != 0) {
        c2_fail_errno(err, "cannot write %s", path);
        unlink(tmp);
        return -1;
    }
    snprintf(dir, sizeof dir, "%.*s", slash ? (int)(slash - path) : 1, slash ? path : ".");
    int dfd = open(dir[0] ? dir : "/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        fsync(dfd);
        close(dfd);
    }
    return 0;
}

int c2_file_read(const char *path, size_t max, uint8_t **buf, size_t *len, c2_err *err)
{
    *buf = NULL;
    *len = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT) return 0;
        return c2_fail_errno(err, "cannot open %s", path);
    }
    struct stat st;
    if (fstat(fd, &st) != 0 || st.st_size < 0 || (uint64_t)st.st_size > max) {
        close(fd);
        return c2_fail(err, "%s: larger than %zu bytes", path, max);
    }
    size_t n = (size_t)st.st_size, got = 0;
    uint8_t *p = malloc(n ? n : 1);
    if (!p) {
        close(fd);
        return c2_fail(err, "out of memory");
    }
    while (got < n) {
        ssize_t r = read(fd, p + got, n - got);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) break;
        got += (size_t)r;
    }
    close(fd);
    if (got != n) {
        free(p);
        return c2_fail(err, "cannot read %s", path);
    }
    *buf = p;
    *len = n;
    return 1;
}

int c2_file_write_by(const char *path, c2_access a, c2_write_fn fn, void *arg, c2_err *err)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);
    int rc = m ? fn(m, arg, err) : c2_fail(err, "out of memory");
    if (m && fclose(m) != 0 && rc == 0) rc = c2_fail(err, "out of memory");
    if (rc == 0 && path && strcmp(path, "-"))
        rc = c2_file_replace(path, buf, len, a, err);
    else if (rc == 0 && (fwrite(buf, 1, len, stdout) != len || fflush(stdout) != 0))
        rc = c2_fail_errno(err, "standard output");
    free(buf);
    return rc;
}

int c2_stream_read(FILE *f, size_t max, uint8_t **buf, size_t *len, c2_err *err)
{
    size_t cap = 1 << 16, n = 0;
    uint8_t *b = malloc(cap);
    *buf = NULL;
    *len = 0;
    for (;;) {
        if (!b) return c2_fail(err, "out of memory");
        n += fread(b + n, 1, cap - n, f);
        if (n < cap) break;
        if (cap > max) {
            free(b);
            return c2_fail(err, "larger than %zu MiB", max >> 20);
        }
        uint8_t *nb = realloc(b, cap * 2);
        if (!nb) free(b);
        b = nb;
        cap *= 2;
    }
    if (ferror(f)) {
        free(b);
        return c2_fail_errno(err, "read");
    }
    *buf = b;
    *len = n;
    return 0;
}
