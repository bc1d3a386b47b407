/*
 * submission_impl.h: what the files of src/submission/ share and nobody
 * else sees.
 */
#ifndef C2FLOW_SUBMISSION_IMPL_H
#define C2FLOW_SUBMISSION_IMPL_H

#include <jansson.h>

#include "submission/submission.h"

/* 0 if no array or object in len bytes of JSON text nests deeper than
 * SUBMISSION_JSON_DEPTH, else -1 with err.  per_line: every line is its own
 * text (JSON Lines), so the count starts again after each '\n'.  Runs
 * before jansson sees the bytes, so its recursion stays shallow. */
int submission_json_depth(const void *body, size_t len, int per_line, c2_err *err);

/* stix.c: a STIX 2.1 bundle (len bytes, not yet checked for depth) into
 * a new list (*out, caller frees), or -1 with err "object N (ID): ...".
 * root: the body already parsed (taken over: freed here), or NULL. */
int submission_stix(const void *body, size_t len, json_t *root, const submission_limits *lim,
                    c2list **out, c2_err *err);

/* The first IPv4 or IPv6 address written anywhere in text s (a dotted
 * quad, or an IPv6 form with two or more colons standing as a word):
 * 1 and *ip / shown (>= FLOW_ADDR_STRLEN) set, or 0. */
int submission_find_address(const char *s, flow_addr *ip, char *shown, size_t len);

#endif
