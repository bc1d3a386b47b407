/*
 * evaluate_impl: what the files of src/evaluate/ share.  Not a public header.
 */
#ifndef C2FLOW_EVALUATE_IMPL_H
#define C2FLOW_EVALUATE_IMPL_H

#include "evaluate/evaluate.h"

/* Copy n bytes of src into dst (cap bytes, NUL added) as text a JSON writer
 * and a terminal accept: valid UTF-8 kept, control characters turned into
 * spaces, invalid bytes into '?', blanks at the ends dropped, cut at a
 * character boundary. */
void evaluate_text_copy(char *dst, size_t cap, const char *src, size_t n);

/* Clean a message that may quote the input (a parser's error echoing a
 * control character) the same way; err may be NULL. */
void evaluate_err_clean(c2_err *err);

/* Record a bad row in st (the first one's line and reason kept). */
void evaluate_stats_bad(evaluate_stats *st, uint64_t line, const char *why);

/* The last '/' part of a path. */
const char *evaluate_basename(const char *path);

/* Read a whole data file (at most EVALUATE_FILE_MAX bytes); a missing file
 * is an error too.  Caller frees *buf. */
int evaluate_file_read(const char *path, uint8_t **buf, size_t *len, c2_err *err);

#endif
