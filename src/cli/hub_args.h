/*
 * hub_args.h: the options `c2flow share` and `c2flow fetch` share (the hub,
 * its token, TLS and timeout, and the config file's [share] section), and
 * their resolution into a hubclient: file first, then the command line.
 */
#ifndef C2FLOW_CLI_HUB_ARGS_H
#define C2FLOW_CLI_HUB_ARGS_H

#include "cli/cli.h"
#include "hubclient/hubclient.h"

enum {
    CLI_HUB_OPT_HUB = CLI_OPT_FIRST_COMMAND_OPT + 50, CLI_HUB_OPT_TOKEN,
    CLI_HUB_OPT_TOKEN_FILE, CLI_HUB_OPT_CACERT, CLI_HUB_OPT_TIMEOUT
};
#define CLI_HUB_LONGOPTS                                               \
    {"config", required_argument, 0, CLI_OPT_CONFIG},                  \
    {"hub", required_argument, 0, CLI_HUB_OPT_HUB},                    \
    {"token", required_argument, 0, CLI_HUB_OPT_TOKEN},                \
    {"token-file", required_argument, 0, CLI_HUB_OPT_TOKEN_FILE},      \
    {"cacert", required_argument, 0, CLI_HUB_OPT_CACERT},              \
    {"timeout", required_argument, 0, CLI_HUB_OPT_TIMEOUT}
#define CLI_HUB_HELP                                                   \
    "      --hub URL         the hub, https://HOST[:PORT] ([share] hub)\n" \
    "      --token T         API token (shows in ps: prefer --token-file)\n" \
    "      --token-file F    file whose first line is the token ([share] token_file)\n" \
    "      --cacert FILE     CA certificates (PEM) to verify the hub with\n" \
    "                        ([share] cacert; default the system's)\n" \
    "      --timeout DUR     a whole request at most ([share] timeout, 5m)\n" \
    "      --config FILE     configuration file (default: $C2FLOW_CONFIG,\n" \
    "                        else /etc/c2flow/c2flow.conf if present)\n"

typedef struct cli_hub_args {
    const char *config_path;
    const char *hub, *token, *token_file, *cacert, *timeout; /* command line */
    c2_config   cfg;                       /* after cli_hub_resolve */
    char        token_buf[HUBCLIENT_TOKEN_MAX + 1];
    hubclient   client;                    /* borrows from cfg and token_buf */
} cli_hub_args;

/* 1 if opt is one of CLI_HUB_LONGOPTS (arg recorded), 0 if not. */
int cli_hub_option(cli_hub_args *a, int opt, const char *arg);
/* Config, command-line overrides, the token: a->client ready, or a CLI_*
 * status already printed. */
int cli_hub_resolve(const char *cmd, cli_hub_args *a);

#endif
