/*
 * hub_args.c: resolving the options of `c2flow share` and `c2flow fetch`.
 * Command-line values go through config_set, so a flag accepts exactly what
 * the file's key does.  A token given on the command line wins over a token
 * file; the file is read whole (it is small) and only its first line used.
 */
#include "cli/hub_args.h"

#include <stdlib.h>
#include <string.h>

#define TOKEN_FILE_MAX 65536

int cli_hub_option(cli_hub_args *a, int opt, const char *arg)
{
    switch (opt) {
    case CLI_OPT_CONFIG: a->config_path = arg; return 1;
    case CLI_HUB_OPT_HUB: a->hub = arg; return 1;
    case CLI_HUB_OPT_TOKEN: a->token = arg; return 1;
    case CLI_HUB_OPT_TOKEN_FILE: a->token_file = arg; return 1;
    case CLI_HUB_OPT_CACERT: a->cacert = arg; return 1;
    case CLI_HUB_OPT_TIMEOUT: a->timeout = arg; return 1;
    default: return 0;
    }
}

static int overrides(const char *cmd, cli_hub_args *a)
{
    const struct { const char *key, *value, *flag; } o[] = {
        {"hub", a->hub, "--hub"},
        {"token_file", a->token_file, "--token-file"},
        {"cacert", a->cacert, "--cacert"},
        {"timeout", a->timeout, "--timeout"},
    };
    c2_err err;
    for (size_t i = 0; i < sizeof o / sizeof o[0]; i++)
        if (o[i].value && config_set(&a->cfg, "share", o[i].key, o[i].value, &err) != 0)
            return cli_usage(cmd, "%s: %s", o[i].flag, err.msg);
    return CLI_OK;
}

static int read_token(const char *cmd, cli_hub_args *a)
{
    c2_err err;
    if (a->token) {
        if (hubclient_token_valid(a->token) && strlen(a->token) < sizeof a->token_buf) {
            strcpy(a->token_buf, a->token);
            return CLI_OK;
        }
        return cli_usage(cmd, "--token: 1 to %d printable ASCII characters, no blanks",
                         HUBCLIENT_TOKEN_MAX);
    }
    const char *path = a->cfg.share.token_file;
    if (!*path) return cli_usage(cmd, "no token: give --token-file FILE (or [share] "
                                 "token_file in the config file) or --token T");
    uint8_t *buf;
    size_t len;
    int rc = c2_file_read(path, TOKEN_FILE_MAX, &buf, &len, &err);
    if (rc == 0) c2_fail(&err, "%s: no such file", path);
    if (rc == 1) {
        rc = hubclient_token_parse(buf, len, a->token_buf, &err) == 0 ? 1 : -1;
        if (rc < 0) c2_err_prefix(&err, "%s", path);
        free(buf);
    }
    if (rc == 1) return CLI_OK;
    cli_error(cmd, "token file: %s", err.msg);
    return CLI_FAIL;
}

int cli_hub_resolve(const char *cmd, cli_hub_args *a)
{
    cli_store_args s = {.config_path = a->config_path};
    int rc = cli_load_config(cmd, &s, &a->cfg);
    if (rc == CLI_OK) rc = overrides(cmd, a);
    if (rc == CLI_OK && !a->cfg.share.hub[0])
        rc = cli_usage(cmd, "no hub: give --hub URL (or [share] hub in the config file)");
    if (rc == CLI_OK) rc = read_token(cmd, a);
    if (rc != CLI_OK) return rc;
    a->client = (hubclient){
        .url = a->cfg.share.hub,
        .token = a->token_buf,
        .cacert = a->cfg.share.cacert[0] ? a->cfg.share.cacert : NULL,
        .timeout_ms = a->cfg.share.timeout_ms,
    };
    return CLI_OK;
}
