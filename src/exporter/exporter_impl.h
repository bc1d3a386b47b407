/*
 * exporter_impl.h: INTERNAL to src/exporter/.  The encoder's state
 * (encode.c), shared with the sender (exporter.c) and follow mode
 * (follow.c).
 */
#ifndef C2FLOW_EXPORTER_IMPL_H
#define C2FLOW_EXPORTER_IMPL_H

#include <time.h>

#include "exporter/exporter.h"

#define EXP_RECENT 64

/* A data datagram being filled. */
typedef struct exp_open {
    uint8_t *buf;                   /* max_payload bytes, from the pool */
    uint32_t len;                   /* bytes used */
    uint16_t count;                 /* records in it */
    int64_t  newest_end;            /* latest record end, ms */
} exp_open;

/* One router: the public part first, so that a pointer to it is one to
 * the public part. */
typedef struct exp_router {
    exporter_router pub;
    uint32_t seq;                   /* v9: datagrams sent; IPFIX: data records */
    int64_t  boot_ms;               /* v9 sysUptime 0 */
    uint32_t interval;              /* of the records in the open datagrams */
    uint32_t since_template;        /* data datagrams since the templates */
    int64_t  template_ms;           /* export time of the last templates */
    int      templated;             /* templates have gone out */
    exp_open open[2];               /* [0] IPv4, [1] IPv6 */
} exp_router;

struct exporter_encoder {
    int          version;
    uint32_t     max_payload;
    uint32_t     template_every;
    int64_t      refresh_ms;        /* 0 = by count only */
    int64_t      uptime_ms;
    uint32_t     max_routers;
    int          one_source;

    exp_router  *routers;
    uint32_t     nrouters, cap_routers;
    uint32_t    *slots;             /* hash of (exporter, domain): index + 1 */
    uint32_t     nslots;            /* power of two, >= 2 x routers */
    uint32_t     recent[EXP_RECENT]; /* by domain % EXP_RECENT: the router
                                       last seen + 1 (0 = none) */
    uint32_t     nsources;

    exporter_datagram *queue;       /* finished datagrams, send order */
    size_t       nqueue, cap_queue;
    uint8_t    **pool;              /* free buffers */
    size_t       npool, cap_pool;   /* cap_pool >= nbufs: all fit back */
    size_t       nbufs;             /* buffers allocated */
};

/* follow.c: follow mode */
typedef struct exp_follow exp_follow;
int  exp_follow_open(const exporter_options *opt, exp_follow **out, c2_err *err);
void exp_follow_free(exp_follow *f);
/* With the window full, wait until half of it has drained; *room = how
 * many datagrams fit now (>= 1).  0, or -1 with err. */
int  exp_follow_room(exp_follow *f, uint64_t sent, uint64_t window, uint64_t *room,
                     c2_err *err);
/* Wait until the collector has accounted for all `sent` datagrams. */
int  exp_follow_drain(exp_follow *f, uint64_t sent, c2_err *err);
void exp_follow_stats(const exp_follow *f, exporter_stats *st);

/* exporter.c */
double exp_mono_s(void);
void   exp_sleep_until(const struct timespec *deadline);

#endif
