/*
 * state.c: small named blobs kept in STORE/state/ beside the segments.
 *
 * They hold what a daemon must find again after a restart (the collector's
 * templates).  Writes follow the segments' rule: a temporary name, fsync,
 * rename, fsync of the directory; so a crash leaves the old blob or the new
 * one.  The year directories of segments are all digits, so "state" never
 * collides with them, and listing segments never looks inside it.
 */
#include "store/store.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int valid_name(const char *name)
{
    size_t n = strlen(name);
    if (n == 0 || n > 64 || name[0] == '.') return 0;
    for (size_t i = 0; i < n; i++) {
        char c = name[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
              c == '.' || c == '-'))
            return 0;
    }
    return 1;
}

static int state_path(store *s, const char *name, char *dir, char *path,
                      c2_err *err)
{
    if (!valid_name(name)) return c2_fail(err, "bad state name \"%s\"", name);
    if (snprintf(dir, PATH_MAX, "%s/state", store_path(s)) >= PATH_MAX ||
        snprintf(path, PATH_MAX, "%s/%s", dir, name) >= PATH_MAX)
        return c2_fail(err, "store path too long");
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

int store_state_put(store *s, const char *name, const void *buf, size_t len,
                    c2_err *err)
{
    char dir[PATH_MAX], path[PATH_MAX], tmp[PATH_MAX + 16];
    if (state_path(s, name, dir, path, err) != 0) return -1;
    if (len > STORE_STATE_MAX) return c2_fail(err, "state %s too large", name);
    if (mkdir(dir, 0755) != 0 && errno != EEXIST)
        return c2_fail_errno(err, "cannot create %s", dir);
    snprintf(tmp, sizeof tmp, "%s/.%s.tmp", dir, name);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
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
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        fsync(dfd);
        close(dfd);
    }
    return 0;
}

int store_state_get(store *s, const char *name, uint8_t **buf, size_t *len,
                    c2_err *err)
{
    char dir[PATH_MAX], path[PATH_MAX];
    *buf = NULL;
    *len = 0;
    if (state_path(s, name, dir, path, err) != 0) return -1;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT) return 0;
        return c2_fail_errno(err, "cannot open %s", path);
    }
    struct stat st;
    if (fstat(fd, &st) != 0 || st.st_size < 0 ||
        (uint64_t)st.st_size > STORE_STATE_MAX) {
        close(fd);
        return c2_fail(err, "%s: not a state file of a sane size", path);
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
