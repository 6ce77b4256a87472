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
 * scaled to unit length (zero rows stay zero) when cosine, as given
 * otherwise. batch is the mini-batch size (a batch of min(n, batch) nodes;
 * n / batch batches an epoch, the rest of the permutation left out, as
 * NOSMOG's code). perm (n) the epoch's permutation; scratch: zb (b, ds)
 * the batch's student rows, us (b, ds) the compared rows, norm (b) their
 * lengths, st, ss (b, b) the similarity matrices, du (b, ds), ut (b, dt).
 * The projector (NOSMOG's mlp_feature_encoder, gkd_rsd_set_projector):
 * the student's rows become relu(z W^T + bias) before the similarities;
 * w (ds, ds), bias (ds), their gradients dw, db and Adam moments m, v
 * (2 ds^2 + 2 ds each, w's then bias's), a (b, ds) the batch's
 * pre-activations; w NULL: no projector. */
typedef struct {
    int32_t n, dt, ds, batch, members;
    int cosine;
    float *t;
    int32_t *perm;
    float *zb, *us, *norm, *st, *ss, *du, *ut;
    float *w, *bias, *dw, *db, *m, *v, *a;
    float lr;
    int64_t step;
} gkd_rsd;

/* A new gkd_rsd for student width ds and batch size batch, the teacher's
 * members' hidden layers hidden[j] (n, dt), copied and row-normalised:
 * cosine similarities (r->cosine 1). GNNKD_EINVAL for n, dt, ds, batch or
 * members < 1; GNNKD_ENOMEM. Free with gkd_rsd_free. */
int gkd_rsd_new(gkd_rsd **r, const float *const *hidden, int members, int32_t n, int32_t dt,
                int32_t ds, int32_t batch, char *msg);
/* The same with dot products of the rows as given (NOSMOG's code: no
 * normalisation), cosine 0. */
int gkd_rsd_new_dot(gkd_rsd **r, const float *const *hidden, int members, int32_t n, int32_t dt,
                    int32_t ds, int32_t batch, char *msg);
/* Gives r NOSMOG's projector: w and bias drawn uniform in +-1/sqrt(ds)
 * (PyTorch's Linear) from seed, trained by Adam with step lr (betas 0.9,
 * 0.999, no decay) once per gkd_rsd_loss call that takes a gradient.
 * GNNKD_ENOMEM; r unchanged on failure. */
int gkd_rsd_set_projector(gkd_rsd *r, uint64_t seed, float lr, char *msg);
void gkd_rsd_free(gkd_rsd **r);

/* The epoch's batches: r->perm a permutation of 0..n-1 drawn from (seed,
 * epoch) by the counter RNG (the same on any thread count). O(n). */
void gkd_rsd_shuffle(gkd_rsd *r, uint64_t seed, int epoch);

/* The loss of the student's hidden rows z (n, ds) over the epoch's batches
 * (gkd_rsd_shuffle): per batch B, S_t = the members' mean of U_t U_t^T and
 * S_s = U_s U_s^T over B's rows, U the rows (after the projector, if any)
 * scaled to unit length if r->cosine, and the batch's loss mean((S_s -
 * S_t)^2) over its b x b entries; the loss is the batches' mean. dz (n,
 * ds), if not NULL, gets weight times its gradient added (rows outside the
 * batches untouched); with a projector, dw and db then hold weight times
 * theirs, and the call ends with the projector's Adam step (a call with
 * dz NULL changes nothing). GEMMs through BLAS; O(n b (ds + members dt) +
 * n ds^2). */
static inline double gkd_rsd_loss(float *dz, gkd_rsd *r, const float *z, float weight);
/* The same over the epoch's batches q0 .. q1-1 alone, their mean (one
 * mini-batch step's share, gnnkd_train_options.batch); 0 and nothing
 * changed for an empty range. */
double gkd_rsd_loss_part(float *dz, gkd_rsd *r, const float *z, float weight, int32_t q0,
                         int32_t q1);
/* The same by the definitions, serial and in double, with no Adam step:
 * the tests' oracle (dw, db, if not NULL, get the projector's gradients
 * added). */
double gkd_rsd_loss_ref(float *dz, double *dw, double *db, const gkd_rsd *r, const float *z,
                        float weight);

/* The number of batches an epoch: max(1, n / batch). */
static inline int32_t gkd_rsd_batches(const gkd_rsd *r) {
    return r->n / r->batch > 1 ? r->n / r->batch : 1;
}
static inline double gkd_rsd_loss(float *dz, gkd_rsd *r, const float *z, float weight) {
    return gkd_rsd_loss_part(dz, r, z, weight, 0, gkd_rsd_batches(r));
}
/* The rows of a batch: min(n, batch). */
static inline int32_t gkd_rsd_rows(const gkd_rsd *r) { return r->n < r->batch ? r->n : r->batch; }

#endif /* GKD_DISTILL_RSD_H */
