/*
 * sequence.c: sequence numbers of export datagrams -> loss, reordering,
 * restarts.
 *
 * Every stream keeps the number it expects next.  A datagram with number
 * `seq` carrying `inc` units (1 for datagram counters: NetFlow v9, sFlow;
 * its records for record counters: NetFlow v5, IPFIX, sFlow samples per
 * source) is classified by d = seq - expected, taken modulo 2^32 as a
 * signed number:
 *
 *   d == 0                       in order.
 *   0 < d <= GAP_MAX             d units were lost; expect seq + inc.
 *   -BEHIND_MAX <= d < 0         late or duplicated: counted as reordered;
 *                                the expectation stays.  The loss counted
 *                                when the gap opened is not taken back
 *                                (counters only grow), so lost_* is an
 *                                upper bound when datagrams are reordered
 *                                and `reordered` says by how much at most.
 *   anything else               the exporter restarted or jumped: resync
 *                                on this datagram, count a reset, no loss.
 *
 * A router that restarts close to where it was counts backwards by less
 * than BEHIND_MAX, so its datagrams would all look late.  To catch that,
 * late datagrams that follow each other exactly (each one's seq is the
 * previous one's seq + inc) form a run; after RUN_RESYNC of them the
 * stream resynchronises on the run (a reset).  A few genuinely late
 * datagrams never form such a run, since the datagrams between them
 * arrived in time.
 *
 * Bounds: datagram counters GAP_MAX 2^20 (a million datagrams lost is a
 * long outage; more is more likely a restart at a random number), record
 * counters 2^24 (16.7 M records); BEHIND_MAX 2^16 for both.
 */
#include "decode/decode_impl.h"

#define GAP_MAX_PACKETS (1u << 20)
#define GAP_MAX_RECORDS (1u << 24)
#define BEHIND_MAX      (1u << 16)
#define RUN_RESYNC      3

dec_seq_result dec_seq_update(dec_seq *s, dec_seq_kind kind, uint32_t seq,
                              uint32_t inc, int inc_known)
{
    dec_seq_result r = {0, 0, 0};
    uint32_t gap_max = kind == DEC_SEQ_PACKETS ? GAP_MAX_PACKETS : GAP_MAX_RECORDS;
    if (s->valid) {
        uint32_t ahead = seq - s->next, behind = s->next - seq;
        if (ahead == 0) {
            /* in order */
        } else if (ahead <= gap_max) {
            r.lost = ahead;
        } else if (behind <= BEHIND_MAX) {
            s->alt_run = s->alt_run && seq == s->alt_next ? (uint8_t)(s->alt_run + 1) : 1;
            s->alt_next = seq + inc;
            if (!inc_known) s->alt_run = 0;
            if (s->alt_run < RUN_RESYNC) {
                r.late = 1;
                return r;
            }
            r.reset = 1;                    /* a restart just behind: follow it */
        } else {
            r.reset = 1;
        }
    }
    s->alt_run = 0;
    s->next = seq + inc;
    s->valid = inc_known != 0;
    return r;
}
