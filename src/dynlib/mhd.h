/*
 * dynlib/mhd.h: <microhttpd.h> through dynlib (see dynlib.h), for the modules
 * that use it.  Include this instead of <microhttpd.h>: it declares the table
 * of the functions c2flow calls and redirects their names to it.  A
 * function not listed here is a link error, which is how a new one is
 * noticed: add it to the list and to the redirections.
 */
#ifndef C2FLOW_DYNLIB_MHD_H
#define C2FLOW_DYNLIB_MHD_H

#include <microhttpd.h>

#include "dynlib/dynlib.h"

#define DYNLIB_MHD_FUNCTIONS(X) \
    X(MHD_add_response_header) \
    X(MHD_basic_auth_get_username_password) \
    X(MHD_create_response_from_buffer) \
    X(MHD_destroy_response) \
    X(MHD_get_connection_info) \
    X(MHD_get_daemon_info) \
    X(MHD_lookup_connection_value) \
    X(MHD_queue_response) \
    X(MHD_start_daemon) \
    X(MHD_stop_daemon)

typedef struct dynlib_mhd_api { DYNLIB_MHD_FUNCTIONS(DYNLIB_FIELD) } dynlib_mhd_api;

#ifndef DYNLIB_NO_REDIRECT
#define DYNLIB_MHD(name) DYNLIB_CALL(dynlib_mhd_api, DYNLIB_MHD, name)
#define MHD_add_response_header DYNLIB_MHD(MHD_add_response_header)
#define MHD_basic_auth_get_username_password DYNLIB_MHD(MHD_basic_auth_get_username_password)
#define MHD_create_response_from_buffer DYNLIB_MHD(MHD_create_response_from_buffer)
#define MHD_destroy_response DYNLIB_MHD(MHD_destroy_response)
#define MHD_get_connection_info DYNLIB_MHD(MHD_get_connection_info)
#define MHD_get_daemon_info DYNLIB_MHD(MHD_get_daemon_info)
#define MHD_lookup_connection_value DYNLIB_MHD(MHD_lookup_connection_value)
#define MHD_queue_response DYNLIB_MHD(MHD_queue_response)
#define MHD_start_daemon DYNLIB_MHD(MHD_start_daemon)
#define MHD_stop_daemon DYNLIB_MHD(MHD_stop_daemon)
#endif

#endif
