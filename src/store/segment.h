/*
 * segment.h: INTERNAL to src/store/.  The segment file format and the code
 * that writes and reads one segment file.  Nothing outside src/store/ may
 * include this header; the rest of c2flow sees only store.h.
 *
 * A segment holds the records of one time slice (or part of one: a slice
 * may have several segments, e.g. from several writers or imports).  The
 * format, version 1, is specified in docs/store-format.md; in short:
 *
 *   +--------+-----------------------------------+--------+---------+
 *   | header | column chunks, block by block     | footer | trailer |
 *   | 32 B   | (each chunk one zstd frame)       |        | 24 B    |
 *   +--------+-----------------------------------+--------+---------+
 *
 * Header (32 B, little-endian):
 *    0  8  magic "C2FLOWSG"
 *    8  2  format version (1)
 *   10  2  header length (32)
 *   12  4  number of fields F (FLOW_FIELD_COUNT when written)
 *   16  8  slice start, ms since epoch (int64)
 *   24  4  slice length, ms
 *   28  4  CRC-32 of bytes 0..27
 *
 * Footer (at trailer.footer_offset):
 *    0  4  block count B
 *    4  4  number of fields F
 *    8  8  record count
 *   16  F x 32  segment zone: per field min (16 B) then max (16 B)
 *   then B block entries, each 8 + F x 32 + F x 24 bytes:
 *        0  4  records in the block (1 .. SEGMENT_MAX_BLOCK_RECORDS)
 *        4  4  reserved (0)
 *        8  F x 32  block zone
 *        then F column entries (24 B each):
 *            0  8  file offset of the chunk
 *            8  4  stored (compressed) length
 *           12  4  raw (transformed, uncompressed) length
 *           16  1  encoding (segment_encoding)
 *           17  3  reserved (0)
 *           20  4  CRC-32 of the stored bytes
 *
 * Trailer (last 24 B of the file):
 *    0  8  footer offset
 *    8  4  footer length
 *   12  4  CRC-32 of the footer
 *   16  8  magic "C2FLOWND"
 *
 * A zone value is 16 bytes: a flow_addr as is, any other type as a
 * little-endian 64-bit integer followed by 8 zero bytes.
 *
 * Invariants a reader checks before trusting anything: magic and CRCs;
 * chunk offset + stored length inside [header end, footer offset); raw
 * length within the bound for its encoding and record count; zstd frame
 * content size == raw length; every decoder consumes exactly raw length
 * and produces exactly `records` values.
 */
#ifndef C2FLOW_STORE_SEGMENT_H
#define C2FLOW_STORE_SEGMENT_H

#include <stdint.h>
#include <stdio.h>

#include "store/store.h"

#define SEGMENT_MAGIC "C2FLOWSG"
#define SEGMENT_END_MAGIC "C2FLOWND"
#define SEGMENT_VERSION 1
#define SEGMENT_HEADER_LEN 32
#define SEGMENT_TRAILER_LEN 24
#define SEGMENT_ZONE_VALUE_LEN 16
#define SEGMENT_COLUMN_ENTRY_LEN 24
#define SEGMENT_MAX_BLOCK_RECORDS (1u << 20)
#define SEGMENT_MAX_BLOCKS (1u << 20)
#define SEGMENT_SUFFIX ".c2s"

typedef enum segment_encoding {
    ENC_TIME_DELTA = 1,     /* zigzag varint of v[0], then of v[i]-v[i-1] */
    ENC_TIME_SINCE = 2,     /* end: zigzag varint of end[i]-start[i] */
    ENC_VARINT = 3,         /* LEB128 unsigned varints */
    ENC_SHUFFLE = 4,        /* fixed width, byte planes transposed */
    ENC_DICT = 5,           /* u32 n, n values, u8 index width, indexes */
    ENC_RAW = 6,            /* bytes as they are (u8 fields) */
    ENC_ADDR_SPLIT = 7,     /* IPv4 rows as 4 planes, others as 16 planes */
    ENC_TIME_BEFORE = 8,    /* start: zigzag varint of end[i]-start[i] */
} segment_encoding;

typedef struct segment_column {
    uint64_t offset;        /* file offset of the chunk */
    uint32_t stored_len;    /* zstd frame length */
    uint32_t raw_len;       /* transformed length */
    uint8_t  encoding;      /* segment_encoding */
    uint32_t crc;           /* CRC-32 of the stored bytes */
} segment_column;

typedef struct segment_block {
    uint32_t       records;
    store_zone     zone;
    segment_column col[FLOW_FIELD_COUNT];
} segment_block;

/* ---- column codec (codec.c): transform + zstd, pure functions ---- */

/* Reusable buffers and zstd contexts; one per thread. */
typedef struct codec_ctx codec_ctx;
codec_ctx *codec_new(int zstd_level);
void codec_free(codec_ctx *c);
/* Encode column f of rows [0, b->count) of b (count > 0).  On success *out
 * points to the zstd frame (borrowed until the next call), col gets
 * lengths, encoding and CRC, and min/max the column's zone (the values
 * codec_zone gives), computed in the same pass. */
int codec_encode(codec_ctx *c, const flow_batch *b, flow_field f,
                 const uint8_t **out, segment_column *col, flow_value *min,
                 flow_value *max, c2_err *err);
