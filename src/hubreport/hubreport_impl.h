/*
 * hubreport_impl.h: what compute.c, json.c and html.c of src/hubreport/
 * share and nobody else sees.
 */
#ifndef C2FLOW_HUBREPORT_IMPL_H
#define C2FLOW_HUBREPORT_IMPL_H

#include "hubreport/hubreport.h"

/* Blocks the public arrays of a hubreport point into, freed together. */
struct hubreport_mem {
    uint32_t *combo_pool;               /* member lists of the combos */
    uint64_t *day_members;              /* ndays x nmembers x 2 counts */
    hubreport_country *day_countries;   /* every day's countries, day after day */
};

/* Fill r->combos (combos.c): with at most HUBREPORT_ALL_COMBOS members from
 * mask_keys (keys per member bit mask), else from the member lists of the
 * nkeys keys (key k's list is pool[off[k] .. off[k+1]), ascending). */
int hubreport_combos(hubreport *r, const uint32_t *pool, const size_t *off, size_t nkeys,
                     const uint64_t *mask_keys, c2_err *err);

#endif
