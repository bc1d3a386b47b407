/*
 * cmd_collect.c: `c2flow collect`, the collector daemon's front.
 *
 * It loads the configuration (file, then command-line overrides), opens
 * the store, starts the collector (src/collect/) and then waits for
 * signals in this thread with every signal blocked everywhere else:
 * SIGTERM/SIGINT stop it cleanly (everything received is stored), SIGHUP
 * re-reads the config file and applies it over the same overrides.
 */
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "collect/collect.h"
#include "store/store.h"

static const char *const collect_help =
    "usage: c2flow collect --store DIR [--listen [ADDR]:PORT[,...]] [options]\n"
    "\n"
    "Receive NetFlow v5, NetFlow v9, IPFIX and sFlow v5 from routers on UDP\n"
    "and store every flow record, with sampling applied and every loss\n"
    "counted.  Runs in the foreground and logs one line per event to stderr;\n"
    "SIGTERM or SIGINT stops it after storing everything received, SIGHUP\n"
    "reloads the configuration file.\n"
    "\n"
    "  -l, --listen LIST     UDP endpoints, comma separated: 0.0.0.0:2055,\n"
    "                        [::]:4739, or a bare port for all addresses\n"
    "                        ([collect] listen, :2055); port 0 picks one\n"
    "  --metrics ADDR:PORT   serve Prometheus counters at /metrics\n"
    "                        ([collect] metrics, off)\n"
    "  --sampling ADDR=N     apply 1-in-N to every record of exporter ADDR,\n"
    "                        whatever it announces; repeatable ([sampling])\n"
    "  --no-apply-sampling   store the router's counts unmultiplied\n"
    "                        ([collect] apply_sampling = no)\n"
    "  --rcvbuf SIZE         socket receive buffer ([collect] rcvbuf, 128M)\n"
    "  --queue SIZE          datagrams held for decoding ([collect] queue, 256M)\n"
    "  --log-interval DUR    counter log line every DUR, 0 = never\n"
    "                        ([collect] log_interval, 60s)\n"
    "  --seal-after DUR      seal a time slice DUR after it ends\n"
    "                        ([collect] seal_after, 60s)\n"
    CLI_STORE_HELP
    "  -h, --help            this text\n"
    "\n"
    "Exit status: 0 stopped by a signal after storing everything, 1 failure,\n"
    "2 usage.  See docs/collect.md.\n";

enum {
    OPT_METRICS = CLI_OPT_FIRST_COMMAND_OPT, OPT_SAMPLING, OPT_NO_APPLY,
    OPT_RCVBUF, OPT_QUEUE, OPT_LOG_INTERVAL, OPT_SEAL_AFTER
};

#define MAX_OVERRIDES 1100

/* Command-line options as config settings, kept to be applied again over
 * the file on every reload. */
typedef struct override {
    const char *section, *key, *value, *flag;
} override;

typedef struct collect_args {
    cli_store_args store;
    override       ov[MAX_OVERRIDES];
    size_t         nov;
} collect_args;

static int add_override(collect_args *a, const char *section, const char *key,
                        const char *value, const char *flag)
{
    if (a->nov == MAX_OVERRIDES) return cli_usage("collect", "too many options");
    a->ov[a->nov++] = (override){section, key, value, flag};
    return CLI_OK;
}

static int parse_args(int argc, char **argv, collect_args *a)
{
    static const struct option longopts[] = {
        CLI_STORE_LONGOPTS,
        {"listen", required_argument, 0, 'l'},
        {"metrics", required_argument, 0, OPT_METRICS},
        {"sampling", required_argument, 0, OPT_SAMPLING},
        {"no-apply-sampling", no_argument, 0, OPT_NO_APPLY},
        {"rcvbuf", required_argument, 0, OPT_RCVBUF},
        {"queue", required_argument, 0, OPT_QUEUE},
        {"log-interval", required_argument, 0, OPT_LOG_INTERVAL},
        {"seal-after", required_argument, 0, OPT_SEAL_AFTER},
        {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0}};
    int opt, rc = CLI_OK;
    optind = 1;
    while (rc == CLI_OK && (opt = getopt_long(argc, argv, "l:h", longopts, NULL)) != -1) {
        if (cli_store_option(&a->store, opt, optarg)) continue;
        switch (opt) {
        case 'l': rc = add_override(a, "collect", "listen", optarg, "--listen"); break;
        case OPT_METRICS: rc = add_override(a, "collect", "metrics", optarg, "--metrics"); break;
        case OPT_SAMPLING: rc = add_override(a, "sampling", "exporter", optarg, "--sampling"); break;
        case OPT_NO_APPLY: rc = add_override(a, "collect", "apply_sampling", "no", "--no-apply-sampling"); break;
        case OPT_RCVBUF: rc = add_override(a, "collect", "rcvbuf", optarg, "--rcvbuf"); break;
        case OPT_QUEUE: rc = add_override(a, "collect", "queue", optarg, "--queue"); break;
        case OPT_LOG_INTERVAL: rc = add_override(a, "collect", "log_interval", optarg, "--log-interval"); break;
        case OPT_SEAL_AFTER: rc = add_override(a, "collect", "seal_after", optarg, "--seal-after"); break;
        case 'h': fputs(collect_help, stdout); return -1;
        default: return cli_usage("collect", "unknown option");
        }
    }
    if (rc == CLI_OK && optind < argc)
        return cli_usage("collect", "unexpected argument '%s'", argv[optind]);
    return rc;
}

