/* test_train.c — Adam against a hand-computed step, seeded reproducibility,
 * Kipf's GCN on Cora, early stopping, and the meeting point of KD and model
 * compression on Cora. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "gnn/gnn.h"
#include "tests/common.h"

static gnnkd_dataset *load(const char *name) {
    char msg[GNNKD_MSG_LEN] = "";
    gnnkd_dataset *d = NULL;
    cr_assert_eq(gnnkd_dataset_open(&d, name, test_citation_root(name), msg), GNNKD_OK, "%s", msg);
    cr_assert_eq(gnnkd_dataset_normalize_features(d, msg), GNNKD_OK, "%s", msg);
    return d;
}

static gnnkd_model *model(const char *text, const gnnkd_dataset *d, uint64_t seed) {
    char msg[GNNKD_MSG_LEN] = "";
    gnnkd_model_spec s;
    gnnkd_model *m = NULL;
    cr_assert_eq(gnnkd_model_spec_parse(&s, text, msg), GNNKD_OK, "%s", msg);
    cr_assert_eq(gnnkd_model_new(&m, &s, d->nfeat, d->nclass, seed, msg), GNNKD_OK, "%s", msg);
    return m;
}

/* Cora, its graph, a gcn:16 teacher (seed 0) trained for `epochs` epochs
 * in a teacher of its own, and every node as the transfer set. */
typedef struct {
    gnnkd_dataset *d;
    gnnkd_graph *g;
    gnnkd_model *tm;
    gnnkd_teacher *t;
    int32_t *all, nall;
} kd_setup;

static kd_setup kd_setup_new(int epochs) {
    char msg[GNNKD_MSG_LEN] = "";
    kd_setup s = {.d = load("cora")};
    cr_assert_eq(gnnkd_graph_new(&s.g, &s.d->adj, NULL), GNNKD_OK);
    gnnkd_train_options o;
    gnnkd_train_options_default(&o);
    o.epochs = epochs;
    gnnkd_train_result r;
    s.tm = model("gcn:16", s.d, 0);
    cr_assert_eq(gnnkd_train(s.tm, &r, s.d, s.g, &o, NULL, msg), GNNKD_OK, "%s", msg);
    cr_assert_eq(gnnkd_teacher_new(&s.t, s.d->n, s.d->nclass, NULL), GNNKD_OK);
    cr_assert_eq(gnnkd_teacher_add_model(s.t, s.tm, s.d, s.g, NULL), GNNKD_OK);
    cr_assert_eq(gnnkd_transfer_nodes(&s.all, &s.nall, s.d, GNNKD_TRANSFER_ALL, NULL, NULL),
                 GNNKD_OK);
    cr_assert_eq(s.nall, s.d->n);
    return s;
}

static void kd_setup_free(kd_setup *s) {
    free(s->all);
    gnnkd_teacher_free(&s->t);
    gnnkd_model_free(&s->tm);
    gnnkd_graph_free(&s->g);
    gnnkd_dataset_free(&s->d);
}

/* Two Adam steps on every parameter of a small MLP, against the update
 * written out by hand (Kingma & Ba, Algorithm 1), weight decay on layer 0 only. */
Test(train, adam_matches_hand_computed_steps) {
    gnnkd_dataset d = {.n = 1, .nfeat = 3, .nclass = 2};
    gnnkd_model *m = model("mlp:4", &d, 1);
    const int64_t np = gnnkd_model_num_params(m);
    cr_assert_eq(np, 3 * 4 + 4 + 4 * 2 + 2);
    float *p = gkd_model_params(m), *g = gkd_model_grads(m);
    float *p0 = malloc(np * sizeof *p0), *mm = calloc(np, sizeof *mm), *vv = calloc(np, sizeof *vv);
    memcpy(p0, p, np * sizeof *p0);
    gnnkd_train_options o;
    gnnkd_train_options_default(&o);
    o.weight_decay = 0.1f;
    for (int t = 1; t <= 2; t++) {
        for (int64_t e = 0; e < np; e++) g[e] = 0.01f * (float)(e % 7) - 0.03f * t;
        float gg[64];
        for (int64_t e = 0; e < np; e++) gg[e] = g[e] + (e < 12 ? 0.1f * p0[e] : 0.0f); /* W1 is first */
        gkd_model_adam_step(m, &o, t);
        for (int64_t e = 0; e < np; e++) {
            mm[e] = 0.9f * mm[e] + 0.1f * gg[e];
            vv[e] = 0.999f * vv[e] + 0.001f * gg[e] * gg[e];
            double mhat = mm[e] / (1 - pow(0.9, t)), vhat = vv[e] / (1 - pow(0.999, t));
            p0[e] -= (float)(0.01 * mhat / (sqrt(vhat) + 1e-8));
            cr_assert(fabsf(p[e] - p0[e]) < 1e-6f, "t=%d param %ld: %g vs %g", t, (long)e, p[e], p0[e]);
            cr_assert_eq(g[e], 0.0f, "the step consumes the gradient %ld", (long)e);
        }
    }
    free(p0), free(mm), free(vv);
    gnnkd_model_free(&m);
}

