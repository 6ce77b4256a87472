/* test_cpf.c — CPF's label-propagation student: every parameter's gradient
 * against central finite differences (a random graph with isolated nodes
 * and an empty feature row, dense and sparse inputs, dropout masks held
 * fixed by the key), the clamping of training nodes, the spec texts and
 * the recipe, and a model file read back. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gnn/kernels.h"
#include "tests/common.h"

typedef struct {
    gnnkd_model *m;
    gnnkd_dataset *d;
    float *target;
    int training;
} fd_case;

static double fd_loss(fd_case *c, float *dlogits) {
    const float *z = NULL;
    char msg[GNNKD_MSG_LEN];
    cr_assert_eq(gnnkd_model_forward(c->m, &z, c->d, NULL, c->training, 5, 3, msg), GNNKD_OK, "%s", msg);
    return test_half_squared_error(z, c->target, (int64_t)c->d->n * c->d->nclass, dlogits);
}

/* Every parameter's gradient from the backward pass against central
 * differences of 0.5 |output - target|^2; the MLP's, the attention
 * vector's and the gate's each mostly nonzero. */
static void check_model(const char *spec_text, int sparse, int training) {
    const int32_t n = 14, f = 5, c = 3;
    gnnkd_model_spec s;
    char msg[GNNKD_MSG_LEN];
    cr_assert_eq(gnnkd_model_spec_parse(&s, spec_text, msg), GNNKD_OK, "%s", msg);
    s.dropout = training ? 0.3f : 0.0f;
    s.attn_dropout = training ? 0.4f : 0.0f;
    fd_case fc = {NULL, test_small_dataset(n, f, c, sparse), test_random_array((int64_t)n * c, 15, 1.0f), training};
    for (int64_t e = 0; e < (int64_t)n * c; e++) fc.target[e] += 1.0f; // above the ReLU's kink
    cr_assert_eq(gnnkd_model_new(&fc.m, &s, f, c, 17, msg), GNNKD_OK, "%s", msg);
    float *params = gkd_model_params(fc.m), *grads = gkd_model_grads(fc.m);
    int64_t np = gnnkd_model_num_params(fc.m);
    for (int64_t e = 0; e < np; e++) params[e] += 0.3f * (2.0f * gkd_uniform(18, (uint64_t)e) - 1.0f);
    float *dl = malloc(sizeof *dl * (size_t)n * c);
    gkd_model_zero_grad(fc.m);
    fd_loss(&fc, dl);
    cr_assert_eq(gnnkd_model_backward(fc.m, dl, fc.d, NULL, msg), GNNKD_OK, "%s", msg);
    float *g = malloc(sizeof *g * (size_t)np);
    memcpy(g, grads, sizeof *g * (size_t)np);
    const float eps = 3e-4f;
    const int64_t extra = gkd_cpf_extra(&fc.m->spec), first = np - c - extra; // [a | w | c], then b
    int64_t nonzero = 0, nonzero_extra = 0;
    for (int64_t e = 0; e < np; e++) {
        float keep = params[e];
        params[e] = keep + eps;
        double up = fd_loss(&fc, NULL);
        params[e] = keep - eps;
        double down = fd_loss(&fc, NULL);
        params[e] = keep;
        double fd = (up - down) / (2.0 * (double)eps);
        double tol = 1e-2 * fmax(fabs(fd), fabs((double)g[e])) + 3e-3;
        cr_assert(fabs(fd - g[e]) <= tol, "%s param %lld of %lld: backward %g, finite differences %g",
                  spec_text, (long long)e, (long long)np, g[e], fd);
        nonzero += fabs(g[e]) > 1e-6;
        nonzero_extra += e >= first && e < first + extra && fabs(g[e]) > 1e-6;
    }
    cr_assert_gt(nonzero, np / 2, "%s: most gradients are not zero (%lld of %lld)", spec_text,
                 (long long)nonzero, (long long)np);
    cr_assert_gt(nonzero_extra, extra / 2, "%s: the attention and gate gradients are not zero "
                 "(%lld of %lld)", spec_text, (long long)nonzero_extra, (long long)extra);
    free(g), free(dl), free(fc.target);
    gnnkd_model_free(&fc.m);
    gnnkd_dataset_free(&fc.d);
}

Test(cpf, backward_dense) { check_model("cpf:3,6", 0, 0); }
Test(cpf, backward_sparse) { check_model("cpf:2,6", 1, 0); }
Test(cpf, backward_one_step_deep_mlp) { check_model("cpf:1,6,4", 0, 0); }
Test(cpf, backward_dropouts_dense) { check_model("cpf:3,6", 0, 1); }
Test(cpf, backward_dropouts_sparse) { check_model("cpf:4,5", 1, 1); }

