/*
 * sampling.c: the sampling intervals exporters announce, and the interval
 * a data record gets.
 *
 * Announcements come in options data records (NetFlow v9 [RFC 3954 6.2],
 * IPFIX [RFC 7011 3.4.2, RFC 5476 / 7012 PSAMP elements]).  A record gives
 * an interval by the first of these it carries with a non-zero value:
 *
 *   samplingInterval [34]                           N
 *   samplerRandomInterval [50]                      N
 *   samplingPacketInterval [305] / Space [306]      (305 + 306) / 305, rounded
 *   samplingSize [309] / samplingPopulation [310]   310 / 309, rounded
 *
 * If the options record also carries samplerId [48] or selectorId [302],
 * the interval belongs to that sampler and applies to data records that
 * carry the same id; otherwise it applies to the whole (exporter, domain).
 * Scope fields do not narrow it further (an interval announced with an
 * interface scope applies to the domain).  samplingAlgorithm [35],
 * samplerMode [49] and selectorAlgorithm [304] do not change the interval
 * and are not read.  systemInitTimeMilliseconds [160] in options data is
 * kept for the domain's sysUpTime-relative times.
 *
 * A data record gets, first match wins: the exporter's configured
 * override; an interval the record carries itself (same elements as
 * above); the interval of the sampler whose id it carries; the domain's
 * interval; else unknown (stored as 1 and counted in unknown_sampling).
 * template.c applies that order; this file keeps the samplers.
 */
#include "decode/decode_impl.h"

#include <stdlib.h>

static uint32_t clamp32(uint64_t v)
{
    return v > UINT32_MAX ? UINT32_MAX : (uint32_t)v;
}

/* round(num / den), den > 0, without overflow */
static uint64_t div_round(uint64_t num, uint64_t den)
{
    uint64_t q = num / den, r = num % den;
    return q + (r >= den - r);
}

uint32_t dec_vals_interval(const uint64_t *v)
{
    if (v[DT_INTERVAL]) return clamp32(v[DT_INTERVAL]);
    if (v[DT_RAND]) return clamp32(v[DT_RAND]);
    if (v[DT_PKT_INT]) return clamp32(1 + div_round(v[DT_PKT_SPACE], v[DT_PKT_INT]));
    if (v[DT_SAMP_SIZE] && v[DT_SAMP_POP]) return clamp32(div_round(v[DT_SAMP_POP], v[DT_SAMP_SIZE]));
    return 0;
}

uint32_t dec_sampler_find(const dec_domain *dom, uint64_t id)
{
    for (uint16_t i = 0; i < dom->nsamplers; i++)
        if (dom->samplers[i].id == id) return dom->samplers[i].interval;
    return 0;
}

/* Set sampler id's interval: 1 if that changed something, 0 if not, -1
 * when the table is full or out of memory. */
int dec_sampler_set(dec_domain *dom, uint64_t id, uint32_t interval)
{
    uint16_t i = 0;
    while (i < dom->nsamplers && dom->samplers[i].id != id) i++;
    if (i < dom->nsamplers) {
        if (dom->samplers[i].interval == interval) return 0;
        dom->samplers[i].interval = interval;
        return 1;
    }
    if (i >= DEC_MAX_SAMPLERS) return -1;
    if (!dom->samplers) {
        dom->samplers = malloc(DEC_MAX_SAMPLERS * sizeof *dom->samplers);
        if (!dom->samplers) return -1;
    }
    dom->samplers[i] = (dec_sampler){id, interval};
    dom->nsamplers++;
    return 1;
}

void dec_options_record(dec_ctx *c, dec_domain *dom, const dec_template *t,
                        const uint64_t *v)
{
    if ((t->fin & FIN_SYS_INIT) && v[DT_SYS_INIT]) {
        uint64_t raw = v[DT_SYS_INIT];
        int64_t init = raw > INT64_MAX ? INT64_MAX : (int64_t)raw;
        if (!dom->has_sys_init || dom->sys_init_ms != init) {
            dom->has_sys_init = 1;
            dom->sys_init_ms = init;
            dec_changed(c->d);
        }
    }
    uint32_t iv = dec_vals_interval(v);
    if (!iv) return;
    if (t->fin & FIN_SAMPLER_ID) {
        int rc = dec_sampler_set(dom, v[DT_SAMPLER], iv);
        if (rc > 0) dec_changed(c->d);
        if (rc < 0) dec_fail(c, "more than %d samplers; sampler %llu ignored",
                             DEC_MAX_SAMPLERS, (unsigned long long)v[DT_SAMPLER]);
    } else if (dom->interval != iv) {
        dom->interval = iv;
        dec_changed(c->d);
    }
}
