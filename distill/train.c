/* train.c — the one training loop every model goes through: plain training
 * on hard labels, knowledge distillation and model compression differ only in
 * the objective. Adam, dropout, weight decay, early stopping or best-epoch
 * selection; nothing is allocated inside the epoch loop. */
#include "distill/lsp.h"
#include "gnn/gnn.h"

#include <math.h>
#include <string.h>

void gnnkd_train_options_default(gnnkd_train_options *o) {
    memset(o, 0, sizeof *o);
    o->lr = 0.01f;
    o->beta1 = 0.9f;
    o->beta2 = 0.999f;
    o->eps = 1e-8f;
    o->weight_decay = 5e-4f;
    o->decay_all_layers = 0;
    o->epochs = 200;
    o->patience = 100;
    o->select = GNNKD_SELECT_VAL_ACC;
    o->seed = 0;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Checks that the model, dataset, graph and objective fit together. */
static int check_inputs(gnnkd_model *m, const gnnkd_dataset *d, const gnnkd_graph *g,
                        const gnnkd_train_options *o, const gnnkd_objective *obj,
                        const gkd_lsp *lsp, const gkd_rsd *rsd, char *msg) {
#define GKD_FREE_ALL
    const gnnkd_model_spec *s = gnnkd_model_get_spec(m);
    GKD_CHECK(s->dims[0] == d->nfeat && s->dims[s->nlayers] == d->nclass, GNNKD_EINVAL,
             "the model maps %d features to %d classes, the dataset %s has %d and %d",
             s->dims[0], s->dims[s->nlayers], d->name, d->nfeat, d->nclass);
    GKD_CHECK(s->kind != GNNKD_MODEL_GCN || g != NULL, GNNKD_EINVAL, "a GCN needs the graph");
    GKD_CHECK(d->nsplit[GNNKD_TRAIN] > 0, GNNKD_EINVAL, "dataset %s has no training nodes", d->name);
    GKD_CHECK(o->select == GNNKD_SELECT_LAST || o->select == GNNKD_SELECT_VAL_ACC ||
                  o->select == GNNKD_SELECT_VAL_LOSS, GNNKD_EINVAL, "unknown model selection %d",
              (int)o->select);
    // selecting by an empty validation set would silently keep epoch 1's weights
    GKD_CHECK(d->nsplit[GNNKD_VAL] > 0 || o->select == GNNKD_SELECT_LAST, GNNKD_EINVAL,
              "dataset %s: the validation set is empty, and model selection by validation "
              "%s needs it: give validation nodes (--split) or keep the last epoch (--select last)",
              d->name, o->select == GNNKD_SELECT_VAL_ACC ? "accuracy" : "loss");
    for (int sp = 0; sp < 3; sp++)
        for (int32_t k = 0; k < d->nsplit[sp]; k++) {
            int32_t i = d->split[sp][k];
            GKD_CHECK(i >= 0 && i < d->n && d->label[i] >= 0 && d->label[i] < d->nclass,
                     GNNKD_EINVAL, "dataset %s: split node %d has no valid label", d->name, i);
        }
    GKD_CHECK(o->epochs > 0 && o->lr > 0.0f && o->patience >= 0 && o->batch >= 0, GNNKD_EINVAL,
             "training options: epochs and lr must be positive, patience and batch non-negative");
    GKD_CHECK(o->batch == 0 || obj == NULL || !gkd_method_lsp(obj->method), GNNKD_EINVAL,
              "mini-batches (batch %d) do not go with %s: its structure term covers every "
              "node", o->batch, gnnkd_method_name(obj ? obj->method : GNNKD_METHOD_SCRATCH));
    if (obj && gkd_method_lsp(obj->method))
        GKD_CHECK(lsp != NULL && lsp->n == d->n && gkd_model_tap_width(m) > 0, GNNKD_EINVAL,
                  "%s needs the teacher's local structure over the dataset's nodes: train "
                  "through gnnkd_distill_student", gnnkd_method_name(obj->method));
    if (rsd)
        GKD_CHECK(rsd->n == d->n && gkd_model_tap_width(m) == rsd->ds, GNNKD_EINVAL,
                  "similarity distillation needs the teacher's hidden layer over the dataset's "
                  "%d nodes (it has %d) and the student's tapped layer: train through "
                  "gnnkd_distill_student", d->n, rsd->n);
    if (obj)
        GKD_CHECK(obj->adv_eps == 0.0f ||
                      (isfinite(obj->adv_eps) && obj->adv_eps > 0.0f && obj->adv_steps >= 1 &&
                       isfinite(obj->adv_weight) && obj->adv_weight >= 0.0f &&
                       s->kind != GNNKD_MODEL_GAT),
                  GNNKD_EINVAL, "adversarial augmentation: eps %g, steps %d, weight %g: eps must "
                  "be >= 0, steps >= 1, weight >= 0, and the student not a gat",
                  (double)obj->adv_eps, obj->adv_steps, (double)obj->adv_weight);
    if (obj && gkd_method_soft(obj->method)) {
        GKD_CHECK(obj->target != NULL && obj->transfer != NULL, GNNKD_EINVAL,
                 "distillation needs a target and a transfer set");
        GKD_CHECK(obj->alpha >= 0.0f && obj->alpha <= 1.0f, GNNKD_EINVAL,
                 "alpha must be in [0, 1], got %g", (double)obj->alpha);
        GKD_CHECK(!gkd_method_kd(obj->method) || obj->temperature > 0.0f, GNNKD_EINVAL,
                 "temperature must be positive, got %g", (double)obj->temperature);
        for (int32_t k = 0; k < obj->ntransfer; k++)
            GKD_CHECK(obj->transfer[k] >= 0 && obj->transfer[k] < d->n, GNNKD_EINVAL,
                     "transfer node %d is outside 0..%d", obj->transfer[k], d->n - 1);
    }
    return GNNKD_OK;
#undef GKD_FREE_ALL
}

/* gnnkd_evaluate's scores, and *z the model's own logits (n, C), borrowed
 * until its next pass. */
static int evaluate(gnnkd_model *m, gnnkd_train_result *r, const float **z,
                    const gnnkd_dataset *d, const gnnkd_graph *g, char *msg) {
    int rc = gnnkd_model_forward(m, z, d, g, 0, 0, 0, msg);
    if (rc != GNNKD_OK) return rc;
    for (int sp = 0; sp < 3; sp++) {
        r->acc[sp] = gnnkd_accuracy(*z, d->label, d->split[sp], d->nsplit[sp], d->nclass);
        r->loss[sp] = gnnkd_loss_ce(NULL, *z, d->label, d->split[sp], d->nsplit[sp], d->nclass, 1.0f);
    }
    return GNNKD_OK;
}

gnnkd_status gnnkd_evaluate(gnnkd_model *m, gnnkd_train_result *r, float *logits,
                            const gnnkd_dataset *d, const gnnkd_graph *g, char *msg) {
    GKD_CLEAR_MSG;
#define GKD_FREE_ALL
    const float *z = NULL;
    GKD_TRY(evaluate(m, r, &z, d, g, msg));
    if (logits) memcpy(logits, z, (size_t)d->n * (size_t)d->nclass * sizeof(float));
    return GNNKD_OK;
#undef GKD_FREE_ALL
}

/* The nodes of one Adam step: the hard term's training nodes, the soft
 * term's transfer nodes, and the similarity term's batches q0 .. q1-1. */
typedef struct {
    const int32_t *train, *transfer;
    int32_t ntrain, ntransfer, q0, q1;
} step_nodes;

/* Zeroes dlogits and adds the gradient of the step's loss over b's nodes
 * (without the decay term); returns the loss. */
static double step_loss(float *dlogits, const float *z, const gnnkd_dataset *d,
                        const gnnkd_objective *obj, gnnkd_method method, float hard_w,
                        float soft_w, const step_nodes *b) {
    const int32_t C = d->nclass;
    memset(dlogits, 0, (size_t)d->n * C * sizeof(float));
    double loss = 0.0;
    if (hard_w > 0.0f && b->ntrain > 0)
        loss += hard_w * gnnkd_loss_ce(dlogits, z, d->label, b->train, b->ntrain, C, hard_w);
    if (b->ntransfer == 0) return loss;
    if (method == GNNKD_METHOD_EUCLID) // one norm over the step's transfer nodes
        loss += soft_w * gnnkd_loss_euclid(dlogits, z, obj->target, b->transfer, b->ntransfer, C,
                                           obj->temperature, soft_w);
    else if (gkd_method_kd(method))
        loss += soft_w * gnnkd_loss_kd(dlogits, NULL, z, obj->target, b->transfer, b->ntransfer,
                                       C, obj->temperature, soft_w);
    else if (method == GNNKD_METHOD_COMPRESS)
        loss += soft_w * gnnkd_loss_compress(dlogits, z, obj->target, b->transfer, b->ntransfer,
                                             C, soft_w);
    return loss;
}

/* perm (len) = a permutation of src (len) drawn from key (Fisher-Yates). */
static void shuffle(int32_t *perm, const int32_t *src, int32_t len, uint64_t key) {
    memcpy(perm, src, (size_t)len * sizeof *perm);
    for (int32_t i = len - 1; i > 0; i--) {
        int32_t j = (int32_t)(gkd_uniform(key, (uint64_t)i) * (float)(i + 1));
        if (j > i) j = i;
        int32_t v = perm[i];
        perm[i] = perm[j];
        perm[j] = v;
    }
}

/* The k-th of K equal slices of len: [k len / K, (k + 1) len / K). */
static int32_t slice_lo(int32_t len, int k, int K) { return (int32_t)((int64_t)k * len / K); }

/* x (n, nfeat) = d's features, dense, + delta (n, nfeat) if not NULL. */
static void fill_features(float *x, const gnnkd_dataset *d, const float *delta) {
    const int64_t F = d->nfeat, len = (int64_t)d->n * F;
    if (d->x.rowptr == NULL) {
        for (int64_t e = 0; e < len; e++) x[e] = d->xdense[e] + (delta ? delta[e] : 0.0f);
        return;
    }
    if (delta) memcpy(x, delta, (size_t)len * sizeof *x);
    else memset(x, 0, (size_t)len * sizeof *x);
    for (int32_t i = 0; i < d->n; i++)
        for (int64_t p = d->x.rowptr[i]; p < d->x.rowptr[i + 1]; p++)
            x[i * F + d->x.colidx[p]] += d->x.val ? d->x.val[p] : 1.0f;
}

/* What one run of gkd_train holds fixed: its inputs, the objective's
 * weights and the workspaces that every step reuses. */
typedef struct {
    gnnkd_model *m;
    const gnnkd_dataset *d, *dt; // dt: d, or a dense view of its features (adversarial)
    const gnnkd_graph *g;
    const gnnkd_train_options *o;
    const gnnkd_objective *obj;
    gnnkd_method method;
    float hard_w, soft_w;
    gkd_lsp *lsp; // NULL unless the method has the structure term
    float lsp_weight;
    gkd_rsd *rsd; // NULL without similarity distillation
    float rsd_weight;
    int32_t D;                   // the tapped hidden layer's width (LSP, RSD), else 0
    float *dlogits, *dtap;       // (n, C), (n, D)
    float *xadv, *delta, *xgrad; // (n, F) each, adversarial only
} trainer;

/* PGD (Madry et al. 2018) as NOSMOG runs it: delta uniform in the L-inf
 * ball of radius eps, then steps ascents of eps / 4 along the sign of the
 * loss's input gradient, each clipped back to the ball. The model runs
 * without dropout; its parameter gradients are left zero. On return xadv
 * holds the clean features again. */
static int pgd(const trainer *t, const step_nodes *b, uint64_t stepid, char *msg) {
    const int64_t len = (int64_t)t->d->n * t->d->nfeat;
    const float eps = t->obj->adv_eps, step = t->obj->adv_eps / 4.0f;
    const uint64_t key = gkd_key(t->o->seed, 0x414456u /* "ADV" */, stepid);
    float *delta = t->delta, *grad = t->xgrad;
    int rc = GNNKD_OK;
    for (int64_t e = 0; e < len; e++) delta[e] = eps * (2.0f * gkd_uniform(key, (uint64_t)e) - 1.0f);
    for (int s = 0; rc == GNNKD_OK && s < t->obj->adv_steps; s++) {
        const float *z = NULL;
        fill_features(t->xadv, t->d, delta);
        rc = gnnkd_model_forward(t->m, &z, t->dt, t->g, 0, 0, 0, msg);
        if (rc != GNNKD_OK) break;
        step_loss(t->dlogits, z, t->dt, t->obj, t->method, t->hard_w, t->soft_w, b);
        rc = gnnkd_model_input_grad(t->m, grad, t->dlogits, t->dt, t->g, msg);
        for (int64_t e = 0; rc == GNNKD_OK && e < len; e++) {
            float v = delta[e] + (grad[e] > 0.0f ? step : grad[e] < 0.0f ? -step : 0.0f);
            delta[e] = v > eps ? eps : v < -eps ? -eps : v;
        }
    }
    gkd_model_zero_grad(t->m);
    fill_features(t->xadv, t->d, NULL);
    return rc;
}

/* The hidden-layer terms of a step: sets dtap (n, D) to their gradient at
 * the model's tapped layer and returns their weighted loss. LSP covers
 * every node; similarity distillation takes the step's batches. */
static double hidden_loss(const trainer *t, const step_nodes *b, gnnkd_profile *prof) {
    const int32_t n = t->d->n, D = t->D;
    const float *tap = gkd_model_tap(t->m);
    double loss = 0.0, t1 = prof ? gkd_now() : 0.0;
    if (t->lsp) {
        loss += t->lsp_weight * gkd_lsp_loss(t->dtap, t->lsp, tap, D, t->lsp_weight);
        if (prof) {
            double e = (double)gnnkd_csr_nnz(&t->lsp->s);
            // two neighbour rows an edge, and about 48 bytes of per-edge arrays
            gkd_profile_add(prof, GNNKD_PROFILE_ADJACENCY, gkd_now() - t1, 10.0 * e * D,
                            8.0 * e * D + 48.0 * e, "LSP loss and gradient (n,%d)", D);
            t1 = gkd_now();
        }
    } else {
        memset(t->dtap, 0, (size_t)n * D * sizeof *t->dtap);
    }
    if (t->rsd) { // after LSP, which overwrites dtap
        loss += t->rsd_weight * gkd_rsd_loss_part(t->dtap, t->rsd, tap, t->rsd_weight, b->q0, b->q1);
        if (prof) {
            double bs = gkd_rsd_rows(t->rsd), rows = (double)(b->q1 - b->q0) * bs;
            gkd_profile_add(prof, GNNKD_PROFILE_GEMM, gkd_now() - t1,
                            2.0 * rows * bs * (2.0 * D + t->rsd->members * t->rsd->dt),
                            4.0 * rows * (2.0 * D + t->rsd->dt) + 12.0 * rows * bs,
                            "similarity distillation (%d batches of %d)", b->q1 - b->q0, (int)bs);
        }
    }
    return loss;
}

/* One Adam step over b's nodes: PGD (adversarial), the forward pass with
 * dropout, the losses, backward (then the perturbed pass), Adam. l2 is the
 * weight-decay term, returned by the previous step; adam_t counts steps
 * from 1. Sets *loss to the step's loss. */
static int train_step(const trainer *t, const step_nodes *b, int epoch, uint64_t stepid,
                      int adam_t, double *l2, double *loss, char *msg) {
#define GKD_FREE_ALL
    gnnkd_model *m = t->m;
    const gnnkd_dataset *d = t->d, *dt = t->dt;
    gnnkd_profile *prof = gkd_model_profile(m);
    const float *z = NULL;
    if (t->xadv) GKD_TRY(pgd(t, b, stepid, msg));
    GKD_TRY(gnnkd_model_forward(m, &z, dt, t->g, 1, t->o->seed, stepid, msg));
    double t1 = prof ? gkd_now() : 0.0;
    double sloss = step_loss(t->dlogits, z, d, t->obj, t->method, t->hard_w, t->soft_w, b);
    if (prof) {
        const int32_t C = d->nclass;
        int64_t rows = b->ntrain + b->ntransfer;
        gkd_profile_add(prof, GNNKD_PROFILE_ELEMENTWISE, gkd_now() - t1, 4.0 * rows * C,
                        4.0 * d->n * C + 8.0 * rows * C, "loss, zero dlogits (n,%d)", C);
    }
    if (t->dtap) sloss += hidden_loss(t, b, prof);
    sloss += *l2;
    GKD_CHECK(isfinite(sloss), GNNKD_ENUMERIC,
              "epoch %d: the training loss is %g (try a smaller learning rate)", epoch, sloss);
    GKD_TRY(gkd_model_backward_tap(m, t->dlogits, t->dtap, dt, t->g, msg));
    if (t->xadv) { // the perturbed pass, with dropout masks of its own
        const float aw = t->obj->adv_weight;
        fill_features(t->xadv, d, t->delta);
        GKD_TRY(gnnkd_model_forward(m, &z, dt, t->g, 1, t->o->seed, ((uint64_t)1 << 32) + stepid,
                                    msg));
        sloss += step_loss(t->dlogits, z, dt, t->obj, t->method, aw * t->hard_w, aw * t->soft_w, b);
        GKD_TRY(gnnkd_model_backward(m, t->dlogits, dt, t->g, msg));
        fill_features(t->xadv, d, NULL);
    }
    *l2 = gkd_model_adam_step(m, t->o, adam_t);
    *loss = sloss;
    return GNNKD_OK;
#undef GKD_FREE_ALL
}

gnnkd_status gnnkd_train(gnnkd_model *m, gnnkd_train_result *r, const gnnkd_dataset *d,
                         const gnnkd_graph *g, const gnnkd_train_options *o,
                         const gnnkd_objective *obj, char *msg) {
    GKD_CLEAR_MSG;
    return gkd_train(m, r, d, g, o, obj, NULL, 0.0f, NULL, 0.0f, msg);
}

int gkd_train(gnnkd_model *m, gnnkd_train_result *r, const gnnkd_dataset *d, const gnnkd_graph *g,
              const gnnkd_train_options *o, const gnnkd_objective *obj, gkd_lsp *lsp,
              float lsp_weight, gkd_rsd *rsd, float rsd_weight, char *msg) {
#define GKD_FREE_ALL                                                                       \
    do {                                                                                  \
        free(t.dlogits);                                                                  \
        free(t.dtap);                                                                     \
        free(t.xadv);                                                                     \
        free(t.delta);                                                                    \
        free(t.xgrad);                                                                    \
        free(best);                                                                       \
        free(val_loss);                                                                   \
        free(step_seconds);                                                               \
        gkd_cross_val_free(&cross);                                                       \
        free(ptrain);                                                                     \
        free(ptransfer);                                                                  \
        (void)gkd_model_set_exact(m, 0, NULL);                                            \
        gkd_model_set_input_dropout(m, 1);                                                \
    } while (0)
    trainer t = {0};
    float *best = NULL;
    int32_t *ptrain = NULL, *ptransfer = NULL;
    double *val_loss = NULL, *step_seconds = NULL;
    gkd_cross_val cross = {0};
    GKD_TRY(check_inputs(m, d, g, o, obj, lsp, rsd, msg));
    const int64_t nparams = gnnkd_model_num_params(m);
    const gnnkd_method method = obj ? obj->method : GNNKD_METHOD_SCRATCH;
    const float soft_w = gkd_method_soft(method) ? obj->alpha : 0.0f;
    const int structure = gkd_method_lsp(method);
    t = (trainer){.m = m, .d = d, .dt = d, .g = g, .o = o, .obj = obj, .method = method,
                  .hard_w = 1.0f - soft_w, .soft_w = soft_w, .lsp = structure ? lsp : NULL,
                  .lsp_weight = lsp_weight, .rsd = rsd, .rsd_weight = rsd_weight,
                  .D = structure || rsd ? gkd_model_tap_width(m) : 0};
    const int32_t ntrain = d->nsplit[GNNKD_TRAIN];
    const int32_t ntransfer = gkd_method_soft(method) ? obj->ntransfer : 0;
    // mini-batches: K steps an epoch over slices of permuted node lists
    const int32_t nbatched = ntransfer > 0 ? ntransfer : ntrain;
    const int K = o->batch > 0 && nbatched / o->batch > 1 ? (int)(nbatched / o->batch) : 1;
    if (K > 1) {
        GKD_ALLOC(ptrain, ntrain);
        if (ntransfer > 0) GKD_ALLOC(ptransfer, ntransfer);
    }

    GKD_ALLOC(t.dlogits, (int64_t)d->n * d->nclass);
    if (t.D > 0) GKD_ALLOC(t.dtap, (int64_t)d->n * t.D);
    GKD_ALLOC(val_loss, o->epochs);
    GKD_ALLOC(step_seconds, o->epochs);
    if (o->select == GNNKD_SELECT_VAL_ACC) {
        GKD_ALLOC(best, nparams);
        GKD_TRY(gkd_cross_val_init(&cross, d->split[GNNKD_VAL], d->nsplit[GNNKD_VAL], msg));
    }
    // adversarial augmentation: the model sees a dense view dt of d's
    // features throughout (clean or perturbed in place), so its workspace
    // keeps one shape
    gnnkd_dataset view = *d;
    if (obj != NULL && obj->adv_eps > 0.0f) {
        const int64_t len = (int64_t)d->n * d->nfeat;
        GKD_ALLOC(t.xadv, len);
        GKD_ALLOC(t.delta, len);
        GKD_ALLOC(t.xgrad, len);
        memset(&view.x, 0, sizeof view.x);
        view.xdense = t.xadv;
        fill_features(t.xadv, d, NULL);
        t.dt = &view;
    }
    const gnnkd_dataset *dt = t.dt;
    gnnkd_model_set_feature_norm(m, d->feature_norm); // the one place a model learns it
    gkd_model_set_input_dropout(m, !o->hidden_dropout_only);
    GKD_TRY(gkd_model_set_exact(m, o->reproducible, msg));
    gkd_model_reset_adam(m);
    gkd_model_zero_grad(m); // then each Adam step leaves them zero
    double l2 = gkd_model_l2(m, o); // then each Adam step returns it

    double t_start = gkd_now();
    gkd_selection sel_state = GKD_SELECTION_INIT(val_loss);
    int epoch = 0;
    while (epoch < o->epochs) {
        epoch++;
        /* K training steps over slices of the shuffled lists */
        double t0 = gkd_now(), loss = 0.0;
        if (K > 1) {
            const uint64_t key = gkd_key(o->seed, 0x424154u /* "BAT" */, (uint64_t)epoch);
            shuffle(ptrain, d->split[GNNKD_TRAIN], ntrain, gkd_key(key, 0, 0));
            if (ntransfer > 0) shuffle(ptransfer, obj->transfer, ntransfer, gkd_key(key, 1, 0));
        }
        if (rsd) gkd_rsd_shuffle(rsd, o->seed, epoch);
        const int32_t nq = rsd ? gkd_rsd_batches(rsd) : 0;
        for (int k = 0; k < K; k++) {
            // K = 1: the lists as given; step k > 0 draws masks of its own
            const uint64_t stepid = (uint64_t)epoch + ((uint64_t)k << 40);
            const int32_t r0 = slice_lo(ntrain, k, K), s0 = slice_lo(ntransfer, k, K);
            const step_nodes b = {
                K > 1 ? ptrain + r0 : d->split[GNNKD_TRAIN],
                K > 1 ? ptransfer + s0 : ntransfer > 0 ? obj->transfer : NULL,
                slice_lo(ntrain, k + 1, K) - r0, slice_lo(ntransfer, k + 1, K) - s0,
                slice_lo(nq, k, K), slice_lo(nq, k + 1, K)};
            double sloss = 0.0;
            GKD_TRY(train_step(&t, &b, epoch, stepid, (epoch - 1) * K + k + 1, &l2, &sloss, msg));
            loss += sloss / K;
        }
        step_seconds[epoch - 1] = gkd_now() - t0;

        /* validation, without dropout, and without the profile: it records
         * training steps */
        gnnkd_train_result now;
        gnnkd_profile *prof = gkd_model_profile(m);
        gnnkd_model_set_profile(m, NULL);
        const float *zv = NULL;
        int vrc = evaluate(m, &now, &zv, dt, g, msg);
        gnnkd_model_set_profile(m, prof);
        GKD_TRY(vrc);
        if (best) gkd_cross_val_epoch(&cross, zv, d->label, d->nclass);
        if (o->progress) {
            gnnkd_epoch_info e = {epoch, loss, now.loss[GNNKD_VAL], now.acc[GNNKD_VAL],
                                  now.acc[GNNKD_TRAIN], gkd_now() - t_start};
            if (o->progress(o->progress_ctx, &e)) break;
        }

        const int sel = gkd_select_epoch(&sel_state, o, epoch, now.acc[GNNKD_VAL], now.loss[GNNKD_VAL]);
        if (sel & GKD_SELECT_KEEP) memcpy(best, gkd_model_params(m), (size_t)nparams * sizeof(float));
        if (sel & GKD_SELECT_STOP) break;
    }
    if (best) memcpy(gkd_model_params(m), best, (size_t)nparams * sizeof(float));

    memset(r, 0, sizeof *r);
    gnnkd_profile *prof = gkd_model_profile(m);
    gnnkd_model_set_profile(m, NULL); // the profile records training steps only
    int erc = gnnkd_evaluate(m, r, NULL, dt, g, msg);
    gnnkd_model_set_profile(m, prof);
    GKD_TRY(erc);
    r->epochs = epoch;
    r->best_epoch = sel_state.best_epoch;
    r->val_acc_cross = best ? gkd_cross_val_value(&cross) : NAN;
    r->train_seconds = gkd_now() - t_start;
    qsort(step_seconds, (size_t)epoch, sizeof(double), cmp_double);
    r->epoch_seconds_median = step_seconds[epoch / 2];
    r->epoch_seconds_min = step_seconds[0];
    r->epoch_seconds_max = step_seconds[epoch - 1];
    GKD_FREE_ALL;
    return GNNKD_OK;
#undef GKD_FREE_ALL
}
