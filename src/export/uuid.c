/*
 * uuid.c: name-based UUIDs (RFC 9562 version 5: SHA-1 of a namespace and a
 * name), so that STIX and MISP ids follow from what they name and the same
 * list gives the same ids on every run and every machine; and the MD5 that
 * MISP feeds' hashes.csv is defined by.  The hashes are Nettle's (Debian's
 * nettle-dev, the library GnuTLS is built on).
 */
#include "export/export_impl.h"

#include <nettle/md5.h>
#include <nettle/sha1.h>
#include <stdio.h>
#include <string.h>

void export_sha1(const void *data, size_t len, uint8_t out[20])
{
    struct sha1_ctx c;
    sha1_init(&c);
    sha1_update(&c, len, data);
    sha1_digest(&c, SHA1_DIGEST_SIZE, out);
}

/* c2flow's namespace: an arbitrary fixed value.  Changing it changes every
 * id c2flow has ever exported, so it never changes. */
static const uint8_t c2flow_ns[16] = {
    0x5d, 0x0e, 0x6f, 0x3c, 0x1a, 0x2b, 0x5c, 0x4d,
    0x9e, 0x8f, 0x70, 0x61, 0x52, 0x43, 0x34, 0x25,
};

char *export_uuid5(const char *name, char *buf, size_t len)
{
    struct sha1_ctx c;
    uint8_t h[SHA1_DIGEST_SIZE];
    sha1_init(&c);
    sha1_update(&c, sizeof c2flow_ns, c2flow_ns);
    sha1_update(&c, strlen(name), (const uint8_t *)name);
    sha1_digest(&c, sizeof h, h);
    h[6] = (uint8_t)((h[6] & 0x0f) | 0x50);         /* version 5 */
    h[8] = (uint8_t)((h[8] & 0x3f) | 0x80);         /* RFC variant */
    snprintf(buf, len,
             "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
             h[0], h[1], h[2], h[3], h[4], h[5], h[6], h[7], h[8], h[9], h[10], h[11], h[12],
             h[13], h[14], h[15]);
    return buf;
}

char *export_md5_hex(const void *data, size_t len, char *buf, size_t buflen)
{
    struct md5_ctx c;
    uint8_t out[MD5_DIGEST_SIZE];
    md5_init(&c);
    md5_update(&c, len, data);
    md5_digest(&c, sizeof out, out);
    for (int i = 0; i < MD5_DIGEST_SIZE && 2 * (size_t)i + 2 < buflen; i++)
        snprintf(buf + 2 * i, 3, "%02x", out[i]);
    return buf;
}
