/*
 * main.c: the c2flow binary, git-style: `c2flow SUBCOMMAND [options]`.
 *
 * Only dispatch lives here; each subcommand is a cmd_* front in this folder.
 */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

typedef struct subcommand {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
} subcommand;

static const subcommand subcommands[] = {
    {"import", cmd_import, "read Zeek, Argus binetflow and nfdump flows into a store"},
    {"collect", cmd_collect, "receive NetFlow v5/v9, IPFIX and sFlow from routers into a store"},
    {"query", cmd_query, "print the records of a time range"},
    {"stat", cmd_stat, "summarise a store: segments, records, span, bytes"},
    {"check", cmd_check, "verify every segment of a store"},
    {"simulate", cmd_simulate, "simulate an ISP with botnets: records, truth and feed"},
    {"synth", cmd_synth, "write synthetic flow records (demo, benchmarks)"},
    {"detect", cmd_detect, "find C2 servers in the stored flows (graph mining, a model, both)"},
    {"features", cmd_features, "per-server daily features that the model learns from"},
    {"train", cmd_train, "learn a model of C2 servers from features and known C2 labels"},
    {"lookback", cmd_lookback, "customer hosts that talked to the servers of a C2 list"},
    {"list", cmd_list, "the lists detection runs kept: as of a time, what changed, one server's"},
    {"eval", cmd_eval, "score a C2 list against a simulation's truth file"},
    {"export", cmd_export, "write a C2 list for firewalls, IDS sensors and threat feeds"},
    {"share", cmd_share, "submit a C2 list to the industry hub"},
    {"hub", cmd_hub, "the industry hub: serve, members, review, report (ISAC side)"},
    {"fetch", cmd_fetch, "merge what is new on the hub into a local C2 list"},
};

static void usage(FILE *out)
{
    fprintf(out, "usage: c2flow <command> [options]\n\n"
                 "Find botnet C2 servers in sampled ISP flow records.\n\n"
                 "commands:\n");
    for (size_t i = 0; i < sizeof subcommands / sizeof subcommands[0]; i++)
        fprintf(out, "  %-8s %s\n", subcommands[i].name, subcommands[i].summary);
    fprintf(out, "\n'c2flow <command> --help' tells more; so does docs/<command>.md.\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return CLI_USAGE;
    }
    const char *name = argv[1];
    if (!strcmp(name, "-h") || !strcmp(name, "--help") || !strcmp(name, "help")) {
        usage(stdout);
        return CLI_OK;
    }
    if (!strcmp(name, "--version") || !strcmp(name, "version")) {
        printf("c2flow %s\n", C2FLOW_VERSION);
        return CLI_OK;
    }
    for (size_t i = 0; i < sizeof subcommands / sizeof subcommands[0]; i++)
        if (!strcmp(name, subcommands[i].name))
            return subcommands[i].run(argc - 1, argv + 1);
    fprintf(stderr, "c2flow: '%s' is not a c2flow command\n", name);
    usage(stderr);
    return CLI_USAGE;
}