/* The file, the store options, then the collector's; on error cfg may be
 * half set. */
static int load(const collect_args *a, c2_config *cfg, c2_err *err)
{
    int rc = cli_read_config(&a->store, cfg, err);
    if (rc != CLI_OK) return rc;
    for (size_t i = 0; i < a->nov; i++)
        if (config_set(cfg, a->ov[i].section, a->ov[i].key, a->ov[i].value, err) != 0) {
            c2_err_prefix(err, "%s", a->ov[i].flag);
            return CLI_USAGE;
        }
    return CLI_OK;
}

static void log_line(void *arg, const char *line)
{
    char ts[32];
    (void)arg;
    fprintf(stderr, "%s c2flow collect: %s\n", c2_time_format(c2_now_ms(), ts, sizeof ts), line);
    fflush(stderr);
}

static void logf_main(const char *fmt, const char *a, const char *b)
{
    char line[1024];
    snprintf(line, sizeof line, fmt, a, b);
    log_line(NULL, line);
}

/* Wait for signals until told to stop; reload on SIGHUP. */
static void signal_loop(collector *c, const collect_args *a, const sigset_t *set)
{
    for (;;) {
        int sig;
        if (sigwait(set, &sig) != 0) continue;
        if (sig != SIGHUP) {
            logf_main("%s received: stopping%s", sig == SIGINT ? "SIGINT" : "SIGTERM", "");
            return;
        }
        c2_config *cfg = malloc(sizeof *cfg);
        c2_err err;
        if (!cfg) continue;
        if (load(a, cfg, &err) != CLI_OK)
            logf_main("reload failed, keeping the running configuration: %s%s", err.msg, "");
        else
            collector_reload(c, &cfg->collect);
        free(cfg);
    }
}

static void print_summary(const collect_counters *t)
{
    char line[512];
    snprintf(line, sizeof line,
             "stopped: received=%llu datagrams, decoded=%llu, stored=%llu, "
             "expired=%llu, malformed=%llu, no_template=%llu, lost_datagrams=%llu, "
             "lost_records=%llu, socket_drops=%llu, queue_drops=%llu, segments=%llu",
             (unsigned long long)t->received, (unsigned long long)t->decode.records,
             (unsigned long long)t->stored, (unsigned long long)t->expired,
             (unsigned long long)t->decode.malformed,
             (unsigned long long)t->decode.no_template,
             (unsigned long long)t->decode.lost_packets,
             (unsigned long long)t->decode.lost_records,
             (unsigned long long)t->socket_drops, (unsigned long long)t->queue_drops,
             (unsigned long long)t->segments);
    log_line(NULL, line);
}

int cmd_collect(int argc, char **argv)
{
    collect_args *a = calloc(1, sizeof *a);
    c2_config *cfg = malloc(sizeof *cfg);
    store *st = NULL;
    collector *c = NULL;
    c2_err err;
    int rc = (a && cfg) ? parse_args(argc, argv, a) : CLI_FAIL;
    if (rc < 0) rc = CLI_OK;           /* --help */
    else if (rc == CLI_OK && (rc = load(a, cfg, &err)) != CLI_OK) {
        if (rc == CLI_USAGE) cli_usage("collect", "%s", err.msg);
        else cli_error("collect", "%s", err.msg);
    } else if (rc == CLI_OK && (rc = cli_open_store("collect", cfg, 1, &st)) == CLI_OK) {
        sigset_t set;
        sigemptyset(&set);
        sigaddset(&set, SIGTERM);
        sigaddset(&set, SIGINT);
        sigaddset(&set, SIGHUP);
        pthread_sigmask(SIG_BLOCK, &set, NULL);   /* threads inherit it */
        signal(SIGPIPE, SIG_IGN);
        if (collector_start(&cfg->collect, st, log_line, NULL, &c, &err) != 0) {
            cli_error("collect", "%s", err.msg);
            rc = CLI_FAIL;
        } else {
            logf_main("listening on %s (udp), store %s", collector_bound(c), store_path(st));
            if (cfg->collect.metrics[0])
                logf_main("metrics at http://%s/metrics%s", collector_metrics_bound(c), "");
            signal_loop(c, a, &set);
            collect_counters final;
            if (collector_stop(c, &final, &err) != 0) {
                cli_error("collect", "%s", err.msg);
                rc = CLI_FAIL;
            }
            print_summary(&final);
        }
        store_close(st);
    }
    free(a);
    free(cfg);
    return rc;
}