/* The same seed and thread count give the same bits; another seed does not. */
Test(train, same_seed_same_bits) {
    gnnkd_dataset *d = load("cora");
    gnnkd_graph *g = NULL;
    cr_assert_eq(gnnkd_graph_new(&g, &d->adj, NULL), GNNKD_OK);
    gnnkd_train_options o;
    gnnkd_train_options_default(&o);
    o.epochs = 30;
    float *first = NULL;
    int64_t np = 0;
    for (int k = 0; k < 3; k++) {
        o.seed = k < 2 ? 5 : 6;
        gnnkd_model *m = model("gcn:16", d, o.seed);
        gnnkd_train_result r;
        cr_assert_eq(gnnkd_train(m, &r, d, g, &o, NULL, NULL), GNNKD_OK);
        np = gnnkd_model_num_params(m);
        if (k == 0) {
            first = malloc(np * sizeof *first);
            memcpy(first, gkd_model_params(m), np * sizeof *first);
        } else if (k == 1) {
            cr_assert_arr_eq(first, gkd_model_params(m), np * sizeof *first);
        } else {
            cr_assert(memcmp(first, gkd_model_params(m), np * sizeof *first) != 0);
        }
        gnnkd_model_free(&m);
    }
    free(first);
    gnnkd_graph_free(&g);
    gnnkd_dataset_free(&d);
}

/* Kipf & Welling's recipe on Cora: 2-layer GCN, 16 hidden, their settings. */
Test(train, kipf_gcn_on_cora, .timeout = 600) {
    gnnkd_dataset *d = load("cora");
    gnnkd_graph *g = NULL;
    cr_assert_eq(gnnkd_graph_new(&g, &d->adj, NULL), GNNKD_OK);
    gnnkd_train_options o;
    gnnkd_train_options_default(&o);
    o.select = GNNKD_SELECT_VAL_LOSS; /* their early stopping */
    o.patience = 10;
    gnnkd_model *m = model("gcn:16", d, 0);
    gnnkd_train_result r;
    char msg[GNNKD_MSG_LEN] = "";
    cr_assert_eq(gnnkd_train(m, &r, d, g, &o, NULL, msg), GNNKD_OK, "%s", msg);
    cr_log_info("cora gcn:16 seed 0: test %.4f after %d epochs", r.acc[GNNKD_TEST], r.epochs);
    cr_assert_geq(r.acc[GNNKD_TEST], 0.79);
    cr_assert_gt(r.epochs, o.patience);
    cr_assert_leq(r.epochs, o.epochs);
    /* the result describes the weights the model holds */
    gnnkd_train_result again;
    cr_assert_eq(gnnkd_evaluate(m, &again, NULL, d, g, NULL), GNNKD_OK);
    cr_assert_eq(again.acc[GNNKD_TEST], r.acc[GNNKD_TEST]);
    gnnkd_model_free(&m);
    gnnkd_graph_free(&g);
    gnnkd_dataset_free(&d);
}

/* Best-validation-accuracy selection keeps the weights of its best epoch
 * (and fills the cross-fitted validation accuracy). */
Test(train, val_acc_selection_keeps_best_weights) {
    gnnkd_dataset *d = load("cora");
    gnnkd_graph *g = NULL;
    cr_assert_eq(gnnkd_graph_new(&g, &d->adj, NULL), GNNKD_OK);
    gnnkd_train_options o;
    gnnkd_train_options_default(&o);
    o.select = GNNKD_SELECT_VAL_ACC;
    o.epochs = 60;
    o.patience = 0;
    gnnkd_model *m = model("gcn:16", d, 3);
    gnnkd_train_result r;
    cr_assert_eq(gnnkd_train(m, &r, d, g, &o, NULL, NULL), GNNKD_OK);
    cr_assert_eq(r.epochs, 60);
    cr_assert(r.best_epoch >= 1 && r.best_epoch <= 60);
    /* train again for exactly best_epoch epochs: the same weights */
    gnnkd_model *m2 = model("gcn:16", d, 3);
    gnnkd_train_result r2;
    o.select = GNNKD_SELECT_VAL_LOSS;
    o.patience = 0;
    o.epochs = r.best_epoch;
    cr_assert_eq(gnnkd_train(m2, &r2, d, g, &o, NULL, NULL), GNNKD_OK);
    cr_assert_arr_eq(gkd_model_params(m), gkd_model_params(m2), gnnkd_model_num_params(m) * sizeof(float));
    /* the cross-fitted validation accuracy: a fraction under best-accuracy
     * selection, none under the other rules */
    cr_assert(r.val_acc_cross > 0.5 && r.val_acc_cross <= 1.0, "cross-fitted %g", r.val_acc_cross);
    cr_assert(isnan(r2.val_acc_cross));
    gnnkd_model_free(&m);
    gnnkd_model_free(&m2);
    gnnkd_graph_free(&g);
    gnnkd_dataset_free(&d);
}

