/*
 * dynlib/igraph.h: <igraph.h> through dynlib (see dynlib.h), for the modules
 * that use it.  Include this instead of <igraph.h>: it declares the table
 * of the functions c2flow calls and redirects their names to it.  A
 * function not listed here is a link error, which is how a new one is
 * noticed: add it to the list and to the redirections.
 */
#ifndef C2FLOW_DYNLIB_IGRAPH_H
#define C2FLOW_DYNLIB_IGRAPH_H

#include <igraph.h>

#include "dynlib/dynlib.h"

#define DYNLIB_IGRAPH_FUNCTIONS(X) \
    X(igraph_community_multilevel) \
    X(igraph_create) \
    X(igraph_destroy) \
    X(igraph_error_handler_ignore) \
    X(igraph_warning_handler_ignore) \
    X(igraph_rng_default) \
    X(igraph_rng_seed) \
    X(igraph_set_error_handler) \
    X(igraph_set_warning_handler) \
    X(igraph_vector_destroy) \
    X(igraph_vector_init) \
    X(igraph_vector_int_destroy) \
    X(igraph_vector_int_init) \
    X(igraph_vector_int_push_back) \
    X(igraph_vector_push_back) \
    X(igraph_vector_size)

typedef struct dynlib_igraph_api { DYNLIB_IGRAPH_FUNCTIONS(DYNLIB_FIELD) } dynlib_igraph_api;

#ifndef DYNLIB_NO_REDIRECT
#define DYNLIB_IGRAPH(name) DYNLIB_CALL(dynlib_igraph_api, DYNLIB_IGRAPH, name)
#define igraph_community_multilevel DYNLIB_IGRAPH(igraph_community_multilevel)
#define igraph_create DYNLIB_IGRAPH(igraph_create)
#define igraph_destroy DYNLIB_IGRAPH(igraph_destroy)
#define igraph_error_handler_ignore DYNLIB_IGRAPH(igraph_error_handler_ignore)
#define igraph_warning_handler_ignore DYNLIB_IGRAPH(igraph_warning_handler_ignore)
#define igraph_rng_default DYNLIB_IGRAPH(igraph_rng_default)
#define igraph_rng_seed DYNLIB_IGRAPH(igraph_rng_seed)
#define igraph_set_error_handler DYNLIB_IGRAPH(igraph_set_error_handler)
#define igraph_set_warning_handler DYNLIB_IGRAPH(igraph_set_warning_handler)
#define igraph_vector_destroy DYNLIB_IGRAPH(igraph_vector_destroy)
#define igraph_vector_init DYNLIB_IGRAPH(igraph_vector_init)
#define igraph_vector_int_destroy DYNLIB_IGRAPH(igraph_vector_int_destroy)
#define igraph_vector_int_init DYNLIB_IGRAPH(igraph_vector_int_init)
#define igraph_vector_int_push_back DYNLIB_IGRAPH(igraph_vector_int_push_back)
#define igraph_vector_push_back DYNLIB_IGRAPH(igraph_vector_push_back)
#define igraph_vector_size DYNLIB_IGRAPH(igraph_vector_size)
#endif

#endif