/* A training node's output is its one-hot label whatever the parameters; an
 * isolated unlabelled node's is ReLU(g/C + (1-g) f(x)); the rest differ
 * from both. */
Test(cpf, clamps_training_nodes) {
    char msg[GNNKD_MSG_LEN];
    gnnkd_dataset *d = test_small_dataset(14, 5, 3, 0);
    gnnkd_model_spec s;
    cr_assert_eq(gnnkd_model_spec_parse(&s, "cpf:5,4", msg), GNNKD_OK);
    gnnkd_model *m = NULL;
    cr_assert_eq(gnnkd_model_new(&m, &s, 5, 3, 3, msg), GNNKD_OK, "%s", msg);
    const float *z = NULL;
    for (int training = 0; training < 2; training++) {
        cr_assert_eq(gnnkd_model_forward(m, &z, d, NULL, training, 1, 2, msg), GNNKD_OK, "%s", msg);
        for (int t = 0; t < d->nsplit[GNNKD_TRAIN]; t++) {
            int32_t i = d->split[GNNKD_TRAIN][t];
            for (int k = 0; k < 3; k++)
                cr_assert_eq(z[i * 3 + k], (float)(d->label[i] == k), "node %d class %d: %g", i, k,
                             z[i * 3 + k]);
        }
    }
    // node 9 is isolated and unlabelled: its one neighbour is itself
    cr_assert_eq(gnnkd_model_forward(m, &z, d, NULL, 0, 0, 0, msg), GNNKD_OK);
    const float *f = m->logits, *w = m->w[1] + 4 * 3 + 5;
    float score = w[5];
    for (int k = 0; k < 5; k++) score += d->xdense[9 * 5 + k] * w[k];
    const float g = 1.0f / (1.0f + expf(-score));
    float h[3] = {1.0f / 3, 1.0f / 3, 1.0f / 3};
    for (int step = 0; step < 5; step++)
        for (int k = 0; k < 3; k++) h[k] = fmaxf(g * h[k] + (1.0f - g) * f[9 * 3 + k], 0.0f);
    for (int k = 0; k < 3; k++)
        cr_assert_float_eq(z[9 * 3 + k], h[k], 1e-5f, "node 9 class %d: %g, expected %g", k,
                           z[9 * 3 + k], h[k]);
    gnnkd_model_free(&m);
    gnnkd_dataset_free(&d);
}

Test(cpf, spec_texts_and_recipe) {
    gnnkd_model_spec s;
    char msg[GNNKD_MSG_LEN], text[64];
    cr_assert_eq(gnnkd_model_spec_parse(&s, "cpf", msg), GNNKD_OK);
    cr_assert(s.kind == GNNKD_MODEL_CPF && s.steps == 8 && s.nlayers == 2 && s.dims[1] == 64 &&
              s.dropout == 0.8f && s.attn_dropout == 0.2f);
    cr_assert_eq(gnnkd_model_spec_parse(&s, "cpf:5", msg), GNNKD_OK);
    cr_assert(s.steps == 5 && s.nlayers == 2 && s.dims[1] == 64);
    cr_assert_eq(gnnkd_model_spec_parse(&s, "cpf:6,32,16", msg), GNNKD_OK);
    cr_assert(s.steps == 6 && s.nlayers == 3 && s.dims[1] == 32 && s.dims[2] == 16);
    gnnkd_model_spec_format(text, sizeof text, &s);
    cr_assert_str_eq(text, "cpf:6,32,16");
    const char *bad[] = {"cpf:", "cpf:0", "cpf:8,", "cpf:8x8", "cpf:2000"};
    for (int k = 0; k < 5; k++) {
        cr_assert_eq(gnnkd_model_spec_parse(&s, bad[k], msg), GNNKD_EINVAL, "%s parsed", bad[k]);
        cr_assert(strstr(msg, bad[k]) != NULL, "'%s' is named in: %s", bad[k], msg);
    }
    gnnkd_distill_options o;
    gnnkd_distill_options_default(&o, GNNKD_METHOD_KD, GNNKD_SELECT_VAL_ACC);
    o.generations = 3; // the recipe sets its own: one
    cr_assert_eq(gnnkd_recipe_apply(&o, "cpf", msg), GNNKD_OK, "%s", msg);
    gnnkd_model_spec_format(text, sizeof text, &o.student);
    cr_assert_str_eq(text, "cpf:8,128");
    cr_assert(o.student.dropout == 0.3f && o.student.attn_dropout == 0.2f, "dropout %g",
              (double)o.student.dropout);
    cr_assert(o.student.kind == GNNKD_MODEL_CPF && o.method == GNNKD_METHOD_EUCLID &&
              o.transfer == GNNKD_TRANSFER_UNLABELED);
    cr_assert(o.student_train.lr == 1e-2f && o.student_train.weight_decay == 0.0f &&
              o.student_train.decay_all_layers == 1 && o.student_train.epochs == 500 &&
              o.student_train.patience == 500);
    cr_assert(o.standardise == 1 && o.temperature == 1.0f && o.generations == 1);
    cr_assert(o.assistant && !strcmp(o.assistant, "nosmog"), "assistant %s", o.assistant);
    cr_assert_eq(gnnkd_recipe_apply(&o, "cfp", msg), GNNKD_EINVAL);
    cr_assert(strstr(msg, "'cfp'") && strstr(msg, "cpf"), "%s", msg);
}

