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

#include <limits.h>
#include <stdio.h>
#include <string.h>

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

int store_state_put(store *s, const char *name, const void *buf, size_t len,
                    c2_err *err)
{
    char dir[PATH_MAX], path[PATH_MAX];
    if (state_path(s, name, dir, path, err) != 0) return -1;
    if (len > STORE_STATE_MAX) return c2_fail(err, "state %s too large", name);
    if (c2_mkdir_p(dir, C2_PRIVATE, err) != 0) return -1;
    return c2_file_replace(path, buf, len, C2_PRIVATE, err);
}

int store_state_get(store *s, const char *name, uint8_t **buf, size_t *len,
                    c2_err *err)
{
    char dir[PATH_MAX], path[PATH_MAX];
    *buf = NULL;
    *len = 0;
    if (state_path(s, name, dir, path, err) != 0) return -1;
    return c2_file_read(path, STORE_STATE_MAX, buf, len, err);
}
