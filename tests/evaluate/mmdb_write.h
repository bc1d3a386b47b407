/*
 * mmdb_write.h: a tiny MaxMind DB writer for tests, so that country
 * lookups are tested without the network or a downloaded database.
 *
 * It writes the layout of the public MaxMind DB format 2.0
 * (https://maxmind.github.io/MaxMind-DB/) in its simplest form:
 *
 *   search tree   node_count nodes of two 24-bit records (6 bytes each,
 *                 big-endian, left = bit 0, right = bit 1).  A record is
 *                 a node number (< node_count), node_count for "no data",
 *                 or node_count + 16 + offset of a value in the data
 *                 section.  IPv6 tree (ip_version 6); an IPv4 network
 *                 a.b.c.d/n sits at ::a.b.c.d/(96+n), where libmaxminddb
 *                 looks for IPv4 addresses.
 *   16 zero bytes the data section separator
 *   data section  one map {"country_code": "JP"} per distinct country
 *   "\xAB\xCD\xEFMaxMind.com" then the metadata map (node_count,
 *                 record_size 24, ip_version 6, database_type,
 *                 binary_format 2.0, build_epoch, languages [],
 *                 description {}).
 *
 * Values are typed by a control byte: type in the top 3 bits (2 string,
 * 5 uint16, 6 uint32, 7 map; 0 = extended, the type minus 7 in the next
 * byte: 9 uint64 -> 2, 11 array -> 4) and a size (< 29 here) in the low 5
 * bits; integers are big-endian in as few bytes as needed.
 *
 * Networks must not nest (a test tree has no need for it); the writer
 * aborts the test when they do.
 */
#ifndef C2FLOW_TEST_MMDB_WRITE_H
#define C2FLOW_TEST_MMDB_WRITE_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ipset/ipset.h"

typedef struct mmdbw_net {
    const char *prefix;                 /* "192.0.2.0/24", "2001:db8::/32" */
    const char *country;                /* two letters */
} mmdbw_net;

#define MMDBW_NODES 4096
#define MMDBW_EMPTY (-1)

typedef struct mmdbw {
    int32_t  rec[MMDBW_NODES][2];       /* >= 0 node, EMPTY, or -2 - value index */
    size_t   nodes;
    uint8_t  data[4096];                /* data section */
    size_t   dlen;
    uint32_t value_off[64];             /* offset of value i in data */
    char     value_cc[64][3];
    size_t   nvalues;
} mmdbw;

static void mmdbw_byte(uint8_t *buf, size_t *len, uint8_t b) { buf[(*len)++] = b; }

static void mmdbw_ctrl(uint8_t *buf, size_t *len, unsigned type, size_t size)
{
    if (type <= 7) {
        mmdbw_byte(buf, len, (uint8_t)(type << 5 | size));
    } else {
        mmdbw_byte(buf, len, (uint8_t)size);
        mmdbw_byte(buf, len, (uint8_t)(type - 7));
    }
}

static void mmdbw_str(uint8_t *buf, size_t *len, const char *s)
{
    mmdbw_ctrl(buf, len, 2, strlen(s));
    memcpy(buf + *len, s, strlen(s));
    *len += strlen(s);
}

static void mmdbw_uint(uint8_t *buf, size_t *len, unsigned type, uint64_t v)
{
    size_t n = 0;
    for (uint64_t x = v; x; x >>= 8) n++;
    mmdbw_ctrl(buf, len, type, n);
    while (n--) mmdbw_byte(buf, len, (uint8_t)(v >> (8 * n)));
}

static int32_t mmdbw_value(mmdbw *w, const char *cc)
{
    for (size_t i = 0; i < w->nvalues; i++)
        if (!strcmp(w->value_cc[i], cc)) return (int32_t)i;
    if (w->nvalues == 64 || strlen(cc) != 2) abort();
    memcpy(w->value_cc[w->nvalues], cc, 3);
    w->value_off[w->nvalues] = (uint32_t)w->dlen;
    mmdbw_ctrl(w->data, &w->dlen, 7, 1);
    mmdbw_str(w->data, &w->dlen, "country_code");
    mmdbw_str(w->data, &w->dlen, cc);
    return (int32_t)w->nvalues++;
}

