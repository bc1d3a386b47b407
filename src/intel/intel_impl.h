/*
 * intel_impl: what intel.c (the set and its index) and parse.c (the file
 * formats) share.  Not a public header.
 */
#ifndef C2FLOW_INTEL_IMPL_H
#define C2FLOW_INTEL_IMPL_H

#include <stdio.h>

#include "intel/intel.h"

/* A growing array of entries. */
typedef struct intel_vec {
    intel_entry *v;
    size_t       n, cap;
} intel_vec;

/* Append one entry; 0 or -1 (out of memory). */
int intel_vec_push(intel_vec *vec, const intel_entry *e);

/* Parse a whole input (f, or mem/len when f is NULL), appending its entries
 * to out with `source` set, and fill st.  -1 with err (no file name) on a
 * read error, an unusable header, or out of memory; the caller decides what
 * an input without entries means and drops what was appended on error. */
int intel_parse(FILE *f, const void *mem, size_t len, intel_format fmt,
                uint16_t source, intel_vec *out, intel_stats *st, c2_err *err);

#endif
