/*
 * loss.h — what distill/ offers dist/: the losses of distill/loss.c over
 * the rows one process holds of a mean over all processes' rows.
 */
#ifndef GKD_DISTILL_LOSS_H
#define GKD_DISTILL_LOSS_H

#include "gnnkd.h"

#include <stdint.h>

/* The gnnkd_teacher_targets flags of o: the one place its fields map to them. */
static inline int gkd_target_flags(const gnnkd_distill_options *o) {
    return (o->center ? GNNKD_TARGET_CENTER : 0) | (o->standardise ? GNNKD_TARGET_STANDARDISE : 0);
}

/* gnnkd_loss_ce, _kd and _compress over the nidx rows idx of a mean over
 * denom rows (the other rows on other processes): the gradient weight /
 * denom, the return the rows' terms over denom. With denom = nidx they are
 * the public functions; a process's rows get the single process's bits. */
double gkd_loss_ce_of(float *dlogits, const float *logits, const int32_t *label,
                      const int32_t *idx, int64_t nidx, int64_t denom, int32_t C, float weight);
double gkd_loss_kd_of(float *dlogits, double *kl, const float *logits, const float *q,
                      const int32_t *idx, int64_t nidx, int64_t denom, int32_t C, float T,
                      float weight);
double gkd_loss_compress_of(float *dlogits, const float *logits, const float *t,
                            const int32_t *idx, int64_t nidx, int64_t denom, int32_t C,
                            float weight);

#endif /* GKD_DISTILL_LOSS_H */
