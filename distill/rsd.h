/*
 * rsd.h — what distill/ shares inside itself about NOSMOG's representation
 * similarity distillation (Tian et al., ICLR 2023): the loss (rsd.c) and
 * the trainer's entry with it (train.c, through lsp.h's gkd_train).
 */
#ifndef GKD_DISTILL_RSD_H
#define GKD_DISTILL_RSD_H

#include "core/internal.h"

/* The teacher's side of the loss over n nodes, and the scratch of one
 * batch. t holds the members' hidden rows (members, n, dt), each row
 * scaled to unit length (zero rows stay zero). batch is the mini-batch
 * size (a batch of min(n, batch) nodes; n / batch batches an epoch, the
 * rest of the permutation left out, as NOSMOG's code). perm (n) the
 * epoch's permutation; scratch: us (b, ds) the student's unit rows, norm
 * (b) their lengths, st, ss (b, b) the similarity matrices, du (b, ds). */
typedef struct {
    int32_t n, dt, ds, batch, members;
    float *t;
    int32_t *perm;
    float *us, *norm, *st, *ss, *du, *ut;
} gkd_rsd;

/* A new gkd_rsd for student width ds and batch size batch, the teacher's
 * members' hidden layers hidden[j] (n, dt), copied and row-normalised.
 * GNNKD_EINVAL for n, dt, ds, batch or members < 1; GNNKD_ENOMEM. Free with
 * gkd_rsd_free. */
int gkd_rsd_new(gkd_rsd **r, const float *const *hidden, int members, int32_t n, int32_t dt,
                int32_t ds, int32_t batch, char *msg);
void gkd_rsd_free(gkd_rsd **r);

/* The epoch's batches: r->perm a permutation of 0..n-1 drawn from (seed,
 * epoch) by the counter RNG (the same on any thread count). O(n). */
void gkd_rsd_shuffle(gkd_rsd *r, uint64_t seed, int epoch);

/* The loss of the student's hidden rows z (n, ds) over the epoch's batches
 * (gkd_rsd_shuffle): per batch B, S_t = the members' mean of U_t U_t^T and
 * S_s = U_s U_s^T over B's rows, U the rows scaled to unit length (cosine
 * similarities), and the batch's loss mean((S_s - S_t)^2) over its b x b
 * entries; the loss is the batches' mean. dz (n, ds), if not NULL, gets
 * weight times its gradient added (rows outside the batches untouched).
 * GEMMs through BLAS; O(n b (ds + members dt)). */
double gkd_rsd_loss(float *dz, gkd_rsd *r, const float *z, float weight);
/* The same by the definitions, serial and in double: the tests' oracle. */
double gkd_rsd_loss_ref(float *dz, const gkd_rsd *r, const float *z, float weight);

/* The number of batches an epoch: max(1, n / batch). */
static inline int32_t gkd_rsd_batches(const gkd_rsd *r) {
    return r->n / r->batch > 1 ? r->n / r->batch : 1;
}
/* The rows of a batch: min(n, batch). */
static inline int32_t gkd_rsd_rows(const gkd_rsd *r) { return r->n < r->batch ? r->n : r->batch; }

#endif /* GKD_DISTILL_RSD_H */