/* For large T and zero-mean teacher logits, KD's gradient tends to model
 * compression's: an MLP student trained by KD at T = 1000 (alpha = 1) and one
 * trained by compression on centred logits end with near-identical predictions. */
Test(train, kd_at_high_temperature_meets_compression, .timeout = 600) {
    kd_setup ks = kd_setup_new(200);
    const gnnkd_dataset *d = ks.d;
    const gnnkd_graph *g = ks.g;
    const int32_t *all = ks.all, nall = ks.nall;
    char msg[GNNKD_MSG_LEN] = "";
    gnnkd_train_options o;
    gnnkd_train_options_default(&o);
    gnnkd_train_result r;

    const size_t nc = (size_t)d->n * d->nclass;
    float *target = malloc(nc * sizeof *target), *z[2];
    const gnnkd_method methods[2] = {GNNKD_METHOD_KD, GNNKD_METHOD_COMPRESS};
    double acc[2];
    o.epochs = 100;
    o.patience = 0;
    o.select = GNNKD_SELECT_VAL_LOSS; /* both end after exactly 100 epochs */
    for (int k = 0; k < 2; k++) {
        cr_assert_eq(gnnkd_teacher_targets(target, ks.t, methods[k], 1000.0f, 1, NULL), GNNKD_OK);
        gnnkd_objective obj = {methods[k], 1.0f, 1000.0f, target, all, nall};
        gnnkd_model *s = model("mlp:64", d, 1);
        cr_assert_eq(gnnkd_train(s, &r, d, g, &o, &obj, msg), GNNKD_OK, "%s", msg);
        acc[k] = r.acc[GNNKD_TEST];
        z[k] = malloc(nc * sizeof(float));
        cr_assert_eq(gnnkd_evaluate(s, &r, z[k], d, g, NULL), GNNKD_OK);
        gnnkd_model_free(&s);
    }
    int32_t same = 0;
    for (int32_t i = 0; i < d->n; i++) {
        int a = 0, b = 0;
        for (int j = 1; j < d->nclass; j++) {
            if (z[0][i * d->nclass + j] > z[0][i * d->nclass + a]) a = j;
            if (z[1][i * d->nclass + j] > z[1][i * d->nclass + b]) b = j;
        }
        same += a == b;
    }
    cr_log_info("KD T=1000 test %.4f, compression %.4f, same prediction on %d of %d nodes", acc[0],
                acc[1], same, d->n);
    cr_assert_geq(same, 0.97 * d->n);
    cr_assert_lt(fabs(acc[0] - acc[1]), 0.01);
    free(z[0]), free(z[1]), free(target);
    kd_setup_free(&ks);
}

/* Mini-batches (o.batch): a batch of at least the transfer set (one step an
 * epoch, K = 1) is the full-batch step to the bit, with dropout on the
 * hidden layer only at p = 0 too; K = 2 steps an epoch take a different
 * path and still learn the teacher. */
