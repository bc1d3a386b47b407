/*
 * sim: a simulated ISP with botnets inside, and the ground truth of it.
 *
 * No public data set holds an ISP's sampled flow records with its C2
 * servers labelled, so c2flow ships a simulator of one.  A scenario file
 * (INI, docs/simulator.md; examples under scenarios/) describes the ISP
 * (customer address space, subscribers, routers, packet sampling, router
 * timeouts), its benign traffic (services with heavy-tailed popularity,
 * diurnal and weekly cycles, periodic look-alikes of C2 traffic such as
 * IoT vendor clouds and push services, research scanners, Tor) and any
 * number of botnet families (Mirai-, Gafgyt-, Emotet- and RAT-like) whose
 * C2 servers are born and die, whose bots are infected, cleaned, migrate,
 * scan and attack.  The simulator emits what the ISP's routers would
 * export: flow records of packets sampled 1 in N, with counters already
 * multiplied by N as a collector stores them.
 *
 * It knows nothing of the detectors and must never learn from them: the
 * model's numbers come from public reports, documented with their source.
 *
 * Same scenario, seed and options: same records, same truth, bit for bit.
 */
#ifndef C2FLOW_SIM_H
#define C2FLOW_SIM_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "flow/flow.h"
#include "util/util.h"

typedef struct sim_scenario sim_scenario;
typedef struct sim sim;

/* Read a scenario file (or text, for tests and fuzzing).  Unknown
 * sections or keys and bad values are errors naming them.  0 or -1. */
int  sim_scenario_load(const char *path, sim_scenario **out, c2_err *err);
int  sim_scenario_parse(const char *text, size_t len, const char *name,
                        sim_scenario **out, c2_err *err);
/* Override one value as the scenario file would set it
 * (section "isp", key "sampling", value "100"). */
int  sim_scenario_set(sim_scenario *sc, const char *section, const char *key,
                      const char *value, c2_err *err);
const char *sim_scenario_name(const sim_scenario *sc);
void sim_scenario_free(sim_scenario *sc);

typedef struct sim_options {
    uint64_t seed;                  /* 1 */
    int64_t  start_ms;              /* C2_TIME_MIN: the scenario's start */
    uint32_t days;                  /* 0: the scenario's days */
} sim_options;

void sim_options_default(sim_options *o);

typedef struct sim_stats {
    uint64_t records, packets, bytes;   /* as stored: counters x sampling */
    uint64_t benign_records, bot_records, lookalike_records, scanner_records;
    uint32_t c2_servers, other_servers, infected, ddos;
    uint32_t subscribers, devices;
} sim_stats;

/* Build the world (about a second per million subscribers).  The scenario
 * is copied.  0, or -1 with err; free with sim_free() either way. */
int  sim_new(const sim_scenario *sc, const sim_options *o, sim **out, c2_err *err);
int64_t sim_start_ms(const sim *s);
int64_t sim_end_ms(const sim *s);

/* Where records go: called with each chunk's records in export order
 * (by end time within a chunk).  Non-zero stops the run. */
typedef int (*sim_sink_fn)(void *arg, const flow_record *recs, size_t n,
                           c2_err *err);
/* Called after each chunk with the simulated time reached. */
typedef void (*sim_progress_fn)(void *arg, int64_t sim_ms, const sim_stats *st);

/* Generate every record of the window.  Generation runs on its own thread,
 * one chunk ahead of the sink.  0, or -1 with err (the sink's error or an
 * allocation failure).  Call once. */
int  sim_run(sim *s, sim_sink_fn sink, void *sink_arg,
             sim_progress_fn progress, void *progress_arg, c2_err *err);

void sim_get_stats(const sim *s, sim_stats *out);

/* After sim_run: the ground truth (JSON, format "c2flow-truth/1",
 * docs/simulator.md) and the simulated threat feed (Feodo Tracker CSV). */
int  sim_write_truth(const sim *s, FILE *f, c2_err *err);
int  sim_write_feed(const sim *s, FILE *f, c2_err *err);

void sim_free(sim *s);

#endif