static void mmdbw_insert(mmdbw *w, const mmdbw_net *net)
{
    flow_addr a;
    unsigned len;
    c2_err err;
    if (ipset_parse(net->prefix, &a, &len, &err) != 0 || len == 0) abort();
    if (flow_addr_is_v4(&a)) a.b[10] = a.b[11] = 0;   /* ::ffff:a.b.c.d -> ::a.b.c.d */
    int32_t node = 0, value = -2 - mmdbw_value(w, net->country);
    for (unsigned bit = 0; bit < len; bit++) {
        int side = a.b[bit / 8] >> (7 - bit % 8) & 1;
        int32_t *r = &w->rec[node][side];
        if (bit + 1 == len) {
            if (*r != MMDBW_EMPTY) abort();             /* nested networks */
            *r = value;
            return;
        }
        if (*r == MMDBW_EMPTY) {
            if (w->nodes == MMDBW_NODES) abort();
            w->rec[w->nodes][0] = w->rec[w->nodes][1] = MMDBW_EMPTY;
            *r = (int32_t)w->nodes++;
        }
        if (*r < 0) abort();                            /* nested networks */
        node = *r;
    }
}

static uint32_t mmdbw_record(const mmdbw *w, int32_t r)
{
    if (r >= 0) return (uint32_t)r;
    if (r == MMDBW_EMPTY) return (uint32_t)w->nodes;
    return (uint32_t)w->nodes + 16 + w->value_off[-2 - r];
}

static void mmdbw_metadata(const mmdbw *w, uint8_t *buf, size_t *len)
{
    mmdbw_ctrl(buf, len, 7, 9);
    mmdbw_str(buf, len, "binary_format_major_version"); mmdbw_uint(buf, len, 5, 2);
    mmdbw_str(buf, len, "binary_format_minor_version"); mmdbw_uint(buf, len, 5, 0);
    mmdbw_str(buf, len, "build_epoch"); mmdbw_uint(buf, len, 9, 1780000000);
    mmdbw_str(buf, len, "database_type"); mmdbw_str(buf, len, "c2flow-test-country");
    mmdbw_str(buf, len, "description"); mmdbw_ctrl(buf, len, 7, 0);
    mmdbw_str(buf, len, "ip_version"); mmdbw_uint(buf, len, 5, 6);
    mmdbw_str(buf, len, "languages"); mmdbw_ctrl(buf, len, 11, 0);
    mmdbw_str(buf, len, "node_count"); mmdbw_uint(buf, len, 6, w->nodes);
    mmdbw_str(buf, len, "record_size"); mmdbw_uint(buf, len, 5, 24);
}

/* Write the networks to path as an MMDB; 0, or -1 when the file cannot be
 * written. */
static int mmdbw_write(const char *path, const mmdbw_net *nets, size_t n)
{
    mmdbw *w = calloc(1, sizeof *w);
    if (!w) return -1;
    w->rec[0][0] = w->rec[0][1] = MMDBW_EMPTY;
    w->nodes = 1;
    for (size_t i = 0; i < n; i++) mmdbw_insert(w, &nets[i]);
    FILE *f = fopen(path, "wb");
    if (!f) { free(w); return -1; }
    for (size_t i = 0; i < w->nodes; i++) {
        uint8_t rec[6];
        for (int side = 0; side < 2; side++) {
            uint32_t v = mmdbw_record(w, w->rec[i][side]);
            rec[3 * side] = (uint8_t)(v >> 16);
            rec[3 * side + 1] = (uint8_t)(v >> 8);
            rec[3 * side + 2] = (uint8_t)v;
        }
        fwrite(rec, 1, 6, f);
    }
    static const uint8_t sep[16];
    fwrite(sep, 1, sizeof sep, f);
    fwrite(w->data, 1, w->dlen, f);
    uint8_t meta[1024];
    size_t mlen = 0;
    fwrite("\xab\xcd\xefMaxMind.com", 1, 14, f);
    mmdbw_metadata(w, meta, &mlen);
    fwrite(meta, 1, mlen, f);
    free(w);
    return fclose(f) == 0 ? 0 : -1;
}

#endif