Test(train, minibatch_of_everything_is_full_batch, .timeout = 300) {
    kd_setup ks = kd_setup_new(40);
    const gnnkd_dataset *d = ks.d;
    const gnnkd_graph *g = ks.g;
    const int32_t *all = ks.all, nall = ks.nall;
    char msg[GNNKD_MSG_LEN] = "";
    gnnkd_train_options o;
    gnnkd_train_options_default(&o);
    o.epochs = 40;
    gnnkd_train_result r;
    float *target = malloc((size_t)d->n * d->nclass * sizeof *target);
    cr_assert_eq(gnnkd_teacher_targets(target, ks.t, GNNKD_METHOD_KD, 1.0f, 0, NULL), GNNKD_OK);
    gnnkd_objective obj = {GNNKD_METHOD_KD, 0.9f, 1.0f, target, all, nall};

    // batch 0 (full), then nall and 2^30 (K = 1), then nall / 2 (K = 2);
    // the last two with the hidden-only dropout of a dropout-free student
    const int32_t batch[] = {0, nall, 1 << 30, nall / 2};
    float *first = NULL;
    int64_t np = 0;
    double acc[4];
    for (int k = 0; k < 4; k++) {
        gnnkd_model_spec s;
        gnnkd_model *m = NULL;
        cr_assert_eq(gnnkd_model_spec_parse(&s, "mlp:32", msg), GNNKD_OK, "%s", msg);
        s.dropout = k == 2 ? 0.0f : 0.5f;
        cr_assert_eq(gnnkd_model_new(&m, &s, d->nfeat, d->nclass, 3, msg), GNNKD_OK, "%s", msg);
        o.seed = 3;
        o.batch = batch[k];
        o.hidden_dropout_only = k == 2;
        cr_assert_eq(gnnkd_train(m, &r, d, g, &o, &obj, msg), GNNKD_OK, "%s", msg);
        acc[k] = r.acc[GNNKD_VAL];
        np = gnnkd_model_num_params(m);
        if (k == 0) {
            first = malloc(np * sizeof *first);
            memcpy(first, gkd_model_params(m), np * sizeof *first);
        } else if (k == 1) {
            cr_assert_arr_eq(first, gkd_model_params(m), np * sizeof *first, "batch %d", batch[k]);
        } else {
            cr_assert(memcmp(first, gkd_model_params(m), np * sizeof *first) != 0, "batch %d",
                      batch[k]);
        }
        if (k == 2) { // the same student without dropout at all, full batch: the same bits
            gnnkd_model *m0 = NULL;
            gnnkd_train_options o0 = o;
            o0.batch = 0;
            o0.hidden_dropout_only = 0;
            cr_assert_eq(gnnkd_model_new(&m0, &s, d->nfeat, d->nclass, 3, msg), GNNKD_OK, "%s", msg);
            cr_assert_eq(gnnkd_train(m0, &r, d, g, &o0, &obj, msg), GNNKD_OK, "%s", msg);
            cr_assert_arr_eq(gkd_model_params(m0), gkd_model_params(m), np * sizeof(float));
            gnnkd_model_free(&m0);
        }
        gnnkd_model_free(&m);
    }
    cr_log_info("KD mlp:32, 40 epochs, validation: full batch %.4f, two steps an epoch %.4f", acc[0],
                acc[3]);
    cr_assert_gt(acc[3], 0.6, "two steps an epoch: validation %.4f", acc[3]);
    // LSP's structure term covers every node: no mini-batches
    gnnkd_objective lsp = obj;
    lsp.method = GNNKD_METHOD_LSP;
    gnnkd_model *m = model("mlp:32", d, 3);
    o.batch = 64;
    o.hidden_dropout_only = 0;
    cr_assert_eq(gnnkd_train(m, &r, d, g, &o, &lsp, msg), GNNKD_EINVAL);
    cr_assert(strstr(msg, "mini-batches") != NULL, "%s", msg);
    gnnkd_model_free(&m);
    free(first), free(target);
    kd_setup_free(&ks);
}

/* The cross-fitted validation accuracy by hand: four validation nodes of
 * class 0, halves {n0, n2} (even positions) and {n1, n3}; two classes, the
 * logits of a correct node (2, 0) or, more sure, (4, 0), of a wrong one
 * (0, 2). Epoch 1: n0 and n3 right, each half at 0.5, each scored 0.5 by
 * the other. Epoch 2: the even half all right (1.0, its best: scored by the
 * odd half's 0.0). Epoch 3: the odd half all right (scored 0.0). Epoch 4:
 * the even half all right again, more sure (a tie in accuracy won by the
 * lower loss: scored by the odd half's 0.5). Value (0.5 + 0.0) / 2, where
 * the best full-set accuracy of any epoch is 0.75. */
Test(train, cross_fitted_validation_by_hand) {
    const int32_t label[4] = {0, 0, 0, 0}, val[4] = {0, 1, 2, 3};
    const float R[2] = {2.0f, 0.0f}, S[2] = {4.0f, 0.0f}, W[2] = {0.0f, 2.0f};
    const float *epochs[4][4] = {{R, W, W, R}, {R, W, R, W}, {W, R, W, R}, {S, R, S, W}};
    gkd_cross_val x, one;
    cr_assert_eq(gkd_cross_val_init(&x, val, 4, NULL), GNNKD_OK);
    cr_assert(isnan(gkd_cross_val_value(&x)), "no epoch yet: NaN");
    float z[8];
    const double expect[4] = {0.5, 0.25, 0.0, 0.25};
    for (int e = 0; e < 4; e++) {
        for (int i = 0; i < 4; i++) memcpy(z + 2 * i, epochs[e][i], sizeof R);
        gkd_cross_val_epoch(&x, z, label, 2);
        cr_assert_float_eq(gkd_cross_val_value(&x), expect[e], 1e-12, "after epoch %d", e + 1);
    }
    cr_assert_eq(gkd_cross_val_init(&one, val, 1, NULL), GNNKD_OK);
    gkd_cross_val_epoch(&one, z, label, 2);
    cr_assert(isnan(gkd_cross_val_value(&one)), "one validation node: NaN");
    gkd_cross_val_free(&x);
    gkd_cross_val_free(&one);
}