/* A saved CPF model (file version 3) reads back with its steps and gives
 * the same outputs; a GCN's file stays version 2; node-level inference over
 * the K-hop field gives every node's full-graph output. */
Test(cpf, file_round_trip) {
    char msg[GNNKD_MSG_LEN], path[] = "/tmp/gnnkd_cpf_XXXXXX";
    int fd = mkstemp(path);
    cr_assert_geq(fd, 0);
    close(fd);
    gnnkd_dataset *d = test_small_dataset(14, 5, 3, 1);
    gnnkd_model_spec s;
    cr_assert_eq(gnnkd_model_spec_parse(&s, "cpf:4,6", msg), GNNKD_OK);
    gnnkd_model *m = NULL, *r = NULL;
    cr_assert_eq(gnnkd_model_new(&m, &s, 5, 3, 1, msg), GNNKD_OK, "%s", msg);
    float *p = gkd_model_params(m);
    for (int64_t e = 0; e < gnnkd_model_num_params(m); e++) p[e] += 0.01f * (float)(e % 7);
    cr_assert_eq(gnnkd_model_save(m, path, msg), GNNKD_OK, "%s", msg);
    FILE *f = fopen(path, "rb");
    unsigned char head[12];
    cr_assert_eq(fread(head, 1, 12, f), 12u);
    fclose(f);
    cr_assert_eq(head[8], 3, "file version %d", head[8]);
    cr_assert_eq(gnnkd_model_load(&r, path, msg), GNNKD_OK, "%s", msg);
    const gnnkd_model_spec *rs = gnnkd_model_get_spec(r);
    cr_assert(rs->kind == GNNKD_MODEL_CPF && rs->steps == 4 && rs->dims[1] == 6 &&
              rs->attn_dropout == s.attn_dropout && rs->dropout == s.dropout);
    const float *a = NULL, *b = NULL;
    cr_assert_eq(gnnkd_model_forward(m, &a, d, NULL, 0, 0, 0, msg), GNNKD_OK, "%s", msg);
    cr_assert_eq(gnnkd_model_forward(r, &b, d, NULL, 0, 0, 0, msg), GNNKD_OK, "%s", msg);
    cr_assert_eq(memcmp(a, b, sizeof *a * 14 * 3), 0, "the same outputs");
    gnnkd_infer *w = NULL;
    float out[3];
    cr_assert_eq(gnnkd_infer_new(&w, msg), GNNKD_OK);
    for (int32_t node = 0; node < 14; node++) {
        int64_t field = 0;
        cr_assert_eq(gnnkd_model_forward_nodes(out, &field, w, m, d, NULL, &node, 1, msg), GNNKD_OK,
                     "%s", msg);
        cr_assert(node % 4 != 1 || field == 1, "isolated node %d reads %lld nodes", node,
                  (long long)field);
        for (int k = 0; k < 3; k++)
            cr_assert_float_eq(out[k], a[node * 3 + k], 1e-5f, "node %d class %d: %g vs %g", node,
                               k, out[k], a[node * 3 + k]);
    }
    gnnkd_infer_free(&w);
    gnnkd_model_free(&m);
    gnnkd_model_free(&r);
    cr_assert_eq(gnnkd_model_spec_parse(&s, "gcn:4", msg), GNNKD_OK);
    cr_assert_eq(gnnkd_model_new(&m, &s, 5, 3, 1, msg), GNNKD_OK, "%s", msg);
    cr_assert_eq(gnnkd_model_save(m, path, msg), GNNKD_OK, "%s", msg);
    f = fopen(path, "rb");
    cr_assert_eq(fread(head, 1, 12, f), 12u);
    fclose(f);
    cr_assert_eq(head[8], 2, "a GCN's file version %d", head[8]);
    gnnkd_model_free(&m);
    gnnkd_dataset_free(&d);
    unlink(path);
}
