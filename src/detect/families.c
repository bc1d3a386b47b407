/*
 * families.c: the malware family of listed servers, from threat
 * intelligence (detect.h, detect_name_families).
 *
 * Flows say that a server is a C2, not whose: the only source of a family
 * name is a feed that already lists the server.  Names are taken as of the
 * end of the window, the same knowledge detection itself had, and cleaned
 * into the list's category alphabet, so a feed's odd name can never make
 * the list unreadable.  Rows the intel does not name stay unknown ("").
 */
#include "detect/detect.h"

size_t detect_name_families(c2list *l, const intel_set *intel, int64_t at_ms)
{
    size_t named = 0;
    for (size_t i = 0; intel && i < c2list_count(l); i++) {
        const c2_entry *e = c2list_get(l, i);
        const intel_entry *x = intel_match(intel, &e->ip, e->port, e->proto, at_ms);
        char cat[C2LIST_CATEGORY_MAX];
        if (!x || !*c2list_category_clean(x->malware, cat, sizeof cat)) continue;
        named += c2list_set_category(l, i, cat, NULL) == 0;
    }
    return named;
}
