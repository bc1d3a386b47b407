/*
 * nfdump_run: read a binary nfdump file through the installed nfdump(1).
 *
 * nfdump's file format changes between versions and nfdump itself is the
 * reference reader, so rather than decode it we run
 *     nfdump -r FILE -N -6 -o IMPORT_NFDUMP_FMT
 * (not -o csv, which prints times to the second only)
 * with posix_spawnp (an argv array: no shell, so no quoting issue with the
 * file name), stdin from /dev/null, stdout into a pipe that the nfdump_csv
 * handler reads line by line, stderr into an unlinked temporary file (no
 * second pipe to drain, so no deadlock), and TZ=UTC in its environment so
 * that the times it prints are UTC.
 *
 * nfdump reports some failures only on stderr with exit status 0 (a file
 * with a bad magic prints "No matching flows"), so any error output fails
 * the import as well as a non-zero status; the message quotes its first
 * line.  When parsing fails first, nfdump is killed and reaped.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "import/import_impl.h"

extern char **environ;

/* environ with TZ replaced by TZ=UTC; caller frees the array only. */
static char **utc_environ(void)
{
    size_t n = 0;
    while (environ && environ[n])
        n++;
    char **env = calloc(n + 2, sizeof *env);
    if (!env)
        return NULL;
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (strncmp(environ[i], "TZ=", 3) != 0)
            env[k++] = environ[i];
    env[k++] = (char *)"TZ=UTC";
    env[k] = NULL;
    return env;
}

static int spawn_nfdump(const char *path, int out_fd, int err_fd,
                        pid_t *pid, c2_err *err)
{
    char *argv[] = {(char *)"nfdump", (char *)"-r", (char *)path, (char *)"-N",
                    (char *)"-6", (char *)"-o", (char *)IMPORT_NFDUMP_FMT, NULL};
    posix_spawn_file_actions_t fa;
    char **env = utc_environ();
    if (!env)
        return c2_fail(err, "out of memory");
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&fa, out_fd, 1);
    posix_spawn_file_actions_adddup2(&fa, err_fd, 2);
    int rc = posix_spawnp(pid, "nfdump", &fa, NULL, argv, env);
    posix_spawn_file_actions_destroy(&fa);
    free(env);
    if (rc == ENOENT)
        return c2_fail(err, "nfdump is not installed (not found on PATH); "
                            "install the nfdump package to read nfdump files");
    if (rc != 0)
        return c2_fail(err, "cannot run nfdump: %s", strerror(rc));
    return 0;
}

/* First line of nfdump's error output into buf ("" when there was none). */
static void first_error_line(FILE *errf, char *buf, size_t cap)
{
    buf[0] = '\0';
    rewind(errf);
    if (!fgets(buf, (int)cap, errf))
        buf[0] = '\0';
    buf[strcspn(buf, "\r\n")] = '\0';
}

static int wait_nfdump(pid_t pid, FILE *errf, int parse_rc, c2_err *err)
{
    int status;
    char msg[200];
    if (parse_rc != 0)
        kill(pid, SIGTERM);
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            return parse_rc ? -1 : c2_fail_errno(err, "waitpid nfdump");
    if (parse_rc != 0)
        return -1;
    first_error_line(errf, msg, sizeof msg);
    if (WIFSIGNALED(status))
        return c2_fail(err, "nfdump killed by signal %d", WTERMSIG(status));
    if (WEXITSTATUS(status) != 0)
        return c2_fail(err, "nfdump exited with status %d%s%s",
                       WEXITSTATUS(status), msg[0] ? ": " : "", msg);
    if (msg[0])
        return c2_fail(err, "nfdump: %s", msg);
    return 0;
}

int import_nfdump_run(import_run *r, const char *path, c2_err *err)
{
    int fds[2];
    pid_t pid;
    FILE *errf = tmpfile();
    if (!errf)
        return c2_fail_errno(err, "temporary file for nfdump errors");
    if (pipe2(fds, O_CLOEXEC) != 0) {
        fclose(errf);
        return c2_fail_errno(err, "pipe");
    }
    if (spawn_nfdump(path, fds[1], fileno(errf), &pid, err) != 0) {
        close(fds[0]);
        close(fds[1]);
        fclose(errf);
        return -1;
    }
    close(fds[1]);
    FILE *in = fdopen(fds[0], "r");
    int rc = in ? import_run_stream(r, in, err)
                : c2_fail_errno(err, "fdopen");
    if (in)
        fclose(in);
    else
        close(fds[0]);
    rc = wait_nfdump(pid, errf, rc, err);
    fclose(errf);
    return rc;
}
