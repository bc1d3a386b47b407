/*
 * fuzz_scenario.c: libFuzzer target for scenario files (src/sim/).
 *
 * A scenario is a file an operator may take from anywhere, so any bytes
 * must parse or fail with a message, never crash.  A scenario that parses
 * must also hold together: reading it again through sim_scenario_set()
 * paths is not possible from here, but a parsed scenario is built into a
 * world (sim_new) when it is small enough to be cheap, which exercises
 * every value the parser let through.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "sim/sim.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    sim_scenario *sc = NULL;
    c2_err err;
    if (sim_scenario_parse((const char *)data, size, "fuzz", &sc, &err) != 0) {
        if (sc || !err.msg[0])
            __builtin_trap();           /* a failure says why and returns nothing */
        return 0;
    }
    /* keep the world small: a few hundred subscribers, one day */
    if (sim_scenario_set(sc, "isp", "subscribers", "200", &err) == 0) {
        sim_options o;
        sim_options_default(&o);
        o.days = 1;
        sim *s = NULL;
        if (sim_new(sc, &o, &s, &err) != 0 && !err.msg[0])
            __builtin_trap();
        sim_free(s);
    }
    sim_scenario_free(sc);
    return 0;
}