/* Decode a stored chunk of `n` values into column f of b (rows [0, n)).
 * A time column stored as a duration (ENC_TIME_SINCE, ENC_TIME_BEFORE) needs
 * the other time column decoded first.  An address column whose bit is in
 * b->v4_want also gets its IPv4 view (flow_batch), and its bit in
 * b->v4_fields; without it (or with no memory for it) the bit is cleared. */
int codec_decode(codec_ctx *c, const uint8_t *stored, const segment_column *col,
                 flow_field f, size_t n, flow_batch *b, c2_err *err);
/* The same for rows idx[0..k) only (ascending, each < n), into rows
 * [0, k) of column f of b.  The whole chunk is checked as codec_decode
 * checks it, so a malformed chunk fails whichever rows are asked for.  A
 * time column stored as a duration needs the other time column's values
 * of the same selected rows in b, rows [0, k).  No IPv4 view: f's bit in
 * b->v4_fields is cleared. */
int codec_decode_rows(codec_ctx *c, const uint8_t *stored, const segment_column *col,
                      flow_field f, size_t n, const uint32_t *idx, size_t k,
                      flow_batch *b, c2_err *err);
/* Min and max of column f over rows [0, n) of b (n > 0). */
void codec_zone(const flow_batch *b, flow_field f, size_t n,
                flow_value *min, flow_value *max);

/* CRC-32 of a chunk, the value c2_crc32(0, buf, len) gives, faster where
 * the CPU allows (crc.c). */
uint32_t store_crc32(const void *buf, size_t len);

/* Zone values on disk. */
void zone_value_put(uint8_t *p, flow_type t, const flow_value *v);
void zone_value_get(const uint8_t *p, flow_type t, flow_value *v);
/* Widen a zone by another. */
void zone_merge(store_zone *into, const store_zone *z);

/* ---- one segment being written (segment_writer.c) ---- */

typedef struct segment_writer segment_writer;
/* Create the temporary file for slice [slice_start, +slice_len) under dir
 * (the day directory), ready for blocks. */
int segment_writer_open(const char *day_dir, int64_t slice_start_ms,
                        int64_t slice_len_ms, segment_writer **out, c2_err *err);
/* Compress rows [0, b->count) of b (all fields) as the next block. */
int segment_writer_block(segment_writer *w, codec_ctx *c, const flow_batch *b,
                         c2_err *err);
/* Footer, fsync, rename into place, fsync the directory, free.  A segment
 * with no block is removed instead.  *bytes gets the file size. */
int segment_writer_seal(segment_writer *w, uint64_t *records, uint64_t *bytes,
                        c2_err *err);
/* Remove the temporary file and free. */
void segment_writer_abort(segment_writer *w);

/* ---- one segment being read (segment_reader.c) ---- */

typedef struct segment_reader {
    int            fd;
    char          *path;            /* owned */
    uint64_t       file_size;
    int64_t        slice_start_ms, slice_len_ms;
    uint32_t       nblocks;
    uint64_t       records;
    store_zone     zone;            /* whole segment */
    segment_block *blocks;          /* owned, nblocks entries */
    uint8_t       *chunk;           /* read buffer, owned */
    size_t         chunk_cap;
} segment_reader;

/* Open and validate header, trailer and footer.  Errors name the file. */
int  segment_reader_open(const char *path, segment_reader *r, c2_err *err);
void segment_reader_close(segment_reader *r);
/* Read and decode the columns in `fields` of block i into b (b->count set).
 * b must have been made with at least those fields and enough capacity
 * (segment_reader_max_block()).  *bytes_read is increased.  Errors name
 * the file, the block and the column. */
int  segment_reader_block(segment_reader *r, codec_ctx *c, uint32_t i,
                          uint32_t fields, flow_batch *b, uint64_t *bytes_read,
                          c2_err *err);
uint32_t segment_reader_max_block(const segment_reader *r);

/* A read buffer of one thread's own, so that many threads may decode
 * blocks of one open segment at once (pread, and nothing else of the
 * reader changes). */
typedef struct segment_buf {
    uint8_t *data;
    size_t   cap;
} segment_buf;
void segment_buf_free(segment_buf *io);
/* segment_reader_block with the thread's buffer and, when idx is given,
 * only rows idx[0..k) (ascending) of the block, into rows [0, k) of b
 * (codec_decode_rows).  Safe on one reader from many threads. */
int  segment_block_decode(const segment_reader *r, segment_buf *io, codec_ctx *c,
                          uint32_t i, uint32_t fields, const uint32_t *idx, size_t k,
                          flow_batch *b, uint64_t *bytes_read, c2_err *err);

/* ---- paths (store.c) ---- */

/* "STORE/YYYY/MM/DD" of a slice. */
void store_day_dir(const char *root, int64_t ms, char *buf, size_t len);
/* Parse a segment file name: slice start and length; 0 or -1. */
int  store_segment_name_parse(const char *day_dir_rel, const char *name,
                              int64_t *slice_start_ms, int64_t *slice_len_ms);

/* A listed segment. */
typedef struct segment_entry {
    char    *path;
    int64_t  slice_start_ms, slice_len_ms;
    uint64_t bytes;
} segment_entry;
/* Segments whose slice overlaps [from, to), sorted by slice then name.
 * Caller frees with store_list_free(). */
int  store_list(const store *s, int64_t from_ms, int64_t to_ms,
                segment_entry **out, size_t *n, uint64_t *temp_files,
                c2_err *err);
void store_list_free(segment_entry *e, size_t n);

#endif
